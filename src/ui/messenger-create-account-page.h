/* messenger-create-account-page.h: a page of the welcome flow (see messenger-welcome.c) */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_CREATE_ACCOUNT_PAGE (messenger_create_account_page_get_type ())

G_DECLARE_FINAL_TYPE (MessengerCreateAccountPage, messenger_create_account_page, MESSENGER, CREATE_ACCOUNT_PAGE, AdwBin)

void messenger_create_account_page_set_profile (MessengerCreateAccountPage *self,
                                                MessengerProfile           *profile);
/* Cancel what is under way and clear the form. */
void messenger_create_account_page_reset       (MessengerCreateAccountPage *self);
/* Put the keyboard focus on the first field. */
void messenger_create_account_page_focus       (MessengerCreateAccountPage *self);

/* Signals:
 *  "account-added" (MessengerSession *session)
 */

G_END_DECLS
