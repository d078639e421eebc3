/* messenger-conversation-view.c: the content pane of one conversation
 *
 *   header: [back] title = peer, subtitle = presence or "typing…"  [threads ▾] [new thread ▾]
 *   GtkListView ◀── GtkNoSelection ◀── MessengerMessageList (conversation, thread or all)
 *   composer ──▶ messenger_conversation_send_full ()
 *
 * New Thread opens a popover asking for an optional subject; "Start
 * Thread" makes a new thread id current, and the composer sends its first
 * message with that subject, which names the thread.  Until the message
 * is stored the thread is not in the threads model, so the view keeps its
 * id and subject to say where the reply goes.
 *
 * The message list is a bounded window on the history (see
 * messenger-message-list.h), so only its pages are ever materialised and a
 * long history opens as fast as a short one.  Scrolling near the top loads
 * an older page, near the bottom a newer one (after reading far back); the
 * list view keeps its anchor row in place when rows are added above, so
 * the text being read does not move.
 *
 * "Sticking" to the bottom: while the person is at the newest message,
 * new messages scroll into view.  A scroll that the person makes away from
 * the bottom ends it; a change of the content's height (rows measured,
 * rows added) does not.
 *
 * Rows learn from the message before them whether to show the day and the
 * sender, and from the view whether they carry the unread marker: above
 * the oldest message still unread (the store's flag, kept current by the
 * message list as the conversation marks messages read) when the person
 * comes to the conversation.  GtkListView on GTK 4.8 has no section
 * headers, and a row's "before" changes only when its position does (a
 * page added or dropped above it), so rows are updated on bind and on
 * notify::position.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-composer.h"
#include "messenger-conversation-view.h"
#include "messenger-message-list.h"
#include "messenger-message-row.h"
#include "messenger-thread.h"
#include "messenger-thread-switcher.h"

/* Messages from one sender closer than this form one group. */
#define GROUP_INTERVAL (5 * G_TIME_SPAN_MINUTE)
/* How close to the bottom (pixels) still counts as "at the bottom". */
#define BOTTOM_SLACK 8.0
/* Live messages closer together than this (ms) come into the list as one
 * batch: in a flood the list view then lays out what fits on the screen
 * once a batch instead of every message (bench/README.md "App"). */
#define LIVE_DELAY_MS 100
/* Rows of list items the list view let go, kept to be given to new ones:
 * GTK 4.8's list view keeps ~200 rows around the newest message and makes
 * a row for each message that comes in; building rows from their template
 * was most of the main thread's work in a flood (bench/README.md "App"). */
#define MAX_SPARE_ROWS 256

struct _MessengerConversationView
{
  GtkWidget                parent_instance;

  /* template widgets */
  GtkWidget               *box;
  AdwWindowTitle          *window_title;
  GtkWidget               *new_thread_button;
  GtkPopover              *new_thread_popover;
  GtkEditable             *subject_entry;
  MessengerThreadSwitcher *thread_switcher;
  GtkStack                *stack;
  GtkScrolledWindow       *scrolled_window;
  GtkListView             *list_view;
  GtkWidget               *no_messages_page;
  GtkRevealer             *jump_revealer;
  MessengerComposer       *composer;

  /* borrowed */
  GtkAdjustment           *vadjustment;
  GPtrArray               *bound_items;      /* GtkListItem showing a message */

  /* owned */
  GPtrArray               *spare_rows;       /* MessengerMessageRow, no parent; NULL once disposed */

  /* owned */
  MessengerConversation   *conversation;
  MessengerMessageList    *messages;
  char                    *thread_id;        /* the thread shown, NULL: all */
  char                    *new_thread_id;    /* started here, no message yet */
  char                    *new_thread_subject;
  GSignalGroup            *conversation_signals;
  GSignalGroup            *contact_signals;
  GSignalGroup            *messages_signals;
  GSignalGroup            *threads_signals;

  gint64                   unread_marker_id;
  gint64                   marked_up_to;
  gboolean                 stick_to_bottom;
  gint64                   changed_frame;
  double                   last_upper;
  double                   last_page_size;
  guint                    scroll_source;
  guint                    load_source;
  guint                    mark_read_source;

  gboolean                 folded;
  gboolean                 active;
};

G_DEFINE_FINAL_TYPE (MessengerConversationView, messenger_conversation_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_FOLDED,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void schedule_mark_read (MessengerConversationView *self);

GtkWidget *
messenger_conversation_view_new (void)
{
  return g_object_new (MESSENGER_TYPE_CONVERSATION_VIEW, NULL);
}

static guint
n_messages (MessengerConversationView *self)
{
  return self->messages != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->messages)) : 0;
}

static MessengerThread *
find_thread (MessengerConversationView *self,
             const char                *thread_id)
{
  GListModel *threads = messenger_conversation_get_threads (self->conversation);
  guint n = g_list_model_get_n_items (threads);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerThread) thread = g_list_model_get_item (threads, i);

      if (g_strcmp0 (messenger_thread_get_id (thread), thread_id) == 0)
        return thread;
    }
  return NULL;
}

/* Unread messages in what is shown. */
static guint
unread_shown (MessengerConversationView *self)
{
  MessengerThread *thread;

  if (self->conversation == NULL)
    return 0;
  if (self->thread_id == NULL)
    return messenger_conversation_get_unread_count (self->conversation);
  thread = find_thread (self, self->thread_id);
  return thread != NULL ? messenger_thread_get_unread_count (thread) : 0;
}

/* Header */

static const char *
describe_show (XmppShow show)
{
  switch (show)
    {
    case XMPP_SHOW_CHAT:
      return _("Free to chat");
    case XMPP_SHOW_AVAILABLE:
      return _("Available");
    case XMPP_SHOW_AWAY:
      return _("Away");
    case XMPP_SHOW_XA:
      return _("Not available");
    case XMPP_SHOW_DND:
      return _("Do not disturb");
    case XMPP_SHOW_OFFLINE:
    default:
      return _("Offline");
    }
}

static void
update_subtitle (MessengerConversationView *self)
{
  MessengerContact *contact;
  const char *status;
  g_autofree char *subtitle = NULL;

  if (self->conversation == NULL)
    {
      adw_window_title_set_subtitle (self->window_title, "");
      return;
    }

  if (messenger_conversation_get_peer_chat_state (self->conversation) == MESSENGER_CHAT_STATE_COMPOSING)
    {
      /* Translators: in the header bar, while the other person types. */
      adw_window_title_set_subtitle (self->window_title, _("typing…"));
      return;
    }

  contact = messenger_conversation_get_contact (self->conversation);
  if (contact == NULL)
    {
      adw_window_title_set_subtitle (self->window_title, _("Not in your contacts"));
      return;
    }
  status = messenger_contact_get_status (contact);
  if (status != NULL && *status != '\0')
    /* Translators: the presence of a contact, then their status message,
     * e.g. "Away — At lunch". */
    subtitle = g_strdup_printf (_("%s — %s"), describe_show (messenger_contact_get_show (contact)), status);
  else
    subtitle = g_strdup (describe_show (messenger_contact_get_show (contact)));
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
update_title (MessengerConversationView *self)
{
  adw_window_title_set_title (self->window_title,
                              self->conversation != NULL
                              ? messenger_conversation_get_display_name (self->conversation) : "");
}

static void
contact_changed_cb (MessengerConversationView *self)
{
  g_signal_group_set_target (self->contact_signals,
                             self->conversation != NULL
                             ? messenger_conversation_get_contact (self->conversation) : NULL);
  update_title (self);
  update_subtitle (self);
}

/* Threads */

static void
forget_new_thread (MessengerConversationView *self)
{
  g_clear_pointer (&self->new_thread_id, g_free);
  g_clear_pointer (&self->new_thread_subject, g_free);
}

static void
update_thread_widgets (MessengerConversationView *self)
{
  const char *target;
  g_autofree char *title = NULL;
  gboolean show_reply;
  guint n_threads;

  gtk_widget_set_visible (GTK_WIDGET (self->thread_switcher), self->conversation != NULL);
  gtk_widget_set_visible (self->new_thread_button, self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.new-thread", self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.start-thread", self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.show-threads", self->conversation != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.jump-to-newest", self->conversation != NULL);

  if (self->conversation == NULL)
    {
      messenger_composer_set_thread_id (self->composer, NULL);
      messenger_composer_set_reply_title (self->composer, NULL);
      return;
    }

  /* Reading one thread: replies go there, whatever arrives elsewhere. */
  messenger_composer_set_thread_id (self->composer, self->thread_id);

  target = self->thread_id != NULL ? self->thread_id
         : messenger_conversation_get_current_thread (self->conversation);
  if (self->new_thread_id != NULL && g_strcmp0 (target, self->new_thread_id) != 0)
    {
      /* Replies go elsewhere now: the subject was for the new thread. */
      forget_new_thread (self);
      messenger_composer_set_subject (self->composer, NULL);
    }
  else if (self->new_thread_id != NULL && find_thread (self, self->new_thread_id) != NULL)
    /* Its first message is stored: the model names it from now on. */
    forget_new_thread (self);
  n_threads = g_list_model_get_n_items (messenger_conversation_get_threads (self->conversation));
  /* Say where a reply goes when there is a choice: several threads, one
   * being read, or a new one just started. */
  show_reply = target != NULL
               && (self->thread_id != NULL
                   || n_threads >= 2
                   || (n_threads >= 1 && find_thread (self, target) == NULL));
  if (show_reply && self->new_thread_subject != NULL && g_strcmp0 (target, self->new_thread_id) == 0)
    title = g_strdup (self->new_thread_subject);
  else if (show_reply)
    title = messenger_thread_switcher_dup_thread_title (self->conversation, target);
  messenger_composer_set_reply_title (self->composer, title);
}

/* Rows */

static void
decorate_row (MessengerConversationView *self,
              GtkListItem               *list_item)
{
  MessengerMessageRow *row = MESSENGER_MESSAGE_ROW (gtk_list_item_get_child (list_item));
  MessengerMessage *message = gtk_list_item_get_item (list_item);
  guint position = gtk_list_item_get_position (list_item);
  g_autoptr(MessengerMessage) previous = NULL;
  gboolean show_day = TRUE, show_sender = TRUE;

  if (message == NULL || position == GTK_INVALID_LIST_POSITION || self->messages == NULL)
    return;

  if (position > 0)
    previous = g_list_model_get_item (G_LIST_MODEL (self->messages), position - 1);
  if (previous != NULL)
    {
      /* Day numbers, not GDateTimes: this runs for every bound row each
       * time the window moves (notify::position), hundreds of times a
       * second in a flood.  The setters below do nothing when nothing
       * changed. */
      show_day = messenger_message_get_local_day (message) != messenger_message_get_local_day (previous);
      show_sender = show_day
                    || messenger_message_get_outgoing (previous) != messenger_message_get_outgoing (message)
                    || g_strcmp0 (messenger_message_get_sender_name (previous),
                                  messenger_message_get_sender_name (message)) != 0
                    || messenger_message_get_time (message) - messenger_message_get_time (previous) > GROUP_INTERVAL;
    }

  messenger_message_row_set_show_day (row, show_day);
  messenger_message_row_set_show_sender (row, show_sender);
  messenger_message_row_set_show_unread_marker (row, self->unread_marker_id != 0
                                                     && messenger_message_get_id (message) == self->unread_marker_id);
}

static void
decorate_all_rows (MessengerConversationView *self)
{
  for (guint i = 0; i < self->bound_items->len; i++)
    decorate_row (self, self->bound_items->pdata[i]);
}

static void
row_retry_cb (MessengerConversationView *self,
              MessengerMessageRow       *row)
{
  MessengerMessage *message = messenger_message_row_get_message (row);

  if (self->conversation == NULL || message == NULL)
    return;
  /* The same message, in its place: pending again, then written with its
   * own origin-id, so a recipient that got it after all drops the copy. */
  messenger_conversation_retry (self->conversation, message);
}

static void
position_changed_cb (GtkListItem               *list_item,
                     GParamSpec                *pspec,
                     MessengerConversationView *self)
{
  if (gtk_list_item_get_item (list_item) != NULL)
    decorate_row (self, list_item);
}

static void row_parent_cb (GtkWidget                 *row,
                           GParamSpec                *pspec,
                           MessengerConversationView *self);

static void
setup_row_cb (MessengerConversationView *self,
              GtkListItem               *list_item,
              GtkSignalListItemFactory  *factory)
{
  g_autoptr(GtkWidget) row = NULL;

  if (self->spare_rows != NULL && self->spare_rows->len > 0)
    row = g_ptr_array_steal_index_fast (self->spare_rows, self->spare_rows->len - 1);
  else
    {
      row = g_object_ref_sink (messenger_message_row_new ());
      g_signal_connect_object (row, "retry", G_CALLBACK (row_retry_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (row, "notify::parent", G_CALLBACK (row_parent_cb), self, 0);
    }

  gtk_list_item_set_activatable (list_item, FALSE);
  gtk_list_item_set_selectable (list_item, FALSE);
  gtk_list_item_set_child (list_item, row);
  g_signal_connect_object (list_item, "notify::position", G_CALLBACK (position_changed_cb), self, 0);
}

static void
bind_row_cb (MessengerConversationView *self,
             GtkListItem               *list_item,
             GtkSignalListItemFactory  *factory)
{
  MessengerMessageRow *row = MESSENGER_MESSAGE_ROW (gtk_list_item_get_child (list_item));

  messenger_message_row_set_message (row, gtk_list_item_get_item (list_item));
  g_ptr_array_add (self->bound_items, list_item);
  decorate_row (self, list_item);
}

static void
unbind_row_cb (MessengerConversationView *self,
               GtkListItem               *list_item,
               GtkSignalListItemFactory  *factory)
{
  g_ptr_array_remove_fast (self->bound_items, list_item);
}

/* GTK 4.8 takes a row out of its list item before "teardown": a row
 * left without a parent is a spare one. */
static void
row_parent_cb (GtkWidget                 *row,
               GParamSpec                *pspec,
               MessengerConversationView *self)
{
  if (gtk_widget_get_parent (row) != NULL || self->spare_rows == NULL
      || self->spare_rows->len >= MAX_SPARE_ROWS)
    return;
  g_ptr_array_add (self->spare_rows, g_object_ref (row));
}

/* The oldest message of the window not read yet, 0 when none is.  Unread
 * messages need not be the newest ones (one thread read, another not),
 * so it is each message's own flag that says. */
static gint64
first_unread (MessengerConversationView *self)
{
  guint n = n_messages (self);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);

      if (messenger_message_get_unread (message))
        return messenger_message_get_id (message);
    }
  return 0;
}

/* The "New messages" marker goes above the first message that is unread
 * when the person comes to the conversation; with nothing unread, it
 * stays where it was (or nowhere). */
static void
place_unread_marker (MessengerConversationView *self)
{
  gint64 marker = first_unread (self);

  if (marker == 0 || marker == self->unread_marker_id)
    return;
  self->unread_marker_id = marker;
  decorate_all_rows (self);
}

/* Scrolling */

static gboolean
is_at_bottom (MessengerConversationView *self)
{
  double value = gtk_adjustment_get_value (self->vadjustment);
  double upper = gtk_adjustment_get_upper (self->vadjustment);
  double page_size = gtk_adjustment_get_page_size (self->vadjustment);

  return value + page_size >= upper - BOTTOM_SLACK;
}

static void
update_jump_button (MessengerConversationView *self)
{
  gboolean reveal = self->messages != NULL
                    && (messenger_message_list_get_has_newer (self->messages) || !is_at_bottom (self));

  gtk_revealer_set_reveal_child (self->jump_revealer, reveal);
}

static void
scroll_to_bottom_now (MessengerConversationView *self)
{
  guint n = n_messages (self);

  if (n == 0)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
}

static gboolean
scroll_to_bottom_cb (gpointer user_data)
{
  MessengerConversationView *self = user_data;

  self->scroll_source = 0;
  if (self->stick_to_bottom)
    scroll_to_bottom_now (self);
  return G_SOURCE_REMOVE;
}

/* After the list view has laid out what changed. */
static void
schedule_scroll_to_bottom (MessengerConversationView *self)
{
  if (self->scroll_source == 0)
    self->scroll_source = g_idle_add_full (GTK_PRIORITY_RESIZE + 1, scroll_to_bottom_cb, self, NULL);
}

static gboolean
load_more_cb (gpointer user_data)
{
  MessengerConversationView *self = user_data;
  double value, upper, page_size;

  self->load_source = 0;
  if (self->messages == NULL)
    return G_SOURCE_REMOVE;
  /* Following the newest end with a scroll to it pending (the rows just
   * changed): the value is not where the person is.  An older page now
   * would drop the newest rows from a full window and stop following. */
  if (self->stick_to_bottom && !messenger_message_list_get_has_newer (self->messages)
      && !is_at_bottom (self))
    return G_SOURCE_REMOVE;

  value = gtk_adjustment_get_value (self->vadjustment);
  upper = gtk_adjustment_get_upper (self->vadjustment);
  page_size = gtk_adjustment_get_page_size (self->vadjustment);

  /* Within a screen of an end of the window: bring the next page.  Not
   * older ones while following the newest messages with the view full:
   * in a flood the list keeps only its newest messages (a batch replaces
   * them), and a page above each batch would be laid out for nothing. */
  if (value < page_size && messenger_message_list_get_has_older (self->messages)
      && !(self->stick_to_bottom && upper > page_size))
    messenger_message_list_load_older (self->messages);
  else if (value + 2 * page_size > upper && messenger_message_list_get_has_newer (self->messages))
    messenger_message_list_load_newer (self->messages);
  return G_SOURCE_REMOVE;
}

static void
maybe_load_more (MessengerConversationView *self)
{
  double value, upper, page_size;
  gboolean near_top, near_bottom;

  if (self->messages == NULL || self->load_source != 0)
    return;

  value = gtk_adjustment_get_value (self->vadjustment);
  upper = gtk_adjustment_get_upper (self->vadjustment);
  page_size = gtk_adjustment_get_page_size (self->vadjustment);
  if (page_size <= 0)
    return;
  near_top = value < page_size && messenger_message_list_get_has_older (self->messages)
             && !(self->stick_to_bottom && upper > page_size);
  near_bottom = value + 2 * page_size > upper && messenger_message_list_get_has_newer (self->messages);
  /* Not while the list view is in the middle of a layout. */
  if (near_top || near_bottom)
    self->load_source = g_idle_add (load_more_cb, self);
}

static gint64
frame_counter (MessengerConversationView *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->list_view));

  return clock != NULL ? gdk_frame_clock_get_frame_counter (clock) : -1;
}

/* Has the model changed since the last frames were laid out?  Then a move
 * of the adjustment is the list view's doing, not the person's: rows
 * dropped at the top of a full window move the value up by their height,
 * and when as much is added at the bottom the upper bound stays the same,
 * which looked like a scroll away from the bottom (a flood lost the
 * bottom in most runs). */
static gboolean
content_just_changed (MessengerConversationView *self)
{
  gint64 now = frame_counter (self);

  return now < 0 || now <= self->changed_frame + 2;
}

static void
value_changed_cb (MessengerConversationView *self)
{
  double upper = gtk_adjustment_get_upper (self->vadjustment);
  double page_size = gtk_adjustment_get_page_size (self->vadjustment);
  gboolean has_newer = self->messages != NULL && messenger_message_list_get_has_newer (self->messages);

  if (is_at_bottom (self) && !has_newer)
    {
      /* New messages push the oldest out, even after reading back. */
      if (self->messages != NULL)
        messenger_message_list_follow_newest (self->messages);
      if (!self->stick_to_bottom)
        {
          self->stick_to_bottom = TRUE;
          schedule_mark_read (self);
        }
    }
  else if (upper == self->last_upper && page_size == self->last_page_size
           && !(self->stick_to_bottom && content_just_changed (self)))
    /* The content did not change: the person scrolled away. */
    self->stick_to_bottom = FALSE;
  else if (self->stick_to_bottom)
    schedule_scroll_to_bottom (self);

  self->last_upper = upper;
  self->last_page_size = page_size;
  update_jump_button (self);
  maybe_load_more (self);
}

static gboolean
user_scroll_cb (MessengerConversationView *self,
                double                     dx,
                double                     dy)
{
  if (dy < 0)
    {
      self->stick_to_bottom = FALSE;
      g_clear_handle_id (&self->scroll_source, g_source_remove);
    }
  return FALSE;
}

static void
adjustment_changed_cb (MessengerConversationView *self)
{
  if (self->stick_to_bottom && !is_at_bottom (self))
    schedule_scroll_to_bottom (self);
  self->last_upper = gtk_adjustment_get_upper (self->vadjustment);
  self->last_page_size = gtk_adjustment_get_page_size (self->vadjustment);
  update_jump_button (self);
  /* A page shorter than the view cannot be scrolled: fill the view. */
  maybe_load_more (self);
}

/* Marking read */

static gboolean
mark_read_cb (gpointer user_data)
{
  MessengerConversationView *self = user_data;
  g_autoptr(MessengerMessage) newest = NULL;
  guint n;

  self->mark_read_source = 0;
  if (!self->active || self->conversation == NULL || self->messages == NULL)
    return G_SOURCE_REMOVE;
  /* Only what the person sees: the newest messages, at the bottom. */
  if (!self->stick_to_bottom || messenger_message_list_get_has_newer (self->messages))
    return G_SOURCE_REMOVE;
  n = n_messages (self);
  if (n == 0 || unread_shown (self) == 0)
    return G_SOURCE_REMOVE;

  newest = g_list_model_get_item (G_LIST_MODEL (self->messages), n - 1);
  if (messenger_message_get_id (newest) == self->marked_up_to)
    return G_SOURCE_REMOVE;
  self->marked_up_to = messenger_message_get_id (newest);
  messenger_conversation_mark_read (self->conversation, self->thread_id, self->marked_up_to);
  return G_SOURCE_REMOVE;
}

static void
schedule_mark_read (MessengerConversationView *self)
{
  if (self->active && self->conversation != NULL && self->mark_read_source == 0)
    self->mark_read_source = g_idle_add (mark_read_cb, self);
}

/* The message list */

static void
messages_changed_cb (MessengerConversationView *self,
                     guint                      position,
                     guint                      removed,
                     guint                      added)
{
  guint n = n_messages (self);

  self->changed_frame = frame_counter (self);
  gtk_widget_set_visible (self->no_messages_page, n == 0);
  /* New messages at the newest end come into view while at the bottom. */
  if (added > 0 && position + added == n && self->stick_to_bottom)
    schedule_scroll_to_bottom (self);
  if (added > 0)
    schedule_mark_read (self);
  update_jump_button (self);
}

static void
set_messages (MessengerConversationView *self,
              MessengerMessageList      *messages)
{
  g_autoptr(GtkNoSelection) selection = NULL;

  g_clear_handle_id (&self->load_source, g_source_remove);
  g_clear_handle_id (&self->scroll_source, g_source_remove);

  g_signal_group_set_target (self->messages_signals, messages);
  g_set_object (&self->messages, messages);
  if (messages != NULL)
    messenger_message_list_set_live_delay (messages, LIVE_DELAY_MS);
  if (messages != NULL)
    selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (messages)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  self->stick_to_bottom = TRUE;
  /* A new model is new content: the list view moves the adjustment (back
   * to the top, then by each row it measures) in the next frames, which
   * is not the person scrolling away (content_just_changed()). */
  self->changed_frame = frame_counter (self);
  self->marked_up_to = 0;
  self->unread_marker_id = 0;
  gtk_widget_set_visible (self->no_messages_page, messages != NULL && n_messages (self) == 0);
  if (messages != NULL)
    {
      place_unread_marker (self);
      schedule_scroll_to_bottom (self);
      schedule_mark_read (self);
    }
  update_jump_button (self);
}

static void
reload_messages (MessengerConversationView *self)
{
  g_autoptr(MessengerMessageList) messages = NULL;

  if (self->conversation != NULL)
    messages = messenger_message_list_new (self->conversation, self->thread_id);
  set_messages (self, messages);
}

static void
switcher_thread_changed_cb (MessengerConversationView *self)
{
  const char *thread_id = messenger_thread_switcher_get_thread_id (self->thread_switcher);

  if (g_strcmp0 (thread_id, self->thread_id) == 0)
    return;
  g_free (self->thread_id);
  self->thread_id = g_strdup (thread_id);
  reload_messages (self);
  update_thread_widgets (self);
}

/* Public API */

MessengerConversation *
messenger_conversation_view_get_conversation (MessengerConversationView *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self), NULL);
  return self->conversation;
}

void
messenger_conversation_view_set_conversation (MessengerConversationView *self,
                                              MessengerConversation     *conversation)
{
  g_return_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (conversation == NULL || MESSENGER_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  g_clear_handle_id (&self->mark_read_source, g_source_remove);
  g_set_object (&self->conversation, conversation);
  g_clear_pointer (&self->thread_id, g_free);
  forget_new_thread (self);
  if (self->new_thread_popover != NULL)
    gtk_popover_popdown (self->new_thread_popover);

  g_signal_group_set_target (self->conversation_signals, conversation);
  g_signal_group_set_target (self->threads_signals,
                             conversation != NULL ? messenger_conversation_get_threads (conversation) : NULL);
  g_signal_group_set_target (self->contact_signals,
                             conversation != NULL ? messenger_conversation_get_contact (conversation) : NULL);

  /* The switcher starts at "All Messages" for every conversation. */
  messenger_thread_switcher_set_conversation (self->thread_switcher, conversation);
  messenger_composer_set_conversation (self->composer, conversation);
  reload_messages (self);

  gtk_stack_set_visible_child_name (self->stack, conversation != NULL ? "conversation" : "empty");
  update_title (self);
  update_subtitle (self);
  update_thread_widgets (self);

  if (conversation != NULL)
    messenger_composer_focus (self->composer);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

gboolean
messenger_conversation_view_get_folded (MessengerConversationView *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self), FALSE);
  return self->folded;
}

void
messenger_conversation_view_set_folded (MessengerConversationView *self,
                                        gboolean                   folded)
{
  g_return_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self));

  folded = !!folded;
  if (self->folded == folded)
    return;
  self->folded = folded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDED]);
}

gboolean
messenger_conversation_view_get_active (MessengerConversationView *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self), FALSE);
  return self->active;
}

void
messenger_conversation_view_set_active (MessengerConversationView *self,
                                        gboolean                   active)
{
  g_return_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self));

  active = !!active;
  if (self->active == active)
    return;
  self->active = active;
  if (active)
    {
      /* Back after messages arrived: show where they begin. */
      if (self->messages != NULL)
        place_unread_marker (self);
      schedule_mark_read (self);
    }
  else
    g_clear_handle_id (&self->mark_read_source, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

void
messenger_conversation_view_focus_composer (MessengerConversationView *self)
{
  g_return_if_fail (MESSENGER_IS_CONVERSATION_VIEW (self));

  if (self->conversation != NULL)
    messenger_composer_focus (self->composer);
}

/* Actions */

static void
new_thread_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (widget);

  if (self->conversation == NULL)
    return;
  /* Asks for a subject first; "Start Thread" starts it. */
  gtk_menu_button_popup (GTK_MENU_BUTTON (self->new_thread_button));
}

static void
new_thread_popover_show_cb (MessengerConversationView *self)
{
  gtk_editable_set_text (self->subject_entry, "");
  gtk_widget_grab_focus (GTK_WIDGET (self->subject_entry));
}

static void
subject_activate_cb (MessengerConversationView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "conversation.start-thread", NULL);
}

static void
start_thread_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (widget);
  g_autofree char *subject = g_strdup (gtk_editable_get_text (self->subject_entry));
  const char *thread_id;

  gtk_popover_popdown (self->new_thread_popover);
  if (self->conversation == NULL)
    return;

  g_strstrip (subject);
  thread_id = messenger_conversation_new_thread (self->conversation, NULL);
  forget_new_thread (self);
  self->new_thread_id = g_strdup (thread_id);
  if (*subject != '\0')
    self->new_thread_subject = g_steal_pointer (&subject);
  messenger_composer_set_subject (self->composer, self->new_thread_subject);
  /* The new thread has no message yet: show everything, so the first one
   * appears in place. */
  messenger_thread_switcher_set_thread_id (self->thread_switcher, NULL);
  update_thread_widgets (self);
  messenger_composer_focus (self->composer);
}

static void
show_threads_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (widget);

  messenger_thread_switcher_popup (self->thread_switcher);
}

static void
jump_to_newest_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (widget);

  if (self->messages == NULL)
    return;
  if (messenger_message_list_get_has_newer (self->messages))
    messenger_message_list_jump_to_newest (self->messages);
  self->stick_to_bottom = TRUE;
  scroll_to_bottom_now (self);
  schedule_scroll_to_bottom (self);
  schedule_mark_read (self);
}

static void
composer_sent_cb (MessengerConversationView *self)
{
  /* One's own message comes into view, also after reading far back. */
  if (self->messages != NULL && messenger_message_list_get_has_newer (self->messages))
    messenger_message_list_jump_to_newest (self->messages);
  self->stick_to_bottom = TRUE;
  schedule_scroll_to_bottom (self);
}

/* GObject */

static void
messenger_conversation_view_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_conversation_view_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      messenger_conversation_view_set_conversation (self, g_value_get_object (value));
      break;
    case PROP_FOLDED:
      messenger_conversation_view_set_folded (self, g_value_get_boolean (value));
      break;
    case PROP_ACTIVE:
      messenger_conversation_view_set_active (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_conversation_view_dispose (GObject *object)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (object);

  g_clear_handle_id (&self->scroll_source, g_source_remove);
  g_clear_handle_id (&self->load_source, g_source_remove);
  g_clear_handle_id (&self->mark_read_source, g_source_remove);
  g_clear_pointer (&self->spare_rows, g_ptr_array_unref);

  if (self->conversation_signals != NULL)
    {
      g_signal_group_set_target (self->conversation_signals, NULL);
      g_signal_group_set_target (self->contact_signals, NULL);
      g_signal_group_set_target (self->messages_signals, NULL);
      g_signal_group_set_target (self->threads_signals, NULL);
    }
  if (self->vadjustment != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->vadjustment, self);
      self->vadjustment = NULL;
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_CONVERSATION_VIEW);

  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->contact_signals);
  g_clear_object (&self->messages_signals);
  g_clear_object (&self->threads_signals);
  g_clear_object (&self->messages);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (messenger_conversation_view_parent_class)->dispose (object);
}

static void
messenger_conversation_view_finalize (GObject *object)
{
  MessengerConversationView *self = MESSENGER_CONVERSATION_VIEW (object);

  g_free (self->thread_id);
  forget_new_thread (self);
  g_ptr_array_unref (self->bound_items);

  G_OBJECT_CLASS (messenger_conversation_view_parent_class)->finalize (object);
}

static void
messenger_conversation_view_class_init (MessengerConversationViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_conversation_view_get_property;
  object_class->set_property = messenger_conversation_view_set_property;
  object_class->dispose = messenger_conversation_view_dispose;
  object_class->finalize = messenger_conversation_view_finalize;

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, MESSENGER_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MESSENGER_TYPE_COMPOSER);
  g_type_ensure (MESSENGER_TYPE_THREAD_SWITCHER);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-conversation-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, box);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, window_title);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, new_thread_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, new_thread_popover);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, subject_entry);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, thread_switcher);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, list_view);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, no_messages_page);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, jump_revealer);
  gtk_widget_class_bind_template_child (widget_class, MessengerConversationView, composer);
  gtk_widget_class_bind_template_callback (widget_class, composer_sent_cb);
  gtk_widget_class_bind_template_callback (widget_class, new_thread_popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, subject_activate_cb);

  gtk_widget_class_install_action (widget_class, "conversation.new-thread", NULL, new_thread_action);
  gtk_widget_class_install_action (widget_class, "conversation.start-thread", NULL, start_thread_action);
  gtk_widget_class_install_action (widget_class, "conversation.show-threads", NULL, show_threads_action);
  gtk_widget_class_install_action (widget_class, "conversation.jump-to-newest", NULL, jump_to_newest_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "conversation.new-thread", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "conversation.show-threads", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
messenger_conversation_view_init (MessengerConversationView *self)
{
  GtkListItemFactory *factory;
  GtkEventController *controller;

  self->bound_items = g_ptr_array_new ();
  self->spare_rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->stick_to_bottom = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, G_CONNECT_SWAPPED);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);

  /* A wheel or touchpad scroll up is the person's, whatever the rows do. */
  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "scroll", G_CALLBACK (user_scroll_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->scrolled_window), controller);

  self->vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->list_view));
  g_signal_connect_swapped (self->vadjustment, "value-changed", G_CALLBACK (value_changed_cb), self);
  g_signal_connect_swapped (self->vadjustment, "changed", G_CALLBACK (adjustment_changed_cb), self);

  self->conversation_signals = g_signal_group_new (MESSENGER_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::display-name",
                                  G_CALLBACK (update_title), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::contact",
                                  G_CALLBACK (contact_changed_cb), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::peer-chat-state",
                                  G_CALLBACK (update_subtitle), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::current-thread",
                                  G_CALLBACK (update_thread_widgets), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::unread-count",
                                  G_CALLBACK (schedule_mark_read), self);

  self->contact_signals = g_signal_group_new (MESSENGER_TYPE_CONTACT);
  g_signal_group_connect_swapped (self->contact_signals, "notify::show",
                                  G_CALLBACK (update_subtitle), self);
  g_signal_group_connect_swapped (self->contact_signals, "notify::status",
                                  G_CALLBACK (update_subtitle), self);

  self->messages_signals = g_signal_group_new (MESSENGER_TYPE_MESSAGE_LIST);
  g_signal_group_connect_swapped (self->messages_signals, "items-changed",
                                  G_CALLBACK (messages_changed_cb), self);
  g_signal_group_connect_swapped (self->messages_signals, "notify::has-newer",
                                  G_CALLBACK (update_jump_button), self);

  self->threads_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->threads_signals, "items-changed",
                                  G_CALLBACK (update_thread_widgets), self);

  g_signal_connect_object (self->thread_switcher, "notify::thread-id",
                           G_CALLBACK (switcher_thread_changed_cb), self, G_CONNECT_SWAPPED);

  update_thread_widgets (self);
}
