#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each.
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]    (TARGET: writer json_reader ...)
#
# Corpora: the committed seeds in fuzz/corpus/<target>/ (read only), seeds
# made at run time from the shared fixtures (FIXTURES, default
# ../shared/fixtures), and a working corpus in BUILD_DIR/fuzz/corpus/<target>
# where new inputs go. A crash leaves its input in BUILD_DIR/fuzz/artifacts/
# and fails the run; add it to fuzz/corpus/<target>/ as regress-<sha1> once
# fixed. Logs: BUILD_DIR/fuzz/logs/<target>.log. One summary line per target.
# FUZZ_JOBS (default: the number of cores) targets run at a time.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
secs=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(writer json_reader bin_reader check trace_filter ct_container ct_steps
                                    ct_values ct_calls ct_events ct_meta ct_spans ct_legacy
                                    ct_stepmap ct_repair ct_sidecar)
fixtures=${FIXTURES:-$here/../../shared/fixtures}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
out=$build/fuzz
mkdir -p "$out/artifacts" "$out/logs"

# seeds from the fixtures (never copied into the repository)
fix_seeds() {
  local t=$1 d=$out/fixture-seeds/$1
  rm -rf "$d"; mkdir -p "$d"
  [ -d "$fixtures" ] || { echo "$d"; return; }
  for tr in "$fixtures"/*/; do
    local n; n=$(basename "$tr")
    if [ -f "$tr/trace.json" ]; then
      case $t in
        json_reader|check)
          { printf '\000'; cat "$tr/trace.json"; } > "$d/$n"
          { printf '\001'; cat "$tr/trace.json"; printf '\n@@\n'; cat "$tr/trace_paths.json" 2>/dev/null
            printf '\n@@\n'; cat "$tr/trace_metadata.json" 2>/dev/null; } > "$d/$n-side" ;;
        bin_reader)
          if [ -x "$build/bin/ctrec" ] && "$build/bin/ctrec" convert "$tr" "$out/tmp-$n" >/dev/null 2>&1 &&
             [ -f "$out/tmp-$n/trace.bin" ]; then
            { printf '\000'; cat "$out/tmp-$n/trace.bin"; } > "$d/$n"
          fi
          rm -rf "$out/tmp-$n" ;;
      esac
    fi
    for ct in "$tr"/*.ct; do
      [ -f "$ct" ] || continue
      case $t in
        bin_reader|ct_container) { printf '\000'; cat "$ct"; } > "$d/$n-$(basename "$ct")" ;;
        ct_steps|ct_values|ct_calls|ct_events)
          # a stream's first chunk, decompressed, as the .ct reader sees it
          if [ -x "$build/bin/ctrec" ] && command -v zstd >/dev/null; then
            s=${t#ct_}
            "$build/bin/ctrec" cat "$ct" "$s.dat" 2>/dev/null | zstd -dcq 2>/dev/null |
              head -c 65536 > "$d/$n-$(basename "$ct")" || true
          fi ;;
        ct_spans)
          # spans.dat's chunks, decompressed, after a 0 byte (count them)
          if [ -x "$build/bin/ctrec" ] && command -v zstd >/dev/null; then
            { printf '\000'; "$build/bin/ctrec" cat "$ct" spans.dat 2>/dev/null | zstd -dcq 2>/dev/null |
              head -c 65536; } > "$d/$n-$(basename "$ct")" || true
          fi ;;
        ct_stepmap)
          [ -x "$build/bin/ctrec" ] && "$build/bin/ctrec" cat "$ct" step-map.ns > "$d/$n-$(basename "$ct")" 2>/dev/null
          [ -s "$d/$n-$(basename "$ct")" ] || rm -f "$d/$n-$(basename "$ct")" ;;
        ct_meta)
          [ -x "$build/bin/ctrec" ] && "$build/bin/ctrec" cat "$ct" meta.dat > "$d/$n-$(basename "$ct")" 2>/dev/null ;;
      esac
    done
  done
  # the older layout's events.log forms no fixture has alone: split-binary
  # chunks, after trace.bin's header or not, their frames without content
  # sizes, and trace.bin's stream (the Rust crate's CTFS writer), written by
  # tests/ct/make_log_ct.py
  if [ "$t" = ct_container ]; then
    local py=${CTREC_PYTHON:-/usr/bin/python3} form
    for form in split header unpledged bin-stream; do
      local a=; [ $form = split ] || a=--$form
      "$py" "$here/../tests/ct/make_log_ct.py" "$out/tmp-log.ct" $a 2>/dev/null &&
        { printf '\000'; cat "$out/tmp-log.ct"; } > "$d/log-$form"
    done
    rm -f "$out/tmp-log.ct"
  fi
  echo "$d"
}

# one target: its summary line in $out/logs/<target>.summary, its exit
# status in <target>.rc
fuzz_one() {
  local t=$1 bin=$build/bin/fuzz_$1
  local sum=$out/logs/$t.summary
  if [ ! -x "$bin" ]; then
    echo "fuzz $t: not built (skipped)" >"$sum"; echo 0 >"$out/logs/$t.rc"
    return
  fi
  local work=$out/corpus/$t
  mkdir -p "$work"
  local seeds=()
  [ -d "$here/corpus/$t" ] && seeds+=("$here/corpus/$t")
  seeds+=("$(fix_seeds "$t")")
  local log=$out/logs/$t.log
  local start; start=$(date +%s)
  "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" "$work" "${seeds[@]}" >"$log" 2>&1
  local rc=$?
  local el=$(( $(date +%s) - start ))
  local execs cov ft eps corp
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  corp=$(find "$work" -type f | wc -l)
  if [ $rc -ne 0 ]; then
    { echo "fuzz $t: FAILED after ${el}s (exit $rc); log $log:"
      grep -v '^\s*#[0-9]' "$log" | grep -E 'ERROR|error|fuzz:|SUMMARY|Test unit|runtime' | head -20
    } >"$sum"
  else
    echo "fuzz $t: ok ${el}s, ${execs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $corp" >"$sum"
  fi
  echo "$rc" >"$out/logs/$t.rc"
}

# FUZZ_JOBS targets at a time (default: one per core; libFuzzer runs on
# one core); the summaries are printed in the targets' order.
par=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$par" -ge 1 ] 2>/dev/null || par=1
for t in "${targets[@]}"; do
  rm -f "$out/logs/$t.summary" "$out/logs/$t.rc"
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
  fuzz_one "$t" &
done
wait
fail=0
for t in "${targets[@]}"; do
  if [ -f "$out/logs/$t.summary" ]; then cat "$out/logs/$t.summary"
  else echo "fuzz $t: FAILED (no summary: the runner itself failed)"; fail=1; fi
  rc=$(cat "$out/logs/$t.rc" 2>/dev/null || echo 1)
  [ "$rc" = 0 ] || fail=1
done
exit $fail
