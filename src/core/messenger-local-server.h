/* messenger-local-server.h: the bundled server, run for "Use a local server"
 *
 * Starts messenger-server as a child process (GSubprocess) with its data in
 * the user's data folder, on a free loopback port, reads its ready line
 * (port and certificate fingerprint) and creates accounts on it.  The
 * server stops with the application.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MESSENGER_TYPE_LOCAL_SERVER (messenger_local_server_get_type ())
G_DECLARE_FINAL_TYPE (MessengerLocalServer, messenger_local_server, MESSENGER, LOCAL_SERVER, GObject)

MessengerLocalServer *messenger_local_server_new            (const char            *data_dir);
/* The messenger-server program: $MESSENGER_SERVER_BINARY, or the one
 * installed next to the app. */
char                 *messenger_local_server_find_binary    (void);
void                  messenger_local_server_start_async    (MessengerLocalServer  *self,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);
gboolean              messenger_local_server_start_finish   (MessengerLocalServer  *self,
                                                             GAsyncResult          *result,
                                                             GError               **error);
gboolean              messenger_local_server_is_running     (MessengerLocalServer  *self);
const char           *messenger_local_server_get_domain     (MessengerLocalServer  *self);
guint16               messenger_local_server_get_port       (MessengerLocalServer  *self);
const char           *messenger_local_server_get_fingerprint (MessengerLocalServer *self);
/* Create an account (fails with G_IO_ERROR_EXISTS when it exists). */
void                  messenger_local_server_add_user_async  (MessengerLocalServer *self,
                                                             const char            *username,
                                                             const char            *password,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);
gboolean              messenger_local_server_add_user_finish (MessengerLocalServer *self,
                                                             GAsyncResult          *result,
                                                             GError               **error);
void                  messenger_local_server_set_password_async  (MessengerLocalServer *self,
                                                                  const char           *username,
                                                                  const char           *password,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
gboolean              messenger_local_server_set_password_finish (MessengerLocalServer  *self,
                                                                  GAsyncResult          *result,
                                                                  GError               **error);
void                  messenger_local_server_stop           (MessengerLocalServer  *self);

G_END_DECLS
