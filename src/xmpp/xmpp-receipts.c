/* xmpp-receipts.c: message delivery receipts (XEP-0184) */
#include "config.h"

#include "xmpp-chatstates.h"
#include "xmpp-receipts.h"

gboolean
xmpp_receipts_has_request (XmppElement *stanza)
{
  g_return_val_if_fail (stanza != NULL, FALSE);
  return xmpp_element_find_child (stanza, XMPP_NS_RECEIPTS, "request") != NULL;
}

const char *
xmpp_receipts_get_received (XmppElement *stanza)
{
  XmppElement *received;
  const char *id;

  g_return_val_if_fail (stanza != NULL, NULL);

  received = xmpp_element_find_child (stanza, XMPP_NS_RECEIPTS, "received");
  if (received == NULL)
    return NULL;
  id = xmpp_element_get_attribute (received, "id");
  /* XEP-0184 §5.1 (older revisions): no id means the stanza's own id. */
  if (id == NULL || *id == '\0')
    id = xmpp_element_get_attribute (stanza, "id");
  return id != NULL && *id != '\0' ? id : NULL;
}

void
xmpp_receipts_add_request (XmppElement *stanza)
{
  g_return_if_fail (stanza != NULL);

  if (!xmpp_receipts_has_request (stanza))
    xmpp_element_add_child_new (stanza, XMPP_NS_RECEIPTS, "request");
}

gboolean
xmpp_receipts_is_due (const XmppMessage *message,
                      XmppJid           *own)
{
  g_return_val_if_fail (message != NULL, FALSE);

  if (!message->request_receipt || message->id == NULL || *message->id == '\0')
    return FALSE;
  if (message->type == XMPP_MESSAGE_GROUPCHAT || message->type == XMPP_MESSAGE_ERROR)
    return FALSE;
  /* The device that received the original answers, not the one reading a
   * carbon or the archive. */
  if (message->via != XMPP_MESSAGE_VIA_STREAM)
    return FALSE;
  /* No sender means our own server or account; never answer ourselves. */
  if (message->from == NULL)
    return FALSE;
  if (own != NULL && xmpp_jid_bare_equal (message->from, own))
    return FALSE;
  return TRUE;
}

XmppElement *
xmpp_receipts_new_received (const XmppMessage *message,
                            XmppJid           *own)
{
  g_autofree char *id = NULL;
  XmppElement *stanza;
  XmppElement *received;

  g_return_val_if_fail (message != NULL, NULL);

  if (!xmpp_receipts_is_due (message, own))
    return NULL;

  id = g_uuid_string_random ();
  stanza = xmpp_element_new (XMPP_NS_CLIENT, "message");
  xmpp_element_set_attribute (stanza, "to", xmpp_jid_to_string (message->from));
  xmpp_element_set_attribute (stanza, "type", xmpp_message_type_to_string (message->type));
  xmpp_element_set_attribute (stanza, "id", id);
  received = xmpp_element_add_child_new (stanza, XMPP_NS_RECEIPTS, "received");
  xmpp_element_set_attribute (received, "id", message->id);
  xmpp_element_add_child_new (stanza, XMPP_NS_HINTS, "store");
  return stanza;
}
