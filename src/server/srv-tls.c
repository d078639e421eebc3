/* srv-tls.c: the server's certificate (see srv-tls.h) */
#include "config.h"

#include <string.h>
#include <time.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "srv-tls.h"

#define CERT_NAME      "server.crt"
#define KEY_NAME       "server.key"
#define VALIDITY_DAYS  3650

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

static gboolean
gnutls_failed (int          ret,
               const char  *what,
               GError     **error)
{
  if (ret >= 0)
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Cannot make the certificate (%s): %s", what, gnutls_strerror (ret));
  return TRUE;
}

/* An existing certificate is kept when it names @domain and stays valid
 * for at least another day. */
static gboolean
existing_certificate_fits (const char *cert_path,
                           const char *key_path,
                           const char *domain)
{
  g_autofree char *pem = NULL;
  gsize len;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  gnutls_datum_t datum;
  time_t expires;

  if (!g_file_test (key_path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  if (!g_file_get_contents (cert_path, &pem, &len, NULL))
    return FALSE;
  if (gnutls_x509_crt_init (&crt) < 0)
    return FALSE;
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM) < 0)
    return FALSE;
  if (!gnutls_x509_crt_check_hostname (crt, domain))
    return FALSE;
  expires = gnutls_x509_crt_get_expiration_time (crt);
  return expires != (time_t) -1 && expires > time (NULL) + 24 * 3600;
}

static gboolean
generate_certificate (const char  *cert_path,
                      const char  *key_path,
                      const char  *domain,
                      GError     **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  gnutls_datum_t cert_pem = { NULL, 0 };
  gnutls_datum_t key_pem = { NULL, 0 };
  guint8 serial[16];
  guint8 key_id[64];
  size_t key_id_size = sizeof key_id;
  time_t now = time (NULL);
  gboolean ok = FALSE;
  int ret;

  if (gnutls_failed (gnutls_x509_privkey_init (&key), "key", error) ||
      gnutls_failed (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                   GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
                     "key generation", error) ||
      gnutls_failed (gnutls_x509_crt_init (&crt), "certificate", error) ||
      gnutls_failed (gnutls_x509_crt_set_version (crt, 3), "version", error))
    return FALSE;

  ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  if (gnutls_failed (ret, "serial", error))
    return FALSE;
  serial[0] &= 0x7f;    /* a positive INTEGER */
  serial[0] |= 0x01;

  if (gnutls_failed (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), "serial", error) ||
      gnutls_failed (gnutls_x509_crt_set_activation_time (crt, now - 24 * 3600), "validity", error) ||
      gnutls_failed (gnutls_x509_crt_set_expiration_time (crt, now + (time_t) VALIDITY_DAYS * 24 * 3600),
                     "validity", error) ||
      gnutls_failed (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                    domain, strlen (domain)), "name", error) ||
      gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, domain,
                                                           strlen (domain), GNUTLS_FSAN_SET),
                     "subjectAltName", error))
    return FALSE;

  if (strcmp (domain, "localhost") == 0)
    {
      static const guint8 loopback[4] = { 127, 0, 0, 1 };

      if (gnutls_failed (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback,
                                                               sizeof loopback, GNUTLS_FSAN_APPEND),
                         "subjectAltName", error))
        return FALSE;
    }

  if (gnutls_failed (gnutls_x509_crt_set_key (crt, key), "key", error) ||
      gnutls_failed (gnutls_x509_crt_set_basic_constraints (crt, 0, -1), "constraints", error) ||
      gnutls_failed (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "key usage", error) ||
      gnutls_failed (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
                     "key purpose", error) ||
      gnutls_failed (gnutls_x509_crt_get_key_id (crt, 0, key_id, &key_id_size), "key id", error) ||
      gnutls_failed (gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_size), "key id", error) ||
      gnutls_failed (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), "signature", error))
    return FALSE;

  if (gnutls_failed (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &cert_pem), "export", error))
    goto out;
  if (gnutls_failed (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                        GNUTLS_PKCS_PLAIN, &key_pem), "export", error))
    goto out;

  /* The key first, so a certificate never exists without its key. */
  if (!g_file_set_contents_full (key_path, (const char *) key_pem.data, key_pem.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    goto out;
  if (g_chmod (key_path, 0600) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot protect %s", key_path);
      goto out;
    }
  if (!g_file_set_contents_full (cert_path, (const char *) cert_pem.data, cert_pem.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    goto out;

  ok = TRUE;
  g_info ("Made a self-signed certificate for %s in %s", domain, cert_path);

out:
  if (key_pem.data != NULL)
    {
      gnutls_memset (key_pem.data, 0, key_pem.size);
      gnutls_free (key_pem.data);
    }
  gnutls_free (cert_pem.data);
  return ok;
}

struct _SrvTlsContext
{
  gnutls_certificate_credentials_t credentials;
  gnutls_priority_t                priority;
  char                            *fingerprint;
  GBytes                          *end_point_binding;
};

/* The SHA-256 fingerprint for the ready line, and the RFC 5929 §4.1
 * tls-server-end-point data: the certificate hashed with the hash of its
 * signature algorithm, SHA-256 instead of MD5 or SHA-1. */
static gboolean
describe_certificate (SrvTlsContext  *self,
                      const char     *cert_path,
                      GError        **error)
{
  g_autofree char *pem = NULL;
  gsize len;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  gnutls_datum_t datum;
  guint8 digest[64];
  size_t digest_len = sizeof digest;
  gnutls_digest_algorithm_t hash;
  int sign;
  GString *out;

  if (!g_file_get_contents (cert_path, &pem, &len, error))
    return FALSE;
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  if (gnutls_failed (gnutls_x509_crt_init (&crt), "certificate", error) ||
      gnutls_failed (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), "certificate", error) ||
      gnutls_failed (gnutls_x509_crt_get_fingerprint (crt, GNUTLS_DIG_SHA256, digest, &digest_len),
                     "fingerprint", error))
    return FALSE;

  out = g_string_sized_new (digest_len * 3);
  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);
  self->fingerprint = g_string_free (out, FALSE);

  sign = gnutls_x509_crt_get_signature_algorithm (crt);
  hash = sign >= 0 ? gnutls_sign_get_hash_algorithm ((gnutls_sign_algorithm_t) sign) : GNUTLS_DIG_UNKNOWN;
  if (hash == GNUTLS_DIG_UNKNOWN || hash == GNUTLS_DIG_MD5 || hash == GNUTLS_DIG_SHA1)
    hash = GNUTLS_DIG_SHA256;
  digest_len = sizeof digest;
  if (gnutls_x509_crt_get_fingerprint (crt, hash, digest, &digest_len) >= 0)
    self->end_point_binding = g_bytes_new (digest, digest_len);
  return TRUE;
}

SrvTlsContext *
srv_tls_context_new (const char  *data_dir,
                     const char  *domain,
                     const char  *cert_file,
                     const char  *key_file,
                     GError     **error)
{
  g_autoptr(SrvTlsContext) self = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  int ret;

  g_return_val_if_fail (domain != NULL, NULL);

  if (cert_file != NULL && key_file != NULL)
    {
      cert_path = g_strdup (cert_file);
      key_path = g_strdup (key_file);
    }
  else
    {
      g_return_val_if_fail (data_dir != NULL, NULL);
      cert_path = g_build_filename (data_dir, CERT_NAME, NULL);
      key_path = g_build_filename (data_dir, KEY_NAME, NULL);
      if (!existing_certificate_fits (cert_path, key_path, domain) &&
          !generate_certificate (cert_path, key_path, domain, error))
        return NULL;
    }

  self = g_new0 (SrvTlsContext, 1);
  if (gnutls_failed (gnutls_certificate_allocate_credentials (&self->credentials), "credentials", error))
    return NULL;
  ret = gnutls_certificate_set_x509_key_file2 (self->credentials, cert_path, key_path,
                                               GNUTLS_X509_FMT_PEM, NULL, 0);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot load %s and %s: %s",
                   cert_path, key_path, gnutls_strerror (ret));
      return NULL;
    }
  /* The system's TLS policy (@SYSTEM), else GnuTLS's defaults. */
  ret = gnutls_priority_init2 (&self->priority, NULL, NULL, 0);
  if (gnutls_failed (ret, "priorities", error))
    return NULL;

  if (!describe_certificate (self, cert_path, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
srv_tls_context_free (SrvTlsContext *self)
{
  if (self == NULL)
    return;
  if (self->credentials != NULL)
    gnutls_certificate_free_credentials (self->credentials);
  if (self->priority != NULL)
    gnutls_priority_deinit (self->priority);
  g_free (self->fingerprint);
  g_clear_pointer (&self->end_point_binding, g_bytes_unref);
  g_free (self);
}

GBytes *
srv_tls_context_get_end_point_binding (SrvTlsContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->end_point_binding;
}

const char *
srv_tls_context_get_fingerprint (SrvTlsContext *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->fingerprint;
}

gnutls_session_t
srv_tls_context_new_session (SrvTlsContext  *self,
                             int             fd,
                             gboolean        direct_tls,
                             GError        **error)
{
  gnutls_session_t session = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (gnutls_failed (gnutls_init (&session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL),
                     "session", error))
    return NULL;
  if (gnutls_failed (gnutls_priority_set (session, self->priority), "priorities", error) ||
      gnutls_failed (gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, self->credentials),
                     "credentials", error))
    {
      gnutls_deinit (session);
      return NULL;
    }
  gnutls_certificate_server_set_request (session, GNUTLS_CERT_IGNORE);
  gnutls_handshake_set_timeout (session, 0);
  gnutls_transport_set_int (session, fd);
  if (direct_tls)
    {
      /* XEP-0368 §7: ALPN "xmpp-client". */
      gnutls_datum_t alpn = { (unsigned char *) "xmpp-client", 11 };

      gnutls_alpn_set_protocols (session, &alpn, 1, 0);
    }
  return session;
}
