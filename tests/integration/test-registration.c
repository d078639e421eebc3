/* test-registration.c: MessengerRegistration (XEP-0077) against the bundled server.
 *
 * One messenger-server with --allow-registration and one without, on free
 * loopback ports.  Checks what "Create an Account" needs: the untrusted
 * certificate reported and pinned, the form's fields, an account created
 * and signed in with, a taken user name in plain words (and another try on
 * the same connection), a connection the server dropped replaced on
 * submit, a server that refuses registration, and one that is not there. */
#include "config.h"

#include <string.h>

#include "messenger-registration.h"
#include "server-fixture.h"
#include "test-util.h"

static TestServer open_srv;     /* --allow-registration */
static TestServer closed_srv;   /* registration off */

static MessengerRegistration *
new_registration (TestServer *srv,
                  gboolean    pin)
{
  g_autoptr(GError) error = NULL;
  MessengerRegistration *reg = messenger_registration_new ("localhost", &error);

  g_assert_no_error (error);
  messenger_registration_set_server (reg, "127.0.0.1", srv->port);
  if (pin)
    messenger_registration_set_pinned_fingerprint (reg, srv->fingerprint);
  return reg;
}

static gboolean
fetch_form (MessengerRegistration  *reg,
            GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_registration_fetch_form_async (reg, NULL, test_result_cb, &result);
  return messenger_registration_fetch_form_finish (reg, WAIT_RESULT (&result), error);
}

static MessengerAccount *
submit (MessengerRegistration  *reg,
        const char             *username,
        const char             *password,
        GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (values, (gpointer) "username", (gpointer) username);
  g_hash_table_insert (values, (gpointer) "password", (gpointer) password);
  messenger_registration_submit_async (reg, values, NULL, test_result_cb, &result);
  return messenger_registration_submit_finish (reg, WAIT_RESULT (&result), error);
}

static void
sign_in (MessengerAccount *account)
{
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE
              || messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpstr (messenger_account_get_error_message (account), ==, NULL);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ONLINE);
  messenger_account_disconnect (account);
}

static void
test_invalid_domain (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerRegistration) reg = NULL;

  reg = messenger_registration_new ("not a server", &error);
  g_assert_null (reg);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID);
  g_clear_error (&error);

  /* A full address is not a server name either. */
  reg = messenger_registration_new ("alice@localhost", &error);
  g_assert_null (reg);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID);
}

static void
test_untrusted_certificate (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&open_srv, FALSE);
  g_autoptr(GError) error = NULL;
  XmppCertificateInfo *info;
  const char * const *fields;

  g_assert_false (fetch_form (reg, &error));
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CERTIFICATE);
  g_assert_cmpstr (error->message, ==, "The identity of localhost cannot be verified.");
  info = messenger_registration_get_certificate_info (reg);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->fingerprint_sha256, ==, open_srv.fingerprint);
  g_clear_error (&error);

  /* The person trusts it: the form comes. */
  messenger_registration_set_pinned_fingerprint (reg, info->fingerprint_sha256);
  g_assert_true (fetch_form (reg, &error));
  g_assert_no_error (error);
  g_assert_nonnull (messenger_registration_get_instructions (reg));
  fields = messenger_registration_get_fields (reg);
  g_assert_true (g_strv_contains (fields, "username"));
  g_assert_true (g_strv_contains (fields, "password"));
  messenger_registration_close (reg);
}

static void
test_create_and_sign_in (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&open_srv, TRUE);
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fetch_form (reg, &error));
  account = submit (reg, "carol", "carol-pw", &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, "carol@localhost");
  /* The pin and the server travel with the account. */
  g_assert_cmpstr (messenger_account_get_pinned_fingerprint (account), ==, open_srv.fingerprint);
  sign_in (account);
}

static void
test_taken_name (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&open_srv, TRUE);
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fetch_form (reg, &error));
  account = submit (reg, "alice", "whatever", &error);
  g_assert_null (account);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CONFLICT);
  g_assert_cmpstr (error->message, ==, "The user name “alice” is already taken on localhost. Try another one.");
  g_clear_error (&error);

  /* Another name on the same form. */
  account = submit (reg, "dave", "dave-pw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, "dave@localhost");
  sign_in (account);
}

static void
test_canonical_name (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&open_srv, TRUE);
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fetch_form (reg, &error));
  /* A name with a space cannot be an address. */
  account = submit (reg, "erin smith", "erin-pw", &error);
  g_assert_null (account);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID);
  g_clear_error (&error);

  /* Upper case is the same address in lower case. */
  account = submit (reg, "Erin", "erin-pw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, "erin@localhost");
  sign_in (account);
}

static void
test_reopen_on_submit (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&open_srv, TRUE);
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (fetch_form (reg, &error));
  /* As when the server drops an unauthenticated connection after a while. */
  messenger_registration_close (reg);
  account = submit (reg, "frank", "frank-pw", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, "frank@localhost");
  sign_in (account);
}

static void
test_not_supported (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&closed_srv, TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_false (fetch_form (reg, &error));
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "localhost"));
}

static void
test_unreachable (void)
{
  g_autoptr(MessengerRegistration) reg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port;

  /* A port that was free a moment ago and is closed again. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  reg = messenger_registration_new ("localhost", &error);
  messenger_registration_set_server (reg, "127.0.0.1", port);
  g_assert_false (fetch_form (reg, &error));
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "The server localhost cannot be reached.");
}

static void
test_cancel (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration (&open_srv, TRUE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* The person goes back while it connects. */
  messenger_registration_fetch_form_async (reg, cancellable, test_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_false (messenger_registration_fetch_form_finish (reg, WAIT_RESULT (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  /* And the same object still works afterwards. */
  g_assert_true (fetch_form (reg, &error));
  g_assert_no_error (error);
}

static void
test_field_titles (void)
{
  g_assert_cmpstr (messenger_registration_field_title ("username"), ==, "User name");
  g_assert_cmpstr (messenger_registration_field_title ("email"), ==, "Email address");
  g_assert_cmpstr (messenger_registration_field_title ("x-custom"), ==, "x-custom");
  g_assert_true (messenger_registration_field_is_secret ("password"));
  g_assert_false (messenger_registration_field_is_secret ("username"));
}

int
main (int   argc,
      char *argv[])
{
  static const char * const allow[] = { "--allow-registration", NULL };
  g_autoptr(GError) error = NULL;
  int status;

  test_init (&argc, &argv);

  open_srv.dir = g_dir_make_tmp ("messenger-registration-XXXXXX", &error);
  g_assert_no_error (error);
  closed_srv.dir = g_dir_make_tmp ("messenger-registration-off-XXXXXX", &error);
  g_assert_no_error (error);
  test_server_add_user (&open_srv, "alice@localhost", "alice-pw");
  test_server_start_with_args (&open_srv, 0, allow);
  test_server_start (&closed_srv, 0);

  g_test_add_func ("/registration/invalid-domain", test_invalid_domain);
  g_test_add_func ("/registration/untrusted-certificate", test_untrusted_certificate);
  g_test_add_func ("/registration/create-and-sign-in", test_create_and_sign_in);
  g_test_add_func ("/registration/taken-name", test_taken_name);
  g_test_add_func ("/registration/canonical-name", test_canonical_name);
  g_test_add_func ("/registration/reopen-on-submit", test_reopen_on_submit);
  g_test_add_func ("/registration/not-supported", test_not_supported);
  g_test_add_func ("/registration/unreachable", test_unreachable);
  g_test_add_func ("/registration/cancel", test_cancel);
  g_test_add_func ("/registration/field-titles", test_field_titles);

  status = g_test_run ();
  test_server_tear_down (&open_srv);
  test_server_tear_down (&closed_srv);
  return status;
}
