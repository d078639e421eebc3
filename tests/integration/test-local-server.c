/* test-local-server.c: "Use a local server" without the window: start the
 * bundled server in a data folder, create an account on it, sign in with
 * the fingerprint it printed, stop it, and start it again with the same
 * data (the account survives, on a new port). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "messenger-account.h"
#include "messenger-local-server.h"
#include "test-util.h"

/* Starts @server, or fails to; returns whether it did. */
static gboolean
start (MessengerLocalServer  *server,
       GError               **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_local_server_start_async (server, NULL, test_result_cb, &result);
  return messenger_local_server_start_finish (server, WAIT_RESULT (&result), error);
}

static gboolean
add_user (MessengerLocalServer  *server,
          const char            *username,
          const char            *password,
          GError               **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_local_server_add_user_async (server, username, password, NULL, test_result_cb, &result);
  return messenger_local_server_add_user_finish (server, WAIT_RESULT (&result), error);
}

static void
sign_in (MessengerLocalServer *server)
{
  g_autoptr(MessengerAccount) account = messenger_account_new ("me@localhost");

  messenger_account_set_server (account, "127.0.0.1", messenger_local_server_get_port (server));
  messenger_account_set_pinned_fingerprint (account, messenger_local_server_get_fingerprint (server));
  messenger_account_set_password (account, "local-pw");
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) != MESSENGER_ACCOUNT_CONNECTING);
  g_assert_cmpstr (messenger_account_get_error_message (account), ==, NULL);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ONLINE);
  messenger_account_disconnect (account);
}

static void
test_local_server (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-local-XXXXXX", &error);
  g_autofree char *data = g_build_filename (dir, "local-server", NULL);
  g_autoptr(MessengerLocalServer) server = messenger_local_server_new (data);
  guint16 first_port;
  gboolean added;

  start (server, &error);
  g_assert_no_error (error);
  g_assert_true (messenger_local_server_is_running (server));
  g_assert_cmpuint (messenger_local_server_get_port (server), >, 0);
  g_assert_cmpuint (strlen (messenger_local_server_get_fingerprint (server)), ==, 95);
  first_port = messenger_local_server_get_port (server);

  added = add_user (server, "me", "local-pw", &error);
  g_assert_no_error (error);
  g_assert_true (added);

  /* The same name twice: refused, and said so. */
  g_assert_false (add_user (server, "me", "other", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  sign_in (server);

  /* Stop and start again: same data, same certificate, the account is
   * still there. */
  {
    g_autofree char *fingerprint = g_strdup (messenger_local_server_get_fingerprint (server));

    messenger_local_server_stop (server);
    g_assert_false (messenger_local_server_is_running (server));
    start (server, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (messenger_local_server_get_fingerprint (server), ==, fingerprint);
    g_test_message ("ports: %u then %u", first_port, messenger_local_server_get_port (server));
  }
  sign_in (server);
  messenger_local_server_stop (server);
}

static void
test_missing_binary (void)
{
  g_autoptr(MessengerLocalServer) server = messenger_local_server_new ("/nonexistent/dir");
  g_autoptr(GError) error = NULL;

  g_setenv ("MESSENGER_SERVER_BINARY", "/nonexistent/messenger-server", TRUE);
  g_assert_false (start (server, &error));
  g_assert_nonnull (error);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *binary = NULL;

  test_init (&argc, &argv);
  binary = g_build_filename (g_getenv ("MESSENGER_BUILD_ROOT"), "src", "server", "messenger-server", NULL);
  g_setenv ("MESSENGER_SERVER_BINARY", binary, TRUE);

  g_test_add_func ("/local-server/start-add-sign-in-restart", test_local_server);
  g_test_add_func ("/local-server/missing-binary", test_missing_binary);
  return g_test_run ();
}
