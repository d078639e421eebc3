/* server-fixture.h: the bundled server for integration tests
 *
 * Starts messenger-server (from MESSENGER_BUILD_ROOT) in a data folder on a
 * loopback port, reads its ready line (port and certificate fingerprint),
 * and adds accounts with its `user add` command. */
#pragma once

#include "messenger-account.h"
#include "messenger-store.h"

G_BEGIN_DECLS

#define TEST_ALICE "alice@localhost"   /* password "alice-pw" */
#define TEST_BOB   "bob@localhost"     /* password "bob-pw" */

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

/* A server for most tests: a new data folder (@dir_template as for
 * g_dir_make_tmp), TEST_ALICE and TEST_BOB, started on a free port, and
 * stopped before a WAIT_UNTIL that timed out fails the test. */
void  test_server_set_up    (TestServer *srv,
                             const char *dir_template);
/* Stops it if it runs, and deletes its data folder. */
void  test_server_tear_down (TestServer *srv);
/* g_test_run () with a server set up for the tests, then torn down. */
int   test_server_run       (TestServer *srv,
                             const char *dir_template);

/* An account on @srv, its certificate pinned, reconnecting after 100 ms. */
MessengerAccount *test_server_new_account (TestServer *srv,
                                           const char *jid,
                                           const char *password);

/* Waits until @store has committed every write queued so far, and their
 * callbacks have run. */
void test_store_flush (MessengerStore *store);

G_END_DECLS
