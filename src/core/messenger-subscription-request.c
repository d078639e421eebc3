/* messenger-subscription-request.c: someone asks to see our presence */
#include "config.h"

#include "messenger-avatar.h"
#include "messenger-subscription-request.h"

struct _MessengerSubscriptionRequest
{
  GObject  parent_instance;

  char    *jid;
  gint64   time;
  char    *color;
  char    *initials;
};

G_DEFINE_FINAL_TYPE (MessengerSubscriptionRequest, messenger_subscription_request, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JID,
  PROP_TIME,
  PROP_COLOR,
  PROP_INITIALS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

MessengerSubscriptionRequest *
messenger_subscription_request_new (const char *jid)
{
  MessengerSubscriptionRequest *self;

  g_return_val_if_fail (jid != NULL, NULL);

  self = g_object_new (MESSENGER_TYPE_SUBSCRIPTION_REQUEST, NULL);
  self->jid = g_strdup (jid);
  self->time = g_get_real_time ();
  self->color = messenger_avatar_color (jid);
  self->initials = messenger_avatar_initials (jid);
  return self;
}

const char *
messenger_subscription_request_get_jid (MessengerSubscriptionRequest *self)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST (self), NULL);
  return self->jid;
}

gint64
messenger_subscription_request_get_time (MessengerSubscriptionRequest *self)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST (self), 0);
  return self->time;
}

const char *
messenger_subscription_request_get_color (MessengerSubscriptionRequest *self)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST (self), NULL);
  return self->color;
}

const char *
messenger_subscription_request_get_initials (MessengerSubscriptionRequest *self)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST (self), NULL);
  return self->initials;
}

static void
messenger_subscription_request_get_property (GObject    *object,
                                             guint       prop_id,
                                             GValue     *value,
                                             GParamSpec *pspec)
{
  MessengerSubscriptionRequest *self = MESSENGER_SUBSCRIPTION_REQUEST (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_string (value, self->jid);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time);
      break;
    case PROP_COLOR:
      g_value_set_string (value, self->color);
      break;
    case PROP_INITIALS:
      g_value_set_string (value, self->initials);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_subscription_request_finalize (GObject *object)
{
  MessengerSubscriptionRequest *self = MESSENGER_SUBSCRIPTION_REQUEST (object);

  g_free (self->jid);
  g_free (self->color);
  g_free (self->initials);

  G_OBJECT_CLASS (messenger_subscription_request_parent_class)->finalize (object);
}

static void
messenger_subscription_request_class_init (MessengerSubscriptionRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_subscription_request_get_property;
  object_class->finalize = messenger_subscription_request_finalize;

  properties[PROP_JID] =
    g_param_spec_string ("jid", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR] =
    g_param_spec_string ("color", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INITIALS] =
    g_param_spec_string ("initials", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_subscription_request_init (MessengerSubscriptionRequest *self)
{
}
