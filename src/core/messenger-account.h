/* messenger-account.h: one XMPP account and its connection
 *
 * MessengerAccount is what the UI binds to for an account: its address and
 * settings, its connection state (offline, connecting, online, error) with
 * the error in plain words, and, while online, the protocol objects
 * (roster, presence, messages) other models build on.  It reconnects by
 * itself after a lost connection, with a growing delay, but never after
 * an error a person must fix (wrong password, untrusted certificate), nor
 * at all while "auto-reconnect" is off.
 *
 * Sessions and resumption (XEP-0198): a *session* starts when the account
 * first becomes ONLINE after signing in, and ends with "session-ended".
 * Leaving ONLINE does not end it when the connection was lost and the
 * server keeps the session for us: the account shows CONNECTING and its
 * reconnect resumes it.  A resumed session comes back ONLINE with
 * "resumed" TRUE and is the same session: the roster is not fetched,
 * the initial presence not sent, carbons not enabled, nothing asked with
 * disco again; others' presence (the presence manager's, and so the
 * roster's) was kept through the gap; what the server never confirmed is
 * sent again by the client itself (tracked callbacks still follow), and
 * what others sent meanwhile arrives as ordinary stanzas.  So a model
 * reacting to ONLINE reads messenger_account_get_resumed() in its
 * "notify::state" handler (it holds its new value then) and, when TRUE,
 * does only what it could not do while offline (e.g. write what was
 * composed during the gap).  When the server refuses the resumption, or
 * its time ran out, or the account gives the session up, "session-ended"
 * comes first and the next ONLINE is a new session ("resumed" FALSE), set
 * up in full.
 */
#pragma once

#include <gio/gio.h>

#include "xmpp-client.h"
#include "xmpp-disco.h"
#include "xmpp-element.h"
#include "xmpp-message.h"
#include "xmpp-presence.h"
#include "xmpp-roster.h"

G_BEGIN_DECLS

typedef enum
{
  MESSENGER_ACCOUNT_OFFLINE,
  MESSENGER_ACCOUNT_CONNECTING,
  MESSENGER_ACCOUNT_ONLINE,
  MESSENGER_ACCOUNT_ERROR,
} MessengerAccountState;

/* What kind of error, so the UI can offer the right way out. */
typedef enum
{
  MESSENGER_ACCOUNT_ERROR_NONE,
  MESSENGER_ACCOUNT_ERROR_AUTHENTICATION,   /* ask for the password again */
  MESSENGER_ACCOUNT_ERROR_CERTIFICATE,      /* offer to trust the certificate */
  MESSENGER_ACCOUNT_ERROR_UNREACHABLE,      /* retried automatically */
  MESSENGER_ACCOUNT_ERROR_NO_ENCRYPTION,
  MESSENGER_ACCOUNT_ERROR_CONFLICT,         /* signed in elsewhere with this resource */
  MESSENGER_ACCOUNT_ERROR_OTHER,
} MessengerAccountErrorKind;

GType messenger_account_state_get_type      (void);
GType messenger_account_error_kind_get_type (void);
#define MESSENGER_TYPE_ACCOUNT_STATE      (messenger_account_state_get_type ())
#define MESSENGER_TYPE_ACCOUNT_ERROR_KIND (messenger_account_error_kind_get_type ())

#define MESSENGER_TYPE_ACCOUNT (messenger_account_get_type ())
G_DECLARE_FINAL_TYPE (MessengerAccount, messenger_account, MESSENGER, ACCOUNT, GObject)

MessengerAccount         *messenger_account_new                (const char       *jid);
const char               *messenger_account_get_jid            (MessengerAccount *self);
XmppJid                  *messenger_account_get_xmpp_jid       (MessengerAccount *self);

/* Connection settings (take effect at the next connect). */
void                      messenger_account_set_server         (MessengerAccount *self,
                                                                const char       *host,
                                                                guint16           port);
void                      messenger_account_set_direct_tls     (MessengerAccount *self,
                                                                gboolean          direct_tls);
/* The host set above (NULL: DNS SRV lookup), its port (0: the default) and
 * whether it speaks TLS from the first byte. */
const char               *messenger_account_get_server         (MessengerAccount *self);
guint16                   messenger_account_get_port           (MessengerAccount *self);
gboolean                  messenger_account_get_direct_tls     (MessengerAccount *self);
void                      messenger_account_set_pinned_fingerprint (MessengerAccount *self,
                                                                const char       *sha256);
const char               *messenger_account_get_pinned_fingerprint (MessengerAccount *self);
void                      messenger_account_set_resource       (MessengerAccount *self,
                                                                const char       *resource);
/* The password, kept in memory only (the keyring is the caller's job). */
void                      messenger_account_set_password       (MessengerAccount *self,
                                                                const char       *password);
/* Privacy settings (properties "send-chat-states" and "send-receipts",
 * both TRUE by default): whether to tell contacts that we are typing
 * (XEP-0085) and that their messages arrived (XEP-0184).  Receipts and
 * chat states of others are always read. */
void                      messenger_account_set_send_chat_states (MessengerAccount *self,
                                                                gboolean          send);
gboolean                  messenger_account_get_send_chat_states (MessengerAccount *self);
void                      messenger_account_set_send_receipts  (MessengerAccount *self,
                                                                gboolean          send);
gboolean                  messenger_account_get_send_receipts  (MessengerAccount *self);
/* Whether a failed or lost connection is tried again by itself (property
 * "auto-reconnect", TRUE by default).  Off, the account stays in ERROR
 * (or OFFLINE after an orderly close) until connect() is called again: a
 * first sign-in uses this to report a wrong server or an unreachable one
 * at once.  Turning it off while waiting to reconnect stops the wait. */
void                      messenger_account_set_auto_reconnect (MessengerAccount *self,
                                                                gboolean          auto_reconnect);
gboolean                  messenger_account_get_auto_reconnect (MessengerAccount *self);
/* Delay before the first reconnect; doubled each failure up to 5 minutes. */
void                      messenger_account_set_reconnect_delay (MessengerAccount *self,
                                                                guint             milliseconds);

MessengerAccountState     messenger_account_get_state          (MessengerAccount *self);
/* Property "resumed": TRUE while the current ONLINE continues a session
 * whose connection was lost (XEP-0198 resumption), FALSE after a new
 * sign-in.  Set before "state" notifies ONLINE, and kept until the next
 * ONLINE (so read it when the state becomes ONLINE). */
gboolean                  messenger_account_get_resumed        (MessengerAccount *self);
MessengerAccountErrorKind messenger_account_get_error_kind     (MessengerAccount *self);
/* The last error in plain, translated words (NULL when none). */
const char               *messenger_account_get_error_message  (MessengerAccount *self);
/* After MESSENGER_ACCOUNT_ERROR_CERTIFICATE: the certificate found. */
XmppCertificateInfo      *messenger_account_get_certificate_info (MessengerAccount *self);

/* Connect, or connect again now.  From ERROR (or a reconnect wait) the
 * account goes straight to CONNECTING, its error cleared in the same
 * change: one "state" notification, with "error-kind" and "error-message"
 * already NONE and NULL when it is emitted. */
void                      messenger_account_connect            (MessengerAccount *self);
/* Trust the certificate reported by the last error (pin it) and connect. */
void                      messenger_account_trust_certificate  (MessengerAccount *self);
/* Go offline on purpose: no reconnect. */
void                      messenger_account_disconnect         (MessengerAccount *self);

/* Own presence while online (sent again with each new session, and after
 * a resumption when it changed while the connection was down). */
void                      messenger_account_set_presence       (MessengerAccount *self,
                                                                XmppShow          show,
                                                                const char       *status);
XmppShow                  messenger_account_get_show           (MessengerAccount *self);
const char               *messenger_account_get_status         (MessengerAccount *self);

/* The roster version last seen (from the cache): the next session asks
 * the server only for what changed since. */
void                      messenger_account_set_roster_version (MessengerAccount *self,
                                                                const char       *version);

/* The protocol objects of the current session, NULL while not online
 * (each connection has its own; listen to the account's signals rather
 * than to these). */
XmppClient               *messenger_account_get_client         (MessengerAccount *self);
XmppRoster               *messenger_account_get_roster         (MessengerAccount *self);
XmppPresenceManager      *messenger_account_get_presence       (MessengerAccount *self);
/* Send a message now; FALSE when offline (the caller keeps it pending). */
gboolean                  messenger_account_send_message       (MessengerAccount *self,
                                                                XmppMessage      *message);
/* Send a message now and learn its fate: @func gets acked TRUE once the
 * server confirmed it (XEP-0198, or a ping answered after it on a server
 * without stream management), FALSE when the session ended first (it may
 * or may not have arrived).  FALSE when offline: then @func is never
 * called and @destroy frees @data at once. */
gboolean                  messenger_account_send_message_tracked (MessengerAccount *self,
                                                                XmppMessage      *message,
                                                                XmppAckedFunc     func,
                                                                gpointer          data,
                                                                GDestroyNotify    destroy);
/* Only from a "message", "notification" or "carbon" handler, synchronously:
 * the stanza being handled is not acknowledged to the server (XEP-0198)
 * until complete_ack() gets the returned token, e.g. after the store
 * committed it; the server delivers it again if we never do.  0 when there
 * is nothing to defer; completing 0, or a token of a session that has
 * ended, does nothing. */
guint64                   messenger_account_defer_ack          (MessengerAccount *self);
void                      messenger_account_complete_ack       (MessengerAccount *self,
                                                                guint64           token);
/* Send any stanza now (receipts); FALSE when offline. */
gboolean                  messenger_account_send_stanza        (MessengerAccount *self,
                                                                XmppElement      *stanza);
/* While online: whether our account has a message archive (XEP-0313 v2,
 * asked with disco#info on our bare JID before the session turned
 * ONLINE), and whether the server offers carbons (XEP-0280, enabled for
 * each session before the initial presence). */
gboolean                  messenger_account_has_archive        (MessengerAccount *self);
gboolean                  messenger_account_has_carbons        (MessengerAccount *self);

/* Signals (forwarded from whichever session is current):
 *  "roster-received" (GPtrArray *items or NULL, const char *version,
 *                     gboolean unchanged): the roster of a new session,
 *                     before the initial presence is sent
 *  "roster-push"     (XmppRosterItem *item, const char *version)
 *  "presence"        (XmppPresence *presence)
 *  "presence-changed" (XmppJid *bare)
 *  "subscription"    (XmppJid *from, XmppPresenceType type)
 *  "message"         (XmppMessage *message): a message with content (body,
 *                     subject or thread) or an error, addressed to us
 *  "notification"    (XmppMessage *message): a chat state or a receipt
 *                     without content, addressed to us
 *  "carbon"          (XmppMessage *message): a message one of our other
 *                     resources sent or received (XEP-0280); its via says
 *                     which, and only copies from our own account get here
 *  "session-ended"   (): the session that was ONLINE is over for good: an
 *                     orderly close, a lost connection that cannot be
 *                     resumed, a refused or expired resumption, disconnect()
 *                     or an error.  Nobody's presence is known any more, and
 *                     what the server never confirmed must be sent again in
 *                     the next session.  Emitted once per session, before
 *                     the state change that comes with it (if any); not
 *                     when the connection is lost with a session kept for
 *                     resumption (the account then leaves ONLINE only).
 */

G_END_DECLS
