/* xmpp-chatstates.h: chat state notifications (XEP-0085)
 *
 * A chat state says whether the other side is typing (composing), stopped
 * typing (paused), is looking at the conversation (active), elsewhere
 * (inactive) or has left it (gone).  It travels either on a message with a
 * body or alone in a "standalone notification" (a chat message without a
 * body, carrying the XEP-0334 <no-store/> hint so servers do not keep it
 * for later delivery or in archives).  xmpp_message_parse() fills in
 * XmppMessage.chat_state and xmpp_message_to_element() writes it.
 */
#pragma once

#include "xmpp-element.h"

G_BEGIN_DECLS

#define XMPP_NS_CHAT_STATES "http://jabber.org/protocol/chatstates"
#define XMPP_NS_HINTS       "urn:xmpp:hints"

typedef enum
{
  XMPP_CHAT_STATE_NONE,       /* the stanza carries none */
  XMPP_CHAT_STATE_ACTIVE,
  XMPP_CHAT_STATE_COMPOSING,
  XMPP_CHAT_STATE_PAUSED,
  XMPP_CHAT_STATE_INACTIVE,
  XMPP_CHAT_STATE_GONE,
} XmppChatState;

/* "active", "composing", …; NULL for XMPP_CHAT_STATE_NONE. */
const char    *xmpp_chat_state_to_string   (XmppChatState  state);
/* XMPP_CHAT_STATE_NONE for NULL or an unknown name. */
XmppChatState  xmpp_chat_state_from_string (const char    *name);
/* The first chat state child of @stanza (NONE when it has none). */
XmppChatState  xmpp_chat_state_parse       (XmppElement   *stanza);
/* Add <state xmlns='…chatstates'/> to @stanza; when @standalone, also the
 * <no-store/> hint.  Nothing for XMPP_CHAT_STATE_NONE. */
void           xmpp_chat_state_add         (XmppElement   *stanza,
                                            XmppChatState  state,
                                            gboolean       standalone);

G_END_DECLS
