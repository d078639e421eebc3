/* bench-models.c: the models (src/core) over a heavy user's cache
 *
 * Builds, from a fixed seed and through the store's public API, a cache
 * with a 10,000-contact roster in 50 groups and one 100,000-message
 * conversation, then, in a fresh process (the filling is done in a forked
 * child, so that its memory is not in the figures), measures:
 *
 *   - resident memory (VmRSS) of the models while the 100,000-message
 *     conversation is open: MessengerConversationList, the conversation and
 *     a MessengerMessageList on its newest page, then after paging back;
 *     above the empty process, with the store's share (opening it, and
 *     SQLite's heap) shown apart;
 *   - loading the 10,000-contact roster from the cache into the models
 *     (messenger_roster_new(): MessengerRoster, its contacts and groups).
 *
 * See bench/README.md ("Models") for how to run it and what the targets are.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "messenger-account.h"
#include "messenger-conversation-list.h"
#include "messenger-message-list.h"
#include "messenger-roster.h"
#include "messenger-store.h"

#define ACCOUNT_JID "bench@example.org"
#define BIG_PEER    "contact0@example.org"

#define ROSTER_TARGET_MS 30.0
#define MEMORY_TARGET_MB 20.0

static guint n_roster = 10000;
static guint n_groups = 50;
static guint n_messages = 100000;
static guint n_pages_back = 20;
static guint roster_rounds = 10;
static char *opt_dir = NULL;
static gboolean opt_keep = FALSE;

static const GOptionEntry entries[] = {
  { "roster", 0, 0, G_OPTION_ARG_INT, &n_roster, "Roster size (default 10000)", "N" },
  { "groups", 0, 0, G_OPTION_ARG_INT, &n_groups, "Roster groups (default 50)", "N" },
  { "messages", 'n', 0, G_OPTION_ARG_INT, &n_messages, "Messages in the conversation (default 100000)", "N" },
  { "pages", 0, 0, G_OPTION_ARG_INT, &n_pages_back, "Pages to read back (default 20)", "N" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &roster_rounds, "Times the roster is loaded (default 10)", "N" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir, "Folder for the database (default: a new temporary one)", "DIR" },
  { "keep", 'k', 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the database afterwards", NULL },
  { NULL }
};

static const char * const words[] = {
  "the", "to", "I", "you", "a", "and", "it", "is", "that", "of", "in", "for", "we", "on", "be", "this",
  "have", "are", "with", "not", "do", "but", "so", "can", "just", "at", "was", "what", "if", "me", "my",
  "will", "all", "get", "know", "like", "think", "about", "yes", "no", "ok", "there", "good", "now",
  "meeting", "lunch", "dinner", "coffee", "work", "home", "office", "call", "later", "soon", "thanks",
  "project", "release", "build", "test", "bug", "fix", "server", "client", "message", "tomorrow",
  "今天", "明天", "晚上", "工作", "会议", "吃饭", "谢谢", "朋友", "消息", "文件",
};

static char *
make_body (GRand *rand)
{
  GString *body = g_string_new (NULL);
  guint n = g_rand_int_range (rand, 3, 25);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (body, ' ');
      g_string_append (body, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
    }
  g_string_append_c (body, '.');
  return g_string_free (body, FALSE);
}

/* Waiting on the store */

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
await (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

typedef struct
{
  MessengerStore *store;
  guint           in_flight;
  guint           failed;
} Writes;

static void
page_inserted_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Writes *writes = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = messenger_store_insert_messages_finish (writes->store, result, &error);

  if (ids == NULL)
    {
      g_printerr ("insert failed: %s\n", error->message);
      writes->failed++;
    }
  writes->in_flight--;
}

static void
wait_below (Writes *writes,
            guint   in_flight)
{
  while (writes->in_flight > in_flight)
    g_main_context_iteration (NULL, TRUE);
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* Filling (in the child) */

static void
fill_roster (MessengerStore *store,
             gint64          account)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint plain_groups = n_groups > 1 ? n_groups - 1 : 1;

  for (guint i = 0; i < n_roster; i++)
    {
      g_autofree char *jid = g_strdup_printf ("contact%u@example.org", i);
      MessengerStoreRosterItem *item = messenger_store_roster_item_new (jid);
      GStrvBuilder *groups = g_strv_builder_new ();
      g_autofree char *group = g_strdup_printf ("Group %02u", i % plain_groups);

      item->name = g_strdup_printf ("Contact %u", i);
      item->subscription = i % 10 == 0 ? MESSENGER_STORE_SUBSCRIPTION_TO : MESSENGER_STORE_SUBSCRIPTION_BOTH;
      /* Most in one group, one in seven in "Favourites" too, one in a
       * hundred in none. */
      if (i % 100 != 99)
        g_strv_builder_add (groups, group);
      if (n_groups > 1 && i % 7 == 0)
        g_strv_builder_add (groups, "Favourites");
      item->groups = g_strv_builder_end (groups);
      g_strv_builder_unref (groups);
      g_ptr_array_add (items, item);
    }
  messenger_store_replace_roster_async (store, account, items, "bench-1", NULL, result_cb, &result);
  if (!messenger_store_roster_finish (store, await (&result), &error))
    g_error ("Cannot store the roster: %s", error->message);
}

static void
fill_history (MessengerStore *store,
              gint64          account)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);
  Writes writes = { store, 0, 0 };
  const gint64 first_time = (gint64) 1672531200 * G_USEC_PER_SEC;
  const gint64 step = (gint64) 2 * 365 * 24 * 3600 * G_USEC_PER_SEC / MAX (n_messages, 1);
  guint i = 0;

  while (i < n_messages)
    {
      g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);

      for (; i < n_messages && page->len < 500; i++)
        {
          MessengerStoreMessage *message = messenger_store_message_new ();

          message->account_id = account;
          message->peer = g_strdup (BIG_PEER);
          /* A few long-lived topics, as threads. */
          message->thread_id = g_strdup_printf ("thread-%u", g_rand_int_range (rand, 0, 10));
          message->direction = g_rand_int_range (rand, 0, 10) < 6 ? MESSENGER_STORE_DIRECTION_IN
                                                                  : MESSENGER_STORE_DIRECTION_OUT;
          message->type = MESSENGER_STORE_MESSAGE_CHAT;
          message->body = make_body (rand);
          message->time = first_time + i * step;
          message->received_time = message->time + g_rand_int_range (rand, 0, 2000000);
          message->origin_id = g_strdup_printf ("bench-%08x-%u", g_rand_int (rand), i);
          message->message_id = g_strdup (message->origin_id);
          message->stanza_id = g_strdup_printf ("%08x%08x", g_rand_int (rand), i);
          message->stanza_id_by = g_strdup (ACCOUNT_JID);
          message->state = MESSENGER_STORE_DELIVERY_ACKED;
          message->unread = i + 20 >= n_messages && message->direction == MESSENGER_STORE_DIRECTION_IN;
          g_ptr_array_add (page, message);
        }
      messenger_store_insert_messages_async (store, page, NULL, page_inserted_cb, &writes);
      writes.in_flight++;
      wait_below (&writes, 16);
    }
  wait_below (&writes, 0);
  if (writes.failed > 0)
    g_error ("%u writes failed", writes.failed);
}

static void
fill (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = messenger_store_open (path, &error);
  g_autoptr(MessengerStoreAccount) account = messenger_store_account_new (ACCOUNT_JID);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) flushed = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 id;

  if (store == NULL)
    g_error ("Cannot open %s: %s", path, error->message);
  messenger_store_add_account_async (store, account, NULL, result_cb, &result);
  id = messenger_store_add_account_finish (store, await (&result), &error);
  if (id == 0)
    g_error ("Cannot add the account: %s", error->message);

  fill_roster (store, id);
  fill_history (store, id);
  messenger_store_flush_async (store, NULL, result_cb, &flushed);
  if (!messenger_store_flush_finish (store, await (&flushed), &error))
    g_error ("Cannot flush: %s", error->message);
  messenger_store_close (store);
  g_print ("Setup: %u roster items, %u messages stored in %.1f s\n",
           n_roster, n_messages, ms_since (start) / 1000.0);
}

/* Measuring (in the parent) */

static double
status_mb (const char *field)
{
  g_autofree char *contents = NULL;
  size_t len = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return 0;
  for (char *line = contents; line != NULL && *line != '\0';)
    {
      char *next = strchr (line, '\n');

      if (strncmp (line, field, len) == 0 && line[len] == ':')
        return g_ascii_strtoull (line + len + 1, NULL, 10) / 1024.0;
      line = next != NULL ? next + 1 : NULL;
    }
  return 0;
}

static double
rss_mb (void)
{
  return status_mb ("VmRSS");
}

static double
sqlite_mb (void)
{
  sqlite3_int64 current = 0, high = 0;

  sqlite3_status64 (SQLITE_STATUS_MEMORY_USED, &current, &high, 0);
  return current / (1024.0 * 1024.0);
}

static const char *
verdict (gboolean ok)
{
  return ok ? "PASS" : "MISS";
}

static gint64
find_account (MessengerStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) accounts = messenger_store_list_accounts (store, &error);

  if (accounts == NULL || accounts->len == 0)
    g_error ("No account in the store: %s", error != NULL ? error->message : "empty");
  return ((MessengerStoreAccount *) g_ptr_array_index (accounts, 0))->id;
}

static gboolean
bench_memory (MessengerStore *store,
              gint64          account_id,
              double          rss_empty,
              double          rss_store,
              double          sqlite_store)
{
  MessengerAccount *account = messenger_account_new (ACCOUNT_JID);
  MessengerConversationList *conversations;
  MessengerConversation *conversation;
  MessengerMessageList *list;
  double rss_open, rss_back, sqlite_open, sqlite_back, first_page_ms, worst;
  gint64 start;
  guint pages = 0, n_open, n_back;

  start = g_get_monotonic_time ();
  conversations = messenger_conversation_list_new (account, store, account_id, NULL);
  conversation = messenger_conversation_list_get_conversation (conversations, BIG_PEER);
  if (conversation == NULL)
    g_error ("No conversation with " BIG_PEER);
  list = messenger_message_list_new (conversation, NULL);
  first_page_ms = ms_since (start);
  n_open = g_list_model_get_n_items (G_LIST_MODEL (list));
  rss_open = rss_mb ();
  sqlite_open = sqlite_mb ();

  while (pages < n_pages_back && messenger_message_list_load_older (list))
    pages++;
  n_back = g_list_model_get_n_items (G_LIST_MODEL (list));
  rss_back = rss_mb ();
  sqlite_back = sqlite_mb ();
  worst = MAX (rss_open, rss_back) - rss_empty;

  g_print ("\nMemory with the %u-message conversation open (VmRSS, MB)\n", n_messages);
  g_print ("  empty process:                      %7.1f\n", rss_empty);
  g_print ("  store opened:                       %+7.1f  (SQLite heap %.1f MB)\n",
           rss_store - rss_empty, sqlite_store);
  g_print ("  models, newest page (%3u messages): %+7.1f  over the empty process  "
           "(models %+.1f over the open store, of it SQLite heap %+.1f; opened in %.1f ms)\n",
           n_open, rss_open - rss_empty, rss_open - rss_store, sqlite_open - sqlite_store, first_page_ms);
  g_print ("  after %2u pages back (%3u messages): %+7.1f  over the empty process  "
           "(models %+.1f over the open store, of it SQLite heap %+.1f)\n",
           pages, n_back, rss_back - rss_empty, rss_back - rss_store, sqlite_back - sqlite_store);

  g_object_unref (list);
  g_object_unref (conversations);
  g_object_unref (account);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_print ("  largest:                            %+7.1f  target < %.0f MB  %s\n",
           worst, MEMORY_TARGET_MB, verdict (worst < MEMORY_TARGET_MB));
  return worst < MEMORY_TARGET_MB;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The calling thread's CPU time in µs: steadier than the wall clock when
 * other work shares the machine.  The roster loads on this thread. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Minor page faults of the process so far: memory touched for the first
 * time, the main cost of a first load. */
static long
minor_faults (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

typedef struct
{
  double wall_ms;
  double cpu_ms;
  long   faults;
} RosterLoad;

static int
compare_loads (gconstpointer a,
               gconstpointer b)
{
  return compare_doubles (&((const RosterLoad *) a)->wall_ms, &((const RosterLoad *) b)->wall_ms);
}

static int
compare_cpu (gconstpointer a,
             gconstpointer b)
{
  return compare_doubles (&((const RosterLoad *) a)->cpu_ms, &((const RosterLoad *) b)->cpu_ms);
}

static void
count_item_cb (const MessengerStoreRosterItem *item,
               gpointer                        user_data)
{
  (*(guint *) user_data)++;
}

static gboolean
bench_roster (MessengerStore *store,
              gint64          account_id)
{
  MessengerAccount *account = messenger_account_new (ACCOUNT_JID);
  g_autoptr(GArray) warm = g_array_new (FALSE, FALSE, sizeof (RosterLoad));
  g_autoptr(GArray) store_ms = g_array_new (FALSE, FALSE, sizeof (double));
  RosterLoad cold = { 0 }, median = { 0 };
  double rss_before = 0, rss_after = 0, median_cpu = 0;
  guint n_groups_loaded = 0, n_contacts_loaded = 0;
  gboolean ok;

  /* Round 0 is the first load in the process (cold); the others are warm. */
  for (guint round = 0; round < MAX (roster_rounds, 1) + 1; round++)
    {
      MessengerRoster *roster;
      GListModel *groups;
      gint64 start, start_cpu;
      long start_faults;
      RosterLoad load;

      if (round == 0)
        rss_before = rss_mb ();
      start_faults = minor_faults ();
      start_cpu = thread_cpu_us ();
      start = g_get_monotonic_time ();
      roster = messenger_roster_new (account, store, account_id);
      groups = messenger_roster_get_groups (roster);
      n_groups_loaded = g_list_model_get_n_items (groups);
      load.wall_ms = ms_since (start);
      load.cpu_ms = (thread_cpu_us () - start_cpu) / 1000.0;
      load.faults = minor_faults () - start_faults;
      if (round == 0)
        {
          cold = load;
          rss_after = rss_mb ();
          n_contacts_loaded = 0;
          for (guint i = 0; i < n_groups_loaded; i++)
            {
              g_autoptr(MessengerGroup) group = g_list_model_get_item (groups, i);

              n_contacts_loaded += messenger_group_get_total_count (group);
            }
          if (messenger_roster_lookup (roster, BIG_PEER) == NULL)
            g_error ("The roster has no " BIG_PEER);
        }
      else
        g_array_append_val (warm, load);
      g_object_unref (roster);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_object_unref (account);

  /* The store's share, warm: the same read with nothing made of it. */
  for (guint round = 0; round < MAX (roster_rounds, 1); round++)
    {
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      guint n = 0;
      double ms;

      if (!messenger_store_foreach_roster_item (store, account_id, NULL, count_item_cb, &n, &error))
        g_error ("Cannot read the roster: %s", error->message);
      ms = ms_since (start);
      g_array_append_val (store_ms, ms);
    }
  g_array_sort (store_ms, compare_doubles);

  g_array_sort (warm, compare_cpu);
  median_cpu = g_array_index (warm, RosterLoad, warm->len / 2).cpu_ms;
  g_array_sort (warm, compare_loads);
  median = g_array_index (warm, RosterLoad, warm->len / 2);
  ok = cold.wall_ms < ROSTER_TARGET_MS && median.wall_ms < ROSTER_TARGET_MS;

  g_print ("\nRoster of %u contacts from the cache into the models (%u groups, %u memberships)\n",
           n_roster, n_groups_loaded, n_contacts_loaded);
  g_print ("  cold, first load in the process: %7.2f ms  target < %.0f ms  %s  "
           "(CPU %.2f ms, %ld page faults)\n",
           cold.wall_ms, ROSTER_TARGET_MS, verdict (cold.wall_ms < ROSTER_TARGET_MS), cold.cpu_ms, cold.faults);
  g_print ("  warm, median of %2u more loads:   %7.2f ms  target < %.0f ms  %s  "
           "(CPU median %.2f ms, %ld page faults)\n",
           warm->len, median.wall_ms, ROSTER_TARGET_MS, verdict (median.wall_ms < ROSTER_TARGET_MS),
           median_cpu, median.faults);
  g_print ("  of which the store's read, warm:  %7.2f ms  (median, the rows alone)\n",
           g_array_index (store_ms, double, store_ms->len / 2));
  g_print ("  VmRSS of the loaded roster:      %+7.1f MB\n", rss_after - rss_before);
  return ok;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- the models over a large cache");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  MessengerStore *store;
  double rss_empty, rss_store, sqlite_store;
  gboolean ok = TRUE;
  gint64 account_id;
  int status = 0;
  pid_t child;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (opt_dir != NULL)
    {
      if (g_mkdir_with_parents (opt_dir, 0700) != 0)
        g_error ("Cannot create %s", opt_dir);
      dir = g_strdup (opt_dir);
    }
  else
    {
      dir = g_dir_make_tmp ("bench-models-XXXXXX", &error);
      if (dir == NULL)
        g_error ("%s", error->message);
    }
  path = g_build_filename (dir, "messenger.db", NULL);
  g_unlink (path);

  /* Fill in a child, so that this process starts measuring empty. */
  fflush (stdout);
  child = fork ();
  if (child < 0)
    g_error ("fork failed");
  if (child == 0)
    {
      fill (path);
      fflush (stdout);
      _exit (0);
    }
  if (waitpid (child, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("Filling the store failed");

  rss_empty = rss_mb ();
  store = messenger_store_open (path, &error);
  if (store == NULL)
    g_error ("Cannot open %s: %s", path, error->message);
  account_id = find_account (store);
  rss_store = rss_mb ();
  sqlite_store = sqlite_mb ();

  ok &= bench_memory (store, account_id, rss_empty, rss_store, sqlite_store);
  ok &= bench_roster (store, account_id);
  g_print ("\nPeak VmRSS (VmHWM): %.1f MB\n", status_mb ("VmHWM"));

  messenger_store_close (store);
  g_object_unref (store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (!opt_keep)
    {
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);

      g_unlink (path);
      g_unlink (wal);
      g_unlink (shm);
      if (opt_dir == NULL)
        g_rmdir (dir);
    }
  else
    g_print ("Database kept in %s\n", path);
  g_free (opt_dir);
  return ok ? 0 : 1;
}
