/* test-registration-form.c: MessengerRegistration with data forms
 *
 * A FakeServer (TLS on 127.0.0.1, pinned) answers the registration
 * queries the way Prosody and ejabberd do when they send a data form
 * (XEP-0077 §8): a CAPTCHA (XEP-0158) whose picture is inline Bits of
 * Binary or has to be fetched (XEP-0231), choices, a switch, text to read
 * and hidden fields.  Checks the field model "Create an Account" renders,
 * what goes back to the server (the form, hidden fields echoed, no legacy
 * fields), a refused answer bringing a new CAPTCHA, and that servers
 * without a form still get legacy fields. */
#include "config.h"

#include <string.h>

#include "fake-server.h"
#include "messenger-registration.h"
#include "xmpp-bob.h"
#include "xmpp-dataform.h"
#include "xmpp-register.h"

#define PNG_1X1 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
#define CID_1   "sha1+1111111111111111111111111111111111111111@bob.xmpp.org"
#define CID_2   "sha1+2222222222222222222222222222222222222222@bob.xmpp.org"

/* What the scripted server does and saw. */
static struct
{
  gboolean     legacy;         /* legacy fields only */
  gboolean     inline_data;    /* the picture in the form's stanza */
  gboolean     bob_fails;      /* item-not-found for the picture */
  guint        n_forms;        /* forms sent: the challenge is "c<n>" */
  guint        n_bob;          /* pictures asked for */
  XmppElement *last_submit;    /* the last <query/> of a set */
} server;

static const char form_format[] =
  "<query xmlns='jabber:iq:register'>"
  "<instructions>Choose a username and password for use with this service.</instructions>"
  "<username/><password/>"
  "<x xmlns='jabber:x:data' type='form'>"
  "<title>Creating a new account</title>"
  "<instructions>Choose a user name, a password, and read the picture.</instructions>"
  "<field type='hidden' var='FORM_TYPE'><value>urn:xmpp:captcha</value></field>"
  "<field type='hidden' var='challenge'><value>c%u</value></field>"
  "<field type='hidden' var='sid'><value>reg</value></field>"
  "<field type='fixed'><value>If you cannot see the picture, visit the web page.</value></field>"
  "<field var='username' type='text-single' label='Username'><required/></field>"
  "<field var='password' type='text-private' label='Password'><required/></field>"
  "<field var='ocr' label='Enter the text you see'><required/>"
  "<media xmlns='urn:xmpp:media-element' height='80' width='290'>"
  "<uri type='image/png'>http://captcha.example.test/c%u.png</uri>"
  "<uri type='image/png'>cid:%s</uri>"
  "</media></field>"
  "<field var='audio_recog' label='Describe the sound you hear'>"
  "<media xmlns='urn:xmpp:media-element'><uri type='audio/x-wav'>http://captcha.example.test/a.wav</uri></media>"
  "</field>"
  "<field var='x-plan' type='list-single' label='Plan'><required/>"
  "<option label='Free'><value>free</value></option>"
  "<option label='Paid'><value>paid</value></option>"
  "</field>"
  "<field var='x-tos' type='boolean' label='I accept the terms'><desc>Read them first.</desc><value>0</value></field>"
  "<field var='x-about' type='text-multi' label='About you'/>"
  "<field var='x-langs' type='list-multi' label='Languages'>"
  "<option label='English'><value>en</value></option>"
  "<option label='中文'><value>zh</value></option>"
  "<value>en</value>"
  "</field>"
  "</x>"
  "%s"
  "</query>";

/* The first value of @var in @form, or NULL when it has no such field. */
static const char *
value_of (XmppDataForm *form,
          const char   *var)
{
  XmppDataField *field = xmpp_data_form_get_field (form, var);

  return field != NULL ? xmpp_data_field_get_value (field) : NULL;
}

static gboolean
hook (FakeServer  *fs,
      XmppElement *stanza)
{
  const char *type = xmpp_element_get_attribute (stanza, "type");
  XmppElement *query = xmpp_element_find_child (stanza, XMPP_NS_REGISTER, "query");
  XmppElement *data = xmpp_element_find_child (stanza, XMPP_NS_BOB, "data");
  g_autofree char *out = NULL;
  const char *id = xmpp_element_get_attribute (stanza, "id");

  if (!xmpp_element_is (stanza, XMPP_NS_CLIENT, "iq"))
    return FALSE;

  if (query != NULL && g_strcmp0 (type, "get") == 0)
    {
      g_autofree char *body = NULL;

      server.n_forms++;
      if (server.legacy)
        body = g_strdup ("<query xmlns='jabber:iq:register'><instructions>Pick a name.</instructions>"
                         "<username/><password/><email/></query>");
      else
        {
          const char *cid = server.n_forms % 2 == 1 ? CID_1 : CID_2;
          g_autofree char *inline_data = NULL;

          if (server.inline_data)
            inline_data = g_strdup_printf ("<data xmlns='urn:xmpp:bob' cid='%s' type='image/png' max-age='0'>"
                                           PNG_1X1 "</data>", cid);
          body = g_strdup_printf (form_format, server.n_forms, server.n_forms, cid,
                                  inline_data != NULL ? inline_data : "");
        }
      out = g_strdup_printf ("<iq type='result' id='%s' from='" FAKE_SERVER_DOMAIN "'>%s</iq>", id, body);
      fake_server_write (fs, out);
      return TRUE;
    }

  if (query != NULL && g_strcmp0 (type, "set") == 0)
    {
      XmppElement *x = xmpp_element_find_child (query, XMPP_NS_DATA_FORM, "x");
      g_autoptr(XmppDataForm) form = NULL;
      gboolean ok;

      g_clear_pointer (&server.last_submit, xmpp_element_unref);
      server.last_submit = xmpp_element_ref (query);
      if (server.legacy)
        ok = xmpp_element_find_child (query, NULL, "username") != NULL;
      else
        {
          g_autofree char *challenge = g_strdup_printf ("c%u", server.n_forms);

          form = x != NULL ? xmpp_data_form_parse (x, NULL) : NULL;
          ok = form != NULL
               && g_strcmp0 (value_of (form, "challenge"), challenge) == 0
               && g_strcmp0 (value_of (form, "ocr"), "7nHL3") == 0;
        }
      if (ok)
        out = g_strdup_printf ("<iq type='result' id='%s' from='" FAKE_SERVER_DOMAIN "'/>", id);
      else
        out = g_strdup_printf ("<iq type='error' id='%s' from='" FAKE_SERVER_DOMAIN "'><error type='modify'>"
                               "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                               "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>The CAPTCHA verification has failed</text>"
                               "</error></iq>", id);
      fake_server_write (fs, out);
      return TRUE;
    }

  if (data != NULL && g_strcmp0 (type, "get") == 0)
    {
      server.n_bob++;
      if (server.bob_fails)
        out = g_strdup_printf ("<iq type='error' id='%s' from='" FAKE_SERVER_DOMAIN "'><error type='cancel'>"
                               "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>", id);
      else
        out = g_strdup_printf ("<iq type='result' id='%s' from='" FAKE_SERVER_DOMAIN "'>"
                               "<data xmlns='urn:xmpp:bob' cid='%s' type='image/png'>" PNG_1X1 "</data></iq>",
                               id, xmpp_element_get_attribute (data, "cid"));
      fake_server_write (fs, out);
      return TRUE;
    }
  return FALSE;
}

typedef struct
{
  FakeServer            *fs;
  MessengerRegistration *reg;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&server.last_submit, xmpp_element_unref);
  memset (&server, 0, sizeof server);
  f->fs = fake_server_new ();
  f->fs->hook = hook;
  fake_server_start (f->fs);
  f->reg = messenger_registration_new (FAKE_SERVER_DOMAIN, &error);
  g_assert_no_error (error);
  messenger_registration_set_server (f->reg, "127.0.0.1", f->fs->port);
  messenger_registration_set_pinned_fingerprint (f->reg, fake_server_get_fingerprint ());
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->reg);
  drain_main_context ();
  g_clear_pointer (&f->fs, fake_server_free);
  g_clear_pointer (&server.last_submit, xmpp_element_unref);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
fetch_form (Fixture  *f,
            GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_registration_fetch_form_async (f->reg, NULL, result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return messenger_registration_fetch_form_finish (f->reg, result, error);
}

static MessengerAccount *
submit (Fixture     *f,
        GHashTable  *values,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  messenger_registration_submit_async (f->reg, values, NULL, result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return messenger_registration_submit_finish (f->reg, result, error);
}

static const MessengerRegistrationField *
field_named (Fixture    *f,
             const char *name)
{
  GPtrArray *fields = messenger_registration_get_form_fields (f->reg);

  for (guint i = 0; i < fields->len; i++)
    {
      const MessengerRegistrationField *field = g_ptr_array_index (fields, i);

      if (g_strcmp0 (field->name, name) == 0)
        return field;
    }
  return NULL;
}

static const char *
submitted_value (const char *var)
{
  XmppElement *x = xmpp_element_find_child (server.last_submit, XMPP_NS_DATA_FORM, "x");
  g_autoptr(XmppDataForm) form = NULL;
  XmppDataField *field;
  static char *joined;

  g_assert_nonnull (x);
  form = xmpp_data_form_parse (x, NULL);
  g_assert_nonnull (form);
  g_assert_cmpint (form->type, ==, XMPP_DATA_FORM_SUBMIT);
  field = xmpp_data_form_get_field (form, var);
  if (field == NULL)
    return NULL;
  g_free (joined);
  joined = g_strjoinv ("|", field->values);
  return joined;
}

static GHashTable *
values_new (const char *ocr)
{
  GHashTable *values = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (values, (gpointer) "username", (gpointer) "Juliet");
  g_hash_table_insert (values, (gpointer) "password", (gpointer) "r0meo");
  g_hash_table_insert (values, (gpointer) "ocr", (gpointer) ocr);
  g_hash_table_insert (values, (gpointer) "x-plan", (gpointer) "paid");
  g_hash_table_insert (values, (gpointer) "x-tos", (gpointer) "1");
  g_hash_table_insert (values, (gpointer) "x-about", (gpointer) "Line one\nLine two\n");
  g_hash_table_insert (values, (gpointer) "x-langs", (gpointer) "en\nzh");
  return values;
}

static void
test_field_model (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *fields;
  const MessengerRegistrationField *field;
  const char * const *names;

  server.inline_data = TRUE;
  g_assert_true (fetch_form (f, &error));
  g_assert_no_error (error);
  g_assert_true (messenger_registration_has_data_form (f->reg));
  g_assert_cmpstr (messenger_registration_get_instructions (f->reg), ==,
                   "Choose a user name, a password, and read the picture.");

  /* Hidden fields and the sound challenge are not shown. */
  fields = messenger_registration_get_form_fields (f->reg);
  g_assert_cmpuint (fields->len, ==, 8);
  names = messenger_registration_get_fields (f->reg);
  g_assert_cmpuint (g_strv_length ((GStrv) names), ==, 7);
  g_assert_cmpstr (names[0], ==, "username");
  g_assert_false (g_strv_contains (names, "challenge"));
  g_assert_false (g_strv_contains (names, "audio_recog"));

  field = g_ptr_array_index (fields, 0);
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_FIXED);
  g_assert_null (field->name);
  g_assert_cmpstr (field->value, ==, "If you cannot see the picture, visit the web page.");

  /* Fields XEP-0077 names keep the titles of the legacy form. */
  field = field_named (f, "username");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_TEXT);
  g_assert_cmpstr (field->title, ==, "User name");
  g_assert_true (field->required);
  g_assert_false (field->has_media);
  field = field_named (f, "password");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_SECRET);
  g_assert_cmpstr (field->title, ==, "Password");

  /* The CAPTCHA, with its picture from the same stanza. */
  field = field_named (f, "ocr");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_TEXT);
  g_assert_cmpstr (field->title, ==, "Text in the picture");
  g_assert_true (field->has_media);
  g_assert_nonnull (field->image);
  g_assert_cmpuint (g_bytes_get_size (field->image), ==, 70);
  g_assert_cmpstr (field->image_type, ==, "image/png");
  g_assert_cmpuint (field->image_width, ==, 290);
  g_assert_cmpuint (field->image_height, ==, 80);
  g_assert_null (field->link);
  g_assert_cmpuint (server.n_bob, ==, 0);

  field = field_named (f, "x-plan");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_CHOICE);
  g_assert_cmpstr (field->title, ==, "Plan");
  g_assert_cmpuint (g_strv_length (field->option_labels), ==, 2);
  g_assert_cmpstr (field->option_labels[1], ==, "Paid");
  g_assert_cmpstr (field->option_values[1], ==, "paid");
  g_assert_null (field->value);

  field = field_named (f, "x-tos");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_BOOLEAN);
  g_assert_cmpstr (field->value, ==, "0");
  g_assert_cmpstr (field->description, ==, "Read them first.");
  g_assert_false (field->required);

  g_assert_cmpint (field_named (f, "x-about")->kind, ==, MESSENGER_REGISTRATION_FIELD_MULTILINE);
  field = field_named (f, "x-langs");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE);
  g_assert_cmpstr (field->value, ==, "en");
  g_assert_cmpstr (field->option_labels[1], ==, "中文");
}

static void
test_captcha_submit (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) wrong = values_new ("wrong");
  g_autoptr(GHashTable) right = values_new ("7nHL3");
  g_autoptr(MessengerAccount) account = NULL;
  const MessengerRegistrationField *ocr;
  guint serial;

  /* The picture is not in the stanza: it is asked for. */
  g_assert_true (fetch_form (f, &error));
  g_assert_cmpuint (server.n_bob, ==, 1);
  ocr = field_named (f, "ocr");
  g_assert_nonnull (ocr->image);
  serial = messenger_registration_get_form_serial (f->reg);

  /* A wrong answer: refused in plain words, and a new CAPTCHA is there. */
  account = submit (f, wrong, &error);
  g_assert_null (account);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpstr (error->message, ==,
                   "The server did not accept the form. Check the fields, then type the text of the new picture.");
  g_clear_error (&error);
  g_assert_cmpuint (server.n_forms, ==, 2);
  g_assert_cmpuint (server.n_bob, ==, 2);
  g_assert_cmpuint (messenger_registration_get_form_serial (f->reg), !=, serial);
  g_assert_nonnull (field_named (f, "ocr")->image);

  /* What went: the form only, hidden fields as they came, canonical name. */
  g_assert_null (xmpp_element_find_child (server.last_submit, NULL, "username"));
  g_assert_null (xmpp_element_find_child (server.last_submit, NULL, "password"));
  g_assert_cmpstr (submitted_value ("FORM_TYPE"), ==, "urn:xmpp:captcha");
  g_assert_cmpstr (submitted_value ("challenge"), ==, "c1");
  g_assert_cmpstr (submitted_value ("sid"), ==, "reg");
  g_assert_cmpstr (submitted_value ("username"), ==, "juliet");
  g_assert_cmpstr (submitted_value ("password"), ==, "r0meo");
  g_assert_cmpstr (submitted_value ("ocr"), ==, "wrong");
  g_assert_cmpstr (submitted_value ("x-plan"), ==, "paid");
  g_assert_cmpstr (submitted_value ("x-tos"), ==, "1");
  g_assert_cmpstr (submitted_value ("x-about"), ==, "Line one|Line two");
  g_assert_cmpstr (submitted_value ("x-langs"), ==, "en|zh");
  g_assert_null (submitted_value ("audio_recog"));

  /* The right answer to the new picture. */
  account = submit (f, right, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, "juliet@" FAKE_SERVER_DOMAIN);
  g_assert_cmpstr (submitted_value ("challenge"), ==, "c2");
}

static void
test_missing_required (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = values_new ("7nHL3");
  g_autoptr(MessengerAccount) account = NULL;

  server.inline_data = TRUE;
  g_assert_true (fetch_form (f, &error));
  g_hash_table_insert (values, (gpointer) "x-plan", (gpointer) "");
  account = submit (f, values, &error);
  g_assert_null (account);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpstr (error->message, ==, "“Plan” needs to be filled in.");
  g_clear_error (&error);
  /* Nothing was sent. */
  g_assert_null (server.last_submit);

  g_hash_table_insert (values, (gpointer) "x-plan", (gpointer) "gold");
  account = submit (f, values, &error);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpstr (error->message, ==, "What is in “Plan” cannot be used.");
  g_assert_null (server.last_submit);
}

static void
test_picture_unavailable (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const MessengerRegistrationField *ocr;

  server.bob_fails = TRUE;
  g_assert_true (fetch_form (f, &error));
  g_assert_no_error (error);
  ocr = field_named (f, "ocr");
  g_assert_true (ocr->has_media);
  g_assert_null (ocr->image);
  /* The web address the server gave is the way left to see it. */
  g_assert_cmpstr (ocr->link, ==, "http://captcha.example.test/c1.png");
}

static void
test_legacy (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(MessengerAccount) account = NULL;
  GPtrArray *fields;
  const MessengerRegistrationField *field;

  server.legacy = TRUE;
  g_assert_true (fetch_form (f, &error));
  g_assert_false (messenger_registration_has_data_form (f->reg));
  g_assert_cmpstr (messenger_registration_get_instructions (f->reg), ==, "Pick a name.");
  fields = messenger_registration_get_form_fields (f->reg);
  g_assert_cmpuint (fields->len, ==, 3);
  field = g_ptr_array_index (fields, 2);
  g_assert_cmpstr (field->name, ==, "email");
  g_assert_cmpstr (field->title, ==, "Email address");
  g_assert_true (field->required);
  g_assert_cmpint (field_named (f, "password")->kind, ==, MESSENGER_REGISTRATION_FIELD_SECRET);

  g_hash_table_insert (values, (gpointer) "username", (gpointer) "romeo");
  g_hash_table_insert (values, (gpointer) "password", (gpointer) "juli3t");
  g_hash_table_insert (values, (gpointer) "email", (gpointer) "romeo@montague.example");
  account = submit (f, values, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_null (xmpp_element_find_child (server.last_submit, XMPP_NS_DATA_FORM, "x"));
  g_assert_cmpstr (xmpp_element_find_child_text (server.last_submit, NULL, "username"), ==, "romeo");
  g_assert_cmpstr (xmpp_element_find_child_text (server.last_submit, NULL, "email"), ==, "romeo@montague.example");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fake_server_generate_certificate ();

  g_test_add ("/registration-form/field-model", Fixture, NULL, fixture_setup, test_field_model, fixture_teardown);
  g_test_add ("/registration-form/captcha-submit", Fixture, NULL, fixture_setup, test_captcha_submit, fixture_teardown);
  g_test_add ("/registration-form/missing-required", Fixture, NULL, fixture_setup, test_missing_required, fixture_teardown);
  g_test_add ("/registration-form/picture-unavailable", Fixture, NULL, fixture_setup, test_picture_unavailable, fixture_teardown);
  g_test_add ("/registration-form/legacy", Fixture, NULL, fixture_setup, test_legacy, fixture_teardown);

  return g_test_run ();
}
