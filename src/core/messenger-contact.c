/* messenger-contact.c: one person in an account's roster */
#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "messenger-avatar.h"
#include "messenger-contact-private.h"

/* What only a row on screen asks for, made when first asked. */
typedef struct
{
  double  color_hue;
  char    color[8];   /* "#rrggbb", "" until asked for */
  char   *initials;   /* NULL until asked for */
} ContactAvatar;

struct _MessengerContact
{
  GObject                   parent_instance;

  /* A roster load makes thousands of contacts at once, so what a contact
   * is made with lives in one allocation that starts at jid: the JID,
   * then the name and the groups (strings, then their vector).  A later
   * name or groups array is allocated on its own; the flags say which
   * pointers are into that block, so only the others are freed. */
  char                     *jid;
  char                     *name;
  GStrv                     groups;

  MessengerContactObserver  observer;
  gpointer                  observer_data;

  char                     *status;
  guint                     unread_count;
  guint                     subscription : 2;       /* MessengerSubscription */
  guint                     show : 3;               /* XmppShow */
  guint                     awaiting_approval : 1;
  guint                     jid_packed : 1;
  guint                     name_packed : 1;
  guint                     groups_packed : 1;

  /* Derived, computed when first asked for: loading a large roster pays
   * neither for avatars nor for sort keys.  Every contact gets a sort key
   * once the view sorts; only shown ones get an avatar. */
  char                     *collate_key;  /* NULL until asked for */
  ContactAvatar            *avatar;       /* NULL until asked for */
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

/* The groups of a contact without groups (never freed). */
static char *no_groups[] = { NULL };

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Whether @groups is already what a contact keeps: no empty names, sorted,
 * without duplicates.  A roster item from the store always is. */
static gboolean
groups_are_normal (const char * const *groups)
{
  for (guint i = 0; groups[i] != NULL; i++)
    if (*groups[i] == '\0' || (i > 0 && strcmp (groups[i - 1], groups[i]) >= 0))
      return FALSE;
  return TRUE;
}

/* Sorts the non-empty names of @groups into @names, without duplicates;
 * returns how many.  @names has room for all of @groups. */
static guint
sort_groups (const char * const *groups,
             const char        **names)
{
  guint n = 0, kept = 0;

  for (guint i = 0; groups[i] != NULL; i++)
    if (*groups[i] != '\0')
      names[n++] = groups[i];
  qsort (names, n, sizeof *names, compare_strings);
  for (guint i = 0; i < n; i++)
    if (kept == 0 || strcmp (names[kept - 1], names[i]) != 0)
      names[kept++] = names[i];
  return kept;
}

static GStrv
normalize_groups (const char * const *groups)
{
  g_autofree const char **names = NULL;
  GStrv result;
  guint n;

  if (groups == NULL)
    return g_new0 (char *, 1);
  names = g_new (const char *, g_strv_length ((char **) groups) + 1);
  n = sort_groups (groups, names);
  result = g_new (char *, n + 1);
  for (guint i = 0; i < n; i++)
    result[i] = g_strdup (names[i]);
  result[n] = NULL;
  return result;
}

/* A contact whose JID, name and groups (@n_groups names, normalized) are
 * copied into one allocation. */
static MessengerContact *
contact_new_packed (const char         *jid,
                    const char         *name,
                    const char * const *groups,
                    guint               n_groups)
{
  MessengerContact *self;
  gsize jid_size = strlen (jid) + 1;
  gsize name_size = name != NULL ? strlen (name) + 1 : 0;
  gsize strings_size = jid_size + name_size;
  char *block, *p;
  char **vector;

  for (guint i = 0; i < n_groups; i++)
    strings_size += strlen (groups[i]) + 1;
  /* The vector after the strings, aligned for pointers. */
  strings_size = (strings_size + sizeof (char *) - 1) & ~(sizeof (char *) - 1);
  block = g_malloc (strings_size + (n_groups + 1) * sizeof (char *));
  vector = (char **) (gpointer) (block + strings_size);

  p = block;
  memcpy (p, jid, jid_size);
  p += jid_size;
  if (name != NULL)
    {
      memcpy (p, name, name_size);
      p += name_size;
    }
  for (guint i = 0; i < n_groups; i++)
    {
      gsize size = strlen (groups[i]) + 1;

      memcpy (p, groups[i], size);
      vector[i] = p;
      p += size;
    }
  vector[n_groups] = NULL;

  /* Not through the "jid" property: this is the hot path of loading a
   * roster, and GValue marshalling shows there. */
  self = g_object_new (MESSENGER_TYPE_CONTACT, NULL);
  g_free (self->jid);
  self->jid = block;
  self->jid_packed = TRUE;
  self->name = name != NULL ? block + jid_size : NULL;
  self->name_packed = TRUE;
  self->groups = vector;
  self->groups_packed = TRUE;
  return self;
}

MessengerContact *
messenger_contact_new (const char *jid)
{
  g_return_val_if_fail (jid != NULL, NULL);

  return contact_new_packed (jid, NULL, NULL, 0);
}

MessengerContact *
messenger_contact_new_full (const char            *jid,
                            const char            *name,
                            MessengerSubscription  subscription,
                            gboolean               awaiting_approval,
                            const char * const    *groups)
{
  MessengerContact *self;
  const char *stack_names[16];
  g_autofree const char **heap_names = NULL;
  const char * const *names = groups;
  guint n_groups = 0;

  g_return_val_if_fail (jid != NULL, NULL);

  if (groups != NULL && !groups_are_normal (groups))
    {
      guint length = g_strv_length ((char **) groups);
      const char **sorted = length < G_N_ELEMENTS (stack_names)
                            ? stack_names : (heap_names = g_new (const char *, length + 1));

      n_groups = sort_groups (groups, sorted);
      names = sorted;
    }
  else if (groups != NULL)
    n_groups = g_strv_length ((char **) groups);

  self = contact_new_packed (jid, name != NULL && *name != '\0' ? name : NULL, names, n_groups);

  g_return_val_if_fail (subscription <= MESSENGER_SUBSCRIPTION_BOTH, self);

  self->subscription = subscription;
  self->awaiting_approval = !!awaiting_approval;
  return self;
}

void
_messenger_contact_set_observer (MessengerContact         *self,
                                 MessengerContactObserver  observer,
                                 gpointer                  user_data)
{
  g_return_if_fail (MESSENGER_IS_CONTACT (self));

  self->observer = observer;
  self->observer_data = observer != NULL ? user_data : NULL;
}

/* Tells the observer, while the change's notifications are still queued
 * (see messenger-contact-private.h). */
static void
observe (MessengerContact       *self,
         MessengerContactChange  change)
{
  if (self->observer != NULL)
    self->observer (self, change, self->observer_data);
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
  if (self->avatar == NULL || self->avatar->initials == NULL)
    return;
  initials = messenger_avatar_initials (messenger_contact_get_display_name (self));
  if (g_strcmp0 (initials, self->avatar->initials) != 0)
    {
      g_free (self->avatar->initials);
      self->avatar->initials = g_steal_pointer (&initials);
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
  if (!self->name_packed)
    g_free (self->name);
  self->name = g_strdup (name);
  self->name_packed = FALSE;
  update_display_name (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  observe (self, MESSENGER_CONTACT_CHANGED_SORT_KEY);
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

  if (!self->groups_packed)
    g_strfreev (self->groups);
  self->groups = g_steal_pointer (&normalized);
  self->groups_packed = FALSE;
  observe (self, MESSENGER_CONTACT_CHANGED_GROUPS);
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
  gboolean was_online, show_changed;

  g_return_if_fail (MESSENGER_IS_CONTACT (self));
  g_return_if_fail (show <= XMPP_SHOW_OFFLINE);

  if (status != NULL && *status == '\0')
    status = NULL;
  if (self->show == show && g_strcmp0 (self->status, status) == 0)
    return;

  was_online = messenger_contact_get_online (self);
  show_changed = self->show != show;
  g_object_freeze_notify (G_OBJECT (self));
  if (show_changed)
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
  if (show_changed)
    observe (self, MESSENGER_CONTACT_CHANGED_SORT_KEY);
  if (was_online != messenger_contact_get_online (self))
    observe (self, MESSENGER_CONTACT_CHANGED_ONLINE);
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

static ContactAvatar *
ensure_avatar (MessengerContact *self)
{
  if (self->avatar == NULL)
    self->avatar = g_new0 (ContactAvatar, 1);
  return self->avatar;
}

static ContactAvatar *
ensure_color (MessengerContact *self)
{
  ContactAvatar *avatar = ensure_avatar (self);

  if (avatar->color[0] == '\0')
    {
      g_autofree char *color = messenger_avatar_color (self->jid);

      avatar->color_hue = messenger_avatar_hue (self->jid);
      g_strlcpy (avatar->color, color, sizeof avatar->color);
    }
  return avatar;
}

double
messenger_contact_get_color_hue (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), 0.0);

  return ensure_color (self)->color_hue;
}

const char *
messenger_contact_get_color (MessengerContact *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);

  return ensure_color (self)->color;
}

const char *
messenger_contact_get_initials (MessengerContact *self)
{
  ContactAvatar *avatar;

  g_return_val_if_fail (MESSENGER_IS_CONTACT (self), NULL);

  avatar = ensure_avatar (self);
  if (avatar->initials == NULL)
    avatar->initials = messenger_avatar_initials (messenger_contact_get_display_name (self));
  return avatar->initials;
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
      if (!self->jid_packed)
        g_free (self->jid);
      self->jid = g_value_dup_string (value);
      self->jid_packed = FALSE;
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

  if (!self->name_packed)
    g_free (self->name);
  if (!self->groups_packed)
    g_strfreev (self->groups);
  /* Last: the block starts at the JID. */
  g_free (self->jid);
  g_free (self->status);
  if (self->avatar != NULL)
    {
      g_free (self->avatar->initials);
      g_free (self->avatar);
    }
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
  self->groups = no_groups;
  self->groups_packed = TRUE;
}
