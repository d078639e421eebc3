/* messenger-account.h: one XMPP account and its connection
 *
 * MessengerAccount is what the UI binds to for an account: its address and
 * settings, its connection state (offline, connecting, online, error) with
 * the error in plain words, and, while online, the protocol objects
 * (roster, presence, messages) other models build on.  It reconnects by
 * itself after a lost connection, with a growing delay, but never after
 * an error a person must fix (wrong password, untrusted certificate).
 */
#pragma once

#include <gio/gio.h>

#include "xmpp-client.h"
#include "xmpp-disco.h"
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
void                      messenger_account_set_pinned_fingerprint (MessengerAccount *self,
                                                                const char       *sha256);
const char               *messenger_account_get_pinned_fingerprint (MessengerAccount *self);
void                      messenger_account_set_resource       (MessengerAccount *self,
                                                                const char       *resource);
/* The password, kept in memory only (the keyring is the caller's job). */
void                      messenger_account_set_password       (MessengerAccount *self,
                                                                const char       *password);
/* Delay before the first reconnect; doubled each failure up to 5 minutes. */
void                      messenger_account_set_reconnect_delay (MessengerAccount *self,
                                                                guint             milliseconds);

MessengerAccountState     messenger_account_get_state          (MessengerAccount *self);
MessengerAccountErrorKind messenger_account_get_error_kind     (MessengerAccount *self);
/* The last error in plain, translated words (NULL when none). */
const char               *messenger_account_get_error_message  (MessengerAccount *self);
/* After MESSENGER_ACCOUNT_ERROR_CERTIFICATE: the certificate found. */
XmppCertificateInfo      *messenger_account_get_certificate_info (MessengerAccount *self);

void                      messenger_account_connect            (MessengerAccount *self);
/* Trust the certificate reported by the last error (pin it) and connect. */
void                      messenger_account_trust_certificate  (MessengerAccount *self);
/* Go offline on purpose: no reconnect. */
void                      messenger_account_disconnect         (MessengerAccount *self);

/* Own presence while online (sent again after each reconnect). */
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

/* Signals (forwarded from whichever session is current):
 *  "roster-received" (GPtrArray *items or NULL, const char *version,
 *                     gboolean unchanged): the roster of a new session,
 *                     before the initial presence is sent
 *  "roster-push"     (XmppRosterItem *item, const char *version)
 *  "presence"        (XmppPresence *presence)
 *  "presence-changed" (XmppJid *bare)
 *  "subscription"    (XmppJid *from, XmppPresenceType type)
 *  "message"         (XmppMessage *message)
 */

G_END_DECLS
