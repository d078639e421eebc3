#!/usr/bin/python3
"""Every source file with translatable strings must be in po/POTFILES.in,
and every listed file must exist."""
import os
import re
import sys

root = sys.argv[1]
listed = set()
with open(os.path.join(root, "po", "POTFILES.in"), encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            listed.add(line)

problems = [f"POTFILES.in lists {p}, which does not exist" for p in sorted(listed)
            if not os.path.exists(os.path.join(root, p))]

marker = re.compile(r'\b(_|N_|C_|NC_|g_dngettext|ngettext)\s*\(\s*"|translatable="yes"')
for top in ("src", "data"):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for name in files:
            if not name.endswith((".c", ".ui", ".in", ".xml")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            translatable = bool(marker.search(text)) or rel.endswith((".desktop.in.in", ".metainfo.xml.in.in", ".gschema.xml"))
            if translatable and rel not in listed:
                problems.append(f"{rel} has translatable strings but is not in po/POTFILES.in")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
