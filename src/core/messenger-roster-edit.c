/* messenger-roster-edit.c: changing an account's roster
 *
 *   add:    roster set (name, groups) ──result──▶ presence subscribe
 *                                                  (unless already seen
 *                                                  or already asked)
 *   remove: roster remove ──result──▶ done (the server unsubscribes both
 *                                      ways, RFC 6121 §2.5.2)
 *   rename / groups: roster set with the contact's other fields kept
 *
 * The roster model is not touched here: the server answers every set with
 * a roster push, which MessengerRoster applies like any other push, so a
 * change made on another device and one made here take the same path.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-roster-edit.h"

/* What an edit's GTask carries while its request is out. */
typedef struct
{
  MessengerRoster *roster;
  XmppJid         *jid;   /* the contact, bare */
} EditData;

static void
edit_data_free (EditData *data)
{
  g_clear_object (&data->roster);
  g_clear_pointer (&data->jid, xmpp_jid_unref);
  g_free (data);
}

char *
messenger_roster_normalize_address (const char  *text,
                                    GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autoptr(XmppJid) jid = NULL;

  trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  if (*trimmed == '\0')
    {
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED,
                           _("Enter an address like name@example.org."));
      return NULL;
    }
  jid = xmpp_jid_new (trimmed, NULL);
  if (jid == NULL || xmpp_jid_get_local (jid) == NULL)
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_JID_MALFORMED,
                   _("“%s” is not a valid address. Addresses look like name@example.org."), trimmed);
      return NULL;
    }
  return g_strdup (xmpp_jid_get_bare_string (jid));
}

/* Plain words for what the server or the connection answered. */
static GError *
plain_error (GError *error)
{
  GError *plain;

  if (error->domain == XMPP_STANZA_ERROR)
    {
      switch (error->code)
        {
        case XMPP_STANZA_ERROR_FORBIDDEN:
        case XMPP_STANZA_ERROR_NOT_ALLOWED:
        case XMPP_STANZA_ERROR_NOT_AUTHORIZED:
          plain = g_error_new_literal (error->domain, error->code,
                                       _("The server does not allow this change."));
          break;
        case XMPP_STANZA_ERROR_NOT_ACCEPTABLE:
        case XMPP_STANZA_ERROR_BAD_REQUEST:
        case XMPP_STANZA_ERROR_JID_MALFORMED:
          plain = g_error_new_literal (error->domain, error->code,
                                       _("The server did not accept this name, group or address."));
          break;
        case XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT:
        case XMPP_STANZA_ERROR_POLICY_VIOLATION:
          plain = g_error_new_literal (error->domain, error->code,
                                       _("Your contact list is full on this server."));
          break;
        default:
          /* Translators: %s is the server's reason, possibly technical. */
          plain = g_error_new (error->domain, error->code, _("The server refused the change: %s"), error->message);
          break;
        }
    }
  else if (g_error_matches (error, XMPP_ERROR, XMPP_ERROR_TIMEOUT))
    plain = g_error_new_literal (error->domain, error->code, _("The server did not answer. Try again."));
  else if (error->domain == XMPP_ERROR || error->domain == G_IO_ERROR)
    plain = g_error_new_literal (error->domain, error->code,
                                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                 ? error->message : _("The connection was lost. Try again."));
  else
    plain = g_error_copy (error);
  g_error_free (error);
  return plain;
}

/* The bare JID of @text, or NULL with an error in plain words. */
static XmppJid *
parse_contact_jid (MessengerRoster  *roster,
                   const char       *text,
                   GError          **error)
{
  g_autoptr(XmppJid) jid = NULL;
  XmppJid *own;

  g_autofree char *bare = messenger_roster_normalize_address (text, error);

  if (bare == NULL || (jid = xmpp_jid_new (bare, error)) == NULL)
    return NULL;
  own = messenger_account_get_xmpp_jid (messenger_roster_get_account (roster));
  if (own != NULL && xmpp_jid_bare_equal (jid, own))
    {
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           _("This is your own address."));
      return NULL;
    }
  return xmpp_jid_get_bare (jid);
}

/* The roster of the current session, or NULL with an error. */
static XmppRoster *
online_roster (MessengerRoster  *roster,
               GError          **error)
{
  XmppRoster *xmpp_roster = messenger_account_get_roster (messenger_roster_get_account (roster));

  if (xmpp_roster == NULL)
    g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED,
                         _("You are offline. Connect and try again."));
  return xmpp_roster;
}

/* Trimmed, without empty names and duplicates, in the given order. */
static GStrv
clean_groups (const char * const *groups)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; groups != NULL && groups[i] != NULL; i++)
    {
      g_autofree char *name = g_strstrip (g_strdup (groups[i]));

      if (*name == '\0' || !g_utf8_validate (name, -1, NULL) || g_hash_table_contains (seen, name))
        continue;
      g_strv_builder_add (builder, name);
      g_hash_table_add (seen, g_steal_pointer (&name));
    }
  return g_strv_builder_end (builder);
}

static char *
trimmed (const char *name)
{
  return name != NULL ? g_strstrip (g_strdup (name)) : NULL;
}

/* The start every edit shares: a task tagged @source_tag, the contact's
 * bare JID (not our own) in its EditData, and the roster of the current
 * session in @xmpp_roster.  NULL when the task has already failed. */
static GTask *
start_edit (MessengerRoster      *roster,
            const char           *jid,
            GCancellable         *cancellable,
            GAsyncReadyCallback   callback,
            gpointer              user_data,
            gpointer              source_tag,
            XmppRoster          **xmpp_roster)
{
  g_autoptr(GTask) task = g_task_new (roster, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  EditData *data = g_new0 (EditData, 1);

  g_task_set_source_tag (task, source_tag);
  data->roster = g_object_ref (roster);
  data->jid = parse_contact_jid (roster, jid, &error);
  g_task_set_task_data (task, data, (GDestroyNotify) edit_data_free);
  if (data->jid == NULL || (*xmpp_roster = online_roster (roster, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return NULL;
    }
  return g_steal_pointer (&task);
}

static gboolean
finish_edit (MessengerRoster  *roster,
             GAsyncResult     *result,
             gpointer          source_tag,
             GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, roster), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* After an add: ask to see their presence, unless we already do or
 * already asked (asking again would only make their client show the
 * request twice). */
static void
subscribe (GTask *task)
{
  EditData *data = g_task_get_task_data (task);
  MessengerAccount *account = messenger_roster_get_account (data->roster);
  MessengerContact *contact = messenger_roster_lookup (data->roster, xmpp_jid_get_bare_string (data->jid));
  XmppPresenceManager *presence;

  if (contact != NULL
      && (messenger_contact_get_awaiting_approval (contact)
          || messenger_contact_get_subscription (contact) == MESSENGER_SUBSCRIPTION_TO
          || messenger_contact_get_subscription (contact) == MESSENGER_SUBSCRIPTION_BOTH))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  presence = messenger_account_get_presence (account);
  if (presence == NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_NOT_CONNECTED,
                               _("The contact was added, but the request to see their status "
                                 "could not be sent because the connection was lost."));
      return;
    }
  xmpp_presence_manager_send_type (presence, data->jid, XMPP_PRESENCE_SUBSCRIBE);
  g_task_return_boolean (task, TRUE);
}

static void
request_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  gpointer tag = g_task_get_source_tag (task);
  g_autoptr(GError) error = NULL;
  gboolean done;

  /* Removing is the one edit that is not a roster set. */
  if (tag == messenger_roster_remove_contact_async)
    done = xmpp_roster_remove_finish (XMPP_ROSTER (source), result, &error);
  else
    done = xmpp_roster_set_finish (XMPP_ROSTER (source), result, &error);

  if (!done)
    g_task_return_error (task, plain_error (g_steal_pointer (&error)));
  else if (tag == messenger_roster_add_contact_async)
    subscribe (task);
  else
    g_task_return_boolean (task, TRUE);
}

/* A roster set of the task's contact with @name and @groups (cleaned);
 * takes @task. */
static void
send_set (GTask              *task,
          XmppRoster         *xmpp_roster,
          const char         *name,
          const char * const *groups)
{
  EditData *data = g_task_get_task_data (task);
  g_auto(GStrv) clean = clean_groups (groups);
  g_autoptr(XmppRosterItem) item = xmpp_roster_item_new (data->jid, name, (const char * const *) clean);

  xmpp_roster_set_async (xmpp_roster, item, g_task_get_cancellable (task), request_cb, task);
}

/* --- add ------------------------------------------------------------ */

void
messenger_roster_add_contact_async (MessengerRoster     *roster,
                                    const char          *jid,
                                    const char          *name,
                                    const char * const  *groups,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *clean_name = NULL;
  XmppRoster *xmpp_roster;

  g_return_if_fail (MESSENGER_IS_ROSTER (roster));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_edit (roster, jid, cancellable, callback, user_data, messenger_roster_add_contact_async,
                     &xmpp_roster);
  if (task == NULL)
    return;
  clean_name = trimmed (name);
  send_set (g_steal_pointer (&task), xmpp_roster, clean_name, groups);
}

gboolean
messenger_roster_add_contact_finish (MessengerRoster  *roster,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  return finish_edit (roster, result, messenger_roster_add_contact_async, error);
}

/* --- remove --------------------------------------------------------- */

void
messenger_roster_remove_contact_async (MessengerRoster     *roster,
                                       const char          *jid,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  XmppRoster *xmpp_roster;
  EditData *data;

  g_return_if_fail (MESSENGER_IS_ROSTER (roster));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_edit (roster, jid, cancellable, callback, user_data, messenger_roster_remove_contact_async,
                     &xmpp_roster);
  if (task == NULL)
    return;
  data = g_task_get_task_data (task);
  xmpp_roster_remove_async (xmpp_roster, data->jid, cancellable, request_cb, g_steal_pointer (&task));
}

gboolean
messenger_roster_remove_contact_finish (MessengerRoster  *roster,
                                        GAsyncResult     *result,
                                        GError          **error)
{
  return finish_edit (roster, result, messenger_roster_remove_contact_async, error);
}

/* --- rename and groups ---------------------------------------------- */

/* A roster set for a contact already in the roster: @name and @groups
 * replace what is there unless the matching flag says keep it. */
static void
update_contact (MessengerRoster     *roster,
                const char          *jid,
                gboolean             set_name,
                const char          *name,
                gboolean             set_groups,
                const char * const  *groups,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data,
                gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *clean_name = NULL;
  MessengerContact *contact;
  XmppRoster *xmpp_roster;
  EditData *data;

  task = start_edit (roster, jid, cancellable, callback, user_data, source_tag, &xmpp_roster);
  if (task == NULL)
    return;
  data = g_task_get_task_data (task);
  contact = messenger_roster_lookup (roster, xmpp_jid_get_bare_string (data->jid));
  if (contact == NULL)
    {
      g_task_return_new_error (task, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                               _("%s is not in your contacts."), xmpp_jid_get_bare_string (data->jid));
      return;
    }

  clean_name = set_name ? trimmed (name) : g_strdup (messenger_contact_get_name (contact));
  send_set (g_steal_pointer (&task), xmpp_roster, clean_name,
            set_groups ? groups : messenger_contact_get_groups (contact));
}

void
messenger_roster_rename_contact_async (MessengerRoster     *roster,
                                       const char          *jid,
                                       const char          *name,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_ROSTER (roster));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  update_contact (roster, jid, TRUE, name, FALSE, NULL, cancellable, callback, user_data,
                  messenger_roster_rename_contact_async);
}

gboolean
messenger_roster_rename_contact_finish (MessengerRoster  *roster,
                                        GAsyncResult     *result,
                                        GError          **error)
{
  return finish_edit (roster, result, messenger_roster_rename_contact_async, error);
}

void
messenger_roster_set_contact_groups_async (MessengerRoster     *roster,
                                           const char          *jid,
                                           const char * const  *groups,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (MESSENGER_IS_ROSTER (roster));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  update_contact (roster, jid, FALSE, NULL, TRUE, groups, cancellable, callback, user_data,
                  messenger_roster_set_contact_groups_async);
}

gboolean
messenger_roster_set_contact_groups_finish (MessengerRoster  *roster,
                                            GAsyncResult     *result,
                                            GError          **error)
{
  return finish_edit (roster, result, messenger_roster_set_contact_groups_async, error);
}
