/* messenger-application.h */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_APPLICATION (messenger_application_get_type ())

G_DECLARE_FINAL_TYPE (MessengerApplication, messenger_application, MESSENGER, APPLICATION, AdwApplication)

MessengerApplication *messenger_application_new          (const char           *application_id,
                                                          GApplicationFlags     flags);
GSettings            *messenger_application_get_settings (MessengerApplication *self);
/* NULL when the profile could not be opened: see get_profile_error(). */
MessengerProfile     *messenger_application_get_profile  (MessengerApplication *self);
const GError         *messenger_application_get_profile_error (MessengerApplication *self);

G_END_DECLS
