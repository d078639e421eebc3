/* server-fixture.h: the bundled server for integration tests
 *
 * Starts messenger-server (from MESSENGER_BUILD_ROOT) in a data folder on a
 * loopback port, reads its ready line (port and certificate fingerprint),
 * and adds accounts with its `user add` command. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char        *dir;          /* data folder */
  GSubprocess *server;       /* NULL while stopped */
  guint16      port;
  char        *fingerprint;  /* "AB:CD:…" */
} TestServer;

char *test_server_binary   (void);
void  test_server_add_user (TestServer *srv,
                            const char *jid,
                            const char *password);
/* Port 0 picks a free port; the port actually used is in srv->port. */
void  test_server_start    (TestServer *srv,
                            guint16     port);
/* The same with more options for messenger-server (NULL-terminated), e.g.
 * "--allow-registration". */
void  test_server_start_with_args (TestServer        *srv,
                                   guint16            port,
                                   const char * const *extra_args);
void  test_server_stop     (TestServer *srv);

G_END_DECLS
