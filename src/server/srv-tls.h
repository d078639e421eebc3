/* srv-tls.h: the server's certificate and TLS settings
 *
 * Either the files given with --cert/--key, or a self-signed certificate
 * made with GnuTLS on first start and kept in the data dir (server.crt,
 * server.key with mode 0600): an ECDSA P-256 key, subjectAltName dNSName =
 * the domain (plus the IP address 127.0.0.1 when the domain is localhost),
 * valid for ten years.  It is made again when the domain changes or it
 * expires.
 *
 * One SrvTlsContext holds the GnuTLS credentials and priorities every
 * connection shares, so a session costs only its gnutls_session_t.
 */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

typedef struct _SrvTlsContext SrvTlsContext;

SrvTlsContext *srv_tls_context_new         (const char     *data_dir,
                                            const char     *domain,
                                            const char     *cert_file,
                                            const char     *key_file,
                                            GError        **error);
void           srv_tls_context_free        (SrvTlsContext  *self);
/* "AB:CD:…", the SHA-256 of the DER certificate. */
const char    *srv_tls_context_get_fingerprint (SrvTlsContext *self);
/* RFC 5929 tls-server-end-point data of our certificate (the same for
 * every connection, so computed once). */
GBytes        *srv_tls_context_get_end_point_binding (SrvTlsContext *self);
/* A new server session on @fd (non-blocking), ready to handshake. */
gnutls_session_t srv_tls_context_new_session (SrvTlsContext *self,
                                              int            fd,
                                              gboolean       direct_tls,
                                              GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvTlsContext, srv_tls_context_free)

G_END_DECLS
