/* messenger-store-write.c: every write, as it runs on the writer thread
 *
 * Each public *_async function copies its arguments into a StoreWrite and
 * queues it (messenger-store.c); the matching *_write function runs later on
 * the writer thread, inside the batch's transaction.  A *_write function
 * that fails leaves its partial changes: the writer rolls the batch back.
 *
 * De-duplication of messages.  The same message reaches us several ways: live,
 * as a carbon copy, in an archive (MAM) page, and again when its sender
 * resends it after a reconnect.  A message is a duplicate of a stored one in
 * the same conversation when:
 *
 *   1. both carry the same stanza-id from the same archive (stanza_id_by):
 *      an archive page repeating a message we got live with its stanza-id;
 *   2. both carry the same origin-id (XEP-0359, chosen by the sender):
 *      carbons, archive copies and resends of one message (a resend is
 *      archived again under a new stanza-id, so rule 1 alone is not enough);
 *   3. neither has an origin-id, and they share the id attribute, direction
 *      and body, and lie within a day of each other: clients without
 *      XEP-0359.  The time window keeps clients that number their messages
 *      "1", "2", … per session from merging unrelated "ok"s.
 *
 * A duplicate is not an error: the insert returns the stored row's id and
 * sets the duplicate flag.  It also fills in the ids the stored copy lacked
 * (a pending message learns its archive stanza-id), and an outgoing copy
 * that proves the server has the message (an archive copy, state ACKED)
 * moves the stored one forward, so it is not resent after a reconnect.
 * Rules 1 and 2 are also UNIQUE indexes, so no code path can break them.
 */
#include "config.h"

#include "messenger-store-private.h"

#define DUPLICATE_WINDOW (24 * G_TIME_SPAN_HOUR)

/* Message ids are (time << 10) | n: the time must fit in 53 bits. */
#define ID_SEQUENCE_BITS 10
#define MAX_TIME         ((G_MAXINT64 >> ID_SEQUENCE_BITS) - 1)

static void
set_invalid (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_INVALID, message);
}

static gboolean
step_done (StoreStatement  *stmt,
           MessengerStore  *self,
           GError         **error)
{
  return _messenger_store_step_done (self->writer, stmt, error);
}

/* Returns the id in the first column of a one-row query, 0 when there is no
 * row, -1 on error. */
static gint64
step_id (MessengerStore  *self,
         StoreStatement  *stmt,
         GError         **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    return 0;
  _messenger_store_set_error (error, self->writer->db, rc, "Cannot read");
  return -1;
}

#define PREPARE(var, sql)                                                       \
  g_autoptr(StoreStatement) var = _messenger_store_connection_prepare (self->writer, sql, error); \
  if (var == NULL)                                                              \
    return FALSE

void
_messenger_store_writer_forget_ids (MessengerStore *self)
{
  g_hash_table_remove_all (self->conversation_ids);
}

static gboolean
bump_not_found (MessengerStore  *self,
                const char      *what,
                GError         **error)
{
  if (sqlite3_changes (self->writer->db) > 0)
    return TRUE;
  g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND, "No such %s", what);
  return FALSE;
}

/* Accounts */

static const char SQL_ACCOUNT_INSERT[] =
  "INSERT INTO accounts (jid, display_name, server, port, direct_tls, pinned_fingerprint, enabled)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_ACCOUNT_UPDATE[] =
  "UPDATE accounts SET jid = ?1, display_name = ?2, server = ?3, port = ?4, direct_tls = ?5,"
  " pinned_fingerprint = ?6, enabled = ?7 WHERE id = ?8";
static const char SQL_ACCOUNT_DELETE[] = "DELETE FROM accounts WHERE id = ?1";

static void
bind_account (StoreStatement              *stmt,
              const MessengerStoreAccount *account)
{
  _messenger_store_bind_text (stmt, 1, account->jid);
  _messenger_store_bind_text (stmt, 2, account->display_name);
  _messenger_store_bind_text (stmt, 3, account->server);
  sqlite3_bind_int (stmt, 4, account->port);
  sqlite3_bind_int (stmt, 5, account->direct_tls ? 1 : 0);
  _messenger_store_bind_text (stmt, 6, account->pinned_fingerprint);
  sqlite3_bind_int (stmt, 7, account->enabled ? 1 : 0);
}

static gboolean
add_account_write (MessengerStore  *self,
                   StoreWrite      *write,
                   GError         **error)
{
  const MessengerStoreAccount *account = write->data;
  GError *local_error = NULL;
  PREPARE (stmt, SQL_ACCOUNT_INSERT);

  bind_account (stmt, account);
  if (!step_done (stmt, self, &local_error))
    {
      if (g_error_matches (local_error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_EXISTS))
        {
          g_clear_error (&local_error);
          g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_EXISTS,
                       "The account %s exists already", account->jid);
        }
      else
        {
          g_propagate_error (error, local_error);
        }
      return FALSE;
    }

  write->result = g_memdup2 (&(gint64) { sqlite3_last_insert_rowid (self->writer->db) }, sizeof (gint64));
  write->result_free = g_free;
  return TRUE;
}

static gboolean
account_is_valid (const MessengerStoreAccount *account)
{
  return account->jid != NULL && account->jid[0] != '\0';
}

void
messenger_store_add_account_async (MessengerStore              *self,
                                   const MessengerStoreAccount *account,
                                   GCancellable                *cancellable,
                                   GAsyncReadyCallback          callback,
                                   gpointer                     user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account != NULL && account_is_valid (account));

  _messenger_store_queue_write (self, add_account_write,
                                messenger_store_account_copy (account),
                                (GDestroyNotify) messenger_store_account_free,
                                cancellable, callback, user_data,
                                messenger_store_add_account_async);
}

/**
 * messenger_store_add_account_finish:
 *
 * Returns: the new account's id, or 0 with @error set (%MESSENGER_STORE_ERROR_EXISTS
 *   when an account has that JID already)
 */
gint64
messenger_store_add_account_finish (MessengerStore  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_autofree gint64 *id = _messenger_store_write_finish (self, result,
                                                         messenger_store_add_account_async, error);

  return id != NULL ? *id : 0;
}

static gboolean
update_account_write (MessengerStore  *self,
                      StoreWrite      *write,
                      GError         **error)
{
  const MessengerStoreAccount *account = write->data;
  PREPARE (stmt, SQL_ACCOUNT_UPDATE);

  bind_account (stmt, account);
  sqlite3_bind_int64 (stmt, 8, account->id);
  if (!step_done (stmt, self, error))
    return FALSE;
  return bump_not_found (self, "account", error);
}

/* Updates the settings of the account with account->id; the roster version
 * is left alone (roster calls own it). */
void
messenger_store_update_account_async (MessengerStore              *self,
                                      const MessengerStoreAccount *account,
                                      GCancellable                *cancellable,
                                      GAsyncReadyCallback          callback,
                                      gpointer                     user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account != NULL && account_is_valid (account) && account->id > 0);

  _messenger_store_queue_write (self, update_account_write,
                                messenger_store_account_copy (account),
                                (GDestroyNotify) messenger_store_account_free,
                                cancellable, callback, user_data,
                                messenger_store_update_account_async);
}

static gboolean
finish_boolean (MessengerStore  *self,
                GAsyncResult    *result,
                gpointer         source_tag,
                GError         **error)
{
  GError *local_error = NULL;

  _messenger_store_write_finish (self, result, source_tag, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

gboolean
messenger_store_update_account_finish (MessengerStore  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return finish_boolean (self, result, messenger_store_update_account_async, error);
}

static gboolean
remove_account_write (MessengerStore  *self,
                      StoreWrite      *write,
                      GError         **error)
{
  const gint64 *account_id = write->data;
  PREPARE (stmt, SQL_ACCOUNT_DELETE);

  /* Cascades to the roster, conversations, threads, messages (and, by the
   * triggers, their search index) and archive state; secure_delete
   * overwrites what was freed. */
  sqlite3_bind_int64 (stmt, 1, *account_id);
  if (!step_done (stmt, self, error))
    return FALSE;
  _messenger_store_writer_forget_ids (self);
  return bump_not_found (self, "account", error);
}

void
messenger_store_remove_account_async (MessengerStore      *self,
                                      gint64               account_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account_id > 0);

  _messenger_store_queue_write (self, remove_account_write,
                                g_memdup2 (&account_id, sizeof account_id), g_free,
                                cancellable, callback, user_data,
                                messenger_store_remove_account_async);
}

gboolean
messenger_store_remove_account_finish (MessengerStore  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return finish_boolean (self, result, messenger_store_remove_account_async, error);
}

/* Roster */

static const char SQL_ROSTER_CLEAR[] = "DELETE FROM roster_items WHERE account_id = ?1";
static const char SQL_ROSTER_UPSERT[] =
  "INSERT INTO roster_items (account_id, jid, name, subscription, ask, approved)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
  " ON CONFLICT (account_id, jid) DO UPDATE SET name = excluded.name,"
  " subscription = excluded.subscription, ask = excluded.ask, approved = excluded.approved";
static const char SQL_ROSTER_GROUPS_CLEAR[] =
  "DELETE FROM roster_groups WHERE account_id = ?1 AND jid = ?2";
static const char SQL_ROSTER_GROUP_INSERT[] =
  "INSERT OR IGNORE INTO roster_groups (account_id, jid, name) VALUES (?1, ?2, ?3)";
static const char SQL_ROSTER_DELETE[] =
  "DELETE FROM roster_items WHERE account_id = ?1 AND jid = ?2";
static const char SQL_ROSTER_SET_VERSION[] =
  "UPDATE accounts SET roster_version = ?2 WHERE id = ?1";

typedef enum
{
  ROSTER_REPLACE,
  ROSTER_UPDATE,
  ROSTER_REMOVE,
} RosterChange;

typedef struct
{
  RosterChange  change;
  gint64        account_id;
  GPtrArray    *items;   /* of MessengerStoreRosterItem */
  char         *jid;     /* ROSTER_REMOVE */
  char         *version;
} RosterWrite;

static void
roster_write_free (RosterWrite *data)
{
  g_clear_pointer (&data->items, g_ptr_array_unref);
  g_free (data->jid);
  g_free (data->version);
  g_free (data);
}

static gboolean
roster_store_item (MessengerStore                 *self,
                   gint64                          account_id,
                   const MessengerStoreRosterItem *item,
                   gboolean                        replace_groups,
                   GError                        **error)
{
  guint i;

  {
    PREPARE (stmt, SQL_ROSTER_UPSERT);

    sqlite3_bind_int64 (stmt, 1, account_id);
    _messenger_store_bind_text (stmt, 2, item->jid);
    _messenger_store_bind_text (stmt, 3, item->name);
    sqlite3_bind_int (stmt, 4, item->subscription);
    sqlite3_bind_int (stmt, 5, item->ask ? 1 : 0);
    sqlite3_bind_int (stmt, 6, item->approved ? 1 : 0);
    if (!step_done (stmt, self, error))
      return FALSE;
  }

  if (replace_groups)
    {
      PREPARE (stmt, SQL_ROSTER_GROUPS_CLEAR);

      sqlite3_bind_int64 (stmt, 1, account_id);
      _messenger_store_bind_text (stmt, 2, item->jid);
      if (!step_done (stmt, self, error))
        return FALSE;
    }

  for (i = 0; item->groups != NULL && item->groups[i] != NULL; i++)
    {
      PREPARE (stmt, SQL_ROSTER_GROUP_INSERT);

      sqlite3_bind_int64 (stmt, 1, account_id);
      _messenger_store_bind_text (stmt, 2, item->jid);
      _messenger_store_bind_text (stmt, 3, item->groups[i]);
      if (!step_done (stmt, self, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
roster_write (MessengerStore  *self,
              StoreWrite      *write,
              GError         **error)
{
  RosterWrite *data = write->data;
  guint i;

  /* The version first: it also proves the account exists. */
  {
    PREPARE (stmt, SQL_ROSTER_SET_VERSION);

    sqlite3_bind_int64 (stmt, 1, data->account_id);
    _messenger_store_bind_text (stmt, 2, data->version);
    if (!step_done (stmt, self, error) || !bump_not_found (self, "account", error))
      return FALSE;
  }

  switch (data->change)
    {
    case ROSTER_REPLACE:
      {
        PREPARE (stmt, SQL_ROSTER_CLEAR);

        sqlite3_bind_int64 (stmt, 1, data->account_id);
        if (!step_done (stmt, self, error))
          return FALSE;
      }
      for (i = 0; i < data->items->len; i++)
        if (!roster_store_item (self, data->account_id, g_ptr_array_index (data->items, i), FALSE, error))
          return FALSE;
      break;

    case ROSTER_UPDATE:
      for (i = 0; i < data->items->len; i++)
        if (!roster_store_item (self, data->account_id, g_ptr_array_index (data->items, i), TRUE, error))
          return FALSE;
      break;

    case ROSTER_REMOVE:
      {
        PREPARE (stmt, SQL_ROSTER_DELETE);

        sqlite3_bind_int64 (stmt, 1, data->account_id);
        _messenger_store_bind_text (stmt, 2, data->jid);
        if (!step_done (stmt, self, error))
          return FALSE;
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

static GPtrArray *
copy_roster_items (GPtrArray *items)
{
  GPtrArray *copy = g_ptr_array_new_full (items != NULL ? items->len : 0,
                                          (GDestroyNotify) messenger_store_roster_item_free);
  guint i;

  for (i = 0; items != NULL && i < items->len; i++)
    {
      const MessengerStoreRosterItem *item = g_ptr_array_index (items, i);

      g_return_val_if_fail (item->jid != NULL && item->subscription <= MESSENGER_STORE_SUBSCRIPTION_BOTH,
                            copy);
      g_ptr_array_add (copy, messenger_store_roster_item_copy (item));
    }
  return copy;
}

static void
queue_roster_write (MessengerStore      *self,
                    RosterChange         change,
                    gint64               account_id,
                    GPtrArray           *items,
                    const char          *jid,
                    const char          *version,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data,
                    gpointer             source_tag)
{
  RosterWrite *data = g_new0 (RosterWrite, 1);

  data->change = change;
  data->account_id = account_id;
  data->items = copy_roster_items (items);
  data->jid = g_strdup (jid);
  data->version = g_strdup (version);

  _messenger_store_queue_write (self, roster_write, data, (GDestroyNotify) roster_write_free,
                                cancellable, callback, user_data, source_tag);
}

/* The whole roster (a roster result): every stored item not in @items goes. */
void
messenger_store_replace_roster_async (MessengerStore      *self,
                                      gint64               account_id,
                                      GPtrArray           *items,
                                      const char          *version,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account_id > 0);

  queue_roster_write (self, ROSTER_REPLACE, account_id, items, NULL, version,
                      cancellable, callback, user_data, messenger_store_roster_finish);
}

/* Roster pushes, or a versioned result's difference: each item replaces the
 * stored one with the same JID, groups included. */
void
messenger_store_update_roster_async (MessengerStore      *self,
                                     gint64               account_id,
                                     GPtrArray           *items,
                                     const char          *version,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account_id > 0);
  g_return_if_fail (items != NULL);

  queue_roster_write (self, ROSTER_UPDATE, account_id, items, NULL, version,
                      cancellable, callback, user_data, messenger_store_roster_finish);
}

/* A push with subscription="remove". */
void
messenger_store_remove_roster_item_async (MessengerStore      *self,
                                          gint64               account_id,
                                          const char          *jid,
                                          const char          *version,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account_id > 0);
  g_return_if_fail (jid != NULL);

  queue_roster_write (self, ROSTER_REMOVE, account_id, NULL, jid, version,
                      cancellable, callback, user_data, messenger_store_roster_finish);
}

gboolean
messenger_store_roster_finish (MessengerStore  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_boolean (self, result, messenger_store_roster_finish, error);
}

/* Messages */

static const char SQL_CONVERSATION_FIND[] =
  "SELECT id FROM conversations WHERE account_id = ?1 AND peer = ?2";
static const char SQL_CONVERSATION_CREATE[] =
  "INSERT INTO conversations (account_id, peer) VALUES (?1, ?2)";
static const char SQL_CONVERSATION_TOUCH[] =
  "UPDATE conversations SET last_time = max (last_time, ?2), unread = unread + ?3,"
  " message_count = message_count + 1 WHERE id = ?1";
static const char SQL_THREAD_FIND[] =
  "SELECT id FROM threads WHERE conversation_id = ?1 AND thread_id = ?2";
/* No RETURNING (nor ON CONFLICT … RETURNING): it makes the statement one
 * with a statement journal, which flushes the search index's pending terms
 * (see messenger-store-schema.c, version 3). */
static const char SQL_THREAD_CREATE[] =
  "INSERT INTO threads (conversation_id, thread_id, parent_thread_id, subject,"
  " first_time, last_time, unread, message_count)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, 1)";
static const char SQL_THREAD_TOUCH[] =
  "UPDATE threads SET"
  "  parent_thread_id = coalesce (parent_thread_id, ?2),"
  "  subject = CASE WHEN ?3 IS NOT NULL AND (subject IS NULL OR ?4 >= last_time)"
  "             THEN ?3 ELSE subject END,"
  "  first_time = min (first_time, ?4),"
  "  last_time = max (last_time, ?4),"
  "  unread = unread + ?5,"
  "  message_count = message_count + 1"
  " WHERE id = ?1";
static const char SQL_INDEX_BODY[] =
  "INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)";
static const char SQL_FIND_BY_STANZA_ID[] =
  "SELECT id FROM messages WHERE conversation_id = ?1 AND stanza_id_by = ?2 AND stanza_id = ?3";
static const char SQL_FIND_BY_ORIGIN_ID[] =
  "SELECT id FROM messages WHERE conversation_id = ?1 AND origin_id = ?2";
static const char SQL_FIND_BY_MESSAGE_ID[] =
  "SELECT id FROM messages WHERE conversation_id = ?1 AND message_id = ?2"
  " AND origin_id IS NULL AND direction = ?3 AND body IS ?4 AND time BETWEEN ?5 AND ?6"
  " LIMIT 1";
static const char SQL_MERGE_IDS[] =
  "UPDATE messages SET"
  " stanza_id = CASE WHEN stanza_id IS NULL THEN ?3 ELSE stanza_id END,"
  " stanza_id_by = CASE WHEN stanza_id IS NULL THEN ?4 ELSE stanza_id_by END,"
  " origin_id = CASE WHEN origin_id IS NULL THEN ?5 ELSE origin_id END"
  " WHERE id = ?1"
  "  AND ((stanza_id IS NULL AND ?3 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages"
  "         WHERE conversation_id = ?2 AND stanza_id_by = ?4 AND stanza_id = ?3))"
  "    OR (origin_id IS NULL AND ?5 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages"
  "         WHERE conversation_id = ?2 AND origin_id = ?5)))";
static const char SQL_MAX_ID_IN_RANGE[] =
  "SELECT max (id) FROM messages WHERE id BETWEEN ?1 AND ?2";
static const char SQL_MESSAGE_INSERT[] =
  "INSERT INTO messages (id, conversation_id, thread, direction, type, state, unread, time,"
  " delay_time, received_time, body, subject, stanza_id, stanza_id_by, origin_id, message_id)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
static const char SQL_SET_STATE[] =
  "UPDATE messages SET state = ?2 WHERE id = ?1 AND direction = 1 AND ((1 << state) & ?3) != 0";

#define STATE_BIT(s) (1u << MESSENGER_STORE_DELIVERY_##s)

/* The states a message may move to @state from. */
static guint
allowed_sources (MessengerStoreDeliveryState state)
{
  switch (state)
    {
    case MESSENGER_STORE_DELIVERY_PENDING:
      return STATE_BIT (FAILED);
    case MESSENGER_STORE_DELIVERY_SENT:
      return STATE_BIT (PENDING);
    case MESSENGER_STORE_DELIVERY_ACKED:
      return STATE_BIT (PENDING) | STATE_BIT (SENT);
    case MESSENGER_STORE_DELIVERY_DELIVERED:
      return STATE_BIT (PENDING) | STATE_BIT (SENT) | STATE_BIT (ACKED) | STATE_BIT (FAILED);
    case MESSENGER_STORE_DELIVERY_FAILED:
      return STATE_BIT (PENDING) | STATE_BIT (SENT) | STATE_BIT (ACKED);
    default:
      return 0;
    }
}

static gint64
conversation_id (MessengerStore  *self,
                 gint64           account_id,
                 const char      *peer,
                 gboolean         create,
                 GError         **error)
{
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT " %s", account_id, peer);
  const gint64 *cached = g_hash_table_lookup (self->conversation_ids, key);
  gint64 id;

  if (cached != NULL)
    return *cached;

  {
    g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer,
                                                                           SQL_CONVERSATION_FIND, error);

    if (stmt == NULL)
      return -1;
    sqlite3_bind_int64 (stmt, 1, account_id);
    _messenger_store_bind_text (stmt, 2, peer);
    id = step_id (self, stmt, error);
  }

  if (id == 0 && create)
    {
      g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer,
                                                                             SQL_CONVERSATION_CREATE, error);

      if (stmt == NULL)
        return -1;
      sqlite3_bind_int64 (stmt, 1, account_id);
      _messenger_store_bind_text (stmt, 2, peer);
      if (!step_done (stmt, self, error))
        return -1;
      id = sqlite3_last_insert_rowid (self->writer->db);
    }

  if (id > 0)
    g_hash_table_insert (self->conversation_ids, g_steal_pointer (&key),
                         g_memdup2 (&id, sizeof id));
  return id;
}

/* The first free id at or after the message's time: messages sharing a
 * microsecond keep their order of arrival. */
static gint64
allocate_message_id (MessengerStore  *self,
                     gint64           time,
                     GError         **error)
{
  gint64 base = CLAMP (time, 1, MAX_TIME) << ID_SEQUENCE_BITS;
  const gint64 span = 1 << ID_SEQUENCE_BITS;

  for (;;)
    {
      g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer,
                                                                             SQL_MAX_ID_IN_RANGE, error);
      int rc;

      if (stmt == NULL)
        return -1;
      sqlite3_bind_int64 (stmt, 1, base);
      sqlite3_bind_int64 (stmt, 2, base + span - 1);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          _messenger_store_set_error (error, self->writer->db, rc, "Cannot read");
          return -1;
        }
      if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
        return base;
      if (sqlite3_column_int64 (stmt, 0) < base + span - 1)
        return sqlite3_column_int64 (stmt, 0) + 1;

      /* 1024 messages in one microsecond (a flood with one delay stamp):
       * borrow the next microsecond. */
      base += span;
    }
}

static gint64
find_by (MessengerStore  *self,
         const char      *sql,
         gint64           conversation,
         const char      *a,
         const char      *b,
         GError         **error)
{
  g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer, sql, error);

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, conversation);
  _messenger_store_bind_text (stmt, 2, a);
  if (b != NULL)
    _messenger_store_bind_text (stmt, 3, b);
  return step_id (self, stmt, error);
}

static gint64
find_duplicate (MessengerStore              *self,
                gint64                       conversation,
                const MessengerStoreMessage *message,
                const char                  *message_id,
                gint64                       time,
                GError                     **error)
{
  gint64 id = 0;

  if (message->stanza_id != NULL)
    id = find_by (self, SQL_FIND_BY_STANZA_ID, conversation,
                  message->stanza_id_by, message->stanza_id, error);

  if (id == 0 && message->origin_id != NULL)
    id = find_by (self, SQL_FIND_BY_ORIGIN_ID, conversation, message->origin_id, NULL, error);

  if (id == 0 && message->origin_id == NULL && message_id != NULL)
    {
      g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer,
                                                                             SQL_FIND_BY_MESSAGE_ID, error);

      if (stmt == NULL)
        return -1;
      sqlite3_bind_int64 (stmt, 1, conversation);
      _messenger_store_bind_text (stmt, 2, message_id);
      sqlite3_bind_int (stmt, 3, message->direction);
      _messenger_store_bind_text (stmt, 4, message->body);
      sqlite3_bind_int64 (stmt, 5, time - DUPLICATE_WINDOW);
      sqlite3_bind_int64 (stmt, 6, time + DUPLICATE_WINDOW);
      id = step_id (self, stmt, error);
    }

  return id;
}

static gboolean
set_state (MessengerStore               *self,
           gint64                        id,
           MessengerStoreDeliveryState   state,
           gboolean                     *changed,
           GError                      **error)
{
  PREPARE (stmt, SQL_SET_STATE);

  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int (stmt, 2, state);
  sqlite3_bind_int (stmt, 3, allowed_sources (state));
  if (!step_done (stmt, self, error))
    return FALSE;
  *changed = sqlite3_changes (self->writer->db) > 0;
  return TRUE;
}

static gboolean
merge_duplicate (MessengerStore              *self,
                 gint64                       id,
                 gint64                       conversation,
                 const MessengerStoreMessage *message,
                 GError                     **error)
{
  gboolean changed;

  {
    PREPARE (stmt, SQL_MERGE_IDS);

    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, conversation);
    _messenger_store_bind_text (stmt, 3, message->stanza_id);
    _messenger_store_bind_text (stmt, 4, message->stanza_id_by);
    _messenger_store_bind_text (stmt, 5, message->origin_id);
    if (!step_done (stmt, self, error))
      return FALSE;
  }

  if (message->direction == MESSENGER_STORE_DIRECTION_OUT
      && message->state != MESSENGER_STORE_DELIVERY_PENDING)
    return set_state (self, id, message->state, &changed, error);

  return TRUE;
}

/* Creates or updates the message's thread; returns its row id, or -1. */
static gint64
store_thread (MessengerStore              *self,
              gint64                       conversation,
              const MessengerStoreMessage *message,
              gint64                       time,
              gboolean                     unread,
              GError                     **error)
{
  gint64 thread = find_by (self, SQL_THREAD_FIND, conversation, message->thread_id, NULL, error);
  g_autoptr(StoreStatement) stmt = NULL;

  if (thread < 0)
    return -1;

  if (thread == 0)
    {
      stmt = _messenger_store_connection_prepare (self->writer, SQL_THREAD_CREATE, error);
      if (stmt == NULL)
        return -1;
      sqlite3_bind_int64 (stmt, 1, conversation);
      _messenger_store_bind_text (stmt, 2, message->thread_id);
      _messenger_store_bind_text (stmt, 3, message->parent_thread_id);
      _messenger_store_bind_text (stmt, 4, message->subject);
      sqlite3_bind_int64 (stmt, 5, time);
      sqlite3_bind_int (stmt, 6, unread ? 1 : 0);
      if (!step_done (stmt, self, error))
        return -1;
      return sqlite3_last_insert_rowid (self->writer->db);
    }

  stmt = _messenger_store_connection_prepare (self->writer, SQL_THREAD_TOUCH, error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, thread);
  _messenger_store_bind_text (stmt, 2, message->parent_thread_id);
  _messenger_store_bind_text (stmt, 3, message->subject);
  sqlite3_bind_int64 (stmt, 4, time);
  sqlite3_bind_int (stmt, 5, unread ? 1 : 0);
  if (!step_done (stmt, self, error))
    return -1;
  return thread;
}

static gboolean
message_is_valid (const MessengerStoreMessage  *message,
                  GError                      **error)
{
  if (message->account_id <= 0)
    set_invalid (error, "A message needs an account");
  else if (message->peer == NULL || message->peer[0] == '\0')
    set_invalid (error, "A message needs a peer");
  else if (message->direction > MESSENGER_STORE_DIRECTION_OUT)
    set_invalid (error, "Unknown message direction");
  else if (message->type > MESSENGER_STORE_MESSAGE_ERROR)
    set_invalid (error, "Unknown message type");
  else if (message->state > MESSENGER_STORE_DELIVERY_FAILED)
    set_invalid (error, "Unknown delivery state");
  else if (message->stanza_id != NULL && message->stanza_id_by == NULL)
    set_invalid (error, "A stanza-id needs the archive that assigned it (stanza_id_by)");
  else if (message->thread_id == NULL && message->parent_thread_id != NULL)
    set_invalid (error, "A parent thread needs a thread");
  else
    return TRUE;

  return FALSE;
}

static gboolean
insert_one (MessengerStore              *self,
            const MessengerStoreMessage *message,
            MessengerStoreInsertResult  *result,
            GError                     **error)
{
  gint64 conversation, thread = 0, id, received, time;
  const char *message_id = message->message_id;
  gboolean incoming = message->direction == MESSENGER_STORE_DIRECTION_IN;
  gboolean unread = incoming && message->unread;
  MessengerStoreDeliveryState state = incoming ? MESSENGER_STORE_DELIVERY_DELIVERED : message->state;

  if (!message_is_valid (message, error))
    return FALSE;

  received = message->received_time != 0 ? message->received_time : g_get_real_time ();
  time = message->time != 0 ? message->time
         : message->delay_time != 0 ? message->delay_time
         : received;

  /* Most clients use the origin-id as the id attribute: keep one copy. */
  if (g_strcmp0 (message_id, message->origin_id) == 0)
    message_id = NULL;

  conversation = conversation_id (self, message->account_id, message->peer, TRUE, error);
  if (conversation < 0)
    return FALSE;

  id = find_duplicate (self, conversation, message, message_id, time, error);
  if (id < 0)
    return FALSE;
  if (id > 0)
    {
      result->id = id;
      result->duplicate = TRUE;
      return merge_duplicate (self, id, conversation, message, error);
    }

  id = allocate_message_id (self, time, error);
  if (id < 0)
    return FALSE;
  time = id >> ID_SEQUENCE_BITS;

  if (message->thread_id != NULL)
    {
      thread = store_thread (self, conversation, message, time, unread, error);
      if (thread <= 0)
        return FALSE;
    }

  {
    PREPARE (stmt, SQL_MESSAGE_INSERT);

    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, conversation);
    if (thread > 0)
      sqlite3_bind_int64 (stmt, 3, thread);
    sqlite3_bind_int (stmt, 4, message->direction);
    sqlite3_bind_int (stmt, 5, message->type);
    sqlite3_bind_int (stmt, 6, state);
    sqlite3_bind_int (stmt, 7, unread ? 1 : 0);
    sqlite3_bind_int64 (stmt, 8, time);
    if (message->delay_time != 0)
      sqlite3_bind_int64 (stmt, 9, message->delay_time);
    sqlite3_bind_int64 (stmt, 10, received);
    _messenger_store_bind_text (stmt, 11, message->body);
    _messenger_store_bind_text (stmt, 12, message->subject);
    _messenger_store_bind_text (stmt, 13, message->stanza_id);
    _messenger_store_bind_text (stmt, 14, message->stanza_id != NULL ? message->stanza_id_by : NULL);
    _messenger_store_bind_text (stmt, 15, message->origin_id);
    _messenger_store_bind_text (stmt, 16, message_id);
    if (!step_done (stmt, self, error))
      return FALSE;
  }

  if (message->body != NULL)
    {
      PREPARE (stmt, SQL_INDEX_BODY);

      sqlite3_bind_int64 (stmt, 1, id);
      _messenger_store_bind_text (stmt, 2, message->body);
      if (!step_done (stmt, self, error))
        return FALSE;
    }

  {
    PREPARE (stmt, SQL_CONVERSATION_TOUCH);

    sqlite3_bind_int64 (stmt, 1, conversation);
    sqlite3_bind_int64 (stmt, 2, time);
    sqlite3_bind_int (stmt, 3, unread ? 1 : 0);
    if (!step_done (stmt, self, error))
      return FALSE;
  }

  result->id = id;
  result->duplicate = FALSE;
  return TRUE;
}

static gboolean
insert_messages_write (MessengerStore  *self,
                       StoreWrite      *write,
                       GError         **error)
{
  GPtrArray *messages = write->data;
  GArray *results = g_array_sized_new (FALSE, TRUE, sizeof (MessengerStoreInsertResult), messages->len);
  guint i;

  write->result = results;
  write->result_free = (GDestroyNotify) g_array_unref;
  /* An archive page (one message is a live one,
   * messenger_store_insert_message_async()). */
  if (messages->len > 1)
    _messenger_store_writer_use_bulk_cache (self);

  for (i = 0; i < messages->len; i++)
    {
      MessengerStoreInsertResult result = { 0, FALSE };

      if (!insert_one (self, g_ptr_array_index (messages, i), &result, error))
        return FALSE;
      g_array_append_val (results, result);
    }
  return TRUE;
}

/**
 * messenger_store_insert_message_async:
 * @self: a #MessengerStore
 * @message: the message; its id is ignored
 *
 * Stores a message, creating its conversation and thread as needed.  The
 * sort time is @message's time, or its delay_time, or its received_time (or
 * now when that is 0 too).  Incoming messages are stored as DELIVERED and
 * count as unread if @message says so; outgoing ones keep their state
 * (PENDING for one about to be sent, ACKED for a carbon or archive copy of
 * one sent elsewhere).
 *
 * The callback runs once the row is committed: only then acknowledge the
 * message to the server.
 */
void
messenger_store_insert_message_async (MessengerStore              *self,
                                      const MessengerStoreMessage *message,
                                      GCancellable                *cancellable,
                                      GAsyncReadyCallback          callback,
                                      gpointer                     user_data)
{
  GPtrArray *messages;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (message != NULL);

  messages = g_ptr_array_new_full (1, (GDestroyNotify) messenger_store_message_free);
  g_ptr_array_add (messages, messenger_store_message_copy (message));
  _messenger_store_queue_write (self, insert_messages_write, messages,
                                (GDestroyNotify) g_ptr_array_unref,
                                cancellable, callback, user_data,
                                messenger_store_insert_message_async);
}

/**
 * messenger_store_insert_message_finish:
 * @duplicate: (out) (optional): whether the message was stored already
 *
 * Returns: the message's row id (the existing row's for a duplicate), or 0
 *   with @error set
 */
gint64
messenger_store_insert_message_finish (MessengerStore  *self,
                                       GAsyncResult    *result,
                                       gboolean        *duplicate,
                                       GError         **error)
{
  g_autoptr(GArray) results = _messenger_store_write_finish (self, result,
                                                             messenger_store_insert_message_async,
                                                             error);
  MessengerStoreInsertResult *first;

  if (duplicate != NULL)
    *duplicate = FALSE;
  if (results == NULL)
    return 0;

  first = &g_array_index (results, MessengerStoreInsertResult, 0);
  if (duplicate != NULL)
    *duplicate = first->duplicate;
  return first->id;
}

/**
 * messenger_store_insert_messages_async:
 * @messages: (element-type MessengerStoreMessage): messages, e.g. an archive page
 *
 * Stores several messages in one transaction, all or none.
 */
void
messenger_store_insert_messages_async (MessengerStore      *self,
                                       GPtrArray           *messages,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GPtrArray *copy;
  guint i;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (messages != NULL);

  copy = g_ptr_array_new_full (messages->len, (GDestroyNotify) messenger_store_message_free);
  for (i = 0; i < messages->len; i++)
    g_ptr_array_add (copy, messenger_store_message_copy (g_ptr_array_index (messages, i)));

  _messenger_store_queue_write (self, insert_messages_write, copy,
                                (GDestroyNotify) g_ptr_array_unref,
                                cancellable, callback, user_data,
                                messenger_store_insert_messages_async);
}

/**
 * messenger_store_insert_messages_finish:
 *
 * Returns: (transfer full) (element-type MessengerStoreInsertResult): one
 *   result for each message, in order, or %NULL with @error set
 */
GArray *
messenger_store_insert_messages_finish (MessengerStore  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  return _messenger_store_write_finish (self, result, messenger_store_insert_messages_async, error);
}

/* Delivery state */

static const char SQL_FIND_OUTGOING_BY_MESSAGE_ID[] =
  "SELECT id FROM messages WHERE conversation_id = ?1 AND message_id = ?2 AND direction = 1"
  " ORDER BY id DESC LIMIT 1";

typedef struct
{
  gint64                       id;
  gint64                       account_id;
  char                        *peer;
  char                        *origin_id;
  MessengerStoreDeliveryState  state;
} StateWrite;

static void
state_write_free (StateWrite *data)
{
  g_free (data->peer);
  g_free (data->origin_id);
  g_free (data);
}

static gboolean
set_state_write (MessengerStore  *self,
                 StoreWrite      *write,
                 GError         **error)
{
  StateWrite *data = write->data;
  gint64 id = data->id;
  gboolean changed = FALSE;

  if (id == 0)
    {
      gint64 conversation = conversation_id (self, data->account_id, data->peer, FALSE, error);

      if (conversation < 0)
        return FALSE;
      /* Receipts (XEP-0184) name the id attribute, which we keep only when
       * it differs from the origin-id. */
      if (conversation > 0)
        id = find_by (self, SQL_FIND_BY_ORIGIN_ID, conversation, data->origin_id, NULL, error);
      if (id == 0 && conversation > 0)
        id = find_by (self, SQL_FIND_OUTGOING_BY_MESSAGE_ID, conversation, data->origin_id, NULL, error);
      if (id < 0)
        return FALSE;
    }

  if (id > 0 && !set_state (self, id, data->state, &changed, error))
    return FALSE;

  write->result = g_memdup2 (&(gint64) { changed ? id : 0 }, sizeof (gint64));
  write->result_free = g_free;
  return TRUE;
}

/**
 * messenger_store_set_delivery_state_async:
 * @message_id: the row id of an outgoing message
 * @state: the new state
 *
 * Moves an outgoing message to @state if the rules allow it (see
 * #MessengerStoreDeliveryState): late or repeated events never move a
 * message back, e.g. a stream-management ack that arrives after the receipt.
 */
void
messenger_store_set_delivery_state_async (MessengerStore              *self,
                                          gint64                       message_id,
                                          MessengerStoreDeliveryState  state,
                                          GCancellable                *cancellable,
                                          GAsyncReadyCallback          callback,
                                          gpointer                     user_data)
{
  StateWrite *data;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (message_id > 0);
  g_return_if_fail (state <= MESSENGER_STORE_DELIVERY_FAILED);

  data = g_new0 (StateWrite, 1);
  data->id = message_id;
  data->state = state;
  _messenger_store_queue_write (self, set_state_write, data, (GDestroyNotify) state_write_free,
                                cancellable, callback, user_data,
                                messenger_store_set_delivery_state_finish);
}

/**
 * messenger_store_set_delivery_state_by_origin_id_async:
 * @origin_id: the origin-id, or the id attribute, of an outgoing message
 *
 * The same, for the message a receipt or an error names.
 */
void
messenger_store_set_delivery_state_by_origin_id_async (MessengerStore              *self,
                                                       gint64                       account_id,
                                                       const char                  *peer,
                                                       const char                  *origin_id,
                                                       MessengerStoreDeliveryState  state,
                                                       GCancellable                *cancellable,
                                                       GAsyncReadyCallback          callback,
                                                       gpointer                     user_data)
{
  StateWrite *data;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account_id > 0 && peer != NULL && origin_id != NULL);
  g_return_if_fail (state <= MESSENGER_STORE_DELIVERY_FAILED);

  data = g_new0 (StateWrite, 1);
  data->account_id = account_id;
  data->peer = g_strdup (peer);
  data->origin_id = g_strdup (origin_id);
  data->state = state;
  _messenger_store_queue_write (self, set_state_write, data, (GDestroyNotify) state_write_free,
                                cancellable, callback, user_data,
                                messenger_store_set_delivery_state_finish);
}

/**
 * messenger_store_set_delivery_state_finish:
 *
 * Returns: the id of the message whose state changed; 0 when none did (no
 *   such message, or a move the rules refuse), which is not an error
 */
gint64
messenger_store_set_delivery_state_finish (MessengerStore  *self,
                                           GAsyncResult    *result,
                                           GError         **error)
{
  g_autofree gint64 *id = _messenger_store_write_finish (self, result,
                                                         messenger_store_set_delivery_state_finish,
                                                         error);

  return id != NULL ? *id : 0;
}

/* Unread */

/* Left to itself the planner walks (conversation_id, id) over the whole
 * history; the partial index holds only the unread rows. */
static const char SQL_MARK_READ[] =
  "UPDATE messages INDEXED BY messages_unread SET unread = 0"
  " WHERE conversation_id = ?1 AND unread = 1 AND id <= ?2 AND (?3 = 0 OR thread = ?3)";
static const char SQL_THREADS_RECOUNT[] =
  "UPDATE threads SET unread = (SELECT count (*) FROM messages"
  "   WHERE conversation_id = ?1 AND thread = threads.id AND unread = 1)"
  " WHERE conversation_id = ?1 AND (?2 = 0 OR id = ?2)";
static const char SQL_CONVERSATION_RECOUNT[] =
  "UPDATE conversations SET unread = (SELECT count (*) FROM messages"
  "   WHERE conversation_id = ?1 AND unread = 1)"
  " WHERE id = ?1";

typedef struct
{
  gint64  account_id;
  char   *peer;
  char   *thread_id;
  gint64  up_to_id;
} ReadWrite;

static void
read_write_free (ReadWrite *data)
{
  g_free (data->peer);
  g_free (data->thread_id);
  g_free (data);
}

static gboolean
mark_read_write (MessengerStore  *self,
                 StoreWrite      *write,
                 GError         **error)
{
  ReadWrite *data = write->data;
  gint64 conversation, thread = 0;
  guint marked;

  write->result = g_new0 (guint, 1);
  write->result_free = g_free;

  conversation = conversation_id (self, data->account_id, data->peer, FALSE, error);
  if (conversation <= 0)
    return conversation == 0;

  if (data->thread_id != NULL)
    {
      thread = find_by (self, SQL_THREAD_FIND, conversation, data->thread_id, NULL, error);
      if (thread <= 0)
        return thread == 0;
    }

  {
    PREPARE (stmt, SQL_MARK_READ);

    sqlite3_bind_int64 (stmt, 1, conversation);
    sqlite3_bind_int64 (stmt, 2, data->up_to_id > 0 ? data->up_to_id : G_MAXINT64);
    sqlite3_bind_int64 (stmt, 3, thread);
    if (!step_done (stmt, self, error))
      return FALSE;
    marked = sqlite3_changes (self->writer->db);
  }

  if (marked > 0)
    {
      PREPARE (stmt, SQL_THREADS_RECOUNT);

      sqlite3_bind_int64 (stmt, 1, conversation);
      sqlite3_bind_int64 (stmt, 2, thread);
      if (!step_done (stmt, self, error))
        return FALSE;
    }

  if (marked > 0)
    {
      PREPARE (stmt, SQL_CONVERSATION_RECOUNT);

      sqlite3_bind_int64 (stmt, 1, conversation);
      if (!step_done (stmt, self, error))
        return FALSE;
    }

  *(guint *) write->result = marked;
  return TRUE;
}

/**
 * messenger_store_mark_read_async:
 * @thread_id: (nullable): one thread, or %NULL for the whole conversation
 * @up_to_id: the newest message seen, or 0 for all of them
 *
 * Marks incoming messages read, up to and including @up_to_id, so messages
 * that arrived after the person looked stay unread.
 */
void
messenger_store_mark_read_async (MessengerStore      *self,
                                 gint64               account_id,
                                 const char          *peer,
                                 const char          *thread_id,
                                 gint64               up_to_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  ReadWrite *data;

  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (account_id > 0 && peer != NULL);

  data = g_new0 (ReadWrite, 1);
  data->account_id = account_id;
  data->peer = g_strdup (peer);
  data->thread_id = g_strdup (thread_id);
  data->up_to_id = up_to_id;
  _messenger_store_queue_write (self, mark_read_write, data, (GDestroyNotify) read_write_free,
                                cancellable, callback, user_data,
                                messenger_store_mark_read_async);
}

/**
 * messenger_store_mark_read_finish:
 *
 * Returns: how many messages became read
 */
guint
messenger_store_mark_read_finish (MessengerStore  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_autofree guint *marked = _messenger_store_write_finish (self, result,
                                                            messenger_store_mark_read_async, error);

  return marked != NULL ? *marked : 0;
}

/* Archive catch-up */

static const char SQL_MAM_SET[] =
  "INSERT INTO mam_catchup (account_id, archive, last_id, last_time, oldest_id, oldest_time, complete)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
  " ON CONFLICT (account_id, archive) DO UPDATE SET last_id = excluded.last_id,"
  " last_time = excluded.last_time, oldest_id = excluded.oldest_id,"
  " oldest_time = excluded.oldest_time, complete = excluded.complete";

static gboolean
set_mam_state_write (MessengerStore  *self,
                     StoreWrite      *write,
                     GError         **error)
{
  const MessengerStoreMamState *state = write->data;
  PREPARE (stmt, SQL_MAM_SET);

  sqlite3_bind_int64 (stmt, 1, state->account_id);
  _messenger_store_bind_text (stmt, 2, state->archive != NULL ? state->archive : "");
  _messenger_store_bind_text (stmt, 3, state->last_id);
  sqlite3_bind_int64 (stmt, 4, state->last_time);
  _messenger_store_bind_text (stmt, 5, state->oldest_id);
  sqlite3_bind_int64 (stmt, 6, state->oldest_time);
  sqlite3_bind_int (stmt, 7, state->complete ? 1 : 0);
  return step_done (stmt, self, error);
}

void
messenger_store_set_mam_state_async (MessengerStore               *self,
                                     const MessengerStoreMamState *state,
                                     GCancellable                 *cancellable,
                                     GAsyncReadyCallback           callback,
                                     gpointer                      user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));
  g_return_if_fail (state != NULL && state->account_id > 0);

  _messenger_store_queue_write (self, set_mam_state_write,
                                messenger_store_mam_state_copy (state),
                                (GDestroyNotify) messenger_store_mam_state_free,
                                cancellable, callback, user_data,
                                messenger_store_set_mam_state_async);
}

gboolean
messenger_store_set_mam_state_finish (MessengerStore  *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  return finish_boolean (self, result, messenger_store_set_mam_state_async, error);
}
