/* xmpp-roster.c: the roster (RFC 6121 §2) */
#include "config.h"

#include <string.h>

#include "xmpp-roster.h"

struct _XmppRoster
{
  GObject     parent_instance;

  XmppClient *client;       /* owned */
  guint       push_handler;
};

G_DEFINE_FINAL_TYPE (XmppRoster, xmpp_roster, G_TYPE_OBJECT)

enum {
  PUSH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const subscription_names[] = {
  [XMPP_SUBSCRIPTION_NONE] = "none",
  [XMPP_SUBSCRIPTION_TO] = "to",
  [XMPP_SUBSCRIPTION_FROM] = "from",
  [XMPP_SUBSCRIPTION_BOTH] = "both",
  [XMPP_SUBSCRIPTION_REMOVE] = "remove",
};

const char *
xmpp_subscription_to_string (XmppSubscription subscription)
{
  g_return_val_if_fail ((guint) subscription < G_N_ELEMENTS (subscription_names), "none");
  return subscription_names[subscription];
}

gboolean
xmpp_subscription_from_string (const char       *string,
                               XmppSubscription *subscription)
{
  for (guint i = 0; i < G_N_ELEMENTS (subscription_names); i++)
    if (g_strcmp0 (string, subscription_names[i]) == 0)
      {
        *subscription = (XmppSubscription) i;
        return TRUE;
      }
  return FALSE;
}

XmppRosterItem *
xmpp_roster_item_new (XmppJid            *jid,
                      const char         *name,
                      const char * const *groups)
{
  XmppRosterItem *item;

  g_return_val_if_fail (jid != NULL, NULL);

  item = g_new0 (XmppRosterItem, 1);
  item->jid = xmpp_jid_ref (jid);
  item->name = (name != NULL && *name != '\0') ? g_strdup (name) : NULL;
  item->groups = groups != NULL ? g_strdupv ((char **) groups) : g_new0 (char *, 1);
  return item;
}

XmppRosterItem *
xmpp_roster_item_copy (const XmppRosterItem *item)
{
  XmppRosterItem *copy;

  g_return_val_if_fail (item != NULL, NULL);

  copy = xmpp_roster_item_new (item->jid, item->name, (const char * const *) item->groups);
  copy->subscription = item->subscription;
  copy->ask = item->ask;
  copy->approved = item->approved;
  return copy;
}

void
xmpp_roster_item_free (XmppRosterItem *item)
{
  if (item == NULL)
    return;
  g_clear_pointer (&item->jid, xmpp_jid_unref);
  g_free (item->name);
  g_strfreev (item->groups);
  g_free (item);
}

XmppRosterItem *
xmpp_roster_item_parse (XmppElement  *element,
                        GError      **error)
{
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) jid_error = NULL;
  XmppRosterItem *item;
  XmppSubscription subscription = XMPP_SUBSCRIPTION_NONE;
  const char *value;

  g_return_val_if_fail (element != NULL, NULL);

  if (!xmpp_element_is (element, XMPP_NS_ROSTER, "item"))
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_BAD_REQUEST,
                   "Expected a roster <item/>, got <%s/>", xmpp_element_get_name (element));
      return NULL;
    }

  value = xmpp_element_get_attribute (element, "jid");
  if (value == NULL || (jid = xmpp_jid_new (value, &jid_error)) == NULL)
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_JID_MALFORMED,
                   "Roster item with a bad JID “%s”", value != NULL ? value : "");
      return NULL;
    }

  value = xmpp_element_get_attribute (element, "subscription");
  if (value != NULL && !xmpp_subscription_from_string (value, &subscription))
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_BAD_REQUEST,
                   "Unknown subscription state “%s”", value);
      return NULL;
    }

  groups = g_ptr_array_new_with_free_func (g_free);
  for (XmppElement *child = xmpp_element_next_child (element, NULL);
       child != NULL;
       child = xmpp_element_next_child (element, child))
    {
      const char *group;

      if (!xmpp_element_is (child, XMPP_NS_ROSTER, "group"))
        continue;
      group = xmpp_element_get_text (child);
      if (*group == '\0')
        {
          g_set_error_literal (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_NOT_ACCEPTABLE,
                               "Roster item with an empty group name");
          return NULL;
        }
      for (guint i = 0; i < groups->len; i++)
        if (strcmp (g_ptr_array_index (groups, i), group) == 0)
          {
            g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_BAD_REQUEST,
                         "Roster item lists the group “%s” twice", group);
            return NULL;
          }
      g_ptr_array_add (groups, g_strdup (group));
    }
  g_ptr_array_add (groups, NULL);

  item = xmpp_roster_item_new (jid, xmpp_element_get_attribute (element, "name"),
                               (const char * const *) groups->pdata);
  item->subscription = subscription;
  item->ask = g_strcmp0 (xmpp_element_get_attribute (element, "ask"), "subscribe") == 0;
  value = xmpp_element_get_attribute (element, "approved");
  item->approved = g_strcmp0 (value, "true") == 0 || g_strcmp0 (value, "1") == 0;
  return item;
}

XmppElement *
xmpp_roster_item_to_element (const XmppRosterItem *item)
{
  XmppElement *element;

  g_return_val_if_fail (item != NULL, NULL);

  element = xmpp_element_new (XMPP_NS_ROSTER, "item");
  xmpp_element_set_attribute (element, "jid", xmpp_jid_get_bare_string (item->jid));
  if (item->name != NULL)
    xmpp_element_set_attribute (element, "name", item->name);
  if (item->subscription == XMPP_SUBSCRIPTION_REMOVE)
    xmpp_element_set_attribute (element, "subscription", "remove");
  for (guint i = 0; item->groups[i] != NULL; i++)
    xmpp_element_add_child_with_text (element, NULL, "group", item->groups[i]);
  return element;
}

/* A push is accepted only from the account itself: no 'from', or our own
 * bare JID (RFC 6121 §2.1.6). */
static gboolean
push_from_is_valid (XmppRoster  *self,
                    XmppElement *iq)
{
  const char *from = xmpp_element_get_attribute (iq, "from");
  g_autoptr(XmppJid) from_jid = NULL;

  if (from == NULL)
    return TRUE;
  from_jid = xmpp_jid_new (from, NULL);
  return from_jid != NULL
         && xmpp_jid_is_bare (from_jid)
         && xmpp_jid_bare_equal (from_jid, xmpp_client_get_jid (self->client));
}

static gboolean
roster_push_cb (XmppClient  *client,
                XmppElement *iq,
                gpointer     user_data)
{
  XmppRoster *self = user_data;
  XmppElement *query = xmpp_element_find_child (iq, XMPP_NS_ROSTER, "query");
  XmppElement *item_element = NULL;
  g_autoptr(XmppRosterItem) item = NULL;
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint n_items = 0;

  if (!push_from_is_valid (self, iq))
    {
      g_autoptr(XmppElement) refusal =
        xmpp_stanza_new_error_reply (iq, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
      xmpp_client_send (client, refusal);
      return TRUE;
    }

  for (XmppElement *child = xmpp_element_next_child (query, NULL);
       child != NULL;
       child = xmpp_element_next_child (query, child))
    if (xmpp_element_is (child, XMPP_NS_ROSTER, "item"))
      {
        item_element = child;
        n_items++;
      }

  if (n_items != 1)
    {
      reply = xmpp_stanza_new_error_reply (iq, XMPP_STANZA_ERROR_BAD_REQUEST,
                                           "A roster push carries exactly one item");
      xmpp_client_send (client, reply);
      return TRUE;
    }

  item = xmpp_roster_item_parse (item_element, &error);
  if (item == NULL)
    {
      reply = xmpp_stanza_new_error_reply (iq, error->domain == XMPP_STANZA_ERROR
                                               ? (XmppStanzaErrorCode) error->code
                                               : XMPP_STANZA_ERROR_BAD_REQUEST,
                                           error->message);
      xmpp_client_send (client, reply);
      return TRUE;
    }

  reply = xmpp_stanza_new_result_reply (iq);
  xmpp_client_send (client, reply);

  g_signal_emit (self, signals[PUSH], 0, item, xmpp_element_get_attribute (query, "ver"));
  return TRUE;
}

XmppRoster *
xmpp_roster_new (XmppClient *client)
{
  XmppRoster *self;

  g_return_val_if_fail (XMPP_IS_CLIENT (client), NULL);

  self = g_object_new (XMPP_TYPE_ROSTER, NULL);
  self->client = g_object_ref (client);
  self->push_handler = xmpp_client_add_handler (client, "iq", "set", XMPP_NS_ROSTER, "query",
                                                roster_push_cb, self, NULL);
  return self;
}

XmppClient *
xmpp_roster_get_client (XmppRoster *self)
{
  g_return_val_if_fail (XMPP_IS_ROSTER (self), NULL);
  return self->client;
}

static void
xmpp_roster_dispose (GObject *object)
{
  XmppRoster *self = XMPP_ROSTER (object);

  if (self->client != NULL && self->push_handler != 0)
    xmpp_client_remove_handler (self->client, self->push_handler);
  self->push_handler = 0;
  g_clear_object (&self->client);

  G_OBJECT_CLASS (xmpp_roster_parent_class)->dispose (object);
}

static void
xmpp_roster_class_init (XmppRosterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xmpp_roster_dispose;

  signals[PUSH] = g_signal_new ("push",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL,
                                G_TYPE_NONE, 2,
                                G_TYPE_POINTER, G_TYPE_STRING);
}

static void
xmpp_roster_init (XmppRoster *self)
{
}

typedef struct
{
  GPtrArray *items;
  char      *version;
  gboolean   unchanged;
} FetchResult;

static void
fetch_result_free (FetchResult *result)
{
  g_clear_pointer (&result->items, g_ptr_array_unref);
  g_free (result->version);
  g_free (result);
}

static void
fetch_cb (GObject      *source,
          GAsyncResult *res,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GError) error = NULL;
  FetchResult *result;
  XmppElement *query;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), res, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = g_new0 (FetchResult, 1);
  query = xmpp_element_find_child (reply, XMPP_NS_ROSTER, "query");
  if (query == NULL)
    {
      /* RFC 6121 §2.6.3: an empty result means "no change since ver". */
      result->unchanged = TRUE;
      g_task_return_pointer (task, result, (GDestroyNotify) fetch_result_free);
      return;
    }

  result->version = g_strdup (xmpp_element_get_attribute (query, "ver"));
  result->items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  for (XmppElement *child = xmpp_element_next_child (query, NULL);
       child != NULL;
       child = xmpp_element_next_child (query, child))
    {
      g_autoptr(GError) item_error = NULL;
      XmppRosterItem *item;

      if (!xmpp_element_is (child, XMPP_NS_ROSTER, "item"))
        continue;
      item = xmpp_roster_item_parse (child, &item_error);
      if (item == NULL)
        {
          /* One bad item must not cost the whole roster. */
          g_debug ("Skipping a roster item: %s", item_error->message);
          continue;
        }
      g_ptr_array_add (result->items, item);
    }
  g_task_return_pointer (task, result, (GDestroyNotify) fetch_result_free);
}

void
xmpp_roster_fetch_async (XmppRoster          *self,
                         const char          *version,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;
  XmppElement *query;

  g_return_if_fail (XMPP_IS_ROSTER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_roster_fetch_async);

  iq = xmpp_stanza_new_iq ("get", NULL, NULL);
  query = xmpp_element_add_child_new (iq, XMPP_NS_ROSTER, "query");
  if (xmpp_client_has_feature (self->client, XMPP_NS_ROSTER_VER, "ver"))
    xmpp_element_set_attribute (query, "ver", version != NULL ? version : "");

  xmpp_client_send_iq_async (self->client, iq, cancellable, fetch_cb, g_steal_pointer (&task));
}

GPtrArray *
xmpp_roster_fetch_finish (XmppRoster    *self,
                          GAsyncResult  *result,
                          char         **new_version,
                          gboolean      *unchanged,
                          GError       **error)
{
  FetchResult *fetch;
  GPtrArray *items;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  fetch = g_task_propagate_pointer (G_TASK (result), error);
  if (fetch == NULL)
    return NULL;

  if (unchanged != NULL)
    *unchanged = fetch->unchanged;
  if (new_version != NULL)
    *new_version = g_steal_pointer (&fetch->version);
  items = g_steal_pointer (&fetch->items);
  fetch_result_free (fetch);
  return items;
}

static void
set_cb (GObject      *source,
        GAsyncResult *res,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), res, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
send_item (XmppRoster          *self,
           const XmppRosterItem *item,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;
  g_autoptr(XmppElement) element = NULL;
  XmppElement *query;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  iq = xmpp_stanza_new_iq ("set", NULL, NULL);
  query = xmpp_element_add_child_new (iq, XMPP_NS_ROSTER, "query");
  element = xmpp_roster_item_to_element (item);
  xmpp_element_add_child (query, element);

  xmpp_client_send_iq_async (self->client, iq, cancellable, set_cb, g_steal_pointer (&task));
}

void
xmpp_roster_set_async (XmppRoster           *self,
                       const XmppRosterItem *item,
                       GCancellable         *cancellable,
                       GAsyncReadyCallback   callback,
                       gpointer              user_data)
{
  g_autoptr(XmppRosterItem) copy = NULL;

  g_return_if_fail (XMPP_IS_ROSTER (self));
  g_return_if_fail (item != NULL);

  copy = xmpp_roster_item_copy (item);
  copy->subscription = XMPP_SUBSCRIPTION_NONE;
  send_item (self, copy, xmpp_roster_set_async, cancellable, callback, user_data);
}

gboolean
xmpp_roster_set_finish (XmppRoster    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
xmpp_roster_remove_async (XmppRoster          *self,
                          XmppJid             *jid,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(XmppRosterItem) item = NULL;

  g_return_if_fail (XMPP_IS_ROSTER (self));
  g_return_if_fail (jid != NULL);

  item = xmpp_roster_item_new (jid, NULL, NULL);
  item->subscription = XMPP_SUBSCRIPTION_REMOVE;
  send_item (self, item, xmpp_roster_remove_async, cancellable, callback, user_data);
}

gboolean
xmpp_roster_remove_finish (XmppRoster    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
