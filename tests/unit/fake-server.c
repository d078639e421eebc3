/* fake-server.c: a scripted XMPP server for the client tests
 *
 * See fake-server.h for what it does and how a test drives it.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fake-server.h"

static GTlsCertificate *server_cert;
static char *server_fingerprint;

/* Waiting */

static gboolean
timeout_cb (gpointer user_data)
{
  g_error ("Timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* For WAIT_UNTIL: @what is the condition's text, a literal. */
guint
_fake_server_timeout_add (const char *what)
{
  return g_timeout_add_seconds (FAKE_SERVER_TIMEOUT_S, timeout_cb, (gpointer) what);
}

void
drain_main_context (void)
{
  /* Let closing streams finish. */
  for (guint i = 0; i < 50 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

/* Certificate */

void
fake_server_generate_certificate (void)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t cert_pem, key_pem;
  guchar serial[8];
  guchar digest[32];
  size_t digest_len = sizeof digest;
  g_autoptr(GString) fp = g_string_new (NULL);
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  time_t now = time (NULL);

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  gnutls_x509_crt_set_version (crt, 3);
  for (guint i = 0; i < sizeof serial; i++)
    serial[i] = g_random_int_range (0, 256);
  serial[0] &= 0x7f;
  gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  gnutls_x509_crt_set_activation_time (crt, now - 3600);
  gnutls_x509_crt_set_expiration_time (crt, now + 86400);
  gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                 FAKE_SERVER_DOMAIN, strlen (FAKE_SERVER_DOMAIN));
  gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME,
                                        FAKE_SERVER_DOMAIN, strlen (FAKE_SERVER_DOMAIN),
                                        GNUTLS_FSAN_SET);
  gnutls_x509_crt_set_basic_constraints (crt, 0, -1);
  gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  gnutls_x509_crt_set_key (crt, key);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);

  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cert_pem), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                      GNUTLS_PKCS_PLAIN, &key_pem), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_fingerprint (crt, GNUTLS_DIG_SHA256,
                                                    digest, &digest_len), ==, 0);
  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (fp, i == 0 ? "%02X" : ":%02X", digest[i]);
  server_fingerprint = g_strdup (fp->str);

  pem = g_strdup_printf ("%.*s\n%.*s", (int) cert_pem.size, cert_pem.data,
                         (int) key_pem.size, key_pem.data);
  server_cert = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);

  gnutls_free (cert_pem.data);
  gnutls_free (key_pem.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

/* SHA-256 of the certificate, as "AB:CD:…", for pinning. */
const char *
fake_server_get_fingerprint (void)
{
  g_assert_nonnull (server_fingerprint);
  return server_fingerprint;
}

/* The fake server */

static const char * const hash_names[] = { "SHA-1", "SHA-256", "SHA-512" };

static void server_read (FakeServer *fs);

void
fake_server_write (FakeServer *fs,
                   const char *data)
{
  g_autoptr(GError) error = NULL;

  /* Blocking is fine here: small writes into the socket buffer. */
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (fs->io), data, strlen (data),
                                  NULL, NULL, &error))
    g_debug ("fake server write: %s", error->message);
}

void
fake_server_write_element (FakeServer  *fs,
                           XmppElement *element)
{
  g_autoptr(GString) out = g_string_new (NULL);

  xmpp_element_serialize (element, out, XMPP_NS_CLIENT);
  fake_server_write (fs, out->str);
}

static gboolean
lookup_cb (const char           *username,
           const char           *hash_name,
           XmppScramCredentials *out,
           gpointer              user_data)
{
  FakeServer *fs = user_data;

  if (strcmp (username, "alice") != 0)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (hash_names); i++)
    if (strcmp (hash_name, hash_names[i]) == 0)
      {
        out->iterations = fs->creds[i].iterations;
        out->salt = g_bytes_ref (fs->creds[i].salt);
        out->stored_key = g_bytes_ref (fs->creds[i].stored_key);
        out->server_key = g_bytes_ref (fs->creds[i].server_key);
        return TRUE;
      }
  return FALSE;
}

static char *
encode (GBytes *data)
{
  gsize len;
  gconstpointer p = g_bytes_get_data (data, &len);

  return len == 0 ? g_strdup ("=") : g_base64_encode (p, len);
}

static void
server_sasl_step (FakeServer *fs,
                  GBytes     *input)
{
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *reply = NULL;
  gboolean done = FALSE;

  out = xmpp_sasl_server_step (fs->sasl, input, &done, &error);
  if (out == NULL)
    {
      g_assert_true (error->domain == XMPP_SASL_ERROR);
      reply = g_strdup_printf ("<failure xmlns='" XMPP_NS_SASL "'><%s/>"
                               "<text xml:lang='en'>Nope</text></failure>",
                               xmpp_sasl_condition_to_string (error->code));
      fake_server_write (fs, reply);
      return;
    }

  if (!done)
    {
      encoded = encode (out);
      reply = g_strdup_printf ("<challenge xmlns='" XMPP_NS_SASL "'>%s</challenge>", encoded);
      fake_server_write (fs, reply);
      return;
    }

  if (fs->tamper_signature)
    {
      guint8 zeros[32] = { 0 };
      g_autofree char *b64 = g_base64_encode (zeros, sizeof zeros);
      g_autofree char *v = g_strdup_printf ("v=%s", b64);

      g_bytes_unref (out);
      out = g_bytes_new (v, strlen (v));
    }

  encoded = encode (out);
  reply = g_strdup_printf ("<success xmlns='" XMPP_NS_SASL "'>%s</success>", encoded);
  fs->stage = 2;
  xmpp_parser_reset (fs->parser);
  fake_server_write (fs, reply);
}

/* SASL's base64: "=" is empty data, an empty text is none. */
GBytes *
fake_server_decode (const char *text)
{
  guchar *data;
  gsize len;

  if (*text == '\0')
    return NULL;
  if (strcmp (text, "=") == 0)
    return g_bytes_new (NULL, 0);
  data = g_base64_decode (text, &len);
  return g_bytes_new_take (data, len);
}

static void
server_stream_open_cb (XmppParser  *parser,
                       XmppElement *header,
                       gpointer     user_data)
{
  FakeServer *fs = user_data;
  g_autoptr(GString) out = g_string_new (NULL);

  g_ptr_array_add (fs->headers, xmpp_element_copy (header));
  g_string_append_printf (out, "<?xml version='1.0'?><stream:stream "
                          "from='" FAKE_SERVER_DOMAIN "' id='s%u' version='1.0' "
                          "xml:lang='en' xmlns='jabber:client' "
                          "xmlns:stream='http://etherx.jabber.org/streams'>",
                          ++fs->stream_counter);
  if (fs->raw)
    {
      fake_server_write (fs, out->str);
      return;
    }

  g_string_append (out, "<stream:features>");
  if (fs->stage == 0 && !fs->no_starttls)
    {
      g_string_append (out, "<starttls xmlns='" XMPP_NS_TLS "'><required/></starttls>");
    }
  else if (fs->stage < 2)
    {
      g_auto(GStrv) mechs = g_strsplit (fs->mechanisms, " ", -1);

      g_string_append (out, "<mechanisms xmlns='" XMPP_NS_SASL "'>");
      for (guint i = 0; mechs[i] != NULL; i++)
        g_string_append_printf (out, "<mechanism>%s</mechanism>", mechs[i]);
      g_string_append (out, "</mechanisms>");
      if (fs->advertise_cb)
        g_string_append (out, "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"
                         "<channel-binding type='tls-server-end-point'/>"
                         "<channel-binding type='tls-exporter'/>"
                         "</sasl-channel-binding>");
      g_string_append (out, "<register xmlns='http://jabber.org/features/iq-register'/>");
    }
  else
    {
      g_string_append (out, "<bind xmlns='" XMPP_NS_BIND "'><required/></bind>");
      if (fs->session == FAKE_SERVER_SESSION_REQUIRED)
        g_string_append (out, "<session xmlns='" XMPP_NS_SESSION "'/>");
      else if (fs->session == FAKE_SERVER_SESSION_OPTIONAL)
        g_string_append (out, "<session xmlns='" XMPP_NS_SESSION "'><optional/></session>");
      if (fs->sm != FAKE_SERVER_SM_NONE)
        g_string_append (out, "<sm xmlns='" XMPP_NS_SM "'><optional/></sm>");
      g_string_append (out, "<ver xmlns='urn:xmpp:features:rosterver'/>");
    }
  g_string_append (out, "</stream:features>");
  fake_server_write (fs, out->str);
}

static void
server_handle_stanza (FakeServer  *fs,
                      XmppElement *stanza)
{
  const char *type = xmpp_element_get_attribute (stanza, "type");
  XmppElement *bind;

  if (xmpp_element_is (stanza, XMPP_NS_CLIENT, "iq") && g_strcmp0 (type, "set") == 0 &&
      (bind = xmpp_element_find_child (stanza, XMPP_NS_BIND, "bind")) != NULL)
    {
      g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);
      const char *resource = xmpp_element_find_child_text (bind, XMPP_NS_BIND, "resource");
      g_autofree char *jid = g_strdup_printf (FAKE_SERVER_USER_JID "/%s",
                                              resource != NULL ? resource : "gen123");

      xmpp_element_add_child_with_text (xmpp_element_add_child_new (reply, XMPP_NS_BIND, "bind"),
                                        XMPP_NS_BIND, "jid", jid);
      fake_server_write_element (fs, reply);
      return;
    }

  if (xmpp_element_is (stanza, XMPP_NS_CLIENT, "iq") && g_strcmp0 (type, "set") == 0 &&
      xmpp_element_find_child (stanza, XMPP_NS_SESSION, "session") != NULL)
    {
      g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);

      fs->n_session_iqs++;
      fake_server_write_element (fs, reply);
      return;
    }

  if (fs->hook != NULL && fs->hook (fs, stanza))
    return;

  if (xmpp_element_is (stanza, XMPP_NS_CLIENT, "iq") && g_strcmp0 (type, "get") == 0 &&
      xmpp_element_find_child (stanza, XMPP_NS_PING, "ping") != NULL)
    {
      fs->n_pings++;
      if (!fs->ignore_pings)
        {
          g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);
          fake_server_write_element (fs, reply);
        }
    }
}

static void
server_handle_sm (FakeServer  *fs,
                  XmppElement *element)
{
  const char *name = xmpp_element_get_name (element);
  g_autofree char *reply = NULL;

  if (strcmp (name, "enable") == 0)
    {
      if (fs->sm == FAKE_SERVER_SM_REFUSE)
        {
          fake_server_write (fs, "<failed xmlns='" XMPP_NS_SM "'>"
                             "<unexpected-request xmlns='" XMPP_NS_STANZAS "'/></failed>");
          return;
        }
      if (fs->sm == FAKE_SERVER_SM_SILENT)
        return;
      fs->sm_enabled = TRUE;
      fs->sm_h = 0;
      if (!fs->sm_resume)
        reply = g_strdup ("<enabled xmlns='" XMPP_NS_SM "'/>");
      else if (fs->sm_max > 0)
        reply = g_strdup_printf ("<enabled xmlns='" XMPP_NS_SM "' id='sm-1' resume='true' max='%u'/>",
                                 fs->sm_max);
      else
        reply = g_strdup ("<enabled xmlns='" XMPP_NS_SM "' id='sm-1' resume='true'/>");
    }
  else if (strcmp (name, "r") == 0)
    {
      fs->n_sm_requests++;
      if (fs->sm_enabled && !fs->sm_manual_acks)
        reply = g_strdup_printf ("<a xmlns='" XMPP_NS_SM "' h='%u'/>", fs->sm_h);
    }
  else if (strcmp (name, "resume") == 0)
    {
      fs->n_resumes++;
      if (fs->sm_refuse_resume || !fs->sm_resume ||
          g_strcmp0 (xmpp_element_get_attribute (element, "previd"), "sm-1") != 0)
        {
          reply = g_strdup ("<failed xmlns='" XMPP_NS_SM "'>"
                            "<item-not-found xmlns='" XMPP_NS_STANZAS "'/></failed>");
        }
      else
        {
          fs->sm_enabled = TRUE;
          reply = g_strdup_printf ("<resumed xmlns='" XMPP_NS_SM "' previd='sm-1' h='%u'/>",
                                   fs->sm_h);
        }
    }

  if (reply != NULL)
    fake_server_write (fs, reply);
}

static void
server_element_cb (XmppParser  *parser,
                   XmppElement *element,
                   gpointer     user_data)
{
  FakeServer *fs = user_data;

  g_ptr_array_add (fs->elements, xmpp_element_ref (element));

  if (xmpp_element_is (element, XMPP_NS_TLS, "starttls"))
    {
      fake_server_write (fs, "<proceed xmlns='" XMPP_NS_TLS "'/>");
      fs->want_tls = TRUE;
      xmpp_parser_reset (parser);
    }
  else if (xmpp_element_is (element, XMPP_NS_SASL, "auth"))
    {
      g_autoptr(GBytes) input = fake_server_decode (xmpp_element_get_text (element));
      g_autoptr(GError) error = NULL;

      g_clear_pointer (&fs->sasl, xmpp_sasl_server_free);
      fs->sasl = xmpp_sasl_server_new (xmpp_element_get_attribute (element, "mechanism"),
                                       lookup_cb, fs, NULL, &error);
      g_assert_no_error (error);
      if (fs->tls != NULL)
        {
          XmppChannelBindingType types[] = {
            XMPP_CHANNEL_BINDING_TLS_EXPORTER,
            XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT,
            XMPP_CHANNEL_BINDING_TLS_UNIQUE,
          };

          for (guint i = 0; i < G_N_ELEMENTS (types); i++)
            {
              g_autoptr(GBytes) cb = xmpp_tls_get_channel_binding (fs->tls, types[i], NULL);
              if (cb != NULL)
                xmpp_sasl_server_set_channel_binding (fs->sasl, types[i], cb);
            }
        }
      xmpp_sasl_server_set_advertised_plus (fs->sasl, strstr (fs->mechanisms, "-PLUS") != NULL);
      server_sasl_step (fs, input);
    }
  else if (xmpp_element_is (element, XMPP_NS_SASL, "response"))
    {
      const char *text = xmpp_element_get_text (element);
      g_autoptr(GBytes) input = *text != '\0' ? fake_server_decode (text) : g_bytes_new (NULL, 0);

      server_sasl_step (fs, input);
    }
  else if (g_strcmp0 (xmpp_element_get_namespace (element), XMPP_NS_SM) == 0)
    {
      server_handle_sm (fs, element);
    }
  else if (g_strcmp0 (xmpp_element_get_namespace (element), XMPP_NS_CLIENT) == 0)
    {
      if (fs->sm_enabled)
        fs->sm_h++;
      server_handle_stanza (fs, element);
    }
}

static void
server_stream_close_cb (XmppParser *parser,
                        gpointer    user_data)
{
  FakeServer *fs = user_data;

  fs->client_closed = TRUE;
  fake_server_write (fs, "</stream:stream>");
}

static const XmppParserCallbacks server_callbacks = {
  server_stream_open_cb,
  server_element_cb,
  server_stream_close_cb,
};

static void
server_handshake_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  FakeServer *fs = user_data;
  g_autoptr(GError) error = NULL;

  fs->busy = FALSE;
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_debug ("fake server handshake: %s", error->message);
      fs->eof = TRUE;
      return;
    }

  g_set_object (&fs->tls, G_TLS_CONNECTION (source));
  g_set_object (&fs->io, G_IO_STREAM (source));
  g_free (fs->alpn);
  fs->alpn = g_strdup (g_tls_connection_get_negotiated_protocol (fs->tls));
  fs->stage = 1;
  xmpp_parser_reset (fs->parser);
  server_read (fs);
}

static void
server_start_tls (FakeServer *fs)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  tls = g_tls_server_connection_new (fs->io, server_cert, &error);
  g_assert_no_error (error);
  if (fs->direct_tls)
    {
      static const char * const alpn[] = { "xmpp-client", NULL };
      g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls), alpn);
    }
  fs->busy = TRUE;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    fs->cancellable, server_handshake_cb, fs);
}

static void
server_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FakeServer *fs = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  fs->busy = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n <= 0)
    {
      fs->eof = TRUE;
      return;
    }

  g_string_append_len (fs->log_all, (const char *) fs->buffer, n);
  if (fs->tls == NULL)
    g_string_append_len (fs->log_plain, (const char *) fs->buffer, n);

  if (!xmpp_parser_feed (fs->parser, (const char *) fs->buffer, n, &error))
    g_debug ("fake server parse error: %s", error->message);

  if (fs->want_tls)
    {
      fs->want_tls = FALSE;
      server_start_tls (fs);
      return;
    }
  server_read (fs);
}

static void
server_read (FakeServer *fs)
{
  fs->busy = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (fs->io), fs->buffer,
                             sizeof fs->buffer, G_PRIORITY_DEFAULT, fs->cancellable,
                             server_read_cb, fs);
}

/* Serve @io (already connected) instead of an accepted connection. */
void
fake_server_attach (FakeServer *fs,
                    GIOStream  *io)
{
  g_set_object (&fs->io, io);
  g_set_object (&fs->base, io);
  if (fs->direct_tls)
    server_start_tls (fs);
  else
    server_read (fs);
}

static void
server_accept_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FakeServer *fs = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  fs->busy = FALSE;
  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (connection == NULL)
    return;

  fs->accepted = TRUE;
  fs->n_connections++;
  fake_server_attach (fs, G_IO_STREAM (connection));
}

/* A server with the default script, listening on a free port of
 * 127.0.0.1 but not accepting yet. */
FakeServer *
fake_server_new (void)
{
  FakeServer *fs = g_new0 (FakeServer, 1);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;

  fs->mechanisms = "SCRAM-SHA-256 SCRAM-SHA-1 PLAIN";
  fs->password = FAKE_SERVER_PASSWORD;
  fs->cancellable = g_cancellable_new ();
  fs->parser = xmpp_parser_new (&server_callbacks, fs);
  fs->log_plain = g_string_new (NULL);
  fs->log_all = g_string_new (NULL);
  fs->headers = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
  fs->elements = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);

  fs->listener = g_socket_listener_new ();
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_listener_add_address (fs->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  fs->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  return fs;
}

/* Derive credentials and start accepting, once the options are set. */
void
fake_server_start (FakeServer *fs)
{
  g_autoptr(GBytes) salt = xmpp_scram_generate_salt ();

  for (guint i = 0; i < G_N_ELEMENTS (hash_names); i++)
    {
      g_autoptr(GError) error = NULL;

      xmpp_scram_derive (hash_names[i], fs->password, salt, XMPP_SCRAM_MIN_ITERATIONS,
                         &fs->creds[i], &error);
      g_assert_no_error (error);
    }

  if (fs->listener != NULL)
    {
      fs->busy = TRUE;
      g_socket_listener_accept_async (fs->listener, fs->cancellable, server_accept_cb, fs);
    }
}

/* Cancel what is pending, close the connection and free. */
void
fake_server_free (FakeServer *fs)
{
  g_cancellable_cancel (fs->cancellable);
  WAIT_UNTIL (!fs->busy);
  drain_main_context ();

  if (fs->io != NULL)
    g_io_stream_close (fs->io, NULL, NULL);
  if (fs->listener != NULL)
    g_socket_listener_close (fs->listener);
  g_clear_object (&fs->listener);
  g_clear_object (&fs->io);
  g_clear_object (&fs->base);
  g_clear_object (&fs->tls);
  g_clear_object (&fs->cancellable);
  g_clear_pointer (&fs->parser, xmpp_parser_free);
  g_clear_pointer (&fs->sasl, xmpp_sasl_server_free);
  for (guint i = 0; i < G_N_ELEMENTS (fs->creds); i++)
    xmpp_scram_credentials_clear (&fs->creds[i]);
  g_string_free (fs->log_plain, TRUE);
  g_string_free (fs->log_all, TRUE);
  g_ptr_array_unref (fs->headers);
  g_ptr_array_unref (fs->elements);
  g_free (fs->alpn);
  g_free (fs);
}

void
fake_server_drop (FakeServer *fs)
{
  g_cancellable_cancel (fs->cancellable);
  WAIT_UNTIL (!fs->busy);
  g_clear_object (&fs->cancellable);
  fs->cancellable = g_cancellable_new ();

  if (fs->base != NULL)
    g_io_stream_close (fs->base, NULL, NULL);
  g_clear_object (&fs->io);
  g_clear_object (&fs->base);
  g_clear_object (&fs->tls);
  g_clear_pointer (&fs->sasl, xmpp_sasl_server_free);
  xmpp_parser_reset (fs->parser);
  fs->stage = 0;
  fs->want_tls = FALSE;
  fs->client_closed = FALSE;
  fs->eof = FALSE;
  fs->accepted = FALSE;
  fs->sm_enabled = FALSE;

  if (fs->listener != NULL)
    {
      fs->busy = TRUE;
      g_socket_listener_accept_async (fs->listener, fs->cancellable, server_accept_cb, fs);
    }
}

/* Find the first element the server received that matches. */
XmppElement *
fake_server_find (FakeServer *fs,
                  const char *ns,
                  const char *name,
                  const char *child_ns)
{
  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *el = g_ptr_array_index (fs->elements, i);

      if (!xmpp_element_is (el, ns, name))
        continue;
      if (child_ns != NULL && xmpp_element_find_child (el, child_ns, NULL) == NULL)
        continue;
      return el;
    }
  return NULL;
}

/* Find the first element the server received with this id. */
XmppElement *
fake_server_find_id (FakeServer *fs,
                     const char *id)
{
  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *el = g_ptr_array_index (fs->elements, i);

      if (g_strcmp0 (xmpp_element_get_attribute (el, "id"), id) == 0)
        return el;
    }
  return NULL;
}

