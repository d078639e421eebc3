/* messenger-message-list.h: a window on a conversation's history
 *
 * A GListModel of MessengerMessage, oldest first, over the messages of one
 * conversation or of one of its threads.  Only a window of the history is
 * in memory: it starts as the newest page, load_older() adds a page at the
 * top, and live messages are added at the bottom as they are stored.  The
 * window holds at most max-pages × page-size messages; when it grows past
 * that, the end away from where the person is reading is dropped (after
 * load_older(), the newest end: has-newer becomes TRUE and live messages
 * are no longer added until load_newer() or jump_to_newest() brings the
 * window back to the newest end).
 *
 * Pages are keyset reads of the store on the calling thread (one index
 * range, well under a millisecond; see docs/store.md).
 */
#pragma once

#include <gio/gio.h>

#include "messenger-conversation.h"

G_BEGIN_DECLS

#define MESSENGER_MESSAGE_LIST_DEFAULT_PAGE_SIZE 50
#define MESSENGER_MESSAGE_LIST_DEFAULT_MAX_PAGES 6

#define MESSENGER_TYPE_MESSAGE_LIST (messenger_message_list_get_type ())
G_DECLARE_FINAL_TYPE (MessengerMessageList, messenger_message_list, MESSENGER, MESSAGE_LIST, GObject)

/* The newest page of @conversation, or of its thread @thread_id. */
MessengerMessageList  *messenger_message_list_new              (MessengerConversation *conversation,
                                                                const char            *thread_id);
/* The same with other window sizes (tests, benchmarks). */
MessengerMessageList  *messenger_message_list_new_full         (MessengerConversation *conversation,
                                                                const char            *thread_id,
                                                                guint                  page_size,
                                                                guint                  max_pages);

MessengerConversation *messenger_message_list_get_conversation (MessengerMessageList  *self);
const char            *messenger_message_list_get_thread_id    (MessengerMessageList  *self);
/* Older messages exist before the window. */
gboolean               messenger_message_list_get_has_older    (MessengerMessageList  *self);
/* Newer messages exist after the window (live ones are not added). */
gboolean               messenger_message_list_get_has_newer    (MessengerMessageList  *self);

/* Add a page at the top (one items-changed at 0); FALSE when there was
 * nothing older. */
gboolean               messenger_message_list_load_older       (MessengerMessageList  *self);
/* Add a page at the bottom; FALSE when there was nothing newer. */
gboolean               messenger_message_list_load_newer       (MessengerMessageList  *self);
/* Show the newest page again (after reading far back). */
void                   messenger_message_list_jump_to_newest   (MessengerMessageList  *self);
/* The person is at the newest end (without has-newer): new messages push
 * the oldest out of a full window rather than stay beyond it. */
void                   messenger_message_list_follow_newest    (MessengerMessageList  *self);

/* live-delay (ms, 0 by default): live messages that come within this
 * time of the last ones added are held back and go in together when it
 * has passed, in one items-changed (and one trim) for a batch at the
 * newest end.  The first message after a quiet while goes in at once.  A
 * view sets it so that a flood costs it a change per batch, not one per
 * message; state changes and read marks reach held messages too.  A
 * batch of a third of a page or more at the newest end (a flood)
 * replaces the window with its newest third of a page in one
 * items-changed; paging and
 * jump_to_newest() add or drop what is held first. */
void                   messenger_message_list_set_live_delay   (MessengerMessageList  *self,
                                                                guint                  live_delay);
guint                  messenger_message_list_get_live_delay   (MessengerMessageList  *self);
/* Add the held messages now. */
void                   messenger_message_list_flush            (MessengerMessageList  *self);

G_END_DECLS
