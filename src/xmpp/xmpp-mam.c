/* xmpp-mam.c: querying a message archive (XEP-0313, XEP-0059)
 *
 *   query_async ─▶ handler for <result queryid=ours/> ─▶ iq set <query/>
 *                      │ each result: check sender, unwrap, collect
 *   iq result <fin/> ──┴▶ remove handler ─▶ XmppMamPage (first, last,
 *                                            complete, messages)
 *
 * The stream is ordered, so every result of the page has arrived when the
 * iq answer does.
 */
#include "config.h"

#include "xmpp-carbons.h"
#include "xmpp-mam.h"

typedef struct
{
  XmppClient *client;
  guint       handler;
  char       *queryid;
  XmppJid    *archive;    /* who may send results */
  gboolean    own;        /* our account's archive: also no 'from' */
  char       *by;         /* the stanza-id's 'by' */
  GPtrArray  *messages;
} QueryData;

static void
query_data_free (QueryData *data)
{
  if (data->handler != 0)
    xmpp_client_remove_handler (data->client, data->handler);
  g_object_unref (data->client);
  g_free (data->queryid);
  g_clear_pointer (&data->archive, xmpp_jid_unref);
  g_free (data->by);
  g_ptr_array_unref (data->messages);
  g_free (data);
}

void
xmpp_mam_page_free (XmppMamPage *page)
{
  if (page == NULL)
    return;
  g_ptr_array_unref (page->messages);
  g_free (page->first);
  g_free (page->last);
  g_free (page);
}

static gboolean
from_archive (QueryData   *data,
              XmppElement *stanza)
{
  const char *from = xmpp_element_get_attribute (stanza, "from");
  g_autoptr(XmppJid) sender = NULL;

  if (from == NULL)
    return data->own;
  if ((sender = xmpp_jid_new (from, NULL)) == NULL)
    return FALSE;
  return xmpp_jid_is_bare (sender) && xmpp_jid_bare_equal (sender, data->archive);
}

static gboolean
result_cb (XmppClient  *client,
           XmppElement *stanza,
           gpointer     user_data)
{
  QueryData *data = user_data;
  XmppElement *result = xmpp_element_find_child (stanza, XMPP_NS_MAM, "result");
  XmppElement *forwarded, *inner, *delay;
  const char *id;
  g_autoptr(XmppMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (result == NULL || g_strcmp0 (xmpp_element_get_attribute (result, "queryid"), data->queryid) != 0)
    return FALSE;
  /* Anyone can send us a <result/> with a guessed query id; only the
   * archive's count (XEP-0313 §5.1.2). */
  if (!from_archive (data, stanza))
    {
      g_debug ("Dropping an archive result from %s", xmpp_element_get_attribute (stanza, "from"));
      return TRUE;
    }

  id = xmpp_element_get_attribute (result, "id");
  forwarded = xmpp_element_find_child (result, XMPP_NS_FORWARD, "forwarded");
  inner = forwarded != NULL ? xmpp_element_find_child (forwarded, XMPP_NS_CLIENT, "message") : NULL;
  if (id == NULL || inner == NULL || (message = xmpp_message_parse (inner, &error)) == NULL)
    {
      g_debug ("Dropping a malformed archive result: %s", error != NULL ? error->message : "no message");
      return TRUE;
    }

  message->via = XMPP_MESSAGE_VIA_ARCHIVE;
  /* The result id is the archive's stanza-id for the message (§5.1). */
  g_free (message->stanza_id);
  message->stanza_id = g_strdup (id);
  g_free (message->stanza_id_by);
  message->stanza_id_by = g_strdup (data->by);
  if (message->delay == NULL
      && (delay = xmpp_element_find_child (forwarded, XMPP_NS_DELAY, "delay")) != NULL
      && xmpp_element_get_attribute (delay, "stamp") != NULL)
    message->delay = g_date_time_new_from_iso8601 (xmpp_element_get_attribute (delay, "stamp"), NULL);

  g_ptr_array_add (data->messages, g_steal_pointer (&message));
  return TRUE;
}

static void
answered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  QueryData *data = g_task_get_task_data (task);
  g_autoptr(XmppElement) reply = NULL;
  XmppElement *fin, *set;
  XmppMamPage *page;
  const char *complete;
  GError *error = NULL;

  /* No more results for this query, whatever the answer. */
  xmpp_client_remove_handler (data->client, data->handler);
  data->handler = 0;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  fin = xmpp_element_find_child (reply, XMPP_NS_MAM, "fin");
  if (fin == NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_PROTOCOL, "The archive's answer has no <fin/>");
      return;
    }

  page = g_new0 (XmppMamPage, 1);
  page->messages = g_steal_pointer (&data->messages);
  data->messages = g_ptr_array_new ();
  complete = xmpp_element_get_attribute (fin, "complete");
  page->complete = g_strcmp0 (complete, "true") == 0 || g_strcmp0 (complete, "1") == 0;
  if ((set = xmpp_element_find_child (fin, XMPP_NS_RSM, "set")) != NULL)
    {
      page->first = g_strdup (xmpp_element_find_child_text (set, XMPP_NS_RSM, "first"));
      page->last = g_strdup (xmpp_element_find_child_text (set, XMPP_NS_RSM, "last"));
    }
  /* An archive that leaves out the ids still tells us where the page
   * ended through its results. */
  if (page->last == NULL && page->messages->len > 0)
    {
      XmppMessage *first = g_ptr_array_index (page->messages, 0);
      XmppMessage *last = g_ptr_array_index (page->messages, page->messages->len - 1);

      page->first = g_strdup (first->stanza_id);
      page->last = g_strdup (last->stanza_id);
    }
  g_task_return_pointer (task, page, (GDestroyNotify) xmpp_mam_page_free);
}

void
xmpp_mam_query_async (XmppClient          *client,
                      const char          *archive,
                      const XmppMamQuery  *query,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;
  XmppElement *element, *set;
  XmppJid *own;
  QueryData *data;

  g_return_if_fail (XMPP_IS_CLIENT (client));
  g_return_if_fail (query != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_mam_query_async);

  own = xmpp_client_get_bound_jid (client) != NULL ? xmpp_client_get_bound_jid (client)
                                                   : xmpp_client_get_jid (client);
  data = g_new0 (QueryData, 1);
  data->client = g_object_ref (client);
  data->queryid = xmpp_client_next_id (client);
  data->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_message_free);
  if (archive == NULL)
    {
      data->own = TRUE;
      data->archive = xmpp_jid_get_bare (own);
    }
  else if ((data->archive = xmpp_jid_new (archive, NULL)) == NULL)
    {
      query_data_free (data);
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED, "Bad archive JID “%s”", archive);
      return;
    }
  else
    {
      XmppJid *bare = xmpp_jid_get_bare (data->archive);

      xmpp_jid_unref (data->archive);
      data->archive = bare;
      data->own = xmpp_jid_bare_equal (bare, own);
    }
  data->by = g_strdup (xmpp_jid_get_bare_string (data->archive));
  g_task_set_task_data (task, data, (GDestroyNotify) query_data_free);
  data->handler = xmpp_client_add_handler (client, "message", NULL, XMPP_NS_MAM, "result",
                                           result_cb, data, NULL);

  iq = xmpp_stanza_new_iq ("set", archive != NULL && !data->own ? data->by : NULL, NULL);
  element = xmpp_element_add_child_new (iq, XMPP_NS_MAM, "query");
  xmpp_element_set_attribute (element, "queryid", data->queryid);
  if (query->with != NULL)
    {
      XmppElement *form = xmpp_element_add_child_new (element, XMPP_NS_DATA, "x");
      XmppElement *field;

      xmpp_element_set_attribute (form, "type", "submit");
      field = xmpp_element_add_child_new (form, NULL, "field");
      xmpp_element_set_attribute (field, "var", "FORM_TYPE");
      xmpp_element_set_attribute (field, "type", "hidden");
      xmpp_element_add_child_with_text (field, NULL, "value", XMPP_NS_MAM);
      field = xmpp_element_add_child_new (form, NULL, "field");
      xmpp_element_set_attribute (field, "var", "with");
      xmpp_element_add_child_with_text (field, NULL, "value", query->with);
    }
  if (query->max > 0 || query->after != NULL || query->before != NULL)
    {
      set = xmpp_element_add_child_new (element, XMPP_NS_RSM, "set");
      if (query->max > 0)
        {
          char max[16];

          g_snprintf (max, sizeof max, "%u", query->max);
          xmpp_element_add_child_with_text (set, NULL, "max", max);
        }
      if (query->after != NULL)
        xmpp_element_add_child_with_text (set, NULL, "after", query->after);
      if (query->before != NULL)
        xmpp_element_add_child_with_text (set, NULL, "before", query->before);
    }

  xmpp_client_send_iq_async (client, iq, cancellable, answered_cb, g_steal_pointer (&task));
}

XmppMamPage *
xmpp_mam_query_finish (XmppClient    *client,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
