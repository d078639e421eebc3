#!/usr/bin/python3
"""UI test: the main window's features beyond a first conversation.

The bundled server runs with five users; Alice's account is in the app,
Bob, Carol, Dave and Erin are slixmpp peers (tests/ui/uipeer.py), all in
Alice's roster with subscriptions both ways.  As a person sees it:

  presence   Away with a status message, Do Not Disturb, Offline and back
             to Available from the sidebar's presence button: Bob sees each
             <show>/<status>; Offline ends the stream (Bob sees unavailable,
             his message waits on the server) and Available reconnects
  avatar     Carol publishes a vCard photo (XEP-0054/0153): her row shows
             the picture instead of initials (pixels of the screenshot)
  retry      Bob blocks Alice, so the server bounces her message: "Not
             sent" with Retry; Bob unblocks, Retry sends it, it is
             delivered and Bob receives it once
  flood      Bob sends 300 messages while his conversation is open at the
             bottom: the view stays at the newest, no "Jump to Newest"
             button, each message stored once
  history    Dave's 400 messages (sent while Alice was offline): the mouse
             wheel loads older pages up to the first one; "Jump to Newest
             Messages" comes and goes; the conversation opens at its
             newest message
  keys       Ctrl+Page Down/Up, Ctrl+Tab/Ctrl+Shift+Tab go through the
             conversations; Ctrl+W closes the one shown
  notify     a burst from Erin while the window is not focused: at most one
             notification a second, the last one showing the last message
  dark       org.gnome.desktop.interface color-scheme = prefer-dark: the
             window turns dark (pixels of the screenshot)
  zh_CN      the app started with LANGUAGE=zh_CN shows its labels in Chinese
             (the build's catalogues, through tests/ui/localedir-shim.c)

Checks that need to know whether something is drawn, where the
accessibility tree cannot tell (a picture, a revealed button, colours),
sample pixels of the screenshot.

Screenshots go to $MESSENGER_SCREENSHOT_DIR (chat-more-*.png).
"""
import base64
import hashlib
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uifixture as F  # noqa: E402
import uitest  # noqa: E402

import gi  # noqa: E402
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf  # noqa: E402

tap = uitest.Tap()
pyatspi = uitest.pyatspi
ALICE = "alice@localhost"
USERS = {u: f"{u}-password" for u in ("alice", "bob", "carol", "dave", "erin")}
NAMES = {"bob": "Bob Example", "carol": "Carol Example", "dave": "Dave Example", "erin": "Erin Example"}
HISTORY = 400
FLOOD = 300
BURST = 30
PHOTO_RGB = (255, 0, 255)     # a magenta no theme or initials colour comes near


def jid(user):
    return f"{user}@localhost"


def wait(predicate, timeout=uitest.TIMEOUT):
    return uitest.wait_for(predicate, timeout=timeout)


# ------------------------------------------------------------ reading the window

# The conversation pane, its message list and its title label are the
# same widgets whatever the conversation: found once, as walking the whole
# window again each time is slow with hundreds of messages in it.
_nodes = {}


def conversation_pane(win):
    if "pane" not in _nodes:
        pane = uitest.find(win, name="Conversation")
        if pane is None:
            return None
        _nodes["pane"] = pane
    return _nodes["pane"]


def message_list(win):
    if "list" not in _nodes:
        pane = conversation_pane(win)
        lst = pane and uitest.find_shown(pane, name="Messages", role="list")
        if lst is None:
            return None
        _nodes["list"] = lst
    return _nodes["list"]


def message_texts(win):
    """The labels of the message rows drawn, top to bottom."""
    lst = message_list(win)
    if lst is None:
        return []
    out = []
    for node in uitest.walk(lst):
        try:
            if node.getRoleName() == "label" and uitest.on_screen(node):
                out.append((uitest.extents(node)[1], node.name))
        except Exception:
            continue
    return [t for _, t in sorted(out)]


def visible_in_list(win, text):
    """TEXT is a label drawn inside the visible part of the message list."""
    lst = message_list(win)
    if lst is None:
        return False
    _, ly, _, lh = uitest.extents(lst)
    for node in uitest.walk(lst):
        try:
            if node.getRoleName() == "label" and node.name == text:
                _, y, _, h = uitest.extents(node)
                if h > 0 and y >= ly - 1 and y + h <= ly + lh + 1:
                    return True
        except Exception:
            continue
    return False


def message_item(win, body):
    lst = message_list(win)
    if lst is None:
        return None
    for item in uitest.find_all(lst, role="list item"):
        if uitest.on_screen(item) and uitest.find(item, name=body, role="label") is not None:
            return item
    return None


def item_images(item):
    out = []
    for node in uitest.walk(item):
        try:
            if node.getRoleName() == "image" and node.name:
                out.append(node.name)
        except Exception:
            continue
    return out


def header_title(win):
    """The conversation pane's title (None when none is shown): its topmost
    label naming a contact, found once and then read again."""
    label = _nodes.get("title")
    if label is None:
        pane = conversation_pane(win)
        if pane is None:
            return None
        best = None
        for node in uitest.walk(pane, skip=lambda n: n.getRoleName() == "list"):
            try:
                if node.getRoleName() == "label" and node.name in NAMES.values() and uitest.on_screen(node):
                    y = uitest.extents(node)[1]
                    if best is None or y < best[0]:
                        best = (y, node)
            except Exception:
                continue
        if best is None:
            return None
        label = _nodes["title"] = best[1]
    try:
        name = label.name
        return name if name in NAMES.values() and uitest.on_screen(label) else None
    except Exception:
        _nodes.pop("title", None)
        return None


def no_conversation(win):
    pane = conversation_pane(win)
    empty = pane and uitest.find(pane, name="No Conversation Selected", role="label")
    return bool(empty and uitest.drawn(empty, win))


def jump_button(win):
    if "jump" not in _nodes:
        pane = conversation_pane(win)
        button = pane and uitest.find(pane, name="Jump to Newest Messages", role="push button")
        if button is None:
            return None
        _nodes["jump"] = button
    return _nodes["jump"]


def jump_shown(win, app):
    """The "Jump to Newest Messages" button is drawn.  A revealer hides it,
    which the accessibility tree does not tell (the button keeps its size
    and states): the screenshot does.  It is a dark round OSD button, drawn
    over the light message list."""
    button = jump_button(win)
    if button is None:
        return False
    shot = app.screenshot("chat-more-jump.png")
    return dark_fraction(shot, uitest.extents(button)) > 0.3


def shown(win, name, role="label"):
    return uitest.find_shown(win, name=name, role=role) is not None


def open_conversation(app, win, user):
    row = wait(lambda: uitest.row_named(win, NAMES[user]))
    if row is None:
        return False
    app.focus()
    uitest.click(row)
    return wait(lambda: header_title(win) == NAMES[user]) is not None


def compose(app, win, text):
    entry = wait(lambda: uitest.find_shown(win, name="Message", role="text"))
    if entry is None:
        return False
    app.focus()
    uitest.click(entry)
    uitest.type_text(text)
    uitest.keys("Return")
    return True


def stored(app, peer, like="%"):
    """(body, direction, state) of the messages with PEER whose body is LIKE."""
    return app.query("SELECT m.body, m.direction, m.state FROM messages m JOIN conversations c "
                     "ON c.id = m.conversation_id WHERE c.peer = ? AND m.body LIKE ? ORDER BY m.id", peer, like)


def focused(root):
    for node in uitest.walk(root):
        try:
            if node.getState().contains(pyatspi.STATE_FOCUSED):
                return node
        except Exception:
            continue
    return None


# ------------------------------------------------------------ pixels

def pixels(path):
    pb = GdkPixbuf.Pixbuf.new_from_file(path)
    return pb, pb.get_pixels(), pb.get_rowstride(), pb.get_n_channels()


def count_colour(path, box, rgb, tolerance=40):
    """Pixels in BOX (x, y, w, h) of the PNG at PATH within TOLERANCE of RGB."""
    pb, data, stride, nch = pixels(path)
    x0, y0, w, h = box
    n = 0
    for y in range(max(0, y0), min(pb.get_height(), y0 + h)):
        for x in range(max(0, x0), min(pb.get_width(), x0 + w)):
            i = y * stride + x * nch
            if all(abs(data[i + k] - rgb[k]) <= tolerance for k in range(3)):
                n += 1
    return n


def luminance(path, box):
    """Mean luminance (0-255) of BOX in the PNG at PATH."""
    pb, data, stride, nch = pixels(path)
    x0, y0, w, h = box
    total, n = 0.0, 0
    for y in range(max(0, y0), min(pb.get_height(), y0 + h)):
        for x in range(max(0, x0), min(pb.get_width(), x0 + w)):
            i = y * stride + x * nch
            total += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2]
            n += 1
    return total / n if n else -1


def dark_fraction(path, box, below=110):
    """The share of the pixels of BOX whose luminance is under BELOW."""
    pb, data, stride, nch = pixels(path)
    x0, y0, w, h = box
    dark = n = 0
    for y in range(max(0, y0), min(pb.get_height(), y0 + h)):
        for x in range(max(0, x0), min(pb.get_width(), x0 + w)):
            i = y * stride + x * nch
            n += 1
            if 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2] < below:
                dark += 1
    return dark / n if n else 0.0


def solid_png(rgb, size=96):
    pb = GdkPixbuf.Pixbuf.new(GdkPixbuf.Colorspace.RGB, False, 8, size, size)
    pb.fill((rgb[0] << 24) | (rgb[1] << 16) | (rgb[2] << 8) | 0xff)
    ok, data = pb.save_to_bufferv("png", [], [])
    return bytes(data)


# ------------------------------------------------------------ notifications, with times

class NotificationClock:
    """Reads the fake notification server's log every 10 ms and stamps each
    new line with the time it appeared (the log itself has no times)."""

    def __init__(self, notes):
        self.notes = notes
        self.stamped = []
        self.lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        seen = 0
        while True:
            try:
                events = self.notes.events()
            except Exception:
                events = []
            now = time.monotonic()
            with self.lock:
                for e in events[seen:]:
                    self.stamped.append((now, e))
            seen = max(seen, len(events))
            time.sleep(0.01)

    def notified(self, since=0.0):
        with self.lock:
            return [(t, e) for t, e in self.stamped if e["event"] == "notify" and t >= since]


# ------------------------------------------------------------ own presence

PRESENCES = ["Available", "Free to Chat", "Away", "Extended Away", "Do Not Disturb", "Offline"]


def presence_button(win):
    sidebar = uitest.find(win, name="Sidebar")
    return sidebar and uitest.find_actionable(sidebar, "Presence")


def presence_subtitle(win):
    button = presence_button(win)
    try:
        return button.description if button is not None else None
    except Exception:
        return None


def open_presence_popover(app, win):
    """Open the presence popover with a click; the node its rows are under."""
    button = presence_button(win)
    if button is None:
        return None
    app.focus()
    uitest.click(button)
    root = button.get_parent()
    rows = wait(lambda: [r for r in uitest.find_all(root, role="list item")
                         if r.name in PRESENCES and uitest.on_screen(r)], timeout=10)
    if not rows:
        tap.diag("the presence popover did not open")
        return None
    return root


def move_focus(root, wanted, key, tries=8):
    """Press KEY until the focused node under ROOT satisfies WANTED."""
    for _ in range(tries):
        now = uitest.wait_for(lambda: focused(root), timeout=2)
        if now is not None and wanted(now):
            return now
        uitest.keys(key)
    now = focused(root)
    tap.diag(f"focus is on {now and now.name!r}")
    return None


def choose_presence(app, win, words):
    """Activate the row WORDS of the presence popover with the keyboard
    (the popover's coordinates are not the window's, so no clicks in it)."""
    root = open_presence_popover(app, win)
    if root is None:
        return False
    uitest.keys("Home")
    if move_focus(root, lambda n: n.name == words and n.getRoleName() == "list item", "Down") is None:
        uitest.keys("Escape")
        return False
    uitest.keys("Return")
    time.sleep(0.3)   # the popover closes
    return True


def set_status(app, win, status):
    """Type STATUS in the popover's entry and press Enter: the current
    presence with that status message."""
    root = open_presence_popover(app, win)
    if root is None:
        return False
    if move_focus(root, lambda n: n.name == "Status message" and n.getRoleName() == "text", "Tab") is None:
        uitest.keys("Escape")
        return False
    uitest.keys("ctrl+a", "BackSpace")
    uitest.type_text(status)
    uitest.keys("Return")
    time.sleep(0.3)
    return True


def alice_presence(e):
    return e["event"] == "presence" and e["from"].startswith(ALICE + "/")


# ------------------------------------------------------------ the world before the app

server = F.Server().start()
for user, password in USERS.items():
    server.add_user(jid(user), password)
keyring = F.Keyring()
notes = F.Notifications()
clock = NotificationClock(notes)

prep = F.Peer(server, ALICE, USERS["alice"], resource="prepare")
peers = {u: F.Peer(server, jid(u), USERS[u]) for u in NAMES}
for user, peer in peers.items():
    F.befriend(prep, peer, groups_a=["Friends"], name_a=NAMES[user])
prep.quit()
bob, carol, dave, erin = (peers[u] for u in ("bob", "carol", "dave", "erin"))

# Dave's long history, and a word from Carol, wait on the server for Alice.
for i in range(1, HISTORY + 1):
    dave.send("send", to=ALICE, body=f"History {i:03d}")
tap.ok(dave.call("features") is not None, f"Dave sends {HISTORY} messages while Alice is offline")
carol.message(ALICE, "Hello from Carol")

app = F.App()
app.add_account(ALICE, USERS["alice"], server=server.address, pin=server.fingerprint)
win = app.start()
tap.ok(win is not None, "the app starts on the profile")
tap.ok(wait(lambda: uitest.row_named(win, "Bob Example, Available") and uitest.row_named(win, "Erin Example, Available")),
       "the roster shows the four contacts online", uitest.roster(win))
got = wait(lambda: len(stored(app, jid("dave"), "History %")) == HISTORY, timeout=60)
tap.ok(got, f"the {HISTORY} messages Dave sent while Alice was offline are stored",
       len(stored(app, jid("dave"), "History %")))
app.screenshot("chat-more-1-roster.png")

# ------------------------------------------------------------ own presence

bob.drain()
ok = choose_presence(app, win, "Away")
got = bob.wait(lambda e: alice_presence(e) and e["show"] == "away")
tap.ok(ok and got is not None, "Away, from the presence button's popover: Bob sees <show>away</show>", got)
ok = set_status(app, win, "At lunch")
got = bob.wait(lambda e: alice_presence(e) and e["show"] == "away" and e["status"] == "At lunch")
tap.ok(ok and got is not None, "a status message typed in the popover: Bob sees it with <show>away</show>", got)
tap.ok(wait(lambda: (presence_subtitle(win) or "").endswith("Away — At lunch")),
       "the presence button says \"Away — At lunch\"", presence_subtitle(win))
app.screenshot("chat-more-2-away.png")

ok = choose_presence(app, win, "Do Not Disturb")
got = bob.wait(lambda e: alice_presence(e) and e["show"] == "dnd")
tap.ok(ok and got is not None, "Do Not Disturb: Bob sees <show>dnd</show>", got)
tap.ok(got and got["status"] == "At lunch", "the status message stays with the new presence", got)

ok = choose_presence(app, win, "Offline")
got = bob.wait(lambda e: alice_presence(e) and e["type"] == "unavailable")
tap.ok(ok and got is not None, "Offline: Bob sees Alice unavailable", got)
tap.ok(wait(lambda: (presence_subtitle(win) or "").endswith(", Offline")),
       "the presence button says Offline", presence_subtitle(win))
bob.message(ALICE, "Are you still there?")
time.sleep(1.0)
tap.ok(stored(app, jid("bob"), "Are you still there?") == [],
       "offline, the stream is closed: a message from Bob does not reach the app")
app.screenshot("chat-more-3-offline.png")

ok = choose_presence(app, win, "Available")
got = bob.wait(lambda e: alice_presence(e) and e["type"] == "available" and e["show"] is None)
tap.ok(ok and got is not None, "Available: the app connects again and Bob sees Alice available", got)
tap.ok(wait(lambda: stored(app, jid("bob"), "Are you still there?")),
       "back online, the message Bob sent meanwhile arrives from the server")
tap.ok(wait(lambda: (presence_subtitle(win) or "").endswith("Available — At lunch")),
       "the presence button says Available, with the status kept", presence_subtitle(win))

# ------------------------------------------------------------ avatar

carol_row = wait(lambda: uitest.row_named(win, "Carol Example"))


def avatar_box(row):
    x, y, w, h = uitest.extents(row)
    return (x, y, min(w, 64), h)


shot = app.screenshot("chat-more-4-avatar-before.png")
before = count_colour(shot, avatar_box(carol_row), PHOTO_RGB) if carol_row else -1
tap.ok(carol_row is not None and before == 0, "before Carol has a picture, her row shows no magenta",
       f"{before} magenta pixels")
photo = solid_png(PHOTO_RGB)
sha1 = hashlib.sha1(photo).hexdigest()
vcard = ("<vCard xmlns='vcard-temp'><FN>Carol Example</FN><PHOTO><TYPE>image/png</TYPE>"
         f"<BINVAL>{base64.b64encode(photo).decode()}</BINVAL></PHOTO></vCard>")
got = carol.call("iq", type="set", xml=vcard)
tap.ok(got is not None and got.get("event") == "done", "Carol publishes a vCard with a photo", got)
carol.send("raw", xml=f"<presence><x xmlns='vcard-temp:x:update'><photo>{sha1}</photo></x></presence>")
cache = os.path.join(app.profile, "cache")
tap.ok(wait(lambda: any(sha1 in files for _, _, files in os.walk(cache))),
       "the app fetches the vCard and keeps the picture under its SHA-1 in the cache")


def magenta_in_row():
    row = uitest.row_named(win, "Carol Example")
    if row is None:
        return 0
    shot = app.screenshot("chat-more-5-avatar.png")
    return count_colour(shot, avatar_box(row), PHOTO_RGB)


n = wait(lambda: (lambda c: c if c > 500 else None)(magenta_in_row()), timeout=15)
tap.ok(n, "Carol's row shows her picture instead of initials (a magenta disc of 36 px)",
       f"{magenta_in_row()} magenta pixels")
bob_row = uitest.row_named(win, "Bob Example")
tap.ok(bob_row is not None and count_colour(os.path.join(F.SHOTS, "chat-more-5-avatar.png"),
                                            avatar_box(bob_row), PHOTO_RGB) == 0,
       "Bob's row keeps his initials")

# ------------------------------------------------------------ retry

got = bob.call("iq", type="set", xml=f"<block xmlns='urn:xmpp:blocking'><item jid='{ALICE}'/></block>")
tap.ok(got is not None and got.get("event") == "done", "Bob blocks Alice", got)
tap.ok(open_conversation(app, win, "bob"), "clicking Bob's row opens his conversation")
bob.drain()
compose(app, win, "Did this reach you?")
failed = wait(lambda: (lambda r: r if r and r[-1][2] == 4 else None)(stored(app, jid("bob"), "Did this reach you?")))
tap.ok(failed, "the server bounces the message: stored as failed",
       stored(app, jid("bob"), "Did this reach you?"))
item = wait(lambda: (lambda i: i if i is not None and uitest.find_shown(i, name="Not sent", role="label")
                     else None)(message_item(win, "Did this reach you?")))
retry = item and next((n for n in uitest.find_all(item, role="push button")
                       if n.name.endswith("Retry") and uitest.on_screen(n)), None)
tap.ok(item is not None and retry is not None, "the message says \"Not sent\" and offers Retry",
       item and uitest.dump(item))
app.screenshot("chat-more-6-not-sent.png")
got = bob.call("iq", type="set", xml="<unblock xmlns='urn:xmpp:blocking'/>")
tap.ok(got is not None and got.get("event") == "done", "Bob unblocks Alice", got)
if retry is not None:
    app.focus()
    uitest.click(retry)
got = bob.wait(lambda e: e["event"] == "message" and e.get("body") == "Did this reach you?")
tap.ok(got is not None, "Retry sends it again: Bob receives it", got)
done = wait(lambda: (lambda r: r if r and r[-1][2] == 3 else None)(stored(app, jid("bob"), "Did this reach you?")))
tap.ok(done, "it ends delivered in the store", stored(app, jid("bob"), "Did this reach you?"))
tap.ok(wait(lambda: (lambda i: i is not None and "Delivered" in item_images(i)
                     and uitest.find_shown(i, name="Not sent", role="label") is None)(
    message_item(win, "Did this reach you?"))),
       "the row shows Delivered and no longer \"Not sent\"")
time.sleep(1.0)
bob.drain()
twice = [e for e in bob.seen if e["event"] == "message" and e.get("body") == "Did this reach you?"]
tap.ok(not twice, "Bob receives it once", twice)
app.screenshot("chat-more-7-retried.png")

# ------------------------------------------------------------ flood

app.focus()
tap.ok(visible_in_list(win, "Did this reach you?") and not jump_shown(win, app),
       "before the flood the conversation is at its newest message")
started = time.monotonic()
for i in range(1, FLOOD + 1):
    bob.send("send", to=ALICE, body=f"Flood {i:03d}")
bob.call("features")
got = wait(lambda: len(stored(app, jid("bob"), "Flood %")) >= FLOOD, timeout=60)
tap.diag(f"{FLOOD} messages stored {time.monotonic() - started:.1f} s after the first was sent")
tap.ok(got, f"the {FLOOD} messages are stored", len(stored(app, jid("bob"), "Flood %")))
last = f"Flood {FLOOD:03d}"
tap.ok(wait(lambda: visible_in_list(win, last), timeout=10),
       "the view follows the flood: the last message is visible", message_texts(win)[-5:])
time.sleep(0.5)
tap.ok(visible_in_list(win, last) and not jump_shown(win, app),
       "it stays at the newest message, with no \"Jump to Newest Messages\" button",
       f"jump button: {jump_button(win) and uitest.extents(jump_button(win))}")
bodies = [b for b, _, _ in stored(app, jid("bob"), "Flood %")]
tap.ok(sorted(bodies) == [f"Flood {i:03d}" for i in range(1, FLOOD + 1)],
       "each message is in the store once", f"{len(bodies)} rows, {len(set(bodies))} distinct")
app.screenshot("chat-more-8-flood.png")

# ------------------------------------------------------------ history

tap.ok(open_conversation(app, win, "dave"), "clicking Dave's row opens his conversation")
newest = f"History {HISTORY:03d}"
opened_at_newest = wait(lambda: visible_in_list(win, newest), timeout=5)
app.screenshot("chat-more-9-history-opened.png")
tap.ok(opened_at_newest, "it opens at the newest message", message_texts(win)[-3:])
tap.ok(not any(t.startswith("History 00") for t in message_texts(win)),
       "the oldest messages are not loaded yet", message_texts(win)[:3])


def history_shown():
    """The numbers of the "History N" labels inside the list's visible part."""
    lst = message_list(win)
    if lst is None:
        return []
    _, ly, _, lh = uitest.extents(lst)
    out = []
    for node in uitest.walk(lst):
        try:
            name = node.name
            if name.startswith("History "):
                _, y, _, h = uitest.extents(node)
                if h > 0 and y >= ly - 1 and y + h <= ly + lh + 1:
                    out.append(int(name.split()[1]))
        except Exception:
            continue
    return out


lst = message_list(win)
x, y, w, h = uitest.extents(lst)
seen = set()
started = time.monotonic()
# About 64 px a wheel click (GTK scrolls page_size^2/3): 30 clicks are
# fewer than 50 rows, so every page of 50 is seen on the way.
while time.monotonic() - started < 60:
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2),
                    "click", "--repeat", "30", "--delay", "5", "4"], check=True)
    time.sleep(0.1)
    now = history_shown()
    seen.update(now)
    if 1 in now:
        break
tap.diag(f"scrolled back in {time.monotonic() - started:.1f} s")
tap.ok(visible_in_list(win, "History 001"), "the mouse wheel scrolls back to Dave's first message",
       message_texts(win)[:5])
numbers = sorted(seen)
pages = sorted({(n - 1) // 50 for n in numbers})
tap.ok(pages == list(range(HISTORY // 50)),
       "on the way, every older page of 50 came into view",
       f"{len(numbers)} distinct messages seen, pages {pages}")
tap.ok(jump_shown(win, app), "away from the bottom, \"Jump to Newest Messages\" is shown",
       f"button at {jump_button(win) and uitest.extents(jump_button(win))}")
app.screenshot("chat-more-10-history-top.png")
button = jump_button(win)
if button is not None:
    uitest.click(button)
tap.ok(wait(lambda: visible_in_list(win, newest)),
       "\"Jump to Newest Messages\" brings back the newest message", message_texts(win)[-3:])
tap.ok(wait(lambda: not jump_shown(win, app), timeout=10), "at the newest message, the button goes away")
tap.ok(wait(lambda: app.query("SELECT unread FROM conversations WHERE peer = ?", jid("dave")) == [(0,)]),
       "at the newest message with the window focused, Dave's messages are read",
       app.query("SELECT unread FROM conversations WHERE peer = ?", jid("dave")))

# ------------------------------------------------------------ next / previous / close

peers_by_recent = [p for (p,) in app.query("SELECT peer FROM conversations ORDER BY last_time DESC")]
names = [NAMES[p.split("@")[0]] for p in peers_by_recent]
tap.diag(f"conversations, most recent first: {names}")
start = header_title(win)
app.focus()
# From the composer, where the keys are typed most of the time (its text
# view and scrolled window have their own Ctrl+Page Down/Up and Ctrl+Tab).
composer = uitest.find_shown(conversation_pane(win), name="Message", role="text")
if composer is not None:
    uitest.click(composer)
tap.ok(composer is not None and wait(lambda: composer.getState().contains(pyatspi.STATE_FOCUSED), timeout=5),
       "the keyboard focus is in the composer")
visited = [start]
for _ in range(len(names)):
    before = header_title(win)
    uitest.keys("ctrl+Next")
    wait(lambda: header_title(win) != before, timeout=5)
    visited.append(header_title(win))
tap.ok(len(names) >= 3 and sorted(set(visited)) == sorted(names) and visited[-1] == start
       and all(a != b for a, b in zip(visited, visited[1:])),
       "Ctrl+Page Down goes through every conversation, one after the other, and comes back",
       f"visited {visited}")
tap.ok(visited[:2] == [start, names[(names.index(start) + 1) % len(names)]] if start in names else False,
       "it follows the conversation list's order (most recent first)", f"{visited} vs {names}")
uitest.keys("ctrl+Prior")
tap.ok(wait(lambda: header_title(win) == visited[-2], timeout=5),
       "Ctrl+Page Up goes back to the previous one", header_title(win))
before = header_title(win)
uitest.keys("ctrl+Tab")
tap.ok(wait(lambda: header_title(win) == start, timeout=5),
       "Ctrl+Tab goes to the next one", f"{before} -> {header_title(win)}")
uitest.keys("ctrl+shift+Tab")
tap.ok(wait(lambda: header_title(win) == before, timeout=5),
       "Ctrl+Shift+Tab goes to the previous one", header_title(win))
app.screenshot("chat-more-11-switched.png")
uitest.keys("ctrl+w")
tap.ok(wait(lambda: no_conversation(win) and header_title(win) is None, timeout=5),
       "Ctrl+W closes the conversation: No Conversation Selected, no title")
uitest.keys("ctrl+Next")
tap.ok(wait(lambda: header_title(win) == names[0], timeout=5),
       "with none open, Ctrl+Page Down opens the most recent one", header_title(win))
uitest.keys("ctrl+w")
wait(lambda: no_conversation(win), timeout=5)

# ------------------------------------------------------------ notifications

other = F.OtherWindow()
other.focus()
since = time.monotonic()
started = time.monotonic()
for i in range(1, BURST + 1):
    erin.send("send", to=ALICE, body=f"Burst {i:02d}")
    time.sleep(0.1)
erin.call("features")
burst = time.monotonic() - started
got = wait(lambda: len(stored(app, jid("erin"), "Burst %")) == BURST)
tap.ok(got, f"the {BURST} messages Erin sent over {burst:.1f} s are stored")
last = f"Burst {BURST:02d}"
wait(lambda: any(e["body"] == last for _, e in clock.notified(since)), timeout=5)
time.sleep(1.5)
sent = clock.notified(since)
times = [t for t, _ in sent]
gaps = [b - a for a, b in zip(times, times[1:])]
tap.diag(f"{len(sent)} notifications, gaps {[round(g, 2) for g in gaps]}")
tap.ok(sent and all(e["summary"] == "Erin Example" for _, e in sent),
       "the burst is notified under Erin's name", [e for _, e in sent][:3])
tap.ok(2 <= len(sent) <= int(burst) + 3,
       f"{BURST} messages in {burst:.1f} s make about one notification a second, not one each",
       f"{len(sent)} notifications")
tap.ok(all(g >= 0.8 for g in gaps), "notifications of one conversation are at least a second apart",
       [round(g, 2) for g in gaps])
tap.ok(sent and sent[-1][1]["body"] == last, "the last notification shows the last message",
       sent and sent[-1][1])
tap.ok(len({e["id"] for _, e in sent}) == 1, "each replaces the one before (one notification id)",
       {e["id"] for _, e in sent})
app.focus()
other.close()

# ------------------------------------------------------------ dark

pane = uitest.find(win, name="Conversation")
sidebar = uitest.find(win, name="Sidebar")


def centre_box(node, size=24):
    x, y, w, h = uitest.extents(node)
    return (x + w // 2 - size // 2, y + h * 3 // 4, size, size)


shot = app.screenshot("chat-more-12-light.png")
light = (luminance(shot, centre_box(pane)), luminance(shot, centre_box(sidebar)))
tap.ok(min(light) > 180, "with the default color scheme the window is light",
       f"luminance of the conversation pane and sidebar: {light}")
r = subprocess.run(["gsettings", "set", "org.gnome.desktop.interface", "color-scheme", "prefer-dark"],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode == 0, "the desktop's color scheme is set to prefer-dark", r.stderr)


def dark_now():
    shot = app.screenshot("chat-more-13-dark.png")
    values = (luminance(shot, centre_box(pane)), luminance(shot, centre_box(sidebar)))
    return values if max(values) < 80 else None


dark = wait(dark_now, timeout=15)
tap.ok(dark, "the window follows it and turns dark",
       f"luminance: {dark or (luminance(os.path.join(F.SHOTS, 'chat-more-13-dark.png'), centre_box(pane)))}")
subprocess.run(["gsettings", "reset", "org.gnome.desktop.interface", "color-scheme"],
               capture_output=True, timeout=30)
code = app.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly", f"exit status {code}")

# ------------------------------------------------------------ zh_CN

mo = os.path.join(F.BUILD, "po", "zh_CN", "LC_MESSAGES", "messenger.mo")
TITLE_ZH = "Messenger 即时通讯"


class ChineseApp(F.App):
    """The app in Simplified Chinese, with the build's compiled catalogues
    (MESSENGER_LOCALEDIR) instead of the installed ones."""

    def env(self):
        env = super().env()
        env.update(LANGUAGE="zh_CN", LANG="C.UTF-8", LC_ALL="C.UTF-8",
                   MESSENGER_LOCALEDIR=os.path.join(F.BUILD, "po"))
        return env

    def xid(self, name=f"^{TITLE_ZH}$"):
        return super().xid(name)


if os.path.exists(mo):
    zh = ChineseApp(app.profile)
    win = zh.start(window_name=TITLE_ZH)
    tap.ok(win is not None, f"with LANGUAGE=zh_CN the window is called \"{TITLE_ZH}\"")
    sidebar = win and wait(lambda: uitest.find_shown(win, name="侧边栏"))
    tap.ok(sidebar is not None, "with LANGUAGE=zh_CN the sidebar is \"侧边栏\"", win and uitest.dump(win)[:2000])
    tap.ok(wait(lambda: uitest.find_shown(win, name="联系人", role="list")) is not None,
           "the contact list is \"联系人\"")
    tap.ok(wait(lambda: shown(win, "未选择对话")), "the empty pane says \"未选择对话\"")
    button = uitest.find_actionable(sidebar, "在线状态") if sidebar is not None else None
    tap.ok(button is not None and wait(lambda: "在线" in (button.description or "")),
           "the presence button is \"在线状态\" and says \"在线\" (Available)", button and button.description)
    tap.ok(wait(lambda: uitest.row_named(win, "Bob Example 在线", "联系人")) is not None,
           "contacts are described in Chinese (\"Bob Example 在线\")")
    zh.screenshot("chat-more-14-zh_CN.png")
    code = zh.quit()
    tap.ok(code == 0, "Ctrl+Q quits cleanly", f"exit status {code}")
else:
    tap.ok(False, f"the build has a compiled zh_CN catalogue ({mo})")

sys.exit(tap.done())
