/* xmpp-message.h: messages (RFC 6121 §5) with threads, ids and delays
 *
 * XmppMessage is a parsed <message/>: type, body and subject (in the
 * stanza's language), <thread/> with its parent, xml:lang, origin-id and
 * stanza-id (XEP-0359), a delay stamp (XEP-0203), a chat state (XEP-0085),
 * a receipt request or receipt (XEP-0184), how it reached us (directly, as
 * a carbon, from an archive) and, for error messages, the error.
 * XmppMessenger signals incoming messages of one client.
 */
#pragma once

#include "xmpp-chatstates.h"
#include "xmpp-client.h"

G_BEGIN_DECLS

#define XMPP_NS_SID    "urn:xmpp:sid:0"
#define XMPP_NS_DELAY  "urn:xmpp:delay"

typedef enum
{
  XMPP_MESSAGE_NORMAL,
  XMPP_MESSAGE_CHAT,
  XMPP_MESSAGE_GROUPCHAT,
  XMPP_MESSAGE_HEADLINE,
  XMPP_MESSAGE_ERROR,
} XmppMessageType;

/* How a message reached us. */
typedef enum
{
  XMPP_MESSAGE_VIA_STREAM,          /* addressed to us */
  XMPP_MESSAGE_VIA_CARBON_RECEIVED, /* XEP-0280: received by another resource of ours */
  XMPP_MESSAGE_VIA_CARBON_SENT,     /* XEP-0280: sent by another resource of ours */
  XMPP_MESSAGE_VIA_ARCHIVE,         /* XEP-0313: a result of an archive query */
} XmppMessageVia;

typedef struct
{
  XmppMessageType  type;
  char            *id;
  XmppJid         *from;          /* NULL: from our own account */
  XmppJid         *to;
  char            *lang;
  char            *body;
  char            *subject;
  char            *thread;
  char            *parent_thread;
  char            *origin_id;
  char            *stanza_id;
  char            *stanza_id_by;
  GDateTime       *delay;         /* when it was originally sent, if delayed */
  GError          *error;         /* for XMPP_MESSAGE_ERROR */
  XmppChatState    chat_state;    /* XEP-0085; NONE when it carries none */
  gboolean         request_receipt; /* XEP-0184 <request/> (written on chat messages with a body) */
  char            *receipt_id;    /* XEP-0184 <received id/>: which message arrived */
  XmppMessageVia   via;
} XmppMessage;

const char  *xmpp_message_type_to_string   (XmppMessageType   type);
gboolean     xmpp_message_type_from_string (const char       *string,
                                            XmppMessageType  *type);

XmppMessage *xmpp_message_new              (XmppMessageType   type,
                                            XmppJid          *to,
                                            const char       *body);
XmppMessage *xmpp_message_parse            (XmppElement      *stanza,
                                            GError          **error);
void         xmpp_message_free             (XmppMessage      *message);
/* The stanza for sending: an origin-id is added (and used as id) when the
 * message has a body or subject and none; a notification (chat state
 * only) gets a fresh id and no origin-id. */
XmppElement *xmpp_message_to_element       (XmppMessage      *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppMessage, xmpp_message_free)

#define XMPP_TYPE_MESSENGER (xmpp_messenger_get_type ())
G_DECLARE_FINAL_TYPE (XmppMessenger, xmpp_messenger, XMPP, MESSENGER, GObject)

XmppMessenger *xmpp_messenger_new   (XmppClient    *client);
/* Send; returns the id the message went out with. */
const char    *xmpp_messenger_send  (XmppMessenger *self,
                                     XmppMessage   *message);

/* Signals:
 *  "message"      (XmppMessage *) each incoming message with a body,
 *                 subject or thread (with its chat state and receipt
 *                 request, if any), and each error message.
 *  "notification" (XmppMessage *) each other message carrying a chat
 *                 state (XEP-0085) or a receipt (XEP-0184).
 * Carbons and archive results are not messages of the stream: XmppCarbons
 * and xmpp_mam_query_async() unwrap those.
 */

G_END_DECLS
