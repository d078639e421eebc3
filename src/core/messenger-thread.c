/* messenger-thread.c: one thread of a conversation
 *
 * The title needs the first message of the thread when there is no
 * subject; it is read from the store the first time it is asked for (one
 * indexed row), so listing a conversation's threads costs one query, not
 * one per thread.
 */
#include "config.h"

#include <string.h>

#include "messenger-thread-private.h"

struct _MessengerThread
{
  GObject         parent_instance;

  /* owned */
  MessengerStore *store;
  gint64          account_id;
  char           *peer;

  char           *id;
  char           *parent_id;
  char           *subject;
  char           *first_line;   /* NULL until known */
  gint64          first_activity;
  gint64          last_activity;
  guint           unread_count;
};

G_DEFINE_FINAL_TYPE (MessengerThread, messenger_thread, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PARENT_ID,
  PROP_SUBJECT,
  PROP_TITLE,
  PROP_FIRST_ACTIVITY,
  PROP_LAST_ACTIVITY,
  PROP_UNREAD_COUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
first_line_of (const char *body)
{
  const char *end;

  if (body == NULL)
    return g_strdup ("");
  while (*body == '\n' || *body == '\r' || *body == ' ' || *body == '\t')
    body++;
  end = body + strcspn (body, "\r\n");
  return g_strstrip (g_strndup (body, end - body));
}

MessengerThread *
_messenger_thread_new (MessengerStore             *store,
                       gint64                      account_id,
                       const char                 *peer,
                       const MessengerStoreThread *record)
{
  MessengerThread *self = g_object_new (MESSENGER_TYPE_THREAD, NULL);

  self->store = g_object_ref (store);
  self->account_id = account_id;
  self->peer = g_strdup (peer);
  self->id = g_strdup (record->thread_id);
  self->parent_id = g_strdup (record->parent_thread_id);
  self->subject = g_strdup (record->subject);
  self->first_activity = record->first_time;
  self->last_activity = record->last_time;
  self->unread_count = record->unread;
  return self;
}

static gboolean
title_known (MessengerThread *self)
{
  return self->first_line != NULL || (self->subject != NULL && *self->subject != '\0');
}

void
_messenger_thread_message_added (MessengerThread             *self,
                                 const MessengerStoreMessage *message)
{
  g_autofree char *title_before = NULL;

  g_return_if_fail (MESSENGER_IS_THREAD (self));

  /* An unknown title is read lazily: no need to notify it then. */
  if (title_known (self))
    title_before = g_strdup (messenger_thread_get_title (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->first_activity == 0 || message->time < self->first_activity)
    {
      /* The new first message (a fresh thread, or a message from an
       * archive page older than what we had). */
      self->first_activity = message->time;
      g_free (self->first_line);
      self->first_line = first_line_of (message->body);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIRST_ACTIVITY]);
    }
  if (message->time >= self->last_activity)
    {
      self->last_activity = message->time;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVITY]);
      /* As the store does: a later subject replaces the subject. */
      if (message->subject != NULL && g_strcmp0 (message->subject, self->subject) != 0)
        {
          g_free (self->subject);
          self->subject = g_strdup (message->subject);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBJECT]);
        }
    }
  if (message->direction == MESSENGER_STORE_DIRECTION_IN && message->unread)
    _messenger_thread_set_unread_count (self, self->unread_count + 1);

  if (title_known (self) && g_strcmp0 (title_before, messenger_thread_get_title (self)) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_messenger_thread_set_unread_count (MessengerThread *self,
                                    guint            count)
{
  g_return_if_fail (MESSENGER_IS_THREAD (self));

  if (self->unread_count == count)
    return;
  self->unread_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

int
_messenger_thread_compare (gconstpointer a,
                           gconstpointer b,
                           gpointer      user_data)
{
  const MessengerThread *ta = a;
  const MessengerThread *tb = b;

  if (ta->last_activity != tb->last_activity)
    return ta->last_activity > tb->last_activity ? -1 : 1;
  return strcmp (ta->id, tb->id);
}

const char *
messenger_thread_get_id (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), NULL);
  return self->id;
}

const char *
messenger_thread_get_parent_id (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), NULL);
  return self->parent_id;
}

const char *
messenger_thread_get_subject (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), NULL);
  return self->subject;
}

const char *
messenger_thread_get_title (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), NULL);

  if (self->subject != NULL && *self->subject != '\0')
    return self->subject;

  if (self->first_line == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) first = NULL;

      first = messenger_store_load_messages (self->store, self->account_id, self->peer, self->id,
                                             MESSENGER_STORE_PAGE_NEWER, 0, 1, &error);
      if (first == NULL)
        g_debug ("Cannot read the first message of thread %s: %s", self->id, error->message);
      self->first_line = first_line_of (first != NULL && first->len > 0
                                        ? ((MessengerStoreMessage *) first->pdata[0])->body : NULL);
    }
  return self->first_line;
}

gint64
messenger_thread_get_first_activity (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), 0);
  return self->first_activity;
}

gint64
messenger_thread_get_last_activity (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), 0);
  return self->last_activity;
}

guint
messenger_thread_get_unread_count (MessengerThread *self)
{
  g_return_val_if_fail (MESSENGER_IS_THREAD (self), 0);
  return self->unread_count;
}

static void
messenger_thread_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MessengerThread *self = MESSENGER_THREAD (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_PARENT_ID:
      g_value_set_string (value, self->parent_id);
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    case PROP_TITLE:
      g_value_set_string (value, messenger_thread_get_title (self));
      break;
    case PROP_FIRST_ACTIVITY:
      g_value_set_int64 (value, self->first_activity);
      break;
    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_thread_finalize (GObject *object)
{
  MessengerThread *self = MESSENGER_THREAD (object);

  g_clear_object (&self->store);
  g_free (self->peer);
  g_free (self->id);
  g_free (self->parent_id);
  g_free (self->subject);
  g_free (self->first_line);

  G_OBJECT_CLASS (messenger_thread_parent_class)->finalize (object);
}

static void
messenger_thread_class_init (MessengerThreadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_thread_get_property;
  object_class->finalize = messenger_thread_finalize;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PARENT_ID] =
    g_param_spec_string ("parent-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBJECT] =
    g_param_spec_string ("subject", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIRST_ACTIVITY] =
    g_param_spec_int64 ("first-activity", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_thread_init (MessengerThread *self)
{
}
