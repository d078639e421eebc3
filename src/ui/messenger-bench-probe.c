/* messenger-bench-probe.c: timestamps for bench/bench-app
 *
 * Inactive (one getenv) unless MESSENGER_BENCH_LOG=FILE is set; then it
 * appends one line per event to FILE, each "<event> <time> [values…]"
 * where <time> is g_get_monotonic_time () in µs (CLOCK_MONOTONIC, the clock
 * of the driver's time.monotonic ()):
 *
 *   start T            when the process started (/proc/self/stat starttime,
 *                      10 ms resolution), on the same clock
 *   t0 T               MESSENGER_BENCH_T0, when the driver launched us
 *   attach T           the main window was made
 *   first-frame T      the window's first painted frame
 *   account T STATE    the account's connection state changed (0 offline,
 *                      1 connecting, 2 online, 3 error)
 *   roster T C R W     a painted frame with the roster's GtkListView mapped
 *                      and showing row widgets, after the number of
 *                      contacts C (MessengerRoster) or rows R (groups and
 *                      contacts in the list model) changed; W row widgets
 *   open T PEER        the conversation was asked for (SIGUSR1)
 *   close T            the conversation pane was emptied (SIGUSR2)
 *   conversation-rows T N   first painted frame with its message rows
 *   conversation-drawn T N  first painted frame with rows, scrolled to the
 *                      newest message
 *   stored T N         the watched conversation's Nth "message-added"
 *                      (emitted once the message is committed to SQLite)
 *   shown T N          a painted frame with the open conversation's list
 *                      model reaching the Nth stored message (its newest
 *                      item is that message or a later one: in a flood
 *                      the list jumps to the newest messages, and the
 *                      ones in between are not each given a row)
 *   gap T MS CPU N     the main loop ran a 10 ms high-priority timeout MS
 *                      ms after the previous run (logged when ≥ 30 ms),
 *                      of which the main thread ran CPU ms; it was made to
 *                      give the processor up N times (with other processes
 *                      busy, the gap is longer than the work in it)
 *   frame T MS L CPU   a frame clock cycle (before-paint to after-paint)
 *                      took MS ms, L of them to the end of the layout, CPU
 *                      of them on the processor (logged when ≥ 15 ms)
 *   mem T RSS HWM GAP USED HEAP
 *                      every 250 ms: VmRSS and VmHWM (KiB), the longest
 *                      gap of the 10 ms timeout in that period (ms), and
 *                      malloc's bytes in use and its heaps' size (KiB, all
 *                      threads; mallinfo2())
 *
 * Other variables: MESSENGER_BENCH_PEER=JID watches that conversation's
 * stored messages from the start; MESSENGER_BENCH_OPEN=JID opens it
 * (messenger_window_show_conversation()) when the process gets SIGUSR1,
 * as a click on the contact would; SIGUSR2 closes it again.
 *
 * "Painted": a frame in which the window's GdkSurface emitted "render"
 * (seen by an emission hook), checked in the frame clock's "after-paint".
 * Widgets are found by walking the tree: the GtkListView over a
 * GtkTreeListModel inside MessengerSidebar, and the one over a
 * MessengerMessageList inside MessengerConversationView.  The log is
 * written in blocks (flushed every 100 ms), so the probe costs the main
 * loop a few µs an event.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "messenger-bench-probe.h"
#include "messenger-conversation-view.h"
#include "messenger-message-list.h"
#include "messenger-store-records.h"
#include "messenger-sidebar.h"

#define GAP_LOG_MS       30
#define FRAME_LOG_MS     15
#define TICK_MS          10
#define MEM_INTERVAL_MS  250
#define FLUSH_MS         100

typedef struct
{
  FILE                  *log;
  MessengerWindow       *window;           /* weak */
  GdkFrameClock         *clock;            /* weak */
  gint64                 frame_start;
  gint64                 frame_start_cpu;
  gint64                 frame_laid_out;
  gboolean               rendered;
  gboolean               first_frame;

  GtkWidget             *roster_view;      /* weak */
  guint                  last_contacts;
  guint                  last_rows;

  MessengerAccount      *account;          /* weak */

  char                  *watch_peer;
  MessengerConversation *watched;          /* weak */
  guint64                stored;
  GArray                *stored_ids;       /* gint64, in the order stored */

  char                  *open_peer;
  gboolean               opened;
  gboolean               conversation_rows;
  gboolean               conversation_drawn;
  GtkWidget             *messages_view;    /* weak */
  GListModel            *shown_model;      /* weak */
  gulong                 shown_handler;
  guint64                appended;
  guint64                logged_appended;

  gint64                 last_tick;
  gint64                 last_tick_cpu;
  long                   last_tick_preempted;
  gint64                 period_gap;
} Probe;

static Probe *probe;

static void
probe_log (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

static void
probe_log (const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (probe->log, format, args);
  va_end (args);
  fputc ('\n', probe->log);
}

/* When the process started, on the g_get_monotonic_time () clock: field 22
 * of /proc/self/stat is in clock ticks since boot (CLOCK_BOOTTIME). */
static gint64
process_start (void)
{
  g_autofree char *stat = NULL;
  const char *p;
  struct timespec boot;
  unsigned long long ticks;
  gint64 now_mono = g_get_monotonic_time ();
  gint64 now_boot, start_boot;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL)
      || (p = strrchr (stat, ')')) == NULL)
    return 0;
  /* p + 1 is the space before field 3 (state); starttime is field 22. */
  p++;
  for (int field = 3; field < 22 && p != NULL; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL || sscanf (p, " %llu", &ticks) != 1)
    return 0;
  clock_gettime (CLOCK_BOOTTIME, &boot);
  now_boot = (gint64) boot.tv_sec * G_USEC_PER_SEC + boot.tv_nsec / 1000;
  start_boot = (gint64) (ticks * G_USEC_PER_SEC / (unsigned long long) sysconf (_SC_CLK_TCK));
  return now_mono - (now_boot - start_boot);
}

static void
read_memory (guint64 *rss,
             guint64 *hwm)
{
  g_autofree char *status = NULL;
  const char *p;

  *rss = *hwm = 0;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  if ((p = strstr (status, "VmRSS:")) != NULL)
    *rss = g_ascii_strtoull (p + strlen ("VmRSS:"), NULL, 10);
  if ((p = strstr (status, "VmHWM:")) != NULL)
    *hwm = g_ascii_strtoull (p + strlen ("VmHWM:"), NULL, 10);
}

/* Widgets */

static GtkWidget *
find_descendant (GtkWidget *root,
                 gboolean (*match) (GtkWidget *widget))
{
  if (match (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, match);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GListModel *
list_view_items (GtkWidget *view)
{
  GtkSelectionModel *selection = gtk_list_view_get_model (GTK_LIST_VIEW (view));

  if (!GTK_IS_NO_SELECTION (selection))
    return NULL;
  return gtk_no_selection_get_model (GTK_NO_SELECTION (selection));
}

static gboolean
is_sidebar (GtkWidget *widget)
{
  return MESSENGER_IS_SIDEBAR (widget);
}

static gboolean
is_conversation_view (GtkWidget *widget)
{
  return MESSENGER_IS_CONVERSATION_VIEW (widget);
}

static gboolean
is_roster_view (GtkWidget *widget)
{
  GListModel *items;

  if (!GTK_IS_LIST_VIEW (widget))
    return FALSE;
  items = list_view_items (widget);
  /* The sidebar first shows the tree's first rows through a slice. */
  if (GTK_IS_SLICE_LIST_MODEL (items))
    items = gtk_slice_list_model_get_model (GTK_SLICE_LIST_MODEL (items));
  return GTK_IS_TREE_LIST_MODEL (items);
}

static gboolean
is_messages_view (GtkWidget *widget)
{
  return GTK_IS_LIST_VIEW (widget) && MESSENGER_IS_MESSAGE_LIST (list_view_items (widget));
}

/* The list view inside the first widget @container matches. */
static GtkWidget *
find_view (GtkWidget **cache,
           gboolean  (*container) (GtkWidget *widget),
           gboolean  (*view) (GtkWidget *widget))
{
  GtkWidget *parent;

  if (*cache != NULL && view (*cache))
    return *cache;
  parent = find_descendant (GTK_WIDGET (probe->window), container);
  if (parent == NULL)
    return NULL;
  g_clear_weak_pointer (cache);
  g_set_weak_pointer (cache, find_descendant (parent, view));
  return *cache;
}

/* Row widgets of a list view that have a size: what is on screen. */
static guint
row_widgets (GtkWidget *view)
{
  guint n = 0;

  if (!gtk_widget_get_mapped (view))
    return 0;
  for (GtkWidget *child = gtk_widget_get_first_child (view);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_mapped (child) && gtk_widget_get_height (child) > 0)
      n++;
  return n;
}

/* The models */

static void
message_added_cb (MessengerConversation *conversation,
                  gconstpointer          message)
{
  const MessengerStoreMessage *record = message;

  if (probe->stored_ids == NULL)
    probe->stored_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (probe->stored_ids, record->id);
  probe->stored++;
  probe_log ("stored %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT, g_get_monotonic_time (), probe->stored);
}

static void
account_state_cb (MessengerAccount *account)
{
  probe_log ("account %" G_GINT64_FORMAT " %d", g_get_monotonic_time (),
             (int) messenger_account_get_state (account));
}

/* Follow the session's account and the watched conversation once they exist. */
static void
watch_models (void)
{
  MessengerSession *session = messenger_window_get_session (probe->window);

  if (session == NULL)
    return;
  if (probe->account == NULL)
    {
      g_set_weak_pointer (&probe->account, messenger_session_get_account (session));
      g_signal_connect (probe->account, "notify::state", G_CALLBACK (account_state_cb), NULL);
      account_state_cb (probe->account);
    }
  if (probe->watch_peer != NULL && probe->watched == NULL)
    {
      MessengerConversation *conversation =
        messenger_conversation_list_get_conversation (messenger_session_get_conversations (session),
                                                      probe->watch_peer);

      if (conversation != NULL)
        {
          g_set_weak_pointer (&probe->watched, conversation);
          g_signal_connect (conversation, "message-added", G_CALLBACK (message_added_cb), NULL);
        }
    }
}

static void
appended_cb (GListModel *model,
             guint       position,
             guint       removed,
             guint       added)
{
  guint n = g_list_model_get_n_items (model);
  g_autoptr(MessengerMessage) newest = NULL;
  guint low = 0, high;
  gint64 id;

  /* Only changes that bring in a newer end count. */
  if (added == 0 || position + added != n || probe->stored_ids == NULL)
    return;
  newest = g_list_model_get_item (model, n - 1);
  id = messenger_message_get_id (newest);
  /* How many stored messages are that one or older (stored in id order). */
  high = probe->stored_ids->len;
  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (g_array_index (probe->stored_ids, gint64, mid) <= id)
        low = mid + 1;
      else
        high = mid;
    }
  probe->appended = MAX (probe->appended, low);
}

/* Frames */

static void
check_roster (void)
{
  MessengerSession *session = messenger_window_get_session (probe->window);
  GtkWidget *view;
  GListModel *items;
  guint contacts, rows, widgets;

  if (session == NULL)
    return;
  view = find_view (&probe->roster_view, is_sidebar, is_roster_view);
  if (view == NULL || (items = list_view_items (view)) == NULL)
    return;
  contacts = g_list_model_get_n_items (G_LIST_MODEL (messenger_session_get_roster (session)));
  rows = g_list_model_get_n_items (items);
  if (rows == 0 || (contacts == probe->last_contacts && rows == probe->last_rows))
    return;
  widgets = row_widgets (view);
  if (widgets == 0)
    return;
  probe->last_contacts = contacts;
  probe->last_rows = rows;
  probe_log ("roster %" G_GINT64_FORMAT " %u %u %u", g_get_monotonic_time (), contacts, rows, widgets);
}

static void
check_conversation (void)
{
  GtkWidget *view = find_view (&probe->messages_view, is_conversation_view, is_messages_view);
  GListModel *items;
  GtkAdjustment *adjustment;
  guint n;

  if (view == NULL || (items = list_view_items (view)) == NULL)
    return;

  if (items != probe->shown_model)
    {
      if (probe->shown_model != NULL)
        g_signal_handler_disconnect (probe->shown_model, probe->shown_handler);
      g_clear_weak_pointer (&probe->shown_model);
      g_set_weak_pointer (&probe->shown_model, items);
      probe->shown_handler = g_signal_connect (items, "items-changed", G_CALLBACK (appended_cb), NULL);
    }
  if (probe->appended != probe->logged_appended && row_widgets (view) > 0)
    {
      probe->logged_appended = probe->appended;
      probe_log ("shown %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT, g_get_monotonic_time (), probe->appended);
    }

  if (!probe->opened || probe->conversation_drawn)
    return;
  n = g_list_model_get_n_items (items);
  if (n == 0 || row_widgets (view) == 0)
    return;
  if (!probe->conversation_rows)
    {
      probe->conversation_rows = TRUE;
      probe_log ("conversation-rows %" G_GINT64_FORMAT " %u", g_get_monotonic_time (), n);
    }
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  if (adjustment != NULL
      && gtk_adjustment_get_upper (adjustment) > 0
      && gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment)
         >= gtk_adjustment_get_upper (adjustment) - 8)
    {
      probe->conversation_drawn = TRUE;
      probe_log ("conversation-drawn %" G_GINT64_FORMAT " %u", g_get_monotonic_time (), n);
    }
}

static gboolean
render_hook (GSignalInvocationHint *hint,
             guint                  n_params,
             const GValue          *params,
             gpointer               data)
{
  if (probe->window != NULL
      && g_value_get_object (&params[0]) == (gpointer) gtk_native_get_surface (GTK_NATIVE (probe->window)))
    probe->rendered = TRUE;
  return TRUE;
}

static gint64 thread_cpu_time (void);

static void
before_paint_cb (GdkFrameClock *clock)
{
  probe->frame_start = g_get_monotonic_time ();
  probe->frame_start_cpu = thread_cpu_time ();
  probe->frame_laid_out = 0;
}

/* Connected after GTK's own handler: the layout is done. */
static void
layout_cb (GdkFrameClock *clock)
{
  probe->frame_laid_out = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock)
{
  gint64 now = g_get_monotonic_time ();

  if (probe->frame_start > 0 && now - probe->frame_start >= FRAME_LOG_MS * 1000)
    probe_log ("frame %" G_GINT64_FORMAT " %.1f %.1f %.1f", now, (now - probe->frame_start) / 1000.0,
               probe->frame_laid_out > 0 ? (probe->frame_laid_out - probe->frame_start) / 1000.0 : 0.0,
               (thread_cpu_time () - probe->frame_start_cpu) / 1000.0);
  probe->frame_start = 0;
  if (!probe->rendered || probe->window == NULL)
    return;
  probe->rendered = FALSE;
  if (!probe->first_frame)
    {
      probe->first_frame = TRUE;
      probe_log ("first-frame %" G_GINT64_FORMAT, g_get_monotonic_time ());
    }
  watch_models ();
  check_roster ();
  check_conversation ();
}

static void
realize_cb (GtkWidget *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0, render_hook, NULL, NULL);
  g_set_weak_pointer (&probe->clock, gdk_surface_get_frame_clock (surface));
  g_signal_connect (probe->clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (probe->clock, "layout", G_CALLBACK (layout_cb), NULL);
  g_signal_connect (probe->clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
}

/* Timers and signals */

/* The main thread's processor time (µs) and how often it was preempted. */
static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static long
thread_preempted (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_THREAD, &usage) != 0)
    return 0;
  return usage.ru_nivcsw;
}

static gboolean
tick_cb (gpointer data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 gap = now - probe->last_tick;
  gint64 cpu = thread_cpu_time ();
  long preempted = thread_preempted ();

  probe->last_tick = now;
  probe->period_gap = MAX (probe->period_gap, gap);
  if (gap >= GAP_LOG_MS * 1000)
    probe_log ("gap %" G_GINT64_FORMAT " %.1f %.1f %ld", now, gap / 1000.0,
               (cpu - probe->last_tick_cpu) / 1000.0, preempted - probe->last_tick_preempted);
  probe->last_tick_cpu = cpu;
  probe->last_tick_preempted = preempted;
  return G_SOURCE_CONTINUE;
}

static gboolean
memory_cb (gpointer data)
{
  guint64 rss, hwm;
  struct mallinfo2 heap = mallinfo2 ();

  read_memory (&rss, &hwm);
  probe_log ("mem %" G_GINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %.1f %zu %zu",
             g_get_monotonic_time (), rss, hwm, probe->period_gap / 1000.0,
             (heap.uordblks + heap.hblkhd) / 1024, (heap.arena + heap.hblkhd) / 1024);
  probe->period_gap = 0;
  if (probe->window != NULL)
    watch_models ();
  return G_SOURCE_CONTINUE;
}

static gboolean
flush_cb (gpointer data)
{
  fflush (probe->log);
  return G_SOURCE_CONTINUE;
}

static gboolean
open_cb (gpointer data)
{
  MessengerSession *session;

  if (probe->open_peer == NULL || probe->window == NULL
      || (session = messenger_window_get_session (probe->window)) == NULL)
    {
      probe_log ("open-failed %" G_GINT64_FORMAT, g_get_monotonic_time ());
      return G_SOURCE_CONTINUE;
    }
  probe->opened = TRUE;
  probe->conversation_rows = probe->conversation_drawn = FALSE;
  probe_log ("open %" G_GINT64_FORMAT " %s", g_get_monotonic_time (), probe->open_peer);
  messenger_window_show_conversation (probe->window,
                                      messenger_account_get_jid (messenger_session_get_account (session)),
                                      probe->open_peer);
  fflush (probe->log);
  return G_SOURCE_CONTINUE;
}

/* SIGUSR2: back to no conversation open (the stored count goes on). */
static gboolean
close_cb (gpointer data)
{
  if (probe->window != NULL)
    {
      probe_log ("close %" G_GINT64_FORMAT, g_get_monotonic_time ());
      messenger_window_open_conversation (probe->window, NULL);
    }
  return G_SOURCE_CONTINUE;
}

void
messenger_bench_probe_attach (MessengerWindow *window)
{
  const char *path = g_getenv ("MESSENGER_BENCH_LOG");
  const char *t0 = g_getenv ("MESSENGER_BENCH_T0");

  if (path == NULL || *path == '\0' || probe != NULL)
    return;

  probe = g_new0 (Probe, 1);
  probe->log = fopen (path, "a");
  if (probe->log == NULL)
    {
      g_warning ("MESSENGER_BENCH_LOG: cannot open %s", path);
      g_clear_pointer (&probe, g_free);
      return;
    }
  setvbuf (probe->log, NULL, _IOFBF, 1 << 16);
  probe->open_peer = g_strdup (g_getenv ("MESSENGER_BENCH_OPEN"));
  probe->watch_peer = g_strdup (g_getenv ("MESSENGER_BENCH_PEER"));
  if (probe->watch_peer == NULL)
    probe->watch_peer = g_strdup (probe->open_peer);

  probe_log ("start %" G_GINT64_FORMAT, process_start ());
  if (t0 != NULL)
    probe_log ("t0 %s", t0);
  probe_log ("attach %" G_GINT64_FORMAT, g_get_monotonic_time ());

  g_set_weak_pointer (&probe->window, window);
  g_signal_connect_after (window, "realize", G_CALLBACK (realize_cb), NULL);
  watch_models ();

  probe->last_tick = g_get_monotonic_time ();
  g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, tick_cb, NULL, NULL);
  g_timeout_add (MEM_INTERVAL_MS, memory_cb, NULL);
  g_timeout_add (FLUSH_MS, flush_cb, NULL);
  g_unix_signal_add (SIGUSR1, open_cb, NULL);
  g_unix_signal_add (SIGUSR2, close_cb, NULL);
  fflush (probe->log);
}
