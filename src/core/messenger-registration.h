/* messenger-registration.h: create an account on a server (XEP-0077)
 *
 * "Create an account": connect to a server (securely, as for signing in),
 * ask which fields its registration form wants (user name, password,
 * email, …), submit them, and return a MessengerAccount set up to sign in
 * with the new account.  Errors are in MESSENGER_REGISTRATION_ERROR with
 * plain, translated words.
 *
 *   new (domain) ─▶ fetch_form ─▶ fields ─▶ submit (values) ─▶ account
 *                       └─ CERTIFICATE: get_certificate_info(),
 *                          set_pinned_fingerprint(), fetch_form again
 */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"

G_BEGIN_DECLS

#define MESSENGER_REGISTRATION_ERROR (messenger_registration_error_quark ())

typedef enum
{
  MESSENGER_REGISTRATION_ERROR_NOT_SUPPORTED,   /* the server does not create accounts in-band */
  MESSENGER_REGISTRATION_ERROR_CONFLICT,        /* the user name is taken */
  MESSENGER_REGISTRATION_ERROR_NOT_ACCEPTABLE,  /* a field is missing, malformed or refused */
  MESSENGER_REGISTRATION_ERROR_REFUSED,         /* not allowed now (policy, too many attempts) */
  MESSENGER_REGISTRATION_ERROR_CERTIFICATE,     /* untrusted certificate: see get_certificate_info() */
  MESSENGER_REGISTRATION_ERROR_UNREACHABLE,     /* not found, cannot connect, timeout */
  MESSENGER_REGISTRATION_ERROR_NO_ENCRYPTION,   /* no TLS offered, or TLS failed */
  MESSENGER_REGISTRATION_ERROR_INVALID,         /* a bad server name or user name given to us */
  MESSENGER_REGISTRATION_ERROR_FAILED,
} MessengerRegistrationError;

GQuark messenger_registration_error_quark (void);

#define MESSENGER_TYPE_REGISTRATION (messenger_registration_get_type ())
G_DECLARE_FINAL_TYPE (MessengerRegistration, messenger_registration, MESSENGER, REGISTRATION, GObject)

/* @domain: the server's name, e.g. "example.org" (a bad one fails with
 * MESSENGER_REGISTRATION_ERROR_INVALID). */
MessengerRegistration *messenger_registration_new                (const char             *domain,
                                                                  GError                **error);
const char            *messenger_registration_get_domain         (MessengerRegistration  *self);

/* Connection settings, as for an account (before fetch_form). */
void                   messenger_registration_set_server         (MessengerRegistration  *self,
                                                                  const char             *host,
                                                                  guint16                 port);
void                   messenger_registration_set_direct_tls     (MessengerRegistration  *self,
                                                                  gboolean                direct_tls);
void                   messenger_registration_set_pinned_fingerprint (MessengerRegistration *self,
                                                                  const char             *sha256);
/* After MESSENGER_REGISTRATION_ERROR_CERTIFICATE: what the server showed. */
XmppCertificateInfo   *messenger_registration_get_certificate_info (MessengerRegistration *self);

/* Connect (dropping any earlier connection) and fetch the form. */
void                   messenger_registration_fetch_form_async   (MessengerRegistration  *self,
                                                                  GCancellable           *cancellable,
                                                                  GAsyncReadyCallback     callback,
                                                                  gpointer                user_data);
gboolean               messenger_registration_fetch_form_finish  (MessengerRegistration  *self,
                                                                  GAsyncResult           *result,
                                                                  GError                **error);
/* After fetch_form: the server's instructions (or NULL) and the field
 * names it asks for, in its order ("username", "password", "email", …). */
const char            *messenger_registration_get_instructions   (MessengerRegistration  *self);
const char * const    *messenger_registration_get_fields         (MessengerRegistration  *self);

/* Submit @values (field name → text; "username" and "password" at
 * least) on the connection fetch_form opened (or a new one, when the
 * server closed it meanwhile), then close it.  Returns an account for the
 * new address with the same server settings and pin and the password set,
 * not yet connected.  After an error the connection stays open for
 * another try (e.g. with another user name). */
void                   messenger_registration_submit_async       (MessengerRegistration  *self,
                                                                  GHashTable             *values,
                                                                  GCancellable           *cancellable,
                                                                  GAsyncReadyCallback     callback,
                                                                  gpointer                user_data);
MessengerAccount      *messenger_registration_submit_finish      (MessengerRegistration  *self,
                                                                  GAsyncResult           *result,
                                                                  GError                **error);
/* Close the connection (also done on dispose). */
void                   messenger_registration_close              (MessengerRegistration  *self);

/* A field's name for people ("username" → "User name"), translated;
 * unknown fields keep their name. */
const char            *messenger_registration_field_title        (const char             *field);
/* Whether the field is a secret to type hidden (the password). */
gboolean               messenger_registration_field_is_secret    (const char             *field);

G_END_DECLS
