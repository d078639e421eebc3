/* test-receipts.c: message delivery receipts (XEP-0184) in the protocol
 * library: parsing, the request on what we send, when an answer is due,
 * and how receipts reach the application. */
#include "config.h"

#include "stream-pair.h"
#include "xmpp-message.h"
#include "xmpp-receipts.h"

#define BOB "bob@" FAKE_SERVER_DOMAIN

static XmppMessage *
parse (const char *xml)
{
  g_autoptr(XmppElement) stanza = NULL;
  g_autoptr(GError) error = NULL;
  XmppMessage *message;

  stanza = xmpp_element_parse (xml, -1, &error);
  g_assert_no_error (error);
  message = xmpp_message_parse (stanza, &error);
  g_assert_no_error (error);
  return message;
}

static void
test_parse (void)
{
  g_autoptr(XmppMessage) request = NULL;
  g_autoptr(XmppMessage) received = NULL;
  g_autoptr(XmppMessage) old_style = NULL;
  g_autoptr(XmppMessage) plain = NULL;

  request = parse ("<message xmlns='jabber:client' from='" BOB "/x' type='chat' id='m1'>"
                   "<body>hi</body><request xmlns='urn:xmpp:receipts'/></message>");
  g_assert_true (request->request_receipt);
  g_assert_null (request->receipt_id);

  received = parse ("<message xmlns='jabber:client' from='" BOB "/x' id='r1'>"
                    "<received xmlns='urn:xmpp:receipts' id='m7'/></message>");
  g_assert_false (received->request_receipt);
  g_assert_cmpstr (received->receipt_id, ==, "m7");

  /* Early versions of the XEP put the acknowledged id on the stanza. */
  old_style = parse ("<message xmlns='jabber:client' from='" BOB "/x' id='m8'>"
                     "<received xmlns='urn:xmpp:receipts'/></message>");
  g_assert_cmpstr (old_style->receipt_id, ==, "m8");

  plain = parse ("<message xmlns='jabber:client' from='" BOB "/x' id='m9'><body>x</body></message>");
  g_assert_false (plain->request_receipt);
  g_assert_null (plain->receipt_id);
}

static void
test_request_on_send (void)
{
  g_autoptr(XmppJid) bob = xmpp_jid_new (BOB, NULL);
  g_autoptr(XmppMessage) message = xmpp_message_new (XMPP_MESSAGE_CHAT, bob, "hello");
  g_autoptr(XmppMessage) notification = xmpp_message_new (XMPP_MESSAGE_CHAT, bob, NULL);
  g_autoptr(XmppElement) stanza = NULL;
  g_autoptr(XmppElement) bare = NULL;

  message->request_receipt = TRUE;
  stanza = xmpp_message_to_element (message);
  g_assert_nonnull (xmpp_element_find_child (stanza, XMPP_NS_RECEIPTS, "request"));
  /* The receipt will name the stanza id: it is the origin-id the store
   * keys on. */
  g_assert_cmpstr (xmpp_element_get_attribute (stanza, "id"), ==, message->origin_id);

  /* Nothing to acknowledge in a message without a body (§5.4). */
  notification->request_receipt = TRUE;
  notification->chat_state = XMPP_CHAT_STATE_COMPOSING;
  bare = xmpp_message_to_element (notification);
  g_assert_null (xmpp_element_find_child (bare, XMPP_NS_RECEIPTS, "request"));
}

static void
test_when_due (void)
{
  g_autoptr(XmppJid) own = xmpp_jid_new (STREAM_PAIR_JID, NULL);
  static const struct
  {
    const char     *xml;
    XmppMessageVia  via;
    gboolean        due;
  } cases[] = {
    { "<message xmlns='jabber:client' from='" BOB "/phone' type='chat' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, TRUE },
    { "<message xmlns='jabber:client' from='" BOB "/phone' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, TRUE },
    /* No request, no id: nothing to say or nothing to name. */
    { "<message xmlns='jabber:client' from='" BOB "/phone' type='chat' id='a'>"
      "<body>x</body></message>", XMPP_MESSAGE_VIA_STREAM, FALSE },
    { "<message xmlns='jabber:client' from='" BOB "/phone' type='chat'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, FALSE },
    /* §5.3: not for group chat, nor errors. */
    { "<message xmlns='jabber:client' from='room@muc." FAKE_SERVER_DOMAIN "/bob' type='groupchat' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, FALSE },
    { "<message xmlns='jabber:client' from='" BOB "/phone' type='error' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, FALSE },
    /* Copies: the device that got the original answers. */
    { "<message xmlns='jabber:client' from='" BOB "/phone' type='chat' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_CARBON_RECEIVED, FALSE },
    { "<message xmlns='jabber:client' from='" BOB "/phone' type='chat' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_ARCHIVE, FALSE },
    /* Ourselves, from another device; and our own server. */
    { "<message xmlns='jabber:client' from='" STREAM_PAIR_BARE "/laptop' type='chat' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, FALSE },
    { "<message xmlns='jabber:client' type='chat' id='a'>"
      "<body>x</body><request xmlns='urn:xmpp:receipts'/></message>", XMPP_MESSAGE_VIA_STREAM, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(XmppMessage) message = parse (cases[i].xml);
      g_autoptr(XmppElement) receipt = NULL;

      message->via = cases[i].via;
      g_test_message ("case %u", i);
      g_assert_cmpint (xmpp_receipts_is_due (message, own), ==, cases[i].due);
      receipt = xmpp_receipts_new_received (message, own);
      g_assert_cmpint (receipt != NULL, ==, cases[i].due);
      if (receipt != NULL)
        {
          XmppElement *received = xmpp_element_find_child (receipt, XMPP_NS_RECEIPTS, "received");

          /* To the full JID that asked, of the same type, naming its id,
           * and kept for a sender who went offline. */
          g_assert_cmpstr (xmpp_element_get_attribute (receipt, "to"), ==, BOB "/phone");
          g_assert_cmpstr (xmpp_element_get_attribute (receipt, "type"), ==,
                           xmpp_message_type_to_string (message->type));
          g_assert_nonnull (xmpp_element_get_attribute (receipt, "id"));
          g_assert_cmpstr (xmpp_element_get_attribute (receipt, "id"), !=, "a");
          g_assert_nonnull (received);
          g_assert_cmpstr (xmpp_element_get_attribute (received, "id"), ==, "a");
          g_assert_nonnull (xmpp_element_find_child (receipt, "urn:xmpp:hints", "store"));
          g_assert_null (xmpp_element_find_child (receipt, XMPP_NS_CLIENT, "body"));
        }
    }
}

static void
collect_cb (XmppMessenger *messenger,
            XmppMessage   *message,
            GPtrArray     *out)
{
  g_ptr_array_add (out, g_strdup_printf ("%s:%s", message->body ? message->body : "-",
                                         message->receipt_id ? message->receipt_id : "-"));
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

  fake_server_write (pair.fs, "<message from='" BOB "/x' type='chat' id='r1'>"
                              "<received xmlns='urn:xmpp:receipts' id='m1'/></message>"
                              "<message from='" BOB "/x' type='chat' id='m2'><body>hi</body>"
                              "<request xmlns='urn:xmpp:receipts'/></message>");
  WAIT_UNTIL (messages->len == 1 && notifications->len == 1);
  /* A lone receipt is a notification, not a message to show. */
  g_assert_cmpstr (notifications->pdata[0], ==, "-:m1");
  g_assert_cmpstr (messages->pdata[0], ==, "hi:-");

  g_clear_object (&messenger);
  stream_pair_close (&pair);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/receipts/parse", test_parse);
  g_test_add_func ("/receipts/request-on-send", test_request_on_send);
  g_test_add_func ("/receipts/when-due", test_when_due);
  g_test_add_func ("/receipts/signals", test_signals);

  return g_test_run ();
}
