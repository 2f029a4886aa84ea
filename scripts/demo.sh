#!/usr/bin/env bash
# `make demo`: record a small program and show what was written.
set -euo pipefail
build=${1:-build}
bin="$build/bin"
out=ctrec-trace
rm -rf "$out"

echo "== recording examples/record_example.c's made-up program with the C API"
"$bin/ctrec-example-c" "$out"
echo
echo "== files written"
find "$out" -type f | sort | while read -r f; do
  printf '%8d  %s\n' "$(stat -c %s "$f")" "$f"
done
echo
echo "== $out/trace_metadata.json"
cat "$out/trace_metadata.json"
echo "== $out/trace_paths.json"
cat "$out/trace_paths.json"
echo "== $out/trace.json (first 12 events)"
head -n 13 "$out/trace.json"
echo "..."
