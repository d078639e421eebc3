/* messenger-sorted-contacts.h: a group's contacts, filtered and sorted for the view */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MESSENGER_TYPE_SORTED_CONTACTS (messenger_sorted_contacts_get_type ())
G_DECLARE_FINAL_TYPE (MessengerSortedContacts, messenger_sorted_contacts, MESSENGER, SORTED_CONTACTS, GObject)

/* A GListModel of the MessengerContacts of @source that @filter matches
 * (all when NULL), in messenger_contact_compare() order.  Follows both:
 * "changed" of the filter re-filters everything. */
MessengerSortedContacts *messenger_sorted_contacts_new (GListModel *source,
                                                        GtkFilter  *filter);

G_END_DECLS
