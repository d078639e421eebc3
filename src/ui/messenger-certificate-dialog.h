/* messenger-certificate-dialog.h: show an untrusted server certificate and offer to trust it */
#pragma once

#include <adwaita.h>

#include "messenger-session.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_CERTIFICATE_DIALOG (messenger_certificate_dialog_get_type ())

G_DECLARE_FINAL_TYPE (MessengerCertificateDialog, messenger_certificate_dialog, MESSENGER, CERTIFICATE_DIALOG, AdwMessageDialog)

/* For a session whose account is in MESSENGER_ACCOUNT_ERROR with error kind
 * CERTIFICATE: show the certificate and offer "Trust This Certificate",
 * which pins it for this account only (messenger_session_trust_certificate)
 * and connects again. */
void messenger_certificate_dialog_present (GtkWindow        *parent,
                                           MessengerSession *session);

/* The same dialog for a server not yet in the profile (signing in, creating
 * an account): shows @info for @domain; finish returns TRUE when the person
 * chose to trust the certificate (the caller pins it), FALSE on Cancel. */
void     messenger_certificate_dialog_choose_async  (GtkWindow                 *parent,
                                                     const char                *domain,
                                                     const XmppCertificateInfo *info,
                                                     GCancellable              *cancellable,
                                                     GAsyncReadyCallback        callback,
                                                     gpointer                   user_data);
gboolean messenger_certificate_dialog_choose_finish (GAsyncResult              *result,
                                                     GError                   **error);

G_END_DECLS
