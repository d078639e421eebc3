/* messenger-sign-in-page.c: "Sign In" — an address and a password
 *
 *   address + password (+ server, port, direct TLS) ─▶ account setup
 *        ├─ online and added ─▶ "account-added"
 *        ├─ untrusted certificate ─▶ dialog ─▶ Trust: pin, set up again
 *        └─ error ─▶ said under the form, the field at fault marked
 *
 * The address is checked as it is typed (RFC 7622 through xmpp-jid): the
 * Sign In button is enabled only for a full name@server address.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-account-setup.h"
#include "messenger-certificate-dialog.h"
#include "messenger-sign-in-page.h"
#include "messenger-welcome-private.h"

struct _MessengerSignInPage
{
  AdwBin             parent_instance;

  /* template widgets */
  GtkWidget         *form_list;
  AdwEntryRow       *address_row;
  AdwEntryRow       *password_row;
  GtkLabel          *error_label;
  GtkWidget         *advanced_list;
  AdwExpanderRow    *advanced_row;
  AdwEntryRow       *host_row;
  AdwEntryRow       *port_row;
  GtkSwitch         *direct_tls_switch;
  GtkWidget         *sign_in_button;
  GtkSpinner        *spinner;

  /* owned */
  MessengerProfile  *profile;
  MessengerAccount  *account;      /* the attempt under way */
  GCancellable      *cancellable;
  char              *trusted_for;  /* "domain host port" the pin is for */
  char              *trusted_pin;  /* trusted on this page, kept for another try */
  gboolean           busy;
  gboolean           complete;     /* the form can be sent */
};

G_DEFINE_FINAL_TYPE (MessengerSignInPage, messenger_sign_in_page, ADW_TYPE_BIN)

enum {
  SIGNAL_ACCOUNT_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_setup (MessengerSignInPage *self);

/* The bare JID typed, or NULL (with @error when the text is not even an
 * address, as opposed to one not finished yet). */
static XmppJid *
parse_address (MessengerSignInPage  *self,
               gboolean             *malformed)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->address_row));
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  g_autoptr(XmppJid) jid = NULL;

  *malformed = FALSE;
  if (*stripped == '\0')
    return NULL;
  jid = xmpp_jid_new (stripped, NULL);
  if (jid == NULL)
    {
      /* "alice@" is on its way to an address; "a b@c" is not one. */
      *malformed = !g_str_has_suffix (stripped, "@");
      return NULL;
    }
  if (xmpp_jid_get_local (jid) == NULL || xmpp_jid_get_resource (jid) != NULL)
    {
      *malformed = xmpp_jid_get_resource (jid) != NULL;
      return NULL;
    }
  return g_steal_pointer (&jid);
}

static void
update_actions (MessengerSignInPage *self)
{
  g_autoptr(XmppJid) jid = NULL;
  gboolean malformed;
  guint16 port;
  gboolean port_ok;
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  jid = parse_address (self, &malformed);
  port_ok = _messenger_parse_port (gtk_editable_get_text (GTK_EDITABLE (self->port_row)), &port);

  _messenger_widget_set_error (GTK_WIDGET (self->address_row), malformed);
  /* Said to screen readers too, not only shown in red. */
  if (malformed)
    gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_editable_get_delegate (GTK_EDITABLE (self->address_row))),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    _("This is not an XMPP address. An address looks like name@example.org."),
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (gtk_editable_get_delegate (GTK_EDITABLE (self->address_row))),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  _messenger_widget_set_error (GTK_WIDGET (self->port_row), !port_ok);
  self->complete = self->profile != NULL && jid != NULL && *password != '\0' && port_ok;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.sign-in", !self->busy && self->complete);
}

static void
set_busy (MessengerSignInPage *self,
          gboolean             busy)
{
  self->busy = busy;
  _messenger_form_set_busy (GTK_WIDGET (self), busy,
                            self->form_list, self->advanced_list, self->spinner, NULL);
  update_actions (self);
}

static void
clear_errors (MessengerSignInPage *self)
{
  _messenger_error_label_set (self->error_label, NULL);
  _messenger_widget_set_error (GTK_WIDGET (self->password_row), FALSE);
  _messenger_widget_set_error (GTK_WIDGET (self->host_row), FALSE);
}

static void
address_changed_cb (MessengerSignInPage *self)
{
  clear_errors (self);
  update_actions (self);
}

static void
form_changed_cb (MessengerSignInPage *self)
{
  _messenger_widget_set_error (GTK_WIDGET (self->password_row), FALSE);
  _messenger_widget_set_error (GTK_WIDGET (self->host_row), FALSE);
  update_actions (self);
}

/* Enter: sign in when the form is complete, else go to what is missing. */
static void
entry_activated_cb (MessengerSignInPage *self)
{
  g_autoptr(XmppJid) jid = NULL;
  gboolean malformed;

  if (self->busy)
    return;
  if (self->complete)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "sign-in.sign-in", NULL);
      return;
    }
  jid = parse_address (self, &malformed);
  if (jid == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
  else if (*gtk_editable_get_text (GTK_EDITABLE (self->password_row)) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
show_error (MessengerSignInPage       *self,
            MessengerAccountErrorKind  kind,
            const char                *message)
{
  GtkWidget *culprit = NULL;
  g_autofree char *text = NULL;

  switch (kind)
    {
    case MESSENGER_ACCOUNT_ERROR_AUTHENTICATION:
      culprit = GTK_WIDGET (self->password_row);
      text = g_strdup (message);
      break;
    case MESSENGER_ACCOUNT_ERROR_UNREACHABLE:
      {
        gboolean has_host = *gtk_editable_get_text (GTK_EDITABLE (self->host_row)) != '\0';

        culprit = has_host ? GTK_WIDGET (self->host_row) : GTK_WIDGET (self->address_row);
        text = g_strdup_printf ("%s %s", message,
                                has_host ? _("Check the server and port under Advanced.")
                                         : _("Check the address, or give the server under Advanced."));
        if (has_host)
          adw_expander_row_set_expanded (self->advanced_row, TRUE);
      }
      break;
    case MESSENGER_ACCOUNT_ERROR_NO_ENCRYPTION:
      text = g_strdup_printf ("%s %s", message,
                              _("Messenger only signs in over an encrypted connection, so your password stays private."));
      break;
    case MESSENGER_ACCOUNT_ERROR_NONE:
    case MESSENGER_ACCOUNT_ERROR_CERTIFICATE:
    case MESSENGER_ACCOUNT_ERROR_CONFLICT:
    case MESSENGER_ACCOUNT_ERROR_OTHER:
    default:
      text = g_strdup (message);
      break;
    }

  _messenger_form_show_error (self->error_label, self->sign_in_button, text, culprit);
}

/* Which server a trusted certificate was for. */
static char *
server_key (MessengerAccount *account)
{
  return g_strdup_printf ("%s %s %u",
                          xmpp_jid_get_domain (messenger_account_get_xmpp_jid (account)),
                          messenger_account_get_server (account) != NULL ? messenger_account_get_server (account) : "",
                          messenger_account_get_port (account));
}

static void
certificate_chosen_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(MessengerSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;
  XmppCertificateInfo *info;
  gboolean trusted;

  trusted = messenger_certificate_dialog_choose_finish (result, &error);
  if (_messenger_answer_unwanted (result, error))
    return;
  if (!trusted || self->account == NULL)
    {
      set_busy (self, FALSE);
      if (self->account != NULL)
        show_error (self, MESSENGER_ACCOUNT_ERROR_CERTIFICATE,
                    messenger_account_get_error_message (self->account));
      return;
    }

  info = messenger_account_get_certificate_info (self->account);
  if (info == NULL)
    {
      set_busy (self, FALSE);
      return;
    }
  /* Pinned for this account only; the setup connects again.  Kept for
   * another try with the same server (e.g. after a wrong password). */
  messenger_account_set_pinned_fingerprint (self->account, info->fingerprint_sha256);
  g_free (self->trusted_pin);
  self->trusted_pin = g_strdup (info->fingerprint_sha256);
  g_free (self->trusted_for);
  self->trusted_for = server_key (self->account);
  start_setup (self);
}

static void
setup_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MessengerSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerSession) session = NULL;

  session = messenger_account_setup_finish (result, &error);
  if (_messenger_answer_unwanted (result, error))
    return;

  if (session == NULL)
    {
      if (g_error_matches (error, MESSENGER_ACCOUNT_SETUP_ERROR, MESSENGER_ACCOUNT_ERROR_CERTIFICATE)
          && self->account != NULL
          && messenger_account_get_certificate_info (self->account) != NULL)
        {
          /* Stay busy while the person decides. */
          messenger_certificate_dialog_choose_async (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                     xmpp_jid_get_domain (messenger_account_get_xmpp_jid (self->account)),
                                                     messenger_account_get_certificate_info (self->account),
                                                     self->cancellable,
                                                     certificate_chosen_cb, g_object_ref (self));
          return;
        }
      set_busy (self, FALSE);
      show_error (self, error->domain == MESSENGER_ACCOUNT_SETUP_ERROR ? error->code : MESSENGER_ACCOUNT_ERROR_OTHER,
                  error->message);
      return;
    }

  g_clear_object (&self->account);
  set_busy (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, session);
}

static void
start_setup (MessengerSignInPage *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  set_busy (self, TRUE);
  clear_errors (self);
  /* Kept in the keyring: signing in on the welcome page means "use this
   * account from now on"; Preferences can remove it. */
  messenger_account_setup_async (self->profile, self->account, password, TRUE,
                                 self->cancellable, setup_cb, g_object_ref (self));
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  MessengerSignInPage *self = MESSENGER_SIGN_IN_PAGE (widget);
  g_autoptr(XmppJid) jid = NULL;
  g_autofree char *host = NULL;
  gboolean malformed;
  guint16 port = 0;

  jid = parse_address (self, &malformed);
  if (jid == NULL || self->profile == NULL || self->busy)
    return;

  if (messenger_profile_lookup_session (self->profile, xmpp_jid_get_bare_string (jid)) != NULL)
    {
      show_error (self, MESSENGER_ACCOUNT_ERROR_OTHER,
                  _("This account has already been added."));
      _messenger_widget_set_error (GTK_WIDGET (self->address_row), TRUE);
      return;
    }

  _messenger_restart_work (&self->cancellable);

  g_clear_object (&self->account);
  self->account = messenger_account_new (xmpp_jid_get_bare_string (jid));
  if (_messenger_advanced_server (self->host_row, self->port_row, self->direct_tls_switch,
                                  xmpp_jid_get_domain (jid), &host, &port))
    messenger_account_set_server (self->account, host, port);
  messenger_account_set_direct_tls (self->account, gtk_switch_get_active (self->direct_tls_switch));
  if (self->trusted_pin != NULL)
    {
      g_autofree char *key = server_key (self->account);

      if (g_strcmp0 (key, self->trusted_for) == 0)
        messenger_account_set_pinned_fingerprint (self->account, self->trusted_pin);
    }
  start_setup (self);
}

void
messenger_sign_in_page_set_profile (MessengerSignInPage *self,
                                    MessengerProfile    *profile)
{
  g_return_if_fail (MESSENGER_IS_SIGN_IN_PAGE (self));

  if (g_set_object (&self->profile, profile))
    update_actions (self);
}

void
messenger_sign_in_page_reset (MessengerSignInPage *self)
{
  g_return_if_fail (MESSENGER_IS_SIGN_IN_PAGE (self));

  _messenger_cancel_work (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_pointer (&self->trusted_for, g_free);
  g_clear_pointer (&self->trusted_pin, g_free);
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  _messenger_advanced_reset (self->advanced_row, self->host_row, self->port_row, self->direct_tls_switch);
  clear_errors (self);
  _messenger_widget_set_error (GTK_WIDGET (self->address_row), FALSE);
  gtk_accessible_reset_property (GTK_ACCESSIBLE (self->sign_in_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  set_busy (self, FALSE);
}

void
messenger_sign_in_page_focus (MessengerSignInPage *self)
{
  g_return_if_fail (MESSENGER_IS_SIGN_IN_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
}

static void
messenger_sign_in_page_dispose (GObject *object)
{
  MessengerSignInPage *self = MESSENGER_SIGN_IN_PAGE (object);

  _messenger_cancel_work (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->profile);
  g_clear_pointer (&self->trusted_for, g_free);
  g_clear_pointer (&self->trusted_pin, g_free);

  G_OBJECT_CLASS (messenger_sign_in_page_parent_class)->dispose (object);
}

static void
messenger_sign_in_page_class_init (MessengerSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_sign_in_page_dispose;

  signals[SIGNAL_ACCOUNT_ADDED] = _messenger_welcome_page_add_signal (object_class);

  gtk_widget_class_install_action (widget_class, "sign-in.sign-in", NULL, sign_in_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, form_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, address_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, advanced_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, advanced_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, host_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, direct_tls_switch);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerSignInPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, address_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
}

static void
messenger_sign_in_page_init (MessengerSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  _messenger_entry_row_name_text (self->address_row);
  _messenger_entry_row_name_text (self->password_row);
  _messenger_entry_row_name_text (self->host_row);
  _messenger_entry_row_name_text (self->port_row);
  update_actions (self);
}
