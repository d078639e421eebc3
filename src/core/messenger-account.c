/* messenger-account.c: one XMPP account and its connection
 *
 *   OFFLINE ──connect()──▶ CONNECTING ──session, roster──▶ ONLINE
 *      ▲                      │  ▲                            │
 *      │ disconnect()         │  └──── reconnect timer ◀──────┤ connection lost
 *      │                      ▼                               │
 *      └──────────────────  ERROR (auth, certificate, …) ◀────┘
 *                              │ connect()
 *                              └──▶ CONNECTING (error cleared in the same change)
 *
 * Each new session gets a new XmppClient and its feature objects; their
 * signals are forwarded by the account, so models never hold on to a
 * session that is gone.  Errors a person must fix stop the reconnects, and
 * with "auto-reconnect" off every error does (a first sign-in wants to
 * report a wrong server at once rather than retry it for ever).
 *
 * XEP-0198 resumption: a session that reached ONLINE and whose connection
 * was lost (not closed) while the client can resume it is *kept*: the
 * client and its feature objects stay, and the reconnect timer resumes it
 * on the same client instead of signing in again:
 *
 *   ONLINE ──lost, xmpp_client_can_resume()──▶ CONNECTING (kept)
 *     ▲  ▲                                        │ reconnect timer
 *     │  │                                        ▼
 *     │  └─ resumed: "resumed" TRUE, ◀──── xmpp_client_resume_async()
 *     │     nothing set up again              │  ├─ failed before the server
 *     │     (no roster, disco, carbons,       │  │  answered: kept, retried
 *     │     initial presence)                 │  ▼
 *     └── roster, disco, presence ◀──────── refused (resumed FALSE):
 *         ("resumed" FALSE)                 "session-ended", then set up
 *                                           as a new session
 *
 * A kept session whose resumption time ran out is dropped at the next
 * attempt ("session-ended", a new client and a fresh sign-in), and so is
 * one the account leaves for any other reason (disconnect(), an error a
 * person must fix).  "session-ended" is emitted once per session, when
 * whatever the server knew of it (others' presence for us, what we sent
 * and it never confirmed) is gone; leaving ONLINE does not say that.
 *
 * State, error kind and error message change together in set_state(), with
 * notifications held until all three hold their new values: whoever
 * listens to "state" reads the matching error, and never sees a
 * half-changed mix such as ERROR without a kind.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-account.h"
#include "xmpp-carbons.h"
#include "xmpp-mam.h"
#include "xmpp-receipts.h"

#define MAX_RECONNECT_DELAY_MS (5 * 60 * 1000)

struct _MessengerAccount
{
  GObject                    parent_instance;

  XmppJid                   *jid;
  char                      *password;
  char                      *host;
  guint16                    port;
  gboolean                   direct_tls;
  char                      *pinned;
  char                      *resource;
  char                      *roster_version;
  gboolean                   send_chat_states;
  gboolean                   send_receipts;
  gboolean                   auto_reconnect;

  MessengerAccountState      state;
  MessengerAccountErrorKind  error_kind;
  char                      *error_message;
  XmppCertificateInfo       *certificate;

  XmppShow                   show;
  char                      *status;

  /* the current session */
  XmppClient                *client;
  XmppRoster                *roster;
  XmppPresenceManager       *presence;
  XmppMessenger             *messenger;
  XmppCarbons               *carbons;
  XmppDisco                 *disco;
  GCancellable              *cancellable;
  guint                      setup_pending;  /* roster, server and account disco */
  gboolean                   has_archive;    /* XEP-0313 on our bare JID */
  gboolean                   server_carbons; /* XEP-0280 on the server */
  gboolean                   in_session;     /* reached ONLINE, not ended yet */
  gboolean                   kept;           /* lost, kept for a resumption */
  gboolean                   resumed;        /* this ONLINE resumed the session */
  gboolean                   presence_stale; /* own presence changed, not sent */

  guint                      reconnect_source;
  guint                      first_delay_ms;
  guint                      next_delay_ms;
  gboolean                   wanted;        /* the person wants to be online */
};

G_DEFINE_FINAL_TYPE (MessengerAccount, messenger_account, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MessengerAccountState, messenger_account_state,
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ONLINE, "online"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR, "error"))

G_DEFINE_ENUM_TYPE (MessengerAccountErrorKind, messenger_account_error_kind,
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_AUTHENTICATION, "authentication"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_CERTIFICATE, "certificate"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_UNREACHABLE, "unreachable"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_NO_ENCRYPTION, "no-encryption"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_CONFLICT, "conflict"),
  G_DEFINE_ENUM_VALUE (MESSENGER_ACCOUNT_ERROR_OTHER, "other"))

enum {
  PROP_0,
  PROP_JID,
  PROP_STATE,
  PROP_ERROR_KIND,
  PROP_ERROR_MESSAGE,
  PROP_SHOW,
  PROP_STATUS,
  PROP_SEND_CHAT_STATES,
  PROP_SEND_RECEIPTS,
  PROP_AUTO_RECONNECT,
  PROP_RESUMED,
  N_PROPS
};

enum {
  SIGNAL_ROSTER_RECEIVED,
  SIGNAL_ROSTER_PUSH,
  SIGNAL_PRESENCE,
  SIGNAL_PRESENCE_CHANGED,
  SIGNAL_SUBSCRIPTION,
  SIGNAL_MESSAGE,
  SIGNAL_NOTIFICATION,
  SIGNAL_CARBON,
  SIGNAL_SESSION_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_session  (MessengerAccount *self,
                            gboolean          fresh);
static void resume_session (MessengerAccount *self);
static void set_up_session (MessengerAccount *self);
static void end_session    (MessengerAccount *self);

MessengerAccount *
messenger_account_new (const char *jid)
{
  g_return_val_if_fail (jid != NULL, NULL);

  return g_object_new (MESSENGER_TYPE_ACCOUNT, "jid", jid, NULL);
}

const char *
messenger_account_get_jid (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->jid ? xmpp_jid_get_bare_string (self->jid) : NULL;
}

XmppJid *
messenger_account_get_xmpp_jid (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->jid;
}

static void
set_state (MessengerAccount          *self,
           MessengerAccountState      state,
           MessengerAccountErrorKind  kind,
           const char                *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->error_kind != kind)
    {
      self->error_kind = kind;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_KIND]);
    }
  if (g_strcmp0 (self->error_message, message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* The session is over for good: tell the models once. */
static void
end_session (MessengerAccount *self)
{
  if (!self->in_session)
    return;
  self->in_session = FALSE;
  g_signal_emit (self, signals[SIGNAL_SESSION_ENDED], 0);
}

static void
drop_session (MessengerAccount *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  if (self->roster != NULL)
    g_signal_handlers_disconnect_by_data (self->roster, self);
  if (self->presence != NULL)
    g_signal_handlers_disconnect_by_data (self->presence, self);
  if (self->messenger != NULL)
    g_signal_handlers_disconnect_by_data (self->messenger, self);
  if (self->carbons != NULL)
    g_signal_handlers_disconnect_by_data (self->carbons, self);
  g_clear_object (&self->roster);
  g_clear_object (&self->presence);
  g_clear_object (&self->messenger);
  g_clear_object (&self->carbons);
  self->setup_pending = 0;
  self->has_archive = FALSE;
  self->server_carbons = FALSE;
  g_clear_pointer (&self->disco, xmpp_disco_free);
  g_clear_object (&self->client);
  self->kept = FALSE;
  end_session (self);
}

/* The connection was lost but the client keeps the session for a
 * resumption: keep the client and its feature objects (and their signal
 * handlers), stop only what was under way on the connection. */
static void
keep_session (MessengerAccount *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->kept = TRUE;
}

static gboolean
can_keep_session (MessengerAccount *self)
{
  return self->client != NULL && self->in_session && xmpp_client_can_resume (self->client);
}

/* Sort an error into a kind and plain words for the person. */
static MessengerAccountErrorKind
describe_error (MessengerAccount  *self,
                const GError      *error,
                char             **message)
{
  const char *domain = xmpp_jid_get_domain (self->jid);

  if (error->domain == XMPP_ERROR)
    switch ((XmppErrorCode) error->code)
      {
      case XMPP_ERROR_AUTHENTICATION_FAILED:
        *message = g_strdup (_("The password is not correct."));
        return MESSENGER_ACCOUNT_ERROR_AUTHENTICATION;
      case XMPP_ERROR_SERVER_SIGNATURE_MISMATCH:
        *message = g_strdup (_("The server could not prove it knows your password. Someone may be intercepting the connection."));
        return MESSENGER_ACCOUNT_ERROR_AUTHENTICATION;
      case XMPP_ERROR_NO_SUPPORTED_MECHANISM:
        *message = g_strdup (_("The server offers no safe way to sign in."));
        return MESSENGER_ACCOUNT_ERROR_OTHER;
      case XMPP_ERROR_CERTIFICATE_UNTRUSTED:
        *message = g_strdup_printf (_("The identity of %s cannot be verified."), domain);
        return MESSENGER_ACCOUNT_ERROR_CERTIFICATE;
      case XMPP_ERROR_HOST_NOT_FOUND:
        *message = g_strdup_printf (_("The server %s was not found."), domain);
        return MESSENGER_ACCOUNT_ERROR_UNREACHABLE;
      case XMPP_ERROR_CONNECTION_FAILED:
      case XMPP_ERROR_CONNECTION_CLOSED:
      case XMPP_ERROR_TIMEOUT:
        *message = g_strdup_printf (_("The server %s cannot be reached."), domain);
        return MESSENGER_ACCOUNT_ERROR_UNREACHABLE;
      case XMPP_ERROR_TLS_REQUIRED:
        *message = g_strdup_printf (_("%s does not offer an encrypted connection."), domain);
        return MESSENGER_ACCOUNT_ERROR_NO_ENCRYPTION;
      case XMPP_ERROR_TLS_FAILED:
        *message = g_strdup_printf (_("An encrypted connection to %s could not be set up."), domain);
        return MESSENGER_ACCOUNT_ERROR_UNREACHABLE;
      case XMPP_ERROR_FAILED:
      case XMPP_ERROR_INVALID_ARGUMENT:
      case XMPP_ERROR_JID_MALFORMED:
      case XMPP_ERROR_PROTOCOL:
      case XMPP_ERROR_NOT_CONNECTED:
      default:
        break;
      }
  else if (g_error_matches (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_CONFLICT))
    {
      *message = g_strdup (_("You signed in from another place with the same name."));
      return MESSENGER_ACCOUNT_ERROR_CONFLICT;
    }
  else if (g_error_matches (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_NOT_AUTHORIZED))
    {
      *message = g_strdup (_("The server ended the session: not authorized."));
      return MESSENGER_ACCOUNT_ERROR_AUTHENTICATION;
    }
  else if (g_error_matches (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN)
           || g_error_matches (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_CONNECTION_TIMEOUT)
           || g_error_matches (error, XMPP_STREAM_ERROR, XMPP_STREAM_ERROR_RESET))
    {
      *message = g_strdup_printf (_("The server %s closed the connection."), domain);
      return MESSENGER_ACCOUNT_ERROR_UNREACHABLE;
    }
  else if (error->domain == G_RESOLVER_ERROR || error->domain == G_IO_ERROR)
    {
      *message = g_strdup_printf (_("The server %s cannot be reached."), domain);
      return MESSENGER_ACCOUNT_ERROR_UNREACHABLE;
    }

  /* Translators: %s is a technical error message. */
  *message = g_strdup_printf (_("The connection failed: %s"), error->message);
  return MESSENGER_ACCOUNT_ERROR_OTHER;
}

static gboolean
reconnect_cb (gpointer user_data)
{
  MessengerAccount *self = user_data;

  self->reconnect_source = 0;
  if (!self->wanted)
    return G_SOURCE_REMOVE;
  /* A kept session whose time ran out is dropped by start_session(). */
  if (self->kept && xmpp_client_can_resume (self->client))
    resume_session (self);
  else
    start_session (self, FALSE);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (MessengerAccount *self)
{
  guint delay = self->next_delay_ms;

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  /* Spread reconnects a little so a server restart is not hit by every
   * client at the same moment (RFC 6120 §3.3). */
  delay += g_random_int_range (0, delay / 4 + 1);
  self->reconnect_source = g_timeout_add (delay, reconnect_cb, self);
  self->next_delay_ms = MIN (self->next_delay_ms * 2, MAX_RECONNECT_DELAY_MS);
}

static void
fail_session (MessengerAccount *self,
              const GError     *error)
{
  g_autofree char *message = NULL;
  MessengerAccountErrorKind kind;

  kind = describe_error (self, error, &message);
  if (kind == MESSENGER_ACCOUNT_ERROR_CERTIFICATE && self->client != NULL)
    {
      XmppCertificateInfo *info = xmpp_client_get_certificate_info (self->client);

      g_clear_pointer (&self->certificate, xmpp_certificate_info_free);
      if (info != NULL)
        self->certificate = xmpp_certificate_info_copy (info);
    }

  if (kind == MESSENGER_ACCOUNT_ERROR_UNREACHABLE && self->wanted && self->auto_reconnect)
    {
      /* A lost connection, or a resumption that failed before the server
       * answered: the session waits on the server, so it is resumed
       * rather than signed in again. */
      if (can_keep_session (self))
        keep_session (self);
      else
        drop_session (self);
      /* Retried by itself: connecting again, showing why it isn't online. */
      set_state (self, MESSENGER_ACCOUNT_CONNECTING, kind, message);
      schedule_reconnect (self);
    }
  else
    {
      drop_session (self);
      self->wanted = FALSE;
      set_state (self, MESSENGER_ACCOUNT_ERROR, kind, message);
    }
}

static void
disconnected_cb (XmppClient       *client,
                 const GError     *error,
                 MessengerAccount *self)
{
  if (error == NULL)
    {
      drop_session (self);
      if (self->wanted && self->auto_reconnect)
        {
          set_state (self, MESSENGER_ACCOUNT_CONNECTING, MESSENGER_ACCOUNT_ERROR_NONE, NULL);
          schedule_reconnect (self);
        }
      else
        {
          self->wanted = FALSE;
          set_state (self, MESSENGER_ACCOUNT_OFFLINE, MESSENGER_ACCOUNT_ERROR_NONE, NULL);
        }
      return;
    }
  fail_session (self, error);
}

static void
roster_push_cb (XmppRoster       *roster,
                XmppRosterItem   *item,
                const char       *version,
                MessengerAccount *self)
{
  if (version != NULL)
    messenger_account_set_roster_version (self, version);
  g_signal_emit (self, signals[SIGNAL_ROSTER_PUSH], 0, item, version);
}

static void
presence_cb (XmppPresenceManager *manager,
             XmppPresence        *presence,
             MessengerAccount    *self)
{
  g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, presence);
}

static void
presence_changed_cb (XmppPresenceManager *manager,
                     XmppJid             *bare,
                     MessengerAccount    *self)
{
  g_signal_emit (self, signals[SIGNAL_PRESENCE_CHANGED], 0, bare);
}

static void
subscription_cb (XmppPresenceManager *manager,
                 XmppJid             *from,
                 XmppPresenceType     type,
                 MessengerAccount    *self)
{
  g_signal_emit (self, signals[SIGNAL_SUBSCRIPTION], 0, from, type);
}

static void
message_cb (XmppMessenger    *messenger,
            XmppMessage      *message,
            MessengerAccount *self)
{
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
}

static void
notification_cb (XmppMessenger    *messenger,
                 XmppMessage      *message,
                 MessengerAccount *self)
{
  g_signal_emit (self, signals[SIGNAL_NOTIFICATION], 0, message);
}

static void
carbon_cb (XmppCarbons      *carbons,
           XmppMessage      *message,
           MessengerAccount *self)
{
  g_signal_emit (self, signals[SIGNAL_CARBON], 0, message);
}

static void
send_own_presence (MessengerAccount *self)
{
  self->presence_stale = FALSE;
  if (self->presence != NULL)
    xmpp_presence_manager_set_own (self->presence,
                                   self->show == XMPP_SHOW_OFFLINE ? XMPP_SHOW_AVAILABLE : self->show,
                                   self->status, 0);
}

static void
set_resumed (MessengerAccount *self,
             gboolean          resumed)
{
  if (self->resumed == resumed)
    return;
  self->resumed = resumed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESUMED]);
}

/* The roster and what the server and the account support are known: the
 * session is ready. */
static void
setup_step_done (MessengerAccount *self)
{
  if (self->setup_pending == 0 || --self->setup_pending > 0)
    return;

  /* RFC 6121 §2.2: the roster first, then the initial presence. */
  send_own_presence (self);
  self->next_delay_ms = self->first_delay_ms;
  self->in_session = TRUE;
  g_object_freeze_notify (G_OBJECT (self));
  set_resumed (self, FALSE);
  set_state (self, MESSENGER_ACCOUNT_ONLINE, MESSENGER_ACCOUNT_ERROR_NONE, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
roster_fetched_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  MessengerAccount *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *version = NULL;
  gboolean unchanged = FALSE;

  items = xmpp_roster_fetch_finish (XMPP_ROSTER (source), result, &version, &unchanged, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      /* A session without its roster is of little use; try again later. */
      g_warning ("Cannot fetch the roster of %s: %s", messenger_account_get_jid (self), error->message);
      fail_session (self, error);
      return;
    }

  if (version != NULL)
    messenger_account_set_roster_version (self, version);
  g_signal_emit (self, signals[SIGNAL_ROSTER_RECEIVED], 0, items,
                 version != NULL ? version : self->roster_version, unchanged);
  setup_step_done (self);
}

static gboolean
info_has_feature (XmppElement *query,
                  const char  *feature)
{
  for (XmppElement *child = xmpp_element_next_child (query, NULL);
       child != NULL;
       child = xmpp_element_next_child (query, child))
    if (xmpp_element_is (child, XMPP_NS_DISCO_INFO, "feature")
        && g_strcmp0 (xmpp_element_get_attribute (child, "var"), feature) == 0)
      return TRUE;
  return FALSE;
}

static void
carbons_enabled_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!xmpp_carbons_enable_finish (XMPP_CARBONS (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("The server refused to enable carbons: %s", error->message);
}

static void
server_info_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  MessengerAccount *self = user_data;
  g_autoptr(XmppElement) query = NULL;
  g_autoptr(GError) error = NULL;

  query = xmpp_disco_query_info_finish (XMPP_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Without an answer the server has no features we need. */
  if (query != NULL && info_has_feature (query, XMPP_NS_CARBONS))
    {
      /* Sent before the initial presence, so every chat message the
       * server routes after it is copied to us. */
      self->server_carbons = TRUE;
      xmpp_carbons_enable_async (self->carbons, TRUE, self->cancellable, carbons_enabled_cb, NULL);
    }
  setup_step_done (self);
}

static void
account_info_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  MessengerAccount *self = user_data;
  g_autoptr(XmppElement) query = NULL;
  g_autoptr(GError) error = NULL;

  query = xmpp_disco_query_info_finish (XMPP_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->has_archive = query != NULL && info_has_feature (query, XMPP_NS_MAM);
  setup_step_done (self);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  MessengerAccount *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!xmpp_client_connect_finish (XMPP_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      fail_session (self, error);
      return;
    }
  set_up_session (self);
}

/* A resumption ended.  Resumed: the session goes on as it was (the
 * server kept our roster subscription, presence, carbons and what it had
 * for us; the client sent again what the server never confirmed), so
 * nothing is set up again.  Refused: a new session was bound, set up as
 * after a connect. */
static void
resumed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  MessengerAccount *self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean resumed = FALSE;

  if (!xmpp_client_resume_finish (XMPP_CLIENT (source), result, &resumed, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Still resumable when it failed before the server answered. */
      fail_session (self, error);
      return;
    }

  self->kept = FALSE;
  if (!resumed)
    {
      g_debug ("%s: the server did not resume the session; signing in anew",
               messenger_account_get_jid (self));
      end_session (self);
      set_up_session (self);
      return;
    }

  self->next_delay_ms = self->first_delay_ms;
  g_object_freeze_notify (G_OBJECT (self));
  set_resumed (self, TRUE);
  set_state (self, MESSENGER_ACCOUNT_ONLINE, MESSENGER_ACCOUNT_ERROR_NONE, NULL);
  g_object_thaw_notify (G_OBJECT (self));
  /* Changed while the connection was down: the server has the old one. */
  if (self->presence_stale && self->state == MESSENGER_ACCOUNT_ONLINE)
    send_own_presence (self);
}

static void
resume_session (MessengerAccount *self)
{
  g_assert (self->kept && self->client != NULL);

  self->cancellable = g_cancellable_new ();
  xmpp_client_resume_async (self->client, self->cancellable, resumed_cb, self);
}

/* A new session is bound: the roster, what the server and our account
 * support, then (setup_step_done()) the initial presence and ONLINE. */
static void
set_up_session (MessengerAccount *self)
{
  self->has_archive = FALSE;
  self->server_carbons = FALSE;
  self->setup_pending = 3;
  xmpp_roster_fetch_async (self->roster, self->roster_version, self->cancellable,
                           roster_fetched_cb, self);
  xmpp_disco_query_info_async (self->client, xmpp_jid_get_domain (self->jid), NULL, self->cancellable,
                               server_info_cb, self);
  xmpp_disco_query_info_async (self->client, xmpp_jid_get_bare_string (self->jid), NULL, self->cancellable,
                               account_info_cb, self);
}

/* @fresh: asked for (connect()), so an earlier error is over; otherwise a
 * reconnect, which keeps showing why the account is not online yet. */
static void
start_session (MessengerAccount *self,
               gboolean          fresh)
{
  gboolean keep_error = !fresh && self->error_kind == MESSENGER_ACCOUNT_ERROR_UNREACHABLE;

  drop_session (self);

  if (self->password == NULL)
    {
      self->wanted = FALSE;
      set_state (self, MESSENGER_ACCOUNT_ERROR, MESSENGER_ACCOUNT_ERROR_AUTHENTICATION,
                 _("A password is needed to sign in."));
      return;
    }

  self->cancellable = g_cancellable_new ();
  self->client = xmpp_client_new (self->jid, self->password);
  if (self->host != NULL)
    xmpp_client_set_server (self->client, self->host, self->port);
  xmpp_client_set_direct_tls (self->client, self->direct_tls);
  if (self->pinned != NULL)
    xmpp_client_set_pinned_fingerprint (self->client, self->pinned);
  if (self->resource != NULL)
    xmpp_client_set_resource (self->client, self->resource);
  /* XEP-0198: outgoing messages are confirmed by the server's <a/>, and
   * incoming ones acknowledged only once stored (see defer_ack()). */
  xmpp_client_set_use_stream_management (self->client, TRUE);

  self->disco = xmpp_disco_new (self->client, "client", "pc", "Messenger");
  xmpp_disco_add_feature (self->disco, XMPP_NS_RECEIPTS);
  xmpp_disco_add_feature (self->disco, XMPP_NS_CHAT_STATES);
  self->roster = xmpp_roster_new (self->client);
  self->presence = xmpp_presence_manager_new (self->client, self->disco);
  /* Before the messenger: carbons are consumed, never seen as messages. */
  self->carbons = xmpp_carbons_new (self->client);
  self->messenger = xmpp_messenger_new (self->client);

  g_signal_connect (self->client, "disconnected", G_CALLBACK (disconnected_cb), self);
  g_signal_connect (self->roster, "push", G_CALLBACK (roster_push_cb), self);
  g_signal_connect (self->presence, "presence", G_CALLBACK (presence_cb), self);
  g_signal_connect (self->presence, "changed", G_CALLBACK (presence_changed_cb), self);
  g_signal_connect (self->presence, "subscription", G_CALLBACK (subscription_cb), self);
  g_signal_connect (self->messenger, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (self->messenger, "notification", G_CALLBACK (notification_cb), self);
  g_signal_connect (self->carbons, "message", G_CALLBACK (carbon_cb), self);

  set_state (self, MESSENGER_ACCOUNT_CONNECTING,
             keep_error ? self->error_kind : MESSENGER_ACCOUNT_ERROR_NONE,
             keep_error ? self->error_message : NULL);
  xmpp_client_connect_async (self->client, self->cancellable, connected_cb, self);
}

void
messenger_account_connect (MessengerAccount *self)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  self->wanted = TRUE;
  self->next_delay_ms = self->first_delay_ms;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->state == MESSENGER_ACCOUNT_ONLINE)
    return;
  if (self->kept)
    {
      /* A resumption under way goes on; a kept session is resumed now. */
      if (xmpp_client_get_state (self->client) != XMPP_CLIENT_STATE_DISCONNECTED)
        return;
      if (xmpp_client_can_resume (self->client))
        {
          set_state (self, MESSENGER_ACCOUNT_CONNECTING, MESSENGER_ACCOUNT_ERROR_NONE, NULL);
          resume_session (self);
          return;
        }
    }
  /* Straight to CONNECTING (or to the error that stops it at once): no
   * passing state in between. */
  start_session (self, TRUE);
}

void
messenger_account_trust_certificate (MessengerAccount *self)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));
  g_return_if_fail (self->certificate != NULL);

  messenger_account_set_pinned_fingerprint (self, self->certificate->fingerprint_sha256);
  messenger_account_connect (self);
}

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(XmppClient) client = XMPP_CLIENT (source);

  xmpp_client_close_finish (client, result, NULL);
}

void
messenger_account_disconnect (MessengerAccount *self)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  self->wanted = FALSE;
  g_clear_handle_id (&self->reconnect_source, g_source_remove);

  if (self->client != NULL && xmpp_client_get_state (self->client) == XMPP_CLIENT_STATE_CONNECTED)
    {
      /* An orderly goodbye: unavailable presence, then close the stream;
       * the client object lives until the close is done. */
      XmppClient *client = g_object_ref (self->client);

      if (self->presence != NULL)
        xmpp_presence_manager_set_own (self->presence, XMPP_SHOW_OFFLINE, NULL, 0);
      drop_session (self);
      xmpp_client_close_async (client, NULL, closed_cb, client);
    }
  else
    drop_session (self);

  set_state (self, MESSENGER_ACCOUNT_OFFLINE, MESSENGER_ACCOUNT_ERROR_NONE, NULL);
}

void
messenger_account_set_server (MessengerAccount *self,
                              const char       *host,
                              guint16           port)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  g_free (self->host);
  self->host = (host != NULL && *host != '\0') ? g_strdup (host) : NULL;
  self->port = port;
}

void
messenger_account_set_direct_tls (MessengerAccount *self,
                                  gboolean          direct_tls)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));
  self->direct_tls = direct_tls;
}

const char *
messenger_account_get_server (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->host;
}

guint16
messenger_account_get_port (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), 0);
  return self->port;
}

gboolean
messenger_account_get_direct_tls (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->direct_tls;
}

void
messenger_account_set_send_chat_states (MessengerAccount *self,
                                        gboolean          send)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  send = !!send;
  if (self->send_chat_states == send)
    return;
  self->send_chat_states = send;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEND_CHAT_STATES]);
}

gboolean
messenger_account_get_send_chat_states (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->send_chat_states;
}

void
messenger_account_set_send_receipts (MessengerAccount *self,
                                     gboolean          send)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  send = !!send;
  if (self->send_receipts == send)
    return;
  self->send_receipts = send;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEND_RECEIPTS]);
}

gboolean
messenger_account_get_send_receipts (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->send_receipts;
}

void
messenger_account_set_pinned_fingerprint (MessengerAccount *self,
                                          const char       *sha256)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  g_free (self->pinned);
  self->pinned = sha256 != NULL ? xmpp_fingerprint_normalize (sha256) : NULL;
}

const char *
messenger_account_get_pinned_fingerprint (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->pinned;
}

void
messenger_account_set_resource (MessengerAccount *self,
                                const char       *resource)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  g_free (self->resource);
  self->resource = g_strdup (resource);
}

void
messenger_account_set_password (MessengerAccount *self,
                                const char       *password)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  self->password = g_strdup (password);
}

void
messenger_account_set_auto_reconnect (MessengerAccount *self,
                                      gboolean          auto_reconnect)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  auto_reconnect = !!auto_reconnect;
  if (self->auto_reconnect == auto_reconnect)
    return;
  self->auto_reconnect = auto_reconnect;

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_RECONNECT]);
  /* Waiting to try again: stop waiting, and say why it is not online. */
  if (!auto_reconnect && self->reconnect_source != 0)
    {
      g_clear_handle_id (&self->reconnect_source, g_source_remove);
      self->wanted = FALSE;
      /* Not resumed after all. */
      if (self->kept)
        drop_session (self);
      set_state (self,
                 self->error_kind != MESSENGER_ACCOUNT_ERROR_NONE ? MESSENGER_ACCOUNT_ERROR
                                                                  : MESSENGER_ACCOUNT_OFFLINE,
                 self->error_kind, self->error_message);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
messenger_account_get_auto_reconnect (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->auto_reconnect;
}

void
messenger_account_set_reconnect_delay (MessengerAccount *self,
                                       guint             milliseconds)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  self->first_delay_ms = MAX (milliseconds, 1);
  self->next_delay_ms = self->first_delay_ms;
}

void
messenger_account_set_roster_version (MessengerAccount *self,
                                      const char       *version)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  if (g_strcmp0 (self->roster_version, version) == 0)
    return;
  g_free (self->roster_version);
  self->roster_version = g_strdup (version);
}

MessengerAccountState
messenger_account_get_state (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), MESSENGER_ACCOUNT_OFFLINE);
  return self->state;
}

MessengerAccountErrorKind
messenger_account_get_error_kind (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), MESSENGER_ACCOUNT_ERROR_NONE);
  return self->error_kind;
}

const char *
messenger_account_get_error_message (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->error_message;
}

XmppCertificateInfo *
messenger_account_get_certificate_info (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->certificate;
}

void
messenger_account_set_presence (MessengerAccount *self,
                                XmppShow          show,
                                const char       *status)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->show != show)
    {
      self->show = show;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW]);
    }
  if (g_strcmp0 (self->status, status) != 0)
    {
      g_free (self->status);
      self->status = g_strdup (status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  g_object_thaw_notify (G_OBJECT (self));

  if (show == XMPP_SHOW_OFFLINE)
    messenger_account_disconnect (self);
  else if (self->state == MESSENGER_ACCOUNT_ONLINE)
    send_own_presence (self);
  else
    self->presence_stale = TRUE;
}

gboolean
messenger_account_get_resumed (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->resumed;
}

XmppShow
messenger_account_get_show (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), XMPP_SHOW_OFFLINE);
  return self->show;
}

const char *
messenger_account_get_status (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->status;
}

XmppClient *
messenger_account_get_client (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->state == MESSENGER_ACCOUNT_ONLINE ? self->client : NULL;
}

XmppRoster *
messenger_account_get_roster (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->state == MESSENGER_ACCOUNT_ONLINE ? self->roster : NULL;
}

XmppPresenceManager *
messenger_account_get_presence (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), NULL);
  return self->state == MESSENGER_ACCOUNT_ONLINE ? self->presence : NULL;
}

gboolean
messenger_account_has_archive (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->state == MESSENGER_ACCOUNT_ONLINE && self->has_archive;
}

gboolean
messenger_account_has_carbons (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  return self->state == MESSENGER_ACCOUNT_ONLINE && self->server_carbons;
}

gboolean
messenger_account_send_stanza (MessengerAccount *self,
                               XmppElement      *stanza)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  if (self->state != MESSENGER_ACCOUNT_ONLINE || self->client == NULL)
    return FALSE;
  xmpp_client_send (self->client, stanza);
  return TRUE;
}

gboolean
messenger_account_send_message (MessengerAccount *self,
                                XmppMessage      *message)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (self->state != MESSENGER_ACCOUNT_ONLINE || self->messenger == NULL)
    return FALSE;
  xmpp_messenger_send (self->messenger, message);
  return TRUE;
}

gboolean
messenger_account_send_message_tracked (MessengerAccount *self,
                                        XmppMessage      *message,
                                        XmppAckedFunc     func,
                                        gpointer          data,
                                        GDestroyNotify    destroy)
{
  g_autoptr(XmppElement) stanza = NULL;

  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (self->state != MESSENGER_ACCOUNT_ONLINE || self->client == NULL)
    {
      if (destroy != NULL)
        destroy (data);
      return FALSE;
    }
  stanza = xmpp_message_to_element (message);
  xmpp_client_send_tracked (self->client, stanza, func, data, destroy);
  return TRUE;
}

guint64
messenger_account_defer_ack (MessengerAccount *self)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (self), 0);

  if (self->client == NULL)
    return 0;
  return xmpp_client_defer_ack (self->client);
}

void
messenger_account_complete_ack (MessengerAccount *self,
                                guint64           token)
{
  g_return_if_fail (MESSENGER_IS_ACCOUNT (self));

  /* Tokens are unique across clients: one of a session that is gone
   * does nothing here. */
  if (token != 0 && self->client != NULL)
    xmpp_client_complete_ack (self->client, token);
}

static void
messenger_account_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MessengerAccount *self = MESSENGER_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_string (value, messenger_account_get_jid (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR_KIND:
      g_value_set_enum (value, self->error_kind);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_SHOW:
      g_value_set_int (value, self->show);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_SEND_CHAT_STATES:
      g_value_set_boolean (value, self->send_chat_states);
      break;
    case PROP_SEND_RECEIPTS:
      g_value_set_boolean (value, self->send_receipts);
      break;
    case PROP_AUTO_RECONNECT:
      g_value_set_boolean (value, self->auto_reconnect);
      break;
    case PROP_RESUMED:
      g_value_set_boolean (value, self->resumed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_account_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MessengerAccount *self = MESSENGER_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_JID:
      {
        g_autoptr(XmppJid) jid = xmpp_jid_new (g_value_get_string (value), NULL);
        g_return_if_fail (jid != NULL);
        self->jid = xmpp_jid_get_bare (jid);
      }
      break;
    case PROP_SEND_CHAT_STATES:
      messenger_account_set_send_chat_states (self, g_value_get_boolean (value));
      break;
    case PROP_SEND_RECEIPTS:
      messenger_account_set_send_receipts (self, g_value_get_boolean (value));
      break;
    case PROP_AUTO_RECONNECT:
      messenger_account_set_auto_reconnect (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_account_dispose (GObject *object)
{
  MessengerAccount *self = MESSENGER_ACCOUNT (object);

  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  /* Nobody is told any more. */
  self->in_session = FALSE;
  drop_session (self);

  G_OBJECT_CLASS (messenger_account_parent_class)->dispose (object);
}

static void
messenger_account_finalize (GObject *object)
{
  MessengerAccount *self = MESSENGER_ACCOUNT (object);

  messenger_account_set_password (self, NULL);
  g_clear_pointer (&self->jid, xmpp_jid_unref);
  g_free (self->host);
  g_free (self->pinned);
  g_free (self->resource);
  g_free (self->roster_version);
  g_free (self->error_message);
  g_free (self->status);
  g_clear_pointer (&self->certificate, xmpp_certificate_info_free);

  G_OBJECT_CLASS (messenger_account_parent_class)->finalize (object);
}

static void
messenger_account_class_init (MessengerAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = messenger_account_get_property;
  object_class->set_property = messenger_account_set_property;
  object_class->dispose = messenger_account_dispose;
  object_class->finalize = messenger_account_finalize;

  properties[PROP_JID] =
    g_param_spec_string ("jid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, MESSENGER_TYPE_ACCOUNT_STATE, MESSENGER_ACCOUNT_OFFLINE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_KIND] =
    g_param_spec_enum ("error-kind", NULL, NULL, MESSENGER_TYPE_ACCOUNT_ERROR_KIND,
                       MESSENGER_ACCOUNT_ERROR_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW] =
    g_param_spec_int ("show", NULL, NULL, XMPP_SHOW_CHAT, XMPP_SHOW_OFFLINE, XMPP_SHOW_AVAILABLE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEND_CHAT_STATES] =
    g_param_spec_boolean ("send-chat-states", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEND_RECEIPTS] =
    g_param_spec_boolean ("send-receipts", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTO_RECONNECT] =
    g_param_spec_boolean ("auto-reconnect", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESUMED] =
    g_param_spec_boolean ("resumed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ROSTER_RECEIVED] =
    g_signal_new ("roster-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_POINTER, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[SIGNAL_ROSTER_PUSH] =
    g_signal_new ("roster-push", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_STRING);
  signals[SIGNAL_PRESENCE] =
    g_signal_new ("presence", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_PRESENCE_CHANGED] =
    g_signal_new ("presence-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_SUBSCRIPTION] =
    g_signal_new ("subscription", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_INT);
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_NOTIFICATION] =
    g_signal_new ("notification", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_CARBON] =
    g_signal_new ("carbon", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_SESSION_ENDED] =
    g_signal_new ("session-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
messenger_account_init (MessengerAccount *self)
{
  self->state = MESSENGER_ACCOUNT_OFFLINE;
  self->show = XMPP_SHOW_AVAILABLE;
  self->send_chat_states = TRUE;
  self->send_receipts = TRUE;
  self->auto_reconnect = TRUE;
  self->first_delay_ms = 2000;
  self->next_delay_ms = self->first_delay_ms;
}
