/* messenger-create-account-page.c: "Create an Account" (XEP-0077 in-band registration)
 *
 *   server ─Continue─▶ MessengerRegistration fetch_form ─▶ form (the fields the
 *   server asks for) ─Create Account─▶ submit ─▶ account setup ─▶ "account-added"
 *
 * An untrusted certificate is shown before any form is filled in; once
 * trusted, it stays pinned for the new account.  Errors (no registration
 * on this server, a taken user name, …) are said under the step they
 * belong to.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-account-setup.h"
#include "messenger-certificate-dialog.h"
#include "messenger-create-account-page.h"
#include "messenger-registration.h"
#include "messenger-welcome-private.h"

#define FIELD_KEY   "messenger-field"
#define CONFIRM_KEY "messenger-confirm"

struct _MessengerCreateAccountPage
{
  AdwBin                 parent_instance;

  /* template widgets */
  GtkStack              *step_stack;
  GtkWidget             *server_list;
  AdwEntryRow           *server_row;
  GtkLabel              *server_error_label;
  GtkWidget             *advanced_list;
  AdwExpanderRow        *advanced_row;
  AdwEntryRow           *host_row;
  AdwEntryRow           *port_row;
  GtkSwitch             *direct_tls_switch;
  GtkSpinner            *continue_spinner;
  GtkLabel              *form_title_label;
  GtkLabel              *instructions_label;
  GtkListBox            *fields_list;
  GtkLabel              *form_error_label;
  GtkWidget             *create_button;
  GtkSpinner            *create_spinner;

  /* owned */
  MessengerProfile      *profile;
  MessengerRegistration *registration;
  MessengerAccount      *account;       /* created, signing in */
  GPtrArray             *field_rows;    /* AdwEntryRow, in the server's order */
  GCancellable          *cancellable;
  gboolean               busy;
  gboolean               server_ok;
  gboolean               form_ok;
};

G_DEFINE_FINAL_TYPE (MessengerCreateAccountPage, messenger_create_account_page, ADW_TYPE_BIN)

enum {
  SIGNAL_ACCOUNT_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void fetch_form (MessengerCreateAccountPage *self);

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static char *
server_name (MessengerCreateAccountPage *self)
{
  return g_strstrip (g_strdup (row_text (self->server_row)));
}

static AdwEntryRow *
find_row (MessengerCreateAccountPage *self,
          const char                 *field)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      AdwEntryRow *row = g_ptr_array_index (self->field_rows, i);

      if (g_strcmp0 (g_object_get_data (G_OBJECT (row), FIELD_KEY), field) == 0)
        return row;
    }
  return NULL;
}

static void
update_actions (MessengerCreateAccountPage *self)
{
  g_autofree char *server = server_name (self);
  g_autoptr(XmppJid) domain = NULL;
  guint16 port;
  gboolean port_ok;
  gboolean server_malformed;
  AdwEntryRow *username_row, *password_row = NULL;
  AdwEntryRow *confirm_row = NULL;

  /* Step 1: a server name (a domain, not an address). */
  port_ok = _messenger_parse_port (row_text (self->port_row), &port);
  if (*server != '\0')
    domain = xmpp_jid_new (server, NULL);
  server_malformed = *server != '\0' && (domain == NULL || !xmpp_jid_is_domain (domain));
  _messenger_widget_set_error (GTK_WIDGET (self->server_row), server_malformed);
  _messenger_widget_set_error (GTK_WIDGET (self->port_row), !port_ok);
  self->server_ok = self->profile != NULL && domain != NULL && !server_malformed && port_ok;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "create-account.continue", !self->busy && self->server_ok);

  /* Step 2: every field filled in, a user name that can be an address,
   * the password typed twice the same. */
  self->form_ok = self->registration != NULL && self->field_rows->len > 0;
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      AdwEntryRow *row = g_ptr_array_index (self->field_rows, i);

      if (*row_text (row) == '\0')
        self->form_ok = FALSE;
      if (g_object_get_data (G_OBJECT (row), CONFIRM_KEY) != NULL)
        confirm_row = row;
    }
  username_row = find_row (self, "username");
  if (username_row != NULL && *row_text (username_row) != '\0' && self->registration != NULL)
    {
      g_autoptr(XmppJid) jid = xmpp_jid_new_from_parts (row_text (username_row),
                                                        messenger_registration_get_domain (self->registration),
                                                        NULL, NULL);

      _messenger_widget_set_error (GTK_WIDGET (username_row), jid == NULL);
      if (jid == NULL)
        self->form_ok = FALSE;
    }
  password_row = find_row (self, "password");
  if (password_row != NULL && confirm_row != NULL)
    {
      gboolean mismatch = *row_text (confirm_row) != '\0'
                          && g_strcmp0 (row_text (password_row), row_text (confirm_row)) != 0;

      _messenger_widget_set_error (GTK_WIDGET (confirm_row), mismatch);
      if (mismatch)
        {
          self->form_ok = FALSE;
          _messenger_error_label_set (self->form_error_label, _("The passwords do not match."));
        }
      else if (g_strcmp0 (gtk_label_get_label (self->form_error_label), _("The passwords do not match.")) == 0)
        _messenger_error_label_set (self->form_error_label, NULL);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "create-account.create", !self->busy && self->form_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "create-account.change-server", !self->busy);
}

static void
set_busy (MessengerCreateAccountPage *self,
          gboolean                    busy)
{
  self->busy = busy;
  _messenger_form_set_busy (GTK_WIDGET (self), busy,
                            self->server_list, self->advanced_list, self->fields_list,
                            self->continue_spinner, self->create_spinner, NULL);
  update_actions (self);
}

static void
show_server_error (MessengerCreateAccountPage *self,
                   const GError               *error)
{
  GtkWidget *culprit = GTK_WIDGET (self->server_row);

  if (g_error_matches (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_UNREACHABLE)
      && *row_text (self->host_row) != '\0')
    {
      culprit = GTK_WIDGET (self->host_row);
      adw_expander_row_set_expanded (self->advanced_row, TRUE);
    }
  _messenger_form_show_error (self->server_error_label, NULL,
                              error != NULL ? error->message : NULL, error != NULL ? culprit : NULL);
}

static void
show_form_error (MessengerCreateAccountPage *self,
                 const char                 *message,
                 AdwEntryRow                *culprit)
{
  _messenger_form_show_error (self->form_error_label, self->create_button, message, GTK_WIDGET (culprit));
}

static void
clear_form (MessengerCreateAccountPage *self)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    gtk_list_box_remove (self->fields_list, g_ptr_array_index (self->field_rows, i));
  g_ptr_array_set_size (self->field_rows, 0);
  _messenger_error_label_set (self->form_error_label, NULL);
  _messenger_error_label_set (self->instructions_label, NULL);
}

static void form_changed_cb (MessengerCreateAccountPage *self);
static void form_activated_cb (MessengerCreateAccountPage *self);

static AdwEntryRow *
add_row (MessengerCreateAccountPage *self,
         const char                 *title,
         gboolean                    secret)
{
  GtkWidget *row = secret ? adw_password_entry_row_new () : adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_signal_connect_object (row, "changed", G_CALLBACK (form_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "entry-activated", G_CALLBACK (form_activated_cb), self, G_CONNECT_SWAPPED);
  gtk_list_box_append (self->fields_list, row);
  g_ptr_array_add (self->field_rows, row);
  _messenger_entry_row_name_text (ADW_ENTRY_ROW (row));
  return ADW_ENTRY_ROW (row);
}

/* One row a field the server asks for, in its order; the password twice. */
static void
build_form (MessengerCreateAccountPage *self)
{
  const char * const *fields = messenger_registration_get_fields (self->registration);
  const char *domain = messenger_registration_get_domain (self->registration);
  const char *instructions = messenger_registration_get_instructions (self->registration);
  g_autofree char *title = NULL;

  clear_form (self);

  /* Translators: %s is a server name such as example.org. */
  title = g_strdup_printf (_("Choose your user name and password on %s."), domain);
  gtk_label_set_label (self->form_title_label, title);
  if (instructions != NULL && *instructions != '\0')
    _messenger_error_label_set (self->instructions_label, instructions);

  for (guint i = 0; fields[i] != NULL; i++)
    {
      AdwEntryRow *row;

      row = add_row (self, messenger_registration_field_title (fields[i]),
                     messenger_registration_field_is_secret (fields[i]));
      g_object_set_data_full (G_OBJECT (row), FIELD_KEY, g_strdup (fields[i]), g_free);

      if (g_str_equal (fields[i], "username"))
        {
          /* The address the person is choosing, said as they type it. */
          g_autofree char *suffix = g_strdup_printf ("@%s", domain);
          GtkWidget *label = gtk_label_new (suffix);

          gtk_widget_add_css_class (label, "dim-label");
          adw_entry_row_add_suffix (row, label);
        }
      else if (g_str_equal (fields[i], "email"))
        adw_entry_row_set_input_purpose (row, GTK_INPUT_PURPOSE_EMAIL);
      else if (g_str_equal (fields[i], "phone"))
        adw_entry_row_set_input_purpose (row, GTK_INPUT_PURPOSE_PHONE);
      else if (g_str_equal (fields[i], "url"))
        adw_entry_row_set_input_purpose (row, GTK_INPUT_PURPOSE_URL);

      if (messenger_registration_field_is_secret (fields[i]))
        {
          AdwEntryRow *confirm = add_row (self, _("Confirm Password"), TRUE);

          g_object_set_data (G_OBJECT (confirm), CONFIRM_KEY, GINT_TO_POINTER (TRUE));
        }
    }
  update_actions (self);
}

static void
form_changed_cb (MessengerCreateAccountPage *self)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    _messenger_widget_set_error (g_ptr_array_index (self->field_rows, i), FALSE);
  update_actions (self);
}

/* Enter: the next empty field, or create the account once all are there. */
static void
form_activated_cb (MessengerCreateAccountPage *self)
{
  if (self->busy)
    return;
  if (self->form_ok)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "create-account.create", NULL);
      return;
    }
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      AdwEntryRow *row = g_ptr_array_index (self->field_rows, i);

      if (*row_text (row) == '\0' || gtk_widget_has_css_class (GTK_WIDGET (row), "error"))
        {
          gtk_widget_grab_focus (GTK_WIDGET (row));
          return;
        }
    }
}

static void
server_changed_cb (MessengerCreateAccountPage *self)
{
  _messenger_error_label_set (self->server_error_label, NULL);
  _messenger_widget_set_error (GTK_WIDGET (self->host_row), FALSE);
  update_actions (self);
}

static void
server_activated_cb (MessengerCreateAccountPage *self)
{
  if (!self->busy && self->server_ok)
    gtk_widget_activate_action (GTK_WIDGET (self), "create-account.continue", NULL);
}

static GtkWindow *
parent_window (MessengerCreateAccountPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
certificate_chosen_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(MessengerCreateAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  XmppCertificateInfo *info;
  gboolean trusted;

  trusted = messenger_certificate_dialog_choose_finish (result, &error);
  if (_messenger_answer_unwanted (result, error) || self->registration == NULL)
    return;
  info = messenger_registration_get_certificate_info (self->registration);
  if (!trusted || info == NULL)
    {
      g_autoptr(GError) untrusted = NULL;

      set_busy (self, FALSE);
      untrusted = g_error_new (MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CERTIFICATE,
                               _("The identity of %s cannot be verified."),
                               messenger_registration_get_domain (self->registration));
      show_server_error (self, untrusted);
      return;
    }
  messenger_registration_set_pinned_fingerprint (self->registration, info->fingerprint_sha256);
  fetch_form (self);
}

static void
form_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(MessengerCreateAccountPage) self = user_data;
  MessengerRegistration *registration = MESSENGER_REGISTRATION (source);
  g_autoptr(GError) error = NULL;
  gboolean fetched;

  fetched = messenger_registration_fetch_form_finish (registration, result, &error);
  if (_messenger_result_cancelled (result) || registration != self->registration)
    return;
  if (!fetched)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CERTIFICATE)
          && messenger_registration_get_certificate_info (registration) != NULL)
        {
          messenger_certificate_dialog_choose_async (parent_window (self),
                                                     messenger_registration_get_domain (registration),
                                                     messenger_registration_get_certificate_info (registration),
                                                     self->cancellable,
                                                     certificate_chosen_cb, g_object_ref (self));
          return;
        }
      set_busy (self, FALSE);
      show_server_error (self, error);
      return;
    }

  set_busy (self, FALSE);
  build_form (self);
  gtk_stack_set_visible_child_name (self->step_stack, "form");
  if (self->field_rows->len > 0)
    gtk_widget_grab_focus (g_ptr_array_index (self->field_rows, 0));
}

static void
fetch_form (MessengerCreateAccountPage *self)
{
  set_busy (self, TRUE);
  messenger_registration_fetch_form_async (self->registration, self->cancellable,
                                           form_fetched_cb, g_object_ref (self));
}

static void
continue_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MessengerCreateAccountPage *self = MESSENGER_CREATE_ACCOUNT_PAGE (widget);
  g_autofree char *server = server_name (self);
  g_autofree char *host = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port = 0;

  if (self->busy || !self->server_ok)
    return;

  _messenger_restart_work (&self->cancellable);
  g_clear_object (&self->registration);
  self->registration = messenger_registration_new (server, &error);
  if (self->registration == NULL)
    {
      show_server_error (self, error);
      return;
    }

  if (_messenger_advanced_server (self->host_row, self->port_row, self->direct_tls_switch, server, &host, &port))
    messenger_registration_set_server (self->registration, host, port);
  messenger_registration_set_direct_tls (self->registration, gtk_switch_get_active (self->direct_tls_switch));
  _messenger_error_label_set (self->server_error_label, NULL);
  fetch_form (self);
}

static void
setup_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MessengerCreateAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerSession) session = NULL;

  session = messenger_account_setup_finish (result, &error);
  if (_messenger_answer_unwanted (result, error))
    return;
  set_busy (self, FALSE);
  g_clear_object (&self->account);
  if (session == NULL)
    {
      g_autofree char *text = NULL;

      /* The account exists now: the person can sign in with it later. */
      /* Translators: %s says why signing in failed, in plain words. */
      text = g_strdup_printf (_("Your account was created, but signing in failed: %s"), error->message);
      show_form_error (self, text, NULL);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, session);
}

static void
submitted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(MessengerCreateAccountPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerAccount) account = NULL;
  AdwEntryRow *password_row;

  account = messenger_registration_submit_finish (MESSENGER_REGISTRATION (source), result, &error);
  if (_messenger_result_cancelled (result) || MESSENGER_REGISTRATION (source) != self->registration)
    return;
  g_clear_object (&self->account);
  self->account = g_steal_pointer (&account);
  if (self->account == NULL)
    {
      AdwEntryRow *culprit = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      if (g_error_matches (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CONFLICT)
          || g_error_matches (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID))
        culprit = find_row (self, "username");
      show_form_error (self, error->message, culprit);
      return;
    }

  /* Sign in with it, as "Sign In" would. */
  password_row = find_row (self, "password");
  messenger_account_setup_async (self->profile, self->account, row_text (password_row), TRUE,
                                 self->cancellable, setup_cb, g_object_ref (self));
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MessengerCreateAccountPage *self = MESSENGER_CREATE_ACCOUNT_PAGE (widget);
  g_autoptr(GHashTable) values = NULL;
  AdwEntryRow *username_row;

  if (self->busy || !self->form_ok)
    return;

  username_row = find_row (self, "username");
  if (username_row != NULL)
    {
      g_autoptr(XmppJid) jid = xmpp_jid_new_from_parts (row_text (username_row),
                                                        messenger_registration_get_domain (self->registration),
                                                        NULL, NULL);

      if (jid != NULL && messenger_profile_lookup_session (self->profile, xmpp_jid_get_bare_string (jid)) != NULL)
        {
          show_form_error (self, _("This account has already been added."), username_row);
          return;
        }
    }

  values = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      AdwEntryRow *row = g_ptr_array_index (self->field_rows, i);
      const char *field = g_object_get_data (G_OBJECT (row), FIELD_KEY);

      if (field != NULL)
        g_hash_table_insert (values, (gpointer) field, (gpointer) row_text (row));
    }

  show_form_error (self, NULL, NULL);
  set_busy (self, TRUE);
  messenger_registration_submit_async (self->registration, values, self->cancellable,
                                       submitted_cb, g_object_ref (self));
}

static void
change_server_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  MessengerCreateAccountPage *self = MESSENGER_CREATE_ACCOUNT_PAGE (widget);

  _messenger_restart_work (&self->cancellable);
  g_clear_object (&self->registration);
  clear_form (self);
  set_busy (self, FALSE);
  gtk_stack_set_visible_child_name (self->step_stack, "server");
  gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
}

void
messenger_create_account_page_set_profile (MessengerCreateAccountPage *self,
                                           MessengerProfile           *profile)
{
  g_return_if_fail (MESSENGER_IS_CREATE_ACCOUNT_PAGE (self));

  if (g_set_object (&self->profile, profile))
    update_actions (self);
}

void
messenger_create_account_page_reset (MessengerCreateAccountPage *self)
{
  g_return_if_fail (MESSENGER_IS_CREATE_ACCOUNT_PAGE (self));

  _messenger_cancel_work (&self->cancellable);
  g_clear_object (&self->registration);
  g_clear_object (&self->account);
  clear_form (self);
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), "");
  _messenger_advanced_reset (self->advanced_row, self->host_row, self->port_row, self->direct_tls_switch);
  _messenger_error_label_set (self->server_error_label, NULL);
  _messenger_widget_set_error (GTK_WIDGET (self->host_row), FALSE);
  gtk_accessible_reset_property (GTK_ACCESSIBLE (self->create_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  gtk_stack_set_visible_child_name (self->step_stack, "server");
  set_busy (self, FALSE);
}

void
messenger_create_account_page_focus (MessengerCreateAccountPage *self)
{
  g_return_if_fail (MESSENGER_IS_CREATE_ACCOUNT_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
}

static void
messenger_create_account_page_dispose (GObject *object)
{
  MessengerCreateAccountPage *self = MESSENGER_CREATE_ACCOUNT_PAGE (object);

  _messenger_cancel_work (&self->cancellable);
  g_clear_object (&self->registration);
  g_clear_object (&self->account);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (messenger_create_account_page_parent_class)->dispose (object);
}

static void
messenger_create_account_page_finalize (GObject *object)
{
  MessengerCreateAccountPage *self = MESSENGER_CREATE_ACCOUNT_PAGE (object);

  g_ptr_array_unref (self->field_rows);

  G_OBJECT_CLASS (messenger_create_account_page_parent_class)->finalize (object);
}

static void
messenger_create_account_page_class_init (MessengerCreateAccountPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_create_account_page_dispose;
  object_class->finalize = messenger_create_account_page_finalize;

  signals[SIGNAL_ACCOUNT_ADDED] = _messenger_welcome_page_add_signal (object_class);

  gtk_widget_class_install_action (widget_class, "create-account.continue", NULL, continue_action);
  gtk_widget_class_install_action (widget_class, "create-account.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "create-account.change-server", NULL, change_server_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-create-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, step_stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, server_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, server_error_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, advanced_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, advanced_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, host_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, direct_tls_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, continue_spinner);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, form_title_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, instructions_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, fields_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, form_error_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, create_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerCreateAccountPage, create_spinner);
  gtk_widget_class_bind_template_callback (widget_class, server_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, server_activated_cb);
}

static void
messenger_create_account_page_init (MessengerCreateAccountPage *self)
{
  self->field_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  _messenger_name_buttons (GTK_WIDGET (self));
  _messenger_entry_row_name_text (self->server_row);
  _messenger_entry_row_name_text (self->host_row);
  _messenger_entry_row_name_text (self->port_row);
  update_actions (self);
}
