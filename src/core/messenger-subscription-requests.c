/* messenger-subscription-requests.c: pending requests to see our presence */
#include "config.h"

#include <string.h>

#include "messenger-subscription-requests.h"

struct _MessengerSubscriptionRequests
{
  GObject           parent_instance;

  /* owned */
  MessengerAccount *account;
  GPtrArray        *items;   /* MessengerSubscriptionRequest, oldest first */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MessengerSubscriptionRequests, messenger_subscription_requests, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
items_changed (MessengerSubscriptionRequests *self,
               guint                          position,
               guint                          removed,
               guint                          added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static gboolean
find (MessengerSubscriptionRequests *self,
      const char                    *jid,
      guint                         *position)
{
  for (guint i = 0; i < self->items->len; i++)
    if (strcmp (messenger_subscription_request_get_jid (self->items->pdata[i]), jid) == 0)
      {
        *position = i;
        return TRUE;
      }
  return FALSE;
}

static void
remove_jid (MessengerSubscriptionRequests *self,
            const char                    *jid)
{
  guint position;

  if (!find (self, jid, &position))
    return;
  g_ptr_array_remove_index (self->items, position);
  items_changed (self, position, 1, 0);
}

static void
subscription_cb (MessengerAccount              *account,
                 XmppJid                       *from,
                 XmppPresenceType               type,
                 MessengerSubscriptionRequests *self)
{
  const char *jid = xmpp_jid_get_bare_string (from);
  guint position;

  switch (type)
    {
    case XMPP_PRESENCE_SUBSCRIBE:
      /* Servers deliver an unanswered request again at each login. */
      if (!find (self, jid, &position))
        {
          g_ptr_array_add (self->items, messenger_subscription_request_new (jid));
          items_changed (self, self->items->len - 1, 0, 1);
        }
      break;
    case XMPP_PRESENCE_UNSUBSCRIBE:
      /* They withdrew it. */
      remove_jid (self, jid);
      break;
    case XMPP_PRESENCE_AVAILABLE:
    case XMPP_PRESENCE_UNAVAILABLE:
    case XMPP_PRESENCE_SUBSCRIBED:
    case XMPP_PRESENCE_UNSUBSCRIBED:
    case XMPP_PRESENCE_PROBE:
    case XMPP_PRESENCE_ERROR:
    default:
      break;
    }
}

/* Answered from another device: they see our presence now. */
static void
check_item (MessengerSubscriptionRequests *self,
            const XmppRosterItem          *item)
{
  if (item->subscription == XMPP_SUBSCRIPTION_FROM || item->subscription == XMPP_SUBSCRIPTION_BOTH)
    remove_jid (self, xmpp_jid_get_bare_string (item->jid));
}

static void
roster_push_cb (MessengerAccount              *account,
                XmppRosterItem                *item,
                const char                    *version,
                MessengerSubscriptionRequests *self)
{
  check_item (self, item);
}

static void
roster_received_cb (MessengerAccount              *account,
                    GPtrArray                     *items,
                    const char                    *version,
                    gboolean                       unchanged,
                    MessengerSubscriptionRequests *self)
{
  for (guint i = 0; items != NULL && i < items->len; i++)
    check_item (self, items->pdata[i]);
}

static gboolean
answer (MessengerSubscriptionRequests *self,
        MessengerSubscriptionRequest  *request,
        XmppPresenceType               type)
{
  XmppPresenceManager *presence = messenger_account_get_presence (self->account);
  g_autoptr(XmppJid) jid = NULL;
  g_autofree char *bare = NULL;

  if (presence == NULL)
    return FALSE;
  if ((jid = xmpp_jid_new (messenger_subscription_request_get_jid (request), NULL)) == NULL)
    return FALSE;

  xmpp_presence_manager_send_type (presence, jid, type);
  bare = g_strdup (messenger_subscription_request_get_jid (request));
  remove_jid (self, bare);
  return TRUE;
}

MessengerSubscriptionRequests *
messenger_subscription_requests_new (MessengerAccount *account)
{
  MessengerSubscriptionRequests *self;

  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (account), NULL);

  self = g_object_new (MESSENGER_TYPE_SUBSCRIPTION_REQUESTS, "account", account, NULL);
  g_signal_connect_object (account, "subscription", G_CALLBACK (subscription_cb), self, 0);
  g_signal_connect_object (account, "roster-push", G_CALLBACK (roster_push_cb), self, 0);
  g_signal_connect_object (account, "roster-received", G_CALLBACK (roster_received_cb), self, 0);
  return self;
}

gboolean
messenger_subscription_requests_approve (MessengerSubscriptionRequests *self,
                                         MessengerSubscriptionRequest  *request)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUESTS (self), FALSE);
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST (request), FALSE);

  return answer (self, request, XMPP_PRESENCE_SUBSCRIBED);
}

gboolean
messenger_subscription_requests_deny (MessengerSubscriptionRequests *self,
                                      MessengerSubscriptionRequest  *request)
{
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUESTS (self), FALSE);
  g_return_val_if_fail (MESSENGER_IS_SUBSCRIPTION_REQUEST (request), FALSE);

  return answer (self, request, XMPP_PRESENCE_UNSUBSCRIBED);
}

static GType
messenger_subscription_requests_get_item_type (GListModel *model)
{
  return MESSENGER_TYPE_SUBSCRIPTION_REQUEST;
}

static guint
messenger_subscription_requests_get_n_items (GListModel *model)
{
  return MESSENGER_SUBSCRIPTION_REQUESTS (model)->items->len;
}

static gpointer
messenger_subscription_requests_get_item (GListModel *model,
                                          guint       position)
{
  MessengerSubscriptionRequests *self = MESSENGER_SUBSCRIPTION_REQUESTS (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = messenger_subscription_requests_get_item_type;
  iface->get_n_items = messenger_subscription_requests_get_n_items;
  iface->get_item = messenger_subscription_requests_get_item;
}

static void
messenger_subscription_requests_get_property (GObject    *object,
                                              guint       prop_id,
                                              GValue     *value,
                                              GParamSpec *pspec)
{
  MessengerSubscriptionRequests *self = MESSENGER_SUBSCRIPTION_REQUESTS (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_subscription_requests_set_property (GObject      *object,
                                              guint         prop_id,
                                              const GValue *value,
                                              GParamSpec   *pspec)
{
  MessengerSubscriptionRequests *self = MESSENGER_SUBSCRIPTION_REQUESTS (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_subscription_requests_dispose (GObject *object)
{
  MessengerSubscriptionRequests *self = MESSENGER_SUBSCRIPTION_REQUESTS (object);

  g_clear_object (&self->account);

  G_OBJECT_CLASS (messenger_subscription_requests_parent_class)->dispose (object);
}

static void
messenger_subscription_requests_finalize (GObject *object)
{
  MessengerSubscriptionRequests *self = MESSENGER_SUBSCRIPTION_REQUESTS (object);

  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (messenger_subscription_requests_parent_class)->finalize (object);
}

static void
messenger_subscription_requests_class_init (MessengerSubscriptionRequestsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_subscription_requests_get_property;
  object_class->set_property = messenger_subscription_requests_set_property;
  object_class->dispose = messenger_subscription_requests_dispose;
  object_class->finalize = messenger_subscription_requests_finalize;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
messenger_subscription_requests_init (MessengerSubscriptionRequests *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
