/* messenger-store.h: the SQLite cache of accounts, roster and history
 *
 * One MessengerStore per profile database.  Every write is queued to a single
 * writer thread, which commits queued writes in batches; an *_async write
 * completes, on the caller's thread-default main context, only once its
 * transaction is committed, so the caller may then acknowledge the data to
 * the server.  Reads are synchronous and cheap (a page of history is one
 * index range scan) on a pool of read-only connections, and the heavier ones
 * also come as *_async variants that run in a worker thread.
 *
 * The schema and the reasons behind it: docs/store.md.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-store-records.h"

G_BEGIN_DECLS

#define MESSENGER_STORE_ERROR (messenger_store_error_quark ())

typedef enum
{
  MESSENGER_STORE_ERROR_OPEN,      /* the file cannot be created or opened */
  MESSENGER_STORE_ERROR_CORRUPT,   /* not a database, or a damaged one */
  MESSENGER_STORE_ERROR_QUERY,     /* any other SQLite failure */
  MESSENGER_STORE_ERROR_VERSION,   /* written by a newer Messenger */
  MESSENGER_STORE_ERROR_NOT_FOUND, /* no such account or row */
  MESSENGER_STORE_ERROR_EXISTS,    /* e.g. an account with that JID */
  MESSENGER_STORE_ERROR_INVALID,   /* a record that cannot be stored as given */
  MESSENGER_STORE_ERROR_FULL,      /* the disk is full */
  MESSENGER_STORE_ERROR_CLOSED,    /* messenger_store_close() was called */
} MessengerStoreError;

typedef enum
{
  MESSENGER_STORE_PAGE_OLDER, /* rows before the anchor */
  MESSENGER_STORE_PAGE_NEWER, /* rows after the anchor */
} MessengerStorePageDirection;

#define MESSENGER_TYPE_STORE (messenger_store_get_type ())

G_DECLARE_FINAL_TYPE (MessengerStore, messenger_store, MESSENGER, STORE, GObject)

GQuark          messenger_store_error_quark       (void);

/* Opening and closing.  Opening creates the folder and the file, and migrates
 * the schema; the async variant does it in a worker thread. */
MessengerStore *messenger_store_open              (const char           *path,
                                                   GError              **error);
void            messenger_store_open_async        (const char           *path,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
MessengerStore *messenger_store_open_finish       (GAsyncResult         *result,
                                                   GError              **error);
void            messenger_store_close             (MessengerStore       *self);
const char     *messenger_store_get_path          (MessengerStore       *self);
char           *messenger_store_get_journal_mode  (MessengerStore       *self);
guint           messenger_store_get_schema_version (MessengerStore      *self);

/* Runs PRAGMA integrity_check and the search index's own check in the writer
 * thread (it must see a quiet database, and it blocks writes meanwhile). */
void            messenger_store_check_integrity_async  (MessengerStore       *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean        messenger_store_check_integrity_finish (MessengerStore       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* Completes once every write queued before it is committed. */
void            messenger_store_flush_async       (MessengerStore       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean        messenger_store_flush_finish      (MessengerStore       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* Accounts */
void            messenger_store_add_account_async    (MessengerStore              *self,
                                                      const MessengerStoreAccount *account,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gint64          messenger_store_add_account_finish   (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
void            messenger_store_update_account_async (MessengerStore              *self,
                                                      const MessengerStoreAccount *account,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gboolean        messenger_store_update_account_finish (MessengerStore             *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
void            messenger_store_remove_account_async (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gboolean        messenger_store_remove_account_finish (MessengerStore             *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
GPtrArray      *messenger_store_list_accounts        (MessengerStore              *self,
                                                      GError                     **error);
MessengerStoreAccount *
                messenger_store_get_account          (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GError                     **error);

/* Roster.  Every change carries the server's roster version (RFC 6121
 * §2.6), stored in the same transaction; NULL clears it. */
void            messenger_store_replace_roster_async (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GPtrArray                   *items,
                                                      const char                  *version,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
void            messenger_store_update_roster_async  (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GPtrArray                   *items,
                                                      const char                  *version,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
void            messenger_store_remove_roster_item_async (MessengerStore          *self,
                                                      gint64                       account_id,
                                                      const char                  *jid,
                                                      const char                  *version,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gboolean        messenger_store_roster_finish        (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
GPtrArray      *messenger_store_load_roster          (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      char                       **version,
                                                      GError                     **error);
/* The roster without copies, for whoever keeps it in its own form (the
 * roster model): @func gets each item, by JID, borrowed for the call (its
 * groups sorted, NULL when none).  On this thread, in one read
 * transaction; FALSE with @error when the read failed, after the items
 * that could be read. */
typedef void  (*MessengerStoreRosterItemFunc)        (const MessengerStoreRosterItem *item,
                                                      gpointer                     user_data);
gboolean        messenger_store_foreach_roster_item  (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      char                       **version,
                                                      MessengerStoreRosterItemFunc func,
                                                      gpointer                     user_data,
                                                      GError                     **error);
void            messenger_store_load_roster_async    (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
GPtrArray      *messenger_store_load_roster_finish   (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      char                       **version,
                                                      GError                     **error);

/* Messages: writing */
void            messenger_store_insert_message_async (MessengerStore              *self,
                                                      const MessengerStoreMessage *message,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gint64          messenger_store_insert_message_finish (MessengerStore             *self,
                                                      GAsyncResult                *result,
                                                      gboolean                    *duplicate,
                                                      GError                     **error);
void            messenger_store_insert_messages_async (MessengerStore             *self,
                                                      GPtrArray                   *messages,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
GArray         *messenger_store_insert_messages_finish (MessengerStore            *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
void            messenger_store_set_delivery_state_async (MessengerStore          *self,
                                                      gint64                       message_id,
                                                      MessengerStoreDeliveryState  state,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
void            messenger_store_set_delivery_state_by_origin_id_async (MessengerStore *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *origin_id,
                                                      MessengerStoreDeliveryState  state,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gint64          messenger_store_set_delivery_state_finish (MessengerStore         *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
void            messenger_store_mark_read_async      (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *thread_id,
                                                      gint64                       up_to_id,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
guint           messenger_store_mark_read_finish     (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);

/* Messages: reading.  Pages come back in chronological order. */
GPtrArray      *messenger_store_load_messages        (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *thread_id,
                                                      MessengerStorePageDirection  direction,
                                                      gint64                       anchor_id,
                                                      guint                        limit,
                                                      GError                     **error);
void            messenger_store_load_messages_async  (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *thread_id,
                                                      MessengerStorePageDirection  direction,
                                                      gint64                       anchor_id,
                                                      guint                        limit,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
GPtrArray      *messenger_store_load_messages_finish (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
GPtrArray      *messenger_store_load_messages_around (MessengerStore              *self,
                                                      gint64                       message_id,
                                                      const char                  *thread_id,
                                                      guint                        n_before,
                                                      guint                        n_after,
                                                      GError                     **error);
guint           messenger_store_count_messages       (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *thread_id,
                                                      GError                     **error);
MessengerStoreMessage *
                messenger_store_get_message          (MessengerStore              *self,
                                                      gint64                       message_id,
                                                      GError                     **error);
MessengerStoreMessage *
                messenger_store_find_message_by_origin_id (MessengerStore         *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *origin_id,
                                                      GError                     **error);
MessengerStoreMessage *
                messenger_store_find_message_by_stanza_id (MessengerStore         *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *stanza_id_by,
                                                      const char                  *stanza_id,
                                                      GError                     **error);
GPtrArray      *messenger_store_list_pending         (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GError                     **error);
GPtrArray      *messenger_store_list_conversations   (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      GError                     **error);
GPtrArray      *messenger_store_list_threads         (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      GError                     **error);

/* Full-text search, newest first.  account_id 0 searches every account,
 * peer NULL every conversation; before_id 0 starts at the newest match. */
GPtrArray      *messenger_store_search               (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *query,
                                                      gint64                       before_id,
                                                      guint                        limit,
                                                      GError                     **error);
void            messenger_store_search_async         (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *peer,
                                                      const char                  *query,
                                                      gint64                       before_id,
                                                      guint                        limit,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
GPtrArray      *messenger_store_search_finish        (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);

/* Archive catch-up (XEP-0313) */
MessengerStoreMamState *
                messenger_store_get_mam_state        (MessengerStore              *self,
                                                      gint64                       account_id,
                                                      const char                  *archive,
                                                      GError                     **error);
void            messenger_store_set_mam_state_async  (MessengerStore              *self,
                                                      const MessengerStoreMamState *state,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
gboolean        messenger_store_set_mam_state_finish (MessengerStore              *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);

G_END_DECLS
