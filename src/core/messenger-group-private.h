/* messenger-group-private.h: what MessengerRoster uses to keep groups */
#pragma once

#include "messenger-contact-private.h"
#include "messenger-group.h"

G_BEGIN_DECLS

/* @roster_name NULL: the ungrouped group. */
MessengerGroup *_messenger_group_new             (const char       *roster_name);
void            _messenger_group_add             (MessengerGroup   *self,
                                                  MessengerContact *contact);
/* Loading: appends @contact, whose JID sorts after every member's, and
 * says nothing until _messenger_group_flush_appended(), which announces
 * every contact appended since in one items-changed.  The other calls
 * flush first. */
void            _messenger_group_append          (MessengerGroup   *self,
                                                  MessengerContact *contact);
void            _messenger_group_flush_appended  (MessengerGroup   *self);
/* Merging a fetched roster: adds @contact (given in JID order, after any
 * added later before; members may sort either side) when flushed by
 * _messenger_group_flush_appended(), one items-changed per run. */
void            _messenger_group_add_later       (MessengerGroup   *self,
                                                  MessengerContact *contact);
/* Contacts appended or added later that are not announced yet. */
gboolean        _messenger_group_has_pending     (MessengerGroup   *self);
void            _messenger_group_remove          (MessengerGroup   *self,
                                                  MessengerContact *contact);
/* The contact's sort keys (presence, display name) changed. */
void            _messenger_group_contact_changed (MessengerGroup   *self,
                                                  MessengerContact *contact);
/* The contact's online flag flipped. */
void            _messenger_group_online_changed  (MessengerGroup   *self,
                                                  MessengerContact *contact);
/* Groups by name, the ungrouped group last. */
int             _messenger_group_compare         (gconstpointer     a,
                                                  gconstpointer     b,
                                                  gpointer          user_data);
/* Position of @jid in a JID-ordered array of contacts; FALSE when absent,
 * with *position where it would go. */
gboolean        _messenger_contacts_find         (GPtrArray        *contacts,
                                                  const char       *jid,
                                                  guint            *position);

G_END_DECLS
