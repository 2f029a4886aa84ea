#!/usr/bin/env bash
# Line coverage of src/ reached by the fuzz corpora (llvm-cov, clang 14).
#
#   fuzz/coverage.sh [CORPUS_ROOT]    (default build-asan/fuzz/corpus)
#
# Builds the fuzz targets with -fprofile-instr-generate (no sanitizers) in
# build-cov/, runs each over its committed seeds and its working corpus
# once, and prints llvm-cov's per-file report for src/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${1:-$root/build-asan/fuzz/corpus}
b=$root/build-cov
cmake -S "$root" -B "$b" -DCMAKE_C_COMPILER=clang -DCTREC_FUZZ=ON -DCTREC_BUILD_LUA=OFF \
  "-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -fprofile-instr-generate -fcoverage-mapping" \
  "-DCMAKE_EXE_LINKER_FLAGS=-fprofile-instr-generate" >/dev/null
targets=()
for t in writer json_reader bin_reader check; do
  cmake --build "$b" -j "$(nproc)" --target "fuzz_$t" >/dev/null 2>&1 || continue
  dirs=()
  [ -d "$here/corpus/$t" ] && dirs+=("$here/corpus/$t")
  [ -d "$corpus/$t" ] && dirs+=("$corpus/$t")
  LLVM_PROFILE_FILE=$b/$t.profraw "$b/bin/fuzz_$t" -runs=0 "${dirs[@]}" >/dev/null 2>&1
  targets+=("$t")
done
profs=(); objs=()
for t in "${targets[@]}"; do profs+=("$b/$t.profraw"); objs+=(-object "$b/bin/fuzz_$t"); done
llvm-profdata-14 merge -o "$b/all.profdata" "${profs[@]}"
llvm-cov-14 report "${objs[@]:1}" -instr-profile="$b/all.profdata" "$root/src" |
  awk 'NR > 2 && NF >= 10 {printf "%-24s lines %7s  branches %7s\n", $1, $10, $13}'
