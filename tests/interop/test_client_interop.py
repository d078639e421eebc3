#!/usr/bin/python3
"""Interop: messenger-cli (and so the src/xmpp/ library) against real servers.

For each of Prosody and ejabberd, started on 127.0.0.1 by peers.py with a
self-signed certificate that the client pins by fingerprint, and for our own
messenger-server (so the bundled server is checked with both our client
and slixmpp): login, wrong
password, untrusted certificate, resource binding, roster changes pushed to
a second resource, the subscription handshake both ways, messages with
<thread> both ways, presence seen by the other side and in-band
registration.  The message, subscription and presence checks run twice:
with our own client on the other side, and with slixmpp.

Usage: test_client_interop.py [prosody] [ejabberd] [messenger]   (default: all)
"""
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from clienttest import Account, Listener, OwnServer, Slix, Tap, json_lines, run_cli  # noqa: E402

tap = Tap()


def item_for(records, jid):
    for r in records:
        if r.get("kind") == "item" and r.get("jid") == jid:
            return r
    return None


def roster_of(account):
    rc, out, err = run_cli(account, "roster", "--json")
    return rc, json_lines(out), err


def test_server(kind):
    tag = f"[{kind}]"
    users = [("alice", "alice-pw"), ("bob", "bob-pw"), ("carol", "carol-pw")]
    server = OwnServer(users) if kind == "messenger" else peers.Peer(kind, users=users)
    with server as p:
        tap.diag(f"{kind} started in {p.start_seconds:.2f} s on port {p.c2s_port}")
        alice = Account(p, "alice", "alice-pw")
        bob = Account(p, "bob", "bob-pw")
        carol = Account(p, "carol", "carol-pw")

        # Login, mechanism, binding.
        rc, out, err = run_cli(alice, "info", "--json")
        info = (json_lines(out) or [{}])[0]
        tap.ok(rc == 0 and info.get("jid", "").startswith("alice@localhost/"),
               f"{tag} login with SCRAM binds a server-given resource", err + out)
        tap.ok(str(info.get("mechanism", "")).startswith("SCRAM-SHA-"),
               f"{tag} the strongest offered mechanism is SCRAM ({info.get('mechanism')})", out)
        tap.ok(info.get("secure") == "yes", f"{tag} the stream is encrypted", out)
        rc, out, err = run_cli(alice, "info", "--json", resource="laptop")
        info = (json_lines(out) or [{}])[0]
        tap.ok(rc == 0 and info.get("jid") == "alice@localhost/laptop",
               f"{tag} a chosen resource is bound", err + out)
        rc, out, err = run_cli(alice, "roster", password="wrong-password")
        tap.ok(rc == 3, f"{tag} a wrong password exits with status 3", f"status {rc}\n{err}")
        rc, out, err = run_cli(alice, "roster", pin=False)
        tap.ok(rc == 4 and p.fingerprint_sha256 in err,
               f"{tag} an unpinned self-signed certificate exits with status 4 and shows its fingerprint",
               f"status {rc}\n{err}")
        rc, out, err = run_cli(alice, "roster", extra=["--server", "127.0.0.1:1"])
        tap.ok(rc == 5, f"{tag} an unreachable server exits with status 5", f"status {rc}\n{err}")

        # Roster changes reach a second resource as pushes.
        second = Listener(alice, resource="second")
        tap.ok(second.ready is not None, f"{tag} a second resource is listening", second.stop() if not second.ready else "")
        rc, _, err = run_cli(alice, "roster-add", bob.jid, "--name", "Bob", "--group", "Friends")
        push = second.wait_for(lambda i: i.get("kind") == "roster-push" and i.get("jid") == bob.jid
                               and i.get("name") == "Bob")
        tap.ok(rc == 0 and push is not None and push.get("groups") == "Friends"
               and push.get("subscription") == "none",
               f"{tag} roster-add is pushed to the other resource with name and group", err)
        rc, _, err = run_cli(alice, "roster-add", bob.jid, "--name", "Robert", "--group", "Work", "--group", "Chess")
        push = second.wait_for(lambda i: i.get("kind") == "roster-push" and i.get("name") == "Robert")
        tap.ok(rc == 0 and push is not None and sorted(push.get("groups", "").split(",")) == ["Chess", "Work"],
               f"{tag} renaming and regrouping is pushed", err)
        rc, records, err = roster_of(alice)
        item = item_for(records, bob.jid)
        tap.ok(rc == 0 and item is not None and item.get("name") == "Robert",
               f"{tag} the roster lists the renamed contact", records)
        rc, _, err = run_cli(alice, "roster-remove", bob.jid)
        push = second.wait_for(lambda i: i.get("kind") == "roster-push" and i.get("subscription") == "remove")
        tap.ok(rc == 0 and push is not None, f"{tag} roster-remove is pushed as subscription=remove", err)
        rc, records, err = roster_of(alice)
        tap.ok(rc == 0 and item_for(records, bob.jid) is None, f"{tag} the contact is gone from the roster")
        rc, _, err = run_cli(alice, "roster-remove", "nobody@localhost")
        if kind == "ejabberd":
            # ejabberd 23.01 answers a removal of an unknown item with a result.
            tap.diag(f"{tag} removing an unknown contact: status {rc} (ejabberd accepts it)")
        else:
            tap.ok(rc == 1 and "item-not-found" in err,
                   f"{tag} removing an unknown contact is refused (item-not-found)", f"status {rc}\n{err}")
        second.stop()

        # Subscription handshake both ways, our client on both sides.
        bob_listen = Listener(bob)
        alice_listen = Listener(alice)
        rc, _, err = run_cli(alice, "subscribe", bob.jid)
        request = bob_listen.wait_for(lambda i: i.get("kind") == "subscribe" and i.get("from") == alice.jid)
        tap.ok(rc == 0 and request is not None, f"{tag} bob receives alice's subscription request from her bare JID", err)
        rc, _, err = run_cli(bob, "approve", alice.jid)
        got = alice_listen.wait_for(lambda i: i.get("kind") == "subscribed" and i.get("from") == bob.jid)
        tap.ok(rc == 0 and got is not None, f"{tag} alice is told bob approved", err)
        presence = alice_listen.wait_for(lambda i: i.get("kind") == "presence" and i.get("from", "").startswith(bob.jid + "/"))
        tap.ok(presence is not None and presence.get("show") == "available",
               f"{tag} alice then sees bob's presence")
        rc, records, _ = roster_of(alice)
        tap.ok((item_for(records, bob.jid) or {}).get("subscription") == "to", f"{tag} alice's roster shows 'to'", records)
        rc, _, err = run_cli(bob, "subscribe", alice.jid)
        request = alice_listen.wait_for(lambda i: i.get("kind") == "subscribe" and i.get("from") == bob.jid)
        tap.ok(request is not None, f"{tag} alice receives bob's request")
        rc, _, err = run_cli(alice, "approve", bob.jid)
        rc2, records, _ = roster_of(alice)
        rc3, bob_records, _ = roster_of(bob)
        tap.ok((item_for(records, bob.jid) or {}).get("subscription") == "both"
               and (item_for(bob_records, alice.jid) or {}).get("subscription") == "both",
               f"{tag} both rosters show 'both'", f"{records}\n{bob_records}")

        # Messages with <thread> both ways.
        thread = "thread-" + uuid.uuid4().hex[:8]
        rc, _, err = run_cli(alice, "send", bob.jid, "Hello Bob & co <3", "--thread", thread)
        msg = bob_listen.wait_for(lambda i: i.get("kind") == "message" and i.get("thread") == thread)
        tap.ok(rc == 0 and msg is not None and msg.get("body") == "Hello Bob & co <3"
               and msg.get("from", "").startswith(alice.jid),
               f"{tag} a message with a thread reaches the other client intact", err)
        rc, _, err = run_cli(bob, "send", alice.jid, "Reply", "--thread", "child-" + thread, "--parent", thread,
                             "--subject", "Re: hello")
        msg = alice_listen.wait_for(lambda i: i.get("kind") == "message" and i.get("parent") == thread)
        tap.ok(rc == 0 and msg is not None and msg.get("thread") == "child-" + thread
               and msg.get("subject") == "Re: hello",
               f"{tag} the reply keeps its thread, parent and subject", err)

        # Presence seen by the other side.
        rc, _, err = run_cli(alice, "presence", "away", "Out for lunch", "--linger", "2", resource="phone")
        seen = bob_listen.wait_for(lambda i: i.get("kind") == "presence" and i.get("from") == alice.jid + "/phone"
                                   and i.get("show") == "away")
        tap.ok(rc == 0 and seen is not None and seen.get("status") == "Out for lunch",
               f"{tag} bob sees alice's away presence with its status", err)
        gone = bob_listen.wait_for(lambda i: i.get("kind") == "presence" and i.get("from") == alice.jid + "/phone"
                                   and i.get("show") == "offline")
        tap.ok(gone is not None, f"{tag} bob sees the resource go offline when the client closes")
        bob_listen.stop()

        # The same with slixmpp as the other party.
        slix = Slix(carol)
        tap.ok(slix.session is not None, f"{tag} slixmpp peer logged in", slix.stop() if slix.session is None else "")
        if slix.session is not None:
            rc, _, err = run_cli(alice, "subscribe", carol.jid)
            ev = slix.wait_for(lambda e: e.get("event") == "subscribe" and e.get("from") == alice.jid)
            tap.ok(rc == 0 and ev is not None, f"{tag} slixmpp receives our subscription request", err)
            slix.send(cmd="approve", to=alice.jid)
            got = alice_listen.wait_for(lambda i: i.get("kind") == "subscribed" and i.get("from") == carol.jid)
            tap.ok(got is not None, f"{tag} we see slixmpp's approval")
            slix.send(cmd="subscribe", to=alice.jid)
            req = alice_listen.wait_for(lambda i: i.get("kind") == "subscribe" and i.get("from") == carol.jid)
            tap.ok(req is not None, f"{tag} we receive slixmpp's subscription request")
            rc, _, err = run_cli(alice, "approve", carol.jid)
            ev = slix.wait_for(lambda e: e.get("event") == "subscribed" and e.get("from") == alice.jid)
            tap.ok(rc == 0 and ev is not None, f"{tag} slixmpp sees our approval")
            rc, records, _ = roster_of(alice)
            tap.ok((item_for(records, carol.jid) or {}).get("subscription") == "both",
                   f"{tag} the subscription with slixmpp is 'both'", records)

            thread = "slix-" + uuid.uuid4().hex[:8]
            rc, _, err = run_cli(alice, "send", carol.jid, "Hi from messenger", "--thread", thread)
            ev = slix.wait_for(lambda e: e.get("event") == "message" and e.get("thread") == thread)
            tap.ok(rc == 0 and ev is not None and ev.get("body") == "Hi from messenger",
                   f"{tag} slixmpp receives our message with its thread", err)
            slix.send(cmd="send", to=alice.jid, body="Hi from slixmpp", thread="s2", parent=thread)
            msg = alice_listen.wait_for(lambda i: i.get("kind") == "message" and i.get("thread") == "s2")
            tap.ok(msg is not None and msg.get("parent") == thread and msg.get("body") == "Hi from slixmpp",
                   f"{tag} we receive slixmpp's message with thread and parent")

            slix.send(cmd="presence", show="dnd", status="Busy")
            seen = alice_listen.wait_for(lambda i: i.get("kind") == "presence"
                                         and i.get("from", "").startswith(carol.jid) and i.get("show") == "dnd")
            tap.ok(seen is not None and seen.get("status") == "Busy", f"{tag} we see slixmpp's presence")
            rc, _, err = run_cli(alice, "presence", "chat", "Talk to me", "--linger", "2", resource="desk")
            ev = slix.wait_for(lambda e: e.get("event") == "presence" and e.get("from") == alice.jid + "/desk"
                               and e.get("show") == "chat")
            tap.ok(ev is not None and ev.get("status") == "Talk to me", f"{tag} slixmpp sees our presence", err)
            slix.stop()
        alice_listen.stop()

        # In-band registration.
        newbie = Account(p, "newbie" + uuid.uuid4().hex[:6], "fresh-pw-1")
        rc, out, err = run_cli(newbie, "register")
        tap.ok(rc == 0, f"{tag} in-band registration of a new account succeeds", f"status {rc}\n{err}")
        rc, out, err = run_cli(newbie, "roster")
        tap.ok(rc == 0, f"{tag} the new account can log in", f"status {rc}\n{err}")
        rc, out, err = run_cli(newbie, "register")
        tap.ok(rc == 1 and "exists" in err, f"{tag} registering the same name again is refused", f"status {rc}\n{err}")
        env_new = {"MESSENGER_NEW_PASSWORD": "fresh-pw-2"}
        os.environ.update(env_new)
        rc, out, err = run_cli(newbie, "passwd")
        del os.environ["MESSENGER_NEW_PASSWORD"]
        tap.ok(rc == 0, f"{tag} changing the password in-band succeeds", f"status {rc}\n{err}")
        rc_old, _, _ = run_cli(newbie, "roster")
        rc_new, _, err = run_cli(newbie, "roster", password="fresh-pw-2")
        tap.ok(rc_old == 3 and rc_new == 0, f"{tag} the old password no longer works, the new one does",
               f"old {rc_old}, new {rc_new}\n{err}")
        rc, out, err = run_cli(newbie, "unregister", password="fresh-pw-2")
        tap.ok(rc == 0, f"{tag} deleting the account in-band succeeds", f"status {rc}\n{err}")
        rc, _, err = run_cli(newbie, "roster", password="fresh-pw-2")
        tap.ok(rc == 3, f"{tag} the deleted account can no longer log in", f"status {rc}\n{err}")


def main():
    kinds = sys.argv[1:] or ["prosody", "ejabberd", "messenger"]
    for kind in kinds:
        try:
            test_server(kind)
        except (peers.PeerError, RuntimeError) as e:
            tap.ok(False, f"[{kind}] the server could be started", str(e))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
