/* xmpp-disco.h: service discovery answers and entity capabilities
 *
 * XmppDisco answers disco#info queries to our full JID (XEP-0030) with our
 * identity and features, including for the node#ver of our capabilities,
 * and builds the <c/> element (XEP-0115) our presence carries.
 */
#pragma once

#include "xmpp-client.h"

G_BEGIN_DECLS

#define XMPP_NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define XMPP_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define XMPP_NS_CAPS        "http://jabber.org/protocol/caps"
#define XMPP_CAPS_NODE      "https://example.org/messenger"

typedef struct _XmppDisco XmppDisco;

XmppDisco   *xmpp_disco_new           (XmppClient  *client,
                                       const char  *category,
                                       const char  *type,
                                       const char  *name);
void         xmpp_disco_free          (XmppDisco   *self);
void         xmpp_disco_add_feature   (XmppDisco   *self,
                                       const char  *feature);
/* Our <query xmlns='…disco#info'/> with identity and features. */
XmppElement *xmpp_disco_build_info    (XmppDisco   *self,
                                       const char  *node);
const char  *xmpp_disco_get_caps_ver  (XmppDisco   *self);
/* <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node ver/> */
XmppElement *xmpp_disco_build_caps    (XmppDisco   *self);

/* Ask an entity for its disco#info; the finish returns the <query/>. */
void         xmpp_disco_query_info_async  (XmppClient          *client,
                                           const char          *jid,
                                           const char          *node,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
XmppElement *xmpp_disco_query_info_finish (XmppClient          *client,
                                           GAsyncResult        *result,
                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppDisco, xmpp_disco_free)

G_END_DECLS
