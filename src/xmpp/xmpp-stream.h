/* xmpp-stream.h: one XML stream over a GIOStream
 *
 * XmppStream is the I/O half of an XMPP connection and knows nothing about
 * negotiation: it reads from a GIOStream and feeds what arrives to an
 * XmppParser, which turns it into signals, and it writes whatever it is
 * given through a single ordered queue.  The connection logic above it
 * (XmppClient, the server's sessions) decides what to send and when to
 * restart.
 *
 *  read loop:  read_async ─▶ xmpp_parser_feed ─▶ "stream-opened" /
 *              "element-received" / "stream-closed" ─▶ read_async …
 *              (stopped by pause_reading(), close_async() or a failure)
 *  write loop: queue ─▶ write_all_async ─▶ next item … ─▶ flush waiters
 *
 * STARTTLS: call pause_reading() from the handler that saw <proceed/> (no
 * read is then pending once the handler returns), wait for flush_async(),
 * wrap get_io_stream() in a GTlsConnection, hand it to set_io_stream()
 * (which also restarts the parser) and start_reading() again.
 *
 * Failures (socket errors, end of file, XML the parser refuses) are
 * reported once through "failed"; the stream then stops reading and drops
 * further writes.  A parse error comes in XMPP_STREAM_ERROR with the
 * condition to send as code; the end of the input comes as
 * XMPP_ERROR_CONNECTION_CLOSED.
 */
#pragma once

#include <gio/gio.h>

#include "xmpp-element.h"
#include "xmpp-parser.h"

G_BEGIN_DECLS

#define XMPP_TYPE_STREAM (xmpp_stream_get_type ())
G_DECLARE_FINAL_TYPE (XmppStream, xmpp_stream, XMPP, STREAM, GObject)

/* @content_ns is the namespace stanzas are serialised in
 * ("jabber:client", "jabber:server"). */
XmppStream *xmpp_stream_new                (GIOStream            *io_stream,
                                            const char           *content_ns);

GIOStream  *xmpp_stream_get_io_stream      (XmppStream           *self);
/* Replace the underlying stream (after a TLS upgrade).  Only while no read
 * and no write is pending; the parser restarts. */
void        xmpp_stream_set_io_stream      (XmppStream           *self,
                                            GIOStream            *io_stream);
XmppParser *xmpp_stream_get_parser         (XmppStream           *self);
const char *xmpp_stream_get_content_namespace (XmppStream        *self);

void        xmpp_stream_start_reading      (XmppStream           *self);
/* No further read is started; from a signal handler this takes effect when
 * the handler returns (the rest of the chunk is not parsed). */
void        xmpp_stream_pause_reading      (XmppStream           *self);
/* Flow control: while held, no further read is started (the chunk being
 * parsed is parsed to its end); released, reading goes on where it was. */
void        xmpp_stream_hold_reading       (XmppStream           *self,
                                            gboolean              hold);
gboolean    xmpp_stream_is_read_pending    (XmppStream           *self);
/* A new document follows (stream restart): resets the parser. */
void        xmpp_stream_restart            (XmppStream           *self);

void        xmpp_stream_write_raw          (XmppStream           *self,
                                            const char           *data,
                                            gssize                len);
void        xmpp_stream_write_element      (XmppStream           *self,
                                            XmppElement          *element);
/* Serialized XML, written as it is (a reference is taken). */
void        xmpp_stream_write_bytes        (XmppStream           *self,
                                            GBytes               *bytes);
gboolean    xmpp_stream_is_write_pending   (XmppStream           *self);
/* Completes once everything queued so far has been written (or the stream
 * failed). */
void        xmpp_stream_flush_async        (XmppStream           *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean    xmpp_stream_flush_finish       (XmppStream           *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Stop reading, write what is queued (bounded by a few seconds), then
 * close the GIOStream (TLS close_notify, socket).  Nothing is emitted
 * afterwards.  Sends no XML by itself. */
void        xmpp_stream_close_async        (XmppStream           *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean    xmpp_stream_close_finish       (XmppStream           *self,
                                            GAsyncResult         *result,
                                            GError              **error);
gboolean    xmpp_stream_is_closed          (XmppStream           *self);

/* g_get_monotonic_time() of the last bytes received (of creation before). */
gint64      xmpp_stream_get_last_read_time (XmppStream           *self);

/* Signals:
 *  "stream-opened"    (XmppElement *header)
 *  "element-received" (XmppElement *element)   first-level elements
 *  "stream-closed"    ()                       the peer's </stream:stream>
 *  "failed"           (GError *error)          once; see above
 */

G_END_DECLS
