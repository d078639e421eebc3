/* test-client-srv.c: how XmppClient finds its server (RFC 6120 §3.2, XEP-0368)
 *
 * There is no DNS here, so the test installs its own GResolver as the
 * default one: SRV answers come from a table each test fills, host names map
 * to loopback addresses, and every lookup is recorded.  A GProxyResolver
 * registered for the test (it answers "direct://" to everything) records
 * each connection attempt as host:port, since GSocketClient asks it first.
 *
 *   client ─SRV─▶ FakeResolver ─targets─▶ GSocketClient ─▶ FakeProxyResolver
 *                      ▲                        │              (records)
 *                      └──── A / AAAA ──────────┘
 *                                               ▼
 *                                  FakeServer on 127.0.0.1:<port>
 *                                  (fake-server.c: STARTTLS or direct
 *                                  TLS, SASL, bind)
 *
 * Dead targets are TCP sockets bound on 127.0.0.1 that never listen, so a
 * connection to them is refused at once.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "fake-server.h"

#define DOMAIN         FAKE_SERVER_DOMAIN
#define USER_JID       FAKE_SERVER_USER_JID
#define PASSWORD       FAKE_SERVER_PASSWORD

#define SRV_DIRECT     "_xmpps-client._tcp." DOMAIN
#define SRV_STARTTLS   "_xmpp-client._tcp." DOMAIN

/* The fake resolver */

#define FAKE_TYPE_RESOLVER (fake_resolver_get_type ())
G_DECLARE_FINAL_TYPE (FakeResolver, fake_resolver, FAKE, RESOLVER, GResolver)

typedef struct
{
  char    *rrname;
  char    *target;
  guint16  port;
  guint16  priority;
  guint16  weight;
} FakeSrv;

struct _FakeResolver
{
  GResolver   parent_instance;

  GPtrArray  *srv;          /* FakeSrv */
  GHashTable *hosts;        /* name → GPtrArray of GInetAddress */
  gboolean    unsorted;     /* answer SRV without g_srv_target_list_sort() */
  GPtrArray  *lookups;      /* "SRV <rrname>", "A <name>", "AAAA <name>", "ANY <name>" */
};

G_DEFINE_FINAL_TYPE (FakeResolver, fake_resolver, G_TYPE_RESOLVER)

static void
fake_srv_free (FakeSrv *srv)
{
  g_free (srv->rrname);
  g_free (srv->target);
  g_free (srv);
}

static GList *
fake_resolver_resolve_name (FakeResolver              *self,
                            const char                *hostname,
                            GResolverNameLookupFlags   flags,
                            GError                   **error)
{
  GPtrArray *addresses = g_hash_table_lookup (self->hosts, hostname);
  GList *result = NULL;
  const char *kind = "ANY";

  if (flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY)
    kind = "A";
  else if (flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY)
    kind = "AAAA";
  g_ptr_array_add (self->lookups, g_strdup_printf ("%s %s", kind, hostname));

  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      GInetAddress *address = g_ptr_array_index (addresses, i);
      GSocketFamily family = g_inet_address_get_family (address);

      if ((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY) && family != G_SOCKET_FAMILY_IPV4)
        continue;
      if ((flags & G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) && family != G_SOCKET_FAMILY_IPV6)
        continue;
      result = g_list_prepend (result, g_object_ref (address));
    }

  /* Like the real resolvers: no address is an error, never an empty list. */
  if (result == NULL)
    g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                 "No address of the requested kind for '%s'", hostname);
  return g_list_reverse (result);
}

static GList *
fake_resolver_resolve_service (FakeResolver  *self,
                               const char    *rrname,
                               GError       **error)
{
  GList *targets = NULL;

  g_ptr_array_add (self->lookups, g_strdup_printf ("SRV %s", rrname));

  for (guint i = 0; i < self->srv->len; i++)
    {
      FakeSrv *srv = g_ptr_array_index (self->srv, i);

      if (g_ascii_strcasecmp (srv->rrname, rrname) == 0)
        targets = g_list_append (targets, g_srv_target_new (srv->target, srv->port,
                                                            srv->priority, srv->weight));
    }

  if (targets == NULL)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                   "No SRV record for '%s'", rrname);
      return NULL;
    }

  /* GLib's resolvers sort the answer, which turns a lone "." into an empty
   * list without an error. */
  return self->unsorted ? targets : g_srv_target_list_sort (targets);
}

static void
free_targets (GList *targets)
{
  g_list_free_full (targets, (GDestroyNotify) g_srv_target_free);
}

/* GTask delivers the answer from an idle, never from inside the _async call,
 * as a real resolver does from its thread. */
static void
return_list (GTask          *task,
             GList          *list,
             GError         *error,
             GDestroyNotify  free_func)
{
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, free_func);
}

static GList *
fake_resolver_lookup_by_name_with_flags (GResolver                 *resolver,
                                         const char                *hostname,
                                         GResolverNameLookupFlags   flags,
                                         GCancellable              *cancellable,
                                         GError                   **error)
{
  return fake_resolver_resolve_name (FAKE_RESOLVER (resolver), hostname, flags, error);
}

static GList *
fake_resolver_lookup_by_name (GResolver     *resolver,
                              const char    *hostname,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return fake_resolver_resolve_name (FAKE_RESOLVER (resolver), hostname,
                                     G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, error);
}

static void
fake_resolver_lookup_by_name_with_flags_async (GResolver                *resolver,
                                               const char               *hostname,
                                               GResolverNameLookupFlags  flags,
                                               GCancellable             *cancellable,
                                               GAsyncReadyCallback       callback,
                                               gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *addresses;

  g_task_set_source_tag (task, fake_resolver_lookup_by_name_with_flags_async);
  addresses = fake_resolver_resolve_name (FAKE_RESOLVER (resolver), hostname, flags, &error);
  return_list (task, addresses, error, (GDestroyNotify) g_resolver_free_addresses);
}

static void
fake_resolver_lookup_by_name_async (GResolver           *resolver,
                                    const char          *hostname,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  fake_resolver_lookup_by_name_with_flags_async (resolver, hostname,
                                                 G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                                                 cancellable, callback, user_data);
}

static GList *
fake_resolver_lookup_by_name_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, resolver), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static GList *
fake_resolver_lookup_service (GResolver     *resolver,
                              const char    *rrname,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return fake_resolver_resolve_service (FAKE_RESOLVER (resolver), rrname, error);
}

static void
fake_resolver_lookup_service_async (GResolver           *resolver,
                                    const char          *rrname,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *targets;

  g_task_set_source_tag (task, fake_resolver_lookup_service_async);
  targets = fake_resolver_resolve_service (FAKE_RESOLVER (resolver), rrname, &error);
  return_list (task, targets, error, (GDestroyNotify) free_targets);
}

static GList *
fake_resolver_lookup_service_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, resolver), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fake_resolver_finalize (GObject *object)
{
  FakeResolver *self = FAKE_RESOLVER (object);

  g_clear_pointer (&self->srv, g_ptr_array_unref);
  g_clear_pointer (&self->hosts, g_hash_table_unref);
  g_clear_pointer (&self->lookups, g_ptr_array_unref);

  G_OBJECT_CLASS (fake_resolver_parent_class)->finalize (object);
}

static void
fake_resolver_class_init (FakeResolverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  object_class->finalize = fake_resolver_finalize;

  resolver_class->lookup_by_name = fake_resolver_lookup_by_name;
  resolver_class->lookup_by_name_async = fake_resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = fake_resolver_lookup_by_name_finish;
  resolver_class->lookup_by_name_with_flags = fake_resolver_lookup_by_name_with_flags;
  resolver_class->lookup_by_name_with_flags_async = fake_resolver_lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = fake_resolver_lookup_by_name_finish;
  resolver_class->lookup_service = fake_resolver_lookup_service;
  resolver_class->lookup_service_async = fake_resolver_lookup_service_async;
  resolver_class->lookup_service_finish = fake_resolver_lookup_service_finish;
}

static void
fake_resolver_init (FakeResolver *self)
{
  self->srv = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_srv_free);
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_ptr_array_unref);
  self->lookups = g_ptr_array_new_with_free_func (g_free);
}

static void
fake_resolver_reset (FakeResolver *self)
{
  g_ptr_array_set_size (self->srv, 0);
  g_hash_table_remove_all (self->hosts);
  g_ptr_array_set_size (self->lookups, 0);
  self->unsorted = FALSE;
}

static void
fake_resolver_add_srv (FakeResolver *self,
                       const char   *rrname,
                       const char   *target,
                       guint16       port,
                       guint16       priority,
                       guint16       weight)
{
  FakeSrv *srv = g_new0 (FakeSrv, 1);

  srv->rrname = g_strdup (rrname);
  srv->target = g_strdup (target);
  srv->port = port;
  srv->priority = priority;
  srv->weight = weight;
  g_ptr_array_add (self->srv, srv);
}

static void
fake_resolver_add_host (FakeResolver *self,
                        const char   *name,
                        const char   *address)
{
  GPtrArray *addresses = g_hash_table_lookup (self->hosts, name);

  if (addresses == NULL)
    {
      addresses = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->hosts, g_strdup (name), addresses);
    }
  g_ptr_array_add (addresses, g_inet_address_new_from_string (address));
}

/* How many name lookups (any kind) of @name were made. */
static guint
fake_resolver_count_name_lookups (FakeResolver *self,
                                  const char   *name)
{
  guint n = 0;

  for (guint i = 0; i < self->lookups->len; i++)
    {
      const char *entry = g_ptr_array_index (self->lookups, i);
      const char *space = strchr (entry, ' ');

      if (!g_str_has_prefix (entry, "SRV ") && strcmp (space + 1, name) == 0)
        n++;
    }
  return n;
}

static gboolean
fake_resolver_has_lookup (FakeResolver *self,
                          const char   *entry)
{
  for (guint i = 0; i < self->lookups->len; i++)
    if (strcmp (g_ptr_array_index (self->lookups, i), entry) == 0)
      return TRUE;
  return FALSE;
}

/* The recording proxy resolver */

#define FAKE_TYPE_PROXY_RESOLVER (fake_proxy_resolver_get_type ())
G_DECLARE_FINAL_TYPE (FakeProxyResolver, fake_proxy_resolver, FAKE, PROXY_RESOLVER, GObject)

#define FAKE_PROXY_RESOLVER_NAME "messenger-test-recorder"

struct _FakeProxyResolver
{
  GObject    parent_instance;

  GPtrArray *attempts;      /* "host:port" */
};

static void fake_proxy_resolver_iface_init (GProxyResolverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FakeProxyResolver, fake_proxy_resolver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_PROXY_RESOLVER,
                                                      fake_proxy_resolver_iface_init))

static gboolean
fake_proxy_resolver_is_supported (GProxyResolver *resolver)
{
  return TRUE;
}

static char **
fake_proxy_resolver_lookup (GProxyResolver  *resolver,
                            const char      *uri,
                            GCancellable    *cancellable,
                            GError         **error)
{
  FakeProxyResolver *self = FAKE_PROXY_RESOLVER (resolver);
  const char *authority = strstr (uri, "://");
  char **proxies = g_new0 (char *, 2);

  /* GNetworkAddress asks for "none://host:port". */
  g_ptr_array_add (self->attempts, g_strdup (authority != NULL ? authority + 3 : uri));
  proxies[0] = g_strdup ("direct://");
  return proxies;
}

static void
fake_proxy_resolver_lookup_async (GProxyResolver      *resolver,
                                  const char          *uri,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);

  g_task_set_source_tag (task, fake_proxy_resolver_lookup_async);
  g_task_return_pointer (task, fake_proxy_resolver_lookup (resolver, uri, cancellable, NULL),
                         (GDestroyNotify) g_strfreev);
}

static char **
fake_proxy_resolver_lookup_finish (GProxyResolver  *resolver,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, resolver), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
fake_proxy_resolver_iface_init (GProxyResolverInterface *iface)
{
  iface->is_supported = fake_proxy_resolver_is_supported;
  iface->lookup = fake_proxy_resolver_lookup;
  iface->lookup_async = fake_proxy_resolver_lookup_async;
  iface->lookup_finish = fake_proxy_resolver_lookup_finish;
}

static void
fake_proxy_resolver_finalize (GObject *object)
{
  FakeProxyResolver *self = FAKE_PROXY_RESOLVER (object);

  g_clear_pointer (&self->attempts, g_ptr_array_unref);

  G_OBJECT_CLASS (fake_proxy_resolver_parent_class)->finalize (object);
}

static void
fake_proxy_resolver_class_init (FakeProxyResolverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fake_proxy_resolver_finalize;
}

static void
fake_proxy_resolver_init (FakeProxyResolver *self)
{
  self->attempts = g_ptr_array_new_with_free_func (g_free);
}

static FakeResolver *dns;
static FakeProxyResolver *recorder;

/* All connection attempts so far, space separated. */
static char *
attempts_string (void)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < recorder->attempts->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, g_ptr_array_index (recorder->attempts, i));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A port on 127.0.0.1 that refuses connections: bound, never listening, so
 * nobody else can take it while the test runs. */
static GSocket *
dead_port_new (guint16 *port)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (sock, address, FALSE, &error);
  g_assert_no_error (error);
  local = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&sock);
}

/* Whether something accepts connections on @host:@port. */
static gboolean
something_listens (const char *host,
                   guint16     port)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, port);

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_nonnull (sock);
  return g_socket_connect (sock, address, NULL, NULL);
}

/* The client side */

typedef struct
{
  XmppClient *client;
  gboolean    connect_done;
  GError     *connect_error;
  GPtrArray  *servers;       /* FakeServer, freed after the client */
  GPtrArray  *dead_ports;    /* GSocket */
} Test;

static void
test_setup (Test          *t,
            gconstpointer  data)
{
  g_autoptr(XmppJid) jid = xmpp_jid_new (USER_JID, NULL);

  fake_resolver_reset (dns);
  g_ptr_array_set_size (recorder->attempts, 0);

  /* No host set: the client must look for the server itself. */
  t->client = xmpp_client_new (jid, PASSWORD);
  xmpp_client_set_pinned_fingerprint (t->client, fake_server_get_fingerprint ());
  t->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_server_free);
  t->dead_ports = g_ptr_array_new_with_free_func (g_object_unref);
}

static FakeServer *
test_add_server (Test     *t,
                 gboolean  direct_tls)
{
  FakeServer *fs = fake_server_new ();

  fs->direct_tls = direct_tls;
  fs->mechanisms = "SCRAM-SHA-256 SCRAM-SHA-1";   /* no PLAIN offered */
  fake_server_start (fs);
  g_ptr_array_add (t->servers, fs);
  return fs;
}

static guint16
test_add_dead_port (Test *t)
{
  guint16 port;

  g_ptr_array_add (t->dead_ports, dead_port_new (&port));
  return port;
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (xmpp_client_close_finish (XMPP_CLIENT (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_teardown (Test          *t,
               gconstpointer  data)
{
  if (xmpp_client_get_state (t->client) != XMPP_CLIENT_STATE_DISCONNECTED)
    {
      gboolean done = FALSE;

      xmpp_client_close_async (t->client, NULL, close_cb, &done);
      WAIT_UNTIL (done);
    }
  drain_main_context ();
  g_assert_finalize_object (t->client);
  g_clear_error (&t->connect_error);
  g_ptr_array_unref (t->servers);
  g_ptr_array_unref (t->dead_ports);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Test *t = user_data;

  xmpp_client_connect_finish (XMPP_CLIENT (source), result, &t->connect_error);
  t->connect_done = TRUE;
}

static void
test_connect (Test *t)
{
  xmpp_client_connect_async (t->client, NULL, connect_cb, t);
  WAIT_UNTIL (t->connect_done);
}

static void
assert_attempts (const char *expected)
{
  g_autofree char *attempts = attempts_string ();

  g_assert_cmpstr (attempts, ==, expected);
}

static void
assert_connected_starttls (Test       *t,
                           FakeServer *fs)
{
  g_assert_no_error (t->connect_error);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_CONNECTED);
  g_assert_true (xmpp_client_is_secure (t->client));
  g_assert_true (fs->accepted);
  g_assert_nonnull (fake_server_find (fs, XMPP_NS_TLS, "starttls", NULL));
  g_assert_nonnull (strstr (fs->log_plain->str, "<starttls"));
  g_assert_null (fs->alpn);
}

static void
assert_connected_direct_tls (Test       *t,
                             FakeServer *fs)
{
  g_assert_no_error (t->connect_error);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_CONNECTED);
  g_assert_true (xmpp_client_is_secure (t->client));
  g_assert_true (fs->accepted);
  g_assert_null (fake_server_find (fs, XMPP_NS_TLS, "starttls", NULL));
  g_assert_cmpuint (fs->log_plain->len, ==, 0);
  g_assert_cmpstr (fs->alpn, ==, "xmpp-client");
}

/* Tests */

/* Only _xmpp-client: plain TCP to the SRV target and port, then STARTTLS. */
static void
test_starttls_only (Test          *t,
                    gconstpointer  data)
{
  FakeServer *fs = test_add_server (t, FALSE);
  g_autofree char *expected = g_strdup_printf ("xmpp.example.test:%u", fs->port);

  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", fs->port, 10, 0);
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_starttls (t, fs);
  assert_attempts (expected);
  g_assert_true (fake_resolver_has_lookup (dns, "SRV " SRV_DIRECT));
  g_assert_true (fake_resolver_has_lookup (dns, "SRV " SRV_STARTTLS));
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, "xmpp.example.test"), >, 0);
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, DOMAIN), ==, 0);
}

/* Both services, _xmpps-client with the better priority: direct TLS. */
static void
test_direct_tls_preferred (Test          *t,
                           gconstpointer  data)
{
  FakeServer *starttls = test_add_server (t, FALSE);
  FakeServer *direct = test_add_server (t, TRUE);
  g_autofree char *expected = g_strdup_printf ("xmpps.example.test:%u", direct->port);

  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", starttls->port, 10, 0);
  fake_resolver_add_srv (dns, SRV_DIRECT, "xmpps.example.test", direct->port, 5, 0);
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");
  fake_resolver_add_host (dns, "xmpps.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_direct_tls (t, direct);
  g_assert_false (starttls->accepted);
  assert_attempts (expected);
}

/* Both services, _xmpp-client with the better priority: the two sets are
 * one list ordered by priority, direct TLS does not always go first. */
static void
test_priority_merge (Test          *t,
                     gconstpointer  data)
{
  FakeServer *starttls = test_add_server (t, FALSE);
  FakeServer *direct = test_add_server (t, TRUE);
  g_autofree char *expected = g_strdup_printf ("xmpp.example.test:%u", starttls->port);

  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", starttls->port, 10, 0);
  fake_resolver_add_srv (dns, SRV_DIRECT, "xmpps.example.test", direct->port, 20, 0);
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");
  fake_resolver_add_host (dns, "xmpps.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_starttls (t, starttls);
  g_assert_false (direct->accepted);
  assert_attempts (expected);
}

/* The first target refuses: the next one is tried, with its own kind of
 * TLS. */
static void
test_next_target (Test          *t,
                  gconstpointer  data)
{
  FakeServer *fs = test_add_server (t, FALSE);
  guint16 dead_port = test_add_dead_port (t);
  g_autofree char *expected = NULL;

  expected = g_strdup_printf ("xmpps.example.test:%u xmpp.example.test:%u", dead_port, fs->port);
  fake_resolver_add_srv (dns, SRV_DIRECT, "xmpps.example.test", dead_port, 5, 0);
  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", fs->port, 10, 0);
  fake_resolver_add_host (dns, "xmpps.example.test", "127.0.0.1");
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_starttls (t, fs);
  assert_attempts (expected);
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, DOMAIN), ==, 0);
}

/* Every address of a target before the next target: the first target's
 * first address refuses, its second one answers; the second target is
 * never tried. */
static void
test_every_address (Test          *t,
                    gconstpointer  data)
{
  FakeServer *first = test_add_server (t, FALSE);
  FakeServer *second = test_add_server (t, TRUE);
  g_autofree char *expected = g_strdup_printf ("multi.example.test:%u", first->port);

  fake_resolver_add_srv (dns, SRV_STARTTLS, "multi.example.test", first->port, 5, 0);
  fake_resolver_add_srv (dns, SRV_DIRECT, "xmpps.example.test", second->port, 10, 0);
  /* 127.0.0.2 first: nothing listens there on first->port. */
  fake_resolver_add_host (dns, "multi.example.test", "127.0.0.2");
  fake_resolver_add_host (dns, "multi.example.test", "127.0.0.1");
  fake_resolver_add_host (dns, "xmpps.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_starttls (t, first);
  g_assert_false (second->accepted);
  assert_attempts (expected);
}

/* Both services are "." (6120 §3.2.1): not offered, no A/AAAA fallback.
 * @data: answer the SRV lookups unsorted, so the client sees the "."
 * targets instead of GLib's empty list. */
static void
test_not_offered (Test          *t,
                  gconstpointer  data)
{
  dns->unsorted = GPOINTER_TO_INT (data);
  fake_resolver_add_srv (dns, SRV_DIRECT, ".", 0, 0, 0);
  fake_resolver_add_srv (dns, SRV_STARTTLS, ".", 0, 0, 0);
  fake_resolver_add_host (dns, DOMAIN, "127.0.0.2");

  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_HOST_NOT_FOUND);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  g_assert_true (fake_resolver_has_lookup (dns, "SRV " SRV_DIRECT));
  g_assert_true (fake_resolver_has_lookup (dns, "SRV " SRV_STARTTLS));
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, DOMAIN), ==, 0);
  assert_attempts ("");
}

/* _xmpps-client is "." and there is no _xmpp-client: still no fallback
 * (XEP-0368 §5). */
static void
test_direct_not_offered (Test          *t,
                         gconstpointer  data)
{
  fake_resolver_add_srv (dns, SRV_DIRECT, ".", 0, 0, 0);
  fake_resolver_add_host (dns, DOMAIN, "127.0.0.2");

  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_HOST_NOT_FOUND);
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, DOMAIN), ==, 0);
  assert_attempts ("");
}

/* _xmpps-client is ".", _xmpp-client has a target: that one is used. */
static void
test_direct_not_offered_starttls (Test          *t,
                                  gconstpointer  data)
{
  FakeServer *fs = test_add_server (t, FALSE);
  g_autofree char *expected = g_strdup_printf ("xmpp.example.test:%u", fs->port);

  fake_resolver_add_srv (dns, SRV_DIRECT, ".", 0, 0, 0);
  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", fs->port, 10, 0);
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_starttls (t, fs);
  assert_attempts (expected);
}

/* No SRV record at all: A/AAAA of the domain, port 5222.  The domain maps
 * to 127.0.0.2, where nothing should listen. */
static void
test_fallback (Test          *t,
               gconstpointer  data)
{
  fake_resolver_add_host (dns, DOMAIN, "127.0.0.2");

  test_connect (t);

  g_assert_nonnull (t->connect_error);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  assert_attempts (DOMAIN ":5222");
  g_assert_true (fake_resolver_has_lookup (dns, "A " DOMAIN));
  g_assert_true (fake_resolver_has_lookup (dns, "AAAA " DOMAIN));

  if (something_listens ("127.0.0.2", 5222))
    g_test_message ("Something listens on port 5222 here: not checking the error code");
  else
    g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_CONNECTION_FAILED);
}

/* No SRV record and no address for the domain: the server is not found. */
static void
test_fallback_no_address (Test          *t,
                          gconstpointer  data)
{
  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_HOST_NOT_FOUND);
  assert_attempts (DOMAIN ":5222");
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, DOMAIN), >, 0);
}

/* SRV targets exist but none answers: no fallback to the domain
 * (6120 §3.2.1). */
static void
test_all_targets_fail (Test          *t,
                       gconstpointer  data)
{
  guint16 port1 = test_add_dead_port (t);
  guint16 port2 = test_add_dead_port (t);
  g_autofree char *expected = NULL;

  expected = g_strdup_printf ("xmpps.example.test:%u xmpp.example.test:%u", port1, port2);
  fake_resolver_add_srv (dns, SRV_DIRECT, "xmpps.example.test", port1, 5, 0);
  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", port2, 10, 0);
  fake_resolver_add_host (dns, "xmpps.example.test", "127.0.0.1");
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");
  fake_resolver_add_host (dns, DOMAIN, "127.0.0.2");

  test_connect (t);

  g_assert_error (t->connect_error, XMPP_ERROR, XMPP_ERROR_CONNECTION_FAILED);
  g_assert_cmpint (xmpp_client_get_state (t->client), ==, XMPP_CLIENT_STATE_DISCONNECTED);
  assert_attempts (expected);
  g_assert_cmpuint (fake_resolver_count_name_lookups (dns, DOMAIN), ==, 0);
}

/* An SRV target whose name does not resolve is skipped like a dead one. */
static void
test_target_not_resolved (Test          *t,
                          gconstpointer  data)
{
  FakeServer *fs = test_add_server (t, TRUE);
  g_autofree char *expected = g_strdup_printf ("gone.example.test:5222 xmpps.example.test:%u",
                                               fs->port);

  fake_resolver_add_srv (dns, SRV_STARTTLS, "gone.example.test", 5222, 1, 0);
  fake_resolver_add_srv (dns, SRV_DIRECT, "xmpps.example.test", fs->port, 2, 0);
  fake_resolver_add_host (dns, "xmpps.example.test", "127.0.0.1");

  test_connect (t);

  assert_connected_direct_tls (t, fs);
  assert_attempts (expected);
}

/* A configured host skips SRV (6120 §3.2.3). */
static void
test_explicit_host (Test          *t,
                    gconstpointer  data)
{
  FakeServer *fs = test_add_server (t, FALSE);
  guint16 dead_port = test_add_dead_port (t);
  g_autofree char *expected = g_strdup_printf ("xmpp.example.test:%u", fs->port);

  fake_resolver_add_srv (dns, SRV_STARTTLS, "xmpp.example.test", dead_port, 1, 0);
  fake_resolver_add_host (dns, "xmpp.example.test", "127.0.0.1");
  xmpp_client_set_server (t->client, "xmpp.example.test", fs->port);

  test_connect (t);

  assert_connected_starttls (t, fs);
  assert_attempts (expected);
  g_assert_false (fake_resolver_has_lookup (dns, "SRV " SRV_DIRECT));
  g_assert_false (fake_resolver_has_lookup (dns, "SRV " SRV_STARTTLS));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(FakeResolver) fake = NULL;

  g_test_init (&argc, &argv, NULL);

  /* Connection attempts go through the default proxy resolver: make it
   * ours.  Registering the extension point is a no-op if GIO did it. */
  g_io_extension_point_register (G_PROXY_RESOLVER_EXTENSION_POINT_NAME);
  g_io_extension_point_implement (G_PROXY_RESOLVER_EXTENSION_POINT_NAME,
                                  FAKE_TYPE_PROXY_RESOLVER, FAKE_PROXY_RESOLVER_NAME, 0);
  g_setenv ("GIO_USE_PROXY_RESOLVER", FAKE_PROXY_RESOLVER_NAME, TRUE);
  g_assert_true (FAKE_IS_PROXY_RESOLVER (g_proxy_resolver_get_default ()));
  recorder = FAKE_PROXY_RESOLVER (g_proxy_resolver_get_default ());

  fake = g_object_new (FAKE_TYPE_RESOLVER, NULL);
  g_resolver_set_default (G_RESOLVER (fake));
  dns = fake;

  fake_server_generate_certificate ();

#define ADD(path, func, data) \
  g_test_add ("/client-srv/" path, Test, data, test_setup, func, test_teardown)

  ADD ("starttls-only", test_starttls_only, NULL);
  ADD ("direct-tls-preferred", test_direct_tls_preferred, NULL);
  ADD ("priority-merge", test_priority_merge, NULL);
  ADD ("next-target", test_next_target, NULL);
  ADD ("every-address", test_every_address, NULL);
  ADD ("not-offered", test_not_offered, GINT_TO_POINTER (FALSE));
  ADD ("not-offered-unsorted", test_not_offered, GINT_TO_POINTER (TRUE));
  ADD ("direct-not-offered", test_direct_not_offered, NULL);
  ADD ("direct-not-offered-starttls", test_direct_not_offered_starttls, NULL);
  ADD ("fallback", test_fallback, NULL);
  ADD ("fallback-no-address", test_fallback_no_address, NULL);
  ADD ("all-targets-fail", test_all_targets_fail, NULL);
  ADD ("target-not-resolved", test_target_not_resolved, NULL);
  ADD ("explicit-host", test_explicit_host, NULL);

#undef ADD

  return g_test_run ();
}
