/* messenger-store-records.h: the plain records the store reads and writes
 *
 * These are value types, not objects: the store copies what it is given and
 * hands back fresh copies, so a caller may free its record as soon as a call
 * returns.  Times are microseconds since the Unix epoch, UTC (the unit of
 * g_get_real_time ()); 0 means "none".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  MESSENGER_STORE_DIRECTION_IN,
  MESSENGER_STORE_DIRECTION_OUT,
} MessengerStoreDirection;

typedef enum
{
  MESSENGER_STORE_MESSAGE_CHAT,
  MESSENGER_STORE_MESSAGE_NORMAL,
  MESSENGER_STORE_MESSAGE_GROUPCHAT,
  MESSENGER_STORE_MESSAGE_HEADLINE,
  MESSENGER_STORE_MESSAGE_ERROR,
} MessengerStoreMessageType;

/* The life of an outgoing message.  The forward chain is
 * PENDING → SENT → ACKED → DELIVERED; FAILED may follow any state before
 * DELIVERED, and a FAILED message may go back to PENDING (retry) or on to
 * DELIVERED (a receipt arrived after all).  Incoming messages are stored as
 * DELIVERED.  See messenger_store_set_delivery_state_async(). */
typedef enum
{
  MESSENGER_STORE_DELIVERY_PENDING,
  MESSENGER_STORE_DELIVERY_SENT,
  MESSENGER_STORE_DELIVERY_ACKED,
  MESSENGER_STORE_DELIVERY_DELIVERED,
  MESSENGER_STORE_DELIVERY_FAILED,
} MessengerStoreDeliveryState;

typedef enum
{
  MESSENGER_STORE_SUBSCRIPTION_NONE,
  MESSENGER_STORE_SUBSCRIPTION_TO,
  MESSENGER_STORE_SUBSCRIPTION_FROM,
  MESSENGER_STORE_SUBSCRIPTION_BOTH,
} MessengerStoreSubscription;

/* An account's settings.  There is deliberately no password: libsecret
 * holds it. */
typedef struct
{
  gint64    id;                 /* set by the store */
  char     *jid;                /* bare JID, unique */
  char     *display_name;
  char     *server;             /* NULL: DNS SRV lookup */
  guint16   port;               /* 0: the default */
  gboolean  direct_tls;
  char     *pinned_fingerprint; /* NULL: use the system trust */
  gboolean  enabled;
  char     *roster_version;     /* read-only here: roster calls set it */
} MessengerStoreAccount;

typedef struct
{
  char                       *jid;      /* contact bare JID */
  char                       *name;
  MessengerStoreSubscription  subscription;
  gboolean                    ask;      /* our subscription request is pending */
  gboolean                    approved; /* pre-approved */
  char                      **groups;   /* NULL-terminated; NULL for none */
} MessengerStoreRosterItem;

typedef struct
{
  gint64                       id;               /* set by the store; time-ordered */
  gint64                       account_id;
  char                        *peer;             /* bare JID of the other side */
  char                        *thread_id;        /* NULL: no thread */
  char                        *parent_thread_id; /* stored on the thread */
  MessengerStoreDirection      direction;
  MessengerStoreMessageType    type;
  char                        *body;
  char                        *subject;
  gint64                       time;             /* sort time; 0: delay_time, else received_time */
  gint64                       delay_time;       /* XEP-0203 original stamp; 0: none */
  gint64                       received_time;    /* local arrival; 0: now */
  char                        *stanza_id;        /* XEP-0359 / MAM archive id */
  char                        *stanza_id_by;     /* required with stanza_id */
  char                        *origin_id;        /* XEP-0359 origin-id */
  char                        *message_id;       /* the stanza's id attribute */
  MessengerStoreDeliveryState  state;
  gboolean                     unread;
} MessengerStoreMessage;

typedef struct
{
  gint64  account_id;
  char   *peer;
  gint64  last_time;
  guint   unread;
  guint   message_count;
} MessengerStoreConversation;

typedef struct
{
  char   *thread_id;
  char   *parent_thread_id;
  char   *subject;
  gint64  first_time;
  gint64  last_time;
  guint   unread;
  guint   message_count;
} MessengerStoreThread;

/* A search result: the message and a snippet of its body in which every
 * match is wrapped in MESSENGER_STORE_MATCH_START / _END. */
typedef struct
{
  MessengerStoreMessage *message;
  char                  *snippet;
} MessengerStoreSearchHit;

/* Where catching up with a message archive (XEP-0313) stands.  archive is
 * NULL for the account's own archive, or the JID of another archive. */
typedef struct
{
  gint64    account_id;
  char     *archive;
  char     *last_id;       /* newest archive id we hold */
  gint64    last_time;
  char     *oldest_id;     /* oldest archive id we hold */
  gint64    oldest_time;
  gboolean  complete;      /* paged back to the start of the archive */
} MessengerStoreMamState;

/* The result of inserting one message. */
typedef struct
{
  gint64   id;
  gboolean duplicate;
} MessengerStoreInsertResult;

/* Match markers in snippets: control characters that XML 1.0 cannot carry,
 * so they never occur in a body and survive markup escaping untouched. */
#define MESSENGER_STORE_MATCH_START "\002"
#define MESSENGER_STORE_MATCH_END   "\003"

MessengerStoreAccount      *messenger_store_account_new        (const char                       *jid);
MessengerStoreAccount      *messenger_store_account_copy       (const MessengerStoreAccount      *account);
void                        messenger_store_account_free       (MessengerStoreAccount            *account);

MessengerStoreRosterItem   *messenger_store_roster_item_new    (const char                       *jid);
MessengerStoreRosterItem   *messenger_store_roster_item_copy   (const MessengerStoreRosterItem   *item);
void                        messenger_store_roster_item_free   (MessengerStoreRosterItem         *item);

MessengerStoreMessage      *messenger_store_message_new        (void);
MessengerStoreMessage      *messenger_store_message_copy       (const MessengerStoreMessage      *message);
void                        messenger_store_message_free       (MessengerStoreMessage            *message);

MessengerStoreConversation *messenger_store_conversation_copy  (const MessengerStoreConversation *conversation);
void                        messenger_store_conversation_free  (MessengerStoreConversation       *conversation);

MessengerStoreThread       *messenger_store_thread_copy        (const MessengerStoreThread       *thread);
void                        messenger_store_thread_free        (MessengerStoreThread             *thread);

void                        messenger_store_search_hit_free    (MessengerStoreSearchHit          *hit);

MessengerStoreMamState     *messenger_store_mam_state_copy     (const MessengerStoreMamState     *state);
void                        messenger_store_mam_state_free     (MessengerStoreMamState           *state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreAccount, messenger_store_account_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreRosterItem, messenger_store_roster_item_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreMessage, messenger_store_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreConversation, messenger_store_conversation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreThread, messenger_store_thread_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreSearchHit, messenger_store_search_hit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MessengerStoreMamState, messenger_store_mam_state_free)

G_END_DECLS
