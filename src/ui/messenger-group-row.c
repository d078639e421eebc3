/* messenger-group-row.c: a roster group heading (name, online/total) */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-group-row.h"

struct _MessengerGroupRow
{
  GtkWidget       parent_instance;

  /* template widgets */
  GtkLabel       *name_label;
  GtkLabel       *count_label;

  /* owned */
  MessengerGroup *group;
  GSignalGroup   *group_signals;
};

G_DEFINE_FINAL_TYPE (MessengerGroupRow, messenger_group_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_GROUP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
messenger_group_row_new (void)
{
  return g_object_new (MESSENGER_TYPE_GROUP_ROW, NULL);
}

static void
update (MessengerGroupRow *self)
{
  g_autofree char *count = NULL;
  g_autofree char *accessible = NULL;
  const char *name = "";
  guint online = 0, total = 0;

  if (self->group != NULL)
    {
      name = messenger_group_get_name (self->group);
      online = messenger_group_get_online_count (self->group);
      total = messenger_group_get_total_count (self->group);
    }
  /* Translators: online and total contacts of a group, e.g. "3/10". */
  count = g_strdup_printf (_("%u/%u"), online, total);
  gtk_label_set_label (self->name_label, name);
  gtk_label_set_label (self->count_label, count);

  /* Translators: a contact group in the list, e.g. "Friends, 3 of 10 online". */
  accessible = g_strdup_printf (ngettext ("%s, %u of %u online", "%s, %u of %u online", total), name, online, total);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

static void
group_notify_cb (MessengerGroupRow *self,
                 GParamSpec        *pspec,
                 MessengerGroup    *group)
{
  update (self);
}

MessengerGroup *
messenger_group_row_get_group (MessengerGroupRow *self)
{
  g_return_val_if_fail (MESSENGER_IS_GROUP_ROW (self), NULL);
  return self->group;
}

void
messenger_group_row_set_group (MessengerGroupRow *self,
                               MessengerGroup    *group)
{
  g_return_if_fail (MESSENGER_IS_GROUP_ROW (self));
  g_return_if_fail (group == NULL || MESSENGER_IS_GROUP (group));

  if (!g_set_object (&self->group, group))
    return;
  g_signal_group_set_target (self->group_signals, group);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP]);
}

static void
messenger_group_row_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MessengerGroupRow *self = MESSENGER_GROUP_ROW (object);

  switch (prop_id)
    {
    case PROP_GROUP:
      g_value_set_object (value, self->group);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_group_row_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MessengerGroupRow *self = MESSENGER_GROUP_ROW (object);

  switch (prop_id)
    {
    case PROP_GROUP:
      messenger_group_row_set_group (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_group_row_dispose (GObject *object)
{
  MessengerGroupRow *self = MESSENGER_GROUP_ROW (object);
  GtkWidget *child;

  if (self->group_signals != NULL)
    g_signal_group_set_target (self->group_signals, NULL);
  g_clear_object (&self->group_signals);
  g_clear_object (&self->group);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_GROUP_ROW);
  /* Children the template does not name, e.g. the top box. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (messenger_group_row_parent_class)->dispose (object);
}

static void
messenger_group_row_class_init (MessengerGroupRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_group_row_get_property;
  object_class->set_property = messenger_group_row_set_property;
  object_class->dispose = messenger_group_row_dispose;

  properties[PROP_GROUP] =
    g_param_spec_object ("group", NULL, NULL, MESSENGER_TYPE_GROUP,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-group-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerGroupRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerGroupRow, count_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "group-row");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
messenger_group_row_init (MessengerGroupRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);

  self->group_signals = g_signal_group_new (MESSENGER_TYPE_GROUP);
  g_signal_group_connect_object (self->group_signals, "notify::online-count", G_CALLBACK (group_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::total-count", G_CALLBACK (group_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  update (self);
}
