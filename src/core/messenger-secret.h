/* messenger-secret.h: account passwords in the Secret Service
 *
 * Passwords live in the user's keyring (libsecret: the Secret Service, or
 * the secret portal inside a Flatpak), never in SQLite, GSettings or a
 * file.  When no keyring is available the calls fail with
 * MESSENGER_SECRET_ERROR_UNAVAILABLE and the caller keeps the password in
 * memory for the session (asking again next time) rather than storing it
 * in the clear.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MESSENGER_SECRET_ERROR (messenger_secret_error_quark ())

typedef enum
{
  MESSENGER_SECRET_ERROR_UNAVAILABLE,   /* no Secret Service / portal */
  MESSENGER_SECRET_ERROR_FAILED,
} MessengerSecretError;

GQuark   messenger_secret_error_quark  (void);

void     messenger_secret_store_async  (const char          *jid,
                                        const char          *password,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean messenger_secret_store_finish (GAsyncResult        *result,
                                        GError             **error);
/* Returns NULL with no error when there is no password for @jid. */
void     messenger_secret_lookup_async  (const char          *jid,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
char    *messenger_secret_lookup_finish (GAsyncResult        *result,
                                         GError             **error);
void     messenger_secret_clear_async   (const char          *jid,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean messenger_secret_clear_finish  (GAsyncResult        *result,
                                         GError             **error);

G_END_DECLS
