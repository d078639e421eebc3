/* xmpp-client.h: a client-to-server XMPP connection
 *
 * XmppClient owns one c2s stream: it finds the server (explicit host, or
 * SRV _xmpps-client/_xmpp-client with fallback to the domain on 5222),
 * secures it (STARTTLS required by default, or direct TLS), checks the
 * certificate (system trust, or a pinned SHA-256 fingerprint), authenticates
 * with SASL (SCRAM first, PLAIN only over TLS), binds a resource and, if the
 * server still asks for it, establishes the legacy session.  Then it routes
 * stanzas: one ordered send queue, iq requests tracked by id with timeouts,
 * handlers registered by stanza kind + child element; an unhandled iq get
 * or set is answered with service-unavailable.  Keep-alive with XEP-0199
 * pings; the server's pings are answered.
 *
 *  DISCONNECTED ─open_async─▶ CONNECTING ─▶ SECURING ─▶ (OPEN: ready to
 *  register in-band) ─authenticate_async─▶ AUTHENTICATING ─▶ BINDING ─▶
 *  CONNECTED ─close_async / stream error / socket error─▶ DISCONNECTED
 *
 * connect_async() is open_async() + authenticate_async().
 *
 * Stream management (XEP-0198), when the application turned it on
 * (xmpp_client_set_use_stream_management()) and the server offers it:
 * after binding the client enables it with resumption (still BINDING until
 * the server answers), counts stanzas both ways, asks for acknowledgements
 * after each burst, acknowledges what it handled at idle and answers the
 * server's requests.  What the server acknowledged
 * is reported per stanza (xmpp_client_send_tracked()) and through
 * "stanzas-acked".  Incoming stanzas count as handled once their handlers
 * return, unless a handler deferred that (xmpp_client_defer_ack()) until,
 * say, the message is on disk.  When the connection is lost (not closed),
 * the session can be resumed with xmpp_client_resume_async() on the same
 * client: DISCONNECTED ─resume_async─▶ … AUTHENTICATING ─▶ BINDING
 * (<resume/>) ─▶ CONNECTED, with the unacknowledged stanzas sent again and
 * no new bind; if the server refuses, a new session is bound instead and
 * the stanzas it never acknowledged are reported as "stanzas-unacked".
 */
#pragma once

#include <gio/gio.h>

#include "xmpp-element.h"
#include "xmpp-error.h"
#include "xmpp-jid.h"

G_BEGIN_DECLS

#define XMPP_NS_CLIENT   "jabber:client"
#define XMPP_NS_STANZAS  "urn:ietf:params:xml:ns:xmpp-stanzas"
#define XMPP_NS_STREAMS  "urn:ietf:params:xml:ns:xmpp-streams"
#define XMPP_NS_TLS      "urn:ietf:params:xml:ns:xmpp-tls"
#define XMPP_NS_SASL     "urn:ietf:params:xml:ns:xmpp-sasl"
#define XMPP_NS_BIND     "urn:ietf:params:xml:ns:xmpp-bind"
#define XMPP_NS_SESSION  "urn:ietf:params:xml:ns:xmpp-session"
#define XMPP_NS_PING     "urn:xmpp:ping"
#define XMPP_NS_SM       "urn:xmpp:sm:3"

typedef enum
{
  XMPP_CLIENT_STATE_DISCONNECTED,
  XMPP_CLIENT_STATE_CONNECTING,
  XMPP_CLIENT_STATE_SECURING,
  XMPP_CLIENT_STATE_OPEN,            /* secured, not authenticated */
  XMPP_CLIENT_STATE_AUTHENTICATING,
  XMPP_CLIENT_STATE_BINDING,
  XMPP_CLIENT_STATE_CONNECTED,
  XMPP_CLIENT_STATE_CLOSING,
} XmppClientState;

/* What the certificate check found, for trust-on-first-use dialogs. */
typedef struct
{
  char                 *fingerprint_sha256;  /* "AB:CD:…", uppercase */
  char                 *subject;
  char                 *issuer;
  GDateTime            *not_before;
  GDateTime            *not_after;
  GTlsCertificateFlags  errors;
} XmppCertificateInfo;

void                 xmpp_certificate_info_free (XmppCertificateInfo *info);
XmppCertificateInfo *xmpp_certificate_info_copy (const XmppCertificateInfo *info);
XmppCertificateInfo *xmpp_certificate_info_new  (GTlsCertificate      *certificate,
                                                 GTlsCertificateFlags  errors);
/* Normalise "ab:cd…", "ABCD…", "ab cd …" to "AB:CD:…"; NULL when invalid. */
char                *xmpp_fingerprint_normalize (const char           *fingerprint);

#define XMPP_TYPE_CLIENT (xmpp_client_get_type ())
G_DECLARE_FINAL_TYPE (XmppClient, xmpp_client, XMPP, CLIENT, GObject)

/* Return TRUE when the stanza was handled (the client then sends nothing
 * for it).  Borrowed stanza. */
typedef gboolean (*XmppStanzaHandler) (XmppClient  *client,
                                       XmppElement *stanza,
                                       gpointer     user_data);

/* The fate of a stanza sent with xmpp_client_send_tracked(): @acked is
 * TRUE once the server confirmed it (XEP-0198 <a/>; on a stream without
 * stream management, the answer to a ping sent after it), FALSE when that
 * can no longer happen: the session ended first (it may or may not have
 * arrived), or it could not be sent at all.  Called once, from the main
 * loop, never from within send_tracked(); not called when the client is
 * disposed first (only the destroy notify is). */
typedef void     (*XmppAckedFunc)     (XmppClient  *client,
                                       XmppElement *stanza,
                                       gboolean     acked,
                                       gpointer     user_data);

XmppClient      *xmpp_client_new                   (XmppJid              *jid,
                                                    const char           *password);
/* A client over an already negotiated stream (tests, and stream pairs):
 * no TLS, SASL or bind; @bound_jid is taken as the session's JID. */
XmppClient      *xmpp_client_new_for_stream        (GIOStream            *stream,
                                                    XmppJid              *bound_jid);

/* Settings, before open/connect. */
void             xmpp_client_set_server            (XmppClient           *self,
                                                    const char           *host,
                                                    guint16               port);
void             xmpp_client_set_direct_tls        (XmppClient           *self,
                                                    gboolean              direct_tls);
void             xmpp_client_set_pinned_fingerprint (XmppClient          *self,
                                                    const char           *sha256);
void             xmpp_client_set_resource          (XmppClient           *self,
                                                    const char           *resource);
void             xmpp_client_set_password          (XmppClient           *self,
                                                    const char           *password);
/* Refuse to connect without TLS (default TRUE); FALSE only allows a plain
 * stream when the server offers no STARTTLS and never sends credentials
 * over it (PLAIN is refused, SCRAM still allowed). */
void             xmpp_client_set_require_tls       (XmppClient           *self,
                                                    gboolean              require_tls);
void             xmpp_client_set_iq_timeout        (XmppClient           *self,
                                                    guint                 seconds);
/* 0 disables keep-alive pings. */
void             xmpp_client_set_ping_interval     (XmppClient           *self,
                                                    guint                 seconds);
/* Enable XEP-0198 stream management (with resumption) when the server
 * offers it.  Default FALSE: an application turns it on once it handles
 * what comes with it (acknowledgements instead of "sent", deferred acks
 * for stored messages, resume_async() on reconnect, and the rare
 * duplicate a server delivers again when a session ends before our
 * acknowledgement reached it). */
void             xmpp_client_set_use_stream_management (XmppClient       *self,
                                                    gboolean              use);

XmppClientState  xmpp_client_get_state             (XmppClient           *self);
XmppJid         *xmpp_client_get_jid               (XmppClient           *self);
/* The full JID the server bound, NULL before. */
XmppJid         *xmpp_client_get_bound_jid         (XmppClient           *self);
/* The current stream's features element (NULL before one arrived). */
XmppElement     *xmpp_client_get_features          (XmppClient           *self);
gboolean         xmpp_client_has_feature           (XmppClient           *self,
                                                    const char           *ns,
                                                    const char           *name);
/* The mechanism used for authentication, e.g. "SCRAM-SHA-256-PLUS". */
const char      *xmpp_client_get_mechanism         (XmppClient           *self);
gboolean         xmpp_client_is_secure             (XmppClient           *self);
/* After XMPP_ERROR_CERTIFICATE_UNTRUSTED: what was found. */
XmppCertificateInfo *xmpp_client_get_certificate_info (XmppClient        *self);
/* After XMPP_ERROR_AUTHENTICATION_FAILED caused by a SASL <failure/>: its
 * condition (the error message starts with its name, e.g.
 * "not-authorized: text").  FALSE when the last attempt had none. */
gboolean         xmpp_client_get_sasl_failure      (XmppClient           *self,
                                                    XmppSaslErrorCode    *condition);
/* The TLS connection of the stream (NULL before TLS), e.g. to show the
 * peer certificate or the TLS version. */
GTlsConnection  *xmpp_client_get_tls_connection    (XmppClient           *self);
/* Stream management is enabled on the current stream. */
gboolean         xmpp_client_get_stream_management (XmppClient           *self);
/* Disconnected from a stream-management session the server keeps for
 * resumption (the connection was lost, not closed, and the server's
 * resumption time has not run out yet). */
gboolean         xmpp_client_can_resume            (XmppClient           *self);

void             xmpp_client_open_async            (XmppClient           *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         xmpp_client_open_finish           (XmppClient           *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void             xmpp_client_authenticate_async    (XmppClient           *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         xmpp_client_authenticate_finish   (XmppClient           *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
void             xmpp_client_connect_async         (XmppClient           *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         xmpp_client_connect_finish        (XmppClient           *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);
/* Connect again after the connection was lost, same server and settings:
 * resume the stream-management session when xmpp_client_can_resume(),
 * else (or when the server refuses) bind a new session as connect_async()
 * does.  *@resumed says which: TRUE, the session goes on (no new bind; the
 * server kept roster, presence and carbons; unacknowledged stanzas were
 * sent again); FALSE, a new session (the app sets it up as after a
 * connect; stanzas the old one never acknowledged went out in
 * "stanzas-unacked" and their tracked callbacks got FALSE).  A failure
 * before the server answered keeps the old session resumable, so the call
 * can be repeated (e.g. with the account's reconnect back-off). */
void             xmpp_client_resume_async          (XmppClient           *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         xmpp_client_resume_finish         (XmppClient           *self,
                                                    GAsyncResult         *result,
                                                    gboolean             *resumed,
                                                    GError              **error);
/* Orderly close: flush the queue, </stream:stream>, wait for the peer's
 * close (bounded), close TLS and the socket.  With stream management an
 * <a/> and an <r/> go first, so the server's last acknowledgement still
 * arrives; the session then ends ("stanzas-unacked" for what it did not
 * acknowledge).  On a disconnected client it ends a session kept for
 * resumption the same way. */
void             xmpp_client_close_async           (XmppClient           *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         xmpp_client_close_finish          (XmppClient           *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Queue a stanza (serialised in the jabber:client namespace).  With
 * stream management the client keeps a reference until the server
 * acknowledges it, to send it again after a resumption: do not change it
 * after sending. */
void             xmpp_client_send                  (XmppClient           *self,
                                                    XmppElement          *stanza);
/* xmpp_client_send() and report what becomes of the stanza to @func (see
 * XmppAckedFunc); @destroy frees @user_data afterwards. */
void             xmpp_client_send_tracked          (XmppClient           *self,
                                                    XmppElement          *stanza,
                                                    XmppAckedFunc         func,
                                                    gpointer              user_data,
                                                    GDestroyNotify        destroy);

/* Only from a stanza handler (or "stanza-received"): the stanza being
 * handled does not count as handled for XEP-0198 until the returned token
 * is given to complete_ack(), so the server keeps it (and sends it again
 * after a resumption) until then.  Later stanzas count only up to the
 * oldest open one.  With or without stream management, while 1,000 are
 * open the client reads no more (flow control: a flood waits at the
 * server, not in memory) until half of them are completed.  0 when not
 * called while handling a stanza; completing 0 or a token of an ended
 * connection does nothing, so callers need not check. */
guint64          xmpp_client_defer_ack             (XmppClient           *self);
void             xmpp_client_complete_ack          (XmppClient           *self,
                                                    guint64               token);
/* Send an iq get/set (an id is added when missing) and wait for its result.
 * The finish returns the result iq; an error reply becomes a GError in
 * XMPP_STANZA_ERROR with the condition as code and the text as message;
 * no answer in time gives XMPP_ERROR_TIMEOUT.  A reply is accepted only from
 * the JID the request was sent to (or, for requests without 'to', from the
 * account's bare JID, its domain or no 'from'). */
void             xmpp_client_send_iq_async         (XmppClient           *self,
                                                    XmppElement          *iq,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
XmppElement     *xmpp_client_send_iq_finish        (XmppClient           *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Handlers by stanza name ("message", "presence", "iq"), optional iq/message
 * type ("get", "set", "chat"…; NULL = any) and optional child (ns, name;
 * NULL name = any child in ns; both NULL = any stanza).  Called in the order
 * added until one returns TRUE.  Returns an id for remove_handler(). */
guint            xmpp_client_add_handler           (XmppClient           *self,
                                                    const char           *stanza,
                                                    const char           *type,
                                                    const char           *child_ns,
                                                    const char           *child_name,
                                                    XmppStanzaHandler     handler,
                                                    gpointer              user_data,
                                                    GDestroyNotify        destroy);
void             xmpp_client_remove_handler        (XmppClient           *self,
                                                    guint                 handler_id);

/* Stanza helpers. */
char            *xmpp_client_next_id               (XmppClient           *self);
XmppElement     *xmpp_stanza_new_iq                (const char           *type,
                                                    const char           *to,
                                                    const char           *id);
/* An error reply to @stanza (to/from swapped, id kept). */
XmppElement     *xmpp_stanza_new_error_reply       (XmppElement          *stanza,
                                                    XmppStanzaErrorCode   condition,
                                                    const char           *text);
XmppElement     *xmpp_stanza_new_result_reply      (XmppElement          *iq);
/* Parse the <error/> of a type='error' stanza into a GError (FALSE if none). */
gboolean         xmpp_stanza_get_error             (XmppElement          *stanza,
                                                    GError              **error);

/* Signals:
 *  "state-changed"  (XmppClientState)
 *  "disconnected"   (GError *error or NULL for an orderly close): a stream
 *                   error arrives as XMPP_STREAM_ERROR with its condition
 *                   code and the <text/> as message; the end of the
 *                   connection as XMPP_ERROR_CONNECTION_CLOSED; XML we
 *                   refused (we sent the stream error) as
 *                   XMPP_ERROR_PROTOCOL; an unanswered keep-alive ping as
 *                   XMPP_ERROR_TIMEOUT.  Emitted only when no open,
 *                   authenticate or connect operation is in progress:
 *                   their finish functions report the error instead.
 *  "nonza-received" (XmppElement *) first-level elements that are neither
 *                   stanzas nor part of the negotiation or of XEP-0198.
 *  "stanza-received" (XmppElement *) every incoming stanza, before handlers
 *                   (for logging and tests).
 *  "stanza-sent"    (XmppElement *) also when sent again after a resumption
 *  "stanzas-acked"  (GPtrArray *stanzas) XEP-0198: the server acknowledged
 *                   these stanzas (XmppElement *, oldest first).
 *  "stanzas-unacked" (GPtrArray *stanzas) XEP-0198: the session ended
 *                   before the server acknowledged these (they may or may
 *                   not have arrived; resend with a delay stamp if they
 *                   matter): an orderly close, a lost connection without
 *                   resumption, a refused resumption, or a new connect
 *                   instead of a resumption.
 *  "resumed"        () the lost session was resumed, just before CONNECTED.
 *                   Session state kept by feature modules (others'
 *                   presence in XmppPresenceManager) belongs to the
 *                   session, not to the connection: it survives a
 *                   DISCONNECTED while xmpp_client_can_resume(), and a
 *                   CONNECTED that "resumed" did not precede is a new
 *                   session (a connect, or a refused resumption).
 */

G_END_DECLS
