/* srv-modules.h: the feature modules of the bundled server
 *
 * Each module registers its iq handlers, presence handlers and hooks with
 * the core (srv-server.h) and touches nothing else of it.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

/* Register every feature module with @server, before it starts. */
void srv_modules_init (SrvServer *server);

G_END_DECLS
