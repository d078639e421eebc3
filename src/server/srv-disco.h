/* srv-disco.h: XEP-0030 for accounts (the server's own disco is the core's)
 *
 * disco#info and disco#items addressed to an account's bare JID (or sent
 * without 'to', RFC 6120 §10.3.3) are answered by the server for the
 * account: identity account/registered and the features the modules add
 * here.  Only the account itself and the contacts it shares its presence
 * with may ask; anyone else gets service-unavailable, the same answer as
 * for an account that does not exist.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

void srv_disco_init                (SrvServer  *server);
/* A feature every account lists (e.g. urn:xmpp:mam:2). */
void srv_disco_add_account_feature (SrvServer  *server,
                                    const char *var);

G_END_DECLS
