/* srv-server-private.h: what the core's files share
 *
 * The core is split by concern:
 *   srv-server.c      the SrvServer: listeners, the tables of sessions,
 *                     handler and hook registries, the once-a-second
 *                     tick, login throttling, shutdown, the server's own
 *                     iq handlers (ping, disco, version, register, session)
 *   srv-connection.c  one client connection: sockets, TLS, parser, the
 *                     negotiation state machine (STARTTLS, SASL, in-band
 *                     registration, bind, XEP-0198), limits, closing
 *   srv-session.c     SrvSession: the bound resource as modules see it,
 *                     and its XEP-0198 state (which outlives a connection)
 *   srv-router.c      stanza routing (RFC 6120 §10, RFC 6121 §8.5), bounces
 *   srv-tls.c         the certificate (made on first start) and the GnuTLS
 *                     credentials every connection shares
 *   srv-config.c      settings: defaults, [server] of a key file, options
 *
 * Reference ownership: a connection holds a reference to its session; the
 * table of bound sessions and the table of resumable (XEP-0198) sessions
 * hold one each.  A session points back at its connection without a
 * reference (NULL while it waits for resumption and after it ended).
 */
#pragma once

#include "srv-config.h"
#include "srv-server.h"
#include "xmpp-parser.h"
#include "xmpp-sasl.h"

G_BEGIN_DECLS

#define SRV_NS_CLIENT    "jabber:client"
#define SRV_NS_TLS       "urn:ietf:params:xml:ns:xmpp-tls"
#define SRV_NS_SASL      "urn:ietf:params:xml:ns:xmpp-sasl"
#define SRV_NS_BIND      "urn:ietf:params:xml:ns:xmpp-bind"
#define SRV_NS_SESSION   "urn:ietf:params:xml:ns:xmpp-session"
#define SRV_NS_STREAMS   "urn:ietf:params:xml:ns:xmpp-streams"
#define SRV_NS_STANZAS   "urn:ietf:params:xml:ns:xmpp-stanzas"
#define SRV_NS_SM        "urn:xmpp:sm:3"
#define SRV_NS_PING      "urn:xmpp:ping"
#define SRV_NS_DELAY     "urn:xmpp:delay"
#define SRV_NS_REGISTER  "jabber:iq:register"
#define SRV_NS_REGISTER_FEATURE "http://jabber.org/features/iq-register"
#define SRV_NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define SRV_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define SRV_NS_VERSION   "jabber:iq:version"
#define SRV_NS_SASL_CB   "urn:xmpp:sasl-cb:0"
#define SRV_NS_ROSTERVER "urn:xmpp:features:rosterver"
#define SRV_NS_PREAPPROVAL "urn:xmpp:features:pre-approval"
#define SRV_NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define SRV_NS_HINTS     "urn:xmpp:hints"

typedef struct _SrvConnection SrvConnection;
typedef struct _SrvTlsContext SrvTlsContext;
typedef struct _SrvListener SrvListener;

/* An fd in the server's epoll set: @func runs with the ready events. */
typedef struct
{
  void     (*func) (gpointer data,
                    guint32  events);
  gpointer   data;
  gboolean   is_connection;   /* kept alive (ref) while events dispatch */
} SrvWatch;

/* One stanza sent while XEP-0198 is on and not acknowledged yet. */
typedef struct
{
  XmppElement *stanza;
  gint64       time;      /* real time (µs) it was sent, for delay stamps */
} SrvSmEntry;

struct _SrvSession
{
  gint            ref_count;
  SrvServer      *server;          /* borrowed */
  SrvConnection  *conn;            /* borrowed; NULL while detached */

  XmppJid        *bare;            /* the account (after SASL) */
  XmppJid        *jid;             /* the full JID (after bind) */
  char           *lang;            /* the client's stream xml:lang */

  /* The last available broadcast presence, without from/to, serialised
   * (a tree costs ~400 bytes, most of it an attribute block); NULL while
   * it is a plain <presence/> or the session is unavailable. */
  char           *presence_xml;
  gint            priority;
  GArray         *flags;           /* GQuark, allocated on first use */
  GPtrArray      *directed;        /* JID strings, allocated on first use */

  /* XEP-0198 */
  char           *sm_id;           /* set when resumable */
  GQueue          unacked;         /* SrvSmEntry* */
  guint32         h_in;            /* stanzas handled from the client */
  guint32         h_acked;         /* last h the client acknowledged */
  guint           sm_max;          /* resumption window granted (s) */
  gint64          detached_until;  /* monotonic µs; 0 while attached */
  gint64          ack_requested_at;

  guint           interested : 1;
  guint           available : 1;
  guint           bound : 1;
  guint           ended : 1;
  guint           sm_enabled : 1;
  guint           ack_pending : 1;
  guint           overflowed : 1;   /* too many unacked: ending soon */
  guint           shutdown_asked : 1; /* <r/> at shutdown, no <a/> yet */
};

struct _SrvServer
{
  SrvConfig        *config;        /* borrowed */
  char             *domain;
  SrvStorage       *storage;       /* borrowed */
  SrvTlsContext    *tls;           /* borrowed */

  int               epoll_fd;
  guint             epoll_id;
  GPtrArray        *listeners;     /* SrvListener* */
  GPtrArray        *listening;     /* "addr:port (kind)" for the ready line */

  GQueue            connections;   /* SrvConnection* (owned) */
  GHashTable       *users;         /* bare JID string → GPtrArray of SrvSession* */
  GHashTable       *sm_sessions;   /* SM-ID → SrvSession* */
  GQueue            detached;      /* SrvSession* waiting for resumption */
  GPtrArray        *empty;         /* returned for users without sessions */

  GHashTable       *iq_handlers;   /* namespace → GArray of SrvHandlerEntry */
  SrvPresenceHandler presence_outbound;
  SrvPresenceHandler presence_inbound;
  gpointer          presence_data;
  GArray           *session_ended_hooks;
  GArray           *message_hooks;
  GArray           *filters;
  GPtrArray        *features;

  GHashTable       *auth_throttle; /* address → SrvThrottle* */

  /* Group commit.  commit_gen names the open batch (it grows at every
   * commit attempt); batch_writers lists who wrote into it
   * (SrvBatchWriter*), so that a failed commit can take back what they
   * were told (srv-server.c, _srv_server_commit). */
  guint64           commit_gen;
  GPtrArray        *batch_writers;
  GPtrArray        *failed_writers;
  gboolean          failing_batch;
  SrvConnection    *handling;      /* whose element is being handled */
  SrvSession       *handling_session;

  guint             released_parsers; /* since the last malloc_trim() */
  guint             accepted;      /* connections since the last tick */
  gint64            last_login;    /* last accept or bind (monotonic µs) */
  gint64            last_trim;     /* last malloc_trim() (monotonic µs) */
  guint             quiet_id;      /* sweeps while logins come */
  GPtrArray        *fresh;         /* SrvConnection* bound in this burst */
  GPtrArray        *dirty;         /* connections with output to write */
  guint             flush_id;
  guint             tick_id;

  gboolean          shutting_down;
  GSourceFunc       shutdown_done;
  gpointer          shutdown_data;
  guint             shutdown_timeout_id;
  guint             shutdown_acks_id;
  guint             shutdown_acks_awaited;
};

typedef struct
{
  gpointer func;
  gpointer user_data;
} SrvHandlerEntry;

/* Lifecycle, for messenger-server.c */
SrvServer    *srv_server_new                   (SrvConfig       *config,
                                                SrvStorage      *storage,
                                                SrvTlsContext   *tls,
                                                GError         **error);
/* Bind the listeners; the ready line's "listening on …" part. */
gboolean      srv_server_start                 (SrvServer       *self,
                                                GError         **error);
char         *srv_server_describe_listeners    (SrvServer       *self);
const char   *srv_server_get_fingerprint       (SrvServer       *self);
/* Stop accepting, end every session (unavailable broadcast), close every
 * stream with <system-shutdown/>; @done runs once all connections are
 * closed (or after a grace period). */
void          srv_server_shutdown              (SrvServer       *self,
                                                GSourceFunc      done,
                                                gpointer         user_data);
void          srv_server_free                  (SrvServer       *self);

/* srv-server.c */
gint64        _srv_now                         (void);   /* monotonic µs */
/* Add (@add) or change the epoll registration of @fd. */
void          _srv_server_watch                (SrvServer     *self,
                                                int            fd,
                                                guint32        events,
                                                SrvWatch      *watch,
                                                gboolean       add);
void          _srv_server_unwatch              (SrvServer     *self,
                                                int            fd);
void          _srv_server_add_connection       (SrvServer     *self,
                                                SrvConnection *conn);
void          _srv_server_connection_gone      (SrvServer     *self,
                                                SrvConnection *conn);
void          _srv_server_schedule_flush       (SrvServer     *self,
                                                SrvConnection *conn);
/* Group commit: ends the storage's open transaction; both flushes call
 * it before writing anything.  When the commit fails, every connection
 * noted as a writer of the batch loses the output queued since the last
 * commit and is closed with <internal-server-error/>, its session ended
 * (not resumable), so that no client holds an acknowledgement (XEP-0198
 * <a/>, an iq result) for something that was not stored. */
void          _srv_server_commit               (SrvServer     *self);
/* Around the handling of one element from @conn (NULL afterwards): a
 * write meanwhile makes it a writer of the open batch. */
void          _srv_server_set_handling         (SrvServer     *self,
                                                SrvConnection *conn,
                                                SrvSession    *session);
void          _srv_server_flush                (SrvServer     *self);
void          _srv_server_bind_session         (SrvServer     *self,
                                                SrvSession    *session);
/* Ends a bound session: out of the tables, unacked messages re-routed,
 * session-ended hooks run. */
void          _srv_server_end_session          (SrvServer     *self,
                                                SrvSession    *session);
void          _srv_server_detach_session       (SrvServer     *self,
                                                SrvSession    *session);
/* While shutting down: @session answered the <r/> (or ended). */
void          _srv_server_shutdown_acked       (SrvServer     *self,
                                                SrvSession    *session);
void          _srv_server_register_sm          (SrvServer     *self,
                                                SrvSession    *session);
SrvSession   *_srv_server_lookup_sm            (SrvServer     *self,
                                                const char    *id);
gboolean      _srv_server_resource_in_use      (SrvServer     *self,
                                                const char    *user,
                                                const char    *resource);
/* Login throttling per remote address (token bucket). */
gboolean      _srv_server_auth_allowed         (SrvServer     *self,
                                                const char    *address);
void          _srv_server_auth_failed          (SrvServer     *self,
                                                const char    *address);
/* Run the iq handlers for an iq get/set to the server or an account;
 * FALSE when none took it. */
gboolean      _srv_server_dispatch_iq          (SrvServer     *self,
                                                SrvSession    *session,
                                                XmppElement   *iq);
gboolean      _srv_server_run_filters          (SrvServer     *self,
                                                XmppElement   *stanza);
void          _srv_server_run_message_hooks    (SrvServer     *self,
                                                const char    *user,
                                                gboolean       outgoing,
                                                XmppElement   *message);
gboolean      _srv_server_is_local_domain      (SrvServer     *self,
                                                const char    *domain);

/* srv-session.c */
SrvSession   *_srv_session_new                 (SrvServer     *server,
                                                XmppJid       *bare);
/* Write a stanza to the client (counted for XEP-0198). */
void          _srv_session_write               (SrvSession    *self,
                                                XmppElement   *stanza);
/* Process an <a h/> or the h of <resume/>: FALSE when h is more than was
 * sent. */
gboolean      _srv_session_ack                 (SrvSession    *self,
                                                guint32        h);
guint32       _srv_session_sent_count          (SrvSession    *self);
/* After <resumed/>: write every unacknowledged stanza again. */
void          _srv_session_resend_unacked      (SrvSession    *self);
/* Take the unacknowledged stanzas (the queue is emptied). */
GPtrArray    *_srv_session_take_unacked        (SrvSession    *self);   /* SrvSmEntry* */
void          _srv_sm_entry_free               (SrvSmEntry    *entry);

/* srv-connection.c */
/* Takes @fd (connected, non-blocking). */
SrvConnection *_srv_connection_new             (SrvServer          *server,
                                                int                 fd,
                                                const char         *address,
                                                gboolean            direct_tls);
SrvConnection *_srv_connection_ref             (SrvConnection      *conn);
void          _srv_connection_unref            (SrvConnection      *conn);
void          _srv_connection_write_element    (SrvConnection      *conn,
                                                XmppElement        *element);
void          _srv_connection_write_raw        (SrvConnection      *conn,
                                                const char         *data,
                                                gssize              len);
/* Write out what is buffered; FALSE when the connection broke. */
void          _srv_connection_flush            (SrvConnection      *conn);
/* Close with a stream error (or cleanly with condition < 0). */
void          _srv_connection_close            (SrvConnection      *conn,
                                                gint                condition,
                                                const char         *text);
/* The session leaves the connection (resumed elsewhere): the connection
 * closes with @condition and no longer ends the session. */
void          _srv_connection_release_session  (SrvConnection      *conn,
                                                gint                condition);
void          _srv_connection_tick             (SrvConnection      *conn,
                                                gint64              now);
/* Drop the parser of a bound connection silent for more than @idle µs
 * and between two stanzas (it comes back with the next byte); TRUE if it
 * did. */
gboolean      _srv_connection_release_parser   (SrvConnection      *conn,
                                                gint64              now,
                                                gint64              idle);
/* Whether the connection still holds a parser. */
gboolean      _srv_connection_has_parser       (SrvConnection      *conn);
/* Drop the connection at once (no stream error, no flush). */
void          _srv_connection_abort            (SrvConnection      *conn);
/* The batch of commit generation @gen failed: forget the output queued
 * since (it may acknowledge what was lost); TRUE when there was some. */
gboolean      _srv_connection_drop_uncommitted (SrvConnection      *conn,
                                                guint64             gen);
/* Then end the stream with <internal-server-error/>. */
void          _srv_connection_fail             (SrvConnection      *conn);
/* Whether the connection can still write (not destroyed). */
gboolean      _srv_connection_is_alive         (SrvConnection      *conn);

/* srv-router.c */
/* A stanza from a session, 'from' stamped and checked. */
void          _srv_router_from_session         (SrvServer     *self,
                                                SrvSession    *session,
                                                XmppElement   *stanza);
/* A session ended with stanzas the client never acknowledged: messages
 * addressed to the account go to the other resources or offline. */
void          _srv_router_reroute_unacked      (SrvServer     *self,
                                                SrvSession    *session,
                                                GPtrArray     *entries);
XmppElement  *_srv_make_error                  (XmppElement   *stanza,
                                                XmppStanzaErrorCode condition,
                                                const char    *text,
                                                const char    *from);
XmppElement  *_srv_make_iq_result              (XmppElement   *iq);
void          _srv_add_delay                   (XmppElement   *stanza,
                                                const char    *from,
                                                gint64         real_time);

G_END_DECLS
