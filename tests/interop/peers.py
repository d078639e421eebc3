#!/usr/bin/python3
"""Start real XMPP servers (Prosody, ejabberd) on 127.0.0.1 for interop tests.

As a CLI:

    python3 tests/interop/peers.py start prosody|ejabberd [--dir DIR] \
        [--user NAME:PASSWORD ...] [--ignore-stdin] [--keep]
    python3 tests/interop/peers.py stop --dir DIR

`start` writes a temporary configuration into DIR, starts the server as an
unprivileged user (setpriv) in its own process group, waits until the c2s port
accepts connections, registers the users, prints ONE line of JSON on stdout
and then keeps running until SIGTERM/SIGINT/SIGHUP or until its stdin reaches
EOF (stdin is not watched when it is /dev/null or with --ignore-stdin); then
it stops the server and every process it started.  Diagnostics go to stderr.

As a module:

    from peers import Peer
    with Peer('prosody', users=[('alice', 'pw')]) as p:
        p.c2s_port, p.direct_tls_port, p.cert, p.fingerprint_sha256, ...

`Peer(..., without_modules=('mam',))` leaves modules out of the generated
configuration ('mod_mam' for ejabberd); `p.restart()` restarts the server
process on the same ports, configuration and data (bench/run-server-bench).

The JSON line: {"server", "domain": "localhost", "host": "127.0.0.1",
"c2s_port" (STARTTLS required), "direct_tls_port" (XEP-0368), "cert" (PEM of
the fresh self-signed certificate for localhost), "fingerprint_sha256"
(uppercase hex with colons, of the DER certificate), "pid" (the server's
process-group leader), "dir", "start_seconds"; ejabberd adds "node" and
"beam_pid"}.

Layout of DIR: peer-state.json (read by `stop`), and SERVER/ owned by the
server user with the config, certs/, data/, logs/ (console.log, prosody.log or
ejabberd.log), home/.  A DIR given with --dir is kept; a temporary one is
removed.  Set PEERS_DEBUG_LOG=1 for Prosody's debug log.

Prosody users are created with prosodyctl, ejabberd users in-band (XEP-0077
over the direct-TLS port; `ejabberdctl register`, ~2 s each, as fallback).
ejabberd runs epmd-less (ERL_DIST_PORT, distribution bound to 127.0.0.1, own
node name and cookie), so several instances never clash and no epmd is left.

Debian packages: prosody, ejabberd, openssl (or gnutls-bin for certtool),
util-linux (setpriv).

Exit codes: 0 ok, 1 failure, 2 a required program is missing or the
environment is unusable (never 77: a missing server must not look like a
skipped test).

Only the Python standard library is used.
"""

import argparse
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

HOST = '127.0.0.1'
DOMAIN = 'localhost'
SERVERS = ('prosody', 'ejabberd')
START_TIMEOUT = {'prosody': 20.0, 'ejabberd': 60.0}
STATE_FILE = 'peer-state.json'

PROSODY = '/usr/bin/prosody'
PROSODYCTL = '/usr/bin/prosodyctl'
EJABBERDCTL = '/usr/sbin/ejabberdctl'

# Which Debian package provides each program we may need.
PACKAGES = {
    'prosody': 'prosody',
    'prosodyctl': 'prosody',
    'ejabberdctl': 'ejabberd',
    'setpriv': 'util-linux',
    'openssl': 'openssl',
    'certtool': 'gnutls-bin',
}


class PeerError(Exception):
    """Starting or driving a peer failed."""
    exit_code = 1


class PeerUnavailable(PeerError):
    """A required program is missing or the environment cannot run peers."""
    exit_code = 2


def log(msg):
    print('peers: %s' % msg, file=sys.stderr, flush=True)


def _which(name, fixed=None):
    if fixed and os.access(fixed, os.X_OK):
        return fixed
    return shutil.which(name)


def _require(name, fixed=None, what=None):
    path = _which(name, fixed)
    if not path:
        raise PeerUnavailable('%s is not installed: apt-get install %s'
                              % (what or name, PACKAGES.get(name, name)))
    return path


# ---------------------------------------------------------------- utilities

def free_ports(n):
    """Return n distinct free TCP ports on 127.0.0.1 (bind to port 0)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def port_open(port, host=HOST, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            data = f.read()
    except OSError:
        return False
    state = data[data.rindex(b')') + 2:data.rindex(b')') + 3]
    return state not in (b'Z', b'X')


def _proc_stat(pid):
    """(ppid, pgrp) of a live process, or None."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(b')') + 2:].split()
    if rest[0] in (b'Z', b'X'):
        return None
    return int(rest[1]), int(rest[2])


def _all_pids():
    for name in os.listdir('/proc'):
        if name.isdigit():
            yield int(name)


def group_pids(pgid):
    """Live processes in process group pgid."""
    out = []
    for pid in _all_pids():
        st = _proc_stat(pid)
        if st and st[1] == pgid:
            out.append(pid)
    return out


def descendants(root):
    """Live descendants of root (not root itself)."""
    children = {}
    for pid in _all_pids():
        st = _proc_stat(pid)
        if st:
            children.setdefault(st[0], []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().split(b'\0')
    except OSError:
        return []


def _wait_gone(pids, timeout, popen=None):
    deadline = time.monotonic() + timeout
    while True:
        if popen is not None:
            popen.poll()
        if not any(pid_alive(p) for p in pids):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def become_subreaper():
    """Make orphaned descendants (e.g. ejabberd's erl_child_setup once
    beam.smp is gone) our children, so stop() can reap them.  Linux only;
    failures are ignored."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap(pids):
    for p in pids:
        try:
            os.waitpid(p, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass


def cert_fingerprint(cert_path):
    """SHA-256 of the DER certificate, uppercase hex with colons."""
    with open(cert_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    h = hashlib.sha256(der).hexdigest().upper()
    return ':'.join(h[i:i + 2] for i in range(0, len(h), 2))


def make_certificate(dirpath, domain=DOMAIN):
    """Create a fresh self-signed certificate for domain.

    Returns (cert_path, key_path, tool).  Prefers `openssl` (Debian package
    openssl), falls back to `certtool` (Debian package gnutls-bin).
    """
    crt = os.path.join(dirpath, domain + '.crt')
    key = os.path.join(dirpath, domain + '.key')
    openssl = shutil.which('openssl')
    certtool = shutil.which('certtool')
    if openssl:
        cmd = [openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
               '-days', '30', '-subj', '/CN=' + domain,
               '-addext', 'subjectAltName=DNS:' + domain,
               '-keyout', key, '-out', crt]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise PeerError('openssl req failed: %s'
                            % r.stdout.decode(errors='replace'))
        tool = 'openssl'
    elif certtool:
        tmpl = os.path.join(dirpath, 'certtool.tmpl')
        with open(tmpl, 'w') as f:
            f.write('cn = "%s"\ndns_name = "%s"\nexpiration_days = 30\n'
                    'serial = %d\nca\ntls_www_server\nsigning_key\n'
                    'encryption_key\ncert_signing_key\n'
                    % (domain, domain, secrets.randbits(62)))
        for cmd in ([certtool, '--generate-privkey', '--key-type=rsa',
                     '--bits=2048', '--outfile', key],
                    [certtool, '--generate-self-signed', '--load-privkey', key,
                     '--template', tmpl, '--outfile', crt]):
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                raise PeerError('certtool failed: %s'
                                % r.stdout.decode(errors='replace'))
        tool = 'certtool'
    else:
        raise PeerUnavailable('neither openssl nor certtool is installed: '
                              'apt-get install openssl')
    os.chmod(key, 0o640)
    os.chmod(crt, 0o644)
    return crt, key, tool


def _lua_str(s):
    return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')


def _yaml_str(s):
    return json.dumps(str(s))  # a JSON string is a valid YAML scalar


def _check_reachable(path, user):
    """Make sure `user` can traverse every ancestor of path."""
    pw = pwd.getpwnam(user)
    p = os.path.abspath(path)
    while True:
        st = os.stat(p)
        if st.st_uid == pw.pw_uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid == pw.pw_gid:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            raise PeerUnavailable(
                'directory %s is not searchable by user %s; use a directory '
                'under /tmp (or chmod o+x it)' % (p, user))
        if p == '/':
            return
        p = os.path.dirname(p)


def _chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.chown(os.path.join(root, n), uid, gid)


def _tail(path, n=30):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-n:])
    except OSError:
        return ''


def _drop_yaml_modules(yml, names):
    """Remove `  mod_x: ...` entries (and their indented options) from the
    modules section of a generated ejabberd.yml."""
    out, skipping = [], False
    for line in yml.split('\n'):
        if skipping and line.startswith('    '):
            continue
        skipping = any(line.startswith('  %s:' % n) for n in names)
        if not skipping:
            out.append(line)
    return '\n'.join(out)


# -------------------------------------------------- raw in-band registration

def ibr_register(host, port, domain, user, password, cafile=None,
                 timeout=10.0):
    """XEP-0077 registration over a direct-TLS c2s connection (stdlib only).

    Raises PeerError with the server's error condition on failure.
    """
    ctx = ssl.create_default_context(cafile=cafile)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=domain) as s:
            parser = ET.XMLPullParser(['start', 'end'])
            depth = [0]

            def next_top_level():
                while True:
                    for ev, el in parser.read_events():
                        if ev == 'start':
                            depth[0] += 1
                        else:
                            depth[0] -= 1
                            if depth[0] == 1:
                                return el
                    if time.monotonic() > deadline:
                        raise PeerError('registration timed out')
                    data = s.recv(65536)
                    if not data:
                        raise PeerError('server closed the stream')
                    parser.feed(data)

            s.sendall((
                "<?xml version='1.0'?><stream:stream to=%s version='1.0' "
                "xmlns='jabber:client' "
                "xmlns:stream='http://etherx.jabber.org/streams'>"
                % quoteattr(domain)).encode())
            el = next_top_level()
            if not el.tag.endswith('}features'):
                raise PeerError('expected stream features, got %s' % el.tag)
            s.sendall((
                "<iq type='set' id='reg1'><query xmlns='jabber:iq:register'>"
                "<username>%s</username><password>%s</password></query></iq>"
                % (escape(user), escape(password))).encode())
            while True:
                el = next_top_level()
                if el.tag.endswith('}error') and 'streams' in el.tag:
                    raise PeerError('stream error: %s'
                                    % [c.tag for c in el])
                if el.tag.endswith('}iq') and el.get('id') == 'reg1':
                    break
            try:
                s.sendall(b'</stream:stream>')
            except OSError:
                pass
            if el.get('type') != 'result':
                err = el.find('{jabber:client}error')
                cond = [c.tag.split('}')[-1] for c in err
                        if c.tag.split('}')[-1] != 'text'] \
                    if err is not None else []
                e = PeerError('registration of %s refused: %s'
                              % (user, cond[0] if cond else '?'))
                e.condition = cond[0] if cond else None
                raise e


# ------------------------------------------------------------------- Peer

class Peer:
    """A real XMPP server on 127.0.0.1, configured for interop tests."""

    def __init__(self, server, users=(), dir=None, domain=DOMAIN,
                 keep_dir=None, start_timeout=None, subreaper=True,
                 scram_hash=None, without_modules=()):
        if server not in SERVERS:
            raise PeerError('unknown server %r (want one of %s)'
                            % (server, ', '.join(SERVERS)))
        self.server = server
        self.users = list(users)
        self.domain = domain
        self.host = HOST
        self._own_dir = dir is None
        self.dir = os.path.abspath(dir) if dir else None
        self.keep_dir = (not self._own_dir) if keep_dir is None else keep_dir
        self.start_timeout = start_timeout or START_TIMEOUT[server]
        self.subreaper = subreaper
        # ejabberd only: 'sha256' or 'sha512' stores (and offers) that SCRAM
        # hash instead of SHA-1.
        self.scram_hash = scram_hash
        # Modules left out of the generated configuration, e.g. ('mam',)
        # for Prosody or ('mod_mam',) for ejabberd (benchmarks without the
        # message archive).
        self.without_modules = tuple(without_modules)
        self.c2s_port = self.direct_tls_port = self.dist_port = None
        self.cert = self.key = self.fingerprint_sha256 = None
        self.cert_tool = None
        self.pid = None
        self.proc = None
        self.node = None
        self.start_seconds = None
        self._stopped = True
        self._lock = threading.Lock()

    # ----- public API

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def info(self):
        d = {'server': self.server, 'domain': self.domain, 'host': self.host,
             'c2s_port': self.c2s_port,
             'direct_tls_port': self.direct_tls_port,
             'cert': self.cert, 'fingerprint_sha256': self.fingerprint_sha256,
             'pid': self.pid, 'dir': self.dir}
        if self.server == 'ejabberd':
            d['node'] = self.node
            d['beam_pid'] = self._beam_pid()
        return d

    def start(self):
        t0 = time.monotonic()
        self._check_programs()
        if self.subreaper:
            become_subreaper()
        self._user = self.server if os.geteuid() == 0 else \
            pwd.getpwuid(os.geteuid()).pw_name
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix='messenger-%s-' % self.server)
        else:
            existing = self.dir
            while not os.path.exists(existing):
                existing = os.path.dirname(existing)
            if existing != self.dir:
                _check_reachable(existing, self._user)
            os.makedirs(self.dir, exist_ok=True)
        st = os.stat(self.dir)
        if (st.st_mode & 0o005) != 0o005 and os.geteuid() == 0:
            os.chmod(self.dir, st.st_mode | 0o055)
        _check_reachable(self.dir, self._user)
        self._check_state_free()
        self.sdir = os.path.join(self.dir, self.server)
        if os.path.exists(self.sdir):
            shutil.rmtree(self.sdir)
        for sub in ('', 'certs', 'data', 'logs', 'home'):
            os.makedirs(os.path.join(self.sdir, sub), exist_ok=True)
        self.cert, self.key, self.cert_tool = make_certificate(
            os.path.join(self.sdir, 'certs'), self.domain)
        self.fingerprint_sha256 = cert_fingerprint(self.cert)
        self._stopped = False
        try:
            if self.server == 'prosody':
                self._start_prosody()
            else:
                self._start_ejabberd()
            self._write_state()
            self._wait_ready(t0)
            for name, password in self.users:
                self.register(name, password)
            self.start_seconds = time.monotonic() - t0
            self._write_state()
        except BaseException:
            self.stop()
            raise
        return self

    def register(self, user, password):
        """Create an account (prosodyctl for Prosody, in-band for ejabberd
        with `ejabberdctl register` as a fallback)."""
        if self.server == 'prosody':
            r = self._run_ctl([PROSODYCTL, '--config', self.config,
                               'register', user, self.domain, password])
            if r.returncode != 0:
                raise PeerError('prosodyctl register %s failed: %s'
                                % (user, r.stdout.strip()))
            return
        try:
            ibr_register(self.host, self.direct_tls_port, self.domain, user,
                         password, cafile=self.cert)
        except (PeerError, OSError) as e:
            if getattr(e, 'condition', None) == 'conflict':
                raise PeerError('account %s@%s already exists'
                                % (user, self.domain))
            log('in-band registration of %s failed (%s); using ejabberdctl'
                % (user, e))
            r = self._run_ctl(self._ejabberdctl_cmd(
                'register', user, self.domain, password), timeout=60)
            if r.returncode != 0:
                raise PeerError('ejabberdctl register %s failed: %s'
                                % (user, r.stdout.strip()))

    def restart(self):
        """Stop the server process and start it again with the same ports,
        configuration and data (accounts survive): a fresh process, e.g. to
        measure memory without what earlier work left behind."""
        with self._lock:
            if self._stopped or not self.pid:
                raise PeerError('%s is not running' % self.server)
            t0 = time.monotonic()
            self._snapshot = set(descendants(self.pid))
            self._snapshot.update(group_pids(self.pid))
            self._snapshot.add(self.pid)
            if self.server == 'prosody':
                self._stop_prosody()
            else:
                self._stop_ejabberd()
            self._kill_leftovers()
            if self.server == 'prosody':
                self._spawn([PROSODY, '--config', self.config, '-F'],
                            pdeathsig=True)
            else:
                self._spawn(self._ejabberdctl_cmd('foreground'),
                            pdeathsig=False)
            self._write_state()
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stop the server and every process it started.  Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._snapshot = set()
            if self.pid:
                self._snapshot = set(descendants(self.pid))
                self._snapshot.update(group_pids(self.pid))
                self._snapshot.add(self.pid)
            try:
                if self.pid:
                    if self.server == 'prosody':
                        self._stop_prosody()
                    else:
                        self._stop_ejabberd()
            finally:
                self._kill_leftovers()
                try:
                    os.unlink(os.path.join(self.dir, STATE_FILE))
                except OSError:
                    pass
                if not self.keep_dir and self.dir:
                    shutil.rmtree(self.dir, ignore_errors=True)

    # ----- internals

    def _check_programs(self):
        if self.server == 'prosody':
            _require('prosody', PROSODY)
            _require('prosodyctl', PROSODYCTL, 'prosody')
        else:
            _require('ejabberdctl', EJABBERDCTL, 'ejabberd')
            if os.geteuid() != 0:
                try:
                    name = pwd.getpwuid(os.geteuid()).pw_name
                except KeyError:
                    name = ''
                if name != 'ejabberd':
                    raise PeerUnavailable(
                        'ejabberdctl only runs as root or as the ejabberd '
                        'user; run the interop tests as root')
        if os.geteuid() == 0:
            _require('setpriv', '/usr/bin/setpriv')
            try:
                pwd.getpwnam(self.server)
            except KeyError:
                raise PeerUnavailable(
                    'system user %s does not exist: apt-get install %s'
                    % (self.server, self.server))
        if not (shutil.which('openssl') or shutil.which('certtool')):
            raise PeerUnavailable('openssl is not installed: '
                                  'apt-get install openssl')

    def _check_state_free(self):
        path = os.path.join(self.dir, STATE_FILE)
        try:
            with open(path) as f:
                old = json.load(f)
        except (OSError, ValueError):
            return
        for key in ('harness_pid', 'pid'):
            p = old.get(key)
            if p and p != os.getpid() and pid_alive(p):
                raise PeerError('a peer is already running in %s (pid %d); '
                                'stop it first or use another --dir'
                                % (self.dir, p))

    def _write_state(self):
        state = self.info()
        state.update({'harness_pid': os.getpid(), 'pgid': self.pid,
                      'config': self.config, 'sdir': self.sdir,
                      'user': self._user, 'dist_port': self.dist_port,
                      'keep_dir': self.keep_dir})
        tmp = os.path.join(self.dir, STATE_FILE + '.tmp')
        with open(tmp, 'w') as f:
            json.dump(state, f)
        os.replace(tmp, os.path.join(self.dir, STATE_FILE))

    def _env(self):
        return {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:'
                        '/sbin:/bin',
                'HOME': os.path.join(self.sdir, 'home'),
                'LANG': 'C.UTF-8', 'LC_ALL': 'C.UTF-8',
                'USER': self._user, 'LOGNAME': self._user}

    def _drop(self, cmd, pdeathsig=False):
        """Run cmd as the unprivileged server user (when we are root).

        pdeathsig: SIGTERM the server if we die.  Linux sends it when the
        *thread* that forked exits, so only when starting from the main
        thread."""
        if os.geteuid() != 0:
            return cmd
        pre = ['/usr/bin/setpriv', '--reuid=' + self._user,
               '--regid=' + self._user, '--init-groups']
        if pdeathsig and \
                threading.current_thread() is threading.main_thread():
            pre.append('--pdeathsig=TERM')
        return pre + ['--'] + cmd

    def _chown(self):
        if os.geteuid() == 0:
            pw = pwd.getpwnam(self._user)
            _chown_tree(self.sdir, pw.pw_uid, pw.pw_gid)

    def _run_ctl(self, cmd, timeout=30):
        try:
            r = subprocess.run(self._drop(cmd), env=self._env(),
                               cwd=self.sdir, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout,
                               universal_newlines=True)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(cmd, 124, 'timed out: %s'
                                               % (e.output or ''))
        return r

    def _spawn(self, cmd, pdeathsig):
        self.out_log = os.path.join(self.sdir, 'logs', 'console.log')
        out = open(self.out_log, 'ab')
        try:
            self.proc = subprocess.Popen(
                self._drop(cmd, pdeathsig), env=self._env(), cwd=self.sdir,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True)
        finally:
            out.close()
        self.pid = self.proc.pid

    def _wait_ready(self, t0):
        deadline = t0 + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise PeerError('%s exited with status %s during start-up:\n'
                                '%s%s' % (self.server, self.proc.returncode,
                                          _tail(self.out_log),
                                          _tail(self._main_log())))
            if port_open(self.c2s_port) and port_open(self.direct_tls_port):
                return
            if time.monotonic() > deadline:
                raise PeerError('%s did not accept connections on port %d '
                                'within %.0f s:\n%s%s'
                                % (self.server, self.c2s_port,
                                   self.start_timeout, _tail(self.out_log),
                                   _tail(self._main_log())))
            time.sleep(0.05)

    def _main_log(self):
        if self.server == 'prosody':
            return os.path.join(self.sdir, 'logs', 'prosody.log')
        return os.path.join(self.sdir, 'logs', 'ejabberd.log')

    def _kill_leftovers(self):
        """SIGKILL anything still alive that the server started (its process
        group and every descendant seen when stop() began)."""
        if not self.pid:
            return
        snap = getattr(self, '_snapshot', ())
        pids = sorted(set(group_pids(self.pid)) |
                      {p for p in snap if pid_alive(p)})
        if pids:
            log('killing leftover processes %s' % pids)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            _wait_gone(pids, 5, self.proc)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        snap = getattr(self, '_snapshot', ())
        _wait_gone(snap, 2)
        _reap(p for p in snap if p != self.pid)

    # ----- Prosody

    def _start_prosody(self):
        self.c2s_port, self.direct_tls_port = free_ports(2)
        sd = self.sdir
        self.config = os.path.join(sd, 'prosody.cfg.lua')
        logs = os.path.join(sd, 'logs')
        cfg = '''-- generated by tests/interop/peers.py
admins = { }
prosody_user = {user}
prosody_group = {user}
run_as_root = false
daemonize = false
pidfile = {pidfile}
data_path = {data}
plugin_paths = { }
network_backend = "epoll"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { {c2s} }
c2s_direct_tls_ports = { {dtls} }
s2s_ports = { }
s2s_direct_tls_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "carbons"; "mam"; "ping";
  "register"; "blocklist"; "smacks"; "offline"; "vcard"; "private";
  "pep"; "version"; "time"; "uptime"; "csi_simple"; "posix";
}
modules_disabled = { "s2s"; "dialback" }
authentication = "internal_hashed"
storage = "internal"
allow_registration = true
min_seconds_between_registrations = 0
registration_allowlist = { "127.0.0.1" }
allowlist_registration_only = true
c2s_require_encryption = true
s2s_require_encryption = true
archive_expires_after = "never"
default_archive_policy = true
certificates = {certs}
ssl = { certificate = {crt}; key = {key} }
c2s_direct_tls_ssl = { certificate = {crt}; key = {key} }
log = { debug = {debuglog}; info = {infolog}; error = {errlog} }
statistics = nil

VirtualHost "{domain}"
'''
        subst = {
            '{user}': _lua_str(self._user),
            '{pidfile}': _lua_str(os.path.join(sd, 'prosody.pid')),
            '{data}': _lua_str(os.path.join(sd, 'data')),
            '{c2s}': str(self.c2s_port), '{dtls}': str(self.direct_tls_port),
            '{certs}': _lua_str(os.path.join(sd, 'certs')),
            '{crt}': _lua_str(self.cert), '{key}': _lua_str(self.key),
            '{debuglog}': _lua_str(os.path.join(logs, 'debug.log')),
            '{infolog}': _lua_str(os.path.join(logs, 'prosody.log')),
            '{errlog}': _lua_str(os.path.join(logs, 'error.log')),
            '{domain}': self.domain,
        }
        for k, v in subst.items():
            cfg = cfg.replace(k, v)
        if not os.environ.get('PEERS_DEBUG_LOG'):
            cfg = cfg.replace('debug = %s; ' % subst['{debuglog}'], '')
        for m in self.without_modules:
            cfg = cfg.replace(' "%s";' % m, '')
        with open(self.config, 'w') as f:
            f.write(cfg)
        self._chown()
        self._spawn([PROSODY, '--config', self.config, '-F'], pdeathsig=True)

    def _stop_prosody(self):
        if pid_alive(self.pid):
            try:
                os.kill(self.pid, signal.SIGTERM)
            except OSError:
                pass
            if not _wait_gone([self.pid], 10, self.proc):
                log('prosody did not stop within 10 s after SIGTERM')

    # ----- ejabberd

    def _ejabberd_paths(self):
        sd = self.sdir
        return {'config_dir': sd,
                'config': os.path.join(sd, 'ejabberd.yml'),
                'ctl': os.path.join(sd, 'ejabberdctl.cfg'),
                'spool': os.path.join(sd, 'data'),
                'logs': os.path.join(sd, 'logs')}

    def _ejabberdctl_cmd(self, *args):
        p = self._ejabberd_paths()
        return [EJABBERDCTL, '--config-dir', p['config_dir'],
                '--config', p['config'], '--ctl-config', p['ctl'],
                '--spool', p['spool'], '--logs', p['logs'],
                '--node', self.node] + list(args)

    def _start_ejabberd(self):
        self.c2s_port, self.direct_tls_port, self.dist_port = free_ports(3)
        p = self._ejabberd_paths()
        self.config = p['config']
        self.node = 'messenger_%s@localhost' % secrets.token_hex(4)
        pem = os.path.join(self.sdir, 'certs', 'ejabberd.pem')
        with open(pem, 'w') as out:
            for src in (self.key, self.cert):
                with open(src) as f:
                    out.write(f.read())
        os.chmod(pem, 0o640)
        yml = '''# generated by tests/interop/peers.py
hosts: [{domain}]
loglevel: info
log_rotate_count: 0
certfiles: [{pem}]
acme: {auto: false}
language: en
listen:
  - port: {c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: true
    starttls_required: true
    max_stanza_size: 262144
    shaper: none
    access: c2s
    backlog: 1024
  - port: {dtls}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    tls: true
    max_stanza_size: 262144
    shaper: none
    access: c2s
    backlog: 1024
s2s_access: none
auth_method: internal
auth_password_format: scram
{scram_hash}registration_timeout: infinity
disable_sasl_mechanisms: ["digest-md5", "X-OAUTH2"]
acl:
  loopback:
    ip: ["127.0.0.0/8", "::1/128"]
access_rules:
  c2s:
    allow: all
  register:
    allow: all
  trusted_network:
    allow: loopback
api_permissions:
  "console commands":
    from: [ejabberd_ctl]
    who: all
    what: "*"
shaper_rules:
  max_user_offline_messages: 5000
modules:
  mod_roster: {versioning: true}
  mod_disco: {}
  mod_carboncopy: {}
  mod_mam: {default: always, db_type: mnesia}
  mod_ping: {}
  mod_register:
    ip_access: trusted_network
    access: register
    password_strength: 0
  mod_blocking: {}
  mod_privacy: {}
  mod_stream_mgmt: {}
  mod_offline: {access_max_user_messages: max_user_offline_messages}
  mod_caps: {}
  mod_vcard: {search: false}
  mod_private: {}
  mod_last: {}
  mod_time: {}
  mod_version: {show_os: false}
  mod_client_state: {}
'''
        for k, v in {'{domain}': _yaml_str(self.domain),
                     '{pem}': _yaml_str(pem),
                     '{c2s}': str(self.c2s_port),
                     '{dtls}': str(self.direct_tls_port),
                     '{scram_hash}': ('auth_scram_hash: %s\n' % self.scram_hash
                                      if self.scram_hash else '')}.items():
            yml = yml.replace(k, v)
        if self.without_modules:
            yml = _drop_yaml_modules(yml, self.without_modules)
        with open(p['config'], 'w') as f:
            f.write(yml)
        cookie = secrets.token_hex(16)
        with open(p['ctl'], 'w') as f:
            f.write(
                '# generated by tests/interop/peers.py\n'
                'ERLANG_NODE=%s\n'
                'EJABBERD_CONFIG_PATH=%s\n'
                'EJABBERD_PID_PATH=%s\n'
                'ERL_DIST_PORT=%d\n'
                'ERL_EPMD_ADDRESS=127.0.0.1\n'
                'INET_DIST_INTERFACE=\n'
                'CONTRIB_MODULES_PATH=%s\n'
                'CONTRIB_MODULES_CONF_DIR=%s\n'
                'EJABBERD_BYPASS_WARNINGS=true\n'
                'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\n'
                % (self.node, p['config'],
                   os.path.join(self.sdir, 'ejabberd.pid'), self.dist_port,
                   os.path.join(self.sdir, 'contrib'),
                   os.path.join(self.sdir, 'contrib', 'conf')))
        # Read by ejabberdctl from the config dir, for the node and for every
        # ejabberdctl client VM: distribution only on 127.0.0.1, no epmd
        # (ERL_DIST_PORT above), a private cookie.
        with open(os.path.join(self.sdir, 'vm.args'), 'w') as f:
            f.write('-kernel inet_dist_use_interface {127,0,0,1}\n'
                    '-setcookie %s\n' % cookie)
        os.chmod(os.path.join(self.sdir, 'vm.args'), 0o600)
        with open(os.path.join(self.sdir, 'inetrc'), 'w') as f:
            f.write('{lookup, [file, native]}.\n')
        os.makedirs(os.path.join(self.sdir, 'contrib', 'conf'), exist_ok=True)
        self._chown()
        # No parent-death signal here: it would only kill the ejabberdctl
        # shell and orphan beam.smp.
        self._spawn(self._ejabberdctl_cmd('foreground'), pdeathsig=False)

    def _beam_pid(self):
        if self.server != 'ejabberd' or not self.pid:
            return None
        for pid in descendants(self.pid) + group_pids(self.pid):
            cmd = _cmdline(pid)
            if cmd and os.path.basename(cmd[0]).startswith(b'beam'):
                return pid
        return None

    def _stop_ejabberd(self):
        beam = self._beam_pid()
        pids = [p for p in [self.pid, beam] if p]
        if beam:
            # OTP >= 20 turns SIGTERM into init:stop(), an orderly shutdown.
            try:
                os.kill(beam, signal.SIGTERM)
            except OSError:
                pass
            if _wait_gone(pids, 15, self.proc):
                return
            log('ejabberd did not stop on SIGTERM; trying ejabberdctl stop')
        if any(pid_alive(p) for p in pids):
            self._run_ctl(self._ejabberdctl_cmd('stop'), timeout=30)
            if not _wait_gone(pids, 15, self.proc):
                log('ejabberd did not stop within 15 s of ejabberdctl stop')

    # ----- re-attach from a state file (for `peers.py stop`)

    @classmethod
    def from_state(cls, dirpath):
        with open(os.path.join(dirpath, STATE_FILE)) as f:
            st = json.load(f)
        p = cls(st['server'], dir=dirpath, keep_dir=st.get('keep_dir', True))
        p.dir = st['dir']
        p.pid = st.get('pgid') or st.get('pid')
        p.node = st.get('node')
        p.config = st.get('config')
        p.sdir = st.get('sdir')
        p._user = st.get('user')
        p.dist_port = st.get('dist_port')
        p.c2s_port = st.get('c2s_port')
        p.direct_tls_port = st.get('direct_tls_port')
        p.cert = st.get('cert')
        p._stopped = False
        p._state = st
        return p


# ---------------------------------------------------------------------- CLI

def _stdin_is_devnull():
    try:
        a = os.fstat(0)
    except OSError:
        return True
    try:
        b = os.stat('/dev/null')
    except OSError:
        return False
    return stat.S_ISCHR(a.st_mode) and a.st_rdev == b.st_rdev


def cmd_start(args):
    users = []
    for u in args.user or []:
        if ':' not in u:
            raise PeerError('--user wants NAME:PASSWORD, got %r' % u)
        name, pw = u.split(':', 1)
        users.append((name, pw))
    stop_event = threading.Event()

    def on_signal(signum, frame):
        stop_event.set()

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    peer = Peer(args.server, users=users, dir=args.dir,
                keep_dir=True if args.keep else None)
    try:
        peer.start()
        if stop_event.is_set():
            return 1
        info = peer.info()
        info['start_seconds'] = round(peer.start_seconds, 3)
        sys.stdout.write(json.dumps(info) + '\n')
        sys.stdout.flush()
        log('%s ready in %.2f s (c2s %d, direct TLS %d, dir %s)'
            % (peer.server, peer.start_seconds, peer.c2s_port,
               peer.direct_tls_port, peer.dir))

        if not args.ignore_stdin and not _stdin_is_devnull():
            def watch_stdin():
                try:
                    while os.read(0, 4096):
                        pass
                except OSError:
                    pass
                stop_event.set()
            threading.Thread(target=watch_stdin, daemon=True).start()

        rc = 0
        while not stop_event.wait(0.2):
            if not peer.alive():
                log('%s exited unexpectedly (status %s); see %s'
                    % (peer.server, peer.proc.returncode, peer.sdir))
                rc = 1
                break
        return rc
    finally:
        peer.stop()


def cmd_stop(args):
    path = os.path.join(args.dir, STATE_FILE)
    if not os.path.exists(path):
        log('no peer state in %s (nothing to stop)' % args.dir)
        return 0
    with open(path) as f:
        st = json.load(f)
    hp = st.get('harness_pid')
    if hp and hp != os.getpid() and pid_alive(hp) and any(
            b'peers.py' in a for a in _cmdline(hp)):
        os.kill(hp, signal.SIGTERM)
        if _wait_gone([hp], 60):
            if not any(pid_alive(p) for p in [st.get('pid')] if p):
                return 0
        else:
            log('harness %d did not exit; stopping the server directly' % hp)
    peer = Peer.from_state(args.dir)
    peer.stop()
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Run real XMPP servers on 127.0.0.1 for interop tests.')
    sub = ap.add_subparsers(dest='command')
    sp = sub.add_parser('start', help='start a server, print JSON, wait')
    sp.add_argument('server', choices=SERVERS)
    sp.add_argument('--dir', help='working directory (default: a new '
                    'temporary one, removed on exit)')
    sp.add_argument('--user', action='append', metavar='NAME:PASSWORD',
                    help='register this account (repeatable)')
    sp.add_argument('--ignore-stdin', action='store_true',
                    help='do not stop when stdin reaches EOF')
    sp.add_argument('--keep', action='store_true',
                    help='keep --dir/the temporary directory on exit')
    tp = sub.add_parser('stop', help='stop the server started in --dir')
    tp.add_argument('--dir', required=True)
    args = ap.parse_args(argv)
    if args.command is None:
        ap.print_help(sys.stderr)
        return 2
    try:
        if args.command == 'start':
            return cmd_start(args)
        return cmd_stop(args)
    except PeerError as e:
        log(str(e))
        return e.exit_code


if __name__ == '__main__':
    sys.exit(main())
