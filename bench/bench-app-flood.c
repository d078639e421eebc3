/* bench-app-flood.c: send N chat messages to one account as fast as the
 * server takes them (the load generator of bench/bench-app)
 *
 *   bench-app-flood --jid peer@localhost --password-file F \
 *       --server 127.0.0.1:PORT --pin SHA256 --to me@localhost --count 10000
 *
 * Messages go out in batches of --batch (200), each followed by an XEP-0199
 * ping to the server; the server answers a ping only after it has routed
 * everything before it on the stream, so at most --in-flight (4) batches
 * are ever unanswered: the sender runs at the server's pace, not at its own
 * queue's.  Each message is what a current client sends: type chat, a body
 * of 20–160 characters, an origin-id (XEP-0359), <active/> (XEP-0085) and,
 * unless --no-receipts, a receipt request (XEP-0184).
 *
 * --reply-jid ME/RESOURCE (--reply-password-file) with --reply-every K:
 * every Kth message is sent
 * instead by a second session of the receiving account, to the sender, so
 * the receiving app gets it as a carbon of its own outgoing message
 * (XEP-0280): the history then has both sides, as a real one does.
 *
 * Both sessions send initial presence (available) after signing in.
 *
 * Prints, one a line, times in µs of g_get_monotonic_time () (the clock of
 * Python's time.monotonic ()):
 *   connected T
 *   first T                 the first message queued
 *   accepted T N            the server answered the ping after the last one
 *   receipts N              receipts received, printed when stopped
 * then stays connected (so the receipts the app sends back have somewhere
 * to go) until SIGTERM or SIGINT, or --linger seconds.
 */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpp-chatstates.h"
#include "xmpp-client.h"
#include "xmpp-jid.h"
#include "xmpp-message.h"
#include "xmpp-receipts.h"

typedef struct
{
  XmppClient *client;
  gboolean    connected;
} Conn;

typedef struct
{
  GMainLoop *loop;
  Conn       peer;
  Conn       reply;          /* optional second sender */
  char      *to;
  char      *reply_to;       /* the peer's bare JID, for replies */
  char      *domain;
  guint      count;
  guint      batch;
  guint      in_flight_max;
  guint      reply_every;
  gboolean   receipts;
  guint      linger;

  guint      next;
  guint      in_flight;
  guint      accepted;
  guint      receipts_received;
  gint64     t_first;
  gboolean   done;
  int        status;
  GRand     *rand;
} Flood;

typedef struct
{
  Flood *flood;
  guint  messages;
  guint  pings;
} Batch;

static const char *const words[] = {
  "the", "meeting", "is", "moved", "to", "tomorrow", "morning", "can", "you", "send", "me",
  "slides", "after", "lunch", "thanks", "sounds", "good", "I'll", "be", "there", "around",
  "five", "did", "see", "new", "build", "it", "fixes", "crash", "on", "start", "let's",
  "talk", "later", "coffee", "weekend", "plans", "train", "was", "late", "again", "ok",
  "really", "nice", "photo", "where", "that", "what", "time", "works", "for", "your", "team",
};

static char *
make_body (Flood *flood,
           guint  index)
{
  GString *body = g_string_new (NULL);
  guint length = (guint) g_rand_int_range (flood->rand, 20, 161);

  g_string_append_printf (body, "%u ", index + 1);
  while (body->len < length)
    {
      if (body->len > 0 && body->str[body->len - 1] != ' ')
        g_string_append_c (body, ' ');
      g_string_append (body, words[g_rand_int_range (flood->rand, 0, G_N_ELEMENTS (words))]);
    }
  return g_string_free (body, FALSE);
}

static void
finish (Flood *flood,
        int    status)
{
  if (flood->done)
    return;
  flood->done = TRUE;
  flood->status = status;
  printf ("receipts %u\n", flood->receipts_received);
  fflush (stdout);
  g_main_loop_quit (flood->loop);
}

static void pump (Flood *flood);
static gboolean stop_cb (gpointer user_data);

static void
ping_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Batch *batch = user_data;
  Flood *flood = batch->flood;
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);

  if (reply == NULL)
    {
      g_printerr ("bench-app-flood: ping: %s\n", error->message);
      g_free (batch);
      finish (flood, 1);
      return;
    }
  if (--batch->pings > 0)
    return;

  flood->accepted += batch->messages;
  flood->in_flight--;
  g_free (batch);
  if (flood->accepted == flood->count)
    {
      printf ("accepted %" G_GINT64_FORMAT " %u\n", g_get_monotonic_time (), flood->accepted);
      fflush (stdout);
      if (flood->linger > 0)
        g_timeout_add_seconds (flood->linger, stop_cb, flood);
      return;
    }
  pump (flood);
}

static void
send_ping (Flood  *flood,
           Conn   *conn,
           Batch  *batch)
{
  g_autoptr(XmppElement) iq = xmpp_stanza_new_iq ("get", flood->domain, NULL);

  xmpp_element_add_child_new (iq, XMPP_NS_PING, "ping");
  batch->pings++;
  xmpp_client_send_iq_async (conn->client, iq, NULL, ping_cb, batch);
}

static void
send_message (Flood *flood,
              guint  index)
{
  gboolean reply = flood->reply.client != NULL && flood->reply_every > 0
                   && index % flood->reply_every == flood->reply_every - 1;
  Conn *conn = reply ? &flood->reply : &flood->peer;
  g_autoptr(XmppElement) message = xmpp_element_new (XMPP_NS_CLIENT, "message");
  g_autofree char *id = g_strdup_printf ("flood-%u", index);
  g_autofree char *origin = g_uuid_string_random ();
  g_autofree char *body = make_body (flood, index);
  XmppElement *child;

  xmpp_element_set_attribute (message, "type", "chat");
  xmpp_element_set_attribute (message, "to", reply ? flood->reply_to : flood->to);
  xmpp_element_set_attribute (message, "id", id);
  xmpp_element_add_child_with_text (message, NULL, "body", body);
  child = xmpp_element_add_child_new (message, XMPP_NS_SID, "origin-id");
  xmpp_element_set_attribute (child, "id", origin);
  xmpp_element_add_child_new (message, XMPP_NS_CHAT_STATES, "active");
  if (flood->receipts && !reply)
    xmpp_element_add_child_new (message, XMPP_NS_RECEIPTS, "request");
  xmpp_client_send (conn->client, message);
}

static void
pump (Flood *flood)
{
  while (flood->in_flight < flood->in_flight_max && flood->next < flood->count)
    {
      Batch *batch = g_new0 (Batch, 1);
      gboolean used_reply = FALSE;
      guint start = flood->next;
      guint end = MIN (flood->count, start + flood->batch);

      batch->flood = flood;
      batch->messages = end - start;
      if (flood->t_first == 0)
        {
          flood->t_first = g_get_monotonic_time ();
          printf ("first %" G_GINT64_FORMAT "\n", flood->t_first);
          fflush (stdout);
        }
      for (; flood->next < end; flood->next++)
        {
          send_message (flood, flood->next);
          if (flood->reply.client != NULL && flood->reply_every > 0
              && flood->next % flood->reply_every == flood->reply_every - 1)
            used_reply = TRUE;
        }
      flood->in_flight++;
      /* The batch is accepted once every session that sent in it had its
       * ping answered. */
      send_ping (flood, &flood->peer, batch);
      if (used_reply)
        send_ping (flood, &flood->reply, batch);
    }
}

static gboolean
receipt_cb (XmppClient  *client,
            XmppElement *stanza,
            gpointer     user_data)
{
  Flood *flood = user_data;

  flood->receipts_received++;
  return TRUE;
}

static void
disconnected_cb (XmppClient   *client,
                 const GError *error,
                 Flood        *flood)
{
  g_printerr ("bench-app-flood: disconnected: %s\n", error != NULL ? error->message : "closed");
  finish (flood, 1);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Flood *flood = user_data;
  g_autoptr(GError) error = NULL;
  Conn *conn = XMPP_CLIENT (source) == flood->peer.client ? &flood->peer : &flood->reply;

  if (!xmpp_client_connect_finish (XMPP_CLIENT (source), result, &error))
    {
      g_printerr ("bench-app-flood: cannot sign in: %s\n", error->message);
      finish (flood, 1);
      return;
    }
  conn->connected = TRUE;
  g_signal_connect (conn->client, "disconnected", G_CALLBACK (disconnected_cb), flood);
  /* Available, as a client is: messages to the bare JID (the replies) are
   * then delivered here, not stored offline. */
  {
    g_autoptr(XmppElement) presence = xmpp_element_new (XMPP_NS_CLIENT, "presence");

    xmpp_client_send (conn->client, presence);
  }
  if (!flood->peer.connected || (flood->reply.client != NULL && !flood->reply.connected))
    return;
  printf ("connected %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  fflush (stdout);
  pump (flood);
}

static gboolean
stop_cb (gpointer user_data)
{
  finish (user_data, 0);
  return G_SOURCE_REMOVE;
}

static XmppClient *
make_client (const char  *jid_text,
             const char  *password,
             const char  *host,
             guint16      port,
             const char  *pin,
             const char  *default_resource)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) jid = xmpp_jid_new (jid_text, &error);
  XmppClient *client;

  if (jid == NULL)
    {
      g_printerr ("bench-app-flood: %s: %s\n", jid_text, error->message);
      exit (2);
    }
  client = xmpp_client_new (jid, password);
  xmpp_client_set_server (client, host, port);
  if (pin != NULL)
    {
      g_autofree char *normal = xmpp_fingerprint_normalize (pin);

      if (normal == NULL)
        {
          g_printerr ("bench-app-flood: --pin is not a SHA-256 fingerprint\n");
          exit (2);
        }
      xmpp_client_set_pinned_fingerprint (client, normal);
    }
  xmpp_client_set_resource (client, xmpp_jid_get_resource (jid) != NULL
                                    ? xmpp_jid_get_resource (jid) : default_resource);
  xmpp_client_set_ping_interval (client, 0);
  xmpp_client_set_iq_timeout (client, 300);
  return client;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *jid = NULL, *password_file = NULL, *server = NULL, *pin = NULL, *to = NULL;
  g_autofree char *reply_jid = NULL, *reply_password_file = NULL, *password = NULL, *host = NULL;
  g_autofree char *reply_password = NULL;
  int count = 10000, batch = 200, in_flight = 4, reply_every = 0, linger = 0;
  gboolean no_receipts = FALSE;
  const GOptionEntry entries[] = {
    { "jid", 0, 0, G_OPTION_ARG_STRING, &jid, "Sender", "JID" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "The sender's password", "FILE" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, "Server", "HOST:PORT" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pin, "Server certificate fingerprint", "SHA256" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Recipient", "JID" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Messages (10000)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Messages per ping (200)", "N" },
    { "in-flight", 0, 0, G_OPTION_ARG_INT, &in_flight, "Unanswered batches at most (4)", "N" },
    { "no-receipts", 0, 0, G_OPTION_ARG_NONE, &no_receipts, "Do not ask for receipts", NULL },
    { "reply-jid", 0, 0, G_OPTION_ARG_STRING, &reply_jid,
      "Second sender: the recipient's own account, another resource", "JID" },
    { "reply-password-file", 0, 0, G_OPTION_ARG_FILENAME, &reply_password_file, "Its password", "FILE" },
    { "reply-every", 0, 0, G_OPTION_ARG_INT, &reply_every, "Every Kth message from --reply-jid", "K" },
    { "linger", 0, 0, G_OPTION_ARG_INT, &linger, "Stop this many seconds after the last (0: at SIGTERM)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- flood one account with chat messages");
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) to_jid = NULL, from_jid = NULL;
  const char *colon;
  guint64 port;
  Flood flood = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-app-flood: %s\n", error->message);
      return 2;
    }
  if (jid == NULL || password_file == NULL || server == NULL || to == NULL || count <= 0
      || batch <= 0 || in_flight <= 0 || (colon = strrchr (server, ':')) == NULL)
    {
      g_printerr ("bench-app-flood: --jid, --password-file, --server HOST:PORT and --to are required\n");
      return 2;
    }
  if (!g_file_get_contents (password_file, &password, NULL, &error))
    {
      g_printerr ("bench-app-flood: %s\n", error->message);
      return 2;
    }
  g_strchomp (password);
  host = g_strndup (server, colon - server);
  port = g_ascii_strtoull (colon + 1, NULL, 10);
  to_jid = xmpp_jid_new (to, NULL);
  from_jid = xmpp_jid_new (jid, NULL);
  if (port == 0 || port > G_MAXUINT16 || to_jid == NULL || from_jid == NULL)
    {
      g_printerr ("bench-app-flood: bad --server, --to or --jid\n");
      return 2;
    }

  flood.loop = g_main_loop_new (NULL, FALSE);
  flood.to = g_strdup (to);
  flood.domain = g_strdup (xmpp_jid_get_domain (to_jid));
  flood.count = (guint) count;
  flood.batch = (guint) batch;
  flood.in_flight_max = (guint) in_flight;
  flood.receipts = !no_receipts;
  flood.reply_every = reply_every > 0 ? (guint) reply_every : 0;
  flood.linger = linger > 0 ? (guint) linger : 0;
  flood.rand = g_rand_new_with_seed (20261124);

  flood.peer.client = make_client (jid, password, host, (guint16) port, pin, "flood");
  xmpp_client_add_handler (flood.peer.client, "message", NULL, XMPP_NS_RECEIPTS, "received",
                           receipt_cb, &flood, NULL);
  xmpp_client_connect_async (flood.peer.client, NULL, connected_cb, &flood);
  if (reply_jid != NULL && flood.reply_every > 0)
    {
      if (reply_password_file == NULL
          || !g_file_get_contents (reply_password_file, &reply_password, NULL, &error))
        {
          g_printerr ("bench-app-flood: --reply-jid needs --reply-password-file%s%s\n",
                      error != NULL ? ": " : "", error != NULL ? error->message : "");
          return 2;
        }
      g_strchomp (reply_password);
      g_autoptr(XmppJid) bare = xmpp_jid_get_bare (from_jid);

      flood.reply_to = g_strdup (xmpp_jid_to_string (bare));
      flood.reply.client = make_client (reply_jid, reply_password, host, (guint16) port, pin, "bench-other");
      xmpp_client_connect_async (flood.reply.client, NULL, connected_cb, &flood);
    }

  g_unix_signal_add (SIGTERM, stop_cb, &flood);
  g_unix_signal_add (SIGINT, stop_cb, &flood);
  g_main_loop_run (flood.loop);

  g_clear_object (&flood.peer.client);
  g_clear_object (&flood.reply.client);
  g_rand_free (flood.rand);
  g_main_loop_unref (flood.loop);
  g_free (flood.to);
  g_free (flood.reply_to);
  g_free (flood.domain);
  return flood.status;
}
