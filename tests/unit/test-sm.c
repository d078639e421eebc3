/* test-sm.c: XEP-0198 stream management in XmppClient
 *
 * First XmppSm (xmpp-sm.c), the bookkeeping without I/O: acknowledgements
 * pop the right stanzas, deferred stanzas hold back the handled count, and
 * both counts wrap at 2^32.  Then XmppClient against the scripted server of
 * fake-server.c (TLS, SASL, bind, then <enable/>): what is enabled when,
 * which stanzas an <a h/> acknowledges (also across the wrap), deferred
 * inbound acknowledgements, the handled-count-too-high stream error, an
 * orderly close, the ping that confirms tracked stanzas without stream
 * management, and resumption over a new connection: resumed (stanzas the
 * server lacks are sent again, no bind), refused (a new session and the
 * unacknowledged stanzas reported), expired, and retried after a failed
 * attempt.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "fake-server.h"
#include "xmpp-client-private.h"
#include "xmpp-presence.h"
#include "xmpp-sm.h"

#define DOMAIN   FAKE_SERVER_DOMAIN
#define USER_JID FAKE_SERVER_USER_JID
#define PASSWORD FAKE_SERVER_PASSWORD

/* XmppSm */

static void
test_sm_outbound (void)
{
  XmppSm *sm = xmpp_sm_new (0, 0, g_free);
  g_autoptr(GPtrArray) acked = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < 3; i++)
    xmpp_sm_push (sm, g_strdup_printf ("s%u", i));
  g_assert_cmpuint (xmpp_sm_get_sent (sm), ==, 3);
  g_assert_cmpuint (xmpp_sm_get_n_unacked (sm), ==, 3);

  g_assert_true (xmpp_sm_ack (sm, 2, acked));
  g_assert_cmpuint (acked->len, ==, 2);
  g_assert_cmpstr (acked->pdata[0], ==, "s0");
  g_assert_cmpstr (acked->pdata[1], ==, "s1");
  g_assert_cmpuint (xmpp_sm_get_acked (sm), ==, 2);
  g_assert_cmpstr (xmpp_sm_peek_unacked (sm, 0), ==, "s2");

  /* The same h again acknowledges nothing new. */
  g_ptr_array_set_size (acked, 0);
  g_assert_true (xmpp_sm_ack (sm, 2, acked));
  g_assert_cmpuint (acked->len, ==, 0);

  /* More than was sent: refused, nothing changes. */
  g_assert_false (xmpp_sm_ack (sm, 4, acked));
  g_assert_cmpuint (acked->len, ==, 0);
  g_assert_cmpuint (xmpp_sm_get_n_unacked (sm), ==, 1);

  /* Taking what is left keeps the count going. */
  xmpp_sm_take_unacked (sm, acked);
  g_assert_cmpuint (acked->len, ==, 1);
  g_assert_cmpuint (xmpp_sm_get_sent (sm), ==, 3);
  g_assert_cmpuint (xmpp_sm_get_n_unacked (sm), ==, 0);

  /* Freed with the queue. */
  xmpp_sm_push (sm, g_strdup ("left"));
  xmpp_sm_free (sm);
}

static void
test_sm_outbound_wrap (void)
{
  XmppSm *sm = xmpp_sm_new (G_MAXUINT32 - 1, 0, g_free);
  g_autoptr(GPtrArray) acked = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < 5; i++)
    xmpp_sm_push (sm, g_strdup_printf ("s%u", i));
  /* 2^32 − 2 + 5 = 3 (mod 2^32). */
  g_assert_cmpuint (xmpp_sm_get_sent (sm), ==, 3);

  /* h = 1: 2^32 − 1, 0 and 1 were handled, three stanzas. */
  g_assert_true (xmpp_sm_ack (sm, 1, acked));
  g_assert_cmpuint (acked->len, ==, 3);
  g_assert_cmpstr (acked->pdata[2], ==, "s2");
  g_assert_false (xmpp_sm_ack (sm, G_MAXUINT32, acked));
  g_assert_false (xmpp_sm_ack (sm, 4, acked));
  g_assert_true (xmpp_sm_ack (sm, 3, acked));
  g_assert_cmpuint (acked->len, ==, 5);
  g_assert_cmpstr (acked->pdata[4], ==, "s4");
  xmpp_sm_free (sm);
}

static void
test_sm_inbound (void)
{
  XmppSm *sm = xmpp_sm_new (0, 0, NULL);
  guint64 t2, t3a, t3b, t5;

  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 0);
  xmpp_sm_received (sm);                       /* 1 */
  xmpp_sm_received (sm);                       /* 2, deferred */
  t2 = xmpp_sm_defer (sm);
  xmpp_sm_received (sm);                       /* 3, deferred twice */
  t3a = xmpp_sm_defer (sm);
  t3b = xmpp_sm_defer (sm);
  xmpp_sm_received (sm);                       /* 4 */
  xmpp_sm_received (sm);                       /* 5, deferred */
  t5 = xmpp_sm_defer (sm);
  xmpp_sm_received (sm);                       /* 6 */
  g_assert_true (t2 != 0 && t3a != t2 && t3b != t3a && t5 != t3b);
  g_assert_cmpuint (xmpp_sm_get_received (sm), ==, 6);
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 1);
  g_assert_cmpuint (xmpp_sm_get_n_deferred (sm), ==, 3);

  /* Later ones completing first change nothing. */
  g_assert_false (xmpp_sm_complete (sm, t5));
  g_assert_false (xmpp_sm_complete (sm, t3a));
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 1);
  /* Twice, or unknown: ignored. */
  g_assert_false (xmpp_sm_complete (sm, t5));
  g_assert_false (xmpp_sm_complete (sm, 0));
  g_assert_false (xmpp_sm_complete (sm, t5 + 1000));

  g_assert_true (xmpp_sm_complete (sm, t2));
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 2);
  g_assert_true (xmpp_sm_complete (sm, t3b));
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 6);
  g_assert_cmpuint (xmpp_sm_get_n_deferred (sm), ==, 0);

  /* A resumption restarts from the count we gave, voiding deferrals. */
  xmpp_sm_received (sm);
  t2 = xmpp_sm_defer (sm);
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 6);
  xmpp_sm_restart_inbound (sm, 6);
  g_assert_cmpuint (xmpp_sm_get_received (sm), ==, 6);
  g_assert_false (xmpp_sm_complete (sm, t2));
  g_assert_cmpuint (xmpp_sm_get_n_deferred (sm), ==, 0);
  xmpp_sm_free (sm);
}

static void
test_sm_inbound_wrap (void)
{
  XmppSm *sm = xmpp_sm_new (0, G_MAXUINT32 - 1, NULL);
  guint64 token;

  xmpp_sm_received (sm);                       /* 2^32 − 1, deferred */
  token = xmpp_sm_defer (sm);
  xmpp_sm_received (sm);                       /* 0 */
  xmpp_sm_received (sm);                       /* 1 */
  g_assert_cmpuint (xmpp_sm_get_received (sm), ==, 1);
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, G_MAXUINT32 - 1);
  g_assert_true (xmpp_sm_complete (sm, token));
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 1);

  /* A deferred stanza numbered 0: handled stays at 2^32 − 1. */
  xmpp_sm_restart_inbound (sm, G_MAXUINT32);
  xmpp_sm_received (sm);
  token = xmpp_sm_defer (sm);
  xmpp_sm_received (sm);
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, G_MAXUINT32);
  g_assert_true (xmpp_sm_complete (sm, token));
  g_assert_cmpuint (xmpp_sm_get_handled (sm), ==, 1);
  xmpp_sm_free (sm);
}

/* The client side */

typedef struct
{
  char     *id;
  gboolean  acked;
} Fate;

typedef struct
{
  FakeServer *server;
  XmppClient *client;
  gboolean    connect_done;
  GError     *connect_error;
  gboolean    resumed;           /* resume_finish's answer */
  guint       disconnects;
  GError     *disconnect_error;
  GPtrArray  *fates;             /* Fate, in callback order */
  GPtrArray  *acked_ids;         /* "stanzas-acked", ids in order */
  GPtrArray  *unacked_ids;       /* "stanzas-unacked" */
  guint       resumed_signals;
  GArray     *tokens;            /* guint64 from the defer handler */
  guint       destroyed;
} Test;

static void
fate_free (Fate *fate)
{
  g_free (fate->id);
  g_free (fate);
}

static void
disconnected_cb (XmppClient   *client,
                 const GError *error,
                 Test         *t)
{
  t->disconnects++;
  g_clear_error (&t->disconnect_error);
  t->disconnect_error = error != NULL ? g_error_copy (error) : NULL;
}

static void
collect_ids (GPtrArray *stanzas,
             GPtrArray *into)
{
  for (guint i = 0; i < stanzas->len; i++)
    {
      const char *id = xmpp_element_get_attribute (stanzas->pdata[i], "id");

      g_ptr_array_add (into, g_strdup (id != NULL ? id : "(none)"));
    }
}

static void
stanzas_acked_cb (XmppClient *client,
                  GPtrArray  *stanzas,
                  Test       *t)
{
  collect_ids (stanzas, t->acked_ids);
}

static void
stanzas_unacked_cb (XmppClient *client,
                    GPtrArray  *stanzas,
                    Test       *t)
{
  collect_ids (stanzas, t->unacked_ids);
}

static void
resumed_signal_cb (XmppClient *client,
                   Test       *t)
{
  /* Before CONNECTED, so listeners know what kind of session it is. */
  g_assert_cmpint (xmpp_client_get_state (client), ==, XMPP_CLIENT_STATE_BINDING);
  t->resumed_signals++;
}

/* Messages whose body starts with "defer" are deferred. */
static gboolean
defer_handler_cb (XmppClient  *client,
                  XmppElement *stanza,
                  gpointer     user_data)
{
  Test *t = user_data;
  const char *body = xmpp_element_find_child_text (stanza, NULL, "body");
  guint64 token;

  if (body == NULL || !g_str_has_prefix (body, "defer"))
    return FALSE;
  token = xmpp_client_defer_ack (client);
  g_assert_cmpuint (token, !=, 0);
  g_array_append_val (t->tokens, token);
  return TRUE;
}

static Test *
test_new (FakeServer *fs)
{
  Test *t = g_new0 (Test, 1);
  g_autoptr(XmppJid) jid = xmpp_jid_new (USER_JID, NULL);

  t->server = fs;
  t->fates = g_ptr_array_new_with_free_func ((GDestroyNotify) fate_free);
  t->acked_ids = g_ptr_array_new_with_free_func (g_free);
  t->unacked_ids = g_ptr_array_new_with_free_func (g_free);
  t->tokens = g_array_new (FALSE, FALSE, sizeof (guint64));
  t->client = xmpp_client_new (jid, PASSWORD);
  xmpp_client_set_server (t->client, "127.0.0.1", fs->port);
  xmpp_client_set_pinned_fingerprint (t->client, fake_server_get_fingerprint ());
  xmpp_client_set_resource (t->client, "desk");
  xmpp_client_set_use_stream_management (t->client, TRUE);
  g_signal_connect (t->client, "disconnected", G_CALLBACK (disconnected_cb), t);
  g_signal_connect (t->client, "stanzas-acked", G_CALLBACK (stanzas_acked_cb), t);
  g_signal_connect (t->client, "stanzas-unacked", G_CALLBACK (stanzas_unacked_cb), t);
  g_signal_connect (t->client, "resumed", G_CALLBACK (resumed_signal_cb), t);
  xmpp_client_add_handler (t->client, "message", NULL, NULL, NULL, defer_handler_cb, t, NULL);
  return t;
}

static void
test_free (Test *t)
{
  g_signal_handlers_disconnect_by_data (t->client, t);
  g_assert_finalize_object (t->client);
  fake_server_free (t->server);
  g_clear_error (&t->connect_error);
  g_clear_error (&t->disconnect_error);
  g_ptr_array_unref (t->fates);
  g_ptr_array_unref (t->acked_ids);
  g_ptr_array_unref (t->unacked_ids);
  g_array_unref (t->tokens);
  g_free (t);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Test *t = user_data;

  xmpp_client_connect_finish (XMPP_CLIENT (source), result, &t->connect_error);
  t->connect_done = TRUE;
}

static void
test_connect (Test *t)
{
  fake_server_start (t->server);
  xmpp_client_connect_async (t->client, NULL, connect_cb, t);
  WAIT_UNTIL (t->connect_done);
  g_assert_no_error (t->connect_error);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_CONNECTED);
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Test *t = user_data;

  xmpp_client_resume_finish (XMPP_CLIENT (source), result, &t->resumed, &t->connect_error);
  t->connect_done = TRUE;
}

static void
test_resume (Test *t)
{
  t->connect_done = FALSE;
  t->resumed = FALSE;
  g_clear_error (&t->connect_error);
  xmpp_client_resume_async (t->client, NULL, resume_cb, t);
  WAIT_UNTIL (t->connect_done);
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;

  g_assert_true (xmpp_client_close_finish (XMPP_CLIENT (source), result, NULL));
  *done = TRUE;
}

static void
test_close (Test *t)
{
  gboolean done = FALSE;

  xmpp_client_close_async (t->client, NULL, close_cb, &done);
  WAIT_UNTIL (done);
}

/* Cut the connection under TLS and wait until the client noticed. */
static void
test_drop (Test *t)
{
  guint before = t->disconnects;

  fake_server_drop (t->server);
  WAIT_UNTIL (t->disconnects > before);
  g_assert_error (t->disconnect_error, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
}

static void
acked_cb (XmppClient  *client,
          XmppElement *stanza,
          gboolean     acked,
          gpointer     user_data)
{
  Test *t = user_data;
  Fate *fate = g_new0 (Fate, 1);

  fate->id = g_strdup (xmpp_element_get_attribute (stanza, "id"));
  fate->acked = acked;
  g_ptr_array_add (t->fates, fate);
}

static void
destroy_cb (gpointer user_data)
{
  Test *t = user_data;

  t->destroyed++;
}

static void
send_message (Test       *t,
              const char *id,
              gboolean    tracked)
{
  g_autoptr(XmppElement) message = xmpp_element_new (XMPP_NS_CLIENT, "message");

  xmpp_element_set_attribute (message, "to", "bob@" DOMAIN);
  xmpp_element_set_attribute (message, "type", "chat");
  xmpp_element_set_attribute (message, "id", id);
  xmpp_element_add_child_with_text (message, NULL, "body", id);
  if (tracked)
    xmpp_client_send_tracked (t->client, message, acked_cb, t, destroy_cb);
  else
    xmpp_client_send (t->client, message);
}

static void
server_message (FakeServer *fs,
                const char *id,
                const char *body)
{
  g_autofree char *xml = g_strdup_printf ("<message from='bob@" DOMAIN "/phone' to='" USER_JID "/desk' "
                                          "type='chat' id='%s'><body>%s</body></message>", id, body);

  fake_server_write (fs, xml);
}

static guint
count_elements (FakeServer *fs,
                const char *ns,
                const char *name,
                guint       from)
{
  guint n = 0;

  for (guint i = from; i < fs->elements->len; i++)
    if (xmpp_element_is (fs->elements->pdata[i], ns, name))
      n++;
  return n;
}

/* The @n-th (from 0) element @ns:@name the server received from index
 * @from on, or NULL. */
static XmppElement *
nth_element (FakeServer *fs,
             const char *ns,
             const char *name,
             guint       from,
             guint       n)
{
  for (guint i = from; i < fs->elements->len; i++)
    if (xmpp_element_is (fs->elements->pdata[i], ns, name) && n-- == 0)
      return fs->elements->pdata[i];
  return NULL;
}

static guint
index_of (FakeServer *fs,
          const char *ns,
          const char *name,
          guint       from)
{
  for (guint i = from; i < fs->elements->len; i++)
    if (xmpp_element_is (fs->elements->pdata[i], ns, name))
      return i;
  return G_MAXUINT;
}

static guint
index_of_id (FakeServer *fs,
             const char *id,
             guint       from)
{
  for (guint i = from; i < fs->elements->len; i++)
    if (g_strcmp0 (xmpp_element_get_attribute (fs->elements->pdata[i], "id"), id) == 0)
      return i;
  return G_MAXUINT;
}

/* The h of the last <a/> the server received, -1 without one. */
static gint64
last_ack (FakeServer *fs)
{
  for (guint i = fs->elements->len; i > 0; i--)
    if (xmpp_element_is (fs->elements->pdata[i - 1], XMPP_NS_SM, "a"))
      return g_ascii_strtoll (xmpp_element_get_attribute (fs->elements->pdata[i - 1], "h"), NULL, 10);
  return -1;
}

static guint
count_acks (FakeServer *fs)
{
  return count_elements (fs, XMPP_NS_SM, "a", 0);
}

static void
assert_fate (Test       *t,
             guint       i,
             const char *id,
             gboolean    acked)
{
  Fate *fate;

  g_assert_cmpuint (t->fates->len, >, i);
  fate = t->fates->pdata[i];
  g_assert_cmpstr (fate->id, ==, id);
  g_assert_cmpint (fate->acked, ==, acked);
}

static gboolean
elapsed_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Spin the main context for @ms milliseconds (for "nothing happens"). */
static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, elapsed_cb, &done);
  WAIT_UNTIL (done);
}

/* Tests: enabling */

static void
test_enable (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  guint bind_at, enable_at;
  XmppElement *enable;

  fs->sm_resume = TRUE;
  test_connect (t);

  /* After bind, asking for resumption; connect finished after <enabled/>. */
  bind_at = index_of (fs, XMPP_NS_CLIENT, "iq", 0);
  enable_at = index_of (fs, XMPP_NS_SM, "enable", 0);
  g_assert_cmpuint (bind_at, <, enable_at);
  g_assert_nonnull (xmpp_element_find_child (fs->elements->pdata[bind_at], XMPP_NS_BIND, "bind"));
  enable = fs->elements->pdata[enable_at];
  g_assert_cmpstr (xmpp_element_get_attribute (enable, "resume"), ==, "true");
  g_assert_true (xmpp_client_get_stream_management (t->client));
  g_assert_true (fs->sm_enabled);
  g_assert_false (xmpp_client_can_resume (t->client));

  /* An <r/> from the server is answered with what was handled. */
  server_message (fs, "in1", "hello");
  fake_server_write (fs, "<r xmlns='" XMPP_NS_SM "'/>");
  WAIT_UNTIL (last_ack (fs) == 1);

  /* An orderly close ends the session: nothing left to resume. */
  test_close (t);
  g_assert_false (xmpp_client_get_stream_management (t->client));
  g_assert_false (xmpp_client_can_resume (t->client));
  test_free (t);
}

static void
test_enable_variants (void)
{
  struct
  {
    FakeServerSm server;
    gboolean     use;
    gboolean     enable_sent;
    gboolean     enabled;
  } cases[] = {
    { FAKE_SERVER_SM_ENABLE, TRUE, TRUE, TRUE },
    { FAKE_SERVER_SM_NONE, TRUE, FALSE, FALSE },
    { FAKE_SERVER_SM_REFUSE, TRUE, TRUE, FALSE },
    { FAKE_SERVER_SM_ENABLE, FALSE, FALSE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FakeServer *fs = fake_server_new ();
      Test *t = test_new (fs);

      fs->sm = cases[i].server;
      xmpp_client_set_use_stream_management (t->client, cases[i].use);
      test_connect (t);
      g_assert_cmpint (index_of (fs, XMPP_NS_SM, "enable", 0) != G_MAXUINT, ==, cases[i].enable_sent);
      g_assert_cmpint (xmpp_client_get_stream_management (t->client), ==, cases[i].enabled);

      /* Tracked stanzas are confirmed either way. */
      send_message (t, "m1", TRUE);
      WAIT_UNTIL (t->fates->len == 1);
      assert_fate (t, 0, "m1", TRUE);
      g_assert_cmpuint (t->destroyed, ==, 1);
      /* Only stream management says so in <r/> and the signal. */
      g_assert_cmpuint (fs->n_sm_requests > 0, ==, cases[i].enabled);
      g_assert_cmpuint (t->acked_ids->len, ==, cases[i].enabled ? 1 : 0);

      test_close (t);
      test_free (t);
    }
}

static void
test_enable_timeout (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  fs->sm = FAKE_SERVER_SM_SILENT;
  xmpp_client_set_iq_timeout (t->client, 1);
  fake_server_start (fs);
  xmpp_client_connect_async (t->client, NULL, connect_cb, t);
  WAIT_UNTIL (t->connect_done);
  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_TIMEOUT);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  g_assert_false (xmpp_client_can_resume (t->client));
  test_free (t);
}

/* Tests: acknowledgements */

static void
test_acks (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  fs->sm_manual_acks = TRUE;
  test_connect (t);

  /* One burst, one request. */
  send_message (t, "m1", TRUE);
  send_message (t, "p1", FALSE);
  send_message (t, "m2", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);
  g_assert_cmpuint (fs->sm_h, ==, 3);
  g_assert_cmpuint (t->fates->len, ==, 0);

  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='2'/>");
  WAIT_UNTIL (t->fates->len == 1);
  assert_fate (t, 0, "m1", TRUE);
  g_assert_cmpuint (t->acked_ids->len, ==, 2);
  g_assert_cmpstr (t->acked_ids->pdata[0], ==, "m1");
  g_assert_cmpstr (t->acked_ids->pdata[1], ==, "p1");

  /* The same h again: nothing. */
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='2'/><a xmlns='" XMPP_NS_SM "' h='3'/>");
  WAIT_UNTIL (t->fates->len == 2);
  assert_fate (t, 1, "m2", TRUE);
  g_assert_cmpuint (t->acked_ids->len, ==, 3);
  g_assert_cmpuint (t->destroyed, ==, 2);

  /* Many stanzas: a request at least every 20. */
  for (guint i = 0; i < 45; i++)
    {
      g_autofree char *id = g_strdup_printf ("b%u", i);
      send_message (t, id, FALSE);
    }
  WAIT_UNTIL (fs->n_sm_requests == 4);
  g_assert_cmpuint (fs->sm_h, ==, 48);
  g_assert_cmpuint (index_of (fs, XMPP_NS_SM, "r", index_of_id (fs, "b0", 0)), ==,
                    index_of_id (fs, "b19", 0) + 1);
  g_assert_cmpuint (index_of (fs, XMPP_NS_SM, "r", index_of_id (fs, "b20", 0)), ==,
                    index_of_id (fs, "b39", 0) + 1);
  run_for (100);
  g_assert_cmpuint (fs->n_sm_requests, ==, 4);

  test_close (t);
  test_free (t);
}

static void
test_ack_wrap (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  fs->sm_manual_acks = TRUE;
  test_connect (t);
  _xmpp_client_set_sm_counts (t->client, G_MAXUINT32 - 1, G_MAXUINT32 - 1);

  send_message (t, "m1", TRUE);
  send_message (t, "m2", TRUE);
  send_message (t, "m3", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  /* 2^32 − 2 + 2 = 0: the first two. */
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='0'/>");
  WAIT_UNTIL (t->fates->len == 2);
  assert_fate (t, 0, "m1", TRUE);
  assert_fate (t, 1, "m2", TRUE);
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='1'/>");
  WAIT_UNTIL (t->fates->len == 3);
  assert_fate (t, 2, "m3", TRUE);

  /* Inbound: three more after 2^32 − 2 handled is 1. */
  server_message (fs, "in1", "one");
  server_message (fs, "in2", "two");
  server_message (fs, "in3", "three");
  fake_server_write (fs, "<r xmlns='" XMPP_NS_SM "'/>");
  WAIT_UNTIL (last_ack (fs) == 1);

  test_close (t);
  test_free (t);
}

static void
test_handled_count_too_high (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  XmppElement *error_el;
  XmppElement *too_high;

  fs->sm_manual_acks = TRUE;
  test_connect (t);
  send_message (t, "m1", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='5'/>");
  WAIT_UNTIL (t->disconnects == 1);
  g_assert_error (t->disconnect_error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  WAIT_UNTIL (fs->eof || fs->client_closed);
  error_el = fake_server_find (fs, XMPP_NS_STREAM, "error", NULL);
  g_assert_nonnull (error_el);
  g_assert_nonnull (xmpp_element_find_child (error_el, XMPP_NS_STREAMS, "undefined-condition"));
  too_high = xmpp_element_find_child (error_el, XMPP_NS_SM, "handled-count-too-high");
  g_assert_nonnull (too_high);
  g_assert_cmpstr (xmpp_element_get_attribute (too_high, "h"), ==, "5");
  g_assert_cmpstr (xmpp_element_get_attribute (too_high, "send-count"), ==, "1");

  /* Nothing of it can be resumed. */
  assert_fate (t, 0, "m1", FALSE);
  g_assert_cmpuint (t->unacked_ids->len, ==, 1);
  g_assert_false (xmpp_client_can_resume (t->client));
  test_free (t);
}

static void
test_deferred_acks (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  test_connect (t);
  g_assert_cmpuint (xmpp_client_defer_ack (t->client), ==, 0);
  xmpp_client_complete_ack (t->client, 0);

  server_message (fs, "d1", "defer one");
  server_message (fs, "d2", "defer two");
  server_message (fs, "n3", "plain");
  fake_server_write (fs, "<r xmlns='" XMPP_NS_SM "'/>");
  WAIT_UNTIL (count_acks (fs) == 1);
  g_assert_cmpuint (t->tokens->len, ==, 2);
  g_assert_cmpint (last_ack (fs), ==, 0);

  /* The second completing first: still held back by the first. */
  xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, 1));
  run_for (100);
  g_assert_cmpuint (count_acks (fs), ==, 1);

  /* The first: an unrequested <a/> with everything. */
  xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, 0));
  WAIT_UNTIL (count_acks (fs) == 2);
  g_assert_cmpint (last_ack (fs), ==, 3);
  /* Completing again does nothing. */
  xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, 0));

  /* Unasked too, once handled; a plain one right after it. */
  server_message (fs, "d4", "defer four");
  WAIT_UNTIL (t->tokens->len == 3);
  run_for (100);
  g_assert_cmpuint (count_acks (fs), ==, 2);
  xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, 2));
  WAIT_UNTIL (count_acks (fs) == 3);
  g_assert_cmpint (last_ack (fs), ==, 4);
  server_message (fs, "n5", "plain");
  WAIT_UNTIL (count_acks (fs) == 4);
  g_assert_cmpint (last_ack (fs), ==, 5);
  fake_server_write (fs, "<r xmlns='" XMPP_NS_SM "'/>");
  WAIT_UNTIL (count_acks (fs) == 5);
  g_assert_cmpint (last_ack (fs), ==, 5);

  test_close (t);
  test_free (t);
}

/* Flow control: with 1,000 deferred stanzas still open the client stops
 * reading, and goes on once half of them are completed; with or without
 * stream management. */
static void
test_flow_control (gconstpointer data)
{
  gboolean with_sm = GPOINTER_TO_INT (data);
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  const guint total = 1300;
  guint held_at;

  if (!with_sm)
    fs->sm = FAKE_SERVER_SM_NONE;
  test_connect (t);

  /* In slices, so that the socket's buffers never fill while the client
   * still reads: the server's writes block. */
  for (guint sent = 0; sent < total; )
    {
      g_autoptr(GString) batch = g_string_new (NULL);

      for (guint i = 0; i < 100; i++, sent++)
        g_string_append_printf (batch, "<message from='bob@" DOMAIN "/phone' to='" USER_JID "/desk' "
                                "type='chat' id='f%u'><body>defer %u</body></message>", sent, sent);
      fake_server_write (fs, batch->str);
      run_for (20);
    }
  run_for (300);
  held_at = t->tokens->len;
  g_test_message ("reading held after %u stanzas", held_at);
  g_assert_cmpuint (held_at, >=, 1000);
  g_assert_cmpuint (held_at, <, total);
  for (guint i = 0; i < held_at; i++)
    g_assert_cmpuint (g_array_index (t->tokens, guint64, i), !=, 0);

  /* 400 done: 600 still open, more than half, still held. */
  for (guint i = 0; i < 400; i++)
    xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, i));
  run_for (200);
  g_assert_cmpuint (t->tokens->len, ==, held_at);
  /* 200 more: reading goes on, to the end. */
  for (guint i = 400; i < 600; i++)
    xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, i));
  WAIT_UNTIL (t->tokens->len == total);

  for (guint i = 600; i < total; i++)
    xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, i));
  if (with_sm)
    {
      fake_server_write (fs, "<r xmlns='" XMPP_NS_SM "'/>");
      WAIT_UNTIL (last_ack (fs) == (gint64) total);
    }

  test_close (t);
  test_free (t);
}

/* A stanza nobody tracks is kept as the bytes written: reported acked, it
 * is the same stanza, escapes, namespaces and all. */
static void
stanzas_acked_copy_cb (XmppClient *client,
                       GPtrArray  *stanzas,
                       GPtrArray  *copies)
{
  for (guint i = 0; i < stanzas->len; i++)
    g_ptr_array_add (copies, xmpp_element_copy (stanzas->pdata[i]));
}

static void
test_untracked_as_sent (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
  g_autoptr(XmppElement) message = xmpp_element_new (XMPP_NS_CLIENT, "message");
  g_autoptr(GString) sent = g_string_new (NULL);
  g_autoptr(GString) reported = g_string_new (NULL);
  XmppElement *received;

  fs->sm_manual_acks = TRUE;
  test_connect (t);
  g_signal_connect (t->client, "stanzas-acked", G_CALLBACK (stanzas_acked_copy_cb), copies);

  xmpp_element_set_attribute (message, "id", "x1");
  xmpp_element_set_attribute (message, "to", "bob@" DOMAIN "/phone");
  xmpp_element_add_child_with_text (message, NULL, "body", "a < b & 'c' \"d\" \xe4\xbd\xa0\xe5\xa5\xbd");
  received = xmpp_element_add_child_new (message, "urn:xmpp:receipts", "received");
  xmpp_element_set_attribute (received, "id", "m0");
  xmpp_element_add_child_new (message, "urn:xmpp:hints", "store");
  xmpp_client_send (t->client, message);
  WAIT_UNTIL (fs->n_sm_requests == 1);
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='1'/>");
  WAIT_UNTIL (copies->len == 1);

  g_assert_true (xmpp_element_is (copies->pdata[0], XMPP_NS_CLIENT, "message"));
  g_assert_cmpstr (xmpp_element_find_child_text (copies->pdata[0], NULL, "body"), ==,
                   "a < b & 'c' \"d\" \xe4\xbd\xa0\xe5\xa5\xbd");
  g_assert_nonnull (xmpp_element_find_child (copies->pdata[0], "urn:xmpp:receipts", "received"));
  xmpp_element_serialize (message, sent, XMPP_NS_CLIENT);
  xmpp_element_serialize (copies->pdata[0], reported, XMPP_NS_CLIENT);
  g_assert_cmpstr (reported->str, ==, sent->str);

  /* A big one (kept as its element) comes back the same too. */
  {
    g_autoptr(XmppElement) big = xmpp_element_new (XMPP_NS_CLIENT, "message");
    g_autofree char *text = g_strnfill (40 * 1024, 'z');

    xmpp_element_set_attribute (big, "id", "x2");
    xmpp_element_add_child_with_text (big, NULL, "body", text);
    xmpp_client_send (t->client, big);
    WAIT_UNTIL (fs->sm_h == 2);
    fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='2'/>");
    WAIT_UNTIL (copies->len == 2);
    g_assert_cmpstr (xmpp_element_get_attribute (copies->pdata[1], "id"), ==, "x2");
    g_assert_cmpstr (xmpp_element_find_child_text (copies->pdata[1], NULL, "body"), ==, text);
  }

  g_signal_handlers_disconnect_by_func (t->client, stanzas_acked_copy_cb, copies);
  test_close (t);
  test_free (t);
}

static void
test_close_acks (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  guint a_at, r_at;

  fs->sm_resume = TRUE;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  server_message (fs, "in1", "plain");
  send_message (t, "m1", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  /* Our count and a request go before the closing tag; the server's
   * answer still counts. */
  fs->sm_manual_acks = FALSE;
  test_close (t);
  a_at = index_of (fs, XMPP_NS_SM, "a", 0);
  r_at = index_of (fs, XMPP_NS_SM, "r", a_at);
  g_assert_cmpuint (a_at, <, r_at);
  g_assert_cmpuint (r_at, !=, G_MAXUINT);
  g_assert_cmpint (last_ack (fs), ==, 1);
  g_assert_true (fs->client_closed);
  assert_fate (t, 0, "m1", TRUE);
  g_assert_cmpuint (t->unacked_ids->len, ==, 0);
  g_assert_false (xmpp_client_can_resume (t->client));
  test_free (t);
}

static void
test_close_unacked (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  fs->sm_resume = TRUE;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  send_message (t, "m1", TRUE);
  send_message (t, "p1", FALSE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  /* Never acknowledged: reported when the session ends. */
  test_close (t);
  assert_fate (t, 0, "m1", FALSE);
  g_assert_cmpuint (t->unacked_ids->len, ==, 2);
  g_assert_cmpstr (t->unacked_ids->pdata[0], ==, "m1");
  g_assert_cmpstr (t->unacked_ids->pdata[1], ==, "p1");
  g_assert_cmpuint (t->destroyed, ==, 1);
  g_assert_false (xmpp_client_can_resume (t->client));
  test_free (t);
}

static void
test_lost_without_resumption (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  /* Enabled without resumption. */
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  g_assert_true (xmpp_client_get_stream_management (t->client));
  send_message (t, "m1", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  test_drop (t);
  g_assert_false (xmpp_client_can_resume (t->client));
  assert_fate (t, 0, "m1", FALSE);
  g_assert_cmpuint (t->unacked_ids->len, ==, 1);
  test_free (t);
}

static void
test_not_connected (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);

  /* Reported from the main loop, never from within the call. */
  send_message (t, "m1", TRUE);
  g_assert_cmpuint (t->fates->len, ==, 0);
  WAIT_UNTIL (t->fates->len == 1);
  assert_fate (t, 0, "m1", FALSE);
  g_assert_cmpuint (t->destroyed, ==, 1);
  test_free (t);
}

/* Tests: resumption */

static void
test_resume_resend (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  g_autofree char *bound = NULL;
  XmppElement *resume;
  guint mark;

  fs->sm_resume = TRUE;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  bound = g_strdup (xmpp_jid_to_string (xmpp_client_get_bound_jid (t->client)));

  send_message (t, "m1", TRUE);
  send_message (t, "m2", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='1'/>");
  WAIT_UNTIL (t->fates->len == 1);
  assert_fate (t, 0, "m1", TRUE);

  /* One handled, one still being stored. */
  server_message (fs, "in1", "plain");
  server_message (fs, "in2", "defer me");
  WAIT_UNTIL (t->tokens->len == 1);

  test_drop (t);
  g_assert_true (xmpp_client_can_resume (t->client));
  g_assert_false (xmpp_client_get_stream_management (t->client));
  g_assert_cmpuint (t->fates->len, ==, 1);
  g_assert_cmpuint (t->unacked_ids->len, ==, 0);

  /* The server never handled m2. */
  fs->sm_h = 1;
  mark = fs->elements->len;
  test_resume (t);
  g_assert_no_error (t->connect_error);
  g_assert_true (t->resumed);
  g_assert_cmpuint (t->resumed_signals, ==, 1);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_CONNECTED);
  g_assert_true (xmpp_client_get_stream_management (t->client));
  g_assert_false (xmpp_client_can_resume (t->client));
  g_assert_cmpstr (xmpp_jid_to_string (xmpp_client_get_bound_jid (t->client)), ==, bound);

  /* <resume/> with what was handled: in2 was not. */
  resume = nth_element (fs, XMPP_NS_SM, "resume", mark, 0);
  g_assert_nonnull (resume);
  g_assert_cmpstr (xmpp_element_get_attribute (resume, "previd"), ==, "sm-1");
  g_assert_cmpstr (xmpp_element_get_attribute (resume, "h"), ==, "1");
  /* No bind, no session, no new <enable/>. */
  g_assert_cmpuint (count_elements (fs, XMPP_NS_CLIENT, "iq", mark), ==, 0);
  g_assert_cmpuint (count_elements (fs, XMPP_NS_SM, "enable", mark), ==, 0);

  /* m2 again, after <resume/>, and asked about. */
  WAIT_UNTIL (index_of_id (fs, "m2", mark) != G_MAXUINT && fs->n_sm_requests == 2);
  g_assert_cmpuint (index_of_id (fs, "m2", mark), >, index_of (fs, XMPP_NS_SM, "resume", mark));
  g_assert_cmpuint (fs->sm_h, ==, 2);
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='2'/>");
  WAIT_UNTIL (t->fates->len == 2);
  assert_fate (t, 1, "m2", TRUE);
  g_assert_cmpuint (t->unacked_ids->len, ==, 0);

  /* The old deferral is void; in2 comes again and is deferred again. */
  xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, 0));
  server_message (fs, "in2", "defer me");
  fake_server_write (fs, "<r xmlns='" XMPP_NS_SM "'/>");
  WAIT_UNTIL (t->tokens->len == 2 && count_elements (fs, XMPP_NS_SM, "a", mark) == 1);
  g_assert_cmpint (last_ack (fs), ==, 1);
  xmpp_client_complete_ack (t->client, g_array_index (t->tokens, guint64, 1));
  WAIT_UNTIL (count_elements (fs, XMPP_NS_SM, "a", mark) == 2);
  g_assert_cmpint (last_ack (fs), ==, 2);

  test_close (t);
  test_free (t);
}

static void
test_resume_refused (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  guint mark, resume_at, bind_at, enable_at;

  fs->sm_resume = TRUE;
  fs->sm_refuse_resume = TRUE;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  send_message (t, "m1", TRUE);
  send_message (t, "p1", FALSE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  test_drop (t);
  g_assert_true (xmpp_client_can_resume (t->client));
  mark = fs->elements->len;
  test_resume (t);
  g_assert_no_error (t->connect_error);
  g_assert_false (t->resumed);
  g_assert_cmpuint (t->resumed_signals, ==, 0);

  /* Refused, then a new session: bind and enable. */
  resume_at = index_of (fs, XMPP_NS_SM, "resume", mark);
  bind_at = index_of (fs, XMPP_NS_CLIENT, "iq", mark);
  enable_at = index_of (fs, XMPP_NS_SM, "enable", mark);
  g_assert_cmpuint (resume_at, <, bind_at);
  g_assert_cmpuint (bind_at, <, enable_at);
  g_assert_cmpuint (enable_at, !=, G_MAXUINT);
  g_assert_true (xmpp_client_get_stream_management (t->client));

  /* What the old session never acknowledged, for the app to resend. */
  g_assert_cmpuint (t->unacked_ids->len, ==, 2);
  g_assert_cmpstr (t->unacked_ids->pdata[0], ==, "m1");
  g_assert_cmpstr (t->unacked_ids->pdata[1], ==, "p1");
  assert_fate (t, 0, "m1", FALSE);
  g_assert_cmpuint (t->destroyed, ==, 1);
  g_assert_cmpuint (count_elements (fs, XMPP_NS_CLIENT, "message", mark), ==, 0);

  /* The new session counts from 0. */
  send_message (t, "m3", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 2);
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='1'/>");
  WAIT_UNTIL (t->fates->len == 2);
  assert_fate (t, 1, "m3", TRUE);

  test_close (t);
  test_free (t);
}

static void
test_resume_expired (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  guint mark;

  fs->sm_resume = TRUE;
  fs->sm_max = 1;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  send_message (t, "m1", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);

  test_drop (t);
  g_assert_true (xmpp_client_can_resume (t->client));
  run_for (1100);
  g_assert_false (xmpp_client_can_resume (t->client));

  /* Past the server's max: not even tried. */
  mark = fs->elements->len;
  test_resume (t);
  g_assert_no_error (t->connect_error);
  g_assert_false (t->resumed);
  g_assert_cmpuint (count_elements (fs, XMPP_NS_SM, "resume", mark), ==, 0);
  g_assert_cmpuint (index_of (fs, XMPP_NS_CLIENT, "iq", mark), !=, G_MAXUINT);
  assert_fate (t, 0, "m1", FALSE);
  g_assert_cmpuint (t->unacked_ids->len, ==, 1);

  /* The new session asks about its own first stanza. */
  send_message (t, "m2", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 2);
  fake_server_write (fs, "<a xmlns='" XMPP_NS_SM "' h='1'/>");
  WAIT_UNTIL (t->fates->len == 2);
  assert_fate (t, 1, "m2", TRUE);

  test_close (t);
  test_free (t);
}

static void
test_resume_retry (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  guint mark;

  fs->sm_resume = TRUE;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  send_message (t, "m1", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);
  test_drop (t);

  /* An attempt that fails before <resume/> keeps the session. */
  xmpp_client_set_password (t->client, "wrong");
  test_resume (t);
  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_AUTHENTICATION_FAILED);
  g_assert_true (xmpp_client_can_resume (t->client));
  g_assert_cmpuint (t->fates->len, ==, 0);
  g_assert_cmpuint (t->unacked_ids->len, ==, 0);

  fake_server_drop (fs);
  xmpp_client_set_password (t->client, PASSWORD);
  mark = fs->elements->len;
  test_resume (t);
  g_assert_no_error (t->connect_error);
  g_assert_true (t->resumed);

  /* The server had m1: <resumed h='1'/> acknowledges it, nothing is
   * sent again. */
  assert_fate (t, 0, "m1", TRUE);
  g_assert_cmpuint (t->acked_ids->len, ==, 1);
  run_for (100);
  g_assert_cmpuint (count_elements (fs, XMPP_NS_CLIENT, "message", mark), ==, 0);

  test_close (t);
  test_free (t);
}

static void
test_fresh_connect_ends_session (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  guint mark;

  fs->sm_resume = TRUE;
  fs->sm_manual_acks = TRUE;
  test_connect (t);
  send_message (t, "m1", TRUE);
  WAIT_UNTIL (fs->n_sm_requests == 1);
  test_drop (t);
  g_assert_true (xmpp_client_can_resume (t->client));

  /* The app chose a new session. */
  mark = fs->elements->len;
  t->connect_done = FALSE;
  xmpp_client_connect_async (t->client, NULL, connect_cb, t);
  g_assert_cmpuint (t->unacked_ids->len, ==, 1);
  assert_fate (t, 0, "m1", FALSE);
  WAIT_UNTIL (t->connect_done);
  g_assert_no_error (t->connect_error);
  g_assert_cmpuint (count_elements (fs, XMPP_NS_SM, "resume", mark), ==, 0);
  g_assert_true (xmpp_client_get_stream_management (t->client));

  test_close (t);
  test_free (t);
}

/* XmppPresenceManager keeps others' presence while the session can be
 * resumed, and forgets it once a refused resumption bound a new one. */
static void
presence_changed_cb (XmppPresenceManager *manager,
                     XmppJid             *bare,
                     guint               *changes)
{
  (*changes)++;
}

static void
test_presence_across_resumption (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs);
  g_autoptr(XmppPresenceManager) presence = NULL;
  g_autoptr(XmppJid) bob = xmpp_jid_new ("bob@" FAKE_SERVER_DOMAIN, NULL);
  guint changes = 0;

  fs->sm_resume = TRUE;
  test_connect (t);
  presence = xmpp_presence_manager_new (t->client, NULL);
  g_signal_connect (presence, "changed", G_CALLBACK (presence_changed_cb), &changes);
  fake_server_write (fs, "<presence from='bob@" FAKE_SERVER_DOMAIN "/phone' to='" USER_JID "/desk'>"
                         "<show>away</show></presence>");
  WAIT_UNTIL (xmpp_presence_manager_get_show (presence, bob, NULL) == XMPP_SHOW_AWAY);
  g_assert_cmpuint (changes, ==, 1);

  /* Lost, resumable: kept; resumed: still there. */
  test_drop (t);
  g_assert_true (xmpp_client_can_resume (t->client));
  g_assert_cmpint (xmpp_presence_manager_get_show (presence, bob, NULL), ==, XMPP_SHOW_AWAY);
  test_resume (t);
  g_assert_no_error (t->connect_error);
  g_assert_true (t->resumed);
  g_assert_cmpint (xmpp_presence_manager_get_show (presence, bob, NULL), ==, XMPP_SHOW_AWAY);
  g_assert_cmpuint (changes, ==, 1);

  /* Lost again, and the server has forgotten the session: a new one
   * knows nobody's presence. */
  test_drop (t);
  g_assert_cmpint (xmpp_presence_manager_get_show (presence, bob, NULL), ==, XMPP_SHOW_AWAY);
  fs->sm_refuse_resume = TRUE;
  test_resume (t);
  g_assert_no_error (t->connect_error);
  g_assert_false (t->resumed);
  g_assert_cmpint (xmpp_presence_manager_get_show (presence, bob, NULL), ==, XMPP_SHOW_OFFLINE);
  g_assert_cmpuint (changes, ==, 2);

  /* An orderly close forgets too. */
  fake_server_write (fs, "<presence from='bob@" FAKE_SERVER_DOMAIN "/phone' to='" USER_JID "/desk'/>");
  WAIT_UNTIL (xmpp_presence_manager_get_show (presence, bob, NULL) == XMPP_SHOW_AVAILABLE);
  test_close (t);
  g_assert_cmpint (xmpp_presence_manager_get_show (presence, bob, NULL), ==, XMPP_SHOW_OFFLINE);
  g_assert_cmpuint (changes, ==, 4);

  g_clear_object (&presence);
  test_free (t);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fake_server_generate_certificate ();

  g_test_add_func ("/sm/counts/outbound", test_sm_outbound);
  g_test_add_func ("/sm/counts/outbound-wrap", test_sm_outbound_wrap);
  g_test_add_func ("/sm/counts/inbound", test_sm_inbound);
  g_test_add_func ("/sm/counts/inbound-wrap", test_sm_inbound_wrap);
  g_test_add_func ("/sm/enable", test_enable);
  g_test_add_func ("/sm/enable-variants", test_enable_variants);
  g_test_add_func ("/sm/enable-timeout", test_enable_timeout);
  g_test_add_func ("/sm/acks", test_acks);
  g_test_add_func ("/sm/ack-wrap", test_ack_wrap);
  g_test_add_func ("/sm/handled-count-too-high", test_handled_count_too_high);
  g_test_add_func ("/sm/deferred-acks", test_deferred_acks);
  g_test_add_func ("/sm/untracked-as-sent", test_untracked_as_sent);
  g_test_add_data_func ("/sm/flow-control", GINT_TO_POINTER (TRUE), test_flow_control);
  g_test_add_data_func ("/sm/flow-control-without-sm", GINT_TO_POINTER (FALSE), test_flow_control);
  g_test_add_func ("/sm/close-acks", test_close_acks);
  g_test_add_func ("/sm/close-unacked", test_close_unacked);
  g_test_add_func ("/sm/lost-without-resumption", test_lost_without_resumption);
  g_test_add_func ("/sm/not-connected", test_not_connected);
  g_test_add_func ("/sm/resume", test_resume_resend);
  g_test_add_func ("/sm/resume-refused", test_resume_refused);
  g_test_add_func ("/sm/resume-expired", test_resume_expired);
  g_test_add_func ("/sm/resume-retry", test_resume_retry);
  g_test_add_func ("/sm/fresh-connect-ends-session", test_fresh_connect_ends_session);
  g_test_add_func ("/sm/presence-across-resumption", test_presence_across_resumption);

  return g_test_run ();
}
