/* test-parser.c: the XMPP stream parser, under any chunking and hostile input */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "xmpp-error.h"
#include "xmpp-parser.h"

#define STREAM_OPEN_C2S \
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " \
  "from='example.org' to='alice@example.org' id='r4nd0m3' version='1.0' xml:lang='en'>"

/* What the client receives after the final restart of a c2s negotiation. */
static const char transcript[] =
  "<?xml version='1.0'?>"
  STREAM_OPEN_C2S
  "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
  "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
  "<sm xmlns='urn:xmpp:sm:3'/><ver xmlns='urn:xmpp:features:rosterver'/></stream:features>\n"
  "<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
  "<jid>alice@example.org/laptop</jid></bind></iq>"
  "<iq type='result' id='r1' to='alice@example.org/laptop'>"
  "<query xmlns='jabber:iq:roster' ver='ver7'>"
  "<item jid='bob@example.net' name='Bob &amp; Co' subscription='both'><group>Friends</group><group>Work</group></item>"
  "<item jid='carol@example.com' subscription='to' ask='subscribe'/>"
  "</query></iq>\n  \n"
  "<presence from='bob@example.net/phone' xml:lang='de'>"
  "<show>away</show><status>Im Zug \xf0\x9f\x9a\x86 &lt;zur&#xfc;ck&gt; um 5</status><priority>5</priority>"
  "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://dino.im' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
  "</presence>"
  " "
  "<message from='bob@example.net/phone' to='alice@example.org' type='chat' id='m&#38;1'>"
  "<body>Hi Alice,\n  \"quoted\" &apos;single&apos; &amp; tabs\there\r\nCRLF<![CDATA[<not markup> & stuff]]> end</body>"
  "<thread parent='e0ffe42b28561960c6b12b944a092794b9683a38'>0e3141cd80894871a68e6fe6b1ec56fa</thread>"
  "<active xmlns='http://jabber.org/protocol/chatstates'/>"
  "<request xmlns='urn:xmpp:receipts'/>"
  "<stanza-id xmlns='urn:xmpp:sid:0' id='5f3dbc5e-e1d3-4077-a492-693f3769c7ad' by='alice@example.org'/>"
  "</message>"
  "<message to='alice@example.org/laptop' from='alice@example.org'>"
  "<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
  "<delay xmlns='urn:xmpp:delay' stamp='2024-01-01T10:00:00Z'/>"
  "<message xmlns='jabber:client' from='bob@example.net/phone' to='alice@example.org/desktop' type='chat'>"
  "<body>\xe4\xbd\xa0\xe5\xa5\xbd \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xc5\x99</body></message>"
  "</forwarded></received></message>"
  "<iq from='example.org' to='alice@example.org/laptop' id='ping1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
  "<r xmlns='urn:xmpp:sm:3'/>"
  "<x:unusual xmlns:x='urn:example:prefixed' x:attr='v' plain='p'><x:child>t</x:child><other/></x:unusual>"
  "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
  "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>Replaced by new connection</text></stream:error>"
  "</stream:stream>";

/* Recording parser events */

typedef struct
{
  XmppParser *parser;
  GPtrArray  *events;
  const char *reset_on;       /* reset from the element callback on this name */
  const char *free_on;        /* free the parser from the element callback on this name */
} Recorder;

static void
stream_open_cb (XmppParser  *parser,
                XmppElement *header,
                gpointer     user_data)
{
  Recorder *rec = user_data;
  GString *out = g_string_new ("open ");

  g_assert_true (parser == rec->parser);
  g_assert_cmpuint (xmpp_element_get_n_nodes (header), ==, 0);
  xmpp_element_serialize (header, out, NULL);
  g_ptr_array_add (rec->events, g_string_free (out, FALSE));
}

static void
element_cb (XmppParser  *parser,
            XmppElement *element,
            gpointer     user_data)
{
  Recorder *rec = user_data;
  GString *out = g_string_new ("element ");

  xmpp_element_serialize (element, out, NULL);
  g_ptr_array_add (rec->events, g_string_free (out, FALSE));

  if (rec->reset_on != NULL && g_strcmp0 (xmpp_element_get_name (element), rec->reset_on) == 0)
    xmpp_parser_reset (parser);
  if (rec->free_on != NULL && g_strcmp0 (xmpp_element_get_name (element), rec->free_on) == 0)
    {
      xmpp_parser_free (parser);
      rec->parser = NULL;
    }
}

static void
stream_close_cb (XmppParser *parser,
                 gpointer    user_data)
{
  Recorder *rec = user_data;

  g_ptr_array_add (rec->events, g_strdup ("close"));
}

static const XmppParserCallbacks recorder_callbacks = {
  stream_open_cb,
  element_cb,
  stream_close_cb,
};

static void
recorder_init (Recorder *rec)
{
  memset (rec, 0, sizeof *rec);
  rec->events = g_ptr_array_new_with_free_func (g_free);
  rec->parser = xmpp_parser_new (&recorder_callbacks, rec);
}

static void
recorder_clear (Recorder *rec)
{
  g_clear_pointer (&rec->parser, xmpp_parser_free);
  g_clear_pointer (&rec->events, g_ptr_array_unref);
}

/* Feed @data in chunks of the given sizes (cycled); stops at the first error. */
static gboolean
feed_chunked (XmppParser  *parser,
              const char  *data,
              gsize        len,
              gsize        chunk,
              GError     **error)
{
  for (gsize off = 0; off < len; off += chunk)
    if (!xmpp_parser_feed (parser, data + off, MIN (chunk, len - off), error))
      return FALSE;
  return TRUE;
}

static gboolean
feed_str (XmppParser  *parser,
          const char  *str,
          GError     **error)
{
  return xmpp_parser_feed (parser, str, strlen (str), error);
}

static void
assert_same_events (GPtrArray *expected,
                    GPtrArray *actual)
{
  g_assert_cmpuint (actual->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpstr (g_ptr_array_index (actual, i), ==, g_ptr_array_index (expected, i));
}

static GPtrArray *
record_whole (const char *data,
              gsize       len)
{
  Recorder rec;
  g_autoptr(GError) error = NULL;
  GPtrArray *events;

  recorder_init (&rec);
  g_assert_true (xmpp_parser_feed (rec.parser, data, len, &error));
  g_assert_no_error (error);
  events = g_ptr_array_ref (rec.events);
  recorder_clear (&rec);
  return events;
}

/* Resident and peak memory, in KiB, from /proc. */
static gsize
read_status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
}

/* Transcript and chunking */

static void
test_transcript_whole (void)
{
  g_autoptr(GPtrArray) events = record_whole (transcript, strlen (transcript));
  const char *msg;

  g_assert_cmpuint (events->len, ==, 12);
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==,
                   "open <stream xmlns='http://etherx.jabber.org/streams' from='example.org' "
                   "to='alice@example.org' id='r4nd0m3' version='1.0' xml:lang='en'/>");
  g_assert_cmpstr (g_ptr_array_index (events, 1), ==,
                   "element <features xmlns='http://etherx.jabber.org/streams'>"
                   "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                   "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
                   "<sm xmlns='urn:xmpp:sm:3'/><ver xmlns='urn:xmpp:features:rosterver'/></features>");
  g_assert_cmpstr (g_ptr_array_index (events, 3), ==,
                   "element <iq xmlns='jabber:client' type='result' id='r1' to='alice@example.org/laptop'>"
                   "<query xmlns='jabber:iq:roster' ver='ver7'>"
                   "<item jid='bob@example.net' name='Bob &amp; Co' subscription='both'>"
                   "<group>Friends</group><group>Work</group></item>"
                   "<item jid='carol@example.com' subscription='to' ask='subscribe'/></query></iq>");
  g_assert_cmpstr (g_ptr_array_index (events, 4), ==,
                   "element <presence xmlns='jabber:client' from='bob@example.net/phone' xml:lang='de'>"
                   "<show>away</show><status>Im Zug \xf0\x9f\x9a\x86 &lt;zur\xc3\xbc" "ck&gt; um 5</status>"
                   "<priority>5</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                   "node='https://dino.im' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>");
  msg = g_ptr_array_index (events, 5);
  g_assert_true (g_str_has_prefix (msg, "element <message xmlns='jabber:client' from='bob@example.net/phone' "
                                   "to='alice@example.org' type='chat' id='m&amp;1'><body>Hi Alice,\n  \"quoted\" "
                                   "'single' &amp; tabs\there\nCRLF&lt;not markup&gt; &amp; stuff end</body>"));
  g_assert_cmpstr (g_ptr_array_index (events, 9), ==,
                   "element <unusual xmlns='urn:example:prefixed' xmlns:a0='urn:example:prefixed' a0:attr='v' "
                   "plain='p'><child>t</child><other xmlns='jabber:client'/></unusual>");
  g_assert_cmpstr (g_ptr_array_index (events, 11), ==, "close");
}

static void
test_transcript_bytewise (void)
{
  g_autoptr(GPtrArray) expected = record_whole (transcript, strlen (transcript));
  g_autoptr(GError) error = NULL;
  Recorder rec;

  recorder_init (&rec);
  g_assert_true (feed_chunked (rec.parser, transcript, strlen (transcript), 1, &error));
  g_assert_no_error (error);
  assert_same_events (expected, rec.events);
  recorder_clear (&rec);
}

static void
test_transcript_random_chunks (void)
{
  g_autoptr(GPtrArray) expected = record_whole (transcript, strlen (transcript));
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  gsize len = strlen (transcript);

  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(GError) error = NULL;
      Recorder rec;
      gsize off = 0;
      /* Small, medium and large chunk scales. */
      guint scale = (round % 3 == 0) ? 8 : (round % 3 == 1) ? 64 : 700;

      recorder_init (&rec);
      while (off < len)
        {
          gsize n = g_rand_int_range (rand, 1, scale + 1);

          n = MIN (n, len - off);

          xmpp_parser_feed (rec.parser, transcript + off, n, &error);
          if (error != NULL)
            g_test_message ("round %u, chunk at %" G_GSIZE_FORMAT "+%" G_GSIZE_FORMAT, round, off, n);
          g_assert_no_error (error);
          off += n;
        }
      assert_same_events (expected, rec.events);
      recorder_clear (&rec);
    }
}

static void
test_many_stanzas_per_chunk (void)
{
  g_autoptr(GString) stream = g_string_new (STREAM_OPEN_C2S);
  g_autoptr(GError) error = NULL;
  Recorder rec;

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (stream, "<message id='m%u'><body>%u</body></message>", i, i);

  recorder_init (&rec);
  g_assert_true (xmpp_parser_feed (rec.parser, stream->str, stream->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 1001);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 1000), ==,
                   "element <message xmlns='jabber:client' id='m999'><body>999</body></message>");
  recorder_clear (&rec);
}

static void
test_keepalive (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *spaces = g_strnfill (2 * 1024 * 1024, ' ');
  Recorder rec;

  recorder_init (&rec);
  g_assert_true (xmpp_parser_feed (rec.parser, STREAM_OPEN_C2S, strlen (STREAM_OPEN_C2S), &error));
  /* Keep-alives one at a time, for longer than any stanza may be. */
  for (guint i = 0; i < 300 * 1024; i++)
    g_assert_true (xmpp_parser_feed (rec.parser, i % 2 ? " " : "\n", 1, &error));
  g_assert_true (xmpp_parser_feed (rec.parser, "<presence/>", 11, &error));
  /* And a big burst of whitespace at once. */
  g_assert_true (xmpp_parser_feed (rec.parser, spaces, 2 * 1024 * 1024, &error));
  g_assert_true (xmpp_parser_feed (rec.parser, "\t\r\n<presence/> ", 15, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 2), ==, "element <presence xmlns='jabber:client'/>");
  recorder_clear (&rec);
}

static void
test_text_between_stanzas (void)
{
  g_autoptr(GError) error = NULL;
  Recorder rec;

  recorder_init (&rec);
  g_assert_false (feed_str (rec.parser, STREAM_OPEN_C2S " hello <presence/>", &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_BAD_FORMAT);
  recorder_clear (&rec);
}

/* Restarts */

static const char restart_doc2[] =
  "<?xml version='1.0'?>"
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='second' version='1.0'>"
  "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";

static void
test_restart_in_callback (void)
{
  g_autoptr(GError) error = NULL;
  /* After <proceed/> come TLS bytes, which are not XML (nor UTF-8). */
  const char first[] =
    "<?xml version='1.0'?>" STREAM_OPEN_C2S
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
  Recorder rec;

  recorder_init (&rec);
  rec.reset_on = "proceed";
  g_assert_true (xmpp_parser_feed (rec.parser, first, sizeof first - 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 3);
  g_assert_null (xmpp_parser_get_stream_header (rec.parser));

  /* The restarted stream starts with its own XML declaration. */
  g_assert_true (feed_chunked (rec.parser, restart_doc2, sizeof restart_doc2 - 1, 5, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 3), ==,
                   "open <stream xmlns='http://etherx.jabber.org/streams' id='second' version='1.0'/>");
  g_assert_cmpstr (xmpp_element_get_attribute (xmpp_parser_get_stream_header (rec.parser), "id"), ==, "second");
  recorder_clear (&rec);
}

static void
test_restart_bytewise (void)
{
  g_autoptr(GError) error = NULL;
  const char first[] =
    STREAM_OPEN_C2S "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1ybUYwU1lnQ3NhTg==</success>";
  Recorder rec;

  recorder_init (&rec);
  rec.reset_on = "success";
  g_assert_true (feed_chunked (rec.parser, first, sizeof first - 1, 1, &error));
  g_assert_true (feed_chunked (rec.parser, restart_doc2, sizeof restart_doc2 - 1, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 4);
  recorder_clear (&rec);
}

static void
test_restart_outside_callback (void)
{
  g_autoptr(GError) error = NULL;
  Recorder rec;

  recorder_init (&rec);
  /* Half a stanza, then a reset drops it. */
  g_assert_true (feed_str (rec.parser, STREAM_OPEN_C2S "<message><bo", &error));
  xmpp_parser_reset (rec.parser);
  g_assert_true (xmpp_parser_feed (rec.parser, restart_doc2, sizeof restart_doc2 - 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 3);

  /* A reset also clears an error. */
  g_assert_false (xmpp_parser_feed (rec.parser, "<!-- -->", 8, &error));
  g_clear_error (&error);
  xmpp_parser_reset (rec.parser);
  g_assert_true (xmpp_parser_feed (rec.parser, restart_doc2, sizeof restart_doc2 - 1, &error));
  g_assert_no_error (error);
  recorder_clear (&rec);
}

static void
test_free_in_callback (void)
{
  g_autoptr(GError) error = NULL;
  Recorder rec;

  recorder_init (&rec);
  rec.free_on = "presence";
  g_assert_true (feed_str (rec.parser, STREAM_OPEN_C2S "<presence/><message/>", &error));
  g_assert_no_error (error);
  g_assert_null (rec.parser);
  g_assert_cmpuint (rec.events->len, ==, 2);
  recorder_clear (&rec);
}

static void
test_stream_close (void)
{
  g_autoptr(GError) error = NULL;
  Recorder rec;

  recorder_init (&rec);
  g_assert_true (feed_str (rec.parser, STREAM_OPEN_C2S "<presence type='unavailable'/></stream:stream>\n", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 2), ==, "close");
  /* Nothing may follow the end of the stream. */
  g_assert_false (xmpp_parser_feed (rec.parser, "<message/>", 10, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_NOT_WELL_FORMED);
  recorder_clear (&rec);

  /* An empty stream in one tag. */
  recorder_init (&rec);
  g_assert_true (feed_str (rec.parser, "<stream xmlns='http://etherx.jabber.org/streams'/>", NULL));
  g_assert_cmpuint (rec.events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 1), ==, "close");
  recorder_clear (&rec);
}

static void
test_stream_header (void)
{
  g_autoptr(GError) error = NULL;
  const char s2s[] =
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback' from='a.example' to='b.example' version='1.0'>"
    "<db:result from='a.example' to='b.example'>key</db:result>";
  const char * const *ns;
  XmppElement *header;
  Recorder rec;

  recorder_init (&rec);
  g_assert_null (xmpp_parser_get_content_namespace (rec.parser));
  g_assert_null (xmpp_parser_get_stream_namespaces (rec.parser)[0]);
  g_assert_true (xmpp_parser_feed (rec.parser, s2s, sizeof s2s - 1, &error));
  g_assert_no_error (error);

  header = xmpp_parser_get_stream_header (rec.parser);
  g_assert_true (xmpp_element_is (header, XMPP_NS_STREAM, "stream"));
  g_assert_cmpstr (xmpp_element_get_attribute (header, "to"), ==, "b.example");
  g_assert_cmpstr (xmpp_element_get_attribute (header, "version"), ==, "1.0");
  g_assert_cmpstr (xmpp_parser_get_content_namespace (rec.parser), ==, "jabber:server");
  ns = xmpp_parser_get_stream_namespaces (rec.parser);
  g_assert_cmpstr (ns[0], ==, "");
  g_assert_cmpstr (ns[1], ==, "jabber:server");
  g_assert_cmpstr (ns[2], ==, "stream");
  g_assert_cmpstr (ns[3], ==, XMPP_NS_STREAM);
  g_assert_cmpstr (ns[4], ==, "db");
  g_assert_cmpstr (ns[5], ==, "jabber:server:dialback");
  g_assert_null (ns[6]);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 1), ==,
                   "element <result xmlns='jabber:server:dialback' from='a.example' to='b.example'>key</result>");
  recorder_clear (&rec);

  /* No prefix: the default namespace is the stream namespace. */
  recorder_init (&rec);
  g_assert_true (feed_str (rec.parser,
                           "<stream xmlns='http://etherx.jabber.org/streams' version='1.0'>"
                           "<features/><message xmlns='jabber:client'/>", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (rec.events, 1), ==,
                   "element <features xmlns='http://etherx.jabber.org/streams'/>");
  recorder_clear (&rec);
}

/* Content */

static void
test_attribute_entities (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) message = NULL;
  g_autoptr(XmppElement) other = NULL;

  message = xmpp_element_parse ("<message id='a&amp;b'/>", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_element_get_attribute (message, "id"), ==, "a&b");

  other = xmpp_element_parse ("<x a='&#38;&amp;&#x26;#38;&lt;&gt;&quot;&apos;&#9;&#10;&#13;\xc5\x99&#x159;' "
                              "b=\"it's\" c='tab\tnl\ncr\r.'>&amp;#38;&#38;</x>", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_element_get_attribute (other, "a"), ==, "&&&#38;<>\"'\t\n\r\xc5\x99\xc5\x99");
  g_assert_cmpstr (xmpp_element_get_attribute (other, "b"), ==, "it's");
  /* Literal whitespace in attributes is normalised to spaces (XML §3.3.3). */
  g_assert_cmpstr (xmpp_element_get_attribute (other, "c"), ==, "tab nl cr .");
  g_assert_cmpstr (xmpp_element_get_text (other), ==, "&#38;&");
}

static void
test_namespaces (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) iq = NULL;
  XmppElement *query, *item, *ext;

  iq = xmpp_element_parse ("<iq xmlns='jabber:client' xmlns:p='urn:p' type='set' xml:lang='fr'>"
                           "<query xmlns='jabber:iq:roster'><item p:mark='1' jid='a@b'/></query>"
                           "<p:ext><inner/><q:deep xmlns:q='urn:q' xmlns='urn:default'><leaf/></q:deep></p:ext>"
                           "</iq>", -1, &error);
  g_assert_no_error (error);
  g_assert_true (xmpp_element_is (iq, "jabber:client", "iq"));
  g_assert_cmpstr (xmpp_element_get_lang (iq), ==, "fr");
  g_assert_cmpstr (xmpp_element_get_attribute_ns (iq, XMPP_NS_XML, "lang"), ==, "fr");
  g_assert_null (xmpp_element_get_attribute (iq, "lang"));
  g_assert_cmpuint (xmpp_element_get_n_attributes (iq), ==, 2);

  query = xmpp_element_find_child (iq, "jabber:iq:roster", "query");
  g_assert_nonnull (query);
  item = xmpp_element_find_child (query, NULL, "item");
  g_assert_true (xmpp_element_is (item, "jabber:iq:roster", "item"));
  g_assert_cmpstr (xmpp_element_get_attribute_ns (item, "urn:p", "mark"), ==, "1");
  g_assert_null (xmpp_element_get_attribute (item, "mark"));

  /* Relative namespace "URIs" (XEP-0054's vcard-temp) only make libxml2 warn. */
  {
    g_autoptr(XmppElement) vcard = xmpp_element_parse ("<vCard xmlns='vcard-temp'><FN>A</FN></vCard>", -1, &error);

    g_assert_no_error (error);
    g_assert_true (xmpp_element_is (xmpp_element_find_child (vcard, NULL, "FN"), "vcard-temp", "FN"));
  }

  ext = xmpp_element_find_child (iq, "urn:p", "ext");
  g_assert_nonnull (ext);
  /* Unprefixed children keep the default namespace in scope (jabber:client). */
  g_assert_true (xmpp_element_is (xmpp_element_find_child (ext, "jabber:client", "inner"), "jabber:client", "inner"));
  g_assert_true (xmpp_element_is (xmpp_element_find_child (xmpp_element_find_child (ext, "urn:q", "deep"), "urn:default", "leaf"),
                                  "urn:default", "leaf"));
}

static void
test_mixed_content (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) body = NULL;
  g_autofree char *again = NULL;

  body = xmpp_element_parse ("<p xmlns='urn:x'>one<b>two</b>three<![CDATA[&four]]>five<i/>six</p>", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (xmpp_element_get_n_nodes (body), ==, 5);
  g_assert_cmpstr (xmpp_element_get_text (xmpp_element_get_node (body, 0)), ==, "one");
  g_assert_true (xmpp_element_is_text (xmpp_element_get_node (body, 0)));
  g_assert_cmpstr (xmpp_element_get_text (body), ==, "onethree&fourfivesix");
  again = xmpp_element_to_string (body);
  g_assert_cmpstr (again, ==, "<p xmlns='urn:x'>one<b>two</b>three&amp;fourfive<i/>six</p>");
}

static void
test_element_parse_errors (void)
{
  static const struct { const char *xml; XmppStreamErrorCode code; } cases[] = {
    { "", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
    { "   ", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
    { "<a>", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
    { "<a/><b/>", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
    { "<a/>trailing", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
    { "<a><b></a>", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
    { "<a>\xc3</a>", XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
    { "<a>\xc3", XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
    { "<a><!-- c --></a>", XMPP_STREAM_ERROR_RESTRICTED_XML },
    { "<a>&nbsp;</a>", XMPP_STREAM_ERROR_RESTRICTED_XML },
    { "<p:a/>", XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(XmppElement) element = xmpp_element_parse (cases[i].xml, -1, &error);

      g_autofree char *escaped = g_strescape (cases[i].xml, NULL);

      g_test_message ("case %u: %s", i, escaped);
      g_assert_null (element);
      g_assert_error (error, XMPP_STREAM_ERROR, cases[i].code);
    }
}

/* Hostile input */

static gboolean entity_loader_called;

static xmlParserInputPtr
spy_entity_loader (const char       *url,
                   const char       *id,
                   xmlParserCtxtPtr  ctxt)
{
  entity_loader_called = TRUE;
  return NULL;
}

typedef struct
{
  const char         *name;
  const char         *data;
  gssize              len;
  XmppStreamErrorCode code;
} HostileCase;

#define PROLOG "<?xml version='1.0'?>"
#define HEAD "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0'>"

static const HostileCase hostile_cases[] = {
  { "billion-laughs",
    PROLOG "<!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
    "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
    "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
    "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
    "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
    "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
    "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>]>"
    HEAD "<message><body>&lol9;</body></message>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "external-entity",
    PROLOG "<!DOCTYPE stream:stream [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
    HEAD "<message><body>&xxe;</body></message>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "external-dtd",
    PROLOG "<!DOCTYPE stream:stream SYSTEM 'http://127.0.0.1:1/evil.dtd'>" HEAD,
    -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "parameter-entity",
    "<!DOCTYPE x [<!ENTITY % pe SYSTEM 'file:///etc/passwd'> %pe;]>" HEAD,
    -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "dtd", "<!DOCTYPE stream:stream>" HEAD, -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "comment-prolog", PROLOG "<!-- hello -->" HEAD, -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "comment-stream", HEAD "<presence/><!-- hello --><presence/>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "comment-stanza", HEAD "<message><body>a<!-- hello -->b</body></message>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "pi-prolog", PROLOG "<?php echo 1; ?>" HEAD, -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "pi-stanza", HEAD "<message><?target data?></message>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "xml-decl-mid-stream", HEAD "<presence/><?xml version='1.0'?><presence/>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "custom-entity-text", HEAD "<message><body>&custom;</body></message>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "custom-entity-attr", HEAD "<message id='&custom;'/>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "html-entity", HEAD "<message><body>&nbsp;</body></message>", -1, XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "invalid-utf8", HEAD "<message><body>caf\xc3\x28</body></message>", -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "overlong-utf8", HEAD "<message><body>\xc0\xaf</body></message>", -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "surrogate-utf8", HEAD "<message><body>\xed\xa0\x80</body></message>", -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "latin1-byte-attr", HEAD "<message id='\xe9t\xe9'/>", -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "utf16le-bom", "\xff\xfe<\0s\0", 6, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "utf16be-bom", "\xfe\xff\0<\0s", 6, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "utf16le-no-bom", "<\0?\0x\0m\0l\0", 10, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "utf16-decl", "<?xml version='1.0' encoding='UTF-16'?>" HEAD, -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "latin1-decl", "<?xml version='1.0' encoding='ISO-8859-1'?>" HEAD, -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "unknown-encoding-decl", "<?xml version='1.0' encoding='X-NOPE'?>" HEAD, -1, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "ebcdic", "\x4c\x6f\xa7\x94", 4, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "nul-character", HEAD "<message>\0</message>", sizeof HEAD + 10, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "control-character-ref", HEAD "<message>&#1;</message>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "undeclared-prefix", HEAD "<foo:message/>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "undeclared-attr-prefix", HEAD "<message foo:id='1'/>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "undeclared-stream-prefix", "<stream:stream xmlns='jabber:client'>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "duplicate-attribute", HEAD "<message id='1' id='2'/>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "duplicate-ns-attribute", HEAD "<message xmlns:a='urn:x' xmlns:b='urn:x' a:id='1' b:id='2'/>",
    -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "mismatched-tags", HEAD "<a><b></a>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "mismatched-stream-close", HEAD "<a></stream:stream>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "garbage", HEAD "<<<>>>", -1, XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "xml-1.1", "<?xml version='1.1'?>" HEAD, -1, XMPP_STREAM_ERROR_BAD_FORMAT },
  { "wrong-stream-namespace",
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streamz'>",
    -1, XMPP_STREAM_ERROR_INVALID_NAMESPACE },
  { "no-stream-namespace", "<stream xmlns='jabber:client'>", -1, XMPP_STREAM_ERROR_INVALID_NAMESPACE },
  { "wrong-root-name", "<stream:foo xmlns:stream='http://etherx.jabber.org/streams'>",
    -1, XMPP_STREAM_ERROR_INVALID_NAMESPACE },
  { "wrong-stream-prefix",
    "<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams'>",
    -1, XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX },
};

static void
run_hostile (const HostileCase *c,
             gsize              chunk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  gsize len = c->len >= 0 ? (gsize) c->len : strlen (c->data);
  gboolean ok;
  Recorder rec;

  recorder_init (&rec);
  ok = feed_chunked (rec.parser, c->data, len, chunk, &error);
  g_assert_false (ok);
  if (error->code != (int) c->code)
    g_error ("%s (chunk %" G_GSIZE_FORMAT "): got <%s/> (%s), expected <%s/>", c->name, chunk,
             xmpp_stream_condition_to_string (error->code), error->message,
             xmpp_stream_condition_to_string (c->code));
  g_assert_error (error, XMPP_STREAM_ERROR, c->code);

  /* Broken for good. */
  g_assert_false (xmpp_parser_feed (rec.parser, "<presence/>", 11, &again));
  g_assert_error (again, XMPP_STREAM_ERROR, c->code);
  recorder_clear (&rec);
}

static void
test_hostile (gconstpointer data)
{
  const HostileCase *c = data;

  entity_loader_called = FALSE;
  run_hostile (c, G_MAXSIZE);
  run_hostile (c, 1);
  run_hostile (c, 7);
  g_assert_false (entity_loader_called);
}

static void
test_billion_laughs_attribute (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) element = NULL;

  entity_loader_called = FALSE;
  element = xmpp_element_parse ("<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
                                "<x v='&b;'/>", -1, &error);
  g_assert_null (element);
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_RESTRICTED_XML);
  g_assert_false (entity_loader_called);
}

static char *
big_text_stanza (gsize text_len)
{
  GString *s = g_string_sized_new (text_len + 256);

  g_string_append (s, HEAD "<message to='bob@example.net'><body>");
  for (gsize i = 0; i < text_len; i++)
    g_string_append_c (s, "abcdefghijklmnopqrstuvwxyz .,\n"[i % 30]);
  g_string_append (s, "</body></message><presence/>");
  return g_string_free (s, FALSE);
}

static void
test_big_text_over_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = big_text_stanza (10 * 1024 * 1024);
  gsize rss_before = read_status_kib ("VmRSS:");
  gsize len = strlen (doc);
  Recorder rec;

  recorder_init (&rec);
  g_assert_false (feed_chunked (rec.parser, doc, len, 4096, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  g_assert_cmpuint (rec.events->len, ==, 1);
  recorder_clear (&rec);
  g_test_message ("RSS growth %" G_GSIZE_FORMAT " KiB", read_status_kib ("VmRSS:") - rss_before);

  /* All at once: caught within one piece. */
  recorder_init (&rec);
  g_clear_error (&error);
  g_assert_false (xmpp_parser_feed (rec.parser, doc, len, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);
}

static void
test_big_text_raised_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = big_text_stanza (10 * 1024 * 1024);
  gsize len = strlen (doc);
  XmppElement *message;
  gint64 start;
  double seconds;
  Recorder rec;

  for (guint round = 0; round < 2; round++)
    {
      recorder_init (&rec);
      xmpp_parser_set_limits (rec.parser, 11 * 1024 * 1024, 0);
      start = g_get_monotonic_time ();
      g_assert_true (feed_chunked (rec.parser, doc, len, round == 0 ? 4096 : G_MAXSIZE, &error));
      seconds = (g_get_monotonic_time () - start) / 1e6;
      g_assert_no_error (error);
      g_test_message ("10 MiB text node parsed in %.3f s", seconds);
      g_assert_cmpfloat (seconds, <, 5.0);
      g_assert_cmpuint (rec.events->len, ==, 3);
      recorder_clear (&rec);
    }

  /* And the text arrives whole. */
  message = xmpp_element_parse (doc + strlen (HEAD), len - strlen (HEAD) - strlen ("<presence/>"), &error);
  g_assert_null (message);
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
}

static void
test_big_text_content (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) doc = g_string_new (HEAD "<message><body>");
  g_autoptr(GString) expected = g_string_new (NULL);
  XmppElement *body;
  Recorder rec;

  /* Multi-byte characters across every chunk boundary. */
  for (guint i = 0; i < 50000; i++)
    g_string_append (expected, i % 3 ? "\xc5\x99" : (i % 5 ? "\xf0\x9f\x98\x80" : "a&"));
  for (const char *p = expected->str; *p != '\0'; p++)
    if (*p == '&')
      g_string_append (doc, "&amp;");
    else
      g_string_append_c (doc, *p);
  g_string_append (doc, "</body></message>");

  for (guint chunk = 1; chunk <= 4099; chunk += 1366)
    {
      recorder_init (&rec);
      g_assert_true (feed_chunked (rec.parser, doc->str, doc->len, chunk, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (rec.events->len, ==, 2);
      recorder_clear (&rec);
    }

  body = xmpp_element_parse (doc->str + strlen (HEAD), -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_element_find_child_text (body, NULL, "body"), ==, expected->str);
  xmpp_element_unref (body);
}

static void
test_stanza_size_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fill = g_strnfill (1000, 'x');
  g_autofree char *stanza = g_strdup_printf ("<message><body>%s</body></message>", fill);
  gsize stanza_len = strlen (stanza);
  Recorder rec;

  /* A limit of exactly the stanza size accepts it, any smaller one refuses it. */
  recorder_init (&rec);
  xmpp_parser_set_limits (rec.parser, stanza_len, 0);
  g_assert_true (xmpp_parser_feed (rec.parser, HEAD, strlen (HEAD), &error));
  for (guint i = 0; i < 100; i++)
    g_assert_true (feed_chunked (rec.parser, stanza, stanza_len, 1 + i * 37, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.events->len, ==, 101);
  recorder_clear (&rec);

  recorder_init (&rec);
  xmpp_parser_set_limits (rec.parser, stanza_len - 10, 0);
  g_assert_true (xmpp_parser_feed (rec.parser, HEAD, strlen (HEAD), &error));
  g_assert_false (xmpp_parser_feed (rec.parser, stanza, stanza_len, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);

  /* A huge start tag that never ends is caught too. */
  recorder_init (&rec);
  g_clear_error (&error);
  g_assert_true (xmpp_parser_feed (rec.parser, HEAD "<message id='", strlen (HEAD) + 13, &error));
  for (guint i = 0; i < 1000 && error == NULL; i++)
    xmpp_parser_feed (rec.parser, fill, 1000, &error);
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);

  /* And an endless stream header. */
  recorder_init (&rec);
  g_clear_error (&error);
  g_assert_true (xmpp_parser_feed (rec.parser, "<stream:stream a='", 18, &error));
  for (guint i = 0; i < 1000 && error == NULL; i++)
    xmpp_parser_feed (rec.parser, fill, 1000, &error);
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);
}

static void
test_many_attributes (void)
{
  g_autoptr(GString) doc = g_string_new (HEAD "<message ");
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  Recorder rec;

  /* Some 30,000 attributes in 250 KB. */
  for (guint i = 0; doc->len < 250000; i++)
    g_string_append_printf (doc, "a%u='' ", i);
  g_string_append (doc, "/>");

  recorder_init (&rec);
  g_assert_false (feed_chunked (rec.parser, doc->str, doc->len, 4096, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  g_test_message ("refused in %.3f s", (g_get_monotonic_time () - start) / 1e6);
  recorder_clear (&rec);
}

static void
test_huge_tag (void)
{
  g_autoptr(GString) doc = g_string_new (HEAD "<message id='");
  g_autoptr(GError) error = NULL;
  Recorder rec;

  /* Even with a raised stanza limit, libxml2 refuses a single tag over 10 MB. */
  for (guint i = 0; i < 11 * 1000 * 1000; i++)
    g_string_append_c (doc, 'x');
  g_string_append (doc, "'/>");

  recorder_init (&rec);
  xmpp_parser_set_limits (rec.parser, 16 * 1024 * 1024, 0);
  g_assert_false (feed_chunked (rec.parser, doc->str, doc->len, 65536, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);
}

static void
test_deep_nesting (void)
{
  g_autoptr(GString) doc = g_string_new (HEAD);
  g_autoptr(GError) error = NULL;
  Recorder rec;

  for (guint i = 0; i < 10000; i++)
    g_string_append (doc, "<a>");

  recorder_init (&rec);
  g_assert_false (xmpp_parser_feed (rec.parser, doc->str, doc->len, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);

  recorder_init (&rec);
  g_clear_error (&error);
  g_assert_false (feed_chunked (rec.parser, doc->str, doc->len, 1, &error));
  g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
  recorder_clear (&rec);
}

static void
test_depth_limit_exact (void)
{
  g_autoptr(GError) error = NULL;

  for (guint depth = 63; depth <= 65; depth++)
    {
      g_autoptr(GString) doc = g_string_new (HEAD);
      Recorder rec;
      gboolean ok;

      for (guint i = 0; i < depth; i++)
        g_string_append (doc, "<a>");
      for (guint i = 0; i < depth; i++)
        g_string_append (doc, "</a>");

      recorder_init (&rec);
      ok = xmpp_parser_feed (rec.parser, doc->str, doc->len, &error);
      g_assert_true (ok == (depth <= XMPP_PARSER_DEFAULT_MAX_DEPTH));
      if (!ok)
        g_assert_error (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_POLICY_VIOLATION);
      g_clear_error (&error);
      recorder_clear (&rec);
    }
}

/* Long streams */

static void
count_element_cb (XmppParser  *parser,
                  XmppElement *element,
                  gpointer     user_data)
{
  guint *count = user_data;
  const char *name = xmpp_element_get_name (element);

  /* Every third stanza uses the prefix declared on the stream header. */
  if (*count % 3 == 2)
    {
      g_assert_cmpstr (xmpp_element_get_namespace (element), ==, "jabber:server:dialback");
      g_assert_cmpstr (name, ==, "result");
    }
  else
    {
      g_assert_cmpstr (xmpp_element_get_namespace (element), ==, "jabber:server");
      g_assert_true (g_str_has_prefix (name, "x"));
      g_assert_cmpuint (g_ascii_strtoull (name + 1, NULL, 10), ==, *count);
      g_assert_cmpstr (xmpp_element_find_child_text (element, "urn:unique", NULL), ==, "a&b");
    }
  (*count)++;
}

/* Unique element names and namespaces in every stanza grow libxml2's
 * dictionary: the parser must keep memory flat by rotating contexts,
 * whatever the chunking, without losing header prefixes. */
static void
test_unique_names_memory (void)
{
  const XmppParserCallbacks callbacks = { NULL, count_element_cb, NULL };
  const char head[] =
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns:db='jabber:server:dialback'>";
  guint count = 0;
  guint total = 0;
  gsize rss_mid = 0, rss_end;
  XmppParser *parser;
  GError *error = NULL;
  GRand *rand = g_rand_new_with_seed (7);

#if defined(__SANITIZE_ADDRESS__)
  g_test_skip ("Resident memory means nothing under AddressSanitizer");
  g_rand_free (rand);
  return;
#endif

  parser = xmpp_parser_new (&callbacks, &count);
  g_assert_true (xmpp_parser_feed (parser, head, sizeof head - 1, &error));

  for (guint batch = 0; batch < 40; batch++)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      gsize off = 0;

      while (s->len < 1024 * 1024)
        {
          if (total % 3 == 2)
            g_string_append (s, "<db:result from='a' to='b'>k</db:result>\n");
          else
            g_string_append_printf (s, "<x%u a%u='1'><y xmlns='urn:unique' xmlns:p%u='urn:p%u'>a&amp;b</y></x%u> ",
                                    total, total, total, total, total);
          total++;
        }
      while (off < s->len)
        {
          gsize n = g_rand_int_range (rand, 1, 9000);

          n = MIN (n, s->len - off);

          g_assert_true (xmpp_parser_feed (parser, s->str + off, n, &error));
          off += n;
        }
      if (batch == 4)
        rss_mid = read_status_kib ("VmRSS:");
    }
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, total);
  rss_end = read_status_kib ("VmRSS:");
  g_test_message ("%u stanzas; RSS after 5 MiB %" G_GSIZE_FORMAT " KiB, after 40 MiB %" G_GSIZE_FORMAT " KiB",
                  total, rss_mid, rss_end);
  g_assert_cmpuint (rss_end, <, rss_mid + 4096);

  xmpp_parser_free (parser);
  g_rand_free (rand);
}

/* A stanza over 64 KiB makes the parser move to a fresh libxml2 context
 * (to give back its buffer); the stream must go on as if nothing happened,
 * here with a prefix-free stream header. */
static void
test_rotation_after_big_stanza (void)
{
  g_autoptr(GString) doc = g_string_new ("<stream xmlns='http://etherx.jabber.org/streams' version='1.0'>");
  g_autoptr(GPtrArray) expected = NULL;

  for (guint round = 0; round < 3; round++)
    {
      g_string_append (doc, "<message xmlns='jabber:client'><body>");
      for (guint i = 0; i < 100000; i++)
        g_string_append_c (doc, 'a' + i % 26);
      g_string_append (doc, "</body></message> <features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></features>");
    }
  g_string_append (doc, "</stream>");

  expected = record_whole (doc->str, doc->len);
  g_assert_cmpuint (expected->len, ==, 8);
  g_assert_cmpstr (g_ptr_array_index (expected, 2), ==,
                   "element <features xmlns='http://etherx.jabber.org/streams'>"
                   "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></features>");
  g_assert_cmpstr (g_ptr_array_index (expected, 6), ==, g_ptr_array_index (expected, 2));
  g_assert_cmpstr (g_ptr_array_index (expected, 7), ==, "close");

  for (gsize chunk = 1; chunk < 70000; chunk = chunk * 7 + 3)
    {
      g_autoptr(GError) error = NULL;
      Recorder rec;

      recorder_init (&rec);
      g_assert_true (feed_chunked (rec.parser, doc->str, doc->len, chunk, &error));
      g_assert_no_error (error);
      assert_same_events (expected, rec.events);
      recorder_clear (&rec);
    }
}

/* Mutated transcripts */

typedef struct
{
  GPtrArray *events;
  gboolean   failed;
  int        code;
} Outcome;

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->events, g_ptr_array_unref);
}

static void
run_chunked (const char *data,
             gsize       len,
             GRand      *rand,
             gsize       fixed,
             Outcome    *outcome)
{
  g_autoptr(GError) error = NULL;
  Recorder rec;
  gsize off = 0;

  recorder_init (&rec);
  while (off < len)
    {
      gsize n = fixed != 0 ? fixed : (gsize) g_rand_int_range (rand, 1, 64);

      n = MIN (n, len - off);
      if (!xmpp_parser_feed (rec.parser, data + off, n, &error))
        break;
      off += n;
    }
  outcome->failed = error != NULL;
  outcome->code = error != NULL ? error->code : -1;
  outcome->events = g_ptr_array_ref (rec.events);
  recorder_clear (&rec);
}

static const char *const snippets[] = {
  "<", ">", "/", "&", "&amp;", "&#38;", "&#0;", "&lol;", "'", "\"", "<!--", "-->", "<?x ?>", "<![CDATA[", "]]>",
  "<!DOCTYPE a>", "<?xml version='1.0'?>", "xmlns='urn:x'", " xmlns:p='urn:p'", "p:", "xml:lang='en'",
  "</stream:stream>", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>", "\xc3", "\xc3\xa9",
  "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xff", "\r\n", " ", "\t", "<a>", "</a>", "<b/>",
};

static void
assert_prefix_events (GPtrArray *a,
                      GPtrArray *b)
{
  for (guint i = 0; i < MIN (a->len, b->len); i++)
    g_assert_cmpstr (g_ptr_array_index (a, i), ==, g_ptr_array_index (b, i));
}

/* libxml2 delivers a CDATA section whose end has not arrived 300 bytes
 * per xmlParseChunk(), so how far it got into one depends on the chunking. */
static gboolean
has_open_cdata (const char *doc)
{
  const char *open = g_strrstr (doc, "<![CDATA[");

  return open != NULL && strstr (open, "]]>") == NULL;
}

/* Whatever the damage, the parser must not crash, and whatever the
 * chunking it must agree on whether the stream is broken and on the events
 * before that.  (With two faults in a stream, which one is reported first
 * may depend on how much libxml2 had buffered.) */
static void
test_mutations (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);
  gsize len = strlen (transcript);
  guint rounds = g_test_slow () ? 20000 : 400;

  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GString) doc = g_string_new_len (transcript, len);
      guint n_mutations = g_rand_int_range (rand, 1, 4);
      Outcome whole, bytewise, random;

      for (guint m = 0; m < n_mutations; m++)
        {
          gsize at = g_rand_int_range (rand, 0, doc->len);

          switch (g_rand_int_range (rand, 0, 4))
            {
            case 0:
              doc->str[at] = (char) g_rand_int_range (rand, 1, 256);
              break;
            case 1:
              {
                gsize n = g_rand_int_range (rand, 1, 20);

                g_string_erase (doc, at, MIN (n, doc->len - at));
              }
              break;
            case 2:
              g_string_insert (doc, at, snippets[g_rand_int_range (rand, 0, G_N_ELEMENTS (snippets))]);
              break;
            default:
              {
                /* Duplicate a stretch. */
                gsize from = g_rand_int_range (rand, 0, doc->len);
                g_autofree char *copy = g_strndup (doc->str + from, MIN (40, doc->len - from));

                g_string_insert (doc, at, copy);
              }
              break;
            }
        }

      run_chunked (doc->str, doc->len, NULL, G_MAXSIZE, &whole);
      run_chunked (doc->str, doc->len, NULL, 1, &bytewise);
      run_chunked (doc->str, doc->len, rand, 0, &random);
      if ((whole.failed != bytewise.failed || whole.failed != random.failed)
          && !has_open_cdata (doc->str))
        {
          g_autofree char *escaped = g_strescape (doc->str, NULL);

          g_error ("round %u: outcomes differ (whole %d, bytewise %d, random %d) for %s",
                   round, whole.code, bytewise.code, random.code, escaped);
        }
      if (whole.failed || bytewise.failed || random.failed)
        {
          assert_prefix_events (whole.events, bytewise.events);
          assert_prefix_events (whole.events, random.events);
        }
      else
        {
          assert_same_events (whole.events, bytewise.events);
          assert_same_events (whole.events, random.events);
        }
      outcome_clear (&whole);
      outcome_clear (&bytewise);
      outcome_clear (&random);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  xmlSetExternalEntityLoader (spy_entity_loader);

  g_test_add_func ("/parser/transcript/whole", test_transcript_whole);
  g_test_add_func ("/parser/transcript/bytewise", test_transcript_bytewise);
  g_test_add_func ("/parser/transcript/random-chunks", test_transcript_random_chunks);
  g_test_add_func ("/parser/many-stanzas-per-chunk", test_many_stanzas_per_chunk);
  g_test_add_func ("/parser/keepalive", test_keepalive);
  g_test_add_func ("/parser/text-between-stanzas", test_text_between_stanzas);
  g_test_add_func ("/parser/restart/in-callback", test_restart_in_callback);
  g_test_add_func ("/parser/restart/bytewise", test_restart_bytewise);
  g_test_add_func ("/parser/restart/outside-callback", test_restart_outside_callback);
  g_test_add_func ("/parser/free-in-callback", test_free_in_callback);
  g_test_add_func ("/parser/stream-close", test_stream_close);
  g_test_add_func ("/parser/stream-header", test_stream_header);
  g_test_add_func ("/parser/attribute-entities", test_attribute_entities);
  g_test_add_func ("/parser/namespaces", test_namespaces);
  g_test_add_func ("/parser/mixed-content", test_mixed_content);
  g_test_add_func ("/parser/element-parse-errors", test_element_parse_errors);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/parser/hostile/%s", hostile_cases[i].name);
      g_test_add_data_func (path, &hostile_cases[i], test_hostile);
    }
  g_test_add_func ("/parser/hostile/billion-laughs-attribute", test_billion_laughs_attribute);
  g_test_add_func ("/parser/limits/big-text-over-limit", test_big_text_over_limit);
  g_test_add_func ("/parser/limits/big-text-raised-limit", test_big_text_raised_limit);
  g_test_add_func ("/parser/limits/big-text-content", test_big_text_content);
  g_test_add_func ("/parser/limits/stanza-size", test_stanza_size_limit);
  g_test_add_func ("/parser/limits/many-attributes", test_many_attributes);
  g_test_add_func ("/parser/limits/huge-tag", test_huge_tag);
  g_test_add_func ("/parser/limits/deep-nesting", test_deep_nesting);
  g_test_add_func ("/parser/limits/depth-exact", test_depth_limit_exact);
  g_test_add_func ("/parser/limits/unique-names-memory", test_unique_names_memory);
  g_test_add_func ("/parser/rotation/after-big-stanza", test_rotation_after_big_stanza);
  g_test_add_func ("/parser/fuzz/mutations", test_mutations);

  return g_test_run ();
}
