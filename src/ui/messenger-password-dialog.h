/* messenger-password-dialog.h: ask the password of an account that needs one */
#pragma once

#include <adwaita.h>

#include "messenger-session.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_PASSWORD_DIALOG (messenger_password_dialog_get_type ())

G_DECLARE_FINAL_TYPE (MessengerPasswordDialog, messenger_password_dialog, MESSENGER, PASSWORD_DIALOG, AdwWindow)

/* For a session with needs-password: ask the password (and whether to keep
 * it in the keyring), then messenger_session_sign_in().  The dialog stays
 * open until the account is online; a wrong password is said inline. */
void messenger_password_dialog_present (GtkWindow        *parent,
                                        MessengerSession *session);

G_END_DECLS
