/* test-dataform.c: data forms (XEP-0004), media (XEP-0221), Bits of
 * Binary (XEP-0231) and in-band registration with a form (XEP-0077 §8).
 *
 * The forms are the XEPs' own examples: XEP-0004 §9.1 (a bot's
 * configuration, every field type), XEP-0077 §8 (registration with
 * x-gender) and XEP-0158 §9 (registration with a CAPTCHA). */
#include "config.h"

#include <string.h>

#include "stream-pair.h"
#include "xmpp-bob.h"
#include "xmpp-dataform.h"
#include "xmpp-parser.h"
#include "xmpp-register.h"

#define PNG_1X1 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
#define CID     "sha1+f24030b8d91d233bac14777be5ab531ca3b9f102@bob.xmpp.org"

/* XEP-0004 Example 2 (Service Returns Configuration Form). */
static const char xep0004_form[] =
  "<x xmlns='jabber:x:data' type='form'>"
  "<title>Bot Configuration</title>"
  "<instructions>Fill out this form to configure your new bot!</instructions>"
  "<field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>"
  "<field type='fixed'><value>Section 1: Bot Info</value></field>"
  "<field type='text-single' label='The name of your bot' var='botname'/>"
  "<field type='text-multi' label='Helpful description of your bot' var='description'/>"
  "<field type='boolean' label='Public bot?' var='public'><required/></field>"
  "<field type='text-private' label='Password for special access' var='password'/>"
  "<field type='fixed'><value>Section 2: Features</value></field>"
  "<field type='list-multi' label='What features will the bot support?' var='features'>"
  "<option label='Contests'><value>contests</value></option>"
  "<option label='News'><value>news</value></option>"
  "<option label='Polls'><value>polls</value></option>"
  "<option label='Reminders'><value>reminders</value></option>"
  "<option label='Search'><value>search</value></option>"
  "<value>news</value><value>search</value>"
  "</field>"
  "<field type='fixed'><value>Section 3: Subscriber List</value></field>"
  "<field type='list-single' label='Maximum number of subscribers' var='maxsubs'>"
  "<value>20</value>"
  "<option label='10'><value>10</value></option>"
  "<option label='20'><value>20</value></option>"
  "<option label='30'><value>30</value></option>"
  "<option label='50'><value>50</value></option>"
  "<option label='100'><value>100</value></option>"
  "<option label='None'><value>none</value></option>"
  "</field>"
  "<field type='fixed'><value>Section 4: Invitations</value></field>"
  "<field type='jid-multi' label='People to invite' var='invitelist'>"
  "<desc>Tell all your friends about your new bot!</desc>"
  "</field>"
  "</x>";

/* XEP-0077 Example 8 (Entity Requests Registration Fields, with a form). */
static const char xep0077_reply[] =
  "<iq type='result' from='" FAKE_SERVER_DOMAIN "' id='%s'>"
  "<query xmlns='jabber:iq:register'>"
  "<instructions>Use the enclosed form to register. If your Jabber client does not"
  " support Data Forms, visit http://www.shakespeare.lit/contests.php</instructions>"
  "<x xmlns='jabber:x:data' type='form'>"
  "<title>Contest Registration</title>"
  "<instructions>Please provide the following information to sign up for our special contests!</instructions>"
  "<field type='hidden' var='FORM_TYPE'><value>jabber:iq:register</value></field>"
  "<field type='text-single' label='Given Name' var='first'><required/></field>"
  "<field type='text-single' label='Family Name' var='last'><required/></field>"
  "<field type='text-single' label='Email Address' var='email'><required/></field>"
  "<field type='list-single' label='Gender' var='x-gender'>"
  "<option label='Male'><value>M</value></option>"
  "<option label='Female'><value>F</value></option>"
  "</field>"
  "</x>"
  "<x xmlns='jabber:x:oob'><url>http://www.shakespeare.lit/contests.php</url></x>"
  "</query></iq>";

static XmppElement *
parse_one (const char *xml)
{
  g_autoptr(GError) error = NULL;
  XmppElement *element = xmpp_element_parse (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (element);
  return element;
}

static XmppDataForm *
parse_form (const char  *xml,
            GError     **error)
{
  g_autoptr(XmppElement) x = parse_one (xml);

  return xmpp_data_form_parse (x, error);
}

static XmppDataField *
field_at (XmppDataForm *form,
          guint         i)
{
  g_assert_cmpuint (i, <, form->fields->len);
  return g_ptr_array_index (form->fields, i);
}

static void
test_parse_all_types (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppDataForm) form = parse_form (xep0004_form, &error);
  XmppDataField *field;
  XmppDataOption *option;

  g_assert_no_error (error);
  g_assert_nonnull (form);
  g_assert_cmpint (form->type, ==, XMPP_DATA_FORM_FORM);
  g_assert_cmpstr (form->title, ==, "Bot Configuration");
  g_assert_cmpuint (g_strv_length (form->instructions), ==, 1);
  g_assert_cmpstr (form->instructions[0], ==, "Fill out this form to configure your new bot!");
  g_assert_cmpuint (form->fields->len, ==, 12);
  g_assert_cmpstr (xmpp_data_form_get_form_type (form), ==, "jabber:bot");

  field = field_at (form, 1);
  g_assert_cmpint (field->type, ==, XMPP_DATA_FIELD_FIXED);
  g_assert_null (field->var);
  g_assert_cmpstr (xmpp_data_field_get_value (field), ==, "Section 1: Bot Info");

  field = xmpp_data_form_get_field (form, "botname");
  g_assert_cmpint (field->type, ==, XMPP_DATA_FIELD_TEXT_SINGLE);
  g_assert_cmpstr (field->label, ==, "The name of your bot");
  g_assert_false (field->required);
  g_assert_null (xmpp_data_field_get_value (field));

  g_assert_cmpint (xmpp_data_form_get_field (form, "description")->type, ==, XMPP_DATA_FIELD_TEXT_MULTI);
  field = xmpp_data_form_get_field (form, "public");
  g_assert_cmpint (field->type, ==, XMPP_DATA_FIELD_BOOLEAN);
  g_assert_true (field->required);
  g_assert_false (xmpp_data_field_get_boolean (field));
  g_assert_cmpint (xmpp_data_form_get_field (form, "password")->type, ==, XMPP_DATA_FIELD_TEXT_PRIVATE);

  field = xmpp_data_form_get_field (form, "features");
  g_assert_cmpint (field->type, ==, XMPP_DATA_FIELD_LIST_MULTI);
  g_assert_cmpuint (field->options->len, ==, 5);
  option = g_ptr_array_index (field->options, 4);
  g_assert_cmpstr (option->label, ==, "Search");
  g_assert_cmpstr (option->value, ==, "search");
  g_assert_cmpuint (g_strv_length (field->values), ==, 2);
  g_assert_cmpstr (field->values[1], ==, "search");
  g_assert_true (xmpp_data_field_is_valid (field));

  field = xmpp_data_form_get_field (form, "maxsubs");
  g_assert_cmpint (field->type, ==, XMPP_DATA_FIELD_LIST_SINGLE);
  g_assert_cmpstr (xmpp_data_field_get_value (field), ==, "20");
  g_assert_cmpuint (field->options->len, ==, 6);

  field = xmpp_data_form_get_field (form, "invitelist");
  g_assert_cmpint (field->type, ==, XMPP_DATA_FIELD_JID_MULTI);
  g_assert_cmpstr (field->desc, ==, "Tell all your friends about your new bot!");
  g_assert_cmpuint (field->media->len, ==, 0);
}

static char *
to_string (XmppDataForm *form)
{
  g_autoptr(XmppElement) x = xmpp_data_form_to_element (form);

  return xmpp_element_to_string (x);
}

/* XEP-0004 Example 3 (User Submits Configuration Form), in our order. */
static void
test_submit (void)
{
  g_autoptr(XmppDataForm) form = parse_form (xep0004_form, NULL);
  g_autoptr(XmppDataForm) submit = NULL;
  g_autofree char *xml = NULL;
  const char *features[] = { "news", "search", NULL };

  submit = xmpp_data_form_new_submit (form);
  g_assert_cmpint (submit->type, ==, XMPP_DATA_FORM_SUBMIT);
  /* No fixed fields in an answer. */
  g_assert_cmpuint (submit->fields->len, ==, 8);
  xmpp_data_form_set_value (submit, "botname", "The Jabber Google Bot");
  xmpp_data_form_set_value (submit, "description",
                            "This bot enables you to send requests to\nGoogle and receive the search results right\n"
                            "in your Jabber client. It' really cool!\nIt even supports Google News!");
  xmpp_data_form_set_boolean (submit, "public", FALSE);
  xmpp_data_form_set_value (submit, "password", "v3r0na");
  xmpp_data_form_set_values (submit, "features", features);
  xmpp_data_form_set_value (submit, "maxsubs", "20");
  xmpp_data_form_set_value (submit, "invitelist", "juliet@capulet.com\nromeo@montague.net\n");

  xml = to_string (submit);
  g_assert_cmpstr (xml, ==,
                   "<x xmlns='jabber:x:data' type='submit'>"
                   "<field var='FORM_TYPE' type='hidden'><value>jabber:bot</value></field>"
                   "<field var='botname'><value>The Jabber Google Bot</value></field>"
                   "<field var='description'>"
                   "<value>This bot enables you to send requests to</value>"
                   "<value>Google and receive the search results right</value>"
                   "<value>in your Jabber client. It' really cool!</value>"
                   "<value>It even supports Google News!</value></field>"
                   "<field var='public'><value>0</value></field>"
                   "<field var='password'><value>v3r0na</value></field>"
                   "<field var='features'><value>news</value><value>search</value></field>"
                   "<field var='maxsubs'><value>20</value></field>"
                   "<field var='invitelist'><value>juliet@capulet.com</value>"
                   "<value>romeo@montague.net</value></field>"
                   "</x>");
}

static void
test_submit_defaults (void)
{
  g_autoptr(XmppDataForm) form = parse_form (xep0004_form, NULL);
  g_autoptr(XmppDataForm) submit = xmpp_data_form_new_submit (form);
  g_autofree char *xml = NULL;

  /* Untouched: the defaults go back, optional empty fields stay out, the
   * required boolean goes with the value it had. */
  xmpp_data_form_set_value (submit, "password", NULL);
  xml = to_string (submit);
  g_assert_cmpstr (xml, ==,
                   "<x xmlns='jabber:x:data' type='submit'>"
                   "<field var='FORM_TYPE' type='hidden'><value>jabber:bot</value></field>"
                   "<field var='public'/>"
                   "<field var='features'><value>news</value><value>search</value></field>"
                   "<field var='maxsubs'><value>20</value></field>"
                   "</x>");
  /* A required field without a value is not valid yet. */
  g_assert_false (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "public")));
  xmpp_data_form_set_boolean (submit, "public", TRUE);
  g_assert_true (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "public")));
  g_assert_true (xmpp_data_field_get_boolean (xmpp_data_form_get_field (submit, "public")));
}

static void
test_validity (void)
{
  g_autoptr(XmppDataForm) form = parse_form (xep0004_form, NULL);
  g_autoptr(XmppDataForm) submit = xmpp_data_form_new_submit (form);
  const char *two[] = { "10", "20", NULL };
  const char *jids[] = { "juliet@capulet.com", "not a jid@", NULL };

  xmpp_data_form_set_value (submit, "maxsubs", "25");
  g_assert_false (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "maxsubs")));
  xmpp_data_form_set_values (submit, "maxsubs", two);
  g_assert_false (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "maxsubs")));
  xmpp_data_form_set_value (submit, "maxsubs", "none");
  g_assert_true (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "maxsubs")));
  xmpp_data_form_set_value (submit, "public", "yes");
  g_assert_false (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "public")));
  xmpp_data_form_set_value (submit, "public", "true");
  g_assert_true (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "public")));
  xmpp_data_form_set_values (submit, "invitelist", jids);
  g_assert_false (xmpp_data_field_is_valid (xmpp_data_form_get_field (submit, "invitelist")));
  /* A field the form did not have is added, as XEP-0004 allows. */
  xmpp_data_form_set_value (submit, "x-extra", "1");
  g_assert_cmpint (xmpp_data_form_get_field (submit, "x-extra")->type, ==, XMPP_DATA_FIELD_TEXT_SINGLE);
}

static void
test_broken_forms (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppDataForm) form = NULL;

  form = parse_form ("<x xmlns='jabber:x:data'><field var='a'/></x>", &error);
  g_assert_null (form);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  g_clear_error (&error);

  form = parse_form ("<x xmlns='jabber:x:data' type='formular'/>", &error);
  g_assert_null (form);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  g_clear_error (&error);

  form = parse_form ("<x xmlns='jabber:x:oob' type='form'/>", &error);
  g_assert_null (form);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  g_clear_error (&error);

  form = parse_form ("<x xmlns='jabber:x:data' type='form'>"
                     "<field var='a'/><field var='a' type='boolean'/></x>", &error);
  g_assert_null (form);
  g_assert_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  g_clear_error (&error);

  /* Lenient where nothing is lost: no type is text-single (so is an
   * unknown one), a field that is neither fixed nor named is dropped, an
   * option without a value too. */
  form = parse_form ("<x xmlns='jabber:x:data' type='form'>"
                     "<field var='a'/><field var='b' type='colour'/><field label='orphan'/>"
                     "<field var='c' type='list-single'><option label='x'/>"
                     "<option><value>y</value></option></field></x>", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (form->fields->len, ==, 3);
  g_assert_cmpint (field_at (form, 0)->type, ==, XMPP_DATA_FIELD_TEXT_SINGLE);
  g_assert_cmpint (field_at (form, 1)->type, ==, XMPP_DATA_FIELD_TEXT_SINGLE);
  g_assert_cmpuint (field_at (form, 2)->options->len, ==, 1);
  g_assert_null (((XmppDataOption *) g_ptr_array_index (field_at (form, 2)->options, 0))->label);
  g_assert_null (xmpp_data_form_get_form_type (form));
}

static void
test_type_names (void)
{
  for (guint i = XMPP_DATA_FIELD_BOOLEAN; i <= XMPP_DATA_FIELD_TEXT_SINGLE; i++)
    g_assert_cmpint (xmpp_data_field_type_from_string (xmpp_data_field_type_to_string (i)), ==, i);
  g_assert_cmpstr (xmpp_data_field_type_to_string (XMPP_DATA_FIELD_JID_MULTI), ==, "jid-multi");
  g_assert_cmpint (xmpp_data_field_type_from_string (NULL), ==, XMPP_DATA_FIELD_TEXT_SINGLE);
}

/* XEP-0158 §9 with XEP-0221 media: URIs on lines of their own. */
static const char captcha_reply[] =
  "<iq type='result' from='" FAKE_SERVER_DOMAIN "' id='%s'>"
  "<query xmlns='jabber:iq:register'>"
  "<x xmlns='jabber:x:data' type='form'>"
  "<field type='hidden' var='FORM_TYPE'><value>urn:xmpp:captcha</value></field>"
  "<field type='hidden' var='challenge'><value>F3A6292C</value></field>"
  "<field type='hidden' var='sid'><value>reg1</value></field>"
  "<field type='hidden' var='answers'><value>3</value></field>"
  "<field var='ocr' label='Enter the text you see'>"
  "<media xmlns='urn:xmpp:media-element' height='80' width='290'>"
  "<uri type='image/jpeg'>\n    http://www.victim.com/challenges/ocr.jpeg?F3A6292C\n  </uri>"
  "<uri type='image/png'>\n    cid:" CID "\n  </uri>"
  "</media></field>"
  "<field label='93C7A' type='text-single' var='SHA-256'/>"
  "<field type='text-single' var='username'><required/></field>"
  "<field type='text-private' var='password'><required/></field>"
  "</x>"
  "<instructions>To register, visit http://www.victim.com/register.html</instructions>"
  "%s"
  "</query></iq>";

static void
test_media (void)
{
  g_autofree char *xml = g_strdup_printf (captcha_reply, "r1", "");
  g_autoptr(XmppElement) iq = parse_one (xml);
  XmppElement *x = xmpp_element_find_child (xmpp_element_find_child (iq, XMPP_NS_REGISTER, "query"),
                                            XMPP_NS_DATA_FORM, "x");
  g_autoptr(XmppDataForm) form = xmpp_data_form_parse (x, NULL);
  XmppDataField *ocr;
  XmppDataMediaUri *uri;

  g_assert_nonnull (form);
  g_assert_cmpstr (xmpp_data_form_get_form_type (form), ==, "urn:xmpp:captcha");
  ocr = xmpp_data_form_get_field (form, "ocr");
  g_assert_cmpint (ocr->type, ==, XMPP_DATA_FIELD_TEXT_SINGLE);
  g_assert_cmpuint (ocr->media_width, ==, 290);
  g_assert_cmpuint (ocr->media_height, ==, 80);
  g_assert_cmpuint (ocr->media->len, ==, 2);
  uri = g_ptr_array_index (ocr->media, 0);
  g_assert_cmpstr (uri->type, ==, "image/jpeg");
  g_assert_cmpstr (uri->uri, ==, "http://www.victim.com/challenges/ocr.jpeg?F3A6292C");
  g_assert_null (xmpp_data_media_uri_get_cid (uri));
  uri = g_ptr_array_index (ocr->media, 1);
  g_assert_cmpstr (xmpp_data_media_uri_get_cid (uri), ==, CID);
}

static void
test_bob_parse (void)
{
  g_autoptr(XmppElement) good = parse_one ("<data xmlns='urn:xmpp:bob' cid='" CID "' type='image/png' max-age='0'>"
                                           PNG_1X1 "</data>");
  g_autoptr(XmppElement) broken = parse_one ("<data xmlns='urn:xmpp:bob' cid='x'>!!!</data>");
  g_autoptr(XmppElement) nocid = parse_one ("<data xmlns='urn:xmpp:bob'>" PNG_1X1 "</data>");
  g_autoptr(XmppElement) wrapped = parse_one ("<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='form'/>"
                                              "<data xmlns='urn:xmpp:bob' cid='other@bob.xmpp.org'>AAAA</data>"
                                              "<data xmlns='urn:xmpp:bob' cid='" CID "' type='image/png'>"
                                              PNG_1X1 "</data></query>");
  g_autoptr(XmppBob) bob = xmpp_bob_parse (good);
  gsize len;
  const guint8 *bytes;

  g_assert_nonnull (bob);
  g_assert_cmpstr (bob->cid, ==, CID);
  g_assert_cmpstr (bob->type, ==, "image/png");
  bytes = g_bytes_get_data (bob->data, &len);
  g_assert_cmpuint (len, ==, 70);
  g_assert_cmpmem (bytes, 4, "\x89PNG", 4);
  g_clear_pointer (&bob, xmpp_bob_free);

  g_assert_null (xmpp_bob_parse (broken));
  g_assert_null (xmpp_bob_parse (nocid));

  bob = xmpp_bob_find (wrapped, CID);
  g_assert_nonnull (bob);
  g_assert_cmpuint (g_bytes_get_size (bob->data), ==, 70);
  g_assert_null (xmpp_bob_find (wrapped, "missing@bob.xmpp.org"));
}

/* ---- over a stream: xmpp-register with a form, BoB by iq ------------- */

typedef struct
{
  gboolean          done;
  XmppRegisterForm *form;
  XmppBob          *bob;
  gboolean          ok;
  GError           *error;
} Result;

static void
form_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->form = xmpp_register_fetch_form_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
submitted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *r = user_data;

  r->ok = xmpp_register_submit_form_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
bob_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Result *r = user_data;

  r->bob = xmpp_bob_fetch_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void reply (StreamPair *pair,
                   const char *format,
                   ...) G_GNUC_PRINTF (2, 3);

static void
reply (StreamPair *pair,
       const char *format,
       ...)
{
  g_autofree char *xml = NULL;
  va_list args;

  va_start (args, format);
  xml = g_strdup_vprintf (format, args);
  va_end (args);
  fake_server_write (pair->fs, xml);
}

#define ID(iq) xmpp_element_get_attribute ((iq), "id")

static void
test_register_form (void)
{
  StreamPair pair = { 0 };
  Result r = { 0 };
  g_autoptr(XmppDataForm) answer = NULL;
  XmppElement *iq, *query, *x;
  g_autofree char *sent = NULL;

  stream_pair_open (&pair, NULL);
  xmpp_register_fetch_form_async (pair.client, NULL, form_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_REGISTER, 0)) != NULL);
  {
    g_autofree char *xml = g_strdup_printf (xep0077_reply, ID (iq));

    fake_server_write (pair.fs, xml);
  }
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);

  /* The legacy part (only instructions here) and the form. */
  g_assert_cmpuint (g_strv_length (r.form->fields), ==, 0);
  g_assert_nonnull (r.form->data_form);
  g_assert_cmpstr (r.form->data_form->title, ==, "Contest Registration");
  g_assert_cmpstr (xmpp_data_form_get_form_type (r.form->data_form), ==, "jabber:iq:register");
  g_assert_cmpuint (xmpp_data_form_get_field (r.form->data_form, "x-gender")->options->len, ==, 2);
  g_assert_nonnull (r.form->reply);

  /* XEP-0077 Example 9: the form goes back, nothing else. */
  answer = xmpp_data_form_new_submit (r.form->data_form);
  xmpp_data_form_set_value (answer, "first", "Juliet");
  xmpp_data_form_set_value (answer, "last", "Capulet");
  xmpp_data_form_set_value (answer, "email", "juliet@capulet.com");
  xmpp_data_form_set_value (answer, "x-gender", "F");
  g_clear_pointer (&r.form, xmpp_register_form_free);
  memset (&r, 0, sizeof r);
  xmpp_register_submit_form_async (pair.client, answer, NULL, submitted_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_REGISTER, 1)) != NULL);
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "type"), ==, "set");
  query = xmpp_element_find_child (iq, XMPP_NS_REGISTER, "query");
  x = xmpp_element_find_child (query, XMPP_NS_DATA_FORM, "x");
  g_assert_nonnull (x);
  g_assert_true (xmpp_element_next_child (query, NULL) == x && xmpp_element_next_child (query, x) == NULL);
  sent = xmpp_element_to_string (x);
  g_assert_cmpstr (sent, ==,
                   "<x xmlns='jabber:x:data' type='submit'>"
                   "<field var='FORM_TYPE' type='hidden'><value>jabber:iq:register</value></field>"
                   "<field var='first'><value>Juliet</value></field>"
                   "<field var='last'><value>Capulet</value></field>"
                   "<field var='email'><value>juliet@capulet.com</value></field>"
                   "<field var='x-gender'><value>F</value></field>"
                   "</x>");
  reply (&pair, "<iq type='error' from='" FAKE_SERVER_DOMAIN "' id='%s'><error type='cancel'>"
                "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>%s", ID (iq), "");
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_error (r.error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_CONFLICT);
  g_clear_error (&r.error);

  stream_pair_close (&pair);
}

static void
test_register_legacy_only (void)
{
  StreamPair pair = { 0 };
  Result r = { 0 };
  XmppElement *iq;

  stream_pair_open (&pair, NULL);
  xmpp_register_fetch_form_async (pair.client, NULL, form_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_REGISTER, 0)) != NULL);
  /* A form of the wrong type, next to legacy fields, is no form to fill in. */
  reply (&pair, "<iq type='result' from='" FAKE_SERVER_DOMAIN "' id='%s'><query xmlns='jabber:iq:register'>"
                "<username/><password/><x xmlns='jabber:x:data' type='result'/>%s</query></iq>", ID (iq), "");
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_null (r.form->data_form);
  g_assert_cmpuint (g_strv_length (r.form->fields), ==, 2);
  g_clear_pointer (&r.form, xmpp_register_form_free);
  stream_pair_close (&pair);
}

static void
test_bob_fetch (void)
{
  StreamPair pair = { 0 };
  Result r = { 0 };
  XmppElement *iq, *data;

  stream_pair_open (&pair, NULL);
  xmpp_bob_fetch_async (pair.client, NULL, CID, NULL, bob_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_BOB, 0)) != NULL);
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "type"), ==, "get");
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "to"), ==, FAKE_SERVER_DOMAIN);
  data = xmpp_element_find_child (iq, XMPP_NS_BOB, "data");
  g_assert_cmpstr (xmpp_element_get_attribute (data, "cid"), ==, CID);
  reply (&pair, "<iq type='result' from='" FAKE_SERVER_DOMAIN "' id='%s'>%s</iq>", ID (iq),
         "<data xmlns='urn:xmpp:bob' cid='" CID "' type='image/png'>" PNG_1X1 "</data>");
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.bob->type, ==, "image/png");
  g_assert_cmpuint (g_bytes_get_size (r.bob->data), ==, 70);
  g_clear_pointer (&r.bob, xmpp_bob_free);

  /* An answer without the data is an error, as is an error reply. */
  memset (&r, 0, sizeof r);
  xmpp_bob_fetch_async (pair.client, NULL, CID, NULL, bob_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_BOB, 1)) != NULL);
  reply (&pair, "<iq type='result' from='" FAKE_SERVER_DOMAIN "' id='%s'>%s</iq>", ID (iq), "");
  WAIT_UNTIL (r.done);
  g_assert_null (r.bob);
  g_assert_error (r.error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  g_clear_error (&r.error);

  memset (&r, 0, sizeof r);
  xmpp_bob_fetch_async (pair.client, NULL, CID, NULL, bob_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_BOB, 2)) != NULL);
  reply (&pair, "<iq type='error' from='" FAKE_SERVER_DOMAIN "' id='%s'><error type='cancel'>"
                "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>%s</iq>", ID (iq), "");
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_clear_error (&r.error);

  stream_pair_close (&pair);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dataform/parse-all-types", test_parse_all_types);
  g_test_add_func ("/dataform/submit", test_submit);
  g_test_add_func ("/dataform/submit-defaults", test_submit_defaults);
  g_test_add_func ("/dataform/validity", test_validity);
  g_test_add_func ("/dataform/broken-forms", test_broken_forms);
  g_test_add_func ("/dataform/type-names", test_type_names);
  g_test_add_func ("/dataform/media", test_media);
  g_test_add_func ("/dataform/bob-parse", test_bob_parse);
  g_test_add_func ("/dataform/register-form", test_register_form);
  g_test_add_func ("/dataform/register-legacy-only", test_register_legacy_only);
  g_test_add_func ("/dataform/bob-fetch", test_bob_fetch);

  return g_test_run ();
}
