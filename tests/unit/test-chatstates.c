/* test-chatstates.c: chat state notifications (XEP-0085) in the protocol
 * library: names, parsing, what goes out, and how they reach the
 * application. */
#include "config.h"

#include "stream-pair.h"
#include "xmpp-chatstates.h"
#include "xmpp-message.h"

#define BOB "bob@" FAKE_SERVER_DOMAIN

static void
test_names (void)
{
  for (XmppChatState state = XMPP_CHAT_STATE_ACTIVE; state <= XMPP_CHAT_STATE_GONE; state++)
    g_assert_cmpint (xmpp_chat_state_from_string (xmpp_chat_state_to_string (state)), ==, state);
  g_assert_null (xmpp_chat_state_to_string (XMPP_CHAT_STATE_NONE));
  g_assert_cmpint (xmpp_chat_state_from_string ("typing"), ==, XMPP_CHAT_STATE_NONE);
  g_assert_cmpint (xmpp_chat_state_from_string (NULL), ==, XMPP_CHAT_STATE_NONE);
}

static XmppChatState
parse_state (const char *xml)
{
  g_autoptr(XmppElement) stanza = xmpp_element_parse (xml, -1, NULL);
  g_autoptr(XmppMessage) message = NULL;

  g_assert_nonnull (stanza);
  message = xmpp_message_parse (stanza, NULL);
  g_assert_nonnull (message);
  g_assert_cmpint (message->chat_state, ==, xmpp_chat_state_parse (stanza));
  return message->chat_state;
}

static void
test_parse (void)
{
  g_assert_cmpint (parse_state ("<message xmlns='jabber:client' type='chat'><body>x</body>"
                                "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"),
                   ==, XMPP_CHAT_STATE_ACTIVE);
  g_assert_cmpint (parse_state ("<message xmlns='jabber:client' type='chat'>"
                                "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"),
                   ==, XMPP_CHAT_STATE_COMPOSING);
  /* Unknown names in the namespace are skipped. */
  g_assert_cmpint (parse_state ("<message xmlns='jabber:client' type='chat'>"
                                "<dancing xmlns='http://jabber.org/protocol/chatstates'/>"
                                "<gone xmlns='http://jabber.org/protocol/chatstates'/></message>"),
                   ==, XMPP_CHAT_STATE_GONE);
  /* The right name in another namespace is not a chat state. */
  g_assert_cmpint (parse_state ("<message xmlns='jabber:client' type='chat'>"
                                "<paused xmlns='urn:example:other'/></message>"),
                   ==, XMPP_CHAT_STATE_NONE);
  g_assert_cmpint (parse_state ("<message xmlns='jabber:client' type='chat'><body>x</body></message>"),
                   ==, XMPP_CHAT_STATE_NONE);
}

static void
test_build (void)
{
  g_autoptr(XmppJid) bob = xmpp_jid_new (BOB, NULL);
  g_autoptr(XmppMessage) notification = xmpp_message_new (XMPP_MESSAGE_CHAT, bob, NULL);
  g_autoptr(XmppMessage) message = xmpp_message_new (XMPP_MESSAGE_CHAT, bob, "hi");
  g_autoptr(XmppElement) stanza = NULL;
  g_autoptr(XmppElement) with_body = NULL;

  /* A standalone notification: the state, the no-store hint, an id, and
   * none of what a stored message carries. */
  notification->chat_state = XMPP_CHAT_STATE_COMPOSING;
  stanza = xmpp_message_to_element (notification);
  g_assert_nonnull (xmpp_element_find_child (stanza, XMPP_NS_CHAT_STATES, "composing"));
  g_assert_nonnull (xmpp_element_find_child (stanza, XMPP_NS_HINTS, "no-store"));
  g_assert_null (xmpp_element_find_child (stanza, XMPP_NS_CLIENT, "body"));
  g_assert_null (xmpp_element_find_child (stanza, XMPP_NS_SID, "origin-id"));
  g_assert_nonnull (xmpp_element_get_attribute (stanza, "id"));
  g_assert_cmpstr (xmpp_element_get_attribute (stanza, "type"), ==, "chat");

  /* On a message it rides along; the message is stored as usual. */
  message->chat_state = XMPP_CHAT_STATE_ACTIVE;
  with_body = xmpp_message_to_element (message);
  g_assert_nonnull (xmpp_element_find_child (with_body, XMPP_NS_CHAT_STATES, "active"));
  g_assert_null (xmpp_element_find_child (with_body, XMPP_NS_HINTS, "no-store"));
  g_assert_nonnull (xmpp_element_find_child (with_body, XMPP_NS_SID, "origin-id"));
}

static void
collect_cb (XmppMessenger *messenger,
            XmppMessage   *message,
            GPtrArray     *out)
{
  g_ptr_array_add (out, g_strdup_printf ("%s:%s", message->body ? message->body : "-",
                                         message->chat_state != XMPP_CHAT_STATE_NONE
                                         ? xmpp_chat_state_to_string (message->chat_state) : "-"));
}

static void
test_signals (void)
{
  StreamPair pair;
  g_autoptr(XmppMessenger) messenger = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) notifications = g_ptr_array_new_with_free_func (g_free);

  stream_pair_open (&pair, NULL);
  messenger = xmpp_messenger_new (pair.client);
  g_signal_connect (messenger, "message", G_CALLBACK (collect_cb), messages);
  g_signal_connect (messenger, "notification", G_CALLBACK (collect_cb), notifications);

  fake_server_write (pair.fs, "<message from='" BOB "/x' type='chat'>"
                              "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
                              "<message from='" BOB "/x' type='chat'>"
                              "<paused xmlns='http://jabber.org/protocol/chatstates'/>"
                              "<no-store xmlns='urn:xmpp:hints'/></message>"
                              "<message from='" BOB "/x' type='chat'><body>done</body>"
                              "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"
                              /* neither: for other handlers */
                              "<message from='" BOB "/x' type='chat'><x xmlns='urn:example'/></message>"
                              "<message from='" BOB "/x' type='chat'><body>last</body></message>");
  WAIT_UNTIL (messages->len == 2);
  g_assert_cmpuint (notifications->len, ==, 2);
  g_assert_cmpstr (notifications->pdata[0], ==, "-:composing");
  g_assert_cmpstr (notifications->pdata[1], ==, "-:paused");
  g_assert_cmpstr (messages->pdata[0], ==, "done:active");
  g_assert_cmpstr (messages->pdata[1], ==, "last:-");

  g_clear_object (&messenger);
  stream_pair_close (&pair);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatstates/names", test_names);
  g_test_add_func ("/chatstates/parse", test_parse);
  g_test_add_func ("/chatstates/build", test_build);
  g_test_add_func ("/chatstates/signals", test_signals);

  return g_test_run ();
}
