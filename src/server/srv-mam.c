/* srv-mam.c: XEP-0313 Message Archive Management (urn:xmpp:mam:2), with
 * XEP-0059 paging and XEP-0359 stanza-ids
 *
 *   message hooks   (before carbons)  take off any stanza-id that claims
 *                   to be the account's (XEP-0359 §3); store a normal or
 *                   chat message with a body (or a <store/> hint, and
 *                   without <no-store/>/<no-permanent-store/>) in the
 *                   account's archive; put the new id on the message as
 *                   <stanza-id by='account'/> so the recipient and every
 *                   carbon see it
 *                   (after carbons)   take the sender's own stanza-id off
 *                   the outgoing message again: contacts never see it
 *   iq get <query/>      the form of supported fields (§4.1.5)
 *   iq set <query/>      filters with, start, end, before-id, after-id,
 *                        ids; RSM max/after/before (empty <before/> =
 *                        the last page; max 0 = the count only);
 *                        <flip-page/>.  The matching messages go out as
 *                        <result/> messages, then the iq result with
 *                        <fin complete?><set><first index/><last/><count/>
 *                        (the count and the index come from the archive's
 *                        indexes, never from reading the rows)
 *   iq get <metadata/>   the first and the last message (#extended)
 *
 * Only the account itself queries its archive: an iq to another
 * account's archive gets service-unavailable, like one to an account that
 * does not exist.  A message between two local accounts is stored in
 * both archives; a message to oneself once (as sent).
 */
#include "config.h"

#include <string.h>

#include "srv-disco.h"
#include "srv-mam.h"

#define NS_CLIENT        "jabber:client"
#define NS_MAM_EXTENDED  "urn:xmpp:mam:2#extended"
#define NS_RSM           "http://jabber.org/protocol/rsm"
#define NS_DATA          "jabber:x:data"
#define NS_VALIDATE      "http://jabber.org/protocol/xdata-validate"
#define NS_FORWARD       "urn:xmpp:forward:0"
#define NS_DELAY         "urn:xmpp:delay"
#define NS_HINTS         "urn:xmpp:hints"

/* Results per page when the client gives no <max/>, and the most we send
 * whatever it asks (XEP-0313 §4.3.1 lets the server limit pages). */
#define DEFAULT_PAGE     50
#define MAX_PAGE         250
#define MAX_IDS          MAX_PAGE

/* --- stanza-ids -------------------------------------------------------- */

static gboolean
claims_user (const char *by,
             const char *user)
{
  g_autoptr(XmppJid) jid = NULL;

  if (by == NULL)
    return FALSE;
  if (strcmp (by, user) == 0)
    return TRUE;
  /* The same JID spelt differently ("A@Example.org") still claims it. */
  jid = xmpp_jid_new (by, NULL);
  return jid != NULL && xmpp_jid_is_bare (jid) && strcmp (xmpp_jid_to_string (jid), user) == 0;
}

/* Remove every <stanza-id/> whose 'by' is @user. */
static void
remove_stanza_ids (XmppElement *message,
                   const char  *user)
{
  XmppElement *child = NULL;
  g_autoptr(GPtrArray) doomed = NULL;

  while ((child = xmpp_element_next_child (message, child)) != NULL)
    {
      if (!xmpp_element_is (child, SRV_NS_SID, "stanza-id") ||
          !claims_user (xmpp_element_get_attribute (child, "by"), user))
        continue;
      if (doomed == NULL)
        doomed = g_ptr_array_new ();
      g_ptr_array_add (doomed, child);
    }
  for (guint i = 0; doomed != NULL && i < doomed->len; i++)
    xmpp_element_remove_child (message, g_ptr_array_index (doomed, i));
}

/* --- archiving --------------------------------------------------------- */

/* XEP-0313 §6.1.1: normal and chat messages with a body; XEP-0334 hints
 * can add (<store/>) or remove (<no-store/>, <no-permanent-store/>). */
static gboolean
should_archive (XmppElement *message)
{
  const char *type = xmpp_element_get_attribute (message, "type");

  if (g_strcmp0 (type, "groupchat") == 0 || g_strcmp0 (type, "headline") == 0 ||
      g_strcmp0 (type, "error") == 0)
    return FALSE;
  if (xmpp_element_find_child (message, NS_HINTS, "no-store") != NULL ||
      xmpp_element_find_child (message, NS_HINTS, "no-permanent-store") != NULL)
    return FALSE;
  return xmpp_element_find_child (message, NS_CLIENT, "body") != NULL ||
         xmpp_element_find_child (message, NS_HINTS, "store") != NULL;
}

/* The peer of @user in @message, as a bare JID (the account itself for a
 * message without 'to'); NULL when it does not parse. */
static XmppJid *
peer_of (XmppElement *message,
         gboolean     outgoing)
{
  const char *text = xmpp_element_get_attribute (message, outgoing ? "to" : "from");
  g_autoptr(XmppJid) jid = NULL;

  if (text == NULL && outgoing)
    text = xmpp_element_get_attribute (message, "from");
  if (text == NULL || (jid = xmpp_jid_new (text, NULL)) == NULL)
    return NULL;
  return xmpp_jid_get_bare (jid);
}

/* RFC 6121 §8.5.3.2.1: a normal message to a resource that is gone is
 * dropped by the router; the account never had it, so it keeps no copy. */
static gboolean
is_dropped (SrvServer   *server,
            XmppElement *message)
{
  const char *to = xmpp_element_get_attribute (message, "to");
  g_autoptr(XmppJid) jid = NULL;

  if (to == NULL || strchr (to, '/') == NULL ||
      g_strcmp0 (xmpp_element_get_attribute (message, "type"), "chat") == 0)
    return FALSE;
  jid = xmpp_jid_new (to, NULL);
  return jid != NULL && xmpp_jid_get_resource (jid) != NULL && srv_server_find_session (server, jid) == NULL;
}

static void
archive_hook_cb (SrvServer   *server,
                 const char  *user,
                 gboolean     outgoing,
                 XmppElement *message,
                 gpointer     user_data)
{
  gboolean archiving = GPOINTER_TO_INT (user_data);
  g_autoptr(XmppJid) peer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  XmppElement *stanza_id;

  if (!archiving || !should_archive (message))
    {
      /* Nothing is stored: only the anti-spoofing rule applies. */
      remove_stanza_ids (message, user);
      return;
    }

  peer = peer_of (message, outgoing);
  if (peer == NULL)
    return;
  /* To oneself: the outgoing side stored it and marked it already. */
  if (!outgoing && strcmp (xmpp_jid_get_bare_string (peer), user) == 0)
    return;
  remove_stanza_ids (message, user);
  if (!outgoing && is_dropped (server, message))
    return;

  id = srv_storage_archive (srv_server_get_storage (server), user, xmpp_jid_get_bare_string (peer),
                            outgoing, message, &error);
  if (id == NULL)
    {
      g_warning ("%s: cannot archive a message: %s", user, error->message);
      return;
    }
  stanza_id = xmpp_element_add_child_new (message, SRV_NS_SID, "stanza-id");
  xmpp_element_set_attribute (stanza_id, "by", user);
  xmpp_element_set_attribute (stanza_id, "id", id);
}

static void
outgoing_cleanup_hook_cb (SrvServer   *server,
                          const char  *user,
                          gboolean     outgoing,
                          XmppElement *message,
                          gpointer     user_data)
{
  g_autoptr(XmppJid) peer = NULL;

  if (!outgoing || xmpp_element_find_child (message, SRV_NS_SID, "stanza-id") == NULL)
    return;
  peer = peer_of (message, TRUE);
  if (peer != NULL && strcmp (xmpp_jid_get_bare_string (peer), user) == 0)
    return;   /* to the account itself: it may see its own id */
  remove_stanza_ids (message, user);
}

/* --- answers ----------------------------------------------------------- */

static XmppElement *
new_result (SrvSession  *session,
            XmppElement *iq)
{
  XmppElement *result = xmpp_element_new (NS_CLIENT, "iq");
  const char *id = xmpp_element_get_attribute (iq, "id");
  const char *to = xmpp_element_get_attribute (iq, "to");

  xmpp_element_set_attribute (result, "type", "result");
  if (id != NULL)
    xmpp_element_set_attribute (result, "id", id);
  xmpp_element_set_attribute (result, "to", xmpp_jid_to_string (srv_session_get_jid (session)));
  if (to != NULL)
    xmpp_element_set_attribute (result, "from", to);
  return result;
}

/* XEP-0082 DateTime in UTC with milliseconds. */
static char *
format_stamp (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *seconds = NULL;

  if (time == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  seconds = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds, (int) ((usec / 1000) % 1000));
}

/* µs since the epoch for a XEP-0082 DateTime; FALSE when it is not one. */
static gboolean
parse_stamp (const char *text,
             gint64     *usec)
{
  g_autoptr(GDateTime) time = NULL;

  if (text == NULL || *text == '\0')
    return FALSE;
  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    return FALSE;
  *usec = g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
  return TRUE;
}

static void
add_form_field (XmppElement *form,
                const char  *type,
                const char  *var,
                const char  *value)
{
  XmppElement *field = xmpp_element_add_child_new (form, NULL, "field");

  xmpp_element_set_attribute (field, "type", type);
  xmpp_element_set_attribute (field, "var", var);
  if (value != NULL)
    xmpp_element_add_child_with_text (field, NULL, "value", value);
}

/* §4.1.5: the fields a query may use. */
static void
send_form (SrvServer   *server,
           SrvSession  *session,
           XmppElement *iq)
{
  g_autoptr(XmppElement) result = new_result (session, iq);
  XmppElement *query = xmpp_element_add_child_new (result, SRV_NS_MAM, "query");
  XmppElement *form = xmpp_element_add_child_new (query, NS_DATA, "x");
  XmppElement *ids, *validate;

  xmpp_element_set_attribute (form, "type", "form");
  add_form_field (form, "hidden", "FORM_TYPE", SRV_NS_MAM);
  add_form_field (form, "jid-single", "with", NULL);
  add_form_field (form, "text-single", "start", NULL);
  add_form_field (form, "text-single", "end", NULL);
  add_form_field (form, "text-single", "before-id", NULL);
  add_form_field (form, "text-single", "after-id", NULL);
  add_form_field (form, "list-multi", "ids", NULL);
  /* An open list: the server never lists every id (XEP-0122). */
  ids = xmpp_element_next_child (form, NULL);
  while (g_strcmp0 (xmpp_element_get_attribute (ids, "var"), "ids") != 0)
    ids = xmpp_element_next_child (form, ids);
  validate = xmpp_element_add_child_new (ids, NS_VALIDATE, "validate");
  xmpp_element_set_attribute (validate, "datatype", "xs:string");
  xmpp_element_add_child_new (validate, NULL, "open");
  srv_server_deliver (server, session, result);
}

/* --- queries ----------------------------------------------------------- */

typedef struct
{
  char       *with;            /* bare JID */
  gint64      start;           /* µs, 0 = none */
  gint64      end;
  char       *after_id;        /* form fields (#extended) */
  char       *before_id;
  GPtrArray  *ids;             /* char*, NULL = none */
  guint       max;
  char       *rsm_after;
  char       *rsm_before;      /* "" for an empty <before/> */
  gboolean    flip;
} MamQuery;

static void
mam_query_clear (MamQuery *q)
{
  g_free (q->with);
  g_free (q->after_id);
  g_free (q->before_id);
  g_clear_pointer (&q->ids, g_ptr_array_unref);
  g_free (q->rsm_after);
  g_free (q->rsm_before);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MamQuery, mam_query_clear)

static const char *
first_value (XmppElement *field)
{
  const char *value = xmpp_element_find_child_text (field, NS_DATA, "value");

  return value != NULL && *value != '\0' ? value : NULL;
}

/* The data form of a query: FALSE with *condition and *text set when it
 * cannot be used. */
static gboolean
parse_form (XmppElement          *form,
            MamQuery             *q,
            XmppStanzaErrorCode  *condition,
            const char          **text)
{
  XmppElement *field = NULL;

  *condition = XMPP_STANZA_ERROR_BAD_REQUEST;
  while ((field = xmpp_element_next_child (form, field)) != NULL)
    {
      const char *var = xmpp_element_get_attribute (field, "var");
      const char *value;

      if (!xmpp_element_is (field, NS_DATA, "field"))
        continue;
      value = first_value (field);
      if (var == NULL)
        {
          *text = "A form field has no var";
          return FALSE;
        }
      if (strcmp (var, "FORM_TYPE") == 0)
        {
          if (g_strcmp0 (value, SRV_NS_MAM) != 0)
            {
              *text = "FORM_TYPE is not urn:xmpp:mam:2";
              return FALSE;
            }
        }
      else if (strcmp (var, "with") == 0)
        {
          g_autoptr(XmppJid) jid = NULL;

          if (value == NULL)
            continue;
          jid = xmpp_jid_new (value, NULL);
          if (jid == NULL)
            {
              *condition = XMPP_STANZA_ERROR_JID_MALFORMED;
              *text = "'with' is not a JID";
              return FALSE;
            }
          /* The archive keeps the peer's bare JID: a full JID matches all
           * of its resources. */
          g_free (q->with);
          q->with = g_strdup (xmpp_jid_get_bare_string (jid));
        }
      else if (strcmp (var, "start") == 0 || strcmp (var, "end") == 0)
        {
          gint64 *out = var[0] == 's' ? &q->start : &q->end;

          if (value == NULL)
            continue;
          if (!parse_stamp (value, out))
            {
              *text = "'start' and 'end' take a XEP-0082 DateTime";
              return FALSE;
            }
          if (*out <= 0)
            *out = 1;   /* 0 means "no bound" to the storage */
        }
      else if (strcmp (var, "after-id") == 0 || strcmp (var, "before-id") == 0)
        {
          char **out = var[0] == 'a' ? &q->after_id : &q->before_id;

          g_free (*out);
          *out = g_strdup (value);
        }
      else if (strcmp (var, "ids") == 0)
        {
          XmppElement *v = NULL;

          if (q->ids == NULL)
            q->ids = g_ptr_array_new_with_free_func (g_free);
          while ((v = xmpp_element_next_child (field, v)) != NULL)
            if (xmpp_element_is (v, NS_DATA, "value") && *xmpp_element_get_text (v) != '\0')
              g_ptr_array_add (q->ids, g_strdup (xmpp_element_get_text (v)));
          if (q->ids->len > MAX_IDS)
            {
              *condition = XMPP_STANZA_ERROR_POLICY_VIOLATION;
              *text = "Too many ids";
              return FALSE;
            }
        }
      else
        {
          /* §4.1.5: a field the server does not know. */
          *condition = XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED;
          *text = "Unknown form field";
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
parse_rsm (XmppElement          *set,
           MamQuery             *q,
           XmppStanzaErrorCode  *condition,
           const char          **text)
{
  const char *max = xmpp_element_find_child_text (set, NS_RSM, "max");
  XmppElement *before = xmpp_element_find_child (set, NS_RSM, "before");
  const char *after = xmpp_element_find_child_text (set, NS_RSM, "after");
  guint64 value;

  *condition = XMPP_STANZA_ERROR_BAD_REQUEST;
  if (max != NULL)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (max));

      if (!g_ascii_string_to_unsigned (trimmed, 10, 0, G_MAXUINT32, &value, NULL))
        {
          *text = "<max/> is not a number";
          return FALSE;
        }
      q->max = MIN (value, MAX_PAGE);
    }
  if (xmpp_element_find_child (set, NS_RSM, "index") != NULL)
    {
      /* XEP-0059 §2.4: jumping to an index is optional, and would be an
       * OFFSET scan; pages go by id, on the indexes. */
      *condition = XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED;
      *text = "<index/> is not supported";
      return FALSE;
    }
  if (after != NULL)
    {
      if (*after == '\0')
        {
          *text = "<after/> needs an id";
          return FALSE;
        }
      q->rsm_after = g_strdup (after);
    }
  if (before != NULL)
    q->rsm_before = g_strdup (xmpp_element_get_text (before));
  return TRUE;
}

static int
compare_time (gconstpointer a,
              gconstpointer b)
{
  const SrvArchivedMessage *x = *(SrvArchivedMessage * const *) a;
  const SrvArchivedMessage *y = *(SrvArchivedMessage * const *) b;

  return x->timestamp < y->timestamp ? -1 : x->timestamp > y->timestamp;
}

/* The page @q asks for.  The form's after-id/before-id bound the result
 * set (what <count/> and the indexes refer to); the RSM ids page inside
 * it. */
static gboolean
run_query (SrvStorage      *storage,
           const char      *user,
           MamQuery        *q,
           SrvArchivePage  *page,
           GError         **error)
{
  SrvArchiveFilter filter = { q->with, q->start, q->end, q->after_id, q->before_id };

  if (q->ids != NULL)
    {
      g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_archived_message_free);

      filter.after_id = filter.before_id = NULL;
      for (guint i = 0; i < q->ids->len; i++)
        {
          SrvArchivedMessage *message = srv_storage_get_archived (storage, user, g_ptr_array_index (q->ids, i),
                                                                  &filter, error);

          if (error != NULL && *error != NULL)
            return FALSE;
          if (message != NULL)
            g_ptr_array_add (messages, message);
        }
      /* Chronological whatever the order asked (a stable sort keeps
       * messages of the same microsecond as they were asked for). */
      g_ptr_array_sort (messages, compare_time);
      page->complete = TRUE;
      page->count = messages->len;
      page->first_index = 0;
      page->messages = g_steal_pointer (&messages);
      return TRUE;
    }

  return srv_storage_page_archive (storage, user, &filter, q->rsm_after, q->rsm_before, q->max, page, error);
}

static XmppElement *
make_result_message (SrvSession         *session,
                     const char         *queryid,
                     SrvArchivedMessage *archived)
{
  XmppElement *message = xmpp_element_new (NS_CLIENT, "message");
  XmppElement *result, *forwarded, *delay;
  g_autofree char *stamp = format_stamp (archived->timestamp);

  xmpp_element_set_attribute (message, "to", xmpp_jid_to_string (srv_session_get_jid (session)));
  result = xmpp_element_add_child_new (message, SRV_NS_MAM, "result");
  if (queryid != NULL)
    xmpp_element_set_attribute (result, "queryid", queryid);
  xmpp_element_set_attribute (result, "id", archived->id);
  forwarded = xmpp_element_add_child_new (result, NS_FORWARD, "forwarded");
  delay = xmpp_element_add_child_new (forwarded, NS_DELAY, "delay");
  xmpp_element_set_attribute (delay, "stamp", stamp);
  xmpp_element_add_child (forwarded, archived->stanza);
  return message;
}

static void
handle_query (SrvServer   *server,
              SrvSession  *session,
              XmppElement *iq,
              XmppElement *query)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  const char *queryid = xmpp_element_get_attribute (query, "queryid");
  XmppElement *form = xmpp_element_find_child (query, NS_DATA, "x");
  XmppElement *set = xmpp_element_find_child (query, NS_RSM, "set");
  g_auto(MamQuery) q = { .max = DEFAULT_PAGE };
  g_auto(SrvArchivePage) page = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(XmppElement) result = NULL;
  g_autofree char *count = NULL;
  GPtrArray *messages;
  XmppElement *fin, *rsm;
  XmppStanzaErrorCode condition;
  const char *text = NULL;

  if (xmpp_element_get_attribute (query, "node") != NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, "The archive has no nodes");
      return;
    }
  if ((form != NULL && !parse_form (form, &q, &condition, &text)) ||
      (set != NULL && !parse_rsm (set, &q, &condition, &text)))
    {
      srv_server_bounce (server, iq, condition, text);
      return;
    }
  q.flip = xmpp_element_find_child (query, SRV_NS_MAM, "flip-page") != NULL;

  if (!run_query (storage, user, &q, &page, &error))
    {
      if (g_error_matches (error, SRV_STORAGE_ERROR, SRV_STORAGE_ERROR_NOT_FOUND))
        srv_server_bounce (server, iq, XMPP_STANZA_ERROR_ITEM_NOT_FOUND, error->message);
      else
        {
          g_warning ("%s: archive query failed: %s", user, error != NULL ? error->message : "?");
          srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
        }
      return;
    }
  messages = page.messages;

  /* The results first (§4.2), oldest first unless flipped (§4.3.4). */
  for (guint n = 0; n < messages->len; n++)
    {
      guint i = q.flip ? messages->len - 1 - n : n;
      g_autoptr(XmppElement) message = make_result_message (session, queryid, g_ptr_array_index (messages, i));

      srv_server_deliver (server, session, message);
    }

  result = new_result (session, iq);
  fin = xmpp_element_add_child_new (result, SRV_NS_MAM, "fin");
  if (page.complete)
    xmpp_element_set_attribute (fin, "complete", "true");
  /* XEP-0059 §2.6/§4: first (with its index in the whole result set)
   * and last of the page, and the size of the set; <max>0</max> asks
   * for the count alone. */
  rsm = xmpp_element_add_child_new (fin, NS_RSM, "set");
  if (messages->len > 0)
    {
      SrvArchivedMessage *first = g_ptr_array_index (messages, 0);
      SrvArchivedMessage *last = g_ptr_array_index (messages, messages->len - 1);
      g_autofree char *index = g_strdup_printf ("%u", page.first_index);
      XmppElement *first_element = xmpp_element_add_child_with_text (rsm, NULL, "first", first->id);

      xmpp_element_set_attribute (first_element, "index", index);
      xmpp_element_add_child_with_text (rsm, NULL, "last", last->id);
    }
  count = g_strdup_printf ("%u", page.count);
  xmpp_element_add_child_with_text (rsm, NULL, "count", count);
  srv_server_deliver (server, session, result);
}

/* #extended: the first and the last message of the archive. */
static void
handle_metadata (SrvServer   *server,
                 SrvSession  *session,
                 XmppElement *iq)
{
  SrvStorage *storage = srv_server_get_storage (server);
  const char *user = srv_session_get_user (session);
  g_autoptr(GPtrArray) first = srv_storage_query_archive (storage, user, NULL, 0, 0, NULL, NULL, 1,
                                                          NULL, NULL);
  g_autoptr(GPtrArray) last = srv_storage_query_archive (storage, user, NULL, 0, 0, NULL, "", 1,
                                                         NULL, NULL);
  g_autoptr(XmppElement) result = new_result (session, iq);
  XmppElement *metadata = xmpp_element_add_child_new (result, SRV_NS_MAM, "metadata");

  if (first == NULL || last == NULL)
    {
      srv_server_bounce (server, iq, XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
  /* An empty archive has an empty <metadata/>. */
  for (guint i = 0; first->len > 0 && last->len > 0 && i < 2; i++)
    {
      SrvArchivedMessage *message = g_ptr_array_index (i == 0 ? first : last, 0);
      XmppElement *edge = xmpp_element_add_child_new (metadata, NULL, i == 0 ? "start" : "end");
      g_autofree char *stamp = format_stamp (message->timestamp);

      xmpp_element_set_attribute (edge, "id", message->id);
      xmpp_element_set_attribute (edge, "timestamp", stamp);
    }
  srv_server_deliver (server, session, result);
}

/* Only the account's own archive: 'to' absent or its bare JID. */
static gboolean
is_own_archive (SrvSession  *session,
                XmppElement *iq)
{
  const char *to = xmpp_element_get_attribute (iq, "to");
  g_autoptr(XmppJid) jid = NULL;

  if (session == NULL || srv_session_get_jid (session) == NULL)
    return FALSE;
  if (to == NULL)
    return TRUE;
  jid = xmpp_jid_new (to, NULL);
  return jid != NULL && xmpp_jid_is_bare (jid) && xmpp_jid_bare_equal (jid, srv_session_get_jid (session));
}

static gboolean
mam_iq_cb (SrvServer   *server,
           SrvSession  *session,
           XmppElement *iq,
           gpointer     user_data)
{
  XmppElement *child = xmpp_element_next_child (iq, NULL);
  const char *type = xmpp_element_get_attribute (iq, "type");

  /* Someone else's archive, or the server's (it keeps none): the core
   * answers service-unavailable. */
  if (!is_own_archive (session, iq))
    return FALSE;

  if (xmpp_element_is (child, SRV_NS_MAM, "query"))
    {
      if (g_strcmp0 (type, "get") == 0)
        send_form (server, session, iq);
      else
        handle_query (server, session, iq, child);
      return TRUE;
    }
  if (xmpp_element_is (child, SRV_NS_MAM, "metadata") && g_strcmp0 (type, "get") == 0)
    {
      handle_metadata (server, session, iq);
      return TRUE;
    }
  return FALSE;
}

void
srv_mam_init (SrvServer *server,
              gboolean   archiving)
{
  g_return_if_fail (server != NULL);

  srv_server_add_message_hook (server, archive_hook_cb, GINT_TO_POINTER (archiving));
  if (!archiving)
    return;

  srv_server_add_iq_handler (server, SRV_NS_MAM, mam_iq_cb, NULL);
  srv_disco_add_account_feature (server, SRV_NS_MAM);
  srv_disco_add_account_feature (server, NS_MAM_EXTENDED);
  srv_disco_add_account_feature (server, SRV_NS_SID);
}

void
srv_mam_init_last (SrvServer *server)
{
  g_return_if_fail (server != NULL);

  srv_server_add_message_hook (server, outgoing_cleanup_hook_cb, NULL);
}
