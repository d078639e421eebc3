"""Helpers for driving Messenger through its accessibility tree.

The tests find widgets the way a screen reader or a person would: by role
and visible name.  Real input goes through xdotool.  Everything waits with
a deadline so a broken build fails instead of hanging.
"""
import os
import subprocess
import time

import pyatspi

TIMEOUT = float(os.environ.get("MESSENGER_UI_TIMEOUT", "20"))


class Tap:
    """A tiny TAP producer: meson reads the plan and each ok/not ok line."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.started = self.last = time.monotonic()
        self.timing = bool(os.environ.get("MESSENGER_UI_TIMING"))

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if self.timing:
            now = time.monotonic()
            print(f"# +{now - self.last:.2f} s (at {now - self.started:.1f} s)", flush=True)
            self.last = now
        if cond:
            print(f"ok {self.n} - {desc}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {desc}", flush=True)
            if diag:
                for line in str(diag).splitlines():
                    print(f"# {line}", flush=True)
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


def wait_for(predicate, timeout=TIMEOUT, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # the tree changes under our feet: try again
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def find_app(name):
    desktop = pyatspi.Registry.getDesktop(0)
    for app in desktop:
        if app is not None and app.name == name:
            return app
    return None


def walk(node, depth=0, max_depth=60, skip=None):
    """NODE and every node below it, depth first; without the subtrees
    whose root SKIP accepts."""
    if node is None or depth > max_depth:
        return
    if skip is not None:
        try:
            if skip(node):
                return
        except Exception:
            return
    yield node
    try:
        count = node.childCount
    except Exception:
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(child, depth + 1, max_depth, skip)


def find(root, name=None, role=None, showing=False):
    for node in walk(root):
        try:
            if name is not None and node.name != name:
                continue
            if role is not None and node.getRoleName() != role:
                continue
            if showing and not node.getState().contains(pyatspi.STATE_VISIBLE):
                continue
            return node
        except Exception:
            continue
    return None


def find_actionable(root, name, shown=False):
    """The node called NAME that can be activated (GTK 4.8 nests a button
    inside a menu button, both with the same name); with SHOWN, only one
    drawn on screen (a page of a stack keeps its hidden pages' nodes)."""
    for node in walk(root):
        try:
            if node.name == name and node.queryAction().nActions > 0 and (not shown or on_screen(node)):
                return node
        except Exception:
            continue
    return None


def find_all(root, role=None):
    out = []
    for node in walk(root):
        try:
            if role is None or node.getRoleName() == role:
                out.append(node)
        except Exception:
            continue
    return out


def frames(app):
    result = []
    for i in range(app.childCount):
        child = app.getChildAtIndex(i)
        if child is not None:
            result.append(child)
    return result


def do_action(node, action_name=None):
    action = node.queryAction()
    for i in range(action.nActions):
        if action_name is None or action.getName(i) == action_name:
            return action.doAction(i)
    raise RuntimeError(f"{node.name!r} has no action {action_name!r}")


def keys(*combo):
    subprocess.run(["xdotool", "key", "--clearmodifiers", *combo], check=True)


def type_text(text):
    subprocess.run(["xdotool", "type", "--delay", "20", text], check=True)


def screenshot(path, window="root"):
    """Save the screen (or one X window, by id) as PNG."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["import", "-window", str(window), path], check=True, timeout=TIMEOUT)
    return path


def dump(root):
    lines = []
    for node in walk(root):
        try:
            lines.append(f"{node.getRoleName()}: {node.name!r}")
        except Exception:
            pass
    return "\n".join(lines)


def extents(node):
    """(x, y, width, height) of NODE in its window.  GTK 4 knows no screen
    coordinates; with no window manager under Xvfb every window sits at
    0,0, so these are screen coordinates too."""
    ext = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    return ext.x, ext.y, ext.width, ext.height


def click(node, button=1):
    """A real mouse click in the middle of NODE."""
    x, y, w, h = extents(node)
    # No --sync: it waits for a pointer motion that never comes when the
    # pointer is already there (a second click on the same entry took 15 s).
    # The X server keeps the order of the warp and the click anyway.
    subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2),
                    "click", str(button)], check=True, timeout=TIMEOUT)


def find_prefix(root, prefix, role=None):
    """The first node whose name starts with PREFIX."""
    for node in walk(root):
        try:
            if node.name.startswith(prefix) and (role is None or node.getRoleName() == role):
                return node
        except Exception:
            continue
    return None


def text_of(node):
    """The text of an entry or text view."""
    t = node.queryText()
    return t.getText(0, t.characterCount)


def visible(node):
    try:
        return node.getState().contains(pyatspi.STATE_VISIBLE)
    except Exception:
        return False


def on_screen(node):
    """GTK 4.8 sets neither SHOWING on inner nodes nor clears VISIBLE on a
    stack's hidden pages; what is drawn has a size, what is not has none."""
    try:
        _, _, w, h = extents(node)
        return w > 0 and h > 0
    except Exception:
        return False


def find_shown(root, name=None, role=None, prefix=None):
    """The first node drawn on screen with NAME (or a name starting with
    PREFIX) and ROLE."""
    for node in walk(root):
        try:
            if name is not None and node.name != name:
                continue
            if prefix is not None and not node.name.startswith(prefix):
                continue
            if role is not None and node.getRoleName() != role:
                continue
            if on_screen(node):
                return node
        except Exception:
            continue
    return None


def labels(root):
    """The text of every label drawn on screen under ROOT."""
    out = []
    for node in walk(root):
        try:
            if node.getRoleName() == "label" and on_screen(node):
                out.append(node.name)
        except Exception:
            continue
    return out


def drawn(node, window):
    """Whether NODE is what WINDOW shows at NODE's centre: the deepest
    accessible there is NODE or inside it.  Unlike on_screen(), this tells
    a stack's visible page from its hidden ones (which keep their old
    allocation and every state)."""
    try:
        x, y, w, h = extents(node)
        if w <= 0 or h <= 0:
            return False
        cx, cy = x + w // 2, y + h // 2
        current = window
        for _ in range(80):
            if current == node:
                return True
            below = current.queryComponent().getAccessibleAtPoint(cx, cy, pyatspi.WINDOW_COORDS)
            if below is None or below == current:
                break
            current = below
        # The deepest hit may be a child of NODE.
        for _ in range(80):
            if current is None:
                return False
            if current == node:
                return True
            current = current.get_parent()
    except Exception:
        return False
    return False


# The main window's lists (tests/ui/test_chat*.py)

def roster(win):
    """Names of the rows of the contact list, top to bottom (groups and contacts)."""
    lst = find_shown(win, name="Contacts", role="list")
    if lst is None:
        return []
    out = []
    for item in find_all(lst, role="list item"):
        try:
            if on_screen(item) and item.childCount > 0:
                out.append((extents(item)[1], item.getChildAtIndex(0).name))
        except Exception:
            continue
    return [name for _, name in sorted(out)]


def row_named(win, prefix, list_name="Contacts"):
    lst = find_shown(win, name=list_name, role="list")
    if lst is None:
        return None
    for item in find_all(lst, role="list item"):
        try:
            if on_screen(item) and item.childCount > 0 and item.getChildAtIndex(0).name.startswith(prefix):
                return item
        except Exception:
            continue
    return None
