/* srv-config.c: messenger-server's settings
 *
 * Keys of the [server] group (all optional; the command line wins):
 *
 *   domain, data-dir, listen (list), c2s-port, direct-tls-port,
 *   allow-registration, cert, key, verbose
 *   archive                  keep every account's messages (XEP-0313;
 *                            true): false stores none and offers no MAM
 *   max-stanza-size          bytes after authentication (256 KiB)
 *   max-preauth-stanza-size  bytes before authentication (16 KiB)
 *   preauth-rate-burst, preauth-rate
 *                            bytes, bytes/s before authentication
 *                            (64 KiB, 16 KiB/s): exceeding → policy-violation
 *   rate-burst, rate         bytes, bytes/s after authentication
 *                            (2 MiB, 1 MiB/s): exceeding pauses reading
 *   preauth-timeout          s to finish TLS, SASL and bind (30)
 *   idle-timeout             s of silence before a ping (600)
 *   ping-timeout             s for the ping answer (60) → connection-timeout
 *   max-auth-failures        per stream (3) → policy-violation
 *   auth-failures-per-minute per address (5) → temporary-auth-failure
 *   max-bind-attempts        (5) → policy-violation
 *   sm-max-resume            s a lost XEP-0198 session waits (300)
 *   sm-max-unacked           stanzas (10000) → resource-constraint
 *   max-connections          (20000)
 *   max-offline-messages     messages kept for an account while it is
 *                            offline (1000; 0 = no limit); when full, a
 *                            message to it bounces with service-unavailable
 *                            (RFC 6121 §8.5.2, XEP-0160)
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "srv-config.h"
#include "xmpp-jid.h"

#define GROUP "server"

SrvConfig *
srv_config_new (void)
{
  SrvConfig *self = g_new0 (SrvConfig, 1);

  self->c2s_port = 5222;
  self->direct_tls_port = SRV_PORT_UNSET;
  self->archive = TRUE;
  self->max_stanza_size = 256 * 1024;
  self->max_preauth_stanza_size = 16 * 1024;
  self->preauth_rate_burst = 64 * 1024;
  self->preauth_rate = 16 * 1024;
  self->rate_burst = 2 * 1024 * 1024;
  self->rate = 1024 * 1024;
  self->preauth_timeout = 30;
  self->idle_timeout = 600;
  self->ping_timeout = 60;
  self->max_auth_failures = 3;
  self->auth_failures_per_minute = 5;
  self->max_bind_attempts = 5;
  self->sm_max_resume = 300;
  self->sm_max_unacked = 10000;
  self->max_connections = 20000;
  self->max_offline_messages = 1000;
  return self;
}

void
srv_config_free (SrvConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->domain);
  g_free (self->data_dir);
  g_strfreev (self->listen);
  g_free (self->cert_file);
  g_free (self->key_file);
  g_free (self);
}

static gboolean
load_string (GKeyFile    *file,
             const char  *key,
             char       **out,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *value = g_key_file_get_string (file, GROUP, key, &local_error);

  if (value == NULL)
    {
      if (g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_free (*out);
  *out = value;
  return TRUE;
}

static gboolean
load_uint (GKeyFile    *file,
           const char  *key,
           guint64      max,
           guint64     *out,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = g_key_file_get_string (file, GROUP, key, &local_error);
  guint64 value;

  if (text == NULL)
    {
      if (g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
        return FALSE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, max, &value, &local_error))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "Key “%s”: %s", key, local_error->message);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

/* The numeric keys: name, where, maximum. */
typedef struct
{
  const char *key;
  gsize       offset;
  gboolean    is_size;   /* gsize, else guint */
  guint64     max;
} NumericKey;

#define SIZE_KEY(k, field, m) { k, G_STRUCT_OFFSET (SrvConfig, field), TRUE, m }
#define UINT_KEY(k, field, m) { k, G_STRUCT_OFFSET (SrvConfig, field), FALSE, m }

static const NumericKey numeric_keys[] = {
  SIZE_KEY ("max-stanza-size", max_stanza_size, 64 * 1024 * 1024),
  SIZE_KEY ("max-preauth-stanza-size", max_preauth_stanza_size, 1024 * 1024),
  SIZE_KEY ("preauth-rate-burst", preauth_rate_burst, G_MAXUINT32),
  SIZE_KEY ("preauth-rate", preauth_rate, G_MAXUINT32),
  SIZE_KEY ("rate-burst", rate_burst, G_MAXUINT32),
  SIZE_KEY ("rate", rate, G_MAXUINT32),
  UINT_KEY ("preauth-timeout", preauth_timeout, 24 * 3600),
  UINT_KEY ("idle-timeout", idle_timeout, 24 * 3600),
  UINT_KEY ("ping-timeout", ping_timeout, 3600),
  UINT_KEY ("max-auth-failures", max_auth_failures, 100),
  UINT_KEY ("auth-failures-per-minute", auth_failures_per_minute, 100000),
  UINT_KEY ("max-bind-attempts", max_bind_attempts, 100),
  UINT_KEY ("sm-max-resume", sm_max_resume, 24 * 3600),
  UINT_KEY ("sm-max-unacked", sm_max_unacked, 1000000),
  UINT_KEY ("max-connections", max_connections, 1000000),
  UINT_KEY ("max-offline-messages", max_offline_messages, G_MAXUINT32),
};

gboolean
srv_config_load_file (SrvConfig   *self,
                      const char  *path,
                      GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) listen = NULL;
  guint64 value;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;
  if (!g_key_file_has_group (file, GROUP))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                   "%s: no [%s] group", path, GROUP);
      return FALSE;
    }

  if (!load_string (file, "domain", &self->domain, error) ||
      !load_string (file, "data-dir", &self->data_dir, error) ||
      !load_string (file, "cert", &self->cert_file, error) ||
      !load_string (file, "key", &self->key_file, error))
    return FALSE;

  listen = g_key_file_get_string_list (file, GROUP, "listen", NULL, &local_error);
  if (listen != NULL)
    {
      g_strfreev (self->listen);
      self->listen = g_steal_pointer (&listen);
    }
  else if (!g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);

  if (load_uint (file, "c2s-port", 65535, &value, error))
    self->c2s_port = (gint) value;
  else if (error != NULL && *error != NULL)
    return FALSE;
  if (load_uint (file, "direct-tls-port", 65535, &value, error))
    self->direct_tls_port = (gint) value;
  else if (error != NULL && *error != NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (numeric_keys); i++)
    {
      const NumericKey *k = &numeric_keys[i];

      if (load_uint (file, k->key, k->max, &value, error))
        {
          if (k->is_size)
            G_STRUCT_MEMBER (gsize, self, k->offset) = (gsize) value;
          else
            G_STRUCT_MEMBER (guint, self, k->offset) = (guint) value;
        }
      else if (error != NULL && *error != NULL)
        return FALSE;
    }

  if (g_key_file_has_key (file, GROUP, "allow-registration", NULL))
    {
      gboolean b = g_key_file_get_boolean (file, GROUP, "allow-registration", &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      self->allow_registration = b;
    }
  if (g_key_file_has_key (file, GROUP, "archive", NULL))
    {
      gboolean b = g_key_file_get_boolean (file, GROUP, "archive", &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      self->archive = b;
    }
  if (g_key_file_has_key (file, GROUP, "verbose", NULL))
    {
      gboolean b = g_key_file_get_boolean (file, GROUP, "verbose", &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      self->verbose = self->verbose || b;
    }

  return TRUE;
}

gboolean
srv_config_finish (SrvConfig  *self,
                   GError    **error)
{
  g_autofree char *domain = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->domain == NULL || *self->domain == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "No domain given (--domain or domain= in the config file)");
      return FALSE;
    }
  domain = xmpp_jid_prepare (self->domain, &local_error);
  if (domain == NULL || strchr (domain, '@') != NULL || strchr (domain, '/') != NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is not a valid domain%s%s", self->domain,
                   local_error != NULL ? ": " : "",
                   local_error != NULL ? local_error->message : "");
      return FALSE;
    }
  g_free (self->domain);
  self->domain = g_steal_pointer (&domain);

  if (self->data_dir == NULL || *self->data_dir == '\0')
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "No data directory given (--data-dir or data-dir= in the config file)");
      return FALSE;
    }

  if ((self->cert_file == NULL) != (self->key_file == NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "--cert and --key go together");
      return FALSE;
    }

  if (self->listen == NULL || self->listen[0] == NULL)
    {
      const char *def[] = { "127.0.0.1", NULL };

      g_strfreev (self->listen);
      self->listen = g_strdupv ((char **) def);
    }

  if (self->c2s_port < 0 || self->c2s_port > 65535)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Invalid c2s port %d", self->c2s_port);
      return FALSE;
    }
  if (self->direct_tls_port == SRV_PORT_UNSET)
    self->direct_tls_port = self->c2s_port == 0 ? SRV_PORT_AUTO : 5223;
  else if (self->direct_tls_port < 0 || self->direct_tls_port > 65535)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Invalid direct TLS port %d", self->direct_tls_port);
      return FALSE;
    }

  if (self->max_stanza_size < 4096)
    self->max_stanza_size = 4096;
  if (self->max_preauth_stanza_size < 4096)
    self->max_preauth_stanza_size = 4096;
  if (self->max_preauth_stanza_size > self->max_stanza_size)
    self->max_preauth_stanza_size = self->max_stanza_size;
  if (self->preauth_rate_burst < 2 * self->max_preauth_stanza_size)
    self->preauth_rate_burst = 2 * self->max_preauth_stanza_size;
  if (self->rate_burst < 2 * self->max_stanza_size)
    self->rate_burst = 2 * self->max_stanza_size;
  if (self->preauth_rate == 0)
    self->preauth_rate = 1;
  if (self->rate == 0)
    self->rate = 1;
  if (self->preauth_timeout == 0)
    self->preauth_timeout = 1;
  if (self->ping_timeout == 0)
    self->ping_timeout = 1;
  if (self->max_auth_failures == 0)
    self->max_auth_failures = 1;
  if (self->max_bind_attempts == 0)
    self->max_bind_attempts = 1;

  return TRUE;
}
