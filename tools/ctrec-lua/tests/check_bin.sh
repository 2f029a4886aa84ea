#!/bin/sh
# check_bin.sh CTREC_LUA CTREC EXAMPLES_DIR WORKDIR
# Records every example in the binary format (the default) and asks
# `ctrec check --strict` whether the debugger loads the trace.
set -u
CTREC_LUA=$1 CTREC=$2 EX=$3 WORK=$4
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
fails=0
for script in "$EX"/*.lua; do
    name=$(basename "$script" .lua)
    [ "$name" = mod_util ] && continue
    for opts in "" "--values=none"; do
        out="$WORK/$name$opts"
        "$CTREC_LUA" $opts -o "$out" "$script" >/dev/null 2>&1
        if ! "$CTREC" check --strict "$out" >"$out.check" 2>&1; then
            echo "FAIL: ctrec check $name $opts:"; cat "$out.check"
            fails=$((fails + 1))
        fi
    done
done
[ $fails -eq 0 ] && echo "ok ctrec check" || exit 1
