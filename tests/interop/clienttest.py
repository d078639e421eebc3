"""Helpers for black-box tests of messenger-cli against real servers.

A `Cli` runs one messenger-cli command and returns its exit status and
output; `Listener` keeps `messenger-cli listen --json` running and collects
its records; `Slix` drives a tests/interop/slixpeer.py process.  Every wait
has a deadline, so a broken client fails a test instead of hanging it.
"""
import json
import os
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("MESSENGER_BUILD_ROOT", os.path.join(HERE, "..", "..", "build"))
CLI = os.path.join(BUILD, "src", "cli", "messenger-cli")
SLIXPEER = os.path.join(HERE, "slixpeer.py")
PYTHON = "/usr/bin/python3"
WAIT = 20


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print(("ok" if cond else "not ok") + f" {self.n} - {desc}", flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines()[-40:]:
                    print(f"# {line}", flush=True)
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


class Account:
    def __init__(self, peer, user, password):
        self.peer = peer
        self.user = user
        self.password = password
        self.jid = f"{user}@{peer.domain}"

    def cli_args(self, pin=True, resource=None):
        args = [CLI, "--jid", self.jid, "--server", f"127.0.0.1:{self.peer.c2s_port}", "--timeout", str(WAIT)]
        if pin:
            args += ["--pin", self.peer.fingerprint_sha256]
        if resource:
            args += ["--resource", resource]
        return args

    def env(self, password=None):
        env = dict(os.environ)
        env["MESSENGER_PASSWORD"] = self.password if password is None else password
        return env


def run_cli(account, *command, pin=True, password=None, resource=None, extra=(), timeout=WAIT + 10):
    args = account.cli_args(pin=pin, resource=resource) + list(extra) + list(command)
    try:
        proc = subprocess.run(args, env=account.env(password), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return 124, e.stdout or "", (e.stderr or "") + "\n(timed out)"
    return proc.returncode, proc.stdout, proc.stderr


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


class _Reader:
    """Collect JSON lines from a process's stdout on a thread."""

    def __init__(self, proc):
        self.proc = proc
        self.items = []
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                line = line.strip()
                if line.startswith("{"):
                    try:
                        self.items.append(json.loads(line))
                    except ValueError:
                        pass
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.items:
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.thread.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def all(self, predicate):
        with self.cond:
            return [i for i in self.items if predicate(i)]


class Listener:
    """messenger-cli listen --json, running until stopped."""

    def __init__(self, account, resource=None, extra=()):
        args = account.cli_args(resource=resource) + ["--timeout", "120", "listen", "--json"] + list(extra)
        self.proc = subprocess.Popen(args, env=account.env(), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.reader = _Reader(self.proc)
        self.ready = self.reader.wait_for(lambda i: i.get("kind") == "ready")

    def wait_for(self, predicate, timeout=WAIT):
        return self.reader.wait_for(predicate, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.stderr.read()


class Slix:
    """A slixmpp peer (tests/interop/slixpeer.py)."""

    def __init__(self, account, resource=None, register=False):
        args = [PYTHON, SLIXPEER, "--jid", account.jid, "--password", account.password,
                "--host", "127.0.0.1", "--port", str(account.peer.c2s_port),
                "--fingerprint", account.peer.fingerprint_sha256, "--timeout", str(WAIT)]
        if resource:
            args += ["--resource", resource]
        if register:
            args += ["--register"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.reader = _Reader(self.proc)
        self.session = self.reader.wait_for(lambda i: i.get("event") == "session_start")

    def send(self, **command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def wait_for(self, predicate, timeout=WAIT):
        return self.reader.wait_for(predicate, timeout)

    def stop(self):
        try:
            if self.proc.poll() is None:
                self.send(cmd="quit")
                self.proc.stdin.close()
            self.proc.wait(timeout=15)
        except (subprocess.TimeoutExpired, BrokenPipeError, OSError):
            self.proc.kill()
            self.proc.wait()
        return self.proc.stderr.read()


class OwnServer:
    """The bundled messenger-server as a peer, with the attributes the
    interop tests use from peers.Peer (domain, c2s_port, direct_tls_port,
    fingerprint_sha256, start_seconds)."""

    def __init__(self, users=(), allow_registration=True):
        self.users = list(users)
        self.allow_registration = allow_registration
        self.domain = "localhost"
        self.binary = os.path.join(BUILD, "src", "server", "messenger-server")
        self.proc = None
        self.dir = None

    def __enter__(self):
        import re
        import tempfile
        t0 = time.monotonic()
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"{self.binary} is not built")
        self.dir = tempfile.mkdtemp(prefix="messenger-own-")
        for user, password in self.users:
            self.register(user, password)
        args = [self.binary, "--domain", self.domain, "--data-dir", self.dir,
                "--c2s-port", "0"]
        if self.allow_registration:
            args.append("--allow-registration")
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"127\.0\.0\.1:(\d+) \(STARTTLS\)", line)
        d = re.search(r"127\.0\.0\.1:(\d+) \(direct TLS\)", line)
        f = re.search(r"SHA-256 ([0-9A-F:]{95})", line)
        if not (m and f):
            self.__exit__(None, None, None)
            raise RuntimeError(f"messenger-server did not start: {line!r}")
        self.c2s_port = int(m.group(1))
        self.direct_tls_port = int(d.group(1)) if d else None
        self.fingerprint_sha256 = f.group(1)
        self.start_seconds = time.monotonic() - t0
        return self

    def register(self, user, password):
        subprocess.run([self.binary, "user", "add", f"{user}@{self.domain}", "--data-dir", self.dir],
                       input=password + "\n", text=True, check=True, capture_output=True, timeout=WAIT)

    def __exit__(self, *exc):
        import shutil
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        if self.dir and not os.environ.get("MESSENGER_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
