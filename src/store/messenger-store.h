/* messenger-store.h: the SQLite cache of roster and history
 *
 * This milestone provides opening the database with the settings every
 * later part relies on (WAL, foreign keys, secure delete); the schema and
 * its migrations arrive with the store milestone.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MESSENGER_STORE_ERROR (messenger_store_error_quark ())

typedef enum
{
  MESSENGER_STORE_ERROR_OPEN,
  MESSENGER_STORE_ERROR_CORRUPT,
  MESSENGER_STORE_ERROR_QUERY,
} MessengerStoreError;

typedef struct _MessengerStore MessengerStore;

GQuark          messenger_store_error_quark       (void);
MessengerStore *messenger_store_open              (const char     *path,
                                                   GError        **error);
void            messenger_store_close             (MessengerStore *self);
const char     *messenger_store_get_path          (MessengerStore *self);
char           *messenger_store_get_journal_mode  (MessengerStore *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStore, messenger_store_close)

G_END_DECLS
