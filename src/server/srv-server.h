/* srv-server.h: the bundled server's core, as the feature modules see it
 *
 * SrvServer owns the listeners, the sessions, the storage and the router.
 * A SrvSession is one client connection (c2s).  Feature modules (roster,
 * presence, carbons, archive, …) register handlers here and use these
 * calls; they never touch sockets.
 *
 * Routing (srv_server_route) follows RFC 6120 §10 and RFC 6121 §8: every
 * stanza a session sends has its 'from' stamped by the session first (full
 * JID; bare for subscription presence); stanzas to the server's domain or
 * an account's bare JID with an iq are handled by the registered handlers
 * (service-unavailable when none); messages to a bare JID go to the
 * highest-priority available resource(s) or offline storage; full JIDs go
 * to that session (or are handled as for the bare JID, per §8.5.3);
 * nothing is relayed to other domains (remote-server-not-found).
 */
#pragma once

#include <gio/gio.h>

#include "srv-storage.h"
#include "xmpp-element.h"
#include "xmpp-error.h"
#include "xmpp-jid.h"

G_BEGIN_DECLS

typedef struct _SrvServer  SrvServer;
typedef struct _SrvSession SrvSession;

/* --- sessions ----------------------------------------------------- */

SrvSession  *srv_session_ref              (SrvSession  *self);
void         srv_session_unref            (SrvSession  *self);
/* The bound full JID (NULL before resource binding). */
XmppJid     *srv_session_get_jid          (SrvSession  *self);
/* The account's bare JID string, NULL before authentication. */
const char  *srv_session_get_user         (SrvSession  *self);
/* Queue a stanza to this client (serialised in jabber:client). */
void         srv_session_send             (SrvSession  *self,
                                           XmppElement *stanza);
/* RFC 6121: "interested" = fetched the roster; "available" = sent initial
 * presence (and not unavailable since). */
gboolean     srv_session_is_interested    (SrvSession  *self);
void         srv_session_set_interested   (SrvSession  *self,
                                           gboolean     interested);
gboolean     srv_session_is_available     (SrvSession  *self);
/* The last broadcast available presence (NULL when unavailable), a new
 * element without from and to (transfer full: it is kept serialised);
 * setting it makes the session available, NULL makes it unavailable. */
XmppElement *srv_session_get_presence     (SrvSession  *self);
void         srv_session_set_presence     (SrvSession  *self,
                                           XmppElement *presence);
gint         srv_session_get_priority     (SrvSession  *self);
/* Directed presence sent to JIDs outside the roster (RFC 6121 §4.6), so
 * they get unavailable when the session ends. */
void         srv_session_add_directed     (SrvSession  *self,
                                           const char  *jid);
void         srv_session_remove_directed  (SrvSession  *self,
                                           const char  *jid);
GStrv        srv_session_get_directed     (SrvSession  *self);
/* Per-session flags for extensions (carbons enabled, …). */
void         srv_session_set_flag         (SrvSession  *self,
                                           const char  *name,
                                           gboolean     value);
gboolean     srv_session_get_flag         (SrvSession  *self,
                                           const char  *name);

/* --- the server ---------------------------------------------------- */

const char  *srv_server_get_domain        (SrvServer   *self);
SrvStorage  *srv_server_get_storage       (SrvServer   *self);
/* The bound sessions of a local account (borrowed, may be empty). */
GPtrArray   *srv_server_get_sessions      (SrvServer   *self,
                                           const char  *user);
SrvSession  *srv_server_find_session      (SrvServer   *self,
                                           XmppJid     *full_jid);
/* Route a stanza whose 'from' is already set and trusted. */
void         srv_server_route             (SrvServer   *self,
                                           XmppElement *stanza);
/* Send a stanza to one session as if routed (hooks for carbons etc. do
 * not run). */
void         srv_server_deliver           (SrvServer   *self,
                                           SrvSession  *session,
                                           XmppElement *stanza);

/* An iq get/set for the server or an account (to = domain, bare JID or
 * absent) whose child is in @ns.  @session is the sender when local (it
 * may be NULL for stanzas from another local account).  Return TRUE when
 * handled (an answer was sent).
 *
 * Precisely: @session is the sending session when 'to' is absent, the
 * domain or the sender's own bare JID; it is NULL when 'to' is another
 * account's bare JID (the handler answers for that account, e.g. vCard).
 * The core stamps 'from', so handlers read the requester from there.
 * Several handlers may share a namespace: they are asked in the order
 * they were added until one returns TRUE; none → service-unavailable. */
typedef gboolean (*SrvIqHandler)       (SrvServer   *server,
                                        SrvSession  *session,
                                        XmppElement *iq,
                                        gpointer     user_data);
void         srv_server_add_iq_handler    (SrvServer   *self,
                                           const char  *ns,
                                           SrvIqHandler handler,
                                           gpointer     user_data);
/* Presence from a local session (from already stamped), to be processed by
 * the presence/subscription module instead of plain routing; and presence
 * routed to a local account (inbound subscription processing, A.3).
 *
 * The core calls @outbound for every presence a bound session sends, and
 * @inbound for every presence of type subscribe, subscribed, unsubscribe,
 * unsubscribed or probe that srv_server_route() sees addressed to a local
 * account (bare or full JID; the account exists).  Available, unavailable
 * and error presence to a local account is delivered by the core itself:
 * to a bare JID → every available resource; to a full JID → that session
 * if bound, else dropped.  Without handlers the core routes presence
 * plainly (broadcast to the account's own resources, offline messages on
 * the first available presence). */
typedef void     (*SrvPresenceHandler) (SrvServer   *server,
                                        SrvSession  *session,  /* NULL for inbound */
                                        XmppElement *presence,
                                        gpointer     user_data);
void         srv_server_set_presence_handlers (SrvServer         *self,
                                               SrvPresenceHandler outbound,
                                               SrvPresenceHandler inbound,
                                               gpointer           user_data);
/* Called when a session binds, becomes available for the first time, or
 * ends (connection lost or closed): the presence module broadcasts
 * unavailable and the offline module delivers stored messages. */
typedef void     (*SrvSessionHook)     (SrvServer   *server,
                                        SrvSession  *session,
                                        gpointer     user_data);
void         srv_server_add_session_ended_hook (SrvServer     *self,
                                                SrvSessionHook hook,
                                                gpointer       user_data);
/* Message hooks: called for every message routed to or from a local user
 * (carbons, archive).  @outgoing TRUE when @user sent it. */
typedef void     (*SrvMessageHook)     (SrvServer   *server,
                                        const char  *user,
                                        gboolean     outgoing,
                                        XmppElement *message,
                                        gpointer     user_data);
void         srv_server_add_message_hook  (SrvServer     *self,
                                           SrvMessageHook hook,
                                           gpointer       user_data);

/* Features the server domain lists in its disco#info (XEP-0030); the
 * core adds its own (disco, ping, msgoffline, sid, register, version). */
void         srv_server_add_feature       (SrvServer   *self,
                                           const char  *var);

/* Filters run first for every stanza srv_server_route() handles (after
 * 'from' is stamped, before hooks and delivery).  Return TRUE when the
 * filter dealt with the stanza (dropped or bounced it): routing stops
 * there.  For XEP-0191 blocking and similar policies. */
typedef gboolean (*SrvStanzaFilter)    (SrvServer   *server,
                                        XmppElement *stanza,
                                        gpointer     user_data);
void         srv_server_add_filter        (SrvServer      *self,
                                           SrvStanzaFilter filter,
                                           gpointer        user_data);

/* Bounce a stanza with an error to its sender (never for type='error'). */
void         srv_server_bounce            (SrvServer          *self,
                                           XmppElement        *stanza,
                                           XmppStanzaErrorCode condition,
                                           const char         *text);

G_END_DECLS
