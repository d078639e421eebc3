/* sm-interop.c: XEP-0198 in XmppClient against a real server
 *
 * Run by test_client_sm.py, which starts the server (our own, Prosody or
 * ejabberd) with the accounts alice/alice-pw and bob/bob-pw and passes it
 * in the environment: MESSENGER_SM_HOST, MESSENGER_SM_PORT,
 * MESSENGER_SM_DOMAIN and MESSENGER_SM_FINGERPRINT (pinned).  It restarts
 * the server on request: the program prints "# restart-server" and waits
 * for a line on stdin.
 *
 * Two clients with stream management, alice and bob, message each other
 * at their full JIDs.  A "cut" shuts alice's TCP connection down under
 * TLS, as a network does, so the server keeps her session for resumption.
 *
 *   enable-acks        both enabled; five tracked messages acknowledged
 *                      in order, and received
 *   resume-deferred    a message alice defers (not stored yet) is not
 *                      acknowledged, so after a cut and a resumption the
 *                      server delivers it again, with what came after it
 *                      and what was sent during the gap
 *   resume-outbound    a message written just before the cut reaches bob
 *                      exactly once after the resumption, and is acked
 *   resume-failed      the server restarted meanwhile: <failed/>, a new
 *                      session; the message is acknowledged by the
 *                      <failed h/> or reported unacknowledged and sent
 *                      again by the "application": either way bob has it
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "xmpp-client.h"
#include "test-util.h"

static const char *host;
static guint16 port;
static const char *domain;
static const char *fingerprint;

/* A client */

typedef struct
{
  char        *id;
  gboolean     acked;
} Fate;

typedef struct
{
  XmppClient  *client;
  char        *jid;            /* full, as bound */
  GHashTable  *received;       /* body → count */
  GPtrArray   *fates;          /* Fate */
  GPtrArray   *acked_ids;
  GPtrArray   *unacked_ids;
  GArray      *tokens;         /* deferred: bodies starting with "hold" */
  guint        resumed_signals;
  guint        disconnects;
  GError      *disconnect_error;
  gboolean     done;
  gboolean     resumed;
  GError      *error;
} Peer;

static void
fate_free (Fate *fate)
{
  g_free (fate->id);
  g_free (fate);
}

static gboolean
message_cb (XmppClient  *client,
            XmppElement *stanza,
            gpointer     user_data)
{
  Peer *peer = user_data;
  const char *body = xmpp_element_find_child_text (stanza, NULL, "body");

  if (body == NULL)
    return FALSE;
  g_hash_table_insert (peer->received, g_strdup (body),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (peer->received, body)) + 1));
  if (g_str_has_prefix (body, "hold"))
    {
      /* As the core does until the message is committed to disk. */
      guint64 token = xmpp_client_defer_ack (client);

      g_assert_cmpuint (token, !=, 0);
      g_array_append_val (peer->tokens, token);
    }
  return TRUE;
}

static void
disconnected_cb (XmppClient   *client,
                 const GError *error,
                 Peer         *peer)
{
  peer->disconnects++;
  g_clear_error (&peer->disconnect_error);
  peer->disconnect_error = error != NULL ? g_error_copy (error) : NULL;
}

static void
collect_ids (GPtrArray *stanzas,
             GPtrArray *into)
{
  for (guint i = 0; i < stanzas->len; i++)
    if (xmpp_element_is (stanzas->pdata[i], NULL, "message"))
      g_ptr_array_add (into, g_strdup (xmpp_element_get_attribute (stanzas->pdata[i], "id")));
}

static void
acked_signal_cb (XmppClient *client,
                 GPtrArray  *stanzas,
                 Peer       *peer)
{
  collect_ids (stanzas, peer->acked_ids);
}

static void
unacked_signal_cb (XmppClient *client,
                   GPtrArray  *stanzas,
                   Peer       *peer)
{
  collect_ids (stanzas, peer->unacked_ids);
}

static void
resumed_signal_cb (XmppClient *client,
                   Peer       *peer)
{
  peer->resumed_signals++;
}

static Peer *
peer_new (const char *user,
          const char *resource)
{
  Peer *peer = g_new0 (Peer, 1);
  g_autofree char *bare = g_strdup_printf ("%s@%s", user, domain);
  g_autofree char *password = g_strdup_printf ("%s-pw", user);
  g_autoptr(XmppJid) jid = xmpp_jid_new (bare, NULL);

  g_assert_nonnull (jid);
  peer->received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  peer->fates = g_ptr_array_new_with_free_func ((GDestroyNotify) fate_free);
  peer->acked_ids = g_ptr_array_new_with_free_func (g_free);
  peer->unacked_ids = g_ptr_array_new_with_free_func (g_free);
  peer->tokens = g_array_new (FALSE, FALSE, sizeof (guint64));
  peer->client = xmpp_client_new (jid, password);
  xmpp_client_set_server (peer->client, host, port);
  xmpp_client_set_pinned_fingerprint (peer->client, fingerprint);
  xmpp_client_set_resource (peer->client, resource);
  xmpp_client_set_use_stream_management (peer->client, TRUE);
  xmpp_client_add_handler (peer->client, "message", NULL, NULL, NULL, message_cb, peer, NULL);
  g_signal_connect (peer->client, "disconnected", G_CALLBACK (disconnected_cb), peer);
  g_signal_connect (peer->client, "stanzas-acked", G_CALLBACK (acked_signal_cb), peer);
  g_signal_connect (peer->client, "stanzas-unacked", G_CALLBACK (unacked_signal_cb), peer);
  g_signal_connect (peer->client, "resumed", G_CALLBACK (resumed_signal_cb), peer);
  return peer;
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  xmpp_client_close_finish (XMPP_CLIENT (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
peer_free (Peer *peer)
{
  gboolean closed = FALSE;

  xmpp_client_close_async (peer->client, NULL, close_cb, &closed);
  WAIT_UNTIL (closed);
  g_signal_handlers_disconnect_by_data (peer->client, peer);
  g_clear_object (&peer->client);
  g_hash_table_unref (peer->received);
  g_ptr_array_unref (peer->fates);
  g_ptr_array_unref (peer->acked_ids);
  g_ptr_array_unref (peer->unacked_ids);
  g_array_unref (peer->tokens);
  g_clear_error (&peer->disconnect_error);
  g_clear_error (&peer->error);
  g_free (peer->jid);
  g_free (peer);
}

static void
send_presence (Peer *peer)
{
  g_autoptr(XmppElement) presence = xmpp_element_new (XMPP_NS_CLIENT, "presence");

  xmpp_client_send (peer->client, presence);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Peer *peer = user_data;

  xmpp_client_connect_finish (XMPP_CLIENT (source), result, &peer->error);
  peer->done = TRUE;
}

static void
peer_connect (Peer *peer)
{
  peer->done = FALSE;
  g_clear_error (&peer->error);
  xmpp_client_connect_async (peer->client, NULL, connect_cb, peer);
  WAIT_UNTIL (peer->done);
  g_assert_no_error (peer->error);
  g_free (peer->jid);
  peer->jid = g_strdup (xmpp_jid_to_string (xmpp_client_get_bound_jid (peer->client)));
  send_presence (peer);
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Peer *peer = user_data;

  xmpp_client_resume_finish (XMPP_CLIENT (source), result, &peer->resumed, &peer->error);
  peer->done = TRUE;
}

static gboolean
peer_resume (Peer *peer)
{
  peer->done = FALSE;
  peer->resumed = FALSE;
  g_clear_error (&peer->error);
  xmpp_client_resume_async (peer->client, NULL, resume_cb, peer);
  WAIT_UNTIL (peer->done);
  g_assert_no_error (peer->error);
  g_assert_cmpint (xmpp_client_get_state (peer->client), ==, XMPP_CLIENT_STATE_CONNECTED);
  return peer->resumed;
}

/* Shut the TCP connection down under TLS: no close_notify, no closing
 * tag, so the server sees a lost connection. */
static void
peer_cut (Peer *peer)
{
  GTlsConnection *tls = xmpp_client_get_tls_connection (peer->client);
  g_autoptr(GIOStream) base = NULL;
  guint before = peer->disconnects;

  g_assert_nonnull (tls);
  g_object_get (tls, "base-io-stream", &base, NULL);
  g_assert_true (G_IS_SOCKET_CONNECTION (base));
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)), TRUE, TRUE, NULL);
  WAIT_UNTIL (peer->disconnects > before);
  g_assert_error (peer->disconnect_error, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED);
}

static void
acked_cb (XmppClient  *client,
          XmppElement *stanza,
          gboolean     acked,
          gpointer     user_data)
{
  Peer *peer = user_data;
  Fate *fate = g_new0 (Fate, 1);

  fate->id = g_strdup (xmpp_element_get_attribute (stanza, "id"));
  fate->acked = acked;
  g_ptr_array_add (peer->fates, fate);
}

static void
send_chat (Peer       *from,
           Peer       *to,
           const char *id,
           gboolean    tracked)
{
  g_autoptr(XmppElement) message = xmpp_element_new (XMPP_NS_CLIENT, "message");

  xmpp_element_set_attribute (message, "to", to->jid);
  xmpp_element_set_attribute (message, "type", "chat");
  xmpp_element_set_attribute (message, "id", id);
  xmpp_element_add_child_with_text (message, NULL, "body", id);
  if (tracked)
    xmpp_client_send_tracked (from->client, message, acked_cb, from, NULL);
  else
    xmpp_client_send (from->client, message);
}

static guint
received (Peer       *peer,
          const char *body)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (peer->received, body));
}

static Fate *
fate_of (Peer       *peer,
         const char *id)
{
  for (guint i = 0; i < peer->fates->len; i++)
    if (g_strcmp0 (((Fate *) peer->fates->pdata[i])->id, id) == 0)
      return peer->fates->pdata[i];
  return NULL;
}

static gboolean
has_id (GPtrArray  *ids,
        const char *id)
{
  for (guint i = 0; i < ids->len; i++)
    if (g_strcmp0 (ids->pdata[i], id) == 0)
      return TRUE;
  return FALSE;
}

/* Tests */

static void
test_enable_acks (void)
{
  Peer *alice = peer_new ("alice", "sm-a1");
  Peer *bob = peer_new ("bob", "sm-b1");
  const char *ids[] = { "ea-1", "ea-2", "ea-3", "ea-4", "ea-5" };

  peer_connect (alice);
  peer_connect (bob);
  g_assert_true (xmpp_client_get_stream_management (alice->client));
  g_assert_true (xmpp_client_get_stream_management (bob->client));
  g_assert_false (xmpp_client_can_resume (alice->client));

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    send_chat (alice, bob, ids[i], TRUE);
  WAIT_UNTIL (alice->fates->len == G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      Fate *fate = alice->fates->pdata[i];

      g_assert_cmpstr (fate->id, ==, ids[i]);
      g_assert_true (fate->acked);
    }
  g_assert_cmpuint (alice->acked_ids->len, ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    WAIT_UNTIL (received (bob, ids[i]) == 1);

  peer_free (alice);
  peer_free (bob);
}

static void
test_resume_deferred (void)
{
  Peer *alice = peer_new ("alice", "sm-a2");
  Peer *bob = peer_new ("bob", "sm-b2");
  g_autofree char *bound = NULL;

  peer_connect (alice);
  peer_connect (bob);
  bound = g_strdup (alice->jid);

  /* "hold-1" is deferred and never completed: not acknowledged, nor is
   * anything after it. */
  send_chat (bob, alice, "hold-1", FALSE);
  send_chat (bob, alice, "after-1", FALSE);
  WAIT_UNTIL (received (alice, "hold-1") == 1 && received (alice, "after-1") == 1);
  /* Give the server time to ask and hear the count. */
  test_run_for (500);

  peer_cut (alice);
  g_assert_true (xmpp_client_can_resume (alice->client));
  send_chat (bob, alice, "gap-1", FALSE);
  test_run_for (300);

  g_assert_true (peer_resume (alice));
  g_assert_cmpuint (alice->resumed_signals, ==, 1);
  g_assert_cmpstr (xmpp_jid_to_string (xmpp_client_get_bound_jid (alice->client)), ==, bound);
  g_assert_true (xmpp_client_get_stream_management (alice->client));

  /* Everything from the deferred one on comes again, then the gap. */
  WAIT_UNTIL (received (alice, "hold-1") == 2 && received (alice, "after-1") == 2 &&
              received (alice, "gap-1") == 1);

  /* Stored now: everything is acknowledged, nothing comes a third time. */
  for (guint i = 0; i < alice->tokens->len; i++)
    xmpp_client_complete_ack (alice->client, g_array_index (alice->tokens, guint64, i));
  send_chat (bob, alice, "after-2", FALSE);
  WAIT_UNTIL (received (alice, "after-2") == 1);
  test_run_for (500);
  g_assert_cmpuint (received (alice, "hold-1"), ==, 2);
  g_assert_cmpuint (received (alice, "gap-1"), ==, 1);

  peer_free (alice);
  peer_free (bob);
}

static void
test_resume_outbound (void)
{
  Peer *alice = peer_new ("alice", "sm-a3");
  Peer *bob = peer_new ("bob", "sm-b3");
  Fate *fate;

  peer_connect (alice);
  peer_connect (bob);

  /* Written (or not yet) when the connection goes: unacknowledged. */
  send_chat (alice, bob, "out-1", TRUE);
  peer_cut (alice);
  g_assert_null (fate_of (alice, "out-1"));
  g_assert_true (xmpp_client_can_resume (alice->client));

  g_assert_true (peer_resume (alice));
  /* Sent again only if the server lacked it: bob gets it once. */
  WAIT_UNTIL (fate_of (alice, "out-1") != NULL);
  fate = fate_of (alice, "out-1");
  g_assert_true (fate->acked);
  WAIT_UNTIL (received (bob, "out-1") == 1);
  test_run_for (500);
  g_assert_cmpuint (received (bob, "out-1"), ==, 1);
  g_assert_cmpuint (alice->unacked_ids->len, ==, 0);

  /* The session goes on. */
  send_chat (alice, bob, "out-2", TRUE);
  WAIT_UNTIL (fate_of (alice, "out-2") != NULL && received (bob, "out-2") == 1);
  g_assert_true (fate_of (alice, "out-2")->acked);

  peer_free (alice);
  peer_free (bob);
}

static void
restart_server (void)
{
  char line[64];

  /* test_client_sm.py restarts the server and answers with a line. */
  printf ("# restart-server\n");
  fflush (stdout);
  if (fgets (line, sizeof line, stdin) == NULL)
    g_error ("No answer to the restart request");
}

static void
test_resume_failed (void)
{
  Peer *alice = peer_new ("alice", "sm-a4");
  Peer *bob = peer_new ("bob", "sm-b4");
  Fate *fate;

  peer_connect (alice);
  peer_connect (bob);

  send_chat (alice, bob, "lost-1", TRUE);
  peer_cut (alice);
  g_assert_true (xmpp_client_can_resume (alice->client));

  /* The server forgets every session. */
  restart_server ();
  WAIT_UNTIL (bob->disconnects == 1);

  g_assert_false (peer_resume (alice));
  g_assert_cmpuint (alice->resumed_signals, ==, 0);
  g_assert_true (xmpp_client_get_stream_management (alice->client));
  g_assert_false (xmpp_client_can_resume (alice->client));
  /* Either the <failed/> said how many of ours the server handled
   * (XEP-0198 §5 allows an h there: Prosody keeps the counts of ended
   * sessions, even across a restart) and it was acknowledged, or it is
   * reported as never acknowledged. */
  fate = fate_of (alice, "lost-1");
  g_assert_nonnull (fate);
  g_assert_cmpint (fate->acked, !=, has_id (alice->unacked_ids, "lost-1"));
  peer_connect (bob);
  if (fate->acked)
    {
      g_test_message ("the server's <failed h/> acknowledged the message");
      WAIT_UNTIL (received (bob, "lost-1") == 1);
    }
  else
    {
      /* The application sends it again, in the new session. */
      g_test_message ("the message was reported unacknowledged");
      send_chat (alice, bob, "lost-1", TRUE);
      WAIT_UNTIL (alice->fates->len == 2);
      g_assert_true (((Fate *) alice->fates->pdata[1])->acked);
      WAIT_UNTIL (received (bob, "lost-1") >= 1);
    }

  peer_free (alice);
  peer_free (bob);
}

int
main (int    argc,
      char **argv)
{
  const char *port_text;

  test_init (&argc, &argv);

  host = g_getenv ("MESSENGER_SM_HOST");
  port_text = g_getenv ("MESSENGER_SM_PORT");
  domain = g_getenv ("MESSENGER_SM_DOMAIN");
  fingerprint = g_getenv ("MESSENGER_SM_FINGERPRINT");
  if (host == NULL || port_text == NULL || domain == NULL || fingerprint == NULL)
    {
      g_printerr ("sm-interop: run by test_client_sm.py (MESSENGER_SM_* not set)\n");
      return 2;
    }
  port = (guint16) atoi (port_text);

  g_test_add_func ("/sm-interop/enable-acks", test_enable_acks);
  g_test_add_func ("/sm-interop/resume-deferred", test_resume_deferred);
  g_test_add_func ("/sm-interop/resume-outbound", test_resume_outbound);
  g_test_add_func ("/sm-interop/resume-failed", test_resume_failed);

  return g_test_run ();
}
