/* messenger-session.c: one account of a profile and everything views bind to
 *
 * A session is made by MessengerProfile for each saved account.  It owns,
 * in the order docs/models.md asks for (offline first): the account, the
 * roster read from the cache, the conversations and the subscription
 * requests.  It also keeps the password flow out of the widgets:
 *
 *   keyring lookup ──found──▶ connect
 *        │ none / no keyring
 *        ▼
 *   needs-password ──sign_in (pw, remember)──▶ connect (+ keyring store)
 *        ▲                                         │
 *        └──────── server refused the password ◀───┘
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-session-private.h"
#include "messenger-secret.h"

struct _MessengerSession
{
  GObject                        parent_instance;

  /* owned */
  MessengerStore                *store;
  MessengerAccount              *account;
  MessengerRoster               *roster;
  MessengerConversationList     *conversations;
  MessengerSubscriptionRequests *requests;
  MessengerAvatarCache          *avatars;
  GCancellable                  *cancellable;
  char                          *secret_error;
  char                          *password_to_keep; /* kept once the server accepts it */

  gint64                         account_id;
  gboolean                       local;
  gboolean                       needs_password;
};

G_DEFINE_FINAL_TYPE (MessengerSession, messenger_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_ROSTER,
  PROP_CONVERSATIONS,
  PROP_REQUESTS,
  PROP_LOCAL,
  PROP_NEEDS_PASSWORD,
  PROP_SECRET_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_needs_password (MessengerSession *self,
                    gboolean          needs_password)
{
  if (self->needs_password == needs_password)
    return;
  self->needs_password = needs_password;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_PASSWORD]);
}

static void
set_secret_error (MessengerSession *self,
                  const char       *message)
{
  if (g_strcmp0 (self->secret_error, message) == 0)
    return;
  g_free (self->secret_error);
  g_clear_pointer (&self->password_to_keep, g_free);
  self->secret_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECRET_ERROR]);
}

static void
account_state_changed_cb (MessengerSession *self)
{
  if (messenger_account_get_state (self->account) == MESSENGER_ACCOUNT_ERROR
      && messenger_account_get_error_kind (self->account) == MESSENGER_ACCOUNT_ERROR_AUTHENTICATION)
    set_needs_password (self, TRUE);
  else if (messenger_account_get_state (self->account) == MESSENGER_ACCOUNT_ONLINE)
    {
      set_needs_password (self, FALSE);
      if (self->password_to_keep != NULL)
        {
          g_autofree char *password = g_steal_pointer (&self->password_to_keep);

          _messenger_session_remember_password (self, password);
          memset (password, 0, strlen (password));
        }
    }
}

MessengerSession *
_messenger_session_new (MessengerStore   *store,
                        gint64            account_id,
                        MessengerAccount *account,
                        gboolean          local,
                        const char       *cache_dir)
{
  g_autofree char *escaped = NULL;
  g_autofree char *avatars_dir = NULL;
  MessengerSession *self;

  g_return_val_if_fail (MESSENGER_IS_STORE (store), NULL);
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (account), NULL);

  self = g_object_new (MESSENGER_TYPE_SESSION, NULL);
  self->store = g_object_ref (store);
  self->account_id = account_id;
  self->account = g_object_ref (account);
  self->local = local;
  self->roster = messenger_roster_new (account, store, account_id);
  self->conversations = messenger_conversation_list_new (account, store, account_id, self->roster);
  self->requests = messenger_subscription_requests_new (account);
  /* One folder per account: the same contact may have a different picture
   * seen from another account's server. */
  escaped = g_uri_escape_string (messenger_account_get_jid (account), NULL, FALSE);
  avatars_dir = g_build_filename (cache_dir, "avatars", escaped, NULL);
  self->avatars = messenger_avatar_cache_new (account, avatars_dir);

  g_signal_connect_object (account, "notify::state", G_CALLBACK (account_state_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (account, "notify::error-kind", G_CALLBACK (account_state_changed_cb),
                           self, G_CONNECT_SWAPPED);
  return self;
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(MessengerSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = messenger_secret_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (password != NULL)
    {
      messenger_account_set_password (self->account, password);
      messenger_account_connect (self->account);
      return;
    }

  if (error != NULL)
    set_secret_error (self, error->message);
  set_needs_password (self, TRUE);
}

void
_messenger_session_start (MessengerSession *self,
                          gboolean          lookup_password)
{
  g_return_if_fail (MESSENGER_IS_SESSION (self));

  if (!lookup_password)
    {
      messenger_account_connect (self->account);
      return;
    }
  messenger_secret_lookup_async (messenger_account_get_jid (self->account), self->cancellable,
                                 lookup_cb, g_object_ref (self));
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(MessengerSession) self = user_data;
  g_autoptr(GError) error = NULL;

  if (messenger_secret_store_finish (result, &error))
    set_secret_error (self, NULL);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_secret_error (self, error->message);
}

void
_messenger_session_remember_password (MessengerSession *self,
                                      const char       *password)
{
  messenger_secret_store_async (messenger_account_get_jid (self->account), password,
                                self->cancellable, stored_cb, g_object_ref (self));
}

void
messenger_session_sign_in (MessengerSession *self,
                           const char       *password,
                           gboolean          remember)
{
  g_return_if_fail (MESSENGER_IS_SESSION (self));
  g_return_if_fail (password != NULL);

  messenger_account_set_password (self->account, password);
  /* Into the keyring only once the server took it: a mistyped password
   * must not be remembered. */
  g_clear_pointer (&self->password_to_keep, g_free);
  if (remember)
    self->password_to_keep = g_strdup (password);
  messenger_account_connect (self->account);
}

static void
account_saved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!messenger_store_update_account_finish (MESSENGER_STORE (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not save the account settings: %s", error->message);
}

MessengerStoreAccount *
_messenger_session_dup_settings (MessengerSession *self)
{
  g_autoptr(GError) error = NULL;
  MessengerStoreAccount *settings;

  settings = messenger_store_get_account (self->store, self->account_id, &error);
  if (settings == NULL)
    {
      g_warning ("Could not read the account settings: %s", error->message);
      return NULL;
    }
  return settings;
}

void
messenger_session_trust_certificate (MessengerSession *self)
{
  MessengerStoreAccount *settings;

  g_return_if_fail (MESSENGER_IS_SESSION (self));
  g_return_if_fail (messenger_account_get_certificate_info (self->account) != NULL);

  messenger_account_trust_certificate (self->account);

  settings = _messenger_session_dup_settings (self);
  if (settings == NULL)
    return;
  g_free (settings->pinned_fingerprint);
  settings->pinned_fingerprint = g_strdup (messenger_account_get_pinned_fingerprint (self->account));
  messenger_store_update_account_async (self->store, settings, self->cancellable,
                                        account_saved_cb, NULL);
  messenger_store_account_free (settings);
}

gint64
messenger_session_get_account_id (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), 0);
  return self->account_id;
}

MessengerAccount *
messenger_session_get_account (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->account;
}

MessengerRoster *
messenger_session_get_roster (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->roster;
}

MessengerConversationList *
messenger_session_get_conversations (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->conversations;
}

MessengerSubscriptionRequests *
messenger_session_get_requests (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->requests;
}

MessengerAvatarCache *
messenger_session_get_avatar_cache (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->avatars;
}

MessengerStore *
messenger_session_get_store (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->store;
}

gboolean
messenger_session_get_local (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), FALSE);
  return self->local;
}

gboolean
messenger_session_get_needs_password (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), FALSE);
  return self->needs_password;
}

const char *
messenger_session_get_secret_error (MessengerSession *self)
{
  g_return_val_if_fail (MESSENGER_IS_SESSION (self), NULL);
  return self->secret_error;
}

void
_messenger_session_shutdown (MessengerSession *self)
{
  g_cancellable_cancel (self->cancellable);
  messenger_account_disconnect (self->account);
}

static void
messenger_session_dispose (GObject *object)
{
  MessengerSession *self = MESSENGER_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->avatars);
  g_clear_object (&self->requests);
  g_clear_object (&self->conversations);
  g_clear_object (&self->roster);
  g_clear_object (&self->account);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (messenger_session_parent_class)->dispose (object);
}

static void
messenger_session_finalize (GObject *object)
{
  MessengerSession *self = MESSENGER_SESSION (object);

  g_clear_object (&self->cancellable);
  g_free (self->secret_error);
  g_free (self->password_to_keep);

  G_OBJECT_CLASS (messenger_session_parent_class)->finalize (object);
}

static void
messenger_session_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MessengerSession *self = MESSENGER_SESSION (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_ROSTER:
      g_value_set_object (value, self->roster);
      break;
    case PROP_CONVERSATIONS:
      g_value_set_object (value, self->conversations);
      break;
    case PROP_REQUESTS:
      g_value_set_object (value, self->requests);
      break;
    case PROP_LOCAL:
      g_value_set_boolean (value, self->local);
      break;
    case PROP_NEEDS_PASSWORD:
      g_value_set_boolean (value, self->needs_password);
      break;
    case PROP_SECRET_ERROR:
      g_value_set_string (value, self->secret_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_session_class_init (MessengerSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = messenger_session_dispose;
  object_class->finalize = messenger_session_finalize;
  object_class->get_property = messenger_session_get_property;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROSTER] =
    g_param_spec_object ("roster", NULL, NULL, MESSENGER_TYPE_ROSTER,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERSATIONS] =
    g_param_spec_object ("conversations", NULL, NULL, MESSENGER_TYPE_CONVERSATION_LIST,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUESTS] =
    g_param_spec_object ("requests", NULL, NULL, MESSENGER_TYPE_SUBSCRIPTION_REQUESTS,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL] =
    g_param_spec_boolean ("local", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEEDS_PASSWORD] =
    g_param_spec_boolean ("needs-password", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECRET_ERROR] =
    g_param_spec_string ("secret-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_session_init (MessengerSession *self)
{
  self->cancellable = g_cancellable_new ();
}
