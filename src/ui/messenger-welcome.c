/* messenger-welcome.c: the first screen — sign in, create an account or use a local server
 *
 *            ┌─▶ sign-in ────────┐
 *   start ───┼─▶ create-account ─┼─▶ "account-added" (session)
 *            └─▶ local-server ───┘
 *
 * A stack of pages; each sub-page has a header bar with a back button
 * (also Escape and Alt+Left), does its own work through the core API and
 * emits "account-added" once its account is online and in the profile.
 * Going back cancels what the page was doing and clears it.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-create-account-page.h"
#include "messenger-local-server-page.h"
#include "messenger-sign-in-page.h"
#include "messenger-welcome.h"
#include "messenger-welcome-private.h"

struct _MessengerWelcome
{
  AdwBin                      parent_instance;

  /* template widgets */
  GtkStack                   *stack;
  GtkWidget                  *start_page;
  GtkWidget                  *menu_button;
  GtkWidget                  *sign_in_button;
  MessengerSignInPage        *sign_in_page;
  MessengerCreateAccountPage *create_account_page;
  MessengerLocalServerPage   *local_server_page;

  AdwStatusPage              *status_page;

  /* owned */
  MessengerProfile           *profile;
  gboolean                    add_account;
};

G_DEFINE_FINAL_TYPE (MessengerWelcome, messenger_welcome, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_ADD_ACCOUNT,
  N_PROPS
};

enum {
  SIGNAL_ACCOUNT_ADDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
messenger_welcome_new (void)
{
  return g_object_new (MESSENGER_TYPE_WELCOME, NULL);
}

MessengerProfile *
messenger_welcome_get_profile (MessengerWelcome *self)
{
  g_return_val_if_fail (MESSENGER_IS_WELCOME (self), NULL);
  return self->profile;
}

void
messenger_welcome_set_profile (MessengerWelcome *self,
                               MessengerProfile *profile)
{
  g_return_if_fail (MESSENGER_IS_WELCOME (self));
  g_return_if_fail (profile == NULL || MESSENGER_IS_PROFILE (profile));

  if (!g_set_object (&self->profile, profile))
    return;
  messenger_welcome_reset (self);
  messenger_sign_in_page_set_profile (self->sign_in_page, profile);
  messenger_create_account_page_set_profile (self->create_account_page, profile);
  messenger_local_server_page_set_profile (self->local_server_page, profile);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.show-page", profile != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
}

static void
reset_pages (MessengerWelcome *self)
{
  messenger_sign_in_page_reset (self->sign_in_page);
  messenger_create_account_page_reset (self->create_account_page);
  messenger_local_server_page_reset (self->local_server_page);
}

void
messenger_welcome_reset (MessengerWelcome *self)
{
  g_return_if_fail (MESSENGER_IS_WELCOME (self));

  gtk_stack_set_visible_child_full (self->stack, "start", GTK_STACK_TRANSITION_TYPE_NONE);
  reset_pages (self);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  MessengerWelcome *self = MESSENGER_WELCOME (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (gtk_stack_get_child_by_name (self->stack, name) == NULL || g_str_equal (name, "start"))
    return;
  gtk_stack_set_visible_child_full (self->stack, name, GTK_STACK_TRANSITION_TYPE_SLIDE_LEFT);

  if (g_str_equal (name, "sign-in"))
    messenger_sign_in_page_focus (self->sign_in_page);
  else if (g_str_equal (name, "create-account"))
    messenger_create_account_page_focus (self->create_account_page);
  else if (g_str_equal (name, "local-server"))
    messenger_local_server_page_focus (self->local_server_page);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MessengerWelcome *self = MESSENGER_WELCOME (widget);

  if (gtk_stack_get_visible_child (self->stack) == self->start_page)
    return;
  gtk_stack_set_visible_child_full (self->stack, "start", GTK_STACK_TRANSITION_TYPE_SLIDE_RIGHT);
  gtk_widget_grab_focus (self->sign_in_button);
}

static void
visible_child_changed_cb (MessengerWelcome *self)
{
  gboolean at_start = gtk_stack_get_visible_child (self->stack) == self->start_page;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.back", !at_start);
  /* Leaving a page cancels its work: nothing connects behind a page the
   * person left. */
  if (at_start)
    reset_pages (self);
}

static void
account_added_cb (MessengerWelcome *self,
                  MessengerSession *session)
{
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, session);
  messenger_welcome_reset (self);
}

static void
messenger_welcome_dispose (GObject *object)
{
  MessengerWelcome *self = MESSENGER_WELCOME (object);

  /* The stack changes its visible child while it is torn down: nothing
   * to reset then. */
  if (self->stack != NULL)
    g_signal_handlers_disconnect_by_data (self->stack, self);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (messenger_welcome_parent_class)->dispose (object);
}

/* The app's colour icon once installed; its symbolic one (always in the
 * resources) when run from the build tree. */
static const char *
app_icon_name (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  GtkIconTheme *theme;

  if (display == NULL)
    return "org.example.Messenger-symbolic";
  theme = gtk_icon_theme_get_for_display (display);
  if (gtk_icon_theme_has_icon (theme, APP_ID))
    return APP_ID;
  /* Also when hosted by another program (tests): the icon is ours. */
  if (!gtk_icon_theme_has_icon (theme, "org.example.Messenger-symbolic"))
    gtk_icon_theme_add_resource_path (theme, "/org/example/Messenger/icons");
  return "org.example.Messenger-symbolic";
}

static void
set_add_account (MessengerWelcome *self,
                 gboolean          add_account)
{
  if (self->add_account == add_account)
    return;
  self->add_account = add_account;
  gtk_widget_set_visible (self->menu_button, !add_account);
  adw_status_page_set_title (self->status_page,
                             add_account ? _("Add an Account") : _("Welcome to Messenger"));
  adw_status_page_set_icon_name (self->status_page,
                                 add_account ? "contact-new-symbolic" : app_icon_name ());
  adw_status_page_set_description (self->status_page,
                                   add_account ? _("Sign in to another account, create one, or use a server on this computer.")
                                               : _("Chat with people on any XMPP server, the open standard for instant messaging."));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADD_ACCOUNT]);
}

static void
messenger_welcome_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MessengerWelcome *self = MESSENGER_WELCOME (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;
    case PROP_ADD_ACCOUNT:
      g_value_set_boolean (value, self->add_account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_welcome_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MessengerWelcome *self = MESSENGER_WELCOME (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      messenger_welcome_set_profile (self, g_value_get_object (value));
      break;
    case PROP_ADD_ACCOUNT:
      set_add_account (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_welcome_class_init (MessengerWelcomeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_welcome_dispose;
  object_class->get_property = messenger_welcome_get_property;
  object_class->set_property = messenger_welcome_set_property;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL,
                         MESSENGER_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* TRUE in the "Add Account" window: another title, no main menu. */
  properties[PROP_ADD_ACCOUNT] =
    g_param_spec_boolean ("add-account", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ACCOUNT_ADDED] =
    g_signal_new ("account-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, MESSENGER_TYPE_SESSION);

  gtk_widget_class_install_action (widget_class, "welcome.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "welcome.back", NULL, back_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "welcome.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "welcome.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Back, 0, "welcome.back", NULL);

  g_type_ensure (MESSENGER_TYPE_SIGN_IN_PAGE);
  g_type_ensure (MESSENGER_TYPE_CREATE_ACCOUNT_PAGE);
  g_type_ensure (MESSENGER_TYPE_LOCAL_SERVER_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-welcome.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, start_page);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, menu_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, status_page);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, create_account_page);
  gtk_widget_class_bind_template_child (widget_class, MessengerWelcome, local_server_page);
  gtk_widget_class_bind_template_callback (widget_class, visible_child_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, account_added_cb);
}

static void
messenger_welcome_init (MessengerWelcome *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  _messenger_name_buttons (self->start_page);
  adw_status_page_set_icon_name (self->status_page, app_icon_name ());
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.back", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "welcome.show-page", FALSE);
}
