/* messenger-sidebar.c: the sidebar pane (own presence, search, roster)
 *
 *  AdwHeaderBar  [search] [presence button: address, presence]  [+] [menu]
 *  GtkSearchBar  "Search contacts"
 *  connection strip (revealer): Connecting… / Offline [Connect] /
 *                  error [Review Certificate… | Enter Password… | Retry]
 *  requests (revealer): GtkListView of MessengerSubscriptionRequest
 *  GtkStack
 *    roster      GtkListView ◀ GtkNoSelection ◀ GtkTreeListModel
 *                   (through a GtkSliceListModel of its first FIRST_ROWS
 *                   rows until the roster's first frame is painted)
 *                   root: roster groups with someone to show
 *                   (GtkFilterListModel); children of a group:
 *                   MessengerSortedContacts (online, unless show-offline;
 *                   messenger_contact_compare order) ◀ MessengerGroup
 *    empty       "No Contacts" + Add Contact…
 *    search      GtkListView ◀ GtkFlattenListModel [
 *                   sorted contacts whose name or address matches,
 *                   conversations with people not in the roster that match ]
 *    no-results
 *
 * The offline filter is shared by every group, so toggling "show offline"
 * is one gtk_filter_changed().  MessengerSortedContacts rather than
 * GtkSortListModel: it reports a moved contact as one removal and one
 * insertion, so the list rebinds one row, not every row in between.  Rows are recycled by the
 * factories; binding sets one object on a row.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "messenger-add-contact-dialog.h"
#include "messenger-avatar-cache.h"
#include "messenger-contact-row.h"
#include "messenger-group-row.h"
#include "messenger-presence-button.h"
#include "messenger-roster-edit.h"
#include "messenger-sidebar.h"
#include "messenger-sorted-contacts.h"
#include "messenger-subscription-request-row.h"


struct _MessengerSidebar
{
  AdwBin                   parent_instance;

  /* template widgets */
  AdwHeaderBar            *header_bar;
  MessengerPresenceButton *presence_button;
  GtkMenuButton           *primary_menu_button;
  GtkSearchBar            *search_bar;
  GtkSearchEntry          *search_entry;
  GtkRevealer             *connection_revealer;
  GtkSpinner              *connection_spinner;
  GtkLabel                *connection_label;
  GtkButton               *connection_button;
  GtkRevealer             *requests_revealer;
  GtkListView             *requests_view;
  GtkStack                *stack;
  GtkListView             *roster_view;
  GtkListView             *search_view;

  /* owned */
  MessengerSession        *session;
  MessengerAvatarCache    *avatar_cache;
  GSignalGroup            *account_signals;
  GSignalGroup            *roster_signals;
  GSignalGroup            *requests_signals;
  GtkFilter               *offline_filter;
  GtkFilter               *group_filter;
  GListModel              *visible_groups;  /* groups with someone shown */
  GSignalGroup            *groups_signals;
  GtkSorter               *contact_sorter;
  GtkFilter               *search_filter;
  GtkFilter               *conversation_filter;
  GListModel              *search_results;
  GtkSliceListModel       *roster_slice;
  guint                    roster_tick_id;
  guint                    roster_ticks;
  GCancellable            *cancellable;
  char                    *query;          /* case-folded, NULL when none */
  gboolean                 show_offline;
  gboolean                 folded;
};

G_DEFINE_FINAL_TYPE (MessengerSidebar, messenger_sidebar, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_SHOW_OFFLINE,
  PROP_FOLDED,
  N_PROPS
};

enum {
  SIGNAL_CONVERSATION_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
messenger_sidebar_new (void)
{
  return g_object_new (MESSENGER_TYPE_SIDEBAR, NULL);
}

static MessengerRoster *
get_roster (MessengerSidebar *self)
{
  return self->session != NULL ? messenger_session_get_roster (self->session) : NULL;
}

static MessengerAccount *
get_account (MessengerSidebar *self)
{
  return self->session != NULL ? messenger_session_get_account (self->session) : NULL;
}

/* A short message at the bottom of the window (or a dialog when the
 * sidebar is not inside a toast overlay). */
static void
show_toast (MessengerSidebar *self,
            const char       *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    {
      AdwToast *toast = adw_toast_new (message);

      adw_toast_set_timeout (toast, 5);
      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
    }
  else
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                  NULL, message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

/* --- activation ----------------------------------------------------- */

static void
activate_jid (MessengerSidebar *self,
              const char       *jid)
{
  MessengerConversation *conversation;

  if (self->session == NULL || jid == NULL)
    return;
  conversation = messenger_conversation_list_get_conversation (messenger_session_get_conversations (self->session), jid);
  if (conversation != NULL)
    g_signal_emit (self, signals[SIGNAL_CONVERSATION_ACTIVATED], 0, conversation);
}

static void
roster_activate_cb (MessengerSidebar *self,
                    guint             position,
                    GtkListView      *view)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (view));
  g_autoptr(GtkTreeListRow) row = NULL;
  g_autoptr(GObject) item = NULL;

  if (model == NULL || (row = g_list_model_get_item (model, position)) == NULL)
    return;
  item = gtk_tree_list_row_get_item (row);
  if (MESSENGER_IS_GROUP (item))
    gtk_tree_list_row_set_expanded (row, !gtk_tree_list_row_get_expanded (row));
  else if (MESSENGER_IS_CONTACT (item))
    activate_jid (self, messenger_contact_get_jid (MESSENGER_CONTACT (item)));
}

static void
activate_search_result (MessengerSidebar *self,
                        guint             position)
{
  g_autoptr(GObject) item = NULL;

  if (self->search_results == NULL
      || (item = g_list_model_get_item (self->search_results, position)) == NULL)
    return;
  if (MESSENGER_IS_CONTACT (item))
    activate_jid (self, messenger_contact_get_jid (MESSENGER_CONTACT (item)));
  else if (MESSENGER_IS_CONVERSATION (item))
    g_signal_emit (self, signals[SIGNAL_CONVERSATION_ACTIVATED], 0, item);
}

static void
search_view_activate_cb (MessengerSidebar *self,
                         guint             position,
                         GtkListView      *view)
{
  activate_search_result (self, position);
}

/* --- the visible page ----------------------------------------------- */

static gboolean
searching (MessengerSidebar *self)
{
  return gtk_search_bar_get_search_mode (self->search_bar) && self->query != NULL;
}

static void
update_page (MessengerSidebar *self)
{
  const char *page;

  if (searching (self))
    page = self->search_results != NULL && g_list_model_get_n_items (self->search_results) > 0
           ? "search" : "no-results";
  else
    {
      MessengerRoster *roster = get_roster (self);

      if (roster == NULL || g_list_model_get_n_items (G_LIST_MODEL (roster)) == 0)
        page = "empty";
      else if (self->visible_groups != NULL && g_list_model_get_n_items (self->visible_groups) == 0)
        page = "none-online";
      else
        page = "roster";
    }
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
model_items_changed_cb (MessengerSidebar *self,
                        guint             position,
                        guint             removed,
                        guint             added,
                        GListModel       *model)
{
  if (removed != added)
    update_page (self);
}

/* --- the connection strip ------------------------------------------- */

static void
update_connection (MessengerSidebar *self)
{
  MessengerAccount *account = get_account (self);
  MessengerAccountState state = account != NULL ? messenger_account_get_state (account) : MESSENGER_ACCOUNT_ONLINE;
  const char *message = account != NULL ? messenger_account_get_error_message (account) : NULL;
  const char *button_label = NULL;
  const char *button_action = "sidebar.retry";
  g_autofree char *text = NULL;

  switch (state)
    {
    case MESSENGER_ACCOUNT_CONNECTING:
      if (message != NULL)
        {
          /* Translators: %s says why the last attempt failed. */
          text = g_strdup_printf (_("%s Trying again…"), message);
          button_label = _("Retry");
        }
      else
        text = g_strdup (_("Connecting…"));
      break;
    case MESSENGER_ACCOUNT_OFFLINE:
      text = g_strdup (_("Offline"));
      button_label = _("Connect");
      break;
    case MESSENGER_ACCOUNT_ERROR:
      text = g_strdup (message != NULL ? message : _("Cannot connect."));
      switch (messenger_account_get_error_kind (account))
        {
        case MESSENGER_ACCOUNT_ERROR_CERTIFICATE:
          button_label = _("Review Certificate…");
          button_action = "win.review-certificate";
          break;
        case MESSENGER_ACCOUNT_ERROR_AUTHENTICATION:
          button_label = _("Enter Password…");
          button_action = "win.enter-password";
          break;
        case MESSENGER_ACCOUNT_ERROR_NONE:
        case MESSENGER_ACCOUNT_ERROR_UNREACHABLE:
        case MESSENGER_ACCOUNT_ERROR_NO_ENCRYPTION:
        case MESSENGER_ACCOUNT_ERROR_CONFLICT:
        case MESSENGER_ACCOUNT_ERROR_OTHER:
        default:
          button_label = _("Retry");
          break;
        }
      break;
    case MESSENGER_ACCOUNT_ONLINE:
    default:
      break;
    }

  gtk_revealer_set_reveal_child (self->connection_revealer, text != NULL);
  if (text == NULL)
    {
      gtk_spinner_set_spinning (self->connection_spinner, FALSE);
      return;
    }

  gtk_label_set_label (self->connection_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->connection_spinner), state == MESSENGER_ACCOUNT_CONNECTING);
  gtk_spinner_set_spinning (self->connection_spinner, state == MESSENGER_ACCOUNT_CONNECTING);
  gtk_widget_set_visible (GTK_WIDGET (self->connection_button), button_label != NULL);
  if (button_label != NULL)
    {
      gtk_button_set_label (self->connection_button, button_label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->connection_button), button_action);
    }
  if (state == MESSENGER_ACCOUNT_ERROR)
    gtk_widget_add_css_class (GTK_WIDGET (self->connection_revealer), "connection-error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->connection_revealer), "connection-error");
}

static void
account_notify_cb (MessengerSidebar *self,
                   GParamSpec       *pspec,
                   MessengerAccount *account)
{
  update_connection (self);
}

static void
requests_changed_cb (MessengerSidebar *self,
                     guint             position,
                     guint             removed,
                     guint             added,
                     GListModel       *requests)
{
  gtk_revealer_set_reveal_child (self->requests_revealer, g_list_model_get_n_items (requests) > 0);
}

/* --- filters and sorting -------------------------------------------- */

static gboolean
offline_filter_func (gpointer item,
                     gpointer user_data)
{
  MessengerSidebar *self = user_data;

  return self->show_offline || messenger_contact_get_online (MESSENGER_CONTACT (item));
}

/* Groups with nobody to show are hidden with the offline contacts. */
static gboolean
group_filter_func (gpointer item,
                   gpointer user_data)
{
  MessengerSidebar *self = user_data;

  return self->show_offline || messenger_group_get_online_count (MESSENGER_GROUP (item)) > 0;
}

static void
group_online_count_cb (MessengerSidebar *self,
                       GParamSpec       *pspec,
                       MessengerGroup   *group)
{
  guint count = messenger_group_get_online_count (group);

  /* Only 0 ↔ 1 can show or hide a group. */
  if (!self->show_offline && count <= 1)
    gtk_filter_changed (self->group_filter, count == 1 ? GTK_FILTER_CHANGE_LESS_STRICT
                                                       : GTK_FILTER_CHANGE_MORE_STRICT);
}

static void
follow_groups (MessengerSidebar *self,
               GListModel       *groups,
               guint             position,
               guint             n)
{
  for (guint i = position; i < position + n; i++)
    {
      g_autoptr(MessengerGroup) group = g_list_model_get_item (groups, i);

      /* Once per group, also when a group comes back in a splice. */
      g_signal_handlers_disconnect_by_func (group, group_online_count_cb, self);
      g_signal_connect_object (group, "notify::online-count", G_CALLBACK (group_online_count_cb),
                               self, G_CONNECT_SWAPPED);
    }
}

static void
groups_changed_cb (MessengerSidebar *self,
                   guint             position,
                   guint             removed,
                   guint             added,
                   GListModel       *groups)
{
  /* A group leaves the model when it has no contacts left (the handler
   * goes with the object): only added ones need one. */
  follow_groups (self, groups, position, added);
}

static void
unfollow_groups (MessengerSidebar *self,
                 GListModel       *groups)
{
  for (guint i = 0; groups != NULL && i < g_list_model_get_n_items (groups); i++)
    {
      g_autoptr(MessengerGroup) group = g_list_model_get_item (groups, i);

      g_signal_handlers_disconnect_by_func (group, group_online_count_cb, self);
    }
}

static gboolean
text_matches (const char *query,
              const char *text)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;
  folded = g_utf8_casefold (text, -1);
  return strstr (folded, query) != NULL;
}

static gboolean
search_filter_func (gpointer item,
                    gpointer user_data)
{
  MessengerSidebar *self = user_data;
  MessengerContact *contact = MESSENGER_CONTACT (item);

  if (self->query == NULL)
    return FALSE;
  return text_matches (self->query, messenger_contact_get_display_name (contact))
         || text_matches (self->query, messenger_contact_get_jid (contact));
}

static gboolean
conversation_filter_func (gpointer item,
                          gpointer user_data)
{
  MessengerSidebar *self = user_data;
  MessengerConversation *conversation = MESSENGER_CONVERSATION (item);

  /* People in the roster are found as contacts. */
  if (self->query == NULL || messenger_conversation_get_contact (conversation) != NULL)
    return FALSE;
  return text_matches (self->query, messenger_conversation_get_display_name (conversation))
         || text_matches (self->query, messenger_conversation_get_peer (conversation));
}

static GListModel *
create_group_model_cb (gpointer item,
                       gpointer user_data)
{
  MessengerSidebar *self = user_data;

  if (!MESSENGER_IS_GROUP (item))
    return NULL;
  return G_LIST_MODEL (messenger_sorted_contacts_new (G_LIST_MODEL (item), self->offline_filter));
}

/* --- row factories -------------------------------------------------- */

static void
roster_setup_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 MessengerSidebar         *self)
{
  gtk_list_item_set_child (item, gtk_tree_expander_new ());
}

/* One group row and one contact row per expander, made when first
 * needed and kept while the expander is recycled for other items. */
static GtkWidget *
expander_row (GtkWidget  *expander,
              const char *key,
              GType       type)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (expander), key);

  if (row == NULL)
    {
      row = g_object_new (type, NULL);
      g_object_set_data_full (G_OBJECT (expander), key, g_object_ref_sink (row), g_object_unref);
    }
  return row;
}

static void
roster_bind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                MessengerSidebar         *self)
{
  GtkWidget *expander = gtk_list_item_get_child (item);
  GtkTreeListRow *list_row = gtk_list_item_get_item (item);
  g_autoptr(GObject) object = gtk_tree_list_row_get_item (list_row);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), list_row);
  if (MESSENGER_IS_GROUP (object))
    {
      GtkWidget *row = expander_row (expander, "group-row", MESSENGER_TYPE_GROUP_ROW);

      messenger_group_row_set_group (MESSENGER_GROUP_ROW (row), MESSENGER_GROUP (object));
      gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), row);
      gtk_tree_expander_set_indent_for_icon (GTK_TREE_EXPANDER (expander), TRUE);
      gtk_widget_add_css_class (expander, "group-heading");
    }
  else
    {
      GtkWidget *row = expander_row (expander, "contact-row", MESSENGER_TYPE_CONTACT_ROW);

      messenger_contact_row_set_avatar_cache (MESSENGER_CONTACT_ROW (row), self->avatar_cache);
      messenger_contact_row_set_contact (MESSENGER_CONTACT_ROW (row), MESSENGER_CONTACT (object));
      gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), row);
      /* Contacts line up under their group's name, not one step further. */
      gtk_tree_expander_set_indent_for_icon (GTK_TREE_EXPANDER (expander), FALSE);
      gtk_widget_remove_css_class (expander, "group-heading");
    }
}

static void
roster_unbind_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  MessengerSidebar         *self)
{
  GtkWidget *expander = gtk_list_item_get_child (item);
  GtkWidget *row;

  /* Let go of the objects: an unbound row follows nobody's changes. */
  if ((row = g_object_get_data (G_OBJECT (expander), "group-row")) != NULL)
    messenger_group_row_set_group (MESSENGER_GROUP_ROW (row), NULL);
  if ((row = g_object_get_data (G_OBJECT (expander), "contact-row")) != NULL)
    messenger_contact_row_set_contact (MESSENGER_CONTACT_ROW (row), NULL);
  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), NULL);
}

static void
search_setup_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 MessengerSidebar         *self)
{
  gtk_list_item_set_child (item, messenger_contact_row_new ());
}

static void
search_bind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                MessengerSidebar         *self)
{
  MessengerContactRow *row = MESSENGER_CONTACT_ROW (gtk_list_item_get_child (item));
  GObject *object = gtk_list_item_get_item (item);

  messenger_contact_row_set_avatar_cache (row, self->avatar_cache);
  messenger_contact_row_set_contact (row, MESSENGER_IS_CONTACT (object) ? MESSENGER_CONTACT (object) : NULL);
  messenger_contact_row_set_conversation (row, MESSENGER_IS_CONVERSATION (object) ? MESSENGER_CONVERSATION (object) : NULL);
}

static void
search_unbind_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  MessengerSidebar         *self)
{
  MessengerContactRow *row = MESSENGER_CONTACT_ROW (gtk_list_item_get_child (item));

  messenger_contact_row_set_contact (row, NULL);
  messenger_contact_row_set_conversation (row, NULL);
}

static void
request_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  MessengerSidebar         *self)
{
  gtk_list_item_set_child (item, messenger_subscription_request_row_new ());
  gtk_list_item_set_activatable (item, FALSE);
}

static void
request_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 MessengerSidebar         *self)
{
  MessengerSubscriptionRequestRow *row = MESSENGER_SUBSCRIPTION_REQUEST_ROW (gtk_list_item_get_child (item));

  messenger_subscription_request_row_set_requests (row, self->session != NULL
                                                        ? messenger_session_get_requests (self->session) : NULL);
  messenger_subscription_request_row_set_request (row, gtk_list_item_get_item (item));
}

static void
request_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   MessengerSidebar         *self)
{
  MessengerSubscriptionRequestRow *row = MESSENGER_SUBSCRIPTION_REQUEST_ROW (gtk_list_item_get_child (item));

  messenger_subscription_request_row_set_request (row, NULL);
}

static GtkListItemFactory *
new_factory (MessengerSidebar *self,
             GCallback         setup,
             GCallback         bind,
             GCallback         unbind)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", setup, self);
  g_signal_connect (factory, "bind", bind, self);
  g_signal_connect (factory, "unbind", unbind, self);
  return factory;
}

/* --- search --------------------------------------------------------- */

static void
set_query (MessengerSidebar *self,
           const char       *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autofree char *query = *stripped != '\0' ? g_utf8_casefold (stripped, -1) : NULL;
  GtkFilterChange change;

  if (g_strcmp0 (query, self->query) == 0)
    return;

  /* Typing more narrows; deleting widens: the filter models then only
   * look at the items that can change. */
  if (self->query == NULL || query == NULL)
    change = GTK_FILTER_CHANGE_DIFFERENT;
  else if (strstr (query, self->query) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (self->query, query) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else
    change = GTK_FILTER_CHANGE_DIFFERENT;

  g_free (self->query);
  self->query = g_steal_pointer (&query);
  gtk_filter_changed (self->search_filter, change);
  gtk_filter_changed (self->conversation_filter, change);
  update_page (self);
}

static void
search_changed_cb (MessengerSidebar *self,
                   GtkSearchEntry   *entry)
{
  set_query (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
search_activate_cb (MessengerSidebar *self,
                    GtkSearchEntry   *entry)
{
  /* Enter opens the first match at once (the entry's change is delayed). */
  set_query (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
  if (searching (self) && self->search_results != NULL && g_list_model_get_n_items (self->search_results) > 0)
    activate_search_result (self, 0);
}

static void
search_mode_cb (MessengerSidebar *self,
                GParamSpec       *pspec,
                GtkSearchBar     *search_bar)
{
  if (!gtk_search_bar_get_search_mode (search_bar))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      set_query (self, NULL);
      gtk_widget_grab_focus (GTK_WIDGET (self->roster_view));
    }
  update_page (self);
}

static gboolean
search_entry_key_cb (MessengerSidebar      *self,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_Down || keyval == GDK_KEY_KP_Down) && searching (self)
      && self->search_results != NULL && g_list_model_get_n_items (self->search_results) > 0)
    {
      gtk_widget_child_focus (GTK_WIDGET (self->search_view), GTK_DIR_TAB_FORWARD);
      return TRUE;
    }
  return FALSE;
}

void
messenger_sidebar_begin_search (MessengerSidebar *self)
{
  g_return_if_fail (MESSENGER_IS_SIDEBAR (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* --- keyboard in the roster ----------------------------------------- */

/* The expander of the focused roster row, or NULL. */
static GtkTreeExpander *
focused_expander (MessengerSidebar *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *child;

  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->roster_view)))
    return NULL;
  /* Focus is on the list's row widget (the expander's parent) or inside
   * the expander. */
  child = gtk_widget_get_first_child (focus);
  if (GTK_IS_TREE_EXPANDER (child))
    return GTK_TREE_EXPANDER (child);
  for (GtkWidget *w = focus; w != NULL && w != GTK_WIDGET (self->roster_view); w = gtk_widget_get_parent (w))
    if (GTK_IS_TREE_EXPANDER (w))
      return GTK_TREE_EXPANDER (w);
  return NULL;
}

static gboolean
popup_focused_menu (MessengerSidebar *self,
                    GtkWidget        *view)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *row = NULL;

  if (focus == NULL)
    return FALSE;
  if (view == GTK_WIDGET (self->roster_view))
    {
      GtkTreeExpander *expander = focused_expander (self);

      row = expander != NULL ? gtk_tree_expander_get_child (expander) : NULL;
    }
  else
    {
      row = gtk_widget_get_first_child (focus);
      if (!MESSENGER_IS_CONTACT_ROW (row))
        row = gtk_widget_get_ancestor (focus, MESSENGER_TYPE_CONTACT_ROW);
    }
  if (!MESSENGER_IS_CONTACT_ROW (row))
    return FALSE;
  messenger_contact_row_popup_menu (MESSENGER_CONTACT_ROW (row), -1, -1);
  return TRUE;
}

static gboolean
list_key_cb (MessengerSidebar      *self,
             guint                  keyval,
             guint                  keycode,
             GdkModifierType        state,
             GtkEventControllerKey *controller)
{
  GtkWidget *view = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();

  if (keyval == GDK_KEY_Menu || (keyval == GDK_KEY_F10 && mods == GDK_SHIFT_MASK))
    return popup_focused_menu (self, view);

  if (mods == 0 && view == GTK_WIDGET (self->roster_view)
      && (keyval == GDK_KEY_Left || keyval == GDK_KEY_KP_Left
          || keyval == GDK_KEY_Right || keyval == GDK_KEY_KP_Right))
    {
      GtkTreeExpander *expander = focused_expander (self);
      GtkTreeListRow *row = expander != NULL ? gtk_tree_expander_get_list_row (expander) : NULL;
      gboolean right = keyval == GDK_KEY_Right || keyval == GDK_KEY_KP_Right;

      if (row == NULL || !gtk_tree_list_row_is_expandable (row))
        return FALSE;
      if (gtk_widget_get_direction (view) == GTK_TEXT_DIR_RTL)
        right = !right;
      gtk_tree_list_row_set_expanded (row, right);
      return TRUE;
    }
  return FALSE;
}

/* --- the session ---------------------------------------------------- */

static MessengerAvatarCache *
session_avatar_cache (MessengerSession *session)
{
  return messenger_session_get_avatar_cache (session);
}

/* GTK 4.8's list view makes a row for ~200 items after the top one when
 * it first shows a list, though ~20 fit on a screen: with a whole roster
 * that is most of the work before the window's first frame.  The roster
 * comes in with its first rows, and the rest is let in once that frame is
 * painted (bench/README.md "App", cached start). */
#define FIRST_ROWS 48
/* Then this many more a frame (~30 ms of rows on the development VM)... */
#define GROW_ROWS 24
/* ...up to the rows GTK 4.8's list view keeps around its anchor (205
 * measured). */
#define LIST_VIEW_ROWS 208

static gboolean
roster_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  MessengerSidebar *self = user_data;
  GtkSelectionModel *selection;

  /* The first tick comes before the first frame is laid out and painted;
   * at the second, that frame is on the screen. */
  if (self->roster_ticks++ == 0)
    return G_SOURCE_CONTINUE;

  /* GTK 4.8's list view makes a row for each of ~200 items around the
   * top, whatever fits on the screen: given the whole tree at once, it
   * builds them all in one frame (150 ms on the development VM, right after
   * the window appears).  So the slice grows by GROW_ROWS a frame until
   * it holds them. */
  if (self->roster_slice != NULL)
    {
      guint size = gtk_slice_list_model_get_size (self->roster_slice);
      GListModel *tree = gtk_slice_list_model_get_model (self->roster_slice);

      if (size < LIST_VIEW_ROWS && size < g_list_model_get_n_items (tree))
        {
          gtk_slice_list_model_set_size (self->roster_slice, size + GROW_ROWS);
          return G_SOURCE_CONTINUE;
        }
    }
  self->roster_tick_id = 0;

  /* The whole tree instead of the slice (whose size cannot be "all" on
   * GTK 4.8: it then reports each insertion as a change of every row
   * after it).  The first rows are the same items: the list view keeps
   * their widgets. */
  selection = gtk_list_view_get_model (self->roster_view);
  if (self->roster_slice != NULL && GTK_IS_NO_SELECTION (selection)
      && gtk_no_selection_get_model (GTK_NO_SELECTION (selection)) == G_LIST_MODEL (self->roster_slice))
    gtk_no_selection_set_model (GTK_NO_SELECTION (selection),
                                gtk_slice_list_model_get_model (self->roster_slice));
  g_clear_object (&self->roster_slice);
  return G_SOURCE_REMOVE;
}

static void
clear_models (MessengerSidebar *self)
{
  gtk_list_view_set_model (self->roster_view, NULL);
  gtk_list_view_set_model (self->search_view, NULL);
  gtk_list_view_set_model (self->requests_view, NULL);
  g_clear_object (&self->roster_slice);
  g_clear_object (&self->search_results);
  if (self->visible_groups != NULL)
    g_signal_handlers_disconnect_by_data (self->visible_groups, self);
  g_clear_object (&self->visible_groups);
  if (self->session != NULL)
    unfollow_groups (self, messenger_roster_get_groups (messenger_session_get_roster (self->session)));
}

static void
build_models (MessengerSidebar *self)
{
  MessengerRoster *roster = messenger_session_get_roster (self->session);
  GListModel *conversations = G_LIST_MODEL (messenger_session_get_conversations (self->session));
  GListModel *requests = G_LIST_MODEL (messenger_session_get_requests (self->session));
  g_autoptr(GtkTreeListModel) tree = NULL;
  g_autoptr(GListStore) parts = NULL;
  GtkFilterListModel *contacts, *others;
  GtkSortListModel *sorted;
  GtkNoSelection *selection;

  follow_groups (self, messenger_roster_get_groups (roster), 0,
                 g_list_model_get_n_items (messenger_roster_get_groups (roster)));
  self->visible_groups = G_LIST_MODEL (gtk_filter_list_model_new (g_object_ref (messenger_roster_get_groups (roster)),
                                                                  g_object_ref (self->group_filter)));
  g_signal_connect_object (self->visible_groups, "items-changed", G_CALLBACK (model_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  tree = gtk_tree_list_model_new (g_object_ref (self->visible_groups),
                                  FALSE, TRUE, create_group_model_cb, self, NULL);
  self->roster_slice = gtk_slice_list_model_new (G_LIST_MODEL (g_steal_pointer (&tree)), 0, FIRST_ROWS);
  if (self->roster_tick_id == 0)
    {
      self->roster_ticks = 0;
      self->roster_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->roster_view),
                                                           roster_tick_cb, self, NULL);
    }
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->roster_slice)));
  gtk_list_view_set_model (self->roster_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  contacts = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (roster)), g_object_ref (self->search_filter));
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (contacts), g_object_ref (self->contact_sorter));
  others = gtk_filter_list_model_new (g_object_ref (conversations), g_object_ref (self->conversation_filter));
  parts = g_list_store_new (G_TYPE_LIST_MODEL);
  g_list_store_append (parts, sorted);
  g_list_store_append (parts, others);
  g_object_unref (sorted);
  g_object_unref (others);
  self->search_results = G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (g_steal_pointer (&parts))));
  g_signal_connect_object (self->search_results, "items-changed", G_CALLBACK (model_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  selection = gtk_no_selection_new (g_object_ref (self->search_results));
  gtk_list_view_set_model (self->search_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  selection = gtk_no_selection_new (g_object_ref (requests));
  gtk_list_view_set_model (self->requests_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
}

MessengerSession *
messenger_sidebar_get_session (MessengerSidebar *self)
{
  g_return_val_if_fail (MESSENGER_IS_SIDEBAR (self), NULL);
  return self->session;
}

void
messenger_sidebar_set_session (MessengerSidebar *self,
                               MessengerSession *session)
{
  g_return_if_fail (MESSENGER_IS_SIDEBAR (self));
  g_return_if_fail (session == NULL || MESSENGER_IS_SESSION (session));

  if (self->session == session)
    return;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  clear_models (self);
  g_clear_object (&self->avatar_cache);
  g_set_object (&self->session, session);
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);

  if (session != NULL)
    {
      self->cancellable = g_cancellable_new ();
      self->avatar_cache = g_object_ref (session_avatar_cache (session));
      build_models (self);
    }

  g_signal_group_set_target (self->account_signals, get_account (self));
  g_signal_group_set_target (self->roster_signals, get_roster (self));
  g_signal_group_set_target (self->groups_signals,
                             get_roster (self) != NULL ? messenger_roster_get_groups (get_roster (self)) : NULL);
  g_signal_group_set_target (self->requests_signals,
                             session != NULL ? messenger_session_get_requests (session) : NULL);
  messenger_presence_button_set_account (self->presence_button, get_account (self));
  gtk_revealer_set_reveal_child (self->requests_revealer,
                                 session != NULL
                                 && g_list_model_get_n_items (G_LIST_MODEL (messenger_session_get_requests (session))) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sidebar.add-contact", session != NULL);
  update_connection (self);
  update_page (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

/* --- properties ----------------------------------------------------- */

gboolean
messenger_sidebar_get_show_offline (MessengerSidebar *self)
{
  g_return_val_if_fail (MESSENGER_IS_SIDEBAR (self), FALSE);
  return self->show_offline;
}

void
messenger_sidebar_set_show_offline (MessengerSidebar *self,
                                    gboolean          show)
{
  g_return_if_fail (MESSENGER_IS_SIDEBAR (self));

  show = !!show;
  if (self->show_offline == show)
    return;
  self->show_offline = show;
  gtk_filter_changed (self->offline_filter, show ? GTK_FILTER_CHANGE_LESS_STRICT : GTK_FILTER_CHANGE_MORE_STRICT);
  gtk_filter_changed (self->group_filter, show ? GTK_FILTER_CHANGE_LESS_STRICT : GTK_FILTER_CHANGE_MORE_STRICT);
  update_page (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_OFFLINE]);
}

gboolean
messenger_sidebar_get_folded (MessengerSidebar *self)
{
  g_return_val_if_fail (MESSENGER_IS_SIDEBAR (self), FALSE);
  return self->folded;
}

void
messenger_sidebar_set_folded (MessengerSidebar *self,
                              gboolean          folded)
{
  g_return_if_fail (MESSENGER_IS_SIDEBAR (self));

  folded = !!folded;
  if (self->folded == folded)
    return;
  self->folded = folded;
  adw_header_bar_set_show_end_title_buttons (self->header_bar, folded);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDED]);
}

void
messenger_sidebar_set_primary_menu (MessengerSidebar *self,
                                    GMenuModel       *menu)
{
  g_return_if_fail (MESSENGER_IS_SIDEBAR (self));
  g_return_if_fail (menu == NULL || G_IS_MENU_MODEL (menu));

  gtk_menu_button_set_menu_model (self->primary_menu_button, menu);
}

/* --- contacts: add, rename, remove ---------------------------------- */

static void
open_add_dialog (MessengerSidebar *self,
                 const char       *jid)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  if (self->session == NULL)
    return;
  dialog = messenger_add_contact_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, get_roster (self));
  if (jid != NULL)
    messenger_add_contact_dialog_set_jid (MESSENGER_ADD_CONTACT_DIALOG (dialog), jid);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
messenger_sidebar_add_contact (MessengerSidebar *self)
{
  g_return_if_fail (MESSENGER_IS_SIDEBAR (self));
  open_add_dialog (self, NULL);
}

static void
add_contact_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  open_add_dialog (MESSENGER_SIDEBAR (widget), NULL);
}

static void
add_contact_address_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  open_add_dialog (MESSENGER_SIDEBAR (widget), g_variant_get_string (parameter, NULL));
}

static void
open_contact_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  activate_jid (MESSENGER_SIDEBAR (widget), g_variant_get_string (parameter, NULL));
}

static void
edit_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(MessengerSidebar) self = user_data;
  g_autoptr(GError) error = NULL;
  gpointer tag = g_task_get_source_tag (G_TASK (result));
  gboolean ok;

  if (tag == messenger_roster_add_contact_async)
    ok = messenger_roster_add_contact_finish (MESSENGER_ROSTER (source), result, &error);
  else if (tag == messenger_roster_rename_contact_async)
    ok = messenger_roster_rename_contact_finish (MESSENGER_ROSTER (source), result, &error);
  else
    ok = messenger_roster_remove_contact_finish (MESSENGER_ROSTER (source), result, &error);

  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

static void
add_contact_back_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (widget);
  const char *jid = g_variant_get_string (parameter, NULL);
  MessengerRoster *roster = get_roster (self);
  MessengerContact *contact;
  MessengerSubscription subscription;

  if (roster == NULL)
    return;
  /* Approving someone who asked: ask to see them too, unless we already
   * do or already asked.  Their name and groups stay as they are. */
  contact = messenger_roster_lookup (roster, jid);
  if (contact != NULL)
    {
      subscription = messenger_contact_get_subscription (contact);
      if (subscription == MESSENGER_SUBSCRIPTION_TO || subscription == MESSENGER_SUBSCRIPTION_BOTH
          || messenger_contact_get_awaiting_approval (contact))
        return;
    }
  messenger_roster_add_contact_async (roster, jid,
                                      contact != NULL ? messenger_contact_get_name (contact) : NULL,
                                      contact != NULL ? messenger_contact_get_groups (contact) : NULL,
                                      self->cancellable, edit_done_cb, g_object_ref (self));
}

static void
show_offline_error_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  show_toast (MESSENGER_SIDEBAR (widget), _("You are offline. Connect and try again."));
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MessengerAccount *account = get_account (MESSENGER_SIDEBAR (widget));

  if (account != NULL)
    messenger_account_connect (account);
}

typedef struct
{
  MessengerSidebar *self;
  char             *jid;
  GtkEntry         *entry;
} DialogData;

static void
dialog_data_free (DialogData *data)
{
  g_clear_object (&data->self);
  g_free (data->jid);
  g_free (data);
}

static void
rename_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    DialogData       *data)
{
  MessengerRoster *roster = get_roster (data->self);

  if (g_strcmp0 (response, "rename") != 0 || roster == NULL)
    return;
  messenger_roster_rename_contact_async (roster, data->jid, gtk_editable_get_text (GTK_EDITABLE (data->entry)),
                                         data->self->cancellable, edit_done_cb, g_object_ref (data->self));
}

static void
rename_entry_activate_cb (GtkEntry         *entry,
                          AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "rename");
  gtk_window_close (GTK_WINDOW (dialog));
}

static void
rename_contact_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (widget);
  const char *jid = g_variant_get_string (parameter, NULL);
  MessengerRoster *roster = get_roster (self);
  MessengerContact *contact = roster != NULL ? messenger_roster_lookup (roster, jid) : NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog, *entry;
  DialogData *data;

  if (contact == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Rename Contact"), NULL);
  /* Translators: %s is an address like bob@example.org. */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog), _("The name you see for %s. Leave it empty to show the address."), jid);
  entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), messenger_contact_get_name (contact) != NULL
                                               ? messenger_contact_get_name (contact) : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "rename", _("_Rename"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  data = g_new0 (DialogData, 1);
  data->self = g_object_ref (self);
  data->jid = g_strdup (jid);
  data->entry = GTK_ENTRY (entry);
  g_signal_connect_data (dialog, "response", G_CALLBACK (rename_response_cb), data,
                         (GClosureNotify) dialog_data_free, 0);
  g_signal_connect (entry, "activate", G_CALLBACK (rename_entry_activate_cb), dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    DialogData       *data)
{
  MessengerRoster *roster = get_roster (data->self);

  if (g_strcmp0 (response, "remove") != 0 || roster == NULL)
    return;
  messenger_roster_remove_contact_async (roster, data->jid, data->self->cancellable,
                                         edit_done_cb, g_object_ref (data->self));
}

static void
remove_contact_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (widget);
  const char *jid = g_variant_get_string (parameter, NULL);
  MessengerRoster *roster = get_roster (self);
  MessengerContact *contact = roster != NULL ? messenger_roster_lookup (roster, jid) : NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  DialogData *data;

  if (contact == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL, NULL);
  /* Translators: %s is a contact's name. */
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Remove %s?"),
                                     messenger_contact_get_display_name (contact));
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("You will no longer see each other’s status. Your conversation history is kept."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  data = g_new0 (DialogData, 1);
  data->self = g_object_ref (self);
  data->jid = g_strdup (jid);
  g_signal_connect_data (dialog, "response", G_CALLBACK (remove_response_cb), data,
                         (GClosureNotify) dialog_data_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- GObject -------------------------------------------------------- */

static void
messenger_sidebar_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_SHOW_OFFLINE:
      g_value_set_boolean (value, self->show_offline);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_sidebar_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      messenger_sidebar_set_session (self, g_value_get_object (value));
      break;
    case PROP_SHOW_OFFLINE:
      messenger_sidebar_set_show_offline (self, g_value_get_boolean (value));
      break;
    case PROP_FOLDED:
      messenger_sidebar_set_folded (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_sidebar_dispose (GObject *object)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->roster_view != NULL && self->roster_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->roster_view), self->roster_tick_id);
  self->roster_tick_id = 0;
  if (self->roster_view != NULL)
    clear_models (self);
  if (self->account_signals != NULL)
    g_signal_group_set_target (self->account_signals, NULL);
  if (self->roster_signals != NULL)
    g_signal_group_set_target (self->roster_signals, NULL);
  if (self->requests_signals != NULL)
    g_signal_group_set_target (self->requests_signals, NULL);
  if (self->groups_signals != NULL)
    g_signal_group_set_target (self->groups_signals, NULL);
  g_clear_object (&self->groups_signals);
  g_clear_object (&self->account_signals);
  g_clear_object (&self->roster_signals);
  g_clear_object (&self->requests_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_SIDEBAR);
  g_clear_object (&self->avatar_cache);
  g_clear_object (&self->session);
  g_clear_object (&self->offline_filter);
  g_clear_object (&self->group_filter);
  g_clear_object (&self->contact_sorter);
  g_clear_object (&self->search_filter);
  g_clear_object (&self->conversation_filter);

  G_OBJECT_CLASS (messenger_sidebar_parent_class)->dispose (object);
}

static void
messenger_sidebar_finalize (GObject *object)
{
  MessengerSidebar *self = MESSENGER_SIDEBAR (object);

  g_free (self->query);

  G_OBJECT_CLASS (messenger_sidebar_parent_class)->finalize (object);
}

static void
messenger_sidebar_class_init (MessengerSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_sidebar_get_property;
  object_class->set_property = messenger_sidebar_set_property;
  object_class->dispose = messenger_sidebar_dispose;
  object_class->finalize = messenger_sidebar_finalize;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, MESSENGER_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_OFFLINE] =
    g_param_spec_boolean ("show-offline", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CONVERSATION_ACTIVATED] =
    g_signal_new ("conversation-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, MESSENGER_TYPE_CONVERSATION);

  gtk_widget_class_install_action (widget_class, "sidebar.add-contact", NULL, add_contact_action);
  gtk_widget_class_install_action (widget_class, "sidebar.add-contact-address", "s", add_contact_address_action);
  gtk_widget_class_install_action (widget_class, "sidebar.add-contact-back", "s", add_contact_back_action);
  gtk_widget_class_install_action (widget_class, "sidebar.open-contact", "s", open_contact_action);
  gtk_widget_class_install_action (widget_class, "sidebar.rename-contact", "s", rename_contact_action);
  gtk_widget_class_install_action (widget_class, "sidebar.remove-contact", "s", remove_contact_action);
  gtk_widget_class_install_action (widget_class, "sidebar.show-offline-error", NULL, show_offline_error_action);
  gtk_widget_class_install_action (widget_class, "sidebar.retry", NULL, retry_action);

  g_type_ensure (MESSENGER_TYPE_PRESENCE_BUTTON);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, header_bar);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, presence_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, search_bar);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, connection_revealer);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, connection_spinner);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, connection_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, connection_button);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, requests_revealer);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, requests_view);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, stack);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, roster_view);
  gtk_widget_class_bind_template_child (widget_class, MessengerSidebar, search_view);
  gtk_widget_class_bind_template_callback (widget_class, roster_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_mode_cb);

  gtk_widget_class_set_css_name (widget_class, "sidebar");
}

static void
add_key_controller (MessengerSidebar *self,
                    GtkWidget        *widget,
                    GCallback         callback,
                    GtkPropagationPhase phase)
{
  GtkEventController *controller = gtk_event_controller_key_new ();

  gtk_event_controller_set_propagation_phase (controller, phase);
  g_signal_connect_swapped (controller, "key-pressed", callback, self);
  gtk_widget_add_controller (widget, controller);
}

static void
messenger_sidebar_init (MessengerSidebar *self)
{
  g_autoptr(GtkListItemFactory) roster_factory = NULL;
  g_autoptr(GtkListItemFactory) search_factory = NULL;
  g_autoptr(GtkListItemFactory) request_factory = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->offline_filter = GTK_FILTER (gtk_custom_filter_new (offline_filter_func, self, NULL));
  self->group_filter = GTK_FILTER (gtk_custom_filter_new (group_filter_func, self, NULL));
  self->contact_sorter = GTK_SORTER (gtk_custom_sorter_new (messenger_contact_compare, NULL, NULL));
  self->search_filter = GTK_FILTER (gtk_custom_filter_new (search_filter_func, self, NULL));
  self->conversation_filter = GTK_FILTER (gtk_custom_filter_new (conversation_filter_func, self, NULL));

  roster_factory = new_factory (self, G_CALLBACK (roster_setup_cb), G_CALLBACK (roster_bind_cb),
                                G_CALLBACK (roster_unbind_cb));
  gtk_list_view_set_factory (self->roster_view, roster_factory);
  search_factory = new_factory (self, G_CALLBACK (search_setup_cb), G_CALLBACK (search_bind_cb),
                                G_CALLBACK (search_unbind_cb));
  gtk_list_view_set_factory (self->search_view, search_factory);
  request_factory = new_factory (self, G_CALLBACK (request_setup_cb), G_CALLBACK (request_bind_cb),
                                 G_CALLBACK (request_unbind_cb));
  gtk_list_view_set_factory (self->requests_view, request_factory);

  add_key_controller (self, GTK_WIDGET (self->roster_view), G_CALLBACK (list_key_cb), GTK_PHASE_CAPTURE);
  add_key_controller (self, GTK_WIDGET (self->search_view), G_CALLBACK (list_key_cb), GTK_PHASE_CAPTURE);
  add_key_controller (self, GTK_WIDGET (self->search_entry), G_CALLBACK (search_entry_key_cb), GTK_PHASE_CAPTURE);
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  self->account_signals = g_signal_group_new (MESSENGER_TYPE_ACCOUNT);
  g_signal_group_connect_object (self->account_signals, "notify::state", G_CALLBACK (account_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->account_signals, "notify::error-message", G_CALLBACK (account_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->account_signals, "notify::error-kind", G_CALLBACK (account_notify_cb),
                                 self, G_CONNECT_SWAPPED);
  self->roster_signals = g_signal_group_new (MESSENGER_TYPE_ROSTER);
  g_signal_group_connect_object (self->roster_signals, "items-changed", G_CALLBACK (model_items_changed_cb),
                                 self, G_CONNECT_SWAPPED);
  self->groups_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->groups_signals, "items-changed", G_CALLBACK (groups_changed_cb),
                                 self, G_CONNECT_SWAPPED);
  self->requests_signals = g_signal_group_new (MESSENGER_TYPE_SUBSCRIPTION_REQUESTS);
  g_signal_group_connect_object (self->requests_signals, "items-changed", G_CALLBACK (requests_changed_cb),
                                 self, G_CONNECT_SWAPPED);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sidebar.add-contact", FALSE);
  update_connection (self);
  update_page (self);
}
