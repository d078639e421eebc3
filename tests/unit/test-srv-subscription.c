/* test-srv-subscription.c: every row of RFC 6121 Appendix A
 *
 * One table row per (state, stanza) pair of A.2.1–A.2.4 (outbound) and
 * A.3.1–A.3.4 (inbound), plus the pre-approval rows of §3.4.  States are
 * written as in A.1 ("N+PO" = None + Pending Out); a trailing "!" marks a
 * pre-approval.  Expected: the new state ("=" for no change), whether the
 * stanza goes on (route / deliver), whether a roster push is due, which
 * presence the user's resources send to the contact, and the auto-reply.
 */
#include "config.h"

#include <string.h>

#include "srv-subscription.h"

typedef enum { OUT, IN } Direction;

typedef struct
{
  Direction       direction;
  const char     *state;
  SrvSubType      type;
  const char     *next;
  gboolean        forward;
  gboolean        push;
  SrvSubPresence  presence;
  SrvSubReply     reply;
} Row;

#define SUB   SRV_SUB_SUBSCRIBE
#define SUBD  SRV_SUB_SUBSCRIBED
#define UNSUB SRV_SUB_UNSUBSCRIBE
#define UNSD  SRV_SUB_UNSUBSCRIBED
#define P_NO  SRV_SUB_PRESENCE_NONE
#define P_AV  SRV_SUB_PRESENCE_AVAILABLE
#define P_UN  SRV_SUB_PRESENCE_UNAVAILABLE
#define R_NO  SRV_SUB_REPLY_NONE
#define R_SUB SRV_SUB_REPLY_SUBSCRIBED
#define R_UNS SRV_SUB_REPLY_UNSUBSCRIBED

static const Row rows[] = {
  /* A.2.1 the user sends subscribe: always routed. */
  { OUT, "N",     SUB, "N+PO",  TRUE,  TRUE,  P_NO, R_NO },
  { OUT, "N+PO",  SUB, "=",     TRUE,  FALSE, P_NO, R_NO },
  { OUT, "N+PI",  SUB, "N+POI", TRUE,  TRUE,  P_NO, R_NO },
  { OUT, "N+POI", SUB, "=",     TRUE,  FALSE, P_NO, R_NO },
  { OUT, "T",     SUB, "=",     TRUE,  FALSE, P_NO, R_NO },
  { OUT, "T+PI",  SUB, "=",     TRUE,  FALSE, P_NO, R_NO },
  { OUT, "F",     SUB, "F+PO",  TRUE,  TRUE,  P_NO, R_NO },
  { OUT, "F+PO",  SUB, "=",     TRUE,  FALSE, P_NO, R_NO },
  { OUT, "B",     SUB, "=",     TRUE,  FALSE, P_NO, R_NO },
  /* … a pre-approval stays. */
  { OUT, "N!",    SUB, "N+PO!", TRUE,  TRUE,  P_NO, R_NO },

  /* A.2.2 the user sends unsubscribe: always routed. */
  { OUT, "N",     UNSUB, "=",    TRUE, FALSE, P_NO, R_NO },
  { OUT, "N+PO",  UNSUB, "N",    TRUE, TRUE,  P_NO, R_NO },
  { OUT, "N+PI",  UNSUB, "=",    TRUE, FALSE, P_NO, R_NO },
  { OUT, "N+POI", UNSUB, "N+PI", TRUE, TRUE,  P_NO, R_NO },
  { OUT, "T",     UNSUB, "N",    TRUE, TRUE,  P_NO, R_NO },
  { OUT, "T+PI",  UNSUB, "N+PI", TRUE, TRUE,  P_NO, R_NO },
  { OUT, "F",     UNSUB, "=",    TRUE, FALSE, P_NO, R_NO },
  { OUT, "F+PO",  UNSUB, "F",    TRUE, TRUE,  P_NO, R_NO },
  { OUT, "B",     UNSUB, "F",    TRUE, TRUE,  P_NO, R_NO },

  /* A.2.3 the user sends subscribed: an approval where the contact asked,
   * a pre-approval (not routed) in N, N+PO and T, ignored in F, F+PO, B. */
  { OUT, "N",     SUBD, "N!",    FALSE, TRUE,  P_NO, R_NO },
  { OUT, "N+PO",  SUBD, "N+PO!", FALSE, TRUE,  P_NO, R_NO },
  { OUT, "N+PI",  SUBD, "F",     TRUE,  TRUE,  P_AV, R_NO },
  { OUT, "N+POI", SUBD, "F+PO",  TRUE,  TRUE,  P_AV, R_NO },
  { OUT, "T",     SUBD, "T!",    FALSE, TRUE,  P_NO, R_NO },
  { OUT, "T+PI",  SUBD, "B",     TRUE,  TRUE,  P_AV, R_NO },
  { OUT, "F",     SUBD, "=",     FALSE, FALSE, P_NO, R_NO },
  { OUT, "F+PO",  SUBD, "=",     FALSE, FALSE, P_NO, R_NO },
  { OUT, "B",     SUBD, "=",     FALSE, FALSE, P_NO, R_NO },
  /* … pre-approving twice changes nothing. */
  { OUT, "N!",    SUBD, "=",     FALSE, FALSE, P_NO, R_NO },

  /* A.2.4 the user sends unsubscribed: a denial or a cancellation;
   * not routed in N, N+PO, T, where it only cancels a pre-approval.  A
   * contact that was subscribed gets unavailable first. */
  { OUT, "N",     UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { OUT, "N+PO",  UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { OUT, "N+PI",  UNSD, "N",    TRUE,  FALSE, P_NO, R_NO },
  { OUT, "N+POI", UNSD, "N+PO", TRUE,  FALSE, P_NO, R_NO },
  { OUT, "T",     UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { OUT, "T+PI",  UNSD, "T",    TRUE,  FALSE, P_NO, R_NO },
  { OUT, "F",     UNSD, "N",    TRUE,  TRUE,  P_UN, R_NO },
  { OUT, "F+PO",  UNSD, "N+PO", TRUE,  TRUE,  P_UN, R_NO },
  { OUT, "B",     UNSD, "T",    TRUE,  TRUE,  P_UN, R_NO },
  { OUT, "N!",    UNSD, "N",    FALSE, TRUE,  P_NO, R_NO },
  { OUT, "N+PO!", UNSD, "N+PO", FALSE, TRUE,  P_NO, R_NO },
  { OUT, "T!",    UNSD, "T",    FALSE, TRUE,  P_NO, R_NO },

  /* A.3.1 subscribe arrives: delivered where it is new; a contact that
   * already has access gets subscribed again (and the presence). */
  { IN, "N",     SUB, "N+PI",  TRUE,  FALSE, P_NO, R_NO },
  { IN, "N+PO",  SUB, "N+POI", TRUE,  FALSE, P_NO, R_NO },
  { IN, "N+PI",  SUB, "=",     FALSE, FALSE, P_NO, R_NO },
  { IN, "N+POI", SUB, "=",     FALSE, FALSE, P_NO, R_NO },
  { IN, "T",     SUB, "T+PI",  TRUE,  FALSE, P_NO, R_NO },
  { IN, "T+PI",  SUB, "=",     FALSE, FALSE, P_NO, R_NO },
  { IN, "F",     SUB, "=",     FALSE, FALSE, P_AV, R_SUB },
  { IN, "F+PO",  SUB, "=",     FALSE, FALSE, P_AV, R_SUB },
  { IN, "B",     SUB, "=",     FALSE, FALSE, P_AV, R_SUB },
  /* §3.4.2: pre-approved: answered for the user, never delivered. */
  { IN, "N!",    SUB, "F",     FALSE, TRUE,  P_AV, R_SUB },
  { IN, "N+PO!", SUB, "F+PO",  FALSE, TRUE,  P_AV, R_SUB },
  { IN, "T!",    SUB, "B",     FALSE, TRUE,  P_AV, R_SUB },

  /* A.3.2 unsubscribe arrives: delivered and confirmed where it changes
   * something; the contact stops getting presence. */
  { IN, "N",     UNSUB, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+PO",  UNSUB, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+PI",  UNSUB, "N",    TRUE,  FALSE, P_NO, R_UNS },
  { IN, "N+POI", UNSUB, "N+PO", TRUE,  FALSE, P_NO, R_UNS },
  { IN, "T",     UNSUB, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "T+PI",  UNSUB, "T",    TRUE,  FALSE, P_NO, R_UNS },
  { IN, "F",     UNSUB, "N",    TRUE,  TRUE,  P_UN, R_UNS },
  { IN, "F+PO",  UNSUB, "N+PO", TRUE,  TRUE,  P_UN, R_UNS },
  { IN, "B",     UNSUB, "T",    TRUE,  TRUE,  P_UN, R_UNS },

  /* A.3.3 subscribed arrives: only valid after the user asked. */
  { IN, "N",     SUBD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+PO",  SUBD, "T",    TRUE,  TRUE,  P_NO, R_NO },
  { IN, "N+PI",  SUBD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+POI", SUBD, "T+PI", TRUE,  TRUE,  P_NO, R_NO },
  { IN, "T",     SUBD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "T+PI",  SUBD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "F",     SUBD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "F+PO",  SUBD, "B",    TRUE,  TRUE,  P_NO, R_NO },
  { IN, "B",     SUBD, "=",    FALSE, FALSE, P_NO, R_NO },
  /* An unsolicited one does not touch a pre-approval either. */
  { IN, "N!",    SUBD, "=",    FALSE, FALSE, P_NO, R_NO },

  /* A.3.4 unsubscribed arrives: a denial or a cancellation. */
  { IN, "N",     UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+PO",  UNSD, "N",    TRUE,  TRUE,  P_NO, R_NO },
  { IN, "N+PI",  UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+POI", UNSD, "N+PI", TRUE,  TRUE,  P_NO, R_NO },
  { IN, "T",     UNSD, "N",    TRUE,  TRUE,  P_NO, R_NO },
  { IN, "T+PI",  UNSD, "N+PI", TRUE,  TRUE,  P_NO, R_NO },
  { IN, "F",     UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "F+PO",  UNSD, "F",    TRUE,  TRUE,  P_NO, R_NO },
  { IN, "B",     UNSD, "F",    TRUE,  TRUE,  P_NO, R_NO },
  /* §3.4: the contact's unsubscribed (say, in reply to a probe) leaves
   * the user's pre-approval alone. */
  { IN, "N!",    UNSD, "=",    FALSE, FALSE, P_NO, R_NO },
  { IN, "N+PO!", UNSD, "N!",   TRUE,  TRUE,  P_NO, R_NO },
};

static SrvSubState
parse_state (const char *text)
{
  SrvSubState state = { XMPP_SUBSCRIPTION_NONE, FALSE, FALSE, FALSE };
  g_autofree char *name = g_strdup (text);
  gsize len = strlen (name);

  if (len > 0 && name[len - 1] == '!')
    {
      state.approved = TRUE;
      name[len - 1] = '\0';
    }
  if (g_str_has_prefix (name, "N"))
    state.subscription = XMPP_SUBSCRIPTION_NONE;
  else if (g_str_has_prefix (name, "T"))
    state.subscription = XMPP_SUBSCRIPTION_TO;
  else if (g_str_has_prefix (name, "F"))
    state.subscription = XMPP_SUBSCRIPTION_FROM;
  else if (g_str_has_prefix (name, "B"))
    state.subscription = XMPP_SUBSCRIPTION_BOTH;
  else
    g_assert_not_reached ();

  if (g_str_has_suffix (name, "+POI"))
    state.pending_out = state.pending_in = TRUE;
  else if (g_str_has_suffix (name, "+PO"))
    state.pending_out = TRUE;
  else if (g_str_has_suffix (name, "+PI"))
    state.pending_in = TRUE;
  return state;
}

static void
test_row (gconstpointer data)
{
  const Row *row = data;
  SrvSubState before = parse_state (row->state);
  SrvSubState expected = strcmp (row->next, "=") == 0 ? before : parse_state (row->next);
  SrvSubOutcome outcome;
  g_autofree char *got = NULL;
  g_autofree char *want = NULL;

  if (row->direction == OUT)
    srv_subscription_outbound (&before, row->type, &outcome);
  else
    srv_subscription_inbound (&before, row->type, &outcome);

  got = srv_sub_state_describe (&outcome.state);
  want = srv_sub_state_describe (&expected);
  g_assert_cmpstr (got, ==, want);
  g_assert_true (srv_sub_state_equal (&outcome.state, &expected));
  g_assert_cmpint (outcome.forward, ==, row->forward);
  g_assert_cmpint (outcome.push, ==, row->push);
  g_assert_cmpint (outcome.presence, ==, row->presence);
  g_assert_cmpint (outcome.reply, ==, row->reply);
}

/* Every state × stanza pair of both appendices appears in the table. */
static void
test_coverage (void)
{
  static const char * const states[] = { "N", "N+PO", "N+PI", "N+POI", "T", "T+PI", "F", "F+PO", "B" };

  for (guint d = OUT; d <= IN; d++)
    for (guint type = SRV_SUB_SUBSCRIBE; type <= SRV_SUB_UNSUBSCRIBED; type++)
      for (guint s = 0; s < G_N_ELEMENTS (states); s++)
        {
          gboolean found = FALSE;

          for (guint r = 0; r < G_N_ELEMENTS (rows) && !found; r++)
            found = rows[r].direction == d && rows[r].type == type
                    && strcmp (rows[r].state, states[s]) == 0;
          if (!found)
            g_error ("no row for %s %s in state %s", d == OUT ? "outbound" : "inbound",
                     srv_sub_type_to_string (type), states[s]);
        }
}

/* Whatever the input, the result is one of the nine A.1 states, and a
 * push happens exactly when something a roster item shows changed. */
static void
test_invariants (void)
{
  for (guint bits = 0; bits < 32; bits++)
    for (guint type = SRV_SUB_SUBSCRIBE; type <= SRV_SUB_UNSUBSCRIBED; type++)
      for (guint d = OUT; d <= IN; d++)
        {
          SrvSubState state = { bits & 3, (bits >> 2) & 1, (bits >> 3) & 1, (bits >> 4) & 1 };
          SrvSubState normal = state;
          SrvSubOutcome outcome;
          gboolean to, from, visible;

          srv_sub_state_normalize (&normal);
          if (d == OUT)
            srv_subscription_outbound (&state, type, &outcome);
          else
            srv_subscription_inbound (&state, type, &outcome);

          to = outcome.state.subscription == XMPP_SUBSCRIPTION_TO
               || outcome.state.subscription == XMPP_SUBSCRIPTION_BOTH;
          from = outcome.state.subscription == XMPP_SUBSCRIPTION_FROM
                 || outcome.state.subscription == XMPP_SUBSCRIPTION_BOTH;
          g_assert_false (to && outcome.state.pending_out);
          g_assert_false (from && outcome.state.pending_in);
          g_assert_false (from && outcome.state.approved);

          visible = normal.subscription != outcome.state.subscription
                    || normal.pending_out != outcome.state.pending_out
                    || normal.approved != outcome.state.approved;
          g_assert_cmpint (outcome.push, ==, visible);
          if (d == OUT)
            g_assert_cmpint (outcome.reply, ==, SRV_SUB_REPLY_NONE);
        }
}

static void
test_strings (void)
{
  SrvSubType type;
  SrvSubState state = { XMPP_SUBSCRIPTION_NONE, TRUE, TRUE, FALSE };
  SrvSubState weird = { XMPP_SUBSCRIPTION_BOTH, TRUE, TRUE, TRUE };
  g_autofree char *name = NULL;
  g_autofree char *weird_name = NULL;
  g_autofree char *approved_name = NULL;

  for (guint t = SRV_SUB_SUBSCRIBE; t <= SRV_SUB_UNSUBSCRIBED; t++)
    {
      g_assert_true (srv_sub_type_from_string (srv_sub_type_to_string (t), &type));
      g_assert_cmpint (type, ==, t);
    }
  g_assert_false (srv_sub_type_from_string ("probe", &type));
  g_assert_false (srv_sub_type_from_string ("unavailable", &type));
  g_assert_false (srv_sub_type_from_string (NULL, &type));

  name = srv_sub_state_describe (&state);
  g_assert_cmpstr (name, ==, "None + Pending Out/In");
  /* Impossible flags are dropped. */
  weird_name = srv_sub_state_describe (&weird);
  g_assert_cmpstr (weird_name, ==, "Both");
  state.pending_in = FALSE;
  state.approved = TRUE;
  approved_name = srv_sub_state_describe (&state);
  g_assert_cmpstr (approved_name, ==, "None + Pending Out (pre-approved)");
}

/* Scenario 23–25 of the conformance list as a sequence on both sides. */
static void
test_handshake (void)
{
  SrvSubState a = { XMPP_SUBSCRIPTION_NONE, FALSE, FALSE, FALSE };
  SrvSubState b = a;
  SrvSubOutcome out, in;

  /* A subscribes to B. */
  srv_subscription_outbound (&a, SRV_SUB_SUBSCRIBE, &out);
  g_assert_true (out.forward && out.push);
  a = out.state;
  srv_subscription_inbound (&b, SRV_SUB_SUBSCRIBE, &in);
  g_assert_true (in.forward);
  g_assert_false (in.push);       /* B's roster is unchanged */
  b = in.state;

  /* B approves. */
  srv_subscription_outbound (&b, SRV_SUB_SUBSCRIBED, &out);
  g_assert_true (out.forward && out.push);
  g_assert_cmpint (out.presence, ==, SRV_SUB_PRESENCE_AVAILABLE);
  b = out.state;
  srv_subscription_inbound (&a, SRV_SUB_SUBSCRIBED, &in);
  g_assert_true (in.forward && in.push);
  a = in.state;
  g_assert_cmpint (a.subscription, ==, XMPP_SUBSCRIPTION_TO);
  g_assert_cmpint (b.subscription, ==, XMPP_SUBSCRIPTION_FROM);

  /* B subscribes back, A approves. */
  srv_subscription_outbound (&b, SRV_SUB_SUBSCRIBE, &out);
  b = out.state;
  srv_subscription_inbound (&a, SRV_SUB_SUBSCRIBE, &in);
  a = in.state;
  srv_subscription_outbound (&a, SRV_SUB_SUBSCRIBED, &out);
  a = out.state;
  srv_subscription_inbound (&b, SRV_SUB_SUBSCRIBED, &in);
  b = in.state;
  g_assert_cmpint (a.subscription, ==, XMPP_SUBSCRIPTION_BOTH);
  g_assert_cmpint (b.subscription, ==, XMPP_SUBSCRIPTION_BOTH);
  g_assert_false (a.pending_out || a.pending_in || b.pending_out || b.pending_in);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_strdup_printf ("/srv-subscription/%s/%s/%s",
                                               rows[i].direction == OUT ? "A.2-outbound" : "A.3-inbound",
                                               srv_sub_type_to_string (rows[i].type),
                                               rows[i].state);
      g_test_add_data_func (path, &rows[i], test_row);
    }
  g_test_add_func ("/srv-subscription/coverage", test_coverage);
  g_test_add_func ("/srv-subscription/invariants", test_invariants);
  g_test_add_func ("/srv-subscription/strings", test_strings);
  g_test_add_func ("/srv-subscription/handshake", test_handshake);

  return g_test_run ();
}
