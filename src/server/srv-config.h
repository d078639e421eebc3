/* srv-config.h: messenger-server's settings
 *
 * One struct filled from three layers, each overriding the one before:
 * built-in defaults, the [server] group of a GKeyFile (--config FILE) and
 * the command line.  The keys of the file are the long option names
 * (domain, data-dir, listen, c2s-port, …) plus tuning keys that have no
 * option (limits and timeouts, listed in srv-config.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SRV_PORT_UNSET (-1)
#define SRV_PORT_AUTO  (-2)

typedef struct
{
  char     *domain;
  char     *data_dir;
  GStrv     listen;                 /* addresses; never NULL after load */
  gint      c2s_port;               /* 0 = pick a free port */
  /* 0 = off; SRV_PORT_AUTO = pick a free port; SRV_PORT_UNSET until
   * srv_config_finish() (then 5223, or AUTO when c2s_port is 0). */
  gint      direct_tls_port;
  gboolean  allow_registration;
  gboolean  archive;                /* XEP-0313 message archive (on) */
  char     *cert_file;
  char     *key_file;
  gboolean  verbose;

  /* Limits (bytes, seconds, counts). */
  gsize     max_stanza_size;        /* after authentication */
  gsize     max_preauth_stanza_size;
  gsize     preauth_rate_burst;     /* token bucket before authentication: */
  gsize     preauth_rate;           /*   exceeding it is a policy-violation */
  gsize     rate_burst;             /* after authentication: reading pauses */
  gsize     rate;
  guint     preauth_timeout;
  guint     idle_timeout;           /* silence before the server pings */
  guint     ping_timeout;           /* then connection-timeout */
  guint     max_auth_failures;      /* per stream, then policy-violation */
  guint     auth_failures_per_minute; /* per address, then throttled */
  guint     max_bind_attempts;
  guint     sm_max_resume;          /* XEP-0198 resumption window */
  guint     sm_max_unacked;         /* unacked stanzas kept per session */
  guint     max_connections;
  guint     max_offline_messages;   /* per account; 0 = no limit */
} SrvConfig;

SrvConfig *srv_config_new        (void);
void       srv_config_free       (SrvConfig   *self);
/* Apply the [server] group of @path over the current values. */
gboolean   srv_config_load_file  (SrvConfig   *self,
                                  const char  *path,
                                  GError     **error);

/* Fill what is still unset from what is set; check the values. */
gboolean   srv_config_finish     (SrvConfig   *self,
                                  GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvConfig, srv_config_free)

G_END_DECLS
