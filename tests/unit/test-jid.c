/* test-jid.c: XmppJid parsing, enforcement and comparison
 *
 * The tables hold RFC 7622 §3.5 and the derived cases of
 * docs/xmpp-reference.md §3.5; the other tests cover the limits, IDN,
 * IP literals, comparison, hashing and the constructors.
 */
#include "config.h"

#include <string.h>

#include "xmpp-error.h"
#include "xmpp-jid.h"

typedef struct
{
  const char *input;
  const char *canonical;
  const char *local;     /* NULL when none */
  const char *domain;
  const char *resource;  /* NULL when none */
} ValidJid;

static const ValidJid valid_jids[] = {
  /* RFC 7622 §3.5, table 1 */
  { "juliet@example.com", "juliet@example.com", "juliet", "example.com", NULL },
  { "juliet@example.com/foo", "juliet@example.com/foo", "juliet", "example.com", "foo" },
  { "juliet@example.com/foo bar", "juliet@example.com/foo bar", "juliet", "example.com", "foo bar" },
  { "juliet@example.com/foo@bar", "juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar" },
  { "foo\\20bar@example.com", "foo\\20bar@example.com", "foo\\20bar", "example.com", NULL },
  { "fussball@example.com", "fussball@example.com", "fussball", "example.com", NULL },
  { "fu\u00DFball@example.com", "fu\u00DFball@example.com", "fu\u00DFball", "example.com", NULL },
  { "\u03C0@example.com", "\u03C0@example.com", "\u03C0", "example.com", NULL },
  { "\u03A3@example.com/foo", "\u03C3@example.com/foo", "\u03C3", "example.com", "foo" },
  { "\u03C3@example.com/foo", "\u03C3@example.com/foo", "\u03C3", "example.com", "foo" },
  { "\u03C2@example.com/foo", "\u03C2@example.com/foo", "\u03C2", "example.com", "foo" },
  { "king@example.com/\u265A", "king@example.com/\u265A", "king", "example.com", "\u265A" },
  { "example.com", "example.com", NULL, "example.com", NULL },
  { "example.com/foobar", "example.com/foobar", NULL, "example.com", "foobar" },
  { "a.example.com/b@example.net", "a.example.com/b@example.net", NULL, "a.example.com", "b@example.net" },
  /* derived cases */
  { "Juliet@Example.COM/Balcony", "juliet@example.com/Balcony", "juliet", "example.com", "Balcony" },
  { "juliet@example.com.", "juliet@example.com", "juliet", "example.com", NULL },
  { "juliet@example.com./x", "juliet@example.com/x", "juliet", "example.com", "x" },
  { "juliet@example.com/a/b", "juliet@example.com/a/b", "juliet", "example.com", "a/b" },
  { "juliet@example.com/foo@bar/baz", "juliet@example.com/foo@bar/baz", "juliet", "example.com", "foo@bar/baz" },
  { "J.R.R.Tolkien@example.com", "j.r.r.tolkien@example.com", "j.r.r.tolkien", "example.com", NULL },
  { "a_b@my_host.example", "a_b@my_host.example", "a_b", "my_host.example", NULL },
  { "localhost", "localhost", NULL, "localhost", NULL },
  { "x@a1-b2.c3", "x@a1-b2.c3", "x", "a1-b2.c3", NULL },
  /* IP literals */
  { "juliet@127.0.0.1", "juliet@127.0.0.1", "juliet", "127.0.0.1", NULL },
  { "juliet@192.168.0.255./r", "juliet@192.168.0.255/r", "juliet", "192.168.0.255", "r" },
  { "juliet@[::1]/x", "juliet@[::1]/x", "juliet", "[::1]", "x" },
  { "[::]", "[::]", NULL, "[::]", NULL },
  { "juliet@[2001:DB8::1]", "juliet@[2001:db8::1]", "juliet", "[2001:db8::1]", NULL },
  { "juliet@[2001:0db8:0000:0000:0000:0000:0000:0001]", "juliet@[2001:db8::1]", "juliet", "[2001:db8::1]", NULL },
  { "juliet@[2001:db8:0:0:1:0:0:1]", "juliet@[2001:db8::1:0:0:1]", "juliet", "[2001:db8::1:0:0:1]", NULL },
  { "juliet@[2001:db8:0:1:1:1:1:1]", "juliet@[2001:db8:0:1:1:1:1:1]", "juliet", "[2001:db8:0:1:1:1:1:1]", NULL },
  { "juliet@[1:2:3:4:5:6:7::]", "juliet@[1:2:3:4:5:6:7:0]", "juliet", "[1:2:3:4:5:6:7:0]", NULL },
  { "juliet@[::FFFF:192.0.2.1]", "juliet@[::ffff:192.0.2.1]", "juliet", "[::ffff:192.0.2.1]", NULL },
  { "juliet@[::192.0.2.1]", "juliet@[::c000:201]", "juliet", "[::c000:201]", NULL },
  /* internationalised domains: A-labels become U-labels */
  { "juliet@xn--bcher-kva.example", "juliet@b\u00FCcher.example", "juliet", "b\u00FCcher.example", NULL },
  { "juliet@XN--BCHER-KVA.example", "juliet@b\u00FCcher.example", "juliet", "b\u00FCcher.example", NULL },
  { "juliet@B\u00DCCHER.example", "juliet@b\u00FCcher.example", "juliet", "b\u00FCcher.example", NULL },
  { "juliet@bu\u0308cher.example", "juliet@b\u00FCcher.example", "juliet", "b\u00FCcher.example", NULL },
  { "juliet@xn--r8jz45g.xn--zckzah", "juliet@\u4F8B\u3048.\u30C6\u30B9\u30C8", "juliet",
    "\u4F8B\u3048.\u30C6\u30B9\u30C8", NULL },
  { "juliet@\u4F8B\u3048\u3002\u30C6\u30B9\u30C8", "juliet@\u4F8B\u3048.\u30C6\u30B9\u30C8", "juliet",
    "\u4F8B\u3048.\u30C6\u30B9\u30C8", NULL },
  { "juliet@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com", "juliet@example.com", "juliet", "example.com", NULL },
  /* localpart: width mapping, case mapping, NFC, context and bidi rules */
  { "\uFF2A\uFF55\uFF4C\uFF49\uFF45\uFF54@example.com", "juliet@example.com", "juliet", "example.com", NULL },
  { "e\u0301@example.com", "\u00E9@example.com", "\u00E9", "example.com", NULL },
  { "\u00C9MILE@example.com", "\u00E9mile@example.com", "\u00E9mile", "example.com", NULL },
  { "\u00C9.x_y+z!#$%\\@example.com", "\u00E9.x_y+z!#$%\\@example.com", "\u00E9.x_y+z!#$%\\", "example.com", NULL },
  { "\u0130@example.com", "i\u0307@example.com", "i\u0307", "example.com", NULL },
  { "\u1E9E@example.com", "\u00DF@example.com", "\u00DF", "example.com", NULL },
  { "l\u00B7l@example.com", "l\u00B7l@example.com", "l\u00B7l", "example.com", NULL },
  { "\u0645\u062D\u0645\u062F@example.com", "\u0645\u062D\u0645\u062F@example.com",
    "\u0645\u062D\u0645\u062F", "example.com", NULL },
  { "\u0645\u062D\u0645\u062F1@example.com", "\u0645\u062D\u0645\u062F1@example.com",
    "\u0645\u062D\u0645\u062F1", "example.com", NULL },
  { "\u0928\u094D\u200D@example.com", "\u0928\u094D\u200D@example.com", "\u0928\u094D\u200D", "example.com", NULL },
  /* resourcepart: case and width kept, Zs mapped, NFC */
  { "juliet@example.com/\uFF21\uFF22\uFF23", "juliet@example.com/\uFF21\uFF22\uFF23", "juliet", "example.com",
    "\uFF21\uFF22\uFF23" },
  { "juliet@example.com/henry\u2163", "juliet@example.com/henry\u2163", "juliet", "example.com", "henry\u2163" },
  { "juliet@example.com/a\u00A0b\u3000c", "juliet@example.com/a b c", "juliet", "example.com", "a b c" },
  { "juliet@example.com/e\u0301", "juliet@example.com/\u00E9", "juliet", "example.com", "\u00E9" },
  { "juliet@example.com/Balcony \u2603 ", "juliet@example.com/Balcony \u2603 ", "juliet", "example.com",
    "Balcony \u2603 " },
};

typedef struct
{
  const char *input;
  const char *part;   /* the part the error message must name */
} InvalidJid;

static const InvalidJid invalid_jids[] = {
  /* RFC 7622 §3.5, table 2 */
  { "\"juliet\"@example.com", "localpart" },
  { "foo bar@example.com", "localpart" },
  { "juliet@example.com/ foo", "resourcepart" },
  { "@example.com/", "localpart" },
  { "henry\u2163@example.com", "localpart" },
  { "\u265A@example.com", "localpart" },
  { "juliet@", "domainpart" },
  { "/foobar", "domainpart" },
  /* empty parts and structure */
  { "", "domainpart" },
  { "@", "localpart" },
  { "juliet@example.com/", "resourcepart" },
  { "example.com/", "resourcepart" },
  { "a@b@c", "domainpart" },
  { ".", "domainpart" },
  /* localpart */
  { "a:b@example.com", "localpart" },
  { "a<b@example.com", "localpart" },
  { "a>b@example.com", "localpart" },
  { "a&b@example.com", "localpart" },
  { "a'b@example.com", "localpart" },
  { "a\tb@example.com", "localpart" },
  { "a\x7f" "b@example.com", "localpart" },
  { "a\uFF20b@example.com", "localpart" },          /* fullwidth @ maps to @ */
  { "a\u3000b@example.com", "localpart" },          /* ideographic space */
  { "juliet\u200B@example.com", "localpart" },      /* default ignorable */
  { "\u01C5@example.com", "localpart" },            /* titlecase letter */
  { "\uE000@example.com", "localpart" },            /* private use */
  { "\uFB01x@example.com", "localpart" },           /* ligature: compatibility letter */
  { "\u00AA@example.com", "localpart" },            /* superscript letter */
  { "\U0001D400@example.com", "localpart" },        /* mathematical bold A */
  { "\u212B@example.com", "localpart" },            /* ANGSTROM SIGN: canonical singleton */
  { "a\u00B7b@example.com", "localpart" },          /* middle dot outside l·l */
  { "a\u200Db@example.com", "localpart" },          /* ZWJ without virama */
  { "juliet\u0645\u062D\u0645\u062F@example.com", "localpart" },  /* bidi rule 1 */
  { "\u0645\u0661" "1@example.com", "localpart" },  /* bidi rule 4: AN and EN */
  { "\u0661\u06F1@example.com", "localpart" },      /* Arabic-Indic digit mix */
  { "1\u0645@example.com", "localpart" },           /* bidi rule 1: starts with EN */
  { "\xc3@example.com", "localpart" },              /* invalid UTF-8 */
  /* domainpart */
  { "juliet@example..com", "domainpart" },
  { "juliet@.example.com", "domainpart" },
  { "juliet@example.com..", "domainpart" },
  { "juliet@exa mple.com", "domainpart" },
  { "juliet@-example.com", "domainpart" },
  { "juliet@example-.com", "domainpart" },
  { "juliet@exa!mple.com", "domainpart" },
  { "juliet@::1", "domainpart" },
  { "juliet@[::1", "domainpart" },
  { "juliet@[]", "domainpart" },
  { "juliet@[1::2::3]", "domainpart" },
  { "juliet@[::1%eth0]", "domainpart" },
  { "juliet@[1:2:3:4:5:6:7:8:9]", "domainpart" },
  { "juliet@[1:2:3:4:5:6:7]", "domainpart" },
  { "juliet@[1:2:3:4::5:6:7:8]", "domainpart" },
  { "juliet@[12345::1]", "domainpart" },
  { "juliet@[127.0.0.1]", "domainpart" },
  { "juliet@256.0.0.1", "domainpart" },
  { "juliet@1.2.3", "domainpart" },
  { "juliet@01.2.3.4", "domainpart" },
  { "juliet@123", "domainpart" },
  { "juliet@xn--a.example", "domainpart" },         /* decodes to nothing */
  { "juliet@xn--ls8h.example", "domainpart" },      /* emoji: not IDNA2008 */
  { "juliet@xn--abc-.example", "domainpart" },      /* broken punycode */
  { "juliet@xn--.example", "domainpart" },
  { "juliet@xn--wca.example", "domainpart" },       /* decodes to uppercase Ü */
  { "juliet@\u2603.example", "domainpart" },
  { "juliet@b\u00FC-.example", "domainpart" },
  { "juliet@\u01C6.example", "domainpart" },        /* compatibility character */
  { "juliet@\u00B5.example", "domainpart" },        /* MICRO SIGN, not mapped to μ */
  { "juliet@\xff.example", "domainpart" },
  { "juliet@example\u3002com\u3002", "domainpart" },
  /* resourcepart */
  { "juliet@example.com/foo\x01" "bar", "resourcepart" },
  { "juliet@example.com/foo\tbar", "resourcepart" },
  { "juliet@example.com/foo\nbar", "resourcepart" },
  { "juliet@example.com/foo\x7f", "resourcepart" },
  { "juliet@example.com/foo\xc2\x85", "resourcepart" },   /* C1 control */
  { "juliet@example.com/\u00A0foo", "resourcepart" },   /* leading space after mapping */
  { "juliet@example.com/foo\u200Bbar", "resourcepart" },
  { "juliet@example.com/\uE000", "resourcepart" },
  { "juliet@example.com/\uFFFF", "resourcepart" },
  { "juliet@example.com/a\u200Db", "resourcepart" },
  { "juliet@example.com/\xc3", "resourcepart" },
  { "juliet@example.com/\u0661\u06F1", "resourcepart" },   /* Arabic-Indic digit mix */
};

static void
assert_jid_parts (XmppJid        *jid,
                  const ValidJid *v)
{
  g_autofree char *bare = NULL;

  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, v->canonical);
  g_assert_cmpstr (xmpp_jid_get_local (jid), ==, v->local);
  g_assert_cmpstr (xmpp_jid_get_domain (jid), ==, v->domain);
  g_assert_cmpstr (xmpp_jid_get_resource (jid), ==, v->resource);

  if (v->local != NULL)
    bare = g_strdup_printf ("%s@%s", v->local, v->domain);
  else
    bare = g_strdup (v->domain);
  g_assert_cmpstr (xmpp_jid_get_bare_string (jid), ==, bare);
  g_assert_true (xmpp_jid_is_bare (jid) == (v->resource == NULL));
  g_assert_true (xmpp_jid_is_domain (jid) == (v->resource == NULL && v->local == NULL));
}

static void
test_valid (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (valid_jids), >=, 30);

  for (gsize i = 0; i < G_N_ELEMENTS (valid_jids); i++)
    {
      const ValidJid *v = &valid_jids[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(XmppJid) jid = NULL;
      g_autoptr(XmppJid) again = NULL;
      g_autofree char *prepared = NULL;
      g_autofree char *escaped = g_strescape (v->input, NULL);

      g_test_message ("valid: %s", escaped);
      jid = xmpp_jid_new (v->input, &error);
      g_assert_no_error (error);
      g_assert_nonnull (jid);
      assert_jid_parts (jid, v);

      /* Enforcement is idempotent. */
      again = xmpp_jid_new (v->canonical, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (xmpp_jid_to_string (again), ==, v->canonical);
      g_assert_true (xmpp_jid_equal (jid, again));

      prepared = xmpp_jid_prepare (v->input, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (prepared, ==, v->canonical);
    }
}

static void
assert_invalid (const char *input,
                const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) jid = NULL;
  g_autofree char *prepared = NULL;

  jid = xmpp_jid_new (input, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (jid);
  if (part != NULL && strstr (error->message, part) == NULL)
    g_error ("“%s”: message “%s” does not name the %s", input, error->message, part);
  g_clear_error (&error);

  prepared = xmpp_jid_prepare (input, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (prepared);
}

static void
test_invalid (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (invalid_jids), >=, 30);

  for (gsize i = 0; i < G_N_ELEMENTS (invalid_jids); i++)
    {
      g_autofree char *escaped = g_strescape (invalid_jids[i].input, NULL);

      g_test_message ("invalid: %s", escaped);
      assert_invalid (invalid_jids[i].input, invalid_jids[i].part);
    }
}

static void
test_error_messages (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) jid = NULL;

  jid = xmpp_jid_new ("a<b@example.com", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_nonnull (strstr (error->message, "“<”"));
  g_clear_error (&error);

  jid = xmpp_jid_new ("juliet@example.com/a\x01", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_nonnull (strstr (error->message, "U+0001"));
  g_clear_error (&error);

  jid = xmpp_jid_new ("juliet@example.com/", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_nonnull (strstr (error->message, "empty"));
}

static char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

static void
test_part_lengths (void)
{
  g_autofree char *l1023 = repeat ('a', 1023);
  g_autofree char *l1024 = repeat ('a', 1024);
  g_autofree char *huge = repeat ('a', 100000);
  g_autoptr(GString) d1023 = g_string_new (NULL);
  g_autoptr(GString) d1024 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) jid = NULL;
  g_autofree char *s = NULL;
  g_autofree char *fullwidth = NULL;
  GString *fw;

  /* localpart */
  s = g_strdup_printf ("%s@example.com", l1023);
  jid = xmpp_jid_new (s, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (xmpp_jid_get_local (jid)), ==, 1023);
  g_clear_pointer (&jid, xmpp_jid_unref);
  g_free (s);
  s = g_strdup_printf ("%s@example.com", l1024);
  assert_invalid (s, "localpart");
  g_free (s);
  s = g_strdup_printf ("%s@example.com", huge);
  assert_invalid (s, "localpart");

  /* resourcepart */
  g_free (s);
  s = g_strdup_printf ("juliet@example.com/%s", l1023);
  jid = xmpp_jid_new (s, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (xmpp_jid_get_resource (jid)), ==, 1023);
  g_clear_pointer (&jid, xmpp_jid_unref);
  g_free (s);
  s = g_strdup_printf ("juliet@example.com/%s", l1024);
  assert_invalid (s, "resourcepart");
  g_free (s);
  s = g_strdup_printf ("juliet@example.com/%s\u00E9", l1023);
  assert_invalid (s, "resourcepart");

  /* domainpart: 16 labels of 63 octets + 15 dots = 1023 */
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *label = repeat ('a' + i, 63);

      if (i > 0)
        g_string_append_c (d1023, '.');
      g_string_append (d1023, label);
    }
  g_assert_cmpuint (d1023->len, ==, 1023);
  jid = xmpp_jid_new (d1023->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_get_domain (jid), ==, d1023->str);
  g_clear_pointer (&jid, xmpp_jid_unref);

  /* a trailing dot does not count */
  g_free (s);
  s = g_strdup_printf ("%s.", d1023->str);
  jid = xmpp_jid_new (s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_get_domain (jid), ==, d1023->str);
  g_clear_pointer (&jid, xmpp_jid_unref);

  /* "z." + 62 × a + the other 15 labels = 1024 */
  d1024 = g_string_new (d1023->str);
  g_string_prepend (d1024, "z.");
  g_string_erase (d1024, 2, 1);
  g_assert_cmpuint (d1024->len, ==, 1024);
  assert_invalid (d1024->str, "domainpart");

  /* Lengths count after mapping: 1023 fullwidth letters (3069 bytes)
   * make a 1023-byte localpart. */
  fw = g_string_new (NULL);
  for (guint i = 0; i < 1023; i++)
    g_string_append (fw, "\uFF41");
  g_string_append (fw, "@example.com");
  fullwidth = g_string_free (fw, FALSE);
  jid = xmpp_jid_new (fullwidth, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_get_local (jid), ==, l1023);
}

static void
test_label_lengths (void)
{
  g_autofree char *l63 = repeat ('a', 63);
  g_autofree char *l64 = repeat ('a', 64);
  g_autofree char *a55 = repeat ('a', 55);
  g_autofree char *a56 = repeat ('a', 56);
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) jid = NULL;
  g_autofree char *s = NULL;
  g_autofree char *expected = NULL;

  s = g_strdup_printf ("juliet@%s.example.com", l63);
  jid = xmpp_jid_new (s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, s);
  g_clear_pointer (&jid, xmpp_jid_unref);

  g_free (s);
  s = g_strdup_printf ("juliet@%s.example.com", l64);
  assert_invalid (s, "domainpart");
  g_free (s);
  s = g_strdup_printf ("juliet@example.%s", l64);
  assert_invalid (s, "domainpart");

  /* The limit applies to the A-label: 55 × a + ä encodes to 63 octets,
   * 56 × a + ä (58 octets of UTF-8) to 64. */
  g_free (s);
  s = g_strdup_printf ("juliet@%s\u00E4.example", a55);
  jid = xmpp_jid_new (s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, s);
  g_clear_pointer (&jid, xmpp_jid_unref);

  g_free (s);
  s = g_strdup_printf ("juliet@xn--%s-uve.example", a55);
  expected = g_strdup_printf ("juliet@%s\u00E4.example", a55);
  jid = xmpp_jid_new (s, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, expected);
  g_clear_pointer (&jid, xmpp_jid_unref);

  g_free (s);
  s = g_strdup_printf ("juliet@%s\u00E4.example", a56);
  assert_invalid (s, "domainpart");
}

static void
test_idn_equal (void)
{
  g_autoptr(XmppJid) a = xmpp_jid_new ("juliet@xn--bcher-kva.example/r", NULL);
  g_autoptr(XmppJid) u = xmpp_jid_new ("juliet@b\u00FCcher.example/r", NULL);
  g_autoptr(XmppJid) upper = xmpp_jid_new ("JULIET@B\u00DCCHER.EXAMPLE./r", NULL);
  g_autoptr(XmppJid) other = xmpp_jid_new ("juliet@bucher.example/r", NULL);

  g_assert_nonnull (a);
  g_assert_nonnull (u);
  g_assert_nonnull (upper);
  g_assert_nonnull (other);
  g_assert_true (xmpp_jid_equal (a, u));
  g_assert_true (xmpp_jid_equal (u, upper));
  g_assert_cmpuint (xmpp_jid_hash (a), ==, xmpp_jid_hash (u));
  g_assert_cmpuint (xmpp_jid_hash (a), ==, xmpp_jid_hash (upper));
  g_assert_false (xmpp_jid_equal (a, other));
  g_assert_cmpstr (xmpp_jid_get_domain (a), ==, "b\u00FCcher.example");
}

static void
test_precis_distinctions (void)
{
  g_autoptr(XmppJid) fuss = xmpp_jid_new ("fussball@example.com", NULL);
  g_autoptr(XmppJid) fuss_eszett = xmpp_jid_new ("fu\u00DFball@example.com", NULL);
  g_autoptr(XmppJid) sigma_upper = xmpp_jid_new ("\u03A3@example.com/foo", NULL);
  g_autoptr(XmppJid) sigma = xmpp_jid_new ("\u03C3@example.com/foo", NULL);
  g_autoptr(XmppJid) final_sigma = xmpp_jid_new ("\u03C2@example.com/foo", NULL);
  g_autoptr(XmppJid) balcony = xmpp_jid_new ("juliet@example.com/Balcony", NULL);
  g_autoptr(XmppJid) balcony_lower = xmpp_jid_new ("juliet@example.com/balcony", NULL);
  g_autoptr(XmppJid) fullwidth = xmpp_jid_new ("\uFF2A\uFF35\uFF2C\uFF29\uFF25\uFF34@example.com", NULL);
  g_autoptr(XmppJid) ascii = xmpp_jid_new ("juliet@example.com", NULL);

  g_assert_false (xmpp_jid_equal (fuss, fuss_eszett));
  g_assert_true (xmpp_jid_equal (sigma_upper, sigma));
  g_assert_false (xmpp_jid_equal (sigma, final_sigma));
  /* Resources keep their case ... */
  g_assert_false (xmpp_jid_equal (balcony, balcony_lower));
  g_assert_true (xmpp_jid_bare_equal (balcony, balcony_lower));
  /* ... while fullwidth letters in a localpart map to ASCII. */
  g_assert_true (xmpp_jid_equal (fullwidth, ascii));
  g_assert_cmpstr (xmpp_jid_get_local (fullwidth), ==, "juliet");
}

static void
test_ip_literals (void)
{
  const struct {
    const char *input;
    const char *domain;
  } cases[] = {
    { "[0:0:0:0:0:0:0:1]", "[::1]" },
    { "[::0:1]", "[::1]" },
    { "[fe80::]", "[fe80::]" },
    { "[FE80:0:0:0:0:0:0:0]", "[fe80::]" },
    { "[1:0:0:2:0:0:0:3]", "[1:0:0:2::3]" },
    { "[0:0:1:0:0:1:0:0]", "[::1:0:0:1:0:0]" },
    { "[::ffff:10.0.0.1]", "[::ffff:10.0.0.1]" },
    { "[::ffff:a00:1]", "[::ffff:10.0.0.1]" },
    { "[1:2:3:4:5:6:1.2.3.4]", "[1:2:3:4:5:6:102:304]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(XmppJid) jid = xmpp_jid_new (cases[i].input, &error);

      g_test_message ("IP literal: %s", cases[i].input);
      g_assert_no_error (error);
      g_assert_cmpstr (xmpp_jid_get_domain (jid), ==, cases[i].domain);
      g_assert_true (xmpp_jid_is_domain (jid));
    }
}

static void
test_compare (void)
{
  g_autoptr(XmppJid) full = xmpp_jid_new ("juliet@example.com/balcony", NULL);
  g_autoptr(XmppJid) full2 = xmpp_jid_new ("Juliet@EXAMPLE.com./balcony", NULL);
  g_autoptr(XmppJid) other_res = xmpp_jid_new ("juliet@example.com/garden", NULL);
  g_autoptr(XmppJid) bare = xmpp_jid_new ("juliet@example.com", NULL);
  g_autoptr(XmppJid) romeo = xmpp_jid_new ("romeo@example.com/balcony", NULL);
  g_autoptr(XmppJid) domain = xmpp_jid_new ("example.com", NULL);

  g_assert_true (xmpp_jid_equal (full, full));
  g_assert_true (xmpp_jid_equal (full, full2));
  g_assert_false (xmpp_jid_equal (full, other_res));
  g_assert_false (xmpp_jid_equal (full, bare));
  g_assert_false (xmpp_jid_equal (bare, full));
  g_assert_false (xmpp_jid_equal (full, romeo));
  g_assert_false (xmpp_jid_equal (bare, domain));

  g_assert_true (xmpp_jid_bare_equal (full, other_res));
  g_assert_true (xmpp_jid_bare_equal (full, bare));
  g_assert_true (xmpp_jid_bare_equal (bare, full2));
  g_assert_false (xmpp_jid_bare_equal (full, romeo));
  g_assert_false (xmpp_jid_bare_equal (bare, domain));

  g_assert_true (xmpp_jid_equal (NULL, NULL));
  g_assert_false (xmpp_jid_equal (full, NULL));
  g_assert_false (xmpp_jid_equal (NULL, full));
  g_assert_false (xmpp_jid_bare_equal (NULL, bare));

  g_assert_true (xmpp_jid_equal_func (full, full2));
  g_assert_false (xmpp_jid_equal_func (full, other_res));
  g_assert_true (xmpp_jid_bare_equal_func (full, other_res));
}

static void
test_hash (void)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full (xmpp_jid_hash, xmpp_jid_equal_func,
                                                       (GDestroyNotify) xmpp_jid_unref, NULL);
  g_autoptr(GHashTable) bare_table = g_hash_table_new_full (xmpp_jid_bare_hash, xmpp_jid_bare_equal_func,
                                                            (GDestroyNotify) xmpp_jid_unref, NULL);
  const char *spellings[] = {
    "juliet@example.com/balcony",
    "JULIET@Example.Com/balcony",
    "juliet@example.com./balcony",
    "\uFF4A\uFF55\uFF4C\uFF49\uFF45\uFF54@example.com/balcony",
  };
  g_autoptr(XmppJid) other = xmpp_jid_new ("juliet@example.com/Balcony", NULL);
  g_autoptr(XmppJid) bare = xmpp_jid_new ("juliet@example.com", NULL);

  /* Every pair of equal JIDs in the valid table hashes alike. */
  for (gsize i = 0; i < G_N_ELEMENTS (valid_jids); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (valid_jids); j++)
      {
        g_autoptr(XmppJid) a = xmpp_jid_new (valid_jids[i].input, NULL);
        g_autoptr(XmppJid) b = xmpp_jid_new (valid_jids[j].input, NULL);

        g_assert_true (xmpp_jid_equal (a, b) ==
                       (strcmp (valid_jids[i].canonical, valid_jids[j].canonical) == 0));
        if (xmpp_jid_equal (a, b))
          g_assert_cmpuint (xmpp_jid_hash (a), ==, xmpp_jid_hash (b));
        if (xmpp_jid_bare_equal (a, b))
          g_assert_cmpuint (xmpp_jid_bare_hash (a), ==, xmpp_jid_bare_hash (b));
      }

  for (gsize i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      XmppJid *jid = xmpp_jid_new (spellings[i], NULL);

      g_assert_nonnull (jid);
      g_hash_table_add (table, jid);
      g_hash_table_add (bare_table, xmpp_jid_ref (jid));
    }
  g_assert_cmpuint (g_hash_table_size (table), ==, 1);
  g_assert_false (g_hash_table_contains (table, other));
  g_assert_false (g_hash_table_contains (table, bare));
  g_hash_table_add (table, xmpp_jid_ref (other));
  g_assert_cmpuint (g_hash_table_size (table), ==, 2);

  g_assert_cmpuint (g_hash_table_size (bare_table), ==, 1);
  g_assert_true (g_hash_table_contains (bare_table, other));
  g_assert_true (g_hash_table_contains (bare_table, bare));
}

static void
test_get_bare (void)
{
  g_autoptr(XmppJid) full = xmpp_jid_new ("Juliet@Example.com/Balcony", NULL);
  g_autoptr(XmppJid) bare = NULL;
  g_autoptr(XmppJid) bare2 = NULL;
  g_autoptr(XmppJid) domain = NULL;
  g_autoptr(XmppJid) domain2 = NULL;

  bare = xmpp_jid_get_bare (full);
  g_assert_true (bare != full);
  g_assert_cmpstr (xmpp_jid_to_string (bare), ==, "juliet@example.com");
  g_assert_cmpstr (xmpp_jid_get_local (bare), ==, "juliet");
  g_assert_cmpstr (xmpp_jid_get_domain (bare), ==, "example.com");
  g_assert_null (xmpp_jid_get_resource (bare));
  g_assert_true (xmpp_jid_is_bare (bare));
  g_assert_false (xmpp_jid_is_bare (full));
  g_assert_cmpstr (xmpp_jid_get_bare_string (full), ==, "juliet@example.com");

  /* Already bare: the same object, one more reference. */
  bare2 = xmpp_jid_get_bare (bare);
  g_assert_true (bare2 == bare);

  domain = xmpp_jid_get_domain_jid (full);
  g_assert_cmpstr (xmpp_jid_to_string (domain), ==, "example.com");
  g_assert_true (xmpp_jid_is_domain (domain));
  g_assert_null (xmpp_jid_get_local (domain));
  domain2 = xmpp_jid_get_domain_jid (domain);
  g_assert_true (domain2 == domain);
}

static void
test_with_resource (void)
{
  g_autoptr(XmppJid) bare = xmpp_jid_new ("juliet@example.com", NULL);
  g_autoptr(XmppJid) full = NULL;
  g_autoptr(XmppJid) full2 = NULL;
  g_autoptr(XmppJid) same = NULL;
  g_autoptr(XmppJid) back = NULL;
  g_autoptr(XmppJid) domain = xmpp_jid_new ("example.com", NULL);
  g_autoptr(XmppJid) domain_full = NULL;
  g_autoptr(XmppJid) bad = NULL;
  g_autoptr(GError) error = NULL;

  full = xmpp_jid_with_resource (bare, "Balcony", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (full), ==, "juliet@example.com/Balcony");
  g_assert_cmpstr (xmpp_jid_get_resource (full), ==, "Balcony");
  g_assert_cmpstr (xmpp_jid_get_bare_string (full), ==, "juliet@example.com");

  full2 = xmpp_jid_with_resource (full, "garden\u00A0path", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (full2), ==, "juliet@example.com/garden path");

  same = xmpp_jid_with_resource (full, "Balcony", &error);
  g_assert_no_error (error);
  g_assert_true (same == full);

  back = xmpp_jid_with_resource (full, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (back), ==, "juliet@example.com");

  domain_full = xmpp_jid_with_resource (domain, "x", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (domain_full), ==, "example.com/x");
  g_assert_null (xmpp_jid_get_local (domain_full));

  bad = xmpp_jid_with_resource (bare, "", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (bad);
  g_clear_error (&error);
  bad = xmpp_jid_with_resource (bare, " lead", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (bad);
  g_clear_error (&error);
  bad = xmpp_jid_with_resource (bare, "a\x01", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (bad);
}

static void
test_from_parts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(XmppJid) parsed = NULL;

  jid = xmpp_jid_new_from_parts ("Juliet", "Example.COM.", "Balcony", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, "juliet@example.com/Balcony");
  parsed = xmpp_jid_new ("juliet@example.com/Balcony", NULL);
  g_assert_true (xmpp_jid_equal (jid, parsed));
  g_clear_pointer (&jid, xmpp_jid_unref);

  jid = xmpp_jid_new_from_parts (NULL, "example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, "example.com");
  g_assert_true (xmpp_jid_is_domain (jid));
  g_clear_pointer (&jid, xmpp_jid_unref);

  /* The resource is opaque: '/' and '@' are kept. */
  jid = xmpp_jid_new_from_parts ("\u03A3", "xn--bcher-kva.example", "a/b@c", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (xmpp_jid_to_string (jid), ==, "\u03C3@b\u00FCcher.example/a/b@c");
  g_assert_cmpstr (xmpp_jid_get_resource (jid), ==, "a/b@c");
  g_clear_pointer (&jid, xmpp_jid_unref);

  /* Parts are not re-split: separators in the wrong part are errors. */
  jid = xmpp_jid_new_from_parts ("a@b", "example.com", NULL, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (jid);
  g_clear_error (&error);
  jid = xmpp_jid_new_from_parts ("a/b", "example.com", NULL, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);
  jid = xmpp_jid_new_from_parts ("a", "example.com/x", NULL, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);
  jid = xmpp_jid_new_from_parts ("a", "b@example.com", NULL, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);

  /* Empty strings are present-but-empty parts, not absent ones. */
  jid = xmpp_jid_new_from_parts ("", "example.com", NULL, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);
  jid = xmpp_jid_new_from_parts (NULL, "example.com", "", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_clear_error (&error);
  jid = xmpp_jid_new_from_parts ("a", "", NULL, &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (jid);
}

static void
test_refcount (void)
{
  XmppJid *jid = xmpp_jid_new ("juliet@example.com/r", NULL);
  XmppJid *ref = xmpp_jid_ref (jid);
  const char *str = xmpp_jid_to_string (jid);

  g_assert_true (ref == jid);
  xmpp_jid_unref (jid);
  /* Still alive through ref. */
  g_assert_cmpstr (str, ==, "juliet@example.com/r");
  g_assert_cmpstr (xmpp_jid_get_resource (ref), ==, "r");
  xmpp_jid_unref (ref);
}

static void
test_prepare (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *s = NULL;

  s = xmpp_jid_prepare ("Romeo@Example.NET./Orchard", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, "romeo@example.net/Orchard");
  g_clear_pointer (&s, g_free);

  s = xmpp_jid_prepare ("romeo@", &error);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED);
  g_assert_null (s);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/jid/valid", test_valid);
  g_test_add_func ("/jid/invalid", test_invalid);
  g_test_add_func ("/jid/error-messages", test_error_messages);
  g_test_add_func ("/jid/part-lengths", test_part_lengths);
  g_test_add_func ("/jid/label-lengths", test_label_lengths);
  g_test_add_func ("/jid/idn-equal", test_idn_equal);
  g_test_add_func ("/jid/precis-distinctions", test_precis_distinctions);
  g_test_add_func ("/jid/ip-literals", test_ip_literals);
  g_test_add_func ("/jid/compare", test_compare);
  g_test_add_func ("/jid/hash", test_hash);
  g_test_add_func ("/jid/get-bare", test_get_bare);
  g_test_add_func ("/jid/with-resource", test_with_resource);
  g_test_add_func ("/jid/from-parts", test_from_parts);
  g_test_add_func ("/jid/refcount", test_refcount);
  g_test_add_func ("/jid/prepare", test_prepare);

  return g_test_run ();
}
