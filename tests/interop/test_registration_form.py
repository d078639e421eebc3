#!/usr/bin/python3
"""Interop: "Create an Account" (src/core/messenger-registration.c) against
real servers' registration data forms (XEP-0077 §8, XEP-0004).

prosody:  Prosody 0.12's mod_register_ibr sends its legacy fields and a data
          form; `additional_registration_fields` adds fields that exist only
          in the form (a list-single, a boolean, a fixed text).  The GTest
          program register-interop (tests/interop/register-interop.c) fetches
          the form, is refused a taken name, creates juliet and signs in; one
          more test reads Prosody's store: the answers to the form-only
          fields reached the server, which they can only do through the form.
ejabberd: ejabberd 23.01's mod_register with `captcha_protected` sends a
          CAPTCHA form (XEP-0158) with the picture as Bits of Binary and
          refuses legacy fields.  `captcha_cmd` is a script of ours that
          prints a PNG and writes the CAPTCHA's text to a file, so the program
          can answer: once wrongly (a new CAPTCHA comes), then rightly.

The server is started by peers.py with those lines added to its
configuration, with the account alice.

Usage: test_registration_form.py prosody|ejabberd
"""
import base64
import json
import os
import pwd
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
from clienttest import BUILD  # noqa: E402

PROGRAM = os.path.join(BUILD, "tests", "interop", "register-interop")

EXTRA_CONFIG = '''
-- added by test_registration_form.py: fields only the data form carries
additional_registration_fields = {
  "email+";
  { name = "x-plan"; type = "list-single"; label = "Plan"; required = true;
    options = { { label = "Free"; value = "free" }; { label = "Paid"; value = "paid" } } };
  { name = "x-tos"; type = "boolean"; label = "I accept the terms" };
  { name = "x-note"; type = "fixed"; value = "Accounts here are for testing." };
}
'''


# A 1x1 PNG: ejabberd checks the magic number of what captcha_cmd prints.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

CAPTCHA_CMD = """#!/bin/sh
# captcha_cmd for ejabberd (test_registration_form.py): the text asked for
# goes to a file the test reads, a fixed picture to ejabberd.
echo "$1" >> {keys}
cat {png}
"""


class FormPeer(peers.Peer):
    """A server as peers.py configures it, with a registration form: extra
    fields for Prosody, a CAPTCHA for ejabberd."""

    def _spawn(self, cmd, pdeathsig):
        if self.server == 'prosody':
            with open(self.config, 'a') as f:
                f.write(EXTRA_CONFIG)
        else:
            self.captcha_keys = os.path.join(self.sdir, 'captcha-keys')
            png = os.path.join(self.sdir, 'captcha.png')
            script = os.path.join(self.sdir, 'captcha-cmd')
            with open(png, 'wb') as f:
                f.write(PNG)
            with open(script, 'w') as f:
                f.write(CAPTCHA_CMD.format(keys=shlex.quote(self.captcha_keys), png=shlex.quote(png)))
            os.chmod(script, 0o755)
            open(self.captcha_keys, 'w').close()
            user = pwd.getpwnam(self._user)
            for path in (png, script, self.captcha_keys):
                os.chown(path, user.pw_uid, user.pw_gid)
            with open(self.config) as f:
                yml = f.read()
            yml = yml.replace("  mod_register:\n", "  mod_register:\n    captcha_protected: true\n", 1)
            yml += "captcha_cmd: %s\n" % json.dumps(script)
            with open(self.config, 'w') as f:
                f.write(yml)
        super()._spawn(cmd, pdeathsig)


def fail(why):
    print("1..1")
    print(f"not ok 1 - {why}")
    return 1


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("prosody", "ejabberd"):
        print(__doc__, file=sys.stderr)
        return 2
    kind = sys.argv[1]
    if not os.access(PROGRAM, os.X_OK):
        return fail(f"{PROGRAM} is built")
    try:
        server = FormPeer(kind, users=[("alice", "alice-pw")])
        p = server.__enter__()
    except peers.PeerError as e:
        return fail(f"{kind} could be started: {e}")

    try:
        print(f"# {kind} started in {p.start_seconds:.2f} s on port {p.c2s_port}", flush=True)
        env = dict(os.environ,
                   MESSENGER_REG_SERVER=kind,
                   MESSENGER_REG_CAPTCHA_KEYS=getattr(p, "captcha_keys", ""),
                   MESSENGER_REG_HOST="127.0.0.1",
                   MESSENGER_REG_PORT=str(p.c2s_port),
                   MESSENGER_REG_DOMAIN=p.domain,
                   MESSENGER_REG_FINGERPRINT=p.fingerprint_sha256,
                   # The core reads settings: never the person's own.
                   GSETTINGS_BACKEND="memory",
                   GSETTINGS_SCHEMA_DIR=os.path.join(BUILD, "data"),
                   G_DEBUG="gc-friendly,fatal-warnings")
        proc = subprocess.run([PROGRAM, "--tap"], env=env, stdout=subprocess.PIPE,
                              text=True, timeout=240)
        n = 0
        for line in proc.stdout.splitlines():
            if re.match(r"^1\.\.\d+", line):
                continue
            if re.match(r"^(not )?ok \d+", line):
                n += 1
            # TAP names per server, so the logs of the two runs differ.
            line = re.sub(r"^((?:not )?ok \d+) /register-interop/", rf"\1 [{kind}] /register-interop/", line)
            print(line, flush=True)
        status = proc.returncode
        if kind != "prosody":
            print(f"1..{n}", flush=True)
            return status

        # mod_register_ibr stores the answers it does not use itself.
        store = os.path.join(p.sdir, "data", p.domain, "account_details", "juliet.dat")
        try:
            with open(store, encoding="utf-8") as f:
                details = f.read()
        except OSError as e:
            details = f"({e})"
        n += 1
        stored = ('["x-plan"] = "paid"' in details and '["x-tos"] = true' in details
                  and '["email"] = "juliet@capulet.example"' in details)
        if stored:
            print(f"ok {n} [{kind}] /register-interop/answers-stored", flush=True)
        else:
            print(f"not ok {n} [{kind}] /register-interop/answers-stored", flush=True)
            for line in details.splitlines():
                print(f"# {line}")
            status = status or 1
        print(f"1..{n}", flush=True)
        return status
    finally:
        server.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main())
