/* srv-vcard.h: vcard-temp (XEP-0054) storage for the bundled server
 *
 * An account sets its own vCard (avatars for XEP-0153 live in it); anyone
 * may read any account's vCard.
 */
#pragma once

#include "srv-server.h"

G_BEGIN_DECLS

#define SRV_NS_VCARD "vcard-temp"

/* Largest vCard stored, serialised (bytes). */
#define SRV_VCARD_MAX_SIZE (128 * 1024)

void srv_vcard_init (SrvServer *server);

G_END_DECLS
