/* srv-disco.c: disco#info and disco#items of accounts (XEP-0030)
 *
 * The core answers for the server's domain and returns FALSE for
 * anything else, so these handlers see the iqs to an account's bare JID
 * and the ones without 'to' (answered for the sender's own account).
 *
 *   may ask?   the account itself, or a contact with a 'from' or 'both'
 *              subscription (RFC 6121 §8.5.3.1 applied to the account);
 *              anyone else: service-unavailable (scenario 58)
 *   #info      identity account/registered, features sorted
 *   #items     none (an empty <query/>, never an error: §4)
 *   node       item-not-found: accounts publish no nodes here
 */
#include "config.h"

#include <string.h>

#include "srv-disco.h"

#define NS_CLIENT      "jabber:client"
#define NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"

/* The account features of each server (one per process in practice). */
static GHashTable *account_features;   /* SrvServer* → GPtrArray of char* */

static GPtrArray *
features_of (SrvServer *server)
{
  GPtrArray *features;

  if (account_features == NULL)
    account_features = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  features = g_hash_table_lookup (account_features, server);
  if (features == NULL)
    {
      features = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (features, g_strdup (NS_DISCO_INFO));
      g_ptr_array_add (features, g_strdup (NS_DISCO_ITEMS));
      g_hash_table_insert (account_features, server, features);
    }
  return features;
}

void
srv_disco_add_account_feature (SrvServer  *server,
                               const char *var)
{
  GPtrArray *features;

  g_return_if_fail (server != NULL);
  g_return_if_fail (var != NULL);

  features = features_of (server);
  for (guint i = 0; i < features->len; i++)
    if (strcmp (g_ptr_array_index (features, i), var) == 0)
      return;
  g_ptr_array_add (features, g_strdup (var));
}

/* The account an iq is for: its 'to' (a bare JID; the core only hands
 * us bare JIDs of existing accounts, the domain or nothing), or the
 * sender's own account when there is no 'to'.  NULL for the domain. */
static XmppJid *
target_account (XmppElement *iq,
                XmppJid     *from)
{
  const char *to = xmpp_element_get_attribute (iq, "to");
  XmppJid *jid;

  if (to == NULL)
    return from != NULL && xmpp_jid_get_local (from) != NULL ? xmpp_jid_get_bare (from) : NULL;
  jid = xmpp_jid_new (to, NULL);
  if (jid != NULL && (xmpp_jid_get_local (jid) == NULL || xmpp_jid_get_resource (jid) != NULL))
    g_clear_pointer (&jid, xmpp_jid_unref);
  return jid;
}

static gboolean
may_ask (SrvServer *server,
         XmppJid   *account,
         XmppJid   *from)
{
  g_autoptr(SrvRosterItem) item = NULL;

  if (from == NULL)
    return FALSE;
  if (xmpp_jid_bare_equal (from, account))
    return TRUE;
  item = srv_storage_get_roster_item (srv_server_get_storage (server),
                                      xmpp_jid_get_bare_string (account),
                                      xmpp_jid_get_bare_string (from));
  return item != NULL &&
         (item->subscription == XMPP_SUBSCRIPTION_FROM || item->subscription == XMPP_SUBSCRIPTION_BOTH);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
disco_cb (SrvServer   *server,
          SrvSession  *session,
          XmppElement *iq,
          gpointer     user_data)
{
  XmppElement *request = xmpp_element_next_child (iq, NULL);
  const char *ns = xmpp_element_get_namespace (request);
  const char *from_text = xmpp_element_get_attribute (iq, "from");
  const char *node = xmpp_element_get_attribute (request, "node");
  const char *id = xmpp_element_get_attribute (iq, "id");
  g_autoptr(XmppJid) from = from_text != NULL ? xmpp_jid_new (from_text, NULL) : NULL;
  g_autoptr(XmppJid) account = NULL;
  g_autoptr(XmppElement) result = NULL;
  XmppElement *query;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "get") != 0 ||
      g_strcmp0 (xmpp_element_get_name (request), "query") != 0)
    return FALSE;
  account = target_account (iq, from);
  if (account == NULL)
    return FALSE;
  /* Returning FALSE makes the core answer service-unavailable. */
  if (!may_ask (server, account, from))
    return FALSE;
  if (node != NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, NULL);
      return TRUE;
    }

  result = xmpp_element_new (NS_CLIENT, "iq");
  xmpp_element_set_attribute (result, "type", "result");
  if (id != NULL)
    xmpp_element_set_attribute (result, "id", id);
  xmpp_element_set_attribute (result, "to", from_text);
  if (xmpp_element_get_attribute (iq, "to") != NULL)
    xmpp_element_set_attribute (result, "from", xmpp_jid_to_string (account));
  query = xmpp_element_add_child_new (result, ns, "query");

  if (strcmp (ns, NS_DISCO_INFO) == 0)
    {
      /* Borrowed strings: the copy must not free them (it inherits the
       * original's free function). */
      g_autoptr(GPtrArray) features = g_ptr_array_copy (features_of (server), NULL, NULL);
      XmppElement *identity = xmpp_element_add_child_new (query, NULL, "identity");

      g_ptr_array_set_free_func (features, NULL);

      xmpp_element_set_attribute (identity, "category", "account");
      xmpp_element_set_attribute (identity, "type", "registered");
      g_ptr_array_sort (features, compare_strings);
      for (guint i = 0; i < features->len; i++)
        {
          XmppElement *feature = xmpp_element_add_child_new (query, NULL, "feature");

          xmpp_element_set_attribute (feature, "var", g_ptr_array_index (features, i));
        }
    }

  if (session != NULL)
    srv_server_deliver (server, session, result);
  else
    srv_server_route (server, result);
  return TRUE;
}

void
srv_disco_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  features_of (server);
  srv_server_add_iq_handler (server, NS_DISCO_INFO, disco_cb, NULL);
  srv_server_add_iq_handler (server, NS_DISCO_ITEMS, disco_cb, NULL);
}
