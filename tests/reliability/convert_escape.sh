#!/usr/bin/env bash
# `ctrec convert` on hostile trace folders: trace_paths.json and Path events
# with `..` components and absolute paths, a files/ tree holding symlinks
# out of the folder (to a folder, to /etc/passwd, a relative `../..` one),
# files/ itself a symlink, and trace_metadata.json a symlink to a private
# file. The conversion must end cleanly, write nothing outside OUT, leave no
# symlink in OUT, copy the regular files of files/, and carry no byte of a
# file outside IN into OUT.
#
#   tests/reliability/convert_escape.sh BUILD_DIR
set -uo pipefail
ctrec=$(cd "$1" && pwd)/bin/ctrec
[ -x "$ctrec" ] || { echo "skipped: $ctrec not built"; exit 77; }
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$base/outside" "$base/in/files/ok" "$base/in/files/deep"
echo "PRIVATE-$$-secret" > "$base/private.txt"
cat > "$base/in/trace.json" <<'J'
[
{"Path":"../../../outside/pwn"},
{"Path":"/etc/passwd"},
{"Path":"files/../../outside/x"},
{"Function":{"path_id":0,"line":1,"name":"<toplevel>"}},
{"Call":{"function_id":0,"args":[]}},
{"Step":{"path_id":0,"line":1}}
]
J
echo '["../../../outside/pwn","/etc/passwd","files/../../outside/x"]' > "$base/in/trace_paths.json"
ln -s "$base/private.txt" "$base/in/trace_metadata.json"
ln -s "$base/outside" "$base/in/files/link-out"
ln -s /etc/passwd "$base/in/files/etc-passwd"
ln -s ../../../outside "$base/in/files/deep/up"
echo "regular" > "$base/in/files/ok/real.txt"
# a second input whose files/ is itself a symlink out of the folder
mkdir -p "$base/in2"
cp "$base/in/trace.json" "$base/in/trace_paths.json" "$base/in2/"
ln -s "$base/outside" "$base/in2/files"
echo "outside-$$-content" > "$base/outside/leak.txt"

snapshot() { (cd "$base" && find . -path ./out -prune -o -path './out*' -prune -o -print | sort; \
              find "$base/outside" -type f -exec md5sum {} + | sort); }
before=$(snapshot)

check_out() { # check_out NAME OUT
  local name=$1 out=$2
  [ -d "$out" ] || { fail "$name: no output folder"; return; }
  if [ -n "$(find "$out" -type l)" ]; then fail "$name: symlinks in the output: $(find "$out" -type l)"; fi
  if grep -rqs -e "PRIVATE-$$-secret" -e "outside-$$-content" -e "root:x:0:0" "$out"; then
    fail "$name: a file from outside the input folder was copied into the output"
  fi
}

run() { # run NAME ARGS...
  local name=$1; shift
  "$ctrec" convert "$@" >"$base/out.log" 2>&1
  local rc=$?
  if [ $rc -ge 2 ]; then fail "$name: exit $rc: $(head -3 "$base/out.log")"; fi
  echo "$name: exit $rc"
}

run "folder json -> bin" "$base/in" "$base/out1"
check_out "folder json -> bin" "$base/out1"
cmp -s "$base/in/files/ok/real.txt" "$base/out1/files/ok/real.txt" ||
  fail "folder json -> bin: files/ok/real.txt not copied"
run "folder bin -> json" "$base/out1" "$base/out2"
check_out "folder bin -> json" "$base/out2"
run "trace.json file -> folder" "$base/in/trace.json" "$base/out3"
check_out "trace.json file -> folder" "$base/out3"
run "files/ a symlink" "$base/in2" "$base/out4"
check_out "files/ a symlink" "$base/out4"
[ -e "$base/out4/files/leak.txt" ] && fail "files/ a symlink: its target was copied"

after=$(snapshot)
if [ "$before" != "$after" ]; then
  fail "something outside the output folders changed:"; diff <(echo "$before") <(echo "$after") | head
fi
[ -e "$base/outside/pwn" ] || [ -e "$base/outside/x" ] && fail "a file was written through a .. path"
if [ $fails -eq 0 ]; then echo "convert keeps hostile input folders' files inside OUT"; fi
[ $fails -eq 0 ]
