/* srv-router.c: where stanzas go (RFC 6120 §10, RFC 6121 §8.5)
 *
 *   srv_server_route (stanza with a trusted 'from')
 *     filters (blocking, …) ─ consumed? stop
 *     'to' absent: message → the sender's bare JID; presence → the sender's
 *                  own resources; iq → answered for the account (handlers)
 *     'to' malformed → jid-malformed; another domain → remote-server-not-found
 *     the domain (or domain/resource) → iq handlers; messages and
 *                  presence for the server itself are dropped
 *     a local account:
 *       message   hooks (archive, carbons), then by type and target:
 *                 full JID bound → that session; full JID gone → chat is
 *                 handled as for the bare JID, the rest is dropped;
 *                 bare JID → normal/chat: the available resources of the
 *                 highest non-negative priority, else offline storage;
 *                 headline: every non-negative resource, else dropped;
 *                 groupchat → service-unavailable; error → dropped
 *       presence  subscription types and probes → the presence module;
 *                 the rest → the available resources / that full JID
 *       iq        bare JID: handlers answer for the account; full JID:
 *                 delivered (requests only from entities allowed to see
 *                 the user's presence, RFC 6121 §8.5.3.1)
 *
 * A non-existent account looks like an existing one without resources
 * (messages are silently dropped instead of stored), so nobody can probe
 * which accounts exist (RFC 6120 §10.2).
 */
#include "config.h"

#include <string.h>

#include "srv-server-private.h"

typedef enum
{
  MSG_NORMAL,
  MSG_CHAT,
  MSG_GROUPCHAT,
  MSG_HEADLINE,
  MSG_ERROR,
} MessageType;

static MessageType
message_type (XmppElement *message)
{
  const char *type = xmpp_element_get_attribute (message, "type");

  if (type == NULL)
    return MSG_NORMAL;
  if (strcmp (type, "chat") == 0)
    return MSG_CHAT;
  if (strcmp (type, "groupchat") == 0)
    return MSG_GROUPCHAT;
  if (strcmp (type, "headline") == 0)
    return MSG_HEADLINE;
  if (strcmp (type, "error") == 0)
    return MSG_ERROR;
  return MSG_NORMAL;   /* RFC 6121 §5.2.2: unknown types are normal */
}

static gboolean
is_iq_request (XmppElement *iq)
{
  const char *type = xmpp_element_get_attribute (iq, "type");

  return g_strcmp0 (type, "get") == 0 || g_strcmp0 (type, "set") == 0;
}

/* --- building stanzas ---------------------------------------------- */

static const char *
legacy_code (XmppStanzaErrorCode condition)
{
  /* XEP-0086 codes, still expected by XEP-0077 clients. */
  switch (condition)
    {
    case XMPP_STANZA_ERROR_BAD_REQUEST: return "400";
    case XMPP_STANZA_ERROR_CONFLICT: return "409";
    case XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED: return "501";
    case XMPP_STANZA_ERROR_FORBIDDEN: return "403";
    case XMPP_STANZA_ERROR_ITEM_NOT_FOUND: return "404";
    case XMPP_STANZA_ERROR_JID_MALFORMED: return "400";
    case XMPP_STANZA_ERROR_NOT_ACCEPTABLE: return "406";
    case XMPP_STANZA_ERROR_NOT_ALLOWED: return "405";
    case XMPP_STANZA_ERROR_NOT_AUTHORIZED: return "401";
    case XMPP_STANZA_ERROR_REMOTE_SERVER_NOT_FOUND: return "404";
    case XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE: return "503";
    case XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR: return "500";
    case XMPP_STANZA_ERROR_GONE:
    case XMPP_STANZA_ERROR_POLICY_VIOLATION:
    case XMPP_STANZA_ERROR_RECIPIENT_UNAVAILABLE:
    case XMPP_STANZA_ERROR_REDIRECT:
    case XMPP_STANZA_ERROR_REGISTRATION_REQUIRED:
    case XMPP_STANZA_ERROR_REMOTE_SERVER_TIMEOUT:
    case XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT:
    case XMPP_STANZA_ERROR_SUBSCRIPTION_REQUIRED:
    case XMPP_STANZA_ERROR_UNDEFINED_CONDITION:
    case XMPP_STANZA_ERROR_UNEXPECTED_REQUEST:
    default:
      return NULL;
    }
}

XmppElement *
_srv_make_error (XmppElement         *stanza,
                 XmppStanzaErrorCode  condition,
                 const char          *text,
                 const char          *from)
{
  XmppElement *error = xmpp_element_new (SRV_NS_CLIENT, xmpp_element_get_name (stanza));
  XmppElement *child;
  const char *original_from = xmpp_element_get_attribute (stanza, "from");
  const char *id = xmpp_element_get_attribute (stanza, "id");
  const char *lang = xmpp_element_get_lang (stanza);

  xmpp_element_set_attribute (error, "type", "error");
  if (id != NULL)
    xmpp_element_set_attribute (error, "id", id);
  if (original_from != NULL)
    xmpp_element_set_attribute (error, "to", original_from);
  xmpp_element_set_attribute (error, "from", from != NULL ? from : xmpp_element_get_attribute (stanza, "to"));
  if (lang != NULL)
    xmpp_element_set_lang (error, lang);

  /* An iq error carries the request's payload (RFC 6120 §8.3.1). */
  if (strcmp (xmpp_element_get_name (stanza), "iq") == 0)
    {
      XmppElement *payload = xmpp_element_next_child (stanza, NULL);

      if (payload != NULL)
        {
          g_autoptr(XmppElement) copy = xmpp_element_copy (payload);

          xmpp_element_add_child (error, copy);
        }
    }

  child = xmpp_element_add_child_new (error, SRV_NS_CLIENT, "error");
  xmpp_element_set_attribute (child, "type", xmpp_stanza_condition_default_type (condition));
  if (legacy_code (condition) != NULL)
    xmpp_element_set_attribute (child, "code", legacy_code (condition));
  xmpp_element_add_child_new (child, SRV_NS_STANZAS, xmpp_stanza_condition_to_string (condition));
  if (text != NULL)
    {
      XmppElement *t = xmpp_element_add_child_with_text (child, SRV_NS_STANZAS, "text", text);

      xmpp_element_set_lang (t, "en");
    }
  return error;
}

XmppElement *
_srv_make_iq_result (XmppElement *iq)
{
  XmppElement *result = xmpp_element_new (SRV_NS_CLIENT, "iq");
  const char *from = xmpp_element_get_attribute (iq, "from");
  const char *to = xmpp_element_get_attribute (iq, "to");

  xmpp_element_set_attribute (result, "type", "result");
  xmpp_element_set_attribute (result, "id", xmpp_element_get_attribute (iq, "id"));
  if (from != NULL)
    xmpp_element_set_attribute (result, "to", from);
  if (to != NULL)
    xmpp_element_set_attribute (result, "from", to);
  return result;
}

void
_srv_add_delay (XmppElement *stanza,
                const char  *from,
                gint64       real_time)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *stamp = NULL;
  XmppElement *delay;

  if (xmpp_element_find_child (stanza, SRV_NS_DELAY, "delay") != NULL)
    return;
  time = g_date_time_new_from_unix_utc (real_time / G_USEC_PER_SEC);
  if (time == NULL)
    return;
  stamp = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  delay = xmpp_element_add_child_new (stanza, SRV_NS_DELAY, "delay");
  xmpp_element_set_attribute (delay, "from", from);
  {
    g_autofree char *full = g_strdup_printf ("%s.%03dZ", stamp, (int) ((real_time / 1000) % 1000));

    xmpp_element_set_attribute (delay, "stamp", full);
  }
}

/* --- delivery helpers ---------------------------------------------- */

void
srv_server_deliver (SrvServer   *self,
                    SrvSession  *session,
                    XmppElement *stanza)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (session != NULL);
  g_return_if_fail (stanza != NULL);

  srv_session_send (session, stanza);
}

void
srv_server_bounce (SrvServer           *self,
                   XmppElement         *stanza,
                   XmppStanzaErrorCode  condition,
                   const char          *text)
{
  g_autoptr(XmppElement) error = NULL;
  const char *type;
  const char *to;
  g_autoptr(XmppJid) to_jid = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (stanza != NULL);

  type = xmpp_element_get_attribute (stanza, "type");
  if (g_strcmp0 (type, "error") == 0)
    return;
  if (strcmp (xmpp_element_get_name (stanza), "iq") == 0 && g_strcmp0 (type, "result") == 0)
    return;
  if (xmpp_element_get_attribute (stanza, "from") == NULL)
    return;

  /* Never put a malformed JID in 'from' (RFC 6120 §8.3.1). */
  to = xmpp_element_get_attribute (stanza, "to");
  if (to != NULL)
    to_jid = xmpp_jid_new (to, NULL);
  error = _srv_make_error (stanza, condition, text,
                           to != NULL && to_jid == NULL ? self->domain : NULL);
  srv_server_route (self, error);
}

static gboolean
account_exists (SrvServer  *self,
                XmppJid    *bare)
{
  if (g_hash_table_contains (self->users, xmpp_jid_get_bare_string (bare)))
    return TRUE;
  return srv_storage_account_exists (self->storage, xmpp_jid_get_local (bare));
}

static gboolean
is_chat_state_only (XmppElement *message)
{
  if (xmpp_element_find_child (message, SRV_NS_CLIENT, "body") != NULL)
    return FALSE;
  return xmpp_element_find_child (message, SRV_NS_CHATSTATES, NULL) != NULL;
}

static void
store_offline (SrvServer   *self,
               const char  *user,
               XmppElement *message)
{
  g_autoptr(GError) error = NULL;

  /* XEP-0085 §5.8, XEP-0334: not worth keeping. */
  if (is_chat_state_only (message) ||
      xmpp_element_find_child (message, SRV_NS_HINTS, "no-store") != NULL)
    return;
  if (!srv_storage_store_offline (self->storage, user, message, &error))
    {
      gboolean full = g_error_matches (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_FULL);

      /* XEP-0160 §3, RFC 6121 §8.5.2.2.1: a full queue (max-offline-
       * messages) answers service-unavailable, as any storage failure. */
      g_info ("%s: offline message refused: %s", user, error->message);
      srv_server_bounce (self, message, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE,
                         full ? "The recipient's offline message queue is full" : NULL);
    }
}

/* A normal, chat or headline message for the account @user: the
 * resources RFC 6121 §8.5.2 names, or offline storage. */
static void
deliver_to_bare (SrvServer   *self,
                 const char  *user,
                 XmppElement *message,
                 MessageType  type,
                 gboolean     exists)
{
  GPtrArray *sessions = srv_server_get_sessions (self, user);
  gint best = -1;

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);

      if (session->available && session->priority >= 0 && session->priority > best)
        best = session->priority;
    }

  if (best < 0)
    {
      if (type != MSG_HEADLINE && exists)
        store_offline (self, user, message);
      return;
    }

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);

      if (!session->available || session->priority < 0)
        continue;
      if (type == MSG_HEADLINE || session->priority == best)
        srv_session_send (session, message);
    }
}

static void
deliver_to_available (SrvServer   *self,
                      const char  *user,
                      XmppElement *stanza)
{
  GPtrArray *sessions = srv_server_get_sessions (self, user);

  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);

      if (session->available)
        srv_session_send (session, stanza);
    }
}

/* --- per kind ------------------------------------------------------ */

static void
route_message (SrvServer   *self,
               XmppElement *message,
               XmppJid     *from,
               XmppJid     *to)
{
  MessageType type = message_type (message);
  const char *user = xmpp_jid_get_bare_string (to);
  gboolean exists = account_exists (self, to);

  if (from != NULL && xmpp_jid_get_local (from) != NULL &&
      _srv_server_is_local_domain (self, xmpp_jid_get_domain (from)))
    _srv_server_run_message_hooks (self, xmpp_jid_get_bare_string (from), TRUE, message);
  if (exists)
    _srv_server_run_message_hooks (self, user, FALSE, message);

  if (!exists)
    {
      if (type == MSG_GROUPCHAT)
        srv_server_bounce (self, message, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  if (xmpp_jid_get_resource (to) != NULL)
    {
      SrvSession *session = srv_server_find_session (self, to);

      if (session != NULL)
        {
          srv_session_send (session, message);
          return;
        }
      /* RFC 6121 §8.5.3.2.1: only chat falls back to the bare JID. */
      if (type != MSG_CHAT)
        return;
    }

  switch (type)
    {
    case MSG_ERROR:
      return;
    case MSG_GROUPCHAT:
      srv_server_bounce (self, message, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
      return;
    case MSG_NORMAL:
    case MSG_CHAT:
    case MSG_HEADLINE:
    default:
      deliver_to_bare (self, user, message, type, exists);
      return;
    }
}

static gboolean
is_presence_for_module (const char *type)
{
  return type != NULL && (strcmp (type, "subscribe") == 0 || strcmp (type, "subscribed") == 0 ||
                          strcmp (type, "unsubscribe") == 0 || strcmp (type, "unsubscribed") == 0 ||
                          strcmp (type, "probe") == 0);
}

static void
route_presence (SrvServer   *self,
                XmppElement *presence,
                XmppJid     *to)
{
  const char *type = xmpp_element_get_attribute (presence, "type");

  if (is_presence_for_module (type))
    {
      if (!account_exists (self, to))
        return;
      if (self->presence_inbound != NULL)
        {
          self->presence_inbound (self, NULL, presence, self->presence_data);
          return;
        }
      /* No presence module: hand subscription requests to the user. */
      if (strcmp (type, "probe") != 0)
        deliver_to_available (self, xmpp_jid_get_bare_string (to), presence);
      return;
    }

  if (xmpp_jid_get_resource (to) != NULL)
    {
      SrvSession *session = srv_server_find_session (self, to);

      if (session != NULL)
        srv_session_send (session, presence);
      return;
    }
  deliver_to_available (self, xmpp_jid_get_bare_string (to), presence);
}

/* RFC 6121 §8.5.3.1: an iq request reaches a resource only from someone
 * who may know it is there. */
static gboolean
may_query_resource (SrvServer  *self,
                    SrvSession *target,
                    XmppJid    *from)
{
  g_autoptr(SrvRosterItem) item = NULL;
  const char *from_bare;

  if (from == NULL || xmpp_jid_get_local (from) == NULL)
    return TRUE;    /* the server itself */
  if (xmpp_jid_bare_equal (from, target->bare))
    return TRUE;
  from_bare = xmpp_jid_get_bare_string (from);
  if (target->directed != NULL)
    for (guint i = 0; i < target->directed->len; i++)
      {
        const char *jid = g_ptr_array_index (target->directed, i);

        if (strcmp (jid, from_bare) == 0 || strcmp (jid, xmpp_jid_to_string (from)) == 0)
          return TRUE;
      }
  item = srv_storage_get_roster_item (self->storage, xmpp_jid_to_string (target->bare), from_bare);
  return item != NULL &&
         (item->subscription == XMPP_SUBSCRIPTION_FROM || item->subscription == XMPP_SUBSCRIPTION_BOTH);
}

static SrvSession *
local_sender (SrvServer *self,
              XmppJid   *from)
{
  if (from == NULL || xmpp_jid_get_resource (from) == NULL ||
      !_srv_server_is_local_domain (self, xmpp_jid_get_domain (from)))
    return NULL;
  return srv_server_find_session (self, from);
}

static void
route_iq (SrvServer   *self,
          XmppElement *iq,
          XmppJid     *from,
          XmppJid     *to)
{
  gboolean request = is_iq_request (iq);

  if (xmpp_jid_get_resource (to) == NULL)
    {
      SrvSession *session = NULL;

      if (!request)
        return;
      if (!account_exists (self, to))
        {
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
          return;
        }
      if (from != NULL && xmpp_jid_bare_equal (from, to))
        session = local_sender (self, from);
      if (!_srv_server_dispatch_iq (self, session, iq))
        srv_server_bounce (self, iq, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  {
    SrvSession *target = srv_server_find_session (self, to);

    if (target == NULL)
      {
        if (request)
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
        return;
      }
    if (request && !may_query_resource (self, target, from))
      {
        srv_server_bounce (self, iq, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
        return;
      }
    srv_session_send (target, iq);
  }
}

/* To the server itself: the domain, or domain/resource. */
static void
route_to_domain (SrvServer   *self,
                 XmppElement *stanza,
                 XmppJid     *from,
                 XmppJid     *to)
{
  if (strcmp (xmpp_element_get_name (stanza), "iq") != 0 || !is_iq_request (stanza))
    return;   /* results (pongs), messages and presence for the server */
  if (xmpp_jid_get_resource (to) != NULL ||
      !_srv_server_dispatch_iq (self, local_sender (self, from), stanza))
    srv_server_bounce (self, stanza, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
}

void
srv_server_route (SrvServer   *self,
                  XmppElement *stanza)
{
  const char *name;
  const char *from_text, *to_text;
  g_autoptr(XmppJid) from = NULL;
  g_autoptr(XmppJid) to = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (stanza != NULL);

  if (_srv_server_run_filters (self, stanza))
    return;

  name = xmpp_element_get_name (stanza);
  from_text = xmpp_element_get_attribute (stanza, "from");
  to_text = xmpp_element_get_attribute (stanza, "to");
  if (from_text != NULL)
    from = xmpp_jid_new (from_text, NULL);

  if (to_text == NULL)
    {
      /* RFC 6120 §10.3: no 'to' means the sender's own account. */
      if (from == NULL || xmpp_jid_get_local (from) == NULL)
        return;
      if (strcmp (name, "iq") == 0)
        {
          if (is_iq_request (stanza) && !_srv_server_dispatch_iq (self, local_sender (self, from), stanza))
            srv_server_bounce (self, stanza, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
          return;
        }
      to = xmpp_jid_get_bare (from);
    }
  else
    {
      g_autoptr(GError) error = NULL;

      to = xmpp_jid_new (to_text, &error);
      if (to == NULL)
        {
          srv_server_bounce (self, stanza, XMPP_STANZA_ERROR_JID_MALFORMED, NULL);
          return;
        }
    }

  if (!_srv_server_is_local_domain (self, xmpp_jid_get_domain (to)))
    {
      /* No federation (yet): nothing leaves this server. */
      srv_server_bounce (self, stanza, XMPP_STANZA_ERROR_REMOTE_SERVER_NOT_FOUND, NULL);
      return;
    }

  if (xmpp_jid_get_local (to) == NULL)
    route_to_domain (self, stanza, from, to);
  else if (strcmp (name, "message") == 0)
    route_message (self, stanza, from, to);
  else if (strcmp (name, "presence") == 0)
    route_presence (self, stanza, to);
  else if (strcmp (name, "iq") == 0)
    route_iq (self, stanza, from, to);
}

/* --- from a client ------------------------------------------------- */

/* Presence without a presence module: the account's own resources see
 * it, and the first available presence with a non-negative priority
 * flushes offline messages (XEP-0160). */
static void
plain_broadcast (SrvServer   *self,
                 SrvSession  *session,
                 XmppElement *presence)
{
  const char *type = xmpp_element_get_attribute (presence, "type");
  const char *user = xmpp_jid_to_string (session->bare);

  if (type == NULL)
    {
      gboolean initial = !session->available;

      srv_session_set_presence (session, presence);
      deliver_to_available (self, user, presence);
      if (initial && session->priority >= 0)
        {
          g_autoptr(GPtrArray) messages = srv_storage_take_offline (self->storage, user);

          for (guint i = 0; messages != NULL && i < messages->len; i++)
            srv_session_send (session, g_ptr_array_index (messages, i));
        }
    }
  else if (strcmp (type, "unavailable") == 0)
    {
      gboolean was_available = session->available;

      srv_session_set_presence (session, NULL);
      deliver_to_available (self, user, presence);
      if (was_available)
        srv_session_send (session, presence);
    }
}

void
_srv_router_from_session (SrvServer   *self,
                          SrvSession  *session,
                          XmppElement *stanza)
{
  if (strcmp (xmpp_element_get_name (stanza), "presence") == 0)
    {
      if (self->presence_outbound != NULL)
        {
          self->presence_outbound (self, session, stanza, self->presence_data);
          return;
        }
      if (xmpp_element_get_attribute (stanza, "to") == NULL)
        {
          plain_broadcast (self, session, stanza);
          return;
        }
    }
  srv_server_route (self, stanza);
}

/* --- XEP-0198: a session died with unacknowledged stanzas ----------- */

void
_srv_router_reroute_unacked (SrvServer  *self,
                             SrvSession *session,
                             GPtrArray  *entries)
{
  const char *user = xmpp_jid_to_string (session->bare);

  for (guint i = 0; i < entries->len; i++)
    {
      SrvSmEntry *entry = g_ptr_array_index (entries, i);
      XmppElement *stanza = entry->stanza;
      const char *name = xmpp_element_get_name (stanza);
      const char *from_text = xmpp_element_get_attribute (stanza, "from");
      const char *to_text = xmpp_element_get_attribute (stanza, "to");
      g_autoptr(XmppJid) from = from_text != NULL ? xmpp_jid_new (from_text, NULL) : NULL;
      g_autoptr(XmppJid) to = to_text != NULL ? xmpp_jid_new (to_text, NULL) : NULL;
      g_autoptr(XmppElement) copy = NULL;
      MessageType type;

      /* Nothing the server made for this session (pings, carbons, MAM
       * results: no 'from' or the account's own bare JID). */
      if (from == NULL || xmpp_jid_get_local (from) == NULL ||
          (xmpp_jid_is_bare (from) && xmpp_jid_bare_equal (from, session->bare)))
        continue;

      if (strcmp (name, "iq") == 0)
        {
          /* The requester would otherwise wait for an answer forever. */
          if (is_iq_request (stanza))
            srv_server_bounce (self, stanza, XMPP_STANZA_ERROR_RECIPIENT_UNAVAILABLE, NULL);
          continue;
        }
      if (strcmp (name, "message") != 0 || to == NULL)
        continue;

      type = message_type (stanza);
      if (type != MSG_NORMAL && type != MSG_CHAT)
        continue;
      /* Addressed to the account, or chat to this resource (§8.5.3.2.1). */
      if (!xmpp_jid_is_bare (to) && type != MSG_CHAT)
        continue;

      copy = xmpp_element_copy (stanza);
      if (srv_server_get_sessions (self, user)->len > 0)
        _srv_add_delay (copy, self->domain, entry->time);
      g_debug ("%s: re-routing an unacknowledged message from %s", user, from_text);
      deliver_to_bare (self, user, copy, type, TRUE);
    }
}
