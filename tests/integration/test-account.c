/* test-account.c: MessengerAccount against the bundled server.
 *
 * Starts messenger-server (from MESSENGER_BUILD_ROOT) on a free loopback
 * port with two accounts, then checks what a person sees of an account:
 * an untrusted certificate reported with its fingerprint and trusted on
 * request, a wrong password, going online with the roster fetched, a
 * message arriving, automatic reconnection after the server restarts, and
 * going offline on purpose; connecting again from an error (straight to
 * CONNECTING), and "auto-reconnect" turned off (a failure stays one). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "messenger-account.h"
#include "server-fixture.h"
#include "test-util.h"

static TestServer srv;

static MessengerAccount *
new_account (const char *jid,
             const char *password,
             gboolean    pin)
{
  MessengerAccount *account = test_server_new_account (&srv, jid, password);

  if (!pin)
    messenger_account_set_pinned_fingerprint (account, NULL);
  return account;
}

static void
count_cb (gpointer  instance,
          gpointer  arg1,
          gpointer  arg2,
          gpointer  arg3,
          guint    *counter)
{
  (*counter)++;
}

static void
test_untrusted_certificate (void)
{
  g_autoptr(MessengerAccount) account = new_account ("alice@localhost", "alice-pw", FALSE);
  guint rosters = 0;
  XmppCertificateInfo *info;

  g_signal_connect (account, "roster-received", G_CALLBACK (count_cb), &rosters);
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_CERTIFICATE);
  g_assert_nonnull (messenger_account_get_error_message (account));
  info = messenger_account_get_certificate_info (account);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->fingerprint_sha256, ==, srv.fingerprint);
  g_assert_nonnull (info->not_after);

  /* The person trusts it: pinned for this account, and online. */
  messenger_account_trust_certificate (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE);
  g_assert_cmpstr (messenger_account_get_pinned_fingerprint (account), ==, srv.fingerprint);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_NONE);
  g_assert_cmpuint (rosters, ==, 1);
  g_assert_nonnull (messenger_account_get_client (account));

  messenger_account_disconnect (account);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_OFFLINE);
  g_assert_null (messenger_account_get_client (account));
}

static void
test_wrong_password (void)
{
  g_autoptr(MessengerAccount) account = new_account ("alice@localhost", "not-her-password", TRUE);

  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_AUTHENTICATION);
  g_assert_cmpstr (messenger_account_get_error_message (account), ==, "The password is not correct.");

  /* No reconnect loop after an error the person must fix. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ERROR);

  /* With the right password it signs in. */
  messenger_account_set_password (account, "alice-pw");
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE);
  messenger_account_disconnect (account);
}

typedef struct
{
  char *body;
  char *thread;
  char *from;
} Received;

static void
message_cb (MessengerAccount *account,
            XmppMessage      *message,
            Received         *r)
{
  g_free (r->body);
  g_free (r->thread);
  g_free (r->from);
  r->body = g_strdup (message->body);
  r->thread = g_strdup (message->thread);
  r->from = g_strdup (xmpp_jid_get_bare_string (message->from));
}

static void
test_message_and_reconnect (void)
{
  g_autoptr(MessengerAccount) alice = new_account ("alice@localhost", "alice-pw", TRUE);
  g_autoptr(MessengerAccount) bob = new_account ("bob@localhost", "bob-pw", TRUE);
  g_autoptr(XmppJid) alice_jid = xmpp_jid_new ("alice@localhost", NULL);
  g_autoptr(XmppMessage) message = NULL;
  Received r = { 0 };
  guint rosters = 0;

  g_signal_connect (alice, "message", G_CALLBACK (message_cb), &r);
  g_signal_connect (alice, "roster-received", G_CALLBACK (count_cb), &rosters);
  messenger_account_connect (alice);
  messenger_account_connect (bob);
  WAIT_UNTIL (messenger_account_get_state (alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (bob) == MESSENGER_ACCOUNT_ONLINE);

  message = xmpp_message_new (XMPP_MESSAGE_CHAT, alice_jid, "Hello from Bob");
  message->thread = g_strdup ("t-1");
  g_assert_true (messenger_account_send_message (bob, message));
  WAIT_UNTIL (r.body != NULL);
  g_assert_cmpstr (r.body, ==, "Hello from Bob");
  g_assert_cmpstr (r.thread, ==, "t-1");
  g_assert_cmpstr (r.from, ==, "bob@localhost");

  /* The server goes away: the account keeps trying, and says why. */
  test_server_stop (&srv);
  WAIT_UNTIL (messenger_account_get_state (alice) == MESSENGER_ACCOUNT_CONNECTING
              && messenger_account_get_error_kind (alice) == MESSENGER_ACCOUNT_ERROR_UNREACHABLE);
  g_assert_nonnull (messenger_account_get_error_message (alice));
  /* Bob's connection need not have noticed yet when Alice's did. */
  WAIT_UNTIL (messenger_account_get_state (bob) != MESSENGER_ACCOUNT_ONLINE);
  g_assert_false (messenger_account_send_message (bob, message));

  /* It comes back on the same port: both reconnect by themselves and the
   * roster is fetched again for the new session. */
  test_server_start (&srv, srv.port);
  WAIT_UNTIL (messenger_account_get_state (alice) == MESSENGER_ACCOUNT_ONLINE
              && messenger_account_get_state (bob) == MESSENGER_ACCOUNT_ONLINE);
  g_assert_cmpuint (rosters, ==, 2);
  g_assert_cmpint (messenger_account_get_error_kind (alice), ==, MESSENGER_ACCOUNT_ERROR_NONE);

  g_clear_pointer (&r.body, g_free);
  g_assert_true (messenger_account_send_message (bob, message));
  WAIT_UNTIL (r.body != NULL);

  messenger_account_disconnect (alice);
  messenger_account_disconnect (bob);
  g_free (r.body);
  g_free (r.thread);
  g_free (r.from);
}

/* What a listener sees: each notification of state, error-kind or
 * error-message with the three values at that moment, "state/kind/message". */
typedef struct
{
  GPtrArray *seen;
  guint      states;     /* "state" notifications */
} Watch;

static void
watch_cb (MessengerAccount *account,
          GParamSpec       *pspec,
          Watch            *watch)
{
  g_autoptr(GEnumClass) states = g_type_class_ref (MESSENGER_TYPE_ACCOUNT_STATE);
  g_autoptr(GEnumClass) kinds = g_type_class_ref (MESSENGER_TYPE_ACCOUNT_ERROR_KIND);
  const char *message = messenger_account_get_error_message (account);

  if (g_strcmp0 (pspec->name, "state") == 0)
    watch->states++;
  g_ptr_array_add (watch->seen,
                   g_strdup_printf ("%s: %s/%s/%s", pspec->name,
                                    g_enum_get_value (states, messenger_account_get_state (account))->value_nick,
                                    g_enum_get_value (kinds, messenger_account_get_error_kind (account))->value_nick,
                                    message != NULL ? "message" : "none"));
}

static void
watch_start (Watch            *watch,
             MessengerAccount *account)
{
  watch->seen = g_ptr_array_new_with_free_func (g_free);
  watch->states = 0;
  g_signal_connect (account, "notify::state", G_CALLBACK (watch_cb), watch);
  g_signal_connect (account, "notify::error-kind", G_CALLBACK (watch_cb), watch);
  g_signal_connect (account, "notify::error-message", G_CALLBACK (watch_cb), watch);
}

static void
watch_stop (Watch            *watch,
            MessengerAccount *account)
{
  g_signal_handlers_disconnect_by_data (account, watch);
  g_clear_pointer (&watch->seen, g_ptr_array_unref);
}

static gboolean
watch_saw (Watch      *watch,
           const char *entry)
{
  for (guint i = 0; i < watch->seen->len; i++)
    if (g_strcmp0 (watch->seen->pdata[i], entry) == 0)
      return TRUE;
  return FALSE;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *counter)
{
  (*counter)++;
}

/* A loopback port nobody listens on. */
static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* connect() from ERROR: one step to CONNECTING, the error gone in the same
 * change, never ERROR without a kind. */
static void
test_connect_after_error (void)
{
  g_autoptr(MessengerAccount) account = new_account ("alice@localhost", "not-her-password", TRUE);
  Watch watch;

  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_AUTHENTICATION);

  watch_start (&watch, account);
  messenger_account_set_password (account, "alice-pw");
  messenger_account_connect (account);
  /* At once, before the network answers. */
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_CONNECTING);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_NONE);
  g_assert_null (messenger_account_get_error_message (account));
  g_assert_cmpuint (watch.states, ==, 1);
  /* Each of the three notified once, all seeing the new values. */
  g_assert_cmpuint (watch.seen->len, ==, 3);
  g_assert_true (watch_saw (&watch, "state: connecting/none/none"));
  g_assert_true (watch_saw (&watch, "error-kind: connecting/none/none"));
  g_assert_true (watch_saw (&watch, "error-message: connecting/none/none"));

  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE);
  g_assert_cmpuint (watch.states, ==, 2);
  g_assert_cmpuint (watch.seen->len, ==, 4);
  messenger_account_disconnect (account);
  watch_stop (&watch, account);

  /* Without a password the error comes at once, with no step between. */
  messenger_account_set_password (account, NULL);
  messenger_account_connect (account);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ERROR);
  watch_start (&watch, account);
  messenger_account_connect (account);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_AUTHENTICATION);
  g_assert_cmpuint (watch.seen->len, ==, 0);
  watch_stop (&watch, account);
}

static void
test_no_auto_reconnect (void)
{
  g_autoptr(MessengerAccount) account = new_account ("alice@localhost", "alice-pw", TRUE);
  guint notified = 0;
  Watch watch;

  /* The property: TRUE by default, notified only when it changes. */
  g_assert_true (messenger_account_get_auto_reconnect (account));
  g_signal_connect (account, "notify::auto-reconnect", G_CALLBACK (count_notify_cb), &notified);
  messenger_account_set_auto_reconnect (account, TRUE);
  g_assert_cmpuint (notified, ==, 0);
  g_object_set (account, "auto-reconnect", FALSE, NULL);
  messenger_account_set_auto_reconnect (account, FALSE);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (messenger_account_get_auto_reconnect (account));

  /* Nobody there: ERROR at once, and it stays so (the reconnect delay is
   * 100 ms). */
  messenger_account_set_server (account, "127.0.0.1", closed_port ());
  watch_start (&watch, account);
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_UNREACHABLE);
  g_assert_nonnull (messenger_account_get_error_message (account));
  test_run_for (500);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ERROR);
  /* connecting, then error: nothing after. */
  g_assert_cmpuint (watch.states, ==, 2);
  watch_stop (&watch, account);

  /* A connection that drops: no reconnect either, even once the server is
   * back. */
  messenger_account_set_server (account, "127.0.0.1", srv.port);
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE);
  watch_start (&watch, account);
  test_server_stop (&srv);
  WAIT_UNTIL (messenger_account_get_state (account) != MESSENGER_ACCOUNT_ONLINE);
  g_assert_true (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR
                 || messenger_account_get_state (account) == MESSENGER_ACCOUNT_OFFLINE);
  test_server_start (&srv, srv.port);
  test_run_for (500);
  g_assert_true (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ERROR
                 || messenger_account_get_state (account) == MESSENGER_ACCOUNT_OFFLINE);
  g_assert_cmpuint (watch.states, ==, 1);
  watch_stop (&watch, account);

  /* Asked again, it connects; with reconnects back on, a wait for the
   * next try ends when they are turned off. */
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_state (account) == MESSENGER_ACCOUNT_ONLINE);
  messenger_account_disconnect (account);

  messenger_account_set_auto_reconnect (account, TRUE);
  messenger_account_set_reconnect_delay (account, 60000);
  messenger_account_set_server (account, "127.0.0.1", closed_port ());
  messenger_account_connect (account);
  WAIT_UNTIL (messenger_account_get_error_kind (account) == MESSENGER_ACCOUNT_ERROR_UNREACHABLE);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_CONNECTING);
  messenger_account_set_auto_reconnect (account, FALSE);
  g_assert_cmpint (messenger_account_get_state (account), ==, MESSENGER_ACCOUNT_ERROR);
  g_assert_cmpint (messenger_account_get_error_kind (account), ==, MESSENGER_ACCOUNT_ERROR_UNREACHABLE);
}

int
main (int   argc,
      char *argv[])
{
  test_init (&argc, &argv);
  g_test_add_func ("/account/untrusted-certificate", test_untrusted_certificate);
  g_test_add_func ("/account/wrong-password", test_wrong_password);
  g_test_add_func ("/account/message-and-reconnect", test_message_and_reconnect);
  g_test_add_func ("/account/connect-after-error", test_connect_after_error);
  g_test_add_func ("/account/no-auto-reconnect", test_no_auto_reconnect);

  return test_server_run (&srv, "messenger-account-XXXXXX");
}
