/* xmpp-parser.h: the XMPP stream parser (bytes in, callbacks out)
 *
 * An XmppParser turns the bytes of one XMPP stream into three kinds of
 * events: the stream header, each complete first-level element (stanza or
 * nonza) as an XmppElement tree, and the end of the stream.  It does no
 * I/O: feed it whatever arrived, in chunks of any size.
 *
 * It enforces the restricted XML profile of RFC 6120 §11 (no DTD, comment,
 * processing instruction or custom entity; UTF-8 only), namespace
 * well-formedness, the stream namespace and prefix, and limits on stanza
 * size and nesting depth.  Once the stream is broken, feed() fails with an
 * error in XMPP_STREAM_ERROR whose code is the stream condition to send.
 */
#pragma once

#include <glib.h>

#include "xmpp-element.h"

G_BEGIN_DECLS

#define XMPP_NS_STREAM "http://etherx.jabber.org/streams"

/* Defaults of xmpp_parser_set_limits(). */
#define XMPP_PARSER_DEFAULT_MAX_STANZA_BYTES (256 * 1024)
#define XMPP_PARSER_DEFAULT_MAX_DEPTH        64

typedef struct _XmppParser XmppParser;

/* The elements handed to the callbacks are borrowed: take a reference to
 * keep one.  Any callback may call xmpp_parser_reset() or
 * xmpp_parser_free() on its parser; the rest of the chunk being fed is then
 * discarded and feed() returns TRUE. */
typedef struct
{
  /* The stream header: an element in the stream namespace named "stream",
   * with its attributes and no children. */
  void (*stream_open)  (XmppParser  *parser,
                        XmppElement *header,
                        gpointer     user_data);
  /* Each complete first-level element, namespaces resolved. */
  void (*element)      (XmppParser  *parser,
                        XmppElement *element,
                        gpointer     user_data);
  /* The peer's closing </stream:stream>. */
  void (*stream_close) (XmppParser  *parser,
                        gpointer     user_data);
} XmppParserCallbacks;

XmppParser  *xmpp_parser_new                  (const XmppParserCallbacks *callbacks,
                                               gpointer                   user_data);
void         xmpp_parser_free                 (XmppParser                *self);

/* 0 selects the default.  The stanza size counts the bytes of a
 * first-level element (plus the whitespace before it, and for the stream
 * header the XML declaration); depth counts a stanza as 1. */
void         xmpp_parser_set_limits           (XmppParser                *self,
                                               gsize                      max_stanza_bytes,
                                               guint                      max_depth);

/* Feed bytes as they arrive.  Returns FALSE with an XMPP_STREAM_ERROR once
 * the stream is broken; every later call fails the same way until
 * xmpp_parser_reset(). */
gboolean     xmpp_parser_feed                 (XmppParser                *self,
                                               const char                *data,
                                               gsize                      len,
                                               GError                   **error);

/* Start a new document (stream restart after STARTTLS or SASL), forgetting
 * any buffered input and any error.  From inside a callback, the rest of
 * the chunk being fed is discarded. */
void         xmpp_parser_reset                (XmppParser                *self);

/* The header of the current stream as received, also when it was refused
 * (so a server can still answer with a header before the stream error);
 * NULL before one arrived. */
XmppElement *xmpp_parser_get_stream_header    (XmppParser                *self);
/* The default namespace declared on the stream header ("jabber:client",
 * "jabber:server"), or NULL. */
const char  *xmpp_parser_get_content_namespace (XmppParser               *self);
/* Every namespace declaration of the stream header as a NULL-terminated
 * list of prefix, URI pairs; the default namespace has the prefix "". */
const char * const *xmpp_parser_get_stream_namespaces (XmppParser        *self);

/* Parse one standalone element (no stream wrapper) with the same
 * restrictions and the default limits. */
XmppElement *xmpp_element_parse               (const char                *xml,
                                               gssize                     len,
                                               GError                   **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppParser, xmpp_parser_free)

G_END_DECLS
