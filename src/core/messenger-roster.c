/* messenger-roster.c: an account's contacts, as list models
 *
 *   store ──load (at once)──▶ contacts ◀── "roster-received" / "roster-push"
 *                               │  ▲             │
 *                               │  └ presence    └──▶ store (replace/update,
 *                               ▼                      with the version)
 *            groups/show/display-name/online changes (the observer)
 *                               │
 *               items-changed ◀─┴─▶ groups (membership, counts, resort)
 *
 * The roster changes contacts only through their setters and reacts to
 * their notifications, so a contact changed from anywhere keeps its rows
 * and groups right.  It hears them as each contact's observer
 * (messenger-contact-private.h), which the contact's setters call just
 * before the notifications go out: what a "notify" handler connected
 * first would hear, without a signal handler per contact to connect and
 * disconnect.  Contacts are ordered by bare JID: lookups are binary
 * searches and a full roster result is merged with the shown one in one
 * pass, emitting one items-changed per run of changes, so rows of
 * contacts that stay are not rebuilt.
 *
 * The cached roster is read straight from the store's rows into contacts
 * (messenger_store_foreach_roster_item()), appended in JID order to the
 * roster and to their groups, and each group announces its contacts in one
 * items-changed: 10,000 contacts load in a few milliseconds.
 */
#include "config.h"

#include <string.h>

#include "messenger-group-private.h"
#include "messenger-roster.h"

struct _MessengerRoster
{
  GObject           parent_instance;

  /* owned */
  MessengerAccount *account;
  MessengerStore   *store;
  gint64            account_id;
  GPtrArray        *contacts;   /* MessengerContact, by JID */
  GListStore       *groups;     /* MessengerGroup, by name, ungrouped last */
  GHashTable       *by_name;    /* roster name ("" ungrouped) → MessengerGroup (borrowed) */
  char             *version;
  /* While merging a full roster: new groups, not yet in the groups model
   * (NULL otherwise); new contacts join groups with add_later. */
  GPtrArray        *new_groups;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerRoster, messenger_roster, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void contact_changed_cb (MessengerContact       *contact,
                                MessengerContactChange  change,
                                gpointer                user_data);

static void
items_changed (MessengerRoster *self,
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

/* Groups */

static MessengerGroup *
ensure_group (MessengerRoster *self,
              const char      *roster_name)
{
  MessengerGroup *group = g_hash_table_lookup (self->by_name, roster_name != NULL ? roster_name : "");

  if (group == NULL)
    {
      group = _messenger_group_new (roster_name);
      g_hash_table_insert (self->by_name, g_strdup (roster_name != NULL ? roster_name : ""), group);
      if (self->new_groups != NULL)
        {
          g_ptr_array_add (self->new_groups, group);
          return group;
        }
      g_list_store_insert_sorted (self->groups, group, _messenger_group_compare, NULL);
      g_object_unref (group);
    }
  return group;
}

static void
drop_group_if_empty (MessengerRoster *self,
                     MessengerGroup  *group)
{
  const char *roster_name = messenger_group_get_roster_name (group);
  guint position;

  if (messenger_group_get_total_count (group) > 0 || _messenger_group_has_pending (group))
    return;
  if (self->new_groups != NULL && g_ptr_array_find (self->new_groups, group, &position))
    {
      g_hash_table_remove (self->by_name, roster_name != NULL ? roster_name : "");
      g_ptr_array_remove_index (self->new_groups, position);
    }
  else if (g_list_store_find (self->groups, group, &position))
    {
      g_hash_table_remove (self->by_name, roster_name != NULL ? roster_name : "");
      g_list_store_remove (self->groups, position);
    }
}

static gboolean
belongs_to (MessengerContact *contact,
            MessengerGroup   *group)
{
  const char *roster_name = messenger_group_get_roster_name (group);

  if (roster_name == NULL)
    return messenger_contact_get_groups (contact)[0] == NULL;
  return messenger_contact_is_in_group (contact, roster_name);
}

/* With @later (merging, new contacts in JID order), the groups hear of
 * @contact when the merge ends, in one items-changed per run. */
static void
join_groups (MessengerRoster  *self,
             MessengerContact *contact,
             gboolean          later)
{
  const char * const *names = messenger_contact_get_groups (contact);
  void (*add) (MessengerGroup *, MessengerContact *) = later ? _messenger_group_add_later : _messenger_group_add;

  if (names[0] == NULL)
    add (ensure_group (self, NULL), contact);
  for (guint i = 0; names[i] != NULL; i++)
    add (ensure_group (self, names[i]), contact);
}

/* Puts @contact in exactly the groups it names (the ungrouped one when
 * none); with @leaving, takes it out of every group. */
static void
sync_groups (MessengerRoster  *self,
             MessengerContact *contact,
             gboolean          leaving)
{
  g_autoptr(GPtrArray) emptied = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->groups));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerGroup) group = g_list_model_get_item (G_LIST_MODEL (self->groups), i);

      if (leaving || !belongs_to (contact, group))
        {
          _messenger_group_remove (group, contact);
          if (messenger_group_get_total_count (group) == 0)
            g_ptr_array_add (emptied, g_object_ref (group));
        }
    }
  /* Groups made by a merge in progress: not in the model yet. */
  for (guint i = 0; self->new_groups != NULL && i < self->new_groups->len; i++)
    {
      MessengerGroup *group = self->new_groups->pdata[i];

      if (leaving || !belongs_to (contact, group))
        {
          _messenger_group_remove (group, contact);
          if (messenger_group_get_total_count (group) == 0)
            g_ptr_array_add (emptied, g_object_ref (group));
        }
    }
  for (guint i = 0; i < emptied->len; i++)
    drop_group_if_empty (self, emptied->pdata[i]);

  if (!leaving)
    join_groups (self, contact, FALSE);
}

static void
for_each_group_of (MessengerRoster  *self,
                   MessengerContact *contact,
                   void            (*func) (MessengerGroup *, MessengerContact *))
{
  const char * const *names = messenger_contact_get_groups (contact);
  MessengerGroup *group;

  if (names[0] == NULL && (group = g_hash_table_lookup (self->by_name, "")) != NULL)
    func (group, contact);
  for (guint i = 0; names[i] != NULL; i++)
    if ((group = g_hash_table_lookup (self->by_name, names[i])) != NULL)
      func (group, contact);
}

static void
contact_changed_cb (MessengerContact       *contact,
                    MessengerContactChange  change,
                    gpointer                user_data)
{
  MessengerRoster *self = user_data;
  guint position;

  switch (change)
    {
    case MESSENGER_CONTACT_CHANGED_GROUPS:
      sync_groups (self, contact, FALSE);
      break;
    case MESSENGER_CONTACT_CHANGED_SORT_KEY:
      /* The sort keys changed: let a sorting view move the row. */
      if (_messenger_contacts_find (self->contacts, messenger_contact_get_jid (contact), &position))
        items_changed (self, position, 1, 1);
      for_each_group_of (self, contact, _messenger_group_contact_changed);
      break;
    case MESSENGER_CONTACT_CHANGED_ONLINE:
      for_each_group_of (self, contact, _messenger_group_online_changed);
      break;
    default:
      break;
    }
}

/* Contacts */

static MessengerSubscription
subscription_from_xmpp (XmppSubscription subscription)
{
  switch (subscription)
    {
    case XMPP_SUBSCRIPTION_TO:
      return MESSENGER_SUBSCRIPTION_TO;
    case XMPP_SUBSCRIPTION_FROM:
      return MESSENGER_SUBSCRIPTION_FROM;
    case XMPP_SUBSCRIPTION_BOTH:
      return MESSENGER_SUBSCRIPTION_BOTH;
    case XMPP_SUBSCRIPTION_NONE:
    case XMPP_SUBSCRIPTION_REMOVE:
    default:
      return MESSENGER_SUBSCRIPTION_NONE;
    }
}

static void
apply_item (MessengerContact     *contact,
            const XmppRosterItem *item)
{
  messenger_contact_set_name (contact, item->name);
  messenger_contact_set_subscription (contact, subscription_from_xmpp (item->subscription), item->ask);
  messenger_contact_set_groups (contact, (const char * const *) item->groups);
}

static MessengerContact *
new_contact (const XmppRosterItem *item)
{
  return messenger_contact_new_full (xmpp_jid_get_bare_string (item->jid), item->name,
                                     subscription_from_xmpp (item->subscription), item->ask,
                                     (const char * const *) item->groups);
}

static MessengerStoreRosterItem *
store_item_from_xmpp (const XmppRosterItem *item)
{
  MessengerStoreRosterItem *stored = messenger_store_roster_item_new (xmpp_jid_get_bare_string (item->jid));

  stored->name = g_strdup (item->name);
  stored->subscription = (MessengerStoreSubscription) subscription_from_xmpp (item->subscription);
  stored->ask = item->ask;
  stored->approved = item->approved;
  stored->groups = item->groups != NULL && item->groups[0] != NULL ? g_strdupv (item->groups) : NULL;
  return stored;
}

/* The presence the account knows for a contact, if it is online. */
static void
read_presence (MessengerRoster  *self,
               MessengerContact *contact)
{
  XmppPresenceManager *presence = messenger_account_get_presence (self->account);
  g_autoptr(XmppJid) jid = NULL;
  const char *status = NULL;
  XmppShow show;

  if (presence == NULL || (jid = xmpp_jid_new (messenger_contact_get_jid (contact), NULL)) == NULL)
    return;
  show = xmpp_presence_manager_get_show (presence, jid, &status);
  messenger_contact_set_presence (contact, show, status);
}

/* Inserts a new contact at @position without emitting items-changed. */
static void
insert_contact (MessengerRoster  *self,
                guint             position,
                MessengerContact *contact)
{
  g_ptr_array_insert (self->contacts, position, g_object_ref (contact));
  join_groups (self, contact, self->new_groups != NULL);
  _messenger_contact_set_observer (contact, contact_changed_cb, self);
}

/* Removes the contact at @position without emitting items-changed. */
static void
remove_contact (MessengerRoster *self,
                guint            position)
{
  MessengerContact *contact = self->contacts->pdata[position];

  _messenger_contact_set_observer (contact, NULL, NULL);
  sync_groups (self, contact, TRUE);
  g_ptr_array_remove_index (self->contacts, position);
}

static void
set_version (MessengerRoster *self,
             const char      *version)
{
  if (version == NULL)
    return;
  g_free (self->version);
  self->version = g_strdup (version);
  messenger_account_set_roster_version (self->account, version);
}

static void
roster_stored_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!messenger_store_roster_finish (MESSENGER_STORE (source), result, &error))
    g_warning ("Cannot cache the roster: %s", error->message);
}

static int
compare_items_by_jid (gconstpointer a,
                      gconstpointer b)
{
  const XmppRosterItem *ia = *(const XmppRosterItem * const *) a;
  const XmppRosterItem *ib = *(const XmppRosterItem * const *) b;

  return strcmp (xmpp_jid_get_bare_string (ia->jid), xmpp_jid_get_bare_string (ib->jid));
}

static int
compare_group_pointers (gconstpointer a,
                        gconstpointer b);

/* Inserts @new_groups into the groups model, each run of groups that go
 * between the same two shown groups in one splice. */
static void
splice_groups (MessengerRoster *self,
               GPtrArray       *new_groups)
{
  GListModel *model = G_LIST_MODEL (self->groups);
  guint i = 0, position = 0;

  g_ptr_array_sort (new_groups, compare_group_pointers);
  while (i < new_groups->len)
    {
      guint n = g_list_model_get_n_items (model), j;

      /* Where new_groups[i] goes. */
      while (position < n)
        {
          g_autoptr(MessengerGroup) shown = g_list_model_get_item (model, position);

          if (_messenger_group_compare (shown, new_groups->pdata[i], NULL) > 0)
            break;
          position++;
        }
      j = i + 1;
      if (position < n)
        {
          g_autoptr(MessengerGroup) next = g_list_model_get_item (model, position);

          while (j < new_groups->len && _messenger_group_compare (next, new_groups->pdata[j], NULL) > 0)
            j++;
        }
      else
        j = new_groups->len;
      g_list_store_splice (self->groups, position, 0, new_groups->pdata + i, j - i);
      position += j - i;
      i = j;
    }
}

/* A full roster result: merged with what is shown in one pass over both
 * JID-ordered lists.  Changed runs are emitted before a kept contact is
 * updated, as its update emits items-changed of its own. */
static void
replace_roster (MessengerRoster *self,
                GPtrArray       *items)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_copy (items, NULL, NULL);
  g_autoptr(GPtrArray) new_groups = g_ptr_array_new_with_free_func (g_object_unref);
  guint position = 0, j = 0, run_start = 0, run_removed = 0, run_added = 0;
  GHashTableIter iter;
  gpointer group;

  /* The copy would free the items with it. */
  g_ptr_array_set_free_func (sorted, NULL);
  g_ptr_array_sort (sorted, compare_items_by_jid);
  g_return_if_fail (self->new_groups == NULL);
  self->new_groups = new_groups;

#define FLUSH_RUN() \
  G_STMT_START { \
    items_changed (self, run_start, run_removed, run_added); \
    run_removed = run_added = 0; \
  } G_STMT_END

  while (position < self->contacts->len || j < sorted->len)
    {
      MessengerContact *contact = position < self->contacts->len ? self->contacts->pdata[position] : NULL;
      const XmppRosterItem *item = j < sorted->len ? sorted->pdata[j] : NULL;
      int cmp;

      /* A duplicate JID in the result: the first one counts. */
      if (item != NULL && j > 0 && compare_items_by_jid (&sorted->pdata[j - 1], &sorted->pdata[j]) == 0)
        {
          j++;
          continue;
        }

      if (contact == NULL)
        cmp = 1;
      else if (item == NULL)
        cmp = -1;
      else
        cmp = strcmp (messenger_contact_get_jid (contact), xmpp_jid_get_bare_string (item->jid));

      if (run_removed == 0 && run_added == 0)
        run_start = position;

      if (cmp < 0)
        {
          remove_contact (self, position);
          run_removed++;
        }
      else if (cmp > 0)
        {
          g_autoptr(MessengerContact) added = new_contact (item);

          read_presence (self, added);
          insert_contact (self, position, added);
          position++;
          run_added++;
          j++;
        }
      else
        {
          FLUSH_RUN ();
          apply_item (contact, item);
          position++;
          j++;
        }
    }
  FLUSH_RUN ();

#undef FLUSH_RUN

  /* The new groups join the groups model, one change per run of them
   * (one, into an empty model), then each group announces its new
   * members, one change per run (one, into an empty group). */
  self->new_groups = NULL;
  splice_groups (self, new_groups);
  g_hash_table_iter_init (&iter, self->by_name);
  while (g_hash_table_iter_next (&iter, NULL, &group))
    _messenger_group_flush_appended (group);
}

static void
roster_received_cb (MessengerAccount *account,
                    GPtrArray        *items,
                    const char       *version,
                    gboolean          unchanged,
                    MessengerRoster  *self)
{
  g_autoptr(GPtrArray) stored = NULL;

  /* Unchanged (or, defensively, no list at all): what the cache shows is
   * the server's roster; changes follow as pushes. */
  if (unchanged || items == NULL)
    {
      set_version (self, version);
      return;
    }

  replace_roster (self, items);
  set_version (self, version);

  stored = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (stored, store_item_from_xmpp (items->pdata[i]));
  messenger_store_replace_roster_async (self->store, self->account_id, stored, version,
                                        NULL, roster_stored_cb, NULL);
}

static void
roster_push_cb (MessengerAccount *account,
                XmppRosterItem   *item,
                const char       *version,
                MessengerRoster  *self)
{
  const char *jid = xmpp_jid_get_bare_string (item->jid);
  guint position;
  gboolean known = _messenger_contacts_find (self->contacts, jid, &position);

  if (item->subscription == XMPP_SUBSCRIPTION_REMOVE)
    {
      if (known)
        {
          remove_contact (self, position);
          items_changed (self, position, 1, 0);
        }
      messenger_store_remove_roster_item_async (self->store, self->account_id, jid, version,
                                                NULL, roster_stored_cb, NULL);
    }
  else
    {
      g_autoptr(GPtrArray) stored = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);

      if (known)
        {
          apply_item (self->contacts->pdata[position], item);
        }
      else
        {
          g_autoptr(MessengerContact) contact = new_contact (item);

          read_presence (self, contact);
          insert_contact (self, position, contact);
          items_changed (self, position, 0, 1);
        }
      g_ptr_array_add (stored, store_item_from_xmpp (item));
      messenger_store_update_roster_async (self->store, self->account_id, stored, version,
                                           NULL, roster_stored_cb, NULL);
    }
  set_version (self, version);
}

static void
presence_changed_cb (MessengerAccount *account,
                     XmppJid          *bare,
                     MessengerRoster  *self)
{
  MessengerContact *contact = messenger_roster_lookup (self, xmpp_jid_get_bare_string (bare));

  if (contact != NULL)
    read_presence (self, contact);
}

/* Without a session nobody's presence is known.  A connection lost with
 * a session kept for resumption (XEP-0198) keeps it: the session goes on
 * when it is resumed, and "session-ended" comes when it does not. */
static void
session_ended_cb (MessengerAccount *account,
                  MessengerRoster  *self)
{
  for (guint i = 0; i < self->contacts->len; i++)
    messenger_contact_set_presence (self->contacts->pdata[i], XMPP_SHOW_OFFLINE, NULL);
}

/* Loading the cache: contacts are appended in JID order, to the roster
 * and to their groups, and the groups announced once at the end. */
typedef struct
{
  MessengerRoster *self;
  GPtrArray       *new_groups;  /* MessengerGroup, made while loading */
  GPtrArray       *late;        /* MessengerContact not after the last one */
} Loading;

static MessengerGroup *
loading_group (Loading    *loading,
               const char *roster_name)
{
  MessengerRoster *self = loading->self;
  MessengerGroup *group = g_hash_table_lookup (self->by_name, roster_name != NULL ? roster_name : "");

  if (group == NULL)
    {
      group = _messenger_group_new (roster_name);
      g_hash_table_insert (self->by_name, g_strdup (roster_name != NULL ? roster_name : ""), group);
      g_ptr_array_add (loading->new_groups, group);
    }
  return group;
}

static int
compare_group_pointers (gconstpointer a,
                        gconstpointer b)
{
  return _messenger_group_compare (*(MessengerGroup * const *) a, *(MessengerGroup * const *) b, NULL);
}

static void
load_item_cb (const MessengerStoreRosterItem *item,
              gpointer                        user_data)
{
  Loading *loading = user_data;
  MessengerRoster *self = loading->self;
  MessengerContact *contact;
  const char * const *names;
  guint n = self->contacts->len;

  contact = messenger_contact_new_full (item->jid, item->name, (MessengerSubscription) item->subscription,
                                        item->ask, (const char * const *) item->groups);
  /* The store gives items by JID; anything else waits for the end. */
  if (n > 0 && strcmp (messenger_contact_get_jid (self->contacts->pdata[n - 1]), item->jid) >= 0)
    {
      g_ptr_array_add (loading->late, contact);
      return;
    }

  g_ptr_array_add (self->contacts, contact);
  _messenger_contact_set_observer (contact, contact_changed_cb, self);
  names = messenger_contact_get_groups (contact);
  if (names[0] == NULL)
    _messenger_group_append (loading_group (loading, NULL), contact);
  for (guint i = 0; names[i] != NULL; i++)
    _messenger_group_append (loading_group (loading, names[i]), contact);
}

static void
load_from_store (MessengerRoster *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) new_groups = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) late = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *version = NULL;
  Loading loading = { self, new_groups, late };
  GHashTableIter iter;
  gpointer group;
  gboolean ok;

  ok = messenger_store_foreach_roster_item (self->store, self->account_id, &version,
                                            load_item_cb, &loading, &error);
  if (!ok)
    g_warning ("Cannot read the cached roster: %s", error->message);

  /* The groups model (empty: this is a new roster) in one change, then
   * each group's contacts in one. */
  g_ptr_array_sort (new_groups, compare_group_pointers);
  g_list_store_splice (self->groups, 0, 0, new_groups->pdata, new_groups->len);
  g_hash_table_iter_init (&iter, self->by_name);
  while (g_hash_table_iter_next (&iter, NULL, &group))
    _messenger_group_flush_appended (group);

  for (guint i = 0; i < late->len; i++)
    {
      MessengerContact *contact = late->pdata[i];
      guint position;

      if (!_messenger_contacts_find (self->contacts, messenger_contact_get_jid (contact), &position))
        insert_contact (self, position, contact);
    }

  /* A roster read only in part is not that version: the next fetch asks
   * for all of it. */
  if (ok && self->contacts->len > 0)
    set_version (self, version);
}

MessengerRoster *
messenger_roster_new (MessengerAccount *account,
                      MessengerStore   *store,
                      gint64            account_id)
{
  MessengerRoster *self;

  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (MESSENGER_IS_STORE (store), NULL);
  g_return_val_if_fail (account_id > 0, NULL);

  self = g_object_new (MESSENGER_TYPE_ROSTER, "account", account, NULL);
  self->store = g_object_ref (store);
  self->account_id = account_id;
  load_from_store (self);

  g_signal_connect_object (account, "roster-received", G_CALLBACK (roster_received_cb), self, 0);
  g_signal_connect_object (account, "roster-push", G_CALLBACK (roster_push_cb), self, 0);
  g_signal_connect_object (account, "presence-changed", G_CALLBACK (presence_changed_cb), self, 0);
  g_signal_connect_object (account, "session-ended", G_CALLBACK (session_ended_cb), self, 0);
  return self;
}

MessengerAccount *
messenger_roster_get_account (MessengerRoster *self)
{
  g_return_val_if_fail (MESSENGER_IS_ROSTER (self), NULL);
  return self->account;
}

MessengerContact *
messenger_roster_lookup (MessengerRoster *self,
                         const char      *jid)
{
  guint position;

  g_return_val_if_fail (MESSENGER_IS_ROSTER (self), NULL);
  g_return_val_if_fail (jid != NULL, NULL);

  if (_messenger_contacts_find (self->contacts, jid, &position))
    return self->contacts->pdata[position];
  return NULL;
}

GListModel *
messenger_roster_get_groups (MessengerRoster *self)
{
  g_return_val_if_fail (MESSENGER_IS_ROSTER (self), NULL);
  return G_LIST_MODEL (self->groups);
}

const char *
messenger_roster_get_version (MessengerRoster *self)
{
  g_return_val_if_fail (MESSENGER_IS_ROSTER (self), NULL);
  return self->version;
}

static GType
messenger_roster_get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_CONTACT;
}

static guint
messenger_roster_get_n_items (GListModel *model)
{
  return MESSENGER_ROSTER (model)->contacts->len;
}

static gpointer
messenger_roster_get_item (GListModel *model,
                           guint       position)
{
  MessengerRoster *self = MESSENGER_ROSTER (model);

  if (position >= self->contacts->len)
    return NULL;
  return g_object_ref (self->contacts->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = messenger_roster_get_item_type;
  iface->get_n_items = messenger_roster_get_n_items;
  iface->get_item = messenger_roster_get_item;
}

static void
messenger_roster_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MessengerRoster *self = MESSENGER_ROSTER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->contacts->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_roster_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MessengerRoster *self = MESSENGER_ROSTER (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_roster_dispose (GObject *object)
{
  MessengerRoster *self = MESSENGER_ROSTER (object);

  for (guint i = 0; i < self->contacts->len; i++)
    _messenger_contact_set_observer (self->contacts->pdata[i], NULL, NULL);
  g_ptr_array_set_size (self->contacts, 0);
  g_hash_table_remove_all (self->by_name);
  g_list_store_remove_all (self->groups);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (messenger_roster_parent_class)->dispose (object);
}

static void
messenger_roster_finalize (GObject *object)
{
  MessengerRoster *self = MESSENGER_ROSTER (object);

  g_ptr_array_unref (self->contacts);
  g_hash_table_unref (self->by_name);
  g_object_unref (self->groups);
  g_free (self->version);

  G_OBJECT_CLASS (messenger_roster_parent_class)->finalize (object);
}

static void
messenger_roster_class_init (MessengerRosterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_roster_get_property;
  object_class->set_property = messenger_roster_set_property;
  object_class->dispose = messenger_roster_dispose;
  object_class->finalize = messenger_roster_finalize;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_roster_init (MessengerRoster *self)
{
  self->contacts = g_ptr_array_new_with_free_func (g_object_unref);
  self->groups = g_list_store_new (MESSENGER_TYPE_GROUP);
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
