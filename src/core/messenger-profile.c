/* messenger-profile.c: a profile folder, its store and its accounts
 *
 * Everything the app keeps lives in one folder (the user's data dir by
 * default, or `messenger --profile DIR`):
 *
 *   DIR/messenger.db     the store (accounts, roster, history)
 *   DIR/local-server/    the bundled server's data, when "Use a local
 *                        server" was chosen
 *
 * Accounts of the bundled server are saved with its domain and no server
 * address: it runs on a free port each time, so at each start the profile
 * starts it first and points those accounts at its port and certificate.
 * (An account "someone@localhost" with an explicit server is an ordinary
 * account.)
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "messenger-paths.h"
#include "messenger-profile.h"
#include "messenger-secret.h"
#include "messenger-session-private.h"

struct _MessengerProfile
{
  GObject               parent_instance;

  /* owned */
  char                 *dir;
  char                 *cache_dir;
  MessengerStore       *store;
  GListStore           *sessions;
  MessengerLocalServer *local_server;
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (MessengerProfile, messenger_profile, G_TYPE_OBJECT)

#define LOCAL_DOMAIN "localhost"

static gboolean
jid_is_local (const char *jid)
{
  const char *at = strchr (jid, '@');

  return g_strcmp0 (at != NULL ? at + 1 : jid, LOCAL_DOMAIN) == 0;
}

/* Is @account one made by create_local_account() for our bundled server? */
static gboolean
account_is_local (MessengerProfile *self,
                  MessengerAccount *account)
{
  return jid_is_local (messenger_account_get_jid (account))
         && self->local_server != NULL
         && messenger_local_server_is_running (self->local_server)
         && g_strcmp0 (messenger_account_get_server (account), "127.0.0.1") == 0
         && messenger_account_get_port (account) == messenger_local_server_get_port (self->local_server);
}

static MessengerAccount *
account_from_settings (const MessengerStoreAccount *settings)
{
  MessengerAccount *account = messenger_account_new (settings->jid);

  if (settings->server != NULL)
    messenger_account_set_server (account, settings->server, settings->port);
  messenger_account_set_direct_tls (account, settings->direct_tls);
  if (settings->pinned_fingerprint != NULL)
    messenger_account_set_pinned_fingerprint (account, settings->pinned_fingerprint);
  return account;
}

MessengerProfile *
messenger_profile_open (const char  *dir,
                        GError     **error)
{
  g_autoptr(MessengerProfile) self = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autofree char *path = NULL;

  self = g_object_new (MESSENGER_TYPE_PROFILE, NULL);
  self->dir = dir != NULL ? g_canonicalize_filename (dir, NULL) : messenger_paths_profile_dir (NULL);
  /* --profile keeps caches in the profile too; the default profile uses
   * the user's cache folder, which backups may skip. */
  self->cache_dir = dir != NULL ? g_build_filename (self->dir, "cache", NULL)
                                : g_build_filename (g_get_user_cache_dir (), "messenger", NULL);

  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the folder %s: %s"), self->dir, g_strerror (saved_errno));
      return NULL;
    }

  path = g_build_filename (self->dir, "messenger.db", NULL);
  self->store = messenger_store_open (path, error);
  if (self->store == NULL)
    return NULL;

  accounts = messenger_store_list_accounts (self->store, error);
  if (accounts == NULL)
    return NULL;

  for (guint i = 0; i < accounts->len; i++)
    {
      const MessengerStoreAccount *settings = g_ptr_array_index (accounts, i);
      g_autoptr(MessengerAccount) account = account_from_settings (settings);
      g_autoptr(MessengerSession) session = NULL;

      session = _messenger_session_new (self->store, settings->id, account,
                                        jid_is_local (settings->jid) && settings->server == NULL,
                                        self->cache_dir);
      g_list_store_append (self->sessions, session);
    }

  return g_steal_pointer (&self);
}

const char *
messenger_profile_get_dir (MessengerProfile *self)
{
  g_return_val_if_fail (MESSENGER_IS_PROFILE (self), NULL);
  return self->dir;
}

MessengerStore *
messenger_profile_get_store (MessengerProfile *self)
{
  g_return_val_if_fail (MESSENGER_IS_PROFILE (self), NULL);
  return self->store;
}

GListModel *
messenger_profile_get_sessions (MessengerProfile *self)
{
  g_return_val_if_fail (MESSENGER_IS_PROFILE (self), NULL);
  return G_LIST_MODEL (self->sessions);
}

MessengerSession *
messenger_profile_lookup_session (MessengerProfile *self,
                                  const char       *jid)
{
  guint n;

  g_return_val_if_fail (MESSENGER_IS_PROFILE (self), NULL);
  g_return_val_if_fail (jid != NULL, NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->sessions));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i);

      if (g_strcmp0 (messenger_account_get_jid (messenger_session_get_account (session)), jid) == 0)
        return session;
    }
  return NULL;
}

MessengerLocalServer *
messenger_profile_get_local_server (MessengerProfile *self)
{
  g_return_val_if_fail (MESSENGER_IS_PROFILE (self), NULL);

  if (self->local_server == NULL)
    {
      g_autofree char *dir = g_build_filename (self->dir, "local-server", NULL);

      self->local_server = messenger_local_server_new (dir);
    }
  return self->local_server;
}

static void
point_at_local_server (MessengerProfile *self,
                       MessengerAccount *account)
{
  messenger_account_set_server (account, "127.0.0.1",
                                messenger_local_server_get_port (self->local_server));
  messenger_account_set_direct_tls (account, FALSE);
  messenger_account_set_pinned_fingerprint (account,
                                            messenger_local_server_get_fingerprint (self->local_server));
}

/* A local account whose password the keyring does not have (no keyring,
 * or it was cleared) gets a new one: the app runs that server, so nobody
 * has to remember a password for it. */
typedef struct
{
  MessengerProfile *profile;
  MessengerSession *session;
  char             *password;
} LocalStart;

static LocalStart *
local_start_new (MessengerProfile *self,
                 MessengerSession *session)
{
  LocalStart *start = g_new0 (LocalStart, 1);

  start->profile = g_object_ref (self);
  start->session = g_object_ref (session);
  return start;
}

static void
local_start_free (LocalStart *start)
{
  g_object_unref (start->profile);
  g_object_unref (start->session);
  g_free (start->password);
  g_free (start);
}

static void
local_password_reset_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  LocalStart *start = user_data;
  g_autoptr(GError) error = NULL;

  if (messenger_local_server_set_password_finish (MESSENGER_LOCAL_SERVER (source), result, &error))
    messenger_session_sign_in (start->session, start->password, TRUE);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_warning ("%s", error->message);
      _messenger_session_start (start->session, FALSE);
    }
  local_start_free (start);
}

static void
local_password_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  LocalStart *start = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = messenger_secret_lookup_finish (result, &error);
  MessengerAccount *account = messenger_session_get_account (start->session);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      local_start_free (start);
      return;
    }
  if (password != NULL)
    {
      messenger_account_set_password (account, password);
      _messenger_session_start (start->session, FALSE);
      local_start_free (start);
      return;
    }

  start->password = g_uuid_string_random ();
  messenger_local_server_set_password_async (start->profile->local_server,
                                             xmpp_jid_get_local (messenger_account_get_xmpp_jid (account)),
                                             start->password, start->profile->cancellable,
                                             local_password_reset_cb, start);
}

static void
start_local_sessions (MessengerProfile *self,
                      const GError     *error)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sessions));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i);

      if (!messenger_session_get_local (session))
        continue;
      if (error != NULL)
        {
          /* Not reachable: the account says so in its own words when it
           * tries, which it does against the stale port. */
          g_warning ("The local server did not start: %s", error->message);
        }
      else
        point_at_local_server (self, messenger_session_get_account (session));
      messenger_secret_lookup_async (messenger_account_get_jid (messenger_session_get_account (session)),
                                     self->cancellable, local_password_cb,
                                     local_start_new (self, session));
    }
}

static void
local_server_started_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(MessengerProfile) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!messenger_local_server_start_finish (MESSENGER_LOCAL_SERVER (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  start_local_sessions (self, error);
}

void
messenger_profile_start (MessengerProfile *self)
{
  gboolean any_local = FALSE;
  guint n;

  g_return_if_fail (MESSENGER_IS_PROFILE (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->sessions));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i);

      if (messenger_session_get_local (session))
        any_local = TRUE;
      else
        _messenger_session_start (session, TRUE);
    }

  if (any_local)
    messenger_local_server_start_async (messenger_profile_get_local_server (self), self->cancellable,
                                        local_server_started_cb, g_object_ref (self));
}

#define SHUTDOWN_CLOSE_TIMEOUT_MS 1000

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
messenger_profile_shutdown (MessengerProfile *self)
{
  guint n;

  g_autoptr(GPtrArray) closing = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 deadline = g_get_monotonic_time () + SHUTDOWN_CLOSE_TIMEOUT_MS * 1000;
  gboolean timed_out = FALSE;
  guint timeout_id;

  g_return_if_fail (MESSENGER_IS_PROFILE (self));

  g_cancellable_cancel (self->cancellable);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->sessions));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (G_LIST_MODEL (self->sessions), i);
      XmppClient *client = messenger_account_get_client (messenger_session_get_account (session));

      /* A connected stream is closed in order (asynchronously): keep the
       * client to wait for it. */
      if (client != NULL && xmpp_client_get_state (client) == XMPP_CLIENT_STATE_CONNECTED)
        g_ptr_array_add (closing, g_object_ref (client));
      _messenger_session_shutdown (session);
    }

  /* Wait for the closes (the server then ends the sessions at once
   * rather than keeping them resumable), at most about a second: the
   * process exits after this. */
  timeout_id = g_timeout_add (SHUTDOWN_CLOSE_TIMEOUT_MS, shutdown_timeout_cb, &timed_out);
  while (!timed_out && g_get_monotonic_time () < deadline)
    {
      gboolean pending = FALSE;

      for (guint i = 0; i < closing->len; i++)
        if (xmpp_client_get_state (closing->pdata[i]) != XMPP_CLIENT_STATE_DISCONNECTED)
          pending = TRUE;
      if (!pending)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  if (!timed_out)
    g_source_remove (timeout_id);

  if (self->local_server != NULL)
    messenger_local_server_stop (self->local_server);
}

/* Adding an account */

typedef struct
{
  MessengerAccount *account;
  char             *password;
  gboolean          remember;
  gboolean          local;
} AddData;

static void
add_data_free (AddData *data)
{
  g_clear_object (&data->account);
  if (data->password != NULL)
    memset (data->password, 0, strlen (data->password));
  g_free (data->password);
  g_free (data);
}

static void
account_added_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerProfile *self = g_task_get_source_object (task);
  AddData *data = g_task_get_task_data (task);
  g_autoptr(MessengerSession) session = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = messenger_store_add_account_finish (MESSENGER_STORE (source), result, &error);
  if (id <= 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  session = _messenger_session_new (self->store, id, data->account, data->local, self->cache_dir);
  if (data->remember && data->password != NULL)
    _messenger_session_remember_password (session, data->password);
  g_list_store_append (self->sessions, session);
  g_task_return_pointer (task, g_steal_pointer (&session), g_object_unref);
}

void
messenger_profile_add_account_async (MessengerProfile    *self,
                                     MessengerAccount    *account,
                                     const char          *password,
                                     gboolean             remember,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(MessengerStoreAccount) settings = NULL;
  const char *jid;
  AddData *data;

  g_return_if_fail (MESSENGER_IS_PROFILE (self));
  g_return_if_fail (MESSENGER_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_profile_add_account_async);

  jid = messenger_account_get_jid (account);
  if (messenger_profile_lookup_session (self, jid) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               _("The account %s is already set up."), jid);
      return;
    }

  data = g_new0 (AddData, 1);
  data->account = g_object_ref (account);
  data->password = g_strdup (password);
  data->remember = remember;
  data->local = account_is_local (self, account);
  g_task_set_task_data (task, data, (GDestroyNotify) add_data_free);

  settings = messenger_store_account_new (jid);
  if (!data->local)
    {
      /* A local account's address is found anew at each start. */
      settings->server = g_strdup (messenger_account_get_server (account));
      settings->port = messenger_account_get_port (account);
      settings->direct_tls = messenger_account_get_direct_tls (account);
      settings->pinned_fingerprint = g_strdup (messenger_account_get_pinned_fingerprint (account));
    }
  settings->enabled = TRUE;
  messenger_store_add_account_async (self->store, settings, cancellable,
                                     account_added_cb, g_steal_pointer (&task));
}

MessengerSession *
messenger_profile_add_account_finish (MessengerProfile  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Removing an account */

static void
secret_cleared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* No keyring, or nothing in it: nothing to forget. */
  if (!messenger_secret_clear_finish (result, &error))
    g_debug ("Password not cleared: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

static void
account_removed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerProfile *self = g_task_get_source_object (task);
  MessengerSession *session = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint position;

  if (!messenger_store_remove_account_finish (MESSENGER_STORE (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_list_store_find (self->sessions, session, &position))
    g_list_store_remove (self->sessions, position);
  messenger_secret_clear_async (messenger_account_get_jid (messenger_session_get_account (session)),
                                NULL, secret_cleared_cb, g_steal_pointer (&task));
}

void
messenger_profile_remove_account_async (MessengerProfile    *self,
                                        MessengerSession    *session,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MESSENGER_IS_PROFILE (self));
  g_return_if_fail (MESSENGER_IS_SESSION (session));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_profile_remove_account_async);
  g_task_set_task_data (task, g_object_ref (session), g_object_unref);

  _messenger_session_shutdown (session);
  messenger_store_remove_account_async (self->store, messenger_session_get_account_id (session),
                                        cancellable, account_removed_cb, g_steal_pointer (&task));
}

gboolean
messenger_profile_remove_account_finish (MessengerProfile  *self,
                                         GAsyncResult      *result,
                                         GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* An account on the bundled server */

typedef struct
{
  char *username;
  char *password;
} LocalData;

static void
local_data_free (LocalData *data)
{
  g_free (data->username);
  if (data->password != NULL)
    memset (data->password, 0, strlen (data->password));
  g_free (data->password);
  g_free (data);
}

static void
local_user_added_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerProfile *self = g_task_get_source_object (task);
  LocalData *data = g_task_get_task_data (task);
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *jid = NULL;

  if (!messenger_local_server_add_user_finish (MESSENGER_LOCAL_SERVER (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  jid = g_strdup_printf ("%s@%s", data->username, messenger_local_server_get_domain (self->local_server));
  account = messenger_account_new (jid);
  point_at_local_server (self, account);
  messenger_account_set_password (account, data->password);
  g_task_return_pointer (task, g_steal_pointer (&account), g_object_unref);
}

static void
local_started_for_account_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LocalData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (!messenger_local_server_start_finish (MESSENGER_LOCAL_SERVER (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  messenger_local_server_add_user_async (MESSENGER_LOCAL_SERVER (source), data->username, data->password,
                                         cancellable, local_user_added_cb, g_steal_pointer (&task));
}

void
messenger_profile_create_local_account_async (MessengerProfile    *self,
                                              const char          *username,
                                              const char          *password,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LocalData *data;

  g_return_if_fail (MESSENGER_IS_PROFILE (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_profile_create_local_account_async);

  data = g_new0 (LocalData, 1);
  data->username = g_strdup (username);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) local_data_free);

  messenger_local_server_start_async (messenger_profile_get_local_server (self), cancellable,
                                      local_started_for_account_cb, g_steal_pointer (&task));
}

MessengerAccount *
messenger_profile_create_local_account_finish (MessengerProfile  *self,
                                               GAsyncResult      *result,
                                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
messenger_profile_dispose (GObject *object)
{
  MessengerProfile *self = MESSENGER_PROFILE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->sessions != NULL)
    g_list_store_remove_all (self->sessions);
  g_clear_object (&self->local_server);

  G_OBJECT_CLASS (messenger_profile_parent_class)->dispose (object);
}

static void
messenger_profile_finalize (GObject *object)
{
  MessengerProfile *self = MESSENGER_PROFILE (object);

  g_clear_object (&self->sessions);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_free (self->dir);
  g_free (self->cache_dir);

  G_OBJECT_CLASS (messenger_profile_parent_class)->finalize (object);
}

static void
messenger_profile_class_init (MessengerProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = messenger_profile_dispose;
  object_class->finalize = messenger_profile_finalize;
}

static void
messenger_profile_init (MessengerProfile *self)
{
  self->sessions = g_list_store_new (MESSENGER_TYPE_SESSION);
  self->cancellable = g_cancellable_new ();
}
