#!/usr/bin/env bash
# `make demo`: the main job — record a Lua program with ctrec-lua, then
# show what was written with `ctrec stats` and `ctrec check`.
set -euo pipefail
build=${1:-build}
bin="$build/bin"
out=ctrec-trace
script=examples/lua/modules.lua
rm -rf "$out"

echo "== ctrec-lua -o $out $script one two three"
"$bin/ctrec-lua" -o "$out" "$script" one two three
echo
echo "== files written"
find "$out" -type f | sort | while read -r f; do
  printf '%8d  %s\n' "$(stat -c %s "$f")" "$f"
done
echo
echo "== ctrec stats $out"
"$bin/ctrec" stats "$out"
echo
echo "== ctrec check $out"
"$bin/ctrec" check "$out"
echo
echo "== the first events (ctrec print $out | head)"
# sed reads to the end: with head, ctrec print could be killed by SIGPIPE
# (exit 141, which pipefail makes the demo's status) when head exits first
"$bin/ctrec" print "$out" | sed -n '1,12p'
echo "..."
echo
echo "Open $out in CodeTracer, or read it: $bin/ctrec print $out | less"
