/* messenger-contact-private.h: what MessengerRoster uses to follow its contacts */
#pragma once

#include "messenger-contact.h"

G_BEGIN_DECLS

/* What changed in a contact, as far as the roster's lists care. */
typedef enum
{
  MESSENGER_CONTACT_CHANGED_GROUPS,    /* "groups" */
  MESSENGER_CONTACT_CHANGED_SORT_KEY,  /* "show" or "display-name" */
  MESSENGER_CONTACT_CHANGED_ONLINE,    /* "online" */
} MessengerContactChange;

typedef void (*MessengerContactObserver) (MessengerContact       *contact,
                                          MessengerContactChange  change,
                                          gpointer                user_data);

/* One observer per contact (its roster), told by the setters of each
 * change to "groups", "show", "display-name" or "online" once the contact
 * holds its new values, just before the change's notifications are
 * emitted: where a "notify" handler connected first would hear them.  A
 * signal handler per contact would do the same, but connecting and
 * disconnecting 10,000 of them is a quarter of loading a roster, and a
 * class "notify" handler would make every g_object_new() emit one.  NULL
 * removes it. */
void _messenger_contact_set_observer (MessengerContact         *self,
                                      MessengerContactObserver  observer,
                                      gpointer                  user_data);

G_END_DECLS
