/* xmpp-register.c: in-band registration (XEP-0077) */
#include "config.h"

#include <string.h>

#include "xmpp-register.h"

/* Fields of the legacy (non-data-form) registration query, XEP-0077 §14.1. */
static const char * const known_fields[] = {
  "username", "nick", "password", "name", "first", "last", "email", "address",
  "city", "state", "zip", "phone", "url", "date", "misc", "text", "key",
};

static gboolean
is_known_field (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_fields); i++)
    if (strcmp (known_fields[i], name) == 0)
      return TRUE;
  return FALSE;
}

void
xmpp_register_form_free (XmppRegisterForm *form)
{
  if (form == NULL)
    return;
  g_free (form->instructions);
  g_strfreev (form->fields);
  g_clear_pointer (&form->data_form, xmpp_data_form_free);
  g_clear_pointer (&form->reply, xmpp_element_unref);
  g_free (form);
}

static const char *
server_domain (XmppClient *client)
{
  return xmpp_jid_get_domain (xmpp_client_get_jid (client));
}

static void
fetch_form_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GPtrArray) fields = NULL;
  GError *error = NULL;
  XmppRegisterForm *form;
  XmppElement *query;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), res, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  query = xmpp_element_find_child (reply, XMPP_NS_REGISTER, "query");
  if (query == NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                               "The registration form has no <query/>");
      return;
    }

  form = g_new0 (XmppRegisterForm, 1);
  form->instructions = g_strdup (xmpp_element_find_child_text (query, NULL, "instructions"));
  form->registered = xmpp_element_find_child (query, NULL, "registered") != NULL;
  fields = g_ptr_array_new ();
  for (XmppElement *child = xmpp_element_next_child (query, NULL);
       child != NULL;
       child = xmpp_element_next_child (query, child))
    if (xmpp_element_is (child, XMPP_NS_REGISTER, NULL)
        && is_known_field (xmpp_element_get_name (child)))
      g_ptr_array_add (fields, g_strdup (xmpp_element_get_name (child)));
  g_ptr_array_add (fields, NULL);
  form->fields = (GStrv) g_ptr_array_free (g_steal_pointer (&fields), FALSE);

  /* §8: the form the server wants filled in.  One we cannot read leaves
   * the legacy fields, which servers send alongside it. */
  for (XmppElement *x = xmpp_element_find_child (query, XMPP_NS_DATA_FORM, "x");
       x != NULL;
       x = xmpp_element_next_child (query, x))
    {
      g_autoptr(GError) form_error = NULL;

      if (!xmpp_element_is (x, XMPP_NS_DATA_FORM, "x"))
        continue;
      form->data_form = xmpp_data_form_parse (x, &form_error);
      if (form->data_form != NULL && form->data_form->type == XMPP_DATA_FORM_FORM)
        break;
      if (form_error != NULL)
        g_debug ("Ignoring the registration data form: %s", form_error->message);
      g_clear_pointer (&form->data_form, xmpp_data_form_free);
    }
  form->reply = g_steal_pointer (&reply);
  g_task_return_pointer (task, form, (GDestroyNotify) xmpp_register_form_free);
}

void
xmpp_register_fetch_form_async (XmppClient          *client,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (client));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_register_fetch_form_async);
  iq = xmpp_stanza_new_iq ("get", server_domain (client), NULL);
  xmpp_element_add_child_new (iq, XMPP_NS_REGISTER, "query");
  xmpp_client_send_iq_async (client, iq, cancellable, fetch_form_cb, g_steal_pointer (&task));
}

XmppRegisterForm *
xmpp_register_fetch_form_finish (XmppClient    *client,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
boolean_iq_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), res, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
send_query (XmppClient          *client,
            XmppElement         *query,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  iq = xmpp_stanza_new_iq ("set", server_domain (client), NULL);
  xmpp_element_add_child (iq, query);
  xmpp_client_send_iq_async (client, iq, cancellable, boolean_iq_cb, g_steal_pointer (&task));
}

void
xmpp_register_submit_async (XmppClient          *client,
                            GHashTable          *fields,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(XmppElement) query = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_return_if_fail (XMPP_IS_CLIENT (client));
  g_return_if_fail (fields != NULL);

  query = xmpp_element_new (XMPP_NS_REGISTER, "query");
  /* username first, password second: some servers care about order. */
  if (g_hash_table_contains (fields, "username"))
    xmpp_element_add_child_with_text (query, NULL, "username", g_hash_table_lookup (fields, "username"));
  if (g_hash_table_contains (fields, "password"))
    xmpp_element_add_child_with_text (query, NULL, "password", g_hash_table_lookup (fields, "password"));
  g_hash_table_iter_init (&iter, fields);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (strcmp (key, "username") != 0 && strcmp (key, "password") != 0 && is_known_field (key))
      xmpp_element_add_child_with_text (query, NULL, key, value);

  send_query (client, query, xmpp_register_submit_async, cancellable, callback, user_data);
}

gboolean
xmpp_register_submit_finish (XmppClient    *client,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
xmpp_register_submit_form_async (XmppClient          *client,
                                 XmppDataForm        *answer,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(XmppElement) query = NULL;
  g_autoptr(XmppElement) x = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (client));
  g_return_if_fail (answer != NULL);
  g_return_if_fail (answer->type == XMPP_DATA_FORM_SUBMIT);

  /* §8: only the form; the legacy fields would say the same twice. */
  query = xmpp_element_new (XMPP_NS_REGISTER, "query");
  x = xmpp_data_form_to_element (answer);
  xmpp_element_add_child (query, x);
  send_query (client, query, xmpp_register_submit_form_async, cancellable, callback, user_data);
}

gboolean
xmpp_register_submit_form_finish (XmppClient    *client,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
xmpp_register_change_password_async (XmppClient          *client,
                                     const char          *new_password,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(XmppElement) query = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (client));
  g_return_if_fail (new_password != NULL);

  query = xmpp_element_new (XMPP_NS_REGISTER, "query");
  xmpp_element_add_child_with_text (query, NULL, "username",
                                    xmpp_jid_get_local (xmpp_client_get_jid (client)));
  xmpp_element_add_child_with_text (query, NULL, "password", new_password);
  send_query (client, query, xmpp_register_change_password_async, cancellable, callback, user_data);
}

gboolean
xmpp_register_change_password_finish (XmppClient    *client,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* XEP-0077 §3.2: a server may close the stream right after removing the
 * account (ejabberd sends <not-authorized/> "User removed") instead of
 * answering the iq: that closing is the success. */
static void
cancel_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(XmppElement) reply = NULL;
  GError *error = NULL;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), res, &error);
  if (reply != NULL
      || error->domain == XMPP_STREAM_ERROR
      || g_error_matches (error, XMPP_ERROR, XMPP_ERROR_CONNECTION_CLOSED))
    {
      g_clear_error (&error);
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
}

void
xmpp_register_cancel_async (XmppClient          *client,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(XmppElement) query = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(XmppElement) iq = NULL;

  g_return_if_fail (XMPP_IS_CLIENT (client));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, xmpp_register_cancel_async);
  query = xmpp_element_new (XMPP_NS_REGISTER, "query");
  xmpp_element_add_child_new (query, NULL, "remove");
  iq = xmpp_stanza_new_iq ("set", server_domain (client), NULL);
  xmpp_element_add_child (iq, query);
  xmpp_client_send_iq_async (client, iq, cancellable, cancel_cb, g_steal_pointer (&task));
}

gboolean
xmpp_register_cancel_finish (XmppClient    *client,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
