#!/bin/sh
# ref_verdicts.sh CASEDIR FIXTURES > verdicts.tsv
#
# How verdicts.tsv was made: runs the reference verdict tools that a
# verification session built from the reference sources (never part of
# ctrec, never needed by the tests; see the header of verdicts.tsv for what
# each tool is) on every case gen_cases.py wrote and on the fixtures, and
# prints one line per case and target:
#   NAME  TARGET  loads|refused  TOOL: WHAT IT SAID  [--max-event BYTES]
# Run it again when the references move; review the diff before committing.
set -eu
cases=$1
fixtures=$2
refs=${CTREC_REFS:-/work/refs/bin}
run() { # name dir
    for t in latest 25.11; do
        if [ "$t" = latest ]; then tool=rust-verdict; else tool=rust-verdict-25.11; fi
        said=$(cd "$(dirname "$2")" && timeout 300 "$refs/$tool" "$(basename "$2")" 2>/dev/null | head -n 1) || true
        case "$said" in loads) v=loads ;; *) v=refused ;; esac
        extra=
        case "$1" in *65mib*) extra="--max-event 128M" ;; esac
        printf '%s\t%s\t%s\t%s: %s\t%s\n' "$1" "$t" "$v" "$tool" "$said" "$extra"
    done
}
for c in $(cat "$cases/CASES"); do run "$c" "$cases/$c"; done
for f in reference-rust codetracer-wasm codetracer-m0; do run "@$f" "$fixtures/$f"; done
