/* srv-carbons.h: XEP-0280 Message Carbons for the bundled server
 *
 * A resource that enabled carbons gets a copy of the messages its
 * account sends from its other resources (<sent/>) and of the messages
 * the account receives on its other resources (<received/>).
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

#define SRV_NS_CARBONS "urn:xmpp:carbons:2"

/* Register after srv_mam_init() so that received copies carry the
 * archive's stanza-id (XEP-0313 §5.4). */
void srv_carbons_init (SrvServer *server);

G_END_DECLS
