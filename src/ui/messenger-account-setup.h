/* messenger-account-setup.h: bring a new account online and add it to the profile
 *
 * Shared by the pages of the welcome flow: connect @account with @password,
 * wait until it is online (or fails), then messenger_profile_add_account_async()
 * and return the new session.  A failure is a GError in
 * MESSENGER_ACCOUNT_SETUP_ERROR whose code is the account's
 * MessengerAccountErrorKind and whose message is the account's plain-words
 * error; after MESSENGER_ACCOUNT_ERROR_CERTIFICATE the account still holds
 * the certificate it found (messenger_account_get_certificate_info()).  A
 * server that cannot be reached is reported at once, not retried.
 */
#pragma once

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_ACCOUNT_SETUP_ERROR (messenger_account_setup_error_quark ())

GQuark            messenger_account_setup_error_quark (void);

void              messenger_account_setup_async  (MessengerProfile    *profile,
                                                  MessengerAccount    *account,
                                                  const char          *password,
                                                  gboolean             remember,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
MessengerSession *messenger_account_setup_finish (GAsyncResult        *result,
                                                  GError             **error);

G_END_DECLS
