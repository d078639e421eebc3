/* xmpp-presence.h: presence and subscriptions (RFC 6121 §3, §4)
 *
 * XmppPresence is a parsed <presence/>.  XmppPresenceManager follows one
 * client: it sends our own presence (with entity capabilities when an
 * XmppDisco is given), sends subscription requests and answers, tracks the
 * presence of every resource of every contact and aggregates it per
 * contact, and signals incoming subscription traffic.
 *
 * What it knows of others' presence belongs to the session, not to the
 * connection.  When the connection is lost and the client keeps a
 * session for resumption (xmpp_client_can_resume(), XEP-0198), it is
 * kept: a resumed session ("resumed" on the client) goes on where it
 * stopped, and the server sends what changed meanwhile.  It is forgotten,
 * with a "changed" for each contact that had a presence, as soon as the
 * client says the session is gone: it goes DISCONNECTED without a
 * session it can resume (an orderly close, a stream error, a resumption
 * attempt cancelled), or it reaches CONNECTED on a new session (a
 * connect, or a resumption the server refused, after which nobody's
 * presence is known until the initial presence is answered).  A session
 * the client gives up while disconnected (close_async(), its resumption
 * time running out) is seen at its next connect; whoever drops the client
 * meanwhile drops this manager with it (MessengerAccount does).
 */
#pragma once

#include "xmpp-client.h"

G_BEGIN_DECLS

typedef enum
{
  XMPP_PRESENCE_AVAILABLE,
  XMPP_PRESENCE_UNAVAILABLE,
  XMPP_PRESENCE_SUBSCRIBE,
  XMPP_PRESENCE_SUBSCRIBED,
  XMPP_PRESENCE_UNSUBSCRIBE,
  XMPP_PRESENCE_UNSUBSCRIBED,
  XMPP_PRESENCE_PROBE,
  XMPP_PRESENCE_ERROR,
} XmppPresenceType;

/* Ordered from most to least reachable; OFFLINE is the aggregate of no
 * available resource. */
typedef enum
{
  XMPP_SHOW_CHAT,
  XMPP_SHOW_AVAILABLE,
  XMPP_SHOW_AWAY,
  XMPP_SHOW_XA,
  XMPP_SHOW_DND,
  XMPP_SHOW_OFFLINE,
} XmppShow;

typedef struct
{
  XmppJid          *from;        /* NULL: from our own account */
  XmppJid          *to;
  XmppPresenceType  type;
  XmppShow          show;        /* OFFLINE for unavailable */
  char             *status;
  gint              priority;
  char             *caps_node;
  char             *caps_ver;
  char             *caps_hash;
  GError           *error;       /* for XMPP_PRESENCE_ERROR */
} XmppPresence;

const char   *xmpp_presence_type_to_string  (XmppPresenceType type);
gboolean      xmpp_presence_type_from_string (const char     *string,
                                              XmppPresenceType *type);
const char   *xmpp_show_to_string            (XmppShow        show);
gboolean      xmpp_show_from_string          (const char     *string,
                                              XmppShow       *show);

XmppPresence *xmpp_presence_parse            (XmppElement    *stanza,
                                              GError        **error);
XmppPresence *xmpp_presence_copy             (const XmppPresence *presence);
void          xmpp_presence_free             (XmppPresence   *presence);
/* A <presence/> element: @to may be NULL (broadcast); show/status/priority
 * only for available presence. */
XmppElement  *xmpp_presence_build            (XmppPresenceType type,
                                              XmppJid        *to,
                                              XmppShow        show,
                                              const char     *status,
                                              gint            priority);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppPresence, xmpp_presence_free)

typedef struct _XmppDisco XmppDisco;

#define XMPP_TYPE_PRESENCE_MANAGER (xmpp_presence_manager_get_type ())
G_DECLARE_FINAL_TYPE (XmppPresenceManager, xmpp_presence_manager, XMPP, PRESENCE_MANAGER, GObject)

XmppPresenceManager *xmpp_presence_manager_new          (XmppClient          *client,
                                                         XmppDisco           *disco);
/* Our own presence: available with show/status/priority, or unavailable
 * with show == XMPP_SHOW_OFFLINE. */
void                 xmpp_presence_manager_set_own      (XmppPresenceManager *self,
                                                         XmppShow             show,
                                                         const char          *status,
                                                         gint                 priority);
void                 xmpp_presence_manager_send_type    (XmppPresenceManager *self,
                                                         XmppJid             *to,
                                                         XmppPresenceType     type);
/* Aggregated presence of a contact (bare JID): the available resource with
 * the highest priority, ties broken by the most reachable show; OFFLINE
 * when none.  @status may be NULL. */
XmppShow             xmpp_presence_manager_get_show     (XmppPresenceManager *self,
                                                         XmppJid             *contact,
                                                         const char         **status);
/* The available resources of a contact (XmppPresence, borrowed). */
GPtrArray           *xmpp_presence_manager_get_resources (XmppPresenceManager *self,
                                                         XmppJid             *contact);

/* Signals:
 *  "presence"  (XmppPresence *) every presence received (any type)
 *  "changed"   (XmppJid *bare) the aggregated presence of a contact changed
 *              (also when the session ends and it is forgotten)
 *  "subscription" (XmppJid *from, XmppPresenceType type) an incoming
 *              subscribe, subscribed, unsubscribe or unsubscribed
 */

G_END_DECLS
