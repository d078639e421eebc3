/* test-caps.c: XEP-0115 verification strings */
#include "config.h"

#include "xmpp-caps.h"
#include "xmpp-element.h"
#include "xmpp-error.h"

#define SIMPLE_S \
  "client/pc//Exodus 0.9.1<" \
  "http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" \
  "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<"

/* Ψ is U+03A8; the spaces are U+0020. */
#define COMPLEX_S \
  "client/pc/el/\xce\xa8 0.11<client/pc/en/Psi 0.11<" \
  "http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" \
  "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<" \
  "urn:xmpp:dataforms:softwareinfo<" \
  "ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<"

static XmppElement *
add_identity (XmppElement *query,
              const char  *category,
              const char  *type,
              const char  *lang,
              const char  *name)
{
  XmppElement *identity = xmpp_element_add_child_new (query, NULL, "identity");

  if (lang != NULL)
    xmpp_element_set_lang (identity, lang);
  if (category != NULL)
    xmpp_element_set_attribute (identity, "category", category);
  if (name != NULL)
    xmpp_element_set_attribute (identity, "name", name);
  if (type != NULL)
    xmpp_element_set_attribute (identity, "type", type);
  return identity;
}

static void
add_feature (XmppElement *query,
             const char  *var)
{
  XmppElement *feature = xmpp_element_add_child_new (query, NULL, "feature");

  xmpp_element_set_attribute (feature, "var", var);
}

static XmppElement *
add_form (XmppElement *query,
          const char  *type)
{
  XmppElement *x = xmpp_element_add_child_new (query, XMPP_NS_DATA_FORMS, "x");

  xmpp_element_set_attribute (x, "type", type);
  return x;
}

/* @values: NULL-terminated */
static XmppElement *
add_field (XmppElement        *x,
           const char         *var,
           const char         *type,
           const char * const *values)
{
  XmppElement *field = xmpp_element_add_child_new (x, NULL, "field");

  if (var != NULL)
    xmpp_element_set_attribute (field, "var", var);
  if (type != NULL)
    xmpp_element_set_attribute (field, "type", type);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    xmpp_element_add_child_with_text (field, NULL, "value", values[i]);
  return field;
}

static void
add_standard_features (XmppElement *query)
{
  /* Not sorted, on purpose. */
  add_feature (query, "http://jabber.org/protocol/disco#info");
  add_feature (query, "http://jabber.org/protocol/muc");
  add_feature (query, "http://jabber.org/protocol/caps");
  add_feature (query, "http://jabber.org/protocol/disco#items");
}

/* XEP-0115 §5.2 */
static XmppElement *
simple_query (void)
{
  XmppElement *query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");

  add_identity (query, "client", "pc", NULL, "Exodus 0.9.1");
  add_standard_features (query);
  return query;
}

/* XEP-0115 §5.3 */
static XmppElement *
complex_query (void)
{
  XmppElement *query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");
  XmppElement *x;

  xmpp_element_set_attribute (query, "node", "http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w=");
  add_identity (query, "client", "pc", "en", "Psi 0.11");
  add_identity (query, "client", "pc", "el", "\xce\xa8 0.11");
  add_feature (query, "http://jabber.org/protocol/caps");
  add_feature (query, "http://jabber.org/protocol/disco#info");
  add_feature (query, "http://jabber.org/protocol/disco#items");
  add_feature (query, "http://jabber.org/protocol/muc");

  x = add_form (query, "result");
  add_field (x, "FORM_TYPE", "hidden", (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
  add_field (x, "ip_version", NULL, (const char *[]) { "ipv4", "ipv6", NULL });
  add_field (x, "os", NULL, (const char *[]) { "Mac", NULL });
  add_field (x, "os_version", NULL, (const char *[]) { "10.5.1", NULL });
  add_field (x, "software", NULL, (const char *[]) { "Psi", NULL });
  add_field (x, "software_version", NULL, (const char *[]) { "0.11", NULL });
  return query;
}

static void
assert_ver (XmppElement *query,
            const char  *hash_name,
            const char  *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;

  ver = xmpp_caps_compute_ver (query, hash_name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ver, ==, expected);
}

static void
assert_s (XmppElement *query,
          const char  *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *s = NULL;

  s = xmpp_caps_build_string (query, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s, ==, expected);
}

static void
test_simple (void)
{
  g_autoptr(XmppElement) query = simple_query ();

  assert_s (query, SIMPLE_S);
  assert_ver (query, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

static void
test_complex (void)
{
  g_autoptr(XmppElement) query = complex_query ();

  assert_s (query, COMPLEX_S);
  assert_ver (query, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

/* The same content in another order gives the same ver. */
static void
test_order_independent (void)
{
  g_autoptr(XmppElement) query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");
  XmppElement *x;

  x = add_form (query, "result");
  add_field (x, "software_version", NULL, (const char *[]) { "0.11", NULL });
  add_field (x, "ip_version", NULL, (const char *[]) { "ipv6", "ipv4", NULL });
  add_field (x, "os", NULL, (const char *[]) { "Mac", NULL });
  add_field (x, "FORM_TYPE", "hidden", (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
  add_field (x, "software", NULL, (const char *[]) { "Psi", NULL });
  add_field (x, "os_version", NULL, (const char *[]) { "10.5.1", NULL });
  add_standard_features (query);
  add_identity (query, "client", "pc", "el", "\xce\xa8 0.11");
  add_identity (query, "client", "pc", "en", "Psi 0.11");
  /* Unrelated children do not count. */
  xmpp_element_add_child_new (query, "urn:example:other", "thing");
  xmpp_element_add_text (query, "  ", -1);

  assert_s (query, COMPLEX_S);
  assert_ver (query, "sha-1", "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

/* Other hashes; values computed with Python:
 *   base64.b64encode (hashlib.new (h, S.encode ()).digest ()) */
static void
test_other_hashes (void)
{
  g_autoptr(XmppElement) simple = simple_query ();
  g_autoptr(XmppElement) complex = complex_query ();
  g_autoptr(GError) error = NULL;

  assert_ver (simple, "sha-256", "Wr6IGEKhx6b9627gBmi/cCmpxXBc/GYq5zWuYfWGWoc=");
  assert_ver (simple, "sha-512", "fRSVSbrOODMrPDQyHoSWoR+RemysUcEeGGhMh+kl/hGp9UrJxyDnrh9BymsL57Am/eToRZ/T4s6QBqeC6LVmoQ==");
  assert_ver (complex, "sha-256", "VyRoCfkwN7Q9lxZhqOI+mxfSpo/MsaCF4hBufCzfCpI=");
  assert_ver (complex, "sha-512", "D2YKKKjx1pTqnV8eCvkyhkdcBe4lPrf8Rp/Ss0zmEut0XEkfTIVEk7zByVMifWpJeb9cTdufU+k47oKIkQ3UUQ==");
  /* Hash names are case-insensitive. */
  assert_ver (simple, "SHA-1", "QgayPKawpkPSDYmwT/WM94uAlu0=");

  g_assert_true (xmpp_caps_hash_is_supported ("sha-1"));
  g_assert_true (xmpp_caps_hash_is_supported ("sha-256"));
  g_assert_false (xmpp_caps_hash_is_supported ("md5"));
  g_assert_false (xmpp_caps_hash_is_supported (NULL));

  g_assert_null (xmpp_caps_compute_ver (simple, "md5", &error));
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT);
}

/* Sorting is by octets, fields are compared separately, empty slots stay. */
static void
test_sorting (void)
{
  g_autoptr(XmppElement) query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");
  XmppElement *x1, *x2;

  add_identity (query, "client", "pc", "en", NULL);
  add_identity (query, "client", "pc", NULL, "Zed");
  add_identity (query, "client", "bot", "en", "Bot");
  add_identity (query, "cl", "z", NULL, NULL);
  add_feature (query, "b");
  add_feature (query, "a");
  add_feature (query, "B");
  add_feature (query, "\xc3\xa9");  /* é sorts after every ASCII byte */
  x1 = add_form (query, "result");
  add_field (x1, "FORM_TYPE", "hidden", (const char *[]) { "urn:z", NULL });
  add_field (x1, "f", NULL, (const char *[]) { "2", "10", "1", NULL });
  add_field (x1, "e", NULL, NULL);
  add_field (x1, NULL, "fixed", (const char *[]) { "A fixed label", NULL });
  x2 = add_form (query, "result");
  add_field (x2, "FORM_TYPE", "hidden", (const char *[]) { "urn:a", NULL });
  add_field (x2, "k", NULL, (const char *[]) { "v", NULL });

  assert_s (query,
            "cl/z//<client/bot/en/Bot<client/pc//Zed<client/pc/en/<"
            "B<a<b<\xc3\xa9<"
            "urn:a<k<v<"
            "urn:z<e<f<1<10<2<");
}

/* Forms XEP-0115 §5.4 says to ignore */
static void
test_ignored_forms (void)
{
  g_autoptr(XmppElement) query = simple_query ();
  XmppElement *x;

  /* no FORM_TYPE */
  x = add_form (query, "result");
  add_field (x, "os", NULL, (const char *[]) { "Mac", NULL });
  /* FORM_TYPE not hidden */
  x = add_form (query, "result");
  add_field (x, "FORM_TYPE", NULL, (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
  add_field (x, "os", NULL, (const char *[]) { "Mac", NULL });
  /* not a result */
  x = add_form (query, "form");
  add_field (x, "FORM_TYPE", "hidden", (const char *[]) { "urn:example:form", NULL });
  /* FORM_TYPE without a value */
  x = add_form (query, "result");
  add_field (x, "FORM_TYPE", "hidden", NULL);

  assert_s (query, SIMPLE_S);
  assert_ver (query, "sha-1", "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

static void
assert_invalid (XmppElement *query,
                int          code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autofree char *s = NULL;
  g_autofree char *ver = NULL;

  s = xmpp_caps_build_string (query, &error);
  g_assert_null (s);
  g_assert_error (error, XMPP_ERROR, code);

  ver = xmpp_caps_compute_ver (query, "sha-1", &error2);
  g_assert_null (ver);
  g_assert_error (error2, XMPP_ERROR, code);
}

static void
test_validation (void)
{
  g_autoptr(XmppElement) dup_identity = simple_query ();
  g_autoptr(XmppElement) dup_feature = simple_query ();
  g_autoptr(XmppElement) dup_form_type = complex_query ();
  g_autoptr(XmppElement) two_values = simple_query ();
  g_autoptr(XmppElement) same_values = simple_query ();
  g_autoptr(XmppElement) no_category = simple_query ();
  g_autoptr(XmppElement) no_var = simple_query ();
  g_autoptr(XmppElement) not_disco = xmpp_element_new ("http://jabber.org/protocol/disco#items", "query");
  XmppElement *x;

  add_identity (dup_identity, "client", "pc", NULL, "Exodus 0.9.1");
  assert_invalid (dup_identity, XMPP_ERROR_PROTOCOL);

  add_feature (dup_feature, "http://jabber.org/protocol/muc");
  assert_invalid (dup_feature, XMPP_ERROR_PROTOCOL);

  x = add_form (dup_form_type, "result");
  add_field (x, "FORM_TYPE", "hidden", (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
  add_field (x, "os", NULL, (const char *[]) { "Linux", NULL });
  assert_invalid (dup_form_type, XMPP_ERROR_PROTOCOL);

  x = add_form (two_values, "result");
  add_field (x, "FORM_TYPE", "hidden", (const char *[]) { "urn:a", "urn:b", NULL });
  assert_invalid (two_values, XMPP_ERROR_PROTOCOL);

  /* The same value twice is not a conflict. */
  x = add_form (same_values, "result");
  add_field (x, "FORM_TYPE", "hidden", (const char *[]) { "urn:a", "urn:a", NULL });
  assert_s (same_values, SIMPLE_S "urn:a<");

  add_identity (no_category, NULL, "pc", NULL, NULL);
  assert_invalid (no_category, XMPP_ERROR_PROTOCOL);

  xmpp_element_add_child_new (no_var, NULL, "feature");
  assert_invalid (no_var, XMPP_ERROR_PROTOCOL);

  assert_invalid (not_disco, XMPP_ERROR_INVALID_ARGUMENT);
}

/* Identities that differ only in name, or only in lang, are distinct. */
static void
test_distinct_identities (void)
{
  g_autoptr(XmppElement) query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");

  add_identity (query, "client", "pc", "en", "A");
  add_identity (query, "client", "pc", "de", "A");
  add_identity (query, "client", "pc", "en", "B");
  assert_s (query, "client/pc/de/A<client/pc/en/A<client/pc/en/B<");
}

static void
test_empty (void)
{
  g_autoptr(XmppElement) query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");

  /* SHA-1 of the empty string */
  assert_s (query, "");
  assert_ver (query, "sha-1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/caps/xep-0115/simple", test_simple);
  g_test_add_func ("/caps/xep-0115/complex", test_complex);
  g_test_add_func ("/caps/order-independent", test_order_independent);
  g_test_add_func ("/caps/other-hashes", test_other_hashes);
  g_test_add_func ("/caps/sorting", test_sorting);
  g_test_add_func ("/caps/ignored-forms", test_ignored_forms);
  g_test_add_func ("/caps/validation", test_validation);
  g_test_add_func ("/caps/distinct-identities", test_distinct_identities);
  g_test_add_func ("/caps/empty", test_empty);

  return g_test_run ();
}
