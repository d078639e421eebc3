/* test-util.h: waiting on the main loop in the integration tests
 *
 * WAIT_UNTIL (cond) runs the default main context until @cond holds.  It
 * fails the test, naming the condition and where it was waited for, once
 * TEST_WAIT_SECONDS have passed; a tick wakes the loop while it waits, so
 * the deadline is seen even when nothing else happens.
 *
 * An async call's outcome is caught whole, whatever the call:
 *
 *   g_autoptr(GAsyncResult) result = NULL;
 *
 *   messenger_store_flush_async (store, NULL, test_result_cb, &result);
 *   ok = messenger_store_flush_finish (store, WAIT_RESULT (&result), &error);
 *
 * @result owns what was caught: clear it before it catches the next one.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TEST_WAIT_SECONDS 30

/* g_test_init () in the C locale, so messages compare as written. */
void          test_init           (int           *argc,
                                   char        ***argv);

typedef struct
{
  gint64      deadline;
  guint       tick;
  const char *file;
  int         line;
  const char *cond;
} TestWait;

void          test_wait_begin     (TestWait      *wait,
                                   const char    *file,
                                   int            line,
                                   const char    *cond);
void          test_wait_iterate   (TestWait      *wait);
void          test_wait_end       (TestWait      *wait);

#define WAIT_UNTIL(cond) \
  G_STMT_START { \
    TestWait _wait; \
    test_wait_begin (&_wait, __FILE__, __LINE__, #cond); \
    while (!(cond)) \
      test_wait_iterate (&_wait); \
    test_wait_end (&_wait); \
  } G_STMT_END

/* Called before a wait that timed out fails the test, e.g. to stop a
 * server that would otherwise outlive it. */
typedef void (*TestTimeoutFunc) (gpointer user_data);

void          test_set_timeout_func (TestTimeoutFunc  func,
                                     gpointer         user_data);

/* A GAsyncReadyCallback: @user_data is a GAsyncResult ** holding NULL,
 * which gets a reference to the result. */
void          test_result_cb      (GObject       *source,
                                   GAsyncResult  *result,
                                   gpointer       user_data);
/* Waits until @result has caught a result and returns it (still owned
 * by @result). */
GAsyncResult *test_wait_result    (GAsyncResult **result,
                                   const char    *file,
                                   int            line);

#define WAIT_RESULT(result) test_wait_result ((result), __FILE__, __LINE__)

/* Lets the main loop run for @ms milliseconds. */
void          test_run_for        (guint          ms);

/* Deletes @path and everything below it. */
void          test_remove_tree    (const char    *path);

G_END_DECLS
