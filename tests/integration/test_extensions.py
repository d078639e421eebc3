#!/usr/bin/python3
"""The XMPP extensions of messenger-server (TAP output).

Starts messenger-server on 127.0.0.1 (port 0, fresh data dir) and talks to
it with the raw clients of test_subscriptions.py (STARTTLS, SASL PLAIN,
bind, a reader thread), so every stanza the server sends can be checked:

  scenario 49   carbons (XEP-0280): sent/received copies, private +
                no-copy, a forged carbon passes through untouched
  scenario 50   MAM (XEP-0313 + XEP-0059): 25 messages paged backwards
                from the end, the 'with' filter, unknown ids, the live
                stanza-id (XEP-0359) is the archive id, anti-spoofing,
                the form, time filters, #extended (ids, flip-page,
                metadata), nobody else's archive; the RSM answers:
                <count/>, <first index/>, <before/> down to the first
                page, <max>0</max> alone, counts within the filters
  scenario 52   blocking (XEP-0191): pushes, unavailable, bounces both
                ways, unblock restores presence
  scenario 53   receipts pass through (and are carbon-copied, not
                archived)
  vcard-temp    set/get own and others', empty when none, size limit
  scenario 58   disco: the domain's features and items, an account's
                info only for itself and its subscribers
  archive=false no archive, no stanza-ids, nothing advertised
  slixmpp       a third-party client enables carbons and pages its
                archive (tests/interop/slixpeer.py)

Environment: MESSENGER_BUILD_ROOT (the meson build dir) locates
src/server/messenger-server; MESSENGER_SOURCE_ROOT the source tree.
"""

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import traceback
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_subscriptions import (  # noqa: E402
    DOMAIN, NS_CLIENT, Client, Failure, Scenarios, Server, Tap, check,
    error_condition, is_presence, q, run, to_text, xml_escape)

NS_CARBONS = 'urn:xmpp:carbons:2'
NS_FORWARD = 'urn:xmpp:forward:0'
NS_HINTS = 'urn:xmpp:hints'
NS_MAM = 'urn:xmpp:mam:2'
NS_RSM = 'http://jabber.org/protocol/rsm'
NS_DATA = 'jabber:x:data'
NS_DELAY = 'urn:xmpp:delay'
NS_SID = 'urn:xmpp:sid:0'
NS_BLOCKING = 'urn:xmpp:blocking'
NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors'
NS_RECEIPTS = 'urn:xmpp:receipts'
NS_VCARD = 'vcard-temp'
NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'
NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items'

SOURCE_ROOT = os.environ.get(
    'MESSENGER_SOURCE_ROOT',
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SLIXPEER = os.path.join(SOURCE_ROOT, 'tests', 'interop', 'slixpeer.py')


# --- the server, with a config file ---------------------------------------

class ConfiguredServer(Server):
    """test_subscriptions.Server plus a [server] key file."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def start(self):
        path = os.path.join(self.dir, 'server.conf')
        with open(path, 'w') as f:
            f.write('[server]\n')
            for k, v in self.config.items():
                f.write('%s=%s\n' % (k, v))
        real = subprocess.Popen

        def popen(args, *a, **kw):
            return real(list(args) + ['--config', path], *a, **kw)

        # Server.start() builds the command line itself: add --config to it.
        subprocess.Popen = popen
        try:
            super().start()
        finally:
            subprocess.Popen = real


# --- stanza helpers -------------------------------------------------------------

def is_message(elem, from_=None):
    if elem is None or elem.tag != q(NS_CLIENT, 'message'):
        return False
    return from_ is None or elem.get('from') == from_


def body_of(elem):
    return elem.findtext(q(NS_CLIENT, 'body'))


def has_body(elem, text, from_=None):
    return is_message(elem, from_) and body_of(elem) == text


def carbon(elem, direction):
    """The forwarded message of a <sent/>/<received/> carbon, or None."""
    if not is_message(elem):
        return None
    wrapper = elem.find(q(NS_CARBONS, direction))
    if wrapper is None:
        return None
    fwd = wrapper.find(q(NS_FORWARD, 'forwarded'))
    return fwd.find(q(NS_CLIENT, 'message')) if fwd is not None else None


def is_carbon(elem, direction, text=None):
    inner = carbon(elem, direction)
    return inner is not None and (text is None or body_of(inner) == text)


def stanza_ids(elem):
    return [(s.get('by'), s.get('id')) for s in elem.findall(q(NS_SID, 'stanza-id'))]


def chat(to, text, extra='', type_='chat', ident=None):
    return "<message to='%s' type='%s'%s><body>%s</body>%s</message>" % (
        to, type_, " id='%s'" % ident if ident else '', xml_escape(text), extra)


def quiet(*clients):
    """Barrier on every client, then what each got since the last call."""
    for c in clients:
        c.barrier()
    for c in clients:
        c.barrier()
    return [c.take_all() for c in clients]


def check_nothing(client, got, what):
    check(not got, '%s: %s, got %s' % (client.jid, what, [to_text(e) for e in got]))


def check_error(res, condition, what):
    check(res.get('type') == 'error' and error_condition(res) == condition,
          '%s: expected %s, got %s' % (what, condition, to_text(res)))


def enable_carbons(client):
    res = client.iq('set', "<enable xmlns='%s'/>" % NS_CARBONS)
    check(res.get('type') == 'result', 'carbons enabled: %s' % to_text(res))


def disco_features(res):
    query = res.find(q(NS_DISCO_INFO, 'query'))
    return [f.get('var') for f in query.findall(q(NS_DISCO_INFO, 'feature'))]


# --- MAM --------------------------------------------------------------------------

class Page:
    def __init__(self, results, fin_iq):
        self.iq = fin_iq
        self.results = results          # [(id, stamp, inner message)]
        fin = fin_iq.find(q(NS_MAM, 'fin')) if fin_iq.get('type') == 'result' else None
        self.complete = fin is not None and fin.get('complete') in ('true', '1')
        rsm = fin.find(q(NS_RSM, 'set')) if fin is not None else None
        self.first = rsm.findtext(q(NS_RSM, 'first')) if rsm is not None else None
        self.last = rsm.findtext(q(NS_RSM, 'last')) if rsm is not None else None
        self.has_set = rsm is not None
        count = rsm.findtext(q(NS_RSM, 'count')) if rsm is not None else None
        self.count = int(count) if count is not None else None
        first = rsm.find(q(NS_RSM, 'first')) if rsm is not None else None
        index = first.get('index') if first is not None else None
        self.index = int(index) if index is not None else None

    def bodies(self):
        return [body_of(m) for _, _, m in self.results]

    def ids(self):
        return [i for i, _, _ in self.results]


def mam_form(fields):
    out = "<x xmlns='%s' type='submit'><field var='FORM_TYPE' type='hidden'>" \
          "<value>%s</value></field>" % (NS_DATA, NS_MAM)
    for var, values in fields:
        if isinstance(values, str):
            values = [values]
        out += "<field var='%s'>%s</field>" % (
            var, ''.join('<value>%s</value>' % xml_escape(v) for v in values))
    return out + '</x>'


def mam_query(client, fields=(), max_=None, before=None, after=None, flip=False,
              queryid=None, to=None):
    queryid = queryid or client.next_id()
    rsm = ''
    if max_ is not None or before is not None or after is not None:
        rsm = "<set xmlns='%s'>" % NS_RSM
        if max_ is not None:
            rsm += '<max>%d</max>' % max_
        if after is not None:
            rsm += '<after>%s</after>' % after
        if before is not None:
            rsm += '<before>%s</before>' % before if before else '<before/>'
        rsm += '</set>'
    payload = "<query xmlns='%s' queryid='%s'>%s%s%s</query>" % (
        NS_MAM, queryid, mam_form(fields) if fields else '', rsm,
        '<flip-page/>' if flip else '')
    fin = client.iq('set', payload, to=to)
    # The results were sent before the iq result: all in the inbox now.
    results = []
    for elem in client.take_all():
        res = elem.find(q(NS_MAM, 'result')) if is_message(elem) else None
        if res is None:
            client.inbox.append(elem)
            continue
        check(res.get('queryid') == queryid, 'result for query %s: %s' % (queryid, to_text(elem)))
        check(elem.get('from') in (None, client.bare), 'result from the own account')
        fwd = res.find(q(NS_FORWARD, 'forwarded'))
        delay = fwd.find(q(NS_DELAY, 'delay'))
        check(delay is not None and re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$',
                                             delay.get('stamp', '')),
              'result has a UTC delay stamp: %s' % to_text(elem))
        results.append((res.get('id'), delay.get('stamp'), fwd.find(q(NS_CLIENT, 'message'))))
    return Page(results, fin)


# --- slixmpp ------------------------------------------------------------------------

class SlixPeer:
    def __init__(self, port, jid, password, *extra):
        env = dict(os.environ)
        env['PYTHONDONTWRITEBYTECODE'] = '1'
        python = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
        self.proc = subprocess.Popen(
            [python, SLIXPEER, '--jid', jid, '--password', password, '--host', '127.0.0.1',
             '--port', str(port), '--insecure-loopback', '--timeout', '10'] + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, text=True)
        self.events = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue
        self.events.put(None)

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + '\n')
        self.proc.stdin.flush()

    def wait(self, pred, what, timeout=15):
        deadline = time.time() + timeout
        while True:
            for i, ev in enumerate(self.seen):
                if pred(ev):
                    return self.seen.pop(i)
            left = deadline - time.time()
            if left <= 0:
                raise Failure('slixpeer: no %s; saw %s' % (what, self.seen))
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev is None:
                raise Failure('slixpeer ended while waiting for %s; saw %s' % (what, self.seen))
            if ev.get('event') == 'error':
                raise Failure('slixpeer error: %s' % ev)
            self.seen.append(ev)

    def quit(self):
        try:
            self.send(cmd='quit')
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the tests ------------------------------------------------------------------------

class Tests(Scenarios):

    def s49_carbons(self):
        a1 = self.c('c49a', 'one', priority=5)
        a2 = self.c('c49a', 'two', priority=1)
        a3 = self.c('c49a', 'three', priority=1)
        b = self.c('c49b', 'b')
        enable_carbons(a1)
        enable_carbons(a2)
        enable_carbons(a2)          # §10.1: a repeat is no error
        quiet(a1, a2, a3, b)

        # A1 → B: A2 gets <sent/>; A1 (the sender) and A3 (no carbons) nothing.
        a1.send(chat(b.bare, 'out 1'))
        b.wait_for(lambda e: has_body(e, 'out 1', a1.jid), 'the message from A1')
        sent = a2.wait_for(lambda e: is_carbon(e, 'sent', 'out 1'), 'a <sent/> carbon')
        check(sent.get('from') == a1.bare and sent.get('to') == a2.jid and sent.get('type') == 'chat',
              'carbon wrapper from the bare JID to A2: %s' % to_text(sent))
        inner = carbon(sent, 'sent')
        check(inner.get('from') == a1.jid and inner.get('to') == b.bare,
              'the sent copy keeps its addresses: %s' % to_text(inner))
        got = quiet(a1, a2, a3, b)
        check_nothing(a1, got[0], 'no copy to the sender')
        check_nothing(a2, got[1], 'exactly one copy')
        check_nothing(a3, got[2], 'no copy without carbons')

        # B → A1's full JID: A2 gets <received/>.
        b.send(chat(a1.jid, 'in 1'))
        a1.wait_for(lambda e: has_body(e, 'in 1', b.jid), 'the message to A1')
        rec = a2.wait_for(lambda e: is_carbon(e, 'received', 'in 1'), 'a <received/> carbon')
        inner = carbon(rec, 'received')
        check(rec.get('from') == a2.bare and inner.get('from') == b.jid and inner.get('to') == a1.jid,
              'received copy: %s' % to_text(rec))
        check(any(by == a1.bare for by, _ in stanza_ids(inner)),
              'the copy carries the archive stanza-id: %s' % to_text(inner))
        got = quiet(a1, a2, a3)
        check_nothing(a1, got[0], 'no copy to the recipient')
        check_nothing(a3, got[2], 'no copy without carbons')

        # Scenario 39: to the bare JID, A1 (priority 5) gets it, A2 a copy.
        b.send(chat(a1.bare, 'bare 1'))
        msg = a1.wait_for(lambda e: has_body(e, 'bare 1', b.jid), 'the message to the bare JID')
        check(msg.get('to') == a1.bare, "'to' is still the bare JID")
        a2.wait_for(lambda e: is_carbon(e, 'received', 'bare 1'), 'a <received/> carbon of a bare message')
        got = quiet(a1, a2, a3)
        check_nothing(a1, got[0], 'one copy only')
        check_nothing(a2, got[1], 'one copy only')

        # A3 has carbons off but its messages are still copied to A1, A2.
        a3.send(chat(b.bare, 'out 3'))
        b.wait_for(lambda e: has_body(e, 'out 3', a3.jid), 'the message from A3')
        a1.wait_for(lambda e: is_carbon(e, 'sent', 'out 3'), 'A1 copy of A3')
        a2.wait_for(lambda e: is_carbon(e, 'sent', 'out 3'), 'A2 copy of A3')

        # <private/> + <no-copy/> both ways: no copies at all.
        hints = "<private xmlns='%s'/><no-copy xmlns='%s'/>" % (NS_CARBONS, NS_HINTS)
        a1.send(chat(b.bare, 'secret out', hints))
        b.send(chat(a1.jid, 'secret in', hints))
        b.wait_for(lambda e: has_body(e, 'secret out'), 'the private message')
        a1.wait_for(lambda e: has_body(e, 'secret in'), 'the private message')
        got = quiet(a1, a2, a3, b)
        check_nothing(a2, got[1], 'no copies of private messages')
        check_nothing(a3, got[2], 'no copies of private messages')

        # A forged carbon from B reaches A1 as an ordinary message from B
        # (the client ignores it: §11) and is not wrapped again.
        forged = ("<message to='%s' type='chat'><received xmlns='%s'><forwarded xmlns='%s'>"
                  "<message xmlns='jabber:client' from='evil@%s/x' to='%s' type='chat'>"
                  "<body>forged</body></message></forwarded></received></message>") % (
            a1.jid, NS_CARBONS, NS_FORWARD, DOMAIN, a1.jid)
        b.send(forged)
        f = a1.wait_for(lambda e: is_carbon(e, 'received', 'forged'), 'the forged carbon')
        check(f.get('from') == b.jid, 'forged carbon shows its real sender: %s' % to_text(f))
        got = quiet(a1, a2)
        check_nothing(a2, got[1], 'a carbon is never copied')

        # Headline and groupchat are not copied; disable stops the copies.
        b.send("<message to='%s' type='headline'><body>news</body></message>" % a1.jid)
        a1.wait_for(lambda e: has_body(e, 'news'), 'the headline')
        res = a2.iq('set', "<disable xmlns='%s'/>" % NS_CARBONS)
        check(res.get('type') == 'result', 'carbons disabled')
        a1.send(chat(b.bare, 'after disable'))
        b.wait_for(lambda e: has_body(e, 'after disable'), 'the message')
        got = quiet(a1, a2)
        check_nothing(a2, got[1], 'no copies after disable (nor of the headline)')

        # Carbons are for the own account only.
        res = b.iq('set', "<enable xmlns='%s'/>" % NS_CARBONS, to=a1.bare)
        check(res.get('type') == 'error', "enabling someone else's carbons fails: %s" % to_text(res))
        for c in (a1, a2, a3, b):
            c.close()

    def s50_mam(self):
        a = self.c('m50a', 'a')
        b = self.c('m50b', 'b')
        c = self.c('m50c', 'c')
        res = a.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to=a.bare)
        feats = disco_features(res)
        check(NS_MAM in feats and NS_SID in feats and NS_MAM + '#extended' in feats,
              'the account advertises MAM and stanza-ids: %s' % feats)

        for i in range(3):
            c.send(chat(a.bare, 'from c %d' % i))
            a.wait_for(lambda e, i=i: has_body(e, 'from c %d' % i), 'message from C')
        live = {}
        for i in range(25):
            text = 'm%d' % i
            if i % 2 == 0:
                b.send(chat(a.bare, text))
                msg = a.wait_for(lambda e, t=text: has_body(e, t), text)
                ids = stanza_ids(msg)
                check(len([x for x in ids if x[0] == a.bare]) == 1, 'one stanza-id by A: %s' % ids)
                live[text] = dict(ids)[a.bare]
            else:
                a.send(chat(b.bare, text))
                msg = b.wait_for(lambda e, t=text: has_body(e, t), text)
                by = [x[0] for x in stanza_ids(msg)]
                check(by == [b.bare], "B's copy has B's stanza-id only, not A's: %s" % to_text(msg))
        quiet(a, b, c)

        # Scenario 50: the last page of the conversation with B, then back.
        with_b = [('with', b.bare)]
        p1 = mam_query(a, with_b, max_=10, before='')
        check(p1.bodies() == ['m%d' % i for i in range(15, 25)],
              'last page: newest 10 in chronological order: %s' % p1.bodies())
        check(not p1.complete, 'the last page is not complete (older ones exist)')
        check(p1.first == p1.ids()[0] and p1.last == p1.ids()[-1], 'first/last name the page')
        check(p1.results[-1][0] == live['m24'], "the live stanza-id is the archive id")
        inner = p1.results[-1][2]
        check(inner.get('from') == b.jid and inner.get('to') == a.bare and inner.get('type') == 'chat',
              'the archived message keeps its addresses: %s' % to_text(inner))
        sent = p1.results[-2][2]
        check(sent.get('from') == a.jid and sent.get('to') == b.bare, 'outgoing messages archived too')
        p2 = mam_query(a, with_b, max_=10, before=p1.first)
        check(p2.bodies() == ['m%d' % i for i in range(5, 15)] and not p2.complete,
              'second page back: %s complete=%s' % (p2.bodies(), p2.complete))
        p3 = mam_query(a, with_b, max_=10, before=p2.first)
        check(p3.bodies() == ['m%d' % i for i in range(0, 5)] and p3.complete,
              'third page back is complete: %s complete=%s' % (p3.bodies(), p3.complete))

        # Forwards through everything, without a filter.
        seen, after = [], None
        for _ in range(10):
            page = mam_query(a, max_=10, after=after)
            seen += page.bodies()
            if page.complete:
                break
            after = page.last
        check(seen == ['from c %d' % i for i in range(3)] + ['m%d' % i for i in range(25)],
              'paging forwards gives all 28 in order: %s' % seen)
        pc = mam_query(a, [('with', c.bare)])
        check(pc.bodies() == ['from c %d' % i for i in range(3)] and pc.complete, "'with' C: %s" % pc.bodies())
        pb = mam_query(b, [('with', a.bare)], max_=100)
        check(len(pb.results) == 25 and pb.complete, "B's archive has its side: %d" % len(pb.results))

        # Errors: unknown ids, unknown fields, someone else's archive.
        res = mam_query(a, max_=10, after='no-such-id').iq
        check_error(res, 'item-not-found', 'unknown <after/>')
        res = mam_query(a, max_=10, before='AAAAAAAAAAA').iq
        check_error(res, 'item-not-found', 'unknown <before/>')
        res = mam_query(a, [('no-such-field', 'x')]).iq
        check_error(res, 'feature-not-implemented', 'unknown form field')
        res = mam_query(a, [('start', 'yesterday')]).iq
        check_error(res, 'bad-request', 'a start that is no date')
        res = mam_query(b, to=a.bare).iq
        check_error(res, 'service-unavailable', "B queries A's archive")

        # Time filters.
        empty = mam_query(a, [('end', '2000-01-01T00:00:00Z')])
        check(empty.results == [] and empty.complete and empty.first is None and empty.has_set,
              'nothing before 2000, an empty <set/>: %s' % to_text(empty.iq))
        check(mam_query(a, [('start', '2999-01-01T00:00:00Z')]).results == [], 'nothing after 2999')
        stamp = p1.results[0][1]
        since = mam_query(a, [('with', b.bare), ('start', stamp)], max_=100)
        check('m15' in since.bodies() and 'm10' not in since.bodies(),
              "'start' is inclusive: %s" % since.bodies())

        # #extended: ids, after-id/before-id, flip-page, metadata.
        ids = mam_query(a, [('ids', [live['m24'], live['m0']])])
        check(ids.bodies() == ['m0', 'm24'], 'ids fetch exactly those: %s' % ids.bodies())
        check_error(mam_query(a, [('ids', ['nope'])]).iq, 'item-not-found', 'unknown id in ids')
        between = mam_query(a, [('after-id', live['m0']), ('before-id', live['m24'])], max_=100)
        check(between.bodies() == ['m%d' % i for i in range(1, 24)] and between.complete,
              'after-id/before-id: %s' % between.bodies())
        flipped = mam_query(a, with_b, max_=10, before='', flip=True)
        check(flipped.bodies() == list(reversed(p1.bodies())) and flipped.first == p1.first,
              'flip-page reverses the sending order only: %s' % flipped.bodies())
        res = a.iq('get', "<metadata xmlns='%s'/>" % NS_MAM)
        meta = res.find(q(NS_MAM, 'metadata'))
        check(meta is not None and meta.find(q(NS_MAM, 'end')).get('id') == live['m24'],
              'metadata names the last message: %s' % to_text(res))

        # The form (§4.1.5).
        res = a.iq('get', "<query xmlns='%s'/>" % NS_MAM)
        form = res.find(q(NS_MAM, 'query')).find(q(NS_DATA, 'x'))
        fields = [f.get('var') for f in form.findall(q(NS_DATA, 'field'))]
        check({'FORM_TYPE', 'with', 'start', 'end'} <= set(fields), 'the form: %s' % fields)

        # XEP-0359 §3: a stanza-id claiming to be A's is replaced, others stay.
        b.send(chat(a.bare, 'spoof', "<stanza-id xmlns='%s' by='%s' id='forged'/>"
                                     "<stanza-id xmlns='%s' by='room@muc.example' id='keep'/>"
                    % (NS_SID, a.bare.upper(), NS_SID)))
        msg = a.wait_for(lambda e: has_body(e, 'spoof'), 'the spoofing message')
        ids = stanza_ids(msg)
        mine = [i for by, i in ids if by.lower() == a.bare]
        check(len(mine) == 1 and mine[0] != 'forged', 'the forged id is gone: %s' % ids)
        check(('room@muc.example', 'keep') in ids, "another entity's id stays: %s" % ids)

        # Not archived: no body, headlines, the no-store hint.
        b.send("<message to='%s' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/>"
               "</message>" % a.bare)
        b.send("<message to='%s' type='headline'><body>headline</body></message>" % a.jid)
        b.send(chat(a.bare, 'no-store', "<no-store xmlns='%s'/>" % NS_HINTS))
        a.wait_for(lambda e: has_body(e, 'no-store'), 'the no-store message')
        last = mam_query(a, max_=1, before='')
        check(last.bodies() == ['spoof'], 'only messages with a body are archived: %s' % last.bodies())
        for x in (a, b, c):
            x.close()

    def s50_mam_rsm(self):
        # XEP-0059 answers: <count/>, <first index/>, <before/> paging
        # down to the first message, <max>0</max> for the count alone,
        # counts relative to the filters (with, start, after-id).
        a = self.c('n50a', 'a')
        b = self.c('n50b', 'b')
        c = self.c('n50c', 'c')
        ids = []
        for i in range(12):
            b.send(chat(a.bare, 'r%d' % i))
            msg = a.wait_for(lambda e, i=i: has_body(e, 'r%d' % i), 'r%d' % i)
            ids.append(dict(stanza_ids(msg))[a.bare])
        for i in range(3):
            a.send(chat(c.bare, 'to c %d' % i))
            c.wait_for(lambda e, i=i: has_body(e, 'to c %d' % i), 'to c %d' % i)
        quiet(a, b, c)
        with_b = [('with', b.bare)]

        # <max>0</max>: no message, only the size of the result set.
        only = mam_query(a, max_=0)
        check(only.results == [] and only.count == 15 and only.first is None and only.last is None,
              'max 0: count 15 and nothing else: %s' % to_text(only.iq))
        check(not only.complete, 'max 0 of a non-empty archive is not complete')
        only_b = mam_query(a, with_b, max_=0)
        check(only_b.count == 12 and only_b.results == [], "max 0 with 'with' B: %s" % to_text(only_b.iq))
        only_c = mam_query(a, [('with', c.bare)], max_=0, before='')
        check(only_c.count == 3, "max 0 with 'with' C and <before/>: %s" % to_text(only_c.iq))

        # The last page, then <before/> back to the very first message.
        p1 = mam_query(a, with_b, max_=5, before='')
        check(p1.bodies() == ['r%d' % i for i in range(7, 12)] and not p1.complete,
              'last page: %s' % p1.bodies())
        check(p1.count == 12 and p1.index == 7 and p1.first == ids[7] and p1.last == ids[11],
              'last page: count 12, first index 7: %s' % to_text(p1.iq))
        p2 = mam_query(a, with_b, max_=5, before=p1.first)
        check(p2.bodies() == ['r%d' % i for i in range(2, 7)] and not p2.complete
              and p2.count == 12 and p2.index == 2, 'second page back: %s' % to_text(p2.iq))
        p3 = mam_query(a, with_b, max_=5, before=p2.first)
        check(p3.bodies() == ['r0', 'r1'] and p3.complete and p3.count == 12 and p3.index == 0,
              'first page reached by <before/>: %s' % to_text(p3.iq))
        p4 = mam_query(a, with_b, max_=5, before=p3.first)
        check(p4.results == [] and p4.complete and p4.count == 12 and p4.first is None,
              'nothing before the first: %s' % to_text(p4.iq))

        # Forwards: the index follows the pages; the whole archive too.
        f1 = mam_query(a, max_=4)
        check(f1.index == 0 and f1.count == 15 and f1.bodies() == ['r0', 'r1', 'r2', 'r3'],
              'first page forwards: %s' % to_text(f1.iq))
        f2 = mam_query(a, max_=4, after=f1.last)
        check(f2.index == 4 and f2.count == 15 and f2.bodies() == ['r4', 'r5', 'r6', 'r7'],
              'second page forwards: %s' % to_text(f2.iq))
        end = mam_query(a, max_=10, after=ids[9])
        check(end.bodies() == ['r10', 'r11', 'to c 0', 'to c 1', 'to c 2'] and end.complete
              and end.index == 10 and end.count == 15, 'the end, complete: %s' % to_text(end.iq))

        # The form's bounds define the result set the count and index refer to.
        sub = mam_query(a, [('after-id', ids[3]), ('with', b.bare)], max_=3)
        check(sub.bodies() == ['r4', 'r5', 'r6'] and sub.count == 8 and sub.index == 0,
              'after-id bounds the set: %s' % to_text(sub.iq))
        sub2 = mam_query(a, [('after-id', ids[3]), ('before-id', ids[10])], max_=3, before='')
        check(sub2.bodies() == ['r7', 'r8', 'r9'] and sub2.count == 6 and sub2.index == 3,
              'after-id/before-id with <before/>: %s' % to_text(sub2.iq))
        stamp = p1.results[0][1]          # r7's time (ms precision: r6 may share it)
        since_all = mam_query(a, with_b + [('start', stamp)], max_=100)
        since = mam_query(a, with_b + [('start', stamp)], max_=2)
        check('r7' in since_all.bodies() and 'r0' not in since_all.bodies()
              and since.count == len(since_all.results) == since_all.count and since.index == 0,
              "'start' bounds the count: %s" % to_text(since.iq))
        none = mam_query(a, [('end', '2000-01-01T00:00:00Z')], max_=0)
        check(none.count == 0 and none.complete, 'an empty set counts 0: %s' % to_text(none.iq))
        listed = mam_query(a, [('ids', [ids[5], ids[1]])])
        check(listed.bodies() == ['r1', 'r5'] and listed.count == 2 and listed.index == 0,
              'ids: count of what was found: %s' % to_text(listed.iq))

        # Jumping to an index would be an OFFSET scan: refused.
        res = a.iq('set', "<query xmlns='%s'><set xmlns='%s'><max>2</max><index>3</index></set></query>"
                   % (NS_MAM, NS_RSM))
        check_error(res, 'feature-not-implemented', '<index/> in a request')
        for x in (a, b, c):
            x.close()

    def s52_blocking(self):
        a1 = self.c('b52a', 'one')
        b = self.c('b52b', 'b')
        self.befriend(a1, b)
        a2 = self.c('b52a', 'two')
        a1.presence(status='here')
        quiet(a1, a2, b)

        for c in (a1, a2):
            res = c.iq('get', "<blocklist xmlns='%s'/>" % NS_BLOCKING)
            items = res.find(q(NS_BLOCKING, 'blocklist')).findall(q(NS_BLOCKING, 'item'))
            check(items == [], 'empty block list at first')
        check_error(a1.iq('set', "<block xmlns='%s'/>" % NS_BLOCKING), 'bad-request', 'empty <block/>')
        check_error(a1.iq('set', "<block xmlns='%s'><item jid='@@'/></block>" % NS_BLOCKING),
                    'jid-malformed', 'a bad JID')

        res = a1.iq('set', "<block xmlns='%s'><item jid='%s'/></block>" % (NS_BLOCKING, b.bare))
        check(res.get('type') == 'result', 'block: %s' % to_text(res))
        push = a2.wait_for(lambda e: e.get('type') == 'set' and e.find(q(NS_BLOCKING, 'block')) is not None,
                           'the block push on the other resource')
        item = push.find(q(NS_BLOCKING, 'block')).find(q(NS_BLOCKING, 'item'))
        check(item.get('jid') == b.bare, 'push names B')
        for r in (a1, a2):
            b.wait_for(lambda e, r=r: is_presence(e, 'unavailable', r.jid), 'unavailable from %s' % r.jid)
            # A hears no more from B: its resources are told B is gone.
            r.wait_for(lambda e: is_presence(e, 'unavailable', b.jid), 'unavailable from B')

        # B → A: bounced; B's presence does not arrive.
        b.send(chat(a1.bare, 'let me in', ident='blk1'))
        err = b.wait_for(lambda e: is_message(e) and e.get('type') == 'error', 'the bounce')
        check(err.get('id') == 'blk1' and error_condition(err) == 'service-unavailable',
              'service-unavailable: %s' % to_text(err))
        res = b.iq('get', "<vCard xmlns='%s'/>" % NS_VCARD, to=a1.bare)
        check_error(res, 'service-unavailable', 'iq from a blocked JID')
        b.presence(status='still here')
        got = quiet(a1, a2, b)
        for c, g in ((a1, got[0]), (a2, got[1])):
            check_nothing(c, [e for e in g if not e.get('type') == 'set'], 'nothing from B')

        # A → B: not-acceptable + <blocked/>.
        a1.send(chat(b.bare, 'hello?', ident='blk2'))
        err = a1.wait_for(lambda e: is_message(e) and e.get('type') == 'error', 'the refusal')
        check(err.get('id') == 'blk2' and error_condition(err) == 'not-acceptable'
              and err.find(q(NS_CLIENT, 'error')).find(q(NS_BLOCKING_ERRORS, 'blocked')) is not None,
              'not-acceptable with <blocked/>: %s' % to_text(err))
        got = quiet(b)
        check_nothing(b, got[0], 'B gets nothing')
        check(mam_query(a1, [('with', b.bare)]).results == [], 'refused messages are not archived')

        res = a2.iq('get', "<blocklist xmlns='%s'/>" % NS_BLOCKING)
        items = [i.get('jid') for i in res.find(q(NS_BLOCKING, 'blocklist'))]
        check(items == [b.bare], 'the list has B: %s' % items)

        # Unblock: pushes, and presence flows again both ways.
        res = a1.iq('set', "<unblock xmlns='%s'><item jid='%s'/></unblock>" % (NS_BLOCKING, b.bare))
        check(res.get('type') == 'result', 'unblock')
        a2.wait_for(lambda e: e.get('type') == 'set' and e.find(q(NS_BLOCKING, 'unblock')) is not None,
                    'the unblock push')
        p = b.wait_for(lambda e: is_presence(e, None, a1.jid), "A1's presence again")
        check(p.findtext(q(NS_CLIENT, 'status')) == 'here', "A1's current presence: %s" % to_text(p))
        b.wait_for(lambda e: is_presence(e, None, a2.jid), "A2's presence again")
        a1.wait_for(lambda e: is_presence(e, None, b.jid), "B's presence for A")
        b.send(chat(a1.bare, 'back'))
        a1.wait_for(lambda e: has_body(e, 'back'), 'messages flow again')

        # A domain item and an empty <unblock/> (everything).
        res = a1.iq('set', "<block xmlns='%s'><item jid='%s'/><item jid='x@elsewhere.example'/></block>"
                    % (NS_BLOCKING, DOMAIN.upper()))
        check(res.get('type') == 'result', 'block a domain')
        b.send(chat(a1.bare, 'domain blocked', ident='blk3'))
        err = b.wait_for(lambda e: is_message(e) and e.get('type') == 'error', 'the bounce')
        check(error_condition(err) == 'service-unavailable', 'the whole domain is blocked')
        res = a1.iq('get', "<ping xmlns='urn:xmpp:ping'/>", to=DOMAIN)
        check(res.get('type') == 'result', 'the server itself is never blocked')
        res = a1.iq('set', "<unblock xmlns='%s'/>" % NS_BLOCKING)
        check(res.get('type') == 'result', 'unblock all')
        res = a1.iq('get', "<blocklist xmlns='%s'/>" % NS_BLOCKING)
        check(list(res.find(q(NS_BLOCKING, 'blocklist'))) == [], 'the list is empty again')
        b.send(chat(a1.bare, 'free'))
        a1.wait_for(lambda e: has_body(e, 'free'), 'messages flow after unblock-all')
        for c in (a1, a2, b):
            c.close()

    def s53_receipts(self):
        a = self.c('r53a', 'a')
        a2 = self.c('r53a', 'a2')
        b = self.c('r53b', 'b')
        enable_carbons(a2)
        a.send(chat(b.bare, 'ack me', "<request xmlns='%s'/>" % NS_RECEIPTS, ident='m1'))
        m = b.wait_for(lambda e: has_body(e, 'ack me'), 'the message')
        check(m.get('id') == 'm1' and m.find(q(NS_RECEIPTS, 'request')) is not None,
              'the request arrives with its id')
        b.send("<message to='%s' id='r1'><received xmlns='%s' id='m1'/></message>" % (m.get('from'), NS_RECEIPTS))
        ack = a.wait_for(lambda e: is_message(e, b.jid) and e.find(q(NS_RECEIPTS, 'received')) is not None,
                         'the receipt')
        check(ack.find(q(NS_RECEIPTS, 'received')).get('id') == 'm1', 'the receipt names m1')
        a2.wait_for(lambda e: is_carbon(e, 'sent', 'ack me'), 'a carbon of the request')
        a2.wait_for(lambda e: carbon(e, 'received') is not None
                    and carbon(e, 'received').find(q(NS_RECEIPTS, 'received')) is not None,
                    'a carbon of the receipt (§6.1)')
        page = mam_query(b, [('with', a.bare)])
        check(page.bodies() == ['ack me'], 'the receipt is not archived: %s' % page.bodies())
        for c in (a, a2, b):
            c.close()

    def vcard(self):
        a = self.c('v1a', 'a')
        b = self.c('v1b', 'b')
        photo = 'iVBORw0KGgo' * 100
        card = ("<vCard xmlns='%s'><FN>Vera Card</FN><PHOTO><TYPE>image/png</TYPE>"
                "<BINVAL>%s</BINVAL></PHOTO></vCard>") % (NS_VCARD, photo)
        res = a.iq('set', card)
        check(res.get('type') == 'result', 'vCard set: %s' % to_text(res))
        res = a.iq('get', "<vCard xmlns='%s'/>" % NS_VCARD)
        v = res.find(q(NS_VCARD, 'vCard'))
        check(v is not None and v.findtext(q(NS_VCARD, 'FN')) == 'Vera Card', 'own vCard: %s' % to_text(res))
        res = b.iq('get', "<vCard xmlns='%s'/>" % NS_VCARD, to=a.bare)
        v = res.find(q(NS_VCARD, 'vCard'))
        check(res.get('from') == a.bare and v.findtext(q(NS_VCARD, 'FN')) == 'Vera Card'
              and v.find(q(NS_VCARD, 'PHOTO')).findtext(q(NS_VCARD, 'BINVAL')) == photo,
              "A's vCard as B sees it")
        res = b.iq('get', "<vCard xmlns='%s'/>" % NS_VCARD)
        v = res.find(q(NS_VCARD, 'vCard'))
        check(res.get('type') == 'result' and v is not None and len(v) == 0, 'no vCard: an empty one')
        res = b.iq('set', card, to=a.bare)
        check_error(res, 'forbidden', "setting A's vCard")
        big = "<vCard xmlns='%s'><PHOTO><BINVAL>%s</BINVAL></PHOTO></vCard>" % (NS_VCARD, 'A' * (130 * 1024))
        check_error(a.iq('set', big), 'policy-violation', 'a vCard over 128 KiB')
        res = a.iq('set', "<vCard xmlns='%s'><NICKNAME>v</NICKNAME></vCard>" % NS_VCARD, to=a.bare)
        check(res.get('type') == 'result', 'set to the own bare JID')
        res = b.iq('get', "<vCard xmlns='%s'/>" % NS_VCARD, to=a.bare)
        v = res.find(q(NS_VCARD, 'vCard'))
        check(v.findtext(q(NS_VCARD, 'NICKNAME')) == 'v' and v.find(q(NS_VCARD, 'FN')) is None, 'replaced')
        res = b.iq('get', "<vCard xmlns='%s'/>" % NS_VCARD, to='nobody@' + DOMAIN)
        check_error(res, 'service-unavailable', 'no such account')
        a.close()
        b.close()

    def s58_disco(self):
        a = self.c('d58a', 'a')
        b = self.c('d58b', 'b')
        c = self.c('d58c', 'c')
        res = c.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to=DOMAIN)
        feats = disco_features(res)
        for f in (NS_DISCO_INFO, NS_DISCO_ITEMS, NS_CARBONS, NS_BLOCKING, NS_VCARD, NS_SID, 'urn:xmpp:ping'):
            check(f in feats, 'the server lists %s: %s' % (f, feats))
        res = c.iq('get', "<query xmlns='%s'/>" % NS_DISCO_ITEMS, to=DOMAIN)
        check(res.get('type') == 'result' and res.find(q(NS_DISCO_ITEMS, 'query')) is not None,
              'domain items: a (possibly empty) list')

        self.befriend(a, b)
        res = c.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to=a.bare)
        check_error(res, 'service-unavailable', 'disco#info from a non-subscriber')
        res = c.iq('get', "<query xmlns='%s'/>" % NS_DISCO_ITEMS, to=a.bare)
        check_error(res, 'service-unavailable', 'disco#items from a non-subscriber')
        res = c.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to='ghost@' + DOMAIN)
        check_error(res, 'service-unavailable', 'disco#info of no account')
        res = b.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to=a.bare)
        query = res.find(q(NS_DISCO_INFO, 'query'))
        idents = [(i.get('category'), i.get('type')) for i in query.findall(q(NS_DISCO_INFO, 'identity'))]
        check(res.get('from') == a.bare and ('account', 'registered') in idents,
              'a subscriber sees account/registered: %s' % to_text(res))
        check(NS_MAM in disco_features(res), 'and the archive')
        res = b.iq('get', "<query xmlns='%s'/>" % NS_DISCO_ITEMS, to=a.bare)
        check(res.get('type') == 'result' and len(res.find(q(NS_DISCO_ITEMS, 'query'))) == 0,
              'a subscriber gets an empty item list')
        res = a.iq('get', "<query xmlns='%s' node='x'/>" % NS_DISCO_INFO, to=a.bare)
        check_error(res, 'item-not-found', 'an unknown node')
        res = a.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO)
        check(res.get('type') == 'result' and NS_MAM in disco_features(res), "no 'to': the own account")
        for x in (a, b, c):
            x.close()

    def slixmpp(self):
        # slixmpp without its XEP-0280/0313 plugins reports only messages
        # with a body: what it shows is the iq side; a raw resource of the
        # same account checks the copies and the pages.
        a = SlixPeer(self.server.port, 's1a@' + DOMAIN, 'secret-pw', '--resource', 'slix')
        b = SlixPeer(self.server.port, 's1b@' + DOMAIN, 'secret-pw', '--resource', 'slix')
        a2 = None
        try:
            a.wait(lambda e: e['event'] == 'session_start', 'session start')
            b.wait(lambda e: e['event'] == 'session_start', 'session start')
            a.send(cmd='iq', type='set', xml="<enable xmlns='%s'/>" % NS_CARBONS)
            a.wait(lambda e: e['event'] == 'iq_result', 'carbons enabled')
            a2 = Client(self.server, 's1a', 'raw', priority=-1)
            enable_carbons(a2)
            for i in range(3):
                b.send(cmd='send', to='s1a@' + DOMAIN, body='slix %d' % i)
                a.wait(lambda e, i=i: e['event'] == 'message' and e.get('body') == 'slix %d' % i,
                       'message %d' % i)
                a2.wait_for(lambda e, i=i: is_carbon(e, 'received', 'slix %d' % i), 'received carbon %d' % i)
            a.send(cmd='send', to='s1b@' + DOMAIN, body='from slix')
            b.wait(lambda e: e['event'] == 'message' and e.get('body') == 'from slix', 'the reply')
            a2.wait_for(lambda e: is_carbon(e, 'sent', 'from slix'), "a carbon of slixmpp's message")

            a.send(cmd='iq', type='get', xml="<query xmlns='%s'/>" % NS_MAM)
            form = a.wait(lambda e: e['event'] == 'iq_result', 'the MAM form')
            check('FORM_TYPE' in form['xml'] and NS_MAM in form['xml'], 'the form: %s' % form['xml'])
            a.send(cmd='iq', type='set', xml="<query xmlns='%s' queryid='sx'><set xmlns='%s'>"
                   "<max>10</max><before/></set></query>" % (NS_MAM, NS_RSM))
            fin = ET.fromstring(a.wait(lambda e: e['event'] == 'iq_result', 'the MAM result')['xml'])
            fin_el = fin.find(q(NS_MAM, 'fin'))
            check(fin_el is not None and fin_el.get('complete') == 'true', 'fin complete: %s' % to_text(fin))
            rsm = fin_el.find(q(NS_RSM, 'set'))
            page = mam_query(a2, max_=10, before='')
            check(page.bodies() == ['slix 0', 'slix 1', 'slix 2', 'from slix'], 'the archive: %s' % page.bodies())
            check(rsm.findtext(q(NS_RSM, 'first')) == page.first and rsm.findtext(q(NS_RSM, 'last')) == page.last,
                  'slixmpp sees the same page: %s' % to_text(fin))
            a.send(cmd='iq', type='set', xml="<query xmlns='%s'><set xmlns='%s'><after>%s</after></set></query>"
                   % (NS_MAM, NS_RSM, page.last))
            fin = ET.fromstring(a.wait(lambda e: e['event'] == 'iq_result', 'the next page')['xml'])
            fin_el = fin.find(q(NS_MAM, 'fin'))
            check(fin_el.get('complete') == 'true' and fin_el.find(q(NS_RSM, 'set')).find(q(NS_RSM, 'first')) is None,
                  'nothing after the last: %s' % to_text(fin))
            a.send(cmd='iq', type='set', xml="<query xmlns='%s'><set xmlns='%s'><after>nope</after></set></query>"
                   % (NS_MAM, NS_RSM))
            err = a.wait(lambda e: e['event'] == 'iq_error', 'the error')
            check(err['condition'] == 'item-not-found', 'unknown id: %s' % err)
        finally:
            a.quit()
            b.quit()
            if a2 is not None:
                a2.close()


def archive_off():
    server = ConfiguredServer({'archive': 'false'})
    try:
        server.add_users(['o1a', 'o1b'])
        server.start()
        a = Client(server, 'o1a', 'a')
        b = Client(server, 'o1b', 'b')
        b.send(chat(a.bare, 'unarchived', "<stanza-id xmlns='%s' by='%s' id='forged'/>" % (NS_SID, a.bare)))
        msg = a.wait_for(lambda e: has_body(e, 'unarchived'), 'the message')
        check(stanza_ids(msg) == [], 'no stanza-id, and the forged one removed: %s' % to_text(msg))
        res = a.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to=a.bare)
        check(res.get('type') == 'result' and NS_MAM not in disco_features(res),
              'no MAM advertised: %s' % to_text(res))
        check_error(mam_query(a).iq, 'service-unavailable', 'no archive to query')
        enable_carbons(a)
        # The server's features, asked twice: the answer must not consume
        # the list it is made from.
        for _ in range(2):
            feats = disco_features(a.iq('get', "<query xmlns='%s'/>" % NS_DISCO_INFO, to=DOMAIN))
            check(NS_CARBONS in feats and NS_MAM not in feats, 'server features: %s' % feats)
        a.close()
        b.close()
    except Failure as e:
        raise Failure('%s\nserver log:\n%s' % (e, '\n'.join(server.log[-20:])))
    finally:
        server.cleanup()


SCENARIOS = [
    ('49: carbons: sent/received copies, private + no-copy, forged carbons, disable', 's49_carbons',
     ['c49a', 'c49b']),
    ('50: MAM: paging from the end, filters, unknown ids, live stanza-id = archive id, #extended',
     's50_mam', ['m50a', 'm50b', 'm50c']),
    ('50: MAM RSM: <count/>, <first index/>, <before/> to the first page, <max>0</max>',
     's50_mam_rsm', ['n50a', 'n50b', 'n50c']),
    ('52: blocking: push, unavailable, bounces both ways, unblock restores presence', 's52_blocking',
     ['b52a', 'b52b']),
    ('53: receipts pass through, are copied, are not archived', 's53_receipts', ['r53a', 'r53b']),
    ('vcard-temp: set, get own and others, empty, forbidden, size limit', 'vcard', ['v1a', 'v1b']),
    ('58: disco of the domain and of accounts (subscribers only)', 's58_disco', ['d58a', 'd58b', 'd58c']),
    ('slixmpp: carbons and a MAM page through a third-party client', 'slixmpp', ['s1a', 's1b']),
]


def main():
    print('1..%d' % (len(SCENARIOS) + 2))
    sys.stdout.flush()
    tap = Tap()
    server = Server()
    try:
        try:
            server.add_users(sorted({u for _, _, names in SCENARIOS for u in names}))
            server.start()
            ok, diag = True, None
        except Exception as e:  # noqa: BLE001
            ok, diag = False, str(e) if isinstance(e, Failure) else traceback.format_exc()
        tap.result(ok, 'messenger-server starts with the test accounts', diag)
        tests = Tests(server)
        for desc, method, _ in SCENARIOS:
            if ok:
                run(tap, desc, getattr(tests, method))
            else:
                tap.result(False, desc, 'no server')
        run(tap, 'archive=false: no archive, no stanza-ids, nothing advertised', archive_off)
    finally:
        if tap.failed:
            print('# server log (last lines):')
            for line in server.log[-40:]:
                print('#   ' + line)
        server.cleanup()
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
