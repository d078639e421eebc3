/* messenger-message-row.h: one message in the conversation's list
 *
 * A bubble with the text (selectable, links clickable), the time and, for
 * one's own messages, the delivery state.  Above it, when the list says
 * so: a day separator, a "New messages" marker, and the sender's name at
 * the start of a group of messages.
 */
#pragma once

#include <gtk/gtk.h>

#include "messenger-message.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_MESSAGE_ROW (messenger_message_row_get_type ())
G_DECLARE_FINAL_TYPE (MessengerMessageRow, messenger_message_row, MESSENGER, MESSAGE_ROW, GtkWidget)

GtkWidget        *messenger_message_row_new                (void);

MessengerMessage *messenger_message_row_get_message        (MessengerMessageRow *self);
void              messenger_message_row_set_message        (MessengerMessageRow *self,
                                                            MessengerMessage    *message);
/* The first message of its day: show the day above it. */
void              messenger_message_row_set_show_day       (MessengerMessageRow *self,
                                                            gboolean             show_day);
/* The first message of a group from one sender: show the sender. */
void              messenger_message_row_set_show_sender    (MessengerMessageRow *self,
                                                            gboolean             show_sender);
/* The first unread message when the conversation was opened. */
void              messenger_message_row_set_show_unread_marker (MessengerMessageRow *self,
                                                                gboolean             show_marker);

/* Texts the row shows, exposed for tests and the view. */
char             *messenger_message_row_format_day         (GDateTime           *day,
                                                            GDateTime           *now);
const char       *messenger_message_row_describe_state     (MessengerDeliveryState state);
char             *messenger_message_row_markup_links       (const char          *text);

/* Signals:
 *  "retry" (): the person asked to send a failed message again
 */

G_END_DECLS
