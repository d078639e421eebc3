/* bench-parser.c: XmppParser throughput and memory against bare libxml2
 *
 * Generates a stream of realistic stanzas in memory (messages with
 * thread/body/receipts/chat states, presence with show/status/caps, roster
 * pushes with groups, pings), then feeds the same bytes in fixed-size
 * chunks through
 *   1. libxml2's SAX2 push parser with no-op callbacks (the floor), and
 *   2. XmppParser, which builds an XmppElement tree per stanza,
 * and prints MB/s, stanzas/s, the ratio, and the resident memory after
 * 10% and after 100% of the stream (it must not grow with the stream).
 *
 *   bench-parser [--size MB] [--chunk BYTES] [--rounds N] [--only raw|xmpp]
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>

#include "xmpp-parser.h"

static const char *const words[] = {
  "hello", "there", "meeting", "tomorrow", "at", "ten", "o'clock", "see", "you", "then", "ok",
  "&", "<3", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
  "the", "build", "is", "green", "again", "thanks", "lunch?", "\"quoted\"", "link:", "https://example.org/a?b=c&d=e",
};

static const char *const contacts[] = {
  "bob@example.net", "carol@example.com", "dave@jabber.example", "eve@chat.example.org",
  "frank@example.net", "grace@example.com", "heidi@xmpp.example", "ivan@example.org",
};

static const char *const shows[] = { "away", "chat", "dnd", "xa" };

static void
append_uuid (GString *out,
             GRand   *rand)
{
  g_string_append_printf (out, "%08x-%04x-4%03x-%04x-%08x%04x",
                          g_rand_int (rand), g_rand_int (rand) & 0xffff, g_rand_int (rand) & 0xfff,
                          (g_rand_int (rand) & 0x3fff) | 0x8000, g_rand_int (rand), g_rand_int (rand) & 0xffff);
}

static void
append_words (GString *out,
              GRand   *rand,
              guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      xmpp_escape_text (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))], -1);
    }
}

static void
append_message (GString *s,
                GRand   *rand,
                guint    n)
{
  const char *from = contacts[g_rand_int_range (rand, 0, G_N_ELEMENTS (contacts))];

  g_string_append_printf (s, "<message from='%s/%s' to='alice@example.org/laptop' type='chat' id='",
                          from, n % 2 ? "phone" : "desktop");
  append_uuid (s, rand);
  g_string_append (s, "' xml:lang='en'><body>");
  append_words (s, rand, g_rand_int_range (rand, 1, 40));
  g_string_append (s, "</body><thread>");
  append_uuid (s, rand);
  g_string_append (s, "</thread><active xmlns='http://jabber.org/protocol/chatstates'/>");
  if (n % 3 == 0)
    g_string_append (s, "<request xmlns='urn:xmpp:receipts'/>");
  g_string_append (s, "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@example.org' id='");
  append_uuid (s, rand);
  g_string_append (s, "'/>");
  if (n % 7 == 0)
    g_string_append (s, "<delay xmlns='urn:xmpp:delay' from='example.org' stamp='2024-05-01T10:11:12.123Z'/>");
  g_string_append (s, "</message>");
}

static void
append_presence (GString *s,
                 GRand   *rand,
                 guint    n)
{
  g_string_append_printf (s, "<presence from='%s/%u' to='alice@example.org'>",
                          contacts[g_rand_int_range (rand, 0, G_N_ELEMENTS (contacts))], n % 5);
  if (n % 2)
    g_string_append_printf (s, "<show>%s</show>", shows[g_rand_int_range (rand, 0, G_N_ELEMENTS (shows))]);
  g_string_append (s, "<status>");
  append_words (s, rand, g_rand_int_range (rand, 0, 8));
  g_string_append_printf (s, "</status><priority>%d</priority>"
                          "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://dino.im' "
                          "ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
                          "<x xmlns='vcard-temp:x:update'><photo>%08x%08x%08x%08x%08x</photo></x></presence>",
                          g_rand_int_range (rand, -1, 50), g_rand_int (rand), g_rand_int (rand),
                          g_rand_int (rand), g_rand_int (rand), g_rand_int (rand));
}

static void
append_roster_push (GString *s,
                    GRand   *rand,
                    guint    n)
{
  guint groups = g_rand_int_range (rand, 0, 4);

  g_string_append (s, "<iq type='set' to='alice@example.org/laptop' id='push");
  append_uuid (s, rand);
  g_string_append_printf (s, "'><query xmlns='jabber:iq:roster' ver='ver%u'><item jid='contact%u@example.net' "
                          "name='Contact &amp; %u' subscription='%s'>",
                          n, n % 1000, n % 1000, n % 2 ? "both" : "to");
  for (guint i = 0; i < groups; i++)
    g_string_append_printf (s, "<group>Group %u</group>", (n + i) % 17);
  g_string_append (s, "</item></query></iq>");
}

static char *
generate_stream (gsize  target,
                 gsize *len,
                 guint *n_stanzas)
{
  GString *s = g_string_sized_new (target + 4096);
  GRand *rand = g_rand_new_with_seed (42);
  guint n = 0;

  g_string_append (s, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' from='example.org' "
                   "to='alice@example.org' id='bench' version='1.0' xml:lang='en'>");
  while (s->len < target)
    {
      guint kind = g_rand_int_range (rand, 0, 100);

      if (kind < 55)
        append_message (s, rand, n);
      else if (kind < 85)
        append_presence (s, rand, n);
      else if (kind < 95)
        append_roster_push (s, rand, n);
      else
        g_string_append_printf (s, "<iq from='example.org' to='alice@example.org/laptop' id='ping%u' type='get'>"
                                "<ping xmlns='urn:xmpp:ping'/></iq>", n);
      n++;
      if (n % 50 == 0)
        g_string_append_c (s, ' ');  /* the odd keep-alive */
    }
  g_string_append (s, "</stream:stream>");
  g_rand_free (rand);

  *n_stanzas = n;
  *len = s->len;
  return g_string_free (s, FALSE);
}

static gsize
status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  return line != NULL ? g_ascii_strtoull (line + strlen (field) + 1, NULL, 10) : 0;
}

/* The floor: libxml2 alone */

static guint raw_elements;

static void
raw_start_element (void           *ctx,
                   const xmlChar  *localname,
                   const xmlChar  *prefix,
                   const xmlChar  *uri,
                   int             nb_namespaces,
                   const xmlChar **namespaces,
                   int             nb_attributes,
                   int             nb_defaulted,
                   const xmlChar **attributes)
{
  raw_elements++;
}

static void
raw_end_element (void          *ctx,
                 const xmlChar *localname,
                 const xmlChar *prefix,
                 const xmlChar *uri)
{
}

static void
raw_characters (void          *ctx,
                const xmlChar *ch,
                int            len)
{
}

static double
run_raw (const char *data,
         gsize       len,
         gsize       chunk)
{
  xmlSAXHandler sax = { 0 };
  xmlParserCtxtPtr ctxt;
  gint64 start;

  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = raw_start_element;
  sax.endElementNs = raw_end_element;
  sax.characters = raw_characters;
  sax.ignorableWhitespace = raw_characters;

  raw_elements = 0;
  start = g_get_monotonic_time ();
  ctxt = xmlCreatePushParserCtxt (&sax, NULL, NULL, 0, NULL);
  xmlCtxtUseOptions (ctxt, XML_PARSE_NONET);
  for (gsize off = 0; off < len; off += chunk)
    if (xmlParseChunk (ctxt, data + off, (int) MIN (chunk, len - off), 0) != 0)
      g_error ("libxml2 failed at offset %" G_GSIZE_FORMAT, off);
  xmlFreeParserCtxt (ctxt);
  return (g_get_monotonic_time () - start) / 1e6;
}

/* XmppParser */

typedef struct
{
  guint stanzas;
  guint closes;
} Counts;

static void
count_element (XmppParser  *parser,
               XmppElement *element,
               gpointer     user_data)
{
  Counts *counts = user_data;

  counts->stanzas++;
}

static void
count_close (XmppParser *parser,
             gpointer    user_data)
{
  Counts *counts = user_data;

  counts->closes++;
}

static double
run_xmpp (const char *data,
          gsize       len,
          gsize       chunk,
          guint      *stanzas,
          gsize      *rss_tenth,
          gsize      *rss_end)
{
  const XmppParserCallbacks callbacks = { NULL, count_element, count_close };
  Counts counts = { 0, 0 };
  g_autoptr(XmppParser) parser = xmpp_parser_new (&callbacks, &counts);
  g_autoptr(GError) error = NULL;
  gsize tenth = len / 10;
  gint64 start;
  double seconds;

  *rss_tenth = 0;
  start = g_get_monotonic_time ();
  for (gsize off = 0; off < len; off += chunk)
    {
      if (!xmpp_parser_feed (parser, data + off, MIN (chunk, len - off), &error))
        g_error ("XmppParser failed at offset %" G_GSIZE_FORMAT ": %s", off, error->message);
      if (*rss_tenth == 0 && off >= tenth)
        *rss_tenth = status_kib ("VmRSS:");
    }
  seconds = (g_get_monotonic_time () - start) / 1e6;
  *rss_end = status_kib ("VmRSS:");
  if (counts.closes != 1)
    g_error ("stream not closed");
  *stanzas = counts.stanzas;
  return seconds;
}

int
main (int   argc,
      char *argv[])
{
  gint size_mb = 100;
  gint chunk = 4096;
  gint rounds = 3;
  g_autofree char *only = NULL;
  const GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_INT, &size_mb, "Stream size in MB (default 100)", "MB" },
    { "chunk", 'c', 0, G_OPTION_ARG_INT, &chunk, "Bytes per feed (default 4096)", "BYTES" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds, "Runs of each parser; the best counts (default 3)", "N" },
    { "only", 'o', 0, G_OPTION_ARG_STRING, &only, "Run only one parser (for profiling)", "raw|xmpp" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- XmppParser benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  double raw_best = G_MAXDOUBLE, xmpp_best = G_MAXDOUBLE, mb;
  gsize len, rss_start, rss_tenth = 0, rss_end = 0, hwm_start;
  guint generated, stanzas = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || size_mb <= 0 || chunk <= 0 || rounds <= 0)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "Bad arguments");
      return 1;
    }

  xmlInitParser ();
  data = generate_stream ((gsize) size_mb * 1000 * 1000, &len, &generated);
  mb = len / 1e6;
  g_print ("stream: %.1f MB, %u stanzas, fed in %d-byte chunks, best of %d runs\n",
           mb, generated, chunk, rounds);

  for (gint i = 0; i < rounds && g_strcmp0 (only, "xmpp") != 0; i++)
    raw_best = MIN (raw_best, run_raw (data, len, chunk));

  rss_start = status_kib ("VmRSS:");
  hwm_start = status_kib ("VmHWM:");
  for (gint i = 0; i < rounds && g_strcmp0 (only, "raw") != 0; i++)
    {
      gsize tenth, end;
      double seconds = run_xmpp (data, len, chunk, &stanzas, &tenth, &end);

      xmpp_best = MIN (xmpp_best, seconds);
      rss_tenth = MAX (rss_tenth, tenth);
      rss_end = MAX (rss_end, end);
    }
  if (only != NULL)
    {
      g_print ("%s: %.1f MB/s\n", only, mb / MIN (raw_best, xmpp_best));
      return 0;
    }
  if (stanzas != generated)
    g_error ("parsed %u stanzas, generated %u", stanzas, generated);

  g_print ("libxml2 SAX2, no-op callbacks: %8.1f MB/s  %10.0f stanzas/s\n", mb / raw_best, generated / raw_best);
  g_print ("XmppParser:                    %8.1f MB/s  %10.0f stanzas/s\n", mb / xmpp_best, generated / xmpp_best);
  g_print ("ratio: %.0f%% of bare libxml2 (target >= 60%%)\n", 100.0 * raw_best / xmpp_best);
  g_print ("RSS: %" G_GSIZE_FORMAT " KiB before parsing (stream buffer included), "
           "%" G_GSIZE_FORMAT " KiB after %.0f MB, %" G_GSIZE_FORMAT " KiB after %.0f MB "
           "(growth over the last 90%%: %+" G_GSSIZE_FORMAT " KiB)\n",
           rss_start, rss_tenth, mb / 10, rss_end, mb, (gssize) rss_end - (gssize) rss_tenth);
  g_print ("peak RSS (VmHWM): %" G_GSIZE_FORMAT " KiB before, %" G_GSIZE_FORMAT " KiB after\n",
           hwm_start, status_kib ("VmHWM:"));

  return 0;
}
