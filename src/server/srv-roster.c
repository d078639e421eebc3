/* srv-roster.c: jabber:iq:roster (RFC 6121 §2)
 *
 *   get    → the session becomes "interested"; with a known 'ver': an empty
 *            result, then one interim push per item changed since (final
 *            state, modification order, each with its own version); else
 *            the full roster with the current version.
 *   set    → exactly one <item/>; name and groups replaced, subscription
 *            state kept (only presence stanzas change it); result, then a
 *            push to every interested resource.
 *   remove → result, push subscription='remove', then the contact hears
 *            unavailable + unsubscribe/unsubscribed as the state requires
 *            (§2.5.2), and any pending request from it is dropped.
 */
#include "config.h"

#include <string.h>

#include "srv-presence.h"
#include "srv-roster.h"

#define NS_CLIENT "jabber:client"
#define NS_ROSTER "jabber:iq:roster"

/* Longest name or group name we keep (bytes), and most groups per item;
 * beyond that the set is not-acceptable (RFC 6121 §2.3.3). */
#define MAX_NAME_LENGTH  1023
#define MAX_GROUPS       100

static const char *
subscription_name (XmppSubscription subscription)
{
  switch (subscription)
    {
    case XMPP_SUBSCRIPTION_TO:
      return "to";
    case XMPP_SUBSCRIPTION_FROM:
      return "from";
    case XMPP_SUBSCRIPTION_BOTH:
      return "both";
    case XMPP_SUBSCRIPTION_REMOVE:
      return "remove";
    case XMPP_SUBSCRIPTION_NONE:
    default:
      return "none";
    }
}

XmppElement *
srv_roster_item_to_element (const SrvRosterItem *item)
{
  XmppElement *element;

  g_return_val_if_fail (item != NULL, NULL);

  element = xmpp_element_new (NS_ROSTER, "item");
  xmpp_element_set_attribute (element, "jid", item->contact);
  if (item->subscription == XMPP_SUBSCRIPTION_REMOVE)
    {
      xmpp_element_set_attribute (element, "subscription", "remove");
      return element;
    }
  if (item->name != NULL && *item->name != '\0')
    xmpp_element_set_attribute (element, "name", item->name);
  xmpp_element_set_attribute (element, "subscription", subscription_name (item->subscription));
  if (item->pending_out)
    xmpp_element_set_attribute (element, "ask", "subscribe");
  if (item->approved)
    xmpp_element_set_attribute (element, "approved", "true");
  for (guint i = 0; item->groups != NULL && item->groups[i] != NULL; i++)
    xmpp_element_add_child_with_text (element, NS_ROSTER, "group", item->groups[i]);
  return element;
}

static XmppElement *
new_push (SrvSession          *session,
          const SrvRosterItem *item,
          const char          *ver)
{
  static guint64 counter;
  g_autofree char *id = g_strdup_printf ("push%" G_GUINT64_FORMAT, ++counter);
  g_autoptr(XmppElement) element = srv_roster_item_to_element (item);
  XmppElement *iq = xmpp_element_new (NS_CLIENT, "iq");
  XmppElement *query;

  xmpp_element_set_attribute (iq, "type", "set");
  xmpp_element_set_attribute (iq, "id", id);
  xmpp_element_set_attribute (iq, "to", xmpp_jid_to_string (srv_session_get_jid (session)));
  query = xmpp_element_add_child_new (iq, NS_ROSTER, "query");
  if (ver != NULL)
    xmpp_element_set_attribute (query, "ver", ver);
  xmpp_element_add_child (query, element);
  return iq;
}

void
srv_roster_push (SrvServer           *server,
                 const char          *user,
                 const SrvRosterItem *item,
                 const char          *ver)
{
  GPtrArray *sessions;

  g_return_if_fail (server != NULL);
  g_return_if_fail (user != NULL);
  g_return_if_fail (item != NULL);

  sessions = srv_server_get_sessions (server, user);
  for (guint i = 0; sessions != NULL && i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);
      g_autoptr(XmppElement) push = NULL;

      if (!srv_session_is_interested (session) || srv_session_get_jid (session) == NULL)
        continue;
      push = new_push (session, item, ver);
      srv_session_send (session, push);
    }
}

/* An iq result to @iq for @session, with @query as payload (or none). */
static void
send_result (SrvSession  *session,
             XmppElement *iq,
             XmppElement *query)
{
  g_autoptr(XmppElement) result = xmpp_element_new (NS_CLIENT, "iq");
  const char *id = xmpp_element_get_attribute (iq, "id");

  xmpp_element_set_attribute (result, "type", "result");
  if (id != NULL)
    xmpp_element_set_attribute (result, "id", id);
  xmpp_element_set_attribute (result, "to", xmpp_jid_to_string (srv_session_get_jid (session)));
  if (query != NULL)
    xmpp_element_add_child (result, query);
  srv_session_send (session, result);
}

static void
handle_get (SrvServer   *server,
            SrvSession  *session,
            XmppElement *iq,
            XmppElement *query)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  const char *ver = xmpp_element_get_attribute (query, "ver");
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *current = NULL;
  g_autoptr(XmppElement) answer = NULL;

  /* RFC 6121 §2.1.6: from now on this resource gets the pushes. */
  srv_session_set_interested (session, TRUE);

  if (ver != NULL && *ver != '\0')
    {
      g_autoptr(GPtrArray) versions = NULL;
      g_autoptr(GPtrArray) changes = srv_storage_get_roster_changes_full (storage, user, ver, &versions);

      if (changes != NULL)
        {
          /* §2.6.3: an empty result, then the interim pushes. */
          send_result (session, iq, NULL);
          for (guint i = 0; i < changes->len; i++)
            {
              g_autoptr(XmppElement) push = new_push (session, changes->pdata[i], versions->pdata[i]);

              srv_session_send (session, push);
            }
          return;
        }
    }

  items = srv_storage_get_roster (storage, user);
  current = srv_storage_get_roster_version (storage, user);
  answer = xmpp_element_new (NS_ROSTER, "query");
  if (current != NULL)
    xmpp_element_set_attribute (answer, "ver", current);
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr(XmppElement) item = srv_roster_item_to_element (items->pdata[i]);

      xmpp_element_add_child (answer, item);
    }
  send_result (session, iq, answer);
}

static void
handle_remove (SrvServer   *server,
               SrvSession  *session,
               XmppElement *iq,
               const char  *contact)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  g_autoptr(SrvRosterItem) old = srv_storage_get_roster_item (storage, user, contact);
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;
  SrvRosterItem removed = { 0, };
  gboolean to, from;

  if (old == NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND,
                         "This contact is not in the roster");
      return;
    }

  ver = srv_storage_remove_roster_item (storage, user, contact, &error);
  if (ver == NULL)
    {
      g_warning ("Cannot remove %s from the roster of %s: %s", contact, user, error->message);
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  /* A request from the contact goes with the item, as a pre-approval
   * does (the tombstone keeps neither). */
  srv_storage_remove_subscription_request (storage, user, contact);

  send_result (session, iq, NULL);
  removed.contact = (char *) contact;
  removed.subscription = XMPP_SUBSCRIPTION_REMOVE;
  srv_roster_push (server, user, &removed, ver);

  /* §2.5.2: end both directions of the subscription with the contact,
   * including requests still pending either way. */
  to = old->subscription == XMPP_SUBSCRIPTION_TO || old->subscription == XMPP_SUBSCRIPTION_BOTH;
  from = old->subscription == XMPP_SUBSCRIPTION_FROM || old->subscription == XMPP_SUBSCRIPTION_BOTH;
  if (from)
    srv_presence_send_unavailable (server, user, contact);
  if (to || old->pending_out)
    srv_presence_send_subscription (server, user, contact, "unsubscribe");
  if (from || old->pending_in)
    srv_presence_send_subscription (server, user, contact, "unsubscribed");
}

static void
handle_set (SrvServer   *server,
            SrvSession  *session,
            XmppElement *iq,
            XmppElement *query)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(SrvRosterItem) old = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;
  XmppElement *item = NULL;
  SrvRosterItem updated = { 0, };
  const char *value;
  const char *name;
  guint n_items = 0;

  for (XmppElement *child = xmpp_element_next_child (query, NULL);
       child != NULL;
       child = xmpp_element_next_child (query, child))
    {
      if (xmpp_element_is (child, NS_ROSTER, "item"))
        {
          item = child;
          n_items++;
        }
    }
  if (n_items != 1)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_BAD_REQUEST,
                         "A roster set carries exactly one item");
      return;
    }

  value = xmpp_element_get_attribute (item, "jid");
  if (value == NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_BAD_REQUEST, "The item has no JID");
      return;
    }
  jid = xmpp_jid_new (value, NULL);
  if (jid == NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_JID_MALFORMED, NULL);
      return;
    }
  /* Roster items are bare JIDs. */
  if (!xmpp_jid_is_bare (jid))
    {
      XmppJid *bare = xmpp_jid_get_bare (jid);

      xmpp_jid_unref (jid);
      jid = bare;
    }

  /* Clients must not set subscription states; 'remove' is the one value
   * with a meaning (§2.1.2.5), the others are ignored. */
  if (g_strcmp0 (xmpp_element_get_attribute (item, "subscription"), "remove") == 0)
    {
      handle_remove (server, session, iq, xmpp_jid_to_string (jid));
      return;
    }

  name = xmpp_element_get_attribute (item, "name");
  if (name != NULL && strlen (name) > MAX_NAME_LENGTH)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_NOT_ACCEPTABLE, "The name is too long");
      return;
    }

  groups = g_ptr_array_new ();
  for (XmppElement *child = xmpp_element_next_child (item, NULL);
       child != NULL;
       child = xmpp_element_next_child (item, child))
    {
      const char *group;

      if (!xmpp_element_is (child, NS_ROSTER, "group"))
        continue;
      group = xmpp_element_get_text (child);
      if (*group == '\0')
        {
          srv_server_bounce (server, iq, XMPP_STANZA_ERROR_NOT_ACCEPTABLE, "A group has no name");
          return;
        }
      if (strlen (group) > MAX_NAME_LENGTH || groups->len >= MAX_GROUPS)
        {
          srv_server_bounce (server, iq, XMPP_STANZA_ERROR_NOT_ACCEPTABLE,
                             "The group name is too long, or there are too many groups");
          return;
        }
      for (guint i = 0; i < groups->len; i++)
        if (strcmp (groups->pdata[i], group) == 0)
          {
            srv_server_bounce (server, iq, XMPP_STANZA_ERROR_BAD_REQUEST,
                               "The item lists a group twice");
            return;
          }
      g_ptr_array_add (groups, (gpointer) group);
    }
  g_ptr_array_add (groups, NULL);

  /* Replace name and groups; the subscription state is the server's. */
  old = srv_storage_get_roster_item (storage, user, xmpp_jid_to_string (jid));
  updated.contact = (char *) xmpp_jid_to_string (jid);
  updated.name = (char *) (name != NULL && *name != '\0' ? name : NULL);
  updated.groups = (GStrv) groups->pdata;
  if (old != NULL)
    {
      updated.subscription = old->subscription;
      updated.pending_out = old->pending_out;
      updated.approved = old->approved;
    }

  ver = srv_storage_put_roster_item (storage, user, &updated, &error);
  if (ver == NULL)
    {
      g_warning ("Cannot store the roster of %s: %s", user, error->message);
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  send_result (session, iq, NULL);
  srv_roster_push (server, user, &updated, ver);
}

static gboolean
roster_iq_cb (SrvServer   *server,
              SrvSession  *session,
              XmppElement *iq,
              gpointer     user_data)
{
  XmppElement *query = xmpp_element_find_child (iq, NS_ROSTER, "query");
  const char *type = xmpp_element_get_attribute (iq, "type");

  if (query == NULL)
    return FALSE;

  /* No session: the iq is addressed to another account's roster. */
  if (session == NULL || srv_session_get_user (session) == NULL || srv_session_get_jid (session) == NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_FORBIDDEN,
                         "Only the account itself may use its roster");
      return TRUE;
    }

  if (g_strcmp0 (type, "get") == 0)
    handle_get (server, session, iq, query);
  else if (g_strcmp0 (type, "set") == 0)
    handle_set (server, session, iq, query);
  else
    return FALSE;
  return TRUE;
}

void
srv_roster_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  srv_server_add_iq_handler (server, NS_ROSTER, roster_iq_cb, NULL);
}
