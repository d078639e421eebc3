/* messenger-group.h: one roster group, as a list of its contacts
 *
 * A MessengerGroup is a GListModel of MessengerContact (ordered by bare
 * JID; sort it in the view with messenger_contact_compare()) with a name
 * and counts.  A contact in several groups is in each of them; contacts
 * in no group are in the "Ungrouped" group.  When a contact's presence or
 * display name changes the group emits items-changed (position, 1, 1) for
 * it, so a sorting view above it puts the row in its new place.
 * MessengerRoster owns the groups and keeps them up to date.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MESSENGER_TYPE_GROUP (messenger_group_get_type ())
G_DECLARE_FINAL_TYPE (MessengerGroup, messenger_group, MESSENGER, GROUP, GObject)

/* The name to show (translated "Ungrouped" for the ungrouped group). */
const char *messenger_group_get_name         (MessengerGroup *self);
/* The roster group name; NULL for the ungrouped group. */
const char *messenger_group_get_roster_name  (MessengerGroup *self);
gboolean    messenger_group_is_ungrouped     (MessengerGroup *self);
guint       messenger_group_get_online_count (MessengerGroup *self);
guint       messenger_group_get_total_count  (MessengerGroup *self);

G_END_DECLS
