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
# .ct: target latest reads a container without events.log through the
# reference Nim reader's ct_reader_* functions (nim-ct-dump runs them in the
# debugger's order; its verdict "errors" means the debugger shows no step,
# a crash is a refusal too); 25.11 has no CTFS path at all (code reading).
run_ct() { # name file
    said=$(timeout 300 "$refs/nim-ct-dump" "$2" 2>/dev/null | grep '"type":"verdict"' | head -n 1) || true
    [ -n "$said" ] || said="crashed"
    case "$said" in *'"result":"loads"'*) v=loads ;; *) v=refused ;; esac
    printf '%s\tlatest\t%s\tnim-ct-dump: %s\t\n' "$1" "$v" "$said"
    printf '%s\t25.11\trefused\tcode reading (no run): codetracer 25.11.1 dap_server.rs has no CTFS path\t\n' "$1"
}
# .ct with an events.log: the debugger sends it to the Rust open_old_format
# (ctfs_trace_reader/mod.rs), which was not built: verdicts from reading it
# (it needs meta.dat) and from the fixtures' README (minimal_trace.ct).
old_ct() { # name verdict why
    printf '%s\tlatest\t%s\tcode reading (no run): %s\t\n' "$1" "$2" "$3"
    printf '%s\t25.11\trefused\tcode reading (no run): codetracer 25.11.1 dap_server.rs has no CTFS path\t\n' "$1"
}
for c in $(cat "$cases/CASES"); do
    case "$c" in
    ct-*) run_ct "$c" "$cases/$c/trace.ct" ;;
    *) run "$c" "$cases/$c" ;;
    esac
done
for f in reference-rust codetracer-wasm codetracer-m0; do run "@$f" "$fixtures/$f"; done
for f in no_spans web_session python_flask_serve ruby_sinatra_ruby; do
    run_ct "@ctfs/$f.ct" "$fixtures/ctfs/$f.ct"
done
old_ct @ctfs/elixir_plug_app.ct loads "events.log with meta.dat: open_old_format"
old_ct @spec-ctfs/stylus_fund_tracking_demo.ct loads "events.log with meta.dat: open_old_format"
old_ct @spec-ctfs/minimal_trace.ct refused "events.log without meta.dat (fixtures README: the current debugger refuses it)"
