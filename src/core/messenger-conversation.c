/* messenger-conversation.c: the history with one peer of one account
 *
 *   receive(XmppMessage) ─┐                     ┌─▶ "message-added"
 *                         ├─▶ store insert ──▶ stored() ─▶ summary, threads,
 *   send(text) ───────────┘   (committed)       └─▶ list: send if online
 *
 * Nothing is shown or counted before the store has committed the row: an
 * incoming message is "handled" only once it is on disk, and an outgoing
 * one is written to the connection only once it is stored as pending.
 * Pending operations hold a reference on the conversation, so a row that
 * was committed always reaches the models.
 *
 * Chat states (XEP-0085) are not stored: the peer's is a property with a
 * 30 s fallback from composing to paused, ours is what we last sent, with
 * a 5 s timer from composing to paused.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-conversation-private.h"
#include "messenger-thread-private.h"

/* XEP-0085 §5.4 leaves the durations to us. */
#define PEER_COMPOSING_TIMEOUT_MS (30 * 1000)
#define OWN_PAUSED_TIMEOUT_MS     (5 * 1000)

struct _MessengerConversation
{
  GObject                    parent_instance;

  /* borrowed: the list owns us and detaches us when it goes */
  MessengerConversationList *list;

  /* owned */
  MessengerAccount          *account;
  MessengerStore            *store;
  gint64                     account_id;
  char                      *peer;
  MessengerContact          *contact;
  GBinding                  *unread_binding;

  gint64                     last_activity;
  guint                      unread_count;

  GListStore                *threads;         /* MessengerThread; NULL until asked for */
  GHashTable                *parents;         /* thread id → parent thread id ("" top-level) */
  char                      *current_thread;
  char                      *session_thread;

  /* chat states */
  MessengerChatState         peer_chat_state;
  guint                      peer_composing_source;  /* composing → paused */
  MessengerChatState         own_chat_state;         /* the last one sent */
  guint                      own_composing_source;   /* composing → paused */
  guint                      peer_timeout_ms;
  guint                      own_timeout_ms;
};

G_DEFINE_FINAL_TYPE (MessengerConversation, messenger_conversation, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MessengerChatState, messenger_chat_state,
  G_DEFINE_ENUM_VALUE (MESSENGER_CHAT_STATE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MESSENGER_CHAT_STATE_ACTIVE, "active"),
  G_DEFINE_ENUM_VALUE (MESSENGER_CHAT_STATE_COMPOSING, "composing"),
  G_DEFINE_ENUM_VALUE (MESSENGER_CHAT_STATE_PAUSED, "paused"),
  G_DEFINE_ENUM_VALUE (MESSENGER_CHAT_STATE_INACTIVE, "inactive"),
  G_DEFINE_ENUM_VALUE (MESSENGER_CHAT_STATE_GONE, "gone"))

G_STATIC_ASSERT ((int) MESSENGER_CHAT_STATE_GONE == (int) XMPP_CHAT_STATE_GONE);
G_STATIC_ASSERT ((int) MESSENGER_CHAT_STATE_COMPOSING == (int) XMPP_CHAT_STATE_COMPOSING);

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_PEER,
  PROP_CONTACT,
  PROP_DISPLAY_NAME,
  PROP_LAST_ACTIVITY,
  PROP_UNREAD_COUNT,
  PROP_CURRENT_THREAD,
  PROP_PEER_CHAT_STATE,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE_ADDED,
  SIGNAL_MESSAGE_STATE_CHANGED,
  SIGNAL_MESSAGES_READ,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

MessengerConversation *
_messenger_conversation_new (MessengerConversationList *list,
                             MessengerAccount          *account,
                             MessengerStore            *store,
                             gint64                     account_id,
                             const char                *peer,
                             gint64                     last_activity,
                             guint                      unread_count)
{
  MessengerConversation *self = g_object_new (MESSENGER_TYPE_CONVERSATION, NULL);

  self->list = list;
  self->account = g_object_ref (account);
  self->store = g_object_ref (store);
  self->account_id = account_id;
  self->peer = g_strdup (peer);
  self->last_activity = last_activity;
  self->unread_count = unread_count;
  return self;
}

void
_messenger_conversation_detach (MessengerConversation *self)
{
  self->list = NULL;
}

MessengerStore *
_messenger_conversation_get_store (MessengerConversation *self)
{
  return self->store;
}

gint64
_messenger_conversation_get_account_id (MessengerConversation *self)
{
  return self->account_id;
}

const char *
_messenger_conversation_sender_name (MessengerConversation       *self,
                                     const MessengerStoreMessage *message)
{
  if (message->direction == MESSENGER_STORE_DIRECTION_OUT)
    /* Translators: the sender of one's own messages. */
    return _("You");
  return messenger_conversation_get_display_name (self);
}

static void
contact_name_cb (MessengerContact      *contact,
                 GParamSpec            *pspec,
                 MessengerConversation *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
}

void
_messenger_conversation_set_contact (MessengerConversation *self,
                                     MessengerContact      *contact)
{
  if (self->contact == contact)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->contact != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->contact, contact_name_cb, self);
      g_clear_pointer (&self->unread_binding, g_binding_unbind);
      g_clear_object (&self->contact);
    }
  if (contact != NULL)
    {
      self->contact = g_object_ref (contact);
      g_signal_connect_object (contact, "notify::display-name", G_CALLBACK (contact_name_cb), self, 0);
      /* The contact's unread count is the conversation's. */
      self->unread_binding = g_object_bind_property (self, "unread-count", contact, "unread-count",
                                                     G_BINDING_SYNC_CREATE);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Threads */

static MessengerThread *
find_thread (MessengerConversation *self,
             const char            *thread_id,
             guint                 *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->threads));

  /* Threads of one conversation are few, and the one asked for is
   * nearly always the most recently active. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerThread) thread = g_list_model_get_item (G_LIST_MODEL (self->threads), i);

      if (g_strcmp0 (messenger_thread_get_id (thread), thread_id) == 0)
        {
          *position = i;
          return thread;
        }
    }
  return NULL;
}

static void
remember_parent (MessengerConversation *self,
                 const char            *thread_id,
                 const char            *parent_id)
{
  if (thread_id == NULL)
    return;
  if (parent_id != NULL || !g_hash_table_contains (self->parents, thread_id))
    g_hash_table_insert (self->parents, g_strdup (thread_id), g_strdup (parent_id != NULL ? parent_id : ""));
}

static const char *
parent_of (MessengerConversation *self,
           const char            *thread_id)
{
  const char *parent = g_hash_table_lookup (self->parents, thread_id);

  return parent != NULL && *parent != '\0' ? parent : NULL;
}

static void
update_threads (MessengerConversation       *self,
                const MessengerStoreMessage *message)
{
  MessengerThread *thread;
  guint position;

  if (self->threads == NULL || message->thread_id == NULL)
    return;

  thread = find_thread (self, message->thread_id, &position);
  if (thread == NULL)
    {
      MessengerStoreThread record = {
        .thread_id = message->thread_id,
        .parent_thread_id = message->parent_thread_id != NULL ? message->parent_thread_id
                                                              : (char *) parent_of (self, message->thread_id),
      };
      g_autoptr(MessengerThread) added = _messenger_thread_new (self->store, self->account_id, self->peer, &record);

      _messenger_thread_message_added (added, message);
      g_list_store_insert_sorted (self->threads, added, _messenger_thread_compare, NULL);
      return;
    }

  _messenger_thread_message_added (thread, message);

  /* Move it up if it is now more recent than the one before it. */
  if (position > 0)
    {
      g_autoptr(MessengerThread) before = g_list_model_get_item (G_LIST_MODEL (self->threads), position - 1);

      if (_messenger_thread_compare (thread, before, NULL) < 0)
        {
          g_autoptr(MessengerThread) moved = g_object_ref (thread);

          g_list_store_remove (self->threads, position);
          g_list_store_insert_sorted (self->threads, moved, _messenger_thread_compare, NULL);
        }
    }
}

GListModel *
messenger_conversation_get_threads (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);

  if (self->threads == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) records = NULL;

      self->threads = g_list_store_new (MESSENGER_TYPE_THREAD);
      records = messenger_store_list_threads (self->store, self->account_id, self->peer, &error);
      if (records == NULL)
        g_warning ("Cannot read the threads with %s: %s", self->peer, error->message);
      for (guint i = 0; records != NULL && i < records->len; i++)
        {
          const MessengerStoreThread *record = records->pdata[i];
          g_autoptr(MessengerThread) thread = _messenger_thread_new (self->store, self->account_id,
                                                                     self->peer, record);

          remember_parent (self, record->thread_id, record->parent_thread_id);
          /* Already most recent first. */
          g_list_store_append (self->threads, thread);
        }
    }
  return G_LIST_MODEL (self->threads);
}

static void
set_current_thread (MessengerConversation *self,
                    const char            *thread_id)
{
  if (g_strcmp0 (self->current_thread, thread_id) == 0)
    return;
  g_free (self->current_thread);
  self->current_thread = g_strdup (thread_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_THREAD]);
}

/* RFC 6121 §5.2.5: one generated thread id per chat session. */
static const char *
session_thread (MessengerConversation *self)
{
  if (self->session_thread == NULL)
    {
      self->session_thread = g_uuid_string_random ();
      remember_parent (self, self->session_thread, NULL);
    }
  return self->session_thread;
}

/* Storing */

typedef struct
{
  MessengerConversation *conversation;
  MessengerStoreMessage *message;
  XmppElement           *receipt;      /* XEP-0184: sent once stored */
  guint64                ack_token;    /* XEP-0198: completed once stored */
} InsertData;

static void
insert_data_free (InsertData *data)
{
  g_object_unref (data->conversation);
  messenger_store_message_free (data->message);
  g_clear_pointer (&data->receipt, xmpp_element_unref);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InsertData, insert_data_free)

/* A message is in the store: now the models may know. */
static void
stored (MessengerConversation       *self,
        const MessengerStoreMessage *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (message->time > self->last_activity)
    {
      self->last_activity = message->time;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
    }
  if (message->direction == MESSENGER_STORE_DIRECTION_IN && message->unread)
    {
      self->unread_count++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
    }
  remember_parent (self, message->thread_id, message->parent_thread_id);
  update_threads (self, message);
  /* A reply answers what just arrived. */
  if (message->direction == MESSENGER_STORE_DIRECTION_IN && message->thread_id != NULL)
    set_current_thread (self, message->thread_id);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[SIGNAL_MESSAGE_ADDED], 0, message);
  if (message->direction == MESSENGER_STORE_DIRECTION_IN && self->list != NULL)
    _messenger_conversation_list_message_received (self->list, self, message);
}

static void
inserted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(InsertData) data = user_data;
  MessengerConversation *self = data->conversation;
  g_autoptr(GError) error = NULL;
  gboolean duplicate = FALSE;
  gint64 id;

  id = messenger_store_insert_message_finish (MESSENGER_STORE (source), result, &duplicate, &error);
  if (id <= 0)
    {
      /* Not stored: an incoming message is then not handled (with stream
       * management it would not be acknowledged either), an outgoing one
       * is not sent. */
      g_warning ("Cannot store a message with %s: %s", self->peer,
                 error != NULL ? error->message : "no id");
      return;
    }

  /* On disk (or already there): the server may forget it now. */
  messenger_account_complete_ack (self->account, data->ack_token);

  /* The receipt says "it is here": only now that it is on disk, and also
   * for a duplicate (the sender may have missed our first receipt). */
  if (data->receipt != NULL && messenger_account_get_send_receipts (self->account))
    messenger_account_send_stanza (self->account, data->receipt);

  if (duplicate)
    return;

  data->message->id = id;
  stored (self, data->message);

  /* Only our own new messages go out; a sent carbon already went. */
  if (data->message->direction == MESSENGER_STORE_DIRECTION_OUT
      && data->message->state == MESSENGER_STORE_DELIVERY_PENDING && self->list != NULL)
    _messenger_conversation_list_send (self->list, self, data->message);
}

static void
insert (MessengerConversation *self,
        MessengerStoreMessage *message,
        XmppElement           *receipt,
        guint64                ack_token)
{
  InsertData *data = g_new0 (InsertData, 1);

  data->ack_token = ack_token;

  data->conversation = g_object_ref (self);
  data->message = message;
  data->receipt = receipt != NULL ? xmpp_element_ref (receipt) : NULL;
  messenger_store_insert_message_async (self->store, message, NULL, inserted_cb, data);
}

static MessengerStoreMessageType
type_from_xmpp (XmppMessageType type)
{
  switch (type)
    {
    case XMPP_MESSAGE_NORMAL:
      return MESSENGER_STORE_MESSAGE_NORMAL;
    case XMPP_MESSAGE_GROUPCHAT:
      return MESSENGER_STORE_MESSAGE_GROUPCHAT;
    case XMPP_MESSAGE_HEADLINE:
      return MESSENGER_STORE_MESSAGE_HEADLINE;
    case XMPP_MESSAGE_ERROR:
      return MESSENGER_STORE_MESSAGE_ERROR;
    case XMPP_MESSAGE_CHAT:
    default:
      return MESSENGER_STORE_MESSAGE_CHAT;
    }
}

MessengerStoreMessage *
_messenger_conversation_new_record (MessengerConversation   *self,
                                    const XmppMessage       *message,
                                    MessengerStoreDirection  direction)
{
  MessengerStoreMessage *record = messenger_store_message_new ();
  const char *own = messenger_account_get_jid (self->account);

  record->account_id = self->account_id;
  record->peer = g_strdup (self->peer);
  record->thread_id = g_strdup (message->thread != NULL ? message->thread : session_thread (self));
  record->parent_thread_id = g_strdup (message->parent_thread);
  record->direction = direction;
  record->type = type_from_xmpp (message->type);
  record->body = g_strdup (message->body);
  record->subject = g_strdup (message->subject);
  record->received_time = g_get_real_time ();
  if (message->delay != NULL)
    record->delay_time = g_date_time_to_unix (message->delay) * G_USEC_PER_SEC
                         + g_date_time_get_microsecond (message->delay);
  record->time = record->delay_time != 0 ? record->delay_time : record->received_time;
  /* XEP-0359 §3.1: only a stanza-id added by our own server (account) is
   * to be trusted; anyone else's could be forged. */
  if (message->stanza_id != NULL && g_strcmp0 (message->stanza_id_by, own) == 0)
    {
      record->stanza_id = g_strdup (message->stanza_id);
      record->stanza_id_by = g_strdup (message->stanza_id_by);
    }
  record->origin_id = g_strdup (message->origin_id);
  record->message_id = g_strdup (message->id);
  if (direction == MESSENGER_STORE_DIRECTION_IN)
    {
      record->state = MESSENGER_STORE_DELIVERY_DELIVERED;
      record->unread = TRUE;
    }
  else
    /* Ours, from another device: the server has it. */
    record->state = MESSENGER_STORE_DELIVERY_ACKED;
  return record;
}

void
_messenger_conversation_receive (MessengerConversation *self,
                                 const XmppMessage     *message,
                                 XmppElement           *receipt,
                                 guint64                ack_token)
{
  insert (self, _messenger_conversation_new_record (self, message, MESSENGER_STORE_DIRECTION_IN), receipt,
          ack_token);
}

void
_messenger_conversation_add_sent_elsewhere (MessengerConversation *self,
                                            const XmppMessage     *message,
                                            guint64                ack_token)
{
  insert (self, _messenger_conversation_new_record (self, message, MESSENGER_STORE_DIRECTION_OUT), NULL,
          ack_token);
}

void
_messenger_conversation_stored (MessengerConversation       *self,
                                const MessengerStoreMessage *message)
{
  stored (self, message);
}

void
_messenger_conversation_set_state (MessengerConversation  *self,
                                   gint64                  id,
                                   MessengerDeliveryState  state)
{
  g_signal_emit (self, signals[SIGNAL_MESSAGE_STATE_CHANGED], 0, id, state);
}

/* Chat states */

static gboolean peer_composing_timeout_cb (gpointer user_data);

static void
set_peer_chat_state (MessengerConversation *self,
                     MessengerChatState     state)
{
  g_clear_handle_id (&self->peer_composing_source, g_source_remove);
  if (state == MESSENGER_CHAT_STATE_COMPOSING)
    self->peer_composing_source = g_timeout_add (self->peer_timeout_ms, peer_composing_timeout_cb, self);

  if (self->peer_chat_state == state)
    return;
  self->peer_chat_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_CHAT_STATE]);
}

static gboolean
peer_composing_timeout_cb (gpointer user_data)
{
  MessengerConversation *self = user_data;

  self->peer_composing_source = 0;
  set_peer_chat_state (self, MESSENGER_CHAT_STATE_PAUSED);
  return G_SOURCE_REMOVE;
}

void
_messenger_conversation_peer_chat_state (MessengerConversation *self,
                                         XmppChatState          state,
                                         gboolean               with_body)
{
  if (with_body)
    {
      /* Whatever the peer was typing has arrived. */
      if (state != XMPP_CHAT_STATE_ACTIVE && state != XMPP_CHAT_STATE_INACTIVE
          && state != XMPP_CHAT_STATE_GONE)
        state = XMPP_CHAT_STATE_NONE;
      set_peer_chat_state (self, (MessengerChatState) state);
    }
  else if (state != XMPP_CHAT_STATE_NONE)
    set_peer_chat_state (self, (MessengerChatState) state);
}

static gboolean
send_chat_state (MessengerConversation *self,
                 MessengerChatState     state)
{
  g_autoptr(XmppMessage) message = NULL;
  g_autoptr(XmppJid) to = NULL;

  if (!messenger_account_get_send_chat_states (self->account))
    return FALSE;
  if ((to = xmpp_jid_new (self->peer, NULL)) == NULL)
    return FALSE;

  message = xmpp_message_new (XMPP_MESSAGE_CHAT, to, NULL);
  message->chat_state = (XmppChatState) state;
  /* XEP-0085 §5.6: notifications name the thread they are about. */
  message->thread = g_strdup (self->current_thread);
  if (!messenger_account_send_message (self->account, message))
    return FALSE;
  self->own_chat_state = state;
  return TRUE;
}

static gboolean
own_composing_timeout_cb (gpointer user_data)
{
  MessengerConversation *self = user_data;

  self->own_composing_source = 0;
  if (self->own_chat_state == MESSENGER_CHAT_STATE_COMPOSING)
    send_chat_state (self, MESSENGER_CHAT_STATE_PAUSED);
  return G_SOURCE_REMOVE;
}

void
_messenger_conversation_own_chat_state_sent (MessengerConversation *self,
                                             XmppChatState          state)
{
  g_clear_handle_id (&self->own_composing_source, g_source_remove);
  self->own_chat_state = (MessengerChatState) state;
}

void
_messenger_conversation_session_ended (MessengerConversation *self)
{
  g_clear_handle_id (&self->own_composing_source, g_source_remove);
  self->own_chat_state = MESSENGER_CHAT_STATE_NONE;
  set_peer_chat_state (self, MESSENGER_CHAT_STATE_NONE);
}

void
_messenger_conversation_set_chat_state_timeouts (MessengerConversation *self,
                                                 guint                  peer_composing_ms,
                                                 guint                  own_composing_ms)
{
  self->peer_timeout_ms = peer_composing_ms;
  self->own_timeout_ms = own_composing_ms;
}

MessengerChatState
messenger_conversation_get_peer_chat_state (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), MESSENGER_CHAT_STATE_NONE);
  return self->peer_chat_state;
}

void
messenger_conversation_set_composing (MessengerConversation *self,
                                      gboolean               composing)
{
  g_return_if_fail (MESSENGER_IS_CONVERSATION (self));

  if (!composing)
    {
      g_clear_handle_id (&self->own_composing_source, g_source_remove);
      /* The text was cleared (XEP-0085 §5.1: back to active). */
      if (self->own_chat_state == MESSENGER_CHAT_STATE_COMPOSING
          || self->own_chat_state == MESSENGER_CHAT_STATE_PAUSED)
        send_chat_state (self, MESSENGER_CHAT_STATE_ACTIVE);
      return;
    }

  if (self->own_chat_state != MESSENGER_CHAT_STATE_COMPOSING
      && !send_chat_state (self, MESSENGER_CHAT_STATE_COMPOSING))
    return;
  /* Each keystroke pushes the pause back. */
  g_clear_handle_id (&self->own_composing_source, g_source_remove);
  self->own_composing_source = g_timeout_add (self->own_timeout_ms, own_composing_timeout_cb, self);
}

/* Public API */

char *
messenger_conversation_send (MessengerConversation *self,
                             const char            *text,
                             const char            *thread_id)
{
  return messenger_conversation_send_full (self, text, NULL, thread_id);
}

char *
messenger_conversation_send_full (MessengerConversation *self,
                                  const char            *text,
                                  const char            *subject,
                                  const char            *thread_id)
{
  MessengerStoreMessage *record;
  const char *thread;

  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (text != NULL && *text != '\0', NULL);

  thread = thread_id != NULL ? thread_id
         : self->current_thread != NULL ? self->current_thread
         : session_thread (self);

  record = messenger_store_message_new ();
  record->account_id = self->account_id;
  record->peer = g_strdup (self->peer);
  record->thread_id = g_strdup (thread);
  record->parent_thread_id = g_strdup (parent_of (self, thread));
  record->direction = MESSENGER_STORE_DIRECTION_OUT;
  record->type = MESSENGER_STORE_MESSAGE_CHAT;
  record->body = g_strdup (text);
  record->subject = subject != NULL && *subject != '\0' ? g_strdup (subject) : NULL;
  record->time = record->received_time = g_get_real_time ();
  record->origin_id = g_uuid_string_random ();
  record->state = MESSENGER_STORE_DELIVERY_PENDING;
  set_current_thread (self, thread);
  /* The message says it: no pause to send for what was typed. */
  g_clear_handle_id (&self->own_composing_source, g_source_remove);
  insert (self, record, NULL, 0);
  return g_strdup (record->origin_id);
}

void
messenger_conversation_retry (MessengerConversation *self,
                              MessengerMessage      *message)
{
  g_autoptr(MessengerStoreMessage) record = NULL;

  g_return_if_fail (MESSENGER_IS_CONVERSATION (self));
  g_return_if_fail (MESSENGER_IS_MESSAGE (message));

  if (!messenger_message_get_outgoing (message)
      || messenger_message_get_state (message) != MESSENGER_DELIVERY_FAILED
      || self->list == NULL)
    return;

  record = messenger_store_message_new ();
  record->id = messenger_message_get_id (message);
  record->account_id = self->account_id;
  record->peer = g_strdup (self->peer);
  record->thread_id = g_strdup (messenger_message_get_thread_id (message));
  record->parent_thread_id = g_strdup (parent_of (self, record->thread_id));
  record->direction = MESSENGER_STORE_DIRECTION_OUT;
  record->type = MESSENGER_STORE_MESSAGE_CHAT;
  record->body = g_strdup (messenger_message_get_body (message));
  record->subject = g_strdup (messenger_message_get_subject (message));
  record->origin_id = g_strdup (messenger_message_get_origin_id (message));
  record->state = MESSENGER_STORE_DELIVERY_PENDING;
  _messenger_conversation_list_resend (self->list, self, record);
}

const char *
messenger_conversation_new_thread (MessengerConversation *self,
                                   const char            *parent_thread_id)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);

  g_free (self->session_thread);
  self->session_thread = g_uuid_string_random ();
  remember_parent (self, self->session_thread, parent_thread_id);
  set_current_thread (self, self->session_thread);
  return self->session_thread;
}

typedef struct
{
  MessengerConversation *conversation;
  char                  *thread_id;
  gint64                 up_to_id;
} MarkReadData;

static void
mark_read_data_free (MarkReadData *data)
{
  g_object_unref (data->conversation);
  g_free (data->thread_id);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MarkReadData, mark_read_data_free)

static void
marked_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(MarkReadData) data = user_data;
  MessengerConversation *self = data->conversation;
  g_autoptr(GError) error = NULL;
  guint marked;

  marked = messenger_store_mark_read_finish (MESSENGER_STORE (source), result, &error);
  if (error != NULL)
    {
      g_warning ("Cannot mark messages with %s read: %s", self->peer, error->message);
      return;
    }
  if (marked == 0)
    return;

  /* Writes complete in order, so every message counted before was
   * counted here too if it was marked. */
  self->unread_count = marked < self->unread_count ? self->unread_count - marked : 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
  /* The same range as the store's, so message lists clear the flags of
   * exactly the rows it marked. */
  g_signal_emit (self, signals[SIGNAL_MESSAGES_READ], 0, data->thread_id, data->up_to_id);

  if (self->threads != NULL)
    {
      g_autoptr(GPtrArray) records = messenger_store_list_threads (self->store, self->account_id,
                                                                   self->peer, NULL);

      for (guint i = 0; records != NULL && i < records->len; i++)
        {
          const MessengerStoreThread *record = records->pdata[i];
          MessengerThread *thread;
          guint position;

          if ((thread = find_thread (self, record->thread_id, &position)) != NULL)
            _messenger_thread_set_unread_count (thread, record->unread);
        }
    }
}

void
messenger_conversation_mark_read (MessengerConversation *self,
                                  const char            *thread_id,
                                  gint64                 up_to_id)
{
  MarkReadData *data;

  g_return_if_fail (MESSENGER_IS_CONVERSATION (self));

  data = g_new0 (MarkReadData, 1);
  data->conversation = g_object_ref (self);
  data->thread_id = g_strdup (thread_id);
  data->up_to_id = up_to_id;
  messenger_store_mark_read_async (self->store, self->account_id, self->peer, thread_id, up_to_id,
                                   NULL, marked_read_cb, data);
}

MessengerAccount *
messenger_conversation_get_account (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);
  return self->account;
}

const char *
messenger_conversation_get_peer (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);
  return self->peer;
}

MessengerContact *
messenger_conversation_get_contact (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);
  return self->contact;
}

const char *
messenger_conversation_get_display_name (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);

  if (self->contact != NULL)
    return messenger_contact_get_display_name (self->contact);
  return self->peer;
}

gint64
messenger_conversation_get_last_activity (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), 0);
  return self->last_activity;
}

guint
messenger_conversation_get_unread_count (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), 0);
  return self->unread_count;
}

const char *
messenger_conversation_get_current_thread (MessengerConversation *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (self), NULL);
  return self->current_thread;
}

void
messenger_conversation_set_current_thread (MessengerConversation *self,
                                           const char            *thread_id)
{
  g_return_if_fail (MESSENGER_IS_CONVERSATION (self));
  set_current_thread (self, thread_id);
}

static void
messenger_conversation_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MessengerConversation *self = MESSENGER_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, messenger_conversation_get_display_name (self));
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;
    case PROP_CURRENT_THREAD:
      g_value_set_string (value, self->current_thread);
      break;
    case PROP_PEER_CHAT_STATE:
      g_value_set_enum (value, self->peer_chat_state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_conversation_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  MessengerConversation *self = MESSENGER_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_CURRENT_THREAD:
      set_current_thread (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_conversation_dispose (GObject *object)
{
  MessengerConversation *self = MESSENGER_CONVERSATION (object);

  _messenger_conversation_set_contact (self, NULL);
  g_clear_object (&self->threads);
  g_clear_handle_id (&self->peer_composing_source, g_source_remove);
  g_clear_handle_id (&self->own_composing_source, g_source_remove);

  G_OBJECT_CLASS (messenger_conversation_parent_class)->dispose (object);
}

static void
messenger_conversation_finalize (GObject *object)
{
  MessengerConversation *self = MESSENGER_CONVERSATION (object);

  g_clear_object (&self->account);
  g_clear_object (&self->store);
  g_free (self->peer);
  g_hash_table_unref (self->parents);
  g_free (self->current_thread);
  g_free (self->session_thread);

  G_OBJECT_CLASS (messenger_conversation_parent_class)->finalize (object);
}

static void
messenger_conversation_class_init (MessengerConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_conversation_get_property;
  object_class->set_property = messenger_conversation_set_property;
  object_class->dispose = messenger_conversation_dispose;
  object_class->finalize = messenger_conversation_finalize;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER] =
    g_param_spec_string ("peer", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL, MESSENGER_TYPE_CONTACT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_THREAD] =
    g_param_spec_string ("current-thread", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_CHAT_STATE] =
    g_param_spec_enum ("peer-chat-state", NULL, NULL, MESSENGER_TYPE_CHAT_STATE, MESSENGER_CHAT_STATE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_MESSAGE_STATE_CHANGED] =
    g_signal_new ("message-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, MESSENGER_TYPE_DELIVERY_STATE);
  signals[SIGNAL_MESSAGES_READ] =
    g_signal_new ("messages-read", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
}

static void
messenger_conversation_init (MessengerConversation *self)
{
  self->parents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->peer_timeout_ms = PEER_COMPOSING_TIMEOUT_MS;
  self->own_timeout_ms = OWN_PAUSED_TIMEOUT_MS;
}
