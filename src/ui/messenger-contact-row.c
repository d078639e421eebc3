/* messenger-contact-row.c: one contact (or conversation) in a list
 *
 * Rows are recycled by the list's factory: binding a contact only
 * connects one "notify" handler (through a GSignalGroup) and copies a few
 * strings; the picture is looked up in the avatar cache (a hash lookup)
 * and decoded by MessengerAvatarImage only when shown.
 *
 * The row's accessible label says everything a sighted person reads from
 * it: "Name, Away: status, 2 unread messages".
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-avatar.h"
#include "messenger-avatar-image.h"
#include "messenger-contact-row.h"

struct _MessengerContactRow
{
  GtkWidget              parent_instance;

  /* template widgets */
  GtkWidget             *box;
  MessengerAvatarImage  *avatar;
  GtkWidget             *presence_dot;
  GtkLabel              *name_label;
  GtkInscription        *status_label;
  GtkLabel              *unread_label;

  /* owned */
  MessengerContact      *contact;
  MessengerConversation *conversation;
  MessengerAvatarCache  *avatar_cache;
  GSignalGroup          *contact_signals;
  GSignalGroup          *conversation_signals;
  GSignalGroup          *cache_signals;
  GtkWidget             *menu;
  const char            *dot_class;
  const char            *dot_label;          /* translated, static */
  char                  *accessible_label;   /* last one set */
};

G_DEFINE_FINAL_TYPE (MessengerContactRow, messenger_contact_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTACT,
  PROP_CONVERSATION,
  PROP_AVATAR_CACHE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
messenger_presence_describe (XmppShow show)
{
  switch (show)
    {
    case XMPP_SHOW_CHAT:
      return _("Free to Chat");
    case XMPP_SHOW_AVAILABLE:
      return _("Available");
    case XMPP_SHOW_AWAY:
      return _("Away");
    case XMPP_SHOW_XA:
      return _("Extended Away");
    case XMPP_SHOW_DND:
      return _("Do Not Disturb");
    case XMPP_SHOW_OFFLINE:
    default:
      return _("Offline");
    }
}

const char *
messenger_presence_css_class (XmppShow show)
{
  switch (show)
    {
    case XMPP_SHOW_CHAT:
    case XMPP_SHOW_AVAILABLE:
      return "presence-available";
    case XMPP_SHOW_AWAY:
    case XMPP_SHOW_XA:
      return "presence-away";
    case XMPP_SHOW_DND:
      return "presence-busy";
    case XMPP_SHOW_OFFLINE:
    default:
      return "presence-offline";
    }
}

GtkWidget *
messenger_contact_row_new (void)
{
  return g_object_new (MESSENGER_TYPE_CONTACT_ROW, NULL);
}

const char *
messenger_contact_row_get_jid (MessengerContactRow *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT_ROW (self), NULL);

  if (self->contact != NULL)
    return messenger_contact_get_jid (self->contact);
  if (self->conversation != NULL)
    return messenger_conversation_get_peer (self->conversation);
  return NULL;
}

static void
set_dot_class (MessengerContactRow *self,
               const char          *css_class)
{
  if (self->dot_class == css_class)
    return;
  if (self->dot_class != NULL)
    gtk_widget_remove_css_class (self->presence_dot, self->dot_class);
  self->dot_class = css_class;
  if (css_class != NULL)
    gtk_widget_add_css_class (self->presence_dot, css_class);
}

static void
update_avatar (MessengerContactRow *self)
{
  const char *jid = messenger_contact_row_get_jid (self);
  g_autoptr(GIcon) icon = NULL;

  if (jid != NULL && self->avatar_cache != NULL)
    icon = messenger_avatar_cache_lookup (self->avatar_cache, jid);
  messenger_avatar_image_set_icon (self->avatar, icon);
}

static void
update (MessengerContactRow *self)
{
  g_autofree char *accessible = NULL;
  g_autofree char *unread_text = NULL;
  const char *name = NULL, *status = NULL, *jid = NULL, *presence = NULL;
  guint unread = 0;

  if (self->contact != NULL)
    {
      XmppShow show = messenger_contact_get_show (self->contact);

      jid = messenger_contact_get_jid (self->contact);
      name = messenger_contact_get_display_name (self->contact);
      status = messenger_contact_get_status (self->contact);
      presence = messenger_presence_describe (show);
      unread = messenger_contact_get_unread_count (self->contact);
      messenger_avatar_image_set_color (self->avatar, messenger_contact_get_color (self->contact));
      messenger_avatar_image_set_initials (self->avatar, messenger_contact_get_initials (self->contact));
      set_dot_class (self, messenger_presence_css_class (show));
      gtk_widget_set_visible (self->presence_dot, TRUE);
      if (self->dot_label != presence)
        {
          gtk_accessible_update_property (GTK_ACCESSIBLE (self->presence_dot),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, presence, -1);
          self->dot_label = presence;
        }
    }
  else if (self->conversation != NULL)
    {
      g_autofree char *color = NULL;
      g_autofree char *initials = NULL;

      jid = messenger_conversation_get_peer (self->conversation);
      name = messenger_conversation_get_display_name (self->conversation);
      unread = messenger_conversation_get_unread_count (self->conversation);
      color = messenger_avatar_color (jid);
      initials = messenger_avatar_initials (name);
      messenger_avatar_image_set_color (self->avatar, color);
      messenger_avatar_image_set_initials (self->avatar, initials);
      set_dot_class (self, NULL);
      gtk_widget_set_visible (self->presence_dot, FALSE);
    }
  else
    {
      messenger_avatar_image_set_color (self->avatar, NULL);
      messenger_avatar_image_set_initials (self->avatar, NULL);
      gtk_widget_set_visible (self->presence_dot, FALSE);
    }

  gtk_label_set_label (self->name_label, name != NULL ? name : "");
  /* The status message, else the presence in words; for someone not in
   * the contacts, their address (the name may be the same). */
  if (self->contact != NULL)
    gtk_inscription_set_text (self->status_label, status != NULL && *status != '\0' ? status : presence);
  else
    gtk_inscription_set_text (self->status_label, g_strcmp0 (name, jid) != 0 ? jid : _("Not in your contacts"));

  if (unread > 0)
    {
      g_autofree char *count = g_strdup_printf ("%u", unread);

      gtk_label_set_label (self->unread_label, unread > 99 ? "99+" : count);
      unread_text = g_strdup_printf (ngettext ("%u unread message", "%u unread messages", unread), unread);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), unread > 0);

  if (name == NULL)
    accessible = g_strdup ("");
  else if (presence != NULL && status != NULL && *status != '\0')
    /* Translators: a contact in the list: name, presence and status message, e.g. "Bob, Away: at lunch". */
    accessible = g_strdup_printf (_("%s, %s: %s"), name, presence, status);
  else if (presence != NULL)
    /* Translators: a contact in the list: name and presence, e.g. "Bob, Available". */
    accessible = g_strdup_printf (_("%s, %s"), name, presence);
  else
    accessible = g_strdup (name);
  if (unread_text != NULL)
    {
      char *with_unread = g_strdup_printf (_("%s, %s"), accessible, unread_text);

      g_free (accessible);
      accessible = with_unread;
    }
  if (g_strcmp0 (accessible, self->accessible_label) != 0)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, presence != NULL ? presence : (jid != NULL ? jid : ""),
                                      -1);
      g_free (self->accessible_label);
      self->accessible_label = g_steal_pointer (&accessible);
    }
}

/* The address on hover.  Asked for only then: setting a tooltip on every
 * bind costs an X server round trip per row. */
static gboolean
query_tooltip_cb (MessengerContactRow *self,
                  int                  x,
                  int                  y,
                  gboolean             keyboard,
                  GtkTooltip          *tooltip)
{
  const char *jid = messenger_contact_row_get_jid (self);

  if (jid == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, jid);
  return TRUE;
}

static void
contact_notify_cb (MessengerContactRow *self,
                   GParamSpec          *pspec,
                   GObject             *object)
{
  /* Only what the row shows. */
  const char *name = pspec->name;

  if (g_str_equal (name, "display-name") || g_str_equal (name, "show") || g_str_equal (name, "status")
      || g_str_equal (name, "unread-count") || g_str_equal (name, "initials") || g_str_equal (name, "color"))
    update (self);
}

static void
conversation_notify_cb (MessengerContactRow *self,
                        GParamSpec          *pspec,
                        GObject             *object)
{
  update (self);
}

static void
cache_changed_cb (MessengerContactRow  *self,
                  const char           *jid,
                  MessengerAvatarCache *cache)
{
  if (g_strcmp0 (jid, messenger_contact_row_get_jid (self)) == 0)
    update_avatar (self);
}

MessengerContact *
messenger_contact_row_get_contact (MessengerContactRow *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT_ROW (self), NULL);
  return self->contact;
}

void
messenger_contact_row_set_contact (MessengerContactRow *self,
                                   MessengerContact    *contact)
{
  g_return_if_fail (MESSENGER_IS_CONTACT_ROW (self));
  g_return_if_fail (contact == NULL || MESSENGER_IS_CONTACT (contact));

  if (!g_set_object (&self->contact, contact))
    return;
  g_signal_group_set_target (self->contact_signals, contact);
  if (self->menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->menu));
  /* Unbinding (nothing left to show) leaves the widgets as they are: the
   * row is off screen until it is bound again. */
  if (self->contact != NULL || self->conversation != NULL)
    {
      update (self);
      update_avatar (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
}

MessengerConversation *
messenger_contact_row_get_conversation (MessengerContactRow *self)
{
  g_return_val_if_fail (MESSENGER_IS_CONTACT_ROW (self), NULL);
  return self->conversation;
}

void
messenger_contact_row_set_conversation (MessengerContactRow   *self,
                                        MessengerConversation *conversation)
{
  g_return_if_fail (MESSENGER_IS_CONTACT_ROW (self));
  g_return_if_fail (conversation == NULL || MESSENGER_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;
  g_signal_group_set_target (self->conversation_signals, conversation);
  if (self->menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->menu));
  if (self->contact != NULL || self->conversation != NULL)
    {
      update (self);
      update_avatar (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

void
messenger_contact_row_set_avatar_cache (MessengerContactRow  *self,
                                        MessengerAvatarCache *cache)
{
  g_return_if_fail (MESSENGER_IS_CONTACT_ROW (self));
  g_return_if_fail (cache == NULL || MESSENGER_IS_AVATAR_CACHE (cache));

  if (!g_set_object (&self->avatar_cache, cache))
    return;
  g_signal_group_set_target (self->cache_signals, cache);
  update_avatar (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVATAR_CACHE]);
}

void
messenger_contact_row_popup_menu (MessengerContactRow *self,
                                  double               x,
                                  double               y)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  const char *jid = messenger_contact_row_get_jid (self);

  g_return_if_fail (MESSENGER_IS_CONTACT_ROW (self));

  if (jid == NULL)
    return;

  {
    g_autoptr(GMenuItem) open = g_menu_item_new (_("_Open Conversation"), NULL);
    g_autoptr(GMenuItem) second = NULL;
    g_autoptr(GMenuItem) third = NULL;

    g_menu_item_set_action_and_target_value (open, "sidebar.open-contact", g_variant_new_string (jid));
    g_menu_append_item (menu, open);
    if (self->contact != NULL)
      {
        second = g_menu_item_new (_("_Rename…"), NULL);
        g_menu_item_set_action_and_target_value (second, "sidebar.rename-contact", g_variant_new_string (jid));
        third = g_menu_item_new (_("Re_move Contact…"), NULL);
        g_menu_item_set_action_and_target_value (third, "sidebar.remove-contact", g_variant_new_string (jid));
      }
    else
      {
        second = g_menu_item_new (_("_Add to Contacts…"), NULL);
        g_menu_item_set_action_and_target_value (second, "sidebar.add-contact-address", g_variant_new_string (jid));
      }
    g_menu_append_item (menu, second);
    if (third != NULL)
      g_menu_append_item (menu, third);
  }

  if (self->menu == NULL)
    {
      self->menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
      gtk_widget_set_parent (self->menu, GTK_WIDGET (self));
      gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
      gtk_widget_set_halign (self->menu, GTK_ALIGN_START);
    }
  else
    gtk_popover_menu_set_menu_model (GTK_POPOVER_MENU (self->menu), G_MENU_MODEL (menu));

  if (x >= 0 && y >= 0)
    gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  else
    gtk_popover_set_pointing_to (GTK_POPOVER (self->menu),
                                 &(GdkRectangle) { 0, gtk_widget_get_height (GTK_WIDGET (self)), 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

static void
secondary_click_cb (GtkGestureClick     *gesture,
                    int                  n_press,
                    double               x,
                    double               y,
                    MessengerContactRow *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  messenger_contact_row_popup_menu (self, x, y);
}

static void
long_press_cb (GtkGestureLongPress *gesture,
               double               x,
               double               y,
               MessengerContactRow *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  messenger_contact_row_popup_menu (self, x, y);
}

static void
messenger_contact_row_size_allocate (GtkWidget *widget,
                                     int        width,
                                     int        height,
                                     int        baseline)
{
  MessengerContactRow *self = MESSENGER_CONTACT_ROW (widget);

  GTK_WIDGET_CLASS (messenger_contact_row_parent_class)->size_allocate (widget, width, height, baseline);
  if (self->menu != NULL)
    gtk_popover_present (GTK_POPOVER (self->menu));
}

static void
messenger_contact_row_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MessengerContactRow *self = MESSENGER_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    case PROP_AVATAR_CACHE:
      g_value_set_object (value, self->avatar_cache);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_contact_row_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MessengerContactRow *self = MESSENGER_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      messenger_contact_row_set_contact (self, g_value_get_object (value));
      break;
    case PROP_CONVERSATION:
      messenger_contact_row_set_conversation (self, g_value_get_object (value));
      break;
    case PROP_AVATAR_CACHE:
      messenger_contact_row_set_avatar_cache (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_contact_row_dispose (GObject *object)
{
  MessengerContactRow *self = MESSENGER_CONTACT_ROW (object);
  GtkWidget *child;

  g_clear_pointer (&self->menu, gtk_widget_unparent);
  if (self->contact_signals != NULL)
    g_signal_group_set_target (self->contact_signals, NULL);
  if (self->conversation_signals != NULL)
    g_signal_group_set_target (self->conversation_signals, NULL);
  if (self->cache_signals != NULL)
    g_signal_group_set_target (self->cache_signals, NULL);
  g_clear_object (&self->contact_signals);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->cache_signals);
  g_clear_object (&self->contact);
  g_clear_object (&self->conversation);
  g_clear_object (&self->avatar_cache);
  g_clear_pointer (&self->accessible_label, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_CONTACT_ROW);
  /* Children the template does not name, e.g. the top box. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (messenger_contact_row_parent_class)->dispose (object);
}

static void
messenger_contact_row_class_init (MessengerContactRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_contact_row_get_property;
  object_class->set_property = messenger_contact_row_set_property;
  object_class->dispose = messenger_contact_row_dispose;
  widget_class->size_allocate = messenger_contact_row_size_allocate;

  properties[PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL, MESSENGER_TYPE_CONTACT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, MESSENGER_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AVATAR_CACHE] =
    g_param_spec_object ("avatar-cache", NULL, NULL, MESSENGER_TYPE_AVATAR_CACHE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MESSENGER_TYPE_AVATAR_IMAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-contact-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerContactRow, box);
  gtk_widget_class_bind_template_child (widget_class, MessengerContactRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, MessengerContactRow, presence_dot);
  gtk_widget_class_bind_template_child (widget_class, MessengerContactRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerContactRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerContactRow, unread_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "contact-row");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
messenger_contact_row_init (MessengerContactRow *self)
{
  GtkGesture *gesture;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);

  self->contact_signals = g_signal_group_new (MESSENGER_TYPE_CONTACT);
  g_signal_group_connect_object (self->contact_signals, "notify", G_CALLBACK (contact_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  self->conversation_signals = g_signal_group_new (MESSENGER_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->conversation_signals, "notify::unread-count", G_CALLBACK (conversation_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->conversation_signals, "notify::display-name", G_CALLBACK (conversation_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  self->cache_signals = g_signal_group_new (MESSENGER_TYPE_AVATAR_CACHE);
  g_signal_group_connect_object (self->cache_signals, "changed", G_CALLBACK (cache_changed_cb),
                                 self, G_CONNECT_SWAPPED);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);

  gesture = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (secondary_click_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (gesture), TRUE);
  g_signal_connect (gesture, "pressed", G_CALLBACK (long_press_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  update (self);
}
