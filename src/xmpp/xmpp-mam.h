/* xmpp-mam.h: querying a message archive (XEP-0313 v2, with XEP-0059
 * result set management)
 *
 * One call asks for one page: the archive sends the matching messages as
 * <result/> messages, then answers the iq with <fin/> saying whether the
 * page reached the end (complete) and the ids of its first and last
 * message, from which the next page is asked (after = last).  Results are
 * accepted only from the archive queried (our own: no 'from', or our bare
 * JID) and only for this query's id; anything else is dropped.
 */
#pragma once

#include "xmpp-message.h"

G_BEGIN_DECLS

#define XMPP_NS_MAM  "urn:xmpp:mam:2"
#define XMPP_NS_RSM  "http://jabber.org/protocol/rsm"
#define XMPP_NS_DATA "jabber:x:data"

typedef struct
{
  const char *with;     /* only messages with this JID; NULL: all */
  const char *after;    /* the page after this archive id; NULL: from the start */
  const char *before;   /* the page before this id; "": the newest page; NULL: not backwards */
  guint       max;      /* page size; 0: the archive's default */
} XmppMamQuery;

typedef struct
{
  /* XmppMessage, oldest first, via XMPP_MESSAGE_VIA_ARCHIVE, with
   * stanza_id the archive id, stanza_id_by the archive's JID and delay
   * when the archive stored the message */
  GPtrArray *messages;
  char      *first;     /* RSM ids of the page (NULL when it is empty) */
  char      *last;
  gboolean   complete;  /* no more pages in the direction asked */
} XmppMamPage;

void         xmpp_mam_page_free    (XmppMamPage          *page);

/* @archive: NULL for our own account's archive. */
void         xmpp_mam_query_async  (XmppClient           *client,
                                    const char           *archive,
                                    const XmppMamQuery   *query,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
XmppMamPage *xmpp_mam_query_finish (XmppClient           *client,
                                    GAsyncResult         *result,
                                    GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppMamPage, xmpp_mam_page_free)

G_END_DECLS
