/* test-util.c: waiting on the main loop in the integration tests */
#include "config.h"

#include <glib/gstdio.h>

#include "test-util.h"

static TestTimeoutFunc timeout_func;
static gpointer timeout_data;

void
test_init (int    *argc,
           char ***argv)
{
  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (argc, argv, NULL);
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
test_wait_begin (TestWait   *wait,
                 const char *file,
                 int         line,
                 const char *cond)
{
  wait->deadline = g_get_monotonic_time () + TEST_WAIT_SECONDS * G_USEC_PER_SEC;
  wait->tick = 0;
  wait->file = file;
  wait->line = line;
  wait->cond = cond;
}

void
test_wait_iterate (TestWait *wait)
{
  if (wait->tick == 0)
    wait->tick = g_timeout_add (100, tick_cb, NULL);
  if (g_get_monotonic_time () >= wait->deadline)
    {
      if (timeout_func != NULL)
        timeout_func (timeout_data);
      g_error ("%s:%d: timed out waiting for %s", wait->file, wait->line, wait->cond);
    }
  g_main_context_iteration (NULL, TRUE);
}

void
test_wait_end (TestWait *wait)
{
  g_clear_handle_id (&wait->tick, g_source_remove);
}

void
test_set_timeout_func (TestTimeoutFunc func,
                       gpointer        user_data)
{
  timeout_func = func;
  timeout_data = user_data;
}

void
test_result_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **caught = user_data;

  /* One still held would be lost, or waited for by mistake. */
  g_assert_null (*caught);
  *caught = g_object_ref (result);
}

GAsyncResult *
test_wait_result (GAsyncResult **result,
                  const char    *file,
                  int            line)
{
  TestWait wait;

  test_wait_begin (&wait, file, line, "a result");
  while (*result == NULL)
    test_wait_iterate (&wait);
  test_wait_end (&wait);
  return *result;
}

static gboolean
elapsed_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
test_run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, elapsed_cb, &done);
  WAIT_UNTIL (done);
}

void
test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
