/* srv-session.c: a bound resource and its XEP-0198 state
 *
 * A SrvSession outlives its connection when stream management with
 * resumption is on: the connection goes, the session stays bound (its
 * presence too) and keeps queueing what is sent to it, until the client
 * resumes on a new connection or the window closes (srv-server.c).
 *
 * Counting (XEP-0198 §4): h_in counts the client's stanzas once handled;
 * every stanza written after <enabled/> joins `unacked` until an <a h/>
 * covers it, so the sent count is always h_acked + the queue length.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "srv-server-private.h"

/* Ask for an acknowledgement once this many stanzas are unacknowledged
 * (the tick asks for fewer after a second). */
#define ACK_REQUEST_BATCH 5

SrvSession *
_srv_session_new (SrvServer *server,
                  XmppJid   *bare)
{
  SrvSession *self = g_new0 (SrvSession, 1);

  self->ref_count = 1;
  self->server = server;
  self->bare = xmpp_jid_ref (bare);
  g_queue_init (&self->unacked);
  return self;
}

SrvSession *
srv_session_ref (SrvSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  self->ref_count++;
  return self;
}

void
_srv_sm_entry_free (SrvSmEntry *entry)
{
  xmpp_element_unref (entry->stanza);
  g_free (entry);
}

void
srv_session_unref (SrvSession *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->ref_count > 0);

  if (--self->ref_count > 0)
    return;

  g_queue_clear_full (&self->unacked, (GDestroyNotify) _srv_sm_entry_free);
  g_clear_pointer (&self->bare, xmpp_jid_unref);
  g_clear_pointer (&self->jid, xmpp_jid_unref);
  g_free (self->presence_xml);
  g_clear_pointer (&self->flags, g_array_unref);
  g_clear_pointer (&self->directed, g_ptr_array_unref);
  g_free (self->lang);
  g_free (self->sm_id);
  g_free (self);
}

XmppJid *
srv_session_get_jid (SrvSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->jid;
}

const char *
srv_session_get_user (SrvSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->bare != NULL ? xmpp_jid_to_string (self->bare) : NULL;
}

static gboolean
end_overflowed_cb (gpointer user_data)
{
  SrvSession *self = user_data;

  if (self->ended)
    return G_SOURCE_REMOVE;
  g_info ("%s: too many unacknowledged stanzas", xmpp_jid_to_string (self->jid));
  if (self->conn != NULL)
    _srv_connection_close (self->conn, XMPP_STREAM_ERROR_RESOURCE_CONSTRAINT,
                           "Too many unacknowledged stanzas");
  else
    _srv_server_end_session (self->server, self);
  _srv_server_flush (self->server);
  return G_SOURCE_REMOVE;
}

void
_srv_session_write (SrvSession  *self,
                    XmppElement *stanza)
{
  if (self->overflowed)
    return;
  if (self->sm_enabled)
    {
      SrvSmEntry *entry = g_new (SrvSmEntry, 1);

      entry->stanza = xmpp_element_ref (stanza);
      entry->time = g_get_real_time ();
      g_queue_push_tail (&self->unacked, entry);

      if (self->unacked.length > self->server->config->sm_max_unacked)
        {
          /* The client stopped acknowledging: keeping more would let one
           * session eat the server's memory.  Not ended right here: the
           * caller may be walking the account's sessions. */
          if (!self->overflowed)
            {
              self->overflowed = TRUE;
              g_idle_add_full (G_PRIORITY_HIGH, end_overflowed_cb, srv_session_ref (self),
                               (GDestroyNotify) srv_session_unref);
            }
          return;
        }
    }

  if (self->conn == NULL)
    return;

  _srv_connection_write_element (self->conn, stanza);
  if (self->sm_enabled && !self->ack_pending && self->unacked.length >= ACK_REQUEST_BATCH)
    {
      _srv_connection_write_raw (self->conn, "<r xmlns='" SRV_NS_SM "'/>", -1);
      self->ack_pending = TRUE;
      self->ack_requested_at = _srv_now ();
    }
}

void
srv_session_send (SrvSession  *self,
                  XmppElement *stanza)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (stanza != NULL);

  if (self->ended)
    return;
  _srv_session_write (self, stanza);
}

gboolean
_srv_session_ack (SrvSession *self,
                  guint32     h)
{
  guint32 n = h - self->h_acked;

  if (n > self->unacked.length)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    _srv_sm_entry_free (g_queue_pop_head (&self->unacked));
  self->h_acked = h;
  self->ack_pending = FALSE;
  return TRUE;
}

guint32
_srv_session_sent_count (SrvSession *self)
{
  return self->h_acked + self->unacked.length;
}

void
_srv_session_resend_unacked (SrvSession *self)
{
  g_return_if_fail (self->conn != NULL);

  for (GList *l = self->unacked.head; l != NULL; l = l->next)
    {
      SrvSmEntry *entry = l->data;

      _srv_connection_write_element (self->conn, entry->stanza);
    }
  if (self->unacked.length > 0)
    {
      _srv_connection_write_raw (self->conn, "<r xmlns='" SRV_NS_SM "'/>", -1);
      self->ack_pending = TRUE;
      self->ack_requested_at = _srv_now ();
    }
}

GPtrArray *
_srv_session_take_unacked (SrvSession *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) _srv_sm_entry_free);
  SrvSmEntry *entry;

  while ((entry = g_queue_pop_head (&self->unacked)) != NULL)
    g_ptr_array_add (entries, entry);
  return entries;
}

gboolean
srv_session_is_interested (SrvSession *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->interested;
}

void
srv_session_set_interested (SrvSession *self,
                            gboolean    interested)
{
  g_return_if_fail (self != NULL);
  self->interested = !!interested;
}

gboolean
srv_session_is_available (SrvSession *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->available;
}

XmppElement *
srv_session_get_presence (SrvSession *self)
{
  g_autoptr(GError) error = NULL;
  XmppElement *presence;

  g_return_val_if_fail (self != NULL, NULL);

  if (!self->available)
    return NULL;
  if (self->presence_xml == NULL)
    return xmpp_element_new (SRV_NS_CLIENT, "presence");
  presence = xmpp_element_parse (self->presence_xml, -1, &error);
  if (presence == NULL)
    {
      /* Our own serialisation: cannot happen. */
      g_critical ("Cannot parse a stored presence: %s", error->message);
      presence = xmpp_element_new (SRV_NS_CLIENT, "presence");
    }
  return presence;
}

static gint
parse_priority (XmppElement *presence)
{
  const char *text = xmpp_element_find_child_text (presence, SRV_NS_CLIENT, "priority");
  gint64 value;
  char *end = NULL;

  if (text == NULL)
    return 0;
  while (g_ascii_isspace (*text))
    text++;
  value = g_ascii_strtoll (text, &end, 10);
  if (end == text)
    return 0;
  return (gint) CLAMP (value, -128, 127);
}

void
srv_session_set_presence (SrvSession  *self,
                          XmppElement *presence)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->presence_xml, g_free);
  if (presence != NULL &&
      (xmpp_element_get_n_nodes (presence) > 0 ||
       xmpp_element_get_n_attributes (presence) >
         (xmpp_element_get_attribute (presence, "from") != NULL ? 1u : 0u) +
         (xmpp_element_get_attribute (presence, "to") != NULL ? 1u : 0u)))
    {
      /* Idle sessions are what memory is measured by: keep one short
       * string rather than a tree (and its attribute block). */
      g_autoptr(XmppElement) copy = xmpp_element_copy (presence);

      xmpp_element_set_attribute (copy, "from", NULL);
      xmpp_element_set_attribute (copy, "to", NULL);
      self->presence_xml = xmpp_element_to_string (copy);
    }
  self->available = presence != NULL;
  self->priority = presence != NULL ? parse_priority (presence) : 0;
}

gint
srv_session_get_priority (SrvSession *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->priority;
}

static gint
find_directed (SrvSession *self,
               const char *jid)
{
  if (self->directed == NULL)
    return -1;
  for (guint i = 0; i < self->directed->len; i++)
    if (strcmp (g_ptr_array_index (self->directed, i), jid) == 0)
      return (gint) i;
  return -1;
}

void
srv_session_add_directed (SrvSession *self,
                          const char *jid)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (jid != NULL);

  if (find_directed (self, jid) >= 0)
    return;
  if (self->directed == NULL)
    self->directed = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->directed, g_strdup (jid));
}

void
srv_session_remove_directed (SrvSession *self,
                             const char *jid)
{
  gint i;

  g_return_if_fail (self != NULL);
  g_return_if_fail (jid != NULL);

  i = find_directed (self, jid);
  if (i >= 0)
    g_ptr_array_remove_index (self->directed, (guint) i);
}

GStrv
srv_session_get_directed (SrvSession *self)
{
  GStrv out;
  guint n;

  g_return_val_if_fail (self != NULL, NULL);

  n = self->directed != NULL ? self->directed->len : 0;
  out = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (g_ptr_array_index (self->directed, i));
  return out;
}

void
srv_session_set_flag (SrvSession *self,
                      const char *name,
                      gboolean    value)
{
  GQuark quark;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  quark = g_quark_from_string (name);
  if (self->flags != NULL)
    for (guint i = 0; i < self->flags->len; i++)
      if (g_array_index (self->flags, GQuark, i) == quark)
        {
          if (!value)
            g_array_remove_index_fast (self->flags, i);
          return;
        }
  if (!value)
    return;
  if (self->flags == NULL)
    self->flags = g_array_sized_new (FALSE, FALSE, sizeof (GQuark), 2);
  g_array_append_val (self->flags, quark);
}

gboolean
srv_session_get_flag (SrvSession *self,
                      const char *name)
{
  GQuark quark;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (self->flags == NULL)
    return FALSE;
  quark = g_quark_try_string (name);
  if (quark == 0)
    return FALSE;
  for (guint i = 0; i < self->flags->len; i++)
    if (g_array_index (self->flags, GQuark, i) == quark)
      return TRUE;
  return FALSE;
}
