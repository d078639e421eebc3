/* messenger-profile.h: a profile folder, its store and its accounts */
#pragma once

#include <gio/gio.h>

#include "messenger-local-server.h"
#include "messenger-session.h"
#include "messenger-store.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_PROFILE (messenger_profile_get_type ())

G_DECLARE_FINAL_TYPE (MessengerProfile, messenger_profile, MESSENGER, PROFILE, GObject)

/* Open (creating it, mode 0700) the profile in @dir — NULL for the user's
 * default (messenger_paths_profile_dir (NULL)) — and its store, and make a
 * session for each saved account (roster and conversations from the cache;
 * nothing connects yet). */
MessengerProfile     *messenger_profile_open               (const char        *dir,
                                                            GError           **error);
const char           *messenger_profile_get_dir            (MessengerProfile  *self);
MessengerStore       *messenger_profile_get_store          (MessengerProfile  *self);
/* GListModel of MessengerSession, in the order accounts were added. */
GListModel           *messenger_profile_get_sessions       (MessengerProfile  *self);
MessengerSession     *messenger_profile_lookup_session     (MessengerProfile  *self,
                                                            const char        *jid);

/* Connect every enabled account: look its password up in the keyring (or
 * set needs-password), start the bundled server first for local accounts. */
void                  messenger_profile_start              (MessengerProfile  *self);
/* Disconnect everything and stop the bundled server. */
void                  messenger_profile_shutdown           (MessengerProfile  *self);

/* Save @account's settings (JID, server, port, direct TLS, pin), keep
 * @password in the keyring when @remember (a keyring failure is not an
 * error: the session's secret-error says it), and add a session that
 * adopts @account as it is (an account that is already online stays so). */
void                  messenger_profile_add_account_async  (MessengerProfile    *self,
                                                            MessengerAccount    *account,
                                                            const char          *password,
                                                            gboolean             remember,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
MessengerSession     *messenger_profile_add_account_finish (MessengerProfile    *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* Sign out, forget the account, its cache and its password. */
void                  messenger_profile_remove_account_async  (MessengerProfile    *self,
                                                               MessengerSession    *session,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
gboolean              messenger_profile_remove_account_finish (MessengerProfile    *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);

/* The bundled server of this profile (data in DIR/local-server), made on
 * first use; started by messenger_profile_start() when a local account
 * exists, or by the caller ("Use a local server"). */
MessengerLocalServer *messenger_profile_get_local_server   (MessengerProfile  *self);
/* Start the bundled server if needed, create @username with @password on
 * it, and return an account set up to reach it (127.0.0.1, its port, its
 * certificate pinned), not yet added to the profile. */
void                  messenger_profile_create_local_account_async  (MessengerProfile    *self,
                                                                     const char          *username,
                                                                     const char          *password,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
MessengerAccount     *messenger_profile_create_local_account_finish (MessengerProfile    *self,
                                                                     GAsyncResult        *result,
                                                                     GError             **error);

G_END_DECLS
