/* messenger-server.c: the bundled XMPP server
 *
 *   messenger-server --domain DOMAIN --data-dir DIR [--listen ADDR]…
 *                    [--c2s-port N] [--direct-tls-port N]
 *                    [--allow-registration] [--config FILE]
 *                    [--cert FILE --key FILE] [--verbose]
 *   messenger-server user add|remove|passwd|list [JID] --data-dir DIR
 *
 * When ready it prints one line to stdout:
 *   messenger-server: listening on 127.0.0.1:5222 (STARTTLS),
 *   127.0.0.1:5223 (direct TLS) for DOMAIN; certificate SHA-256 AB:CD:…
 * (one line; port 0 picks a free port and the line shows the real one).
 * Logs go to stderr.  SIGINT/SIGTERM stop it cleanly.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "srv-config.h"
#include "srv-modules.h"
#include "srv-server-private.h"
#include "srv-storage.h"
#include "srv-tls.h"

#define DB_NAME "messenger-server.db"

static gboolean verbose_logging;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  const char *message = NULL;
  const char *domain = NULL;
  const char *label;
  struct timespec now;
  struct tm local;
  char stamp[48] = "";

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
    }

  switch (level & G_LOG_LEVEL_MASK)
    {
    case G_LOG_LEVEL_ERROR:    label = "error"; break;
    case G_LOG_LEVEL_CRITICAL: label = "critical"; break;
    case G_LOG_LEVEL_WARNING:  label = "warning"; break;
    case G_LOG_LEVEL_MESSAGE:  label = "message"; break;
    case G_LOG_LEVEL_INFO:     label = "info"; break;
    case G_LOG_LEVEL_DEBUG:    label = "debug"; break;
    default:                   label = "log"; break;
    }
  if ((level & G_LOG_LEVEL_DEBUG) && !verbose_logging)
    return G_LOG_WRITER_HANDLED;

  /* Cheap: GDateTime would look the time zone up for every line. */
  clock_gettime (CLOCK_REALTIME, &now);
  if (localtime_r (&now.tv_sec, &local) != NULL)
    snprintf (stamp, sizeof stamp, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min,
              local.tm_sec, (int) (now.tv_nsec / 1000000));
  fprintf (stderr, "%s %s[%s]%s%s: %s\n", stamp, "messenger-server", label,
           domain != NULL && strcmp (domain, "messenger-server") != 0 ? " " : "",
           domain != NULL && strcmp (domain, "messenger-server") != 0 ? domain : "",
           message != NULL ? message : "");
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

/* Many idle sessions need many descriptors. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Cannot raise the file descriptor limit: %s", g_strerror (errno));
    }
}

static gboolean
ensure_data_dir (const char  *path,
                 GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static SrvStorage *
open_storage (const char  *data_dir,
              GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, DB_NAME, NULL);

  if (!ensure_data_dir (data_dir, error))
    return NULL;
  return srv_storage_open (path, error);
}

/* --- user management ----------------------------------------------- */

/* A password from stdin: one line, without echo on a terminal. */
static char *
read_password (const char *prompt)
{
  struct termios old, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  GString *line = g_string_new (NULL);
  int c;

  if (tty)
    {
      fprintf (stderr, "%s", prompt);
      fflush (stderr);
      if (tcgetattr (STDIN_FILENO, &old) == 0)
        {
          quiet = old;
          quiet.c_lflag &= ~(tcflag_t) ECHO;
          tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
        }
      else
        tty = FALSE;
    }
  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
      fprintf (stderr, "\n");
    }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return g_string_free (line, FALSE);
}

static void
free_password (char *password)
{
  if (password != NULL)
    {
      memset (password, 0, strlen (password));
      g_free (password);
    }
}

static int
run_user_command (int    argc,
                  char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *config_file = NULL;
  g_autofree char *domain = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvConfig) config = srv_config_new ();
  g_autoptr(SrvStorage) storage = NULL;
  const GOptionEntry entries[] = {
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("The server's data directory"), N_("DIR") },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain, N_("The server's domain (to check JIDs)"), N_("DOMAIN") },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, N_("Read settings from FILE"), N_("FILE") },
    { NULL }
  };
  const char *command;
  const char *jid_text = NULL;
  g_autofree char *username = NULL;

  context = g_option_context_new (_("add|remove|passwd|list [JID]"));
  g_option_context_set_summary (context, _("Manage the accounts of messenger-server. "
                                            "Passwords are read from standard input."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("messenger-server: %s\n", error->message);
      return 2;
    }
  if (config_file != NULL && !srv_config_load_file (config, config_file, &error))
    {
      g_printerr ("messenger-server: %s\n", error->message);
      return 2;
    }
  if (data_dir == NULL)
    data_dir = g_strdup (config->data_dir);
  if (domain == NULL && config->domain != NULL)
    domain = xmpp_jid_prepare (config->domain, NULL);

  /* argv: [0] program, [1] "user", [2] command, [3] JID */
  if (argc < 3)
    {
      g_printerr ("messenger-server: user: add, remove, passwd or list?\n");
      return 2;
    }
  command = argv[2];
  if (argc > 3)
    jid_text = argv[3];
  if (data_dir == NULL)
    {
      g_printerr ("messenger-server: --data-dir is required\n");
      return 2;
    }

  if (strcmp (command, "list") != 0)
    {
      g_autoptr(XmppJid) jid = NULL;

      if (jid_text == NULL)
        {
          g_printerr ("messenger-server: user %s: which account (user@domain)?\n", command);
          return 2;
        }
      jid = strchr (jid_text, '@') != NULL
              ? xmpp_jid_new (jid_text, &error)
              : xmpp_jid_new_from_parts (jid_text, domain != NULL ? domain : "localhost", NULL, &error);
      if (jid == NULL || xmpp_jid_get_local (jid) == NULL || xmpp_jid_get_resource (jid) != NULL)
        {
          g_printerr ("messenger-server: “%s” is not an account JID%s%s\n", jid_text,
                      error != NULL ? ": " : "", error != NULL ? error->message : "");
          return 2;
        }
      if (domain != NULL && strcmp (xmpp_jid_get_domain (jid), domain) != 0)
        {
          g_printerr ("messenger-server: %s is not on %s\n", jid_text, domain);
          return 2;
        }
      username = g_strdup (xmpp_jid_get_local (jid));
    }

  storage = open_storage (data_dir, &error);
  if (storage == NULL)
    {
      g_printerr ("messenger-server: %s\n", error->message);
      return 1;
    }

  if (strcmp (command, "list") == 0)
    {
      g_auto(GStrv) accounts = srv_storage_list_accounts (storage);

      for (guint i = 0; accounts != NULL && accounts[i] != NULL; i++)
        {
          if (domain != NULL && strchr (accounts[i], '@') == NULL)
            g_print ("%s@%s\n", accounts[i], domain);
          else
            g_print ("%s\n", accounts[i]);
        }
      return 0;
    }
  if (strcmp (command, "remove") == 0)
    {
      if (!srv_storage_remove_account (storage, username, &error))
        {
          g_printerr ("messenger-server: %s\n", error->message);
          return 1;
        }
      return 0;
    }
  if (strcmp (command, "add") == 0 || strcmp (command, "passwd") == 0)
    {
      char *password = read_password (_("Password: "));
      gboolean ok;

      if (*password == '\0')
        {
          free_password (password);
          g_printerr ("messenger-server: the password is empty\n");
          return 2;
        }
      if (strcmp (command, "add") == 0)
        ok = srv_storage_add_account (storage, username, password, &error);
      else
        ok = srv_storage_set_password (storage, username, password, &error);
      free_password (password);
      if (!ok)
        {
          g_printerr ("messenger-server: %s\n", error->message);
          return g_error_matches (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_EXISTS) ? 3 : 1;
        }
      return 0;
    }

  g_printerr ("messenger-server: unknown user command “%s”\n", command);
  return 2;
}

/* --- the server ---------------------------------------------------- */

static void
replace_str (char       **target,
             const char  *value)
{
  g_free (*target);
  *target = g_strdup (value);
}

typedef struct
{
  GMainLoop *loop;
  SrvServer *server;
  gboolean   stopping;
} RunState;

static gboolean
shutdown_done_cb (gpointer user_data)
{
  RunState *state = user_data;

  g_main_loop_quit (state->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  RunState *state = user_data;

  if (state->stopping)
    {
      /* A second signal: stop at once. */
      g_main_loop_quit (state->loop);
      return G_SOURCE_CONTINUE;
    }
  state->stopping = TRUE;
  srv_server_shutdown (state->server, shutdown_done_cb, state);
  return G_SOURCE_CONTINUE;
}

/* The keys of --config's [server] group that have no option. */
static const char config_help[] = N_(
  "Settings file (--config FILE), group [server]: the long options above as keys\n"
  "(domain=, data-dir=, listen=ADDR;ADDR, c2s-port=, direct-tls-port=,\n"
  "allow-registration=true, cert=, key=, verbose=true) and these limits:\n"
  "  archive=true|false          keep every account's messages (XEP-0313; true)\n"
  "  max-offline-messages=N      messages kept for an offline account (1000;\n"
  "                              0 = no limit); when full, a message to it\n"
  "                              bounces with <service-unavailable/>\n"
  "  max-stanza-size=BYTES       after authentication (262144)\n"
  "  max-preauth-stanza-size=BYTES  before authentication (16384)\n"
  "  rate-burst=BYTES, rate=BYTES/S  after authentication: reading pauses\n"
  "                              (2097152, 1048576)\n"
  "  preauth-rate-burst=BYTES, preauth-rate=BYTES/S  before authentication:\n"
  "                              policy-violation (65536, 16384)\n"
  "  preauth-timeout=S (30), idle-timeout=S (600), ping-timeout=S (60)\n"
  "  max-auth-failures=N (3 a stream), auth-failures-per-minute=N (5 an address)\n"
  "  max-bind-attempts=N (5), max-connections=N (20000)\n"
  "  sm-max-resume=S (300), sm-max-unacked=N (10000)  XEP-0198\n");

static int
run_server (int    argc,
            char **argv)
{
  g_autofree char *domain = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *config_file = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  g_auto(GStrv) listen = NULL;
  gint c2s_port = -1;
  gint direct_tls_port = SRV_PORT_UNSET;
  gboolean allow_registration = FALSE;
  gboolean verbose = FALSE;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain, N_("The XMPP domain to serve"), N_("DOMAIN") },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Where accounts, messages and the certificate are kept"), N_("DIR") },
    { "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &listen, N_("Address to listen on (repeatable; default 127.0.0.1)"), N_("ADDR") },
    { "c2s-port", 'p', 0, G_OPTION_ARG_INT, &c2s_port, N_("STARTTLS port (default 5222; 0 picks a free one)"), N_("N") },
    { "direct-tls-port", 0, 0, G_OPTION_ARG_INT, &direct_tls_port, N_("Direct TLS port, XEP-0368 (default 5223; 0 turns it off)"), N_("N") },
    { "allow-registration", 0, 0, G_OPTION_ARG_NONE, &allow_registration, N_("Allow in-band registration (XEP-0077)"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, N_("Read settings from the [server] group of FILE"), N_("FILE") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_file, N_("Certificate (PEM) instead of a generated one"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key_file, N_("Private key (PEM) of --cert"), N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debugging messages too"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvConfig) config = srv_config_new ();
  g_autoptr(SrvStorage) storage = NULL;
  g_autoptr(SrvTlsContext) tls = NULL;
  g_autofree char *listeners = NULL;
  RunState state = { NULL, NULL, FALSE };
  guint sigint_id, sigterm_id;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("A lightweight XMPP server for local setups.\n\n"
                                           "Accounts: messenger-server user add|remove|passwd|list [JID] --data-dir DIR"));
  g_option_context_set_description (context, _(config_help));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("messenger-server: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("messenger-server %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (argc > 1)
    {
      g_printerr ("messenger-server: unexpected argument “%s”\n", argv[1]);
      return 2;
    }

  if (config_file != NULL && !srv_config_load_file (config, config_file, &error))
    {
      g_printerr ("messenger-server: %s\n", error->message);
      return 2;
    }
  if (domain != NULL)
    replace_str (&config->domain, domain);
  if (data_dir != NULL)
    replace_str (&config->data_dir, data_dir);
  if (listen != NULL)
    {
      g_strfreev (config->listen);
      config->listen = g_steal_pointer (&listen);
    }
  if (c2s_port >= 0)
    config->c2s_port = c2s_port;
  if (direct_tls_port != SRV_PORT_UNSET)
    config->direct_tls_port = direct_tls_port;
  if (allow_registration)
    config->allow_registration = TRUE;
  if (cert_file != NULL)
    replace_str (&config->cert_file, cert_file);
  if (key_file != NULL)
    replace_str (&config->key_file, key_file);
  if (verbose)
    config->verbose = TRUE;
  if (!srv_config_finish (config, &error))
    {
      g_printerr ("messenger-server: %s\n", error->message);
      return 2;
    }
  verbose_logging = config->verbose;

  raise_fd_limit ();

  storage = open_storage (config->data_dir, &error);
  if (storage == NULL)
    {
      g_critical ("Cannot open the database: %s", error->message);
      return 1;
    }
  tls = srv_tls_context_new (config->data_dir, config->domain,
                             config->cert_file, config->key_file, &error);
  if (tls == NULL)
    {
      g_critical ("No certificate: %s", error->message);
      return 1;
    }

  state.server = srv_server_new (config, storage, tls, &error);
  if (state.server == NULL)
    {
      g_critical ("%s", error->message);
      return 1;
    }
  srv_modules_init (state.server);
  if (!srv_server_start (state.server, &error))
    {
      g_critical ("%s", error->message);
      srv_server_free (state.server);
      return 1;
    }

  state.loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &state);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &state);

  listeners = srv_server_describe_listeners (state.server);
  g_print ("messenger-server: listening on %s for %s; certificate SHA-256 %s\n",
           listeners, config->domain, srv_server_get_fingerprint (state.server));
  fflush (stdout);
  g_info ("Serving %s from %s%s", config->domain, config->data_dir,
          config->allow_registration ? " (registration open)" : "");

  g_main_loop_run (state.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  srv_server_free (state.server);
  g_main_loop_unref (state.loop);
  g_clear_pointer (&storage, srv_storage_close);
  g_info ("Stopped");
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  signal (SIGPIPE, SIG_IGN);
  /* One write(2) per log line. */
  setvbuf (stderr, NULL, _IOLBF, 0);
  g_log_set_writer_func (log_writer, NULL, NULL);

  if (argc > 1 && strcmp (argv[1], "user") == 0)
    return run_user_command (argc, argv);
  return run_server (argc, argv);
}
