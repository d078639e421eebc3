/* xmpp-roster.h: the roster (RFC 6121 §2)
 *
 * XmppRosterItem is a plain value parsed from or written to an <item/>.
 * XmppRoster follows one client's roster: it fetches it (with versioning
 * when the server offers it), sends adds, updates and removals, and turns
 * validated roster pushes into signals.  It keeps no copy of the roster:
 * the caller (core/, the cli) does.
 */
#pragma once

#include "xmpp-client.h"

G_BEGIN_DECLS

#define XMPP_NS_ROSTER          "jabber:iq:roster"
#define XMPP_NS_ROSTER_VER      "urn:xmpp:features:rosterver"
#define XMPP_NS_PRE_APPROVAL    "urn:xmpp:features:pre-approval"

typedef enum
{
  XMPP_SUBSCRIPTION_NONE,
  XMPP_SUBSCRIPTION_TO,
  XMPP_SUBSCRIPTION_FROM,
  XMPP_SUBSCRIPTION_BOTH,
  XMPP_SUBSCRIPTION_REMOVE,
} XmppSubscription;

typedef struct
{
  XmppJid          *jid;
  char             *name;         /* NULL when none */
  XmppSubscription  subscription;
  gboolean          ask;          /* ask='subscribe': our request is pending */
  gboolean          approved;     /* pre-approved */
  GStrv             groups;       /* never NULL */
} XmppRosterItem;

const char       *xmpp_subscription_to_string   (XmppSubscription subscription);
gboolean          xmpp_subscription_from_string (const char      *string,
                                                 XmppSubscription *subscription);

XmppRosterItem   *xmpp_roster_item_new          (XmppJid        *jid,
                                                 const char     *name,
                                                 const char * const *groups);
XmppRosterItem   *xmpp_roster_item_copy         (const XmppRosterItem *item);
void              xmpp_roster_item_free         (XmppRosterItem *item);
/* Parse an <item/> of jabber:iq:roster; validates the JID, subscription,
 * and the group rules (no empty group, no duplicate). */
XmppRosterItem   *xmpp_roster_item_parse        (XmppElement    *item,
                                                 GError        **error);
/* An <item/> for a roster set: jid, name, groups (never subscription). */
XmppElement      *xmpp_roster_item_to_element   (const XmppRosterItem *item);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppRosterItem, xmpp_roster_item_free)

#define XMPP_TYPE_ROSTER (xmpp_roster_get_type ())
G_DECLARE_FINAL_TYPE (XmppRoster, xmpp_roster, XMPP, ROSTER, GObject)

XmppRoster *xmpp_roster_new              (XmppClient    *client);
XmppClient *xmpp_roster_get_client       (XmppRoster    *self);

/* Fetch the roster.  @version is the last version seen (NULL for none);
 * it is sent only when the server offers roster versioning.  The finish
 * returns the items (XmppRosterItem) and the new version; when the server
 * answers that nothing changed, it returns NULL with no error and sets
 * *@unchanged (changes then arrive as pushes). */
void        xmpp_roster_fetch_async      (XmppRoster          *self,
                                          const char          *version,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GPtrArray  *xmpp_roster_fetch_finish     (XmppRoster          *self,
                                          GAsyncResult        *result,
                                          char               **new_version,
                                          gboolean            *unchanged,
                                          GError             **error);
/* Add or update an item (name and groups). */
void        xmpp_roster_set_async        (XmppRoster          *self,
                                          const XmppRosterItem *item,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    xmpp_roster_set_finish       (XmppRoster          *self,
                                          GAsyncResult        *result,
                                          GError             **error);
void        xmpp_roster_remove_async     (XmppRoster          *self,
                                          XmppJid             *jid,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean    xmpp_roster_remove_finish    (XmppRoster          *self,
                                          GAsyncResult        *result,
                                          GError             **error);

/* Signals:
 *  "push" (XmppRosterItem *item, const char *version): a roster push from
 *         the account itself (from absent, our bare JID); pushes from any
 *         other JID are refused with service-unavailable and not signalled
 *         (RFC 6121 §2.1.6).  subscription == XMPP_SUBSCRIPTION_REMOVE
 *         means the item is gone.
 */

G_END_DECLS
