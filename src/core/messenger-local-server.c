/* messenger-local-server.c: the bundled server, run for "Use a local server" */
#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "messenger-local-server.h"

#ifdef __linux__
#include <sys/prctl.h>

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}
#endif

#define DOMAIN "localhost"

struct _MessengerLocalServer
{
  GObject           parent_instance;

  char             *data_dir;
  GSubprocess      *process;
  GDataInputStream *stdout_lines;
  guint16           port;
  char             *fingerprint;
};

G_DEFINE_FINAL_TYPE (MessengerLocalServer, messenger_local_server, G_TYPE_OBJECT)

MessengerLocalServer *
messenger_local_server_new (const char *data_dir)
{
  MessengerLocalServer *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (MESSENGER_TYPE_LOCAL_SERVER, NULL);
  self->data_dir = g_strdup (data_dir);
  return self;
}

char *
messenger_local_server_find_binary (void)
{
  const char *env = g_getenv ("MESSENGER_SERVER_BINARY");
  g_autofree char *installed = g_build_filename (BINDIR, "messenger-server", NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  return g_find_program_in_path ("messenger-server");
}

/* "messenger-server: listening on 127.0.0.1:PORT (STARTTLS) …; certificate
 * SHA-256 AB:CD:…" */
static gboolean
parse_ready_line (MessengerLocalServer *self,
                  const char           *line)
{
  const char *p = strstr (line, "127.0.0.1:");
  const char *f = strstr (line, "SHA-256 ");
  guint64 port;

  if (p == NULL || f == NULL)
    return FALSE;
  port = g_ascii_strtoull (p + strlen ("127.0.0.1:"), NULL, 10);
  if (port == 0 || port > G_MAXUINT16)
    return FALSE;
  self->port = (guint16) port;
  g_free (self->fingerprint);
  self->fingerprint = g_strstrip (g_strdup (f + strlen ("SHA-256 ")));
  return TRUE;
}

static void
ready_line_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MessengerLocalServer *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (line == NULL || !parse_ready_line (self, line))
    {
      messenger_local_server_stop (self);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The local server did not start: %s"),
                               error != NULL ? error->message : _("it stopped at once"));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
messenger_local_server_start_async (MessengerLocalServer *self,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *binary = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_local_server_start_async);

  if (self->process != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  binary = messenger_local_server_find_binary ();
  if (binary == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("The local server program, messenger-server, is not installed."));
      return;
    }
  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                               _("Cannot create the folder %s: %s"), self->data_dir, g_strerror (errno));
      return;
    }

  /* Port 0: a free port each time, so it never clashes with another
   * server; the accounts on it are updated with the port at each start. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
#ifdef __linux__
  /* The server lives and dies with the app: one left behind by a crash
   * would hold the data folder on a port nobody knows. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
#endif
  self->process = g_subprocess_launcher_spawn (launcher, &error, binary,
                                               "--domain", DOMAIN, "--data-dir", self->data_dir,
                                               "--listen", "127.0.0.1", "--c2s-port", "0",
                                               "--direct-tls-port", "0", NULL);
  if (self->process == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The local server did not start: %s"), error->message);
      return;
    }
  self->stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  g_data_input_stream_read_line_async (self->stdout_lines, G_PRIORITY_DEFAULT, cancellable,
                                       ready_line_cb, g_steal_pointer (&task));
}

gboolean
messenger_local_server_start_finish (MessengerLocalServer  *self,
                                     GAsyncResult          *result,
                                     GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
messenger_local_server_is_running (MessengerLocalServer *self)
{
  g_return_val_if_fail (MESSENGER_IS_LOCAL_SERVER (self), FALSE);
  return self->process != NULL && self->port != 0;
}

const char *
messenger_local_server_get_domain (MessengerLocalServer *self)
{
  return DOMAIN;
}

guint16
messenger_local_server_get_port (MessengerLocalServer *self)
{
  g_return_val_if_fail (MESSENGER_IS_LOCAL_SERVER (self), 0);
  return self->port;
}

const char *
messenger_local_server_get_fingerprint (MessengerLocalServer *self)
{
  g_return_val_if_fail (MESSENGER_IS_LOCAL_SERVER (self), NULL);
  return self->fingerprint;
}

static void
add_user_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *err_text = NULL;
  GSubprocess *process = G_SUBPROCESS (source);

  if (!g_subprocess_communicate_utf8_finish (process, result, NULL, &err_text, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      gboolean exists = err_text != NULL && strstr (err_text, "exist") != NULL;
      g_task_return_new_error (task, G_IO_ERROR, exists ? G_IO_ERROR_EXISTS : G_IO_ERROR_FAILED,
                               g_task_get_source_tag (task) == messenger_local_server_add_user_async
                               ? _("The account could not be created: %s")
                               : _("The password could not be changed: %s"),
                               err_text != NULL ? g_strstrip (err_text) : "");
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* `messenger-server user add|passwd JID`: the password goes through stdin,
 * never the command line. */
static void
run_user_command (MessengerLocalServer *self,
                  const char           *command,
                  const char           *username,
                  const char           *password,
                  GTask                *task)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *binary = messenger_local_server_find_binary ();
  g_autofree char *jid = NULL;
  g_autofree char *input = NULL;

  if (binary == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("The local server program, messenger-server, is not installed."));
      return;
    }

  jid = g_strdup_printf ("%s@%s", username, DOMAIN);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                              | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, binary, "user", command, jid, "--data-dir", self->data_dir, NULL);
  if (process == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  input = g_strdup_printf ("%s\n", password);
  g_subprocess_communicate_utf8_async (process, input, g_task_get_cancellable (task), add_user_cb,
                                       g_object_ref (task));
}

void
messenger_local_server_add_user_async (MessengerLocalServer *self,
                                       const char           *username,
                                       const char           *password,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_local_server_add_user_async);
  run_user_command (self, "add", username, password, task);
}

/* The app runs this server, so it can always give a local account a new
 * password: used when the keyring lost the old one. */
void
messenger_local_server_set_password_async (MessengerLocalServer *self,
                                           const char           *username,
                                           const char           *password,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_local_server_set_password_async);
  run_user_command (self, "passwd", username, password, task);
}

gboolean
messenger_local_server_set_password_finish (MessengerLocalServer  *self,
                                            GAsyncResult          *result,
                                            GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
messenger_local_server_add_user_finish (MessengerLocalServer  *self,
                                        GAsyncResult          *result,
                                        GError               **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
messenger_local_server_stop (MessengerLocalServer *self)
{
  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER (self));

  if (self->process != NULL)
    {
      /* SIGTERM lets it tell clients and close the database cleanly. */
      g_subprocess_send_signal (self->process, SIGTERM);
      g_subprocess_wait (self->process, NULL, NULL);
    }
  g_clear_object (&self->stdout_lines);
  g_clear_object (&self->process);
  self->port = 0;
}

static void
messenger_local_server_dispose (GObject *object)
{
  MessengerLocalServer *self = MESSENGER_LOCAL_SERVER (object);

  messenger_local_server_stop (self);

  G_OBJECT_CLASS (messenger_local_server_parent_class)->dispose (object);
}

static void
messenger_local_server_finalize (GObject *object)
{
  MessengerLocalServer *self = MESSENGER_LOCAL_SERVER (object);

  g_free (self->data_dir);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (messenger_local_server_parent_class)->finalize (object);
}

static void
messenger_local_server_class_init (MessengerLocalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = messenger_local_server_dispose;
  object_class->finalize = messenger_local_server_finalize;
}

static void
messenger_local_server_init (MessengerLocalServer *self)
{
}
