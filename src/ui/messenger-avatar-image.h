/* messenger-avatar-image.h: a round avatar: a picture, or initials on a colour
 *
 * The colour is the XEP-0392 colour of the JID (the same as other clients
 * show); the picture, when one is set, is loaded only when the widget is
 * drawn, and decoded pictures are shared between widgets.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MESSENGER_TYPE_AVATAR_IMAGE (messenger_avatar_image_get_type ())
G_DECLARE_FINAL_TYPE (MessengerAvatarImage, messenger_avatar_image, MESSENGER, AVATAR_IMAGE, GtkWidget)

GtkWidget  *messenger_avatar_image_new          (int                   size);
/* Property "size": width and height in pixels. */
int         messenger_avatar_image_get_size     (MessengerAvatarImage *self);
void        messenger_avatar_image_set_size     (MessengerAvatarImage *self,
                                                 int                   size);
/* Property "color": "#rrggbb" (NULL: a neutral colour). */
void        messenger_avatar_image_set_color    (MessengerAvatarImage *self,
                                                 const char           *color);
/* Property "initials". */
void        messenger_avatar_image_set_initials (MessengerAvatarImage *self,
                                                 const char           *initials);
/* Property "icon": a GFileIcon or GBytesIcon picture (NULL: initials). */
void        messenger_avatar_image_set_icon     (MessengerAvatarImage *self,
                                                 GIcon                *icon);
GIcon      *messenger_avatar_image_get_icon     (MessengerAvatarImage *self);

G_END_DECLS
