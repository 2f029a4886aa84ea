#!/bin/sh
# cmodule_test.sh CTREC_LUA LUA MODULE_DIR WORKDIR
# A Lua C module built without liblua5.4 (cmodule.c, as Debian's lfs.so or
# lpeg.so) loads under ctrec-lua as under lua5.4, in every format: the
# executable gives it the Lua API (linked with liblua5.4.a, it exports it).
set -e
CTREC_LUA=$1 LUA=$2 MODDIR=$3 WORK=$4
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
printf 'package.cpath = "%s/?.so;" .. package.cpath\nlocal m = require("cmodule")\nprint(m.add(40, 2))\n' \
    "$MODDIR" >use.lua
"$LUA" use.lua >ref.out 2>&1
[ "$(cat ref.out)" = 42 ] || { echo "lua5.4: $(cat ref.out)"; exit 1; }
for f in ct bin json; do
    "$CTREC_LUA" --format $f -o "t_$f" use.lua >rec.out 2>&1 || { echo "$f: $(cat rec.out)"; exit 1; }
    cmp -s ref.out rec.out || { echo "$f: $(cat rec.out)"; exit 1; }
done
echo "cmodule: ok"
