/* messenger-store-private.h: what the store's files share, and its tests use */
#pragma once

#include <sqlite3.h>

#include "messenger-store.h"

G_BEGIN_DECLS

/* One SQLite connection and its cache of prepared statements.  A connection
 * is used by one thread at a time: the writer thread owns its own, readers
 * borrow one from the store's pool. */
typedef struct
{
  sqlite3    *db;
  GHashTable *statements; /* static SQL text (by address) → sqlite3_stmt */
} StoreConnection;

/* A prepared statement borrowed from a connection's cache.  Declare it with
 * g_autoptr(StoreStatement) so it is reset, and its read snapshot released,
 * when it goes out of scope. */
typedef sqlite3_stmt StoreStatement;

static inline void
_store_statement_reset (StoreStatement *stmt)
{
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreStatement, _store_statement_reset)

/* messenger-store-connection.c */
StoreConnection *_messenger_store_connection_open     (const char       *path,
                                                       gboolean          read_only,
                                                       GError          **error);
void             _messenger_store_connection_free     (StoreConnection  *conn);
StoreStatement  *_messenger_store_connection_prepare  (StoreConnection  *conn,
                                                       const char       *sql,
                                                       GError          **error);
gboolean         _messenger_store_connection_exec     (StoreConnection  *conn,
                                                       const char       *sql,
                                                       GError          **error);
gboolean         _messenger_store_step_done           (StoreConnection  *conn,
                                                       StoreStatement   *stmt,
                                                       GError          **error);
void             _messenger_store_set_error           (GError          **error,
                                                       sqlite3          *db,
                                                       int               rc,
                                                       const char       *what);
void             _messenger_store_bind_text           (StoreStatement   *stmt,
                                                       int               index,
                                                       const char       *text);
char            *_messenger_store_column_text         (StoreStatement   *stmt,
                                                       int               column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StoreConnection, _messenger_store_connection_free)

/* messenger-store-schema.c */
guint            _messenger_store_schema_latest       (void);
guint            _messenger_store_schema_get_version  (StoreConnection  *conn,
                                                       GError          **error);
gboolean         _messenger_store_schema_migrate      (StoreConnection  *conn,
                                                       guint             target,
                                                       GError          **error);

/* messenger-store-tokenizer.c */
gboolean         _messenger_store_tokenizer_register  (sqlite3          *db,
                                                       GError          **error);
char            *_messenger_store_build_match_query   (const char       *text);
typedef void   (*StoreTokenFunc)                      (const char       *token,
                                                       gsize             length,
                                                       gboolean          colocated,
                                                       gpointer          user_data);
void             _messenger_store_tokenize            (const char       *text,
                                                       gboolean          query,
                                                       StoreTokenFunc    func,
                                                       gpointer          user_data);

/* The writer's page cache ceilings, in KiB.  Live messages are inserted
 * with a small one: each adds pages to the cache, and a flood of them
 * would otherwise grow the process by about a kilobyte a message.  Archive
 * pages (messenger_store_insert_messages_async()) raise it until the writer
 * is idle again: a catch-up then finds the index pages it updates in memory
 * (at 300,000 messages: 89 → 65 µs of CPU a message, a third less I/O than
 * with 32 MiB). */
#define _MESSENGER_STORE_LIVE_CACHE_KIB 4096
#define _MESSENGER_STORE_BULK_CACHE_KIB 131072

/* The store object, shared by messenger-store.c (life, writer thread,
 * reader pool), messenger-store-write.c and messenger-store-read.c. */
struct _MessengerStore
{
  GObject          parent_instance;

  char            *path;
  guint            schema_version;

  /* The writer.  Once the thread runs, the connection and the cache belong
   * to it alone. */
  GThread         *writer_thread;
  GAsyncQueue     *queue;            /* of StoreWrite */
  StoreConnection *writer;
  GHashTable      *conversation_ids; /* "account peer" → conversations.id */
  gboolean         bulk_cache;       /* the cache is at its bulk ceiling */
  gboolean         closed;           /* under the queue's lock */

  /* Readers: idle read-only connections, any thread may borrow one. */
  GMutex           readers_lock;
  GPtrArray       *idle_readers;
  gboolean         readers_closed;   /* under readers_lock */
};

/* One queued write.  func runs on the writer thread inside the batch's
 * transaction; it sets result (or fails, and the batch is rolled back and
 * replayed without it), and the task completes on its own main context only
 * after the batch is committed. */
typedef struct _StoreWrite StoreWrite;
typedef gboolean (*StoreWriteFunc) (MessengerStore  *self,
                                    StoreWrite      *write,
                                    GError         **error);

struct _StoreWrite
{
  StoreWriteFunc  func;        /* NULL: stop the writer */
  gpointer        data;
  GDestroyNotify  data_free;
  GTask          *task;
  gpointer        result;
  GDestroyNotify  result_free;
  GError         *error;
};

/* messenger-store.c */
void             _messenger_store_writer_use_bulk_cache (MessengerStore *self);
void             _messenger_store_queue_write         (MessengerStore      *self,
                                                       StoreWriteFunc       func,
                                                       gpointer             data,
                                                       GDestroyNotify       data_free,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data,
                                                       gpointer             source_tag);
gpointer         _messenger_store_write_finish        (MessengerStore      *self,
                                                       GAsyncResult        *result,
                                                       gpointer             source_tag,
                                                       GError             **error);
StoreConnection *_messenger_store_acquire_reader      (MessengerStore      *self,
                                                       GError             **error);
void             _messenger_store_release_reader      (MessengerStore      *self,
                                                       StoreConnection     *conn);

/* messenger-store-write.c, on the writer thread */
void             _messenger_store_writer_forget_ids   (MessengerStore      *self);
gboolean         _messenger_store_check_integrity     (MessengerStore      *self,
                                                       StoreWrite          *write,
                                                       GError             **error);

G_END_DECLS
