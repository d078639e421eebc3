/* test-local-server.c: "Use a local server" without the window: start the
 * bundled server in a data folder, create an account on it, sign in with
 * the fingerprint it printed, stop it, and start it again with the same
 * data (the account survives, on a new port). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "messenger-account.h"
#include "messenger-local-server.h"

#define WAIT_UNTIL(cond) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC; \
    while (!(cond)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, _deadline); \
        g_main_context_iteration (NULL, TRUE); \
      } \
  } G_STMT_END

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Result;

static void
started_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->ok = messenger_local_server_start_finish (MESSENGER_LOCAL_SERVER (source), result, &r->error);
  r->done = TRUE;
}

static void
added_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->ok = messenger_local_server_add_user_finish (MESSENGER_LOCAL_SERVER (source), result, &r->error);
  r->done = TRUE;
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
  Result r = { 0 };
  guint16 first_port;

  messenger_local_server_start_async (server, NULL, started_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (messenger_local_server_is_running (server));
  g_assert_cmpuint (messenger_local_server_get_port (server), >, 0);
  g_assert_cmpuint (strlen (messenger_local_server_get_fingerprint (server)), ==, 95);
  first_port = messenger_local_server_get_port (server);

  memset (&r, 0, sizeof r);
  messenger_local_server_add_user_async (server, "me", "local-pw", NULL, added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);

  /* The same name twice: refused, and said so. */
  memset (&r, 0, sizeof r);
  messenger_local_server_add_user_async (server, "me", "other", NULL, added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);

  sign_in (server);

  /* Stop and start again: same data, same certificate, the account is
   * still there. */
  {
    g_autofree char *fingerprint = g_strdup (messenger_local_server_get_fingerprint (server));

    messenger_local_server_stop (server);
    g_assert_false (messenger_local_server_is_running (server));
    memset (&r, 0, sizeof r);
    messenger_local_server_start_async (server, NULL, started_cb, &r);
    WAIT_UNTIL (r.done);
    g_assert_no_error (r.error);
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
  Result r = { 0 };

  g_setenv ("MESSENGER_SERVER_BINARY", "/nonexistent/messenger-server", TRUE);
  messenger_local_server_start_async (server, NULL, started_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *binary = NULL;

  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  binary = g_build_filename (g_getenv ("MESSENGER_BUILD_ROOT"), "src", "server", "messenger-server", NULL);
  g_setenv ("MESSENGER_SERVER_BINARY", binary, TRUE);

  g_test_add_func ("/local-server/start-add-sign-in-restart", test_local_server);
  g_test_add_func ("/local-server/missing-binary", test_missing_binary);
  return g_test_run ();
}
