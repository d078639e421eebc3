/* messenger-sign-in-page.h: a page of the welcome flow (see messenger-welcome.c) */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_SIGN_IN_PAGE (messenger_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (MessengerSignInPage, messenger_sign_in_page, MESSENGER, SIGN_IN_PAGE, AdwBin)

void messenger_sign_in_page_set_profile (MessengerSignInPage *self,
                                         MessengerProfile    *profile);
/* Cancel what is under way and clear the form. */
void messenger_sign_in_page_reset       (MessengerSignInPage *self);
/* Put the keyboard focus on the first field. */
void messenger_sign_in_page_focus       (MessengerSignInPage *self);

/* Signals:
 *  "account-added" (MessengerSession *session)
 */

G_END_DECLS
