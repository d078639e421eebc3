/* messenger-search.h: full-text search over the history, as a list model
 *
 * A GListModel of MessengerMessage (each with a snippet), newest first,
 * for what the person typed: every word must occur, the last may be the
 * start of a word, in any script (the store's tokenizer handles Chinese
 * and Japanese too).  Setting the query starts a search in a worker
 * thread and cancels the one before; the results replace the list in one
 * items-changed when they arrive.  load_more() appends the next page.
 */
#pragma once

#include <gio/gio.h>

#include "messenger-store.h"

G_BEGIN_DECLS

#define MESSENGER_SEARCH_PAGE_SIZE 50

#define MESSENGER_TYPE_SEARCH (messenger_search_get_type ())
G_DECLARE_FINAL_TYPE (MessengerSearch, messenger_search, MESSENGER, SEARCH, GObject)

/* Search @account_id (0: every account), in one conversation (@peer) or
 * all of them (NULL). */
MessengerSearch *messenger_search_new           (MessengerStore  *store,
                                                 gint64           account_id,
                                                 const char      *peer);
const char      *messenger_search_get_query     (MessengerSearch *self);
/* An empty or NULL query clears the results. */
void             messenger_search_set_query     (MessengerSearch *self,
                                                 const char      *query);
/* A search is running. */
gboolean         messenger_search_get_searching (MessengerSearch *self);
/* More results exist than are listed. */
gboolean         messenger_search_get_has_more  (MessengerSearch *self);
void             messenger_search_load_more     (MessengerSearch *self);

G_END_DECLS
