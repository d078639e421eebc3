/* messenger-roster-edit.h: changing an account's roster
 *
 * Adding a contact is a roster set (jabber:iq:roster) followed by a
 * presence subscription request, so the person sees our request and we
 * see their presence once they approve.  Removing is a roster remove,
 * which also cancels both subscriptions (RFC 6121 §2.5.2).  Renaming and
 * changing groups are roster sets that keep everything else.  The roster
 * model learns of each change from the server's roster push, like any
 * other change: these functions only send the requests.
 *
 * All of them fail with XMPP_ERROR_NOT_CONNECTED when the account is not
 * online, with XMPP_ERROR_JID_MALFORMED for an invalid JID, and with the
 * server's XMPP_STANZA_ERROR otherwise.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-roster.h"

G_BEGIN_DECLS

/* The bare JID a person typed, normalised (e.g. "Bob@Example.org " →
 * "bob@example.org"), or NULL with an error in plain words: not an
 * address, or no "name@" part. */
char    *messenger_roster_normalize_address     (const char          *text,
                                                 GError             **error);

/* @name may be NULL (no roster name); @groups a NULL-terminated array, or
 * NULL for none. */
void     messenger_roster_add_contact_async     (MessengerRoster     *roster,
                                                 const char          *jid,
                                                 const char          *name,
                                                 const char * const  *groups,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean messenger_roster_add_contact_finish    (MessengerRoster     *roster,
                                                 GAsyncResult        *result,
                                                 GError             **error);

void     messenger_roster_remove_contact_async  (MessengerRoster     *roster,
                                                 const char          *jid,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean messenger_roster_remove_contact_finish (MessengerRoster     *roster,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* A new roster name (NULL or "" removes it); the groups stay. */
void     messenger_roster_rename_contact_async  (MessengerRoster     *roster,
                                                 const char          *jid,
                                                 const char          *name,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean messenger_roster_rename_contact_finish (MessengerRoster     *roster,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* Replace the contact's groups (NULL: none); the name stays. */
void     messenger_roster_set_contact_groups_async  (MessengerRoster     *roster,
                                                     const char          *jid,
                                                     const char * const  *groups,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean messenger_roster_set_contact_groups_finish (MessengerRoster     *roster,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
