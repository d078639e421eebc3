/* xmpp-sm.h: the counting half of XEP-0198 stream management
 *
 * XmppSm keeps one stream-management session's books and does no I/O;
 * XmppClient speaks the protocol around it.  Counts are what goes on the
 * wire: 32-bit, wrapping from 2^32 − 1 to 0 (XEP-0198 §4).
 *
 * Outbound: every stanza sent after <enable/> is pushed with an item of the
 * caller's; an <a h/> (or <resumed h/>) pops the items it acknowledges, in
 * order.  What is still queued after a resumption is sent again.
 *
 *   push ─▶ [ unacked queue ] ─ack (h)─▶ acknowledged items, oldest first
 *
 * Inbound: every stanza received after <enabled/> is counted; the one being
 * handled can be deferred (defer() → token) and counts as handled once all
 * its tokens are completed.  The handled count, sent in <a h/>, is the
 * number of stanzas up to which every one is handled, so one slow stanza
 * holds back the count of those after it.
 *
 *   received ─▶ (defer ─▶ token … complete (token)) ─▶ handled
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _XmppSm XmppSm;

/* @sent and @received are the starting counts (0 for a new session; tests
 * start near 2^32 to see the wrap).  @item_free frees what push() took. */
XmppSm   *xmpp_sm_new                 (guint32          sent,
                                       guint32          received,
                                       GDestroyNotify   item_free);
void      xmpp_sm_free                (XmppSm          *sm);

/* Outbound */

void      xmpp_sm_push                (XmppSm          *sm,
                                       gpointer         item);
/* The server has handled @h of our stanzas: the newly acknowledged items
 * move to @acked (oldest first; the caller frees them).  FALSE, with
 * nothing changed, when @h acknowledges more than was sent. */
gboolean  xmpp_sm_ack                 (XmppSm          *sm,
                                       guint32          h,
                                       GPtrArray       *acked);
/* Stanzas sent so far (the count the server's h is compared with). */
guint32   xmpp_sm_get_sent            (XmppSm          *sm);
guint32   xmpp_sm_get_acked           (XmppSm          *sm);
guint     xmpp_sm_get_n_unacked       (XmppSm          *sm);
/* The @n-th unacknowledged item, oldest first (for sending them again). */
gpointer  xmpp_sm_peek_unacked        (XmppSm          *sm,
                                       guint            n);
/* Empty the queue into @items (oldest first; the caller frees them). */
void      xmpp_sm_take_unacked        (XmppSm          *sm,
                                       GPtrArray       *items);

/* Inbound */

void      xmpp_sm_received            (XmppSm          *sm);
/* Defer the stanza counted last: it is not handled until the token is
 * completed.  Tokens are never 0 and never reused in the process. */
guint64   xmpp_sm_defer               (XmppSm          *sm);
/* TRUE when this changed the handled count.  Unknown tokens (already
 * completed, or of a session that is gone) are ignored. */
gboolean  xmpp_sm_complete            (XmppSm          *sm,
                                       guint64          token);
guint32   xmpp_sm_get_received        (XmppSm          *sm);
guint32   xmpp_sm_get_handled         (XmppSm          *sm);
guint     xmpp_sm_get_n_deferred      (XmppSm          *sm);
/* After a resumption the server sends again everything after the count
 * we gave it: start counting from there and forget the deferrals (the
 * stanzas come again and are deferred again). */
void      xmpp_sm_restart_inbound     (XmppSm          *sm,
                                       guint32          handled);

G_END_DECLS
