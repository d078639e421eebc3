/* srv-presence.c: presence and subscriptions (RFC 6121 §3, §4)
 *
 * The core hands this module every presence a session sends (outbound_cb)
 * and every subscription or probe presence routed to a local account
 * (inbound_cb); it delivers plain available/unavailable presence to local
 * accounts itself.
 *
 *   outbound, no 'to':   broadcast.  Initial presence: echo to the
 *                        user's available resources, send to from/both
 *                        contacts, answer the user's probes of to/both
 *                        contacts from local state, give the new resource
 *                        its siblings' presence, redeliver stored
 *                        subscription requests, deliver offline messages
 *                        (priority ≥ 0).  Later presence: echo + contacts.
 *                        Unavailable: contacts, own resources, and every
 *                        directed-presence recipient.
 *   outbound, 'to':      directed presence (remembered when the target
 *                        is not a subscriber, so it hears unavailable
 *                        later), or a subscription stanza: A.2 via
 *                        srv_subscription_outbound(), or a probe.
 *   inbound:             A.3 via srv_subscription_inbound(); probes are
 *                        answered with each available resource's last
 *                        presence, unavailable or unsubscribed.
 *   session ended:       unavailable as for an explicit one.
 *
 * Local contacts are reached with srv_server_route(), which may call
 * inbound_cb for them at once (re-entrantly); so each side stores its new
 * state (and pushes it) before anything is routed.  Presence never
 * crosses a block (XEP-0191) in either direction: both block lists are
 * checked here since both accounts are local.
 */
#include "config.h"

#include <string.h>

#include "srv-presence.h"
#include "srv-roster.h"
#include "srv-subscription.h"

#define NS_CLIENT "jabber:client"

/* --- helpers ---------------------------------------------------------- */

static gboolean
is_local (SrvServer  *server,
          XmppJid    *jid)
{
  return g_strcmp0 (xmpp_jid_get_domain (jid), srv_server_get_domain (server)) == 0
         && xmpp_jid_get_local (jid) != NULL;
}

static gboolean
is_local_bare (SrvServer  *server,
               const char *bare)
{
  const char *at = strchr (bare, '@');

  return at != NULL && strcmp (at + 1, srv_server_get_domain (server)) == 0;
}

static const char *
session_full_jid (SrvSession *session)
{
  XmppJid *jid = srv_session_get_jid (session);

  return jid != NULL ? xmpp_jid_to_string (jid) : NULL;
}

/* A snapshot of @user's bound sessions (each referenced): routing may end
 * a session while we walk the list. */
static GPtrArray *
sessions_of (SrvServer  *server,
             const char *user)
{
  GPtrArray *live = srv_server_get_sessions (server, user);
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_session_unref);

  for (guint i = 0; live != NULL && i < live->len; i++)
    {
      SrvSession *session = g_ptr_array_index (live, i);

      if (srv_session_get_jid (session) != NULL)
        g_ptr_array_add (copy, srv_session_ref (session));
    }
  return copy;
}

static gboolean
has_available_session (SrvServer  *server,
                       const char *user)
{
  GPtrArray *live = srv_server_get_sessions (server, user);

  for (guint i = 0; live != NULL && i < live->len; i++)
    if (srv_session_is_available (g_ptr_array_index (live, i)))
      return TRUE;
  return FALSE;
}

/* Whether presence must not pass between local @user (as @user_jid, full
 * or bare) and @other (any JID): either blocks the other. */
static gboolean
blocked_between (SrvServer  *server,
                 const char *user,
                 const char *user_jid,
                 const char *other)
{
  SrvStorage *storage = srv_server_get_storage (server);
  g_autoptr(XmppJid) other_jid = NULL;

  if (srv_storage_is_blocked (storage, user, other))
    return TRUE;
  other_jid = xmpp_jid_new (other, NULL);
  if (other_jid == NULL || !is_local (server, other_jid))
    return FALSE;
  return srv_storage_is_blocked (storage, xmpp_jid_get_bare_string (other_jid), user_jid);
}

static gboolean
has_from (XmppSubscription subscription)
{
  return subscription == XMPP_SUBSCRIPTION_FROM || subscription == XMPP_SUBSCRIPTION_BOTH;
}

static gboolean
has_to (XmppSubscription subscription)
{
  return subscription == XMPP_SUBSCRIPTION_TO || subscription == XMPP_SUBSCRIPTION_BOTH;
}

static XmppElement *
copy_addressed (XmppElement *stanza,
                const char  *from,
                const char  *to)
{
  XmppElement *copy = xmpp_element_copy (stanza);

  xmpp_element_set_attribute (copy, "from", from);
  xmpp_element_set_attribute (copy, "to", to);
  return copy;
}

static XmppElement *
new_presence (const char *type,
              const char *from,
              const char *to)
{
  XmppElement *presence = xmpp_element_new (NS_CLIENT, "presence");

  if (type != NULL)
    xmpp_element_set_attribute (presence, "type", type);
  if (from != NULL)
    xmpp_element_set_attribute (presence, "from", from);
  if (to != NULL)
    xmpp_element_set_attribute (presence, "to", to);
  return presence;
}

static void
route_new_presence (SrvServer  *server,
                    const char *type,
                    const char *from,
                    const char *to,
                    const char *id)
{
  g_autoptr(XmppElement) presence = new_presence (type, from, to);

  if (id != NULL)
    xmpp_element_set_attribute (presence, "id", id);
  srv_server_route (server, presence);
}

/* Send the presence of each of @user's available resources to @to:
 * their last broadcast presence, or unavailable.  @to may be any JID. */
static void
send_resources_presence (SrvServer  *server,
                         const char *user,
                         const char *to,
                         gboolean    available)
{
  g_autoptr(GPtrArray) sessions = sessions_of (server, user);

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = sessions->pdata[i];
      g_autoptr(XmppElement) last = srv_session_get_presence (session);
      const char *full = session_full_jid (session);
      g_autoptr(XmppElement) presence = NULL;

      if (!srv_session_is_available (session) || last == NULL)
        continue;
      if (blocked_between (server, user, full, to))
        continue;
      presence = available ? copy_addressed (last, full, to) : new_presence ("unavailable", full, to);
      srv_server_route (server, presence);
    }
}

void
srv_presence_send_unavailable (SrvServer  *server,
                               const char *user,
                               const char *contact)
{
  g_return_if_fail (server != NULL);
  g_return_if_fail (user != NULL && contact != NULL);

  send_resources_presence (server, user, contact, FALSE);
}

void
srv_presence_send_subscription (SrvServer  *server,
                                const char *user,
                                const char *contact,
                                const char *type)
{
  g_return_if_fail (server != NULL);
  g_return_if_fail (user != NULL && contact != NULL && type != NULL);

  if (!is_local_bare (server, contact) || blocked_between (server, user, user, contact))
    return;
  route_new_presence (server, type, user, contact, NULL);
}

/* The user's state about @contact: the roster item (if any) plus the
 * stored request for pending-in. */
static SrvSubState
load_state (SrvStorage     *storage,
            const char     *user,
            const char     *contact,
            SrvRosterItem **item_out)
{
  SrvRosterItem *item = srv_storage_get_roster_item (storage, user, contact);
  SrvSubState state = { XMPP_SUBSCRIPTION_NONE, FALSE, FALSE, FALSE };

  if (item != NULL)
    {
      state.subscription = item->subscription;
      state.pending_out = item->pending_out;
      state.approved = item->approved;
      state.pending_in = item->pending_in;
    }
  else
    state.pending_in = srv_storage_has_subscription_request (storage, user, contact);
  srv_sub_state_normalize (&state);
  *item_out = item;
  return state;
}

/* Store @outcome's state for @contact in @user's roster: the item when it
 * shows a change (created when needed; then pushed), the request when
 * pending-in changed.  @request is the stanza to keep for redelivery. */
static void
store_state (SrvServer           *server,
             const char          *user,
             const char          *contact,
             const SrvRosterItem *item,
             const SrvSubState   *before,
             const SrvSubOutcome *outcome,
             XmppElement         *request)
{
  SrvStorage *storage = srv_server_get_storage (server);

  if (outcome->push)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *ver = NULL;
      char *no_groups[] = { NULL };
      SrvRosterItem updated = { 0, };

      if (item != NULL)
        updated = *item;
      else
        {
          updated.contact = (char *) contact;
          updated.groups = no_groups;
        }
      updated.subscription = outcome->state.subscription;
      updated.pending_out = outcome->state.pending_out;
      updated.approved = outcome->state.approved;

      ver = srv_storage_put_roster_item (storage, user, &updated, &error);
      if (ver == NULL)
        g_warning ("Cannot store the subscription of %s to %s: %s", user, contact, error->message);
      else
        srv_roster_push (server, user, &updated, ver);
    }

  if (outcome->state.pending_in && !before->pending_in && request != NULL)
    srv_storage_add_subscription_request (storage, user, contact, request);
  else if (!outcome->state.pending_in && before->pending_in)
    srv_storage_remove_subscription_request (storage, user, contact);
}

/* --- outbound --------------------------------------------------------- */

static void
outbound_subscription (SrvServer   *server,
                       SrvSession  *session,
                       XmppElement *presence,
                       SrvSubType   type)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  const char *to = xmpp_element_get_attribute (presence, "to");
  g_autoptr(XmppJid) target = NULL;
  g_autoptr(SrvRosterItem) item = NULL;
  g_autoptr(XmppElement) stanza = NULL;
  SrvSubState before;
  SrvSubOutcome outcome;
  const char *contact;
  gboolean blocked;

  if (to == NULL || (target = xmpp_jid_new (to, NULL)) == NULL)
    {
      srv_server_bounce (server, presence, XMPP_STANZA_ERROR_JID_MALFORMED,
                         "A subscription stanza needs a valid 'to'");
      return;
    }
  /* §3.1.2: subscriptions are between bare JIDs. */
  contact = xmpp_jid_get_bare_string (target);
  if (strcmp (contact, user) == 0)
    return;

  before = load_state (storage, user, contact, &item);
  srv_subscription_outbound (&before, type, &outcome);
  blocked = blocked_between (server, user, user, contact);

  if (G_UNLIKELY (g_getenv ("G_MESSAGES_DEBUG") != NULL))
    {
      g_autofree char *state = srv_sub_state_describe (&before);

      g_debug ("%s → %s: %s in %s", user, contact, srv_sub_type_to_string (type), state);
    }

  if (outcome.presence == SRV_SUB_PRESENCE_UNAVAILABLE && !blocked)
    send_resources_presence (server, user, contact, FALSE);

  store_state (server, user, contact, item, &before, &outcome, NULL);

  if (outcome.forward && !blocked)
    {
      stanza = copy_addressed (presence, user, contact);
      srv_server_route (server, stanza);
    }

  if (outcome.presence == SRV_SUB_PRESENCE_AVAILABLE && !blocked)
    send_resources_presence (server, user, contact, TRUE);
}

/* The user's available resources (@except excluded), for echoes. */
static void
deliver_to_own_resources (SrvServer   *server,
                          const char  *user,
                          XmppElement *presence,
                          SrvSession  *except)
{
  g_autoptr(GPtrArray) sessions = sessions_of (server, user);

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *other = sessions->pdata[i];
      g_autoptr(XmppElement) copy = NULL;

      if (other == except || !srv_session_is_available (other))
        continue;
      copy = xmpp_element_copy (presence);
      xmpp_element_set_attribute (copy, "to", session_full_jid (other));
      srv_server_deliver (server, other, copy);
    }
}

/* @presence (from the user's full JID) to every contact with a from/both
 * subscription.  Available presence only goes to contacts that are
 * online, unavailable to all of them. */
static void
broadcast_to_contacts (SrvServer   *server,
                       const char  *user,
                       const char  *full,
                       XmppElement *presence,
                       gboolean     available)
{
  g_autoptr(GPtrArray) roster = srv_storage_get_roster (srv_server_get_storage (server), user);

  for (guint i = 0; i < roster->len; i++)
    {
      SrvRosterItem *item = roster->pdata[i];
      g_autoptr(XmppElement) copy = NULL;

      if (!has_from (item->subscription))
        continue;
      /* Without federation only local contacts can be reached. */
      if (!is_local_bare (server, item->contact))
        continue;
      if (available && !has_available_session (server, item->contact))
        continue;
      if (blocked_between (server, user, full, item->contact))
        continue;
      copy = copy_addressed (presence, full, item->contact);
      srv_server_route (server, copy);
    }
}

/* §4.2.2 for local contacts: instead of probing, give the new resource
 * the presence of each contact the user is subscribed to (when the
 * contact's own roster agrees it is shared). */
static void
answer_login_probes (SrvServer  *server,
                     SrvSession *session,
                     const char *user)
{
  SrvStorage *storage = srv_server_get_storage (server);
  g_autoptr(GPtrArray) roster = srv_storage_get_roster (storage, user);
  const char *full = session_full_jid (session);

  for (guint i = 0; i < roster->len; i++)
    {
      SrvRosterItem *item = roster->pdata[i];
      g_autoptr(SrvRosterItem) reverse = NULL;
      g_autoptr(GPtrArray) sessions = NULL;

      if (!has_to (item->subscription) || !is_local_bare (server, item->contact))
        continue;
      if (blocked_between (server, user, full, item->contact))
        continue;
      reverse = srv_storage_get_roster_item (storage, item->contact, user);
      if (reverse == NULL || !has_from (reverse->subscription))
        continue;

      sessions = sessions_of (server, item->contact);
      for (guint j = 0; j < sessions->len; j++)
        {
          SrvSession *contact_session = sessions->pdata[j];
          g_autoptr(XmppElement) last = srv_session_get_presence (contact_session);
          g_autoptr(XmppElement) copy = NULL;

          if (!srv_session_is_available (contact_session) || last == NULL)
            continue;
          copy = copy_addressed (last, session_full_jid (contact_session), full);
          srv_server_deliver (server, session, copy);
        }
    }
}

static gint
presence_priority (XmppElement *presence)
{
  const char *text = xmpp_element_find_child_text (presence, NS_CLIENT, "priority");
  gint64 value;
  char *end = NULL;

  if (text == NULL)
    return 0;
  value = g_ascii_strtoll (text, &end, 10);
  if (end == text)
    return 0;
  return (gint) CLAMP (value, -128, 127);
}

static void
broadcast_available (SrvServer   *server,
                     SrvSession  *session,
                     XmppElement *presence)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  const char *full = session_full_jid (session);
  gboolean initial = !srv_session_is_available (session);
  gint old_priority = initial ? -1 : srv_session_get_priority (session);
  gint priority = presence_priority (presence);
  g_autoptr(XmppElement) stored = xmpp_element_copy (presence);

  xmpp_element_set_attribute (stored, "from", full);
  xmpp_element_set_attribute (stored, "to", NULL);
  srv_session_set_presence (session, stored);

  /* §4.2.2 / §4.4.2: every available resource of the user, the sender
   * included, then the contacts. */
  deliver_to_own_resources (server, user, stored, NULL);
  broadcast_to_contacts (server, user, full, stored, TRUE);

  if (initial)
    {
      g_autoptr(GPtrArray) siblings = sessions_of (server, user);
      g_autoptr(GPtrArray) requests = NULL;

      answer_login_probes (server, session, user);

      /* The other resources' presence for the newcomer. */
      for (guint i = 0; i < siblings->len; i++)
        {
          SrvSession *other = siblings->pdata[i];
          g_autoptr(XmppElement) last = srv_session_get_presence (other);
          g_autoptr(XmppElement) copy = NULL;

          if (other == session || !srv_session_is_available (other) || last == NULL)
            continue;
          copy = copy_addressed (last, session_full_jid (other), full);
          srv_server_deliver (server, session, copy);
        }

      /* §3.1.3: requests that arrived while the user was away, on every
       * login until answered. */
      requests = srv_storage_get_subscription_requests (storage, user);
      for (guint i = 0; i < requests->len; i++)
        srv_server_deliver (server, session, requests->pdata[i]);
    }

  /* XEP-0160: stored messages go to the first resource that can take
   * them (non-negative priority). */
  if (priority >= 0 && old_priority < 0)
    {
      g_autoptr(GPtrArray) messages = srv_storage_take_offline (storage, user);

      for (guint i = 0; i < messages->len; i++)
        srv_server_deliver (server, session, messages->pdata[i]);
    }
}

/* Unavailable for everyone who may hold the session's presence.  @echo:
 * the session itself hears it too (it asked). */
static void
broadcast_unavailable (SrvServer   *server,
                       SrvSession  *session,
                       XmppElement *presence,
                       gboolean     echo)
{
  const char *user = srv_session_get_user (session);
  const char *full = session_full_jid (session);
  gboolean was_available = srv_session_is_available (session);
  g_auto(GStrv) directed = srv_session_get_directed (session);
  g_autoptr(XmppElement) stanza = NULL;

  if (presence != NULL)
    {
      stanza = xmpp_element_copy (presence);
      /* §4.5.1: unavailable carries no show or priority. */
      xmpp_element_remove_children (stanza, NS_CLIENT, "show");
      xmpp_element_remove_children (stanza, NS_CLIENT, "priority");
    }
  else
    stanza = new_presence ("unavailable", NULL, NULL);
  xmpp_element_set_attribute (stanza, "type", "unavailable");
  xmpp_element_set_attribute (stanza, "from", full);
  xmpp_element_set_attribute (stanza, "to", NULL);

  srv_session_set_presence (session, NULL);

  if (was_available)
    {
      broadcast_to_contacts (server, user, full, stanza, FALSE);
      deliver_to_own_resources (server, user, stanza, echo ? NULL : session);
      if (echo)
        {
          g_autoptr(XmppElement) copy = copy_addressed (stanza, full, full);

          srv_server_deliver (server, session, copy);
        }
    }

  /* §4.6.3: whoever got directed presence hears the end of it, unless
   * it became a subscriber since and the broadcast told it already. */
  for (guint i = 0; directed[i] != NULL; i++)
    {
      g_autoptr(XmppElement) copy = NULL;
      g_autoptr(XmppJid) target = xmpp_jid_new (directed[i], NULL);

      srv_session_remove_directed (session, directed[i]);
      if (target == NULL || blocked_between (server, user, full, directed[i]))
        continue;
      if (was_available)
        {
          const char *contact = xmpp_jid_get_bare_string (target);
          g_autoptr(SrvRosterItem) item =
            srv_storage_get_roster_item (srv_server_get_storage (server), user, contact);

          if (item != NULL && has_from (item->subscription) && is_local_bare (server, contact))
            continue;
        }
      copy = copy_addressed (stanza, full, directed[i]);
      srv_server_route (server, copy);
    }
}

static void
directed_presence (SrvServer   *server,
                   SrvSession  *session,
                   XmppElement *presence,
                   const char  *type)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  const char *full = session_full_jid (session);
  const char *to = xmpp_element_get_attribute (presence, "to");
  g_autoptr(XmppJid) target = xmpp_jid_new (to, NULL);
  g_autoptr(XmppElement) copy = NULL;

  if (target == NULL)
    {
      srv_server_bounce (server, presence, XMPP_STANZA_ERROR_JID_MALFORMED, NULL);
      return;
    }
  if (blocked_between (server, user, full, xmpp_jid_to_string (target)))
    return;

  copy = xmpp_element_copy (presence);
  xmpp_element_set_attribute (copy, "from", full);
  xmpp_element_set_attribute (copy, "to", xmpp_jid_to_string (target));
  srv_server_route (server, copy);

  if (strcmp (xmpp_jid_get_bare_string (target), user) == 0)
    return;

  if (type == NULL)
    {
      g_autoptr(SrvRosterItem) item = srv_storage_get_roster_item (storage, user,
                                                                   xmpp_jid_get_bare_string (target));

      /* §4.6.2: a subscriber of an available session learns of the end
       * through the broadcast; anyone else needs remembering. */
      if (item == NULL || !has_from (item->subscription) || !srv_session_is_available (session))
        srv_session_add_directed (session, xmpp_jid_to_string (target));
    }
  else
    srv_session_remove_directed (session, xmpp_jid_to_string (target));
}

static void
outbound_cb (SrvServer   *server,
             SrvSession  *session,
             XmppElement *presence,
             gpointer     user_data)
{
  const char *type = xmpp_element_get_attribute (presence, "type");
  const char *to = xmpp_element_get_attribute (presence, "to");
  SrvSubType sub_type;

  if (session == NULL || srv_session_get_user (session) == NULL || srv_session_get_jid (session) == NULL)
    return;

  if (type == NULL || strcmp (type, "unavailable") == 0)
    {
      if (to != NULL)
        directed_presence (server, session, presence, type);
      else if (type == NULL)
        broadcast_available (server, session, presence);
      else
        broadcast_unavailable (server, session, presence, TRUE);
    }
  else if (srv_sub_type_from_string (type, &sub_type))
    outbound_subscription (server, session, presence, sub_type);
  else if (strcmp (type, "probe") == 0 || strcmp (type, "error") == 0)
    {
      g_autoptr(XmppJid) target = to != NULL ? xmpp_jid_new (to, NULL) : NULL;
      g_autoptr(XmppElement) copy = NULL;

      if (target == NULL)
        return;
      /* §4.3: probes come from the bare JID. */
      copy = xmpp_element_copy (presence);
      xmpp_element_set_attribute (copy, "from", strcmp (type, "probe") == 0
                                                ? srv_session_get_user (session)
                                                : session_full_jid (session));
      if (!blocked_between (server, srv_session_get_user (session), session_full_jid (session), to))
        srv_server_route (server, copy);
    }
  else
    srv_server_bounce (server, presence, XMPP_STANZA_ERROR_BAD_REQUEST, "Unknown presence type");
}

/* --- inbound ---------------------------------------------------------- */

/* §4.3.2: the user's server answers a probe from @requester. */
static void
answer_probe (SrvServer   *server,
              const char  *user,
              XmppJid     *to,
              XmppJid     *requester,
              XmppElement *probe)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *requester_bare = xmpp_jid_get_bare_string (requester);
  const char *id = xmpp_element_get_attribute (probe, "id");
  g_autoptr(SrvRosterItem) item = srv_storage_get_roster_item (storage, user, requester_bare);
  g_autoptr(GPtrArray) sessions = NULL;
  gboolean answered = FALSE;

  if (srv_storage_is_blocked (storage, user, xmpp_jid_to_string (requester)))
    return;
  if (item == NULL || !has_from (item->subscription))
    {
      route_new_presence (server, "unsubscribed", user, requester_bare, NULL);
      return;
    }

  sessions = sessions_of (server, user);
  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = sessions->pdata[i];
      g_autoptr(XmppElement) last = srv_session_get_presence (session);
      g_autoptr(XmppElement) copy = NULL;

      if (!srv_session_is_available (session) || last == NULL)
        continue;
      /* A probe of a full JID asks about that resource only. */
      if (!xmpp_jid_is_bare (to) && !xmpp_jid_equal (to, srv_session_get_jid (session)))
        continue;
      copy = copy_addressed (last, session_full_jid (session), xmpp_jid_to_string (requester));
      srv_server_route (server, copy);
      answered = TRUE;
    }
  if (!answered)
    route_new_presence (server, "unavailable", user, xmpp_jid_to_string (requester), id);
}

/* Deliver a subscription stanza to the user's resources: subscribe to the
 * available ones, the others also to those that fetched the roster. */
static void
deliver_subscription (SrvServer   *server,
                      const char  *user,
                      XmppElement *stanza,
                      SrvSubType   type)
{
  g_autoptr(GPtrArray) sessions = sessions_of (server, user);

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = sessions->pdata[i];

      if (srv_session_is_available (session)
          || (type != SRV_SUB_SUBSCRIBE && srv_session_is_interested (session)))
        srv_server_deliver (server, session, stanza);
    }
}

static void
inbound_cb (SrvServer   *server,
            SrvSession  *session,
            XmppElement *presence,
            gpointer     user_data)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *type = xmpp_element_get_attribute (presence, "type");
  const char *to_attr = xmpp_element_get_attribute (presence, "to");
  const char *from_attr = xmpp_element_get_attribute (presence, "from");
  g_autoptr(XmppJid) to = to_attr != NULL ? xmpp_jid_new (to_attr, NULL) : NULL;
  g_autoptr(XmppJid) from = from_attr != NULL ? xmpp_jid_new (from_attr, NULL) : NULL;
  g_autoptr(SrvRosterItem) item = NULL;
  g_autoptr(XmppElement) stanza = NULL;
  SrvSubState before;
  SrvSubOutcome outcome;
  SrvSubType sub_type;
  const char *user, *contact;

  if (to == NULL || from == NULL || type == NULL)
    return;
  user = xmpp_jid_get_bare_string (to);
  contact = xmpp_jid_get_bare_string (from);
  if (!srv_storage_account_exists (storage, user) || strcmp (user, contact) == 0)
    return;

  if (strcmp (type, "probe") == 0)
    {
      answer_probe (server, user, to, from, presence);
      return;
    }
  if (!srv_sub_type_from_string (type, &sub_type))
    return;

  /* XEP-0191: subscription stanzas from a blocked entity vanish. */
  if (srv_storage_is_blocked (storage, user, xmpp_jid_to_string (from)))
    return;

  before = load_state (storage, user, contact, &item);
  srv_subscription_inbound (&before, sub_type, &outcome);

  if (G_UNLIKELY (g_getenv ("G_MESSAGES_DEBUG") != NULL))
    {
      g_autofree char *state = srv_sub_state_describe (&before);

      g_debug ("%s ← %s: %s in %s", user, contact, srv_sub_type_to_string (sub_type), state);
    }

  /* §3.1.3: the user sees the contact's bare JID, addressed to the bare
   * JID, whatever resource either side used. */
  stanza = copy_addressed (presence, contact, user);

  if (outcome.forward)
    deliver_subscription (server, user, stanza, sub_type);

  store_state (server, user, contact, item, &before, &outcome, stanza);

  switch (outcome.reply)
    {
    case SRV_SUB_REPLY_SUBSCRIBED:
      route_new_presence (server, "subscribed", user, contact, NULL);
      break;
    case SRV_SUB_REPLY_UNSUBSCRIBED:
      route_new_presence (server, "unsubscribed", user, contact, NULL);
      break;
    case SRV_SUB_REPLY_NONE:
    default:
      break;
    }

  switch (outcome.presence)
    {
    case SRV_SUB_PRESENCE_AVAILABLE:
      send_resources_presence (server, user, contact, TRUE);
      break;
    case SRV_SUB_PRESENCE_UNAVAILABLE:
      send_resources_presence (server, user, contact, FALSE);
      break;
    case SRV_SUB_PRESENCE_NONE:
    default:
      break;
    }
}

/* --- session end ------------------------------------------------------ */

static void
session_ended_cb (SrvServer  *server,
                  SrvSession *session,
                  gpointer    user_data)
{
  if (srv_session_get_user (session) == NULL || srv_session_get_jid (session) == NULL)
    return;
  /* §4.5.2: as if it had sent unavailable, minus the echo. */
  broadcast_unavailable (server, session, NULL, FALSE);
}

void
srv_presence_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  srv_server_set_presence_handlers (server, outbound_cb, inbound_cb, NULL);
  srv_server_add_session_ended_hook (server, session_ended_cb, NULL);
}
