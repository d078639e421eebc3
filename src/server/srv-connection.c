/* srv-connection.c: one client connection (c2s)
 *
 * The negotiation state machine (RFC 6120 §4–§7, XEP-0198, XEP-0077):
 *
 *    accept ──(c2s port)──► PRE_TLS ──<starttls/>──► <proceed/> ─┐
 *    accept ──(direct TLS port, XEP-0368)──────────────────────┐ │
 *                                                 TLS handshake ◄┘
 *                                                        │
 *                                                        ▼
 *            <iq> jabber:iq:register (when allowed) ─ PRE_AUTH ◄─ <failure/>
 *                                                        │ <auth/> … <success/>
 *                                                        ▼ (stream restart)
 *                                                    PRE_BIND ──<resume/>──┐
 *                                                        │ <iq><bind/></iq> │
 *                                                        ▼                  │
 *                                                      BOUND ◄──────────────┘
 *
 * Each stage starts when the client opens a stream (header in, our header
 * and features out, with a fresh id); in every stage anything not listed
 * above is refused with the stream error RFC 6120 names for it.
 *
 * I/O.  A connection is a non-blocking socket in the server's epoll set
 * (srv-server.c) and, once TLS starts, a GnuTLS session sharing the
 * server's credentials: no GIO stream objects, no GSource and no buffer
 * of its own while idle (GIO's TLS costs tens of KB and a thread per
 * handshake; a GSource per connection makes every main-loop iteration
 * O(connections)).  Reading goes into one shared buffer until the socket
 * would block; writes are serialised into `outbuf` (allocated only while
 * something is pending) and written by the server's flush pass once per
 * batch of events, so a burst of stanzas to one client becomes one TLS
 * record.  EPOLLOUT is asked for only while output is blocked.
 *
 * Limits.  Before authentication the parser's stanza limit is small
 * (max-preauth-stanza-size) and a token bucket on bytes read closes a
 * flooding stream with <policy-violation/>.  After authentication the
 * bucket only pauses reading (TCP back-pressure), since a real client may
 * burst.  The once-a-second tick (srv-server.c) enforces the pre-auth
 * timeout, pings silent clients, asks for XEP-0198 acknowledgements and
 * ends lingering closes.
 *
 * Idle memory.  A libxml2 push context costs ~14 KB, most of an idle
 * session.  So a bound connection silent at a tick (PARSER_IDLE_USEC) while
 * its input sits between two stanzas drops its XmppParser; the next bytes
 * get a fresh one, first fed a synthetic copy of the stream header (the
 * header can only have been <stream:stream xmlns='jabber:client'
 * xmlns:stream=…>, anything else was refused).  "Between two stanzas" is
 * known from a tiny scanner (ScanState) run over the same bytes: it
 * follows tags, quoted attribute values, PIs and CDATA, nothing more —
 * well-formedness is still the parser's job.
 *
 * Closing.  A stream error or a clean close writes the error and
 * </stream:stream>, flushes, sends TLS close_notify, shuts down our side
 * of the TCP connection and reads (discarding) until the peer closes or
 * LINGER_SECONDS pass, so the peer gets our last bytes instead of a reset.
 * A lost connection (EOF or error without </stream:stream>) leaves a
 * resumable XEP-0198 session waiting instead of ending it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "srv-server-private.h"
#include "srv-tls.h"

#define READ_CHUNK         (64 * 1024)
#define READ_BUDGET        (256 * 1024)   /* per wake-up, for fairness */
#define WRITE_CHUNK        (16 * 1024)    /* one TLS record */
#define MAX_PENDING_OUTPUT (8 * 1024 * 1024)
#define LINGER_SECONDS     2
/* A bound connection's parser goes at the first tick after this much
 * silence (the tick runs every second). */
#define PARSER_IDLE_USEC   (G_USEC_PER_SEC / 4)

/* Where the byte stream is, roughly (see the top comment). */
typedef enum
{
  SCAN_TEXT,
  SCAN_LT,          /* after '<' */
  SCAN_START_TAG,
  SCAN_SLASH,       /* '/' inside a start tag */
  SCAN_END_TAG,
  SCAN_QUOTE,       /* inside an attribute value */
  SCAN_PI,
  SCAN_PI_Q,
  SCAN_BANG,        /* after '<!': CDATA or (refused) markup */
  SCAN_MARKUP,
  SCAN_CDATA,
  SCAN_CDATA_B1,
  SCAN_CDATA_B2,
} ScanState;

typedef enum
{
  STAGE_PRE_TLS,
  STAGE_PRE_AUTH,
  STAGE_PRE_BIND,
  STAGE_BOUND,
} Stage;

typedef enum
{
  IO_OK,
  IO_AGAIN,
  IO_EOF,
  IO_ERROR,
} IoStatus;

struct _SrvConnection
{
  gint                    ref_count;
  SrvServer              *server;     /* borrowed */
  SrvSession             *session;    /* owned; NULL before SASL */

  int                     fd;
  gnutls_session_t        tls;        /* NULL before TLS */
  SrvWatch                watch;
  guint32                 interest;   /* registered epoll events */
  guint                   pause_id;
  gint64                  linger_until;
  gsize                   send_pending; /* size of a GnuTLS send to repeat */

  GString                *outbuf;     /* NULL while nothing is pending */
  gsize                   out_offset;
  /* Group commit: what outbuf held when the open batch (commit
   * generation out_gen) first added to it; the rest is dropped if that
   * batch fails (srv-server.c). */
  guint64                 out_gen;
  gsize                   out_mark;
  gboolean                out_mark_header_sent;

  XmppParser             *parser;
  char                   *stream_id;
  char                   *lang;       /* of the client's stream header */
  char                   *address;
  XmppSaslServer         *sasl;

  double                  tokens;
  gint64                  tokens_time;
  gint64                  created;
  gint64                  last_read;
  gint64                  ping_sent;

  Stage                   stage;
  ScanState               scan;
  gint                    scan_depth;
  guint8                  scan_bang;  /* chars of "[CDATA[" matched */
  char                    scan_quote;
  guint8                  auth_failures;
  guint8                  bind_failures;
  guint                   direct_tls : 1;
  guint                   header_sent : 1;
  guint                   closing : 1;
  guint                   destroyed : 1;
  guint                   starting_tls : 1;
  guint                   handshaking : 1;
  guint                   reading : 1;
  guint                   write_blocked : 1;
  guint                   lingering : 1;
  guint                   paused : 1;
  guint                   cb_exporter : 1;
  guint                   cb_end_point : 1;
  guint                   cb_type_mismatch : 1;
  guint                   dirty : 1;        /* in the server's flush list */
  guint                   tail_written : 1; /* </stream:stream> is out */
  guint                   parser_resuming : 1;
  guint                   in_feed : 1;      /* inside xmpp_parser_feed() */
};

static char read_buffer[READ_CHUNK];

static void connection_lost       (SrvConnection *conn,
                                   const char    *reason);
static void connection_destroy    (SrvConnection *conn);
static void close_with            (SrvConnection *conn,
                                   gint           condition,
                                   const char    *text,
                                   const char    *extra_xml);
static void begin_tls             (SrvConnection *conn);
static void finish_close          (SrvConnection *conn);
static void read_input            (SrvConnection *conn);
static void io_cb                 (gpointer       data,
                                   guint32        events);

static void parser_stream_open_cb  (XmppParser  *parser,
                                    XmppElement *header,
                                    gpointer     user_data);
static void parser_element_cb      (XmppParser  *parser,
                                    XmppElement *element,
                                    gpointer     user_data);
static void parser_stream_close_cb (XmppParser  *parser,
                                    gpointer     user_data);

static const XmppParserCallbacks parser_callbacks = {
  parser_stream_open_cb,
  parser_element_cb,
  parser_stream_close_cb,
};

/* --- helpers ------------------------------------------------------- */

static char *
random_token (gsize n_bytes)
{
  guint8 raw[32];
  char *token;

  g_assert (n_bytes <= sizeof raw);
  if (gnutls_rnd (GNUTLS_RND_NONCE, raw, n_bytes) < 0)
    for (gsize i = 0; i < n_bytes; i++)
      raw[i] = (guint8) g_random_int ();
  token = g_base64_encode (raw, n_bytes);
  /* URL-safe and attribute-safe. */
  for (char *p = token; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        *p = '\0';
    }
  return token;
}

static gboolean
is_sane_lang (const char *lang)
{
  gsize len = 0;

  if (lang == NULL || *lang == '\0')
    return FALSE;
  for (const char *p = lang; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '-')
      return FALSE;
  return len <= 35;
}

static const char *
conn_log_name (SrvConnection *conn)
{
  if (conn->session != NULL && conn->session->jid != NULL)
    return xmpp_jid_to_string (conn->session->jid);
  if (conn->session != NULL)
    return xmpp_jid_to_string (conn->session->bare);
  return conn->address;
}

/* Follow @len bytes of the stream (see ScanState). */
static void
scan_bytes (SrvConnection *conn,
            const char    *data,
            gsize          len)
{
  static const char cdata[] = "[CDATA[";
  const char *p = data;
  const char *end = data + len;

  while (p < end)
    {
      char c;

      if (conn->scan == SCAN_TEXT)
        {
          p = memchr (p, '<', (gsize) (end - p));
          if (p == NULL)
            return;
          conn->scan = SCAN_LT;
          p++;
          continue;
        }
      if (conn->scan == SCAN_QUOTE)
        {
          p = memchr (p, conn->scan_quote, (gsize) (end - p));
          if (p == NULL)
            return;
          conn->scan = SCAN_START_TAG;
          p++;
          continue;
        }

      c = *p++;
      switch (conn->scan)
        {
        case SCAN_LT:
          if (c == '/')
            conn->scan = SCAN_END_TAG;
          else if (c == '?')
            conn->scan = SCAN_PI;
          else if (c == '!')
            {
              conn->scan = SCAN_BANG;
              conn->scan_bang = 0;
            }
          else
            conn->scan = SCAN_START_TAG;
          break;
        case SCAN_START_TAG:
          if (c == '\'' || c == '"')
            {
              conn->scan = SCAN_QUOTE;
              conn->scan_quote = c;
            }
          else if (c == '/')
            conn->scan = SCAN_SLASH;
          else if (c == '>')
            {
              conn->scan_depth++;
              conn->scan = SCAN_TEXT;
            }
          break;
        case SCAN_SLASH:
          conn->scan = c == '>' ? SCAN_TEXT : SCAN_START_TAG;
          break;
        case SCAN_END_TAG:
          if (c == '>')
            {
              conn->scan_depth--;
              conn->scan = SCAN_TEXT;
            }
          break;
        case SCAN_PI:
          if (c == '?')
            conn->scan = SCAN_PI_Q;
          break;
        case SCAN_PI_Q:
          conn->scan = c == '>' ? SCAN_TEXT : c == '?' ? SCAN_PI_Q : SCAN_PI;
          break;
        case SCAN_BANG:
          if (c == cdata[conn->scan_bang])
            {
              if (++conn->scan_bang == sizeof cdata - 1)
                conn->scan = SCAN_CDATA;
            }
          else
            conn->scan = c == '>' ? SCAN_TEXT : SCAN_MARKUP;
          break;
        case SCAN_MARKUP:
          if (c == '>')
            conn->scan = SCAN_TEXT;
          break;
        case SCAN_CDATA:
          if (c == ']')
            conn->scan = SCAN_CDATA_B1;
          break;
        case SCAN_CDATA_B1:
          conn->scan = c == ']' ? SCAN_CDATA_B2 : SCAN_CDATA;
          break;
        case SCAN_CDATA_B2:
          conn->scan = c == '>' ? SCAN_TEXT : c == ']' ? SCAN_CDATA_B2 : SCAN_CDATA;
          break;
        case SCAN_TEXT:
        case SCAN_QUOTE:
        default:
          g_assert_not_reached ();
        }
    }
}

/* A new stream begins (after STARTTLS or SASL): a new document for the
 * parser and the scanner; the rest of the current chunk is dropped. */
static void
restart_stream (SrvConnection *conn)
{
  if (conn->parser != NULL)
    xmpp_parser_reset (conn->parser);
  conn->scan = SCAN_TEXT;
  conn->scan_depth = 0;
  conn->header_sent = FALSE;
}

static const char synthetic_header[] =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

/* Feed what arrived to the parser, making one first if it was dropped. */
static gboolean
feed_parser (SrvConnection  *conn,
             const char     *data,
             gsize           len,
             GError        **error)
{
  gboolean ok;

  if (conn->parser == NULL)
    {
      conn->parser = xmpp_parser_new (&parser_callbacks, conn);
      xmpp_parser_set_limits (conn->parser, conn->server->config->max_stanza_size, 0);
      conn->parser_resuming = TRUE;
      if (!xmpp_parser_feed (conn->parser, synthetic_header, sizeof synthetic_header - 1, error))
        return FALSE;
      conn->parser_resuming = FALSE;
    }
  scan_bytes (conn, data, len);
  conn->in_feed = TRUE;
  ok = xmpp_parser_feed (conn->parser, data, len, error);
  conn->in_feed = FALSE;
  return ok;
}

/* The epoll events this connection needs now. */
static void
update_interest (SrvConnection *conn)
{
  guint32 want = 0;

  if (conn->destroyed)
    return;
  if (conn->lingering)
    want = EPOLLIN;
  else if (conn->handshaking)
    want = gnutls_record_get_direction (conn->tls) == 0 ? EPOLLIN : EPOLLOUT;
  else
    {
      if (conn->reading && !conn->paused && !conn->closing)
        want |= EPOLLIN;
      if (conn->write_blocked)
        want |= EPOLLOUT;
    }
  if (want != conn->interest)
    {
      conn->interest = want;
      _srv_server_watch (conn->server, conn->fd, want, &conn->watch, FALSE);
    }
}

/* --- life cycle ---------------------------------------------------- */

SrvConnection *
_srv_connection_new (SrvServer  *server,
                     int         fd,
                     const char *address,
                     gboolean    direct_tls)
{
  SrvConnection *conn = g_new0 (SrvConnection, 1);

  conn->ref_count = 1;
  conn->server = server;
  conn->fd = fd;
  conn->address = g_strdup (address);
  conn->direct_tls = !!direct_tls;
  conn->created = _srv_now ();
  conn->last_read = conn->created;
  conn->tokens = (double) server->config->preauth_rate_burst;
  conn->tokens_time = conn->created;
  conn->watch.func = io_cb;
  conn->watch.data = conn;
  conn->watch.is_connection = TRUE;

  _srv_server_add_connection (server, conn);   /* the server's reference */
  /* Both a client's stream header and a ClientHello come in first. */
  conn->interest = EPOLLIN;
  _srv_server_watch (server, fd, EPOLLIN, &conn->watch, TRUE);

  conn->parser = xmpp_parser_new (&parser_callbacks, conn);
  xmpp_parser_set_limits (conn->parser, server->config->max_preauth_stanza_size, 0);

  g_debug ("%s: connected%s", conn->address, direct_tls ? " (direct TLS)" : "");

  if (direct_tls)
    {
      begin_tls (conn);
    }
  else
    {
      conn->stage = STAGE_PRE_TLS;
      conn->reading = TRUE;
      update_interest (conn);
    }
  return conn;
}

SrvConnection *
_srv_connection_ref (SrvConnection *conn)
{
  conn->ref_count++;
  return conn;
}

void
_srv_connection_unref (SrvConnection *conn)
{
  g_assert (conn->ref_count > 0);
  if (--conn->ref_count > 0)
    return;

  g_assert (conn->destroyed);
  g_assert (conn->session == NULL);
  g_clear_pointer (&conn->parser, xmpp_parser_free);
  g_clear_pointer (&conn->sasl, xmpp_sasl_server_free);
  if (conn->outbuf != NULL)
    g_string_free (conn->outbuf, TRUE);
  g_free (conn->stream_id);
  g_free (conn->lang);
  g_free (conn->address);
  g_free (conn);
}

/* Tear everything down now; the server drops its reference. */
static void
connection_destroy (SrvConnection *conn)
{
  if (conn->destroyed)
    return;
  conn->closing = TRUE;

  g_clear_handle_id (&conn->pause_id, g_source_remove);

  if (conn->session != NULL)
    {
      SrvSession *session = g_steal_pointer (&conn->session);

      if (session->conn == conn)
        session->conn = NULL;
      if (session->bound && !session->ended)
        _srv_server_end_session (conn->server, session);
      srv_session_unref (session);
    }

  conn->destroyed = TRUE;
  _srv_server_unwatch (conn->server, conn->fd);
  if (conn->tls != NULL)
    {
      gnutls_deinit (conn->tls);
      conn->tls = NULL;
    }
  close (conn->fd);
  conn->fd = -1;
  if (conn->outbuf != NULL)
    {
      g_string_free (conn->outbuf, TRUE);
      conn->outbuf = NULL;
    }

  _srv_server_connection_gone (conn->server, conn);
}

void
_srv_connection_abort (SrvConnection *conn)
{
  _srv_connection_ref (conn);
  connection_destroy (conn);
  _srv_connection_unref (conn);
}

/* The transport went away under us (EOF without </stream:stream>, an I/O
 * error, a failed handshake): no more writing. */
static void
connection_lost (SrvConnection *conn,
                 const char    *reason)
{
  if (conn->destroyed)
    return;

  g_debug ("%s: connection lost: %s", conn_log_name (conn), reason);

  if (conn->session != NULL && conn->session->bound && !conn->session->ended &&
      !conn->closing && conn->session->sm_id != NULL && !conn->server->shutting_down)
    {
      SrvSession *session = g_steal_pointer (&conn->session);

      /* XEP-0198 §5: the session waits for the client to resume. */
      session->conn = NULL;
      _srv_server_detach_session (conn->server, session);
      srv_session_unref (session);
    }
  connection_destroy (conn);
}

/* --- raw I/O ------------------------------------------------------- */

static IoStatus
io_recv (SrvConnection *conn,
         char          *buffer,
         gsize          size,
         gsize         *n_read,
         const char   **error)
{
  for (;;)
    {
      if (conn->tls != NULL)
        {
          ssize_t r = gnutls_record_recv (conn->tls, buffer, size);

          if (r > 0)
            {
              *n_read = (gsize) r;
              return IO_OK;
            }
          if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION)
            return IO_EOF;
          if (r == GNUTLS_E_AGAIN)
            return IO_AGAIN;
          if (r == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal ((int) r))
            continue;
          *error = gnutls_strerror ((int) r);
          return IO_ERROR;
        }
      else
        {
          ssize_t r = recv (conn->fd, buffer, size, 0);

          if (r > 0)
            {
              *n_read = (gsize) r;
              return IO_OK;
            }
          if (r == 0)
            return IO_EOF;
          if (errno == EAGAIN)
            return IO_AGAIN;
          if (errno == EINTR)
            continue;
          *error = g_strerror (errno);
          return IO_ERROR;
        }
    }
}

static IoStatus
io_send (SrvConnection *conn,
         const char    *data,
         gsize          size,
         gsize         *n_written,
         const char   **error)
{
  for (;;)
    {
      if (conn->tls != NULL)
        {
          /* After GNUTLS_E_AGAIN GnuTLS wants the same call again; the
           * buffer's head does not move until it succeeds. */
          ssize_t r = gnutls_record_send (conn->tls, data, size);

          if (r >= 0)
            {
              *n_written = (gsize) r;
              return IO_OK;
            }
          if (r == GNUTLS_E_AGAIN)
            return IO_AGAIN;
          if (r == GNUTLS_E_INTERRUPTED)
            continue;
          *error = gnutls_strerror ((int) r);
          return IO_ERROR;
        }
      else
        {
          ssize_t r = send (conn->fd, data, size, MSG_NOSIGNAL);

          if (r >= 0)
            {
              *n_written = (gsize) r;
              return IO_OK;
            }
          if (errno == EAGAIN)
            return IO_AGAIN;
          if (errno == EINTR)
            continue;
          *error = g_strerror (errno);
          return IO_ERROR;
        }
    }
}

/* --- reading ------------------------------------------------------- */

static gboolean
resume_reading_cb (gpointer user_data)
{
  SrvConnection *conn = user_data;
  SrvServer *server = conn->server;

  conn->pause_id = 0;
  conn->paused = FALSE;
  update_interest (conn);
  /* TLS may hold decrypted records that epoll cannot see. */
  _srv_connection_ref (conn);
  read_input (conn);
  _srv_connection_unref (conn);
  _srv_server_flush (server);
  return G_SOURCE_REMOVE;
}

/* The token bucket on bytes read; FALSE when the bucket is overdrawn.
 * Before authentication that closes the stream (policy-violation) and the
 * bytes must not be parsed; after it, the caller still parses what it
 * read (it was taken off the socket: dropping it would lose stanzas) and
 * then calls pause_reading(). */
static gboolean
consume_tokens (SrvConnection *conn,
                gsize          n,
                gint64         now)
{
  const SrvConfig *config = conn->server->config;
  gboolean authenticated = conn->stage >= STAGE_PRE_BIND;
  double rate = (double) (authenticated ? config->rate : config->preauth_rate);
  double burst = (double) (authenticated ? config->rate_burst : config->preauth_rate_burst);

  conn->tokens = MIN (burst, conn->tokens + (double) (now - conn->tokens_time) * rate / G_USEC_PER_SEC);
  conn->tokens_time = now;
  conn->tokens -= (double) n;
  if (conn->tokens >= 0)
    return TRUE;

  if (!authenticated)
    {
      g_info ("%s: too much data before authentication", conn->address);
      close_with (conn, XMPP_STREAM_ERROR_POLICY_VIOLATION,
                  "Too much data before authentication", NULL);
    }
  return FALSE;
}

/* Back-pressure after authentication: stop reading until the bucket is
 * positive again. */
static void
pause_reading (SrvConnection *conn)
{
  double rate = (double) MAX (conn->server->config->rate, 1);

  if (conn->paused || conn->closing || conn->destroyed || conn->tokens >= 0)
    return;
  conn->paused = TRUE;
  update_interest (conn);
  conn->pause_id = g_timeout_add ((guint) (1 + -conn->tokens * 1000 / rate), resume_reading_cb, conn);
  g_debug ("%s: reading paused (rate limit)", conn_log_name (conn));
}

/* Read and parse until the socket would block (or the budget is spent,
 * for fairness: level-triggered epoll calls again). */
static void
read_input (SrvConnection *conn)
{
  gsize total = 0;

  g_assert (!conn->in_feed);

  /* Records GnuTLS already decrypted are invisible to epoll: never
   * leave them behind when the budget runs out. */
  while (conn->reading && !conn->paused && !conn->closing && !conn->destroyed &&
         (total < READ_BUDGET || (conn->tls != NULL && gnutls_record_check_pending (conn->tls) > 0)))
    {
      g_autoptr(GError) error = NULL;
      const char *message = NULL;
      gsize n = 0;
      gint64 now;
      gboolean over;

      switch (io_recv (conn, read_buffer, sizeof read_buffer, &n, &message))
        {
        case IO_OK:
          break;
        case IO_AGAIN:
          return;
        case IO_EOF:
          connection_lost (conn, "closed by the peer");
          return;
        case IO_ERROR:
        default:
          connection_lost (conn, message);
          return;
        }

      total += n;
      now = _srv_now ();
      conn->last_read = now;
      conn->ping_sent = 0;
      over = !consume_tokens (conn, n, now);
      if (over && conn->stage < STAGE_PRE_BIND)
        return;             /* closed: policy-violation */

      if (!feed_parser (conn, read_buffer, n, &error))
        {
          if (!conn->closing)
            {
              gint code = error->domain == XMPP_STREAM_ERROR ? error->code
                                                             : XMPP_STREAM_ERROR_BAD_FORMAT;

              g_info ("%s: %s", conn_log_name (conn), error->message);
              close_with (conn, code, NULL, NULL);
            }
          return;
        }
      if (over && conn->tokens < 0)
        {
          pause_reading (conn);
          return;
        }

      /* A short read most likely emptied the socket: skip the recv that
       * would only say EAGAIN.  Epoll is level-triggered, so anything
       * left still wakes us; only GnuTLS's own buffer must be drained. */
      if (n < sizeof read_buffer && (conn->tls == NULL || gnutls_record_check_pending (conn->tls) == 0))
        return;
    }
}

static void
continue_handshake (SrvConnection *conn)
{
  int ret;

  do
    ret = gnutls_handshake (conn->tls);
  while (ret < 0 && !gnutls_error_is_fatal (ret) && ret != GNUTLS_E_AGAIN);

  if (ret == GNUTLS_E_AGAIN)
    {
      update_interest (conn);
      return;
    }
  if (ret < 0)
    {
      g_debug ("%s: TLS handshake failed: %s", conn->address, gnutls_strerror (ret));
      connection_lost (conn, "TLS handshake failed");
      return;
    }

  conn->handshaking = FALSE;
  conn->stage = STAGE_PRE_AUTH;
  conn->header_sent = FALSE;
  conn->reading = TRUE;
  conn->cb_end_point = srv_tls_context_get_end_point_binding (conn->server->tls) != NULL;
  /* tls-exporter is only safe with TLS 1.3 (RFC 9266 §3). */
  conn->cb_exporter = gnutls_protocol_get_version (conn->tls) == GNUTLS_TLS1_3;
  g_debug ("%s: TLS established (%s)", conn->address,
           gnutls_cipher_get_name (gnutls_cipher_get (conn->tls)));
  update_interest (conn);
  /* The client's first records may already sit in GnuTLS's buffer. */
  read_input (conn);
  _srv_connection_flush (conn);
}

static void
linger_read (SrvConnection *conn)
{
  for (;;)
    {
      ssize_t r = recv (conn->fd, read_buffer, sizeof read_buffer, 0);

      if (r > 0)
        continue;
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && (errno == EAGAIN))
        return;
      connection_destroy (conn);
      return;
    }
}

static void
io_cb (gpointer data,
       guint32  events)
{
  SrvConnection *conn = data;

  if (conn->destroyed)
    return;
  if (conn->lingering)
    {
      linger_read (conn);
      return;
    }
  if (conn->handshaking)
    {
      continue_handshake (conn);
      return;
    }
  if ((events & EPOLLOUT) && conn->write_blocked)
    {
      conn->write_blocked = FALSE;
      update_interest (conn);
      _srv_connection_flush (conn);
    }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    {
      if (conn->reading && !conn->paused && !conn->closing)
        read_input (conn);
      else if ((events & (EPOLLHUP | EPOLLERR)) && !conn->closing)
        connection_lost (conn, "hung up");
    }
}

/* --- writing ------------------------------------------------------- */

static void
mark_dirty (SrvConnection *conn)
{
  if (!conn->dirty)
    {
      conn->dirty = TRUE;
      _srv_server_schedule_flush (conn->server, conn);
    }
}

/* Before output is queued: the buffer, and where the open batch's
 * output starts in it. */
static void
out_prepare (SrvConnection *conn,
             gsize          size_hint)
{
  if (conn->outbuf == NULL)
    conn->outbuf = g_string_sized_new (size_hint);
  if (conn->out_gen != conn->server->commit_gen)
    {
      conn->out_gen = conn->server->commit_gen;
      conn->out_mark = conn->outbuf->len;
      conn->out_mark_header_sent = conn->header_sent;
    }
}

static void
append (SrvConnection *conn,
        const char    *data,
        gssize         len)
{
  if (conn->destroyed || conn->tail_written)
    return;
  out_prepare (conn, len > 0 ? (gsize) len + 64 : 256);
  g_string_append_len (conn->outbuf, data, len);
  mark_dirty (conn);
}

void
_srv_connection_write_raw (SrvConnection *conn,
                           const char    *data,
                           gssize         len)
{
  if (len < 0)
    len = (gssize) strlen (data);
  append (conn, data, len);
}

void
_srv_connection_write_element (SrvConnection *conn,
                               XmppElement   *element)
{
  if (conn->destroyed || conn->tail_written)
    return;
  out_prepare (conn, 512);
  xmpp_element_serialize (element, conn->outbuf, SRV_NS_CLIENT);
  mark_dirty (conn);
}

static void
output_drained (SrvConnection *conn)
{
  if (conn->starting_tls)
    {
      /* Not from inside the parser: the handshake may complete at once
       * and read (into the shared buffer the parser is still using). */
      if (conn->in_feed)
        mark_dirty (conn);
      else
        begin_tls (conn);
    }
  else if (conn->closing)
    finish_close (conn);
}

void
_srv_connection_flush (SrvConnection *conn)
{
  conn->dirty = FALSE;
  if (conn->destroyed || conn->write_blocked || conn->handshaking || conn->lingering)
    return;
  /* Nothing acknowledged before it is stored (group commit).  A failed
   * commit may have closed this connection or cut its output. */
  if (conn->outbuf != NULL && conn->out_gen == conn->server->commit_gen)
    {
      gboolean stop;

      _srv_connection_ref (conn);
      _srv_server_commit (conn->server);
      stop = conn->destroyed || conn->write_blocked || conn->lingering;
      _srv_connection_unref (conn);
      if (stop)
        return;
    }

  while (conn->outbuf != NULL && conn->out_offset < conn->outbuf->len)
    {
      gsize chunk = MIN (conn->outbuf->len - conn->out_offset, WRITE_CHUNK);
      const char *message = NULL;
      gsize n = 0;

      /* GnuTLS wants a send that would have blocked repeated as it was. */
      if (conn->send_pending != 0)
        chunk = conn->send_pending;
      switch (io_send (conn, conn->outbuf->str + conn->out_offset, chunk, &n, &message))
        {
        case IO_OK:
          conn->out_offset += n;
          conn->send_pending = 0;
          break;
        case IO_AGAIN:
          conn->send_pending = conn->tls != NULL ? chunk : 0;
          if (conn->outbuf->len - conn->out_offset > MAX_PENDING_OUTPUT)
            {
              connection_lost (conn, "the client does not read");
              return;
            }
          conn->write_blocked = TRUE;
          update_interest (conn);
          return;
        case IO_EOF:
        case IO_ERROR:
        default:
          connection_lost (conn, message != NULL ? message : "write failed");
          return;
        }
    }

  if (conn->outbuf != NULL)
    {
      g_string_free (conn->outbuf, TRUE);
      conn->outbuf = NULL;
      conn->out_offset = 0;
    }
  output_drained (conn);
}

/* --- TLS ----------------------------------------------------------- */

static void
begin_tls (SrvConnection *conn)
{
  g_autoptr(GError) error = NULL;

  conn->starting_tls = FALSE;
  conn->reading = FALSE;
  conn->tls = srv_tls_context_new_session (conn->server->tls, conn->fd, conn->direct_tls, &error);
  if (conn->tls == NULL)
    {
      g_warning ("Cannot start TLS: %s", error->message);
      connection_destroy (conn);
      return;
    }
  conn->handshaking = TRUE;
  continue_handshake (conn);
}

static GBytes *
channel_binding (SrvConnection          *conn,
                 gnutls_channel_binding_t type)
{
  gnutls_datum_t data = { NULL, 0 };
  GBytes *bytes;

  if (gnutls_session_channel_binding (conn->tls, type, &data) < 0)
    return NULL;
  bytes = g_bytes_new (data.data, data.size);
  gnutls_free (data.data);
  return bytes;
}

/* --- closing ------------------------------------------------------- */

/* Everything is written: close_notify, half-close, then read until the
 * peer closes (or the tick gives up after LINGER_SECONDS). */
static void
finish_close (SrvConnection *conn)
{
  if (conn->destroyed || conn->lingering)
    return;
  if (conn->tls != NULL)
    gnutls_bye (conn->tls, GNUTLS_SHUT_WR);   /* best effort, never blocks */
  if (shutdown (conn->fd, SHUT_WR) != 0)
    {
      connection_destroy (conn);
      return;
    }
  conn->lingering = TRUE;
  conn->linger_until = _srv_now () + LINGER_SECONDS * G_USEC_PER_SEC;
  update_interest (conn);
}

static void
write_header (SrvConnection *conn,
              const char    *to)
{
  GString *header = g_string_sized_new (320);

  g_free (conn->stream_id);
  conn->stream_id = random_token (15);

  g_string_append (header, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                           "xmlns:stream='http://etherx.jabber.org/streams' id='");
  g_string_append (header, conn->stream_id);
  g_string_append (header, "' from='");
  xmpp_escape_attribute (header, conn->server->domain, -1);
  g_string_append_c (header, '\'');
  if (to != NULL)
    {
      g_string_append (header, " to='");
      xmpp_escape_attribute (header, to, -1);
      g_string_append_c (header, '\'');
    }
  g_string_append (header, " version='1.0' xml:lang='");
  xmpp_escape_attribute (header, conn->lang != NULL ? conn->lang : "en", -1);
  g_string_append (header, "'>");
  append (conn, header->str, (gssize) header->len);
  g_string_free (header, TRUE);
  conn->header_sent = TRUE;
}

/* The stream error (none when @condition < 0) and </stream:stream>. */
static void
write_stream_end (SrvConnection *conn,
                  gint           condition,
                  const char    *text,
                  const char    *extra_xml)
{
  if (condition >= 0)
    {
      GString *error = g_string_sized_new (256);

      if (!conn->header_sent)
        write_header (conn, NULL);
      g_debug ("%s: stream error <%s/>%s%s", conn_log_name (conn),
               xmpp_stream_condition_to_string (condition), text != NULL ? ": " : "",
               text != NULL ? text : "");
      g_string_append_printf (error, "<stream:error><%s xmlns='" SRV_NS_STREAMS "'/>",
                              xmpp_stream_condition_to_string (condition));
      if (text != NULL)
        {
          g_string_append (error, "<text xmlns='" SRV_NS_STREAMS "' xml:lang='en'>");
          xmpp_escape_text (error, text, -1);
          g_string_append (error, "</text>");
        }
      if (extra_xml != NULL)
        g_string_append (error, extra_xml);
      g_string_append (error, "</stream:error>");
      append (conn, error->str, (gssize) error->len);
      g_string_free (error, TRUE);
    }
  if (conn->header_sent)
    append (conn, "</stream:stream>", -1);
  conn->tail_written = TRUE;
}

static void
close_with (SrvConnection *conn,
            gint           condition,
            const char    *text,
            const char    *extra_xml)
{
  if (conn->closing || conn->destroyed)
    return;
  conn->closing = TRUE;
  conn->starting_tls = FALSE;
  update_interest (conn);
  /* Inside a parser callback: drop the rest of the chunk. */
  if (conn->parser != NULL)
    xmpp_parser_reset (conn->parser);

  if (conn->handshaking)
    {
      connection_destroy (conn);
      return;
    }

  write_stream_end (conn, condition, text, extra_xml);

  if (conn->session != NULL)
    {
      SrvSession *session = g_steal_pointer (&conn->session);

      if (session->conn == conn)
        session->conn = NULL;
      if (session->bound && !session->ended)
        {
          if (condition == XMPP_STREAM_ERROR_CONNECTION_TIMEOUT && session->sm_id != NULL &&
              !conn->server->shutting_down)
            _srv_server_detach_session (conn->server, session);
          else
            _srv_server_end_session (conn->server, session);
        }
      srv_session_unref (session);
    }

  _srv_connection_flush (conn);
}

void
_srv_connection_close (SrvConnection *conn,
                       gint           condition,
                       const char    *text)
{
  /* Shutting down, a stream already closed both ways has nothing left to
   * give the peer: waiting for its side of the TCP close would only hold
   * the shutdown up (its process may be waiting for ours to exit). */
  if (conn->lingering && conn->server->shutting_down)
    {
      connection_destroy (conn);
      return;
    }
  close_with (conn, condition, text, NULL);
}

gboolean
_srv_connection_is_alive (SrvConnection *conn)
{
  return !conn->destroyed;
}

gboolean
_srv_connection_drop_uncommitted (SrvConnection *conn,
                                  guint64        gen)
{
  if (conn->destroyed || conn->outbuf == NULL || conn->out_gen != gen)
    return FALSE;
  /* Nothing of that batch was written (the flush commits first). */
  g_assert (conn->out_mark >= conn->out_offset);
  if (conn->outbuf->len == conn->out_mark)
    return FALSE;
  g_string_truncate (conn->outbuf, conn->out_mark);
  /* As the client saw it: an ended stream or a new one's header may be
   * among what is gone. */
  conn->header_sent = conn->out_mark_header_sent;
  conn->tail_written = FALSE;
  return TRUE;
}

void
_srv_connection_fail (SrvConnection *conn)
{
  const char *text = "The server could not store the last stanzas";

  if (conn->destroyed)
    return;
  g_info ("%s: closing: its last stanzas were not stored", conn_log_name (conn));
  if (!conn->closing)
    {
      close_with (conn, XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR, text, NULL);
      return;
    }
  /* Closing already (its session ended then): its last words may have
   * been dropped with the batch. */
  if (!conn->tail_written && !conn->lingering)
    {
      write_stream_end (conn, XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR, text, NULL);
      _srv_connection_flush (conn);
    }
}

void
_srv_connection_release_session (SrvConnection *conn,
                                 gint           condition)
{
  SrvSession *session = g_steal_pointer (&conn->session);

  if (session != NULL)
    {
      if (session->conn == conn)
        session->conn = NULL;
      srv_session_unref (session);
    }
  close_with (conn, condition, "The session was resumed on another connection", NULL);
}

/* --- the tick ------------------------------------------------------ */

gboolean
_srv_connection_release_parser (SrvConnection *conn,
                                gint64         now,
                                gint64         idle)
{
  if (conn->parser == NULL || conn->destroyed || conn->closing || conn->in_feed ||
      conn->stage != STAGE_BOUND || conn->scan != SCAN_TEXT || conn->scan_depth != 1 ||
      now - conn->last_read <= idle)
    return FALSE;
  g_clear_pointer (&conn->parser, xmpp_parser_free);
  return TRUE;
}

gboolean
_srv_connection_has_parser (SrvConnection *conn)
{
  return conn->parser != NULL && !conn->destroyed;
}

void
_srv_connection_tick (SrvConnection *conn,
                      gint64         now)
{
  const SrvConfig *config = conn->server->config;

  if (conn->destroyed)
    return;
  if (conn->lingering)
    {
      if (now >= conn->linger_until)
        connection_destroy (conn);
      return;
    }
  if (conn->closing)
    {
      /* Our last words never drained: give up on this peer. */
      if (now - conn->last_read > (gint64) (config->ping_timeout + LINGER_SECONDS) * G_USEC_PER_SEC)
        connection_destroy (conn);
      return;
    }

  if (conn->stage != STAGE_BOUND)
    {
      if (now - conn->created > (gint64) config->preauth_timeout * G_USEC_PER_SEC)
        {
          g_info ("%s: negotiation timed out", conn->address);
          close_with (conn, XMPP_STREAM_ERROR_POLICY_VIOLATION,
                      "Took too long to authenticate and bind", NULL);
        }
      return;
    }

  if (_srv_connection_release_parser (conn, now, PARSER_IDLE_USEC))
    conn->server->released_parsers++;

  if (conn->ping_sent != 0)
    {
      if (now - conn->ping_sent > (gint64) config->ping_timeout * G_USEC_PER_SEC)
        {
          g_info ("%s: no answer to a ping", conn_log_name (conn));
          close_with (conn, XMPP_STREAM_ERROR_CONNECTION_TIMEOUT, NULL, NULL);
          return;
        }
    }
  else if (now - conn->last_read > (gint64) config->idle_timeout * G_USEC_PER_SEC &&
           conn->session != NULL)
    {
      /* XEP-0199: any traffic from the client answers it. */
      g_autoptr(XmppElement) ping = xmpp_element_new (SRV_NS_CLIENT, "iq");
      g_autofree char *id = g_strdup_printf ("ping-%s", conn->stream_id);

      xmpp_element_set_attribute (ping, "type", "get");
      xmpp_element_set_attribute (ping, "id", id);
      xmpp_element_set_attribute (ping, "from", conn->server->domain);
      xmpp_element_set_attribute (ping, "to", xmpp_jid_to_string (conn->session->jid));
      xmpp_element_add_child_new (ping, SRV_NS_PING, "ping");
      conn->ping_sent = now;
      srv_session_send (conn->session, ping);
    }

  if (conn->session != NULL && conn->session->sm_enabled && !conn->session->ack_pending &&
      conn->session->unacked.length > 0)
    {
      _srv_connection_write_raw (conn, "<r xmlns='" SRV_NS_SM "'/>", -1);
      conn->session->ack_pending = TRUE;
      conn->session->ack_requested_at = now;
    }
}

/* --- stream header and features ------------------------------------ */

static void
write_features (SrvConnection *conn)
{
  GString *features = g_string_sized_new (640);

  g_string_append (features, "<stream:features>");
  switch (conn->stage)
    {
    case STAGE_PRE_TLS:
      g_string_append (features, "<starttls xmlns='" SRV_NS_TLS "'><required/></starttls>");
      break;

    case STAGE_PRE_AUTH:
      g_string_append (features, "<mechanisms xmlns='" SRV_NS_SASL "'>");
      if (conn->cb_exporter || conn->cb_end_point)
        g_string_append (features, "<mechanism>SCRAM-SHA-256-PLUS</mechanism>"
                                   "<mechanism>SCRAM-SHA-1-PLUS</mechanism>");
      g_string_append (features, "<mechanism>SCRAM-SHA-256</mechanism>"
                                 "<mechanism>SCRAM-SHA-1</mechanism>"
                                 "<mechanism>PLAIN</mechanism></mechanisms>");
      if (conn->cb_exporter || conn->cb_end_point)
        {
          g_string_append (features, "<sasl-channel-binding xmlns='" SRV_NS_SASL_CB "'>");
          if (conn->cb_exporter)
            g_string_append (features, "<channel-binding type='tls-exporter'/>");
          if (conn->cb_end_point)
            g_string_append (features, "<channel-binding type='tls-server-end-point'/>");
          g_string_append (features, "</sasl-channel-binding>");
        }
      if (conn->server->config->allow_registration)
        g_string_append (features, "<register xmlns='" SRV_NS_REGISTER_FEATURE "'/>");
      break;

    case STAGE_PRE_BIND:
      g_string_append (features,
                       "<bind xmlns='" SRV_NS_BIND "'/>"
                       "<session xmlns='" SRV_NS_SESSION "'><optional/></session>"
                       "<ver xmlns='" SRV_NS_ROSTERVER "'/>"
                       "<sub xmlns='" SRV_NS_PREAPPROVAL "'/>"
                       "<sm xmlns='" SRV_NS_SM "'/>");
      break;

    case STAGE_BOUND:
    default:
      break;
    }
  g_string_append (features, "</stream:features>");
  append (conn, features->str, (gssize) features->len);
  g_string_free (features, TRUE);
}

static gboolean
header_namespaces_ok (XmppParser *parser)
{
  const char * const *ns = xmpp_parser_get_stream_namespaces (parser);

  if (g_strcmp0 (xmpp_parser_get_content_namespace (parser), SRV_NS_CLIENT) != 0)
    return FALSE;
  for (guint i = 0; ns != NULL && ns[i] != NULL && ns[i + 1] != NULL; i += 2)
    {
      if (ns[i][0] == '\0' && strcmp (ns[i + 1], SRV_NS_CLIENT) == 0)
        continue;
      if (strcmp (ns[i], "stream") == 0 && strcmp (ns[i + 1], XMPP_NS_STREAM) == 0)
        continue;
      return FALSE;   /* an extension namespace on the header (§4.8.5) */
    }
  return TRUE;
}

static void
parser_stream_open_cb (XmppParser  *parser,
                       XmppElement *header,
                       gpointer     user_data)
{
  SrvConnection *conn = user_data;
  const char *to = xmpp_element_get_attribute (header, "to");
  const char *from = xmpp_element_get_attribute (header, "from");
  const char *version = xmpp_element_get_attribute (header, "version");
  const char *lang = xmpp_element_get_lang (header);
  g_autoptr(XmppJid) from_jid = NULL;

  if (conn->closing || conn->parser_resuming)
    return;

  g_clear_pointer (&conn->lang, g_free);
  if (is_sane_lang (lang))
    conn->lang = g_strdup (lang);
  if (from != NULL)
    from_jid = xmpp_jid_new (from, NULL);

  write_header (conn, from_jid != NULL ? xmpp_jid_get_bare_string (from_jid) : NULL);

  if (!header_namespaces_ok (parser))
    {
      close_with (conn, XMPP_STREAM_ERROR_INVALID_NAMESPACE, NULL, NULL);
      return;
    }
  if (to != NULL)
    {
      g_autofree char *domain = xmpp_jid_prepare (to, NULL);

      if (domain == NULL || strcmp (domain, conn->server->domain) != 0)
        {
          close_with (conn, XMPP_STREAM_ERROR_HOST_UNKNOWN, NULL, NULL);
          return;
        }
    }
  if (version == NULL || g_ascii_strtoull (version, NULL, 10) < 1)
    {
      close_with (conn, XMPP_STREAM_ERROR_UNSUPPORTED_VERSION, "XMPP 1.0 is required", NULL);
      return;
    }

  write_features (conn);
}

static void
parser_stream_close_cb (XmppParser *parser,
                        gpointer    user_data)
{
  SrvConnection *conn = user_data;

  g_debug ("%s: closed the stream", conn_log_name (conn));
  close_with (conn, -1, NULL, NULL);
}

/* --- STARTTLS ------------------------------------------------------ */

static void
handle_starttls (SrvConnection *conn)
{
  _srv_connection_write_raw (conn, "<proceed xmlns='" SRV_NS_TLS "'/>", -1);
  conn->reading = FALSE;
  update_interest (conn);
  restart_stream (conn);
  conn->starting_tls = TRUE;
  /* TLS starts once <proceed/> is on the wire (output_drained()). */
  _srv_connection_flush (conn);
}

/* --- SASL ---------------------------------------------------------- */

static void
write_sasl_failure (SrvConnection     *conn,
                    XmppSaslErrorCode  condition,
                    const char        *text)
{
  GString *out = g_string_sized_new (160);

  g_string_append_printf (out, "<failure xmlns='" SRV_NS_SASL "'><%s/>",
                          xmpp_sasl_condition_to_string (condition));
  if (text != NULL)
    {
      g_string_append (out, "<text xml:lang='en'>");
      xmpp_escape_text (out, text, -1);
      g_string_append (out, "</text>");
    }
  g_string_append (out, "</failure>");
  append (conn, out->str, (gssize) out->len);
  g_string_free (out, TRUE);
}

static void
write_sasl_data (SrvConnection *conn,
                 const char    *name,
                 GBytes        *data)
{
  GString *out = g_string_sized_new (256);
  gsize len = data != NULL ? g_bytes_get_size (data) : 0;

  g_string_append_printf (out, "<%s xmlns='" SRV_NS_SASL "'>", name);
  if (len > 0)
    {
      g_autofree char *b64 = g_base64_encode (g_bytes_get_data (data, NULL), len);

      g_string_append (out, b64);
    }
  else if (strcmp (name, "challenge") == 0)
    {
      /* An empty challenge is simply an empty element (RFC 6120 §6.4.3). */
    }
  g_string_append_printf (out, "</%s>", name);
  append (conn, out->str, (gssize) out->len);
  g_string_free (out, TRUE);
}

/* Strict base64 (RFC 4648 §4) after removing whitespace.  *bad is set for
 * broken input; NULL without *bad means "no data" (empty element). */
static GBytes *
decode_sasl_data (const char *text,
                  gboolean   *bad)
{
  g_autoptr(GString) clean = g_string_new (NULL);
  guchar *raw;
  gsize len, pad = 0;

  *bad = FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (clean, *p);

  if (clean->len == 0)
    return NULL;
  if (strcmp (clean->str, "=") == 0)
    return g_bytes_new (NULL, 0);
  if (clean->len % 4 != 0)
    {
      *bad = TRUE;
      return NULL;
    }
  for (gsize i = 0; i < clean->len; i++)
    {
      char c = clean->str[i];

      if (c == '=')
        {
          pad++;
          continue;
        }
      if (pad > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        {
          *bad = TRUE;
          return NULL;
        }
    }
  if (pad > 2)
    {
      *bad = TRUE;
      return NULL;
    }
  raw = g_base64_decode (clean->str, &len);
  return g_bytes_new_take (raw, len);
}

static gboolean
lookup_credentials_cb (const char           *username,
                       const char           *hash_name,
                       XmppScramCredentials *out,
                       gpointer              user_data)
{
  SrvServer *server = user_data;

  return srv_storage_get_credentials (server->storage, username, hash_name, out);
}

static gboolean
mechanism_offered (SrvConnection *conn,
                   const char    *mechanism)
{
  static const char * const plain[] = { "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", NULL };
  static const char * const plus[] = { "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", NULL };

  if (mechanism == NULL)
    return FALSE;
  if (g_strv_contains (plain, mechanism))
    return TRUE;
  return (conn->cb_exporter || conn->cb_end_point) && g_strv_contains (plus, mechanism);
}

static void
sasl_failed (SrvConnection     *conn,
             XmppSaslErrorCode  condition,
             const char        *text)
{
  g_clear_pointer (&conn->sasl, xmpp_sasl_server_free);
  write_sasl_failure (conn, condition, text);
  if (condition == XMPP_SASL_ERROR_ABORTED || condition == XMPP_SASL_ERROR_TEMPORARY_AUTH_FAILURE)
    return;

  conn->auth_failures++;
  _srv_server_auth_failed (conn->server, conn->address);
  if (conn->auth_failures >= conn->server->config->max_auth_failures)
    {
      g_info ("%s: too many failed authentication attempts", conn->address);
      close_with (conn, XMPP_STREAM_ERROR_POLICY_VIOLATION,
                  "Too many failed authentication attempts", NULL);
    }
}

static void
sasl_succeeded (SrvConnection *conn,
                GBytes        *additional)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppJid) bare = NULL;
  const char *username = xmpp_sasl_server_get_username (conn->sasl);

  bare = xmpp_jid_new_from_parts (username, conn->server->domain, NULL, &error);
  if (bare == NULL)
    {
      sasl_failed (conn, XMPP_SASL_ERROR_NOT_AUTHORIZED, NULL);
      return;
    }

  g_debug ("%s: %s authenticated (%s)", conn->address, xmpp_jid_to_string (bare),
           xmpp_sasl_server_get_mechanism (conn->sasl));
  g_clear_pointer (&conn->sasl, xmpp_sasl_server_free);
  write_sasl_data (conn, "success", additional);

  conn->session = _srv_session_new (conn->server, bare);
  conn->session->conn = conn;
  conn->stage = STAGE_PRE_BIND;
  conn->tokens = (double) conn->server->config->rate_burst;
  restart_stream (conn);
  xmpp_parser_set_limits (conn->parser, conn->server->config->max_stanza_size, 0);
}

static void
sasl_step (SrvConnection *conn,
           GBytes        *input)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) output = NULL;
  gboolean done = FALSE;

  output = xmpp_sasl_server_step (conn->sasl, input, &done, &error);
  if (error != NULL)
    {
      XmppSaslErrorCode condition = error->domain == XMPP_SASL_ERROR ? error->code
                                                                     : XMPP_SASL_ERROR_NOT_AUTHORIZED;
      g_autofree char *scram_error = g_strdup (xmpp_sasl_server_get_scram_error (conn->sasl));

      g_info ("%s: authentication failed: %s", conn->address, error->message);
      if (g_strcmp0 (scram_error, "unsupported-channel-binding-type") == 0)
        {
          /* The client binds to a type we lack (tls-unique, which TLS 1.3
           * does not define; slixmpp 1.8 does this).  Its fallback to
           * plain SCRAM with the 'y' flag is then no downgrade: it cannot
           * bind with us at all, exactly like a client sending 'n'. */
          conn->cb_type_mismatch = TRUE;
          g_clear_pointer (&conn->sasl, xmpp_sasl_server_free);
          write_sasl_failure (conn, condition, scram_error);
          return;
        }
      sasl_failed (conn, condition, scram_error);
      return;
    }
  if (!done)
    write_sasl_data (conn, "challenge", output);
  else
    sasl_succeeded (conn, output);
}

static void
handle_auth (SrvConnection *conn,
             XmppElement   *auth)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) input = NULL;
  const char *mechanism = xmpp_element_get_attribute (auth, "mechanism");
  gboolean bad;

  g_clear_pointer (&conn->sasl, xmpp_sasl_server_free);

  if (!mechanism_offered (conn, mechanism))
    {
      sasl_failed (conn, XMPP_SASL_ERROR_INVALID_MECHANISM, NULL);
      return;
    }
  if (!_srv_server_auth_allowed (conn->server, conn->address))
    {
      g_info ("%s: authentication throttled", conn->address);
      write_sasl_failure (conn, XMPP_SASL_ERROR_TEMPORARY_AUTH_FAILURE,
                          "Too many failed attempts from your address; try again later");
      return;
    }

  input = decode_sasl_data (xmpp_element_get_text (auth), &bad);
  if (bad)
    {
      sasl_failed (conn, XMPP_SASL_ERROR_INCORRECT_ENCODING, NULL);
      return;
    }

  conn->sasl = xmpp_sasl_server_new (mechanism, lookup_credentials_cb, conn->server, NULL, &error);
  if (conn->sasl == NULL)
    {
      sasl_failed (conn, XMPP_SASL_ERROR_INVALID_MECHANISM, NULL);
      return;
    }
  xmpp_sasl_server_set_domain (conn->sasl, conn->server->domain);
  /* Binding data only matters to -PLUS; plain SCRAM only needs to know
   * whether -PLUS was offered (to refuse a 'y' flag). */
  if (g_str_has_suffix (mechanism, "-PLUS"))
    {
      GBytes *end_point = srv_tls_context_get_end_point_binding (conn->server->tls);

      if (conn->cb_exporter)
        {
          g_autoptr(GBytes) data = channel_binding (conn, GNUTLS_CB_TLS_EXPORTER);

          if (data != NULL)
            xmpp_sasl_server_set_channel_binding (conn->sasl, XMPP_CHANNEL_BINDING_TLS_EXPORTER, data);
        }
      if (conn->cb_end_point && end_point != NULL)
        xmpp_sasl_server_set_channel_binding (conn->sasl, XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT,
                                              end_point);
    }
  xmpp_sasl_server_set_advertised_plus (conn->sasl, (conn->cb_exporter || conn->cb_end_point) &&
                                                    !conn->cb_type_mismatch);

  sasl_step (conn, input);
}

static void
handle_sasl (SrvConnection *conn,
             XmppElement   *element)
{
  const char *name = xmpp_element_get_name (element);

  if (strcmp (name, "auth") == 0)
    {
      handle_auth (conn, element);
    }
  else if (strcmp (name, "response") == 0)
    {
      g_autoptr(GBytes) input = NULL;
      gboolean bad;

      if (conn->sasl == NULL)
        {
          sasl_failed (conn, XMPP_SASL_ERROR_MALFORMED_REQUEST, "No authentication in progress");
          return;
        }
      input = decode_sasl_data (xmpp_element_get_text (element), &bad);
      if (bad)
        {
          sasl_failed (conn, XMPP_SASL_ERROR_INCORRECT_ENCODING, NULL);
          return;
        }
      if (input == NULL)
        input = g_bytes_new (NULL, 0);
      sasl_step (conn, input);
    }
  else if (strcmp (name, "abort") == 0)
    {
      sasl_failed (conn, XMPP_SASL_ERROR_ABORTED, NULL);
    }
  else
    {
      sasl_failed (conn, XMPP_SASL_ERROR_MALFORMED_REQUEST, NULL);
    }
}

/* --- in-band registration before authentication (XEP-0077) --------- */

static void
send_direct (SrvConnection *conn,
             XmppElement   *stanza)
{
  _srv_connection_write_element (conn, stanza);
}

static void
send_iq_error (SrvConnection       *conn,
               XmppElement         *iq,
               XmppStanzaErrorCode  condition,
               const char          *text)
{
  g_autoptr(XmppElement) error = _srv_make_error (iq, condition, text, NULL);

  xmpp_element_set_attribute (error, "from", NULL);
  send_direct (conn, error);
}

static void
handle_register (SrvConnection *conn,
                 XmppElement   *iq,
                 XmppElement   *query)
{
  const char *type = xmpp_element_get_attribute (iq, "type");
  g_autoptr(XmppElement) result = NULL;

  if (g_strcmp0 (type, "result") == 0 || g_strcmp0 (type, "error") == 0)
    return;
  if (!conn->server->config->allow_registration)
    {
      send_iq_error (conn, iq, XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  if (g_strcmp0 (type, "get") == 0)
    {
      XmppElement *q;

      result = _srv_make_iq_result (iq);
      q = xmpp_element_add_child_new (result, SRV_NS_REGISTER, "query");
      xmpp_element_add_child_with_text (q, NULL, "instructions",
                                        "Choose a user name and password for this server.");
      xmpp_element_add_child_new (q, NULL, "username");
      xmpp_element_add_child_new (q, NULL, "password");
      send_direct (conn, result);
      return;
    }

  if (g_strcmp0 (type, "set") == 0)
    {
      const char *username = xmpp_element_find_child_text (query, NULL, "username");
      const char *password = xmpp_element_find_child_text (query, NULL, "password");
      g_autoptr(XmppJid) jid = NULL;
      g_autoptr(GError) error = NULL;

      if (xmpp_element_find_child (query, NULL, "remove") != NULL)
        {
          send_iq_error (conn, iq, XMPP_STANZA_ERROR_NOT_ALLOWED, "Log in to cancel an account");
          return;
        }
      if (username == NULL || *username == '\0' || password == NULL || *password == '\0')
        {
          send_iq_error (conn, iq, XMPP_STANZA_ERROR_NOT_ACCEPTABLE,
                         "A user name and a password are required");
          return;
        }
      jid = xmpp_jid_new_from_parts (username, conn->server->domain, NULL, NULL);
      if (jid == NULL)
        {
          send_iq_error (conn, iq, XMPP_STANZA_ERROR_JID_MALFORMED, "This user name is not allowed");
          return;
        }
      if (srv_storage_account_exists (conn->server->storage, xmpp_jid_get_local (jid)))
        {
          send_iq_error (conn, iq, XMPP_STANZA_ERROR_CONFLICT, NULL);
          return;
        }
      if (!srv_storage_add_account (conn->server->storage, xmpp_jid_get_local (jid), password, &error))
        {
          if (g_error_matches (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_EXISTS))
            send_iq_error (conn, iq, XMPP_STANZA_ERROR_CONFLICT, NULL);
          else
            {
              g_warning ("Cannot register %s: %s", xmpp_jid_to_string (jid), error->message);
              send_iq_error (conn, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
            }
          return;
        }
      g_info ("%s: registered %s", conn->address, xmpp_jid_to_string (jid));
      result = _srv_make_iq_result (iq);
      send_direct (conn, result);
      return;
    }

  send_iq_error (conn, iq, XMPP_STANZA_ERROR_BAD_REQUEST, NULL);
}

/* --- resource binding ---------------------------------------------- */

static void
bind_failed (SrvConnection       *conn,
             XmppElement         *iq,
             XmppStanzaErrorCode  condition,
             const char          *text)
{
  send_iq_error (conn, iq, condition, text);
  if (++conn->bind_failures >= conn->server->config->max_bind_attempts)
    close_with (conn, XMPP_STREAM_ERROR_POLICY_VIOLATION, "Too many failed bind attempts", NULL);
}

static void
handle_bind (SrvConnection *conn,
             XmppElement   *iq,
             XmppElement   *bind)
{
  SrvSession *session = conn->session;
  const char *requested = xmpp_element_find_child_text (bind, NULL, "resource");
  g_autoptr(XmppJid) jid = NULL;
  g_autoptr(XmppElement) result = NULL;
  XmppElement *bind_result;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "set") != 0)
    {
      bind_failed (conn, iq, XMPP_STANZA_ERROR_BAD_REQUEST, NULL);
      return;
    }

  if (requested != NULL && *requested != '\0')
    {
      g_autoptr(GError) error = NULL;

      jid = xmpp_jid_with_resource (session->bare, requested, &error);
      if (jid == NULL)
        {
          bind_failed (conn, iq, XMPP_STANZA_ERROR_BAD_REQUEST, "This resource is not allowed");
          return;
        }
      /* Conflict policy (RFC 6120 §7.7.2.2, option 1): the resource is
       * in use, so the new session gets a generated one instead. */
      if (_srv_server_resource_in_use (conn->server, xmpp_jid_to_string (session->bare),
                                       xmpp_jid_get_resource (jid)))
        g_clear_pointer (&jid, xmpp_jid_unref);
    }

  while (jid == NULL)
    {
      g_autofree char *resource = g_uuid_string_random ();

      if (!_srv_server_resource_in_use (conn->server, xmpp_jid_to_string (session->bare), resource))
        jid = xmpp_jid_with_resource (session->bare, resource, NULL);
    }

  session->jid = g_steal_pointer (&jid);
  session->lang = g_strdup (conn->lang);
  session->bound = TRUE;
  conn->stage = STAGE_BOUND;
  _srv_server_bind_session (conn->server, session);
  g_info ("%s: %s logged in", conn->address, xmpp_jid_to_string (session->jid));

  result = _srv_make_iq_result (iq);
  bind_result = xmpp_element_add_child_new (result, SRV_NS_BIND, "bind");
  xmpp_element_add_child_with_text (bind_result, NULL, "jid", xmpp_jid_to_string (session->jid));
  srv_session_send (session, result);
}

/* --- XEP-0198 ------------------------------------------------------ */

static void
write_sm_failed (SrvConnection       *conn,
                 XmppStanzaErrorCode  condition)
{
  g_autofree char *xml = g_strdup_printf ("<failed xmlns='" SRV_NS_SM "'><%s xmlns='" SRV_NS_STANZAS
                                          "'/></failed>",
                                          xmpp_stanza_condition_to_string (condition));

  _srv_connection_write_raw (conn, xml, -1);
}

static gboolean
parse_h (XmppElement *element,
         guint32     *h)
{
  const char *text = xmpp_element_get_attribute (element, "h");
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;
  *h = (guint32) value;
  return TRUE;
}

static void
handled_count_too_high (SrvConnection *conn,
                        SrvSession    *session,
                        guint32        h)
{
  g_autofree char *extra = g_strdup_printf ("<handled-count-too-high xmlns='" SRV_NS_SM
                                            "' h='%u' send-count='%u'/>",
                                            h, _srv_session_sent_count (session));

  close_with (conn, XMPP_STREAM_ERROR_UNDEFINED_CONDITION, NULL, extra);
}

static void
handle_sm_enable (SrvConnection *conn,
                  XmppElement   *enable)
{
  SrvSession *session = conn->session;
  const char *resume = xmpp_element_get_attribute (enable, "resume");
  const char *max_text = xmpp_element_get_attribute (enable, "max");
  GString *out;

  if (conn->stage != STAGE_BOUND || session->sm_enabled)
    {
      write_sm_failed (conn, XMPP_STANZA_ERROR_UNEXPECTED_REQUEST);
      return;
    }

  out = g_string_new ("<enabled xmlns='" SRV_NS_SM "'");
  if (g_strcmp0 (resume, "true") == 0 || g_strcmp0 (resume, "1") == 0)
    {
      guint max = conn->server->config->sm_max_resume;
      guint64 asked;

      if (max_text != NULL && g_ascii_string_to_unsigned (max_text, 10, 1, G_MAXUINT32, &asked, NULL))
        max = (guint) MIN (asked, (guint64) max);
      session->sm_max = max;
      session->sm_id = random_token (18);
      _srv_server_register_sm (conn->server, session);
      g_string_append_printf (out, " id='%s' resume='true' max='%u'", session->sm_id, max);
    }
  g_string_append (out, "/>");
  _srv_connection_write_raw (conn, out->str, (gssize) out->len);
  g_string_free (out, TRUE);

  session->sm_enabled = TRUE;
  session->h_in = 0;
  session->h_acked = 0;
}

static void
handle_sm_resume (SrvConnection *conn,
                  XmppElement   *resume)
{
  const char *previd = xmpp_element_get_attribute (resume, "previd");
  SrvSession *old;
  guint32 h;
  g_autofree char *resumed = NULL;

  if (conn->stage != STAGE_PRE_BIND)
    {
      write_sm_failed (conn, XMPP_STANZA_ERROR_UNEXPECTED_REQUEST);
      return;
    }

  old = previd != NULL ? _srv_server_lookup_sm (conn->server, previd) : NULL;
  if (old == NULL || old->ended || !xmpp_jid_equal (old->bare, conn->session->bare))
    {
      write_sm_failed (conn, XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
      return;
    }
  if (!parse_h (resume, &h))
    {
      write_sm_failed (conn, XMPP_STANZA_ERROR_BAD_REQUEST);
      return;
    }

  srv_session_ref (old);
  if (old->conn != NULL)
    _srv_connection_release_session (old->conn, XMPP_STREAM_ERROR_CONFLICT);
  if (old->detached_until != 0)
    {
      g_queue_remove (&conn->server->detached, old);
      old->detached_until = 0;
    }

  /* The connection's fresh session gives way to the resumed one. */
  conn->session->conn = NULL;
  srv_session_unref (conn->session);
  conn->session = old;            /* takes the reference from above */
  old->conn = conn;
  g_free (old->lang);
  old->lang = g_strdup (conn->lang);
  conn->stage = STAGE_BOUND;

  if (!_srv_session_ack (old, h))
    {
      handled_count_too_high (conn, old, h);
      return;
    }

  g_info ("%s: resumed %s", conn->address, xmpp_jid_to_string (old->jid));
  resumed = g_strdup_printf ("<resumed xmlns='" SRV_NS_SM "' previd='%s' h='%u'/>", old->sm_id, old->h_in);
  _srv_connection_write_raw (conn, resumed, -1);
  _srv_session_resend_unacked (old);
}

static void
handle_sm (SrvConnection *conn,
           XmppElement   *element)
{
  const char *name = xmpp_element_get_name (element);
  SrvSession *session = conn->session;

  if (strcmp (name, "enable") == 0)
    {
      handle_sm_enable (conn, element);
    }
  else if (strcmp (name, "resume") == 0)
    {
      handle_sm_resume (conn, element);
    }
  else if (strcmp (name, "r") == 0)
    {
      if (session != NULL && session->sm_enabled)
        {
          g_autofree char *a = g_strdup_printf ("<a xmlns='" SRV_NS_SM "' h='%u'/>", session->h_in);

          _srv_connection_write_raw (conn, a, -1);
        }
    }
  else if (strcmp (name, "a") == 0)
    {
      guint32 h;

      if (session == NULL || !session->sm_enabled || !parse_h (element, &h))
        return;
      if (!_srv_session_ack (session, h))
        handled_count_too_high (conn, session, h);
      else
        _srv_server_shutdown_acked (conn->server, session);
    }
  /* Anything else in the namespace (<failed/>, …) is ignored. */
}

/* --- stanzas ------------------------------------------------------- */

static gboolean
is_subscription_type (const char *type)
{
  return type != NULL && (strcmp (type, "subscribe") == 0 || strcmp (type, "subscribed") == 0 ||
                          strcmp (type, "unsubscribe") == 0 || strcmp (type, "unsubscribed") == 0);
}

static guint
count_child_elements (XmppElement *element)
{
  guint n = 0;

  for (XmppElement *child = xmpp_element_next_child (element, NULL); child != NULL;
       child = xmpp_element_next_child (element, child))
    n++;
  return n;
}

/* A stanza from a bound client: check and stamp 'from', check the
 * syntax RFC 6120 §8 asks for, then route. */
static void
handle_stanza (SrvConnection *conn,
               XmppElement   *stanza)
{
  SrvSession *session = conn->session;
  const char *name = xmpp_element_get_name (stanza);
  const char *from = xmpp_element_get_attribute (stanza, "from");
  const char *type = xmpp_element_get_attribute (stanza, "type");

  if (from != NULL)
    {
      g_autoptr(XmppJid) jid = xmpp_jid_new (from, NULL);

      if (jid == NULL || !(xmpp_jid_equal (jid, session->jid) || xmpp_jid_equal (jid, session->bare)))
        {
          g_info ("%s: forged from='%s'", conn_log_name (conn), from);
          close_with (conn, XMPP_STREAM_ERROR_INVALID_FROM, NULL, NULL);
          return;
        }
    }

  if (strcmp (name, "presence") == 0 && is_subscription_type (type))
    xmpp_element_set_attribute (stanza, "from", xmpp_jid_to_string (session->bare));
  else
    xmpp_element_set_attribute (stanza, "from", xmpp_jid_to_string (session->jid));
  if (session->lang != NULL && xmpp_element_get_lang (stanza) == NULL)
    xmpp_element_set_lang (stanza, session->lang);

  if (strcmp (name, "iq") == 0)
    {
      gboolean request = g_strcmp0 (type, "get") == 0 || g_strcmp0 (type, "set") == 0;

      if (!request && g_strcmp0 (type, "result") != 0 && g_strcmp0 (type, "error") != 0)
        {
          srv_server_bounce (conn->server, stanza, XMPP_STANZA_ERROR_BAD_REQUEST, "Unknown iq type");
          return;
        }
      if (request && (xmpp_element_get_attribute (stanza, "id") == NULL ||
                      count_child_elements (stanza) != 1))
        {
          srv_server_bounce (conn->server, stanza, XMPP_STANZA_ERROR_BAD_REQUEST,
                             "An iq request needs an id and exactly one child");
          return;
        }
      if (!request && xmpp_element_get_attribute (stanza, "id") == NULL)
        return;
    }
  else if (strcmp (name, "presence") == 0)
    {
      static const char * const types[] = { "unavailable", "subscribe", "subscribed", "unsubscribe",
                                            "unsubscribed", "probe", "error", NULL };

      if (type != NULL && !g_strv_contains (types, type))
        {
          srv_server_bounce (conn->server, stanza, XMPP_STANZA_ERROR_BAD_REQUEST,
                             "Unknown presence type");
          return;
        }
    }

  _srv_router_from_session (conn->server, session, stanza);
}

static gboolean
is_stanza (XmppElement *element)
{
  const char *name = xmpp_element_get_name (element);

  return g_strcmp0 (xmpp_element_get_namespace (element), SRV_NS_CLIENT) == 0 &&
         (strcmp (name, "message") == 0 || strcmp (name, "presence") == 0 || strcmp (name, "iq") == 0);
}

static void handle_element (SrvConnection *conn,
                            XmppElement   *element);

static void
parser_element_cb (XmppParser  *parser,
                   XmppElement *element,
                   gpointer     user_data)
{
  SrvConnection *conn = user_data;
  SrvServer *server = conn->server;
  SrvSession *session;

  if (conn->closing)
    return;

  /* What this element writes makes the connection a writer of the open
   * batch: told nothing of it before the commit, closed if that fails
   * (srv-server.c). */
  session = conn->session != NULL ? srv_session_ref (conn->session) : NULL;
  _srv_connection_ref (conn);
  _srv_server_set_handling (server, conn, session);
  handle_element (conn, element);
  _srv_server_set_handling (server, NULL, NULL);
  _srv_connection_unref (conn);
  if (session != NULL)
    srv_session_unref (session);
}

static void
handle_element (SrvConnection *conn,
                XmppElement   *element)
{
  const char *ns = xmpp_element_get_namespace (element);
  const char *name = xmpp_element_get_name (element);
  gboolean stanza = is_stanza (element);

  if (g_strcmp0 (ns, XMPP_NS_STREAM) == 0)
    {
      if (strcmp (name, "error") == 0)
        {
          g_debug ("%s: received a stream error", conn_log_name (conn));
          close_with (conn, -1, NULL, NULL);
        }
      else
        close_with (conn, XMPP_STREAM_ERROR_UNSUPPORTED_STANZA_TYPE, NULL, NULL);
      return;
    }

  switch (conn->stage)
    {
    case STAGE_PRE_TLS:
      if (g_strcmp0 (ns, SRV_NS_TLS) == 0 && strcmp (name, "starttls") == 0)
        handle_starttls (conn);
      else
        close_with (conn, XMPP_STREAM_ERROR_NOT_AUTHORIZED, "Use STARTTLS first", NULL);
      return;

    case STAGE_PRE_AUTH:
      if (g_strcmp0 (ns, SRV_NS_SASL) == 0)
        {
          handle_sasl (conn, element);
          return;
        }
      if (stanza && strcmp (name, "iq") == 0)
        {
          XmppElement *query = xmpp_element_find_child (element, SRV_NS_REGISTER, "query");

          if (query != NULL && count_child_elements (element) == 1)
            {
              handle_register (conn, element, query);
              return;
            }
        }
      if (g_strcmp0 (ns, SRV_NS_TLS) == 0)
        {
          _srv_connection_write_raw (conn, "<failure xmlns='" SRV_NS_TLS "'/>", -1);
          close_with (conn, -1, NULL, NULL);
          return;
        }
      close_with (conn, XMPP_STREAM_ERROR_NOT_AUTHORIZED, "Authenticate first", NULL);
      return;

    case STAGE_PRE_BIND:
      if (g_strcmp0 (ns, SRV_NS_SM) == 0)
        {
          if (strcmp (name, "enable") == 0)
            write_sm_failed (conn, XMPP_STANZA_ERROR_UNEXPECTED_REQUEST);
          else
            handle_sm (conn, element);
          return;
        }
      if (stanza && strcmp (name, "iq") == 0)
        {
          XmppElement *bind = xmpp_element_find_child (element, SRV_NS_BIND, "bind");

          if (bind != NULL)
            {
              handle_bind (conn, element, bind);
              return;
            }
        }
      close_with (conn, XMPP_STREAM_ERROR_NOT_AUTHORIZED, "Bind a resource first", NULL);
      return;

    case STAGE_BOUND:
    default:
      if (stanza)
        {
          SrvSession *session = srv_session_ref (conn->session);

          handle_stanza (conn, element);
          if (session->sm_enabled)
            session->h_in++;
          srv_session_unref (session);
          return;
        }
      if (g_strcmp0 (ns, SRV_NS_SM) == 0)
        {
          handle_sm (conn, element);
          return;
        }
      close_with (conn, XMPP_STREAM_ERROR_UNSUPPORTED_STANZA_TYPE, NULL, NULL);
      return;
    }
}
