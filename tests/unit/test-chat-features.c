/* test-chat-features.c: receipts, chat states, carbons, archive catch-up,
 * retrying a failed message and subjects in the models, with a real MessengerAccount signed in to the
 * scripted FakeServer (TLS, SASL, bind) whose hook plays the server's
 * part: roster, disco#info of the domain and of the account, carbons and a
 * small message archive with RSM paging.
 *
 * Each test makes a fresh store; "restarts" and "reconnects" are new
 * FakeServer instances (each serves one connection) on the same store.
 */
#include "config.h"

#include <string.h>

#include "messenger-conversation-list.h"
#include "messenger-conversation-private.h"
#include "messenger-message-list.h"
#include "messenger-roster.h"
#include "messenger-thread.h"
#include "model-fixture.h"
#include "stream-pair.h"
#include "xmpp-carbons.h"
#include "xmpp-mam.h"
#include "xmpp-receipts.h"

/* The fake server's domain, not model-fixture.h's. */
#undef BOB
#undef CAROL
#define ME        FAKE_SERVER_USER_JID
#define BOB       "bob@" FAKE_SERVER_DOMAIN
#define CAROL     "carol@" FAKE_SERVER_DOMAIN
#define DAVE_JID  "dave@" FAKE_SERVER_DOMAIN

/* What the scripted server does beyond signing in. */
typedef struct
{
  gboolean    carbons;          /* the domain advertises XEP-0280 */
  gboolean    archive;          /* the account advertises XEP-0313 */
  const char *roster_items;     /* XML inside the roster <query/> */
  guint       page_limit;       /* the most results a page carries */
  GPtrArray  *archive_ids;      /* "a-1", … */
  GPtrArray  *archive_xml;      /* the archived <message/> of each id */
  GPtrArray  *queries;          /* "after=…", "before=…" of each query, in order */
} Script;

static Script script;

static void
script_reset (void)
{
  g_clear_pointer (&script.archive_ids, g_ptr_array_unref);
  g_clear_pointer (&script.archive_xml, g_ptr_array_unref);
  g_clear_pointer (&script.queries, g_ptr_array_unref);
  memset (&script, 0, sizeof script);
  script.page_limit = 50;
  script.archive_ids = g_ptr_array_new_with_free_func (g_free);
  script.archive_xml = g_ptr_array_new_with_free_func (g_free);
  script.queries = g_ptr_array_new_with_free_func (g_free);
}

static void
archive_add (const char *id,
             const char *xml)
{
  g_ptr_array_add (script.archive_ids, g_strdup (id));
  g_ptr_array_add (script.archive_xml, g_strdup (xml));
}

static void
reply_error (FakeServer  *fs,
             XmppElement *iq,
             XmppStanzaErrorCode condition)
{
  g_autoptr(XmppElement) reply = xmpp_stanza_new_error_reply (iq, condition, NULL);

  fake_server_write_element (fs, reply);
}

static gboolean
answer_archive_query (FakeServer  *fs,
                      XmppElement *iq,
                      XmppElement *query)
{
  XmppElement *set = xmpp_element_find_child (query, XMPP_NS_RSM, "set");
  const char *after = set != NULL ? xmpp_element_find_child_text (set, XMPP_NS_RSM, "after") : NULL;
  const char *before = set != NULL ? xmpp_element_find_child_text (set, XMPP_NS_RSM, "before") : NULL;
  const char *max_text = set != NULL ? xmpp_element_find_child_text (set, XMPP_NS_RSM, "max") : NULL;
  const char *queryid = xmpp_element_get_attribute (query, "queryid");
  guint max = max_text != NULL ? (guint) g_ascii_strtoull (max_text, NULL, 10) : 50;
  guint n = script.archive_ids->len;
  guint start = 0, end = n;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean complete;

  g_ptr_array_add (script.queries, g_strdup_printf ("%s=%s", before != NULL ? "before" : "after",
                                                    before != NULL ? before : after != NULL ? after : ""));
  max = MIN (max, script.page_limit);

  if (after != NULL)
    {
      guint i;

      for (i = 0; i < n && strcmp (script.archive_ids->pdata[i], after) != 0; i++)
        ;
      if (i == n)
        {
          reply_error (fs, iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
          return TRUE;
        }
      start = i + 1;
    }
  if (before != NULL)
    {
      /* Only the newest page ("") is needed here. */
      start = n > max ? n - max : 0;
      complete = start == 0;
    }
  else
    {
      end = MIN (n, start + max);
      complete = end == n;
    }

  for (guint i = start; i < end; i++)
    g_string_append_printf (out, "<message to='%s'><result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'>"
                            "<forwarded xmlns='urn:xmpp:forward:0'>"
                            "<delay xmlns='urn:xmpp:delay' stamp='2026-02-0%uT12:00:00Z'/>%s"
                            "</forwarded></result></message>",
                            xmpp_element_get_attribute (iq, "from") ? xmpp_element_get_attribute (iq, "from")
                                                                    : ME "/desk",
                            queryid, (char *) script.archive_ids->pdata[i], 1 + i % 9,
                            (char *) script.archive_xml->pdata[i]);
  g_string_append_printf (out, "<iq type='result' id='%s'><fin xmlns='urn:xmpp:mam:2'%s>"
                          "<set xmlns='http://jabber.org/protocol/rsm'>",
                          xmpp_element_get_attribute (iq, "id"), complete ? " complete='true'" : "");
  if (end > start)
    g_string_append_printf (out, "<first>%s</first><last>%s</last>",
                            (char *) script.archive_ids->pdata[start],
                            (char *) script.archive_ids->pdata[end - 1]);
  g_string_append (out, "</set></fin></iq>");
  fake_server_write (fs, out->str);
  return TRUE;
}

static gboolean
server_hook (FakeServer  *fs,
             XmppElement *stanza)
{
  const char *type = xmpp_element_get_attribute (stanza, "type");
  const char *to = xmpp_element_get_attribute (stanza, "to");
  XmppElement *child;

  if (!xmpp_element_is (stanza, XMPP_NS_CLIENT, "iq"))
    return FALSE;

  if ((child = xmpp_element_find_child (stanza, "jabber:iq:roster", "query")) != NULL
      && g_strcmp0 (type, "get") == 0)
    {
      g_autofree char *xml = g_strdup_printf ("<iq type='result' id='%s'><query xmlns='jabber:iq:roster'>"
                                              "%s</query></iq>", xmpp_element_get_attribute (stanza, "id"),
                                              script.roster_items != NULL ? script.roster_items : "");
      fake_server_write (fs, xml);
      return TRUE;
    }

  if (xmpp_element_find_child (stanza, XMPP_NS_DISCO_INFO, "query") != NULL && g_strcmp0 (type, "get") == 0)
    {
      g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);
      XmppElement *query = xmpp_element_add_child_new (reply, XMPP_NS_DISCO_INFO, "query");
      const char *feature = NULL;

      if (g_strcmp0 (to, FAKE_SERVER_DOMAIN) == 0)
        {
          XmppElement *identity = xmpp_element_add_child_new (query, NULL, "identity");

          xmpp_element_set_attribute (identity, "category", "server");
          xmpp_element_set_attribute (identity, "type", "im");
          feature = script.carbons ? XMPP_NS_CARBONS : NULL;
        }
      else if (g_strcmp0 (to, ME) == 0)
        {
          XmppElement *identity = xmpp_element_add_child_new (query, NULL, "identity");

          xmpp_element_set_attribute (identity, "category", "account");
          xmpp_element_set_attribute (identity, "type", "registered");
          feature = script.archive ? XMPP_NS_MAM : NULL;
        }
      else
        {
          reply_error (fs, stanza, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE);
          return TRUE;
        }
      if (feature != NULL)
        xmpp_element_set_attribute (xmpp_element_add_child_new (query, NULL, "feature"), "var", feature);
      fake_server_write_element (fs, reply);
      return TRUE;
    }

  if (xmpp_element_find_child (stanza, XMPP_NS_CARBONS, NULL) != NULL && g_strcmp0 (type, "set") == 0)
    {
      g_autoptr(XmppElement) reply = xmpp_stanza_new_result_reply (stanza);

      fake_server_write_element (fs, reply);
      return TRUE;
    }

  if ((child = xmpp_element_find_child (stanza, XMPP_NS_MAM, "query")) != NULL && g_strcmp0 (type, "set") == 0)
    return answer_archive_query (fs, stanza, child);

  return FALSE;
}

/* The test's world */

typedef struct
{
  ModelFixture               model;
  FakeServer                *fs;
  MessengerRoster           *roster;
  MessengerConversationList *list;
} Fixture;

static FakeServer *
start_server (void)
{
  FakeServer *fs = fake_server_new ();

  fs->hook = server_hook;
  fake_server_start (fs);
  return fs;
}

/* A MessengerAccount for alice@example.test, pointed at @fs. */
static void
point_at (MessengerAccount *account,
          FakeServer       *fs)
{
  messenger_account_set_server (account, "127.0.0.1", fs->port);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  script_reset ();
  model_fixture_set_up (&f->model, data);
  /* The fixture's account is for example.org; this one signs in. */
  g_object_unref (f->model.account);
  f->model.account = messenger_account_new (ME);
  messenger_account_set_password (f->model.account, FAKE_SERVER_PASSWORD);
  messenger_account_set_pinned_fingerprint (f->model.account, fake_server_get_fingerprint ());
  messenger_account_set_resource (f->model.account, "desk");
  messenger_account_set_reconnect_delay (f->model.account, 60000);
}

static void
go_online (Fixture *f)
{
  if (f->list == NULL)
    f->list = messenger_conversation_list_new (f->model.account, f->model.store, f->model.account_id,
                                               f->roster);
  f->fs = start_server ();
  point_at (f->model.account, f->fs);
  messenger_account_connect (f->model.account);
  WAIT_UNTIL (messenger_account_get_state (f->model.account) == MESSENGER_ACCOUNT_ONLINE);
}

static void
go_offline (Fixture *f)
{
  messenger_account_disconnect (f->model.account);
  WAIT_UNTIL (f->fs->client_closed || f->fs->eof);
  model_fixture_flush (&f->model);
  g_clear_pointer (&f->fs, fake_server_free);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->fs != NULL)
    go_offline (f);
  g_clear_object (&f->list);
  g_clear_object (&f->roster);
  model_fixture_tear_down (&f->model, data);
  script_reset ();
}

/* What the client sent */

static XmppElement *
sent_message_with_body (FakeServer *fs,
                        const char *body)
{
  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *element = fs->elements->pdata[i];

      if (xmpp_element_is (element, XMPP_NS_CLIENT, "message")
          && g_strcmp0 (xmpp_element_find_child_text (element, XMPP_NS_CLIENT, "body"), body) == 0)
        return element;
    }
  return NULL;
}

/* Receipts the client sent naming @id. */
static guint
receipts_for (FakeServer *fs,
              const char *id)
{
  guint n = 0;

  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *element = fs->elements->pdata[i];
      XmppElement *received;

      if (xmpp_element_is (element, XMPP_NS_CLIENT, "message")
          && (received = xmpp_element_find_child (element, XMPP_NS_RECEIPTS, "received")) != NULL
          && g_strcmp0 (xmpp_element_get_attribute (received, "id"), id) == 0)
        n++;
    }
  return n;
}

/* Standalone chat state notifications the client sent, as "composing
 * paused …". */
static char *
chat_states_sent (FakeServer *fs)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *element = fs->elements->pdata[i];
      XmppChatState state;

      if (!xmpp_element_is (element, XMPP_NS_CLIENT, "message")
          || xmpp_element_find_child (element, XMPP_NS_CLIENT, "body") != NULL)
        continue;
      if ((state = xmpp_chat_state_parse (element)) == XMPP_CHAT_STATE_NONE)
        continue;
      g_assert_cmpstr (xmpp_element_get_attribute (element, "to"), ==, BOB);
      g_assert_nonnull (xmpp_element_find_child (element, XMPP_NS_HINTS, "no-store"));
      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, xmpp_chat_state_to_string (state));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
chat_states_end_with (FakeServer *fs,
                      const char *state)
{
  g_autofree char *states = chat_states_sent (fs);

  return g_str_has_suffix (states, state);
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

static guint
count_body (MessengerStore *store,
            gint64          account_id,
            const char     *peer,
            const char     *body)
{
  g_autoptr(GPtrArray) rows = messenger_store_load_messages (store, account_id, peer, NULL,
                                                             MESSENGER_STORE_PAGE_OLDER, 0, 500, NULL);
  guint n = 0;

  for (guint i = 0; rows != NULL && i < rows->len; i++)
    if (g_strcmp0 (((MessengerStoreMessage *) rows->pdata[i])->body, body) == 0)
      n++;
  return n;
}

static const MessengerStoreMessage *
stored_row (GPtrArray  *rows,
            const char *body)
{
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    if (g_strcmp0 (((MessengerStoreMessage *) rows->pdata[i])->body, body) == 0)
      return rows->pdata[i];
  return NULL;
}

/* ---- receipts ------------------------------------------------------ */

static void
test_receipts (Fixture       *f,
               gconstpointer  data)
{
  MessengerConversation *with_bob;
  g_autoptr(MessengerMessageList) history = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *second = NULL;
  g_autofree char *xml = NULL;
  XmppElement *stanza;

  go_online (f);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  history = messenger_message_list_new (with_bob, NULL);

  /* Ours ask for a receipt under an id that is the origin-id. */
  origin = messenger_conversation_send (with_bob, "hello", NULL);
  WAIT_UNTIL ((stanza = sent_message_with_body (f->fs, "hello")) != NULL);
  g_assert_nonnull (xmpp_element_find_child (stanza, XMPP_NS_RECEIPTS, "request"));
  g_assert_cmpstr (xmpp_element_get_attribute (stanza, "id"), ==, origin);
  g_assert_cmpstr (xmpp_element_get_attribute (xmpp_element_find_child (stanza, XMPP_NS_SID, "origin-id"), "id"),
                   ==, origin);
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "hello") != NULL
              && messenger_message_get_state (find_message (G_LIST_MODEL (history), "hello"))
                 == MESSENGER_DELIVERY_ACKED);

  /* Bob's client says it arrived: delivered, in the store and the row. */
  xml = g_strdup_printf ("<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='r1'>"
                         "<received xmlns='urn:xmpp:receipts' id='%s'/></message>", origin);
  fake_server_write (f->fs, xml);
  WAIT_UNTIL (messenger_message_get_state (find_message (G_LIST_MODEL (history), "hello"))
              == MESSENGER_DELIVERY_DELIVERED);
  {
    g_autoptr(MessengerStoreMessage) row = messenger_store_find_message_by_origin_id (f->model.store,
                                                                                       f->model.account_id,
                                                                                       BOB, origin, NULL);
    g_assert_nonnull (row);
    g_assert_cmpint (row->state, ==, MESSENGER_STORE_DELIVERY_DELIVERED);
  }

  /* Someone else cannot say so for Bob. */
  second = messenger_conversation_send (with_bob, "second", NULL);
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "second") != NULL
              && messenger_message_get_state (find_message (G_LIST_MODEL (history), "second"))
                 == MESSENGER_DELIVERY_ACKED);
  g_free (xml);
  xml = g_strdup_printf ("<message from='" CAROL "/x' to='" ME "/desk' type='chat' id='r2'>"
                         "<received xmlns='urn:xmpp:receipts' id='%s'/></message>", second);
  fake_server_write (f->fs, xml);
  fake_server_write (f->fs, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='b0'>"
                            "<body>a marker</body></message>");
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "a marker") != NULL);
  model_fixture_flush (&f->model);
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "second")),
                   ==, MESSENGER_DELIVERY_ACKED);

  /* Incoming with a request: answered once stored, to the full JID. */
  fake_server_write (f->fs, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='b1'>"
                            "<body>please confirm</body><request xmlns='urn:xmpp:receipts'/>"
                            "<origin-id xmlns='urn:xmpp:sid:0' id='b1'/></message>");
  WAIT_UNTIL (receipts_for (f->fs, "b1") == 1);
  {
    g_autoptr(MessengerStoreMessage) row = messenger_store_find_message_by_origin_id (f->model.store,
                                                                                       f->model.account_id,
                                                                                       BOB, "b1", NULL);
    g_assert_nonnull (row);
  }
  g_assert_cmpuint (receipts_for (f->fs, "b0"), ==, 0);   /* it did not ask */

  /* The same message again (Bob's client resends): one row, but a second
   * receipt, since the first may be what got lost. */
  fake_server_write (f->fs, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='b1'>"
                            "<body>please confirm</body><request xmlns='urn:xmpp:receipts'/>"
                            "<origin-id xmlns='urn:xmpp:sid:0' id='b1'/></message>");
  WAIT_UNTIL (receipts_for (f->fs, "b1") == 2);
  g_assert_cmpuint (count_body (f->model.store, f->model.account_id, BOB, "please confirm"), ==, 1);

  /* Turned off: stored and shown, not confirmed. */
  messenger_account_set_send_receipts (f->model.account, FALSE);
  fake_server_write (f->fs, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='b2'>"
                            "<body>quietly</body><request xmlns='urn:xmpp:receipts'/></message>"
                            "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='b3'>"
                            "<body>marker two</body></message>");
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "marker two") != NULL);
  stream_pair_run_for (100);
  g_assert_cmpuint (receipts_for (f->fs, "b2"), ==, 0);
}

/* XEP-0184 §8: only people who may see our presence learn that we are
 * online by getting receipts. */
static void
test_receipts_need_subscription (Fixture       *f,
                                 gconstpointer  data)
{
  script.roster_items = "<item jid='" BOB "' subscription='both'/>"
                        "<item jid='" CAROL "' subscription='to'/>";
  f->roster = messenger_roster_new (f->model.account, f->model.store, f->model.account_id);
  go_online (f);
  WAIT_UNTIL (messenger_roster_lookup (f->roster, CAROL) != NULL);

  fake_server_write (f->fs, "<message from='" CAROL "/x' to='" ME "/desk' type='chat' id='c1'>"
                            "<body>from carol</body><request xmlns='urn:xmpp:receipts'/></message>"
                            "<message from='" DAVE_JID "/x' to='" ME "/desk' type='chat' id='d1'>"
                            "<body>from dave</body><request xmlns='urn:xmpp:receipts'/></message>"
                            "<message from='" BOB "/x' to='" ME "/desk' type='chat' id='k1'>"
                            "<body>from bob</body><request xmlns='urn:xmpp:receipts'/></message>");
  WAIT_UNTIL (receipts_for (f->fs, "k1") == 1);
  model_fixture_flush (&f->model);
  g_assert_cmpuint (count_body (f->model.store, f->model.account_id, CAROL, "from carol"), ==, 1);
  g_assert_cmpuint (count_body (f->model.store, f->model.account_id, DAVE_JID, "from dave"), ==, 1);
  g_assert_cmpuint (receipts_for (f->fs, "c1"), ==, 0);
  g_assert_cmpuint (receipts_for (f->fs, "d1"), ==, 0);
}

/* ---- chat states --------------------------------------------------- */

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_chat_states_in (Fixture       *f,
                     gconstpointer  data)
{
  MessengerConversation *with_bob;
  guint notified = 0;
  guint n_conversations;
  gint64 started;

  go_online (f);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  _messenger_conversation_set_chat_state_timeouts (with_bob, 300, 100);
  g_signal_connect (with_bob, "notify::peer-chat-state", G_CALLBACK (count_notify_cb), &notified);
  g_assert_cmpint (messenger_conversation_get_peer_chat_state (with_bob), ==, MESSENGER_CHAT_STATE_NONE);

  /* Typing, then silence: after the timeout, paused. */
  fake_server_write (f->fs, "<message from='" BOB "/phone' type='chat'>"
                            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_COMPOSING);
  started = g_get_monotonic_time ();
  g_assert_cmpuint (notified, ==, 1);
  /* Repeating it notifies nothing, and pushes the timeout back. */
  fake_server_write (f->fs, "<message from='" BOB "/phone' type='chat'>"
                            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_PAUSED);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 250 * 1000);
  g_assert_cmpuint (notified, ==, 2);

  /* The message ends the typing: its own state, or none. */
  fake_server_write (f->fs, "<message from='" BOB "/phone' type='chat'>"
                            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
                            "<message from='" BOB "/phone' type='chat'><body>with active</body>"
                            "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_ACTIVE);
  fake_server_write (f->fs, "<message from='" BOB "/phone' type='chat'>"
                            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_COMPOSING);
  fake_server_write (f->fs, "<message from='" BOB "/phone' type='chat'><body>plain</body></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_NONE);
  /* Not stored: only the two messages are. */
  model_fixture_flush (&f->model);
  g_assert_cmpuint (messenger_store_count_messages (f->model.store, f->model.account_id, BOB, NULL, NULL), ==, 2);

  fake_server_write (f->fs, "<message from='" BOB "/phone' type='chat'>"
                            "<gone xmlns='http://jabber.org/protocol/chatstates'/></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_GONE);

  /* A stranger typing makes no conversation. */
  n_conversations = g_list_model_get_n_items (G_LIST_MODEL (f->list));
  fake_server_write (f->fs, "<message from='" CAROL "/x' type='chat'>"
                            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
                            "<message from='" BOB "/phone' type='chat'>"
                            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  WAIT_UNTIL (messenger_conversation_get_peer_chat_state (with_bob) == MESSENGER_CHAT_STATE_COMPOSING);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, n_conversations);
  model_fixture_flush (&f->model);
  g_assert_cmpuint (messenger_store_count_messages (f->model.store, f->model.account_id, CAROL, NULL, NULL), ==, 0);

  /* Offline, nobody's state is known. */
  go_offline (f);
  g_assert_cmpint (messenger_conversation_get_peer_chat_state (with_bob), ==, MESSENGER_CHAT_STATE_NONE);
}

static void
test_chat_states_out (Fixture       *f,
                      gconstpointer  data)
{
  MessengerConversation *with_bob;
  g_autofree char *states = NULL;
  XmppElement *stanza;

  go_online (f);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  _messenger_conversation_set_chat_state_timeouts (with_bob, 30000, 150);

  /* Each keystroke: composing once, then paused after a pause. */
  messenger_conversation_set_composing (with_bob, TRUE);
  messenger_conversation_set_composing (with_bob, TRUE);
  messenger_conversation_set_composing (with_bob, TRUE);
  WAIT_UNTIL (chat_states_end_with (f->fs, "paused"));
  states = chat_states_sent (f->fs);
  g_assert_cmpstr (states, ==, "composing paused");
  g_clear_pointer (&states, g_free);

  /* Typing again, then clearing the text: active. */
  messenger_conversation_set_composing (with_bob, TRUE);
  messenger_conversation_set_composing (with_bob, FALSE);
  WAIT_UNTIL (chat_states_end_with (f->fs, "active"));
  states = chat_states_sent (f->fs);
  g_assert_cmpstr (states, ==, "composing paused composing active");
  g_clear_pointer (&states, g_free);
  /* Clearing again says nothing new. */
  messenger_conversation_set_composing (with_bob, FALSE);

  /* Typing, then sending: the message carries active, and no paused
   * follows it. */
  messenger_conversation_set_composing (with_bob, TRUE);
  g_free (messenger_conversation_send (with_bob, "typed", NULL));
  WAIT_UNTIL ((stanza = sent_message_with_body (f->fs, "typed")) != NULL);
  g_assert_nonnull (xmpp_element_find_child (stanza, XMPP_NS_CHAT_STATES, "active"));
  stream_pair_run_for (400);
  states = chat_states_sent (f->fs);
  g_assert_cmpstr (states, ==, "composing paused composing active composing");
  g_clear_pointer (&states, g_free);

  /* Turned off: nothing at all. */
  messenger_account_set_send_chat_states (f->model.account, FALSE);
  messenger_conversation_set_composing (with_bob, TRUE);
  messenger_conversation_set_composing (with_bob, FALSE);
  g_free (messenger_conversation_send (with_bob, "quiet", NULL));
  WAIT_UNTIL ((stanza = sent_message_with_body (f->fs, "quiet")) != NULL);
  g_assert_cmpint (xmpp_chat_state_parse (stanza), ==, XMPP_CHAT_STATE_NONE);
  stream_pair_run_for (300);
  states = chat_states_sent (f->fs);
  g_assert_cmpstr (states, ==, "composing paused composing active composing");
}

/* ---- carbons ------------------------------------------------------- */

static gint
index_of (FakeServer  *fs,
          const char  *name,
          const char  *child_ns)
{
  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *element = fs->elements->pdata[i];

      if (xmpp_element_is (element, XMPP_NS_CLIENT, name)
          && (child_ns == NULL || xmpp_element_find_child (element, child_ns, NULL) != NULL))
        return (gint) i;
    }
  return -1;
}

#define CARBON(direction, inner) \
  "<message from='" ME "' to='" ME "/desk' type='chat'><" direction " xmlns='urn:xmpp:carbons:2'>" \
  "<forwarded xmlns='urn:xmpp:forward:0'>" inner "</forwarded></" direction "></message>"

static void
test_carbons (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  const MessengerStoreMessage *row;

  script.carbons = TRUE;
  go_online (f);

  /* Enabled, before the initial presence. */
  g_assert_cmpint (index_of (f->fs, "iq", XMPP_NS_CARBONS), >=, 0);
  WAIT_UNTIL (index_of (f->fs, "presence", NULL) >= 0);
  g_assert_cmpint (index_of (f->fs, "iq", XMPP_NS_CARBONS), <, index_of (f->fs, "presence", NULL));
  g_assert_true (messenger_account_has_carbons (f->model.account));

  fake_server_write (f->fs,
    CARBON ("received", "<message xmlns='jabber:client' from='" BOB "/phone' to='" ME "/laptop' type='chat' id='x1'>"
                        "<body>to the laptop</body><origin-id xmlns='urn:xmpp:sid:0' id='x1'/></message>")
    CARBON ("sent", "<message xmlns='jabber:client' from='" ME "/laptop' to='" BOB "' type='chat' id='l1'>"
                    "<body>from the laptop</body><origin-id xmlns='urn:xmpp:sid:0' id='l1'/>"
                    "<thread>lt</thread></message>")
    /* forged: Bob claims we wrote to Carol */
    "<message from='" BOB "/phone' type='chat'><sent xmlns='urn:xmpp:carbons:2'>"
    "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='" ME "/laptop' to='" CAROL "'"
    " type='chat'><body>forged</body></message></forwarded></sent></message>"
    /* the same copy twice */
    CARBON ("received", "<message xmlns='jabber:client' from='" BOB "/phone' to='" ME "/laptop' type='chat' id='x1'>"
                        "<body>to the laptop</body><origin-id xmlns='urn:xmpp:sid:0' id='x1'/></message>")
    "<message from='" BOB "/phone' type='chat' id='m'><body>marker</body></message>");
  WAIT_UNTIL (count_body (f->model.store, f->model.account_id, BOB, "marker") == 1);
  model_fixture_flush (&f->model);

  rows = messenger_store_load_messages (f->model.store, f->model.account_id, BOB, NULL,
                                        MESSENGER_STORE_PAGE_OLDER, 0, 50, NULL);
  g_assert_cmpuint (rows->len, ==, 3);
  row = stored_row (rows, "to the laptop");
  g_assert_nonnull (row);
  g_assert_cmpint (row->direction, ==, MESSENGER_STORE_DIRECTION_IN);
  g_assert_true (row->unread);
  /* Written on the laptop: ours, with the server, in Bob's conversation
   * and thread, and never sent again from here. */
  row = stored_row (rows, "from the laptop");
  g_assert_nonnull (row);
  g_assert_cmpint (row->direction, ==, MESSENGER_STORE_DIRECTION_OUT);
  g_assert_cmpint (row->state, ==, MESSENGER_STORE_DELIVERY_ACKED);
  g_assert_cmpstr (row->origin_id, ==, "l1");
  g_assert_cmpstr (row->thread_id, ==, "lt");
  g_assert_cmpuint (messenger_conversation_get_unread_count (messenger_conversation_list_get_conversation (f->list, BOB)),
                    ==, 2);
  g_assert_null (sent_message_with_body (f->fs, "from the laptop"));
  /* No receipt for a copy: the laptop answers. */
  g_assert_cmpuint (receipts_for (f->fs, "x1"), ==, 0);

  g_assert_cmpuint (messenger_store_count_messages (f->model.store, f->model.account_id, CAROL, NULL, NULL), ==, 0);
}

/* ---- archive catch-up ---------------------------------------------- */

#define IN_MESSAGE(id, body) \
  "<message xmlns='jabber:client' from='" BOB "/phone' to='" ME "' type='chat' id='" id "'>" \
  "<body>" body "</body><origin-id xmlns='urn:xmpp:sid:0' id='" id "'/></message>"
#define OUT_MESSAGE(id, body) \
  "<message xmlns='jabber:client' from='" ME "/laptop' to='" BOB "' type='chat' id='" id "'>" \
  "<body>" body "</body><origin-id xmlns='urn:xmpp:sid:0' id='" id "'/></message>"

static char *
queries (void)
{
  g_ptr_array_add (script.queries, NULL);
  {
    g_autofree char *joined = g_strjoinv (" ", (char **) script.queries->pdata);

    g_ptr_array_remove_index (script.queries, script.queries->len - 1);
    return g_steal_pointer (&joined);
  }
}

static void
test_archive_catch_up (Fixture       *f,
                       gconstpointer  data)
{
  MessengerConversation *with_bob;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *asked = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *xml = NULL;
  const MessengerStoreMessage *row;
  guint catching_up_notified = 0;

  script.archive = TRUE;
  script.page_limit = 2;
  archive_add ("a-1", IN_MESSAGE ("i1", "oldest"));
  archive_add ("a-2", IN_MESSAGE ("i2", "older"));
  archive_add ("a-3", OUT_MESSAGE ("o3", "mine from the laptop"));

  /* First session ever: the newest page, as history (not unread). */
  f->list = messenger_conversation_list_new (f->model.account, f->model.store, f->model.account_id, NULL);
  g_signal_connect (f->list, "notify::catching-up", G_CALLBACK (count_notify_cb), &catching_up_notified);
  go_online (f);
  g_assert_true (messenger_conversation_list_get_catching_up (f->list));
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (f->list));
  g_assert_cmpuint (catching_up_notified, ==, 2);
  asked = queries ();
  g_assert_cmpstr (asked, ==, "before=");
  g_clear_pointer (&asked, g_free);
  model_fixture_flush (&f->model);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, 1);
  rows = messenger_store_load_messages (f->model.store, f->model.account_id, BOB, NULL,
                                        MESSENGER_STORE_PAGE_OLDER, 0, 50, NULL);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_nonnull ((row = stored_row (rows, "older")));
  g_assert_false (row->unread);
  g_assert_cmpstr (row->stanza_id, ==, "a-2");
  g_assert_cmpstr (row->stanza_id_by, ==, ME);
  /* Sorted by when it was archived. */
  {
    g_autoptr(GDateTime) archived = g_date_time_new_from_iso8601 ("2026-02-02T12:00:00Z", NULL);

    g_assert_cmpint (row->time, ==, g_date_time_to_unix (archived) * G_USEC_PER_SEC);
  }
  g_assert_nonnull ((row = stored_row (rows, "mine from the laptop")));
  g_assert_cmpint (row->direction, ==, MESSENGER_STORE_DIRECTION_OUT);
  g_assert_cmpint (row->state, ==, MESSENGER_STORE_DELIVERY_ACKED);
  g_assert_cmpuint (messenger_conversation_get_unread_count (with_bob), ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);
  {
    g_autoptr(MessengerStoreMamState) state = messenger_store_get_mam_state (f->model.store, f->model.account_id,
                                                                            NULL, NULL);
    g_assert_nonnull (state);
    g_assert_cmpstr (state->last_id, ==, "a-3");
    g_assert_cmpstr (state->oldest_id, ==, "a-2");
    g_assert_false (state->complete);
  }

  /* While online: a live message (with our archive's stanza-id) and one
   * of ours, sent while the server holds it back. */
  fake_server_write (f->fs, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='i4'>"
                            "<body>live</body><origin-id xmlns='urn:xmpp:sid:0' id='i4'/>"
                            "<stanza-id xmlns='urn:xmpp:sid:0' id='a-4' by='" ME "'/></message>");
  WAIT_UNTIL (count_body (f->model.store, f->model.account_id, BOB, "live") == 1);
  go_offline (f);
  mine = messenger_conversation_send (with_bob, "sent while away", NULL);
  model_fixture_flush (&f->model);

  /* Meanwhile the archive got: the live one, ours (resent by the client
   * below, archived first), and news from other devices. */
  archive_add ("a-4", IN_MESSAGE ("i4", "live"));
  xml = g_strdup_printf ("<message xmlns='jabber:client' from='" ME "/desk' to='" BOB "' type='chat' id='%s'>"
                         "<body>sent while away</body><origin-id xmlns='urn:xmpp:sid:0' id='%s'/></message>",
                         mine, mine);
  archive_add ("a-5", xml);
  archive_add ("a-6", IN_MESSAGE ("i6", "while away 1"));
  archive_add ("a-7", OUT_MESSAGE ("o7", "laptop while away"));
  archive_add ("a-8", IN_MESSAGE ("i8", "while away 2"));

  /* Reconnect: pages after a-3 until complete, each stored once. */
  go_online (f);
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (f->list));
  asked = queries ();
  g_assert_cmpstr (asked, ==, "before= after=a-3 after=a-5 after=a-7");
  g_clear_pointer (&asked, g_free);
  model_fixture_flush (&f->model);
  rows = messenger_store_load_messages (f->model.store, f->model.account_id, BOB, NULL,
                                        MESSENGER_STORE_PAGE_OLDER, 0, 50, NULL);
  g_assert_cmpuint (rows->len, ==, 7);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpuint (count_body (f->model.store, f->model.account_id, BOB,
                                  ((MessengerStoreMessage *) rows->pdata[i])->body), ==, 1);
  g_assert_nonnull ((row = stored_row (rows, "while away 1")));
  g_assert_true (row->unread);
  g_assert_nonnull ((row = stored_row (rows, "laptop while away")));
  g_assert_cmpint (row->direction, ==, MESSENGER_STORE_DIRECTION_OUT);
  /* Ours, found in the archive: at least with the server, not pending. */
  g_assert_nonnull ((row = stored_row (rows, "sent while away")));
  g_assert_cmpint (row->state, >=, MESSENGER_STORE_DELIVERY_ACKED);
  g_assert_cmpstr (row->stanza_id, ==, "a-5");
  /* The unread count grew by what was new and incoming. */
  g_assert_cmpuint (messenger_conversation_get_unread_count (with_bob), ==, 3);
  g_clear_pointer (&rows, g_ptr_array_unref);
  {
    g_autoptr(MessengerStoreMamState) state = messenger_store_get_mam_state (f->model.store, f->model.account_id,
                                                                            NULL, NULL);
    g_assert_cmpstr (state->last_id, ==, "a-8");
  }

  /* A restart (new models on the same store): one query, nothing new. */
  go_offline (f);
  g_clear_object (&f->list);
  go_online (f);
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (f->list));
  asked = queries ();
  g_assert_cmpstr (asked, ==, "before= after=a-3 after=a-5 after=a-7 after=a-8");
  g_clear_pointer (&asked, g_free);
  model_fixture_flush (&f->model);
  g_assert_cmpuint (messenger_store_count_messages (f->model.store, f->model.account_id, BOB, NULL, NULL), ==, 7);
}

/* The archive forgot our newest id (cleared, or expired): start over from
 * its newest page rather than stop catching up for good. */
static void
test_archive_reset (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *asked = NULL;

  script.archive = TRUE;
  archive_add ("a-1", IN_MESSAGE ("i1", "first"));
  go_online (f);
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (f->list));
  go_offline (f);

  g_ptr_array_set_size (script.archive_ids, 0);
  g_ptr_array_set_size (script.archive_xml, 0);
  archive_add ("b-1", IN_MESSAGE ("j1", "after the reset"));
  go_online (f);
  WAIT_UNTIL (!messenger_conversation_list_get_catching_up (f->list));
  asked = queries ();
  g_assert_cmpstr (asked, ==, "before= after=a-1 before=");
  model_fixture_flush (&f->model);
  g_assert_cmpuint (count_body (f->model.store, f->model.account_id, BOB, "after the reset"), ==, 1);
  {
    g_autoptr(MessengerStoreMamState) state = messenger_store_get_mam_state (f->model.store, f->model.account_id,
                                                                            NULL, NULL);
    g_assert_cmpstr (state->last_id, ==, "b-1");
  }
}

/* Without the feature on our account, no query is made. */
static void
test_no_archive (Fixture       *f,
                 gconstpointer  data)
{
  go_online (f);
  g_assert_false (messenger_account_has_archive (f->model.account));
  g_assert_false (messenger_conversation_list_get_catching_up (f->list));
  stream_pair_run_for (100);
  g_assert_cmpint (index_of (f->fs, "iq", XMPP_NS_MAM), ==, -1);
  g_assert_cmpint (index_of (f->fs, "iq", XMPP_NS_CARBONS), ==, -1);
}

/* ---- retry and subject -------------------------------------------- */

/* Messages the client wrote with @body, in order. */
static GPtrArray *
sent_with_body (FakeServer *fs,
                const char *body)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < fs->elements->len; i++)
    {
      XmppElement *element = fs->elements->pdata[i];

      if (xmpp_element_is (element, XMPP_NS_CLIENT, "message")
          && g_strcmp0 (xmpp_element_find_child_text (element, XMPP_NS_CLIENT, "body"), body) == 0)
        g_ptr_array_add (found, element);
    }
  return found;
}

static guint
n_sent_with_body (FakeServer *fs,
                  const char *body)
{
  g_autoptr(GPtrArray) found = sent_with_body (fs, body);

  return found->len;
}

/* The server's bounce (RFC 6120 §8.3) of the message with @id. */
static void
bounce (FakeServer *fs,
        const char *id,
        const char *body)
{
  g_autofree char *xml = g_strdup_printf ("<message from='" BOB "' to='" ME "/desk' type='error' id='%s'>"
                                          "<body>%s</body><error type='cancel'>"
                                          "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                                          "</error></message>", id, body);

  fake_server_write (fs, xml);
}

static void
record_state_cb (MessengerMessage *message,
                 GParamSpec       *pspec,
                 GString          *states)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (MESSENGER_TYPE_DELIVERY_STATE);

  if (states->len > 0)
    g_string_append_c (states, ' ');
  g_string_append (states, g_enum_get_value (klass, messenger_message_get_state (message))->value_nick);
}

static MessengerStoreDeliveryState
stored_state (Fixture    *f,
              const char *origin)
{
  g_autoptr(MessengerStoreMessage) row = messenger_store_find_message_by_origin_id (f->model.store,
                                                                                     f->model.account_id,
                                                                                     BOB, origin, NULL);
  g_assert_nonnull (row);
  return row->state;
}

/* A bounced message, sent again: the same row and origin-id, written
 * again, pending → sent → acked; at the next connect when offline. */
static void
test_retry (Fixture       *f,
            gconstpointer  data)
{
  MessengerConversation *with_bob;
  g_autoptr(MessengerMessageList) history = NULL;
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GString) states = g_string_new (NULL);
  g_autofree char *origin = NULL;
  g_autofree char *second = NULL;
  MessengerMessage *message;
  gint64 id;

  go_online (f);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  history = messenger_message_list_new (with_bob, NULL);

  origin = messenger_conversation_send (with_bob, "bounce me", NULL);
  WAIT_UNTIL ((message = find_message (G_LIST_MODEL (history), "bounce me")) != NULL
              && messenger_message_get_state (message) == MESSENGER_DELIVERY_ACKED);
  id = messenger_message_get_id (message);
  g_assert_cmpuint (n_sent_with_body (f->fs, "bounce me"), ==, 1);

  /* Retrying what did not fail does nothing. */
  messenger_conversation_retry (with_bob, message);
  stream_pair_run_for (100);
  g_assert_cmpuint (n_sent_with_body (f->fs, "bounce me"), ==, 1);

  bounce (f->fs, origin, "bounce me");
  WAIT_UNTIL (messenger_message_get_state (message) == MESSENGER_DELIVERY_FAILED);
  g_assert_cmpint (stored_state (f, origin), ==, MESSENGER_STORE_DELIVERY_FAILED);

  g_signal_connect (message, "notify::state", G_CALLBACK (record_state_cb), states);
  messenger_conversation_retry (with_bob, message);
  WAIT_UNTIL (messenger_message_get_state (message) == MESSENGER_DELIVERY_ACKED);
  g_assert_cmpstr (states->str, ==, "pending sent acked");
  g_signal_handlers_disconnect_by_data (message, states);

  /* Written again as the same message: the same id and origin-id, so the
   * recipient can drop a copy it already has. */
  written = sent_with_body (f->fs, "bounce me");
  g_assert_cmpuint (written->len, ==, 2);
  g_assert_cmpstr (xmpp_element_get_attribute (written->pdata[1], "id"), ==, origin);
  g_assert_cmpstr (xmpp_element_get_attribute (xmpp_element_find_child (written->pdata[1], XMPP_NS_SID, "origin-id"),
                                               "id"), ==, origin);
  g_assert_cmpstr (xmpp_element_find_child_text (written->pdata[1], XMPP_NS_CLIENT, "thread"), ==,
                   xmpp_element_find_child_text (written->pdata[0], XMPP_NS_CLIENT, "thread"));
  g_assert_nonnull (xmpp_element_find_child (written->pdata[1], XMPP_NS_RECEIPTS, "request"));
  /* Still one row, one message in the list. */
  g_assert_cmpint (stored_state (f, origin), ==, MESSENGER_STORE_DELIVERY_ACKED);
  g_assert_cmpuint (count_body (f->model.store, f->model.account_id, BOB, "bounce me"), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 1);
  g_assert_cmpint (messenger_message_get_id (find_message (G_LIST_MODEL (history), "bounce me")), ==, id);

  /* Failed, then retried while offline: pending in the store (so a
   * restart keeps it), written once the account is back. */
  second = messenger_conversation_send (with_bob, "later", NULL);
  WAIT_UNTIL ((message = find_message (G_LIST_MODEL (history), "later")) != NULL
              && messenger_message_get_state (message) == MESSENGER_DELIVERY_ACKED);
  bounce (f->fs, second, "later");
  WAIT_UNTIL (messenger_message_get_state (message) == MESSENGER_DELIVERY_FAILED);
  go_offline (f);
  messenger_conversation_retry (with_bob, message);
  WAIT_UNTIL (messenger_message_get_state (message) == MESSENGER_DELIVERY_PENDING);
  model_fixture_flush (&f->model);
  g_assert_cmpint (stored_state (f, second), ==, MESSENGER_STORE_DELIVERY_PENDING);

  go_online (f);
  WAIT_UNTIL (messenger_message_get_state (message) == MESSENGER_DELIVERY_ACKED);
  g_clear_pointer (&written, g_ptr_array_unref);
  written = sent_with_body (f->fs, "later");
  g_assert_cmpuint (written->len, ==, 1);
  g_assert_cmpstr (xmpp_element_get_attribute (written->pdata[0], "id"), ==, second);
  /* The first one is not written again: it was acknowledged. */
  g_assert_cmpuint (n_sent_with_body (f->fs, "bounce me"), ==, 0);
  g_assert_cmpuint (count_body (f->model.store, f->model.account_id, BOB, "later"), ==, 1);
}

static MessengerThread *
thread_by_id (MessengerConversation *conversation,
              const char            *thread_id)
{
  GListModel *threads = messenger_conversation_get_threads (conversation);

  for (guint i = 0; i < g_list_model_get_n_items (threads); i++)
    {
      g_autoptr(MessengerThread) thread = g_list_model_get_item (threads, i);

      if (g_strcmp0 (messenger_thread_get_id (thread), thread_id) == 0)
        return thread;   /* borrowed: the model holds it */
    }
  return NULL;
}

/* send_full(): the subject is stored, goes out as <subject/>, and names
 * the thread. */
static void
test_subject (Fixture       *f,
              gconstpointer  data)
{
  MessengerConversation *with_bob;
  g_autoptr(MessengerMessageList) history = NULL;
  g_autoptr(MessengerStoreMessage) row = NULL;
  g_autofree char *thread = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *plain = NULL;
  MessengerThread *topic;
  MessengerMessage *message;
  XmppElement *stanza;

  go_online (f);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  history = messenger_message_list_new (with_bob, NULL);
  g_free (messenger_conversation_send (with_bob, "before the topic", NULL));
  WAIT_UNTIL (sent_message_with_body (f->fs, "before the topic") != NULL);

  thread = g_strdup (messenger_conversation_new_thread (with_bob, NULL));
  origin = messenger_conversation_send_full (with_bob, "Saturday, 10:00?", "Trip to the lake", NULL);
  WAIT_UNTIL ((stanza = sent_message_with_body (f->fs, "Saturday, 10:00?")) != NULL);
  g_assert_cmpstr (xmpp_element_find_child_text (stanza, XMPP_NS_CLIENT, "subject"), ==, "Trip to the lake");
  g_assert_cmpstr (xmpp_element_find_child_text (stanza, XMPP_NS_CLIENT, "thread"), ==, thread);

  row = messenger_store_find_message_by_origin_id (f->model.store, f->model.account_id, BOB, origin, NULL);
  g_assert_nonnull (row);
  g_assert_cmpstr (row->subject, ==, "Trip to the lake");
  g_assert_cmpstr (row->thread_id, ==, thread);
  WAIT_UNTIL ((message = find_message (G_LIST_MODEL (history), "Saturday, 10:00?")) != NULL);
  g_assert_cmpstr (messenger_message_get_subject (message), ==, "Trip to the lake");

  /* The thread is named by it, not by the first line. */
  g_assert_nonnull ((topic = thread_by_id (with_bob, thread)));
  g_assert_cmpstr (messenger_thread_get_subject (topic), ==, "Trip to the lake");
  g_assert_cmpstr (messenger_thread_get_title (topic), ==, "Trip to the lake");

  /* Replies there carry no subject; the title stays. */
  plain = messenger_conversation_send_full (with_bob, "or Sunday", "", NULL);
  WAIT_UNTIL ((stanza = sent_message_with_body (f->fs, "or Sunday")) != NULL);
  g_assert_null (xmpp_element_find_child (stanza, XMPP_NS_CLIENT, "subject"));
  g_assert_cmpstr (xmpp_element_find_child_text (stanza, XMPP_NS_CLIENT, "thread"), ==, thread);
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "or Sunday") != NULL);
  g_assert_cmpstr (messenger_thread_get_title (topic), ==, "Trip to the lake");

  /* Read back from the store by new models, the title is the same. */
  go_offline (f);
  g_clear_object (&history);
  g_clear_object (&f->list);
  f->list = messenger_conversation_list_new (f->model.account, f->model.store, f->model.account_id, NULL);
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  g_assert_nonnull ((topic = thread_by_id (with_bob, thread)));
  g_assert_cmpstr (messenger_thread_get_title (topic), ==, "Trip to the lake");
}

/* XEP-0198 */

/* The h of the first <a/> the client sent from element @from on, -1 without one. */
static gint64
first_ack_from (FakeServer *fs,
                guint       from)
{
  for (guint i = from; i < fs->elements->len; i++)
    if (xmpp_element_is (fs->elements->pdata[i], XMPP_NS_SM, "a"))
      return g_ascii_strtoll (xmpp_element_get_attribute (fs->elements->pdata[i], "h"), NULL, 10);
  return -1;
}

/* The h of the last <a/> the client sent, -1 without one. */
static gint64
last_ack (FakeServer *fs)
{
  for (guint i = fs->elements->len; i > 0; i--)
    if (xmpp_element_is (fs->elements->pdata[i - 1], XMPP_NS_SM, "a"))
      return g_ascii_strtoll (xmpp_element_get_attribute (fs->elements->pdata[i - 1], "h"), NULL, 10);
  return -1;
}

static gboolean
stored (Fixture    *f,
        const char *peer,
        const char *origin_id)
{
  g_autoptr(MessengerStoreMessage) row = messenger_store_find_message_by_origin_id (f->model.store,
                                                                                   f->model.account_id,
                                                                                   peer, origin_id, NULL);
  return row != NULL;
}

/* Write @xml followed by an <r/> in one go: the client answers the <r/>
 * while the message's insert is still on its way to the disk, so that
 * <a/> must not count it yet; a later one, once committed, does. */
static void
assert_acked_after_commit (Fixture    *f,
                           const char *xml,
                           const char *peer,
                           const char *origin_id)
{
  g_autofree char *both = g_strconcat (xml, "<r xmlns='" XMPP_NS_SM "'/>", NULL);
  guint mark = f->fs->elements->len;
  gint64 before;

  fake_server_write (f->fs, both);
  WAIT_UNTIL ((before = first_ack_from (f->fs, mark)) >= 0);
  WAIT_UNTIL (last_ack (f->fs) == before + 1);
  /* Only now, and then it is on disk. */
  g_assert_true (stored (f, peer, origin_id));
}

static void
test_stream_management (Fixture       *f,
                        gconstpointer  data)
{
  MessengerConversation *with_bob;
  g_autoptr(MessengerMessageList) history = NULL;
  g_autofree char *origin = NULL;
  guint pings;

  script.carbons = TRUE;
  go_online (f);
  g_assert_true (xmpp_client_get_stream_management (messenger_account_get_client (f->model.account)));
  with_bob = messenger_conversation_list_get_conversation (f->list, BOB);
  history = messenger_message_list_new (with_bob, NULL);

  /* Ours: SENT when written, ACKED on the server's <a/>, not on a ping. */
  f->fs->sm_manual_acks = TRUE;
  f->fs->ignore_pings = TRUE;
  pings = f->fs->n_pings;
  origin = messenger_conversation_send (with_bob, "tracked", NULL);
  WAIT_UNTIL (sent_message_with_body (f->fs, "tracked") != NULL && f->fs->n_sm_requests > 0);
  WAIT_UNTIL (find_message (G_LIST_MODEL (history), "tracked") != NULL
              && messenger_message_get_state (find_message (G_LIST_MODEL (history), "tracked"))
                 == MESSENGER_DELIVERY_SENT);
  model_fixture_flush (&f->model);
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "tracked")),
                   ==, MESSENGER_DELIVERY_SENT);
  g_assert_cmpuint (f->fs->n_pings, ==, pings);
  {
    g_autofree char *ack = g_strdup_printf ("<a xmlns='" XMPP_NS_SM "' h='%u'/>", f->fs->sm_h);

    fake_server_write (f->fs, ack);
  }
  WAIT_UNTIL (messenger_message_get_state (find_message (G_LIST_MODEL (history), "tracked"))
              == MESSENGER_DELIVERY_ACKED);

  /* Never acknowledged before the session ended: stays SENT, and goes
   * out again in the next session. */
  g_free (messenger_conversation_send (with_bob, "unconfirmed", NULL));
  WAIT_UNTIL (sent_message_with_body (f->fs, "unconfirmed") != NULL);
  go_offline (f);
  g_assert_cmpint (messenger_message_get_state (find_message (G_LIST_MODEL (history), "unconfirmed")),
                   ==, MESSENGER_DELIVERY_SENT);
  go_online (f);
  WAIT_UNTIL (sent_message_with_body (f->fs, "unconfirmed") != NULL);
  WAIT_UNTIL (messenger_message_get_state (find_message (G_LIST_MODEL (history), "unconfirmed"))
              == MESSENGER_DELIVERY_ACKED);
  g_assert_null (sent_message_with_body (f->fs, "tracked"));

  /* Theirs, a duplicate of it and carbons: acknowledged once committed. */
  assert_acked_after_commit (f, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='in1'>"
                                "<body>kept first</body><origin-id xmlns='urn:xmpp:sid:0' id='in1'/></message>",
                             BOB, "in1");
  assert_acked_after_commit (f, "<message from='" BOB "/phone' to='" ME "/desk' type='chat' id='in1'>"
                                "<body>kept first</body><origin-id xmlns='urn:xmpp:sid:0' id='in1'/></message>",
                             BOB, "in1");
  assert_acked_after_commit (f, CARBON ("received", "<message xmlns='jabber:client' from='" CAROL "/phone' "
                                                    "to='" ME "/laptop' type='chat' id='c1'><body>to the laptop</body>"
                                                    "<origin-id xmlns='urn:xmpp:sid:0' id='c1'/></message>"),
                             CAROL, "c1");
  assert_acked_after_commit (f, CARBON ("sent", "<message xmlns='jabber:client' from='" ME "/laptop' "
                                                "to='" DAVE_JID "' type='chat' id='c2'><body>from the laptop</body>"
                                                "<origin-id xmlns='urn:xmpp:sid:0' id='c2'/></message>"),
                             DAVE_JID, "c2");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fake_server_generate_certificate ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, setup, func, teardown)
  ADD ("/chat-features/receipts", test_receipts);
  ADD ("/chat-features/receipts-need-subscription", test_receipts_need_subscription);
  ADD ("/chat-features/chat-states-in", test_chat_states_in);
  ADD ("/chat-features/chat-states-out", test_chat_states_out);
  ADD ("/chat-features/carbons", test_carbons);
  ADD ("/chat-features/archive-catch-up", test_archive_catch_up);
  ADD ("/chat-features/archive-reset", test_archive_reset);
  ADD ("/chat-features/no-archive", test_no_archive);
  ADD ("/chat-features/retry", test_retry);
  ADD ("/chat-features/subject", test_subject);
  ADD ("/chat-features/stream-management", test_stream_management);
#undef ADD

  return g_test_run ();
}
