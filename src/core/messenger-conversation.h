/* messenger-conversation.h: the history with one peer of one account
 *
 * One MessengerConversation exists per (account, peer bare JID); get it
 * from messenger_conversation_list_get_conversation().  It holds the
 * conversation's summary (last activity, unread count), its threads as a
 * GListModel of MessengerThread (most recently active first), the thread a
 * reply goes to, and sending.  Messages themselves are shown through
 * MessengerMessageList, which pages them from the store.
 *
 * Threads (RFC 6121 §5.2.5):
 *  - a message that names a <thread> is stored under it, and the reply
 *    goes there (it becomes the current thread);
 *  - a message without <thread> gets the chat session's generated thread
 *    id: one id per session with this peer, generated when first needed
 *    and reused for every thread-less message and reply until
 *    new_thread() starts another;
 *  - send() with a thread keeps that thread; with NULL it uses the
 *    current thread, else the session's.
 *
 * Sending: the message is stored as pending (with a fresh origin-id)
 * before anything goes out; it is then sent if the account is online,
 * else when it next comes online.  See MessengerConversationList.
 *
 * Chat states (XEP-0085), both ways:
 *  - "peer-chat-state" is the last state the peer sent in this
 *    conversation.  A message with a body sets the state it carries when
 *    that is active, inactive or gone, else NONE: typing ends with the
 *    message.  COMPOSING with no news for 30 s becomes PAUSED (the peer's
 *    client may have gone away mid-sentence).  Everything is NONE while
 *    the account is not online.
 *  - set_composing (TRUE) as the person types sends <composing/> once, then
 *    <paused/> after 5 s without another TRUE; set_composing (FALSE) (the
 *    composer was cleared) sends <active/> if <composing/> or <paused/> was
 *    the last thing sent; each sent message carries <active/>.  Nothing at
 *    all when the account's "send-chat-states" is off or it is offline.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"
#include "messenger-contact.h"
#include "messenger-message.h"

G_BEGIN_DECLS

/* The same values as XmppChatState. */
typedef enum
{
  MESSENGER_CHAT_STATE_NONE,       /* nothing known */
  MESSENGER_CHAT_STATE_ACTIVE,     /* in the conversation */
  MESSENGER_CHAT_STATE_COMPOSING,  /* typing */
  MESSENGER_CHAT_STATE_PAUSED,     /* stopped typing */
  MESSENGER_CHAT_STATE_INACTIVE,   /* elsewhere for a while */
  MESSENGER_CHAT_STATE_GONE,       /* closed the conversation */
} MessengerChatState;

GType messenger_chat_state_get_type (void);
#define MESSENGER_TYPE_CHAT_STATE (messenger_chat_state_get_type ())

#define MESSENGER_TYPE_CONVERSATION (messenger_conversation_get_type ())
G_DECLARE_FINAL_TYPE (MessengerConversation, messenger_conversation, MESSENGER, CONVERSATION, GObject)

MessengerAccount *messenger_conversation_get_account        (MessengerConversation *self);
const char       *messenger_conversation_get_peer           (MessengerConversation *self);
/* The roster contact of the peer, NULL when not in the roster. */
MessengerContact *messenger_conversation_get_contact        (MessengerConversation *self);
/* The contact's display name, else the peer's JID. */
const char       *messenger_conversation_get_display_name   (MessengerConversation *self);
/* Time of the newest message (µs since the epoch, UTC), 0 when none. */
gint64            messenger_conversation_get_last_activity  (MessengerConversation *self);
guint             messenger_conversation_get_unread_count   (MessengerConversation *self);

/* GListModel of MessengerThread, most recently active first (borrowed;
 * read from the store the first time it is asked for). */
GListModel       *messenger_conversation_get_threads        (MessengerConversation *self);
/* Where a reply goes; NULL before any message. */
const char       *messenger_conversation_get_current_thread (MessengerConversation *self);
void              messenger_conversation_set_current_thread (MessengerConversation *self,
                                                             const char            *thread_id);
/* Start a new topic: a new thread id (under @parent_thread_id, or
 * top-level with NULL) becomes the current and the session's thread.
 * Returns it (owned by @self). */
const char       *messenger_conversation_new_thread         (MessengerConversation *self,
                                                             const char            *parent_thread_id);

/* Store @text as a pending message in @thread_id (NULL: see above), then
 * send it.  Returns its origin-id.  The message reaches message lists by
 * "message-added" once stored. */
char             *messenger_conversation_send               (MessengerConversation *self,
                                                             const char            *text,
                                                             const char            *thread_id);
/* The peer's last chat state here (property "peer-chat-state"). */
MessengerChatState messenger_conversation_get_peer_chat_state (MessengerConversation *self);
/* Called by the composer as the person types (TRUE) or clears the text
 * (FALSE); see above for what is sent. */
void              messenger_conversation_set_composing      (MessengerConversation *self,
                                                             gboolean               composing);

/* As send(), with a subject (the topic of a new thread), NULL for none. */
char             *messenger_conversation_send_full          (MessengerConversation *self,
                                                             const char            *text,
                                                             const char            *subject,
                                                             const char            *thread_id);
/* Send a message that failed (its state is FAILED) again, as the same
 * message: pending, then sent once online. */
void              messenger_conversation_retry              (MessengerConversation *self,
                                                             MessengerMessage      *message);
/* Mark incoming messages read, in @thread_id or everywhere (NULL), up to
 * and including @up_to_id (0: all). */
void              messenger_conversation_mark_read          (MessengerConversation *self,
                                                             const char            *thread_id,
                                                             gint64                 up_to_id);

/* Signals:
 *  "message-added"  (const MessengerStoreMessage *message): a message was
 *                   committed to the store (not for duplicates); incoming
 *                   messages are signalled only after the commit
 *  "message-state-changed" (gint64 id, MessengerDeliveryState state)
 *  "messages-read"  (const char *thread_id or NULL, gint64 up_to_id or 0):
 *                   mark_read() is committed: incoming messages of that
 *                   thread (NULL: every thread) up to that id (0: all)
 *                   are read
 */

G_END_DECLS
