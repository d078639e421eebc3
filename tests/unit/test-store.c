/* test-store.c: opening the SQLite cache */
#include "config.h"

#include <glib/gstdio.h>

#include "messenger-store.h"

static void
test_store_open_creates_wal_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-store-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(MessengerStore) store = NULL;
  g_autofree char *mode = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "profile", "messenger.db", NULL);
  store = messenger_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (messenger_store_get_path (store), ==, path);

  mode = messenger_store_get_journal_mode (store);
  g_assert_cmpstr (mode, ==, "wal");
}

static void
test_store_open_reports_unwritable_location (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-store-XXXXXX", &error);
  g_autofree char *blocker = g_build_filename (dir, "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "messenger.db", NULL);

  /* A plain file where the folder should be: the store must say so. */
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  store = messenger_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/open/wal", test_store_open_creates_wal_database);
  g_test_add_func ("/store/open/unwritable", test_store_open_reports_unwritable_location);

  return g_test_run ();
}
