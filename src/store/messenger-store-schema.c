/* messenger-store-schema.c: the schema, as numbered migrations
 *
 * PRAGMA user_version is the number of migrations applied.  Opening a
 * database applies the missing ones in order, each in its own transaction
 * together with the new user_version, so a crash between two leaves a
 * database at a well-defined version.  A database from a newer Messenger
 * (user_version above what we know) is left untouched.
 *
 * Rules for whoever adds migration N+1: never edit an applied migration;
 * append one; give tests/unit/test-store.c data representative of version
 * N+1 (it migrates every earlier version to the latest and checks the data);
 * and describe the change in docs/store.md.
 */
#include "config.h"

#include "messenger-store-private.h"

static const char * const migrations[] = {
  /* 1: accounts and rosters.  No passwords: libsecret holds them. */
  "CREATE TABLE accounts ("
  "  id                 INTEGER PRIMARY KEY,"
  "  jid                TEXT NOT NULL UNIQUE,"
  "  display_name       TEXT,"
  "  server             TEXT,"
  "  port               INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),"
  "  direct_tls         INTEGER NOT NULL DEFAULT 0,"
  "  pinned_fingerprint TEXT,"
  "  enabled            INTEGER NOT NULL DEFAULT 1,"
  "  roster_version     TEXT"
  ");"
  "CREATE TABLE roster_items ("
  "  account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  jid          TEXT NOT NULL,"
  "  name         TEXT,"
  "  subscription INTEGER NOT NULL DEFAULT 0 CHECK (subscription BETWEEN 0 AND 3),"
  "  ask          INTEGER NOT NULL DEFAULT 0,"
  "  approved     INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (account_id, jid)"
  ") WITHOUT ROWID;"
  "CREATE TABLE roster_groups ("
  "  account_id INTEGER NOT NULL,"
  "  jid        TEXT NOT NULL,"
  "  name       TEXT NOT NULL,"
  "  PRIMARY KEY (account_id, jid, name),"
  "  FOREIGN KEY (account_id, jid) REFERENCES roster_items (account_id, jid) ON DELETE CASCADE"
  ") WITHOUT ROWID;",

  /* 2: conversations, threads and messages.
   *
   * messages.id is a time-ordered key, (time << 10) | n, n counting
   * messages that share a microsecond: ordering by id is ordering by
   * (time, insertion), so keyset paging is a range over one integer and the
   * search index (keyed by the same id) yields matches newest first.
   * message_id is NULL when it equals origin_id, as it does for most
   * clients.  The partial indexes hold only the rows their query asks for.
   * Conversations and threads keep their unread and message counts, which
   * the writer maintains, so a model learns its length without counting. */
  "CREATE TABLE conversations ("
  "  id         INTEGER PRIMARY KEY,"
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  peer       TEXT NOT NULL,"
  "  last_time     INTEGER NOT NULL DEFAULT 0,"
  "  unread        INTEGER NOT NULL DEFAULT 0,"
  "  message_count INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (account_id, peer)"
  ");"
  "CREATE TABLE threads ("
  "  id               INTEGER PRIMARY KEY,"
  "  conversation_id  INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,"
  "  thread_id        TEXT NOT NULL,"
  "  parent_thread_id TEXT,"
  "  subject          TEXT,"
  "  first_time       INTEGER NOT NULL,"
  "  last_time        INTEGER NOT NULL,"
  "  unread           INTEGER NOT NULL DEFAULT 0,"
  "  message_count    INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (conversation_id, thread_id)"
  ");"
  "CREATE INDEX threads_by_activity ON threads (conversation_id, last_time);"
  "CREATE TABLE messages ("
  "  id              INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,"
  "  thread          INTEGER REFERENCES threads (id) ON DELETE CASCADE,"
  "  direction       INTEGER NOT NULL CHECK (direction IN (0, 1)),"
  "  type            INTEGER NOT NULL DEFAULT 0 CHECK (type BETWEEN 0 AND 4),"
  "  state           INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 4),"
  "  unread          INTEGER NOT NULL DEFAULT 0,"
  "  time            INTEGER NOT NULL,"
  "  delay_time      INTEGER,"
  "  received_time   INTEGER NOT NULL,"
  "  body            TEXT,"
  "  subject         TEXT,"
  "  stanza_id       TEXT,"
  "  stanza_id_by    TEXT,"
  "  origin_id       TEXT,"
  "  message_id      TEXT,"
  "  CHECK (stanza_id IS NULL OR stanza_id_by IS NOT NULL)"
  ");"
  "CREATE INDEX messages_by_conversation ON messages (conversation_id, id);"
  "CREATE INDEX messages_by_thread ON messages (thread, id) WHERE thread IS NOT NULL;"
  "CREATE UNIQUE INDEX messages_by_origin_id ON messages (conversation_id, origin_id)"
  "  WHERE origin_id IS NOT NULL;"
  "CREATE UNIQUE INDEX messages_by_stanza_id ON messages (conversation_id, stanza_id_by, stanza_id)"
  "  WHERE stanza_id IS NOT NULL;"
  "CREATE INDEX messages_by_message_id ON messages (conversation_id, message_id)"
  "  WHERE message_id IS NOT NULL;"
  "CREATE INDEX messages_unread ON messages (conversation_id, thread) WHERE unread = 1;"
  "CREATE INDEX messages_pending ON messages (conversation_id)"
  "  WHERE direction = 1 AND state IN (0, 1);",

  /* 3: full-text search over bodies, with the tokenizer of
   * messenger-store-tokenizer.c.  External content (the text stays in
   * messages), backfilled from the messages stored before this version.
   * Prefix indexes for 3- and 4-character prefixes (of words: n-gram tokens
   * are shorter) let a search for the beginning of a common word read one
   * list, newest first, instead of merging the lists of every word it
   * begins.
   *
   * The writer indexes new messages itself (messenger-store-write.c), not
   * by an AFTER INSERT trigger: a trigger makes every insert a statement
   * with a statement journal, and in SQLite ≤ 3.43 opening one makes FTS5
   * flush its pending terms, so each message became a segment of its own
   * (a third of the time of an insert).  Deletes and body changes are rare
   * and cascade from other tables, so triggers keep those in step. */
  "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
  "  body, content = 'messages', content_rowid = 'id',"
  "  tokenize = 'messenger', prefix = '3 4', columnsize = 0"
  ");"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages"
  "  WHEN old.body IS NOT NULL BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);"
  "END;"
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, body)"
  "    SELECT 'delete', old.id, old.body WHERE old.body IS NOT NULL;"
  "  INSERT INTO messages_fts (rowid, body)"
  "    SELECT new.id, new.body WHERE new.body IS NOT NULL;"
  "END;"
  "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');",

  /* 4: where catching up with each message archive stands.  archive is ''
   * for the account's own archive. */
  "CREATE TABLE mam_catchup ("
  "  account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  archive     TEXT NOT NULL,"
  "  last_id     TEXT,"
  "  last_time   INTEGER NOT NULL DEFAULT 0,"
  "  oldest_id   TEXT,"
  "  oldest_time INTEGER NOT NULL DEFAULT 0,"
  "  complete    INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (account_id, archive)"
  ") WITHOUT ROWID;",
};

guint
_messenger_store_schema_latest (void)
{
  return G_N_ELEMENTS (migrations);
}

guint
_messenger_store_schema_get_version (StoreConnection  *conn,
                                     GError          **error)
{
  sqlite3_stmt *stmt = NULL;
  guint version = 0;
  int rc;

  rc = sqlite3_prepare_v2 (conn->db, "PRAGMA user_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    _messenger_store_set_error (error, conn->db, rc, "Cannot read the schema version");
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
apply (StoreConnection  *conn,
       guint             target,
       GError          **error)
{
  g_autofree char *set_version = NULL;
  GError *local_error = NULL;
  guint version;

  if (!_messenger_store_connection_exec (conn, "BEGIN IMMEDIATE", error))
    return FALSE;

  /* Read inside the write lock: another process may have migrated since. */
  version = _messenger_store_schema_get_version (conn, &local_error);
  if (local_error == NULL && version + 1 == target)
    {
      set_version = g_strdup_printf ("PRAGMA user_version = %u", target);
      if (_messenger_store_connection_exec (conn, migrations[version], &local_error))
        _messenger_store_connection_exec (conn, set_version, &local_error);
    }

  if (local_error != NULL || !_messenger_store_connection_exec (conn, "COMMIT", &local_error))
    {
      sqlite3_exec (conn->db, "ROLLBACK", NULL, NULL, NULL);
      g_propagate_prefixed_error (error, local_error, "Cannot update the database to version %u: ", target);
      return FALSE;
    }
  return TRUE;
}

gboolean
_messenger_store_schema_migrate (StoreConnection  *conn,
                                 guint             target,
                                 GError          **error)
{
  GError *local_error = NULL;
  guint version;

  g_return_val_if_fail (target <= G_N_ELEMENTS (migrations), FALSE);

  version = _messenger_store_schema_get_version (conn, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (version > G_N_ELEMENTS (migrations))
    {
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_VERSION,
                   "The database was written by a newer version of Messenger "
                   "(schema %u; this version knows up to %u)",
                   version, (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (; version < target; version++)
    if (!apply (conn, version + 1, error))
      return FALSE;

  return TRUE;
}
