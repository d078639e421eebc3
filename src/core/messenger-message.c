/* messenger-message.c: one message of a conversation, as the UI shows it */
#include "config.h"

#include "messenger-message.h"

struct _MessengerMessage
{
  GObject                 parent_instance;

  gint64                  id;
  char                   *peer;
  char                   *body;
  char                   *subject;
  gboolean                outgoing;
  char                   *thread_id;
  char                   *origin_id;
  char                   *sender_name;
  gint64                  time;
  gint64                  delay_time;
  MessengerDeliveryState  state;
  gboolean                unread;
  char                   *snippet;

  /* The local day of time, for local_zone_serial's zone. */
  gint64                  local_day;
  guint                   local_day_serial;
};

/* The local time zone, made once: on GLib 2.74 g_time_zone_new_local()
 * (and so g_date_time_to_local()) reads /etc/localtime at every call, which
 * was most of the main thread when a flood moved the rows.  Made again at
 * most once a minute, so that a change of the system's zone shows. */
#define LOCAL_ZONE_REFRESH_USEC (60 * G_USEC_PER_SEC)

static GMutex     local_zone_lock;
static GTimeZone *local_zone;
static gint64     local_zone_made;
static guint      local_zone_serial;

static GTimeZone *
dup_local_zone (guint *serial)
{
  GTimeZone *zone;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&local_zone_lock);
  if (local_zone == NULL || now - local_zone_made >= LOCAL_ZONE_REFRESH_USEC)
    {
      GTimeZone *fresh = g_time_zone_new_local ();

      if (local_zone == NULL || g_strcmp0 (g_time_zone_get_identifier (fresh),
                                           g_time_zone_get_identifier (local_zone)) != 0)
        local_zone_serial++;
      g_clear_pointer (&local_zone, g_time_zone_unref);
      local_zone = fresh;
      local_zone_made = now;
    }
  zone = g_time_zone_ref (local_zone);
  if (serial != NULL)
    *serial = local_zone_serial;
  g_mutex_unlock (&local_zone_lock);
  return zone;
}

/**
 * messenger_dup_local_time_zone:
 *
 * The local time zone, as g_time_zone_new_local() but without reading the
 * system's zone file at each call.  Any thread.
 */
GTimeZone *
messenger_dup_local_time_zone (void)
{
  return dup_local_zone (NULL);
}

/* Days since 1970-01-01 in @zone, for @usec since the epoch. */
static gint64
local_day_of (GTimeZone *zone,
              gint64     usec)
{
  gint64 seconds = usec / G_USEC_PER_SEC;
  int interval = g_time_zone_find_interval (zone, G_TIME_TYPE_UNIVERSAL, seconds);
  gint64 local = seconds + (interval >= 0 ? g_time_zone_get_offset (zone, interval) : 0);

  /* Floor division: times before 1970 are on earlier days. */
  return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

/**
 * messenger_local_day_now:
 *
 * Today's number in messenger_message_get_local_day()'s terms.
 */
gint64
messenger_local_day_now (void)
{
  g_autoptr(GTimeZone) zone = dup_local_zone (NULL);

  return local_day_of (zone, g_get_real_time ());
}

G_DEFINE_FINAL_TYPE (MessengerMessage, messenger_message, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MessengerDeliveryState, messenger_delivery_state,
  G_DEFINE_ENUM_VALUE (MESSENGER_DELIVERY_PENDING, "pending"),
  G_DEFINE_ENUM_VALUE (MESSENGER_DELIVERY_SENT, "sent"),
  G_DEFINE_ENUM_VALUE (MESSENGER_DELIVERY_ACKED, "acked"),
  G_DEFINE_ENUM_VALUE (MESSENGER_DELIVERY_DELIVERED, "delivered"),
  G_DEFINE_ENUM_VALUE (MESSENGER_DELIVERY_FAILED, "failed"))

G_STATIC_ASSERT ((int) MESSENGER_DELIVERY_PENDING == (int) MESSENGER_STORE_DELIVERY_PENDING);
G_STATIC_ASSERT ((int) MESSENGER_DELIVERY_SENT == (int) MESSENGER_STORE_DELIVERY_SENT);
G_STATIC_ASSERT ((int) MESSENGER_DELIVERY_ACKED == (int) MESSENGER_STORE_DELIVERY_ACKED);
G_STATIC_ASSERT ((int) MESSENGER_DELIVERY_DELIVERED == (int) MESSENGER_STORE_DELIVERY_DELIVERED);
G_STATIC_ASSERT ((int) MESSENGER_DELIVERY_FAILED == (int) MESSENGER_STORE_DELIVERY_FAILED);

enum {
  PROP_0,
  PROP_ID,
  PROP_PEER,
  PROP_BODY,
  PROP_SUBJECT,
  PROP_OUTGOING,
  PROP_THREAD_ID,
  PROP_ORIGIN_ID,
  PROP_SENDER_NAME,
  PROP_TIME,
  PROP_DELAY_TIME,
  PROP_STATE,
  PROP_UNREAD,
  PROP_SNIPPET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

MessengerMessage *
messenger_message_new_from_record (const MessengerStoreMessage *record,
                                   const char                  *sender_name)
{
  MessengerMessage *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (MESSENGER_TYPE_MESSAGE, NULL);
  self->id = record->id;
  self->peer = g_strdup (record->peer);
  self->body = g_strdup (record->body);
  self->subject = g_strdup (record->subject);
  self->outgoing = record->direction == MESSENGER_STORE_DIRECTION_OUT;
  self->thread_id = g_strdup (record->thread_id);
  self->origin_id = g_strdup (record->origin_id);
  self->sender_name = g_strdup (sender_name);
  self->time = record->time != 0 ? record->time
             : record->delay_time != 0 ? record->delay_time : record->received_time;
  self->delay_time = record->delay_time;
  self->state = (MessengerDeliveryState) record->state;
  self->unread = record->unread && !self->outgoing;
  return self;
}

gint64
messenger_message_get_id (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), 0);
  return self->id;
}

const char *
messenger_message_get_peer (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->peer;
}

const char *
messenger_message_get_body (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->body;
}

const char *
messenger_message_get_subject (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->subject;
}

gboolean
messenger_message_get_outgoing (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), FALSE);
  return self->outgoing;
}

const char *
messenger_message_get_thread_id (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->thread_id;
}

const char *
messenger_message_get_origin_id (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->origin_id;
}

const char *
messenger_message_get_sender_name (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->sender_name;
}

gint64
messenger_message_get_time (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), 0);
  return self->time;
}

GDateTime *
messenger_message_dup_date_time (MessengerMessage *self)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);

  utc = g_date_time_new_from_unix_utc (self->time / G_USEC_PER_SEC);
  if (utc == NULL)
    return NULL;
  {
    g_autoptr(GTimeZone) zone = messenger_dup_local_time_zone ();

    return g_date_time_to_timezone (utc, zone);
  }
}

/**
 * messenger_message_get_local_day:
 *
 * The local day of the message's time, as a number of days since
 * 1970-01-01: two messages are on the same day when the numbers are equal.
 * Cheap (no #GDateTime, no zone file read).
 */
gint64
messenger_message_get_local_day (MessengerMessage *self)
{
  g_autoptr(GTimeZone) zone = NULL;
  guint serial;

  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), 0);

  zone = dup_local_zone (&serial);
  if (self->local_day_serial != serial)
    {
      self->local_day = local_day_of (zone, self->time);
      self->local_day_serial = serial;
    }
  return self->local_day;
}

gint64
messenger_message_get_delay_time (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), 0);
  return self->delay_time;
}

MessengerDeliveryState
messenger_message_get_state (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), MESSENGER_DELIVERY_PENDING);
  return self->state;
}

void
messenger_message_set_state (MessengerMessage       *self,
                             MessengerDeliveryState  state)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE (self));
  g_return_if_fail (state <= MESSENGER_DELIVERY_FAILED);

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

gboolean
messenger_message_get_unread (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), FALSE);
  return self->unread;
}

void
messenger_message_set_unread (MessengerMessage *self,
                              gboolean          unread)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE (self));

  unread = !!unread;
  if (self->unread == unread)
    return;
  self->unread = unread;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
}

const char *
messenger_message_get_snippet (MessengerMessage *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE (self), NULL);
  return self->snippet;
}

void
messenger_message_set_snippet (MessengerMessage *self,
                               const char       *snippet)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE (self));

  if (g_strcmp0 (self->snippet, snippet) == 0)
    return;
  g_free (self->snippet);
  self->snippet = g_strdup (snippet);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SNIPPET]);
}

static void
messenger_message_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MessengerMessage *self = MESSENGER_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case PROP_BODY:
      g_value_set_string (value, self->body);
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    case PROP_OUTGOING:
      g_value_set_boolean (value, self->outgoing);
      break;
    case PROP_THREAD_ID:
      g_value_set_string (value, self->thread_id);
      break;
    case PROP_ORIGIN_ID:
      g_value_set_string (value, self->origin_id);
      break;
    case PROP_SENDER_NAME:
      g_value_set_string (value, self->sender_name);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time);
      break;
    case PROP_DELAY_TIME:
      g_value_set_int64 (value, self->delay_time);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_UNREAD:
      g_value_set_boolean (value, self->unread);
      break;
    case PROP_SNIPPET:
      g_value_set_string (value, self->snippet);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_message_finalize (GObject *object)
{
  MessengerMessage *self = MESSENGER_MESSAGE (object);

  g_free (self->peer);
  g_free (self->body);
  g_free (self->subject);
  g_free (self->thread_id);
  g_free (self->origin_id);
  g_free (self->sender_name);
  g_free (self->snippet);

  G_OBJECT_CLASS (messenger_message_parent_class)->finalize (object);
}

static void
messenger_message_class_init (MessengerMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_message_get_property;
  object_class->finalize = messenger_message_finalize;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER] =
    g_param_spec_string ("peer", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BODY] =
    g_param_spec_string ("body", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBJECT] =
    g_param_spec_string ("subject", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OUTGOING] =
    g_param_spec_boolean ("outgoing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_THREAD_ID] =
    g_param_spec_string ("thread-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ORIGIN_ID] =
    g_param_spec_string ("origin-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SENDER_NAME] =
    g_param_spec_string ("sender-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DELAY_TIME] =
    g_param_spec_int64 ("delay-time", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, MESSENGER_TYPE_DELIVERY_STATE, MESSENGER_DELIVERY_PENDING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNREAD] =
    g_param_spec_boolean ("unread", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SNIPPET] =
    g_param_spec_string ("snippet", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_message_init (MessengerMessage *self)
{
}
