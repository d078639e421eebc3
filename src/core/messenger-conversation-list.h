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
 *       (sent) ──▶ ping after it, answered ──▶ acked
 *       On every (re)connect the pending and sent-but-unacked rows are
 *       written again, each at most once per session; duplicates are
 *       removed by origin-id at the recipient and in the store.
 *
 * The client has no stream management (XEP-0198) yet, so the server's
 * confirmation is an XEP-0199 ping sent after a burst of messages: the
 * server answers stanzas in order, so its answer (result or error) means
 * it has processed every message written before the ping.
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
