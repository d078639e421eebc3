/* test-models.c: the models (src/core) against the bundled server
 *
 * One story, in the order a person lives it:
 *
 *  1. online: Alice's roster arrives and is cached (a contact added with a
 *     roster set comes back as a push); a subscription request reaches
 *     the requests model and is approved; Bob's message arrives and is
 *     stored; Alice's reply is acknowledged by the server (the ping after
 *     it is answered);
 *  2. the server stops, and Alice's app "restarts": new account object,
 *     store reopened, new models, no network.  The cached roster, the
 *     conversation and its history show; a message sent now is stored
 *     pending;
 *  3. the server comes back: the pending message goes out and Bob gets it
 *     exactly once, also across one more reconnect.
 *
 * A second story, the extensions a person with two devices meets: receipts
 * and chat states between Alice and Bob, Alice's laptop seen through
 * carbons, and what happened while Alice's desk was offline fetched from
 * her archive — each message exactly once, also after a restart.
 *
 * The server is started as in test-account.c: messenger-server on a free
 * loopback port with its own data folder.
 */
#include "config.h"

#include <string.h>

#include "messenger-conversation-list.h"
#include "messenger-message-list.h"
#include "messenger-roster.h"
#include "messenger-subscription-requests.h"
#include "server-fixture.h"
#include "test-util.h"

#define ALICE TEST_ALICE
#define BOB   TEST_BOB

static TestServer srv;

static MessengerStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  MessengerStore *store = messenger_store_open (path, &error);

  g_assert_no_error (error);
  return store;
}

static gint64
add_store_account (MessengerStore *store,
                   const char     *jid)
{
  g_autoptr(MessengerStoreAccount) account = messenger_store_account_new (jid);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  messenger_store_add_account_async (store, account, NULL, test_result_cb, &result);
  id = messenger_store_add_account_finish (store, WAIT_RESULT (&result), &error);
  g_assert_no_error (error);
  return id;
}

/* Bob's side: counts what arrives, by body. */
typedef struct
{
  GHashTable *bodies;   /* body → count */
} Inbox;

static void
inbox_cb (MessengerAccount *account,
          XmppMessage      *message,
          Inbox            *inbox)
{
  const char *id = message->origin_id != NULL ? message->origin_id : message->id;

  if (message->body == NULL)
    return;
  /* Distinct messages: with XEP-0198 the server may deliver one again when
   * a session ends before its ack arrived (the store drops it by id). */
  if (id != NULL)
    {
      char *seen = g_strconcat ("\x01seen:", id, NULL);

      if (g_hash_table_contains (inbox->bodies, seen))
        {
          g_free (seen);
          return;
        }
      g_hash_table_insert (inbox->bodies, seen, GUINT_TO_POINTER (1));
    }
  g_hash_table_insert (inbox->bodies, g_strdup (message->body),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (inbox->bodies, message->body)) + 1));
}

static guint
inbox_count (Inbox      *inbox,
             const char *body)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (inbox->bodies, body));
}

static MessengerMessage *
find_message (GListModel *list,
              const char *body)
{
  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (list, i);

      if (g_strcmp0 (messenger_message_get_body (message), body) == 0)
        return message;   /* borrowed: the list holds it */
    }
  return NULL;
}

static gboolean
contact_named (MessengerRoster *roster,
               const char      *jid,
               const char      *name)
{
  MessengerContact *contact = messenger_roster_lookup (roster, jid);

  return contact != NULL && g_strcmp0 (messenger_contact_get_name (contact), name) == 0;
}

static void
roster_set_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (xmpp_roster_set_finish (XMPP_ROSTER (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
test_offline_first_and_resend (void)
{
  g_autofree char *store_dir = NULL;
  g_autofree char *store_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) alice_jid = xmpp_jid_new (ALICE, NULL);
  g_autoptr(XmppJid) bob_jid = xmpp_jid_new (BOB, NULL);
  g_autoptr(MessengerAccount) bob = test_server_new_account (&srv, BOB, "bob-pw");
  g_autoptr(MessengerSubscriptionRequests) bob_requests = messenger_subscription_requests_new (bob);
  MessengerStore *store;
  MessengerAccount *alice;
  MessengerRoster *roster;
  MessengerConversationList *conversations;
  MessengerSubscriptionRequests *requests;
  MessengerConversation *with_bob;
  MessengerMessageList *history;
  MessengerContact *bob_contact;
  Inbox inbox = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  gint64 account_id;
  const char *thread;

  store_dir = g_dir_make_tmp ("messenger-models-XXXXXX", &error);
  g_assert_no_error (error);
  store_path = g_build_filename (store_dir, "messenger.db", NULL);
  store = open_store (store_path);
  account_id = add_store_account (store, ALICE);

  g_signal_connect (bob, "message", G_CALLBACK (inbox_cb), &inbox);

  /* 1. Online. */
  alice = test_server_new_account (&srv, ALICE, "alice-pw");
  roster = messenger_roster_new (alice, store, account_id);
  conversations = messenger_conversation_list_new (alice, store, account_id, roster);
  requests = messenger_subscription_requests_new (alice);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 0);

  messenger_account_connect (alice);
  messenger_account_connect (bob);
  WAIT_UNTIL (messenger_account_get_state (alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (bob) == MESSENGER_ACCOUNT_ONLINE);

  /* A roster set comes back as a push, and into the model and the cache. */
  {
    g_autoptr(XmppRosterItem) item = xmpp_roster_item_new (bob_jid, "Bob", (const char *[]) { "Friends", NULL });
    gboolean done = FALSE;

    xmpp_roster_set_async (messenger_account_get_roster (alice), item, NULL, roster_set_cb, &done);
    WAIT_UNTIL (done && contact_named (roster, BOB, "Bob"));
  }

  /* Bob asks to see Alice's presence; she approves. */
  xmpp_presence_manager_send_type (messenger_account_get_presence (bob), alice_jid, XMPP_PRESENCE_SUBSCRIBE);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (requests)) == 1);
  {
    g_autoptr(MessengerSubscriptionRequest) request = g_list_model_get_item (G_LIST_MODEL (requests), 0);

    g_assert_cmpstr (messenger_subscription_request_get_jid (request), ==, BOB);
    g_assert_true (messenger_subscription_requests_approve (requests, request));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (requests)), ==, 0);
  }
  bob_contact = messenger_roster_lookup (roster, BOB);
  WAIT_UNTIL (messenger_contact_get_subscription (bob_contact) == MESSENGER_SUBSCRIPTION_FROM);

  /* And the other way: Alice asks, Bob approves, Bob's presence shows. */
  xmpp_presence_manager_send_type (messenger_account_get_presence (alice), bob_jid, XMPP_PRESENCE_SUBSCRIBE);
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (bob_requests)) == 1);
  {
    g_autoptr(MessengerSubscriptionRequest) request = g_list_model_get_item (G_LIST_MODEL (bob_requests), 0);

    g_assert_true (messenger_subscription_requests_approve (bob_requests, request));
  }
  WAIT_UNTIL (messenger_contact_get_subscription (bob_contact) == MESSENGER_SUBSCRIPTION_BOTH);
  WAIT_UNTIL (messenger_contact_get_online (bob_contact));
  g_assert_cmpstr (messenger_contact_get_subscription_description (bob_contact), ==, "You see each other");

  /* Bob writes; it is stored, then shown. */
  {
    g_autoptr(XmppMessage) message = xmpp_message_new (XMPP_MESSAGE_CHAT, alice_jid, "Hello from Bob");

    g_assert_true (messenger_account_send_message (bob, message));
  }
  WAIT_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (conversations)) == 1);
  with_bob = messenger_conversation_list_get_conversation (conversations, BOB);
  g_assert_cmpstr (messenger_conversation_get_display_name (with_bob), ==, "Bob");
  g_assert_cmpuint (messenger_contact_get_unread_count (bob_contact), ==, 1);
  /* No <thread>: the session's generated id. */
  thread = messenger_conversation_get_current_thread (with_bob);
  g_assert_true (thread != NULL && g_uuid_string_is_valid (thread));

  /* Alice replies: pending, sent, then acknowledged by the server. */
  history = messenger_message_list_new (with_bob, NULL);
  g_free (messenger_conversation_send (with_bob, "Hello Bob", NULL));
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "Hello Bob") != NULL);
  WAIT_UNTIL (messenger_message_get_state (find_message (G_LIST_MODEL (history), "Hello Bob"))
              == MESSENGER_DELIVERY_ACKED);
  WAIT_UNTIL (inbox_count (&inbox, "Hello Bob") == 1);
  test_store_flush (store);
  {
    g_autoptr(GPtrArray) pending = messenger_store_list_pending (store, account_id, NULL);

    g_assert_cmpuint (pending->len, ==, 0);
  }
  g_clear_object (&history);

  /* 2. The server goes away, and so does Alice's app. */
  test_server_stop (&srv);
  WAIT_UNTIL (messenger_account_get_state (alice) != MESSENGER_ACCOUNT_ONLINE);
  g_assert_false (messenger_contact_get_online (bob_contact));
  messenger_account_disconnect (alice);
  test_store_flush (store);
  g_object_unref (requests);
  g_object_unref (conversations);
  g_object_unref (roster);
  g_assert_finalize_object (alice);
  messenger_store_close (store);
  g_object_unref (store);

  /* The restart, with no network: everything from the cache. */
  store = open_store (store_path);
  alice = test_server_new_account (&srv, ALICE, "alice-pw");
  roster = messenger_roster_new (alice, store, account_id);
  conversations = messenger_conversation_list_new (alice, store, account_id, roster);

  g_assert_cmpint (messenger_account_get_state (alice), ==, MESSENGER_ACCOUNT_OFFLINE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 1);
  bob_contact = messenger_roster_lookup (roster, BOB);
  g_assert_nonnull (bob_contact);
  g_assert_cmpstr (messenger_contact_get_display_name (bob_contact), ==, "Bob");
  g_assert_cmpint (messenger_contact_get_subscription (bob_contact), ==, MESSENGER_SUBSCRIPTION_BOTH);
  g_assert_cmpstrv (messenger_contact_get_groups (bob_contact), ((const char *[]) { "Friends", NULL }));
  g_assert_cmpuint (g_list_model_get_n_items (messenger_roster_get_groups (roster)), ==, 1);
  g_assert_cmpuint (messenger_contact_get_unread_count (bob_contact), ==, 1);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (conversations)), ==, 1);
  with_bob = messenger_conversation_list_get_conversation (conversations, BOB);
  history = messenger_message_list_new (with_bob, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 2);
  g_assert_nonnull (find_message (G_LIST_MODEL (history), "Hello from Bob"));
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "Hello Bob")),
                   ==, MESSENGER_DELIVERY_ACKED);

  /* Sent while offline: stored and shown as pending. */
  g_free (messenger_conversation_send (with_bob, "Sent while offline", NULL));
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "Sent while offline") != NULL);
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "Sent while offline")),
                   ==, MESSENGER_DELIVERY_PENDING);
  messenger_account_connect (alice);
  test_run_for (300);
  g_assert_cmpint (messenger_account_get_state (alice), !=, MESSENGER_ACCOUNT_ONLINE);
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "Sent while offline")),
                   ==, MESSENGER_DELIVERY_PENDING);

  /* 3. The server is back: it goes out, once. */
  test_server_start (&srv, srv.port);
  WAIT_UNTIL (messenger_account_get_state (alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (bob) == MESSENGER_ACCOUNT_ONLINE);
  WAIT_UNTIL (messenger_message_get_state (find_message (G_LIST_MODEL (history), "Sent while offline"))
              == MESSENGER_DELIVERY_ACKED);
  WAIT_UNTIL (inbox_count (&inbox, "Sent while offline") == 1);
  WAIT_UNTIL (messenger_contact_get_online (bob_contact));

  /* One more reconnect: nothing acknowledged is sent again.  A message
   * sent after it arrives after anything resent before it would. */
  test_server_stop (&srv);
  WAIT_UNTIL (messenger_account_get_state (alice) != MESSENGER_ACCOUNT_ONLINE);
  test_server_start (&srv, srv.port);
  WAIT_UNTIL (messenger_account_get_state (alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (bob) == MESSENGER_ACCOUNT_ONLINE);
  g_free (messenger_conversation_send (with_bob, "After the second reconnect", NULL));
  WAIT_UNTIL (inbox_count (&inbox, "After the second reconnect") == 1);
  g_assert_cmpuint (inbox_count (&inbox, "Sent while offline"), ==, 1);
  g_assert_cmpuint (inbox_count (&inbox, "Hello Bob"), ==, 1);
  {
    g_autoptr(GPtrArray) pending = NULL;

    WAIT_UNTIL (messenger_message_get_state (find_message (G_LIST_MODEL (history), "After the second reconnect"))
                == MESSENGER_DELIVERY_ACKED);
    test_store_flush (store);
    pending = messenger_store_list_pending (store, account_id, NULL);
    g_assert_cmpuint (pending->len, ==, 0);
  }

  messenger_account_disconnect (alice);
  messenger_account_disconnect (bob);
  g_object_unref (history);
  g_object_unref (conversations);
  g_object_unref (roster);
  g_assert_finalize_object (alice);
  messenger_store_close (store);
  g_object_unref (store);
  g_hash_table_unref (inbox.bodies);

  test_remove_tree (store_dir);
}

/* How many stored rows in the conversation with @peer have @body; a copy
 * of the first one found goes to @first, if given. */
static guint
find_stored (MessengerStore         *store,
             gint64                  account_id,
             const char             *peer,
             const char             *body,
             MessengerStoreMessage **first)
{
  g_autoptr(GPtrArray) rows = messenger_store_load_messages (store, account_id, peer, NULL,
                                                             MESSENGER_STORE_PAGE_OLDER, 0, 1000, NULL);
  guint n = 0;

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      MessengerStoreMessage *row = rows->pdata[i];

      if (g_strcmp0 (row->body, body) != 0)
        continue;
      if (n++ == 0 && first != NULL)
        *first = messenger_store_message_copy (row);
    }
  return n;
}

static guint
count_stored (MessengerStore *store,
              gint64          account_id,
              const char     *peer,
              const char     *body)
{
  return find_stored (store, account_id, peer, body, NULL);
}

static MessengerStoreMessage *
stored (MessengerStore *store,
        gint64          account_id,
        const char     *peer,
        const char     *body)
{
  MessengerStoreMessage *row = NULL;

  find_stored (store, account_id, peer, body, &row);
  return row;
}

static void
send_text (MessengerAccount *from,
           const char       *to,
           const char       *body)
{
  g_autoptr(XmppJid) jid = xmpp_jid_new (to, NULL);
  g_autoptr(XmppMessage) message = xmpp_message_new (XMPP_MESSAGE_CHAT, jid, body);

  g_assert_true (messenger_account_send_message (from, message));
}

static void
test_two_devices_and_archive (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *alice_path = NULL;
  g_autofree char *bob_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerAccount) laptop = test_server_new_account (&srv, ALICE, "alice-pw");
  g_autoptr(MessengerAccount) bob = test_server_new_account (&srv, BOB, "bob-pw");
  g_autoptr(MessengerStore) bob_store = NULL;
  g_autoptr(MessengerConversationList) bob_conversations = NULL;
  g_autoptr(MessengerMessageList) history = NULL;
  g_autoptr(MessengerStoreMessage) row = NULL;
  g_autoptr(MessengerStoreMamState) state = NULL;
  MessengerConversation *with_alice;
  MessengerConversation *with_bob;
  MessengerStore *store;
  MessengerAccount *desk;
  MessengerConversationList *conversations;
  gint64 account_id, bob_id;
  g_autofree char *first = NULL;
  const char * const away[] = { "while away 1", "while away 2", "while away 3" };

  dir = g_dir_make_tmp ("messenger-devices-XXXXXX", &error);
  g_assert_no_error (error);
  alice_path = g_build_filename (dir, "alice.db", NULL);
  bob_path = g_build_filename (dir, "bob.db", NULL);
  store = open_store (alice_path);
  account_id = add_store_account (store, ALICE);
  bob_store = open_store (bob_path);
  bob_id = add_store_account (bob_store, BOB);

  /* Alice's desk (the models), her laptop, and Bob (models too, so his
   * client answers receipts). */
  desk = test_server_new_account (&srv, ALICE, "alice-pw");
  messenger_account_set_resource (desk, "desk");
  messenger_account_set_resource (laptop, "laptop");
  conversations = messenger_conversation_list_new (desk, store, account_id, NULL);
  bob_conversations = messenger_conversation_list_new (bob, bob_store, bob_id, NULL);
  messenger_account_connect (desk);
  messenger_account_connect (laptop);
  messenger_account_connect (bob);
  WAIT_UNTIL (messenger_account_get_state (desk) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (laptop) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (bob) == MESSENGER_ACCOUNT_ONLINE);
  g_assert_true (messenger_account_has_archive (desk));
  g_assert_true (messenger_account_has_carbons (desk));
  /* The first catch-up of this store: the archive's newest page. */
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (conversations));

  /* Receipts: Bob's client stores Alice's message, then confirms it. */
  with_bob = messenger_conversation_list_get_conversation (conversations, BOB);
  history = messenger_message_list_new (with_bob, NULL);
  first = messenger_conversation_send (with_bob, "Are you there?", NULL);
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "Are you there?") != NULL
              && messenger_message_get_state (find_message (G_LIST_MODEL (history), "Are you there?"))
                 == MESSENGER_DELIVERY_DELIVERED);
  test_store_flush (bob_store);
  g_assert_cmpuint (count_stored (bob_store, bob_id, ALICE, "Are you there?"), ==, 1);

  /* Chat states: Bob types, Alice's desk sees it; his message ends it. */
  with_alice = messenger_conversation_list_get_conversation (bob_conversations, ALICE);
  messenger_conversation_set_composing (with_alice, TRUE);
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_COMPOSING);
  g_free (messenger_conversation_send (with_alice, "Yes, here", NULL));
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "Yes, here") != NULL);
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_ACTIVE);

  /* Carbons: what the laptop writes, and what Bob writes to the laptop,
   * reach the desk's history. */
  send_text (laptop, BOB, "Typed on the laptop");
  send_text (bob, ALICE "/laptop", "Only to the laptop");
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "Typed on the laptop") != NULL
              && find_message (G_LIST_MODEL (history), "Only to the laptop") != NULL);
  g_assert_true (messenger_message_get_outgoing (find_message (G_LIST_MODEL (history), "Typed on the laptop")));
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "Typed on the laptop")),
                   ==, MESSENGER_DELIVERY_ACKED);
  g_assert_false (messenger_message_get_outgoing (find_message (G_LIST_MODEL (history), "Only to the laptop")));

  /* The desk goes offline; the laptop and Bob go on talking. */
  messenger_account_disconnect (desk);
  for (guint i = 0; i < G_N_ELEMENTS (away); i++)
    send_text (bob, ALICE, away[i]);
  send_text (laptop, BOB, "Laptop while the desk was off");
  WAIT_UNTIL (count_stored (bob_store, bob_id, ALICE, "Laptop while the desk was off") == 1);
  test_run_for (200);

  /* Back: the archive fills the gap, each message once. */
  messenger_account_connect (desk);
  WAIT_UNTIL (messenger_account_get_state (desk) == MESSENGER_ACCOUNT_ONLINE);
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (conversations));
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "while away 3") != NULL);
  test_store_flush (store);
  for (guint i = 0; i < G_N_ELEMENTS (away); i++)
    {
      g_autoptr(MessengerStoreMessage) message = stored (store, account_id, BOB, away[i]);

      g_assert_nonnull (message);
      g_assert_cmpint (message->direction, ==, MESSENGER_STORE_DIRECTION_IN);
      g_assert_true (message->unread);
      g_assert_cmpstr (message->stanza_id_by, ==, ALICE);
      g_assert_cmpuint (count_stored (store, account_id, BOB, away[i]), ==, 1);
    }
  row = stored (store, account_id, BOB, "Laptop while the desk was off");
  g_assert_nonnull (row);
  g_assert_cmpint (row->direction, ==, MESSENGER_STORE_DIRECTION_OUT);
  g_clear_pointer (&row, messenger_store_message_free);
  /* What arrived live (or as a carbon) is not there twice. */
  g_assert_cmpuint (count_stored (store, account_id, BOB, "Are you there?"), ==, 1);
  g_assert_cmpuint (count_stored (store, account_id, BOB, "Yes, here"), ==, 1);
  g_assert_cmpuint (count_stored (store, account_id, BOB, "Typed on the laptop"), ==, 1);
  g_assert_cmpuint (count_stored (store, account_id, BOB, "Only to the laptop"), ==, 1);
  /* And Alice's own message kept its receipt. */
  row = stored (store, account_id, BOB, "Are you there?");
  g_assert_cmpint (row->state, ==, MESSENGER_STORE_DELIVERY_DELIVERED);
  g_clear_pointer (&row, messenger_store_message_free);
  state = messenger_store_get_mam_state (store, account_id, NULL, NULL);
  g_assert_nonnull (state);
  g_assert_nonnull (state->last_id);

  /* A restart of Alice's desk: new models on the reopened store. */
  g_clear_object (&history);
  messenger_account_disconnect (desk);
  test_store_flush (store);
  g_object_unref (conversations);
  g_assert_finalize_object (desk);
  messenger_store_close (store);
  g_object_unref (store);
  store = open_store (alice_path);
  desk = test_server_new_account (&srv, ALICE, "alice-pw");
  messenger_account_set_resource (desk, "desk");
  conversations = messenger_conversation_list_new (desk, store, account_id, NULL);
  send_text (bob, ALICE, "After the restart");
  test_run_for (200);
  messenger_account_connect (desk);
  WAIT_UNTIL (messenger_account_get_state (desk) == MESSENGER_ACCOUNT_ONLINE);
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (conversations));
  test_store_flush (store);
  g_assert_cmpuint (count_stored (store, account_id, BOB, "After the restart"), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (away); i++)
    g_assert_cmpuint (count_stored (store, account_id, BOB, away[i]), ==, 1);
  g_assert_cmpuint (count_stored (store, account_id, BOB, "Laptop while the desk was off"), ==, 1);
  g_assert_cmpuint (count_stored (store, account_id, BOB, "Typed on the laptop"), ==, 1);

  messenger_account_disconnect (desk);
  messenger_account_disconnect (laptop);
  messenger_account_disconnect (bob);
  test_store_flush (store);
  test_store_flush (bob_store);
  g_object_unref (conversations);
  g_assert_finalize_object (desk);
  g_clear_object (&bob_conversations);
  messenger_store_close (store);
  g_object_unref (store);
  messenger_store_close (bob_store);
  test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  g_test_add_func ("/models/offline-first-and-resend", test_offline_first_and_resend);
  g_test_add_func ("/models/two-devices-and-archive", test_two_devices_and_archive);

  return test_server_run (&srv, "messenger-models-server-XXXXXX");
}
