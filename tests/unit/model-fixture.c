/* model-fixture.c: what the model tests share */
#include "config.h"

#include <glib/gstdio.h>

#include "model-fixture.h"

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

void
model_fixture_wait (gboolean *done)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!*done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static GAsyncResult *
await (GAsyncResult **slot)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  return *slot;
}

void
model_fixture_set_up (ModelFixture  *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MessengerStoreAccount) account = messenger_store_account_new (ALICE);
  g_autoptr(GAsyncResult) result = NULL;

  fixture->dir = g_dir_make_tmp ("messenger-models-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "messenger.db", NULL);
  fixture->store = messenger_store_open (fixture->path, &error);
  g_assert_no_error (error);

  messenger_store_add_account_async (fixture->store, account, NULL, result_cb, &result);
  fixture->account_id = messenger_store_add_account_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (fixture->account_id, >, 0);

  fixture->account = messenger_account_new (ALICE);
}

void
model_fixture_tear_down (ModelFixture  *fixture,
                         gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GWeakRef store_ref;

  model_fixture_flush (fixture);
  g_assert_finalize_object (fixture->account);

  /* A read task's worker may hold the store a moment longer. */
  g_weak_ref_init (&store_ref, fixture->store);
  g_object_unref (fixture->store);
  for (;;)
    {
      g_autoptr(GObject) alive = g_weak_ref_get (&store_ref);

      if (alive == NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_weak_ref_clear (&store_ref);

  remove_tree (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

void
model_fixture_flush (ModelFixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  messenger_store_flush_async (fixture->store, NULL, result_cb, &result);
  g_assert_true (messenger_store_flush_finish (fixture->store, await (&result), &error));
  g_assert_no_error (error);
  /* Completions are idle sources posted in order; let any still queued
   * behind the flush's run too. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
model_fixture_add_history (ModelFixture *fixture,
                           const char   *peer,
                           const char   *thread_id,
                           guint         n,
                           gint64        first_time)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) messenger_store_message_free);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      MessengerStoreMessage *message = messenger_store_message_new ();

      message->account_id = fixture->account_id;
      message->peer = g_strdup (peer);
      message->thread_id = g_strdup (thread_id);
      message->direction = i % 2 == 0 ? MESSENGER_STORE_DIRECTION_IN : MESSENGER_STORE_DIRECTION_OUT;
      message->type = MESSENGER_STORE_MESSAGE_CHAT;
      message->body = g_strdup_printf ("message %u", i);
      message->time = first_time + (gint64) i * G_USEC_PER_SEC;
      message->origin_id = g_strdup_printf ("history-%s-%s-%u", peer, thread_id ? thread_id : "", i);
      message->state = message->direction == MESSENGER_STORE_DIRECTION_IN
                       ? MESSENGER_STORE_DELIVERY_DELIVERED : MESSENGER_STORE_DELIVERY_ACKED;
      message->unread = message->direction == MESSENGER_STORE_DIRECTION_IN;
      g_ptr_array_add (messages, message);
    }
  if (n == 0)
    return;
  messenger_store_insert_messages_async (fixture->store, messages, NULL, result_cb, &result);
  ids = messenger_store_insert_messages_finish (fixture->store, await (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (ids);
}

XmppMessage *
model_fixture_message (const char *from,
                       const char *body,
                       const char *thread,
                       const char *origin_id)
{
  g_autoptr(XmppJid) to = xmpp_jid_new (ALICE "/home", NULL);
  XmppMessage *message = xmpp_message_new (XMPP_MESSAGE_CHAT, to, body);

  message->from = xmpp_jid_new (from, NULL);
  g_assert_nonnull (message->from);
  message->thread = g_strdup (thread);
  message->origin_id = g_strdup (origin_id);
  message->id = g_strdup (origin_id);
  return message;
}

XmppRosterItem *
model_fixture_roster_item (const char       *jid,
                           const char       *name,
                           XmppSubscription  subscription,
                           ...)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new ();
  g_autoptr(XmppJid) parsed = xmpp_jid_new (jid, NULL);
  XmppRosterItem *item;
  va_list args;

  va_start (args, subscription);
  for (const char *g = va_arg (args, const char *); g != NULL; g = va_arg (args, const char *))
    g_ptr_array_add (groups, (gpointer) g);
  va_end (args);
  g_ptr_array_add (groups, NULL);

  item = xmpp_roster_item_new (parsed, name, (const char * const *) groups->pdata);
  item->subscription = subscription;
  return item;
}
