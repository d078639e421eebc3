#!/usr/bin/python3
"""The second party of the UI tests: tests/interop/slixpeer.py (JSON lines
on stdin and stdout) with two more slixmpp plugins, so it behaves like an
ordinary modern client towards the app:

  * XEP-0184: a message that asks for a receipt is acknowledged at once;
  * XEP-0085: chat states are advertised (send them with the "raw" command);
    each one received is reported, also without a body (slixpeer's
    "message" event only covers messages with a body):
      {"event":"chatstate","from":J,"state":S,"thread":T}
  * receipts received are reported: {"event":"receipt","from":J,"id":I}

Same options and commands as slixpeer.py.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import slixpeer  # noqa: E402


class UiPeer(slixpeer.SlixPeer):

    def __init__(self, args, out):
        super().__init__(args, out)
        self.register_plugin("xep_0184")   # auto_ack: True
        self.register_plugin("xep_0085")
        self.add_event_handler("chatstate", self.on_chatstate)
        self.add_event_handler("receipt_received", self.on_receipt)

    def on_chatstate(self, msg):
        self.out("chatstate", **{"from": str(msg["from"]), "state": msg["chat_state"],
                                 "thread": msg["thread"] or None})

    def on_receipt(self, msg):
        self.out("receipt", **{"from": str(msg["from"]), "id": msg["receipt"]})


if __name__ == "__main__":
    slixpeer.SlixPeer = UiPeer  # main() builds the peer by this name
    slixpeer.main()
