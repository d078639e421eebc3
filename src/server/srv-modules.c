/* srv-modules.c: registering the feature modules
 *
 * Order matters where modules share a stanza: message hooks run in the
 * order they were added, so the archive marks a message with its
 * stanza-id before carbons copy it, and takes the sender's id off again
 * after every other hook (srv_mam_init_last).
 */
#include "config.h"

#include "srv-blocking.h"
#include "srv-carbons.h"
#include "srv-disco.h"
#include "srv-mam.h"
#include "srv-modules.h"
#include "srv-presence.h"
#include "srv-roster.h"
/* Only for the settings (server->config): modules get what they need as
 * arguments. */
#include "srv-server-private.h"
#include "srv-vcard.h"

void
srv_modules_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  /* RFC 6121: rosters (§2), subscriptions and presence (§3, §4). */
  srv_roster_init (server);
  srv_presence_init (server);

  /* XEP-0030 for accounts, XEP-0191, vcard-temp. */
  srv_disco_init (server);
  srv_blocking_init (server);
  srv_vcard_init (server);

  /* XEP-0313 + XEP-0359, then XEP-0280. */
  srv_mam_init (server, server->config == NULL || server->config->archive);
  srv_carbons_init (server);
  srv_mam_init_last (server);
}
