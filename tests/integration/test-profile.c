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
  gpointer  object;
  gboolean  ok;
  char     *string;
  GError   *error;
} Result;

static void
result_clear (Result *r)
{
  g_clear_object (&r->object);
  g_clear_pointer (&r->string, g_free);
  g_clear_error (&r->error);
  memset (r, 0, sizeof *r);
}

static void
local_account_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->object = messenger_profile_create_local_account_finish (MESSENGER_PROFILE (source), result, &r->error);
  r->done = TRUE;
}

static void
added_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->object = messenger_profile_add_account_finish (MESSENGER_PROFILE (source), result, &r->error);
  r->done = TRUE;
}

static void
removed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->ok = messenger_profile_remove_account_finish (MESSENGER_PROFILE (source), result, &r->error);
  r->done = TRUE;
}

static void
lookup_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->string = messenger_secret_lookup_finish (result, &r->error);
  r->done = TRUE;
}

static char *
keyring_password (const char *jid)
{
  Result r = { 0 };
  char *password;

  messenger_secret_lookup_async (jid, NULL, lookup_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  password = g_steal_pointer (&r.string);
  result_clear (&r);
  return password;
}

static MessengerSession *
add_local_account (MessengerProfile *profile,
                   const char       *username,
                   const char       *password,
                   gboolean          remember)
{
  g_autoptr(MessengerAccount) account = NULL;
  MessengerSession *session;
  Result r = { 0 };

  messenger_profile_create_local_account_async (profile, username, password, NULL, local_account_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  account = g_steal_pointer (&r.object);
  result_clear (&r);

  messenger_profile_add_account_async (profile, account, password, remember, NULL, added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  session = g_steal_pointer (&r.object);
  result_clear (&r);
  return session;
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

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
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

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
  session = only_session (profile);
  g_assert_true (messenger_session_get_local (session));
  g_assert_cmpint (messenger_account_get_state (messenger_session_get_account (session)), ==,
                   MESSENGER_ACCOUNT_OFFLINE);
  messenger_profile_start (profile);
  wait_online (session);
  g_assert_false (messenger_session_get_needs_password (session));
  shutdown (&profile);
}

static void
user_added_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->ok = messenger_local_server_add_user_finish (MESSENGER_LOCAL_SERVER (source), result, &r->error);
  r->done = TRUE;
}

static void
cleared_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->ok = messenger_secret_clear_finish (result, &r->error);
  r->done = TRUE;
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
  MessengerLocalServer *server;
  Result r = { 0 };

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
  owner = add_local_account (profile, "owner", "owner-pw", FALSE);
  server = messenger_profile_get_local_server (profile);
  messenger_local_server_add_user_async (server, "asker", "right-pw", NULL, user_added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  result_clear (&r);

  account = messenger_account_new ("asker@localhost");
  messenger_account_set_server (account, "localhost", messenger_local_server_get_port (server));
  messenger_account_set_pinned_fingerprint (account, messenger_local_server_get_fingerprint (server));
  messenger_account_set_reconnect_delay (account, 60);
  messenger_profile_add_account_async (profile, account, NULL, FALSE, NULL, added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  session = g_steal_pointer (&r.object);
  result_clear (&r);
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
  MessengerSession *session;
  Result r = { 0 };

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
  added = add_local_account (profile, "forgetful", "first-pw", FALSE);
  g_clear_object (&added);
  shutdown (&profile);
  messenger_secret_clear_async ("forgetful@localhost", NULL, cleared_cb, &r);
  WAIT_UNTIL (r.done);
  result_clear (&r);

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
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
  MessengerLocalServer *server;
  MessengerSession *session;
  Result r = { 0 };

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
  /* Start the bundled server and make a user on it through the profile. */
  local = add_local_account (profile, "owner", "owner-pw", FALSE);
  server = messenger_profile_get_local_server (profile);

  account = messenger_account_new ("owner@localhost");
  messenger_account_set_server (account, "localhost", messenger_local_server_get_port (server));
  messenger_account_set_password (account, "owner-pw");
  messenger_account_set_reconnect_delay (account, 60);

  /* The same address twice is refused. */
  messenger_profile_add_account_async (profile, account, NULL, FALSE, NULL, added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  result_clear (&r);

  messenger_profile_remove_account_async (profile, local, NULL, removed_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  result_clear (&r);
  g_assert_cmpuint (g_list_model_get_n_items (messenger_profile_get_sessions (profile)), ==, 0);

  messenger_profile_add_account_async (profile, account, "owner-pw", FALSE, NULL, added_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  session = r.object;
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
  result_clear (&r);
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
  Result r = { 0 };

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
  session = add_local_account (profile, "leaver", "leaver-pw", TRUE);
  WAIT_UNTIL ((kept = keyring_password ("leaver@localhost")) != NULL);

  messenger_profile_remove_account_async (profile, session, NULL, removed_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  result_clear (&r);
  g_assert_null (messenger_profile_lookup_session (profile, "leaver@localhost"));
  g_assert_null (keyring_password ("leaver@localhost"));
  shutdown (&profile);

  profile = messenger_profile_open (dir, &error);
  g_assert_no_error (error);
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
  g_test_add_func ("/profile/password-is-asked", test_password_is_asked);
  g_test_add_func ("/profile/local-password-is-renewed", test_local_password_is_renewed);
  g_test_add_func ("/profile/trust-certificate-is-saved", test_trust_certificate_is_saved);
  g_test_add_func ("/profile/remove-account-forgets-it", test_remove_account_forgets_it);
  g_test_add_func ("/profile/unusable-folder", test_unusable_folder);

  return g_test_run ();
}
