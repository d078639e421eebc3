/* messenger-password-dialog.c: ask the password of an account that needs one
 *
 *   Sign In ─▶ messenger_session_sign_in ─▶ account online ─▶ close
 *                                      ├─▶ wrong password ─▶ said inline, ask again
 *                                      ├─▶ untrusted certificate ─▶ certificate dialog
 *                                      └─▶ other error ─▶ said inline
 *
 * One dialog a session: presenting it again raises the one already open.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-certificate-dialog.h"
#include "messenger-password-dialog.h"
#include "messenger-welcome-private.h"

#define DIALOG_KEY "messenger-password-dialog"

struct _MessengerPasswordDialog
{
  AdwWindow         parent_instance;

  /* template widgets */
  AdwWindowTitle   *window_title;
  GtkLabel         *description_label;
  GtkWidget        *form_list;
  AdwEntryRow      *password_row;
  GtkSwitch        *remember_switch;
  GtkLabel         *error_label;
  GtkLabel         *secret_error_label;
  GtkWidget        *sign_in_button;
  GtkSpinner       *spinner;

  /* owned */
  MessengerSession *session;
  gboolean          busy;
};

G_DEFINE_FINAL_TYPE (MessengerPasswordDialog, messenger_password_dialog, ADW_TYPE_WINDOW)

static void
update_actions (MessengerPasswordDialog *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "password.sign-in", !self->busy && *password != '\0');
}

static void
set_busy (MessengerPasswordDialog *self,
          gboolean                 busy)
{
  self->busy = busy;
  if (busy)
    _messenger_drop_focus_within (GTK_WIDGET (self));
  gtk_widget_set_sensitive (self->form_list, !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  update_actions (self);
}

static void
show_error (MessengerPasswordDialog *self,
            const char              *message,
            gboolean                 password_at_fault)
{
  _messenger_error_label_set (self->error_label, message);
  _messenger_widget_set_error (GTK_WIDGET (self->password_row), password_at_fault);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->sign_in_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message != NULL ? message : "",
                                  -1);
  if (password_at_fault)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      gtk_editable_select_region (GTK_EDITABLE (self->password_row), 0, -1);
    }
}

static void
update_secret_error (MessengerPasswordDialog *self)
{
  const char *secret_error = messenger_session_get_secret_error (self->session);
  GtkWidget *remember_row = gtk_widget_get_ancestor (GTK_WIDGET (self->remember_switch), ADW_TYPE_ACTION_ROW);

  /* The keyring's own message is technical (a D-Bus error, untranslated):
   * say what it means in plain words, keep it as the tooltip.  There is
   * nothing to remember the password in, so do not offer to. */
  _messenger_error_label_set (self->secret_error_label,
                              secret_error != NULL
                                ? _("No keyring on this computer can keep the password, so Messenger will ask for it each time it starts.")
                                : NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->secret_error_label), secret_error);
  if (secret_error != NULL)
    gtk_switch_set_active (self->remember_switch, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remember_switch), secret_error == NULL);
  if (remember_row != NULL)
    gtk_widget_set_sensitive (remember_row, secret_error == NULL);
}

/* Follow the sign-in the dialog started. */
static void
account_changed_cb (MessengerPasswordDialog *self)
{
  MessengerAccount *account = messenger_session_get_account (self->session);
  MessengerAccountState state = messenger_account_get_state (account);
  MessengerAccountErrorKind kind = messenger_account_get_error_kind (account);
  const char *message = messenger_account_get_error_message (account);

  if (!self->busy)
    {
      /* Signed in by other means (e.g. a retry): nothing left to ask. */
      if (state == MESSENGER_ACCOUNT_ONLINE)
        gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  switch (state)
    {
    case MESSENGER_ACCOUNT_ONLINE:
      gtk_window_destroy (GTK_WINDOW (self));
      return;

    case MESSENGER_ACCOUNT_ERROR:
      /* Connecting again clears the error before it leaves ERROR. */
      if (kind == MESSENGER_ACCOUNT_ERROR_NONE)
        return;
      set_busy (self, FALSE);
      if (kind == MESSENGER_ACCOUNT_ERROR_CERTIFICATE)
        {
          GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
          g_autoptr(MessengerSession) session = g_object_ref (self->session);

          gtk_window_destroy (GTK_WINDOW (self));
          messenger_certificate_dialog_present (parent, session);
          return;
        }
      show_error (self, message != NULL ? message : _("The connection failed."),
                  kind == MESSENGER_ACCOUNT_ERROR_AUTHENTICATION);
      return;

    case MESSENGER_ACCOUNT_CONNECTING:
      /* Not reachable: the account retries by itself; say why it waits. */
      if (kind != MESSENGER_ACCOUNT_ERROR_NONE && message != NULL)
        {
          g_autofree char *text = g_strdup_printf ("%s %s", message, _("Trying again…"));

          set_busy (self, FALSE);
          show_error (self, text, FALSE);
        }
      return;

    case MESSENGER_ACCOUNT_OFFLINE:
    default:
      return;
    }
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MessengerPasswordDialog *self = MESSENGER_PASSWORD_DIALOG (widget);
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (self->busy || *password == '\0')
    return;
  show_error (self, NULL, FALSE);
  set_busy (self, TRUE);
  messenger_session_sign_in (self->session, password, gtk_switch_get_active (self->remember_switch));
  /* The state may already say something (e.g. no password change at all). */
  account_changed_cb (self);
}

static void
password_changed_cb (MessengerPasswordDialog *self)
{
  _messenger_widget_set_error (GTK_WIDGET (self->password_row), FALSE);
  update_actions (self);
}

static void
password_activated_cb (MessengerPasswordDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "password.sign-in", NULL);
}

void
messenger_password_dialog_present (GtkWindow        *parent,
                                   MessengerSession *session)
{
  MessengerPasswordDialog *self;
  MessengerAccount *account;
  g_autofree char *description = NULL;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (MESSENGER_IS_SESSION (session));

  self = g_object_get_data (G_OBJECT (session), DIALOG_KEY);
  if (self != NULL)
    {
      gtk_window_present (GTK_WINDOW (self));
      return;
    }

  account = messenger_session_get_account (session);
  self = g_object_new (MESSENGER_TYPE_PASSWORD_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->session = g_object_ref (session);
  g_object_set_data (G_OBJECT (session), DIALOG_KEY, self);

  adw_window_title_set_subtitle (self->window_title, messenger_account_get_jid (account));
  /* Translators: %s is an account address such as alice@example.org. */
  description = g_strdup_printf (_("Enter the password of %s to sign in."), messenger_account_get_jid (account));
  gtk_label_set_label (self->description_label, description);

  /* An error that brought us here (a wrong password) is said at once. */
  if (messenger_account_get_error_kind (account) == MESSENGER_ACCOUNT_ERROR_AUTHENTICATION
      && messenger_account_get_error_message (account) != NULL)
    show_error (self, messenger_account_get_error_message (account), FALSE);

  update_secret_error (self);
  g_signal_connect_object (session, "notify::secret-error",
                           G_CALLBACK (update_secret_error), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (account, "notify::state",
                           G_CALLBACK (account_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (account, "notify::error-kind",
                           G_CALLBACK (account_changed_cb), self, G_CONNECT_SWAPPED);

  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
messenger_password_dialog_dispose (GObject *object)
{
  MessengerPasswordDialog *self = MESSENGER_PASSWORD_DIALOG (object);

  if (self->session != NULL
      && g_object_get_data (G_OBJECT (self->session), DIALOG_KEY) == self)
    g_object_set_data (G_OBJECT (self->session), DIALOG_KEY, NULL);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (messenger_password_dialog_parent_class)->dispose (object);
}

static void
messenger_password_dialog_class_init (MessengerPasswordDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_password_dialog_dispose;

  gtk_widget_class_install_action (widget_class, "password.sign-in", NULL, sign_in_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-password-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, description_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, form_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, remember_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, secret_error_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerPasswordDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_activated_cb);
}

static void
messenger_password_dialog_init (MessengerPasswordDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  _messenger_name_buttons (GTK_WIDGET (self));
  _messenger_entry_row_name_text (self->password_row);
  update_actions (self);
}
