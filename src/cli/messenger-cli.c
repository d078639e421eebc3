/* messenger-cli.c: the command-line client on the protocol library
 *
 * One connection per run: parse the global options, connect (or, for
 * "register", only open the stream), run the command, close, and exit with
 * a code that tells scripts what happened (see ExitCode).  Output meant for
 * scripts goes to stdout, one line per item; errors go to stderr.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "xmpp-client.h"
#include "xmpp-disco.h"
#include "xmpp-message.h"
#include "xmpp-presence.h"
#include "xmpp-register.h"
#include "xmpp-roster.h"

typedef enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,            /* the server refused the request, or other */
  EXIT_USAGE = 2,             /* bad arguments */
  EXIT_AUTH = 3,              /* authentication failed */
  EXIT_CERTIFICATE = 4,       /* untrusted certificate */
  EXIT_UNREACHABLE = 5,       /* server not found or not reachable */
  EXIT_TIMEOUT = 6,           /* no answer in time */
  EXIT_TLS = 7,               /* no TLS offered, or TLS failed */
} ExitCode;

typedef struct _Cli Cli;
typedef void (*CommandFunc) (Cli *cli);

typedef struct
{
  const char  *name;
  const char  *args;
  const char  *summary;
  CommandFunc  run;
  gboolean     needs_auth;
  int          min_args;
  int          max_args;
} Command;

struct _Cli
{
  GMainLoop           *loop;
  GCancellable        *cancellable;
  const Command       *command;
  char               **args;        /* positional arguments after the command */
  int                  n_args;
  int                  exit_code;
  gboolean             finishing;
  gboolean             expect_disconnect;   /* the server may close after unregister */

  XmppJid             *jid;
  XmppClient          *client;
  XmppRoster          *roster;
  XmppPresenceManager *presence;
  XmppMessenger       *messenger;
  XmppDisco           *disco;

  /* options */
  char                *opt_jid;
  char                *opt_password_file;
  char                *opt_new_password_file;
  char                *opt_server;
  gboolean             opt_direct_tls;
  char                *opt_pin;
  char                *opt_resource;
  int                  opt_timeout;
  gboolean             opt_verbose;
  char                *opt_name;
  char               **opt_groups;
  char                *opt_thread;
  char                *opt_parent;
  char                *opt_subject;
  char                *opt_type;
  int                  opt_count;
  gboolean             opt_json;
  char                *opt_show;
  char                *opt_status;
  int                  opt_priority;
  int                  opt_linger;

  int                  received;
};

static void finish (Cli *cli, int code);

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void
json_string (GString    *out,
             const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      guchar c = (guchar) *p;
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, c);
        }
    }
  g_string_append_c (out, '"');
}

/* Print one record: kind, then key/value pairs (NULL values skipped in the
 * plain form), as JSON or as "kind key=value … [: text]". */
static void
print_record (Cli        *cli,
              const char *kind,
              const char *text_key,
              ...)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *text = NULL;
  const char *key;
  va_list ap;

  if (cli->opt_json)
    {
      g_string_append (out, "{\"kind\":");
      json_string (out, kind);
    }
  else
    g_string_append (out, kind);

  va_start (ap, text_key);
  while ((key = va_arg (ap, const char *)) != NULL)
    {
      const char *value = va_arg (ap, const char *);

      if (cli->opt_json)
        {
          g_string_append_c (out, ',');
          json_string (out, key);
          g_string_append_c (out, ':');
          json_string (out, value);
        }
      else if (text_key != NULL && strcmp (key, text_key) == 0)
        text = value;
      else if (value != NULL)
        {
          g_autofree char *escaped = g_strescape (value, "");
          g_string_append_printf (out, " %s=%s", key, escaped);
        }
    }
  va_end (ap);

  if (cli->opt_json)
    g_string_append_c (out, '}');
  else if (text != NULL)
    {
      g_autofree char *escaped = g_strescape (text, "");
      g_string_append_printf (out, ": %s", escaped);
    }
  g_print ("%s\n", out->str);
  fflush (stdout);
}

static int
exit_code_for_error (const GError *error)
{
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CANCELLED)
    return EXIT_TIMEOUT;
  if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_TIMED_OUT)
    return EXIT_TIMEOUT;
  if (error->domain == G_RESOLVER_ERROR)
    return EXIT_UNREACHABLE;
  if (error->domain != XMPP_ERROR)
    return EXIT_FAILED;

  switch ((XmppErrorCode) error->code)
    {
    case XMPP_ERROR_AUTHENTICATION_FAILED:
    case XMPP_ERROR_NO_SUPPORTED_MECHANISM:
    case XMPP_ERROR_SERVER_SIGNATURE_MISMATCH:
      return EXIT_AUTH;
    case XMPP_ERROR_CERTIFICATE_UNTRUSTED:
      return EXIT_CERTIFICATE;
    case XMPP_ERROR_HOST_NOT_FOUND:
    case XMPP_ERROR_CONNECTION_FAILED:
      return EXIT_UNREACHABLE;
    case XMPP_ERROR_TIMEOUT:
      return EXIT_TIMEOUT;
    case XMPP_ERROR_TLS_REQUIRED:
    case XMPP_ERROR_TLS_FAILED:
      return EXIT_TLS;
    case XMPP_ERROR_FAILED:
    case XMPP_ERROR_INVALID_ARGUMENT:
    case XMPP_ERROR_JID_MALFORMED:
    case XMPP_ERROR_CONNECTION_CLOSED:
    case XMPP_ERROR_PROTOCOL:
    case XMPP_ERROR_NOT_CONNECTED:
    default:
      return EXIT_FAILED;
    }
}

static void
fail (Cli          *cli,
      const char   *what,
      const GError *error)
{
  int code = exit_code_for_error (error);

  if (code == EXIT_TIMEOUT && error->domain == G_IO_ERROR)
    g_printerr (_("messenger-cli: %s: no answer within %d seconds\n"), what, cli->opt_timeout);
  else if (error->domain == XMPP_STANZA_ERROR
           && !g_str_has_prefix (error->message, xmpp_stanza_condition_to_string (error->code)))
    /* Name the condition too: scripts match on it, people read the text. */
    g_printerr ("messenger-cli: %s: %s (%s)\n", what, error->message,
                xmpp_stanza_condition_to_string (error->code));
  else
    g_printerr ("messenger-cli: %s: %s\n", what, error->message);

  if (code == EXIT_CERTIFICATE && cli->client != NULL)
    {
      XmppCertificateInfo *info = xmpp_client_get_certificate_info (cli->client);
      if (info != NULL)
        g_printerr (_("The server's certificate is not trusted.\n"
                      "  Subject:     %s\n"
                      "  Fingerprint: %s (SHA-256)\n"
                      "If you trust it, run again with --pin %s\n"),
                    info->subject ? info->subject : "?",
                    info->fingerprint_sha256, info->fingerprint_sha256);
    }
  else if (code == EXIT_AUTH)
    g_printerr (_("Check the address and the password.\n"));
  finish (cli, code);
}

/* ------------------------------------------------------------------ */
/* Connection                                                          */

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Cli *cli = user_data;

  xmpp_client_close_finish (XMPP_CLIENT (source), result, NULL);
  g_main_loop_quit (cli->loop);
}

static void
finish (Cli *cli,
        int  code)
{
  if (cli->finishing)
    return;
  cli->finishing = TRUE;
  cli->exit_code = code;

  if (cli->client != NULL
      && xmpp_client_get_state (cli->client) != XMPP_CLIENT_STATE_DISCONNECTED)
    {
      if (xmpp_client_get_state (cli->client) == XMPP_CLIENT_STATE_CONNECTED && cli->presence != NULL)
        xmpp_presence_manager_set_own (cli->presence, XMPP_SHOW_OFFLINE, NULL, 0);
      xmpp_client_close_async (cli->client, NULL, close_cb, cli);
    }
  else
    g_main_loop_quit (cli->loop);
}

static void
finish_later (Cli *cli)
{
  /* Let the write queue flush what the command sent before closing. */
  finish (cli, EXIT_OK);
}

static gboolean
linger_done_cb (gpointer user_data)
{
  finish_later (user_data);
  return G_SOURCE_REMOVE;
}

static void
disconnected_cb (XmppClient   *client,
                 const GError *error,
                 Cli          *cli)
{
  if (cli->finishing)
    {
      g_main_loop_quit (cli->loop);
      return;
    }
  if (cli->expect_disconnect)
    return;     /* the pending request's callback decides */
  if (error != NULL)
    fail (cli, _("disconnected"), error);
  else
    finish (cli, EXIT_FAILED);
}

static void
stanza_logged_cb (XmppClient  *client,
                  XmppElement *stanza,
                  gpointer     direction)
{
  g_autofree char *xml = xmpp_element_to_string (stanza);
  g_printerr ("%s %s\n", (const char *) direction, xml);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (cli->command->needs_auth)
    ok = xmpp_client_connect_finish (XMPP_CLIENT (source), result, &error);
  else
    ok = xmpp_client_open_finish (XMPP_CLIENT (source), result, &error);

  if (!ok)
    {
      g_autofree char *what = g_strdup_printf (_("cannot connect as %s"), xmpp_jid_get_bare_string (cli->jid));
      fail (cli, what, error);
      return;
    }

  cli->command->run (cli);
}

static char *
read_password (Cli     *cli,
               GError **error)
{
  const char *env = g_getenv ("MESSENGER_PASSWORD");
  g_autofree char *contents = NULL;

  if (cli->opt_password_file != NULL)
    {
      if (!g_file_get_contents (cli->opt_password_file, &contents, NULL, error))
        return NULL;
      g_strchomp (contents);
      return g_steal_pointer (&contents);
    }
  if (env != NULL)
    return g_strdup (env);

  g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                       _("no password: set MESSENGER_PASSWORD or use --password-file"));
  return NULL;
}

static gboolean
parse_server (const char  *server,
              char       **host,
              guint16     *port)
{
  g_autoptr(GNetworkAddress) address = NULL;

  address = G_NETWORK_ADDRESS (g_network_address_parse (server, 5222, NULL));
  if (address == NULL)
    return FALSE;
  *host = g_strdup (g_network_address_get_hostname (address));
  *port = g_network_address_get_port (address);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static XmppJid *
arg_jid (Cli *cli,
         int  index)
{
  g_autoptr(GError) error = NULL;
  XmppJid *jid = xmpp_jid_new (cli->args[index], &error);

  if (jid == NULL)
    g_printerr (_("messenger-cli: “%s” is not a valid address: %s\n"), cli->args[index], error->message);
  return jid;
}

static void
register_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!xmpp_register_submit_finish (XMPP_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_CONFLICT))
        g_printerr (_("messenger-cli: the account %s exists already\n"), xmpp_jid_get_bare_string (cli->jid));
      fail (cli, _("registration refused"), error);
      return;
    }
  print_record (cli, "registered", NULL, "jid", xmpp_jid_get_bare_string (cli->jid), NULL);
  finish_later (cli);
}

static void
register_form_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppRegisterForm) form = NULL;
  g_autoptr(GHashTable) fields = NULL;
  g_autofree char *password = NULL;

  form = xmpp_register_fetch_form_finish (XMPP_CLIENT (source), result, &error);
  if (form == NULL)
    {
      fail (cli, _("the server offers no registration"), error);
      return;
    }
  for (guint i = 0; form->fields[i] != NULL; i++)
    if (strcmp (form->fields[i], "username") != 0 && strcmp (form->fields[i], "password") != 0)
      g_printerr (_("messenger-cli: the server also asks for “%s”, which is left empty\n"), form->fields[i]);

  password = read_password (cli, &error);
  fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (fields, (gpointer) "username", g_strdup (xmpp_jid_get_local (cli->jid)));
  g_hash_table_insert (fields, (gpointer) "password", g_steal_pointer (&password));
  xmpp_register_submit_async (cli->client, fields, cli->cancellable, register_done_cb, cli);
}

static void
cmd_register (Cli *cli)
{
  if (xmpp_jid_get_local (cli->jid) == NULL)
    {
      g_printerr (_("messenger-cli: --jid must include a user name to register\n"));
      finish (cli, EXIT_USAGE);
      return;
    }
  xmpp_register_fetch_form_async (cli->client, cli->cancellable, register_form_cb, cli);
}

static void
password_changed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!xmpp_register_change_password_finish (XMPP_CLIENT (source), result, &error))
    {
      fail (cli, _("the server refused the new password"), error);
      return;
    }
  print_record (cli, "password-changed", NULL, "jid", xmpp_jid_get_bare_string (cli->jid), NULL);
  finish_later (cli);
}

static void
cmd_passwd (Cli *cli)
{
  const char *env = g_getenv ("MESSENGER_NEW_PASSWORD");
  g_autofree char *password = NULL;
  g_autoptr(GError) error = NULL;

  if (cli->opt_new_password_file != NULL)
    {
      if (!g_file_get_contents (cli->opt_new_password_file, &password, NULL, &error))
        {
          g_printerr ("messenger-cli: %s\n", error->message);
          finish (cli, EXIT_USAGE);
          return;
        }
      g_strchomp (password);
    }
  else if (env != NULL)
    password = g_strdup (env);

  if (password == NULL || *password == '\0')
    {
      g_printerr (_("messenger-cli: no new password: set MESSENGER_NEW_PASSWORD or use --new-password-file\n"));
      finish (cli, EXIT_USAGE);
      return;
    }
  xmpp_register_change_password_async (cli->client, password, cli->cancellable, password_changed_cb, cli);
}

static void
unregistered_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!xmpp_register_cancel_finish (XMPP_CLIENT (source), result, &error))
    {
      fail (cli, _("the server refused to delete the account"), error);
      return;
    }
  print_record (cli, "unregistered", NULL, "jid", xmpp_jid_get_bare_string (cli->jid), NULL);
  finish_later (cli);
}

static void
cmd_unregister (Cli *cli)
{
  cli->expect_disconnect = TRUE;
  xmpp_register_cancel_async (cli->client, cli->cancellable, unregistered_cb, cli);
}

static char *
join_groups (XmppRosterItem *item)
{
  return g_strjoinv (",", item->groups);
}

static void
print_roster_item (Cli            *cli,
                   const char     *kind,
                   XmppRosterItem *item)
{
  g_autofree char *groups = join_groups (item);

  print_record (cli, kind, NULL,
                "jid", xmpp_jid_get_bare_string (item->jid),
                "name", item->name,
                "subscription", xmpp_subscription_to_string (item->subscription),
                "ask", item->ask ? "subscribe" : NULL,
                "groups", *groups != '\0' ? groups : NULL,
                NULL);
}

static void
roster_fetched_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;

  items = xmpp_roster_fetch_finish (XMPP_ROSTER (source), result, NULL, NULL, &error);
  if (items == NULL && error != NULL)
    {
      fail (cli, _("cannot get the roster"), error);
      return;
    }
  for (guint i = 0; items != NULL && i < items->len; i++)
    print_roster_item (cli, "item", g_ptr_array_index (items, i));
  finish_later (cli);
}

static void
cmd_roster (Cli *cli)
{
  xmpp_roster_fetch_async (cli->roster, NULL, cli->cancellable, roster_fetched_cb, cli);
}

static void
roster_changed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (cli->command->run == (CommandFunc) NULL)
    return;
  if (g_task_get_source_tag (G_TASK (result)) == xmpp_roster_remove_async)
    ok = xmpp_roster_remove_finish (XMPP_ROSTER (source), result, &error);
  else
    ok = xmpp_roster_set_finish (XMPP_ROSTER (source), result, &error);

  if (!ok)
    {
      fail (cli, _("the server refused the roster change"), error);
      return;
    }
  finish_later (cli);
}

static void
cmd_roster_add (Cli *cli)
{
  g_autoptr(XmppJid) jid = arg_jid (cli, 0);
  g_autoptr(XmppRosterItem) item = NULL;

  if (jid == NULL)
    {
      finish (cli, EXIT_USAGE);
      return;
    }
  item = xmpp_roster_item_new (jid, cli->opt_name, (const char * const *) cli->opt_groups);
  xmpp_roster_set_async (cli->roster, item, cli->cancellable, roster_changed_cb, cli);
}

static void
cmd_roster_remove (Cli *cli)
{
  g_autoptr(XmppJid) jid = arg_jid (cli, 0);

  if (jid == NULL)
    {
      finish (cli, EXIT_USAGE);
      return;
    }
  xmpp_roster_remove_async (cli->roster, jid, cli->cancellable, roster_changed_cb, cli);
}

static void
send_subscription (Cli              *cli,
                   XmppPresenceType  type)
{
  g_autoptr(XmppJid) jid = arg_jid (cli, 0);

  if (jid == NULL)
    {
      finish (cli, EXIT_USAGE);
      return;
    }
  xmpp_presence_manager_send_type (cli->presence, jid, type);
  finish_later (cli);
}

static void cmd_subscribe (Cli *cli)   { send_subscription (cli, XMPP_PRESENCE_SUBSCRIBE); }
static void cmd_approve (Cli *cli)     { send_subscription (cli, XMPP_PRESENCE_SUBSCRIBED); }
static void cmd_deny (Cli *cli)        { send_subscription (cli, XMPP_PRESENCE_UNSUBSCRIBED); }
static void cmd_unsubscribe (Cli *cli) { send_subscription (cli, XMPP_PRESENCE_UNSUBSCRIBE); }

static void
cmd_send (Cli *cli)
{
  g_autoptr(XmppJid) jid = arg_jid (cli, 0);
  g_autoptr(XmppMessage) message = NULL;
  XmppMessageType type = XMPP_MESSAGE_CHAT;

  if (jid == NULL)
    {
      finish (cli, EXIT_USAGE);
      return;
    }
  if (cli->opt_type != NULL
      && (!xmpp_message_type_from_string (cli->opt_type, &type) || type == XMPP_MESSAGE_ERROR))
    {
      g_printerr (_("messenger-cli: unknown message type “%s”\n"), cli->opt_type);
      finish (cli, EXIT_USAGE);
      return;
    }

  message = xmpp_message_new (type, jid, cli->args[1]);
  message->thread = g_strdup (cli->opt_thread);
  message->parent_thread = g_strdup (cli->opt_parent);
  message->subject = g_strdup (cli->opt_subject);
  if (message->parent_thread != NULL && message->thread == NULL)
    message->thread = g_uuid_string_random ();
  xmpp_messenger_send (cli->messenger, message);
  print_record (cli, "sent", NULL, "id", message->id, "to", xmpp_jid_to_string (jid),
                "thread", message->thread, NULL);
  finish_later (cli);
}

static gboolean
parse_show (Cli        *cli,
            const char *text,
            XmppShow   *show)
{
  if (!xmpp_show_from_string (text, show))
    {
      g_printerr (_("messenger-cli: unknown presence “%s” (use available, chat, away, xa, dnd or offline)\n"), text);
      finish (cli, EXIT_USAGE);
      return FALSE;
    }
  return TRUE;
}

static void
cmd_presence (Cli *cli)
{
  XmppShow show = XMPP_SHOW_AVAILABLE;

  if (cli->n_args > 0 && !parse_show (cli, cli->args[0], &show))
    return;
  xmpp_presence_manager_set_own (cli->presence, show,
                                 cli->n_args > 1 ? cli->args[1] : NULL, cli->opt_priority);
  if (cli->opt_linger > 0)
    g_timeout_add_seconds (cli->opt_linger, linger_done_cb, cli);
  else
    finish_later (cli);
}

static void
count_received (Cli *cli)
{
  cli->received++;
  if (cli->opt_count > 0 && cli->received >= cli->opt_count)
    finish (cli, EXIT_OK);
}

static void
listen_message_cb (XmppMessenger *messenger,
                   XmppMessage   *message,
                   Cli           *cli)
{
  g_autofree char *delay = message->delay ? g_date_time_format_iso8601 (message->delay) : NULL;

  print_record (cli, "message", "body",
                "from", message->from ? xmpp_jid_to_string (message->from) : NULL,
                "type", xmpp_message_type_to_string (message->type),
                "id", message->id,
                "thread", message->thread,
                "parent", message->parent_thread,
                "subject", message->subject,
                "delay", delay,
                "error", message->error ? message->error->message : NULL,
                "body", message->body,
                NULL);
  count_received (cli);
}

static void
listen_presence_cb (XmppPresenceManager *manager,
                    XmppPresence        *presence,
                    Cli                 *cli)
{
  char priority[8];

  if (presence->type != XMPP_PRESENCE_AVAILABLE && presence->type != XMPP_PRESENCE_UNAVAILABLE)
    return;   /* subscriptions are reported by listen_subscription_cb */

  g_snprintf (priority, sizeof priority, "%d", presence->priority);
  print_record (cli, "presence", "status",
                "from", presence->from ? xmpp_jid_to_string (presence->from) : NULL,
                "show", xmpp_show_to_string (presence->show),
                "priority", presence->type == XMPP_PRESENCE_AVAILABLE ? priority : NULL,
                "status", presence->status,
                NULL);
  count_received (cli);
}

static void
listen_subscription_cb (XmppPresenceManager *manager,
                        XmppJid             *from,
                        XmppPresenceType     type,
                        Cli                 *cli)
{
  print_record (cli, xmpp_presence_type_to_string (type), NULL,
                "from", xmpp_jid_to_string (from), NULL);
  count_received (cli);
}

static void
listen_roster_push_cb (XmppRoster     *roster,
                       XmppRosterItem *item,
                       const char     *version,
                       Cli            *cli)
{
  print_roster_item (cli, "roster-push", item);
  count_received (cli);
}

static void
listen_roster_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  XmppShow show = XMPP_SHOW_AVAILABLE;

  /* Fetching the roster makes this resource "interested": it gets pushes. */
  items = xmpp_roster_fetch_finish (XMPP_ROSTER (source), result, NULL, NULL, &error);
  if (items == NULL && error != NULL)
    {
      fail (cli, _("cannot get the roster"), error);
      return;
    }
  if (cli->opt_show != NULL && !parse_show (cli, cli->opt_show, &show))
    return;
  xmpp_presence_manager_set_own (cli->presence, show, cli->opt_status, cli->opt_priority);
  print_record (cli, "ready", NULL, "jid", xmpp_jid_to_string (xmpp_client_get_bound_jid (cli->client)), NULL);
}

static void
cmd_listen (Cli *cli)
{
  g_signal_connect (cli->messenger, "message", G_CALLBACK (listen_message_cb), cli);
  g_signal_connect (cli->presence, "presence", G_CALLBACK (listen_presence_cb), cli);
  g_signal_connect (cli->presence, "subscription", G_CALLBACK (listen_subscription_cb), cli);
  g_signal_connect (cli->roster, "push", G_CALLBACK (listen_roster_push_cb), cli);
  xmpp_roster_fetch_async (cli->roster, NULL, cli->cancellable, listen_roster_cb, cli);
}

static void
cmd_info (Cli *cli)
{
  XmppElement *features = xmpp_client_get_features (cli->client);
  g_autoptr(GString) names = g_string_new (NULL);

  for (XmppElement *f = features ? xmpp_element_next_child (features, NULL) : NULL;
       f != NULL;
       f = xmpp_element_next_child (features, f))
    g_string_append_printf (names, "%s%s", names->len ? "," : "", xmpp_element_get_name (f));

  print_record (cli, "session", NULL,
                "jid", xmpp_jid_to_string (xmpp_client_get_bound_jid (cli->client)),
                "mechanism", xmpp_client_get_mechanism (cli->client),
                "secure", xmpp_client_is_secure (cli->client) ? "yes" : "no",
                "features", names->str,
                NULL);
  finish_later (cli);
}

static const Command commands[] = {
  { "register", "", N_("Create the account --jid on its server (in-band registration)"), cmd_register, FALSE, 0, 0 },
  { "roster", "", N_("List the contacts"), cmd_roster, TRUE, 0, 0 },
  { "roster-add", N_("JID"), N_("Add or update a contact (--name, --group)"), cmd_roster_add, TRUE, 1, 1 },
  { "roster-remove", N_("JID"), N_("Remove a contact"), cmd_roster_remove, TRUE, 1, 1 },
  { "subscribe", N_("JID"), N_("Ask to see a contact's presence"), cmd_subscribe, TRUE, 1, 1 },
  { "approve", N_("JID"), N_("Let a contact see your presence"), cmd_approve, TRUE, 1, 1 },
  { "deny", N_("JID"), N_("Refuse or revoke a contact's subscription"), cmd_deny, TRUE, 1, 1 },
  { "unsubscribe", N_("JID"), N_("Stop seeing a contact's presence"), cmd_unsubscribe, TRUE, 1, 1 },
  { "send", N_("JID TEXT"), N_("Send a message (--thread, --parent, --subject, --type)"), cmd_send, TRUE, 2, 2 },
  { "presence", N_("[SHOW] [STATUS]"), N_("Set your presence (available, chat, away, xa, dnd, offline)"), cmd_presence, TRUE, 0, 2 },
  { "listen", "", N_("Print incoming messages, presence and requests, one a line"), cmd_listen, TRUE, 0, 0 },
  { "info", "", N_("Connect and show the session: address, mechanism, encryption"), cmd_info, TRUE, 0, 0 },
  { "passwd", "", N_("Change the account's password (new one from MESSENGER_NEW_PASSWORD or --new-password-file)"), cmd_passwd, TRUE, 0, 0 },
  { "unregister", "", N_("Delete the account from its server"), cmd_unregister, TRUE, 0, 0 },
};

static gboolean
timeout_cb (gpointer user_data)
{
  Cli *cli = user_data;

  if (cli->command->run == cmd_listen && cli->opt_count == 0)
    {
      finish (cli, EXIT_OK);        /* listened for the time asked */
      return G_SOURCE_REMOVE;
    }
  g_printerr (_("messenger-cli: %s: no answer within %d seconds\n"), cli->command->name, cli->opt_timeout);
  g_cancellable_cancel (cli->cancellable);
  finish (cli, EXIT_TIMEOUT);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  finish (user_data, EXIT_OK);
  return G_SOURCE_CONTINUE;
}

static char *
commands_description (void)
{
  GString *out = g_string_new (_("Commands:"));

  g_string_append_c (out, '\n');
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *left = g_strdup_printf ("%s %s", commands[i].name, _(commands[i].args));
      g_string_append_printf (out, "  %-24s %s\n", left, _(commands[i].summary));
    }
  g_string_append (out, _("\nThe password comes from MESSENGER_PASSWORD or --password-file.\n"
                          "Exit status: 0 done, 1 refused or failed, 2 bad arguments, 3 authentication failed,\n"
                          "4 untrusted certificate, 5 server unreachable, 6 timeout, 7 no TLS.\n"));
  return g_string_free (out, FALSE);
}

static void
add_command_options (Cli            *cli,
                     GOptionContext *context,
                     const Command  *command)
{
  const GOptionEntry roster_entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &cli->opt_name, N_("The contact's name"), N_("NAME") },
    { "group", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cli->opt_groups, N_("A group (repeat for several)"), N_("GROUP") },
    { NULL }
  };
  const GOptionEntry send_entries[] = {
    { "thread", 0, 0, G_OPTION_ARG_STRING, &cli->opt_thread, N_("The conversation thread"), N_("ID") },
    { "parent", 0, 0, G_OPTION_ARG_STRING, &cli->opt_parent, N_("The parent thread"), N_("ID") },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &cli->opt_subject, N_("The subject"), N_("TEXT") },
    { "type", 0, 0, G_OPTION_ARG_STRING, &cli->opt_type, N_("chat (default), normal, groupchat or headline"), N_("TYPE") },
    { NULL }
  };
  const GOptionEntry presence_entries[] = {
    { "priority", 0, 0, G_OPTION_ARG_INT, &cli->opt_priority, N_("The priority of this resource"), N_("N") },
    { "linger", 0, 0, G_OPTION_ARG_INT, &cli->opt_linger, N_("Stay online this many seconds"), N_("SECONDS") },
    { NULL }
  };
  const GOptionEntry listen_entries[] = {
    { "count", 0, 0, G_OPTION_ARG_INT, &cli->opt_count, N_("Stop after N items"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->opt_json, N_("Print one JSON object a line"), NULL },
    { "show", 0, 0, G_OPTION_ARG_STRING, &cli->opt_show, N_("Own presence while listening"), N_("SHOW") },
    { "status", 0, 0, G_OPTION_ARG_STRING, &cli->opt_status, N_("Own status message while listening"), N_("TEXT") },
    { "priority", 0, 0, G_OPTION_ARG_INT, &cli->opt_priority, N_("The priority of this resource"), N_("N") },
    { NULL }
  };
  const GOptionEntry passwd_entries[] = {
    { "new-password-file", 0, 0, G_OPTION_ARG_FILENAME, &cli->opt_new_password_file, N_("Read the new password from FILE"), N_("FILE") },
    { NULL }
  };
  const GOptionEntry json_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->opt_json, N_("Print one JSON object a line"), NULL },
    { NULL }
  };

  if (command->run == cmd_roster_add)
    g_option_context_add_main_entries (context, roster_entries, GETTEXT_PACKAGE);
  else if (command->run == cmd_send)
    g_option_context_add_main_entries (context, send_entries, GETTEXT_PACKAGE);
  else if (command->run == cmd_presence)
    g_option_context_add_main_entries (context, presence_entries, GETTEXT_PACKAGE);
  else if (command->run == cmd_listen)
    g_option_context_add_main_entries (context, listen_entries, GETTEXT_PACKAGE);
  else if (command->run == cmd_passwd)
    g_option_context_add_main_entries (context, passwd_entries, GETTEXT_PACKAGE);
  else if (command->run == cmd_roster || command->run == cmd_register || command->run == cmd_info)
    g_option_context_add_main_entries (context, json_entries, GETTEXT_PACKAGE);
}

int
main (int   argc,
      char *argv[])
{
  Cli cli = { 0 };
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "jid", 'j', 0, G_OPTION_ARG_STRING, &cli.opt_jid, N_("Your address (user@server)"), N_("JID") },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &cli.opt_password_file, N_("Read the password from FILE"), N_("FILE") },
    { "server", 's', 0, G_OPTION_ARG_STRING, &cli.opt_server, N_("Connect to HOST[:PORT] instead of looking the server up"), N_("HOST[:PORT]") },
    { "direct-tls", 0, 0, G_OPTION_ARG_NONE, &cli.opt_direct_tls, N_("Use TLS from the start (XEP-0368) instead of STARTTLS"), NULL },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &cli.opt_pin, N_("Trust the certificate with this SHA-256 fingerprint"), N_("SHA256") },
    { "resource", 'r', 0, G_OPTION_ARG_STRING, &cli.opt_resource, N_("The resource to bind"), N_("NAME") },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &cli.opt_timeout, N_("Give up after SECONDS (default 30)"), N_("SECONDS") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &cli.opt_verbose, N_("Print the stanzas sent and received to stderr"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GOptionContext) command_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *password = NULL;
  g_autofree char *parameter = NULL;
  char **command_argv;
  int command_argc;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  cli.opt_timeout = 30;

  context = g_option_context_new (_("COMMAND [ARGUMENTS…]"));
  g_option_context_set_summary (context, _("Chat over XMPP from the command line."));
  description = commands_description ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Stop at the command: its own options are parsed below. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("messenger-cli: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (version)
    {
      g_print ("messenger-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }
  if (argc < 2)
    {
      g_printerr (_("messenger-cli: no command given; see --help\n"));
      return EXIT_USAGE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      cli.command = &commands[i];
  if (cli.command == NULL)
    {
      g_printerr (_("messenger-cli: unknown command “%s”; see --help\n"), argv[1]);
      return EXIT_USAGE;
    }

  command_argv = argv + 1;
  command_argc = argc - 1;
  parameter = g_strdup_printf ("%s %s", cli.command->name, _(cli.command->args));
  command_context = g_option_context_new (parameter);
  g_option_context_set_summary (command_context, _(cli.command->summary));
  add_command_options (&cli, command_context, cli.command);
  if (!g_option_context_parse (command_context, &command_argc, &command_argv, &error))
    {
      g_printerr ("messenger-cli: %s\n", error->message);
      return EXIT_USAGE;
    }
  cli.args = command_argv + 1;
  cli.n_args = command_argc - 1;
  if (cli.n_args < cli.command->min_args || cli.n_args > cli.command->max_args)
    {
      g_printerr (_("messenger-cli: usage: messenger-cli [OPTIONS] %s %s\n"), cli.command->name, _(cli.command->args));
      return EXIT_USAGE;
    }
  if (cli.command->run == cmd_listen && (cli.opt_count < 0))
    {
      g_printerr (_("messenger-cli: --count must not be negative\n"));
      return EXIT_USAGE;
    }

  if (cli.opt_jid == NULL)
    {
      g_printerr (_("messenger-cli: --jid is required\n"));
      return EXIT_USAGE;
    }
  cli.jid = xmpp_jid_new (cli.opt_jid, &error);
  if (cli.jid == NULL || xmpp_jid_get_local (cli.jid) == NULL)
    {
      g_printerr (_("messenger-cli: --jid “%s” is not a user address: %s\n"), cli.opt_jid,
                  error != NULL ? error->message : _("it has no user name"));
      return EXIT_USAGE;
    }
  password = read_password (&cli, &error);
  if (password == NULL)
    {
      g_printerr ("messenger-cli: %s\n", error->message);
      return EXIT_USAGE;
    }

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.client = xmpp_client_new (cli.jid, password);
  if (cli.opt_server != NULL)
    {
      g_autofree char *host = NULL;
      guint16 port = 0;

      if (!parse_server (cli.opt_server, &host, &port))
        {
          g_printerr (_("messenger-cli: --server “%s” is not HOST[:PORT]\n"), cli.opt_server);
          return EXIT_USAGE;
        }
      xmpp_client_set_server (cli.client, host, port);
    }
  if (cli.opt_pin != NULL)
    {
      g_autofree char *pin = xmpp_fingerprint_normalize (cli.opt_pin);
      if (pin == NULL)
        {
          g_printerr (_("messenger-cli: --pin “%s” is not a SHA-256 fingerprint\n"), cli.opt_pin);
          return EXIT_USAGE;
        }
      xmpp_client_set_pinned_fingerprint (cli.client, pin);
    }
  xmpp_client_set_direct_tls (cli.client, cli.opt_direct_tls);
  xmpp_client_set_resource (cli.client, cli.opt_resource);
  if (cli.opt_timeout > 0)
    xmpp_client_set_iq_timeout (cli.client, cli.opt_timeout);

  cli.disco = xmpp_disco_new (cli.client, "client", "console", "messenger-cli");
  cli.roster = xmpp_roster_new (cli.client);
  cli.presence = xmpp_presence_manager_new (cli.client, cli.disco);
  cli.messenger = xmpp_messenger_new (cli.client);

  g_signal_connect (cli.client, "disconnected", G_CALLBACK (disconnected_cb), &cli);
  if (cli.opt_verbose)
    {
      g_signal_connect (cli.client, "stanza-received", G_CALLBACK (stanza_logged_cb), (gpointer) "<<");
      g_signal_connect (cli.client, "stanza-sent", G_CALLBACK (stanza_logged_cb), (gpointer) ">>");
    }
  g_unix_signal_add (SIGINT, signal_cb, &cli);
  g_unix_signal_add (SIGTERM, signal_cb, &cli);
  if (cli.opt_timeout > 0)
    g_timeout_add_seconds (cli.opt_timeout, timeout_cb, &cli);

  if (cli.command->needs_auth)
    xmpp_client_connect_async (cli.client, cli.cancellable, connected_cb, &cli);
  else
    xmpp_client_open_async (cli.client, cli.cancellable, connected_cb, &cli);

  g_main_loop_run (cli.loop);

  g_clear_object (&cli.messenger);
  g_clear_object (&cli.presence);
  g_clear_object (&cli.roster);
  g_clear_pointer (&cli.disco, xmpp_disco_free);
  g_clear_object (&cli.client);
  g_clear_object (&cli.cancellable);
  g_clear_pointer (&cli.loop, g_main_loop_unref);
  g_clear_pointer (&cli.jid, xmpp_jid_unref);
  return cli.exit_code;
}
