/* messenger-add-contact-dialog.h: add someone to the roster */
#pragma once

#include <adwaita.h>

#include "messenger-roster.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_ADD_CONTACT_DIALOG (messenger_add_contact_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MessengerAddContactDialog, messenger_add_contact_dialog, MESSENGER, ADD_CONTACT_DIALOG, AdwWindow)

/* A dialog transient for @parent that adds to @roster, closing itself
 * when the server accepted the contact. */
GtkWidget *messenger_add_contact_dialog_new     (GtkWindow       *parent,
                                                 MessengerRoster *roster);
/* Prefill the address (e.g. from a search). */
void       messenger_add_contact_dialog_set_jid (MessengerAddContactDialog *self,
                                                 const char                *jid);

G_END_DECLS
