/* messenger-contact.h: one person in an account's roster
 *
 * What the UI shows of a contact: a display name (the roster name, else
 * the bare JID), the groups, the subscription in plain words, the
 * aggregated presence (show and status), the number of unread messages,
 * and an avatar colour (XEP-0392) with initials.  Every property notifies
 * when, and only when, its value changes.  MessengerRoster owns contacts
 * and keeps them up to date.
 */
#pragma once

#include <gio/gio.h>

#include "xmpp-presence.h"

G_BEGIN_DECLS

/* Whose presence each side sees (RFC 6121 §2.1.2.5). */
typedef enum
{
  MESSENGER_SUBSCRIPTION_NONE,
  MESSENGER_SUBSCRIPTION_TO,    /* we see theirs */
  MESSENGER_SUBSCRIPTION_FROM,  /* they see ours */
  MESSENGER_SUBSCRIPTION_BOTH,
} MessengerSubscription;

GType messenger_subscription_get_type (void);
#define MESSENGER_TYPE_SUBSCRIPTION (messenger_subscription_get_type ())

#define MESSENGER_TYPE_CONTACT (messenger_contact_get_type ())
G_DECLARE_FINAL_TYPE (MessengerContact, messenger_contact, MESSENGER, CONTACT, GObject)

MessengerContact      *messenger_contact_new                 (const char          *jid);
/* A contact as a roster item describes it (no notifications: nobody
 * listens yet); @groups may be NULL. */
MessengerContact      *messenger_contact_new_full            (const char          *jid,
                                                              const char          *name,
                                                              MessengerSubscription subscription,
                                                              gboolean             awaiting_approval,
                                                              const char * const  *groups);

const char            *messenger_contact_get_jid             (MessengerContact    *self);
/* The roster name, NULL when none. */
const char            *messenger_contact_get_name            (MessengerContact    *self);
void                   messenger_contact_set_name            (MessengerContact    *self,
                                                              const char          *name);
/* The name, or the bare JID when there is none. */
const char            *messenger_contact_get_display_name    (MessengerContact    *self);

/* Sorted, without duplicates; an empty array when in no group. */
const char * const    *messenger_contact_get_groups          (MessengerContact    *self);
void                   messenger_contact_set_groups          (MessengerContact    *self,
                                                              const char * const  *groups);
gboolean               messenger_contact_is_in_group         (MessengerContact    *self,
                                                              const char          *group);

MessengerSubscription  messenger_contact_get_subscription    (MessengerContact    *self);
/* Our request to see their presence waits for their answer. */
gboolean               messenger_contact_get_awaiting_approval (MessengerContact  *self);
void                   messenger_contact_set_subscription    (MessengerContact    *self,
                                                              MessengerSubscription subscription,
                                                              gboolean             awaiting_approval);
/* In plain, translated words, e.g. "You see each other". */
const char            *messenger_contact_get_subscription_description (MessengerContact *self);

/* Aggregated presence: XMPP_SHOW_OFFLINE when no resource is available. */
XmppShow               messenger_contact_get_show            (MessengerContact    *self);
const char            *messenger_contact_get_status          (MessengerContact    *self);
gboolean               messenger_contact_get_online          (MessengerContact    *self);
void                   messenger_contact_set_presence        (MessengerContact    *self,
                                                              XmppShow             show,
                                                              const char          *status);

guint                  messenger_contact_get_unread_count    (MessengerContact    *self);
void                   messenger_contact_set_unread_count    (MessengerContact    *self,
                                                              guint                count);

/* XEP-0392, from the bare JID: hue in degrees and "#rrggbb". */
double                 messenger_contact_get_color_hue       (MessengerContact    *self);
const char            *messenger_contact_get_color           (MessengerContact    *self);
/* From the display name. */
const char            *messenger_contact_get_initials        (MessengerContact    *self);

/* Presence first (most reachable first, offline last), then display name
 * in the locale's collation, then JID.  A GCompareDataFunc, so it can be
 * given to gtk_custom_sorter_new() directly. */
int                    messenger_contact_compare             (gconstpointer        a,
                                                              gconstpointer        b,
                                                              gpointer             user_data);

G_END_DECLS
