/* messenger-create-account-page.c: "Create an Account" (XEP-0077 in-band registration)
 *
 *   server ─Continue─▶ MessengerRegistration fetch_form ─▶ form (the fields the
 *   server asks for) ─Create Account─▶ submit ─▶ account setup ─▶ "account-added"
 *
 * An untrusted certificate is shown before any form is filled in; once
 * trusted, it stays pinned for the new account.  Errors (no registration
 * on this server, a taken user name, …) are said under the step they
 * belong to.
 *
 * The form is the server's: legacy fields are entry rows; a data form
 * (XEP-0077 §8) may add choices (AdwComboRow, or check rows in an
 * expander), switches (AdwActionRow + GtkSwitch: Debian's libadwaita 1.2
 * has no AdwSwitchRow), lines of text, text to read, and a CAPTCHA's
 * picture above its field.  Each answering row carries its field's name
 * and kind; when the server sends a new CAPTCHA after a refusal the rows
 * are built again with what was typed, except answers about pictures.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-account-setup.h"
#include "messenger-certificate-dialog.h"
#include "messenger-create-account-page.h"
#include "messenger-registration.h"
#include "messenger-welcome-private.h"

#define FIELD_KEY    "messenger-field"
#define CONFIRM_KEY  "messenger-confirm"
#define KIND_KEY     "messenger-field-kind"      /* MessengerRegistrationFieldKind + 1 */
#define REQUIRED_KEY "messenger-field-required"
#define INPUT_KEY    "messenger-field-input"     /* the switch, text view or check buttons */
#define OPTIONS_KEY  "messenger-field-options"   /* the values of the choices */

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
  GPtrArray             *field_rows;    /* every row of fields_list, in the server's order */
  guint                  form_serial;   /* of the form the rows show */
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

/* The rows of the form.  Each row that answers a field carries the
 * field's name (FIELD_KEY) and kind (KIND_KEY); pictures, text to read and
 * the password's confirmation carry no name. */

static MessengerRegistrationFieldKind
row_kind (GtkWidget *row)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), KIND_KEY)) - 1;
}

/* What the person gave for the field of @row, as
 * messenger_registration_submit_async() wants it. */
static char *
row_value (GtkWidget *row)
{
  switch (row_kind (row))
    {
    case MESSENGER_REGISTRATION_FIELD_BOOLEAN:
      return g_strdup (gtk_switch_get_active (g_object_get_data (G_OBJECT (row), INPUT_KEY)) ? "1" : "0");
    case MESSENGER_REGISTRATION_FIELD_CHOICE:
      {
        GStrv values = g_object_get_data (G_OBJECT (row), OPTIONS_KEY);
        guint selected = adw_combo_row_get_selected (ADW_COMBO_ROW (row));

        /* The first item is "none chosen". */
        if (selected == 0 || selected == GTK_INVALID_LIST_POSITION || selected > g_strv_length (values))
          return g_strdup ("");
        return g_strdup (values[selected - 1]);
      }
    case MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE:
      {
        GStrv values = g_object_get_data (G_OBJECT (row), OPTIONS_KEY);
        GPtrArray *checks = g_object_get_data (G_OBJECT (row), INPUT_KEY);
        GString *text = g_string_new (NULL);

        for (guint i = 0; i < checks->len; i++)
          if (gtk_check_button_get_active (g_ptr_array_index (checks, i)))
            g_string_append_printf (text, "%s%s", text->len > 0 ? "\n" : "", values[i]);
        return g_string_free (text, FALSE);
      }
    case MESSENGER_REGISTRATION_FIELD_MULTILINE:
      {
        GtkTextBuffer *buffer = gtk_text_view_get_buffer (g_object_get_data (G_OBJECT (row), INPUT_KEY));
        GtkTextIter start, end;

        gtk_text_buffer_get_bounds (buffer, &start, &end);
        return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      }
    case MESSENGER_REGISTRATION_FIELD_FIXED:
      return g_strdup ("");
    case MESSENGER_REGISTRATION_FIELD_TEXT:
    case MESSENGER_REGISTRATION_FIELD_SECRET:
    default:
      return g_strdup (ADW_IS_ENTRY_ROW (row) ? row_text (ADW_ENTRY_ROW (row)) : "");
    }
}

static void
row_set_value (GtkWidget  *row,
               const char *value)
{
  if (value == NULL)
    return;
  switch (row_kind (row))
    {
    case MESSENGER_REGISTRATION_FIELD_BOOLEAN:
      gtk_switch_set_active (g_object_get_data (G_OBJECT (row), INPUT_KEY),
                             g_strcmp0 (value, "1") == 0 || g_strcmp0 (value, "true") == 0);
      break;
    case MESSENGER_REGISTRATION_FIELD_CHOICE:
      {
        GStrv values = g_object_get_data (G_OBJECT (row), OPTIONS_KEY);

        for (guint i = 0; values[i] != NULL; i++)
          if (g_str_equal (values[i], value))
            adw_combo_row_set_selected (ADW_COMBO_ROW (row), i + 1);
      }
      break;
    case MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE:
      {
        GStrv values = g_object_get_data (G_OBJECT (row), OPTIONS_KEY);
        GPtrArray *checks = g_object_get_data (G_OBJECT (row), INPUT_KEY);
        g_auto(GStrv) chosen = g_strsplit (value, "\n", -1);

        for (guint i = 0; i < checks->len; i++)
          gtk_check_button_set_active (g_ptr_array_index (checks, i),
                                       g_strv_contains ((const char * const *) chosen, values[i]));
      }
      break;
    case MESSENGER_REGISTRATION_FIELD_MULTILINE:
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (g_object_get_data (G_OBJECT (row), INPUT_KEY)),
                                value, -1);
      break;
    case MESSENGER_REGISTRATION_FIELD_FIXED:
      break;
    case MESSENGER_REGISTRATION_FIELD_TEXT:
    case MESSENGER_REGISTRATION_FIELD_SECRET:
    default:
      if (ADW_IS_ENTRY_ROW (row))
        gtk_editable_set_text (GTK_EDITABLE (row), value);
      break;
    }
}

/* Whether the row still needs an answer before the form can go. */
static gboolean
row_missing (GtkWidget *row)
{
  g_autofree char *value = NULL;

  if (g_object_get_data (G_OBJECT (row), CONFIRM_KEY) != NULL)
    return *row_text (ADW_ENTRY_ROW (row)) == '\0';
  if (g_object_get_data (G_OBJECT (row), FIELD_KEY) == NULL
      || g_object_get_data (G_OBJECT (row), REQUIRED_KEY) == NULL)
    return FALSE;
  value = row_value (row);
  return *g_strstrip (value) == '\0';
}

static GtkWidget *
find_row (MessengerCreateAccountPage *self,
          const char                 *field)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);

      if (g_strcmp0 (g_object_get_data (G_OBJECT (row), FIELD_KEY), field) == 0)
        return row;
    }
  return NULL;
}

/* The row of @field when it is a text row (user name, password). */
static AdwEntryRow *
find_entry_row (MessengerCreateAccountPage *self,
                const char                 *field)
{
  GtkWidget *row = find_row (self, field);

  return row != NULL && ADW_IS_ENTRY_ROW (row) ? ADW_ENTRY_ROW (row) : NULL;
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
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);

      if (row_missing (row))
        self->form_ok = FALSE;
      if (g_object_get_data (G_OBJECT (row), CONFIRM_KEY) != NULL)
        confirm_row = ADW_ENTRY_ROW (row);
    }
  username_row = find_entry_row (self, "username");
  if (username_row != NULL && *row_text (username_row) != '\0' && self->registration != NULL)
    {
      g_autoptr(XmppJid) jid = xmpp_jid_new_from_parts (row_text (username_row),
                                                        messenger_registration_get_domain (self->registration),
                                                        NULL, NULL);

      _messenger_widget_set_error (GTK_WIDGET (username_row), jid == NULL);
      if (jid == NULL)
        self->form_ok = FALSE;
    }
  password_row = find_entry_row (self, "password");
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
                 GtkWidget                  *culprit)
{
  _messenger_form_show_error (self->form_error_label, self->create_button, message, culprit);
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

static void
append_row (MessengerCreateAccountPage *self,
            GtkWidget                  *row)
{
  gtk_list_box_append (self->fields_list, row);
  g_ptr_array_add (self->field_rows, row);
}

static AdwEntryRow *
add_row (MessengerCreateAccountPage *self,
         const char                 *title,
         gboolean                    secret)
{
  GtkWidget *row = secret ? adw_password_entry_row_new () : adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_signal_connect_object (row, "changed", G_CALLBACK (form_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (row, "entry-activated", G_CALLBACK (form_activated_cb), self, G_CONNECT_SWAPPED);
  append_row (self, row);
  _messenger_entry_row_name_text (ADW_ENTRY_ROW (row));
  return ADW_ENTRY_ROW (row);
}

/* A row that only shows something: text to read, a picture. */
static GtkWidget *
add_plain_row (MessengerCreateAccountPage *self,
               GtkWidget                  *child)
{
  GtkWidget *row = gtk_list_box_row_new ();

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  /* Nothing to do on the row itself: Tab goes to what it holds, if anything. */
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  append_row (self, row);
  return row;
}

static void
add_text_row (MessengerCreateAccountPage *self,
              const char                 *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 12);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  add_plain_row (self, label);
}

static void
open_link_cb (AdwActionRow               *row,
              MessengerCreateAccountPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                adw_action_row_get_subtitle (row), GDK_CURRENT_TIME);
}

/* The picture of a CAPTCHA; where there is none, its web address. */
static void
add_picture_rows (MessengerCreateAccountPage       *self,
                  const MessengerRegistrationField *field)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  if (field->image != NULL)
    {
      texture = gdk_texture_new_from_bytes (field->image, &error);
      if (texture == NULL)
        g_debug ("The picture of “%s” cannot be shown: %s", field->name, error->message);
    }
  if (texture != NULL)
    {
      GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
      g_autofree char *name = NULL;

      gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
      gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
      gtk_widget_set_size_request (picture, -1,
                                   field->image_height > 0 ? (int) MIN (field->image_height, 240)
                                                           : MIN (gdk_texture_get_height (texture), 240));
      gtk_widget_set_margin_top (picture, 12);
      gtk_widget_set_margin_bottom (picture, 12);
      gtk_widget_set_margin_start (picture, 12);
      gtk_widget_set_margin_end (picture, 12);
      /* Translators: %s is the title of the field that asks about the picture. */
      name = g_strdup_printf (_("Picture for “%s”"), field->title);
      gtk_picture_set_alternative_text (GTK_PICTURE (picture), name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (picture),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      add_plain_row (self, picture);
    }
  else if (field->link != NULL)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name ("adw-external-link-symbolic");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Open the Picture in a Browser"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), field->link);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
      g_signal_connect_object (row, "activated", G_CALLBACK (open_link_cb), self, 0);
      append_row (self, row);
    }
  else
    add_text_row (self, _("The server’s picture could not be loaded. To get a new one, choose Use Another Server, then Continue."));
}

static void
describe_row (GtkWidget                        *row,
              const MessengerRegistrationField *field)
{
  if (field->description == NULL || *field->description == '\0')
    return;
  if (ADW_IS_ACTION_ROW (row))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), field->description);
  else
    gtk_widget_set_tooltip_text (row, field->description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, field->description,
                                  -1);
}

static GtkWidget *
add_switch_row (MessengerCreateAccountPage       *self,
                const MessengerRegistrationField *field,
                const char                       *title)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *toggle = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  /* The row's title names the switch (activatable-widget), as Direct TLS. */
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  g_object_set_data (G_OBJECT (row), INPUT_KEY, toggle);
  g_signal_connect_object (toggle, "notify::active", G_CALLBACK (form_changed_cb), self, G_CONNECT_SWAPPED);
  append_row (self, row);
  return row;
}

static GtkWidget *
add_choice_row (MessengerCreateAccountPage       *self,
                const MessengerRegistrationField *field,
                const char                       *title)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) items = gtk_string_list_new (NULL);

  /* The first item is "none chosen": a required field must be answered
   * by the person, not by the first option. */
  gtk_string_list_append (items, field->required ? _("Choose One") : _("None"));
  for (guint i = 0; field->option_labels[i] != NULL; i++)
    gtk_string_list_append (items, field->option_labels[i]);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (items));
  /* Its name is its title: AdwComboRow labels itself by it. */
  g_object_set_data_full (G_OBJECT (row), OPTIONS_KEY, g_strdupv (field->option_values),
                          (GDestroyNotify) g_strfreev);
  g_signal_connect_object (row, "notify::selected", G_CALLBACK (form_changed_cb), self, G_CONNECT_SWAPPED);
  append_row (self, row);
  return row;
}

static GtkWidget *
add_checks_row (MessengerCreateAccountPage       *self,
                const MessengerRegistrationField *field,
                const char                       *title)
{
  GtkWidget *row = adw_expander_row_new ();
  GPtrArray *checks = g_ptr_array_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  for (guint i = 0; field->option_labels[i] != NULL; i++)
    {
      GtkWidget *option = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (option), field->option_labels[i]);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_action_row_add_prefix (ADW_ACTION_ROW (option), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (option), check);
      g_signal_connect_object (check, "toggled", G_CALLBACK (form_changed_cb), self, G_CONNECT_SWAPPED);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), option);
      g_ptr_array_add (checks, check);
    }
  g_object_set_data_full (G_OBJECT (row), INPUT_KEY, checks, (GDestroyNotify) g_ptr_array_unref);
  g_object_set_data_full (G_OBJECT (row), OPTIONS_KEY, g_strdupv (field->option_values),
                          (GDestroyNotify) g_strfreev);
  append_row (self, row);
  return row;
}

static GtkWidget *
add_lines_row (MessengerCreateAccountPage       *self,
               const MessengerRegistrationField *field,
               const char                       *title)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *label = gtk_label_new (title);
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *view = gtk_text_view_new ();
  GtkWidget *row;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 6);
  gtk_widget_set_size_request (view, -1, 72);
  if (field->address)
    gtk_text_view_set_input_purpose (GTK_TEXT_VIEW (view), GTK_INPUT_PURPOSE_EMAIL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  -1);
  gtk_frame_set_child (GTK_FRAME (frame), view);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), frame);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), "changed",
                           G_CALLBACK (form_changed_cb), self, G_CONNECT_SWAPPED);
  row = add_plain_row (self, box);
  g_object_set_data (G_OBJECT (row), INPUT_KEY, view);
  if (field->description != NULL && *field->description != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (view),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, field->description,
                                    -1);
  return row;
}

static GtkWidget *
add_entry_row (MessengerCreateAccountPage       *self,
               const MessengerRegistrationField *field,
               const char                       *title)
{
  const char *domain = messenger_registration_get_domain (self->registration);
  AdwEntryRow *row = add_row (self, title, field->kind == MESSENGER_REGISTRATION_FIELD_SECRET);

  if (g_str_equal (field->name, "username"))
    {
      /* The address the person is choosing, said as they type it. */
      g_autofree char *suffix = g_strdup_printf ("@%s", domain);
      GtkWidget *label = gtk_label_new (suffix);

      gtk_widget_add_css_class (label, "dim-label");
      adw_entry_row_add_suffix (row, label);
    }
  else if (g_str_equal (field->name, "email") || field->address)
    adw_entry_row_set_input_purpose (row, GTK_INPUT_PURPOSE_EMAIL);
  else if (g_str_equal (field->name, "phone"))
    adw_entry_row_set_input_purpose (row, GTK_INPUT_PURPOSE_PHONE);
  else if (g_str_equal (field->name, "url"))
    adw_entry_row_set_input_purpose (row, GTK_INPUT_PURPOSE_URL);
  if (field->has_media)
    {
      /* CAPTCHAs are read as typed: no spelling help. */
      adw_entry_row_set_input_hints (row, GTK_INPUT_HINT_NO_SPELLCHECK | GTK_INPUT_HINT_NO_EMOJI);
    }
  return GTK_WIDGET (row);
}

/* Rows for what the server asks, in its order; the password twice. */
static void
build_form (MessengerCreateAccountPage *self)
{
  GPtrArray *fields = messenger_registration_get_form_fields (self->registration);
  const char *domain = messenger_registration_get_domain (self->registration);
  const char *instructions = messenger_registration_get_instructions (self->registration);
  gboolean data_form = messenger_registration_has_data_form (self->registration);
  g_autofree char *title = NULL;

  clear_form (self);
  self->form_serial = messenger_registration_get_form_serial (self->registration);

  /* Translators: %s is a server name such as example.org. */
  title = g_strdup_printf (_("Choose your user name and password on %s."), domain);
  gtk_label_set_label (self->form_title_label, title);
  if (instructions != NULL && *instructions != '\0')
    _messenger_error_label_set (self->instructions_label, instructions);

  for (guint i = 0; i < fields->len; i++)
    {
      const MessengerRegistrationField *field = g_ptr_array_index (fields, i);
      g_autofree char *optional = NULL;
      const char *row_title = field->title;
      GtkWidget *row = NULL;

      if (field->has_media)
        add_picture_rows (self, field);

      /* Legacy forms want every field; a data form says which it needs. */
      if (data_form && !field->required
          && field->kind != MESSENGER_REGISTRATION_FIELD_BOOLEAN
          && field->kind != MESSENGER_REGISTRATION_FIELD_CHOICE
          && field->kind != MESSENGER_REGISTRATION_FIELD_FIXED)
        {
          /* Translators: the title of a field that may be left empty. */
          optional = g_strdup_printf (_("%s (optional)"), field->title);
          row_title = optional;
        }

      switch (field->kind)
        {
        case MESSENGER_REGISTRATION_FIELD_FIXED:
          if (field->value != NULL && *field->value != '\0')
            add_text_row (self, field->value);
          continue;
        case MESSENGER_REGISTRATION_FIELD_BOOLEAN:
          row = add_switch_row (self, field, row_title);
          break;
        case MESSENGER_REGISTRATION_FIELD_CHOICE:
          row = add_choice_row (self, field, row_title);
          break;
        case MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE:
          row = add_checks_row (self, field, row_title);
          break;
        case MESSENGER_REGISTRATION_FIELD_MULTILINE:
          row = add_lines_row (self, field, row_title);
          break;
        case MESSENGER_REGISTRATION_FIELD_TEXT:
        case MESSENGER_REGISTRATION_FIELD_SECRET:
        default:
          row = add_entry_row (self, field, row_title);
          break;
        }
      g_object_set_data_full (G_OBJECT (row), FIELD_KEY, g_strdup (field->name), g_free);
      g_object_set_data (G_OBJECT (row), KIND_KEY, GINT_TO_POINTER (field->kind + 1));
      if (field->required)
        g_object_set_data (G_OBJECT (row), REQUIRED_KEY, GINT_TO_POINTER (TRUE));
      describe_row (row, field);
      row_set_value (row, field->value);

      if (g_strcmp0 (field->name, "password") == 0 && field->kind == MESSENGER_REGISTRATION_FIELD_SECRET)
        {
          AdwEntryRow *confirm = add_row (self, _("Confirm Password"), TRUE);

          g_object_set_data (G_OBJECT (confirm), CONFIRM_KEY, GINT_TO_POINTER (TRUE));
        }
    }
  update_actions (self);
}

/* The first row to answer: the first field, past pictures and text. */
static GtkWidget *
first_input_row (MessengerCreateAccountPage *self)
{
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);

      if (g_object_get_data (G_OBJECT (row), FIELD_KEY) != NULL)
        return row;
    }
  return NULL;
}

/* A row takes the focus itself, or gives it to what it holds. */
static void
focus_row (GtkWidget *row)
{
  GtkWidget *input = g_object_get_data (G_OBJECT (row), INPUT_KEY);

  if (input != NULL && GTK_IS_WIDGET (input))
    gtk_widget_grab_focus (input);
  else
    gtk_widget_grab_focus (row);
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
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);

      if (row_missing (row) || gtk_widget_has_css_class (row, "error"))
        {
          focus_row (row);
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
  if (first_input_row (self) != NULL)
    focus_row (first_input_row (self));
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

/* The server sent a new form (a new CAPTCHA after a refused answer):
 * show it with what the person typed, except answers about pictures. */
static void
rebuild_form (MessengerCreateAccountPage *self)
{
  g_autoptr(GHashTable) typed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *confirm = NULL;
  GPtrArray *fields = messenger_registration_get_form_fields (self->registration);

  for (guint i = 0; i < self->field_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);
      const char *name = g_object_get_data (G_OBJECT (row), FIELD_KEY);

      if (name != NULL)
        g_hash_table_insert (typed, g_strdup (name), row_value (row));
      else if (g_object_get_data (G_OBJECT (row), CONFIRM_KEY) != NULL)
        confirm = g_strdup (row_text (ADW_ENTRY_ROW (row)));
    }
  build_form (self);
  for (guint i = 0; i < fields->len; i++)
    {
      const MessengerRegistrationField *field = g_ptr_array_index (fields, i);
      GtkWidget *row = field->name != NULL ? find_row (self, field->name) : NULL;

      if (row != NULL && !field->has_media && g_hash_table_contains (typed, field->name))
        row_set_value (row, g_hash_table_lookup (typed, field->name));
    }
  for (guint i = 0; i < self->field_rows->len && confirm != NULL; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);

      if (g_object_get_data (G_OBJECT (row), CONFIRM_KEY) != NULL)
        gtk_editable_set_text (GTK_EDITABLE (row), confirm);
    }
  if (confirm != NULL)
    memset (confirm, 0, strlen (confirm));
  update_actions (self);
}

/* The row of the first field about a picture (a CAPTCHA), or NULL. */
static GtkWidget *
challenge_row (MessengerCreateAccountPage *self)
{
  GPtrArray *fields = messenger_registration_get_form_fields (self->registration);

  for (guint i = 0; i < fields->len; i++)
    {
      const MessengerRegistrationField *field = g_ptr_array_index (fields, i);

      if (field->has_media && field->name != NULL)
        return find_row (self, field->name);
    }
  return NULL;
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
      GtkWidget *culprit = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      if (messenger_registration_get_form_serial (self->registration) != self->form_serial)
        {
          rebuild_form (self);
          culprit = challenge_row (self);
        }
      if (g_error_matches (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_CONFLICT)
          || g_error_matches (error, MESSENGER_REGISTRATION_ERROR, MESSENGER_REGISTRATION_ERROR_INVALID))
        culprit = find_row (self, "username");
      show_form_error (self, error->message, culprit);
      return;
    }

  /* Sign in with it, as "Sign In" would. */
  password_row = find_entry_row (self, "password");
  messenger_account_setup_async (self->profile, self->account,
                                 password_row != NULL ? row_text (password_row) : "", TRUE,
                                 self->cancellable, setup_cb, g_object_ref (self));
}

/* Values hold the password: no copy of it outlives its use. */
static void
wipe_free (gpointer text)
{
  memset (text, 0, strlen (text));
  g_free (text);
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

  username_row = find_entry_row (self, "username");
  if (username_row != NULL)
    {
      g_autoptr(XmppJid) jid = xmpp_jid_new_from_parts (row_text (username_row),
                                                        messenger_registration_get_domain (self->registration),
                                                        NULL, NULL);

      if (jid != NULL && messenger_profile_lookup_session (self->profile, xmpp_jid_get_bare_string (jid)) != NULL)
        {
          show_form_error (self, _("This account has already been added."), GTK_WIDGET (username_row));
          return;
        }
    }

  values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, wipe_free);
  for (guint i = 0; i < self->field_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->field_rows, i);
      const char *field = g_object_get_data (G_OBJECT (row), FIELD_KEY);

      if (field != NULL)
        g_hash_table_insert (values, (gpointer) field, row_value (row));
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
