/* messenger-thread.h: one thread of a conversation
 *
 * A thread is a run of messages about one topic, keyed by its thread id
 * (RFC 6121 §5.2.5), possibly under a parent thread.  Its title is the
 * subject when there is one, else the first line of its first message.
 * Items of messenger_conversation_get_threads(); the conversation keeps
 * them up to date, and every property notifies when it changes.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MESSENGER_TYPE_THREAD (messenger_thread_get_type ())
G_DECLARE_FINAL_TYPE (MessengerThread, messenger_thread, MESSENGER, THREAD, GObject)

const char *messenger_thread_get_id            (MessengerThread *self);
/* NULL for a top-level thread. */
const char *messenger_thread_get_parent_id     (MessengerThread *self);
const char *messenger_thread_get_subject       (MessengerThread *self);
/* The subject, else the first line of the first message ("" when the
 * thread has no text at all). */
const char *messenger_thread_get_title         (MessengerThread *self);
/* Times of the first and last message, µs since the epoch (UTC). */
gint64      messenger_thread_get_first_activity (MessengerThread *self);
gint64      messenger_thread_get_last_activity (MessengerThread *self);
guint       messenger_thread_get_unread_count  (MessengerThread *self);

G_END_DECLS
