/* xmpp-stream.c: one XML stream over a GIOStream
 *
 * Reading: at most one g_input_stream_read_async() is in flight.  Its
 * callback feeds the bytes to the parser, whose callbacks emit the signals;
 * afterwards the next read starts unless a handler paused the stream,
 * closed it, or the stream failed.  While an operation is in flight it
 * holds a reference to the stream, so the owner must close_async() it to
 * end the read loop (dropping the last owner reference is not enough).
 *
 * Writing: a GQueue of GBytes and at most one write_all_async() in flight;
 * stanzas queued behind it go out together in the next one (one TLS record
 * and one system call for many: a receipt for each message of a flood);
 * flush waiters complete when the queue runs empty.
 *
 * Closing: stop emitting, drain the write queue (a timer cancels the
 * writes if the peer does not read), cancel the pending read and wait for
 * its callback, then g_io_stream_close_async().
 */
#include "config.h"

#include <string.h>

#include "xmpp-error.h"
#include "xmpp-stream.h"

#define READ_BUFFER_SIZE      (16 * 1024)
#define CLOSE_WRITE_TIMEOUT_S 3
/* Queued writes are joined up to this size. */
#define WRITE_JOIN_MAX        (32 * 1024)

struct _XmppStream
{
  GObject       parent_instance;

  /* owned references */
  GIOStream    *io_stream;
  XmppParser   *parser;
  char         *content_ns;
  GCancellable *read_cancellable;
  GCancellable *write_cancellable;
  guint8       *read_buffer;
  GQueue        write_queue;       /* GBytes */
  GBytes       *current_write;
  GPtrArray    *flush_tasks;       /* GTask */
  GPtrArray    *close_tasks;       /* GTask */
  guint         close_timeout_id;

  gint64        last_read_time;

  guint         read_pending : 1;
  guint         write_pending : 1;
  guint         paused : 1;
  guint         held : 1;          /* flow control: hold_reading() */
  guint         read_failed : 1;   /* no more reading */
  guint         write_failed : 1;  /* writes are dropped */
  guint         failed_emitted : 1;
  guint         closing : 1;       /* close_async() called: nothing emitted */
  guint         io_closing : 1;
  guint         closed : 1;
};

G_DEFINE_FINAL_TYPE (XmppStream, xmpp_stream, G_TYPE_OBJECT)

enum
{
  SIGNAL_STREAM_OPENED,
  SIGNAL_ELEMENT_RECEIVED,
  SIGNAL_STREAM_CLOSED,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_read      (XmppStream *self);
static void write_next      (XmppStream *self);
static void close_continue  (XmppStream *self);

/* Parser callbacks */

static gboolean
can_emit (XmppStream *self)
{
  return !self->closing && !self->read_failed;
}

static void
parser_stream_open_cb (XmppParser  *parser,
                       XmppElement *header,
                       gpointer     user_data)
{
  XmppStream *self = user_data;

  if (can_emit (self))
    g_signal_emit (self, signals[SIGNAL_STREAM_OPENED], 0, header);
}

static void
parser_element_cb (XmppParser  *parser,
                   XmppElement *element,
                   gpointer     user_data)
{
  XmppStream *self = user_data;

  if (can_emit (self))
    g_signal_emit (self, signals[SIGNAL_ELEMENT_RECEIVED], 0, element);
}

static void
parser_stream_close_cb (XmppParser *parser,
                        gpointer    user_data)
{
  XmppStream *self = user_data;

  if (!can_emit (self))
    return;

  /* Nothing may follow the closing tag. */
  self->paused = TRUE;
  g_signal_emit (self, signals[SIGNAL_STREAM_CLOSED], 0);
}

static const XmppParserCallbacks parser_callbacks = {
  parser_stream_open_cb,
  parser_element_cb,
  parser_stream_close_cb,
};

/* Failures */

static void
complete_flush_tasks (XmppStream   *self,
                      const GError *error)
{
  g_autoptr(GPtrArray) tasks = NULL;

  if (self->flush_tasks->len == 0)
    return;

  tasks = g_steal_pointer (&self->flush_tasks);
  self->flush_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
emit_failed (XmppStream   *self,
             const GError *error)
{
  if (self->failed_emitted || self->closing)
    return;

  self->failed_emitted = TRUE;
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
}

static void
fail_read (XmppStream   *self,
           const GError *error)
{
  g_autoptr(XmppStream) hold = g_object_ref (self);

  self->read_failed = TRUE;
  emit_failed (self, error);
}

static void
fail_write (XmppStream   *self,
            const GError *error)
{
  g_autoptr(XmppStream) hold = g_object_ref (self);

  self->write_failed = TRUE;
  g_queue_clear_full (&self->write_queue, (GDestroyNotify) g_bytes_unref);
  complete_flush_tasks (self, error);

  /* A stream that cannot be written is dead: stop reading as well. */
  self->read_failed = TRUE;
  if (self->read_pending)
    g_cancellable_cancel (self->read_cancellable);

  emit_failed (self, error);
}

/* Reading */

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(XmppStream) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  self->read_pending = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (self->closing)
    {
      close_continue (self);
      return;
    }
  if (self->read_failed)
    return;

  if (n < 0)
    {
      fail_read (self, error);
      return;
    }
  if (n == 0)
    {
      g_autoptr(GError) eof = g_error_new_literal (XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED,
                                                   "The connection was closed by the peer");
      fail_read (self, eof);
      return;
    }

  self->last_read_time = g_get_monotonic_time ();
  if (!xmpp_parser_feed (self->parser, (const char *) self->read_buffer, n, &error))
    {
      fail_read (self, error);
      return;
    }

  if (self->closing)
    close_continue (self);
  else if (!self->paused && !self->read_failed)
    start_read (self);
}

static void
start_read (XmppStream *self)
{
  GInputStream *input;

  if (self->read_pending || self->paused || self->held || self->read_failed || self->closing)
    return;

  input = g_io_stream_get_input_stream (self->io_stream);
  self->read_pending = TRUE;
  g_input_stream_read_async (input, self->read_buffer, READ_BUFFER_SIZE,
                             G_PRIORITY_DEFAULT, self->read_cancellable,
                             read_cb, g_object_ref (self));
}

/* Writing */

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(XmppStream) self = user_data;
  g_autoptr(GError) error = NULL;

  self->write_pending = FALSE;
  g_clear_pointer (&self->current_write, g_bytes_unref);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail_write (self, error);
      if (self->closing)
        close_continue (self);
      return;
    }

  write_next (self);
}

static void
write_next (XmppStream *self)
{
  GOutputStream *output;
  gconstpointer data;
  gsize len;

  if (self->write_pending || self->io_closing)
    return;

  if (self->write_failed || g_queue_is_empty (&self->write_queue))
    {
      complete_flush_tasks (self, NULL);
      if (self->closing)
        close_continue (self);
      return;
    }

  self->current_write = g_queue_pop_head (&self->write_queue);
  if (!g_queue_is_empty (&self->write_queue) && g_bytes_get_size (self->current_write) < WRITE_JOIN_MAX)
    {
      GByteArray *joined = g_byte_array_sized_new (WRITE_JOIN_MAX);
      GBytes *next;

      data = g_bytes_get_data (self->current_write, &len);
      g_byte_array_append (joined, data, len);
      g_bytes_unref (self->current_write);
      while ((next = g_queue_peek_head (&self->write_queue)) != NULL
             && joined->len + g_bytes_get_size (next) <= WRITE_JOIN_MAX)
        {
          data = g_bytes_get_data (next, &len);
          g_byte_array_append (joined, data, len);
          g_bytes_unref (g_queue_pop_head (&self->write_queue));
        }
      self->current_write = g_byte_array_free_to_bytes (joined);
    }
  data = g_bytes_get_data (self->current_write, &len);
  output = g_io_stream_get_output_stream (self->io_stream);
  self->write_pending = TRUE;
  g_output_stream_write_all_async (output, data, len, G_PRIORITY_DEFAULT,
                                   self->write_cancellable,
                                   write_cb, g_object_ref (self));
}

/* Closing */

static void
io_close_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(XmppStream) self = user_data;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;

  /* Errors closing (no close_notify from a peer that went away) are not
   * worth reporting: the stream is gone either way. */
  if (!g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_debug ("Closing the XMPP stream: %s", error->message);

  self->closed = TRUE;
  tasks = g_steal_pointer (&self->close_tasks);
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  XmppStream *self = user_data;

  self->close_timeout_id = 0;
  g_cancellable_cancel (self->write_cancellable);
  return G_SOURCE_REMOVE;
}

static void
close_continue (XmppStream *self)
{
  if (self->io_closing || self->closed)
    return;

  /* 1. Drain the write queue. */
  if (self->write_pending || (!self->write_failed && !g_queue_is_empty (&self->write_queue)))
    {
      write_next (self);
      return;
    }

  /* 2. No read may be pending when the GIOStream is closed. */
  if (self->read_pending)
    {
      g_cancellable_cancel (self->read_cancellable);
      return;
    }

  /* 3. Close. */
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  self->io_closing = TRUE;
  g_io_stream_close_async (self->io_stream, G_PRIORITY_DEFAULT, NULL,
                           io_close_cb, g_object_ref (self));
}

/* GObject */

static void
xmpp_stream_dispose (GObject *object)
{
  XmppStream *self = XMPP_STREAM (object);

  g_cancellable_cancel (self->read_cancellable);
  g_cancellable_cancel (self->write_cancellable);
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);

  G_OBJECT_CLASS (xmpp_stream_parent_class)->dispose (object);
}

static void
xmpp_stream_finalize (GObject *object)
{
  XmppStream *self = XMPP_STREAM (object);

  g_queue_clear_full (&self->write_queue, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->current_write, g_bytes_unref);
  g_clear_pointer (&self->flush_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->close_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->parser, xmpp_parser_free);
  g_clear_pointer (&self->read_buffer, g_free);
  g_clear_pointer (&self->content_ns, g_free);
  g_clear_object (&self->read_cancellable);
  g_clear_object (&self->write_cancellable);
  g_clear_object (&self->io_stream);

  G_OBJECT_CLASS (xmpp_stream_parent_class)->finalize (object);
}

static void
xmpp_stream_class_init (XmppStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xmpp_stream_dispose;
  object_class->finalize = xmpp_stream_finalize;

  signals[SIGNAL_STREAM_OPENED] =
    g_signal_new ("stream-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_ELEMENT_RECEIVED] =
    g_signal_new ("element-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_STREAM_CLOSED] =
    g_signal_new ("stream-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
xmpp_stream_init (XmppStream *self)
{
  self->parser = xmpp_parser_new (&parser_callbacks, self);
  self->read_buffer = g_malloc (READ_BUFFER_SIZE);
  self->read_cancellable = g_cancellable_new ();
  self->write_cancellable = g_cancellable_new ();
  self->flush_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->paused = TRUE;
  self->last_read_time = g_get_monotonic_time ();
  g_queue_init (&self->write_queue);
}

/* Public API */

XmppStream *
xmpp_stream_new (GIOStream  *io_stream,
                 const char *content_ns)
{
  XmppStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (io_stream), NULL);
  g_return_val_if_fail (content_ns != NULL, NULL);

  self = g_object_new (XMPP_TYPE_STREAM, NULL);
  self->io_stream = g_object_ref (io_stream);
  self->content_ns = g_strdup (content_ns);
  return self;
}

GIOStream *
xmpp_stream_get_io_stream (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), NULL);

  return self->io_stream;
}

void
xmpp_stream_set_io_stream (XmppStream *self,
                           GIOStream  *io_stream)
{
  g_return_if_fail (XMPP_IS_STREAM (self));
  g_return_if_fail (G_IS_IO_STREAM (io_stream));
  g_return_if_fail (!self->read_pending);
  g_return_if_fail (!self->write_pending);

  g_set_object (&self->io_stream, io_stream);
  xmpp_parser_reset (self->parser);
}

XmppParser *
xmpp_stream_get_parser (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), NULL);

  return self->parser;
}

const char *
xmpp_stream_get_content_namespace (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), NULL);

  return self->content_ns;
}

void
xmpp_stream_start_reading (XmppStream *self)
{
  g_return_if_fail (XMPP_IS_STREAM (self));

  self->paused = FALSE;
  start_read (self);
}

void
xmpp_stream_pause_reading (XmppStream *self)
{
  g_return_if_fail (XMPP_IS_STREAM (self));

  self->paused = TRUE;
  /* Whatever else the current chunk holds is not for this document. */
  xmpp_parser_reset (self->parser);
}

void
xmpp_stream_hold_reading (XmppStream *self,
                          gboolean    hold)
{
  g_return_if_fail (XMPP_IS_STREAM (self));

  self->held = !!hold;
  if (!self->held)
    start_read (self);
}

gboolean
xmpp_stream_is_read_pending (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), FALSE);

  return self->read_pending;
}

void
xmpp_stream_restart (XmppStream *self)
{
  g_return_if_fail (XMPP_IS_STREAM (self));

  xmpp_parser_reset (self->parser);
}

/* Whether a write now would go anywhere. */
static gboolean
can_write (XmppStream *self)
{
  return !self->write_failed && !self->io_closing && !self->closed;
}

static void
queue_write (XmppStream *self,
             GBytes     *bytes)
{
  if (g_bytes_get_size (bytes) == 0)
    {
      g_bytes_unref (bytes);
      return;
    }
  g_queue_push_tail (&self->write_queue, bytes);
  write_next (self);
}

void
xmpp_stream_write_raw (XmppStream *self,
                       const char *data,
                       gssize      len)
{
  g_return_if_fail (XMPP_IS_STREAM (self));
  g_return_if_fail (data != NULL);

  if (can_write (self))
    queue_write (self, g_bytes_new (data, len < 0 ? strlen (data) : (gsize) len));
}

void
xmpp_stream_write_bytes (XmppStream *self,
                         GBytes     *bytes)
{
  g_return_if_fail (XMPP_IS_STREAM (self));
  g_return_if_fail (bytes != NULL);

  if (can_write (self))
    queue_write (self, g_bytes_ref (bytes));
}

void
xmpp_stream_write_element (XmppStream  *self,
                           XmppElement *element)
{
  GString *out;

  g_return_if_fail (XMPP_IS_STREAM (self));
  g_return_if_fail (element != NULL);

  if (!can_write (self))
    return;
  out = g_string_new (NULL);
  xmpp_element_serialize (element, out, self->content_ns);
  queue_write (self, g_string_free_to_bytes (out));
}

gboolean
xmpp_stream_is_write_pending (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), FALSE);

  return self->write_pending || !g_queue_is_empty (&self->write_queue);
}

void
xmpp_stream_flush_async (XmppStream          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (XMPP_IS_STREAM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_stream_flush_async);

  if (self->write_failed)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED,
                               "The stream can no longer be written");
      return;
    }
  if (!xmpp_stream_is_write_pending (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->flush_tasks, g_steal_pointer (&task));
}

gboolean
xmpp_stream_flush_finish (XmppStream    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_stream_flush_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
xmpp_stream_close_async (XmppStream          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (XMPP_IS_STREAM (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_stream_close_async);

  if (self->closed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->close_tasks, g_steal_pointer (&task));
  if (self->closing)
    return;

  self->closing = TRUE;
  self->paused = TRUE;
  self->close_timeout_id = g_timeout_add_seconds (CLOSE_WRITE_TIMEOUT_S, close_timeout_cb, self);
  close_continue (self);
}

gboolean
xmpp_stream_close_finish (XmppStream    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_stream_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
xmpp_stream_is_closed (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), TRUE);

  return self->closing || self->closed;
}

gint64
xmpp_stream_get_last_read_time (XmppStream *self)
{
  g_return_val_if_fail (XMPP_IS_STREAM (self), 0);

  return self->last_read_time;
}
