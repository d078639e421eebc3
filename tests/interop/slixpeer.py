#!/usr/bin/python3
"""A scriptable XMPP client (slixmpp) for black-box interop tests.

    python3 tests/interop/slixpeer.py --jid bob@localhost --password pw \
        --host 127.0.0.1 --port N [--cafile PATH | --fingerprint AB:CD:.. |
        --insecure-loopback] [--direct-tls] [--register] [--resource R]
        [--no-presence] [--no-roster] [--timeout S] [--xml]

Reads newline-delimited JSON commands on stdin, writes newline-delimited JSON
events on stdout (one object per line, flushed).  Logs go to stderr.

Commands are read once the session has started and run one after the other
in the order given (an iq command waits for its answer, at most --timeout s).
Any command may carry "tag": X; the peer then answers
{"event":"done","tag":X,"cmd":...,"id":STANZA-ID-or-null} once it is done.
  {"cmd":"send","to":J,"body":B,"type":"chat","thread":T,"parent":P,
   "subject":S,"id":I}                 (all but "to" optional)
  {"cmd":"subscribe","to":J}           presence type=subscribe
  {"cmd":"approve","to":J}             presence type=subscribed
  {"cmd":"deny","to":J}                presence type=unsubscribed
  {"cmd":"unsubscribe","to":J}         presence type=unsubscribe
  {"cmd":"presence","show":S,"status":T,"priority":N,"to":J,"type":Y}
  {"cmd":"roster"}                     -> {"event":"roster",...}
  {"cmd":"roster_add","jid":J,"name":N,"groups":[...]}
  {"cmd":"roster_remove","jid":J}
  {"cmd":"iq","type":"get"|"set","to":J,"xml":"<query xmlns=.../>"}
                                       -> {"event":"iq_result",...} or iq_error
  {"cmd":"disco_info","to":J,"node":N} -> {"event":"disco_info",...}
  {"cmd":"features"}                   -> {"event":"features",...}
  {"cmd":"raw","xml":"<message .../>"} sent verbatim
  {"cmd":"quit"}                       close the stream and exit 0
EOF on stdin is the same as quit.

Events:
  {"event":"registered","jid":J}                        (with --register)
  {"event":"session_start","jid":FULL-JID,"roster":[items]}
  {"event":"message","from":J,"to":J,"id":I,"type":T,"body":B,"thread":T,
   "parent":P,"subject":S}     (+ "error" for type=error, + "xml" with --xml)
  {"event":"presence","from":J,"type":"available"|"unavailable"|"error"|
   "probe","show":S,"status":T,"priority":N}
  {"event":"subscribe"|"subscribed"|"unsubscribe"|"unsubscribed","from":J}
  {"event":"roster","ver":V,"items":[{"jid","name","subscription","ask",
   "groups"}]}
  {"event":"roster_push","ver":V,"items":[...]}
  {"event":"iq_result","id":I,"from":J,"xml":X}
  {"event":"disco_info","from":J,"features":[...],"identities":[{category,
   type,name}]}
  {"event":"features","features":[local names of every stream feature the
   server offered: "starttls","mechanisms","register","bind","sm","ver",...]}
  {"event":"iq_error","id":I,"condition":C,"text":T,"cmd":C}
  {"event":"error","text":T}
  {"event":"done","tag":X,...}
  {"event":"disconnected"}  (last line; exit status 0 after quit/EOF, else 1)

Subscriptions are never answered automatically (roster.auto_authorize is
None: slixmpp's False would auto-*deny*; auto_subscribe False).
Exit status 2 when slixmpp is missing.
"""

import argparse
import asyncio
import hashlib
import ipaddress
import json
import logging
import os
import ssl
import sys
import threading

# The Debian package warns at import time that it uses the slow stringprep.
logging.getLogger('slixmpp.stringprep').setLevel(logging.ERROR)

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
    from slixmpp.xmlstream import ET
except ImportError:
    print('slixpeer: python3-slixmpp is not installed: '
          'apt-get install python3-slixmpp', file=sys.stderr)
    sys.exit(2)


def is_loopback(host):
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Out:
    """Serialised JSON-lines writer on stdout."""

    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, event, **fields):
        d = {'event': event}
        d.update(fields)
        line = json.dumps(d, ensure_ascii=False)
        with self.lock:
            try:
                sys.stdout.write(line + '\n')
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):
                pass


def roster_items(stanza_roster):
    items = []
    for jid, item in stanza_roster['items'].items():
        items.append({'jid': str(jid), 'name': item['name'] or '',
                      'subscription': item['subscription'] or 'none',
                      'ask': item['ask'] or None,
                      'groups': sorted(item['groups'])})
    items.sort(key=lambda i: i['jid'])
    return items


class SlixPeer(slixmpp.ClientXMPP):

    def __init__(self, args, out):
        super().__init__(args.jid if not args.resource else
                         '%s/%s' % (args.jid, args.resource), args.password)
        self.args = args
        self.out = out
        self.quitting = False
        self.started = False
        self.finished = asyncio.get_event_loop().create_future()
        self.queue = asyncio.Queue()
        self.worker = asyncio.ensure_future(self.command_worker())

        # Tests drive every subscription step themselves.
        self.auto_authorize = None
        self.auto_subscribe = False

        self.register_plugin('xep_0030')
        self.register_plugin('xep_0199')      # answer pings
        if args.register:
            self.register_plugin('xep_0004')
            self.register_plugin('xep_0066')
            self.register_plugin('xep_0077')
            self['xep_0077'].force_registration = True
            # slixmpp 1.8 holds back stanzas sent before session start.
            self._always_send_everything = True
            self.add_event_handler('register', self.on_register)

        self.setup_tls()
        self.stream_features_seen = set()
        self.add_filter('in', self._note_features)

        self.add_event_handler('session_start', self.on_session_start)
        self.add_event_handler('message', self.on_message)
        self.add_event_handler('message_error', self.on_message)
        self.add_event_handler('presence', self.on_presence)
        self.add_event_handler('roster_update', self.on_roster_update)
        self.add_event_handler('failed_all_auth', self.on_failed_auth)
        self.add_event_handler('connection_failed', self.on_connection_failed)
        self.add_event_handler('stream_error', self.on_stream_error)
        self.add_event_handler('disconnected', self.on_disconnected)
        self.add_event_handler('ssl_invalid_chain', self.on_bad_cert)

    def _note_features(self, stanza):
        if stanza.xml.tag == '{http://etherx.jabber.org/streams}features':
            for child in stanza.xml:
                self.stream_features_seen.add(child.tag.split('}')[-1])
        return stanza

    # ----- TLS

    def setup_tls(self):
        a = self.args
        if a.cafile:
            self.ca_certs = a.cafile
        elif a.fingerprint or a.insecure_loopback:
            if not is_loopback(a.host):
                raise SystemExit('slixpeer: --insecure-loopback/--fingerprint '
                                 'only for a loopback --host')
            self.ssl_context.check_hostname = False
            self.ssl_context.verify_mode = ssl.CERT_NONE

    def connection_made(self, transport):
        # Called for the plain TCP connection, again after STARTTLS, and once
        # for direct TLS: check the pin before anything secret is sent.
        super().connection_made(transport)
        self.check_pin()

    def check_pin(self):
        want = self.args.fingerprint
        if not want or self.transport is None:
            return
        obj = self.transport.get_extra_info('ssl_object')
        if obj is None:
            return
        der = obj.getpeercert(True)
        h = hashlib.sha256(der).hexdigest().upper()
        got = ':'.join(h[i:i + 2] for i in range(0, len(h), 2))
        if got.replace(':', '') != want.replace(':', '').upper():
            self.error('certificate fingerprint mismatch: got %s' % got)
            self.quitting = False
            self.abort()

    def on_bad_cert(self, exc):
        self.error('TLS certificate not trusted: %s' % exc)
        self.disconnect()

    # ----- output helpers

    def error(self, text, **kw):
        self.out('error', text=text, **kw)

    # ----- registration

    async def on_register(self, form):
        iq = self.Iq()
        iq['type'] = 'set'
        iq['register']['username'] = self.boundjid.user
        iq['register']['password'] = self.password
        try:
            await iq.send(timeout=self.args.timeout)
        except IqError as e:
            self.error('registration failed: %s' % e.iq['error']['condition'],
                       condition=e.iq['error']['condition'])
            self.disconnect()
            return
        except IqTimeout:
            self.error('registration timed out')
            self.disconnect()
            return
        self.out('registered', jid=self.boundjid.bare)

    # ----- session

    async def fetch_roster(self):
        # A plain roster get without <ver/>, so the server always answers
        # with the full roster.
        iq = self.Iq()
        iq['type'] = 'get'
        iq.enable('roster')
        resp = await iq.send(timeout=self.args.timeout)
        return resp['roster']['ver'] or None, roster_items(resp['roster'])

    async def on_session_start(self, _event):
        self.started = True
        roster = None
        if not self.args.no_roster:
            try:
                _ver, roster = await self.fetch_roster()
            except (IqError, IqTimeout) as e:
                self.error('initial roster fetch failed: %r' % e)
        if not self.args.no_presence:
            self.send_presence(ppriority=self.args.priority)
        fields = {'jid': str(self.boundjid)}
        if roster is not None:
            fields['roster'] = roster
        self.out('session_start', **fields)

    # ----- inbound stanzas

    def on_message(self, msg):
        if getattr(msg, '_slixpeer_seen', False):
            return
        msg._slixpeer_seen = True
        d = {'from': str(msg['from']), 'to': str(msg['to']),
             'id': msg['id'] or None, 'type': msg['type'],
             'body': msg['body'] if msg.xml.find('{jabber:client}body')
             is not None else None,
             'thread': msg['thread'] or None,
             'parent': msg['parent_thread'] or None,
             'subject': msg['subject'] or None}
        if msg['type'] == 'error':
            d['error'] = msg['error']['condition']
        if self.args.xml:
            d['xml'] = str(msg)
        self.out('message', **d)

    def on_presence(self, pres):
        ptype = pres['type']
        frm = str(pres['from'])
        if ptype in ('subscribe', 'subscribed', 'unsubscribe',
                     'unsubscribed'):
            d = {'from': frm}
            if self.args.xml:
                d['xml'] = str(pres)
            self.out(ptype, **d)
            return
        if ptype in pres.showtypes:
            ptype = 'available'
        xml = pres.xml
        show = xml.find('{jabber:client}show')
        status = xml.find('{jabber:client}status')
        prio = xml.find('{jabber:client}priority')
        d = {'from': frm, 'type': ptype,
             'show': show.text if show is not None else None,
             'status': status.text if status is not None else None,
             'priority': int(prio.text) if prio is not None and
             (prio.text or '').strip().lstrip('-').isdigit() else None}
        if ptype == 'error':
            d['error'] = pres['error']['condition']
        if self.args.xml:
            d['xml'] = str(pres)
        self.out('presence', **d)

    def on_roster_update(self, iq):
        if iq['type'] != 'set':
            return
        d = {'ver': iq['roster']['ver'] or None,
             'items': roster_items(iq['roster'])}
        self.out('roster_push', **d)

    # ----- failures / end

    def on_failed_auth(self, _event=None):
        self.error('authentication failed')
        self.disconnect()

    def on_connection_failed(self, err):
        self.error('connection failed: %s' % err)
        self.finish(1)

    def on_stream_error(self, err):
        self.error('stream error: %s' % err['condition'],
                   condition=err['condition'])

    def on_disconnected(self, reason=None):
        self.out('disconnected')
        self.finish(0 if self.quitting else 1)

    def finish(self, rc):
        if not self.finished.done():
            self.finished.set_result(rc)

    # ----- commands

    def handle_line(self, line):
        line = line.strip()
        if not line:
            return
        try:
            cmd = json.loads(line)
            if not isinstance(cmd, dict) or 'cmd' not in cmd:
                raise ValueError('not an object with "cmd"')
        except ValueError as e:
            self.error('bad command %r: %s' % (line, e))
            return
        self.queue.put_nowait(cmd)

    async def command_worker(self):
        """Commands run one at a time, in the order they were read."""
        while True:
            cmd = await self.queue.get()
            await self.run_command(cmd)

    async def run_command(self, cmd):
        name = cmd.get('cmd')
        fn = getattr(self, 'cmd_' + str(name), None)
        if fn is None:
            self.error('unknown command %r' % name)
            return
        try:
            sid = fn(cmd)
            if asyncio.iscoroutine(sid):
                sid = await sid
        except IqError as e:
            self.out('iq_error', id=e.iq['id'],
                     condition=e.iq['error']['condition'],
                     text=e.iq['error']['text'] or None, cmd=name)
            return
        except IqTimeout:
            self.error('%s: iq timed out' % name)
            return
        except Exception as e:  # report, never die on a bad command
            self.error('%s failed: %r' % (name, e))
            return
        if 'tag' in cmd:
            self.out('done', tag=cmd['tag'], cmd=name,
                     id=sid if isinstance(sid, str) else None)

    def cmd_send(self, c):
        msg = self.Message()
        msg['to'] = c['to']
        msg['type'] = c.get('type', 'chat')
        if c.get('id'):
            msg['id'] = c['id']
        else:
            msg['id'] = self.new_id()
        if c.get('body') is not None:
            msg['body'] = c['body']
        if c.get('subject') is not None:
            msg['subject'] = c['subject']
        if c.get('thread') is not None:
            msg['thread'] = c['thread']
            if c.get('parent') is not None:
                msg['parent_thread'] = c['parent']
        msg.send()
        return msg['id']

    def _sub(self, c, ptype):
        pres = self.Presence()
        pres['to'] = c['to']
        pres['type'] = ptype
        pres['id'] = self.new_id()
        pres.send()
        return pres['id']

    def cmd_subscribe(self, c):
        return self._sub(c, 'subscribe')

    def cmd_approve(self, c):
        return self._sub(c, 'subscribed')

    def cmd_deny(self, c):
        return self._sub(c, 'unsubscribed')

    def cmd_unsubscribe(self, c):
        return self._sub(c, 'unsubscribe')

    def cmd_presence(self, c):
        pres = self.Presence()
        if c.get('to'):
            pres['to'] = c['to']
        if c.get('type') and c['type'] != 'available':
            pres['type'] = c['type']
        if c.get('show'):
            pres['show'] = c['show']
        if c.get('status') is not None:
            pres['status'] = c['status']
        if c.get('priority') is not None:
            pres['priority'] = int(c['priority'])
        pres.send()
        return None

    async def cmd_roster(self, c):
        ver, items = await self.fetch_roster()
        self.out('roster', ver=ver, items=items)
        return None

    async def cmd_roster_add(self, c):
        iq = self.Iq()
        iq['type'] = 'set'
        item = {'name': c.get('name') or '', 'subscription': 'none',
                'groups': c.get('groups') or []}
        iq['roster']['items'] = {c['jid']: item}
        # subscription must not be set by a client; drop the attribute
        for el in iq.xml.iter('{jabber:iq:roster}item'):
            el.attrib.pop('subscription', None)
            if not item['name']:
                el.attrib.pop('name', None)
        await iq.send(timeout=self.args.timeout)
        return iq['id']

    async def cmd_roster_remove(self, c):
        iq = self.Iq()
        iq['type'] = 'set'
        iq['roster']['items'] = {c['jid']: {'subscription': 'remove'}}
        await iq.send(timeout=self.args.timeout)
        return iq['id']

    async def cmd_iq(self, c):
        iq = self.Iq()
        iq['type'] = c.get('type', 'get')
        if c.get('to'):
            iq['to'] = c['to']
        if c.get('xml'):
            iq.append(ET.fromstring(c['xml']))
        resp = await iq.send(timeout=self.args.timeout)
        self.out('iq_result', id=resp['id'], **{'from': str(resp['from'])},
                 xml=str(resp))
        return resp['id']

    async def cmd_disco_info(self, c):
        iq = self.Iq()
        iq['type'] = 'get'
        iq['to'] = c.get('to') or self.boundjid.domain
        q = ET.SubElement(iq.xml, '{http://jabber.org/protocol/disco#info}'
                          'query')
        if c.get('node'):
            q.set('node', c['node'])
        resp = await iq.send(timeout=self.args.timeout)
        rq = resp.xml.find('{http://jabber.org/protocol/disco#info}query')
        feats, idents = [], []
        if rq is not None:
            for f in rq.findall('{http://jabber.org/protocol/disco#info}'
                                'feature'):
                feats.append(f.get('var'))
            for i in rq.findall('{http://jabber.org/protocol/disco#info}'
                                'identity'):
                idents.append({'category': i.get('category'),
                               'type': i.get('type'),
                               'name': i.get('name')})
        self.out('disco_info', **{'from': str(resp['from'])},
                 features=sorted(feats), identities=idents)
        return resp['id']

    def cmd_features(self, c):
        self.out('features', features=sorted(self.stream_features_seen))
        return None

    def cmd_raw(self, c):
        self.send_raw(c['xml'])
        return None

    def cmd_quit(self, c):
        self.quit()
        return None

    def quit(self):
        self.quitting = True
        if self.transport is None:
            self.finish(0)
            return
        self.disconnect(wait=2.0)


def main():
    ap = argparse.ArgumentParser(description='Scriptable slixmpp test peer '
                                 '(JSON lines on stdin/stdout).')
    ap.add_argument('--jid', required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--resource')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=5222)
    ap.add_argument('--direct-tls', action='store_true',
                    help='TLS from the first byte (XEP-0368 port)')
    g = ap.add_mutually_exclusive_group()
    g.add_argument('--cafile', help='trust this certificate (full '
                   'verification, the domain must match)')
    g.add_argument('--fingerprint', help='pin the SHA-256 of the server '
                   'certificate (AB:CD:..); loopback hosts only')
    g.add_argument('--insecure-loopback', action='store_true',
                   help='no certificate verification; loopback hosts only')
    ap.add_argument('--register', action='store_true',
                    help='create the account in-band before logging in')
    ap.add_argument('--no-presence', action='store_true',
                    help='do not send initial presence after session start')
    ap.add_argument('--no-roster', action='store_true',
                    help='do not fetch the roster at session start')
    ap.add_argument('--priority', type=int, default=None)
    ap.add_argument('--timeout', type=float, default=20.0,
                    help='seconds to reach session start and per iq')
    ap.add_argument('--xml', action='store_true',
                    help='add the raw stanza XML to message/presence events')
    ap.add_argument('--debug', action='store_true',
                    help='slixmpp debug logging on stderr')
    args = ap.parse_args()

    logging.basicConfig(stream=sys.stderr,
                        level=logging.DEBUG if args.debug else logging.ERROR,
                        format='slixpeer %(levelname)s %(name)s: %(message)s')
    logging.getLogger('slixmpp.stringprep').setLevel(logging.ERROR)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    out = Out()
    xmpp = SlixPeer(args, out)

    def on_stdin_eof():
        xmpp.handle_line('{"cmd": "quit"}')

    def read_stdin():
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(xmpp.handle_line, line)
        except (OSError, ValueError):
            pass
        try:
            loop.call_soon_threadsafe(on_stdin_eof)
        except RuntimeError:
            pass

    def session_timeout():
        if not xmpp.started and not xmpp.finished.done():
            out('error', text='no session after %.0f s' % args.timeout)
            xmpp.abort()
            xmpp.finish(1)

    # Commands are only read once the session exists.
    def start_reader(_e=None):
        if not getattr(xmpp, '_reader', None):
            xmpp._reader = threading.Thread(target=read_stdin, daemon=True)
            xmpp._reader.start()
    xmpp.add_event_handler('session_start', start_reader)

    loop.call_later(args.timeout, session_timeout)
    xmpp.connect((args.host, args.port), use_ssl=args.direct_tls,
                 force_starttls=not args.direct_tls)
    rc = loop.run_until_complete(xmpp.finished)
    # Give the transport a moment to close cleanly.
    loop.run_until_complete(asyncio.sleep(0.05))
    sys.stdout.flush()
    os._exit(rc)


if __name__ == '__main__':
    main()
