/* messenger-welcome-form.c: what the pages of the welcome flow share
 *
 * Sign In, Create an Account and Use a Local Server each have a form that
 * starts some work (connecting, registering, starting the server), shows
 * it is at work, says what went wrong under the form, and emits
 * "account-added" at the end.  The helpers here are those common steps;
 * each page keeps its own fields and decides what goes wrong where.
 */
#include "config.h"

#include <stdarg.h>

#include "messenger-session.h"
#include "messenger-welcome-private.h"

guint
_messenger_welcome_page_add_signal (GObjectClass *klass)
{
  return g_signal_new ("account-added",
                       G_TYPE_FROM_CLASS (klass),
                       G_SIGNAL_RUN_LAST,
                       0, NULL, NULL, NULL,
                       G_TYPE_NONE, 1, MESSENGER_TYPE_SESSION);
}

void
_messenger_cancel_work (GCancellable **cancellable)
{
  g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
}

void
_messenger_restart_work (GCancellable **cancellable)
{
  _messenger_cancel_work (cancellable);
  *cancellable = g_cancellable_new ();
}

gboolean
_messenger_answer_unwanted (GAsyncResult *result,
                            const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || _messenger_result_cancelled (result);
}

void
_messenger_form_set_busy (GtkWidget *form,
                          gboolean   busy,
                          gpointer   widget,
                          ...)
{
  va_list args;

  if (busy)
    _messenger_drop_focus_within (form);
  va_start (args, widget);
  for (; widget != NULL; widget = va_arg (args, gpointer))
    {
      if (GTK_IS_SPINNER (widget))
        {
          gtk_widget_set_visible (widget, busy);
          gtk_spinner_set_spinning (widget, busy);
        }
      else
        gtk_widget_set_sensitive (widget, !busy);
    }
  va_end (args);
}

void
_messenger_form_show_error (GtkLabel   *label,
                            GtkWidget  *described,
                            const char *message,
                            GtkWidget  *culprit)
{
  _messenger_error_label_set (label, message);
  if (described != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (described),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message != NULL ? message : "",
                                    -1);
  if (culprit != NULL)
    {
      _messenger_widget_set_error (culprit, TRUE);
      gtk_widget_grab_focus (culprit);
    }
}

gboolean
_messenger_advanced_server (AdwEntryRow  *host_row,
                            AdwEntryRow  *port_row,
                            GtkSwitch    *direct_tls_switch,
                            const char   *domain,
                            char        **host,
                            guint16      *port)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (host_row))));

  _messenger_parse_port (gtk_editable_get_text (GTK_EDITABLE (port_row)), port);
  if (*name == '\0' && *port == 0)
    {
      *host = NULL;
      return FALSE;
    }
  *host = *name != '\0' ? g_steal_pointer (&name) : g_strdup (domain);
  if (*port == 0)
    *port = gtk_switch_get_active (direct_tls_switch) ? 5223 : 5222;
  return TRUE;
}

void
_messenger_advanced_reset (AdwExpanderRow *advanced_row,
                           AdwEntryRow    *host_row,
                           AdwEntryRow    *port_row,
                           GtkSwitch      *direct_tls_switch)
{
  gtk_editable_set_text (GTK_EDITABLE (host_row), "");
  gtk_editable_set_text (GTK_EDITABLE (port_row), "");
  gtk_switch_set_active (direct_tls_switch, FALSE);
  adw_expander_row_set_expanded (advanced_row, FALSE);
}
