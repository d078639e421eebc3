/* messenger-registration.c: create an account on a server (XEP-0077)
 *
 * One XmppClient, opened (TLS, no authentication) by fetch_form and used
 * by submit.  Every protocol error is turned into a
 * MessengerRegistrationError with a sentence a person can act on.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-registration.h"
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
  return self->form != NULL ? self->form->instructions : NULL;
}

const char * const *
messenger_registration_get_fields (MessengerRegistration *self)
{
  g_return_val_if_fail (MESSENGER_IS_REGISTRATION (self), NULL);
  return self->form != NULL ? (const char * const *) self->form->fields : no_fields;
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

static void
form_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerRegistration *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  XmppRegisterForm *form;

  form = xmpp_register_fetch_form_finish (XMPP_CLIENT (source), result, &error);
  if (form == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, describe_register_error (self, error, NULL));
      messenger_registration_close (self);
      return;
    }
  g_clear_pointer (&self->form, xmpp_register_form_free);
  self->form = form;
  g_task_return_boolean (task, TRUE);
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
  g_clear_pointer (&self->form, xmpp_register_form_free);

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

typedef struct
{
  XmppJid    *jid;
  char       *password;
  GHashTable *values;    /* a copy, with the canonical user name */
} SubmitData;

static void
submit_data_free (SubmitData *data)
{
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

  if (!xmpp_register_submit_finish (XMPP_CLIENT (source), result, &error))
    {
      /* The connection stays open: the person may pick another name. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, describe_register_error (self, error, xmpp_jid_get_local (data->jid)));
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

static void
do_submit (GTask *task)
{
  MessengerRegistration *self = g_task_get_source_object (task);
  SubmitData *data = g_task_get_task_data (task);
  GHashTable *values = data->values;
  const char *username = g_hash_table_lookup (values, "username");

  /* The server gets the canonical user name, as it will be in the address. */
  if (strcmp (username, xmpp_jid_get_local (data->jid)) != 0)
    g_hash_table_insert (values, g_strdup ("username"), g_strdup (xmpp_jid_get_local (data->jid)));
  xmpp_register_submit_async (self->client, values, g_task_get_cancellable (task),
                              submitted_cb, task);
}

static void
reopened_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!messenger_registration_fetch_form_finish (MESSENGER_REGISTRATION (source), result, &error))
    {
      g_task_return_error (task, error);
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
}
