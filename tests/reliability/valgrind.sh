#!/usr/bin/env bash
# `make test-valgrind`: the programs under valgrind memcheck, which must
# report nothing (any error, or a definite/possible leak, fails).
#
#   tests/reliability/valgrind.sh BUILD_DIR [FIXTURES_DIR]
#
# Runs the C examples (ctrec-example-c, ctrec-stackvm) and the W1 benchmark (both formats), the ctrec tool's
# print / convert / stats / check on those traces and on the shared
# fixtures, and ctrec-lua on example programs, when each is built.
set -uo pipefail
build=$(cd "$1" && pwd)
fixtures=${2:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/fixtures}
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=$build/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v valgrind >/dev/null || { echo "valgrind: not installed (scripts/setup-deps.sh)"; exit 1; }

# VALGRIND_JOBS (default: the number of cores) runs at a time; vg_wait
# waits for them (the runs after it read what the runs before it wrote)
# and reports the failed ones in the order they were started.
par=${VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$par" -ge 1 ] 2>/dev/null || par=1
fails=0 runs=0 reported=0
vg_one() { # vg_one ID NAME EXPECTED_EXIT cmd...
  local id=$1 name=$2 want=$3; shift 3
  local log=$tmp/vg-$id.log out=$tmp/out-$id err=$tmp/err-$id
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible \
    --track-fds=no --log-file="$log" "$@" >"$out" 2>"$err"
  local rc=$?
  if [ $rc -eq 99 ] || [ -s "$log" ]; then
    { echo "valgrind: $name: memcheck reports:"; sed 's/^/  /' "$log" | head -40; } >"$tmp/fail-$id"
  elif [ "$want" != any ] && [ $rc -ne "$want" ]; then
    { echo "valgrind: $name: exit $rc, expected $want"; sed 's/^/  /' "$err" | head -10; } >"$tmp/fail-$id"
  fi
  echo done >"$tmp/done-$id"
  rm -f "$out" "$err"
}
vg() { # vg NAME EXPECTED_EXIT cmd...
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
  vg_one "$runs" "$@" &
  runs=$((runs + 1))
}
vg_wait() {
  wait
  while [ "$reported" -lt "$runs" ]; do
    if [ ! -f "$tmp/done-$reported" ]; then
      echo "valgrind: run $reported: did not finish"; fails=$((fails + 1))
    elif [ -f "$tmp/fail-$reported" ]; then
      cat "$tmp/fail-$reported"; fails=$((fails + 1))
    fi
    reported=$((reported + 1))
  done
}

start=$(date +%s)
vg "ctrec-example-c json" 0 "$bin/ctrec-example-c" "$tmp/ex-json" json
vg "ctrec-example-c bin" 0 "$bin/ctrec-example-c" "$tmp/ex-bin" bin
if [ -x "$bin/ctrec-stackvm" ]; then
  vg "ctrec-stackvm json" 0 "$bin/ctrec-stackvm" "$tmp/vm-json" json
  vg "ctrec-stackvm bin" 0 "$bin/ctrec-stackvm" "$tmp/vm-bin" bin
fi
vg "ctrec-bench w1 json" 0 "$bin/ctrec-bench" w1 -n 20000 --format json --out "$tmp/w1-json"
vg "ctrec-bench w1 bin" 0 "$bin/ctrec-bench" w1 -n 20000 --format bin --out "$tmp/w1-bin"

# which ctrec commands run on which trace (each run costs a valgrind start)
jobs=("$tmp/ex-json:print stats convert check" "$tmp/ex-bin:print convert check"
      "$tmp/w1-bin:stats check")
for f in "$fixtures"/codetracer-wasm "$fixtures"/codetracer-m0 "$fixtures"/reference-rust; do
  [ -d "$f" ] && jobs+=("$f:print convert check")
done
if [ -x "$bin/ctrec-lua" ]; then
  for ex in fib:bin tables:bin closures:json; do
    name=${ex%%:*} fmt=${ex##*:}
    [ -f "$src/examples/lua/$name.lua" ] || continue
    cd "$src/examples/lua" || exit 1
    vg "ctrec-lua $name.lua ($fmt)" any "$bin/ctrec-lua" --format "$fmt" -o "$tmp/lua-$name" "$name.lua"
    cd - >/dev/null || exit 1
    jobs+=("$tmp/lua-$name:print check")
  done
  # the ends of a run: os.exit(code, true) and a normal end close the Lua
  # state before the trace
  for t in exit_close:4 gc_end:0 exit_badarg:1; do
    name=${t%%:*}
    vg "ctrec-lua tests/lua/$name.lua" "${t##*:}" "$bin/ctrec-lua" -o "$tmp/lua-$name" \
      "$src/tools/ctrec-lua/tests/lua/$name.lua"
    jobs+=("$tmp/lua-$name:check")
  done
else
  echo "valgrind: $bin/ctrec-lua not built: Lua runs skipped"
fi
vg_wait # the traces the runs below read
if [ -x "$bin/ctrec" ]; then
  has_check=0
  "$bin/ctrec" --help 2>&1 | grep -q ' check ' && has_check=1
  i=0
  for job in "${jobs[@]}"; do
    t=${job%%:*}
    for c in ${job#*:}; do
      i=$((i + 1))
      case $c in
        convert) vg "ctrec convert $t" 0 "$bin/ctrec" convert "$t" "$tmp/conv-$i" ;;
        check) [ $has_check = 1 ] && vg "ctrec check $t" any "$bin/ctrec" check "$t" ;; # exit 0 or 1
        *) vg "ctrec $c $t" 0 "$bin/ctrec" "$c" "$t" ;;
      esac
    done
  done
  # damaged input: a clean error, still no memcheck report
  head -c 300 "$tmp/w1-bin/trace.bin" > "$tmp/cut.bin"
  vg "ctrec print (cut trace.bin)" any "$bin/ctrec" print "$tmp/cut.bin"
  head -c 700 "$tmp/ex-json/trace.json" > "$tmp/cut.json"
  vg "ctrec print (cut trace.json)" any "$bin/ctrec" print "$tmp/cut.json"
  if grep -q " repair " <<<"$("$bin/ctrec" --help 2>&1)"; then
    mkdir -p "$tmp/rep-json" "$tmp/rep-bin"
    cp "$tmp/cut.json" "$tmp/rep-json/trace.json"
    head -c 3000 "$tmp/w1-bin/trace.bin" > "$tmp/rep-bin/trace.bin"
    vg "ctrec repair (cut trace.json)" 0 "$bin/ctrec" repair "$tmp/rep-json"
    vg "ctrec repair (cut trace.bin)" 0 "$bin/ctrec" repair "$tmp/rep-bin"
  fi
else
  echo "valgrind: $bin/ctrec not built: tool runs skipped"
fi
vg_wait
echo "valgrind: $runs runs, $fails with reports or a wrong exit status ($(( $(date +%s) - start ))s)"
[ $fails -eq 0 ]
