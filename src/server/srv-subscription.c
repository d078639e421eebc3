/* srv-subscription.c: the presence subscription state machine
 *
 * The nine states of RFC 6121 A.1 are numbered below; each of the eight
 * transition tables of A.2 and A.3 is one row of next states per event,
 * written in the order of the RFC's tables, plus whether the stanza goes
 * on.  Pre-approval (§3.4) and the auto-replies the RFC asks for sit on
 * top of the tables in the two functions at the end.
 */
#include "config.h"

#include <string.h>

#include "srv-subscription.h"

typedef enum
{
  N,      /* None */
  N_PO,   /* None + Pending Out */
  N_PI,   /* None + Pending In */
  N_POI,  /* None + Pending Out/In */
  T,      /* To */
  T_PI,   /* To + Pending In */
  F,      /* From */
  F_PO,   /* From + Pending Out */
  B,      /* Both */
  N_STATES
} State;

/* "=" in the RFC's tables: no state change. */
#define SAME N_STATES

typedef struct
{
  guint8 next;      /* State, or SAME */
  guint8 forward;   /* route (outbound) / deliver (inbound) */
} Transition;

/* A.2.1 … A.2.4, outbound, indexed [type][state]. */
static const Transition outbound_table[4][N_STATES] = {
  [SRV_SUB_SUBSCRIBE] = {
    /* N */ { N_PO, 1 }, /* N+PO */ { SAME, 1 }, /* N+PI */ { N_POI, 1 },
    /* N+POI */ { SAME, 1 }, /* T */ { SAME, 1 }, /* T+PI */ { SAME, 1 },
    /* F */ { F_PO, 1 }, /* F+PO */ { SAME, 1 }, /* B */ { SAME, 1 },
  },
  [SRV_SUB_UNSUBSCRIBE] = {
    /* N */ { SAME, 1 }, /* N+PO */ { N, 1 }, /* N+PI */ { SAME, 1 },
    /* N+POI */ { N_PI, 1 }, /* T */ { N, 1 }, /* T+PI */ { N_PI, 1 },
    /* F */ { SAME, 1 }, /* F+PO */ { F, 1 }, /* B */ { F, 1 },
  },
  /* In N, N+PO and T "subscribed" is a pre-approval (handled below). */
  [SRV_SUB_SUBSCRIBED] = {
    /* N */ { SAME, 0 }, /* N+PO */ { SAME, 0 }, /* N+PI */ { F, 1 },
    /* N+POI */ { F_PO, 1 }, /* T */ { SAME, 0 }, /* T+PI */ { B, 1 },
    /* F */ { SAME, 0 }, /* F+PO */ { SAME, 0 }, /* B */ { SAME, 0 },
  },
  [SRV_SUB_UNSUBSCRIBED] = {
    /* N */ { SAME, 0 }, /* N+PO */ { SAME, 0 }, /* N+PI */ { N, 1 },
    /* N+POI */ { N_PO, 1 }, /* T */ { SAME, 0 }, /* T+PI */ { T, 1 },
    /* F */ { N, 1 }, /* F+PO */ { N_PO, 1 }, /* B */ { T, 1 },
  },
};

/* A.3.1 … A.3.4, inbound, indexed [type][state]. */
static const Transition inbound_table[4][N_STATES] = {
  [SRV_SUB_SUBSCRIBE] = {
    /* N */ { N_PI, 1 }, /* N+PO */ { N_POI, 1 }, /* N+PI */ { SAME, 0 },
    /* N+POI */ { SAME, 0 }, /* T */ { T_PI, 1 }, /* T+PI */ { SAME, 0 },
    /* F */ { SAME, 0 }, /* F+PO */ { SAME, 0 }, /* B */ { SAME, 0 },
  },
  [SRV_SUB_UNSUBSCRIBE] = {
    /* N */ { SAME, 0 }, /* N+PO */ { SAME, 0 }, /* N+PI */ { N, 1 },
    /* N+POI */ { N_PO, 1 }, /* T */ { SAME, 0 }, /* T+PI */ { T, 1 },
    /* F */ { N, 1 }, /* F+PO */ { N_PO, 1 }, /* B */ { T, 1 },
  },
  [SRV_SUB_SUBSCRIBED] = {
    /* N */ { SAME, 0 }, /* N+PO */ { T, 1 }, /* N+PI */ { SAME, 0 },
    /* N+POI */ { T_PI, 1 }, /* T */ { SAME, 0 }, /* T+PI */ { SAME, 0 },
    /* F */ { SAME, 0 }, /* F+PO */ { B, 1 }, /* B */ { SAME, 0 },
  },
  [SRV_SUB_UNSUBSCRIBED] = {
    /* N */ { SAME, 0 }, /* N+PO */ { N, 1 }, /* N+PI */ { SAME, 0 },
    /* N+POI */ { N_PI, 1 }, /* T */ { N, 1 }, /* T+PI */ { N_PI, 1 },
    /* F */ { SAME, 0 }, /* F+PO */ { F, 1 }, /* B */ { F, 1 },
  },
};

static const char * const state_names[N_STATES] = {
  [N] = "None",
  [N_PO] = "None + Pending Out",
  [N_PI] = "None + Pending In",
  [N_POI] = "None + Pending Out/In",
  [T] = "To",
  [T_PI] = "To + Pending In",
  [F] = "From",
  [F_PO] = "From + Pending Out",
  [B] = "Both",
};

static gboolean
has_to (XmppSubscription subscription)
{
  return subscription == XMPP_SUBSCRIPTION_TO || subscription == XMPP_SUBSCRIPTION_BOTH;
}

static gboolean
has_from (XmppSubscription subscription)
{
  return subscription == XMPP_SUBSCRIPTION_FROM || subscription == XMPP_SUBSCRIPTION_BOTH;
}

static State
state_index (const SrvSubState *state)
{
  gboolean to = has_to (state->subscription);
  gboolean from = has_from (state->subscription);

  if (to && from)
    return B;
  if (to)
    return state->pending_in ? T_PI : T;
  if (from)
    return state->pending_out ? F_PO : F;
  if (state->pending_out)
    return state->pending_in ? N_POI : N_PO;
  return state->pending_in ? N_PI : N;
}

/* Set the subscription and pending flags of @state to those of @index,
 * keeping @approved. */
static void
state_set_index (SrvSubState *state,
                 State        index)
{
  switch (index)
    {
    case N:
    case N_PO:
    case N_PI:
    case N_POI:
      state->subscription = XMPP_SUBSCRIPTION_NONE;
      break;
    case T:
    case T_PI:
      state->subscription = XMPP_SUBSCRIPTION_TO;
      break;
    case F:
    case F_PO:
      state->subscription = XMPP_SUBSCRIPTION_FROM;
      break;
    case B:
      state->subscription = XMPP_SUBSCRIPTION_BOTH;
      break;
    case N_STATES:
    default:
      g_assert_not_reached ();
    }
  state->pending_out = index == N_PO || index == N_POI || index == F_PO;
  state->pending_in = index == N_PI || index == N_POI || index == T_PI;
}

gboolean
srv_sub_type_from_string (const char *type,
                          SrvSubType *out)
{
  static const struct { const char *name; SrvSubType type; } types[] = {
    { "subscribe", SRV_SUB_SUBSCRIBE },
    { "subscribed", SRV_SUB_SUBSCRIBED },
    { "unsubscribe", SRV_SUB_UNSUBSCRIBE },
    { "unsubscribed", SRV_SUB_UNSUBSCRIBED },
  };

  if (type == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (strcmp (type, types[i].name) == 0)
      {
        if (out != NULL)
          *out = types[i].type;
        return TRUE;
      }
  return FALSE;
}

const char *
srv_sub_type_to_string (SrvSubType type)
{
  switch (type)
    {
    case SRV_SUB_SUBSCRIBE:
      return "subscribe";
    case SRV_SUB_SUBSCRIBED:
      return "subscribed";
    case SRV_SUB_UNSUBSCRIBE:
      return "unsubscribe";
    case SRV_SUB_UNSUBSCRIBED:
      return "unsubscribed";
    default:
      return NULL;
    }
}

void
srv_sub_state_normalize (SrvSubState *state)
{
  g_return_if_fail (state != NULL);

  if ((guint) state->subscription > XMPP_SUBSCRIPTION_BOTH)
    state->subscription = XMPP_SUBSCRIPTION_NONE;
  state->pending_out = state->pending_out ? TRUE : FALSE;
  state->pending_in = state->pending_in ? TRUE : FALSE;
  state->approved = state->approved ? TRUE : FALSE;
  if (has_to (state->subscription))
    state->pending_out = FALSE;
  if (has_from (state->subscription))
    {
      state->pending_in = FALSE;
      state->approved = FALSE;
    }
}

char *
srv_sub_state_describe (const SrvSubState *state)
{
  SrvSubState normal;

  g_return_val_if_fail (state != NULL, NULL);

  normal = *state;
  srv_sub_state_normalize (&normal);
  return g_strconcat (state_names[state_index (&normal)],
                      normal.approved ? " (pre-approved)" : "", NULL);
}

gboolean
srv_sub_state_equal (const SrvSubState *a,
                     const SrvSubState *b)
{
  return a->subscription == b->subscription
         && !a->pending_out == !b->pending_out
         && !a->pending_in == !b->pending_in
         && !a->approved == !b->approved;
}

/* What a roster push shows changed (pending_in is never shown). */
static gboolean
visible_change (const SrvSubState *before,
                const SrvSubState *after)
{
  return before->subscription != after->subscription
         || before->pending_out != after->pending_out
         || before->approved != after->approved;
}

static void
apply (const SrvSubState *before,
       const Transition  *transition,
       SrvSubOutcome     *outcome)
{
  outcome->state = *before;
  if (transition->next != SAME)
    state_set_index (&outcome->state, (State) transition->next);
  outcome->forward = transition->forward != 0;
}

void
srv_subscription_outbound (const SrvSubState *state,
                           SrvSubType         type,
                           SrvSubOutcome     *outcome)
{
  SrvSubState before;
  State index;

  g_return_if_fail (state != NULL);
  g_return_if_fail (outcome != NULL);
  g_return_if_fail ((guint) type <= SRV_SUB_UNSUBSCRIBED);

  before = *state;
  srv_sub_state_normalize (&before);
  index = state_index (&before);
  memset (outcome, 0, sizeof *outcome);
  apply (&before, &outbound_table[type][index], outcome);

  switch (type)
    {
    case SRV_SUB_SUBSCRIBED:
      if (index == N || index == N_PO || index == T)
        {
          /* §3.4.1: approving before being asked records a pre-approval;
           * nothing goes to the contact. */
          outcome->state.approved = TRUE;
        }
      else if (outcome->forward)
        {
          /* The contact may now see the user: send the current presence
           * after the approval (§3.1.5). */
          outcome->presence = SRV_SUB_PRESENCE_AVAILABLE;
        }
      break;

    case SRV_SUB_UNSUBSCRIBED:
      /* Cancels a pre-approval in every state (A.2.4 footnote; §3.4). */
      outcome->state.approved = FALSE;
      /* Revoking a subscription the contact had: unavailable first so it
       * does not keep the user's last presence (§3.2.2). */
      if (outcome->forward && has_from (before.subscription))
        outcome->presence = SRV_SUB_PRESENCE_UNAVAILABLE;
      break;

    case SRV_SUB_SUBSCRIBE:
    case SRV_SUB_UNSUBSCRIBE:
    default:
      break;
    }

  srv_sub_state_normalize (&outcome->state);
  outcome->push = visible_change (&before, &outcome->state);
}

void
srv_subscription_inbound (const SrvSubState *state,
                          SrvSubType         type,
                          SrvSubOutcome     *outcome)
{
  SrvSubState before;
  State index;

  g_return_if_fail (state != NULL);
  g_return_if_fail (outcome != NULL);
  g_return_if_fail ((guint) type <= SRV_SUB_UNSUBSCRIBED);

  before = *state;
  srv_sub_state_normalize (&before);
  index = state_index (&before);
  memset (outcome, 0, sizeof *outcome);

  switch (type)
    {
    case SRV_SUB_SUBSCRIBE:
      if (before.approved && (index == N || index == N_PO || index == T))
        {
          /* §3.4.2: pre-approved: approve on the user's behalf, the user
           * never sees the request; the contact gets the presence. */
          static const State approved_next[N_STATES] = {
            [N] = F, [N_PO] = F_PO, [T] = B,
          };

          outcome->state = before;
          state_set_index (&outcome->state, approved_next[index]);
          outcome->state.approved = FALSE;
          outcome->forward = FALSE;
          outcome->reply = SRV_SUB_REPLY_SUBSCRIBED;
          outcome->presence = SRV_SUB_PRESENCE_AVAILABLE;
          break;
        }
      apply (&before, &inbound_table[type][index], outcome);
      /* A.3.1 footnote: the contact already has access; answering again
       * repairs a roster the contact's side lost (§3.1.3). */
      if (has_from (before.subscription))
        {
          outcome->reply = SRV_SUB_REPLY_SUBSCRIBED;
          outcome->presence = SRV_SUB_PRESENCE_AVAILABLE;
        }
      break;

    case SRV_SUB_UNSUBSCRIBE:
      apply (&before, &inbound_table[type][index], outcome);
      if (outcome->forward)
        {
          /* A.3.2 footnote: confirm with unsubscribed (§3.3.3). */
          outcome->reply = SRV_SUB_REPLY_UNSUBSCRIBED;
          if (has_from (before.subscription))
            outcome->presence = SRV_SUB_PRESENCE_UNAVAILABLE;
        }
      break;

    case SRV_SUB_SUBSCRIBED:
    case SRV_SUB_UNSUBSCRIBED:
      apply (&before, &inbound_table[type][index], outcome);
      break;

    default:
      g_assert_not_reached ();
    }

  srv_sub_state_normalize (&outcome->state);
  outcome->push = visible_change (&before, &outcome->state);
}
