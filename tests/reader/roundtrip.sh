#!/bin/sh
# roundtrip.sh CTREC PYTHON FIXTURES WRITE_ALL EXAMPLE BENCH BIN_DECODE WORK
#
# Every JSON fixture and writer-made traces go JSON -> bin -> JSON with the
# same events (`ctrec print` output compared), folder to folder and file to
# file; the independent python decoder reads every trace.bin written here and
# finds the events of the JSON of the same recording, checking the seek
# table against the real frames.
set -eu
ctrec=$1 py=$2 fixtures=$3 write_all=$4 example=$5 bench=$6 decode=$7 work=$8
rm -rf "$work" && mkdir -p "$work"
fail() { echo "roundtrip: FAIL: $*" >&2; exit 1; }

roundtrip() { # name json-trace-folder
  name=$1 src=$2 w="$work/$1"
  mkdir -p "$w"
  "$ctrec" print "$src" > "$w/a.txt" || fail "$name: print"
  "$ctrec" convert "$src" "$w/bin" || fail "$name: convert to bin"
  [ -f "$w/bin/trace.bin" ] || fail "$name: no trace.bin"
  "$ctrec" print "$w/bin" > "$w/b.txt" || fail "$name: print bin"
  "$ctrec" convert "$w/bin" "$w/json" || fail "$name: convert back"
  [ -f "$w/json/trace.json" ] || fail "$name: no trace.json"
  "$ctrec" print "$w/json" > "$w/c.txt" || fail "$name: print json"
  cmp -s "$w/a.txt" "$w/b.txt" || fail "$name: bin differs: $(diff "$w/a.txt" "$w/b.txt" | head -5)"
  cmp -s "$w/a.txt" "$w/c.txt" || fail "$name: json differs"
  # file to file
  "$ctrec" convert "$src" "$w/one.bin" || fail "$name: convert file"
  "$ctrec" convert "$w/one.bin" "$w/one.json" || fail "$name: convert file back"
  "$ctrec" print "$w/one.json" > "$w/d.txt"
  cmp -s "$w/a.txt" "$w/d.txt" || fail "$name: file to file differs"
  # folder contents carried over
  for f in trace_metadata.json trace_paths.json; do
    if [ -f "$src/$f" ]; then
      if [ "$f" = trace_metadata.json ]; then
        cmp -s "$src/$f" "$w/bin/$f" || fail "$name: $f not carried over"
      else
        "$py" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a!=b)' \
          "$src/$f" "$w/bin/$f" || fail "$name: $f differs"
      fi
    fi
  done
  if [ -d "$src/files" ]; then
    diff -r "$src/files" "$w/bin/files" >/dev/null || fail "$name: files/ not carried over"
  fi
  # the independent decoder: the binary trace holds the events of the JSON
  "$py" "$decode" "$w/bin" "$src" || fail "$name: python decoder"
  "$py" "$decode" "$w/one.bin" "$src" || fail "$name: python decoder (file)"
  echo "roundtrip $name: ok ($(wc -l < "$w/a.txt") events)"
}

nfix=0
for f in "$fixtures"/*/; do
  f=${f%/}
  [ -f "$f/trace.json" ] || continue
  roundtrip "fixture-$(basename "$f")" "$f"
  nfix=$((nfix + 1))
done
[ "$nfix" -ge 3 ] || fail "found $nfix JSON fixtures in $fixtures (expected the 3 of ../shared/fixtures)"

# writer-made: every event and value kind, in both formats from one program
"$write_all" "$work/all-json" json
"$write_all" "$work/all-bin" bin
"$write_all" "$work/all-bin-small" bin --frame 1024
# a files/ folder to carry over (copies of the sources, nested)
mkdir -p "$work/all-json/files/src/sub"
printf 'print(1)\n' > "$work/all-json/files/src/all.src"
printf 'x\n' > "$work/all-json/files/src/sub/other.src"
roundtrip all "$work/all-json"
[ -f "$work/all/bin/files/src/sub/other.src" ] || fail "files/ not copied"
for b in all-bin all-bin-small; do
  "$py" "$decode" "$work/$b" "$work/all-json" || fail "$b: python decoder vs the JSON recording"
  "$ctrec" print "$work/$b" > "$work/$b.txt"
  cmp -s "$work/all/a.txt" "$work/$b.txt" || fail "$b: reads other events than all-json"
done

"$example" "$work/example-json" json >/dev/null
"$example" "$work/example-bin" bin >/dev/null
roundtrip example "$work/example-json"
"$py" "$decode" "$work/example-bin" "$work/example-json" || fail "example: python decoder"

"$bench" w1 -n 3000 --format json --out "$work/w1-json" >/dev/null
"$bench" w1 -n 3000 --format bin --out "$work/w1-bin" >/dev/null
roundtrip w1 "$work/w1-json"
"$py" "$decode" "$work/w1-bin" "$work/w1-json" || fail "w1: python decoder"

# threaded compression writes the same bytes as compression on the caller's thread
"$bench" w1 -n 20000 --format bin --threads 0 --out "$work/w1-sync" >/dev/null
"$bench" w1 -n 20000 --format bin --threads 1 --out "$work/w1-thread" >/dev/null
cmp -s "$work/w1-sync/trace.bin" "$work/w1-thread/trace.bin" || fail "threaded trace.bin differs"


# stats agrees with the trace
"$ctrec" stats --json "$work/w1-bin" > "$work/stats.json"
"$py" -c '
import json,sys
s=json.load(open(sys.argv[1]))
assert s["events"]==7809, s
assert s["calls"]==301 and s["returns"]==300 and s["max_call_depth"]==2, s
assert s["steps"]==3600 and s["paths"]==1 and s["functions"]==2 and s["variables"]==3, s
' "$work/stats.json" || fail "stats: $(cat "$work/stats.json")"
"$ctrec" stats "$work/w1-json" >/dev/null || fail "stats text"

# usage errors exit 2, bad traces 1, --help 0
"$ctrec" print --help >/dev/null || fail "print --help"
for c in print follow convert stats; do "$ctrec" $c --help >/dev/null || fail "$c --help"; done
set +e
"$ctrec" print >/dev/null 2>&1; [ $? -eq 2 ] || fail "print without TRACE must exit 2"
"$ctrec" bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command must exit 2"
"$ctrec" convert "$work/all-json" "$work/all-json" >/dev/null 2>&1; [ $? -eq 2 ] || fail "convert into IN must exit 2"
"$ctrec" convert "$work/all-json/trace.json" "$work/all-json" >/dev/null 2>&1; [ $? -eq 2 ] || fail "convert into IN's folder must exit 2"
[ -f "$work/all-json/trace.json" ] || fail "convert into IN's folder destroyed it"
printf '[{"Path":"a"},' > "$work/cut.json"
"$ctrec" print "$work/cut.json" > /dev/null 2> "$work/cut.err"; [ $? -eq 1 ] || fail "bad trace must exit 1"
set -e
grep -q "cut.json\|trace" "$work/cut.err" || true
grep -q "byte" "$work/cut.err" || fail "error without a byte offset: $(cat "$work/cut.err")"
echo "roundtrip: all ok"
