/* test-sidebar.c: the sidebar on a real display
 *
 * MessengerSidebar over a real session (a temporary store, an offline
 * account whose signals the test emits: see tests/unit/model-fixture.h),
 * in a window under Xvfb (headless-run).  Widgets are found the way the
 * AT-SPI tests find them: by their accessible names and visible texts.
 */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "messenger-avatar-image.h"
#include "messenger-contact-row.h"
#include "messenger-group-row.h"
#include "messenger-session-private.h"
#include "messenger-sidebar.h"
#include "model-fixture.h"
#include "widget-util.h"

#define EVE   "eve@example.org"
#define FRANK "frank@example.org"
#define ZED   "zed@example.org"

typedef struct
{
  ModelFixture      base;
  MessengerSession *session;
  GtkWindow        *window;
  MessengerSidebar *sidebar;
  GPtrArray        *activated;   /* peers, in order */
} Fixture;

static void
activated_cb (MessengerSidebar      *sidebar,
              MessengerConversation *conversation,
              Fixture               *fixture)
{
  g_ptr_array_add (fixture->activated, g_strdup (messenger_conversation_get_peer (conversation)));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  GtkWidget *overlay;

  model_fixture_set_up (&fixture->base, data);
  fixture->activated = g_ptr_array_new_with_free_func (g_free);
  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (fixture->window, "Sidebar test");
  gtk_window_set_default_size (fixture->window, 320, 640);
  overlay = adw_toast_overlay_new ();
  fixture->sidebar = MESSENGER_SIDEBAR (messenger_sidebar_new ());
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (fixture->sidebar));
  gtk_window_set_child (fixture->window, overlay);
  g_signal_connect (fixture->sidebar, "conversation-activated", G_CALLBACK (activated_cb), fixture);
  gtk_window_present (fixture->window);
}

/* The session is made after the test stored what it needs. */
static void
fixture_start (Fixture *fixture)
{
  /* As the default profile does: the user's cache folder (a temporary
   * one, see main()). */
  g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "messenger", NULL);

  fixture->session = _messenger_session_new (fixture->base.store, fixture->base.account_id,
                                             fixture->base.account, FALSE, cache);
  messenger_sidebar_set_session (fixture->sidebar, fixture->session);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (fixture->window);
  g_clear_object (&fixture->session);
  g_ptr_array_unref (fixture->activated);
  model_fixture_tear_down (&fixture->base, data);
}

/* Widgets by what a person (or a screen reader) sees */

static GtkWidget *
visible_label (Fixture    *fixture,
               const char *text)
{
  return find_widget (GTK_WIDGET (fixture->window), is_visible_label, text);
}

static GtkWidget *
named (Fixture    *fixture,
       const char *name)
{
  return find_widget (GTK_WIDGET (fixture->window), has_accessible_label, name);
}

static GtkListView *
list_named (Fixture    *fixture,
            const char *name)
{
  GtkWidget *widget = named (fixture, name);

  g_assert_true (GTK_IS_LIST_VIEW (widget));
  return GTK_LIST_VIEW (widget);
}

/* The text of each row of the roster (group names and contact names) in
 * the order of the list's model. */
static char *
roster_order (Fixture *fixture)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (list_named (fixture, "Contacts")));
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, i);
      g_autoptr(GObject) item = gtk_tree_list_row_get_item (row);

      if (text->len > 0)
        g_string_append_c (text, ' ');
      if (MESSENGER_IS_GROUP (item))
        g_string_append_printf (text, "[%s]", messenger_group_get_name (MESSENGER_GROUP (item)));
      else
        g_string_append (text, messenger_contact_get_display_name (MESSENGER_CONTACT (item)));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
receive_roster (Fixture *fixture)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);

  g_ptr_array_add (items, model_fixture_roster_item (BOB, "Bob", XMPP_SUBSCRIPTION_BOTH, "Friends", NULL));
  g_ptr_array_add (items, model_fixture_roster_item (CAROL, "Carol", XMPP_SUBSCRIPTION_BOTH, "Friends", NULL));
  g_ptr_array_add (items, model_fixture_roster_item (DAVE, "Dave", XMPP_SUBSCRIPTION_BOTH, "Work", NULL));
  g_ptr_array_add (items, model_fixture_roster_item (EVE, NULL, XMPP_SUBSCRIPTION_TO, NULL));
  g_signal_emit_by_name (fixture->base.account, "roster-received", items, "v1", FALSE);
}

static MessengerContact *
contact (Fixture    *fixture,
         const char *jid)
{
  return messenger_roster_lookup (messenger_session_get_roster (fixture->session), jid);
}

/* --- tests ------------------------------------------------------------ */

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  fixture_start (fixture);
  run_frames (200);
  g_assert_nonnull (visible_label (fixture, "No Contacts"));
  g_assert_nonnull (named (fixture, "Sidebar"));
  g_assert_nonnull (named (fixture, "Search Contacts"));
  g_assert_nonnull (named (fixture, "Presence"));
  g_assert_nonnull (named (fixture, "Add Contact"));
  g_assert_nonnull (named (fixture, "Main Menu"));
  /* Offline: said without blocking, with a way to connect. */
  g_assert_nonnull (visible_label (fixture, "Offline"));
  g_assert_nonnull (visible_label (fixture, "Connect"));
  g_assert_nonnull (visible_label (fixture, ALICE));
}

static void
test_roster (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *order = NULL;

  fixture_start (fixture);
  receive_roster (fixture);
  messenger_contact_set_presence (contact (fixture, BOB), XMPP_SHOW_AVAILABLE, NULL);
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_AWAY, "at lunch");
  messenger_contact_set_presence (contact (fixture, EVE), XMPP_SHOW_DND, NULL);
  run_frames (300);

  g_assert_null (visible_label (fixture, "No Contacts"));
  order = roster_order (fixture);
  /* Offline contacts hidden; most reachable first. */
  g_assert_cmpstr (order, ==, "[Friends] Bob Carol [Ungrouped] " EVE);
  g_assert_nonnull (named (fixture, "Friends, 2 of 2 online"));
  g_assert_null (named (fixture, "Work, 0 of 1 online"));
  g_assert_nonnull (named (fixture, "Bob, Available"));
  g_assert_nonnull (named (fixture, "Carol, Away: at lunch"));
  g_assert_nonnull (named (fixture, EVE ", Do Not Disturb"));
  g_assert_nonnull (visible_label (fixture, "Bob"));

  /* A change of presence moves the row. */
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_CHAT, NULL);
  g_clear_pointer (&order, g_free);
  order = roster_order (fixture);
  g_assert_cmpstr (order, ==, "[Friends] Carol Bob [Ungrouped] " EVE);

  /* Show offline contacts (and their groups). */
  messenger_sidebar_set_show_offline (fixture->sidebar, TRUE);
  run_frames (100);
  g_clear_pointer (&order, g_free);
  order = roster_order (fixture);
  g_assert_cmpstr (order, ==, "[Friends] Carol Bob [Work] Dave [Ungrouped] " EVE);
  g_assert_nonnull (named (fixture, "Dave, Offline"));
  g_assert_nonnull (named (fixture, "Work, 0 of 1 online"));
  messenger_sidebar_set_show_offline (fixture->sidebar, FALSE);
  g_clear_pointer (&order, g_free);
  order = roster_order (fixture);
  g_assert_cmpstr (order, ==, "[Friends] Carol Bob [Ungrouped] " EVE);

  /* A group shows again when someone in it comes online. */
  messenger_contact_set_presence (contact (fixture, DAVE), XMPP_SHOW_XA, NULL);
  g_clear_pointer (&order, g_free);
  order = roster_order (fixture);
  g_assert_cmpstr (order, ==, "[Friends] Carol Bob [Work] Dave [Ungrouped] " EVE);
  messenger_contact_set_presence (contact (fixture, DAVE), XMPP_SHOW_OFFLINE, NULL);

  /* Unread messages show on the row and in its name. */
  messenger_contact_set_unread_count (contact (fixture, BOB), 3);
  run_frames (100);
  g_assert_nonnull (named (fixture, "Bob, Available, 3 unread messages"));
  g_assert_nonnull (visible_label (fixture, "3"));

  /* Collapsing a group hides its contacts. */
  {
    GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (list_named (fixture, "Contacts")));
    g_autoptr(GtkTreeListRow) friends = g_list_model_get_item (model, 0);

    gtk_tree_list_row_set_expanded (friends, FALSE);
    g_clear_pointer (&order, g_free);
    order = roster_order (fixture);
    g_assert_cmpstr (order, ==, "[Friends] [Ungrouped] " EVE);
  }

  /* Nobody online: said so, rather than an empty list. */
  messenger_contact_set_presence (contact (fixture, BOB), XMPP_SHOW_OFFLINE, NULL);
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_OFFLINE, NULL);
  messenger_contact_set_presence (contact (fixture, EVE), XMPP_SHOW_OFFLINE, NULL);
  run_frames (100);
  g_assert_nonnull (visible_label (fixture, "No One Is Online"));
  messenger_sidebar_set_show_offline (fixture->sidebar, TRUE);
  run_frames (100);
  g_assert_null (visible_label (fixture, "No One Is Online"));
  g_assert_nonnull (named (fixture, "Dave, Offline"));
}

static void
test_activate (Fixture       *fixture,
               gconstpointer  data)
{
  GtkListView *view;

  fixture_start (fixture);
  receive_roster (fixture);
  messenger_contact_set_presence (contact (fixture, BOB), XMPP_SHOW_AVAILABLE, NULL);
  run_frames (200);
  view = list_named (fixture, "Contacts");

  /* Activating a group toggles it; a contact opens the conversation. */
  gtk_widget_activate_action (GTK_WIDGET (view), "list.activate-item", "u", 1);
  g_assert_cmpuint (fixture->activated->len, ==, 1);
  g_assert_cmpstr (fixture->activated->pdata[0], ==, BOB);
  gtk_widget_activate_action (GTK_WIDGET (view), "list.activate-item", "u", 0);
  g_assert_cmpuint (fixture->activated->len, ==, 1);
  {
    g_autofree char *order = roster_order (fixture);

    g_assert_cmpstr (order, ==, "[Friends]");
  }

  /* The context menu's actions. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->sidebar), "sidebar.open-contact", "s", CAROL);
  g_assert_cmpuint (fixture->activated->len, ==, 2);
  g_assert_cmpstr (fixture->activated->pdata[1], ==, CAROL);
}

static void
search_for (Fixture    *fixture,
            const char *text)
{
  GtkWidget *entry = named (fixture, "Search contacts");

  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  /* The entry reports changes after a short pause. */
  run_frames (350);
}

static void
test_search (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *entry;
  GListModel *results;

  /* A conversation with someone who is not a contact. */
  model_fixture_add_history (&fixture->base, ZED, NULL, 2, g_get_real_time () - G_USEC_PER_SEC * 60);
  fixture_start (fixture);
  receive_roster (fixture);
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_AVAILABLE, NULL);

  messenger_sidebar_begin_search (fixture->sidebar);
  run_frames (200);
  entry = named (fixture, "Search contacts");
  g_assert_nonnull (entry);
  g_assert_true (gtk_widget_has_focus (entry) || gtk_widget_is_ancestor (gtk_root_get_focus (GTK_ROOT (fixture->window)), entry));

  /* Case-insensitive, by name or address; offline contacts too. */
  search_for (fixture, "CAR");
  results = G_LIST_MODEL (gtk_list_view_get_model (list_named (fixture, "Search results")));
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 1);
  g_assert_nonnull (named (fixture, "Carol, Available"));
  search_for (fixture, "dave@");
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 1);
  g_assert_nonnull (named (fixture, "Dave, Offline"));
  search_for (fixture, "example.org");
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 5);

  /* People who are not contacts, found through their conversations. */
  search_for (fixture, "zed");
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 1);
  g_assert_nonnull (visible_label (fixture, ZED));
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpuint (fixture->activated->len, ==, 1);
  g_assert_cmpstr (fixture->activated->pdata[0], ==, ZED);

  search_for (fixture, "nobody by that name");
  g_assert_nonnull (visible_label (fixture, "No Results"));

  /* Ending the search shows the roster again. */
  gtk_search_bar_set_search_mode (GTK_SEARCH_BAR (gtk_widget_get_ancestor (entry, GTK_TYPE_SEARCH_BAR)), FALSE);
  run_frames (100);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_nonnull (named (fixture, "Carol, Available"));
}

static void
test_requests (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(XmppJid) frank = xmpp_jid_new (FRANK, NULL);
  GListModel *requests;

  fixture_start (fixture);
  requests = G_LIST_MODEL (messenger_session_get_requests (fixture->session));
  g_signal_emit_by_name (fixture->base.account, "subscription", frank, XMPP_PRESENCE_SUBSCRIBE);
  g_assert_cmpuint (g_list_model_get_n_items (requests), ==, 1);
  run_frames (400);
  g_assert_nonnull (named (fixture, "Contact requests"));
  g_assert_nonnull (named (fixture, FRANK " wants to add you as a contact"));
  g_assert_nonnull (visible_label (fixture, "Approve"));
  g_assert_nonnull (visible_label (fixture, "Deny"));

  /* Offline the answer cannot be sent: the request stays, a toast says why. */
  {
    GtkWidget *approve = gtk_widget_get_ancestor (visible_label (fixture, "Approve"), GTK_TYPE_BUTTON);

    g_signal_emit_by_name (approve, "clicked");
    g_assert_cmpuint (g_list_model_get_n_items (requests), ==, 1);
  }

  /* Withdrawn: the row goes. */
  g_signal_emit_by_name (fixture->base.account, "subscription", frank, XMPP_PRESENCE_UNSUBSCRIBE);
  g_assert_cmpuint (g_list_model_get_n_items (requests), ==, 0);
}

static gboolean
xdotool (const char *args)
{
  g_autofree char *command = g_strconcat ("xdotool ", args, NULL);
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_spawn_command_line_sync (command, NULL, NULL, &status, &error);
  return error == NULL && g_spawn_check_wait_status (status, NULL);
}

static gboolean
is_visible_popover (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_POPOVER_MENU (widget) && gtk_widget_get_visible (widget);
}

/* A real click in the middle of @widget (the test window is the only
 * one on the display, at its origin: no window manager). */
static gboolean
click_widget (Fixture   *fixture,
              GtkWidget *widget)
{
  g_autofree char *args = NULL;
  graphene_point_t point;
  gboolean ok;

  if (widget == NULL
      || !gtk_widget_compute_point (widget, GTK_WIDGET (fixture->window),
                                    &GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                          gtk_widget_get_height (widget) / 2.f),
                                    &point))
    return FALSE;
  args = g_strdup_printf ("mousemove --sync %d %d click 1", (int) point.x, (int) point.y);
  ok = xdotool (args);
  run_frames (250);
  return ok;
}

/* Real keys from the X server: Up/Down move, Left/Right collapse and
 * expand a group, Enter opens, the Menu key opens the context menu. */
static void
test_keyboard (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *program = g_find_program_in_path ("xdotool");
  g_autofree char *order = NULL;
  GtkListView *view;

  if (program == NULL)
    {
      g_test_skip ("xdotool is not installed");
      return;
    }

  fixture_start (fixture);
  receive_roster (fixture);
  messenger_contact_set_presence (contact (fixture, BOB), XMPP_SHOW_AVAILABLE, NULL);
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_AWAY, NULL);
  run_frames (300);
  view = list_named (fixture, "Contacts");
  gtk_widget_grab_focus (GTK_WIDGET (view));
  run_frames (100);

  /* The first row is the Friends group. */
  g_assert_true (xdotool ("key Left"));
  run_frames (150);
  order = roster_order (fixture);
  g_assert_cmpstr (order, ==, "[Friends]");
  g_assert_true (xdotool ("key Right"));
  run_frames (150);
  g_clear_pointer (&order, g_free);
  order = roster_order (fixture);
  g_assert_cmpstr (order, ==, "[Friends] Bob Carol");

  /* Down to Bob, Enter opens his conversation. */
  g_assert_true (xdotool ("key Down"));
  run_frames (100);
  g_assert_true (xdotool ("key Return"));
  run_frames (150);
  g_assert_cmpuint (fixture->activated->len, ==, 1);
  g_assert_cmpstr (fixture->activated->pdata[0], ==, BOB);

  /* Menu key: the context menu of the focused contact. */
  g_assert_true (xdotool ("key Menu"));
  run_frames (300);
  g_assert_nonnull (find_widget (GTK_WIDGET (fixture->window), is_visible_popover, NULL));
  g_assert_true (xdotool ("key Escape"));
  run_frames (150);
  g_assert_null (find_widget (GTK_WIDGET (fixture->window), is_visible_popover, NULL));

  /* Clicks: on the group's name, on its arrow, on a contact. */
  {
    GtkWidget *friends = visible_label (fixture, "Friends");
    GtkWidget *expander = gtk_widget_get_ancestor (friends, GTK_TYPE_TREE_EXPANDER);
    GtkWidget *arrow = gtk_widget_get_first_child (expander);

    g_assert_true (click_widget (fixture, friends));
    g_clear_pointer (&order, g_free);
    order = roster_order (fixture);
    g_assert_cmpstr (order, ==, "[Friends]");
    g_assert_true (click_widget (fixture, arrow));
    g_clear_pointer (&order, g_free);
    order = roster_order (fixture);
    g_assert_cmpstr (order, ==, "[Friends] Bob Carol");
    g_assert_true (click_widget (fixture, visible_label (fixture, "Carol")));
    g_assert_cmpuint (fixture->activated->len, ==, 2);
    g_assert_cmpstr (fixture->activated->pdata[1], ==, CAROL);
  }

  /* Typing starts a search; Escape ends it. */
  g_assert_true (xdotool ("type car"));
  run_frames (400);
  g_assert_nonnull (named (fixture, "Carol, Away"));
  g_assert_true (visible_label (fixture, "Bob") == NULL);
  g_assert_true (xdotool ("key Escape"));
  run_frames (200);
  g_assert_nonnull (visible_label (fixture, "Bob"));
}

static gboolean
is_avatar_with_icon (GtkWidget     *widget,
                     gconstpointer  data)
{
  return MESSENGER_IS_AVATAR_IMAGE (widget) && gtk_widget_is_drawable (widget)
         && messenger_avatar_image_get_icon (MESSENGER_AVATAR_IMAGE (widget)) != NULL;
}

/* A picture in the avatar cache (as a vCard fetch leaves it) shows on the
 * contact's row, offline, and a "changed" of the cache reaches the row. */
static void
put_picture (const char *jid,
             guint32     rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 64, 64);
  g_autofree char *escaped = g_uri_escape_string (jid, NULL, FALSE);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "messenger", "avatars", escaped, NULL);
  g_autofree char *index = g_build_filename (dir, "index", NULL);
  g_autofree gchar *png = NULL;
  g_autofree char *sha1 = NULL;
  g_autofree char *path = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &png, &len, "png", &error, NULL));
  g_assert_no_error (error);
  sha1 = g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) png, len);
  path = g_build_filename (dir, sha1, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, png, len, NULL));
  line = g_strdup_printf ("%s %s\n", sha1, BOB);
  g_assert_true (g_file_set_contents (index, line, -1, NULL));
}

static void
test_avatar (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *avatar;

  /* Alice's cache says Bob has a picture. */
  put_picture (ALICE, 0x3584e4ff);
  fixture_start (fixture);
  receive_roster (fixture);
  messenger_contact_set_presence (contact (fixture, BOB), XMPP_SHOW_AVAILABLE, NULL);
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_AVAILABLE, NULL);
  run_frames (500);
  avatar = find_widget (GTK_WIDGET (fixture->window), is_avatar_with_icon, NULL);
  g_assert_nonnull (avatar);
  /* Only Bob's. */
  g_assert_true (gtk_widget_is_ancestor (avatar, gtk_widget_get_ancestor (named (fixture, "Bob, Available"),
                                                                          MESSENGER_TYPE_CONTACT_ROW)));
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_entry_row_titled (GtkWidget     *widget,
                     gconstpointer  title)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
         && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL;
}

/* The dialog checks the address as it is typed and says inline why
 * adding failed (here: offline), staying open. */
static void
test_add_contact (Fixture       *fixture,
                  gconstpointer  data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr(GtkWindow) dialog = NULL;
  GtkWidget *address, *add;
  guint before;

  fixture_start (fixture);
  before = g_list_model_get_n_items (toplevels);
  gtk_widget_activate_action (GTK_WIDGET (fixture->sidebar), "sidebar.add-contact", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (toplevels), ==, before + 1);
  dialog = g_list_model_get_item (toplevels, before);
  run_frames (200);
  g_assert_cmpstr (gtk_window_get_title (dialog), ==, "Add Contact");
  address = find_widget (GTK_WIDGET (dialog), is_entry_row_titled, "Address");
  add = find_widget (GTK_WIDGET (dialog), is_button_labelled, "Add");
  g_assert_nonnull (address);
  g_assert_nonnull (add);
  g_assert_false (gtk_widget_get_sensitive (add));

  gtk_editable_set_text (GTK_EDITABLE (address), "bob@");
  g_assert_false (gtk_widget_get_sensitive (add));
  g_assert_nonnull (find_widget (GTK_WIDGET (dialog), is_label_containing, "is not a valid address"));

  gtk_editable_set_text (GTK_EDITABLE (address), " Bob@Example.org ");
  g_assert_true (gtk_widget_get_sensitive (add));
  g_assert_null (find_widget (GTK_WIDGET (dialog), is_label_containing, "is not a valid address"));

  g_signal_emit_by_name (add, "clicked");
  run_frames (200);
  g_assert_nonnull (find_widget (GTK_WIDGET (dialog), is_label_containing, "You are offline"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  gtk_window_destroy (dialog);
}

/* A big roster comes in with its first screenful, then grows a little a
 * frame: GTK 4.8's list view builds ~200 rows at once when given the whole
 * tree, a frame of 150 ms right after the window appears. */
static void
record_rows_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  GArray *counts = user_data;
  GtkListView *view = g_object_get_data (G_OBJECT (clock), "test-view");
  guint n = g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view)));

  g_array_append_val (counts, n);
}

static void
test_roster_grows (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (guint));
  GdkFrameClock *clock;
  GtkListView *view;
  guint whole, handler;

  for (guint i = 0; i < 2000; i++)
    {
      g_autofree char *jid = g_strdup_printf ("contact%05u@example.org", i);
      g_autofree char *group = g_strdup_printf ("Group %u", i % 10);

      g_ptr_array_add (items, model_fixture_roster_item (jid, NULL, XMPP_SUBSCRIPTION_BOTH, group, NULL));
    }
  fixture_start (fixture);
  g_signal_emit_by_name (fixture->base.account, "roster-received", items, "v1", FALSE);
  messenger_sidebar_set_show_offline (fixture->sidebar, TRUE);
  run_frames (300);
  view = list_named (fixture, "Contacts");
  /* 10 groups and their contacts. */
  whole = g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view)));
  g_assert_cmpuint (whole, ==, 2010);

  /* As at a start: the session given to the sidebar anew. */
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (view));
  g_object_set_data (G_OBJECT (clock), "test-view", view);
  messenger_sidebar_set_session (fixture->sidebar, NULL);
  messenger_sidebar_set_session (fixture->sidebar, fixture->session);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (record_rows_cb), counts);
  run_frames (1000);
  g_signal_handler_disconnect (clock, handler);

  g_assert_cmpuint (counts->len, >, 4);
  /* The first frame: a screenful and some. */
  g_assert_cmpuint (g_array_index (counts, guint, 0), <=, 48);
  g_assert_cmpuint (g_array_index (counts, guint, 0), >, 0);
  for (guint i = 1; i < counts->len; i++)
    {
      guint before = g_array_index (counts, guint, i - 1), now = g_array_index (counts, guint, i);

      g_assert_cmpuint (now, >=, before);
      /* A little a frame while GTK builds the rows; then the rest, which
       * it does not build. */
      if (now != whole)
        g_assert_cmpuint (now - before, <=, 24);
    }
  g_assert_cmpuint (g_array_index (counts, guint, counts->len - 1), ==, whole);
  /* The rest came in only once GTK had built its ~200 rows. */
  for (guint i = 1; i < counts->len; i++)
    if (g_array_index (counts, guint, i) == whole && g_array_index (counts, guint, i - 1) != whole)
      g_assert_cmpuint (g_array_index (counts, guint, i - 1), >=, 192);
}

/* 10,000 contacts: the models are built and the list scrolls from top to
 * bottom binding only visible rows.  Timings go to the log (targets live
 * in bench/, not in tests). */
static void
test_many_contacts (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_roster_item_free);
  MessengerRoster *roster;
  GtkListView *view;
  GtkAdjustment *adjustment;
  gint64 start;
  guint frames = 0;

  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *jid = g_strdup_printf ("contact%05u@example.org", i);
      g_autofree char *name = g_strdup_printf ("Contact %u", i);
      g_autofree char *group = g_strdup_printf ("Group %u", i % 20);

      g_ptr_array_add (items, model_fixture_roster_item (jid, name, XMPP_SUBSCRIPTION_BOTH, group, NULL));
    }
  fixture_start (fixture);
  g_signal_emit_by_name (fixture->base.account, "roster-received", items, "v1", FALSE);
  roster = messenger_session_get_roster (fixture->session);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (roster)), ==, 10000);

  if (g_getenv ("SIDEBAR_EXPERIMENT"))
    {
      messenger_sidebar_set_session (fixture->sidebar, NULL);
      start = g_get_monotonic_time ();
      for (guint i = 0; i < 10000; i += 2)
        {
          g_autofree char *jid = g_strdup_printf ("contact%05u@example.org", i);

          messenger_contact_set_presence (messenger_roster_lookup (roster, jid), XMPP_SHOW_DND, NULL);
        }
      g_test_message ("models only: %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
      messenger_sidebar_set_session (fixture->sidebar, fixture->session);
    }
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 10000; i += 2)
    {
      g_autofree char *jid = g_strdup_printf ("contact%05u@example.org", i);

      messenger_contact_set_presence (messenger_roster_lookup (roster, jid),
                                      i % 4 == 0 ? XMPP_SHOW_AVAILABLE : XMPP_SHOW_AWAY, NULL);
    }
  g_test_message ("5,000 contacts coming online into the sorted, filtered view: %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  run_frames (100);

  /* Online contacts changing presence: each moves in its group. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 10000; i += 2)
    {
      g_autofree char *jid = g_strdup_printf ("contact%05u@example.org", i);

      messenger_contact_set_presence (messenger_roster_lookup (roster, jid),
                                      i % 4 == 0 ? XMPP_SHOW_AWAY : XMPP_SHOW_AVAILABLE, NULL);
    }
  g_test_message ("5,000 presence changes of online contacts: %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);

  start = g_get_monotonic_time ();
  messenger_sidebar_set_show_offline (fixture->sidebar, TRUE);
  g_test_message ("show offline (10,000 rows): %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  run_frames (200);

  view = list_named (fixture, "Contacts");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (view))), ==, 10020);
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  start = g_get_monotonic_time ();
  while (gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment)
         < gtk_adjustment_get_upper (adjustment) - 1 && frames < 5000)
    {
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment)
                                            + gtk_adjustment_get_page_size (adjustment) / 2);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      frames++;
    }
  g_test_message ("scrolled 10,020 rows in %u steps: %.2f ms a step", frames,
                  (g_get_monotonic_time () - start) / 1000.0 / MAX (frames, 1));
  g_assert_cmpuint (frames, <, 5000);
}

static void
screenshot_widget (GtkWidget  *widget,
                   const char *name)
{
  const char *dir = g_getenv ("MESSENGER_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width, height;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

/* Not a check: pictures of the sidebar, light and dark, for people. */
static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(XmppJid) frank = xmpp_jid_new (FRANK, NULL);

  put_picture (ALICE, 0xe66100ff);
  fixture_start (fixture);
  receive_roster (fixture);
  messenger_contact_set_presence (contact (fixture, BOB), XMPP_SHOW_AVAILABLE, "Working from home");
  messenger_contact_set_presence (contact (fixture, CAROL), XMPP_SHOW_AWAY, "at lunch");
  messenger_contact_set_presence (contact (fixture, EVE), XMPP_SHOW_DND, NULL);
  messenger_contact_set_unread_count (contact (fixture, BOB), 2);
  messenger_sidebar_set_show_offline (fixture->sidebar, TRUE);
  g_signal_emit_by_name (fixture->base.account, "subscription", frank, XMPP_PRESENCE_SUBSCRIBE);
  run_frames (500);
  screenshot_widget (GTK_WIDGET (fixture->window), "sidebar-light.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  run_frames (300);
  screenshot_widget (GTK_WIDGET (fixture->window), "sidebar-dark.png");

  /* The presence chooser and the Add Contact dialog. */
  {
    GtkWidget *presence = named (fixture, "Presence");
    GtkPopover *popover;

    g_assert_true (GTK_IS_MENU_BUTTON (presence));
    popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (presence));
    gtk_menu_button_popup (GTK_MENU_BUTTON (presence));
    run_frames (300);
    screenshot_widget (GTK_WIDGET (popover), "sidebar-presence-dark.png");
    gtk_menu_button_popdown (GTK_MENU_BUTTON (presence));
  }
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    guint before = g_list_model_get_n_items (toplevels);
    g_autoptr(GtkWindow) dialog = NULL;

    messenger_sidebar_add_contact (fixture->sidebar);
    g_assert_cmpuint (g_list_model_get_n_items (toplevels), ==, before + 1);
    dialog = g_list_model_get_item (toplevels, before);
    run_frames (400);
    screenshot_widget (GTK_WIDGET (dialog), "sidebar-add-contact-dark.png");
    gtk_window_destroy (dialog);
  }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkCssProvider) css = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cache = g_dir_make_tmp ("messenger-sidebar-cache-XXXXXX", &error);
  int status;

  g_assert_no_error (error);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/example/Messenger/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/sidebar/empty", test_empty);
  ADD ("/sidebar/roster", test_roster);
  ADD ("/sidebar/activate", test_activate);
  ADD ("/sidebar/search", test_search);
  ADD ("/sidebar/requests", test_requests);
  ADD ("/sidebar/keyboard", test_keyboard);
  ADD ("/sidebar/avatar", test_avatar);
  ADD ("/sidebar/add-contact", test_add_contact);
  ADD ("/sidebar/roster-grows", test_roster_grows);
  ADD ("/sidebar/many-contacts", test_many_contacts);
  ADD ("/sidebar/screenshots", test_screenshots);
#undef ADD

  status = g_test_run ();
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", cache);

    /* The avatar caches of the test sessions. */
    if (system (command) != 0)
      g_warning ("Cannot remove %s", cache);
  }
  return status;
}
