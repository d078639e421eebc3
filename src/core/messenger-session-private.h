/* messenger-session-private.h: what MessengerProfile needs of a session */
#pragma once

#include "messenger-session.h"

G_BEGIN_DECLS

MessengerSession      *_messenger_session_new               (MessengerStore   *store,
                                                             gint64            account_id,
                                                             MessengerAccount *account,
                                                             gboolean          local,
                                                             const char       *cache_dir);
/* Connect: with the keyring's password when @lookup_password, else with
 * the one the account already has. */
void                   _messenger_session_start             (MessengerSession *self,
                                                             gboolean          lookup_password);
void                   _messenger_session_remember_password (MessengerSession *self,
                                                             const char       *password);
MessengerStoreAccount *_messenger_session_dup_settings      (MessengerSession *self);
void                   _messenger_session_shutdown          (MessengerSession *self);

G_END_DECLS
