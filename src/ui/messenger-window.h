/* messenger-window.h */
#pragma once

#include <adwaita.h>

#include "messenger-application.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_WINDOW (messenger_window_get_type ())

G_DECLARE_FINAL_TYPE (MessengerWindow, messenger_window, MESSENGER, WINDOW, AdwApplicationWindow)

MessengerWindow *messenger_window_new (MessengerApplication *application);

G_END_DECLS
