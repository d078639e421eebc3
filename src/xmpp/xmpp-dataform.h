/* xmpp-dataform.h: data forms (XEP-0004) with media (XEP-0221)
 *
 * A form a service sends (type 'form') is parsed into an XmppDataForm: its
 * title, instructions and fields, each with its type, label, description,
 * whether it is required, its values, its options and the media it shows
 * (XEP-0221 URIs; a "cid:" URI names Bits of Binary data, see xmpp-bob.h).
 * The answer is made from it:
 *
 *   parse (<x type='form'>) ─▶ new_submit ─▶ set_value… ─▶ to_element
 *                                               (<x type='submit'>)
 *
 * The submission carries every field except fixed ones: hidden fields with
 * the values the service gave (FORM_TYPE among them), the others with
 * their default values until they are set; fields that are neither hidden
 * nor required and have no value are left out.  No I/O here.
 */
#pragma once

#include <glib.h>

#include "xmpp-element.h"

G_BEGIN_DECLS

#define XMPP_NS_DATA_FORM     "jabber:x:data"
#define XMPP_NS_MEDIA_ELEMENT "urn:xmpp:media-element"

typedef enum
{
  XMPP_DATA_FORM_FORM,
  XMPP_DATA_FORM_SUBMIT,
  XMPP_DATA_FORM_CANCEL,
  XMPP_DATA_FORM_RESULT,
} XmppDataFormType;

/* XEP-0004 §3.3, in its order. */
typedef enum
{
  XMPP_DATA_FIELD_BOOLEAN,
  XMPP_DATA_FIELD_FIXED,
  XMPP_DATA_FIELD_HIDDEN,
  XMPP_DATA_FIELD_JID_MULTI,
  XMPP_DATA_FIELD_JID_SINGLE,
  XMPP_DATA_FIELD_LIST_MULTI,
  XMPP_DATA_FIELD_LIST_SINGLE,
  XMPP_DATA_FIELD_TEXT_MULTI,
  XMPP_DATA_FIELD_TEXT_PRIVATE,
  XMPP_DATA_FIELD_TEXT_SINGLE,
} XmppDataFieldType;

typedef struct
{
  char *label;           /* or NULL: show the value */
  char *value;
} XmppDataOption;

typedef struct
{
  char *type;            /* MIME type, or NULL */
  char *uri;             /* surrounding white space removed */
} XmppDataMediaUri;

typedef struct
{
  char              *var;        /* NULL only for fixed fields */
  XmppDataFieldType  type;
  char              *label;
  char              *desc;
  gboolean           required;
  GStrv              values;     /* never NULL; may be empty */
  GPtrArray         *options;    /* of XmppDataOption */
  GPtrArray         *media;      /* of XmppDataMediaUri; empty without <media/> */
  guint              media_width;   /* 0: not given */
  guint              media_height;
} XmppDataField;

typedef struct
{
  XmppDataFormType  type;
  char             *title;
  GStrv             instructions;  /* one string per <instructions/> */
  GPtrArray        *fields;        /* of XmppDataField, in order */
} XmppDataForm;

const char       *xmpp_data_field_type_to_string   (XmppDataFieldType  type);
/* Unknown names are text-single, as XEP-0004 §3.3 says of a missing type. */
XmppDataFieldType xmpp_data_field_type_from_string (const char        *name);

/* @x: a jabber:x:data <x/>.  Fails with XMPP_ERROR_PROTOCOL when it is not
 * one, its type is missing or unknown, or two fields share a var. */
XmppDataForm     *xmpp_data_form_parse             (XmppElement       *x,
                                                    GError           **error);
void              xmpp_data_form_free              (XmppDataForm      *form);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppDataForm, xmpp_data_form_free)

XmppDataField    *xmpp_data_form_get_field         (XmppDataForm      *form,
                                                    const char        *var);
/* The value of the hidden FORM_TYPE field, or NULL. */
const char       *xmpp_data_form_get_form_type     (XmppDataForm      *form);

/* A 'submit' form answering @form: a copy of its fields except fixed
 * ones, with the values given (the defaults). */
XmppDataForm     *xmpp_data_form_new_submit        (XmppDataForm      *form);
/* Replace the values of the field @var (added as text-single when the form
 * has no such field).  set_value (NULL) clears them. */
void              xmpp_data_form_set_value         (XmppDataForm      *form,
                                                    const char        *var,
                                                    const char        *value);
void              xmpp_data_form_set_values        (XmppDataForm      *form,
                                                    const char        *var,
                                                    const char * const *values);
void              xmpp_data_form_set_boolean       (XmppDataForm      *form,
                                                    const char        *var,
                                                    gboolean           value);
XmppElement      *xmpp_data_form_to_element        (XmppDataForm      *form);

/* The first value, or NULL. */
const char       *xmpp_data_field_get_value        (XmppDataField     *field);
/* "1" and "true" are TRUE (XEP-0004 §3.3), anything else FALSE. */
gboolean          xmpp_data_field_get_boolean      (XmppDataField     *field);
/* Whether the service would take this field's values: a required field
 * has one that is not empty, a boolean is "0", "1", "false" or "true",
 * a list-single value is one of the options, a jid field holds JIDs. */
gboolean          xmpp_data_field_is_valid         (XmppDataField     *field);

/* "cid:CID" → CID (a pointer into @uri), else NULL. */
const char       *xmpp_data_media_uri_get_cid      (const XmppDataMediaUri *uri);

G_END_DECLS
