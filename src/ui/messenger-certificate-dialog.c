/* messenger-certificate-dialog.c: show an untrusted server certificate and offer to trust it
 *
 * Trust on first use, made explicit: the person sees what was wrong with
 * the certificate in plain words and its SHA-256 fingerprint (grouped by
 * four for reading it out over the phone), and may pin it for this one
 * account.  Nothing is trusted system-wide.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-certificate-dialog.h"
#include "messenger-welcome-private.h"

struct _MessengerCertificateDialog
{
  AdwMessageDialog  parent_instance;

  /* template widgets */
  GtkLabel         *fingerprint_label;
  GtkLabel         *subject_label;
  GtkLabel         *issuer_label;
  GtkLabel         *not_before_label;
  GtkLabel         *not_after_label;

  /* owned: one of them says what "trust" does */
  MessengerSession *session;
  GTask            *task;
  gulong            cancel_handler;
};

G_DEFINE_FINAL_TYPE (MessengerCertificateDialog, messenger_certificate_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* "AB:CD:EF:…" → "ABCD EF01 2345 6789\n…": 4 groups of 4 hex digits a line. */
static char *
group_fingerprint (const char *fingerprint)
{
  GString *out = g_string_new (NULL);
  guint digits = 0;

  for (const char *p = fingerprint; *p != '\0'; p++)
    {
      if (!g_ascii_isxdigit (*p))
        continue;
      if (digits > 0 && digits % 16 == 0)
        g_string_append_c (out, '\n');
      else if (digits > 0 && digits % 4 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, g_ascii_toupper (*p));
      digits++;
    }
  return g_string_free (out, FALSE);
}

static char *
format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  if (date == NULL)
    return g_strdup (_("Unknown"));
  local = g_date_time_to_local (date);
  /* xgettext:no-c-format
   * Translators: a date as in "Valid until 24 November 2026"; see
   * g_date_time_format() for the codes. */
  return g_date_time_format (local, _("%-d %B %Y"));
}

/* What is wrong, in plain words, one sentence a problem. */
static char *
describe_problems (const char          *domain,
                   GTlsCertificateFlags errors,
                   gboolean             changed)
{
  GString *text = g_string_new (NULL);

  if (changed)
    g_string_append_printf (text, "%s ",
                            _("It is not the certificate you trusted before: the server may have a new one, or someone may be intercepting the connection."));
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    g_string_append_printf (text, "%s ",
                            _("It was not issued by an authority this computer knows; a server may also have made it itself."));
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      g_string_append_printf (text, _("It was issued for another name than %s."), domain);
      g_string_append_c (text, ' ');
    }
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    g_string_append_printf (text, "%s ", _("It is not valid yet; check the date of this computer."));
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    g_string_append_printf (text, "%s ", _("It has expired."));
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    g_string_append_printf (text, "%s ", _("It has been revoked."));
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    g_string_append_printf (text, "%s ", _("It uses weak encryption."));
  if (text->len == 0)
    g_string_append_printf (text, "%s ", _("It is not valid."));

  g_string_append (text, _("Trust it only if you know it is the right one, for example because you run the server or its administrator gave you this fingerprint."));
  return g_string_free (text, FALSE);
}

static void
fill (MessengerCertificateDialog *self,
      const char                 *domain,
      const XmppCertificateInfo  *info,
      const char                 *pinned)
{
  g_autofree char *fingerprint = group_fingerprint (info->fingerprint_sha256);
  g_autofree char *not_before = format_date (info->not_before);
  g_autofree char *not_after = format_date (info->not_after);
  g_autofree char *problems = NULL;
  g_autofree char *body = NULL;
  gboolean changed;

  changed = pinned != NULL && g_ascii_strcasecmp (pinned, info->fingerprint_sha256) != 0;
  problems = describe_problems (domain, info->errors, changed);
  /* Translators: %s is a server name, followed by what is wrong with its certificate. */
  body = g_strdup_printf (_("The identity of %s cannot be verified."), domain);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (self), "%s %s", body, problems);

  gtk_label_set_label (self->fingerprint_label, fingerprint);
  gtk_label_set_label (self->subject_label, info->subject != NULL ? info->subject : _("Unknown"));
  gtk_label_set_label (self->issuer_label, info->issuer != NULL ? info->issuer : _("Unknown"));
  gtk_label_set_label (self->not_before_label, not_before);
  gtk_label_set_label (self->not_after_label, not_after);
}

static void
response_cb (MessengerCertificateDialog *self,
             const char                 *response)
{
  gboolean trust = g_strcmp0 (response, "trust") == 0;

  if (self->session != NULL && trust)
    messenger_session_trust_certificate (self->session);

  if (self->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      if (self->cancel_handler != 0)
        g_cancellable_disconnect (g_task_get_cancellable (task), self->cancel_handler);
      self->cancel_handler = 0;
      g_task_return_boolean (task, trust);
    }
}

static MessengerCertificateDialog *
dialog_new (GtkWindow *parent)
{
  return g_object_new (MESSENGER_TYPE_CERTIFICATE_DIALOG,
                       "transient-for", parent,
                       NULL);
}

void
messenger_certificate_dialog_present (GtkWindow        *parent,
                                      MessengerSession *session)
{
  MessengerCertificateDialog *self;
  MessengerAccount *account;
  XmppCertificateInfo *info;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (MESSENGER_IS_SESSION (session));

  account = messenger_session_get_account (session);
  info = messenger_account_get_certificate_info (account);
  if (info == NULL)
    {
      g_warning ("No certificate to show for %s", messenger_account_get_jid (account));
      return;
    }

  self = dialog_new (parent);
  self->session = g_object_ref (session);
  fill (self, xmpp_jid_get_domain (messenger_account_get_xmpp_jid (account)), info,
        messenger_account_get_pinned_fingerprint (account));
  gtk_window_present (GTK_WINDOW (self));
}

static gboolean
cancelled_idle_cb (gpointer user_data)
{
  MessengerCertificateDialog *self = user_data;

  if (self->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancel_handler);
      self->cancel_handler = 0;
      g_task_return_error_if_cancelled (task);
    }
  gtk_window_destroy (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

static void
cancelled_cb (GCancellable               *cancellable,
              MessengerCertificateDialog *self)
{
  /* Not from inside the cancellable's handler (no disconnect there). */
  g_idle_add_full (G_PRIORITY_DEFAULT, cancelled_idle_cb, g_object_ref (self), g_object_unref);
}

void
messenger_certificate_dialog_choose_async (GtkWindow                 *parent,
                                           const char                *domain,
                                           const XmppCertificateInfo *info,
                                           GCancellable              *cancellable,
                                           GAsyncReadyCallback        callback,
                                           gpointer                   user_data)
{
  MessengerCertificateDialog *self;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (domain != NULL);
  g_return_if_fail (info != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, messenger_certificate_dialog_choose_async);
  if (g_task_return_error_if_cancelled (task))
    return;

  self = dialog_new (parent);
  fill (self, domain, info, NULL);
  self->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    self->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), self, NULL);
  gtk_window_present (GTK_WINDOW (self));
}

gboolean
messenger_certificate_dialog_choose_finish (GAsyncResult  *result,
                                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
messenger_certificate_dialog_dispose (GObject *object)
{
  MessengerCertificateDialog *self = MESSENGER_CERTIFICATE_DIALOG (object);

  /* Closed without an answer (the window went away): not trusted. */
  if (self->task != NULL)
    response_cb (self, "cancel");
  g_clear_object (&self->session);

  G_OBJECT_CLASS (messenger_certificate_dialog_parent_class)->dispose (object);
}

static void
messenger_certificate_dialog_class_init (MessengerCertificateDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_certificate_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-certificate-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerCertificateDialog, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCertificateDialog, subject_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCertificateDialog, issuer_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCertificateDialog, not_before_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerCertificateDialog, not_after_label);
}

static void
messenger_certificate_dialog_init (MessengerCertificateDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  _messenger_name_buttons (GTK_WIDGET (self));
  g_signal_connect (self, "response", G_CALLBACK (response_cb), NULL);
}
