/* messenger-store.c: the store's life, its writer thread and its readers
 *
 *   caller thread(s)                 writer thread
 *   ────────────────                 ─────────────
 *   *_async (write) ──push──▶ queue ──pop──▶ BEGIN IMMEDIATE
 *                                           write 1
 *                                           write 2        (up to MAX_BATCH_WRITES,
 *                                           …               or MAX_BATCH_USEC)
 *                                           COMMIT
 *   callback ◀── source on the task's ─────── appended to the context's
 *               main context, ≤ 64 a turn     completion queue
 *
 *   sync reads ──▶ borrow a read-only connection from the pool (WAL: readers
 *                  never wait for the writer) ──▶ give it back
 *   *_async reads ──▶ the same, in a GTask worker thread
 *
 * A write that fails fails alone: the transaction is rolled back and the
 * batch's other writes run again in a new one (roll_back_and_replay).  Not a
 * savepoint per write: SQLite would copy every page a write touches into a
 * sub-journal, and truncating its in-memory form walks it from the start at
 * every statement, which made large writes quadratic (it was most of the
 * time of an archive page).
 *
 * A task completes only after COMMIT returned, so "completed" means "on disk
 * as far as SQLite's synchronous=NORMAL promises": it survives the process
 * being killed (tested), and a power cut can lose the last transactions but
 * never corrupts the file.
 *
 * Completions are posted to a source rather than through
 * g_main_context_invoke(), which would run them on the writer thread when the
 * caller's context happens to be free; and so the writer never drops the last
 * reference to a task, and hence never to the store, which would have it join
 * itself.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "messenger-store-private.h"

/* A batch ends after this many writes, or when this much time has passed
 * since it began, whichever is first: long enough to amortise the commit,
 * short enough that a completion is never late by more than a few ms. */
#define MAX_BATCH_WRITES 1024
#define MAX_BATCH_USEC   (100 * G_TIME_SPAN_MILLISECOND)

/* When the writer has been idle this long after a burst of archive pages
 * (with the bulk cache), or with more than this in its page cache, it gives
 * the memory back.  Not at once: between two batches of a burst the queue is
 * often empty for a moment, and a cold cache costs a third more per
 * insert. */
#define IDLE_WRITER_CACHE_BYTES (16 * 1024 * 1024)
#define IDLE_WRITER_USEC        G_USEC_PER_SEC

/* The writer thread's nice value, added to the process's. */
#define WRITER_NICE 10

/* Idle read connections kept for reuse; more are opened on demand. */
#define MAX_IDLE_READERS 4

enum
{
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void messenger_store_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerStore, messenger_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      messenger_store_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, NULL))

G_DEFINE_QUARK (messenger-store-error-quark, messenger_store_error)

static void
store_write_free (StoreWrite *write)
{
  if (write->data_free != NULL)
    g_clear_pointer (&write->data, write->data_free);
  if (write->result_free != NULL)
    g_clear_pointer (&write->result, write->result_free);
  g_clear_error (&write->error);
  g_clear_object (&write->task);
  g_free (write);
}

/* Completion, on the main context of the tasks
 *
 * Each main context has one queue of committed writes, in commit order, and
 * at most one source draining it.  The source completes a bounded slice per
 * dispatch (COMPLETE_MAX_WRITES or COMPLETE_MAX_USEC, whichever comes
 * first: each completion runs its caller synchronously, the core and the UI
 * included) and, with more to do, waits COMPLETE_YIELD_USEC so that the
 * sources of lower priority (layout, painting) run between two slices.  A
 * 1,024-write batch completed at once stalled the main loop for seconds.
 * One queue per context keeps the order across batches: a later batch's
 * writes are appended behind the earlier ones, never completed before. */

#define COMPLETE_MAX_WRITES 64
#define COMPLETE_MAX_USEC   (4 * G_TIME_SPAN_MILLISECOND)
#define COMPLETE_YIELD_USEC (1 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  GMainContext *context;   /* owned */
  GSource      *source;    /* borrowed: the source owns the queue */
  GQueue        writes;    /* StoreWrite, owned; under completion_lock */
} CompletionQueue;

static GMutex      completion_lock;
static GHashTable *completion_queues;  /* GMainContext → CompletionQueue, under completion_lock */

static void
completion_queue_free (gpointer data)
{
  CompletionQueue *queue = data;
  GQueue writes = G_QUEUE_INIT;

  g_mutex_lock (&completion_lock);
  if (completion_queues != NULL
      && g_hash_table_lookup (completion_queues, queue->context) == queue)
    g_hash_table_remove (completion_queues, queue->context);
  writes = queue->writes;
  g_queue_init (&queue->writes);
  g_mutex_unlock (&completion_lock);

  /* Only when the context went away with writes still queued. */
  g_queue_clear_full (&writes, (GDestroyNotify) store_write_free);
  g_main_context_unref (queue->context);
  g_free (queue);
}

static gboolean
complete_writes_cb (gpointer data)
{
  CompletionQueue *queue = data;
  gint64 start = g_get_monotonic_time ();
  guint done = 0;

  for (;;)
    {
      StoreWrite *write;

      g_mutex_lock (&completion_lock);
      write = g_queue_pop_head (&queue->writes);
      if (write == NULL)
        {
          /* Drained: later writes get a new queue and source. */
          if (g_hash_table_lookup (completion_queues, queue->context) == queue)
            g_hash_table_remove (completion_queues, queue->context);
          g_mutex_unlock (&completion_lock);
          return G_SOURCE_REMOVE;
        }
      if (done >= COMPLETE_MAX_WRITES || g_get_monotonic_time () - start >= COMPLETE_MAX_USEC)
        {
          /* Enough for this iteration: let the others run, then go on. */
          g_queue_push_head (&queue->writes, write);
          g_source_set_ready_time (queue->source, g_get_monotonic_time () + COMPLETE_YIELD_USEC);
          g_mutex_unlock (&completion_lock);
          return G_SOURCE_CONTINUE;
        }
      g_mutex_unlock (&completion_lock);

      if (write->error != NULL)
        g_task_return_error (write->task, g_steal_pointer (&write->error));
      else
        g_task_return_pointer (write->task,
                               g_steal_pointer (&write->result),
                               write->result_free);
      store_write_free (write);
      done++;
    }
}

static gboolean
completion_source_dispatch (GSource     *source,
                            GSourceFunc  callback,
                            gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs completion_source_funcs = {
  NULL, NULL, completion_source_dispatch, NULL, NULL, NULL,
};

static void
post_completions (GPtrArray *batch)
{
  g_mutex_lock (&completion_lock);
  if (completion_queues == NULL)
    completion_queues = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < batch->len; i++)
    {
      StoreWrite *write = g_ptr_array_index (batch, i);
      GMainContext *context = g_task_get_context (write->task);
      CompletionQueue *queue = g_hash_table_lookup (completion_queues, context);

      if (queue == NULL)
        {
          GSource *source;

          queue = g_new0 (CompletionQueue, 1);
          queue->context = g_main_context_ref (context);
          g_queue_init (&queue->writes);
          source = g_source_new (&completion_source_funcs, sizeof (GSource));
          queue->source = source;
          g_source_set_priority (source, G_PRIORITY_DEFAULT);
          g_source_set_callback (source, complete_writes_cb, queue, completion_queue_free);
          g_source_set_static_name (source, "[messenger-store] write completion");
          g_source_set_ready_time (source, 0);
          g_hash_table_insert (completion_queues, context, queue);
          /* The callback takes the lock before it looks at the queue. */
          g_queue_push_tail (&queue->writes, write);
          g_source_attach (source, context);
          g_source_unref (source);
          continue;
        }
      g_queue_push_tail (&queue->writes, write);
    }
  g_mutex_unlock (&completion_lock);

  /* The queues own the writes now (the batch has no free function). */
  g_ptr_array_set_size (batch, 0);
}

/* The writer thread */

static void
fail_committed_writes (GPtrArray    *batch,
                       const GError *error)
{
  guint i;

  for (i = 0; i < batch->len; i++)
    {
      StoreWrite *write = g_ptr_array_index (batch, i);

      if (write->error == NULL)
        {
          if (write->result_free != NULL)
            g_clear_pointer (&write->result, write->result_free);
          write->result = NULL;
          write->error = g_error_copy (error);
        }
    }
}

static gboolean
begin_batch (MessengerStore  *self,
             GError         **error)
{
  return _messenger_store_connection_exec (self->writer, "BEGIN IMMEDIATE", error);
}

static void
clear_result (StoreWrite *write)
{
  if (write->result_free != NULL)
    g_clear_pointer (&write->result, write->result_free);
  write->result = NULL;
}

/* Runs one write in the open transaction.  Returns FALSE if it failed, in
 * which case the transaction holds its partial changes and must be rolled
 * back. */
static gboolean
run_write (MessengerStore *self,
           StoreWrite     *write)
{
  GCancellable *cancellable = g_task_get_cancellable (write->task);

  /* Cancelling only ever prevents a write that has not run yet: once it ran
   * it will be committed, and the task says so. */
  if (g_cancellable_set_error_if_cancelled (cancellable, &write->error))
    return TRUE;

  if (write->func (self, write, &write->error))
    return TRUE;

  g_assert (write->error != NULL);
  clear_result (write);
  return FALSE;
}

/* A write failed: undo the whole transaction and run the batch's other
 * writes again in a new one.  Writes are functions of the database alone,
 * so the replay gives them the same effect.  Each round fails at least one
 * more write for good, so this ends. */
static void
roll_back_and_replay (MessengerStore *self,
                      GPtrArray      *batch)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gboolean replayed = TRUE;
      guint i;

      /* SQLite may have rolled back already (disk full, I/O error). */
      if (!sqlite3_get_autocommit (self->writer->db))
        sqlite3_exec (self->writer->db, "ROLLBACK", NULL, NULL, NULL);
      _messenger_store_writer_forget_ids (self);

      if (!begin_batch (self, &error))
        {
          fail_committed_writes (batch, error);
          return;
        }

      for (i = 0; i < batch->len && replayed; i++)
        {
          StoreWrite *write = g_ptr_array_index (batch, i);

          if (write->error == NULL)
            {
              clear_result (write);
              replayed = run_write (self, write);
            }
        }

      if (replayed)
        return;
    }
}

static void
add_write (MessengerStore *self,
           StoreWrite     *write,
           GPtrArray      *batch)
{
  g_ptr_array_add (batch, write);
  if (!run_write (self, write))
    roll_back_and_replay (self, batch);
}

static void
commit_batch (MessengerStore *self,
              GPtrArray      *batch)
{
  g_autoptr(GError) error = NULL;

  if (sqlite3_get_autocommit (self->writer->db))
    {
      /* No transaction: a replay could not begin one, and failed the
       * writes (see roll_back_and_replay). */
    }
  else if (!_messenger_store_connection_exec (self->writer, "COMMIT", &error))
    {
      sqlite3_exec (self->writer->db, "ROLLBACK", NULL, NULL, NULL);
      _messenger_store_writer_forget_ids (self);
      fail_committed_writes (batch, error);
    }

  post_completions (batch);
}

/* On the writer thread: the page cache's ceiling for archive pages, or for
 * live messages. */
static void
set_writer_cache (MessengerStore *self,
                  gboolean        bulk)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA cache_size=-%d",
                                          bulk ? _MESSENGER_STORE_BULK_CACHE_KIB : _MESSENGER_STORE_LIVE_CACHE_KIB);
  g_autoptr(GError) error = NULL;

  if (!_messenger_store_connection_exec (self->writer, sql, &error))
    g_warning ("Cannot set the store's cache size: %s", error->message);
  self->bulk_cache = bulk;
}

/* Waits for the next write, trimming the page cache if none comes soon. */
static StoreWrite *
next_write (MessengerStore *self)
{
  int used = 0, highwater = 0;

  sqlite3_db_status (self->writer->db, SQLITE_DBSTATUS_CACHE_USED, &used, &highwater, FALSE);
  if (self->bulk_cache || used > IDLE_WRITER_CACHE_BYTES)
    {
      StoreWrite *write = g_async_queue_timeout_pop (self->queue, IDLE_WRITER_USEC);

      if (write != NULL)
        return write;
      /* Lowering the ceiling frees the pages above it. */
      if (self->bulk_cache)
        set_writer_cache (self, FALSE);
      sqlite3_db_release_memory (self->writer->db);
    }

  return g_async_queue_pop (self->queue);
}

/* On the writer thread: archive pages are coming, let the cache grow. */
void
_messenger_store_writer_use_bulk_cache (MessengerStore *self)
{
  if (!self->bulk_cache)
    set_writer_cache (self, TRUE);
}

static gpointer
writer_thread_func (gpointer data)
{
  MessengerStore *self = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  gboolean stop = FALSE;

#ifdef __linux__
  /* Writing is background work: when the processors are busy, as in a
   * flood of messages, the thread that draws the window goes first.  (On
   * Linux a thread has its own nice value.) */
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), WRITER_NICE) != 0)
    g_debug ("Cannot lower the store writer's priority: %s", g_strerror (errno));
#endif

  while (!stop)
    {
      StoreWrite *write = next_write (self);
      g_autoptr(GError) error = NULL;
      gint64 deadline;

      if (write->func == NULL)
        {
          store_write_free (write);
          break;
        }

      if (!begin_batch (self, &error))
        {
          write->error = g_steal_pointer (&error);
          g_ptr_array_add (batch, write);
          post_completions (batch);
          continue;
        }

      deadline = g_get_monotonic_time () + MAX_BATCH_USEC;
      add_write (self, write, batch);

      while (batch->len < MAX_BATCH_WRITES && g_get_monotonic_time () < deadline)
        {
          write = g_async_queue_try_pop (self->queue);
          if (write == NULL)
            break;
          if (write->func == NULL)
            {
              store_write_free (write);
              stop = TRUE;
              break;
            }
          add_write (self, write, batch);
        }

      commit_batch (self, batch);
    }

  return NULL;
}

void
_messenger_store_queue_write (MessengerStore      *self,
                              StoreWriteFunc       func,
                              gpointer             data,
                              GDestroyNotify       data_free,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data,
                              gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  StoreWrite *write;

  g_task_set_source_tag (task, source_tag);
  /* The result says whether the write was committed, cancelled or not. */
  g_task_set_check_cancellable (task, FALSE);

  write = g_new0 (StoreWrite, 1);
  write->func = func;
  write->data = data;
  write->data_free = data_free;
  write->task = g_steal_pointer (&task);

  g_async_queue_lock (self->queue);
  if (!self->closed)
    {
      g_async_queue_push_unlocked (self->queue, write);
      write = NULL;
    }
  g_async_queue_unlock (self->queue);

  if (write != NULL)
    {
      g_task_return_new_error (write->task, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_CLOSED,
                               "The message store is closed");
      store_write_free (write);
    }
}

gpointer
_messenger_store_write_finish (MessengerStore  *self,
                               GAsyncResult    *result,
                               gpointer         source_tag,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Readers */

StoreConnection *
_messenger_store_acquire_reader (MessengerStore  *self,
                                 GError         **error)
{
  StoreConnection *conn = NULL;

  g_mutex_lock (&self->readers_lock);
  if (self->readers_closed)
    {
      g_mutex_unlock (&self->readers_lock);
      g_set_error_literal (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_CLOSED,
                           "The message store is closed");
      return NULL;
    }
  if (self->idle_readers->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle_readers, self->idle_readers->len - 1);
  g_mutex_unlock (&self->readers_lock);

  if (conn == NULL)
    conn = _messenger_store_connection_open (self->path, TRUE, error);
  return conn;
}

void
_messenger_store_release_reader (MessengerStore  *self,
                                 StoreConnection *conn)
{
  if (conn == NULL)
    return;

  g_mutex_lock (&self->readers_lock);
  if (!self->readers_closed && self->idle_readers->len < MAX_IDLE_READERS)
    {
      g_ptr_array_add (self->idle_readers, conn);
      conn = NULL;
    }
  g_mutex_unlock (&self->readers_lock);

  _messenger_store_connection_free (conn);
}

/* Life */

static gboolean
messenger_store_initable_init (GInitable     *initable,
                               GCancellable  *cancellable,
                               GError       **error)
{
  MessengerStore *self = MESSENGER_STORE (initable);
  g_autofree char *dir = NULL;

  if (self->path == NULL)
    {
      g_set_error_literal (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN,
                           "No database path given");
      return FALSE;
    }

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  self->writer = _messenger_store_connection_open (self->path, FALSE, error);
  if (self->writer == NULL)
    return FALSE;

  if (!_messenger_store_schema_migrate (self->writer, _messenger_store_schema_latest (), error))
    return FALSE;
  self->schema_version = _messenger_store_schema_latest ();

  self->writer_thread = g_thread_try_new ("store-writer", writer_thread_func, self, error);
  if (self->writer_thread == NULL)
    return FALSE;

  g_mutex_lock (&self->readers_lock);
  self->readers_closed = FALSE;
  g_mutex_unlock (&self->readers_lock);

  g_async_queue_lock (self->queue);
  self->closed = FALSE;
  g_async_queue_unlock (self->queue);

  return TRUE;
}

static void
messenger_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = messenger_store_initable_init;
}

static void
messenger_store_dispose (GObject *object)
{
  messenger_store_close (MESSENGER_STORE (object));

  G_OBJECT_CLASS (messenger_store_parent_class)->dispose (object);
}

static void
messenger_store_finalize (GObject *object)
{
  MessengerStore *self = MESSENGER_STORE (object);

  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->conversation_ids, g_hash_table_unref);
  g_clear_pointer (&self->idle_readers, g_ptr_array_unref);
  g_mutex_clear (&self->readers_lock);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (messenger_store_parent_class)->finalize (object);
}

static void
messenger_store_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MessengerStore *self = MESSENGER_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_store_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MessengerStore *self = MESSENGER_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_store_class_init (MessengerStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = messenger_store_dispose;
  object_class->finalize = messenger_store_finalize;
  object_class->get_property = messenger_store_get_property;
  object_class->set_property = messenger_store_set_property;

  /**
   * MessengerStore:path:
   *
   * The database file.  Its folder is created if needed.
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_store_init (MessengerStore *self)
{
  self->queue = g_async_queue_new ();
  self->conversation_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->idle_readers = g_ptr_array_new_with_free_func ((GDestroyNotify) _messenger_store_connection_free);
  g_mutex_init (&self->readers_lock);

  /* Closed until initialised. */
  self->closed = TRUE;
  self->readers_closed = TRUE;
}

/**
 * messenger_store_open:
 * @path: the database file
 * @error: return location for a #GError
 *
 * Opens (creating it and its folder if needed) and migrates the database.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
MessengerStore *
messenger_store_open (const char  *path,
                      GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_initable_new (MESSENGER_TYPE_STORE, NULL, error, "path", path, NULL);
}

void
messenger_store_open_async (const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (path != NULL);

  g_async_initable_new_async (MESSENGER_TYPE_STORE, G_PRIORITY_DEFAULT, cancellable,
                              callback, user_data, "path", path, NULL);
}

MessengerStore *
messenger_store_open_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_autoptr(GObject) source = g_async_result_get_source_object (result);
  GObject *object;

  object = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);
  return object != NULL ? MESSENGER_STORE (object) : NULL;
}

/**
 * messenger_store_close:
 * @self: a #MessengerStore
 *
 * Waits for the queued writes to be committed, then closes the database.
 * Later calls fail with %MESSENGER_STORE_ERROR_CLOSED.  Closing twice is
 * harmless; disposing the store closes it.
 */
void
messenger_store_close (MessengerStore *self)
{
  gboolean was_open;

  g_return_if_fail (MESSENGER_IS_STORE (self));

  g_async_queue_lock (self->queue);
  was_open = !self->closed;
  if (was_open)
    {
      self->closed = TRUE;
      /* The stop marker queues behind every write already queued. */
      g_async_queue_push_unlocked (self->queue, g_new0 (StoreWrite, 1));
    }
  g_async_queue_unlock (self->queue);

  if (self->writer_thread != NULL)
    {
      g_assert (g_thread_self () != self->writer_thread);
      g_thread_join (g_steal_pointer (&self->writer_thread));
    }
  g_clear_pointer (&self->writer, _messenger_store_connection_free);

  g_mutex_lock (&self->readers_lock);
  self->readers_closed = TRUE;
  g_ptr_array_set_size (self->idle_readers, 0);
  g_mutex_unlock (&self->readers_lock);
}

const char *
messenger_store_get_path (MessengerStore *self)
{
  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  return self->path;
}

guint
messenger_store_get_schema_version (MessengerStore *self)
{
  g_return_val_if_fail (MESSENGER_IS_STORE (self), 0);

  return self->schema_version;
}

char *
messenger_store_get_journal_mode (MessengerStore *self)
{
  StoreConnection *conn;
  char *mode = NULL;

  g_return_val_if_fail (MESSENGER_IS_STORE (self), NULL);

  conn = _messenger_store_acquire_reader (self, NULL);
  if (conn == NULL)
    return NULL;

  {
    g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (conn, "PRAGMA journal_mode", NULL);

    if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
      mode = _messenger_store_column_text (stmt, 0);
  }

  _messenger_store_release_reader (self, conn);
  return mode;
}

/* Flushing and checking: writes that write nothing */

static gboolean
flush_write (MessengerStore  *self,
             StoreWrite      *write,
             GError         **error)
{
  return TRUE;
}

void
messenger_store_flush_async (MessengerStore      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));

  _messenger_store_queue_write (self, flush_write, NULL, NULL, cancellable, callback, user_data,
                                messenger_store_flush_async);
}

gboolean
messenger_store_flush_finish (MessengerStore  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  GError *local_error = NULL;

  _messenger_store_write_finish (self, result, messenger_store_flush_async, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static const char SQL_INTEGRITY_CHECK[] = "PRAGMA integrity_check";
static const char SQL_FTS_INTEGRITY_CHECK[] =
  "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 0)";

static gboolean
check_integrity_write (MessengerStore  *self,
                       StoreWrite      *write,
                       GError         **error)
{
  g_autoptr(GString) report = g_string_new (NULL);
  int rc;

  {
    g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer,
                                                                           SQL_INTEGRITY_CHECK,
                                                                           error);

    if (stmt == NULL)
      return FALSE;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        const char *line = (const char *) sqlite3_column_text (stmt, 0);

        if (g_strcmp0 (line, "ok") != 0)
          g_string_append_printf (report, "%s%s", report->len > 0 ? "; " : "", line);
      }
    if (rc != SQLITE_DONE)
      {
        _messenger_store_set_error (error, self->writer->db, rc, "Cannot check the database");
        return FALSE;
      }
  }

  if (report->len > 0)
    {
      g_set_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_CORRUPT,
                   "The database is damaged: %s", report->str);
      return FALSE;
    }

  {
    g_autoptr(StoreStatement) stmt = _messenger_store_connection_prepare (self->writer,
                                                                           SQL_FTS_INTEGRITY_CHECK,
                                                                           error);

    if (stmt == NULL)
      return FALSE;
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
      {
        _messenger_store_set_error (error, self->writer->db, rc, "The search index is damaged");
        return FALSE;
      }
  }

  return TRUE;
}

void
messenger_store_check_integrity_async (MessengerStore      *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_STORE (self));

  _messenger_store_queue_write (self, check_integrity_write, NULL, NULL, cancellable,
                                callback, user_data, messenger_store_check_integrity_async);
}

gboolean
messenger_store_check_integrity_finish (MessengerStore  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  GError *local_error = NULL;

  _messenger_store_write_finish (self, result, messenger_store_check_integrity_async, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}
