/* xmpp-carbons.h: message carbons (XEP-0280)
 *
 * With carbons enabled, the server copies to this resource the chat
 * messages our other resources send (<sent/>) and those sent to another
 * resource of ours (<received/>), each wrapped in <forwarded/>.
 * XmppCarbons enables them and unwraps the copies.  A carbon is accepted
 * only from our own bare JID (XEP-0280 §11): anyone else could wrap any
 * message to make us believe we, or a contact, wrote it.  Forged ones are
 * dropped.
 */
#pragma once

#include "xmpp-message.h"

G_BEGIN_DECLS

#define XMPP_NS_CARBONS "urn:xmpp:carbons:2"
#define XMPP_NS_FORWARD "urn:xmpp:forward:0"

#define XMPP_TYPE_CARBONS (xmpp_carbons_get_type ())
G_DECLARE_FINAL_TYPE (XmppCarbons, xmpp_carbons, XMPP, CARBONS, GObject)

XmppCarbons *xmpp_carbons_new           (XmppClient           *client);
/* Send <enable/> (or <disable/>) for this session.  Only ask a server that
 * advertises XMPP_NS_CARBONS (disco#info on its domain). */
void         xmpp_carbons_enable_async  (XmppCarbons          *self,
                                         gboolean              enable,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gboolean     xmpp_carbons_enable_finish (XmppCarbons          *self,
                                         GAsyncResult         *result,
                                         GError              **error);
gboolean     xmpp_carbons_get_enabled   (XmppCarbons          *self);

/* Signals:
 *  "message" (XmppMessage *) the unwrapped message of a valid carbon, with
 *            via XMPP_MESSAGE_VIA_CARBON_SENT (from one of our resources;
 *            'to' is the peer) or XMPP_MESSAGE_VIA_CARBON_RECEIVED (to one
 *            of our other resources; 'from' is the peer).
 */

G_END_DECLS
