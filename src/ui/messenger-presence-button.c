/* messenger-presence-button.c: choose one's own presence and status
 *
 * The button shows the account's address and, under it, the presence in
 * words (or the connection state); its popover lists the presences and
 * holds the status message.  Choosing a presence while offline connects;
 * choosing Offline disconnects (messenger_account_set_presence does).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-contact-row.h"
#include "messenger-presence-button.h"

struct _MessengerPresenceButton
{
  GtkWidget         parent_instance;

  /* template widgets */
  GtkMenuButton    *menu_button;
  GtkPopover       *popover;
  GtkWidget        *presence_dot;
  GtkLabel         *title_label;
  GtkLabel         *subtitle_label;
  GtkListBox       *presence_list;
  GtkEntry         *status_entry;

  /* owned */
  MessengerAccount *account;
  GSignalGroup     *account_signals;
  const char       *dot_class;
  GtkWidget        *checks[XMPP_SHOW_OFFLINE + 1];
};

G_DEFINE_FINAL_TYPE (MessengerPresenceButton, messenger_presence_button, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* In the order people expect, not the protocol's. */
static const XmppShow choices[] = {
  XMPP_SHOW_AVAILABLE,
  XMPP_SHOW_CHAT,
  XMPP_SHOW_AWAY,
  XMPP_SHOW_XA,
  XMPP_SHOW_DND,
  XMPP_SHOW_OFFLINE,
};

GtkWidget *
messenger_presence_button_new (void)
{
  return g_object_new (MESSENGER_TYPE_PRESENCE_BUTTON, NULL);
}

/* What the account is, as a presence: OFFLINE unless it is online. */
static XmppShow
current_show (MessengerPresenceButton *self)
{
  if (self->account == NULL || messenger_account_get_state (self->account) != MESSENGER_ACCOUNT_ONLINE)
    return XMPP_SHOW_OFFLINE;
  return messenger_account_get_show (self->account);
}

static void
update (MessengerPresenceButton *self)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *description = NULL;
  XmppShow show = current_show (self);
  const char *status = self->account != NULL ? messenger_account_get_status (self->account) : NULL;
  const char *words;
  const char *css_class;

  if (self->account != NULL && messenger_account_get_state (self->account) == MESSENGER_ACCOUNT_CONNECTING)
    {
      words = _("Connecting…");
      css_class = "presence-offline";
    }
  else
    {
      words = messenger_presence_describe (show);
      css_class = messenger_presence_css_class (show);
    }

  if (show != XMPP_SHOW_OFFLINE && status != NULL && *status != '\0')
    /* Translators: own presence and status message, e.g. "Away — at lunch". */
    subtitle = g_strdup_printf (_("%s — %s"), words, status);
  else
    subtitle = g_strdup (words);

  gtk_label_set_label (self->title_label, self->account != NULL ? messenger_account_get_jid (self->account) : _("Messenger"));
  gtk_label_set_label (self->subtitle_label, subtitle);

  if (self->dot_class != NULL)
    gtk_widget_remove_css_class (self->presence_dot, self->dot_class);
  self->dot_class = css_class;
  gtk_widget_add_css_class (self->presence_dot, css_class);

  for (guint i = 0; i < G_N_ELEMENTS (self->checks); i++)
    if (self->checks[i] != NULL)
      gtk_widget_set_opacity (self->checks[i], (XmppShow) i == show ? 1.0 : 0.0);

  gtk_widget_set_sensitive (GTK_WIDGET (self->menu_button), self->account != NULL);

  description = self->account != NULL
    /* Translators: the presence button's description: address and presence. */
    ? g_strdup_printf (_("%s, %s"), messenger_account_get_jid (self->account), subtitle)
    : g_strdup (subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
account_notify_cb (MessengerPresenceButton *self,
                   GParamSpec              *pspec,
                   MessengerAccount        *account)
{
  update (self);
}

static void
apply (MessengerPresenceButton *self,
       XmppShow                 show)
{
  g_autofree char *status = NULL;
  MessengerAccountState state;

  if (self->account == NULL)
    return;

  status = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->status_entry))));
  messenger_account_set_presence (self->account, show, *status != '\0' ? status : NULL);
  state = messenger_account_get_state (self->account);
  if (show != XMPP_SHOW_OFFLINE
      && (state == MESSENGER_ACCOUNT_OFFLINE || state == MESSENGER_ACCOUNT_ERROR))
    messenger_account_connect (self->account);
  gtk_popover_popdown (self->popover);
}

static void
presence_row_activated_cb (MessengerPresenceButton *self,
                           GtkListBoxRow           *row,
                           GtkListBox              *list)
{
  int index = gtk_list_box_row_get_index (row);

  if (index >= 0 && index < (int) G_N_ELEMENTS (choices))
    apply (self, choices[index]);
}

static void
status_activate_cb (MessengerPresenceButton *self,
                    GtkEntry                *entry)
{
  XmppShow show = current_show (self);

  /* A status message is for being online: from offline it connects as
   * Available. */
  apply (self, show == XMPP_SHOW_OFFLINE ? XMPP_SHOW_AVAILABLE : show);
}

static void
status_clear_cb (MessengerPresenceButton *self,
                 GtkEntryIconPosition     position,
                 GtkEntry                *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  if (current_show (self) != XMPP_SHOW_OFFLINE)
    apply (self, current_show (self));
}

static void
popover_show_cb (MessengerPresenceButton *self,
                 GtkPopover              *popover)
{
  const char *status = self->account != NULL ? messenger_account_get_status (self->account) : NULL;

  gtk_editable_set_text (GTK_EDITABLE (self->status_entry), status != NULL ? status : "");
}

MessengerAccount *
messenger_presence_button_get_account (MessengerPresenceButton *self)
{
  g_return_val_if_fail (MESSENGER_IS_PRESENCE_BUTTON (self), NULL);
  return self->account;
}

void
messenger_presence_button_set_account (MessengerPresenceButton *self,
                                       MessengerAccount        *account)
{
  g_return_if_fail (MESSENGER_IS_PRESENCE_BUTTON (self));
  g_return_if_fail (account == NULL || MESSENGER_IS_ACCOUNT (account));

  if (!g_set_object (&self->account, account))
    return;
  g_signal_group_set_target (self->account_signals, account);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACCOUNT]);
}

static void
build_rows (MessengerPresenceButton *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    {
      const char *words = messenger_presence_describe (choices[i]);
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *dot = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
      GtkWidget *label = gtk_label_new (words);
      GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

      gtk_widget_add_css_class (dot, "presence-dot");
      gtk_widget_add_css_class (dot, messenger_presence_css_class (choices[i]));
      gtk_widget_set_valign (dot, GTK_ALIGN_CENTER);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_set_opacity (check, 0.0);
      gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Current"), -1);
      gtk_box_append (GTK_BOX (box), dot);
      gtk_box_append (GTK_BOX (box), label);
      gtk_box_append (GTK_BOX (box), check);
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, words, -1);
      gtk_list_box_append (self->presence_list, row);
      self->checks[choices[i]] = check;
    }
}

static void
messenger_presence_button_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  MessengerPresenceButton *self = MESSENGER_PRESENCE_BUTTON (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_presence_button_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  MessengerPresenceButton *self = MESSENGER_PRESENCE_BUTTON (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      messenger_presence_button_set_account (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_presence_button_dispose (GObject *object)
{
  MessengerPresenceButton *self = MESSENGER_PRESENCE_BUTTON (object);
  GtkWidget *child;

  if (self->account_signals != NULL)
    g_signal_group_set_target (self->account_signals, NULL);
  g_clear_object (&self->account_signals);
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_PRESENCE_BUTTON);
  /* Children the template does not name, e.g. the top box. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (messenger_presence_button_parent_class)->dispose (object);
}

static void
messenger_presence_button_class_init (MessengerPresenceButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_presence_button_get_property;
  object_class->set_property = messenger_presence_button_set_property;
  object_class->dispose = messenger_presence_button_dispose;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-presence-button.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, menu_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, popover);
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, presence_dot);
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, title_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, presence_list);
  gtk_widget_class_bind_template_child (widget_class, MessengerPresenceButton, status_entry);
  gtk_widget_class_bind_template_callback (widget_class, presence_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, status_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, status_clear_cb);
  gtk_widget_class_bind_template_callback (widget_class, popover_show_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "presence-button");
}

static void
messenger_presence_button_init (MessengerPresenceButton *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->account_signals = g_signal_group_new (MESSENGER_TYPE_ACCOUNT);
  g_signal_group_connect_object (self->account_signals, "notify::state", G_CALLBACK (account_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->account_signals, "notify::show", G_CALLBACK (account_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->account_signals, "notify::status", G_CALLBACK (account_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  build_rows (self);
  update (self);
}
