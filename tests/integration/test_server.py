#!/usr/bin/python3
"""Black-box tests of messenger-server (TAP output).

Starts the built server (MESSENGER_BUILD_ROOT/src/server/messenger-server)
on 127.0.0.1 with port 0 in a temporary data dir, reads the port and the
certificate fingerprint from its ready line, and talks raw XMPP to it over
plain sockets and the ssl module, byte for byte where it matters: stream
negotiation and errors (RFC 6120), restricted XML, SASL (our own SCRAM
client, including -PLUS with tls-server-end-point), in-band registration,
resource binding, routing by priority (RFC 6121 §8.5), offline messages
across a SIGKILL, XEP-0198 resumption, direct TLS (XEP-0368); then slixmpp
(tests/interop/slixpeer.py) logs in and exchanges messages.

Only the standard library is needed; slixmpp tests fail (not skip) when
python3-slixmpp is missing, as in the interop suite.
"""

import base64
import collections
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET

NS_STREAM = 'http://etherx.jabber.org/streams'
NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams'
NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas'
NS_CLIENT = 'jabber:client'
NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
NS_SM = 'urn:xmpp:sm:3'
NS_DELAY = 'urn:xmpp:delay'
NS_REGISTER = 'jabber:iq:register'
NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'

DOMAIN = 'localhost'
HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='%s' "
          "version='1.0'%s>")

BUILD_ROOT = os.environ.get('MESSENGER_BUILD_ROOT', '')
SOURCE_ROOT = os.environ.get(
    'MESSENGER_SOURCE_ROOT',
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SERVER_EXE = os.path.join(BUILD_ROOT, 'src', 'server', 'messenger-server')
SLIXPEER = os.path.join(SOURCE_ROOT, 'tests', 'interop', 'slixpeer.py')


def q(ns, name):
    return '{%s}%s' % (ns, name)


def local(tag):
    return tag.split('}', 1)[1] if '}' in tag else tag


class StreamClosed(Exception):
    pass


# --- the server ----------------------------------------------------------

class Server:
    """One messenger-server process on 127.0.0.1, port 0."""

    def __init__(self, data_dir, config=None, args=(), env=None):
        self.data_dir = data_dir
        self.config = config
        self.args = list(args)
        self.env = env or {}
        self.proc = None
        self.log_path = os.path.join(data_dir, 'server.log')

    def start(self):
        cmd = [SERVER_EXE, '--domain', DOMAIN, '--data-dir', self.data_dir,
               '--c2s-port', '0', '--verbose'] + self.args
        if self.config is not None:
            cfg = os.path.join(self.data_dir, 'server.conf')
            with open(cfg, 'w') as f:
                f.write('[server]\n')
                for k, v in self.config.items():
                    f.write('%s=%s\n' % (k, v))
            cmd += ['--config', cfg]
        env = dict(os.environ)
        # Our own warnings about misbehaving clients must not abort it.
        env.pop('G_DEBUG', None)
        env.update(self.env)
        self.log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.log, env=env)
        line = self.proc.stdout.readline().decode()
        self.ready_line = line.strip()
        m = re.match(r'^messenger-server: listening on (.*) for (\S+); '
                     r'certificate SHA-256 ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})$',
                     self.ready_line)
        if not m:
            raise RuntimeError('bad ready line %r (log %s)' %
                               (line, self.log_path))
        self.listeners = m.group(1)
        self.fingerprint = m.group(3)
        self.port = int(re.search(r'127\.0\.0\.1:(\d+) \(STARTTLS\)',
                                  self.listeners).group(1))
        tls = re.search(r'127\.0\.0\.1:(\d+) \(direct TLS\)', self.listeners)
        self.tls_port = int(tls.group(1)) if tls else None
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def terminate(self, timeout=10):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        self.log.close()
        return rc


# --- a raw XMPP stream ---------------------------------------------------

class Stream:
    def __init__(self, port, direct_tls=False, source=None, timeout=10):
        src = (source, 0) if source else None
        self.sock = socket.create_connection(('127.0.0.1', port),
                                             timeout=timeout,
                                             source_address=src)
        self.tls = False
        self.events = collections.deque()
        self.skipped = []
        self.header = None
        self.closed = False
        self.eof = False
        self.peer_cert = None
        self.jid = None
        self.reset()
        if direct_tls:
            self.wrap_tls(alpn=True)

    def reset(self):
        self.parser = ET.XMLPullParser(events=('start', 'end'))
        self.depth = 0
        self.header = None
        self.closed = False

    def wrap_tls(self, alpn=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if alpn:
            ctx.set_alpn_protocols(['xmpp-client'])
        self.sock = ctx.wrap_socket(self.sock, server_hostname=DOMAIN)
        self.tls = True
        self.peer_cert = self.sock.getpeercert(binary_form=True)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def pump(self, timeout):
        self.sock.settimeout(max(timeout, 0.01))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError('nothing received')
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            data = b''
        if not data:
            self.eof = True
            return
        self.parser.feed(data)
        for ev, el in self.parser.read_events():
            if ev == 'start':
                if self.depth == 0:
                    self.header = el
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 1:
                    self.events.append(el)
                    self.header.remove(el)
                elif self.depth == 0:
                    self.closed = True

    def next(self, timeout=5.0):
        """The next top-level element; None once the stream ended."""
        deadline = time.monotonic() + timeout
        while not self.events:
            if self.closed or self.eof:
                return None
            self.pump(deadline - time.monotonic())
        return self.events.popleft()

    def expect(self, pred, timeout=5.0, what='element'):
        """The first element matching pred; others are kept for later
        expect() calls."""
        for i, el in enumerate(self.skipped):
            if pred(el):
                del self.skipped[i]
                return el
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no %s' % what)
            el = self.next(left)
            if el is None:
                raise StreamClosed('stream closed while waiting for %s' % what)
            if pred(el):
                return el
            self.skipped.append(el)

    def wait_header(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while self.header is None:
            if self.eof:
                raise StreamClosed('no stream header')
            self.pump(deadline - time.monotonic())
        return self.header

    def open(self, to=DOMAIN, extra=''):
        self.reset()
        self.send(HEADER % (to, extra))
        self.wait_header()
        return self.next()

    def starttls(self):
        self.send("<starttls xmlns='%s'/>" % NS_TLS)
        el = self.next()
        assert el is not None and el.tag == q(NS_TLS, 'proceed'), el
        self.wrap_tls()

    def stream_error(self, timeout=5.0):
        """The condition of the stream error that must come now, after
        which the stream must end."""
        el = self.expect(lambda e: e.tag == q(NS_STREAM, 'error'), timeout,
                         'stream error')
        conds = [local(c.tag) for c in el if c.tag.startswith('{%s}' % NS_STREAMS)
                 and local(c.tag) != 'text']
        end = time.monotonic() + 5
        while not (self.closed or self.eof) and time.monotonic() < end:
            try:
                self.pump(end - time.monotonic())
            except TimeoutError:
                break
        assert self.closed, 'no </stream:stream> after the stream error'
        return conds[0] if conds else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # SASL

    def auth_plain(self, user, password):
        data = base64.b64encode(b'\0' + user.encode() + b'\0' + password.encode())
        self.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, data.decode()))
        return self.next()

    def auth_scram(self, user, password, mech='SCRAM-SHA-256', cb_data=None,
                   cb_type='tls-server-end-point'):
        hname = 'sha256' if 'SHA-256' in mech else 'sha1'
        plus = mech.endswith('-PLUS')
        gs2 = ('p=%s,,' % cb_type) if plus else 'n,,'
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = 'n=%s,r=%s' % (user, nonce)
        self.send("<auth xmlns='%s' mechanism='%s'>%s</auth>" % (
            NS_SASL, mech, base64.b64encode((gs2 + first_bare).encode()).decode()))
        el = self.next()
        if el is None or el.tag != q(NS_SASL, 'challenge'):
            return el
        server_first = base64.b64decode(el.text).decode()
        attrs = dict(kv.split('=', 1) for kv in server_first.split(','))
        assert attrs['r'].startswith(nonce)
        salted = hashlib.pbkdf2_hmac(hname, password.encode(),
                                     base64.b64decode(attrs['s']), int(attrs['i']))
        client_key = hmac.new(salted, b'Client Key', hname).digest()
        stored_key = hashlib.new(hname, client_key).digest()
        cbind = gs2.encode() + (cb_data if plus else b'')
        final_bare = 'c=%s,r=%s' % (base64.b64encode(cbind).decode(), attrs['r'])
        auth_message = ','.join([first_bare, server_first, final_bare]).encode()
        signature = hmac.new(stored_key, auth_message, hname).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = final_bare + ',p=' + base64.b64encode(proof).decode()
        self.send("<response xmlns='%s'>%s</response>" % (
            NS_SASL, base64.b64encode(final.encode()).decode()))
        el = self.next()
        if el is not None and el.tag == q(NS_SASL, 'success'):
            server_key = hmac.new(salted, b'Server Key', hname).digest()
            expect_v = base64.b64encode(hmac.new(server_key, auth_message, hname).digest())
            got = base64.b64decode(el.text)
            assert got == b'v=' + expect_v, 'bad server signature %r' % got
        return el

    def end_point_binding(self):
        return hashlib.sha256(self.peer_cert).digest()

    # after authentication

    def bind(self, resource=None):
        inner = '<resource>%s</resource>' % resource if resource else ''
        self.send("<iq type='set' id='bind1'><bind xmlns='%s'>%s</bind></iq>" % (NS_BIND, inner))
        el = self.expect(lambda e: e.get('id') == 'bind1', what='bind result')
        assert el.get('type') == 'result', ET.tostring(el)
        self.jid = el.find(q(NS_BIND, 'bind')).find(q(NS_BIND, 'jid')).text
        return self.jid

    def iq(self, xml, id_, timeout=5.0):
        self.send(xml)
        return self.expect(lambda e: e.tag == q(NS_CLIENT, 'iq') and e.get('id') == id_,
                           timeout, 'iq %s' % id_)

    def ping(self, id_='png'):
        el = self.iq("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>"
                     % (id_, DOMAIN), id_)
        assert el.get('type') == 'result'

    def message(self, pred=None, timeout=5.0):
        return self.expect(lambda e: e.tag == q(NS_CLIENT, 'message') and
                           (pred is None or pred(e)), timeout, 'message')

    def nothing_more(self, timeout=0.5, pred=None):
        """TRUE when no element (matching pred) arrives within timeout."""
        if any(pred is None or pred(el) for el in self.skipped):
            return False
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            try:
                el = self.next(left)
            except TimeoutError:
                return True
            if el is None:
                return True
            if pred is None or pred(el):
                return False


def stanza_error(el):
    err = el.find(q(NS_CLIENT, 'error'))
    if err is None:
        return None
    for c in err:
        if c.tag.startswith('{%s}' % NS_STANZAS) and local(c.tag) != 'text':
            return local(c.tag)
    return None


def connect_tls(port, **kw):
    s = Stream(port, **kw)
    f = s.open()
    assert f.find(q(NS_TLS, 'starttls')) is not None
    s.starttls()
    return s, s.open()


def login(port, user, password, resource=None, extra='', mech='SCRAM-SHA-256',
          presence=None):
    s, _ = connect_tls(port)
    if mech == 'PLAIN':
        el = s.auth_plain(user, password)
    else:
        el = s.auth_scram(user, password, mech)
    assert el is not None and el.tag == q(NS_SASL, 'success'), \
        'login %s failed: %r' % (user, el is not None and ET.tostring(el))
    features = s.open(extra=extra)
    assert features.find(q(NS_BIND, 'bind')) is not None
    s.bind(resource)
    if presence is not None:
        s.send(presence)
    return s


def add_user(data_dir, jid, password):
    p = subprocess.run([SERVER_EXE, 'user', 'add', jid, '--data-dir', data_dir],
                       input=(password + '\n').encode(), capture_output=True,
                       env={k: v for k, v in os.environ.items() if k != 'G_DEBUG'})
    assert p.returncode == 0, p.stderr.decode()


# --- the tests -----------------------------------------------------------

TESTS = []


def test(name):
    def deco(fn):
        TESTS.append((name, fn))
        return fn
    return deco


class Ctx:
    server = None
    data_dir = None
    idle_conn = None


C = Ctx()


@test('ready line names both ports, the domain and the certificate fingerprint')
def t_ready():
    assert C.server.tls_port is not None
    assert ' for localhost; ' in C.server.ready_line
    s = Stream(C.server.tls_port, direct_tls=True)
    fp = hashlib.sha256(s.peer_cert).hexdigest().upper()
    assert ':'.join(fp[i:i + 2] for i in range(0, 64, 2)) == C.server.fingerprint
    s.close()


@test('generated key is mode 0600 and the certificate names the domain')
def t_cert_files():
    key = os.path.join(C.data_dir, 'server.key')
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert os.path.exists(os.path.join(C.data_dir, 'server.crt'))


@test('first features: only <starttls><required/>; header from/id/version/lang')
def t_first_features():
    s = Stream(C.server.port)
    f = s.open(extra=" xml:lang='de' from='alice@localhost'")
    h = s.header
    assert h.tag == q(NS_STREAM, 'stream')
    assert h.get('from') == DOMAIN and h.get('version') == '1.0' and h.get('id')
    assert h.get('to') == 'alice@localhost'
    assert h.get('{http://www.w3.org/XML/1998/namespace}lang') == 'de'
    children = list(f)
    assert len(children) == 1 and children[0].tag == q(NS_TLS, 'starttls')
    assert children[0].find(q(NS_TLS, 'required')) is not None
    s.close()


@test('after STARTTLS: new stream id, SASL mechanisms, channel-binding types, no starttls')
def t_after_tls():
    s = Stream(C.server.port)
    s.open()
    id1 = s.header.get('id')
    s.starttls()
    f = s.open()
    id2 = s.header.get('id')
    assert id1 and id2 and id1 != id2
    assert f.find(q(NS_TLS, 'starttls')) is None
    mechs = [m.text for m in f.find(q(NS_SASL, 'mechanisms'))]
    for m in ('SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'SCRAM-SHA-256-PLUS'):
        assert m in mechs, mechs
    cb = f.find(q('urn:xmpp:sasl-cb:0', 'sasl-channel-binding'))
    types = [c.get('type') for c in cb]
    assert 'tls-server-end-point' in types and 'tls-exporter' in types, types
    assert f.find(q('http://jabber.org/features/iq-register', 'register')) is not None
    s.close()


@test('unknown "to" host: header, <host-unknown/>, </stream:stream>')
def t_host_unknown():
    s = Stream(C.server.port)
    s.send(HEADER % ('example.net', ''))
    assert s.stream_error() == 'host-unknown'
    assert s.header.get('from') == DOMAIN


@test('wrong stream namespace: header, <invalid-namespace/>')
def t_invalid_namespace():
    s = Stream(C.server.port)
    s.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='urn:example:wrong' to='localhost' version='1.0'>")
    assert s.stream_error() == 'invalid-namespace'
    s = Stream(C.server.port)
    s.send("<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>")
    assert s.stream_error() == 'invalid-namespace'


@test('missing version: <unsupported-version/>')
def t_unsupported_version():
    s = Stream(C.server.port)
    s.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>")
    assert s.stream_error() == 'unsupported-version'


@test('restricted XML: comment, PI, DOCTYPE, custom entity each -> <restricted-xml/>')
def t_restricted():
    for bad in ("<!-- hello -->", "<?evil x?>", "<message>&custom;</message>"):
        s = Stream(C.server.port)
        s.open()
        s.send(bad)
        assert s.stream_error() == 'restricted-xml', bad
    s = Stream(C.server.port)
    s.send("<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY x 'y'>]>" +
           (HEADER % (DOMAIN, '')).split('?>', 1)[1])
    assert s.stream_error() == 'restricted-xml'


@test('<a><b></a> -> <not-well-formed/>')
def t_not_well_formed():
    s = Stream(C.server.port)
    s.open()
    s.send("<a><b></a>")
    assert s.stream_error() == 'not-well-formed'


@test('one byte at a time: STARTTLS negotiation still works')
def t_byte_at_a_time():
    s = Stream(C.server.port)
    s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for b in (HEADER % (DOMAIN, '')).encode():
        s.send(bytes([b]))
    s.wait_header()
    f = s.next()
    assert f.find(q(NS_TLS, 'starttls')) is not None
    for b in ("<starttls xmlns='%s'/>" % NS_TLS).encode():
        s.send(bytes([b]))
    assert s.next().tag == q(NS_TLS, 'proceed')
    s.close()


@test('stanza before TLS, before SASL, before bind -> <not-authorized/>; bob gets nothing')
def t_not_authorized():
    bob = login(C.server.port, 'bob', 'bobpw', 'na', presence='<presence/>')
    s = Stream(C.server.port)
    s.open()
    s.send("<message to='bob@localhost'><body>pre-tls</body></message>")
    assert s.stream_error() == 'not-authorized'
    s, _ = connect_tls(C.server.port)
    s.send("<message to='bob@localhost'><body>pre-auth</body></message>")
    assert s.stream_error() == 'not-authorized'
    s, _ = connect_tls(C.server.port)
    s.send("<auth xmlns='%s' mechanism='NOPE'/>" % NS_SASL)
    assert s.next().find(q(NS_SASL, 'invalid-mechanism')) is not None
    s.close()
    s, _ = connect_tls(C.server.port)
    assert s.auth_scram('carol', 'carolpw').tag == q(NS_SASL, 'success')
    s.open()
    s.send("<message to='bob@localhost'><body>pre-bind</body></message>")
    assert s.stream_error() == 'not-authorized'
    s = Stream(C.server.port)
    s.open()
    s.send("<auth xmlns='%s' mechanism='PLAIN'>AGJvYgBib2Jwdw==</auth>" % NS_SASL)
    assert s.stream_error() == 'not-authorized'
    assert bob.nothing_more(0.5, lambda e: e.tag == q(NS_CLIENT, 'message'))
    bob.close()


@test('oversized stanza after login -> <policy-violation/>')
def t_oversize():
    s = login(C.server.port, 'carol', 'carolpw')
    s.send("<message to='bob@localhost'><body>" + 'x' * (300 * 1024) + "</body></message>")
    assert s.stream_error() == 'policy-violation'


@test('oversized stanza before login -> <policy-violation/>')
def t_oversize_preauth():
    s, _ = connect_tls(C.server.port)
    s.send("<auth xmlns='%s' mechanism='PLAIN'>" % NS_SASL + 'A' * (40 * 1024))
    assert s.stream_error() == 'policy-violation'


@test('pre-auth flood on 40 connections -> <policy-violation/>; others still served')
def t_flood():
    results = []

    def flood():
        try:
            s = Stream(C.server.port)
            s.open()
            try:
                for _ in range(64):
                    s.send(' ' * 4096)
            except OSError:
                pass
            results.append(s.stream_error(10))
        except Exception as e:   # noqa: BLE001
            results.append(repr(e))

    threads = [threading.Thread(target=flood) for _ in range(40)]
    for t in threads:
        t.start()
    s = login(C.server.port, 'carol', 'carolpw')
    s.ping()
    s.close()
    for t in threads:
        t.join(30)
    bad = [r for r in results if r != 'policy-violation']
    assert len(results) == 40 and not bad, bad[:3]


@test('wrong password -> <not-authorized/>, stream stays open, retry succeeds')
def t_wrong_password():
    s, _ = connect_tls(C.server.port)
    el = s.auth_scram('carol', 'wrong')
    assert el.tag == q(NS_SASL, 'failure') and el.find(q(NS_SASL, 'not-authorized')) is not None
    el = s.auth_scram('carol', 'carolpw', 'SCRAM-SHA-1')
    assert el.tag == q(NS_SASL, 'success')
    s.close()


@test('three failures -> <policy-violation/>')
def t_three_failures():
    s, _ = connect_tls(C.server.port, source='127.0.0.2')
    for i in range(3):
        el = s.auth_plain('carol', 'wrong%d' % i)
        assert el.find(q(NS_SASL, 'not-authorized')) is not None
    assert s.stream_error() == 'policy-violation'


@test('per-address throttle: after 5 failures -> <temporary-auth-failure/>')
def t_throttle():
    for n in (3, 2):
        s, _ = connect_tls(C.server.port, source='127.0.0.3')
        for i in range(n):
            el = s.auth_plain('carol', 'bad')
            assert el.find(q(NS_SASL, 'not-authorized')) is not None
        if n == 3:
            assert s.stream_error() == 'policy-violation'
        else:
            el = s.auth_plain('carol', 'carolpw')
            assert el.find(q(NS_SASL, 'temporary-auth-failure')) is not None, ET.tostring(el)
            s.close()
    # Other addresses are not affected.
    s = login(C.server.port, 'carol', 'carolpw')
    s.close()


@test('SASL: abort, bad base64, PLAIN, SCRAM-SHA-256-PLUS (tls-server-end-point)')
def t_sasl_variants():
    s, _ = connect_tls(C.server.port, source='127.0.0.4')
    s.send("<auth xmlns='%s' mechanism='SCRAM-SHA-256'>biwsbj1jYXJvbCxyPWFiYw==</auth>" % NS_SASL)
    assert s.next().tag == q(NS_SASL, 'challenge')
    s.send("<abort xmlns='%s'/>" % NS_SASL)
    assert s.next().find(q(NS_SASL, 'aborted')) is not None
    s.send("<auth xmlns='%s' mechanism='PLAIN'>%%%%%%</auth>" % NS_SASL)
    assert s.next().find(q(NS_SASL, 'incorrect-encoding')) is not None
    el = s.auth_scram('carol', 'carolpw', 'SCRAM-SHA-256-PLUS', b'\0' * 32)
    assert el.find(q(NS_SASL, 'not-authorized')) is not None, ET.tostring(el)
    s.close()
    s, _ = connect_tls(C.server.port)
    el = s.auth_scram('carol', 'carolpw', 'SCRAM-SHA-256-PLUS', s.end_point_binding())
    assert el.tag == q(NS_SASL, 'success'), ET.tostring(el)
    s.close()
    s, _ = connect_tls(C.server.port)
    assert s.auth_plain('carol', 'carolpw').tag == q(NS_SASL, 'success')
    s.close()


@test('in-band registration: form, new account, conflict, not-acceptable, login')
def t_register():
    s, _ = connect_tls(C.server.port)
    el = s.iq("<iq type='get' id='r1'><query xmlns='%s'/></iq>" % NS_REGISTER, 'r1')
    query = el.find(q(NS_REGISTER, 'query'))
    assert query.find(q(NS_REGISTER, 'username')) is not None
    assert query.find(q(NS_REGISTER, 'password')) is not None
    el = s.iq("<iq type='set' id='r2'><query xmlns='%s'><username>dave</username>"
              "<password>davepw</password></query></iq>" % NS_REGISTER, 'r2')
    assert el.get('type') == 'result', ET.tostring(el)
    el = s.iq("<iq type='set' id='r3'><query xmlns='%s'><username>dave</username>"
              "<password>other</password></query></iq>" % NS_REGISTER, 'r3')
    assert stanza_error(el) == 'conflict'
    el = s.iq("<iq type='set' id='r4'><query xmlns='%s'><username>erin</username>"
              "</query></iq>" % NS_REGISTER, 'r4')
    assert stanza_error(el) == 'not-acceptable'
    assert s.auth_scram('dave', 'davepw').tag == q(NS_SASL, 'success')
    s.close()


@test('bind: generated resource, requested resource, conflict -> override')
def t_bind():
    a = login(C.server.port, 'carol', 'carolpw')
    local_part, res = a.jid.split('/', 1)
    assert local_part == 'carol@localhost' and len(res) >= 16
    b = login(C.server.port, 'carol', 'carolpw', 'laptop')
    assert b.jid == 'carol@localhost/laptop'
    c = login(C.server.port, 'carol', 'carolpw', 'laptop')
    assert c.jid.startswith('carol@localhost/') and c.jid != b.jid
    b.ping()      # the first 'laptop' session is still there
    for s in (a, b, c):
        s.close()


@test("iq type='foo' -> bad-request; two children -> bad-request")
def t_iq_type():
    s = login(C.server.port, 'carol', 'carolpw')
    el = s.iq("<iq type='foo' id='t1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 't1')
    assert stanza_error(el) == 'bad-request'
    el = s.iq("<iq type='get' id='t2' to='localhost'><ping xmlns='urn:xmpp:ping'/>"
              "<ping xmlns='urn:xmpp:ping'/></iq>", 't2')
    assert stanza_error(el) == 'bad-request'
    s.send("<iq type='result' id='t3' to='localhost'/>")
    assert s.nothing_more(0.3)
    s.close()


@test('unknown iq to server / own bare JID / unknown user -> service-unavailable')
def t_unknown_iq():
    s = login(C.server.port, 'carol', 'carolpw')
    for i, to in enumerate(('localhost', 'carol@localhost', 'nobody@localhost',
                            'localhost/x', 'bob@localhost/offline')):
        el = s.iq("<iq type='get' id='u%d' to='%s'><query xmlns='urn:example:x'/></iq>" % (i, to),
                  'u%d' % i)
        assert stanza_error(el) == 'service-unavailable', (to, ET.tostring(el))
    el = s.iq("<iq type='get' id='u9'><query xmlns='urn:example:x'/></iq>", 'u9')
    assert stanza_error(el) == 'service-unavailable'
    s.close()


@test('XEP-0199: ping to the server and to the own bare JID')
def t_ping():
    s = login(C.server.port, 'carol', 'carolpw')
    s.ping()
    el = s.iq("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>", 'p2')
    assert el.get('type') == 'result'
    el = s.iq("<iq type='get' id='p3' to='carol@localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 'p3')
    assert el.get('type') == 'result'
    s.close()


@test('disco#info on the domain: server/im identity and features')
def t_disco():
    s = login(C.server.port, 'carol', 'carolpw')
    el = s.iq("<iq type='get' id='d1' to='localhost'><query xmlns='%s'/></iq>" % NS_DISCO_INFO, 'd1')
    query = el.find(q(NS_DISCO_INFO, 'query'))
    ident = query.find(q(NS_DISCO_INFO, 'identity'))
    assert ident.get('category') == 'server' and ident.get('type') == 'im'
    features = {f.get('var') for f in query.findall(q(NS_DISCO_INFO, 'feature'))}
    for f in ('msgoffline', 'urn:xmpp:ping', 'urn:xmpp:sid:0', NS_REGISTER, NS_DISCO_INFO):
        assert f in features, f
    s.close()


@test("forged 'from' -> <invalid-from/>")
def t_forged_from():
    s = login(C.server.port, 'carol', 'carolpw')
    s.send("<message from='bob@localhost/x' to='carol@localhost'><body>forged</body></message>")
    assert s.stream_error() == 'invalid-from'
    # Its own JID is fine.
    s = login(C.server.port, 'carol', 'carolpw')
    s.send("<iq type='get' id='own' from='%s' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>" % s.jid)
    assert s.expect(lambda e: e.get('id') == 'own').get('type') == 'result'
    s.close()


def is_body(text):
    return lambda e: e.tag == q(NS_CLIENT, 'message') and \
        e.findtext(q(NS_CLIENT, 'body')) == text


@test('message to a bare JID: the highest priority resource(s) only; full JID exact')
def t_priority():
    a1 = login(C.server.port, 'alice', 'alicepw', 'a1', presence='<presence><priority>5</priority></presence>')
    a2 = login(C.server.port, 'alice', 'alicepw', 'a2', presence='<presence><priority>1</priority></presence>')
    b = login(C.server.port, 'bob', 'bobpw', 'b')
    a1.ping()
    a2.ping()
    b.send("<message to='alice@localhost' type='chat' id='m1'><body>to-bare</body></message>")
    m = a1.message(is_body('to-bare'))
    assert m.get('to') == 'alice@localhost' and m.get('from') == 'bob@localhost/b'
    b.send("<message to='alice@localhost/a2' type='chat'><body>to-a2</body></message>")
    m = a2.message()
    assert m.findtext(q(NS_CLIENT, 'body')) == 'to-a2', 'a2 got the bare-JID message'
    # Same priority: both get it.
    a2.send('<presence><priority>5</priority></presence>')
    a2.ping()
    b.send("<message to='alice@localhost' type='chat'><body>both</body></message>")
    a1.message(is_body('both'))
    a2.message(is_body('both'))
    # groupchat to a bare JID -> service-unavailable; error type -> dropped
    b.send("<message to='alice@localhost' type='groupchat' id='g1'><body>gc</body></message>")
    el = b.message(lambda e: e.get('id') == 'g1')
    assert el.get('type') == 'error' and stanza_error(el) == 'service-unavailable'
    b.send("<message to='alice@localhost' type='error' id='e1'><body>err</body></message>")
    assert a1.nothing_more(0.3, is_body('err'))
    for s in (a1, a2, b):
        s.close()


@test('other domains -> remote-server-not-found; unknown local user -> silence')
def t_remote():
    s = login(C.server.port, 'carol', 'carolpw')
    s.send("<message to='x@example.invalid' id='r1'><body>hi</body></message>")
    el = s.message(lambda e: e.get('id') == 'r1')
    assert stanza_error(el) == 'remote-server-not-found'
    s.send("<message to='nobody@localhost' id='r2' type='chat'><body>hi</body></message>")
    assert s.nothing_more(0.4)
    s.close()


@test("stream xml:lang is stamped on stanzas without one")
def t_lang():
    b = login(C.server.port, 'bob', 'bobpw', 'lang', presence='<presence/>')
    a = login(C.server.port, 'alice', 'alicepw', 'lang', extra=" xml:lang='de'")
    b.ping()
    a.send("<message to='bob@localhost/lang'><body>hallo</body></message>")
    m = b.message(is_body('hallo'))
    assert m.get('{http://www.w3.org/XML/1998/namespace}lang') == 'de'
    a.send("<message to='bob@localhost/lang' xml:lang='fr'><body>salut</body></message>")
    m = b.message(is_body('salut'))
    assert m.get('{http://www.w3.org/XML/1998/namespace}lang') == 'fr'
    a.close()
    b.close()


@test('offline messages: stored, delivered in order with a delay stamp on presence')
def t_offline():
    b = login(C.server.port, 'bob', 'bobpw', 'off')
    b.send("<message to='frank@localhost' type='chat'><body>one</body></message>")
    b.send("<message to='frank@localhost'><body>two</body></message>")
    b.send("<message to='frank@localhost' type='headline'><body>headline</body></message>")
    b.ping()
    f = login(C.server.port, 'frank', 'frankpw', 'f')
    assert f.nothing_more(0.3, lambda e: e.tag == q(NS_CLIENT, 'message'))
    f.send('<presence/>')
    m1 = f.message()
    m2 = f.message()
    assert [m1.findtext(q(NS_CLIENT, 'body')), m2.findtext(q(NS_CLIENT, 'body'))] == ['one', 'two']
    d = m1.find(q(NS_DELAY, 'delay'))
    assert d is not None and d.get('from') == DOMAIN and d.get('stamp').endswith('Z')
    assert f.nothing_more(0.3, is_body('headline'))
    b.close()
    f.close()


@test('XEP-0198: enable, <r/> -> <a h/>, cut TCP, resume gets the unacked stanzas')
def t_sm_resume():
    a = login(C.server.port, 'alice', 'alicepw', 'sm', presence='<presence><priority>10</priority></presence>')
    a.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
    en = a.expect(lambda e: e.tag == q(NS_SM, 'enabled'))
    assert en.get('resume') == 'true' and en.get('id') and en.get('max') == '300'
    for i in range(5):
        a.send("<message to='alice@localhost/sm' id='self%d'><body>self %d</body></message>" % (i, i))
    a.send("<r xmlns='%s'/>" % NS_SM)
    ack = a.expect(lambda e: e.tag == q(NS_SM, 'a'))
    assert ack.get('h') == '5', ack.get('h')
    for i in range(5):
        a.message(is_body('self %d' % i))
    a.send("<a xmlns='%s' h='5'/>" % NS_SM)
    b = login(C.server.port, 'bob', 'bobpw', 'smb')
    b.send("<message to='alice@localhost' type='chat'><body>unacked-1</body></message>")
    b.ping()
    a.message(is_body('unacked-1'))
    a.sock.shutdown(socket.SHUT_RDWR)
    a.close()
    time.sleep(0.3)
    b.send("<message to='alice@localhost' type='chat'><body>unacked-2</body></message>")
    b.ping()
    s, _ = connect_tls(C.server.port)
    assert s.auth_scram('alice', 'alicepw').tag == q(NS_SASL, 'success')
    f = s.open()
    assert f.find(q(NS_SM, 'sm')) is not None
    s.send("<resume xmlns='%s' previd='%s' h='5'/>" % (NS_SM, en.get('id')))
    r = s.expect(lambda e: e.tag in (q(NS_SM, 'resumed'), q(NS_SM, 'failed')))
    assert r.tag == q(NS_SM, 'resumed') and r.get('previd') == en.get('id'), ET.tostring(r)
    assert r.get('h') == '5', r.get('h')
    s.message(is_body('unacked-1'))
    s.message(is_body('unacked-2'))
    s.ping()
    s.send("<a xmlns='%s' h='8'/>" % NS_SM)
    # handled-count-too-high
    s.send("<a xmlns='%s' h='100'/>" % NS_SM)
    el = s.expect(lambda e: e.tag == q(NS_STREAM, 'error'))
    assert el.find(q(NS_SM, 'handled-count-too-high')) is not None
    b.close()


@test('XEP-0198: unknown previd -> <failed><item-not-found/>, then bind works')
def t_sm_unknown():
    s, _ = connect_tls(C.server.port)
    assert s.auth_scram('alice', 'alicepw').tag == q(NS_SASL, 'success')
    s.open()
    s.send("<resume xmlns='%s' previd='nope' h='0'/>" % NS_SM)
    el = s.expect(lambda e: e.tag == q(NS_SM, 'failed'))
    assert el.find(q(NS_STANZAS, 'item-not-found')) is not None
    assert s.bind('afterfail') == 'alice@localhost/afterfail'
    s.send("<enable xmlns='%s'/>" % NS_SM)
    assert s.expect(lambda e: e.tag.startswith('{%s}' % NS_SM)).tag == q(NS_SM, 'enabled')
    s.send("<enable xmlns='%s'/>" % NS_SM)
    assert s.expect(lambda e: e.tag.startswith('{%s}' % NS_SM)).tag == q(NS_SM, 'failed')
    s.close()


@test('XEP-0198: window expires -> unacked bare-JID messages go offline')
def t_sm_expire():
    g = login(C.server.port, 'gina', 'ginapw', 'g1', presence='<presence/>')
    g.send("<enable xmlns='%s' resume='true' max='1'/>" % NS_SM)
    en = g.expect(lambda e: e.tag == q(NS_SM, 'enabled'))
    assert en.get('max') == '1'
    b = login(C.server.port, 'bob', 'bobpw', 'exp')
    b.send("<message to='gina@localhost' type='chat'><body>lost-1</body></message>")
    b.ping()
    g.message(is_body('lost-1'))
    g.sock.shutdown(socket.SHUT_RDWR)
    g.close()
    time.sleep(0.2)
    b.send("<message to='gina@localhost' type='chat'><body>lost-2</body></message>")
    b.ping()
    time.sleep(2.5)
    g2 = login(C.server.port, 'gina', 'ginapw', 'g2', presence='<presence/>')
    got = [g2.message().findtext(q(NS_CLIENT, 'body')) for _ in range(2)]
    assert got == ['lost-1', 'lost-2'], got
    b.close()
    g2.close()


def own_server(prefix, users, config=None, env=None):
    """A second server on its own data dir, for settings the shared one
    must not have."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    for user in users:
        add_user(data_dir, user + '@localhost', user + 'pw')
    return Server(data_dir, config, env=env).start()


def is_message_id(ident):
    return lambda e: e.tag == q(NS_CLIENT, 'message') and e.get('id') == ident


@test('offline queue limit (max-offline-messages): overflow bounces service-unavailable, also after a restart')
def t_offline_limit():
    p = subprocess.run([SERVER_EXE, '--help'], capture_output=True, text=True)
    assert 'max-offline-messages' in p.stdout, 'the key is in --help'
    config = {'max-offline-messages': 3}
    srv = own_server('messenger-server-limit-', ('ola', 'oli'), config)
    try:
        a = login(srv.port, 'ola', 'olapw', 'a')
        fmt = "<message to='oli@localhost'%s id='%s'><body>%s</body></message>"
        for i in range(3):
            a.send(fmt % (" type='chat'", 'q%d' % i, 'queued %d' % i))
        a.ping()
        assert a.nothing_more(0.3, lambda e: e.tag == q(NS_CLIENT, 'message')), 'the first three are stored'
        a.send(fmt % (" type='chat'", 'q3', 'one too many'))
        a.send(fmt % ('', 'q4', 'normal, one too many'))
        for ident in ('q3', 'q4'):
            err = a.message(is_message_id(ident))
            assert err.get('type') == 'error' and err.get('from') == 'oli@localhost', ET.tostring(err)
            assert stanza_error(err) == 'service-unavailable', ET.tostring(err)
            assert err.find(q(NS_CLIENT, 'error')).get('type') == 'cancel', ET.tostring(err)
        # A headline is never stored, so never bounced either.
        a.send("<message to='oli@localhost' type='headline' id='hl'><body>news</body></message>")
        a.ping()
        assert a.nothing_more(0.3, is_message_id('hl'))
        a.close()

        # The queue length comes back from the database after a restart.
        srv.terminate()
        srv = Server(srv.data_dir, config).start()
        a = login(srv.port, 'ola', 'olapw', 'a')
        a.send(fmt % (" type='chat'", 'q5', 'still too many'))
        err = a.message(is_message_id('q5'))
        assert stanza_error(err) == 'service-unavailable', ET.tostring(err)

        o = login(srv.port, 'oli', 'olipw', 'o', presence='<presence/>')
        got = [o.message().findtext(q(NS_CLIENT, 'body')) for _ in range(3)]
        assert got == ['queued 0', 'queued 1', 'queued 2'], got
        assert o.nothing_more(0.3, lambda e: e.tag == q(NS_CLIENT, 'message'))
        o.send('</stream:stream>')
        end = time.monotonic() + 5
        while not o.closed and time.monotonic() < end:
            o.pump(end - time.monotonic())
        # Delivered, so the queue has room again.
        a.send(fmt % (" type='chat'", 'q6', 'room again'))
        a.ping()
        assert a.nothing_more(0.3, is_message_id('q6')), 'stored again once the queue was emptied'
        o = login(srv.port, 'oli', 'olipw', 'o2', presence='<presence/>')
        assert o.message().findtext(q(NS_CLIENT, 'body')) == 'room again'
        a.close()
        o.close()
    finally:
        srv.kill()
        shutil.rmtree(srv.data_dir, ignore_errors=True)


@test('a failed group commit: no XEP-0198 ack, no iq result, <internal-server-error/>, no resumption')
def t_commit_failure():
    data_dir = tempfile.mkdtemp(prefix='messenger-server-fail-')
    fail = os.path.join(data_dir, 'fail-commits')
    for user in ('sam', 'tom'):
        add_user(data_dir, user + '@localhost', user + 'pw')
    # The test hook: while this file exists, every commit is rolled back.
    srv = Server(data_dir, env={'MESSENGER_SERVER_TEST_FAIL_COMMIT': fail}).start()
    try:
        s = login(srv.port, 'sam', 'sampw', 'sm')
        s.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
        en = s.expect(lambda e: e.tag == q(NS_SM, 'enabled'))
        s.send("<message to='tom@localhost' type='chat' id='m1'><body>kept</body></message>"
               "<r xmlns='%s'/>" % NS_SM)
        assert s.expect(lambda e: e.tag == q(NS_SM, 'a')).get('h') == '1'
        r = login(srv.port, 'sam', 'sampw', 'roster')
        r.ping()

        open(fail, 'w').close()
        # Stored offline in a batch whose commit fails: never acknowledged.
        s.send("<message to='tom@localhost' type='chat' id='m2'><body>lost</body></message>"
               "<r xmlns='%s'/>" % NS_SM)
        assert s.stream_error() == 'internal-server-error'
        acks = [e.get('h') for e in s.skipped + list(s.events) if e.tag == q(NS_SM, 'a')]
        assert acks == [], 'acknowledged a lost stanza: h=%s' % acks
        # An iq whose write is lost gets no result either.
        r.send("<iq type='set' id='rs'><query xmlns='jabber:iq:roster'>"
               "<item jid='zed@localhost'/></query></iq>")
        assert r.stream_error() == 'internal-server-error'
        answers = [e for e in r.skipped + list(r.events) if e.get('id') == 'rs']
        assert answers == [], ET.tostring(answers[0])
        os.unlink(fail)

        # The session ended: resumption fails, so the client resends.
        s2, _ = connect_tls(srv.port)
        assert s2.auth_scram('sam', 'sampw').tag == q(NS_SASL, 'success')
        s2.open()
        s2.send("<resume xmlns='%s' previd='%s' h='0'/>" % (NS_SM, en.get('id')))
        el = s2.expect(lambda e: e.tag in (q(NS_SM, 'failed'), q(NS_SM, 'resumed')))
        assert el.tag == q(NS_SM, 'failed'), ET.tostring(el)
        s2.bind('again')
        res = s2.iq("<iq type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>", 'rg')
        items = [i.get('jid') for i in res.iter('{jabber:iq:roster}item')]
        assert items == [], 'the lost roster item: %s' % items
        s2.send("<message to='tom@localhost' type='chat' id='m2'><body>lost</body></message>")
        s2.ping()
        t = login(srv.port, 'tom', 'tompw', 't', presence='<presence/>')
        got = [t.message().findtext(q(NS_CLIENT, 'body')) for _ in range(2)]
        assert got == ['kept', 'lost'], got
        assert t.nothing_more(0.3, lambda e: e.tag == q(NS_CLIENT, 'message'))
        s2.close()
        t.close()
    finally:
        srv.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


@test('idle memory: once a burst of logins stops, the new sessions drop their parsers and the heap is trimmed')
def t_burst_trim():
    # What an idle session costs is measured by bench/run-server-bench
    # (RSS per session 2 s after K logins); this checks the mechanism
    # that makes it hold: within a second of the last login, not at some
    # later tick.
    with open(C.server.log_path, 'rb') as f:
        f.seek(0, 2)
        start = f.tell()
    streams = [login(C.server.port, 'carol', 'carolpw', 'burst%d' % i, presence='<presence/>')
               for i in range(40)]
    last = time.monotonic()
    found = None
    while found is None and time.monotonic() - last < 3:
        time.sleep(0.1)
        with open(C.server.log_path, 'rb') as f:
            f.seek(start)
            text = f.read().decode(errors='replace')
        found = re.search(r'Heap trimmed \(logins stopped\) after (\d+) idle sessions', text)
    elapsed = time.monotonic() - last
    assert found is not None, 'no trim after the burst'
    assert int(found.group(1)) >= 16, found.group(0)
    assert elapsed < 1.5, 'trimmed only %.1f s after the last login' % elapsed
    # The sessions still work: a parser comes back with the next byte.
    for s in streams[:3]:
        s.ping()
    for s in streams:
        s.close()


@test('direct TLS port (XEP-0368): ALPN xmpp-client, SASL features, no starttls')
def t_direct_tls():
    s = Stream(C.server.tls_port, direct_tls=True)
    assert s.sock.selected_alpn_protocol() == 'xmpp-client'
    f = s.open()
    assert f.find(q(NS_TLS, 'starttls')) is None
    assert f.find(q(NS_SASL, 'mechanisms')) is not None
    assert s.auth_scram('carol', 'carolpw').tag == q(NS_SASL, 'success')
    s.open()
    s.bind()
    s.ping()
    s.close()


@test('clean close: </stream:stream> answered; the other resource sees unavailable')
def t_clean_close():
    a1 = login(C.server.port, 'alice', 'alicepw', 'cc1', presence='<presence/>')
    a2 = login(C.server.port, 'alice', 'alicepw', 'cc2', presence='<presence/>')
    a1.ping()
    a2.send('</stream:stream>')
    end = time.monotonic() + 5
    while not a2.closed and time.monotonic() < end:
        a2.pump(end - time.monotonic())
    assert a2.closed
    a1.expect(lambda e: e.tag == q(NS_CLIENT, 'presence') and e.get('type') == 'unavailable'
              and e.get('from') == 'alice@localhost/cc2')
    a1.close()


@test('idle sessions wake up: stanzas after a pause, a stanza split across a pause')
def t_idle_wakeup():
    a = login(C.server.port, 'alice', 'alicepw', 'idle1', presence='<presence/>')
    b = login(C.server.port, 'bob', 'bobpw', 'idle2')
    b.ping()
    time.sleep(3.2)       # both parsers are released after 2 s of silence
    b.send("<message to='alice@localhost/idle1'><body>after a pause</body></message>")
    a.message(is_body('after a pause'))
    b.send("<message to='alice@localhost/idle1'><body>split ")
    time.sleep(3.2)
    b.send("stanza</body></message>")
    a.message(is_body('split stanza'))
    b.send("<message to='alice@localhost/idle1'><body><![CDATA[<not a tag>]]></body></message>")
    a.message(is_body('<not a tag>'))
    time.sleep(3.2)
    b.send('</stream:stream>')
    end = time.monotonic() + 5
    while not b.closed and time.monotonic() < end:
        b.pump(end - time.monotonic())
    assert b.closed
    a.ping()
    a.close()


@test('user add/passwd/list/remove on the command line (password from stdin)')
def t_user_cli():
    env = {k: v for k, v in os.environ.items() if k != 'G_DEBUG'}

    def run(*args, stdin=''):
        return subprocess.run([SERVER_EXE, 'user'] + list(args) + ['--data-dir', C.data_dir],
                              input=stdin.encode(), capture_output=True, env=env)

    assert run('add', 'zoe@localhost', stdin='zoepw\n').returncode == 0
    assert run('add', 'zoe@localhost', stdin='again\n').returncode != 0
    assert run('passwd', 'zoe@localhost', stdin='newpw\n').returncode == 0
    listing = run('list', '--domain', 'localhost').stdout.decode().split()
    assert 'zoe@localhost' in listing and 'alice@localhost' in listing, listing
    s = login(C.server.port, 'zoe', 'newpw')
    s.close()
    assert run('remove', 'zoe@localhost').returncode == 0
    assert 'zoe@localhost' not in run('list', '--domain', 'localhost').stdout.decode().split()
    s, _ = connect_tls(C.server.port, source='127.0.0.5')
    assert s.auth_scram('zoe', 'newpw').find(q(NS_SASL, 'not-authorized')) is not None
    s.close()


@test('pre-auth timeout -> <policy-violation/> (connection opened at the start)')
def t_preauth_timeout():
    s = C.idle_conn
    assert s.stream_error(10) == 'policy-violation'


@test('silent client: ping, then <connection-timeout/>')
def t_idle_timeout():
    d = tempfile.mkdtemp(prefix='srv-idle-')
    try:
        add_user(d, 'ivy@localhost', 'ivypw')
        srv = Server(d, {'idle-timeout': 1, 'ping-timeout': 1}).start()
        try:
            s = login(srv.port, 'ivy', 'ivypw')
            ping = s.expect(lambda e: e.tag == q(NS_CLIENT, 'iq') and e.get('type') == 'get', 5)
            assert ping.find(q('urn:xmpp:ping', 'ping')) is not None
            assert s.stream_error(6) == 'connection-timeout'
        finally:
            srv.kill()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def slixpeer(port, jid, password, *extra):
    env = dict(os.environ)
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    # Debian's python3-slixmpp lives in the system interpreter.
    python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
    return subprocess.Popen([python, SLIXPEER, '--jid', jid, '--password', password,
                             '--host', '127.0.0.1', '--port', str(port), '--insecure-loopback',
                             '--timeout', '10'] + list(extra),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True)


def read_event(proc, name, timeout=15):
    result = []

    def reader():
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get('event') == name:
                result.append(ev)
                return
            if ev.get('event') == 'disconnected':
                return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    if not result:
        raise AssertionError('slixpeer: no %s event' % name)
    return result[0]


@test('slixmpp: registers, logs in, exchanges messages with a thread')
def t_slixmpp():
    a = slixpeer(C.server.port, 'hank@localhost', 'hankpw', '--register', '--resource', 'slix')
    b = slixpeer(C.server.port, 'alice@localhost', 'alicepw', '--resource', 'slix')
    try:
        read_event(a, 'session_start')
        read_event(b, 'session_start')
        b.stdin.write(json.dumps({'cmd': 'send', 'to': 'hank@localhost', 'body': 'hi hank',
                                  'thread': 'th-1'}) + '\n')
        b.stdin.flush()
        m = read_event(a, 'message')
        assert m['body'] == 'hi hank' and m.get('thread') == 'th-1', m
        assert m['from'].startswith('alice@localhost/'), m
        a.stdin.write(json.dumps({'cmd': 'send', 'to': m['from'], 'body': 'hi alice'}) + '\n')
        a.stdin.flush()
        m = read_event(b, 'message')
        assert m['body'] == 'hi alice', m
    finally:
        for p in (a, b):
            try:
                p.stdin.write(json.dumps({'cmd': 'quit'}) + '\n')
                p.stdin.close()
            except OSError:
                pass
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


@test('SIGKILL after an acknowledged offline message: restart delivers every one')
def t_sigkill():
    b = login(C.server.port, 'bob', 'bobpw', 'kill')
    b.send("<enable xmlns='%s'/>" % NS_SM)
    b.expect(lambda e: e.tag == q(NS_SM, 'enabled'))
    for i in range(3):
        b.send("<message to='kim@localhost' type='chat'><body>kill %d</body></message>" % i)
    b.send("<r xmlns='%s'/>" % NS_SM)
    assert b.expect(lambda e: e.tag == q(NS_SM, 'a')).get('h') == '3'
    C.server.kill()
    b.close()
    C.server = Server(C.data_dir, C.server.config, C.server.args).start()
    k = login(C.server.port, 'kim', 'kimpw', 'k', presence='<presence/>')
    got = [k.message().findtext(q(NS_CLIENT, 'body')) for _ in range(3)]
    assert got == ['kill 0', 'kill 1', 'kill 2'], got
    k.close()


@test('SIGTERM asks for XEP-0198 acks first: what was acknowledged is not delivered again after the restart')
def t_sigterm_acks():
    srv = own_server('messenger-server-term-', ('uma', 'wes', 'vic'))
    try:
        clients = {}
        for name in ('uma', 'wes'):
            c = login(srv.port, name, name + 'pw', 'r', presence='<presence/>')
            c.ping()
            c.send("<enable xmlns='%s' resume='true'/>" % NS_SM)
            c.expect(lambda e: e.tag == q(NS_SM, 'enabled'))
            clients[name] = c
        v = login(srv.port, 'vic', 'vicpw', 'v')
        for name, c in clients.items():
            v.send("<message to='%s@localhost' type='chat'><body>before the stop</body></message>" % name)
            c.message(is_body('before the stop'))
        v.ping()
        srv.proc.send_signal(signal.SIGTERM)
        for name, c in clients.items():
            c.expect(lambda e: e.tag == q(NS_SM, 'r'), 3, 'an ack request at shutdown')
        # Uma answers (one stanza since <enable/>); Wes does not.
        clients['uma'].send("<a xmlns='%s' h='1'/>" % NS_SM)
        for c in clients.values():
            assert c.stream_error(5) == 'system-shutdown'
        assert srv.proc.wait(10) == 0
        srv.log.close()
        srv = Server(srv.data_dir).start()
        u = login(srv.port, 'uma', 'umapw', 'again', presence='<presence/>')
        assert u.nothing_more(0.5, lambda e: e.tag == q(NS_CLIENT, 'message')), 'delivered twice'
        w = login(srv.port, 'wes', 'wespw', 'again', presence='<presence/>')
        m = w.message(is_body('before the stop'))
        assert m.find(q(NS_DELAY, 'delay')) is not None, 'unacknowledged: stored offline'
        u.close()
        w.close()
    finally:
        srv.kill()
        shutil.rmtree(srv.data_dir, ignore_errors=True)


@test('SIGTERM: <system-shutdown/> to clients, exit status 0')
def t_sigterm():
    s = login(C.server.port, 'carol', 'carolpw', 'bye', presence='<presence/>')
    s.ping()
    C.server.proc.send_signal(signal.SIGTERM)
    assert s.stream_error(5) == 'system-shutdown'
    assert C.server.proc.wait(10) == 0
    C.server.log.close()


@test('2 MiB sent as fast as possible after login, over the rate bucket: every message, in order')
def t_rate_limit_no_loss():
    # The previous test stopped the server: start it again on the same data,
    # with a small post-auth burst so that any sender overdraws the bucket.
    config = dict(C.server.config, **{'rate-burst': 128 * 1024, 'rate': 1024 * 1024})
    C.server = Server(C.data_dir, config, C.server.args).start()
    r = login(C.server.port, 'gina', 'ginapw', 'r', presence='<presence/>')
    s = login(C.server.port, 'frank', 'frankpw', 's')
    r.ping()
    body = 'y' * 1000
    fmt = "<message to='gina@localhost/r' type='chat'><body>flood %d %s</body></message>"
    count = 2 * 1024 * 1024 // len(fmt % (0, body)) + 1
    data = ''.join(fmt % (i, body) for i in range(count)).encode()
    errors = []

    def sender():
        try:
            s.send(data)
            s.send("<iq type='get' id='done' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % DOMAIN)
        except Exception as e:   # noqa: BLE001
            errors.append(repr(e))

    start = time.monotonic()
    t = threading.Thread(target=sender)
    t.start()
    got = []
    try:
        while len(got) < count:
            m = r.message(timeout=max(0.1, 4.5 - (time.monotonic() - start)))
            text = m.findtext(q(NS_CLIENT, 'body')) or ''
            got.append(int(text.split(' ', 2)[1]))
    except (TimeoutError, StreamClosed) as e:
        raise AssertionError('%d of %d messages arrived (%s)' % (len(got), count, e))
    finally:
        t.join(10)
    assert not errors, errors
    assert got == list(range(count)), 'out of order'
    el = s.expect(lambda e: e.get('id') == 'done', 5, 'ping result')
    assert el.get('type') == 'result'
    # 2 MiB - 128 KiB at 1 MiB/s: reading must have paused.
    assert time.monotonic() - start > 1.5, 'the rate limit did not apply'
    r.close()
    s.close()

def main():
    if not os.path.exists(SERVER_EXE):
        print('1..0 # SKIP no messenger-server at %s' % SERVER_EXE)
        return 0
    C.data_dir = tempfile.mkdtemp(prefix='messenger-server-test-')
    failed = 0
    print('1..%d' % len(TESTS))
    sys.stdout.flush()
    try:
        for user in ('alice', 'bob', 'carol', 'frank', 'gina', 'kim'):
            add_user(C.data_dir, user + '@localhost', user + 'pw')
        C.server = Server(C.data_dir,
                          {'preauth-timeout': 8, 'auth-failures-per-minute': 5},
                          ['--allow-registration']).start()
        C.idle_conn = Stream(C.server.port)
        C.idle_conn.open()
        for i, (name, fn) in enumerate(TESTS, 1):
            start = time.monotonic()
            try:
                fn()
                print('ok %d - %s (%.1f s)' % (i, name, time.monotonic() - start))
            except Exception:   # noqa: BLE001
                failed += 1
                print('not ok %d - %s' % (i, name))
                for line in traceback.format_exc().splitlines():
                    print('# ' + line)
            sys.stdout.flush()
    finally:
        if C.server is not None:
            C.server.kill()
        if failed or os.environ.get('MESSENGER_TEST_KEEP'):
            print('# server log kept in %s' % C.data_dir)
            try:
                with open(os.path.join(C.data_dir, 'server.log'), errors='replace') as f:
                    for line in f.read().splitlines()[-40:]:
                        print('# | ' + line)
            except OSError:
                pass
        if not failed and not os.environ.get('MESSENGER_TEST_KEEP'):
            shutil.rmtree(C.data_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
