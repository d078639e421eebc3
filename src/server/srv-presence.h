/* srv-presence.h: presence and subscriptions for the bundled server
 *
 * RFC 6121 §3 and §4: the subscription state machine (srv-subscription.c)
 * applied to stored rosters, initial presence with its broadcast and
 * probes, stored subscription requests and offline messages delivered on
 * login, updates, directed presence and unavailable presence when a
 * resource leaves.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

void srv_presence_init             (SrvServer  *server);

/* type='unavailable' from each available resource of @user (bare JID) to
 * @contact, unless one of them blocks the other.  For roster removal. */
void srv_presence_send_unavailable (SrvServer  *server,
                                    const char *user,
                                    const char *contact);

/* Send a subscription stanza of @type ("subscribe", "unsubscribed", …)
 * from @user's bare JID to @contact as the server, on the user's behalf,
 * without running the user's side of the state machine (roster removal
 * already deleted the item).  Only local contacts: there is no
 * federation to reach others. */
void srv_presence_send_subscription (SrvServer  *server,
                                     const char *user,
                                     const char *contact,
                                     const char *type);

G_END_DECLS
