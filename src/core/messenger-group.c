/* messenger-group.c: one roster group, as a list of its contacts
 *
 * The contacts are kept in a JID-ordered array, so finding a contact is a
 * binary search.  Every change goes through items_changed(), which also
 * notifies n-items and total-count when the length changed.  Loading a
 * roster appends each group's members in JID order without a search, and
 * announces them in one change.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-group-private.h"

struct _MessengerGroup
{
  GObject    parent_instance;

  char      *roster_name;  /* NULL: ungrouped */
  char      *collate_key;  /* of roster_name, for sorting groups */
  GPtrArray *contacts;     /* MessengerContact, by JID */
  guint      n_announced;  /* contacts that items-changed has told of */
  GPtrArray *pending;      /* MessengerContact added later, by JID, not in contacts */
  guint      online_count;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerGroup, messenger_group, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_NAME,
  PROP_ROSTER_NAME,
  PROP_UNGROUPED,
  PROP_ONLINE_COUNT,
  PROP_TOTAL_COUNT,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

gboolean
_messenger_contacts_find (GPtrArray  *contacts,
                          const char *jid,
                          guint      *position)
{
  guint low = 0, high = contacts->len;

  while (low < high)
    {
      guint mid = low + (high - low) / 2;
      int cmp = strcmp (messenger_contact_get_jid (contacts->pdata[mid]), jid);

      if (cmp == 0)
        {
          *position = mid;
          return TRUE;
        }
      if (cmp < 0)
        low = mid + 1;
      else
        high = mid;
    }
  *position = low;
  return FALSE;
}

static void
items_changed (MessengerGroup *self,
               guint           position,
               guint           removed,
               guint           added)
{
  self->n_announced = self->contacts->len;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_COUNT]);
    }
}

static void
set_online_count (MessengerGroup *self,
                  guint           count)
{
  if (self->online_count == count)
    return;
  self->online_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ONLINE_COUNT]);
}

MessengerGroup *
_messenger_group_new (const char *roster_name)
{
  MessengerGroup *self = g_object_new (MESSENGER_TYPE_GROUP, NULL);

  self->roster_name = g_strdup (roster_name);
  if (roster_name != NULL)
    self->collate_key = g_utf8_collate_key (roster_name, -1);
  return self;
}

void
_messenger_group_append (MessengerGroup   *self,
                         MessengerContact *contact)
{
  g_return_if_fail (MESSENGER_IS_GROUP (self));
  g_return_if_fail (self->contacts->len == 0
                    || strcmp (messenger_contact_get_jid (self->contacts->pdata[self->contacts->len - 1]),
                               messenger_contact_get_jid (contact)) < 0);

  g_ptr_array_add (self->contacts, g_object_ref (contact));
}

void
_messenger_group_add_later (MessengerGroup   *self,
                            MessengerContact *contact)
{
  guint n;

  g_return_if_fail (MESSENGER_IS_GROUP (self));

  n = self->pending->len;
  /* The same group named twice by one contact. */
  if (n > 0 && strcmp (messenger_contact_get_jid (self->pending->pdata[n - 1]),
                       messenger_contact_get_jid (contact)) == 0)
    return;
  g_return_if_fail (n == 0
                    || strcmp (messenger_contact_get_jid (self->pending->pdata[n - 1]),
                               messenger_contact_get_jid (contact)) < 0);
  g_ptr_array_add (self->pending, g_object_ref (contact));
}

/* Merges the pending contacts in, one items-changed per run of contacts
 * that land between the same two members. */
static void
flush_pending (MessengerGroup *self)
{
  g_autoptr(GPtrArray) pending = NULL;
  guint i = 0;

  if (self->pending->len == 0)
    return;
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);

  while (i < pending->len)
    {
      guint position, j, online = 0, len;

      if (_messenger_contacts_find (self->contacts, messenger_contact_get_jid (pending->pdata[i]), &position))
        {
          i++;
          continue;
        }
      for (j = i + 1; j < pending->len; j++)
        if (position < self->contacts->len
            && strcmp (messenger_contact_get_jid (self->contacts->pdata[position]),
                       messenger_contact_get_jid (pending->pdata[j])) <= 0)
          break;

      len = self->contacts->len;
      g_ptr_array_set_size (self->contacts, len + (j - i));
      memmove (self->contacts->pdata + position + (j - i), self->contacts->pdata + position,
               (len - position) * sizeof (gpointer));
      for (guint k = i; k < j; k++)
        {
          self->contacts->pdata[position + k - i] = g_object_ref (pending->pdata[k]);
          if (messenger_contact_get_online (pending->pdata[k]))
            online++;
        }
      /* The list first, then the count, as in _messenger_group_add(). */
      items_changed (self, position, 0, j - i);
      set_online_count (self, self->online_count + online);
      i = j;
    }
}

void
_messenger_group_flush_appended (MessengerGroup *self)
{
  guint from, online = 0;

  g_return_if_fail (MESSENGER_IS_GROUP (self));

  from = self->n_announced;
  if (from < self->contacts->len)
    {
      for (guint i = from; i < self->contacts->len; i++)
        if (messenger_contact_get_online (self->contacts->pdata[i]))
          online++;
      items_changed (self, from, 0, self->contacts->len - from);
      set_online_count (self, self->online_count + online);
    }
  flush_pending (self);
}

gboolean
_messenger_group_has_pending (MessengerGroup *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP (self), FALSE);
  return self->n_announced < self->contacts->len || self->pending->len > 0;
}

void
_messenger_group_add (MessengerGroup   *self,
                      MessengerContact *contact)
{
  guint position;

  g_return_if_fail (MESSENGER_IS_GROUP (self));
  _messenger_group_flush_appended (self);

  if (_messenger_contacts_find (self->contacts, messenger_contact_get_jid (contact), &position))
    return;
  /* The list first, then the count: whoever hears the count finds the
   * model already consistent (and no freeze_notify on this hot path). */
  g_ptr_array_insert (self->contacts, position, g_object_ref (contact));
  items_changed (self, position, 0, 1);
  if (messenger_contact_get_online (contact))
    set_online_count (self, self->online_count + 1);
}

void
_messenger_group_remove (MessengerGroup   *self,
                         MessengerContact *contact)
{
  guint position;

  g_return_if_fail (MESSENGER_IS_GROUP (self));
  _messenger_group_flush_appended (self);

  if (!_messenger_contacts_find (self->contacts, messenger_contact_get_jid (contact), &position))
    return;
  g_ptr_array_remove_index (self->contacts, position);
  items_changed (self, position, 1, 0);
  if (messenger_contact_get_online (contact))
    set_online_count (self, self->online_count - 1);
}

void
_messenger_group_contact_changed (MessengerGroup   *self,
                                  MessengerContact *contact)
{
  guint position;

  g_return_if_fail (MESSENGER_IS_GROUP (self));
  _messenger_group_flush_appended (self);

  if (_messenger_contacts_find (self->contacts, messenger_contact_get_jid (contact), &position))
    items_changed (self, position, 1, 1);
}

void
_messenger_group_online_changed (MessengerGroup   *self,
                                 MessengerContact *contact)
{
  guint position;

  g_return_if_fail (MESSENGER_IS_GROUP (self));
  _messenger_group_flush_appended (self);

  if (!_messenger_contacts_find (self->contacts, messenger_contact_get_jid (contact), &position))
    return;
  if (messenger_contact_get_online (contact))
    set_online_count (self, self->online_count + 1);
  else if (self->online_count > 0)
    set_online_count (self, self->online_count - 1);
}

int
_messenger_group_compare (gconstpointer a,
                          gconstpointer b,
                          gpointer      user_data)
{
  const MessengerGroup *ga = a;
  const MessengerGroup *gb = b;

  if (ga->roster_name == NULL || gb->roster_name == NULL)
    return (ga->roster_name == NULL) - (gb->roster_name == NULL);
  /* g_utf8_collate (), without normalising both names each time */
  return strcmp (ga->collate_key, gb->collate_key);
}

const char *
messenger_group_get_name (MessengerGroup *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP (self), NULL);

  /* Translators: the roster group of contacts that are in no group. */
  return self->roster_name != NULL ? self->roster_name : _("Ungrouped");
}

const char *
messenger_group_get_roster_name (MessengerGroup *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP (self), NULL);
  return self->roster_name;
}

gboolean
messenger_group_is_ungrouped (MessengerGroup *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP (self), FALSE);
  return self->roster_name == NULL;
}

guint
messenger_group_get_online_count (MessengerGroup *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP (self), 0);
  return self->online_count;
}

guint
messenger_group_get_total_count (MessengerGroup *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP (self), 0);
  return self->n_announced;
}

static GType
messenger_group_get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_CONTACT;
}

static guint
messenger_group_get_n_items (GListModel *model)
{
  /* Contacts appended while loading count once announced. */
  return MESSENGER_GROUP (model)->n_announced;
}

static gpointer
messenger_group_get_item (GListModel *model,
                          guint       position)
{
  MessengerGroup *self = MESSENGER_GROUP (model);

  if (position >= self->n_announced)
    return NULL;
  return g_object_ref (self->contacts->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = messenger_group_get_item_type;
  iface->get_n_items = messenger_group_get_n_items;
  iface->get_item = messenger_group_get_item;
}

static void
messenger_group_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MessengerGroup *self = MESSENGER_GROUP (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, messenger_group_get_name (self));
      break;
    case PROP_ROSTER_NAME:
      g_value_set_string (value, self->roster_name);
      break;
    case PROP_UNGROUPED:
      g_value_set_boolean (value, self->roster_name == NULL);
      break;
    case PROP_ONLINE_COUNT:
      g_value_set_uint (value, self->online_count);
      break;
    case PROP_TOTAL_COUNT:
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_announced);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_group_finalize (GObject *object)
{
  MessengerGroup *self = MESSENGER_GROUP (object);

  g_free (self->roster_name);
  g_free (self->collate_key);
  g_ptr_array_unref (self->contacts);
  g_ptr_array_unref (self->pending);

  G_OBJECT_CLASS (messenger_group_parent_class)->finalize (object);
}

static void
messenger_group_class_init (MessengerGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_group_get_property;
  object_class->finalize = messenger_group_finalize;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROSTER_NAME] =
    g_param_spec_string ("roster-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNGROUPED] =
    g_param_spec_boolean ("ungrouped", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ONLINE_COUNT] =
    g_param_spec_uint ("online-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL_COUNT] =
    g_param_spec_uint ("total-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_group_init (MessengerGroup *self)
{
  self->contacts = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
}
