/* test-store.c: the SQLite cache
 *
 * Opening, migrations from every earlier schema version, accounts, roster,
 * de-duplication, delivery states, paging, threads, search in several
 * scripts, archive state, and crash safety: a child process (this binary,
 * run with --crash-child) writes a burst of messages and reports each
 * commit on a pipe until it is killed with SIGKILL; the database must then
 * pass integrity checks and hold every message reported committed.
 *
 * SQL appears here only to build databases at old schema versions and to
 * compare schemas; everything else goes through the store's API.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "messenger-store.h"
#include "messenger-store-private.h"

#define ALICE   "alice@example.org"
#define BOB     "bob@example.org"
#define CAROL   "carol@example.org"
#define SECOND  ((gint64) G_USEC_PER_SEC)
#define T0      ((gint64) 1700000000 * SECOND)

/* Helpers */

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("messenger-store-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                                                   NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFileInfo) owned = info;
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      if (g_file_query_file_type (child, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_DIRECTORY)
        {
          g_autofree char *path = g_file_get_path (child);

          remove_tree (path);
        }
      else
        {
          g_file_delete (child, NULL, NULL);
        }
    }
  g_file_delete (file, NULL, NULL);
}

typedef struct
{
  char           *dir;
  char           *path;
  MessengerStore *store;
  gint64          account;
} Fixture;

static MessengerStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  MessengerStore *store = messenger_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

/* Runs the main context until an async call's callback stored its result. */
static GAsyncResult *
await (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gint64
add_account (MessengerStore *store,
             const char     *jid)
{
  g_autoptr(MessengerStoreAccount) account = messenger_store_account_new (jid);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  messenger_store_add_account_async (store, account, NULL, result_cb, &result);
  id = messenger_store_add_account_finish (store, await (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = make_temp_dir ();
  fixture->path = g_build_filename (fixture->dir, "messenger.db", NULL);
  fixture->store = open_store (fixture->path);
  fixture->account = add_account (fixture->store, ALICE);
}

/* Drops the last reference to @store and waits for it to be finalized:
 * a GTask worker thread may hold it a moment after a read's callback ran. */
static void
finalize_store (MessengerStore *store)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &store);
  g_object_unref (store);
  while (g_atomic_pointer_get (&store) != NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_null (g_atomic_pointer_get (&store));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->store != NULL)
    finalize_store (fixture->store);
  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static MessengerStoreMessage *
message_new (gint64                   account,
             const char              *peer,
             MessengerStoreDirection  direction,
             gint64                   time,
             const char              *body)
{
  MessengerStoreMessage *message = messenger_store_message_new ();

  message->account_id = account;
  message->peer = g_strdup (peer);
  message->direction = direction;
  message->time = time;
  message->received_time = time;
  message->body = g_strdup (body);
  message->unread = direction == MESSENGER_STORE_DIRECTION_IN;
  return message;
}

static gint64
insert_full (MessengerStore              *store,
             const MessengerStoreMessage *message,
             gboolean                    *duplicate,
             GError                     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_store_insert_message_async (store, message, NULL, result_cb, &result);
  return messenger_store_insert_message_finish (store, await (&result), duplicate, error);
}

static gint64
insert (MessengerStore              *store,
        const MessengerStoreMessage *message,
        gboolean                    *duplicate)
{
  g_autoptr(GError) error = NULL;
  gint64 id = insert_full (store, message, duplicate, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static gint64
insert_simple (Fixture    *fixture,
               const char *peer,
               gint64      time,
               const char *body)
{
  g_autoptr(MessengerStoreMessage) message =
    message_new (fixture->account, peer, MESSENGER_STORE_DIRECTION_IN, time, body);

  return insert (fixture->store, message, NULL);
}

static gint64
set_state (MessengerStore              *store,
           gint64                       id,
           MessengerStoreDeliveryState  state)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 changed;

  messenger_store_set_delivery_state_async (store, id, state, NULL, result_cb, &result);
  changed = messenger_store_set_delivery_state_finish (store, await (&result), &error);
  g_assert_no_error (error);
  return changed;
}

static MessengerStoreDeliveryState
get_state (MessengerStore *store,
           gint64          id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStoreMessage) message = messenger_store_get_message (store, id, &error);

  g_assert_no_error (error);
  return message->state;
}

static guint
count (Fixture    *fixture,
       const char *peer,
       const char *thread_id)
{
  g_autoptr(GError) error = NULL;
  guint n = messenger_store_count_messages (fixture->store, fixture->account, peer, thread_id, &error);

  g_assert_no_error (error);
  return n;
}

static GPtrArray *
page (Fixture                     *fixture,
      const char                  *peer,
      const char                  *thread_id,
      MessengerStorePageDirection  direction,
      gint64                       anchor,
      guint                        limit)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *messages = messenger_store_load_messages (fixture->store, fixture->account, peer, thread_id,
                                                       direction, anchor, limit, &error);

  g_assert_no_error (error);
  g_assert_nonnull (messages);
  return messages;
}

static gint64
message_id_at (GPtrArray *messages,
               guint      index)
{
  return ((MessengerStoreMessage *) g_ptr_array_index (messages, index))->id;
}

static void
assert_ascending (GPtrArray *messages)
{
  guint i;

  for (i = 1; i < messages->len; i++)
    g_assert_cmpint (message_id_at (messages, i - 1), <, message_id_at (messages, i));
}

static GPtrArray *
search (MessengerStore *store,
        gint64          account,
        const char     *peer,
        const char     *query)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *hits = messenger_store_search (store, account, peer, query, 0, 100, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

static guint
search_count (MessengerStore *store,
              const char     *query)
{
  g_autoptr(GPtrArray) hits = search (store, 0, NULL, query);

  return hits->len;
}

static void
check_integrity (MessengerStore *store)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  messenger_store_check_integrity_async (store, NULL, result_cb, &result);
  g_assert_true (messenger_store_check_integrity_finish (store, await (&result), &error));
  g_assert_no_error (error);
}

/* Opening */

static void
test_store_open_creates_wal_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-store-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(MessengerStore) store = NULL;
  g_autofree char *mode = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "profile", "messenger.db", NULL);
  store = messenger_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (messenger_store_get_path (store), ==, path);

  mode = messenger_store_get_journal_mode (store);
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpuint (messenger_store_get_schema_version (store), ==, _messenger_store_schema_latest ());

  g_clear_object (&store);
  remove_tree (dir);
}

static void
test_store_open_reports_unwritable_location (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = NULL;
  g_autofree char *dir = g_dir_make_tmp ("messenger-store-XXXXXX", &error);
  g_autofree char *blocker = g_build_filename (dir, "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "messenger.db", NULL);

  /* A plain file where the folder should be: the store must say so. */
  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  store = messenger_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN);
  remove_tree (dir);
}

static void
test_store_open_refuses_newer_schema (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "messenger.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = NULL;

  {
    g_autoptr(StoreConnection) conn = _messenger_store_connection_open (path, FALSE, &error);

    g_assert_no_error (error);
    g_assert_true (_messenger_store_connection_exec (conn, "CREATE TABLE future (x);"
                                                           "PRAGMA user_version = 999", &error));
  }

  store = messenger_store_open (path, &error);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_VERSION);
  g_assert_null (store);

  /* …and left it alone. */
  {
    g_autoptr(StoreConnection) conn = _messenger_store_connection_open (path, TRUE, NULL);

    g_assert_cmpuint (_messenger_store_schema_get_version (conn, NULL), ==, 999);
  }
  remove_tree (dir);
}

static void
test_store_open_refuses_garbage (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "messenger.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = NULL;
  char garbage[8192];

  memset (garbage, 'x', sizeof garbage);
  g_assert_true (g_file_set_contents (path, garbage, sizeof garbage, NULL));
  store = messenger_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_CORRUPT);
  remove_tree (dir);
}

static void
test_store_open_async (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "messenger.db", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = NULL;

  messenger_store_open_async (path, NULL, result_cb, &result);
  store = messenger_store_open_finish (await (&result), &error);
  g_assert_no_error (error);
  g_assert_true (MESSENGER_IS_STORE (store));
  add_account (store, ALICE);
  g_clear_object (&store);
  remove_tree (dir);
}

static void
test_store_close (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(MessengerStoreMessage) message =
    message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0, "queued before close");
  g_autoptr(GAsyncResult) before = NULL;
  g_autoptr(GAsyncResult) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) accounts = NULL;

  /* Closing waits for what was queued: that write commits. */
  messenger_store_insert_message_async (fixture->store, message, NULL, result_cb, &before);
  messenger_store_close (fixture->store);
  g_assert_cmpint (messenger_store_insert_message_finish (fixture->store, await (&before), NULL, &error), >, 0);
  g_assert_no_error (error);

  messenger_store_insert_message_async (fixture->store, message, NULL, result_cb, &after);
  g_assert_cmpint (messenger_store_insert_message_finish (fixture->store, await (&after), NULL, &error), ==, 0);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_CLOSED);
  g_clear_error (&error);

  accounts = messenger_store_list_accounts (fixture->store, &error);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_CLOSED);
  g_assert_null (accounts);
  messenger_store_close (fixture->store);

  g_clear_object (&fixture->store);
  fixture->store = open_store (fixture->path);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 1);
}

static void
test_store_cancel (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MessengerStoreMessage) message =
    message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0, "never stored");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  messenger_store_insert_message_async (fixture->store, message, cancellable, result_cb, &result);
  g_assert_cmpint (messenger_store_insert_message_finish (fixture->store, await (&result), NULL, &error), ==, 0);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 0);
}

/* Migrations
 *
 * For every version k below the latest: apply migrations one by one up to
 * k, inserting after migration j data as version j would have written it,
 * then let the store migrate to the latest and check that all the data
 * survived, reads through today's API, and that the schema is exactly what
 * a new database gets.  Adding migration N+1 means adding a case to
 * insert_version_data() and checks for its data to check_migrated_data(). */

#define T1 (T0 + 10 * SECOND)
#define T2 (T0 + 20 * SECOND)
#define T3 (T0 + 30 * SECOND)

static void
exec_or_die (StoreConnection *conn,
             const char      *sql)
{
  g_autoptr(GError) error = NULL;

  _messenger_store_connection_exec (conn, sql, &error);
  g_assert_no_error (error);
}

static void
insert_version_data (StoreConnection *conn,
                     guint            version)
{
  g_autofree char *sql = NULL;

  switch (version)
    {
    case 1:
      exec_or_die (conn,
                   "INSERT INTO accounts (id, jid, display_name, server, port, direct_tls,"
                   " pinned_fingerprint, enabled, roster_version) VALUES"
                   " (1, '" ALICE "', 'Alice', 'xmpp.example.org', 5223, 1, 'sha256:AB:CD', 1, 'ver7'),"
                   " (2, 'old@example.net', NULL, NULL, 0, 0, NULL, 0, NULL);"
                   "INSERT INTO roster_items (account_id, jid, name, subscription, ask, approved) VALUES"
                   " (1, '" BOB "', 'Bob', 3, 0, 0),"
                   " (1, '" CAROL "', NULL, 1, 1, 1);"
                   "INSERT INTO roster_groups (account_id, jid, name) VALUES"
                   " (1, '" BOB "', 'Friends'), (1, '" BOB "', 'Work'), (1, '" CAROL "', 'Work');");
      break;

    case 2:
      sql = g_strdup_printf ("INSERT INTO conversations (id, account_id, peer, last_time, unread,"
                             " message_count) VALUES (1, 1, '" BOB "', %" G_GINT64_FORMAT ", 1, 2);"
                             "INSERT INTO threads (id, conversation_id, thread_id, parent_thread_id, subject,"
                             " first_time, last_time, unread, message_count) VALUES"
                             " (1, 1, 'th-1', NULL, 'Plans', %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", 1, 2);"
                             "INSERT INTO messages (id, conversation_id, thread, direction, type, state, unread,"
                             " time, delay_time, received_time, body, subject, stanza_id, stanza_id_by,"
                             " origin_id, message_id) VALUES"
                             " (%" G_GINT64_FORMAT ", 1, 1, 1, 0, 1, 0, %" G_GINT64_FORMAT ", NULL,"
                             "  %" G_GINT64_FORMAT ", 'Shall we meet at the Café?', 'Plans', NULL, NULL,"
                             "  'origin-1', NULL),"
                             " (%" G_GINT64_FORMAT ", 1, 1, 0, 0, 3, 1, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ","
                             "  %" G_GINT64_FORMAT ", '好的，我们在北京见', NULL, 'archive-2', '" ALICE "',"
                             "  NULL, 'legacy-2');",
                             T2, T1, T2,
                             T1 << 10, T1, T1,
                             T2 << 10, T2, T2 - SECOND, T2);
      exec_or_die (conn, sql);
      break;

    case 3:
      /* Written, and indexed, by version 3's writer. */
      sql = g_strdup_printf ("INSERT INTO messages (id, conversation_id, thread, direction, type, state,"
                             " unread, time, delay_time, received_time, body, subject, stanza_id,"
                             " stanza_id_by, origin_id, message_id) VALUES"
                             " (%" G_GINT64_FORMAT ", 1, NULL, 0, 0, 3, 0, %" G_GINT64_FORMAT ", NULL,"
                             "  %" G_GINT64_FORMAT ", 'Indexed by the writer', NULL, NULL, NULL,"
                             "  'origin-3', NULL);"
                             "INSERT INTO messages_fts (rowid, body) VALUES (%" G_GINT64_FORMAT ","
                             "  'Indexed by the writer');"
                             "UPDATE conversations SET last_time = %" G_GINT64_FORMAT ","
                             "  message_count = 3 WHERE id = 1;",
                             T3 << 10, T3, T3, T3 << 10, T3);
      exec_or_die (conn, sql);
      break;

    case 4:
      exec_or_die (conn,
                   "INSERT INTO mam_catchup (account_id, archive, last_id, last_time, oldest_id,"
                   " oldest_time, complete) VALUES (1, '', 'archive-2', 1700000020000000,"
                   " 'archive-0', 1600000000000000, 1);");
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
check_migrated_data (MessengerStore *store,
                     guint           from_version)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) accounts = messenger_store_list_accounts (store, &error);
  MessengerStoreAccount *alice;

  g_assert_no_error (error);
  if (from_version < 1)
    {
      g_assert_cmpuint (accounts->len, ==, 0);
      return;
    }

  /* Version 1: accounts and roster */
  g_assert_cmpuint (accounts->len, ==, 2);
  alice = g_ptr_array_index (accounts, 0);
  g_assert_cmpstr (alice->jid, ==, ALICE);
  g_assert_cmpstr (alice->display_name, ==, "Alice");
  g_assert_cmpstr (alice->server, ==, "xmpp.example.org");
  g_assert_cmpuint (alice->port, ==, 5223);
  g_assert_true (alice->direct_tls);
  g_assert_cmpstr (alice->pinned_fingerprint, ==, "sha256:AB:CD");
  g_assert_true (alice->enabled);
  g_assert_cmpstr (alice->roster_version, ==, "ver7");
  g_assert_false (((MessengerStoreAccount *) g_ptr_array_index (accounts, 1))->enabled);

  {
    g_autofree char *version = NULL;
    g_autoptr(GPtrArray) roster = messenger_store_load_roster (store, 1, &version, &error);
    MessengerStoreRosterItem *bob, *carol;

    g_assert_no_error (error);
    g_assert_cmpstr (version, ==, "ver7");
    g_assert_cmpuint (roster->len, ==, 2);
    bob = g_ptr_array_index (roster, 0);
    carol = g_ptr_array_index (roster, 1);
    g_assert_cmpstr (bob->jid, ==, BOB);
    g_assert_cmpstr (bob->name, ==, "Bob");
    g_assert_cmpint (bob->subscription, ==, MESSENGER_STORE_SUBSCRIPTION_BOTH);
    g_assert_cmpstrv (bob->groups, ((const char * const[]) { "Friends", "Work", NULL }));
    g_assert_cmpstr (carol->jid, ==, CAROL);
    g_assert_null (carol->name);
    g_assert_true (carol->ask && carol->approved);
    g_assert_cmpint (carol->subscription, ==, MESSENGER_STORE_SUBSCRIPTION_TO);
  }

  if (from_version < 2)
    {
      g_autoptr(GPtrArray) conversations = messenger_store_list_conversations (store, 1, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (conversations->len, ==, 0);
      return;
    }

  /* Version 2: history.  Searching it needs version 3's index, which the
   * migration built from the rows already there. */
  {
    g_autoptr(GPtrArray) messages = messenger_store_load_messages (store, 1, BOB, NULL,
                                                                   MESSENGER_STORE_PAGE_OLDER, 0, 10,
                                                                   &error);
    g_autoptr(GPtrArray) threads = messenger_store_list_threads (store, 1, BOB, &error);
    g_autoptr(GPtrArray) pending = messenger_store_list_pending (store, 1, &error);
    MessengerStoreMessage *out, *in;
    MessengerStoreThread *thread;

    g_assert_no_error (error);
    g_assert_cmpuint (messages->len, ==, from_version >= 3 ? 3 : 2);
    out = g_ptr_array_index (messages, 0);
    in = g_ptr_array_index (messages, 1);
    g_assert_cmpstr (out->body, ==, "Shall we meet at the Café?");
    g_assert_cmpint (out->direction, ==, MESSENGER_STORE_DIRECTION_OUT);
    g_assert_cmpint (out->state, ==, MESSENGER_STORE_DELIVERY_SENT);
    g_assert_cmpstr (out->thread_id, ==, "th-1");
    g_assert_cmpstr (out->origin_id, ==, "origin-1");
    g_assert_cmpstr (out->message_id, ==, "origin-1");
    g_assert_cmpint (out->time, ==, T1);
    g_assert_cmpstr (in->body, ==, "好的，我们在北京见");
    g_assert_cmpint (in->delay_time, ==, T2 - SECOND);
    g_assert_cmpstr (in->stanza_id, ==, "archive-2");
    g_assert_cmpstr (in->message_id, ==, "legacy-2");
    g_assert_true (in->unread);

    g_assert_cmpuint (messenger_store_count_messages (store, 1, BOB, NULL, &error), ==, messages->len);
    g_assert_cmpuint (messenger_store_count_messages (store, 1, BOB, "th-1", &error), ==, 2);
    g_assert_cmpuint (threads->len, ==, 1);
    thread = g_ptr_array_index (threads, 0);
    g_assert_cmpstr (thread->thread_id, ==, "th-1");
    g_assert_cmpuint (thread->message_count, ==, 2);
    g_assert_cmpstr (thread->subject, ==, "Plans");
    g_assert_cmpuint (thread->unread, ==, 1);

    g_assert_cmpuint (pending->len, ==, 1);
    g_assert_cmpint (((MessengerStoreMessage *) g_ptr_array_index (pending, 0))->id, ==, out->id);

    g_assert_cmpuint (search_count (store, "cafe"), ==, 1);
    g_assert_cmpuint (search_count (store, "北京"), ==, 1);
    g_assert_cmpuint (search_count (store, "京"), ==, 1);
    g_assert_cmpuint (search_count (store, "writer"), ==, from_version >= 3 ? 1 : 0);
  }

  /* The de-duplication keys of old rows still work. */
  {
    g_autoptr(MessengerStoreMessage) copy = message_new (1, BOB, MESSENGER_STORE_DIRECTION_IN, T2,
                                                         "好的，我们在北京见");
    gboolean duplicate = FALSE;

    copy->stanza_id = g_strdup ("archive-2");
    copy->stanza_id_by = g_strdup (ALICE);
    insert (store, copy, &duplicate);
    g_assert_true (duplicate);
  }

  /* Version 4: archive state */
  {
    g_autoptr(MessengerStoreMamState) state = messenger_store_get_mam_state (store, 1, NULL, &error);

    g_assert_no_error (error);
    if (from_version < 4)
      {
        g_assert_null (state);
      }
    else
      {
        g_assert_nonnull (state);
        g_assert_cmpstr (state->last_id, ==, "archive-2");
        g_assert_cmpstr (state->oldest_id, ==, "archive-0");
        g_assert_true (state->complete);
      }
  }
}

static char *
dump_schema (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(StoreConnection) conn = _messenger_store_connection_open (path, TRUE, &error);
  g_autoptr(GString) dump = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (conn->db,
                                       "SELECT type, name, tbl_name, sql FROM sqlite_schema"
                                       " ORDER BY type, name", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (dump, "%s %s %s: %s\n",
                            sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1),
                            sqlite3_column_text (stmt, 2), sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  g_string_append_printf (dump, "user_version %u\n", _messenger_store_schema_get_version (conn, NULL));
  return g_string_free (g_steal_pointer (&dump), FALSE);
}

static void
test_store_migrations (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *fresh_path = g_build_filename (dir, "fresh.db", NULL);
  g_autofree char *fresh_schema = NULL;
  guint latest = _messenger_store_schema_latest ();
  guint from;

  g_assert_cmpuint (latest, ==, 4);

  {
    g_autoptr(MessengerStore) fresh = open_store (fresh_path);
  }
  fresh_schema = dump_schema (fresh_path);

  for (from = 0; from < latest; from++)
    {
      g_autofree char *name = g_strdup_printf ("from-%u.db", from);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *schema = NULL;
      g_autoptr(GError) error = NULL;
      guint version;

      g_test_message ("Migrating from version %u", from);

      {
        g_autoptr(StoreConnection) conn = _messenger_store_connection_open (path, FALSE, &error);

        g_assert_no_error (error);
        for (version = 1; version <= from; version++)
          {
            g_assert_true (_messenger_store_schema_migrate (conn, version, &error));
            g_assert_no_error (error);
            g_assert_cmpuint (_messenger_store_schema_get_version (conn, NULL), ==, version);
            insert_version_data (conn, version);
          }
      }

      {
        g_autoptr(MessengerStore) store = open_store (path);

        g_assert_cmpuint (messenger_store_get_schema_version (store), ==, latest);
        check_migrated_data (store, from);
        check_integrity (store);
      }

      schema = dump_schema (path);
      g_assert_cmpstr (schema, ==, fresh_schema);

      /* Opening a migrated database again changes nothing. */
      {
        g_autoptr(MessengerStore) store = open_store (path);
        g_autofree char *again = dump_schema (path);

        g_assert_cmpstr (again, ==, fresh_schema);
      }
    }

  remove_tree (dir);
}

/* Accounts */

static void
test_store_accounts (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MessengerStoreAccount) account = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(GAsyncResult) result3 = NULL;
  g_autoptr(GAsyncResult) result4 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  gint64 second;

  account = messenger_store_get_account (fixture->store, fixture->account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->jid, ==, ALICE);
  g_assert_true (account->enabled);
  g_assert_null (account->server);
  g_assert_cmpuint (account->port, ==, 0);
  g_assert_null (account->roster_version);

  /* A second account with the same JID is refused. */
  messenger_store_add_account_async (fixture->store, account, NULL, result_cb, &result);
  g_assert_cmpint (messenger_store_add_account_finish (fixture->store, await (&result), &error), ==, 0);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_EXISTS);
  g_clear_error (&error);

  g_free (account->display_name);
  account->display_name = g_strdup ("Alice at work");
  account->server = g_strdup ("chat.example.org");
  account->port = 5223;
  account->direct_tls = TRUE;
  account->pinned_fingerprint = g_strdup ("sha256:00:11");
  account->enabled = FALSE;
  messenger_store_update_account_async (fixture->store, account, NULL, result_cb, &result2);
  g_assert_true (messenger_store_update_account_finish (fixture->store, await (&result2), &error));
  g_assert_no_error (error);
  g_clear_pointer (&account, messenger_store_account_free);

  account = messenger_store_get_account (fixture->store, fixture->account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->display_name, ==, "Alice at work");
  g_assert_cmpstr (account->server, ==, "chat.example.org");
  g_assert_cmpuint (account->port, ==, 5223);
  g_assert_true (account->direct_tls);
  g_assert_cmpstr (account->pinned_fingerprint, ==, "sha256:00:11");
  g_assert_false (account->enabled);

  second = add_account (fixture->store, "alice@example.net");
  accounts = messenger_store_list_accounts (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 2);
  g_assert_cmpint (((MessengerStoreAccount *) g_ptr_array_index (accounts, 1))->id, ==, second);

  /* Removing an account takes its data with it. */
  insert_simple (fixture, BOB, T0, "goodbye history");
  g_assert_cmpuint (search_count (fixture->store, "goodbye"), ==, 1);
  messenger_store_remove_account_async (fixture->store, fixture->account, NULL, result_cb, &result3);
  g_assert_true (messenger_store_remove_account_finish (fixture->store, await (&result3), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (search_count (fixture->store, "goodbye"), ==, 0);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 0);
  g_assert_null (messenger_store_get_account (fixture->store, fixture->account, &error));
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  messenger_store_remove_account_async (fixture->store, fixture->account, NULL, result_cb, &result4);
  g_assert_false (messenger_store_remove_account_finish (fixture->store, await (&result4), &error));
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Messages for an account that is gone are refused, not orphaned. */
  {
    g_autoptr(MessengerStoreMessage) message =
      message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0, "orphan");

    g_assert_cmpint (insert_full (fixture->store, message, NULL, &error), ==, 0);
    g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND);
  }
  check_integrity (fixture->store);
}

/* Roster */

static MessengerStoreRosterItem *
roster_item (const char                 *jid,
             const char                 *name,
             MessengerStoreSubscription  subscription,
             const char * const         *groups)
{
  MessengerStoreRosterItem *item = messenger_store_roster_item_new (jid);

  item->name = g_strdup (name);
  item->subscription = subscription;
  item->groups = g_strdupv ((char **) groups);
  return item;
}

static void
roster_wait (MessengerStore  *store,
             GAsyncResult   **slot)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (messenger_store_roster_finish (store, await (slot), &error));
  g_assert_no_error (error);
  g_clear_object (slot);
}

static GPtrArray *
load_roster (MessengerStore  *store,
             gint64           account,
             char           **version)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *items = messenger_store_load_roster (store, account, version, &error);

  g_assert_no_error (error);
  return items;
}

static void
test_store_roster (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);
  g_autoptr(GPtrArray) loaded = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  MessengerStoreRosterItem *item;

  loaded = load_roster (fixture->store, fixture->account, &version);
  g_assert_cmpuint (loaded->len, ==, 0);
  g_assert_null (version);
  g_clear_pointer (&loaded, g_ptr_array_unref);

  g_ptr_array_add (items, roster_item (CAROL, "Carol", MESSENGER_STORE_SUBSCRIPTION_TO,
                                       (const char * const[]) { "Work", NULL }));
  g_ptr_array_add (items, roster_item (BOB, "Bob", MESSENGER_STORE_SUBSCRIPTION_BOTH,
                                       (const char * const[]) { "Work", "Friends", NULL }));
  g_ptr_array_add (items, roster_item ("dave@example.org", NULL, MESSENGER_STORE_SUBSCRIPTION_NONE, NULL));
  ((MessengerStoreRosterItem *) g_ptr_array_index (items, 2))->ask = TRUE;
  messenger_store_replace_roster_async (fixture->store, fixture->account, items, "v1",
                                        NULL, result_cb, &result);
  roster_wait (fixture->store, &result);

  loaded = load_roster (fixture->store, fixture->account, &version);
  g_assert_cmpstr (version, ==, "v1");
  g_clear_pointer (&version, g_free);
  g_assert_cmpuint (loaded->len, ==, 3);
  item = g_ptr_array_index (loaded, 0);
  g_assert_cmpstr (item->jid, ==, BOB);
  g_assert_cmpstr (item->name, ==, "Bob");
  g_assert_cmpint (item->subscription, ==, MESSENGER_STORE_SUBSCRIPTION_BOTH);
  g_assert_cmpstrv (item->groups, ((const char * const[]) { "Friends", "Work", NULL }));
  item = g_ptr_array_index (loaded, 2);
  g_assert_cmpstr (item->jid, ==, "dave@example.org");
  g_assert_null (item->groups);
  g_assert_true (item->ask);
  g_clear_pointer (&loaded, g_ptr_array_unref);

  /* A push: Bob leaves Work, Eve arrives. */
  g_ptr_array_set_size (items, 0);
  g_ptr_array_add (items, roster_item (BOB, "Bobby", MESSENGER_STORE_SUBSCRIPTION_BOTH,
                                       (const char * const[]) { "Friends", NULL }));
  g_ptr_array_add (items, roster_item ("eve@example.org", "Eve", MESSENGER_STORE_SUBSCRIPTION_FROM, NULL));
  messenger_store_update_roster_async (fixture->store, fixture->account, items, "v2",
                                       NULL, result_cb, &result);
  roster_wait (fixture->store, &result);

  messenger_store_remove_roster_item_async (fixture->store, fixture->account, CAROL, "v3",
                                            NULL, result_cb, &result);
  roster_wait (fixture->store, &result);

  /* Through the worker-thread variant this time. */
  messenger_store_load_roster_async (fixture->store, fixture->account, NULL, result_cb, &result);
  loaded = messenger_store_load_roster_finish (fixture->store, await (&result), &version, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpstr (version, ==, "v3");
  g_clear_pointer (&version, g_free);
  g_assert_cmpuint (loaded->len, ==, 3);
  item = g_ptr_array_index (loaded, 0);
  g_assert_cmpstr (item->jid, ==, BOB);
  g_assert_cmpstr (item->name, ==, "Bobby");
  g_assert_cmpstrv (item->groups, ((const char * const[]) { "Friends", NULL }));
  g_assert_cmpstr (((MessengerStoreRosterItem *) g_ptr_array_index (loaded, 1))->jid, ==, "dave@example.org");
  item = g_ptr_array_index (loaded, 2);
  g_assert_cmpstr (item->jid, ==, "eve@example.org");
  g_assert_cmpint (item->subscription, ==, MESSENGER_STORE_SUBSCRIPTION_FROM);
  g_clear_pointer (&loaded, g_ptr_array_unref);

  /* A full result replaces everything; a server without versioning. */
  g_ptr_array_set_size (items, 0);
  g_ptr_array_add (items, roster_item (CAROL, NULL, MESSENGER_STORE_SUBSCRIPTION_BOTH, NULL));
  messenger_store_replace_roster_async (fixture->store, fixture->account, items, NULL,
                                        NULL, result_cb, &result);
  roster_wait (fixture->store, &result);
  loaded = load_roster (fixture->store, fixture->account, &version);
  g_assert_null (version);
  g_assert_cmpuint (loaded->len, ==, 1);
  g_assert_cmpstr (((MessengerStoreRosterItem *) g_ptr_array_index (loaded, 0))->jid, ==, CAROL);

  /* The version lives on the account. */
  {
    g_autoptr(MessengerStoreAccount) account = messenger_store_get_account (fixture->store, fixture->account, &error);

    g_assert_no_error (error);
    g_assert_null (account->roster_version);
  }

  /* An unknown account is an error, and nothing is written. */
  messenger_store_update_roster_async (fixture->store, 999, items, "v9", NULL, result_cb, &result);
  g_assert_false (messenger_store_roster_finish (fixture->store, await (&result), &error));
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND);
}

/* De-duplication */

static void
test_store_dedup_carbon_mam_resend (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(MessengerStoreMessage) live = NULL;
  g_autoptr(MessengerStoreMessage) carbon = NULL;
  g_autoptr(MessengerStoreMessage) archived = NULL;
  g_autoptr(MessengerStoreMessage) resent = NULL;
  g_autoptr(MessengerStoreMessage) stored = NULL;
  g_autoptr(GPtrArray) threads = NULL;
  g_autoptr(GError) error = NULL;
  gboolean duplicate = TRUE;
  gint64 id;

  /* Bob's message arrives live, archived by our server as archive-1. */
  live = message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0, "See you at noon");
  live->thread_id = g_strdup ("th");
  live->origin_id = g_strdup ("bob-origin-1");
  live->message_id = g_strdup ("bob-origin-1");
  live->stanza_id = g_strdup ("archive-1");
  live->stanza_id_by = g_strdup (ALICE);
  id = insert (fixture->store, live, &duplicate);
  g_assert_false (duplicate);

  /* The carbon copy another of our clients caused: same origin-id, received later. */
  carbon = messenger_store_message_copy (live);
  g_clear_pointer (&carbon->stanza_id, g_free);
  g_clear_pointer (&carbon->stanza_id_by, g_free);
  carbon->received_time = carbon->time = T0 + 2 * SECOND;
  g_assert_cmpint (insert (fixture->store, carbon, &duplicate), ==, id);
  g_assert_true (duplicate);

  /* The archive page with it: the stanza-id matches (and the time is the
   * server's, slightly different). */
  archived = messenger_store_message_copy (live);
  g_clear_pointer (&archived->origin_id, g_free);
  archived->time = 0;
  archived->delay_time = T0 - 1;
  g_assert_cmpint (insert (fixture->store, archived, &duplicate), ==, id);
  g_assert_true (duplicate);

  /* Bob's client resent it after a reconnect: archived again under a new
   * stanza-id; the origin-id gives it away. */
  resent = messenger_store_message_copy (live);
  g_free (resent->stanza_id);
  resent->stanza_id = g_strdup ("archive-7");
  resent->time = resent->received_time = T0 + 60 * SECOND;
  g_assert_cmpint (insert (fixture->store, resent, &duplicate), ==, id);
  g_assert_true (duplicate);

  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "noon"), ==, 1);
  stored = messenger_store_get_message (fixture->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->stanza_id, ==, "archive-1");
  g_assert_cmpint (stored->time, ==, T0);

  /* Unread and thread activity counted once. */
  threads = messenger_store_list_threads (fixture->store, fixture->account, BOB, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (threads->len, ==, 1);
  g_assert_cmpuint (((MessengerStoreThread *) g_ptr_array_index (threads, 0))->unread, ==, 1);
  g_assert_cmpint (((MessengerStoreThread *) g_ptr_array_index (threads, 0))->last_time, ==, T0);

  /* The same origin-id in another conversation is another message. */
  {
    g_autoptr(MessengerStoreMessage) elsewhere = messenger_store_message_copy (live);

    g_free (elsewhere->peer);
    elsewhere->peer = g_strdup (CAROL);
    g_assert_cmpint (insert (fixture->store, elsewhere, &duplicate), !=, id);
    g_assert_false (duplicate);
  }
}

static void
test_store_dedup_own_message (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(MessengerStoreMessage) outgoing = NULL;
  g_autoptr(MessengerStoreMessage) archived = NULL;
  g_autoptr(MessengerStoreMessage) stored = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  gboolean duplicate;
  gint64 id;

  /* We sent it; the stream broke before the server's ack. */
  outgoing = message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_OUT, T0, "Did you get this?");
  outgoing->origin_id = g_strdup ("our-origin");
  outgoing->message_id = g_strdup ("our-origin");
  outgoing->state = MESSENGER_STORE_DELIVERY_SENT;
  id = insert (fixture->store, outgoing, &duplicate);
  g_assert_false (duplicate);

  /* After reconnecting, catching up with the archive shows the server got
   * it: the stored row learns its stanza-id and is no longer resent. */
  archived = messenger_store_message_copy (outgoing);
  archived->stanza_id = g_strdup ("archive-9");
  archived->stanza_id_by = g_strdup (ALICE);
  archived->state = MESSENGER_STORE_DELIVERY_ACKED;
  archived->time = T0 + 1;
  g_assert_cmpint (insert (fixture->store, archived, &duplicate), ==, id);
  g_assert_true (duplicate);

  stored = messenger_store_get_message (fixture->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->stanza_id, ==, "archive-9");
  g_assert_cmpstr (stored->stanza_id_by, ==, ALICE);
  g_assert_cmpint (stored->state, ==, MESSENGER_STORE_DELIVERY_ACKED);
  pending = messenger_store_list_pending (fixture->store, fixture->account, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 0);

  /* Found again by its new key. */
  g_clear_pointer (&stored, messenger_store_message_free);
  stored = messenger_store_find_message_by_stanza_id (fixture->store, fixture->account, BOB,
                                                      ALICE, "archive-9", &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->id, ==, id);
}

static void
test_store_dedup_without_origin_id (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(MessengerStoreMessage) first = NULL;
  g_autoptr(MessengerStoreMessage) copy = NULL;
  gboolean duplicate;
  gint64 id;

  /* A client without XEP-0359 numbering its messages per session. */
  first = message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0, "ok");
  first->message_id = g_strdup ("5");
  id = insert (fixture->store, first, &duplicate);
  g_assert_false (duplicate);

  copy = messenger_store_message_copy (first);
  copy->time = T0 + 30 * SECOND;
  g_assert_cmpint (insert (fixture->store, copy, &duplicate), ==, id);
  g_assert_true (duplicate);

  /* The same id and body a week later is a new "ok". */
  copy->time = T0 + 7 * 24 * 3600 * SECOND;
  g_assert_cmpint (insert (fixture->store, copy, &duplicate), !=, id);
  g_assert_false (duplicate);

  /* A different body under the same id is a different message. */
  g_free (copy->body);
  copy->body = g_strdup ("not ok");
  copy->time = T0 + SECOND;
  insert (fixture->store, copy, &duplicate);
  g_assert_false (duplicate);

  /* And so is our own message with that id. */
  copy->direction = MESSENGER_STORE_DIRECTION_OUT;
  g_free (copy->body);
  copy->body = g_strdup ("ok");
  insert (fixture->store, copy, &duplicate);
  g_assert_false (duplicate);

  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 4);
}

static void
test_store_dedup_in_one_page (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GPtrArray) page_of = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) results = NULL;
  guint i;

  /* An archive page that holds the same message twice, plus an invalid
   * page that must change nothing at all. */
  for (i = 0; i < 3; i++)
    {
      MessengerStoreMessage *message = message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN,
                                                    T0 + i * SECOND, "page");

      message->stanza_id = g_strdup_printf ("a-%u", MIN (i, 1));
      message->stanza_id_by = g_strdup (ALICE);
      g_ptr_array_add (page_of, message);
    }
  messenger_store_insert_messages_async (fixture->store, page_of, NULL, result_cb, &result);
  results = messenger_store_insert_messages_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 3);
  g_assert_false (g_array_index (results, MessengerStoreInsertResult, 0).duplicate);
  g_assert_false (g_array_index (results, MessengerStoreInsertResult, 1).duplicate);
  g_assert_true (g_array_index (results, MessengerStoreInsertResult, 2).duplicate);
  g_assert_cmpint (g_array_index (results, MessengerStoreInsertResult, 2).id, ==,
                   g_array_index (results, MessengerStoreInsertResult, 1).id);
  g_clear_object (&result);

  for (i = 0; i < page_of->len; i++)
    {
      MessengerStoreMessage *message = g_ptr_array_index (page_of, i);

      g_free (message->stanza_id);
      message->stanza_id = g_strdup_printf ("b-%u", i);
    }
  g_clear_pointer (&((MessengerStoreMessage *) g_ptr_array_index (page_of, 2))->stanza_id_by, g_free);
  messenger_store_insert_messages_async (fixture->store, page_of, NULL, result_cb, &result);
  g_assert_null (messenger_store_insert_messages_finish (fixture->store, await (&result), &error));
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_INVALID);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 2);
}

/* Delivery states */

static gint64
insert_outgoing (Fixture    *fixture,
                 const char *origin_id,
                 const char *message_id,
                 gint64      time)
{
  g_autoptr(MessengerStoreMessage) message =
    message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_OUT, time, "outgoing");

  message->origin_id = g_strdup (origin_id);
  message->message_id = g_strdup (message_id);
  return insert (fixture->store, message, NULL);
}

static gint64
set_state_by_origin (Fixture                     *fixture,
                     const char                  *origin_id,
                     MessengerStoreDeliveryState  state)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 changed;

  messenger_store_set_delivery_state_by_origin_id_async (fixture->store, fixture->account, BOB, origin_id,
                                                         state, NULL, result_cb, &result);
  changed = messenger_store_set_delivery_state_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  return changed;
}

static void
test_store_delivery_states (Fixture       *fixture,
                            gconstpointer  data)
{
  MessengerStore *store = fixture->store;
  gint64 a = insert_outgoing (fixture, "o-a", "o-a", T0);
  gint64 b = insert_outgoing (fixture, "o-b", "stanza-b", T0 + 1);
  gint64 c = insert_outgoing (fixture, "o-c", NULL, T0 + 2);
  gint64 incoming = insert_simple (fixture, BOB, T0 + 3, "incoming");

  g_assert_cmpint (get_state (store, a), ==, MESSENGER_STORE_DELIVERY_PENDING);
  g_assert_cmpint (get_state (store, incoming), ==, MESSENGER_STORE_DELIVERY_DELIVERED);

  /* The forward chain, step by step. */
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_SENT), ==, a);
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_ACKED), ==, a);
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_DELIVERED), ==, a);
  g_assert_cmpint (get_state (store, a), ==, MESSENGER_STORE_DELIVERY_DELIVERED);

  /* Late and repeated events never move a message back. */
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_ACKED), ==, 0);
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_SENT), ==, 0);
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_FAILED), ==, 0);
  g_assert_cmpint (set_state (store, a, MESSENGER_STORE_DELIVERY_DELIVERED), ==, 0);
  g_assert_cmpint (get_state (store, a), ==, MESSENGER_STORE_DELIVERY_DELIVERED);

  /* A receipt before the stream-management ack: straight to delivered,
   * and the ack that follows is ignored.  The receipt names the id
   * attribute, which differs from the origin-id here. */
  g_assert_cmpint (set_state (store, b, MESSENGER_STORE_DELIVERY_SENT), ==, b);
  g_assert_cmpint (set_state_by_origin (fixture, "stanza-b", MESSENGER_STORE_DELIVERY_DELIVERED), ==, b);
  g_assert_cmpint (set_state_by_origin (fixture, "o-b", MESSENGER_STORE_DELIVERY_ACKED), ==, 0);
  g_assert_cmpint (get_state (store, b), ==, MESSENGER_STORE_DELIVERY_DELIVERED);

  /* Failure, retry, and a receipt that arrives after a failure after all. */
  g_assert_cmpint (set_state_by_origin (fixture, "o-c", MESSENGER_STORE_DELIVERY_FAILED), ==, c);
  g_assert_cmpint (set_state (store, c, MESSENGER_STORE_DELIVERY_SENT), ==, 0);
  g_assert_cmpint (set_state (store, c, MESSENGER_STORE_DELIVERY_PENDING), ==, c);
  g_assert_cmpint (set_state (store, c, MESSENGER_STORE_DELIVERY_FAILED), ==, c);
  g_assert_cmpint (set_state (store, c, MESSENGER_STORE_DELIVERY_DELIVERED), ==, c);

  /* Incoming messages and unknown ids have no delivery state to change. */
  g_assert_cmpint (set_state (store, incoming, MESSENGER_STORE_DELIVERY_FAILED), ==, 0);
  g_assert_cmpint (set_state (store, 12345, MESSENGER_STORE_DELIVERY_SENT), ==, 0);
  g_assert_cmpint (set_state_by_origin (fixture, "nobody", MESSENGER_STORE_DELIVERY_SENT), ==, 0);
}

static void
test_store_pending (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  gint64 other_account = add_account (fixture->store, "alice@example.net");
  gint64 sent, queued, acked, failed;

  /* Inserted out of time order: pending comes back in time order. */
  sent = insert_outgoing (fixture, "o-1", NULL, T0 + 20);
  queued = insert_outgoing (fixture, "o-2", NULL, T0 + 10);
  acked = insert_outgoing (fixture, "o-3", NULL, T0 + 30);
  failed = insert_outgoing (fixture, "o-4", NULL, T0 + 40);
  insert_simple (fixture, BOB, T0 + 50, "incoming");
  {
    g_autoptr(MessengerStoreMessage) message =
      message_new (other_account, BOB, MESSENGER_STORE_DIRECTION_OUT, T0, "other account");

    insert (fixture->store, message, NULL);
  }
  {
    g_autoptr(MessengerStoreMessage) message =
      message_new (fixture->account, CAROL, MESSENGER_STORE_DIRECTION_OUT, T0 + 25, "to Carol");

    insert (fixture->store, message, NULL);
  }

  set_state (fixture->store, sent, MESSENGER_STORE_DELIVERY_SENT);
  set_state (fixture->store, acked, MESSENGER_STORE_DELIVERY_ACKED);
  set_state (fixture->store, failed, MESSENGER_STORE_DELIVERY_FAILED);

  pending = messenger_store_list_pending (fixture->store, fixture->account, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 3);
  g_assert_cmpint (message_id_at (pending, 0), ==, queued);
  g_assert_cmpint (message_id_at (pending, 1), ==, sent);
  g_assert_cmpstr (((MessengerStoreMessage *) g_ptr_array_index (pending, 2))->peer, ==, CAROL);
  g_clear_pointer (&pending, g_ptr_array_unref);

  set_state (fixture->store, queued, MESSENGER_STORE_DELIVERY_ACKED);
  pending = messenger_store_list_pending (fixture->store, other_account, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = messenger_store_list_pending (fixture->store, fixture->account, &error);
  g_assert_cmpuint (pending->len, ==, 2);
}

/* Paging */

static GArray *
insert_many (Fixture    *fixture,
             const char *peer,
             guint       n,
             gint64      first_time,
             gint64      step)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GArray *results;
  guint i;

  for (i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_ptr_array_add (batch, message_new (fixture->account, peer, MESSENGER_STORE_DIRECTION_IN,
                                           first_time + i * step, body));
    }
  messenger_store_insert_messages_async (fixture->store, batch, NULL, result_cb, &result);
  results = messenger_store_insert_messages_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  return results;
}

/* Pages through the whole conversation in @direction, checking each page
 * continues the previous one; returns the ids in chronological order. */
static GArray *
walk (Fixture                     *fixture,
      const char                  *peer,
      const char                  *thread_id,
      MessengerStorePageDirection  direction,
      guint                        limit,
      guint                       *n_pages)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 anchor = 0;

  *n_pages = 0;
  for (;;)
    {
      g_autoptr(GPtrArray) messages = page (fixture, peer, thread_id, direction, anchor, limit);
      guint i;

      g_assert_cmpuint (messages->len, <=, limit);
      assert_ascending (messages);
      if (messages->len == 0)
        break;
      (*n_pages)++;

      if (direction == MESSENGER_STORE_PAGE_OLDER)
        {
          if (anchor != 0)
            g_assert_cmpint (message_id_at (messages, messages->len - 1), <, anchor);
          for (i = messages->len; i > 0; i--)
            {
              gint64 id = message_id_at (messages, i - 1);

              g_array_prepend_val (ids, id);
            }
          anchor = message_id_at (messages, 0);
        }
      else
        {
          if (anchor != 0)
            g_assert_cmpint (message_id_at (messages, 0), >, anchor);
          for (i = 0; i < messages->len; i++)
            {
              gint64 id = message_id_at (messages, i);

              g_array_append_val (ids, id);
            }
          anchor = message_id_at (messages, messages->len - 1);
        }
    }
  return ids;
}

static void
assert_same_ids (GArray *a,
                 GArray *b)
{
  guint i;

  g_assert_cmpuint (a->len, ==, b->len);
  for (i = 0; i < a->len; i++)
    g_assert_cmpint (g_array_index (a, gint64, i), ==, g_array_index (b, gint64, i));
}

static void
test_store_paging_edges (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GArray) inserted = insert_many (fixture, BOB, 250, T0, SECOND);
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) last = NULL;
  g_autoptr(GPtrArray) none = NULL;
  guint i, n_pages;

  for (i = 0; i < inserted->len; i++)
    g_array_append_val (expected, g_array_index (inserted, MessengerStoreInsertResult, i).id);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 250);

  /* The first page is the newest, in chronological order. */
  first = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 50);
  g_assert_cmpuint (first->len, ==, 50);
  g_assert_cmpint (message_id_at (first, 49), ==, g_array_index (expected, gint64, 249));
  g_assert_cmpint (message_id_at (first, 0), ==, g_array_index (expected, gint64, 200));
  g_assert_cmpstr (((MessengerStoreMessage *) g_ptr_array_index (first, 49))->body, ==, "message 249");

  /* An exact multiple: five full pages, then an empty one. */
  {
    g_autoptr(GArray) ids = walk (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 50, &n_pages);

    g_assert_cmpuint (n_pages, ==, 5);
    assert_same_ids (ids, expected);
  }
  {
    g_autoptr(GArray) ids = walk (fixture, BOB, NULL, MESSENGER_STORE_PAGE_NEWER, 50, &n_pages);

    g_assert_cmpuint (n_pages, ==, 5);
    assert_same_ids (ids, expected);
  }
  /* Not a multiple: the last page is short. */
  {
    g_autoptr(GArray) ids = walk (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 60, &n_pages);

    g_assert_cmpuint (n_pages, ==, 5);
    assert_same_ids (ids, expected);
  }
  /* One row a page, and one page for everything. */
  {
    g_autoptr(GArray) ids = walk (fixture, BOB, NULL, MESSENGER_STORE_PAGE_NEWER, 1, &n_pages);

    g_assert_cmpuint (n_pages, ==, 250);
    assert_same_ids (ids, expected);
  }
  {
    g_autoptr(GArray) ids = walk (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 1000, &n_pages);

    g_assert_cmpuint (n_pages, ==, 1);
    assert_same_ids (ids, expected);
  }

  /* The last page going back is the oldest. */
  last = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, g_array_index (expected, gint64, 10), 50);
  g_assert_cmpuint (last->len, ==, 10);
  g_assert_cmpint (message_id_at (last, 0), ==, g_array_index (expected, gint64, 0));

  /* Past either end, and unknown conversations or threads: empty. */
  none = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, g_array_index (expected, gint64, 0), 50);
  g_assert_cmpuint (none->len, ==, 0);
  g_clear_pointer (&none, g_ptr_array_unref);
  none = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_NEWER, g_array_index (expected, gint64, 249), 50);
  g_assert_cmpuint (none->len, ==, 0);
  g_clear_pointer (&none, g_ptr_array_unref);
  none = page (fixture, CAROL, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 50);
  g_assert_cmpuint (none->len, ==, 0);
  g_clear_pointer (&none, g_ptr_array_unref);
  none = page (fixture, BOB, "no-such-thread", MESSENGER_STORE_PAGE_OLDER, 0, 50);
  g_assert_cmpuint (none->len, ==, 0);
  g_clear_pointer (&none, g_ptr_array_unref);
  none = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 0);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (count (fixture, CAROL, NULL), ==, 0);
}

static void
test_store_paging_same_time (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GArray) inserted = NULL;
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) newest = NULL;
  guint i, n_pages;

  /* Offline messages often share one delay stamp (second resolution):
   * they keep their order of arrival, and paging neither skips nor
   * repeats any.  2,100 of them overflow one microsecond's 1,024 ids. */
  inserted = insert_many (fixture, BOB, 2100, T0, 0);
  for (i = 0; i < inserted->len; i++)
    g_array_append_val (expected, g_array_index (inserted, MessengerStoreInsertResult, i).id);

  {
    g_autoptr(GArray) ids = walk (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 50, &n_pages);

    g_assert_cmpuint (n_pages, ==, 42);
    assert_same_ids (ids, expected);
  }

  newest = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 1);
  g_assert_cmpstr (((MessengerStoreMessage *) g_ptr_array_index (newest, 0))->body, ==, "message 2099");
  g_assert_cmpint (((MessengerStoreMessage *) g_ptr_array_index (newest, 0))->time, <=, T0 + 2);
}

static void
test_store_paging_live_inserts (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GArray) old = insert_many (fixture, BOB, 120, T0, SECOND);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) newer = NULL;
  g_autoptr(GPtrArray) rest = NULL;
  g_autoptr(GArray) live = NULL;
  g_autoptr(GArray) backfill = NULL;
  gint64 oldest_shown, newest_shown;

  first = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 50);
  oldest_shown = message_id_at (first, 0);
  newest_shown = message_id_at (first, 49);

  /* New messages arrive while the history is open, and an archive
   * catch-up brings some older ones. */
  live = insert_many (fixture, BOB, 7, T0 + 1000 * SECOND, SECOND);
  backfill = insert_many (fixture, BOB, 5, T0 - 100 * SECOND, SECOND);

  /* Scrolling back continues exactly where the first page ended… */
  second = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, oldest_shown, 50);
  g_assert_cmpuint (second->len, ==, 50);
  g_assert_cmpint (message_id_at (second, 49), ==, g_array_index (old, MessengerStoreInsertResult, 69).id);

  /* …and scrolling forward from the newest shown finds only the live ones. */
  newer = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_NEWER, newest_shown, 50);
  g_assert_cmpuint (newer->len, ==, 7);
  g_assert_cmpint (message_id_at (newer, 0), ==, g_array_index (live, MessengerStoreInsertResult, 0).id);

  /* The backfilled messages come at the very end of the way back. */
  rest = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, message_id_at (second, 0), 50);
  g_assert_cmpuint (rest->len, ==, 25);
  g_assert_cmpint (message_id_at (rest, 0), ==, g_array_index (backfill, MessengerStoreInsertResult, 0).id);
  g_assert_cmpint (message_id_at (rest, 4), ==, g_array_index (backfill, MessengerStoreInsertResult, 4).id);
  g_assert_cmpint (message_id_at (rest, 5), ==, g_array_index (old, MessengerStoreInsertResult, 0).id);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 132);
}

static void
test_store_paging_around (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GArray) inserted = insert_many (fixture, BOB, 30, T0, SECOND);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) around = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gint64 middle = g_array_index (inserted, MessengerStoreInsertResult, 15).id;
  gint64 oldest = g_array_index (inserted, MessengerStoreInsertResult, 0).id;
  gint64 newest = g_array_index (inserted, MessengerStoreInsertResult, 29).id;

  around = messenger_store_load_messages_around (fixture->store, middle, NULL, 5, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (around->len, ==, 9);
  assert_ascending (around);
  g_assert_cmpint (message_id_at (around, 5), ==, middle);
  g_clear_pointer (&around, g_ptr_array_unref);

  around = messenger_store_load_messages_around (fixture->store, oldest, NULL, 5, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (around->len, ==, 4);
  g_assert_cmpint (message_id_at (around, 0), ==, oldest);
  g_clear_pointer (&around, g_ptr_array_unref);

  around = messenger_store_load_messages_around (fixture->store, newest, NULL, 5, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (around->len, ==, 6);
  g_assert_cmpint (message_id_at (around, 5), ==, newest);
  g_clear_pointer (&around, g_ptr_array_unref);

  around = messenger_store_load_messages_around (fixture->store, 42, NULL, 5, 3, &error);
  g_assert_error (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_NOT_FOUND);
  g_assert_null (around);
  g_clear_error (&error);

  /* The worker-thread variant gives the same page. */
  messenger_store_load_messages_async (fixture->store, fixture->account, BOB, NULL,
                                       MESSENGER_STORE_PAGE_OLDER, middle, 4, NULL, result_cb, &result);
  around = messenger_store_load_messages_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (around->len, ==, 4);
  g_assert_cmpint (message_id_at (around, 3), ==, g_array_index (inserted, MessengerStoreInsertResult, 14).id);
}

/* Threads */

static gint64
insert_threaded (Fixture    *fixture,
                 const char *peer,
                 const char *thread_id,
                 gint64      time,
                 const char *subject,
                 gboolean    incoming)
{
  g_autoptr(MessengerStoreMessage) message =
    message_new (fixture->account, peer,
                 incoming ? MESSENGER_STORE_DIRECTION_IN : MESSENGER_STORE_DIRECTION_OUT,
                 time, "threaded");

  message->thread_id = g_strdup (thread_id);
  message->subject = g_strdup (subject);
  if (g_strcmp0 (thread_id, "child") == 0)
    message->parent_thread_id = g_strdup ("lunch");
  return insert (fixture->store, message, NULL);
}

static MessengerStoreThread *
thread_at (GPtrArray *threads,
           guint      index)
{
  return g_ptr_array_index (threads, index);
}

static guint
mark_read (Fixture    *fixture,
           const char *peer,
           const char *thread_id,
           gint64      up_to)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint marked;

  messenger_store_mark_read_async (fixture->store, fixture->account, peer, thread_id, up_to,
                                   NULL, result_cb, &result);
  marked = messenger_store_mark_read_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  return marked;
}

static void
test_store_threads (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) threads = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  gint64 lunch_last;

  insert_threaded (fixture, BOB, "lunch", T0, "Lunch?", TRUE);
  insert_threaded (fixture, BOB, "trip", T0 + 10 * SECOND, "Trip", TRUE);
  lunch_last = insert_threaded (fixture, BOB, "lunch", T0 + 20 * SECOND, NULL, TRUE);
  insert_threaded (fixture, BOB, "trip", T0 + 5 * SECOND, "Old trip subject", FALSE);
  insert_threaded (fixture, BOB, "child", T0 + 15 * SECOND, NULL, TRUE);
  insert_threaded (fixture, BOB, "lunch", T0 + 30 * SECOND, "Dinner instead?", TRUE);
  insert_threaded (fixture, CAROL, "other", T0 + 25 * SECOND, NULL, TRUE);
  insert_simple (fixture, BOB, T0 + 1 * SECOND, "no thread");

  /* Most recently active first; a late, older message (MAM) neither moves
   * a thread nor takes over its subject. */
  threads = messenger_store_list_threads (fixture->store, fixture->account, BOB, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (threads->len, ==, 3);
  g_assert_cmpstr (thread_at (threads, 0)->thread_id, ==, "lunch");
  g_assert_cmpuint (thread_at (threads, 0)->message_count, ==, 3);
  g_assert_cmpstr (thread_at (threads, 0)->subject, ==, "Dinner instead?");
  g_assert_cmpint (thread_at (threads, 0)->first_time, ==, T0);
  g_assert_cmpint (thread_at (threads, 0)->last_time, ==, T0 + 30 * SECOND);
  g_assert_cmpuint (thread_at (threads, 0)->unread, ==, 3);
  g_assert_cmpstr (thread_at (threads, 1)->thread_id, ==, "child");
  g_assert_cmpstr (thread_at (threads, 1)->parent_thread_id, ==, "lunch");
  g_assert_cmpstr (thread_at (threads, 2)->thread_id, ==, "trip");
  g_assert_cmpstr (thread_at (threads, 2)->subject, ==, "Trip");
  g_assert_cmpint (thread_at (threads, 2)->first_time, ==, T0 + 5 * SECOND);
  g_assert_cmpuint (thread_at (threads, 2)->unread, ==, 1);
  g_clear_pointer (&threads, g_ptr_array_unref);

  /* Paging within a thread. */
  messages = page (fixture, BOB, "lunch", MESSENGER_STORE_PAGE_OLDER, 0, 2);
  g_assert_cmpuint (messages->len, ==, 2);
  g_assert_cmpint (message_id_at (messages, 0), ==, lunch_last);
  g_assert_cmpuint (count (fixture, BOB, "lunch"), ==, 3);
  g_assert_cmpuint (count (fixture, BOB, "trip"), ==, 2);
  g_assert_cmpuint (count (fixture, BOB, NULL), ==, 7);

  conversations = messenger_store_list_conversations (fixture->store, fixture->account, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conversations->len, ==, 2);
  g_assert_cmpstr (((MessengerStoreConversation *) g_ptr_array_index (conversations, 0))->peer, ==, BOB);
  g_assert_cmpuint (((MessengerStoreConversation *) g_ptr_array_index (conversations, 0))->unread, ==, 6);
  g_assert_cmpuint (((MessengerStoreConversation *) g_ptr_array_index (conversations, 0))->message_count, ==, 7);
  g_assert_cmpstr (((MessengerStoreConversation *) g_ptr_array_index (conversations, 1))->peer, ==, CAROL);
  g_clear_pointer (&conversations, g_ptr_array_unref);

  /* Read up to a point in one thread, then everything. */
  g_assert_cmpuint (mark_read (fixture, BOB, "lunch", lunch_last), ==, 2);
  threads = messenger_store_list_threads (fixture->store, fixture->account, BOB, &error);
  g_assert_cmpuint (thread_at (threads, 0)->unread, ==, 1);
  g_assert_cmpuint (thread_at (threads, 2)->unread, ==, 1);
  g_clear_pointer (&threads, g_ptr_array_unref);
  g_assert_cmpuint (mark_read (fixture, BOB, "lunch", lunch_last), ==, 0);

  g_assert_cmpuint (mark_read (fixture, BOB, NULL, 0), ==, 4);
  threads = messenger_store_list_threads (fixture->store, fixture->account, BOB, &error);
  g_assert_cmpuint (thread_at (threads, 0)->unread + thread_at (threads, 1)->unread
                    + thread_at (threads, 2)->unread, ==, 0);
  conversations = messenger_store_list_conversations (fixture->store, fixture->account, &error);
  g_assert_cmpuint (((MessengerStoreConversation *) g_ptr_array_index (conversations, 0))->unread, ==, 0);
  g_assert_cmpuint (((MessengerStoreConversation *) g_ptr_array_index (conversations, 1))->unread, ==, 1);
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = page (fixture, BOB, NULL, MESSENGER_STORE_PAGE_OLDER, 0, 50);
  g_assert_false (((MessengerStoreMessage *) g_ptr_array_index (messages, 6))->unread);

  g_assert_cmpuint (mark_read (fixture, "nobody@example.org", NULL, 0), ==, 0);
  g_assert_cmpuint (mark_read (fixture, BOB, "no-such-thread", 0), ==, 0);
}

/* Search */

static void
collect_token_cb (const char *token,
                  gsize       length,
                  gboolean    colocated,
                  gpointer    user_data)
{
  GString *out = user_data;

  if (out->len > 0)
    g_string_append_c (out, colocated ? '+' : ' ');
  g_string_append_len (out, token, length);
}

static char *
tokens (const char *text,
        gboolean    query)
{
  GString *out = g_string_new (NULL);

  _messenger_store_tokenize (text, query, collect_token_cb, out);
  return g_string_free (out, FALSE);
}

#define assert_tokens(text, query, expected)                    \
  G_STMT_START {                                                \
    g_autofree char *_got = tokens (text, query);               \
    g_assert_cmpstr (_got, ==, expected);                       \
  } G_STMT_END

static void
test_store_tokenizer (void)
{
  /* Spaced scripts: words, folded. */
  assert_tokens ("Hello, WORLD!", FALSE, "hello world");
  assert_tokens ("Café crème brûlée", FALSE, "cafe creme brulee");
  assert_tokens ("Ｆｕｌｌ-width ﬁne", FALSE, "full width fine");
  assert_tokens ("Привет, мир", FALSE, "привет мир");
  assert_tokens ("user@example.org/laptop", FALSE, "user example org laptop");

  /* Unspaced scripts: a unigram per character, its bigram at the same
   * position ('+'); queries: bigrams, then the last unigram. */
  assert_tokens ("中华人民", FALSE, "中+中华 华+华人 人+人民 民");
  assert_tokens ("中华人民", TRUE, "中华 华人 人民 民");
  assert_tokens ("中", TRUE, "中");
  assert_tokens ("中文", TRUE, "中文 文");
  assert_tokens ("我用Linux系统", FALSE, "我+我用 用 linux 系+系统 统");
  assert_tokens ("用Linux", TRUE, "用 linux");
  assert_tokens ("中华，人民", FALSE, "中+中华 华 人+人民 民");
  assert_tokens ("コーヒーを", FALSE, "コ+コー ー+ーヒ ヒ+ヒー ー+ーを を");
  assert_tokens ("ｶﾀｶﾅ", FALSE, "カ+カタ タ+タカ カ+カナ ナ");
  assert_tokens ("한국어", FALSE, "한+한국 국+국어 어");

  /* Nothing to index, and bytes that are not UTF-8. */
  assert_tokens ("... !!! ???", FALSE, "");
  assert_tokens ("a\xff" "b", FALSE, "a b");
}

static void
test_store_match_query (void)
{
  struct { const char *text; const char *query; } cases[] = {
    { "hello", "\"hello\" *" },
    { "hello wor", "\"hello\" \"wor\" *" },
    { "hello wo", "\"hello\" \"wo\"" },
    { "Caf", "\"Caf\" *" },
    { "  中文  ", "\"中文\"" },
    { "café 中", "\"café\" \"中\"" },
    { "中文abc", "\"中文abc\" *" },
    { "abc中文", "\"abc中文\"" },
    { "say \"hi\"", "\"say\" \"\"\"hi\"\"\"" },
    { "say \"hey\"", "\"say\" \"\"\"hey\"\"\" *" },
    { "a OR b", "\"a\" \"OR\" \"b\"" },
    { "NEAR(x yes)", "\"NEAR(x\" \"yes)\" *" },
    { "hello !!!", "\"hello\" *" },
    { "*", NULL },
    { "  - ! ", NULL },
    { "", NULL },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *query = _messenger_store_build_match_query (cases[i].text);

      g_assert_cmpstr (query, ==, cases[i].query);
    }
}

static const char * const corpus[] = {
  /* 0 */ "Hello world, this is Alice",
  /* 1 */ "The café opens at eight",
  /* 2 */ "我爱北京天安门",
  /* 3 */ "中华人民共和国成立了",
  /* 4 */ "我用Linux系统写代码",
  /* 5 */ "明天见",
  /* 6 */ "コーヒーを飲みます",
  /* 7 */ "Reading the manual: hello again",
  /* 8 */ "人民日报",
};

static void
test_store_search (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  gint64 other = add_account (fixture->store, "alice@example.net");
  gint64 ids[G_N_ELEMENTS (corpus)];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (corpus); i++)
    ids[i] = insert_simple (fixture, i % 2 == 0 ? BOB : CAROL, T0 + i * SECOND, corpus[i]);
  {
    g_autoptr(MessengerStoreMessage) message =
      message_new (other, BOB, MESSENGER_STORE_DIRECTION_IN, T0 + 100 * SECOND, "hello from the other account");

    insert (fixture->store, message, NULL);
  }
  {
    g_autoptr(MessengerStoreMessage) message =
      message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0 + 101 * SECOND, NULL);

    message->subject = g_strdup ("no body");
    insert (fixture->store, message, NULL);
  }

  /* English: words, case, diacritics, prefixes, all terms required. */
  g_assert_cmpuint (search_count (fixture->store, "hello"), ==, 3);
  g_assert_cmpuint (search_count (fixture->store, "HELLO world"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "cafe"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "Café"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "man"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "manu"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "manual"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "rea"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "ma"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "at"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "hello zebra"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "ello"), ==, 0);

  /* Chinese: one, two, three and more characters. */
  g_assert_cmpuint (search_count (fixture->store, "京"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "人"), ==, 2);
  g_assert_cmpuint (search_count (fixture->store, "北京"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "人民"), ==, 2);
  g_assert_cmpuint (search_count (fixture->store, "天安门"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "人民共和国"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "京天"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "门北"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "共和人民"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "北京 人民"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "华 国"), ==, 1);

  /* Mixed scripts, and Japanese. */
  g_assert_cmpuint (search_count (fixture->store, "linux"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "用Linux"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "Linux系统"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "我用Lin"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "我Linux"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "系统 代码"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "コーヒー"), ==, 1);
  g_assert_cmpuint (search_count (fixture->store, "飲み"), ==, 1);

  /* Query syntax is text, never an error. */
  g_assert_cmpuint (search_count (fixture->store, "\"hello"), ==, 3);
  g_assert_cmpuint (search_count (fixture->store, "hello OR zebra"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "NEAR(hello"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "body:"), ==, 0);
  g_assert_cmpuint (search_count (fixture->store, "* - ("), ==, 0);

  /* Newest first, scoped, and paged. */
  hits = search (fixture->store, 0, NULL, "hello");
  g_assert_cmpuint (hits->len, ==, 3);
  g_assert_cmpstr (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->message->body, ==,
                   "hello from the other account");
  g_assert_cmpint (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 1))->message->id, ==, ids[7]);
  g_assert_cmpint (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 2))->message->id, ==, ids[0]);
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = search (fixture->store, fixture->account, NULL, "hello");
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (fixture->store, fixture->account, CAROL, "hello");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->message->id, ==, ids[7]);
  g_assert_cmpstr (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->message->peer, ==, CAROL);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (fixture->store, fixture->account, "nobody@example.org", "hello");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = messenger_store_search (fixture->store, 0, NULL, "hello", 0, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  {
    g_autoptr(GPtrArray) next = messenger_store_search (fixture->store, 0, NULL, "hello",
                                                        ((MessengerStoreSearchHit *) g_ptr_array_index (hits, 1))->message->id,
                                                        2, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (next->len, ==, 1);
    g_assert_cmpint (((MessengerStoreSearchHit *) g_ptr_array_index (next, 0))->message->id, ==, ids[0]);
  }
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Snippets mark exactly the matched text. */
  hits = search (fixture->store, 0, NULL, "北京");
  g_assert_cmpstr (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->snippet, ==,
                   "我爱" MESSENGER_STORE_MATCH_START "北京" MESSENGER_STORE_MATCH_END "天安门");
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (fixture->store, 0, NULL, "cafe");
  g_assert_cmpstr (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->snippet, ==,
                   "The " MESSENGER_STORE_MATCH_START "café" MESSENGER_STORE_MATCH_END " opens at eight");
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (fixture->store, 0, NULL, "人");
  g_assert_cmpstr (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->snippet, ==,
                   MESSENGER_STORE_MATCH_START "人" MESSENGER_STORE_MATCH_END "民日报");
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* In a worker thread. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    messenger_store_search_async (fixture->store, 0, NULL, "天安门", 0, 10, NULL, result_cb, &result);
    hits = messenger_store_search_finish (fixture->store, await (&result), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 1);
    g_assert_cmpint (((MessengerStoreSearchHit *) g_ptr_array_index (hits, 0))->message->id, ==, ids[2]);
  }

  check_integrity (fixture->store);
}

/* The writer's page cache */

static int
writer_cache_used (MessengerStore *store)
{
  int used = 0, highwater = 0;

  sqlite3_db_status (store->writer->db, SQLITE_DBSTATUS_CACHE_USED, &used, &highwater, FALSE);
  return used;
}

static void
count_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  guint *pending = user_data;
  g_autoptr(GError) error = NULL;

  if (g_task_get_source_tag (G_TASK (result)) == messenger_store_insert_messages_async)
    g_array_unref (messenger_store_insert_messages_finish (MESSENGER_STORE (source), result, &error));
  else
    messenger_store_insert_message_finish (MESSENGER_STORE (source), result, NULL, &error);
  g_assert_no_error (error);
  (*pending)--;
}

static MessengerStoreMessage *
filler_message (Fixture *fixture,
                GRand   *rand,
                guint    n)
{
  static const char *const words[] = { "about", "tomorrow", "picture", "meeting", "garden", "train",
                                       "coffee", "weekend", "library", "message", "river", "window" };
  g_autoptr(GString) body = g_string_new (NULL);
  MessengerStoreMessage *message;

  while (body->len < 600)
    g_string_append_printf (body, "%s%u ", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                            g_rand_int_range (rand, 0, 100000));
  message = message_new (fixture->account, BOB, MESSENGER_STORE_DIRECTION_IN, T0 + n, body->str);
  message->origin_id = g_strdup_printf ("%08x-%u", g_rand_int (rand), n);
  message->stanza_id = g_strdup_printf ("%08x-%u", g_rand_int (rand), n);
  message->stanza_id_by = g_strdup (ALICE);
  return message;
}

/* A flood of live messages keeps the writer's cache within its live
 * ceiling (it would grow by a kilobyte a message); archive pages let it
 * grow; idle, the writer gives that back. */
static void
test_store_writer_cache (Fixture       *fixture,
                         gconstpointer  data)
{
  const int live_ceiling = _MESSENGER_STORE_LIVE_CACHE_KIB * 1024;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint pending = 0, n = 0;
  int highest = 0;
  gint64 deadline;

  /* 12,000 messages of 600 characters: some 25 MB of tables and indexes. */
  while (n < 12000)
    {
      g_autoptr(MessengerStoreMessage) message = filler_message (fixture, rand, n++);

      messenger_store_insert_message_async (fixture->store, message, NULL, count_done_cb, &pending);
      pending++;
      while (pending > 256)
        g_main_context_iteration (NULL, TRUE);
      if (n % 500 == 0)
        highest = MAX (highest, writer_cache_used (fixture->store));
    }
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);
  highest = MAX (highest, writer_cache_used (fixture->store));
  g_test_message ("live: the writer's cache peaked at %d KiB", highest / 1024);
  g_assert_cmpint (highest, >, live_ceiling / 2);
  g_assert_cmpint (highest, <=, live_ceiling + 256 * 1024);

  /* Archive pages of 100. */
  for (guint page = 0; page < 40; page++)
    {
      g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);

      for (guint i = 0; i < 100; i++)
        g_ptr_array_add (messages, filler_message (fixture, rand, n++));
      messenger_store_insert_messages_async (fixture->store, messages, NULL, count_done_cb, &pending);
      pending++;
    }
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);
  highest = writer_cache_used (fixture->store);
  g_test_message ("archive: the writer's cache holds %d KiB", highest / 1024);
  g_assert_cmpint (highest, >, 2 * live_ceiling);

  /* Idle for a second, the writer comes back to its live ceiling. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (writer_cache_used (fixture->store) > live_ceiling && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  g_assert_cmpint (writer_cache_used (fixture->store), <=, live_ceiling);
}

/* Archive catch-up */

static void
test_store_mam_state (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(MessengerStoreMamState) state = g_new0 (MessengerStoreMamState, 1);
  g_autoptr(MessengerStoreMamState) got = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  got = messenger_store_get_mam_state (fixture->store, fixture->account, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (got);

  state->account_id = fixture->account;
  state->last_id = g_strdup ("a-100");
  state->last_time = T0;
  messenger_store_set_mam_state_async (fixture->store, state, NULL, result_cb, &result);
  g_assert_true (messenger_store_set_mam_state_finish (fixture->store, await (&result), &error));
  g_clear_object (&result);

  state->archive = g_strdup ("room@muc.example.org");
  state->last_id = (g_free (state->last_id), g_strdup ("m-7"));
  state->oldest_id = g_strdup ("m-1");
  state->oldest_time = T0 - SECOND;
  state->complete = TRUE;
  messenger_store_set_mam_state_async (fixture->store, state, NULL, result_cb, &result);
  g_assert_true (messenger_store_set_mam_state_finish (fixture->store, await (&result), &error));
  g_clear_object (&result);

  got = messenger_store_get_mam_state (fixture->store, fixture->account, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->last_id, ==, "a-100");
  g_assert_cmpint (got->last_time, ==, T0);
  g_assert_null (got->archive);
  g_assert_null (got->oldest_id);
  g_assert_false (got->complete);
  g_clear_pointer (&got, messenger_store_mam_state_free);

  got = messenger_store_get_mam_state (fixture->store, fixture->account, "room@muc.example.org", &error);
  g_assert_cmpstr (got->archive, ==, "room@muc.example.org");
  g_assert_cmpstr (got->last_id, ==, "m-7");
  g_assert_cmpstr (got->oldest_id, ==, "m-1");
  g_assert_true (got->complete);
  g_clear_pointer (&got, messenger_store_mam_state_free);

  /* Catching up further replaces the state. */
  state->last_id = (g_free (state->last_id), g_strdup ("m-9"));
  messenger_store_set_mam_state_async (fixture->store, state, NULL, result_cb, &result);
  g_assert_true (messenger_store_set_mam_state_finish (fixture->store, await (&result), &error));
  got = messenger_store_get_mam_state (fixture->store, fixture->account, "room@muc.example.org", &error);
  g_assert_cmpstr (got->last_id, ==, "m-9");
}

/* Crash safety
 *
 * The child opens the store and inserts messages "crash-<round>-<n>"
 * through the writer, keeping a window of them in flight, and after each
 * completion writes to stdout how many messages, counted from the first,
 * have all completed (completions are per message, so it tracks the
 * unbroken prefix).  The parent kills it with SIGKILL at some point in the
 * burst, reads what the pipe still holds, and checks the database. */

#define CRASH_WINDOW 64

typedef struct
{
  MessengerStore *store;
  gint64          account;
  guint           round;
  guint           next;       /* the next message to queue */
  guint           committed;  /* all messages below this are committed */
  GArray         *done;       /* gboolean per message */
} CrashChild;

typedef struct
{
  CrashChild *child;
  guint       n;
} CrashInsert;

static void queue_crash_message (CrashChild *child);

static void
crash_inserted_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autofree CrashInsert *insert = user_data;
  CrashChild *child = insert->child;
  guint n = insert->n;
  g_autoptr(GError) error = NULL;
  char line[32];
  int length;

  messenger_store_insert_message_finish (child->store, result, NULL, &error);
  g_assert_no_error (error);

  g_array_index (child->done, gboolean, n) = TRUE;
  if (n != child->committed)
    return;
  while (child->committed < child->next && g_array_index (child->done, gboolean, child->committed))
    child->committed++;

  /* One write(2) a line: the parent reads whole lines even after the kill. */
  length = g_snprintf (line, sizeof line, "%u\n", child->committed);
  g_assert_cmpint (write (STDOUT_FILENO, line, length), ==, length);

  queue_crash_message (child);
}

static void
queue_crash_message (CrashChild *child)
{
  while (child->next < child->committed + CRASH_WINDOW)
    {
      g_autoptr(MessengerStoreMessage) message = NULL;
      g_autofree char *body = g_strdup_printf ("crash round %u message %u: the quick brown fox 狐狸",
                                               child->round, child->next);
      CrashInsert *insert = g_new0 (CrashInsert, 1);
      guint n = child->next++;

      message = message_new (child->account, n % 3 == 0 ? BOB : CAROL, MESSENGER_STORE_DIRECTION_IN,
                             T0 + (gint64) child->round * 1000000 * SECOND + n, body);
      message->origin_id = g_strdup_printf ("crash-%u-%u", child->round, n);
      message->thread_id = g_strdup_printf ("thread-%u", n % 7);
      g_array_set_size (child->done, child->next);
      insert->child = child;
      insert->n = n;
      messenger_store_insert_message_async (child->store, message, NULL, crash_inserted_cb, insert);
    }
}

static int
run_crash_child (const char *path,
                 guint       round)
{
  CrashChild child = { 0, };
  g_autoptr(GPtrArray) accounts = NULL;

  child.store = open_store (path);
  child.round = round;
  child.done = g_array_new (FALSE, TRUE, sizeof (gboolean));
  accounts = messenger_store_list_accounts (child.store, NULL);
  child.account = accounts->len > 0 ? ((MessengerStoreAccount *) g_ptr_array_index (accounts, 0))->id
                                    : add_account (child.store, ALICE);

  queue_crash_message (&child);
  for (;;)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}

static guint
read_committed (GDataInputStream *lines,
                guint             at_least,
                gboolean          until_end)
{
  guint committed = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        break;
      committed = MAX (committed, (guint) g_ascii_strtoull (line, NULL, 10));
      if (!until_end && committed >= at_least)
        break;
    }
  return committed;
}

static void
test_store_crash_safety (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "messenger.db", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const guint kill_after[] = { 300, 2000, 5000 };
  guint round, total = 0;

  g_assert_nonnull (self_exe);

  for (round = 0; round < G_N_ELEMENTS (kill_after); round++)
    {
      g_autofree char *round_arg = g_strdup_printf ("%u", round);
      g_autoptr(GSubprocess) child = NULL;
      g_autoptr(GDataInputStream) lines = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MessengerStore) store = NULL;
      guint committed, after_kill, n;

      child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                self_exe, "--crash-child", path, round_arg, NULL);
      g_assert_no_error (error);
      lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));

      committed = read_committed (lines, kill_after[round], FALSE);
      g_assert_cmpuint (committed, >=, kill_after[round]);
      g_subprocess_send_signal (child, SIGKILL);
      after_kill = read_committed (lines, 0, TRUE);
      committed = MAX (committed, after_kill);
      g_assert_true (g_subprocess_wait (child, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_signaled (child));
      g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);
      g_test_message ("round %u: killed after %u reported commits", round, committed);

      store = open_store (path);
      check_integrity (store);
      for (n = 0; n < committed; n++)
        {
          g_autofree char *origin_id = g_strdup_printf ("crash-%u-%u", round, n);
          g_autoptr(MessengerStoreMessage) message =
            messenger_store_find_message_by_origin_id (store, 1, n % 3 == 0 ? BOB : CAROL, origin_id, &error);

          g_assert_no_error (error);
          g_assert_cmpstr (message->origin_id, ==, origin_id);
        }

      /* Everything reported, perhaps a little more; and the index agrees. */
      total += committed;
      {
        Fixture view = { .store = store, .account = 1 };
        guint stored = count (&view, BOB, NULL) + count (&view, CAROL, NULL);
        g_autofree char *query = g_strdup_printf ("crash round %u", round);
        g_autoptr(GPtrArray) hits = messenger_store_search (store, 0, NULL, query, 0, G_MAXUINT, &error);

        g_assert_no_error (error);
        g_assert_cmpuint (stored, >=, total);
        g_assert_cmpuint (hits->len, >=, committed);
        total = stored;
      }
    }

  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "--crash-child"))
    return run_crash_child (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/open/wal", test_store_open_creates_wal_database);
  g_test_add_func ("/store/open/unwritable", test_store_open_reports_unwritable_location);
  g_test_add_func ("/store/open/newer-schema", test_store_open_refuses_newer_schema);
  g_test_add_func ("/store/open/garbage", test_store_open_refuses_garbage);
  g_test_add_func ("/store/open/async", test_store_open_async);
  g_test_add ("/store/close", Fixture, NULL, fixture_set_up, test_store_close, fixture_tear_down);
  g_test_add ("/store/cancel", Fixture, NULL, fixture_set_up, test_store_cancel, fixture_tear_down);
  g_test_add_func ("/store/migrations", test_store_migrations);
  g_test_add ("/store/accounts", Fixture, NULL, fixture_set_up, test_store_accounts, fixture_tear_down);
  g_test_add ("/store/roster", Fixture, NULL, fixture_set_up, test_store_roster, fixture_tear_down);
  g_test_add ("/store/dedup/carbon-mam-resend", Fixture, NULL,
              fixture_set_up, test_store_dedup_carbon_mam_resend, fixture_tear_down);
  g_test_add ("/store/dedup/own-message", Fixture, NULL,
              fixture_set_up, test_store_dedup_own_message, fixture_tear_down);
  g_test_add ("/store/dedup/without-origin-id", Fixture, NULL,
              fixture_set_up, test_store_dedup_without_origin_id, fixture_tear_down);
  g_test_add ("/store/dedup/one-page", Fixture, NULL,
              fixture_set_up, test_store_dedup_in_one_page, fixture_tear_down);
  g_test_add ("/store/delivery", Fixture, NULL, fixture_set_up, test_store_delivery_states, fixture_tear_down);
  g_test_add ("/store/pending", Fixture, NULL, fixture_set_up, test_store_pending, fixture_tear_down);
  g_test_add ("/store/paging/edges", Fixture, NULL, fixture_set_up, test_store_paging_edges, fixture_tear_down);
  g_test_add ("/store/paging/same-time", Fixture, NULL,
              fixture_set_up, test_store_paging_same_time, fixture_tear_down);
  g_test_add ("/store/paging/live-inserts", Fixture, NULL,
              fixture_set_up, test_store_paging_live_inserts, fixture_tear_down);
  g_test_add ("/store/paging/around", Fixture, NULL, fixture_set_up, test_store_paging_around, fixture_tear_down);
  g_test_add ("/store/threads", Fixture, NULL, fixture_set_up, test_store_threads, fixture_tear_down);
  g_test_add_func ("/store/search/tokenizer", test_store_tokenizer);
  g_test_add_func ("/store/search/query", test_store_match_query);
  g_test_add ("/store/search/messages", Fixture, NULL, fixture_set_up, test_store_search, fixture_tear_down);
  g_test_add ("/store/mam", Fixture, NULL, fixture_set_up, test_store_mam_state, fixture_tear_down);
  g_test_add ("/store/writer-cache", Fixture, NULL, fixture_set_up, test_store_writer_cache, fixture_tear_down);
  g_test_add_func ("/store/crash-safety", test_store_crash_safety);

  return g_test_run ();
}
