/* model-fixture.h: what the model tests share
 *
 * A fresh store in a temporary folder with one account, an offline
 * MessengerAccount whose signals the tests emit by hand (the fake
 * network), and helpers to wait for the store and build inputs.
 */
#pragma once

#include "messenger-account.h"
#include "messenger-store.h"

G_BEGIN_DECLS

#define ALICE "alice@example.org"
#define BOB   "bob@example.org"
#define CAROL "carol@example.org"
#define DAVE  "dave@example.org"

typedef struct
{
  char             *dir;
  char             *path;
  MessengerStore   *store;
  gint64            account_id;
  MessengerAccount *account;
} ModelFixture;

void              model_fixture_set_up      (ModelFixture  *fixture,
                                             gconstpointer  data);
void              model_fixture_tear_down   (ModelFixture  *fixture,
                                             gconstpointer  data);
/* Waits until every write queued so far is committed and its callback
 * has run. */
void              model_fixture_flush       (ModelFixture  *fixture);
/* Runs the main context until @done is TRUE (20 s at most). */
void              model_fixture_wait        (gboolean      *done);

/* Stores @n messages with @peer (alternating in and out, starting with an
 * unread incoming one, a second apart from @first_time, bodies
 * "message K"), in @thread_id (NULL: none). */
void              model_fixture_add_history (ModelFixture  *fixture,
                                             const char    *peer,
                                             const char    *thread_id,
                                             guint          n,
                                             gint64         first_time);

/* An incoming chat message as the protocol library parses it. */
XmppMessage      *model_fixture_message     (const char    *from,
                                             const char    *body,
                                             const char    *thread,
                                             const char    *origin_id);
/* A roster item for emitting "roster-received" / "roster-push"; the
 * groups follow, then NULL. */
XmppRosterItem   *model_fixture_roster_item (const char    *jid,
                                             const char    *name,
                                             XmppSubscription subscription,
                                             ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
