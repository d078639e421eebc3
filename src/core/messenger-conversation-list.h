/* messenger-conversation-list.h: an account's conversations, and its mail
 *
 * A GListModel of MessengerConversation, most recently active first, read
 * from the store when made (offline first: the sidebar shows before the
 * network answers).  It is also where messages enter and leave the
 * account, so there is one per account and it owns every conversation:
 *
 *  in:  "message" ──▶ conversation (thread id) ──▶ store ──committed──▶
 *       "message-added" ──▶ message lists, threads, unread counts, order
 *       (an error reply to one of ours marks it failed)
 *
 *  out: send() ──▶ store (pending) ──committed──▶ written if online
 *       (sent) ──▶ the server's XEP-0198 <a/> ──▶ acked
 *       At the start of every new session the pending and sent-but-unacked
 *       rows are written again, each at most once per session; duplicates
 *       are removed by origin-id at the recipient and in the store.
 *
 * The server's confirmation is its XEP-0198 acknowledgement (on a server
 * without stream management, the answer to an XEP-0199 ping the client
 * sends after a burst: stanzas are answered in order).  A session resumed
 * after a lost connection (MessengerAccount's "resumed") is the same
 * session: the client sends again what the server had not confirmed, so
 * nothing is written again here except messages composed while the
 * connection was down, and the archive is not caught up again.  The
 * session ends with the account's "session-ended".
 *
 * Receipts (XEP-0184): outgoing messages ask for one and become delivered
 * when it comes; incoming ones are answered once stored, when the
 * account's "send-receipts" is on and the sender may see our presence.
 * Carbons (XEP-0280): what our other devices send and receive is stored
 * here too.  Archive (XEP-0313): after each (re)connect, everything the
 * account's archive holds since the newest archive id we have is fetched
 * page by page ("catching-up" is TRUE meanwhile) and stored without
 * duplicates; see docs/models.md.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"
#include "messenger-conversation.h"
#include "messenger-roster.h"
#include "messenger-store.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_CONVERSATION_LIST (messenger_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (MessengerConversationList, messenger_conversation_list, MESSENGER, CONVERSATION_LIST, GObject)

/* @roster (nullable) gives conversations their contact: display names and
 * unread counts on contacts. */
MessengerConversationList *messenger_conversation_list_new              (MessengerAccount          *account,
                                                                          MessengerStore            *store,
                                                                          gint64                     account_id,
                                                                          MessengerRoster           *roster);
MessengerAccount          *messenger_conversation_list_get_account      (MessengerConversationList *self);
/* The conversation with @peer (a bare JID), made when needed; it joins the
 * list model with its first message.  NULL for an invalid JID. */
MessengerConversation     *messenger_conversation_list_get_conversation (MessengerConversationList *self,
                                                                          const char                *peer);
/* TRUE while the archive is being caught up with (property "catching-up"). */
gboolean                   messenger_conversation_list_get_catching_up  (MessengerConversationList *self);

/* Signals:
 *  "message-received" (MessengerConversation *conversation,
 *                      const MessengerStoreMessage *message): a new incoming
 *                      message was committed to the store (not for duplicates)
 */

G_END_DECLS
