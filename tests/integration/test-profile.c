/* test-profile.c: MessengerProfile and MessengerSession against the real
 * bundled server and a throw-away keyring (run under with-keyring):
 * accounts survive a restart and sign in with the keyring's password, a
 * missing or wrong password is asked for, a pinned certificate is saved,
 * and removing an account forgets it, its cache and its password. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "messenger-profile.h"
#include "messenger-secret.h"
#include "test-util.h"

static char *
keyring_password (const char *jid)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  messenger_secret_lookup_async (jid, NULL, test_result_cb, &result);
  password = messenger_secret_lookup_finish (WAIT_RESULT (&result), &error);
  g_assert_no_error (error);
  return password;
}

static MessengerSession *
add_account (MessengerProfile  *profile,
             MessengerAccount  *account,
             const char        *password,
             gboolean           remember,
             GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_profile_add_account_async (profile, account, password, remember, NULL, test_result_cb, &result);
  return messenger_profile_add_account_finish (profile, WAIT_RESULT (&result), error);
}

static void
remove_account (MessengerProfile *profile,
                MessengerSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean removed;

  messenger_profile_remove_account_async (profile, session, NULL, test_result_cb, &result);
  removed = messenger_profile_remove_account_finish (profile, WAIT_RESULT (&result), &error);
  g_assert_no_error (error);
  g_assert_true (removed);
}

static MessengerSession *
add_local_account (MessengerProfile *profile,
                   const char       *username,
                   const char       *password,
                   gboolean          remember)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  MessengerSession *session;

  messenger_profile_create_local_account_async (profile, username, password, NULL, test_result_cb, &result);
  account = messenger_profile_create_local_account_finish (profile, WAIT_RESULT (&result), &error);
  g_assert_no_error (error);

  session = add_account (profile, account, password, remember, &error);
  g_assert_no_error (error);
  return session;
}

static MessengerProfile *
open_profile (const char *dir)
{
  g_autoptr(GError) error = NULL;
  MessengerProfile *profile = messenger_profile_open (dir, &error);

  g_assert_no_error (error);
  return profile;
}

static void
wait_online (MessengerSession *session)
{
  MessengerAccount *account = messenger_session_get_account (session);

  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE
              || messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpstr (messenger_account_get_error_message (account), ==, NULL);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ONLINE);
}

static MessengerSession *
only_session (MessengerProfile *profile)
{
  GListModel *sessions = messenger_profile_get_sessions (profile);
  g_autoptr(MessengerSession) session = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (sessions), ==, 1);
  session = g_list_model_get_item (sessions, 0);
  return session;  /* the profile keeps it */
}

static void
shutdown (MessengerProfile **profile)
{
  messenger_profile_shutdown (*profile);
  /* Let the goodbyes and the server's exit run. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (profile);
}

/* A local account comes back after a restart, on the server's new port,
 * signed in with the password the keyring kept. */
static void
test_local_account_survives_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerSession) added = NULL;
  g_autofree char *kept = NULL;
  MessengerSession *session;
  MessengerStoreAccount *settings;
  g_autoptr(GPtrArray) accounts = NULL;

  profile = open_profile (dir);
  g_assert_cmpuint (g_list_model_get_n_items (messenger_profile_get_sessions (profile)), ==, 0);

  added = add_local_account (profile, "me", "local-pw", TRUE);
  g_assert_true (messenger_session_get_local (added));
  g_assert_true (only_session (profile) == added);
  g_assert_true (messenger_profile_lookup_session (profile, "me@localhost") == added);
  messenger_account_connect (messenger_session_get_account (added));
  wait_online (added);

  WAIT_UNTIL ((kept = keyring_password ("me@localhost")) != NULL);
  g_assert_cmpstr (kept, ==, "local-pw");
  g_assert_null (messenger_session_get_secret_error (added));

  /* Saved without an address: the port changes at each start. */
  accounts = messenger_store_list_accounts (messenger_profile_get_store (profile), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 1);
  settings = g_ptr_array_index (accounts, 0);
  g_assert_cmpstr (settings->jid, ==, "me@localhost");
  g_assert_null (settings->server);
  g_clear_pointer (&accounts, g_ptr_array_unref);

  g_clear_object (&added);
  shutdown (&profile);

  profile = open_profile (dir);
  session = only_session (profile);
  g_assert_true (messenger_session_get_local (session));
  g_assert_cmpint (messenger_account_get_state (messenger_session_get_account (session)), ==,
                   MESSENGER_ACCOUNT_OFFLINE);
  messenger_profile_start (profile);
  wait_online (session);
  g_assert_false (messenger_session_get_needs_password (session));
  shutdown (&profile);
}

/* Quitting closes the stream before it returns: the server has seen the
 * close (no resumable session left behind for 300 s), within a second. */
static void
test_shutdown_waits_for_close (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerSession) added = NULL;
  g_autoptr(XmppClient) client = NULL;
  gint64 start;

  profile = open_profile (dir);
  added = add_local_account (profile, "quitter", "local-pw", FALSE);
  messenger_account_connect (messenger_session_get_account (added));
  wait_online (added);
  client = g_object_ref (messenger_account_get_client (messenger_session_get_account (added)));
  g_assert_cmpint (xmpp_client_get_state (client), ==, XMPP_CLIENT_STATE_CONNECTED);

  start = g_get_monotonic_time ();
  messenger_profile_shutdown (profile);
  /* No iteration in between: the close completed inside shutdown. */
  g_assert_cmpint (xmpp_client_get_state (client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1500 * 1000);
  g_test_message ("shutdown took %.1f ms", (g_get_monotonic_time () - start) / 1000.0);

  g_clear_object (&added);
  g_clear_object (&profile);
  test_remove_tree (dir);
}

/* An ordinary account with no password in the keyring: the session asks;
 * a wrong one asks again; the right one signs in and, remembered, is in
 * the keyring.  (The server here is the bundled one reached by name.) */
static void
test_password_is_asked (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerSession) owner = NULL;
  g_autoptr(MessengerSession) session = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MessengerLocalServer *server;

  profile = open_profile (dir);
  owner = add_local_account (profile, "owner", "owner-pw", FALSE);
  server = messenger_profile_get_local_server (profile);
  messenger_local_server_add_user_async (server, "asker", "right-pw", NULL, test_result_cb, &result);
  messenger_local_server_add_user_finish (server, WAIT_RESULT (&result), &error);
  g_assert_no_error (error);

  account = messenger_account_new ("asker@localhost");
  messenger_account_set_server (account, "localhost", messenger_local_server_get_port (server));
  messenger_account_set_pinned_fingerprint (account, messenger_local_server_get_fingerprint (server));
  messenger_account_set_reconnect_delay (account, 60);
  session = add_account (profile, account, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (messenger_session_get_local (session));
  g_assert_null (keyring_password ("asker@localhost"));

  messenger_profile_start (profile);
  WAIT_UNTIL (messenger_session_get_needs_password (session));
  g_assert_cmpint (messenger_account_get_state (account), !=, MESSENGER_ACCOUNT_ONLINE);

  /* Asked to remember a wrong password: it is not kept. */
  messenger_session_sign_in (session, "wrong-pw", TRUE);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_AUTHENTICATION);
  g_assert_true (messenger_session_get_needs_password (session));
  g_assert_null (keyring_password ("asker@localhost"));

  messenger_session_sign_in (session, "right-pw", TRUE);
  wait_online (session);
  g_assert_false (messenger_session_get_needs_password (session));
  WAIT_UNTIL ((kept = keyring_password ("asker@localhost")) != NULL);
  g_assert_cmpstr (kept, ==, "right-pw");
  shutdown (&profile);
}

/* A local account whose password the keyring lost still signs in: the app
 * runs that server and gives the account a new password. */
static void
test_local_password_is_renewed (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerSession) added = NULL;
  g_autofree char *kept = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MessengerSession *session;

  profile = open_profile (dir);
  added = add_local_account (profile, "forgetful", "first-pw", FALSE);
  g_clear_object (&added);
  shutdown (&profile);
  messenger_secret_clear_async ("forgetful@localhost", NULL, test_result_cb, &result);
  WAIT_RESULT (&result);

  profile = open_profile (dir);
  session = only_session (profile);
  messenger_profile_start (profile);
  wait_online (session);
  g_assert_false (messenger_session_get_needs_password (session));
  WAIT_UNTIL ((kept = keyring_password ("forgetful@localhost")) != NULL);
  g_assert_cmpstr (kept, !=, "first-pw");
  shutdown (&profile);
}

/* An account on a server we did not start (here the bundled one, reached
 * by name, so it is an ordinary account): its certificate is not trusted
 * until the person trusts it; the pin is saved with the account. */
static void
test_trust_certificate_is_saved (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerSession) local = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(MessengerStoreAccount) settings = NULL;
  g_autoptr(MessengerSession) session = NULL;
  g_autoptr(MessengerSession) twice = NULL;
  MessengerLocalServer *server;

  profile = open_profile (dir);
  /* Start the bundled server and make a user on it through the profile. */
  local = add_local_account (profile, "owner", "owner-pw", FALSE);
  server = messenger_profile_get_local_server (profile);

  account = messenger_account_new ("owner@localhost");
  messenger_account_set_server (account, "localhost", messenger_local_server_get_port (server));
  messenger_account_set_password (account, "owner-pw");
  messenger_account_set_reconnect_delay (account, 60);

  /* The same address twice is refused. */
  twice = add_account (profile, account, NULL, FALSE, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);

  remove_account (profile, local);
  g_assert_cmpuint (g_list_model_get_n_items (messenger_profile_get_sessions (profile)), ==, 0);

  session = add_account (profile, account, "owner-pw", FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (messenger_session_get_local (session));
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_CERTIFICATE);
  g_assert_nonnull (messenger_account_get_certificate_info (account));

  messenger_session_trust_certificate (session);
  wait_online (session);
  g_assert_cmpstr (messenger_account_get_pinned_fingerprint (account), ==,
                   messenger_local_server_get_fingerprint (server));

  WAIT_UNTIL ((settings = messenger_store_get_account (messenger_profile_get_store (profile),
                                                       messenger_session_get_account_id (session), NULL)) != NULL
              && settings->pinned_fingerprint != NULL);
  g_assert_cmpstr (settings->pinned_fingerprint, ==, messenger_local_server_get_fingerprint (server));
  g_assert_cmpstr (settings->server, ==, "localhost");
  g_assert_cmpuint (settings->port, ==, messenger_local_server_get_port (server));
  shutdown (&profile);
}

/* Removing an account forgets its settings and its password. */
static void
test_remove_account_forgets_it (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerSession) session = NULL;
  g_autofree char *kept = NULL;

  profile = open_profile (dir);
  session = add_local_account (profile, "leaver", "leaver-pw", TRUE);
  WAIT_UNTIL ((kept = keyring_password ("leaver@localhost")) != NULL);

  remove_account (profile, session);
  g_assert_null (messenger_profile_lookup_session (profile, "leaver@localhost"));
  g_assert_null (keyring_password ("leaver@localhost"));
  shutdown (&profile);

  profile = open_profile (dir);
  g_assert_cmpuint (g_list_model_get_n_items (messenger_profile_get_sessions (profile)), ==, 0);
  shutdown (&profile);
}

/* A folder that cannot be made is a plain error, not a crash. */
static void
test_unusable_folder (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-profile-XXXXXX", &error);
  g_autofree char *file = g_build_filename (dir, "a-file", NULL);
  g_autofree char *inside = g_build_filename (file, "profile", NULL);
  g_autoptr(MessengerProfile) profile = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  profile = messenger_profile_open (inside, &error);
  g_assert_null (profile);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, inside));
}

int
main (int argc, char *argv[])
{
  g_autofree char *binary = NULL;

  g_test_init (&argc, &argv, NULL);
  binary = g_build_filename (g_getenv ("MESSENGER_BUILD_ROOT"), "src", "server", "messenger-server", NULL);
  g_setenv ("MESSENGER_SERVER_BINARY", binary, TRUE);

  g_test_add_func ("/profile/local-account-survives-restart", test_local_account_survives_restart);
  g_test_add_func ("/profile/shutdown-waits-for-close", test_shutdown_waits_for_close);
  g_test_add_func ("/profile/password-is-asked", test_password_is_asked);
  g_test_add_func ("/profile/local-password-is-renewed", test_local_password_is_renewed);
  g_test_add_func ("/profile/trust-certificate-is-saved", test_trust_certificate_is_saved);
  g_test_add_func ("/profile/remove-account-forgets-it", test_remove_account_forgets_it);
  g_test_add_func ("/profile/unusable-folder", test_unusable_folder);

  return g_test_run ();
}
