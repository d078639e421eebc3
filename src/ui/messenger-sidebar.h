/* messenger-sidebar.h: the sidebar pane (own presence, search, roster) */
#pragma once

#include <adwaita.h>

#include "messenger-conversation.h"
#include "messenger-session.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_SIDEBAR (messenger_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (MessengerSidebar, messenger_sidebar, MESSENGER, SIDEBAR, AdwBin)

GtkWidget        *messenger_sidebar_new              (void);
/* Property "session" (nullable). */
MessengerSession *messenger_sidebar_get_session      (MessengerSidebar *self);
void              messenger_sidebar_set_session      (MessengerSidebar *self,
                                                      MessengerSession *session);
/* Property "show-offline". */
gboolean          messenger_sidebar_get_show_offline (MessengerSidebar *self);
void              messenger_sidebar_set_show_offline (MessengerSidebar *self,
                                                      gboolean          show);
/* Property "folded": the header bar shows the window buttons when TRUE. */
gboolean          messenger_sidebar_get_folded       (MessengerSidebar *self);
void              messenger_sidebar_set_folded       (MessengerSidebar *self,
                                                      gboolean          folded);
/* The menu of the header bar's primary menu button. */
void              messenger_sidebar_set_primary_menu (MessengerSidebar *self,
                                                      GMenuModel       *menu);
/* Show and focus the search entry (win.search). */
void              messenger_sidebar_begin_search     (MessengerSidebar *self);
/* Open the Add Contact dialog (also the action "sidebar.add-contact"). */
void              messenger_sidebar_add_contact      (MessengerSidebar *self);

/* Signals:
 *  "conversation-activated" (MessengerConversation *conversation): a
 *     contact or a search result was activated (click or Enter)
 */

G_END_DECLS
