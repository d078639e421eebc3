/* test-stream.c: XmppStream's writing
 *
 * What is written comes out whole and in order, and stanzas queued behind
 * a write in flight go out together in the next one.
 */
#include "config.h"

#include <string.h>

#include "xmpp-element.h"
#include "xmpp-stream.h"

/* A memory stream that counts its writes. */
#define COUNTING_TYPE_STREAM (counting_stream_get_type ())
G_DECLARE_FINAL_TYPE (CountingStream, counting_stream, COUNTING, STREAM, GMemoryOutputStream)

struct _CountingStream
{
  GMemoryOutputStream parent_instance;
  guint               writes;
};

G_DEFINE_FINAL_TYPE (CountingStream, counting_stream, G_TYPE_MEMORY_OUTPUT_STREAM)

static gssize
counting_stream_write (GOutputStream  *stream,
                       const void     *buffer,
                       gsize           count,
                       GCancellable   *cancellable,
                       GError        **error)
{
  COUNTING_STREAM (stream)->writes++;
  return G_OUTPUT_STREAM_CLASS (counting_stream_parent_class)->write_fn (stream, buffer, count, cancellable, error);
}

static void
counting_stream_class_init (CountingStreamClass *klass)
{
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = counting_stream_write;
}

static void
counting_stream_init (CountingStream *self)
{
}

typedef struct
{
  CountingStream *output;
  XmppStream     *stream;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GInputStream) input = g_memory_input_stream_new ();
  g_autoptr(GIOStream) io = NULL;

  fixture->output = g_object_new (COUNTING_TYPE_STREAM,
                                  "realloc-function", g_realloc,
                                  "destroy-function", g_free,
                                  NULL);
  io = g_simple_io_stream_new (input, G_OUTPUT_STREAM (fixture->output));
  fixture->stream = xmpp_stream_new (io, "jabber:client");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->stream);
  g_clear_object (&fixture->output);
}

static void
flushed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (xmpp_stream_flush_finish (XMPP_STREAM (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
flush (Fixture *fixture)
{
  gboolean done = FALSE;

  xmpp_stream_flush_async (fixture->stream, NULL, flushed_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (xmpp_stream_is_write_pending (fixture->stream));
}

static char *
written (Fixture *fixture)
{
  GMemoryOutputStream *output = G_MEMORY_OUTPUT_STREAM (fixture->output);

  return g_strndup (g_memory_output_stream_get_data (output), g_memory_output_stream_get_data_size (output));
}

/* A receipt for each message of a flood: written one after the other with
 * no main loop in between, they leave in a few writes, whole and in
 * order. */
static void
test_join_queued (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *out = NULL;

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(XmppElement) message = xmpp_element_new ("jabber:client", "message");
      g_autofree char *id = g_strdup_printf ("r%u", i);

      xmpp_element_set_attribute (message, "id", id);
      xmpp_element_set_attribute (message, "to", "bob@example.org/phone");
      xmpp_element_add_child_with_text (message, NULL, "body", "a receipt, or so");
      xmpp_stream_write_element (fixture->stream, message);
      g_string_append_printf (expected, "<message id='%s' to='bob@example.org/phone'><body>a receipt, or so</body></message>", id);
    }
  flush (fixture);

  out = written (fixture);
  g_assert_cmpuint (strlen (out), ==, expected->len);
  g_assert_cmpstr (out, ==, expected->str);
  /* The first goes out alone; the rest, some 90 KB, in joined writes of
   * at most 32 KB. */
  g_test_message ("%u writes for %zu bytes", fixture->output->writes, expected->len);
  g_assert_cmpuint (fixture->output->writes, >=, 1 + expected->len / (32 * 1024));
  g_assert_cmpuint (fixture->output->writes, <=, 2 + expected->len / (32 * 1024) + 1);
}

/* A write bigger than a joined one, between small ones: it goes out on
 * its own, nothing is lost or reordered. */
static void
test_big_write (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *big = g_strnfill (100 * 1024, 'x');
  g_autofree char *out = NULL;

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *small = g_strdup_printf ("<presence id='p%u'/>", i);

      xmpp_stream_write_raw (fixture->stream, small, -1);
      g_string_append (expected, small);
      if (i % 10 == 5)
        {
          xmpp_stream_write_raw (fixture->stream, big, -1);
          g_string_append (expected, big);
        }
    }
  flush (fixture);

  out = written (fixture);
  g_assert_cmpuint (strlen (out), ==, expected->len);
  g_assert_true (strcmp (out, expected->str) == 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/stream/join-queued", Fixture, NULL, fixture_set_up, test_join_queued, fixture_tear_down);
  g_test_add ("/stream/big-write", Fixture, NULL, fixture_set_up, test_big_write, fixture_tear_down);
  return g_test_run ();
}
