/* xmpp-jid.h: XMPP addresses (RFC 7622)
 *
 * An XmppJid is an immutable, reference-counted address
 * `[localpart "@"] domainpart ["/" resourcepart]` held in its canonical
 * form only: every constructor splits the input (resource first, then
 * localpart), enforces the PRECIS profile of each part and fails with
 * XMPP_ERROR_JID_MALFORMED when a part cannot be rescued by the mapping
 * rules.  Two JIDs are equal exactly when their canonical strings are.
 *
 *  - localpart:    UsernameCaseMapped (RFC 8265 §3.3) plus the characters
 *                  " & ' / : < > @ forbidden by RFC 7622 §3.3.1;
 *  - domainpart:   one trailing dot stripped, lowercased, A-labels turned
 *                  into U-labels, NFC; or an IP literal (dotted IPv4,
 *                  bracketed IPv6 written in RFC 5952 form);
 *  - resourcepart: OpaqueString (RFC 8265 §4.2): case is kept, non-ASCII
 *                  spaces become U+0020.  A resourcepart that starts with
 *                  a space is rejected (RFC 7622 §3.5 lists it as invalid).
 *
 * Each part is at most 1023 bytes of UTF-8 after normalisation.  ASCII
 * input takes a fast path that allocates nothing but the JID itself; the
 * object holds all its strings in a single allocation, so the accessors
 * return pointers that live as long as the JID.
 *
 * JIDs can be shared between threads: nothing in them changes after
 * construction and the reference count is atomic.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 7622 §3.1: each part is 1 to 1023 octets after normalisation. */
#define XMPP_JID_MAX_PART_LENGTH 1023

typedef struct _XmppJid XmppJid;

XmppJid    *xmpp_jid_new             (const char  *string,
                                      GError     **error);
/* @local and @resource may be NULL (absent); "" is an empty part and
 * therefore an error. */
XmppJid    *xmpp_jid_new_from_parts  (const char  *local,
                                      const char  *domain,
                                      const char  *resource,
                                      GError     **error);
XmppJid    *xmpp_jid_ref             (XmppJid     *self);
void        xmpp_jid_unref           (XmppJid     *self);

const char *xmpp_jid_get_local       (XmppJid     *self);
const char *xmpp_jid_get_domain      (XmppJid     *self);
const char *xmpp_jid_get_resource    (XmppJid     *self);
const char *xmpp_jid_to_string       (XmppJid     *self);
const char *xmpp_jid_get_bare_string (XmppJid     *self);

/* A new reference; @self itself when it is already bare. */
XmppJid    *xmpp_jid_get_bare        (XmppJid     *self);
/* The bare part of @self with @resource; a NULL @resource gives the
 * bare JID. */
XmppJid    *xmpp_jid_with_resource   (XmppJid     *self,
                                      const char  *resource,
                                      GError     **error);
/* The domain of @self alone (a new reference, @self if it is one). */
XmppJid    *xmpp_jid_get_domain_jid  (XmppJid     *self);

gboolean    xmpp_jid_is_bare         (XmppJid     *self);
gboolean    xmpp_jid_is_domain       (XmppJid     *self);

/* Both accept NULL: two NULLs are equal, NULL and a JID are not. */
gboolean    xmpp_jid_equal           (XmppJid     *a,
                                      XmppJid     *b);
gboolean    xmpp_jid_bare_equal      (XmppJid     *a,
                                      XmppJid     *b);

/* For GHashTable: g_hash_table_new (xmpp_jid_hash, xmpp_jid_equal_func)
 * keys tables by full JID, xmpp_jid_bare_hash with xmpp_jid_bare_equal_func
 * by bare JID. */
guint       xmpp_jid_hash            (gconstpointer jid);
gboolean    xmpp_jid_equal_func      (gconstpointer a,
                                      gconstpointer b);
guint       xmpp_jid_bare_hash       (gconstpointer jid);
gboolean    xmpp_jid_bare_equal_func (gconstpointer a,
                                      gconstpointer b);

/* The canonical form of @string, or NULL with @error set. */
char       *xmpp_jid_prepare         (const char  *string,
                                      GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppJid, xmpp_jid_unref)

G_END_DECLS
