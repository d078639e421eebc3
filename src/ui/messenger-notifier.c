/* messenger-notifier.c: desktop notifications for incoming messages
 *
 * Each account's conversation list says when a new incoming message was
 * stored ("message-received").  A notification is sent unless the window
 * is active and showing that conversation; one notification per
 * conversation (its id), replaced by the next message and withdrawn when
 * the conversation is read.  Clicking it runs
 * app.open-conversation ((account JID, peer)).
 *
 * Sends are coalesced per conversation: at most one every
 * COALESCE_INTERVAL; what arrives in between waits, each message replacing
 * the waiting one, and the last is sent when the interval is over.  A
 * flood of messages is one D-Bus call a second, not one a message.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "messenger-notifier.h"
#include "messenger-window.h"
#include "messenger-conversation-view.h"

#define COALESCE_INTERVAL G_USEC_PER_SEC

/* One conversation's notification state, by notification id. */
typedef struct
{
  MessengerNotifier *notifier;      /* borrowed */
  char              *id;            /* owned: the key */
  GNotification     *pending;       /* owned: waiting for the interval's end */
  gint64             last_sent;     /* monotonic µs, 0 when never */
  guint              timeout_id;
} Coalesced;

struct _MessengerNotifier
{
  GObject           parent_instance;

  /* borrowed */
  GApplication     *application;

  /* owned */
  GSettings        *settings;
  MessengerProfile *profile;
  GHashTable       *coalesced;      /* id → Coalesced */

  /* The "notifications" setting, read once and then when it changes: it
   * is asked about for every message. */
  gboolean          enabled;
};

G_DEFINE_FINAL_TYPE (MessengerNotifier, messenger_notifier, G_TYPE_OBJECT)

static char *
notification_id (MessengerConversation *conversation)
{
  MessengerAccount *account = messenger_conversation_get_account (conversation);

  return g_strdup_printf ("message-%s-%s", messenger_account_get_jid (account),
                          messenger_conversation_get_peer (conversation));
}

/* Is the person looking at @conversation right now? */
static gboolean
is_shown (MessengerNotifier     *self,
          MessengerConversation *conversation)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self->application));

  return MESSENGER_IS_WINDOW (window)
         && gtk_window_is_active (window)
         && messenger_window_get_shown_conversation (MESSENGER_WINDOW (window)) == conversation;
}

static void
coalesced_free (gpointer data)
{
  Coalesced *coalesced = data;

  g_clear_handle_id (&coalesced->timeout_id, g_source_remove);
  g_clear_object (&coalesced->pending);
  g_free (coalesced->id);
  g_free (coalesced);
}

static Coalesced *
lookup_coalesced (MessengerNotifier *self,
                  const char        *id)
{
  Coalesced *coalesced = g_hash_table_lookup (self->coalesced, id);

  if (coalesced == NULL)
    {
      coalesced = g_new0 (Coalesced, 1);
      coalesced->notifier = self;
      coalesced->id = g_strdup (id);
      g_hash_table_insert (self->coalesced, coalesced->id, coalesced);
    }
  return coalesced;
}

static void
send_now (Coalesced     *coalesced,
          GNotification *notification)
{
  coalesced->last_sent = g_get_monotonic_time ();
  g_application_send_notification (coalesced->notifier->application, coalesced->id, notification);
}

static gboolean
send_pending_cb (gpointer data)
{
  Coalesced *coalesced = data;
  g_autoptr(GNotification) notification = g_steal_pointer (&coalesced->pending);

  coalesced->timeout_id = 0;
  if (notification != NULL)
    send_now (coalesced, notification);
  return G_SOURCE_REMOVE;
}

/* Send @notification, or keep it until the conversation's interval is over. */
static void
send_coalesced (MessengerNotifier *self,
                const char        *id,
                GNotification     *notification)
{
  Coalesced *coalesced = lookup_coalesced (self, id);
  gint64 now = g_get_monotonic_time ();
  gint64 next = coalesced->last_sent + COALESCE_INTERVAL;

  if (coalesced->timeout_id == 0 && (coalesced->last_sent == 0 || now >= next))
    {
      send_now (coalesced, notification);
      return;
    }
  /* The last message wins. */
  g_set_object (&coalesced->pending, notification);
  if (coalesced->timeout_id == 0)
    coalesced->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                                (guint) MAX (1, (next - now + 999) / 1000),
                                                send_pending_cb, coalesced, NULL);
}

static void
unread_changed_cb (MessengerNotifier     *self,
                   GParamSpec            *pspec,
                   MessengerConversation *conversation)
{
  g_autofree char *id = NULL;

  if (messenger_conversation_get_unread_count (conversation) > 0)
    return;
  id = notification_id (conversation);
  /* Read: nothing waits to be sent either. */
  g_hash_table_remove (self->coalesced, id);
  g_application_withdraw_notification (self->application, id);
}

static void
message_received_cb (MessengerNotifier           *self,
                     MessengerConversation       *conversation,
                     const MessengerStoreMessage *message,
                     MessengerConversationList   *list)
{
  g_autoptr(GNotification) notification = NULL;
  g_autoptr(GIcon) icon = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;
  MessengerAccount *account;

  if (!self->enabled
      || message->body == NULL || *message->body == '\0'
      || is_shown (self, conversation))
    return;

  account = messenger_conversation_get_account (conversation);
  notification = g_notification_new (messenger_conversation_get_display_name (conversation));
  /* Long messages are cut: a notification is a glance, the window has the rest. */
  body = g_utf8_strlen (message->body, -1) > 200
         ? g_strconcat (g_utf8_substring (message->body, 0, 200), "…", NULL)
         : g_strdup (message->body);
  g_notification_set_body (notification, body);
  g_notification_set_category (notification, "im.received");
  icon = g_themed_icon_new (APP_ID);
  g_notification_set_icon (notification, icon);
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "(ss)",
                                                messenger_account_get_jid (account),
                                                messenger_conversation_get_peer (conversation));

  id = notification_id (conversation);
  send_coalesced (self, id, notification);

  if (g_object_get_data (G_OBJECT (conversation), "messenger-notifier") == NULL)
    {
      g_object_set_data (G_OBJECT (conversation), "messenger-notifier", self);
      g_signal_connect_object (conversation, "notify::unread-count", G_CALLBACK (unread_changed_cb),
                               self, G_CONNECT_SWAPPED);
    }
}

static void
watch_sessions (MessengerNotifier *self,
                guint              position,
                guint              removed,
                guint              added,
                GListModel        *sessions)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (sessions, i);

      g_signal_connect_object (messenger_session_get_conversations (session), "message-received",
                               G_CALLBACK (message_received_cb), self, G_CONNECT_SWAPPED);
    }
}

static void
notifications_changed_cb (MessengerNotifier *self)
{
  self->enabled = g_settings_get_boolean (self->settings, "notifications");
}

MessengerNotifier *
messenger_notifier_new (GApplication     *application,
                        GSettings        *settings,
                        MessengerProfile *profile)
{
  MessengerNotifier *self;
  GListModel *sessions;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (MESSENGER_IS_PROFILE (profile), NULL);

  self = g_object_new (MESSENGER_TYPE_NOTIFIER, NULL);
  self->application = application;
  self->settings = g_object_ref (settings);
  self->profile = g_object_ref (profile);
  g_signal_connect_object (settings, "changed::notifications", G_CALLBACK (notifications_changed_cb),
                           self, G_CONNECT_SWAPPED);
  notifications_changed_cb (self);

  sessions = messenger_profile_get_sessions (profile);
  g_signal_connect_object (sessions, "items-changed", G_CALLBACK (watch_sessions), self, G_CONNECT_SWAPPED);
  watch_sessions (self, 0, 0, g_list_model_get_n_items (sessions), sessions);
  return self;
}

static void
messenger_notifier_dispose (GObject *object)
{
  MessengerNotifier *self = MESSENGER_NOTIFIER (object);

  g_clear_pointer (&self->coalesced, g_hash_table_unref);
  g_clear_object (&self->profile);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (messenger_notifier_parent_class)->dispose (object);
}

static void
messenger_notifier_class_init (MessengerNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = messenger_notifier_dispose;
}

static void
messenger_notifier_init (MessengerNotifier *self)
{
  self->coalesced = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, coalesced_free);
}
