/* test-srv-storage.c: the server's SQLite storage */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "srv-storage.h"
#include "xmpp-error.h"
#include "xmpp-parser.h"

typedef struct
{
  char       *dir;
  char       *path;
  SrvStorage *storage;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("srv-storage-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "data", "messenger-server.db", NULL);
  fixture->storage = srv_storage_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->storage);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->storage, srv_storage_close);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
reopen (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&fixture->storage, srv_storage_close);
  fixture->storage = srv_storage_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->storage);
}

static XmppElement *
parse (const char *xml)
{
  g_autoptr(GError) error = NULL;
  XmppElement *element = xmpp_element_parse (xml, -1, &error);

  g_assert_no_error (error);
  return element;
}

static XmppElement *
message (const char *to,
         const char *body)
{
  g_autofree char *xml = g_markup_printf_escaped ("<message xmlns='jabber:client' from='bob@localhost/b'"
                                                  " to='%s' type='chat'><body>%s</body></message>",
                                                  to, body);
  return parse (xml);
}

static void
add_account (SrvStorage *storage,
             const char *name,
             const char *password)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (srv_storage_add_account (storage, name, password, &error));
  g_assert_no_error (error);
}

/* --- schema ---------------------------------------------------------- */

static char *
pragma_text (const char *path,
             const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
test_open_schema (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *mode = NULL;
  g_autofree char *version = NULL;
  g_autofree char *check = NULL;
  GStatBuf st;

  g_clear_pointer (&fixture->storage, srv_storage_close);
  mode = pragma_text (fixture->path, "PRAGMA journal_mode");
  version = pragma_text (fixture->path, "PRAGMA user_version");
  check = pragma_text (fixture->path, "PRAGMA integrity_check");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpstr (version, ==, "2");
  g_assert_cmpstr (check, ==, "ok");

  /* Keys live there: only the owner may read it. */
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);

  reopen (fixture);
}

static void
test_open_garbage (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("srv-storage-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "messenger-server.db", NULL);
  g_autofree char *junk = g_strnfill (4096, 'x');
  SrvStorage *storage;

  g_assert_true (g_file_set_contents (path, junk, -1, NULL));
  storage = srv_storage_open (path, &error);
  g_assert_null (storage);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_CORRUPT);
  remove_tree (dir);
}

static void
test_open_newer_schema (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("srv-storage-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "messenger-server.db", NULL);
  sqlite3 *db = NULL;
  SrvStorage *storage;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  storage = srv_storage_open (path, &error);
  g_assert_null (storage);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED);
  remove_tree (dir);
}

/* --- accounts -------------------------------------------------------- */

typedef struct
{
  SrvStorage *storage;
  guint       lookups;
} LookupData;

static gboolean
lookup_cb (const char           *username,
           const char           *hash_name,
           XmppScramCredentials *out,
           gpointer              user_data)
{
  LookupData *data = user_data;

  data->lookups++;
  return srv_storage_get_credentials (data->storage, username, hash_name, out);
}

/* A full SASL exchange: the protocol library's client against its server
 * looking the keys up in the storage.  Returns whether it succeeded. */
static gboolean
sasl_login (SrvStorage *storage,
            const char *mechanism,
            const char *username,
            const char *password)
{
  g_autoptr(XmppSaslClient) client = NULL;
  g_autoptr(XmppSaslServer) server = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;
  LookupData data = { storage, 0 };
  gboolean done = FALSE;

  client = xmpp_sasl_client_new (mechanism, username, password, &error);
  g_assert_no_error (error);
  server = xmpp_sasl_server_new (mechanism, lookup_cb, &data, NULL, &error);
  g_assert_no_error (error);

  message = xmpp_sasl_client_start (client, &error);
  g_assert_no_error (error);
  for (guint round = 0; round < 4; round++)
    {
      g_autoptr(GBytes) reply = xmpp_sasl_server_step (server, message, &done, &error);

      if (reply == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == XMPP_SASL_ERROR);
          g_assert_cmpuint (data.lookups, >, 0);
          return FALSE;
        }
      if (done)
        {
          g_assert_true (xmpp_sasl_client_finish (client, reply, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (data.lookups, >, 0);
          return TRUE;
        }
      g_clear_pointer (&message, g_bytes_unref);
      message = xmpp_sasl_client_step (client, reply, &error);
      g_assert_no_error (error);
    }
  g_assert_not_reached ();
  return FALSE;
}

static void
test_accounts (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  g_assert_false (srv_storage_account_exists (fixture->storage, "alice"));
  add_account (fixture->storage, "alice", "wonderland");
  add_account (fixture->storage, "bob@localhost", "builder");
  g_assert_true (srv_storage_account_exists (fixture->storage, "alice"));
  g_assert_true (srv_storage_account_exists (fixture->storage, "Alice"));
  g_assert_true (srv_storage_account_exists (fixture->storage, "bob"));
  g_assert_false (srv_storage_account_exists (fixture->storage, "carol"));

  g_assert_false (srv_storage_add_account (fixture->storage, "ALICE", "again", &error));
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (srv_storage_add_account (fixture->storage, "bad/name", "x", &error));
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FAILED);
  g_clear_error (&error);

  names = srv_storage_list_accounts (fixture->storage);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "alice");
  g_assert_cmpstr (names[1], ==, "bob");

  g_assert_false (srv_storage_remove_account (fixture->storage, "carol", &error));
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (srv_storage_remove_account (fixture->storage, "bob", &error));
  g_assert_no_error (error);
  g_assert_false (srv_storage_account_exists (fixture->storage, "bob"));
}

static void
test_credentials (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *hashes[] = { "SHA-1", "SHA-256", "SHA-512" };
  g_autofree char *contents = NULL;
  gsize length;

  add_account (fixture->storage, "alice", "correct horse");

  for (guint i = 0; i < G_N_ELEMENTS (hashes); i++)
    {
      g_auto(XmppScramCredentials) creds = { 0, };

      g_assert_true (srv_storage_get_credentials (fixture->storage, "alice", hashes[i], &creds));
      g_assert_cmpuint (creds.iterations, ==, XMPP_SCRAM_DEFAULT_ITERATIONS);
      g_assert_cmpuint (g_bytes_get_size (creds.salt), ==, XMPP_SCRAM_SALT_LENGTH);
      g_assert_cmpuint (g_bytes_get_size (creds.stored_key), ==, g_bytes_get_size (creds.server_key));
    }
  {
    g_auto(XmppScramCredentials) creds = { 0, };

    g_assert_false (srv_storage_get_credentials (fixture->storage, "nobody", "SHA-1", &creds));
    g_assert_false (srv_storage_get_credentials (fixture->storage, "alice", "MD5", &creds));
  }

  /* Real round trips against the stored keys. */
  g_assert_true (sasl_login (fixture->storage, "SCRAM-SHA-1", "alice", "correct horse"));
  g_assert_true (sasl_login (fixture->storage, "SCRAM-SHA-256", "alice", "correct horse"));
  g_assert_true (sasl_login (fixture->storage, "SCRAM-SHA-512", "alice", "correct horse"));
  g_assert_true (sasl_login (fixture->storage, "PLAIN", "alice", "correct horse"));
  g_assert_false (sasl_login (fixture->storage, "SCRAM-SHA-256", "alice", "battery staple"));
  g_assert_false (sasl_login (fixture->storage, "SCRAM-SHA-256", "nobody", "correct horse"));
  g_assert_false (sasl_login (fixture->storage, "PLAIN", "alice", "battery staple"));

  g_assert_true (srv_storage_set_password (fixture->storage, "alice", "battery staple", &error));
  g_assert_no_error (error);
  g_assert_false (sasl_login (fixture->storage, "SCRAM-SHA-1", "alice", "correct horse"));
  g_assert_true (sasl_login (fixture->storage, "SCRAM-SHA-1", "alice", "battery staple"));
  g_assert_false (srv_storage_set_password (fixture->storage, "nobody", "x", &error));
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);

  /* Survives a restart, and the password is nowhere in the files. */
  reopen (fixture);
  g_assert_true (sasl_login (fixture->storage, "SCRAM-SHA-256", "alice", "battery staple"));
  g_clear_pointer (&fixture->storage, srv_storage_close);
  g_assert_true (g_file_get_contents (fixture->path, &contents, &length, NULL));
  g_assert_null (g_strstr_len (contents, length, "battery staple"));
  g_assert_null (g_strstr_len (contents, length, "correct horse"));
  reopen (fixture);
}

/* --- rosters --------------------------------------------------------- */

static SrvRosterItem *
roster_item (const char        *contact,
             const char        *name,
             XmppSubscription   subscription,
             gboolean           pending_out,
             const char * const *groups)
{
  SrvRosterItem *item = g_new0 (SrvRosterItem, 1);

  item->contact = g_strdup (contact);
  item->name = g_strdup (name);
  item->subscription = subscription;
  item->pending_out = pending_out;
  item->groups = groups != NULL ? g_strdupv ((char **) groups) : g_new0 (char *, 1);
  return item;
}

static char *
put (SrvStorage    *storage,
     SrvRosterItem *item)
{
  g_autoptr(GError) error = NULL;
  char *version = srv_storage_put_roster_item (storage, "alice@localhost", item, &error);

  g_assert_no_error (error);
  g_assert_nonnull (version);
  return version;
}

static void
test_roster (Fixture       *fixture,
             gconstpointer  data)
{
  const char *groups[] = { "Friends", "Work", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) roster = NULL;
  g_autoptr(SrvRosterItem) bob = NULL;
  g_autoptr(SrvRosterItem) carol = NULL;
  g_autoptr(SrvRosterItem) got = NULL;
  g_autoptr(SrvRosterItem) copy = NULL;
  g_autofree char *v0 = NULL;
  g_autofree char *v1 = NULL;
  g_autofree char *v2 = NULL;
  g_autofree char *v3 = NULL;
  g_autofree char *current = NULL;
  char *failed;

  add_account (fixture->storage, "alice", "pw");

  /* A fresh roster is empty and already has a version. */
  roster = srv_storage_get_roster (fixture->storage, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);
  v0 = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  g_assert_nonnull (v0);

  bob = roster_item ("bob@localhost", "Bob", XMPP_SUBSCRIPTION_TO, TRUE, groups);
  bob->approved = TRUE;
  v1 = put (fixture->storage, bob);
  g_assert_cmpstr (v1, !=, v0);
  carol = roster_item ("carol@localhost", NULL, XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  v2 = put (fixture->storage, carol);
  g_assert_cmpstr (v2, !=, v1);
  current = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  g_assert_cmpstr (current, ==, v2);

  got = srv_storage_get_roster_item (fixture->storage, "alice@localhost", "bob@localhost");
  g_assert_nonnull (got);
  g_assert_cmpstr (got->contact, ==, "bob@localhost");
  g_assert_cmpstr (got->name, ==, "Bob");
  g_assert_cmpint (got->subscription, ==, XMPP_SUBSCRIPTION_TO);
  g_assert_true (got->pending_out);
  g_assert_true (got->approved);
  g_assert_false (got->pending_in);
  g_assert_cmpuint (g_strv_length (got->groups), ==, 2);
  g_assert_cmpstr (got->groups[0], ==, "Friends");
  g_assert_cmpstr (got->groups[1], ==, "Work");
  copy = srv_roster_item_copy (got);
  g_assert_cmpstr (copy->groups[1], ==, "Work");
  g_clear_pointer (&got, srv_roster_item_free);

  got = srv_storage_get_roster_item (fixture->storage, "alice@localhost", "carol@localhost");
  g_assert_null (got->name);
  g_assert_nonnull (got->groups);
  g_assert_cmpuint (g_strv_length (got->groups), ==, 0);
  g_clear_pointer (&got, srv_roster_item_free);

  roster = srv_storage_get_roster (fixture->storage, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 2);
  g_clear_pointer (&roster, g_ptr_array_unref);

  /* Removal: unknown item → NOT_FOUND, version unchanged. */
  failed = srv_storage_remove_roster_item (fixture->storage, "alice@localhost", "dave@localhost", &error);
  g_assert_null (failed);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&current, g_free);
  current = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  g_assert_cmpstr (current, ==, v2);

  v3 = srv_storage_remove_roster_item (fixture->storage, "alice@localhost", "bob@localhost", &error);
  g_assert_no_error (error);
  g_assert_nonnull (v3);
  g_assert_null (srv_storage_get_roster_item (fixture->storage, "alice@localhost", "bob@localhost"));
  roster = srv_storage_get_roster (fixture->storage, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 1);
  g_clear_pointer (&roster, g_ptr_array_unref);
  /* Removing twice fails. */
  failed = srv_storage_remove_roster_item (fixture->storage, "alice@localhost", "bob@localhost", &error);
  g_assert_null (failed);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A user without an account has no roster to write. */
  failed = srv_storage_put_roster_item (fixture->storage, "nobody@localhost", carol, &error);
  g_assert_null (failed);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Persistence. */
  reopen (fixture);
  g_clear_pointer (&current, g_free);
  current = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  g_assert_cmpstr (current, ==, v3);
  roster = srv_storage_get_roster (fixture->storage, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 1);
  g_assert_cmpstr (((SrvRosterItem *) roster->pdata[0])->contact, ==, "carol@localhost");
}

static void
test_roster_changes (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(SrvRosterItem) bob = NULL;
  g_autoptr(SrvRosterItem) carol = NULL;
  g_autoptr(SrvRosterItem) dave = NULL;
  g_autofree char *v0 = NULL;
  g_autofree char *v1 = NULL;
  g_autofree char *v2 = NULL;
  g_autofree char *v3 = NULL;
  g_autofree char *v4 = NULL;
  g_autofree char *v5 = NULL;
  g_autofree char *other = NULL;
  SrvRosterItem *item;

  add_account (fixture->storage, "alice", "pw");
  add_account (fixture->storage, "zed", "pw");
  v0 = srv_storage_get_roster_version (fixture->storage, "alice@localhost");

  bob = roster_item ("bob@localhost", "Bob", XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  carol = roster_item ("carol@localhost", "Carol", XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  dave = roster_item ("dave@localhost", "Dave", XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  v1 = put (fixture->storage, bob);
  v2 = put (fixture->storage, carol);
  v3 = put (fixture->storage, dave);
  /* bob changes again: only its final state comes back, once, last. */
  g_free (bob->name);
  bob->name = g_strdup ("Robert");
  v4 = put (fixture->storage, bob);
  v5 = srv_storage_remove_roster_item (fixture->storage, "alice@localhost", "carol@localhost", NULL);
  g_assert_nonnull (v5);

  /* Up to date: no changes (an empty array, not NULL). */
  changes = srv_storage_get_roster_changes (fixture->storage, "alice@localhost", v5);
  g_assert_nonnull (changes);
  g_assert_cmpuint (changes->len, ==, 0);
  g_clear_pointer (&changes, g_ptr_array_unref);

  /* From v1: carol removed … in modification order: dave (v3), bob (v4), carol (v5). */
  changes = srv_storage_get_roster_changes_full (fixture->storage, "alice@localhost", v1, &versions);
  g_assert_nonnull (changes);
  g_assert_cmpuint (changes->len, ==, 3);
  g_assert_cmpuint (versions->len, ==, 3);
  item = changes->pdata[0];
  g_assert_cmpstr (item->contact, ==, "dave@localhost");
  g_assert_cmpstr (versions->pdata[0], ==, v3);
  item = changes->pdata[1];
  g_assert_cmpstr (item->contact, ==, "bob@localhost");
  g_assert_cmpstr (item->name, ==, "Robert");
  g_assert_cmpint (item->subscription, ==, XMPP_SUBSCRIPTION_NONE);
  g_assert_cmpstr (versions->pdata[1], ==, v4);
  item = changes->pdata[2];
  g_assert_cmpstr (item->contact, ==, "carol@localhost");
  g_assert_cmpint (item->subscription, ==, XMPP_SUBSCRIPTION_REMOVE);
  g_assert_cmpstr (versions->pdata[2], ==, v5);
  g_clear_pointer (&changes, g_ptr_array_unref);
  g_clear_pointer (&versions, g_ptr_array_unref);

  /* From v0: everything that happened. */
  changes = srv_storage_get_roster_changes (fixture->storage, "alice@localhost", v0);
  g_assert_cmpuint (changes->len, ==, 3);
  g_clear_pointer (&changes, g_ptr_array_unref);
  (void) v2;

  /* Unknown versions: the caller sends the whole roster. */
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", ""));
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", "garbage"));
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", NULL));
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", "1-9999"));
  /* Another account's version is unknown here. */
  other = srv_storage_get_roster_version (fixture->storage, "zed@localhost");
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", other));

  /* A re-added contact comes back as a live item. */
  g_clear_pointer (&carol->name, g_free);
  g_free (put (fixture->storage, carol));
  changes = srv_storage_get_roster_changes (fixture->storage, "alice@localhost", v5);
  g_assert_cmpuint (changes->len, ==, 1);
  item = changes->pdata[0];
  g_assert_cmpstr (item->contact, ==, "carol@localhost");
  g_assert_cmpint (item->subscription, ==, XMPP_SUBSCRIPTION_NONE);
}

static void
test_roster_account_recreated (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(SrvRosterItem) bob = roster_item ("bob@localhost", NULL, XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  g_autofree char *old = NULL;
  g_autofree char *fresh = NULL;
  g_autoptr(GPtrArray) roster = NULL;

  add_account (fixture->storage, "alice", "pw");
  old = put (fixture->storage, bob);
  g_assert_true (srv_storage_remove_account (fixture->storage, "alice", NULL));
  add_account (fixture->storage, "alice", "pw");

  /* The data went with the account, and the old version means nothing. */
  roster = srv_storage_get_roster (fixture->storage, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 0);
  fresh = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  g_assert_cmpstr (fresh, !=, old);
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", old));
}

static void
test_roster_tombstones_pruned (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *first = NULL;
  g_autofree char *latest = NULL;
  g_autoptr(GPtrArray) changes = NULL;

  add_account (fixture->storage, "alice", "pw");
  first = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  for (guint i = 0; i < 1100; i++)
    {
      g_autofree char *contact = g_strdup_printf ("c%u@localhost", i);
      g_autoptr(SrvRosterItem) item = roster_item (contact, NULL, XMPP_SUBSCRIPTION_NONE, FALSE, NULL);

      g_free (put (fixture->storage, item));
      g_free (srv_storage_remove_roster_item (fixture->storage, "alice@localhost", contact, NULL));
    }
  /* Too old now: the full roster must be sent instead. */
  g_assert_null (srv_storage_get_roster_changes (fixture->storage, "alice@localhost", first));
  latest = srv_storage_get_roster_version (fixture->storage, "alice@localhost");
  changes = srv_storage_get_roster_changes (fixture->storage, "alice@localhost", latest);
  g_assert_nonnull (changes);
  g_assert_cmpuint (changes->len, ==, 0);
}

/* --- subscription requests ------------------------------------------ */

static void
test_subscription_requests (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(XmppElement) first = parse ("<presence xmlns='jabber:client' from='bob@localhost'"
                                        " to='alice@localhost' type='subscribe' id='s1'>"
                                        "<status>Hi!</status></presence>");
  g_autoptr(XmppElement) again = parse ("<presence xmlns='jabber:client' from='bob@localhost'"
                                        " to='alice@localhost' type='subscribe' id='s2'/>");
  g_autoptr(XmppElement) carol = parse ("<presence xmlns='jabber:client' from='carol@localhost'"
                                        " to='alice@localhost' type='subscribe' id='s3'/>");
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(SrvRosterItem) bob = roster_item ("bob@localhost", NULL, XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  g_autoptr(SrvRosterItem) got = NULL;
  XmppElement *stanza;

  add_account (fixture->storage, "alice", "pw");
  g_assert_false (srv_storage_has_subscription_request (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_add_subscription_request (fixture->storage, "alice@localhost", "bob@localhost", first));
  /* One per contact: the first one stays. */
  g_assert_false (srv_storage_add_subscription_request (fixture->storage, "alice@localhost", "bob@localhost", again));
  g_assert_true (srv_storage_add_subscription_request (fixture->storage, "alice@localhost", "carol@localhost", carol));
  g_assert_true (srv_storage_has_subscription_request (fixture->storage, "alice@localhost", "bob@localhost"));

  /* pending_in of a roster item reflects the stored request. */
  g_free (put (fixture->storage, bob));
  got = srv_storage_get_roster_item (fixture->storage, "alice@localhost", "bob@localhost");
  g_assert_true (got->pending_in);
  g_clear_pointer (&got, srv_roster_item_free);

  reopen (fixture);
  requests = srv_storage_get_subscription_requests (fixture->storage, "alice@localhost");
  g_assert_cmpuint (requests->len, ==, 2);
  stanza = requests->pdata[0];
  g_assert_true (xmpp_element_is (stanza, "jabber:client", "presence"));
  g_assert_cmpstr (xmpp_element_get_attribute (stanza, "id"), ==, "s1");
  g_assert_cmpstr (xmpp_element_get_attribute (stanza, "from"), ==, "bob@localhost");
  g_assert_cmpstr (xmpp_element_find_child_text (stanza, "jabber:client", "status"), ==, "Hi!");
  stanza = requests->pdata[1];
  g_assert_cmpstr (xmpp_element_get_attribute (stanza, "id"), ==, "s3");
  g_clear_pointer (&requests, g_ptr_array_unref);

  srv_storage_remove_subscription_request (fixture->storage, "alice@localhost", "bob@localhost");
  g_assert_false (srv_storage_has_subscription_request (fixture->storage, "alice@localhost", "bob@localhost"));
  got = srv_storage_get_roster_item (fixture->storage, "alice@localhost", "bob@localhost");
  g_assert_false (got->pending_in);
  requests = srv_storage_get_subscription_requests (fixture->storage, "alice@localhost");
  g_assert_cmpuint (requests->len, ==, 1);

  /* Unknown users have none and cannot get any. */
  g_assert_false (srv_storage_add_subscription_request (fixture->storage, "nobody@localhost", "bob@localhost", first));
}

/* --- offline messages ------------------------------------------------ */

static void
test_offline (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) taken = NULL;
  gint64 before = g_get_real_time () - G_USEC_PER_SEC;

  add_account (fixture->storage, "alice", "pw");
  add_account (fixture->storage, "bob", "pw");

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);
      g_autoptr(XmppElement) stanza = message ("alice@localhost", body);

      g_assert_true (srv_storage_store_offline (fixture->storage, "alice@localhost", stanza, &error));
      g_assert_no_error (error);
    }
  {
    g_autoptr(XmppElement) stanza = message ("bob@localhost", "for bob");

    g_assert_true (srv_storage_store_offline (fixture->storage, "bob@localhost", stanza, &error));
  }
  {
    g_autoptr(XmppElement) stanza = message ("nobody@localhost", "lost");

    g_assert_false (srv_storage_store_offline (fixture->storage, "nobody@localhost", stanza, &error));
    g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  g_assert_cmpuint (srv_storage_count_offline (fixture->storage, "alice@localhost"), ==, 5);
  g_assert_cmpuint (srv_storage_count_offline (fixture->storage, "bob@localhost"), ==, 1);

  reopen (fixture);
  taken = srv_storage_take_offline (fixture->storage, "alice@localhost");
  g_assert_cmpuint (taken->len, ==, 5);
  for (guint i = 0; i < taken->len; i++)
    {
      XmppElement *stanza = taken->pdata[i];
      g_autofree char *body = g_strdup_printf ("message %u", i);
      XmppElement *delay = xmpp_element_find_child (stanza, "urn:xmpp:delay", "delay");
      const char *stamp;
      g_autoptr(GDateTime) time = NULL;

      g_assert_true (xmpp_element_is (stanza, "jabber:client", "message"));
      g_assert_cmpstr (xmpp_element_find_child_text (stanza, "jabber:client", "body"), ==, body);
      g_assert_nonnull (delay);
      g_assert_cmpstr (xmpp_element_get_attribute (delay, "from"), ==, "localhost");
      stamp = xmpp_element_get_attribute (delay, "stamp");
      g_assert_nonnull (stamp);
      g_assert_true (g_str_has_suffix (stamp, "Z"));
      time = g_date_time_new_from_iso8601 (stamp, NULL);
      g_assert_nonnull (time);
      g_assert_cmpint (g_date_time_to_unix (time), >=, before / G_USEC_PER_SEC);
      g_assert_cmpint (g_date_time_to_unix (time), <=, g_get_real_time () / G_USEC_PER_SEC + 1);
    }
  g_clear_pointer (&taken, g_ptr_array_unref);

  /* Taken means gone; bob's message is untouched. */
  g_assert_cmpuint (srv_storage_count_offline (fixture->storage, "alice@localhost"), ==, 0);
  taken = srv_storage_take_offline (fixture->storage, "alice@localhost");
  g_assert_cmpuint (taken->len, ==, 0);
  g_clear_pointer (&taken, g_ptr_array_unref);
  g_assert_cmpuint (srv_storage_count_offline (fixture->storage, "bob@localhost"), ==, 1);
}

static void
test_offline_forged_delay (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(XmppElement) stanza = parse ("<message xmlns='jabber:client' to='alice@localhost'>"
                                         "<body>x</body>"
                                         "<delay xmlns='urn:xmpp:delay' from='localhost' stamp='1999-01-01T00:00:00Z'/>"
                                         "<delay xmlns='urn:xmpp:delay' from='elsewhere' stamp='2000-01-01T00:00:00Z'/>"
                                         "</message>");
  g_autoptr(GPtrArray) taken = NULL;
  guint ours = 0, theirs = 0;
  XmppElement *child = NULL;

  add_account (fixture->storage, "alice", "pw");
  g_assert_true (srv_storage_store_offline (fixture->storage, "alice@localhost", stanza, NULL));
  taken = srv_storage_take_offline (fixture->storage, "alice@localhost");
  g_assert_cmpuint (taken->len, ==, 1);
  while ((child = xmpp_element_next_child (taken->pdata[0], child)) != NULL)
    {
      if (!xmpp_element_is (child, "urn:xmpp:delay", "delay"))
        continue;
      if (g_strcmp0 (xmpp_element_get_attribute (child, "from"), "localhost") == 0)
        {
          ours++;
          g_assert_false (g_str_has_prefix (xmpp_element_get_attribute (child, "stamp"), "1999"));
        }
      else
        theirs++;
    }
  g_assert_cmpuint (ours, ==, 1);
  g_assert_cmpuint (theirs, ==, 1);
}

/* --- archive --------------------------------------------------------- */

static GPtrArray *
query (SrvStorage  *storage,
       const char  *with,
       const char  *after,
       const char  *before,
       guint        max,
       gboolean    *complete)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *page = srv_storage_query_archive (storage, "alice@localhost", with, 0, 0,
                                               after, before, max, complete, &error);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static const char *
page_body (GPtrArray *page,
           guint      index)
{
  SrvArchivedMessage *archived = page->pdata[index];

  return xmpp_element_find_child_text (archived->stanza, "jabber:client", "body");
}

static void
test_archive (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GHashTable) unique = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean complete = FALSE;
  gint64 middle_time = 0;

  add_account (fixture->storage, "alice", "pw");
  add_account (fixture->storage, "bob", "pw");

  /* 25 messages: even ones with bob, odd ones with carol. */
  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *body = g_strdup_printf ("m%02u", i);
      g_autoptr(XmppElement) stanza = message ("alice@localhost", body);
      const char *with = i % 2 == 0 ? "bob@localhost" : "carol@localhost";
      char *id = srv_storage_archive (fixture->storage, "alice@localhost", with, i % 3 == 0, stanza, &error);

      g_assert_no_error (error);
      g_assert_nonnull (id);
      /* Opaque: base64url characters only, nothing like a counter. */
      g_assert_cmpuint (strlen (id), ==, 11);
      g_assert_cmpuint (strspn (id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 11);
      g_assert_false (g_hash_table_contains (unique, id));
      g_hash_table_add (unique, id);
      g_ptr_array_add (ids, id);
      if (i == 12)
        middle_time = g_get_real_time ();
      g_usleep (1000);
    }
  /* Someone else's archive stays separate. */
  {
    g_autoptr(XmppElement) stanza = message ("bob@localhost", "bob's");
    g_free (srv_storage_archive (fixture->storage, "bob@localhost", "alice@localhost", FALSE, stanza, &error));
    g_assert_no_error (error);
  }

  /* The first page, forwards. */
  page = query (fixture->storage, NULL, NULL, NULL, 10, &complete);
  g_assert_cmpuint (page->len, ==, 10);
  g_assert_false (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m00");
  g_assert_cmpstr (page_body (page, 9), ==, "m09");
  g_assert_cmpstr (((SrvArchivedMessage *) page->pdata[0])->id, ==, ids->pdata[0]);
  g_assert_cmpint (((SrvArchivedMessage *) page->pdata[0])->timestamp, >, 0);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* After the 20th: the last five, complete. */
  page = query (fixture->storage, NULL, ids->pdata[19], NULL, 10, &complete);
  g_assert_cmpuint (page->len, ==, 5);
  g_assert_true (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m20");
  g_assert_cmpstr (page_body (page, 4), ==, "m24");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Exactly at the end: max rows left is still complete. */
  page = query (fixture->storage, NULL, ids->pdata[14], NULL, 10, &complete);
  g_assert_cmpuint (page->len, ==, 10);
  g_assert_true (complete);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* <before/>: the newest 10 in chronological order, not complete. */
  page = query (fixture->storage, NULL, NULL, "", 10, &complete);
  g_assert_cmpuint (page->len, ==, 10);
  g_assert_false (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m15");
  g_assert_cmpstr (page_body (page, 9), ==, "m24");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Paging back twice reaches the start. */
  page = query (fixture->storage, NULL, NULL, ids->pdata[15], 10, &complete);
  g_assert_cmpuint (page->len, ==, 10);
  g_assert_false (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m05");
  g_assert_cmpstr (page_body (page, 9), ==, "m14");
  g_clear_pointer (&page, g_ptr_array_unref);
  page = query (fixture->storage, NULL, NULL, ids->pdata[5], 10, &complete);
  g_assert_cmpuint (page->len, ==, 5);
  g_assert_true (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m00");
  g_assert_cmpstr (page_body (page, 4), ==, "m04");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* After and before together: the messages between. */
  page = query (fixture->storage, NULL, ids->pdata[3], ids->pdata[7], 10, &complete);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_true (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m04");
  g_assert_cmpstr (page_body (page, 2), ==, "m06");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* with= limits to one peer. */
  page = query (fixture->storage, "bob@localhost", NULL, NULL, 100, &complete);
  g_assert_cmpuint (page->len, ==, 13);
  g_assert_true (complete);
  for (guint i = 0; i < page->len; i++)
    {
      g_autofree char *body = g_strdup_printf ("m%02u", i * 2);
      g_assert_cmpstr (page_body (page, i), ==, body);
    }
  g_clear_pointer (&page, g_ptr_array_unref);
  page = query (fixture->storage, "carol@localhost", NULL, "", 3, &complete);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_false (complete);
  g_assert_cmpstr (page_body (page, 0), ==, "m19");
  g_assert_cmpstr (page_body (page, 2), ==, "m23");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Time range. */
  page = srv_storage_query_archive (fixture->storage, "alice@localhost", NULL, middle_time, 0,
                                    NULL, NULL, 100, &complete, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 12);
  g_assert_cmpstr (page_body (page, 0), ==, "m13");
  g_clear_pointer (&page, g_ptr_array_unref);
  page = srv_storage_query_archive (fixture->storage, "alice@localhost", NULL, 0, middle_time,
                                    NULL, NULL, 100, &complete, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 13);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* max=0: nothing, but says whether there is anything. */
  page = query (fixture->storage, NULL, NULL, NULL, 0, &complete);
  g_assert_cmpuint (page->len, ==, 0);
  g_assert_false (complete);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Unknown ids, including another user's. */
  page = srv_storage_query_archive (fixture->storage, "alice@localhost", NULL, 0, 0,
                                    "no-such-id", NULL, 10, &complete, &error);
  g_assert_null (page);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Well-formed but never handed out; one character off a real one. */
  {
    const char *forged[] = { "AAAAAAAAAAA", "P__________", "___________", NULL, NULL };
    g_autofree char *tampered = g_strdup (ids->pdata[7]);

    tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
    forged[3] = tampered;
    for (guint i = 0; forged[i] != NULL; i++)
      {
        page = srv_storage_query_archive (fixture->storage, "alice@localhost", NULL, 0, 0,
                                          forged[i], NULL, 10, &complete, &error);
        g_assert_null (page);
        g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
        g_clear_error (&error);
      }
  }
  page = srv_storage_query_archive (fixture->storage, "bob@localhost", NULL, 0, 0,
                                    NULL, ids->pdata[3], 10, &complete, &error);
  g_assert_null (page);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Persistence. */
  reopen (fixture);
  page = query (fixture->storage, NULL, ids->pdata[23], NULL, 10, &complete);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (page_body (page, 0), ==, "m24");
  g_clear_pointer (&page, g_ptr_array_unref);
  page = srv_storage_query_archive (fixture->storage, "bob@localhost", NULL, 0, 0,
                                    NULL, NULL, 10, &complete, &error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_true (complete);

  g_hash_table_remove_all (unique);
}

/* --- blocking and vCards -------------------------------------------- */

static void
test_blocklist (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(GStrv) list = NULL;

  add_account (fixture->storage, "alice", "pw");
  list = srv_storage_get_blocklist (fixture->storage, "alice@localhost");
  g_assert_nonnull (list);
  g_assert_cmpuint (g_strv_length (list), ==, 0);
  g_clear_pointer (&list, g_strfreev);

  g_assert_true (srv_storage_block (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_block (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_block (fixture->storage, "alice@localhost", "spam.example"));
  g_assert_true (srv_storage_block (fixture->storage, "alice@localhost", "carol@localhost/phone"));

  /* XEP-0191 matching. */
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "bob@localhost/laptop"));
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "anyone@spam.example/x"));
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "spam.example"));
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "carol@localhost/phone"));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "carol@localhost"));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "carol@localhost/desk"));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "dave@localhost"));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", NULL));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "nobody@localhost", "bob@localhost"));

  reopen (fixture);
  list = srv_storage_get_blocklist (fixture->storage, "alice@localhost");
  g_assert_cmpuint (g_strv_length (list), ==, 3);
  g_assert_cmpstr (list[0], ==, "bob@localhost");
  g_clear_pointer (&list, g_strfreev);

  g_assert_true (srv_storage_unblock (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "x@spam.example"));
  g_assert_true (srv_storage_unblock (fixture->storage, "alice@localhost", NULL));
  list = srv_storage_get_blocklist (fixture->storage, "alice@localhost");
  g_assert_cmpuint (g_strv_length (list), ==, 0);
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "x@spam.example"));

  /* A new account of the same name starts with nothing blocked. */
  g_assert_true (srv_storage_block (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_is_blocked (fixture->storage, "alice@localhost", "bob@localhost"));
  g_assert_true (srv_storage_remove_account (fixture->storage, "alice", NULL));
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "bob@localhost"));
  add_account (fixture->storage, "alice", "pw");
  g_assert_false (srv_storage_is_blocked (fixture->storage, "alice@localhost", "bob@localhost"));
}

static void
test_vcard (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(XmppElement) vcard = parse ("<vCard xmlns='vcard-temp'><FN>Alice</FN>"
                                        "<PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO>"
                                        "</vCard>");
  g_autoptr(XmppElement) second = parse ("<vCard xmlns='vcard-temp'><FN>Alice L.</FN></vCard>");
  g_autoptr(XmppElement) got = NULL;
  XmppElement *photo;

  add_account (fixture->storage, "alice", "pw");
  g_assert_null (srv_storage_get_vcard (fixture->storage, "alice@localhost"));
  g_assert_true (srv_storage_set_vcard (fixture->storage, "alice@localhost", vcard));
  g_assert_false (srv_storage_set_vcard (fixture->storage, "nobody@localhost", vcard));

  reopen (fixture);
  got = srv_storage_get_vcard (fixture->storage, "alice@localhost");
  g_assert_nonnull (got);
  g_assert_true (xmpp_element_is (got, "vcard-temp", "vCard"));
  g_assert_cmpstr (xmpp_element_find_child_text (got, "vcard-temp", "FN"), ==, "Alice");
  photo = xmpp_element_find_child (got, "vcard-temp", "PHOTO");
  g_assert_cmpstr (xmpp_element_find_child_text (photo, "vcard-temp", "BINVAL"), ==, "iVBORw0KGgo=");
  g_clear_pointer (&got, xmpp_element_unref);

  g_assert_true (srv_storage_set_vcard (fixture->storage, "alice@localhost", second));
  got = srv_storage_get_vcard (fixture->storage, "alice@localhost");
  g_assert_cmpstr (xmpp_element_find_child_text (got, "vcard-temp", "FN"), ==, "Alice L.");
}

/* --- group commit ---------------------------------------------------- */

static void
test_batching (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvStorage) other = NULL;
  g_autoptr(SrvRosterItem) bob = roster_item ("bob@localhost", "Bob", XMPP_SUBSCRIPTION_NONE, FALSE, NULL);
  g_autoptr(GPtrArray) roster = NULL;
  g_autofree char *ver = NULL;
  char *failed;

  add_account (fixture->storage, "alice", "pw");
  srv_storage_set_batching (fixture->storage, TRUE);

  /* Nothing pending: committing is a no-op. */
  g_assert_true (srv_storage_commit (fixture->storage, &error));
  g_assert_no_error (error);

  {
    g_autoptr(XmppElement) stanza = message ("alice@localhost", "batched");

    g_assert_true (srv_storage_store_offline (fixture->storage, "alice@localhost", stanza, NULL));
  }
  ver = put (fixture->storage, bob);
  /* A failing write inside the batch leaves the rest of it alone. */
  failed = srv_storage_remove_roster_item (fixture->storage, "alice@localhost", "nobody@localhost", &error);
  g_assert_null (failed);
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (srv_storage_add_account (fixture->storage, "alice", "again", &error));
  g_assert_error (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_EXISTS);
  g_clear_error (&error);

  /* This handle sees its own writes … */
  g_assert_cmpuint (srv_storage_count_offline (fixture->storage, "alice@localhost"), ==, 1);
  roster = srv_storage_get_roster (fixture->storage, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 1);
  g_clear_pointer (&roster, g_ptr_array_unref);

  /* … nobody else does before the commit. */
  other = srv_storage_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (srv_storage_count_offline (other, "alice@localhost"), ==, 0);
  roster = srv_storage_get_roster (other, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 0);
  g_clear_pointer (&roster, g_ptr_array_unref);

  g_assert_true (srv_storage_commit (fixture->storage, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (srv_storage_count_offline (other, "alice@localhost"), ==, 1);
  roster = srv_storage_get_roster (other, "alice@localhost");
  g_assert_cmpuint (roster->len, ==, 1);
  g_clear_pointer (&roster, g_ptr_array_unref);
  g_clear_pointer (&other, srv_storage_close);

  /* Closing commits what is pending. */
  {
    g_autoptr(XmppElement) stanza = message ("alice@localhost", "at close");

    g_assert_true (srv_storage_store_offline (fixture->storage, "alice@localhost", stanza, NULL));
  }
  reopen (fixture);
  g_assert_cmpuint (srv_storage_count_offline (fixture->storage, "alice@localhost"), ==, 2);
}

/* --- crash safety ---------------------------------------------------- */

/* The child stores offline messages as fast as it can and reports each
 * committed count on @fd; it never returns. */
#define CRASH_BATCHING 0x10

G_NORETURN static void
crash_child (const char *path,
             int         mode,
             int         fd)
{
  g_autoptr(GError) error = NULL;
  SrvStorage *storage = srv_storage_open (path, &error);
  gboolean batching = (mode & CRASH_BATCHING) != 0;

  if (storage == NULL)
    _exit (3);
  srv_storage_set_durability (storage, mode & ~CRASH_BATCHING);
  srv_storage_set_batching (storage, batching);
  for (guint i = 1; ; i++)
    {
      g_autofree char *body = g_strdup_printf ("crash %u", i);
      g_autoptr(XmppElement) stanza = message ("alice@localhost", body);
      char line[32];
      int len;

      if (!srv_storage_store_offline (storage, "alice@localhost", stanza, NULL))
        _exit (4);
      /* Also churn the roster so more than one table is mid-write. */
      if (i % 7 == 0)
        {
          g_autofree char *contact = g_strdup_printf ("c%u@localhost", i);
          char *no_groups[] = { NULL };
          SrvRosterItem item = { contact, NULL, no_groups, XMPP_SUBSCRIPTION_NONE, FALSE, FALSE, FALSE };

          g_free (srv_storage_put_roster_item (storage, "alice@localhost", &item, NULL));
        }
      /* Batching: like the core, commit a few writes at a time and only
       * then tell anyone about them. */
      if (batching)
        {
          if (i % 5 != 0)
            continue;
          if (!srv_storage_commit (storage, NULL))
            _exit (6);
        }
      len = g_snprintf (line, sizeof line, "%u\n", i);
      if (write (fd, line, len) != len)
        _exit (5);
    }
}

static void
test_crash_safety (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) taken = NULL;
  g_autofree char *check = NULL;
  g_autoptr(GString) buffer = g_string_new (NULL);
  int fds[2];
  pid_t pid;
  int status;
  guint reported = 0;

  add_account (fixture->storage, "alice", "pw");
  g_clear_pointer (&fixture->storage, srv_storage_close);

  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      crash_child (fixture->path, GPOINTER_TO_INT (data), fds[1]);
    }
  close (fds[1]);

  /* Let it commit a good number, then kill it mid-stream (a random
   * extra delay so the kill lands anywhere in a transaction). */
  while (reported < 200)
    {
      char chunk[256];
      ssize_t n = read (fds[0], chunk, sizeof chunk);
      const char *last_line;

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      g_string_append_len (buffer, chunk, n);
      /* The last complete line is the newest committed count. */
      if (buffer->len > 0)
        {
          g_autofree char *text = g_strndup (buffer->str, buffer->len);
          char *end = strrchr (text, '\n');

          if (end != NULL)
            {
              *end = '\0';
              last_line = strrchr (text, '\n');
              last_line = last_line != NULL ? last_line + 1 : text;
              reported = (guint) g_ascii_strtoull (last_line, NULL, 10);
            }
        }
    }
  g_usleep (g_random_int_range (0, 5000));
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  /* Counts written after our last read were committed too. */
  {
    char chunk[4096];
    ssize_t n;

    while ((n = read (fds[0], chunk, sizeof chunk)) > 0)
      g_string_append_len (buffer, chunk, n);
    close (fds[0]);
    if (buffer->len > 0)
      {
        g_autofree char *text = g_strndup (buffer->str, buffer->len);
        char *end = strrchr (text, '\n');
        const char *last_line;

        *end = '\0';
        last_line = strrchr (text, '\n');
        last_line = last_line != NULL ? last_line + 1 : text;
        reported = (guint) g_ascii_strtoull (last_line, NULL, 10);
      }
  }
  g_test_message ("child reported %u committed messages before SIGKILL", reported);

  check = pragma_text (fixture->path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");

  reopen (fixture);
  taken = srv_storage_take_offline (fixture->storage, "alice@localhost");
  /* Every reported message is there, in order (a few more may have been
   * committed but not yet reported). */
  g_assert_cmpuint (taken->len, >=, reported);
  g_assert_cmpuint (taken->len, <=, reported + 5);
  for (guint i = 0; i < taken->len; i++)
    {
      g_autofree char *body = g_strdup_printf ("crash %u", i + 1);
      g_assert_cmpstr (xmpp_element_find_child_text (taken->pdata[i], "jabber:client", "body"), ==, body);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/srv-storage/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("open/schema", test_open_schema);
  g_test_add_func ("/srv-storage/open/garbage", test_open_garbage);
  g_test_add_func ("/srv-storage/open/newer-schema", test_open_newer_schema);
  ADD ("accounts", test_accounts);
  ADD ("accounts/credentials", test_credentials);
  ADD ("roster/items", test_roster);
  ADD ("roster/changes", test_roster_changes);
  ADD ("roster/account-recreated", test_roster_account_recreated);
  ADD ("roster/tombstones-pruned", test_roster_tombstones_pruned);
  ADD ("subscription-requests", test_subscription_requests);
  ADD ("offline/order-and-take", test_offline);
  ADD ("offline/forged-delay", test_offline_forged_delay);
  ADD ("archive/paging", test_archive);
  ADD ("blocklist", test_blocklist);
  ADD ("vcard", test_vcard);
  ADD ("batching", test_batching);
  g_test_add ("/srv-storage/crash-safety/power-loss", Fixture,
              GINT_TO_POINTER (SRV_STORAGE_DURABILITY_POWER_LOSS),
              fixture_set_up, test_crash_safety, fixture_tear_down);
  g_test_add ("/srv-storage/crash-safety/crash", Fixture,
              GINT_TO_POINTER (SRV_STORAGE_DURABILITY_CRASH),
              fixture_set_up, test_crash_safety, fixture_tear_down);
  g_test_add ("/srv-storage/crash-safety/batched", Fixture,
              GINT_TO_POINTER (SRV_STORAGE_DURABILITY_POWER_LOSS | CRASH_BATCHING),
              fixture_set_up, test_crash_safety, fixture_tear_down);

#undef ADD

  return g_test_run ();
}
