/* xmpp-bob.h: Bits of Binary (XEP-0231)
 *
 * Small data, such as a CAPTCHA's picture, named by a content id ("cid")
 * that a form's media URI points at ("cid:sha1+…@bob.xmpp.org").  The data
 * usually travels in the same stanza as the form (find); otherwise it is
 * asked for with an iq get to whoever sent the form (fetch).
 */
#pragma once

#include "xmpp-client.h"

G_BEGIN_DECLS

#define XMPP_NS_BOB "urn:xmpp:bob"

/* Largest data accepted: the stanza limit leaves room for little more. */
#define XMPP_BOB_MAX_SIZE (192 * 1024)

typedef struct
{
  char   *cid;
  char   *type;        /* MIME type, or NULL */
  GBytes *data;
} XmppBob;

void     xmpp_bob_free         (XmppBob       *bob);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppBob, xmpp_bob_free)

/* A <data xmlns='urn:xmpp:bob'/> with a cid and base64 content (NULL when
 * it is not one, or the base64 is broken or too big). */
XmppBob *xmpp_bob_parse        (XmppElement   *data);
/* The data with this cid anywhere under @stanza, or NULL. */
XmppBob *xmpp_bob_find         (XmppElement   *stanza,
                                const char    *cid);

/* Ask @to (NULL: the server) for @cid. */
void     xmpp_bob_fetch_async  (XmppClient          *client,
                                const char          *to,
                                const char          *cid,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
XmppBob *xmpp_bob_fetch_finish (XmppClient          *client,
                                GAsyncResult        *result,
                                GError             **error);

G_END_DECLS
