/* messenger-secret.c: account passwords in the Secret Service */
#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "messenger-secret.h"

G_DEFINE_QUARK (messenger-secret-error-quark, messenger_secret_error)

static const SecretSchema *
password_schema (void)
{
  static const SecretSchema schema = {
    "org.example.Messenger.Password", SECRET_SCHEMA_NONE,
    {
      { "jid", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };
  return &schema;
}

/* Tell "there is no keyring at all" apart from other failures, so the UI
 * can say so plainly. */
static GError *
translate_error (GError *error)
{
  GError *translated;

  if (error->domain == G_DBUS_ERROR
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR)
      || g_error_matches (error, SECRET_ERROR, SECRET_ERROR_PROTOCOL))
    translated = g_error_new (MESSENGER_SECRET_ERROR, MESSENGER_SECRET_ERROR_UNAVAILABLE,
                              "No keyring is available to keep the password: %s", error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  else
    translated = g_error_new (MESSENGER_SECRET_ERROR, MESSENGER_SECRET_ERROR_FAILED,
                              "The keyring refused: %s", error->message);
  g_error_free (error);
  return translated;
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, translate_error (error));
}

void
messenger_secret_store_async (const char          *jid,
                              const char          *password,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (jid != NULL && password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_secret_store_async);
  /* Translators: the label of the password in the keyring; %s is an XMPP address. */
  label = g_strdup_printf (_("Messenger password for %s"), jid);
  secret_password_store (password_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                         cancellable, store_cb, g_steal_pointer (&task),
                         "jid", jid, NULL);
}

gboolean
messenger_secret_store_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password;

  password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, translate_error (error));
      return;
    }
  /* Copy out of non-pageable memory into a string the caller frees. */
  g_task_return_pointer (task, g_strdup (password), g_free);
  secret_password_free (password);
}

void
messenger_secret_lookup_async (const char          *jid,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (jid != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_secret_lookup_async);
  secret_password_lookup (password_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                          "jid", jid, NULL);
}

char *
messenger_secret_lookup_finish (GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, translate_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
messenger_secret_clear_async (const char          *jid,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (jid != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_secret_clear_async);
  secret_password_clear (password_schema (), cancellable, clear_cb, g_steal_pointer (&task),
                         "jid", jid, NULL);
}

gboolean
messenger_secret_clear_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
