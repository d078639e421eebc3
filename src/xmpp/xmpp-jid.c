/* xmpp-jid.c: parsing, enforcement and comparison of XMPP addresses
 *
 *   "Local@Example.COM./Balcony"
 *        │  split (RFC 7622 §3.1): resource after the first '/', then
 *        │  localpart before the first '@' of what remains
 *        ▼
 *   "Local"        "Example.COM."           "Balcony"
 *        │              │                        │
 *   prepare_local  prepare_domain           prepare_resource
 *   ASCII: check   ASCII: strip one '.',    ASCII: check
 *   bytes          check LDH labels         bytes
 *   else: width    else: width map, lower,  else: Zs → U+0020,
 *   map, class     NFC, A-label → U-label   NFC, FreeformClass,
 *   check, lower,  (GnuTLS), IDNA2008       context rules
 *   NFC, context,  check per label; or an
 *   bidi           IP literal
 *        │              │                        │
 *        └──────────────┴──────── jid_alloc ─────┘
 *                                    │
 *            one block: struct + "local@example.com/Balcony\0"
 *                                   + "local@example.com\0" + "local\0"
 *
 * On the ASCII paths a part is only checked, never copied: jid_alloc
 * copies it straight from the input, lowercasing the localpart and the
 * domainpart on the way.  Only non-ASCII parts allocate while being
 * enforced.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>

#include "xmpp-error.h"
#include "xmpp-jid.h"

/* No mapping shrinks a part by more than a factor of three (fullwidth
 * forms, the Kelvin sign, Hangul jamo), so longer input can never fit in
 * 1023 bytes; refusing it early bounds the work done on hostile input. */
#define MAX_INPUT_PART_LENGTH (4 * XMPP_JID_MAX_PART_LENGTH)

/* RFC 1035 §2.3.4, applied to the A-label form of each label. */
#define MAX_LABEL_LENGTH 63

struct _XmppJid
{
  gint        ref_count;
  guint       hash;          /* of the full string */
  guint       bare_hash;     /* of the bare string */
  guint16     local_len;
  guint16     domain_len;
  guint16     resource_len;
  const char *local;         /* NULL when absent, else in full[] */
  const char *domain;        /* in bare */
  const char *resource;      /* NULL when absent, else in full[] */
  const char *bare;          /* full[] itself for a bare JID */
  char        full[];        /* "l@d/r\0" ["l@d\0"] ["l\0"] */
};

/* A part being enforced: either a slice of the caller's string (ASCII
 * paths), a string in buf (IP literals) or an allocated string. */
typedef struct
{
  const char *str;
  gsize       len;
  char       *owned;
  char        buf[48];
} JidPart;

static void
jid_part_clear (JidPart *part)
{
  g_clear_pointer (&part->owned, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JidPart, jid_part_clear)

static gboolean set_malformed (GError     **error,
                               const char  *format,
                               ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_malformed (GError     **error,
               const char  *format,
               ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED, message);
  return FALSE;
}

static gboolean
set_bad_character (GError     **error,
                   const char  *part,
                   gunichar     c)
{
  if (c > 0x20 && c < 0x7f)
    return set_malformed (error, "The %s contains the character “%c”, which is not allowed there",
                          part, (char) c);
  return set_malformed (error, "The %s contains the character U+%04X, which is not allowed there",
                        part, c);
}

/* ----------------------------------------------------------------------
 * PRECIS derived property (RFC 8264 §8) computed from GLib's Unicode
 * tables.  GLib has no Default_Ignorable_Code_Point, so that short list
 * (DerivedCoreProperties.txt, Unicode 15) lives here.
 * ---------------------------------------------------------------------- */

typedef enum
{
  PRECIS_PVALID,
  PRECIS_FREE_PVAL,   /* ID_DIS: valid in FreeformClass only */
  PRECIS_CONTEXTJ,
  PRECIS_CONTEXTO,
  PRECIS_DISALLOWED,
  PRECIS_UNASSIGNED,
} PrecisProperty;

typedef struct
{
  gunichar first;
  gunichar last;
} CharRange;

static const CharRange default_ignorables[] = {
  { 0x00AD, 0x00AD }, { 0x034F, 0x034F }, { 0x061C, 0x061C },
  { 0x115F, 0x1160 }, { 0x17B4, 0x17B5 }, { 0x180B, 0x180F },
  { 0x200B, 0x200F }, { 0x202A, 0x202E }, { 0x2060, 0x206F },
  { 0x3164, 0x3164 }, { 0xFE00, 0xFE0F }, { 0xFEFF, 0xFEFF },
  { 0xFFA0, 0xFFA0 }, { 0xFFF0, 0xFFF8 }, { 0x1BCA0, 0x1BCA3 },
  { 0x1D173, 0x1D17A }, { 0xE0000, 0xE0FFF },
};

static gboolean
in_ranges (gunichar         c,
           const CharRange *ranges,
           gsize            n_ranges)
{
  for (gsize i = 0; i < n_ranges; i++)
    if (c >= ranges[i].first && c <= ranges[i].last)
      return TRUE;
  return FALSE;
}

static gboolean
is_noncharacter (gunichar c)
{
  return (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE;
}

/* RFC 8264 §9.9: toNFKC(c) != c. */
static gboolean
has_compat (gunichar c)
{
  gunichar compat[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gunichar canon[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  g_autofree char *nfkc = NULL;
  char utf8[8];
  gsize n_compat, n_canon;
  gint len;

  n_compat = g_unichar_fully_decompose (c, TRUE, compat, G_N_ELEMENTS (compat));
  if (n_compat == 1 && compat[0] == c)
    return FALSE;

  /* Different full decompositions compose to different strings. */
  n_canon = g_unichar_fully_decompose (c, FALSE, canon, G_N_ELEMENTS (canon));
  if (n_canon != n_compat || memcmp (canon, compat, n_canon * sizeof (gunichar)) != 0)
    return TRUE;

  /* Only a canonical decomposition: c is unchanged unless it is a
   * singleton or excluded from composition. */
  len = g_unichar_to_utf8 (c, utf8);
  utf8[len] = '\0';
  nfkc = g_utf8_normalize (utf8, len, G_NORMALIZE_NFKC);
  return nfkc == NULL || strcmp (nfkc, utf8) != 0;
}

static PrecisProperty
precis_property (gunichar c)
{
  GUnicodeType type;

  /* Exceptions (RFC 8264 §9.6, from RFC 5892 §2.6) */
  if (c == 0x00DF || c == 0x03C2 || c == 0x06FD || c == 0x06FE ||
      c == 0x0F0B || c == 0x3007)
    return PRECIS_PVALID;
  if (c == 0x00B7 || c == 0x0375 || c == 0x05F3 || c == 0x05F4 || c == 0x30FB ||
      (c >= 0x0660 && c <= 0x0669) || (c >= 0x06F0 && c <= 0x06F9))
    return PRECIS_CONTEXTO;
  if (c == 0x0640 || c == 0x07FA || c == 0x302E || c == 0x302F ||
      (c >= 0x3031 && c <= 0x3035) || c == 0x303B)
    return PRECIS_DISALLOWED;

  type = g_unichar_type (c);

  /* Unassigned */
  if (type == G_UNICODE_UNASSIGNED && !is_noncharacter (c))
    return PRECIS_UNASSIGNED;
  /* ASCII7 */
  if (c >= 0x21 && c <= 0x7E)
    return PRECIS_PVALID;
  /* JoinControl */
  if (c == 0x200C || c == 0x200D)
    return PRECIS_CONTEXTJ;
  /* OldHangulJamo */
  if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0xA960 && c <= 0xA97F) ||
      (c >= 0xD7B0 && c <= 0xD7FF))
    return PRECIS_DISALLOWED;
  /* PrecisIgnorableProperties */
  if (is_noncharacter (c) ||
      in_ranges (c, default_ignorables, G_N_ELEMENTS (default_ignorables)))
    return PRECIS_DISALLOWED;
  /* Controls */
  if (type == G_UNICODE_CONTROL)
    return PRECIS_DISALLOWED;
  /* HasCompat */
  if (has_compat (c))
    return PRECIS_FREE_PVAL;

  switch (type)
    {
    /* LetterDigits */
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_SPACING_MARK:
      return PRECIS_PVALID;

    /* OtherLetterDigits, Spaces, Symbols, Punctuation */
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_SPACE_SEPARATOR:
    case G_UNICODE_MATH_SYMBOL:
    case G_UNICODE_CURRENCY_SYMBOL:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_OTHER_SYMBOL:
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
      return PRECIS_FREE_PVAL;

    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
    default:
      return PRECIS_DISALLOWED;
    }
}

static gboolean
string_has_char_in (const gunichar *s,
                    gsize           n,
                    gunichar        first,
                    gunichar        last)
{
  for (gsize i = 0; i < n; i++)
    if (s[i] >= first && s[i] <= last)
      return TRUE;
  return FALSE;
}

/* The CONTEXTJ and CONTEXTO rules of RFC 5892 Appendix A for s[i].  ZERO
 * WIDTH NON-JOINER is only accepted after a virama: its other rule needs
 * Joining_Type, which GLib does not provide. */
static gboolean
context_rule_holds (const gunichar *s,
                    gsize           n,
                    gsize           i)
{
  gunichar c = s[i];

  if (c == 0x200C || c == 0x200D)
    return i > 0 && g_unichar_combining_class (s[i - 1]) == 9;
  if (c == 0x00B7)
    return i > 0 && i + 1 < n && s[i - 1] == 0x006C && s[i + 1] == 0x006C;
  if (c == 0x0375)
    return i + 1 < n && g_unichar_get_script (s[i + 1]) == G_UNICODE_SCRIPT_GREEK;
  if (c == 0x05F3 || c == 0x05F4)
    return i > 0 && g_unichar_get_script (s[i - 1]) == G_UNICODE_SCRIPT_HEBREW;
  if (c == 0x30FB)
    {
      for (gsize j = 0; j < n; j++)
        {
          GUnicodeScript script = g_unichar_get_script (s[j]);

          if (script == G_UNICODE_SCRIPT_HIRAGANA ||
              script == G_UNICODE_SCRIPT_KATAKANA ||
              script == G_UNICODE_SCRIPT_HAN)
            return TRUE;
        }
      return FALSE;
    }
  if (c >= 0x0660 && c <= 0x0669)
    return !string_has_char_in (s, n, 0x06F0, 0x06F9);
  if (c >= 0x06F0 && c <= 0x06F9)
    return !string_has_char_in (s, n, 0x0660, 0x0669);
  return TRUE;
}

/* Checks every code point of s against IdentifierClass (free_class FALSE)
 * or FreeformClass (TRUE).  The context rules need the final string, so
 * with_context is FALSE while checking a string that is still mapped. */
static gboolean
check_string_class (const gunichar  *s,
                    gsize            n,
                    gboolean         free_class,
                    gboolean         with_context,
                    const char      *part,
                    GError         **error)
{
  for (gsize i = 0; i < n; i++)
    {
      switch (precis_property (s[i]))
        {
        case PRECIS_PVALID:
          break;
        case PRECIS_FREE_PVAL:
          if (!free_class)
            return set_bad_character (error, part, s[i]);
          break;
        case PRECIS_CONTEXTJ:
        case PRECIS_CONTEXTO:
          if (with_context && !context_rule_holds (s, n, i))
            return set_bad_character (error, part, s[i]);
          break;
        case PRECIS_DISALLOWED:
        case PRECIS_UNASSIGNED:
        default:
          return set_bad_character (error, part, s[i]);
        }
    }
  return TRUE;
}

/* Width Mapping Rule (RFC 8264 §9.2): fullwidth and halfwidth forms to
 * their decomposition.  Returns the number of code points written. */
static gsize
width_map (gunichar  c,
           gunichar *out)
{
  if (c == 0x3000)
    {
      out[0] = 0x0020;
      return 1;
    }
  if (c >= 0xFF01 && c <= 0xFF5E)
    {
      out[0] = c - 0xFEE0;
      return 1;
    }
  if (c >= 0xFF5F && c <= 0xFFEE)
    return g_unichar_fully_decompose (c, TRUE, out, G_UNICHAR_MAX_DECOMPOSITION_LENGTH);
  out[0] = c;
  return 1;
}

/* Unicode toLowerCase() without context: the only unconditional
 * multi-character lowercase mapping is U+0130.  Final sigma is not
 * applied, so Σ always becomes σ (RFC 7622 §3.5). */
static void
append_lowercase (GString  *out,
                  gunichar  c)
{
  if (c == 0x0130)
    {
      g_string_append_c (out, 'i');
      g_string_append_unichar (out, 0x0307);
      return;
    }
  g_string_append_unichar (out, g_unichar_tolower (c));
}

/* ----------------------------------------------------------------------
 * Bidi Rule (RFC 5893 §2).  GLib has no Bidi_Class, so it is derived from
 * the script and the general category: letters of right-to-left scripts
 * are R, marks NSM, Arabic-Indic digits AN, the others as in ASCII.  This
 * matches Bidi_Class for the letters, digits and marks IdentifierClass
 * lets through; it is not a general Bidi_Class.
 * ---------------------------------------------------------------------- */

typedef enum
{
  BIDI_L,
  BIDI_R,     /* R and AL */
  BIDI_AN,
  BIDI_EN,
  BIDI_ES,
  BIDI_CS,
  BIDI_ET,
  BIDI_ON,
  BIDI_NSM,
} BidiClass;

static const GUnicodeScript rtl_scripts[] = {
  G_UNICODE_SCRIPT_HEBREW, G_UNICODE_SCRIPT_ARABIC, G_UNICODE_SCRIPT_SYRIAC,
  G_UNICODE_SCRIPT_THAANA, G_UNICODE_SCRIPT_NKO, G_UNICODE_SCRIPT_SAMARITAN,
  G_UNICODE_SCRIPT_MANDAIC, G_UNICODE_SCRIPT_CYPRIOT, G_UNICODE_SCRIPT_IMPERIAL_ARAMAIC,
  G_UNICODE_SCRIPT_PHOENICIAN, G_UNICODE_SCRIPT_KHAROSHTHI, G_UNICODE_SCRIPT_OLD_SOUTH_ARABIAN,
  G_UNICODE_SCRIPT_AVESTAN, G_UNICODE_SCRIPT_INSCRIPTIONAL_PARTHIAN,
  G_UNICODE_SCRIPT_INSCRIPTIONAL_PAHLAVI, G_UNICODE_SCRIPT_OLD_TURKIC, G_UNICODE_SCRIPT_LYDIAN,
  G_UNICODE_SCRIPT_MEROITIC_CURSIVE, G_UNICODE_SCRIPT_MEROITIC_HIEROGLYPHS,
  G_UNICODE_SCRIPT_MENDE_KIKAKUI, G_UNICODE_SCRIPT_NABATAEAN, G_UNICODE_SCRIPT_PALMYRENE,
  G_UNICODE_SCRIPT_MANICHAEAN, G_UNICODE_SCRIPT_PSALTER_PAHLAVI,
  G_UNICODE_SCRIPT_OLD_NORTH_ARABIAN, G_UNICODE_SCRIPT_HATRAN, G_UNICODE_SCRIPT_OLD_HUNGARIAN,
  G_UNICODE_SCRIPT_ADLAM, G_UNICODE_SCRIPT_HANIFI_ROHINGYA, G_UNICODE_SCRIPT_SOGDIAN,
  G_UNICODE_SCRIPT_OLD_SOGDIAN, G_UNICODE_SCRIPT_ELYMAIC, G_UNICODE_SCRIPT_CHORASMIAN,
  G_UNICODE_SCRIPT_YEZIDI, G_UNICODE_SCRIPT_OLD_UYGHUR,
};

static BidiClass
bidi_class (gunichar c)
{
  GUnicodeType type;
  GUnicodeScript script;

  if (c < 0x80)
    {
      if (g_ascii_isdigit (c))
        return BIDI_EN;
      if (g_ascii_isalpha (c))
        return BIDI_L;
      if (c == '+' || c == '-')
        return BIDI_ES;
      if (c == ',' || c == '.' || c == '/' || c == ':')
        return BIDI_CS;
      if (c == '#' || c == '$' || c == '%')
        return BIDI_ET;
      return BIDI_ON;
    }

  type = g_unichar_type (c);
  if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK)
    return BIDI_NSM;
  if ((c >= 0x0660 && c <= 0x0669) || (c >= 0x10D30 && c <= 0x10D39))
    return BIDI_AN;
  if (c >= 0x06F0 && c <= 0x06F9)
    return BIDI_EN;
  if (c == 0x00B7 || c == 0x0375 || c == 0x30FB)
    return BIDI_ON;

  script = g_unichar_get_script (c);
  for (gsize i = 0; i < G_N_ELEMENTS (rtl_scripts); i++)
    if (script == rtl_scripts[i])
      return BIDI_R;
  return BIDI_L;
}

static gboolean
check_bidi_rule (const gunichar  *s,
                 gsize            n,
                 const char      *part,
                 GError         **error)
{
  gboolean rtl = FALSE, has_en = FALSE, has_an = FALSE;
  BidiClass first, last = BIDI_NSM;

  for (gsize i = 0; i < n; i++)
    {
      BidiClass bc = bidi_class (s[i]);

      if (bc == BIDI_R || bc == BIDI_AN)
        rtl = TRUE;
    }
  if (!rtl || n == 0)
    return TRUE;

  /* Rules 1 and 2: an RTL string starts with R or AL. */
  first = bidi_class (s[0]);
  if (first != BIDI_R)
    goto fail;

  for (gsize i = 0; i < n; i++)
    {
      BidiClass bc = bidi_class (s[i]);

      /* Rule 2 */
      if (bc == BIDI_L)
        goto fail;
      has_en |= bc == BIDI_EN;
      has_an |= bc == BIDI_AN;
      if (bc != BIDI_NSM)
        last = bc;
    }
  /* Rule 3 */
  if (last != BIDI_R && last != BIDI_EN && last != BIDI_AN)
    goto fail;
  /* Rule 4 */
  if (has_en && has_an)
    goto fail;
  return TRUE;

fail:
  return set_malformed (error, "The %s mixes left-to-right and right-to-left text in a way "
                        "that can be displayed ambiguously", part);
}

/* ----------------------------------------------------------------------
 * Localpart: UsernameCaseMapped (RFC 8265 §3.3) + RFC 7622 §3.3.1
 * ---------------------------------------------------------------------- */

static gboolean
is_forbidden_in_localpart (gunichar c)
{
  return c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' ||
         c == '<' || c == '>' || c == '@';
}

static char *
enforce_localpart (const char  *in,
                   gsize        len,
                   GError     **error)
{
  g_autofree gunichar *chars = NULL;
  g_autofree gunichar *result = NULL;
  g_autoptr(GString) mapped = NULL;
  g_autofree char *nfc = NULL;
  glong n, n_result;

  if (!g_utf8_validate_len (in, len, NULL))
    {
      set_malformed (error, "The localpart is not valid UTF-8");
      return NULL;
    }

  /* Preparation: width mapping and the IdentifierClass check; then case
   * mapping and normalisation (RFC 8265 §3.3.3, §3.3.4). */
  chars = g_utf8_to_ucs4_fast (in, len, &n);
  mapped = g_string_sized_new (len + 8);
  for (glong i = 0; i < n; i++)
    {
      gunichar buf[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      gsize n_buf = width_map (chars[i], buf);

      if (!check_string_class (buf, n_buf, FALSE, FALSE, "localpart", error))
        return NULL;
      for (gsize j = 0; j < n_buf; j++)
        append_lowercase (mapped, buf[j]);
    }
  nfc = g_utf8_normalize (mapped->str, mapped->len, G_NORMALIZE_NFC);

  /* Enforcement checks on the final string. */
  result = g_utf8_to_ucs4_fast (nfc, -1, &n_result);
  if (!check_string_class (result, n_result, FALSE, TRUE, "localpart", error))
    return NULL;
  for (glong i = 0; i < n_result; i++)
    if (is_forbidden_in_localpart (result[i]))
      {
        set_bad_character (error, "localpart", result[i]);
        return NULL;
      }
  if (!check_bidi_rule (result, n_result, "localpart", error))
    return NULL;

  return g_steal_pointer (&nfc);
}

static gboolean
prepare_local (const char  *in,
               gsize        len,
               JidPart     *out,
               GError     **error)
{
  if (len == 0)
    return set_malformed (error, "The localpart is empty");
  if (len > MAX_INPUT_PART_LENGTH)
    return set_malformed (error, "The localpart is longer than %d bytes",
                          XMPP_JID_MAX_PART_LENGTH);

  for (gsize i = 0; i < len; i++)
    {
      guchar c = in[i];

      if (c >= 0x80)
        {
          out->owned = enforce_localpart (in, len, error);
          if (out->owned == NULL)
            return FALSE;
          out->str = out->owned;
          out->len = strlen (out->owned);
          goto check_length;
        }
      if (c <= 0x20 || c == 0x7f || is_forbidden_in_localpart (c))
        return set_bad_character (error, "localpart", c);
    }
  /* ASCII: lowercased by jid_alloc. */
  out->str = in;
  out->len = len;

check_length:
  if (out->len > XMPP_JID_MAX_PART_LENGTH)
    return set_malformed (error, "The localpart is longer than %d bytes",
                          XMPP_JID_MAX_PART_LENGTH);
  return TRUE;
}

/* ----------------------------------------------------------------------
 * Resourcepart: OpaqueString (RFC 8265 §4.2)
 * ---------------------------------------------------------------------- */

static char *
enforce_resource (const char  *in,
                  gsize        len,
                  GError     **error)
{
  g_autofree gunichar *chars = NULL;
  g_autofree gunichar *result = NULL;
  g_autoptr(GString) mapped = NULL;
  g_autofree char *nfc = NULL;
  glong n, n_result;

  if (!g_utf8_validate_len (in, len, NULL))
    {
      set_malformed (error, "The resourcepart is not valid UTF-8");
      return NULL;
    }

  /* Additional Mapping Rule: non-ASCII spaces to U+0020; then NFC. */
  chars = g_utf8_to_ucs4_fast (in, len, &n);
  mapped = g_string_sized_new (len);
  for (glong i = 0; i < n; i++)
    {
      if (g_unichar_type (chars[i]) == G_UNICODE_SPACE_SEPARATOR)
        g_string_append_c (mapped, ' ');
      else
        g_string_append_unichar (mapped, chars[i]);
    }
  nfc = g_utf8_normalize (mapped->str, mapped->len, G_NORMALIZE_NFC);

  result = g_utf8_to_ucs4_fast (nfc, -1, &n_result);
  if (!check_string_class (result, n_result, TRUE, TRUE, "resourcepart", error))
    return NULL;

  return g_steal_pointer (&nfc);
}

static gboolean
prepare_resource (const char  *in,
                  gsize        len,
                  JidPart     *out,
                  GError     **error)
{
  if (len == 0)
    return set_malformed (error, "The resourcepart is empty");
  if (len > MAX_INPUT_PART_LENGTH)
    return set_malformed (error, "The resourcepart is longer than %d bytes",
                          XMPP_JID_MAX_PART_LENGTH);

  out->str = in;
  out->len = len;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = in[i];

      if (c >= 0x80)
        {
          out->owned = enforce_resource (in, len, error);
          if (out->owned == NULL)
            return FALSE;
          out->str = out->owned;
          out->len = strlen (out->owned);
          break;
        }
      if (c < 0x20 || c == 0x7f)
        return set_bad_character (error, "resourcepart", c);
    }

  /* RFC 7622 §3.5 lists a leading space as invalid; OpaqueString alone
   * would keep it.  We reject it, after mapping, so that U+00A0 and
   * friends at the start are refused too. */
  if (out->str[0] == ' ')
    return set_malformed (error, "The resourcepart starts with a space");
  if (out->len > XMPP_JID_MAX_PART_LENGTH)
    return set_malformed (error, "The resourcepart is longer than %d bytes",
                          XMPP_JID_MAX_PART_LENGTH);
  return TRUE;
}

/* ----------------------------------------------------------------------
 * Domainpart (RFC 7622 §3.2)
 * ---------------------------------------------------------------------- */

/* Dotted-quad IPv4 in its only unambiguous form: four decimal numbers up
 * to 255, no leading zeros. */
static gboolean
parse_ipv4 (const char *s,
            gsize       len,
            guint8     *out)
{
  gsize i = 0;

  for (guint part = 0; part < 4; part++)
    {
      guint value = 0;
      gsize start = i;

      if (part > 0)
        {
          if (i >= len || s[i] != '.')
            return FALSE;
          start = ++i;
        }
      while (i < len && g_ascii_isdigit (s[i]) && i - start < 3)
        value = value * 10 + (s[i++] - '0');
      if (i == start || value > 255 || (i - start > 1 && s[start] == '0'))
        return FALSE;
      if (out != NULL)
        out[part] = value;
    }
  return i == len;
}

static gboolean
parse_ipv6 (const char *s,
            gsize       len,
            guint16    *groups)
{
  guint16 parsed[8];
  gint compress_at = -1;
  guint n = 0;
  gsize i = 0;

  if (len >= 2 && s[0] == ':' && s[1] == ':')
    {
      compress_at = 0;
      i = 2;
    }
  else if (len == 0 || s[0] == ':')
    return FALSE;

  while (i < len)
    {
      gsize start = i;
      gsize end = i;
      guint value = 0;

      while (end < len && s[end] != ':' && s[end] != '.')
        end++;
      if (end < len && s[end] == '.')
        {
          /* Embedded IPv4: the last 32 bits. */
          guint8 v4[4];

          if (n > 6 || !parse_ipv4 (s + start, len - start, v4))
            return FALSE;
          parsed[n++] = (v4[0] << 8) | v4[1];
          parsed[n++] = (v4[2] << 8) | v4[3];
          i = len;
          break;
        }
      if (n == 8 || end == start || end - start > 4)
        return FALSE;
      for (gsize j = start; j < end; j++)
        {
          if (!g_ascii_isxdigit (s[j]))
            return FALSE;
          value = (value << 4) | g_ascii_xdigit_value (s[j]);
        }
      parsed[n++] = value;
      i = end;
      if (i == len)
        break;

      /* s[i] == ':' */
      i++;
      if (i < len && s[i] == ':')
        {
          if (compress_at >= 0)
            return FALSE;
          compress_at = n;
          i++;
        }
      else if (i == len)
        return FALSE;
    }

  if (compress_at < 0)
    {
      if (n != 8)
        return FALSE;
      memcpy (groups, parsed, sizeof parsed);
      return TRUE;
    }
  if (n > 7)
    return FALSE;
  memset (groups, 0, 8 * sizeof (guint16));
  memcpy (groups, parsed, compress_at * sizeof (guint16));
  memcpy (groups + 8 - (n - compress_at), parsed + compress_at,
          (n - compress_at) * sizeof (guint16));
  return TRUE;
}

/* RFC 5952 §4 text form, with IPv4-mapped addresses in mixed notation. */
static void
format_ipv6 (const guint16 *groups,
             char          *out,
             gsize          size)
{
  gint best_start = -1, best_len = 1;
  char *p;

  for (gint i = 0; i < 8; )
    {
      gint j = i;

      while (j < 8 && groups[j] == 0)
        j++;
      if (j - i > best_len)
        {
          best_start = i;
          best_len = j - i;
        }
      i = j > i ? j : i + 1;
    }

  p = out;
  *p++ = '[';
  if (best_start == 0 && best_len == 5 && groups[5] == 0xffff)
    {
      p += g_snprintf (p, size - (p - out), "::ffff:%u.%u.%u.%u]",
                       groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff);
      return;
    }
  for (gint i = 0; i < 8; i++)
    {
      if (i == best_start)
        {
          p += g_snprintf (p, size - (p - out), "::");
          i += best_len - 1;
          continue;
        }
      if (i > 0 && i != best_start + best_len)
        *p++ = ':';
      p += g_snprintf (p, size - (p - out), "%x", groups[i]);
    }
  g_snprintf (p, size - (p - out), "]");
}

static gboolean
prepare_ip_literal (const char  *in,
                    gsize        len,
                    JidPart     *out,
                    GError     **error)
{
  guint16 groups[8];

  if (len < 2 || in[len - 1] != ']' || !parse_ipv6 (in + 1, len - 2, groups))
    return set_malformed (error, "The domainpart is not a valid IPv6 address literal");

  format_ipv6 (groups, out->buf, sizeof out->buf);
  out->str = out->buf;
  out->len = strlen (out->buf);
  return TRUE;
}

static gboolean
is_ascii_label_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

static gboolean
check_ascii_label (const char  *label,
                   gsize        len,
                   GError     **error)
{
  if (len == 0)
    return set_malformed (error, "The domainpart contains an empty label");
  if (len > MAX_LABEL_LENGTH)
    return set_malformed (error, "The domainpart contains a label longer than %d bytes",
                          MAX_LABEL_LENGTH);
  for (gsize i = 0; i < len; i++)
    if (!is_ascii_label_char (label[i]))
      return set_bad_character (error, "domainpart", (guchar) label[i]);
  if (label[0] == '-' || label[len - 1] == '-')
    return set_malformed (error, "A label of the domainpart starts or ends with a hyphen");
  return TRUE;
}

static gboolean
is_all_numeric (const char *s,
                gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && s[i] != '.')
      return FALSE;
  return TRUE;
}

static gboolean
has_a_label_prefix (const char *label,
                    gsize       len)
{
  return len >= 4 && g_ascii_strncasecmp (label, "xn--", 4) == 0;
}

/* An ASCII label "xn--…" (lowercase) to its U-label, appended to out. */
static gboolean
append_u_label (GString     *out,
                const char  *label,
                gsize        len,
                GError     **error)
{
  gnutls_datum_t ulabel = { NULL, 0 };
  gnutls_datum_t alabel = { NULL, 0 };
  gboolean ok;

  if (len > MAX_LABEL_LENGTH)
    return set_malformed (error, "The domainpart contains a label longer than %d bytes",
                          MAX_LABEL_LENGTH);

  /* Decoding alone accepts junk; the label is valid only if its U-label
   * encodes back to it under IDNA2008. */
  ok = gnutls_idna_reverse_map (label, len, &ulabel, 0) == 0 &&
       ulabel.size > 0 &&
       gnutls_idna_map ((const char *) ulabel.data, ulabel.size, &alabel,
                        GNUTLS_IDNA_FORCE_2008) == 0 &&
       alabel.size == len &&
       memcmp (alabel.data, label, len) == 0;
  if (ok)
    g_string_append_len (out, (const char *) ulabel.data, ulabel.size);

  gnutls_free (ulabel.data);
  gnutls_free (alabel.data);

  if (!ok)
    return set_malformed (error, "The domainpart contains an invalid A-label “%.*s”",
                          (int) len, label);
  return TRUE;
}

static gboolean
check_u_label (const char  *label,
               gsize        len,
               GError     **error)
{
  gnutls_datum_t alabel = { NULL, 0 };
  gnutls_datum_t ulabel = { NULL, 0 };
  gsize alabel_len;
  gboolean ok;
  int ret;

  for (gsize i = 0; i < len; i++)
    if ((guchar) label[i] < 0x80 && !g_ascii_isalnum (label[i]) && label[i] != '-')
      return set_bad_character (error, "domainpart", (guchar) label[i]);

  /* GnuTLS may map what IDNA2008 disallows (ǆ → dž), so the label is
   * valid only if it comes back unchanged from its A-label. */
  ret = gnutls_idna_map (label, len, &alabel, GNUTLS_IDNA_FORCE_2008);
  alabel_len = alabel.size;
  ok = ret == 0 &&
       gnutls_idna_reverse_map ((const char *) alabel.data, alabel.size, &ulabel, 0) == 0 &&
       ulabel.size == len &&
       memcmp (ulabel.data, label, len) == 0;
  gnutls_free (alabel.data);
  gnutls_free (ulabel.data);

  if (ret == GNUTLS_E_UNIMPLEMENTED_FEATURE)
    return set_malformed (error, "Internationalised domain names are not supported by this build");
  if (!ok)
    return set_malformed (error, "The domainpart contains a label that is not a valid "
                          "internationalised domain name label");
  if (alabel_len > MAX_LABEL_LENGTH)
    return set_malformed (error, "The domainpart contains a label longer than %d bytes",
                          MAX_LABEL_LENGTH);
  return TRUE;
}

/* Non-ASCII or A-label domains: map (width, lowercase, NFC, ideographic
 * full stops), then validate label by label, keeping U-labels. */
static char *
enforce_domain (const char  *in,
                gsize        len,
                GError     **error)
{
  g_autofree gunichar *chars = NULL;
  g_autoptr(GString) mapped = NULL;
  g_autoptr(GString) result = NULL;
  g_autofree char *nfc = NULL;
  const char *label;
  glong n;

  if (!g_utf8_validate_len (in, len, NULL))
    {
      set_malformed (error, "The domainpart is not valid UTF-8");
      return NULL;
    }

  chars = g_utf8_to_ucs4_fast (in, len, &n);
  mapped = g_string_sized_new (len + 8);
  for (glong i = 0; i < n; i++)
    {
      gunichar buf[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      gsize n_buf = width_map (chars[i], buf);

      for (gsize j = 0; j < n_buf; j++)
        {
          if (buf[j] == 0x3002 || buf[j] == 0xFF61)
            g_string_append_c (mapped, '.');
          else
            append_lowercase (mapped, buf[j]);
        }
    }
  nfc = g_utf8_normalize (mapped->str, mapped->len, G_NORMALIZE_NFC);

  result = g_string_sized_new (strlen (nfc));
  label = nfc;
  for (;;)
    {
      const char *dot = strchr (label, '.');
      gsize label_len = dot != NULL ? (gsize) (dot - label) : strlen (label);
      gboolean ascii = TRUE;

      for (gsize i = 0; i < label_len; i++)
        if ((guchar) label[i] >= 0x80)
          ascii = FALSE;

      if (!ascii)
        {
          if (!check_u_label (label, label_len, error))
            return NULL;
          g_string_append_len (result, label, label_len);
        }
      else if (has_a_label_prefix (label, label_len))
        {
          if (!append_u_label (result, label, label_len, error))
            return NULL;
        }
      else
        {
          if (!check_ascii_label (label, label_len, error))
            return NULL;
          g_string_append_len (result, label, label_len);
        }

      if (dot == NULL)
        break;
      g_string_append_c (result, '.');
      label = dot + 1;
    }

  if (is_all_numeric (result->str, result->len) && !parse_ipv4 (result->str, result->len, NULL))
    {
      set_malformed (error, "The domainpart is neither a host name nor a valid IPv4 address");
      return NULL;
    }

  return g_string_free (g_steal_pointer (&result), FALSE);
}

static gboolean
prepare_domain (const char  *in,
                gsize        len,
                JidPart     *out,
                GError     **error)
{
  gboolean slow = FALSE;
  gsize label_start = 0;

  /* RFC 7622 §3.2: one trailing dot is stripped before anything else. */
  if (len > 0 && in[len - 1] == '.')
    len--;
  if (len == 0)
    return set_malformed (error, "The domainpart is empty");
  if (len > MAX_INPUT_PART_LENGTH)
    return set_malformed (error, "The domainpart is longer than %d bytes",
                          XMPP_JID_MAX_PART_LENGTH);

  if (in[0] == '[')
    return prepare_ip_literal (in, len, out, error);

  for (gsize i = 0; i <= len; i++)
    {
      if (i == len || in[i] == '.')
        {
          if (has_a_label_prefix (in + label_start, i - label_start))
            slow = TRUE;
          else if (!slow && !check_ascii_label (in + label_start, i - label_start, error))
            return FALSE;
          label_start = i + 1;
        }
      else if ((guchar) in[i] >= 0x80)
        slow = TRUE;
    }

  if (slow)
    {
      out->owned = enforce_domain (in, len, error);
      if (out->owned == NULL)
        return FALSE;
      out->str = out->owned;
      out->len = strlen (out->owned);
    }
  else
    {
      if (is_all_numeric (in, len) && !parse_ipv4 (in, len, NULL))
        return set_malformed (error, "The domainpart is neither a host name nor a valid IPv4 address");
      /* ASCII: lowercased by jid_alloc. */
      out->str = in;
      out->len = len;
    }

  if (out->len > XMPP_JID_MAX_PART_LENGTH)
    return set_malformed (error, "The domainpart is longer than %d bytes",
                          XMPP_JID_MAX_PART_LENGTH);
  return TRUE;
}

/* ----------------------------------------------------------------------
 * The object
 * ---------------------------------------------------------------------- */

static inline void
copy_ascii_lower (char       *dest,
                  const char *src,
                  gsize       len)
{
  for (gsize i = 0; i < len; i++)
    dest[i] = g_ascii_tolower (src[i]);
}

/* Builds a JID from enforced parts; local and domain are lowercased
 * (ASCII only) while being copied. */
static XmppJid *
jid_alloc (const char *local,
           gsize       local_len,
           const char *domain,
           gsize       domain_len,
           const char *resource,
           gsize       resource_len)
{
  XmppJid *self;
  gsize bare_len, full_len, size;
  guint hash = 5381;
  char *p;

  bare_len = (local != NULL ? local_len + 1 : 0) + domain_len;
  full_len = bare_len + (resource != NULL ? resource_len + 1 : 0);
  size = full_len + 1
         + (resource != NULL ? bare_len + 1 : 0)
         + (local != NULL ? local_len + 1 : 0);

  self = g_malloc (sizeof (XmppJid) + size);
  self->ref_count = 1;
  self->local_len = local != NULL ? local_len : 0;
  self->domain_len = domain_len;
  self->resource_len = resource != NULL ? resource_len : 0;

  p = self->full;
  if (local != NULL)
    {
      copy_ascii_lower (p, local, local_len);
      p += local_len;
      *p++ = '@';
    }
  copy_ascii_lower (p, domain, domain_len);
  p += domain_len;
  if (resource != NULL)
    {
      *p++ = '/';
      memcpy (p, resource, resource_len);
      p += resource_len;
    }
  *p++ = '\0';

  /* djb2 (as g_str_hash), remembering the state after the bare part. */
  for (gsize i = 0; i < full_len; i++)
    {
      if (i == bare_len)
        self->bare_hash = hash;
      hash = (hash << 5) + hash + (guchar) self->full[i];
    }
  if (resource == NULL)
    self->bare_hash = hash;
  self->hash = hash;

  if (resource != NULL)
    {
      self->bare = p;
      memcpy (p, self->full, bare_len);
      p += bare_len;
      *p++ = '\0';
      self->resource = self->full + bare_len + 1;
    }
  else
    {
      self->bare = self->full;
      self->resource = NULL;
    }
  self->domain = self->bare + (local != NULL ? local_len + 1 : 0);

  if (local != NULL)
    {
      memcpy (p, self->full, local_len);
      p[local_len] = '\0';
      self->local = p;
    }
  else
    self->local = NULL;

  return self;
}

static XmppJid *
jid_new_from_slices (const char  *local,
                     gsize        local_len,
                     const char  *domain,
                     gsize        domain_len,
                     const char  *resource,
                     gsize        resource_len,
                     GError     **error)
{
  g_auto(JidPart) l = { NULL, 0, NULL, { 0 } };
  g_auto(JidPart) d = { NULL, 0, NULL, { 0 } };
  g_auto(JidPart) r = { NULL, 0, NULL, { 0 } };

  if (local != NULL && !prepare_local (local, local_len, &l, error))
    return NULL;
  if (!prepare_domain (domain, domain_len, &d, error))
    return NULL;
  if (resource != NULL && !prepare_resource (resource, resource_len, &r, error))
    return NULL;

  return jid_alloc (l.str, l.len, d.str, d.len, r.str, r.len);
}

XmppJid *
xmpp_jid_new (const char  *string,
              GError     **error)
{
  const char *slash, *at;
  gsize bare_len;

  g_return_val_if_fail (string != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* RFC 7622 §3.1: resource first, then localpart, before any mapping. */
  slash = strchr (string, '/');
  bare_len = slash != NULL ? (gsize) (slash - string) : strlen (string);
  at = memchr (string, '@', bare_len);

  if (at != NULL)
    return jid_new_from_slices (string, at - string,
                                at + 1, bare_len - (at - string) - 1,
                                slash != NULL ? slash + 1 : NULL,
                                slash != NULL ? strlen (slash + 1) : 0,
                                error);
  return jid_new_from_slices (NULL, 0,
                              string, bare_len,
                              slash != NULL ? slash + 1 : NULL,
                              slash != NULL ? strlen (slash + 1) : 0,
                              error);
}

XmppJid *
xmpp_jid_new_from_parts (const char  *local,
                         const char  *domain,
                         const char  *resource,
                         GError     **error)
{
  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return jid_new_from_slices (local, local != NULL ? strlen (local) : 0,
                              domain, strlen (domain),
                              resource, resource != NULL ? strlen (resource) : 0,
                              error);
}

XmppJid *
xmpp_jid_ref (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
xmpp_jid_unref (XmppJid *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_int_dec_and_test (&self->ref_count))
    g_free (self);
}

const char *
xmpp_jid_get_local (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->local;
}

const char *
xmpp_jid_get_domain (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->domain;
}

const char *
xmpp_jid_get_resource (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->resource;
}

const char *
xmpp_jid_to_string (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->full;
}

const char *
xmpp_jid_get_bare_string (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->bare;
}

XmppJid *
xmpp_jid_get_bare (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->resource == NULL)
    return xmpp_jid_ref (self);
  return jid_alloc (self->local, self->local_len,
                    self->domain, self->domain_len,
                    NULL, 0);
}

XmppJid *
xmpp_jid_get_domain_jid (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->local == NULL && self->resource == NULL)
    return xmpp_jid_ref (self);
  return jid_alloc (NULL, 0, self->domain, self->domain_len, NULL, 0);
}

XmppJid *
xmpp_jid_with_resource (XmppJid     *self,
                        const char  *resource,
                        GError     **error)
{
  g_auto(JidPart) r = { NULL, 0, NULL, { 0 } };

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (resource == NULL)
    return xmpp_jid_get_bare (self);
  if (!prepare_resource (resource, strlen (resource), &r, error))
    return NULL;
  if (self->resource != NULL && strcmp (self->resource, r.str) == 0)
    return xmpp_jid_ref (self);
  return jid_alloc (self->local, self->local_len,
                    self->domain, self->domain_len,
                    r.str, r.len);
}

gboolean
xmpp_jid_is_bare (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->resource == NULL;
}

gboolean
xmpp_jid_is_domain (XmppJid *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->local == NULL && self->resource == NULL;
}

gboolean
xmpp_jid_equal (XmppJid *a,
                XmppJid *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return a->hash == b->hash && strcmp (a->full, b->full) == 0;
}

gboolean
xmpp_jid_bare_equal (XmppJid *a,
                     XmppJid *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return a->bare_hash == b->bare_hash && strcmp (a->bare, b->bare) == 0;
}

guint
xmpp_jid_hash (gconstpointer jid)
{
  g_return_val_if_fail (jid != NULL, 0);
  return ((const XmppJid *) jid)->hash;
}

gboolean
xmpp_jid_equal_func (gconstpointer a,
                     gconstpointer b)
{
  return xmpp_jid_equal ((XmppJid *) a, (XmppJid *) b);
}

guint
xmpp_jid_bare_hash (gconstpointer jid)
{
  g_return_val_if_fail (jid != NULL, 0);
  return ((const XmppJid *) jid)->bare_hash;
}

gboolean
xmpp_jid_bare_equal_func (gconstpointer a,
                          gconstpointer b)
{
  return xmpp_jid_bare_equal ((XmppJid *) a, (XmppJid *) b);
}

char *
xmpp_jid_prepare (const char  *string,
                  GError     **error)
{
  g_autoptr(XmppJid) jid = NULL;

  g_return_val_if_fail (string != NULL, NULL);

  jid = xmpp_jid_new (string, error);
  if (jid == NULL)
    return NULL;
  return g_strdup (jid->full);
}
