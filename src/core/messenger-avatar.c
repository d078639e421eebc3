/* messenger-avatar.c: XEP-0392 colours and initials
 *
 * HSLuv → RGB, as the XEP's "RGB generation" asks: HSLuv is CIE LCh(uv)
 * with the chroma scaled to the largest one the sRGB gamut allows at that
 * lightness and hue, so S = 100 is the most saturated colour that still
 * has the requested lightness.  The chain is HSLuv → LCh(uv) → Luv → XYZ
 * (D65) → linear sRGB → sRGB.  Checked against the XEP's test vectors in
 * tests/unit/test-contact.c.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "messenger-avatar.h"

/* XYZ → linear sRGB (D65). */
static const double M[3][3] = {
  {  3.240969941904521, -1.537383177570093, -0.498610760293    },
  { -0.96924363628087,   1.87596750150772,   0.041555057407175 },
  {  0.055630079696993, -0.20397695888897,   1.056971514242878 },
};

#define REF_U   0.19783000664283
#define REF_V   0.46831999493879
#define KAPPA   903.2962962
#define EPSILON 0.0088564516

double
messenger_avatar_hue (const char *text)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize length = sizeof digest;

  g_return_val_if_fail (text != NULL, 0.0);

  g_checksum_update (checksum, (const guchar *) text, strlen (text));
  g_checksum_get_digest (checksum, digest, &length);
  return (double) (digest[0] | (digest[1] << 8)) / 65536.0 * 360.0;
}

/* The largest chroma inside the sRGB gamut for lightness @l and hue @h:
 * each channel reaching 0 or 1 is a line in the (u, v) plane; the nearest
 * one along the hue's ray is the limit. */
static double
max_chroma (double l,
            double h)
{
  double sub1 = pow (l + 16.0, 3.0) / 1560896.0;
  double sub2 = sub1 > EPSILON ? sub1 : l / KAPPA;
  double hrad = h / 360.0 * 2.0 * G_PI;
  double result = G_MAXDOUBLE;

  for (guint c = 0; c < 3; c++)
    {
      double m1 = M[c][0], m2 = M[c][1], m3 = M[c][2];

      for (guint t = 0; t < 2; t++)
        {
          double top1 = (284517.0 * m1 - 94839.0 * m3) * sub2;
          double top2 = (838422.0 * m3 + 769860.0 * m2 + 731718.0 * m1) * l * sub2 - 769860.0 * t * l;
          double bottom = (632260.0 * m3 - 126452.0 * m2) * sub2 + 126452.0 * t;
          double slope = top1 / bottom;
          double intercept = top2 / bottom;
          double length = intercept / (sin (hrad) - slope * cos (hrad));

          if (length >= 0.0)
            result = MIN (result, length);
        }
    }
  return result;
}

static double
from_linear (double c)
{
  if (c <= 0.0031308)
    return 12.92 * c;
  return 1.055 * pow (c, 1.0 / 2.4) - 0.055;
}

void
messenger_avatar_rgb_for_hue (double  hue,
                              double *red,
                              double *green,
                              double *blue)
{
  const double l = 50.0, s = 100.0;
  double c, hrad, u, v, var_u, var_v, x, y, z;
  double rgb[3];

  g_return_if_fail (red != NULL && green != NULL && blue != NULL);

  /* HSLuv → LCh(uv) → Luv */
  c = max_chroma (l, hue) / 100.0 * s;
  hrad = hue / 360.0 * 2.0 * G_PI;
  u = cos (hrad) * c;
  v = sin (hrad) * c;

  /* Luv → XYZ */
  var_u = u / (13.0 * l) + REF_U;
  var_v = v / (13.0 * l) + REF_V;
  y = l <= 8.0 ? l / KAPPA : pow ((l + 16.0) / 116.0, 3.0);
  x = -(9.0 * y * var_u) / ((var_u - 4.0) * var_v - var_u * var_v);
  z = (9.0 * y - 15.0 * var_v * y - var_v * x) / (3.0 * var_v);

  /* XYZ → sRGB */
  for (guint i = 0; i < 3; i++)
    rgb[i] = CLAMP (from_linear (M[i][0] * x + M[i][1] * y + M[i][2] * z), 0.0, 1.0);

  *red = rgb[0];
  *green = rgb[1];
  *blue = rgb[2];
}

char *
messenger_avatar_color (const char *text)
{
  double r, g, b;

  g_return_val_if_fail (text != NULL, NULL);

  messenger_avatar_rgb_for_hue (messenger_avatar_hue (text), &r, &g, &b);
  return g_strdup_printf ("#%02x%02x%02x",
                          (guint) lround (r * 255.0), (guint) lround (g * 255.0), (guint) lround (b * 255.0));
}

/* The first letter or digit of a word, upper-cased, appended to @out. */
static gboolean
append_first_letter (GString    *out,
                     const char *word,
                     const char *end)
{
  for (const char *p = word; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        {
          g_string_append_unichar (out, g_unichar_toupper (c));
          return TRUE;
        }
    }
  return FALSE;
}

char *
messenger_avatar_initials (const char *name)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) words = NULL;
  const char *at;
  guint n = 0;

  g_return_val_if_fail (name != NULL, NULL);

  /* A JID: its localpart, or the domain when there is none. */
  at = strchr (name, '@');
  if (at != NULL && strchr (name, ' ') == NULL)
    {
      if (!append_first_letter (out, name, at))
        append_first_letter (out, at + 1, at + strlen (at));
      return g_string_free (g_steal_pointer (&out), FALSE);
    }

  words = g_strsplit_set (name, " \t\n", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      words[n++] = words[i];
    else
      g_free (words[i]);
  words[n] = NULL;

  if (n > 0)
    append_first_letter (out, words[0], words[0] + strlen (words[0]));
  if (n > 1)
    append_first_letter (out, words[n - 1], words[n - 1] + strlen (words[n - 1]));
  if (out->len == 0 && *name != '\0' && g_utf8_validate (name, -1, NULL))
    g_string_append_unichar (out, g_unichar_toupper (g_utf8_get_char (name)));
  return g_string_free (g_steal_pointer (&out), FALSE);
}
