#!/bin/bash
# check-po-complete.sh ROOT LANG: the translation is valid and complete for
# the template the sources produce now: no untranslated or fuzzy message.
set -eu
root=$1 lang=$2
po="$root/po/$lang.po"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
msgfmt --check -o /dev/null "$po"
"$root/build-aux/make-pot" "$tmp/messenger.pot"
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/messenger.pot"
stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/merged.po" 2>&1)
echo "$lang: $stats"
case "$stats" in
  *untranslated*|*fuzzy*)
    echo "po/$lang.po is not complete: run 'ninja -C build messenger-update-po' and translate"
    msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep -A1 '^msgid' | head -40
    exit 1 ;;
esac
