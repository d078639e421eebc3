/* xmpp-sm.c: the counting half of XEP-0198 stream management
 *
 * Outbound the queue holds exactly the unacknowledged stanzas, so the sent
 * count is the acknowledged count plus the queue's length; an <a h/> pops
 * (h − acked) mod 2^32 items.  Inbound only the stanzas with deferrals
 * still open are kept, in arrival order, so the handled count is one less
 * than the oldest of them (or everything received when there is none).
 * Unsigned 32-bit arithmetic does the wrapping.
 */
#include "config.h"

#include "xmpp-sm.h"

typedef struct
{
  guint32  seq;            /* the stanza's number (the count when it came) */
  guint    open;           /* tokens not completed yet */
  GList   *link;           /* in XmppSm.deferred */
} Deferred;

struct _XmppSm
{
  /* outbound */
  GQueue          unacked;
  guint32         acked;
  GDestroyNotify  item_free;

  /* inbound */
  guint32         received;
  GQueue          deferred;    /* Deferred, oldest first */
  GHashTable     *tokens;      /* guint64 * → Deferred */
};

/* Tokens are unique in the process, so one of an ended session can never
 * complete a deferral of the next. */
static guint64 last_token;
G_LOCK_DEFINE_STATIC (last_token);

XmppSm *
xmpp_sm_new (guint32        sent,
             guint32        received,
             GDestroyNotify item_free)
{
  XmppSm *sm = g_new0 (XmppSm, 1);

  g_queue_init (&sm->unacked);
  g_queue_init (&sm->deferred);
  sm->acked = sent;
  sm->received = received;
  sm->item_free = item_free;
  sm->tokens = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  return sm;
}

void
xmpp_sm_free (XmppSm *sm)
{
  if (sm == NULL)
    return;

  if (sm->item_free != NULL)
    g_queue_clear_full (&sm->unacked, sm->item_free);
  else
    g_queue_clear (&sm->unacked);
  g_queue_clear_full (&sm->deferred, g_free);
  g_hash_table_unref (sm->tokens);
  g_free (sm);
}

/* Outbound */

void
xmpp_sm_push (XmppSm   *sm,
              gpointer  item)
{
  g_return_if_fail (sm != NULL);

  g_queue_push_tail (&sm->unacked, item);
}

gboolean
xmpp_sm_ack (XmppSm    *sm,
             guint32    h,
             GPtrArray *acked)
{
  guint32 n;

  g_return_val_if_fail (sm != NULL, FALSE);

  n = h - sm->acked;
  if (n > sm->unacked.length)
    return FALSE;

  for (guint32 i = 0; i < n; i++)
    {
      gpointer item = g_queue_pop_head (&sm->unacked);

      if (acked != NULL)
        g_ptr_array_add (acked, item);
      else if (sm->item_free != NULL)
        sm->item_free (item);
    }
  sm->acked = h;
  return TRUE;
}

guint32
xmpp_sm_get_sent (XmppSm *sm)
{
  g_return_val_if_fail (sm != NULL, 0);

  return sm->acked + sm->unacked.length;
}

guint32
xmpp_sm_get_acked (XmppSm *sm)
{
  g_return_val_if_fail (sm != NULL, 0);

  return sm->acked;
}

guint
xmpp_sm_get_n_unacked (XmppSm *sm)
{
  g_return_val_if_fail (sm != NULL, 0);

  return sm->unacked.length;
}

gpointer
xmpp_sm_peek_unacked (XmppSm *sm,
                      guint   n)
{
  g_return_val_if_fail (sm != NULL, NULL);

  return g_queue_peek_nth (&sm->unacked, n);
}

void
xmpp_sm_take_unacked (XmppSm    *sm,
                      GPtrArray *items)
{
  gpointer item;

  g_return_if_fail (sm != NULL);
  g_return_if_fail (items != NULL);

  /* The count stays: the session's numbering does not restart. */
  while ((item = g_queue_pop_head (&sm->unacked)) != NULL)
    {
      g_ptr_array_add (items, item);
      sm->acked++;
    }
}

/* Inbound */

void
xmpp_sm_received (XmppSm *sm)
{
  g_return_if_fail (sm != NULL);

  sm->received++;
}

guint64
xmpp_sm_defer (XmppSm *sm)
{
  Deferred *last;
  guint64 token;

  g_return_val_if_fail (sm != NULL, 0);

  last = g_queue_peek_tail (&sm->deferred);
  if (last == NULL || last->seq != sm->received)
    {
      last = g_new0 (Deferred, 1);
      last->seq = sm->received;
      g_queue_push_tail (&sm->deferred, last);
      last->link = sm->deferred.tail;
    }
  last->open++;

  G_LOCK (last_token);
  token = ++last_token;
  G_UNLOCK (last_token);

  g_hash_table_insert (sm->tokens, g_memdup2 (&token, sizeof token), last);
  return token;
}

gboolean
xmpp_sm_complete (XmppSm  *sm,
                  guint64  token)
{
  Deferred *deferred;
  gboolean oldest;

  g_return_val_if_fail (sm != NULL, FALSE);

  deferred = g_hash_table_lookup (sm->tokens, &token);
  if (deferred == NULL)
    return FALSE;
  g_hash_table_remove (sm->tokens, &token);

  if (--deferred->open > 0)
    return FALSE;

  oldest = deferred->link == sm->deferred.head;
  g_queue_delete_link (&sm->deferred, deferred->link);
  g_free (deferred);
  return oldest;
}

guint32
xmpp_sm_get_received (XmppSm *sm)
{
  g_return_val_if_fail (sm != NULL, 0);

  return sm->received;
}

guint32
xmpp_sm_get_handled (XmppSm *sm)
{
  Deferred *oldest;

  g_return_val_if_fail (sm != NULL, 0);

  oldest = g_queue_peek_head (&sm->deferred);
  return oldest != NULL ? oldest->seq - 1 : sm->received;
}

guint
xmpp_sm_get_n_deferred (XmppSm *sm)
{
  g_return_val_if_fail (sm != NULL, 0);

  return sm->deferred.length;
}

void
xmpp_sm_restart_inbound (XmppSm  *sm,
                         guint32  handled)
{
  g_return_if_fail (sm != NULL);

  g_hash_table_remove_all (sm->tokens);
  g_queue_clear_full (&sm->deferred, g_free);
  sm->received = handled;
}
