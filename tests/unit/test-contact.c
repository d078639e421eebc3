/* test-contact.c: MessengerContact and avatar colours
 *
 * XEP-0392 colours against the XEP's own test vectors, initials, the
 * subscription in plain words, and property notifications: each property
 * notifies exactly when its value changes.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "messenger-avatar.h"
#include "messenger-contact.h"

/* XEP-0392 §14.1 "No Color Vision Deficiency correction": text, hue,
 * and the RGB of HSLuv (hue, 100, 50). */
static const struct
{
  const char *text;
  double      hue;
  double      r, g, b;
} vectors[] = {
  { "Romeo", 327.255249, 0.865, 0.000, 0.686 },
  { "juliet@capulet.lit", 209.410400, 0.000, 0.515, 0.573 },
  { "\xf0\x9f\x98\xba", 331.199341, 0.872, 0.000, 0.659 },
  { "council", 359.994507, 0.918, 0.000, 0.394 },
  { "Board", 171.430664, 0.000, 0.527, 0.457 },
};

static void
test_avatar_colors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      double r, g, b;

      g_assert_cmpfloat_with_epsilon (messenger_avatar_hue (vectors[i].text), vectors[i].hue, 1e-6);
      messenger_avatar_rgb_for_hue (vectors[i].hue, &r, &g, &b);
      g_assert_cmpfloat_with_epsilon (r, vectors[i].r, 0.0006);
      g_assert_cmpfloat_with_epsilon (g, vectors[i].g, 0.0006);
      g_assert_cmpfloat_with_epsilon (b, vectors[i].b, 0.0006);
    }
  {
    g_autofree char *css = messenger_avatar_color ("juliet@capulet.lit");

    /* 0.000, 0.515, 0.573 × 255 */
    g_assert_cmpstr (css, ==, "#008392");
  }
}

static void
test_avatar_initials (void)
{
  static const struct { const char *name, *initials; } cases[] = {
    { "Romeo Montague", "RM" },
    { "juliet", "J" },
    { "  Mercutio  ", "M" },
    { "Friar Laurence of Verona", "FV" },
    { "élodie durand", "ÉD" },
    { "王小明", "王" },
    { "bob@example.org", "B" },
    { "example.org", "E" },
    { "@example.org", "E" },
    { "(Nurse)", "N" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *initials = messenger_avatar_initials (cases[i].name);

      g_assert_cmpstr (initials, ==, cases[i].initials);
    }
}

typedef struct
{
  GHashTable *counts;   /* property name → count */
} Notifications;

static void
notify_cb (GObject       *object,
           GParamSpec    *pspec,
           Notifications *n)
{
  const char *name = g_param_spec_get_name (pspec);

  g_hash_table_insert (n->counts, (gpointer) name,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (n->counts, name)) + 1));
}

static guint
count (Notifications *n,
       const char    *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (n->counts, name));
}

static guint
total (Notifications *n)
{
  GHashTableIter iter;
  gpointer value;
  guint sum = 0;

  g_hash_table_iter_init (&iter, n->counts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    sum += GPOINTER_TO_UINT (value);
  return sum;
}

static void
test_contact_properties (void)
{
  g_autoptr(MessengerContact) contact = messenger_contact_new ("juliet@capulet.lit");
  Notifications n = { g_hash_table_new (g_str_hash, g_str_equal) };
  const char *groups[] = { "Verona", "Capulets", "Verona", "", NULL };
  const char *same[] = { "Capulets", "Verona", NULL };
  g_auto(GStrv) groups_prop = NULL;
  g_autofree char *description = NULL;

  g_signal_connect (contact, "notify", G_CALLBACK (notify_cb), &n);

  /* Defaults: the JID stands in for the name. */
  g_assert_cmpstr (messenger_contact_get_jid (contact), ==, "juliet@capulet.lit");
  g_assert_null (messenger_contact_get_name (contact));
  g_assert_cmpstr (messenger_contact_get_display_name (contact), ==, "juliet@capulet.lit");
  g_assert_cmpstr (messenger_contact_get_initials (contact), ==, "J");
  g_assert_cmpint (messenger_contact_get_show (contact), ==, XMPP_SHOW_OFFLINE);
  g_assert_false (messenger_contact_get_online (contact));
  g_assert_cmpfloat_with_epsilon (messenger_contact_get_color_hue (contact), 209.410400, 1e-6);
  g_assert_cmpstr (messenger_contact_get_color (contact), ==, "#008392");
  g_assert_cmpstrv (messenger_contact_get_groups (contact), ((const char *[]) { NULL }));

  /* The name: name, display-name and initials. */
  messenger_contact_set_name (contact, "Juliet Capulet");
  g_assert_cmpuint (count (&n, "name"), ==, 1);
  g_assert_cmpuint (count (&n, "display-name"), ==, 1);
  g_assert_cmpuint (count (&n, "initials"), ==, 1);
  g_assert_cmpstr (messenger_contact_get_initials (contact), ==, "JC");
  g_assert_cmpuint (total (&n), ==, 3);
  /* The same name again: nothing. */
  messenger_contact_set_name (contact, "Juliet Capulet");
  g_assert_cmpuint (total (&n), ==, 3);
  /* Same initials: no initials notification. */
  messenger_contact_set_name (contact, "Julia Carter");
  g_assert_cmpuint (count (&n, "initials"), ==, 1);
  g_assert_cmpuint (count (&n, "display-name"), ==, 2);
  /* An empty name is no name. */
  messenger_contact_set_name (contact, "");
  g_assert_null (messenger_contact_get_name (contact));
  g_assert_cmpstr (messenger_contact_get_display_name (contact), ==, "juliet@capulet.lit");
  g_hash_table_remove_all (n.counts);

  /* Groups: sorted, without duplicates or empty names; equal sets do
   * not notify. */
  messenger_contact_set_groups (contact, groups);
  g_assert_cmpstrv (messenger_contact_get_groups (contact), same);
  g_object_get (contact, "groups", &groups_prop, NULL);
  g_assert_cmpstrv (groups_prop, same);
  g_assert_true (messenger_contact_is_in_group (contact, "Verona"));
  g_assert_false (messenger_contact_is_in_group (contact, "Montagues"));
  messenger_contact_set_groups (contact, same);
  g_assert_cmpuint (count (&n, "groups"), ==, 1);
  g_assert_cmpuint (total (&n), ==, 1);
  g_hash_table_remove_all (n.counts);

  /* Presence: show, status, and online only when it flips. */
  messenger_contact_set_presence (contact, XMPP_SHOW_AWAY, "at the balcony");
  g_assert_cmpuint (count (&n, "show"), ==, 1);
  g_assert_cmpuint (count (&n, "status"), ==, 1);
  g_assert_cmpuint (count (&n, "online"), ==, 1);
  messenger_contact_set_presence (contact, XMPP_SHOW_CHAT, "at the balcony");
  g_assert_cmpuint (count (&n, "show"), ==, 2);
  g_assert_cmpuint (count (&n, "status"), ==, 1);
  g_assert_cmpuint (count (&n, "online"), ==, 1);
  messenger_contact_set_presence (contact, XMPP_SHOW_CHAT, "at the balcony");
  g_assert_cmpuint (total (&n), ==, 4);
  messenger_contact_set_presence (contact, XMPP_SHOW_OFFLINE, NULL);
  g_assert_cmpuint (count (&n, "online"), ==, 2);
  g_assert_false (messenger_contact_get_online (contact));
  g_assert_null (messenger_contact_get_status (contact));
  g_hash_table_remove_all (n.counts);

  /* Unread count. */
  messenger_contact_set_unread_count (contact, 3);
  messenger_contact_set_unread_count (contact, 3);
  g_assert_cmpuint (count (&n, "unread-count"), ==, 1);
  g_assert_cmpuint (messenger_contact_get_unread_count (contact), ==, 3);
  g_hash_table_remove_all (n.counts);

  /* Subscription in plain words: the description notifies only when the
   * words change. */
  g_assert_cmpstr (messenger_contact_get_subscription_description (contact), ==, "You don’t see each other");
  messenger_contact_set_subscription (contact, MESSENGER_SUBSCRIPTION_NONE, TRUE);
  g_assert_cmpstr (messenger_contact_get_subscription_description (contact), ==, "Waiting for approval");
  g_assert_cmpuint (count (&n, "awaiting-approval"), ==, 1);
  g_assert_cmpuint (count (&n, "subscription-description"), ==, 1);
  messenger_contact_set_subscription (contact, MESSENGER_SUBSCRIPTION_FROM, TRUE);
  g_assert_cmpuint (count (&n, "subscription"), ==, 1);
  g_assert_cmpuint (count (&n, "subscription-description"), ==, 1);
  messenger_contact_set_subscription (contact, MESSENGER_SUBSCRIPTION_FROM, FALSE);
  g_assert_cmpstr (messenger_contact_get_subscription_description (contact), ==, "They see when you are online");
  messenger_contact_set_subscription (contact, MESSENGER_SUBSCRIPTION_TO, FALSE);
  g_assert_cmpstr (messenger_contact_get_subscription_description (contact), ==, "You see when they are online");
  messenger_contact_set_subscription (contact, MESSENGER_SUBSCRIPTION_BOTH, FALSE);
  g_object_get (contact, "subscription-description", &description, NULL);
  g_assert_cmpstr (description, ==, "You see each other");
  g_assert_cmpuint (count (&n, "subscription-description"), ==, 4);
  g_assert_cmpint (messenger_contact_get_subscription (contact), ==, MESSENGER_SUBSCRIPTION_BOTH);

  g_signal_handlers_disconnect_by_data (contact, &n);
  g_hash_table_unref (n.counts);
}

static void
test_contact_new_full (void)
{
  g_autoptr(MessengerContact) contact = NULL;

  contact = messenger_contact_new_full ("romeo@montague.lit", "", MESSENGER_SUBSCRIPTION_TO, TRUE,
                                        (const char *[]) { "b", "a", "b", NULL });
  g_assert_null (messenger_contact_get_name (contact));
  g_assert_cmpstr (messenger_contact_get_display_name (contact), ==, "romeo@montague.lit");
  g_assert_cmpstrv (messenger_contact_get_groups (contact), ((const char *[]) { "a", "b", NULL }));
  g_assert_cmpint (messenger_contact_get_subscription (contact), ==, MESSENGER_SUBSCRIPTION_TO);
  g_assert_true (messenger_contact_get_awaiting_approval (contact));
  g_assert_cmpstr (messenger_contact_get_initials (contact), ==, "R");
  g_clear_object (&contact);

  contact = messenger_contact_new_full ("nurse@capulet.lit", "The Nurse", MESSENGER_SUBSCRIPTION_NONE, FALSE, NULL);
  g_assert_cmpstrv (messenger_contact_get_groups (contact), ((const char *[]) { NULL }));
  g_assert_cmpstr (messenger_contact_get_initials (contact), ==, "TN");
}

static void
test_contact_compare (void)
{
  g_autoptr(MessengerContact) anna = messenger_contact_new ("anna@example.org");
  g_autoptr(MessengerContact) bert = messenger_contact_new ("bert@example.org");
  g_autoptr(MessengerContact) carl = messenger_contact_new ("carl@example.org");
  g_autoptr(MessengerContact) dora = messenger_contact_new ("dora@example.org");

  messenger_contact_set_name (anna, "Anna");
  messenger_contact_set_name (bert, "bert");
  messenger_contact_set_name (carl, "Carl");
  /* dora has no name: her JID sorts with the names. */

  /* All offline: by name, case-insensitively. */
  g_assert_cmpint (messenger_contact_compare (anna, bert, NULL), <, 0);
  g_assert_cmpint (messenger_contact_compare (bert, carl, NULL), <, 0);
  g_assert_cmpint (messenger_contact_compare (carl, dora, NULL), <, 0);
  g_assert_cmpint (messenger_contact_compare (dora, dora, NULL), ==, 0);

  /* Presence first: available before away before offline. */
  messenger_contact_set_presence (dora, XMPP_SHOW_AVAILABLE, NULL);
  messenger_contact_set_presence (carl, XMPP_SHOW_AWAY, NULL);
  g_assert_cmpint (messenger_contact_compare (dora, carl, NULL), <, 0);
  g_assert_cmpint (messenger_contact_compare (carl, anna, NULL), <, 0);
  g_assert_cmpint (messenger_contact_compare (anna, dora, NULL), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/contact/avatar-colors", test_avatar_colors);
  g_test_add_func ("/contact/avatar-initials", test_avatar_initials);
  g_test_add_func ("/contact/properties", test_contact_properties);
  g_test_add_func ("/contact/new-full", test_contact_new_full);
  g_test_add_func ("/contact/compare", test_contact_compare);

  return g_test_run ();
}
