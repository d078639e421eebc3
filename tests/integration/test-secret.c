/* test-secret.c: passwords in the keyring, and a clear error without one.
 *
 * Run by tests/integration/with-keyring (an unlocked throw-away keyring on
 * a private bus) for the round trip, and with no session bus at all for
 * the "no keyring" case (MESSENGER_TEST_NO_KEYRING=1). */
#include "config.h"

#include "messenger-secret.h"
#include "test-util.h"

static gboolean
store (const char  *jid,
       const char  *password,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_secret_store_async (jid, password, NULL, test_result_cb, &result);
  return messenger_secret_store_finish (WAIT_RESULT (&result), error);
}

static char *
lookup (const char  *jid,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_secret_lookup_async (jid, NULL, test_result_cb, &result);
  return messenger_secret_lookup_finish (WAIT_RESULT (&result), error);
}

static gboolean
clear (const char  *jid,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_secret_clear_async (jid, NULL, test_result_cb, &result);
  return messenger_secret_clear_finish (WAIT_RESULT (&result), error);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  gboolean stored;

  stored = store ("alice@example.org", "s3cret ☃", &error);
  g_assert_no_error (error);
  g_assert_true (stored);

  store ("bob@example.org", "other", &error);
  g_assert_no_error (error);

  /* Each account gets its own password back. */
  password = lookup ("alice@example.org", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "s3cret ☃");
  g_clear_pointer (&password, g_free);

  /* Storing again replaces. */
  store ("alice@example.org", "changed", &error);
  g_assert_no_error (error);
  password = lookup ("alice@example.org", NULL);
  g_assert_cmpstr (password, ==, "changed");
  g_clear_pointer (&password, g_free);

  clear ("alice@example.org", &error);
  g_assert_no_error (error);

  /* Gone: no password and no error. */
  password = lookup ("alice@example.org", &error);
  g_assert_no_error (error);
  g_assert_null (password);

  password = lookup ("bob@example.org", NULL);
  g_assert_cmpstr (password, ==, "other");
}

static void
test_no_keyring (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  g_assert_false (store ("alice@example.org", "pw", &error));
  g_assert_error (error, MESSENGER_SECRET_ERROR, MESSENGER_SECRET_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  password = lookup ("alice@example.org", &error);
  g_assert_null (password);
  g_assert_error (error, MESSENGER_SECRET_ERROR, MESSENGER_SECRET_ERROR_UNAVAILABLE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_strcmp0 (g_getenv ("MESSENGER_TEST_NO_KEYRING"), "1") == 0)
    g_test_add_func ("/secret/no-keyring", test_no_keyring);
  else
    g_test_add_func ("/secret/round-trip", test_round_trip);

  return g_test_run ();
}
