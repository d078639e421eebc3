/* messenger-registration.c: create an account on a server (XEP-0077)
 *
 * One XmppClient, opened (TLS, no authentication) by fetch_form and used
 * by submit.  Every protocol error is turned into a
 * MessengerRegistrationError with a sentence a person can act on.
 *
 *   open ─▶ fetch form ─▶ load: fields ─▶ pictures (BoB inline, else iq) ─▶ done
 *   submit ─▶ legacy fields, or the data form answered ─▶ account
 *                 └─ refused, with a CAPTCHA: fetch form ─▶ load ─▶ error
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-registration.h"
#include "xmpp-bob.h"
#include "xmpp-register.h"

struct _MessengerRegistration
{
  GObject              parent_instance;

  XmppJid             *domain;
  char                *host;
  guint16              port;
  gboolean             direct_tls;
  char                *pinned;

  XmppClient          *client;        /* open after fetch_form */
  XmppRegisterForm    *form;
  GPtrArray           *fields;        /* MessengerRegistrationField */
  GStrv                field_names;
  char                *instructions;
  guint                serial;
  gboolean             challenge;     /* the form has a CAPTCHA */
  XmppCertificateInfo *certificate;
};

G_DEFINE_FINAL_TYPE (MessengerRegistration, messenger_registration, G_TYPE_OBJECT)
G_DEFINE_QUARK (messenger-registration-error-quark, messenger_registration_error)

static const char * const no_fields[] = { NULL };

MessengerRegistration *
messenger_registration_new (const char  *domain,
                            GError     **error)
{
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(GError) local_error = NULL;
  MessengerRegistration *self;

  g_return_val_if_fail (domain != NULL, NULL);

  jid = xmpp_jid_new (domain, &local_error);
  if (jid == NULL || !xmpp_jid_is_domain (jid))
    {
      g_set_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID,
                   /* Translators: %s is what the person typed as a server name. */
                   _("“%s” is not a server name. A server name looks like example.org."), domain);
      return NULL;
    }

  self = g_object_new (MESSENGER_TYPE_REGISTRATION, NULL);
  self->domain = g_steal_pointer (&jid);
  return self;
}

const char *
messenger_registration_get_domain (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), NULL);
  return xmpp_jid_get_domain (self->domain);
}

void
messenger_registration_set_server (MessengerRegistration *self,
                                   const char            *host,
                                   guint16                port)
{
  g_return_if_fail (MESSENGER_IS_REGISTRATION (self));

  g_free (self->host);
  self->host = (host != NULL && *host != '\0') ? g_strdup (host) : NULL;
  self->port = port;
}

void
messenger_registration_set_direct_tls (MessengerRegistration *self,
                                       gboolean               direct_tls)
{
  g_return_if_fail (MESSENGER_IS_REGISTRATION (self));
  self->direct_tls = direct_tls;
}

void
messenger_registration_set_pinned_fingerprint (MessengerRegistration *self,
                                               const char            *sha256)
{
  g_return_if_fail (MESSENGER_IS_REGISTRATION (self));

  g_free (self->pinned);
  self->pinned = sha256 != NULL ? xmpp_fingerprint_normalize (sha256) : NULL;
}

XmppCertificateInfo *
messenger_registration_get_certificate_info (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), NULL);
  return self->certificate;
}

const char *
messenger_registration_get_instructions (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), NULL);
  return self->instructions;
}

const char * const *
messenger_registration_get_fields (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), NULL);
  return self->field_names != NULL ? (const char * const *) self->field_names : no_fields;
}

GPtrArray *
messenger_registration_get_form_fields (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), NULL);
  return self->fields;
}

guint
messenger_registration_get_form_serial (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), 0);
  return self->serial;
}

gboolean
messenger_registration_has_data_form (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), FALSE);
  return self->form != NULL && self->form->data_form != NULL;
}

static void
field_free (MessengerRegistrationField *field)
{
  g_free (field->name);
  g_free (field->title);
  g_free (field->description);
  g_free (field->value);
  g_strfreev (field->option_labels);
  g_strfreev (field->option_values);
  g_clear_pointer (&field->image, g_bytes_unref);
  g_free (field->image_type);
  g_free (field->link);
  g_free (field);
}

static void
clear_form (MessengerRegistration *self)
{
  g_clear_pointer (&self->form, xmpp_register_form_free);
  g_ptr_array_set_size (self->fields, 0);
  g_clear_pointer (&self->field_names, g_strfreev);
  g_clear_pointer (&self->instructions, g_free);
  self->challenge = FALSE;
  self->serial++;
}

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(XmppClient) client = XMPP_CLIENT (source);

  xmpp_client_close_finish (client, result, NULL);
}

void
messenger_registration_close (MessengerRegistration *self)
{
  g_return_if_fail (MESSENGER_IS_REGISTRATION (self));

  if (self->client == NULL)
    return;
  if (xmpp_client_get_state (self->client) != XMPP_CLIENT_STATE_DISCONNECTED)
    {
      /* The client lives until its close is done. */
      XmppClient *client = g_steal_pointer (&self->client);
      xmpp_client_close_async (client, NULL, closed_cb, client);
    }
  g_clear_object (&self->client);
}

/* Plain words for what went wrong while connecting. */
static GError *
describe_connection_error (MessengerRegistration *self,
                           const GError          *error)
{
  const char *domain = xmpp_jid_get_domain (self->domain);

  if (error->domain == XMPP_ERROR)
    switch ((XmppErrorCode) error->code)
      {
      case XMPP_ERROR_CERTIFICATE_UNTRUSTED:
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CERTIFICATE,
                            _("The identity of %s cannot be verified."), domain);
      case XMPP_ERROR_HOST_NOT_FOUND:
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_UNREACHABLE,
                            _("The server %s was not found."), domain);
      case XMPP_ERROR_CONNECTION_FAILED:
      case XMPP_ERROR_CONNECTION_CLOSED:
      case XMPP_ERROR_TIMEOUT:
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_UNREACHABLE,
                            _("The server %s cannot be reached."), domain);
      case XMPP_ERROR_TLS_REQUIRED:
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NO_ENCRYPTION,
                            _("%s does not offer an encrypted connection."), domain);
      case XMPP_ERROR_TLS_FAILED:
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NO_ENCRYPTION,
                            _("An encrypted connection to %s could not be set up."), domain);
      case XMPP_ERROR_FAILED:
      case XMPP_ERROR_INVALID_ARGUMENT:
      case XMPP_ERROR_JID_MALFORMED:
      case XMPP_ERROR_AUTHENTICATION_FAILED:
      case XMPP_ERROR_NO_SUPPORTED_MECHANISM:
      case XMPP_ERROR_SERVER_SIGNATURE_MISMATCH:
      case XMPP_ERROR_PROTOCOL:
      case XMPP_ERROR_NOT_CONNECTED:
      default:
        break;
      }
  else if (error->domain == G_RESOLVER_ERROR || error->domain == G_IO_ERROR)
    return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_UNREACHABLE,
                        _("The server %s cannot be reached."), domain);
  else if (error->domain == XMPP_STREAM_ERROR)
    return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_UNREACHABLE,
                        _("The server %s closed the connection."), domain);

  /* Translators: %s is a technical error message. */
  return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_FAILED,
                      _("The connection failed: %s"), error->message);
}

/* Plain words for the server's answer to the form or the submission. */
static GError *
describe_register_error (MessengerRegistration *self,
                         const GError          *error,
                         const char            *username)
{
  const char *domain = xmpp_jid_get_domain (self->domain);

  if (error->domain != XMPP_STANZA_ERROR)
    return describe_connection_error (self, error);

  /* A refused answer to a form with a CAPTCHA: not-acceptable (XEP-0158),
   * not-allowed (ejabberd) or bad-request.  The server's words ("The
   * CAPTCHA verification has failed") would not say a new picture came. */
  if (self->challenge
      && (error->code == XMPP_STANZA_ERROR_NOT_ACCEPTABLE
          || error->code == XMPP_STANZA_ERROR_NOT_ALLOWED
          || error->code == XMPP_STANZA_ERROR_BAD_REQUEST))
    return g_error_new_literal (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                                _("The server did not accept the form. Check the fields, then type the text of the new picture."));

  switch ((XmppStanzaErrorCode) error->code)
    {
    case XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE:
    case XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED:
    case XMPP_STANZA_ERROR_ITEM_NOT_FOUND:
      return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_SUPPORTED,
                          _("%s does not let apps create accounts. Its website may explain how to get one."),
                          domain);
    case XMPP_STANZA_ERROR_CONFLICT:
      return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CONFLICT,
                          /* Translators: the first %s is a user name, the second a server. */
                          _("The user name “%s” is already taken on %s. Try another one."),
                          username != NULL ? username : "", domain);
    case XMPP_STANZA_ERROR_JID_MALFORMED:
      return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                          _("The user name “%s” is not allowed. Try another one."),
                          username != NULL ? username : "");
    case XMPP_STANZA_ERROR_NOT_ACCEPTABLE:
    case XMPP_STANZA_ERROR_BAD_REQUEST:
      if (error->message != NULL && *error->message != '\0')
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                            /* Translators: %s is the server's own explanation. */
                            _("The server did not accept the form: %s"), error->message);
      return g_error_new_literal (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                                  _("The server did not accept the form. Check that every field is filled in."));
    case XMPP_STANZA_ERROR_NOT_ALLOWED:
    case XMPP_STANZA_ERROR_FORBIDDEN:
    case XMPP_STANZA_ERROR_NOT_AUTHORIZED:
    case XMPP_STANZA_ERROR_POLICY_VIOLATION:
    case XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT:
    case XMPP_STANZA_ERROR_REGISTRATION_REQUIRED:
      if (error->message != NULL && *error->message != '\0')
        return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_REFUSED,
                            /* Translators: the first %s is a server, the second its own explanation. */
                            _("%s refused to create the account: %s"), domain, error->message);
      return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_REFUSED,
                          _("%s refused to create the account. Try again later."), domain);
    case XMPP_STANZA_ERROR_GONE:
    case XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR:
    case XMPP_STANZA_ERROR_RECIPIENT_UNAVAILABLE:
    case XMPP_STANZA_ERROR_REDIRECT:
    case XMPP_STANZA_ERROR_REMOTE_SERVER_NOT_FOUND:
    case XMPP_STANZA_ERROR_REMOTE_SERVER_TIMEOUT:
    case XMPP_STANZA_ERROR_SUBSCRIPTION_REQUIRED:
    case XMPP_STANZA_ERROR_UNDEFINED_CONDITION:
    case XMPP_STANZA_ERROR_UNEXPECTED_REQUEST:
    default:
      break;
    }

  /* Translators: the first %s is a server, the second a technical error message. */
  return g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_FAILED,
                      _("%s could not create the account: %s"), domain, error->message);
}

/* Loading a form: the fields to show, then the pictures of its media. */

typedef struct
{
  GTask  *task;
  guint   serial;     /* the form being loaded: a newer one drops this load */
  guint   pending;    /* pictures being fetched */
  GError *error;      /* to finish @task with, or NULL for success */
} FormLoad;

static void
form_load_step_done (FormLoad *load)
{
  g_assert (load->pending > 0);
  if (--load->pending > 0)
    return;
  if (load->error != NULL)
    g_task_return_error (load->task, g_steal_pointer (&load->error));
  else
    g_task_return_boolean (load->task, TRUE);
  g_object_unref (load->task);
  g_free (load);
}

/* ejabberd's CAPTCHA form says, next to the picture, to visit a web page
 * if it does not show, and gives its address as a text field: we show the
 * picture, or offer that address when we cannot. */
#define EJABBERD_FALLBACK_TEXT "captcha-fallback-text"
#define EJABBERD_FALLBACK_URL  "captcha-fallback-url"

/* Fields of the challenges XEP-0158 lists that are answered by what one
 * hears, watches or computes: not offered unless the server insists. */
static gboolean
is_unanswerable_challenge (XmppDataField *field)
{
  static const char * const vars[] = {
    "audio_recog", "speech_q", "speech_recog", "video_q", "video_recog", "SHA-256",
  };

  if (field->required)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    if (g_strcmp0 (field->var, vars[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_image_uri (XmppDataMediaUri *uri)
{
  return uri->type == NULL || g_str_has_prefix (uri->type, "image/");
}

static gboolean
is_web_uri (XmppDataMediaUri *uri)
{
  return g_ascii_strncasecmp (uri->uri, "https://", 8) == 0
         || g_ascii_strncasecmp (uri->uri, "http://", 7) == 0;
}

static const char *
field_title_for (XmppDataField *field)
{
  const char *title;

  /* Fields XEP-0077 names get our words (and the legacy form's titles);
   * the server's label is in its own language. */
  if (field->var != NULL && (title = messenger_registration_field_title (field->var)) != field->var)
    return title;
  if (g_strcmp0 (field->var, "ocr") == 0)
    return _("Text in the picture");
  if (field->label != NULL && *field->label != '\0')
    return field->label;
  return field->var;
}

static MessengerRegistrationField *
field_from_data_field (XmppDataField *df)
{
  MessengerRegistrationField *field = g_new0 (MessengerRegistrationField, 1);

  field->name = g_strdup (df->var);
  field->title = g_strdup (field_title_for (df));
  field->description = g_strdup (df->desc);
  field->required = df->required;
  field->value = df->values[0] != NULL ? g_strjoinv ("\n", df->values) : NULL;
  switch (df->type)
    {
    case XMPP_DATA_FIELD_BOOLEAN:
      field->kind = MESSENGER_REGISTRATION_FIELD_BOOLEAN;
      g_free (field->value);
      field->value = g_strdup (xmpp_data_field_get_boolean (df) ? "1" : "0");
      break;
    case XMPP_DATA_FIELD_FIXED:
      field->kind = MESSENGER_REGISTRATION_FIELD_FIXED;
      g_clear_pointer (&field->name, g_free);
      if (field->value == NULL)
        field->value = g_strdup (df->label);
      break;
    case XMPP_DATA_FIELD_JID_MULTI:
      field->kind = MESSENGER_REGISTRATION_FIELD_MULTILINE;
      field->address = TRUE;
      break;
    case XMPP_DATA_FIELD_JID_SINGLE:
      field->kind = MESSENGER_REGISTRATION_FIELD_TEXT;
      field->address = TRUE;
      break;
    case XMPP_DATA_FIELD_LIST_MULTI:
    case XMPP_DATA_FIELD_LIST_SINGLE:
      field->kind = df->type == XMPP_DATA_FIELD_LIST_MULTI ? MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE
                                                           : MESSENGER_REGISTRATION_FIELD_CHOICE;
      field->option_labels = g_new0 (char *, df->options->len + 1);
      field->option_values = g_new0 (char *, df->options->len + 1);
      for (guint i = 0; i < df->options->len; i++)
        {
          XmppDataOption *option = g_ptr_array_index (df->options, i);

          field->option_labels[i] = g_strdup (option->label != NULL && *option->label != '\0'
                                              ? option->label : option->value);
          field->option_values[i] = g_strdup (option->value);
        }
      break;
    case XMPP_DATA_FIELD_TEXT_MULTI:
      field->kind = MESSENGER_REGISTRATION_FIELD_MULTILINE;
      break;
    case XMPP_DATA_FIELD_TEXT_PRIVATE:
      field->kind = MESSENGER_REGISTRATION_FIELD_SECRET;
      break;
    case XMPP_DATA_FIELD_HIDDEN:
    case XMPP_DATA_FIELD_TEXT_SINGLE:
    default:
      field->kind = messenger_registration_field_is_secret (df->var) ? MESSENGER_REGISTRATION_FIELD_SECRET
                                                                     : MESSENGER_REGISTRATION_FIELD_TEXT;
      break;
    }
  return field;
}

typedef struct
{
  FormLoad                   *load;
  MessengerRegistration      *self;
  MessengerRegistrationField *field;
  char                       *link;   /* if the picture does not come */
} PictureFetch;

static void
picture_fetched_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  PictureFetch *fetch = user_data;
  g_autoptr(XmppBob) bob = NULL;
  g_autoptr(GError) error = NULL;

  bob = xmpp_bob_fetch_finish (XMPP_CLIENT (source), result, &error);
  if (fetch->load->serial == fetch->self->serial)
    {
      if (bob != NULL)
        {
          fetch->field->image = g_bytes_ref (bob->data);
          fetch->field->image_type = g_strdup (bob->type);
        }
      else
        {
          g_debug ("The picture of “%s” could not be fetched: %s", fetch->field->name, error->message);
          fetch->field->link = g_steal_pointer (&fetch->link);
        }
    }
  form_load_step_done (fetch->load);
  g_free (fetch->link);
  g_free (fetch);
}

/* The picture of @df's media: inline Bits of Binary, else fetched; a web
 * address when there is neither. */
static void
load_picture (MessengerRegistration      *self,
              FormLoad                   *load,
              XmppDataField              *df,
              MessengerRegistrationField *field)
{
  XmppDataField *fallback = xmpp_data_form_get_field (self->form->data_form, EJABBERD_FALLBACK_URL);
  const char *web = NULL;
  const char *cid = NULL;

  for (guint i = 0; i < df->media->len; i++)
    {
      XmppDataMediaUri *uri = g_ptr_array_index (df->media, i);

      if (cid == NULL && is_image_uri (uri))
        cid = xmpp_data_media_uri_get_cid (uri);
      if (web == NULL && is_web_uri (uri))
        web = uri->uri;
    }
  if (web == NULL && fallback != NULL && xmpp_data_field_get_value (fallback) != NULL
      && (g_str_has_prefix (xmpp_data_field_get_value (fallback), "https://")
          || g_str_has_prefix (xmpp_data_field_get_value (fallback), "http://")))
    web = xmpp_data_field_get_value (fallback);
  field->has_media = TRUE;
  field->image_width = df->media_width;
  field->image_height = df->media_height;

  if (cid != NULL)
    {
      g_autoptr(XmppBob) bob = xmpp_bob_find (self->form->reply, cid);
      PictureFetch *fetch;

      if (bob != NULL)
        {
          field->image = g_bytes_ref (bob->data);
          field->image_type = g_strdup (bob->type != NULL ? bob->type : NULL);
          return;
        }
      /* XEP-0231 §3: ask whoever sent the reference. */
      fetch = g_new0 (PictureFetch, 1);
      fetch->load = load;
      fetch->self = self;
      fetch->field = field;
      fetch->link = g_strdup (web);
      load->pending++;
      xmpp_bob_fetch_async (self->client, xmpp_element_get_attribute (self->form->reply, "from"), cid,
                            g_task_get_cancellable (load->task), picture_fetched_cb, fetch);
      return;
    }
  field->link = g_strdup (web);
}

/* Takes @form and finishes @task (its error @error, or TRUE) once the
 * fields and their pictures are there. */
static void
load_form (MessengerRegistration *self,
           XmppRegisterForm      *form,
           GTask                 *task,
           GError                *error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  FormLoad *load;

  clear_form (self);
  self->form = form;

  load = g_new0 (FormLoad, 1);
  load->task = g_object_ref (task);
  load->serial = self->serial;
  load->error = error;
  load->pending = 1;   /* this function's own step */

  if (form->data_form != NULL)
    {
      XmppDataForm *data_form = form->data_form;

      self->challenge = g_strcmp0 (xmpp_data_form_get_form_type (data_form), "urn:xmpp:captcha") == 0;
      if (data_form->instructions[0] != NULL)
        self->instructions = g_strjoinv ("\n", data_form->instructions);
      for (guint i = 0; i < data_form->fields->len; i++)
        {
          XmppDataField *df = g_ptr_array_index (data_form->fields, i);
          MessengerRegistrationField *field;

          if (df->type == XMPP_DATA_FIELD_HIDDEN || is_unanswerable_challenge (df)
              || g_strcmp0 (df->var, EJABBERD_FALLBACK_TEXT) == 0
              || g_strcmp0 (df->var, EJABBERD_FALLBACK_URL) == 0)
            continue;
          field = field_from_data_field (df);
          g_ptr_array_add (self->fields, field);
          if (field->name != NULL)
            g_ptr_array_add (names, g_strdup (field->name));
          if (df->media->len > 0)
            {
              self->challenge = TRUE;
              load_picture (self, load, df, field);
            }
        }
    }
  else
    {
      for (guint i = 0; form->fields[i] != NULL; i++)
        {
          MessengerRegistrationField *field = g_new0 (MessengerRegistrationField, 1);

          field->name = g_strdup (form->fields[i]);
          field->kind = messenger_registration_field_is_secret (form->fields[i])
                        ? MESSENGER_REGISTRATION_FIELD_SECRET : MESSENGER_REGISTRATION_FIELD_TEXT;
          field->title = g_strdup (messenger_registration_field_title (form->fields[i]));
          /* §3.1: the server wants every field it lists. */
          field->required = TRUE;
          g_ptr_array_add (self->fields, field);
          g_ptr_array_add (names, g_strdup (form->fields[i]));
        }
    }
  if (self->instructions == NULL)
    self->instructions = g_strdup (form->instructions);
  g_ptr_array_add (names, NULL);
  self->field_names = (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  self->serial++;
  load->serial = self->serial;

  form_load_step_done (load);
}

typedef struct
{
  XmppJid    *jid;
  char       *password;
  GHashTable *values;    /* a copy, with the canonical user name */
  GError     *refused;   /* the server's answer, while a new form comes */
} SubmitData;

/* The form, first asked for (fetch_form_async()) or again after a refused
 * answer to a CAPTCHA (submit_async(): its SubmitData holds the refusal,
 * reported once the new form is in). */
static void
form_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerRegistration *self = g_task_get_source_object (task);
  SubmitData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  XmppRegisterForm *form;

  form = xmpp_register_fetch_form_finish (XMPP_CLIENT (source), result, &error);
  if (form == NULL)
    {
      /* The next submit opens a new connection and fetches it. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (data != NULL)
        g_task_return_error (task, g_steal_pointer (&data->refused));
      else
        g_task_return_error (task, describe_register_error (self, error, NULL));
      messenger_registration_close (self);
      return;
    }
  load_form (self, form, task, data != NULL ? g_steal_pointer (&data->refused) : NULL);
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerRegistration *self = g_task_get_source_object (task);
  XmppClient *client = XMPP_CLIENT (source);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (!xmpp_client_open_finish (client, result, &error))
    {
      if (g_error_matches (error, XMPP_ERROR, XMPP_ERROR_CERTIFICATE_UNTRUSTED)
          && xmpp_client_get_certificate_info (client) != NULL)
        {
          g_clear_pointer (&self->certificate, xmpp_certificate_info_free);
          self->certificate = xmpp_certificate_info_copy (xmpp_client_get_certificate_info (client));
        }
      if (client == self->client)
        g_clear_object (&self->client);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, describe_connection_error (self, error));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  xmpp_register_fetch_form_async (client, cancellable, form_fetched_cb, g_steal_pointer (&task));
}

void
messenger_registration_fetch_form_async (MessengerRegistration *self,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MESSENGER_IS_REGISTRATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_registration_fetch_form_async);

  messenger_registration_close (self);
  clear_form (self);

  self->client = xmpp_client_new (self->domain, NULL);
  if (self->host != NULL)
    xmpp_client_set_server (self->client, self->host, self->port);
  xmpp_client_set_direct_tls (self->client, self->direct_tls);
  if (self->pinned != NULL)
    xmpp_client_set_pinned_fingerprint (self->client, self->pinned);
  /* No keep-alive: the form is filled in within minutes or given up. */
  xmpp_client_set_ping_interval (self->client, 0);
  xmpp_client_open_async (self->client, cancellable, opened_cb, g_steal_pointer (&task));
}

gboolean
messenger_registration_fetch_form_finish (MessengerRegistration  *self,
                                          GAsyncResult           *result,
                                          GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}


static void
submit_data_free (SubmitData *data)
{
  g_clear_error (&data->refused);
  g_clear_pointer (&data->jid, xmpp_jid_unref);
  if (data->values != NULL)
    {
      char *copy = g_hash_table_lookup (data->values, "password");

      if (copy != NULL)
        memset (copy, 0, strlen (copy));
      g_hash_table_unref (data->values);
    }
  if (data->password != NULL)
    {
      memset (data->password, 0, strlen (data->password));
      g_free (data->password);
    }
  g_free (data);
}

static void
submitted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerRegistration *self = g_task_get_source_object (task);
  SubmitData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  MessengerAccount *account;
  gboolean submitted;

  if (g_task_get_source_tag (G_TASK (result)) == xmpp_register_submit_form_async)
    submitted = xmpp_register_submit_form_finish (XMPP_CLIENT (source), result, &error);
  else
    submitted = xmpp_register_submit_finish (XMPP_CLIENT (source), result, &error);
  if (!submitted)
    {
      GError *described;

      /* The connection stays open: the person may pick another name. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      described = describe_register_error (self, error, xmpp_jid_get_local (data->jid));
      /* A CAPTCHA is good for one answer (ejabberd forgets it once
       * checked): fetch the form again for a new one. */
      if (self->challenge && self->client != NULL
          && xmpp_client_get_state (self->client) == XMPP_CLIENT_STATE_OPEN)
        {
          GCancellable *cancellable = g_task_get_cancellable (task);

          data->refused = described;
          xmpp_register_fetch_form_async (self->client, cancellable, form_fetched_cb, g_steal_pointer (&task));
          return;
        }
      g_task_return_error (task, described);
      return;
    }

  messenger_registration_close (self);
  account = messenger_account_new (xmpp_jid_get_bare_string (data->jid));
  messenger_account_set_server (account, self->host, self->port);
  messenger_account_set_direct_tls (account, self->direct_tls);
  if (self->pinned != NULL)
    messenger_account_set_pinned_fingerprint (account, self->pinned);
  messenger_account_set_password (account, data->password);
  g_task_return_pointer (task, account, g_object_unref);
}

/* The server's form answered with @values, or NULL with @error saying
 * which field is not right. */
static XmppDataForm *
build_answer (MessengerRegistration  *self,
              GHashTable             *values,
              GError                **error)
{
  g_autoptr(XmppDataForm) answer = xmpp_data_form_new_submit (self->form->data_form);

  for (guint i = 0; i < self->fields->len; i++)
    {
      MessengerRegistrationField *field = g_ptr_array_index (self->fields, i);
      const char *value;
      XmppDataField *df;

      if (field->name == NULL)
        continue;
      value = g_hash_table_lookup (values, field->name);
      if (value != NULL)
        switch (field->kind)
          {
          case MESSENGER_REGISTRATION_FIELD_BOOLEAN:
            xmpp_data_form_set_boolean (answer, field->name,
                                        g_strcmp0 (value, "1") == 0 || g_strcmp0 (value, "true") == 0);
            break;
          case MESSENGER_REGISTRATION_FIELD_MULTILINE:
          case MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE:
            {
              g_auto(GStrv) lines = g_strsplit (value, "\n", -1);
              g_autoptr(GPtrArray) kept = g_ptr_array_new ();

              for (guint j = 0; lines[j] != NULL; j++)
                {
                  g_strchomp (lines[j]);
                  if (*lines[j] != '\0' || field->kind == MESSENGER_REGISTRATION_FIELD_MULTILINE)
                    g_ptr_array_add (kept, lines[j]);
                }
              /* Trailing empty lines are no values. */
              while (kept->len > 0 && *(char *) g_ptr_array_index (kept, kept->len - 1) == '\0')
                g_ptr_array_set_size (kept, kept->len - 1);
              g_ptr_array_add (kept, NULL);
              xmpp_data_form_set_values (answer, field->name, (const char * const *) kept->pdata);
            }
            break;
          case MESSENGER_REGISTRATION_FIELD_TEXT:
          case MESSENGER_REGISTRATION_FIELD_SECRET:
          case MESSENGER_REGISTRATION_FIELD_CHOICE:
          case MESSENGER_REGISTRATION_FIELD_FIXED:
          default:
            xmpp_data_form_set_value (answer, field->name, *value != '\0' ? value : NULL);
            break;
          }

      df = xmpp_data_form_get_field (answer, field->name);
      if (df != NULL && !xmpp_data_field_is_valid (df))
        {
          if (df->values[0] == NULL || *df->values[0] == '\0')
            g_set_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                         /* Translators: %s is the title of a field of the form. */
                         _("“%s” needs to be filled in."), field->title);
          else
            g_set_error (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                         /* Translators: %s is the title of a field of the form. */
                         _("What is in “%s” cannot be used."), field->title);
          return NULL;
        }
    }
  return g_steal_pointer (&answer);
}

static void
do_submit (GTask *task)
{
  MessengerRegistration *self = g_task_get_source_object (task);
  SubmitData *data = g_task_get_task_data (task);
  GHashTable *values = data->values;
  const char *username = g_hash_table_lookup (values, "username");
  g_autoptr(XmppDataForm) answer = NULL;
  GError *error = NULL;

  /* The server gets the canonical user name, as it will be in the address. */
  if (strcmp (username, xmpp_jid_get_local (data->jid)) != 0)
    g_hash_table_insert (values, g_strdup ("username"), g_strdup (xmpp_jid_get_local (data->jid)));

  if (self->form == NULL || self->form->data_form == NULL)
    {
      xmpp_register_submit_async (self->client, values, g_task_get_cancellable (task),
                                  submitted_cb, task);
      return;
    }

  /* XEP-0077 §8: with a form, the form is the answer. */
  answer = build_answer (self, values, &error);
  if (answer == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  xmpp_register_submit_form_async (self->client, answer, g_task_get_cancellable (task),
                                   submitted_cb, task);
}

static void
reopened_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerRegistration *self = MESSENGER_REGISTRATION (source);
  GError *error = NULL;

  if (!messenger_registration_fetch_form_finish (self, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  /* A new connection brings a new CAPTCHA: what was typed answers the old. */
  if (self->challenge)
    {
      g_task_return_new_error (task, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,
                               _("The server sent a new picture meanwhile. Type its text and try again."));
      return;
    }
  do_submit (g_steal_pointer (&task));
}

void
messenger_registration_submit_async (MessengerRegistration *self,
                                     GHashTable            *values,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *username, *password;
  GHashTableIter iter;
  gpointer key, value;
  SubmitData *data;

  g_return_if_fail (MESSENGER_IS_REGISTRATION (self));
  g_return_if_fail (values != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_registration_submit_async);

  username = g_hash_table_lookup (values, "username");
  password = g_hash_table_lookup (values, "password");
  if (username == NULL || *username == '\0' || password == NULL || *password == '\0')
    {
      g_task_return_new_error (task, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID,
                               _("A user name and a password are needed."));
      return;
    }

  data = g_new0 (SubmitData, 1);
  data->jid = xmpp_jid_new_from_parts (username, xmpp_jid_get_domain (self->domain), NULL, NULL);
  data->password = g_strdup (password);
  data->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (data->values, g_strdup (key), g_strdup (value));
  g_task_set_task_data (task, data, (GDestroyNotify) submit_data_free);
  if (data->jid == NULL)
    {
      g_task_return_new_error (task, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID,
                               /* Translators: %s is the user name typed. */
                               _("The user name “%s” cannot be used: it may not contain spaces or any of \" & ' / : < > @."),
                               username);
      return;
    }

  /* Servers close a connection that stays unauthenticated for long (the
   * person took their time over the form): open a new one. */
  if (self->client == NULL || xmpp_client_get_state (self->client) != XMPP_CLIENT_STATE_OPEN)
    {
      messenger_registration_fetch_form_async (self, cancellable, reopened_cb, g_steal_pointer (&task));
      return;
    }
  do_submit (g_steal_pointer (&task));
}

MessengerAccount *
messenger_registration_submit_finish (MessengerRegistration  *self,
                                      GAsyncResult           *result,
                                      GError                **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
messenger_registration_field_title (const char *field)
{
  static const struct { const char *name; const char *title; } titles[] = {
    { "username", N_("User name") },
    { "nick", N_("Nickname") },
    { "password", N_("Password") },
    { "name", N_("Full name") },
    { "first", N_("First name") },
    { "last", N_("Last name") },
    { "email", N_("Email address") },
    { "address", N_("Street address") },
    { "city", N_("City") },
    { "state", N_("State or region") },
    { "zip", N_("Postal code") },
    { "phone", N_("Phone number") },
    { "url", N_("Web address") },
    { "date", N_("Date") },
    { "misc", N_("Other information") },
    { "text", N_("Text") },
    { "key", N_("Key") },
  };

  g_return_val_if_fail (field != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (strcmp (titles[i].name, field) == 0)
      return _(titles[i].title);
  return field;
}

gboolean
messenger_registration_field_is_secret (const char *field)
{
  g_return_val_if_fail (field != NULL, FALSE);
  return strcmp (field, "password") == 0;
}

static void
messenger_registration_dispose (GObject *object)
{
  MessengerRegistration *self = MESSENGER_REGISTRATION (object);

  messenger_registration_close (self);

  G_OBJECT_CLASS (messenger_registration_parent_class)->dispose (object);
}

static void
messenger_registration_finalize (GObject *object)
{
  MessengerRegistration *self = MESSENGER_REGISTRATION (object);

  g_clear_pointer (&self->domain, xmpp_jid_unref);
  g_free (self->host);
  g_free (self->pinned);
  g_clear_pointer (&self->form, xmpp_register_form_free);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_clear_pointer (&self->field_names, g_strfreev);
  g_free (self->instructions);
  g_clear_pointer (&self->certificate, xmpp_certificate_info_free);

  G_OBJECT_CLASS (messenger_registration_parent_class)->finalize (object);
}

static void
messenger_registration_class_init (MessengerRegistrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = messenger_registration_dispose;
  object_class->finalize = messenger_registration_finalize;
}

static void
messenger_registration_init (MessengerRegistration *self)
{
  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
}
