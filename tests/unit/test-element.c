/* test-element.c: the element tree, its serialiser, and round trips through the parser */
#include "config.h"

#include <string.h>

#include "xmpp-element.h"
#include "xmpp-parser.h"

static char *
serialize (XmppElement *element,
           const char  *parent_ns)
{
  GString *out = g_string_new (NULL);

  xmpp_element_serialize (element, out, parent_ns);
  return g_string_free (out, FALSE);
}

/* serialise → parse → serialise gives the same bytes, and the parsed tree
 * has the same shape. */
static void
assert_round_trip (XmppElement *element)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = xmpp_element_to_string (element);
  g_autoptr(XmppElement) parsed = xmpp_element_parse (first, -1, &error);
  g_autofree char *second = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  second = xmpp_element_to_string (parsed);
  g_assert_cmpstr (second, ==, first);
}

static void
test_new (void)
{
  g_autoptr(XmppElement) message = xmpp_element_new ("jabber:client", "message");
  g_autoptr(XmppElement) plain = xmpp_element_new (NULL, "x");
  g_autoptr(XmppElement) text = xmpp_element_new_text ("hello world", 5);

  g_assert_false (xmpp_element_is_text (message));
  g_assert_cmpstr (xmpp_element_get_name (message), ==, "message");
  g_assert_cmpstr (xmpp_element_get_namespace (message), ==, "jabber:client");
  g_assert_true (xmpp_element_is (message, "jabber:client", "message"));
  g_assert_true (xmpp_element_is (message, NULL, "message"));
  g_assert_true (xmpp_element_is (message, "jabber:client", NULL));
  g_assert_false (xmpp_element_is (message, "jabber:server", "message"));
  g_assert_false (xmpp_element_is (message, "jabber:client", "iq"));
  g_assert_cmpstr (xmpp_element_get_namespace (plain), ==, "");
  g_assert_cmpuint (xmpp_element_get_n_nodes (message), ==, 0);
  g_assert_cmpstr (xmpp_element_get_text (message), ==, "");

  g_assert_true (xmpp_element_is_text (text));
  g_assert_null (xmpp_element_get_name (text));
  g_assert_false (xmpp_element_is (text, NULL, NULL));
  g_assert_cmpstr (xmpp_element_get_text (text), ==, "hello");

  g_assert_true (xmpp_element_ref (message) == message);
  xmpp_element_unref (message);
}

static void
test_attributes (void)
{
  g_autoptr(XmppElement) iq = xmpp_element_new ("jabber:client", "iq");
  const char *ns, *name, *value;

  xmpp_element_set_attribute (iq, "type", "get");
  xmpp_element_set_attribute (iq, "id", "1");
  xmpp_element_set_attribute_ns (iq, "urn:x", "id", "other");
  xmpp_element_set_lang (iq, "en");
  g_assert_cmpuint (xmpp_element_get_n_attributes (iq), ==, 4);
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "type"), ==, "get");
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "id"), ==, "1");
  g_assert_cmpstr (xmpp_element_get_attribute_ns (iq, NULL, "id"), ==, "1");
  g_assert_cmpstr (xmpp_element_get_attribute_ns (iq, "", "id"), ==, "1");
  g_assert_cmpstr (xmpp_element_get_attribute_ns (iq, "urn:x", "id"), ==, "other");
  g_assert_cmpstr (xmpp_element_get_lang (iq), ==, "en");
  g_assert_cmpstr (xmpp_element_get_attribute_ns (iq, XMPP_NS_XML, "lang"), ==, "en");
  g_assert_null (xmpp_element_get_attribute (iq, "lang"));
  g_assert_null (xmpp_element_get_attribute (iq, "to"));

  /* Overwrite in place, keeping the order; set a value to itself. */
  xmpp_element_set_attribute (iq, "type", "set");
  xmpp_element_set_attribute (iq, "type", xmpp_element_get_attribute (iq, "type"));
  xmpp_element_get_attribute_at (iq, 0, &ns, &name, &value);
  g_assert_null (ns);
  g_assert_cmpstr (name, ==, "type");
  g_assert_cmpstr (value, ==, "set");
  xmpp_element_get_attribute_at (iq, 2, &ns, &name, &value);
  g_assert_cmpstr (ns, ==, "urn:x");
  g_assert_cmpstr (name, ==, "id");

  /* NULL removes. */
  xmpp_element_set_attribute (iq, "id", NULL);
  xmpp_element_set_lang (iq, NULL);
  xmpp_element_set_attribute (iq, "absent", NULL);
  g_assert_cmpuint (xmpp_element_get_n_attributes (iq), ==, 2);
  g_assert_null (xmpp_element_get_attribute (iq, "id"));
  g_assert_cmpstr (xmpp_element_get_attribute_ns (iq, "urn:x", "id"), ==, "other");
}

static void
test_children (void)
{
  g_autoptr(XmppElement) message = xmpp_element_new ("jabber:client", "message");
  g_autoptr(XmppElement) external = xmpp_element_new ("urn:xmpp:receipts", "request");
  XmppElement *body, *thread, *child;
  guint n = 0;

  body = xmpp_element_add_child_with_text (message, NULL, "body", "Hello");
  g_assert_true (xmpp_element_is (body, "jabber:client", "body"));
  thread = xmpp_element_add_child_new (message, NULL, "thread");
  xmpp_element_add_text (thread, "t1", -1);
  g_assert_true (xmpp_element_add_child (message, external) == external);
  xmpp_element_add_child_with_text (message, "urn:other", "body", "");

  g_assert_true (xmpp_element_find_child (message, NULL, "body") == body);
  g_assert_true (xmpp_element_find_child (message, "jabber:client", "body") == body);
  g_assert_true (xmpp_element_find_child (message, "urn:xmpp:receipts", NULL) == external);
  g_assert_null (xmpp_element_find_child (message, NULL, "subject"));
  g_assert_cmpstr (xmpp_element_find_child_text (message, NULL, "body"), ==, "Hello");
  g_assert_cmpstr (xmpp_element_find_child_text (message, "urn:other", "body"), ==, "");
  g_assert_null (xmpp_element_find_child_text (message, NULL, "subject"));

  for (child = xmpp_element_next_child (message, NULL); child != NULL; child = xmpp_element_next_child (message, child))
    n++;
  g_assert_cmpuint (n, ==, 4);

  g_assert_true (xmpp_element_remove_child (message, thread));
  g_assert_false (xmpp_element_remove_child (message, thread));
  g_assert_cmpuint (xmpp_element_get_n_nodes (message), ==, 3);

  xmpp_element_remove_children (message, NULL, "body");
  g_assert_cmpuint (xmpp_element_get_n_nodes (message), ==, 2);
  xmpp_element_remove_children (message, "urn:other", NULL);
  g_assert_cmpuint (xmpp_element_get_n_nodes (message), ==, 1);
  g_assert_true (xmpp_element_get_node (message, 0) == external);
}

static void
test_text (void)
{
  g_autoptr(XmppElement) body = xmpp_element_new ("jabber:client", "body");
  g_autoptr(XmppElement) big = xmpp_element_new ("jabber:client", "body");
  g_autofree char *piece = g_strnfill (300, 'x');
  XmppElement *node;
  gint64 start;

  xmpp_element_add_text (body, "one", -1);
  xmpp_element_add_text (body, "two", 3);
  xmpp_element_add_text (body, "", 0);
  /* Adjacent text merges into one node. */
  g_assert_cmpuint (xmpp_element_get_n_nodes (body), ==, 1);
  g_assert_cmpstr (xmpp_element_get_text (body), ==, "onetwo");

  xmpp_element_add_child_new (body, NULL, "br");
  xmpp_element_add_text (body, "three", -1);
  g_assert_cmpuint (xmpp_element_get_n_nodes (body), ==, 3);
  /* The cached concatenation follows changes. */
  g_assert_cmpstr (xmpp_element_get_text (body), ==, "onetwothree");
  xmpp_element_add_text (body, "four", -1);
  g_assert_cmpstr (xmpp_element_get_text (body), ==, "onetwothreefour");
  node = xmpp_element_get_node (body, 0);
  g_assert_true (xmpp_element_remove_child (body, node));
  g_assert_cmpstr (xmpp_element_get_text (body), ==, "threefour");

  /* Many small pieces (as a parser delivers them) stay linear. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 35000; i++)
    xmpp_element_add_text (big, piece, 300);
  g_assert_cmpuint (xmpp_element_get_n_nodes (big), ==, 1);
  g_assert_cmpuint (strlen (xmpp_element_get_text (big)), ==, 35000 * 300);
  g_test_message ("10 MB of text in 300-byte pieces: %.3f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
}

static void
test_serialize_namespaces (void)
{
  g_autoptr(XmppElement) iq = xmpp_element_new ("jabber:client", "iq");
  XmppElement *query, *item;
  g_autofree char *with_root = NULL;
  g_autofree char *in_stream = NULL;

  xmpp_element_set_attribute (iq, "type", "set");
  query = xmpp_element_add_child_new (iq, "jabber:iq:roster", "query");
  item = xmpp_element_add_child_new (query, NULL, "item");
  xmpp_element_set_attribute (item, "jid", "a@b");
  xmpp_element_add_child_with_text (item, NULL, "group", "G");
  xmpp_element_add_child_new (query, "jabber:client", "back");
  xmpp_element_add_child_new (query, "", "none");

  with_root = serialize (iq, NULL);
  g_assert_cmpstr (with_root, ==,
                   "<iq xmlns='jabber:client' type='set'><query xmlns='jabber:iq:roster'>"
                   "<item jid='a@b'><group>G</group></item><back xmlns='jabber:client'/><none xmlns=''/>"
                   "</query></iq>");
  /* Inside a c2s stream the content namespace is not repeated. */
  in_stream = serialize (iq, "jabber:client");
  g_assert_true (g_str_has_prefix (in_stream, "<iq type='set'><query xmlns='jabber:iq:roster'>"));
  assert_round_trip (iq);
}

static void
test_serialize_escaping (void)
{
  g_autoptr(XmppElement) body = xmpp_element_new ("jabber:client", "body");
  g_autofree char *out = NULL;

  xmpp_element_set_attribute (body, "a", "& < > ' \" \t \n \r end");
  xmpp_element_add_text (body, "& < > ' \" \t \n \r ]]> end", -1);
  out = xmpp_element_to_string (body);
  g_assert_cmpstr (out, ==,
                   "<body xmlns='jabber:client' a='&amp; &lt; &gt; &apos; &quot; &#9; &#10; &#13; end'>"
                   "&amp; &lt; &gt; ' \" \t \n &#13; ]]&gt; end</body>");
  assert_round_trip (body);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(XmppElement) parsed = xmpp_element_parse (out, -1, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (xmpp_element_get_attribute (parsed, "a"), ==, "& < > ' \" \t \n \r end");
    g_assert_cmpstr (xmpp_element_get_text (parsed), ==, "& < > ' \" \t \n \r ]]> end");
  }
}

static void
test_serialize_controls (void)
{
  g_autoptr(XmppElement) body = xmpp_element_new ("jabber:client", "body");
  g_autofree char *out = NULL;

  /* C0 controls other than TAB, LF, CR are not XML: they are dropped. */
  xmpp_element_set_attribute (body, "a", "x\x01y\x1f");
  xmpp_element_add_text (body, "a\x02" "b\x0c" "c", -1);
  out = xmpp_element_to_string (body);
  g_assert_cmpstr (out, ==, "<body xmlns='jabber:client' a='xy'>abc</body>");
}

static void
test_lang_and_namespaced_attributes (void)
{
  g_autoptr(XmppElement) message = xmpp_element_new ("jabber:client", "message");
  XmppElement *body;
  g_autofree char *out = NULL;

  xmpp_element_set_lang (message, "en");
  body = xmpp_element_add_child_with_text (message, NULL, "body", "Hallo");
  xmpp_element_set_lang (body, "de");
  xmpp_element_set_attribute_ns (body, "urn:example:marks", "mark", "1");
  xmpp_element_set_attribute_ns (body, "urn:example:other", "mark", "2");
  out = xmpp_element_to_string (message);
  g_assert_cmpstr (out, ==,
                   "<message xmlns='jabber:client' xml:lang='en'><body xml:lang='de' "
                   "xmlns:a0='urn:example:marks' a0:mark='1' xmlns:a1='urn:example:other' a1:mark='2'>"
                   "Hallo</body></message>");
  assert_round_trip (message);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(XmppElement) parsed = xmpp_element_parse (out, -1, &error);
    XmppElement *parsed_body = xmpp_element_find_child (parsed, NULL, "body");

    g_assert_no_error (error);
    g_assert_cmpstr (xmpp_element_get_lang (parsed), ==, "en");
    g_assert_cmpstr (xmpp_element_get_lang (parsed_body), ==, "de");
    g_assert_cmpstr (xmpp_element_get_attribute_ns (parsed_body, "urn:example:other", "mark"), ==, "2");
  }
}

static void
test_mixed_content_round_trip (void)
{
  g_autoptr(XmppElement) p = xmpp_element_new ("http://www.w3.org/1999/xhtml", "p");
  XmppElement *node;

  xmpp_element_add_text (p, "Hello ", -1);
  xmpp_element_add_child_with_text (p, NULL, "strong", "big");
  xmpp_element_add_text (p, " and ", -1);
  node = xmpp_element_add_child_new (p, NULL, "em");
  xmpp_element_add_text (node, "small", -1);
  xmpp_element_add_child_new (node, NULL, "br");
  xmpp_element_add_text (node, "!", -1);
  xmpp_element_add_text (p, " bye", -1);
  assert_round_trip (p);

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *out = xmpp_element_to_string (p);
    g_autoptr(XmppElement) parsed = xmpp_element_parse (out, -1, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (xmpp_element_get_n_nodes (parsed), ==, 5);
    g_assert_true (xmpp_element_is_text (xmpp_element_get_node (parsed, 0)));
    g_assert_true (xmpp_element_is (xmpp_element_get_node (parsed, 1), NULL, "strong"));
    g_assert_true (xmpp_element_is_text (xmpp_element_get_node (parsed, 2)));
    g_assert_true (xmpp_element_is (xmpp_element_get_node (parsed, 3), NULL, "em"));
    g_assert_cmpstr (xmpp_element_get_text (parsed), ==, "Hello  and  bye");
  }
}

static void
test_unicode_round_trip (void)
{
  g_autoptr(XmppElement) body = xmpp_element_new ("jabber:client", "body");

  /* 2-, 3- and 4-byte sequences, a combining mark, RTL text, U+FEFF. */
  xmpp_element_set_attribute (body, "name", "J\xc3\xbcrgen \xe2\x9c\x93 \xf0\x9f\x98\x80");
  xmpp_element_add_text (body, "\xc5\x99\xc3\xad\xc5\xa1 \xe4\xbd\xa0\xe5\xa5\xbd "
                         "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d e\xcc\x81 \xef\xbb\xbf \xf0\x9f\x9a\x86", -1);
  assert_round_trip (body);
}

static void
test_nested_namespaces_round_trip (void)
{
  g_autoptr(XmppElement) message = xmpp_element_new ("jabber:client", "message");
  XmppElement *forwarded, *inner;

  forwarded = xmpp_element_add_child_new (xmpp_element_add_child_new (message, "urn:xmpp:carbons:2", "received"),
                                          "urn:xmpp:forward:0", "forwarded");
  inner = xmpp_element_add_child_new (forwarded, "jabber:client", "message");
  xmpp_element_add_child_with_text (inner, NULL, "body", "hi");
  xmpp_element_add_child_new (inner, "", "unqualified");
  assert_round_trip (message);
}

static void
test_copy (void)
{
  g_autoptr(XmppElement) message = xmpp_element_new ("jabber:client", "message");
  g_autoptr(XmppElement) copy = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *copied = NULL;
  XmppElement *body;

  xmpp_element_set_attribute (message, "to", "bob@example.net");
  xmpp_element_set_lang (message, "en");
  xmpp_element_set_attribute_ns (message, "urn:x", "x", "1");
  body = xmpp_element_add_child_with_text (message, NULL, "body", "one");
  xmpp_element_add_child_new (body, "urn:y", "y");
  xmpp_element_add_text (body, "two", -1);
  (void) xmpp_element_get_text (body);

  before = xmpp_element_to_string (message);
  copy = xmpp_element_copy (message);
  copied = xmpp_element_to_string (copy);
  g_assert_cmpstr (copied, ==, before);
  g_assert_true (copy != message);
  g_assert_true (xmpp_element_find_child (copy, NULL, "body") != body);

  /* The copy is independent. */
  xmpp_element_set_attribute (copy, "to", "carol@example.com");
  xmpp_element_add_text (xmpp_element_find_child (copy, NULL, "body"), "three", -1);
  after = xmpp_element_to_string (message);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpstr (xmpp_element_find_child_text (copy, NULL, "body"), ==, "onetwothree");
  g_assert_cmpstr (xmpp_element_get_text (body), ==, "onetwo");

  {
    g_autoptr(XmppElement) text = xmpp_element_new_text ("t", -1);
    g_autoptr(XmppElement) text_copy = xmpp_element_copy (text);

    g_assert_true (xmpp_element_is_text (text_copy));
    g_assert_cmpstr (xmpp_element_get_text (text_copy), ==, "t");
  }
}

static void
test_parse_round_trip_samples (void)
{
  static const char *samples[] = {
    "<message xmlns='jabber:client' id='a&amp;b' to='bob@example.net'><body>x</body></message>",
    "<iq xmlns='jabber:client' type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v'>"
    "<item jid='a@b' name='&lt;A&gt; &amp; &apos;B&apos;' subscription='both'><group>G1</group><group>G2</group>"
    "</item></query></iq>",
    "<presence xmlns='jabber:client' xml:lang='de'><show>dnd</show><status>&#13;</status>"
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/></presence>",
    "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field></x>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(XmppElement) parsed = xmpp_element_parse (samples[i], -1, &error);
      g_autofree char *out = NULL;

      g_assert_no_error (error);
      out = xmpp_element_to_string (parsed);
      g_assert_cmpstr (out, ==, samples[i]);
      assert_round_trip (parsed);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/element/new", test_new);
  g_test_add_func ("/element/attributes", test_attributes);
  g_test_add_func ("/element/children", test_children);
  g_test_add_func ("/element/text", test_text);
  g_test_add_func ("/element/serialize/namespaces", test_serialize_namespaces);
  g_test_add_func ("/element/serialize/escaping", test_serialize_escaping);
  g_test_add_func ("/element/serialize/controls", test_serialize_controls);
  g_test_add_func ("/element/round-trip/lang-and-namespaced-attributes", test_lang_and_namespaced_attributes);
  g_test_add_func ("/element/round-trip/mixed-content", test_mixed_content_round_trip);
  g_test_add_func ("/element/round-trip/unicode", test_unicode_round_trip);
  g_test_add_func ("/element/round-trip/nested-namespaces", test_nested_namespaces_round_trip);
  g_test_add_func ("/element/round-trip/samples", test_parse_round_trip_samples);
  g_test_add_func ("/element/copy", test_copy);

  return g_test_run ();
}
