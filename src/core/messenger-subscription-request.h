/* messenger-subscription-request.h: someone asks to see our presence
 *
 * An item of MessengerSubscriptionRequests: who asks, when the request
 * arrived, and an avatar colour and initials for showing them.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MESSENGER_TYPE_SUBSCRIPTION_REQUEST (messenger_subscription_request_get_type ())
G_DECLARE_FINAL_TYPE (MessengerSubscriptionRequest, messenger_subscription_request,
                      MESSENGER, SUBSCRIPTION_REQUEST, GObject)

MessengerSubscriptionRequest *messenger_subscription_request_new           (const char *jid);
/* The bare JID of who asks. */
const char                   *messenger_subscription_request_get_jid       (MessengerSubscriptionRequest *self);
/* When it arrived, µs since the epoch (UTC). */
gint64                        messenger_subscription_request_get_time      (MessengerSubscriptionRequest *self);
const char                   *messenger_subscription_request_get_color     (MessengerSubscriptionRequest *self);
const char                   *messenger_subscription_request_get_initials  (MessengerSubscriptionRequest *self);

G_END_DECLS
