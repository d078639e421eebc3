/* messenger-conversation-list.c: an account's conversations, and its mail
 *
 * The outgoing path, per session (from the account's ONLINE to its
 * "session-ended"; a session resumed after a lost connection, XEP-0198,
 * is the same session):
 *
 *   stored pending ──▶ send(): online and not written this session?
 *        │                 └──▶ written (tracked), state SENT
 *        │                                   │ XEP-0198 <a/> (or, without
 *        │                                   │ stream management, a ping
 *        │                                   │ answered after it)
 *        │                      acked ──▶ state ACKED; session ended
 *        │                      first ──▶ stays SENT
 *        ▼
 *   ONLINE ──▶ list_pending (PENDING + SENT) ──▶ send() each
 *
 * "Written this session" is a set of row ids cleared when the session
 * ends, so a row is written at most once per session, and again in the
 * next session only if the server never confirmed it.  Recipients and
 * stores drop the rare duplicate by its origin-id.  After a resumption
 * the client itself sends again what the server had not confirmed (their
 * ack callbacks still mark them ACKED), so the pending list only writes
 * what was composed while the connection was down; and the archive is not
 * caught up again, unless the lost connection cut the catch-up short.
 *
 * The incoming path: the account's "message" (content), "notification"
 * (chat states, receipts) and "carbon" (copies of what our other devices
 * sent and received) all end here: receipts mark ours delivered, chat
 * states go to their conversation, content is stored (and then, for a
 * live message that asks, a receipt is sent).  A stanza whose content is
 * stored is acknowledged to the server (XEP-0198) only after the store
 * committed it, duplicates included: its ack is deferred in the handler
 * and completed from the insert's callback, so a crash in between makes
 * the server deliver it again.
 *
 * Archive catch-up, after the resend at each session start (and after a
 * resumption when the previous one did not reach the end):
 *
 *   mam state (store) ─▶ none: newest page, backwards (history, read)
 *        │              └▶ else: the page after last_id (or from the start)
 *        ▼
 *   page ─▶ records ─▶ insert_messages (one transaction, duplicates
 *        dropped by stanza-id/origin-id) ─▶ new rows to their conversations
 *        ─▶ mam state = page's last id ─▶ next page until <fin complete/>
 */
#include "config.h"

#include "messenger-conversation-private.h"
#include "xmpp-mam.h"
#include "xmpp-receipts.h"

/* Results asked for per archive page. */
#define ARCHIVE_PAGE 100

typedef struct _CatchUp CatchUp;

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
  CatchUp          *catch_up;        /* borrowed: the current archive catch-up */
  gboolean          archive_behind;  /* the last catch-up did not reach the end */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerConversationList, messenger_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_N_ITEMS,
  PROP_CATCHING_UP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
  MessengerConversation     *conversation;
  gint64                     id;
} AckData;

static void
ack_data_free (AckData *data)
{
  g_object_unref (data->list);
  g_object_unref (data->conversation);
  g_free (data);
}

/* The server confirmed the message (XEP-0198 <a/>, or a ping answered
 * after it when the server has no stream management), or the session
 * ended first: then it stays SENT and is written again in the next fresh
 * session (a resumed one sends it again by itself). */
static void
message_acked_cb (XmppClient  *client,
                  XmppElement *stanza,
                  gboolean     acked,
                  gpointer     user_data)
{
  AckData *data = user_data;

  if (acked)
    set_state (data->list, data->conversation, data->id, MESSENGER_DELIVERY_ACKED);
}

void
_messenger_conversation_list_send (MessengerConversationList   *self,
                                   MessengerConversation       *conversation,
                                   const MessengerStoreMessage *message)
{
  g_autoptr(XmppMessage) stanza = NULL;
  g_autoptr(XmppJid) to = NULL;
  AckData *data;

  if (!self->online || g_hash_table_contains (self->written, &message->id))
    return;
  if ((to = xmpp_jid_new (message->peer, NULL)) == NULL)
    return;

  stanza = xmpp_message_new (XMPP_MESSAGE_CHAT, to, message->body);
  stanza->thread = g_strdup (message->thread_id);
  stanza->subject = g_strdup (message->subject);
  stanza->parent_thread = g_strdup (message->parent_thread_id);
  stanza->origin_id = g_strdup (message->origin_id);
  /* Receipts name this id, so it is the origin-id the store keys on. */
  stanza->id = g_strdup (message->message_id != NULL ? message->message_id : message->origin_id);
  stanza->request_receipt = TRUE;
  if (messenger_account_get_send_chat_states (self->account))
    stanza->chat_state = XMPP_CHAT_STATE_ACTIVE;
  data = g_new0 (AckData, 1);
  data->list = g_object_ref (self);
  data->conversation = g_object_ref (conversation);
  data->id = message->id;
  if (!messenger_account_send_message_tracked (self->account, stanza, message_acked_cb,
                                               data, (GDestroyNotify) ack_data_free))
    return;
  if (stanza->chat_state != XMPP_CHAT_STATE_NONE)
    _messenger_conversation_own_chat_state_sent (conversation, stanza->chat_state);

  g_hash_table_add (self->written, g_memdup2 (&message->id, sizeof message->id));
  if (message->state == MESSENGER_STORE_DELIVERY_PENDING)
    set_state (self, conversation, message->id, MESSENGER_DELIVERY_SENT);
}

void
_messenger_conversation_list_resend (MessengerConversationList   *self,
                                     MessengerConversation       *conversation,
                                     const MessengerStoreMessage *message)
{
  /* Pending in the store first, so a crash or a disconnect now still
   * sends it after the next connect; then written if online. */
  set_state (self, conversation, message->id, MESSENGER_DELIVERY_PENDING);
  g_hash_table_remove (self->written, &message->id);
  _messenger_conversation_list_send (self, conversation, message);
}

/* Archive catch-up (XEP-0313) */

struct _CatchUp
{
  MessengerConversationList *list;
  GCancellable              *cancellable;    /* the session's */
  MessengerStoreMamState    *state;
  gboolean                   backward;       /* first catch-up: the newest page only */
  gboolean                   finished;       /* reached the end, or the archive said no */
  char                      *after;          /* the id the page was asked after */
  XmppMamPage               *page;
  GPtrArray                 *records;        /* MessengerStoreMessage of the page */
  GPtrArray                 *conversations;  /* the conversation of each record */
};

static void
set_catch_up (MessengerConversationList *self,
              CatchUp                   *catch_up)
{
  gboolean was = self->catch_up != NULL;

  self->catch_up = catch_up;
  if (was != (catch_up != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CATCHING_UP]);
}

static void
catch_up_free (CatchUp *catch_up)
{
  if (catch_up->list->catch_up == catch_up)
    {
      if (catch_up->finished)
        catch_up->list->archive_behind = FALSE;
      set_catch_up (catch_up->list, NULL);
    }
  g_object_unref (catch_up->list);
  g_object_unref (catch_up->cancellable);
  messenger_store_mam_state_free (catch_up->state);
  g_free (catch_up->after);
  g_clear_pointer (&catch_up->page, xmpp_mam_page_free);
  g_clear_pointer (&catch_up->records, g_ptr_array_unref);
  g_clear_pointer (&catch_up->conversations, g_ptr_array_unref);
  g_free (catch_up);
}

static void catch_up_next_page (CatchUp *catch_up);
static void set_state_by_id (MessengerConversationList *self,
                             const char                *peer,
                             const char                *id,
                             MessengerDeliveryState     state);

static void
mam_state_saved_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!messenger_store_set_mam_state_finish (MESSENGER_STORE (source), result, &error))
    g_warning ("Cannot store where the archive catch-up stands: %s", error->message);
}

/* The page's messages are in the store: remember where we are, go on. */
static void
page_done (CatchUp *catch_up)
{
  MessengerConversationList *self = catch_up->list;
  XmppMamPage *page = catch_up->page;
  gboolean more;

  if (page->last != NULL)
    {
      g_free (catch_up->state->last_id);
      catch_up->state->last_id = g_strdup (page->last);
      if (page->messages->len > 0)
        {
          XmppMessage *last = g_ptr_array_index (page->messages, page->messages->len - 1);

          if (last->delay != NULL)
            catch_up->state->last_time = g_date_time_to_unix (last->delay) * G_USEC_PER_SEC
                                         + g_date_time_get_microsecond (last->delay);
        }
    }
  if (catch_up->backward)
    {
      /* What lies before this page is history, for scrolling back. */
      g_free (catch_up->state->oldest_id);
      catch_up->state->oldest_id = g_strdup (page->first);
      catch_up->state->complete = page->complete;
    }
  /* Written after the page's messages, so it never claims more than is
   * stored (writes commit in order).  An empty archive leaves last_id
   * NULL: the next catch-up starts at its beginning. */
  messenger_store_set_mam_state_async (self->store, catch_up->state, NULL, mam_state_saved_cb, NULL);

  more = !catch_up->backward && !page->complete && page->last != NULL
         && g_strcmp0 (page->last, catch_up->after) != 0;
  g_clear_pointer (&catch_up->page, xmpp_mam_page_free);
  g_clear_pointer (&catch_up->records, g_ptr_array_unref);
  g_clear_pointer (&catch_up->conversations, g_ptr_array_unref);
  if (more)
    catch_up_next_page (catch_up);
  else
    {
      catch_up->finished = TRUE;
      catch_up_free (catch_up);
    }
}

static void
page_inserted_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CatchUp *catch_up = user_data;
  g_autoptr(GArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = messenger_store_insert_messages_finish (MESSENGER_STORE (source), result, &error);
  if (results == NULL)
    {
      /* Not stored: the state stays where it was, the next session asks
       * for this page again. */
      g_warning ("Cannot store a page of the archive: %s", error->message);
      catch_up_free (catch_up);
      return;
    }

  for (guint i = 0; i < results->len && i < catch_up->records->len; i++)
    {
      const MessengerStoreInsertResult *inserted = &g_array_index (results, MessengerStoreInsertResult, i);
      MessengerStoreMessage *record = catch_up->records->pdata[i];

      if (inserted->id <= 0)
        continue;
      /* Duplicates (received live, as a carbon, or sent from here) are
       * known to the models; but one of ours found in the archive has
       * reached the server, and the store moved it on (to ACKED, unless
       * it was further): tell its rows what it is now. */
      if (inserted->duplicate)
        {
          if (record->direction == MESSENGER_STORE_DIRECTION_OUT)
            {
              g_autoptr(MessengerStoreMessage) now = messenger_store_get_message (catch_up->list->store,
                                                                                   inserted->id, NULL);

              if (now != NULL)
                _messenger_conversation_set_state (catch_up->conversations->pdata[i], inserted->id,
                                                   (MessengerDeliveryState) now->state);
            }
          continue;
        }
      record->id = inserted->id;
      _messenger_conversation_stored (catch_up->conversations->pdata[i], record);
    }
  page_done (catch_up);
}

/* The store record of an archived message, NULL for what is not kept. */
static MessengerStoreMessage *
archived_record (CatchUp                *catch_up,
                 XmppMessage            *message,
                 MessengerConversation **conversation)
{
  MessengerConversationList *self = catch_up->list;
  XmppJid *own = messenger_account_get_xmpp_jid (self->account);
  MessengerStoreMessage *record;
  gboolean outgoing;
  const char *peer;

  if (message->from == NULL || message->type == XMPP_MESSAGE_GROUPCHAT || message->type == XMPP_MESSAGE_ERROR)
    return NULL;
  outgoing = xmpp_jid_bare_equal (message->from, own);
  if (outgoing && message->to == NULL)
    return NULL;
  peer = xmpp_jid_get_bare_string (outgoing ? message->to : message->from);

  /* A receipt the peer sent while we were away. */
  if (!outgoing && message->receipt_id != NULL)
    set_state_by_id (self, peer, message->receipt_id, MESSENGER_DELIVERY_DELIVERED);
  if (message->body == NULL && message->subject == NULL)
    return NULL;

  if ((*conversation = messenger_conversation_list_get_conversation (self, peer)) == NULL)
    return NULL;
  record = _messenger_conversation_new_record (*conversation, message,
                                               outgoing ? MESSENGER_STORE_DIRECTION_OUT
                                                        : MESSENGER_STORE_DIRECTION_IN);
  /* The first page a device sees is history, not news. */
  if (catch_up->backward)
    record->unread = FALSE;
  return record;
}

static void
page_received_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CatchUp *catch_up = user_data;
  g_autoptr(GError) error = NULL;

  catch_up->page = xmpp_mam_query_finish (XMPP_CLIENT (source), result, &error);
  if (catch_up->page == NULL)
    {
      if (g_error_matches (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_ITEM_NOT_FOUND)
          && !catch_up->backward)
        {
          /* The archive no longer knows our newest id (it was cleared or
           * expired): start again from its newest page. */
          catch_up->backward = TRUE;
          catch_up_next_page (catch_up);
          return;
        }
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Cannot catch up with the archive of %s: %s",
                   messenger_account_get_jid (catch_up->list->account), error->message);
      /* The archive's answer holds for this session; a lost connection
       * leaves the catch-up to finish after a resumption. */
      catch_up->finished = error->domain == XMPP_STANZA_ERROR;
      catch_up_free (catch_up);
      return;
    }

  catch_up->records = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);
  catch_up->conversations = g_ptr_array_new ();
  for (guint i = 0; i < catch_up->page->messages->len; i++)
    {
      MessengerConversation *conversation = NULL;
      MessengerStoreMessage *record = archived_record (catch_up, catch_up->page->messages->pdata[i],
                                                       &conversation);

      if (record == NULL)
        continue;
      g_ptr_array_add (catch_up->records, record);
      g_ptr_array_add (catch_up->conversations, conversation);
    }

  if (catch_up->records->len == 0)
    page_done (catch_up);
  else
    /* Once queued, the page commits whatever happens to the session. */
    messenger_store_insert_messages_async (catch_up->list->store, catch_up->records, NULL,
                                           page_inserted_cb, catch_up);
}

static void
catch_up_next_page (CatchUp *catch_up)
{
  XmppClient *client = messenger_account_get_client (catch_up->list->account);
  XmppMamQuery query = { .max = ARCHIVE_PAGE };

  if (client == NULL || g_cancellable_is_cancelled (catch_up->cancellable))
    {
      catch_up_free (catch_up);
      return;
    }
  g_free (catch_up->after);
  catch_up->after = NULL;
  if (catch_up->backward)
    query.before = "";
  else
    query.after = catch_up->after = g_strdup (catch_up->state->last_id);
  xmpp_mam_query_async (client, NULL, &query, catch_up->cancellable, page_received_cb, catch_up);
}

/* Fetch what the account's archive got since the newest archive id we
 * hold: messages that arrived while we were offline, or on other devices
 * without carbons.  The store drops the ones already here. */
static void
catch_up_archive (MessengerConversationList *self)
{
  g_autoptr(GError) error = NULL;
  MessengerStoreMamState *state;
  CatchUp *catch_up;

  self->archive_behind = FALSE;
  if (!messenger_account_has_archive (self->account))
    return;

  state = messenger_store_get_mam_state (self->store, self->account_id, NULL, &error);
  if (state == NULL && error != NULL)
    {
      g_warning ("Cannot read where the archive catch-up stands: %s", error->message);
      return;
    }

  catch_up = g_new0 (CatchUp, 1);
  catch_up->list = g_object_ref (self);
  catch_up->cancellable = g_object_ref (self->session);
  if (state == NULL)
    {
      state = g_new0 (MessengerStoreMamState, 1);
      state->account_id = self->account_id;
      catch_up->backward = TRUE;
    }
  catch_up->state = state;
  self->archive_behind = TRUE;
  set_catch_up (self, catch_up);
  catch_up_next_page (catch_up);
}

/* The account is ONLINE: a new session, or the lost one resumed. */
static void
connection_started (MessengerConversationList *self,
                    gboolean                   resumed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;

  self->online = TRUE;
  self->session = g_cancellable_new ();

  /* After a resumption the rows written before the connection was lost
   * are still in the written set (the client sends them again if need
   * be): only what was composed meanwhile goes out here. */
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

  if (!resumed || self->archive_behind)
    catch_up_archive (self);
}

/* The account left ONLINE: nothing can be written until it is back.  The
 * session may go on after a resumption, so the written set stays. */
static void
connection_ended (MessengerConversationList *self)
{
  self->online = FALSE;
  if (self->session != NULL)
    g_cancellable_cancel (self->session);
  g_clear_object (&self->session);

  /* Nobody's chat state is known without a connection. */
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->by_peer);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      _messenger_conversation_session_ended (value);
  }
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
    connection_started (self, messenger_account_get_resumed (account));
  else
    connection_ended (self);
}

/* The session is over: what it never confirmed is written again in the
 * next one. */
static void
session_ended_cb (MessengerAccount          *account,
                  MessengerConversationList *self)
{
  g_hash_table_remove_all (self->written);
}

/* Receiving */

typedef struct
{
  MessengerConversationList *list;
  char                      *peer;
  MessengerDeliveryState     state;
} ByIdData;

static void
by_id_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ByIdData *data = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = messenger_store_set_delivery_state_finish (MESSENGER_STORE (source), result, &error);
  if (error != NULL)
    g_warning ("Cannot store a delivery state: %s", error->message);
  else if (id > 0)
    {
      MessengerConversation *conversation = g_hash_table_lookup (data->list->by_peer, data->peer);

      if (conversation != NULL)
        _messenger_conversation_set_state (conversation, id, data->state);
    }
  g_object_unref (data->list);
  g_free (data->peer);
  g_free (data);
}

/* A receipt or a bounce names one of our messages by its id, which is its
 * origin-id; only in the conversation with whoever names it. */
static void
set_state_by_id (MessengerConversationList *self,
                 const char                *peer,
                 const char                *id,
                 MessengerDeliveryState     state)
{
  ByIdData *data = g_new0 (ByIdData, 1);

  data->list = g_object_ref (self);
  data->peer = g_strdup (peer);
  data->state = state;
  messenger_store_set_delivery_state_by_origin_id_async (self->store, self->account_id, peer, id,
                                                         (MessengerStoreDeliveryState) state,
                                                         NULL, by_id_stored_cb, data);
}

/* XEP-0184 §8: a receipt tells the sender we are online, so only people
 * who may see our presence get one. */
static gboolean
may_see_presence (MessengerConversationList *self,
                  const char                *peer)
{
  MessengerContact *contact;
  MessengerSubscription subscription;

  if (self->roster == NULL)
    return TRUE;
  if ((contact = messenger_roster_lookup (self->roster, peer)) == NULL)
    return FALSE;
  subscription = messenger_contact_get_subscription (contact);
  return subscription == MESSENGER_SUBSCRIPTION_FROM || subscription == MESSENGER_SUBSCRIPTION_BOTH;
}

static XmppElement *
receipt_for (MessengerConversationList *self,
             const XmppMessage         *message,
             const char                *peer)
{
  if (!messenger_account_get_send_receipts (self->account) || !may_see_presence (self, peer))
    return NULL;
  return xmpp_receipts_new_received (message, messenger_account_get_xmpp_jid (self->account));
}

/* A message from @message->from: addressed to us, or a received carbon. */
static void
incoming (MessengerConversationList *self,
          XmppMessage               *message)
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
      if (message->id != NULL && message->via == XMPP_MESSAGE_VIA_STREAM)
        set_state_by_id (self, peer, message->id, MESSENGER_DELIVERY_FAILED);
      return;
    }

  if (message->receipt_id != NULL)
    set_state_by_id (self, peer, message->receipt_id, MESSENGER_DELIVERY_DELIVERED);

  if (message->body == NULL && message->subject == NULL)
    {
      /* A chat state (or a lone <thread/>): nothing to keep.  Only for a
       * conversation that exists: strangers typing make no objects. */
      if (message->chat_state != XMPP_CHAT_STATE_NONE
          && (conversation = g_hash_table_lookup (self->by_peer, peer)) != NULL)
        _messenger_conversation_peer_chat_state (conversation, message->chat_state, FALSE);
      return;
    }

  conversation = messenger_conversation_list_get_conversation (self, peer);
  if (conversation == NULL)
    return;
  _messenger_conversation_peer_chat_state (conversation, message->chat_state, TRUE);
  {
    g_autoptr(XmppElement) receipt = message->via == XMPP_MESSAGE_VIA_STREAM
                                     ? receipt_for (self, message, peer) : NULL;

    /* Deferred here, still inside the stanza's handler; completed once
     * the store committed it. */
    _messenger_conversation_receive (conversation, message, receipt,
                                     messenger_account_defer_ack (self->account));
  }
}

static void
message_cb (MessengerAccount          *account,
            XmppMessage               *message,
            MessengerConversationList *self)
{
  incoming (self, message);
}

static void
carbon_cb (MessengerAccount          *account,
           XmppMessage               *message,
           MessengerConversationList *self)
{
  MessengerConversation *conversation;

  if (message->type == XMPP_MESSAGE_GROUPCHAT || message->type == XMPP_MESSAGE_ERROR)
    return;
  if (message->via == XMPP_MESSAGE_VIA_CARBON_RECEIVED)
    {
      incoming (self, message);
      return;
    }
  if (message->via != XMPP_MESSAGE_VIA_CARBON_SENT || message->to == NULL)
    return;

  /* Written on another device: stored as ours, already with the server.
   * Its chat states and receipts are that device's business. */
  if (message->body == NULL && message->subject == NULL)
    return;
  conversation = messenger_conversation_list_get_conversation (self, xmpp_jid_get_bare_string (message->to));
  if (conversation != NULL)
    _messenger_conversation_add_sent_elsewhere (conversation, message,
                                                messenger_account_defer_ack (self->account));
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
  g_signal_connect_object (account, "notification", G_CALLBACK (message_cb), self, 0);
  g_signal_connect_object (account, "carbon", G_CALLBACK (carbon_cb), self, 0);
  g_signal_connect_object (account, "notify::state", G_CALLBACK (account_state_cb), self, 0);
  g_signal_connect_object (account, "session-ended", G_CALLBACK (session_ended_cb), self, 0);
  if (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE)
    connection_started (self, FALSE);
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

gboolean
messenger_conversation_list_get_catching_up (MessengerConversationList *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION_LIST (self), FALSE);
  return self->catch_up != NULL;
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
    case PROP_CATCHING_UP:
      g_value_set_boolean (value, self->catch_up != NULL);
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

  connection_ended (self);
  g_hash_table_remove_all (self->written);
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

  G_OBJECT_CLASS (messenger_conversation_list_parent_class)->finalize (object);
}

enum {
  SIGNAL_MESSAGE_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
_messenger_conversation_list_message_received (MessengerConversationList   *self,
                                               MessengerConversation       *conversation,
                                               const MessengerStoreMessage *message)
{
  g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0, conversation, message);
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
  properties[PROP_CATCHING_UP] =
    g_param_spec_boolean ("catching-up", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* "message-received" (MessengerConversation *conversation,
   *                     const MessengerStoreMessage *message):
   * a new incoming message was committed (not for duplicates). */
  signals[SIGNAL_MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, MESSENGER_TYPE_CONVERSATION, G_TYPE_POINTER);
}

static void
messenger_conversation_list_init (MessengerConversationList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->written = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}
