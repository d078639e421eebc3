/* bench-server.c: the load generator of the server benchmark
 *
 * Drives one XMPP server on loopback with many c2s connections (STARTTLS,
 * SASL SCRAM, pinned certificate) from one thread, and reads the server's
 * CPU time (/proc/PID/stat) and resident memory (/proc/PID/status) around
 * the work.  bench/run-server-bench runs it against messenger-server and
 * Prosody and prints the comparison.
 *
 *   bench-server register --port P --fingerprint FP --prefix u --count N
 *   bench-server messages --port P --fingerprint FP --prefix u --pairs N
 *                         --messages M [--window W] --server-pid PID
 *   bench-server idle     --port P --fingerprint FP --prefix idle --count K
 *                         --server-pid PID
 *
 * Accounts are PREFIX1 … PREFIXn on --domain, all with --password.  Each
 * command prints one line of JSON on stdout; progress and errors go to
 * stderr.
 *
 * The generator must cost far less CPU than the server it measures, so it
 * does not use XmppClient (GIO streams, GTask per read and write, a GLib
 * main loop that polls every descriptor at each wake-up: ~4–6 ms of client
 * CPU per login and ~30 µs per message).  Each connection is a non-blocking
 * socket in one epoll set with a GnuTLS session; the protocol library still
 * parses (XmppParser) and authenticates (XmppSaslClient):
 *
 *   TCP connect ─▶ header ─▶ <features/> ─▶ <starttls/> ─▶ <proceed/>
 *   ─▶ TLS handshake (certificate pinned by SHA-256) ─▶ header ─▶ <features/>
 *   ─┬▶ register: <iq type='set'><query xmlns='jabber:iq:register'/> ─▶ close
 *    └▶ <auth/> ⇄ <challenge/>/<response/> ─▶ <success/> ─▶ header
 *       ─▶ <features/> ─▶ bind (─▶ legacy session if required) ─▶ <presence/>
 *       ─▶ READY ─▶ </stream:stream> … the server's ─▶ close
 *
 * Output to a connection is collected while one batch of epoll events is
 * handled and written once after it (one TLS record for a burst).
 *
 * "messages", a closed loop per direction:
 *
 *   log in PREFIX1 … PREFIX(2N), --concurrency at a time
 *     → settle → read server CPU and RSS, start the clock
 *     → PREFIX(2i-1) and PREFIX(2i) each send --window chat messages to the
 *       other's bare JID; the body carries a sequence number and the send
 *       time (monotonic clock, µs)
 *     → every message received frees one slot of its sender's window, which
 *       sends the next, until M went each way
 *     → all 2·N·M received (or no progress for --stall s, or --timeout)
 *     → stop the clock, read server CPU and RSS, close every stream.
 *
 * Latency is receive time minus the stamp in the body, so it includes the
 * time a message waits in the client's own send queue: with W messages in
 * flight per direction it is about 2·N·W / (messages/s) (Little's law).
 * RSS is sampled every --sample-ms during the run.
 *
 * "idle": read server RSS and CPU; log in K sessions (each sends
 * <presence/>), --concurrency in flight; when all are in, read server CPU;
 * wait --settle-ms, read RSS; close every stream, wait --settle-ms, read
 * RSS again.
 *
 * "register": in-band registration (XEP-0077) of PREFIX1 … PREFIXn; an
 * account that exists already counts as done.
 *
 * --scram-cache FILE keeps the client's SCRAM keys between runs (see
 * "SCRAM key cache" below), so a measured login costs the client only TLS
 * and XML.
 *
 * Every wait is bounded: --timeout for the whole command, --stall for a
 * message run without progress, --login-timeout per login, 10 s for
 * closing the streams.
 */
#define _GNU_SOURCE  /* RTLD_NEXT */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "xmpp-client.h"
#include "xmpp-parser.h"
#include "xmpp-sasl.h"

#define BODY_MAGIC         "bench"
#define NS_REGISTER        "jabber:iq:register"
#define NS_DISCO_INFO      "http://jabber.org/protocol/disco#info"
#define NS_MAM             "urn:xmpp:mam:2"
#define CLOSE_TIMEOUT_US   (10 * G_USEC_PER_SEC)
#define MAX_SAMPLES        100000
#define READ_BUFFER_SIZE   (64 * 1024)
#define MAX_RECORD         (16 * 1024)
#define MAX_EVENTS         256
#define TICK_MS            20

typedef enum
{
  COMMAND_REGISTER,
  COMMAND_MESSAGES,
  COMMAND_IDLE,
} Command;

typedef enum
{
  STEP_NEW,
  STEP_TCP,              /* connect() in progress */
  STEP_FEATURES_PLAIN,   /* header sent, waiting for <features/> */
  STEP_PROCEED,
  STEP_HANDSHAKE,
  STEP_FEATURES_TLS,
  STEP_REGISTER,
  STEP_SASL,
  STEP_FEATURES_AUTH,
  STEP_BIND,
  STEP_SESSION,
  STEP_READY,
  STEP_CLOSING,          /* </stream:stream> sent, waiting for the server's */
  STEP_CLOSED,
} Step;

typedef struct _Bench Bench;
typedef struct _Conn  Conn;

struct _Conn
{
  Bench            *bench;       /* borrowed */
  char             *local;
  guint             index;

  int               fd;
  gnutls_session_t  tls;         /* NULL before STARTTLS */
  XmppParser       *parser;
  XmppSaslClient   *sasl;
  Step              step;
  GString          *out;         /* plaintext waiting to be written */
  gsize             pending_send; /* length passed to a send that said AGAIN */
  guint32           events;      /* registered with epoll */
  gint64            deadline_us; /* of the login or of the close */
  gint64            login_start_us;
  gboolean          dirty;       /* in bench->dirty */
  gboolean          in_login;    /* counted in logins_in_flight */
  gboolean          session_required;
  gboolean          existing;    /* register: the account was there */

  /* the message run */
  Conn             *peer;        /* borrowed: the other side of the pair */
  char             *peer_bare;
  guint             sent;
  guint             in_flight;   /* sent, not yet received by the peer */
  guint             received;
};

typedef struct
{
  double  seconds;               /* since the start of the run */
  gint64  rss_kb;
  guint64 received;
} Sample;

typedef void (*BenchFunc) (Bench *self);

struct _Bench
{
  /* options */
  Command     command;
  char       *host;
  int         port;
  char       *domain;
  char       *fingerprint;
  char       *prefix;
  char       *password;
  char       *resource;
  char       *scram_cache_file;
  int         server_pid;
  int         count;
  int         pairs;
  int         messages;
  int         duration_s;
  int         window;
  int         concurrency;
  int         timeout_s;
  int         login_timeout_s;
  int         stall_s;
  int         settle_ms;
  int         sample_ms;
  int         body_size;
  gboolean    verbose;

  int         epfd;
  gnutls_certificate_credentials_t credentials;
  gnutls_priority_t priority;       /* the default one, parsed once */
  struct sockaddr_in address;
  char       *header;            /* our stream header */
  char       *padding;
  char       *read_buffer;
  GPtrArray  *conns;             /* Conn * */
  GPtrArray  *dirty;             /* Conn *, borrowed */
  long        clock_ticks;
  gboolean    quit;
  gint64      deadline_us;       /* of the whole command */

  /* one pending timed step */
  gint64      wake_us;
  BenchFunc   wake_func;

  /* logging in (or registering) many connections, a few at a time */
  guint       login_next;
  guint       logins_in_flight;
  guint       logins_ok;
  guint       logins_existing;
  guint       logins_failed;
  BenchFunc   logins_done;
  gint64      login_start_us;
  gint64      login_end_us;
  char       *first_error;
  char       *mechanism;
  guint32    *login_us;          /* wall time of each successful login */
  guint       n_login_us;
  int         archive_advertised;  /* -1 unknown, else 0/1 */

  /* closing every connection */
  guint       closes_pending;
  gint64      close_deadline_us;
  BenchFunc   closes_done;

  /* the message run */
  gboolean    running;
  gboolean    finished;
  gboolean    timed_out;
  gboolean    stalled;
  guint64     expected;
  guint64     total_sent;
  guint64     latency_capacity;
  gboolean    sending_stopped;   /* --duration: the time is up */
  guint64     received;
  guint64     errors;
  guint64     unexpected;
  guint       disconnects;
  guint32    *latencies_us;
  guint64     n_latencies;
  gint64      run_start_us;
  gint64      run_end_us;
  gint64      last_progress_us;
  guint64     last_progress_count;
  gint64      next_sample_us;
  GArray     *samples;           /* Sample */
  gint64      rss_at_10;
  gint64      rss_at_50;

  /* server and client figures at the start and end of the measured part */
  gint64      rss_start;
  gint64      rss_end;
  gint64      rss_after_close;
  guint64     cpu_start;
  guint64     cpu_end;
  guint64     cpu_start_ns;
  guint64     cpu_end_ns;
  double      client_cpu_start;
  double      client_cpu_end;

  int         exit_status;
};

static void conn_fail      (Conn       *c,
                            const char *format,
                            ...) G_GNUC_PRINTF (2, 3);
static void conn_flush     (Conn       *c);
static void message_stanza (Conn        *c,
                            XmppElement *stanza);

/* --- /proc --------------------------------------------------------- */

/* utime + stime of every thread of @pid, in clock ticks; 0 when unknown. */
static guint64
read_server_cpu_ticks (int pid)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *rest;

  if (pid <= 0)
    return 0;
  path = g_strdup_printf ("/proc/%d/stat", pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  /* The command name may hold spaces and parentheses: skip past the last ')'. */
  rest = strrchr (text, ')');
  if (rest == NULL || rest[1] == '\0')
    return 0;
  fields = g_strsplit (rest + 2, " ", 0);
  /* fields[0] is field 3 (state); utime is field 14, stime field 15. */
  if (g_strv_length (fields) < 13)
    return 0;
  return g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10);
}

/* CPU time of the live threads of @pid in ns (sum of the first field of
 * /proc/PID/task/TID/schedstat): the same quantity as utime + stime, with
 * ns resolution instead of clock ticks, but without threads that already
 * exited.  0 when unknown. */
static guint64
read_server_cpu_ns (int pid)
{
  g_autofree char *dir_path = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint64 sum = 0;

  if (pid <= 0)
    return 0;
  dir_path = g_strdup_printf ("/proc/%d/task", pid);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, "schedstat", NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        sum += g_ascii_strtoull (text, NULL, 10);
    }
  return sum;
}

/* VmRSS of @pid in KiB, -1 when unknown. */
static gint64
read_server_rss_kb (int pid)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  const char *line;

  if (pid <= 0)
    return -1;
  path = g_strdup_printf ("/proc/%d/status", pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, "\nVmRSS:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("\nVmRSS:"), NULL, 10);
}

static double
client_cpu_seconds (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0;
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6
         + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static double
ticks_to_seconds (Bench   *self,
                  guint64  ticks)
{
  return (double) ticks / (double) self->clock_ticks;
}

/* Server CPU seconds between the two readings: utime + stime from
 * /proc/PID/stat, unless that is under 2 s (its 10 ms ticks would be too
 * coarse, e.g. in --quick runs); then the ns sum of the threads. */
static double
server_cpu_seconds (Bench       *self,
                    const char **source)
{
  guint64 ticks = self->cpu_end - self->cpu_start;

  if (ticks >= (guint64) (2 * self->clock_ticks) || self->cpu_end_ns <= self->cpu_start_ns)
    {
      *source = "stat";
      return ticks_to_seconds (self, ticks);
    }
  *source = "schedstat";
  return (self->cpu_end_ns - self->cpu_start_ns) / 1e9;
}

static void
read_cpu_start (Bench *self)
{
  self->cpu_start = read_server_cpu_ticks (self->server_pid);
  self->cpu_start_ns = read_server_cpu_ns (self->server_pid);
  self->client_cpu_start = client_cpu_seconds ();
}

static void
read_cpu_end (Bench *self)
{
  self->cpu_end = read_server_cpu_ticks (self->server_pid);
  self->cpu_end_ns = read_server_cpu_ns (self->server_pid);
  self->client_cpu_end = client_cpu_seconds ();
}

/* --- SCRAM key cache ------------------------------------------------ */

/* SCRAM makes the client run PBKDF2 (10,000 HMACs, several ms of CPU) at
 * every login, which would make logins/s a figure of the load generator,
 * while the server's share of a SCRAM login does not depend on it.  With
 * --scram-cache FILE the result for (hash, password, salt, iterations) is
 * kept in FILE: a first, unmeasured run fills it; the measured run reads it.
 * The protocol library calls gnutls_pbkdf2(): this definition in the
 * executable takes precedence over GnuTLS's and calls the real one (found
 * with dlsym (RTLD_NEXT)) on a miss. */

static GHashTable *scram_cache;       /* "mac iter salt key length" (hex) → hex */
static gboolean    scram_cache_dirty;

static char *
scram_cache_key (gnutls_mac_algorithm_t  mac,
                 const gnutls_datum_t   *key,
                 const gnutls_datum_t   *salt,
                 unsigned                iter_count,
                 size_t                  length)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "%d %u ", (int) mac, iter_count);
  for (unsigned i = 0; i < salt->size; i++)
    g_string_append_printf (out, "%02x", salt->data[i]);
  g_string_append_c (out, ' ');
  for (unsigned i = 0; i < key->size; i++)
    g_string_append_printf (out, "%02x", key->data[i]);
  g_string_append_printf (out, " %zu", length);
  return g_string_free (out, FALSE);
}

int
gnutls_pbkdf2 (gnutls_mac_algorithm_t  mac,
               const gnutls_datum_t   *key,
               const gnutls_datum_t   *salt,
               unsigned                iter_count,
               void                   *output,
               size_t                  length)
{
  typedef int (*Pbkdf2Func) (gnutls_mac_algorithm_t, const gnutls_datum_t *,
                             const gnutls_datum_t *, unsigned, void *, size_t);
  static Pbkdf2Func real_pbkdf2;
  g_autofree char *cache_key = NULL;
  const char *hex;
  int ret;

  if (scram_cache != NULL)
    {
      cache_key = scram_cache_key (mac, key, salt, iter_count, length);
      hex = g_hash_table_lookup (scram_cache, cache_key);
      if (hex != NULL && strlen (hex) == 2 * length)
        {
          for (size_t i = 0; i < length; i++)
            ((guint8 *) output)[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) * 16
                                               + g_ascii_xdigit_value (hex[2 * i + 1]));
          return 0;
        }
    }

  if (real_pbkdf2 == NULL)
    real_pbkdf2 = (Pbkdf2Func) dlsym (RTLD_NEXT, "gnutls_pbkdf2");
  if (real_pbkdf2 == NULL)
    return GNUTLS_E_INTERNAL_ERROR;
  ret = real_pbkdf2 (mac, key, salt, iter_count, output, length);

  if (ret == 0 && scram_cache != NULL)
    {
      GString *value = g_string_sized_new (2 * length);

      for (size_t i = 0; i < length; i++)
        g_string_append_printf (value, "%02x", ((const guint8 *) output)[i]);
      g_hash_table_replace (scram_cache, g_steal_pointer (&cache_key), g_string_free (value, FALSE));
      scram_cache_dirty = TRUE;
    }
  return ret;
}

static void
scram_cache_load (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  scram_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* key fields, a tab, the value */
      char *tab = strchr (lines[i], '\t');

      if (tab == NULL)
        continue;
      *tab = '\0';
      g_hash_table_replace (scram_cache, g_strdup (lines[i]), g_strdup (tab + 1));
    }
}

static void
scram_cache_save (const char *path)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (scram_cache == NULL || !scram_cache_dirty)
    return;
  g_hash_table_iter_init (&iter, scram_cache);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (out, "%s\t%s\n", (const char *) key, (const char *) value);
  if (!g_file_set_contents_full (path, out->str, out->len, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &error))
    g_printerr ("bench-server: %s\n", error->message);
}

/* --- JSON ------------------------------------------------------------ */

static void
json_key (GString    *out,
          const char *key)
{
  if (out->len > 1)
    g_string_append_c (out, ',');
  g_string_append_printf (out, "\"%s\":", key);
}

static void
json_int (GString    *out,
          const char *key,
          gint64      value)
{
  json_key (out, key);
  g_string_append_printf (out, "%" G_GINT64_FORMAT, value);
}

static void
json_double (GString    *out,
             const char *key,
             double      value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  json_key (out, key);
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.4f", value));
}

static void
json_bool (GString    *out,
           const char *key,
           gboolean    value)
{
  json_key (out, key);
  g_string_append (out, value ? "true" : "false");
}

static void
json_string (GString    *out,
             const char *key,
             const char *value)
{
  json_key (out, key);
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
json_print (GString *out)
{
  g_string_append_c (out, '}');
  printf ("%s\n", out->str);
  fflush (stdout);
}

/* --- connections ----------------------------------------------------- */

static void
note_error (Bench      *self,
            const char *message)
{
  if (self->first_error == NULL)
    self->first_error = g_strdup (message);
  if (self->verbose)
    g_printerr ("bench-server: %s\n", message);
}

static void
conn_free (gpointer data)
{
  Conn *c = data;

  if (c->fd >= 0)
    close (c->fd);
  if (c->tls != NULL)
    gnutls_deinit (c->tls);
  g_clear_pointer (&c->parser, xmpp_parser_free);
  g_clear_pointer (&c->sasl, xmpp_sasl_client_free);
  if (c->out != NULL)
    g_string_free (c->out, TRUE);
  g_free (c->local);
  g_free (c->peer_bare);
  g_free (c);
}

static void
conn_set_events (Conn    *c,
                 guint32  events)
{
  struct epoll_event ev = { 0 };

  if (c->fd < 0 || events == c->events)
    return;
  ev.events = events;
  ev.data.ptr = c;
  if (epoll_ctl (c->bench->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
    g_error ("epoll_ctl: %s", g_strerror (errno));
  c->events = events;
}

static void
conn_mark_dirty (Conn *c)
{
  if (!c->dirty)
    {
      c->dirty = TRUE;
      g_ptr_array_add (c->bench->dirty, c);
    }
}

static void
conn_send (Conn       *c,
           const char *data)
{
  if (c->fd < 0)
    return;
  g_string_append (c->out, data);
  conn_mark_dirty (c);
}

static void
conn_send_printf (Conn       *c,
                  const char *format,
                  ...) G_GNUC_PRINTF (2, 3);

static void
conn_send_printf (Conn       *c,
                  const char *format,
                  ...)
{
  va_list args;

  if (c->fd < 0)
    return;
  va_start (args, format);
  g_string_append_vprintf (c->out, format, args);
  va_end (args);
  conn_mark_dirty (c);
}

static void login_finished (Conn     *c,
                            gboolean  ok);

/* The socket is gone: close it, and account for what it was doing. */
static void
conn_closed (Conn *c)
{
  Bench *self = c->bench;
  Step was = c->step;

  if (c->fd >= 0)
    {
      if (c->tls != NULL && was == STEP_CLOSING)
        gnutls_bye (c->tls, GNUTLS_SHUT_WR);   /* best effort: non-blocking */
      close (c->fd);
      c->fd = -1;
    }
  c->step = STEP_CLOSED;
  g_string_truncate (c->out, 0);
  c->pending_send = 0;
  if (c->in_login)
    login_finished (c, FALSE);
  if (was == STEP_CLOSING)
    {
      if (self->closes_pending > 0)
        self->closes_pending--;
    }
  else if (was == STEP_READY)
    {
      self->disconnects++;
    }
}

static void
conn_fail (Conn       *c,
           const char *format,
           ...)
{
  g_autofree char *message = NULL;
  g_autofree char *full = NULL;
  va_list args;

  if (c->step == STEP_CLOSED)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (c->step != STEP_CLOSING)
    {
      full = g_strdup_printf ("%s: %s", c->local, message);
      note_error (c->bench, full);
      if (c->step == STEP_READY)
        g_printerr ("bench-server: %s\n", full);
    }
  conn_closed (c);
}

/* Send </stream:stream>; the connection closes when the server's arrives,
 * at EOF, or after CLOSE_TIMEOUT_US. */
static void
conn_begin_close (Conn *c)
{
  if (c->fd < 0 || c->step == STEP_CLOSING || c->step == STEP_CLOSED)
    return;
  if (c->step == STEP_TCP || c->step == STEP_HANDSHAKE || c->step == STEP_NEW)
    {
      conn_closed (c);
      return;
    }
  conn_send (c, "</stream:stream>");
  c->step = STEP_CLOSING;
  c->bench->closes_pending++;
  c->deadline_us = g_get_monotonic_time () + CLOSE_TIMEOUT_US;
}

static void
conn_flush (Conn *c)
{
  while (c->fd >= 0 && c->out->len > 0)
    {
      gsize len = c->pending_send > 0 ? c->pending_send : MIN (c->out->len, MAX_RECORD);
      gssize n;

      if (c->tls != NULL)
        {
          n = gnutls_record_send (c->tls, c->out->str, len);
          if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            {
              c->pending_send = len;
              conn_set_events (c, EPOLLIN | EPOLLOUT);
              return;
            }
          if (n < 0)
            {
              conn_fail (c, "TLS send: %s", gnutls_strerror ((int) n));
              return;
            }
        }
      else
        {
          n = send (c->fd, c->out->str, len, MSG_NOSIGNAL);
          if (n < 0 && (errno == EAGAIN || errno == EINTR))
            {
              conn_set_events (c, EPOLLIN | EPOLLOUT);
              return;
            }
          if (n < 0)
            {
              conn_fail (c, "send: %s", g_strerror (errno));
              return;
            }
        }
      c->pending_send = 0;
      g_string_erase (c->out, 0, n);
    }
  conn_set_events (c, EPOLLIN);
}

static void
conn_send_header (Conn *c)
{
  conn_send (c, c->bench->header);
}

static void
conn_start_tls (Conn *c)
{
  Bench *self = c->bench;
  int ret;

  ret = gnutls_init (&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
  /* gnutls_set_default_priority() would parse the priority string again
   * for every connection. */
  if (ret >= 0)
    ret = gnutls_priority_set (c->tls, self->priority);
  if (ret >= 0)
    ret = gnutls_credentials_set (c->tls, GNUTLS_CRD_CERTIFICATE, self->credentials);
  if (ret >= 0)
    ret = gnutls_server_name_set (c->tls, GNUTLS_NAME_DNS, self->domain, strlen (self->domain));
  if (ret < 0)
    {
      conn_fail (c, "TLS set-up: %s", gnutls_strerror (ret));
      return;
    }
  gnutls_transport_set_int (c->tls, c->fd);
  c->step = STEP_HANDSHAKE;
}

static gboolean
conn_check_certificate (Conn *c)
{
  const gnutls_datum_t *certs;
  unsigned int n = 0;
  guint8 digest[32];
  GString *found;
  gboolean ok;

  certs = gnutls_certificate_get_peers (c->tls, &n);
  if (certs == NULL || n == 0)
    {
      conn_fail (c, "the server sent no certificate");
      return FALSE;
    }
  if (gnutls_hash_fast (GNUTLS_DIG_SHA256, certs[0].data, certs[0].size, digest) < 0)
    {
      conn_fail (c, "cannot hash the certificate");
      return FALSE;
    }
  found = g_string_new (NULL);
  for (guint i = 0; i < sizeof digest; i++)
    g_string_append_printf (found, "%s%02X", i > 0 ? ":" : "", digest[i]);
  ok = strcmp (found->str, c->bench->fingerprint) == 0;
  if (!ok)
    conn_fail (c, "certificate SHA-256 %s is not the pinned one", found->str);
  g_string_free (found, TRUE);
  return ok;
}

static void
conn_handshake (Conn *c)
{
  int ret = gnutls_handshake (c->tls);

  if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED
      || (ret < 0 && !gnutls_error_is_fatal (ret)))
    {
      conn_set_events (c, gnutls_record_get_direction (c->tls) ? EPOLLOUT : EPOLLIN);
      return;
    }
  if (ret < 0)
    {
      conn_fail (c, "TLS handshake: %s", gnutls_strerror (ret));
      return;
    }
  if (!conn_check_certificate (c))
    return;
  c->step = STEP_FEATURES_TLS;
  xmpp_parser_reset (c->parser);
  conn_set_events (c, EPOLLIN);
  conn_send_header (c);
}

/* Base64 of @bytes for <auth/> and <response/> ("=" when empty). */
static char *
sasl_payload (GBytes *bytes)
{
  gsize len = 0;
  gconstpointer data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  return len > 0 ? g_base64_encode (data, len) : g_strdup ("=");
}

static GBytes *
sasl_decode (XmppElement *element)
{
  const char *text = xmpp_element_get_text (element);
  gsize len = 0;
  guchar *data;

  if (text == NULL || text[0] == '\0' || strcmp (text, "=") == 0)
    return g_bytes_new (NULL, 0);
  data = g_base64_decode (text, &len);
  return g_bytes_new_take (data, len);
}

static void
conn_start_sasl (Conn        *c,
                 XmppElement *features)
{
  Bench *self = c->bench;
  XmppElement *mechanisms = xmpp_element_find_child (features, XMPP_NS_SASL, "mechanisms");
  XmppElement *child = NULL;
  g_autoptr(GPtrArray) offered = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) initial = NULL;
  g_autofree char *payload = NULL;
  const char *mechanism;

  if (mechanisms == NULL)
    {
      conn_fail (c, "no SASL mechanisms offered");
      return;
    }
  while ((child = xmpp_element_next_child (mechanisms, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_SASL, "mechanism"))
      g_ptr_array_add (offered, (gpointer) xmpp_element_get_text (child));
  g_ptr_array_add (offered, NULL);

  /* No channel binding: GnuTLS sessions here are not GTlsConnections. */
  mechanism = xmpp_sasl_select_mechanism ((const char * const *) offered->pdata, TRUE, FALSE, &error);
  if (mechanism != NULL)
    c->sasl = xmpp_sasl_client_new (mechanism, c->local, self->password, &error);
  if (c->sasl != NULL)
    initial = xmpp_sasl_client_start (c->sasl, &error);
  if (initial == NULL)
    {
      conn_fail (c, "SASL: %s", error != NULL ? error->message : "?");
      return;
    }
  if (self->mechanism == NULL)
    self->mechanism = g_strdup (mechanism);
  payload = sasl_payload (initial);
  conn_send_printf (c, "<auth xmlns='" XMPP_NS_SASL "' mechanism='%s'>%s</auth>", mechanism, payload);
  c->step = STEP_SASL;
}

static void
conn_sasl_element (Conn        *c,
                   XmppElement *element)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  if (xmpp_element_is (element, XMPP_NS_SASL, "challenge"))
    {
      g_autoptr(GBytes) response = NULL;
      g_autofree char *payload = NULL;

      data = sasl_decode (element);
      response = xmpp_sasl_client_step (c->sasl, data, &error);
      if (response == NULL)
        {
          conn_fail (c, "SASL: %s", error->message);
          return;
        }
      payload = sasl_payload (response);
      conn_send_printf (c, "<response xmlns='" XMPP_NS_SASL "'>%s</response>", payload);
    }
  else if (xmpp_element_is (element, XMPP_NS_SASL, "success"))
    {
      data = sasl_decode (element);
      if (!xmpp_sasl_client_finish (c->sasl, g_bytes_get_size (data) > 0 ? data : NULL, &error))
        {
          conn_fail (c, "SASL: %s", error->message);
          return;
        }
      g_clear_pointer (&c->sasl, xmpp_sasl_client_free);
      c->step = STEP_FEATURES_AUTH;
      xmpp_parser_reset (c->parser);
      conn_send_header (c);
    }
  else if (xmpp_element_is (element, XMPP_NS_SASL, "failure"))
    {
      XmppElement *condition = xmpp_element_next_child (element, NULL);

      conn_fail (c, "SASL failure: %s", condition != NULL ? xmpp_element_get_name (condition) : "?");
    }
  else
    {
      conn_fail (c, "unexpected <%s/> during SASL", xmpp_element_get_name (element));
    }
}

static void
conn_ready (Conn *c)
{
  c->step = STEP_READY;
  conn_send (c, "<presence/>");
  /* Does the server archive this account's messages (XEP-0313)?  Asked
   * once, to tell whether an "archive on" run really had it on. */
  if (c->bench->command == COMMAND_MESSAGES && c->index == 0)
    conn_send_printf (c, "<iq type='get' id='disco1' to='%s@%s'><query xmlns='" NS_DISCO_INFO "'/></iq>",
                      c->local, c->bench->domain);
  login_finished (c, TRUE);
}

static void
conn_disco_result (Conn        *c,
                   XmppElement *iq)
{
  XmppElement *query = xmpp_element_find_child (iq, NS_DISCO_INFO, "query");
  XmppElement *child = NULL;

  c->bench->archive_advertised = 0;
  if (query == NULL)
    return;
  while ((child = xmpp_element_next_child (query, child)) != NULL)
    if (xmpp_element_is (child, NS_DISCO_INFO, "feature")
        && g_strcmp0 (xmpp_element_get_attribute (child, "var"), NS_MAM) == 0)
      c->bench->archive_advertised = 1;
}

static const char *
stanza_error_condition (XmppElement *stanza)
{
  XmppElement *error = xmpp_element_find_child (stanza, NULL, "error");
  XmppElement *child = NULL;

  if (error == NULL)
    return "?";
  while ((child = xmpp_element_next_child (error, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_STANZAS, NULL) && g_strcmp0 (xmpp_element_get_name (child), "text") != 0)
      return xmpp_element_get_name (child);
  return "?";
}

static void
conn_iq_request (Conn        *c,
                 XmppElement *iq)
{
  const char *id = xmpp_element_get_attribute (iq, "id");
  const char *from = xmpp_element_get_attribute (iq, "from");
  g_autoptr(GString) reply = g_string_new ("<iq type='");

  if (id == NULL)
    return;
  /* Pings are answered; anything else is not implemented here. */
  if (xmpp_element_find_child (iq, XMPP_NS_PING, "ping") != NULL)
    g_string_append (reply, "result' id='");
  else
    g_string_append (reply, "error' id='");
  xmpp_escape_attribute (reply, id, -1);
  g_string_append_c (reply, '\'');
  if (from != NULL)
    {
      g_string_append (reply, " to='");
      xmpp_escape_attribute (reply, from, -1);
      g_string_append_c (reply, '\'');
    }
  if (xmpp_element_find_child (iq, XMPP_NS_PING, "ping") != NULL)
    g_string_append (reply, "/>");
  else
    g_string_append (reply, "><error type='cancel'><service-unavailable xmlns='" XMPP_NS_STANZAS
                     "'/></error></iq>");
  conn_send (c, reply->str);
}

static void
parser_element_cb (XmppParser  *parser,
                   XmppElement *element,
                   gpointer     user_data)
{
  Conn *c = user_data;
  Bench *self = c->bench;
  const char *type;

  if (xmpp_element_is (element, XMPP_NS_STREAM, "error"))
    {
      XmppElement *condition = xmpp_element_next_child (element, NULL);

      conn_fail (c, "stream error <%s/>", condition != NULL ? xmpp_element_get_name (condition) : "?");
      return;
    }

  switch (c->step)
    {
    case STEP_FEATURES_PLAIN:
      if (!xmpp_element_is (element, XMPP_NS_STREAM, "features")
          || xmpp_element_find_child (element, XMPP_NS_TLS, "starttls") == NULL)
        {
          conn_fail (c, "the server offers no STARTTLS");
          return;
        }
      conn_send (c, "<starttls xmlns='" XMPP_NS_TLS "'/>");
      c->step = STEP_PROCEED;
      break;

    case STEP_PROCEED:
      if (!xmpp_element_is (element, XMPP_NS_TLS, "proceed"))
        {
          conn_fail (c, "STARTTLS refused");
          return;
        }
      /* Nothing may follow <proceed/> on the plain stream. */
      xmpp_parser_reset (c->parser);
      conn_start_tls (c);
      break;

    case STEP_FEATURES_TLS:
      if (!xmpp_element_is (element, XMPP_NS_STREAM, "features"))
        {
          conn_fail (c, "expected <features/>, got <%s/>", xmpp_element_get_name (element));
          return;
        }
      if (self->command == COMMAND_REGISTER)
        {
          g_autoptr(GString) iq = g_string_new ("<iq type='set' id='reg1'><query xmlns='" NS_REGISTER "'><username>");

          xmpp_escape_text (iq, c->local, -1);
          g_string_append (iq, "</username><password>");
          xmpp_escape_text (iq, self->password, -1);
          g_string_append (iq, "</password></query></iq>");
          conn_send (c, iq->str);
          c->step = STEP_REGISTER;
        }
      else
        {
          conn_start_sasl (c, element);
        }
      break;

    case STEP_REGISTER:
      if (!xmpp_element_is (element, XMPP_NS_CLIENT, "iq")
          || g_strcmp0 (xmpp_element_get_attribute (element, "id"), "reg1") != 0)
        break;
      type = xmpp_element_get_attribute (element, "type");
      if (g_strcmp0 (type, "result") == 0)
        {
          login_finished (c, TRUE);
        }
      else if (g_strcmp0 (stanza_error_condition (element), "conflict") == 0)
        {
          c->existing = TRUE;
          login_finished (c, TRUE);
        }
      else
        {
          conn_fail (c, "registration refused: %s", stanza_error_condition (element));
          return;
        }
      conn_begin_close (c);
      break;

    case STEP_SASL:
      conn_sasl_element (c, element);
      break;

    case STEP_FEATURES_AUTH:
      if (!xmpp_element_is (element, XMPP_NS_STREAM, "features")
          || xmpp_element_find_child (element, XMPP_NS_BIND, "bind") == NULL)
        {
          conn_fail (c, "the server offers no resource binding");
          return;
        }
      {
        XmppElement *session = xmpp_element_find_child (element, XMPP_NS_SESSION, "session");

        c->session_required = session != NULL
                              && xmpp_element_find_child (session, XMPP_NS_SESSION, "optional") == NULL;
      }
      if (self->resource != NULL)
        {
          g_autoptr(GString) iq = g_string_new ("<iq type='set' id='bind1'><bind xmlns='" XMPP_NS_BIND "'><resource>");

          xmpp_escape_text (iq, self->resource, -1);
          g_string_append (iq, "</resource></bind></iq>");
          conn_send (c, iq->str);
        }
      else
        {
          conn_send (c, "<iq type='set' id='bind1'><bind xmlns='" XMPP_NS_BIND "'/></iq>");
        }
      c->step = STEP_BIND;
      break;

    case STEP_BIND:
    case STEP_SESSION:
      if (!xmpp_element_is (element, XMPP_NS_CLIENT, "iq"))
        break;
      type = xmpp_element_get_attribute (element, "type");
      if (g_strcmp0 (type, "result") != 0)
        {
          conn_fail (c, "%s refused: %s", c->step == STEP_BIND ? "resource binding" : "session",
                     stanza_error_condition (element));
          return;
        }
      if (c->step == STEP_BIND && c->session_required)
        {
          conn_send (c, "<iq type='set' id='sess1'><session xmlns='" XMPP_NS_SESSION "'/></iq>");
          c->step = STEP_SESSION;
          break;
        }
      conn_ready (c);
      break;

    case STEP_READY:
      if (xmpp_element_is (element, XMPP_NS_CLIENT, "message"))
        {
          message_stanza (c, element);
        }
      else if (xmpp_element_is (element, XMPP_NS_CLIENT, "iq"))
        {
          type = xmpp_element_get_attribute (element, "type");
          if (g_strcmp0 (type, "get") == 0 || g_strcmp0 (type, "set") == 0)
            conn_iq_request (c, element);
          else if (g_strcmp0 (xmpp_element_get_attribute (element, "id"), "disco1") == 0)
            conn_disco_result (c, element);
        }
      break;

    case STEP_CLOSING:
      break;

    case STEP_NEW:
    case STEP_TCP:
    case STEP_HANDSHAKE:
    case STEP_CLOSED:
    default:
      conn_fail (c, "unexpected <%s/>", xmpp_element_get_name (element));
      break;
    }
}

static void
parser_stream_open_cb (XmppParser  *parser,
                       XmppElement *header,
                       gpointer     user_data)
{
}

static void
parser_stream_close_cb (XmppParser *parser,
                        gpointer    user_data)
{
  Conn *c = user_data;

  if (c->step == STEP_CLOSING)
    conn_closed (c);
  else
    conn_fail (c, "the server closed the stream");
}

static const XmppParserCallbacks parser_callbacks = {
  parser_stream_open_cb,
  parser_element_cb,
  parser_stream_close_cb,
};

static void
conn_read (Conn *c)
{
  Bench *self = c->bench;

  /* Bounded: a socket holds a bounded amount, and GnuTLS's buffer too. */
  for (guint round = 0; round < 64 && c->fd >= 0; round++)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      /* After <proceed/> the caller starts the handshake. */
      if (c->step == STEP_HANDSHAKE)
        return;
      if (c->tls != NULL)
        {
          n = gnutls_record_recv (c->tls, self->read_buffer, READ_BUFFER_SIZE);
          if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            return;
          if (n < 0 && !gnutls_error_is_fatal ((int) n))
            continue;
          if (n < 0)
            {
              if (c->step == STEP_CLOSING)
                conn_closed (c);
              else
                conn_fail (c, "TLS receive: %s", gnutls_strerror ((int) n));
              return;
            }
        }
      else
        {
          n = recv (c->fd, self->read_buffer, READ_BUFFER_SIZE, 0);
          if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
          if (n < 0)
            {
              conn_fail (c, "recv: %s", g_strerror (errno));
              return;
            }
        }
      if (n == 0)
        {
          if (c->step == STEP_CLOSING)
            conn_closed (c);
          else
            conn_fail (c, "the server closed the connection");
          return;
        }
      if (!xmpp_parser_feed (c->parser, self->read_buffer, n, &error))
        {
          conn_fail (c, "XML: %s", error->message);
          return;
        }
    }
}

static void
conn_handle (Conn    *c,
             guint32  events)
{
  if (c->fd < 0)
    return;
  switch (c->step)
    {
    case STEP_TCP:
      {
        int error = 0;
        socklen_t len = sizeof error;

        if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
          error = errno;
        if (error != 0)
          {
            conn_fail (c, "connect: %s", g_strerror (error));
            return;
          }
        c->step = STEP_FEATURES_PLAIN;
        conn_set_events (c, EPOLLIN);
        conn_send_header (c);
      }
      break;

    case STEP_HANDSHAKE:
      conn_handshake (c);
      break;

    case STEP_NEW:
    case STEP_FEATURES_PLAIN:
    case STEP_PROCEED:
    case STEP_FEATURES_TLS:
    case STEP_REGISTER:
    case STEP_SASL:
    case STEP_FEATURES_AUTH:
    case STEP_BIND:
    case STEP_SESSION:
    case STEP_READY:
    case STEP_CLOSING:
    case STEP_CLOSED:
    default:
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        conn_read (c);
      if (c->fd >= 0 && (events & EPOLLOUT))
        conn_flush (c);
      /* <proceed/> arrived: the handshake starts now. */
      if (c->fd >= 0 && c->step == STEP_HANDSHAKE)
        conn_handshake (c);
      break;
    }
}

static void
conn_start (Conn *c)
{
  Bench *self = c->bench;
  struct epoll_event ev = { 0 };
  int one = 1;

  c->login_start_us = g_get_monotonic_time ();
  c->deadline_us = c->login_start_us + (gint64) self->login_timeout_s * G_USEC_PER_SEC;
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    {
      conn_fail (c, "socket: %s", g_strerror (errno));
      return;
    }
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->parser = xmpp_parser_new (&parser_callbacks, c);
  c->out = c->out != NULL ? c->out : g_string_sized_new (512);
  c->step = STEP_TCP;
  ev.events = c->events = EPOLLOUT;
  ev.data.ptr = c;
  if (epoll_ctl (self->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
    g_error ("epoll_ctl: %s", g_strerror (errno));
  if (connect (c->fd, (struct sockaddr *) &self->address, sizeof self->address) != 0
      && errno != EINPROGRESS)
    conn_fail (c, "connect: %s", g_strerror (errno));
}

/* --- logging in many connections, a few at a time ------------------- */

static void start_logins (Bench *self);

static void
login_finished (Conn     *c,
                gboolean  ok)
{
  Bench *self = c->bench;

  if (!c->in_login)
    return;
  c->in_login = FALSE;
  g_assert (self->logins_in_flight > 0);
  self->logins_in_flight--;
  if (ok && self->n_login_us < self->conns->len)
    self->login_us[self->n_login_us++] = (guint32) MIN (g_get_monotonic_time () - c->login_start_us,
                                                        (gint64) G_MAXUINT32);
  if (ok && c->existing)
    self->logins_existing++;
  else if (ok)
    self->logins_ok++;
  else
    self->logins_failed++;
  start_logins (self);
}

static void
start_logins (Bench *self)
{
  while (self->login_next < self->conns->len
         && self->logins_in_flight < (guint) self->concurrency
         && !self->finished)
    {
      Conn *c = g_ptr_array_index (self->conns, self->login_next++);

      self->logins_in_flight++;
      c->in_login = TRUE;
      conn_start (c);
    }

  if (self->logins_in_flight == 0 && self->logins_done != NULL
      && (self->login_next >= self->conns->len || self->finished))
    {
      BenchFunc done = self->logins_done;

      self->logins_done = NULL;
      self->login_end_us = g_get_monotonic_time ();
      done (self);
    }
}

static void
begin_logins (Bench     *self,
              BenchFunc  done)
{
  self->login_next = 0;
  self->logins_in_flight = 0;
  self->logins_done = done;
  self->login_start_us = g_get_monotonic_time ();
  start_logins (self);
}

/* --- closing every connection ---------------------------------------- */

static void
check_closes (Bench *self)
{
  if (self->closes_done != NULL
      && (self->closes_pending == 0 || g_get_monotonic_time () > self->close_deadline_us))
    {
      BenchFunc done = self->closes_done;

      if (self->closes_pending > 0)
        g_printerr ("bench-server: %u streams did not close in time\n", self->closes_pending);
      for (guint i = 0; i < self->conns->len; i++)
        {
          Conn *c = g_ptr_array_index (self->conns, i);

          if (c->fd >= 0)
            conn_closed (c);
        }
      self->closes_pending = 0;
      self->closes_done = NULL;
      done (self);
    }
}

static void
close_all (Bench     *self,
           BenchFunc  done)
{
  for (guint i = 0; i < self->conns->len; i++)
    conn_begin_close (g_ptr_array_index (self->conns, i));
  self->closes_done = done;
  self->close_deadline_us = g_get_monotonic_time () + CLOSE_TIMEOUT_US + G_USEC_PER_SEC;
}

static void
wake_after (Bench     *self,
            int        ms,
            BenchFunc  func)
{
  self->wake_us = g_get_monotonic_time () + (gint64) ms * 1000;
  self->wake_func = func;
}

static void
stop (Bench *self)
{
  self->quit = TRUE;
}

/* --- register -------------------------------------------------------- */

static void
register_closed (Bench *self)
{
  g_autoptr(GString) out = g_string_new ("{");
  double seconds = (self->login_end_us - self->login_start_us) / 1e6;

  json_string (out, "command", "register");
  json_int (out, "count", self->count);
  json_int (out, "created", self->logins_ok);
  json_int (out, "existing", self->logins_existing);
  json_int (out, "failed", self->logins_failed);
  json_double (out, "seconds", seconds);
  json_string (out, "first_error", self->first_error);
  json_print (out);
  if (self->logins_failed > 0)
    self->exit_status = 1;
  stop (self);
}

static void
register_done (Bench *self)
{
  close_all (self, register_closed);
}

/* --- messages -------------------------------------------------------- */

static void messages_finish (Bench *self);

static void
send_one (Bench *self,
          Conn  *c)
{
  conn_send_printf (c, "<message to='%s' type='chat' id='b%u'><body>" BODY_MAGIC " %u %"
                    G_GINT64_FORMAT " %s</body></message>",
                    c->peer_bare, c->sent, c->sent, g_get_monotonic_time (), self->padding);
  c->sent++;
  c->in_flight++;
  self->total_sent++;
}

static void
pump (Bench *self,
      Conn  *c)
{
  while (self->running && c->step == STEP_READY && !self->sending_stopped
         && c->in_flight < (guint) self->window
         && (self->duration_s > 0 || c->sent < (guint) self->messages))
    send_one (self, c);
}

static void
note_progress (Bench *self)
{
  guint64 done = self->received + self->errors;

  /* With --duration the count is known only when the time is up; the
   * 10% and 50% readings are then taken by time (messages_tick). */
  if (self->duration_s > 0 && !self->sending_stopped)
    return;
  if (self->rss_at_10 < 0 && done * 10 >= self->expected)
    self->rss_at_10 = read_server_rss_kb (self->server_pid);
  if (self->rss_at_50 < 0 && done * 2 >= self->expected)
    self->rss_at_50 = read_server_rss_kb (self->server_pid);
  if (done >= self->expected)
    messages_finish (self);
}

static void
message_stanza (Conn        *c,
                XmppElement *stanza)
{
  Bench *self = c->bench;
  Conn *peer = c->peer;
  const char *body;
  const char *p;
  gint64 sent_us;
  gint64 latency;

  if (!self->running || peer == NULL)
    return;

  if (g_strcmp0 (xmpp_element_get_attribute (stanza, "type"), "error") == 0)
    {
      /* One of ours bounced: its slot is free again. */
      self->errors++;
      if (self->errors == 1)
        {
          g_autofree char *what = g_strdup_printf ("%s: a message bounced: %s", c->local,
                                                   stanza_error_condition (stanza));
          note_error (self, what);
        }
      if (c->in_flight > 0)
        c->in_flight--;
      pump (self, c);
      note_progress (self);
      return;
    }

  body = xmpp_element_find_child_text (stanza, NULL, "body");
  if (body == NULL || !g_str_has_prefix (body, BODY_MAGIC " "))
    {
      self->unexpected++;
      return;
    }
  /* "bench SEQ TIME padding" */
  p = strchr (body + strlen (BODY_MAGIC " "), ' ');
  sent_us = p != NULL ? g_ascii_strtoll (p + 1, NULL, 10) : 0;
  latency = sent_us > 0 ? g_get_monotonic_time () - sent_us : -1;
  if (latency >= 0 && self->n_latencies < self->latency_capacity)
    self->latencies_us[self->n_latencies++] = (guint32) MIN (latency, (gint64) G_MAXUINT32);

  c->received++;
  self->received++;
  if (peer->in_flight > 0)
    peer->in_flight--;
  pump (self, peer);
  note_progress (self);
}

static void
take_sample (Bench *self)
{
  Sample s;

  if (self->samples->len >= MAX_SAMPLES)
    return;
  s.seconds = (g_get_monotonic_time () - self->run_start_us) / 1e6;
  s.rss_kb = read_server_rss_kb (self->server_pid);
  s.received = self->received;
  g_array_append_val (self->samples, s);
}

/* Called every tick during the run. */
static void
messages_tick (Bench  *self,
               gint64  now)
{
  if (!self->running)
    return;
  if (self->duration_s > 0 && !self->sending_stopped)
    {
      gint64 elapsed = now - self->run_start_us;
      gint64 total = (gint64) self->duration_s * G_USEC_PER_SEC;

      if (self->rss_at_10 < 0 && elapsed * 10 >= total)
        self->rss_at_10 = read_server_rss_kb (self->server_pid);
      if (self->rss_at_50 < 0 && elapsed * 2 >= total)
        self->rss_at_50 = read_server_rss_kb (self->server_pid);
      if (elapsed >= total)
        {
          /* Stop sending; the run ends when what is in flight arrived. */
          self->sending_stopped = TRUE;
          self->expected = self->total_sent;
          note_progress (self);
          if (!self->running)
            return;
        }
    }
  if (now >= self->next_sample_us)
    {
      take_sample (self);
      self->next_sample_us = now + (gint64) self->sample_ms * 1000;
      if (self->verbose)
        g_printerr ("bench-server: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " delivered\n",
                    self->received, self->expected);
    }
  if (self->received + self->errors != self->last_progress_count)
    {
      self->last_progress_count = self->received + self->errors;
      self->last_progress_us = now;
    }
  else if (now - self->last_progress_us > (gint64) self->stall_s * G_USEC_PER_SEC)
    {
      g_printerr ("bench-server: no message arrived for %d s (%" G_GUINT64_FORMAT
                  " of %" G_GUINT64_FORMAT " delivered); stopping\n",
                  self->stall_s, self->received, self->expected);
      self->stalled = TRUE;
      messages_finish (self);
    }
}

static int
compare_u32 (const void *a,
             const void *b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (const guint32 *sorted,
               guint64        n,
               double         fraction)
{
  guint64 i;

  if (n == 0)
    return -1;
  i = (guint64) (fraction * (double) (n - 1) + 0.5);
  return sorted[MIN (i, n - 1)] / 1000.0;
}

static void
messages_report (Bench *self)
{
  g_autoptr(GString) out = g_string_new ("{");
  double seconds = self->run_start_us > 0 ? (self->run_end_us - self->run_start_us) / 1e6 : 0;
  const char *cpu_source;
  double server_cpu = server_cpu_seconds (self, &cpu_source);
  double client_cpu = self->client_cpu_end - self->client_cpu_start;
  guint64 delivered = self->received;
  double sum = 0;
  gint64 rss_max = self->rss_start;

  qsort (self->latencies_us, self->n_latencies, sizeof (guint32), compare_u32);
  for (guint64 i = 0; i < self->n_latencies; i++)
    sum += self->latencies_us[i];
  for (guint i = 0; i < self->samples->len; i++)
    rss_max = MAX (rss_max, g_array_index (self->samples, Sample, i).rss_kb);
  rss_max = MAX (rss_max, self->rss_end);

  json_string (out, "command", "messages");
  json_int (out, "pairs", self->pairs);
  json_int (out, "messages_each_way", self->duration_s > 0 ? -1 : self->messages);
  json_int (out, "duration_s", self->duration_s);
  json_int (out, "window", self->window);
  json_int (out, "body_bytes", (gint64) strlen (self->padding) + 24);
  json_string (out, "mechanism", self->mechanism);
  json_key (out, "archive_advertised");
  g_string_append (out, self->archive_advertised < 0 ? "null" : self->archive_advertised ? "true" : "false");
  json_int (out, "expected", (gint64) self->expected);
  json_int (out, "delivered", (gint64) delivered);
  json_int (out, "errors", (gint64) self->errors);
  json_int (out, "unexpected", (gint64) self->unexpected);
  json_int (out, "disconnects", self->disconnects);
  json_bool (out, "complete", delivered == self->expected);
  json_bool (out, "stalled", self->stalled);
  json_bool (out, "timed_out", self->timed_out);
  json_int (out, "logins_failed", self->logins_failed);
  json_double (out, "login_seconds", (self->login_end_us - self->login_start_us) / 1e6);
  json_double (out, "seconds", seconds);
  json_double (out, "messages_per_second", seconds > 0 ? delivered / seconds : 0);
  json_double (out, "latency_p50_ms", percentile_ms (self->latencies_us, self->n_latencies, 0.50));
  json_double (out, "latency_p99_ms", percentile_ms (self->latencies_us, self->n_latencies, 0.99));
  json_double (out, "latency_max_ms", percentile_ms (self->latencies_us, self->n_latencies, 1.0));
  json_double (out, "latency_mean_ms",
               self->n_latencies > 0 ? sum / self->n_latencies / 1000.0 : -1);
  json_double (out, "server_cpu_seconds", server_cpu);
  json_string (out, "server_cpu_source", cpu_source);
  json_double (out, "server_cpu_stat_seconds", ticks_to_seconds (self, self->cpu_end - self->cpu_start));
  json_double (out, "server_cpu_us_per_message", delivered > 0 ? server_cpu * 1e6 / delivered : -1);
  json_double (out, "client_cpu_us_per_message", delivered > 0 ? client_cpu * 1e6 / delivered : -1);
  json_int (out, "rss_kb_start", self->rss_start);
  json_int (out, "rss_kb_at_10pct", self->rss_at_10);
  json_int (out, "rss_kb_at_50pct", self->rss_at_50);
  json_int (out, "rss_kb_end", self->rss_end);
  json_int (out, "rss_kb_max", rss_max);
  json_int (out, "rss_kb_after_close", self->rss_after_close);
  json_key (out, "rss_kb_samples");
  g_string_append_c (out, '[');
  /* At most ~60 points: enough to see a trend. */
  for (guint i = 0, step = MAX (1, self->samples->len / 60); i < self->samples->len; i += step)
    {
      Sample *s = &g_array_index (self->samples, Sample, i);

      g_string_append_printf (out, "%s[%.1f,%" G_GINT64_FORMAT ",%" G_GUINT64_FORMAT "]",
                              i > 0 ? "," : "", s->seconds, s->rss_kb, s->received);
    }
  g_string_append_c (out, ']');
  json_string (out, "first_error", self->first_error);
  json_print (out);
}

static void
messages_after_close (Bench *self)
{
  self->rss_after_close = read_server_rss_kb (self->server_pid);
  messages_report (self);
  stop (self);
}

static void
messages_closed (Bench *self)
{
  /* Give the server a moment to drop the sessions. */
  wake_after (self, self->settle_ms, messages_after_close);
}

static void
messages_finish (Bench *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  self->running = FALSE;
  if (self->duration_s > 0 && !self->sending_stopped)
    self->expected = self->total_sent;
  if (self->run_start_us > 0)
    {
      self->run_end_us = g_get_monotonic_time ();
      read_cpu_end (self);
      self->rss_end = read_server_rss_kb (self->server_pid);
    }
  if (self->received != self->expected)
    self->exit_status = 1;
  close_all (self, messages_closed);
}

static void
messages_start (Bench *self)
{
  g_printerr ("bench-server: %u clients logged in in %.1f s (%s); sending\n",
              self->logins_ok, (self->login_end_us - self->login_start_us) / 1e6,
              self->mechanism != NULL ? self->mechanism : "?");
  self->rss_start = read_server_rss_kb (self->server_pid);
  read_cpu_start (self);
  self->run_start_us = g_get_monotonic_time ();
  self->last_progress_us = self->run_start_us;
  self->next_sample_us = self->run_start_us + (gint64) self->sample_ms * 1000;
  self->running = TRUE;
  for (guint i = 0; i < self->conns->len; i++)
    pump (self, g_ptr_array_index (self->conns, i));
  if (self->expected == 0 && self->duration_s == 0)
    messages_finish (self);
}

static void
messages_logged_in (Bench *self)
{
  if (self->logins_failed > 0 || self->finished)
    {
      g_printerr ("bench-server: %u of %u logins failed: %s\n", self->logins_failed,
                  self->conns->len, self->first_error != NULL ? self->first_error : "?");
      self->exit_status = 1;
      self->finished = TRUE;
      close_all (self, messages_closed);
      return;
    }
  /* Let the server finish the initial presences before the clock starts. */
  wake_after (self, self->settle_ms, messages_start);
}

static void
setup_pairs (Bench *self)
{
  for (int i = 0; i < 2 * self->pairs; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);
      Conn *peer = g_ptr_array_index (self->conns, i ^ 1);

      c->peer = peer;
      c->peer_bare = g_strdup_printf ("%s@%s", peer->local, self->domain);
    }
}

/* --- idle ------------------------------------------------------------ */

static void
idle_report (Bench *self)
{
  g_autoptr(GString) out = g_string_new ("{");
  double seconds;
  double server_cpu;
  double client_cpu;
  const char *cpu_source;
  guint ok = self->logins_ok;

  if (self->login_end_us == 0)
    {
      /* Cut short by --timeout. */
      self->login_end_us = g_get_monotonic_time ();
      read_cpu_end (self);
    }
  seconds = (self->login_end_us - self->login_start_us) / 1e6;
  server_cpu = server_cpu_seconds (self, &cpu_source);
  client_cpu = self->client_cpu_end - self->client_cpu_start;
  self->rss_after_close = read_server_rss_kb (self->server_pid);

  json_string (out, "command", "idle");
  json_int (out, "count", self->count);
  json_int (out, "concurrency", self->concurrency);
  json_string (out, "mechanism", self->mechanism);
  json_int (out, "logged_in", ok);
  json_int (out, "failed", self->logins_failed);
  json_int (out, "disconnects", self->disconnects);
  json_bool (out, "timed_out", self->timed_out);
  json_double (out, "seconds", seconds);
  json_double (out, "logins_per_second", seconds > 0 ? ok / seconds : 0);
  qsort (self->login_us, self->n_login_us, sizeof (guint32), compare_u32);
  json_double (out, "login_p50_ms", percentile_ms (self->login_us, self->n_login_us, 0.50));
  json_double (out, "login_p99_ms", percentile_ms (self->login_us, self->n_login_us, 0.99));
  json_double (out, "login_max_ms", percentile_ms (self->login_us, self->n_login_us, 1.0));
  json_double (out, "server_cpu_ms_per_login", ok > 0 ? server_cpu * 1e3 / ok : -1);
  json_string (out, "server_cpu_source", cpu_source);
  json_double (out, "client_cpu_ms_per_login", ok > 0 ? client_cpu * 1e3 / ok : -1);
  json_int (out, "rss_kb_before", self->rss_start);
  json_int (out, "rss_kb_after", self->rss_end);
  json_double (out, "rss_kb_per_session", ok > 0 && self->rss_start >= 0
               ? (double) (self->rss_end - self->rss_start) / ok : -1);
  json_int (out, "rss_kb_after_close", self->rss_after_close);
  json_string (out, "first_error", self->first_error);
  json_print (out);
  stop (self);
}

static void
idle_closed (Bench *self)
{
  /* Memory after the sessions are gone, once the server had time to
   * notice. */
  wake_after (self, self->settle_ms, idle_report);
}

static void
idle_settled (Bench *self)
{
  self->rss_end = read_server_rss_kb (self->server_pid);
  g_printerr ("bench-server: %u idle sessions: server RSS %" G_GINT64_FORMAT
              " KiB -> %" G_GINT64_FORMAT " KiB\n",
              self->logins_ok, self->rss_start, self->rss_end);
  close_all (self, idle_closed);
}

static void
idle_logged_in (Bench *self)
{
  read_cpu_end (self);
  g_printerr ("bench-server: %u sessions logged in (%u failed) in %.1f s (%s)\n",
              self->logins_ok, self->logins_failed,
              (self->login_end_us - self->login_start_us) / 1e6,
              self->mechanism != NULL ? self->mechanism : "?");
  if (self->logins_failed > 0 || self->finished)
    self->exit_status = 1;
  wake_after (self, self->settle_ms, idle_settled);
}

static void
idle_start (Bench *self)
{
  self->rss_start = read_server_rss_kb (self->server_pid);
  read_cpu_start (self);
  begin_logins (self, idle_logged_in);
}

/* --- the loop -------------------------------------------------------- */

static void
tick (Bench *self)
{
  gint64 now = g_get_monotonic_time ();

  /* Logins and closes that take too long. */
  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (self->conns, i);

      if (c->fd >= 0 && (c->in_login || c->step == STEP_CLOSING) && now > c->deadline_us)
        conn_fail (c, "%s timed out", c->step == STEP_CLOSING ? "closing" : "logging in");
    }
  check_closes (self);

  if (self->command == COMMAND_MESSAGES)
    messages_tick (self, now);

  if (self->wake_func != NULL && now >= self->wake_us)
    {
      BenchFunc func = self->wake_func;

      self->wake_func = NULL;
      func (self);
    }

  if (now > self->deadline_us && !self->timed_out)
    {
      g_printerr ("bench-server: gave up after %d s\n", self->timeout_s);
      self->timed_out = TRUE;
      self->exit_status = 1;
      if (self->command == COMMAND_MESSAGES && !self->finished)
        {
          messages_finish (self);
        }
      else
        {
          /* Report what there is, without waiting any longer. */
          self->finished = TRUE;
          stop (self);
        }
    }
  /* Past the deadline even the close wait is cut short. */
  if (self->timed_out && now > self->deadline_us + CLOSE_TIMEOUT_US + 2 * G_USEC_PER_SEC)
    stop (self);
}

static void
flush_dirty (Bench *self)
{
  /* Flushing can fail a connection but never adds one. */
  for (guint i = 0; i < self->dirty->len; i++)
    {
      Conn *c = g_ptr_array_index (self->dirty, i);

      c->dirty = FALSE;
      conn_flush (c);
    }
  g_ptr_array_set_size (self->dirty, 0);
}

static void
run (Bench *self)
{
  struct epoll_event events[MAX_EVENTS];
  gint64 last_tick = 0;

  flush_dirty (self);
  while (!self->quit)
    {
      int n = epoll_wait (self->epfd, events, MAX_EVENTS, TICK_MS);
      gint64 now;

      if (n < 0 && errno != EINTR)
        g_error ("epoll_wait: %s", g_strerror (errno));
      for (int i = 0; i < n; i++)
        conn_handle (events[i].data.ptr, events[i].events);
      flush_dirty (self);
      now = g_get_monotonic_time ();
      if (now - last_tick >= TICK_MS * 1000)
        {
          last_tick = now;
          tick (self);
          flush_dirty (self);
        }
    }
}

/* --- main ------------------------------------------------------------ */

int
main (int    argc,
      char **argv)
{
  Bench bench = { 0 };
  Bench *self = &bench;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = NULL;
  int n_conns;
  int ret;
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &self->host, "Server address, IPv4 loopback only (127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &self->port, "STARTTLS c2s port", "N" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &self->domain, "XMPP domain (localhost)", "DOMAIN" },
    { "fingerprint", 0, 0, G_OPTION_ARG_STRING, &fingerprint, "SHA-256 of the server certificate", "AB:CD:…" },
    { "scram-cache", 0, 0, G_OPTION_ARG_FILENAME, &self->scram_cache_file, "Keep SCRAM keys in FILE between runs", "FILE" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &self->server_pid, "Process to measure (CPU, RSS)", "PID" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &self->prefix, "Accounts are PREFIX1, PREFIX2, …", "PREFIX" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &self->password, "Password of every account", "PW" },
    { "resource", 0, 0, G_OPTION_ARG_STRING, &self->resource, "Resource to bind (default: the server's)", "RES" },
    { "count", 0, 0, G_OPTION_ARG_INT, &self->count, "Accounts to register / idle sessions (100)", "N" },
    { "pairs", 0, 0, G_OPTION_ARG_INT, &self->pairs, "Client pairs (50)", "N" },
    { "messages", 0, 0, G_OPTION_ARG_INT, &self->messages, "Messages each way per pair (2000)", "M" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &self->duration_s, "Send for S seconds instead of --messages", "S" },
    { "window", 0, 0, G_OPTION_ARG_INT, &self->window, "Messages in flight per direction (10)", "W" },
    { "body-size", 0, 0, G_OPTION_ARG_INT, &self->body_size, "Message body length in bytes (100)", "BYTES" },
    { "concurrency", 0, 0, G_OPTION_ARG_INT, &self->concurrency, "Logins in flight (50)", "N" },
    { "settle-ms", 0, 0, G_OPTION_ARG_INT, &self->settle_ms, "Pause before reading memory (2000)", "MS" },
    { "sample-ms", 0, 0, G_OPTION_ARG_INT, &self->sample_ms, "RSS sampling interval (1000)", "MS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &self->timeout_s, "Give up after this many seconds (1800)", "S" },
    { "login-timeout", 0, 0, G_OPTION_ARG_INT, &self->login_timeout_s, "Give up one login after (60)", "S" },
    { "stall", 0, 0, G_OPTION_ARG_INT, &self->stall_s, "Stop a message run without progress (60)", "S" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &self->verbose, "Progress and every error on stderr", NULL },
    { NULL }
  };

  self->host = g_strdup ("127.0.0.1");
  self->domain = g_strdup ("localhost");
  self->password = g_strdup ("bench-password");
  self->count = 100;
  self->pairs = 50;
  self->messages = 2000;
  self->window = 10;
  self->body_size = 100;
  self->concurrency = 50;
  self->settle_ms = 2000;
  self->sample_ms = 1000;
  self->timeout_s = 1800;
  self->login_timeout_s = 60;
  self->stall_s = 60;
  self->rss_at_10 = self->rss_at_50 = -1;
  self->archive_advertised = -1;
  self->rss_start = self->rss_end = self->rss_after_close = -1;

  context = g_option_context_new ("register|messages|idle");
  g_option_context_set_summary (context,
                                "Load generator of the server benchmark (see bench/README.md).\n"
                                "Prints one line of JSON with the figures.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-server: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("bench-server: say register, messages or idle (--help)\n");
      return 2;
    }
  if (strcmp (argv[1], "register") == 0)
    self->command = COMMAND_REGISTER;
  else if (strcmp (argv[1], "messages") == 0)
    self->command = COMMAND_MESSAGES;
  else if (strcmp (argv[1], "idle") == 0)
    self->command = COMMAND_IDLE;
  else
    {
      g_printerr ("bench-server: unknown command %s\n", argv[1]);
      return 2;
    }
  self->fingerprint = xmpp_fingerprint_normalize (fingerprint);
  if (self->port <= 0 || self->port > 65535 || self->fingerprint == NULL || self->prefix == NULL)
    {
      g_printerr ("bench-server: --port, --fingerprint (SHA-256) and --prefix are required\n");
      return 2;
    }
  self->address.sin_family = AF_INET;
  self->address.sin_port = htons ((guint16) self->port);
  if (inet_pton (AF_INET, self->host, &self->address.sin_addr) != 1
      || (ntohl (self->address.sin_addr.s_addr) >> 24) != 127)
    {
      g_printerr ("bench-server: %s is not an IPv4 loopback address\n", self->host);
      return 2;
    }
  if (self->count < 0 || self->count > 1000000 || self->pairs < 1 || self->pairs > 100000
      || self->messages < 0 || self->messages > 100000000 || self->window < 1 || self->window > 100000
      || self->concurrency < 1 || self->concurrency > 100000 || self->body_size < 0
      || self->body_size > 65536 || self->settle_ms < 0 || self->sample_ms < 10
      || self->timeout_s < 1 || self->login_timeout_s < 1 || self->stall_s < 1
      || self->duration_s < 0 || self->duration_s > 86400)
    {
      g_printerr ("bench-server: an option is out of range\n");
      return 2;
    }

  if (self->scram_cache_file != NULL)
    scram_cache_load (self->scram_cache_file);

  ret = gnutls_global_init ();
  if (ret >= 0)
    ret = gnutls_certificate_allocate_credentials (&self->credentials);
  if (ret >= 0)
    ret = gnutls_priority_init2 (&self->priority, NULL, NULL, 0);
  if (ret < 0)
    {
      g_printerr ("bench-server: GnuTLS: %s\n", gnutls_strerror (ret));
      return 1;
    }
  self->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (self->epfd < 0)
    {
      g_printerr ("bench-server: epoll: %s\n", g_strerror (errno));
      return 1;
    }
  self->clock_ticks = sysconf (_SC_CLK_TCK);
  if (self->clock_ticks <= 0)
    self->clock_ticks = 100;
  self->header = g_strdup_printf ("<?xml version='1.0'?><stream:stream to='%s' version='1.0' "
                                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
                                  self->domain);
  self->read_buffer = g_malloc (READ_BUFFER_SIZE);
  /* Body: "bench SEQ TIME " then filler up to --body-size. */
  self->padding = g_malloc (MAX (self->body_size - 24, 0) + 1);
  for (int i = 0; i < self->body_size - 24; i++)
    self->padding[i] = "lorem ipsum dolor sit amet consectetur "[i % 39];
  self->padding[MAX (self->body_size - 24, 0)] = '\0';
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  self->dirty = g_ptr_array_new ();
  self->deadline_us = g_get_monotonic_time () + (gint64) self->timeout_s * G_USEC_PER_SEC;

  n_conns = self->command == COMMAND_MESSAGES ? 2 * self->pairs : self->count;
  self->conns = g_ptr_array_new_full (n_conns, conn_free);
  self->login_us = g_new (guint32, MAX (n_conns, 1));
  for (int i = 0; i < n_conns; i++)
    {
      Conn *c = g_new0 (Conn, 1);

      c->bench = self;
      c->index = i;
      c->fd = -1;
      c->local = g_strdup_printf ("%s%d", self->prefix, i + 1);
      c->out = g_string_sized_new (512);
      g_ptr_array_add (self->conns, c);
    }

  switch (self->command)
    {
    case COMMAND_REGISTER:
      begin_logins (self, register_done);
      break;
    case COMMAND_MESSAGES:
      self->expected = 2 * (guint64) self->pairs * (guint64) self->messages;
      /* With --duration, latencies of the first 4M messages. */
      self->latency_capacity = self->duration_s > 0 ? 4 * 1024 * 1024 : MAX (self->expected, 1);
      self->latencies_us = g_new (guint32, self->latency_capacity);
      setup_pairs (self);
      begin_logins (self, messages_logged_in);
      break;
    case COMMAND_IDLE:
      idle_start (self);
      break;
    default:
      g_assert_not_reached ();
    }

  run (self);

  if (self->timed_out && self->command == COMMAND_MESSAGES && self->rss_after_close < 0)
    messages_report (self);
  else if (self->timed_out && self->command == COMMAND_IDLE && self->rss_after_close < 0)
    idle_report (self);
  else if (self->timed_out && self->command == COMMAND_REGISTER)
    register_closed (self);

  if (self->scram_cache_file != NULL)
    scram_cache_save (self->scram_cache_file);
  g_clear_pointer (&scram_cache, g_hash_table_unref);

  g_ptr_array_unref (self->conns);
  g_ptr_array_unref (self->dirty);
  g_array_unref (self->samples);
  gnutls_certificate_free_credentials (self->credentials);
  gnutls_priority_deinit (self->priority);
  gnutls_global_deinit ();
  close (self->epfd);
  g_free (self->latencies_us);
  g_free (self->login_us);
  g_free (self->padding);
  g_free (self->read_buffer);
  g_free (self->header);
  g_free (self->first_error);
  g_free (self->mechanism);
  g_free (self->host);
  g_free (self->domain);
  g_free (self->fingerprint);
  g_free (self->prefix);
  g_free (self->password);
  g_free (self->resource);
  g_free (self->scram_cache_file);
  return self->exit_status;
}
