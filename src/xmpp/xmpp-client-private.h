/* xmpp-client-private.h: XmppClient internals for the library's tests */
#pragma once

#include "xmpp-client.h"

G_BEGIN_DECLS

/* Restart the XEP-0198 counts of an enabled session with nothing
 * unacknowledged or deferred, as if that many stanzas had gone each way
 * (to see h wrap at 2^32 without sending four billion stanzas). */
void _xmpp_client_set_sm_counts (XmppClient *self,
                                 guint32     sent,
                                 guint32     received);

G_END_DECLS
