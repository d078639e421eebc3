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
/* An incoming message: stored, then signalled. */
void                   _messenger_conversation_receive     (MessengerConversation     *self,
                                                            const XmppMessage         *message);
void                   _messenger_conversation_set_state   (MessengerConversation     *self,
                                                            gint64                     id,
                                                            MessengerDeliveryState     state);
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

G_END_DECLS
