/* test-conversation-view.c: the conversation pane on a real display
 *
 * The view, its rows, composer and thread switcher over real models (a
 * temporary store, an offline account: see tests/unit/model-fixture.h),
 * in a window under Xvfb (headless-run).  Widgets are found the way the
 * AT-SPI tests find them: by their accessible names and visible texts.
 */
#include "config.h"

#include <math.h>

#include <adwaita.h>

#include "messenger-composer.h"
#include "messenger-conversation-list.h"
#include "messenger-conversation-private.h"
#include "messenger-conversation-view.h"
#include "messenger-message-list.h"
#include "messenger-message-row.h"
#include "messenger-thread.h"
#include "messenger-thread-switcher.h"
#include "model-fixture.h"
#include "widget-util.h"

/* 2024-03-07 12:00:00 UTC */
#define T0 (G_GINT64_CONSTANT (1709812800) * G_USEC_PER_SEC)

typedef struct
{
  ModelFixture               base;
  MessengerConversationList *list;
  GtkWindow                  *window;
  MessengerConversationView  *view;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  model_fixture_set_up (&fixture->base, data);
  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (fixture->window, "Conversation test");
  gtk_window_set_default_size (fixture->window, 480, 640);
  fixture->view = MESSENGER_CONVERSATION_VIEW (messenger_conversation_view_new ());
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->view));
  gtk_window_present (fixture->window);
}

static void
fixture_start (Fixture *fixture)
{
  fixture->list = messenger_conversation_list_new (fixture->base.account, fixture->base.store,
                                                   fixture->base.account_id, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->list);
  model_fixture_tear_down (&fixture->base, data);
}

/* Widgets by what a person (or a screen reader) sees */

static gboolean
is_type (GtkWidget     *widget,
         gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static GtkWidget *
visible_label (Fixture    *fixture,
               const char *text)
{
  return find_widget (GTK_WIDGET (fixture->view), is_visible_label, text);
}

static GtkWidget *
named (Fixture    *fixture,
       const char *name)
{
  return find_widget (GTK_WIDGET (fixture->view), has_accessible_label, name);
}

/* Where a message's text is, from the top of the visible part of the
 * list; FALSE when it is not laid out. */
static gboolean
label_y (Fixture    *fixture,
         const char *text,
         double     *y)
{
  GtkWidget *label = visible_label (fixture, text);
  GtkWidget *scrolled;
  graphene_point_t point;

  if (label == NULL)
    return FALSE;
  scrolled = gtk_widget_get_ancestor (label, GTK_TYPE_SCROLLED_WINDOW);
  if (!gtk_widget_compute_point (label, scrolled, &GRAPHENE_POINT_INIT (0, 0), &point))
    return FALSE;
  *y = point.y;
  return TRUE;
}

static GtkListView *
message_list_view (Fixture *fixture)
{
  GtkWidget *list = named (fixture, "Messages");

  g_assert_true (GTK_IS_LIST_VIEW (list));
  return GTK_LIST_VIEW (list);
}

static guint
n_rows (Fixture *fixture)
{
  GtkSelectionModel *model = gtk_list_view_get_model (message_list_view (fixture));

  return model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (model)) : 0;
}

static GtkAdjustment *
vadjustment (Fixture *fixture)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (message_list_view (fixture)));
}

static gboolean
at_bottom (Fixture *fixture)
{
  GtkAdjustment *adjustment = vadjustment (fixture);

  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment)
         >= gtk_adjustment_get_upper (adjustment) - 8;
}

static MessengerComposer *
composer (Fixture *fixture)
{
  GtkWidget *widget = find_widget (GTK_WIDGET (fixture->view), is_type,
                                   GSIZE_TO_POINTER (MESSENGER_TYPE_COMPOSER));

  g_assert_nonnull (widget);
  return MESSENGER_COMPOSER (widget);
}

/* The message of the row showing @text, NULL when none shows it. */
static MessengerMessage *
message_of_label (Fixture    *fixture,
                  const char *text)
{
  GtkWidget *label = visible_label (fixture, text);
  GtkWidget *row = label != NULL ? gtk_widget_get_ancestor (label, MESSENGER_TYPE_MESSAGE_ROW) : NULL;

  return row != NULL ? messenger_message_row_get_message (MESSENGER_MESSAGE_ROW (row)) : NULL;
}

static MessengerStoreMessage *
stored_with_body (Fixture    *fixture,
                  const char *peer,
                  const char *body,
                  guint      *count)
{
  g_autoptr(GPtrArray) rows = messenger_store_load_messages (fixture->base.store, fixture->base.account_id,
                                                             peer, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 500, NULL);
  MessengerStoreMessage *found = NULL;

  *count = 0;
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      MessengerStoreMessage *row = rows->pdata[i];

      if (g_strcmp0 (row->body, body) != 0)
        continue;
      (*count)++;
      if (found == NULL)
        found = g_ptr_array_steal_index (rows, i--);
    }
  return found;
}

static void
state_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  messenger_store_set_delivery_state_finish (MESSENGER_STORE (source), result, NULL);
}

static void
receive (Fixture    *fixture,
         const char *from,
         const char *body,
         const char *thread)
{
  static guint n;
  g_autofree char *origin = g_strdup_printf ("view-live-%u", n++);
  g_autoptr(XmppMessage) message = model_fixture_message (from, body, thread, origin);

  g_signal_emit_by_name (fixture->base.account, "message", message);
  model_fixture_flush (&fixture->base);
}

/* Texts */

static void
test_texts_day (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = g_date_time_new (utc, 2024, 3, 14, 10, 0, 0);
  g_autoptr(GDateTime) today = g_date_time_new (utc, 2024, 3, 14, 0, 5, 0);
  g_autoptr(GDateTime) yesterday = g_date_time_new (utc, 2024, 3, 13, 23, 59, 0);
  g_autoptr(GDateTime) monday = g_date_time_new (utc, 2024, 3, 11, 12, 0, 0);
  g_autoptr(GDateTime) this_year = g_date_time_new (utc, 2024, 1, 2, 12, 0, 0);
  g_autoptr(GDateTime) last_year = g_date_time_new (utc, 2023, 12, 31, 12, 0, 0);
  g_autofree char *a = messenger_message_row_format_day (today, now);
  g_autofree char *b = messenger_message_row_format_day (yesterday, now);
  g_autofree char *c = messenger_message_row_format_day (monday, now);
  g_autofree char *d = messenger_message_row_format_day (this_year, now);
  g_autofree char *e = messenger_message_row_format_day (last_year, now);

  g_assert_cmpstr (a, ==, "Today");
  g_assert_cmpstr (b, ==, "Yesterday");
  g_assert_cmpstr (c, ==, "Monday");
  g_assert_cmpstr (d, ==, "January 2");
  g_assert_cmpstr (e, ==, "December 31, 2023");
}

static void
test_texts_links (void)
{
  struct { const char *in, *out; } cases[] = {
    { "plain <b>text</b> & more", "plain &lt;b&gt;text&lt;/b&gt; &amp; more" },
    { "see https://example.org/a?b=1&c=2.", "see <a href=\"https://example.org/a?b=1&amp;c=2\">https://example.org/a?b=1&amp;c=2</a>." },
    { "(www.gnome.org)", "(<a href=\"https://www.gnome.org\">www.gnome.org</a>)" },
    { "https://en.wikipedia.org/wiki/C_(language)", "<a href=\"https://en.wikipedia.org/wiki/C_(language)\">https://en.wikipedia.org/wiki/C_(language)</a>" },
    { "xmpp:bob@example.org?message", "<a href=\"xmpp:bob@example.org?message\">xmpp:bob@example.org?message</a>" },
    { "你好 http://例子.测试/路径 好", "你好 <a href=\"http://例子.测试/路径\">http://例子.测试/路径</a> 好" },
    { "a\"b https://x.org/\"onclick", "a&quot;b <a href=\"https://x.org/\">https://x.org/</a>&quot;onclick" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *markup = messenger_message_row_markup_links (cases[i].in);
      GtkWidget *label = g_object_ref_sink (gtk_label_new (NULL));

      g_assert_cmpstr (markup, ==, cases[i].out);
      /* Invalid markup would warn, and warnings are fatal here. */
      gtk_label_set_markup (GTK_LABEL (label), markup);
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, cases[i].in);
      g_object_unref (label);
    }

  g_assert_cmpstr (messenger_message_row_describe_state (MESSENGER_DELIVERY_PENDING), ==, "Sending");
  g_assert_cmpstr (messenger_message_row_describe_state (MESSENGER_DELIVERY_ACKED), ==, "Sent");
  g_assert_cmpstr (messenger_message_row_describe_state (MESSENGER_DELIVERY_DELIVERED), ==, "Delivered");
  g_assert_cmpstr (messenger_message_row_describe_state (MESSENGER_DELIVERY_FAILED), ==, "Not sent");
}

/* The view */

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  run_frames (100);
  g_assert_nonnull (visible_label (fixture, "No Conversation Selected"));
  g_assert_nonnull (visible_label (fixture, "Choose a contact to start chatting."));
  g_assert_null (named (fixture, "Message"));
  g_assert_null (named (fixture, "Threads"));

  /* Folded: a back button. */
  g_assert_null (named (fixture, "Back"));
  g_object_set (fixture->view, "folded", TRUE, NULL);
  run_frames (50);
  g_assert_nonnull (named (fixture, "Back"));
}

static void
test_long_history (Fixture       *fixture,
                   gconstpointer  data)
{
  MessengerConversation *bob;
  guint before;
  gint64 start, opened;

  model_fixture_add_history (&fixture->base, BOB, "t", 10000, T0);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);

  start = g_get_monotonic_time ();
  messenger_conversation_view_set_conversation (fixture->view, bob);
  opened = g_get_monotonic_time () - start;
  run_frames (300);
  g_test_message ("opened a 10,000-message conversation in %.1f ms", opened / 1000.0);

  /* Only a window of the history is in memory. */
  g_assert_cmpuint (n_rows (fixture), <=, 300);
  g_assert_nonnull (visible_label (fixture, BOB));
  g_assert_nonnull (named (fixture, "Message"));
  g_assert_nonnull (named (fixture, "Send"));
  g_assert_nonnull (named (fixture, "Threads"));
  g_assert_nonnull (named (fixture, "New Thread"));
  /* Opened at the newest message, which is mine and acknowledged. */
  g_assert_true (at_bottom (fixture));
  g_assert_nonnull (visible_label (fixture, "message 9999"));
  g_assert_nonnull (named (fixture, "Sent"));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (find_widget (GTK_WIDGET (composer (fixture)), is_type,
                                                                GSIZE_TO_POINTER (GTK_TYPE_TEXT_VIEW)))));

  /* Scrolling up brings an older page above, and what was at the top
   * stays in place. */
  before = n_rows (fixture);
  {
    GtkSelectionModel *model = gtk_list_view_get_model (message_list_view (fixture));
    g_autoptr(MessengerMessage) first = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_autofree char *first_body = g_strdup (messenger_message_get_body (first));
    double y;

    gtk_adjustment_set_value (vadjustment (fixture), 0);
    run_frames (300);
    g_assert_cmpuint (n_rows (fixture), >, before);
    g_assert_true (label_y (fixture, first_body, &y));
    /* Still near the top of the view, not pushed down by the page. */
    g_assert_cmpfloat (y, >=, -60);
    g_assert_cmpfloat (y, <, gtk_adjustment_get_page_size (vadjustment (fixture)) / 2);
  }
  g_assert_false (at_bottom (fixture));
  g_assert_nonnull (named (fixture, "Jump to Newest Messages"));

  /* A message arriving while reading back does not move the view. */
  {
    GtkSelectionModel *model = gtk_list_view_get_model (message_list_view (fixture));
    g_autoptr(MessengerMessage) item = g_list_model_get_item (G_LIST_MODEL (model), 52);
    double y_before, y_after;

    run_frames (100);
    g_assert_true (label_y (fixture, messenger_message_get_body (item), &y_before));
    /* In the thread of the history, so the composer does not change. */
    receive (fixture, BOB, "while reading back", "t");
    run_frames (100);
    g_assert_true (label_y (fixture, messenger_message_get_body (item), &y_after));
    g_assert_cmpfloat (fabs (y_after - y_before), <, 1);
  }

  /* Fits a phone (the window's narrowest), folded with a back button. */
  {
    int minimum;

    /* GNOME's window buttons: only Close. */
    g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);
    g_object_set (fixture->view, "folded", TRUE, NULL);
    gtk_widget_measure (GTK_WIDGET (fixture->view), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
    g_assert_cmpint (minimum, <=, 360);
    g_object_set (fixture->view, "folded", FALSE, NULL);
  }

  /* Back to the newest. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.jump-to-newest", NULL);
  run_frames (300);
  g_assert_true (at_bottom (fixture));
  g_assert_nonnull (visible_label (fixture, "while reading back"));
}

/* A flood while following the newest messages: the window becomes the
 * newest messages only, and the view does not load an older page above
 * them (it would be laid out again for every batch). */
static void
test_flood_keeps_window (Fixture       *fixture,
                         gconstpointer  data)
{
  MessengerConversation *bob;
  MessengerMessageList *messages;
  guint flood;

  model_fixture_add_history (&fixture->base, BOB, "t", 200, T0);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  messenger_conversation_view_set_active (fixture->view, TRUE);
  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (300);
  g_assert_true (at_bottom (fixture));

  messages = MESSENGER_MESSAGE_LIST (gtk_no_selection_get_model (GTK_NO_SELECTION (
    gtk_list_view_get_model (message_list_view (fixture)))));
  /* Held until flushed, as a flood's batch is. */
  messenger_message_list_set_live_delay (messages, 10000);
  flood = MESSENGER_MESSAGE_LIST_DEFAULT_PAGE_SIZE / 3 + 4;
  for (guint i = 1; i <= flood; i++)
    {
      g_autofree char *body = g_strdup_printf ("flood %u", i);

      receive (fixture, BOB, body, NULL);
    }
  messenger_message_list_flush (messages);
  run_frames (500);

  g_assert_cmpuint (n_rows (fixture), ==, MESSENGER_MESSAGE_LIST_DEFAULT_PAGE_SIZE / 3);
  g_assert_true (at_bottom (fixture));
  g_assert_nonnull (visible_label (fixture, "flood 20"));
}

static void
test_send_and_draft (Fixture       *fixture,
                     gconstpointer  data)
{
  MessengerConversation *bob, *carol;
  g_autofree char *text = NULL;

  model_fixture_add_history (&fixture->base, BOB, "t", 3, T0);
  model_fixture_add_history (&fixture->base, CAROL, "t", 3, T0);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  carol = messenger_conversation_list_get_conversation (fixture->list, CAROL);

  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (100);

  /* Nothing to send: Send is off. */
  g_assert_false (gtk_widget_get_sensitive (named (fixture, "Send")));
  messenger_composer_set_text (composer (fixture), "  \n ");
  g_assert_false (gtk_widget_get_sensitive (named (fixture, "Send")));

  messenger_composer_set_text (composer (fixture), "Hello <Bob> & https://gnome.org\n");
  g_assert_true (gtk_widget_get_sensitive (named (fixture, "Send")));
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  run_frames (200);

  text = messenger_composer_dup_text (composer (fixture));
  g_assert_cmpstr (text, ==, "");
  g_assert_nonnull (visible_label (fixture, "Hello <Bob> & https://gnome.org"));
  /* Offline: it waits. */
  g_assert_nonnull (named (fixture, "Sending"));
  g_assert_true (at_bottom (fixture));

  /* Failed: says so and offers to try again. */
  {
    GtkSelectionModel *model = gtk_list_view_get_model (message_list_view (fixture));
    g_autoptr(MessengerMessage) last = g_list_model_get_item (G_LIST_MODEL (model),
                                                              g_list_model_get_n_items (G_LIST_MODEL (model)) - 1);
    g_autoptr(MessengerStoreMessage) row = NULL;
    guint rows_before = n_rows (fixture);
    guint count;
    GtkWidget *retry;

    /* As a bounce does: in the store, then on the row. */
    messenger_store_set_delivery_state_async (fixture->base.store, messenger_message_get_id (last),
                                              MESSENGER_STORE_DELIVERY_FAILED, NULL, state_stored_cb, NULL);
    model_fixture_flush (&fixture->base);
    _messenger_conversation_set_state (bob, messenger_message_get_id (last), MESSENGER_DELIVERY_FAILED);
    run_frames (50);
    g_assert_nonnull (named (fixture, "Not sent"));
    g_assert_nonnull ((retry = visible_label (fixture, "Retry")));
    g_assert_null (named (fixture, "Sending"));

    /* Retry sends the same message again, in its place: no copy. */
    g_signal_emit_by_name (gtk_widget_get_ancestor (retry, GTK_TYPE_BUTTON), "clicked");
    model_fixture_flush (&fixture->base);
    run_frames (100);
    g_assert_cmpint (messenger_message_get_state (last), ==, MESSENGER_DELIVERY_PENDING);
    g_assert_nonnull (named (fixture, "Sending"));
    g_assert_null (named (fixture, "Not sent"));
    g_assert_null (visible_label (fixture, "Retry"));
    g_assert_cmpuint (n_rows (fixture), ==, rows_before);
    row = stored_with_body (fixture, BOB, "Hello <Bob> & https://gnome.org", &count);
    g_assert_cmpuint (count, ==, 1);
    g_assert_cmpint (row->id, ==, messenger_message_get_id (last));
    g_assert_cmpint (row->state, ==, MESSENGER_STORE_DELIVERY_PENDING);
  }

  /* A draft stays with its conversation. */
  messenger_composer_set_text (composer (fixture), "draft for Bob");
  messenger_conversation_view_set_conversation (fixture->view, carol);
  g_clear_pointer (&text, g_free);
  text = messenger_composer_dup_text (composer (fixture));
  g_assert_cmpstr (text, ==, "");
  messenger_conversation_view_set_conversation (fixture->view, bob);
  g_clear_pointer (&text, g_free);
  text = messenger_composer_dup_text (composer (fixture));
  g_assert_cmpstr (text, ==, "draft for Bob");

  messenger_conversation_view_set_conversation (fixture->view, NULL);
  run_frames (50);
  g_assert_nonnull (visible_label (fixture, "No Conversation Selected"));
}

static void
test_unread (Fixture       *fixture,
             gconstpointer  data)
{
  MessengerConversation *bob;

  model_fixture_add_history (&fixture->base, BOB, "t", 6, T0);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 3);

  /* Not active (window in the background): nothing is marked read. */
  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (200);
  model_fixture_flush (&fixture->base);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 3);
  g_assert_nonnull (visible_label (fixture, "New messages"));

  messenger_conversation_view_set_active (fixture->view, TRUE);
  run_frames (100);
  model_fixture_flush (&fixture->base);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 0);

  /* While active, what arrives is read. */
  receive (fixture, BOB, "are you there?", NULL);
  run_frames (100);
  model_fixture_flush (&fixture->base);
  g_assert_nonnull (visible_label (fixture, "are you there?"));
  g_assert_true (at_bottom (fixture));
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 0);

  /* Inactive again: it stays unread. */
  messenger_conversation_view_set_active (fixture->view, FALSE);
  receive (fixture, BOB, "hello?", NULL);
  run_frames (100);
  model_fixture_flush (&fixture->base);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 1);

  /* Back: the marker moves above what arrived meanwhile, not above what
   * was read before. */
  messenger_conversation_view_set_active (fixture->view, TRUE);
  run_frames (100);
  model_fixture_flush (&fixture->base);
  g_assert_nonnull (message_of_label (fixture, "New messages"));
  g_assert_cmpstr (messenger_message_get_body (message_of_label (fixture, "New messages")), ==, "hello?");
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 0);
}

/* Unread messages are not always the newest: with one thread read and an
 * older one not, the marker is above the older thread's message. */
static void
test_unread_marker_threads (Fixture       *fixture,
                            gconstpointer  data)
{
  MessengerConversation *bob;
  MessengerMessage *marked;

  model_fixture_add_history (&fixture->base, BOB, "old", 1, T0);
  model_fixture_add_history (&fixture->base, BOB, "new", 4, T0 + 100 * G_USEC_PER_SEC);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  messenger_conversation_mark_read (bob, "new", 0);
  model_fixture_flush (&fixture->base);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 1);

  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (200);
  g_assert_cmpuint (n_rows (fixture), ==, 5);
  marked = message_of_label (fixture, "New messages");
  g_assert_nonnull (marked);
  g_assert_cmpstr (messenger_message_get_thread_id (marked), ==, "old");
  g_assert_true (messenger_message_get_unread (marked));

  /* Read: the flag follows, the marker stays for the person to see. */
  messenger_conversation_view_set_active (fixture->view, TRUE);
  run_frames (100);
  model_fixture_flush (&fixture->base);
  run_frames (50);
  g_assert_false (messenger_message_get_unread (marked));
  g_assert_true (message_of_label (fixture, "New messages") == marked);
}

static void
test_typing (Fixture       *fixture,
             gconstpointer  data)
{
  MessengerConversation *bob;

  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (50);
  g_assert_nonnull (visible_label (fixture, "Not in your contacts"));
  g_assert_nonnull (visible_label (fixture, "No Messages"));

  _messenger_conversation_peer_chat_state (bob, XMPP_CHAT_STATE_COMPOSING, FALSE);
  run_frames (50);
  g_assert_nonnull (visible_label (fixture, "typing…"));

  /* Typing ends with the message. */
  _messenger_conversation_peer_chat_state (bob, XMPP_CHAT_STATE_ACTIVE, TRUE);
  run_frames (50);
  g_assert_null (visible_label (fixture, "typing…"));
  g_assert_nonnull (visible_label (fixture, "Not in your contacts"));
}

static MessengerThread *thread_by_id (MessengerConversation *conversation,
                                      const char            *thread_id);

static void
test_threads (Fixture       *fixture,
              gconstpointer  data)
{
  MessengerConversation *bob;
  MessengerThreadSwitcher *switcher;

  model_fixture_add_history (&fixture->base, BOB, "one", 4, T0);
  model_fixture_add_history (&fixture->base, BOB, "two", 2, T0 + 100 * G_USEC_PER_SEC);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (100);
  g_assert_cmpuint (n_rows (fixture), ==, 6);
  g_assert_nonnull (visible_label (fixture, "All Messages"));

  switcher = MESSENGER_THREAD_SWITCHER (find_widget (GTK_WIDGET (fixture->view), is_type,
                                                     GSIZE_TO_POINTER (MESSENGER_TYPE_THREAD_SWITCHER)));
  messenger_thread_switcher_set_thread_id (switcher, "one");
  run_frames (100);
  g_assert_cmpuint (n_rows (fixture), ==, 4);
  /* The title of thread "one" is its first line. */
  g_assert_nonnull (visible_label (fixture, "Replying in: message 0"));

  /* A reply goes to the thread being read. */
  messenger_composer_set_text (composer (fixture), "in one");
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  run_frames (100);
  g_assert_cmpuint (n_rows (fixture), ==, 5);

  /* New Thread asks for a subject; without one, Start Thread goes back
   * to everything, and the next message starts the thread. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.new-thread", NULL);
  run_frames (100);
  g_assert_nonnull (named (fixture, "Subject (optional)"));
  g_assert_nonnull (visible_label (fixture, "Start Thread"));
  g_assert_cmpstr (messenger_thread_switcher_get_thread_id (switcher), ==, "one");
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.start-thread", NULL);
  run_frames (100);
  g_assert_null (named (fixture, "Subject (optional)"));
  g_assert_null (messenger_thread_switcher_get_thread_id (switcher));
  g_assert_cmpuint (n_rows (fixture), ==, 7);
  g_assert_nonnull (visible_label (fixture, "Replying in: New thread"));
  messenger_composer_set_text (composer (fixture), "a new topic");
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  run_frames (100);
  g_assert_cmpuint (g_list_model_get_n_items (messenger_conversation_get_threads (bob)), ==, 3);
  g_assert_nonnull (visible_label (fixture, "Replying in: a new topic"));

  /* The list of threads, closed, catches up when it opens: a message in
   * the newest thread (staying first) give it an unread count. */
  {
    GtkWidget *button = find_widget (GTK_WIDGET (switcher), is_type, GSIZE_TO_POINTER (GTK_TYPE_MENU_BUTTON));
    GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
    g_autofree char *topic = g_strdup (messenger_conversation_get_current_thread (bob));

    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    run_frames (200);
    g_assert_null (find_widget (popover, has_accessible_label, "3 unread messages"));
    gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
    run_frames (100);
    for (guint i = 0; i < 3; i++)
      receive (fixture, BOB, "news in the topic", topic);
    g_assert_cmpuint (messenger_thread_get_unread_count (thread_by_id (bob, topic)), ==, 3);
    run_frames (100);
    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    run_frames (200);
    g_assert_nonnull (find_widget (popover, has_accessible_label, "3 unread messages"));
    gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  }
}

static MessengerThread *
thread_by_id (MessengerConversation *conversation,
              const char            *thread_id)
{
  GListModel *threads = messenger_conversation_get_threads (conversation);

  for (guint i = 0; i < g_list_model_get_n_items (threads); i++)
    {
      g_autoptr(MessengerThread) thread = g_list_model_get_item (threads, i);

      if (g_strcmp0 (messenger_thread_get_id (thread), thread_id) == 0)
        return thread;
    }
  return NULL;
}

/* A subject given to New Thread goes with the thread's first message,
 * names the thread, and is dropped when the reply goes elsewhere. */
static void
test_thread_subject (Fixture       *fixture,
                     gconstpointer  data)
{
  MessengerConversation *bob;
  MessengerThreadSwitcher *switcher;
  g_autoptr(MessengerStoreMessage) row = NULL;
  g_autofree char *thread = NULL;
  g_autofree char *before = NULL;
  MessengerThread *topic;
  GtkWidget *entry;
  guint count;

  model_fixture_add_history (&fixture->base, BOB, "one", 2, T0);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  messenger_conversation_view_set_conversation (fixture->view, bob);
  switcher = MESSENGER_THREAD_SWITCHER (find_widget (GTK_WIDGET (fixture->view), is_type,
                                                     GSIZE_TO_POINTER (MESSENGER_TYPE_THREAD_SWITCHER)));
  run_frames (100);

  /* Cancelled (the popover closed without Start Thread): nothing starts. */
  before = g_strdup (messenger_conversation_get_current_thread (bob));
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.new-thread", NULL);
  run_frames (100);
  g_assert_nonnull ((entry = named (fixture, "Subject (optional)")));
  gtk_editable_set_text (GTK_EDITABLE (entry), "not this one");
  gtk_popover_popdown (GTK_POPOVER (gtk_widget_get_ancestor (entry, GTK_TYPE_POPOVER)));
  run_frames (100);
  g_assert_cmpstr (messenger_conversation_get_current_thread (bob), ==, before);
  g_assert_null (messenger_composer_get_subject (composer (fixture)));

  /* Opened again it starts empty; the subject is what the person typed,
   * without spaces around it. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.new-thread", NULL);
  run_frames (100);
  entry = named (fixture, "Subject (optional)");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  gtk_editable_set_text (GTK_EDITABLE (entry), "  Trip to the lake ");
  g_signal_emit_by_name (entry, "activate");
  run_frames (100);
  g_assert_null (named (fixture, "Subject (optional)"));
  thread = g_strdup (messenger_conversation_get_current_thread (bob));
  g_assert_cmpstr (thread, !=, before);
  g_assert_cmpstr (messenger_composer_get_subject (composer (fixture)), ==, "Trip to the lake");
  g_assert_nonnull (visible_label (fixture, "Replying in: Trip to the lake"));

  messenger_composer_set_text (composer (fixture), "Saturday?");
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  run_frames (100);
  row = stored_with_body (fixture, BOB, "Saturday?", &count);
  g_assert_cmpuint (count, ==, 1);
  g_assert_cmpstr (row->subject, ==, "Trip to the lake");
  g_assert_cmpstr (row->thread_id, ==, thread);
  g_assert_nonnull ((topic = thread_by_id (bob, thread)));
  g_assert_cmpstr (messenger_thread_get_title (topic), ==, "Trip to the lake");
  g_assert_nonnull (visible_label (fixture, "Replying in: Trip to the lake"));
  /* Shown with the message. */
  g_assert_nonnull (visible_label (fixture, "Trip to the lake"));
  g_assert_null (messenger_composer_get_subject (composer (fixture)));

  /* The next message in it has no subject. */
  messenger_composer_set_text (composer (fixture), "or Sunday");
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  g_clear_pointer (&row, messenger_store_message_free);
  row = stored_with_body (fixture, BOB, "or Sunday", &count);
  g_assert_null (row->subject);
  g_assert_cmpstr (row->thread_id, ==, thread);

  /* A subject for a thread that is left before its first message is not
   * given to another thread. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.new-thread", NULL);
  run_frames (100);
  gtk_editable_set_text (GTK_EDITABLE (named (fixture, "Subject (optional)")), "Abandoned");
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.start-thread", NULL);
  run_frames (100);
  g_assert_cmpstr (messenger_composer_get_subject (composer (fixture)), ==, "Abandoned");
  messenger_thread_switcher_set_thread_id (switcher, "one");
  run_frames (100);
  g_assert_null (messenger_composer_get_subject (composer (fixture)));
  g_assert_nonnull (visible_label (fixture, "Replying in: message 0"));
  messenger_composer_set_text (composer (fixture), "back in one");
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  g_clear_pointer (&row, messenger_store_message_free);
  row = stored_with_body (fixture, BOB, "back in one", &count);
  g_assert_null (row->subject);
  g_assert_cmpstr (row->thread_id, ==, "one");
}

static gboolean
xdotool (const char *args)
{
  g_autofree char *command = g_strconcat ("xdotool ", args, NULL);
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_spawn_command_line_sync (command, NULL, NULL, &status, &error);
  return error == NULL && g_spawn_check_wait_status (status, NULL);
}

/* Whether key presses go to @widget (or a part of it, as an entry's text). */
static gboolean
has_keyboard (GtkWidget *widget)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (widget));

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* Real keys from the X server: Enter sends, Shift+Enter is a new line. */
static void
test_keyboard (Fixture       *fixture,
               gconstpointer  data)
{
  MessengerConversation *bob;
  g_autofree char *text = NULL;
  g_autofree char *program = g_find_program_in_path ("xdotool");

  if (program == NULL)
    {
      g_test_skip ("xdotool is not installed");
      return;
    }

  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (200);
  /* No window manager: focus the window the way a click would. */
  g_assert_true (xdotool ("search --sync --name '^Conversation test$' windowfocus --sync"));
  run_frames (100);

  g_assert_true (xdotool ("type --delay 10 'first line'"));
  g_assert_true (xdotool ("key shift+Return"));
  g_assert_true (xdotool ("type --delay 10 'second line'"));
  run_frames (200);
  text = messenger_composer_dup_text (composer (fixture));
  g_assert_cmpstr (text, ==, "first line\nsecond line");

  /* Escape keeps the text. */
  g_assert_true (xdotool ("key Escape"));
  run_frames (100);
  g_clear_pointer (&text, g_free);
  text = messenger_composer_dup_text (composer (fixture));
  g_assert_cmpstr (text, ==, "first line\nsecond line");

  g_assert_true (xdotool ("key Return"));
  run_frames (200);
  model_fixture_flush (&fixture->base);
  run_frames (200);
  g_clear_pointer (&text, g_free);
  text = messenger_composer_dup_text (composer (fixture));
  g_assert_cmpstr (text, ==, "");
  g_assert_cmpuint (n_rows (fixture), ==, 1);
  g_assert_nonnull (visible_label (fixture, "first line\nsecond line"));

  /* Ctrl+Shift+T lists the threads, Escape closes the list. */
  {
    GtkWidget *button = find_widget (GTK_WIDGET (fixture->view), is_type, GSIZE_TO_POINTER (GTK_TYPE_MENU_BUTTON));
    GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
    g_autofree char *thread = g_strdup (messenger_conversation_get_current_thread (bob));

    g_assert_true (xdotool ("key ctrl+shift+t"));
    run_frames (200);
    g_assert_true (gtk_widget_get_visible (popover));
    g_assert_true (xdotool ("key Escape"));
    run_frames (200);
    g_assert_false (gtk_widget_get_visible (popover));

    /* Ctrl+Shift+N asks for a subject, in a popover that has the
     * keyboard; Escape changes nothing. */
    messenger_composer_focus (composer (fixture));
    g_assert_true (xdotool ("key ctrl+shift+n"));
    run_frames (200);
    g_assert_nonnull (named (fixture, "Subject (optional)"));
    g_assert_true (has_keyboard (named (fixture, "Subject (optional)")));
    g_assert_true (xdotool ("key Escape"));
    run_frames (200);
    g_assert_null (named (fixture, "Subject (optional)"));
    g_assert_nonnull (thread);
    g_assert_cmpstr (messenger_conversation_get_current_thread (bob), ==, thread);

    /* Typed subject, Enter: the thread starts and the composer has the
     * keyboard for its first message. */
    g_assert_true (xdotool ("key ctrl+shift+n"));
    run_frames (200);
    g_assert_true (xdotool ("type --delay 10 'Trip plans'"));
    g_assert_true (xdotool ("key Return"));
    run_frames (200);
    g_assert_null (named (fixture, "Subject (optional)"));
    g_assert_cmpstr (messenger_conversation_get_current_thread (bob), !=, thread);
    g_assert_nonnull (visible_label (fixture, "Replying in: Trip plans"));
    g_assert_true (xdotool ("type --delay 10 'Shall we go?'"));
    g_assert_true (xdotool ("key Return"));
    run_frames (200);
    model_fixture_flush (&fixture->base);
    run_frames (100);
    {
      g_autoptr(MessengerStoreMessage) row = NULL;
      guint count;

      row = stored_with_body (fixture, BOB, "Shall we go?", &count);
      g_assert_nonnull (row);
      g_assert_cmpstr (row->subject, ==, "Trip plans");
      g_assert_cmpstr (row->thread_id, ==, messenger_conversation_get_current_thread (bob));
    }
  }
}

static void
screenshot_widget (GtkWidget  *widget,
                   const char *name)
{
  const char *dir = g_getenv ("MESSENGER_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

static void
screenshot (Fixture    *fixture,
            const char *name)
{
  screenshot_widget (GTK_WIDGET (fixture->window), name);
}

/* Where a bubble stands in its row: one's own at the end, the other's at
 * the start (mirrored right to left), each as wide as its text, a long text
 * wrapped inside the row at any width. */
static void
bubble_bounds (Fixture         *fixture,
               const char      *text,
               graphene_rect_t *bounds,
               int             *row_width)
{
  GtkWidget *label = visible_label (fixture, text);
  GtkWidget *row, *bubble;

  g_assert_nonnull (label);
  row = gtk_widget_get_ancestor (label, MESSENGER_TYPE_MESSAGE_ROW);
  bubble = gtk_widget_get_parent (label);
  g_assert_true (gtk_widget_has_css_class (bubble, "message-bubble"));
  g_assert_true (gtk_widget_compute_bounds (bubble, row, bounds));
  *row_width = gtk_widget_get_width (row);
  /* The text is not cut off: its bubble is at least as tall as it needs. */
  {
    int needed;

    gtk_widget_measure (label, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (label), &needed, NULL, NULL, NULL);
    g_assert_cmpint (gtk_widget_get_height (label), >=, needed);
    g_assert_cmpfloat (bounds->size.height, >=, needed);
  }
}

static void
test_bubbles (Fixture       *fixture,
              gconstpointer  data)
{
  static const char long_text[] = "A long line of text that wraps over several lines in the bubble, "
                                  "as long messages do when the window is narrow or the text is long.";
  MessengerConversation *bob;
  graphene_rect_t bounds;
  int width;

  model_fixture_add_history (&fixture->base, BOB, "t", 10, g_get_real_time () - G_TIME_SPAN_HOUR);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  receive (fixture, BOB, long_text, NULL);
  messenger_conversation_view_set_conversation (fixture->view, bob);
  run_frames (300);

  /* In the history, odd messages are mine. */
  bubble_bounds (fixture, "message 7", &bounds, &width);
  g_assert_cmpfloat (bounds.size.width, <, width / 2);
  g_assert_cmpfloat_with_epsilon (bounds.origin.x + bounds.size.width, width, 1);
  bubble_bounds (fixture, "message 8", &bounds, &width);
  g_assert_cmpfloat (bounds.size.width, <, width / 2);
  g_assert_cmpfloat_with_epsilon (bounds.origin.x, 0, 1);
  /* Wrapped within the row, not wider than its text at 60 characters. */
  bubble_bounds (fixture, long_text, &bounds, &width);
  g_assert_cmpfloat_with_epsilon (bounds.origin.x, 0, 1);
  g_assert_cmpfloat (bounds.size.width, <=, width);
  g_assert_cmpfloat (bounds.size.height, >, 50);

  /* Narrow, as on a phone: the long text wraps into more lines. */
  {
    double wide_height = bounds.size.height;

    gtk_widget_set_size_request (GTK_WIDGET (fixture->view), 300, -1);
    gtk_window_set_default_size (fixture->window, 300, 640);
    run_frames (300);
    bubble_bounds (fixture, long_text, &bounds, &width);
    g_assert_cmpint (width, <, 300);
    g_assert_cmpfloat (bounds.size.width, <=, width);
    g_assert_cmpfloat (bounds.size.height, >, wide_height);
  }

  /* Right to left, the sides swap. */
  gtk_widget_set_default_direction (GTK_TEXT_DIR_RTL);
  run_frames (200);
  bubble_bounds (fixture, "message 7", &bounds, &width);
  g_assert_cmpfloat_with_epsilon (bounds.origin.x, 0, 1);
  bubble_bounds (fixture, "message 8", &bounds, &width);
  g_assert_cmpfloat_with_epsilon (bounds.origin.x + bounds.size.width, width, 1);
  gtk_widget_set_default_direction (GTK_TEXT_DIR_LTR);
}

/* Not a check: pictures of the pane, light and dark, for people to look at. */
static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  data)
{
  MessengerConversation *bob;
  g_autoptr(XmppMessage) message = NULL;

  model_fixture_add_history (&fixture->base, BOB, "t", 40, g_get_real_time () - 2 * G_TIME_SPAN_DAY);
  fixture_start (fixture);
  bob = messenger_conversation_list_get_conversation (fixture->list, BOB);
  receive (fixture, BOB, "Did you see https://gnome.org? It has a long line of text that wraps "
                         "over several lines in the bubble, as long messages do.", NULL);
  receive (fixture, BOB, "你好！这是一条中文消息。", NULL);
  receive (fixture, BOB, "About the trip", "trip");
  messenger_conversation_view_set_conversation (fixture->view, bob);
  messenger_composer_set_text (composer (fixture), "Sounds good");
  gtk_widget_activate_action (GTK_WIDGET (composer (fixture)), "composer.send", NULL);
  model_fixture_flush (&fixture->base);
  run_frames (400);
  screenshot (fixture, "conversation-view-light.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  run_frames (300);
  screenshot (fixture, "conversation-view-dark.png");
  {
    GtkWidget *button = find_widget (GTK_WIDGET (fixture->view), is_type, GSIZE_TO_POINTER (GTK_TYPE_MENU_BUTTON));
    GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));

    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    run_frames (300);
    screenshot_widget (GTK_WIDGET (popover), "conversation-view-threads-dark.png");
    gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  }
  {
    GtkWidget *entry;

    gtk_widget_activate_action (GTK_WIDGET (fixture->view), "conversation.new-thread", NULL);
    run_frames (300);
    entry = named (fixture, "Subject (optional)");
    screenshot_widget (gtk_widget_get_ancestor (entry, GTK_TYPE_POPOVER), "conversation-view-new-thread-dark.png");
    gtk_popover_popdown (GTK_POPOVER (gtk_widget_get_ancestor (entry, GTK_TYPE_POPOVER)));
  }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkCssProvider) css = NULL;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/org/example/Messenger/icons");
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/example/Messenger/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add_func ("/conversation-view/texts/day", test_texts_day);
  g_test_add_func ("/conversation-view/texts/links", test_texts_links);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/conversation-view/empty", test_empty);
  ADD ("/conversation-view/flood-keeps-window", test_flood_keeps_window);
  ADD ("/conversation-view/long-history", test_long_history);
  ADD ("/conversation-view/send-and-draft", test_send_and_draft);
  ADD ("/conversation-view/unread", test_unread);
  ADD ("/conversation-view/unread-marker-threads", test_unread_marker_threads);
  ADD ("/conversation-view/typing", test_typing);
  ADD ("/conversation-view/threads", test_threads);
  ADD ("/conversation-view/thread-subject", test_thread_subject);
  ADD ("/conversation-view/keyboard", test_keyboard);
  ADD ("/conversation-view/bubbles", test_bubbles);
  ADD ("/conversation-view/screenshots", test_screenshots);
#undef ADD
  return g_test_run ();
}
