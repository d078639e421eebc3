/* stream-pair.h: a connected client and a scripted server, no network
 *
 * An XmppClient for alice@example.test/desk made with
 * xmpp_client_new_for_stream() over one end of a socket pair, and a raw
 * FakeServer (no negotiation) on the other end: what the client sends lands
 * in fs->elements (and goes through fs->hook), what the test writes with
 * fake_server_write() reaches the client.  For the feature module tests.
 */
#pragma once

#include "fake-server.h"

G_BEGIN_DECLS

#define STREAM_PAIR_JID  FAKE_SERVER_USER_JID "/desk"
#define STREAM_PAIR_BARE FAKE_SERVER_USER_JID

typedef struct
{
  FakeServer *fs;
  XmppClient *client;
} StreamPair;

void         stream_pair_open      (StreamPair     *pair,
                                    FakeServerHook  hook);
void         stream_pair_close     (StreamPair     *pair);
/* The @n-th (from 0) element the server received with this name and a
 * child in @child_ns (NULL: any), or NULL when there are not that many. */
XmppElement *stream_pair_find_nth  (StreamPair     *pair,
                                    const char     *name,
                                    const char     *child_ns,
                                    guint           n);
guint        stream_pair_count     (StreamPair     *pair,
                                    const char     *name,
                                    const char     *child_ns);
/* Spin the main context for @ms milliseconds (for "nothing happens"). */
void         stream_pair_run_for   (guint           ms);

G_END_DECLS
