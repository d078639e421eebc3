/* xmpp-register.h: in-band registration (XEP-0077)
 *
 * Before authentication (after xmpp_client_open_async()) a new account is
 * registered with fetch_form + submit; once connected, the password is
 * changed or the account cancelled.  The form is the legacy field list
 * (username, password, email, …); fields the server asks for are listed so
 * a UI can render them.
 */
#pragma once

#include "xmpp-client.h"

G_BEGIN_DECLS

#define XMPP_NS_REGISTER         "jabber:iq:register"
#define XMPP_NS_REGISTER_FEATURE "http://jabber.org/features/iq-register"

typedef struct
{
  char    *instructions;
  GStrv    fields;        /* the field names asked for, in order */
  gboolean registered;    /* <registered/>: the account exists already */
} XmppRegisterForm;

void              xmpp_register_form_free          (XmppRegisterForm *form);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppRegisterForm, xmpp_register_form_free)

void              xmpp_register_fetch_form_async   (XmppClient          *client,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
XmppRegisterForm *xmpp_register_fetch_form_finish  (XmppClient          *client,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* @fields: field name → value (username and password at least).  A taken
 * name fails with XMPP_STANZA_ERROR_CONFLICT, a missing field with
 * XMPP_STANZA_ERROR_NOT_ACCEPTABLE. */
void              xmpp_register_submit_async       (XmppClient          *client,
                                                    GHashTable          *fields,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          xmpp_register_submit_finish      (XmppClient          *client,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* Once connected. */
void              xmpp_register_change_password_async  (XmppClient          *client,
                                                        const char          *new_password,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          xmpp_register_change_password_finish (XmppClient          *client,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void              xmpp_register_cancel_async       (XmppClient          *client,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          xmpp_register_cancel_finish      (XmppClient          *client,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
