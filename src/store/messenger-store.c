/* messenger-store.c: opening the SQLite cache */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>

#include "messenger-store.h"

struct _MessengerStore
{
  sqlite3 *db;
  char    *path;
};

G_DEFINE_QUARK (messenger-store-error-quark, messenger_store_error)

static gboolean
exec (MessengerStore  *self,
      const char      *sql,
      GError         **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_QUERY,
                   "%s: %s", sql, message != NULL ? message : sqlite3_errmsg (self->db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

MessengerStore *
messenger_store_open (const char  *path,
                      GError     **error)
{
  g_autoptr(MessengerStore) self = NULL;
  g_autofree char *dir = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN,
                   "Cannot create the folder %s: %s", dir, g_strerror (errno));
      return NULL;
    }

  self = g_new0 (MessengerStore, 1);
  self->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN,
                   "Cannot open %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_busy_timeout (self->db, 5000);
  if (!exec (self, "PRAGMA journal_mode=WAL;"
                   "PRAGMA synchronous=NORMAL;"
                   "PRAGMA foreign_keys=ON;"
                   "PRAGMA secure_delete=ON;", error))
    return NULL;

  return g_steal_pointer (&self);
}

void
messenger_store_close (MessengerStore *self)
{
  if (self == NULL)
    return;

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_free (self);
}

const char *
messenger_store_get_path (MessengerStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

char *
messenger_store_get_journal_mode (MessengerStore *self)
{
  sqlite3_stmt *stmt = NULL;
  char *mode = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode;", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    mode = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return mode;
}
