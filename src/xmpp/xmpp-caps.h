/* xmpp-caps.h: XEP-0115 entity capabilities verification strings
 *
 * The verification string is computed from a disco#info <query/> (our own
 * when advertising, a peer's when checking its 'ver').  Responses that
 * XEP-0115 §5.4 calls ill-formed (duplicate identities or features, two
 * forms with one FORM_TYPE, a FORM_TYPE with different values) fail with
 * XMPP_ERROR_PROTOCOL; data forms that are not type 'result' or lack a
 * hidden FORM_TYPE are left out, as §5.4 says.
 */
#pragma once

#include <glib.h>

#include "xmpp-element.h"

G_BEGIN_DECLS

#define XMPP_NS_CAPS       "http://jabber.org/protocol/caps"
#define XMPP_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define XMPP_NS_DATA_FORMS "jabber:x:data"

/* TRUE for the 'hash' values we can compute: "sha-1", "sha-224",
 * "sha-256", "sha-384", "sha-512" (IANA hash function textual names). */
gboolean  xmpp_caps_hash_is_supported (const char   *hash_name);

/* The string S of XEP-0115 §5.1 (UTF-8), mainly for tests. */
char     *xmpp_caps_build_string      (XmppElement  *disco_info_query,
                                       GError      **error);

/* base64 (HASH (S)), the value of the 'ver' attribute.  An unsupported
 * @hash_name fails with XMPP_ERROR_INVALID_ARGUMENT. */
char     *xmpp_caps_compute_ver       (XmppElement  *disco_info_query,
                                       const char   *hash_name,
                                       GError      **error);

G_END_DECLS
