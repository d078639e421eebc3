#!/usr/bin/python3
"""UI test: the main window as a person meets it.

Starts the real `messenger` binary under Xvfb (see headless-run), finds the
window through the accessibility tree, checks the sidebar and the empty
state, uses the main menu, the keyboard shortcuts window and the About
window, resizes the window, quits with Ctrl+Q and checks the size was kept
for the next start.  Screenshots land in $MESSENGER_SCREENSHOT_DIR.
"""
import configparser
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uitest  # noqa: E402

BUILD = os.environ["MESSENGER_BUILD_ROOT"]
APP = os.path.join(BUILD, "src", "ui", "messenger")
SHOTS = os.environ.get("MESSENGER_SCREENSHOT_DIR", os.path.join(BUILD, "screenshots"))

tap = uitest.Tap()


def start_app():
    env = dict(os.environ)
    env["GSETTINGS_BACKEND"] = "keyfile"
    env["GSETTINGS_SCHEMA_DIR"] = os.path.join(BUILD, "data")
    started = time.monotonic()
    proc = subprocess.Popen([APP], env=env)
    app = uitest.wait_for(lambda: uitest.find_app("messenger"))
    window = None
    if app:
        window = uitest.wait_for(lambda: next(
            (f for f in uitest.frames(app) if f.name == "Messenger"
             and f.getState().contains(uitest.pyatspi.STATE_SHOWING)), None))
    return proc, app, window, time.monotonic() - started


def keyfile_value(key):
    path = os.path.join(os.environ["XDG_CONFIG_HOME"], "glib-2.0", "settings", "keyfile")
    parser = configparser.ConfigParser()
    parser.read(path)
    try:
        return parser["org/example/Messenger"][key]
    except KeyError:
        return None


def main_xid():
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Messenger$"],
                         capture_output=True, text=True, timeout=uitest.TIMEOUT).stdout.split()
    return out[0] if out else None


def focus_main():
    """No window manager runs under Xvfb: give the main window the keyboard
    focus the way a click on it would."""
    xid = main_xid()
    if xid:
        subprocess.run(["xdotool", "windowfocus", "--sync", xid], check=False, timeout=uitest.TIMEOUT)


def close_frame(frame):
    uitest.do_action(frame, "window.close")
    uitest.wait_for(lambda: not frame.getState().contains(uitest.pyatspi.STATE_SHOWING), timeout=5)


def window_extents(window):
    ext = window.queryComponent().getExtents(uitest.pyatspi.WINDOW_COORDS)
    return ext.width, ext.height


proc, app, window, startup = start_app()
tap.ok(app is not None, "the application appears on the accessibility bus")
if window is None:
    tap.ok(False, "the main window is shown", uitest.dump(app) if app else "no app")
    proc.kill()
    sys.exit(tap.done())
tap.ok(True, "the main window is shown")
tap.diag(f"window mapped {startup:.3f} s after start (cold start, including a11y bus start)")

sidebar = uitest.find(window, name="Sidebar")
tap.ok(sidebar is not None, "the sidebar exists", uitest.dump(window))
tap.ok(uitest.find(sidebar, name="No Contacts") is not None if sidebar else False,
       "the sidebar shows the empty roster state")
tap.ok(uitest.find_actionable(window, "Search Contacts") is not None,
       "the sidebar has a search button")
conversation = uitest.find(window, name="Conversation")
tap.ok(conversation is not None, "the conversation pane exists")
empty = uitest.find(conversation, name="No Conversation Selected") if conversation else None
tap.ok(empty is not None, "the empty state page is shown when nothing is selected")

shot = uitest.screenshot(os.path.join(SHOTS, "main-window.png"), main_xid() or "root")
tap.ok(os.path.getsize(shot) > 1000, f"screenshot saved to {shot}")

# Ctrl+F opens the search bar and focuses the entry.
uitest.keys("ctrl+f")
entry = uitest.wait_for(lambda: uitest.find(window, name="Search contacts", showing=True))
tap.ok(entry is not None, "Ctrl+F shows the contact search entry")
uitest.keys("Escape")

# The main menu lists the four entries of the HIG's primary menu.
menu_button = uitest.find_actionable(window, "Main Menu")
tap.ok(menu_button is not None, "the main menu button exists")
if menu_button is not None:
    uitest.do_action(menu_button)
    wanted = ["Preferences", "Keyboard Shortcuts", "Help", "About Messenger"]
    items = uitest.wait_for(lambda: [n for n in (uitest.find(app, name=w) for w in wanted) if n]
                            if all(uitest.find(app, name=w) for w in wanted) else None)
    tap.ok(items is not None, "the main menu offers Preferences, Keyboard Shortcuts, Help and About",
           uitest.dump(app))
    uitest.screenshot(os.path.join(SHOTS, "main-menu.png"))
    uitest.keys("Escape")

# Ctrl+? opens the shortcuts window.
focus_main()
uitest.keys("ctrl+question")
shortcuts = uitest.wait_for(lambda: next((f for f in uitest.frames(app)
                                          if f.name == "Keyboard Shortcuts"
                                          and f.getState().contains(uitest.pyatspi.STATE_SHOWING)), None))
tap.ok(shortcuts is not None, "Ctrl+? opens the keyboard shortcuts window",
       "\n".join(f.name for f in uitest.frames(app)))
if shortcuts is not None:
    tap.ok(uitest.find(shortcuts, name="Search Contacts") is not None,
           "the shortcuts window lists the contact search shortcut")
    uitest.screenshot(os.path.join(SHOTS, "shortcuts.png"))
    close_frame(shortcuts)

# Ctrl+, opens Preferences with its switches.
focus_main()
uitest.keys("ctrl+comma")
prefs = uitest.wait_for(lambda: next((f for f in uitest.frames(app) if f.name == "Preferences"), None))
tap.ok(prefs is not None, "Ctrl+, opens the Preferences window")
if prefs is not None:
    tap.ok(uitest.find(prefs, name="Show Offline Contacts") is not None,
           "Preferences offer the offline contacts switch", uitest.dump(prefs))
    close_frame(prefs)

# Resize, quit with Ctrl+Q, and check the size is remembered.
# The X window includes the client-side shadow, the accessible extents do not.
before = window_extents(window)
xid = main_xid()
if xid:
    subprocess.run(["xdotool", "windowsize", xid, "700", "500"], check=False, timeout=uitest.TIMEOUT)
resized = uitest.wait_for(lambda: window_extents(window) != before and window_extents(window), timeout=5)
tap.ok(resized and resized[0] < before[0] and resized[1] < before[1],
       "the window follows a resize", f"extents {before} -> {resized}")
focus_main()
uitest.keys("ctrl+q")
try:
    code = proc.wait(timeout=uitest.TIMEOUT)
except subprocess.TimeoutExpired:
    proc.kill()
    code = None
tap.ok(code == 0, "Ctrl+Q quits cleanly with exit status 0", f"exit status {code}")
tap.ok(keyfile_value("window-width") == "700", "the window width is saved in GSettings",
       f"window-width = {keyfile_value('window-width')}")

proc, app, window, startup = start_app()
tap.ok(window is not None and resized and window_extents(window) == tuple(resized),
       "the next start restores the saved window size",
       f"extents {window_extents(window) if window else None}")
if proc.poll() is None:
    subprocess.run(["gapplication", "action", "org.example.Messenger", "quit"], check=False)
    try:
        code = proc.wait(timeout=uitest.TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = None
    tap.ok(code == 0, "the app.quit action over D-Bus ends the application cleanly")

sys.exit(tap.done())
