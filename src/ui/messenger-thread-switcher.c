/* messenger-thread-switcher.c: choose which thread of a conversation shows
 *
 * The popover lists the conversation's threads model as it is (most
 * recently active first; the core keeps it sorted and up to date), under an
 * "All Messages" button.  Choosing a thread makes it the conversation's
 * current thread, so replies go there, and "thread-id" tells the view to
 * show only that thread.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-message-row.h"
#include "messenger-thread.h"
#include "messenger-thread-switcher.h"

struct _MessengerThreadSwitcher
{
  GtkWidget              parent_instance;

  /* template widgets */
  GtkMenuButton         *button;
  GtkLabel              *title_label;
  GtkPopover            *popover;
  GtkImage              *all_check;
  GtkStack              *stack;
  GtkListView           *list_view;

  /* owned */
  MessengerConversation *conversation;
  GSignalGroup          *threads_signals;
  char                  *thread_id;
  GPtrArray             *bound_items;    /* GtkListItem, borrowed: rows showing a thread */
};

G_DEFINE_FINAL_TYPE (MessengerThreadSwitcher, messenger_thread_switcher, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_THREAD_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
messenger_thread_switcher_new (void)
{
  return g_object_new (MESSENGER_TYPE_THREAD_SWITCHER, NULL);
}

static MessengerThread *
find_thread (MessengerConversation *conversation,
             const char            *thread_id)
{
  GListModel *threads = messenger_conversation_get_threads (conversation);
  guint n = g_list_model_get_n_items (threads);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerThread) thread = g_list_model_get_item (threads, i);

      if (g_strcmp0 (messenger_thread_get_id (thread), thread_id) == 0)
        return thread;
    }
  return NULL;
}

static char *
title_of (MessengerThread *thread)
{
  const char *title = messenger_thread_get_title (thread);

  if (title == NULL || *title == '\0')
    /* Translators: a thread with no subject and no text. */
    return g_strdup (_("Untitled thread"));
  return g_strdup (title);
}

char *
messenger_thread_switcher_dup_thread_title (MessengerConversation *conversation,
                                            const char            *thread_id)
{
  MessengerThread *thread;

  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (conversation), NULL);

  if (thread_id == NULL)
    return g_strdup (_("All Messages"));
  thread = find_thread (conversation, thread_id);
  if (thread == NULL)
    /* Translators: a thread just started, with no message yet. */
    return g_strdup (_("New thread"));
  return title_of (thread);
}

/* Rows */

static char *
format_activity (gint64 time)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GTimeZone) zone = NULL;
  g_autofree char *day = NULL;
  g_autofree char *clock = NULL;

  if (time <= 0)
    return g_strdup ("");
  utc = g_date_time_new_from_unix_utc (time / G_USEC_PER_SEC);
  if (utc == NULL)
    return g_strdup ("");
  /* Runs for every message of a flood: the zone made once, not read from
   * /etc/localtime each time (see messenger-message.c). */
  zone = messenger_dup_local_time_zone ();
  local = g_date_time_to_timezone (utc, zone);
  now = g_date_time_new_now (zone);
  day = messenger_message_row_format_day (local, now);
  /* Same format as the time of a message. */
  clock = g_date_time_format (local, _("%H:%M"));
  /* Translators: when a thread was last active: a day ("Today",
   * "Yesterday", a weekday or a date), then a time. */
  return g_strdup_printf (_("%s, %s"), day, clock);
}

typedef struct
{
  GtkWidget *box;
  GtkLabel  *title;
  GtkLabel  *activity;
  GtkLabel  *unread;
  GtkImage  *check;
  gboolean   stale;    /* its thread changed while the row was hidden */
} RowWidgets;

static void
update_row (MessengerThreadSwitcher *self,
            GtkListItem             *list_item)
{
  RowWidgets *row = g_object_get_data (G_OBJECT (list_item), "row-widgets");
  MessengerThread *thread = gtk_list_item_get_item (list_item);
  g_autofree char *title = NULL;
  g_autofree char *activity = NULL;
  g_autofree char *unread = NULL;
  guint n_unread;

  if (row == NULL || thread == NULL)
    return;
  row->stale = FALSE;

  title = title_of (thread);
  activity = format_activity (messenger_thread_get_last_activity (thread));
  n_unread = messenger_thread_get_unread_count (thread);
  unread = g_strdup_printf ("%u", n_unread);

  gtk_label_set_label (row->title, title);
  gtk_label_set_label (row->activity, activity);
  gtk_label_set_label (row->unread, unread);
  gtk_widget_set_visible (GTK_WIDGET (row->unread), n_unread > 0);
  if (n_unread > 0)
    {
      g_autofree char *description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u unread message",
                                                                   "%u unread messages", n_unread),
                                                      n_unread);

      gtk_accessible_update_property (GTK_ACCESSIBLE (row->unread),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                      -1);
    }
  gtk_widget_set_opacity (GTK_WIDGET (row->check),
                          g_strcmp0 (messenger_thread_get_id (thread), self->thread_id) == 0 ? 1.0 : 0.0);
}

static void
thread_notify_cb (MessengerThread *thread,
                  GParamSpec      *pspec,
                  GtkListItem     *list_item)
{
  MessengerThreadSwitcher *self = g_object_get_data (G_OBJECT (list_item), "switcher");
  RowWidgets *row = g_object_get_data (G_OBJECT (list_item), "row-widgets");

  if (self == NULL || row == NULL)
    return;
  /* A thread changes with every message it gets: while the list is in
   * the closed popover, its row is brought up to date when shown. */
  if (!gtk_widget_get_mapped (row->box))
    row->stale = TRUE;
  else
    update_row (self, list_item);
}

static void
row_map_cb (GtkWidget   *box,
            GtkListItem *list_item)
{
  MessengerThreadSwitcher *self = g_object_get_data (G_OBJECT (list_item), "switcher");
  RowWidgets *row = g_object_get_data (G_OBJECT (list_item), "row-widgets");

  if (self != NULL && row != NULL && row->stale)
    update_row (self, list_item);
}

static void
setup_cb (MessengerThreadSwitcher  *self,
          GtkListItem              *list_item,
          GtkSignalListItemFactory *factory)
{
  RowWidgets *row = g_new0 (RowWidgets, 1);
  GtkWidget *box, *labels;

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  row->box = box;
  g_signal_connect (box, "map", G_CALLBACK (row_map_cb), list_item);
  labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (labels, TRUE);

  row->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->title, 0);
  gtk_label_set_ellipsize (row->title, PANGO_ELLIPSIZE_END);
  gtk_label_set_width_chars (row->title, 20);
  gtk_label_set_max_width_chars (row->title, 36);
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (row->title));

  row->activity = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (row->activity, 0);
  gtk_widget_add_css_class (GTK_WIDGET (row->activity), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (row->activity), "dim-label");
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (row->activity));
  gtk_box_append (GTK_BOX (box), labels);

  row->unread = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_valign (GTK_WIDGET (row->unread), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (row->unread), "unread-badge");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->unread));

  row->check = g_object_new (GTK_TYPE_IMAGE,
                             "icon-name", "object-select-symbolic",
                             "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                             NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->check));

  g_object_set_data_full (G_OBJECT (list_item), "row-widgets", row, g_free);
  gtk_list_item_set_child (list_item, box);
}

static void
bind_cb (MessengerThreadSwitcher  *self,
         GtkListItem              *list_item,
         GtkSignalListItemFactory *factory)
{
  MessengerThread *thread = gtk_list_item_get_item (list_item);

  g_object_set_data (G_OBJECT (list_item), "switcher", self);
  g_signal_connect_object (thread, "notify", G_CALLBACK (thread_notify_cb), list_item, 0);
  g_ptr_array_add (self->bound_items, list_item);
  update_row (self, list_item);
}

static void
unbind_cb (MessengerThreadSwitcher  *self,
           GtkListItem              *list_item,
           GtkSignalListItemFactory *factory)
{
  MessengerThread *thread = gtk_list_item_get_item (list_item);

  if (thread != NULL)
    g_signal_handlers_disconnect_by_func (thread, thread_notify_cb, list_item);
  g_ptr_array_remove_fast (self->bound_items, list_item);
  g_object_set_data (G_OBJECT (list_item), "switcher", NULL);
}

/* State */

static void
update_title (MessengerThreadSwitcher *self)
{
  g_autofree char *title = NULL;

  if (self->conversation == NULL)
    {
      gtk_label_set_label (self->title_label, "");
      return;
    }
  title = messenger_thread_switcher_dup_thread_title (self->conversation, self->thread_id);
  gtk_label_set_label (self->title_label, title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, title,
                                  -1);
}

static void
update_checks (MessengerThreadSwitcher *self)
{
  gtk_widget_set_opacity (GTK_WIDGET (self->all_check), self->thread_id == NULL ? 1.0 : 0.0);
  for (guint i = 0; i < self->bound_items->len; i++)
    update_row (self, self->bound_items->pdata[i]);
}

static void
update_stack (MessengerThreadSwitcher *self)
{
  GListModel *threads = self->conversation != NULL ? messenger_conversation_get_threads (self->conversation) : NULL;

  gtk_stack_set_visible_child_name (self->stack,
                                    threads != NULL && g_list_model_get_n_items (threads) > 0 ? "threads" : "empty");
}

static void
threads_changed_cb (MessengerThreadSwitcher *self)
{
  update_stack (self);
  update_title (self);
}

const char *
messenger_thread_switcher_get_thread_id (MessengerThreadSwitcher *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD_SWITCHER (self), NULL);
  return self->thread_id;
}

void
messenger_thread_switcher_set_thread_id (MessengerThreadSwitcher *self,
                                         const char              *thread_id)
{
  g_return_if_fail (MESSENGER_IS_THREAD_SWITCHER (self));

  if (g_strcmp0 (self->thread_id, thread_id) == 0)
    return;
  g_free (self->thread_id);
  self->thread_id = g_strdup (thread_id);
  update_title (self);
  update_checks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_ID]);
}

MessengerConversation *
messenger_thread_switcher_get_conversation (MessengerThreadSwitcher *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD_SWITCHER (self), NULL);
  return self->conversation;
}

void
messenger_thread_switcher_set_conversation (MessengerThreadSwitcher *self,
                                            MessengerConversation   *conversation)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  GListModel *threads = NULL;

  g_return_if_fail (MESSENGER_IS_THREAD_SWITCHER (self));
  g_return_if_fail (conversation == NULL || MESSENGER_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  if (conversation != NULL)
    threads = messenger_conversation_get_threads (conversation);
  g_signal_group_set_target (self->threads_signals, threads);
  if (threads != NULL)
    selection = gtk_no_selection_new (g_object_ref (threads));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));

  g_free (self->thread_id);
  self->thread_id = NULL;
  update_stack (self);
  update_title (self);
  update_checks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_ID]);
}

void
messenger_thread_switcher_popup (MessengerThreadSwitcher *self)
{
  g_return_if_fail (MESSENGER_IS_THREAD_SWITCHER (self));

  if (self->conversation != NULL)
    gtk_menu_button_popup (self->button);
}

static void
list_activate_cb (MessengerThreadSwitcher *self,
                  guint                    position)
{
  g_autoptr(MessengerThread) thread = NULL;
  const char *thread_id;

  if (self->conversation == NULL)
    return;
  thread = g_list_model_get_item (messenger_conversation_get_threads (self->conversation), position);
  if (thread == NULL)
    return;

  thread_id = messenger_thread_get_id (thread);
  /* Replies go to the thread being read. */
  messenger_conversation_set_current_thread (self->conversation, thread_id);
  messenger_thread_switcher_set_thread_id (self, thread_id);
  gtk_popover_popdown (self->popover);
}

static void
all_row_activated_cb (MessengerThreadSwitcher *self)
{
  messenger_thread_switcher_set_thread_id (self, NULL);
  gtk_popover_popdown (self->popover);
}

static void
popover_show_cb (MessengerThreadSwitcher *self)
{
  /* Relative days ("Today") may have moved on since the rows were made. */
  update_checks (self);
}

static void
messenger_thread_switcher_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  MessengerThreadSwitcher *self = MESSENGER_THREAD_SWITCHER (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    case PROP_THREAD_ID:
      g_value_set_string (value, self->thread_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_thread_switcher_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  MessengerThreadSwitcher *self = MESSENGER_THREAD_SWITCHER (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      messenger_thread_switcher_set_conversation (self, g_value_get_object (value));
      break;
    case PROP_THREAD_ID:
      messenger_thread_switcher_set_thread_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_thread_switcher_dispose (GObject *object)
{
  MessengerThreadSwitcher *self = MESSENGER_THREAD_SWITCHER (object);

  if (self->threads_signals != NULL)
    g_signal_group_set_target (self->threads_signals, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_THREAD_SWITCHER);
  g_clear_object (&self->threads_signals);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (messenger_thread_switcher_parent_class)->dispose (object);
}

static void
messenger_thread_switcher_finalize (GObject *object)
{
  MessengerThreadSwitcher *self = MESSENGER_THREAD_SWITCHER (object);

  g_free (self->thread_id);
  g_ptr_array_unref (self->bound_items);

  G_OBJECT_CLASS (messenger_thread_switcher_parent_class)->finalize (object);
}

static void
messenger_thread_switcher_class_init (MessengerThreadSwitcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_thread_switcher_get_property;
  object_class->set_property = messenger_thread_switcher_set_property;
  object_class->dispose = messenger_thread_switcher_dispose;
  object_class->finalize = messenger_thread_switcher_finalize;

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, MESSENGER_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THREAD_ID] =
    g_param_spec_string ("thread-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-thread-switcher.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerThreadSwitcher, button);
  gtk_widget_class_bind_template_child (widget_class, MessengerThreadSwitcher, title_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerThreadSwitcher, popover);
  gtk_widget_class_bind_template_child (widget_class, MessengerThreadSwitcher, all_check);
  gtk_widget_class_bind_template_child (widget_class, MessengerThreadSwitcher, stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerThreadSwitcher, list_view);
  gtk_widget_class_bind_template_callback (widget_class, list_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, all_row_activated_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
messenger_thread_switcher_init (MessengerThreadSwitcher *self)
{
  GtkListItemFactory *factory;

  self->bound_items = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_cb), self, G_CONNECT_SWAPPED);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);

  self->threads_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_swapped (self->threads_signals, "items-changed",
                                  G_CALLBACK (threads_changed_cb), self);

  update_stack (self);
  update_checks (self);
}
