/* messenger-thread-switcher.h: choose which thread of a conversation shows
 *
 * A header bar button with the title of the thread shown, opening a
 * popover that lists "All Messages" and the conversation's threads (title,
 * last activity, unread count), most recently active first.
 */
#pragma once

#include <gtk/gtk.h>

#include "messenger-conversation.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_THREAD_SWITCHER (messenger_thread_switcher_get_type ())
G_DECLARE_FINAL_TYPE (MessengerThreadSwitcher, messenger_thread_switcher, MESSENGER, THREAD_SWITCHER, GtkWidget)

GtkWidget             *messenger_thread_switcher_new              (void);

MessengerConversation *messenger_thread_switcher_get_conversation (MessengerThreadSwitcher *self);
void                   messenger_thread_switcher_set_conversation (MessengerThreadSwitcher *self,
                                                                   MessengerConversation   *conversation);
/* The thread shown; NULL: all messages. */
const char            *messenger_thread_switcher_get_thread_id    (MessengerThreadSwitcher *self);
void                   messenger_thread_switcher_set_thread_id    (MessengerThreadSwitcher *self,
                                                                   const char              *thread_id);
void                   messenger_thread_switcher_popup            (MessengerThreadSwitcher *self);

/* The title a thread is shown with (never empty). */
char                  *messenger_thread_switcher_dup_thread_title (MessengerConversation   *conversation,
                                                                   const char              *thread_id);

G_END_DECLS
