/* test-client.c: XmppClient against a scripted server in the same process
 *
 * The fake server (fake-server.c) listens on 127.0.0.1 with a self-signed
 * certificate made with GnuTLS, parses what the client sends with
 * XmppParser and answers with XmppSaslServer; each test sets a few options
 * (no STARTTLS, direct TLS, wrong password, tampered signature, session
 * mode, a hook for stanzas) and checks what both sides saw.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "fake-server.h"

#define DOMAIN   FAKE_SERVER_DOMAIN
#define USER_JID FAKE_SERVER_USER_JID
#define PASSWORD FAKE_SERVER_PASSWORD

/* The client side */

typedef struct
{
  FakeServer   *server;
  XmppClient   *client;
  gboolean      connect_done;
  GError       *connect_error;
  gboolean      disconnected;
  GError       *disconnect_error;
  GArray       *states;
} Test;

static void
state_changed_cb (XmppClient *client,
                  int         state,
                  Test       *t)
{
  g_array_append_val (t->states, state);
}

static void
disconnected_cb (XmppClient   *client,
                 const GError *error,
                 Test         *t)
{
  g_assert_false (t->disconnected);
  t->disconnected = TRUE;
  t->disconnect_error = error != NULL ? g_error_copy (error) : NULL;
}

static Test *
test_new (FakeServer *fs,
          gboolean    pin)
{
  Test *t = g_new0 (Test, 1);
  g_autoptr(XmppJid) jid = xmpp_jid_new (USER_JID, NULL);

  t->server = fs;
  t->states = g_array_new (FALSE, FALSE, sizeof (int));
  t->client = xmpp_client_new (jid, PASSWORD);
  xmpp_client_set_server (t->client, "127.0.0.1", fs->port);
  if (pin)
    xmpp_client_set_pinned_fingerprint (t->client, fake_server_get_fingerprint ());
  g_signal_connect (t->client, "state-changed", G_CALLBACK (state_changed_cb), t);
  g_signal_connect (t->client, "disconnected", G_CALLBACK (disconnected_cb), t);
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
  g_array_unref (t->states);
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
}

typedef struct
{
  gboolean     done;
  XmppElement *reply;
  GError      *error;
} IqResult;

static void
iq_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  IqResult *r = user_data;

  r->reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
iq_result_clear (IqResult *r)
{
  g_clear_pointer (&r->reply, xmpp_element_unref);
  g_clear_error (&r->error);
  r->done = FALSE;
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (xmpp_client_close_finish (XMPP_CLIENT (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_close (Test *t)
{
  gboolean done = FALSE;

  xmpp_client_close_async (t->client, NULL, close_cb, &done);
  WAIT_UNTIL (done);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
}

static gboolean
states_contain (Test            *t,
                XmppClientState  state)
{
  for (guint i = 0; i < t->states->len; i++)
    if (g_array_index (t->states, int, i) == (int) state)
      return TRUE;
  return FALSE;
}

/* Tests: helpers that need no network */

static void
test_fingerprint_normalize (void)
{
  const char *canonical = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                          "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
  g_autofree char *a = xmpp_fingerprint_normalize ("abcdef0123456789abcdef0123456789"
                                                   "abcdef0123456789abcdef0123456789");
  g_autofree char *b = xmpp_fingerprint_normalize ("ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
                                                   "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89");
  g_autofree char *c = xmpp_fingerprint_normalize ("AB CD EF 01 23 45 67 89 AB CD EF 01 23 45 67 89 "
                                                   "AB CD EF 01 23 45 67 89 AB CD EF 01 23 45 67 89");
  g_autofree char *d = xmpp_fingerprint_normalize (canonical);

  g_assert_cmpstr (a, ==, canonical);
  g_assert_cmpstr (b, ==, canonical);
  g_assert_cmpstr (c, ==, canonical);
  g_assert_cmpstr (d, ==, canonical);
  g_assert_null (xmpp_fingerprint_normalize (NULL));
  g_assert_null (xmpp_fingerprint_normalize (""));
  g_assert_null (xmpp_fingerprint_normalize ("AB:CD"));
  g_assert_null (xmpp_fingerprint_normalize ("A:BCD"));
  g_assert_null (xmpp_fingerprint_normalize ("zz"));
  /* SHA-1 length is not a SHA-256 fingerprint. */
  g_assert_null (xmpp_fingerprint_normalize ("0123456789abcdef0123456789abcdef01234567"));
}

static void
test_stanza_helpers (void)
{
  g_autoptr(XmppElement) iq = xmpp_stanza_new_iq ("get", "bob@" DOMAIN "/x", "q1");
  g_autoptr(XmppElement) result = NULL;
  g_autoptr(XmppElement) error_reply = NULL;
  g_autoptr(GError) error = NULL;
  XmppElement *error_el;

  xmpp_element_set_attribute (iq, "from", USER_JID "/laptop");
  xmpp_element_add_child_new (iq, "urn:example", "query");

  result = xmpp_stanza_new_result_reply (iq);
  g_assert_cmpstr (xmpp_element_get_attribute (result, "type"), ==, "result");
  g_assert_cmpstr (xmpp_element_get_attribute (result, "id"), ==, "q1");
  g_assert_cmpstr (xmpp_element_get_attribute (result, "to"), ==, USER_JID "/laptop");
  g_assert_cmpstr (xmpp_element_get_attribute (result, "from"), ==, "bob@" DOMAIN "/x");
  g_assert_false (xmpp_stanza_get_error (result, &error));
  g_assert_no_error (error);

  error_reply = xmpp_stanza_new_error_reply (iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, "Gone fishing");
  g_assert_cmpstr (xmpp_element_get_attribute (error_reply, "type"), ==, "error");
  g_assert_cmpstr (xmpp_element_get_attribute (error_reply, "id"), ==, "q1");
  error_el = xmpp_element_find_child (error_reply, XMPP_NS_CLIENT, "error");
  g_assert_nonnull (error_el);
  g_assert_cmpstr (xmpp_element_get_attribute (error_el, "type"), ==, "cancel");
  g_assert_nonnull (xmpp_element_find_child (error_el, XMPP_NS_STANZAS, "item-not-found"));

  g_assert_true (xmpp_stanza_get_error (error_reply, &error));
  g_assert_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Gone fishing");
}

/* Tests: negotiation */

static gboolean routing_hook    (FakeServer  *fs,
                                 XmppElement *stanza);
static char    *auth_cbind_flag (FakeServer  *fs);

static void
test_happy_path (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autoptr(XmppElement) iq = NULL;
  IqResult r = { 0 };
  g_autofree char *cbind = NULL;
  XmppElement *header;
  XmppElement *auth;

  fs->hook = routing_hook;
  xmpp_client_set_resource (t->client, "laptop");
  test_connect (t);

  g_assert_no_error (t->connect_error);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_CONNECTED);
  g_assert_cmpstr (xmpp_jid_to_string (xmpp_client_get_bound_jid (t->client)), ==,
                   USER_JID "/laptop");
  g_assert_cmpstr (xmpp_client_get_mechanism (t->client), ==, "SCRAM-SHA-256");
  g_assert_true (xmpp_client_is_secure (t->client));
  g_assert_true (xmpp_client_has_feature (t->client, "urn:xmpp:sm:3", "sm"));
  g_assert_null (xmpp_client_get_certificate_info (t->client));
  g_assert_true (states_contain (t, XMPP_CLIENT_STATE_CONNECTING));
  g_assert_true (states_contain (t, XMPP_CLIENT_STATE_SECURING));
  g_assert_true (states_contain (t, XMPP_CLIENT_STATE_OPEN));
  g_assert_true (states_contain (t, XMPP_CLIENT_STATE_AUTHENTICATING));
  g_assert_true (states_contain (t, XMPP_CLIENT_STATE_BINDING));
  g_assert_cmpint (g_array_index (t->states, int, t->states->len - 1), ==,
                   XMPP_CLIENT_STATE_CONNECTED);

  /* Three streams: plain, after TLS, after SASL; 'from' only under TLS. */
  g_assert_cmpuint (fs->headers->len, ==, 3);
  header = g_ptr_array_index (fs->headers, 0);
  g_assert_cmpstr (xmpp_element_get_attribute (header, "to"), ==, DOMAIN);
  g_assert_null (xmpp_element_get_attribute (header, "from"));
  g_assert_cmpstr (xmpp_element_get_attribute (header, "version"), ==, "1.0");
  g_assert_cmpstr (xmpp_element_get_lang (header), ==, "en");
  header = g_ptr_array_index (fs->headers, 1);
  g_assert_cmpstr (xmpp_element_get_attribute (header, "from"), ==, USER_JID);
  g_assert_true (g_str_has_prefix (fs->log_plain->str, "<?xml version='1.0'?><stream:stream "));
  g_assert_null (strstr (fs->log_plain->str, "<auth"));
  auth = fake_server_find (fs, XMPP_NS_SASL, "auth", NULL);
  g_assert_cmpstr (xmpp_element_get_attribute (auth, "mechanism"), ==, "SCRAM-SHA-256");
  /* We could bind but the server offers no -PLUS: the 'y' flag. */
  cbind = auth_cbind_flag (fs);
  g_assert_cmpstr (cbind, ==, "y");
  g_assert_cmpuint (fs->n_session_iqs, ==, 0);

  /* An iq round trip. */
  iq = xmpp_stanza_new_iq ("get", DOMAIN, NULL);
  xmpp_element_add_child_new (iq, "jabber:iq:version", "query");
  xmpp_client_send_iq_async (t->client, iq, NULL, iq_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpstr (xmpp_element_get_attribute (r.reply, "type"), ==, "result");
  g_assert_cmpstr (xmpp_element_get_attribute (r.reply, "id"), ==,
                   xmpp_element_get_attribute (iq, "id"));
  iq_result_clear (&r);

  test_close (t);
  g_assert_true (fs->client_closed);
  g_assert_true (t->disconnected);
  g_assert_no_error (t->disconnect_error);
  WAIT_UNTIL (fs->eof);

  test_free (t);
}

/* The gs2 header of the client's <auth/>, e.g. "p=tls-exporter". */
static char *
auth_cbind_flag (FakeServer *fs)
{
  XmppElement *auth = fake_server_find (fs, XMPP_NS_SASL, "auth", NULL);
  g_autoptr(GBytes) initial = NULL;
  const char *data;
  gsize len;

  g_assert_nonnull (auth);
  initial = fake_server_decode (xmpp_element_get_text (auth));
  data = g_bytes_get_data (initial, &len);
  return g_strndup (data, strcspn (data, ","));
}

static void
test_channel_binding (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autofree char *cbind = NULL;

  fs->mechanisms = "SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS";
  fs->advertise_cb = TRUE;
  test_connect (t);

  g_assert_no_error (t->connect_error);
  g_assert_cmpstr (xmpp_client_get_mechanism (t->client), ==, "SCRAM-SHA-256-PLUS");
  cbind = auth_cbind_flag (fs);
  g_assert_cmpstr (cbind, ==, "p=tls-exporter");
  test_close (t);
  test_free (t);
}

static void
test_channel_binding_not_advertised (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autofree char *cbind = NULL;

  /* No XEP-0440 list on TLS 1.3: the server may only know tls-unique,
   * which TLS 1.3 does not define (ejabberd 23.01, Prosody 0.12), so the
   * client must not guess a type: it authenticates without binding. */
  fs->mechanisms = "SCRAM-SHA-256-PLUS SCRAM-SHA-256";
  test_connect (t);

  g_assert_no_error (t->connect_error);
  g_assert_cmpint (g_tls_connection_get_protocol_version (xmpp_client_get_tls_connection (t->client)),
                   ==, G_TLS_PROTOCOL_VERSION_TLS_1_3);
  g_assert_cmpstr (xmpp_client_get_mechanism (t->client), ==, "SCRAM-SHA-256");
  cbind = auth_cbind_flag (fs);
  g_assert_cmpstr (cbind, ==, "n");
  test_close (t);
  test_free (t);
}

static void
test_certificate_untrusted (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, FALSE);
  XmppCertificateInfo *info;

  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_CERTIFICATE_UNTRUSTED);
  g_assert_nonnull (strstr (t->connect_error->message, fake_server_get_fingerprint ()));
  g_assert_false (t->disconnected);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);

  info = xmpp_client_get_certificate_info (t->client);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->fingerprint_sha256, ==, fake_server_get_fingerprint ());
  g_assert_true (info->errors & G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_nonnull (strstr (info->subject, "CN=" DOMAIN));
  g_assert_nonnull (strstr (info->issuer, "CN=" DOMAIN));
  g_assert_nonnull (info->not_before);
  g_assert_nonnull (info->not_after);
  g_assert_cmpint (g_date_time_compare (info->not_before, info->not_after), <, 0);

  WAIT_UNTIL (fs->eof);
  g_assert_null (fake_server_find (fs, XMPP_NS_SASL, "auth", NULL));
  test_free (t);
}

static void
test_certificate_wrong_pin (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, FALSE);

  xmpp_client_set_pinned_fingerprint (t->client, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                                                 "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
  test_connect (t);
  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_CERTIFICATE_UNTRUSTED);
  g_assert_cmpstr (xmpp_client_get_certificate_info (t->client)->fingerprint_sha256, ==,
                   fake_server_get_fingerprint ());
  WAIT_UNTIL (fs->eof);
  test_free (t);
}

static void
test_tls_required (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);

  fs->no_starttls = TRUE;
  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_TLS_REQUIRED);
  g_assert_false (t->disconnected);
  WAIT_UNTIL (fs->eof);

  /* Only our header and closing tag went out, nothing secret. */
  g_assert_true (fs->client_closed);
  g_assert_null (fs->tls);
  g_assert_null (strstr (fs->log_all->str, "<auth"));
  g_assert_null (strstr (fs->log_all->str, "alice"));
  g_assert_null (strstr (fs->log_all->str, PASSWORD));
  g_assert_cmpuint (fs->elements->len, ==, 0);
  test_free (t);
}

static void
test_wrong_password (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  XmppSaslErrorCode condition = XMPP_SASL_ERROR_ABORTED;

  fs->password = "something else";
  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_AUTHENTICATION_FAILED);
  g_assert_true (g_str_has_prefix (t->connect_error->message, "not-authorized"));
  g_assert_true (xmpp_client_get_sasl_failure (t->client, &condition));
  g_assert_cmpint (condition, ==, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  g_assert_null (xmpp_client_get_bound_jid (t->client));
  WAIT_UNTIL (fs->eof);
  g_assert_true (fs->client_closed);
  test_free (t);
}

static void
test_server_signature_mismatch (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);

  fs->tamper_signature = TRUE;
  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH);
  g_assert_false (xmpp_client_get_sasl_failure (t->client, NULL));
  WAIT_UNTIL (fs->eof);
  /* The client must not have carried on with the restart and bind. */
  g_assert_cmpuint (fs->headers->len, ==, 2);
  g_assert_null (fake_server_find (fs, XMPP_NS_CLIENT, "iq", NULL));
  test_free (t);
}

static void
test_session_required (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);

  fs->session = FAKE_SERVER_SESSION_REQUIRED;
  test_connect (t);
  g_assert_no_error (t->connect_error);
  g_assert_cmpuint (fs->n_session_iqs, ==, 1);
  /* Server-generated resource: the JID is what <jid/> says. */
  g_assert_cmpstr (xmpp_jid_to_string (xmpp_client_get_bound_jid (t->client)), ==,
                   USER_JID "/gen123");
  test_close (t);
  test_free (t);
}

static void
test_session_optional (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);

  fs->session = FAKE_SERVER_SESSION_OPTIONAL;
  test_connect (t);
  g_assert_no_error (t->connect_error);
  g_assert_cmpuint (fs->n_session_iqs, ==, 0);
  g_assert_null (fake_server_find (fs, XMPP_NS_CLIENT, "iq", XMPP_NS_SESSION));
  test_close (t);
  test_free (t);
}

static void
test_direct_tls (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);

  fs->direct_tls = TRUE;
  fs->no_starttls = TRUE;
  xmpp_client_set_direct_tls (t->client, TRUE);
  test_connect (t);

  g_assert_no_error (t->connect_error);
  g_assert_true (xmpp_client_is_secure (t->client));
  g_assert_cmpstr (fs->alpn, ==, "xmpp-client");
  g_assert_cmpuint (fs->headers->len, ==, 2);
  g_assert_cmpuint (fs->log_plain->len, ==, 0);
  /* Under TLS from the start, so the first header has 'from'. */
  g_assert_cmpstr (xmpp_element_get_attribute (g_ptr_array_index (fs->headers, 0), "from"), ==,
                   USER_JID);
  test_close (t);
  test_free (t);
}

static void
test_cancel_connect (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();

  fake_server_start (fs);
  xmpp_client_connect_async (t->client, cancellable, connect_cb, t);
  /* Somewhere in the negotiation. */
  WAIT_UNTIL (fs->headers->len > 0);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (t->connect_done);

  g_assert_error (t->connect_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  g_assert_false (t->disconnected);
  WAIT_UNTIL (fs->eof);
  test_free (t);
}

/* Tests: stanzas */

static gboolean
routing_hook (FakeServer  *fs,
              XmppElement *stanza)
{
  const char *to = xmpp_element_get_attribute (stanza, "to");

  if (xmpp_element_find_child (stanza, "urn:test:error", "query") != NULL)
    {
      g_autoptr(XmppElement) reply =
        xmpp_stanza_new_error_reply (stanza, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, "No such thing");
      fake_server_write_element (fs, reply);
      return TRUE;
    }
  if (xmpp_element_find_child (stanza, "urn:test:silent", "query") != NULL)
    return TRUE;
  if (g_strcmp0 (to, "bob@" DOMAIN "/phone") == 0)
    {
      /* A reply from someone else must not be taken for bob's. */
      g_autoptr(XmppElement) spoofed = xmpp_stanza_new_result_reply (stanza);
      g_autoptr(XmppElement) real = xmpp_stanza_new_result_reply (stanza);

      xmpp_element_set_attribute (spoofed, "from", "mallory@" DOMAIN "/x");
      xmpp_element_add_child_new (spoofed, "urn:test", "spoofed");
      fake_server_write_element (fs, spoofed);
      fake_server_write_element (fs, real);
      return TRUE;
    }
  if (xmpp_element_find_child (stanza, "jabber:iq:version", "query") != NULL)
    {
      g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);
      XmppElement *query = xmpp_element_add_child_new (reply, "jabber:iq:version", "query");

      /* Servers answer for the account without a 'from' too. */
      xmpp_element_set_attribute (reply, "from", NULL);
      xmpp_element_add_child_with_text (query, NULL, "name", "fake");
      fake_server_write_element (fs, reply);
      return TRUE;
    }
  return FALSE;
}

static void
test_iq_routing (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autoptr(XmppElement) iq1 = NULL;
  g_autoptr(XmppElement) iq2 = NULL;
  g_autoptr(XmppElement) iq3 = NULL;
  IqResult r = { 0 };

  fs->hook = routing_hook;
  test_connect (t);
  g_assert_no_error (t->connect_error);

  /* Error reply → XMPP_STANZA_ERROR with the text. */
  iq1 = xmpp_stanza_new_iq ("get", DOMAIN, NULL);
  xmpp_element_add_child_new (iq1, "urn:test:error", "query");
  xmpp_client_send_iq_async (t->client, iq1, NULL, iq_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_null (r.reply);
  g_assert_error (r.error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_cmpstr (r.error->message, ==, "No such thing");
  iq_result_clear (&r);

  /* Only the addressee's reply counts. */
  iq2 = xmpp_stanza_new_iq ("get", "bob@" DOMAIN "/phone", "bob-1");
  xmpp_element_add_child_new (iq2, "urn:test", "query");
  xmpp_client_send_iq_async (t->client, iq2, NULL, iq_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpstr (xmpp_element_get_attribute (r.reply, "from"), ==, "bob@" DOMAIN "/phone");
  g_assert_null (xmpp_element_find_child (r.reply, "urn:test", "spoofed"));
  iq_result_clear (&r);

  /* A request without 'to' accepts a reply without 'from'. */
  iq3 = xmpp_stanza_new_iq ("get", NULL, NULL);
  xmpp_element_add_child_new (iq3, "jabber:iq:version", "query");
  xmpp_client_send_iq_async (t->client, iq3, NULL, iq_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpstr (xmpp_element_find_child_text (xmpp_element_find_child (r.reply, "jabber:iq:version", "query"),
                                                 NULL, "name"), ==, "fake");
  iq_result_clear (&r);

  test_close (t);
  test_free (t);
}

static void
test_iq_timeout (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autoptr(XmppElement) iq = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  IqResult r = { 0 };
  gint64 start;

  fs->hook = routing_hook;
  xmpp_client_set_iq_timeout (t->client, 1);
  test_connect (t);
  g_assert_no_error (t->connect_error);

  iq = xmpp_stanza_new_iq ("get", DOMAIN, NULL);
  xmpp_element_add_child_new (iq, "urn:test:silent", "query");
  start = g_get_monotonic_time ();
  xmpp_client_send_iq_async (t->client, iq, NULL, iq_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, XMPP_ERROR, XMPP_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC / 2);
  iq_result_clear (&r);

  /* Cancelling a request. */
  xmpp_element_set_attribute (iq, "id", NULL);
  xmpp_client_send_iq_async (t->client, iq, cancellable, iq_cb, &r);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iq_result_clear (&r);

  /* The connection is still fine. */
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_CONNECTED);
  test_close (t);
  test_free (t);
}

static void
test_incoming_iqs (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  XmppElement *reply;
  XmppElement *error_el;

  test_connect (t);
  g_assert_no_error (t->connect_error);

  /* Unknown payload: service-unavailable.  Results and errors nobody
   * asked for: never answered.  Ping: answered. */
  fake_server_write (fs, "<iq type='get' id='u1' from='" DOMAIN "'>"
                         "<query xmlns='urn:example:unknown'/></iq>"
                         "<iq type='result' id='r1' from='" DOMAIN "'/>"
                         "<iq type='error' id='e1' from='" DOMAIN "'><error type='cancel'>"
                         "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
                         "<iq type='get' id='p1' from='" DOMAIN "'>"
                         "<ping xmlns='urn:xmpp:ping'/></iq>");
  WAIT_UNTIL (fake_server_find_id (fs, "p1") != NULL);

  reply = fake_server_find_id (fs, "u1");
  g_assert_nonnull (reply);
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "type"), ==, "error");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "to"), ==, DOMAIN);
  error_el = xmpp_element_find_child (reply, XMPP_NS_CLIENT, "error");
  g_assert_nonnull (error_el);
  g_assert_cmpstr (xmpp_element_get_attribute (error_el, "type"), ==, "cancel");
  g_assert_nonnull (xmpp_element_find_child (error_el, XMPP_NS_STANZAS, "service-unavailable"));

  g_assert_null (fake_server_find_id (fs, "r1"));
  g_assert_null (fake_server_find_id (fs, "e1"));

  reply = fake_server_find_id (fs, "p1");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "type"), ==, "result");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "to"), ==, DOMAIN);
  g_assert_cmpuint (xmpp_element_get_n_nodes (reply), ==, 0);

  test_close (t);
  test_free (t);
}

static void
test_stream_error (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);

  test_connect (t);
  g_assert_no_error (t->connect_error);

  fake_server_write (fs, "<stream:error>"
                         "<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                         "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>"
                         "Going down</text></stream:error></stream:stream>");
  WAIT_UNTIL (t->disconnected);

  g_assert_error (t->disconnect_error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN);
  g_assert_cmpstr (t->disconnect_error->message, ==, "Going down");
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  WAIT_UNTIL (fs->eof);
  g_assert_true (fs->client_closed);
  test_free (t);
}

static void
test_bad_xml (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  XmppElement *error_el;

  test_connect (t);
  g_assert_no_error (t->connect_error);

  fake_server_write (fs, "<message><body>unclosed</message>");
  WAIT_UNTIL (t->disconnected);
  g_assert_error (t->disconnect_error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  WAIT_UNTIL (fs->eof);

  error_el = fake_server_find (fs, XMPP_NS_STREAM, "error", NULL);
  g_assert_nonnull (error_el);
  g_assert_nonnull (xmpp_element_find_child (error_el, XMPP_NS_STREAMS, "not-well-formed"));
  g_assert_true (fs->client_closed);
  test_free (t);
}

static void
test_connection_lost (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  g_autoptr(XmppElement) iq = NULL;
  IqResult r = { 0 };

  fs->hook = routing_hook;
  test_connect (t);
  g_assert_no_error (t->connect_error);

  iq = xmpp_stanza_new_iq ("get", DOMAIN, NULL);
  xmpp_element_add_child_new (iq, "urn:test:silent", "query");
  xmpp_client_send_iq_async (t->client, iq, NULL, iq_cb, &r);
  WAIT_UNTIL (fake_server_find (fs, XMPP_NS_CLIENT, "iq", "urn:test:silent") != NULL);

  /* Drop the TCP connection under the TLS layer. */
  g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION (fs->base)),
                     TRUE, TRUE, NULL);
  WAIT_UNTIL (t->disconnected && r.done);
  g_assert_error (t->disconnect_error, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED);
  g_assert_error (r.error, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED);
  iq_result_clear (&r);
  test_free (t);
}

static void
test_keepalive_timeout (void)
{
  FakeServer *fs = fake_server_new ();
  Test *t = test_new (fs, TRUE);
  XmppElement *error_el;

  fs->ignore_pings = TRUE;
  xmpp_client_set_ping_interval (t->client, 1);
  xmpp_client_set_iq_timeout (t->client, 1);
  test_connect (t);
  g_assert_no_error (t->connect_error);

  WAIT_UNTIL (t->disconnected);
  g_assert_error (t->disconnect_error, XMPP_ERROR, XMPP_ERROR_TIMEOUT);
  g_assert_cmpuint (fs->n_pings, ==, 1);
  WAIT_UNTIL (fs->eof);
  error_el = fake_server_find (fs, XMPP_NS_STREAM, "error", NULL);
  g_assert_nonnull (error_el);
  g_assert_nonnull (xmpp_element_find_child (error_el, XMPP_NS_STREAMS, "connection-timeout"));
  test_free (t);
}

/* Tests: a client over a given stream */

typedef struct
{
  guint handled;
  guint destroyed;
} HandlerCounts;

static gboolean
message_handler_cb (XmppClient  *client,
                    XmppElement *stanza,
                    gpointer     user_data)
{
  HandlerCounts *counts = user_data;

  counts->handled++;
  return TRUE;
}

static gboolean
never_handler_cb (XmppClient  *client,
                  XmppElement *stanza,
                  gpointer     user_data)
{
  g_assert_not_reached ();
  return FALSE;
}

static void
count_destroy_cb (gpointer user_data)
{
  HandlerCounts *counts = user_data;

  counts->destroyed++;
}

static void
test_new_for_stream (void)
{
  FakeServer *fs = fake_server_new ();
  g_autoptr(XmppJid) jid = xmpp_jid_new (USER_JID "/desk", NULL);
  g_autoptr(XmppClient) client = NULL;
  g_autoptr(GSocket) s0 = NULL;
  g_autoptr(GSocket) s1 = NULL;
  g_autoptr(GSocketConnection) c0 = NULL;
  g_autoptr(GSocketConnection) c1 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) iq = NULL;
  g_autoptr(XmppElement) message = NULL;
  IqResult r = { 0 };
  HandlerCounts counts = { 0, 0 };
  guint handler_id;
  gboolean closed = FALSE;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  s0 = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  s1 = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  c0 = g_socket_connection_factory_create_connection (s0);
  c1 = g_socket_connection_factory_create_connection (s1);

  fs->raw = TRUE;
  g_socket_listener_close (fs->listener);
  g_clear_object (&fs->listener);
  fake_server_start (fs);
  fake_server_attach (fs, G_IO_STREAM (c1));

  client = xmpp_client_new_for_stream (G_IO_STREAM (c0), jid);
  g_assert_cmpint (xmpp_client_get_state (client), ==, XMPP_CLIENT_STATE_CONNECTED);
  g_assert_true (xmpp_jid_equal (xmpp_client_get_bound_jid (client), jid));
  WAIT_UNTIL (fs->headers->len == 1);
  g_assert_cmpstr (xmpp_element_get_attribute (g_ptr_array_index (fs->headers, 0), "to"), ==, DOMAIN);

  handler_id = xmpp_client_add_handler (client, "message", "chat", NULL, NULL,
                                        message_handler_cb, &counts, count_destroy_cb);
  xmpp_client_add_handler (client, "message", "headline", "urn:nothing", NULL,
                           never_handler_cb, NULL, NULL);

  /* The scripted peer talks first; then an iq round trip. */
  fake_server_write (fs, "<message type='chat' from='bob@" DOMAIN "/x'><body>hi</body></message>"
                         "<message type='headline' from='" DOMAIN "'><body>news</body></message>"
                         "<message type='chat' from='bob@" DOMAIN "/x'>"
                         "<body>again</body></message>");

  iq = xmpp_stanza_new_iq ("get", NULL, "q1");
  xmpp_element_add_child_new (iq, "jabber:iq:roster", "query");
  xmpp_client_send_iq_async (client, iq, NULL, iq_cb, &r);
  WAIT_UNTIL (fake_server_find_id (fs, "q1") != NULL);
  fake_server_write (fs, "<iq type='result' id='q1' to='" USER_JID "/desk'>"
                         "<query xmlns='jabber:iq:roster' ver='1'/></iq>");
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpuint (counts.handled, ==, 2);
  g_assert_cmpuint (counts.destroyed, ==, 0);
  iq_result_clear (&r);

  xmpp_client_remove_handler (client, handler_id);
  g_assert_cmpuint (counts.destroyed, ==, 1);

  message = xmpp_element_new (XMPP_NS_CLIENT, "message");
  xmpp_element_set_attribute (message, "to", "bob@" DOMAIN);
  xmpp_element_set_attribute (message, "id", "m1");
  xmpp_element_add_child_with_text (message, NULL, "body", "hello <&>");
  xmpp_client_send (client, message);
  WAIT_UNTIL (fake_server_find_id (fs, "m1") != NULL);
  g_assert_cmpstr (xmpp_element_find_child_text (fake_server_find_id (fs, "m1"), NULL, "body"), ==,
                   "hello <&>");

  xmpp_client_close_async (client, NULL, close_cb, &closed);
  WAIT_UNTIL (closed);
  g_assert_true (fs->client_closed);
  WAIT_UNTIL (fs->eof);

  g_clear_object (&client);
  drain_main_context ();
  fake_server_free (fs);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fake_server_generate_certificate ();

  g_test_add_func ("/client/fingerprint-normalize", test_fingerprint_normalize);
  g_test_add_func ("/client/stanza-helpers", test_stanza_helpers);
  g_test_add_func ("/client/happy-path", test_happy_path);
  g_test_add_func ("/client/channel-binding", test_channel_binding);
  g_test_add_func ("/client/channel-binding-not-advertised", test_channel_binding_not_advertised);
  g_test_add_func ("/client/certificate-untrusted", test_certificate_untrusted);
  g_test_add_func ("/client/certificate-wrong-pin", test_certificate_wrong_pin);
  g_test_add_func ("/client/tls-required", test_tls_required);
  g_test_add_func ("/client/wrong-password", test_wrong_password);
  g_test_add_func ("/client/server-signature-mismatch", test_server_signature_mismatch);
  g_test_add_func ("/client/session-required", test_session_required);
  g_test_add_func ("/client/session-optional", test_session_optional);
  g_test_add_func ("/client/direct-tls", test_direct_tls);
  g_test_add_func ("/client/cancel-connect", test_cancel_connect);
  g_test_add_func ("/client/iq-routing", test_iq_routing);
  g_test_add_func ("/client/iq-timeout", test_iq_timeout);
  g_test_add_func ("/client/incoming-iqs", test_incoming_iqs);
  g_test_add_func ("/client/stream-error", test_stream_error);
  g_test_add_func ("/client/bad-xml", test_bad_xml);
  g_test_add_func ("/client/connection-lost", test_connection_lost);
  g_test_add_func ("/client/keepalive-timeout", test_keepalive_timeout);
  g_test_add_func ("/client/new-for-stream", test_new_for_stream);

  return g_test_run ();
}
