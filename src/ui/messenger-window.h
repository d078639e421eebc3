/* messenger-window.h */
#pragma once

#include <adwaita.h>

#include "messenger-application.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_WINDOW (messenger_window_get_type ())

G_DECLARE_FINAL_TYPE (MessengerWindow, messenger_window, MESSENGER, WINDOW, AdwApplicationWindow)

MessengerWindow  *messenger_window_new               (MessengerApplication  *application);
MessengerSession *messenger_window_get_session       (MessengerWindow       *self);
/* Show @conversation (NULL: none) in the content pane. */
void              messenger_window_open_conversation (MessengerWindow       *self,
                                                      MessengerConversation *conversation);
/* The conversation the person sees now (its pane is visible), or NULL. */
MessengerConversation *messenger_window_get_shown_conversation (MessengerWindow *self);
/* Switch to the account @account_jid and open its conversation with
 * @peer; FALSE when there is no such account. */
gboolean          messenger_window_show_conversation (MessengerWindow       *self,
                                                      const char            *account_jid,
                                                      const char            *peer);

G_END_DECLS
