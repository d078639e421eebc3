/* messenger-conversation-private.h: between conversations, their list and
 * their message lists */
#pragma once

#include "messenger-conversation.h"
#include "messenger-conversation-list.h"
#include "messenger-store.h"

G_BEGIN_DECLS

MessengerConversation *_messenger_conversation_new         (MessengerConversationList *list,
                                                            MessengerAccount          *account,
                                                            MessengerStore            *store,
                                                            gint64                     account_id,
                                                            const char                *peer,
                                                            gint64                     last_activity,
                                                            guint                      unread_count);
/* The list is going away: sends stay pending. */
void                   _messenger_conversation_detach      (MessengerConversation     *self);
void                   _messenger_conversation_set_contact (MessengerConversation     *self,
                                                            MessengerContact          *contact);
/* A store record of @message in this conversation (thread, times, ids,
 * state: incoming DELIVERED and unread, outgoing ACKED). */
MessengerStoreMessage *_messenger_conversation_new_record  (MessengerConversation     *self,
                                                            const XmppMessage         *message,
                                                            MessengerStoreDirection    direction);
/* An incoming message: stored, then signalled; then @receipt (if any) is
 * sent and @ack_token (messenger_account_defer_ack(), or 0) completed,
 * also for a duplicate. */
void                   _messenger_conversation_receive     (MessengerConversation     *self,
                                                            const XmppMessage         *message,
                                                            XmppElement               *receipt,
                                                            guint64                    ack_token);
/* A message another resource of ours sent (a sent carbon): stored as
 * ACKED, signalled, never sent again; @ack_token completed once stored. */
void                   _messenger_conversation_add_sent_elsewhere (MessengerConversation *self,
                                                            const XmppMessage         *message,
                                                            guint64                    ack_token);
/* A record stored by someone else (an archive page): counted and
 * signalled as if it had been stored here. */
void                   _messenger_conversation_stored      (MessengerConversation     *self,
                                                            const MessengerStoreMessage *message);
void                   _messenger_conversation_set_state   (MessengerConversation     *self,
                                                            gint64                     id,
                                                            MessengerDeliveryState     state);
/* Chat states: one the peer sent (@with_body: on a message with a body);
 * one we sent on a message; the session ended (everything back to NONE);
 * shorter timeouts for tests. */
void                   _messenger_conversation_peer_chat_state (MessengerConversation *self,
                                                            XmppChatState              state,
                                                            gboolean                   with_body);
void                   _messenger_conversation_own_chat_state_sent (MessengerConversation *self,
                                                            XmppChatState              state);
void                   _messenger_conversation_session_ended (MessengerConversation   *self);
void                   _messenger_conversation_set_chat_state_timeouts (MessengerConversation *self,
                                                            guint                      peer_composing_ms,
                                                            guint                      own_composing_ms);
MessengerStore        *_messenger_conversation_get_store   (MessengerConversation     *self);
gint64                 _messenger_conversation_get_account_id (MessengerConversation  *self);
/* What to show as the sender of a message. */
const char            *_messenger_conversation_sender_name (MessengerConversation     *self,
                                                            const MessengerStoreMessage *message);

/* Write a stored outgoing message to the connection if online and not yet
 * written in this session. */
void                   _messenger_conversation_list_send   (MessengerConversationList *self,
                                                            MessengerConversation     *conversation,
                                                            const MessengerStoreMessage *message);

/* Make @message (its row, now PENDING again) go out again. */
void                   _messenger_conversation_list_resend (MessengerConversationList   *self,
                                                            MessengerConversation       *conversation,
                                                            const MessengerStoreMessage *message);
/* A new incoming message of @conversation was committed. */
void                   _messenger_conversation_list_message_received (MessengerConversationList   *self,
                                                                      MessengerConversation       *conversation,
                                                                      const MessengerStoreMessage *message);

G_END_DECLS
