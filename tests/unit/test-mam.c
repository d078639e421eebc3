/* test-mam.c: archive queries (XEP-0313 with XEP-0059 paging) in the
 * protocol library: the query, collecting one page, and refusing results
 * that do not come from the archive or belong to another query. */
#include "config.h"

#include "stream-pair.h"
#include "xmpp-carbons.h"
#include "xmpp-mam.h"

#define BOB "bob@" FAKE_SERVER_DOMAIN

typedef struct
{
  XmppMamPage *page;
  GError      *error;
  gboolean     done;
} QueryResult;

static void
queried_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  QueryResult *r = user_data;

  r->page = xmpp_mam_query_finish (XMPP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
query_result_clear (QueryResult *r)
{
  g_clear_pointer (&r->page, xmpp_mam_page_free);
  g_clear_error (&r->error);
  r->done = FALSE;
}

static char *
result_message (const char *from,
                const char *queryid,
                const char *id,
                const char *inner_from,
                const char *inner_to,
                const char *body,
                const char *stamp)
{
  return g_strdup_printf ("<message %s%s%s to='" STREAM_PAIR_JID "'>"
                          "<result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'>"
                          "<forwarded xmlns='urn:xmpp:forward:0'>"
                          "<delay xmlns='urn:xmpp:delay' stamp='%s'/>"
                          "<message xmlns='jabber:client' from='%s' to='%s' type='chat'>"
                          "<body>%s</body></message></forwarded></result></message>",
                          from ? "from='" : "", from ? from : "", from ? "'" : "",
                          queryid, id, stamp, inner_from, inner_to, body);
}

static void
write_fin (StreamPair *pair,
           XmppElement *iq,
           const char  *first,
           const char  *last,
           gboolean     complete)
{
  g_autofree char *xml = NULL;

  xml = g_strdup_printf ("<iq type='result' id='%s' to='" STREAM_PAIR_JID "'>"
                         "<fin xmlns='urn:xmpp:mam:2'%s><set xmlns='http://jabber.org/protocol/rsm'>"
                         "%s%s%s%s%s%s</set></fin></iq>",
                         xmpp_element_get_attribute (iq, "id"), complete ? " complete='true'" : "",
                         first ? "<first>" : "", first ? first : "", first ? "</first>" : "",
                         last ? "<last>" : "", last ? last : "", last ? "</last>" : "");
  fake_server_write (pair->fs, xml);
}

static void
test_query_and_page (void)
{
  StreamPair pair;
  XmppMamQuery query = { .after = "id-0", .max = 2 };
  QueryResult r = { 0 };
  XmppElement *iq, *element, *set;
  const char *queryid;
  g_autofree char *r1 = NULL;
  g_autofree char *r2 = NULL;
  XmppMessage *message;
  g_autofree char *stamp = NULL;

  stream_pair_open (&pair, NULL);
  xmpp_mam_query_async (pair.client, NULL, &query, NULL, queried_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_MAM, 0)) != NULL);

  /* To our own archive (no 'to'), with a query id and RSM paging. */
  g_assert_cmpstr (xmpp_element_get_attribute (iq, "type"), ==, "set");
  g_assert_null (xmpp_element_get_attribute (iq, "to"));
  element = xmpp_element_find_child (iq, XMPP_NS_MAM, "query");
  queryid = xmpp_element_get_attribute (element, "queryid");
  g_assert_nonnull (queryid);
  g_assert_null (xmpp_element_find_child (element, XMPP_NS_DATA, "x"));
  set = xmpp_element_find_child (element, XMPP_NS_RSM, "set");
  g_assert_nonnull (set);
  g_assert_cmpstr (xmpp_element_find_child_text (set, XMPP_NS_RSM, "max"), ==, "2");
  g_assert_cmpstr (xmpp_element_find_child_text (set, XMPP_NS_RSM, "after"), ==, "id-0");
  g_assert_null (xmpp_element_find_child (set, XMPP_NS_RSM, "before"));

  /* Our archive sends results without 'from' (or with our bare JID). */
  r1 = result_message (NULL, queryid, "id-1", BOB "/phone", STREAM_PAIR_BARE, "one", "2026-03-01T10:00:00Z");
  r2 = result_message (STREAM_PAIR_BARE, queryid, "id-2", STREAM_PAIR_BARE "/laptop", BOB, "two",
                       "2026-03-01T10:01:00.5Z");
  fake_server_write (pair.fs, r1);
  fake_server_write (pair.fs, r2);
  write_fin (&pair, iq, "id-1", "id-2", FALSE);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);

  g_assert_false (r.page->complete);
  g_assert_cmpstr (r.page->first, ==, "id-1");
  g_assert_cmpstr (r.page->last, ==, "id-2");
  g_assert_cmpuint (r.page->messages->len, ==, 2);
  message = r.page->messages->pdata[0];
  g_assert_cmpint (message->via, ==, XMPP_MESSAGE_VIA_ARCHIVE);
  g_assert_cmpstr (message->body, ==, "one");
  g_assert_cmpstr (xmpp_jid_to_string (message->from), ==, BOB "/phone");
  /* The archive id is the stanza-id, by the archive. */
  g_assert_cmpstr (message->stanza_id, ==, "id-1");
  g_assert_cmpstr (message->stanza_id_by, ==, STREAM_PAIR_BARE);
  /* When it was archived, from <forwarded/>. */
  g_assert_nonnull (message->delay);
  stamp = g_date_time_format_iso8601 (message->delay);
  g_assert_cmpstr (stamp, ==, "2026-03-01T10:00:00Z");
  message = r.page->messages->pdata[1];
  g_assert_cmpstr (message->body, ==, "two");
  g_assert_cmpstr (xmpp_jid_to_string (message->to), ==, BOB);
  g_assert_cmpint (g_date_time_get_microsecond (message->delay), ==, 500000);
  query_result_clear (&r);

  stream_pair_close (&pair);
}

static void
notification_cb (XmppMessenger *messenger,
                 XmppMessage   *message,
                 guint         *count)
{
  (*count)++;
}

/* Results are only taken from the archive, for this query. */
static void
test_foreign_results (void)
{
  StreamPair pair;
  XmppMamQuery query = { .max = 10 };
  QueryResult r = { 0 };
  g_autoptr(XmppMessenger) messenger = NULL;
  guint stray = 0;
  XmppElement *iq;
  const char *queryid;
  g_autofree char *good = NULL;
  g_autofree char *from_bob = NULL;
  g_autofree char *from_resource = NULL;
  g_autofree char *other_query = NULL;

  stream_pair_open (&pair, NULL);
  messenger = xmpp_messenger_new (pair.client);
  g_signal_connect (messenger, "message", G_CALLBACK (notification_cb), &stray);
  g_signal_connect (messenger, "notification", G_CALLBACK (notification_cb), &stray);

  xmpp_mam_query_async (pair.client, NULL, &query, NULL, queried_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_MAM, 0)) != NULL);
  queryid = xmpp_element_get_attribute (xmpp_element_find_child (iq, XMPP_NS_MAM, "query"), "queryid");

  from_bob = result_message (BOB, queryid, "x-1", BOB "/phone", STREAM_PAIR_BARE, "forged by bob",
                             "2026-03-01T10:00:00Z");
  from_resource = result_message (STREAM_PAIR_BARE "/laptop", queryid, "x-2", BOB "/phone",
                                  STREAM_PAIR_BARE, "forged by a resource", "2026-03-01T10:00:00Z");
  other_query = result_message (NULL, "not-ours", "x-3", BOB "/phone", STREAM_PAIR_BARE,
                                "another query", "2026-03-01T10:00:00Z");
  good = result_message (NULL, queryid, "g-1", BOB "/phone", STREAM_PAIR_BARE, "real",
                         "2026-03-01T10:00:00Z");
  fake_server_write (pair.fs, from_bob);
  fake_server_write (pair.fs, from_resource);
  fake_server_write (pair.fs, other_query);
  fake_server_write (pair.fs, good);
  write_fin (&pair, iq, "g-1", "g-1", TRUE);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.page->complete);
  g_assert_cmpuint (r.page->messages->len, ==, 1);
  g_assert_cmpstr (((XmppMessage *) r.page->messages->pdata[0])->body, ==, "real");
  /* Nor did any of them pass for a message. */
  g_assert_cmpuint (stray, ==, 0);
  query_result_clear (&r);

  /* After the answer, the query's results are no longer taken. */
  fake_server_write (pair.fs, good);
  fake_server_write (pair.fs, "<message from='" BOB "/phone' type='chat'><body>x</body></message>");
  WAIT_UNTIL (stray == 1);

  g_clear_object (&messenger);
  stream_pair_close (&pair);
}

static void
test_backward_and_filter (void)
{
  StreamPair pair;
  XmppMamQuery query = { .before = "", .with = BOB };
  QueryResult r = { 0 };
  XmppElement *iq, *element, *set, *form;
  gboolean with_seen = FALSE, form_type_seen = FALSE;

  stream_pair_open (&pair, NULL);
  xmpp_mam_query_async (pair.client, NULL, &query, NULL, queried_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_MAM, 0)) != NULL);
  element = xmpp_element_find_child (iq, XMPP_NS_MAM, "query");
  /* The newest page: an empty <before/>, no <max/>, no <after/>. */
  set = xmpp_element_find_child (element, XMPP_NS_RSM, "set");
  g_assert_nonnull (set);
  g_assert_nonnull (xmpp_element_find_child (set, XMPP_NS_RSM, "before"));
  g_assert_cmpstr (xmpp_element_find_child_text (set, XMPP_NS_RSM, "before"), ==, "");
  g_assert_null (xmpp_element_find_child (set, XMPP_NS_RSM, "after"));
  g_assert_null (xmpp_element_find_child (set, XMPP_NS_RSM, "max"));

  form = xmpp_element_find_child (element, XMPP_NS_DATA, "x");
  g_assert_nonnull (form);
  g_assert_cmpstr (xmpp_element_get_attribute (form, "type"), ==, "submit");
  for (XmppElement *field = xmpp_element_next_child (form, NULL); field != NULL;
       field = xmpp_element_next_child (form, field))
    {
      const char *var = xmpp_element_get_attribute (field, "var");
      const char *value = xmpp_element_find_child_text (field, XMPP_NS_DATA, "value");

      if (g_strcmp0 (var, "FORM_TYPE") == 0)
        form_type_seen = g_strcmp0 (value, XMPP_NS_MAM) == 0
                         && g_strcmp0 (xmpp_element_get_attribute (field, "type"), "hidden") == 0;
      else if (g_strcmp0 (var, "with") == 0)
        with_seen = g_strcmp0 (value, BOB) == 0;
    }
  g_assert_true (form_type_seen);
  g_assert_true (with_seen);

  /* An empty archive: no ids, complete. */
  write_fin (&pair, iq, NULL, NULL, TRUE);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.page->complete);
  g_assert_null (r.page->first);
  g_assert_null (r.page->last);
  g_assert_cmpuint (r.page->messages->len, ==, 0);
  query_result_clear (&r);

  stream_pair_close (&pair);
}

static void
test_error (void)
{
  StreamPair pair;
  XmppMamQuery query = { .after = "gone" };
  QueryResult r = { 0 };
  XmppElement *iq;
  g_autofree char *xml = NULL;

  stream_pair_open (&pair, NULL);
  xmpp_mam_query_async (pair.client, NULL, &query, NULL, queried_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_MAM, 0)) != NULL);
  /* XEP-0313 §4.3.2: an id the archive does not know. */
  xml = g_strdup_printf ("<iq type='error' id='%s' to='" STREAM_PAIR_JID "'><error type='cancel'>"
                         "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
                         xmpp_element_get_attribute (iq, "id"));
  fake_server_write (pair.fs, xml);
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, XMPP_STANZA_ERROR, XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_null (r.page);
  query_result_clear (&r);

  /* An answer without <fin/> is a protocol error. */
  xmpp_mam_query_async (pair.client, NULL, &query, NULL, queried_cb, &r);
  WAIT_UNTIL ((iq = stream_pair_find_nth (&pair, "iq", XMPP_NS_MAM, 1)) != NULL);
  g_free (xml);
  xml = g_strdup_printf ("<iq type='result' id='%s' to='" STREAM_PAIR_JID "'/>",
                         xmpp_element_get_attribute (iq, "id"));
  fake_server_write (pair.fs, xml);
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, XMPP_ERROR, XMPP_ERROR_PROTOCOL);
  query_result_clear (&r);

  stream_pair_close (&pair);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mam/query-and-page", test_query_and_page);
  g_test_add_func ("/mam/foreign-results", test_foreign_results);
  g_test_add_func ("/mam/backward-and-filter", test_backward_and_filter);
  g_test_add_func ("/mam/error", test_error);

  return g_test_run ();
}
