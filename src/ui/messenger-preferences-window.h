/* messenger-preferences-window.h */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_PREFERENCES_WINDOW (messenger_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (MessengerPreferencesWindow, messenger_preferences_window, MESSENGER, PREFERENCES_WINDOW, AdwPreferencesWindow)

MessengerPreferencesWindow *messenger_preferences_window_new         (GSettings                  *settings);
/* The accounts the Accounts page lists, removes and adds to. */
void                        messenger_preferences_window_set_profile (MessengerPreferencesWindow *self,
                                                                      MessengerProfile           *profile);

G_END_DECLS
