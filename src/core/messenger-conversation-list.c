/* messenger-conversation-list.c: an account's conversations, and its mail
 *
 * The outgoing path, per connection session (the account's ONLINE spells):
 *
 *   stored pending ──▶ send(): online and not written this session?
 *        │                 └──▶ written, state SENT, queued for the barrier
 *        │                                   │ (idle: one ping per burst)
 *        │                      ping answered ──▶ state ACKED for the burst
 *        ▼
 *   ONLINE again ──▶ list_pending (PENDING + SENT) ──▶ send() each
 *
 * "Written this session" is a set of row ids cleared whenever the account
 * leaves ONLINE, so a row is written at most once per session, and again
 * in the next session only if the server never confirmed it.  Recipients
 * and stores drop the rare duplicate by its origin-id.
 *
 * Archive catch-up (XEP-0313) after a reconnect belongs in
 * catch_up_archive(); it does nothing yet: see docs/models.md.
 */
#include "config.h"

#include "messenger-conversation-private.h"

struct _MessengerConversationList
{
  GObject           parent_instance;

  /* owned */
  MessengerAccount *account;
  MessengerStore   *store;
  gint64            account_id;
  MessengerRoster  *roster;

  GPtrArray        *items;           /* MessengerConversation with activity, most recent first */
  GHashTable       *by_peer;         /* peer → MessengerConversation (every one made) */

  /* the current session */
  gboolean          online;
  GCancellable     *session;
  GHashTable       *written;         /* row ids written this session */
  GPtrArray        *unacked;         /* AckEntry: written since the last barrier */
  guint             barrier_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerConversationList, messenger_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  MessengerConversation *conversation;
  gint64                 id;
} AckEntry;

static void
ack_entry_free (AckEntry *entry)
{
  g_object_unref (entry->conversation);
  g_free (entry);
}

static void
items_changed (MessengerConversationList *self,
               guint                      position,
               guint                      removed,
               guint                      added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Order */

static gboolean
find_item (MessengerConversationList *self,
           MessengerConversation     *conversation,
           guint                     *position)
{
  return g_ptr_array_find (self->items, conversation, position);
}

/* A conversation got a message: it moves up to its place by last
 * activity (activity only grows, so never down). */
static void
message_added_cb (MessengerConversation       *conversation,
                  const MessengerStoreMessage *message,
                  MessengerConversationList   *self)
{
  gint64 last = messenger_conversation_get_last_activity (conversation);
  guint position, target = 0;
  gboolean present = find_item (self, conversation, &position);
  guint limit = present ? position : self->items->len;

  while (target < limit
         && messenger_conversation_get_last_activity (self->items->pdata[target]) >= last)
    target++;

  if (present)
    {
      if (target == position)
        return;
      g_ptr_array_steal_index (self->items, position);
      items_changed (self, position, 1, 0);
      g_ptr_array_insert (self->items, target, conversation);
      items_changed (self, target, 0, 1);
    }
  else
    {
      g_ptr_array_insert (self->items, target, g_object_ref (conversation));
      items_changed (self, target, 0, 1);
    }
}

static MessengerConversation *
add_conversation (MessengerConversationList *self,
                  const char                *peer,
                  gint64                     last_activity,
                  guint                      unread_count)
{
  MessengerConversation *conversation;

  conversation = _messenger_conversation_new (self, self->account, self->store, self->account_id,
                                              peer, last_activity, unread_count);
  g_hash_table_insert (self->by_peer, g_strdup (peer), conversation);
  if (self->roster != NULL)
    {
      MessengerContact *contact = messenger_roster_lookup (self->roster, peer);

      if (contact != NULL)
        _messenger_conversation_set_contact (conversation, contact);
    }
  g_signal_connect_object (conversation, "message-added", G_CALLBACK (message_added_cb), self, 0);
  return conversation;
}

/* New roster contacts meet their conversations. */
static void
roster_changed_cb (GListModel                *roster,
                   guint                      position,
                   guint                      removed,
                   guint                      added,
                   MessengerConversationList *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MessengerContact) contact = g_list_model_get_item (roster, i);
      MessengerConversation *conversation = g_hash_table_lookup (self->by_peer,
                                                                 messenger_contact_get_jid (contact));

      if (conversation != NULL)
        _messenger_conversation_set_contact (conversation, contact);
    }
}

/* Sending */

typedef struct
{
  MessengerConversation  *conversation;
  MessengerDeliveryState  state;
} StateData;

static void
state_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  StateData *data = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = messenger_store_set_delivery_state_finish (MESSENGER_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("Cannot store a delivery state: %s", error->message);
  else if (id > 0)
    _messenger_conversation_set_state (data->conversation, id, data->state);
  g_object_unref (data->conversation);
  g_free (data);
}

static void
set_state (MessengerConversationList *self,
           MessengerConversation     *conversation,
           gint64                     id,
           MessengerDeliveryState     state)
{
  StateData *data = g_new0 (StateData, 1);

  data->conversation = g_object_ref (conversation);
  data->state = state;
  messenger_store_set_delivery_state_async (self->store, id, (MessengerStoreDeliveryState) state,
                                            NULL, state_stored_cb, data);
}

typedef struct
{
  MessengerConversationList *list;
  GPtrArray                 *entries;   /* AckEntry */
} BarrierData;

static void
barrier_answered_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  BarrierData *data = user_data;
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);
  /* An error reply is an answer too: the server got this far. */
  if (reply != NULL || (error != NULL && error->domain == XMPP_STANZA_ERROR))
    {
      for (guint i = 0; i < data->entries->len; i++)
        {
          AckEntry *entry = data->entries->pdata[i];

          set_state (data->list, entry->conversation, entry->id, MESSENGER_DELIVERY_ACKED);
        }
    }
  /* Otherwise the connection is gone or the server is silent: the
   * messages stay SENT and are written again in the next session. */
  g_ptr_array_unref (data->entries);
  g_object_unref (data->list);
  g_free (data);
}

static gboolean
barrier_cb (gpointer user_data)
{
  MessengerConversationList *self = user_data;
  XmppClient *client = messenger_account_get_client (self->account);
  g_autoptr(XmppElement) ping = NULL;
  BarrierData *data;

  self->barrier_source = 0;
  if (client == NULL || self->unacked->len == 0)
    return G_SOURCE_REMOVE;

  data = g_new0 (BarrierData, 1);
  data->list = g_object_ref (self);
  data->entries = g_steal_pointer (&self->unacked);
  self->unacked = g_ptr_array_new_with_free_func ((GDestroyNotify) ack_entry_free);

  ping = xmpp_stanza_new_iq ("get", xmpp_jid_get_domain (messenger_account_get_xmpp_jid (self->account)), NULL);
  xmpp_element_add_child_new (ping, XMPP_NS_PING, "ping");
  xmpp_client_send_iq_async (client, ping, self->session, barrier_answered_cb, data);
  return G_SOURCE_REMOVE;
}

void
_messenger_conversation_list_send (MessengerConversationList   *self,
                                   MessengerConversation       *conversation,
                                   const MessengerStoreMessage *message)
{
  g_autoptr(XmppMessage) stanza = NULL;
  g_autoptr(XmppJid) to = NULL;
  AckEntry *entry;

  if (!self->online || g_hash_table_contains (self->written, &message->id))
    return;
  if ((to = xmpp_jid_new (message->peer, NULL)) == NULL)
    return;

  stanza = xmpp_message_new (XMPP_MESSAGE_CHAT, to, message->body);
  stanza->thread = g_strdup (message->thread_id);
  stanza->parent_thread = g_strdup (message->parent_thread_id);
  stanza->origin_id = g_strdup (message->origin_id);
  stanza->id = g_strdup (message->message_id != NULL ? message->message_id : message->origin_id);
  if (!messenger_account_send_message (self->account, stanza))
    return;

  g_hash_table_add (self->written, g_memdup2 (&message->id, sizeof message->id));
  if (message->state == MESSENGER_STORE_DELIVERY_PENDING)
    set_state (self, conversation, message->id, MESSENGER_DELIVERY_SENT);

  entry = g_new0 (AckEntry, 1);
  entry->conversation = g_object_ref (conversation);
  entry->id = message->id;
  g_ptr_array_add (self->unacked, entry);
  if (self->barrier_source == 0)
    self->barrier_source = g_idle_add (barrier_cb, self);
}

/* Hook: catch up with the server's archive (XEP-0313) since the newest
 * archive id in the store (messenger_store_get_mam_state()), page by page
 * with messenger_store_insert_messages_async() (which removes what was
 * received live), then messenger_store_set_mam_state_async().  Not done
 * yet: the protocol library has no MAM module. */
static void
catch_up_archive (MessengerConversationList *self)
{
}

static void
session_started (MessengerConversationList *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;

  self->online = TRUE;
  self->session = g_cancellable_new ();

  pending = messenger_store_list_pending (self->store, self->account_id, &error);
  if (pending == NULL)
    g_warning ("Cannot read the messages waiting to be sent: %s", error->message);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      const MessengerStoreMessage *message = pending->pdata[i];
      MessengerConversation *conversation = messenger_conversation_list_get_conversation (self, message->peer);

      if (conversation != NULL)
        _messenger_conversation_list_send (self, conversation, message);
    }

  catch_up_archive (self);
}

static void
session_ended (MessengerConversationList *self)
{
  self->online = FALSE;
  if (self->session != NULL)
    g_cancellable_cancel (self->session);
  g_clear_object (&self->session);
  g_clear_handle_id (&self->barrier_source, g_source_remove);
  g_hash_table_remove_all (self->written);
  g_ptr_array_set_size (self->unacked, 0);
}

static void
account_state_cb (MessengerAccount          *account,
                  GParamSpec                *pspec,
                  MessengerConversationList *self)
{
  gboolean online = messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE;

  if (online == self->online)
    return;
  if (online)
    session_started (self);
  else
    session_ended (self);
}

/* Receiving */

typedef struct
{
  MessengerConversationList *list;
  char                      *peer;
} FailedData;

static void
failed_stored_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FailedData *data = user_data;
  gint64 id;

  id = messenger_store_set_delivery_state_finish (MESSENGER_STORE (source), result, NULL);
  if (id > 0)
    {
      MessengerConversation *conversation = g_hash_table_lookup (data->list->by_peer, data->peer);

      if (conversation != NULL)
        _messenger_conversation_set_state (conversation, id, MESSENGER_DELIVERY_FAILED);
    }
  g_object_unref (data->list);
  g_free (data->peer);
  g_free (data);
}

static void
message_cb (MessengerAccount          *account,
            XmppMessage               *message,
            MessengerConversationList *self)
{
  MessengerConversation *conversation;
  const char *peer;

  /* Messages without a sender come from our own server; group chats are
   * not handled here. */
  if (message->from == NULL || message->type == XMPP_MESSAGE_GROUPCHAT)
    return;
  peer = xmpp_jid_get_bare_string (message->from);

  if (message->type == XMPP_MESSAGE_ERROR)
    {
      /* A bounce of one of ours names it by the id we gave it. */
      if (message->id != NULL)
        {
          FailedData *data = g_new0 (FailedData, 1);

          data->list = g_object_ref (self);
          data->peer = g_strdup (peer);
          messenger_store_set_delivery_state_by_origin_id_async (self->store, self->account_id, peer,
                                                                 message->id, MESSENGER_STORE_DELIVERY_FAILED,
                                                                 NULL, failed_stored_cb, data);
        }
      return;
    }

  /* Chat states or a lone <thread/>: nothing to keep. */
  if (message->body == NULL && message->subject == NULL)
    return;

  conversation = messenger_conversation_list_get_conversation (self, peer);
  if (conversation != NULL)
    _messenger_conversation_receive (conversation, message);
}

/* Life */

static void
load_from_store (MessengerConversationList *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;

  records = messenger_store_list_conversations (self->store, self->account_id, &error);
  if (records == NULL)
    {
      g_warning ("Cannot read the cached conversations: %s", error->message);
      return;
    }
  /* Most recent first already. */
  for (guint i = 0; i < records->len; i++)
    {
      const MessengerStoreConversation *record = records->pdata[i];
      MessengerConversation *conversation;

      if (g_hash_table_contains (self->by_peer, record->peer))
        continue;
      conversation = add_conversation (self, record->peer, record->last_time, record->unread);
      g_ptr_array_add (self->items, g_object_ref (conversation));
    }
}

MessengerConversationList *
messenger_conversation_list_new (MessengerAccount *account,
                                 MessengerStore   *store,
                                 gint64            account_id,
                                 MessengerRoster  *roster)
{
  MessengerConversationList *self;

  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (MESSENGER_IS_STORE (store), NULL);
  g_return_val_if_fail (account_id > 0, NULL);
  g_return_val_if_fail (roster == NULL || MESSENGER_IS_ROSTER (roster), NULL);

  self = g_object_new (MESSENGER_TYPE_CONVERSATION_LIST, "account", account, NULL);
  self->store = g_object_ref (store);
  self->account_id = account_id;
  if (roster != NULL)
    {
      self->roster = g_object_ref (roster);
      g_signal_connect_object (roster, "items-changed", G_CALLBACK (roster_changed_cb), self, 0);
    }
  load_from_store (self);

  g_signal_connect_object (account, "message", G_CALLBACK (message_cb), self, 0);
  g_signal_connect_object (account, "notify::state", G_CALLBACK (account_state_cb), self, 0);
  if (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE)
    session_started (self);
  return self;
}

MessengerAccount *
messenger_conversation_list_get_account (MessengerConversationList *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION_LIST (self), NULL);
  return self->account;
}

MessengerConversation *
messenger_conversation_list_get_conversation (MessengerConversationList *self,
                                              const char                *peer)
{
  g_autoptr(XmppJid) jid = NULL;
  MessengerConversation *conversation;

  g_return_val_if_fail (MESSENGER_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  if ((conversation = g_hash_table_lookup (self->by_peer, peer)) != NULL)
    return conversation;

  /* The canonical bare JID, so "Bob@Example.org/x" finds bob@example.org. */
  if ((jid = xmpp_jid_new (peer, NULL)) == NULL)
    return NULL;
  peer = xmpp_jid_get_bare_string (jid);
  if ((conversation = g_hash_table_lookup (self->by_peer, peer)) != NULL)
    return conversation;
  return add_conversation (self, peer, 0, 0);
}

static GType
messenger_conversation_list_get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_CONVERSATION;
}

static guint
messenger_conversation_list_get_n_items (GListModel *model)
{
  return MESSENGER_CONVERSATION_LIST (model)->items->len;
}

static gpointer
messenger_conversation_list_get_item (GListModel *model,
                                      guint       position)
{
  MessengerConversationList *self = MESSENGER_CONVERSATION_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = messenger_conversation_list_get_item_type;
  iface->get_n_items = messenger_conversation_list_get_n_items;
  iface->get_item = messenger_conversation_list_get_item;
}

static void
messenger_conversation_list_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  MessengerConversationList *self = MESSENGER_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_conversation_list_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  MessengerConversationList *self = MESSENGER_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_conversation_list_dispose (GObject *object)
{
  MessengerConversationList *self = MESSENGER_CONVERSATION_LIST (object);
  GHashTableIter iter;
  gpointer value;

  session_ended (self);
  g_hash_table_iter_init (&iter, self->by_peer);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_signal_handlers_disconnect_by_func (value, message_added_cb, self);
      _messenger_conversation_detach (value);
    }
  g_hash_table_remove_all (self->by_peer);
  g_ptr_array_set_size (self->items, 0);
  g_clear_object (&self->roster);
  g_clear_object (&self->store);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (messenger_conversation_list_parent_class)->dispose (object);
}

static void
messenger_conversation_list_finalize (GObject *object)
{
  MessengerConversationList *self = MESSENGER_CONVERSATION_LIST (object);

  g_ptr_array_unref (self->items);
  g_hash_table_unref (self->by_peer);
  g_hash_table_unref (self->written);
  g_ptr_array_unref (self->unacked);

  G_OBJECT_CLASS (messenger_conversation_list_parent_class)->finalize (object);
}

static void
messenger_conversation_list_class_init (MessengerConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_conversation_list_get_property;
  object_class->set_property = messenger_conversation_list_set_property;
  object_class->dispose = messenger_conversation_list_dispose;
  object_class->finalize = messenger_conversation_list_finalize;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_conversation_list_init (MessengerConversationList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->written = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->unacked = g_ptr_array_new_with_free_func ((GDestroyNotify) ack_entry_free);
}
