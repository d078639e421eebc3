/* stream-pair.c: a connected client and a scripted server, no network */
#include "config.h"

#include <sys/socket.h>

#include "stream-pair.h"

void
stream_pair_open (StreamPair     *pair,
                  FakeServerHook  hook)
{
  g_autoptr(XmppJid) jid = xmpp_jid_new (STREAM_PAIR_JID, NULL);
  g_autoptr(GSocket) s0 = NULL;
  g_autoptr(GSocket) s1 = NULL;
  g_autoptr(GSocketConnection) c0 = NULL;
  g_autoptr(GSocketConnection) c1 = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  s0 = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  s1 = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  c0 = g_socket_connection_factory_create_connection (s0);
  c1 = g_socket_connection_factory_create_connection (s1);

  pair->fs = fake_server_new ();
  pair->fs->raw = TRUE;
  pair->fs->hook = hook;
  g_socket_listener_close (pair->fs->listener);
  g_clear_object (&pair->fs->listener);
  fake_server_start (pair->fs);
  fake_server_attach (pair->fs, G_IO_STREAM (c1));

  pair->client = xmpp_client_new_for_stream (G_IO_STREAM (c0), jid);
  WAIT_UNTIL (pair->fs->headers->len == 1);
}

void
stream_pair_close (StreamPair *pair)
{
  g_clear_object (&pair->client);
  drain_main_context ();
  g_clear_pointer (&pair->fs, fake_server_free);
}

XmppElement *
stream_pair_find_nth (StreamPair *pair,
                      const char *name,
                      const char *child_ns,
                      guint       n)
{
  for (guint i = 0; i < pair->fs->elements->len; i++)
    {
      XmppElement *element = g_ptr_array_index (pair->fs->elements, i);

      if (!xmpp_element_is (element, XMPP_NS_CLIENT, name))
        continue;
      if (child_ns != NULL && xmpp_element_find_child (element, child_ns, NULL) == NULL)
        continue;
      if (n-- == 0)
        return element;
    }
  return NULL;
}

guint
stream_pair_count (StreamPair *pair,
                   const char *name,
                   const char *child_ns)
{
  guint n = 0;

  while (stream_pair_find_nth (pair, name, child_ns, n) != NULL)
    n++;
  return n;
}

static gboolean
elapsed_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
stream_pair_run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, elapsed_cb, &done);
  WAIT_UNTIL (done);
}
