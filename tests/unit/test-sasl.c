/* test-sasl.c: PLAIN and SCRAM(-PLUS), client and server */
#include "config.h"

#include <string.h>

#include "xmpp-error.h"
#include "xmpp-sasl.h"

/* Helpers */

static GBytes *
bytes_from_string (const char *str)
{
  return g_bytes_new (str, strlen (str));
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_assert_null (memchr (data, '\0', len));
  return g_strndup (data, len);
}

static void
assert_bytes_str (GBytes     *bytes,
                  const char *expected)
{
  g_autofree char *str = NULL;

  g_assert_nonnull (bytes);
  str = bytes_to_string (bytes);
  g_assert_cmpstr (str, ==, expected);
}

static GBytes *
bytes_from_hex (const char *hex)
{
  gsize len = strlen (hex) / 2;
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (data, len);
}

static GBytes *
bytes_from_base64 (const char *b64)
{
  gsize len;
  guchar *data = g_base64_decode (b64, &len);

  return g_bytes_new_take (data, len);
}

/* A user database: name → password, all derived with one salt. */
typedef struct
{
  GHashTable *passwords;
  GBytes     *salt;
  guint       iterations;
  guint       lookups;
  char       *last_hash;
} TestDb;

static TestDb *
test_db_new (const char *salt_b64,
             guint       iterations)
{
  TestDb *db = g_new0 (TestDb, 1);

  db->passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  db->salt = bytes_from_base64 (salt_b64);
  db->iterations = iterations;
  return db;
}

static void
test_db_free (gpointer data)
{
  TestDb *db = data;

  g_hash_table_unref (db->passwords);
  g_bytes_unref (db->salt);
  g_free (db->last_hash);
  g_free (db);
}

static void
test_db_add (TestDb     *db,
             const char *user,
             const char *password)
{
  g_hash_table_insert (db->passwords, g_strdup (user), g_strdup (password));
}

static gboolean
test_db_lookup_cb (const char           *username,
                   const char           *hash_name,
                   XmppScramCredentials *out,
                   gpointer              user_data)
{
  TestDb *db = user_data;
  const char *password = g_hash_table_lookup (db->passwords, username);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  db->lookups++;
  g_free (db->last_hash);
  db->last_hash = g_strdup (hash_name);
  if (password == NULL)
    return FALSE;

  ok = xmpp_scram_derive (hash_name, password, db->salt, db->iterations, out, &error);
  g_assert_no_error (error);
  return ok;
}

/* The server owns @db. */
static XmppSaslServer *
server_new (const char *mechanism,
            TestDb     *db)
{
  g_autoptr(GError) error = NULL;
  XmppSaslServer *server;

  server = xmpp_sasl_server_new (mechanism, test_db_lookup_cb, db, test_db_free, &error);
  g_assert_no_error (error);
  g_assert_nonnull (server);
  return server;
}

static XmppSaslServer *
default_server_new (const char *mechanism)
{
  TestDb *db = test_db_new ("c2FsdHNhbHRzYWx0c2FsdA==", 4096);

  test_db_add (db, "user", "pencil");
  test_db_add (db, "juliet", "r0m30myr0m30");
  return server_new (mechanism, db);
}

static XmppSaslClient *
client_new (const char *mechanism,
            const char *user,
            const char *password)
{
  g_autoptr(GError) error = NULL;
  XmppSaslClient *client;

  client = xmpp_sasl_client_new (mechanism, user, password, &error);
  g_assert_no_error (error);
  g_assert_nonnull (client);
  return client;
}

/* Runs a whole exchange the way the XMPP layer would. */
static gboolean
run_exchange (XmppSaslClient  *client,
              XmppSaslServer  *server,
              GError         **client_error,
              GError         **server_error)
{
  g_autoptr(GBytes) out = NULL;

  out = xmpp_sasl_client_start (client, client_error);
  if (out == NULL)
    return FALSE;

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(GBytes) reply = NULL;
      gboolean done = FALSE;

      reply = xmpp_sasl_server_step (server, out, &done, server_error);
      if (reply == NULL)
        return FALSE;
      if (done)
        return xmpp_sasl_client_finish (client, reply, client_error);

      g_clear_pointer (&out, g_bytes_unref);
      out = xmpp_sasl_client_step (client, reply, client_error);
      if (out == NULL)
        return FALSE;
    }

  g_assert_not_reached ();
  return FALSE;
}

/* Channel binding names */

static void
test_channel_binding_names (void)
{
  g_assert_cmpstr (xmpp_channel_binding_type_to_string (XMPP_CHANNEL_BINDING_TLS_EXPORTER), ==, "tls-exporter");
  g_assert_cmpstr (xmpp_channel_binding_type_to_string (XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT), ==, "tls-server-end-point");
  g_assert_cmpstr (xmpp_channel_binding_type_to_string (XMPP_CHANNEL_BINDING_TLS_UNIQUE), ==, "tls-unique");
  g_assert_null (xmpp_channel_binding_type_to_string (XMPP_CHANNEL_BINDING_NONE));

  g_assert_cmpint (xmpp_channel_binding_type_from_string ("tls-exporter"), ==, XMPP_CHANNEL_BINDING_TLS_EXPORTER);
  g_assert_cmpint (xmpp_channel_binding_type_from_string ("tls-server-end-point"), ==, XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT);
  g_assert_cmpint (xmpp_channel_binding_type_from_string ("tls-unique"), ==, XMPP_CHANNEL_BINDING_TLS_UNIQUE);
  g_assert_cmpint (xmpp_channel_binding_type_from_string ("tls-foo"), ==, XMPP_CHANNEL_BINDING_NONE);
  g_assert_cmpint (xmpp_channel_binding_type_from_string (NULL), ==, XMPP_CHANNEL_BINDING_NONE);

  g_assert_true (xmpp_sasl_mechanism_is_supported ("SCRAM-SHA-512-PLUS"));
  g_assert_true (xmpp_sasl_mechanism_is_supported ("PLAIN"));
  g_assert_false (xmpp_sasl_mechanism_is_supported ("DIGEST-MD5"));
  g_assert_false (xmpp_sasl_mechanism_is_supported (NULL));
}

/* Mechanism selection */

static void
test_select_mechanism (void)
{
  static const char * const all[] = {
    "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
    "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS", NULL
  };
  static const char * const no_512[] = {
    "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", NULL
  };
  static const char * const sha1_only[] = { "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "PLAIN", NULL };
  static const char * const plain_only[] = { "PLAIN", NULL };
  static const char * const unusable[] = { "DIGEST-MD5", "X-OAUTH2", "EXTERNAL", NULL };
  static const char * const plus_only[] = { "SCRAM-SHA-256-PLUS", NULL };
  static const char * const empty[] = { NULL };
  static const struct {
    const char * const *offered;
    gboolean            tls;
    gboolean            cb;
    const char         *expected;  /* NULL: error */
  } cases[] = {
    { all,        TRUE,  TRUE,  "SCRAM-SHA-512-PLUS" },
    { all,        TRUE,  FALSE, "SCRAM-SHA-512" },
    { all,        FALSE, FALSE, "SCRAM-SHA-512" },
    { no_512,     TRUE,  TRUE,  "SCRAM-SHA-256-PLUS" },
    { no_512,     TRUE,  FALSE, "SCRAM-SHA-256" },
    { sha1_only,  TRUE,  TRUE,  "SCRAM-SHA-1-PLUS" },
    { sha1_only,  TRUE,  FALSE, "SCRAM-SHA-1" },
    { sha1_only,  FALSE, FALSE, "SCRAM-SHA-1" },
    { plain_only, TRUE,  FALSE, "PLAIN" },
    { plain_only, TRUE,  TRUE,  "PLAIN" },
    { plain_only, FALSE, FALSE, NULL },
    { unusable,   TRUE,  TRUE,  NULL },
    { plus_only,  TRUE,  TRUE,  "SCRAM-SHA-256-PLUS" },
    { plus_only,  TRUE,  FALSE, NULL },
    { empty,      TRUE,  TRUE,  NULL },
    { NULL,       TRUE,  TRUE,  NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      const char *mech;

      mech = xmpp_sasl_select_mechanism (cases[i].offered, cases[i].tls, cases[i].cb, &error);
      if (cases[i].expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (mech, ==, cases[i].expected);
        }
      else
        {
          g_assert_error (error, XMPP_ERROR, XMPP_ERROR_NO_SUPPORTED_MECHANISM);
          g_assert_null (mech);
        }
    }
}

/* RFC vectors */

typedef struct
{
  const char *mechanism;
  const char *hash_name;
  const char *client_nonce;
  const char *server_nonce;
  const char *salt_b64;
  const char *client_first;
  const char *server_first;
  const char *client_final;
  const char *server_final;
  const char *salted_password;  /* hex; only as a comment's cross-check */
  const char *stored_key;       /* hex */
  const char *server_key;       /* hex */
} ScramVector;

/* RFC 5802 §5, user "user", password "pencil". */
static const ScramVector rfc5802_vector = {
  "SCRAM-SHA-1", "SHA-1",
  "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
  "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
  "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
  "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
  "1d96ee3a529b5a5f9e47c01f229a2cb8a6e15f7d",
  "e9d94660c39d65c38fbad91c358f14da0eef2bd6",
  "0fe09258b3ac852ba502cc62ba903eaacdbf7d31",
};

/* RFC 7677 §3, user "user", password "pencil". */
static const ScramVector rfc7677_vector = {
  "SCRAM-SHA-256", "SHA-256",
  "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
  "c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d",
  "586e5df283e6dceb5c3e791d8b8528ec191e664045ce971792e2e6b5bb13e2a6",
  "c1f3cbc1c13a9d35a14c0990eed97629ea225863e566a4314ab99f3f00e5d9d5",
};

/* SCRAM-SHA-512 has no RFC vector.  These values use the RFC 7677 inputs
 * (user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, i=4096,
 * the same nonces) and were computed independently with Python:
 *   sp = hashlib.pbkdf2_hmac ("sha512", b"pencil", salt, 4096)
 *   ck = hmac.new (sp, b"Client Key", "sha512").digest ()
 *   stored = hashlib.sha512 (ck).digest ()
 *   server_key = hmac.new (sp, b"Server Key", "sha512").digest ()
 *   proof = ck XOR hmac (stored, AuthMessage); v = hmac (server_key, AuthMessage)
 */
static const ScramVector sha512_vector = {
  "SCRAM-SHA-512", "SHA-512",
  "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
  "p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
  "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==",
  "f16efe1be67f1d09502ebd5ed9262fddffba5a377ab4f0b687e5ed5ba0f50686"
  "b8a4ae166476da8ab3b951d2fa9238b63998f45461bc33a464814949cec9631d",
  "e8002e6f7d3ae446119b216933644dc2a2be7869eb918b8459b5e7d7d2ec1260"
  "6aceef106825cd735170a675fd3611f684affad1dce3f43a0ee43bd590e1dbbe",
  "8d91db6230b5687874fe129bc7206e1858c3ae08e02934f57ac03b6b05a229c4"
  "59d28ff46f5c9611e6c179256490215ec1ff759cb0df285db89af0f99e613aac",
};

static void
test_vector_derive (gconstpointer data)
{
  const ScramVector *v = data;
  g_auto(XmppScramCredentials) creds = { 0, };
  g_autoptr(GBytes) salt = bytes_from_base64 (v->salt_b64);
  g_autoptr(GBytes) stored_key = bytes_from_hex (v->stored_key);
  g_autoptr(GBytes) server_key = bytes_from_hex (v->server_key);
  g_autoptr(GError) error = NULL;

  g_assert_true (xmpp_scram_derive (v->hash_name, "pencil", salt, 4096, &creds, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (creds.iterations, ==, 4096);
  g_assert_true (g_bytes_equal (creds.salt, salt));
  g_assert_true (g_bytes_equal (creds.stored_key, stored_key));
  g_assert_true (g_bytes_equal (creds.server_key, server_key));
}

static void
test_vector_client (gconstpointer data)
{
  const ScramVector *v = data;
  g_autoptr(XmppSaslClient) client = client_new (v->mechanism, "user", "pencil");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) server_first = bytes_from_string (v->server_first);
  g_autoptr(GBytes) final = NULL;
  g_autoptr(GBytes) server_final = bytes_from_string (v->server_final);
  g_autoptr(GError) error = NULL;

  xmpp_sasl_client_set_nonce (client, v->client_nonce);
  first = xmpp_sasl_client_start (client, &error);
  g_assert_no_error (error);
  assert_bytes_str (first, v->client_first);

  final = xmpp_sasl_client_step (client, server_first, &error);
  g_assert_no_error (error);
  assert_bytes_str (final, v->client_final);

  g_assert_true (xmpp_sasl_client_finish (client, server_final, &error));
  g_assert_no_error (error);
}

static XmppSaslServer *
vector_server_new (const ScramVector *v)
{
  TestDb *db = test_db_new (v->salt_b64, 4096);
  XmppSaslServer *server;

  test_db_add (db, "user", "pencil");
  server = server_new (v->mechanism, db);
  xmpp_sasl_server_set_nonce (server, v->server_nonce);
  return server;
}

static void
test_vector_server (gconstpointer data)
{
  const ScramVector *v = data;
  g_autoptr(XmppSaslServer) server = vector_server_new (v);
  g_autoptr(GBytes) client_first = bytes_from_string (v->client_first);
  g_autoptr(GBytes) client_final = bytes_from_string (v->client_final);
  g_autoptr(GBytes) out1 = NULL;
  g_autoptr(GBytes) out2 = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = TRUE;

  out1 = xmpp_sasl_server_step (server, client_first, &done, &error);
  g_assert_no_error (error);
  g_assert_false (done);
  assert_bytes_str (out1, v->server_first);
  g_assert_cmpstr (xmpp_sasl_server_get_username (server), ==, "user");

  out2 = xmpp_sasl_server_step (server, client_final, &done, &error);
  g_assert_no_error (error);
  g_assert_true (done);
  assert_bytes_str (out2, v->server_final);
  g_assert_null (xmpp_sasl_server_get_scram_error (server));
}

/* Flipping one bit of the proof must fail (RFC 5802 server side). */
static void
test_vector_server_bad_proof (gconstpointer data)
{
  const ScramVector *v = data;
  g_autoptr(XmppSaslServer) server = vector_server_new (v);
  g_autoptr(GBytes) client_first = bytes_from_string (v->client_first);
  g_autoptr(GBytes) client_final = NULL;
  g_autoptr(GBytes) out1 = NULL;
  g_autoptr(GBytes) out2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tampered = NULL;
  g_autofree guchar *proof = NULL;
  g_autofree char *proof_b64 = NULL;
  const char *p;
  gsize proof_len;
  gboolean done = FALSE;

  p = strstr (v->client_final, ",p=");
  proof = g_base64_decode (p + 3, &proof_len);
  proof[0] ^= 0x01;
  proof_b64 = g_base64_encode (proof, proof_len);
  tampered = g_strdup_printf ("%.*s,p=%s", (int) (p - v->client_final), v->client_final, proof_b64);
  client_final = bytes_from_string (tampered);

  out1 = xmpp_sasl_server_step (server, client_first, &done, &error);
  g_assert_no_error (error);
  out2 = xmpp_sasl_server_step (server, client_final, &done, &error);
  g_assert_error (error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  g_assert_null (out2);
  g_assert_false (done);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, "invalid-proof");
}

/* RFC 6120 §9.1.2 client messages (SCRAM-SHA-1 as framed in XMPP). */
static void
test_rfc6120_client (void)
{
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-1", "juliet", "r0m30myr0m30");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) challenge = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) success = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_b64 = NULL;

  xmpp_sasl_client_set_nonce (client, "oMsTAAwAAAAMAAAANP0TAAAAAABPU0AA");
  first = xmpp_sasl_client_start (client, &error);
  g_assert_no_error (error);
  first_b64 = g_base64_encode (g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_assert_cmpstr (first_b64, ==, "biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==");

  challenge = bytes_from_string ("r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AAe124695b-69a9-4de6-9c30-b51b3808c59e,"
                                 "s=NjhkYTM0MDgtNGY0Zi00NjdmLTkxMmUtNDlmNTNmNDNkMDMz,i=4096");
  response = xmpp_sasl_client_step (client, challenge, &error);
  g_assert_no_error (error);
  assert_bytes_str (response, "c=biws,r=oMsTAAwAAAAMAAAANP0TAAAAAABPU0AAe124695b-69a9-4de6-9c30-b51b3808c59e,"
                              "p=UA57tM/SvpATBkH2FXs0WDXvJYw=");

  success = bytes_from_base64 ("dj1wTk5ERlZFUXh1WHhDb1NFaVc4R0VaKzFSU289");
  g_assert_true (xmpp_sasl_client_finish (client, success, &error));
  g_assert_no_error (error);
}

/* PLAIN */

static void
test_plain_client (void)
{
  g_autoptr(XmppSaslClient) client = client_new ("PLAIN", "juliet", "r0m30myr0m30");
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *b64 = NULL;

  msg = xmpp_sasl_client_start (client, &error);
  g_assert_no_error (error);
  b64 = g_base64_encode (g_bytes_get_data (msg, NULL), g_bytes_get_size (msg));
  g_assert_cmpstr (b64, ==, "AGp1bGlldAByMG0zMG15cjBtMzA=");

  /* <success/> without data */
  g_assert_true (xmpp_sasl_client_finish (client, NULL, &error));
  g_assert_no_error (error);
}

static void
plain_server_expect (const char *b64,
                     const char *domain,
                     int         code,  /* an XmppSaslErrorCode, -1 for success */
                     const char *expected_user)
{
  g_autoptr(XmppSaslServer) server = default_server_new ("PLAIN");
  g_autoptr(GBytes) input = bytes_from_base64 (b64);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  if (domain != NULL)
    xmpp_sasl_server_set_domain (server, domain);

  out = xmpp_sasl_server_step (server, input, &done, &error);
  if (code < 0)
    {
      g_assert_no_error (error);
      g_assert_true (done);
      g_assert_nonnull (out);
      g_assert_cmpuint (g_bytes_get_size (out), ==, 0);
      g_assert_cmpstr (xmpp_sasl_server_get_username (server), ==, expected_user);
    }
  else
    {
      g_assert_error (error, XMPP_SASL_ERROR, code);
      g_assert_null (out);
      g_assert_false (done);
    }
}

static char *
plain_b64 (const char *authzid,
           const char *authcid,
           const char *password)
{
  g_autoptr(GString) s = g_string_new (authzid);
  g_autofree char *b64 = NULL;

  g_string_append_len (s, "", 1);
  g_string_append (s, authcid);
  g_string_append_len (s, "", 1);
  g_string_append (s, password);
  return g_base64_encode ((const guchar *) s->str, s->len);
}

static void
test_plain_server (void)
{
  g_autofree char *with_authzid = plain_b64 ("juliet@example.com", "juliet", "r0m30myr0m30");
  g_autofree char *other_authzid = plain_b64 ("romeo@example.com", "juliet", "r0m30myr0m30");
  g_autofree char *wrong_password = plain_b64 ("", "juliet", "r0m30");
  g_autofree char *unknown_user = plain_b64 ("", "nobody", "r0m30myr0m30");
  g_autofree char *empty_user = plain_b64 ("", "", "r0m30myr0m30");
  g_autofree char *empty_password = plain_b64 ("", "juliet", "");

  /* The RFC 6120 §6.4.2 vector against stored SCRAM keys */
  plain_server_expect ("AGp1bGlldAByMG0zMG15cjBtMzA=", NULL, -1, "juliet");
  plain_server_expect (with_authzid, "example.com", -1, "juliet");
  plain_server_expect (with_authzid, NULL, XMPP_SASL_ERROR_INVALID_AUTHZID, NULL);
  plain_server_expect (other_authzid, "example.com", XMPP_SASL_ERROR_INVALID_AUTHZID, NULL);
  plain_server_expect (wrong_password, NULL, XMPP_SASL_ERROR_NOT_AUTHORIZED, NULL);
  plain_server_expect (unknown_user, NULL, XMPP_SASL_ERROR_NOT_AUTHORIZED, NULL);
  plain_server_expect (empty_user, NULL, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL);
  plain_server_expect (empty_password, NULL, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL);
  /* "juliet" without any NUL, and one with three parts and an extra NUL */
  plain_server_expect ("anVsaWV0", NULL, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL);
  plain_server_expect ("AGp1bGlldAByMG0zMG15cjBtMzAAeA==", NULL, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL);
}

static void
test_plain_round_trip (void)
{
  g_autoptr(XmppSaslServer) server = default_server_new ("PLAIN");
  g_autoptr(XmppSaslClient) client = client_new ("PLAIN", "user", "pencil");
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;

  g_assert_true (run_exchange (client, server, &client_error, &server_error));
  g_assert_no_error (client_error);
  g_assert_no_error (server_error);
}

/* Round trips */

typedef struct
{
  const char             *mechanism;
  XmppChannelBindingType  cb_type;
} RoundTrip;

static const RoundTrip round_trips[] = {
  { "SCRAM-SHA-1", XMPP_CHANNEL_BINDING_NONE },
  { "SCRAM-SHA-256", XMPP_CHANNEL_BINDING_NONE },
  { "SCRAM-SHA-512", XMPP_CHANNEL_BINDING_NONE },
  { "SCRAM-SHA-1-PLUS", XMPP_CHANNEL_BINDING_TLS_EXPORTER },
  { "SCRAM-SHA-256-PLUS", XMPP_CHANNEL_BINDING_TLS_EXPORTER },
  { "SCRAM-SHA-512-PLUS", XMPP_CHANNEL_BINDING_TLS_EXPORTER },
  { "SCRAM-SHA-1-PLUS", XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT },
  { "SCRAM-SHA-256-PLUS", XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT },
  { "SCRAM-SHA-512-PLUS", XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT },
  { "SCRAM-SHA-256-PLUS", XMPP_CHANNEL_BINDING_TLS_UNIQUE },
};

static GBytes *
fake_cb_data (XmppChannelBindingType type)
{
  switch (type)
    {
    case XMPP_CHANNEL_BINDING_TLS_EXPORTER:
      return bytes_from_hex ("d3a1b2c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90");
    case XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT:
      return bytes_from_hex ("5a0b7c1d2e3f405162738495a6b7c8d9eafb0c1d2e3f405162738495a6b7c8d9");
    case XMPP_CHANNEL_BINDING_TLS_UNIQUE:
      return bytes_from_hex ("0102030405060708090a0b0c");
    case XMPP_CHANNEL_BINDING_NONE:
    default:
      return NULL;
    }
}

static void
server_set_all_cb (XmppSaslServer *server)
{
  for (XmppChannelBindingType t = XMPP_CHANNEL_BINDING_TLS_UNIQUE; t <= XMPP_CHANNEL_BINDING_TLS_EXPORTER; t++)
    {
      g_autoptr(GBytes) data = fake_cb_data (t);

      xmpp_sasl_server_set_channel_binding (server, t, data);
    }
}

static void
test_round_trip (gconstpointer data)
{
  const RoundTrip *rt = data;
  g_autoptr(XmppSaslServer) server = default_server_new (rt->mechanism);
  g_autoptr(XmppSaslClient) client = client_new (rt->mechanism, "user", "pencil");
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autofree char *first_str = NULL;
  const char *expected_prefix;

  g_assert_cmpstr (xmpp_sasl_client_get_mechanism (client), ==, rt->mechanism);
  g_assert_cmpstr (xmpp_sasl_server_get_mechanism (server), ==, rt->mechanism);

  if (rt->cb_type != XMPP_CHANNEL_BINDING_NONE)
    {
      g_autoptr(GBytes) cb = fake_cb_data (rt->cb_type);

      xmpp_sasl_client_set_channel_binding (client, rt->cb_type, cb);
      xmpp_sasl_client_set_server_offers_plus (client, TRUE);
      xmpp_sasl_server_set_advertised_plus (server, TRUE);
      server_set_all_cb (server);
    }

  g_assert_true (run_exchange (client, server, &client_error, &server_error));
  g_assert_no_error (client_error);
  g_assert_no_error (server_error);
  g_assert_cmpstr (xmpp_sasl_server_get_username (server), ==, "user");

  /* And the gs2 header says what was done. */
  g_clear_pointer (&client, xmpp_sasl_client_free);
  client = client_new (rt->mechanism, "user", "pencil");
  if (rt->cb_type != XMPP_CHANNEL_BINDING_NONE)
    {
      g_autoptr(GBytes) cb = fake_cb_data (rt->cb_type);

      xmpp_sasl_client_set_channel_binding (client, rt->cb_type, cb);
    }
  first = xmpp_sasl_client_start (client, &client_error);
  g_assert_no_error (client_error);
  first_str = bytes_to_string (first);
  switch (rt->cb_type)
    {
    case XMPP_CHANNEL_BINDING_TLS_EXPORTER:
      expected_prefix = "p=tls-exporter,,n=user,r=";
      break;
    case XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT:
      expected_prefix = "p=tls-server-end-point,,n=user,r=";
      break;
    case XMPP_CHANNEL_BINDING_TLS_UNIQUE:
      expected_prefix = "p=tls-unique,,n=user,r=";
      break;
    case XMPP_CHANNEL_BINDING_NONE:
    default:
      expected_prefix = "n,,n=user,r=";
      break;
    }
  g_assert_true (g_str_has_prefix (first_str, expected_prefix));
  /* 24 random bytes in base64 */
  g_assert_cmpuint (strlen (first_str), ==, strlen (expected_prefix) + 32);
  g_assert_null (strchr (first_str + strlen (expected_prefix), ','));
}

/* Two random nonces differ. */
static void
test_random_nonce (void)
{
  g_autoptr(XmppSaslClient) a = client_new ("SCRAM-SHA-256", "user", "pencil");
  g_autoptr(XmppSaslClient) b = client_new ("SCRAM-SHA-256", "user", "pencil");
  g_autoptr(GBytes) first_a = xmpp_sasl_client_start (a, NULL);
  g_autoptr(GBytes) first_b = xmpp_sasl_client_start (b, NULL);

  g_assert_false (g_bytes_equal (first_a, first_b));
}

/* Failures */

static void
test_wrong_password (gconstpointer data)
{
  const char *mechanism = data;
  g_autoptr(XmppSaslServer) server = default_server_new (mechanism);
  g_autoptr(XmppSaslClient) client = client_new (mechanism, "user", "pen");
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;

  g_assert_false (run_exchange (client, server, &client_error, &server_error));
  g_assert_no_error (client_error);
  g_assert_error (server_error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  if (g_str_has_prefix (mechanism, "SCRAM"))
    g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, "invalid-proof");
}

/* An unknown user looks exactly like a wrong password. */
static void
test_unknown_user (void)
{
  g_autoptr(XmppSaslServer) server = default_server_new ("SCRAM-SHA-256");
  g_autoptr(XmppSaslServer) server2 = default_server_new ("SCRAM-SHA-256");
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256", "nobody", "pencil");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) server_first = NULL;
  g_autoptr(GBytes) server_first2 = NULL;
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;
  g_autofree char *str = NULL;
  g_autofree char *str2 = NULL;
  gboolean done = FALSE;

  g_assert_false (run_exchange (client, server, &client_error, &server_error));
  g_assert_no_error (client_error);
  g_assert_error (server_error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, "invalid-proof");

  /* The fake salt is stable for a name and looks like a real one. */
  first = bytes_from_string ("n,,n=nobody,r=abcdefghijklmnop");
  xmpp_sasl_server_set_nonce (server2, "SERVERNONCE");
  g_clear_error (&server_error);
  server_first = xmpp_sasl_server_step (server2, first, &done, &server_error);
  g_assert_no_error (server_error);
  g_assert_nonnull (server_first);
  str = bytes_to_string (server_first);
  g_assert_true (g_str_has_prefix (str, "r=abcdefghijklmnopSERVERNONCE,s="));
  g_assert_true (g_str_has_suffix (str, ",i=" G_STRINGIFY (XMPP_SCRAM_DEFAULT_ITERATIONS)));
  /* 16 bytes of salt: 24 base64 characters */
  g_assert_cmpuint (strlen (str), ==, strlen ("r=abcdefghijklmnopSERVERNONCE,s=") + 24 +
                    strlen (",i=" G_STRINGIFY (XMPP_SCRAM_DEFAULT_ITERATIONS)));

  g_clear_pointer (&server2, xmpp_sasl_server_free);
  server2 = default_server_new ("SCRAM-SHA-256");
  xmpp_sasl_server_set_nonce (server2, "SERVERNONCE");
  server_first2 = xmpp_sasl_server_step (server2, first, &done, &server_error);
  g_assert_no_error (server_error);
  str2 = bytes_to_string (server_first2);
  g_assert_cmpstr (str, ==, str2);
}

static void
test_signature_mismatch (void)
{
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-1", "user", "pencil");
  g_autoptr(XmppSaslClient) client2 = client_new ("SCRAM-SHA-1", "user", "pencil");
  g_autoptr(XmppSaslClient) client3 = client_new ("SCRAM-SHA-1", "user", "pencil");
  g_autoptr(GBytes) server_first = bytes_from_string (rfc5802_vector.server_first);
  g_autoptr(GBytes) bad_final = bytes_from_string ("v=rmF9pqV8S7suAoZWja4dJRkFsKE=");
  g_autoptr(GBytes) short_final = bytes_from_string ("v=rmF9pqV8S7su");
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) out2 = NULL;
  g_autoptr(GBytes) out3 = NULL;
  g_autoptr(GError) error = NULL;

  /* in <success/> */
  xmpp_sasl_client_set_nonce (client, rfc5802_vector.client_nonce);
  g_bytes_unref (xmpp_sasl_client_start (client, NULL));
  out = xmpp_sasl_client_step (client, server_first, &error);
  g_assert_no_error (error);
  g_assert_false (xmpp_sasl_client_finish (client, bad_final, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH);
  g_clear_error (&error);

  /* in a final <challenge/> */
  xmpp_sasl_client_set_nonce (client2, rfc5802_vector.client_nonce);
  g_bytes_unref (xmpp_sasl_client_start (client2, NULL));
  out2 = xmpp_sasl_client_step (client2, server_first, &error);
  g_assert_no_error (error);
  g_assert_null (xmpp_sasl_client_step (client2, short_final, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH);
  g_clear_error (&error);

  /* <success/> without any v= */
  xmpp_sasl_client_set_nonce (client3, rfc5802_vector.client_nonce);
  g_bytes_unref (xmpp_sasl_client_start (client3, NULL));
  out3 = xmpp_sasl_client_step (client3, server_first, &error);
  g_assert_no_error (error);
  g_assert_false (xmpp_sasl_client_finish (client3, NULL, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH);
}

/* Success before the exchange: the server did not prove anything. */
static void
test_early_success (void)
{
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256", "user", "pencil");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) data = bytes_from_string (rfc7677_vector.server_final);
  g_autoptr(GError) error = NULL;

  first = xmpp_sasl_client_start (client, &error);
  g_assert_no_error (error);
  g_assert_false (xmpp_sasl_client_finish (client, data, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH);
}

/* Server-final in a <challenge/>, answered by an empty <response/>. */
static void
test_final_in_challenge (void)
{
  const ScramVector *v = &rfc7677_vector;
  g_autoptr(XmppSaslClient) client = client_new (v->mechanism, "user", "pencil");
  g_autoptr(GBytes) server_first = bytes_from_string (v->server_first);
  g_autoptr(GBytes) server_final = bytes_from_string (v->server_final);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) empty = NULL;
  g_autoptr(GError) error = NULL;

  xmpp_sasl_client_set_nonce (client, v->client_nonce);
  g_bytes_unref (xmpp_sasl_client_start (client, NULL));
  out = xmpp_sasl_client_step (client, server_first, &error);
  g_assert_no_error (error);
  empty = xmpp_sasl_client_step (client, server_final, &error);
  g_assert_no_error (error);
  g_assert_nonnull (empty);
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
  g_assert_true (xmpp_sasl_client_finish (client, NULL, &error));
  g_assert_no_error (error);
}

/* No initial response: empty challenge, then the client-first. */
static void
test_no_initial_response (void)
{
  g_autoptr(XmppSaslServer) server = default_server_new ("SCRAM-SHA-256");
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256", "user", "pencil");
  g_autoptr(GBytes) challenge = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) server_first = NULL;
  g_autoptr(GBytes) final = NULL;
  g_autoptr(GBytes) server_final = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = TRUE;

  challenge = xmpp_sasl_server_step (server, NULL, &done, &error);
  g_assert_no_error (error);
  g_assert_false (done);
  g_assert_cmpuint (g_bytes_get_size (challenge), ==, 0);

  first = xmpp_sasl_client_step (client, challenge, &error);
  g_assert_no_error (error);
  server_first = xmpp_sasl_server_step (server, first, &done, &error);
  g_assert_no_error (error);
  final = xmpp_sasl_client_step (client, server_first, &error);
  g_assert_no_error (error);
  server_final = xmpp_sasl_server_step (server, final, &done, &error);
  g_assert_no_error (error);
  g_assert_true (done);
  g_assert_true (xmpp_sasl_client_finish (client, server_final, &error));
  g_assert_no_error (error);
}

/* 'y' while the server advertised -PLUS: stripping detected. */
static void
test_y_flag (void)
{
  g_autoptr(GBytes) cb = fake_cb_data (XMPP_CHANNEL_BINDING_TLS_EXPORTER);

  for (guint advertised = 0; advertised < 2; advertised++)
    {
      g_autoptr(XmppSaslServer) server = default_server_new ("SCRAM-SHA-256");
      g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256", "user", "pencil");
      g_autoptr(GError) client_error = NULL;
      g_autoptr(GError) server_error = NULL;
      gboolean ok;

      /* The client has channel binding but saw no -PLUS (it was stripped). */
      xmpp_sasl_client_set_channel_binding (client, XMPP_CHANNEL_BINDING_TLS_EXPORTER, cb);
      xmpp_sasl_client_set_server_offers_plus (client, FALSE);
      xmpp_sasl_server_set_advertised_plus (server, advertised);
      server_set_all_cb (server);

      ok = run_exchange (client, server, &client_error, &server_error);
      g_assert_no_error (client_error);
      if (advertised)
        {
          g_assert_false (ok);
          g_assert_error (server_error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
          g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==,
                           "server-does-support-channel-binding");
        }
      else
        {
          g_assert_true (ok);
          g_assert_no_error (server_error);
        }
    }
}

/* The client's flag: y only with cb data and no -PLUS seen. */
static void
test_gs2_flags (void)
{
  g_autoptr(GBytes) cb = fake_cb_data (XMPP_CHANNEL_BINDING_TLS_EXPORTER);
  static const struct {
    gboolean    has_cb;
    gboolean    offers_plus;
    const char *prefix;
  } cases[] = {
    { FALSE, FALSE, "n,,n=user," },
    { FALSE, TRUE,  "n,,n=user," },
    { TRUE,  FALSE, "y,,n=user," },
    { TRUE,  TRUE,  "n,,n=user," },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-1", "user", "pencil");
      g_autoptr(GBytes) first = NULL;
      g_autofree char *str = NULL;

      if (cases[i].has_cb)
        xmpp_sasl_client_set_channel_binding (client, XMPP_CHANNEL_BINDING_TLS_EXPORTER, cb);
      xmpp_sasl_client_set_server_offers_plus (client, cases[i].offers_plus);
      first = xmpp_sasl_client_start (client, NULL);
      str = bytes_to_string (first);
      g_assert_true (g_str_has_prefix (str, cases[i].prefix));
    }
}

/* -PLUS without channel-binding data is a caller error. */
static void
test_plus_without_cb (void)
{
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256-PLUS", "user", "pencil");
  g_autoptr(GError) error = NULL;

  g_assert_null (xmpp_sasl_client_start (client, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
}

static void
test_wrong_cb_data (void)
{
  g_autoptr(XmppSaslServer) server = default_server_new ("SCRAM-SHA-256-PLUS");
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256-PLUS", "user", "pencil");
  g_autoptr(GBytes) theirs = bytes_from_hex ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;

  /* A MITM terminates TLS: each side sees a different channel. */
  xmpp_sasl_client_set_channel_binding (client, XMPP_CHANNEL_BINDING_TLS_EXPORTER, theirs);
  xmpp_sasl_client_set_server_offers_plus (client, TRUE);
  xmpp_sasl_server_set_advertised_plus (server, TRUE);
  server_set_all_cb (server);

  g_assert_false (run_exchange (client, server, &client_error, &server_error));
  g_assert_no_error (client_error);
  g_assert_error (server_error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, "channel-bindings-dont-match");
}

static void
test_unsupported_cb_type (void)
{
  g_autoptr(XmppSaslServer) server = default_server_new ("SCRAM-SHA-256-PLUS");
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256-PLUS", "user", "pencil");
  g_autoptr(GBytes) cb = fake_cb_data (XMPP_CHANNEL_BINDING_TLS_UNIQUE);
  g_autoptr(GBytes) exporter = fake_cb_data (XMPP_CHANNEL_BINDING_TLS_EXPORTER);
  g_autoptr(GBytes) unknown = bytes_from_string ("p=tls-foo,,n=user,r=abcdefghijklmnop");
  g_autoptr(XmppSaslServer) server2 = default_server_new ("SCRAM-SHA-256-PLUS");
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;
  gboolean done = FALSE;

  /* The server (TLS 1.3) has no tls-unique. */
  xmpp_sasl_client_set_channel_binding (client, XMPP_CHANNEL_BINDING_TLS_UNIQUE, cb);
  xmpp_sasl_server_set_channel_binding (server, XMPP_CHANNEL_BINDING_TLS_EXPORTER, exporter);
  g_assert_false (run_exchange (client, server, &client_error, &server_error));
  g_assert_error (server_error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, "unsupported-channel-binding-type");
  g_clear_error (&server_error);

  xmpp_sasl_server_set_channel_binding (server2, XMPP_CHANNEL_BINDING_TLS_EXPORTER, exporter);
  out = xmpp_sasl_server_step (server2, unknown, &done, &server_error);
  g_assert_null (out);
  g_assert_error (server_error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server2), ==, "unsupported-channel-binding-type");
}

static void
server_first_expect (const char        *mechanism,
                     const char        *message,
                     gboolean           advertised_plus,
                     XmppSaslErrorCode  code,
                     const char        *scram_error)
{
  g_autoptr(XmppSaslServer) server = default_server_new (mechanism);
  g_autoptr(GBytes) input = bytes_from_string (message);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  server_set_all_cb (server);
  xmpp_sasl_server_set_advertised_plus (server, advertised_plus);
  out = xmpp_sasl_server_step (server, input, &done, &error);
  g_assert_null (out);
  g_assert_error (error, XMPP_SASL_ERROR, code);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, scram_error);

  /* A failed exchange stays failed. */
  g_clear_error (&error);
  g_assert_null (xmpp_sasl_server_step (server, input, &done, &error));
  g_assert_error (error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_MALFORMED_REQUEST);
}

static void
test_server_flag_rules (void)
{
  /* p= on a mechanism without -PLUS */
  server_first_expect ("SCRAM-SHA-256", "p=tls-exporter,,n=user,r=abcdefghijklmnop", TRUE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "other-error");
  /* -PLUS selected but no binding */
  server_first_expect ("SCRAM-SHA-256-PLUS", "n,,n=user,r=abcdefghijklmnop", TRUE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "other-error");
  server_first_expect ("SCRAM-SHA-256-PLUS", "y,,n=user,r=abcdefghijklmnop", TRUE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "other-error");
  /* y while advertised */
  server_first_expect ("SCRAM-SHA-1", "y,,n=user,r=abcdefghijklmnop", TRUE,
                       XMPP_SASL_ERROR_NOT_AUTHORIZED, "server-does-support-channel-binding");
  /* broken gs2 headers */
  server_first_expect ("SCRAM-SHA-1", "x,,n=user,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  server_first_expect ("SCRAM-SHA-1", "n,n=user,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  server_first_expect ("SCRAM-SHA-1", "", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  /* mandatory extension */
  server_first_expect ("SCRAM-SHA-1", "n,,m=foo,n=user,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "extensions-not-supported");
  /* missing or bad nonce */
  server_first_expect ("SCRAM-SHA-1", "n,,n=user", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  server_first_expect ("SCRAM-SHA-1", "n,,n=user,r=", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  server_first_expect ("SCRAM-SHA-1", "n,,n=user,r=abc def", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  /* bad saslname escapes, empty user name */
  server_first_expect ("SCRAM-SHA-1", "n,,n=us=2Der,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-username-encoding");
  server_first_expect ("SCRAM-SHA-1", "n,,n=user=,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-username-encoding");
  server_first_expect ("SCRAM-SHA-1", "n,,n=,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-username-encoding");
  /* an authzid without a domain to compare it with */
  server_first_expect ("SCRAM-SHA-1", "n,a=user@example.com,n=user,r=abcdefghijklmnop", FALSE,
                       XMPP_SASL_ERROR_INVALID_AUTHZID, "other-error");
}

static void
test_server_authzid (void)
{
  static const struct {
    const char *message;
    gboolean    ok;
  } cases[] = {
    { "n,a=user@example.com,n=user,r=abcdefghijklmnop", TRUE },
    { "n,a=User@Example.COM,n=user,r=abcdefghijklmnop", TRUE },
    { "n,a=juliet@example.com,n=user,r=abcdefghijklmnop", FALSE },
    { "n,a=user@example.com/res,n=user,r=abcdefghijklmnop", FALSE },
    { "n,a=user@example.org,n=user,r=abcdefghijklmnop", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(XmppSaslServer) server = default_server_new ("SCRAM-SHA-1");
      g_autoptr(GBytes) input = bytes_from_string (cases[i].message);
      g_autoptr(GBytes) out = NULL;
      g_autoptr(GError) error = NULL;
      gboolean done = FALSE;

      xmpp_sasl_server_set_domain (server, "example.com");
      out = xmpp_sasl_server_step (server, input, &done, &error);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (out);
        }
      else
        {
          g_assert_error (error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_INVALID_AUTHZID);
        }
    }
}

/* client-final checks on the server: nonce echo, c=, proof syntax */
static void
server_final_expect (const char        *final,
                     XmppSaslErrorCode  code,
                     const char        *scram_error)
{
  g_autoptr(XmppSaslServer) server = vector_server_new (&rfc5802_vector);
  g_autoptr(GBytes) first = bytes_from_string (rfc5802_vector.client_first);
  g_autoptr(GBytes) input = bytes_from_string (final);
  g_autoptr(GBytes) out1 = NULL;
  g_autoptr(GBytes) out2 = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  out1 = xmpp_sasl_server_step (server, first, &done, &error);
  g_assert_no_error (error);
  out2 = xmpp_sasl_server_step (server, input, &done, &error);
  g_assert_null (out2);
  g_assert_false (done);
  g_assert_error (error, XMPP_SASL_ERROR, code);
  g_assert_cmpstr (xmpp_sasl_server_get_scram_error (server), ==, scram_error);
}

static void
test_server_final_checks (void)
{
  /* nonce not echoed (one character changed, then the client nonce alone) */
  server_final_expect ("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7J,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                       XMPP_SASL_ERROR_NOT_AUTHORIZED, "other-error");
  server_final_expect ("c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                       XMPP_SASL_ERROR_NOT_AUTHORIZED, "other-error");
  /* c= claiming 'y' after 'n' */
  server_final_expect ("c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                       XMPP_SASL_ERROR_NOT_AUTHORIZED, "channel-bindings-dont-match");
  /* malformed */
  server_final_expect ("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  server_final_expect ("c=bi*s,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  server_final_expect ("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4T",
                       XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding");
  /* proof of the wrong length */
  server_final_expect ("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJ",
                       XMPP_SASL_ERROR_NOT_AUTHORIZED, "invalid-proof");
}

/* server-first checks on the client */
static void
client_step_expect (const char    *server_first,
                    XmppErrorCode  code)
{
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-1", "user", "pencil");
  g_autoptr(GBytes) challenge = bytes_from_string (server_first);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;

  xmpp_sasl_client_set_nonce (client, rfc5802_vector.client_nonce);
  g_bytes_unref (xmpp_sasl_client_start (client, NULL));
  out = xmpp_sasl_client_step (client, challenge, &error);
  g_assert_null (out);
  g_assert_error (error, XMPP_ERROR, code);
}

static void
test_client_server_first_checks (void)
{
  /* nonce does not extend ours / does not extend it at all */
  client_step_expect ("r=Xyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                      XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096",
                      XMPP_ERROR_PROTOCOL);
  /* mandatory extension */
  client_step_expect ("m=x,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096",
                      XMPP_ERROR_PROTOCOL);
  /* iteration counts */
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4095",
                      XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0",
                      XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=10000000",
                      XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-4096",
                      XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096x",
                      XMPP_ERROR_PROTOCOL);
  /* salt */
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096", XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSX*,i=4096", XMPP_ERROR_PROTOCOL);
  /* order and completeness */
  client_step_expect ("s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096", XMPP_ERROR_PROTOCOL);
  client_step_expect ("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92", XMPP_ERROR_PROTOCOL);
  /* a server error instead of server-first */
  client_step_expect ("e=unknown-user", XMPP_ERROR_AUTHENTICATION_FAILED);
}

static void
test_server_error_value (void)
{
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-1", "user", "pencil");
  g_autoptr(GBytes) server_first = bytes_from_string (rfc5802_vector.server_first);
  g_autoptr(GBytes) error_data = bytes_from_string ("e=invalid-proof");
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;

  xmpp_sasl_client_set_nonce (client, rfc5802_vector.client_nonce);
  g_bytes_unref (xmpp_sasl_client_start (client, NULL));
  out = xmpp_sasl_client_step (client, server_first, &error);
  g_assert_no_error (error);
  g_assert_false (xmpp_sasl_client_finish (client, error_data, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_AUTHENTICATION_FAILED);
  g_assert_nonnull (strstr (error->message, "invalid-proof"));
  g_assert_cmpstr (xmpp_sasl_client_get_server_error (client), ==, "invalid-proof");
}

/* saslname escaping both ways */
static void
test_saslname (void)
{
  TestDb *db = test_db_new ("c2FsdHNhbHRzYWx0c2FsdA==", 4096);
  g_autoptr(XmppSaslServer) server = NULL;
  g_autoptr(XmppSaslClient) client = client_new ("SCRAM-SHA-256", "a,b=c", "pencil");
  g_autoptr(XmppSaslClient) client2 = client_new ("SCRAM-SHA-256", "a,b=c", "pencil");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GError) client_error = NULL;
  g_autoptr(GError) server_error = NULL;

  xmpp_sasl_client_set_nonce (client, "abcdefghijklmnop");
  first = xmpp_sasl_client_start (client, &client_error);
  g_assert_no_error (client_error);
  assert_bytes_str (first, "n,,n=a=2Cb=3Dc,r=abcdefghijklmnop");

  test_db_add (db, "a,b=c", "pencil");
  server = server_new ("SCRAM-SHA-256", db);
  g_assert_true (run_exchange (client2, server, &client_error, &server_error));
  g_assert_no_error (client_error);
  g_assert_no_error (server_error);
  g_assert_cmpstr (xmpp_sasl_server_get_username (server), ==, "a,b=c");
}

/* The SASLprep subset */
static void
test_saslprep (void)
{
  g_autoptr(GError) error = NULL;
  XmppSaslClient *client;
  g_auto(XmppScramCredentials) a = { 0, };
  g_auto(XmppScramCredentials) b = { 0, };
  g_autoptr(GBytes) salt = bytes_from_base64 ("QSXCR+Q6sek8bf92");

  /* Soft hyphen removed, ROMAN NUMERAL NINE → "IX" (NFKC), NBSP → space */
  client = client_new ("SCRAM-SHA-1", "I\xc2\xadX\xe2\x85\xa8\xc2\xa0z", "pencil");
  xmpp_sasl_client_set_nonce (client, "abcdefghijklmnop");
  {
    g_autoptr(GBytes) first = xmpp_sasl_client_start (client, &error);

    g_assert_no_error (error);
    assert_bytes_str (first, "n,,n=IXIX z,r=abcdefghijklmnop");
  }
  xmpp_sasl_client_free (client);

  /* Controls are refused; so is an empty name or password. */
  g_assert_null (xmpp_sasl_client_new ("SCRAM-SHA-1", "us\ter", "pencil", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (xmpp_sasl_client_new ("SCRAM-SHA-1", "", "pencil", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (xmpp_sasl_client_new ("PLAIN", "user", "", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* The password goes through the same preparation: U+2168 == "IX". */
  g_assert_true (xmpp_scram_derive ("SHA-1", "pass\xe2\x85\xa8", salt, 4096, &a, &error));
  g_assert_true (xmpp_scram_derive ("SHA-1", "passIX", salt, 4096, &b, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (a.stored_key, b.stored_key));
}

static void
test_unknown_mechanism (void)
{
  g_autoptr(GError) error = NULL;
  TestDb *db = test_db_new ("QSXCR+Q6sek8bf92", 4096);

  g_assert_null (xmpp_sasl_client_new ("DIGEST-MD5", "user", "pencil", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_NO_SUPPORTED_MECHANISM);
  g_clear_error (&error);

  g_assert_null (xmpp_sasl_server_new ("CRAM-MD5", test_db_lookup_cb, db, NULL, &error));
  g_assert_error (error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_INVALID_MECHANISM);
  test_db_free (db);
}

static void
test_derive_errors (void)
{
  g_auto(XmppScramCredentials) creds = { 0, };
  g_autoptr(GBytes) salt = xmpp_scram_generate_salt ();
  g_autoptr(GBytes) salt2 = xmpp_scram_generate_salt ();
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_bytes_get_size (salt), ==, XMPP_SCRAM_SALT_LENGTH);
  g_assert_false (g_bytes_equal (salt, salt2));

  g_assert_false (xmpp_scram_derive ("MD5", "pencil", salt, 4096, &creds, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (xmpp_scram_derive ("SHA-256", "pencil", empty, 4096, &creds, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (xmpp_scram_derive ("SHA-256", "pencil", salt, 0, &creds, &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (xmpp_scram_derive ("SHA-512", "pencil", salt, 4096, &creds, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (creds.stored_key), ==, 64);
  g_assert_cmpuint (g_bytes_get_size (creds.server_key), ==, 64);
}

int
main (int   argc,
      char *argv[])
{
  static const char *wrong_password_mechs[] = {
    "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512",
  };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sasl/channel-binding-names", test_channel_binding_names);
  g_test_add_func ("/sasl/select-mechanism", test_select_mechanism);

  g_test_add_data_func ("/sasl/scram-sha-1/rfc5802/derive", &rfc5802_vector, test_vector_derive);
  g_test_add_data_func ("/sasl/scram-sha-1/rfc5802/client", &rfc5802_vector, test_vector_client);
  g_test_add_data_func ("/sasl/scram-sha-1/rfc5802/server", &rfc5802_vector, test_vector_server);
  g_test_add_data_func ("/sasl/scram-sha-1/rfc5802/server-bad-proof", &rfc5802_vector, test_vector_server_bad_proof);
  g_test_add_func ("/sasl/scram-sha-1/rfc6120/client", test_rfc6120_client);
  g_test_add_data_func ("/sasl/scram-sha-256/rfc7677/derive", &rfc7677_vector, test_vector_derive);
  g_test_add_data_func ("/sasl/scram-sha-256/rfc7677/client", &rfc7677_vector, test_vector_client);
  g_test_add_data_func ("/sasl/scram-sha-256/rfc7677/server", &rfc7677_vector, test_vector_server);
  g_test_add_data_func ("/sasl/scram-sha-256/rfc7677/server-bad-proof", &rfc7677_vector, test_vector_server_bad_proof);
  g_test_add_data_func ("/sasl/scram-sha-512/python/derive", &sha512_vector, test_vector_derive);
  g_test_add_data_func ("/sasl/scram-sha-512/python/client", &sha512_vector, test_vector_client);
  g_test_add_data_func ("/sasl/scram-sha-512/python/server", &sha512_vector, test_vector_server);
  g_test_add_data_func ("/sasl/scram-sha-512/python/server-bad-proof", &sha512_vector, test_vector_server_bad_proof);

  g_test_add_func ("/sasl/plain/client", test_plain_client);
  g_test_add_func ("/sasl/plain/server", test_plain_server);
  g_test_add_func ("/sasl/plain/round-trip", test_plain_round_trip);

  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sasl/round-trip/%s/%s", round_trips[i].mechanism,
                                               round_trips[i].cb_type == XMPP_CHANNEL_BINDING_NONE
                                               ? "none"
                                               : xmpp_channel_binding_type_to_string (round_trips[i].cb_type));

      g_test_add_data_func (path, &round_trips[i], test_round_trip);
    }
  g_test_add_func ("/sasl/random-nonce", test_random_nonce);

  for (guint i = 0; i < G_N_ELEMENTS (wrong_password_mechs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sasl/wrong-password/%s", wrong_password_mechs[i]);

      g_test_add_data_func (path, wrong_password_mechs[i], test_wrong_password);
    }
  g_test_add_func ("/sasl/unknown-user", test_unknown_user);
  g_test_add_func ("/sasl/signature-mismatch", test_signature_mismatch);
  g_test_add_func ("/sasl/early-success", test_early_success);
  g_test_add_func ("/sasl/final-in-challenge", test_final_in_challenge);
  g_test_add_func ("/sasl/no-initial-response", test_no_initial_response);
  g_test_add_func ("/sasl/channel-binding/y-flag", test_y_flag);
  g_test_add_func ("/sasl/channel-binding/gs2-flags", test_gs2_flags);
  g_test_add_func ("/sasl/channel-binding/plus-without-data", test_plus_without_cb);
  g_test_add_func ("/sasl/channel-binding/wrong-data", test_wrong_cb_data);
  g_test_add_func ("/sasl/channel-binding/unsupported-type", test_unsupported_cb_type);
  g_test_add_func ("/sasl/server/flag-rules", test_server_flag_rules);
  g_test_add_func ("/sasl/server/authzid", test_server_authzid);
  g_test_add_func ("/sasl/server/client-final-checks", test_server_final_checks);
  g_test_add_func ("/sasl/client/server-first-checks", test_client_server_first_checks);
  g_test_add_func ("/sasl/client/server-error", test_server_error_value);
  g_test_add_func ("/sasl/saslname", test_saslname);
  g_test_add_func ("/sasl/saslprep", test_saslprep);
  g_test_add_func ("/sasl/unknown-mechanism", test_unknown_mechanism);
  g_test_add_func ("/sasl/derive-errors", test_derive_errors);

  return g_test_run ();
}
