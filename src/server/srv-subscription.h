/* srv-subscription.h: the presence subscription state machine (RFC 6121 App. A)
 *
 * Pure functions: given the state of one roster relationship (the user's
 * view of one contact) and a subscription stanza, they say what the new
 * state is and what the server has to do.  No storage, no I/O; the
 * presence module (srv-presence.c) carries the outcome out.
 *
 * Outbound = the user's client sent the stanza to the contact (A.2);
 * inbound = the contact's server delivered it to the user (A.3).
 *
 * The caller performs an outcome in this order:
 *
 *   outbound:  presence UNAVAILABLE (before the stanza: the contact must
 *              not be left with stale presence, RFC 6121 §3.2.2) →
 *              route the stanza if @forward → roster push if @push →
 *              presence AVAILABLE (after the approval, §3.1.5)
 *   inbound:   deliver the stanza to the user if @forward → roster push
 *              if @push → @reply from the user's bare JID → @presence
 *
 * and stores the pending-in flag as a stored subscription request (add it
 * when it becomes set, delete it when it becomes clear).
 */
#pragma once

#include <glib.h>

#include "xmpp-roster.h"

G_BEGIN_DECLS

typedef enum
{
  SRV_SUB_SUBSCRIBE,
  SRV_SUB_SUBSCRIBED,
  SRV_SUB_UNSUBSCRIBE,
  SRV_SUB_UNSUBSCRIBED,
} SrvSubType;

/* The user's view of one contact.  "None" covers "not in the roster". */
typedef struct
{
  XmppSubscription subscription;  /* none, to, from or both */
  gboolean         pending_out;   /* the user asked (ask='subscribe') */
  gboolean         pending_in;    /* the contact asked, not answered yet */
  gboolean         approved;      /* pre-approved (RFC 6121 §3.4) */
} SrvSubState;

typedef enum
{
  SRV_SUB_PRESENCE_NONE,
  /* The current presence of each of the user's available resources, from
   * its full JID to the contact's bare JID. */
  SRV_SUB_PRESENCE_AVAILABLE,
  /* type='unavailable' from each of the user's available resources. */
  SRV_SUB_PRESENCE_UNAVAILABLE,
} SrvSubPresence;

typedef enum
{
  SRV_SUB_REPLY_NONE,
  SRV_SUB_REPLY_SUBSCRIBED,
  SRV_SUB_REPLY_UNSUBSCRIBED,
} SrvSubReply;

typedef struct
{
  SrvSubState    state;     /* the new state */
  gboolean       forward;   /* outbound: route to the contact;
                             * inbound: deliver to the user's resources */
  gboolean       push;      /* subscription, ask or approved changed:
                             * roster push (creating the item if needed) */
  SrvSubPresence presence;
  SrvSubReply    reply;     /* inbound only */
} SrvSubOutcome;

gboolean    srv_sub_type_from_string   (const char        *type,
                                        SrvSubType        *out);
const char *srv_sub_type_to_string     (SrvSubType         type);

/* Drop flags the RFC states cannot have ("To + Pending Out" is just To,
 * "From + Pending In" just From; a pre-approval is moot once the contact
 * is subscribed). */
void        srv_sub_state_normalize    (SrvSubState       *state);
/* "None", "None + Pending Out", "To + Pending In", … as in RFC 6121 A.1,
 * with " (pre-approved)" when approved; for logs and tests. */
char       *srv_sub_state_describe     (const SrvSubState *state);
gboolean    srv_sub_state_equal        (const SrvSubState *a,
                                        const SrvSubState *b);

/* A.2: the user sends @type to the contact. */
void        srv_subscription_outbound  (const SrvSubState *state,
                                        SrvSubType         type,
                                        SrvSubOutcome     *outcome);
/* A.3: the contact's @type arrives for the user. */
void        srv_subscription_inbound   (const SrvSubState *state,
                                        SrvSubType         type,
                                        SrvSubOutcome     *outcome);

G_END_DECLS
