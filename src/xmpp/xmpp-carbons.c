/* xmpp-carbons.c: message carbons (XEP-0280)
 *
 *   <message from='us@domain'>                 ◀ only from our bare JID
 *     <sent|received xmlns='urn:xmpp:carbons:2'>
 *       <forwarded xmlns='urn:xmpp:forward:0'>
 *         <message from=… to=…>…</message>   ▶ "message", via set
 *
 * A sent carbon must be from one of our resources, a received one to us:
 * the wrapper's sender is checked first, the inner addresses after, so a
 * server bug cannot make a contact's message look like ours either.
 */
#include "config.h"

#include "xmpp-carbons.h"

struct _XmppCarbons
{
  GObject     parent_instance;

  XmppClient *client;
  guint       handler;
  gboolean    enabled;
};

G_DEFINE_FINAL_TYPE (XmppCarbons, xmpp_carbons, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Our bare JID: the bound one, else the configured one. */
static XmppJid *
own_jid (XmppCarbons *self)
{
  XmppJid *jid = xmpp_client_get_bound_jid (self->client);

  return jid != NULL ? jid : xmpp_client_get_jid (self->client);
}

static gboolean
carbon_cb (XmppClient  *client,
           XmppElement *stanza,
           gpointer     user_data)
{
  XmppCarbons *self = user_data;
  XmppJid *own = own_jid (self);
  XmppElement *wrapper, *forwarded, *inner;
  const char *from = xmpp_element_get_attribute (stanza, "from");
  g_autoptr(XmppJid) sender = NULL;
  g_autoptr(XmppMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  gboolean sent;

  if ((wrapper = xmpp_element_find_child (stanza, XMPP_NS_CARBONS, "received")) != NULL)
    sent = FALSE;
  else if ((wrapper = xmpp_element_find_child (stanza, XMPP_NS_CARBONS, "sent")) != NULL)
    sent = TRUE;
  else
    return FALSE;     /* e.g. a <private/> hint: an ordinary message */

  /* XEP-0280 §11: from our own bare JID, and nobody else. */
  if (from == NULL || (sender = xmpp_jid_new (from, NULL)) == NULL
      || !xmpp_jid_is_bare (sender) || !xmpp_jid_bare_equal (sender, own))
    {
      g_debug ("Dropping a carbon from %s: not our account", from != NULL ? from : "(nobody)");
      return TRUE;
    }

  forwarded = xmpp_element_find_child (wrapper, XMPP_NS_FORWARD, "forwarded");
  inner = forwarded != NULL ? xmpp_element_find_child (forwarded, XMPP_NS_CLIENT, "message") : NULL;
  if (inner == NULL || (message = xmpp_message_parse (inner, &error)) == NULL)
    {
      g_debug ("Dropping a carbon: %s", error != NULL ? error->message : "nothing forwarded");
      return TRUE;
    }

  if (sent)
    {
      /* Written by one of our resources, to someone. */
      if (message->from == NULL)
        message->from = xmpp_jid_ref (own);
      if (!xmpp_jid_bare_equal (message->from, own) || message->to == NULL)
        {
          g_debug ("Dropping a sent carbon of a message we did not send");
          return TRUE;
        }
      message->via = XMPP_MESSAGE_VIA_CARBON_SENT;
    }
  else
    {
      /* Written to one of our resources, by someone. */
      if (message->from == NULL || (message->to != NULL && !xmpp_jid_bare_equal (message->to, own)))
        {
          g_debug ("Dropping a received carbon of a message not to us");
          return TRUE;
        }
      message->via = XMPP_MESSAGE_VIA_CARBON_RECEIVED;
    }

  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
  return TRUE;
}

XmppCarbons *
xmpp_carbons_new (XmppClient *client)
{
  XmppCarbons *self;

  g_return_val_if_fail (XMPP_IS_CLIENT (client), NULL);

  self = g_object_new (XMPP_TYPE_CARBONS, NULL);
  self->client = g_object_ref (client);
  self->handler = xmpp_client_add_handler (client, "message", NULL, XMPP_NS_CARBONS, NULL,
                                           carbon_cb, self, NULL);
  return self;
}

static void
enabled_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  XmppCarbons *self = g_task_get_source_object (task);
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  self->enabled = GPOINTER_TO_INT (g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
}

void
xmpp_carbons_enable_async (XmppCarbons         *self,
                           gboolean             enable,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;

  g_return_if_fail (XMPP_IS_CARBONS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_carbons_enable_async);
  g_task_set_task_data (task, GINT_TO_POINTER (!!enable), NULL);
  /* To our own account: no 'to' (§4). */
  iq = xmpp_stanza_new_iq ("set", NULL, NULL);
  xmpp_element_add_child_new (iq, XMPP_NS_CARBONS, enable ? "enable" : "disable");
  xmpp_client_send_iq_async (self->client, iq, cancellable, enabled_cb, g_steal_pointer (&task));
}

gboolean
xmpp_carbons_enable_finish (XmppCarbons   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
xmpp_carbons_get_enabled (XmppCarbons *self)
{
  g_return_val_if_fail (XMPP_IS_CARBONS (self), FALSE);
  return self->enabled;
}

static void
xmpp_carbons_dispose (GObject *object)
{
  XmppCarbons *self = XMPP_CARBONS (object);

  if (self->client != NULL && self->handler != 0)
    xmpp_client_remove_handler (self->client, self->handler);
  self->handler = 0;
  g_clear_object (&self->client);

  G_OBJECT_CLASS (xmpp_carbons_parent_class)->dispose (object);
}

static void
xmpp_carbons_class_init (XmppCarbonsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xmpp_carbons_dispose;

  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
xmpp_carbons_init (XmppCarbons *self)
{
}
