#!/usr/bin/python3
"""UI test: the main window as a person meets it.

Starts the real `messenger` binary under Xvfb (see headless-run) on a
throw-away profile folder (`--profile DIR`, so its settings go to
DIR/settings.ini).  Without an account it shows the welcome page; with
`--local` it makes an account on its own bundled server and opens on the
chats page.  Then the main menu, the keyboard shortcuts window, the
Preferences and About windows, a resize, Ctrl+Q, and the size kept for the
next start.  Screenshots land in $MESSENGER_SCREENSHOT_DIR.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uifixture as F  # noqa: E402
import uitest  # noqa: E402

tap = uitest.Tap()
pyatspi = uitest.pyatspi


def close_frame(frame):
    uitest.do_action(frame, "window.close")
    uitest.wait_for(lambda: not frame.getState().contains(pyatspi.STATE_VISIBLE), timeout=5)


def window_extents(window):
    ext = window.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    return ext.width, ext.height


def menu_items(button, wanted):
    """The popover menu is drawn next to the (inner) button, under the menu
    button, in the accessibility tree."""
    def found():
        names = {n.name for n in uitest.walk(button.get_parent())}
        return all(w in names for w in wanted)
    return uitest.wait_for(found)


keyring = F.Keyring()

# -- no account yet: the welcome page
first = F.App()
win = first.start()
tap.ok(win is not None, "the main window is shown on an empty profile")
tap.diag(f"window mapped {first.startup:.3f} s after start (cold start, including a11y bus start)")
tap.ok(uitest.wait_for(lambda: uitest.find_shown(win, name="Welcome to Messenger")) is not None,
       "without an account the welcome page is shown", uitest.labels(win))
tap.ok(uitest.find_shown(win, name="Sidebar") is None, "no sidebar without an account")
menu = uitest.find_actionable(win, "Main Menu", shown=True)
if menu is not None:
    uitest.do_action(menu)
    tap.ok(menu_items(menu, ["Preferences", "Help", "About Messenger"]),
           "the welcome page's menu offers Preferences, Help and About")
    first.screenshot("main-window-1-welcome-menu.png")
    uitest.keys("Escape")
else:
    tap.ok(False, "the welcome page has a main menu", uitest.dump(win))
code = first.quit()
tap.ok(code == 0, "Ctrl+Q quits the welcome page cleanly", f"exit status {code}")

# -- --local: an account on the app's own server, the chats page
app = F.App()
win = app.start("--local")
sidebar = uitest.wait_for(lambda: uitest.find_shown(win, name="Sidebar"), timeout=40)
tap.ok(sidebar is not None, "with --local the app opens on the chats page", uitest.labels(win))
if sidebar is None:
    tap.diag(open(app.log).read()[-3000:])
    sys.exit(tap.done())
rows = uitest.wait_for(lambda: app.query("SELECT jid, server FROM accounts"), timeout=10)
local_jid = rows[0][0] if rows else None
tap.ok(rows and len(rows) == 1 and local_jid.endswith("@localhost") and rows[0][1] is None,
       "--local made one account on the bundled server", rows)
tap.ok(uitest.wait_for(lambda: uitest.find_shown(sidebar, name=local_jid, role="label")
                       and uitest.find_shown(sidebar, name="Available", role="label"), timeout=30),
       "the sidebar shows the local account, signed in and Available", uitest.labels(sidebar))
tap.ok(uitest.find_shown(sidebar, name="No Contacts") is not None, "the roster shows its empty state")
tap.ok(uitest.find_actionable(win, "Search Contacts") is not None, "the sidebar has a search button")
tap.ok(uitest.find_actionable(win, "Add Contact") is not None, "the sidebar has an Add Contact button")
conversation = uitest.find(win, name="Conversation")
tap.ok(conversation is not None and uitest.find_shown(conversation, name="No Conversation Selected") is not None,
       "the conversation pane shows its empty state when nothing is selected")
shot = app.screenshot("main-window-2-chats.png")
tap.ok(os.path.getsize(shot) > 1000, f"screenshot saved to {shot}")

# Ctrl+F opens the search bar and focuses the entry.
app.focus()
uitest.keys("ctrl+f")
entry = uitest.wait_for(lambda: uitest.find_shown(win, name="Search contacts", role="entry"))
tap.ok(entry is not None and entry.getState().contains(pyatspi.STATE_FOCUSED),
       "Ctrl+F shows the contact search entry, focused")
uitest.keys("Escape")

# The main menu lists the entries of the HIG's primary menu, with New Chat.
menu = uitest.find_actionable(sidebar, "Main Menu")
tap.ok(menu is not None, "the main menu button exists")
if menu is not None:
    uitest.do_action(menu)
    wanted = ["New Chat…", "Preferences", "Keyboard Shortcuts", "Help", "About Messenger"]
    tap.ok(menu_items(menu, wanted), "the main menu offers New Chat, Preferences, Keyboard Shortcuts, Help and About",
           uitest.dump(menu.get_parent()))
    app.screenshot("main-window-3-menu.png")
    uitest.keys("Escape")

# Ctrl+? opens the shortcuts window.
app.focus()
uitest.keys("ctrl+question")
shortcuts = app.frame("Keyboard Shortcuts")
tap.ok(shortcuts is not None, "Ctrl+? opens the keyboard shortcuts window",
       "\n".join(f.name for f in uitest.frames(app.app)))
if shortcuts is not None:
    for name in ("Search Contacts", "New Chat", "Next Conversation", "Previous Conversation",
                 "Close Conversation", "Preferences", "Quit"):
        tap.ok(uitest.find(shortcuts, name=name) is not None, f"the shortcuts window lists \"{name}\"")
    app.screenshot("main-window-4-shortcuts.png")
    close_frame(shortcuts)

# Ctrl+, opens Preferences with its switches and the account.
app.focus()
uitest.keys("ctrl+comma")
prefs = app.frame("Preferences")
tap.ok(prefs is not None, "Ctrl+, opens the Preferences window")
if prefs is not None:
    for name in ("Show Offline Contacts", "Notifications", "Send Typing Notifications", "Send Receipts"):
        switch = uitest.find(prefs, name=name, role="check box")
        tap.ok(switch is not None and switch.getState().contains(pyatspi.STATE_CHECKED),
               f"Preferences offer \"{name}\", on by default")
    tab = uitest.find_actionable(prefs, "Accounts")
    if tab is not None:
        uitest.do_action(tab)
    tap.ok(uitest.wait_for(lambda: uitest.find_shown(prefs, name=local_jid)) is not None,
           "the Accounts page of Preferences lists the local account", uitest.labels(prefs))
    app.screenshot("main-window-5-preferences.png")
    close_frame(prefs)

# About, from the menu.
if menu is not None:
    uitest.do_action(menu)
    item = uitest.wait_for(lambda: uitest.find(menu.get_parent(), name="About Messenger", role="menu item"))
    if item is not None:
        uitest.do_action(item, "click")   # popover coordinates are not the window's: no real click
    about = app.frame("About", timeout=10)
    tap.ok(about is not None, "About Messenger opens the About window",
           "\n".join(f"{f.getRoleName()} {f.name!r}" for f in uitest.frames(app.app)))
    if about is not None:
        close_frame(about)

# Resize, quit with Ctrl+Q, and check the size is remembered.
# The X window includes the client-side shadow, the accessible extents do not.
before = window_extents(win)
xid = app.xid()
if xid:
    subprocess.run(["xdotool", "windowsize", xid, "700", "500"], check=False, timeout=uitest.TIMEOUT)
resized = uitest.wait_for(lambda: window_extents(win) != before and window_extents(win), timeout=5)
tap.ok(resized and resized[0] < before[0] and resized[1] < before[1],
       "the window follows a resize", f"extents {before} -> {resized}")
app.screenshot("main-window-6-resized.png")

# Narrow: the leaflet folds to one pane, the sidebar.
if xid:
    subprocess.run(["xdotool", "windowsize", xid, "400", "500"], check=False, timeout=uitest.TIMEOUT)
sidebar = uitest.find(win, name="Sidebar")
# The folded leaflet keeps the hidden pane's old allocation: compare widths.
narrow = uitest.wait_for(lambda: window_extents(win)[0] < 450
                         and uitest.extents(sidebar)[2] >= window_extents(win)[0] - 2, timeout=5)
tap.ok(narrow, "a narrow window folds to one pane: the sidebar takes the whole width",
       f"window {window_extents(win)}, sidebar {uitest.extents(sidebar)}")
app.screenshot("main-window-7-narrow.png")
if xid:
    subprocess.run(["xdotool", "windowsize", xid, "700", "500"], check=False, timeout=uitest.TIMEOUT)
uitest.wait_for(lambda: window_extents(win) == tuple(resized), timeout=5)
code = app.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly with exit status 0", f"exit status {code}")
width = app.settings().get("org/example/Messenger", "window-width", fallback=None)
tap.ok(width == "700", "the window width is saved in the profile's settings.ini", f"window-width = {width}")

win = app.start("--local")
tap.ok(win is not None and resized and uitest.wait_for(lambda: window_extents(win) == tuple(resized), timeout=5),
       "the next start restores the saved window size", f"extents {window_extents(win) if win else None}")
tap.ok(uitest.wait_for(lambda: uitest.find_shown(win, name="Sidebar"), timeout=30) is not None
       and app.query("SELECT count(*) FROM accounts") == [(1,)],
       "the next start with --local reuses the local account and opens on the chats page")
code = app.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly again", f"exit status {code}")

sys.exit(tap.done())
