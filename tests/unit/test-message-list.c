/* test-message-list.c: paging a conversation's history, and the checker
 *
 * Windows of page size 5 and at most 3 pages (15 messages), over
 * histories at the edges: empty, exactly one page, one page and one
 * message, many pages; older pages, live messages while paged back, the
 * bound on memory, a thread's own list, the unread flag of each message
 * following mark_read().  Every change is checked by a
 * ModelChecker, which is itself shown to catch a wrong items-changed.
 */
#include "config.h"

#include <locale.h>

#include "messenger-conversation-list.h"
#include "messenger-message-list.h"
#include "model-checker.h"
#include "model-fixture.h"

#define T0        ((gint64) 1700000000 * G_USEC_PER_SEC)
#define PAGE      5
#define MAX_PAGES 3
/* The batching test's page: a flood there is a third of it (2). */
#define BATCH_PAGE 6

typedef struct
{
  ModelFixture               base;
  MessengerConversationList *list;
  MessengerConversation     *bob;
  guint                      live;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  model_fixture_set_up (&fixture->base, data);
}

static void
fixture_start (Fixture *fixture,
               guint    history)
{
  model_fixture_add_history (&fixture->base, BOB, "t", history, T0);
  fixture->list = messenger_conversation_list_new (fixture->base.account, fixture->base.store,
                                                   fixture->base.account_id, NULL);
  fixture->bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->list);
  model_fixture_tear_down (&fixture->base, data);
}

/* A live message from Bob, newer than the history. */
static void
receive_live (Fixture    *fixture,
              const char *thread)
{
  g_autofree char *body = g_strdup_printf ("live %u", fixture->live);
  g_autofree char *origin = g_strdup_printf ("live-%u", fixture->live);
  g_autoptr(XmppMessage) message = model_fixture_message (BOB, body, thread, origin);

  fixture->live++;
  g_signal_emit_by_name (fixture->base.account, "message", message);
  model_fixture_flush (&fixture->base);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static const char *
body_at (MessengerMessageList *list,
         guint                 position)
{
  g_autoptr(MessengerMessage) message = g_list_model_get_item (G_LIST_MODEL (list), position);

  return messenger_message_get_body (message);
}

static guint
n_items (MessengerMessageList *list)
{
  return g_list_model_get_n_items (G_LIST_MODEL (list));
}

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(MessengerMessageList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;

  fixture_start (fixture, 0);
  list = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  checker = model_checker_new (G_LIST_MODEL (list));

  g_assert_cmpuint (n_items (list), ==, 0);
  g_assert_false (messenger_message_list_get_has_older (list));
  g_assert_false (messenger_message_list_get_has_newer (list));
  g_assert_false (messenger_message_list_load_older (list));
  g_assert_false (messenger_message_list_load_newer (list));
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 0);

  /* The first live message appears. */
  receive_live (fixture, "t");
  g_assert_cmpuint (n_items (list), ==, 1);
  g_assert_cmpstr (body_at (list, 0), ==, "live 0");
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
}

static void
test_exactly_one_page (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MessengerMessageList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;

  fixture_start (fixture, PAGE);
  list = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  checker = model_checker_new (G_LIST_MODEL (list));

  /* The whole history, and it is known there is nothing before it. */
  g_assert_cmpuint (n_items (list), ==, PAGE);
  g_assert_cmpstr (body_at (list, 0), ==, "message 0");
  g_assert_cmpstr (body_at (list, PAGE - 1), ==, "message 4");
  g_assert_false (messenger_message_list_get_has_older (list));
  g_assert_false (messenger_message_list_load_older (list));
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 0);
}

static void
test_page_boundary (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(MessengerMessageList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  guint has_older_notifies = 0;

  fixture_start (fixture, PAGE + 1);
  list = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  checker = model_checker_new (G_LIST_MODEL (list));
  g_signal_connect (list, "notify::has-older", G_CALLBACK (count_notify_cb), &has_older_notifies);

  /* The newest page; one message before it. */
  g_assert_cmpuint (n_items (list), ==, PAGE);
  g_assert_cmpstr (body_at (list, 0), ==, "message 1");
  g_assert_true (messenger_message_list_get_has_older (list));

  /* One page at the top: a single items-changed at 0. */
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_assert_cmpuint (model_checker_get_n_added (checker), ==, 1);
  g_assert_cmpuint (n_items (list), ==, PAGE + 1);
  g_assert_cmpstr (body_at (list, 0), ==, "message 0");
  g_assert_false (messenger_message_list_get_has_older (list));
  g_assert_cmpuint (has_older_notifies, ==, 1);
  g_assert_false (messenger_message_list_load_older (list));
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_signal_handlers_disconnect_by_data (list, &has_older_notifies);
}

/* Back through history to the window's bound; the newest end is then
 * dropped, live messages wait, and the window comes back. */
static void
test_older_pages_then_live (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(MessengerMessageList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  guint has_newer_notifies = 0;

  fixture_start (fixture, 23);
  list = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  checker = model_checker_new (G_LIST_MODEL (list));
  g_signal_connect (list, "notify::has-newer", G_CALLBACK (count_notify_cb), &has_newer_notifies);

  g_assert_cmpuint (n_items (list), ==, 5);
  g_assert_cmpstr (body_at (list, 0), ==, "message 18");

  /* One page back: the window is not full, a live message still goes in
   * at the bottom. */
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpuint (n_items (list), ==, 10);
  g_assert_cmpstr (body_at (list, 0), ==, "message 13");
  receive_live (fixture, "t");
  g_assert_cmpuint (n_items (list), ==, 11);
  g_assert_cmpstr (body_at (list, 10), ==, "live 0");

  /* Past the bound: the page comes in at the top, and the excess at the
   * newest end goes (the live message with it). */
  model_checker_reset_counts (checker);
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpuint (n_items (list), ==, 15);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 2);
  g_assert_cmpuint (model_checker_get_n_added (checker), ==, 5);
  g_assert_cmpuint (model_checker_get_n_removed (checker), ==, 1);
  g_assert_cmpstr (body_at (list, 14), ==, "message 22");
  g_assert_true (messenger_message_list_get_has_newer (list));
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpuint (n_items (list), ==, 15);
  g_assert_cmpstr (body_at (list, 0), ==, "message 3");
  g_assert_cmpstr (body_at (list, 14), ==, "message 17");
  g_assert_true (messenger_message_list_get_has_newer (list));
  g_assert_true (messenger_message_list_get_has_older (list));
  g_assert_cmpuint (has_newer_notifies, ==, 1);

  /* Live messages now wait beyond the window. */
  model_checker_reset_counts (checker);
  receive_live (fixture, "t");
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 0);
  g_assert_cmpuint (n_items (list), ==, 15);

  /* Back down: pages at the bottom, the top trimmed, until the newest. */
  g_assert_true (messenger_message_list_load_newer (list));
  g_assert_cmpuint (n_items (list), ==, 15);
  g_assert_cmpstr (body_at (list, 14), ==, "message 22");
  g_assert_true (messenger_message_list_get_has_newer (list));
  g_assert_true (messenger_message_list_load_newer (list));
  g_assert_cmpstr (body_at (list, 14), ==, "live 1");
  g_assert_false (messenger_message_list_get_has_newer (list));
  g_assert_false (messenger_message_list_load_newer (list));

  /* Attached again: live messages go in, the window stays bounded. */
  receive_live (fixture, "t");
  g_assert_cmpuint (n_items (list), ==, 15);
  g_assert_cmpstr (body_at (list, 14), ==, "live 2");

  /* Reading far back, then jumping to the newest page. */
  while (messenger_message_list_load_older (list))
    ;
  g_assert_cmpstr (body_at (list, 0), ==, "message 0");
  g_assert_false (messenger_message_list_get_has_older (list));
  g_assert_true (messenger_message_list_get_has_newer (list));
  messenger_message_list_jump_to_newest (list);
  g_assert_cmpuint (n_items (list), ==, PAGE);
  g_assert_cmpstr (body_at (list, PAGE - 1), ==, "live 2");
  g_assert_false (messenger_message_list_get_has_newer (list));
  g_assert_true (messenger_message_list_get_has_older (list));

  g_signal_handlers_disconnect_by_data (list, &has_newer_notifies);
}

/* A flood of live messages at the newest end: memory stays bounded. */
static void
test_live_bounded (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MessengerMessageList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;

  fixture_start (fixture, 3);
  list = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  checker = model_checker_new (G_LIST_MODEL (list));
  g_assert_false (messenger_message_list_get_has_older (list));

  for (guint i = 0; i < 20; i++)
    receive_live (fixture, i % 2 == 0 ? "t" : "u");
  g_assert_cmpuint (n_items (list), ==, PAGE * MAX_PAGES);
  g_assert_cmpstr (body_at (list, PAGE * MAX_PAGES - 1), ==, "live 19");
  g_assert_true (messenger_message_list_get_has_older (list));
  g_assert_false (messenger_message_list_get_has_newer (list));

  /* What was dropped comes back from the store. */
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpstr (body_at (list, 0), ==, "live 0");
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpstr (body_at (list, 0), ==, "message 0");
  g_assert_false (messenger_message_list_get_has_older (list));
  g_assert_true (messenger_message_list_get_has_newer (list));
}

/* A thread's own list: only its messages, also live. */
static void
test_thread_list (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(MessengerMessageList) thread_t = NULL;
  g_autoptr(MessengerMessageList) thread_u = NULL;
  g_autoptr(MessengerMessageList) all = NULL;
  g_autoptr(ModelChecker) checker_t = NULL;
  g_autoptr(ModelChecker) checker_u = NULL;
  g_autoptr(ModelChecker) checker_all = NULL;

  fixture_start (fixture, 4);
  model_fixture_add_history (&fixture->base, BOB, "u", 2, T0 + 100 * G_USEC_PER_SEC);
  thread_t = messenger_message_list_new_full (fixture->bob, "t", PAGE, MAX_PAGES);
  thread_u = messenger_message_list_new_full (fixture->bob, "u", PAGE, MAX_PAGES);
  all = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  checker_t = model_checker_new (G_LIST_MODEL (thread_t));
  checker_u = model_checker_new (G_LIST_MODEL (thread_u));
  checker_all = model_checker_new (G_LIST_MODEL (all));

  g_assert_cmpuint (n_items (thread_t), ==, 4);
  g_assert_cmpuint (n_items (thread_u), ==, 2);
  g_assert_cmpuint (n_items (all), ==, 5);
  g_assert_cmpstr (messenger_message_list_get_thread_id (thread_u), ==, "u");

  receive_live (fixture, "u");
  g_assert_cmpuint (n_items (thread_t), ==, 4);
  g_assert_cmpuint (n_items (thread_u), ==, 3);
  g_assert_cmpuint (n_items (all), ==, 6);
  g_assert_cmpstr (body_at (thread_u, 2), ==, "live 0");
  g_assert_cmpstr (body_at (all, 5), ==, "live 0");
}

static MessengerMessage *
item_with_body (MessengerMessageList *list,
                const char           *body)
{
  for (guint i = 0; i < n_items (list); i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (g_strcmp0 (messenger_message_get_body (message), body) == 0)
        return message;   /* borrowed: the list holds it */
    }
  g_assert_not_reached ();
}

/* Which of the list's messages are unread, as "message 0, live 0". */
static char *
unread_bodies (MessengerMessageList *list)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < n_items (list); i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (!messenger_message_get_unread (message))
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, messenger_message_get_body (message));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_unread (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(MessengerMessageList) all = NULL;
  g_autoptr(MessengerMessageList) thread_t = NULL;
  g_autoptr(MessengerMessageList) again = NULL;
  g_autofree char *unread = NULL;
  guint notified = 0;

  /* In thread t: message 0, 2 and 4 are Bob's and unread; then one in u. */
  fixture_start (fixture, 6);
  receive_live (fixture, "u");
  all = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  thread_t = messenger_message_list_new_full (fixture->bob, "t", PAGE, MAX_PAGES);
  unread = unread_bodies (all);
  g_assert_cmpstr (unread, ==, "message 2, message 4, live 0");   /* message 0 is a page back */
  g_clear_pointer (&unread, g_free);
  unread = unread_bodies (thread_t);
  g_assert_cmpstr (unread, ==, "message 2, message 4");
  g_clear_pointer (&unread, g_free);
  for (guint i = 0; i < n_items (all); i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (G_LIST_MODEL (all), i);

      g_signal_connect (message, "notify::unread", G_CALLBACK (count_notify_cb), &notified);
    }

  /* Thread t up to message 2: only those, in both lists, once stored. */
  messenger_conversation_mark_read (fixture->bob, "t",
                                    messenger_message_get_id (item_with_body (all, "message 2")));
  g_assert_true (messenger_message_get_unread (item_with_body (all, "message 2")));
  model_fixture_flush (&fixture->base);
  unread = unread_bodies (all);
  g_assert_cmpstr (unread, ==, "message 4, live 0");
  g_clear_pointer (&unread, g_free);
  unread = unread_bodies (thread_t);
  g_assert_cmpstr (unread, ==, "message 4");
  g_clear_pointer (&unread, g_free);
  g_assert_cmpuint (notified, ==, 1);

  /* A live message arrives unread; then everything is read. */
  receive_live (fixture, "t");
  unread = unread_bodies (thread_t);
  g_assert_cmpstr (unread, ==, "message 4, live 1");
  g_clear_pointer (&unread, g_free);
  messenger_conversation_mark_read (fixture->bob, NULL, 0);
  model_fixture_flush (&fixture->base);
  unread = unread_bodies (all);
  g_assert_cmpstr (unread, ==, "");
  g_clear_pointer (&unread, g_free);
  unread = unread_bodies (thread_t);
  g_assert_cmpstr (unread, ==, "");
  g_clear_pointer (&unread, g_free);
  g_assert_cmpuint (notified, ==, 3);

  /* Nothing left to mark: no notification. */
  messenger_conversation_mark_read (fixture->bob, NULL, 0);
  model_fixture_flush (&fixture->base);
  g_assert_cmpuint (notified, ==, 3);

  /* The store agrees. */
  again = messenger_message_list_new_full (fixture->bob, NULL, PAGE, MAX_PAGES);
  unread = unread_bodies (again);
  g_assert_cmpstr (unread, ==, "");
}

/* live-delay: the first live message goes in at once, the ones right
 * after it wait and go in together (one items-changed); read marks reach
 * held messages; a batch of a third of a page or more replaces the
 * window with its newest third; paging and turning the delay off add what is
 * held first. */
static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *count)
{
  (*count)++;
}

static void
test_live_batched (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MessengerMessageList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autofree char *unread = NULL;
  guint changes = 0;

  fixture_start (fixture, 3);
  list = messenger_message_list_new_full (fixture->bob, NULL, BATCH_PAGE, MAX_PAGES);
  checker = model_checker_new (G_LIST_MODEL (list));
  g_signal_connect (list, "items-changed", G_CALLBACK (count_changes_cb), &changes);
  /* Long enough that no batch goes in by the clock during the test. */
  messenger_message_list_set_live_delay (list, 10000);
  g_assert_cmpuint (messenger_message_list_get_live_delay (list), ==, 10000);

  receive_live (fixture, "t");
  g_assert_cmpuint (n_items (list), ==, 4);
  g_assert_cmpuint (changes, ==, 1);

  receive_live (fixture, "u");
  g_assert_cmpuint (n_items (list), ==, 4);
  g_assert_cmpuint (changes, ==, 1);

  /* Read while held: it comes in read. */
  messenger_conversation_mark_read (fixture->bob, NULL, 0);
  model_fixture_flush (&fixture->base);
  messenger_message_list_flush (list);
  g_assert_cmpuint (n_items (list), ==, 5);
  g_assert_cmpuint (changes, ==, 2);
  g_assert_cmpstr (body_at (list, 3), ==, "live 0");
  g_assert_cmpstr (body_at (list, 4), ==, "live 1");
  unread = unread_bodies (list);
  g_assert_cmpstr (unread, ==, "");

  /* A flood: a third of a page or more at once replaces the window with
   * its newest third of a page, in one change. */
  for (guint i = 0; i < BATCH_PAGE + 2; i++)
    receive_live (fixture, "t");
  g_assert_cmpuint (n_items (list), ==, 5);
  changes = 0;
  messenger_message_list_flush (list);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (n_items (list), ==, BATCH_PAGE / 3);
  g_assert_cmpstr (body_at (list, 0), ==, "live 8");
  g_assert_cmpstr (body_at (list, BATCH_PAGE / 3 - 1), ==, "live 9");
  g_assert_true (messenger_message_list_get_has_older (list));
  g_assert_false (messenger_message_list_get_has_newer (list));

  /* Paging back adds the held one first, in its place; the flood's
   * messages that never went in come with the older page. */
  receive_live (fixture, "t");
  g_assert_cmpstr (body_at (list, n_items (list) - 1), ==, "live 9");
  g_assert_true (messenger_message_list_load_older (list));
  g_assert_cmpuint (n_items (list), ==, BATCH_PAGE / 3 + 1 + BATCH_PAGE);
  g_assert_cmpstr (body_at (list, n_items (list) - 1), ==, "live 10");
  g_assert_cmpstr (body_at (list, 0), ==, "live 2");

  /* Without a delay, what is held goes in. */
  messenger_message_list_follow_newest (list);
  receive_live (fixture, "t");
  g_assert_cmpstr (body_at (list, n_items (list) - 1), ==, "live 10");
  messenger_message_list_set_live_delay (list, 0);
  g_assert_cmpstr (body_at (list, n_items (list) - 1), ==, "live 11");
  receive_live (fixture, "t");
  g_assert_cmpstr (body_at (list, n_items (list) - 1), ==, "live 12");
}

/* The checker catches a model whose items-changed does not match what
 * changed. */
static void
swallow_cb (GListModel *model,
            guint       position,
            guint       removed,
            guint       added,
            gboolean   *swallow)
{
  if (*swallow)
    g_signal_stop_emission_by_name (model, "items-changed");
}

static void
test_checker_catches_errors (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
      g_autoptr(GObject) a = g_object_new (G_TYPE_OBJECT, NULL);
      g_autoptr(GObject) b = g_object_new (G_TYPE_OBJECT, NULL);
      g_autoptr(ModelChecker) checker = NULL;
      gboolean swallow = FALSE;

      g_signal_connect (store, "items-changed", G_CALLBACK (swallow_cb), &swallow);
      checker = model_checker_new (G_LIST_MODEL (store));
      g_list_store_append (store, a);
      /* b goes in at 0 unannounced, then is announced at 1. */
      swallow = TRUE;
      g_list_store_insert (store, 0, b);
      swallow = FALSE;
      g_list_model_items_changed (G_LIST_MODEL (store), 1, 0, 1);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*ERROR*");
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/message-list/empty", test_empty);
  ADD ("/message-list/exactly-one-page", test_exactly_one_page);
  ADD ("/message-list/page-boundary", test_page_boundary);
  ADD ("/message-list/older-pages-then-live", test_older_pages_then_live);
  ADD ("/message-list/live-bounded", test_live_bounded);
  ADD ("/message-list/live-batched", test_live_batched);
  ADD ("/message-list/thread", test_thread_list);
  ADD ("/message-list/unread", test_unread);
  g_test_add_func ("/model-checker/catches-errors", test_checker_catches_errors);

#undef ADD

  return g_test_run ();
}
