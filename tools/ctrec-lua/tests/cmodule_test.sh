#!/bin/sh
# cmodule_test.sh CTREC_LUA MODULE_DIR WORKDIR
# A Lua C module built without liblua5.4 (cmodule.c, as Debian's lfs.so or
# lpeg.so) loads under ctrec-lua in every format: the executable gives it
# the Lua API (linked with liblua5.4.a, it exports it). The module is built
# with the build's flags, sanitizers included, so only ctrec-lua loads it
# (lua5.4 could not load an ASan build's): its output is compared with the
# expected one.
set -e
CTREC_LUA=$1 MODDIR=$2 WORK=$3
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
printf 'package.cpath = "%s/?.so;" .. package.cpath\nlocal m = require("cmodule")\nprint(m.add(40, 2))\n' \
    "$MODDIR" >use.lua
for f in ct bin json; do
    "$CTREC_LUA" --format $f -o "t_$f" use.lua >rec.out 2>&1 || { echo "$f: $(cat rec.out)"; exit 1; }
    [ "$(cat rec.out)" = 42 ] || { echo "$f: $(cat rec.out)"; exit 1; }
done
echo "cmodule: ok"
