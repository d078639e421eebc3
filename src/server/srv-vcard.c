/* srv-vcard.c: vcard-temp (XEP-0054)
 *
 *   get, no 'to' or the own bare JID   the account's vCard
 *   get, another account's bare JID    that account's vCard (the core
 *                                      answers service-unavailable for
 *                                      accounts that do not exist)
 *   set, no 'to' or the own bare JID   replaces the vCard (an empty
 *                                      <vCard/> clears its content)
 *   set, anyone else's                 forbidden
 *
 * An account without a vCard has an empty one (§3.1: never an error).  A
 * vCard larger than SRV_VCARD_MAX_SIZE serialised is refused with
 * policy-violation: the storage is not a file server.
 */
#include "config.h"

#include <string.h>

#include "srv-vcard.h"

#define NS_CLIENT "jabber:client"

/* The account an iq is for (a bare JID), or NULL for the domain
 * or a full JID (not ours to answer). */
static XmppJid *
target_account (SrvSession  *session,
                XmppElement *iq)
{
  const char *to = xmpp_element_get_attribute (iq, "to");
  XmppJid *jid;

  if (to == NULL)
    return session != NULL ? xmpp_jid_get_bare (srv_session_get_jid (session)) : NULL;
  jid = xmpp_jid_new (to, NULL);
  if (jid != NULL && (xmpp_jid_get_local (jid) == NULL || xmpp_jid_get_resource (jid) != NULL))
    g_clear_pointer (&jid, xmpp_jid_unref);
  return jid;
}

static void
answer (SrvServer   *server,
        SrvSession  *session,
        XmppElement *iq,
        XmppElement *payload)
{
  g_autoptr(XmppElement) result = xmpp_element_new (NS_CLIENT, "iq");
  const char *id = xmpp_element_get_attribute (iq, "id");
  const char *from = xmpp_element_get_attribute (iq, "from");
  const char *to = xmpp_element_get_attribute (iq, "to");

  xmpp_element_set_attribute (result, "type", "result");
  if (id != NULL)
    xmpp_element_set_attribute (result, "id", id);
  xmpp_element_set_attribute (result, "to", from);
  if (to != NULL)
    xmpp_element_set_attribute (result, "from", to);
  if (payload != NULL)
    xmpp_element_add_child (result, payload);
  /* Own account: straight back; another account's: routed to the
   * requester like any answer from that account. */
  if (session != NULL)
    srv_server_deliver (server, session, result);
  else
    srv_server_route (server, result);
}

static gsize
serialized_size (XmppElement *element)
{
  g_autoptr(GString) text = g_string_new (NULL);

  xmpp_element_serialize (element, text, NULL);
  return text->len;
}

static gboolean
vcard_iq_cb (SrvServer   *server,
             SrvSession  *session,
             XmppElement *iq,
             gpointer     user_data)
{
  SrvStorage *storage = srv_server_get_storage (server);
  XmppElement *vcard = xmpp_element_next_child (iq, NULL);
  const char *type = xmpp_element_get_attribute (iq, "type");
  g_autoptr(XmppJid) account = NULL;

  if (!xmpp_element_is (vcard, SRV_NS_VCARD, "vCard"))
    return FALSE;
  account = target_account (session, iq);
  if (account == NULL || (session != NULL && srv_session_get_jid (session) == NULL))
    return FALSE;

  if (g_strcmp0 (type, "get") == 0)
    {
      g_autoptr(XmppElement) stored = srv_storage_get_vcard (storage, xmpp_jid_get_bare_string (account));

      if (stored == NULL)
        stored = xmpp_element_new (SRV_NS_VCARD, "vCard");
      answer (server, session, iq, stored);
      return TRUE;
    }

  /* A set: only the account itself. */
  if (session == NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_FORBIDDEN, "Only the account itself may set its vCard");
      return TRUE;
    }
  if (serialized_size (vcard) > SRV_VCARD_MAX_SIZE)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_POLICY_VIOLATION,
                         "The vCard is larger than the server keeps (128 KiB)");
      return TRUE;
    }
  if (!srv_storage_set_vcard (storage, xmpp_jid_get_bare_string (account), vcard))
    {
      g_warning ("%s: cannot store the vCard", xmpp_jid_get_bare_string (account));
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
      return TRUE;
    }
  g_debug ("%s: vCard stored", xmpp_jid_get_bare_string (account));
  answer (server, session, iq, NULL);
  return TRUE;
}

void
srv_vcard_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  srv_server_add_iq_handler (server, SRV_NS_VCARD, vcard_iq_cb, NULL);
  srv_server_add_feature (server, SRV_NS_VCARD);
}
