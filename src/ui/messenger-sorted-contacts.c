/* messenger-sorted-contacts.c: a group's contacts, filtered and sorted for the view
 *
 * GtkSortListModel answers a moved item with one items-changed covering
 * every position between its old and new place, and a GtkListView then
 * rebinds every visible row in that range: with thousands of contacts and
 * a burst of presence changes at login, rebinding is nearly all the work
 * (measured: 5,000 changes, ~2 s of which 0.1 s in the models).  This
 * model says exactly what moved instead:
 *
 *   source items-changed (p, 1, 1), same contact (its presence or name
 *   changed):        removed from its old place (old, 1, 0), inserted at
 *                    its new one (new, 0, 1); (old, 1, 1) when it stays
 *   other changes:   each removed contact (i, 1, 0), each added one
 *                    (j, 0, 1); a big change is one (0, n, m) rebuild
 *   filter "changed": rebuild
 *
 * The source (a MessengerGroup) is ordered by JID; a copy of its items is
 * kept so removed items are known.  Finding a contact's place here is a
 * scan for the pointer (sort keys may just have changed, so no binary
 * search), then a binary search for the new place.
 */
#include "config.h"

#include "messenger-contact.h"
#include "messenger-sorted-contacts.h"

#define REBUILD_THRESHOLD 64

struct _MessengerSortedContacts
{
  GObject     parent_instance;

  GListModel *source;
  GtkFilter  *filter;
  GPtrArray  *shadow;   /* the source's items, in its order (owned) */
  GPtrArray  *items;    /* shown items, sorted (owned) */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerSortedContacts, messenger_sorted_contacts, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_CONTACT;
}

static guint
get_n_items (GListModel *model)
{
  return MESSENGER_SORTED_CONTACTS (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  MessengerSortedContacts *self = MESSENGER_SORTED_CONTACTS (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static gboolean
shown (MessengerSortedContacts *self,
       gpointer                 contact)
{
  return self->filter == NULL || gtk_filter_match (self->filter, contact);
}

static int
compare_cb (gconstpointer a,
            gconstpointer b,
            gpointer      user_data)
{
  return messenger_contact_compare (*(gpointer *) a, *(gpointer *) b, NULL);
}

/* Where @contact goes in the (sorted) items. */
static guint
insertion_point (MessengerSortedContacts *self,
                 gpointer                 contact)
{
  guint low = 0, high = self->items->len;

  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (messenger_contact_compare (self->items->pdata[mid], contact, NULL) < 0)
        low = mid + 1;
      else
        high = mid;
    }
  return low;
}

static gboolean
find (MessengerSortedContacts *self,
      gpointer                 contact,
      guint                   *position)
{
  for (guint i = 0; i < self->items->len; i++)
    if (self->items->pdata[i] == contact)
      {
        *position = i;
        return TRUE;
      }
  return FALSE;
}

static void
rebuild (MessengerSortedContacts *self)
{
  guint removed = self->items->len;

  g_ptr_array_set_size (self->items, 0);
  for (guint i = 0; i < self->shadow->len; i++)
    if (shown (self, self->shadow->pdata[i]))
      g_ptr_array_add (self->items, g_object_ref (self->shadow->pdata[i]));
  g_ptr_array_sort_with_data (self->items, compare_cb, NULL);
  if (removed > 0 || self->items->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->items->len);
}

static void
remove_item (MessengerSortedContacts *self,
             gpointer                 contact)
{
  guint position;

  if (find (self, contact, &position))
    {
      g_ptr_array_remove_index (self->items, position);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
    }
}

static void
add_item (MessengerSortedContacts *self,
          gpointer                 contact)
{
  guint position;

  if (!shown (self, contact))
    return;
  position = insertion_point (self, contact);
  g_ptr_array_insert (self->items, position, g_object_ref (contact));
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

/* The same contact changed in place: move it, or hide or show it. */
static void
item_changed (MessengerSortedContacts *self,
              gpointer                 contact)
{
  guint old, position;
  gboolean was = find (self, contact, &old);
  gboolean is = shown (self, contact);

  if (!was)
    {
      if (is)
        add_item (self, contact);
      return;
    }
  if (!is)
    {
      g_ptr_array_remove_index (self->items, old);
      g_list_model_items_changed (G_LIST_MODEL (self), old, 1, 0);
      return;
    }

  /* Take it out, look for its place among the others. */
  contact = g_ptr_array_steal_index (self->items, old);
  position = insertion_point (self, contact);
  if (position == old)
    {
      g_ptr_array_insert (self->items, old, contact);
      g_list_model_items_changed (G_LIST_MODEL (self), old, 1, 1);
      return;
    }
  /* Two changes, each true when it is emitted: the list without it, then
   * with it in its new place. */
  g_list_model_items_changed (G_LIST_MODEL (self), old, 1, 0);
  g_ptr_array_insert (self->items, position, contact);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

static void
source_items_changed_cb (MessengerSortedContacts *self,
                         guint                    position,
                         guint                    removed,
                         guint                    added,
                         GListModel              *source)
{
  g_autoptr(GPtrArray) gone = NULL;

  /* The common case: a contact's presence or name changed. */
  if (removed == 1 && added == 1)
    {
      g_autoptr(GObject) item = g_list_model_get_item (source, position);

      if (item == self->shadow->pdata[position])
        {
          item_changed (self, item);
          return;
        }
    }

  gone = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < removed; i++)
    g_ptr_array_add (gone, g_ptr_array_steal_index (self->shadow, position));
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (self->shadow, position + i, g_list_model_get_item (source, position + i));

  if (removed + added > REBUILD_THRESHOLD)
    {
      rebuild (self);
      return;
    }
  for (guint i = 0; i < gone->len; i++)
    remove_item (self, gone->pdata[i]);
  for (guint i = 0; i < added; i++)
    add_item (self, self->shadow->pdata[position + i]);
}

static void
filter_changed_cb (MessengerSortedContacts *self,
                   GtkFilterChange          change,
                   GtkFilter               *filter)
{
  rebuild (self);
}

MessengerSortedContacts *
messenger_sorted_contacts_new (GListModel *source,
                               GtkFilter  *filter)
{
  MessengerSortedContacts *self;
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (source), NULL);
  g_return_val_if_fail (filter == NULL || GTK_IS_FILTER (filter), NULL);

  self = g_object_new (MESSENGER_TYPE_SORTED_CONTACTS, NULL);
  self->source = g_object_ref (source);
  self->filter = filter != NULL ? g_object_ref (filter) : NULL;
  n = g_list_model_get_n_items (source);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (self->shadow, g_list_model_get_item (source, i));
  for (guint i = 0; i < n; i++)
    if (shown (self, self->shadow->pdata[i]))
      g_ptr_array_add (self->items, g_object_ref (self->shadow->pdata[i]));
  g_ptr_array_sort_with_data (self->items, compare_cb, NULL);

  g_signal_connect_object (source, "items-changed", G_CALLBACK (source_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  if (filter != NULL)
    g_signal_connect_object (filter, "changed", G_CALLBACK (filter_changed_cb), self, G_CONNECT_SWAPPED);
  return self;
}

static void
messenger_sorted_contacts_dispose (GObject *object)
{
  MessengerSortedContacts *self = MESSENGER_SORTED_CONTACTS (object);

  g_clear_object (&self->source);
  g_clear_object (&self->filter);

  G_OBJECT_CLASS (messenger_sorted_contacts_parent_class)->dispose (object);
}

static void
messenger_sorted_contacts_finalize (GObject *object)
{
  MessengerSortedContacts *self = MESSENGER_SORTED_CONTACTS (object);

  g_ptr_array_unref (self->shadow);
  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (messenger_sorted_contacts_parent_class)->finalize (object);
}

static void
messenger_sorted_contacts_class_init (MessengerSortedContactsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = messenger_sorted_contacts_dispose;
  object_class->finalize = messenger_sorted_contacts_finalize;
}

static void
messenger_sorted_contacts_init (MessengerSortedContacts *self)
{
  self->shadow = g_ptr_array_new_with_free_func (g_object_unref);
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
