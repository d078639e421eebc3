/* srv-roster.h: jabber:iq:roster for the bundled server (RFC 6121 §2)
 *
 * Roster get (with versioning, §2.6), set and remove, and the pushes that
 * tell every interested resource about a change.  The subscription side
 * (srv-presence.c) pushes through srv_roster_push() too.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

void         srv_roster_init            (SrvServer           *server);

/* An <item/> of jabber:iq:roster for @item (subscription REMOVE gives
 * subscription='remove'). */
XmppElement *srv_roster_item_to_element (const SrvRosterItem *item);

/* Push @item with version @ver to every interested resource of @user. */
void         srv_roster_push            (SrvServer           *server,
                                         const char          *user,
                                         const SrvRosterItem *item,
                                         const char          *ver);

G_END_DECLS
