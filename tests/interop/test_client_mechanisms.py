#!/usr/bin/python3
"""Interop: which SASL mechanism messenger-cli ends up with on real servers.

Prosody 0.12 stores SCRAM-SHA-1 keys; ejabberd 23.01 is started once with
SHA-1 and once with SHA-256 keys.  Neither announces its channel-binding
types (XEP-0440) and both bind only with tls-unique, which TLS 1.3 does not
define: on TLS 1.3 the client must authenticate without channel binding,
and on TLS 1.2 (forced through glib-networking's GnuTLS priority string) it
must use the -PLUS mechanism.  Direct TLS (XEP-0368) is checked too.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from clienttest import CLI, Tap, json_lines  # noqa: E402

tap = Tap()
TLS12 = "NORMAL:-VERS-TLS1.3"


def info(p, user, password, tls_priority=None, direct=False):
    port = p.direct_tls_port if direct else p.c2s_port
    args = [CLI, "--jid", f"{user}@{p.domain}", "--server", f"127.0.0.1:{port}",
            "--pin", p.fingerprint_sha256, "--timeout", "20"]
    if direct:
        args.append("--direct-tls")
    args += ["info", "--json"]
    env = dict(os.environ, MESSENGER_PASSWORD=password)
    if tls_priority:
        env["G_TLS_GNUTLS_PRIORITY"] = tls_priority
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=40)
    record = (json_lines(proc.stdout) or [{}])[0]
    return proc.returncode, record, proc.stderr


def check(p, tag, tls_priority, expected, direct=False):
    rc, record, err = info(p, "alice", "alice-pw", tls_priority, direct)
    mech = record.get("mechanism")
    tap.ok(rc == 0 and mech == expected, f"{tag}: {expected}", f"status {rc}, mechanism {mech}\n{err}")


def main():
    try:
        with peers.Peer("prosody", users=[("alice", "alice-pw")]) as p:
            check(p, "prosody, TLS 1.3", None, "SCRAM-SHA-1")
            check(p, "prosody, direct TLS", None, "SCRAM-SHA-1", direct=True)
        with peers.Peer("ejabberd", users=[("alice", "alice-pw")]) as p:
            check(p, "ejabberd SHA-1, TLS 1.3", None, "SCRAM-SHA-1")
            check(p, "ejabberd SHA-1, TLS 1.2 binds with tls-unique", TLS12, "SCRAM-SHA-1-PLUS")
            check(p, "ejabberd, direct TLS", None, "SCRAM-SHA-1", direct=True)
        with peers.Peer("ejabberd", users=[("alice", "alice-pw")], scram_hash="sha256") as p:
            check(p, "ejabberd SHA-256, TLS 1.3", None, "SCRAM-SHA-256")
            check(p, "ejabberd SHA-256, TLS 1.2 binds with tls-unique", TLS12, "SCRAM-SHA-256-PLUS")
    except peers.PeerError as e:
        tap.ok(False, "the servers could be started", str(e))
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
