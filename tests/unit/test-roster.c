/* test-roster.c: MessengerRoster, its groups, and subscription requests
 *
 * The network is faked by emitting the account's signals.  Every list
 * model is watched by a ModelChecker, which checks each items-changed
 * against the model's contents.
 */
#include "config.h"

#include <locale.h>

#include "messenger-roster.h"
#include "messenger-subscription-requests.h"
#include "model-checker.h"
#include "model-fixture.h"

static void
store_roster (ModelFixture *fixture,
              const char   *version,
              ...)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);
  va_list args;

  va_start (args, version);
  for (MessengerStoreRosterItem *item = va_arg (args, MessengerStoreRosterItem *); item != NULL;
       item = va_arg (args, MessengerStoreRosterItem *))
    g_ptr_array_add (items, item);
  va_end (args);

  messenger_store_replace_roster_async (fixture->store, fixture->account_id, items, version, NULL, NULL, NULL);
  model_fixture_flush (fixture);
}

static MessengerStoreRosterItem *
stored_item (const char *jid,
             const char *name,
             const char *group1,
             const char *group2)
{
  MessengerStoreRosterItem *item = messenger_store_roster_item_new (jid);
  const char *groups[] = { group1, group2, NULL };

  item->name = g_strdup (name);
  item->subscription = MESSENGER_STORE_SUBSCRIPTION_BOTH;
  if (group1 != NULL)
    item->groups = g_strdupv ((char **) groups);
  return item;
}

static MessengerGroup *
group_at (MessengerRoster *roster,
          guint            position)
{
  g_autoptr(MessengerGroup) group = g_list_model_get_item (messenger_roster_get_groups (roster), position);

  return group;   /* borrowed: the groups model holds it */
}

static MessengerGroup *
find_group (MessengerRoster *roster,
            const char      *name)
{
  GListModel *groups = messenger_roster_get_groups (roster);

  for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
    {
      MessengerGroup *group = group_at (roster, i);

      if (g_strcmp0 (messenger_group_get_roster_name (group), name) == 0)
        return group;
    }
  return NULL;
}

static void
assert_group (MessengerRoster *roster,
              const char      *name,
              guint            total,
              guint            online)
{
  MessengerGroup *group = find_group (roster, name);

  g_assert_nonnull (group);
  g_assert_cmpuint (messenger_group_get_total_count (group), ==, total);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (group)), ==, total);
  g_assert_cmpuint (messenger_group_get_online_count (group), ==, online);
}

static const char *
jid_at (GListModel *model,
        guint       position)
{
  g_autoptr(MessengerContact) contact = g_list_model_get_item (model, position);

  return messenger_contact_get_jid (contact);
}

static void
load_stored (ModelFixture  *fixture,
             GPtrArray    **items,
             char         **version)
{
  g_autoptr(GError) error = NULL;

  *items = messenger_store_load_roster (fixture->store, fixture->account_id, version, &error);
  g_assert_no_error (error);
}

/* The cached roster shows at once; the server's full roster replaces it,
 * keeping the objects of contacts that stay. */
static void
test_cache_then_network (ModelFixture  *fixture,
                         gconstpointer  data)
{
  g_autoptr(MessengerRoster) roster = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(ModelChecker) groups_checker = NULL;
  g_autoptr(GPtrArray) network = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  g_autoptr(GPtrArray) stored = NULL;
  g_autofree char *version = NULL;
  MessengerContact *bob, *dave;

  store_roster (fixture, "v1",
                stored_item (BOB, "Bob", "Friends", NULL),
                stored_item (CAROL, NULL, "Friends", "Work"),
                stored_item (DAVE, "Dave", NULL, NULL),
                NULL);

  roster = messenger_roster_new (fixture->account, fixture->store, fixture->account_id);
  checker = model_checker_new (G_LIST_MODEL (roster));
  groups_checker = model_checker_new (messenger_roster_get_groups (roster));

  /* Offline, before any network: the cache. */
  g_assert_cmpint (messenger_account_get_state (fixture->account), ==, MESSENGER_ACCOUNT_OFFLINE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 3);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 0), ==, BOB);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 1), ==, CAROL);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 2), ==, DAVE);
  g_assert_cmpstr (messenger_roster_get_version (roster), ==, "v1");
  bob = messenger_roster_lookup (roster, BOB);
  dave = messenger_roster_lookup (roster, DAVE);
  g_assert_cmpstr (messenger_contact_get_display_name (bob), ==, "Bob");
  g_assert_cmpstr (messenger_contact_get_display_name (messenger_roster_lookup (roster, CAROL)), ==, CAROL);
  g_assert_cmpint (messenger_contact_get_subscription (bob), ==, MESSENGER_SUBSCRIPTION_BOTH);
  /* Groups by name, Ungrouped last. */
  g_assert_cmpuint (g_list_model_get_n_items (messenger_roster_get_groups (roster)), ==, 3);
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 0)), ==, "Friends");
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 1)), ==, "Work");
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 2)), ==, "Ungrouped");
  g_assert_true (messenger_group_is_ungrouped (group_at (roster, 2)));
  assert_group (roster, "Friends", 2, 0);
  assert_group (roster, "Work", 1, 0);
  assert_group (roster, NULL, 1, 0);

  /* The network: bob renamed, carol gone, dave joins Friends, eve new. */
  g_ptr_array_add (network, model_fixture_roster_item ("eve@example.org", NULL, XMPP_SUBSCRIPTION_TO, "Work", NULL));
  g_ptr_array_add (network, model_fixture_roster_item (DAVE, "Dave", XMPP_SUBSCRIPTION_BOTH, "Friends", NULL));
  g_ptr_array_add (network, model_fixture_roster_item (BOB, "Robert", XMPP_SUBSCRIPTION_BOTH, "Friends", NULL));
  g_signal_emit_by_name (fixture->account, "roster-received", network, "v2", FALSE);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 3);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 0), ==, BOB);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 1), ==, DAVE);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 2), ==, "eve@example.org");
  g_assert_true (messenger_roster_lookup (roster, BOB) == bob);
  g_assert_true (messenger_roster_lookup (roster, DAVE) == dave);
  g_assert_null (messenger_roster_lookup (roster, CAROL));
  g_assert_cmpstr (messenger_contact_get_display_name (bob), ==, "Robert");
  g_assert_cmpstr (messenger_roster_get_version (roster), ==, "v2");
  g_assert_cmpuint (g_list_model_get_n_items (messenger_roster_get_groups (roster)), ==, 2);
  assert_group (roster, "Friends", 2, 0);
  assert_group (roster, "Work", 1, 0);
  g_assert_null (find_group (roster, NULL));

  /* And the cache now holds the server's roster and version. */
  model_fixture_flush (fixture);
  load_stored (fixture, &stored, &version);
  g_assert_cmpuint (stored->len, ==, 3);
  g_assert_cmpstr (version, ==, "v2");
  g_assert_cmpstr (((MessengerStoreRosterItem *) stored->pdata[0])->name, ==, "Robert");

  /* "Unchanged" keeps everything as it is. */
  model_checker_reset_counts (checker);
  g_signal_emit_by_name (fixture->account, "roster-received", NULL, "v2", TRUE);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 3);
}

/* A full result with no JID in common: one run, one items-changed. */
static void
test_replace_in_runs (ModelFixture  *fixture,
                      gconstpointer  data)
{
  g_autoptr(MessengerRoster) roster = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(GPtrArray) network = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  g_autoptr(GPtrArray) second = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);

  roster = messenger_roster_new (fixture->account, fixture->store, fixture->account_id);
  checker = model_checker_new (G_LIST_MODEL (roster));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 0);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *jid = g_strdup_printf ("user%03u@example.org", i);

      g_ptr_array_add (network, model_fixture_roster_item (jid, NULL, XMPP_SUBSCRIPTION_BOTH, NULL));
      if (i % 2 == 0)
        {
          g_autofree char *other = g_strdup_printf ("user%03ux@example.org", i);

          g_ptr_array_add (second, model_fixture_roster_item (jid, NULL, XMPP_SUBSCRIPTION_BOTH, NULL));
          g_ptr_array_add (second, model_fixture_roster_item (other, NULL, XMPP_SUBSCRIPTION_BOTH, NULL));
        }
    }
  g_signal_emit_by_name (fixture->account, "roster-received", network, "a", FALSE);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 200);
  assert_group (roster, NULL, 200, 0);

  /* Every other contact replaced by a new one next to it: runs between
   * the kept contacts. */
  model_checker_reset_counts (checker);
  g_signal_emit_by_name (fixture->account, "roster-received", second, "b", FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 200);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 100);
  g_assert_cmpuint (model_checker_get_n_removed (checker), ==, 100);
  g_assert_cmpuint (model_checker_get_n_added (checker), ==, 100);

  /* An empty roster empties it in one change. */
  model_checker_reset_counts (checker);
  g_ptr_array_set_size (network, 0);
  g_signal_emit_by_name (fixture->account, "roster-received", network, "c", FALSE);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (messenger_roster_get_groups (roster)), ==, 0);
}

typedef struct
{
  guint      n_changes;
  GPtrArray *group_checkers;  /* ModelChecker, one per group seen */
} Emissions;

static void
count_emission_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Emissions  *emissions)
{
  emissions->n_changes++;
}

/* Every group gets a checker (and is counted) the moment it joins the
 * groups model: its own changes must be consistent from the first. */
static void
groups_changed_cb (GListModel *groups,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Emissions  *emissions)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MessengerGroup) group = g_list_model_get_item (groups, i);

      if (g_object_get_data (G_OBJECT (group), "test-checked") != NULL)
        continue;
      g_object_set_data (G_OBJECT (group), "test-checked", GINT_TO_POINTER (1));
      g_ptr_array_add (emissions->group_checkers, model_checker_new (G_LIST_MODEL (group)));
      g_signal_connect (group, "items-changed", G_CALLBACK (count_emission_cb), emissions);
    }
}

/* The first fetch into an empty roster: one items-changed for the roster,
 * one for the groups model and one per group, each model consistent at
 * every emission.  Then a fetch adding contacts among kept ones, in old
 * and new groups: consistent too, and the groups hold the right members. */
static void
test_fetched_into_empty (ModelFixture  *fixture,
                         gconstpointer  data)
{
  static const char * const names[] = { "Work", "Family", "Friends", "Zoo" };
  g_autoptr(MessengerRoster) roster = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(ModelChecker) groups_checker = NULL;
  g_autoptr(GPtrArray) group_checkers = g_ptr_array_new_with_free_func ((GDestroyNotify) model_checker_free);
  g_autoptr(GPtrArray) network = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  g_autoptr(GPtrArray) second = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  Emissions emissions = { 0, group_checkers };
  GListModel *groups;
  MessengerGroup *family;
  guint n_groups, expected = 0;

  roster = messenger_roster_new (fixture->account, fixture->store, fixture->account_id);
  groups = messenger_roster_get_groups (roster);
  checker = model_checker_new (G_LIST_MODEL (roster));
  groups_checker = model_checker_new (groups);
  g_signal_connect (roster, "items-changed", G_CALLBACK (count_emission_cb), &emissions);
  g_signal_connect (groups, "items-changed", G_CALLBACK (count_emission_cb), &emissions);
  g_signal_connect (groups, "items-changed", G_CALLBACK (groups_changed_cb), &emissions);

  /* 500 contacts, not in JID order: a third in no group, a tenth also in
   * "Zoo", one naming the same group twice. */
  for (guint i = 0; i < 500; i++)
    {
      guint k = (i * 7919) % 500;
      g_autofree char *jid = g_strdup_printf ("user%03u@example.org", k);
      const char *g1 = k % 3 == 0 ? NULL : names[k % 3];
      const char *g2 = k % 10 == 1 ? "Zoo" : k == 2 ? names[2] : NULL;

      if (g1 == NULL)  /* NULL ends the list */
        g1 = g2, g2 = NULL;

      g_ptr_array_add (network, model_fixture_roster_item (jid, NULL, XMPP_SUBSCRIPTION_BOTH, g1, g2, NULL));
    }
  g_signal_emit_by_name (fixture->account, "roster-received", network, "a", FALSE);

  n_groups = g_list_model_get_n_items (groups);
  g_assert_cmpuint (n_groups, ==, 4);
  g_assert_cmpuint (group_checkers->len, ==, n_groups);
  g_assert_cmpuint (emissions.n_changes, <=, n_groups + 2);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_assert_cmpuint (model_checker_get_n_changes (groups_checker), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 500);
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 0)), ==, "Family");
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 1)), ==, "Friends");
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 2)), ==, "Zoo");
  g_assert_true (messenger_group_is_ungrouped (group_at (roster, 3)));
  assert_group (roster, NULL, 151, 0);       /* k % 3 == 0, but not k % 30 == 21 */
  assert_group (roster, "Family", 167, 0);   /* k % 3 == 1 */
  assert_group (roster, "Friends", 166, 0);  /* k % 3 == 2 */
  assert_group (roster, "Zoo", 50, 0);       /* k % 10 == 1 */
  for (guint i = 0; i < group_checkers->len; i++)
    {
      model_checker_check (group_checkers->pdata[i]);
      g_assert_cmpuint (model_checker_get_n_changes (group_checkers->pdata[i]), ==, 1);
    }

  /* Every fifth contact kept, a new one after each (in a new group "Aa"
   * or in "Family"), the rest gone. */
  for (guint k = 0; k < 500; k += 5)
    {
      g_autofree char *jid = g_strdup_printf ("user%03u@example.org", k);
      g_autofree char *other = g_strdup_printf ("user%03ux@example.org", k);
      const char *g1 = k % 3 == 0 ? NULL : names[k % 3];

      g_ptr_array_add (second, model_fixture_roster_item (jid, NULL, XMPP_SUBSCRIPTION_BOTH, g1, NULL));
      g_ptr_array_add (second, model_fixture_roster_item (other, NULL, XMPP_SUBSCRIPTION_BOTH,
                                                          k % 2 == 0 ? "Aa" : "Family", NULL));
      expected += (k % 3 == 1) + (k % 2 == 1);
    }
  g_signal_emit_by_name (fixture->account, "roster-received", second, "b", FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 200);
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 0)), ==, "Aa");
  assert_group (roster, "Aa", 50, 0);
  assert_group (roster, "Family", expected, 0);
  g_assert_null (find_group (roster, "Zoo"));
  family = find_group (roster, "Family");
  for (guint i = 1; i < g_list_model_get_n_items (G_LIST_MODEL (family)); i++)
    g_assert_cmpstr (jid_at (G_LIST_MODEL (family), i - 1), <, jid_at (G_LIST_MODEL (family), i));
  for (guint i = 0; i < group_checkers->len; i++)
    model_checker_check (group_checkers->pdata[i]);
  model_checker_check (checker);
  model_checker_check (groups_checker);

  g_signal_handlers_disconnect_by_data (roster, &emissions);
  g_signal_handlers_disconnect_by_data (groups, &emissions);
  for (guint i = 0; i < g_list_model_get_n_items (groups); i++)
    g_signal_handlers_disconnect_by_data (group_at (roster, i), &emissions);
  /* The checkers of groups that are gone hold them: free them first. */
  g_ptr_array_set_size (group_checkers, 0);
}

static void
test_pushes (ModelFixture  *fixture,
             gconstpointer  data)
{
  g_autoptr(MessengerRoster) roster = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(ModelChecker) groups_checker = NULL;
  g_autoptr(XmppRosterItem) carol = NULL;
  g_autoptr(XmppRosterItem) carol_moved = NULL;
  g_autoptr(XmppRosterItem) bob_removed = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_autofree char *version = NULL;

  store_roster (fixture, "v1",
                stored_item (BOB, "Bob", "Friends", NULL),
                stored_item (DAVE, "Dave", NULL, NULL),
                NULL);
  roster = messenger_roster_new (fixture->account, fixture->store, fixture->account_id);
  checker = model_checker_new (G_LIST_MODEL (roster));
  groups_checker = model_checker_new (messenger_roster_get_groups (roster));

  /* Added in JID order. */
  carol = model_fixture_roster_item (CAROL, "Carol", XMPP_SUBSCRIPTION_NONE, "Friends", NULL);
  carol->ask = TRUE;
  g_signal_emit_by_name (fixture->account, "roster-push", carol, "v2");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 3);
  g_assert_cmpstr (jid_at (G_LIST_MODEL (roster), 1), ==, CAROL);
  g_assert_cmpstr (messenger_contact_get_subscription_description (messenger_roster_lookup (roster, CAROL)),
                   ==, "Waiting for approval");
  assert_group (roster, "Friends", 2, 0);
  g_assert_cmpstr (messenger_roster_get_version (roster), ==, "v2");
  model_fixture_flush (fixture);
  load_stored (fixture, &stored, &version);
  g_assert_cmpuint (stored->len, ==, 3);
  g_assert_cmpstr (version, ==, "v2");
  g_clear_pointer (&stored, g_ptr_array_unref);
  g_clear_pointer (&version, g_free);

  /* Changed: carol moves from Friends to Work and Family. */
  carol_moved = model_fixture_roster_item (CAROL, "Carol", XMPP_SUBSCRIPTION_BOTH, "Work", "Family", NULL);
  g_signal_emit_by_name (fixture->account, "roster-push", carol_moved, "v3");
  assert_group (roster, "Friends", 1, 0);
  assert_group (roster, "Work", 1, 0);
  assert_group (roster, "Family", 1, 0);
  g_assert_cmpstr (messenger_group_get_name (group_at (roster, 0)), ==, "Family");
  g_assert_cmpstr (messenger_contact_get_subscription_description (messenger_roster_lookup (roster, CAROL)),
                   ==, "You see each other");

  /* Removed: bob goes, and with him the Friends group. */
  bob_removed = model_fixture_roster_item (BOB, NULL, XMPP_SUBSCRIPTION_REMOVE, NULL);
  g_signal_emit_by_name (fixture->account, "roster-push", bob_removed, "v4");
  g_assert_null (messenger_roster_lookup (roster, BOB));
  g_assert_null (find_group (roster, "Friends"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 2);

  model_fixture_flush (fixture);
  load_stored (fixture, &stored, &version);
  g_assert_cmpuint (stored->len, ==, 2);
  g_assert_cmpstr (version, ==, "v4");
  g_assert_cmpstr (((MessengerStoreRosterItem *) stored->pdata[0])->jid, ==, CAROL);
  g_assert_cmpstrv (((MessengerStoreRosterItem *) stored->pdata[0])->groups,
                    ((const char *[]) { "Family", "Work", NULL }));
}

static void
count_cb (GListModel *model,
          guint       position,
          guint       removed,
          guint       added,
          guint      *changes)
{
  (*changes)++;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* Presence updates counts, and re-emits the contact's row so a sorting
 * view moves it; a contact in two groups is in both. */
static void
test_groups_and_presence (ModelFixture  *fixture,
                          gconstpointer  data)
{
  g_autoptr(MessengerRoster) roster = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(ModelChecker) groups_checker = NULL;
  g_autoptr(ModelChecker) friends_checker = NULL;
  g_autoptr(ModelChecker) work_checker = NULL;
  MessengerGroup *friends, *work;
  MessengerContact *carol;
  guint roster_changes = 0, online_notifies = 0;

  store_roster (fixture, NULL,
                stored_item (BOB, "Bob", "Friends", NULL),
                stored_item (CAROL, "Carol", "Friends", "Work"),
                stored_item (DAVE, "Dave", NULL, NULL),
                NULL);
  roster = messenger_roster_new (fixture->account, fixture->store, fixture->account_id);
  checker = model_checker_new (G_LIST_MODEL (roster));
  groups_checker = model_checker_new (messenger_roster_get_groups (roster));
  friends = find_group (roster, "Friends");
  work = find_group (roster, "Work");
  friends_checker = model_checker_new (G_LIST_MODEL (friends));
  work_checker = model_checker_new (G_LIST_MODEL (work));
  carol = messenger_roster_lookup (roster, CAROL);

  g_signal_connect (roster, "items-changed", G_CALLBACK (count_cb), &roster_changes);
  g_signal_connect (friends, "notify::online-count", G_CALLBACK (count_notify_cb), &online_notifies);

  /* Carol (in Friends and Work) comes online: both counts move. */
  messenger_contact_set_presence (carol, XMPP_SHOW_AVAILABLE, "here");
  assert_group (roster, "Friends", 2, 1);
  assert_group (roster, "Work", 1, 1);
  assert_group (roster, NULL, 1, 0);
  g_assert_cmpuint (roster_changes, ==, 1);
  g_assert_cmpuint (model_checker_get_n_changes (friends_checker), ==, 1);
  g_assert_cmpuint (model_checker_get_n_changes (work_checker), ==, 1);

  /* Another show: rows re-emitted, counts unchanged. */
  messenger_contact_set_presence (carol, XMPP_SHOW_AWAY, "here");
  assert_group (roster, "Friends", 2, 1);
  g_assert_cmpuint (roster_changes, ==, 2);

  /* A new status only: not a sort key, no row change. */
  messenger_contact_set_presence (carol, XMPP_SHOW_AWAY, "gone fishing");
  g_assert_cmpuint (roster_changes, ==, 2);

  messenger_contact_set_presence (messenger_roster_lookup (roster, BOB), XMPP_SHOW_DND, NULL);
  assert_group (roster, "Friends", 2, 2);

  /* Leaving a group while online takes her count along. */
  messenger_contact_set_groups (carol, (const char *[]) { "Work", NULL });
  assert_group (roster, "Friends", 1, 1);
  assert_group (roster, "Work", 1, 1);

  /* Into no group: she joins Ungrouped, and Work disappears. */
  messenger_contact_set_groups (carol, NULL);
  assert_group (roster, NULL, 2, 1);
  g_assert_null (find_group (roster, "Work"));

  messenger_contact_set_presence (carol, XMPP_SHOW_OFFLINE, NULL);
  messenger_contact_set_presence (messenger_roster_lookup (roster, BOB), XMPP_SHOW_OFFLINE, NULL);
  assert_group (roster, "Friends", 1, 0);
  assert_group (roster, NULL, 2, 0);
  g_assert_cmpuint (online_notifies, >=, 3);

  g_signal_handlers_disconnect_by_data (roster, &roster_changes);
  g_signal_handlers_disconnect_by_func (friends, count_notify_cb, &online_notifies);
  g_clear_pointer (&work_checker, model_checker_free);
}

static void
test_subscription_requests (ModelFixture  *fixture,
                            gconstpointer  data)
{
  g_autoptr(MessengerSubscriptionRequests) requests = messenger_subscription_requests_new (fixture->account);
  g_autoptr(ModelChecker) checker = model_checker_new (G_LIST_MODEL (requests));
  g_autoptr(XmppJid) bob = xmpp_jid_new (BOB "/phone", NULL);
  g_autoptr(XmppJid) carol = xmpp_jid_new (CAROL, NULL);
  g_autoptr(XmppRosterItem) carol_approved = NULL;
  g_autoptr(MessengerSubscriptionRequest) first = NULL;

  g_signal_emit_by_name (fixture->account, "subscription", bob, XMPP_PRESENCE_SUBSCRIBE);
  g_signal_emit_by_name (fixture->account, "subscription", carol, XMPP_PRESENCE_SUBSCRIBE);
  /* Delivered again (e.g. at the next login): still one each. */
  g_signal_emit_by_name (fixture->account, "subscription", bob, XMPP_PRESENCE_SUBSCRIBE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (requests)), ==, 2);

  first = g_list_model_get_item (G_LIST_MODEL (requests), 0);
  g_assert_cmpstr (messenger_subscription_request_get_jid (first), ==, BOB);
  g_assert_cmpstr (messenger_subscription_request_get_initials (first), ==, "B");
  g_assert_nonnull (messenger_subscription_request_get_color (first));
  g_assert_cmpint (messenger_subscription_request_get_time (first), >, 0);

  /* Offline, an answer cannot go out: the request stays. */
  g_assert_false (messenger_subscription_requests_approve (requests, first));
  g_assert_false (messenger_subscription_requests_deny (requests, first));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (requests)), ==, 2);

  /* Other presence traffic is not a request. */
  g_signal_emit_by_name (fixture->account, "subscription", carol, XMPP_PRESENCE_SUBSCRIBED);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (requests)), ==, 2);

  /* Bob withdraws. */
  g_signal_emit_by_name (fixture->account, "subscription", bob, XMPP_PRESENCE_UNSUBSCRIBE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (requests)), ==, 1);

  /* Carol was approved from another device: the roster push says so. */
  carol_approved = model_fixture_roster_item (CAROL, NULL, XMPP_SUBSCRIPTION_FROM, NULL);
  g_signal_emit_by_name (fixture->account, "roster-push", carol_approved, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (requests)), ==, 0);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 4);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, ModelFixture, NULL, model_fixture_set_up, func, model_fixture_tear_down)

  ADD ("/roster/cache-then-network", test_cache_then_network);
  ADD ("/roster/replace-in-runs", test_replace_in_runs);
  ADD ("/roster/fetched-into-empty", test_fetched_into_empty);
  ADD ("/roster/pushes", test_pushes);
  ADD ("/roster/groups-and-presence", test_groups_and_presence);
  ADD ("/roster/subscription-requests", test_subscription_requests);

#undef ADD

  return g_test_run ();
}
