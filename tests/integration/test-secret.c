/* test-secret.c: passwords in the keyring, and a clear error without one.
 *
 * Run by tests/integration/with-keyring (an unlocked throw-away keyring on
 * a private bus) for the round trip, and with no session bus at all for
 * the "no keyring" case (MESSENGER_TEST_NO_KEYRING=1). */
#include "config.h"

#include "messenger-secret.h"

typedef struct
{
  gboolean  done;
  gboolean  ok;
  char     *password;
  GError   *error;
} Result;

static void
store_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->ok = messenger_secret_store_finish (result, &r->error);
  r->done = TRUE;
}

static void
lookup_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->password = messenger_secret_lookup_finish (result, &r->error);
  r->done = TRUE;
}

static void
clear_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;
  r->ok = messenger_secret_clear_finish (result, &r->error);
  r->done = TRUE;
}

static void
wait_for (Result *r)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!r->done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->password, g_free);
  g_clear_error (&r->error);
  r->done = r->ok = FALSE;
}

static void
test_round_trip (void)
{
  Result r = { 0 };

  messenger_secret_store_async ("alice@example.org", "s3cret ☃", NULL, store_cb, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  result_clear (&r);

  messenger_secret_store_async ("bob@example.org", "other", NULL, store_cb, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  result_clear (&r);

  /* Each account gets its own password back. */
  messenger_secret_lookup_async ("alice@example.org", NULL, lookup_cb, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.password, ==, "s3cret ☃");
  result_clear (&r);

  /* Storing again replaces. */
  messenger_secret_store_async ("alice@example.org", "changed", NULL, store_cb, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  result_clear (&r);
  messenger_secret_lookup_async ("alice@example.org", NULL, lookup_cb, &r);
  wait_for (&r);
  g_assert_cmpstr (r.password, ==, "changed");
  result_clear (&r);

  messenger_secret_clear_async ("alice@example.org", NULL, clear_cb, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  result_clear (&r);

  /* Gone: no password and no error. */
  messenger_secret_lookup_async ("alice@example.org", NULL, lookup_cb, &r);
  wait_for (&r);
  g_assert_no_error (r.error);
  g_assert_null (r.password);
  result_clear (&r);

  messenger_secret_lookup_async ("bob@example.org", NULL, lookup_cb, &r);
  wait_for (&r);
  g_assert_cmpstr (r.password, ==, "other");
  result_clear (&r);
}

static void
test_no_keyring (void)
{
  Result r = { 0 };

  messenger_secret_store_async ("alice@example.org", "pw", NULL, store_cb, &r);
  wait_for (&r);
  g_assert_false (r.ok);
  g_assert_error (r.error, MESSENGER_SECRET_ERROR, MESSENGER_SECRET_ERROR_UNAVAILABLE);
  result_clear (&r);

  messenger_secret_lookup_async ("alice@example.org", NULL, lookup_cb, &r);
  wait_for (&r);
  g_assert_null (r.password);
  g_assert_error (r.error, MESSENGER_SECRET_ERROR, MESSENGER_SECRET_ERROR_UNAVAILABLE);
  result_clear (&r);
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
