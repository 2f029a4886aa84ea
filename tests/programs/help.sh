#!/usr/bin/env bash
# help.sh PROGRAM...: each answers --help and -h with its usage on stdout
# and exit 0, creating nothing in the current folder; each refuses
# --no-such-option with a non-zero exit (2; ctrec-lua 1, as lua5.4) and
# a message naming it. ctrec-example-c
# also refuses a format that is neither json nor bin.
set -u
fails=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
for p in "$@"; do
    name=$(basename "$p")
    for h in --help -h; do
        out=$("$p" $h 2>"$work/err"); rc=$?
        if [ $rc -ne 0 ] || ! printf '%s' "$out" | grep -qi '^usage:'; then
            echo "FAIL: $name $h: exit $rc, stdout: ${out:0:200}"; fails=$((fails + 1))
        fi
        if [ -n "$(ls -A "$work" | grep -v '^err$\|^out$')" ]; then
            echo "FAIL: $name $h created: $(ls -A "$work")"; fails=$((fails + 1))
            find "$work" -mindepth 1 ! -name err -exec rm -rf {} + 2>/dev/null
        fi
    done
    "$p" --no-such-option >"$work/out" 2>"$work/err"; rc=$?
    # exit 2 (ctrec-lua: 1, as lua5.4 for a bad option)
    if [ $rc -eq 0 ] || ! grep -qiE -- "unknown (option|command).*--no-such-option" "$work/err"; then
        echo "FAIL: $name --no-such-option: exit $rc, stderr: $(head -c 300 "$work/err")"; fails=$((fails + 1))
    fi
    find "$work" -mindepth 1 ! -name err ! -name out -exec rm -rf {} + 2>/dev/null
done
for p in "$@"; do
    case $(basename "$p") in
    ctrec-example-c)
        "$p" "$work/t" xml >/dev/null 2>"$work/err"; rc=$?
        if [ $rc -ne 2 ] || [ -e "$work/t" ] || ! grep -q "json or bin, not 'xml'" "$work/err"; then
            echo "FAIL: ctrec-example-c DIR xml: exit $rc"; fails=$((fails + 1))
        fi
        "$p" "$work/t" bin >/dev/null 2>&1 && [ -s "$work/t/trace.bin" ] ||
            { echo "FAIL: ctrec-example-c DIR bin"; fails=$((fails + 1)); } ;;
    esac
done
[ $fails -eq 0 ] && echo "programs_help: ok ($# programs)" || exit 1
