"""What a UI test needs around the app: the bundled server, its users, an
unlocked throw-away keyring, a fake notification server, the second party
(a slixmpp peer) and the app itself on a profile folder.

Everything runs inside the private bus and display of headless-run, under
its throw-away HOME; every process started here is stopped by its own PID
when the test stops it or, at the latest, when the test exits.
"""
import atexit
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

import uitest

BUILD = os.environ["MESSENGER_BUILD_ROOT"]
SOURCE = os.environ.get("MESSENGER_SOURCE_ROOT",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
APP_BIN = os.path.join(BUILD, "src", "ui", "messenger")
SERVER_BIN = os.path.join(BUILD, "src", "server", "messenger-server")
CLI_BIN = os.path.join(BUILD, "src", "cli", "messenger-cli")
HERE = os.path.dirname(os.path.abspath(__file__))
SHOTS = os.environ.get("MESSENGER_SCREENSHOT_DIR", os.path.join(BUILD, "screenshots"))
PYTHON = "/usr/bin/python3"

_started = []   # every Popen we own, stopped at exit in reverse order


def _own(proc):
    _started.append(proc)
    return proc


def _stop(proc, sig=signal.SIGTERM, timeout=10):
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=timeout)


@atexit.register
def _stop_all():
    for proc in reversed(_started):
        _stop(proc, timeout=5)


def tmpdir(name):
    """A fresh folder under the throw-away HOME of headless-run."""
    base = os.environ.get("HOME") or tempfile.gettempdir()
    return tempfile.mkdtemp(prefix=name + ".", dir=base)


def log(msg):
    print(f"# {msg}", flush=True)


# ---------------------------------------------------------------- server

class Server:
    """messenger-server on 127.0.0.1, a free port (kept across restarts)."""

    READY = re.compile(r"listening on 127\.0\.0\.1:(\d+).*SHA-256 ([0-9A-Fa-f:]{95})")
    DIRECT_TLS = re.compile(r"127\.0\.0\.1:(\d+) \(direct TLS\)")

    def __init__(self, domain="localhost", registration=False, direct_tls=False):
        self.domain = domain
        self.dir = tmpdir("server")
        self.registration = registration
        # direct_tls: also listen for XEP-0368 direct TLS on a free port
        # (self.direct_tls_port, kept across restarts); off otherwise.
        self.direct_tls = direct_tls
        self.direct_tls_port = 0
        self.port = 0
        self.fingerprint = None
        self.proc = None
        self.ready_line = None

    def start(self, timeout=uitest.TIMEOUT):
        args = [SERVER_BIN, "--domain", self.domain, "--data-dir", self.dir,
                "--listen", "127.0.0.1", "--c2s-port", str(self.port)]
        if not self.direct_tls:
            args += ["--direct-tls-port", "0"]          # 0 turns it off
        elif self.direct_tls_port:
            args += ["--direct-tls-port", str(self.direct_tls_port)]
        elif self.port:
            args += ["--direct-tls-port", str(_free_port())]
        # else: with --c2s-port 0 and no --direct-tls-port the server picks
        # a free port for direct TLS too.
        if self.registration:
            args.append("--allow-registration")
        self.proc = _own(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(
            os.path.join(self.dir, "server.log"), "a"), text=True))
        line = _readline(self.proc.stdout, timeout)
        m = self.READY.search(line or "")
        if not m:
            raise RuntimeError(f"messenger-server did not start: {line!r}")
        self.ready_line = line.strip()
        self.port = int(m.group(1))
        self.fingerprint = m.group(2).upper()
        if self.direct_tls:
            d = self.DIRECT_TLS.search(line)
            if not d:
                raise RuntimeError(f"messenger-server has no direct TLS port: {line!r}")
            self.direct_tls_port = int(d.group(1))
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        return self

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def _user(self, verb, jid, password):
        r = subprocess.run([SERVER_BIN, "user", verb, jid, "--data-dir", self.dir],
                           input=password + "\n", capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"messenger-server user {verb} {jid}: {r.stderr.strip()}")

    def add_user(self, jid, password):
        self._user("add", jid, password)

    def passwd(self, jid, password):
        self._user("passwd", jid, password)

    def users(self):
        """The accounts on the server (`messenger-server user list`)."""
        r = subprocess.run([SERVER_BIN, "user", "list", "--data-dir", self.dir, "--domain", self.domain],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"messenger-server user list: {r.stderr.strip()}")
        return r.stdout.split()


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _readline(stream, timeout):
    box = []
    t = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return box[0] if box else None


# ---------------------------------------------------------------- keyring

class Keyring:
    """An unlocked gnome-keyring on the private bus (see tests/integration/with-keyring)."""

    def __init__(self):
        env = dict(os.environ)
        env.pop("G_DEBUG", None)    # it warns on start; not our business
        self.proc = _own(subprocess.Popen(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True))
        self.proc.stdin.write(b"test-keyring-password")
        self.proc.stdin.close()
        if not uitest.wait_for(lambda: name_has_owner("org.freedesktop.secrets"), timeout=10):
            raise RuntimeError("gnome-keyring-daemon did not take org.freedesktop.secrets")

    def stop(self):
        _stop(self.proc)

    @staticmethod
    def password(jid):
        """The password the app keeps for JID (schema of src/core/messenger-secret.c)."""
        import gi
        gi.require_version("Secret", "1")
        from gi.repository import Secret
        schema = Secret.Schema.new("org.example.Messenger.Password", Secret.SchemaFlags.NONE,
                                   {"jid": Secret.SchemaAttributeType.STRING})
        return Secret.password_lookup_sync(schema, {"jid": jid}, None)


def name_has_owner(name):
    r = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                        "--object-path", "/org/freedesktop/DBus",
                        "--method", "org.freedesktop.DBus.NameHasOwner", name],
                       capture_output=True, text=True, timeout=10)
    return "true" in r.stdout


# ---------------------------------------------------------------- notifications

class Notifications:
    """tests/ui/fake_notifications.py: owns org.freedesktop.Notifications."""

    def __init__(self):
        self.path = os.path.join(tmpdir("notifications"), "log.jsonl")
        open(self.path, "w").close()
        self.proc = _own(subprocess.Popen([PYTHON, os.path.join(HERE, "fake_notifications.py"), self.path],
                                          stdin=subprocess.PIPE, text=True))
        if not uitest.wait_for(lambda: any(e["event"] == "ready" for e in self.events()), timeout=10):
            raise RuntimeError("fake notification server did not start")

    def events(self):
        with open(self.path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def notified(self):
        return [e for e in self.events() if e["event"] == "notify"]

    def invoke(self, nid, action="default"):
        self.proc.stdin.write(f"invoke {nid} {action}\n")
        self.proc.stdin.flush()


# ---------------------------------------------------------------- peer

class Peer:
    """A slixmpp client (tests/ui/uipeer.py) driven by JSON commands."""

    def __init__(self, server, jid, password, resource="peer", xml=True, presence=True):
        self.jid = jid
        args = [PYTHON, os.path.join(HERE, "uipeer.py"), "--jid", jid, "--password", password,
                "--host", "127.0.0.1", "--port", str(server.port), "--fingerprint", server.fingerprint,
                "--resource", resource]
        if not presence:
            args.append("--no-presence")
        if xml:
            args.append("--xml")
        self.proc = _own(subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        self.events = queue.Queue()
        self.seen = []
        self._tag = 0
        threading.Thread(target=self._read, daemon=True).start()
        start = self.wait(lambda e: e["event"] in ("session_start", "error", "disconnected"), timeout=30)
        if not start or start["event"] != "session_start":
            raise RuntimeError(f"peer {jid} did not start: {start}")
        self.full_jid = start["jid"]

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass

    def send(self, cmd, **fields):
        fields["cmd"] = cmd
        self.proc.stdin.write(json.dumps(fields) + "\n")
        self.proc.stdin.flush()

    def call(self, cmd, timeout=uitest.TIMEOUT, **fields):
        """Run a command and wait until the peer says it is done."""
        self._tag += 1
        tag = f"t{self._tag}"
        self.send(cmd, tag=tag, **fields)
        return self.wait(lambda e: e.get("event") == "done" and e.get("tag") == tag
                         or e.get("event") in ("error", "iq_error"), timeout=timeout)

    def wait(self, predicate, timeout=uitest.TIMEOUT):
        """The first event (already seen or new) matching PREDICATE."""
        for e in self.seen:
            if predicate(e):
                self.seen.remove(e)
                return e
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if predicate(e):
                return e
            self.seen.append(e)

    def drain(self):
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return

    def presence(self, show=None, status=None, **extra):
        self.send("presence", show=show, status=status, **extra)

    def message(self, to, body, **extra):
        return self.call("send", to=to, body=body, **extra)

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def befriend(a, b, groups_a=None, name_a=None):
    """Subscriptions both ways between peers A and B (A lists B with NAME_A
    in GROUPS_A)."""
    if groups_a is not None or name_a is not None:
        a.call("roster_add", jid=b.jid, name=name_a, groups=groups_a or [])
    for x, y in ((a, b), (b, a)):
        x.call("subscribe", to=y.jid)
        y.wait(lambda e: e["event"] == "subscribe" and e["from"].startswith(x.jid))
        y.call("approve", to=x.jid)


# ---------------------------------------------------------------- another window

class OtherWindow:
    """A window of another program: focusing it makes the app's window
    inactive, as clicking elsewhere on a desktop would (no window manager
    runs under Xvfb, so nothing else takes the focus)."""

    TITLE = "Some Other Program"

    def __init__(self):
        env = dict(os.environ, NO_AT_BRIDGE="1", GTK_A11Y="none")
        env.pop("G_DEBUG", None)
        code = ("import gi; gi.require_version('Gtk', '4.0'); from gi.repository import Gtk, GLib; "
                f"w = Gtk.Window(title={self.TITLE!r}); w.set_default_size(300, 200); w.present(); "
                "GLib.MainLoop().run()")
        self.proc = _own(subprocess.Popen([PYTHON, "-c", code], env=env))
        self.xid = uitest.wait_for(lambda: subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^{self.TITLE}$"],
            capture_output=True, text=True, timeout=10).stdout.split()[0], timeout=15)

    def focus(self):
        if self.xid:
            subprocess.run(["xdotool", "windowfocus", "--sync", self.xid], check=False, timeout=10)

    def close(self):
        _stop(self.proc)


# ---------------------------------------------------------------- app

class App:
    """The real messenger binary on a profile folder."""

    def __init__(self, profile=None):
        self.profile = profile or tmpdir("profile")
        self.proc = None
        self.app = None
        self.window = None
        self.log = os.path.join(self.profile + ".log")

    def env(self):
        env = dict(os.environ)
        env["GSETTINGS_SCHEMA_DIR"] = os.path.join(BUILD, "data")
        env["MESSENGER_SERVER_BINARY"] = SERVER_BIN
        env.pop("GSETTINGS_BACKEND", None)
        return env

    def add_account(self, jid, password, server=None, pin=None):
        args = [APP_BIN, "--profile", self.profile, "--add-account", jid]
        if server:
            args += ["--server", server]
        if pin:
            args += ["--pin", pin]
        r = subprocess.run(args, input=password + "\n", capture_output=True, text=True,
                           env=self.env(), timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"--add-account failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def start(self, *args, window_name="Messenger"):
        started = time.monotonic()
        self.proc = _own(subprocess.Popen([APP_BIN, "--profile", self.profile, *args], env=self.env(),
                                          stderr=open(self.log, "a")))
        pid = self.proc.pid
        self.app = uitest.wait_for(lambda: find_app_by_pid(pid), timeout=30)
        if self.app is None:
            raise RuntimeError("the app did not appear on the accessibility bus")
        self.window = uitest.wait_for(lambda: next(
            (f for f in uitest.frames(self.app) if f.name == window_name
             and f.getState().contains(uitest.pyatspi.STATE_VISIBLE)), None), timeout=30)
        self.startup = time.monotonic() - started
        return self.window

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def xid(self, name="^Messenger$"):
        out = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(self.proc.pid),
                              "--name", name], capture_output=True, text=True, timeout=10).stdout.split()
        return out[0] if out else None

    def focus(self):
        """No window manager runs under Xvfb: give the main window the
        keyboard focus the way a click on it would."""
        xid = self.xid()
        if xid:
            subprocess.run(["xdotool", "windowfocus", "--sync", xid], check=False, timeout=10)
        return xid

    def quit(self, timeout=uitest.TIMEOUT):
        """Ctrl+Q in the main window; the exit status (None when it hung)."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.focus()
        uitest.keys("ctrl+q")
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def frame(self, name, timeout=uitest.TIMEOUT):
        return uitest.wait_for(lambda: next((f for f in uitest.frames(self.app) if f.name == name
                                             and f.getState().contains(uitest.pyatspi.STATE_VISIBLE)), None),
                               timeout=timeout)

    def screenshot(self, name, window=None):
        """The whole screen (the main window and any dialog on it), with the
        pointer moved off the windows so no tooltip hides anything."""
        subprocess.run(["xdotool", "mousemove", "1279", "799"], check=False, timeout=10)
        time.sleep(0.2)
        return uitest.screenshot(os.path.join(SHOTS, name), window or "root")

    def move_window(self, title, x, y):
        """Move one of the app's windows (dialogs open at 0,0 without a
        window manager, over the main window)."""
        out = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(self.proc.pid),
                              "--name", f"^{title}$"], capture_output=True, text=True, timeout=10).stdout.split()
        for xid in out:
            subprocess.run(["xdotool", "windowmove", "--sync", xid, str(x), str(y)], check=False, timeout=10)
        return bool(out)

    def db(self):
        path = os.path.join(self.profile, "messenger.db")
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)

    def query(self, sql, *params):
        with self.db() as conn:
            return conn.execute(sql, params).fetchall()

    def settings(self):
        import configparser
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.profile, "settings.ini"))
        return parser


def processes_with(text):
    """PIDs of processes whose command line contains TEXT."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def find_app_by_pid(pid):
    desktop = uitest.pyatspi.Registry.getDesktop(0)
    for app in desktop:
        try:
            if app is not None and app.get_process_id() == pid:
                return app
        except Exception:
            continue
    return None
