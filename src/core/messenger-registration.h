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
 *
 * The fields are the legacy ones of XEP-0077 or, when the server sends a
 * data form (XEP-0077 §8, XEP-0004), that form's: then there may be
 * choices, switches, text to read and a CAPTCHA (XEP-0158) whose picture
 * comes as Bits of Binary (XEP-0231), fetched before fetch_form finishes.
 * Hidden fields are not shown and go back as the server sent them.  A
 * submission the server refuses while the form has a CAPTCHA loads a new
 * form (a CAPTCHA is good for one try): get_form_serial() changes.
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

typedef enum
{
  MESSENGER_REGISTRATION_FIELD_TEXT,             /* one line */
  MESSENGER_REGISTRATION_FIELD_SECRET,           /* one line typed hidden */
  MESSENGER_REGISTRATION_FIELD_MULTILINE,        /* the value's lines */
  MESSENGER_REGISTRATION_FIELD_CHOICE,           /* one of the options' values */
  MESSENGER_REGISTRATION_FIELD_MULTIPLE_CHOICE,  /* option values, one a line */
  MESSENGER_REGISTRATION_FIELD_BOOLEAN,          /* "1" or "0" */
  MESSENGER_REGISTRATION_FIELD_FIXED,            /* text to show, nothing to fill in */
} MessengerRegistrationFieldKind;

/* One thing to show in the form, in the server's order. */
typedef struct
{
  char                           *name;          /* the key in submit's values; NULL when FIXED */
  MessengerRegistrationFieldKind  kind;
  char                           *title;         /* translated for the fields XEP-0077 names */
  char                           *description;   /* or NULL */
  char                           *value;         /* to start with, or NULL; FIXED: the text */
  gboolean                        required;      /* the form cannot go without it */
  gboolean                        address;       /* the value is an XMPP address */
  GStrv                           option_labels; /* CHOICE, MULTIPLE_CHOICE; else NULL */
  GStrv                           option_values;
  gboolean                        has_media;     /* the server shows something with it (XEP-0221) */
  GBytes                         *image;         /* its picture (a CAPTCHA's), or NULL */
  char                           *image_type;    /* its MIME type, or NULL */
  guint                           image_width;   /* as the server suggests, 0: not said */
  guint                           image_height;
  char                           *link;          /* a web address to see the media at, when
                                                  * there is no image to show, or NULL */
} MessengerRegistrationField;

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
/* After fetch_form: what to show, in order (MessengerRegistrationField,
 * owned by @self until the next form). */
GPtrArray             *messenger_registration_get_form_fields    (MessengerRegistration  *self);
/* Changes each time the fields are replaced. */
guint                  messenger_registration_get_form_serial    (MessengerRegistration  *self);
/* Whether the server sent a data form (else the legacy fields). */
gboolean               messenger_registration_has_data_form      (MessengerRegistration  *self);

/* Submit @values (field name → text, see MessengerRegistrationFieldKind;
 * "username" and "password" at least) on the connection fetch_form opened (or a new one, when the
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
