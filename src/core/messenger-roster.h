/* messenger-roster.h: an account's contacts, as list models
 *
 * MessengerRoster is a GListModel of MessengerContact, ordered by bare JID
 * (the view sorts: wrap it in a GtkSortListModel with
 * messenger_contact_compare(), presence then name; when a contact's
 * presence or name changes the roster emits items-changed (position, 1, 1)
 * for it so the sorter moves the row).  messenger_roster_get_groups() is a
 * GListModel of MessengerGroup, by name with "Ungrouped" last, each itself
 * a list of its contacts.
 *
 * Offline first: the roster is read from the store when the object is
 * made, before the account connects, and the cached roster version is
 * given to the account so the server sends only what changed.  Then:
 *
 *   "roster-received" (full)  → the contacts are replaced (kept objects for
 *                               JIDs still there), the store replaced too
 *   "roster-received" (unchanged) → nothing to do
 *   "roster-push"             → one contact added, changed or removed; the
 *                               store updated with the new version
 *   "presence-changed"        → the contact's aggregated show and status
 *   the account leaves ONLINE → every contact offline
 */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"
#include "messenger-contact.h"
#include "messenger-group.h"
#include "messenger-store.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_ROSTER (messenger_roster_get_type ())
G_DECLARE_FINAL_TYPE (MessengerRoster, messenger_roster, MESSENGER, ROSTER, GObject)

/* Loads the cached roster of @account_id from @store at once.  Make it
 * before connecting @account, so the cached version is used. */
MessengerRoster  *messenger_roster_new         (MessengerAccount *account,
                                                MessengerStore   *store,
                                                gint64            account_id);
MessengerAccount *messenger_roster_get_account (MessengerRoster  *self);
/* The contact with this bare JID, or NULL (borrowed). */
MessengerContact *messenger_roster_lookup      (MessengerRoster  *self,
                                                const char       *jid);
/* GListModel of MessengerGroup (borrowed, lives as long as @self). */
GListModel       *messenger_roster_get_groups  (MessengerRoster  *self);
/* The roster version of what is shown (NULL when none). */
const char       *messenger_roster_get_version (MessengerRoster  *self);

G_END_DECLS
