/* messenger-welcome.h: the first screen — sign in, create an account or use a local server */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_WELCOME (messenger_welcome_get_type ())

G_DECLARE_FINAL_TYPE (MessengerWelcome, messenger_welcome, MESSENGER, WELCOME, AdwBin)

GtkWidget        *messenger_welcome_new         (void);
void              messenger_welcome_set_profile (MessengerWelcome *self,
                                                 MessengerProfile *profile);
MessengerProfile *messenger_welcome_get_profile (MessengerWelcome *self);
/* Back to the first page with every form cleared (e.g. after the window
 * showed the chats, or to offer "Add Account" again). */
void              messenger_welcome_reset       (MessengerWelcome *self);

/* Properties: "profile"; "add-account" (boolean): hosted in the "Add
 * Account" window — another title and no main menu.
 *
 * Signals:
 *  "account-added" (MessengerSession *session): an account was signed in
 *                  (or created) and added to the profile.
 */

G_END_DECLS
