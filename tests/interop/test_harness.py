#!/usr/bin/python3
"""Self-test of the interop harness (peers.py + slixpeer.py), TAP output.

For Prosody and for ejabberd: start the server with alice and bob, run two
slixpeer processes, check a message with <thread> arrives intact, the
subscription handshake alice->bob (subscribe, approve) gives alice a roster
item with subscription 'to' and bob's presence, in-band registration of a
new account works; then stop everything and check no process is left.
Finally the peers.py CLI is checked (start, JSON line, `stop --dir`).

A missing server is a failure, never a skip.  Every step has a timeout.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peers  # noqa: E402

PYTHON = '/usr/bin/python3' if os.access('/usr/bin/python3', os.X_OK) \
    else sys.executable
SLIXPEER = os.path.join(HERE, 'slixpeer.py')
PEERS = os.path.join(HERE, 'peers.py')
STEP = 20.0          # seconds allowed for one whole step
WAIT = 15.0          # seconds allowed for one expected event
TESTS_PER_SERVER = 8
CLI_TESTS = 2
FINAL_TESTS = 1
SERVERS = ('prosody', 'ejabberd')


class StepFailed(Exception):
    pass


class Tap:
    def __init__(self, n):
        self.n = 0
        self.failed = 0
        print('1..%d' % n, flush=True)

    def result(self, ok, desc, diag=None):
        self.n += 1
        if not ok:
            self.failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, desc),
              flush=True)
        if diag and not ok:
            for line in str(diag).rstrip().splitlines():
                print('# ' + line, flush=True)

    def diag(self, text):
        for line in str(text).rstrip().splitlines():
            print('# ' + line, flush=True)


class Client:
    """A slixpeer.py process: JSON commands in, JSON events out."""

    def __init__(self, peer, user, password, *extra):
        self.name = user
        self.peer = peer
        cmd = [PYTHON, SLIXPEER, '--jid', '%s@%s' % (user, peer.domain),
               '--password', password, '--host', peer.host,
               '--port', str(peer.c2s_port), '--cafile', peer.cert,
               '--timeout', str(WAIT)] + list(extra)
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, bufsize=1)
        self.events = queue.Queue()
        self.seen = []
        self.stderr = []
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                self.events.put({'event': 'garbage', 'line': line})
        self.events.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def send(self, **cmd):
        try:
            self.proc.stdin.write(json.dumps(cmd) + '\n')
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError) as e:
            raise StepFailed('%s: cannot send %r: %s' % (self.name, cmd, e))

    step_deadline = None   # set by run_server_tests for each step

    def expect(self, pred, what, timeout=WAIT):
        """Wait for the first new event satisfying pred."""
        deadline = time.monotonic() + timeout
        if Client.step_deadline is not None:
            deadline = min(deadline, Client.step_deadline)
            timeout = max(0.0, deadline - time.monotonic())
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                break
            if ev is None:
                raise StepFailed('%s exited (status %s) while waiting for %s'
                                 '\nevents: %s\nstderr: %s'
                                 % (self.name, self.proc.wait(),
                                    what, self._recent(),
                                    ''.join(self.stderr[-10:])))
            self.seen.append(ev)
            if ev.get('event') == 'error':
                raise StepFailed('%s reported an error while waiting for %s:'
                                 ' %s' % (self.name, what, ev))
            if pred(ev):
                return ev
        raise StepFailed('%s: no %s within %.0f s\nevents: %s'
                         % (self.name, what, timeout, self._recent()))

    def _recent(self):
        return json.dumps(self.seen[-8:])

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send(cmd='quit')
                self.proc.stdin.close()
            except (StepFailed, OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


def ev_is(name, **fields):
    def pred(ev):
        return ev.get('event') == name and all(
            ev.get(k) == v for k, v in fields.items())
    return pred


def live_descendants():
    return [p for p in peers.descendants(os.getpid()) if peers.pid_alive(p)]


def run_server_tests(tap, server, starter):
    """starter() -> (peer or None, error text).  Emits TESTS_PER_SERVER."""
    peer, err = starter()
    results = []

    def step(desc, fn):
        if peer is None:
            results.append((False, desc, 'server not started'))
            return None
        Client.step_deadline = time.monotonic() + STEP
        try:
            r = fn()
            results.append((True, desc, None))
            return r
        except StepFailed as e:
            results.append((False, desc, str(e)))
        except Exception as e:  # keep the TAP stream intact
            results.append((False, desc, repr(e)))
        finally:
            Client.step_deadline = None
        return None

    if peer is None:
        tap.result(False, '%s: server starts with alice and bob' % server,
                   err)
    else:
        tap.result(True, '%s: server starts with alice and bob (%.2f s, '
                   'c2s %d, direct TLS %d)' % (server, peer.start_seconds,
                                               peer.c2s_port,
                                               peer.direct_tls_port))
    clients = []
    try:
        def sessions():
            a = Client(peer, 'alice', 'alice-pw')
            clients.append(a)
            b = Client(peer, 'bob', 'bob-pw')
            clients.append(b)
            a.expect(ev_is('session_start'), 'session_start')
            b.expect(ev_is('session_start'), 'session_start')
            return a, b
        ab = step('%s: slixpeer alice and bob log in (STARTTLS, CA pinned)'
                  % server, sessions)
        if ab is None:
            alice = bob = None
        else:
            alice, bob = ab

        def need_clients():
            if alice is None:
                raise StepFailed('no sessions')

        def message():
            need_clients()
            alice.send(cmd='send', to='bob@localhost', body='hello bob',
                       thread='thread-1', parent='thread-0', type='chat')
            ev = bob.expect(ev_is('message', body='hello bob'),
                            'message from alice')
            if ev.get('thread') != 'thread-1' or ev.get('parent') != \
                    'thread-0' or ev.get('type') != 'chat' or \
                    not ev.get('from', '').startswith('alice@localhost'):
                raise StepFailed('wrong message: %s' % ev)
        step('%s: alice->bob message arrives with its <thread> (and parent)'
             % server, message)

        def subscription():
            need_clients()
            alice.send(cmd='subscribe', to='bob@localhost')
            bob.expect(lambda e: e.get('event') == 'subscribe' and
                       e.get('from') == 'alice@localhost',
                       'subscribe from alice')
            bob.send(cmd='approve', to='alice@localhost')
            alice.expect(lambda e: e.get('event') == 'subscribed' and
                         e.get('from') == 'bob@localhost',
                         'subscribed from bob')
            alice.send(cmd='roster')
            ev = alice.expect(ev_is('roster'), 'roster result')
            items = [i for i in ev['items'] if i['jid'] == 'bob@localhost']
            if not items or items[0]['subscription'] != 'to':
                raise StepFailed('alice roster has no bob with '
                                 "subscription 'to': %s" % ev)
        step("%s: subscribe + approve gives alice bob with subscription 'to'"
             % server, subscription)

        def presence():
            need_clients()
            bob.send(cmd='presence', show='dnd', status='busy testing')
            alice.expect(lambda e: e.get('event') == 'presence' and
                         e.get('from', '').startswith('bob@localhost/') and
                         e.get('type') == 'available' and
                         e.get('show') == 'dnd' and
                         e.get('status') == 'busy testing',
                         "bob's presence (dnd)")
        step("%s: bob's presence reaches alice after approval" % server,
             presence)

        def features():
            need_clients()
            alice.send(cmd='features')
            ev = alice.expect(ev_is('features'), 'stream features')
            missing = {'starttls', 'mechanisms', 'register', 'bind', 'sm',
                       'ver'} - set(ev['features'])
            alice.send(cmd='disco_info', to='localhost')
            server_feats = set(alice.expect(ev_is('disco_info'),
                                            'disco#info')['features'])
            alice.send(cmd='disco_info', to='alice@localhost')
            account_feats = set(alice.expect(ev_is('disco_info'),
                                             'disco#info')['features'])
            missing |= {'urn:xmpp:carbons:2', 'urn:xmpp:ping',
                        'urn:xmpp:blocking', 'vcard-temp', 'msgoffline',
                        'jabber:iq:register'} - server_feats
            missing |= {'urn:xmpp:mam:2'} - (server_feats | account_feats)
            if missing:
                raise StepFailed('not offered: %s' % sorted(missing))
        step('%s: offers sm, roster versioning, IBR, carbons, MAM, ping, '
             'blocking, offline, vcard' % server, features)

        def register():
            c = Client(peer, 'carol', 'carol-pw', '--register')
            clients.append(c)
            c.expect(ev_is('registered', jid='carol@localhost'),
                     'registered')
            c.expect(ev_is('session_start'), 'session_start')
            if c.close() != 0:
                raise StepFailed('carol exited with %s' % c.proc.returncode)
            # The account persists: log in again without --register,
            # this time over direct TLS.
            c2 = Client(peer, 'carol', 'carol-pw', '--direct-tls',
                        '--port', str(peer.direct_tls_port))
            clients.append(c2)
            c2.expect(ev_is('session_start'), 'second session_start')
        step('%s: in-band registration of carol, then login over direct TLS'
             % server, register)
    finally:
        codes = []
        for c in clients:
            codes.append((c.name, c.close()))
        for ok, desc, diag in results:
            tap.result(ok, desc, diag)

    # stop + leftovers
    if peer is None:
        tap.result(False, '%s: stops cleanly, no process left' % server,
                   'server not started')
        return
    t0 = time.monotonic()
    pids = [peer.pid]
    beam = peer._beam_pid() if server == 'ejabberd' else None
    if beam:
        pids.append(beam)
    try:
        peer.stop()
    except Exception as e:
        tap.result(False, '%s: stops cleanly, no process left' % server,
                   repr(e))
        return
    dt = time.monotonic() - t0
    left = [p for p in pids if peers.pid_alive(p)]
    strays = [p for p in peers._all_pids() if peers.pid_alive(p) and
              any(peer.dir.encode() in a for a in peers._cmdline(p))]
    bad_clients = [(n, rc) for n, rc in codes if rc != 0]
    ok = not left and not strays and not bad_clients
    tap.result(ok, '%s: stops cleanly in %.2f s, no process left' %
               (server, dt),
               'still alive: %s; strays: %s; client exit codes: %s'
               % (left, strays, bad_clients))


def start_peer(server, box):
    try:
        p = peers.Peer(server, users=[('alice', 'alice-pw'),
                                      ('bob', 'bob-pw')])
        box['peer'] = p
        p.start()
        box['ok'] = True
    except peers.PeerError as e:
        box['err'] = '%s (exit code %d)' % (e, e.exit_code)
    except Exception as e:
        box['err'] = repr(e)


def cli_tests(tap):
    """peers.py as a CLI: JSON line, stop --dir, and stdin EOF."""
    d = tempfile.mkdtemp(prefix='messenger-cli-')
    os.chmod(d, 0o755)
    proc = None
    first = tap.n
    try:
        proc = subprocess.Popen(
            [PYTHON, PEERS, 'start', 'prosody', '--dir', d,
             '--user', 'dave:pw'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True)
        line = []
        t = threading.Thread(target=lambda: line.append(
            proc.stdout.readline()), daemon=True)
        t.start()
        t.join(25)
        info = json.loads(line[0]) if line and line[0] else None
        ok = bool(info) and info.get('server') == 'prosody' and \
            info.get('host') == '127.0.0.1' and \
            info.get('domain') == 'localhost' and \
            len(info.get('fingerprint_sha256', '')) == 95 and \
            peers.port_open(info['c2s_port']) and \
            peers.port_open(info['direct_tls_port']) and \
            os.path.exists(os.path.join(d, peers.STATE_FILE))
        tap.result(ok, 'peers.py start prosody prints one JSON line',
                   'got %r' % (line,))
        spid = info.get('pid') if info else None
        r = subprocess.run([PYTHON, PEERS, 'stop', '--dir', d],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=STEP)
        try:
            rc = proc.wait(timeout=STEP)
        except subprocess.TimeoutExpired:
            rc = None
        ok = r.returncode == 0 and rc == 0 and not (
            spid and peers.pid_alive(spid)) and \
            not os.path.exists(os.path.join(d, peers.STATE_FILE))
        tap.result(ok, 'peers.py stop --dir stops it (harness exit %s)' % rc,
                   'stop: rc %s %s; harness rc %s; server pid %s alive %s'
                   % (r.returncode, r.stdout, rc, spid,
                      spid and peers.pid_alive(spid)))
    except Exception as e:
        while tap.n < first + CLI_TESTS:
            tap.result(False, 'peers.py CLI', repr(e))
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STEP)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(d, ignore_errors=True)


def main():
    tap = Tap(len(SERVERS) * TESTS_PER_SERVER + CLI_TESTS + FINAL_TESTS)
    t_all = time.monotonic()
    boxes = {s: {} for s in SERVERS}
    # ejabberd starts slowly: start it in the background right away, which
    # also checks that two servers can run side by side.
    threads = {}
    for s in SERVERS:
        threads[s] = threading.Thread(target=start_peer, args=(s, boxes[s]),
                                      daemon=True)
        threads[s].start()

    def watchdog(signum, frame):
        print('Bail out! test_harness took too long', flush=True)
        for b in boxes.values():
            if b.get('peer'):
                try:
                    b['peer'].stop()
                except Exception:
                    pass
        os._exit(1)
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(280)

    try:
        for s in SERVERS:
            def starter(s=s):
                threads[s].join(peers.START_TIMEOUT[s] + 30)
                b = boxes[s]
                if b.get('ok'):
                    return b['peer'], None
                return None, b.get('err', 'start-up did not finish')
            run_server_tests(tap, s, starter)
        cli_tests(tap)
    finally:
        for b in boxes.values():
            if b.get('peer'):
                b['peer'].stop()
    peers._wait_gone(live_descendants(), 3)
    left = live_descendants()
    tap.result(not left, 'no child process of the test is left',
               'still running: %s'
               % [(p, b' '.join(peers._cmdline(p))[:100]) for p in left])
    tap.diag('total %.1f s' % (time.monotonic() - t_all))
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
