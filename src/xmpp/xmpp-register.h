/* xmpp-register.h: in-band registration (XEP-0077)
 *
 * Before authentication (after xmpp_client_open_async()) a new account is
 * registered with fetch_form + submit; once connected, the password is
 * changed or the account cancelled.  The form is the legacy field list
 * (username, password, email, …); fields the server asks for are listed so
 * a UI can render them.
 *
 * XEP-0077 §8: a server may also put a data form (XEP-0004) in its answer,
 * e.g. with a CAPTCHA (XEP-0158) or fields of its own.  The form then is
 * what counts: it is answered with submit_form, never with legacy fields.
 */
#pragma once

#include "xmpp-client.h"
#include "xmpp-dataform.h"

G_BEGIN_DECLS

#define XMPP_NS_REGISTER         "jabber:iq:register"
#define XMPP_NS_REGISTER_FEATURE "http://jabber.org/features/iq-register"

typedef struct
{
  char    *instructions;
  GStrv    fields;        /* the field names asked for, in order */
  gboolean registered;    /* <registered/>: the account exists already */
  XmppDataForm *data_form;  /* the server's data form (type 'form'), or NULL */
  XmppElement  *reply;      /* the whole answer: Bits of Binary for the form's media */
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
/* Answer the data form: @answer is a submit form, normally made with
 * xmpp_data_form_new_submit (form->data_form) and filled in.  Errors as
 * for submit. */
void              xmpp_register_submit_form_async  (XmppClient          *client,
                                                    XmppDataForm        *answer,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          xmpp_register_submit_form_finish (XmppClient          *client,
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
