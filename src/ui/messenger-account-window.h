/* messenger-account-window.h: "Add Account…" — a window hosting the welcome flow */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_ACCOUNT_WINDOW (messenger_account_window_get_type ())

G_DECLARE_FINAL_TYPE (MessengerAccountWindow, messenger_account_window, MESSENGER, ACCOUNT_WINDOW, AdwWindow)

/* A modal window over @parent; it closes itself once an account was added. */
MessengerAccountWindow *messenger_account_window_new (GtkWindow        *parent,
                                                      MessengerProfile *profile);

G_END_DECLS
