/* messenger-local-server-page.h: a page of the welcome flow (see messenger-welcome.c) */
#pragma once

#include <adwaita.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_LOCAL_SERVER_PAGE (messenger_local_server_page_get_type ())

G_DECLARE_FINAL_TYPE (MessengerLocalServerPage, messenger_local_server_page, MESSENGER, LOCAL_SERVER_PAGE, AdwBin)

void messenger_local_server_page_set_profile (MessengerLocalServerPage *self,
                                              MessengerProfile         *profile);
/* Cancel what is under way and clear the form. */
void messenger_local_server_page_reset       (MessengerLocalServerPage *self);
/* Put the keyboard focus on the first field. */
void messenger_local_server_page_focus       (MessengerLocalServerPage *self);

/* Signals:
 *  "account-added" (MessengerSession *session)
 */

G_END_DECLS
