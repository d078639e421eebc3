/* messenger-subscription-requests.h: pending requests to see our presence
 *
 * A GListModel of MessengerSubscriptionRequest, oldest first: one per
 * person whose "subscribe" we have not answered.  approve() sends
 * "subscribed", deny() "unsubscribed" (RFC 6121 §3.1.4, §3.2), and the
 * request leaves the list.  It also leaves when the person withdraws it
 * ("unsubscribe") or when it was answered from another device (a roster
 * push shows they now see our presence).  Requests are not stored: the
 * server delivers unanswered ones again at every login (RFC 6121 §3.1.3).
 */
#pragma once

#include <gio/gio.h>

#include "messenger-account.h"
#include "messenger-subscription-request.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_SUBSCRIPTION_REQUESTS (messenger_subscription_requests_get_type ())
G_DECLARE_FINAL_TYPE (MessengerSubscriptionRequests, messenger_subscription_requests,
                      MESSENGER, SUBSCRIPTION_REQUESTS, GObject)

MessengerSubscriptionRequests *messenger_subscription_requests_new     (MessengerAccount              *account);
/* FALSE (and the request stays) when the account is not online. */
gboolean                       messenger_subscription_requests_approve (MessengerSubscriptionRequests *self,
                                                                        MessengerSubscriptionRequest  *request);
gboolean                       messenger_subscription_requests_deny    (MessengerSubscriptionRequests *self,
                                                                        MessengerSubscriptionRequest  *request);

G_END_DECLS
