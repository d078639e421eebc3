/* messenger-message-list.c: a window on a conversation's history
 *
 *   store: ... older ... [ window: items, oldest first ] ... newer ...
 *                  ▲ load_older()                  load_newer() ▲
 *                                     live messages ──▶ (at the newest end)
 *
 * Messages are ordered by the store's row id, which is time-ordered, so
 * both paging anchors and the place of a live message are found by id.
 * A page is read with one row more than asked for, which tells whether
 * there is more beyond it without another query.
 */
#include "config.h"

#include "messenger-conversation-private.h"
#include "messenger-message-list.h"

struct _MessengerMessageList
{
  GObject                parent_instance;

  /* owned */
  MessengerConversation *conversation;
  char                  *thread_id;

  guint                  page_size;
  guint                  max_pages;
  GPtrArray             *items;           /* MessengerMessage, by id */
  gboolean               has_older;
  gboolean               has_newer;
  /* Where the person reads: the newest end (live messages go in, the
   * oldest are dropped) or further back (the newest are dropped). */
  gboolean               reading_newest;

  /* Live messages held back to go in together (live-delay): a flood then
   * costs a view one change a batch, not one a message. */
  guint                  live_delay;      /* ms; 0: each at once */
  GPtrArray             *live;            /* MessengerMessage, not in items yet */
  guint                  live_source;
  gint64                 live_flushed;    /* monotonic µs of the last batch */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerMessageList, messenger_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_THREAD_ID,
  PROP_PAGE_SIZE,
  PROP_MAX_PAGES,
  PROP_HAS_OLDER,
  PROP_HAS_NEWER,
  PROP_N_ITEMS,
  PROP_LIVE_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
items_changed (MessengerMessageList *self,
               guint                 position,
               guint                 removed,
               guint                 added)
{
  if (removed == 0 && added == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
set_has_older (MessengerMessageList *self,
               gboolean              has_older)
{
  if (self->has_older == has_older)
    return;
  self->has_older = has_older;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_OLDER]);
}

static void
set_has_newer (MessengerMessageList *self,
               gboolean              has_newer)
{
  if (self->has_newer == has_newer)
    return;
  self->has_newer = has_newer;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_NEWER]);
}

static gint64
id_at (MessengerMessageList *self,
       guint                 position)
{
  return messenger_message_get_id (self->items->pdata[position]);
}

/* The first position whose id is >= @id. */
static guint
lower_bound (MessengerMessageList *self,
             gint64                id)
{
  guint low = 0, high = self->items->len;

  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (id_at (self, mid) < id)
        low = mid + 1;
      else
        high = mid;
    }
  return low;
}

static guint
max_items (MessengerMessageList *self)
{
  return self->page_size * self->max_pages;
}

static MessengerMessage *
message_from_record (MessengerMessageList        *self,
                     const MessengerStoreMessage *record)
{
  return messenger_message_new_from_record (record, _messenger_conversation_sender_name (self->conversation,
                                                                                        record));
}

/* One page next to @anchor (0: an end), oldest first; *more says whether
 * the history goes on beyond it. */
static GPtrArray *
read_page (MessengerMessageList        *self,
           MessengerStorePageDirection  direction,
           gint64                       anchor,
           gboolean                    *more)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  GPtrArray *page = g_ptr_array_new_with_free_func (g_object_unref);

  records = messenger_store_load_messages (_messenger_conversation_get_store (self->conversation),
                                           _messenger_conversation_get_account_id (self->conversation),
                                           messenger_conversation_get_peer (self->conversation),
                                           self->thread_id, direction, anchor, self->page_size + 1, &error);
  *more = FALSE;
  if (records == NULL)
    {
      g_warning ("Cannot read the history with %s: %s",
                 messenger_conversation_get_peer (self->conversation), error->message);
      return page;
    }
  if (records->len > self->page_size)
    {
      *more = TRUE;
      /* The extra row is the one furthest from the anchor. */
      g_ptr_array_remove_index (records, direction == MESSENGER_STORE_PAGE_OLDER ? 0 : records->len - 1);
    }
  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (page, message_from_record (self, records->pdata[i]));
  return page;
}

static void flush_live (MessengerMessageList *self);

/* Keep the window within @limit messages: drop the excess at the top
 * (oldest) or at the bottom (newest), in one items-changed. */
static void
trim_to (MessengerMessageList *self,
         guint                 limit,
         gboolean              at_top)
{
  guint excess;

  if (self->items->len <= limit)
    return;
  excess = self->items->len - limit;
  if (at_top)
    {
      g_ptr_array_remove_range (self->items, 0, excess);
      items_changed (self, 0, excess, 0);
      set_has_older (self, TRUE);
    }
  else
    {
      guint position = self->items->len - excess;

      g_ptr_array_remove_range (self->items, position, excess);
      items_changed (self, position, excess, 0);
      set_has_newer (self, TRUE);
    }
}

static void
trim (MessengerMessageList *self,
      gboolean              at_top)
{
  trim_to (self, max_items (self), at_top);
}

gboolean
messenger_message_list_load_older (MessengerMessageList *self)
{
  g_autoptr(GPtrArray) page = NULL;
  gboolean more;
  guint added;

  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), FALSE);

  flush_live (self);
  if (!self->has_older)
    return FALSE;

  page = read_page (self, MESSENGER_STORE_PAGE_OLDER, self->items->len > 0 ? id_at (self, 0) : 0, &more);
  added = page->len;
  g_ptr_array_extend_and_steal (page, g_steal_pointer (&self->items));
  self->items = g_steal_pointer (&page);

  /* No freeze_notify around several items-changed: each length change is
   * notified before the next change. */
  set_has_older (self, more);
  if (added > 0)
    {
      self->reading_newest = FALSE;
      items_changed (self, 0, 0, added);
      trim (self, FALSE);
    }
  return added > 0;
}

gboolean
messenger_message_list_load_newer (MessengerMessageList *self)
{
  g_autoptr(GPtrArray) page = NULL;
  gboolean more;
  guint position, added;

  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), FALSE);

  flush_live (self);
  if (!self->has_newer)
    return FALSE;

  position = self->items->len;
  page = read_page (self, MESSENGER_STORE_PAGE_NEWER, position > 0 ? id_at (self, position - 1) : 0, &more);
  added = page->len;
  g_ptr_array_extend_and_steal (self->items, g_steal_pointer (&page));

  set_has_newer (self, more);
  self->reading_newest = TRUE;
  items_changed (self, position, 0, added);
  trim (self, TRUE);
  return added > 0;
}

void
messenger_message_list_jump_to_newest (MessengerMessageList *self)
{
  gboolean more;
  guint removed;

  g_return_if_fail (MESSENGER_IS_MESSAGE_LIST (self));

  /* The held messages are stored: the newest page has them. */
  g_clear_handle_id (&self->live_source, g_source_remove);
  g_ptr_array_set_size (self->live, 0);
  removed = self->items->len;
  g_ptr_array_unref (self->items);
  self->items = read_page (self, MESSENGER_STORE_PAGE_OLDER, 0, &more);

  self->reading_newest = TRUE;
  set_has_older (self, more);
  set_has_newer (self, FALSE);
  items_changed (self, 0, removed, self->items->len);
}

void
messenger_message_list_set_live_delay (MessengerMessageList *self,
                                       guint                 live_delay)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_LIST (self));

  if (self->live_delay == live_delay)
    return;
  self->live_delay = live_delay;
  if (live_delay == 0)
    flush_live (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE_DELAY]);
}

guint
messenger_message_list_get_live_delay (MessengerMessageList *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), 0);
  return self->live_delay;
}

/* Held messages go in now (tests; a view that must show everything). */
void
messenger_message_list_flush (MessengerMessageList *self)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_LIST (self));
  flush_live (self);
}

void
messenger_message_list_follow_newest (MessengerMessageList *self)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_LIST (self));

  if (!self->has_newer)
    self->reading_newest = TRUE;
}

/* Where a live message @id goes in the window, or G_MAXUINT when it does
 * not go in. */
static guint
live_position (MessengerMessageList *self,
               gint64                id)
{
  guint position;

  /* The window is not at the newest end: the message is beyond it. */
  if (self->has_newer)
    return G_MAXUINT;

  position = lower_bound (self, id);
  if (position < self->items->len && id_at (self, position) == id)
    return G_MAXUINT;
  /* Older than the window (an archive back-fill): it will come with its
   * page. */
  if (position == 0 && self->items->len > 0 && self->has_older)
    return G_MAXUINT;
  /* Reading further back with a full window: do not push that away. */
  if (position == self->items->len && !self->reading_newest && self->items->len >= max_items (self))
    {
      set_has_newer (self, TRUE);
      return G_MAXUINT;
    }
  return position;
}

static void
add_live (MessengerMessageList *self,
          MessengerMessage     *message)
{
  guint position = live_position (self, messenger_message_get_id (message));

  if (position == G_MAXUINT)
    return;
  g_ptr_array_insert (self->items, position, g_object_ref (message));
  items_changed (self, position, 0, 1);
  trim (self, self->reading_newest);
}

/* How many messages a flood leaves in the window: about a screen, few
 * enough that a view lays out their rows within a frame (a wrapped row
 * takes ~2 ms to measure on the benchmark's machine: bench/README.md
 * "App"); what is older comes back with load_older(). */
static guint
flood_window (MessengerMessageList *self)
{
  return MAX (1, self->page_size / 3);
}

/* A batch of at least flood_window() messages, each newer than the one
 * before and than the whole window, while the person reads at the newest
 * end. */
static gboolean
is_flood (MessengerMessageList *self,
          GPtrArray            *live)
{
  gint64 last = self->items->len > 0 ? id_at (self, self->items->len - 1) : G_MININT64;

  if (!self->reading_newest || self->has_newer || live->len < flood_window (self))
    return FALSE;
  for (guint i = 0; i < live->len; i++)
    {
      gint64 id = messenger_message_get_id (live->pdata[i]);

      if (id <= last)
        return FALSE;
      last = id;
    }
  return TRUE;
}

/* The held messages go in.  A flood replaces the window with its newest
 * messages in one items-changed: a view then makes and lays out rows for
 * those only, not for every message of the batch (the older ones come
 * back with load_older()).  Otherwise those newer than the whole window
 * go in with one items-changed and one trim, any other one by itself. */
static void
flush_live (MessengerMessageList *self)
{
  g_autoptr(GPtrArray) live = NULL;
  guint start = self->items->len;

  g_clear_handle_id (&self->live_source, g_source_remove);
  self->live_flushed = g_get_monotonic_time ();
  if (self->live->len == 0)
    return;

  live = g_steal_pointer (&self->live);
  self->live = g_ptr_array_new_with_free_func (g_object_unref);

  if (is_flood (self, live))
    {
      guint keep = flood_window (self);
      guint removed = self->items->len;

      g_ptr_array_set_size (self->items, 0);
      for (guint i = live->len - keep; i < live->len; i++)
        g_ptr_array_add (self->items, g_object_ref (live->pdata[i]));
      set_has_older (self, TRUE);
      items_changed (self, 0, removed, keep);
      return;
    }

  for (guint i = 0; i < live->len; i++)
    {
      MessengerMessage *message = live->pdata[i];
      guint len = self->items->len;

      if (self->reading_newest && !self->has_newer
          && (len == 0 || messenger_message_get_id (message) > id_at (self, len - 1)))
        {
          g_ptr_array_add (self->items, g_object_ref (message));
          continue;
        }
      /* The model says what it holds before anything else changes. */
      if (len > start)
        {
          items_changed (self, start, 0, len - start);
          trim (self, TRUE);
        }
      add_live (self, message);
      start = self->items->len;
    }
  if (self->items->len > start)
    {
      items_changed (self, start, 0, self->items->len - start);
      trim (self, TRUE);
    }
}

static gboolean
flush_live_cb (gpointer user_data)
{
  MessengerMessageList *self = user_data;

  self->live_source = 0;
  flush_live (self);
  return G_SOURCE_REMOVE;
}

static void
message_added_cb (MessengerConversation       *conversation,
                  const MessengerStoreMessage *record,
                  MessengerMessageList        *self)
{
  g_autoptr(MessengerMessage) message = NULL;
  gint64 now, next;

  if (self->thread_id != NULL && g_strcmp0 (record->thread_id, self->thread_id) != 0)
    return;
  if (self->has_newer)
    return;

  message = message_from_record (self, record);
  if (self->live_delay == 0)
    {
      add_live (self, message);
      return;
    }

  /* The first message after a quiet while goes in at once; the ones that
   * follow it closely wait for the next batch. */
  now = g_get_monotonic_time ();
  next = self->live_flushed + (gint64) self->live_delay * 1000;
  if (self->live->len == 0 && now >= next)
    {
      self->live_flushed = now;
      add_live (self, message);
      return;
    }
  g_ptr_array_add (self->live, g_steal_pointer (&message));
  if (self->live_source == 0)
    {
      self->live_source = g_timeout_add_full (G_PRIORITY_DEFAULT, MAX (1, (next - now + 999) / 1000),
                                              flush_live_cb, self, NULL);
      g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->live_source),
                                "[messenger] live messages");
    }
}

/* A message in the window or held back to go in it. */
static MessengerMessage *
find_message (MessengerMessageList *self,
              gint64                id)
{
  guint position = lower_bound (self, id);

  if (position < self->items->len && id_at (self, position) == id)
    return self->items->pdata[position];
  for (guint i = self->live->len; i > 0; i--)
    if (messenger_message_get_id (self->live->pdata[i - 1]) == id)
      return self->live->pdata[i - 1];
  return NULL;
}

static void
message_state_changed_cb (MessengerConversation  *conversation,
                          gint64                  id,
                          MessengerDeliveryState  state,
                          MessengerMessageList   *self)
{
  MessengerMessage *message = find_message (self, id);

  if (message != NULL)
    messenger_message_set_state (message, state);
}

/* The store marked the range read: the window's copies follow, so a view
 * can tell what is still unread from the messages themselves. */
static void
messages_read_cb (MessengerConversation *conversation,
                  const char            *thread_id,
                  gint64                 up_to_id,
                  MessengerMessageList  *self)
{
  guint end = up_to_id > 0 && up_to_id < G_MAXINT64 ? lower_bound (self, up_to_id + 1) : self->items->len;

  for (guint i = 0; i < end; i++)
    {
      MessengerMessage *message = self->items->pdata[i];

      if (thread_id == NULL || g_strcmp0 (messenger_message_get_thread_id (message), thread_id) == 0)
        messenger_message_set_unread (message, FALSE);
    }
  for (guint i = 0; i < self->live->len; i++)
    {
      MessengerMessage *message = self->live->pdata[i];

      if (up_to_id > 0 && up_to_id < G_MAXINT64 && messenger_message_get_id (message) > up_to_id)
        continue;
      if (thread_id == NULL || g_strcmp0 (messenger_message_get_thread_id (message), thread_id) == 0)
        messenger_message_set_unread (message, FALSE);
    }
}

MessengerMessageList *
messenger_message_list_new (MessengerConversation *conversation,
                            const char            *thread_id)
{
  return messenger_message_list_new_full (conversation, thread_id,
                                          MESSENGER_MESSAGE_LIST_DEFAULT_PAGE_SIZE,
                                          MESSENGER_MESSAGE_LIST_DEFAULT_MAX_PAGES);
}

MessengerMessageList *
messenger_message_list_new_full (MessengerConversation *conversation,
                                 const char            *thread_id,
                                 guint                  page_size,
                                 guint                  max_pages)
{
  g_return_val_if_fail (MESSENGER_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (page_size > 0 && max_pages > 0, NULL);

  return g_object_new (MESSENGER_TYPE_MESSAGE_LIST,
                       "conversation", conversation,
                       "thread-id", thread_id,
                       "page-size", page_size,
                       "max-pages", max_pages,
                       NULL);
}

MessengerConversation *
messenger_message_list_get_conversation (MessengerMessageList *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), NULL);
  return self->conversation;
}

const char *
messenger_message_list_get_thread_id (MessengerMessageList *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), NULL);
  return self->thread_id;
}

gboolean
messenger_message_list_get_has_older (MessengerMessageList *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), FALSE);
  return self->has_older;
}

gboolean
messenger_message_list_get_has_newer (MessengerMessageList *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE_LIST (self), FALSE);
  return self->has_newer;
}

static GType
messenger_message_list_get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_MESSAGE;
}

static guint
messenger_message_list_get_n_items (GListModel *model)
{
  return MESSENGER_MESSAGE_LIST (model)->items->len;
}

static gpointer
messenger_message_list_get_item (GListModel *model,
                                 guint       position)
{
  MessengerMessageList *self = MESSENGER_MESSAGE_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = messenger_message_list_get_item_type;
  iface->get_n_items = messenger_message_list_get_n_items;
  iface->get_item = messenger_message_list_get_item;
}

static void
messenger_message_list_constructed (GObject *object)
{
  MessengerMessageList *self = MESSENGER_MESSAGE_LIST (object);

  G_OBJECT_CLASS (messenger_message_list_parent_class)->constructed (object);

  g_assert (self->conversation != NULL);
  g_ptr_array_unref (self->items);
  self->items = read_page (self, MESSENGER_STORE_PAGE_OLDER, 0, &self->has_older);
  self->reading_newest = TRUE;

  g_signal_connect_object (self->conversation, "message-added",
                           G_CALLBACK (message_added_cb), self, 0);
  g_signal_connect_object (self->conversation, "message-state-changed",
                           G_CALLBACK (message_state_changed_cb), self, 0);
  g_signal_connect_object (self->conversation, "messages-read",
                           G_CALLBACK (messages_read_cb), self, 0);
}

static void
messenger_message_list_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MessengerMessageList *self = MESSENGER_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    case PROP_THREAD_ID:
      g_value_set_string (value, self->thread_id);
      break;
    case PROP_PAGE_SIZE:
      g_value_set_uint (value, self->page_size);
      break;
    case PROP_MAX_PAGES:
      g_value_set_uint (value, self->max_pages);
      break;
    case PROP_HAS_OLDER:
      g_value_set_boolean (value, self->has_older);
      break;
    case PROP_HAS_NEWER:
      g_value_set_boolean (value, self->has_newer);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    case PROP_LIVE_DELAY:
      g_value_set_uint (value, self->live_delay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_message_list_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  MessengerMessageList *self = MESSENGER_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      self->conversation = g_value_dup_object (value);
      break;
    case PROP_THREAD_ID:
      self->thread_id = g_value_dup_string (value);
      break;
    case PROP_PAGE_SIZE:
      self->page_size = g_value_get_uint (value);
      break;
    case PROP_MAX_PAGES:
      self->max_pages = g_value_get_uint (value);
      break;
    case PROP_LIVE_DELAY:
      messenger_message_list_set_live_delay (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_message_list_dispose (GObject *object)
{
  MessengerMessageList *self = MESSENGER_MESSAGE_LIST (object);

  g_clear_handle_id (&self->live_source, g_source_remove);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (messenger_message_list_parent_class)->dispose (object);
}

static void
messenger_message_list_finalize (GObject *object)
{
  MessengerMessageList *self = MESSENGER_MESSAGE_LIST (object);

  g_ptr_array_unref (self->items);
  g_ptr_array_unref (self->live);
  g_free (self->thread_id);

  G_OBJECT_CLASS (messenger_message_list_parent_class)->finalize (object);
}

static void
messenger_message_list_class_init (MessengerMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = messenger_message_list_constructed;
  object_class->get_property = messenger_message_list_get_property;
  object_class->set_property = messenger_message_list_set_property;
  object_class->dispose = messenger_message_list_dispose;
  object_class->finalize = messenger_message_list_finalize;

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, MESSENGER_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THREAD_ID] =
    g_param_spec_string ("thread-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE_SIZE] =
    g_param_spec_uint ("page-size", NULL, NULL, 1, 10000, MESSENGER_MESSAGE_LIST_DEFAULT_PAGE_SIZE,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_PAGES] =
    g_param_spec_uint ("max-pages", NULL, NULL, 1, 10000, MESSENGER_MESSAGE_LIST_DEFAULT_MAX_PAGES,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_OLDER] =
    g_param_spec_boolean ("has-older", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_NEWER] =
    g_param_spec_boolean ("has-newer", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIVE_DELAY] =
    g_param_spec_uint ("live-delay", NULL, NULL, 0, 10000, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_message_list_init (MessengerMessageList *self)
{
  self->page_size = MESSENGER_MESSAGE_LIST_DEFAULT_PAGE_SIZE;
  self->max_pages = MESSENGER_MESSAGE_LIST_DEFAULT_MAX_PAGES;
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->live = g_ptr_array_new_with_free_func (g_object_unref);
}
