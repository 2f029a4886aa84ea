#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs a program
# against the installed headers and libraries through pkg-config, shared and
# static; checks the shared library exports only ctrec_* symbols.
set -euo pipefail
build=$1
cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pcdir=$(find "$tmp/prefix" -name ctrec.pc -printf '%h\n' | head -n1)
[ -n "$pcdir" ] || { echo "FAIL: ctrec.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$pcdir
# the .pc names the configured prefix: point it at the temporary one
pkgconfig() { pkg-config --define-prefix "$@"; }
libdir=$(dirname "$pcdir")
for f in include/ctrec/ctrec.h include/ctrec/recording-guide.md bin/ctrec; do
  [ -f "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
cat > "$tmp/use.c" <<'C'
#include <ctrec/ctrec.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
    (void)argc;
    ctrec_writer *w;
    if (ctrec_writer_open(argv[1], NULL, &w) != CTREC_OK) return 1;
    if (ctrec_start(w, "/x.src", 6, 1) != CTREC_OK) return 1;
    if (ctrec_step(w, 0, 1) != CTREC_OK) return 1;
    if (ctrec_writer_close(w) != CTREC_OK) return 1;
    printf("%s\n", ctrec_version());
    return strcmp(ctrec_version(), CTREC_VERSION_STRING) != 0;
}
C
# shared
"$cc" -std=c11 -Wall -Werror "$tmp/use.c" $(pkgconfig --cflags --libs ctrec) -o "$tmp/use-shared"
LD_LIBRARY_PATH=$libdir "$tmp/use-shared" "$tmp/t1" >/dev/null
# (ldd's output is taken whole first: `ldd | grep -q` under pipefail fails
# whenever grep exits before ldd has written everything)
deps=$(ldd "$tmp/use-shared")
case $deps in *libctrec.so*) ;; *) echo "FAIL: not linked against the shared library"; exit 1 ;; esac
# static
"$cc" -std=c11 -Wall -Werror "$tmp/use.c" -static-libgcc $(pkgconfig --cflags ctrec) \
  "$libdir/libctrec.a" $(pkg-config --libs-only-l --static libzstd) -lpthread -lm -o "$tmp/use-static"
"$tmp/use-static" "$tmp/t2" >/dev/null
deps=$(ldd "$tmp/use-static" || true)
case $deps in *libctrec.so*) echo "FAIL: static build uses the .so"; exit 1 ;; esac
for t in t1 t2; do
  grep -q '"Step":{"path_id":0,"line":1}' "$tmp/$t/trace.json" || { echo "FAIL: $t/trace.json"; exit 1; }
done
# exports
bad=$(nm -D --defined-only "$libdir"/libctrec.so | awk '{print $3}' | grep -v '^ctrec_' || true)
if [ -n "$bad" ]; then echo "FAIL: non-API symbols exported: $bad"; exit 1; fi
# the installed tool reads what the installed library wrote
"$tmp/prefix/bin/ctrec" check "$tmp/t2" >/dev/null || { echo "FAIL: installed ctrec check"; exit 1; }
grep -q "^usage: ctrec" <<<"$("$tmp/prefix/bin/ctrec" --help)" || { echo "FAIL: installed ctrec --help"; exit 1; }
echo "install test passed"
