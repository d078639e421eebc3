/* test-roster-edit.c: editing the roster and vCard avatars, against the
 * bundled server
 *
 *  /roster-edit/add-rename-groups-remove  add (roster set + subscribe: Bob
 *      gets the request), rename, change groups, remove; each change comes
 *      back into the model as the server's push
 *  /roster-edit/errors  invalid and own addresses, offline, unknown contact
 *  /avatar-cache/presence-hash  Bob publishes a vCard photo and announces
 *      its hash in presence: Alice's cache fetches, stores and shows it; a
 *      new cache on the same folder shows it with no network; an empty
 *      <photo/> removes it
 */
#include "config.h"

#include <string.h>

#include "messenger-avatar-cache.h"
#include "messenger-roster-edit.h"
#include "messenger-subscription-requests.h"
#include "server-fixture.h"
#include "test-util.h"

#define ALICE TEST_ALICE
#define BOB   TEST_BOB

static TestServer srv;

typedef struct
{
  char             *dir;
  MessengerStore   *store;
  MessengerAccount *alice;
  MessengerAccount *bob;
  MessengerRoster  *roster;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(MessengerStoreAccount) account = messenger_store_account_new (ALICE);
  g_autoptr(GAsyncResult) result = NULL;
  gint64 id;

  f->dir = g_dir_make_tmp ("messenger-roster-edit-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "messenger.db", NULL);
  f->store = messenger_store_open (path, &error);
  g_assert_no_error (error);
  messenger_store_add_account_async (f->store, account, NULL, test_result_cb, &result);
  id = messenger_store_add_account_finish (f->store, WAIT_RESULT (&result), &error);
  g_assert_no_error (error);

  f->alice = test_server_new_account (&srv, ALICE, "alice-pw");
  f->bob = test_server_new_account (&srv, BOB, "bob-pw");
  f->roster = messenger_roster_new (f->alice, f->store, id);
  messenger_account_connect (f->alice);
  messenger_account_connect (f->bob);
  WAIT_UNTIL (messenger_account_get_state (f->alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (f->bob) == MESSENGER_ACCOUNT_ONLINE);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  messenger_account_disconnect (f->alice);
  messenger_account_disconnect (f->bob);
  g_clear_object (&f->roster);
  g_clear_object (&f->alice);
  g_clear_object (&f->bob);
  messenger_store_close (f->store);
  g_clear_object (&f->store);
  /* Let the closing connections finish. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  test_remove_tree (f->dir);
  g_free (f->dir);
}

static gboolean
edit_finish (MessengerRoster  *roster,
             GAsyncResult     *result,
             GError          **error)
{
  gpointer tag = g_task_get_source_tag (G_TASK (result));

  if (tag == messenger_roster_add_contact_async)
    return messenger_roster_add_contact_finish (roster, result, error);
  if (tag == messenger_roster_rename_contact_async)
    return messenger_roster_rename_contact_finish (roster, result, error);
  if (tag == messenger_roster_set_contact_groups_async)
    return messenger_roster_set_contact_groups_finish (roster, result, error);
  return messenger_roster_remove_contact_finish (roster, result, error);
}

/* Waits for an edit; returns its error (NULL on success). */
static GError *
wait_edit (MessengerRoster *roster,
           GAsyncResult   **result)
{
  GError *error = NULL;

  if (!edit_finish (roster, WAIT_RESULT (result), &error))
    g_assert_nonnull (error);
  else
    g_assert_null (error);
  g_clear_object (result);
  return error;
}

static gboolean
groups_are (MessengerContact   *contact,
            const char * const *expected)
{
  return contact != NULL && g_strv_equal (messenger_contact_get_groups (contact), expected);
}

static void
test_add_rename_groups_remove (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(MessengerSubscriptionRequests) bob_requests = messenger_subscription_requests_new (f->bob);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MessengerContact *contact;

  /* Add: a roster set (the push brings the contact), then the request. */
  messenger_roster_add_contact_async (f->roster, " Bob@LocalHost ", " Bobby ",
                                      (const char *[]) { "Friends", " ", "Friends", NULL },
                                      NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_no_error (error);
  WAIT_UNTIL ((contact = messenger_roster_lookup (f->roster, BOB)) != NULL);
  g_assert_cmpstr (messenger_contact_get_name (contact), ==, "Bobby");
  g_assert_true (groups_are (contact, (const char *[]) { "Friends", NULL }));
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (bob_requests)) == 1);
  {
    g_autoptr(MessengerSubscriptionRequest) request = g_list_model_get_item (G_LIST_MODEL (bob_requests), 0);

    g_assert_cmpstr (messenger_subscription_request_get_jid (request), ==, ALICE);
  }
  WAIT_UNTIL (messenger_contact_get_awaiting_approval (contact));

  /* Adding again does not ask twice. */
  messenger_roster_add_contact_async (f->roster, BOB, "Bobby", (const char *[]) { "Friends", NULL },
                                      NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bob_requests)), ==, 1);

  /* Rename keeps the groups. */
  messenger_roster_rename_contact_async (f->roster, BOB, "Robert", NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_no_error (error);
  WAIT_UNTIL (g_strcmp0 (messenger_contact_get_name (contact), "Robert") == 0);
  g_assert_true (groups_are (contact, (const char *[]) { "Friends", NULL }));

  /* Groups keep the name. */
  messenger_roster_set_contact_groups_async (f->roster, BOB, (const char *[]) { "Work", "Friends", NULL },
                                             NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_no_error (error);
  WAIT_UNTIL (groups_are (contact, (const char *[]) { "Friends", "Work", NULL }));
  g_assert_cmpstr (messenger_contact_get_name (contact), ==, "Robert");

  /* An empty name removes it: the address shows. */
  messenger_roster_rename_contact_async (f->roster, BOB, "  ", NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_no_error (error);
  WAIT_UNTIL (messenger_contact_get_name (contact) == NULL);
  g_assert_cmpstr (messenger_contact_get_display_name (contact), ==, BOB);

  /* Remove. */
  messenger_roster_remove_contact_async (f->roster, BOB, NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_no_error (error);
  WAIT_UNTIL (messenger_roster_lookup (f->roster, BOB) == NULL);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;
  g_autofree char *normalized = NULL;

  normalized = messenger_roster_normalize_address ("  Carol@Example.ORG ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (normalized, ==, "carol@example.org");
  g_assert_null (messenger_roster_normalize_address ("example.org", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);
  g_assert_null (messenger_roster_normalize_address ("", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);

  messenger_roster_add_contact_async (f->roster, "not an address@", NULL, NULL, NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);

  messenger_roster_add_contact_async (f->roster, ALICE "/phone", NULL, NULL, NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  messenger_roster_rename_contact_async (f->roster, "nobody@localhost", "X", NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  messenger_account_disconnect (f->alice);
  messenger_roster_add_contact_async (f->roster, BOB, NULL, NULL, NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  messenger_roster_remove_contact_async (f->roster, BOB, NULL, test_result_cb, &result);
  error = wait_edit (f->roster, &result);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
}

/* --- avatars ---------------------------------------------------------- */

/* A 1×1 PNG. */
static const guint8 tiny_png[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
  0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
  0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
  0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static void
iq_cb (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);

  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* A ping answered by the server: everything @account sent before was
 * processed (a server handles one stream in order). */
static void
round_trip (MessengerAccount *account)
{
  g_autoptr(XmppElement) ping = xmpp_stanza_new_iq ("get", NULL, NULL);
  gboolean done = FALSE;

  xmpp_element_add_child_new (ping, XMPP_NS_PING, "ping");
  xmpp_client_send_iq_async (messenger_account_get_client (account), ping, NULL, iq_cb, &done);
  WAIT_UNTIL (done);
}

/* Bob publishes a vCard whose BINVAL is wrapped, as many clients do. */
static void
publish_photo (MessengerAccount *bob)
{
  g_autoptr(XmppElement) iq = xmpp_stanza_new_iq ("set", NULL, NULL);
  XmppElement *vcard = xmpp_element_add_child_new (iq, "vcard-temp", "vCard");
  XmppElement *photo = xmpp_element_add_child_new (vcard, NULL, "PHOTO");
  g_autofree char *base64 = g_base64_encode (tiny_png, sizeof tiny_png);
  g_autoptr(GString) wrapped = g_string_new ("\n");
  gboolean done = FALSE;

  for (gsize i = 0; base64[i] != '\0'; i++)
    {
      g_string_append_c (wrapped, base64[i]);
      if (i % 20 == 19)
        g_string_append (wrapped, "\n  ");
    }
  xmpp_element_add_child_with_text (photo, NULL, "TYPE", "image/png");
  xmpp_element_add_child_with_text (photo, NULL, "BINVAL", wrapped->str);
  xmpp_element_add_child_with_text (vcard, NULL, "FN", "Bob");
  xmpp_client_send_iq_async (messenger_account_get_client (bob), iq, NULL, iq_cb, &done);
  WAIT_UNTIL (done);
}

/* A directed presence to Alice with the photo hash (NULL: an empty
 * <photo/>). */
static void
announce_photo (MessengerAccount *bob,
                const char       *hash)
{
  g_autoptr(XmppElement) presence = xmpp_element_new (XMPP_NS_CLIENT, "presence");
  XmppElement *x;

  xmpp_element_set_attribute (presence, "to", ALICE);
  x = xmpp_element_add_child_new (presence, "vcard-temp:x:update", "x");
  if (hash != NULL)
    xmpp_element_add_child_with_text (x, NULL, "photo", hash);
  else
    xmpp_element_add_child_new (x, NULL, "photo");
  xmpp_client_send (messenger_account_get_client (bob), presence);
}

static void
changed_cb (MessengerAvatarCache *cache,
            const char           *jid,
            GPtrArray            *changes)
{
  g_ptr_array_add (changes, g_strdup (jid));
}

static void
test_avatar_presence_hash (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *cache_dir = g_build_filename (f->dir, "avatars", NULL);
  g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA1, tiny_png, sizeof tiny_png);
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MessengerAvatarCache) cache = messenger_avatar_cache_new (f->alice, cache_dir);
  g_autoptr(GIcon) icon = NULL;
  g_autoptr(GBytes) stored = NULL;
  GFile *file;

  g_signal_connect (cache, "changed", G_CALLBACK (changed_cb), changes);
  g_assert_null (messenger_avatar_cache_lookup (cache, BOB));

  round_trip (f->alice);
  publish_photo (f->bob);
  announce_photo (f->bob, hash);
  WAIT_UNTIL (changes->len == 1);
  g_assert_cmpstr (changes->pdata[0], ==, BOB);

  icon = messenger_avatar_cache_lookup (cache, BOB);
  g_assert_true (G_IS_FILE_ICON (icon));
  file = g_file_icon_get_file (G_FILE_ICON (icon));
  stored = g_file_load_bytes (file, NULL, NULL, NULL);
  g_assert_nonnull (stored);
  g_assert_cmpmem (g_bytes_get_data (stored, NULL), g_bytes_get_size (stored), tiny_png, sizeof tiny_png);
  {
    g_autofree char *name = g_file_get_basename (file);

    g_assert_cmpstr (name, ==, hash);
  }

  /* The same hash again: nothing to do. */
  announce_photo (f->bob, hash);
  /* A hash that is not a SHA-1 is ignored, never used as a file name. */
  announce_photo (f->bob, "../../etc/passwd");
  round_trip (f->bob);
  round_trip (f->alice);
  g_assert_cmpuint (changes->len, ==, 1);

  /* A new cache on the same folder knows it with no network. */
  g_clear_object (&cache);
  messenger_account_disconnect (f->alice);
  cache = messenger_avatar_cache_new (f->alice, cache_dir);
  g_signal_connect (cache, "changed", G_CALLBACK (changed_cb), changes);
  g_clear_object (&icon);
  icon = messenger_avatar_cache_lookup (cache, BOB);
  g_assert_true (G_IS_FILE_ICON (icon));

  /* Online again: an empty <photo/> means no picture. */
  messenger_account_connect (f->alice);
  WAIT_UNTIL (messenger_account_get_state (f->alice) == MESSENGER_ACCOUNT_ONLINE);
  /* Once the server has Alice's initial presence, she is there to get
   * Bob's directed presence. */
  round_trip (f->alice);
  announce_photo (f->bob, NULL);
  WAIT_UNTIL (changes->len == 2);
  g_assert_null (messenger_avatar_cache_lookup (cache, BOB));
}

static void
test_avatar_refresh (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *cache_dir = g_build_filename (f->dir, "avatars", NULL);
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MessengerAvatarCache) cache = messenger_avatar_cache_new (f->alice, cache_dir);
  g_autoptr(GIcon) icon = NULL;

  g_signal_connect (cache, "changed", G_CALLBACK (changed_cb), changes);
  publish_photo (f->bob);
  messenger_avatar_cache_refresh (cache, BOB);
  WAIT_UNTIL (changes->len == 1);
  icon = messenger_avatar_cache_lookup (cache, BOB);
  g_assert_true (G_IS_FILE_ICON (icon));
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  g_test_add ("/roster-edit/add-rename-groups-remove", Fixture, NULL,
              fixture_set_up, test_add_rename_groups_remove, fixture_tear_down);
  g_test_add ("/roster-edit/errors", Fixture, NULL, fixture_set_up, test_errors, fixture_tear_down);
  g_test_add ("/avatar-cache/presence-hash", Fixture, NULL,
              fixture_set_up, test_avatar_presence_hash, fixture_tear_down);
  g_test_add ("/avatar-cache/refresh", Fixture, NULL, fixture_set_up, test_avatar_refresh, fixture_tear_down);

  return test_server_run (&srv, "messenger-roster-edit-server-XXXXXX");
}
