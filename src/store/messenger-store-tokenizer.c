/* messenger-store-tokenizer.c: the full-text tokenizer, for every script
 *
 * SQLite's unicode61 tokenizer splits on spaces, so a Chinese sentence
 * becomes one giant token and searching for a word inside it finds nothing;
 * the trigram tokenizer needs at least three characters a term, and most
 * Chinese words have one or two.  This tokenizer, registered through the
 * FTS5 C API as "messenger", handles both kinds of writing:
 *
 *  - Scripts written with spaces (Latin, Cyrillic, Greek, Arabic, …) give one
 *    token per run of letters and digits, lowercased and with diacritics and
 *    compatibility forms folded away: "Café" → "cafe", "Ｆｕｌｌ" → "full".
 *
 *  - Scripts written without spaces (Han, kana, Hangul, Thai, Lao, Khmer,
 *    Myanmar, …) are indexed as overlapping character n-grams.  In a
 *    document every character is a token, and the bigram it starts is a
 *    second token at the same position (FTS5_TOKEN_COLOCATED):
 *
 *        text      中     华     人     民
 *        position  0      1      2      3
 *        unigram   中     华     人     民
 *        bigram    中华   华人   人民
 *
 *    A query for one character looks up its unigram.  A query for n ≥ 2
 *    characters becomes the phrase of its n-1 bigrams followed by the last
 *    character's unigram ("华人民" → 华人 人民 民, positions 1, 2, 3), so
 *    every query character owns one position, phrases mixing scripts line up
 *    ("用Linux" → 用 linux), and snippet() highlights exactly the matched
 *    characters.  Bigrams keep long queries selective; unigrams make one-
 *    character queries possible at all.
 *
 * Combining marks stay with the character they follow: folded away after a
 * letter of a spaced script (diacritics), kept after an n-gram character
 * (Thai and Khmer vowel signs are letters in all but name).
 */
#include "config.h"

#include <string.h>

#include "messenger-store-private.h"

#define MAX_WORD_BYTES 255
#define MAX_UNIT_BYTES 32

typedef enum
{
  CLASS_SEPARATOR,
  CLASS_WORD,
  CLASS_NGRAM,
  CLASS_MARK,
} CharClass;

typedef int (*TokenCallback) (void       *ctx,
                              int         flags,
                              const char *token,
                              int         length,
                              int         start,
                              int         end);

typedef struct
{
  char text[MAX_UNIT_BYTES];
  int  length;
  int  start;
  int  end;
} Unit;

typedef struct
{
  gboolean       query;
  TokenCallback  emit;
  void          *ctx;
  int            rc;

  gboolean       in_word;
  char           word[MAX_WORD_BYTES + 1];
  int            word_length;
  int            word_start;
  int            word_end;

  gboolean       have_prev;
  gboolean       have_cur;
  Unit           prev;
  Unit           cur;
} Tokenizer;

static gboolean
is_ngram_script (gunichar ch)
{
  GUnicodeScript script = g_unichar_get_script (ch);

  if (script == G_UNICODE_SCRIPT_HAN
      || script == G_UNICODE_SCRIPT_HIRAGANA
      || script == G_UNICODE_SCRIPT_KATAKANA
      || script == G_UNICODE_SCRIPT_HANGUL
      || script == G_UNICODE_SCRIPT_BOPOMOFO
      || script == G_UNICODE_SCRIPT_YI
      || script == G_UNICODE_SCRIPT_THAI
      || script == G_UNICODE_SCRIPT_LAO
      || script == G_UNICODE_SCRIPT_KHMER
      || script == G_UNICODE_SCRIPT_MYANMAR
      || script == G_UNICODE_SCRIPT_TIBETAN)
    return TRUE;

  /* The prolonged sound mark (ー, ｰ) and its kin are "Common" letters that
   * only ever occur inside Japanese words. */
  return script == G_UNICODE_SCRIPT_COMMON
         && ((ch >= 0x3000 && ch <= 0x30ff) || ch == 0xff70);
}

static CharClass
classify (gunichar ch)
{
  if (ch < 0x80)
    return g_ascii_isalnum (ch) ? CLASS_WORD : CLASS_SEPARATOR;
  if (g_unichar_ismark (ch))
    return CLASS_MARK;
  if (!g_unichar_isalnum (ch))
    return CLASS_SEPARATOR;
  return is_ngram_script (ch) ? CLASS_NGRAM : CLASS_WORD;
}

/* Reads one character; invalid UTF-8 reads as a one-byte separator. */
static gunichar
read_char (const char *text,
           int         length,
           int         offset,
           int        *char_length)
{
  const char *p = text + offset;
  gunichar ch = g_utf8_get_char_validated (p, length - offset);

  if (ch == (gunichar) -1 || ch == (gunichar) -2)
    {
      *char_length = 1;
      return ' ';
    }
  *char_length = g_utf8_next_char (p) - p;
  return ch;
}

static void
append_unichar (char     *buffer,
                int      *length,
                int       capacity,
                gunichar  ch)
{
  char utf8[6];
  int n = g_unichar_to_utf8 (ch, utf8);

  /* Too long a token is cut at a character boundary, the same way for the
   * document and the query, so the cut tokens still match. */
  if (*length + n <= capacity)
    {
      memcpy (buffer + *length, utf8, n);
      *length += n;
    }
}

static void
append_word_char (Tokenizer *tok,
                  gunichar   ch)
{
  gunichar decomposed[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
  gsize n, i;

  if (ch < 0x80)
    {
      if (tok->word_length < MAX_WORD_BYTES)
        tok->word[tok->word_length++] = g_ascii_tolower ((char) ch);
      return;
    }

  n = g_unichar_fully_decompose (ch, TRUE, decomposed, G_N_ELEMENTS (decomposed));
  for (i = 0; i < n; i++)
    if (!g_unichar_ismark (decomposed[i]))
      append_unichar (tok->word, &tok->word_length, MAX_WORD_BYTES,
                      g_unichar_tolower (decomposed[i]));
}

static gunichar
fold_ngram_char (gunichar ch)
{
  gunichar decomposed[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];

  /* Half-width katakana and the like map to one character; Hangul
   * syllables decompose into jamo, which we keep whole. */
  if (g_unichar_fully_decompose (ch, TRUE, decomposed, G_N_ELEMENTS (decomposed)) == 1)
    return g_unichar_tolower (decomposed[0]);
  return ch;
}

static void
emit (Tokenizer  *tok,
      int         flags,
      const char *token,
      int         length,
      int         start,
      int         end)
{
  if (tok->rc == SQLITE_OK && length > 0)
    tok->rc = tok->emit (tok->ctx, flags, token, length, start, end);
}

static void
end_word (Tokenizer *tok)
{
  if (!tok->in_word)
    return;

  emit (tok, 0, tok->word, tok->word_length, tok->word_start, tok->word_end);
  tok->in_word = FALSE;
  tok->word_length = 0;
}

static void
emit_bigram (Tokenizer *tok,
             int        flags)
{
  char bigram[2 * MAX_UNIT_BYTES];

  memcpy (bigram, tok->prev.text, tok->prev.length);
  memcpy (bigram + tok->prev.length, tok->cur.text, tok->cur.length);
  emit (tok, flags, bigram, tok->prev.length + tok->cur.length,
        tok->prev.start, tok->cur.end);
}

/* The current unit is complete: now the bigram it closes is known. */
static void
complete_unit (Tokenizer *tok)
{
  if (!tok->have_cur)
    return;

  if (tok->have_prev)
    {
      if (tok->query)
        {
          emit_bigram (tok, 0);
        }
      else
        {
          emit (tok, 0, tok->prev.text, tok->prev.length, tok->prev.start, tok->prev.end);
          emit_bigram (tok, FTS5_TOKEN_COLOCATED);
        }
    }

  tok->prev = tok->cur;
  tok->have_prev = TRUE;
  tok->have_cur = FALSE;
}

static void
end_ngram_run (Tokenizer *tok)
{
  complete_unit (tok);
  if (tok->have_prev)
    emit (tok, 0, tok->prev.text, tok->prev.length, tok->prev.start, tok->prev.end);
  tok->have_prev = FALSE;
}

static int
tokenize (gboolean       query,
          const char    *text,
          int            length,
          TokenCallback  callback,
          void          *ctx)
{
  Tokenizer tok = { 0, };
  int offset = 0;

  tok.query = query;
  tok.emit = callback;
  tok.ctx = ctx;
  tok.rc = SQLITE_OK;

  while (offset < length && tok.rc == SQLITE_OK)
    {
      int char_length;
      gunichar ch = read_char (text, length, offset, &char_length);
      int end = offset + char_length;

      switch (classify (ch))
        {
        case CLASS_WORD:
          end_ngram_run (&tok);
          if (!tok.in_word)
            {
              tok.in_word = TRUE;
              tok.word_start = offset;
            }
          append_word_char (&tok, ch);
          tok.word_end = end;
          break;

        case CLASS_NGRAM:
          end_word (&tok);
          complete_unit (&tok);
          tok.cur.length = 0;
          append_unichar (tok.cur.text, &tok.cur.length, MAX_UNIT_BYTES, fold_ngram_char (ch));
          tok.cur.start = offset;
          tok.cur.end = end;
          tok.have_cur = TRUE;
          break;

        case CLASS_MARK:
          if (tok.in_word)
            {
              tok.word_end = end;
            }
          else if (tok.have_cur)
            {
              append_unichar (tok.cur.text, &tok.cur.length, MAX_UNIT_BYTES, ch);
              tok.cur.end = end;
            }
          break;

        case CLASS_SEPARATOR:
        default:
          end_word (&tok);
          end_ngram_run (&tok);
          break;
        }

      offset = end;
    }

  end_word (&tok);
  end_ngram_run (&tok);

  return tok.rc;
}

/* The FTS5 tokenizer object carries no state: one static instance serves
 * every table and connection. */
static int tokenizer_instance;

static int
fts5_create (void            *user_data,
             const char     **args,
             int              n_args,
             Fts5Tokenizer  **out)
{
  *out = (Fts5Tokenizer *) &tokenizer_instance;
  return SQLITE_OK;
}

static void
fts5_delete (Fts5Tokenizer *tokenizer)
{
}

static int
fts5_tokenize (Fts5Tokenizer *tokenizer,
               void          *ctx,
               int            flags,
               const char    *text,
               int            length,
               int          (*callback) (void *, int, const char *, int, int, int))
{
  /* Documents and snippet()/highlight() (FTS5_TOKENIZE_AUX) must agree on
   * positions; only queries are tokenized differently. */
  return tokenize ((flags & FTS5_TOKENIZE_QUERY) != 0, text, length, callback, ctx);
}

static fts5_api *
get_fts5_api (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  fts5_api *api = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_pointer (stmt, 1, &api, "fts5_api_ptr", NULL);
  sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return api;
}

gboolean
_messenger_store_tokenizer_register (sqlite3  *db,
                                     GError  **error)
{
  static fts5_tokenizer tokenizer = { fts5_create, fts5_delete, fts5_tokenize };
  fts5_api *api = get_fts5_api (db);
  int rc;

  if (api == NULL || api->iVersion < 2)
    {
      g_set_error_literal (error, MESSENGER_STORE_ERROR, MESSENGER_STORE_ERROR_OPEN,
                           "This SQLite library was built without full-text search (FTS5)");
      return FALSE;
    }

  rc = api->xCreateTokenizer (api, "messenger", NULL, &tokenizer, NULL);
  if (rc != SQLITE_OK)
    {
      _messenger_store_set_error (error, db, rc, "Cannot register the search tokenizer");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  StoreTokenFunc func;
  gpointer       user_data;
} ForeachData;

static int
foreach_token_cb (void       *ctx,
                  int         flags,
                  const char *token,
                  int         length,
                  int         start,
                  int         end)
{
  ForeachData *data = ctx;

  data->func (token, length, (flags & FTS5_TOKEN_COLOCATED) != 0, data->user_data);
  return SQLITE_OK;
}

/* For tests: what the index (or a query) sees in a text. */
void
_messenger_store_tokenize (const char     *text,
                           gboolean        query,
                           StoreTokenFunc  func,
                           gpointer        user_data)
{
  ForeachData data = { func, user_data };

  tokenize (query, text, strlen (text), foreach_token_cb, &data);
}

static void
last_token_cb (const char *token,
               gsize       length,
               gboolean    colocated,
               gpointer    user_data)
{
  char **last = user_data;

  g_free (*last);
  *last = g_strndup (token, length);
}

/* Whether searching for words that begin with the last word of @term is
 * worth it: not for an n-gram character (its bigrams already match inside
 * longer words, and a prefix over one character would expand to every
 * bigram that starts with it), nor for one or two letters (the prefix
 * would expand to half the vocabulary: such a term matches whole words).
 * Three and four letters are served by the prefix indexes; longer
 * prefixes expand to few words. */
static gboolean
wants_prefix (const char *term,
              gsize       length)
{
  g_autofree char *copy = g_strndup (term, length);
  g_autofree char *last = NULL;

  _messenger_store_tokenize (copy, TRUE, last_token_cb, &last);
  return last != NULL
         && classify (g_utf8_get_char (last)) == CLASS_WORD
         && g_utf8_strlen (last, -1) >= 3;
}

static gboolean
append_term (GString    *query,
             const char *term,
             gsize       length)
{
  gboolean searchable = FALSE;
  const char *p;

  for (p = term; p < term + length && !searchable; p = g_utf8_next_char (p))
    {
      CharClass class = classify (g_utf8_get_char (p));

      searchable = class == CLASS_WORD || class == CLASS_NGRAM;
    }
  if (!searchable)
    return FALSE;

  if (query->len > 0)
    g_string_append_c (query, ' ');
  g_string_append_c (query, '"');
  for (p = term; p < term + length; p++)
    {
      if (*p == '"')
        g_string_append_c (query, '"');
      g_string_append_c (query, *p);
    }
  g_string_append_c (query, '"');
  return TRUE;
}

/* Turns what a person typed into an FTS5 query: every space-separated term
 * must occur (each quoted, so FTS5 operators and punctuation are literal
 * text), and the last one may be the beginning of a word (see
 * wants_prefix()), so results follow the typing.  Returns NULL when nothing
 * in the text can be searched for. */
char *
_messenger_store_build_match_query (const char *text)
{
  g_autoptr(GString) query = NULL;
  const char *term = NULL;
  const char *last_term = NULL;
  gsize last_length = 0;
  const char *p;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;

  query = g_string_new (NULL);
  for (p = text; ; p = g_utf8_next_char (p))
    {
      gboolean end = *p == '\0';

      if (end || g_unichar_isspace (g_utf8_get_char (p)))
        {
          if (term != NULL && append_term (query, term, p - term))
            {
              last_term = term;
              last_length = p - term;
            }
          term = NULL;
          if (end)
            break;
        }
      else if (term == NULL)
        {
          term = p;
        }
    }

  if (query->len == 0)
    return NULL;
  if (wants_prefix (last_term, last_length))
    g_string_append (query, " *");
  return g_string_free (g_steal_pointer (&query), FALSE);
}
