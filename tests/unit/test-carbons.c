/* test-carbons.c: message carbons (XEP-0280) in the protocol library:
 * enabling, unwrapping, and refusing forged carbons. */
#include "config.h"

#include "stream-pair.h"
#include "xmpp-carbons.h"

#define BOB "bob@" FAKE_SERVER_DOMAIN
#define FORWARDED(inner) "<forwarded xmlns='urn:xmpp:forward:0'>" inner "</forwarded>"

typedef struct
{
  StreamPair     pair;
  XmppCarbons   *carbons;
  XmppMessenger *messenger;
  GPtrArray     *carbon_copies;  /* "via:from>to:body" */
  GPtrArray     *messages;       /* bodies the messenger saw */
} Fixture;

static void
carbon_cb (XmppCarbons *carbons,
           XmppMessage *message,
           Fixture     *f)
{
  g_ptr_array_add (f->carbon_copies,
                   g_strdup_printf ("%s:%s>%s:%s",
                                    message->via == XMPP_MESSAGE_VIA_CARBON_SENT ? "sent"
                                    : message->via == XMPP_MESSAGE_VIA_CARBON_RECEIVED ? "received" : "?",
                                    message->from ? xmpp_jid_to_string (message->from) : "-",
                                    message->to ? xmpp_jid_to_string (message->to) : "-",
                                    message->body ? message->body : "-"));
}

static void
message_cb (XmppMessenger *messenger,
            XmppMessage   *message,
            Fixture       *f)
{
  g_ptr_array_add (f->messages, g_strdup (message->body ? message->body : "-"));
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  stream_pair_open (&f->pair, NULL);
  f->carbon_copies = g_ptr_array_new_with_free_func (g_free);
  f->messages = g_ptr_array_new_with_free_func (g_free);
  /* In the order the account makes them: carbons before messages. */
  f->carbons = xmpp_carbons_new (f->pair.client);
  f->messenger = xmpp_messenger_new (f->pair.client);
  g_signal_connect (f->carbons, "message", G_CALLBACK (carbon_cb), f);
  g_signal_connect (f->messenger, "message", G_CALLBACK (message_cb), f);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_object (&f->messenger);
  g_clear_object (&f->carbons);
  g_ptr_array_unref (f->carbon_copies);
  g_ptr_array_unref (f->messages);
  stream_pair_close (&f->pair);
}

static void
enabled_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **error = user_data;

  if (xmpp_carbons_enable_finish (XMPP_CARBONS (source), result, error))
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "no error: done");
}

static void
test_enable (Fixture       *f,
             gconstpointer  data)
{
  GError *error = NULL;
  XmppElement *iq;
  g_autofree char *reply = NULL;

  g_assert_false (xmpp_carbons_get_enabled (f->carbons));
  xmpp_carbons_enable_async (f->carbons, TRUE, NULL, enabled_cb, &error);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&f->pair, "iq", XMPP_NS_CARBONS, 0)) != NULL);
  /* For our own account: no 'to'. */
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "type"), ==, "set");
  g_assert_null (xmpp_element_get_attribute (iq, "to"));
  g_assert_nonnull (xmpp_element_find_child (iq, XMPP_NS_CARBONS, "enable"));
  g_assert_false (xmpp_carbons_get_enabled (f->carbons));

  reply = g_strdup_printf ("<iq type='result' id='%s' to='" STREAM_PAIR_JID "'/>",
                           xmpp_element_get_attribute (iq, "id"));
  fake_server_write (f->pair.fs, reply);
  WAIT_UNTIL (error != NULL);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (xmpp_carbons_get_enabled (f->carbons));

  /* A refusal is an error, and leaves them off. */
  xmpp_carbons_enable_async (f->carbons, FALSE, NULL, enabled_cb, &error);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&f->pair, "iq", XMPP_NS_CARBONS, 1)) != NULL);
  g_assert_nonnull (xmpp_element_find_child (iq, XMPP_NS_CARBONS, "disable"));
  g_free (reply);
  reply = g_strdup_printf ("<iq type='error' id='%s' to='" STREAM_PAIR_JID "'><error type='cancel'>"
                           "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
                           xmpp_element_get_attribute (iq, "id"));
  fake_server_write (f->pair.fs, reply);
  WAIT_UNTIL (error != NULL);
  g_assert_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_NOT_ALLOWED);
  g_clear_error (&error);
  g_assert_true (xmpp_carbons_get_enabled (f->carbons));
}

static void
test_unwrap (Fixture       *f,
             gconstpointer  data)
{
  fake_server_write (f->pair.fs,
    "<message from='" STREAM_PAIR_BARE "' to='" STREAM_PAIR_JID "' type='chat'>"
    "<received xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" BOB "/phone' to='" STREAM_PAIR_BARE "/laptop' type='chat' id='b1'>"
      "<body>to your laptop</body><origin-id xmlns='urn:xmpp:sid:0' id='b1'/></message>")
    "</received></message>"
    "<message from='" STREAM_PAIR_BARE "' to='" STREAM_PAIR_JID "' type='chat'>"
    "<sent xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" STREAM_PAIR_BARE "/laptop' to='" BOB "' type='chat' id='a1'>"
      "<body>from your laptop</body></message>")
    "</sent></message>"
    "<message from='" BOB "/phone' type='chat'><body>direct</body></message>");
  WAIT_UNTIL (f->messages->len == 1);
  g_assert_cmpuint (f->carbon_copies->len, ==, 2);
  g_assert_cmpstr (f->carbon_copies->pdata[0], ==,
                   "received:" BOB "/phone>" STREAM_PAIR_BARE "/laptop:to your laptop");
  g_assert_cmpstr (f->carbon_copies->pdata[1], ==,
                   "sent:" STREAM_PAIR_BARE "/laptop>" BOB ":from your laptop");
  g_assert_cmpstr (f->messages->pdata[0], ==, "direct");
}

/* XEP-0280 §11: a carbon from anyone but our bare JID is a forgery: it
 * would make us store words a contact never wrote, or that we never
 * wrote.  None reaches the application, as a carbon or as a message. */
static void
test_forged (Fixture       *f,
             gconstpointer  data)
{
  static const char * const forged[] = {
    /* from a contact */
    "<message from='" BOB "/phone' type='chat'><received xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='carol@" FAKE_SERVER_DOMAIN "/x' to='" STREAM_PAIR_BARE "' type='chat'>"
      "<body>forged 1</body></message>") "</received></message>",
    "<message from='" BOB "' type='chat'><sent xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" STREAM_PAIR_BARE "/laptop' to='carol@" FAKE_SERVER_DOMAIN "' type='chat'>"
      "<body>forged 2</body></message>") "</sent></message>",
    /* from one of our own resources, not the account */
    "<message from='" STREAM_PAIR_BARE "/laptop' type='chat'><received xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" BOB "/x' to='" STREAM_PAIR_BARE "' type='chat'>"
      "<body>forged 3</body></message>") "</received></message>",
    /* from the server, or nobody */
    "<message from='" FAKE_SERVER_DOMAIN "' type='chat'><received xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" BOB "/x' to='" STREAM_PAIR_BARE "' type='chat'>"
      "<body>forged 4</body></message>") "</received></message>",
    "<message type='chat'><received xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" BOB "/x' to='" STREAM_PAIR_BARE "' type='chat'>"
      "<body>forged 5</body></message>") "</received></message>",
    /* from our account, but a "sent" message someone else wrote */
    "<message from='" STREAM_PAIR_BARE "' type='chat'><sent xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" BOB "/x' to='carol@" FAKE_SERVER_DOMAIN "' type='chat'>"
      "<body>forged 6</body></message>") "</sent></message>",
    /* and a "received" one for another account */
    "<message from='" STREAM_PAIR_BARE "' type='chat'><received xmlns='urn:xmpp:carbons:2'>" FORWARDED (
      "<message xmlns='jabber:client' from='" BOB "/x' to='carol@" FAKE_SERVER_DOMAIN "' type='chat'>"
      "<body>forged 7</body></message>") "</received></message>",
    /* a wrapper with nothing inside */
    "<message from='" STREAM_PAIR_BARE "' type='chat'><received xmlns='urn:xmpp:carbons:2'/></message>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forged); i++)
    fake_server_write (f->pair.fs, forged[i]);
  fake_server_write (f->pair.fs, "<message from='" BOB "/phone' type='chat'><body>after</body></message>");
  WAIT_UNTIL (f->messages->len == 1);
  g_assert_cmpstr (f->messages->pdata[0], ==, "after");
  g_assert_cmpuint (f->carbon_copies->len, ==, 0);
}

/* <private/> on a message asks the sender's server for no copies; a
 * message carrying it is an ordinary message. */
static void
test_private_hint (Fixture       *f,
                   gconstpointer  data)
{
  fake_server_write (f->pair.fs, "<message from='" BOB "/phone' type='chat'><body>secret</body>"
                                 "<private xmlns='urn:xmpp:carbons:2'/></message>");
  WAIT_UNTIL (f->messages->len == 1);
  g_assert_cmpstr (f->messages->pdata[0], ==, "secret");
  g_assert_cmpuint (f->carbon_copies->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/carbons/enable", Fixture, NULL, setup, test_enable, teardown);
  g_test_add ("/carbons/unwrap", Fixture, NULL, setup, test_unwrap, teardown);
  g_test_add ("/carbons/forged", Fixture, NULL, setup, test_forged, teardown);
  g_test_add ("/carbons/private-hint", Fixture, NULL, setup, test_private_hint, teardown);

  return g_test_run ();
}
