/* messenger-preferences-window.c: the Preferences window
 *
 * Every switch is bound to its GSettings key, so a change applies at once
 * and is kept.
 */
#include "config.h"

#include "messenger-preferences-window.h"

struct _MessengerPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template widgets */
  GtkSwitch            *show_offline_switch;
  GtkSwitch            *notifications_switch;
  GtkSwitch            *typing_switch;
  GtkSwitch            *receipts_switch;
};

G_DEFINE_FINAL_TYPE (MessengerPreferencesWindow, messenger_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

MessengerPreferencesWindow *
messenger_preferences_window_new (GSettings *settings)
{
  MessengerPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (MESSENGER_TYPE_PREFERENCES_WINDOW, NULL);
  g_settings_bind (settings, "show-offline-contacts", self->show_offline_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notifications", self->notifications_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "send-typing-notifications", self->typing_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "send-receipts", self->receipts_switch, "active", G_SETTINGS_BIND_DEFAULT);
  return self;
}

static void
messenger_preferences_window_class_init (MessengerPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, show_offline_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, typing_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, receipts_switch);
}

static void
messenger_preferences_window_init (MessengerPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
