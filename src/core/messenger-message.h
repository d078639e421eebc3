/* messenger-message.h: one message of a conversation, as the UI shows it
 *
 * An immutable snapshot of a stored message except for its delivery
 * state, which notifies as the message moves on (pending → sent → acked →
 * delivered, or failed), and its unread flag, which notifies when the
 * conversation marks it read.  Made by MessengerMessageList and MessengerSearch
 * from store rows; search results also carry a snippet.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-store-records.h"

G_BEGIN_DECLS

/* The same values as MessengerStoreDeliveryState. */
typedef enum
{
  MESSENGER_DELIVERY_PENDING,    /* stored, not written to a connection yet */
  MESSENGER_DELIVERY_SENT,       /* written; the server has not confirmed it */
  MESSENGER_DELIVERY_ACKED,      /* the server has it */
  MESSENGER_DELIVERY_DELIVERED,  /* the recipient has it (incoming: always) */
  MESSENGER_DELIVERY_FAILED,
} MessengerDeliveryState;

GType messenger_delivery_state_get_type (void);
#define MESSENGER_TYPE_DELIVERY_STATE (messenger_delivery_state_get_type ())

#define MESSENGER_TYPE_MESSAGE (messenger_message_get_type ())
G_DECLARE_FINAL_TYPE (MessengerMessage, messenger_message, MESSENGER, MESSAGE, GObject)

/* @sender_name: what to show as the sender. */
MessengerMessage       *messenger_message_new_from_record (const MessengerStoreMessage *record,
                                                           const char                  *sender_name);

/* The store's row id: time-ordered, unique. */
gint64                  messenger_message_get_id          (MessengerMessage *self);
const char             *messenger_message_get_peer        (MessengerMessage *self);
const char             *messenger_message_get_body        (MessengerMessage *self);
const char             *messenger_message_get_subject     (MessengerMessage *self);
gboolean                messenger_message_get_outgoing    (MessengerMessage *self);
const char             *messenger_message_get_thread_id   (MessengerMessage *self);
const char             *messenger_message_get_origin_id   (MessengerMessage *self);
const char             *messenger_message_get_sender_name (MessengerMessage *self);
/* Sort time (µs since the epoch, UTC): when it was sent, as far as known. */
gint64                  messenger_message_get_time        (MessengerMessage *self);
/* A new local GDateTime of the sort time. */
GDateTime              *messenger_message_dup_date_time   (MessengerMessage *self);
gint64                  messenger_message_get_local_day   (MessengerMessage *self);

GTimeZone              *messenger_dup_local_time_zone     (void);
gint64                  messenger_local_day_now           (void);
/* XEP-0203 stamp when it arrived delayed, else 0. */
gint64                  messenger_message_get_delay_time  (MessengerMessage *self);
MessengerDeliveryState  messenger_message_get_state       (MessengerMessage *self);
void                    messenger_message_set_state       (MessengerMessage *self,
                                                           MessengerDeliveryState state);
/* An incoming message not read yet (the store's flag; property "unread").
 * Message lists clear it when the conversation marks it read. */
gboolean                messenger_message_get_unread      (MessengerMessage *self);
void                    messenger_message_set_unread      (MessengerMessage *self,
                                                           gboolean          unread);
/* Search results only: the body around the matches, each match between
 * MESSENGER_STORE_MATCH_START and _END. */
const char             *messenger_message_get_snippet     (MessengerMessage *self);
void                    messenger_message_set_snippet     (MessengerMessage *self,
                                                           const char       *snippet);

G_END_DECLS
