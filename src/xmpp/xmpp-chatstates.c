/* xmpp-chatstates.c: chat state notifications (XEP-0085) */
#include "config.h"

#include <string.h>

#include "xmpp-chatstates.h"

static const char * const state_names[] = {
  [XMPP_CHAT_STATE_NONE] = NULL,
  [XMPP_CHAT_STATE_ACTIVE] = "active",
  [XMPP_CHAT_STATE_COMPOSING] = "composing",
  [XMPP_CHAT_STATE_PAUSED] = "paused",
  [XMPP_CHAT_STATE_INACTIVE] = "inactive",
  [XMPP_CHAT_STATE_GONE] = "gone",
};

const char *
xmpp_chat_state_to_string (XmppChatState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (state_names), NULL);
  return state_names[state];
}

XmppChatState
xmpp_chat_state_from_string (const char *name)
{
  if (name == NULL)
    return XMPP_CHAT_STATE_NONE;
  for (guint i = 1; i < G_N_ELEMENTS (state_names); i++)
    if (strcmp (name, state_names[i]) == 0)
      return (XmppChatState) i;
  return XMPP_CHAT_STATE_NONE;
}

XmppChatState
xmpp_chat_state_parse (XmppElement *stanza)
{
  g_return_val_if_fail (stanza != NULL, XMPP_CHAT_STATE_NONE);

  /* A stanza carries at most one (XEP-0085 §5.3); of several, an unknown
   * name is skipped and the first known one counts. */
  for (XmppElement *child = xmpp_element_next_child (stanza, NULL);
       child != NULL;
       child = xmpp_element_next_child (stanza, child))
    {
      XmppChatState state;

      if (g_strcmp0 (xmpp_element_get_namespace (child), XMPP_NS_CHAT_STATES) != 0)
        continue;
      if ((state = xmpp_chat_state_from_string (xmpp_element_get_name (child))) != XMPP_CHAT_STATE_NONE)
        return state;
    }
  return XMPP_CHAT_STATE_NONE;
}

void
xmpp_chat_state_add (XmppElement   *stanza,
                     XmppChatState  state,
                     gboolean       standalone)
{
  g_return_if_fail (stanza != NULL);

  if (state == XMPP_CHAT_STATE_NONE)
    return;
  xmpp_element_add_child_new (stanza, XMPP_NS_CHAT_STATES, xmpp_chat_state_to_string (state));
  /* A notification is of no use later: not for offline storage nor for
   * the archive (XEP-0085 §5.5, XEP-0334). */
  if (standalone)
    xmpp_element_add_child_new (stanza, XMPP_NS_HINTS, "no-store");
}
