/* test-sorted-contacts.c: MessengerSortedContacts, the sidebar's view of a group
 *
 * Over a real roster group (the model fixture's offline account, roster
 * signals emitted by hand): the order is messenger_contact_compare()'s, the
 * filter hides offline contacts, a moved contact is one removal and one
 * insertion (never a range), and every emission is checked against the
 * model by the model checker.  Finally a random walk compares the model
 * with a sort of the group after each step.
 */
#include "config.h"

#include <gtk/gtk.h>

#include "messenger-roster.h"
#include "messenger-sorted-contacts.h"
#include "model-checker.h"
#include "model-fixture.h"

typedef struct
{
  ModelFixture     base;
  MessengerRoster *roster;
  GtkFilter       *filter;
  gboolean         show_offline;
} Fixture;

static gboolean
online_filter (gpointer item,
               gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->show_offline || messenger_contact_get_online (item);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  model_fixture_set_up (&fixture->base, data);
  fixture->roster = messenger_roster_new (fixture->base.account, fixture->base.store, fixture->base.account_id);
  fixture->filter = GTK_FILTER (gtk_custom_filter_new (online_filter, fixture, NULL));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->filter);
  g_clear_object (&fixture->roster);
  model_fixture_tear_down (&fixture->base, data);
}

/* The group "Friends" with @n contacts c000…, all offline. */
static GListModel *
friends (Fixture *fixture,
         guint    n)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  GListModel *groups = messenger_roster_get_groups (fixture->roster);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *jid = g_strdup_printf ("c%03u@example.org", i);
      g_autofree char *name = g_strdup_printf ("Name %03u", (i * 7) % n);

      g_ptr_array_add (items, model_fixture_roster_item (jid, name, XMPP_SUBSCRIPTION_BOTH, "Friends", NULL));
    }
  g_signal_emit_by_name (fixture->base.account, "roster-received", items, "v1", FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 1);
  return g_list_model_get_item (groups, 0);
}

static MessengerContact *
contact (Fixture *fixture,
         guint    i)
{
  g_autofree char *jid = g_strdup_printf ("c%03u@example.org", i);

  return messenger_roster_lookup (fixture->roster, jid);
}

/* The model is the group's shown contacts, sorted. */
static void
assert_sorted (Fixture    *fixture,
               GListModel *group,
               GListModel *model)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (group); i++)
    {
      g_autoptr(MessengerContact) c = g_list_model_get_item (group, i);

      if (online_filter (c, fixture))
        g_ptr_array_add (expected, g_object_ref (c));
    }
  /* An insertion sort with the comparison itself (slow and obvious). */
  for (guint i = 1; i < expected->len; i++)
    for (guint j = i; j > 0 && messenger_contact_compare (expected->pdata[j - 1], expected->pdata[j], NULL) > 0; j--)
      {
        gpointer tmp = expected->pdata[j];

        expected->pdata[j] = expected->pdata[j - 1];
        expected->pdata[j - 1] = tmp;
      }

  g_assert_cmpuint (g_list_model_get_n_items (model), ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    {
      g_autoptr(MessengerContact) c = g_list_model_get_item (model, i);

      g_assert_true (c == expected->pdata[i]);
    }
}

static void
test_order_and_filter (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GListModel) group = friends (fixture, 10);
  g_autoptr(MessengerSortedContacts) sorted = messenger_sorted_contacts_new (group, fixture->filter);
  g_autoptr(ModelChecker) checker = model_checker_new (G_LIST_MODEL (sorted));

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sorted)), ==, 0);

  /* Coming online: one insertion each. */
  messenger_contact_set_presence (contact (fixture, 3), XMPP_SHOW_AWAY, NULL);
  messenger_contact_set_presence (contact (fixture, 5), XMPP_SHOW_AVAILABLE, NULL);
  messenger_contact_set_presence (contact (fixture, 7), XMPP_SHOW_CHAT, NULL);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 3);
  g_assert_cmpuint (model_checker_get_n_removed (checker), ==, 0);
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));
  {
    g_autoptr(MessengerContact) first = g_list_model_get_item (G_LIST_MODEL (sorted), 0);

    g_assert_true (first == contact (fixture, 7));
  }

  /* A move is one removal and one insertion. */
  model_checker_reset_counts (checker);
  messenger_contact_set_presence (contact (fixture, 3), XMPP_SHOW_CHAT, NULL);
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));
  g_assert_cmpuint (model_checker_get_n_removed (checker), <=, 1);
  g_assert_cmpuint (model_checker_get_n_added (checker), <=, 1);

  /* A change that keeps the place is one (p, 1, 1). */
  model_checker_reset_counts (checker);
  messenger_contact_set_presence (contact (fixture, 3), XMPP_SHOW_CHAT, "status only");
  g_assert_cmpuint (model_checker_get_n_changes (checker), <=, 1);

  /* Going offline: one removal. */
  model_checker_reset_counts (checker);
  messenger_contact_set_presence (contact (fixture, 5), XMPP_SHOW_OFFLINE, NULL);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_assert_cmpuint (model_checker_get_n_removed (checker), ==, 1);
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));

  /* The filter changing: everything again. */
  fixture->show_offline = TRUE;
  gtk_filter_changed (fixture->filter, GTK_FILTER_CHANGE_LESS_STRICT);
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sorted)), ==, 10);

  /* A rename moves too: first of the offline ones, after the two online. */
  messenger_contact_set_name (contact (fixture, 0), "Aaron");
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));
  {
    g_autoptr(MessengerContact) first = g_list_model_get_item (G_LIST_MODEL (sorted), 2);

    g_assert_true (first == contact (fixture, 0));
  }
}

static void
test_roster_changes (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GListModel) group = friends (fixture, 5);
  g_autoptr(MessengerSortedContacts) sorted = NULL;
  g_autoptr(ModelChecker) checker = NULL;

  fixture->show_offline = TRUE;
  sorted = messenger_sorted_contacts_new (group, fixture->filter);
  checker = model_checker_new (G_LIST_MODEL (sorted));
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));

  /* A push adds a member; another removes one. */
  {
    g_autoptr(XmppRosterItem) added = model_fixture_roster_item ("b000@example.org", "Zed", XMPP_SUBSCRIPTION_BOTH,
                                                                 "Friends", NULL);
    g_autoptr(XmppRosterItem) removed = model_fixture_roster_item ("c002@example.org", NULL,
                                                                   XMPP_SUBSCRIPTION_REMOVE, NULL);

    g_signal_emit_by_name (fixture->base.account, "roster-push", added, "v2");
    assert_sorted (fixture, group, G_LIST_MODEL (sorted));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sorted)), ==, 6);
    g_signal_emit_by_name (fixture->base.account, "roster-push", removed, "v3");
    assert_sorted (fixture, group, G_LIST_MODEL (sorted));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (sorted)), ==, 5);
  }
}

static void
test_random_walk (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GListModel) group = friends (fixture, 120);
  g_autoptr(MessengerSortedContacts) sorted = messenger_sorted_contacts_new (group, fixture->filter);
  g_autoptr(ModelChecker) checker = model_checker_new (G_LIST_MODEL (sorted));
  GRand *rand = g_rand_new_with_seed (42);

  for (guint step = 0; step < 2000; step++)
    {
      MessengerContact *c = contact (fixture, g_rand_int_range (rand, 0, 120));

      switch (g_rand_int_range (rand, 0, 10))
        {
        case 0:
          {
            g_autofree char *name = g_strdup_printf ("Renamed %u", g_rand_int_range (rand, 0, 50));

            messenger_contact_set_name (c, name);
          }
          break;
        case 1:
          fixture->show_offline = !fixture->show_offline;
          gtk_filter_changed (fixture->filter, GTK_FILTER_CHANGE_DIFFERENT);
          break;
        default:
          messenger_contact_set_presence (c, (XmppShow) g_rand_int_range (rand, XMPP_SHOW_CHAT, XMPP_SHOW_OFFLINE + 1),
                                          NULL);
          break;
        }
      if (step % 50 == 0)
        assert_sorted (fixture, group, G_LIST_MODEL (sorted));
    }
  assert_sorted (fixture, group, G_LIST_MODEL (sorted));
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sorted-contacts/order-and-filter", Fixture, NULL, fixture_set_up, test_order_and_filter, fixture_tear_down);
  g_test_add ("/sorted-contacts/roster-changes", Fixture, NULL, fixture_set_up, test_roster_changes, fixture_tear_down);
  g_test_add ("/sorted-contacts/random-walk", Fixture, NULL, fixture_set_up, test_random_walk, fixture_tear_down);
  return g_test_run ();
}
