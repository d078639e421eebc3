/* messenger-store-records.c: copying and freeing the store's records */
#include "config.h"

#include "messenger-store-records.h"

MessengerStoreAccount *
messenger_store_account_new (const char *jid)
{
  MessengerStoreAccount *account = g_new0 (MessengerStoreAccount, 1);

  account->jid = g_strdup (jid);
  account->enabled = TRUE;
  return account;
}

MessengerStoreAccount *
messenger_store_account_copy (const MessengerStoreAccount *account)
{
  MessengerStoreAccount *copy;

  g_return_val_if_fail (account != NULL, NULL);

  copy = g_memdup2 (account, sizeof *account);
  copy->jid = g_strdup (account->jid);
  copy->display_name = g_strdup (account->display_name);
  copy->server = g_strdup (account->server);
  copy->pinned_fingerprint = g_strdup (account->pinned_fingerprint);
  copy->roster_version = g_strdup (account->roster_version);
  return copy;
}

void
messenger_store_account_free (MessengerStoreAccount *account)
{
  if (account == NULL)
    return;

  g_free (account->jid);
  g_free (account->display_name);
  g_free (account->server);
  g_free (account->pinned_fingerprint);
  g_free (account->roster_version);
  g_free (account);
}

MessengerStoreRosterItem *
messenger_store_roster_item_new (const char *jid)
{
  MessengerStoreRosterItem *item = g_new0 (MessengerStoreRosterItem, 1);

  item->jid = g_strdup (jid);
  return item;
}

MessengerStoreRosterItem *
messenger_store_roster_item_copy (const MessengerStoreRosterItem *item)
{
  MessengerStoreRosterItem *copy;

  g_return_val_if_fail (item != NULL, NULL);

  copy = g_memdup2 (item, sizeof *item);
  copy->jid = g_strdup (item->jid);
  copy->name = g_strdup (item->name);
  copy->groups = g_strdupv (item->groups);
  return copy;
}

void
messenger_store_roster_item_free (MessengerStoreRosterItem *item)
{
  if (item == NULL)
    return;

  g_free (item->jid);
  g_free (item->name);
  g_strfreev (item->groups);
  g_free (item);
}

MessengerStoreMessage *
messenger_store_message_new (void)
{
  return g_new0 (MessengerStoreMessage, 1);
}

MessengerStoreMessage *
messenger_store_message_copy (const MessengerStoreMessage *message)
{
  MessengerStoreMessage *copy;

  g_return_val_if_fail (message != NULL, NULL);

  copy = g_memdup2 (message, sizeof *message);
  copy->peer = g_strdup (message->peer);
  copy->thread_id = g_strdup (message->thread_id);
  copy->parent_thread_id = g_strdup (message->parent_thread_id);
  copy->body = g_strdup (message->body);
  copy->subject = g_strdup (message->subject);
  copy->stanza_id = g_strdup (message->stanza_id);
  copy->stanza_id_by = g_strdup (message->stanza_id_by);
  copy->origin_id = g_strdup (message->origin_id);
  copy->message_id = g_strdup (message->message_id);
  return copy;
}

void
messenger_store_message_free (MessengerStoreMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->peer);
  g_free (message->thread_id);
  g_free (message->parent_thread_id);
  g_free (message->body);
  g_free (message->subject);
  g_free (message->stanza_id);
  g_free (message->stanza_id_by);
  g_free (message->origin_id);
  g_free (message->message_id);
  g_free (message);
}

MessengerStoreConversation *
messenger_store_conversation_copy (const MessengerStoreConversation *conversation)
{
  MessengerStoreConversation *copy;

  g_return_val_if_fail (conversation != NULL, NULL);

  copy = g_memdup2 (conversation, sizeof *conversation);
  copy->peer = g_strdup (conversation->peer);
  return copy;
}

void
messenger_store_conversation_free (MessengerStoreConversation *conversation)
{
  if (conversation == NULL)
    return;

  g_free (conversation->peer);
  g_free (conversation);
}

MessengerStoreThread *
messenger_store_thread_copy (const MessengerStoreThread *thread)
{
  MessengerStoreThread *copy;

  g_return_val_if_fail (thread != NULL, NULL);

  copy = g_memdup2 (thread, sizeof *thread);
  copy->thread_id = g_strdup (thread->thread_id);
  copy->parent_thread_id = g_strdup (thread->parent_thread_id);
  copy->subject = g_strdup (thread->subject);
  return copy;
}

void
messenger_store_thread_free (MessengerStoreThread *thread)
{
  if (thread == NULL)
    return;

  g_free (thread->thread_id);
  g_free (thread->parent_thread_id);
  g_free (thread->subject);
  g_free (thread);
}

void
messenger_store_search_hit_free (MessengerStoreSearchHit *hit)
{
  if (hit == NULL)
    return;

  messenger_store_message_free (hit->message);
  g_free (hit->snippet);
  g_free (hit);
}

MessengerStoreMamState *
messenger_store_mam_state_copy (const MessengerStoreMamState *state)
{
  MessengerStoreMamState *copy;

  g_return_val_if_fail (state != NULL, NULL);

  copy = g_memdup2 (state, sizeof *state);
  copy->archive = g_strdup (state->archive);
  copy->last_id = g_strdup (state->last_id);
  copy->oldest_id = g_strdup (state->oldest_id);
  return copy;
}

void
messenger_store_mam_state_free (MessengerStoreMamState *state)
{
  if (state == NULL)
    return;

  g_free (state->archive);
  g_free (state->last_id);
  g_free (state->oldest_id);
  g_free (state);
}
