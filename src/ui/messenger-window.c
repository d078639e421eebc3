/* messenger-window.c: the main window
 *
 * An adaptive two-pane layout: the sidebar (own presence, search and the
 * roster) and the content pane (the selected conversation, or an empty
 * state).  On narrow widths the AdwLeaflet folds to one pane and the back
 * button returns to the sidebar.  Size and maximized state persist in
 * GSettings.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-window.h"

struct _MessengerWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkWidget            *content;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkStack             *sidebar_stack;
  GtkListView          *roster_view;
  GtkStack             *content_stack;

  /* owned */
  GSettings            *settings;
  GListModel           *roster_model;
};

G_DEFINE_FINAL_TYPE (MessengerWindow, messenger_window, ADW_TYPE_APPLICATION_WINDOW)

MessengerWindow *
messenger_window_new (MessengerApplication *application)
{
  g_return_val_if_fail (MESSENGER_IS_APPLICATION (application), NULL);

  return g_object_new (MESSENGER_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

static void
update_sidebar_page (MessengerWindow *self)
{
  guint n_items = g_list_model_get_n_items (self->roster_model);

  gtk_stack_set_visible_child_name (self->sidebar_stack, n_items > 0 ? "roster" : "empty");
}

static void
roster_items_changed_cb (MessengerWindow *self,
                         guint            position,
                         guint            removed,
                         guint            added,
                         GListModel      *model)
{
  update_sidebar_page (self);
}

static void
leaflet_folded_changed_cb (MessengerWindow *self)
{
  /* When folding, keep what the person was looking at: the sidebar unless
   * a conversation is open. */
  if (adw_leaflet_get_folded (self->leaflet)
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "empty") == 0)
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
load_window_state (MessengerWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
save_window_state (MessengerWindow *self)
{
  int width, height;
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
  if (!maximized)
    {
      gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);
}

static gboolean
messenger_window_close_request (GtkWindow *window)
{
  save_window_state (MESSENGER_WINDOW (window));

  return GTK_WINDOW_CLASS (messenger_window_parent_class)->close_request (window);
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
messenger_window_constructed (GObject *object)
{
  MessengerWindow *self = MESSENGER_WINDOW (object);
  GtkApplication *app;

  G_OBJECT_CLASS (messenger_window_parent_class)->constructed (object);

  app = gtk_window_get_application (GTK_WINDOW (self));
  if (MESSENGER_IS_APPLICATION (app))
    self->settings = g_object_ref (messenger_application_get_settings (MESSENGER_APPLICATION (app)));
  else
    self->settings = g_settings_new ("org.example.Messenger");

  load_window_state (self);
}

static void
messenger_window_dispose (GObject *object)
{
  MessengerWindow *self = MESSENGER_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_WINDOW);

  g_clear_object (&self->roster_model);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (messenger_window_parent_class)->dispose (object);
}

static void
messenger_window_class_init (MessengerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = messenger_window_constructed;
  object_class->dispose = messenger_window_dispose;

  window_class->close_request = messenger_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, content);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, roster_view);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, content_stack);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
}

static void
messenger_window_init (MessengerWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  /* The roster model is fed by the core layer (a later milestone); until an
   * account exists it is empty and the sidebar shows its empty state. */
  self->roster_model = G_LIST_MODEL (g_list_store_new (G_TYPE_OBJECT));
  g_signal_connect_object (self->roster_model, "items-changed",
                           G_CALLBACK (roster_items_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_list_view_set_model (self->roster_view,
                           GTK_SELECTION_MODEL (gtk_single_selection_new (g_object_ref (self->roster_model))));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  update_sidebar_page (self);
}
