/* xmpp-message.c: messages (RFC 6121 §5) */
#include "config.h"

#include <string.h>

#include "xmpp-message.h"
#include "xmpp-receipts.h"

static const char * const type_names[] = {
  [XMPP_MESSAGE_NORMAL] = "normal",
  [XMPP_MESSAGE_CHAT] = "chat",
  [XMPP_MESSAGE_GROUPCHAT] = "groupchat",
  [XMPP_MESSAGE_HEADLINE] = "headline",
  [XMPP_MESSAGE_ERROR] = "error",
};

const char *
xmpp_message_type_to_string (XmppMessageType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), "normal");
  return type_names[type];
}

gboolean
xmpp_message_type_from_string (const char      *string,
                               XmppMessageType *type)
{
  /* No type, or one we don't know, is "normal" (RFC 6121 §5.2.2). */
  *type = XMPP_MESSAGE_NORMAL;
  if (string == NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (strcmp (string, type_names[i]) == 0)
      {
        *type = (XmppMessageType) i;
        return TRUE;
      }
  return FALSE;
}

XmppMessage *
xmpp_message_new (XmppMessageType  type,
                  XmppJid         *to,
                  const char      *body)
{
  XmppMessage *message = g_new0 (XmppMessage, 1);

  message->type = type;
  message->to = to != NULL ? xmpp_jid_ref (to) : NULL;
  message->body = g_strdup (body);
  return message;
}

void
xmpp_message_free (XmppMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->id);
  g_clear_pointer (&message->from, xmpp_jid_unref);
  g_clear_pointer (&message->to, xmpp_jid_unref);
  g_free (message->lang);
  g_free (message->body);
  g_free (message->subject);
  g_free (message->thread);
  g_free (message->parent_thread);
  g_free (message->origin_id);
  g_free (message->stanza_id);
  g_free (message->stanza_id_by);
  g_free (message->receipt_id);
  g_clear_pointer (&message->delay, g_date_time_unref);
  g_clear_error (&message->error);
  g_free (message);
}

/* Of several <body/> (or <subject/>) in different languages, prefer the one
 * without xml:lang or with the stanza's own language (RFC 6121 §5.2.3). */
static const char *
pick_localized (XmppElement *stanza,
                const char  *name,
                const char  *stanza_lang)
{
  const char *first = NULL;

  for (XmppElement *child = xmpp_element_next_child (stanza, NULL);
       child != NULL;
       child = xmpp_element_next_child (stanza, child))
    {
      const char *lang;

      if (!xmpp_element_is (child, XMPP_NS_CLIENT, name))
        continue;
      lang = xmpp_element_get_lang (child);
      if (lang == NULL || g_strcmp0 (lang, stanza_lang) == 0)
        return xmpp_element_get_text (child);
      if (first == NULL)
        first = xmpp_element_get_text (child);
    }
  return first;
}

XmppMessage *
xmpp_message_parse (XmppElement  *stanza,
                    GError      **error)
{
  g_autoptr(XmppMessage) message = g_new0 (XmppMessage, 1);
  XmppElement *child;
  const char *value;

  g_return_val_if_fail (stanza != NULL, NULL);

  if (!xmpp_element_is (stanza, XMPP_NS_CLIENT, "message"))
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_BAD_REQUEST, "Not a message stanza");
      return NULL;
    }

  xmpp_message_type_from_string (xmpp_element_get_attribute (stanza, "type"), &message->type);
  message->id = g_strdup (xmpp_element_get_attribute (stanza, "id"));
  if ((value = xmpp_element_get_attribute (stanza, "from")) != NULL
      && (message->from = xmpp_jid_new (value, NULL)) == NULL)
    {
      g_set_error (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_JID_MALFORMED, "Bad 'from' “%s”", value);
      return NULL;
    }
  if ((value = xmpp_element_get_attribute (stanza, "to")) != NULL)
    message->to = xmpp_jid_new (value, NULL);
  message->lang = g_strdup (xmpp_element_get_lang (stanza));

  message->body = g_strdup (pick_localized (stanza, "body", message->lang));
  message->subject = g_strdup (pick_localized (stanza, "subject", message->lang));

  child = xmpp_element_find_child (stanza, XMPP_NS_CLIENT, "thread");
  if (child != NULL && *xmpp_element_get_text (child) != '\0')
    {
      message->thread = g_strdup (xmpp_element_get_text (child));
      message->parent_thread = g_strdup (xmpp_element_get_attribute (child, "parent"));
    }

  child = xmpp_element_find_child (stanza, XMPP_NS_SID, "origin-id");
  if (child != NULL)
    message->origin_id = g_strdup (xmpp_element_get_attribute (child, "id"));
  child = xmpp_element_find_child (stanza, XMPP_NS_SID, "stanza-id");
  if (child != NULL)
    {
      message->stanza_id = g_strdup (xmpp_element_get_attribute (child, "id"));
      message->stanza_id_by = g_strdup (xmpp_element_get_attribute (child, "by"));
    }

  child = xmpp_element_find_child (stanza, XMPP_NS_DELAY, "delay");
  if (child != NULL && (value = xmpp_element_get_attribute (child, "stamp")) != NULL)
    message->delay = g_date_time_new_from_iso8601 (value, NULL);

  message->chat_state = xmpp_chat_state_parse (stanza);
  message->request_receipt = xmpp_receipts_has_request (stanza);
  message->receipt_id = g_strdup (xmpp_receipts_get_received (stanza));

  if (message->type == XMPP_MESSAGE_ERROR)
    xmpp_stanza_get_error (stanza, &message->error);

  return g_steal_pointer (&message);
}

XmppElement *
xmpp_message_to_element (XmppMessage *message)
{
  XmppElement *stanza;
  gboolean notification;

  g_return_val_if_fail (message != NULL, NULL);

  notification = message->body == NULL && message->subject == NULL;
  if (message->origin_id == NULL && !notification)
    message->origin_id = g_uuid_string_random ();
  if (message->id == NULL)
    message->id = message->origin_id != NULL ? g_strdup (message->origin_id) : g_uuid_string_random ();

  stanza = xmpp_element_new (XMPP_NS_CLIENT, "message");
  if (message->to != NULL)
    xmpp_element_set_attribute (stanza, "to", xmpp_jid_to_string (message->to));
  xmpp_element_set_attribute (stanza, "type", xmpp_message_type_to_string (message->type));
  xmpp_element_set_attribute (stanza, "id", message->id);
  if (message->lang != NULL)
    xmpp_element_set_lang (stanza, message->lang);
  if (message->subject != NULL)
    xmpp_element_add_child_with_text (stanza, NULL, "subject", message->subject);
  if (message->body != NULL)
    xmpp_element_add_child_with_text (stanza, NULL, "body", message->body);
  if (message->thread != NULL)
    {
      XmppElement *thread = xmpp_element_add_child_with_text (stanza, NULL, "thread", message->thread);
      if (message->parent_thread != NULL)
        xmpp_element_set_attribute (thread, "parent", message->parent_thread);
    }
  xmpp_chat_state_add (stanza, message->chat_state, notification);
  /* Receipts are asked only for what a person wrote (XEP-0184 §5.4). */
  if (message->request_receipt && message->body != NULL)
    xmpp_receipts_add_request (stanza);
  if (message->origin_id != NULL)
    xmpp_element_set_attribute (xmpp_element_add_child_new (stanza, XMPP_NS_SID, "origin-id"),
                                "id", message->origin_id);
  return stanza;
}

struct _XmppMessenger
{
  GObject     parent_instance;

  XmppClient *client;
  guint       handler;
};

G_DEFINE_FINAL_TYPE (XmppMessenger, xmpp_messenger, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_NOTIFICATION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
message_cb (XmppClient  *client,
            XmppElement *stanza,
            gpointer     user_data)
{
  XmppMessenger *self = user_data;
  g_autoptr(XmppMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = xmpp_message_parse (stanza, &error);
  if (message == NULL)
    {
      g_debug ("Ignoring a message: %s", error->message);
      return FALSE;
    }
  if (message->body != NULL || message->subject != NULL || message->thread != NULL
      || message->type == XMPP_MESSAGE_ERROR)
    {
      g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
      return TRUE;
    }
  if (message->chat_state != XMPP_CHAT_STATE_NONE || message->receipt_id != NULL)
    {
      g_signal_emit (self, signals[SIGNAL_NOTIFICATION], 0, message);
      return TRUE;
    }
  return FALSE;    /* carbons, archive results, …: for other handlers */
}

XmppMessenger *
xmpp_messenger_new (XmppClient *client)
{
  XmppMessenger *self;

  g_return_val_if_fail (XMPP_IS_CLIENT (client), NULL);

  self = g_object_new (XMPP_TYPE_MESSENGER, NULL);
  self->client = g_object_ref (client);
  self->handler = xmpp_client_add_handler (client, "message", NULL, NULL, NULL,
                                           message_cb, self, NULL);
  return self;
}

const char *
xmpp_messenger_send (XmppMessenger *self,
                     XmppMessage   *message)
{
  g_autoptr(XmppElement) stanza = NULL;

  g_return_val_if_fail (XMPP_IS_MESSENGER (self), NULL);

  stanza = xmpp_message_to_element (message);
  xmpp_client_send (self->client, stanza);
  return message->id;
}

static void
xmpp_messenger_dispose (GObject *object)
{
  XmppMessenger *self = XMPP_MESSENGER (object);

  if (self->client != NULL && self->handler != 0)
    xmpp_client_remove_handler (self->client, self->handler);
  self->handler = 0;
  g_clear_object (&self->client);

  G_OBJECT_CLASS (xmpp_messenger_parent_class)->dispose (object);
}

static void
xmpp_messenger_class_init (XmppMessengerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = xmpp_messenger_dispose;

  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_NOTIFICATION] = g_signal_new ("notification", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
xmpp_messenger_init (XmppMessenger *self)
{
}
