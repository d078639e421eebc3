/* messenger-thread-private.h: what MessengerConversation uses to keep threads */
#pragma once

#include "messenger-store.h"
#include "messenger-thread.h"

G_BEGIN_DECLS

/* @store and the conversation's key, to read the first line on demand. */
MessengerThread *_messenger_thread_new               (MessengerStore              *store,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const MessengerStoreThread  *record);
/* A message of this thread was stored (not a duplicate). */
void             _messenger_thread_message_added     (MessengerThread             *self,
                                                      const MessengerStoreMessage *message);
void             _messenger_thread_set_unread_count  (MessengerThread             *self,
                                                      guint                        count);
/* Most recently active first. */
int              _messenger_thread_compare           (gconstpointer                a,
                                                      gconstpointer                b,
                                                      gpointer                     user_data);

G_END_DECLS
