/* messenger-subscription-request-row.h: "X wants to add you", Approve / Deny */
#pragma once

#include <adwaita.h>

#include "messenger-subscription-requests.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_SUBSCRIPTION_REQUEST_ROW (messenger_subscription_request_row_get_type ())
G_DECLARE_FINAL_TYPE (MessengerSubscriptionRequestRow, messenger_subscription_request_row,
                      MESSENGER, SUBSCRIPTION_REQUEST_ROW, GtkWidget)

GtkWidget *messenger_subscription_request_row_new (void);
/* Properties "request" and "requests" (the model that answers it). */
void       messenger_subscription_request_row_set_request  (MessengerSubscriptionRequestRow *self,
                                                            MessengerSubscriptionRequest    *request);
MessengerSubscriptionRequest *
           messenger_subscription_request_row_get_request  (MessengerSubscriptionRequestRow *self);
void       messenger_subscription_request_row_set_requests (MessengerSubscriptionRequestRow *self,
                                                            MessengerSubscriptionRequests   *requests);

G_END_DECLS
