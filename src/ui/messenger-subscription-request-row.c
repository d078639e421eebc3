/* messenger-subscription-request-row.c: "X wants to add you", Approve / Deny
 *
 * Approving lets the person see our presence and, when they are not yet
 * someone whose presence we see, asks to see theirs too (the row asks
 * the sidebar through "sidebar.add-contact-back"), so "add me" ends with
 * both in each other's contacts, as people expect.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-avatar-image.h"
#include "messenger-subscription-request-row.h"

struct _MessengerSubscriptionRequestRow
{
  GtkWidget                      parent_instance;

  /* template widgets */
  MessengerAvatarImage          *avatar;
  GtkLabel                      *message_label;
  GtkButton                     *approve_button;
  GtkButton                     *deny_button;

  /* owned */
  MessengerSubscriptionRequest  *request;
  MessengerSubscriptionRequests *requests;
};

G_DEFINE_FINAL_TYPE (MessengerSubscriptionRequestRow, messenger_subscription_request_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_REQUEST,
  PROP_REQUESTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
messenger_subscription_request_row_new (void)
{
  return g_object_new (MESSENGER_TYPE_SUBSCRIPTION_REQUEST_ROW, NULL);
}

static void
update (MessengerSubscriptionRequestRow *self)
{
  g_autofree char *text = NULL;
  const char *jid = NULL;

  if (self->request != NULL)
    {
      jid = messenger_subscription_request_get_jid (self->request);
      /* Translators: %s is an address like bob@example.org. */
      text = g_strdup_printf (_("%s wants to add you as a contact"), jid);
      messenger_avatar_image_set_color (self->avatar, messenger_subscription_request_get_color (self->request));
      messenger_avatar_image_set_initials (self->avatar, messenger_subscription_request_get_initials (self->request));
    }
  gtk_label_set_label (self->message_label, text != NULL ? text : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text != NULL ? text : "",
                                  -1);
}

static void
approve_clicked_cb (MessengerSubscriptionRequestRow *self)
{
  g_autoptr(MessengerSubscriptionRequest) request = NULL;

  if (self->request == NULL || self->requests == NULL)
    return;
  /* The row may be recycled as the request leaves the list. */
  request = g_object_ref (self->request);
  if (messenger_subscription_requests_approve (self->requests, request))
    gtk_widget_activate_action (GTK_WIDGET (self), "sidebar.add-contact-back", "s",
                                messenger_subscription_request_get_jid (request));
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "sidebar.show-offline-error", NULL);
}

static void
deny_clicked_cb (MessengerSubscriptionRequestRow *self)
{
  g_autoptr(MessengerSubscriptionRequest) request = NULL;

  if (self->request == NULL || self->requests == NULL)
    return;
  request = g_object_ref (self->request);
  if (!messenger_subscription_requests_deny (self->requests, request))
    gtk_widget_activate_action (GTK_WIDGET (self), "sidebar.show-offline-error", NULL);
}

MessengerSubscriptionRequest *
messenger_subscription_request_row_get_request (MessengerSubscriptionRequestRow *self)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST_ROW (self), NULL);
  return self->request;
}

void
messenger_subscription_request_row_set_request (MessengerSubscriptionRequestRow *self,
                                                MessengerSubscriptionRequest    *request)
{
  g_return_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST_ROW (self));
  g_return_if_fail (request == NULL || MESSENGER_IS_SUBSCRIPTION_REQUEST (request));

  if (!g_set_object (&self->request, request))
    return;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUEST]);
}

void
messenger_subscription_request_row_set_requests (MessengerSubscriptionRequestRow *self,
                                                 MessengerSubscriptionRequests   *requests)
{
  g_return_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST_ROW (self));
  g_return_if_fail (requests == NULL || MESSENGER_IS_SUBSCRIPTION_REQUESTS (requests));

  if (g_set_object (&self->requests, requests))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS]);
}

static void
messenger_subscription_request_row_get_property (GObject    *object,
                                                 guint       prop_id,
                                                 GValue     *value,
                                                 GParamSpec *pspec)
{
  MessengerSubscriptionRequestRow *self = MESSENGER_SUBSCRIPTION_REQUEST_ROW (object);

  switch (prop_id)
    {
    case PROP_REQUEST:
      g_value_set_object (value, self->request);
      break;
    case PROP_REQUESTS:
      g_value_set_object (value, self->requests);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_subscription_request_row_set_property (GObject      *object,
                                                 guint         prop_id,
                                                 const GValue *value,
                                                 GParamSpec   *pspec)
{
  MessengerSubscriptionRequestRow *self = MESSENGER_SUBSCRIPTION_REQUEST_ROW (object);

  switch (prop_id)
    {
    case PROP_REQUEST:
      messenger_subscription_request_row_set_request (self, g_value_get_object (value));
      break;
    case PROP_REQUESTS:
      messenger_subscription_request_row_set_requests (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_subscription_request_row_dispose (GObject *object)
{
  MessengerSubscriptionRequestRow *self = MESSENGER_SUBSCRIPTION_REQUEST_ROW (object);
  GtkWidget *child;

  g_clear_object (&self->request);
  g_clear_object (&self->requests);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_SUBSCRIPTION_REQUEST_ROW);
  /* Children the template does not name, e.g. the top box. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (messenger_subscription_request_row_parent_class)->dispose (object);
}

static void
messenger_subscription_request_row_class_init (MessengerSubscriptionRequestRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_subscription_request_row_get_property;
  object_class->set_property = messenger_subscription_request_row_set_property;
  object_class->dispose = messenger_subscription_request_row_dispose;

  properties[PROP_REQUEST] =
    g_param_spec_object ("request", NULL, NULL, MESSENGER_TYPE_SUBSCRIPTION_REQUEST,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUESTS] =
    g_param_spec_object ("requests", NULL, NULL, MESSENGER_TYPE_SUBSCRIPTION_REQUESTS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MESSENGER_TYPE_AVATAR_IMAGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/example/Messenger/messenger-subscription-request-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerSubscriptionRequestRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, MessengerSubscriptionRequestRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerSubscriptionRequestRow, approve_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerSubscriptionRequestRow, deny_button);
  gtk_widget_class_bind_template_callback (widget_class, approve_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, deny_clicked_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "subscription-request-row");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
messenger_subscription_request_row_init (MessengerSubscriptionRequestRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}
