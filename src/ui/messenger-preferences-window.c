/* messenger-preferences-window.c: the Preferences window
 *
 * General: every switch is bound to its GSettings key, so a change applies
 * at once and is kept.
 *
 * Accounts: a row per account of the profile (its address and state in
 * plain words), with a way out of what stops it signing in (password,
 * certificate, try again), Remove (after a confirmation), and "Add
 * Account…", which opens the welcome flow in its own window.  The list is
 * the profile's sessions model bound to a GtkListBox: a person has a
 * handful of accounts, not thousands.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-account-window.h"
#include "messenger-certificate-dialog.h"
#include "messenger-password-dialog.h"
#include "messenger-preferences-window.h"
#include "messenger-welcome-private.h"

#define SESSION_KEY "messenger-session"

struct _MessengerPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template widgets */
  GtkSwitch            *show_offline_switch;
  GtkSwitch            *notifications_switch;
  GtkSwitch            *typing_switch;
  GtkSwitch            *receipts_switch;
  GtkListBox           *accounts_list;

  /* owned */
  MessengerProfile     *profile;
  GCancellable         *cancellable;
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

/* ---------------------------------------------------------------- */
/* Account rows                                                     */

typedef enum
{
  FIX_NONE,
  FIX_PASSWORD,
  FIX_CERTIFICATE,
  FIX_RETRY,
} FixKind;

static FixKind
fix_for (MessengerSession *session)
{
  MessengerAccount *account = messenger_session_get_account (session);

  if (messenger_session_get_needs_password (session))
    return FIX_PASSWORD;
  if (messenger_account_get_state (account) != MESSENGER_ACCOUNT_ERROR)
    return FIX_NONE;
  switch (messenger_account_get_error_kind (account))
    {
    case MESSENGER_ACCOUNT_ERROR_AUTHENTICATION:
      return FIX_PASSWORD;
    case MESSENGER_ACCOUNT_ERROR_CERTIFICATE:
      return messenger_account_get_certificate_info (account) != NULL ? FIX_CERTIFICATE : FIX_RETRY;
    case MESSENGER_ACCOUNT_ERROR_NONE:
    case MESSENGER_ACCOUNT_ERROR_UNREACHABLE:
    case MESSENGER_ACCOUNT_ERROR_NO_ENCRYPTION:
    case MESSENGER_ACCOUNT_ERROR_CONFLICT:
    case MESSENGER_ACCOUNT_ERROR_OTHER:
    default:
      return FIX_RETRY;
    }
}

/* The state in plain words, for the row's subtitle. */
static char *
describe_state (MessengerSession *session)
{
  MessengerAccount *account = messenger_session_get_account (session);
  const char *message = messenger_account_get_error_message (account);
  const char *text;

  if (messenger_session_get_needs_password (session))
    text = _("Password needed to sign in");
  else
    switch (messenger_account_get_state (account))
      {
      case MESSENGER_ACCOUNT_ONLINE:
        text = _("Online");
        break;
      case MESSENGER_ACCOUNT_CONNECTING:
        text = message != NULL ? message : _("Connecting…");
        break;
      case MESSENGER_ACCOUNT_ERROR:
        text = message != NULL ? message : _("Cannot sign in");
        break;
      case MESSENGER_ACCOUNT_OFFLINE:
      default:
        text = _("Offline");
        break;
      }

  if (messenger_session_get_local (session))
    /* Translators: %s is an account's state, e.g. "Online"; the account is
     * on the small server Messenger runs on this computer. */
    return g_strdup_printf (_("%s · On this computer"), text);
  /* Said from the first sign-in on, not only when the password is asked
   * for at the next start. */
  if (messenger_session_get_secret_error (session) != NULL)
    /* Translators: %s is an account's state, e.g. "Online". */
    return g_strdup_printf (_("%s · No keyring keeps the password"), text);
  return g_strdup (text);
}

static void
update_row (AdwActionRow *row)
{
  MessengerSession *session = g_object_get_data (G_OBJECT (row), SESSION_KEY);
  GtkButton *fix_button = g_object_get_data (G_OBJECT (row), "fix-button");
  g_autofree char *state = describe_state (session);
  FixKind fix = fix_for (session);
  const char *fix_label = NULL;

  adw_action_row_set_subtitle (row, state);
  switch (fix)
    {
    case FIX_PASSWORD:
      fix_label = _("Enter Password…");
      break;
    case FIX_CERTIFICATE:
      fix_label = _("Check Certificate…");
      break;
    case FIX_RETRY:
      fix_label = _("Try Again");
      break;
    case FIX_NONE:
    default:
      break;
    }
  gtk_widget_set_visible (GTK_WIDGET (fix_button), fix_label != NULL);
  if (fix_label != NULL)
    {
      gtk_button_set_label (fix_button, fix_label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (fix_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, fix_label,
                                      -1);
    }
}

static GtkWidget *
create_account_row (gpointer item,
                    gpointer user_data)
{
  MessengerSession *session = item;
  MessengerAccount *account = messenger_session_get_account (session);
  const char *jid = messenger_account_get_jid (account);
  g_autofree char *remove_name = NULL;
  GtkWidget *row, *fix_button, *remove_button;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), jid);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), SESSION_KEY, g_object_ref (session), g_object_unref);

  fix_button = gtk_button_new ();
  gtk_widget_set_valign (fix_button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (fix_button), "preferences.fix-account");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (fix_button), "s", jid);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), fix_button);
  g_object_set_data (G_OBJECT (row), "fix-button", fix_button);

  remove_button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (remove_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove_button, "flat");
  gtk_widget_set_tooltip_text (remove_button, _("Remove Account"));
  /* Translators: an accessible name; %s is an account address. */
  remove_name = g_strdup_printf (_("Remove %s"), jid);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_name,
                                  -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove_button), "preferences.remove-account");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove_button), "s", jid);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove_button);

  g_signal_connect_object (account, "notify::state", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (account, "notify::error-message", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::needs-password", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "notify::secret-error", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  update_row (ADW_ACTION_ROW (row));
  return row;
}

/* ---------------------------------------------------------------- */
/* Actions                                                          */

static MessengerSession *
session_for (MessengerPreferencesWindow *self,
             GVariant                   *parameter)
{
  if (self->profile == NULL)
    return NULL;
  return messenger_profile_lookup_session (self->profile, g_variant_get_string (parameter, NULL));
}

static void
add_account_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  MessengerPreferencesWindow *self = MESSENGER_PREFERENCES_WINDOW (widget);
  MessengerAccountWindow *window;

  if (self->profile == NULL)
    return;
  window = messenger_account_window_new (GTK_WINDOW (self), self->profile);
  gtk_window_present (GTK_WINDOW (window));
}

static void
fix_account_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  MessengerPreferencesWindow *self = MESSENGER_PREFERENCES_WINDOW (widget);
  MessengerSession *session = session_for (self, parameter);

  if (session == NULL)
    return;
  switch (fix_for (session))
    {
    case FIX_PASSWORD:
      messenger_password_dialog_present (GTK_WINDOW (self), session);
      break;
    case FIX_CERTIFICATE:
      messenger_certificate_dialog_present (GTK_WINDOW (self), session);
      break;
    case FIX_RETRY:
      messenger_account_connect (messenger_session_get_account (session));
      break;
    case FIX_NONE:
    default:
      break;
    }
}

typedef struct
{
  MessengerPreferencesWindow *self;
  char                       *jid;
} RemoveData;

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  RemoveData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!messenger_profile_remove_account_finish (MESSENGER_PROFILE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        /* Translators: %s is a technical error message. */
        text = g_strdup_printf (_("The account could not be removed: %s"), error->message);
    }
  else
    /* Translators: %s is an account address. */
    text = g_strdup_printf (_("%s was removed"), data->jid);
  if (text != NULL)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (data->self), adw_toast_new (text));
  g_object_unref (data->self);
  g_free (data->jid);
  g_free (data);
}

static void
remove_response_cb (AdwMessageDialog           *dialog,
                    const char                 *response,
                    MessengerPreferencesWindow *self)
{
  MessengerSession *session = g_object_get_data (G_OBJECT (dialog), SESSION_KEY);
  RemoveData *data;

  if (g_strcmp0 (response, "remove") != 0 || self->profile == NULL || session == NULL)
    return;
  data = g_new0 (RemoveData, 1);
  data->self = g_object_ref (self);
  data->jid = g_strdup (messenger_account_get_jid (messenger_session_get_account (session)));
  messenger_profile_remove_account_async (self->profile, session, self->cancellable,
                                          removed_cb, data);
}

static void
remove_account_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MessengerPreferencesWindow *self = MESSENGER_PREFERENCES_WINDOW (widget);
  MessengerSession *session = session_for (self, parameter);
  const char *jid;
  GtkWidget *dialog;

  if (session == NULL)
    return;
  jid = messenger_account_get_jid (messenger_session_get_account (session));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Remove Account?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  /* Translators: %s is an account address. */
                                  _("Messenger will sign out of %s and forget it on this computer, with its saved conversations and password. The account itself stays on its server."),
                                  jid);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  _messenger_name_buttons (dialog);
  g_object_set_data_full (G_OBJECT (dialog), SESSION_KEY, g_object_ref (session), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
messenger_preferences_window_set_profile (MessengerPreferencesWindow *self,
                                          MessengerProfile           *profile)
{
  g_return_if_fail (MESSENGER_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (profile == NULL || MESSENGER_IS_PROFILE (profile));

  if (!g_set_object (&self->profile, profile))
    return;
  gtk_list_box_bind_model (self->accounts_list,
                           profile != NULL ? messenger_profile_get_sessions (profile) : NULL,
                           create_account_row, NULL, NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.add-account", profile != NULL);
}

static void
messenger_preferences_window_dispose (GObject *object)
{
  MessengerPreferencesWindow *self = MESSENGER_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->accounts_list != NULL)
    gtk_list_box_bind_model (self->accounts_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (messenger_preferences_window_parent_class)->dispose (object);
}

static void
messenger_preferences_window_class_init (MessengerPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_preferences_window_dispose;

  gtk_widget_class_install_action (widget_class, "preferences.add-account", NULL, add_account_action);
  gtk_widget_class_install_action (widget_class, "preferences.fix-account", "s", fix_account_action);
  gtk_widget_class_install_action (widget_class, "preferences.remove-account", "s", remove_account_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, show_offline_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, typing_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, receipts_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPreferencesWindow, accounts_list);
}

static void
messenger_preferences_window_init (MessengerPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.add-account", FALSE);
}
