/* xmpp-bob.c: Bits of Binary (XEP-0231) */
#include "config.h"

#include <string.h>

#include "xmpp-bob.h"

void
xmpp_bob_free (XmppBob *bob)
{
  if (bob == NULL)
    return;
  g_free (bob->cid);
  g_free (bob->type);
  g_clear_pointer (&bob->data, g_bytes_unref);
  g_free (bob);
}

XmppBob *
xmpp_bob_parse (XmppElement *data)
{
  const char *cid, *text;
  g_autofree char *copy = NULL;
  gsize len = 0;
  XmppBob *bob;

  g_return_val_if_fail (data != NULL, NULL);

  cid = xmpp_element_get_attribute (data, "cid");
  if (!xmpp_element_is (data, XMPP_NS_BOB, "data") || cid == NULL || *cid == '\0')
    return NULL;
  text = xmpp_element_get_text (data);
  /* base64 grows data by 4/3 (plus line breaks some servers add). */
  if (strlen (text) > XMPP_BOB_MAX_SIZE / 3 * 4 + XMPP_BOB_MAX_SIZE / 32)
    return NULL;
  copy = g_strdup (text);
  /* g_base64_decode() skips what is not base64 but does not say so: an
   * empty result is what broken data looks like. */
  g_base64_decode_inplace (copy, &len);
  if (len == 0 || len > XMPP_BOB_MAX_SIZE)
    return NULL;

  bob = g_new0 (XmppBob, 1);
  bob->cid = g_strdup (cid);
  bob->type = g_strdup (xmpp_element_get_attribute (data, "type"));
  bob->data = g_bytes_new (copy, len);
  return bob;
}

XmppBob *
xmpp_bob_find (XmppElement *stanza,
               const char  *cid)
{
  g_return_val_if_fail (stanza != NULL, NULL);
  g_return_val_if_fail (cid != NULL, NULL);

  for (XmppElement *child = xmpp_element_next_child (stanza, NULL);
       child != NULL;
       child = xmpp_element_next_child (stanza, child))
    {
      XmppBob *bob;

      if (xmpp_element_is (child, XMPP_NS_BOB, "data"))
        {
          if (g_strcmp0 (xmpp_element_get_attribute (child, "cid"), cid) == 0)
            return xmpp_bob_parse (child);
          continue;
        }
      bob = xmpp_bob_find (child, cid);
      if (bob != NULL)
        return bob;
    }
  return NULL;
}

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *cid = g_task_get_task_data (task);
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;
  XmppBob *bob;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bob = xmpp_bob_find (reply, cid);
  if (bob == NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                               "The answer has no data for “%s”", cid);
      return;
    }
  g_task_return_pointer (task, bob, (GDestroyNotify) xmpp_bob_free);
}

void
xmpp_bob_fetch_async (XmppClient          *client,
                      const char          *to,
                      const char          *cid,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;
  XmppElement *data;

  g_return_if_fail (XMPP_IS_CLIENT (client));
  g_return_if_fail (cid != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_bob_fetch_async);
  g_task_set_task_data (task, g_strdup (cid), g_free);
  if (to == NULL)
    to = xmpp_jid_get_domain (xmpp_client_get_jid (client));
  iq = xmpp_stanza_new_iq ("get", to, NULL);
  data = xmpp_element_add_child_new (iq, XMPP_NS_BOB, "data");
  xmpp_element_set_attribute (data, "cid", cid);
  xmpp_client_send_iq_async (client, iq, cancellable, fetched_cb, g_steal_pointer (&task));
}

XmppBob *
xmpp_bob_fetch_finish (XmppClient    *client,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
