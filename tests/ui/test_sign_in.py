#!/usr/bin/python3
"""UI test: getting an account into the app, as a person does it.

The bundled server runs on a free port of 127.0.0.1 with its self-signed
certificate.  On an empty profile the welcome page offers Sign In; the
address, a wrong password and the server under Advanced are typed with real
keys.  The certificate is not trusted: the dialog shows its SHA-256
fingerprint (compared with the one the server printed), Cancel leaves an
inline error.  Again, Trust This Certificate: the wrong password is refused
with an inline error in plain words; the right one opens the chats page,
and the account, its pin and its password (keyring) are saved.  Then "Use a
Local Server" on a second profile: the app starts its own server and signs
in.  Screenshots land in $MESSENGER_SCREENSHOT_DIR.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uifixture as F  # noqa: E402
import uitest  # noqa: E402

tap = uitest.Tap()
JID, PASSWORD = "alice@localhost", "correct horse 7"


def sign_in_button(win):
    """The page's Sign In button (the welcome page has one too, hidden now)."""
    buttons = [n for n in uitest.walk(win) if n.name == "Sign In"
               and n.getRoleName() == "push button" and uitest.on_screen(n)]
    return buttons[-1] if buttons else None


def type_into(win, name, text, replace=False):
    row = uitest.wait_for(lambda: uitest.find_shown(win, name=name, role="text"))
    if row is None:
        return False
    uitest.click(row)
    if replace:
        uitest.keys("ctrl+a", "BackSpace")
    uitest.type_text(text)
    return True


def error_text(win):
    """Inline errors: labels on screen that are not the page's own words."""
    fixed = {"Sign In", "Address", "Password", "Advanced", "Server", "Port", "Direct TLS",
             "Only if your provider gave you a server name or port",
             "Encrypt from the first byte, usually on port 5223",
             "Sign in with an XMPP account you already have. Your address looks like name@example.org."}
    return [t for t in uitest.labels(win) if t and t not in fixed and t != JID and not t.isdigit()
            and t != "127.0.0.1"]


def cert_dialog(app):
    return app.frame("Untrusted Certificate", timeout=30)


def press(dialog, name):
    button = uitest.find_actionable(dialog, name)
    if button is None:
        return False
    uitest.do_action(button)
    return True


server = F.Server().start()
server.add_user(JID, PASSWORD)
keyring = F.Keyring()
app = F.App()
win = app.start()
tap.ok(win is not None, "the main window opens on an empty profile")

# -- the welcome page
welcome = uitest.wait_for(lambda: uitest.find_shown(win, name="Welcome to Messenger"))
tap.ok(welcome is not None, "the welcome page greets a profile without accounts", uitest.dump(win))
for way in ("Sign In", "Create an Account", "Use a Local Server"):
    tap.ok(uitest.find_shown(win, name=way, role="push button") is not None,
           f"the welcome page offers \"{way}\"")
tap.ok(uitest.find_shown(win, name="Sidebar") is None, "no sidebar is shown before there is an account")
shot = app.screenshot("sign-in-1-welcome.png")
tap.ok(os.path.getsize(shot) > 1000, f"screenshot {shot}")

# -- the form, filled with real keys
uitest.do_action(uitest.find_actionable(win, "Sign In"))
app.focus()
filled = type_into(win, "Address", JID) and type_into(win, "Password", "not the password")
advanced = uitest.find_shown(win, name="Advanced", role="list item")
if advanced is not None:
    uitest.click(advanced)
filled = filled and type_into(win, "Server", "127.0.0.1") and type_into(win, "Port", str(server.port))
tap.ok(filled, "the address, password, server and port are typed into the Sign In page", uitest.dump(win))
address = uitest.find_shown(win, name="Address", role="text")
tap.ok(address is not None and uitest.text_of(address) == JID, "the Address row holds what was typed",
       address and uitest.text_of(address))
app.screenshot("sign-in-2-form.png")

# -- the certificate is not trusted: the dialog shows its fingerprint
uitest.do_action(sign_in_button(win))
dialog = cert_dialog(app)
tap.ok(dialog is not None, "signing in to a self-signed server opens the Untrusted Certificate dialog")
if dialog is None:
    tap.diag(open(app.log).read()[-3000:])
    sys.exit(tap.done())
texts = uitest.labels(dialog)
hexes = [re.sub(r"\s", "", t).upper() for t in texts if re.fullmatch(r"[0-9A-Fa-f\s]{64,}", t)]
want = server.fingerprint.replace(":", "")
tap.ok(want in hexes, "the dialog shows the server's SHA-256 fingerprint",
       f"server printed {server.fingerprint}; dialog shows {texts}")
tap.ok("Fingerprint (SHA-256)" in texts and "CN=localhost" in texts,
       "the dialog names the fingerprint and the certificate's subject", texts)
app.screenshot("sign-in-3-certificate.png")

# -- Cancel: an inline error, no account
pressed = press(dialog, "Cancel")
gone = uitest.wait_for(lambda: not uitest.visible(dialog) or dialog not in uitest.frames(app.app))
errors = uitest.wait_for(lambda: [t for t in error_text(win) if "cannot be verified" in t or "certificate" in t.lower()])
if not (pressed and gone):
    tap.diag(f"Cancel pressed: {pressed}; dialog gone: {gone}")
tap.ok(gone and errors, "Cancel closes the dialog and leaves an inline error about the certificate",
       error_text(win))
tap.diag(f"inline error: {errors}")
tap.ok(not os.path.exists(os.path.join(app.profile, "messenger.db"))
       or app.query("SELECT count(*) FROM accounts")[0][0] == 0,
       "no account is saved after the certificate was refused")
app.screenshot("sign-in-4-certificate-refused.png")

# -- again: Trust This Certificate; the wrong password is refused in plain words
uitest.do_action(sign_in_button(win))
dialog = cert_dialog(app)
tap.ok(dialog is not None, "signing in again asks about the certificate again")
if dialog is not None:
    press(dialog, "Trust This Certificate")
errors = uitest.wait_for(lambda: [t for t in error_text(win) if "password" in t.lower()], timeout=30)
tap.ok(errors and "The password is not correct." in errors,
       "after trusting the certificate, a wrong password shows an inline error in plain words", error_text(win))
tap.ok(uitest.find_shown(win, name="Sign In", role="label") is not None
       and uitest.find_shown(win, name="Sidebar") is None, "the Sign In page stays open to correct the password")
app.screenshot("sign-in-5-wrong-password.png")

# -- the right password: the chats page with the account
type_into(win, "Password", PASSWORD, replace=True)
uitest.do_action(sign_in_button(win))
sidebar = uitest.wait_for(lambda: uitest.find_shown(win, name="Sidebar"), timeout=30)
tap.ok(sidebar is not None, "the right password opens the chats page", error_text(win))
if sidebar is not None:
    tap.ok(uitest.wait_for(lambda: uitest.find_shown(sidebar, name=JID, role="label")) is not None,
           "the sidebar shows the signed-in account's address")
    tap.ok(uitest.wait_for(lambda: uitest.find_shown(sidebar, name="Available", role="label")) is not None,
           "the account's presence is Available")
    tap.ok(uitest.find_shown(win, name="No Conversation Selected") is not None,
           "the conversation pane shows its empty state")
rows = app.query("SELECT jid, server, port, pinned_fingerprint FROM accounts") if os.path.exists(
    os.path.join(app.profile, "messenger.db")) else []
tap.ok(len(rows) == 1 and rows[0][0] == JID and rows[0][1] == "127.0.0.1" and rows[0][2] == server.port,
       "the database holds the account with its server and port", rows)
tap.ok(rows and (rows[0][3] or "").replace(":", "").upper() == want,
       "the trusted certificate is pinned on the account", rows)
tap.ok(F.Keyring.password(JID) == PASSWORD, "the password is kept in the keyring")
app.screenshot("sign-in-6-signed-in.png")
code = app.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly", f"exit status {code}")

# -- the password was kept: the next start signs in without asking
win = app.start()
sidebar = uitest.wait_for(lambda: uitest.find_shown(win, name="Sidebar"), timeout=30)
online = sidebar and uitest.wait_for(lambda: uitest.find_shown(sidebar, name="Available", role="label"), timeout=30)
tap.ok(online and app.frame("Password Needed", timeout=1) is None,
       "the next start signs in with the password from the keyring, without asking")
app.quit()

# -- Use a Local Server, on a fresh profile
local = F.App()
win = local.start()
button = uitest.wait_for(lambda: uitest.find_actionable(win, "Use a Local Server"))
uitest.do_action(button)
user = uitest.wait_for(lambda: uitest.find_shown(win, name="User Name", role="text"))
tap.ok(user is not None and uitest.text_of(user) != "", "Use a Local Server offers a prefilled user name",
       user and uitest.text_of(user))
local.focus()
type_into(win, "Password", "local password 1")
local.screenshot("sign-in-7-local-form.png")
start = uitest.find_actionable(win, "Start Local Server")
if start is not None:
    uitest.do_action(start)
sidebar = uitest.wait_for(lambda: uitest.find_shown(win, name="Sidebar"), timeout=40)
tap.ok(sidebar is not None, "Start Local Server opens the chats page", uitest.labels(win))
name = user and uitest.text_of(user)
online = sidebar and uitest.wait_for(lambda: uitest.find_shown(sidebar, name="Available", role="label"), timeout=30)
tap.ok(online and uitest.find_shown(sidebar, name=f"{name}@localhost", role="label") is not None,
       "the local account is signed in and shown in the sidebar", uitest.labels(sidebar) if sidebar else None)
rows = local.query("SELECT jid, server FROM accounts") if os.path.exists(
    os.path.join(local.profile, "messenger.db")) else []
tap.ok(len(rows) == 1 and rows[0][0] == f"{name}@localhost" and rows[0][1] is None,
       "the local account is saved with no server address (the app runs it)", rows)
tap.ok(os.path.isdir(os.path.join(local.profile, "local-server")), "the local server keeps its data in the profile")
local.screenshot("sign-in-8-local-signed-in.png")
code = local.quit()
tap.ok(code == 0, "Ctrl+Q quits cleanly with the local server running", f"exit status {code}")
tap.ok(uitest.wait_for(lambda: not F.processes_with(os.path.join(local.profile, "local-server")), timeout=10),
       "the local server stops with the app", F.processes_with(os.path.join(local.profile, "local-server")))

sys.exit(tap.done())
