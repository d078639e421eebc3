/* srv-modules.c: registering the feature modules */
#include "config.h"

#include "srv-modules.h"
#include "srv-presence.h"
#include "srv-roster.h"

void
srv_modules_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  /* RFC 6121: rosters (§2), subscriptions and presence (§3, §4). */
  srv_roster_init (server);
  srv_presence_init (server);
}
