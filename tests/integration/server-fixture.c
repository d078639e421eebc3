/* server-fixture.c: the bundled server for integration tests */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "server-fixture.h"
#include "test-util.h"

char *
test_server_binary (void)
{
  return g_build_filename (g_getenv ("MESSENGER_BUILD_ROOT"), "src", "server", "messenger-server", NULL);
}

void
test_server_add_user (TestServer *srv,
                      const char *jid,
                      const char *password)
{
  g_autofree char *binary = test_server_binary ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strdup_printf ("%s\n", password);

  /* The password goes through stdin, as a person would type it. */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                           &error, binary, "user", "add", jid, "--data-dir", srv->dir, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, input, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc) && g_subprocess_get_exit_status (proc) == 0);
}

void
test_server_start (TestServer *srv,
                   guint16     port)
{
  test_server_start_with_args (srv, port, NULL);
}

void
test_server_start_with_args (TestServer         *srv,
                             guint16             port,
                             const char * const *extra_args)
{
  g_autofree char *binary = test_server_binary ();
  g_autofree char *port_arg = g_strdup_printf ("%u", port);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *p;

  g_ptr_array_add (argv, binary);
  g_ptr_array_add (argv, (gpointer) "--domain");
  g_ptr_array_add (argv, (gpointer) "localhost");
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, srv->dir);
  g_ptr_array_add (argv, (gpointer) "--c2s-port");
  g_ptr_array_add (argv, port_arg);
  g_ptr_array_add (argv, (gpointer) "--direct-tls-port");
  g_ptr_array_add (argv, (gpointer) "0");
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  srv->server = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (srv->server));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  /* "messenger-server: listening on 127.0.0.1:PORT (STARTTLS) …; certificate SHA-256 AB:…" */
  p = strstr (line, "127.0.0.1:");
  g_assert_nonnull (p);
  srv->port = (guint16) g_ascii_strtoull (p + strlen ("127.0.0.1:"), NULL, 10);
  p = strstr (line, "SHA-256 ");
  g_assert_nonnull (p);
  g_free (srv->fingerprint);
  srv->fingerprint = g_strndup (p + strlen ("SHA-256 "), 95);
}

void
test_server_stop (TestServer *srv)
{
  g_subprocess_send_signal (srv->server, SIGTERM);
  g_subprocess_wait (srv->server, NULL, NULL);
  g_clear_object (&srv->server);
}

static void
stop_on_timeout (gpointer user_data)
{
  TestServer *srv = user_data;

  if (srv->server != NULL)
    test_server_stop (srv);
}

void
test_server_set_up (TestServer *srv,
                    const char *dir_template)
{
  g_autoptr(GError) error = NULL;

  srv->dir = g_dir_make_tmp (dir_template, &error);
  g_assert_no_error (error);
  test_server_add_user (srv, TEST_ALICE, "alice-pw");
  test_server_add_user (srv, TEST_BOB, "bob-pw");
  test_server_start (srv, 0);
  test_set_timeout_func (stop_on_timeout, srv);
}

void
test_server_tear_down (TestServer *srv)
{
  test_set_timeout_func (NULL, NULL);
  if (srv->server != NULL)
    test_server_stop (srv);
  test_remove_tree (srv->dir);
  g_clear_pointer (&srv->dir, g_free);
  g_clear_pointer (&srv->fingerprint, g_free);
}

int
test_server_run (TestServer *srv,
                 const char *dir_template)
{
  int status;

  test_server_set_up (srv, dir_template);
  status = g_test_run ();
  test_server_tear_down (srv);
  return status;
}

MessengerAccount *
test_server_new_account (TestServer *srv,
                         const char *jid,
                         const char *password)
{
  MessengerAccount *account = messenger_account_new (jid);

  messenger_account_set_server (account, "127.0.0.1", srv->port);
  messenger_account_set_password (account, password);
  messenger_account_set_reconnect_delay (account, 100);
  messenger_account_set_pinned_fingerprint (account, srv->fingerprint);
  return account;
}

void
test_store_flush (MessengerStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_store_flush_async (store, NULL, test_result_cb, &result);
  g_assert_true (messenger_store_flush_finish (store, WAIT_RESULT (&result), NULL));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}
