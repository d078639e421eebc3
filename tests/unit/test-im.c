/* test-im.c: the IM feature modules (roster, presence, messages, disco,
 * registration) over a connected XmppClient whose server side is scripted
 * by the test through a socket pair. */
#include "config.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "xmpp-caps.h"
#include "xmpp-client.h"
#include "xmpp-disco.h"
#include "xmpp-message.h"
#include "xmpp-parser.h"
#include "xmpp-presence.h"
#include "xmpp-register.h"
#include "xmpp-roster.h"

#define DOMAIN   "example.org"
#define ME       "alice@" DOMAIN
#define ME_FULL  ME "/desk"

typedef struct
{
  XmppClient *client;
  GSocket    *peer;          /* the scripted server's end */
  XmppParser *parser;
  GPtrArray  *received;      /* XmppElement the client sent */
  GSource    *source;
} Fixture;

#define WAIT_UNTIL(cond) \
  G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC; \
    while (!(cond)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, _deadline); \
        g_main_context_iteration (NULL, TRUE); \
      } \
  } G_STMT_END

static void
peer_element_cb (XmppParser  *parser,
                 XmppElement *element,
                 gpointer     user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->received, xmpp_element_ref (element));
}

static void
peer_open_cb (XmppParser  *parser,
              XmppElement *header,
              gpointer     user_data)
{
}

static void
peer_close_cb (XmppParser *parser,
               gpointer    user_data)
{
}

static gboolean
peer_readable_cb (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  Fixture *f = user_data;
  char buf[4096];
  gssize n = g_socket_receive (socket, buf, sizeof buf, NULL, NULL);

  if (n <= 0)
    return G_SOURCE_REMOVE;
  g_assert_true (xmpp_parser_feed (f->parser, buf, n, NULL));
  return G_SOURCE_CONTINUE;
}

static void
peer_write (Fixture    *f,
            const char *xml)
{
  gsize len = strlen (xml);
  gsize done = 0;

  while (done < len)
    {
      gssize n = g_socket_send (f->peer, xml + done, len - done, NULL, NULL);
      g_assert_cmpint (n, >, 0);
      done += n;
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const XmppParserCallbacks callbacks = { peer_open_cb, peer_element_cb, peer_close_cb };
  g_autoptr(GSocket) mine = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(XmppJid) jid = xmpp_jid_new (ME_FULL, NULL);
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  mine = g_socket_new_from_fd (fds[0], NULL);
  f->peer = g_socket_new_from_fd (fds[1], NULL);
  g_socket_set_blocking (f->peer, FALSE);
  connection = g_socket_connection_factory_create_connection (mine);

  f->received = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
  f->parser = xmpp_parser_new (&callbacks, f);
  f->source = g_socket_create_source (f->peer, G_IO_IN, NULL);
  g_source_set_callback (f->source, (GSourceFunc) peer_readable_cb, f, NULL);
  g_source_attach (f->source, NULL);

  f->client = xmpp_client_new_for_stream (G_IO_STREAM (connection), jid);
  peer_write (f, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                 "xmlns:stream='http://etherx.jabber.org/streams' from='" DOMAIN "' "
                 "id='s1' version='1.0'>");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_source_destroy (f->source);
  g_source_unref (f->source);
  g_clear_object (&f->client);
  g_clear_object (&f->peer);
  xmpp_parser_free (f->parser);
  g_ptr_array_unref (f->received);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The first stanza the client sent with this name and attribute value. */
static XmppElement *
sent (Fixture    *f,
      const char *name,
      const char *attr,
      const char *value)
{
  for (guint i = 0; i < f->received->len; i++)
    {
      XmppElement *e = g_ptr_array_index (f->received, i);
      if (xmpp_element_is (e, NULL, name)
          && (attr == NULL || g_strcmp0 (xmpp_element_get_attribute (e, attr), value) == 0))
        return e;
    }
  return NULL;
}

/* ---- roster -------------------------------------------------------- */

static void
test_roster_item_parse (void)
{
  struct {
    const char *xml;
    gboolean    ok;
    GQuark      domain;
    int         code;
  } cases[] = {
    { "<item xmlns='jabber:iq:roster' jid='bob@example.org' name='Bob' subscription='both'><group>A</group><group>B</group></item>", TRUE },
    { "<item xmlns='jabber:iq:roster' jid='bob@example.org' ask='subscribe'/>", TRUE },
    { "<item xmlns='jabber:iq:roster' jid='bob@example.org'><group>A</group><group>A</group></item>", FALSE, 0, XMPP_STANZA_ERROR_BAD_REQUEST },
    { "<item xmlns='jabber:iq:roster' jid='bob@example.org'><group></group></item>", FALSE, 0, XMPP_STANZA_ERROR_NOT_ACCEPTABLE },
    { "<item xmlns='jabber:iq:roster' jid='bob@@example.org'/>", FALSE, 0, XMPP_STANZA_ERROR_JID_MALFORMED },
    { "<item xmlns='jabber:iq:roster'/>", FALSE, 0, XMPP_STANZA_ERROR_JID_MALFORMED },
    { "<item xmlns='jabber:iq:roster' jid='bob@example.org' subscription='maybe'/>", FALSE, 0, XMPP_STANZA_ERROR_BAD_REQUEST },
    { "<other xmlns='jabber:iq:roster' jid='bob@example.org'/>", FALSE, 0, XMPP_STANZA_ERROR_BAD_REQUEST },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(XmppElement) element = xmpp_element_parse (cases[i].xml, -1, NULL);
      g_autoptr(XmppRosterItem) item = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (element);
      item = xmpp_roster_item_parse (element, &error);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (item);
        }
      else
        {
          g_assert_null (item);
          g_assert_error (error, XMPP_STANZA_ERROR, cases[i].code);
        }
    }

  {
    g_autoptr(XmppElement) element = xmpp_element_parse (cases[0].xml, -1, NULL);
    g_autoptr(XmppRosterItem) item = xmpp_roster_item_parse (element, NULL);
    g_autoptr(XmppElement) back = NULL;
    g_autofree char *xml = NULL;

    g_assert_cmpstr (item->name, ==, "Bob");
    g_assert_cmpint (item->subscription, ==, XMPP_SUBSCRIPTION_BOTH);
    g_assert_cmpuint (g_strv_length (item->groups), ==, 2);
    g_assert_false (item->ask);
    /* A roster set never carries the subscription state (RFC 6121 §2.1.2.5). */
    back = xmpp_roster_item_to_element (item);
    xml = xmpp_element_to_string (back);
    g_assert_cmpstr (xml, ==, "<item xmlns='jabber:iq:roster' jid='bob@example.org' name='Bob'>"
                              "<group>A</group><group>B</group></item>");
  }
}

typedef struct
{
  guint     pushes;
  char     *jid;
  char     *version;
  XmppSubscription subscription;
} PushLog;

static void
push_cb (XmppRoster     *roster,
         XmppRosterItem *item,
         const char     *version,
         PushLog        *log)
{
  log->pushes++;
  g_free (log->jid);
  g_free (log->version);
  log->jid = g_strdup (xmpp_jid_to_string (item->jid));
  log->version = g_strdup (version);
  log->subscription = item->subscription;
}

static void
test_roster_pushes (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(XmppRoster) roster = xmpp_roster_new (f->client);
  PushLog log = { 0 };
  XmppElement *reply;

  g_signal_connect (roster, "push", G_CALLBACK (push_cb), &log);

  /* From nobody (our server on our behalf): accepted and acknowledged. */
  peer_write (f, "<iq type='set' id='p1'><query xmlns='jabber:iq:roster' ver='v2'>"
                 "<item jid='bob@example.org' subscription='to'/></query></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "p1") != NULL);
  reply = sent (f, "iq", "id", "p1");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "type"), ==, "result");
  g_assert_cmpuint (log.pushes, ==, 1);
  g_assert_cmpstr (log.jid, ==, "bob@example.org");
  g_assert_cmpstr (log.version, ==, "v2");
  g_assert_cmpint (log.subscription, ==, XMPP_SUBSCRIPTION_TO);

  /* From our own bare JID: accepted. */
  peer_write (f, "<iq type='set' id='p2' from='" ME "'><query xmlns='jabber:iq:roster'>"
                 "<item jid='carol@example.org' subscription='remove'/></query></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "p2") != NULL);
  g_assert_cmpstr (xmpp_element_get_attribute (sent (f, "iq", "id", "p2"), "type"), ==, "result");
  g_assert_cmpuint (log.pushes, ==, 2);
  g_assert_cmpint (log.subscription, ==, XMPP_SUBSCRIPTION_REMOVE);

  /* From anyone else (RFC 6121 §2.1.6): refused, not signalled. */
  peer_write (f, "<iq type='set' id='p3' from='mallory@evil.example'><query xmlns='jabber:iq:roster'>"
                 "<item jid='mallory@evil.example' subscription='both'/></query></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "p3") != NULL);
  reply = sent (f, "iq", "id", "p3");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "type"), ==, "error");
  g_assert_nonnull (xmpp_element_find_child (xmpp_element_find_child (reply, NULL, "error"),
                                             XMPP_NS_STANZAS, "service-unavailable"));
  /* Nor from our own full JID: a push comes from the account, not a resource. */
  peer_write (f, "<iq type='set' id='p4' from='" ME "/other'><query xmlns='jabber:iq:roster'>"
                 "<item jid='x@example.org'/></query></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "p4") != NULL);
  g_assert_cmpstr (xmpp_element_get_attribute (sent (f, "iq", "id", "p4"), "type"), ==, "error");
  /* Two items in one push: bad-request. */
  peer_write (f, "<iq type='set' id='p5'><query xmlns='jabber:iq:roster'>"
                 "<item jid='a@example.org'/><item jid='b@example.org'/></query></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "p5") != NULL);
  reply = sent (f, "iq", "id", "p5");
  g_assert_nonnull (xmpp_element_find_child (xmpp_element_find_child (reply, NULL, "error"),
                                             XMPP_NS_STANZAS, "bad-request"));
  g_assert_cmpuint (log.pushes, ==, 2);

  g_free (log.jid);
  g_free (log.version);
}

typedef struct
{
  gboolean   done;
  GPtrArray *items;
  char      *version;
  gboolean   unchanged;
  GError    *error;
} FetchResult;

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  FetchResult *r = user_data;

  r->items = xmpp_roster_fetch_finish (XMPP_ROSTER (source), result, &r->version, &r->unchanged, &r->error);
  r->done = TRUE;
}

static void
test_roster_fetch (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(XmppRoster) roster = xmpp_roster_new (f->client);
  FetchResult r = { 0 };
  XmppElement *get;
  const char *id;
  g_autofree char *reply = NULL;

  xmpp_roster_fetch_async (roster, NULL, NULL, fetch_cb, &r);
  WAIT_UNTIL (sent (f, "iq", "type", "get") != NULL);
  get = sent (f, "iq", "type", "get");
  g_assert_nonnull (xmpp_element_find_child (get, XMPP_NS_ROSTER, "query"));
  id = xmpp_element_get_attribute (get, "id");
  /* One good item, one with a broken JID that must not cost the others. */
  reply = g_strdup_printf ("<iq type='result' id='%s' to='" ME_FULL "'><query xmlns='jabber:iq:roster' ver='7'>"
                           "<item jid='bob@example.org' name='Bob' subscription='both'><group>Friends</group></item>"
                           "<item jid='@broken'/>"
                           "<item jid='carol@example.org' ask='subscribe'/></query></iq>", id);
  peer_write (f, reply);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_false (r.unchanged);
  g_assert_cmpstr (r.version, ==, "7");
  g_assert_cmpuint (r.items->len, ==, 2);
  g_assert_true (((XmppRosterItem *) g_ptr_array_index (r.items, 1))->ask);
  g_ptr_array_unref (r.items);
  g_free (r.version);
}

/* ---- presence ------------------------------------------------------ */

typedef struct
{
  guint changed;
  guint subscriptions;
  XmppPresenceType last_subscription;
  char *last_from;
} PresenceLog;

static void
changed_cb (XmppPresenceManager *manager,
            XmppJid             *bare,
            PresenceLog         *log)
{
  g_assert_true (xmpp_jid_is_bare (bare));
  log->changed++;
}

static void
subscription_cb (XmppPresenceManager *manager,
                 XmppJid             *from,
                 XmppPresenceType     type,
                 PresenceLog         *log)
{
  log->subscriptions++;
  log->last_subscription = type;
  g_free (log->last_from);
  log->last_from = g_strdup (xmpp_jid_to_string (from));
}

static void
test_presence_aggregation (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(XmppPresenceManager) manager = xmpp_presence_manager_new (f->client, NULL);
  g_autoptr(XmppJid) bob = xmpp_jid_new ("bob@example.org", NULL);
  g_autoptr(GPtrArray) resources = NULL;
  PresenceLog log = { 0 };
  const char *status = NULL;

  g_signal_connect (manager, "changed", G_CALLBACK (changed_cb), &log);
  g_signal_connect (manager, "subscription", G_CALLBACK (subscription_cb), &log);

  g_assert_cmpint (xmpp_presence_manager_get_show (manager, bob, &status), ==, XMPP_SHOW_OFFLINE);

  peer_write (f, "<presence from='bob@example.org/phone'><show>away</show><status>Walking</status>"
                 "<priority>5</priority></presence>"
                 "<presence from='bob@example.org/desk'><show>chat</show><priority>1</priority></presence>");
  WAIT_UNTIL (log.changed >= 2);
  /* The highest priority wins, even when another resource is more reachable. */
  g_assert_cmpint (xmpp_presence_manager_get_show (manager, bob, &status), ==, XMPP_SHOW_AWAY);
  g_assert_cmpstr (status, ==, "Walking");
  resources = xmpp_presence_manager_get_resources (manager, bob);
  g_assert_cmpuint (resources->len, ==, 2);
  g_clear_pointer (&resources, g_ptr_array_unref);

  /* An update of the same resource replaces it. */
  peer_write (f, "<presence from='bob@example.org/phone'><show>dnd</show><priority>5</priority></presence>");
  WAIT_UNTIL (log.changed >= 3);
  g_assert_cmpint (xmpp_presence_manager_get_show (manager, bob, &status), ==, XMPP_SHOW_DND);
  g_assert_null (status);
  resources = xmpp_presence_manager_get_resources (manager, bob);
  g_assert_cmpuint (resources->len, ==, 2);
  g_clear_pointer (&resources, g_ptr_array_unref);

  /* Equal priorities: the more reachable show wins. */
  peer_write (f, "<presence from='bob@example.org/phone' type='unavailable'/>"
                 "<presence from='bob@example.org/tablet'><show>xa</show><priority>1</priority></presence>");
  WAIT_UNTIL (log.changed >= 5);
  g_assert_cmpint (xmpp_presence_manager_get_show (manager, bob, NULL), ==, XMPP_SHOW_CHAT);

  /* Unavailable from the bare JID: every resource is gone. */
  peer_write (f, "<presence from='bob@example.org' type='unavailable'/>");
  WAIT_UNTIL (log.changed >= 6);
  g_assert_cmpint (xmpp_presence_manager_get_show (manager, bob, NULL), ==, XMPP_SHOW_OFFLINE);
  resources = xmpp_presence_manager_get_resources (manager, bob);
  g_assert_cmpuint (resources->len, ==, 0);

  /* Subscription requests are reported from the bare JID. */
  peer_write (f, "<presence from='carol@example.org/x' type='subscribe'/>");
  WAIT_UNTIL (log.subscriptions == 1);
  g_assert_cmpint (log.last_subscription, ==, XMPP_PRESENCE_SUBSCRIBE);
  g_assert_cmpstr (log.last_from, ==, "carol@example.org");
  g_free (log.last_from);
}

static void
test_presence_outgoing (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(XmppDisco) disco = xmpp_disco_new (f->client, "client", "pc", "Messenger");
  g_autoptr(XmppPresenceManager) manager = xmpp_presence_manager_new (f->client, disco);
  g_autoptr(XmppJid) bob = xmpp_jid_new ("bob@example.org/phone", NULL);
  XmppElement *p, *c;

  xmpp_presence_manager_set_own (manager, XMPP_SHOW_AWAY, "Back soon", 3);
  WAIT_UNTIL (sent (f, "presence", NULL, NULL) != NULL);
  p = sent (f, "presence", NULL, NULL);
  g_assert_null (xmpp_element_get_attribute (p, "to"));
  g_assert_null (xmpp_element_get_attribute (p, "type"));
  g_assert_cmpstr (xmpp_element_find_child_text (p, NULL, "show"), ==, "away");
  g_assert_cmpstr (xmpp_element_find_child_text (p, NULL, "status"), ==, "Back soon");
  g_assert_cmpstr (xmpp_element_find_child_text (p, NULL, "priority"), ==, "3");
  c = xmpp_element_find_child (p, XMPP_NS_CAPS, "c");
  g_assert_nonnull (c);
  g_assert_cmpstr (xmpp_element_get_attribute (c, "ver"), ==, xmpp_disco_get_caps_ver (disco));

  /* Subscription stanzas go to the bare JID. */
  xmpp_presence_manager_send_type (manager, bob, XMPP_PRESENCE_SUBSCRIBE);
  WAIT_UNTIL (sent (f, "presence", "type", "subscribe") != NULL);
  g_assert_cmpstr (xmpp_element_get_attribute (sent (f, "presence", "type", "subscribe"), "to"), ==,
                   "bob@example.org");

  xmpp_presence_manager_set_own (manager, XMPP_SHOW_OFFLINE, NULL, 0);
  WAIT_UNTIL (sent (f, "presence", "type", "unavailable") != NULL);
}

/* ---- messages ------------------------------------------------------ */

static void
test_message_parse (void)
{
  g_autoptr(XmppElement) stanza = NULL;
  g_autoptr(XmppMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stamp = NULL;

  stanza = xmpp_element_parse ("<message xmlns='jabber:client' from='bob@example.org/phone' to='alice@example.org'"
                               " type='chat' id='m1' xml:lang='de'>"
                               "<body xml:lang='en'>Hello</body><body>Hallo</body>"
                               "<subject>Gruß</subject>"
                               "<thread parent='t0'>t1</thread>"
                               "<origin-id xmlns='urn:xmpp:sid:0' id='o1'/>"
                               "<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='alice@example.org'/>"
                               "<delay xmlns='urn:xmpp:delay' from='example.org' stamp='2026-01-02T03:04:05Z'/>"
                               "<unknown xmlns='urn:x:y'/></message>", -1, &error);
  g_assert_no_error (error);
  message = xmpp_message_parse (stanza, &error);
  g_assert_no_error (error);
  g_assert_cmpint (message->type, ==, XMPP_MESSAGE_CHAT);
  /* The body in the stanza's own language (RFC 6121 §5.2.3). */
  g_assert_cmpstr (message->body, ==, "Hallo");
  g_assert_cmpstr (message->lang, ==, "de");
  g_assert_cmpstr (message->subject, ==, "Gruß");
  g_assert_cmpstr (message->thread, ==, "t1");
  g_assert_cmpstr (message->parent_thread, ==, "t0");
  g_assert_cmpstr (message->origin_id, ==, "o1");
  g_assert_cmpstr (message->stanza_id, ==, "s1");
  g_assert_cmpstr (message->stanza_id_by, ==, "alice@example.org");
  g_assert_nonnull (message->delay);
  stamp = g_date_time_format_iso8601 (message->delay);
  g_assert_cmpstr (stamp, ==, "2026-01-02T03:04:05Z");
  g_assert_cmpstr (xmpp_jid_to_string (message->from), ==, "bob@example.org/phone");
}

static void
test_message_error_and_types (void)
{
  g_autoptr(XmppElement) stanza = NULL;
  g_autoptr(XmppMessage) message = NULL;
  XmppMessageType type;

  stanza = xmpp_element_parse ("<message xmlns='jabber:client' from='bob@example.org' type='error' id='m2'>"
                               "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                               "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Nobody here</text></error></message>",
                               -1, NULL);
  message = xmpp_message_parse (stanza, NULL);
  g_assert_cmpint (message->type, ==, XMPP_MESSAGE_ERROR);
  g_assert_error (message->error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE);

  /* An unknown type is "normal" (RFC 6121 §5.2.2). */
  g_assert_false (xmpp_message_type_from_string ("shout", &type));
  g_assert_cmpint (type, ==, XMPP_MESSAGE_NORMAL);
  g_assert_true (xmpp_message_type_from_string (NULL, &type));
  g_assert_cmpint (type, ==, XMPP_MESSAGE_NORMAL);
}

static void
test_message_build (void)
{
  g_autoptr(XmppJid) bob = xmpp_jid_new ("bob@example.org", NULL);
  g_autoptr(XmppMessage) message = xmpp_message_new (XMPP_MESSAGE_CHAT, bob, "1 < 2 & 3");
  g_autoptr(XmppElement) stanza = NULL;
  g_autoptr(XmppElement) reparsed = NULL;
  g_autoptr(XmppMessage) back = NULL;
  g_autofree char *xml = NULL;

  message->thread = g_strdup ("t9");
  message->parent_thread = g_strdup ("t8");
  stanza = xmpp_message_to_element (message);
  /* An origin-id is always added and doubles as the stanza id. */
  g_assert_nonnull (message->origin_id);
  g_assert_cmpstr (message->id, ==, message->origin_id);
  xml = xmpp_element_to_string (stanza);
  reparsed = xmpp_element_parse (xml, -1, NULL);
  back = xmpp_message_parse (reparsed, NULL);
  g_assert_cmpstr (back->body, ==, "1 < 2 & 3");
  g_assert_cmpstr (back->thread, ==, "t9");
  g_assert_cmpstr (back->parent_thread, ==, "t8");
  g_assert_cmpstr (back->origin_id, ==, message->origin_id);
  g_assert_cmpstr (xmpp_jid_to_string (back->to), ==, "bob@example.org");
}

static void
message_cb (XmppMessenger *messenger,
            XmppMessage   *message,
            GPtrArray     *bodies)
{
  g_ptr_array_add (bodies, g_strdup (message->body ? message->body : "(none)"));
}

static void
test_messenger_signals (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(XmppMessenger) messenger = xmpp_messenger_new (f->client);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (messenger, "message", G_CALLBACK (message_cb), bodies);
  /* A chat-state-only message is not a message to show. */
  peer_write (f, "<message from='bob@example.org/x' type='chat'>"
                 "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>"
                 "<message from='bob@example.org/x' type='chat'><body>one</body></message>"
                 "<message from='bob@example.org/x' type='chat'><thread>t</thread></message>"
                 "<message from='bob@example.org/x' type='chat'><body>two</body></message>");
  WAIT_UNTIL (bodies->len == 3);
  g_assert_cmpstr (g_ptr_array_index (bodies, 0), ==, "one");
  g_assert_cmpstr (g_ptr_array_index (bodies, 1), ==, "(none)");
  g_assert_cmpstr (g_ptr_array_index (bodies, 2), ==, "two");
}

/* ---- disco and caps ------------------------------------------------ */

static void
test_disco_answers (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(XmppDisco) disco = xmpp_disco_new (f->client, "client", "pc", "Messenger");
  g_autofree char *request = NULL;
  g_autofree char *ver = NULL;
  XmppElement *reply, *query;

  xmpp_disco_add_feature (disco, "urn:xmpp:receipts");
  peer_write (f, "<iq type='get' id='d1' from='bob@example.org/x'>"
                 "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "d1") != NULL);
  reply = sent (f, "iq", "id", "d1");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "type"), ==, "result");
  g_assert_cmpstr (xmpp_element_get_attribute (reply, "to"), ==, "bob@example.org/x");
  query = xmpp_element_find_child (reply, XMPP_NS_DISCO_INFO, "query");
  g_assert_nonnull (query);
  g_assert_nonnull (xmpp_element_find_child (query, NULL, "identity"));

  /* The advertised ver is the hash of what we answer (XEP-0115 §5). */
  ver = xmpp_caps_compute_ver (query, "sha-1", NULL);
  g_assert_cmpstr (ver, ==, xmpp_disco_get_caps_ver (disco));

  /* node#ver is answered with the same information ... */
  request = g_strdup_printf ("<iq type='get' id='d2' from='bob@example.org/x'>"
                             "<query xmlns='http://jabber.org/protocol/disco#info' node='%s#%s'/></iq>",
                             XMPP_CAPS_NODE, ver);
  peer_write (f, request);
  WAIT_UNTIL (sent (f, "iq", "id", "d2") != NULL);
  query = xmpp_element_find_child (sent (f, "iq", "id", "d2"), XMPP_NS_DISCO_INFO, "query");
  g_assert_nonnull (query);
  g_assert_cmpstr (xmpp_element_get_attribute (query, "node"), ==,
                   xmpp_element_get_attribute (xmpp_element_find_child (sent (f, "iq", "id", "d2"),
                                                                        XMPP_NS_DISCO_INFO, "query"), "node"));
  /* ... and an unknown node is item-not-found. */
  peer_write (f, "<iq type='get' id='d3' from='bob@example.org/x'>"
                 "<query xmlns='http://jabber.org/protocol/disco#info' node='urn:nope'/></iq>");
  WAIT_UNTIL (sent (f, "iq", "id", "d3") != NULL);
  reply = sent (f, "iq", "id", "d3");
  g_assert_nonnull (xmpp_element_find_child (xmpp_element_find_child (reply, NULL, "error"),
                                             XMPP_NS_STANZAS, "item-not-found"));
}

/* ---- registration -------------------------------------------------- */

typedef struct
{
  gboolean          done;
  XmppRegisterForm *form;
  gboolean          ok;
  GError           *error;
} RegisterResult;

static void
form_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  RegisterResult *r = user_data;
  r->form = xmpp_register_fetch_form_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
bool_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  RegisterResult *r = user_data;
  GTask *task = G_TASK (result);

  if (g_task_get_source_tag (task) == xmpp_register_submit_async)
    r->ok = xmpp_register_submit_finish (XMPP_CLIENT (source), result, &r->error);
  else if (g_task_get_source_tag (task) == xmpp_register_change_password_async)
    r->ok = xmpp_register_change_password_finish (XMPP_CLIENT (source), result, &r->error);
  else
    r->ok = xmpp_register_cancel_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static const char *
last_iq_id (Fixture *f)
{
  for (guint i = f->received->len; i > 0; i--)
    {
      XmppElement *e = g_ptr_array_index (f->received, i - 1);
      if (xmpp_element_is (e, NULL, "iq"))
        return xmpp_element_get_attribute (e, "id");
    }
  return NULL;
}

static void
test_registration (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  RegisterResult r = { 0 };
  g_autofree char *reply = NULL;
  XmppElement *query;
  guint n;

  xmpp_register_fetch_form_async (f->client, NULL, form_cb, &r);
  WAIT_UNTIL (f->received->len == 1);
  g_assert_cmpstr (xmpp_element_get_attribute (g_ptr_array_index (f->received, 0), "to"), ==, DOMAIN);
  reply = g_strdup_printf ("<iq type='result' id='%s' from='" DOMAIN "'><query xmlns='jabber:iq:register'>"
                           "<instructions>Choose a name</instructions><username/><password/><email/>"
                           "</query></iq>", last_iq_id (f));
  peer_write (f, reply);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.form->instructions, ==, "Choose a name");
  g_assert_cmpuint (g_strv_length (r.form->fields), ==, 3);
  g_assert_cmpstr (r.form->fields[2], ==, "email");
  g_assert_false (r.form->registered);
  g_clear_pointer (&r.form, xmpp_register_form_free);

  /* A taken name comes back as conflict. */
  memset (&r, 0, sizeof r);
  g_hash_table_insert (fields, (gpointer) "username", (gpointer) "alice");
  g_hash_table_insert (fields, (gpointer) "password", (gpointer) "pw");
  n = f->received->len;
  xmpp_register_submit_async (f->client, fields, NULL, bool_cb, &r);
  WAIT_UNTIL (f->received->len == n + 1);
  query = xmpp_element_find_child (g_ptr_array_index (f->received, n), XMPP_NS_REGISTER, "query");
  g_assert_cmpstr (xmpp_element_find_child_text (query, NULL, "username"), ==, "alice");
  g_assert_cmpstr (xmpp_element_find_child_text (query, NULL, "password"), ==, "pw");
  g_free (reply);
  reply = g_strdup_printf ("<iq type='error' id='%s' from='" DOMAIN "'><error type='cancel'>"
                           "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", last_iq_id (f));
  peer_write (f, reply);
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_error (r.error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_CONFLICT);
  g_clear_error (&r.error);

  /* Changing the password sends our user name and the new password. */
  memset (&r, 0, sizeof r);
  n = f->received->len;
  xmpp_register_change_password_async (f->client, "n3w", NULL, bool_cb, &r);
  WAIT_UNTIL (f->received->len == n + 1);
  query = xmpp_element_find_child (g_ptr_array_index (f->received, n), XMPP_NS_REGISTER, "query");
  g_assert_cmpstr (xmpp_element_find_child_text (query, NULL, "username"), ==, "alice");
  g_assert_cmpstr (xmpp_element_find_child_text (query, NULL, "password"), ==, "n3w");
  g_free (reply);
  reply = g_strdup_printf ("<iq type='result' id='%s' from='" DOMAIN "'/>", last_iq_id (f));
  peer_write (f, reply);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);

  /* Cancelling sends <remove/>. */
  memset (&r, 0, sizeof r);
  n = f->received->len;
  xmpp_register_cancel_async (f->client, NULL, bool_cb, &r);
  WAIT_UNTIL (f->received->len == n + 1);
  query = xmpp_element_find_child (g_ptr_array_index (f->received, n), XMPP_NS_REGISTER, "query");
  g_assert_nonnull (xmpp_element_find_child (query, NULL, "remove"));
  g_free (reply);
  reply = g_strdup_printf ("<iq type='result' id='%s'/>", last_iq_id (f));
  peer_write (f, reply);
  WAIT_UNTIL (r.done);
  g_assert_true (r.ok);

  /* A server may close the stream instead of answering (XEP-0077 §3.2,
   * ejabberd does): that is a success too. */
  memset (&r, 0, sizeof r);
  n = f->received->len;
  xmpp_register_cancel_async (f->client, NULL, bool_cb, &r);
  WAIT_UNTIL (f->received->len == n + 1);
  peer_write (f, "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                 "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>User removed</text>"
                 "</stream:error></stream:stream>");
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/im/roster/item-parse", test_roster_item_parse);
  g_test_add ("/im/roster/pushes", Fixture, NULL, fixture_setup, test_roster_pushes, fixture_teardown);
  g_test_add ("/im/roster/fetch", Fixture, NULL, fixture_setup, test_roster_fetch, fixture_teardown);
  g_test_add ("/im/presence/aggregation", Fixture, NULL, fixture_setup, test_presence_aggregation, fixture_teardown);
  g_test_add ("/im/presence/outgoing", Fixture, NULL, fixture_setup, test_presence_outgoing, fixture_teardown);
  g_test_add_func ("/im/message/parse", test_message_parse);
  g_test_add_func ("/im/message/error-and-types", test_message_error_and_types);
  g_test_add_func ("/im/message/build", test_message_build);
  g_test_add ("/im/message/signals", Fixture, NULL, fixture_setup, test_messenger_signals, fixture_teardown);
  g_test_add ("/im/disco/answers", Fixture, NULL, fixture_setup, test_disco_answers, fixture_teardown);
  g_test_add ("/im/register", Fixture, NULL, fixture_setup, test_registration, fixture_teardown);

  return g_test_run ();
}
