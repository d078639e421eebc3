/* messenger-session.h: one account of a profile and everything views bind to */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"
#include "messenger-avatar-cache.h"
#include "messenger-conversation-list.h"
#include "messenger-roster.h"
#include "messenger-subscription-requests.h"
#include "messenger-store.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_SESSION (messenger_session_get_type ())

G_DECLARE_FINAL_TYPE (MessengerSession, messenger_session, MESSENGER, SESSION, GObject)

gint64                         messenger_session_get_account_id    (MessengerSession *self);
MessengerAccount              *messenger_session_get_account       (MessengerSession *self);
MessengerRoster               *messenger_session_get_roster        (MessengerSession *self);
MessengerConversationList     *messenger_session_get_conversations (MessengerSession *self);
MessengerSubscriptionRequests *messenger_session_get_requests      (MessengerSession *self);
/* Contacts' pictures (vCard), cached under the profile's cache folder. */
MessengerAvatarCache          *messenger_session_get_avatar_cache  (MessengerSession *self);
MessengerStore                *messenger_session_get_store         (MessengerSession *self);
/* TRUE for an account of the profile's bundled local server. */
gboolean                       messenger_session_get_local         (MessengerSession *self);

/* "needs-password": no password is known (none in the keyring, no keyring,
 * or the server refused it).  The UI asks and calls sign_in(). */
gboolean                       messenger_session_get_needs_password (MessengerSession *self);
/* Use @password now and connect; when @remember, keep it in the keyring
 * once the server has accepted it. */
void                           messenger_session_sign_in           (MessengerSession *self,
                                                                    const char       *password,
                                                                    gboolean          remember);
/* "secret-error": why the password could not be kept in the keyring, in
 * plain words, or NULL. */
const char                    *messenger_session_get_secret_error  (MessengerSession *self);

/* Pin the certificate the server presented (the account's
 * certificate-info), save the pin with the account, and connect again. */
void                           messenger_session_trust_certificate (MessengerSession *self);

G_END_DECLS
