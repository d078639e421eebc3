/* messenger-welcome-private.h: helpers shared by the pages of the welcome flow */
#pragma once

#include <adwaita.h>
#include <glib/gi18n.h>

G_BEGIN_DECLS

/* Give @name to the icon-only buttons under @widget that have none. */
static inline void
_messenger_name_icon_buttons (GtkWidget  *widget,
                              const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_label (GTK_BUTTON (child)) == NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                        -1);
      else
        _messenger_name_icon_buttons (child, name);
    }
}

/* The text field inside an AdwEntryRow is what a screen reader (and a UI
 * test) lands on: give it the row's title as its name. */
static inline void
_messenger_entry_row_name_text (AdwEntryRow *row)
{
  GtkEditable *text = gtk_editable_get_delegate (GTK_EDITABLE (row));
  const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));

  if (text != NULL && title != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (text),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                    -1);

  /* The show/hide button of a password row has no name of its own. */
  if (ADW_IS_PASSWORD_ENTRY_ROW (row))
    _messenger_name_icon_buttons (GTK_WIDGET (row), _("Show Password"));
}

/* Whether the operation that gave @result was cancelled, even if it
 * finished regardless (not every step honours cancellation): the page
 * that started it was reset or went away, so its answer is not wanted. */
static inline gboolean
_messenger_result_cancelled (GAsyncResult *result)
{
  GCancellable *cancellable = G_IS_TASK (result) ? g_task_get_cancellable (G_TASK (result)) : NULL;

  return cancellable != NULL && g_cancellable_is_cancelled (cancellable);
}

/* Show @message (NULL hides it) in an inline error label. */
static inline void
_messenger_error_label_set (GtkLabel   *label,
                            const char *message)
{
  gtk_label_set_label (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

static inline void
_messenger_widget_set_error (GtkWidget *widget,
                             gboolean   error)
{
  if (error)
    gtk_widget_add_css_class (widget, "error");
  else
    gtk_widget_remove_css_class (widget, "error");
}

/* "5222" → 5222; empty → 0 (the default); FALSE when not a port. */
static inline gboolean
_messenger_parse_port (const char *text,
                       guint16    *port)
{
  guint64 value = 0;

  *port = 0;
  if (text == NULL || *text == '\0')
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &value, NULL))
    return FALSE;
  *port = (guint16) value;
  return TRUE;
}

/* Before a form turns insensitive while it works: a focused GtkText made
 * insensitive misses its focus-out (GTK warns), so move the focus off
 * anything inside @widget first. */
static inline void
_messenger_drop_focus_within (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget)))
    gtk_root_set_focus (root, NULL);
}

/* GTK 4.8 names a button with a mnemonic label "_Label Label" (its label
 * property, then its child label through labelled-by).  Name every
 * labelled button under @widget by its label alone, without the mnemonic
 * underscore, so screen readers and UI tests hear "Label".  Also for
 * buttons made by others, such as an AdwMessageDialog's responses. */
static inline void
_messenger_name_buttons (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_label (GTK_BUTTON (child)) != NULL)
        {
          const char *label = gtk_button_get_label (GTK_BUTTON (child));
          GString *name = g_string_new (NULL);

          for (const char *p = label; *p != '\0'; p++)
            {
              if (*p == '_' && gtk_button_get_use_underline (GTK_BUTTON (child)))
                {
                  if (p[1] != '_')
                    continue;
                  p++;
                }
              g_string_append_c (name, *p);
            }
          gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, name->str,
                                          -1);
          gtk_accessible_reset_relation (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
          g_string_free (name, TRUE);
        }
      _messenger_name_buttons (child);
    }
}

/* The rest live in messenger-welcome-form.c: what the pages of the welcome
 * flow share around their forms and the work they start. */

/* Installs the "account-added" signal every page has: emitted with the
 * MessengerSession once the account is online and in the profile. */
guint     _messenger_welcome_page_add_signal (GObjectClass *klass);

/* Cancels the work *@cancellable is for and drops it. */
void      _messenger_cancel_work           (GCancellable **cancellable);
/* The same, then a new one for the work about to start. */
void      _messenger_restart_work          (GCancellable **cancellable);
/* Whether the answer that came with @result and @error is no longer
 * wanted: the work was cancelled (see _messenger_result_cancelled). */
gboolean  _messenger_answer_unwanted       (GAsyncResult  *result,
                                            const GError  *error);

/* A form at work, or not: the focus leaves @form when it starts (see
 * _messenger_drop_focus_within), then each widget in the NULL-terminated
 * list shows it: a GtkSpinner spins, anything else is insensitive. */
void      _messenger_form_set_busy         (GtkWidget     *form,
                                            gboolean       busy,
                                            gpointer       widget,
                                            ...) G_GNUC_NULL_TERMINATED;
/* Says @message (NULL: nothing) in @label and, when @described is given,
 * as its accessible description, so screen readers hear it too.  Marks
 * @culprit, if any, and moves the focus there. */
void      _messenger_form_show_error       (GtkLabel      *label,
                                            GtkWidget     *described,
                                            const char    *message,
                                            GtkWidget     *culprit);

/* The server the Advanced rows ask for: FALSE when they leave it to
 * @domain's own records; else its name (@domain when only a port is
 * given) and port (the default for direct TLS or STARTTLS when only a
 * name is given). */
gboolean  _messenger_advanced_server       (AdwEntryRow   *host_row,
                                            AdwEntryRow   *port_row,
                                            GtkSwitch     *direct_tls_switch,
                                            const char    *domain,
                                            char         **host,
                                            guint16       *port);
/* Empties the Advanced rows and folds @advanced_row. */
void      _messenger_advanced_reset        (AdwExpanderRow *advanced_row,
                                            AdwEntryRow    *host_row,
                                            AdwEntryRow    *port_row,
                                            GtkSwitch      *direct_tls_switch);

G_END_DECLS
