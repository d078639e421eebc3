/* register-interop.c: MessengerRegistration against a real server's form
 *
 * Run by test_registration_form.py, which starts Prosody with extra
 * registration fields that exist only in its data form (XEP-0077 §8), or
 * ejabberd with a CAPTCHA (XEP-0158), and passes it in the environment:
 * MESSENGER_REG_SERVER (prosody, ejabberd), MESSENGER_REG_HOST,
 * MESSENGER_REG_PORT, MESSENGER_REG_DOMAIN, MESSENGER_REG_FINGERPRINT
 * (pinned) and, for ejabberd, MESSENGER_REG_CAPTCHA_KEYS: the file its
 * captcha_cmd writes each CAPTCHA's text to.  The account alice exists.
 *
 * Prosody:
 *   form      the fields: Prosody's own, and its extra choice, switch and text
 *   conflict  a taken name answered through the form: plain words
 *   create    juliet made through the form (the extra answers go with it:
 *             the script reads them from Prosody's store), then signed in
 * ejabberd:
 *   captcha   the form with its picture (Bits of Binary in the stanza); a
 *             wrong answer is refused in plain words and a new picture
 *             comes; the right answer to it creates romeo, who signs in
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "messenger-registration.h"
#include "test-util.h"

static const char *host;
static guint16 port;
static const char *domain;
static const char *fingerprint;

static MessengerRegistration *
new_registration (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  MessengerRegistration *reg = messenger_registration_new (domain, &error);

  g_assert_no_error (error);
  messenger_registration_set_server (reg, host, port);
  messenger_registration_set_pinned_fingerprint (reg, fingerprint);
  messenger_registration_fetch_form_async (reg, NULL, test_result_cb, &result);
  WAIT_RESULT (&result);
  g_assert_true (messenger_registration_fetch_form_finish (reg, result, &error));
  g_assert_no_error (error);
  return reg;
}

static const MessengerRegistrationField *
field_named (MessengerRegistration *reg,
             const char            *name)
{
  GPtrArray *fields = messenger_registration_get_form_fields (reg);

  for (guint i = 0; i < fields->len; i++)
    {
      const MessengerRegistrationField *field = g_ptr_array_index (fields, i);

      if (g_strcmp0 (field->name, name) == 0)
        return field;
    }
  return NULL;
}

static MessengerAccount *
submit (MessengerRegistration  *reg,
        const char             *username,
        GError                **error)
{
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GAsyncResult) result = NULL;

  g_hash_table_insert (values, (gpointer) "username", (gpointer) username);
  g_hash_table_insert (values, (gpointer) "password", (gpointer) "form-pw");
  g_hash_table_insert (values, (gpointer) "email", (gpointer) "juliet@capulet.example");
  g_hash_table_insert (values, (gpointer) "x-plan", (gpointer) "paid");
  g_hash_table_insert (values, (gpointer) "x-tos", (gpointer) "1");
  messenger_registration_submit_async (reg, values, NULL, test_result_cb, &result);
  WAIT_RESULT (&result);
  return messenger_registration_submit_finish (reg, result, error);
}

static void
test_form (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration ();
  const MessengerRegistrationField *field;
  GPtrArray *fields;
  gboolean fixed = FALSE;

  /* Prosody sends legacy fields and the form: the form counts. */
  g_assert_true (messenger_registration_has_data_form (reg));
  field = field_named (reg, "username");
  g_assert_nonnull (field);
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_TEXT);
  g_assert_cmpstr (field->title, ==, "User name");
  g_assert_true (field->required);
  field = field_named (reg, "password");
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_SECRET);
  field = field_named (reg, "email");
  g_assert_true (field->required);

  /* Only in the form. */
  field = field_named (reg, "x-plan");
  g_assert_nonnull (field);
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_CHOICE);
  g_assert_cmpstr (field->title, ==, "Plan");
  g_assert_true (field->required);
  g_assert_cmpuint (g_strv_length (field->option_values), ==, 2);
  g_assert_cmpstr (field->option_labels[0], ==, "Free");
  g_assert_cmpstr (field->option_values[1], ==, "paid");
  field = field_named (reg, "x-tos");
  g_assert_nonnull (field);
  g_assert_cmpint (field->kind, ==, MESSENGER_REGISTRATION_FIELD_BOOLEAN);
  g_assert_cmpstr (field->title, ==, "I accept the terms");

  fields = messenger_registration_get_form_fields (reg);
  for (guint i = 0; i < fields->len; i++)
    {
      field = g_ptr_array_index (fields, i);
      if (field->kind == MESSENGER_REGISTRATION_FIELD_FIXED)
        {
          g_assert_cmpstr (field->value, ==, "Accounts here are for testing.");
          fixed = TRUE;
        }
    }
  g_assert_true (fixed);
  /* The hidden FORM_TYPE is not something to fill in. */
  g_assert_null (field_named (reg, "FORM_TYPE"));
  messenger_registration_close (reg);
}

static void
test_conflict (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  g_autofree char *expected = NULL;

  account = submit (reg, "alice", &error);
  g_assert_null (account);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CONFLICT);
  expected = g_strdup_printf ("The user name “alice” is already taken on %s. Try another one.", domain);
  g_assert_cmpstr (error->message, ==, expected);
  messenger_registration_close (reg);
}

static void
sign_in (MessengerAccount *account)
{
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE
              || messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpstr (messenger_account_get_error_message (account), ==, NULL);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ONLINE);
  messenger_account_disconnect (account);
  for (guint i = 0; i < 50 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_create (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  g_autofree char *jid = g_strdup_printf ("juliet@%s", domain);

  account = submit (reg, "juliet", &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, jid);
  sign_in (account);
}

/* The text of the newest CAPTCHA, as captcha_cmd wrote it. */
static char *
captcha_text (void)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  g_assert_true (g_file_get_contents (g_getenv ("MESSENGER_REG_CAPTCHA_KEYS"), &contents, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (g_strstrip (contents), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 0);
  return g_strdup (lines[n - 1]);
}

static MessengerAccount *
submit_captcha (MessengerRegistration  *reg,
                const char             *answer,
                GError                **error)
{
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GAsyncResult) result = NULL;

  g_hash_table_insert (values, (gpointer) "username", (gpointer) "romeo");
  g_hash_table_insert (values, (gpointer) "password", (gpointer) "captcha-pw");
  g_hash_table_insert (values, (gpointer) "ocr", (gpointer) answer);
  messenger_registration_submit_async (reg, values, NULL, test_result_cb, &result);
  WAIT_RESULT (&result);
  return messenger_registration_submit_finish (reg, result, error);
}

static void
test_captcha (void)
{
  g_autoptr(MessengerRegistration) reg = new_registration ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  g_autofree char *first = captcha_text ();
  g_autofree char *second = NULL;
  g_autofree char *jid = g_strdup_printf ("romeo@%s", domain);
  g_autofree char *wrong = g_strdup_printf ("%s-not", first);
  const MessengerRegistrationField *ocr;
  GPtrArray *fields;
  guint serial;

  g_assert_true (messenger_registration_has_data_form (reg));
  ocr = field_named (reg, "ocr");
  g_assert_nonnull (ocr);
  g_assert_true (ocr->required);
  g_assert_true (ocr->has_media);
  g_assert_cmpstr (ocr->title, ==, "Text in the picture");
  /* The picture came inline, as Bits of Binary. */
  g_assert_nonnull (ocr->image);
  g_assert_cmpstr (ocr->image_type, ==, "image/png");
  g_assert_cmpmem (g_bytes_get_data (ocr->image, NULL), 4, "\x89PNG", 4);
  g_assert_cmpint (field_named (reg, "username")->kind, ==, MESSENGER_REGISTRATION_FIELD_TEXT);
  g_assert_cmpint (field_named (reg, "password")->kind, ==, MESSENGER_REGISTRATION_FIELD_SECRET);
  /* ejabberd's "visit the web page" fallback is not shown next to the picture. */
  g_assert_null (field_named (reg, "captcha-fallback-url"));
  fields = messenger_registration_get_form_fields (reg);
  for (guint i = 0; i < fields->len; i++)
    g_assert_cmpint (((MessengerRegistrationField *) g_ptr_array_index (fields, i))->kind, !=,
                     MESSENGER_REGISTRATION_FIELD_FIXED);
  serial = messenger_registration_get_form_serial (reg);

  account = submit_captcha (reg, wrong, &error);
  g_assert_null (account);
  g_assert_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE);
  g_assert_cmpstr (error->message, ==,
                   "The server did not accept the form. Check the fields, then type the text of the new picture.");
  g_clear_error (&error);
  g_assert_cmpuint (messenger_registration_get_form_serial (reg), !=, serial);
  g_assert_nonnull (field_named (reg, "ocr")->image);
  second = captcha_text ();
  g_assert_cmpstr (second, !=, first);

  account = submit_captcha (reg, second, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_cmpstr (messenger_account_get_jid (account), ==, jid);
  sign_in (account);
}

int
main (int   argc,
      char *argv[])
{
  const char *port_text;

  test_init (&argc, &argv);

  host = g_getenv ("MESSENGER_REG_HOST");
  port_text = g_getenv ("MESSENGER_REG_PORT");
  domain = g_getenv ("MESSENGER_REG_DOMAIN");
  fingerprint = g_getenv ("MESSENGER_REG_FINGERPRINT");
  if (host == NULL || port_text == NULL || domain == NULL || fingerprint == NULL)
    {
      g_printerr ("Run by test_registration_form.py: MESSENGER_REG_* is not set\n");
      return 2;
    }
  port = (guint16) atoi (port_text);

  if (g_strcmp0 (g_getenv ("MESSENGER_REG_SERVER"), "ejabberd") == 0)
    g_test_add_func ("/register-interop/captcha", test_captcha);
  else
    {
      g_test_add_func ("/register-interop/form", test_form);
      g_test_add_func ("/register-interop/conflict", test_conflict);
      g_test_add_func ("/register-interop/create", test_create);
    }

  return g_test_run ();
}
