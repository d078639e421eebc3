/* bench-app-floor.c: the toolkit's floor for bench/bench-app's start-up time
 *
 * A libadwaita window of the app's default size with a GtkListView of
 * --rows label rows (GtkStringList, a signal factory), nothing else: no
 * profile, no store, no network.  Prints "floor-drawn <seconds>", the time
 * from MESSENGER_BENCH_T0 (µs of g_get_monotonic_time (), set by the driver
 * just before it launched us) to the first painted frame with rows, and
 * "floor-hwm-kb <VmHWM>" then, and quits.  bench-app runs it under the same Xvfb, bus and renderer as the
 * app, so the difference to the app's "roster drawn" is the app's own.
 */
#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gint64 t0;
static gboolean rendered;
static GtkWidget *list;

static gboolean
render_hook (GSignalInvocationHint *hint,
             guint                  n_params,
             const GValue          *params,
             gpointer               data)
{
  rendered = TRUE;
  return TRUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                GApplication  *app)
{
  if (!rendered || gtk_widget_get_first_child (list) == NULL)
    return;
  g_autofree char *status = NULL;
  const char *hwm = NULL;

  printf ("floor-drawn %.3f\n", (g_get_monotonic_time () - t0) / 1e6);
  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      && (hwm = strstr (status, "VmHWM:")) != NULL)
    printf ("floor-hwm-kb %" G_GUINT64_FORMAT "\n", g_ascii_strtoull (hwm + strlen ("VmHWM:"), NULL, 10));
  fflush (stdout);
  g_application_quit (app);
}

static void
realize_cb (GtkWidget    *window,
            GApplication *app)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0, render_hook, NULL, NULL);
  g_signal_connect (gdk_surface_get_frame_clock (surface), "after-paint", G_CALLBACK (after_paint_cb), app);
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item)
{
  gtk_list_item_set_child (item, gtk_label_new (NULL));
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item)
{
  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)),
                       gtk_string_object_get_string (gtk_list_item_get_item (item)));
}

static int n_rows = 2000;

static void
activate_cb (GApplication *app)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkStringList *strings = gtk_string_list_new (NULL);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  for (int i = 0; i < n_rows; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "Contact %05d", i);
      gtk_string_list_append (strings, name);
    }
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  list = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (strings))), factory);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), scrolled);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 960, 640);
  g_signal_connect_after (window, "realize", G_CALLBACK (realize_cb), app);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;
  const char *env = g_getenv ("MESSENGER_BENCH_T0");

  t0 = env != NULL ? g_ascii_strtoll (env, NULL, 10) : g_get_monotonic_time ();
  if (argc > 1)
    n_rows = atoi (argv[1]);
  app = adw_application_new ("org.example.MessengerBenchFloor", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
