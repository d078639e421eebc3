/* messenger-application.c: the AdwApplication, its actions and windows
 *
 * One instance per session (GApplication uniqueness over D-Bus); the
 * desktop file is DBusActivatable so the shell starts it with
 * --gapplication-service.  Application-wide actions live here; the window
 * owns its own (win.*).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-application.h"
#include "messenger-preferences-window.h"
#include "messenger-window.h"

struct _MessengerApplication
{
  AdwApplication  parent_instance;

  /* owned */
  GSettings      *settings;
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

static void
messenger_application_startup (GApplication *app)
{
  MessengerApplication *self = MESSENGER_APPLICATION (app);

  G_APPLICATION_CLASS (messenger_application_parent_class)->startup (app);

  /* Translators: the application's name, shown in the window title and the shell. */
  g_set_application_name (_("Messenger"));
  gtk_window_set_default_icon_name (APP_ID);

  self->settings = g_settings_new ("org.example.Messenger");
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
  gtk_window_set_transient_for (GTK_WINDOW (preferences), get_main_window (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
help_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MessengerApplication *self = user_data;
  const char *page = parameter != NULL ? g_variant_get_string (parameter, NULL) : "";
  g_autofree char *uri = NULL;

  uri = *page != '\0' ? g_strdup_printf ("help:messenger/%s", page) : g_strdup ("help:messenger");
  gtk_show_uri (get_main_window (self), uri, GDK_CURRENT_TIME);
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
  { "quit", quit_action_cb },
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
}
