"""Helpers for driving Messenger through its accessibility tree.

The tests find widgets the way a screen reader or a person would: by role
and visible name.  Real input goes through xdotool.  Everything waits with
a deadline so a broken build fails instead of hanging.
"""
import os
import subprocess
import sys
import time

import pyatspi

TIMEOUT = float(os.environ.get("MESSENGER_UI_TIMEOUT", "20"))


class Tap:
    """A tiny TAP producer: meson reads the plan and each ok/not ok line."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
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


def walk(node, depth=0, max_depth=60):
    if node is None or depth > max_depth:
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
        yield from walk(child, depth + 1, max_depth)


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


def find_actionable(root, name):
    """The node called NAME that can be activated (GTK 4.8 nests a button
    inside a menu button, both with the same name)."""
    for node in walk(root):
        try:
            if node.name == name and node.queryAction().nActions > 0:
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
