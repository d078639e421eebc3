/* messenger-avatar-cache.h: contacts' pictures (vCard-based avatars)
 *
 * XEP-0153: a contact's presence carries the SHA-1 of their vCard photo
 * (<x xmlns='vcard-temp:x:update'><photo>HASH</photo></x>).  When the
 * hash is new to us, the vCard is fetched (XEP-0054 vcard-temp), its
 * BINVAL decoded, checked against the hash and saved as a file named by
 * the hash in the cache folder; then "changed" is emitted for the
 * contact.  The hash per contact is remembered in an index file in the
 * same folder, so pictures show offline and after a restart without any
 * network traffic.  An empty <photo/> means the contact has no picture.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_AVATAR_CACHE (messenger_avatar_cache_get_type ())
G_DECLARE_FINAL_TYPE (MessengerAvatarCache, messenger_avatar_cache, MESSENGER, AVATAR_CACHE, GObject)

/* @cache_dir is created (0700) when needed. */
MessengerAvatarCache *messenger_avatar_cache_new      (MessengerAccount     *account,
                                                       const char           *cache_dir);
MessengerAccount     *messenger_avatar_cache_get_account (MessengerAvatarCache *self);
const char           *messenger_avatar_cache_get_dir  (MessengerAvatarCache *self);
/* The picture of @bare_jid as a GFileIcon (full reference), or NULL when
 * none is known.  Never blocks on the network. */
GIcon                *messenger_avatar_cache_lookup   (MessengerAvatarCache *self,
                                                       const char           *bare_jid);
/* Fetch @bare_jid's vCard now, even without a presence hash (e.g. for a
 * person who is offline); the answer replaces what is cached. */
void                  messenger_avatar_cache_refresh  (MessengerAvatarCache *self,
                                                       const char           *bare_jid);

/* Signals:
 *  "changed" (const char *bare_jid): the picture of @bare_jid changed
 *            (appeared, was replaced or removed)
 */

G_END_DECLS
