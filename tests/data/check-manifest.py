#!/usr/bin/python3
"""Check the Flatpak manifest: valid JSON naming the app id, the command,
the GNOME runtime and SDK, sandbox permissions fitting a network
messenger, and a meson module built from the local folder."""
import json
import sys

path, app_id = sys.argv[1], sys.argv[2]
problems = []
try:
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
except (OSError, ValueError) as e:
    print(f"{path}: not valid JSON: {e}")
    sys.exit(1)

def want(cond, text):
    if not cond:
        problems.append(text)

want(manifest.get("id", manifest.get("app-id")) == app_id, f"id must be {app_id}")
want(manifest.get("runtime") == "org.gnome.Platform", "runtime must be org.gnome.Platform")
want(manifest.get("sdk") == "org.gnome.Sdk", "sdk must be org.gnome.Sdk")
want(str(manifest.get("runtime-version", "")).isdigit(), "runtime-version must be a GNOME release such as 47")
want(manifest.get("command") == "messenger", "command must be messenger")
args = manifest.get("finish-args", [])
for needed in ["--share=network", "--share=ipc", "--socket=wayland", "--socket=fallback-x11", "--device=dri"]:
    want(needed in args, f"finish-args must contain {needed}")
for forbidden in ["--filesystem=home", "--filesystem=host", "--socket=session-bus", "--talk-name=org.freedesktop.secrets"]:
    want(forbidden not in args, f"finish-args must not contain {forbidden} (use portals)")
modules = manifest.get("modules", [])
app_modules = [m for m in modules if isinstance(m, dict) and m.get("name") == "messenger"]
want(len(app_modules) == 1, "one module must be called messenger")
if app_modules:
    m = app_modules[0]
    want(m.get("buildsystem") == "meson", "the messenger module must build with meson")
    sources = m.get("sources", [])
    want(any(s.get("type") == "dir" and s.get("path") == "." for s in sources),
         "the messenger module must be built from the local folder (type dir, path .)")

if problems:
    for p in problems:
        print(f"{path}: {p}")
    sys.exit(1)
print(f"{path}: ok")
