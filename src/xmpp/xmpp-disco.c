/* xmpp-disco.c: service discovery answers and entity capabilities */
#include "config.h"

#include <string.h>

#include "xmpp-caps.h"
#include "xmpp-disco.h"

struct _XmppDisco
{
  XmppClient *client;     /* weak: the disco lives no longer than its client */
  char       *category;
  char       *type;
  char       *name;
  GPtrArray  *features;
  char       *caps_ver;   /* cached, cleared when features change */
  guint       handler;
};

static gboolean
disco_info_cb (XmppClient  *client,
               XmppElement *iq,
               gpointer     user_data)
{
  XmppDisco *self = user_data;
  XmppElement *query = xmpp_element_find_child (iq, XMPP_NS_DISCO_INFO, "query");
  const char *node = xmpp_element_get_attribute (query, "node");
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(XmppElement) info = NULL;

  /* We answer for our own node#ver and for no node; other nodes don't exist. */
  if (node != NULL)
    {
      g_autofree char *ours = g_strdup_printf ("%s#%s", XMPP_CAPS_NODE, xmpp_disco_get_caps_ver (self));

      if (strcmp (node, ours) != 0)
        {
          reply = xmpp_stanza_new_error_reply (iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, NULL);
          xmpp_client_send (client, reply);
          return TRUE;
        }
    }

  reply = xmpp_stanza_new_result_reply (iq);
  info = xmpp_disco_build_info (self, node);
  xmpp_element_add_child (reply, info);
  xmpp_client_send (client, reply);
  return TRUE;
}

XmppDisco *
xmpp_disco_new (XmppClient *client,
                const char *category,
                const char *type,
                const char *name)
{
  XmppDisco *self;

  g_return_val_if_fail (XMPP_IS_CLIENT (client), NULL);

  self = g_new0 (XmppDisco, 1);
  self->client = client;
  self->category = g_strdup (category);
  self->type = g_strdup (type);
  self->name = g_strdup (name);
  self->features = g_ptr_array_new_with_free_func (g_free);
  xmpp_disco_add_feature (self, XMPP_NS_DISCO_INFO);
  xmpp_disco_add_feature (self, XMPP_NS_CAPS);
  xmpp_disco_add_feature (self, XMPP_NS_PING);
  self->handler = xmpp_client_add_handler (client, "iq", "get", XMPP_NS_DISCO_INFO, "query",
                                           disco_info_cb, self, NULL);
  return self;
}

void
xmpp_disco_free (XmppDisco *self)
{
  if (self == NULL)
    return;
  if (self->handler != 0)
    xmpp_client_remove_handler (self->client, self->handler);
  g_free (self->category);
  g_free (self->type);
  g_free (self->name);
  g_free (self->caps_ver);
  g_ptr_array_unref (self->features);
  g_free (self);
}

void
xmpp_disco_add_feature (XmppDisco  *self,
                        const char *feature)
{
  g_return_if_fail (self != NULL && feature != NULL);

  for (guint i = 0; i < self->features->len; i++)
    if (strcmp (g_ptr_array_index (self->features, i), feature) == 0)
      return;
  g_ptr_array_add (self->features, g_strdup (feature));
  g_clear_pointer (&self->caps_ver, g_free);
}

XmppElement *
xmpp_disco_build_info (XmppDisco  *self,
                       const char *node)
{
  XmppElement *query;
  XmppElement *identity;

  g_return_val_if_fail (self != NULL, NULL);

  query = xmpp_element_new (XMPP_NS_DISCO_INFO, "query");
  if (node != NULL)
    xmpp_element_set_attribute (query, "node", node);
  identity = xmpp_element_add_child_new (query, NULL, "identity");
  xmpp_element_set_attribute (identity, "category", self->category);
  xmpp_element_set_attribute (identity, "type", self->type);
  if (self->name != NULL)
    xmpp_element_set_attribute (identity, "name", self->name);
  for (guint i = 0; i < self->features->len; i++)
    {
      XmppElement *feature = xmpp_element_add_child_new (query, NULL, "feature");
      xmpp_element_set_attribute (feature, "var", g_ptr_array_index (self->features, i));
    }
  return query;
}

const char *
xmpp_disco_get_caps_ver (XmppDisco *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->caps_ver == NULL)
    {
      g_autoptr(XmppElement) info = xmpp_disco_build_info (self, NULL);
      g_autoptr(GError) error = NULL;

      self->caps_ver = xmpp_caps_compute_ver (info, "sha-1", &error);
      if (self->caps_ver == NULL)
        g_critical ("Our own disco#info is invalid: %s", error->message);
    }
  return self->caps_ver;
}

XmppElement *
xmpp_disco_build_caps (XmppDisco *self)
{
  XmppElement *c;

  g_return_val_if_fail (self != NULL, NULL);

  c = xmpp_element_new (XMPP_NS_CAPS, "c");
  xmpp_element_set_attribute (c, "hash", "sha-1");
  xmpp_element_set_attribute (c, "node", XMPP_CAPS_NODE);
  xmpp_element_set_attribute (c, "ver", xmpp_disco_get_caps_ver (self));
  return c;
}

static void
query_info_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;
  XmppElement *query;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), res, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  query = xmpp_element_find_child (reply, XMPP_NS_DISCO_INFO, "query");
  if (query == NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                               "The disco#info answer has no <query/>");
      return;
    }
  g_task_return_pointer (task, xmpp_element_ref (query), (GDestroyNotify) xmpp_element_unref);
}

void
xmpp_disco_query_info_async (XmppClient          *client,
                             const char          *jid,
                             const char          *node,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;
  XmppElement *query;

  g_return_if_fail (XMPP_IS_CLIENT (client));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_disco_query_info_async);
  iq = xmpp_stanza_new_iq ("get", jid, NULL);
  query = xmpp_element_add_child_new (iq, XMPP_NS_DISCO_INFO, "query");
  if (node != NULL)
    xmpp_element_set_attribute (query, "node", node);
  xmpp_client_send_iq_async (client, iq, cancellable, query_info_cb, g_steal_pointer (&task));
}

XmppElement *
xmpp_disco_query_info_finish (XmppClient    *client,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
