/* messenger-store-read.c: reading, on a borrowed read-only connection
 *
 * Each read borrows a connection from the pool, runs one statement (or
 * several inside one read transaction when they must agree), and gives the
 * connection back.  Every query here is answered by an index range scan;
 * docs/store.md lists which index serves which query.
 *
 * Paging is keyset paging on the message id, which orders messages by time
 * (see messenger-store-schema.c): "the 50 before row X" is
 * `id < X ORDER BY id DESC LIMIT 50` on (conversation_id, id), the same
 * cost on the first page as on the ten-thousandth, and rows inserted between
 * two page loads never shift a page.
 */
#include "config.h"

#include <string.h>

#include "messenger-store-private.h"

#define MESSAGE_COLUMNS                                                         \
  "m.id, c.account_id, c.peer, t.thread_id, t.parent_thread_id, m.direction,"  \
  " m.type, m.body, m.subject, m.time, m.delay_time, m.received_time,"         \
  " m.stanza_id, m.stanza_id_by, m.origin_id, coalesce (m.message_id, m.origin_id)," \
  " m.state, m.unread"
#define MESSAGE_FROM                                                            \
  " FROM messages AS m"                                                         \
  " JOIN conversations AS c ON c.id = m.conversation_id"                        \
  " LEFT JOIN threads AS t ON t.id = m.thread"
#define N_MESSAGE_COLUMNS 18

static const char SQL_CONVERSATION_FIND[] =
  "SELECT id FROM conversations WHERE account_id = ?1 AND peer = ?2";
static const char SQL_THREAD_FIND[] =
  "SELECT id FROM threads WHERE conversation_id = ?1 AND thread_id = ?2";

/* A borrowed connection: g_autoptr(StoreReader) gives it back. */
typedef struct
{
  MessengerStore  *store;
  StoreConnection *conn;
} StoreReader;

static void
store_reader_free (StoreReader *reader)
{
  _messenger_store_release_reader (reader->store, reader->conn);
  g_free (reader);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreReader, store_reader_free)

static StoreReader *
store_reader_new (MessengerStore  *self,
                  GError         **error)
{
  StoreConnection *conn = _messenger_store_acquire_reader (self, error);
  StoreReader *reader;

  if (conn == NULL)
    return NULL;

  reader = g_new0 (StoreReader, 1);
  reader->store = self;
  reader->conn = conn;
  return reader;
}

static StoreStatement *
prepare (StoreReader  *reader,
         const char   *sql,
         GError      **error)
{
  return _messenger_store_connection_prepare (reader->conn, sql, error);
}

static gboolean
read_error (StoreReader  *reader,
            int           rc,
            GError      **error)
{
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  _messenger_store_set_error (error, reader->conn->db, rc, "Cannot read the message store");
  return FALSE;
}

/* Several statements that must see one snapshot. */
static gboolean
begin_read (StoreReader  *reader,
            GError      **error)
{
  return _messenger_store_connection_exec (reader->conn, "BEGIN", error);
}

static void
end_read (StoreReader *reader)
{
  sqlite3_exec (reader->conn->db, "COMMIT", NULL, NULL, NULL);
}

/* Returns the id found, 0 for none, -1 on error. */
static gint64
lookup_id (StoreReader  *reader,
           const char   *sql,
           gint64        key,
           const char   *text,
           GError      **error)
{
  g_autoptr(StoreStatement) stmt = prepare (reader, sql, error);
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, key);
  _messenger_store_bind_text (stmt, 2, text);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  return read_error (reader, rc, error) ? 0 : -1;
}

static gint64
lookup_conversation (StoreReader  *reader,
                     gint64        account_id,
                     const char   *peer,
                     GError      **error)
{
  return lookup_id (reader, SQL_CONVERSATION_FIND, account_id, peer, error);
}

static MessengerStoreMessage *
message_from_row (StoreStatement *stmt,
                  int             first)
{
  MessengerStoreMessage *message = messenger_store_message_new ();
  int i = first;

  message->id = sqlite3_column_int64 (stmt, i++);
  message->account_id = sqlite3_column_int64 (stmt, i++);
  message->peer = _messenger_store_column_text (stmt, i++);
  message->thread_id = _messenger_store_column_text (stmt, i++);
  message->parent_thread_id = _messenger_store_column_text (stmt, i++);
  message->direction = sqlite3_column_int (stmt, i++);
  message->type = sqlite3_column_int (stmt, i++);
  message->body = _messenger_store_column_text (stmt, i++);
  message->subject = _messenger_store_column_text (stmt, i++);
  message->time = sqlite3_column_int64 (stmt, i++);
  message->delay_time = sqlite3_column_int64 (stmt, i++);
  message->received_time = sqlite3_column_int64 (stmt, i++);
  message->stanza_id = _messenger_store_column_text (stmt, i++);
  message->stanza_id_by = _messenger_store_column_text (stmt, i++);
  message->origin_id = _messenger_store_column_text (stmt, i++);
  message->message_id = _messenger_store_column_text (stmt, i++);
  message->state = sqlite3_column_int (stmt, i++);
  message->unread = sqlite3_column_int (stmt, i++) != 0;
  g_assert (i - first == N_MESSAGE_COLUMNS);
  return message;
}

static GPtrArray *
new_message_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);
}

/* Appends every row of a bound statement to @messages. */
static gboolean
collect_messages (StoreReader     *reader,
                  StoreStatement  *stmt,
                  GPtrArray       *messages,
                  GError         **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (messages, message_from_row (stmt, 0));
  return read_error (reader, rc, error);
}

/* Accounts */

#define ACCOUNT_COLUMNS \
  "id, jid, display_name, server, port, direct_tls, pinned_fingerprint, enabled, roster_version"

static const char SQL_ACCOUNTS_LIST[] =
  "SELECT " ACCOUNT_COLUMNS " FROM accounts ORDER BY id";
static const char SQL_ACCOUNT_GET[] =
  "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ?1";

static MessengerStoreAccount *
account_from_row (StoreStatement *stmt)
{
  MessengerStoreAccount *account = messenger_store_account_new (NULL);

  account->id = sqlite3_column_int64 (stmt, 0);
  account->jid = _messenger_store_column_text (stmt, 1);
  account->display_name = _messenger_store_column_text (stmt, 2);
  account->server = _messenger_store_column_text (stmt, 3);
  account->port = sqlite3_column_int (stmt, 4);
  account->direct_tls = sqlite3_column_int (stmt, 5) != 0;
  account->pinned_fingerprint = _messenger_store_column_text (stmt, 6);
  account->enabled = sqlite3_column_int (stmt, 7) != 0;
  account->roster_version = _messenger_store_column_text (stmt, 8);
  return account;
}

/**
 * messenger_store_list_accounts:
 *
 * Returns: (transfer container) (element-type MessengerStoreAccount): the
 *   accounts, oldest first, or %NULL with @error set
 */
GPtrArray *
messenger_store_list_accounts (MessengerStore  *self,
                               GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  int rc;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_ACCOUNTS_LIST, error);

    if (stmt == NULL)
      return NULL;
    accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_account_free);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_ptr_array_add (accounts, account_from_row (stmt));
    if (!read_error (reader, rc, error))
      return NULL;
  }

  return g_steal_pointer (&accounts);
}

/**
 * messenger_store_get_account:
 *
 * Returns: (transfer full): the account, or %NULL with @error set
 *   (%MESSENGER_STORE_ERROR_NOT_FOUND if there is none with that id)
 */
MessengerStoreAccount *
messenger_store_get_account (MessengerStore  *self,
                             gint64           account_id,
                             GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  int rc;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_ACCOUNT_GET, error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, account_id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      return account_from_row (stmt);
    if (read_error (reader, rc, error))
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND,
                   "No account with id %" G_GINT64_FORMAT, account_id);
    return NULL;
  }
}

/* Roster */

static const char SQL_ROSTER_VERSION[] =
  "SELECT roster_version FROM accounts WHERE id = ?1";
/* Two range scans of the primary keys, both in JID order, merged here:
 * one pass over each table and no sorter, where a join (or a subquery)
 * would search the groups' key once per item. */
static const char SQL_ROSTER_ITEMS[] =
  "SELECT jid, name, subscription, ask, approved FROM roster_items"
  " WHERE account_id = ?1 ORDER BY jid";
static const char SQL_ROSTER_GROUPS[] =
  "SELECT jid, name FROM roster_groups WHERE account_id = ?1 ORDER BY jid, name";

/* One item's group names, copied out of the statement (each step
 * overwrites the last row) into buffers reused from item to item. */
typedef struct
{
  char   *text;       /* the names, each NUL-terminated */
  gsize   length;
  gsize   size;
  gsize  *offsets;    /* where each name starts in text */
  char  **vector;     /* the NULL-terminated array handed out */
  guint   n;
  guint   room;       /* of offsets, and of vector but its NULL */
} RosterGroups;

static void
roster_groups_clear (RosterGroups *groups)
{
  g_free (groups->text);
  g_free (groups->offsets);
  g_free (groups->vector);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RosterGroups, roster_groups_clear)

static void
roster_groups_add (RosterGroups *groups,
                   const char   *name,
                   gsize         length)
{
  if (groups->length + length + 1 > groups->size)
    {
      groups->size = MAX (groups->size * 2, groups->length + length + 1 + 256);
      groups->text = g_realloc (groups->text, groups->size);
    }
  if (groups->n == groups->room)
    {
      groups->room = MAX (groups->room * 2, 8);
      groups->offsets = g_renew (gsize, groups->offsets, groups->room);
      groups->vector = g_renew (char *, groups->vector, groups->room + 1);
    }
  memcpy (groups->text + groups->length, name, length);
  groups->text[groups->length + length] = '\0';
  groups->offsets[groups->n++] = groups->length;
  groups->length += length + 1;
}

/* The vector of the names added since the last call, NULL when none. */
static char **
roster_groups_take (RosterGroups *groups)
{
  guint n = groups->n;

  groups->n = 0;
  groups->length = 0;
  if (n == 0)
    return NULL;
  for (guint i = 0; i < n; i++)
    groups->vector[i] = groups->text + groups->offsets[i];
  groups->vector[n] = NULL;
  return groups->vector;
}

static gboolean
foreach_roster_item (StoreReader                   *reader,
                     gint64                         account_id,
                     char                         **version,
                     MessengerStoreRosterItemFunc   func,
                     gpointer                       user_data,
                     GError                       **error)
{
  g_autoptr(StoreStatement) items = NULL;
  g_autoptr(StoreStatement) memberships = NULL;
  g_auto(RosterGroups) groups = { NULL };
  int rc, group_rc;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_ROSTER_VERSION, error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, account_id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      {
        g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND,
                     "No account with id %" G_GINT64_FORMAT, account_id);
        return FALSE;
      }
    if (!read_error (reader, rc, error))
      return FALSE;
    if (version != NULL)
      *version = _messenger_store_column_text (stmt, 0);
  }

  if ((items = prepare (reader, SQL_ROSTER_ITEMS, error)) == NULL
      || (memberships = prepare (reader, SQL_ROSTER_GROUPS, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (items, 1, account_id);
  sqlite3_bind_int64 (memberships, 1, account_id);

  group_rc = sqlite3_step (memberships);
  while ((rc = sqlite3_step (items)) == SQLITE_ROW)
    {
      MessengerStoreRosterItem item = { 0 };

      item.jid = (char *) sqlite3_column_text (items, 0);
      item.name = (char *) sqlite3_column_text (items, 1);
      item.subscription = sqlite3_column_int (items, 2);
      item.ask = sqlite3_column_int (items, 3) != 0;
      item.approved = sqlite3_column_int (items, 4) != 0;
      if (item.jid == NULL)
        continue;

      /* This item's groups; a group row of no item (the foreign key
       * forbids it) is skipped. */
      while (group_rc == SQLITE_ROW)
        {
          const char *jid = (const char *) sqlite3_column_text (memberships, 0);
          int cmp = jid != NULL ? strcmp (jid, item.jid) : -1;

          if (cmp > 0)
            break;
          if (cmp == 0)
            {
              /* The text first: bytes then counts it, not a conversion. */
              const char *name = (const char *) sqlite3_column_text (memberships, 1);

              if (name != NULL)
                roster_groups_add (&groups, name, sqlite3_column_bytes (memberships, 1));
            }
          group_rc = sqlite3_step (memberships);
        }
      if (!read_error (reader, group_rc, error))
        return FALSE;
      item.groups = roster_groups_take (&groups);

      func (&item, user_data);
    }
  return read_error (reader, rc, error);
}

/**
 * messenger_store_foreach_roster_item:
 * @version: (out) (optional) (nullable): the stored roster version
 * @func: (scope call): called with each item, by JID
 *
 * The roster without copying it: each item is borrowed for the call.
 *
 * Returns: %FALSE with @error set when the roster could not be read (after
 *   the items that could)
 */
gboolean
messenger_store_foreach_roster_item (MessengerStore                *self,
                                     gint64                         account_id,
                                     char                         **version,
                                     MessengerStoreRosterItemFunc   func,
                                     gpointer                       user_data,
                                     GError                       **error)
{
  g_autoptr(StoreReader) reader = NULL;
  gboolean ok;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (version != NULL)
    *version = NULL;
  if ((reader = store_reader_new (self, error)) == NULL || !begin_read (reader, error))
    return FALSE;
  ok = foreach_roster_item (reader, account_id, version, func, user_data, error);
  end_read (reader);
  if (!ok && version != NULL)
    g_clear_pointer (version, g_free);
  return ok;
}

static void
copy_roster_item_cb (const MessengerStoreRosterItem *item,
                     gpointer                        user_data)
{
  g_ptr_array_add (user_data, messenger_store_roster_item_copy (item));
}

/**
 * messenger_store_load_roster:
 * @version: (out) (optional) (nullable): the stored roster version
 *
 * Returns: (transfer container) (element-type MessengerStoreRosterItem):
 *   the roster, by JID, or %NULL with @error set
 */
GPtrArray *
messenger_store_load_roster (MessengerStore  *self,
                             gint64           account_id,
                             char           **version,
                             GError         **error)
{
  g_autoptr(GPtrArray) items = NULL;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);
  if (!messenger_store_foreach_roster_item (self, account_id, version, copy_roster_item_cb, items, error))
    return NULL;
  return g_steal_pointer (&items);
}

/* Conversations and threads */

static const char SQL_CONVERSATIONS_LIST[] =
  "SELECT account_id, peer, last_time, unread, message_count FROM conversations"
  " WHERE account_id = ?1 ORDER BY last_time DESC, id DESC";
static const char SQL_THREADS_LIST[] =
  "SELECT thread_id, parent_thread_id, subject, first_time, last_time, unread, message_count"
  " FROM threads"
  " WHERE conversation_id = ?1 ORDER BY last_time DESC, id DESC";

/**
 * messenger_store_list_conversations:
 *
 * Returns: (transfer container) (element-type MessengerStoreConversation):
 *   the account's conversations, most recently active first
 */
GPtrArray *
messenger_store_list_conversations (MessengerStore  *self,
                                    gint64           account_id,
                                    GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  int rc;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_CONVERSATIONS_LIST, error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, account_id);
    conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_conversation_free);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        MessengerStoreConversation *conversation = g_new0 (MessengerStoreConversation, 1);

        conversation->account_id = sqlite3_column_int64 (stmt, 0);
        conversation->peer = _messenger_store_column_text (stmt, 1);
        conversation->last_time = sqlite3_column_int64 (stmt, 2);
        conversation->unread = sqlite3_column_int (stmt, 3);
        conversation->message_count = sqlite3_column_int (stmt, 4);
        g_ptr_array_add (conversations, conversation);
      }
    if (!read_error (reader, rc, error))
      return NULL;
  }

  return g_steal_pointer (&conversations);
}

/**
 * messenger_store_list_threads:
 *
 * Returns: (transfer container) (element-type MessengerStoreThread): the
 *   conversation's threads, most recently active first (empty for an
 *   unknown conversation)
 */
GPtrArray *
messenger_store_list_threads (MessengerStore  *self,
                              gint64           account_id,
                              const char      *peer,
                              GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) threads = NULL;
  gint64 conversation;
  int rc;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  threads = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_thread_free);
  conversation = lookup_conversation (reader, account_id, peer, error);
  if (conversation <= 0)
    return conversation == 0 ? g_steal_pointer (&threads) : NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_THREADS_LIST, error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, conversation);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        MessengerStoreThread *thread = g_new0 (MessengerStoreThread, 1);

        thread->thread_id = _messenger_store_column_text (stmt, 0);
        thread->parent_thread_id = _messenger_store_column_text (stmt, 1);
        thread->subject = _messenger_store_column_text (stmt, 2);
        thread->first_time = sqlite3_column_int64 (stmt, 3);
        thread->last_time = sqlite3_column_int64 (stmt, 4);
        thread->unread = sqlite3_column_int (stmt, 5);
        thread->message_count = sqlite3_column_int (stmt, 6);
        g_ptr_array_add (threads, thread);
      }
    if (!read_error (reader, rc, error))
      return NULL;
  }

  return g_steal_pointer (&threads);
}

/* Messages */

static const char SQL_PAGE_OLDER[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM
  " WHERE m.conversation_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3";
static const char SQL_PAGE_NEWER[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM
  " WHERE m.conversation_id = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3";
static const char SQL_THREAD_PAGE_OLDER[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM
  " WHERE m.thread = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3";
static const char SQL_THREAD_PAGE_NEWER[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM
  " WHERE m.thread = ?1 AND m.id > ?2 ORDER BY m.id LIMIT ?3";
static const char SQL_COUNT[] =
  "SELECT message_count FROM conversations WHERE id = ?1";
static const char SQL_THREAD_COUNT[] =
  "SELECT message_count FROM threads WHERE id = ?1";
static const char SQL_MESSAGE_GET[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM " WHERE m.id = ?1";
static const char SQL_MESSAGE_PLACE[] =
  "SELECT conversation_id FROM messages WHERE id = ?1";
static const char SQL_MESSAGE_BY_ORIGIN_ID[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM " WHERE m.conversation_id = ?1 AND m.origin_id = ?2";
static const char SQL_MESSAGE_BY_STANZA_ID[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM
  " WHERE m.conversation_id = ?1 AND m.stanza_id_by = ?2 AND m.stanza_id = ?3";
static const char SQL_PENDING[] =
  "SELECT " MESSAGE_COLUMNS MESSAGE_FROM
  " WHERE c.account_id = ?1 AND m.direction = 1 AND m.state IN (0, 1) ORDER BY m.id";

/* Scope of a page: a conversation, or one of its threads.  Returns FALSE
 * on error; *key is 0 when the conversation or thread does not exist. */
static gboolean
page_scope (StoreReader  *reader,
            gint64        conversation,
            const char   *thread_id,
            gint64       *key,
            GError      **error)
{
  *key = conversation;
  if (conversation > 0 && thread_id != NULL)
    *key = lookup_id (reader, SQL_THREAD_FIND, conversation, thread_id, error);
  return *key >= 0;
}

static gboolean
load_page (StoreReader                  *reader,
           gint64                        key,
           gboolean                      by_thread,
           MessengerStorePageDirection   direction,
           gint64                        anchor_id,
           guint                         limit,
           GPtrArray                    *messages,
           GError                      **error)
{
  const char *sql;
  gboolean older = direction == MESSENGER_STORE_PAGE_OLDER;
  guint first = messages->len;

  if (by_thread)
    sql = older ? SQL_THREAD_PAGE_OLDER : SQL_THREAD_PAGE_NEWER;
  else
    sql = older ? SQL_PAGE_OLDER : SQL_PAGE_NEWER;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, sql, error);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, key);
    if (anchor_id > 0)
      sqlite3_bind_int64 (stmt, 2, anchor_id);
    else
      sqlite3_bind_int64 (stmt, 2, older ? G_MAXINT64 : 0);
    sqlite3_bind_int (stmt, 3, MIN (limit, G_MAXINT));
    if (!collect_messages (reader, stmt, messages, error))
      return FALSE;
  }

  /* Older pages come newest first from the index: put them in order. */
  if (older && messages->len - first > 1)
    {
      guint i, n = messages->len - first;

      for (i = 0; i < n / 2; i++)
        {
          gpointer tmp = messages->pdata[first + i];

          messages->pdata[first + i] = messages->pdata[first + n - 1 - i];
          messages->pdata[first + n - 1 - i] = tmp;
        }
    }
  return TRUE;
}

/**
 * messenger_store_load_messages:
 * @thread_id: (nullable): one thread of the conversation, or %NULL for all
 * @direction: whether to page back or forward from @anchor_id
 * @anchor_id: a message id (excluded from the page), or 0 for the newest
 *   end (%MESSENGER_STORE_PAGE_OLDER) or the oldest end (_NEWER)
 * @limit: the most rows to return
 *
 * Returns: (transfer container) (element-type MessengerStoreMessage): up to
 *   @limit messages next to @anchor_id, oldest first; empty at either end
 *   of the history or for an unknown conversation
 */
GPtrArray *
messenger_store_load_messages (MessengerStore               *self,
                               gint64                        account_id,
                               const char                   *peer,
                               const char                   *thread_id,
                               MessengerStorePageDirection   direction,
                               gint64                        anchor_id,
                               guint                         limit,
                               GError                      **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  gint64 key;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  if ((reader = store_reader_new (self, error)) == NULL || !begin_read (reader, error))
    return NULL;

  messages = new_message_array ();
  if (!page_scope (reader, lookup_conversation (reader, account_id, peer, error), thread_id, &key, error)
      || (key > 0 && !load_page (reader, key, thread_id != NULL, direction, anchor_id, limit, messages, error)))
    g_clear_pointer (&messages, g_ptr_array_unref);

  end_read (reader);
  return g_steal_pointer (&messages);
}

/**
 * messenger_store_load_messages_around:
 * @message_id: the message to centre on
 * @thread_id: (nullable): stay within this thread of its conversation
 *
 * For opening history at a search result or a reply's parent.
 *
 * Returns: (transfer container) (element-type MessengerStoreMessage): up to
 *   @n_before older messages, the message, and up to @n_after newer ones,
 *   oldest first; %NULL with %MESSENGER_STORE_ERROR_NOT_FOUND for an
 *   unknown id
 */
GPtrArray *
messenger_store_load_messages_around (MessengerStore  *self,
                                      gint64           message_id,
                                      const char      *thread_id,
                                      guint            n_before,
                                      guint            n_after,
                                      GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  gint64 conversation = 0, key = 0;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL || !begin_read (reader, error))
    return NULL;

  messages = new_message_array ();

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_MESSAGE_PLACE, error);
    int rc;

    if (stmt == NULL)
      goto failed;
    sqlite3_bind_int64 (stmt, 1, message_id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND,
                   "No message with id %" G_GINT64_FORMAT, message_id);
    if (rc != SQLITE_ROW)
      {
        read_error (reader, rc, error);
        goto failed;
      }
    conversation = sqlite3_column_int64 (stmt, 0);
  }

  if (!page_scope (reader, conversation, thread_id, &key, error))
    goto failed;
  if (key == 0)
    goto done;

  if (!load_page (reader, key, thread_id != NULL, MESSENGER_STORE_PAGE_OLDER,
                  message_id, n_before, messages, error))
    goto failed;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_MESSAGE_GET, error);

    if (stmt == NULL)
      goto failed;
    sqlite3_bind_int64 (stmt, 1, message_id);
    if (!collect_messages (reader, stmt, messages, error))
      goto failed;
  }

  if (!load_page (reader, key, thread_id != NULL, MESSENGER_STORE_PAGE_NEWER,
                  message_id, n_after, messages, error))
    goto failed;

done:
  end_read (reader);
  return g_steal_pointer (&messages);

failed:
  end_read (reader);
  return NULL;
}

/**
 * messenger_store_count_messages:
 * @thread_id: (nullable): one thread, or %NULL for the whole conversation
 *
 * Returns: the number of messages (kept by the writer: no counting)
 */
guint
messenger_store_count_messages (MessengerStore  *self,
                                gint64           account_id,
                                const char      *peer,
                                const char      *thread_id,
                                GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  guint count = 0;
  gint64 key;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), 0);
  g_return_val_if_fail (peer != NULL, 0);

  if ((reader = store_reader_new (self, error)) == NULL || !begin_read (reader, error))
    return 0;

  if (page_scope (reader, lookup_conversation (reader, account_id, peer, error), thread_id, &key, error)
      && key > 0)
    {
      g_autoptr(StoreStatement) stmt = prepare (reader, thread_id != NULL ? SQL_THREAD_COUNT : SQL_COUNT,
                                                error);

      if (stmt != NULL)
        {
          int rc;

          sqlite3_bind_int64 (stmt, 1, key);
          rc = sqlite3_step (stmt);
          if (rc == SQLITE_ROW)
            count = sqlite3_column_int (stmt, 0);
          else
            read_error (reader, rc, error);
        }
    }

  end_read (reader);
  return count;
}

static MessengerStoreMessage *
get_one (StoreReader     *reader,
         StoreStatement  *stmt,
         GError         **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return message_from_row (stmt, 0);
  if (read_error (reader, rc, error))
    g_set_error_literal (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND,
                         "No such message");
  return NULL;
}

/**
 * messenger_store_get_message:
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 *   (%MESSENGER_STORE_ERROR_NOT_FOUND for an unknown id)
 */
MessengerStoreMessage *
messenger_store_get_message (MessengerStore  *self,
                             gint64           message_id,
                             GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_MESSAGE_GET, error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, message_id);
    return get_one (reader, stmt, error);
  }
}

static MessengerStoreMessage *
find_message (MessengerStore  *self,
              const char      *sql,
              gint64           account_id,
              const char      *peer,
              const char      *a,
              const char      *b,
              GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  MessengerStoreMessage *message = NULL;
  gint64 conversation;

  if ((reader = store_reader_new (self, error)) == NULL || !begin_read (reader, error))
    return NULL;

  conversation = lookup_conversation (reader, account_id, peer, error);
  if (conversation == 0)
    g_set_error_literal (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND,
                         "No such message");
  if (conversation > 0)
    {
      g_autoptr(StoreStatement) stmt = prepare (reader, sql, error);

      if (stmt != NULL)
        {
          sqlite3_bind_int64 (stmt, 1, conversation);
          _messenger_store_bind_text (stmt, 2, a);
          if (b != NULL)
            _messenger_store_bind_text (stmt, 3, b);
          message = get_one (reader, stmt, error);
        }
    }

  end_read (reader);
  return message;
}

/**
 * messenger_store_find_message_by_origin_id:
 *
 * Returns: (transfer full): the message with that origin-id in the
 *   conversation, or %NULL with @error set (%MESSENGER_STORE_ERROR_NOT_FOUND)
 */
MessengerStoreMessage *
messenger_store_find_message_by_origin_id (MessengerStore  *self,
                                           gint64           account_id,
                                           const char      *peer,
                                           const char      *origin_id,
                                           GError         **error)
{
  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);
  g_return_val_if_fail (peer != NULL && origin_id != NULL, NULL);

  return find_message (self, SQL_MESSAGE_BY_ORIGIN_ID, account_id, peer, origin_id, NULL, error);
}

/**
 * messenger_store_find_message_by_stanza_id:
 *
 * Returns: (transfer full): the message with that stanza-id from that
 *   archive, or %NULL with @error set (%MESSENGER_STORE_ERROR_NOT_FOUND)
 */
MessengerStoreMessage *
messenger_store_find_message_by_stanza_id (MessengerStore  *self,
                                           gint64           account_id,
                                           const char      *peer,
                                           const char      *stanza_id_by,
                                           const char      *stanza_id,
                                           GError         **error)
{
  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);
  g_return_val_if_fail (peer != NULL && stanza_id_by != NULL && stanza_id != NULL, NULL);

  return find_message (self, SQL_MESSAGE_BY_STANZA_ID, account_id, peer, stanza_id_by, stanza_id, error);
}

/**
 * messenger_store_list_pending:
 *
 * The outgoing messages to send again after a reconnect: those PENDING
 * (never written to a stream) and those SENT (written, but the server never
 * acknowledged them).
 *
 * Returns: (transfer container) (element-type MessengerStoreMessage): the
 *   messages, oldest first
 */
GPtrArray *
messenger_store_list_pending (MessengerStore  *self,
                              gint64           account_id,
                              GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) messages = NULL;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_PENDING, error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, account_id);
    messages = new_message_array ();
    if (!collect_messages (reader, stmt, messages, error))
      return NULL;
  }

  return g_steal_pointer (&messages);
}

/* Search */

static const char SQL_SEARCH[] =
  "SELECT " MESSAGE_COLUMNS ","
  " snippet (messages_fts, 0, char (2), char (3), '…', 24)"
  " FROM messages_fts"
  " JOIN messages AS m ON m.id = messages_fts.rowid"
  " JOIN conversations AS c ON c.id = m.conversation_id"
  " LEFT JOIN threads AS t ON t.id = m.thread"
  " WHERE messages_fts MATCH ?1 AND messages_fts.rowid < ?2"
  "  AND (?3 = 0 OR c.account_id = ?3) AND (?4 = 0 OR m.conversation_id = ?4)"
  " ORDER BY messages_fts.rowid DESC LIMIT ?5";

/**
 * messenger_store_search:
 * @account_id: an account, or 0 for all
 * @peer: (nullable): a conversation of that account, or %NULL for all
 * @query: what the person typed: words in any script, all of which must
 *   occur; the last may be the start of a word
 * @before_id: the last hit of the previous page, or 0 for the first page
 * @limit: the most hits to return
 *
 * Returns: (transfer container) (element-type MessengerStoreSearchHit): the
 *   matching messages, newest first, with snippets; empty when @query has
 *   nothing to search for
 */
GPtrArray *
messenger_store_search (MessengerStore  *self,
                        gint64           account_id,
                        const char      *peer,
                        const char      *query,
                        gint64           before_id,
                        guint            limit,
                        GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree char *match = NULL;
  gint64 conversation = 0;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (peer == NULL || account_id > 0, NULL);

  hits = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_search_hit_free);
  match = _messenger_store_build_match_query (query);
  if (match == NULL)
    return g_steal_pointer (&hits);

  if ((reader = store_reader_new (self, error)) == NULL || !begin_read (reader, error))
    return NULL;

  if (peer != NULL)
    conversation = lookup_conversation (reader, account_id, peer, error);

  if (conversation >= 0 && (peer == NULL || conversation > 0))
    {
      g_autoptr(StoreStatement) stmt = prepare (reader, SQL_SEARCH, error);
      int rc;

      if (stmt == NULL)
        {
          g_clear_pointer (&hits, g_ptr_array_unref);
        }
      else
        {
          sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 2, before_id > 0 ? before_id : G_MAXINT64);
          sqlite3_bind_int64 (stmt, 3, account_id);
          sqlite3_bind_int64 (stmt, 4, conversation);
          sqlite3_bind_int (stmt, 5, MIN (limit, G_MAXINT));
          while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
            {
              MessengerStoreSearchHit *hit = g_new0 (MessengerStoreSearchHit, 1);

              hit->message = message_from_row (stmt, 0);
              hit->snippet = _messenger_store_column_text (stmt, N_MESSAGE_COLUMNS);
              g_ptr_array_add (hits, hit);
            }
          if (!read_error (reader, rc, error))
            g_clear_pointer (&hits, g_ptr_array_unref);
        }
    }
  else if (conversation < 0)
    {
      g_clear_pointer (&hits, g_ptr_array_unref);
    }

  end_read (reader);
  return g_steal_pointer (&hits);
}

/* Archive catch-up */

static const char SQL_MAM_GET[] =
  "SELECT last_id, last_time, oldest_id, oldest_time, complete FROM mam_catchup"
  " WHERE account_id = ?1 AND archive = ?2";

/**
 * messenger_store_get_mam_state:
 * @archive: (nullable): %NULL for the account's own archive
 *
 * Returns: (transfer full) (nullable): the state, or %NULL if nothing was
 *   caught up yet (@error unset) or on error (@error set)
 */
MessengerStoreMamState *
messenger_store_get_mam_state (MessengerStore  *self,
                               gint64           account_id,
                               const char      *archive,
                               GError         **error)
{
  g_autoptr(StoreReader) reader = NULL;
  int rc;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  if ((reader = store_reader_new (self, error)) == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = prepare (reader, SQL_MAM_GET, error);
    MessengerStoreMamState *state;

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, account_id);
    _messenger_store_bind_text (stmt, 2, archive != NULL ? archive : "");
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW)
      {
        read_error (reader, rc, error);
        return NULL;
      }

    state = g_new0 (MessengerStoreMamState, 1);
    state->account_id = account_id;
    state->archive = g_strdup (archive);
    state->last_id = _messenger_store_column_text (stmt, 0);
    state->last_time = sqlite3_column_int64 (stmt, 1);
    state->oldest_id = _messenger_store_column_text (stmt, 2);
    state->oldest_time = sqlite3_column_int64 (stmt, 3);
    state->complete = sqlite3_column_int (stmt, 4) != 0;
    return state;
  }
}

/* The same reads in a worker thread */

typedef struct
{
  gint64                       account_id;
  char                        *peer;
  char                        *thread_id;
  char                        *query;
  MessengerStorePageDirection  direction;
  gint64                       anchor_id;
  guint                        limit;
  char                        *version;
} ReadArgs;

static void
read_args_free (ReadArgs *args)
{
  g_free (args->peer);
  g_free (args->thread_id);
  g_free (args->query);
  g_free (args->version);
  g_free (args);
}

static GTask *
read_task_new (MessengerStore      *self,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag,
               ReadArgs            *args)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, args, (GDestroyNotify) read_args_free);
  return task;
}

static void
return_array (GTask     *task,
              GPtrArray *array,
              GError    *error)
{
  if (array == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, array, (GDestroyNotify) g_ptr_array_unref);
}

static GPtrArray *
read_finish (MessengerStore  *self,
             GAsyncResult    *result,
             gpointer         source_tag,
             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
load_messages_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  ReadArgs *args = task_data;
  GError *error = NULL;

  return_array (task,
                messenger_store_load_messages (source_object, args->account_id, args->peer,
                                               args->thread_id, args->direction, args->anchor_id,
                                               args->limit, &error),
                error);
}

void
messenger_store_load_messages_async (MessengerStore               *self,
                                     gint64                        account_id,
                                     const char                   *peer,
                                     const char                   *thread_id,
                                     MessengerStorePageDirection   direction,
                                     gint64                        anchor_id,
                                     guint                         limit,
                                     GCancellable                 *cancellable,
                                     GAsyncReadyCallback           callback,
                                     gpointer                      user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadArgs *args;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (peer != NULL);

  args = g_new0 (ReadArgs, 1);
  args->account_id = account_id;
  args->peer = g_strdup (peer);
  args->thread_id = g_strdup (thread_id);
  args->direction = direction;
  args->anchor_id = anchor_id;
  args->limit = limit;
  task = read_task_new (self, cancellable, callback, user_data,
                        messenger_store_load_messages_async, args);
  g_task_run_in_thread (task, load_messages_thread);
}

GPtrArray *
messenger_store_load_messages_finish (MessengerStore  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  return read_finish (self, result, messenger_store_load_messages_async, error);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ReadArgs *args = task_data;
  GError *error = NULL;

  return_array (task,
                messenger_store_search (source_object, args->account_id, args->peer, args->query,
                                        args->anchor_id, args->limit, &error),
                error);
}

void
messenger_store_search_async (MessengerStore      *self,
                              gint64               account_id,
                              const char          *peer,
                              const char          *query,
                              gint64               before_id,
                              guint                limit,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadArgs *args;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail (peer == NULL || account_id > 0);

  args = g_new0 (ReadArgs, 1);
  args->account_id = account_id;
  args->peer = g_strdup (peer);
  args->query = g_strdup (query);
  args->anchor_id = before_id;
  args->limit = limit;
  task = read_task_new (self, cancellable, callback, user_data,
                        messenger_store_search_async, args);
  g_task_run_in_thread (task, search_thread);
}

GPtrArray *
messenger_store_search_finish (MessengerStore  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return read_finish (self, result, messenger_store_search_async, error);
}

static void
load_roster_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  ReadArgs *args = task_data;
  GError *error = NULL;

  /* The version travels in the task data, read back by _finish. */
  return_array (task,
                messenger_store_load_roster (source_object, args->account_id, &args->version, &error),
                error);
}

void
messenger_store_load_roster_async (MessengerStore      *self,
                                   gint64               account_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadArgs *args;

  g_return_if_fail (MESSENGER_IS_STORE (self));

  args = g_new0 (ReadArgs, 1);
  args->account_id = account_id;
  task = read_task_new (self, cancellable, callback, user_data,
                        messenger_store_load_roster_async, args);
  g_task_run_in_thread (task, load_roster_thread);
}

GPtrArray *
messenger_store_load_roster_finish (MessengerStore  *self,
                                    GAsyncResult    *result,
                                    char           **version,
                                    GError         **error)
{
  GPtrArray *items = read_finish (self, result, messenger_store_load_roster_async, error);

  if (version != NULL)
    {
      ReadArgs *args = g_task_get_task_data (G_TASK (result));

      *version = items != NULL ? g_strdup (args->version) : NULL;
    }
  return items;
}
