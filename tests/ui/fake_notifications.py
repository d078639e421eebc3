#!/usr/bin/python3
"""A stand-in notification server for the UI tests.

Owns org.freedesktop.Notifications on the test's private session bus, the
way GNOME Shell does on a desktop, so GApplication's notifications reach
it.  Each Notify call is written to OUT as one JSON line; a line
"invoke ID ACTION" on stdin emits ActionInvoked, as a click would.

    fake_notifications.py OUT
"""
import json
import sys
import threading

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

XML = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
  </interface>
</node>
"""

out = open(sys.argv[1], "a", buffering=1)
loop = GLib.MainLoop()
state = {"next": 1, "conn": None}


def record(event):
    out.write(json.dumps(event) + "\n")


def on_call(conn, sender, path, iface, method, params, invocation):
    args = params.unpack()
    if method == "Notify":
        app, replaces, icon, summary, body, actions, hints, timeout = args
        nid = replaces or state["next"]
        if not replaces:
            state["next"] += 1
        record({"event": "notify", "id": nid, "app": app, "summary": summary, "body": body,
                "actions": list(actions)})
        invocation.return_value(GLib.Variant("(u)", (nid,)))
    elif method == "CloseNotification":
        record({"event": "close", "id": args[0]})
        invocation.return_value(None)
    elif method == "GetCapabilities":
        invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
    else:
        invocation.return_value(GLib.Variant("(ssss)", ("fake", "messenger-tests", "1", "1.2")))


def on_bus(conn, name):
    state["conn"] = conn
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    conn.register_object("/org/freedesktop/Notifications", node.interfaces[0], on_call, None, None)


def on_name(conn, name):
    record({"event": "ready"})


def emit_invoked(nid, action):
    state["conn"].emit_signal(None, "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                              "ActionInvoked", GLib.Variant("(us)", (nid, action)))
    return False


def read_commands():
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "invoke":
            GLib.idle_add(emit_invoked, int(parts[1]), parts[2])
    GLib.idle_add(loop.quit)


Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.NONE,
                 on_bus, on_name, None)
threading.Thread(target=read_commands, daemon=True).start()
loop.run()
