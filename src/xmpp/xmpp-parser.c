/* xmpp-parser.c: the XMPP stream parser on the libxml2 SAX2 push parser
 *
 *   feed (bytes)
 *     │ cut into pieces of at most PIECE_SIZE bytes
 *     ▼
 *   UTF-8 check ── broken ──► unsupported-encoding
 *     │ only whole characters reach libxml2; a character split by the
 *     │ caller's chunking waits in `partial`
 *     ▼
 *   xmlParseChunk ──► SAX2 callbacks
 *       startDocument       refuse a declared non-UTF-8 encoding
 *       startElementNs      depth 0: stream header ──► stream_open
 *                           deeper: build the XmppElement tree
 *       characters, cdata   text of the element being built; between
 *                           stanzas only whitespace (keep-alives)
 *       endElementNs        depth 1 done ──► element; depth 0 ──► stream_close
 *       DTD, entity, comment, PI handlers ──► restricted-xml
 *       serror              libxml2 errors mapped to stream conditions
 *
 * Stopping.  libxml2 2.9's xmlStopParser() frees the input buffer that
 * the function calling us still reads from, so a callback never calls
 * it: soft_stop() disables SAX and marks the context finished (what
 * xmlStopParser does minus the free); libxml2 returns at its next check
 * and the context is then freed from feed().
 *
 * Byte accounting.  Every position is a byte offset in the current
 * document (reset by xmpp_parser_reset()).  `boundary` is the end of the
 * previous top-level item: the stream header, a stanza, or whitespace
 * between stanzas.  Bytes past it belong to the stanza being received,
 * parsed or still buffered by libxml2, so checking `fed - boundary` after
 * each piece bounds what libxml2 may buffer by the stanza limit.
 *
 * Context rotation.  A long-lived libxml2 context keeps state that only
 * grows: its name dictionary (element, attribute and prefix names and
 * namespace URIs, up to libxml2's own 10 MB limit), and an input buffer
 * as large as the largest stanza seen.  So after a stanza ends, when the
 * dictionary got big, the stanza was big or the context has parsed
 * ROTATE_BYTES, the context is replaced: the new one is first fed a
 * synthetic copy of the stream header (same prefix and namespace
 * declarations, so names resolve the same and the peer's closing tag
 * still matches), then the bytes that followed the stanza.  Callers see
 * nothing of it; memory stays flat however long the stream runs.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "xmpp-error.h"
#include "xmpp-parser.h"

/* libxml2 never gets more than this per xmlParseChunk(), so a stanza
 * over the limit is caught within this many bytes. */
#define PIECE_SIZE             (64 * 1024)
/* Rotation thresholds (see the top comment). */
#define ROTATE_DICT_ENTRIES    2048
#define ROTATE_STANZA_BYTES    (64 * 1024)
#define ROTATE_BYTES           (16 * 1024 * 1024)
/* Elements with more attributes are refused: libxml2 2.9 and the element
 * tree both check attributes for duplicates in quadratic time. */
#define MAX_ATTRIBUTES         256
/* The text buffer is given back when a text node was this large. */
#define TEXT_KEEP_BYTES        (64 * 1024)

/* A growable byte buffer, lighter than GString on the hot path. */
typedef struct
{
  char  *data;
  gsize  len;
  gsize  size;
} Buffer;

static inline void
buffer_reserve (Buffer *buffer,
                gsize   extra)
{
  if (buffer->len + extra + 1 > buffer->size)
    {
      buffer->size = MAX (buffer->len + extra + 1, MAX (2 * buffer->size, 256));
      buffer->data = g_realloc (buffer->data, buffer->size);
    }
}

static inline void
buffer_append (Buffer     *buffer,
               const void *data,
               gsize       len)
{
  buffer_reserve (buffer, len);
  memcpy (buffer->data + buffer->len, data, len);
  buffer->len += len;
  buffer->data[buffer->len] = '\0';
}

static void
buffer_clear (Buffer *buffer)
{
  g_clear_pointer (&buffer->data, g_free);
  buffer->len = buffer->size = 0;
}

typedef enum
{
  FEED_OK,
  FEED_FAILED,
  FEED_STOPPED,     /* reset or free requested by a callback */
} FeedStatus;

struct _XmppParser
{
  XmppParserCallbacks callbacks;
  gpointer            user_data;

  gsize               max_stanza_bytes;
  guint               max_depth;
  /* xmpp_element_parse(): the document element is the stanza. */
  gboolean            fragment;
  XmppElement        *fragment_result;

  xmlParserCtxtPtr    ctxt;
  gboolean            stopping;        /* soft_stop() was called on ctxt */

  /* Document state, kept across context rotations */
  guint               depth;           /* open elements, root included */
  GPtrArray          *stack;           /* [0] the stanza (owned), then open children (borrowed) */
  Buffer              text;            /* pending text of the innermost open element */
  Buffer              scratch;         /* attribute value decoding */
  const xmlChar      *plain_uri;       /* last namespace URI seen without '&' (dict string) */
  XmppElement        *header;
  GPtrArray          *header_ns;       /* prefix, URI, …, NULL */
  char               *root_prefix;

  /* Byte accounting (document offsets) */
  guint64             fed;             /* document bytes handed to libxml2 */
  guint64             boundary;        /* end of the last top-level item */
  gint64              ctxt_origin;     /* document offset of ctxt's byte 0 */
  gsize               ctxt_fed;        /* bytes handed to ctxt, synthetic header included */
  gsize               chunk_len;       /* size of the xmlParseChunk() in progress */
  gboolean            synthetic;       /* ctxt starts with a replayed header */
  gssize              rotate_leftover; /* >= 0: rotate, re-feeding this many bytes */

  /* A UTF-8 sequence split by the caller's chunking */
  guchar              partial[4];
  guint               partial_len;

  /* Failure and re-entrancy */
  gboolean            failed;
  XmppStreamErrorCode error_code;
  char               *error_message;
  gboolean            in_feed;
  gboolean            reset_pending;
  gboolean            free_pending;
};

static void parser_fail (XmppParser          *self,
                         XmppStreamErrorCode  code,
                         const char          *format,
                         ...) G_GNUC_PRINTF (3, 4);

/* Stop the context from inside one of its callbacks (see the top comment). */
static void
soft_stop (XmppParser *self)
{
  self->stopping = TRUE;
  if (self->ctxt != NULL)
    {
      self->ctxt->disableSAX = 1;
      self->ctxt->instate = XML_PARSER_EOF;
    }
}

static void
parser_fail (XmppParser          *self,
             XmppStreamErrorCode  code,
             const char          *format,
             ...)
{
  va_list args;

  if (self->failed)
    return;

  self->failed = TRUE;
  self->error_code = code;
  va_start (args, format);
  self->error_message = g_strdup_vprintf (format, args);
  va_end (args);
  g_strchomp (self->error_message);
  soft_stop (self);
}

/* The document offset libxml2 has parsed up to.  No encoder is ever
 * installed (startDocument refuses them), so bytes in are bytes parsed. */
static inline guint64
context_position (XmppParser *self)
{
  xmlParserInputPtr input = self->ctxt->input;

  return self->ctxt_origin + input->consumed + (input->cur - input->base);
}

static gboolean
check_stanza_size (XmppParser *self,
                   guint64     position)
{
  if (position - self->boundary <= self->max_stanza_bytes)
    return TRUE;
  parser_fail (self, XMPP_STREAM_ERROR_POLICY_VIOLATION,
               "Stanza larger than %" G_GSIZE_FORMAT " bytes", self->max_stanza_bytes);
  return FALSE;
}

static inline gboolean
is_xml_space (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* With entity substitution off, libxml2 hands `&amp;` and `&#38;` in
 * attribute values (and namespace URIs) over as the five characters
 * `&#38;`, for a tree builder to re-parse.  A literal `&` cannot appear
 * otherwise, so turning each `&#38;` back into `&` is exact. */
static const char *
decode_value (XmppParser    *self,
              const xmlChar *value,
              gsize          len)
{
  const char *p = (const char *) value;
  const char *end = p + len;
  const char *amp;

  self->scratch.len = 0;
  buffer_reserve (&self->scratch, len);
  while ((amp = memchr (p, '&', end - p)) != NULL)
    {
      buffer_append (&self->scratch, p, amp - p + 1);
      p = amp + 1;
      if (end - p >= 4 && memcmp (p, "#38;", 4) == 0)
        p += 4;
    }
  buffer_append (&self->scratch, p, end - p);
  return self->scratch.data;
}

/* Whether a namespace URI (interned in the context's dictionary, so
 * compared by address) needs decode_uri(). */
static inline gboolean
uri_has_amp (XmppParser    *self,
             const xmlChar *uri)
{
  if (uri == NULL || uri == self->plain_uri)
    return FALSE;
  if (strchr ((const char *) uri, '&') != NULL)
    return TRUE;
  self->plain_uri = uri;
  return FALSE;
}

static char *
decode_uri (XmppParser    *self,
            const xmlChar *uri)
{
  if (uri == NULL)
    return NULL;
  if (strchr ((const char *) uri, '&') == NULL)
    return g_strdup ((const char *) uri);
  return g_strdup (decode_value (self, uri, strlen ((const char *) uri)));
}

/* Build an element from SAX2 start-tag data. */
static XmppElement *
element_from_sax (XmppParser     *self,
                  const xmlChar  *localname,
                  const xmlChar  *uri,
                  int             nb_attributes,
                  const xmlChar **attributes)
{
  XmppElement *element;

  if (uri_has_amp (self, uri))
    {
      g_autofree char *decoded = decode_uri (self, uri);
      element = xmpp_element_new (decoded, (const char *) localname);
    }
  else
    {
      element = xmpp_element_new ((const char *) uri, (const char *) localname);
    }

  /* Each attribute is five pointers: localname, prefix, URI, value, end. */
  for (int i = 0; i < nb_attributes; i++)
    {
      const xmlChar **attr = attributes + i * 5;
      const char *value = decode_value (self, attr[3], attr[4] - attr[3]);

      if (uri_has_amp (self, attr[2]))
        {
          g_autofree char *ns = NULL;
          g_autofree char *copy = g_strdup (value);

          ns = decode_uri (self, attr[2]);
          xmpp_element_set_attribute_ns (element, ns, (const char *) attr[0], copy);
        }
      else
        {
          xmpp_element_set_attribute_ns (element, (const char *) attr[2],
                                         (const char *) attr[0], value);
        }
    }
  return element;
}

static void
flush_text (XmppParser *self)
{
  XmppElement *top;

  if (self->text.len == 0)
    return;

  top = g_ptr_array_index (self->stack, self->stack->len - 1);
  xmpp_element_add_text (top, self->text.data, self->text.len);
  if (self->text.size > TEXT_KEEP_BYTES)
    buffer_clear (&self->text);
  self->text.len = 0;
}

static void
clear_stack (XmppParser *self)
{
  if (self->stack->len > 0)
    xmpp_element_unref (g_ptr_array_index (self->stack, 0));
  g_ptr_array_set_size (self->stack, 0);
  self->text.len = 0;
}

/* SAX2 handlers */

static void
start_document_cb (void *user_data)
{
  XmppParser *self = user_data;
  xmlParserCtxtPtr ctxt = self->ctxt;
  const char *encoding;

  if (self->stopping)
    return;

  encoding = (const char *) (ctxt->encoding != NULL ? ctxt->encoding : ctxt->input->encoding);
  if ((encoding != NULL
       && g_ascii_strcasecmp (encoding, "UTF-8") != 0
       && g_ascii_strcasecmp (encoding, "UTF8") != 0)
      || (ctxt->input->buf != NULL && ctxt->input->buf->encoder != NULL))
    {
      parser_fail (self, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING,
                   "Encoding %s is not supported, only UTF-8",
                   encoding != NULL ? encoding : "(detected)");
      return;
    }

  if (ctxt->version != NULL && strcmp ((const char *) ctxt->version, "1.0") != 0)
    parser_fail (self, XMPP_STREAM_ERROR_BAD_FORMAT,
                 "XML version %s is not supported, only 1.0", (const char *) ctxt->version);
}

static void
start_stream (XmppParser     *self,
              const xmlChar  *localname,
              const xmlChar  *prefix,
              const xmlChar  *uri,
              int             nb_namespaces,
              const xmlChar **namespaces,
              int             nb_attributes,
              const xmlChar **attributes)
{
  g_autoptr(XmppElement) header = NULL;

  g_clear_pointer (&self->header, xmpp_element_unref);
  g_ptr_array_set_size (self->header_ns, 0);
  g_clear_pointer (&self->root_prefix, g_free);

  header = element_from_sax (self, localname, uri, nb_attributes, attributes);
  self->header = xmpp_element_ref (header);
  for (int i = 0; i < nb_namespaces; i++)
    {
      const xmlChar *ns_prefix = namespaces[2 * i];
      const xmlChar *ns_uri = namespaces[2 * i + 1];

      g_ptr_array_add (self->header_ns, g_strdup (ns_prefix != NULL ? (const char *) ns_prefix : ""));
      g_ptr_array_add (self->header_ns, decode_uri (self, ns_uri != NULL ? ns_uri : (const xmlChar *) ""));
    }
  g_ptr_array_add (self->header_ns, NULL);
  self->root_prefix = g_strdup ((const char *) prefix);

  if (!check_stanza_size (self, context_position (self)))
    return;

  if (uri == NULL || strcmp ((const char *) uri, XMPP_NS_STREAM) != 0
      || strcmp ((const char *) localname, "stream") != 0)
    {
      parser_fail (self, XMPP_STREAM_ERROR_INVALID_NAMESPACE,
                   "The stream root is {%s}%s, not {" XMPP_NS_STREAM "}stream",
                   uri != NULL ? (const char *) uri : "", (const char *) localname);
      return;
    }
  if (prefix != NULL && strcmp ((const char *) prefix, "stream") != 0)
    {
      parser_fail (self, XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX,
                   "The stream prefix is '%s', not 'stream'", (const char *) prefix);
      return;
    }

  /* libxml2 reports the start tag before consuming its '>'. */
  self->boundary = context_position (self);
  if (self->ctxt->input->cur[0] == '>')
    self->boundary += 1;
  if (self->callbacks.stream_open != NULL)
    self->callbacks.stream_open (self, header, self->user_data);
}

static void
start_element_cb (void           *user_data,
                  const xmlChar  *localname,
                  const xmlChar  *prefix,
                  const xmlChar  *uri,
                  int             nb_namespaces,
                  const xmlChar **namespaces,
                  int             nb_attributes,
                  int             nb_defaulted,
                  const xmlChar **attributes)
{
  XmppParser *self = user_data;
  guint level, stanza_depth;
  XmppElement *element;

  if (self->stopping)
    return;
  if (!self->ctxt->nsWellFormed)
    {
      parser_fail (self, XMPP_STREAM_ERROR_NOT_WELL_FORMED, "Namespace error");
      return;
    }

  if (nb_attributes > MAX_ATTRIBUTES)
    {
      parser_fail (self, XMPP_STREAM_ERROR_POLICY_VIOLATION,
                   "More than %u attributes on an element", MAX_ATTRIBUTES);
      return;
    }

  level = self->depth++;
  if (!self->fragment && level == 0)
    {
      if (self->synthetic)
        self->synthetic = FALSE;
      else
        start_stream (self, localname, prefix, uri, nb_namespaces, namespaces,
                      nb_attributes, attributes);
      return;
    }

  stanza_depth = self->fragment ? level + 1 : level;
  if (stanza_depth > self->max_depth)
    {
      parser_fail (self, XMPP_STREAM_ERROR_POLICY_VIOLATION,
                   "Elements nested deeper than %u", self->max_depth);
      return;
    }
  if (!check_stanza_size (self, context_position (self)))
    return;

  element = element_from_sax (self, localname, uri, nb_attributes, attributes);
  if (self->stack->len > 0)
    {
      XmppElement *top = g_ptr_array_index (self->stack, self->stack->len - 1);

      flush_text (self);
      xmpp_element_add_child (top, element);
      xmpp_element_unref (element);
    }
  g_ptr_array_add (self->stack, element);
}

static gboolean
should_rotate (XmppParser *self,
               guint64     stanza_bytes)
{
  return xmlDictSize (self->ctxt->dict) > ROTATE_DICT_ENTRIES
    || stanza_bytes > ROTATE_STANZA_BYTES
    || self->ctxt_fed > ROTATE_BYTES;
}

/* Decide at a stanza end whether to move to a fresh context.  Only the
 * bytes of the chunk being parsed can be re-fed, and only if libxml2 has
 * no decoder in between. */
static void
maybe_rotate (XmppParser *self,
              guint64     stanza_bytes)
{
  xmlParserCtxtPtr ctxt = self->ctxt;
  gsize parsed, leftover;

  if (self->fragment || !should_rotate (self, stanza_bytes))
    return;
  if (ctxt->input->buf == NULL || ctxt->input->buf->encoder != NULL)
    return;

  parsed = ctxt->input->consumed + (ctxt->input->cur - ctxt->input->base);
  if (parsed > self->ctxt_fed)
    return;
  leftover = self->ctxt_fed - parsed;
  if (leftover > self->chunk_len)
    return;

  self->rotate_leftover = leftover;
  soft_stop (self);
}

static void
end_element_cb (void          *user_data,
                const xmlChar *localname,
                const xmlChar *prefix,
                const xmlChar *uri)
{
  XmppParser *self = user_data;
  g_autoptr(XmppElement) stanza = NULL;
  guint64 position, stanza_bytes;

  if (self->stopping)
    return;

  self->depth--;
  if (!self->fragment && self->depth == 0)
    {
      self->boundary = context_position (self);
      if (self->callbacks.stream_close != NULL)
        self->callbacks.stream_close (self, self->user_data);
      return;
    }

  flush_text (self);
  if (self->stack->len > 1)
    {
      g_ptr_array_set_size (self->stack, self->stack->len - 1);
      return;
    }

  /* A first-level element is complete. */
  stanza = g_ptr_array_index (self->stack, 0);
  g_ptr_array_set_size (self->stack, 0);

  position = context_position (self);
  if (!check_stanza_size (self, position))
    return;
  stanza_bytes = position - self->boundary;
  self->boundary = position;

  if (self->fragment)
    {
      self->fragment_result = g_steal_pointer (&stanza);
      return;
    }

  maybe_rotate (self, stanza_bytes);
  if (self->callbacks.element != NULL)
    self->callbacks.element (self, stanza, self->user_data);
}

static void
characters_cb (void          *user_data,
               const xmlChar *ch,
               int            len)
{
  XmppParser *self = user_data;
  guint64 position;

  if (self->stopping)
    return;

  position = context_position (self);
  if (self->stack->len == 0)
    {
      /* Between top-level elements only whitespace may appear
       * (RFC 6120 §11.7); it ends the previous item. */
      for (int i = 0; i < len; i++)
        if (!is_xml_space (ch[i]))
          {
            parser_fail (self, XMPP_STREAM_ERROR_BAD_FORMAT,
                         "Text between top-level elements");
            return;
          }
      self->boundary = MAX (self->boundary, position);
      return;
    }

  if (!check_stanza_size (self, position))
    return;
  buffer_append (&self->text, ch, len);
}

static void
restricted (XmppParser *self,
            const char *what)
{
  if (!self->stopping)
    parser_fail (self, XMPP_STREAM_ERROR_RESTRICTED_XML, "Restricted XML: %s", what);
}

static void
internal_subset_cb (void          *user_data,
                    const xmlChar *name,
                    const xmlChar *external_id,
                    const xmlChar *system_id)
{
  restricted (user_data, "document type declaration");
}

static void
entity_decl_cb (void          *user_data,
                const xmlChar *name,
                int            type,
                const xmlChar *public_id,
                const xmlChar *system_id,
                xmlChar       *content)
{
  restricted (user_data, "entity declaration");
}

static void
notation_decl_cb (void          *user_data,
                  const xmlChar *name,
                  const xmlChar *public_id,
                  const xmlChar *system_id)
{
  restricted (user_data, "notation declaration");
}

static void
attribute_decl_cb (void          *user_data,
                   const xmlChar *elem,
                   const xmlChar *fullname,
                   int            type,
                   int            def,
                   const xmlChar *default_value,
                   xmlEnumerationPtr tree)
{
  restricted (user_data, "attribute declaration");
  xmlFreeEnumeration (tree);
}

static void
element_decl_cb (void          *user_data,
                 const xmlChar *name,
                 int            type,
                 xmlElementContentPtr content)
{
  restricted (user_data, "element declaration");
}

static void
unparsed_entity_decl_cb (void          *user_data,
                         const xmlChar *name,
                         const xmlChar *public_id,
                         const xmlChar *system_id,
                         const xmlChar *notation_name)
{
  restricted (user_data, "entity declaration");
}

static xmlEntityPtr
get_entity_cb (void          *user_data,
               const xmlChar *name)
{
  /* Only reached for names other than the five predefined entities. */
  restricted (user_data, "entity reference");
  return NULL;
}

static xmlParserInputPtr
resolve_entity_cb (void          *user_data,
                   const xmlChar *public_id,
                   const xmlChar *system_id)
{
  restricted (user_data, "external entity");
  return NULL;
}

static void
reference_cb (void          *user_data,
              const xmlChar *name)
{
  restricted (user_data, "entity reference");
}

static void
processing_instruction_cb (void          *user_data,
                           const xmlChar *target,
                           const xmlChar *data)
{
  restricted (user_data, "processing instruction");
}

static void
comment_cb (void          *user_data,
            const xmlChar *value)
{
  restricted (user_data, "comment");
}

static void
structured_error_cb (void        *user_data,
                     xmlErrorPtr  error)
{
  XmppParser *self = user_data;
  XmppStreamErrorCode code;

  if (self->stopping || error->level == XML_ERR_NONE || error->level == XML_ERR_WARNING)
    return;

  switch ((int) error->code)
    {
    case XML_ERR_UNKNOWN_ENCODING:
    case XML_ERR_UNSUPPORTED_ENCODING:
    case XML_ERR_INVALID_ENCODING:
      code = XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING;
      break;

    /* An XML declaration after the start is a reserved-name PI. */
    case XML_ERR_RESERVED_XML_NAME:
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
    case XML_ERR_ENTITYREF_IN_PROLOG:
    case XML_ERR_ENTITYREF_IN_EPILOG:
    case XML_ERR_ENTITYREF_IN_DTD:
    case XML_ERR_PEREF_IN_PROLOG:
    case XML_ERR_PEREF_IN_EPILOG:
    case XML_ERR_PEREF_IN_INT_SUBSET:
    case XML_ERR_ENTITY_IS_EXTERNAL:
    case XML_ERR_ENTITY_IS_PARAMETER:
    case XML_ERR_ENTITY_LOOP:
    case XML_ERR_ENTITY_PROCESSING:
      code = XMPP_STREAM_ERROR_RESTRICTED_XML;
      break;

    case XML_ERR_NO_MEMORY:
      code = XMPP_STREAM_ERROR_RESOURCE_CONSTRAINT;
      break;

    /* libxml2's own limits: "Huge input lookup" (a tag over 10 MB),
     * excessive depth, over-long names. */
    case XML_ERR_INTERNAL_ERROR:
    case XML_ERR_NAME_TOO_LONG:
      code = XMPP_STREAM_ERROR_POLICY_VIOLATION;
      break;

    default:
      code = XMPP_STREAM_ERROR_NOT_WELL_FORMED;
      break;
    }

  parser_fail (self, code, "%s", error->message != NULL ? error->message : "XML error");
}

static const xmlSAXHandler sax_handler = {
  .initialized = XML_SAX2_MAGIC,
  .startDocument = start_document_cb,
  .startElementNs = start_element_cb,
  .endElementNs = end_element_cb,
  .characters = characters_cb,
  .ignorableWhitespace = characters_cb,
  .cdataBlock = characters_cb,
  .internalSubset = internal_subset_cb,
  .externalSubset = internal_subset_cb,
  .entityDecl = entity_decl_cb,
  .notationDecl = notation_decl_cb,
  .attributeDecl = attribute_decl_cb,
  .elementDecl = element_decl_cb,
  .unparsedEntityDecl = unparsed_entity_decl_cb,
  .getEntity = get_entity_cb,
  .getParameterEntity = get_entity_cb,
  .resolveEntity = resolve_entity_cb,
  .reference = reference_cb,
  .processingInstruction = processing_instruction_cb,
  .comment = comment_cb,
  .serror = structured_error_cb,
};

/* Contexts */

static void
free_context (XmppParser *self)
{
  if (self->ctxt == NULL)
    return;
  /* Outside any callback now, so the real stop is safe. */
  xmlStopParser (self->ctxt);
  xmlFreeParserCtxt (self->ctxt);
  self->ctxt = NULL;
}

static gboolean
create_context (XmppParser *self)
{
  /* No DTD loading, no entity substitution, no network, default limits
   * (no XML_PARSE_HUGE). */
  self->ctxt = xmlCreatePushParserCtxt ((xmlSAXHandlerPtr) &sax_handler, self, NULL, 0, NULL);
  if (self->ctxt == NULL)
    {
      parser_fail (self, XMPP_STREAM_ERROR_RESOURCE_CONSTRAINT, "Cannot create an XML parser");
      return FALSE;
    }
  xmlCtxtUseOptions (self->ctxt, XML_PARSE_NONET);
  self->stopping = FALSE;
  self->plain_uri = NULL;
  self->ctxt_fed = 0;
  self->rotate_leftover = -1;
  return TRUE;
}

static FeedStatus
parse_chunk (XmppParser *self,
             const char *data,
             gsize       len)
{
  self->chunk_len = len;
  self->ctxt_fed += len;
  xmlParseChunk (self->ctxt, data, (int) len, 0);

  if (self->free_pending || self->reset_pending)
    return FEED_STOPPED;
  if (self->failed)
    return FEED_FAILED;
  if (self->rotate_leftover < 0 && self->ctxt->errNo != XML_ERR_OK
      && self->ctxt->disableSAX)
    {
      /* Stopped without telling us why. */
      parser_fail (self, XMPP_STREAM_ERROR_NOT_WELL_FORMED, "XML error %d", self->ctxt->errNo);
      return FEED_FAILED;
    }
  return FEED_OK;
}

/* Replace the context by a fresh one that continues the same stream. */
static FeedStatus
rotate_context (XmppParser *self,
                guint64     position)
{
  g_autoptr(GString) header = g_string_new ("<");
  FeedStatus status;

  free_context (self);
  if (!create_context (self))
    return FEED_FAILED;

  if (self->root_prefix != NULL)
    g_string_append_printf (header, "%s:", self->root_prefix);
  g_string_append (header, "stream");
  for (guint i = 0; i + 1 < self->header_ns->len; i += 2)
    {
      const char *ns_prefix = g_ptr_array_index (self->header_ns, i);

      g_string_append (header, " xmlns");
      if (*ns_prefix != '\0')
        g_string_append_printf (header, ":%s", ns_prefix);
      g_string_append (header, "='");
      xmpp_escape_attribute (header, g_ptr_array_index (self->header_ns, i + 1), -1);
      g_string_append_c (header, '\'');
    }
  g_string_append_c (header, '>');

  self->ctxt_origin = (gint64) position - (gint64) header->len;
  self->synthetic = TRUE;
  self->depth = 0;
  status = parse_chunk (self, header->str, header->len);
  if (status == FEED_OK && (self->synthetic || self->depth != 1))
    {
      parser_fail (self, XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR, "Parser rotation failed");
      return FEED_FAILED;
    }
  return status;
}

/* Hand whole UTF-8 characters to libxml2, rotating contexts as asked. */
static FeedStatus
parse_bytes (XmppParser *self,
             const char *data,
             gsize       len)
{
  self->fed += len;

  while (TRUE)
    {
      FeedStatus status;
      gsize leftover;
      guint64 position;

      if (self->ctxt == NULL)
        {
          if (!create_context (self))
            return FEED_FAILED;
          self->ctxt_origin = (gint64) (self->fed - len);
        }

      status = parse_chunk (self, data, len);
      if (status != FEED_OK || self->rotate_leftover < 0)
        return status;

      leftover = self->rotate_leftover;
      position = self->boundary;
      data += len - leftover;
      len = leftover;
      status = rotate_context (self, position);
      if (status != FEED_OK)
        return status;
      if (len == 0)
        return FEED_OK;
    }
}

/* UTF-8 */

static inline guint
utf8_sequence_length (guchar lead)
{
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return 2;
  if (lead >= 0xE0 && lead <= 0xEF)
    return 3;
  if (lead >= 0xF0 && lead <= 0xF4)
    return 4;
  return 0;
}

/* Whether @n bytes (possibly fewer than the sequence needs) are a valid
 * start of the UTF-8 sequence they begin. */
static inline gboolean
utf8_prefix_valid (const guchar *p,
                   gsize         n)
{
  guint need = utf8_sequence_length (p[0]);

  if (need == 0 || n > need)
    return FALSE;
  if (n >= 2)
    {
      guchar lo = 0x80, hi = 0xBF;

      switch (p[0])
        {
        case 0xE0: lo = 0xA0; break;
        case 0xED: hi = 0x9F; break;
        case 0xF0: lo = 0x90; break;
        case 0xF4: hi = 0x8F; break;
        default: break;
        }
      if (p[1] < lo || p[1] > hi)
        return FALSE;
    }
  for (gsize i = 2; i < n; i++)
    if ((p[i] & 0xC0) != 0x80)
      return FALSE;
  return TRUE;
}

/* Length of the leading run of complete, valid UTF-8 without NUL.  When
 * the run stops at a sequence cut by the end of the data, *incomplete is
 * its length; otherwise the byte at the returned offset is invalid (or
 * the data ended). */
static gsize
utf8_scan (const guchar *p,
           gsize         len,
           gsize        *incomplete)
{
  gsize i = 0;

  *incomplete = 0;
  while (i < len)
    {
      guint need;

      /* ASCII without NUL, eight bytes at a time. */
      while (i + 8 <= len)
        {
          guint64 word;

          memcpy (&word, p + i, 8);
          if (((word | ((word - G_GUINT64_CONSTANT (0x0101010101010101)) & ~word))
               & G_GUINT64_CONSTANT (0x8080808080808080)) != 0)
            break;
          i += 8;
        }
      if (i >= len)
        break;

      if (p[i] != 0 && p[i] < 0x80)
        {
          i++;
          continue;
        }
      if (p[i] == 0)
        return i;

      need = utf8_sequence_length (p[i]);
      if (need == 0)
        return i;
      if (i + need > len)
        {
          if (utf8_prefix_valid (p + i, len - i))
            *incomplete = len - i;
          return i;
        }
      if (!utf8_prefix_valid (p + i, need))
        return i;
      i += need;
    }
  return i;
}

static void
fail_encoding (XmppParser *self,
               guchar      byte,
               guint64     offset)
{
  /* NUL is valid UTF-8 but not XML, except that at the start of a
   * document it means UTF-16 or UTF-32. */
  if (byte == 0 && offset >= 4)
    parser_fail (self, XMPP_STREAM_ERROR_NOT_WELL_FORMED, "NUL character");
  else
    parser_fail (self, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING,
                 "Input is not UTF-8 (byte 0x%02X at offset %" G_GUINT64_FORMAT ")",
                 byte, offset);
}

/* Feed one piece of at most PIECE_SIZE bytes; returns how much was used. */
static FeedStatus
feed_piece (XmppParser   *self,
            const guchar *data,
            gsize         len,
            gsize        *used)
{
  gsize valid, incomplete;
  FeedStatus status;

  *used = len;

  /* Complete a character split by the previous chunk first. */
  if (self->partial_len > 0)
    {
      guint need = utf8_sequence_length (self->partial[0]);
      gsize take = MIN (need - self->partial_len, len);

      memcpy (self->partial + self->partial_len, data, take);
      self->partial_len += take;
      *used = take;
      if (!utf8_prefix_valid (self->partial, self->partial_len))
        {
          fail_encoding (self, self->partial[0], self->fed);
          return FEED_FAILED;
        }
      if (self->partial_len < need)
        return FEED_OK;
      self->partial_len = 0;
      return parse_bytes (self, (const char *) self->partial, need);
    }

  valid = utf8_scan (data, len, &incomplete);
  if (valid > 0)
    {
      status = parse_bytes (self, (const char *) data, valid);
      if (status != FEED_OK)
        return status;
    }
  if (incomplete > 0)
    {
      memcpy (self->partial, data + valid, incomplete);
      self->partial_len = incomplete;
    }
  else if (valid < len)
    {
      fail_encoding (self, data[valid], self->fed);
      return FEED_FAILED;
    }

  /* Whatever libxml2 still holds past the last top-level item belongs to
   * the stanza being received. */
  if (self->fed - self->boundary > self->max_stanza_bytes)
    {
      parser_fail (self, XMPP_STREAM_ERROR_POLICY_VIOLATION,
                   "Stanza larger than %" G_GSIZE_FORMAT " bytes", self->max_stanza_bytes);
      return FEED_FAILED;
    }
  return FEED_OK;
}

static void
set_error (XmppParser  *self,
           GError     **error)
{
  g_set_error_literal (error, XMPP_STREAM_ERROR, self->error_code,
                       self->error_message != NULL ? self->error_message : "Stream error");
}

static void
reset_state (XmppParser *self)
{
  free_context (self);
  clear_stack (self);
  g_clear_pointer (&self->header, xmpp_element_unref);
  g_ptr_array_set_size (self->header_ns, 0);
  g_clear_pointer (&self->root_prefix, g_free);
  g_clear_pointer (&self->fragment_result, xmpp_element_unref);
  g_clear_pointer (&self->error_message, g_free);
  self->depth = 0;
  self->fed = 0;
  self->boundary = 0;
  self->ctxt_origin = 0;
  self->ctxt_fed = 0;
  self->synthetic = FALSE;
  self->rotate_leftover = -1;
  self->partial_len = 0;
  self->failed = FALSE;
  self->stopping = FALSE;
  self->reset_pending = FALSE;
}

static void
parser_destroy (XmppParser *self)
{
  reset_state (self);
  g_ptr_array_unref (self->stack);
  g_ptr_array_unref (self->header_ns);
  buffer_clear (&self->text);
  buffer_clear (&self->scratch);
  g_free (self);
}

/* Public API */

XmppParser *
xmpp_parser_new (const XmppParserCallbacks *callbacks,
                 gpointer                   user_data)
{
  static gsize initialized = 0;
  XmppParser *self;

  if (g_once_init_enter (&initialized))
    {
      xmlInitParser ();
      g_once_init_leave (&initialized, 1);
    }

  self = g_new0 (XmppParser, 1);
  if (callbacks != NULL)
    self->callbacks = *callbacks;
  self->user_data = user_data;
  self->max_stanza_bytes = XMPP_PARSER_DEFAULT_MAX_STANZA_BYTES;
  self->max_depth = XMPP_PARSER_DEFAULT_MAX_DEPTH;
  self->stack = g_ptr_array_new ();
  self->header_ns = g_ptr_array_new_with_free_func (g_free);
  self->rotate_leftover = -1;
  return self;
}

void
xmpp_parser_free (XmppParser *self)
{
  if (self == NULL)
    return;

  if (self->in_feed)
    {
      /* Called from a callback: finish once libxml2 has returned. */
      self->free_pending = TRUE;
      soft_stop (self);
      return;
    }
  parser_destroy (self);
}

void
xmpp_parser_set_limits (XmppParser *self,
                        gsize       max_stanza_bytes,
                        guint       max_depth)
{
  g_return_if_fail (self != NULL);

  self->max_stanza_bytes = max_stanza_bytes != 0 ? max_stanza_bytes : XMPP_PARSER_DEFAULT_MAX_STANZA_BYTES;
  self->max_depth = max_depth != 0 ? max_depth : XMPP_PARSER_DEFAULT_MAX_DEPTH;
}

gboolean
xmpp_parser_feed (XmppParser  *self,
                  const char  *data,
                  gsize        len,
                  GError     **error)
{
  const guchar *p = (const guchar *) data;
  FeedStatus status = FEED_OK;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (!self->in_feed, FALSE);

  if (self->failed)
    {
      set_error (self, error);
      return FALSE;
    }

  self->in_feed = TRUE;
  while (len > 0)
    {
      gsize used;

      status = feed_piece (self, p, MIN (len, PIECE_SIZE), &used);
      if (status != FEED_OK)
        break;
      p += used;
      len -= used;
    }
  self->in_feed = FALSE;

  if (self->free_pending)
    {
      parser_destroy (self);
      return TRUE;
    }
  if (self->reset_pending)
    {
      reset_state (self);
      return TRUE;
    }
  if (status == FEED_FAILED)
    {
      /* Nothing will be parsed any more: let go of libxml2's buffers. */
      free_context (self);
      clear_stack (self);
      set_error (self, error);
      return FALSE;
    }
  return TRUE;
}

void
xmpp_parser_reset (XmppParser *self)
{
  g_return_if_fail (self != NULL);

  if (self->in_feed)
    {
      self->reset_pending = TRUE;
      soft_stop (self);
      return;
    }
  reset_state (self);
}

XmppElement *
xmpp_parser_get_stream_header (XmppParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->header;
}

const char *
xmpp_parser_get_content_namespace (XmppParser *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i + 1 < self->header_ns->len; i += 2)
    if (*(const char *) g_ptr_array_index (self->header_ns, i) == '\0')
      return g_ptr_array_index (self->header_ns, i + 1);
  return NULL;
}

const char * const *
xmpp_parser_get_stream_namespaces (XmppParser *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (self != NULL, NULL);

  if (self->header_ns->len == 0)
    return none;
  return (const char * const *) self->header_ns->pdata;
}

XmppElement *
xmpp_element_parse (const char  *xml,
                    gssize       len,
                    GError     **error)
{
  XmppParser *self;
  XmppElement *result = NULL;

  g_return_val_if_fail (xml != NULL, NULL);

  if (len < 0)
    len = strlen (xml);

  self = xmpp_parser_new (NULL, NULL);
  self->fragment = TRUE;

  if (xmpp_parser_feed (self, xml, len, error))
    {
      if (self->partial_len > 0)
        parser_fail (self, XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING, "Truncated UTF-8 sequence");
      else if (self->ctxt == NULL)
        parser_fail (self, XMPP_STREAM_ERROR_NOT_WELL_FORMED, "Empty document");
      else
        xmlParseChunk (self->ctxt, NULL, 0, 1);

      if (!self->failed && self->fragment_result == NULL)
        parser_fail (self, XMPP_STREAM_ERROR_NOT_WELL_FORMED, "Incomplete element");

      if (self->failed)
        set_error (self, error);
      else
        result = g_steal_pointer (&self->fragment_result);
    }

  parser_destroy (self);
  return result;
}
