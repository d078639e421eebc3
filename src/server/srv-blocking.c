/* srv-blocking.c: XEP-0191 Blocking Command (urn:xmpp:blocking)
 *
 *   get <blocklist/>   the items; the session now gets the pushes (§3.2)
 *   set <block/>       ≥ 1 item (else bad-request); stored, result, pushed
 *                      to every resource that fetched the list, then each
 *                      newly blocked JID that could see the user's
 *                      presence (a 'from'/'both' contact or a recipient of
 *                      directed presence) gets unavailable from each of
 *                      the user's available resources (§3.3), and the
 *                      user's resources get unavailable from a blocked
 *                      local contact they were subscribed to (they will
 *                      hear nothing more from it)
 *   set <unblock/>     the items, or all of them when empty; result, push,
 *                      then the other way round: each JID no longer
 *                      blocked gets the user's current presence, and the
 *                      user gets the contact's (§3.4)
 *   filter             every routed message and iq (presence is left to
 *                      srv-presence.c, which withholds it both ways):
 *                        from the user to a JID it blocks → the sender
 *                        gets <not-acceptable/><blocked/> (§3.5)
 *                        to the user from a JID it blocks → message and
 *                        iq get/set: service-unavailable; the rest is
 *                        dropped (§3.3)
 *                      errors and iq results across a block vanish.
 *
 * The errors the filter makes go straight to the sender's session: routed,
 * they would cross the block they report.  The account's own resources and
 * the server itself are never blocked.
 */
#include "config.h"

#include <string.h>

#include "srv-blocking.h"

#define NS_CLIENT          "jabber:client"
#define NS_STANZAS         "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_BLOCKING_ERRORS "urn:xmpp:blocking:errors"

#define FLAG_BLOCKLIST     "blocklist"

/* --- helpers ----------------------------------------------------------- */

static gboolean
is_local_account (SrvServer *server,
                  XmppJid   *jid)
{
  return xmpp_jid_get_local (jid) != NULL &&
         strcmp (xmpp_jid_get_domain (jid), srv_server_get_domain (server)) == 0;
}

static gboolean
is_server (SrvServer *server,
           XmppJid   *jid)
{
  return xmpp_jid_get_local (jid) == NULL &&
         strcmp (xmpp_jid_get_domain (jid), srv_server_get_domain (server)) == 0;
}

static GPtrArray *
sessions_of (SrvServer  *server,
             const char *user)
{
  GPtrArray *live = srv_server_get_sessions (server, user);
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_session_unref);

  for (guint i = 0; i < live->len; i++)
    if (srv_session_get_jid (g_ptr_array_index (live, i)) != NULL)
      g_ptr_array_add (copy, srv_session_ref (g_ptr_array_index (live, i)));
  return copy;
}

static XmppElement *
new_iq (const char *type,
        const char *id,
        const char *to)
{
  XmppElement *iq = xmpp_element_new (NS_CLIENT, "iq");

  xmpp_element_set_attribute (iq, "type", type);
  if (id != NULL)
    xmpp_element_set_attribute (iq, "id", id);
  xmpp_element_set_attribute (iq, "to", to);
  return iq;
}

static XmppElement *
new_result (SrvSession  *session,
            XmppElement *iq)
{
  XmppElement *result = new_iq ("result", xmpp_element_get_attribute (iq, "id"),
                                xmpp_jid_to_string (srv_session_get_jid (session)));
  const char *to = xmpp_element_get_attribute (iq, "to");

  if (to != NULL)
    xmpp_element_set_attribute (result, "from", to);
  return result;
}

/* --- refusing stanzas -------------------------------------------------- */

/* An error for @stanza (from its recipient to its sender), as RFC 6120
 * §8.3 wants it, with XEP-0191's <blocked/> when @blocked. */
static XmppElement *
make_error (XmppElement         *stanza,
            XmppStanzaErrorCode  condition,
            gboolean             blocked)
{
  const char *name = xmpp_element_get_name (stanza);
  XmppElement *answer = xmpp_element_new (NS_CLIENT, name);
  const char *id = xmpp_element_get_attribute (stanza, "id");
  const char *from = xmpp_element_get_attribute (stanza, "from");
  const char *to = xmpp_element_get_attribute (stanza, "to");
  XmppElement *error;

  xmpp_element_set_attribute (answer, "type", "error");
  if (id != NULL)
    xmpp_element_set_attribute (answer, "id", id);
  xmpp_element_set_attribute (answer, "to", from);
  if (to != NULL)
    xmpp_element_set_attribute (answer, "from", to);
  if (strcmp (name, "iq") == 0 && xmpp_element_next_child (stanza, NULL) != NULL)
    {
      g_autoptr(XmppElement) payload = xmpp_element_copy (xmpp_element_next_child (stanza, NULL));

      xmpp_element_add_child (answer, payload);
    }
  error = xmpp_element_add_child_new (answer, NS_CLIENT, "error");
  xmpp_element_set_attribute (error, "type", xmpp_stanza_condition_default_type (condition));
  xmpp_element_add_child_new (error, NS_STANZAS, xmpp_stanza_condition_to_string (condition));
  if (blocked)
    xmpp_element_add_child_new (error, NS_BLOCKING_ERRORS, "blocked");
  return answer;
}

/* Answer @stanza with an error to the session that sent it, if it is a
 * request that wants one (never for errors and iq results). */
static void
refuse (SrvServer           *server,
        XmppElement         *stanza,
        XmppJid             *sender,
        XmppStanzaErrorCode  condition,
        gboolean             blocked)
{
  const char *name = xmpp_element_get_name (stanza);
  const char *type = xmpp_element_get_attribute (stanza, "type");
  SrvSession *session;
  g_autoptr(XmppElement) error = NULL;

  if (g_strcmp0 (type, "error") == 0)
    return;
  if (strcmp (name, "iq") == 0 && g_strcmp0 (type, "get") != 0 && g_strcmp0 (type, "set") != 0)
    return;
  if (xmpp_jid_get_resource (sender) == NULL || !is_local_account (server, sender))
    return;
  session = srv_server_find_session (server, sender);
  if (session == NULL)
    return;
  error = make_error (stanza, condition, blocked);
  srv_server_deliver (server, session, error);
}

static gboolean
filter_cb (SrvServer   *server,
           XmppElement *stanza,
           gpointer     user_data)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *name = xmpp_element_get_name (stanza);
  const char *from_text, *to_text;
  g_autoptr(XmppJid) from = NULL;
  g_autoptr(XmppJid) to = NULL;

  if (strcmp (name, "message") != 0 && strcmp (name, "iq") != 0)
    return FALSE;
  from_text = xmpp_element_get_attribute (stanza, "from");
  to_text = xmpp_element_get_attribute (stanza, "to");
  if (from_text == NULL || to_text == NULL)
    return FALSE;   /* no 'to': for the sender's own account */
  from = xmpp_jid_new (from_text, NULL);
  to = xmpp_jid_new (to_text, NULL);
  if (from == NULL || to == NULL || xmpp_jid_bare_equal (from, to) ||
      is_server (server, from) || is_server (server, to))
    return FALSE;

  /* §3.5: the user writes to someone it blocks. */
  if (is_local_account (server, from) &&
      srv_storage_is_blocked (storage, xmpp_jid_get_bare_string (from), xmpp_jid_to_string (to)))
    {
      g_debug ("%s → %s: blocked by the sender", from_text, to_text);
      refuse (server, stanza, from, XMPP_STANZA_ERROR_NOT_ACCEPTABLE, TRUE);
      return TRUE;
    }

  /* §3.3: someone the user blocks writes to it. */
  if (is_local_account (server, to) &&
      srv_storage_is_blocked (storage, xmpp_jid_get_bare_string (to), xmpp_jid_to_string (from)))
    {
      g_debug ("%s → %s: blocked by the recipient", from_text, to_text);
      refuse (server, stanza, from, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, FALSE);
      return TRUE;
    }
  return FALSE;
}

/* --- presence on block and unblock -------------------------------------- */

/* XEP-0191 §3.3 matching of one block item against a JID. */
static gboolean
item_matches (XmppJid *item,
              XmppJid *jid)
{
  if (g_strcmp0 (xmpp_jid_get_domain (item), xmpp_jid_get_domain (jid)) != 0)
    return FALSE;
  if (xmpp_jid_get_local (item) != NULL)
    return xmpp_jid_get_resource (item) != NULL ? xmpp_jid_equal (item, jid) : xmpp_jid_bare_equal (item, jid);
  if (xmpp_jid_get_resource (item) != NULL)
    return g_strcmp0 (xmpp_jid_get_resource (item), xmpp_jid_get_resource (jid)) == 0;
  return TRUE;
}

static void
add_unique (GPtrArray  *list,
            const char *jid)
{
  for (guint i = 0; i < list->len; i++)
    if (strcmp (g_ptr_array_index (list, i), jid) == 0)
      return;
  g_ptr_array_add (list, g_strdup (jid));
}

/* The JIDs that see @user's presence (contacts with a 'from' or 'both'
 * subscription, recipients of directed presence) and that one of @items
 * covers.  A full-JID item covers that resource of a contact. */
static GPtrArray *
presence_targets (SrvServer  *server,
                  const char *user,
                  GPtrArray  *items)
{
  g_autoptr(GPtrArray) roster = srv_storage_get_roster (srv_server_get_storage (server), user);
  g_autoptr(GPtrArray) sessions = sessions_of (server, user);
  GPtrArray *targets = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; roster != NULL && i < roster->len; i++)
    {
      SrvRosterItem *contact = g_ptr_array_index (roster, i);
      g_autoptr(XmppJid) jid = NULL;

      if (contact->subscription != XMPP_SUBSCRIPTION_FROM && contact->subscription != XMPP_SUBSCRIPTION_BOTH)
        continue;
      jid = xmpp_jid_new (contact->contact, NULL);
      if (jid == NULL)
        continue;
      for (guint j = 0; j < items->len; j++)
        {
          XmppJid *item = g_ptr_array_index (items, j);

          if (xmpp_jid_get_local (item) != NULL && xmpp_jid_get_resource (item) != NULL)
            {
              if (xmpp_jid_bare_equal (item, jid))
                add_unique (targets, xmpp_jid_to_string (item));
            }
          else if (item_matches (item, jid))
            add_unique (targets, contact->contact);
        }
    }

  for (guint i = 0; i < sessions->len; i++)
    {
      g_auto(GStrv) directed = srv_session_get_directed (g_ptr_array_index (sessions, i));

      for (guint k = 0; directed != NULL && directed[k] != NULL; k++)
        {
          g_autoptr(XmppJid) jid = xmpp_jid_new (directed[k], NULL);

          for (guint j = 0; jid != NULL && j < items->len; j++)
            if (item_matches (g_ptr_array_index (items, j), jid))
              add_unique (targets, directed[k]);
        }
    }
  return targets;
}

/* Each available resource of @user tells @to its presence (@available:
 * the last one it broadcast) or that it is gone. */
static void
send_presence_of (SrvServer  *server,
                  const char *user,
                  const char *to,
                  gboolean    available)
{
  g_autoptr(GPtrArray) sessions = sessions_of (server, user);

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);
      g_autoptr(XmppElement) last = srv_session_get_presence (session);
      g_autoptr(XmppElement) presence = NULL;

      if (!srv_session_is_available (session) || last == NULL)
        continue;
      if (available)
        presence = xmpp_element_copy (last);
      else
        {
          presence = xmpp_element_new (NS_CLIENT, "presence");
          xmpp_element_set_attribute (presence, "type", "unavailable");
        }
      xmpp_element_set_attribute (presence, "from", xmpp_jid_to_string (srv_session_get_jid (session)));
      xmpp_element_set_attribute (presence, "to", to);
      srv_server_route (server, presence);
    }
}

/* Whether @user is subscribed to the presence of local @contact. */
static gboolean
subscribed_to (SrvServer  *server,
               const char *user,
               XmppJid    *contact)
{
  g_autoptr(SrvRosterItem) item = NULL;

  if (!is_local_account (server, contact))
    return FALSE;
  item = srv_storage_get_roster_item (srv_server_get_storage (server), user,
                                      xmpp_jid_get_bare_string (contact));
  return item != NULL &&
         (item->subscription == XMPP_SUBSCRIPTION_TO || item->subscription == XMPP_SUBSCRIPTION_BOTH);
}

/* @user just blocked (@blocking) or unblocked these JIDs. */
static void
exchange_presence (SrvServer  *server,
                   const char *user,
                   GPtrArray  *targets,
                   gboolean    blocking)
{
  SrvStorage *storage = srv_server_get_storage (server);

  for (guint i = 0; i < targets->len; i++)
    {
      const char *target = g_ptr_array_index (targets, i);
      g_autoptr(XmppJid) jid = xmpp_jid_new (target, NULL);

      if (jid == NULL)
        continue;
      /* A local contact that blocks the user hears nothing either way. */
      if (!blocking && is_local_account (server, jid) &&
          srv_storage_is_blocked (storage, xmpp_jid_get_bare_string (jid), user))
        continue;
      send_presence_of (server, user, target, !blocking);
      if (subscribed_to (server, user, jid))
        send_presence_of (server, xmpp_jid_get_bare_string (jid), user, !blocking);
    }
}

/* --- the protocol ------------------------------------------------------ */

static void
push (SrvServer   *server,
      const char  *user,
      XmppElement *payload)
{
  static guint64 counter;
  g_autoptr(GPtrArray) sessions = sessions_of (server, user);

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);
      g_autofree char *id = NULL;
      g_autoptr(XmppElement) iq = NULL;
      g_autoptr(XmppElement) copy = NULL;

      if (!srv_session_get_flag (session, FLAG_BLOCKLIST))
        continue;
      id = g_strdup_printf ("block%" G_GUINT64_FORMAT, ++counter);
      iq = new_iq ("set", id, xmpp_jid_to_string (srv_session_get_jid (session)));
      copy = xmpp_element_copy (payload);
      xmpp_element_add_child (iq, copy);
      srv_server_deliver (server, session, iq);
    }
}

static void
handle_get (SrvServer   *server,
            SrvSession  *session,
            XmppElement *iq)
{
  g_auto(GStrv) items = srv_storage_get_blocklist (srv_server_get_storage (server),
                                                   srv_session_get_user (session));
  g_autoptr(XmppElement) result = new_result (session, iq);
  XmppElement *list = xmpp_element_add_child_new (result, SRV_NS_BLOCKING, "blocklist");

  srv_session_set_flag (session, FLAG_BLOCKLIST, TRUE);
  for (guint i = 0; items != NULL && items[i] != NULL; i++)
    {
      XmppElement *item = xmpp_element_add_child_new (list, NULL, "item");

      xmpp_element_set_attribute (item, "jid", items[i]);
    }
  srv_server_deliver (server, session, result);
}

/* The <item jid/> children of @command as JIDs; NULL (and an error sent)
 * when one does not parse. */
static GPtrArray *
parse_items (SrvServer   *server,
             XmppElement *iq,
             XmppElement *command)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_jid_unref);
  XmppElement *child = NULL;

  while ((child = xmpp_element_next_child (command, child)) != NULL)
    {
      const char *text;
      XmppJid *jid;

      if (!xmpp_element_is (child, SRV_NS_BLOCKING, "item"))
        continue;
      text = xmpp_element_get_attribute (child, "jid");
      jid = text != NULL ? xmpp_jid_new (text, NULL) : NULL;
      if (jid == NULL)
        {
          srv_server_bounce (server, iq, XMPP_STANZA_ERROR_JID_MALFORMED,
                             text == NULL ? "An item has no jid" : "An item's jid is not a JID");
          return NULL;
        }
      g_ptr_array_add (items, jid);
    }
  return g_steal_pointer (&items);
}

static XmppElement *
command_with_items (const char *name,
                    GPtrArray  *items)
{
  XmppElement *command = xmpp_element_new (SRV_NS_BLOCKING, name);

  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      XmppElement *item = xmpp_element_add_child_new (command, NULL, "item");

      xmpp_element_set_attribute (item, "jid", xmpp_jid_to_string (g_ptr_array_index (items, i)));
    }
  return command;
}

static void
handle_block (SrvServer   *server,
              SrvSession  *session,
              XmppElement *iq,
              XmppElement *command)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  g_autoptr(GPtrArray) items = parse_items (server, iq, command);
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(GPtrArray) fresh = NULL;
  g_autoptr(XmppElement) result = NULL;
  g_autoptr(XmppElement) payload = NULL;

  if (items == NULL)
    return;
  if (items->len == 0)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_BAD_REQUEST, "Nothing to block");
      return;
    }

  /* Whoever was not blocked yet learns that the user went away. */
  targets = presence_targets (server, user, items);
  fresh = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < targets->len; i++)
    if (!srv_storage_is_blocked (storage, user, g_ptr_array_index (targets, i)))
      g_ptr_array_add (fresh, g_strdup (g_ptr_array_index (targets, i)));

  for (guint i = 0; i < items->len; i++)
    if (!srv_storage_block (storage, user, xmpp_jid_to_string (g_ptr_array_index (items, i))))
      {
        g_warning ("%s: cannot store the block list", user);
        srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
        return;
      }
  g_debug ("%s: blocked %u JIDs", user, items->len);

  result = new_result (session, iq);
  srv_server_deliver (server, session, result);
  payload = command_with_items ("block", items);
  push (server, user, payload);
  exchange_presence (server, user, fresh, TRUE);
}

static void
handle_unblock (SrvServer   *server,
                SrvSession  *session,
                XmppElement *iq,
                XmppElement *command)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  g_autoptr(GPtrArray) items = parse_items (server, iq, command);
  g_autoptr(GPtrArray) covered = NULL;
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(GPtrArray) released = NULL;
  g_autoptr(XmppElement) result = NULL;
  g_autoptr(XmppElement) payload = NULL;
  gboolean all;
  gboolean stored = TRUE;

  if (items == NULL)
    return;
  all = items->len == 0;

  /* §3.4: an empty <unblock/> is every item. */
  covered = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_jid_unref);
  if (all)
    {
      g_auto(GStrv) list = srv_storage_get_blocklist (storage, user);

      for (guint i = 0; list != NULL && list[i] != NULL; i++)
        {
          XmppJid *jid = xmpp_jid_new (list[i], NULL);

          if (jid != NULL)
            g_ptr_array_add (covered, jid);
        }
    }
  else
    for (guint i = 0; i < items->len; i++)
      g_ptr_array_add (covered, xmpp_jid_ref (g_ptr_array_index (items, i)));

  targets = presence_targets (server, user, covered);
  released = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < targets->len; i++)
    if (srv_storage_is_blocked (storage, user, g_ptr_array_index (targets, i)))
      g_ptr_array_add (released, g_strdup (g_ptr_array_index (targets, i)));

  if (all)
    stored = srv_storage_unblock (storage, user, NULL);
  for (guint i = 0; !all && i < items->len; i++)
    stored = srv_storage_unblock (storage, user, xmpp_jid_to_string (g_ptr_array_index (items, i))) && stored;
  if (!stored)
    {
      g_warning ("%s: cannot store the block list", user);
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  g_debug ("%s: unblocked %s", user, all ? "everyone" : "some JIDs");

  result = new_result (session, iq);
  srv_server_deliver (server, session, result);
  payload = command_with_items ("unblock", all ? NULL : items);
  push (server, user, payload);

  /* Still covered by another item (a domain, say): stays silent. */
  for (guint i = released->len; i > 0; i--)
    if (srv_storage_is_blocked (storage, user, g_ptr_array_index (released, i - 1)))
      g_ptr_array_remove_index (released, i - 1);
  exchange_presence (server, user, released, FALSE);
}

static gboolean
blocking_iq_cb (SrvServer   *server,
                SrvSession  *session,
                XmppElement *iq,
                gpointer     user_data)
{
  XmppElement *child = xmpp_element_next_child (iq, NULL);
  const char *type = xmpp_element_get_attribute (iq, "type");
  const char *name = xmpp_element_get_name (child);

  /* Another account's block list: service-unavailable from the core. */
  if (session == NULL || srv_session_get_jid (session) == NULL)
    return FALSE;

  if (g_strcmp0 (type, "get") == 0 && strcmp (name, "blocklist") == 0)
    handle_get (server, session, iq);
  else if (g_strcmp0 (type, "set") == 0 && strcmp (name, "block") == 0)
    handle_block (server, session, iq, child);
  else if (g_strcmp0 (type, "set") == 0 && strcmp (name, "unblock") == 0)
    handle_unblock (server, session, iq, child);
  else
    srv_server_bounce (server, iq, XMPP_STANZA_ERROR_BAD_REQUEST, NULL);
  return TRUE;
}

void
srv_blocking_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  srv_server_add_iq_handler (server, SRV_NS_BLOCKING, blocking_iq_cb, NULL);
  srv_server_add_filter (server, filter_cb, NULL);
  srv_server_add_feature (server, SRV_NS_BLOCKING);
}
