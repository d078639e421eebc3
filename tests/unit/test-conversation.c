/* test-conversation.c: conversations, their list, threads, and search
 *
 * Incoming messages are faked by emitting the account's "message" signal;
 * the account stays offline, so sent messages stay pending (going out is
 * tested against the server in tests/integration/test-models.c).  Every
 * list model is watched by a ModelChecker.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "messenger-conversation-list.h"
#include "messenger-message-list.h"
#include "messenger-search.h"
#include "messenger-thread.h"
#include "model-checker.h"
#include "model-fixture.h"

#define T0 ((gint64) 1700000000 * G_USEC_PER_SEC)

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static gpointer
item_at (GListModel *model,
         guint       position)
{
  g_autoptr(GObject) item = g_list_model_get_item (model, position);

  return item;  /* borrowed: the model holds it */
}

typedef struct
{
  GPtrArray *messages;   /* MessengerStoreMessage copies */
} Added;

static void
added_cb (MessengerConversation       *conversation,
          const MessengerStoreMessage *message,
          Added                       *added)
{
  g_ptr_array_add (added->messages, messenger_store_message_copy (message));
}

static void
added_init (Added                 *added,
            MessengerConversation *conversation)
{
  added->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);
  g_signal_connect (conversation, "message-added", G_CALLBACK (added_cb), added);
}

static void
added_clear (Added                 *added,
             MessengerConversation *conversation)
{
  g_signal_handlers_disconnect_by_data (conversation, added);
  g_ptr_array_unref (added->messages);
}

static const MessengerStoreMessage *
added_last (Added *added)
{
  g_assert_cmpuint (added->messages->len, >, 0);
  return added->messages->pdata[added->messages->len - 1];
}

static void
receive (ModelFixture *fixture,
         const char   *from,
         const char   *body,
         const char   *thread,
         const char   *origin_id)
{
  g_autoptr(XmppMessage) message = model_fixture_message (from, body, thread, origin_id);

  g_signal_emit_by_name (fixture->account, "message", message);
}

static guint
count_stored (ModelFixture *fixture,
              const char   *peer,
              const char   *thread_id)
{
  g_autoptr(GError) error = NULL;
  guint n = messenger_store_count_messages (fixture->store, fixture->account_id, peer, thread_id, &error);

  g_assert_no_error (error);
  return n;
}

/* An incoming message reaches the models only once it is committed. */
static void
test_incoming_committed_first (ModelFixture  *fixture,
                               gconstpointer  data)
{
  g_autoptr(MessengerConversationList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  MessengerConversation *bob;
  Added added;

  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, NULL);
  checker = model_checker_new (G_LIST_MODEL (list));
  bob = messenger_conversation_list_get_conversation (list, BOB);
  added_init (&added, bob);

  /* Made on demand, but not listed before it has a message. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_true (messenger_conversation_list_get_conversation (list, "Bob@Example.org/phone") == bob);
  g_assert_null (messenger_conversation_list_get_conversation (list, "not a jid@@"));

  receive (fixture, BOB "/phone", "Hello Alice", "t1", "o-1");
  /* Not yet committed: nothing shows, nothing counts. */
  g_assert_cmpuint (added.messages->len, ==, 0);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  model_fixture_flush (fixture);
  g_assert_cmpuint (added.messages->len, ==, 1);
  g_assert_cmpint (added_last (&added)->id, >, 0);
  g_assert_cmpstr (added_last (&added)->body, ==, "Hello Alice");
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 1);
  g_assert_cmpint (messenger_conversation_get_last_activity (bob), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);

  /* It is in the store, under its thread, unread. */
  stored = messenger_store_load_messages (fixture->store, fixture->account_id, BOB, NULL,
                                          MESSENGER_STORE_PAGE_OLDER, 0, 10, NULL);
  g_assert_cmpuint (stored->len, ==, 1);
  g_assert_cmpstr (((MessengerStoreMessage *) stored->pdata[0])->thread_id, ==, "t1");
  g_assert_true (((MessengerStoreMessage *) stored->pdata[0])->unread);
  g_assert_cmpint (((MessengerStoreMessage *) stored->pdata[0])->direction, ==, MESSENGER_STORE_DIRECTION_IN);

  /* Chat states and other empty messages are not kept. */
  receive (fixture, BOB, NULL, NULL, "o-2");
  model_fixture_flush (fixture);
  g_assert_cmpuint (added.messages->len, ==, 1);

  added_clear (&added, bob);
}

/* RFC 6121 §5.2.5: thread-less messages share the session's generated
 * id; replies keep the thread; new_thread() starts another. */
static void
test_thread_ids (ModelFixture  *fixture,
                 gconstpointer  data)
{
  g_autoptr(MessengerConversationList) list = NULL;
  g_autofree char *session = NULL;
  g_autofree char *origin = NULL;
  MessengerConversation *bob;
  const char *topic, *sub;
  Added added;
  guint notifications = 0;

  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, NULL);
  bob = messenger_conversation_list_get_conversation (list, BOB);
  added_init (&added, bob);
  g_signal_connect (bob, "notify::current-thread", G_CALLBACK (count_notify_cb), &notifications);
  g_assert_null (messenger_conversation_get_current_thread (bob));

  /* Two messages without <thread>: one generated id for both. */
  receive (fixture, BOB, "no thread 1", NULL, "a");
  receive (fixture, BOB, "no thread 2", NULL, "b");
  model_fixture_flush (fixture);
  g_assert_cmpuint (added.messages->len, ==, 2);
  session = g_strdup (((MessengerStoreMessage *) added.messages->pdata[0])->thread_id);
  g_assert_nonnull (session);
  g_assert_true (g_uuid_string_is_valid (session));
  g_assert_cmpstr (((MessengerStoreMessage *) added.messages->pdata[1])->thread_id, ==, session);
  g_assert_cmpstr (messenger_conversation_get_current_thread (bob), ==, session);

  /* A reply without a thread given goes to the current (session) thread. */
  g_free (messenger_conversation_send (bob, "reply", NULL));
  model_fixture_flush (fixture);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, session);

  /* A message naming a thread: stored there, and the reply follows it. */
  receive (fixture, BOB, "about the trip", "trip", "c");
  model_fixture_flush (fixture);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, "trip");
  g_assert_cmpstr (messenger_conversation_get_current_thread (bob), ==, "trip");
  origin = messenger_conversation_send (bob, "yes", NULL);
  g_assert_true (g_uuid_string_is_valid (origin));
  model_fixture_flush (fixture);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, "trip");
  g_assert_cmpstr (added_last (&added)->origin_id, ==, origin);

  /* A thread-less message still joins the session thread. */
  receive (fixture, BOB, "no thread 3", NULL, "d");
  model_fixture_flush (fixture);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, session);

  /* A reply to an explicit thread keeps it, whatever is current. */
  g_free (messenger_conversation_send (bob, "back to the trip", "trip"));
  model_fixture_flush (fixture);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, "trip");

  /* A new topic: a fresh id, current and the session's from now on. */
  topic = messenger_conversation_new_thread (bob, NULL);
  g_assert_nonnull (topic);
  g_assert_cmpstr (topic, !=, session);
  g_assert_cmpstr (messenger_conversation_get_current_thread (bob), ==, topic);
  g_free (messenger_conversation_send (bob, "new topic", NULL));
  receive (fixture, BOB, "answer without thread", NULL, "e");
  model_fixture_flush (fixture);
  g_assert_cmpstr (((MessengerStoreMessage *) added.messages->pdata[added.messages->len - 2])->thread_id, ==, topic);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, topic);

  /* A sub-thread records its parent. */
  sub = messenger_conversation_new_thread (bob, "trip");
  g_free (messenger_conversation_send (bob, "detail", NULL));
  model_fixture_flush (fixture);
  g_assert_cmpstr (added_last (&added)->thread_id, ==, sub);
  g_assert_cmpstr (added_last (&added)->parent_thread_id, ==, "trip");

  g_assert_cmpuint (count_stored (fixture, BOB, session), ==, 4);
  g_assert_cmpuint (count_stored (fixture, BOB, "trip"), ==, 3);
  g_assert_cmpuint (notifications, >=, 5);

  added_clear (&added, bob);
}

/* The same message received twice — the peer resent it after its
 * reconnect — is stored and shown once. */
static void
test_resend_deduplicated (ModelFixture  *fixture,
                          gconstpointer  data)
{
  g_autoptr(MessengerConversationList) list = NULL;
  g_autoptr(MessengerMessageList) messages = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(XmppMessage) no_origin = NULL;
  MessengerConversation *bob;
  Added added;

  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, NULL);
  bob = messenger_conversation_list_get_conversation (list, BOB);
  added_init (&added, bob);
  messages = messenger_message_list_new (bob, NULL);
  checker = model_checker_new (G_LIST_MODEL (messages));

  receive (fixture, BOB, "only once", "t", "same-origin");
  model_fixture_flush (fixture);
  receive (fixture, BOB, "only once", "t", "same-origin");
  model_fixture_flush (fixture);
  /* Even without a thread (a new session id would not matter). */
  receive (fixture, BOB "/other", "only once", NULL, "same-origin");
  model_fixture_flush (fixture);

  g_assert_cmpuint (added.messages->len, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 1);
  g_assert_cmpuint (count_stored (fixture, BOB, NULL), ==, 1);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 1);

  /* A client without origin-ids: the same id attribute and body. */
  no_origin = model_fixture_message (BOB, "plain", "t", NULL);
  no_origin->id = g_strdup ("msg-7");
  g_signal_emit_by_name (fixture->account, "message", no_origin);
  g_signal_emit_by_name (fixture->account, "message", no_origin);
  model_fixture_flush (fixture);
  g_assert_cmpuint (added.messages->len, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 2);

  added_clear (&added, bob);
}

/* Offline, a sent message is stored pending and shown, and waits. */
static void
test_send_offline (ModelFixture  *fixture,
                   gconstpointer  data)
{
  g_autoptr(MessengerConversationList) list = NULL;
  g_autoptr(MessengerMessageList) messages = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(ModelChecker) list_checker = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(MessengerMessage) shown = NULL;
  g_autoptr(XmppMessage) bounce = NULL;
  g_autofree char *origin = NULL;
  MessengerConversation *bob;
  guint state_notifies = 0;

  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, NULL);
  list_checker = model_checker_new (G_LIST_MODEL (list));
  bob = messenger_conversation_list_get_conversation (list, BOB);
  messages = messenger_message_list_new (bob, NULL);
  checker = model_checker_new (G_LIST_MODEL (messages));

  origin = messenger_conversation_send (bob, "are you there?", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 0);
  model_fixture_flush (fixture);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  shown = g_list_model_get_item (G_LIST_MODEL (messages), 0);
  g_assert_true (messenger_message_get_outgoing (shown));
  g_assert_cmpint (messenger_message_get_state (shown), ==, MESSENGER_DELIVERY_PENDING);
  g_assert_cmpstr (messenger_message_get_origin_id (shown), ==, origin);
  g_assert_cmpstr (messenger_message_get_sender_name (shown), ==, "You");
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 0);

  pending = messenger_store_list_pending (fixture->store, fixture->account_id, NULL);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((MessengerStoreMessage *) pending->pdata[0])->origin_id, ==, origin);

  /* An error reply naming it marks it failed, and the row notifies. */
  g_signal_connect (shown, "notify::state", G_CALLBACK (count_notify_cb), &state_notifies);
  bounce = model_fixture_message (BOB, NULL, NULL, NULL);
  bounce->type = XMPP_MESSAGE_ERROR;
  bounce->id = g_strdup (origin);
  g_signal_emit_by_name (fixture->account, "message", bounce);
  model_fixture_flush (fixture);
  g_assert_cmpint (messenger_message_get_state (shown), ==, MESSENGER_DELIVERY_FAILED);
  g_assert_cmpuint (state_notifies, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (messages)), ==, 1);
}

/* From the cache, most recent first; activity moves a conversation up;
 * unread counts reach the contact and go with mark_read(). */
static void
test_list_order_and_unread (ModelFixture  *fixture,
                            gconstpointer  data)
{
  g_autoptr(MessengerRoster) roster = NULL;
  g_autoptr(MessengerConversationList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(MessengerConversation) first = NULL;
  g_autoptr(XmppRosterItem) carol_item = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  MessengerConversation *bob, *carol;
  MessengerContact *carol_contact;
  guint unread_notifies = 0, name_notifies = 0;

  model_fixture_add_history (fixture, BOB, "b", 3, T0);
  model_fixture_add_history (fixture, CAROL, "c", 3, T0 + 100 * G_USEC_PER_SEC);
  model_fixture_add_history (fixture, DAVE, "d", 1, T0 + 50 * G_USEC_PER_SEC);

  roster = messenger_roster_new (fixture->account, fixture->store, fixture->account_id);
  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, roster);
  checker = model_checker_new (G_LIST_MODEL (list));

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (messenger_conversation_get_peer (first), ==, CAROL);
  carol = first;
  bob = messenger_conversation_list_get_conversation (list, BOB);
  g_assert_true (item_at (G_LIST_MODEL (list), 2) == bob);
  /* The cached counts: history messages 0 and 2 are incoming (unread). */
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 2);
  g_assert_cmpstr (messenger_conversation_get_display_name (carol), ==, CAROL);
  g_assert_null (messenger_conversation_get_contact (carol));

  /* Carol joins the roster: her conversation gets the contact, its name
   * and its unread count. */
  g_signal_connect (carol, "notify::display-name", G_CALLBACK (count_notify_cb), &name_notifies);
  carol_item = model_fixture_roster_item (CAROL, "Carol", XMPP_SUBSCRIPTION_BOTH, NULL);
  g_ptr_array_add (items, xmpp_roster_item_copy (carol_item));
  g_signal_emit_by_name (fixture->account, "roster-received", items, "1", FALSE);
  carol_contact = messenger_roster_lookup (roster, CAROL);
  g_assert_true (messenger_conversation_get_contact (carol) == carol_contact);
  g_assert_cmpstr (messenger_conversation_get_display_name (carol), ==, "Carol");
  g_assert_cmpuint (messenger_contact_get_unread_count (carol_contact), ==, 2);
  g_assert_cmpuint (name_notifies, >=, 1);

  /* Bob writes: his conversation moves to the top. */
  g_signal_connect (bob, "notify::unread-count", G_CALLBACK (count_notify_cb), &unread_notifies);
  model_checker_reset_counts (checker);
  receive (fixture, BOB, "news", "b", "n-1");
  model_fixture_flush (fixture);
  g_assert_true (item_at (G_LIST_MODEL (list), 0) == bob);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 2);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 3);
  g_assert_cmpuint (unread_notifies, ==, 1);

  /* Again: already at the top, no change. */
  model_checker_reset_counts (checker);
  receive (fixture, BOB, "more news", "b", "n-2");
  model_fixture_flush (fixture);
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 0);

  /* Carol writes: the contact's count follows the conversation's. */
  receive (fixture, CAROL, "hi", "c", "c-1");
  model_fixture_flush (fixture);
  g_assert_cmpuint (messenger_contact_get_unread_count (carol_contact), ==, 3);
  messenger_conversation_mark_read (carol, NULL, 0);
  model_fixture_flush (fixture);
  g_assert_cmpuint (messenger_conversation_get_unread_count (carol), ==, 0);
  g_assert_cmpuint (messenger_contact_get_unread_count (carol_contact), ==, 0);

  /* Marking one thread read leaves the others. */
  receive (fixture, BOB, "elsewhere", "other", "n-3");
  model_fixture_flush (fixture);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 5);
  messenger_conversation_mark_read (bob, "b", 0);
  model_fixture_flush (fixture);
  g_assert_cmpuint (messenger_conversation_get_unread_count (bob), ==, 1);

  g_signal_handlers_disconnect_by_data (bob, &unread_notifies);
  g_signal_handlers_disconnect_by_data (carol, &name_notifies);
}

static MessengerThread *
thread_at (GListModel *threads,
           guint       position)
{
  g_autoptr(MessengerThread) thread = g_list_model_get_item (threads, position);

  return thread;  /* borrowed: the model holds it */
}

static void
test_threads_model (ModelFixture  *fixture,
                    gconstpointer  data)
{
  g_autoptr(MessengerConversationList) list = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(XmppMessage) with_subject = NULL;
  MessengerConversation *bob;
  GListModel *threads;
  MessengerThread *thread;
  guint title_notifies = 0;

  model_fixture_add_history (fixture, BOB, "old", 2, T0);
  model_fixture_add_history (fixture, BOB, "recent", 2, T0 + 10 * G_USEC_PER_SEC);

  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, NULL);
  bob = messenger_conversation_list_get_conversation (list, BOB);
  threads = messenger_conversation_get_threads (bob);
  checker = model_checker_new (threads);

  /* From the cache, most recently active first, titled by first line. */
  g_assert_cmpuint (g_list_model_get_n_items (threads), ==, 2);
  thread = thread_at (threads, 0);
  g_assert_cmpstr (messenger_thread_get_id (thread), ==, "recent");
  g_assert_cmpstr (messenger_thread_get_title (thread), ==, "message 0");
  g_assert_cmpuint (messenger_thread_get_unread_count (thread), ==, 1);
  g_assert_cmpint (messenger_thread_get_last_activity (thread), ==, T0 + 11 * G_USEC_PER_SEC);
  g_assert_cmpstr (messenger_thread_get_id (thread_at (threads, 1)), ==, "old");

  /* Activity in the older thread moves it up. */
  thread = thread_at (threads, 1);
  g_signal_connect (thread, "notify::title", G_CALLBACK (count_notify_cb), &title_notifies);
  with_subject = model_fixture_message (BOB, "new line\nsecond line", "old", "s-1");
  with_subject->subject = g_strdup ("Holidays");
  g_signal_emit_by_name (fixture->account, "message", with_subject);
  model_fixture_flush (fixture);
  g_assert_true (thread_at (threads, 0) == thread);
  g_assert_cmpstr (messenger_thread_get_title (thread), ==, "Holidays");
  g_assert_cmpuint (title_notifies, ==, 1);
  g_assert_cmpuint (messenger_thread_get_unread_count (thread), ==, 2);

  /* A new thread appears on top, titled by its first line. */
  receive (fixture, BOB, "\n  First line  \nmore", "fresh", "f-1");
  model_fixture_flush (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (threads), ==, 3);
  thread = thread_at (threads, 0);
  g_assert_cmpstr (messenger_thread_get_id (thread), ==, "fresh");
  g_assert_cmpstr (messenger_thread_get_title (thread), ==, "First line");
  g_assert_null (messenger_thread_get_parent_id (thread));

  /* Marking read updates the threads' counts. */
  messenger_conversation_mark_read (bob, "old", 0);
  model_fixture_flush (fixture);
  g_assert_cmpuint (messenger_thread_get_unread_count (thread_at (threads, 1)), ==, 0);
  g_assert_cmpuint (messenger_thread_get_unread_count (thread_at (threads, 0)), ==, 1);

  g_signal_handlers_disconnect_by_data (thread_at (threads, 1), &title_notifies);
}

static void
search_done (MessengerSearch *search)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (messenger_search_get_searching (search))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_search (ModelFixture  *fixture,
             gconstpointer  data)
{
  g_autoptr(MessengerConversationList) list = NULL;
  g_autoptr(MessengerSearch) search = NULL;
  g_autoptr(MessengerSearch) in_carol = NULL;
  g_autoptr(ModelChecker) checker = NULL;
  g_autoptr(MessengerMessage) hit = NULL;
  MessengerConversation *bob;

  list = messenger_conversation_list_new (fixture->account, fixture->store, fixture->account_id, NULL);
  bob = messenger_conversation_list_get_conversation (list, BOB);
  receive (fixture, BOB, "我们明天去北京", "t", "z-1");
  receive (fixture, CAROL, "Let's meet tomorrow", "t", "z-2");
  g_free (messenger_conversation_send (bob, "see you tomorrow", NULL));
  for (guint i = 0; i < MESSENGER_SEARCH_PAGE_SIZE + 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("weather report %u", i);
      g_autofree char *origin = g_strdup_printf ("w-%u", i);

      receive (fixture, CAROL, body, "w", origin);
    }
  model_fixture_flush (fixture);

  search = messenger_search_new (fixture->store, fixture->account_id, NULL);
  checker = model_checker_new (G_LIST_MODEL (search));

  messenger_search_set_query (search, "tomor");
  g_assert_true (messenger_search_get_searching (search));
  search_done (search);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, 2);
  g_assert_false (messenger_search_get_has_more (search));
  hit = g_list_model_get_item (G_LIST_MODEL (search), 0);
  /* Newest first: ours. */
  g_assert_cmpstr (messenger_message_get_body (hit), ==, "see you tomorrow");
  g_assert_cmpstr (messenger_message_get_sender_name (hit), ==, "You");
  g_assert_nonnull (strstr (messenger_message_get_snippet (hit), MESSENGER_STORE_MATCH_START "tomorrow"));
  g_clear_object (&hit);

  /* Chinese, two characters inside a sentence. */
  messenger_search_set_query (search, "北京");
  search_done (search);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, 1);
  hit = g_list_model_get_item (G_LIST_MODEL (search), 0);
  g_assert_cmpstr (messenger_message_get_peer (hit), ==, BOB);
  g_assert_cmpstr (messenger_message_get_sender_name (hit), ==, BOB);
  g_clear_object (&hit);

  /* Pages: a full one, then the rest appended. */
  messenger_search_set_query (search, "weather");
  search_done (search);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, MESSENGER_SEARCH_PAGE_SIZE);
  g_assert_true (messenger_search_get_has_more (search));
  model_checker_reset_counts (checker);
  messenger_search_load_more (search);
  search_done (search);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, MESSENGER_SEARCH_PAGE_SIZE + 5);
  g_assert_false (messenger_search_get_has_more (search));
  g_assert_cmpuint (model_checker_get_n_changes (checker), ==, 1);
  g_assert_cmpuint (model_checker_get_n_removed (checker), ==, 0);

  /* A query replaced before its answer: only the last one counts. */
  messenger_search_set_query (search, "weather report 1");
  messenger_search_set_query (search, "北京");
  search_done (search);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, 1);

  /* Cleared. */
  messenger_search_set_query (search, "");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (search)), ==, 0);
  g_assert_false (messenger_search_get_searching (search));

  /* One conversation only. */
  in_carol = messenger_search_new (fixture->store, fixture->account_id, CAROL);
  messenger_search_set_query (in_carol, "tomorrow");
  search_done (in_carol);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (in_carol)), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, ModelFixture, NULL, model_fixture_set_up, func, model_fixture_tear_down)

  ADD ("/conversation/incoming-committed-first", test_incoming_committed_first);
  ADD ("/conversation/thread-ids", test_thread_ids);
  ADD ("/conversation/resend-deduplicated", test_resend_deduplicated);
  ADD ("/conversation/send-offline", test_send_offline);
  ADD ("/conversation/list-order-and-unread", test_list_order_and_unread);
  ADD ("/conversation/threads-model", test_threads_model);
  ADD ("/conversation/search", test_search);

#undef ADD

  return g_test_run ();
}
