/* srv-storage.h: the server's SQLite storage
 *
 * One database (messenger-server.db in the data dir, WAL, synchronous=FULL
 * for anything acknowledged to a client) holding accounts (only salted SCRAM
 * keys, never passwords), rosters with their version, pending inbound
 * subscription requests, offline messages, the message archive (MAM),
 * block lists and vCards.  All calls are synchronous and fast (prepared
 * statements, indexes matching each query); the server is single-threaded.
 * Bare JIDs are passed as canonical strings ("user@domain").
 */
#pragma once

#include <glib.h>

#include "xmpp-element.h"
#include "xmpp-roster.h"
#include "xmpp-sasl.h"

G_BEGIN_DECLS

#define SRV_STORAGE_ERROR (srv_storage_error_quark ())

typedef enum
{
  SRV_STORAGE_ERROR_FAILED,
  SRV_STORAGE_ERROR_EXISTS,
  SRV_STORAGE_ERROR_NOT_FOUND,
  SRV_STORAGE_ERROR_CORRUPT,
  SRV_STORAGE_ERROR_FULL,         /* a per-account limit is reached */
} SrvStorageError;

typedef struct _SrvStorage SrvStorage;

/* One roster item as stored: the server's view of one contact. */
typedef struct
{
  char             *contact;          /* bare JID */
  char             *name;
  GStrv             groups;           /* never NULL */
  XmppSubscription  subscription;     /* none/to/from/both */
  gboolean          pending_out;      /* we asked: ask='subscribe' */
  gboolean          pending_in;       /* they asked, not answered yet: read
                                       * from the stored subscription request,
                                       * ignored by put_roster_item() */
  gboolean          approved;         /* pre-approved */
} SrvRosterItem;

/* What an acknowledged write survives.  POWER_LOSS (the default,
 * synchronous=FULL) waits for the disk on every commit; CRASH
 * (synchronous=NORMAL) survives a kill -9 or a crash of the server, but
 * not of the machine, and saves an fsync per write (~0.4 ms here). */
typedef enum
{
  SRV_STORAGE_DURABILITY_POWER_LOSS,
  SRV_STORAGE_DURABILITY_CRASH,
} SrvStorageDurability;

GQuark      srv_storage_error_quark      (void);
SrvStorage *srv_storage_open             (const char  *path,
                                          GError     **error);
void        srv_storage_close            (SrvStorage  *self);
void        srv_storage_set_durability   (SrvStorage  *self,
                                          SrvStorageDurability durability);
/* Group commit.  With batching on, writes join one open transaction
 * instead of committing one by one, and srv_storage_commit() ends it: the
 * core calls it before it writes to any socket, so nothing is
 * acknowledged or forwarded before it is stored, and one commit (one
 * fsync) covers everything a main-loop iteration wrote.  Off by default;
 * close() and turning it off commit what is pending. */
void        srv_storage_set_batching     (SrvStorage  *self,
                                          gboolean     batching);
gboolean    srv_storage_commit           (SrvStorage  *self,
                                          GError     **error);
/* Called at every write call (successful or not): the core
 * notes whose stanza wrote into the open batch, to know whom a failed
 * commit concerns. */
typedef void (*SrvStorageWriteFunc)      (gpointer     user_data);
void        srv_storage_set_write_func   (SrvStorage  *self,
                                          SrvStorageWriteFunc func,
                                          gpointer     user_data);

/* Accounts */
gboolean    srv_storage_add_account      (SrvStorage  *self,
                                          const char  *username,
                                          const char  *password,
                                          GError     **error);
gboolean    srv_storage_set_password     (SrvStorage  *self,
                                          const char  *username,
                                          const char  *password,
                                          GError     **error);
gboolean    srv_storage_remove_account   (SrvStorage  *self,
                                          const char  *username,
                                          GError     **error);
gboolean    srv_storage_account_exists   (SrvStorage  *self,
                                          const char  *username);
GStrv       srv_storage_list_accounts    (SrvStorage  *self);
/* Stored keys for SASL: hash_name "SHA-1", "SHA-256" or "SHA-512". */
gboolean    srv_storage_get_credentials  (SrvStorage  *self,
                                          const char  *username,
                                          const char  *hash_name,
                                          XmppScramCredentials *out);

/* Rosters: user and contact are bare JID strings. */
void           srv_roster_item_free      (SrvRosterItem *item);
SrvRosterItem *srv_roster_item_copy      (const SrvRosterItem *item);
GPtrArray     *srv_storage_get_roster    (SrvStorage  *self,
                                          const char  *user);     /* SrvRosterItem */
SrvRosterItem *srv_storage_get_roster_item (SrvStorage *self,
                                          const char  *user,
                                          const char  *contact);
/* Insert or replace the item; bumps and returns the roster version. */
char          *srv_storage_put_roster_item (SrvStorage *self,
                                          const char  *user,
                                          const SrvRosterItem *item,
                                          GError     **error);
char          *srv_storage_remove_roster_item (SrvStorage *self,
                                          const char  *user,
                                          const char  *contact,
                                          GError     **error);
char          *srv_storage_get_roster_version (SrvStorage *self,
                                          const char  *user);
/* Items changed after @version (for versioned roster gets): NULL when the
 * version is unknown (then the whole roster is sent). Removed items come
 * back with subscription XMPP_SUBSCRIPTION_REMOVE. */
GPtrArray     *srv_storage_get_roster_changes (SrvStorage *self,
                                          const char  *user,
                                          const char  *version);
/* The same, with the version each change produced (char *, in the same
 * order) for the interim pushes of RFC 6121 §2.6.3. */
GPtrArray     *srv_storage_get_roster_changes_full (SrvStorage *self,
                                          const char  *user,
                                          const char  *version,
                                          GPtrArray  **versions);

/* Pending inbound subscription requests (kept until answered), with the
 * original stanza to redeliver.  One per contact: add() returns FALSE and
 * keeps the first when one is already stored. */
gboolean    srv_storage_add_subscription_request    (SrvStorage *self,
                                                     const char *user,
                                                     const char *contact,
                                                     XmppElement *stanza);
void        srv_storage_remove_subscription_request (SrvStorage *self,
                                                     const char *user,
                                                     const char *contact);
GPtrArray  *srv_storage_get_subscription_requests   (SrvStorage *self,
                                                     const char *user);  /* XmppElement */
gboolean    srv_storage_has_subscription_request    (SrvStorage *self,
                                                     const char *user,
                                                     const char *contact);

/* Offline messages: stored in order, delivered and deleted on login.
 * With a limit set (0, the default, is none), store_offline() fails with
 * SRV_STORAGE_ERROR_FULL once the account has that many waiting. */
void        srv_storage_set_offline_limit (SrvStorage *self,
                                          guint        limit);
gboolean    srv_storage_store_offline    (SrvStorage  *self,
                                          const char  *user,
                                          XmppElement *stanza,
                                          GError     **error);
GPtrArray  *srv_storage_take_offline     (SrvStorage  *self,
                                          const char  *user);           /* XmppElement, with delay */
guint       srv_storage_count_offline    (SrvStorage  *self,
                                          const char  *user);

/* Archive (XEP-0313): returns the stanza-id assigned. */
char       *srv_storage_archive          (SrvStorage  *self,
                                          const char  *user,
                                          const char  *with,          /* bare JID of the peer */
                                          gboolean     outgoing,
                                          XmppElement *stanza,
                                          GError     **error);
typedef struct
{
  char        *id;
  gint64       timestamp;     /* µs since the epoch (UTC) */
  XmppElement *stanza;
} SrvArchivedMessage;
void        srv_archived_message_free    (SrvArchivedMessage *message);

/* What an archive query selects (XEP-0313 §4.1.1 and #extended): every
 * bound optional (NULL or 0).  Messages are ordered by time (then by
 * arrival), and every bound is a range of the indexes on (account,
 * time) and (account, peer, time). */
typedef struct
{
  const char *with;            /* the peer's bare JID */
  gint64      start;           /* µs since the epoch, inclusive */
  gint64      end;             /* µs since the epoch, inclusive */
  const char *after_id;        /* exclusive */
  const char *before_id;       /* exclusive */
} SrvArchiveFilter;

/* One page of a query (XEP-0059). */
typedef struct
{
  GPtrArray *messages;         /* SrvArchivedMessage, chronological */
  gboolean   complete;         /* nothing more in the paging direction */
  guint      count;            /* messages the whole filter selects */
  guint      first_index;      /* position of messages[0] among them */
} SrvArchivePage;

void        srv_archive_page_clear       (SrvArchivePage *page);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SrvArchivePage, srv_archive_page_clear)

/* A page of @filter's messages: the first @max after @page_after (or from
 * the start), or with @page_before set the last @max before it ("" = the
 * last page).  The counts come from the indexes (no row is read for
 * them).  An unknown id, in the filter or the page bounds, sets
 * SRV_STORAGE_ERROR_NOT_FOUND. */
gboolean    srv_storage_page_archive     (SrvStorage  *self,
                                          const char  *user,
                                          const SrvArchiveFilter *filter,
                                          const char  *page_after,
                                          const char  *page_before,
                                          guint        max,
                                          SrvArchivePage *page,
                                          GError     **error);
/* The message with id @id if @filter's peer and time range select it,
 * else NULL (with SRV_STORAGE_ERROR_NOT_FOUND set when no message has
 * that id; the filter's ids are ignored). */
SrvArchivedMessage *srv_storage_get_archived (SrvStorage  *self,
                                          const char  *user,
                                          const char  *id,
                                          const SrvArchiveFilter *filter,
                                          GError     **error);
/* Older interface: srv_storage_page_archive() without the counts and
 * with the same id as RSM bound and filter.  @with may be NULL; @after_id
 * / @before_id for RSM (before_id "" = the last page); @start/@end in µs
 * or 0.  Returns messages in chronological order; *complete when no more
 * in that direction. */
GPtrArray  *srv_storage_query_archive    (SrvStorage  *self,
                                          const char  *user,
                                          const char  *with,
                                          gint64       start,
                                          gint64       end,
                                          const char  *after_id,
                                          const char  *before_id,
                                          guint        max,
                                          gboolean    *complete,
                                          GError     **error);

/* Blocking (XEP-0191) and vCards. */
GStrv       srv_storage_get_blocklist    (SrvStorage  *self,
                                          const char  *user);
gboolean    srv_storage_block            (SrvStorage  *self,
                                          const char  *user,
                                          const char  *jid);
gboolean    srv_storage_unblock          (SrvStorage  *self,
                                          const char  *user,
                                          const char  *jid /* NULL = all */);
gboolean    srv_storage_is_blocked       (SrvStorage  *self,
                                          const char  *user,
                                          const char  *jid);
gboolean    srv_storage_set_vcard        (SrvStorage  *self,
                                          const char  *user,
                                          XmppElement *vcard);
XmppElement *srv_storage_get_vcard       (SrvStorage  *self,
                                          const char  *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvStorage, srv_storage_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvRosterItem, srv_roster_item_free)

G_END_DECLS
