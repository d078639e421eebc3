/* messenger-presence-button.h: choose one's own presence and status */
#pragma once

#include <adwaita.h>

#include "messenger-account.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_PRESENCE_BUTTON (messenger_presence_button_get_type ())
G_DECLARE_FINAL_TYPE (MessengerPresenceButton, messenger_presence_button, MESSENGER, PRESENCE_BUTTON, GtkWidget)

GtkWidget        *messenger_presence_button_new         (void);
/* Property "account" (nullable). */
MessengerAccount *messenger_presence_button_get_account (MessengerPresenceButton *self);
void              messenger_presence_button_set_account (MessengerPresenceButton *self,
                                                         MessengerAccount        *account);

G_END_DECLS
