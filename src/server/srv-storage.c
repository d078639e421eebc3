/* srv-storage.c: the server's SQLite storage
 *
 * One connection, used from the server's single thread.  Every statement
 * is prepared once (SQLITE_PREPARE_PERSISTENT) and kept in self->stmts,
 * indexed by the Stmt enum below; a g_autoptr(sqlite3_stmt) resets it at
 * the end of the scope.  Writes that touch several rows run in one
 * BEGIN IMMEDIATE … COMMIT.
 *
 * Durability: WAL with synchronous=FULL by default, so a transaction is on
 * disk when COMMIT returns: anything the server acknowledged survives a
 * kill -9 and a power cut.  srv_storage_set_durability (CRASH) switches to
 * synchronous=NORMAL: a COMMIT is still written to the WAL before it
 * returns, so a kill -9 loses nothing, but the last transactions may be
 * lost if the machine itself goes down; it saves one fsync per write.
 *
 * Schema (user_version 2):
 *
 *   accounts      id (AUTOINCREMENT: never reused), username, roster
 *                 version counter and the floor below which versions are
 *                 forgotten
 *   credentials   per account and hash ("SHA-1", "SHA-256", "SHA-512"):
 *                 iterations, salt, StoredKey, ServerKey
 *   roster        per account and contact; each change stamps the row with
 *                 the next value of the account's counter, and a removal
 *                 leaves a tombstone (removed = 1), so "changes since
 *                 version N" is one index range scan
 *   subscription_requests   pending inbound requests with their stanza
 *   offline       messages in arrival order (rowid)
 *   archive       MAM, in time order: keyset paging over (stamp, rowid) on
 *                 the indexes (account, stamp) and (account, peer, stamp),
 *                 which also answer the RSM counts without reading a row;
 *                 stamps only grow (clamped to the last one), so time
 *                 order is arrival order.  The ids handed out are the
 *                 rowid run through a keyed 64-bit permutation (key in
 *                 meta), so they are opaque and need no index of their own
 *   meta          settings of this database (the archive id key)
 *   blocklist, vcards
 *
 * Every user-owned table references accounts(id) ON DELETE CASCADE, so
 * removing an account removes its data.  User JIDs ("user@domain") map to
 * accounts by their localpart: the server serves one domain.
 *
 * Roster versions are "<account id>-<counter>": an account removed and
 * created again never hands out a version an old client cached.
 *
 * Test hook: when the environment variable MESSENGER_SERVER_TEST_FAIL_COMMIT
 * names a file, every group commit made while that file exists is rolled
 * back and reported as failed, as a full disk would.  Only the
 * integration tests set it (the server must then not acknowledge what was
 * lost); nothing else reads it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "srv-storage.h"
#include "xmpp-jid.h"
#include "xmpp-parser.h"

#define SCHEMA_VERSION 2

/* Tombstones kept per roster before the oldest are dropped (clients that
 * cached a version older than a dropped one get the full roster). */
#define MAX_TOMBSTONES 1000

/* Separates group names in roster.groups: a control character that XML
 * 1.0 cannot carry, so no group name contains it. */
#define GROUP_SEPARATOR "\x1f"

#define NS_DELAY "urn:xmpp:delay"

typedef enum
{
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_ACCOUNT_ID,
  STMT_ACCOUNT_INSERT,
  STMT_ACCOUNT_DELETE,
  STMT_ACCOUNT_LIST,
  STMT_CREDENTIALS_PUT,
  STMT_CREDENTIALS_GET,
  STMT_ROSTER_GET_ALL,
  STMT_ROSTER_GET_ONE,
  STMT_ROSTER_PUT,
  STMT_ROSTER_REMOVE,
  STMT_ROSTER_BUMP,
  STMT_ROSTER_VERSION,
  STMT_ROSTER_CHANGES,
  STMT_ROSTER_COUNT_TOMBSTONES,
  STMT_ROSTER_PRUNE_TOMBSTONES,
  STMT_ROSTER_SET_FLOOR,
  STMT_REQUEST_ADD,
  STMT_REQUEST_REMOVE,
  STMT_REQUEST_GET_ALL,
  STMT_REQUEST_EXISTS,
  STMT_OFFLINE_ADD,
  STMT_OFFLINE_GET,
  STMT_OFFLINE_DELETE,
  STMT_OFFLINE_COUNT,
  STMT_ARCHIVE_ADD,
  STMT_ARCHIVE_FIND,
  STMT_ARCHIVE_GET,
  STMT_ARCHIVE_ASC,
  STMT_ARCHIVE_DESC,
  STMT_ARCHIVE_WITH_ASC,
  STMT_ARCHIVE_WITH_DESC,
  STMT_ARCHIVE_COUNT,
  STMT_ARCHIVE_WITH_COUNT,
  STMT_BLOCK_LIST,
  STMT_BLOCK_ADD,
  STMT_BLOCK_REMOVE,
  STMT_BLOCK_CLEAR,
  STMT_VCARD_SET,
  STMT_VCARD_GET,
  STMT_META_GET,
  STMT_META_SET,
  N_STMTS
} Stmt;

static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_SAVEPOINT] = "SAVEPOINT op",
  [STMT_RELEASE] = "RELEASE op",
  [STMT_ROLLBACK_TO] = "ROLLBACK TO op",
  [STMT_ACCOUNT_ID] = "SELECT id FROM accounts WHERE username = ?1",
  [STMT_ACCOUNT_INSERT] = "INSERT INTO accounts (username, created) VALUES (?1, ?2)",
  [STMT_ACCOUNT_DELETE] = "DELETE FROM accounts WHERE username = ?1",
  [STMT_ACCOUNT_LIST] = "SELECT username FROM accounts ORDER BY username",
  [STMT_CREDENTIALS_PUT] =
    "INSERT OR REPLACE INTO credentials (account_id, hash, iterations, salt, stored_key, server_key)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_CREDENTIALS_GET] =
    "SELECT iterations, salt, stored_key, server_key FROM credentials"
    " WHERE account_id = ?1 AND hash = ?2",
  [STMT_ROSTER_GET_ALL] =
    "SELECT contact, name, groups, subscription, ask, approved,"
    " EXISTS (SELECT 1 FROM subscription_requests s"
    "         WHERE s.account_id = r.account_id AND s.contact = r.contact)"
    " FROM roster r WHERE account_id = ?1 AND removed = 0 ORDER BY contact",
  [STMT_ROSTER_GET_ONE] =
    "SELECT contact, name, groups, subscription, ask, approved,"
    " EXISTS (SELECT 1 FROM subscription_requests s"
    "         WHERE s.account_id = r.account_id AND s.contact = r.contact)"
    " FROM roster r WHERE account_id = ?1 AND contact = ?2 AND removed = 0",
  [STMT_ROSTER_PUT] =
    "INSERT OR REPLACE INTO roster"
    " (account_id, contact, name, groups, subscription, ask, approved, removed, version)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)",
  [STMT_ROSTER_REMOVE] =
    "UPDATE roster SET removed = 1, name = NULL, groups = '', subscription = 0,"
    " ask = 0, approved = 0, version = ?3"
    " WHERE account_id = ?1 AND contact = ?2 AND removed = 0",
  [STMT_ROSTER_BUMP] =
    "UPDATE accounts SET roster_version = roster_version + 1 WHERE id = ?1"
    " RETURNING roster_version",
  [STMT_ROSTER_VERSION] = "SELECT roster_version, roster_floor FROM accounts WHERE id = ?1",
  [STMT_ROSTER_CHANGES] =
    "SELECT contact, name, groups, subscription, ask, approved, removed, version"
    " FROM roster WHERE account_id = ?1 AND version > ?2 ORDER BY version",
  [STMT_ROSTER_COUNT_TOMBSTONES] =
    "SELECT count(*) FROM roster WHERE account_id = ?1 AND removed = 1",
  [STMT_ROSTER_PRUNE_TOMBSTONES] =
    "DELETE FROM roster WHERE account_id = ?1 AND removed = 1 AND version <= ?2",
  [STMT_ROSTER_SET_FLOOR] = "UPDATE accounts SET roster_floor = ?2 WHERE id = ?1",
  [STMT_REQUEST_ADD] =
    "INSERT OR IGNORE INTO subscription_requests (account_id, contact, created, stanza)"
    " VALUES (?1, ?2, ?3, ?4)",
  [STMT_REQUEST_REMOVE] =
    "DELETE FROM subscription_requests WHERE account_id = ?1 AND contact = ?2",
  [STMT_REQUEST_GET_ALL] =
    "SELECT stanza FROM subscription_requests WHERE account_id = ?1 ORDER BY created, contact",
  [STMT_REQUEST_EXISTS] =
    "SELECT 1 FROM subscription_requests WHERE account_id = ?1 AND contact = ?2",
  [STMT_OFFLINE_ADD] = "INSERT INTO offline (account_id, stamp, stanza) VALUES (?1, ?2, ?3)",
  [STMT_OFFLINE_GET] = "SELECT id, stamp, stanza FROM offline WHERE account_id = ?1 ORDER BY id",
  [STMT_OFFLINE_DELETE] = "DELETE FROM offline WHERE account_id = ?1 AND id <= ?2",
  [STMT_OFFLINE_COUNT] = "SELECT count(*) FROM offline WHERE account_id = ?1",
  [STMT_ARCHIVE_ADD] =
    "INSERT INTO archive (account_id, with_jid, outgoing, stamp, stanza)"
    " VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_ARCHIVE_FIND] = "SELECT stamp FROM archive WHERE id = ?2 AND account_id = ?1",
  [STMT_ARCHIVE_GET] =
    "SELECT stamp, stanza, with_jid FROM archive WHERE id = ?2 AND account_id = ?1",
  /* Keyset ranges over (stamp, id), both ends exclusive: ?2 with,
   * ?3/?4 the lower (stamp, id), ?5/?6 the upper one, ?7 limit.  The
   * row id is the last column of every index, so each is one range scan
   * in index order (no sort); the counts read the index only. */
  [STMT_ARCHIVE_ASC] =
    "SELECT id, stamp, stanza FROM archive WHERE account_id = ?1"
    " AND (stamp, id) > (?3, ?4) AND (stamp, id) < (?5, ?6)"
    " ORDER BY stamp ASC, id ASC LIMIT ?7",
  [STMT_ARCHIVE_DESC] =
    "SELECT id, stamp, stanza FROM archive WHERE account_id = ?1"
    " AND (stamp, id) > (?3, ?4) AND (stamp, id) < (?5, ?6)"
    " ORDER BY stamp DESC, id DESC LIMIT ?7",
  [STMT_ARCHIVE_WITH_ASC] =
    "SELECT id, stamp, stanza FROM archive WHERE account_id = ?1 AND with_jid = ?2"
    " AND (stamp, id) > (?3, ?4) AND (stamp, id) < (?5, ?6)"
    " ORDER BY stamp ASC, id ASC LIMIT ?7",
  [STMT_ARCHIVE_WITH_DESC] =
    "SELECT id, stamp, stanza FROM archive WHERE account_id = ?1 AND with_jid = ?2"
    " AND (stamp, id) > (?3, ?4) AND (stamp, id) < (?5, ?6)"
    " ORDER BY stamp DESC, id DESC LIMIT ?7",
  [STMT_ARCHIVE_COUNT] =
    "SELECT count(*) FROM archive WHERE account_id = ?1"
    " AND (stamp, id) > (?3, ?4) AND (stamp, id) < (?5, ?6)",
  [STMT_ARCHIVE_WITH_COUNT] =
    "SELECT count(*) FROM archive WHERE account_id = ?1 AND with_jid = ?2"
    " AND (stamp, id) > (?3, ?4) AND (stamp, id) < (?5, ?6)",
  [STMT_BLOCK_LIST] = "SELECT jid FROM blocklist WHERE account_id = ?1 ORDER BY jid",
  [STMT_BLOCK_ADD] = "INSERT OR IGNORE INTO blocklist (account_id, jid) VALUES (?1, ?2)",
  [STMT_BLOCK_REMOVE] = "DELETE FROM blocklist WHERE account_id = ?1 AND jid = ?2",
  [STMT_BLOCK_CLEAR] = "DELETE FROM blocklist WHERE account_id = ?1",
  [STMT_VCARD_SET] = "INSERT OR REPLACE INTO vcards (account_id, vcard) VALUES (?1, ?2)",
  [STMT_VCARD_GET] = "SELECT vcard FROM vcards WHERE account_id = ?1",
  [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
  [STMT_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
};

/* Numbered migrations: migrations[i] takes the schema from version i to
 * i + 1.  Never edit a released one; append. */
static const char * const migrations[] = {
  /* 0 → 1 */
  "CREATE TABLE accounts ("
  "  id             INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  username       TEXT    NOT NULL UNIQUE,"
  "  created        INTEGER NOT NULL,"
  "  roster_version INTEGER NOT NULL DEFAULT 0,"
  "  roster_floor   INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE credentials ("
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  hash       TEXT    NOT NULL,"
  "  iterations INTEGER NOT NULL,"
  "  salt       BLOB    NOT NULL,"
  "  stored_key BLOB    NOT NULL,"
  "  server_key BLOB    NOT NULL,"
  "  PRIMARY KEY (account_id, hash)"
  ") WITHOUT ROWID;"
  "CREATE TABLE roster ("
  "  account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  contact      TEXT    NOT NULL,"
  "  name         TEXT,"
  "  groups       TEXT    NOT NULL DEFAULT '',"
  "  subscription INTEGER NOT NULL DEFAULT 0,"
  "  ask          INTEGER NOT NULL DEFAULT 0,"
  "  approved     INTEGER NOT NULL DEFAULT 0,"
  "  removed      INTEGER NOT NULL DEFAULT 0,"
  "  version      INTEGER NOT NULL,"
  "  PRIMARY KEY (account_id, contact)"
  ") WITHOUT ROWID;"
  "CREATE INDEX roster_by_version ON roster (account_id, version);"
  "CREATE TABLE subscription_requests ("
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  contact    TEXT    NOT NULL,"
  "  created    INTEGER NOT NULL,"
  "  stanza     TEXT    NOT NULL,"
  "  PRIMARY KEY (account_id, contact)"
  ") WITHOUT ROWID;"
  "CREATE INDEX subscription_requests_by_time ON subscription_requests (account_id, created);"
  "CREATE TABLE offline ("
  "  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  stamp      INTEGER NOT NULL,"
  "  stanza     TEXT    NOT NULL"
  ");"
  "CREATE INDEX offline_by_account ON offline (account_id, id);"
  "CREATE TABLE archive ("
  "  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  with_jid   TEXT    NOT NULL,"
  "  outgoing   INTEGER NOT NULL,"
  "  stamp      INTEGER NOT NULL,"
  "  stanza     TEXT    NOT NULL"
  ");"
  "CREATE INDEX archive_by_account ON archive (account_id, id);"
  "CREATE INDEX archive_by_with ON archive (account_id, with_jid, id);"
  "CREATE TABLE blocklist ("
  "  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  jid        TEXT    NOT NULL,"
  "  PRIMARY KEY (account_id, jid)"
  ") WITHOUT ROWID;"
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY,"
  "  value BLOB NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE vcards ("
  "  account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,"
  "  vcard      TEXT    NOT NULL"
  ");",
  /* 1 → 2: the archive in time order (MAM filters and RSM counts on an
   * index); the row id stays the implicit last column. */
  "DROP INDEX archive_by_account;"
  "DROP INDEX archive_by_with;"
  "CREATE INDEX archive_by_time ON archive (account_id, stamp);"
  "CREATE INDEX archive_by_with_time ON archive (account_id, with_jid, stamp);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SCHEMA_VERSION);

static const char * const credential_hashes[] = { "SHA-1", "SHA-256", "SHA-512" };

struct _SrvStorage
{
  sqlite3      *db;
  char         *path;
  sqlite3_stmt *stmts[N_STMTS];
  /* Owned: username → account id, filled on lookup. */
  GHashTable   *account_ids;
  /* Owned: account id (gint64 *) → set of blocked JIDs, loaded on first
   * use: the router asks for every stanza, the lists rarely change. */
  GHashTable   *blocklists;
  guint64       archive_key;
  gint64        last_archive_stamp;   /* archive stamps only grow */

  /* Offline queue limit per account (0: none) and the queue lengths
   * counted so far: account id → count, filled on first use. */
  guint         offline_limit;
  GHashTable   *offline_counts;

  /* Group commit (srv_storage_set_batching): writes join one open
   * transaction until srv_storage_commit(). */
  gboolean      batching;
  gboolean      batch_open;
  gboolean      batch_lost;     /* SQLite rolled the open batch back */
  SrvStorageWriteFunc write_func; /* told of every write */
  gpointer      write_data;
  char         *fail_commit_file; /* test hook (top comment) */
};

G_DEFINE_QUARK (srv-storage-error-quark, srv_storage_error)

/* Reset a cached statement when it goes out of scope. */
static void
stmt_release (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, stmt_release)

static SrvStorageError
error_code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return SRV_STORAGE_ERROR_CORRUPT;
    case SQLITE_CONSTRAINT:
      return SRV_STORAGE_ERROR_EXISTS;
    default:
      return SRV_STORAGE_ERROR_FAILED;
    }
}

static void
set_db_error (SrvStorage  *self,
              GError     **error,
              int          rc,
              const char  *what)
{
  g_set_error (error, SRV_STORAGE_ERROR, error_code_for (rc),
               "%s: %s", what, sqlite3_errmsg (self->db));
}

/* The cached statement @id, reset and unbound; NULL on failure (logged:
 * the SQL is ours, so this is a bug or a broken database). */
static sqlite3_stmt *
get_stmt (SrvStorage *self,
          Stmt        id)
{
  if (self->stmts[id] == NULL)
    {
      int rc = sqlite3_prepare_v3 (self->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                   &self->stmts[id], NULL);
      if (rc != SQLITE_OK)
        {
          g_critical ("Cannot prepare “%s”: %s", stmt_sql[id], sqlite3_errmsg (self->db));
          self->stmts[id] = NULL;
          return NULL;
        }
    }
  return self->stmts[id];
}

/* Run a statement that returns no rows. */
static int
step_done (sqlite3_stmt *stmt)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    rc = SQLITE_DONE;
  return rc;
}

static gboolean
run_simple (SrvStorage *self,
            Stmt        id)
{
  g_autoptr(sqlite3_stmt) stmt = get_stmt (self, id);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = step_done (stmt);
  if (rc != SQLITE_DONE)
    {
      g_warning ("%s failed: %s", stmt_sql[id], sqlite3_errmsg (self->db));
      return FALSE;
    }
  return TRUE;
}

/* Batching: make sure the shared transaction is open (a failed
 * statement may have rolled it back). */
static void
batch_ensure (SrvStorage *self)
{
  if (!self->batching)
    return;
  if (self->batch_open && !sqlite3_get_autocommit (self->db))
    return;
  /* Some errors (a full disk, I/O) make SQLite roll the whole
   * transaction back: what the batch wrote so far is gone, and the
   * commit must say so. */
  if (self->batch_open)
    self->batch_lost = TRUE;
  self->batch_open = run_simple (self, STMT_BEGIN);
}

/* The statement for a single-statement write. */
static sqlite3_stmt *
get_write_stmt (SrvStorage *self,
                Stmt        id)
{
  if (self->write_func != NULL)
    self->write_func (self->write_data);
  batch_ensure (self);
  return get_stmt (self, id);
}

/* Writes of several statements are atomic: their own transaction, or a
 * savepoint inside the batch. */
static gboolean
transaction_begin (SrvStorage  *self,
                   GError     **error)
{
  gboolean ok;

  if (self->write_func != NULL)
    self->write_func (self->write_data);
  if (self->batching)
    {
      batch_ensure (self);
      ok = run_simple (self, STMT_SAVEPOINT);
    }
  else
    ok = run_simple (self, STMT_BEGIN);
  if (!ok)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                   "Cannot start a transaction: %s", sqlite3_errmsg (self->db));
      return FALSE;
    }
  return TRUE;
}

static void
transaction_rollback (SrvStorage *self)
{
  if (sqlite3_get_autocommit (self->db))
    return;
  if (self->batching)
    {
      run_simple (self, STMT_ROLLBACK_TO);
      run_simple (self, STMT_RELEASE);
    }
  else
    run_simple (self, STMT_ROLLBACK);
}

static gboolean
transaction_commit (SrvStorage  *self,
                    GError     **error)
{
  if (!run_simple (self, self->batching ? STMT_RELEASE : STMT_COMMIT))
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                   "Cannot commit: %s", sqlite3_errmsg (self->db));
      transaction_rollback (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
exec_sql (SrvStorage  *self,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, SRV_STORAGE_ERROR, error_code_for (rc),
                   "%s", message != NULL ? message : sqlite3_errmsg (self->db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gint64
query_int (SrvStorage *self,
           const char *sql,
           gint64      fallback)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = fallback;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static gboolean
migrate (SrvStorage  *self,
         GError     **error)
{
  gint64 version = query_int (self, "PRAGMA user_version", -1);

  if (version < 0)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_CORRUPT,
                   "Cannot read the schema version of %s: %s", self->path,
                   sqlite3_errmsg (self->db));
      return FALSE;
    }
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                   "%s was written by a newer messenger-server (schema %" G_GINT64_FORMAT
                   ", this one knows %d)", self->path, version, SCHEMA_VERSION);
      return FALSE;
    }

  for (; version < SCHEMA_VERSION; version++)
    {
      g_autofree char *set_version = NULL;

      if (!exec_sql (self, "BEGIN IMMEDIATE", error))
        return FALSE;
      set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, version + 1);
      if (!exec_sql (self, migrations[version], error)
          || !exec_sql (self, set_version, error)
          || !exec_sql (self, "COMMIT", error))
        {
          g_prefix_error (error, "Cannot upgrade %s to schema %" G_GINT64_FORMAT ": ",
                          self->path, version + 1);
          sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
    }
  return TRUE;
}

/* The key of the archive id permutation: made once per database. */
static gboolean
load_archive_key (SrvStorage  *self,
                  GError     **error)
{
  guint8 key[8];
  int rc;

  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_META_GET);

    if (stmt == NULL)
      {
        set_db_error (self, error, SQLITE_ERROR, "Cannot read the settings");
        return FALSE;
      }
    sqlite3_bind_text (stmt, 1, "archive-key", -1, SQLITE_STATIC);
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == sizeof key)
      {
        memcpy (key, sqlite3_column_blob (stmt, 0), sizeof key);
        memcpy (&self->archive_key, key, sizeof key);
        return TRUE;
      }
  }

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) g_random_int_range (0, 256);
  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_META_SET);

    if (stmt == NULL)
      {
        set_db_error (self, error, SQLITE_ERROR, "Cannot store the settings");
        return FALSE;
      }
    sqlite3_bind_text (stmt, 1, "archive-key", -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 2, key, sizeof key, SQLITE_STATIC);
    rc = step_done (stmt);
    if (rc != SQLITE_DONE)
      {
        set_db_error (self, error, rc, "Cannot store the settings");
        return FALSE;
      }
  }
  memcpy (&self->archive_key, key, sizeof key);
  return TRUE;
}

SrvStorage *
srv_storage_open (const char  *path,
                  GError     **error)
{
  g_autoptr(SrvStorage) self = NULL;
  g_autofree char *dir = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                   "Cannot create the folder %s: %s", dir, g_strerror (errno));
      return NULL;
    }

  self = g_new0 (SrvStorage, 1);
  self->path = g_strdup (path);
  self->account_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->blocklists = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                            (GDestroyNotify) g_hash_table_unref);
  self->offline_counts = g_hash_table_new (NULL, NULL);
  self->fail_commit_file = g_strdup (g_getenv ("MESSENGER_SERVER_TEST_FAIL_COMMIT"));
  if (self->fail_commit_file != NULL && *self->fail_commit_file == '\0')
    g_clear_pointer (&self->fail_commit_file, g_free);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, SRV_STORAGE_ERROR, error_code_for (rc),
                   "Cannot open %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  /* Keys live here: nobody else may read the file (the WAL and shm files
   * sqlite creates later copy these permissions). */
  if (g_chmod (path, 0600) != 0)
    g_warning ("Cannot restrict the permissions of %s: %s", path, g_strerror (errno));

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 5000);

  /* journal_mode returns a row; exec ignores it.  A file that is not a
   * database fails here with SQLITE_NOTADB. */
  if (!exec_sql (self, "PRAGMA journal_mode=WAL;"
                       "PRAGMA synchronous=FULL;"
                       "PRAGMA foreign_keys=ON;"
                       "PRAGMA secure_delete=ON;", error))
    {
      g_prefix_error (error, "Cannot use %s: ", path);
      return NULL;
    }
  if (!migrate (self, error) || !load_archive_key (self, error))
    return NULL;
  /* The newest row has the largest stamp (they only grow): one lookup
   * at the end of the table. */
  self->last_archive_stamp = query_int (self, "SELECT stamp FROM archive ORDER BY id DESC LIMIT 1", 0);

  return g_steal_pointer (&self);
}

void
srv_storage_set_batching (SrvStorage *self,
                          gboolean    batching)
{
  g_return_if_fail (self != NULL);

  if (!batching)
    srv_storage_commit (self, NULL);
  self->batching = batching;
}

/* The caches mirror rows a rolled-back batch may have written. */
static void
forget_caches (SrvStorage *self)
{
  g_hash_table_remove_all (self->account_ids);
  g_hash_table_remove_all (self->blocklists);
  g_hash_table_remove_all (self->offline_counts);
}

gboolean
srv_storage_commit (SrvStorage  *self,
                    GError     **error)
{
  gboolean lost;

  g_return_val_if_fail (self != NULL, FALSE);

  lost = self->batch_lost;
  self->batch_lost = FALSE;
  if (self->batch_open)
    {
      self->batch_open = FALSE;
      /* Rolled back by a failed statement: some writes are gone. */
      if (sqlite3_get_autocommit (self->db))
        lost = TRUE;
      else if (self->fail_commit_file != NULL && g_file_test (self->fail_commit_file, G_FILE_TEST_EXISTS))
        {
          run_simple (self, STMT_ROLLBACK);
          forget_caches (self);
          g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                       "Cannot commit %s: failed on purpose (MESSENGER_SERVER_TEST_FAIL_COMMIT)",
                       self->path);
          return FALSE;
        }
      else if (!run_simple (self, STMT_COMMIT))
        {
          g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                       "Cannot commit %s: %s", self->path, sqlite3_errmsg (self->db));
          if (!sqlite3_get_autocommit (self->db))
            run_simple (self, STMT_ROLLBACK);
          forget_caches (self);
          return FALSE;
        }
    }
  if (lost)
    {
      forget_caches (self);
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                   "Changes to %s were rolled back after an error", self->path);
      return FALSE;
    }
  return TRUE;
}

void
srv_storage_set_write_func (SrvStorage          *self,
                            SrvStorageWriteFunc  func,
                            gpointer             user_data)
{
  g_return_if_fail (self != NULL);
  self->write_func = func;
  self->write_data = user_data;
}

void
srv_storage_set_durability (SrvStorage           *self,
                            SrvStorageDurability  durability)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (self != NULL);

  srv_storage_commit (self, NULL);

  if (!exec_sql (self, durability == SRV_STORAGE_DURABILITY_CRASH
                       ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL", &error))
    g_warning ("Cannot change the durability of %s: %s", self->path, error->message);
}

void
srv_storage_close (SrvStorage *self)
{
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    return;

  if (self->db != NULL && !srv_storage_commit (self, &error))
    g_warning ("%s", error->message);
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_clear_pointer (&self->account_ids, g_hash_table_unref);
  g_clear_pointer (&self->blocklists, g_hash_table_unref);
  g_clear_pointer (&self->offline_counts, g_hash_table_unref);
  g_free (self->fail_commit_file);
  g_free (self->path);
  g_free (self);
}

/* --- accounts -------------------------------------------------------- */

/* The canonical localpart of @username; a JID "user@domain" is accepted
 * too and gives its localpart. */
static char *
canonical_username (const char  *username,
                    GError     **error)
{
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(GError) jid_error = NULL;
  g_autofree char *local = NULL;
  const char *at;

  if (username == NULL || *username == '\0')
    {
      g_set_error_literal (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                           "The user name is empty");
      return NULL;
    }

  at = strchr (username, '@');
  local = at != NULL ? g_strndup (username, at - username) : g_strdup (username);
  /* Only the localpart matters; the domain is a placeholder. */
  jid = xmpp_jid_new_from_parts (local, "localhost", NULL, &jid_error);
  if (jid == NULL)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                   "“%s” is not a valid user name: %s", username, jid_error->message);
      return NULL;
    }
  return g_strdup (xmpp_jid_get_local (jid));
}

/* The account id of a canonical username, 0 when there is none. */
static gint64
lookup_account (SrvStorage *self,
                const char *username)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gpointer cached;
  gint64 id = 0;

  if (g_hash_table_lookup_extended (self->account_ids, username, NULL, &cached))
    return GPOINTER_TO_SIZE (cached);

  stmt = get_stmt (self, STMT_ACCOUNT_ID);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      id = sqlite3_column_int64 (stmt, 0);
      /* Row ids fit a pointer on every platform the server targets; only
       * existing accounts are cached. */
      if ((gint64) (gsize) id == id)
        g_hash_table_insert (self->account_ids, g_strdup (username), GSIZE_TO_POINTER ((gsize) id));
    }
  return id;
}

/* The account id of a user given as a bare JID ("user@domain") or a
 * username; 0 when there is no such account. */
static gint64
user_account (SrvStorage *self,
              const char *user)
{
  const char *at;
  g_autofree char *local = NULL;

  if (user == NULL)
    return 0;
  at = strchr (user, '@');
  if (at == NULL)
    return lookup_account (self, user);
  local = g_strndup (user, at - user);
  return lookup_account (self, local);
}

static gboolean
store_credentials (SrvStorage  *self,
                   gint64       account,
                   const char  *password,
                   GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (credential_hashes); i++)
    {
      g_auto(XmppScramCredentials) creds = { 0, };
      g_autoptr(GBytes) salt = xmpp_scram_generate_salt ();
      g_autoptr(sqlite3_stmt) stmt = NULL;
      gsize len;
      const void *data;
      int rc;

      if (!xmpp_scram_derive (credential_hashes[i], password, salt,
                              XMPP_SCRAM_DEFAULT_ITERATIONS, &creds, error))
        return FALSE;

      stmt = get_stmt (self, STMT_CREDENTIALS_PUT);
      if (stmt == NULL)
        {
          set_db_error (self, error, SQLITE_ERROR, "Cannot store the credentials");
          return FALSE;
        }
      sqlite3_bind_int64 (stmt, 1, account);
      sqlite3_bind_text (stmt, 2, credential_hashes[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, creds.iterations);
      data = g_bytes_get_data (creds.salt, &len);
      sqlite3_bind_blob (stmt, 4, data, len, SQLITE_TRANSIENT);
      data = g_bytes_get_data (creds.stored_key, &len);
      sqlite3_bind_blob (stmt, 5, data, len, SQLITE_TRANSIENT);
      data = g_bytes_get_data (creds.server_key, &len);
      sqlite3_bind_blob (stmt, 6, data, len, SQLITE_TRANSIENT);
      rc = step_done (stmt);
      if (rc != SQLITE_DONE)
        {
          set_db_error (self, error, rc, "Cannot store the credentials");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
srv_storage_add_account (SrvStorage  *self,
                         const char  *username,
                         const char  *password,
                         GError     **error)
{
  g_autofree char *name = NULL;
  gint64 account;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  name = canonical_username (username, error);
  if (name == NULL)
    return FALSE;
  if (*password == '\0')
    {
      g_set_error_literal (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                           "The password is empty");
      return FALSE;
    }

  if (!transaction_begin (self, error))
    return FALSE;

  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ACCOUNT_INSERT);

    if (stmt == NULL)
      rc = SQLITE_ERROR;
    else
      {
        sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
        rc = step_done (stmt);
      }
  }
  if (rc != SQLITE_DONE)
    {
      if ((rc & 0xff) == SQLITE_CONSTRAINT)
        g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_EXISTS,
                     "The account “%s” already exists", name);
      else
        set_db_error (self, error, rc, "Cannot add the account");
      transaction_rollback (self);
      return FALSE;
    }
  account = sqlite3_last_insert_rowid (self->db);

  if (!store_credentials (self, account, password, error))
    {
      transaction_rollback (self);
      return FALSE;
    }
  return transaction_commit (self, error);
}

gboolean
srv_storage_set_password (SrvStorage  *self,
                          const char  *username,
                          const char  *password,
                          GError     **error)
{
  g_autofree char *name = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  name = canonical_username (username, error);
  if (name == NULL)
    return FALSE;
  if (*password == '\0')
    {
      g_set_error_literal (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED,
                           "The password is empty");
      return FALSE;
    }
  account = lookup_account (self, name);
  if (account == 0)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND,
                   "There is no account “%s”", name);
      return FALSE;
    }

  if (!transaction_begin (self, error))
    return FALSE;
  if (!store_credentials (self, account, password, error))
    {
      transaction_rollback (self);
      return FALSE;
    }
  return transaction_commit (self, error);
}

gboolean
srv_storage_remove_account (SrvStorage  *self,
                            const char  *username,
                            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *name = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);

  name = canonical_username (username, error);
  if (name == NULL)
    return FALSE;

  stmt = get_write_stmt (self, STMT_ACCOUNT_DELETE);
  if (stmt == NULL)
    {
      set_db_error (self, error, SQLITE_ERROR, "Cannot remove the account");
      return FALSE;
    }
  /* Ids are never reused, but the caches must not outlive the rows. */
  g_hash_table_remove (self->account_ids, name);
  g_hash_table_remove_all (self->blocklists);
  g_hash_table_remove_all (self->offline_counts);
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = step_done (stmt);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, "Cannot remove the account");
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND,
                   "There is no account “%s”", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_storage_account_exists (SrvStorage *self,
                            const char *username)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  name = canonical_username (username, NULL);
  return name != NULL && lookup_account (self, name) != 0;
}

GStrv
srv_storage_list_accounts (SrvStorage *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  stmt = get_stmt (self, STMT_ACCOUNT_LIST);
  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  return g_strv_builder_end (builder);
}

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           column)
{
  const void *data = sqlite3_column_blob (stmt, column);
  int len = sqlite3_column_bytes (stmt, column);

  return g_bytes_new (data, len);
}

gboolean
srv_storage_get_credentials (SrvStorage           *self,
                             const char           *username,
                             const char           *hash_name,
                             XmppScramCredentials *out)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *name = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (hash_name != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  name = canonical_username (username, NULL);
  if (name == NULL)
    return FALSE;
  account = lookup_account (self, name);
  if (account == 0)
    return FALSE;

  stmt = get_stmt (self, STMT_CREDENTIALS_GET);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, hash_name, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return FALSE;

  out->iterations = sqlite3_column_int (stmt, 0);
  out->salt = column_bytes (stmt, 1);
  out->stored_key = column_bytes (stmt, 2);
  out->server_key = column_bytes (stmt, 3);
  return TRUE;
}

/* --- rosters --------------------------------------------------------- */

void
srv_roster_item_free (SrvRosterItem *item)
{
  if (item == NULL)
    return;
  g_free (item->contact);
  g_free (item->name);
  g_strfreev (item->groups);
  g_free (item);
}

SrvRosterItem *
srv_roster_item_copy (const SrvRosterItem *item)
{
  SrvRosterItem *copy;

  g_return_val_if_fail (item != NULL, NULL);

  copy = g_new0 (SrvRosterItem, 1);
  *copy = *item;
  copy->contact = g_strdup (item->contact);
  copy->name = g_strdup (item->name);
  copy->groups = item->groups != NULL ? g_strdupv (item->groups) : g_new0 (char *, 1);
  return copy;
}

static char *
format_version (gint64 account,
                gint64 counter)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, account, counter);
}

/* Parse "<account>-<counter>"; FALSE unless it is well formed. */
static gboolean
parse_version (const char *version,
               gint64     *account,
               gint64     *counter)
{
  const char *dash;
  g_autofree char *head = NULL;
  guint64 a, c;

  if (version == NULL || (dash = strchr (version, '-')) == NULL)
    return FALSE;
  head = g_strndup (version, dash - version);
  if (!g_ascii_string_to_unsigned (head, 10, 1, G_MAXINT64, &a, NULL)
      || !g_ascii_string_to_unsigned (dash + 1, 10, 0, G_MAXINT64, &c, NULL))
    return FALSE;
  *account = a;
  *counter = c;
  return TRUE;
}

static SrvRosterItem *
roster_item_from_row (sqlite3_stmt *stmt)
{
  SrvRosterItem *item = g_new0 (SrvRosterItem, 1);
  const char *groups = (const char *) sqlite3_column_text (stmt, 2);
  int subscription = sqlite3_column_int (stmt, 3);

  item->contact = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  item->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  item->groups = groups != NULL && *groups != '\0'
                 ? g_strsplit (groups, GROUP_SEPARATOR, -1)
                 : g_new0 (char *, 1);
  item->subscription = subscription >= XMPP_SUBSCRIPTION_NONE && subscription <= XMPP_SUBSCRIPTION_BOTH
                       ? (XmppSubscription) subscription : XMPP_SUBSCRIPTION_NONE;
  item->pending_out = sqlite3_column_int (stmt, 4) != 0;
  item->approved = sqlite3_column_int (stmt, 5) != 0;
  return item;
}

GPtrArray *
srv_storage_get_roster (SrvStorage *self,
                        const char *user)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_roster_item_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    return g_steal_pointer (&items);

  stmt = get_stmt (self, STMT_ROSTER_GET_ALL);
  if (stmt == NULL)
    return g_steal_pointer (&items);
  sqlite3_bind_int64 (stmt, 1, account);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      SrvRosterItem *item = roster_item_from_row (stmt);

      item->pending_in = sqlite3_column_int (stmt, 6) != 0;
      g_ptr_array_add (items, item);
    }
  return g_steal_pointer (&items);
}

SrvRosterItem *
srv_storage_get_roster_item (SrvStorage *self,
                             const char *user,
                             const char *contact)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  SrvRosterItem *item;
  gint64 account;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (contact != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    return NULL;
  stmt = get_stmt (self, STMT_ROSTER_GET_ONE);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, contact, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  item = roster_item_from_row (stmt);
  item->pending_in = sqlite3_column_int (stmt, 6) != 0;
  return item;
}

/* Next value of the account's roster counter (inside a transaction). */
static gint64
bump_roster_version (SrvStorage  *self,
                     gint64       account,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_BUMP);
  gint64 version;
  int rc;

  if (stmt == NULL)
    {
      set_db_error (self, error, SQLITE_ERROR, "Cannot update the roster version");
      return -1;
    }
  sqlite3_bind_int64 (stmt, 1, account);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_db_error (self, error, rc, "Cannot update the roster version");
      return -1;
    }
  version = sqlite3_column_int64 (stmt, 0);
  /* Finish the statement so the UPDATE completes before the commit. */
  sqlite3_step (stmt);
  return version;
}

static gboolean
no_account_error (GError     **error,
                  const char  *user)
{
  g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND,
               "There is no account for “%s”", user != NULL ? user : "(null)");
  return FALSE;
}

char *
srv_storage_put_roster_item (SrvStorage           *self,
                             const char           *user,
                             const SrvRosterItem  *item,
                             GError              **error)
{
  g_autofree char *groups = NULL;
  gint64 account, version;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (item != NULL && item->contact != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    {
      no_account_error (error, user);
      return NULL;
    }

  groups = item->groups != NULL ? g_strjoinv (GROUP_SEPARATOR, item->groups) : g_strdup ("");

  if (!transaction_begin (self, error))
    return NULL;
  version = bump_roster_version (self, account, error);
  if (version < 0)
    {
      transaction_rollback (self);
      return NULL;
    }

  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_PUT);

    if (stmt == NULL)
      rc = SQLITE_ERROR;
    else
      {
        sqlite3_bind_int64 (stmt, 1, account);
        sqlite3_bind_text (stmt, 2, item->contact, -1, SQLITE_STATIC);
        if (item->name != NULL && *item->name != '\0')
          sqlite3_bind_text (stmt, 3, item->name, -1, SQLITE_STATIC);
        else
          sqlite3_bind_null (stmt, 3);
        sqlite3_bind_text (stmt, 4, groups, -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 5, item->subscription <= XMPP_SUBSCRIPTION_BOTH ? (int) item->subscription : 0);
        sqlite3_bind_int (stmt, 6, item->pending_out ? 1 : 0);
        sqlite3_bind_int (stmt, 7, item->approved ? 1 : 0);
        sqlite3_bind_int64 (stmt, 8, version);
        rc = step_done (stmt);
      }
  }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, "Cannot store the roster item");
      transaction_rollback (self);
      return NULL;
    }
  if (!transaction_commit (self, error))
    return NULL;
  return format_version (account, version);
}

/* Drop the oldest tombstones beyond MAX_TOMBSTONES and raise the floor:
 * a client older than a dropped tombstone must refetch everything. */
static gboolean
prune_tombstones (SrvStorage *self,
                  gint64      account,
                  gint64      current)
{
  gint64 count = 0;
  gint64 cutoff;

  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_COUNT_TOMBSTONES);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, account);
    if (sqlite3_step (stmt) == SQLITE_ROW)
      count = sqlite3_column_int64 (stmt, 0);
  }
  if (count <= MAX_TOMBSTONES)
    return TRUE;

  /* Halve the tombstones: everything up to the version in the middle. */
  {
    g_autoptr(sqlite3_stmt) stmt = NULL;
    sqlite3_stmt *find = NULL;
    int rc;

    rc = sqlite3_prepare_v2 (self->db,
                             "SELECT version FROM roster WHERE account_id = ?1 AND removed = 1"
                             " ORDER BY version LIMIT 1 OFFSET ?2", -1, &find, NULL);
    if (rc != SQLITE_OK)
      return FALSE;
    sqlite3_bind_int64 (find, 1, account);
    sqlite3_bind_int64 (find, 2, count - MAX_TOMBSTONES / 2 - 1);
    cutoff = sqlite3_step (find) == SQLITE_ROW ? sqlite3_column_int64 (find, 0) : current;
    sqlite3_finalize (find);

    stmt = get_stmt (self, STMT_ROSTER_PRUNE_TOMBSTONES);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, account);
    sqlite3_bind_int64 (stmt, 2, cutoff);
    if (step_done (stmt) != SQLITE_DONE)
      return FALSE;
  }
  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_SET_FLOOR);

    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, account);
    sqlite3_bind_int64 (stmt, 2, cutoff);
    return step_done (stmt) == SQLITE_DONE;
  }
}

char *
srv_storage_remove_roster_item (SrvStorage  *self,
                                const char  *user,
                                const char  *contact,
                                GError     **error)
{
  gint64 account, version;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (contact != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    {
      no_account_error (error, user);
      return NULL;
    }

  if (!transaction_begin (self, error))
    return NULL;
  version = bump_roster_version (self, account, error);
  if (version < 0)
    {
      transaction_rollback (self);
      return NULL;
    }

  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_REMOVE);

    if (stmt == NULL)
      rc = SQLITE_ERROR;
    else
      {
        sqlite3_bind_int64 (stmt, 1, account);
        sqlite3_bind_text (stmt, 2, contact, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 3, version);
        rc = step_done (stmt);
      }
  }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, "Cannot remove the roster item");
      transaction_rollback (self);
      return NULL;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      /* Nothing removed: the version must not move either. */
      transaction_rollback (self);
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND,
                   "“%s” is not in the roster of %s", contact, user);
      return NULL;
    }
  if (!prune_tombstones (self, account, version))
    {
      set_db_error (self, error, SQLITE_ERROR, "Cannot prune the roster history");
      transaction_rollback (self);
      return NULL;
    }
  if (!transaction_commit (self, error))
    return NULL;
  return format_version (account, version);
}

char *
srv_storage_get_roster_version (SrvStorage *self,
                                const char *user)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    return NULL;
  stmt = get_stmt (self, STMT_ROSTER_VERSION);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, account);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return format_version (account, sqlite3_column_int64 (stmt, 0));
}

GPtrArray *
srv_storage_get_roster_changes_full (SrvStorage  *self,
                                     const char  *user,
                                     const char  *version,
                                     GPtrArray  **versions)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) item_versions = NULL;
  gint64 account, asked_account, asked, current, floor;

  g_return_val_if_fail (self != NULL, NULL);

  if (versions != NULL)
    *versions = NULL;
  account = user_account (self, user);
  if (account == 0 || !parse_version (version, &asked_account, &asked) || asked_account != account)
    return NULL;

  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_VERSION);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, account);
    if (sqlite3_step (stmt) != SQLITE_ROW)
      return NULL;
    current = sqlite3_column_int64 (stmt, 0);
    floor = sqlite3_column_int64 (stmt, 1);
  }
  if (asked > current || asked < floor)
    return NULL;

  items = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_roster_item_free);
  item_versions = g_ptr_array_new_with_free_func (g_free);
  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_ROSTER_CHANGES);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, account);
    sqlite3_bind_int64 (stmt, 2, asked);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        SrvRosterItem *item = roster_item_from_row (stmt);

        if (sqlite3_column_int (stmt, 6) != 0)
          item->subscription = XMPP_SUBSCRIPTION_REMOVE;
        g_ptr_array_add (items, item);
        g_ptr_array_add (item_versions, format_version (account, sqlite3_column_int64 (stmt, 7)));
      }
  }
  if (versions != NULL)
    *versions = g_steal_pointer (&item_versions);
  return g_steal_pointer (&items);
}

GPtrArray *
srv_storage_get_roster_changes (SrvStorage *self,
                                const char *user,
                                const char *version)
{
  return srv_storage_get_roster_changes_full (self, user, version, NULL);
}

/* --- subscription requests ------------------------------------------ */

static char *
stanza_to_text (XmppElement *stanza)
{
  g_autoptr(GString) out = g_string_new (NULL);

  /* NULL parent namespace: the root carries its xmlns, so parsing the
   * text back gives the same namespaces. */
  xmpp_element_serialize (stanza, out, NULL);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static XmppElement *
stanza_from_text (const char *text)
{
  g_autoptr(GError) error = NULL;
  XmppElement *element;

  if (text == NULL)
    return NULL;
  element = xmpp_element_parse (text, -1, &error);
  if (element == NULL)
    g_warning ("Dropping a stored stanza that does not parse: %s", error->message);
  return element;
}

gboolean
srv_storage_add_subscription_request (SrvStorage  *self,
                                      const char  *user,
                                      const char  *contact,
                                      XmppElement *stanza)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *text = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (contact != NULL, FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  account = user_account (self, user);
  if (account == 0)
    return FALSE;
  stmt = get_write_stmt (self, STMT_REQUEST_ADD);
  if (stmt == NULL)
    return FALSE;
  text = stanza_to_text (stanza);
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, contact, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  sqlite3_bind_text (stmt, 4, text, -1, SQLITE_STATIC);
  if (step_done (stmt) != SQLITE_DONE)
    {
      g_warning ("Cannot store a subscription request: %s", sqlite3_errmsg (self->db));
      return FALSE;
    }
  return sqlite3_changes (self->db) > 0;
}

void
srv_storage_remove_subscription_request (SrvStorage *self,
                                         const char *user,
                                         const char *contact)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_if_fail (self != NULL);
  g_return_if_fail (contact != NULL);

  account = user_account (self, user);
  if (account == 0)
    return;
  stmt = get_write_stmt (self, STMT_REQUEST_REMOVE);
  if (stmt == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, contact, -1, SQLITE_STATIC);
  if (step_done (stmt) != SQLITE_DONE)
    g_warning ("Cannot remove a subscription request: %s", sqlite3_errmsg (self->db));
}

gboolean
srv_storage_has_subscription_request (SrvStorage *self,
                                      const char *user,
                                      const char *contact)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (contact != NULL, FALSE);

  account = user_account (self, user);
  if (account == 0)
    return FALSE;
  stmt = get_stmt (self, STMT_REQUEST_EXISTS);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, contact, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

GPtrArray *
srv_storage_get_subscription_requests (SrvStorage *self,
                                       const char *user)
{
  g_autoptr(GPtrArray) stanzas = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    return g_steal_pointer (&stanzas);
  stmt = get_stmt (self, STMT_REQUEST_GET_ALL);
  if (stmt == NULL)
    return g_steal_pointer (&stanzas);
  sqlite3_bind_int64 (stmt, 1, account);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      XmppElement *stanza = stanza_from_text ((const char *) sqlite3_column_text (stmt, 0));

      if (stanza != NULL)
        g_ptr_array_add (stanzas, stanza);
    }
  return g_steal_pointer (&stanzas);
}

/* --- offline messages ------------------------------------------------ */

void
srv_storage_set_offline_limit (SrvStorage *self,
                               guint       limit)
{
  g_return_if_fail (self != NULL);
  self->offline_limit = limit;
}

/* The offline counts are keyed by the account id as a pointer. */
static gboolean
fits_pointer (gint64 account)
{
  return (gint64) (gsize) account == account;
}

/* How many messages wait for @account: counted on the index once, then
 * kept up to date by store and take (and forgotten when a commit fails). */
static guint
offline_queue_length (SrvStorage *self,
                      gint64      account)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gpointer cached;
  guint n = 0;

  if (fits_pointer (account) &&
      g_hash_table_lookup_extended (self->offline_counts, GSIZE_TO_POINTER ((gsize) account), NULL, &cached))
    return GPOINTER_TO_UINT (cached);
  stmt = get_stmt (self, STMT_OFFLINE_COUNT);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, account);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint) MIN (sqlite3_column_int64 (stmt, 0), (gint64) G_MAXUINT);
  if (fits_pointer (account))
    g_hash_table_insert (self->offline_counts, GSIZE_TO_POINTER ((gsize) account), GUINT_TO_POINTER (n));
  return n;
}

gboolean
srv_storage_store_offline (SrvStorage   *self,
                           const char   *user,
                           XmppElement  *stanza,
                           GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *text = NULL;
  gint64 account;
  guint queued = 0;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  account = user_account (self, user);
  if (account == 0)
    return no_account_error (error, user);
  if (self->offline_limit > 0)
    {
      queued = offline_queue_length (self, account);
      if (queued >= self->offline_limit)
        {
          g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FULL,
                       "%u messages already wait for %s", queued, user);
          return FALSE;
        }
    }
  stmt = get_write_stmt (self, STMT_OFFLINE_ADD);
  if (stmt == NULL)
    {
      set_db_error (self, error, SQLITE_ERROR, "Cannot store the message");
      return FALSE;
    }
  text = stanza_to_text (stanza);
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_text (stmt, 3, text, -1, SQLITE_STATIC);
  rc = step_done (stmt);
  if (rc != SQLITE_DONE)
    {
      if (fits_pointer (account))
        g_hash_table_remove (self->offline_counts, GSIZE_TO_POINTER ((gsize) account));
      set_db_error (self, error, rc, "Cannot store the message");
      return FALSE;
    }
  if (self->offline_limit > 0 && fits_pointer (account))
    g_hash_table_insert (self->offline_counts, GSIZE_TO_POINTER ((gsize) account),
                         GUINT_TO_POINTER (queued + 1));
  else if (fits_pointer (account))
    g_hash_table_remove (self->offline_counts, GSIZE_TO_POINTER ((gsize) account));
  return TRUE;
}

/* XEP-0082 date-time in UTC with microseconds: 2002-09-10T23:08:25.000123Z */
static char *
format_stamp (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *seconds = NULL;

  if (time == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  seconds = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%06dZ", seconds, (int) (usec % G_USEC_PER_SEC));
}

/* Replace any delay stamped by @domain (a sender cannot forge ours) with
 * one for @usec. */
static void
add_delay (XmppElement *stanza,
           const char  *domain,
           gint64       usec)
{
  g_autofree char *stamp = format_stamp (usec);
  XmppElement *delay;
  XmppElement *child = NULL;

  while ((child = xmpp_element_next_child (stanza, child)) != NULL)
    {
      if (xmpp_element_is (child, NS_DELAY, "delay")
          && g_strcmp0 (xmpp_element_get_attribute (child, "from"), domain) == 0)
        {
          xmpp_element_remove_child (stanza, child);
          child = NULL;
        }
    }

  delay = xmpp_element_add_child_new (stanza, NS_DELAY, "delay");
  if (domain != NULL)
    xmpp_element_set_attribute (delay, "from", domain);
  xmpp_element_set_attribute (delay, "stamp", stamp);
  xmpp_element_add_text (delay, "Offline storage", -1);
}

GPtrArray *
srv_storage_take_offline (SrvStorage *self,
                          const char *user)
{
  g_autoptr(GPtrArray) stanzas = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
  const char *domain = NULL;
  gint64 account, last = 0;

  g_return_val_if_fail (self != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    return g_steal_pointer (&stanzas);
  if (user != NULL && strchr (user, '@') != NULL)
    domain = strchr (user, '@') + 1;

  /* Read first, outside any transaction: most logins find nothing and
   * then take no write lock.  Rows added meanwhile get higher ids and
   * stay for the next time. */
  {
    g_autoptr(sqlite3_stmt) stmt = get_stmt (self, STMT_OFFLINE_GET);

    if (stmt == NULL)
      return g_steal_pointer (&stanzas);
    sqlite3_bind_int64 (stmt, 1, account);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        XmppElement *stanza = stanza_from_text ((const char *) sqlite3_column_text (stmt, 2));

        last = sqlite3_column_int64 (stmt, 0);
        if (stanza == NULL)
          continue;
        add_delay (stanza, domain, sqlite3_column_int64 (stmt, 1));
        g_ptr_array_add (stanzas, stanza);
      }
  }
  if (last == 0)
    return g_steal_pointer (&stanzas);

  {
    g_autoptr(sqlite3_stmt) stmt = get_write_stmt (self, STMT_OFFLINE_DELETE);

    if (stmt == NULL)
      {
        g_ptr_array_set_size (stanzas, 0);
        return g_steal_pointer (&stanzas);
      }
    sqlite3_bind_int64 (stmt, 1, account);
    sqlite3_bind_int64 (stmt, 2, last);
    if (fits_pointer (account))
      g_hash_table_remove (self->offline_counts, GSIZE_TO_POINTER ((gsize) account));
    if (step_done (stmt) != SQLITE_DONE)
      {
        /* Keep them stored rather than deliver them twice. */
        g_warning ("Cannot delete delivered offline messages: %s", sqlite3_errmsg (self->db));
        g_ptr_array_set_size (stanzas, 0);
      }
  }
  return g_steal_pointer (&stanzas);
}

guint
srv_storage_count_offline (SrvStorage *self,
                           const char *user)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, 0);

  account = user_account (self, user);
  if (account == 0)
    return 0;
  stmt = get_stmt (self, STMT_OFFLINE_COUNT);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, account);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return (guint) sqlite3_column_int64 (stmt, 0);
}

/* --- archive --------------------------------------------------------- */

void
srv_archived_message_free (SrvArchivedMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->id);
  g_clear_pointer (&message->stanza, xmpp_element_unref);
  g_free (message);
}

/* Archive ids: the row id through a keyed permutation of 64-bit values
 * (xor with the key, multiply by an odd constant, xorshift: each step is
 * invertible), written as 11 characters of unpadded base64url.  Opaque to
 * clients, unique, and decoded without an index. */
#define ARCHIVE_MULTIPLIER G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)
#define ARCHIVE_ID_LENGTH  11

static const char base64url[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
encode_archive_id (SrvStorage *self,
                   gint64      row)
{
  guint64 x = ((guint64) row ^ self->archive_key) * ARCHIVE_MULTIPLIER;
  char *id = g_new (char, ARCHIVE_ID_LENGTH + 1);

  x ^= x >> 29;
  /* 11 digits of 6 bits, most significant first (the top digit holds 4). */
  for (int i = ARCHIVE_ID_LENGTH - 1; i >= 0; i--)
    {
      id[i] = base64url[x & 63];
      x >>= 6;
    }
  id[ARCHIVE_ID_LENGTH] = '\0';
  return id;
}

/* The row an id names, or 0 when it is not one of ours. */
static gint64
decode_archive_id (SrvStorage *self,
                   const char *id)
{
  guint64 x = 0, inverse = ARCHIVE_MULTIPLIER;

  if (id == NULL || strlen (id) != ARCHIVE_ID_LENGTH)
    return 0;
  for (guint i = 0; i < ARCHIVE_ID_LENGTH; i++)
    {
      const char *digit = strchr (base64url, id[i]);

      if (id[i] == '\0' || digit == NULL)
        return 0;
      if (i == 0 && digit - base64url > 15)
        return 0;             /* more than 64 bits */
      x = (x << 6) | (guint64) (digit - base64url);
    }
  /* Undo the xorshift (29 bits at a time covers 64), the multiplication
   * (Newton's iteration gives the inverse mod 2^64) and the xor. */
  x ^= (x >> 29) ^ (x >> 58);
  for (guint i = 0; i < 5; i++)
    inverse *= 2 - ARCHIVE_MULTIPLIER * inverse;
  x = (x * inverse) ^ self->archive_key;
  return x > 0 && x <= G_MAXINT64 ? (gint64) x : 0;
}

char *
srv_storage_archive (SrvStorage   *self,
                     const char   *user,
                     const char   *with,
                     gboolean      outgoing,
                     XmppElement  *stanza,
                     GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *text = NULL;
  gint64 account, stamp;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (with != NULL, NULL);
  g_return_val_if_fail (stanza != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    {
      no_account_error (error, user);
      return NULL;
    }
  stmt = get_write_stmt (self, STMT_ARCHIVE_ADD);
  if (stmt == NULL)
    {
      set_db_error (self, error, SQLITE_ERROR, "Cannot archive the message");
      return NULL;
    }
  text = stanza_to_text (stanza);
  /* Time order must stay arrival order (a client pages on from the
   * newest id it has): a clock stepping back must not put a new message
   * before the ones already handed out. */
  stamp = MAX (g_get_real_time (), self->last_archive_stamp + 1);
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, with, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, outgoing ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, stamp);
  sqlite3_bind_text (stmt, 5, text, -1, SQLITE_STATIC);
  rc = step_done (stmt);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, rc, "Cannot archive the message");
      return NULL;
    }
  self->last_archive_stamp = stamp;
  return encode_archive_id (self, sqlite3_last_insert_rowid (self->db));
}

/* A position in an archive's time order: (stamp, row id). */
typedef struct
{
  gint64 stamp;
  gint64 row;
} ArchiveKey;

static const ArchiveKey key_min = { G_MININT64, G_MININT64 };
static const ArchiveKey key_max = { G_MAXINT64, G_MAXINT64 };

static gboolean
key_less (ArchiveKey a,
          ArchiveKey b)
{
  return a.stamp < b.stamp || (a.stamp == b.stamp && a.row < b.row);
}

static ArchiveKey
key_larger (ArchiveKey a,
            ArchiveKey b)
{
  return key_less (a, b) ? b : a;
}

static ArchiveKey
key_smaller (ArchiveKey a,
             ArchiveKey b)
{
  return key_less (a, b) ? a : b;
}

static gboolean
key_equal (ArchiveKey a,
           ArchiveKey b)
{
  return a.stamp == b.stamp && a.row == b.row;
}

/* Where archive id @id of @account is; FALSE (with NOT_FOUND) when no
 * message of that account has it. */
static gboolean
find_archive_key (SrvStorage  *self,
                  gint64       account,
                  const char  *id,
                  ArchiveKey  *key,
                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 row = decode_archive_id (self, id);

  if (row != 0 && (stmt = get_stmt (self, STMT_ARCHIVE_FIND)) != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, account);
      sqlite3_bind_int64 (stmt, 2, row);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          key->stamp = sqlite3_column_int64 (stmt, 0);
          key->row = row;
          return TRUE;
        }
    }
  g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND,
               "No archived message has the id “%s”", id);
  return FALSE;
}

static void
bind_range (sqlite3_stmt *stmt,
            gint64        account,
            const char   *with,
            ArchiveKey    lower,
            ArchiveKey    upper)
{
  sqlite3_bind_int64 (stmt, 1, account);
  if (with != NULL)
    sqlite3_bind_text (stmt, 2, with, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, lower.stamp);
  sqlite3_bind_int64 (stmt, 4, lower.row);
  sqlite3_bind_int64 (stmt, 5, upper.stamp);
  sqlite3_bind_int64 (stmt, 6, upper.row);
}

/* Messages strictly between @lower and @upper, counted on the index. */
static gboolean
count_range (SrvStorage  *self,
             gint64       account,
             const char  *with,
             ArchiveKey   lower,
             ArchiveKey   upper,
             guint       *count,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  *count = 0;
  if (!key_less (lower, upper))
    return TRUE;
  stmt = get_stmt (self, with != NULL ? STMT_ARCHIVE_WITH_COUNT : STMT_ARCHIVE_COUNT);
  if (stmt == NULL)
    {
      set_db_error (self, error, SQLITE_ERROR, "Cannot count the archive");
      return FALSE;
    }
  bind_range (stmt, account, with, lower, upper);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_db_error (self, error, rc, "Cannot count the archive");
      return FALSE;
    }
  *count = (guint) MIN (sqlite3_column_int64 (stmt, 0), (gint64) G_MAXUINT);
  return TRUE;
}

/* The exclusive bounds of @filter in time order. */
static gboolean
filter_bounds (SrvStorage             *self,
               gint64                  account,
               const SrvArchiveFilter *filter,
               ArchiveKey             *lower,
               ArchiveKey             *upper,
               GError                **error)
{
  ArchiveKey key;

  *lower = key_min;
  *upper = key_max;
  if (filter == NULL)
    return TRUE;
  /* stamp >= start is (stamp, id) > (start - 1, max); stamp <= end is
   * (stamp, id) < (end + 1, min). */
  if (filter->start > 0)
    *lower = (ArchiveKey) { filter->start - 1, G_MAXINT64 };
  if (filter->end > 0 && filter->end < G_MAXINT64)
    *upper = (ArchiveKey) { filter->end + 1, G_MININT64 };
  if (filter->after_id != NULL)
    {
      if (!find_archive_key (self, account, filter->after_id, &key, error))
        return FALSE;
      *lower = key_larger (*lower, key);
    }
  if (filter->before_id != NULL)
    {
      if (!find_archive_key (self, account, filter->before_id, &key, error))
        return FALSE;
      *upper = key_smaller (*upper, key);
    }
  return TRUE;
}

void
srv_archive_page_clear (SrvArchivePage *page)
{
  g_clear_pointer (&page->messages, g_ptr_array_unref);
}

static gboolean
page_archive (SrvStorage             *self,
              const char             *user,
              const SrvArchiveFilter *filter,
              const char             *page_after,
              const char             *page_before,
              guint                   max,
              gboolean                counts,
              SrvArchivePage         *page,
              GError                **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_archived_message_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *with = filter != NULL ? filter->with : NULL;
  ArchiveKey lower, upper, page_lower, page_upper, key;
  ArchiveKey first = key_max, last = key_min;
  gint64 account;
  gboolean backwards;
  guint rows = 0, before = 0, after = 0;

  page->messages = NULL;
  page->complete = TRUE;
  page->count = 0;
  page->first_index = 0;

  account = user_account (self, user);
  if (account == 0)
    {
      no_account_error (error, user);
      return FALSE;
    }
  if (!filter_bounds (self, account, filter, &lower, &upper, error))
    return FALSE;

  page_lower = lower;
  page_upper = upper;
  if (page_after != NULL && *page_after != '\0')
    {
      if (!find_archive_key (self, account, page_after, &key, error))
        return FALSE;
      page_lower = key_larger (page_lower, key);
    }
  if (page_before != NULL && *page_before != '\0')
    {
      if (!find_archive_key (self, account, page_before, &key, error))
        return FALSE;
      page_upper = key_smaller (page_upper, key);
    }
  /* RSM: <before/> (even empty) pages back from the end, unless an
   * <after/> fixes where the page starts. */
  backwards = page_before != NULL && (page_after == NULL || *page_after == '\0');

  if (key_less (page_lower, page_upper))
    {
      if (with != NULL)
        stmt = get_stmt (self, backwards ? STMT_ARCHIVE_WITH_DESC : STMT_ARCHIVE_WITH_ASC);
      else
        stmt = get_stmt (self, backwards ? STMT_ARCHIVE_DESC : STMT_ARCHIVE_ASC);
      if (stmt == NULL)
        {
          set_db_error (self, error, SQLITE_ERROR, "Cannot query the archive");
          return FALSE;
        }
      bind_range (stmt, account, with, page_lower, page_upper);
      /* One more than asked tells whether the page is the last one. */
      sqlite3_bind_int64 (stmt, 7, (gint64) max + 1);

      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          SrvArchivedMessage *message;
          XmppElement *stanza;

          if (++rows > max)
            break;
          key.row = sqlite3_column_int64 (stmt, 0);
          key.stamp = sqlite3_column_int64 (stmt, 1);
          first = key_smaller (first, key);
          last = key_larger (last, key);
          stanza = stanza_from_text ((const char *) sqlite3_column_text (stmt, 2));
          if (stanza == NULL)
            continue;
          message = g_new0 (SrvArchivedMessage, 1);
          message->id = encode_archive_id (self, key.row);
          message->timestamp = key.stamp;
          message->stanza = stanza;
          g_ptr_array_add (messages, message);
        }
    }
  page->complete = rows <= max;

  if (backwards)
    {
      /* Fetched newest first: hand them out in chronological order. */
      for (guint i = 0, j = messages->len; i + 1 < j; i++, j--)
        {
          gpointer tmp = messages->pdata[i];

          messages->pdata[i] = messages->pdata[j - 1];
          messages->pdata[j - 1] = tmp;
        }
    }

  if (counts)
    {
      guint in_page = MIN (rows, max);

      if (in_page == 0)
        {
          if (!count_range (self, account, with, lower, upper, &page->count, error))
            return FALSE;
        }
      else
        {
          /* Around the page; a complete page in one direction leaves
           * nothing to count on that side. */
          if (!(backwards && page->complete && key_equal (page_lower, lower)) &&
              !count_range (self, account, with, lower, first, &before, error))
            return FALSE;
          if (!(!backwards && page->complete && key_equal (page_upper, upper)) &&
              !count_range (self, account, with, last, upper, &after, error))
            return FALSE;
          page->count = before + in_page + after;
          page->first_index = before;
        }
    }
  page->messages = g_steal_pointer (&messages);
  return TRUE;
}

gboolean
srv_storage_page_archive (SrvStorage             *self,
                          const char             *user,
                          const SrvArchiveFilter *filter,
                          const char             *page_after,
                          const char             *page_before,
                          guint                   max,
                          SrvArchivePage         *page,
                          GError                **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (page != NULL, FALSE);

  return page_archive (self, user, filter, page_after, page_before, max, TRUE, page, error);
}

GPtrArray *
srv_storage_query_archive (SrvStorage  *self,
                           const char  *user,
                           const char  *with,
                           gint64       start,
                           gint64       end,
                           const char  *after_id,
                           const char  *before_id,
                           guint        max,
                           gboolean    *complete,
                           GError     **error)
{
  SrvArchiveFilter filter = { with, start, end, NULL, NULL };
  g_auto(SrvArchivePage) page = { NULL, };

  g_return_val_if_fail (self != NULL, NULL);

  if (complete != NULL)
    *complete = TRUE;
  if (!page_archive (self, user, &filter, after_id, before_id, max, FALSE, &page, error))
    return NULL;
  if (complete != NULL)
    *complete = page.complete;
  return g_steal_pointer (&page.messages);
}

SrvArchivedMessage *
srv_storage_get_archived (SrvStorage             *self,
                          const char             *user,
                          const char             *id,
                          const SrvArchiveFilter *filter,
                          GError                **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  SrvArchivedMessage *message;
  XmppElement *stanza;
  gint64 account, row, stamp;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  account = user_account (self, user);
  if (account == 0)
    {
      no_account_error (error, user);
      return NULL;
    }
  row = decode_archive_id (self, id);
  if (row != 0)
    stmt = get_stmt (self, STMT_ARCHIVE_GET);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, account);
      sqlite3_bind_int64 (stmt, 2, row);
    }
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_set_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND,
                   "No archived message has the id “%s”", id);
      return NULL;
    }
  stamp = sqlite3_column_int64 (stmt, 0);
  if (filter != NULL &&
      ((filter->with != NULL && g_strcmp0 (filter->with, (const char *) sqlite3_column_text (stmt, 2)) != 0) ||
       (filter->start > 0 && stamp < filter->start) ||
       (filter->end > 0 && stamp > filter->end)))
    return NULL;
  stanza = stanza_from_text ((const char *) sqlite3_column_text (stmt, 1));
  if (stanza == NULL)
    return NULL;
  message = g_new0 (SrvArchivedMessage, 1);
  message->id = g_strdup (id);
  message->timestamp = stamp;
  message->stanza = stanza;
  return message;
}

/* --- blocking -------------------------------------------------------- */

GStrv
srv_storage_get_blocklist (SrvStorage *self,
                           const char *user)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, NULL);

  account = user_account (self, user);
  if (account != 0)
    stmt = get_stmt (self, STMT_BLOCK_LIST);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, account);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
    }
  return g_strv_builder_end (builder);
}

/* The cached set of JIDs @account blocks (loaded on first use). */
static GHashTable *
blocklist_for (SrvStorage *self,
               gint64      account)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GHashTable *set = g_hash_table_lookup (self->blocklists, &account);
  gint64 *key;

  if (set != NULL)
    return set;
  set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stmt = get_stmt (self, STMT_BLOCK_LIST);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, account);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_hash_table_add (set, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
    }
  key = g_new (gint64, 1);
  *key = account;
  g_hash_table_insert (self->blocklists, key, set);
  return set;
}

gboolean
srv_storage_block (SrvStorage *self,
                   const char *user,
                   const char *jid)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GHashTable *cached;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (jid != NULL, FALSE);

  account = user_account (self, user);
  if (account == 0 || (stmt = get_write_stmt (self, STMT_BLOCK_ADD)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, jid, -1, SQLITE_STATIC);
  if (step_done (stmt) != SQLITE_DONE)
    return FALSE;
  cached = g_hash_table_lookup (self->blocklists, &account);
  if (cached != NULL)
    g_hash_table_add (cached, g_strdup (jid));
  return TRUE;
}

gboolean
srv_storage_unblock (SrvStorage *self,
                     const char *user,
                     const char *jid)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GHashTable *cached;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);

  account = user_account (self, user);
  if (account == 0)
    return FALSE;
  stmt = get_write_stmt (self, jid != NULL ? STMT_BLOCK_REMOVE : STMT_BLOCK_CLEAR);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account);
  if (jid != NULL)
    sqlite3_bind_text (stmt, 2, jid, -1, SQLITE_STATIC);
  if (step_done (stmt) != SQLITE_DONE)
    return FALSE;
  cached = g_hash_table_lookup (self->blocklists, &account);
  if (cached != NULL && jid != NULL)
    g_hash_table_remove (cached, jid);
  else if (cached != NULL)
    g_hash_table_remove_all (cached);
  return TRUE;
}

/* XEP-0191 §3.3 matching: an item blocks @jid when it equals its full
 * JID, its bare JID, its domain, or domain/resource.  Answered from
 * memory: the router asks for every stanza. */
gboolean
srv_storage_is_blocked (SrvStorage *self,
                        const char *user,
                        const char *jid)
{
  g_autofree char *bare = NULL;
  g_autofree char *domain_resource = NULL;
  GHashTable *set;
  const char *slash, *at, *host;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);

  if (jid == NULL)
    return FALSE;
  account = user_account (self, user);
  if (account == 0)
    return FALSE;
  set = blocklist_for (self, account);
  if (g_hash_table_size (set) == 0)
    return FALSE;
  if (g_hash_table_contains (set, jid))
    return TRUE;

  slash = strchr (jid, '/');
  bare = slash != NULL ? g_strndup (jid, slash - jid) : g_strdup (jid);
  if (slash != NULL && g_hash_table_contains (set, bare))
    return TRUE;
  at = strchr (bare, '@');
  if (at == NULL)
    return FALSE;           /* a domain JID: already checked whole */
  host = at + 1;
  if (g_hash_table_contains (set, host))
    return TRUE;
  if (slash != NULL)
    {
      domain_resource = g_strconcat (host, slash, NULL);
      if (g_hash_table_contains (set, domain_resource))
        return TRUE;
    }
  return FALSE;
}

/* --- vCards ---------------------------------------------------------- */

gboolean
srv_storage_set_vcard (SrvStorage  *self,
                       const char  *user,
                       XmppElement *vcard)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *text = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (vcard != NULL, FALSE);

  account = user_account (self, user);
  if (account == 0 || (stmt = get_write_stmt (self, STMT_VCARD_SET)) == NULL)
    return FALSE;
  text = stanza_to_text (vcard);
  sqlite3_bind_int64 (stmt, 1, account);
  sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
  return step_done (stmt) == SQLITE_DONE;
}

XmppElement *
srv_storage_get_vcard (SrvStorage *self,
                       const char *user)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 account;

  g_return_val_if_fail (self != NULL, NULL);

  account = user_account (self, user);
  if (account == 0 || (stmt = get_stmt (self, STMT_VCARD_GET)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, account);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return stanza_from_text ((const char *) sqlite3_column_text (stmt, 0));
}
