/* messenger-contact.c: one person in an account's roster */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-avatar.h"
#include "messenger-contact.h"

struct _MessengerContact
{
  GObject                parent_instance;

  char                  *jid;
  char                  *name;
  GStrv                  groups;
  MessengerSubscription  subscription;
  gboolean               awaiting_approval;
  XmppShow               show;
  char                  *status;
  guint                  unread_count;

  /* derived, computed when first asked for: loading a large roster
   * should not pay for avatars and sort keys nobody looked at yet */
  double                 color_hue;
  char                  *color;        /* NULL until asked for */
  char                  *initials;     /* NULL until asked for */
  char                  *collate_key;  /* NULL until asked for */
};

G_DEFINE_FINAL_TYPE (MessengerContact, messenger_contact, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MessengerSubscription, messenger_subscription,
  G_DEFINE_ENUM_VALUE (MESSENGER_SUBSCRIPTION_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MESSENGER_SUBSCRIPTION_TO, "to"),
  G_DEFINE_ENUM_VALUE (MESSENGER_SUBSCRIPTION_FROM, "from"),
  G_DEFINE_ENUM_VALUE (MESSENGER_SUBSCRIPTION_BOTH, "both"))

enum {
  PROP_0,
  PROP_JID,
  PROP_NAME,
  PROP_DISPLAY_NAME,
  PROP_GROUPS,
  PROP_SUBSCRIPTION,
  PROP_AWAITING_APPROVAL,
  PROP_SUBSCRIPTION_DESCRIPTION,
  PROP_SHOW,
  PROP_STATUS,
  PROP_ONLINE,
  PROP_UNREAD_COUNT,
  PROP_COLOR_HUE,
  PROP_COLOR,
  PROP_INITIALS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

MessengerContact *
messenger_contact_new (const char *jid)
{
  MessengerContact *self;

  g_return_val_if_fail (jid != NULL, NULL);

  /* Not through the "jid" property: this is the hot path of loading a
   * roster, and GValue marshalling shows there. */
  self = g_object_new (MESSENGER_TYPE_CONTACT, NULL);
  self->jid = g_strdup (jid);
  return self;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GStrv
normalize_groups (const char * const *groups)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; groups != NULL && groups[i] != NULL; i++)
    if (*groups[i] != '\0')
      g_ptr_array_add (sorted, g_strdup (groups[i]));
  g_ptr_array_sort (sorted, compare_strings);
  for (guint i = 1; i < sorted->len;)
    if (strcmp (sorted->pdata[i - 1], sorted->pdata[i]) == 0)
      g_ptr_array_remove_index (sorted, i);
    else
      i++;
  g_ptr_array_add (sorted, NULL);
  g_ptr_array_set_free_func (sorted, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&sorted), FALSE);
}

MessengerContact *
messenger_contact_new_full (const char            *jid,
                            const char            *name,
                            MessengerSubscription  subscription,
                            gboolean               awaiting_approval,
                            const char * const    *groups)
{
  MessengerContact *self = messenger_contact_new (jid);

  g_return_val_if_fail (subscription <= MESSENGER_SUBSCRIPTION_BOTH, self);

  self->name = name != NULL && *name != '\0' ? g_strdup (name) : NULL;
  self->subscription = subscription;
  self->awaiting_approval = !!awaiting_approval;
  if (groups != NULL && groups[0] != NULL)
    {
      g_strfreev (self->groups);
      self->groups = normalize_groups (groups);
    }
  return self;
}

const char *
messenger_contact_get_jid (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);
  return self->jid;
}

const char *
messenger_contact_get_name (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);
  return self->name;
}

const char *
messenger_contact_get_display_name (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);
  return self->name != NULL ? self->name : self->jid;
}

static const char *
ensure_collate_key (MessengerContact *self)
{
  if (self->collate_key == NULL)
    {
      g_autofree char *folded = g_utf8_casefold (messenger_contact_get_display_name (self), -1);

      self->collate_key = g_utf8_collate_key (folded, -1);
    }
  return self->collate_key;
}

static void
update_display_name (MessengerContact *self)
{
  g_autofree char *initials = NULL;

  g_clear_pointer (&self->collate_key, g_free);
  /* Initials nobody asked for yet need no notification. */
  if (self->initials == NULL)
    return;
  initials = messenger_avatar_initials (messenger_contact_get_display_name (self));
  if (g_strcmp0 (initials, self->initials) != 0)
    {
      g_free (self->initials);
      self->initials = g_steal_pointer (&initials);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIALS]);
    }
}

void
messenger_contact_set_name (MessengerContact *self,
                            const char       *name)
{
  g_return_if_fail (MESSENGER_IS_CONTACT (self));

  if (name != NULL && *name == '\0')
    name = NULL;
  if (g_strcmp0 (self->name, name) == 0)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->name);
  self->name = g_strdup (name);
  update_display_name (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  g_object_thaw_notify (G_OBJECT (self));
}

const char * const *
messenger_contact_get_groups (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);
  return (const char * const *) self->groups;
}

void
messenger_contact_set_groups (MessengerContact   *self,
                              const char * const *groups)
{
  g_auto(GStrv) normalized = NULL;

  g_return_if_fail (MESSENGER_IS_CONTACT (self));

  normalized = normalize_groups (groups);
  if (g_strv_equal ((const char * const *) normalized, (const char * const *) self->groups))
    return;

  g_strfreev (self->groups);
  self->groups = g_steal_pointer (&normalized);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUPS]);
}

gboolean
messenger_contact_is_in_group (MessengerContact *self,
                               const char       *group)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), FALSE);
  g_return_val_if_fail (group != NULL, FALSE);

  return g_strv_contains ((const char * const *) self->groups, group);
}

MessengerSubscription
messenger_contact_get_subscription (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), MESSENGER_SUBSCRIPTION_NONE);
  return self->subscription;
}

gboolean
messenger_contact_get_awaiting_approval (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), FALSE);
  return self->awaiting_approval;
}

void
messenger_contact_set_subscription (MessengerContact      *self,
                                    MessengerSubscription  subscription,
                                    gboolean               awaiting_approval)
{
  const char *before;

  g_return_if_fail (MESSENGER_IS_CONTACT (self));
  g_return_if_fail (subscription <= MESSENGER_SUBSCRIPTION_BOTH);

  awaiting_approval = !!awaiting_approval;
  if (self->subscription == subscription && self->awaiting_approval == awaiting_approval)
    return;

  before = messenger_contact_get_subscription_description (self);
  g_object_freeze_notify (G_OBJECT (self));
  if (self->subscription != subscription)
    {
      self->subscription = subscription;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBSCRIPTION]);
    }
  if (self->awaiting_approval != awaiting_approval)
    {
      self->awaiting_approval = awaiting_approval;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AWAITING_APPROVAL]);
    }
  /* The descriptions are static strings: comparing pointers is enough. */
  if (before != messenger_contact_get_subscription_description (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBSCRIPTION_DESCRIPTION]);
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
messenger_contact_get_subscription_description (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);

  switch (self->subscription)
    {
    case MESSENGER_SUBSCRIPTION_BOTH:
      return _("You see each other");
    case MESSENGER_SUBSCRIPTION_TO:
      return _("You see when they are online");
    case MESSENGER_SUBSCRIPTION_FROM:
      if (self->awaiting_approval)
        return _("Waiting for approval");
      return _("They see when you are online");
    case MESSENGER_SUBSCRIPTION_NONE:
    default:
      if (self->awaiting_approval)
        return _("Waiting for approval");
      return _("You don’t see each other");
    }
}

XmppShow
messenger_contact_get_show (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), XMPP_SHOW_OFFLINE);
  return self->show;
}

const char *
messenger_contact_get_status (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);
  return self->status;
}

gboolean
messenger_contact_get_online (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), FALSE);
  return self->show != XMPP_SHOW_OFFLINE;
}

void
messenger_contact_set_presence (MessengerContact *self,
                                XmppShow          show,
                                const char       *status)
{
  gboolean was_online;

  g_return_if_fail (MESSENGER_IS_CONTACT (self));
  g_return_if_fail (show <= XMPP_SHOW_OFFLINE);

  if (status != NULL && *status == '\0')
    status = NULL;
  if (self->show == show && g_strcmp0 (self->status, status) == 0)
    return;

  was_online = messenger_contact_get_online (self);
  g_object_freeze_notify (G_OBJECT (self));
  if (self->show != show)
    {
      self->show = show;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW]);
    }
  if (g_strcmp0 (self->status, status) != 0)
    {
      g_free (self->status);
      self->status = g_strdup (status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (was_online != messenger_contact_get_online (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE]);
  g_object_thaw_notify (G_OBJECT (self));
}

guint
messenger_contact_get_unread_count (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), 0);
  return self->unread_count;
}

void
messenger_contact_set_unread_count (MessengerContact *self,
                                    guint             count)
{
  g_return_if_fail (MESSENGER_IS_CONTACT (self));

  if (self->unread_count == count)
    return;
  self->unread_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

static void
ensure_color (MessengerContact *self)
{
  if (self->color == NULL)
    {
      self->color_hue = messenger_avatar_hue (self->jid);
      self->color = messenger_avatar_color (self->jid);
    }
}

double
messenger_contact_get_color_hue (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), 0.0);

  ensure_color (self);
  return self->color_hue;
}

const char *
messenger_contact_get_color (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);

  ensure_color (self);
  return self->color;
}

const char *
messenger_contact_get_initials (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);

  if (self->initials == NULL)
    self->initials = messenger_avatar_initials (messenger_contact_get_display_name (self));
  return self->initials;
}

int
messenger_contact_compare (gconstpointer a,
                           gconstpointer b,
                           gpointer      user_data)
{
  MessengerContact *ca = (MessengerContact *) a;
  MessengerContact *cb = (MessengerContact *) b;
  int result;

  if (ca->show != cb->show)
    return ca->show < cb->show ? -1 : 1;
  if ((result = strcmp (ensure_collate_key (ca), ensure_collate_key (cb))) != 0)
    return result;
  return strcmp (ca->jid, cb->jid);
}

static void
messenger_contact_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MessengerContact *self = MESSENGER_CONTACT (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_string (value, self->jid);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, messenger_contact_get_display_name (self));
      break;
    case PROP_GROUPS:
      g_value_set_boxed (value, self->groups);
      break;
    case PROP_SUBSCRIPTION:
      g_value_set_enum (value, self->subscription);
      break;
    case PROP_AWAITING_APPROVAL:
      g_value_set_boolean (value, self->awaiting_approval);
      break;
    case PROP_SUBSCRIPTION_DESCRIPTION:
      g_value_set_string (value, messenger_contact_get_subscription_description (self));
      break;
    case PROP_SHOW:
      g_value_set_int (value, self->show);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, messenger_contact_get_online (self));
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;
    case PROP_COLOR_HUE:
      g_value_set_double (value, messenger_contact_get_color_hue (self));
      break;
    case PROP_COLOR:
      g_value_set_string (value, messenger_contact_get_color (self));
      break;
    case PROP_INITIALS:
      g_value_set_string (value, messenger_contact_get_initials (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_contact_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MessengerContact *self = MESSENGER_CONTACT (object);

  switch (prop_id)
    {
    case PROP_JID:
      self->jid = g_value_dup_string (value);
      break;
    case PROP_NAME:
      messenger_contact_set_name (self, g_value_get_string (value));
      break;
    case PROP_GROUPS:
      messenger_contact_set_groups (self, g_value_get_boxed (value));
      break;
    case PROP_UNREAD_COUNT:
      messenger_contact_set_unread_count (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_contact_finalize (GObject *object)
{
  MessengerContact *self = MESSENGER_CONTACT (object);

  g_free (self->jid);
  g_free (self->name);
  g_strfreev (self->groups);
  g_free (self->status);
  g_free (self->color);
  g_free (self->initials);
  g_free (self->collate_key);

  G_OBJECT_CLASS (messenger_contact_parent_class)->finalize (object);
}

static void
messenger_contact_class_init (MessengerContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_contact_get_property;
  object_class->set_property = messenger_contact_set_property;
  object_class->finalize = messenger_contact_finalize;

  properties[PROP_JID] =
    g_param_spec_string ("jid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_GROUPS] =
    g_param_spec_boxed ("groups", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBSCRIPTION] =
    g_param_spec_enum ("subscription", NULL, NULL, MESSENGER_TYPE_SUBSCRIPTION,
                       MESSENGER_SUBSCRIPTION_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AWAITING_APPROVAL] =
    g_param_spec_boolean ("awaiting-approval", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBSCRIPTION_DESCRIPTION] =
    g_param_spec_string ("subscription-description", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW] =
    g_param_spec_int ("show", NULL, NULL, XMPP_SHOW_CHAT, XMPP_SHOW_OFFLINE, XMPP_SHOW_OFFLINE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE] =
    g_param_spec_boolean ("online", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR_HUE] =
    g_param_spec_double ("color-hue", NULL, NULL, 0.0, 360.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR] =
    g_param_spec_string ("color", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INITIALS] =
    g_param_spec_string ("initials", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_contact_init (MessengerContact *self)
{
  self->show = XMPP_SHOW_OFFLINE;
  self->groups = g_new0 (char *, 1);
}
