#!/bin/sh
# damage.sh DAMAGE WRITE_ALL BENCH WORK — cuts and flips in trace.bin and
# trace.json files with many frames / events.
set -eu
damage=$1 write_all=$2 bench=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
"$write_all" "$work/all-bin" bin --frame 1024
"$write_all" "$work/all-json" json
"$bench" w1 -n 20000 --format bin --out "$work/w1-bin" >/dev/null
"$bench" w1 -n 2000 --format json --out "$work/w1-json" >/dev/null
for t in all-bin/trace.bin all-json/trace.json w1-bin/trace.bin w1-json/trace.json; do
  echo "== $t"
  "$damage" "$work/$t" "$work"
done
