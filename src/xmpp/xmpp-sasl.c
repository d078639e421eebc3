/* xmpp-sasl.c: PLAIN and SCRAM(-PLUS) for client and server
 *
 * SCRAM exchange (RFC 5802 §5) and who checks what here:
 *
 *   client                                        server
 *   start():  gs2-header client-first-bare  ───►  step(): gs2 flag rules,
 *             (n,, | y,, | p=TYPE,,)               m= rejected, saslname,
 *                                                  lookup (or fake salt)
 *   step():   nonce must extend ours,       ◄───  r=cnonce+snonce,s=,i=
 *             iteration count bounded
 *             c=,r=,p=ClientProof           ───►  step(): c= == gs2 [+ cb],
 *                                                  r= echoed, proof
 *   finish(): v= == ServerSignature         ◄───  v=ServerSignature (done)
 *
 * All primitives come from GnuTLS: PBKDF2 (gnutls_pbkdf2), HMAC
 * (gnutls_hmac_fast), H (gnutls_hash_fast), randomness (gnutls_rnd) and
 * the constant-time comparison (gnutls_memcmp).
 *
 * String preparation: RFC 5802 asks for SASLprep (RFC 4013) on the
 * username and the password.  ASCII strings pass unchanged (only control
 * characters are refused).  Other strings get the SASLprep mappings
 * (non-ASCII spaces to U+0020, "commonly mapped to nothing" removed), NFKC
 * and the prohibited-output check for controls, private use,
 * non-characters and display-changing characters.  The bidi rule and the
 * Unicode 3.2 unassigned code point check are left out.
 *
 * Unknown users: the server answers them exactly like known ones, with a
 * salt derived from the username under a per-process random key, the
 * default iteration count and random keys that no proof can match; PLAIN
 * runs a PBKDF2 for them too.  The fake salt changes when the server
 * restarts.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "xmpp-error.h"
#include "xmpp-sasl.h"

#define SCRAM_MAX_HASH_LEN 64
#define NONCE_RANDOM_BYTES 24

typedef struct
{
  const char                *name;
  gnutls_mac_algorithm_t     mac;
  gnutls_digest_algorithm_t  digest;
  gsize                      len;
} ScramHash;

static const ScramHash scram_hashes[] = {
  { "SHA-1",   GNUTLS_MAC_SHA1,   GNUTLS_DIG_SHA1,   20 },
  { "SHA-256", GNUTLS_MAC_SHA256, GNUTLS_DIG_SHA256, 32 },
  { "SHA-512", GNUTLS_MAC_SHA512, GNUTLS_DIG_SHA512, 64 },
};

typedef struct
{
  const char      *name;
  const ScramHash *hash;  /* NULL for PLAIN */
  gboolean         plus;
} Mechanism;

/* In the client's order of preference. */
static const Mechanism mechanisms[] = {
  { "SCRAM-SHA-512-PLUS", &scram_hashes[2], TRUE },
  { "SCRAM-SHA-256-PLUS", &scram_hashes[1], TRUE },
  { "SCRAM-SHA-1-PLUS",   &scram_hashes[0], TRUE },
  { "SCRAM-SHA-512",      &scram_hashes[2], FALSE },
  { "SCRAM-SHA-256",      &scram_hashes[1], FALSE },
  { "SCRAM-SHA-1",        &scram_hashes[0], FALSE },
  { "PLAIN",              NULL,             FALSE },
};

/* The hashes PLAIN tries, in this order, to find stored credentials. */
static const ScramHash *plain_lookup_order[] = {
  &scram_hashes[1], &scram_hashes[2], &scram_hashes[0],
};

static const Mechanism *
find_mechanism (const char *name)
{
  if (name == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    if (strcmp (mechanisms[i].name, name) == 0)
      return &mechanisms[i];

  return NULL;
}

static const ScramHash *
find_hash (const char *name)
{
  if (name == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (scram_hashes); i++)
    if (g_ascii_strcasecmp (scram_hashes[i].name, name) == 0)
      return &scram_hashes[i];

  return NULL;
}

gboolean
xmpp_sasl_mechanism_is_supported (const char *mechanism)
{
  return find_mechanism (mechanism) != NULL;
}

/* Channel binding types */

const char *
xmpp_channel_binding_type_to_string (XmppChannelBindingType type)
{
  switch (type)
    {
    case XMPP_CHANNEL_BINDING_TLS_UNIQUE:
      return "tls-unique";
    case XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT:
      return "tls-server-end-point";
    case XMPP_CHANNEL_BINDING_TLS_EXPORTER:
      return "tls-exporter";
    case XMPP_CHANNEL_BINDING_NONE:
    default:
      return NULL;
    }
}

XmppChannelBindingType
xmpp_channel_binding_type_from_string (const char *name)
{
  if (g_strcmp0 (name, "tls-unique") == 0)
    return XMPP_CHANNEL_BINDING_TLS_UNIQUE;
  if (g_strcmp0 (name, "tls-server-end-point") == 0)
    return XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT;
  if (g_strcmp0 (name, "tls-exporter") == 0)
    return XMPP_CHANNEL_BINDING_TLS_EXPORTER;
  return XMPP_CHANNEL_BINDING_NONE;
}

GBytes *
xmpp_tls_get_channel_binding (GTlsConnection          *tls,
                              XmppChannelBindingType   type,
                              GError                 **error)
{
  g_autoptr(GByteArray) data = NULL;
  GTlsChannelBindingType gio_type;

  g_return_val_if_fail (G_IS_TLS_CONNECTION (tls), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (type)
    {
    case XMPP_CHANNEL_BINDING_TLS_UNIQUE:
      gio_type = G_TLS_CHANNEL_BINDING_TLS_UNIQUE;
      break;
    case XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT:
      gio_type = G_TLS_CHANNEL_BINDING_TLS_SERVER_END_POINT;
      break;
    case XMPP_CHANNEL_BINDING_TLS_EXPORTER:
      gio_type = G_TLS_CHANNEL_BINDING_TLS_EXPORTER;
      break;
    case XMPP_CHANNEL_BINDING_NONE:
    default:
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           "No channel binding type given");
      return NULL;
    }

  data = g_byte_array_new ();
  if (!g_tls_connection_get_channel_binding_data (tls, gio_type, data, error))
    return NULL;

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* Mechanism selection */

const char *
xmpp_sasl_select_mechanism (const char * const  *offered,
                            gboolean             tls,
                            gboolean             channel_binding_available,
                            GError             **error)
{
  g_autofree char *list = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint i = 0; offered != NULL && i < G_N_ELEMENTS (mechanisms); i++)
    {
      const Mechanism *mech = &mechanisms[i];

      if (mech->plus && !channel_binding_available)
        continue;
      if (mech->hash == NULL && !tls)
        continue;
      if (g_strv_contains (offered, mech->name))
        return mech->name;
    }

  list = offered != NULL ? g_strjoinv (", ", (char **) offered) : NULL;
  g_set_error (error, XMPP_ERROR, XMPP_ERROR_NO_SUPPORTED_MECHANISM,
               "None of the server's authentication mechanisms (%s) can be used%s",
               list != NULL && *list != '\0' ? list : "none",
               tls ? "" : " without TLS");
  return NULL;
}

/* Crypto helpers (GnuTLS) */

static gboolean
scram_hi (const ScramHash  *hash,
          const char       *password,
          GBytes           *salt,
          guint             iterations,
          guint8           *out,
          GError          **error)
{
  gnutls_datum_t key, salt_datum;
  gsize salt_len;
  int ret;

  key.data = (unsigned char *) password;
  key.size = strlen (password);
  salt_datum.data = (unsigned char *) g_bytes_get_data (salt, &salt_len);
  salt_datum.size = salt_len;

  ret = gnutls_pbkdf2 (hash->mac, &key, &salt_datum, iterations, out, hash->len);
  if (ret < 0)
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_FAILED,
                   "PBKDF2 failed: %s", gnutls_strerror (ret));
      return FALSE;
    }
  return TRUE;
}

static void
scram_hmac (const ScramHash *hash,
            const guint8    *key,
            gsize            key_len,
            const void      *data,
            gsize            data_len,
            guint8          *out)
{
  int ret;

  ret = gnutls_hmac_fast (hash->mac, key, key_len, data, data_len, out);
  /* Only fails for an algorithm GnuTLS lacks, and it has all three. */
  g_assert (ret == 0);
}

static void
scram_h (const ScramHash *hash,
         const guint8    *data,
         gsize            data_len,
         guint8          *out)
{
  int ret;

  ret = gnutls_hash_fast (hash->digest, data, data_len, out);
  g_assert (ret == 0);
}

/* ClientKey, StoredKey and ServerKey from SaltedPassword; any out may be
 * NULL. */
static void
scram_keys (const ScramHash *hash,
            const guint8    *salted_password,
            guint8          *client_key,
            guint8          *stored_key,
            guint8          *server_key)
{
  guint8 ck[SCRAM_MAX_HASH_LEN];

  scram_hmac (hash, salted_password, hash->len, "Client Key", 10, ck);
  if (client_key != NULL)
    memcpy (client_key, ck, hash->len);
  if (stored_key != NULL)
    scram_h (hash, ck, hash->len, stored_key);
  if (server_key != NULL)
    scram_hmac (hash, salted_password, hash->len, "Server Key", 10, server_key);
  gnutls_memset (ck, 0, sizeof ck);
}

static char *
random_nonce (void)
{
  guint8 raw[NONCE_RANDOM_BYTES];
  int ret;

  ret = gnutls_rnd (GNUTLS_RND_NONCE, raw, sizeof raw);
  g_assert (ret == 0);
  /* Standard base64 never contains ',' and is printable ASCII. */
  return g_base64_encode (raw, sizeof raw);
}

GBytes *
xmpp_scram_generate_salt (void)
{
  guint8 *salt = g_malloc (XMPP_SCRAM_SALT_LENGTH);
  int ret;

  ret = gnutls_rnd (GNUTLS_RND_RANDOM, salt, XMPP_SCRAM_SALT_LENGTH);
  g_assert (ret == 0);
  return g_bytes_new_take (salt, XMPP_SCRAM_SALT_LENGTH);
}

static GBytes *
random_bytes (gsize len)
{
  guint8 *data = g_malloc (len);
  int ret;

  ret = gnutls_rnd (GNUTLS_RND_NONCE, data, len);
  g_assert (ret == 0);
  return g_bytes_new_take (data, len);
}

static void
secure_free (char *str)
{
  if (str != NULL)
    {
      gnutls_memset (str, 0, strlen (str));
      g_free (str);
    }
}

/* String preparation (see the top of the file) */

static gboolean
is_non_ascii_space (gunichar c)
{
  /* RFC 3454 C.1.2 */
  return c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

static gboolean
is_mapped_to_nothing (gunichar c)
{
  /* RFC 3454 B.1 */
  return c == 0x00AD || c == 0x034F || c == 0x1806 ||
         (c >= 0x180B && c <= 0x180D) || (c >= 0x200B && c <= 0x200D) ||
         c == 0x2060 || (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF;
}

static gboolean
is_prohibited (gunichar c)
{
  /* RFC 4013 §2.3: controls (C.2.1, C.2.2), private use (C.3),
   * non-characters (C.4), display-changing characters (C.8). */
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) ||
         c == 0x06DD || c == 0x070F || c == 0x180E ||
         (c >= 0x200C && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF ||
         (c >= 0xFFF9 && c <= 0xFFFC) || (c >= 0x1D173 && c <= 0x1D17A) ||
         c == 0x0340 || c == 0x0341 ||
         (c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000 ||
         (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE ||
         (c >= 0xD800 && c <= 0xDFFF);
}

/* NULL when @input is not valid UTF-8 or contains prohibited characters. */
static char *
sasl_prepare (const char *input,
              gssize      len)
{
  g_autoptr(GString) mapped = NULL;
  g_autofree char *normalized = NULL;
  const char *end;
  gboolean ascii = TRUE;

  if (len < 0)
    len = strlen (input);
  if (!g_utf8_validate_len (input, len, &end))
    return NULL;

  for (gssize i = 0; i < len; i++)
    {
      guchar c = input[i];

      if (c >= 0x80)
        ascii = FALSE;
      else if (c < 0x20 || c == 0x7F)
        return NULL;
    }
  if (ascii)
    return g_strndup (input, len);

  mapped = g_string_sized_new (len);
  for (const char *p = input; p < input + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_non_ascii_space (c))
        g_string_append_c (mapped, ' ');
      else if (!is_mapped_to_nothing (c))
        g_string_append_unichar (mapped, c);
    }

  normalized = g_utf8_normalize (mapped->str, mapped->len, G_NORMALIZE_NFKC);
  if (normalized == NULL)
    return NULL;

  for (const char *p = normalized; *p != '\0'; p = g_utf8_next_char (p))
    if (is_prohibited (g_utf8_get_char (p)))
      return NULL;

  return g_steal_pointer (&normalized);
}

/* saslname (RFC 5802 §5.1): ',' → "=2C", '=' → "=3D". */
static void
append_saslname (GString    *out,
                 const char *name)
{
  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append (out, "=2C");
      else if (*p == '=')
        g_string_append (out, "=3D");
      else
        g_string_append_c (out, *p);
    }
}

/* NULL for any other "=" sequence or invalid UTF-8. */
static char *
decode_saslname (const char *value)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p != '=')
        g_string_append_c (out, *p);
      else if (p[1] == '2' && p[2] == 'C')
        {
          g_string_append_c (out, ',');
          p += 2;
        }
      else if (p[1] == '3' && p[2] == 'D')
        {
          g_string_append_c (out, '=');
          p += 2;
        }
      else
        return NULL;
    }

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Printable ASCII except ',' (RFC 5802 §7 "printable"). */
static gboolean
is_valid_nonce (const char *nonce)
{
  if (nonce == NULL || *nonce == '\0')
    return FALSE;
  for (const char *p = nonce; *p != '\0'; p++)
    if (*p < 0x21 || *p > 0x7E || *p == ',')
      return FALSE;
  return TRUE;
}

/* Strict base64: RFC 4648 §4 alphabet, padded, padding bits zero.  NULL
 * for anything else, and for the empty string. */
static GBytes *
base64_decode_strict (const char *text)
{
  g_autofree guchar *data = NULL;
  g_autofree char *canonical = NULL;
  gsize len = strlen (text);
  gsize data_len;

  if (len == 0 || len % 4 != 0)
    return NULL;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      if (c == '=' && (i == len - 1 || (i == len - 2 && text[len - 1] == '=')))
        continue;
      return NULL;
    }

  data = g_base64_decode (text, &data_len);
  canonical = g_base64_encode (data, data_len);
  if (strcmp (canonical, text) != 0)
    return NULL;

  return g_bytes_new_take (g_steal_pointer (&data), data_len);
}

/* The message as a string: NULL when it holds a NUL or invalid UTF-8. */
static char *
message_to_string (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  if (len == 0)
    return g_strdup ("");
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL))
    return NULL;
  return g_strndup (data, len);
}

static GBytes *
string_to_bytes (GString *str)
{
  gsize len = str->len;

  return g_bytes_new_take (g_string_free (str, FALSE), len);
}

static GBytes *
take_string (char *str)
{
  return g_bytes_new_take (str, strlen (str));
}

/* The value of "x=value" when @part starts with @name and '='. */
static const char *
attribute_value (const char *part,
                 char        name)
{
  if (part != NULL && part[0] == name && part[1] == '=')
    return part + 2;
  return NULL;
}

/* Client */

typedef enum
{
  CLIENT_STATE_INITIAL,
  CLIENT_STATE_FIRST_SENT,   /* SCRAM: waiting for server-first */
  CLIENT_STATE_FINAL_SENT,   /* waiting for server-final / success */
  CLIENT_STATE_VERIFIED,     /* SCRAM: v= checked from a challenge */
  CLIENT_STATE_DONE,
  CLIENT_STATE_FAILED,
} ClientState;

struct _XmppSaslClient
{
  const Mechanism        *mech;
  ClientState             state;

  char                   *username;   /* prepared */
  char                   *password;   /* prepared; wiped on free */
  char                   *nonce;
  XmppChannelBindingType  cb_type;
  GBytes                 *cb_data;
  gboolean                server_offers_plus;

  char                   *gs2_header;
  char                   *client_first_bare;
  guint8                  server_signature[SCRAM_MAX_HASH_LEN];
  char                   *server_error;
};

XmppSaslClient *
xmpp_sasl_client_new (const char  *mechanism,
                      const char  *username,
                      const char  *password,
                      GError     **error)
{
  const Mechanism *mech;
  g_autofree char *prepared_user = NULL;
  char *prepared_password;
  XmppSaslClient *self;

  g_return_val_if_fail (mechanism != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mech = find_mechanism (mechanism);
  if (mech == NULL)
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_NO_SUPPORTED_MECHANISM,
                   "Unsupported SASL mechanism “%s”", mechanism);
      return NULL;
    }

  prepared_user = sasl_prepare (username, -1);
  if (prepared_user == NULL || *prepared_user == '\0')
    {
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           "The user name is empty or contains characters that are not allowed");
      return NULL;
    }

  prepared_password = sasl_prepare (password, -1);
  if (prepared_password == NULL || *prepared_password == '\0')
    {
      secure_free (prepared_password);
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           "The password is empty or contains characters that are not allowed");
      return NULL;
    }

  self = g_new0 (XmppSaslClient, 1);
  self->mech = mech;
  self->username = g_steal_pointer (&prepared_user);
  self->password = prepared_password;
  return self;
}

void
xmpp_sasl_client_free (XmppSaslClient *self)
{
  if (self == NULL)
    return;

  g_free (self->username);
  secure_free (self->password);
  g_free (self->nonce);
  g_clear_pointer (&self->cb_data, g_bytes_unref);
  g_free (self->gs2_header);
  g_free (self->client_first_bare);
  g_free (self->server_error);
  gnutls_memset (self->server_signature, 0, sizeof self->server_signature);
  g_free (self);
}

const char *
xmpp_sasl_client_get_mechanism (XmppSaslClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->mech->name;
}

void
xmpp_sasl_client_set_channel_binding (XmppSaslClient         *self,
                                      XmppChannelBindingType  type,
                                      GBytes                 *data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == CLIENT_STATE_INITIAL);

  self->cb_type = data != NULL ? type : XMPP_CHANNEL_BINDING_NONE;
  g_clear_pointer (&self->cb_data, g_bytes_unref);
  if (data != NULL && type != XMPP_CHANNEL_BINDING_NONE)
    self->cb_data = g_bytes_ref (data);
}

void
xmpp_sasl_client_set_server_offers_plus (XmppSaslClient *self,
                                         gboolean        offers)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == CLIENT_STATE_INITIAL);

  self->server_offers_plus = !!offers;
}

void
xmpp_sasl_client_set_nonce (XmppSaslClient *self,
                            const char     *nonce)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == CLIENT_STATE_INITIAL);
  g_return_if_fail (is_valid_nonce (nonce));

  g_free (self->nonce);
  self->nonce = g_strdup (nonce);
}

const char *
xmpp_sasl_client_get_server_error (XmppSaslClient *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->server_error;
}

static gboolean
client_fail (XmppSaslClient  *self,
             GError         **error,
             XmppErrorCode    code,
             const char      *message)
{
  self->state = CLIENT_STATE_FAILED;
  g_set_error_literal (error, XMPP_ERROR, code, message);
  return FALSE;
}

GBytes *
xmpp_sasl_client_start (XmppSaslClient  *self,
                        GError         **error)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->state != CLIENT_STATE_INITIAL)
    {
      client_fail (self, error, XMPP_ERROR_INVALID_ARGUMENT,
                   "The SASL exchange has already started");
      return NULL;
    }

  if (self->mech->hash == NULL)
    {
      /* PLAIN: authzid (empty) NUL authcid NUL passwd */
      gsize user_len = strlen (self->username);
      gsize pass_len = strlen (self->password);
      gsize len = 1 + user_len + 1 + pass_len;
      guint8 *msg = g_malloc (len);

      msg[0] = '\0';
      memcpy (msg + 1, self->username, user_len);
      msg[1 + user_len] = '\0';
      memcpy (msg + 2 + user_len, self->password, pass_len);
      self->state = CLIENT_STATE_FINAL_SENT;
      return g_bytes_new_take (msg, len);
    }

  if (self->mech->plus)
    {
      if (self->cb_data == NULL)
        {
          client_fail (self, error, XMPP_ERROR_INVALID_ARGUMENT,
                       "Channel binding data is required for a -PLUS mechanism");
          return NULL;
        }
      self->gs2_header = g_strdup_printf ("p=%s,,",
                                          xmpp_channel_binding_type_to_string (self->cb_type));
    }
  else if (self->cb_data != NULL && !self->server_offers_plus)
    {
      /* We could bind but the server listed no -PLUS: say so, so that a
       * server that did list one detects the stripping. */
      self->gs2_header = g_strdup ("y,,");
    }
  else
    {
      self->gs2_header = g_strdup ("n,,");
    }

  if (self->nonce == NULL)
    self->nonce = random_nonce ();

  out = g_string_new ("n=");
  append_saslname (out, self->username);
  g_string_append (out, ",r=");
  g_string_append (out, self->nonce);
  self->client_first_bare = g_strdup (out->str);
  g_string_prepend (out, self->gs2_header);

  self->state = CLIENT_STATE_FIRST_SENT;
  return string_to_bytes (out);
}

/* server-first → client-final */
static GBytes *
client_handle_server_first (XmppSaslClient  *self,
                            const char      *message,
                            GError         **error)
{
  const ScramHash *hash = self->mech->hash;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GByteArray) cbind = NULL;
  g_autofree char *cbind_b64 = NULL;
  g_autofree char *proof_b64 = NULL;
  g_autofree char *wo_proof = NULL;
  g_autofree char *auth_message = NULL;
  const char *nonce, *salt_b64, *iter_str;
  guint64 iterations;
  guint8 salted[SCRAM_MAX_HASH_LEN];
  guint8 client_key[SCRAM_MAX_HASH_LEN];
  guint8 stored_key[SCRAM_MAX_HASH_LEN];
  guint8 server_key[SCRAM_MAX_HASH_LEN];
  guint8 client_signature[SCRAM_MAX_HASH_LEN];
  guint8 proof[SCRAM_MAX_HASH_LEN];

  parts = g_strsplit (message, ",", -1);
  if (g_strv_length (parts) < 3)
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "Malformed SCRAM server-first message");
      return NULL;
    }
  if (attribute_value (parts[0], 'm') != NULL)
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "The server requires an unsupported SCRAM extension");
      return NULL;
    }

  nonce = attribute_value (parts[0], 'r');
  salt_b64 = attribute_value (parts[1], 's');
  iter_str = attribute_value (parts[2], 'i');
  if (nonce == NULL || salt_b64 == NULL || iter_str == NULL)
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "Malformed SCRAM server-first message");
      return NULL;
    }

  if (!is_valid_nonce (nonce) ||
      !g_str_has_prefix (nonce, self->nonce) ||
      strlen (nonce) <= strlen (self->nonce))
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "The server's SCRAM nonce does not extend ours");
      return NULL;
    }

  salt = base64_decode_strict (salt_b64);
  if (salt == NULL)
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "The server sent an invalid SCRAM salt");
      return NULL;
    }

  if (!g_ascii_isdigit (iter_str[0]) ||
      !g_ascii_string_to_unsigned (iter_str, 10, XMPP_SCRAM_MIN_ITERATIONS,
                                   XMPP_SCRAM_MAX_ITERATIONS, &iterations, NULL))
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "The server's SCRAM iteration count is invalid or outside the accepted range");
      return NULL;
    }

  /* c= is the gs2 header, followed by our binding data for p= */
  cbind = g_byte_array_new ();
  g_byte_array_append (cbind, (const guint8 *) self->gs2_header, strlen (self->gs2_header));
  if (self->mech->plus)
    {
      gsize cb_len;
      const guint8 *cb = g_bytes_get_data (self->cb_data, &cb_len);

      g_byte_array_append (cbind, cb, cb_len);
    }
  cbind_b64 = g_base64_encode (cbind->data, cbind->len);

  wo_proof = g_strdup_printf ("c=%s,r=%s", cbind_b64, nonce);
  auth_message = g_strdup_printf ("%s,%s,%s", self->client_first_bare, message, wo_proof);

  if (!scram_hi (hash, self->password, salt, iterations, salted, error))
    {
      self->state = CLIENT_STATE_FAILED;
      return NULL;
    }
  scram_keys (hash, salted, client_key, stored_key, server_key);
  scram_hmac (hash, stored_key, hash->len, auth_message, strlen (auth_message),
              client_signature);
  for (gsize i = 0; i < hash->len; i++)
    proof[i] = client_key[i] ^ client_signature[i];
  scram_hmac (hash, server_key, hash->len, auth_message, strlen (auth_message),
              self->server_signature);

  proof_b64 = g_base64_encode (proof, hash->len);

  gnutls_memset (salted, 0, sizeof salted);
  gnutls_memset (client_key, 0, sizeof client_key);
  gnutls_memset (stored_key, 0, sizeof stored_key);
  gnutls_memset (server_key, 0, sizeof server_key);

  self->state = CLIENT_STATE_FINAL_SENT;
  return take_string (g_strconcat (wo_proof, ",p=", proof_b64, NULL));
}

/* server-final: "v=" signature or "e=" error */
static gboolean
client_check_server_final (XmppSaslClient  *self,
                           const char      *message,
                           GError         **error)
{
  g_auto(GStrv) parts = g_strsplit (message, ",", -1);
  g_autoptr(GBytes) signature = NULL;
  const char *value;

  if ((value = attribute_value (parts[0], 'e')) != NULL)
    {
      g_free (self->server_error);
      self->server_error = g_strdup (value);
      self->state = CLIENT_STATE_FAILED;
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_AUTHENTICATION_FAILED,
                   "The server refused the authentication: %s", value);
      return FALSE;
    }

  value = attribute_value (parts[0], 'v');
  if (value == NULL)
    return client_fail (self, error, XMPP_ERROR_PROTOCOL,
                        "Malformed SCRAM server-final message");

  signature = base64_decode_strict (value);
  if (signature == NULL ||
      g_bytes_get_size (signature) != self->mech->hash->len ||
      gnutls_memcmp (g_bytes_get_data (signature, NULL), self->server_signature,
                     self->mech->hash->len) != 0)
    return client_fail (self, error, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH,
                        "The server could not prove that it knows the password; "
                        "the connection may be intercepted");

  return TRUE;
}

GBytes *
xmpp_sasl_client_step (XmppSaslClient  *self,
                       GBytes          *challenge,
                       GError         **error)
{
  g_autofree char *message = NULL;
  GBytes *out = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (challenge != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->state == CLIENT_STATE_INITIAL && g_bytes_get_size (challenge) == 0)
    return xmpp_sasl_client_start (self, error);

  message = message_to_string (challenge);
  if (message == NULL)
    {
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "The server sent a malformed SASL challenge");
      return NULL;
    }

  if (self->mech->hash != NULL && attribute_value (message, 'e') != NULL)
    {
      client_check_server_final (self, message, error);
      return NULL;
    }

  switch (self->state)
    {
    case CLIENT_STATE_FIRST_SENT:
      out = client_handle_server_first (self, message, error);
      break;

    case CLIENT_STATE_FINAL_SENT:
      if (self->mech->hash == NULL)
        {
          client_fail (self, error, XMPP_ERROR_PROTOCOL,
                       "The server sent a challenge to PLAIN");
          break;
        }
      if (client_check_server_final (self, message, error))
        {
          self->state = CLIENT_STATE_VERIFIED;
          out = g_bytes_new (NULL, 0);
        }
      break;

    case CLIENT_STATE_INITIAL:
    case CLIENT_STATE_VERIFIED:
    case CLIENT_STATE_DONE:
    case CLIENT_STATE_FAILED:
    default:
      client_fail (self, error, XMPP_ERROR_PROTOCOL,
                   "Unexpected SASL challenge");
      break;
    }

  return out;
}

gboolean
xmpp_sasl_client_finish (XmppSaslClient  *self,
                         GBytes          *success_data,
                         GError         **error)
{
  g_autofree char *message = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state == CLIENT_STATE_FAILED || self->state == CLIENT_STATE_DONE)
    return client_fail (self, error, XMPP_ERROR_PROTOCOL,
                        "The SASL exchange is already over");

  if (self->mech->hash == NULL)
    {
      /* PLAIN has no additional data; whatever came is ignored. */
      if (self->state != CLIENT_STATE_FINAL_SENT)
        return client_fail (self, error, XMPP_ERROR_PROTOCOL,
                            "Unexpected SASL success");
      self->state = CLIENT_STATE_DONE;
      return TRUE;
    }

  if (success_data != NULL && g_bytes_get_size (success_data) > 0)
    {
      if (self->state != CLIENT_STATE_FINAL_SENT && self->state != CLIENT_STATE_VERIFIED)
        return client_fail (self, error, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH,
                            "The server reported success before the SCRAM exchange was complete");

      message = message_to_string (success_data);
      if (message == NULL)
        return client_fail (self, error, XMPP_ERROR_PROTOCOL,
                            "Malformed SCRAM server-final message");
      if (!client_check_server_final (self, message, error))
        return FALSE;
    }
  else if (self->state != CLIENT_STATE_VERIFIED)
    {
      /* Success without v= would skip the server's half of the mutual
       * authentication. */
      return client_fail (self, error, XMPP_ERROR_SERVER_SIGNATURE_MISMATCH,
                          "The server reported success without proving that it knows the password");
    }

  self->state = CLIENT_STATE_DONE;
  return TRUE;
}

/* Stored credentials */

void
xmpp_scram_credentials_clear (XmppScramCredentials *creds)
{
  g_return_if_fail (creds != NULL);

  creds->iterations = 0;
  g_clear_pointer (&creds->salt, g_bytes_unref);
  g_clear_pointer (&creds->stored_key, g_bytes_unref);
  g_clear_pointer (&creds->server_key, g_bytes_unref);
}

gboolean
xmpp_scram_derive (const char            *hash_name,
                   const char            *password,
                   GBytes                *salt,
                   guint                  iterations,
                   XmppScramCredentials  *out,
                   GError               **error)
{
  const ScramHash *hash;
  char *prepared;
  guint8 salted[SCRAM_MAX_HASH_LEN];
  guint8 stored_key[SCRAM_MAX_HASH_LEN];
  guint8 server_key[SCRAM_MAX_HASH_LEN];
  gboolean ok;

  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (salt != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  hash = find_hash (hash_name);
  if (hash == NULL)
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                   "Unsupported SCRAM hash “%s”", hash_name ? hash_name : "(null)");
      return FALSE;
    }
  if (g_bytes_get_size (salt) == 0 ||
      iterations == 0 || iterations > XMPP_SCRAM_MAX_ITERATIONS)
    {
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           "Invalid SCRAM salt or iteration count");
      return FALSE;
    }

  prepared = sasl_prepare (password, -1);
  if (prepared == NULL || *prepared == '\0')
    {
      secure_free (prepared);
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           "The password is empty or contains characters that are not allowed");
      return FALSE;
    }

  ok = scram_hi (hash, prepared, salt, iterations, salted, error);
  secure_free (prepared);
  if (!ok)
    return FALSE;

  scram_keys (hash, salted, NULL, stored_key, server_key);
  gnutls_memset (salted, 0, sizeof salted);

  out->iterations = iterations;
  out->salt = g_bytes_ref (salt);
  out->stored_key = g_bytes_new (stored_key, hash->len);
  out->server_key = g_bytes_new (server_key, hash->len);
  return TRUE;
}

/* Server */

typedef enum
{
  SERVER_STATE_INITIAL,
  SERVER_STATE_FIRST_SENT,   /* SCRAM: waiting for client-final */
  SERVER_STATE_DONE,
  SERVER_STATE_FAILED,
} ServerState;

#define N_CB_TYPES (XMPP_CHANNEL_BINDING_TLS_EXPORTER + 1)

struct _XmppSaslServer
{
  const Mechanism        *mech;
  ServerState             state;
  gboolean                sent_empty_challenge;

  XmppSaslLookupFunc      lookup;
  gpointer                user_data;
  GDestroyNotify          destroy;

  GBytes                 *cb_data[N_CB_TYPES];
  gboolean                advertised_plus;
  char                   *domain;
  char                   *fixed_nonce;

  char                   *username;
  char                   *scram_error;

  /* SCRAM exchange */
  char                   *gs2_header;
  XmppChannelBindingType  cb_type;
  char                   *client_first_bare;
  char                   *server_first;
  char                   *nonce;
  XmppScramCredentials    creds;
  gboolean                known_user;
};

XmppSaslServer *
xmpp_sasl_server_new (const char          *mechanism,
                      XmppSaslLookupFunc   lookup,
                      gpointer             user_data,
                      GDestroyNotify       destroy,
                      GError             **error)
{
  const Mechanism *mech;
  XmppSaslServer *self;

  g_return_val_if_fail (mechanism != NULL, NULL);
  g_return_val_if_fail (lookup != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mech = find_mechanism (mechanism);
  if (mech == NULL)
    {
      g_set_error (error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_INVALID_MECHANISM,
                   "Unsupported SASL mechanism “%s”", mechanism);
      return NULL;
    }

  self = g_new0 (XmppSaslServer, 1);
  self->mech = mech;
  self->lookup = lookup;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

void
xmpp_sasl_server_free (XmppSaslServer *self)
{
  if (self == NULL)
    return;

  if (self->destroy != NULL)
    self->destroy (self->user_data);
  for (guint i = 0; i < N_CB_TYPES; i++)
    g_clear_pointer (&self->cb_data[i], g_bytes_unref);
  g_free (self->domain);
  g_free (self->fixed_nonce);
  g_free (self->username);
  g_free (self->scram_error);
  g_free (self->gs2_header);
  g_free (self->client_first_bare);
  g_free (self->server_first);
  g_free (self->nonce);
  xmpp_scram_credentials_clear (&self->creds);
  g_free (self);
}

const char *
xmpp_sasl_server_get_mechanism (XmppSaslServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->mech->name;
}

void
xmpp_sasl_server_set_channel_binding (XmppSaslServer         *self,
                                      XmppChannelBindingType  type,
                                      GBytes                 *data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (type > XMPP_CHANNEL_BINDING_NONE && type < N_CB_TYPES);

  g_clear_pointer (&self->cb_data[type], g_bytes_unref);
  if (data != NULL)
    self->cb_data[type] = g_bytes_ref (data);
}

void
xmpp_sasl_server_set_advertised_plus (XmppSaslServer *self,
                                      gboolean        advertised)
{
  g_return_if_fail (self != NULL);

  self->advertised_plus = !!advertised;
}

void
xmpp_sasl_server_set_domain (XmppSaslServer *self,
                             const char     *domain)
{
  g_return_if_fail (self != NULL);

  g_free (self->domain);
  self->domain = g_strdup (domain);
}

void
xmpp_sasl_server_set_nonce (XmppSaslServer *self,
                            const char     *nonce)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (is_valid_nonce (nonce));

  g_free (self->fixed_nonce);
  self->fixed_nonce = g_strdup (nonce);
}

const char *
xmpp_sasl_server_get_username (XmppSaslServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->username;
}

const char *
xmpp_sasl_server_get_scram_error (XmppSaslServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->scram_error;
}

static void server_fail (XmppSaslServer     *self,
                         GError            **error,
                         XmppSaslErrorCode   code,
                         const char         *scram_error,
                         const char         *format,
                         ...) G_GNUC_PRINTF (5, 6);

static void
server_fail (XmppSaslServer     *self,
             GError            **error,
             XmppSaslErrorCode   code,
             const char         *scram_error,
             const char         *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  self->state = SERVER_STATE_FAILED;
  g_free (self->scram_error);
  self->scram_error = g_strdup (scram_error);
  g_set_error_literal (error, XMPP_SASL_ERROR, code, message);
}

/* The salt an unknown user gets: stable for a name within this process. */
static GBytes *
fake_salt (const ScramHash *hash,
           const char      *username)
{
  static guint8 key[32];
  static gsize key_initialised = 0;
  g_autofree char *input = NULL;
  guint8 digest[32];

  if (g_once_init_enter (&key_initialised))
    {
      int ret = gnutls_rnd (GNUTLS_RND_KEY, key, sizeof key);

      g_assert (ret == 0);
      g_once_init_leave (&key_initialised, 1);
    }

  input = g_strconcat (hash->name, ":", username, NULL);
  scram_hmac (&scram_hashes[1], key, sizeof key, input, strlen (input), digest);
  return g_bytes_new (digest, XMPP_SCRAM_SALT_LENGTH);
}

static void
fake_credentials (const ScramHash      *hash,
                  const char           *username,
                  XmppScramCredentials *creds)
{
  xmpp_scram_credentials_clear (creds);
  creds->iterations = XMPP_SCRAM_DEFAULT_ITERATIONS;
  creds->salt = fake_salt (hash, username);
  creds->stored_key = random_bytes (hash->len);
  creds->server_key = random_bytes (hash->len);
}

/* Looks the user up; unknown users and unusable records get fake
 * credentials and FALSE. */
static gboolean
server_lookup (XmppSaslServer       *self,
               const ScramHash      *hash,
               XmppScramCredentials *creds)
{
  XmppScramCredentials found = { 0, };

  xmpp_scram_credentials_clear (creds);
  if (self->lookup (self->username, hash->name, &found, self->user_data))
    {
      if (found.iterations > 0 && found.iterations <= XMPP_SCRAM_MAX_ITERATIONS &&
          found.salt != NULL && g_bytes_get_size (found.salt) > 0 &&
          found.stored_key != NULL && g_bytes_get_size (found.stored_key) == hash->len &&
          found.server_key != NULL && g_bytes_get_size (found.server_key) == hash->len)
        {
          *creds = found;
          return TRUE;
        }
      g_debug ("Unusable %s credentials stored for a user", hash->name);
      xmpp_scram_credentials_clear (&found);
    }
  return FALSE;
}

/* An empty authzid, or username@domain when the domain is known. */
static gboolean
authzid_allowed (XmppSaslServer *self,
                 const char     *authzid)
{
  g_autofree char *expected = NULL;
  g_autofree char *expected_folded = NULL;
  g_autofree char *authzid_folded = NULL;

  if (authzid == NULL || *authzid == '\0')
    return TRUE;
  if (self->domain == NULL)
    return FALSE;

  expected = g_strconcat (self->username, "@", self->domain, NULL);
  expected_folded = g_utf8_casefold (expected, -1);
  authzid_folded = g_utf8_casefold (authzid, -1);
  return strcmp (expected_folded, authzid_folded) == 0;
}

static GBytes *
server_plain (XmppSaslServer  *self,
              GBytes          *input,
              gboolean        *done,
              GError         **error)
{
  gsize len;
  const char *data = g_bytes_get_data (input, &len);
  const char *first_nul, *second_nul;
  g_autofree char *authzid = NULL;
  g_autofree char *authcid = NULL;
  char *password;
  XmppScramCredentials creds = { 0, };
  const ScramHash *hash = NULL;
  guint8 salted[SCRAM_MAX_HASH_LEN];
  guint8 stored_key[SCRAM_MAX_HASH_LEN];
  gboolean known = FALSE;
  gboolean ok;

  first_nul = len > 0 ? memchr (data, '\0', len) : NULL;
  second_nul = first_nul != NULL
    ? memchr (first_nul + 1, '\0', len - (first_nul + 1 - data)) : NULL;
  if (second_nul == NULL ||
      memchr (second_nul + 1, '\0', len - (second_nul + 1 - data)) != NULL ||
      second_nul == first_nul + 1 || second_nul + 1 == data + len)
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL,
                   "Malformed PLAIN message");
      return NULL;
    }

  if (!g_utf8_validate_len (data, first_nul - data, NULL))
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL,
                   "The PLAIN authorization identity is not UTF-8");
      return NULL;
    }
  authzid = g_strndup (data, first_nul - data);
  authcid = sasl_prepare (first_nul + 1, second_nul - (first_nul + 1));
  if (authcid == NULL || *authcid == '\0')
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL,
                   "The PLAIN user name is not valid");
      return NULL;
    }
  g_free (self->username);
  self->username = g_steal_pointer (&authcid);

  if (!authzid_allowed (self, authzid))
    {
      server_fail (self, error, XMPP_SASL_ERROR_INVALID_AUTHZID, NULL,
                   "The authorization identity is not permitted");
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (plain_lookup_order) && !known; i++)
    {
      hash = plain_lookup_order[i];
      known = server_lookup (self, hash, &creds);
    }
  if (!known)
    {
      /* Same work as for a real user. */
      hash = &scram_hashes[1];
      fake_credentials (hash, self->username, &creds);
    }

  password = sasl_prepare (second_nul + 1, data + len - (second_nul + 1));
  if (password == NULL || *password == '\0')
    {
      /* No stored key can match it; still spend the time. */
      secure_free (password);
      password = g_strdup ("\x01");
      known = FALSE;
    }

  ok = scram_hi (hash, password, creds.salt, creds.iterations, salted, NULL);
  secure_free (password);
  if (ok)
    {
      scram_keys (hash, salted, NULL, stored_key, NULL);
      ok = gnutls_memcmp (stored_key, g_bytes_get_data (creds.stored_key, NULL),
                          hash->len) == 0;
    }
  gnutls_memset (salted, 0, sizeof salted);
  xmpp_scram_credentials_clear (&creds);

  if (!(ok && known))
    {
      server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED, NULL,
                   "Wrong user name or password");
      return NULL;
    }

  self->state = SERVER_STATE_DONE;
  *done = TRUE;
  return g_bytes_new (NULL, 0);
}

/* client-first → server-first */
static GBytes *
server_scram_first (XmppSaslServer  *self,
                    GBytes          *input,
                    GError         **error)
{
  const ScramHash *hash = self->mech->hash;
  g_autofree char *message = NULL;
  g_autofree char *cb_name = NULL;
  g_autofree char *authzid = NULL;
  g_autofree char *raw_username = NULL;
  g_autofree char *salt_b64 = NULL;
  g_auto(GStrv) parts = NULL;
  const char *p, *comma, *bare, *name, *client_nonce;
  char flag;

  message = message_to_string (input);
  if (message == NULL)
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                   "The SCRAM client-first message is not UTF-8");
      return NULL;
    }

  /* gs2-header: cbind-flag "," [ "a=" saslname ] "," */
  p = message;
  flag = p[0];
  if ((flag == 'n' || flag == 'y') && p[1] == ',')
    p += 2;
  else if (flag == 'p' && p[1] == '=' && (comma = strchr (p, ',')) != NULL && comma > p + 2)
    {
      cb_name = g_strndup (p + 2, comma - (p + 2));
      p = comma + 1;
    }
  else
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                   "Malformed GS2 header");
      return NULL;
    }

  if (g_str_has_prefix (p, "a="))
    {
      g_autofree char *escaped = NULL;

      comma = strchr (p, ',');
      if (comma != NULL)
        {
          escaped = g_strndup (p + 2, comma - (p + 2));
          authzid = decode_saslname (escaped);
        }
      if (authzid == NULL)
        {
          server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                       "Malformed authorization identity");
          return NULL;
        }
      p = comma;
    }
  if (*p != ',')
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                   "Malformed GS2 header");
      return NULL;
    }
  bare = p + 1;

  /* Channel-binding flag rules (RFC 5802 §6) */
  if (flag == 'p')
    {
      XmppChannelBindingType type = xmpp_channel_binding_type_from_string (cb_name);

      if (!self->mech->plus)
        {
          server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "other-error",
                       "Channel binding requested with a mechanism without -PLUS");
          return NULL;
        }
      if (type == XMPP_CHANNEL_BINDING_NONE || self->cb_data[type] == NULL)
        {
          server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED,
                       "unsupported-channel-binding-type",
                       "Unsupported channel binding type");
          return NULL;
        }
      self->cb_type = type;
    }
  else if (self->mech->plus)
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "other-error",
                   "A -PLUS mechanism was selected without channel binding");
      return NULL;
    }
  else if (flag == 'y' && self->advertised_plus)
    {
      server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED,
                   "server-does-support-channel-binding",
                   "The client did not see the channel-binding mechanisms we offered");
      return NULL;
    }

  /* client-first-bare: [ "m=" … "," ] "n=" saslname ",r=" nonce [ "," ext ] */
  parts = g_strsplit (bare, ",", -1);
  if (parts[0] != NULL && attribute_value (parts[0], 'm') != NULL)
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST,
                   "extensions-not-supported",
                   "Unsupported mandatory SCRAM extension");
      return NULL;
    }
  if (g_strv_length (parts) < 2 ||
      (name = attribute_value (parts[0], 'n')) == NULL ||
      (client_nonce = attribute_value (parts[1], 'r')) == NULL ||
      !is_valid_nonce (client_nonce))
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                   "Malformed SCRAM client-first message");
      return NULL;
    }

  raw_username = decode_saslname (name);
  g_free (self->username);
  self->username = raw_username != NULL ? sasl_prepare (raw_username, -1) : NULL;
  if (self->username == NULL || *self->username == '\0')
    {
      g_clear_pointer (&self->username, g_free);
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST,
                   "invalid-username-encoding",
                   "Invalid user name encoding");
      return NULL;
    }

  if (!authzid_allowed (self, authzid))
    {
      server_fail (self, error, XMPP_SASL_ERROR_INVALID_AUTHZID, "other-error",
                   "The authorization identity is not permitted");
      return NULL;
    }

  self->known_user = server_lookup (self, hash, &self->creds);
  if (!self->known_user)
    fake_credentials (hash, self->username, &self->creds);

  self->gs2_header = g_strndup (message, bare - message);
  self->client_first_bare = g_strdup (bare);
  if (self->fixed_nonce != NULL)
    self->nonce = g_strconcat (client_nonce, self->fixed_nonce, NULL);
  else
    {
      g_autofree char *server_nonce = random_nonce ();

      self->nonce = g_strconcat (client_nonce, server_nonce, NULL);
    }

  salt_b64 = g_base64_encode (g_bytes_get_data (self->creds.salt, NULL),
                              g_bytes_get_size (self->creds.salt));
  self->server_first = g_strdup_printf ("r=%s,s=%s,i=%u",
                                        self->nonce, salt_b64, self->creds.iterations);
  self->state = SERVER_STATE_FIRST_SENT;
  return g_bytes_new (self->server_first, strlen (self->server_first));
}

/* client-final → server-final */
static GBytes *
server_scram_final (XmppSaslServer  *self,
                    GBytes          *input,
                    gboolean        *done,
                    GError         **error)
{
  const ScramHash *hash = self->mech->hash;
  g_autofree char *message = NULL;
  g_autofree char *wo_proof = NULL;
  g_autofree char *auth_message = NULL;
  g_autofree char *signature_b64 = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) cbind = NULL;
  g_autoptr(GBytes) expected_cbind = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autoptr(GByteArray) expected = NULL;
  const char *proof_attr, *cbind_b64, *nonce;
  const guint8 *proof_data;
  guint8 client_signature[SCRAM_MAX_HASH_LEN];
  guint8 client_key[SCRAM_MAX_HASH_LEN];
  guint8 stored_key[SCRAM_MAX_HASH_LEN];
  guint8 server_signature[SCRAM_MAX_HASH_LEN];
  gboolean ok;

  message = message_to_string (input);
  proof_attr = message != NULL ? g_strrstr (message, ",p=") : NULL;
  if (proof_attr == NULL)
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                   "Malformed SCRAM client-final message");
      return NULL;
    }

  wo_proof = g_strndup (message, proof_attr - message);
  parts = g_strsplit (wo_proof, ",", -1);
  if (g_strv_length (parts) < 2 ||
      (cbind_b64 = attribute_value (parts[0], 'c')) == NULL ||
      (nonce = attribute_value (parts[1], 'r')) == NULL ||
      (cbind = base64_decode_strict (cbind_b64)) == NULL ||
      (proof = base64_decode_strict (proof_attr + 3)) == NULL)
    {
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, "invalid-encoding",
                   "Malformed SCRAM client-final message");
      return NULL;
    }

  expected = g_byte_array_new ();
  g_byte_array_append (expected, (const guint8 *) self->gs2_header, strlen (self->gs2_header));
  if (self->cb_type != XMPP_CHANNEL_BINDING_NONE)
    {
      gsize cb_len;
      const guint8 *cb = g_bytes_get_data (self->cb_data[self->cb_type], &cb_len);

      g_byte_array_append (expected, cb, cb_len);
    }
  expected_cbind = g_byte_array_free_to_bytes (g_steal_pointer (&expected));
  if (!g_bytes_equal (cbind, expected_cbind))
    {
      server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED,
                   "channel-bindings-dont-match",
                   "Channel bindings do not match");
      return NULL;
    }

  if (strcmp (nonce, self->nonce) != 0)
    {
      server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED, "other-error",
                   "The client did not echo the nonce");
      return NULL;
    }

  if (g_bytes_get_size (proof) != hash->len)
    {
      server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED, "invalid-proof",
                   "Wrong user name or password");
      return NULL;
    }

  auth_message = g_strdup_printf ("%s,%s,%s", self->client_first_bare,
                                  self->server_first, wo_proof);
  scram_hmac (hash, g_bytes_get_data (self->creds.stored_key, NULL), hash->len,
              auth_message, strlen (auth_message), client_signature);
  proof_data = g_bytes_get_data (proof, NULL);
  for (gsize i = 0; i < hash->len; i++)
    client_key[i] = proof_data[i] ^ client_signature[i];
  scram_h (hash, client_key, hash->len, stored_key);
  ok = gnutls_memcmp (stored_key, g_bytes_get_data (self->creds.stored_key, NULL),
                      hash->len) == 0;
  gnutls_memset (client_key, 0, sizeof client_key);

  if (!(ok && self->known_user))
    {
      server_fail (self, error, XMPP_SASL_ERROR_NOT_AUTHORIZED, "invalid-proof",
                   "Wrong user name or password");
      return NULL;
    }

  scram_hmac (hash, g_bytes_get_data (self->creds.server_key, NULL), hash->len,
              auth_message, strlen (auth_message), server_signature);
  signature_b64 = g_base64_encode (server_signature, hash->len);

  xmpp_scram_credentials_clear (&self->creds);
  self->state = SERVER_STATE_DONE;
  *done = TRUE;
  return take_string (g_strconcat ("v=", signature_b64, NULL));
}

GBytes *
xmpp_sasl_server_step (XmppSaslServer  *self,
                       GBytes          *input,
                       gboolean        *done,
                       GError         **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (done != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  *done = FALSE;

  if (self->state == SERVER_STATE_DONE || self->state == SERVER_STATE_FAILED)
    {
      g_set_error_literal (error, XMPP_SASL_ERROR, XMPP_SASL_ERROR_MALFORMED_REQUEST,
                           "The SASL exchange is already over");
      return NULL;
    }

  if (input == NULL)
    {
      /* No initial response: ask for it with an empty challenge, once. */
      if (self->state == SERVER_STATE_INITIAL && !self->sent_empty_challenge)
        {
          self->sent_empty_challenge = TRUE;
          return g_bytes_new (NULL, 0);
        }
      server_fail (self, error, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL,
                   "Missing SASL response");
      return NULL;
    }

  if (self->mech->hash == NULL)
    return server_plain (self, input, done, error);
  if (self->state == SERVER_STATE_INITIAL)
    return server_scram_first (self, input, error);
  return server_scram_final (self, input, done, error);
}
