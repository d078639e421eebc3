/* xmpp-receipts.h: message delivery receipts (XEP-0184)
 *
 * Our outgoing chat messages ask for a receipt (<request/>); the
 * recipient's client answers with <received id='…'/> naming the message's
 * stanza id, which for our messages is also their origin-id.
 * xmpp_message_parse() fills in XmppMessage.request_receipt and
 * .receipt_id, xmpp_message_to_element() writes the request.  Whether to
 * answer is the application's choice (a privacy setting, and only once the
 * message is safely stored); xmpp_receipts_new_received() builds the
 * answer, or refuses when the XEP says none is due.
 */
#pragma once

#include "xmpp-message.h"

G_BEGIN_DECLS

#define XMPP_NS_RECEIPTS "urn:xmpp:receipts"

gboolean     xmpp_receipts_has_request   (XmppElement       *stanza);
/* The id a <received/> child names, NULL when there is none. */
const char  *xmpp_receipts_get_received  (XmppElement       *stanza);
void         xmpp_receipts_add_request   (XmppElement       *stanza);
/* Whether @message (received live, from someone else) asks for a receipt
 * we may give: it requests one, has an id, and is not a group chat or
 * error message (XEP-0184 §5.3), nor a copy of any kind (carbon, archive),
 * nor from our own account (@own, any resource). */
gboolean     xmpp_receipts_is_due        (const XmppMessage *message,
                                          XmppJid           *own);
/* The receipt for @message: to its sender (full JID), of its type, with
 * the <store/> hint so a sender who went offline still learns it.  NULL
 * when none is due. */
XmppElement *xmpp_receipts_new_received  (const XmppMessage *message,
                                          XmppJid           *own);

G_END_DECLS
