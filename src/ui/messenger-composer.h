/* messenger-composer.h: where a message is written
 *
 * A growing multi-line text view and a Send button, with the thread the
 * message goes to shown above ("Replying in: …").  Enter sends,
 * Shift+Enter starts a new line.  It sends through the conversation, tells
 * it when the person is typing (XEP-0085), and keeps an unsent draft per
 * conversation while the person switches between them.
 */
#pragma once

#include <gtk/gtk.h>

#include "messenger-conversation.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_COMPOSER (messenger_composer_get_type ())
G_DECLARE_FINAL_TYPE (MessengerComposer, messenger_composer, MESSENGER, COMPOSER, GtkWidget)

GtkWidget             *messenger_composer_new              (void);

MessengerConversation *messenger_composer_get_conversation (MessengerComposer     *self);
void                   messenger_composer_set_conversation (MessengerComposer     *self,
                                                            MessengerConversation *conversation);
/* The thread messages go to; NULL: the conversation's current thread. */
const char            *messenger_composer_get_thread_id    (MessengerComposer     *self);
void                   messenger_composer_set_thread_id    (MessengerComposer     *self,
                                                            const char            *thread_id);
/* The subject of the next message (the topic of a thread just started),
 * NULL for none; cleared once a message is sent or the conversation
 * changes. */
const char            *messenger_composer_get_subject      (MessengerComposer     *self);
void                   messenger_composer_set_subject      (MessengerComposer     *self,
                                                            const char            *subject);
/* What "Replying in:" shows; NULL hides it. */
void                   messenger_composer_set_reply_title  (MessengerComposer     *self,
                                                            const char            *title);
/* The text being written (a new string). */
char                  *messenger_composer_dup_text         (MessengerComposer     *self);
void                   messenger_composer_set_text         (MessengerComposer     *self,
                                                            const char            *text);
/* Send what is written; FALSE when there was nothing to send. */
gboolean               messenger_composer_send             (MessengerComposer     *self);
void                   messenger_composer_focus            (MessengerComposer     *self);

/* Signals:
 *  "sent" (): a message was handed to the conversation
 */

G_END_DECLS
