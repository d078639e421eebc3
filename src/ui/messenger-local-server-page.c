/* messenger-local-server-page.c: "Use a Local Server"
 *
 *   user name (the login name by default) + password
 *     ─▶ messenger_profile_create_local_account ("Starting the local server…")
 *     ─▶ account setup ("Signing in…") ─▶ "account-added"
 *
 * The person chooses the password (rather than Messenger generating one):
 * the server listens on this computer only, but anyone using the computer
 * could connect to it, and a generated password would be lost for good
 * where there is no keyring.  The password goes to the keyring like any
 * other.  A user name that already exists on the local server (an account
 * removed from Messenger earlier) is signed in to with the password given.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-account-setup.h"
#include "messenger-local-server-page.h"
#include "messenger-welcome-private.h"

#define LOCAL_DOMAIN "localhost"

struct _MessengerLocalServerPage
{
  AdwBin            parent_instance;

  /* template widgets */
  GtkWidget        *form_list;
  AdwEntryRow      *username_row;
  AdwEntryRow      *password_row;
  GtkLabel         *domain_label;
  GtkLabel         *error_label;
  GtkLabel         *progress_label;
  GtkWidget        *start_button;
  GtkSpinner       *spinner;

  /* owned */
  MessengerProfile *profile;
  GCancellable     *cancellable;
  gboolean          busy;
  gboolean          complete;
  gboolean          existing;     /* signing in to an account the server had */
};

G_DEFINE_FINAL_TYPE (MessengerLocalServerPage, messenger_local_server_page, ADW_TYPE_BIN)

enum {
  SIGNAL_ACCOUNT_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The canonical localpart typed, or NULL. */
static char *
parse_username (MessengerLocalServerPage *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->username_row))));
  g_autoptr(XmppJid) jid = NULL;

  if (*text == '\0')
    return NULL;
  jid = xmpp_jid_new_from_parts (text, LOCAL_DOMAIN, NULL, NULL);
  return jid != NULL ? g_strdup (xmpp_jid_get_local (jid)) : NULL;
}

static void
update_actions (MessengerLocalServerPage *self)
{
  g_autofree char *username = parse_username (self);
  gboolean typed = *gtk_editable_get_text (GTK_EDITABLE (self->username_row)) != '\0';

  _messenger_widget_set_error (GTK_WIDGET (self->username_row), typed && username == NULL);
  self->complete = self->profile != NULL && username != NULL
                   && *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "local-server.start", !self->busy && self->complete);
}

static void
set_progress (MessengerLocalServerPage *self,
              const char               *text)
{
  self->busy = text != NULL;
  _messenger_form_set_busy (GTK_WIDGET (self), self->busy, self->form_list, self->spinner, NULL);
  _messenger_error_label_set (self->progress_label, text);
  update_actions (self);
}

static void
show_error (MessengerLocalServerPage *self,
            const char               *message,
            GtkWidget                *culprit)
{
  _messenger_form_show_error (self->error_label, self->start_button, message, culprit);
}

static void
form_changed_cb (MessengerLocalServerPage *self)
{
  _messenger_widget_set_error (GTK_WIDGET (self->password_row), FALSE);
  show_error (self, NULL, NULL);
  update_actions (self);
}

static void
entry_activated_cb (MessengerLocalServerPage *self)
{
  g_autofree char *username = parse_username (self);

  if (self->busy)
    return;
  if (self->complete)
    gtk_widget_activate_action (GTK_WIDGET (self), "local-server.start", NULL);
  else if (username == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
setup_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MessengerLocalServerPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerSession) session = NULL;

  session = messenger_account_setup_finish (result, &error);
  if (_messenger_answer_unwanted (result, error))
    return;
  set_progress (self, NULL);
  if (session == NULL)
    {
      if (self->existing
          && g_error_matches (error, MESSENGER_ACCOUNT_SETUP_ERROR, MESSENGER_ACCOUNT_ERROR_AUTHENTICATION))
        show_error (self,
                    _("This user name already has an account on the local server, with another password. Type its password, or choose another user name."),
                    GTK_WIDGET (self->password_row));
      else
        show_error (self, error->message, NULL);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_ADDED], 0, session);
}

static void
sign_in (MessengerLocalServerPage *self,
         MessengerAccount         *account)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  set_progress (self, _("Signing in…"));
  messenger_account_setup_async (self->profile, account, password, TRUE,
                                 self->cancellable, setup_cb, g_object_ref (self));
}

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(MessengerLocalServerPage) self = user_data;
  g_autoptr(MessengerAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  account = messenger_profile_create_local_account_finish (MESSENGER_PROFILE (source), result, &error);
  /* Starting the server is not cancelled half-way: a page that was reset
   * meanwhile does not go on to sign in. */
  if (_messenger_answer_unwanted (result, error))
    return;

  if (account == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      /* Removed from Messenger earlier, still on the server: sign in. */
      MessengerLocalServer *server = messenger_profile_get_local_server (self->profile);
      g_autofree char *username = parse_username (self);
      g_autofree char *jid = g_strdup_printf ("%s@%s", username, messenger_local_server_get_domain (server));

      account = messenger_account_new (jid);
      messenger_account_set_server (account, "127.0.0.1", messenger_local_server_get_port (server));
      messenger_account_set_pinned_fingerprint (account, messenger_local_server_get_fingerprint (server));
      self->existing = TRUE;
    }

  if (account == NULL)
    {
      set_progress (self, NULL);
      show_error (self, error->message, NULL);
      return;
    }
  sign_in (self, account);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MessengerLocalServerPage *self = MESSENGER_LOCAL_SERVER_PAGE (widget);
  g_autofree char *username = parse_username (self);
  g_autofree char *jid = NULL;

  if (self->busy || !self->complete || username == NULL)
    return;

  jid = g_strdup_printf ("%s@%s", username, LOCAL_DOMAIN);
  if (messenger_profile_lookup_session (self->profile, jid) != NULL)
    {
      show_error (self, _("This account has already been added."), GTK_WIDGET (self->username_row));
      return;
    }

  _messenger_restart_work (&self->cancellable);
  self->existing = FALSE;
  show_error (self, NULL, NULL);
  set_progress (self, _("Starting the local server…"));
  messenger_profile_create_local_account_async (self->profile, username,
                                                gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                                                self->cancellable, created_cb, g_object_ref (self));
}

static void
fill_default_username (MessengerLocalServerPage *self)
{
  g_autoptr(XmppJid) jid = xmpp_jid_new_from_parts (g_get_user_name (), LOCAL_DOMAIN, NULL, NULL);

  /* The login name, when it can be an address (it usually can). */
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), jid != NULL ? xmpp_jid_get_local (jid) : "");
}

void
messenger_local_server_page_set_profile (MessengerLocalServerPage *self,
                                         MessengerProfile         *profile)
{
  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER_PAGE (self));

  if (g_set_object (&self->profile, profile))
    update_actions (self);
}

void
messenger_local_server_page_reset (MessengerLocalServerPage *self)
{
  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER_PAGE (self));

  _messenger_cancel_work (&self->cancellable);
  fill_default_username (self);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  show_error (self, NULL, NULL);
  gtk_accessible_reset_property (GTK_ACCESSIBLE (self->start_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  set_progress (self, NULL);
}

void
messenger_local_server_page_focus (MessengerLocalServerPage *self)
{
  g_autofree char *username = NULL;

  g_return_if_fail (MESSENGER_IS_LOCAL_SERVER_PAGE (self));

  /* The user name is usually right already. */
  username = parse_username (self);
  if (username != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
}

static void
messenger_local_server_page_dispose (GObject *object)
{
  MessengerLocalServerPage *self = MESSENGER_LOCAL_SERVER_PAGE (object);

  _messenger_cancel_work (&self->cancellable);
  g_clear_object (&self->profile);

  G_OBJECT_CLASS (messenger_local_server_page_parent_class)->dispose (object);
}

static void
messenger_local_server_page_class_init (MessengerLocalServerPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_local_server_page_dispose;

  signals[SIGNAL_ACCOUNT_ADDED] = _messenger_welcome_page_add_signal (object_class);

  gtk_widget_class_install_action (widget_class, "local-server.start", NULL, start_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-local-server-page.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, form_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, domain_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, progress_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, start_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerLocalServerPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
}

static void
messenger_local_server_page_init (MessengerLocalServerPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_label_set_label (self->domain_label, "@" LOCAL_DOMAIN);
  _messenger_entry_row_name_text (self->username_row);
  _messenger_entry_row_name_text (self->password_row);
  fill_default_username (self);
  update_actions (self);
}
