/* test-paths.c: where profiles keep their files */
#include "config.h"

#include "messenger-paths.h"

static void
test_paths_follow_xdg_data_home (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autofree char *server = NULL;
  g_autofree char *expected = NULL;

  dir = messenger_paths_profile_dir ("work");
  expected = g_build_filename (g_get_user_data_dir (), "messenger", "work", NULL);
  g_assert_cmpstr (dir, ==, expected);

  db = messenger_paths_profile_database (NULL);
  g_assert_true (g_str_has_suffix (db, "/messenger/default/messenger.db"));
  g_assert_true (g_str_has_prefix (db, g_get_user_data_dir ()));

  server = messenger_paths_local_server_dir ();
  g_assert_true (g_str_has_suffix (server, "/messenger/local-server"));
}

static void
test_paths_refuse_escaping_profile_names (void)
{
  if (g_test_subprocess ())
    {
      /* g_return_val_if_fail criticals are fatal under the test harness. */
      messenger_paths_profile_dir ("../../etc");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*profile_name_is_safe*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/paths/xdg", test_paths_follow_xdg_data_home);
  g_test_add_func ("/paths/unsafe-profile", test_paths_refuse_escaping_profile_names);

  return g_test_run ();
}
