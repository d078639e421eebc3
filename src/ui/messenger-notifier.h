/* messenger-notifier.h: desktop notifications for incoming messages */
#pragma once

#include <gio/gio.h>

#include "messenger-profile.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_NOTIFIER (messenger_notifier_get_type ())

G_DECLARE_FINAL_TYPE (MessengerNotifier, messenger_notifier, MESSENGER, NOTIFIER, GObject)

/* Watches every account of @profile; notifies through @application when
 * the "notifications" key of @settings is on and the person is not
 * looking at the conversation. */
MessengerNotifier *messenger_notifier_new (GApplication     *application,
                                           GSettings        *settings,
                                           MessengerProfile *profile);

G_END_DECLS
