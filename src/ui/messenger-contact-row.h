/* messenger-contact-row.h: one contact (or conversation) in a list */
#pragma once

#include <adwaita.h>

#include "messenger-avatar-cache.h"
#include "messenger-contact.h"
#include "messenger-conversation.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_CONTACT_ROW (messenger_contact_row_get_type ())
G_DECLARE_FINAL_TYPE (MessengerContactRow, messenger_contact_row, MESSENGER, CONTACT_ROW, GtkWidget)

GtkWidget             *messenger_contact_row_new              (void);
/* Property "contact": a roster contact, or NULL. */
MessengerContact      *messenger_contact_row_get_contact      (MessengerContactRow   *self);
void                   messenger_contact_row_set_contact      (MessengerContactRow   *self,
                                                               MessengerContact      *contact);
/* Property "conversation": for people not in the roster (search
 * results); the contact wins when both are set. */
MessengerConversation *messenger_contact_row_get_conversation (MessengerContactRow   *self);
void                   messenger_contact_row_set_conversation (MessengerContactRow   *self,
                                                               MessengerConversation *conversation);
/* Property "avatar-cache" (nullable): where pictures come from. */
void                   messenger_contact_row_set_avatar_cache (MessengerContactRow   *self,
                                                               MessengerAvatarCache  *cache);
/* The bare JID shown, or NULL. */
const char            *messenger_contact_row_get_jid          (MessengerContactRow   *self);

/* Open the row's context menu (Open Conversation, Rename…, Remove
 * Contact…), at (@x, @y) or under the row when @x < 0.  Its items
 * activate "sidebar.open-contact", "sidebar.rename-contact",
 * "sidebar.remove-contact" and "sidebar.add-contact-address" with the
 * JID as parameter. */
void                   messenger_contact_row_popup_menu       (MessengerContactRow   *self,
                                                               double                 x,
                                                               double                 y);

/* Plain words for a presence, e.g. "Available", "Do Not Disturb". */
const char            *messenger_presence_describe            (XmppShow               show);
/* The CSS class of a presence dot, e.g. "presence-away". */
const char            *messenger_presence_css_class           (XmppShow               show);

G_END_DECLS
