#!/usr/bin/python3
"""Interop: XEP-0198 stream management of src/xmpp/ against real servers.

Starts one server (our own messenger-server, Prosody with mod_smacks, or
ejabberd with mod_stream_mgmt, as peers.py configures them) with the
accounts alice and bob, then runs the GTest program sm-interop (built from
tests/interop/sm-interop.c), which drives two XmppClients and prints TAP.
Its output is passed through; when it prints "# restart-server" the server
is restarted on the same port and data, and the program is told so with a
line on its stdin.

Usage: test_client_sm.py messenger|prosody|ejabberd
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from clienttest import BUILD, OwnServer  # noqa: E402

PROGRAM = os.path.join(BUILD, "tests", "interop", "sm-interop")
USERS = [("alice", "alice-pw"), ("bob", "bob-pw")]


class RestartableOwnServer(OwnServer):
    """OwnServer that can stop and start again on the same port and data,
    which drops every stream-management session it kept."""

    def restart(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        args = [self.binary, "--domain", self.domain, "--data-dir", self.dir,
                "--c2s-port", str(self.c2s_port)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not re.search(r"127\.0\.0\.1:%d \(STARTTLS\)" % self.c2s_port, line):
            raise RuntimeError(f"messenger-server did not restart: {line!r}")


def fail(kind, why):
    print("1..1")
    print(f"not ok 1 - [{kind}] {why}")
    return 1


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("messenger", "prosody", "ejabberd"):
        print(__doc__, file=sys.stderr)
        return 2
    kind = sys.argv[1]
    if not os.access(PROGRAM, os.X_OK):
        return fail(kind, f"{PROGRAM} is built")

    try:
        server = RestartableOwnServer(USERS) if kind == "messenger" else peers.Peer(kind, users=USERS)
        p = server.__enter__()
    except (peers.PeerError, RuntimeError) as e:
        return fail(kind, f"the server could be started: {e}")

    try:
        print(f"# {kind} started in {p.start_seconds:.2f} s on port {p.c2s_port}", flush=True)
        env = dict(os.environ,
                   MESSENGER_SM_HOST="127.0.0.1",
                   MESSENGER_SM_PORT=str(p.c2s_port),
                   MESSENGER_SM_DOMAIN=p.domain,
                   MESSENGER_SM_FINGERPRINT=p.fingerprint_sha256)
        proc = subprocess.Popen([PROGRAM, "--tap"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            line = line.rstrip("\n")
            # TAP names are per server, so the logs of the three runs differ.
            line = re.sub(r"^((?:not )?ok \d+) /sm-interop/", rf"\1 [{kind}] /sm-interop/", line)
            print(line, flush=True)
            if line.strip() == "# restart-server":
                t0 = time.monotonic()
                server.restart()
                print(f"# {kind} restarted in {time.monotonic() - t0:.2f} s", flush=True)
                proc.stdin.write("\n")
                proc.stdin.flush()
        return proc.wait()
    finally:
        server.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main())
