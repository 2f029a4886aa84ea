#!/bin/sh
# follow.sh CTREC SLOW_WRITER WORK PYTHON BIN_DECODE — `ctrec follow` on a recording while it
# is written (slowly, flushed after every step) sees every event, for both
# formats, then stops by itself when the recording is closed.
set -eu
ctrec=$1 slow=$2 work=$3 py=$4 decode=$5
rm -rf "$work" && mkdir -p "$work"
for fmt in json bin; do
  dir="$work/rec-$fmt"
  # the follower starts first and waits for the trace to appear
  "$ctrec" follow --timeout 20000 "$dir" > "$work/follow-$fmt.txt" &
  fpid=$!
  sleep 0.2
  "$slow" "$dir" $fmt 60 20
  if ! wait $fpid; then
    echo "follow ($fmt) failed" >&2
    exit 1
  fi
  "$ctrec" print "$dir" > "$work/print-$fmt.txt"
  if ! cmp "$work/follow-$fmt.txt" "$work/print-$fmt.txt"; then
    echo "follow ($fmt) saw other events than print:" >&2
    diff "$work/follow-$fmt.txt" "$work/print-$fmt.txt" | head >&2
    exit 1
  fi
  n=$(wc -l < "$work/follow-$fmt.txt")
  [ "$n" -eq 126 ] || { echo "follow ($fmt): $n events, want 126" >&2; exit 1; }
  echo "follow $fmt: ok ($n events)"
done
# the independent decoder reads the binary recording and finds the JSON one's events
"$py" "$decode" "$work/rec-bin" "$work/rec-json"

# Ctrl-C stops a follower of an unfinished recording cleanly (exit 0)
mkdir -p "$work/never"
printf '[\n{"Path":"a"}' > "$work/never/trace.json"
"$ctrec" follow "$work/never" > "$work/never.txt" &
fpid=$!
sleep 0.5
kill -INT $fpid
wait $fpid
grep -q '"Path":"a"' "$work/never.txt"
echo "follow interrupt: ok"
