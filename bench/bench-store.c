/* bench-store.c: the message store at a heavy user's scale
 *
 * Builds, from a fixed seed, a profile of 1,000,000 messages across 1,000
 * contacts and 10,000 threads (one contact holds 100,000 of them), with
 * English, Chinese and mixed bodies, through the store's public API, then
 * measures:
 *
 *   - inserts/s: the live path (one message a write, as a chat arrives) and
 *     the archive path (pages of 100, as MAM catch-up writes them);
 *   - the first page (50 rows) of the 100,000-message conversation, and a
 *     page deep in its history;
 *   - full-text search, first page of 50 newest hits, English and Chinese;
 *   - loading a 10,000-contact roster;
 *   - the database's size.
 *
 * See bench/README.md ("Store") for how to run it and what the targets are.
 */
#include "config.h"

#include <locale.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "messenger-store.h"

#define ACCOUNT_JID "bench@example.org"

static guint n_messages = 1000000;
static guint n_contacts = 1000;
static guint n_threads = 10000;
static guint n_big = 100000;
static guint n_live = 100000;
static guint page_size = 100;
static guint n_roster = 10000;
static guint query_rounds = 10;
static char *opt_dir = NULL;
static gboolean opt_keep = FALSE;

static const GOptionEntry entries[] = {
  { "messages", 'n', 0, G_OPTION_ARG_INT, &n_messages, "Messages to store (default 1000000)", "N" },
  { "contacts", 0, 0, G_OPTION_ARG_INT, &n_contacts, "Contacts (default 1000)", "N" },
  { "threads", 0, 0, G_OPTION_ARG_INT, &n_threads, "Threads (default 10000)", "N" },
  { "big", 0, 0, G_OPTION_ARG_INT, &n_big, "Messages in the largest conversation (default 100000)", "N" },
  { "live", 0, 0, G_OPTION_ARG_INT, &n_live, "Messages written one at a time (default 100000)", "N" },
  { "page", 0, 0, G_OPTION_ARG_INT, &page_size, "Messages a page on the archive path (default 100)", "N" },
  { "roster", 0, 0, G_OPTION_ARG_INT, &n_roster, "Roster size (default 10000)", "N" },
  { "rounds", 0, 0, G_OPTION_ARG_INT, &query_rounds, "Times each query runs (default 10)", "N" },
  { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir, "Folder for the database (default: a new temporary one)", "DIR" },
  { "keep", 'k', 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the database afterwards", NULL },
  { NULL }
};

/* Text */

static const char * const english[] = {
  "the", "to", "I", "you", "a", "and", "it", "is", "that", "of", "in", "for", "we", "on", "be", "this",
  "have", "are", "with", "not", "do", "but", "so", "can", "just", "at", "was", "what", "if", "me", "my",
  "will", "all", "get", "know", "like", "think", "about", "yes", "no", "ok", "there", "good", "now",
  "one", "how", "out", "time", "see", "go", "up", "when", "then", "it's", "don't", "I'm", "would",
  "should", "could", "they", "your", "our", "today", "tomorrow", "yesterday", "tonight", "meeting",
  "lunch", "dinner", "coffee", "work", "home", "office", "call", "later", "soon", "thanks", "sorry",
  "please", "great", "sure", "maybe", "really", "right", "back", "send", "sent", "file", "photo",
  "link", "email", "phone", "train", "bus", "car", "late", "early", "morning", "evening", "weekend",
  "monday", "friday", "party", "birthday", "movie", "game", "music", "book", "weather", "rain", "sun",
  "cold", "warm", "project", "release", "build", "test", "bug", "fix", "server", "client", "message",
  "chat", "network", "update", "review", "patch", "branch", "merge", "deploy", "question", "answer",
  "idea", "plan", "trip", "flight", "hotel", "ticket", "price", "money", "shop", "market", "food",
  "hello", "hi", "hey", "bye", "night", "week", "month", "year", "family", "friend", "kids", "school",
};

static const char * const syllables[] = {
  "ka", "lo", "mi", "ren", "tor", "vek", "sil", "an", "dur", "fi", "gal", "hes", "jun", "pra", "quo",
  "ru", "sta", "tin", "ul", "vor", "wex", "yal", "zer", "bri", "cho", "del", "eth", "fal", "gri", "hul",
};

/* Mostly two-character words, as Chinese chat is written. */
static const char * const chinese[] = {
  "的", "了", "我", "你", "是", "不", "在", "他", "我们", "好", "有", "这", "就", "吗", "吧", "呢",
  "一下", "今天", "明天", "昨天", "晚上", "早上", "中午", "时候", "现在", "已经", "还是", "可以",
  "没有", "什么", "怎么", "知道", "觉得", "喜欢", "工作", "公司", "会议", "开会", "吃饭", "咖啡",
  "北京", "上海", "广州", "深圳", "中国", "朋友", "家里", "孩子", "学校", "老师", "学习", "电话",
  "消息", "文件", "照片", "链接", "邮件", "服务器", "客户端", "网络", "更新", "测试", "问题",
  "天气", "下雨", "太阳", "周末", "生日", "电影", "音乐", "游戏", "火车", "飞机", "酒店", "机票",
  "价格", "市场", "谢谢", "对不起", "没关系", "再见", "晚安", "你好", "当然", "也许", "真的",
  "马上", "一起", "出去", "回家", "发送", "收到", "看看", "等等", "人民", "共和国", "天安门",
  "春节", "快乐", "加油", "辛苦", "大家", "项目", "代码", "发布", "版本", "修复", "讨论", "计划",
};

static const char * const chinese_punctuation[] = { "，", "。", "！", "？", "" };

/* Skewed toward the start of a list (roughly Zipf-like). */
static guint
pick (GRand *rand,
      guint  n)
{
  double u = g_rand_double (rand);

  return MIN ((guint) (n * u * u * u), n - 1);
}

static void
append_english (GString *body,
                GRand   *rand)
{
  guint words = g_rand_int_range (rand, 3, 20), i;

  for (i = 0; i < words; i++)
    {
      if (i > 0)
        g_string_append_c (body, ' ');
      /* One word in eight from a long tail of made-up words. */
      if (g_rand_int_range (rand, 0, 8) == 0)
        {
          guint s = g_rand_int_range (rand, 2, 4);

          while (s-- > 0)
            g_string_append (body, syllables[g_rand_int_range (rand, 0, G_N_ELEMENTS (syllables))]);
        }
      else
        {
          g_string_append (body, english[pick (rand, G_N_ELEMENTS (english))]);
        }
    }
  g_string_append_c (body, g_rand_boolean (rand) ? '.' : '?');
}

static void
append_chinese (GString *body,
                GRand   *rand)
{
  guint words = g_rand_int_range (rand, 3, 15), i;

  for (i = 0; i < words; i++)
    {
      g_string_append (body, chinese[pick (rand, G_N_ELEMENTS (chinese))]);
      if (g_rand_int_range (rand, 0, 5) == 0)
        g_string_append (body, chinese_punctuation[g_rand_int_range (rand, 0, G_N_ELEMENTS (chinese_punctuation))]);
    }
}

static char *
make_body (GRand *rand)
{
  GString *body = g_string_new (NULL);
  guint kind = g_rand_int_range (rand, 0, 100);

  if (kind < 75)
    {
      append_english (body, rand);
    }
  else if (kind < 95)
    {
      append_chinese (body, rand);
    }
  else
    {
      append_chinese (body, rand);
      g_string_append_c (body, ' ');
      append_english (body, rand);
    }
  return g_string_free (body, FALSE);
}

/* Waiting on the writer */

typedef struct
{
  MessengerStore *store;
  guint           in_flight;
  guint           completed;
  guint           failed;
} Writes;

static void
inserted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Writes *writes = user_data;
  g_autoptr(GError) error = NULL;

  if (messenger_store_insert_message_finish (writes->store, result, NULL, &error) == 0)
    {
      g_printerr ("insert failed: %s\n", error->message);
      writes->failed++;
    }
  writes->in_flight--;
  writes->completed++;
}

static void
page_inserted_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Writes *writes = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) results = messenger_store_insert_messages_finish (writes->store, result, &error);

  if (results == NULL)
    {
      g_printerr ("insert failed: %s\n", error->message);
      writes->failed++;
    }
  writes->in_flight--;
  writes->completed++;
}

static void
wait_below (Writes *writes,
            guint   in_flight)
{
  while (writes->in_flight > in_flight)
    g_main_context_iteration (NULL, TRUE);
}

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

static gint64
add_account (MessengerStore *store)
{
  g_autoptr(MessengerStoreAccount) account = messenger_store_account_new (ACCOUNT_JID);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  messenger_store_add_account_async (store, account, NULL, result_cb, &result);
  id = messenger_store_add_account_finish (store, await (&result), &error);
  if (id == 0)
    g_error ("Cannot add the account: %s", error->message);
  return id;
}

/* The messages */

static MessengerStoreMessage *
make_message (GRand  *rand,
              gint64  account,
              guint   index,
              gint64  time)
{
  MessengerStoreMessage *message = messenger_store_message_new ();
  guint contact, thread;

  /* One contact in ten messages is the big conversation. */
  if (n_contacts == 1 || g_rand_double (rand) < (double) n_big / n_messages)
    contact = 0;
  else
    contact = g_rand_int_range (rand, 1, n_contacts);
  thread = g_rand_int_range (rand, 0, MAX (n_threads / n_contacts, 1));

  message->account_id = account;
  message->peer = g_strdup_printf ("contact%u@example.org", contact);
  message->thread_id = g_strdup_printf ("thread-%u-%u", contact, thread);
  message->direction = g_rand_int_range (rand, 0, 10) < 6 ? MESSENGER_STORE_DIRECTION_IN
                                                          : MESSENGER_STORE_DIRECTION_OUT;
  message->type = MESSENGER_STORE_MESSAGE_CHAT;
  message->body = make_body (rand);
  message->time = time;
  message->received_time = time + g_rand_int_range (rand, 0, 2000000);
  message->origin_id = g_uuid_string_random ();
  message->message_id = g_strdup (message->origin_id);
  message->stanza_id = g_strdup_printf ("%08x%08x", g_rand_int (rand), index);
  message->stanza_id_by = g_strdup (ACCOUNT_JID);
  message->state = MESSENGER_STORE_DELIVERY_ACKED;
  message->unread = message->direction == MESSENGER_STORE_DIRECTION_IN && g_rand_int_range (rand, 0, 50) == 0;
  return message;
}

/* CPU time of the whole process (all threads), in seconds: on a shared
 * machine a steadier measure than the wall clock. */
static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
fill (MessengerStore *store,
      gint64          account)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);
  Writes writes = { store, 0, 0, 0 };
  /* Two years of history, oldest first, as it would have arrived. */
  const gint64 first_time = (gint64) 1672531200 * G_USEC_PER_SEC;
  const gint64 step = (gint64) 2 * 365 * 24 * 3600 * G_USEC_PER_SEC / MAX (n_messages, 1);
  guint live = MIN (n_live, n_messages);
  gint64 start, live_end;
  double cpu_start, cpu_live_end;
  guint i = 0;

  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();

  /* The live path: one write per message, 256 in flight at most. */
  for (; i < live; i++)
    {
      g_autoptr(MessengerStoreMessage) message = make_message (rand, account, i, first_time + i * step);

      messenger_store_insert_message_async (store, message, NULL, inserted_cb, &writes);
      writes.in_flight++;
      wait_below (&writes, 256);
    }
  wait_below (&writes, 0);
  live_end = g_get_monotonic_time ();
  cpu_live_end = cpu_seconds ();

  /* The archive path: pages of messages, 64 pages in flight at most (a
   * batch completes at once: fewer would leave the writer waiting). */
  while (i < n_messages)
    {
      g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);

      for (; i < n_messages && page->len < page_size; i++)
        g_ptr_array_add (page, make_message (rand, account, i, first_time + i * step));
      messenger_store_insert_messages_async (store, page, NULL, page_inserted_cb, &writes);
      writes.in_flight++;
      wait_below (&writes, 64);

      if (i % 100000 < page_size)
        {
          g_printerr ("\r  %u messages stored…", i);
          fflush (stderr);
        }
    }
  wait_below (&writes, 0);
  g_printerr ("\r");

  if (writes.failed > 0)
    g_error ("%u writes failed", writes.failed);

  g_print ("Inserts (%u messages, %u contacts, %u threads, generating included)\n",
           n_messages, n_contacts, n_threads);
  if (live > 0)
    g_print ("  live path, one message a write:   %8.0f messages/s  %5.1f µs CPU a message  (%u messages, %.1f s)\n",
             live / ((live_end - start) / (double) G_USEC_PER_SEC),
             (cpu_live_end - cpu_start) * 1e6 / live, live,
             (live_end - start) / (double) G_USEC_PER_SEC);
  if (n_messages > live)
    g_print ("  archive path, %3u-message pages:  %8.0f messages/s  %5.1f µs CPU a message  (%u messages, %.1f s)\n",
             page_size, (n_messages - live) / seconds_since (live_end),
             (cpu_seconds () - cpu_live_end) * 1e6 / (n_messages - live), n_messages - live,
             seconds_since (live_end));
  g_print ("  overall:                          %8.0f messages/s  %5.1f µs CPU a message  (%.1f s)\n",
           n_messages / seconds_since (start), (cpu_seconds () - cpu_start) * 1e6 / n_messages,
           seconds_since (start));
}

/* Timing reads */

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *samples,
            double  p)
{
  guint index;

  g_array_sort (samples, compare_doubles);
  index = MIN ((guint) (p * samples->len), samples->len - 1);
  return g_array_index (samples, double, index);
}

static void
bench_pages (MessengerStore *store,
             gint64          account)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  const char *peer = "contact0@example.org";
  gint64 start, middle_id = 0;
  double first_ms, count_ms;
  guint total, i;

  /* The very first read opens a connection, as opening the conversation
   * after start-up would. */
  start = g_get_monotonic_time ();
  {
    g_autoptr(GPtrArray) page = messenger_store_load_messages (store, account, peer, NULL,
                                                               MESSENGER_STORE_PAGE_OLDER, 0, 50, &error);

    if (page == NULL)
      g_error ("%s", error->message);
    g_assert (page->len == MIN (50, n_big) || n_big == 0);
  }
  first_ms = (g_get_monotonic_time () - start) / 1000.0;

  for (i = 0; i < 200; i++)
    {
      g_autoptr(GPtrArray) page = NULL;
      double ms;

      start = g_get_monotonic_time ();
      page = messenger_store_load_messages (store, account, peer, NULL,
                                            MESSENGER_STORE_PAGE_OLDER, 0, 50, NULL);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (samples, ms);
    }

  start = g_get_monotonic_time ();
  total = messenger_store_count_messages (store, account, peer, NULL, NULL);
  count_ms = (g_get_monotonic_time () - start) / 1000.0;

  g_print ("\nFirst page (50 rows) of a %u-message conversation (target < 20 ms)\n", total);
  g_print ("  first read after opening:  %7.3f ms\n", first_ms);
  g_print ("  warm, median / p95:        %7.3f / %.3f ms\n",
           percentile (samples, 0.5), percentile (samples, 0.95));

  /* Deep in history: page back from the middle of the conversation. */
  {
    g_autoptr(GPtrArray) around = NULL;
    gint64 anchor = 0;

    for (i = 0; i < total / 2 / 1000 && i < 1000; i++)
      {
        g_autoptr(GPtrArray) page = messenger_store_load_messages (store, account, peer, NULL,
                                                                   MESSENGER_STORE_PAGE_OLDER, anchor,
                                                                   1000, NULL);

        if (page->len == 0)
          break;
        anchor = ((MessengerStoreMessage *) g_ptr_array_index (page, 0))->id;
      }
    middle_id = anchor;

    g_array_set_size (samples, 0);
    for (i = 0; i < 200; i++)
      {
        g_autoptr(GPtrArray) page = NULL;
        double ms;

        start = g_get_monotonic_time ();
        page = messenger_store_load_messages (store, account, peer, NULL,
                                              MESSENGER_STORE_PAGE_OLDER, middle_id, 50, NULL);
        ms = (g_get_monotonic_time () - start) / 1000.0;
        g_array_append_val (samples, ms);
      }
    g_print ("  50 rows from the middle:   %7.3f ms median\n", percentile (samples, 0.5));

    start = g_get_monotonic_time ();
    around = messenger_store_load_messages_around (store, middle_id, NULL, 25, 25, NULL);
    g_print ("  50 rows around a row:      %7.3f ms\n", (g_get_monotonic_time () - start) / 1000.0);
  }
  g_print ("  counting the conversation: %7.3f ms\n", count_ms);
}

typedef struct
{
  const char *language;
  const char *query;
} Query;

static const Query queries[] = {
  { "English", "the" },
  { "English", "weather" },
  { "English", "tomorrow meeting" },
  { "English", "hel" },
  { "English", "deploy the patch" },
  { "English", "kalotor" },
  { "English", "zebra" },
  { "Chinese", "的" },
  { "Chinese", "天" },
  { "Chinese", "北京" },
  { "Chinese", "服务器" },
  { "Chinese", "明天开会" },
  { "Chinese", "人民共和国" },
  { "Chinese", "咖啡 晚上" },
  { "Chinese", "龙" },
};

static void
bench_search (MessengerStore *store,
              gint64          account)
{
  const char *languages[] = { "English", "Chinese" };
  guint l, q, r;

  g_print ("\nSearch, first page of 50 newest hits with snippets (target p95 < 50 ms)\n");
  for (l = 0; l < G_N_ELEMENTS (languages); l++)
    {
      g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));

      for (q = 0; q < G_N_ELEMENTS (queries); q++)
        {
          g_autoptr(GArray) mine = g_array_new (FALSE, FALSE, sizeof (double));
          guint hits = 0;

          if (!g_str_equal (queries[q].language, languages[l]))
            continue;

          for (r = 0; r < query_rounds; r++)
            {
              g_autoptr(GError) error = NULL;
              g_autoptr(GPtrArray) results = NULL;
              gint64 start = g_get_monotonic_time ();
              double ms;

              results = messenger_store_search (store, account, NULL, queries[q].query, 0, 50, &error);
              ms = (g_get_monotonic_time () - start) / 1000.0;
              if (results == NULL)
                g_error ("search failed: %s", error->message);
              hits = results->len;
              g_array_append_val (samples, ms);
              g_array_append_val (mine, ms);
            }
          g_print ("  %-8s %-20s %2u hits  median %7.2f ms  max %7.2f ms\n",
                   languages[l], queries[q].query, hits, percentile (mine, 0.5), percentile (mine, 1.0));
        }
      g_print ("  %s: p50 %.2f ms, p95 %.2f ms, max %.2f ms\n", languages[l],
               percentile (samples, 0.5), percentile (samples, 0.95), percentile (samples, 1.0));
    }
}

static void
bench_roster (MessengerStore *store,
              gint64          account)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_roster_item_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  const char *groups[] = { "Friends", "Work", "Family", "Project", "Neighbours" };
  gint64 start;
  guint i;

  if (n_roster == 0)
    return;

  for (i = 0; i < n_roster; i++)
    {
      MessengerStoreRosterItem *item = messenger_store_roster_item_new (NULL);

      item->jid = g_strdup_printf ("contact%u@example.org", i);
      item->name = g_strdup_printf ("Contact %u", i);
      item->subscription = MESSENGER_STORE_SUBSCRIPTION_BOTH;
      item->groups = g_new0 (char *, 3);
      item->groups[0] = g_strdup (groups[i % G_N_ELEMENTS (groups)]);
      if (i % 3 == 0)
        item->groups[1] = g_strdup (groups[(i + 1) % G_N_ELEMENTS (groups)]);
      g_ptr_array_add (items, item);
    }

  start = g_get_monotonic_time ();
  messenger_store_replace_roster_async (store, account, items, "bench-1", NULL, result_cb, &result);
  if (!messenger_store_roster_finish (store, await (&result), &error))
    g_error ("%s", error->message);
  g_print ("\nRoster of %u contacts\n", n_roster);
  g_print ("  storing (one write):       %7.2f ms\n", (g_get_monotonic_time () - start) / 1000.0);

  for (i = 0; i < 20; i++)
    {
      g_autoptr(GPtrArray) loaded = NULL;
      double ms;

      start = g_get_monotonic_time ();
      loaded = messenger_store_load_roster (store, account, NULL, NULL);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_assert (loaded->len == n_roster);
      g_array_append_val (samples, ms);
    }
  g_print ("  loading, median:           %7.2f ms  (the models' whole budget is 30 ms)\n",
           percentile (samples, 0.5));
}

static guint64
file_size (const char *path)
{
  GStatBuf buf;

  return g_stat (path, &buf) == 0 ? (guint64) buf.st_size : 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark the message store");
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStore) store = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  gint64 account;
  guint64 size;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  n_contacts = MAX (n_contacts, 1);
  page_size = MAX (page_size, 1);

  dir = opt_dir != NULL ? g_strdup (opt_dir) : g_dir_make_tmp ("bench-store-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  path = g_build_filename (dir, "bench.db", NULL);
  g_unlink (path);
  g_print ("Database: %s (SQLite %s)\n\n", path, sqlite3_libversion ());

  store = messenger_store_open (path, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  account = add_account (store);

  fill (store, account);

  /* Reopen, so reads start from a cold store (the OS cache stays warm). */
  g_clear_object (&store);
  size = file_size (path);
  store = messenger_store_open (path, &error);
  if (store == NULL)
    g_error ("%s", error->message);

  bench_pages (store, account);
  bench_search (store, account);
  bench_roster (store, account);

  g_print ("\nDatabase size\n");
  g_print ("  %.1f MB for %u messages, %.0f bytes a message (bodies, ids, indexes, search index)\n",
           size / 1e6, n_messages, (double) size / MAX (n_messages, 1));

  g_clear_object (&store);
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
  return 0;
}
