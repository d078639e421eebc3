/* messenger-search.c: full-text search over the history, as a list model
 *
 * Each search reads one page more than it shows, to know whether there is
 * more.  A generation number tells late answers of an older query apart
 * from the current one (cancelling may come too late to stop a read that
 * already finished).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-message.h"
#include "messenger-search.h"

struct _MessengerSearch
{
  GObject         parent_instance;

  /* owned */
  MessengerStore *store;
  gint64          account_id;
  char           *peer;

  char           *query;
  GPtrArray      *items;        /* MessengerMessage, newest first */
  GCancellable   *cancellable;
  guint           generation;
  gboolean        searching;
  gboolean        has_more;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerSearch, messenger_search, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_QUERY,
  PROP_SEARCHING,
  PROP_HAS_MORE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
items_changed (MessengerSearch *self,
               guint            position,
               guint            removed,
               guint            added)
{
  if (removed == 0 && added == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
set_searching (MessengerSearch *self,
               gboolean         searching)
{
  if (self->searching == searching)
    return;
  self->searching = searching;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCHING]);
}

static void
set_has_more (MessengerSearch *self,
              gboolean         has_more)
{
  if (self->has_more == has_more)
    return;
  self->has_more = has_more;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
}

typedef struct
{
  MessengerSearch *search;
  guint            generation;
  gboolean         append;
} SearchData;

static void
searched_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SearchData *data = user_data;
  MessengerSearch *self = data->search;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  gboolean more = FALSE;
  guint removed, position;

  hits = messenger_store_search_finish (MESSENGER_STORE (source), result, &error);
  if (data->generation != self->generation)
    goto out;

  g_object_freeze_notify (G_OBJECT (self));
  set_searching (self, FALSE);
  if (hits == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Search failed: %s", error->message);
      g_object_thaw_notify (G_OBJECT (self));
      goto out;
    }

  if (hits->len > MESSENGER_SEARCH_PAGE_SIZE)
    {
      more = TRUE;
      g_ptr_array_set_size (hits, MESSENGER_SEARCH_PAGE_SIZE);
    }
  page = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < hits->len; i++)
    {
      const MessengerStoreSearchHit *hit = hits->pdata[i];
      const char *sender = hit->message->direction == MESSENGER_STORE_DIRECTION_OUT
                           /* Translators: the sender of one's own messages. */
                           ? _("You") : hit->message->peer;
      MessengerMessage *message = messenger_message_new_from_record (hit->message, sender);

      messenger_message_set_snippet (message, hit->snippet);
      g_ptr_array_add (page, message);
    }

  removed = data->append ? 0 : self->items->len;
  position = data->append ? self->items->len : 0;
  if (!data->append)
    g_ptr_array_set_size (self->items, 0);
  g_ptr_array_extend_and_steal (self->items, g_steal_pointer (&page));
  set_has_more (self, more);
  items_changed (self, position, removed, self->items->len - position);
  g_object_thaw_notify (G_OBJECT (self));

out:
  g_object_unref (data->search);
  g_free (data);
}

static void
start (MessengerSearch *self,
       gboolean         append)
{
  SearchData *data;
  gint64 before = 0;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->generation++;

  if (append && self->items->len > 0)
    before = messenger_message_get_id (g_ptr_array_index (self->items, self->items->len - 1));

  self->cancellable = g_cancellable_new ();
  data = g_new0 (SearchData, 1);
  data->search = g_object_ref (self);
  data->generation = self->generation;
  data->append = append;
  set_searching (self, TRUE);
  messenger_store_search_async (self->store, self->account_id, self->peer, self->query, before,
                                MESSENGER_SEARCH_PAGE_SIZE + 1, self->cancellable, searched_cb, data);
}

MessengerSearch *
messenger_search_new (MessengerStore *store,
                      gint64          account_id,
                      const char     *peer)
{
  MessengerSearch *self;

  g_return_val_if_fail (MESSENGER_IS_STORE (store), NULL);
  g_return_val_if_fail (peer == NULL || account_id > 0, NULL);

  self = g_object_new (MESSENGER_TYPE_SEARCH, NULL);
  self->store = g_object_ref (store);
  self->account_id = account_id;
  self->peer = g_strdup (peer);
  return self;
}

const char *
messenger_search_get_query (MessengerSearch *self)
{
  g_return_val_if_fail (MESSENGER_IS_SEARCH (self), NULL);
  return self->query;
}

void
messenger_search_set_query (MessengerSearch *self,
                            const char      *query)
{
  g_return_if_fail (MESSENGER_IS_SEARCH (self));

  if (query != NULL && *query == '\0')
    query = NULL;
  if (g_strcmp0 (self->query, query) == 0)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->query);
  self->query = g_strdup (query);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUERY]);

  if (query != NULL)
    {
      start (self, FALSE);
    }
  else
    {
      guint removed = self->items->len;

      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->generation++;
      g_ptr_array_set_size (self->items, 0);
      set_searching (self, FALSE);
      set_has_more (self, FALSE);
      items_changed (self, 0, removed, 0);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
messenger_search_get_searching (MessengerSearch *self)
{
  g_return_val_if_fail (MESSENGER_IS_SEARCH (self), FALSE);
  return self->searching;
}

gboolean
messenger_search_get_has_more (MessengerSearch *self)
{
  g_return_val_if_fail (MESSENGER_IS_SEARCH (self), FALSE);
  return self->has_more;
}

void
messenger_search_load_more (MessengerSearch *self)
{
  g_return_if_fail (MESSENGER_IS_SEARCH (self));

  if (self->query == NULL || !self->has_more || self->searching)
    return;
  start (self, TRUE);
}

static GType
messenger_search_get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_MESSAGE;
}

static guint
messenger_search_get_n_items (GListModel *model)
{
  return MESSENGER_SEARCH (model)->items->len;
}

static gpointer
messenger_search_get_item (GListModel *model,
                           guint       position)
{
  MessengerSearch *self = MESSENGER_SEARCH (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = messenger_search_get_item_type;
  iface->get_n_items = messenger_search_get_n_items;
  iface->get_item = messenger_search_get_item;
}

static void
messenger_search_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MessengerSearch *self = MESSENGER_SEARCH (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      g_value_set_string (value, self->query);
      break;
    case PROP_SEARCHING:
      g_value_set_boolean (value, self->searching);
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->has_more);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_search_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MessengerSearch *self = MESSENGER_SEARCH (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      messenger_search_set_query (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_search_dispose (GObject *object)
{
  MessengerSearch *self = MESSENGER_SEARCH (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (messenger_search_parent_class)->dispose (object);
}

static void
messenger_search_finalize (GObject *object)
{
  MessengerSearch *self = MESSENGER_SEARCH (object);

  g_free (self->peer);
  g_free (self->query);
  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (messenger_search_parent_class)->finalize (object);
}

static void
messenger_search_class_init (MessengerSearchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_search_get_property;
  object_class->set_property = messenger_search_set_property;
  object_class->dispose = messenger_search_dispose;
  object_class->finalize = messenger_search_finalize;

  properties[PROP_QUERY] =
    g_param_spec_string ("query", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCHING] =
    g_param_spec_boolean ("searching", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_MORE] =
    g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_search_init (MessengerSearch *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
