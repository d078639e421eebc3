/* srv-server.c: the SrvServer
 *
 * Owns the listening sockets (the STARTTLS port and the direct TLS port
 * on each listen address), the connections, the table of bound sessions
 * (bare JID → sessions) and of resumable ones (SM-ID → session), and the
 * registries modules fill (iq handlers by namespace, presence handlers,
 * hooks, filters, disco features).  Everything runs on the main context
 * of the thread that calls srv_server_start().
 *
 * Event loop: every socket (listeners and connections) is in one epoll
 * set, and that set is a single fd in the GLib main loop; a wake-up
 * dispatches the ready sockets (level-triggered), then flushes the output
 * they produced.  So a main-loop iteration costs O(ready sockets), not
 * O(connections) as one GSource per connection would.
 *
 * Timers: one tick a second walks the connections (pre-auth timeout, idle
 * pings, XEP-0198 ack requests, idle parsers, lingering closes) and the
 * detached sessions (resumption window), so an idle session costs no
 * GSource of its own.  Output written outside an epoll batch (timers,
 * shutdown) is flushed by one idle callback.
 *
 * Group commit: the storage batches every write of an iteration into one
 * open transaction (srv_storage_set_batching), and _srv_server_commit()
 * ends it before any output is written (_srv_server_flush and
 * _srv_connection_flush call it first), so nothing is acknowledged,
 * answered or delivered before it is on disk, at the price of one fsync
 * an iteration instead of one a write.  Every main-loop callback that can
 * write ends with a flush, hence a commit, even when it produced no output.
 *
 * A failed commit (a full disk, an I/O error) loses the whole batch.
 * Whoever wrote into it was noted (the storage reports every write, and
 * _srv_server_set_handling names the connection whose element is being
 * handled: storage_write_cb), and nothing queued for a socket since
 * the last commit has gone out: those connections drop that output and
 * close with <internal-server-error/>, ending their sessions without
 * resumption, so a client never holds an <a h/> or a result for a lost
 * write and resends what it had not seen acknowledged.
 */
#define _GNU_SOURCE   /* accept4 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <glib-unix.h>

#include "srv-server-private.h"
#include "srv-tls.h"

#define SHUTDOWN_GRACE_SECONDS 3
/* How long a shutdown waits for the clients' XEP-0198 acknowledgements. */
#define SHUTDOWN_ACK_MS        500
/* During a burst of logins (see quiet_cb): sweep this often, drop the
 * parsers of new sessions silent for this long; the burst is over when
 * no login came for BURST_END_MS. */
#define QUIET_MS               100
#define FRESH_IDLE_MS          100
#define BURST_END_MS           250
/* Trim at least this often while logins keep coming. */
#define TRIM_INTERVAL_SECONDS  30
#define MAX_EVENTS             256
#define ACCEPT_BATCH           64

struct _SrvListener
{
  SrvWatch   watch;
  SrvServer *server;
  GSocket   *socket;
  gboolean   direct_tls;
  gint64     paused_until;    /* out of descriptors: retry later */
};

typedef struct
{
  double tokens;
  gint64 time;
} SrvThrottle;

/* A connection (and the session it had) that wrote into the open batch. */
typedef struct
{
  SrvConnection *conn;
  SrvSession    *session;    /* NULL before SASL */
  guint64        gen;
} SrvBatchWriter;

static void register_core_handlers (SrvServer *self);
static void note_login (SrvServer *self);
static void storage_write_cb (gpointer user_data);

static void
batch_writer_free (SrvBatchWriter *writer)
{
  _srv_connection_unref (writer->conn);
  g_clear_pointer (&writer->session, srv_session_unref);
  g_free (writer);
}

gint64
_srv_now (void)
{
  return g_get_monotonic_time ();
}

/* --- life cycle ---------------------------------------------------- */

static gboolean
epoll_cb (gint         fd,
          GIOCondition condition,
          gpointer     user_data)
{
  SrvServer *self = user_data;
  struct epoll_event events[MAX_EVENTS];
  int n;

  n = epoll_wait (self->epoll_fd, events, MAX_EVENTS, 0);
  /* A handler may destroy another connection of the same batch. */
  for (int i = 0; i < n; i++)
    {
      SrvWatch *watch = events[i].data.ptr;

      if (watch->is_connection)
        _srv_connection_ref (watch->data);
    }
  for (int i = 0; i < n; i++)
    {
      SrvWatch *watch = events[i].data.ptr;

      watch->func (watch->data, events[i].events);
    }
  for (int i = 0; i < n; i++)
    {
      SrvWatch *watch = events[i].data.ptr;

      if (watch->is_connection)
        _srv_connection_unref (watch->data);
    }
  _srv_server_flush (self);
  return G_SOURCE_CONTINUE;
}

void
_srv_server_watch (SrvServer *self,
                   int        fd,
                   guint32    events,
                   SrvWatch  *watch,
                   gboolean   add)
{
  struct epoll_event event = { 0, };

  event.events = events;
  event.data.ptr = watch;
  if (epoll_ctl (self->epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) != 0)
    g_warning ("epoll_ctl (%d): %s", fd, g_strerror (errno));
}

void
_srv_server_unwatch (SrvServer *self,
                     int        fd)
{
  epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

SrvServer *
srv_server_new (SrvConfig      *config,
                SrvStorage     *storage,
                SrvTlsContext  *tls,
                GError        **error)
{
  SrvServer *self;
  int epoll_fd;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->domain != NULL, NULL);
  g_return_val_if_fail (storage != NULL, NULL);
  g_return_val_if_fail (tls != NULL, NULL);

  epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (epoll_fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "epoll: %s", g_strerror (saved));
      return NULL;
    }

  self = g_new0 (SrvServer, 1);
  self->config = config;
  self->domain = g_strdup (config->domain);
  self->storage = storage;
  srv_storage_set_batching (storage, TRUE);
  srv_storage_set_offline_limit (storage, config->max_offline_messages);
  srv_storage_set_write_func (storage, storage_write_cb, self);
  self->tls = tls;
  self->epoll_fd = epoll_fd;
  self->epoll_id = g_unix_fd_add (epoll_fd, G_IO_IN, epoll_cb, self);
  self->listeners = g_ptr_array_new ();
  self->listening = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&self->connections);
  g_queue_init (&self->detached);
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_ptr_array_unref);
  self->sm_sessions = g_hash_table_new (g_str_hash, g_str_equal);
  self->empty = g_ptr_array_new ();
  self->iq_handlers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_array_unref);
  self->session_ended_hooks = g_array_new (FALSE, FALSE, sizeof (SrvHandlerEntry));
  self->message_hooks = g_array_new (FALSE, FALSE, sizeof (SrvHandlerEntry));
  self->filters = g_array_new (FALSE, FALSE, sizeof (SrvHandlerEntry));
  self->features = g_ptr_array_new_with_free_func (g_free);
  self->auth_throttle = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->dirty = g_ptr_array_new ();
  self->commit_gen = 1;
  self->last_trim = _srv_now ();
  self->batch_writers = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_writer_free);
  self->failed_writers = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_writer_free);
  self->fresh = g_ptr_array_new_with_free_func ((GDestroyNotify) _srv_connection_unref);

  srv_server_add_feature (self, SRV_NS_DISCO_INFO);
  srv_server_add_feature (self, SRV_NS_DISCO_ITEMS);
  srv_server_add_feature (self, SRV_NS_PING);
  srv_server_add_feature (self, "msgoffline");
  srv_server_add_feature (self, "urn:xmpp:sid:0");
  srv_server_add_feature (self, SRV_NS_VERSION);
  if (config->allow_registration)
    srv_server_add_feature (self, SRV_NS_REGISTER);
  register_core_handlers (self);

  return self;
}

static void
listener_cb (gpointer data,
             guint32  events)
{
  SrvListener *listener = data;
  SrvServer *self = listener->server;
  int listen_fd = g_socket_get_fd (listener->socket);

  for (int i = 0; i < ACCEPT_BATCH; i++)
    {
      struct sockaddr_storage address;
      socklen_t address_len = sizeof address;
      char host[INET6_ADDRSTRLEN] = "unknown";
      int one = 1;
      int fd;

      fd = accept4 (listen_fd, (struct sockaddr *) &address, &address_len,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            {
              /* Level-triggered: stop listening a moment instead of
               * spinning; the tick listens again. */
              g_warning ("Cannot accept connections: %s", g_strerror (errno));
              listener->paused_until = _srv_now () + G_USEC_PER_SEC;
              _srv_server_unwatch (self, listen_fd);
            }
          return;
        }

      if (self->shutting_down || self->connections.length >= self->config->max_connections)
        {
          g_info ("Refusing a connection: %u connections open", self->connections.length);
          close (fd);
          continue;
        }

      self->accepted++;
      note_login (self);
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt (fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      if (address.ss_family == AF_INET)
        inet_ntop (AF_INET, &((struct sockaddr_in *) &address)->sin_addr, host, sizeof host);
      else if (address.ss_family == AF_INET6)
        inet_ntop (AF_INET6, &((struct sockaddr_in6 *) &address)->sin6_addr, host, sizeof host);
      _srv_connection_new (self, fd, host, listener->direct_tls);
    }
}

static char *
describe_address (GInetSocketAddress *address)
{
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  guint16 port = g_inet_socket_address_get_port (address);

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

/* Binds @port (0 = a free one, the same on every address) on each
 * listen address. */
static gboolean
listen_on (SrvServer       *self,
           gint             port,
           gboolean         direct_tls,
           GError         **error)
{
  guint16 bound_port = (guint16) port;

  for (guint i = 0; self->config->listen[i] != NULL; i++)
    {
      const char *text = self->config->listen[i];
      g_autofree char *host = g_strdup (text);
      g_autoptr(GInetAddress) inet = NULL;
      g_autoptr(GSocketAddress) address = NULL;
      g_autoptr(GSocketAddress) effective = NULL;
      g_autoptr(GSocket) socket = NULL;
      g_autofree char *description = NULL;
      SrvListener *listener;

      g_strstrip (host);
      if (host[0] == '[' && host[strlen (host) - 1] == ']')
        {
          host[strlen (host) - 1] = '\0';
          memmove (host, host + 1, strlen (host));
        }
      inet = g_inet_address_new_from_string (host);
      if (inet == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an IP address to listen on", text);
          return FALSE;
        }
      address = g_inet_socket_address_new (inet, bound_port);
      socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, error);
      if (socket == NULL)
        return FALSE;
      g_socket_set_blocking (socket, FALSE);
      g_socket_set_listen_backlog (socket, 1024);
      if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
        {
          g_prefix_error (error, "Cannot listen on %s port %u: ", host, bound_port);
          return FALSE;
        }
      effective = g_socket_get_local_address (socket, error);
      if (effective == NULL)
        return FALSE;
      bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
      description = describe_address (G_INET_SOCKET_ADDRESS (effective));
      g_ptr_array_add (self->listening, g_strdup_printf ("%s (%s)", description,
                                                         direct_tls ? "direct TLS" : "STARTTLS"));

      listener = g_new0 (SrvListener, 1);
      listener->watch.func = listener_cb;
      listener->watch.data = listener;
      listener->server = self;
      listener->socket = g_steal_pointer (&socket);
      listener->direct_tls = direct_tls;
      g_ptr_array_add (self->listeners, listener);
    }
  return TRUE;
}

static gboolean tick_cb (gpointer user_data);

gboolean
srv_server_start (SrvServer  *self,
                  GError    **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!listen_on (self, self->config->c2s_port, FALSE, error))
    return FALSE;
  if (self->config->direct_tls_port != 0)
    {
      gint port = self->config->direct_tls_port == SRV_PORT_AUTO ? 0 : self->config->direct_tls_port;

      if (!listen_on (self, port, TRUE, error))
        return FALSE;
    }
  for (guint i = 0; i < self->listeners->len; i++)
    {
      SrvListener *listener = g_ptr_array_index (self->listeners, i);

      _srv_server_watch (self, g_socket_get_fd (listener->socket), EPOLLIN, &listener->watch, TRUE);
    }

  self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
  return TRUE;
}

char *
srv_server_describe_listeners (SrvServer *self)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < self->listening->len; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      g_string_append (out, g_ptr_array_index (self->listening, i));
    }
  return g_string_free (out, FALSE);
}

const char *
srv_server_get_fingerprint (SrvServer *self)
{
  return srv_tls_context_get_fingerprint (self->tls);
}

static void
stop_listening (SrvServer *self)
{
  for (guint i = 0; i < self->listeners->len; i++)
    {
      SrvListener *listener = g_ptr_array_index (self->listeners, i);

      _srv_server_unwatch (self, g_socket_get_fd (listener->socket));
      g_socket_close (listener->socket, NULL);
      g_object_unref (listener->socket);
      g_free (listener);
    }
  g_ptr_array_set_size (self->listeners, 0);
}

static void
shutdown_finished (SrvServer *self)
{
  GSourceFunc done = g_steal_pointer (&self->shutdown_done);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  if (done != NULL)
    done (self->shutdown_data);
}

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  SrvServer *self = user_data;

  self->shutdown_timeout_id = 0;
  g_info ("%u connections still closing; stopping anyway", self->connections.length);
  shutdown_finished (self);
  return G_SOURCE_REMOVE;
}

/* The bound sessions (a reference each). */
static GPtrArray *
list_sessions (SrvServer *self)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_session_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GPtrArray *sessions = value;

      for (guint i = 0; i < sessions->len; i++)
        g_ptr_array_add (all, srv_session_ref (g_ptr_array_index (sessions, i)));
    }
  return all;
}

static void finish_shutdown (SrvServer *self);

static void
finish_shutdown_cb (gpointer user_data)
{
  finish_shutdown (user_data);
}

static gboolean
shutdown_acks_cb (gpointer user_data)
{
  SrvServer *self = user_data;

  self->shutdown_acks_id = 0;
  g_info ("%u sessions did not acknowledge in time", self->shutdown_acks_awaited);
  finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

void
_srv_server_shutdown_acked (SrvServer  *self,
                            SrvSession *session)
{
  if (!session->shutdown_asked)
    return;
  session->shutdown_asked = FALSE;
  if (--self->shutdown_acks_awaited == 0 && self->shutdown_acks_id != 0)
    {
      g_clear_handle_id (&self->shutdown_acks_id, g_source_remove);
      /* Not from inside the handler of that <a/>. */
      self->shutdown_acks_id = g_idle_add_once (finish_shutdown_cb, self);
    }
}

void
srv_server_shutdown (SrvServer   *self,
                     GSourceFunc  done,
                     gpointer     user_data)
{
  g_autoptr(GPtrArray) sessions = NULL;

  g_return_if_fail (self != NULL);

  if (self->shutting_down)
    return;
  self->shutting_down = TRUE;
  self->shutdown_done = done;
  self->shutdown_data = user_data;
  g_info ("Shutting down");

  /* The tick keeps running: it ends the lingering closes below. */
  stop_listening (self);

  /* XEP-0198: what a client received but did not acknowledge yet would
   * go to offline storage when its session ends, and reach it a second
   * time after the restart.  So first ask for the acknowledgements, and
   * wait for them a moment. */
  sessions = list_sessions (self);
  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);

      if (!session->sm_enabled || session->conn == NULL || session->unacked.length == 0)
        continue;
      _srv_connection_write_raw (session->conn, "<r xmlns='" SRV_NS_SM "'/>", -1);
      session->ack_pending = TRUE;
      session->shutdown_asked = TRUE;
      self->shutdown_acks_awaited++;
    }
  if (self->shutdown_acks_awaited > 0)
    {
      g_debug ("Waiting for %u sessions to acknowledge", self->shutdown_acks_awaited);
      _srv_server_flush (self);
      self->shutdown_acks_id = g_timeout_add (SHUTDOWN_ACK_MS, shutdown_acks_cb, self);
      return;
    }
  finish_shutdown (self);
}

static void
finish_shutdown (SrvServer *self)
{
  GPtrArray *users;
  GList *conns;

  self->shutdown_acks_id = 0;

  /* End every session first, while the streams are still open, so the
   * unavailable broadcasts reach the others; then close every stream. */
  while (self->detached.length > 0)
    _srv_server_end_session (self, g_queue_peek_head (&self->detached));

  users = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_session_unref);
  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->users);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        GPtrArray *sessions = value;

        for (guint i = 0; i < sessions->len; i++)
          g_ptr_array_add (users, srv_session_ref (g_ptr_array_index (sessions, i)));
      }
  }
  for (guint i = 0; i < users->len; i++)
    _srv_server_end_session (self, g_ptr_array_index (users, i));
  g_ptr_array_unref (users);

  conns = g_list_copy_deep (self->connections.head, (GCopyFunc) _srv_connection_ref, NULL);
  for (GList *l = conns; l != NULL; l = l->next)
    _srv_connection_close (l->data, XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN, NULL);
  g_list_free_full (conns, (GDestroyNotify) _srv_connection_unref);
  _srv_server_flush (self);

  if (self->connections.length == 0)
    shutdown_finished (self);
  else
    self->shutdown_timeout_id = g_timeout_add_seconds (SHUTDOWN_GRACE_SECONDS, shutdown_timeout_cb, self);
}

void
srv_server_free (SrvServer *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self == NULL)
    return;

  stop_listening (self);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->quiet_id, g_source_remove);
  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_acks_id, g_source_remove);

  while (self->connections.length > 0)
    _srv_connection_abort (g_queue_peek_head (&self->connections));
  for (guint i = 0; i < self->dirty->len; i++)
    _srv_connection_unref (g_ptr_array_index (self->dirty, i));
  g_ptr_array_unref (self->dirty);
  g_ptr_array_unref (self->batch_writers);
  g_ptr_array_unref (self->failed_writers);
  g_ptr_array_unref (self->fresh);

  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_foreach (value, (GFunc) srv_session_unref, NULL);
  g_hash_table_unref (self->users);
  g_hash_table_iter_init (&iter, self->sm_sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    srv_session_unref (value);
  g_hash_table_unref (self->sm_sessions);
  g_queue_clear (&self->detached);

  g_ptr_array_unref (self->empty);
  g_hash_table_unref (self->iq_handlers);
  g_array_unref (self->session_ended_hooks);
  g_array_unref (self->message_hooks);
  g_array_unref (self->filters);
  g_ptr_array_unref (self->features);
  g_hash_table_unref (self->auth_throttle);
  g_ptr_array_unref (self->listening);
  g_ptr_array_unref (self->listeners);
  g_clear_handle_id (&self->epoll_id, g_source_remove);
  close (self->epoll_fd);
  /* Commits what is pending; the storage outlives the server. */
  srv_storage_set_write_func (self->storage, NULL, NULL);
  srv_storage_set_batching (self->storage, FALSE);
  g_free (self->domain);
  g_free (self);
}

/* --- connections, output ------------------------------------------- */

void
_srv_server_add_connection (SrvServer     *self,
                            SrvConnection *conn)
{
  g_queue_push_tail (&self->connections, conn);
}

void
_srv_server_connection_gone (SrvServer     *self,
                             SrvConnection *conn)
{
  if (!g_queue_remove (&self->connections, conn))
    return;
  _srv_connection_unref (conn);
  if (self->shutting_down && self->connections.length == 0 && self->shutdown_done != NULL)
    shutdown_finished (self);
}

void
_srv_server_set_handling (SrvServer     *self,
                          SrvConnection *conn,
                          SrvSession    *session)
{
  self->handling = conn;
  self->handling_session = session;
}

/* The storage writes: the connection being handled, if any, is a writer
 * of the open batch. */
static void
storage_write_cb (gpointer user_data)
{
  SrvServer *self = user_data;
  SrvBatchWriter *writer;

  if (self->handling == NULL)
    return;
  /* A stanza writes a few rows, and a batch has few writers. */
  for (guint i = self->batch_writers->len; i > 0; i--)
    {
      writer = g_ptr_array_index (self->batch_writers, i - 1);
      if (writer->conn == self->handling && writer->session == self->handling_session)
        return;
    }
  writer = g_new (SrvBatchWriter, 1);
  writer->conn = _srv_connection_ref (self->handling);
  writer->session = self->handling_session != NULL ? srv_session_ref (self->handling_session) : NULL;
  writer->gen = self->commit_gen;
  g_ptr_array_add (self->batch_writers, writer);
}

/* Take back what the writers of a lost batch were told (top comment). */
static void
fail_writers (SrvServer *self)
{
  while (self->failed_writers->len > 0)
    {
      g_autoptr(GPtrArray) writers = self->failed_writers;
      g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) _srv_connection_unref);

      self->failed_writers = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_writer_free);

      /* First drop every writer's uncommitted output, before closing any
       * of them queues more (unavailable presence) for the others. */
      for (guint i = 0; i < writers->len; i++)
        {
          SrvBatchWriter *writer = g_ptr_array_index (writers, i);
          SrvConnection *target = writer->conn;

          /* The session may have moved to another connection since
           * (resumed), which then acknowledged with the same count. */
          if (writer->session != NULL && writer->session->conn != NULL)
            target = writer->session->conn;
          if (_srv_connection_is_alive (target))
            {
              _srv_connection_drop_uncommitted (target, writer->gen);
              g_ptr_array_add (targets, _srv_connection_ref (target));
            }
        }
      for (guint i = 0; i < targets->len; i++)
        _srv_connection_fail (g_ptr_array_index (targets, i));
      /* A session waiting for resumption would resume with a count that
       * covers the lost stanzas: it ends instead. */
      for (guint i = 0; i < writers->len; i++)
        {
          SrvBatchWriter *writer = g_ptr_array_index (writers, i);

          if (writer->session != NULL && writer->session->bound && !writer->session->ended)
            _srv_server_end_session (self, writer->session);
        }
    }
}

/* Ends the storage's open transaction (group commit): called before any
 * output is written. */
void
_srv_server_commit (SrvServer *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = srv_storage_commit (self->storage, &error);
  self->commit_gen++;
  if (ok)
    {
      if (self->batch_writers->len > 0)
        g_ptr_array_set_size (self->batch_writers, 0);
      return;
    }

  g_warning ("Cannot store the last changes: %s", error->message);
  if (self->batch_writers->len > 0)
    g_info ("Closing %u connection(s) whose stanzas were not stored", self->batch_writers->len);
  g_ptr_array_extend_and_steal (self->failed_writers, g_steal_pointer (&self->batch_writers));
  self->batch_writers = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_writer_free);
  /* Closing them commits again (their sessions end): not from inside. */
  if (self->failing_batch)
    return;
  self->failing_batch = TRUE;
  fail_writers (self);
  self->failing_batch = FALSE;
}

void
_srv_server_flush (SrvServer *self)
{
  /* Before anything goes out, even when nothing does. */
  _srv_server_commit (self);
  /* Flushing can queue output for others (a lost connection ends a
   * session, whose hooks broadcast): repeat until nothing is left. */
  for (guint round = 0; self->dirty->len > 0 && round < 16; round++)
    {
      GPtrArray *dirty = self->dirty;

      _srv_server_commit (self);
      self->dirty = g_ptr_array_new ();
      for (guint i = 0; i < dirty->len; i++)
        {
          SrvConnection *conn = g_ptr_array_index (dirty, i);

          _srv_connection_flush (conn);
          _srv_connection_unref (conn);
        }
      g_ptr_array_unref (dirty);
    }
}

static gboolean
flush_cb (gpointer user_data)
{
  SrvServer *self = user_data;

  self->flush_id = 0;
  _srv_server_flush (self);
  if (self->dirty->len > 0 && self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_cb, self, NULL);
  return G_SOURCE_REMOVE;
}

void
_srv_server_schedule_flush (SrvServer     *self,
                            SrvConnection *conn)
{
  g_ptr_array_add (self->dirty, _srv_connection_ref (conn));
  if (self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_cb, self, NULL);
}

/* --- the tick ------------------------------------------------------ */

/* glibc keeps the free pages in the middle of the heap resident unless
 * asked: give them back once enough parsers went (not while logins pour
 * in, unless they never stop: their pages would be faulted back). */
static void
trim_heap (SrvServer  *self,
           gint64      now,
           const char *why)
{
  guint released = self->released_parsers;

  if (released < 16)
    return;
  self->released_parsers = 0;
  self->last_trim = now;
#ifdef __GLIBC__
  malloc_trim (0);
  g_debug ("Heap trimmed (%s) after %u idle sessions released their parser", why, released);
#else
  (void) why;
#endif
}

/* A burst of logins (a restart of the server, a network coming back)
 * fills the heap with what the handshakes allocate: TLS records, key
 * exchanges, SASL, and a parser (~14 KB) for each new session until it
 * is silent at a tick.  While logins come, this runs every QUIET_MS over
 * the sessions bound since the burst began and drops the parsers of
 * those silent for FRESH_IDLE_MS, so that few parsers sit between the
 * long-lived allocations; once logins stop, the free pages go back to
 * the system at once rather than at the next ticks: idle sessions are
 * what memory is measured by. */
static gboolean
quiet_cb (gpointer user_data)
{
  SrvServer *self = user_data;
  gint64 now = _srv_now ();

  for (guint i = self->fresh->len; i > 0; i--)
    {
      SrvConnection *conn = g_ptr_array_index (self->fresh, i - 1);

      if (_srv_connection_release_parser (conn, now, FRESH_IDLE_MS * 1000))
        self->released_parsers++;
      if (!_srv_connection_has_parser (conn))
        g_ptr_array_remove_index_fast (self->fresh, i - 1);
    }
  if (now - self->last_login < BURST_END_MS * 1000)
    return G_SOURCE_CONTINUE;
  /* The ones still talking are the tick's again. */
  g_ptr_array_set_size (self->fresh, 0);
  self->quiet_id = 0;
  trim_heap (self, now, "logins stopped");
  return G_SOURCE_REMOVE;
}

static void
note_login (SrvServer *self)
{
  self->last_login = _srv_now ();
  if (self->quiet_id == 0)
    self->quiet_id = g_timeout_add (QUIET_MS, quiet_cb, self);
}

static gboolean
tick_cb (gpointer user_data)
{
  SrvServer *self = user_data;
  gint64 now = _srv_now ();
  GList *conns;

  conns = g_list_copy_deep (self->connections.head, (GCopyFunc) _srv_connection_ref, NULL);
  for (GList *l = conns; l != NULL; l = l->next)
    _srv_connection_tick (l->data, now);
  g_list_free_full (conns, (GDestroyNotify) _srv_connection_unref);
  _srv_server_flush (self);

  /* Idle connections just gave back their parsers (srv-connection.c). */
  if (self->accepted == 0 || now - self->last_trim > TRIM_INTERVAL_SECONDS * G_USEC_PER_SEC)
    trim_heap (self, now, "tick");
  self->accepted = 0;

  for (guint i = 0; i < self->listeners->len; i++)
    {
      SrvListener *listener = g_ptr_array_index (self->listeners, i);

      if (listener->paused_until != 0 && listener->paused_until <= now)
        {
          listener->paused_until = 0;
          _srv_server_watch (self, g_socket_get_fd (listener->socket), EPOLLIN, &listener->watch, TRUE);
        }
    }

  /* Detached sessions whose resumption window closed. */
  if (self->detached.length > 0)
    {
      GList *expired = NULL;

      for (GList *l = self->detached.head; l != NULL; l = l->next)
        {
          SrvSession *session = l->data;

          if (session->detached_until <= now)
            expired = g_list_prepend (expired, srv_session_ref (session));
        }
      for (GList *l = expired; l != NULL; l = l->next)
        {
          SrvSession *session = l->data;

          g_info ("%s: resumption window closed", xmpp_jid_to_string (session->jid));
          _srv_server_end_session (self, session);
        }
      g_list_free_full (expired, (GDestroyNotify) srv_session_unref);
    }

  /* Forget addresses whose bucket is full again. */
  if (g_hash_table_size (self->auth_throttle) > 0)
    {
      GHashTableIter iter;
      gpointer value;
      double per_minute = self->config->auth_failures_per_minute;

      g_hash_table_iter_init (&iter, self->auth_throttle);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          SrvThrottle *t = value;

          if (t->tokens + (double) (now - t->time) * per_minute / (60.0 * G_USEC_PER_SEC) >= per_minute)
            g_hash_table_iter_remove (&iter);
        }
    }

  return G_SOURCE_CONTINUE;
}

/* --- sessions ------------------------------------------------------ */

const char *
srv_server_get_domain (SrvServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->domain;
}

SrvStorage *
srv_server_get_storage (SrvServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->storage;
}

GPtrArray *
srv_server_get_sessions (SrvServer  *self,
                         const char *user)
{
  GPtrArray *sessions;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);

  sessions = g_hash_table_lookup (self->users, user);
  return sessions != NULL ? sessions : self->empty;
}

SrvSession *
srv_server_find_session (SrvServer *self,
                         XmppJid   *full_jid)
{
  GPtrArray *sessions;
  const char *resource;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (full_jid != NULL, NULL);

  resource = xmpp_jid_get_resource (full_jid);
  if (resource == NULL)
    return NULL;
  sessions = g_hash_table_lookup (self->users, xmpp_jid_get_bare_string (full_jid));
  if (sessions == NULL)
    return NULL;
  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);

      if (strcmp (xmpp_jid_get_resource (session->jid), resource) == 0)
        return session;
    }
  return NULL;
}

gboolean
_srv_server_resource_in_use (SrvServer  *self,
                             const char *user,
                             const char *resource)
{
  GPtrArray *sessions = g_hash_table_lookup (self->users, user);

  if (sessions == NULL)
    return FALSE;
  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *session = g_ptr_array_index (sessions, i);

      if (strcmp (xmpp_jid_get_resource (session->jid), resource) == 0)
        return TRUE;
    }
  return FALSE;
}

void
_srv_server_bind_session (SrvServer  *self,
                          SrvSession *session)
{
  const char *user = xmpp_jid_to_string (session->bare);
  GPtrArray *sessions = g_hash_table_lookup (self->users, user);

  if (sessions == NULL)
    {
      sessions = g_ptr_array_new ();
      g_hash_table_insert (self->users, g_strdup (user), sessions);
    }
  g_ptr_array_add (sessions, srv_session_ref (session));
  note_login (self);
  if (session->conn != NULL)
    g_ptr_array_add (self->fresh, _srv_connection_ref (session->conn));
}

void
_srv_server_register_sm (SrvServer  *self,
                         SrvSession *session)
{
  g_hash_table_insert (self->sm_sessions, session->sm_id, srv_session_ref (session));
}

SrvSession *
_srv_server_lookup_sm (SrvServer  *self,
                       const char *id)
{
  return g_hash_table_lookup (self->sm_sessions, id);
}

void
_srv_server_detach_session (SrvServer  *self,
                            SrvSession *session)
{
  session->conn = NULL;
  session->ack_pending = FALSE;
  session->detached_until = _srv_now () + (gint64) session->sm_max * G_USEC_PER_SEC;
  g_queue_push_tail (&self->detached, session);
  g_info ("%s: connection lost; resumable for %u s", xmpp_jid_to_string (session->jid),
          session->sm_max);
}

/* The fallback when no presence module is loaded: the account's other
 * resources learn that this one went away. */
static void
broadcast_own_unavailable (SrvServer  *self,
                           SrvSession *session)
{
  GPtrArray *sessions = srv_server_get_sessions (self, xmpp_jid_to_string (session->bare));
  g_autoptr(XmppElement) presence = xmpp_element_new (SRV_NS_CLIENT, "presence");

  xmpp_element_set_attribute (presence, "type", "unavailable");
  xmpp_element_set_attribute (presence, "from", xmpp_jid_to_string (session->jid));
  for (guint i = 0; i < sessions->len; i++)
    {
      SrvSession *other = g_ptr_array_index (sessions, i);

      if (other->available)
        srv_server_deliver (self, other, presence);
    }
}

void
_srv_server_end_session (SrvServer  *self,
                         SrvSession *session)
{
  GPtrArray *sessions;
  g_autoptr(GPtrArray) unacked = NULL;

  if (session->ended)
    return;
  session->ended = TRUE;
  srv_session_ref (session);
  _srv_server_shutdown_acked (self, session);

  if (session->detached_until != 0)
    {
      g_queue_remove (&self->detached, session);
      session->detached_until = 0;
    }
  if (session->sm_id != NULL && g_hash_table_remove (self->sm_sessions, session->sm_id))
    srv_session_unref (session);

  if (session->bound)
    {
      const char *user = xmpp_jid_to_string (session->bare);

      sessions = g_hash_table_lookup (self->users, user);
      if (sessions != NULL && g_ptr_array_remove_fast (sessions, session))
        {
          if (sessions->len == 0)
            g_hash_table_remove (self->users, user);
          srv_session_unref (session);
        }
      g_info ("%s: session ended", xmpp_jid_to_string (session->jid));
    }

  unacked = _srv_session_take_unacked (session);
  if (unacked->len > 0)
    _srv_router_reroute_unacked (self, session, unacked);

  if (self->presence_outbound == NULL && session->available && session->bound)
    broadcast_own_unavailable (self, session);

  for (guint i = 0; i < self->session_ended_hooks->len; i++)
    {
      SrvHandlerEntry *entry = &g_array_index (self->session_ended_hooks, SrvHandlerEntry, i);

      ((SrvSessionHook) entry->func) (self, session, entry->user_data);
    }

  srv_session_unref (session);
}

/* --- login throttling ---------------------------------------------- */

static void
refill (SrvServer   *self,
        SrvThrottle *t,
        gint64       now)
{
  double per_minute = self->config->auth_failures_per_minute;

  t->tokens = MIN (per_minute, t->tokens + (double) (now - t->time) * per_minute / (60.0 * G_USEC_PER_SEC));
  t->time = now;
}

gboolean
_srv_server_auth_allowed (SrvServer  *self,
                          const char *address)
{
  SrvThrottle *t;

  if (self->config->auth_failures_per_minute == 0)
    return TRUE;
  t = g_hash_table_lookup (self->auth_throttle, address);
  if (t == NULL)
    return TRUE;
  refill (self, t, _srv_now ());
  return t->tokens >= 1.0;
}

void
_srv_server_auth_failed (SrvServer  *self,
                         const char *address)
{
  SrvThrottle *t;

  if (self->config->auth_failures_per_minute == 0)
    return;
  t = g_hash_table_lookup (self->auth_throttle, address);
  if (t == NULL)
    {
      t = g_new (SrvThrottle, 1);
      t->tokens = self->config->auth_failures_per_minute;
      t->time = _srv_now ();
      g_hash_table_insert (self->auth_throttle, g_strdup (address), t);
    }
  refill (self, t, _srv_now ());
  t->tokens = MAX (t->tokens - 1.0, -1.0);
}

/* --- registries ---------------------------------------------------- */

void
srv_server_add_iq_handler (SrvServer    *self,
                           const char   *ns,
                           SrvIqHandler  handler,
                           gpointer      user_data)
{
  GArray *handlers;
  SrvHandlerEntry entry = { (gpointer) handler, user_data };

  g_return_if_fail (self != NULL);
  g_return_if_fail (ns != NULL);
  g_return_if_fail (handler != NULL);

  handlers = g_hash_table_lookup (self->iq_handlers, ns);
  if (handlers == NULL)
    {
      handlers = g_array_new (FALSE, FALSE, sizeof (SrvHandlerEntry));
      g_hash_table_insert (self->iq_handlers, g_strdup (ns), handlers);
    }
  g_array_append_val (handlers, entry);
}

void
srv_server_set_presence_handlers (SrvServer          *self,
                                  SrvPresenceHandler  outbound,
                                  SrvPresenceHandler  inbound,
                                  gpointer            user_data)
{
  g_return_if_fail (self != NULL);

  self->presence_outbound = outbound;
  self->presence_inbound = inbound;
  self->presence_data = user_data;
}

void
srv_server_add_session_ended_hook (SrvServer      *self,
                                   SrvSessionHook  hook,
                                   gpointer        user_data)
{
  SrvHandlerEntry entry = { (gpointer) hook, user_data };

  g_return_if_fail (self != NULL);
  g_return_if_fail (hook != NULL);
  g_array_append_val (self->session_ended_hooks, entry);
}

void
srv_server_add_message_hook (SrvServer      *self,
                             SrvMessageHook  hook,
                             gpointer        user_data)
{
  SrvHandlerEntry entry = { (gpointer) hook, user_data };

  g_return_if_fail (self != NULL);
  g_return_if_fail (hook != NULL);
  g_array_append_val (self->message_hooks, entry);
}

void
srv_server_add_filter (SrvServer       *self,
                       SrvStanzaFilter  filter,
                       gpointer         user_data)
{
  SrvHandlerEntry entry = { (gpointer) filter, user_data };

  g_return_if_fail (self != NULL);
  g_return_if_fail (filter != NULL);
  g_array_append_val (self->filters, entry);
}

void
srv_server_add_feature (SrvServer  *self,
                        const char *var)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (var != NULL);

  for (guint i = 0; i < self->features->len; i++)
    if (strcmp (g_ptr_array_index (self->features, i), var) == 0)
      return;
  g_ptr_array_add (self->features, g_strdup (var));
}

gboolean
_srv_server_dispatch_iq (SrvServer   *self,
                         SrvSession  *session,
                         XmppElement *iq)
{
  XmppElement *child = xmpp_element_next_child (iq, NULL);
  GArray *handlers;

  if (child == NULL)
    return FALSE;
  handlers = g_hash_table_lookup (self->iq_handlers, xmpp_element_get_namespace (child));
  if (handlers == NULL)
    return FALSE;
  for (guint i = 0; i < handlers->len; i++)
    {
      SrvHandlerEntry *entry = &g_array_index (handlers, SrvHandlerEntry, i);

      if (((SrvIqHandler) entry->func) (self, session, iq, entry->user_data))
        return TRUE;
    }
  return FALSE;
}

gboolean
_srv_server_run_filters (SrvServer   *self,
                         XmppElement *stanza)
{
  for (guint i = 0; i < self->filters->len; i++)
    {
      SrvHandlerEntry *entry = &g_array_index (self->filters, SrvHandlerEntry, i);

      if (((SrvStanzaFilter) entry->func) (self, stanza, entry->user_data))
        return TRUE;
    }
  return FALSE;
}

void
_srv_server_run_message_hooks (SrvServer   *self,
                               const char  *user,
                               gboolean     outgoing,
                               XmppElement *message)
{
  for (guint i = 0; i < self->message_hooks->len; i++)
    {
      SrvHandlerEntry *entry = &g_array_index (self->message_hooks, SrvHandlerEntry, i);

      ((SrvMessageHook) entry->func) (self, user, outgoing, message, entry->user_data);
    }
}

gboolean
_srv_server_is_local_domain (SrvServer  *self,
                             const char *domain)
{
  return domain != NULL && strcmp (domain, self->domain) == 0;
}

/* --- the server's own iq handlers ---------------------------------- */

/* TRUE when the iq is addressed to the server itself: no 'to' for
 * namespaces that only make sense for the server, or the domain. */
static gboolean
to_server (SrvServer   *self,
           XmppElement *iq,
           gboolean     allow_absent)
{
  const char *to = xmpp_element_get_attribute (iq, "to");

  if (to == NULL)
    return allow_absent;
  return strcmp (to, self->domain) == 0;
}

static void
reply (SrvServer   *self,
       SrvSession  *session,
       XmppElement *answer)
{
  srv_server_route (self, answer);
}

static gboolean
ping_handler (SrvServer   *self,
              SrvSession  *session,
              XmppElement *iq,
              gpointer     user_data)
{
  g_autoptr(XmppElement) result = NULL;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "get") != 0)
    return FALSE;
  /* The server, or the sender's own account (XEP-0199 §4.1: a ping to a
   * bare JID is answered by the server). */
  if (!to_server (self, iq, TRUE) && session == NULL)
    return FALSE;
  result = _srv_make_iq_result (iq);
  reply (self, session, result);
  return TRUE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
disco_info_handler (SrvServer   *self,
                    SrvSession  *session,
                    XmppElement *iq,
                    gpointer     user_data)
{
  g_autoptr(XmppElement) result = NULL;
  g_autoptr(GPtrArray) features = NULL;
  XmppElement *query, *identity;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "get") != 0 || !to_server (self, iq, FALSE))
    return FALSE;

  if (xmpp_element_get_attribute (xmpp_element_next_child (iq, NULL), "node") != NULL)
    {
      srv_server_bounce (self, iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, NULL);
      return TRUE;
    }

  result = _srv_make_iq_result (iq);
  query = xmpp_element_add_child_new (result, SRV_NS_DISCO_INFO, "query");
  identity = xmpp_element_add_child_new (query, NULL, "identity");
  xmpp_element_set_attribute (identity, "category", "server");
  xmpp_element_set_attribute (identity, "type", "im");
  xmpp_element_set_attribute (identity, "name", "messenger-server");

  features = g_ptr_array_copy (self->features, NULL, NULL);
  /* The copy borrows the strings: it must not free them. */
  g_ptr_array_set_free_func (features, NULL);
  g_ptr_array_sort (features, compare_strings);
  for (guint i = 0; i < features->len; i++)
    {
      XmppElement *feature = xmpp_element_add_child_new (query, NULL, "feature");

      xmpp_element_set_attribute (feature, "var", g_ptr_array_index (features, i));
    }
  reply (self, session, result);
  return TRUE;
}

static gboolean
disco_items_handler (SrvServer   *self,
                     SrvSession  *session,
                     XmppElement *iq,
                     gpointer     user_data)
{
  g_autoptr(XmppElement) result = NULL;
  XmppElement *query;
  const char *node;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "get") != 0 || !to_server (self, iq, FALSE))
    return FALSE;

  result = _srv_make_iq_result (iq);
  query = xmpp_element_add_child_new (result, SRV_NS_DISCO_ITEMS, "query");
  node = xmpp_element_get_attribute (xmpp_element_next_child (iq, NULL), "node");
  if (node != NULL)
    xmpp_element_set_attribute (query, "node", node);
  reply (self, session, result);
  return TRUE;
}

static gboolean
version_handler (SrvServer   *self,
                 SrvSession  *session,
                 XmppElement *iq,
                 gpointer     user_data)
{
  g_autoptr(XmppElement) result = NULL;
  XmppElement *query;

  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "get") != 0 || !to_server (self, iq, FALSE))
    return FALSE;

  result = _srv_make_iq_result (iq);
  query = xmpp_element_add_child_new (result, SRV_NS_VERSION, "query");
  xmpp_element_add_child_with_text (query, NULL, "name", "messenger-server");
  xmpp_element_add_child_with_text (query, NULL, "version", PACKAGE_VERSION);
  reply (self, session, result);
  return TRUE;
}

static gboolean
session_handler (SrvServer   *self,
                 SrvSession  *session,
                 XmppElement *iq,
                 gpointer     user_data)
{
  g_autoptr(XmppElement) result = NULL;

  /* RFC 3921 §3 session establishment: a no-op kept for old clients. */
  if (g_strcmp0 (xmpp_element_get_attribute (iq, "type"), "set") != 0 || session == NULL)
    return FALSE;
  result = _srv_make_iq_result (iq);
  reply (self, session, result);
  return TRUE;
}

static gboolean
bind_handler (SrvServer   *self,
              SrvSession  *session,
              XmppElement *iq,
              gpointer     user_data)
{
  if (session == NULL)
    return FALSE;
  srv_server_bounce (self, iq, XMPP_STANZA_ERROR_NOT_ALLOWED, "A resource is already bound");
  return TRUE;
}

static gboolean
close_account_sessions_cb (gpointer user_data)
{
  SrvServer *self = ((gpointer *) user_data)[0];
  char *user = ((gpointer *) user_data)[1];
  GPtrArray *sessions = srv_server_get_sessions (self, user);
  g_autoptr(GPtrArray) copy = g_ptr_array_copy (sessions, (GCopyFunc) srv_session_ref, NULL);

  g_ptr_array_set_free_func (copy, (GDestroyNotify) srv_session_unref);
  for (guint i = 0; i < copy->len; i++)
    {
      SrvSession *session = g_ptr_array_index (copy, i);

      if (session->conn != NULL)
        _srv_connection_close (session->conn, XMPP_STREAM_ERROR_NOT_AUTHORIZED, "The account was removed");
      else
        _srv_server_end_session (self, session);
    }
  _srv_server_flush (self);
  g_free (user);
  g_free (user_data);
  return G_SOURCE_REMOVE;
}

/* XEP-0077 once authenticated: the form, password change, cancellation. */
static gboolean
register_handler (SrvServer   *self,
                  SrvSession  *session,
                  XmppElement *iq,
                  gpointer     user_data)
{
  const char *type = xmpp_element_get_attribute (iq, "type");
  XmppElement *query = xmpp_element_next_child (iq, NULL);
  const char *local;
  g_autoptr(XmppElement) result = NULL;
  g_autoptr(GError) error = NULL;

  if (session == NULL || !to_server (self, iq, TRUE))
    return FALSE;
  local = xmpp_jid_get_local (session->bare);

  if (g_strcmp0 (type, "get") == 0)
    {
      XmppElement *q;

      result = _srv_make_iq_result (iq);
      q = xmpp_element_add_child_new (result, SRV_NS_REGISTER, "query");
      xmpp_element_add_child_new (q, NULL, "registered");
      xmpp_element_add_child_with_text (q, NULL, "username", local);
      xmpp_element_add_child_new (q, NULL, "password");
      reply (self, session, result);
      return TRUE;
    }

  if (xmpp_element_find_child (query, NULL, "remove") != NULL)
    {
      gpointer *data;

      if (xmpp_element_next_child (query, xmpp_element_find_child (query, NULL, "remove")) != NULL ||
          xmpp_element_next_child (query, NULL) != xmpp_element_find_child (query, NULL, "remove"))
        {
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_BAD_REQUEST, NULL);
          return TRUE;
        }
      if (!srv_storage_remove_account (self->storage, local, &error))
        {
          g_warning ("Cannot remove %s: %s", xmpp_jid_to_string (session->bare), error->message);
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
          return TRUE;
        }
      g_info ("%s: account removed", xmpp_jid_to_string (session->bare));
      result = _srv_make_iq_result (iq);
      reply (self, session, result);
      /* XEP-0077 §3.2: then every session of the account ends. */
      data = g_new (gpointer, 2);
      data[0] = self;
      data[1] = g_strdup (xmpp_jid_to_string (session->bare));
      g_idle_add (close_account_sessions_cb, data);
      return TRUE;
    }
  else
    {
      const char *username = xmpp_element_find_child_text (query, NULL, "username");
      const char *password = xmpp_element_find_child_text (query, NULL, "password");

      g_autofree char *prepared = username != NULL ? xmpp_jid_prepare (username, NULL) : NULL;

      if (username != NULL && g_strcmp0 (prepared, local) != 0 && strcmp (username, local) != 0)
        {
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_BAD_REQUEST, "Not your user name");
          return TRUE;
        }
      if (password == NULL || *password == '\0')
        {
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_NOT_ACCEPTABLE, "A password is required");
          return TRUE;
        }
      if (!srv_storage_set_password (self->storage, local, password, &error))
        {
          g_warning ("Cannot change the password of %s: %s", xmpp_jid_to_string (session->bare),
                     error->message);
          srv_server_bounce (self, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
          return TRUE;
        }
      g_info ("%s: password changed", xmpp_jid_to_string (session->bare));
      result = _srv_make_iq_result (iq);
      reply (self, session, result);
      return TRUE;
    }
}

static void
register_core_handlers (SrvServer *self)
{
  srv_server_add_iq_handler (self, SRV_NS_PING, ping_handler, NULL);
  srv_server_add_iq_handler (self, SRV_NS_DISCO_INFO, disco_info_handler, NULL);
  srv_server_add_iq_handler (self, SRV_NS_DISCO_ITEMS, disco_items_handler, NULL);
  srv_server_add_iq_handler (self, SRV_NS_VERSION, version_handler, NULL);
  srv_server_add_iq_handler (self, SRV_NS_SESSION, session_handler, NULL);
  srv_server_add_iq_handler (self, SRV_NS_BIND, bind_handler, NULL);
  srv_server_add_iq_handler (self, SRV_NS_REGISTER, register_handler, NULL);
}
