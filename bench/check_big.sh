#!/bin/sh
# check_big.sh — `ctrec check` on a trace of at least 1 GB runs in constant
# memory: writes a W1 trace with ctrec-bench, checks it under
# /usr/bin/time -v and prints the peak RSS, which must stay under 64 MB.
# Not part of the quick test suite.
#
#   bench/check_big.sh [BUILD_DIR [N [FORMAT]]]   (defaults: build 8000000 json)
#
# The trace is written to $TMPDIR (default /tmp) and removed afterwards
# (KEEP=1 keeps it).
set -eu
BUILD=${1:-build}
N=${2:-8000000}
FORMAT=${3:-json}
LIMIT_KB=$((64 * 1024))
MIN_BYTES=1000000000

for p in "$BUILD/bin/ctrec-bench" "$BUILD/bin/ctrec" /usr/bin/time; do
    [ -x "$p" ] || { echo "check_big: $p not found (build first)" >&2; exit 2; }
done

DIR=$(mktemp -d "${TMPDIR:-/tmp}/ctrec-check-big-XXXXXX")
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"; }
trap cleanup EXIT

echo "writing W1 -n $N ($FORMAT) to $DIR/trace ..."
"$BUILD/bin/ctrec-bench" w1 -n "$N" --format "$FORMAT" --out "$DIR/trace"
FILE="$DIR/trace/trace.$FORMAT"
BYTES=$(stat -c %s "$FILE")
echo "trace file: $FILE, $BYTES bytes"
if [ "$FORMAT" = json ] && [ "$BYTES" -lt "$MIN_BYTES" ]; then
    echo "check_big: the trace is under 1 GB: raise N" >&2
    exit 2
fi

set +e
/usr/bin/time -v "$BUILD/bin/ctrec" check --max 20 "$DIR/trace" >"$DIR/check.out" 2>"$DIR/time.out"
RC=$?
set -e
cat "$DIR/check.out"
RSS_KB=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$DIR/time.out")
SECS=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$DIR/time.out")
echo "ctrec check: exit $RC, wall $SECS, peak RSS $RSS_KB kB ($((RSS_KB / 1024)) MB) for $BYTES bytes"
# W1 records a made-up source (no files/ copy): warnings, no errors.
[ "$RC" -eq 0 ] || { echo "check_big: ctrec check found errors" >&2; exit 1; }
[ "$RSS_KB" -lt "$LIMIT_KB" ] || { echo "check_big: peak RSS over 64 MB" >&2; exit 1; }
echo "check_big: ok (peak RSS < 64 MB)"
