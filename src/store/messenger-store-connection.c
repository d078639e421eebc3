/* messenger-store-connection.c: one configured SQLite connection
 *
 * Every connection gets the same settings and the search tokenizer, which
 * must be registered on any connection that writes messages (the triggers
 * feed the full-text index) or searches them.
 */
#include "config.h"

#include "messenger-store-private.h"

/* Per connection page cache ceilings, in KiB (SQLite's negative
 * cache_size).  The writer's grows to _MESSENGER_STORE_BULK_CACHE_KIB for
 * archive pages and comes back to this when idle (messenger-store.c). */
#define WRITER_CACHE_KIB _MESSENGER_STORE_LIVE_CACHE_KIB
#define READER_CACHE_KIB 8192

/* Checkpoint the WAL after this many pages rather than SQLite's 1,000: a
 * batch of archive pages writes thousands, so every commit checkpointed, and
 * pages changed by consecutive transactions were copied each time. */
#define WRITER_AUTOCHECKPOINT_PAGES 8000

void
_messenger_store_set_error (GError     **error,
                            sqlite3     *db,
                            int          rc,
                            const char  *what)
{
  MessengerStoreError code;
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc)
    {
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      code = MESSENGER_STORE_ERROR_NOT_FOUND;
      g_set_error (error, MESSENGER_STORE_ERROR, code, "%s: %s", what,
                   "it refers to an account or conversation that does not exist");
      return;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      code = MESSENGER_STORE_ERROR_INVALID;
      g_set_error (error, MESSENGER_STORE_ERROR, code, "%s: %s", what, detail);
      return;
    default:
      break;
    }

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = MESSENGER_STORE_ERROR_CORRUPT;
      break;
    case SQLITE_FULL:
      code = MESSENGER_STORE_ERROR_FULL;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      code = MESSENGER_STORE_ERROR_OPEN;
      break;
    case SQLITE_CONSTRAINT:
      code = MESSENGER_STORE_ERROR_EXISTS;
      break;
    default:
      code = MESSENGER_STORE_ERROR_QUERY;
      break;
    }

  g_set_error (error, MESSENGER_STORE_ERROR, code, "%s: %s", what, detail);
}

static void
statement_finalize (gpointer data)
{
  sqlite3_finalize (data);
}

StoreConnection *
_messenger_store_connection_open (const char  *path,
                                  gboolean     read_only,
                                  GError     **error)
{
  g_autoptr(StoreConnection) conn = g_new0 (StoreConnection, 1);
  g_autofree char *pragmas = NULL;
  int flags = SQLITE_OPEN_NOMUTEX;
  int rc;

  /* The writer creates the file; readers never do (a reader opened on a
   * missing file would otherwise create an empty database). */
  flags |= read_only ? SQLITE_OPEN_READWRITE : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);

  conn->statements = g_hash_table_new_full (NULL, NULL, NULL, statement_finalize);
  rc = sqlite3_open_v2 (path, &conn->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN,
                   "Cannot open %s: %s", path,
                   conn->db != NULL ? sqlite3_errmsg (conn->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_extended_result_codes (conn->db, TRUE);
  sqlite3_busy_timeout (conn->db, 5000);

  /* journal_mode=WAL is persistent in the file: the writer, which opens
   * first, sets it.  temp_store=MEMORY keeps statement journals (copies of
   * the pages a statement changes, should it fail) in memory: in a
   * temporary file they were most of the I/O of an insert.  query_only
   * makes "one writer" a property of the code, not a promise. */
  pragmas = g_strdup_printf ("%s"
                             "PRAGMA wal_autocheckpoint=%d;"
                             "PRAGMA synchronous=NORMAL;"
                             "PRAGMA foreign_keys=ON;"
                             "PRAGMA secure_delete=ON;"
                             "PRAGMA temp_store=MEMORY;"
                             "PRAGMA journal_size_limit=8388608;"
                             "PRAGMA cache_size=-%d;"
                             "PRAGMA query_only=%d;",
                             read_only ? "" : "PRAGMA journal_mode=WAL;",
                             read_only ? 0 : WRITER_AUTOCHECKPOINT_PAGES,
                             read_only ? READER_CACHE_KIB : WRITER_CACHE_KIB,
                             read_only ? 1 : 0);
  if (!_messenger_store_connection_exec (conn, pragmas, error))
    return NULL;

  if (!_messenger_store_tokenizer_register (conn->db, error))
    return NULL;

  return g_steal_pointer (&conn);
}

void
_messenger_store_connection_free (StoreConnection *conn)
{
  if (conn == NULL)
    return;

  g_clear_pointer (&conn->statements, g_hash_table_unref);
  if (conn->db != NULL)
    sqlite3_close_v2 (conn->db);
  g_free (conn);
}

StoreStatement *
_messenger_store_connection_prepare (StoreConnection  *conn,
                                     const char       *sql,
                                     GError          **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = g_hash_table_lookup (conn->statements, sql);
  if (stmt != NULL)
    return stmt;

  rc = sqlite3_prepare_v3 (conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _messenger_store_set_error (error, conn->db, rc, "Cannot prepare a query");
      g_debug ("Cannot prepare: %s", sql);
      return NULL;
    }

  g_hash_table_insert (conn->statements, (gpointer) sql, stmt);
  return stmt;
}

gboolean
_messenger_store_connection_exec (StoreConnection  *conn,
                                  const char       *sql,
                                  GError          **error)
{
  char *message = NULL;
  int rc;

  rc = sqlite3_exec (conn->db, sql, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    {
      g_autofree char *what = g_strdup_printf ("Query failed (%s)",
                                               message != NULL ? message : sqlite3_errstr (rc));

      sqlite3_free (message);
      _messenger_store_set_error (error, conn->db, rc, what);
      return FALSE;
    }
  return TRUE;
}

/* Runs a statement that returns no rows. */
gboolean
_messenger_store_step_done (StoreConnection  *conn,
                            StoreStatement   *stmt,
                            GError          **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _messenger_store_set_error (error, conn->db, rc, "Cannot write");
      sqlite3_reset (stmt);
      return FALSE;
    }
  return TRUE;
}

void
_messenger_store_bind_text (StoreStatement *stmt,
                            int             index,
                            const char     *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
_messenger_store_column_text (StoreStatement *stmt,
                              int             column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}
