#!/usr/bin/python3
"""UI test: the roster, presence and a conversation with a real second party.

The bundled server runs with five users.  Before the app starts, a slixmpp
client signed in as alice prepares her roster (Bob in "Friends", Carol in
"Work", Dave in both, Erin in no group; subscriptions both ways) and the
contacts' own clients (tests/ui/uipeer.py) go online or not.  Alice's
account is added with `messenger --profile DIR --add-account`, so the app
starts signed in.  Then, as a person sees it:

  roster   groups with online/total counts, names, presence in words, live
           presence changes, "Show Offline Contacts" in Preferences, search
  messages one received is shown and notified (no conversation open; the
           window not focused), clicking the notification opens it; one
           typed and sent with Enter reaches Bob and is marked Delivered;
           typing notifications both ways; a reply in Bob's thread and a
           New Thread (with a subject) the peer sees as a new thread id
  offline  quit, stop the server, start again: roster and history from the
           cache
  password the server's password changes: "Password Needed", a wrong one
           is refused, the right one signs in

Every check reads the widgets over AT-SPI and, where it helps, the app's
SQLite database in the profile (read-only); each section saves a
screenshot to $MESSENGER_SCREENSHOT_DIR.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uifixture as F  # noqa: E402
import uitest  # noqa: E402

tap = uitest.Tap()
ALICE = "alice@localhost"
USERS = {u: f"{u}-password" for u in ("alice", "bob", "carol", "dave", "erin")}
NAMES = {"bob": "Bob Example", "carol": "Carol Example", "dave": "Dave Example", "erin": "Erin Example"}
GROUPS = {"bob": ["Friends"], "carol": ["Work"], "dave": ["Friends", "Work"], "erin": []}


def jid(user):
    return f"{user}@localhost"


# ------------------------------------------------------------ reading the window

def messages(win):
    """One dict per message row drawn: its labels and delivery images."""
    lst = uitest.find_shown(win, name="Messages", role="list")
    if lst is None:
        return []
    rows = []
    for item in uitest.find_all(lst, role="list item"):
        if not uitest.on_screen(item):
            continue
        texts, images, senders = [], [], {}
        for node in uitest.walk(item):
            try:
                role = node.getRoleName()
                if role == "label" and uitest.on_screen(node):
                    texts.append(node.name)
                    if node.description:
                        senders[node.name] = node.description
                elif role == "image" and node.name:
                    images.append(node.name)
            except Exception:
                continue
        rows.append({"y": uitest.extents(item)[1], "texts": texts, "images": images, "senders": senders})
    return sorted(rows, key=lambda r: r["y"])


def message_row(win, body):
    return next((r for r in messages(win) if body in r["texts"]), None)


def conversation_title(win):
    pane = uitest.find(win, name="Conversation")
    return uitest.labels(pane) if pane else []


def shown(win, name, role="label"):
    return uitest.find_shown(win, name=name, role=role) is not None


def db_messages(app, peer):
    """(body, direction 0 in/1 out, state 3 = delivered, thread id) of each stored message."""
    return app.query("SELECT m.body, m.direction, m.state, t.thread_id FROM messages m "
                     "JOIN conversations c ON c.id = m.conversation_id LEFT JOIN threads t ON t.id = m.thread "
                     "WHERE c.peer = ? ORDER BY m.id", peer)


def wait(predicate, timeout=uitest.TIMEOUT):
    return uitest.wait_for(predicate, timeout=timeout)


def open_conversation(app, win, user):
    row = wait(lambda: uitest.row_named(win, NAMES[user]))
    if row is None:
        return False
    app.focus()
    uitest.click(row)
    return wait(lambda: shown(uitest.find(win, name="Conversation"), NAMES[user])) is not None


def compose(app, win, text, send=True):
    entry = wait(lambda: uitest.find_shown(win, name="Message", role="text"))
    if entry is None:
        return False
    app.focus()
    uitest.click(entry)
    uitest.type_text(text)
    if send:
        uitest.keys("Return")
    return True


# ------------------------------------------------------------ the world before the app

server = F.Server().start()
for user, password in USERS.items():
    server.add_user(jid(user), password)
keyring = F.Keyring()
notes = F.Notifications()

prep = F.Peer(server, ALICE, USERS["alice"], resource="prepare")
peers = {u: F.Peer(server, jid(u), USERS[u]) for u in NAMES}
for user, peer in peers.items():
    F.befriend(prep, peer, groups_a=GROUPS[user], name_a=NAMES[user])
prep.quit()
for user in ("dave", "erin"):
    peers.pop(user).quit()
bob, carol = peers["bob"], peers["carol"]
carol.presence(show="away", status="At lunch")

app = F.App()
app.add_account(ALICE, USERS["alice"], server=server.address, pin=server.fingerprint)
tap.ok(app.query("SELECT jid FROM accounts") == [(ALICE,)], "--add-account saves the account in the profile")
win = app.start()
tap.ok(win is not None, "the app starts on the profile")
tap.diag(f"window shown {app.startup:.2f} s after start")

# ------------------------------------------------------------ the roster

want = ["Friends, 1 of 2 online", "Bob Example, Available", "Dave Example, Offline",
        "Work, 1 of 2 online", "Carol Example, Away: At lunch", "Dave Example, Offline",
        "Ungrouped, 0 of 1 online", "Erin Example, Offline"]
got = wait(lambda: uitest.roster(win) == want and uitest.roster(win))
tap.ok(got, "the roster shows the groups with online/total counts and each contact with its presence "
       "(available before offline, a contact in two groups under both, the ungrouped last)",
       f"want {want}\ngot  {uitest.roster(win)}")
tap.ok(shown(win, "1/2") and shown(win, "0/1"), "the group rows show the counts as online/total")
tap.ok(shown(win, "At lunch"), "a contact's status message is shown under the name")
items = sorted(app.query("SELECT jid, name, subscription FROM roster_items"))
tap.ok([(j, n) for j, n, _ in items] == sorted((jid(u), NAMES[u]) for u in NAMES)
       and all(s == 3 for _, _, s in items),
       "the database holds the four contacts with their names and subscriptions both ways", items)
groups = sorted(app.query("SELECT jid, name FROM roster_groups"))
tap.ok(groups == sorted((jid(u), g) for u in NAMES for g in GROUPS[u]), "the database holds their groups", groups)
app.screenshot("chat-1-roster.png")

# Presence changes arrive live.
bob.presence(show="away", status="Back soon")
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Away: Back soon")),
       "Bob going away shows \"Away: Back soon\" on his row", uitest.roster(win))
bob.presence(show="dnd", status="In a meeting")
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Do Not Disturb: In a meeting")),
       "Bob's Do Not Disturb is shown on his row", uitest.roster(win))
bob.presence(type="unavailable")
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Offline") and uitest.row_named(win, "Friends, 0 of 2 online")),
       "Bob going offline shows him Offline and Friends 0 of 2 online", uitest.roster(win))
app.screenshot("chat-2-bob-offline.png")
bob.presence()
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Available") and uitest.row_named(win, "Friends, 1 of 2 online")),
       "Bob coming back shows him Available again", uitest.roster(win))

# Show Offline Contacts, in Preferences.
app.focus()
uitest.keys("ctrl+comma")
prefs = app.frame("Preferences")
switch = prefs and wait(lambda: uitest.find(prefs, name="Show Offline Contacts", role="check box"))
tap.ok(switch is not None, "Preferences offer Show Offline Contacts", uitest.dump(prefs) if prefs else "no window")
if switch is not None:
    app.move_window("Preferences", 640, 120)   # beside the roster, for the screenshot
    uitest.do_action(switch, "toggle")
    hidden = wait(lambda: uitest.row_named(win, "Bob Example") and not uitest.row_named(win, "Dave Example")
                  and not uitest.row_named(win, "Erin Example"))
    tap.ok(hidden, "switching it off hides Dave and Erin, who are offline", uitest.roster(win))
    app.screenshot("chat-3-offline-hidden.png")
    tap.ok(app.settings().get("org/example/Messenger", "show-offline-contacts", fallback=None) == "false",
           "the choice is saved in the profile's settings.ini")
    uitest.do_action(switch, "toggle")
    tap.ok(wait(lambda: uitest.row_named(win, "Dave Example") and uitest.row_named(win, "Erin Example")),
           "switching it on lists them again", uitest.roster(win))
    uitest.do_action(prefs, "window.close")
    wait(lambda: app.frame("Preferences", timeout=0.2) is None, timeout=5)

# Search filters as one types.
app.focus()
uitest.keys("ctrl+f")
entry = wait(lambda: uitest.find_shown(win, name="Search contacts", role="entry"))
tap.ok(entry is not None, "Ctrl+F opens the contact search")
uitest.type_text("car")
found = wait(lambda: uitest.row_named(win, "Carol Example", "Search results")
             and not uitest.row_named(win, "Bob Example", "Search results"))
tap.ok(found, "typing \"car\" leaves Carol alone in the results")
app.screenshot("chat-4-search.png")
uitest.type_text("zzz")
tap.ok(wait(lambda: shown(win, "No Results") and not uitest.row_named(win, "Carol Example", "Search results")),
       "typing more so that nothing matches shows No Results")
uitest.keys("Escape")
tap.ok(wait(lambda: uitest.row_named(win, "Friends, 1 of 2 online")), "Escape leaves the search and shows the roster again")

# ------------------------------------------------------------ a message received

other = F.OtherWindow()
bob.message(ALICE, "Hello Alice, are you there?")
note = wait(lambda: next((n for n in notes.notified() if "Hello Alice" in n["body"]), None))
tap.ok(note and note["summary"] == "Bob Example",
       "a message from Bob, with no conversation open, is notified under his name", notes.events())
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Available, 1 unread message")),
       "Bob's row counts one unread message", uitest.roster(win))
stored = db_messages(app, jid("bob"))
tap.ok(stored and stored[-1][0] == "Hello Alice, are you there?" and stored[-1][1] == 0,
       "the message is stored in the database as received", stored)
other.focus()
if note:
    notes.invoke(note["id"])
opened = wait(lambda: message_row(win, "Hello Alice, are you there?"))
tap.ok(opened and "Bob Example" in conversation_title(win),
       "clicking the notification opens the conversation with Bob, showing the message",
       conversation_title(win))
tap.ok(opened and opened["senders"].get("Hello Alice, are you there?") == "Bob Example",
       "the message row names Bob as its sender", opened)
tap.ok(uitest.row_named(win, "Bob Example, Available, 1 unread message"),
       "while the window is not focused, the message still counts as unread", uitest.roster(win))
# A desktop gives the presented window the focus; no window manager runs here.
app.focus()
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Available") and not uitest.row_named(win, "Bob Example, Available, 1")),
       "once the window is focused on it, the message is read and Bob's row no longer counts it", uitest.roster(win))
tap.ok(wait(lambda: app.query("SELECT unread FROM conversations WHERE peer = ?", jid("bob")) == [(0,)]),
       "the database has the conversation as read",
       app.query("SELECT unread FROM conversations WHERE peer = ?", jid("bob")))
other.focus()

# The window is not focused: a message in the open conversation is notified.
count = len(notes.notified())
bob.message(ALICE, "Just checking in")
tap.ok(wait(lambda: len(notes.notified()) > count and "Just checking in" in notes.notified()[-1]["body"]),
       "with the window not focused, a message in the open conversation is notified", notes.events())
app.screenshot("chat-5-received.png")

# Focused and showing the conversation: read, so the notification is
# withdrawn; new messages are shown, not notified.
second = notes.notified()[-1] if notes.notified() else None
app.focus()
tap.ok(second and wait(lambda: any(e["event"] == "close" and e["id"] == second["id"] for e in notes.events())),
       "focusing the window on the conversation reads the message and withdraws its notification",
       notes.events())
count = len(notes.notified())
bob.message(ALICE, "Seen you are back")
tap.ok(wait(lambda: message_row(win, "Seen you are back")), "a message arriving in the open conversation is shown")
time.sleep(0.5)
tap.ok(len(notes.notified()) == count, "it is not notified while the window is focused on it", notes.events())

# ------------------------------------------------------------ typing and sending

bob.drain()
compose(app, win, "Hi Bob", send=False)
composing = bob.wait(lambda e: e["event"] == "chatstate" and e["state"] == "composing")
tap.ok(composing is not None, "typing in the composer tells Bob that Alice is composing")
uitest.keys("Return")
got = bob.wait(lambda e: e["event"] == "message" and e.get("body") == "Hi Bob")
tap.ok(got is not None, "Enter sends the message and Bob receives it", got)
row = wait(lambda: (lambda r: r if r and "Delivered" in r["images"] else None)(message_row(win, "Hi Bob")))
tap.ok(row is not None, "the sent message is marked Delivered after Bob's receipt", message_row(win, "Hi Bob"))
tap.ok(row and row["senders"].get("Hi Bob") == "You", "the sent message is shown as sent by You", row)
entry = uitest.find_shown(win, name="Message", role="text")
tap.ok(entry is not None and uitest.text_of(entry) == "", "the composer is empty after sending")
stored = db_messages(app, jid("bob"))
tap.ok(stored and stored[-1][0] == "Hi Bob" and stored[-1][1] == 1 and stored[-1][2] == 3,
       "the database has the sent message as delivered", stored)
app.screenshot("chat-6-delivered.png")

bob.send("raw", xml=f"<message to='{ALICE}' type='chat'>"
         "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>")
tap.ok(wait(lambda: shown(win, "typing…")), "Bob composing shows \"typing…\"")
app.screenshot("chat-7-typing.png")
bob.send("raw", xml=f"<message to='{ALICE}' type='chat'>"
         "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")
tap.ok(wait(lambda: not shown(win, "typing…")), "\"typing…\" goes away when Bob stops")

# ------------------------------------------------------------ threads

bob.message(ALICE, "About the trip: Saturday?", thread="trip-thread")
tap.ok(wait(lambda: message_row(win, "About the trip: Saturday?")), "a message in Bob's thread is shown")
bob.drain()
compose(app, win, "Saturday works")
reply = bob.wait(lambda e: e["event"] == "message" and e.get("body") == "Saturday works")
tap.ok(reply and reply["thread"] == "trip-thread", "the reply goes out in Bob's thread", reply)
tap.ok(any(t.startswith("Replying in") and "About the trip" in t for t in uitest.labels(win)),
       "the composer says which thread the reply goes to", [t for t in uitest.labels(win) if "Replying" in t])
threads_before = {t for _, _, _, t in db_messages(app, jid("bob"))}

button = uitest.find_actionable(win, "New Thread")
tap.ok(button is not None, "the conversation offers New Thread")
if button is not None:
    uitest.do_action(button)
# It asks for an optional subject first; the entry has the keyboard focus
# (a popover: its coordinates are not the window's, so no click).
subject = wait(lambda: (lambda n: n if n is not None and n.getState().contains(uitest.pyatspi.STATE_FOCUSED)
                        else None)(uitest.find(win, name="Subject (optional)", role="text")))
tap.ok(subject is not None, "New Thread asks for a subject, with the keyboard focus in its entry")
app.screenshot("chat-8-new-thread.png")
uitest.type_text("Weekend plans")
uitest.keys("Return")
tap.ok(wait(lambda: "Replying in: Weekend plans" in uitest.labels(win)),
       "Enter starts the thread: the composer says the next message goes to \"Weekend plans\"",
       [t for t in uitest.labels(win) if "Replying" in t])
compose(app, win, "Something else entirely")
fresh = bob.wait(lambda e: e["event"] == "message" and e.get("body") == "Something else entirely")
tap.ok(fresh and fresh["thread"] and fresh["thread"] not in threads_before,
       "after New Thread, Bob sees the next message in a new thread", (fresh, threads_before))
tap.ok(fresh and fresh["subject"] == "Weekend plans", "the new thread's first message carries its subject", fresh)
threads = app.query("SELECT t.thread_id, t.subject FROM threads t JOIN conversations c ON c.id = t.conversation_id "
                    "WHERE c.peer = ?", jid("bob"))
tap.ok(fresh and (fresh["thread"], "Weekend plans") in threads and "trip-thread" in [t for t, _ in threads],
       "the database lists both threads of the conversation, the new one with its subject", threads)
switcher = uitest.find_actionable(win, "Threads")
if switcher is not None:
    uitest.do_action(switcher)
    thread_list = wait(lambda: uitest.find_shown(app.app, name="Thread list", role="list"))
    listed = uitest.labels(thread_list) if thread_list else []
    tap.ok("About the trip: Saturday?" in listed and "Weekend plans" in listed,
           "the thread switcher lists Bob's thread by its first line and the new one by its subject", listed)
    app.screenshot("chat-9-threads.png")
    uitest.keys("Escape")
else:
    tap.ok(False, "the conversation has a thread switcher")

# Ctrl+W closes the conversation.
pane = uitest.find(win, name="Conversation")
empty = pane and uitest.find(pane, name="No Conversation Selected", role="label")
listing = pane and uitest.find(pane, name="Messages", role="list")
before = bool(empty and listing and uitest.drawn(listing, win) and not uitest.drawn(empty, win))
app.focus()
uitest.keys("ctrl+w")
tap.ok(before and wait(lambda: uitest.drawn(empty, win) and not uitest.drawn(listing, win), timeout=5),
       "Ctrl+W closes the conversation: the pane shows No Conversation Selected instead of the messages",
       f"messages drawn before: {before}")

# ------------------------------------------------------------ offline, from the cache

code = app.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly", f"exit status {code}")
server.stop()
win = app.start()
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example") and uitest.row_named(win, "Carol Example")
            and uitest.row_named(win, "Friends")),
       "with the server stopped, the next start shows the roster from the cache", uitest.roster(win))
tap.ok(not uitest.row_named(win, "Bob Example, Available"), "offline, nobody is shown as available", uitest.roster(win))
strip = wait(lambda: uitest.find_shown(win, role="status bar"))
tap.ok(strip is not None and "cannot be reached" in strip.name,
       "the sidebar says the server cannot be reached, without blocking the window", strip and strip.name)
tap.ok(open_conversation(app, win, "bob") and wait(lambda: message_row(win, "Hi Bob")
                                                   and message_row(win, "Hello Alice, are you there?")),
       "the conversation with Bob still shows its history", [r["texts"] for r in messages(win)])
app.screenshot("chat-10-offline-cache.png")
app.quit()

# ------------------------------------------------------------ a password that no longer works

server.passwd(ALICE, "a new password")
server.start()
bob.quit()
carol = F.Peer(server, jid("carol"), USERS["carol"])
carol.presence(show="xa", status="On holiday")
win = app.start()
dialog = app.frame("Password Needed", timeout=30)
tap.ok(dialog is not None, "after the password changed on the server, the app asks: Password Needed")
if dialog is not None:
    app.screenshot("chat-11-password-needed.png")
    field = wait(lambda: uitest.find_shown(dialog, name="Password", role="text"))
    uitest.click(field)
    uitest.type_text("still wrong")
    uitest.do_action(uitest.find_actionable(dialog, "Sign In"))
    error = wait(lambda: [t for t in uitest.labels(dialog) if "password" in t.lower() and "not" in t.lower()])
    tap.ok(error, "a wrong password is refused in the dialog with an error", uitest.labels(dialog))
    app.screenshot("chat-12-password-wrong.png")
    field = uitest.find_shown(dialog, name="Password", role="text")
    uitest.click(field)
    uitest.keys("ctrl+a", "BackSpace")
    uitest.type_text("a new password")
    uitest.do_action(uitest.find_actionable(dialog, "Sign In"))
    # Asked of the dialog itself: asking the app for its windows while one
    # closes can crash GTK 4.8's accessibility (a null object path).
    tap.ok(wait(lambda: not uitest.visible(dialog)), "the right password closes the dialog")
sidebar = uitest.find(win, name="Sidebar")
tap.ok(sidebar is not None and wait(lambda: shown(sidebar, "Available")
                                   and uitest.row_named(win, "Carol Example, Extended Away: On holiday")),
       "the account is signed in again and sees Carol's presence", uitest.roster(win))
tap.ok(F.Keyring.password(ALICE) == "a new password", "the new password is kept in the keyring")
app.screenshot("chat-13-signed-in-again.png")
code = app.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly", f"exit status {code}")

sys.exit(tap.done())
