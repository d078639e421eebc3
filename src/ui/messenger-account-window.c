/* messenger-account-window.c: "Add Account…" — a window hosting the welcome flow
 *
 * Opened from Preferences ▸ Accounts.  Escape goes back a page inside the
 * flow, and closes the window from its first page.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-account-window.h"
#include "messenger-welcome.h"

struct _MessengerAccountWindow
{
  AdwWindow         parent_instance;

  /* template widgets */
  MessengerWelcome *welcome;
};

G_DEFINE_FINAL_TYPE (MessengerAccountWindow, messenger_account_window, ADW_TYPE_WINDOW)

MessengerAccountWindow *
messenger_account_window_new (GtkWindow        *parent,
                              MessengerProfile *profile)
{
  MessengerAccountWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (MESSENGER_IS_PROFILE (profile), NULL);

  /* One of the app's windows (as its parent is), so the app's shortcuts
   * work here too: F1 opens the help about signing in. */
  self = g_object_new (MESSENGER_TYPE_ACCOUNT_WINDOW,
                       "transient-for", parent,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       NULL);
  messenger_welcome_set_profile (self->welcome, profile);
  return self;
}

static void
account_added_cb (MessengerAccountWindow *self,
                  MessengerSession       *session)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
messenger_account_window_class_init (MessengerAccountWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  g_type_ensure (MESSENGER_TYPE_WELCOME);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-account-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerAccountWindow, welcome);
  gtk_widget_class_bind_template_callback (widget_class, account_added_cb);
}

static void
messenger_account_window_init (MessengerAccountWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
