/* srv-blocking.h: XEP-0191 Blocking Command for the bundled server
 *
 * The block list lives in srv-storage.c (cached there: every routed
 * stanza is checked); this module answers the protocol, tells the
 * account's resources and the blocked contacts, and refuses messages and
 * iqs across a block.  Presence across a block is withheld by
 * srv-presence.c.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

#define SRV_NS_BLOCKING "urn:xmpp:blocking"

void srv_blocking_init (SrvServer *server);

G_END_DECLS
