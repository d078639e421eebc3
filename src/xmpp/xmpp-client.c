/* xmpp-client.c: a client-to-server XMPP connection
 *
 * Negotiation is one state machine driven by the elements the server sends
 * (RFC 6120 §4.3); `step` says what we wait for:
 *
 *   open_async
 *     │ targets: explicit host, or SRV _xmpps-client + _xmpp-client merged
 *     │ by priority (A/AAAA fallback on 5222 only without any SRV answer)
 *     ▼
 *   CONNECTING ── GSocketClient, one target after the other
 *     │ direct TLS target: handshake first (SNI, ALPN xmpp-client)
 *     ▼
 *   header ──▶ STEP_FEATURES ──<features>──┬─ not secure, <starttls/>:
 *     ▲                                    │    <starttls/> ─▶ STEP_PROCEED
 *     │                                    │    <proceed/>: pause reading,
 *     │                                    │    flush, handshake, restart ─┐
 *     └────────────────────────────────────┼───────────────────────────────┘
 *                                          ├─ not secure, no STARTTLS:
 *                                          │    TLS_REQUIRED (or OPEN when
 *                                          │    TLS is not required)
 *                                          ├─ secure, not authenticated: OPEN
 *                                          │    (open_async returns)
 *                                          └─ authenticated: BINDING
 *   authenticate_async (OPEN)
 *     <auth> ─▶ STEP_SASL ─<challenge>─▶ <response> … ─<success>─▶ verify,
 *     restart ─▶ STEP_FEATURES ─▶ bind iq ─▶ [session iq] ─▶ CONNECTED
 *
 *   after bind, with use_sm and urn:xmpp:sm:3 offered (XEP-0198):
 *     <enable resume='true'/> ─▶ STEP_ENABLE ─<enabled/>─▶ CONNECTED
 *                                            └<failed/>──▶ CONNECTED (no SM)
 *
 * Stream management, once enabled: every stanza written goes into the
 * XmppSm queue (xmpp-sm.c) until an <a h/> pops it ("stanzas-acked", the
 * tracked callbacks); an idle after a burst (or every ACK_REQUEST_BATCH
 * stanzas) sends <r/>, and an <r/> left unanswered for the iq timeout
 * counts as a lost connection.  Every stanza received is counted; it is
 * handled once its handlers returned and its deferrals were completed.
 * <r/> is answered at once with the count up to which all are handled,
 * and an unrequested <a/> goes out at idle whenever that count grew, so a
 * session the server ends (a restart) holds nothing we already handled.
 *
 *   connection lost (socket error, EOF, ping or <r/> unanswered) with a
 *   resumable session: the XmppSm, its id and the bound JID stay;
 *   DISCONNECTED, "disconnected"; xmpp_client_can_resume() is TRUE
 *     │ resume_async (the application's reconnect: same server, settings)
 *     ▼
 *   open + authenticate as above ─▶ features after SASL:
 *     <resume previd h/> ─▶ STEP_RESUME (state BINDING)
 *        ├─<resumed h/>─▶ ack by h, write the unacked stanzas again,
 *        │                "resumed", CONNECTED (no bind, no session iq)
 *        └─<failed/>───▶ ack by its h if any, "stanzas-unacked" for the
 *                        rest, then bind ─▶ enable ─▶ CONNECTED (new session)
 *   A failure before the server answered keeps the session for a later
 *   resume_async; open_async/connect_async, close_async, a stream error
 *   or closing tag from the server and a lost connection without
 *   resumption end it ("stanzas-unacked").  The <enabled/>'s location is
 *   kept but not used: the XEP gives no TLS mode for it, so resumption
 *   goes to the same server the same way, with the same certificate check.
 *
 * Tracked stanzas on a stream without stream management are confirmed
 * by a ping sent at idle after them (the answer proves the server
 * processed everything before it).
 *
 * Every failure goes through client_disconnect(): it closes the XmppStream
 * (after a </stream:stream> or a <stream:error> when the XML stream is
 * usable), fails the pending iqs, and reports the error either to the
 * open/authenticate task in progress or, when none is, through the
 * "disconnected" signal.
 *
 * Asynchronous operations hold a reference to their GTask, whose source
 * object is the client, so the client lives until they finish; callbacks
 * check that their task is still the current one, because a disconnect
 * may have finished it meanwhile.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "xmpp-client-private.h"
#include "xmpp-parser.h"
#include "xmpp-sasl.h"
#include "xmpp-sm.h"
#include "xmpp-stream.h"

#define XMPP_NS_SASL_CB "urn:xmpp:sasl-cb:0"

#define DEFAULT_PORT           5222
#define DEFAULT_DIRECT_TLS_PORT 5223
#define DEFAULT_IQ_TIMEOUT     30
#define DEFAULT_PING_INTERVAL  300
#define CONNECT_TIMEOUT        20
#define CLOSE_TIMEOUT_MS       2000
/* XEP-0198: ask for an acknowledgement at the latest after this many
 * stanzas, and again this long after an answer that left some out. */
#define ACK_REQUEST_BATCH      20
#define ACK_RETRY_S            5
/* Flow control (update_reading_hold()): at most this many received
 * stanzas deferred and not completed before reading waits. */
#define MAX_OPEN_ACKS          1000
/* Stanzas kept for resending as their bytes (Tracked) are at most this
 * big: far below the parser's limit, so they parse again when asked for. */
#define TRACKED_BYTES_MAX      (16 * 1024)
/* Deferral tokens without stream management (xmpp_client_defer_ack()). */
#define LOCAL_ACK_TOKEN        (G_GUINT64_CONSTANT (1) << 63)

typedef enum
{
  STEP_NONE,
  STEP_CONNECTING,
  STEP_TLS_HANDSHAKE,
  STEP_FEATURES,
  STEP_PROCEED,
  STEP_SASL,
  STEP_BIND,
  STEP_ENABLE,
  STEP_RESUME,
} Step;

typedef struct
{
  char     *host;
  guint16   port;
  guint16   priority;
  gboolean  direct_tls;
} Target;

typedef struct
{
  GPtrArray *targets;           /* Target */
  guint      next_target;
  GError    *last_error;
  guint      pending_lookups;
  GList     *srv_direct;        /* GSrvTarget */
  GList     *srv_starttls;
  gboolean   srv_answered;
} OpenData;

typedef struct
{
  XmppClient *client;            /* borrowed: the task holds it */
  char       *id;
  XmppJid    *to;
  GTask      *task;
  guint       timeout_id;
  GSource    *cancel_source;
} PendingIq;

/* A stanza sent under stream management (every one, func may be NULL) or
 * tracked on a stream without it.  One nobody asked to hear about is kept
 * as the bytes that were written (tracked_stanza() parses them when
 * needed): a fifth of the memory, for the stanzas a flood of messages has
 * in flight (a receipt each) while the server is slow to acknowledge. */
typedef struct
{
  XmppElement       *stanza;
  GBytes            *bytes;
  XmppAckedFunc      func;
  gpointer           user_data;
  GDestroyNotify     destroy;
} Tracked;

typedef struct
{
  guint              id;
  char              *stanza;
  char              *type;
  char              *child_ns;
  char              *child_name;
  XmppStanzaHandler  func;
  gpointer           user_data;
  GDestroyNotify     destroy;
  gboolean           removed;
} Handler;

struct _XmppClient
{
  GObject               parent_instance;

  /* settings */
  XmppJid              *jid;
  char                 *password;
  char                 *host;
  guint16               port;
  gboolean              direct_tls;
  char                 *pinned_fingerprint;
  char                 *resource;
  gboolean              require_tls;
  guint                 iq_timeout;
  guint                 ping_interval;

  /* the connection */
  XmppClientState       state;
  Step                  step;
  XmppStream           *stream;
  GTlsConnection       *tls;
  GCancellable         *op_cancellable;   /* connect, handshake, flush */
  gboolean              given_stream;     /* xmpp_client_new_for_stream() */
  gboolean              secure;
  gboolean              authenticated;
  gboolean              xml_writable;     /* a header went out on this transport */
  XmppJid              *bound_jid;
  XmppElement          *features;
  char                 *mechanism;
  XmppSaslClient       *sasl;
  XmppCertificateInfo  *cert_info;
  gboolean              has_sasl_failure;
  XmppSaslErrorCode     sasl_failure;

  /* operations in progress */
  GTask                *open_task;
  GTask                *auth_task;
  GSource              *open_cancel_source;
  GSource              *auth_cancel_source;
  GPtrArray            *close_tasks;
  guint                 close_timeout_id;

  /* routing */
  GHashTable           *pending_iqs;      /* id → PendingIq */
  GPtrArray            *handlers;         /* Handler, refcounted */
  guint                 last_handler_id;
  char                 *id_prefix;
  guint64               id_counter;

  /* keep-alive */
  guint                 keepalive_id;
  gboolean              ping_in_flight;

  /* XEP-0198 */
  gboolean              use_sm;
  XmppSm               *sm;               /* from <enable/>; kept while resumable */
  gboolean              sm_enabled;       /* on the current stream */
  char                 *sm_id;            /* resumption granted */
  char                 *sm_location;
  guint                 sm_max;           /* seconds; 0: not said */
  XmppJid              *sm_jid;           /* the session's bound JID */
  gboolean              sm_resumable;     /* lost, kept for resume_async */
  gint64                sm_lost_time;
  gboolean              resume_wanted;    /* this attempt resumes */
  gboolean              session_resumed;  /* the last connect resumed */
  gboolean              stream_lost;      /* for client_disconnect() */
  gboolean              dispatching;      /* a counted stanza is being handled */
  guint                 handling;         /* any stanza is being handled */
  GHashTable           *open_acks;        /* deferred tokens not completed */
  gboolean              reading_held;     /* too many open: flow control */
  guint                 step_timeout_id;  /* <enabled/>, <resumed/> */
  guint                 sm_request_id;    /* idle or retry: send <r/> */
  guint                 sm_ack_timeout_id;
  guint                 sm_unrequested;   /* sent since the last <r/> */
  guint32               sm_requested;     /* sent count at the last <r/> */
  guint32               sm_ack_sent;      /* the h we last told the server */
  guint                 sm_ack_id;        /* idle: unrequested <a/> */

  /* tracked stanzas without stream management */
  GPtrArray            *barrier_waiting;  /* Tracked */
  guint                 barrier_id;
};

G_DEFINE_FINAL_TYPE (XmppClient, xmpp_client, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_DISCONNECTED,
  SIGNAL_STANZA_RECEIVED,
  SIGNAL_STANZA_SENT,
  SIGNAL_NONZA_RECEIVED,
  SIGNAL_STANZAS_ACKED,
  SIGNAL_STANZAS_UNACKED,
  SIGNAL_RESUMED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void client_disconnect       (XmppClient    *self,
                                     const GError  *error,
                                     int            stream_error,
                                     gboolean       send_close);
static void negotiation_failed      (XmppClient    *self,
                                     GError        *error);
static void try_next_target         (XmppClient    *self);
static void start_stream            (XmppClient    *self,
                                     GIOStream     *io_stream);
static void keepalive_schedule      (XmppClient    *self);
static void auth_succeeded          (XmppClient    *self);
static void sm_clear_timers         (XmppClient    *self);
static void sm_end_session          (XmppClient    *self,
                                     GPtrArray     *unacked);
static void tracked_free            (Tracked       *tracked);
static void report_tracked          (XmppClient    *self,
                                     GPtrArray     *items,
                                     gboolean       acked,
                                     gboolean       emit);
static void start_bind              (XmppClient    *self);
static void sm_request_schedule     (XmppClient    *self);
static void barrier_schedule        (XmppClient    *self);

/* Certificates */

void
xmpp_certificate_info_free (XmppCertificateInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->fingerprint_sha256);
  g_free (info->subject);
  g_free (info->issuer);
  g_clear_pointer (&info->not_before, g_date_time_unref);
  g_clear_pointer (&info->not_after, g_date_time_unref);
  g_free (info);
}

static char *
format_fingerprint (const guint8 *digest,
                    gsize         len)
{
  GString *out = g_string_sized_new (len * 3);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);

  return g_string_free (out, FALSE);
}

static char *
certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize len = sizeof digest;

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &len);

  return format_fingerprint (digest, len);
}

static char *
datum_to_string (gnutls_datum_t *datum)
{
  char *str = g_strndup ((const char *) datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;
  return str;
}

XmppCertificateInfo *
xmpp_certificate_info_copy (const XmppCertificateInfo *info)
{
  XmppCertificateInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new0 (XmppCertificateInfo, 1);
  copy->fingerprint_sha256 = g_strdup (info->fingerprint_sha256);
  copy->subject = g_strdup (info->subject);
  copy->issuer = g_strdup (info->issuer);
  copy->not_before = info->not_before ? g_date_time_ref (info->not_before) : NULL;
  copy->not_after = info->not_after ? g_date_time_ref (info->not_after) : NULL;
  copy->errors = info->errors;
  return copy;
}

XmppCertificateInfo *
xmpp_certificate_info_new (GTlsCertificate      *certificate,
                           GTlsCertificateFlags  errors)
{
  g_autoptr(GByteArray) der = NULL;
  XmppCertificateInfo *info;
  gnutls_x509_crt_t crt;
  gnutls_datum_t datum;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  info = g_new0 (XmppCertificateInfo, 1);
  info->errors = errors;
  info->fingerprint_sha256 = certificate_fingerprint (certificate);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL || gnutls_x509_crt_init (&crt) < 0)
    return info;

  datum.data = der->data;
  datum.size = der->len;
  if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) >= 0)
    {
      gnutls_datum_t dn = { NULL, 0 };
      time_t t;

      if (gnutls_x509_crt_get_dn3 (crt, &dn, 0) >= 0)
        info->subject = datum_to_string (&dn);
      if (gnutls_x509_crt_get_issuer_dn3 (crt, &dn, 0) >= 0)
        info->issuer = datum_to_string (&dn);

      t = gnutls_x509_crt_get_activation_time (crt);
      if (t != (time_t) -1)
        info->not_before = g_date_time_new_from_unix_utc (t);
      t = gnutls_x509_crt_get_expiration_time (crt);
      if (t != (time_t) -1)
        info->not_after = g_date_time_new_from_unix_utc (t);
    }
  gnutls_x509_crt_deinit (crt);

  return info;
}

char *
xmpp_fingerprint_normalize (const char *fingerprint)
{
  guint8 digest[32];
  gsize n = 0;
  int high = -1;

  if (fingerprint == NULL)
    return NULL;

  for (const char *p = fingerprint; *p != '\0'; p++)
    {
      int v = g_ascii_xdigit_value (*p);

      if (v < 0)
        {
          /* Separators only between bytes. */
          if ((*p == ':' || *p == ' ' || *p == '-') && high < 0)
            continue;
          return NULL;
        }
      if (high < 0)
        {
          high = v;
          continue;
        }
      if (n == sizeof digest)
        return NULL;
      digest[n++] = (high << 4) | v;
      high = -1;
    }

  if (n != sizeof digest || high >= 0)
    return NULL;

  return format_fingerprint (digest, n);
}

static char *
describe_certificate_errors (GTlsCertificateFlags errors)
{
  static const struct
  {
    GTlsCertificateFlags  flag;
    const char           *text;
  } descriptions[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a trusted authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "it does not match the server's name" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "it has expired" },
    { G_TLS_CERTIFICATE_REVOKED, "it has been revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "it uses insecure algorithms" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be validated" },
  };
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (descriptions); i++)
    if (errors & descriptions[i].flag)
      g_ptr_array_add (parts, (gpointer) descriptions[i].text);

  if (parts->len == 0)
    return g_strdup ("it was rejected");

  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}

/* Stanza helpers */

XmppElement *
xmpp_stanza_new_iq (const char *type,
                    const char *to,
                    const char *id)
{
  XmppElement *iq;

  g_return_val_if_fail (type != NULL, NULL);

  iq = xmpp_element_new (XMPP_NS_CLIENT, "iq");
  xmpp_element_set_attribute (iq, "type", type);
  xmpp_element_set_attribute (iq, "to", to);
  xmpp_element_set_attribute (iq, "id", id);
  return iq;
}

static XmppElement *
new_reply (XmppElement *stanza,
           const char  *type)
{
  XmppElement *reply;

  reply = xmpp_element_new (xmpp_element_get_namespace (stanza),
                            xmpp_element_get_name (stanza));
  xmpp_element_set_attribute (reply, "type", type);
  xmpp_element_set_attribute (reply, "to", xmpp_element_get_attribute (stanza, "from"));
  xmpp_element_set_attribute (reply, "from", xmpp_element_get_attribute (stanza, "to"));
  xmpp_element_set_attribute (reply, "id", xmpp_element_get_attribute (stanza, "id"));
  return reply;
}

XmppElement *
xmpp_stanza_new_error_reply (XmppElement         *stanza,
                             XmppStanzaErrorCode  condition,
                             const char          *text)
{
  XmppElement *reply;
  XmppElement *error;

  g_return_val_if_fail (stanza != NULL, NULL);

  reply = new_reply (stanza, "error");
  error = xmpp_element_add_child_new (reply, NULL, "error");
  xmpp_element_set_attribute (error, "type", xmpp_stanza_condition_default_type (condition));
  xmpp_element_add_child_new (error, XMPP_NS_STANZAS, xmpp_stanza_condition_to_string (condition));
  if (text != NULL)
    {
      XmppElement *text_el = xmpp_element_add_child_with_text (error, XMPP_NS_STANZAS, "text", text);
      xmpp_element_set_lang (text_el, "en");
    }
  return reply;
}

XmppElement *
xmpp_stanza_new_result_reply (XmppElement *iq)
{
  g_return_val_if_fail (iq != NULL, NULL);

  return new_reply (iq, "result");
}

gboolean
xmpp_stanza_get_error (XmppElement  *stanza,
                       GError      **error)
{
  XmppElement *error_el;
  XmppElement *child = NULL;
  const char *condition = NULL;
  const char *text;

  g_return_val_if_fail (stanza != NULL, FALSE);

  error_el = xmpp_element_find_child (stanza, NULL, "error");
  if (error_el == NULL)
    return FALSE;

  while ((child = xmpp_element_next_child (error_el, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_STANZAS, NULL) &&
        g_strcmp0 (xmpp_element_get_name (child), "text") != 0)
      {
        condition = xmpp_element_get_name (child);
        break;
      }

  text = xmpp_element_find_child_text (error_el, XMPP_NS_STANZAS, "text");
  if (condition == NULL)
    condition = "undefined-condition";

  g_set_error_literal (error, XMPP_STANZA_ERROR,
                       xmpp_stanza_condition_from_string (condition),
                       text != NULL && *text != '\0' ? text : condition);
  return TRUE;
}

/* Handlers */

static void
handler_clear (Handler *handler)
{
  g_free (handler->stanza);
  g_free (handler->type);
  g_free (handler->child_ns);
  g_free (handler->child_name);
}

static void
handler_unref (Handler *handler)
{
  g_rc_box_release_full (handler, (GDestroyNotify) handler_clear);
}

static void
handler_remove (Handler *handler)
{
  GDestroyNotify destroy = handler->destroy;

  if (handler->removed)
    return;

  handler->removed = TRUE;
  handler->destroy = NULL;
  if (destroy != NULL)
    destroy (handler->user_data);
}

static gboolean
handler_matches (Handler     *handler,
                 XmppElement *stanza)
{
  XmppElement *child = NULL;

  if (handler->stanza != NULL &&
      g_strcmp0 (xmpp_element_get_name (stanza), handler->stanza) != 0)
    return FALSE;

  if (handler->type != NULL)
    {
      const char *type = xmpp_element_get_attribute (stanza, "type");

      if (type == NULL)
        {
          if (xmpp_element_is (stanza, NULL, "message"))
            type = "normal";
          else if (xmpp_element_is (stanza, NULL, "presence"))
            type = "available";
        }
      if (g_strcmp0 (type, handler->type) != 0)
        return FALSE;
    }

  if (handler->child_ns == NULL && handler->child_name == NULL)
    return TRUE;

  while ((child = xmpp_element_next_child (stanza, child)) != NULL)
    if (xmpp_element_is (child, handler->child_ns, handler->child_name))
      return TRUE;

  return FALSE;
}

static gboolean
run_handlers (XmppClient  *self,
              XmppElement *stanza)
{
  g_autoptr(GPtrArray) snapshot = NULL;

  snapshot = g_ptr_array_new_full (self->handlers->len, (GDestroyNotify) handler_unref);
  for (guint i = 0; i < self->handlers->len; i++)
    g_ptr_array_add (snapshot, g_rc_box_acquire (g_ptr_array_index (self->handlers, i)));

  for (guint i = 0; i < snapshot->len; i++)
    {
      Handler *handler = g_ptr_array_index (snapshot, i);

      if (handler->removed || !handler_matches (handler, stanza))
        continue;
      if (handler->func (self, stanza, handler->user_data))
        return TRUE;
      /* A handler may have closed the connection. */
      if (self->state == XMPP_CLIENT_STATE_DISCONNECTED)
        return TRUE;
    }

  return FALSE;
}

static gboolean
ping_handler_cb (XmppClient  *self,
                 XmppElement *stanza,
                 gpointer     user_data)
{
  g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);

  /* The server fills in our address. */
  xmpp_element_set_attribute (reply, "from", NULL);
  xmpp_client_send (self, reply);
  return TRUE;
}

/* State */

static void
set_state (XmppClient      *self,
           XmppClientState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (int) state);
}

static gboolean
can_send_stanzas (XmppClient *self)
{
  if (self->stream == NULL || !self->xml_writable)
    return FALSE;
  /* Nothing may go between <resume/> and the answer. */
  if (self->step == STEP_RESUME)
    return FALSE;

  switch (self->state)
    {
    case XMPP_CLIENT_STATE_OPEN:
    case XMPP_CLIENT_STATE_BINDING:
    case XMPP_CLIENT_STATE_CONNECTED:
      return TRUE;
    case XMPP_CLIENT_STATE_DISCONNECTED:
    case XMPP_CLIENT_STATE_CONNECTING:
    case XMPP_CLIENT_STATE_SECURING:
    case XMPP_CLIENT_STATE_AUTHENTICATING:
    case XMPP_CLIENT_STATE_CLOSING:
    default:
      return FALSE;
    }
}

static void
write_stream_header (XmppClient *self)
{
  g_autoptr(GString) header = g_string_new ("<?xml version='1.0'?><stream:stream");
  XmppJid *jid = self->bound_jid != NULL ? self->bound_jid : self->jid;

  /* RFC 6120 §4.7.1: 'from' only once TLS protects the stream. */
  if (self->secure && xmpp_jid_get_local (jid) != NULL)
    {
      g_string_append (header, " from='");
      xmpp_escape_attribute (header, xmpp_jid_get_bare_string (jid), -1);
      g_string_append_c (header, '\'');
    }
  g_string_append (header, " to='");
  xmpp_escape_attribute (header, xmpp_jid_get_domain (jid), -1);
  g_string_append (header, "' version='1.0' xml:lang='en' xmlns='" XMPP_NS_CLIENT
                   "' xmlns:stream='" XMPP_NS_STREAM "'>");

  xmpp_stream_write_raw (self->stream, header->str, header->len);
  self->xml_writable = TRUE;
}

/* IQ tracking */

static void
pending_iq_free (PendingIq *pending)
{
  g_clear_handle_id (&pending->timeout_id, g_source_remove);
  if (pending->cancel_source != NULL)
    {
      g_source_destroy (pending->cancel_source);
      g_clear_pointer (&pending->cancel_source, g_source_unref);
    }
  g_clear_pointer (&pending->to, xmpp_jid_unref);
  g_clear_object (&pending->task);
  g_free (pending->id);
  g_free (pending);
}

/* Removes @pending from the table and hands its task to the caller. */
static GTask *
pending_iq_take_task (PendingIq *pending)
{
  XmppClient *self = pending->client;
  GTask *task = g_steal_pointer (&pending->task);

  g_hash_table_remove (self->pending_iqs, pending->id);
  return task;
}

static gboolean
pending_iq_timeout_cb (gpointer user_data)
{
  PendingIq *pending = user_data;
  g_autoptr(GTask) task = NULL;
  guint seconds = pending->client->iq_timeout;

  pending->timeout_id = 0;
  task = pending_iq_take_task (pending);
  g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_TIMEOUT,
                           "No answer within %u seconds", seconds);
  return G_SOURCE_REMOVE;
}

static gboolean
pending_iq_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  PendingIq *pending = user_data;
  g_autoptr(GTask) task = NULL;

  task = pending_iq_take_task (pending);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "The request was cancelled");
  return G_SOURCE_REMOVE;
}

static gboolean
is_own_account (XmppClient *self,
                XmppJid    *jid)
{
  if (jid == NULL)
    return TRUE;
  if (xmpp_jid_is_domain (jid))
    return g_strcmp0 (xmpp_jid_get_domain (jid), xmpp_jid_get_domain (self->jid)) == 0;
  if (!xmpp_jid_is_bare (jid))
    return FALSE;
  return xmpp_jid_bare_equal (jid, self->jid) ||
         (self->bound_jid != NULL && xmpp_jid_bare_equal (jid, self->bound_jid));
}

static gboolean
reply_matches (XmppClient  *self,
               PendingIq   *pending,
               XmppElement *reply)
{
  const char *from = xmpp_element_get_attribute (reply, "from");
  g_autoptr(XmppJid) from_jid = NULL;

  if (from != NULL)
    {
      from_jid = xmpp_jid_new (from, NULL);
      if (from_jid == NULL)
        return FALSE;
    }

  if (pending->to != NULL && xmpp_jid_equal (from_jid, pending->to))
    return TRUE;

  /* A request to the server or to our own account may be answered by the
   * bare JID, the domain, or without a 'from' (RFC 6120 §8.1.2.1). */
  if (is_own_account (self, pending->to))
    return from_jid == NULL || is_own_account (self, from_jid);

  return FALSE;
}

static gboolean
handle_iq_reply (XmppClient  *self,
                 XmppElement *iq)
{
  const char *id = xmpp_element_get_attribute (iq, "id");
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PendingIq *pending;

  if (id == NULL)
    return FALSE;

  pending = g_hash_table_lookup (self->pending_iqs, id);
  if (pending == NULL || !reply_matches (self, pending, iq))
    return FALSE;

  task = pending_iq_take_task (pending);
  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "error") == 0)
    {
      if (!xmpp_stanza_get_error (iq, &error))
        g_set_error_literal (&error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_UNDEFINED_CONDITION,
                             "undefined-condition");
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    {
      g_task_return_pointer (task, xmpp_element_ref (iq), (GDestroyNotify) xmpp_element_unref);
    }
  return TRUE;
}

static void
fail_pending_iqs (GHashTable   *pending_iqs,
                  const GError *error)
{
  GHashTableIter iter;
  PendingIq *pending;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, pending_iqs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &pending))
    {
      g_ptr_array_add (tasks, g_steal_pointer (&pending->task));
      g_hash_table_iter_remove (&iter);
    }

  for (guint i = 0; i < tasks->len; i++)
    g_task_return_error (g_ptr_array_index (tasks, i), g_error_copy (error));
}

/* Disconnecting */

static void
clear_cancel_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
write_stream_error (XmppClient          *self,
                    XmppStreamErrorCode  condition,
                    const char          *text)
{
  g_autoptr(GString) out = g_string_new ("<stream:error><");

  g_string_append (out, xmpp_stream_condition_to_string (condition));
  g_string_append (out, " xmlns='" XMPP_NS_STREAMS "'/>");
  if (text != NULL)
    {
      g_string_append (out, "<text xmlns='" XMPP_NS_STREAMS "' xml:lang='en'>");
      xmpp_escape_text (out, text, -1);
      g_string_append (out, "</text>");
    }
  g_string_append (out, "</stream:error>");
  xmpp_stream_write_raw (self->stream, out->str, out->len);
}

static void
stream_closed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  xmpp_stream_close_finish (XMPP_STREAM (source), result, NULL);
}

static void
reset_session (XmppClient *self)
{
  self->step = STEP_NONE;
  self->secure = FALSE;
  self->authenticated = FALSE;
  self->xml_writable = FALSE;
  self->ping_in_flight = FALSE;
  self->sm_enabled = FALSE;
  self->dispatching = FALSE;
  self->stream_lost = FALSE;
  /* A new connection reads freely: what the old one deferred no longer
   * holds it back (stream management still waits for it). */
  g_hash_table_remove_all (self->open_acks);
  self->reading_held = FALSE;
  sm_clear_timers (self);
  g_clear_pointer (&self->sasl, xmpp_sasl_client_free);
  g_clear_object (&self->tls);
}

/* Tear the connection down and report @error (NULL: orderly close) to the
 * open/authenticate task in progress or else through "disconnected".
 * @stream_error >= 0 sends that stream error first; @send_close sends our
 * closing tag (both only when the XML stream is usable).  A stream
 * management session survives when self->stream_lost says the connection
 * was lost rather than closed, or when a resumption attempt fails before
 * the server answered it. */
static void
client_disconnect (XmppClient   *self,
                   const GError *error,
                   int           stream_error,
                   gboolean      send_close)
{
  g_autoptr(XmppClient) hold = g_object_ref (self);
  g_autoptr(GTask) open_task = NULL;
  g_autoptr(GTask) auth_task = NULL;
  g_autoptr(GPtrArray) close_tasks = NULL;
  g_autoptr(GError) not_connected = NULL;
  g_autoptr(GPtrArray) unacked = NULL;
  g_autoptr(GPtrArray) unconfirmed = NULL;
  gboolean lost = self->stream_lost;

  if (self->state == XMPP_CLIENT_STATE_DISCONNECTED)
    return;

  unacked = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);
  if (self->sm != NULL)
    {
      gboolean keep;

      if (self->sm_resumable)
        keep = error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      else
        keep = lost && self->sm_enabled && self->sm_id != NULL;

      if (keep && !self->sm_resumable)
        {
          self->sm_resumable = TRUE;
          self->sm_lost_time = g_get_monotonic_time ();
        }
      if (!keep)
        sm_end_session (self, unacked);
    }
  self->resume_wanted = FALSE;
  g_clear_handle_id (&self->barrier_id, g_source_remove);
  unconfirmed = g_steal_pointer (&self->barrier_waiting);
  self->barrier_waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);

  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  clear_cancel_source (&self->open_cancel_source);
  clear_cancel_source (&self->auth_cancel_source);
  if (self->op_cancellable != NULL)
    {
      g_cancellable_cancel (self->op_cancellable);
      g_clear_object (&self->op_cancellable);
    }

  if (self->stream != NULL)
    {
      if (self->xml_writable && self->step != STEP_TLS_HANDSHAKE)
        {
          if (stream_error >= 0)
            write_stream_error (self, stream_error, NULL);
          if (send_close || stream_error >= 0)
            xmpp_stream_write_raw (self->stream, "</stream:stream>", -1);
        }
      g_signal_handlers_disconnect_by_data (self->stream, self);
      xmpp_stream_close_async (self->stream, NULL, stream_closed_cb, NULL);
      g_clear_object (&self->stream);
    }
  reset_session (self);

  open_task = g_steal_pointer (&self->open_task);
  auth_task = g_steal_pointer (&self->auth_task);
  close_tasks = g_steal_pointer (&self->close_tasks);
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  if (error == NULL)
    not_connected = g_error_new_literal (XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED,
                                         "The connection was closed");
  fail_pending_iqs (self->pending_iqs, error != NULL ? error : not_connected);

  set_state (self, XMPP_CLIENT_STATE_DISCONNECTED);

  /* Everything is reset: callbacks may reconnect from here on. */
  report_tracked (self, unacked, FALSE, TRUE);
  report_tracked (self, unconfirmed, FALSE, FALSE);
  if (open_task != NULL || auth_task != NULL)
    {
      const GError *task_error = error != NULL ? error : not_connected;

      if (open_task != NULL)
        g_task_return_error (open_task, g_error_copy (task_error));
      if (auth_task != NULL)
        g_task_return_error (auth_task, g_error_copy (task_error));
    }
  else
    {
      g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
    }

  for (guint i = 0; i < close_tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (close_tasks, i), TRUE);
}

/* A negotiation step failed: close the stream (with our closing tag when
 * the XML stream is usable) and fail the task in progress. */
static void
negotiation_failed (XmppClient *self,
                    GError     *error)
{
  g_autoptr(GError) owned = error;

  client_disconnect (self, owned, -1, TRUE);
}

static gboolean
task_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  XmppClient *self = user_data;
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                 "The connection attempt was cancelled");

  /* The source is destroyed by client_disconnect(), our caller's
   * reference keeps it alive until we return. */
  client_disconnect (self, error, -1, TRUE);
  return G_SOURCE_REMOVE;
}

static GSource *
watch_cancellable (XmppClient   *self,
                   GCancellable *cancellable)
{
  GSource *source;

  if (cancellable == NULL)
    return NULL;

  source = g_cancellable_source_new (cancellable);
  g_source_set_callback (source, G_SOURCE_FUNC (task_cancelled_cb), self, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

/* Negotiation: TLS */

static gboolean
accept_certificate_cb (GTlsConnection       *tls,
                       GTlsCertificate      *peer_cert,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  XmppClient *self = user_data;
  g_autofree char *fingerprint = NULL;

  if (errors == 0)
    return TRUE;

  fingerprint = certificate_fingerprint (peer_cert);
  if (self->pinned_fingerprint != NULL && fingerprint != NULL &&
      strcmp (fingerprint, self->pinned_fingerprint) == 0)
    return TRUE;

  g_clear_pointer (&self->cert_info, xmpp_certificate_info_free);
  self->cert_info = xmpp_certificate_info_new (peer_cert, errors);
  return FALSE;
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppClient *self = g_task_get_source_object (task);
  GTlsConnection *tls = G_TLS_CONNECTION (source);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = g_tls_connection_handshake_finish (tls, result, &error);
  if (task != self->open_task)
    return;

  if (!ok)
    {
      if (self->cert_info != NULL)
        {
          g_autofree char *why = describe_certificate_errors (self->cert_info->errors);

          negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_CERTIFICATE_UNTRUSTED,
                                                 "The certificate of %s is not trusted: %s "
                                                 "(SHA-256 fingerprint %s)",
                                                 xmpp_jid_get_domain (self->jid), why,
                                                 self->cert_info->fingerprint_sha256));
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          negotiation_failed (self, g_steal_pointer (&error));
        }
      else
        {
          negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_TLS_FAILED,
                                                 "TLS handshake with %s failed: %s",
                                                 xmpp_jid_get_domain (self->jid),
                                                 error->message));
        }
      return;
    }

  self->secure = TRUE;
  self->step = STEP_NONE;
  g_set_object (&self->tls, tls);

  if (self->stream == NULL)
    {
      start_stream (self, G_IO_STREAM (tls));
    }
  else
    {
      /* STARTTLS: a new stream on the secured transport (6120 §5.4.3.3). */
      g_clear_pointer (&self->features, xmpp_element_unref);
      xmpp_stream_set_io_stream (self->stream, G_IO_STREAM (tls));
      write_stream_header (self);
      self->step = STEP_FEATURES;
      xmpp_stream_start_reading (self->stream);
    }
}

static void
start_tls (XmppClient *self,
           GIOStream  *base,
           gboolean    direct)
{
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autoptr(GIOStream) tls = NULL;
  GError *error = NULL;

  set_state (self, XMPP_CLIENT_STATE_SECURING);
  self->step = STEP_TLS_HANDSHAKE;
  g_clear_pointer (&self->cert_info, xmpp_certificate_info_free);

  /* The identity is the JID's domain whatever host we connected to: it is
   * sent as SNI and checked against the certificate (6120 §13.7.2). */
  identity = g_network_address_new (xmpp_jid_get_domain (self->jid), 0);
  tls = g_tls_client_connection_new (base, identity, &error);
  if (tls == NULL)
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_TLS_FAILED,
                                             "TLS is not available: %s", error->message));
      g_error_free (error);
      return;
    }

  if (direct)
    {
      static const char * const alpn[] = { "xmpp-client", NULL };

      g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls), alpn);
    }

  g_signal_connect_object (tls, "accept-certificate",
                           G_CALLBACK (accept_certificate_cb), self, 0);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    self->op_cancellable, handshake_cb,
                                    g_object_ref (self->open_task));
}

static void
starttls_flushed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = xmpp_stream_flush_finish (XMPP_STREAM (source), result, &error);
  if (task != self->open_task)
    return;

  if (!ok)
    {
      negotiation_failed (self, g_steal_pointer (&error));
      return;
    }

  start_tls (self, xmpp_stream_get_io_stream (self->stream), FALSE);
}

static void
handle_tls_element (XmppClient  *self,
                    XmppElement *element)
{
  if (self->step != STEP_PROCEED)
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "Unexpected <%s/> from the server",
                                             xmpp_element_get_name (element)));
      return;
    }

  if (xmpp_element_is (element, XMPP_NS_TLS, "proceed"))
    {
      /* TLS starts right after <proceed/>: no read may stay pending on
       * the plain stream and everything we queued must be out. */
      self->step = STEP_TLS_HANDSHAKE;
      self->xml_writable = FALSE;
      xmpp_stream_pause_reading (self->stream);
      xmpp_stream_flush_async (self->stream, self->op_cancellable,
                               starttls_flushed_cb, g_object_ref (self->open_task));
      return;
    }

  /* <failure/>: the server closes the stream and the connection. */
  negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_TLS_FAILED,
                                         "The server %s refused to start TLS",
                                         xmpp_jid_get_domain (self->jid)));
}

/* Negotiation: SASL */

static char *
sasl_encode (GBytes *data)
{
  gsize len = 0;
  gconstpointer bytes = data != NULL ? g_bytes_get_data (data, &len) : NULL;

  if (len == 0)
    return g_strdup ("=");
  return g_base64_encode (bytes, len);
}

/* Base64 of RFC 4648 §4, whitespace ignored; "=" is a zero-length
 * message (6120 §6.4.6). */
static GBytes *
sasl_decode (const char  *text,
             GError     **error)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  guchar *decoded;
  gsize len;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        goto invalid;
      g_string_append_c (clean, *p);
    }

  if (strcmp (clean->str, "=") == 0 || clean->len == 0)
    return g_bytes_new (NULL, 0);
  if (clean->len % 4 != 0)
    goto invalid;

  decoded = g_base64_decode (clean->str, &len);
  return g_bytes_new_take (decoded, len);

invalid:
  g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                       "The server sent invalid base64 in SASL");
  return NULL;
}

static gboolean
channel_binding_advertised (XmppElement            *list,
                            XmppChannelBindingType  type)
{
  XmppElement *child = NULL;
  const char *name = xmpp_channel_binding_type_to_string (type);

  while ((child = xmpp_element_next_child (list, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_SASL_CB, "channel-binding") &&
        g_strcmp0 (xmpp_element_get_attribute (child, "type"), name) == 0)
      return TRUE;

  return FALSE;
}

/* The channel-binding data to use, or NULL.  With XEP-0440 the strongest
 * type both sides have; without it the default of the TLS version
 * (RFC 9266: tls-exporter for TLS 1.3, RFC 5802: tls-unique before).
 *
 * *@guessed is set when the server did not say which types it supports
 * and the type is only the TLS 1.3 default.  Servers that predate
 * XEP-0440 (ejabberd 23.01, Prosody 0.12) offer -PLUS but bind only with
 * tls-unique, which TLS 1.3 does not define: a guess there fails the
 * login.  The caller then authenticates without binding (flag 'n'); the
 * guessed data still lets it send 'y' to a server offering no -PLUS. */
static GBytes *
get_channel_binding (XmppClient             *self,
                     XmppChannelBindingType *type_out,
                     gboolean               *guessed)
{
  XmppChannelBindingType candidates[3];
  XmppElement *advertised;
  guint n = 0;
  gboolean tls13;

  *type_out = XMPP_CHANNEL_BINDING_NONE;
  *guessed = FALSE;
  if (self->tls == NULL || self->features == NULL)
    return NULL;

  tls13 = g_tls_connection_get_protocol_version (self->tls) >= G_TLS_PROTOCOL_VERSION_TLS_1_3;
  advertised = xmpp_element_find_child (self->features, XMPP_NS_SASL_CB, "sasl-channel-binding");

  if (advertised != NULL)
    {
      candidates[n++] = XMPP_CHANNEL_BINDING_TLS_EXPORTER;
      candidates[n++] = XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT;
      if (!tls13)
        candidates[n++] = XMPP_CHANNEL_BINDING_TLS_UNIQUE;
    }
  else if (tls13)
    {
      candidates[n++] = XMPP_CHANNEL_BINDING_TLS_EXPORTER;
      *guessed = TRUE;
    }
  else
    {
      candidates[n++] = XMPP_CHANNEL_BINDING_TLS_UNIQUE;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      GBytes *data;

      if (advertised != NULL && !channel_binding_advertised (advertised, candidates[i]))
        continue;

      data = xmpp_tls_get_channel_binding (self->tls, candidates[i], &error);
      if (data != NULL)
        {
          *type_out = candidates[i];
          return data;
        }
      g_debug ("No %s channel binding: %s",
               xmpp_channel_binding_type_to_string (candidates[i]), error->message);
    }

  return NULL;
}

static void
start_sasl (XmppClient *self)
{
  g_autoptr(GPtrArray) offered = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GBytes) cb_data = NULL;
  g_autoptr(GBytes) initial = NULL;
  g_autoptr(XmppElement) auth = NULL;
  g_autofree char *encoded = NULL;
  XmppChannelBindingType cb_type;
  gboolean cb_guessed;
  XmppElement *mechanisms;
  XmppElement *child = NULL;
  gboolean server_plus = FALSE;
  const char *mechanism;
  GError *error = NULL;

  mechanisms = self->features != NULL
    ? xmpp_element_find_child (self->features, XMPP_NS_SASL, "mechanisms")
    : NULL;
  if (mechanisms == NULL)
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_NO_SUPPORTED_MECHANISM,
                                             "The server %s offers no SASL authentication",
                                             xmpp_jid_get_domain (self->jid)));
      return;
    }

  while ((child = xmpp_element_next_child (mechanisms, child)) != NULL)
    {
      char *name;

      if (!xmpp_element_is (child, XMPP_NS_SASL, "mechanism"))
        continue;
      name = g_strstrip (g_strdup (xmpp_element_get_text (child)));
      g_ptr_array_add (offered, name);
      if (g_str_has_suffix (name, "-PLUS"))
        server_plus = TRUE;
    }
  g_ptr_array_add (offered, NULL);

  if (xmpp_jid_get_local (self->jid) == NULL)
    {
      negotiation_failed (self, g_error_new_literal (XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                                                     "The account's address has no user name"));
      return;
    }
  if (self->password == NULL)
    {
      negotiation_failed (self, g_error_new_literal (XMPP_ERROR, XMPP_ERROR_AUTHENTICATION_FAILED,
                                                     "No password is set"));
      return;
    }

  cb_data = get_channel_binding (self, &cb_type, &cb_guessed);
  if (cb_guessed && server_plus)
    g_clear_pointer (&cb_data, g_bytes_unref);
  mechanism = xmpp_sasl_select_mechanism ((const char * const *) offered->pdata,
                                          self->secure, cb_data != NULL, &error);
  if (mechanism == NULL)
    {
      negotiation_failed (self, error);
      return;
    }

  self->sasl = xmpp_sasl_client_new (mechanism, xmpp_jid_get_local (self->jid),
                                     self->password, &error);
  if (self->sasl == NULL)
    {
      negotiation_failed (self, error);
      return;
    }
  if (cb_data != NULL)
    xmpp_sasl_client_set_channel_binding (self->sasl, cb_type, cb_data);
  xmpp_sasl_client_set_server_offers_plus (self->sasl, server_plus);

  initial = xmpp_sasl_client_start (self->sasl, &error);
  if (initial == NULL)
    {
      negotiation_failed (self, error);
      return;
    }

  g_free (self->mechanism);
  self->mechanism = g_strdup (mechanism);

  encoded = sasl_encode (initial);
  auth = xmpp_element_new (XMPP_NS_SASL, "auth");
  xmpp_element_set_attribute (auth, "mechanism", mechanism);
  xmpp_element_add_text (auth, encoded, -1);

  self->step = STEP_SASL;
  xmpp_stream_write_element (self->stream, auth);
}

static void
sasl_abort (XmppClient *self,
            GError     *error)
{
  g_autoptr(XmppElement) abort_el = xmpp_element_new (XMPP_NS_SASL, "abort");

  xmpp_stream_write_element (self->stream, abort_el);
  negotiation_failed (self, error);
}

static void
handle_sasl_failure (XmppClient  *self,
                     XmppElement *failure)
{
  XmppElement *child = NULL;
  const char *condition = NULL;
  const char *text;
  const char *scram_error;
  g_autofree char *message = NULL;

  while ((child = xmpp_element_next_child (failure, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_SASL, NULL) &&
        g_strcmp0 (xmpp_element_get_name (child), "text") != 0)
      {
        condition = xmpp_element_get_name (child);
        break;
      }

  /* Unknown conditions count as not-authorized (6120 §6.5). */
  self->has_sasl_failure = TRUE;
  self->sasl_failure = xmpp_sasl_condition_from_string (condition != NULL ? condition : "");
  condition = xmpp_sasl_condition_to_string (self->sasl_failure);

  text = xmpp_element_find_child_text (failure, XMPP_NS_SASL, "text");
  scram_error = self->sasl != NULL ? xmpp_sasl_client_get_server_error (self->sasl) : NULL;
  if (text != NULL && *text != '\0')
    message = g_strdup_printf ("%s: %s", condition, text);
  else if (scram_error != NULL)
    message = g_strdup_printf ("%s: %s", condition, scram_error);
  else
    message = g_strdup (condition);

  negotiation_failed (self, g_error_new_literal (XMPP_ERROR, XMPP_ERROR_AUTHENTICATION_FAILED,
                                                 message));
}

static void
handle_sasl_element (XmppClient  *self,
                     XmppElement *element)
{
  GError *error = NULL;

  if (self->step != STEP_SASL || self->sasl == NULL)
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "Unexpected <%s/> from the server",
                                             xmpp_element_get_name (element)));
      return;
    }

  if (xmpp_element_is (element, XMPP_NS_SASL, "challenge"))
    {
      g_autoptr(GBytes) challenge = NULL;
      g_autoptr(GBytes) response = NULL;
      g_autoptr(XmppElement) response_el = NULL;

      challenge = sasl_decode (xmpp_element_get_text (element), &error);
      if (challenge == NULL)
        {
          sasl_abort (self, error);
          return;
        }
      response = xmpp_sasl_client_step (self->sasl, challenge, &error);
      if (response == NULL)
        {
          sasl_abort (self, error);
          return;
        }

      response_el = xmpp_element_new (XMPP_NS_SASL, "response");
      if (g_bytes_get_size (response) > 0)
        {
          g_autofree char *encoded = sasl_encode (response);
          xmpp_element_add_text (response_el, encoded, -1);
        }
      xmpp_stream_write_element (self->stream, response_el);
    }
  else if (xmpp_element_is (element, XMPP_NS_SASL, "success"))
    {
      g_autoptr(GBytes) data = NULL;
      const char *text = xmpp_element_get_text (element);

      if (*text != '\0')
        {
          data = sasl_decode (text, &error);
          if (data == NULL)
            {
              negotiation_failed (self, error);
              return;
            }
        }
      if (!xmpp_sasl_client_finish (self->sasl, data, &error))
        {
          negotiation_failed (self, error);
          return;
        }

      /* Restart (6120 §6.4.6): a new header, fresh parser, new features. */
      g_clear_pointer (&self->sasl, xmpp_sasl_client_free);
      g_clear_pointer (&self->features, xmpp_element_unref);
      self->authenticated = TRUE;
      xmpp_stream_restart (self->stream);
      write_stream_header (self);
      self->step = STEP_FEATURES;
    }
  else if (xmpp_element_is (element, XMPP_NS_SASL, "failure"))
    {
      handle_sasl_failure (self, element);
    }
  else
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "Unexpected <%s/> from the server",
                                             xmpp_element_get_name (element)));
    }
}

/* Tracked stanzas */

static Tracked *
tracked_new (XmppElement    *stanza,
             XmppAckedFunc   func,
             gpointer        user_data,
             GDestroyNotify  destroy)
{
  Tracked *tracked = g_new0 (Tracked, 1);

  tracked->stanza = xmpp_element_ref (stanza);
  tracked->func = func;
  tracked->user_data = user_data;
  tracked->destroy = destroy;
  return tracked;
}

static Tracked *
tracked_new_bytes (GBytes *bytes)
{
  Tracked *tracked = g_new0 (Tracked, 1);

  tracked->bytes = g_bytes_ref (bytes);
  return tracked;
}

static void
tracked_free (Tracked *tracked)
{
  if (tracked->destroy != NULL)
    tracked->destroy (tracked->user_data);
  g_clear_pointer (&tracked->stanza, xmpp_element_unref);
  g_clear_pointer (&tracked->bytes, g_bytes_unref);
  g_free (tracked);
}

/* The stanza, parsed again from its bytes when it was kept as those: they
 * were serialized in the client namespace, so they are parsed in it. */
static XmppElement *
tracked_stanza (Tracked *tracked)
{
  if (tracked->stanza == NULL)
    {
      gsize len;
      const char *data = g_bytes_get_data (tracked->bytes, &len);
      g_autofree char *wrapped = g_strdup_printf ("<w xmlns='" XMPP_NS_CLIENT "'>%.*s</w>", (int) len, data);
      g_autoptr(GError) error = NULL;
      g_autoptr(XmppElement) wrapper = xmpp_element_parse (wrapped, -1, &error);
      XmppElement *child = wrapper != NULL ? xmpp_element_next_child (wrapper, NULL) : NULL;

      /* We wrote it, and it is small (TRACKED_BYTES_MAX): it parses. */
      if (child == NULL)
        {
          g_critical ("A stanza kept for resending does not parse: %s", error != NULL ? error->message : "empty");
          child = wrapper = xmpp_element_new (XMPP_NS_CLIENT, "message");
        }
      tracked->stanza = xmpp_element_ref (child);
    }
  return tracked->stanza;
}

/* Writes it as it was the first time. */
static void
tracked_write (XmppClient *self,
               Tracked    *tracked)
{
  if (tracked->bytes != NULL)
    xmpp_stream_write_bytes (self->stream, tracked->bytes);
  else
    xmpp_stream_write_element (self->stream, tracked->stanza);
}

/* Tell the callbacks (and, for stream management, the signal) what became
 * of @items (Tracked, freed by the array). */
static void
report_tracked (XmppClient *self,
                GPtrArray  *items,
                gboolean    acked,
                gboolean    emit)
{
  g_autoptr(XmppClient) hold = g_object_ref (self);

  if (items == NULL || items->len == 0)
    return;

  if (emit && g_signal_has_handler_pending (self, signals[acked ? SIGNAL_STANZAS_ACKED : SIGNAL_STANZAS_UNACKED],
                                            0, FALSE))
    {
      g_autoptr(GPtrArray) stanzas = g_ptr_array_sized_new (items->len);

      for (guint i = 0; i < items->len; i++)
        g_ptr_array_add (stanzas, tracked_stanza (items->pdata[i]));
      g_signal_emit (self, signals[acked ? SIGNAL_STANZAS_ACKED : SIGNAL_STANZAS_UNACKED], 0,
                     stanzas);
    }

  for (guint i = 0; i < items->len; i++)
    {
      Tracked *tracked = items->pdata[i];
      XmppAckedFunc func = g_steal_pointer (&tracked->func);

      if (func != NULL)
        func (self, tracked->stanza, acked, tracked->user_data);
    }
}

typedef struct
{
  XmppClient *client;
  Tracked    *tracked;
} Unsent;

static gboolean
report_unsent_cb (gpointer user_data)
{
  Unsent *unsent = user_data;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);

  g_ptr_array_add (items, unsent->tracked);
  report_tracked (unsent->client, items, FALSE, FALSE);
  g_object_unref (unsent->client);
  g_free (unsent);
  return G_SOURCE_REMOVE;
}

/* Tracked stanzas without stream management: a ping after them */

static void
barrier_answered_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GPtrArray) items = user_data;
  XmppClient *self = XMPP_CLIENT (source);
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = xmpp_client_send_iq_finish (self, result, &error);
  /* An error reply is an answer too: the server got this far. */
  report_tracked (self, items, reply != NULL || (error != NULL && error->domain == XMPP_STANZA_ERROR),
                  FALSE);
}

static gboolean
barrier_cb (gpointer user_data)
{
  XmppClient *self = user_data;
  g_autoptr(XmppElement) ping = NULL;
  GPtrArray *items;
  XmppJid *jid;

  self->barrier_id = 0;
  if (self->barrier_waiting->len == 0 || !can_send_stanzas (self))
    return G_SOURCE_REMOVE;

  items = g_steal_pointer (&self->barrier_waiting);
  self->barrier_waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);

  jid = self->bound_jid != NULL ? self->bound_jid : self->jid;
  ping = xmpp_stanza_new_iq ("get", xmpp_jid_get_domain (jid), NULL);
  xmpp_element_add_child_new (ping, XMPP_NS_PING, "ping");
  xmpp_client_send_iq_async (self, ping, NULL, barrier_answered_cb, items);
  return G_SOURCE_REMOVE;
}

static void
barrier_schedule (XmppClient *self)
{
  if (self->barrier_id == 0 && self->barrier_waiting->len > 0)
    self->barrier_id = g_idle_add (barrier_cb, self);
}

/* Stream management (XEP-0198) */

static void
write_sm (XmppClient *self,
          const char *format,
          ...) G_GNUC_PRINTF (2, 3);

static void
write_sm (XmppClient *self,
          const char *format,
          ...)
{
  g_autofree char *xml = NULL;
  va_list args;

  va_start (args, format);
  xml = g_strdup_vprintf (format, args);
  va_end (args);
  xmpp_stream_write_raw (self->stream, xml, -1);
}

static void
sm_clear_timers (XmppClient *self)
{
  g_clear_handle_id (&self->step_timeout_id, g_source_remove);
  g_clear_handle_id (&self->sm_request_id, g_source_remove);
  g_clear_handle_id (&self->sm_ack_timeout_id, g_source_remove);
  g_clear_handle_id (&self->sm_ack_id, g_source_remove);
}

/* Forget the session; what it never got acknowledged moves to @unacked
 * (Tracked) for the caller to report. */
static void
sm_end_session (XmppClient *self,
                GPtrArray  *unacked)
{
  if (self->sm != NULL)
    xmpp_sm_take_unacked (self->sm, unacked);
  g_clear_pointer (&self->sm, xmpp_sm_free);
  g_clear_pointer (&self->sm_id, g_free);
  g_clear_pointer (&self->sm_location, g_free);
  g_clear_pointer (&self->sm_jid, xmpp_jid_unref);
  self->sm_max = 0;
  self->sm_enabled = FALSE;
  self->sm_resumable = FALSE;
  self->sm_lost_time = 0;
  self->sm_ack_sent = 0;
  self->sm_unrequested = 0;
  self->sm_requested = 0;
}

static void
sm_end_session_and_report (XmppClient *self)
{
  g_autoptr(GPtrArray) unacked = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);

  sm_end_session (self, unacked);
  report_tracked (self, unacked, FALSE, TRUE);
}

static gboolean
sm_ack_timeout_cb (gpointer user_data)
{
  XmppClient *self = user_data;
  g_autoptr(GError) error = NULL;

  self->sm_ack_timeout_id = 0;
  error = g_error_new (XMPP_ERROR, XMPP_ERROR_TIMEOUT,
                       "The server did not acknowledge within %u seconds", self->iq_timeout);
  self->stream_lost = TRUE;
  client_disconnect (self, error, XMPP_STREAM_ERROR_CONNECTION_TIMEOUT, TRUE);
  return G_SOURCE_REMOVE;
}

static void
sm_send_request (XmppClient *self)
{
  g_clear_handle_id (&self->sm_request_id, g_source_remove);
  if (!self->sm_enabled || self->stream == NULL || !can_send_stanzas (self))
    return;

  write_sm (self, "<r xmlns='" XMPP_NS_SM "'/>");
  self->sm_unrequested = 0;
  self->sm_requested = xmpp_sm_get_sent (self->sm);
  if (self->sm_ack_timeout_id == 0 && self->iq_timeout > 0)
    self->sm_ack_timeout_id = g_timeout_add_seconds (self->iq_timeout, sm_ack_timeout_cb, self);
}

/* Idle after a burst: ask about what was sent since the last <r/>. */
static gboolean
sm_request_cb (gpointer user_data)
{
  XmppClient *self = user_data;

  self->sm_request_id = 0;
  if (self->sm != NULL && self->sm_requested != xmpp_sm_get_sent (self->sm))
    sm_send_request (self);
  return G_SOURCE_REMOVE;
}

/* A while after an answer that left some out: ask again. */
static gboolean
sm_request_again_cb (gpointer user_data)
{
  XmppClient *self = user_data;

  self->sm_request_id = 0;
  if (self->sm != NULL && xmpp_sm_get_n_unacked (self->sm) > 0)
    sm_send_request (self);
  return G_SOURCE_REMOVE;
}

/* A stanza went out: ask for its acknowledgement after the burst. */
static void
sm_request_schedule (XmppClient *self)
{
  if (!self->sm_enabled)
    return;

  if (++self->sm_unrequested >= ACK_REQUEST_BATCH)
    sm_send_request (self);
  else if (self->sm_request_id == 0)
    self->sm_request_id = g_idle_add (sm_request_cb, self);
}

static void
sm_write_ack (XmppClient *self)
{
  g_clear_handle_id (&self->sm_ack_id, g_source_remove);
  self->sm_ack_sent = xmpp_sm_get_handled (self->sm);
  write_sm (self, "<a xmlns='" XMPP_NS_SM "' h='%u'/>", self->sm_ack_sent);
}

static gboolean
sm_ack_cb (gpointer user_data)
{
  XmppClient *self = user_data;

  self->sm_ack_id = 0;
  if (self->sm_enabled && can_send_stanzas (self) &&
      xmpp_sm_get_handled (self->sm) != self->sm_ack_sent)
    sm_write_ack (self);
  return G_SOURCE_REMOVE;
}

/* More stanzas are handled: say so at idle, unasked, so a session that
 * ends now (a server restart) does not keep them and deliver them again
 * (XEP-0198 §4 allows an <a/> at any time). */
static void
sm_ack_schedule (XmppClient *self)
{
  if (self->sm_enabled && self->sm_ack_id == 0 &&
      xmpp_sm_get_handled (self->sm) != self->sm_ack_sent)
    self->sm_ack_id = g_idle_add (sm_ack_cb, self);
}

static gboolean
parse_h (XmppElement *element,
         guint32     *h)
{
  const char *text = xmpp_element_get_attribute (element, "h");
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;
  *h = (guint32) value;
  return TRUE;
}

/* The server has handled @h of our stanzas.  FALSE when that is more than
 * we sent: the stream is then closed (XEP-0198 §6). */
static gboolean
sm_process_ack (XmppClient *self,
                guint32     h)
{
  g_autoptr(GPtrArray) acked = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);
  g_autoptr(GError) error = NULL;
  guint32 sent = xmpp_sm_get_sent (self->sm);

  if (xmpp_sm_ack (self->sm, h, acked))
    {
      report_tracked (self, acked, TRUE, TRUE);
      return TRUE;
    }

  error = g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                       "The server acknowledged %u stanzas but only %u were sent", h, sent);
  write_sm (self, "<stream:error><undefined-condition xmlns='" XMPP_NS_STREAMS "'/>"
            "<handled-count-too-high xmlns='" XMPP_NS_SM "' h='%u' send-count='%u'/>"
            "</stream:error>", h, sent);
  /* The counts disagree: nothing can be resumed. */
  sm_end_session_and_report (self);
  client_disconnect (self, error, -1, TRUE);
  return FALSE;
}

static gboolean
step_timeout_cb (gpointer user_data)
{
  XmppClient *self = user_data;

  self->step_timeout_id = 0;
  negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_TIMEOUT,
                                         "The server did not answer <%s/> within %u seconds",
                                         self->step == STEP_RESUME ? "resume" : "enable",
                                         self->iq_timeout));
  return G_SOURCE_REMOVE;
}

static void
step_timeout_start (XmppClient *self)
{
  g_clear_handle_id (&self->step_timeout_id, g_source_remove);
  if (self->iq_timeout > 0)
    self->step_timeout_id = g_timeout_add_seconds (self->iq_timeout, step_timeout_cb, self);
}

/* Bound: enable stream management when offered, else done. */
static void
bound (XmppClient *self)
{
  self->session_resumed = FALSE;
  if (!self->use_sm || self->features == NULL ||
      xmpp_element_find_child (self->features, XMPP_NS_SM, "sm") == NULL)
    {
      auth_succeeded (self);
      return;
    }

  /* Our count starts with the <enable/> (XEP-0198 §4).  Any earlier
   * session ended before this bind. */
  g_assert (self->sm == NULL);
  self->sm = xmpp_sm_new (0, 0, (GDestroyNotify) tracked_free);
  self->sm_requested = 0;
  self->sm_unrequested = 0;
  self->sm_ack_sent = 0;
  self->step = STEP_ENABLE;
  write_sm (self, "<enable xmlns='" XMPP_NS_SM "' resume='true'/>");
  step_timeout_start (self);
}

static void
handle_sm_enabled (XmppClient  *self,
                   XmppElement *enabled)
{
  const char *resume = xmpp_element_get_attribute (enabled, "resume");
  const char *id = xmpp_element_get_attribute (enabled, "id");
  const char *max = xmpp_element_get_attribute (enabled, "max");
  guint64 seconds;

  g_clear_handle_id (&self->step_timeout_id, g_source_remove);
  if ((g_strcmp0 (resume, "true") == 0 || g_strcmp0 (resume, "1") == 0) && id != NULL && *id != '\0')
    {
      self->sm_id = g_strdup (id);
      self->sm_location = g_strdup (xmpp_element_get_attribute (enabled, "location"));
      if (max != NULL && g_ascii_string_to_unsigned (max, 10, 0, G_MAXUINT, &seconds, NULL))
        self->sm_max = (guint) seconds;
    }
  self->sm_jid = xmpp_jid_ref (self->bound_jid);
  self->sm_enabled = TRUE;
  g_debug ("Stream management enabled%s%s", self->sm_id != NULL ? ", resumable as " : "",
           self->sm_id != NULL ? self->sm_id : "");

  /* Anything written while <enable/> was out is counted already. */
  self->sm_unrequested = 0;
  if (xmpp_sm_get_n_unacked (self->sm) > 0)
    sm_request_schedule (self);
  auth_succeeded (self);
}

static void
start_resume (XmppClient *self)
{
  g_autoptr(GString) resume = g_string_new ("<resume xmlns='" XMPP_NS_SM "' previd='");
  guint32 handled = xmpp_sm_get_handled (self->sm);

  set_state (self, XMPP_CLIENT_STATE_BINDING);
  self->step = STEP_RESUME;
  g_debug ("Resuming %s with h=%u", self->sm_id, handled);

  /* The id is the server's and opaque: escaped like any attribute. */
  xmpp_escape_attribute (resume, self->sm_id, -1);
  g_string_append_printf (resume, "' h='%u'/>", handled);
  xmpp_stream_write_raw (self->stream, resume->str, resume->len);
  self->sm_ack_sent = handled;

  /* The server sends again what came after @handled; deferrals of those
   * stanzas are void (they will be deferred again). */
  xmpp_sm_restart_inbound (self->sm, handled);
  step_timeout_start (self);
}

static void
handle_sm_resumed (XmppClient  *self,
                   XmppElement *resumed)
{
  g_autoptr(XmppClient) hold = g_object_ref (self);
  guint32 h;
  guint n;

  g_clear_handle_id (&self->step_timeout_id, g_source_remove);
  if (g_strcmp0 (xmpp_element_get_attribute (resumed, "previd"), self->sm_id) != 0 ||
      !parse_h (resumed, &h))
    {
      sm_end_session_and_report (self);
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "The server resumed another session"));
      return;
    }

  self->resume_wanted = FALSE;
  self->sm_resumable = FALSE;
  self->sm_lost_time = 0;
  self->sm_enabled = TRUE;
  self->session_resumed = TRUE;
  g_clear_pointer (&self->bound_jid, xmpp_jid_unref);
  self->bound_jid = xmpp_jid_ref (self->sm_jid);

  /* The callbacks may have closed the connection. */
  if (!sm_process_ack (self, h) || self->step != STEP_RESUME)
    return;

  /* XEP-0198 §5: everything still unacknowledged goes again, in order. */
  self->step = STEP_NONE;
  n = xmpp_sm_get_n_unacked (self->sm);
  g_debug ("Resumed %s: sending %u stanzas again", self->sm_id, n);
  for (guint i = 0; i < n; i++)
    {
      Tracked *tracked = xmpp_sm_peek_unacked (self->sm, i);

      if (g_signal_has_handler_pending (self, signals[SIGNAL_STANZA_SENT], 0, FALSE))
        g_signal_emit (self, signals[SIGNAL_STANZA_SENT], 0, tracked_stanza (tracked));
      tracked_write (self, tracked);
    }
  self->sm_unrequested = 0;
  self->sm_requested = xmpp_sm_get_acked (self->sm);
  if (n > 0)
    sm_send_request (self);

  g_signal_emit (self, signals[SIGNAL_RESUMED], 0);
  if (self->state == XMPP_CLIENT_STATE_BINDING)
    auth_succeeded (self);
}

static void
handle_sm_failed (XmppClient  *self,
                  XmppElement *failed)
{
  g_autoptr(GPtrArray) unacked = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);
  guint32 h;

  g_clear_handle_id (&self->step_timeout_id, g_source_remove);

  if (self->step == STEP_ENABLE)
    {
      /* No stream management: what was tracked meanwhile waits for a
       * ping instead. */
      g_debug ("The server refused to enable stream management");
      sm_end_session (self, unacked);
      for (guint i = 0; i < unacked->len; i++)
        {
          Tracked *tracked = unacked->pdata[i];

          if (tracked->func != NULL)
            g_ptr_array_add (self->barrier_waiting, g_steal_pointer (&unacked->pdata[i]));
        }
      barrier_schedule (self);
      auth_succeeded (self);
      return;
    }

  if (self->step == STEP_RESUME)
    {
      g_debug ("The server could not resume %s: binding a new session", self->sm_id);
      self->resume_wanted = FALSE;
      /* XEP-0198 §5: a <failed/> may say how many of ours arrived. */
      if (parse_h (failed, &h) && !sm_process_ack (self, h))
        return;
      sm_end_session (self, unacked);
      report_tracked (self, unacked, FALSE, TRUE);
      if (self->step == STEP_RESUME)
        start_bind (self);
      return;
    }

  g_debug ("Ignoring an unexpected XEP-0198 <failed/>");
}

static void
handle_sm_element (XmppClient  *self,
                   XmppElement *element)
{
  const char *name = xmpp_element_get_name (element);
  guint32 h;

  if (strcmp (name, "enabled") == 0 && self->step == STEP_ENABLE)
    {
      handle_sm_enabled (self, element);
    }
  else if (strcmp (name, "resumed") == 0 && self->step == STEP_RESUME)
    {
      handle_sm_resumed (self, element);
    }
  else if (strcmp (name, "failed") == 0)
    {
      handle_sm_failed (self, element);
    }
  else if (strcmp (name, "r") == 0 && self->sm_enabled)
    {
      /* Answered at once, whatever is still deferred (§4). */
      sm_write_ack (self);
    }
  else if (strcmp (name, "a") == 0 && self->sm_enabled)
    {
      guint32 pending;

      if (!parse_h (element, &h))
        {
          g_debug ("Ignoring an <a/> without a valid h");
          return;
        }
      g_clear_handle_id (&self->sm_ack_timeout_id, g_source_remove);
      /* The callbacks may have closed the connection. */
      if (!sm_process_ack (self, h) || !self->sm_enabled)
        return;

      /* Some of what we asked about is still out: ask again later. */
      pending = self->sm_requested - xmpp_sm_get_acked (self->sm);
      if (pending > 0 && pending <= xmpp_sm_get_n_unacked (self->sm) && self->sm_request_id == 0)
        self->sm_request_id = g_timeout_add_seconds (ACK_RETRY_S, sm_request_again_cb, self);
    }
  else if (strcmp (name, "enabled") == 0 || strcmp (name, "resumed") == 0)
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "Unexpected <%s/> from the server", name));
    }
  else
    {
      g_signal_emit (self, signals[SIGNAL_NONZA_RECEIVED], 0, element);
    }
}

/* Negotiation: bind and session */

static void
auth_succeeded (XmppClient *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->auth_task);

  clear_cancel_source (&self->auth_cancel_source);
  self->step = STEP_NONE;
  set_state (self, XMPP_CLIENT_STATE_CONNECTED);
  keepalive_schedule (self);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
session_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppClient *self = XMPP_CLIENT (source);
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;

  reply = xmpp_client_send_iq_finish (self, result, &error);
  if (task != self->auth_task)
    {
      g_clear_error (&error);
      return;
    }
  if (reply == NULL)
    {
      negotiation_failed (self, error);
      return;
    }

  bound (self);
}

static void
bind_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppClient *self = XMPP_CLIENT (source);
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(XmppJid) jid = NULL;
  XmppElement *bind;
  XmppElement *session;
  g_autofree char *jid_text = NULL;
  GError *error = NULL;

  reply = xmpp_client_send_iq_finish (self, result, &error);
  if (task != self->auth_task)
    {
      g_clear_error (&error);
      return;
    }
  if (reply == NULL)
    {
      negotiation_failed (self, error);
      return;
    }

  bind = xmpp_element_find_child (reply, XMPP_NS_BIND, "bind");
  if (bind != NULL)
    jid_text = g_strdup (xmpp_element_find_child_text (bind, XMPP_NS_BIND, "jid"));
  jid = jid_text != NULL ? xmpp_jid_new (g_strstrip (jid_text), NULL) : NULL;
  if (jid == NULL || xmpp_jid_is_bare (jid))
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "The server bound an invalid address (%s)",
                                             jid_text != NULL ? jid_text : "none"));
      return;
    }

  /* Our address is whatever the server says (6120 §4.3.6). */
  g_clear_pointer (&self->bound_jid, xmpp_jid_unref);
  self->bound_jid = g_steal_pointer (&jid);

  /* Legacy session (RFC 3921 §3) only when not marked optional. */
  session = xmpp_element_find_child (self->features, XMPP_NS_SESSION, "session");
  if (session != NULL && xmpp_element_find_child (session, XMPP_NS_SESSION, "optional") == NULL)
    {
      g_autoptr(XmppElement) iq = xmpp_stanza_new_iq ("set", NULL, NULL);

      xmpp_element_add_child_new (iq, XMPP_NS_SESSION, "session");
      xmpp_client_send_iq_async (self, iq, NULL, session_cb, g_object_ref (task));
      return;
    }

  bound (self);
}

static void
start_bind (XmppClient *self)
{
  g_autoptr(XmppElement) iq = NULL;
  XmppElement *bind;
  const char *resource;

  if (xmpp_element_find_child (self->features, XMPP_NS_BIND, "bind") == NULL)
    {
      negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                             "The server %s offers no resource binding",
                                             xmpp_jid_get_domain (self->jid)));
      return;
    }

  set_state (self, XMPP_CLIENT_STATE_BINDING);
  self->step = STEP_BIND;

  resource = self->resource != NULL ? self->resource : xmpp_jid_get_resource (self->jid);
  iq = xmpp_stanza_new_iq ("set", NULL, NULL);
  bind = xmpp_element_add_child_new (iq, XMPP_NS_BIND, "bind");
  if (resource != NULL)
    xmpp_element_add_child_with_text (bind, XMPP_NS_BIND, "resource", resource);

  xmpp_client_send_iq_async (self, iq, NULL, bind_cb, g_object_ref (self->auth_task));
}

/* Negotiation: features */

static void
open_succeeded (XmppClient *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->open_task);

  clear_cancel_source (&self->open_cancel_source);
  self->step = STEP_NONE;
  set_state (self, XMPP_CLIENT_STATE_OPEN);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
handle_features (XmppClient  *self,
                 XmppElement *features)
{
  g_clear_pointer (&self->features, xmpp_element_unref);
  self->features = xmpp_element_ref (features);

  if (self->step != STEP_FEATURES)
    return;

  if (!self->secure)
    {
      if (xmpp_element_find_child (features, XMPP_NS_TLS, "starttls") != NULL)
        {
          g_autoptr(XmppElement) starttls = xmpp_element_new (XMPP_NS_TLS, "starttls");

          set_state (self, XMPP_CLIENT_STATE_SECURING);
          self->step = STEP_PROCEED;
          xmpp_stream_write_element (self->stream, starttls);
          return;
        }
      if (self->require_tls)
        {
          negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_TLS_REQUIRED,
                                                 "The server %s does not offer encryption "
                                                 "(STARTTLS); not connecting without it",
                                                 xmpp_jid_get_domain (self->jid)));
          return;
        }
    }

  if (!self->authenticated)
    {
      open_succeeded (self);
    }
  else if (self->resume_wanted && xmpp_element_find_child (features, XMPP_NS_SM, "sm") != NULL)
    {
      start_resume (self);
    }
  else
    {
      if (self->resume_wanted)
        {
          /* The server no longer offers it: a new session. */
          self->resume_wanted = FALSE;
          sm_end_session_and_report (self);
        }
      start_bind (self);
    }
}

/* Stanzas */

static void
dispatch_stanza (XmppClient  *self,
                 XmppElement *stanza)
{
  const char *type = xmpp_element_get_attribute (stanza, "type");
  gboolean is_iq = xmpp_element_is (stanza, XMPP_NS_CLIENT, "iq");

  g_signal_emit (self, signals[SIGNAL_STANZA_RECEIVED], 0, stanza);

  /* While our closing tag is out, the server may still answer requests
   * and send stanzas; we can no longer reply. */
  if (!can_send_stanzas (self) && self->state != XMPP_CLIENT_STATE_CLOSING)
    return;

  if (is_iq && (g_strcmp0 (type, "result") == 0 || g_strcmp0 (type, "error") == 0))
    {
      /* Never answered, whether we expected them or not. */
      if (!handle_iq_reply (self, stanza))
        run_handlers (self, stanza);
      return;
    }

  if (run_handlers (self, stanza) || !can_send_stanzas (self))
    return;

  if (is_iq)
    {
      g_autoptr(XmppElement) reply = NULL;

      if (g_strcmp0 (type, "get") == 0 || g_strcmp0 (type, "set") == 0)
        reply = xmpp_stanza_new_error_reply (stanza, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
      else
        reply = xmpp_stanza_new_error_reply (stanza, XMPP_STANZA_ERROR_BAD_REQUEST, NULL);
      xmpp_element_set_attribute (reply, "from", NULL);
      xmpp_client_send (self, reply);
    }
}

static void
handle_stanza (XmppClient  *self,
               XmppElement *stanza)
{
  g_autoptr(XmppClient) hold = g_object_ref (self);
  gboolean counted = self->sm != NULL && self->sm_enabled;
  gboolean was_dispatching = self->dispatching;

  /* XEP-0198: counted on arrival, handled when the handlers are done
   * unless one of them deferred it. */
  if (counted)
    xmpp_sm_received (self->sm);
  self->dispatching = counted;
  self->handling++;
  dispatch_stanza (self, stanza);
  self->handling--;
  self->dispatching = was_dispatching && self->sm_enabled;
  if (counted)
    sm_ack_schedule (self);
}

/* Stream events */

static void
handle_stream_error (XmppClient  *self,
                     XmppElement *element)
{
  g_autoptr(GError) error = NULL;
  XmppElement *child = NULL;
  const char *condition = NULL;
  const char *text;
  XmppStreamErrorCode code;

  while ((child = xmpp_element_next_child (element, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_STREAMS, NULL) &&
        g_strcmp0 (xmpp_element_get_name (child), "text") != 0)
      {
        condition = xmpp_element_get_name (child);
        break;
      }

  code = xmpp_stream_condition_from_string (condition != NULL ? condition : "");
  text = xmpp_element_find_child_text (element, XMPP_NS_STREAMS, "text");
  error = g_error_new_literal (XMPP_STREAM_ERROR, code,
                               text != NULL && *text != '\0'
                                 ? text : xmpp_stream_condition_to_string (code));

  client_disconnect (self, error, -1, TRUE);
}

static void
stream_element_cb (XmppStream  *stream,
                   XmppElement *element,
                   XmppClient  *self)
{
  g_autoptr(XmppClient) hold = g_object_ref (self);
  const char *ns = xmpp_element_get_namespace (element);

  if (xmpp_element_is (element, XMPP_NS_STREAM, "error"))
    handle_stream_error (self, element);
  else if (xmpp_element_is (element, XMPP_NS_STREAM, "features"))
    handle_features (self, element);
  else if (g_strcmp0 (ns, XMPP_NS_TLS) == 0)
    handle_tls_element (self, element);
  else if (g_strcmp0 (ns, XMPP_NS_SASL) == 0)
    handle_sasl_element (self, element);
  else if (g_strcmp0 (ns, XMPP_NS_SM) == 0)
    handle_sm_element (self, element);
  else if (xmpp_element_is (element, XMPP_NS_CLIENT, "iq") ||
           xmpp_element_is (element, XMPP_NS_CLIENT, "message") ||
           xmpp_element_is (element, XMPP_NS_CLIENT, "presence"))
    handle_stanza (self, element);
  else
    g_signal_emit (self, signals[SIGNAL_NONZA_RECEIVED], 0, element);
}

static void
stream_opened_cb (XmppStream  *stream,
                  XmppElement *header,
                  XmppClient  *self)
{
  /* Nothing from the header drives the client: the features follow. */
  const char *id = xmpp_element_get_attribute (header, "id");
  const char *from = xmpp_element_get_attribute (header, "from");

  g_debug ("Stream %s opened by %s", id != NULL ? id : "(no id)",
           from != NULL ? from : "(unnamed server)");
}

static void
finish_close (XmppClient *self)
{
  client_disconnect (self, NULL, -1, FALSE);
}

static void
stream_peer_closed_cb (XmppStream *stream,
                       XmppClient *self)
{
  g_autoptr(GError) error = NULL;

  if (self->state == XMPP_CLIENT_STATE_CLOSING)
    {
      finish_close (self);
      return;
    }

  error = g_error_new_literal (XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED,
                               "The server closed the stream");
  client_disconnect (self, error, -1, TRUE);
}

static void
stream_failed_cb (XmppStream   *stream,
                  const GError *error,
                  XmppClient   *self)
{
  g_autoptr(GError) closed = NULL;

  if (self->state == XMPP_CLIENT_STATE_CLOSING)
    {
      finish_close (self);
      return;
    }

  /* The server sent XML we refuse: tell it why before going.  Reported
   * as a protocol error: XMPP_STREAM_ERROR is for errors the server sent. */
  if (error->domain == XMPP_STREAM_ERROR)
    {
      closed = g_error_new (XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                            "The server sent invalid XML (%s): %s",
                            xmpp_stream_condition_to_string (error->code), error->message);
      client_disconnect (self, closed, error->code, TRUE);
      return;
    }

  if (g_error_matches (error, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED))
    closed = g_error_copy (error);
  else
    closed = g_error_new (XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED,
                          "The connection was lost: %s", error->message);
  /* Not closed by the server: a stream management session waits. */
  self->stream_lost = TRUE;
  client_disconnect (self, closed, -1, FALSE);
}

static void
start_stream (XmppClient *self,
              GIOStream  *io_stream)
{
  self->stream = xmpp_stream_new (io_stream, XMPP_NS_CLIENT);
  g_signal_connect_object (self->stream, "stream-opened",
                           G_CALLBACK (stream_opened_cb), self, 0);
  g_signal_connect_object (self->stream, "element-received",
                           G_CALLBACK (stream_element_cb), self, 0);
  g_signal_connect_object (self->stream, "stream-closed",
                           G_CALLBACK (stream_peer_closed_cb), self, 0);
  g_signal_connect_object (self->stream, "failed",
                           G_CALLBACK (stream_failed_cb), self, 0);

  write_stream_header (self);
  if (!self->given_stream)
    self->step = STEP_FEATURES;
  xmpp_stream_start_reading (self->stream);
}

/* Connecting */

static void
target_free (Target *target)
{
  g_free (target->host);
  g_free (target);
}

static void
open_data_free (OpenData *data)
{
  g_clear_pointer (&data->targets, g_ptr_array_unref);
  g_clear_error (&data->last_error);
  g_list_free_full (data->srv_direct, (GDestroyNotify) g_srv_target_free);
  g_list_free_full (data->srv_starttls, (GDestroyNotify) g_srv_target_free);
  g_free (data);
}

static void
add_target (OpenData   *data,
            const char *host,
            guint16     port,
            guint16     priority,
            gboolean    direct_tls)
{
  Target *target = g_new0 (Target, 1);

  target->host = g_strdup (host);
  target->port = port;
  target->priority = priority;
  target->direct_tls = direct_tls;
  g_ptr_array_add (data->targets, target);
}

static gint
compare_targets (gconstpointer a,
                 gconstpointer b)
{
  const Target *ta = *(const Target * const *) a;
  const Target *tb = *(const Target * const *) b;

  return (gint) ta->priority - (gint) tb->priority;
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  Target *target;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (task != self->open_task)
    return;

  target = g_ptr_array_index (data->targets, data->next_target - 1);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          negotiation_failed (self, g_steal_pointer (&error));
          return;
        }
      g_debug ("Connecting to %s:%u failed: %s", target->host, target->port, error->message);
      g_clear_error (&data->last_error);
      data->last_error = g_steal_pointer (&error);
      try_next_target (self);
      return;
    }

  /* The connect timeout must not apply to the idle stream. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);
  g_socket_set_keepalive (g_socket_connection_get_socket (connection), TRUE);

  if (target->direct_tls)
    start_tls (self, G_IO_STREAM (connection), TRUE);
  else
    start_stream (self, G_IO_STREAM (connection));
}

static void
try_next_target (XmppClient *self)
{
  OpenData *data = g_task_get_task_data (self->open_task);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  Target *target;

  if (data->next_target >= data->targets->len)
    {
      const char *domain = xmpp_jid_get_domain (self->jid);

      if (data->last_error != NULL &&
          g_error_matches (data->last_error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
        negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_HOST_NOT_FOUND,
                                               "The server %s was not found: %s", domain,
                                               data->last_error->message));
      else if (data->last_error != NULL)
        negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_CONNECTION_FAILED,
                                               "The server %s cannot be reached (%s)", domain,
                                               data->last_error->message));
      else
        negotiation_failed (self, g_error_new (XMPP_ERROR, XMPP_ERROR_HOST_NOT_FOUND,
                                               "The domain %s offers no XMPP service", domain));
      return;
    }

  target = g_ptr_array_index (data->targets, data->next_target++);
  g_debug ("Connecting to %s:%u%s", target->host, target->port,
           target->direct_tls ? " (direct TLS)" : "");

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, CONNECT_TIMEOUT);
  address = g_network_address_new (target->host, target->port);
  g_socket_client_connect_async (client, address, self->op_cancellable,
                                 connect_cb, g_object_ref (self->open_task));
}

static void
srv_targets_done (XmppClient *self)
{
  OpenData *data = g_task_get_task_data (self->open_task);

  for (GList *l = data->srv_direct; l != NULL; l = l->next)
    add_target (data, g_srv_target_get_hostname (l->data), g_srv_target_get_port (l->data),
                g_srv_target_get_priority (l->data), TRUE);
  for (GList *l = data->srv_starttls; l != NULL; l = l->next)
    add_target (data, g_srv_target_get_hostname (l->data), g_srv_target_get_port (l->data),
                g_srv_target_get_priority (l->data), FALSE);

  /* One set ordered by priority (XEP-0368 §3); the sort is stable, so the
   * weighted order of each set is kept. */
  g_ptr_array_sort (data->targets, compare_targets);

  /* A/AAAA fallback only when SRV gave no answer (6120 §3.2.1). */
  if (data->targets->len == 0 && !data->srv_answered)
    add_target (data, xmpp_jid_get_domain (self->jid), DEFAULT_PORT, 0, FALSE);

  try_next_target (self);
}

static void
srv_lookup_done (GTask    *task,
                 GList    *targets,
                 GError   *error,
                 gboolean  direct)
{
  XmppClient *self = g_task_get_source_object (task);
  OpenData *data = g_task_get_task_data (task);

  data->pending_lookups--;

  if (error == NULL)
    {
      /* g_srv_target_list_sort() turned a lone "." into an empty list:
       * an answer that says "not offered". */
      GList *usable = NULL;

      data->srv_answered = TRUE;
      for (GList *l = targets; l != NULL; l = l->next)
        {
          const char *host = g_srv_target_get_hostname (l->data);

          if (host == NULL || *host == '\0' || strcmp (host, ".") == 0)
            g_srv_target_free (l->data);
          else
            usable = g_list_append (usable, l->data);
        }
      g_list_free (targets);

      if (direct)
        data->srv_direct = usable;
      else
        data->srv_starttls = usable;
    }
  else
    {
      g_debug ("SRV lookup failed: %s", error->message);
    }

  if (task == self->open_task && data->pending_lookups == 0)
    srv_targets_done (self);
}

static void
srv_direct_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *targets;

  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  srv_lookup_done (task, targets, error, TRUE);
}

static void
srv_starttls_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *targets;

  targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  srv_lookup_done (task, targets, error, FALSE);
}

/* Keep-alive */

static void
keepalive_ping_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  XmppClient *self = XMPP_CLIENT (source);
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = xmpp_client_send_iq_finish (self, result, &error);
  self->ping_in_flight = FALSE;

  if (g_error_matches (error, XMPP_ERROR, XMPP_ERROR_TIMEOUT) &&
      self->state == XMPP_CLIENT_STATE_CONNECTED)
    {
      g_autoptr(GError) timeout = NULL;

      timeout = g_error_new (XMPP_ERROR, XMPP_ERROR_TIMEOUT,
                             "The server did not answer a ping within %u seconds",
                             self->iq_timeout);
      /* Our closing tag most likely never arrives: resumable. */
      self->stream_lost = TRUE;
      client_disconnect (self, timeout, XMPP_STREAM_ERROR_CONNECTION_TIMEOUT, TRUE);
      return;
    }

  /* Any answer, even an error, shows the stream is alive. */
  keepalive_schedule (self);
}

static gboolean
keepalive_cb (gpointer user_data)
{
  XmppClient *self = user_data;
  g_autoptr(XmppElement) ping = NULL;
  XmppJid *jid;
  gint64 idle;

  self->keepalive_id = 0;
  if (self->state != XMPP_CLIENT_STATE_CONNECTED || self->stream == NULL)
    return G_SOURCE_REMOVE;

  idle = g_get_monotonic_time () - xmpp_stream_get_last_read_time (self->stream);
  if (idle < (gint64) self->ping_interval * G_USEC_PER_SEC)
    {
      keepalive_schedule (self);
      return G_SOURCE_REMOVE;
    }

  jid = self->bound_jid != NULL ? self->bound_jid : self->jid;
  ping = xmpp_stanza_new_iq ("get", xmpp_jid_get_domain (jid), NULL);
  xmpp_element_add_child_new (ping, XMPP_NS_PING, "ping");
  self->ping_in_flight = TRUE;
  xmpp_client_send_iq_async (self, ping, NULL, keepalive_ping_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
keepalive_schedule (XmppClient *self)
{
  gint64 due;
  gint64 now;
  guint delay_ms;

  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->ping_interval == 0 || self->ping_in_flight || self->stream == NULL ||
      self->state != XMPP_CLIENT_STATE_CONNECTED)
    return;

  due = xmpp_stream_get_last_read_time (self->stream) + (gint64) self->ping_interval * G_USEC_PER_SEC;
  now = g_get_monotonic_time ();
  delay_ms = due > now ? (guint) ((due - now) / 1000) + 1 : 0;
  self->keepalive_id = g_timeout_add (delay_ms, keepalive_cb, self);
}

/* GObject */

static void
xmpp_client_dispose (GObject *object)
{
  XmppClient *self = XMPP_CLIENT (object);

  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  clear_cancel_source (&self->open_cancel_source);
  clear_cancel_source (&self->auth_cancel_source);
  if (self->op_cancellable != NULL)
    g_cancellable_cancel (self->op_cancellable);
  g_clear_object (&self->op_cancellable);

  if (self->stream != NULL)
    {
      if (self->xml_writable && self->step != STEP_TLS_HANDSHAKE)
        xmpp_stream_write_raw (self->stream, "</stream:stream>", -1);
      g_signal_handlers_disconnect_by_data (self->stream, self);
      xmpp_stream_close_async (self->stream, NULL, stream_closed_cb, NULL);
      g_clear_object (&self->stream);
    }
  reset_session (self);

  /* Only the destroy notifies of tracked stanzas run now. */
  g_clear_pointer (&self->sm, xmpp_sm_free);
  g_clear_handle_id (&self->barrier_id, g_source_remove);
  g_clear_pointer (&self->barrier_waiting, g_ptr_array_unref);

  if (self->handlers != NULL)
    {
      for (guint i = 0; i < self->handlers->len; i++)
        handler_remove (g_ptr_array_index (self->handlers, i));
      g_clear_pointer (&self->handlers, g_ptr_array_unref);
    }

  G_OBJECT_CLASS (xmpp_client_parent_class)->dispose (object);
}

static void
xmpp_client_finalize (GObject *object)
{
  XmppClient *self = XMPP_CLIENT (object);

  g_clear_pointer (&self->pending_iqs, g_hash_table_unref);
  g_clear_pointer (&self->open_acks, g_hash_table_unref);
  g_clear_pointer (&self->close_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->jid, xmpp_jid_unref);
  g_clear_pointer (&self->bound_jid, xmpp_jid_unref);
  g_clear_pointer (&self->features, xmpp_element_unref);
  g_clear_pointer (&self->cert_info, xmpp_certificate_info_free);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
  g_free (self->host);
  g_free (self->pinned_fingerprint);
  g_free (self->resource);
  g_free (self->mechanism);
  g_free (self->id_prefix);
  g_free (self->sm_id);
  g_free (self->sm_location);
  g_clear_pointer (&self->sm_jid, xmpp_jid_unref);

  G_OBJECT_CLASS (xmpp_client_parent_class)->finalize (object);
}

static void
xmpp_client_class_init (XmppClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xmpp_client_dispose;
  object_class->finalize = xmpp_client_finalize;

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_STANZA_RECEIVED] =
    g_signal_new ("stanza-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_STANZA_SENT] =
    g_signal_new ("stanza-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_NONZA_RECEIVED] =
    g_signal_new ("nonza-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_STANZAS_ACKED] =
    g_signal_new ("stanzas-acked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_STANZAS_UNACKED] =
    g_signal_new ("stanzas-unacked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_RESUMED] =
    g_signal_new ("resumed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
xmpp_client_init (XmppClient *self)
{
  guint32 r = g_random_int ();

  self->state = XMPP_CLIENT_STATE_DISCONNECTED;
  self->require_tls = TRUE;
  self->iq_timeout = DEFAULT_IQ_TIMEOUT;
  self->ping_interval = DEFAULT_PING_INTERVAL;
  self->pending_iqs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) pending_iq_free);
  self->open_acks = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->handlers = g_ptr_array_new_with_free_func ((GDestroyNotify) handler_unref);
  self->close_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->id_prefix = g_strdup_printf ("m%08x", r);
  self->barrier_waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) tracked_free);

  xmpp_client_add_handler (self, "iq", "get", XMPP_NS_PING, "ping",
                           ping_handler_cb, NULL, NULL);
}

/* Public API */

XmppClient *
xmpp_client_new (XmppJid    *jid,
                 const char *password)
{
  XmppClient *self;

  g_return_val_if_fail (jid != NULL, NULL);

  self = g_object_new (XMPP_TYPE_CLIENT, NULL);
  self->jid = xmpp_jid_ref (jid);
  self->password = g_strdup (password);
  return self;
}

XmppClient *
xmpp_client_new_for_stream (GIOStream *stream,
                            XmppJid   *bound_jid)
{
  XmppClient *self;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (bound_jid != NULL, NULL);

  self = g_object_new (XMPP_TYPE_CLIENT, NULL);
  self->jid = xmpp_jid_ref (bound_jid);
  self->bound_jid = xmpp_jid_ref (bound_jid);
  self->given_stream = TRUE;
  self->authenticated = TRUE;
  self->secure = G_IS_TLS_CONNECTION (stream);
  if (self->secure)
    self->tls = g_object_ref (G_TLS_CONNECTION (stream));

  start_stream (self, stream);
  self->state = XMPP_CLIENT_STATE_CONNECTED;
  keepalive_schedule (self);
  return self;
}

void
xmpp_client_set_server (XmppClient *self,
                        const char *host,
                        guint16     port)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  g_free (self->host);
  self->host = host != NULL && *host != '\0' ? g_strdup (host) : NULL;
  self->port = port;
}

void
xmpp_client_set_direct_tls (XmppClient *self,
                            gboolean    direct_tls)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  self->direct_tls = !!direct_tls;
}

void
xmpp_client_set_pinned_fingerprint (XmppClient *self,
                                    const char *sha256)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  g_free (self->pinned_fingerprint);
  self->pinned_fingerprint = xmpp_fingerprint_normalize (sha256);
  if (sha256 != NULL && self->pinned_fingerprint == NULL)
    g_warning ("Ignoring malformed SHA-256 fingerprint “%s”", sha256);
}

void
xmpp_client_set_resource (XmppClient *self,
                          const char *resource)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  g_free (self->resource);
  self->resource = resource != NULL && *resource != '\0' ? g_strdup (resource) : NULL;
}

void
xmpp_client_set_password (XmppClient *self,
                          const char *password)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  self->password = g_strdup (password);
}

void
xmpp_client_set_require_tls (XmppClient *self,
                             gboolean    require_tls)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  self->require_tls = !!require_tls;
}

void
xmpp_client_set_iq_timeout (XmppClient *self,
                            guint       seconds)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  self->iq_timeout = seconds;
}

void
xmpp_client_set_ping_interval (XmppClient *self,
                               guint       seconds)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  self->ping_interval = seconds;
  keepalive_schedule (self);
}

void
xmpp_client_set_use_stream_management (XmppClient *self,
                                       gboolean    use)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  self->use_sm = !!use;
}

gboolean
xmpp_client_get_stream_management (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), FALSE);

  return self->sm_enabled;
}

gboolean
xmpp_client_can_resume (XmppClient *self)
{
  gint64 elapsed;

  g_return_val_if_fail (XMPP_IS_CLIENT (self), FALSE);

  if (self->state != XMPP_CLIENT_STATE_DISCONNECTED || self->sm == NULL ||
      !self->sm_resumable || self->sm_id == NULL)
    return FALSE;

  /* The server's max is how long it keeps the session (XEP-0198 §5). */
  elapsed = g_get_monotonic_time () - self->sm_lost_time;
  return self->sm_max == 0 || elapsed < (gint64) self->sm_max * G_USEC_PER_SEC;
}

static void update_reading_hold (XmppClient *self);

guint64
xmpp_client_defer_ack (XmppClient *self)
{
  static guint64 last_local_token;
  guint64 token;

  g_return_val_if_fail (XMPP_IS_CLIENT (self), 0);

  if (self->handling == 0)
    return 0;
  if (self->dispatching && self->sm != NULL && self->sm_enabled)
    token = xmpp_sm_defer (self->sm);
  else
    /* Without stream management only flow control needs it; its own
     * range, apart from the stream management ones. */
    token = LOCAL_ACK_TOKEN | ++last_local_token;
  g_hash_table_add (self->open_acks, g_memdup2 (&token, sizeof token));
  update_reading_hold (self);
  return token;
}

/* Flow control: with this many received stanzas still being handled (say,
 * messages on their way to disk), the client reads no more until half of
 * them are done, so that a flood waits at the server, not in memory. */
static void
update_reading_hold (XmppClient *self)
{
  guint open = g_hash_table_size (self->open_acks);
  gboolean hold = self->reading_held ? open > MAX_OPEN_ACKS / 2 : open >= MAX_OPEN_ACKS;

  if (hold == self->reading_held)
    return;
  self->reading_held = hold;
  if (self->stream != NULL)
    xmpp_stream_hold_reading (self->stream, hold);
}

void
xmpp_client_complete_ack (XmppClient *self,
                          guint64     token)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  if (token == 0)
    return;
  if (g_hash_table_remove (self->open_acks, &token))
    update_reading_hold (self);
  if (self->sm == NULL || !xmpp_sm_complete (self->sm, token))
    return;

  sm_ack_schedule (self);
}

void
_xmpp_client_set_sm_counts (XmppClient *self,
                            guint32     sent,
                            guint32     received)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (self->sm_enabled);
  g_return_if_fail (xmpp_sm_get_n_unacked (self->sm) == 0);
  g_return_if_fail (xmpp_sm_get_n_deferred (self->sm) == 0);

  xmpp_sm_free (self->sm);
  self->sm = xmpp_sm_new (sent, received, (GDestroyNotify) tracked_free);
  self->sm_requested = sent;
  self->sm_ack_sent = received;
}

XmppClientState
xmpp_client_get_state (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), XMPP_CLIENT_STATE_DISCONNECTED);

  return self->state;
}

XmppJid *
xmpp_client_get_jid (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return self->jid;
}

XmppJid *
xmpp_client_get_bound_jid (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return self->bound_jid;
}

XmppElement *
xmpp_client_get_features (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return self->features;
}

gboolean
xmpp_client_has_feature (XmppClient *self,
                         const char *ns,
                         const char *name)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (ns != NULL, FALSE);

  return self->features != NULL && xmpp_element_find_child (self->features, ns, name) != NULL;
}

const char *
xmpp_client_get_mechanism (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return self->mechanism;
}

gboolean
xmpp_client_is_secure (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), FALSE);

  return self->secure;
}

XmppCertificateInfo *
xmpp_client_get_certificate_info (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return self->cert_info;
}

gboolean
xmpp_client_get_sasl_failure (XmppClient        *self,
                              XmppSaslErrorCode *condition)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), FALSE);

  if (self->has_sasl_failure && condition != NULL)
    *condition = self->sasl_failure;
  return self->has_sasl_failure;
}

GTlsConnection *
xmpp_client_get_tls_connection (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return self->tls;
}

void
xmpp_client_open_async (XmppClient          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  OpenData *data;

  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_client_open_async);

  if (self->state != XMPP_CLIENT_STATE_DISCONNECTED || self->given_stream)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                               "The client is already connected");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  data = g_new0 (OpenData, 1);
  data->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);

  /* A new connection: forget the previous one (and its stream
   * management session, unless resume_async() is resuming it). */
  if (!self->resume_wanted)
    sm_end_session_and_report (self);
  g_clear_pointer (&self->bound_jid, xmpp_jid_unref);
  g_clear_pointer (&self->features, xmpp_element_unref);
  g_clear_pointer (&self->cert_info, xmpp_certificate_info_free);
  g_clear_pointer (&self->mechanism, g_free);
  self->has_sasl_failure = FALSE;
  reset_session (self);

  self->open_task = g_steal_pointer (&task);
  self->op_cancellable = g_cancellable_new ();
  self->open_cancel_source = watch_cancellable (self, cancellable);
  self->step = STEP_CONNECTING;
  set_state (self, XMPP_CLIENT_STATE_CONNECTING);

  if (self->host != NULL)
    {
      guint16 port = self->port;

      if (port == 0)
        port = self->direct_tls ? DEFAULT_DIRECT_TLS_PORT : DEFAULT_PORT;
      add_target (data, self->host, port, 0, self->direct_tls);
      try_next_target (self);
    }
  else
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      const char *domain = xmpp_jid_get_domain (self->jid);

      data->pending_lookups = 2;
      g_resolver_lookup_service_async (resolver, "xmpps-client", "tcp", domain,
                                       self->op_cancellable, srv_direct_cb,
                                       g_object_ref (self->open_task));
      g_resolver_lookup_service_async (resolver, "xmpp-client", "tcp", domain,
                                       self->op_cancellable, srv_starttls_cb,
                                       g_object_ref (self->open_task));
    }
}

gboolean
xmpp_client_open_finish (XmppClient    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_client_open_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
xmpp_client_authenticate_async (XmppClient          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_client_authenticate_async);

  if (self->state != XMPP_CLIENT_STATE_OPEN || self->auth_task != NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED,
                               "The stream is not open for authentication");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  self->auth_task = g_steal_pointer (&task);
  self->auth_cancel_source = watch_cancellable (self, cancellable);
  self->has_sasl_failure = FALSE;
  set_state (self, XMPP_CLIENT_STATE_AUTHENTICATING);
  start_sasl (self);
}

gboolean
xmpp_client_authenticate_finish (XmppClient    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_client_authenticate_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
connect_auth_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!xmpp_client_authenticate_finish (XMPP_CLIENT (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
connect_open_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!xmpp_client_open_finish (XMPP_CLIENT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  xmpp_client_authenticate_async (XMPP_CLIENT (source), g_task_get_cancellable (task),
                                  connect_auth_cb, g_object_ref (task));
}

void
xmpp_client_connect_async (XmppClient          *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_client_connect_async);

  xmpp_client_open_async (self, cancellable, connect_open_cb, g_steal_pointer (&task));
}

gboolean
xmpp_client_connect_finish (XmppClient    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_client_connect_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
resume_auth_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppClient *self = XMPP_CLIENT (source);
  GError *error = NULL;

  if (!xmpp_client_authenticate_finish (self, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, GINT_TO_POINTER (self->session_resumed), NULL);
  g_task_return_boolean (task, TRUE);
}

static void
resume_open_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!xmpp_client_open_finish (XMPP_CLIENT (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  xmpp_client_authenticate_async (XMPP_CLIENT (source), g_task_get_cancellable (task),
                                  resume_auth_cb, g_object_ref (task));
}

void
xmpp_client_resume_async (XmppClient          *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_client_resume_async);

  if (self->state != XMPP_CLIENT_STATE_DISCONNECTED || self->given_stream)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                               "The client is already connected");
      return;
    }

  /* Without a session to resume this is a connect: open_async() ends
   * whatever is left of the old one. */
  self->resume_wanted = xmpp_client_can_resume (self);
  xmpp_client_open_async (self, cancellable, resume_open_cb, g_steal_pointer (&task));
}

gboolean
xmpp_client_resume_finish (XmppClient    *self,
                           GAsyncResult  *result,
                           gboolean      *resumed,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_client_resume_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (resumed != NULL)
    *resumed = GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
  return TRUE;
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  XmppClient *self = user_data;

  self->close_timeout_id = 0;
  finish_close (self);
  return G_SOURCE_REMOVE;
}

void
xmpp_client_close_async (XmppClient          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_client_close_async);

  if (self->state == XMPP_CLIENT_STATE_DISCONNECTED)
    {
      /* Nobody will resume a session kept for that. */
      sm_end_session_and_report (self);
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (self->close_tasks, g_steal_pointer (&task));
  if (self->state == XMPP_CLIENT_STATE_CLOSING)
    return;

  /* Closing in the middle of the negotiation abandons it. */
  if (self->open_task != NULL || self->auth_task != NULL || self->stream == NULL ||
      !self->xml_writable || self->step != STEP_NONE)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     "The connection was closed");
      client_disconnect (self, error, -1, TRUE);
      return;
    }

  /* 6120 §4.4: our closing tag, then wait (bounded) for the server's.
   * XEP-0198 §4: our count first, and a request so the server's last
   * acknowledgement comes before its closing tag. */
  g_clear_handle_id (&self->keepalive_id, g_source_remove);
  if (self->sm_enabled)
    {
      sm_clear_timers (self);
      sm_write_ack (self);
      write_sm (self, "<r xmlns='" XMPP_NS_SM "'/>");
    }
  set_state (self, XMPP_CLIENT_STATE_CLOSING);
  xmpp_stream_write_raw (self->stream, "</stream:stream>", -1);
  self->close_timeout_id = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
}

gboolean
xmpp_client_close_finish (XmppClient    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_client_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
send_stanza (XmppClient     *self,
             XmppElement    *stanza,
             XmppAckedFunc   func,
             gpointer        user_data,
             GDestroyNotify  destroy)
{
  if (!can_send_stanzas (self))
    {
      g_debug ("Not connected: dropping <%s/>", xmpp_element_get_name (stanza));
      if (func != NULL)
        {
          Unsent *unsent = g_new0 (Unsent, 1);

          unsent->client = g_object_ref (self);
          unsent->tracked = tracked_new (stanza, func, user_data, destroy);
          g_idle_add (report_unsent_cb, unsent);
        }
      else if (destroy != NULL)
        {
          destroy (user_data);
        }
      return;
    }

  g_signal_emit (self, signals[SIGNAL_STANZA_SENT], 0, stanza);

  /* Counted from the <enable/> on, even before the answer (XEP-0198 §4). */
  if (self->sm != NULL && (self->sm_enabled || self->step == STEP_ENABLE))
    {
      Tracked *tracked;

      g_autoptr(GString) out = NULL;

      if (func == NULL && destroy == NULL)
        {
          out = g_string_new (NULL);
          xmpp_element_serialize (stanza, out, XMPP_NS_CLIENT);
        }
      if (out != NULL && out->len <= TRACKED_BYTES_MAX)
        {
          g_autoptr(GBytes) bytes = g_string_free_to_bytes (g_steal_pointer (&out));

          tracked = tracked_new_bytes (bytes);
        }
      else
        {
          tracked = tracked_new (stanza, func, user_data, destroy);
        }
      tracked_write (self, tracked);
      xmpp_sm_push (self->sm, tracked);
      sm_request_schedule (self);
      return;
    }

  xmpp_stream_write_element (self->stream, stanza);
  if (func != NULL)
    {
      g_ptr_array_add (self->barrier_waiting, tracked_new (stanza, func, user_data, destroy));
      barrier_schedule (self);
    }
  else if (destroy != NULL)
    {
      destroy (user_data);
    }
}

void
xmpp_client_send (XmppClient  *self,
                  XmppElement *stanza)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (stanza != NULL);

  send_stanza (self, stanza, NULL, NULL, NULL);
}

void
xmpp_client_send_tracked (XmppClient     *self,
                          XmppElement    *stanza,
                          XmppAckedFunc   func,
                          gpointer        user_data,
                          GDestroyNotify  destroy)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (stanza != NULL);

  send_stanza (self, stanza, func, user_data, destroy);
}

void
xmpp_client_send_iq_async (XmppClient          *self,
                           XmppElement         *iq,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppJid) to_jid = NULL;
  g_autofree char *new_id = NULL;
  PendingIq *pending;
  const char *type;
  const char *to;
  const char *id;

  g_return_if_fail (XMPP_IS_CLIENT (self));
  g_return_if_fail (iq != NULL && xmpp_element_is (iq, NULL, "iq"));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_client_send_iq_async);

  type = xmpp_element_get_attribute (iq, "type");
  if (g_strcmp0 (type, "get") != 0 && g_strcmp0 (type, "set") != 0)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                               "Only iq get and set expect an answer");
      return;
    }
  if (!can_send_stanzas (self))
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED,
                               "Not connected");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  to = xmpp_element_get_attribute (iq, "to");
  if (to != NULL)
    {
      GError *error = NULL;

      to_jid = xmpp_jid_new (to, &error);
      if (to_jid == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }

  id = xmpp_element_get_attribute (iq, "id");
  if (id == NULL)
    {
      new_id = xmpp_client_next_id (self);
      xmpp_element_set_attribute (iq, "id", new_id);
      id = new_id;
    }
  if (g_hash_table_contains (self->pending_iqs, id))
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                               "An iq with id “%s” is already waiting for its answer", id);
      return;
    }

  pending = g_new0 (PendingIq, 1);
  pending->client = self;
  pending->id = g_strdup (id);
  pending->to = g_steal_pointer (&to_jid);
  pending->task = g_steal_pointer (&task);
  if (self->iq_timeout > 0)
    pending->timeout_id = g_timeout_add_seconds (self->iq_timeout, pending_iq_timeout_cb, pending);
  if (cancellable != NULL)
    {
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source, G_SOURCE_FUNC (pending_iq_cancelled_cb),
                             pending, NULL);
      g_source_attach (pending->cancel_source, g_task_get_context (pending->task));
    }
  g_hash_table_insert (self->pending_iqs, pending->id, pending);

  xmpp_client_send (self, iq);
}

XmppElement *
xmpp_client_send_iq_finish (XmppClient    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == xmpp_client_send_iq_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
xmpp_client_add_handler (XmppClient        *self,
                         const char        *stanza,
                         const char        *type,
                         const char        *child_ns,
                         const char        *child_name,
                         XmppStanzaHandler  handler,
                         gpointer           user_data,
                         GDestroyNotify     destroy)
{
  Handler *h;

  g_return_val_if_fail (XMPP_IS_CLIENT (self), 0);
  g_return_val_if_fail (handler != NULL, 0);

  h = g_rc_box_new0 (Handler);
  h->id = ++self->last_handler_id;
  h->stanza = g_strdup (stanza);
  h->type = g_strdup (type);
  h->child_ns = g_strdup (child_ns);
  h->child_name = g_strdup (child_name);
  h->func = handler;
  h->user_data = user_data;
  h->destroy = destroy;
  g_ptr_array_add (self->handlers, h);

  return h->id;
}

void
xmpp_client_remove_handler (XmppClient *self,
                            guint       handler_id)
{
  g_return_if_fail (XMPP_IS_CLIENT (self));

  for (guint i = 0; i < self->handlers->len; i++)
    {
      Handler *h = g_ptr_array_index (self->handlers, i);

      if (h->id == handler_id)
        {
          handler_remove (h);
          g_ptr_array_remove_index (self->handlers, i);
          return;
        }
    }

  g_warning ("No stanza handler with id %u", handler_id);
}

char *
xmpp_client_next_id (XmppClient *self)
{
  g_return_val_if_fail (XMPP_IS_CLIENT (self), NULL);

  return g_strdup_printf ("%s-%" G_GUINT64_FORMAT, self->id_prefix, ++self->id_counter);
}
