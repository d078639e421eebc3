/* messenger-window.c: the main window
 *
 *   main_stack ─ "error"    the profile could not be opened (error page)
 *              ├ "welcome"  no account yet: MessengerWelcome
 *              └ "chats"    AdwLeaflet: MessengerSidebar │ MessengerConversationView
 *
 * The window shows one account at a time (the first of the profile, or the
 * one chosen with win.switch-account); the sidebar and the conversation
 * pane bind to that session's models.  On narrow widths the leaflet folds
 * to one pane.  Size and maximized state persist in GSettings.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-bench-probe.h"
#include "messenger-certificate-dialog.h"
#include "messenger-conversation-view.h"
#include "messenger-password-dialog.h"
#include "messenger-sidebar.h"
#include "messenger-welcome.h"
#include "messenger-window.h"

struct _MessengerWindow
{
  AdwApplicationWindow       parent_instance;

  /* template widgets */
  AdwToastOverlay           *toast_overlay;
  GtkStack                  *main_stack;
  AdwStatusPage             *error_page;
  MessengerWelcome          *welcome;     /* made when first needed */
  AdwLeaflet                *leaflet;
  MessengerSidebar          *sidebar;
  MessengerConversationView *conversation_view;
  GMenuModel                *primary_menu;

  /* owned */
  GSettings                 *settings;
  MessengerProfile          *profile;
  MessengerSession          *session;
  GSignalGroup              *session_signals;
  GSignalGroup              *account_signals;
};

G_DEFINE_FINAL_TYPE (MessengerWindow, messenger_window, ADW_TYPE_APPLICATION_WINDOW)

static void update_actions (MessengerWindow *self);

static gboolean
in_chats (MessengerWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "chats") == 0;
}

static void setup_from_application (MessengerWindow      *self,
                                    MessengerApplication *application);

MessengerWindow *
messenger_window_new (MessengerApplication *application)
{
  MessengerWindow *self;

  g_return_val_if_fail (MESSENGER_IS_APPLICATION (application), NULL);

  /* "application" is not a construct property: set up from it here. */
  self = g_object_new (MESSENGER_TYPE_WINDOW,
                       "application", application,
                       NULL);
  setup_from_application (self, application);
  return self;
}

MessengerSession *
messenger_window_get_session (MessengerWindow *self)
{
  g_return_val_if_fail (MESSENGER_IS_WINDOW (self), NULL);
  return self->session;
}

static void
set_session (MessengerWindow  *self,
             MessengerSession *session)
{
  if (!g_set_object (&self->session, session))
    return;

  messenger_conversation_view_set_conversation (self->conversation_view, NULL);
  messenger_sidebar_set_session (self->sidebar, session);
  g_signal_group_set_target (self->session_signals, session);
  g_signal_group_set_target (self->account_signals,
                             session != NULL ? messenger_session_get_account (session) : NULL);
  update_actions (self);
}

static void welcome_account_added_cb (MessengerWindow  *self,
                                      MessengerSession *session);

/* The first-run pages are made only for a profile without accounts: most
 * starts never show them, and they are a fifth of the window. */
static void
ensure_welcome (MessengerWindow *self)
{
  if (self->welcome != NULL)
    return;
  self->welcome = MESSENGER_WELCOME (messenger_welcome_new ());
  messenger_welcome_set_profile (self->welcome, self->profile);
  g_signal_connect_object (self->welcome, "account-added", G_CALLBACK (welcome_account_added_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->welcome), "welcome");
}

/* Which page, and which session, follow from the profile's accounts. */
static void
update_page (MessengerWindow *self)
{
  GListModel *sessions;
  g_autoptr(MessengerSession) first = NULL;
  guint position;

  if (self->profile == NULL)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    }

  sessions = messenger_profile_get_sessions (self->profile);
  if (g_list_model_get_n_items (sessions) == 0)
    {
      set_session (self, NULL);
      ensure_welcome (self);
      messenger_welcome_reset (self->welcome);
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
      return;
    }

  if (self->session == NULL
      || !g_list_store_find (G_LIST_STORE (sessions), self->session, &position))
    {
      first = g_list_model_get_item (sessions, 0);
      set_session (self, first);
    }
  gtk_stack_set_visible_child_name (self->main_stack, "chats");
}

static void
sessions_changed_cb (MessengerWindow *self)
{
  update_page (self);
}

void
messenger_window_open_conversation (MessengerWindow       *self,
                                    MessengerConversation *conversation)
{
  g_return_if_fail (MESSENGER_IS_WINDOW (self));
  g_return_if_fail (conversation == NULL || MESSENGER_IS_CONVERSATION (conversation));

  messenger_conversation_view_set_conversation (self->conversation_view, conversation);
  if (conversation != NULL)
    {
      adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->conversation_view));
      messenger_conversation_view_focus_composer (self->conversation_view);
    }
  else
    adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
  update_actions (self);
}

MessengerConversation *
messenger_window_get_shown_conversation (MessengerWindow *self)
{
  g_return_val_if_fail (MESSENGER_IS_WINDOW (self), NULL);

  if (!in_chats (self)
      || (adw_leaflet_get_folded (self->leaflet)
          && adw_leaflet_get_visible_child (self->leaflet) != GTK_WIDGET (self->conversation_view)))
    return NULL;
  return messenger_conversation_view_get_conversation (self->conversation_view);
}

gboolean
messenger_window_show_conversation (MessengerWindow *self,
                                    const char      *account_jid,
                                    const char      *peer)
{
  MessengerSession *session;
  MessengerConversation *conversation;

  g_return_val_if_fail (MESSENGER_IS_WINDOW (self), FALSE);

  if (self->profile == NULL)
    return FALSE;
  session = messenger_profile_lookup_session (self->profile, account_jid);
  if (session == NULL)
    return FALSE;

  set_session (self, session);
  gtk_stack_set_visible_child_name (self->main_stack, "chats");
  conversation = messenger_conversation_list_get_conversation (messenger_session_get_conversations (session),
                                                               peer);
  messenger_window_open_conversation (self, conversation);
  return conversation != NULL;
}

static void
welcome_account_added_cb (MessengerWindow  *self,
                          MessengerSession *session)
{
  set_session (self, session);
  update_page (self);
}

static void
sidebar_conversation_activated_cb (MessengerWindow       *self,
                                   MessengerConversation *conversation)
{
  messenger_window_open_conversation (self, conversation);
}

static void
needs_password_changed_cb (MessengerWindow  *self,
                           GParamSpec       *pspec,
                           MessengerSession *session)
{
  /* Ask once per change, when the window can show it; the sidebar keeps
   * an "Enter Password…" button for later. */
  if (messenger_session_get_needs_password (session)
      && gtk_widget_get_mapped (GTK_WIDGET (self)))
    messenger_password_dialog_present (GTK_WINDOW (self), session);
}

static void
account_state_changed_cb (MessengerWindow *self)
{
  update_actions (self);
}

static void
leaflet_folded_changed_cb (MessengerWindow *self)
{

  /* When folding, keep what the person was looking at: the sidebar unless
   * a conversation is open. */
  if (adw_leaflet_get_folded (self->leaflet)
      && messenger_conversation_view_get_conversation (self->conversation_view) == NULL)
    adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
}

static void
update_active (MessengerWindow *self)
{
  gboolean visible = gtk_window_is_active (GTK_WINDOW (self))
                     && (!adw_leaflet_get_folded (self->leaflet)
                         || adw_leaflet_get_visible_child (self->leaflet) == GTK_WIDGET (self->conversation_view));

  messenger_conversation_view_set_active (self->conversation_view, visible);
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

/* Actions */

static void
update_actions (MessengerWindow *self)
{
  MessengerAccount *account = self->session != NULL ? messenger_session_get_account (self->session) : NULL;
  gboolean chats = in_chats (self) && self->session != NULL;
  gboolean open = messenger_conversation_view_get_conversation (self->conversation_view) != NULL;
  gboolean certificate = account != NULL
                         && messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR
                         && messenger_account_get_error_kind (account) == MESSENGER_ACCOUNT_ERROR_CERTIFICATE
                         && messenger_account_get_certificate_info (account) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", chats);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-contact", chats);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.next-conversation", chats);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.previous-conversation", chats);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-conversation", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-certificate", certificate);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.enter-password", self->session != NULL);
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
  messenger_sidebar_begin_search (self->sidebar);
}

static void
add_contact_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar));
  messenger_sidebar_add_contact (self->sidebar);
}

/* Next and previous follow the conversation list's order (most recent
 * first), as the person sees it when they switch. */
static void
step_conversation (MessengerWindow *self,
                   int              step)
{
  GListModel *conversations;
  MessengerConversation *current;
  g_autoptr(MessengerConversation) next = NULL;
  guint n, position = 0;
  gboolean found = FALSE;

  if (self->session == NULL)
    return;
  conversations = G_LIST_MODEL (messenger_session_get_conversations (self->session));
  n = g_list_model_get_n_items (conversations);
  if (n == 0)
    return;

  current = messenger_conversation_view_get_conversation (self->conversation_view);
  for (guint i = 0; current != NULL && i < n; i++)
    {
      g_autoptr(MessengerConversation) item = g_list_model_get_item (conversations, i);

      if (item == current)
        {
          position = i;
          found = TRUE;
          break;
        }
    }

  if (!found)
    position = step > 0 ? 0 : n - 1;
  else
    position = (position + n + (guint) (step > 0 ? 1 : n - 1)) % n;

  next = g_list_model_get_item (conversations, position);
  messenger_window_open_conversation (self, next);
}

static void
next_conversation_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  step_conversation (MESSENGER_WINDOW (widget), 1);
}

static void
previous_conversation_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  step_conversation (MESSENGER_WINDOW (widget), -1);
}

static void
close_conversation_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  messenger_window_open_conversation (MESSENGER_WINDOW (widget), NULL);
}

static void
review_certificate_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  if (self->session != NULL)
    messenger_certificate_dialog_present (GTK_WINDOW (self), self->session);
}

static void
enter_password_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  if (self->session != NULL)
    messenger_password_dialog_present (GTK_WINDOW (self), self->session);
}

static void
switch_account_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);
  MessengerSession *session;

  if (self->profile == NULL)
    return;
  session = messenger_profile_lookup_session (self->profile, g_variant_get_string (parameter, NULL));
  if (session != NULL)
    {
      set_session (self, session);
      update_page (self);
    }
}

static void
setup_from_application (MessengerWindow      *self,
                        MessengerApplication *application)
{
  const GError *error;

  self->settings = g_object_ref (messenger_application_get_settings (application));
  self->profile = messenger_application_get_profile (application);
  error = messenger_application_get_profile_error (application);
  if (self->profile != NULL)
    g_object_ref (self->profile);

  load_window_state (self);
  g_settings_bind (self->settings, "show-offline-contacts", self->sidebar, "show-offline", G_SETTINGS_BIND_GET);

  if (self->profile != NULL)
    {
      g_signal_connect_object (messenger_profile_get_sessions (self->profile), "items-changed",
                               G_CALLBACK (sessions_changed_cb), self, G_CONNECT_SWAPPED);
    }
  else if (error != NULL)
    adw_status_page_set_description (self->error_page, error->message);

  update_page (self);
  messenger_bench_probe_attach (self);
}

static void
messenger_window_map (GtkWidget *widget)
{
  MessengerWindow *self = MESSENGER_WINDOW (widget);

  GTK_WIDGET_CLASS (messenger_window_parent_class)->map (widget);

  if (self->session != NULL && messenger_session_get_needs_password (self->session))
    messenger_password_dialog_present (GTK_WINDOW (self), self->session);
}

static void
messenger_window_dispose (GObject *object)
{
  MessengerWindow *self = MESSENGER_WINDOW (object);

  if (self->session_signals != NULL)
    g_signal_group_set_target (self->session_signals, NULL);
  if (self->account_signals != NULL)
    g_signal_group_set_target (self->account_signals, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_WINDOW);

  g_clear_object (&self->session_signals);
  g_clear_object (&self->account_signals);
  g_clear_object (&self->session);
  g_clear_object (&self->profile);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (messenger_window_parent_class)->dispose (object);
}

static void
messenger_window_class_init (MessengerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = messenger_window_dispose;
  widget_class->map = messenger_window_map;
  window_class->close_request = messenger_window_close_request;

  g_type_ensure (MESSENGER_TYPE_WELCOME);
  g_type_ensure (MESSENGER_TYPE_SIDEBAR);
  g_type_ensure (MESSENGER_TYPE_CONVERSATION_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, conversation_view);
  gtk_widget_class_bind_template_child (widget_class, MessengerWindow, primary_menu);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_conversation_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.add-contact", NULL, add_contact_action);
  gtk_widget_class_install_action (widget_class, "win.next-conversation", NULL, next_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.previous-conversation", NULL, previous_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.close-conversation", NULL, close_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.review-certificate", NULL, review_certificate_action);
  gtk_widget_class_install_action (widget_class, "win.enter-password", NULL, enter_password_action);
  gtk_widget_class_install_action (widget_class, "win.switch-account", "s", switch_account_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.add-contact", NULL);
  /* Next and previous conversation: see add_conversation_shortcuts (). */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "win.close-conversation", NULL);
}

/* Ctrl+Page Down/Up and Ctrl+(Shift+)Tab switch conversations wherever the
 * focus is.  As class bindings of the window they came last: the composer's
 * text view takes Ctrl+Page Down/Up (horizontal page moves) and every
 * scrolled window takes Ctrl+Tab (focus out of it), so with the focus in the
 * composer or the message list they did nothing.  In the capture phase they
 * come first; a disabled action lets the key go on. */
static void
add_conversation_shortcuts (MessengerWindow *self)
{
  static const struct { guint key; GdkModifierType mods; const char *action; } keys[] = {
    { GDK_KEY_Page_Down, GDK_CONTROL_MASK, "win.next-conversation" },
    { GDK_KEY_Page_Up, GDK_CONTROL_MASK, "win.previous-conversation" },
    { GDK_KEY_Tab, GDK_CONTROL_MASK, "win.next-conversation" },
    { GDK_KEY_ISO_Left_Tab, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.previous-conversation" },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, keys[i].mods),
                                                            gtk_named_action_new (keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
messenger_window_init (MessengerWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_conversation_shortcuts (self);

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  /* The primary menu lives in the window's template; the sidebar shows it. */
  messenger_sidebar_set_primary_menu (self->sidebar, self->primary_menu);

  self->session_signals = g_signal_group_new (MESSENGER_TYPE_SESSION);
  g_signal_group_connect_object (self->session_signals, "notify::needs-password",
                                 G_CALLBACK (needs_password_changed_cb), self, G_CONNECT_SWAPPED);
  self->account_signals = g_signal_group_new (MESSENGER_TYPE_ACCOUNT);
  g_signal_group_connect_object (self->account_signals, "notify::state",
                                 G_CALLBACK (account_state_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->account_signals, "notify::error-kind",
                                 G_CALLBACK (account_state_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_swapped (self, "notify::is-active", G_CALLBACK (update_active), self);
  g_signal_connect_swapped (self->leaflet, "notify::visible-child", G_CALLBACK (update_active), self);
  g_signal_connect_swapped (self->leaflet, "notify::folded", G_CALLBACK (update_active), self);
}
