/* srv-carbons.c: XEP-0280 Message Carbons (urn:xmpp:carbons:2)
 *
 *   <enable/> / <disable/>   per session (a flag on the SrvSession, so it
 *                            survives an XEP-0198 resumption); repeats are
 *                            not errors (§10.1)
 *   message hook, outgoing   the sender's other carbons-enabled resources
 *                            get <sent><forwarded>original</forwarded></sent>
 *   message hook, incoming   the recipient's carbons-enabled resources that
 *                            will not get the original get <received/>; who
 *                            gets the original is decided as srv-router.c
 *                            does (RFC 6121 §8.5): that full JID, or the
 *                            available resources of the highest
 *                            non-negative priority for a bare JID
 *
 * The hooks run before the router delivers the message, so what the
 * copies wrap is what the recipients get (with the archive's stanza-id
 * when srv-mam.c's hook ran first).  Copies go out with
 * srv_server_deliver(): no hook sees them, nothing copies a copy.
 *
 * Which messages are copied (§6.1, the "rules" this module advertises):
 * chat; normal with a <body/>; any non-groupchat, non-headline message
 * carrying a receipt, a chat state, a chat marker or a MUC invitation.
 * Never: <private/> (§9) or <no-copy/> (XEP-0334) hints, messages that
 * already are carbons, MUC private messages received, error messages
 * (server bounces would otherwise be copied around), and messages
 * between two resources of the same account.
 */
#include "config.h"

#include <string.h>

#include "srv-carbons.h"

#define NS_CLIENT        "jabber:client"
#define NS_CARBONS_RULES "urn:xmpp:carbons:rules:0"
#define NS_FORWARD       "urn:xmpp:forward:0"
#define NS_HINTS         "urn:xmpp:hints"
#define NS_RECEIPTS      "urn:xmpp:receipts"
#define NS_CHATSTATES    "http://jabber.org/protocol/chatstates"
#define NS_MARKERS       "urn:xmpp:chat-markers:0"
#define NS_MUC_USER      "http://jabber.org/protocol/muc#user"
#define NS_CONFERENCE    "jabber:x:conference"

#define FLAG_CARBONS     "carbons"

/* --- enable / disable ------------------------------------------------- */

/* The iq is for the sender's own account (no 'to', its bare JID or the
 * server): carbons are a setting of the session that asks. */
static gboolean
carbons_iq_cb (SrvServer   *server,
               SrvSession  *session,
               XmppElement *iq,
               gpointer     user_data)
{
  XmppElement *child = xmpp_element_next_child (iq, NULL);
  g_autoptr(XmppElement) result = NULL;
  const char *id = xmpp_element_get_attribute (iq, "id");
  gboolean enable;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "set") != 0)
    return FALSE;
  if (xmpp_element_is (child, SRV_NS_CARBONS, "enable"))
    enable = TRUE;
  else if (xmpp_element_is (child, SRV_NS_CARBONS, "disable"))
    enable = FALSE;
  else
    return FALSE;

  if (session == NULL || srv_session_get_jid (session) == NULL)
    {
      /* §4: only a local user's own session may do this. */
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_NOT_ALLOWED, NULL);
      return TRUE;
    }

  srv_session_set_flag (session, FLAG_CARBONS, enable);
  g_debug ("%s: carbons %s", xmpp_jid_to_string (srv_session_get_jid (session)),
           enable ? "enabled" : "disabled");

  result = xmpp_element_new (NS_CLIENT, "iq");
  xmpp_element_set_attribute (result, "type", "result");
  if (id != NULL)
    xmpp_element_set_attribute (result, "id", id);
  xmpp_element_set_attribute (result, "to", xmpp_jid_to_string (srv_session_get_jid (session)));
  if (xmpp_element_get_attribute (iq, "to") != NULL)
    xmpp_element_set_attribute (result, "from", xmpp_element_get_attribute (iq, "to"));
  srv_server_deliver (server, session, result);
  return TRUE;
}

/* --- which messages ---------------------------------------------------- */

static gboolean
has_child_in (XmppElement *message,
              const char  *ns)
{
  return xmpp_element_find_child (message, ns, NULL) != NULL;
}

/* §6.1, with the exclusions listed at the top of the file. */
static gboolean
is_eligible (XmppElement *message,
             gboolean     outgoing)
{
  const char *type = xmpp_element_get_attribute (message, "type");
  XmppElement *muc;

  if (g_strcmp0 (type, "groupchat") == 0 || g_strcmp0 (type, "headline") == 0 ||
      g_strcmp0 (type, "error") == 0)
    return FALSE;

  /* §9 and XEP-0334: the sender asked for no copies. */
  if (xmpp_element_find_child (message, SRV_NS_CARBONS, "private") != NULL ||
      xmpp_element_find_child (message, NS_HINTS, "no-copy") != NULL)
    return FALSE;
  /* Already a carbon (or something claiming to be one): never wrapped
   * again; the client checks who sent it (§11). */
  if (xmpp_element_find_child (message, SRV_NS_CARBONS, "sent") != NULL ||
      xmpp_element_find_child (message, SRV_NS_CARBONS, "received") != NULL)
    return FALSE;

  muc = xmpp_element_find_child (message, NS_MUC_USER, "x");
  if (muc != NULL && xmpp_element_find_child (muc, NS_MUC_USER, "invite") != NULL)
    return TRUE;
  /* A private message from a MUC occupant is only for the resource that
   * joined the room; one sent to an occupant is copied. */
  if (muc != NULL && !outgoing)
    return FALSE;

  if (g_strcmp0 (type, "chat") == 0)
    return TRUE;
  if (xmpp_element_find_child (message, NS_CLIENT, "body") != NULL)
    return TRUE;   /* normal (or unknown type, RFC 6121 §5.2.2) */
  return has_child_in (message, NS_RECEIPTS) || has_child_in (message, NS_CHATSTATES) ||
         has_child_in (message, NS_MARKERS) || has_child_in (message, NS_CONFERENCE);
}

/* --- copies ------------------------------------------------------------ */

static XmppElement *
make_carbon (const char  *user,
             SrvSession  *target,
             XmppElement *message,
             const char  *direction)
{
  XmppElement *carbon = xmpp_element_new (NS_CLIENT, "message");
  const char *type = xmpp_element_get_attribute (message, "type");
  XmppElement *wrapper, *forwarded;
  g_autoptr(XmppElement) copy = xmpp_element_copy (message);

  xmpp_element_set_attribute (carbon, "from", user);
  xmpp_element_set_attribute (carbon, "to", xmpp_jid_to_string (srv_session_get_jid (target)));
  if (type != NULL)
    xmpp_element_set_attribute (carbon, "type", type);
  wrapper = xmpp_element_add_child_new (carbon, SRV_NS_CARBONS, direction);
  forwarded = xmpp_element_add_child_new (wrapper, NS_FORWARD, "forwarded");
  xmpp_element_add_child (forwarded, copy);
  return carbon;
}

/* Whether @session receives a normal or chat message the router hands to
 * @user's bare JID (RFC 6121 §8.5.2.1, as srv-router.c delivers it). */
static gboolean
gets_bare_message (SrvSession *session,
                   gint        best)
{
  return best >= 0 && srv_session_is_available (session) && srv_session_get_priority (session) == best;
}

static gint
best_priority (GPtrArray *sessions)
{
  gint best = -1;

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);
      gint priority = srv_session_get_priority (session);

      if (srv_session_is_available (session) && priority >= 0 && priority > best)
        best = priority;
    }
  return best;
}

static void
send_copies (SrvServer   *server,
             const char  *user,
             XmppElement *message,
             const char  *direction,
             XmppJid     *skip,
             gint         skip_best)
{
  /* A snapshot with references (as srv-presence.c takes): the live list
   * must not change while we walk it. */
  GPtrArray *live = srv_server_get_sessions (server, user);
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_session_unref);

  for (guint i = 0; i < live->len; i++)
    {
      SrvSession *session = g_ptr_array_index (live, i);

      if (srv_session_get_jid (session) != NULL && srv_session_get_flag (session, FLAG_CARBONS))
        g_ptr_array_add (sessions, srv_session_ref (session));
    }

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);
      g_autoptr(XmppElement) carbon = NULL;

      if (skip != NULL && xmpp_jid_equal (skip, srv_session_get_jid (session)))
        continue;
      if (skip == NULL && gets_bare_message (session, skip_best))
        continue;
      carbon = make_carbon (user, session, message, direction);
      srv_server_deliver (server, session, carbon);
    }
}

static gboolean
has_carbons_session (SrvServer  *server,
                     const char *user)
{
  GPtrArray *sessions = srv_server_get_sessions (server, user);

  for (guint i = 0; i < sessions->len; i++)
    if (srv_session_get_flag (g_ptr_array_index (sessions, i), FLAG_CARBONS))
      return TRUE;
  return FALSE;
}

static void
message_hook_cb (SrvServer   *server,
                 const char  *user,
                 gboolean     outgoing,
                 XmppElement *message,
                 gpointer     user_data)
{
  const char *from_text = xmpp_element_get_attribute (message, "from");
  const char *to_text = xmpp_element_get_attribute (message, "to");
  g_autoptr(XmppJid) from = NULL;
  g_autoptr(XmppJid) to = NULL;

  /* The common case first: nobody of this account wants copies. */
  if (!has_carbons_session (server, user) || !is_eligible (message, outgoing))
    return;

  from = from_text != NULL ? xmpp_jid_new (from_text, NULL) : NULL;
  if (from == NULL)
    return;
  to = to_text != NULL ? xmpp_jid_new (to_text, NULL) : xmpp_jid_get_bare (from);
  if (to == NULL)
    return;
  /* Between resources of one account every resource sees the original
   * or can ask for it: no copies (XEP-0280 does not cover it). */
  if (xmpp_jid_bare_equal (from, to))
    return;

  if (outgoing)
    {
      /* §8: every other resource; the sender may not have carbons on. */
      send_copies (server, user, message, "sent", from, -1);
      return;
    }

  /* §7: every carbons-enabled resource that does not get the original. */
  if (xmpp_jid_get_resource (to) != NULL)
    {
      SrvSession *target = srv_server_find_session (server, to);

      if (target != NULL)
        {
          send_copies (server, user, message, "received", to, -1);
          return;
        }
      /* RFC 6121 §8.5.3.2.1: only chat falls back to the bare JID; the
       * rest is dropped, and nobody gets a copy of nothing. */
      if (g_strcmp0 (xmpp_element_get_attribute (message, "type"), "chat") != 0)
        return;
    }
  send_copies (server, user, message, "received", NULL,
               best_priority (srv_server_get_sessions (server, user)));
}

void
srv_carbons_init (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  srv_server_add_iq_handler (server, SRV_NS_CARBONS, carbons_iq_cb, NULL);
  srv_server_add_message_hook (server, message_hook_cb, NULL);
  srv_server_add_feature (server, SRV_NS_CARBONS);
  srv_server_add_feature (server, NS_CARBONS_RULES);
}
