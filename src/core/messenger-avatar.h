/* messenger-avatar.h: what an avatar without a picture shows
 *
 * A colour and up to two letters.  The colour follows XEP-0392 (Consistent
 * Color Generation), so a JID has the same colour here as in other clients:
 * the hue comes from the SHA-1 of the bare JID, and the colour is that hue
 * at saturation 100 and lightness 50 in HSLuv, a colour space whose
 * lightness looks the same for every hue.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The hue angle in degrees, [0, 360): the first two octets of SHA-1
 * (@text as UTF-8) read as a little-endian number, / 65536 × 360. */
double  messenger_avatar_hue         (const char *text);

/* sRGB components in [0, 1] of HSLuv (@hue, 100, 50). */
void    messenger_avatar_rgb_for_hue (double      hue,
                                      double     *red,
                                      double     *green,
                                      double     *blue);

/* "#rrggbb" for @text, e.g. for CSS. */
char   *messenger_avatar_color       (const char *text);

/* Up to two letters: the first letter of the first and of the last word
 * of @name, upper-cased; one for a single word.  For a JID (no spaces,
 * an '@'), the first letter of the localpart.  "" when there is none. */
char   *messenger_avatar_initials    (const char *name);

G_END_DECLS
