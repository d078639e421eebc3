/* messenger-application.c: the AdwApplication, its actions and windows
 *
 * One instance per session (GApplication uniqueness over D-Bus); the
 * desktop file is DBusActivatable so the shell starts it with
 * --gapplication-service.  Application-wide actions live here; the window
 * owns its own (win.*).
 */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "messenger-account-window.h"
#include "messenger-application.h"
#include "messenger-notifier.h"
#include "messenger-preferences-window.h"
#include "messenger-profile.h"
#include "messenger-secret.h"
#include "xmpp-client.h"
#include "xmpp-jid.h"
#include "messenger-window.h"

struct _MessengerApplication
{
  AdwApplication  parent_instance;

  /* owned */
  GSettings        *settings;
  MessengerProfile *profile;
  MessengerNotifier *notifier;
  char             *profile_dir;   /* --profile, NULL for the default */
  gboolean          local;         /* --local */
  GError           *profile_error; /* why the profile did not open */
};

G_DEFINE_FINAL_TYPE (MessengerApplication, messenger_application, ADW_TYPE_APPLICATION)

MessengerApplication *
messenger_application_new (const char        *application_id,
                           GApplicationFlags  flags)
{
  g_return_val_if_fail (application_id != NULL, NULL);

  return g_object_new (MESSENGER_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", "/org/example/Messenger",
                       NULL);
}

MessengerProfile *
messenger_application_get_profile (MessengerApplication *self)
{
  g_return_val_if_fail (MESSENGER_IS_APPLICATION (self), NULL);
  return self->profile;
}

const GError *
messenger_application_get_profile_error (MessengerApplication *self)
{
  g_return_val_if_fail (MESSENGER_IS_APPLICATION (self), NULL);
  return self->profile_error;
}

GSettings *
messenger_application_get_settings (MessengerApplication *self)
{
  g_return_val_if_fail (MESSENGER_IS_APPLICATION (self), NULL);

  return self->settings;
}

static GtkWindow *
get_main_window (MessengerApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (MESSENGER_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static void
messenger_application_activate (GApplication *app)
{
  MessengerApplication *self = MESSENGER_APPLICATION (app);
  GtkWindow *window;

  window = get_main_window (self);
  if (window == NULL)
    window = GTK_WINDOW (messenger_window_new (self));

  gtk_window_present (window);
}

/* Preferences that are the protocol's business reach each account. */
static void
sessions_changed_cb (MessengerApplication *self,
                     guint                 position,
                     guint                 removed,
                     guint                 added,
                     GListModel           *sessions)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (sessions, i);
      MessengerAccount *account = messenger_session_get_account (session);

      g_settings_bind (self->settings, "send-typing-notifications", account, "send-chat-states",
                       G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "send-receipts", account, "send-receipts", G_SETTINGS_BIND_GET);
    }
}

/* --local: make sure there is an account on the bundled server, as "Use a
 * Local Server" would, without asking anything. */

static void
local_account_added_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(MessengerSession) session = NULL;
  g_autoptr(GError) error = NULL;

  session = messenger_profile_add_account_finish (MESSENGER_PROFILE (source), result, &error);
  if (session == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  messenger_account_connect (messenger_session_get_account (session));
}

static void
local_account_created_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autofree char *password = user_data;
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  account = messenger_profile_create_local_account_finish (MESSENGER_PROFILE (source), result, &error);
  if (account == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  messenger_profile_add_account_async (MESSENGER_PROFILE (source), account, password, TRUE, NULL,
                                       local_account_added_cb, NULL);
}

static char *
local_user_name (void)
{
  g_autoptr(GString) name = g_string_new (NULL);

  /* A JID localpart that is safe everywhere: lower-case letters, digits,
   * dot, dash and underscore. */
  for (const char *p = g_get_user_name (); *p != '\0'; p++)
    if (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '_')
      g_string_append_c (name, g_ascii_tolower (*p));
  if (name->len == 0 || g_strcmp0 (name->str, "root") == 0)
    g_string_assign (name, "me");
  return g_string_free (g_steal_pointer (&name), FALSE);
}

static void
ensure_local_account (MessengerApplication *self)
{
  GListModel *sessions = messenger_profile_get_sessions (self->profile);
  g_autofree char *name = NULL;
  char *password;  /* the callback frees it */

  for (guint i = 0; i < g_list_model_get_n_items (sessions); i++)
    {
      g_autoptr(MessengerSession) session = g_list_model_get_item (sessions, i);

      if (messenger_session_get_local (session))
        return;
    }

  name = local_user_name ();
  /* Nobody needs to know this password: the app runs the server and can
   * renew it (see messenger-profile.c). */
  password = g_uuid_string_random ();
  messenger_profile_create_local_account_async (self->profile, name, password, NULL,
                                                local_account_created_cb, password);
}

static void
messenger_application_startup (GApplication *app)
{
  MessengerApplication *self = MESSENGER_APPLICATION (app);

  G_APPLICATION_CLASS (messenger_application_parent_class)->startup (app);

  /* Translators: the application's name, shown in the window title and the shell. */
  g_set_application_name (_("Messenger"));
  gtk_window_set_default_icon_name (APP_ID);

  if (self->profile_dir != NULL)
    {
      /* --profile: settings live in the profile folder too. */
      g_autofree char *dir = g_canonicalize_filename (self->profile_dir, NULL);
      g_autofree char *path = g_build_filename (dir, "settings.ini", NULL);
      g_autoptr(GSettingsBackend) backend = NULL;

      g_mkdir_with_parents (dir, 0700);
      backend = g_keyfile_settings_backend_new (path, "/", NULL);
      self->settings = g_settings_new_with_backend ("org.example.Messenger", backend);
    }
  else
    self->settings = g_settings_new ("org.example.Messenger");

  self->profile = messenger_profile_open (self->profile_dir, &self->profile_error);
  if (self->profile != NULL)
    {
      GListModel *sessions = messenger_profile_get_sessions (self->profile);

      g_signal_connect_object (sessions, "items-changed", G_CALLBACK (sessions_changed_cb),
                               self, G_CONNECT_SWAPPED);
      sessions_changed_cb (self, 0, 0, g_list_model_get_n_items (sessions), sessions);
      self->notifier = messenger_notifier_new (app, self->settings, self->profile);
      messenger_profile_start (self->profile);
    }
  if (self->profile != NULL && self->local)
    ensure_local_account (self);
}

static void
messenger_application_shutdown (GApplication *app)
{
  MessengerApplication *self = MESSENGER_APPLICATION (app);

  if (self->profile != NULL)
    messenger_profile_shutdown (self->profile);

  G_APPLICATION_CLASS (messenger_application_parent_class)->shutdown (app);
}

/* --add-account: runs before any window, in its own main loop. */

typedef struct
{
  GMainLoop        *loop;
  GError           *error;
  MessengerSession *session;
} Wait;

static void
secret_stored_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Wait *wait = user_data;

  messenger_secret_store_finish (result, &wait->error);
  g_main_loop_quit (wait->loop);
}

static void
account_added_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Wait *wait = user_data;

  wait->session = messenger_profile_add_account_finish (MESSENGER_PROFILE (source), result, &wait->error);
  g_main_loop_quit (wait->loop);
}

static char *
read_password (const char *jid)
{
  g_autoptr(GString) password = g_string_new (NULL);
  int c;

  if (isatty (STDIN_FILENO))
    {
      /* Translators: %s is an address such as alice@example.org */
      g_printerr (_("Password for %s: "), jid);
    }
  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (password, (char) c);
  if (password->len > 0 && password->str[password->len - 1] == '\r')
    g_string_truncate (password, password->len - 1);
  return g_string_free (g_steal_pointer (&password), FALSE);
}

static int
add_account (MessengerApplication *self,
             const char           *jid_string,
             const char           *server,
             const char           *pin)
{
  g_autoptr(MessengerProfile) profile = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  Wait wait = { loop, NULL, NULL };

  jid = xmpp_jid_new (jid_string, &error);
  if (jid == NULL || xmpp_jid_get_local (jid) == NULL || xmpp_jid_get_resource (jid) != NULL)
    {
      /* Translators: %s is what was given on the command line */
      g_printerr (_("“%s” is not an account address such as alice@example.org.\n"), jid_string);
      return 2;
    }

  account = messenger_account_new (xmpp_jid_to_string (jid));
  if (server != NULL)
    {
      g_autoptr(GSocketConnectable) address = g_network_address_parse (server, 5222, &error);

      if (address == NULL)
        {
          g_printerr (_("“%s” is not a server address such as example.org or example.org:5222.\n"), server);
          return 2;
        }
      messenger_account_set_server (account, g_network_address_get_hostname (G_NETWORK_ADDRESS (address)),
                                    g_network_address_get_port (G_NETWORK_ADDRESS (address)));
    }
  if (pin != NULL)
    {
      g_autofree char *normalized = xmpp_fingerprint_normalize (pin);

      if (normalized == NULL)
        {
          g_printerr (_("“%s” is not a SHA-256 fingerprint (64 hexadecimal digits).\n"), pin);
          return 2;
        }
      messenger_account_set_pinned_fingerprint (account, normalized);
    }

  profile = messenger_profile_open (self->profile_dir, &error);
  if (profile == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  password = read_password (xmpp_jid_to_string (jid));
  if (*password == '\0')
    {
      g_printerr (_("No password was given on standard input.\n"));
      return 2;
    }

  /* The password goes to the keyring like any other; without one there is
   * nowhere safe to keep it, so nothing is added. */
  messenger_secret_store_async (xmpp_jid_to_string (jid), password, NULL, secret_stored_cb, &wait);
  g_main_loop_run (loop);
  if (wait.error != NULL)
    {
      g_printerr (_("The password could not be kept: %s\n"), wait.error->message);
      g_clear_error (&wait.error);
      return 1;
    }

  messenger_profile_add_account_async (profile, account, NULL, FALSE, NULL, account_added_cb, &wait);
  g_main_loop_run (loop);
  if (wait.error != NULL)
    {
      g_printerr ("%s\n", wait.error->message);
      g_clear_error (&wait.error);
      return 1;
    }
  g_clear_object (&wait.session);

  /* Translators: %s is an address such as alice@example.org */
  g_print (_("Added %s.\n"), xmpp_jid_to_string (jid));
  return 0;
}

static int
messenger_application_handle_local_options (GApplication *app,
                                            GVariantDict *options)
{
  MessengerApplication *self = MESSENGER_APPLICATION (app);
  const char *profile = NULL;
  const char *jid = NULL;
  const char *server = NULL;
  const char *pin = NULL;

  if (g_variant_dict_lookup (options, "profile", "^&ay", &profile))
    {
      self->profile_dir = g_strdup (profile);
      /* A profile is its own instance: never hand over to another one. */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }
  if (g_variant_dict_contains (options, "local"))
    self->local = TRUE;
  g_variant_dict_lookup (options, "server", "&s", &server);
  g_variant_dict_lookup (options, "pin", "&s", &pin);
  if (g_variant_dict_lookup (options, "add-account", "&s", &jid))
    return add_account (self, jid, server, pin);
  if (server != NULL || pin != NULL)
    {
      g_printerr (_("--server and --pin go with --add-account.\n"));
      return 2;
    }

  return G_APPLICATION_CLASS (messenger_application_parent_class)->handle_local_options (app, options);
}

static void
messenger_application_dispose (GObject *object)
{
  MessengerApplication *self = MESSENGER_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (messenger_application_parent_class)->dispose (object);
}

static void
messenger_application_class_init (MessengerApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = messenger_application_dispose;

  app_class->activate = messenger_application_activate;
  app_class->startup = messenger_application_startup;
  app_class->shutdown = messenger_application_shutdown;
  app_class->handle_local_options = messenger_application_handle_local_options;
}

static void
about_action_cb (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  MessengerApplication *self = user_data;
  static const char *developers[] = { "The Messenger developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", get_main_window (self),
                        "modal", TRUE,
                        "application-name", _("Messenger"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Messenger developers"),
                        "version", PACKAGE_VERSION,
                        "website", "https://example.org/messenger",
                        "issue-url", "https://example.org/messenger/issues",
                        "comments", _("Chat with your contacts over XMPP, the open standard for instant messaging."),
                        "developers", developers,
                        "copyright", "© 2026 The Messenger developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: replace with your names, one name per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_action_cb (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  MessengerApplication *self = user_data;
  MessengerPreferencesWindow *preferences;

  preferences = messenger_preferences_window_new (self->settings);
  if (self->profile != NULL)
    messenger_preferences_window_set_profile (preferences, self->profile);
  gtk_window_set_transient_for (GTK_WINDOW (preferences), get_main_window (self));
  /* One of the app's windows, so its shortcuts (F1, Ctrl+Q) work there
   * too; it goes with the main window, as before. */
  gtk_window_set_destroy_with_parent (GTK_WINDOW (preferences), TRUE);
  gtk_window_set_application (GTK_WINDOW (preferences), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
help_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MessengerApplication *self = user_data;
  const char *page = parameter != NULL ? g_variant_get_string (parameter, NULL) : "";
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *uri = NULL;

  /* No page given (F1): the help for what is shown.  Signing in, creating
   * an account or a local server while the welcome flow is up (also in
   * the Add Account window); the front page otherwise. */
  if (*page == '\0'
      && (MESSENGER_IS_ACCOUNT_WINDOW (active)
          || (self->profile != NULL
              && g_list_model_get_n_items (messenger_profile_get_sessions (self->profile)) == 0)))
    page = "sign-in";
  uri = *page != '\0' ? g_strdup_printf ("help:messenger/%s", page) : g_strdup ("help:messenger");
  gtk_show_uri (get_main_window (self), uri, GDK_CURRENT_TIME);
}

static void
open_conversation_action_cb (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  MessengerApplication *self = user_data;
  const char *account = NULL;
  const char *peer = NULL;
  GtkWindow *window;

  g_variant_get (parameter, "(&s&s)", &account, &peer);
  g_application_activate (G_APPLICATION (self));
  window = get_main_window (self);
  if (window != NULL)
    {
      messenger_window_show_conversation (MESSENGER_WINDOW (window), account, peer);
      gtk_window_present (window);
    }
}

static void
quit_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MessengerApplication *self = user_data;
  GList *windows;

  /* Close windows first so they save their state. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_actions[] = {
  { "about", about_action_cb },
  { "preferences", preferences_action_cb },
  { "help", help_action_cb, "s" },
  { "open-conversation", open_conversation_action_cb, "(ss)" },
  { "quit", quit_action_cb },
};

static const GOptionEntry options[] = {
  { "profile", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Keep all of the app’s data (database, settings, caches) in DIR"), N_("DIR") },
  { "local", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Sign in to a server run by the app on this computer, making an account on first use"), NULL },
  { "add-account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Add the account JID, reading its password from standard input, then exit"), N_("JID") },
  { "server", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account: connect to HOST[:PORT] instead of looking the server up"), N_("HOST[:PORT]") },
  { "pin", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --add-account: trust the server certificate with this SHA-256 fingerprint"), N_("SHA256") },
  { NULL }
};

static void
messenger_application_init (MessengerApplication *self)
{
  static const char *quit_accels[] = { "<primary>q", NULL };
  static const char *preferences_accels[] = { "<primary>comma", NULL };
  static const char *help_accels[] = { "F1", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self),
                                   app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.help('')", help_accels);

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Chat with your contacts over XMPP."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("Examples:\n"
                                                  "  messenger --profile ~/test-profile\n"
                                                  "  echo secret | messenger --profile ~/test-profile --add-account alice@example.org --server 127.0.0.1:5222"));
}
