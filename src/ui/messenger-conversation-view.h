/* messenger-conversation-view.h: the content pane of one conversation
 *
 * Its own header bar (the peer, presence or "typing…", the thread switcher
 * and "New Thread"), the messages as a paged GtkListView, and the composer.
 * With no conversation it shows an empty state.
 */
#pragma once

#include <adwaita.h>

#include "messenger-conversation.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_CONVERSATION_VIEW (messenger_conversation_view_get_type ())
G_DECLARE_FINAL_TYPE (MessengerConversationView, messenger_conversation_view, MESSENGER, CONVERSATION_VIEW, GtkWidget)

GtkWidget             *messenger_conversation_view_new              (void);

/* Property "conversation" (nullable: NULL shows the empty state). */
void                   messenger_conversation_view_set_conversation (MessengerConversationView *self,
                                                                     MessengerConversation     *conversation);
MessengerConversation *messenger_conversation_view_get_conversation (MessengerConversationView *self);

/* Property "folded": the window's leaflet is folded, so the header bar
 * shows a back button (win.show-sidebar) and the start window buttons. */
void                   messenger_conversation_view_set_folded       (MessengerConversationView *self,
                                                                     gboolean                   folded);
gboolean               messenger_conversation_view_get_folded       (MessengerConversationView *self);

/* Property "active": the window is active and this pane visible.  While
 * active, the messages shown are marked read. */
void                   messenger_conversation_view_set_active       (MessengerConversationView *self,
                                                                     gboolean                   active);
gboolean               messenger_conversation_view_get_active       (MessengerConversationView *self);

void                   messenger_conversation_view_focus_composer   (MessengerConversationView *self);

G_END_DECLS
