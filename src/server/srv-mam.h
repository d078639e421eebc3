/* srv-mam.h: XEP-0313 Message Archive Management for the bundled server
 *
 * Every normal or chat message with a body that a local account sends or
 * receives is stored in its archive (srv-storage.h); a message the account
 * receives carries <stanza-id by='account' id='archive id'/> (XEP-0359),
 * and the account pages through its archive with XEP-0059.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

#define SRV_NS_MAM "urn:xmpp:mam:2"
#define SRV_NS_SID "urn:xmpp:sid:0"

/* @archiving FALSE (the key archive=false): nothing is stored, no query
 * is answered and nothing is advertised; stanza-ids that claim to come
 * from the account are still removed from what it receives.
 *
 * Message hooks run in the order they were added: call this before the
 * modules that copy messages (carbons), and srv_mam_init_last() after
 * every other message hook. */
void srv_mam_init      (SrvServer *server,
                        gboolean   archiving);
/* The sender's own stanza-id, put on an outgoing message so that its
 * carbons carry it, is taken off again before the message goes to the
 * recipient (XEP-0313: never to the account's contacts). */
void srv_mam_init_last (SrvServer *server);

G_END_DECLS
