#!/usr/bin/python3
"""Rosters, subscriptions and presence of messenger-server (RFC 6121).

TAP output.  Starts messenger-server on 127.0.0.1 with a fresh data dir and
talks to it with small raw XMPP clients (STARTTLS, SASL PLAIN, bind), so
every byte the server sends can be checked.

Part 1 is table-driven over RFC 6121 Appendix A: for every row of A.2
(the user's client sends subscribe/subscribed/unsubscribe/unsubscribed)
and A.3 (the contact's one arrives), a pair of accounts is put in the
row's state, both log in, one side sends the stanza, and what each client
receives (the stanza itself, roster pushes with their subscription, ask
and approved, auto-replies, presence) and what the server stored
afterwards (including the pending-in request) are compared with a model
of the RFC's tables written out below.  States are seeded straight into
the server's SQLite database, so also the inbound rows that a consistent
pair of rosters never reaches (the RFC's tables exist for out-of-sync
peers) are exercised.

Part 2 runs the conformance scenarios 17-36 of the project's XMPP
reference (docs/xmpp-reference.md, section 9) through the protocol only.

Environment: MESSENGER_BUILD_ROOT (the meson build dir) locates
src/server/messenger-server.
"""

import base64
import glob
import os
import queue
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET

DOMAIN = 'localhost'
PASSWORD = 'secret-pw'
WAIT = 5.0

NS_CLIENT = 'jabber:client'
NS_STREAM = 'http://etherx.jabber.org/streams'
NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
NS_ROSTER = 'jabber:iq:roster'
NS_PING = 'urn:xmpp:ping'
NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas'


def q(ns, name):
    return '{%s}%s' % (ns, name)


def bare(jid):
    return jid.split('/', 1)[0] if jid else jid


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


# --- the server ---------------------------------------------------------

class Server:
    def __init__(self):
        build = os.environ.get('MESSENGER_BUILD_ROOT')
        if not build:
            here = os.path.dirname(os.path.abspath(__file__))
            build = os.path.join(here, '..', '..', 'build')
        self.exe = os.path.join(build, 'src', 'server', 'messenger-server')
        self.dir = tempfile.mkdtemp(prefix='msgsrv-subs-')
        self.proc = None
        self.port = None
        self.fingerprint = None
        self.log = []

    def add_user(self, name):
        p = subprocess.run([self.exe, 'user', 'add', '%s@%s' % (name, DOMAIN),
                            '--data-dir', self.dir],
                           input=PASSWORD + '\n', capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise Failure('user add %s: %s %s' % (name, p.stdout, p.stderr))

    def add_users(self, names):
        # Several at once when the CLI takes them; else one by one.
        for n in names:
            self.add_user(n)

    def start(self):
        self.proc = subprocess.Popen(
            [self.exe, '--domain', DOMAIN, '--data-dir', self.dir,
             '--listen', '127.0.0.1', '--c2s-port', '0', '--direct-tls-port', '0'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()

        def pump(stream):
            for line in stream:
                self.log.append(line.rstrip('\n'))
                lines.put(line)
            lines.put(None)

        for s in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=pump, args=(s,), daemon=True).start()
        deadline = time.time() + 20
        closed = 0
        while time.time() < deadline and closed < 2:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                closed += 1
                continue
            m = re.search(r':(\d+) \((?:c2s|starttls|client)[^)]*\)', line, re.I)
            if m is None:
                m = re.search(r'127\.0\.0\.1:(\d+)', line)
            if m and self.port is None:
                self.port = int(m.group(1))
            f = re.search(r'((?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})', line)
            if f:
                self.fingerprint = f.group(1).replace(':', '').lower()
            if self.port is not None and self.fingerprint is not None:
                return
        raise Failure('server did not become ready: %s' % '\n'.join(self.log[-20:]))

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def db_path(self):
        found = glob.glob(os.path.join(self.dir, '*.db'))
        if not found:
            raise Failure('no database in the data dir')
        return found[0]

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- a raw XMPP client ----------------------------------------------------

class StreamReader:
    """Bytes in, first-level elements out (depth counting over a pull parser)."""

    def __init__(self):
        self.parser = ET.XMLPullParser(events=('start', 'end'))
        self.depth = 0
        self.header = None

    def feed(self, data):
        out = []
        self.parser.feed(data)
        for event, elem in self.parser.read_events():
            if event == 'start':
                self.depth += 1
                if self.depth == 1:
                    self.header = elem
            else:
                self.depth -= 1
                if self.depth == 1:
                    out.append(elem)
                    # Keep the tree under the stream header from growing.
                    try:
                        self.header.remove(elem)
                    except ValueError:
                        pass
                elif self.depth == 0:
                    out.append(None)  # </stream:stream>
        return out


class Client:
    counter = 0

    def __init__(self, server, user, resource=None, presence=True, roster=True,
                 roster_ver=None, priority=None):
        self.server = server
        self.user = user
        self.bare = '%s@%s' % (user, DOMAIN)
        self.sock = socket.create_connection(('127.0.0.1', server.port), timeout=WAIT)
        # Small writes answered by small reads: no Nagle delays.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.lock = threading.Lock()
        self.inbox = []
        self.incoming = queue.Queue()
        self.closed = False
        self.reader = None

        self._open()
        features = self._next()
        check(features.find(q(NS_TLS, 'starttls')) is not None, 'STARTTLS offered')
        self._send("<starttls xmlns='%s'/>" % NS_TLS)
        check(self._next().tag == q(NS_TLS, 'proceed'), 'STARTTLS proceeds')
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname=DOMAIN)
        der = self.sock.getpeercert(binary_form=True)
        if server.fingerprint:
            import hashlib
            check(hashlib.sha256(der).hexdigest() == server.fingerprint,
                  'certificate matches the fingerprint printed at start')

        self._open()
        features = self._next()
        mechs = [m.text for m in features.iter(q(NS_SASL, 'mechanism'))]
        check('PLAIN' in mechs, 'PLAIN offered over TLS: %r' % mechs)
        token = base64.b64encode(('\0%s\0%s' % (user, PASSWORD)).encode()).decode()
        self._send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, token))
        reply = self._next()
        check(reply.tag == q(NS_SASL, 'success'), 'SASL success for %s' % user)

        self._open()
        self._next()  # features
        bind = "<bind xmlns='%s'>%s</bind>" % (
            NS_BIND, '<resource>%s</resource>' % resource if resource else '')
        self._send("<iq type='set' id='bind1'>%s</iq>" % bind)
        res = self._next()
        check(res.get('type') == 'result', 'bind result')
        self.jid = res.find(q(NS_BIND, 'bind')).find(q(NS_BIND, 'jid')).text
        self.sock.settimeout(None)

        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()

        self.roster_result = None
        if roster:
            self.roster_result = self.roster_get(roster_ver)
        if presence:
            self.presence(priority=priority)
            self.barrier()

    # negotiation (synchronous)
    def _open(self):
        self.stream = StreamReader()
        self.pending = []
        self._send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                   "xmlns:stream='%s' to='%s' version='1.0'>" % (NS_STREAM, DOMAIN))

    def _next(self):
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise Failure('connection closed during negotiation')
            self.pending.extend(self.stream.feed(data))
        elem = self.pending.pop(0)
        if elem is None:
            raise Failure('stream closed during negotiation')
        return elem

    def _send(self, text):
        with self.lock:
            self.sock.sendall(text.encode())

    def _read_loop(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for elem in self.stream.feed(data):
                    if elem is None:
                        self.closed = True
                        continue
                    self._auto_answer(elem)
                    self.incoming.put(elem)
        except (OSError, ET.ParseError):
            pass
        self.closed = True
        self.incoming.put(None)

    def _auto_answer(self, elem):
        # Answer roster pushes (RFC 6121 §2.1.6) and pings like a client.
        if elem.tag != q(NS_CLIENT, 'iq') or elem.get('type') not in ('get', 'set'):
            return
        if elem.find(q(NS_ROSTER, 'query')) is not None or elem.find(q(NS_PING, 'ping')) is not None:
            try:
                self._send("<iq type='result' id='%s'/>" % xml_escape(elem.get('id', '')))
            except OSError:
                pass

    # receiving
    def _drain(self):
        while True:
            try:
                elem = self.incoming.get_nowait()
            except queue.Empty:
                return
            if elem is not None:
                self.inbox.append(elem)

    def wait_for(self, pred, what, timeout=WAIT):
        deadline = time.time() + timeout
        while True:
            self._drain()
            for i, elem in enumerate(self.inbox):
                if pred(elem):
                    return self.inbox.pop(i)
            left = deadline - time.time()
            if left <= 0:
                raise Failure('%s: timed out waiting for %s; got %s' % (
                    self.jid, what, [to_text(e) for e in self.inbox]))
            try:
                elem = self.incoming.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if elem is not None:
                self.inbox.append(elem)
            elif self.closed and not any(pred(e) for e in self.inbox):
                raise Failure('%s: stream closed while waiting for %s' % (self.jid, what))

    def take_all(self):
        self._drain()
        out, self.inbox = self.inbox, []
        return out

    # sending
    def send(self, text):
        self._send(text)

    def next_id(self):
        Client.counter += 1
        return 'c%d' % Client.counter

    def iq(self, type_, payload, to=None):
        ident = self.next_id()
        self.send("<iq type='%s' id='%s'%s>%s</iq>" % (
            type_, ident, " to='%s'" % to if to else '', payload))
        return self.wait_for(lambda e: e.tag == q(NS_CLIENT, 'iq') and e.get('id') == ident
                             and e.get('type') in ('result', 'error'),
                             'the answer to iq %s' % ident)

    def barrier(self):
        res = self.iq('get', "<ping xmlns='%s'/>" % NS_PING, to=DOMAIN)
        check(res.get('type') == 'result', 'ping answered')

    def roster_get(self, ver=None):
        attr = " ver='%s'" % xml_escape(ver) if ver is not None else ''
        res = self.iq('get', "<query xmlns='%s'%s/>" % (NS_ROSTER, attr))
        check(res.get('type') == 'result', 'roster get succeeds: %s' % to_text(res))
        return res

    def roster(self):
        res = self.roster_get()
        query = res.find(q(NS_ROSTER, 'query'))
        return {i.get('jid'): item_state(i) for i in query.findall(q(NS_ROSTER, 'item'))}

    def roster_set(self, jid, name=None, groups=(), extra=''):
        body = ''.join('<group>%s</group>' % xml_escape(g) for g in groups)
        attrs = " jid='%s'" % xml_escape(jid)
        if name is not None:
            attrs += " name='%s'" % xml_escape(name)
        return self.iq('set', "<query xmlns='%s'><item%s%s>%s</item></query>" % (
            NS_ROSTER, attrs, extra, body))

    def presence(self, type_=None, to=None, priority=None, status=None, show=None):
        attrs = ''
        if type_:
            attrs += " type='%s'" % type_
        if to:
            attrs += " to='%s'" % to
        body = ''
        if show:
            body += '<show>%s</show>' % show
        if status:
            body += '<status>%s</status>' % xml_escape(status)
        if priority is not None:
            body += '<priority>%d</priority>' % priority
        self.send('<presence%s>%s</presence>' % (attrs, body))

    def close(self):
        if self.closed:
            return
        try:
            self._send('</stream:stream>')
        except OSError:
            pass
        if self.reader is not None:
            self.reader.join(timeout=WAIT)
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True

    def abort(self):
        """Drop the TCP connection without closing the stream."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self.reader is not None:
            self.reader.join(timeout=WAIT)
        self.closed = True


def xml_escape(s):
    return (s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace("'", '&apos;').replace('"', '&quot;'))


def to_text(elem):
    if elem is None:
        return 'None'
    return ET.tostring(elem, encoding='unicode')


def item_state(item):
    return (item.get('subscription', 'none'), item.get('ask') == 'subscribe',
            item.get('approved') == 'true')


# predicates
def is_push(elem):
    return (elem.tag == q(NS_CLIENT, 'iq') and elem.get('type') == 'set'
            and elem.find(q(NS_ROSTER, 'query')) is not None)


def push_item(elem):
    return elem.find(q(NS_ROSTER, 'query')).find(q(NS_ROSTER, 'item'))


def is_presence(elem, type_=None, from_=None):
    if elem.tag != q(NS_CLIENT, 'presence'):
        return False
    if elem.get('type') != type_:
        return False
    if from_ is not None and elem.get('from') != from_ and bare(elem.get('from')) != from_:
        return False
    return True


def is_sub(elem, type_, from_):
    return (elem.tag == q(NS_CLIENT, 'presence') and elem.get('type') == type_
            and elem.get('from') == from_)


def error_condition(elem):
    err = elem.find(q(NS_CLIENT, 'error'))
    if err is None:
        return None
    for child in err:
        if child.tag.startswith('{%s}' % NS_STANZAS) and not child.tag.endswith('}text'):
            return child.tag.split('}', 1)[1]
    return None


# --- the model of RFC 6121 Appendix A --------------------------------------

# A state is (subscription, pending_out, pending_in, approved).
STATE_NAMES = {
    'N': ('none', False, False), 'N+PO': ('none', True, False),
    'N+PI': ('none', False, True), 'N+POI': ('none', True, True),
    'T': ('to', False, False), 'T+PI': ('to', False, True),
    'F': ('from', False, False), 'F+PO': ('from', True, False),
    'B': ('both', False, False),
}


def parse_state(name):
    approved = name.endswith('!')
    sub, po, pi = STATE_NAMES[name.rstrip('!')]
    return (sub, po, pi, approved)


def state_name(state):
    for name, value in STATE_NAMES.items():
        if value == state[:3]:
            return name + ('!' if state[3] else '')
    raise ValueError(state)


def visible(state):
    return (state[0], state[1], state[3])


def has_to(state):
    return state[0] in ('to', 'both')


def has_from(state):
    return state[0] in ('from', 'both')


# A.2.1-A.2.4 and A.3.1-A.3.4: next state ('=' none) and route/deliver.
OUT_TABLE = {
    'subscribe': {'N': ('N+PO', 1), 'N+PO': ('=', 1), 'N+PI': ('N+POI', 1),
                  'N+POI': ('=', 1), 'T': ('=', 1), 'T+PI': ('=', 1),
                  'F': ('F+PO', 1), 'F+PO': ('=', 1), 'B': ('=', 1)},
    'unsubscribe': {'N': ('=', 1), 'N+PO': ('N', 1), 'N+PI': ('=', 1),
                    'N+POI': ('N+PI', 1), 'T': ('N', 1), 'T+PI': ('N+PI', 1),
                    'F': ('=', 1), 'F+PO': ('F', 1), 'B': ('F', 1)},
    'subscribed': {'N': ('=', 0), 'N+PO': ('=', 0), 'N+PI': ('F', 1),
                   'N+POI': ('F+PO', 1), 'T': ('=', 0), 'T+PI': ('B', 1),
                   'F': ('=', 0), 'F+PO': ('=', 0), 'B': ('=', 0)},
    'unsubscribed': {'N': ('=', 0), 'N+PO': ('=', 0), 'N+PI': ('N', 1),
                     'N+POI': ('N+PO', 1), 'T': ('=', 0), 'T+PI': ('T', 1),
                     'F': ('N', 1), 'F+PO': ('N+PO', 1), 'B': ('T', 1)},
}
IN_TABLE = {
    'subscribe': {'N': ('N+PI', 1), 'N+PO': ('N+POI', 1), 'N+PI': ('=', 0),
                  'N+POI': ('=', 0), 'T': ('T+PI', 1), 'T+PI': ('=', 0),
                  'F': ('=', 0), 'F+PO': ('=', 0), 'B': ('=', 0)},
    'unsubscribe': {'N': ('=', 0), 'N+PO': ('=', 0), 'N+PI': ('N', 1),
                    'N+POI': ('N+PO', 1), 'T': ('=', 0), 'T+PI': ('T', 1),
                    'F': ('N', 1), 'F+PO': ('N+PO', 1), 'B': ('T', 1)},
    'subscribed': {'N': ('=', 0), 'N+PO': ('T', 1), 'N+PI': ('=', 0),
                   'N+POI': ('T+PI', 1), 'T': ('=', 0), 'T+PI': ('=', 0),
                   'F': ('=', 0), 'F+PO': ('B', 1), 'B': ('=', 0)},
    'unsubscribed': {'N': ('=', 0), 'N+PO': ('N', 1), 'N+PI': ('=', 0),
                     'N+POI': ('N+PI', 1), 'T': ('N', 1), 'T+PI': ('N+PI', 1),
                     'F': ('=', 0), 'F+PO': ('F', 1), 'B': ('F', 1)},
}


def table_step(table, state, type_):
    base = state_name(state).rstrip('!')
    nxt, fwd = table[type_][base]
    new = state if nxt == '=' else parse_state(nxt)[:3] + (state[3],)
    return new, bool(fwd)


def normalize(state):
    sub, po, pi, ap = state
    if sub in ('to', 'both'):
        po = False
    if sub in ('from', 'both'):
        pi = False
        ap = False
    return (sub, po, pi, ap)


def model_out(state, type_):
    """A.2: returns (new state, route?, presence) where presence is
    None, 'available' (sent after) or 'unavailable' (sent before)."""
    base = state_name(state).rstrip('!')
    new, route = table_step(OUT_TABLE, state, type_)
    presence = None
    if type_ == 'subscribed':
        if base in ('N', 'N+PO', 'T'):
            new = new[:3] + (True,)          # pre-approval (§3.4.1)
        elif route:
            presence = 'available'
    elif type_ == 'unsubscribed':
        new = new[:3] + (False,)             # cancels a pre-approval
        if route and has_from(state):
            presence = 'unavailable'
    return normalize(new), route, presence


def model_in(state, type_):
    """A.3: returns (new state, deliver?, reply, presence)."""
    base = state_name(state).rstrip('!')
    reply = presence = None
    if type_ == 'subscribe' and state[3] and base in ('N', 'N+PO', 'T'):
        nxt = {'N': 'F', 'N+PO': 'F+PO', 'T': 'B'}[base]
        return normalize(parse_state(nxt)), False, 'subscribed', 'available'
    new, deliver = table_step(IN_TABLE, state, type_)
    if type_ == 'subscribe' and has_from(state):
        reply, presence = 'subscribed', 'available'
    if type_ == 'unsubscribe' and deliver:
        reply = 'unsubscribed'
        if has_from(state):
            presence = 'unavailable'
    return normalize(new), deliver, reply, presence


def simulate(states, jids, actor, target, type_):
    """What each client sees when @actor's client sends @type_ to @target,
    both online and interested.  Returns ({who: [events]}, new states)."""
    st = dict(states)
    ev = {actor: [], target: []}

    def push(who, other, old, new):
        if visible(old) != visible(new):
            ev[who].append(('push', jids[other]) + visible(new))

    def inbound(who, sender, t):
        old = st[who]
        new, deliver, reply, presence = model_in(old, t)
        if deliver:
            ev[who].append(('sub', t, jids[sender]))
        push(who, sender, old, new)
        st[who] = new
        if reply:
            inbound(sender, who, reply)
        if presence:
            ev[sender].append(('presence', presence, jids[who]))

    old = st[actor]
    new, route, presence = model_out(old, type_)
    if presence == 'unavailable':
        ev[target].append(('presence', presence, jids[actor]))
    push(actor, target, old, new)
    st[actor] = new
    if route:
        inbound(target, actor, type_)
    if presence == 'available':
        ev[target].append(('presence', presence, jids[actor]))
    return ev, st


def observe(elems):
    """The events a client saw, in the model's terms."""
    out = []
    for e in elems:
        if is_push(e):
            item = push_item(e)
            out.append(('push', item.get('jid')) + item_state(item))
        elif e.tag == q(NS_CLIENT, 'presence'):
            t = e.get('type')
            if t in ('subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'):
                out.append(('sub', t, e.get('from')))
            elif t is None:
                out.append(('presence', 'available', bare(e.get('from'))))
            elif t == 'unavailable':
                out.append(('presence', 'unavailable', bare(e.get('from'))))
            else:
                out.append(('other', to_text(e)))
        elif e.tag == q(NS_CLIENT, 'iq') and e.get('type') in ('result', 'error'):
            continue
        else:
            out.append(('other', to_text(e)))
    return out


MIRROR = {'N': 'N', 'N+PO': 'N+PI', 'N+PI': 'N+PO', 'N+POI': 'N+POI',
          'T': 'F', 'T+PI': 'F+PO', 'F': 'T', 'F+PO': 'T+PI', 'B': 'B'}


def table_rows():
    """(label, user state, contact state, direction, type)."""
    rows = []
    states = list(STATE_NAMES)
    for type_ in ('subscribe', 'unsubscribe', 'subscribed', 'unsubscribed'):
        for s in states:
            rows.append(('A.2 out %s in %s' % (type_, s), s, MIRROR[s], 'out', type_))
        for s in ('N!', 'N+PO!', 'T!'):
            if type_ != 'unsubscribe':
                rows.append(('A.2 out %s in %s (pre-approved)' % (type_, s), s,
                             MIRROR[s.rstrip('!')], 'out', type_))
    for type_ in ('subscribe', 'unsubscribe', 'subscribed', 'unsubscribed'):
        for s in states + ['N!', 'N+PO!', 'T!']:
            contact = MIRROR[s.rstrip('!')]
            # The contact's server only routes what its own table routes:
            # pick a contact state that sends the stanza on.
            _, route, _ = model_out(parse_state(contact), type_)
            if not route:
                contact = {'subscribed': 'N+PI', 'unsubscribed': 'F'}[type_]
            label = 'A.3 in %s in %s%s' % (type_, s.rstrip('!'),
                                           ' (pre-approved)' if s.endswith('!') else '')
            rows.append((label, s, contact, 'in', type_))
    return rows


# --- seeding and reading the server's database ------------------------------

SUB_CODES = {'none': 0, 'to': 1, 'from': 2, 'both': 3}
SUB_NAMES = {v: k for k, v in SUB_CODES.items()}


def db_connect(server):
    db = sqlite3.connect(server.db_path(), timeout=10)
    db.execute('PRAGMA foreign_keys=ON')
    return db


def account_id(db, name):
    row = db.execute('SELECT id FROM accounts WHERE username = ?', (name,)).fetchone()
    if row is None:
        raise Failure('no account %s in the database' % name)
    return row[0]


def seed(server, a, a_state, b, b_state):
    """Put a's view of b and b's view of a into the stored rosters."""
    db = db_connect(server)
    with db:
        for me, state, other in ((a, a_state, b), (b, b_state, a)):
            me_id = account_id(db, me)
            other_jid = '%s@%s' % (other, DOMAIN)
            db.execute('DELETE FROM roster WHERE account_id = ?', (me_id,))
            db.execute('DELETE FROM subscription_requests WHERE account_id = ?', (me_id,))
            sub, po, pi, ap = state
            version = db.execute('UPDATE accounts SET roster_version = roster_version + 1'
                                 ' WHERE id = ? RETURNING roster_version', (me_id,)).fetchone()[0]
            if sub != 'none' or po or ap:
                db.execute('INSERT INTO roster (account_id, contact, name, groups, subscription,'
                           ' ask, approved, removed, version) VALUES (?, ?, NULL, \'\', ?, ?, ?, 0, ?)',
                           (me_id, other_jid, SUB_CODES[sub], int(po), int(ap), version))
            if pi:
                stanza = ("<presence xmlns='jabber:client' from='%s' to='%s@%s' type='subscribe'/>"
                          % (other_jid, me, DOMAIN))
                db.execute('INSERT INTO subscription_requests (account_id, contact, created, stanza)'
                           ' VALUES (?, ?, ?, ?)', (me_id, other_jid, int(time.time() * 1e6), stanza))
    db.close()


def stored_state(server, me, other):
    db = db_connect(server)
    me_id = account_id(db, me)
    other_jid = '%s@%s' % (other, DOMAIN)
    row = db.execute('SELECT subscription, ask, approved FROM roster WHERE account_id = ?'
                     ' AND contact = ? AND removed = 0', (me_id, other_jid)).fetchone()
    pi = db.execute('SELECT 1 FROM subscription_requests WHERE account_id = ? AND contact = ?',
                    (me_id, other_jid)).fetchone() is not None
    db.close()
    if row is None:
        return ('none', False, pi, False)
    return (SUB_NAMES[row[0]], bool(row[1]), pi, bool(row[2]))


# --- TAP ------------------------------------------------------------------------

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, desc, diag=None):
        self.n += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, desc))
        if not ok:
            self.failed += 1
            for line in (diag or '').splitlines():
                print('# ' + line)
        sys.stdout.flush()


def run(tap, desc, fn):
    try:
        fn()
        tap.result(True, desc)
    except Exception as e:  # noqa: BLE001 - every failure becomes a TAP line
        diag = str(e) if isinstance(e, Failure) else traceback.format_exc()
        tap.result(False, desc, diag)


# --- part 1: the tables -----------------------------------------------------------

def run_table_row(server, row, u, c):
    label, u_name, c_name, direction, type_ = row
    u_state, c_state = parse_state(u_name), parse_state(c_name)
    seed(server, u, u_state, c, c_state)
    cu = Client(server, u, 'r')
    cc = Client(server, c, 'r')
    try:
        cu.barrier()
        cc.barrier()
        cu.take_all()
        cc.take_all()

        jids = {u: cu.bare, c: cc.bare}
        actor, target = (u, c) if direction == 'out' else (c, u)
        expected, new_states = simulate({u: u_state, c: c_state}, jids, actor, target, type_)

        client = cu if actor == u else cc
        client.send("<presence to='%s' type='%s' id='row'/>" % (jids[target], type_))
        # Barrier: once each side's ping is answered, everything the
        # stanza caused has been written to both streams.
        client.barrier()
        cc.barrier()
        cu.barrier()

        for who, cl in ((u, cu), (c, cc)):
            seen = sorted(observe(cl.take_all()))
            want = sorted(expected[who])
            check(seen == want, '%s saw %s, expected %s' % (who, seen, want))
    finally:
        cu.close()
        cc.close()

    for who, other in ((u, c), (c, u)):
        got = stored_state(server, who, other)
        want = new_states[who]
        check(got == want, 'stored state of %s about %s: %s, expected %s' % (
            who, other, state_name(got), state_name(want)))


# --- part 2: the scenarios -------------------------------------------------------------

class Scenarios:
    def __init__(self, server):
        self.server = server

    def c(self, user, resource=None, **kw):
        return Client(self.server, user, resource, **kw)

    def befriend(self, a, b):
        """Mutual subscription between two logged-in clients."""
        a.presence('subscribe', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'subscribe', a.bare), 'subscribe')
        b.presence('subscribed', to=a.bare)
        a.wait_for(lambda e: is_sub(e, 'subscribed', b.bare), 'subscribed')
        b.presence('subscribe', to=a.bare)
        a.wait_for(lambda e: is_sub(e, 'subscribe', b.bare), 'subscribe back')
        a.presence('subscribed', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'subscribed', a.bare), 'subscribed back')
        a.barrier()
        b.barrier()
        a.take_all()
        b.take_all()

    def s17_fresh_roster(self):
        a = self.c('s17a', presence=False, roster=False)
        res = a.roster_get()
        query = res.find(q(NS_ROSTER, 'query'))
        check(query is not None, 'a <query/> in the result')
        check(len(list(query)) == 0, 'no items')
        check(query.get('ver'), 'a ver attribute')
        a.close()

    def s18_push_to_second_resource(self):
        a1 = self.c('s18a', 'one', presence=False)
        a2 = self.c('s18a', 'two', presence=False)
        res = a1.roster_set('s18b@%s' % DOMAIN, 'Bee', ['Friends'])
        check(res.get('type') == 'result', 'roster set succeeds')
        p1 = a1.wait_for(is_push, 'push on A1')
        p2 = a2.wait_for(is_push, 'push on A2')
        for p in (p1, p2):
            item = push_item(p)
            check(item.get('jid') == 's18b@%s' % DOMAIN, 'pushed jid')
            check(item.get('subscription') == 'none', 'subscription none')
            check(item.get('name') == 'Bee', 'pushed name')
            check([g.text for g in item.findall(q(NS_ROSTER, 'group'))] == ['Friends'], 'groups')
            check(p.get('from') in (None, a1.bare), 'push from the bare JID or none')
        v1 = p1.find(q(NS_ROSTER, 'query')).get('ver')
        v2 = p2.find(q(NS_ROSTER, 'query')).get('ver')
        check(v1 and v1 == v2, 'same new ver on both pushes (%s, %s)' % (v1, v2))
        check(p1.get('to') == a1.jid and p2.get('to') == a2.jid, 'pushes to the full JIDs')
        a1.close()
        a2.close()

    def s19_set_errors(self):
        a = self.c('s19a', presence=False)
        two = a.iq('set', "<query xmlns='%s'><item jid='x@%s'/><item jid='y@%s'/></query>" % (
            NS_ROSTER, DOMAIN, DOMAIN))
        check(error_condition(two) == 'bad-request', 'two items: %s' % to_text(two))
        dup = a.roster_set('x@%s' % DOMAIN, groups=['G', 'G'])
        check(error_condition(dup) == 'bad-request', 'duplicate group: %s' % to_text(dup))
        empty = a.roster_set('x@%s' % DOMAIN, groups=[''])
        check(error_condition(empty) == 'not-acceptable', 'empty group: %s' % to_text(empty))
        other = a.iq('set', "<query xmlns='%s'><item jid='x@%s'/></query>" % (NS_ROSTER, DOMAIN),
                     to='s19b@%s' % DOMAIN)
        check(error_condition(other) == 'forbidden', 'another user\'s roster: %s' % to_text(other))
        other_get = a.iq('get', "<query xmlns='%s'/>" % NS_ROSTER, to='s19b@%s' % DOMAIN)
        check(error_condition(other_get) == 'forbidden', 'reading another roster: %s' % to_text(other_get))
        bad = a.roster_set('not a jid@@')
        check(error_condition(bad) == 'jid-malformed', 'malformed jid: %s' % to_text(bad))
        # Subscription values other than remove are ignored, never stored.
        ok = a.roster_set('x@%s' % DOMAIN, extra=" subscription='both' ask='subscribe'")
        check(ok.get('type') == 'result', 'set with a subscription attribute succeeds')
        p = a.wait_for(is_push, 'push')
        check(item_state(push_item(p)) == ('none', False, False), 'subscription ignored')
        own = a.roster_set(a.bare)
        check(own.get('type') == 'result', 'own JID accepted')
        check(len(a.roster()) == 2, 'two items now')
        a.close()

    def s20_remove(self):
        a = self.c('s20a')
        b = self.c('s20b')
        missing = a.roster_set('nobody@%s' % DOMAIN, extra=" subscription='remove'")
        check(error_condition(missing) == 'item-not-found', 'unknown item: %s' % to_text(missing))
        self.befriend(a, b)
        check(a.roster()[b.bare][0] == 'both', 'both before the removal')
        a2 = self.c('s20a', 'second', presence=False)
        res = a.roster_set(b.bare, extra=" subscription='remove'")
        check(res.get('type') == 'result', 'remove succeeds')
        for cl in (a, a2):
            p = cl.wait_for(is_push, 'remove push')
            check(push_item(p).get('subscription') == 'remove', 'push subscription=remove')
        b.wait_for(lambda e: is_presence(e, 'unavailable', a.jid), 'unavailable from A')
        b.wait_for(lambda e: is_sub(e, 'unsubscribe', a.bare), 'unsubscribe')
        b.wait_for(lambda e: is_sub(e, 'unsubscribed', a.bare), 'unsubscribed')
        check(b.roster()[a.bare] == ('none', False, False), 'B\'s item is none')
        check(b.bare not in a.roster(), 'gone from A\'s roster')
        for cl in (a, a2, b):
            cl.close()

    def s21_versioning(self):
        a = self.c('s21a', presence=False)
        a.roster_set('one@%s' % DOMAIN)
        a.wait_for(is_push, 'push')
        ver = a.roster_get().find(q(NS_ROSTER, 'query')).get('ver')
        a.close()
        again = self.c('s21a', presence=False, roster=False)
        res = again.roster_get(ver)
        check(res.find(q(NS_ROSTER, 'query')) is None, 'empty result when up to date: %s' % to_text(res))
        again.barrier()
        check(not any(is_push(e) for e in again.take_all()), 'no pushes when up to date')
        again.close()
        other = self.c('s21a', 'other', presence=False)
        other.roster_set('two@%s' % DOMAIN, 'Two')
        other.wait_for(is_push, 'push')
        other.close()
        back = self.c('s21a', presence=False, roster=False)
        res = back.roster_get(ver)
        check(res.find(q(NS_ROSTER, 'query')) is None, 'empty result, changes follow')
        push = back.wait_for(is_push, 'interim push')
        back.barrier()
        extra = [e for e in back.take_all() if is_push(e)]
        check(not extra, 'exactly one interim push (%d more)' % len(extra))
        item = push_item(push)
        check(item.get('jid') == 'two@%s' % DOMAIN and item.get('name') == 'Two', 'the changed item')
        new_ver = push.find(q(NS_ROSTER, 'query')).get('ver')
        check(new_ver and new_ver != ver, 'the push carries the new ver')
        full = back.roster_get('no-such-version')
        items = full.find(q(NS_ROSTER, 'query')).findall(q(NS_ROSTER, 'item'))
        check(len(items) == 2, 'unknown ver gives the full roster')
        check(full.find(q(NS_ROSTER, 'query')).get('ver') == new_ver, 'with the current ver')
        back.close()

    def s23_to_25_handshake(self):
        a = self.c('s23a')
        b = self.c('s23b')
        b2 = self.c('s23b', 'second')
        a.presence('subscribe', to=b.bare)
        p = a.wait_for(is_push, 'A push')
        check(item_state(push_item(p)) == ('none', True, False), 'none + ask')
        for cl in (b, b2):
            s = cl.wait_for(lambda e: is_sub(e, 'subscribe', a.bare), 'subscribe on each B')
            check(s.get('to') == b.bare, 'to the bare JID')
        b.barrier()
        check(not any(is_push(e) for e in b.take_all() + b2.take_all()), 'B\'s roster unchanged')
        check(a.bare not in b.roster(), 'no item in B\'s roster')

        # 24: approval
        b.presence('subscribed', to=a.bare)
        a.wait_for(lambda e: is_sub(e, 'subscribed', b.bare), 'subscribed')
        p = a.wait_for(is_push, 'push to')
        check(item_state(push_item(p)) == ('to', False, False), 'A: to')
        bp = b.wait_for(is_push, 'B push')
        check(item_state(push_item(bp)) == ('from', False, False), 'B: from')
        a.wait_for(lambda e: is_presence(e, None, b.jid), 'presence of B/1')
        a.wait_for(lambda e: is_presence(e, None, b2.jid), 'presence of B/second')

        # 25: back
        b.presence('subscribe', to=a.bare)
        a.wait_for(lambda e: is_sub(e, 'subscribe', b.bare), 'subscribe back')
        a.presence('subscribed', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'subscribed', a.bare), 'subscribed back')
        a.barrier()
        b.barrier()
        check(a.roster()[b.bare] == ('both', False, False), 'A: both, no ask')
        check(b.roster()[a.bare] == ('both', False, False), 'B: both, no ask')
        for cl in (a, b, b2):
            cl.close()

    def s26_offline_request(self):
        b = self.c('s26b')
        b.presence('subscribe', to='s26a@%s' % DOMAIN)
        b.wait_for(is_push, 'B push')
        b.barrier()
        a = self.c('s26a', presence=False)
        a.barrier()
        check(not any(is_sub(e, 'subscribe', b.bare) for e in a.take_all()),
              'not delivered before initial presence')
        a.presence()
        a.wait_for(lambda e: is_sub(e, 'subscribe', b.bare), 'stored request')
        a.presence('subscribed', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'subscribed', a.bare), 'approval')
        a.barrier()
        check(a.roster()[b.bare][0] == 'from' and b.roster()[a.bare][0] == 'to', 'A from, B to')
        a.presence('subscribe', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'subscribe', a.bare), 'subscribe back')
        b.presence('subscribed', to=a.bare)
        a.wait_for(lambda e: is_sub(e, 'subscribed', b.bare), 'subscribed back')
        b.barrier()
        check(a.roster()[b.bare] == ('both', False, False), 'A both')
        check(b.roster()[a.bare] == ('both', False, False), 'B both')
        a.close()
        b.close()

    def s27_stored_once(self):
        b = self.c('s27b')
        for _ in range(3):
            b.presence('subscribe', to='s27a@%s' % DOMAIN)
        b.barrier()
        for attempt in range(2):
            a = self.c('s27a')
            a.barrier()
            got = [e for e in a.take_all() if is_sub(e, 'subscribe', b.bare)]
            check(len(got) == 1, 'login %d: exactly one request (got %d)' % (attempt + 1, len(got)))
            a.close()
        b.close()

    def s28_deny(self):
        a = self.c('s28a')
        b = self.c('s28b')
        b.presence('subscribe', to=a.bare)
        b.wait_for(is_push, 'B push none + ask')
        a.wait_for(lambda e: is_sub(e, 'subscribe', b.bare), 'request')
        a.presence('unsubscribed', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'unsubscribed', a.bare), 'denial')
        p = b.wait_for(is_push, 'B push')
        check(item_state(push_item(p)) == ('none', False, False), 'B loses ask')
        a.barrier()
        check(not any(is_push(e) for e in a.take_all()), 'no push on A')
        check(b.bare not in a.roster(), 'no item was created for A')
        a.close()
        # Answered: not redelivered at the next login.
        a = self.c('s28a')
        a.barrier()
        check(not any(is_sub(e, 'subscribe', b.bare) for e in a.take_all()), 'request gone')
        a.close()
        b.close()

    def s29_cancel(self):
        a = self.c('s29a')
        b = self.c('s29b')
        b.presence('subscribe', to=a.bare)
        a.wait_for(lambda e: is_sub(e, 'subscribe', b.bare), 'request')
        a.presence('subscribed', to=b.bare)
        b.wait_for(lambda e: is_presence(e, None, a.jid), 'A\'s presence after approval')
        a.barrier()
        b.barrier()
        a.take_all()
        b.take_all()
        a.presence('unsubscribed', to=b.bare)
        a.barrier()
        b.barrier()
        seen = b.take_all()
        kinds = [('unavailable' if is_presence(e, 'unavailable', a.jid) else
                  'unsubscribed' if is_sub(e, 'unsubscribed', a.bare) else
                  'push' if is_push(e) else 'other') for e in seen]
        check('unavailable' in kinds and 'unsubscribed' in kinds,
              'unavailable and unsubscribed: %s' % kinds)
        check(kinds.index('unavailable') < kinds.index('unsubscribed'), 'unavailable first: %s' % kinds)
        push = [e for e in seen if is_push(e)]
        check(push and item_state(push_item(push[0])) == ('none', False, False), 'B: none')
        check(a.roster()[b.bare] == ('none', False, False), 'A: none')
        a.close()
        b.close()

    def s30_unsubscribe(self):
        a = self.c('s30a')
        b = self.c('s30b')
        self.befriend(a, b)
        a.presence('unsubscribe', to=b.bare)
        b.wait_for(lambda e: is_sub(e, 'unsubscribe', a.bare), 'unsubscribe')
        a.wait_for(lambda e: is_presence(e, 'unavailable', b.jid), 'B\'s unavailable')
        a.barrier()
        b.barrier()
        check(a.roster()[b.bare][0] == 'from', 'A: from')
        check(b.roster()[a.bare][0] == 'to', 'B: to')
        a.take_all()
        b.presence(status='later')
        b.barrier()
        a.barrier()
        check(not any(is_presence(e, None, b.jid) for e in a.take_all()),
              'A no longer gets B\'s presence')
        a.close()
        b.close()

    def s31_unsolicited(self):
        # A consistent pair of rosters never routes an unsolicited
        # subscribed (C's server would take it as a pre-approval), so C's
        # roster is put out of sync first: it believes A asked.
        seed(self.server, 's31a', parse_state('N'), 's31c', parse_state('N+PI'))
        a = self.c('s31a')
        c = self.c('s31c')
        c.barrier()
        a.barrier()
        a.take_all()
        c.send("<presence to='%s' type='subscribed'/>" % a.jid)
        c.barrier()
        a.barrier()
        seen = a.take_all()
        check(not any(is_sub(e, 'subscribed', c.bare) for e in seen), 'not delivered')
        check(not any(is_push(e) for e in seen), 'no push')
        check(c.bare not in a.roster(), 'no item')
        check(stored_state(self.server, 's31a', 's31c') == parse_state('N'), 'A still None')
        a.close()
        c.close()

    def s32_full_jid_subscribe(self):
        a = self.c('s32a', 'res')
        b = self.c('s32b')
        b.send("<presence to='%s' type='subscribe'/>" % a.jid)
        s = a.wait_for(lambda e: is_presence(e, 'subscribe'), 'subscribe')
        check(s.get('from') == b.bare, 'from B\'s bare JID: %s' % s.get('from'))
        check(s.get('to') == a.bare, 'to A\'s bare JID: %s' % s.get('to'))
        p = b.wait_for(is_push, 'B push')
        check(push_item(p).get('jid') == a.bare, 'B\'s item is A\'s bare JID')
        a.close()
        b.close()

    def s33_preapproval(self):
        a = self.c('s33a')
        b = self.c('s33b')
        a.presence('subscribed', to=b.bare)
        p = a.wait_for(is_push, 'pre-approval push')
        check(item_state(push_item(p)) == ('none', False, True), 'approved=true: %s' % to_text(p))
        a.barrier()
        b.barrier()
        check(not any(is_sub(e, 'subscribed', a.bare) for e in b.take_all()), 'nothing routed')
        b.presence('subscribe', to=a.bare)
        b.wait_for(lambda e: is_sub(e, 'subscribed', a.bare), 'automatic subscribed')
        b.wait_for(lambda e: is_presence(e, None, a.jid), 'A\'s presence')
        a.barrier()
        seen = a.take_all()
        check(not any(is_sub(e, 'subscribe', b.bare) for e in seen), 'A never sees the request')
        pushes = [item_state(push_item(e)) for e in seen if is_push(e)]
        check(pushes == [('from', False, False)], 'A: from, approval consumed: %s' % pushes)
        check(b.roster()[a.bare] == ('to', False, False), 'B: to')
        a.close()
        b.close()

    def s34_fanout(self):
        b = self.c('s34b')
        c = self.c('s34c')
        setup = self.c('s34a', 'setup')
        self.befriend(setup, b)
        # C only one way: C subscribes to A (A: from).
        c.presence('subscribe', to=setup.bare)
        setup.wait_for(lambda e: is_sub(e, 'subscribe', c.bare), 'C asks')
        setup.presence('subscribed', to=c.bare)
        c.wait_for(lambda e: is_sub(e, 'subscribed', setup.bare), 'C approved')
        setup.close()
        a1 = self.c('s34a', 'one', presence=False)
        for cl in (a1, b, c):
            cl.barrier()
            cl.take_all()
        a1.presence(status='here')
        a1.wait_for(lambda e: is_presence(e, None, a1.jid), 'self echo')
        b.wait_for(lambda e: is_presence(e, None, a1.jid), 'B gets A1')
        c.wait_for(lambda e: is_presence(e, None, a1.jid), 'C gets A1')
        a2 = self.c('s34a', 'two', presence=False)
        a2.presence()
        a2.wait_for(lambda e: is_presence(e, None, a1.jid), 'A2 gets A1')
        a1.wait_for(lambda e: is_presence(e, None, a2.jid), 'A1 gets A2')
        a2.wait_for(lambda e: is_presence(e, None, b.jid), 'A2 gets B (probe)')
        a2.barrier()
        check(not any(is_presence(e, None, c.jid) for e in a2.take_all()),
              'no presence of C: A is not subscribed to C')
        for cl in (a1, a2, b, c):
            cl.close()

    def s35_login_probes(self):
        a = self.c('s35a')
        b = self.c('s35b')
        d = self.c('s35d')
        self.befriend(a, b)
        self.befriend(a, d)
        d.close()
        b.presence(show='away', status='busy')
        b.barrier()
        a.close()
        a = self.c('s35a', presence=False)
        a.presence()
        p = a.wait_for(lambda e: is_presence(e, None, b.jid), 'B\'s current presence')
        check(p.findtext(q(NS_CLIENT, 'show')) == 'away', 'the last presence as sent (show)')
        check(p.findtext(q(NS_CLIENT, 'status')) == 'busy', 'and status')
        a.barrier()
        check(not any(is_presence(e, None, bare(d.jid)) for e in a.take_all()),
              'nothing from the offline contact')
        a.close()
        b.close()

    def s36_directed(self):
        a = self.c('s36a')
        d = self.c('s36d')
        a.presence(to=d.jid, status='hello')
        p = d.wait_for(lambda e: is_presence(e, None, a.jid), 'directed presence')
        check(p.findtext(q(NS_CLIENT, 'status')) == 'hello', 'content kept')
        a.presence(status='broadcast')
        a.barrier()
        d.barrier()
        check(not any(is_presence(e, None, a.jid) for e in d.take_all()),
              'broadcasts do not reach D')
        a.abort()
        d.wait_for(lambda e: is_presence(e, 'unavailable', a.jid), 'unavailable on disconnect')
        d.close()

    def s16_unavailable_on_logout(self):
        a = self.c('s16a')
        b = self.c('s16b')
        self.befriend(a, b)
        a.presence('unavailable', status='bye')
        u = b.wait_for(lambda e: is_presence(e, 'unavailable', a.jid), 'unavailable on logout')
        check(u.findtext(q(NS_CLIENT, 'status')) == 'bye', 'status kept')
        a.presence()
        b.wait_for(lambda e: is_presence(e, None, a.jid), 'available again')
        a.abort()
        b.wait_for(lambda e: is_presence(e, 'unavailable', a.jid), 'unavailable on a cut connection')
        b.close()

    def blocked_presence(self):
        # Mutual subscription and A blocking B, stored before either logs
        # in (the server reads a block list once; the XEP-0191 module
        # changes it through the storage API).
        seed(self.server, 'blka', parse_state('B'), 'blkb', parse_state('B'))
        db = db_connect(self.server)
        with db:
            db.execute('INSERT INTO blocklist (account_id, jid) VALUES (?, ?)',
                       (account_id(db, 'blka'), 'blkb@%s' % DOMAIN))
        db.close()
        b = self.c('blkb')
        a = self.c('blka')
        a.barrier()
        b.barrier()
        check(not any(is_presence(e, None, b.bare) for e in a.take_all()), 'no probe answer from B')
        check(not any(is_presence(e, None, a.jid) for e in b.take_all()), 'initial presence withheld from B')
        a.presence(status='hidden')
        a.presence(to=b.jid, status='directed')
        a.barrier()
        b.barrier()
        check(not any(is_presence(e, None, a.jid) for e in b.take_all()), 'updates and directed withheld')
        b.presence(status='me too')
        b.barrier()
        a.barrier()
        check(not any(is_presence(e, None, b.jid) for e in a.take_all()), 'withheld from A')
        b.presence('subscribe', to=a.bare)
        b.barrier()
        a.barrier()
        check(not any(is_sub(e, 'subscribe', b.bare) for e in a.take_all()),
              'subscription stanzas from B dropped')
        a.abort()
        b.barrier()
        check(not any(is_presence(e, 'unavailable', a.jid) for e in b.take_all()),
              'no unavailable either')
        b.close()


SCENARIOS = [
    ('16: unavailable to contacts on logout and on a cut connection', 's16_unavailable_on_logout',
     ['s16a', 's16b']),
    ('17: fresh roster is empty with a ver', 's17_fresh_roster', ['s17a']),
    ('18: roster push to a second resource with the same ver', 's18_push_to_second_resource',
     ['s18a']),
    ('19: roster set errors (two items, duplicate/empty group, forbidden, malformed)',
     's19_set_errors', ['s19a', 's19b']),
    ('20: remove (item-not-found; both → unavailable, unsubscribe, unsubscribed)', 's20_remove',
     ['s20a', 's20b']),
    ('21: versioned reconnect: empty result, then exactly one interim push', 's21_versioning',
     ['s21a']),
    ('23-25: subscription handshake both ways with pushes and presence', 's23_to_25_handshake',
     ['s23a', 's23b']),
    ('26: request to an offline user delivered at login, then both', 's26_offline_request',
     ['s26a', 's26b']),
    ('27: three requests while offline: exactly one per login until answered', 's27_stored_once',
     ['s27a', 's27b']),
    ('28: deny a pending request', 's28_deny', ['s28a', 's28b']),
    ('29: cancel a subscription: unavailable before unsubscribed', 's29_cancel', ['s29a', 's29b']),
    ('30: unsubscribe from both: from/to and no more presence', 's30_unsubscribe', ['s30a', 's30b']),
    ('31: unsolicited subscribed is dropped', 's31_unsolicited', ['s31a', 's31c']),
    ('32: subscribe to a full JID is handled as the bare JID', 's32_full_jid_subscribe',
     ['s32a', 's32b']),
    ('33: pre-approval', 's33_preapproval', ['s33a', 's33b']),
    ('34: initial presence fan-out and sibling resources', 's34_fanout', ['s34a', 's34b', 's34c']),
    ('35: login probes answered with the contacts\' last presence', 's35_login_probes',
     ['s35a', 's35b', 's35d']),
    ('36: directed presence and unavailable on disconnect', 's36_directed', ['s36a', 's36d']),
    ('presence withheld across a block (XEP-0191)', 'blocked_presence', ['blka', 'blkb']),
]


def main():
    rows = table_rows()
    print('1..%d' % (len(rows) + len(SCENARIOS) + 1))
    sys.stdout.flush()
    tap = Tap()
    server = Server()
    try:
        try:
            users = ['tu', 'tc'] + [u for _, _, names in SCENARIOS for u in names]
            server.add_users(sorted(set(users)))
            server.start()
            ok, diag = True, None
        except Exception as e:  # noqa: BLE001
            ok, diag = False, str(e) if isinstance(e, Failure) else traceback.format_exc()
        tap.result(ok, 'messenger-server starts with the test accounts', diag)
        if not ok:
            for label, *_ in rows:
                tap.result(False, label, 'no server')
            for desc, _, _ in SCENARIOS:
                tap.result(False, desc, 'no server')
            return 1

        for row in rows:
            run(tap, row[0], lambda row=row: run_table_row(server, row, 'tu', 'tc'))
        scenarios = Scenarios(server)
        for desc, method, _ in SCENARIOS:
            run(tap, desc, getattr(scenarios, method))
    finally:
        if tap.failed:
            print('# server log (last lines):')
            for line in server.log[-40:]:
                print('#   ' + line)
        server.cleanup()
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
