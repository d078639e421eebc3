/* messenger-add-contact-dialog.c: add someone to the roster
 *
 * Address (checked as it is typed: Add is enabled only for something that
 * can be an address), an optional name and group.  Add sends the roster
 * set and the subscription request (messenger_roster_add_contact_async);
 * the dialog stays open with the error under the fields when that fails,
 * and closes when it worked.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-add-contact-dialog.h"
#include "messenger-roster-edit.h"

struct _MessengerAddContactDialog
{
  AdwWindow        parent_instance;

  /* template widgets */
  GtkWidget       *add_button;
  AdwEntryRow     *address_row;
  AdwEntryRow     *name_row;
  AdwEntryRow     *group_row;
  GtkSpinner      *spinner;
  GtkLabel        *message_label;

  /* owned */
  MessengerRoster *roster;
  GCancellable    *cancellable;
  gboolean         busy;
};

G_DEFINE_FINAL_TYPE (MessengerAddContactDialog, messenger_add_contact_dialog, ADW_TYPE_WINDOW)

GtkWidget *
messenger_add_contact_dialog_new (GtkWindow       *parent,
                                  MessengerRoster *roster)
{
  MessengerAddContactDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (MESSENGER_IS_ROSTER (roster), NULL);

  self = g_object_new (MESSENGER_TYPE_ADD_CONTACT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->roster = g_object_ref (roster);
  return GTK_WIDGET (self);
}

static void
show_message (MessengerAddContactDialog *self,
              const char                *message,
              gboolean                   is_error)
{
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
}

static void
set_busy (MessengerAddContactDialog *self,
          gboolean                   busy)
{
  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->address_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->name_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->group_row), !busy);
}

/* The address typed, normalised, or NULL (with @error). */
static char *
current_address (MessengerAddContactDialog  *self,
                 GError                    **error)
{
  return messenger_roster_normalize_address (gtk_editable_get_text (GTK_EDITABLE (self->address_row)), error);
}

static void
update_add_button (MessengerAddContactDialog *self)
{
  g_autofree char *address = current_address (self, NULL);

  gtk_widget_set_sensitive (self->add_button, address != NULL && !self->busy);
}

static void
address_changed_cb (MessengerAddContactDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = current_address (self, &error);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->address_row));

  /* Say what is wrong only once there is something to judge: a name with
   * an "@" and a dot after it, or more than a few letters. */
  if (address == NULL && (strchr (text, '@') != NULL || g_utf8_strlen (text, -1) > 3))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->address_row), "error");
      show_message (self, error->message, TRUE);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->address_row), "error");
      show_message (self, NULL, FALSE);
    }
  update_add_button (self);
}

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MessengerAddContactDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!messenger_roster_add_contact_finish (MESSENGER_ROSTER (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      show_message (self, error->message, TRUE);
      update_add_button (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
      return;
    }
  set_busy (self, FALSE);
  gtk_window_close (GTK_WINDOW (self));
}

static void
add_clicked_cb (MessengerAddContactDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *group = NULL;
  const char *groups[2] = { NULL, NULL };
  const char *name;

  if (self->busy || self->roster == NULL)
    return;
  address = current_address (self, &error);
  if (address == NULL)
    {
      show_message (self, error->message, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
      return;
    }

  name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  group = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->group_row))));
  if (*group != '\0')
    groups[0] = group;

  set_busy (self, TRUE);
  update_add_button (self);
  show_message (self, _("Adding…"), FALSE);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  messenger_roster_add_contact_async (self->roster, address, name, groups, self->cancellable,
                                      added_cb, g_object_ref (self));
}

void
messenger_add_contact_dialog_set_jid (MessengerAddContactDialog *self,
                                      const char                *jid)
{
  g_return_if_fail (MESSENGER_IS_ADD_CONTACT_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->address_row), jid != NULL ? jid : "");
}

static void
messenger_add_contact_dialog_dispose (GObject *object)
{
  MessengerAddContactDialog *self = MESSENGER_ADD_CONTACT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->roster);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_ADD_CONTACT_DIALOG);

  G_OBJECT_CLASS (messenger_add_contact_dialog_parent_class)->dispose (object);
}

static void
messenger_add_contact_dialog_class_init (MessengerAddContactDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = messenger_add_contact_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-add-contact-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerAddContactDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerAddContactDialog, address_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerAddContactDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerAddContactDialog, group_row);
  gtk_widget_class_bind_template_child (widget_class, MessengerAddContactDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, MessengerAddContactDialog, message_label);
  gtk_widget_class_bind_template_callback (widget_class, address_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
messenger_add_contact_dialog_init (MessengerAddContactDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->address_row));
}
