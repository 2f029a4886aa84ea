#!/usr/bin/env bash
# symbols.sh STATIC SHARED INTERNAL CC CLASH_C
# Only ctrec_* symbols are global in libctrec.a and exported by libctrec.so;
# a program defining the library's internal names links statically against
# libctrec.a and runs. The internal library (the tests' own) still has
# them global, so that the check below is known to look at the right thing.
set -euo pipefail
static=$1 shared=$2 internal=$3 cc=$4 clash=$5
fails=0
globals() { nm -g --defined-only "$@" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u; }
bad=$(globals "$static" | grep -v '^ctrec_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: libctrec.a has global symbols without the ctrec_ prefix:"; echo "$bad" | head -50
    fails=$((fails + 1))
fi
grep -qx ctrec_writer_open <<<"$(globals "$static")" || { echo "FAIL: libctrec.a lacks ctrec_writer_open"; fails=$((fails + 1)); }
bad=$(nm -D --defined-only "$shared" | awk 'NF == 3 {print $3}' | grep -v '^ctrec_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: libctrec.so exports symbols without the ctrec_ prefix:"; echo "$bad" | head -50
    fails=$((fails + 1))
fi
# the internal names the clash program defines really are the library's
# (nm's list is read whole first: `nm | grep -q` under pipefail fails when
# grep exits before nm has written everything)
internal_globals=$(globals "$internal")
for n in buf_grow err_set write_all vec_grow json_parse_event intern_add text_double; do
    grep -qx "$n" <<<"$internal_globals" || { echo "FAIL: $n is not a function of the library (update clash.c)"; fails=$((fails + 1)); }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inc=$(cd "$(dirname "$0")/../../include" && pwd)
zlibs=$(pkg-config --libs --static libzstd)
if ! "$cc" -std=c11 -Wall -Werror -I"$inc" "$clash" "$static" $zlibs -lpthread -lm -o "$tmp/clash" 2>"$tmp/ld.err"; then
    echo "FAIL: a program defining the internal names does not link against libctrec.a:"
    head -20 "$tmp/ld.err"
    fails=$((fails + 1))
elif ! "$tmp/clash" "$tmp/trace"; then
    echo "FAIL: the clash program failed"; fails=$((fails + 1))
elif ! grep -q '"Step":{"path_id":0,"line":2}' "$tmp/trace/trace.json"; then
    echo "FAIL: the clash program's trace lacks its Step"; fails=$((fails + 1))
fi
[ $fails -eq 0 ] && echo "lib_symbols: ok" || exit 1
