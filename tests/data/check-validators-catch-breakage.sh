#!/bin/bash
# A validator that passes everything proves nothing: break a copy of each
# checked file and make sure its validator now fails.
set -u
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
expect_fail() {
  local desc=$1; shift
  n=$((n + 1))
  if "$@" >/dev/null 2>&1; then
    echo "not ok $n - $desc: the validator accepted a broken file"
    failed=$((failed + 1))
  else
    echo "ok $n - $desc is caught"
  fi
}

sed 's/^Type=Application/Type=Nonsense/' "$build/data/org.example.Messenger.desktop" > "$tmp/broken.desktop"
expect_fail "a desktop file with a bad Type" desktop-file-validate "$tmp/broken.desktop"

sed 's|<summary>[^<]*</summary>||' "$build/data/org.example.Messenger.metainfo.xml" > "$tmp/org.example.Messenger.metainfo.xml"
expect_fail "metainfo without a summary" appstreamcli validate --no-net --explain "$tmp/org.example.Messenger.metainfo.xml"

mkdir "$tmp/schemas"
sed 's|<default>960</default>|<default>"wide"</default>|' "$src/data/org.example.Messenger.gschema.xml" > "$tmp/schemas/org.example.Messenger.gschema.xml"
expect_fail "a schema default of the wrong type" glib-compile-schemas --strict --dry-run "$tmp/schemas"

sed 's|</title>|</titel>|' "$src/help/C/getting-started.page" > "$tmp/getting-started.page"
expect_fail "a malformed help page" yelp-check validate "$tmp/getting-started.page"

printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n#, c-format\nmsgid "%%s files"\nmsgstr "%%d 文件"\n' > "$tmp/broken.po"
expect_fail "a translation with a mismatched format" msgfmt --check -o /dev/null "$tmp/broken.po"

sed 's|"command": "messenger"|"command": "other"|' "$src/org.example.Messenger.json" > "$tmp/manifest.json"
expect_fail "a manifest with the wrong command" /usr/bin/python3 "$src/tests/data/check-manifest.py" "$tmp/manifest.json" org.example.Messenger
printf '{ "id": ' > "$tmp/truncated.json"
expect_fail "a manifest that is not JSON" /usr/bin/python3 "$src/tests/data/check-manifest.py" "$tmp/truncated.json" org.example.Messenger

echo "1..$n"
[ "$failed" -eq 0 ]
