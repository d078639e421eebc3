/* test-resume.c: XEP-0198 session resumption in the core, against the
 * bundled server
 *
 * Alice reaches the server through a loopback TCP proxy written here
 * (GSocketService), so a test can cut her connection the way a network
 * does: both sockets shut down, no closing tag from anyone, the server
 * keeping her session for a resumption.  The proxy can also refuse new
 * connections for a while (the gap), and throw away what one direction
 * carries (an acknowledgement lost on the way, or a message that never
 * reached the server).  Bob is connected to the server directly.
 *
 *  resumed:   the account comes back ONLINE through a resumption
 *             ("resumed" TRUE, the same XmppClient): Bob's presence stayed
 *             available throughout, the roster was not fetched again, no
 *             iq and no initial presence were sent again, the presence
 *             manager still knows Bob's presence and follows its changes;
 *             Bob's message from the gap arrives once;
 *             Alice's message whose <a/> was lost ends ACKED without being
 *             written again (Bob has it once); one composed in the gap
 *             goes out once.
 *  refused:   the server restarts during the gap, so it refuses the
 *             resumption: "session-ended", a fresh sign-in on the same
 *             client (roster fetched, "resumed" FALSE), Bob shown offline
 *             then online again, the unacknowledged and the pending
 *             messages written once each in the new session.
 *  expired:   the server keeps lost sessions 1 s (sm-max-resume=1): after
 *             a longer gap the account does not try to resume and signs in
 *             anew on a new client, with the same outcome for the models.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "messenger-conversation-list.h"
#include "messenger-message-list.h"
#include "messenger-roster.h"
#include "server-fixture.h"
#include "test-util.h"

#define ALICE TEST_ALICE
#define BOB   TEST_BOB

/* The proxy */

typedef struct _Proxy Proxy;

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *down;       /* to the client */
  GSocketConnection *up;         /* to the server */
  guint              pumps;      /* directions still running */
} Link;

typedef struct
{
  Link         *link;
  GInputStream *in;
  GOutputStream *out;
  gboolean      upstream;        /* client → server */
  guint8        buffer[16384];
} Pump;

struct _Proxy
{
  GSocketService *service;
  guint16         port;
  guint16         target;
  GPtrArray      *links;         /* Link, owned */
  gboolean        refuse;        /* close new connections at once */
  gboolean        drop_up;       /* throw away what the client sends */
  gboolean        drop_down;     /* throw away what the server sends */
};

static void pump_read (Pump *pump);

static void
link_shut (Link *link)
{
  /* A FIN both ways: each side sees its peer go without a word. */
  g_socket_shutdown (g_socket_connection_get_socket (link->down), TRUE, TRUE, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (link->up), TRUE, TRUE, NULL);
}

static void
link_free (Link *link)
{
  g_io_stream_close (G_IO_STREAM (link->down), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (link->up), NULL, NULL);
  g_object_unref (link->down);
  g_object_unref (link->up);
  g_free (link);
}

static void
pump_stop (Pump *pump)
{
  Link *link = pump->link;

  g_free (pump);
  link_shut (link);
  if (--link->pumps == 0)
    g_ptr_array_remove (link->proxy->links, link);
}

static void
pump_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pump *pump = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      pump_stop (pump);
      return;
    }
  pump_read (pump);
}

static void
pump_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pump *pump = user_data;
  Proxy *proxy = pump->link->proxy;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      pump_stop (pump);
      return;
    }
  if (pump->upstream ? proxy->drop_up : proxy->drop_down)
    {
      pump_read (pump);
      return;
    }
  g_output_stream_write_all_async (pump->out, pump->buffer, (gsize) n, G_PRIORITY_DEFAULT, NULL,
                                   pump_written_cb, pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_async (pump->in, pump->buffer, sizeof pump->buffer, G_PRIORITY_DEFAULT, NULL,
                             pump_read_cb, pump);
}

static void
pump_start (Link     *link,
            gboolean  upstream)
{
  Pump *pump = g_new0 (Pump, 1);
  GIOStream *from = G_IO_STREAM (upstream ? link->down : link->up);
  GIOStream *to = G_IO_STREAM (upstream ? link->up : link->down);

  pump->link = link;
  pump->upstream = upstream;
  pump->in = g_io_stream_get_input_stream (from);
  pump->out = g_io_stream_get_output_stream (to);
  link->pumps++;
  pump_read (pump);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             Proxy             *proxy)
{
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnection) up = NULL;
  Link *link;

  if (proxy->refuse)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  /* Loopback: connecting blocks for no time, and fails at once while the
   * server is down (the client then sees its connection end). */
  client = g_socket_client_new ();
  up = g_socket_client_connect_to_host (client, "127.0.0.1", proxy->target, NULL, NULL);
  if (up == NULL)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  link = g_new0 (Link, 1);
  link->proxy = proxy;
  link->down = g_object_ref (connection);
  link->up = g_steal_pointer (&up);
  g_ptr_array_add (proxy->links, link);
  pump_start (link, TRUE);
  pump_start (link, FALSE);
  return TRUE;
}

static Proxy *
proxy_new (guint16 target)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GError) error = NULL;

  proxy->target = target;
  proxy->links = g_ptr_array_new_with_free_func ((GDestroyNotify) link_free);
  proxy->service = g_socket_service_new ();
  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address, G_SOCKET_TYPE_STREAM,
                                   G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
    g_assert_no_error (error);
    proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  }
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (incoming_cb), proxy);
  g_socket_service_start (proxy->service);
  return proxy;
}

/* The network goes: every connection through the proxy ends at once. */
static void
proxy_cut (Proxy *proxy)
{
  for (guint i = 0; i < proxy->links->len; i++)
    link_shut (proxy->links->pdata[i]);
}

static void
proxy_free (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  proxy_cut (proxy);
  /* The pumps see their ends and let their links go. */
  WAIT_UNTIL (proxy->links->len == 0);
  g_ptr_array_unref (proxy->links);
  g_object_unref (proxy->service);
  g_free (proxy);
}

/* The world of one test */

typedef struct
{
  TestServer                 srv;
  Proxy                     *proxy;
  char                      *store_dir;
  MessengerStore            *store;
  gint64                     account_id;

  MessengerAccount          *alice;
  MessengerRoster           *roster;
  MessengerConversationList *conversations;
  MessengerConversation     *with_bob;      /* borrowed */
  MessengerMessageList      *history;
  MessengerContact          *bob_contact;   /* borrowed */

  MessengerAccount          *bob;
  GHashTable                *bob_inbox;     /* body → deliveries, not de-duplicated */

  /* what Alice's side did */
  guint                      rosters;        /* "roster-received" */
  guint                      sessions_ended; /* "session-ended" */
  guint                      bob_went_offline; /* bob_contact's online → FALSE */
  guint                      bob_unavailable;  /* <presence type='unavailable'/> from Bob */
  XmppClient                *client;         /* the client watched, owned */
  GPtrArray                 *sent;           /* XmppElement written by it since the mark */
} World;

static void
count_cb (gpointer  instance,
          guint    *counter)
{
  (*counter)++;
}

static void
roster_received_cb (MessengerAccount *account,
                    GPtrArray        *items,
                    const char       *version,
                    gboolean          unchanged,
                    World            *w)
{
  w->rosters++;
}

static void
bob_online_cb (MessengerContact *contact,
               GParamSpec       *pspec,
               World            *w)
{
  if (!messenger_contact_get_online (contact))
    w->bob_went_offline++;
}

static void
presence_cb (MessengerAccount *account,
             XmppPresence     *presence,
             World            *w)
{
  if (presence->type == XMPP_PRESENCE_UNAVAILABLE && presence->from != NULL
      && g_strcmp0 (xmpp_jid_get_bare_string (presence->from), BOB) == 0)
    w->bob_unavailable++;
}

static void
bob_message_cb (MessengerAccount *account,
                XmppMessage      *message,
                World            *w)
{
  if (message->body == NULL)
    return;
  g_hash_table_insert (w->bob_inbox, g_strdup (message->body),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (w->bob_inbox, message->body)) + 1));
}

static guint
bob_got (World      *w,
         const char *body)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (w->bob_inbox, body));
}

static void
stanza_sent_cb (XmppClient  *client,
                XmppElement *stanza,
                World       *w)
{
  if (w->sent != NULL)
    g_ptr_array_add (w->sent, xmpp_element_ref (stanza));
}

/* Record what Alice's current client writes from now on. */
static void
watch_client (World *w)
{
  if (w->client != NULL)
    g_signal_handlers_disconnect_by_data (w->client, w);
  g_clear_object (&w->client);
  w->client = g_object_ref (messenger_account_get_client (w->alice));
  g_signal_connect (w->client, "stanza-sent", G_CALLBACK (stanza_sent_cb), w);
  g_clear_pointer (&w->sent, g_ptr_array_unref);
  w->sent = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
}

/* Forget what was written so far. */
static void
mark (World *w)
{
  g_ptr_array_set_size (w->sent, 0);
}

/* Requests (iq get/set) and broadcast presences written since the mark. */
static guint
n_sent_setup (World *w)
{
  guint n = 0;

  for (guint i = 0; i < w->sent->len; i++)
    {
      XmppElement *stanza = w->sent->pdata[i];
      const char *type = xmpp_element_get_attribute (stanza, "type");

      if (xmpp_element_is (stanza, NULL, "iq") && (g_strcmp0 (type, "get") == 0 || g_strcmp0 (type, "set") == 0))
        n++;
      else if (xmpp_element_is (stanza, NULL, "presence") && xmpp_element_get_attribute (stanza, "to") == NULL)
        n++;
    }
  return n;
}

/* Messages with @body written since the mark. */
static guint
n_sent_with_body (World      *w,
                  const char *body)
{
  guint n = 0;

  for (guint i = 0; i < w->sent->len; i++)
    {
      XmppElement *stanza = w->sent->pdata[i];

      if (xmpp_element_is (stanza, NULL, "message")
          && g_strcmp0 (xmpp_element_find_child_text (stanza, NULL, "body"), body) == 0)
        n++;
    }
  return n;
}

static guint
n_in_history (World      *w,
              const char *body)
{
  GListModel *list = G_LIST_MODEL (w->history);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (list, i);

      if (g_strcmp0 (messenger_message_get_body (message), body) == 0)
        n++;
    }
  return n;
}

static MessengerMessage *
find_message (World      *w,
              const char *body)
{
  GListModel *list = G_LIST_MODEL (w->history);

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(MessengerMessage) message = g_list_model_get_item (list, i);

      if (g_strcmp0 (messenger_message_get_body (message), body) == 0)
        return message;   /* borrowed: the list holds it */
    }
  return NULL;
}

static MessengerDeliveryState
state_of (World      *w,
          const char *body)
{
  MessengerMessage *message = find_message (w, body);

  return message != NULL ? messenger_message_get_state (message) : (MessengerDeliveryState) -1;
}

static void
subscription_cb (MessengerAccount *account,
                 XmppJid          *from,
                 XmppPresenceType  type,
                 gpointer          user_data)
{
  /* Bob lets Alice see his presence. */
  if (type == XMPP_PRESENCE_SUBSCRIBE)
    xmpp_presence_manager_send_type (messenger_account_get_presence (account), from, XMPP_PRESENCE_SUBSCRIBED);
}

/* A server (with @extra_args), Alice through the proxy with her models on
 * a new store, Bob directly; both online, Bob's presence shown to Alice. */
static void
world_set_up (World              *w,
              const char * const *extra_args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStoreAccount) record = messenger_store_account_new (ALICE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *store_path = NULL;
  g_autoptr(XmppJid) bob_jid = xmpp_jid_new (BOB, NULL);

  memset (w, 0, sizeof *w);
  test_server_set_up (&w->srv, "messenger-resume-XXXXXX");
  if (extra_args != NULL)
    {
      test_server_stop (&w->srv);
      test_server_start_with_args (&w->srv, w->srv.port, extra_args);
    }
  w->proxy = proxy_new (w->srv.port);

  w->store_dir = g_dir_make_tmp ("messenger-resume-store-XXXXXX", &error);
  g_assert_no_error (error);
  store_path = g_build_filename (w->store_dir, "messenger.db", NULL);
  w->store = messenger_store_open (store_path, &error);
  g_assert_no_error (error);
  messenger_store_add_account_async (w->store, record, NULL, test_result_cb, &result);
  w->account_id = messenger_store_add_account_finish (w->store, WAIT_RESULT (&result), &error);
  g_assert_no_error (error);

  w->alice = test_server_new_account (&w->srv, ALICE, "alice-pw");
  messenger_account_set_server (w->alice, "127.0.0.1", w->proxy->port);
  messenger_account_set_resource (w->alice, "desk");
  w->roster = messenger_roster_new (w->alice, w->store, w->account_id);
  w->conversations = messenger_conversation_list_new (w->alice, w->store, w->account_id, w->roster);
  g_signal_connect (w->alice, "roster-received", G_CALLBACK (roster_received_cb), w);
  g_signal_connect (w->alice, "session-ended", G_CALLBACK (count_cb), &w->sessions_ended);
  g_signal_connect (w->alice, "presence", G_CALLBACK (presence_cb), w);

  w->bob = test_server_new_account (&w->srv, BOB, "bob-pw");
  w->bob_inbox = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (w->bob, "message", G_CALLBACK (bob_message_cb), w);
  g_signal_connect (w->bob, "subscription", G_CALLBACK (subscription_cb), NULL);

  messenger_account_connect (w->alice);
  messenger_account_connect (w->bob);
  WAIT_UNTIL (messenger_account_get_state (w->alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (w->bob) == MESSENGER_ACCOUNT_ONLINE);
  g_assert_false (messenger_account_get_resumed (w->alice));
  g_assert_cmpuint (w->rosters, ==, 1);

  /* Alice asks to see Bob's presence; Bob agrees; it shows. */
  xmpp_presence_manager_send_type (messenger_account_get_presence (w->alice), bob_jid, XMPP_PRESENCE_SUBSCRIBE);
  WAIT_UNTIL ((w->bob_contact = messenger_roster_lookup (w->roster, BOB)) != NULL
              && messenger_contact_get_online (w->bob_contact));
  g_signal_connect (w->bob_contact, "notify::online", G_CALLBACK (bob_online_cb), w);

  w->with_bob = messenger_conversation_list_get_conversation (w->conversations, BOB);
  w->history = messenger_message_list_new (w->with_bob, NULL);

  /* Warm up: a message each way, so the session is well under way. */
  g_free (messenger_conversation_send (w->with_bob, "Hello Bob", NULL));
  WAIT_UNTIL (state_of (w, "Hello Bob") == MESSENGER_DELIVERY_ACKED && bob_got (w, "Hello Bob") == 1);
  test_store_flush (w->store);
  watch_client (w);
}

static void
world_tear_down (World *w)
{
  messenger_account_disconnect (w->alice);
  messenger_account_disconnect (w->bob);
  test_store_flush (w->store);
  if (w->client != NULL)
    g_signal_handlers_disconnect_by_data (w->client, w);
  g_clear_object (&w->client);
  g_clear_pointer (&w->sent, g_ptr_array_unref);
  g_clear_object (&w->history);
  g_signal_handlers_disconnect_by_data (w->bob_contact, w);
  g_clear_object (&w->conversations);
  g_clear_object (&w->roster);
  g_clear_object (&w->bob);
  g_assert_finalize_object (w->alice);
  messenger_store_close (w->store);
  g_clear_object (&w->store);
  test_remove_tree (w->store_dir);
  g_free (w->store_dir);
  g_hash_table_unref (w->bob_inbox);
  proxy_free (w->proxy);
  test_server_tear_down (&w->srv);
}

/* Alice's connection goes, and new ones are refused for now. */
static void
cut (World *w)
{
  w->proxy->refuse = TRUE;
  proxy_cut (w->proxy);
  WAIT_UNTIL (messenger_account_get_state (w->alice) != MESSENGER_ACCOUNT_ONLINE);
  mark (w);
}

static void
test_resumed (void)
{
  World world, *w = &world;
  g_autoptr(XmppJid) bob_jid = xmpp_jid_new (BOB, NULL);
  XmppClient *client;

  world_set_up (w, NULL);
  client = w->client;

  /* Alice writes; the server routes it to Bob, but its <a/> is lost. */
  w->proxy->drop_down = TRUE;
  g_free (messenger_conversation_send (w->with_bob, "Just before the cut", NULL));
  WAIT_UNTIL (bob_got (w, "Just before the cut") == 1
              && state_of (w, "Just before the cut") == MESSENGER_DELIVERY_SENT);
  cut (w);

  /* The gap: nobody's presence is forgotten, the session waits. */
  g_assert_cmpint (messenger_account_get_state (w->alice), ==, MESSENGER_ACCOUNT_CONNECTING);
  g_assert_cmpuint (w->sessions_ended, ==, 0);
  g_assert_true (messenger_contact_get_online (w->bob_contact));
  {
    g_autoptr(XmppMessage) message = xmpp_message_new (XMPP_MESSAGE_CHAT, messenger_account_get_xmpp_jid (w->alice),
                                                       "During the gap");

    g_assert_true (messenger_account_send_message (w->bob, message));
  }
  g_free (messenger_conversation_send (w->with_bob, "Written during the gap", NULL));
  WAIT_UNTIL (state_of (w, "Written during the gap") == MESSENGER_DELIVERY_PENDING);
  test_run_for (500);
  g_assert_true (messenger_contact_get_online (w->bob_contact));

  /* The network is back: resumed, not signed in again. */
  w->proxy->refuse = FALSE;
  w->proxy->drop_down = FALSE;
  WAIT_UNTIL (messenger_account_get_state (w->alice) == MESSENGER_ACCOUNT_ONLINE);
  g_assert_true (messenger_account_get_resumed (w->alice));
  g_assert_true (messenger_account_get_client (w->alice) == client);
  g_assert_cmpuint (w->sessions_ended, ==, 0);
  /* The presence manager kept Bob's presence (the server does not send
   * it again), and the roster shows it. */
  g_assert_cmpint (xmpp_presence_manager_get_show (messenger_account_get_presence (w->alice), bob_jid, NULL),
                   ==, XMPP_SHOW_AVAILABLE);
  g_assert_true (messenger_contact_get_online (w->bob_contact));

  /* Presence goes on in the resumed session. */
  messenger_account_set_presence (w->bob, XMPP_SHOW_AWAY, "Back soon");
  WAIT_UNTIL (messenger_contact_get_show (w->bob_contact) == XMPP_SHOW_AWAY);
  WAIT_UNTIL (n_in_history (w, "During the gap") == 1);
  WAIT_UNTIL (state_of (w, "Just before the cut") == MESSENGER_DELIVERY_ACKED);
  WAIT_UNTIL (state_of (w, "Written during the gap") == MESSENGER_DELIVERY_ACKED
              && bob_got (w, "Written during the gap") == 1);
  test_run_for (500);
  test_store_flush (w->store);

  g_assert_cmpuint (w->bob_went_offline, ==, 0);
  g_assert_cmpuint (w->bob_unavailable, ==, 0);
  g_assert_cmpuint (w->rosters, ==, 1);
  /* No roster get, disco, carbons, archive query or initial presence. */
  g_assert_cmpuint (n_sent_setup (w), ==, 0);
  /* Exactly once everywhere. */
  g_assert_cmpuint (n_in_history (w, "During the gap"), ==, 1);
  g_assert_cmpuint (n_in_history (w, "Just before the cut"), ==, 1);
  g_assert_cmpuint (n_in_history (w, "Written during the gap"), ==, 1);
  /* The server had it (its <resumed h/> said so): not written again. */
  g_assert_cmpuint (n_sent_with_body (w, "Just before the cut"), ==, 0);
  g_assert_cmpuint (n_sent_with_body (w, "Written during the gap"), ==, 1);
  g_assert_cmpuint (bob_got (w, "Just before the cut"), ==, 1);
  g_assert_cmpuint (bob_got (w, "Written during the gap"), ==, 1);
  {
    g_autoptr(GPtrArray) pending = messenger_store_list_pending (w->store, w->account_id, NULL);

    g_assert_cmpuint (pending->len, ==, 0);
  }

  world_tear_down (w);
}

/* After the gap the session is gone (refused or expired): a fresh sign-in,
 * with the same outcome for the models. */
static void
check_fresh_session (World    *w,
                     gboolean  same_client)
{
  g_assert_false (messenger_account_get_resumed (w->alice));
  g_assert_cmpuint (w->sessions_ended, ==, 1);
  /* Nobody's presence survived the session; Bob's came again. */
  g_assert_cmpuint (w->bob_went_offline, >=, 1);
  WAIT_UNTIL (messenger_contact_get_online (w->bob_contact));
  g_assert_cmpuint (w->rosters, ==, 2);

  /* The message the server never had and the one written in the gap go
   * out once each in the new session. */
  WAIT_UNTIL (state_of (w, "Lost in the cut") == MESSENGER_DELIVERY_ACKED
              && state_of (w, "Written during the gap") == MESSENGER_DELIVERY_ACKED);
  WAIT_UNTIL (bob_got (w, "Lost in the cut") == 1 && bob_got (w, "Written during the gap") == 1);
  test_run_for (500);
  test_store_flush (w->store);
  if (same_client)
    {
      g_assert_cmpuint (n_sent_with_body (w, "Lost in the cut"), ==, 1);
      g_assert_cmpuint (n_sent_with_body (w, "Written during the gap"), ==, 1);
    }
  g_assert_cmpuint (bob_got (w, "Lost in the cut"), ==, 1);
  g_assert_cmpuint (bob_got (w, "Written during the gap"), ==, 1);
  g_assert_cmpuint (n_in_history (w, "Lost in the cut"), ==, 1);
  g_assert_cmpuint (n_in_history (w, "Written during the gap"), ==, 1);
  {
    g_autoptr(GPtrArray) pending = messenger_store_list_pending (w->store, w->account_id, NULL);

    g_assert_cmpuint (pending->len, ==, 0);
  }
}

/* A message the server never gets, then the cut; one composed in the gap. */
static void
lose_and_compose (World *w)
{
  w->proxy->drop_up = TRUE;
  g_free (messenger_conversation_send (w->with_bob, "Lost in the cut", NULL));
  WAIT_UNTIL (state_of (w, "Lost in the cut") == MESSENGER_DELIVERY_SENT);
  cut (w);
  w->proxy->drop_up = FALSE;
  g_assert_cmpuint (w->sessions_ended, ==, 0);
  g_assert_true (messenger_contact_get_online (w->bob_contact));

  g_free (messenger_conversation_send (w->with_bob, "Written during the gap", NULL));
  WAIT_UNTIL (state_of (w, "Written during the gap") == MESSENGER_DELIVERY_PENDING);
}

static void
test_refused (void)
{
  World world, *w = &world;
  XmppClient *client;

  world_set_up (w, NULL);
  client = w->client;
  lose_and_compose (w);

  /* The server restarts meanwhile: Alice's session is gone with it. */
  test_server_stop (&w->srv);
  test_server_start (&w->srv, w->srv.port);
  w->proxy->refuse = FALSE;

  WAIT_UNTIL (messenger_account_get_state (w->alice) == MESSENGER_ACCOUNT_ONLINE);
  /* Resumption was tried on the same client and refused. */
  g_assert_true (messenger_account_get_client (w->alice) == client);
  check_fresh_session (w, TRUE);

  world_tear_down (w);
}

static void
test_expired (void)
{
  World world, *w = &world;
  g_autofree char *config = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  fd = g_file_open_tmp ("messenger-resume-XXXXXX.ini", &config, &error);
  g_assert_no_error (error);
  g_close (fd, NULL);
  g_assert_true (g_file_set_contents (config, "[server]\nsm-max-resume=1\n", -1, &error));
  world_set_up (w, (const char *[]) { "--config", config, NULL });
  lose_and_compose (w);

  /* Longer than the server keeps the session. */
  test_run_for (1500);
  w->proxy->refuse = FALSE;
  WAIT_UNTIL (messenger_account_get_state (w->alice) == MESSENGER_ACCOUNT_ONLINE);
  /* Not resumed: signed in anew, on a new client. */
  g_assert_true (messenger_account_get_client (w->alice) != w->client);
  check_fresh_session (w, FALSE);

  world_tear_down (w);
  g_unlink (config);
}

int
main (int    argc,
      char **argv)
{
  test_init (&argc, &argv);

  g_test_add_func ("/resume/resumed", test_resumed);
  g_test_add_func ("/resume/refused", test_refused);
  g_test_add_func ("/resume/expired", test_expired);
  return g_test_run ();
}
