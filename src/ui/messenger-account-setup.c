/* messenger-account-setup.c: bring a new account online and add it to the profile
 *
 *   connect ─▶ CONNECTING ─▶ ONLINE ─▶ profile_add_account ─▶ session
 *                  └─▶ ERROR (unreachable, password, certificate, no TLS, …) ─▶ error
 *
 * A first sign-in is not retried behind the person's back (auto-reconnect
 * is off until it is online): they can correct the address or the server
 * and try again.
 *
 * The account is connected before it is added so a person never ends up
 * with a saved account that cannot sign in; the profile adopts it online.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-account-setup.h"

G_DEFINE_QUARK (messenger-account-setup-error-quark, messenger_account_setup_error)

typedef struct
{
  MessengerProfile *profile;
  MessengerAccount *account;
  char             *password;
  gboolean          remember;
  gboolean          watching;
  gulong            state_handler;
  gulong            error_handler;
  gulong            cancel_handler;
} SetupData;

static void
setup_data_free (SetupData *data)
{
  g_clear_object (&data->profile);
  g_clear_object (&data->account);
  if (data->password != NULL)
    {
      memset (data->password, 0, strlen (data->password));
      g_free (data->password);
    }
  g_free (data);
}

/* Stop listening; returns the reference the watch held on @task. */
static GTask *
stop_watching (GTask *task)
{
  SetupData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert (data->watching);
  data->watching = FALSE;
  g_clear_signal_handler (&data->state_handler, data->account);
  g_clear_signal_handler (&data->error_handler, data->account);
  if (data->cancel_handler != 0)
    {
      g_cancellable_disconnect (cancellable, data->cancel_handler);
      data->cancel_handler = 0;
    }
  return task;
}

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  MessengerSession *session;

  session = messenger_profile_add_account_finish (MESSENGER_PROFILE (source), result, &error);
  if (session == NULL)
    {
      SetupData *data = g_task_get_task_data (task);

      messenger_account_disconnect (data->account);
      g_task_return_new_error (task, MESSENGER_ACCOUNT_SETUP_ERROR, MESSENGER_ACCOUNT_ERROR_OTHER,
                               /* Translators: %s is a technical error message. */
                               _("The account could not be saved: %s"), error->message);
      return;
    }
  g_task_return_pointer (task, g_object_ref (session), g_object_unref);
}

/* Called on every change of the account's state or error kind. */
static void
check_account (GTask *task)
{
  SetupData *data = g_task_get_task_data (task);
  MessengerAccount *account = data->account;
  MessengerAccountState state = messenger_account_get_state (account);
  MessengerAccountErrorKind kind = messenger_account_get_error_kind (account);
  /* A copy: disconnecting below clears the account's error. */
  g_autofree char *message = g_strdup (messenger_account_get_error_message (account));

  if (!data->watching)
    return;

  if (state == MESSENGER_ACCOUNT_ONLINE)
    {
      messenger_account_set_auto_reconnect (account, TRUE);
      /* The profile's add is not cancelled: an account that is online is
       * always either added or signed out. */
      messenger_profile_add_account_async (data->profile, account, data->password, data->remember,
                                           NULL, added_cb, stop_watching (task));
      return;
    }

  if (state == MESSENGER_ACCOUNT_ERROR)
    {
      g_autoptr(GTask) owned = stop_watching (task);

      g_task_return_new_error (owned, MESSENGER_ACCOUNT_SETUP_ERROR, kind, "%s",
                               message != NULL ? message : _("The connection failed."));
    }
}

static void
account_notify_cb (MessengerAccount *account,
                   GParamSpec       *pspec,
                   GTask            *task)
{
  check_account (task);
}

static gboolean
cancelled_idle_cb (gpointer user_data)
{
  GTask *task = user_data;
  SetupData *data = g_task_get_task_data (task);
  g_autoptr(GTask) owned = NULL;

  /* It may have reported meanwhile. */
  if (!data->watching)
    return G_SOURCE_REMOVE;
  owned = stop_watching (task);
  messenger_account_disconnect (data->account);
  g_task_return_error_if_cancelled (owned);
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable *cancellable,
              GTask        *task)
{
  /* g_cancellable_disconnect() cannot be called from here. */
  g_idle_add_full (G_PRIORITY_DEFAULT, cancelled_idle_cb, g_object_ref (task), g_object_unref);
}

void
messenger_account_setup_async (MessengerProfile    *profile,
                               MessengerAccount    *account,
                               const char          *password,
                               gboolean             remember,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SetupData *data;

  g_return_if_fail (MESSENGER_IS_PROFILE (profile));
  g_return_if_fail (MESSENGER_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_account_setup_async);
  data = g_new0 (SetupData, 1);
  data->profile = g_object_ref (profile);
  data->account = g_object_ref (account);
  data->password = g_strdup (password);
  data->remember = remember;
  g_task_set_task_data (task, data, (GDestroyNotify) setup_data_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  messenger_account_set_password (account, password);
  messenger_account_set_auto_reconnect (account, FALSE);
  messenger_account_connect (account);

  /* The watch holds the task's reference until it reports. */
  data->watching = TRUE;
  data->state_handler = g_signal_connect (account, "notify::state", G_CALLBACK (account_notify_cb), task);
  data->error_handler = g_signal_connect (account, "notify::error-kind", G_CALLBACK (account_notify_cb), task);
  if (cancellable != NULL)
    data->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), task, NULL);
  check_account (g_steal_pointer (&task));
}

MessengerSession *
messenger_account_setup_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
