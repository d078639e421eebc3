/* xmpp-presence.c: presence and subscriptions (RFC 6121 §3, §4) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "xmpp-disco.h"
#include "xmpp-presence.h"

static const char * const type_names[] = {
  [XMPP_PRESENCE_AVAILABLE] = NULL,
  [XMPP_PRESENCE_UNAVAILABLE] = "unavailable",
  [XMPP_PRESENCE_SUBSCRIBE] = "subscribe",
  [XMPP_PRESENCE_SUBSCRIBED] = "subscribed",
  [XMPP_PRESENCE_UNSUBSCRIBE] = "unsubscribe",
  [XMPP_PRESENCE_UNSUBSCRIBED] = "unsubscribed",
  [XMPP_PRESENCE_PROBE] = "probe",
  [XMPP_PRESENCE_ERROR] = "error",
};

static const char * const show_names[] = {
  [XMPP_SHOW_CHAT] = "chat",
  [XMPP_SHOW_AVAILABLE] = NULL,
  [XMPP_SHOW_AWAY] = "away",
  [XMPP_SHOW_XA] = "xa",
  [XMPP_SHOW_DND] = "dnd",
  [XMPP_SHOW_OFFLINE] = NULL,
};

const char *
xmpp_presence_type_to_string (XmppPresenceType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);
  return type == XMPP_PRESENCE_AVAILABLE ? "available" : type_names[type];
}

gboolean
xmpp_presence_type_from_string (const char       *string,
                                XmppPresenceType *type)
{
  if (string == NULL || strcmp (string, "available") == 0)
    {
      *type = XMPP_PRESENCE_AVAILABLE;
      return TRUE;
    }
  for (guint i = 1; i < G_N_ELEMENTS (type_names); i++)
    if (strcmp (string, type_names[i]) == 0)
      {
        *type = (XmppPresenceType) i;
        return TRUE;
      }
  return FALSE;
}

const char *
xmpp_show_to_string (XmppShow show)
{
  switch (show)
    {
    case XMPP_SHOW_AVAILABLE: return "available";
    case XMPP_SHOW_OFFLINE: return "offline";
    case XMPP_SHOW_CHAT:
    case XMPP_SHOW_AWAY:
    case XMPP_SHOW_XA:
    case XMPP_SHOW_DND:
      return show_names[show];
    default:
      g_return_val_if_reached ("available");
    }
}

gboolean
xmpp_show_from_string (const char *string,
                       XmppShow   *show)
{
  if (string == NULL || strcmp (string, "available") == 0 || strcmp (string, "online") == 0)
    {
      *show = XMPP_SHOW_AVAILABLE;
      return TRUE;
    }
  if (strcmp (string, "offline") == 0 || strcmp (string, "unavailable") == 0)
    {
      *show = XMPP_SHOW_OFFLINE;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (show_names); i++)
    if (show_names[i] != NULL && strcmp (string, show_names[i]) == 0)
      {
        *show = (XmppShow) i;
        return TRUE;
      }
  return FALSE;
}

void
xmpp_presence_free (XmppPresence *presence)
{
  if (presence == NULL)
    return;
  g_clear_pointer (&presence->from, xmpp_jid_unref);
  g_clear_pointer (&presence->to, xmpp_jid_unref);
  g_free (presence->status);
  g_free (presence->caps_node);
  g_free (presence->caps_ver);
  g_free (presence->caps_hash);
  g_clear_error (&presence->error);
  g_free (presence);
}

XmppPresence *
xmpp_presence_copy (const XmppPresence *presence)
{
  XmppPresence *copy = g_new0 (XmppPresence, 1);

  copy->from = presence->from ? xmpp_jid_ref (presence->from) : NULL;
  copy->to = presence->to ? xmpp_jid_ref (presence->to) : NULL;
  copy->type = presence->type;
  copy->show = presence->show;
  copy->status = g_strdup (presence->status);
  copy->priority = presence->priority;
  copy->caps_node = g_strdup (presence->caps_node);
  copy->caps_ver = g_strdup (presence->caps_ver);
  copy->caps_hash = g_strdup (presence->caps_hash);
  copy->error = presence->error ? g_error_copy (presence->error) : NULL;
  return copy;
}

XmppPresence *
xmpp_presence_parse (XmppElement  *stanza,
                     GError      **error)
{
  g_autoptr(XmppPresence) presence = g_new0 (XmppPresence, 1);
  const char *value;
  XmppElement *c;

  g_return_val_if_fail (stanza != NULL, NULL);

  if (!xmpp_element_is (stanza, NULL, "presence"))
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_BAD_REQUEST, "Not a presence stanza");
      return NULL;
    }
  if (!xmpp_presence_type_from_string (xmpp_element_get_attribute (stanza, "type"), &presence->type))
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_BAD_REQUEST,
                   "Unknown presence type “%s”", xmpp_element_get_attribute (stanza, "type"));
      return NULL;
    }
  if ((value = xmpp_element_get_attribute (stanza, "from")) != NULL
      && (presence->from = xmpp_jid_new (value, NULL)) == NULL)
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_JID_MALFORMED, "Bad 'from' “%s”", value);
      return NULL;
    }
  if ((value = xmpp_element_get_attribute (stanza, "to")) != NULL)
    presence->to = xmpp_jid_new (value, NULL);

  presence->show = XMPP_SHOW_AVAILABLE;
  if (presence->type == XMPP_PRESENCE_UNAVAILABLE)
    presence->show = XMPP_SHOW_OFFLINE;
  else if ((value = xmpp_element_find_child_text (stanza, NULL, "show")) != NULL)
    {
      XmppShow show;
      /* An unknown <show/> is treated as plain available (RFC 6121 §4.7.2.1). */
      if (xmpp_show_from_string (value, &show) && show != XMPP_SHOW_OFFLINE)
        presence->show = show;
    }

  if ((value = xmpp_element_find_child_text (stanza, NULL, "status")) != NULL && *value != '\0')
    presence->status = g_strdup (value);
  if ((value = xmpp_element_find_child_text (stanza, NULL, "priority")) != NULL)
    {
      gint64 priority = g_ascii_strtoll (value, NULL, 10);
      presence->priority = (gint) CLAMP (priority, -128, 127);
    }

  c = xmpp_element_find_child (stanza, XMPP_NS_CAPS, "c");
  if (c != NULL)
    {
      presence->caps_node = g_strdup (xmpp_element_get_attribute (c, "node"));
      presence->caps_ver = g_strdup (xmpp_element_get_attribute (c, "ver"));
      presence->caps_hash = g_strdup (xmpp_element_get_attribute (c, "hash"));
    }

  if (presence->type == XMPP_PRESENCE_ERROR)
    xmpp_stanza_get_error (stanza, &presence->error);

  return g_steal_pointer (&presence);
}

XmppElement *
xmpp_presence_build (XmppPresenceType  type,
                     XmppJid          *to,
                     XmppShow          show,
                     const char       *status,
                     gint              priority)
{
  XmppElement *presence = xmpp_element_new (XMPP_NS_CLIENT, "presence");

  if (to != NULL)
    xmpp_element_set_attribute (presence, "to", xmpp_jid_to_string (to));
  if (type != XMPP_PRESENCE_AVAILABLE)
    xmpp_element_set_attribute (presence, "type", type_names[type]);

  if (type == XMPP_PRESENCE_AVAILABLE)
    {
      if (show != XMPP_SHOW_AVAILABLE && show != XMPP_SHOW_OFFLINE)
        xmpp_element_add_child_with_text (presence, NULL, "show", show_names[show]);
      if (priority != 0)
        {
          char buf[8];
          g_snprintf (buf, sizeof buf, "%d", CLAMP (priority, -128, 127));
          xmpp_element_add_child_with_text (presence, NULL, "priority", buf);
        }
    }
  if (status != NULL && *status != '\0'
      && (type == XMPP_PRESENCE_AVAILABLE || type == XMPP_PRESENCE_UNAVAILABLE))
    xmpp_element_add_child_with_text (presence, NULL, "status", status);

  return presence;
}

struct _XmppPresenceManager
{
  GObject     parent_instance;

  XmppClient *client;     /* owned */
  XmppDisco  *disco;      /* borrowed, may be NULL */
  guint       handler;
  gulong      state_id;
  gulong      resumed_id;
  gboolean    resumed;    /* "resumed" since the connection was lost */

  /* bare JID string → GPtrArray of XmppPresence (available resources) */
  GHashTable *contacts;
};

G_DEFINE_FINAL_TYPE (XmppPresenceManager, xmpp_presence_manager, G_TYPE_OBJECT)

enum {
  SIGNAL_PRESENCE,
  SIGNAL_CHANGED,
  SIGNAL_SUBSCRIPTION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GPtrArray *
get_resources (XmppPresenceManager *self,
               XmppJid             *bare,
               gboolean             create)
{
  GPtrArray *resources = g_hash_table_lookup (self->contacts, xmpp_jid_get_bare_string (bare));

  if (resources == NULL && create)
    {
      resources = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_presence_free);
      g_hash_table_insert (self->contacts, g_strdup (xmpp_jid_get_bare_string (bare)), resources);
    }
  return resources;
}

static const XmppPresence *
best_resource (GPtrArray *resources)
{
  const XmppPresence *best = NULL;

  for (guint i = 0; resources != NULL && i < resources->len; i++)
    {
      const XmppPresence *p = g_ptr_array_index (resources, i);

      if (best == NULL
          || p->priority > best->priority
          || (p->priority == best->priority && p->show < best->show))
        best = p;
    }
  return best;
}

static void
track_presence (XmppPresenceManager *self,
                XmppPresence        *presence)
{
  g_autoptr(XmppJid) bare = NULL;
  GPtrArray *resources;
  const XmppPresence *before, *after;
  XmppShow show_before = XMPP_SHOW_OFFLINE;
  g_autofree char *status_before = NULL;
  gboolean changed;

  if (presence->from == NULL)
    return;

  bare = xmpp_jid_get_bare (presence->from);
  resources = get_resources (self, bare, presence->type == XMPP_PRESENCE_AVAILABLE);
  before = best_resource (resources);
  if (before != NULL)
    {
      show_before = before->show;
      status_before = g_strdup (before->status);
    }

  if (resources != NULL)
    for (guint i = 0; i < resources->len; i++)
      {
        XmppPresence *p = g_ptr_array_index (resources, i);

        /* A bare-JID unavailable (e.g. from the server after a probe)
         * means every resource is gone. */
        if (xmpp_jid_equal (p->from, presence->from)
            || (presence->type == XMPP_PRESENCE_UNAVAILABLE && xmpp_jid_is_bare (presence->from)))
          {
            g_ptr_array_remove_index (resources, i);
            i--;
          }
      }

  if (presence->type == XMPP_PRESENCE_AVAILABLE)
    g_ptr_array_add (resources, xmpp_presence_copy (presence));

  after = best_resource (resources);
  changed = (after == NULL) != (before == NULL)
            || (after != NULL && (after->show != show_before || g_strcmp0 (after->status, status_before) != 0));
  if (resources != NULL && resources->len == 0)
    g_hash_table_remove (self->contacts, xmpp_jid_get_bare_string (bare));

  /* Always signal availability changes of any resource too: the resource
   * list changed even if the aggregate did not. */
  if (changed || presence->type == XMPP_PRESENCE_AVAILABLE || presence->type == XMPP_PRESENCE_UNAVAILABLE)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, bare);
}

static gboolean
presence_cb (XmppClient  *client,
             XmppElement *stanza,
             gpointer     user_data)
{
  XmppPresenceManager *self = user_data;
  g_autoptr(XmppPresence) presence = NULL;
  g_autoptr(GError) error = NULL;

  presence = xmpp_presence_parse (stanza, &error);
  if (presence == NULL)
    {
      g_debug ("Ignoring a presence: %s", error->message);
      return TRUE;
    }

  g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, presence);

  switch (presence->type)
    {
    case XMPP_PRESENCE_AVAILABLE:
    case XMPP_PRESENCE_UNAVAILABLE:
      track_presence (self, presence);
      break;

    case XMPP_PRESENCE_SUBSCRIBE:
    case XMPP_PRESENCE_SUBSCRIBED:
    case XMPP_PRESENCE_UNSUBSCRIBE:
    case XMPP_PRESENCE_UNSUBSCRIBED:
      if (presence->from != NULL)
        {
          g_autoptr(XmppJid) bare = xmpp_jid_get_bare (presence->from);
          g_signal_emit (self, signals[SIGNAL_SUBSCRIPTION], 0, bare, presence->type);
        }
      break;

    case XMPP_PRESENCE_PROBE:
    case XMPP_PRESENCE_ERROR:
    default:
      break;
    }
  return TRUE;
}

static void
forget_all (XmppPresenceManager *self)
{
  /* Nothing we knew about others' presence holds once the session is
   * over. */
  g_autoptr(GList) keys = g_hash_table_get_keys (self->contacts);
  g_autoptr(GPtrArray) bares = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_jid_unref);

  for (GList *l = keys; l; l = l->next)
    {
      XmppJid *bare = xmpp_jid_new (l->data, NULL);
      if (bare != NULL)
        g_ptr_array_add (bares, bare);
    }
  g_hash_table_remove_all (self->contacts);
  for (guint i = 0; i < bares->len; i++)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0, g_ptr_array_index (bares, i));
}

/* The session, not the connection, is what presence belongs to: a
 * connection lost with a session the server keeps for resumption
 * (XEP-0198) keeps what we know, because a resumed session goes on where
 * it stopped.  It is forgotten when the client is disconnected without
 * such a session, and when it reaches CONNECTED on a new session (a
 * connect, or a refused resumption: no "resumed" came first). */
static void
state_changed_cb (XmppClient          *client,
                  XmppClientState      state,
                  XmppPresenceManager *self)
{
  if (state == XMPP_CLIENT_STATE_DISCONNECTED)
    {
      self->resumed = FALSE;
      if (!xmpp_client_can_resume (client))
        forget_all (self);
    }
  else if (state == XMPP_CLIENT_STATE_CONNECTED)
    {
      if (!self->resumed)
        forget_all (self);
      self->resumed = FALSE;
    }
}

static void
resumed_cb (XmppClient          *client,
            XmppPresenceManager *self)
{
  self->resumed = TRUE;
}

XmppPresenceManager *
xmpp_presence_manager_new (XmppClient *client,
                           XmppDisco  *disco)
{
  XmppPresenceManager *self;

  g_return_val_if_fail (XMPP_IS_CLIENT (client), NULL);

  self = g_object_new (XMPP_TYPE_PRESENCE_MANAGER, NULL);
  self->client = g_object_ref (client);
  self->disco = disco;
  self->handler = xmpp_client_add_handler (client, "presence", NULL, NULL, NULL,
                                           presence_cb, self, NULL);
  self->state_id = g_signal_connect_object (client, "state-changed",
                                            G_CALLBACK (state_changed_cb), self, 0);
  self->resumed_id = g_signal_connect_object (client, "resumed",
                                              G_CALLBACK (resumed_cb), self, 0);
  return self;
}

void
xmpp_presence_manager_set_own (XmppPresenceManager *self,
                               XmppShow             show,
                               const char          *status,
                               gint                 priority)
{
  g_autoptr(XmppElement) presence = NULL;

  g_return_if_fail (XMPP_IS_PRESENCE_MANAGER (self));

  if (show == XMPP_SHOW_OFFLINE)
    {
      presence = xmpp_presence_build (XMPP_PRESENCE_UNAVAILABLE, NULL, show, status, 0);
    }
  else
    {
      presence = xmpp_presence_build (XMPP_PRESENCE_AVAILABLE, NULL, show, status, priority);
      if (self->disco != NULL)
        {
          g_autoptr(XmppElement) caps = xmpp_disco_build_caps (self->disco);
          xmpp_element_add_child (presence, caps);
        }
    }
  xmpp_client_send (self->client, presence);
}

void
xmpp_presence_manager_send_type (XmppPresenceManager *self,
                                 XmppJid             *to,
                                 XmppPresenceType     type)
{
  g_autoptr(XmppElement) presence = NULL;
  g_autoptr(XmppJid) bare = NULL;

  g_return_if_fail (XMPP_IS_PRESENCE_MANAGER (self));
  g_return_if_fail (to != NULL);

  /* Subscription stanzas are addressed to bare JIDs (RFC 6121 §3.1.1). */
  bare = xmpp_jid_get_bare (to);
  presence = xmpp_presence_build (type, bare, XMPP_SHOW_AVAILABLE, NULL, 0);
  xmpp_client_send (self->client, presence);
}

XmppShow
xmpp_presence_manager_get_show (XmppPresenceManager  *self,
                                XmppJid              *contact,
                                const char          **status)
{
  const XmppPresence *best;

  g_return_val_if_fail (XMPP_IS_PRESENCE_MANAGER (self), XMPP_SHOW_OFFLINE);

  best = best_resource (get_resources (self, contact, FALSE));
  if (status != NULL)
    *status = best != NULL ? best->status : NULL;
  return best != NULL ? best->show : XMPP_SHOW_OFFLINE;
}

GPtrArray *
xmpp_presence_manager_get_resources (XmppPresenceManager *self,
                                     XmppJid             *contact)
{
  GPtrArray *resources;
  GPtrArray *result = g_ptr_array_new ();

  g_return_val_if_fail (XMPP_IS_PRESENCE_MANAGER (self), result);

  resources = get_resources (self, contact, FALSE);
  for (guint i = 0; resources != NULL && i < resources->len; i++)
    g_ptr_array_add (result, g_ptr_array_index (resources, i));
  return result;
}

static void
xmpp_presence_manager_dispose (GObject *object)
{
  XmppPresenceManager *self = XMPP_PRESENCE_MANAGER (object);

  if (self->client != NULL && self->handler != 0)
    xmpp_client_remove_handler (self->client, self->handler);
  self->handler = 0;
  g_clear_signal_handler (&self->state_id, self->client);
  g_clear_signal_handler (&self->resumed_id, self->client);
  g_clear_object (&self->client);
  g_clear_pointer (&self->contacts, g_hash_table_unref);

  G_OBJECT_CLASS (xmpp_presence_manager_parent_class)->dispose (object);
}

static void
xmpp_presence_manager_class_init (XmppPresenceManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xmpp_presence_manager_dispose;

  signals[SIGNAL_PRESENCE] = g_signal_new ("presence", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_SUBSCRIPTION] = g_signal_new ("subscription", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_INT);
}

static void
xmpp_presence_manager_init (XmppPresenceManager *self)
{
  self->contacts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
}
