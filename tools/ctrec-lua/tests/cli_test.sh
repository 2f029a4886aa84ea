#!/bin/sh
# cli_test.sh CTREC_LUA LUA54 EXAMPLES_DIR WORKDIR
# Options, the binary format, the floors, scripts that do not load, and the
# arg table / LUA_INIT as lua5.4 gives them.
set -u
CTREC_LUA=$1 EX=$3 WORK=$4
# run lua5.4 by that name: it is the name it prints messages and arg[-1] with
PATH="$(dirname "$2"):$PATH"
LUA=lua5.4
CHECK="$(dirname "$0")/check_trace.py"
PY=${CTREC_PYTHON:-/usr/bin/python3}
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Same stdout, stderr and status as lua5.4; $1 = name, rest = script + args.
same() {
    name=$1; shift
    "$LUA" "$@" >ref.out 2>ref.err; ref=$?
    "$CTREC_LUA" --format json -o "$name" "$@" >rec.out 2>rec.err; rec=$?
    [ $ref -eq $rec ] || fail "$name: exit $rec, lua5.4 $ref"
    cmp -s ref.out rec.out || fail "$name: stdout differs"
    cmp -s ref.err rec.err || { fail "$name: stderr differs"; diff ref.err rec.err; }
}

# default: a CTFS v4 container (trace.ct) in ./ctrec-trace
"$CTREC_LUA" "$EX/fib.lua" >/dev/null || fail "default run"
[ -f ctrec-trace/trace.ct ] || fail "no ctrec-trace/trace.ct"
magic=$(od -An -tx1 -N8 ctrec-trace/trace.ct | tr -d ' \n')
[ "$magic" = "c0de72ace2040001" ] || fail "trace.ct header $magic"
[ -f ctrec-trace/trace_paths.json ] && [ -f ctrec-trace/trace_metadata.json ] || fail "metadata"
"$CTREC_LUA" --format=bin --values=none -o bin-none "$EX/closures.lua" >/dev/null || fail "bin none"
[ -s bin-none/trace.bin ] || fail "bin-none/trace.bin"

# the arg table, `...` and LUA_INIT
cat >args.lua <<'LUA'
print(arg[-1], arg[0], #arg, ...)
for i = -1, #arg do io.write(tostring(arg[i]), ";") end
print(select("#", ...), INIT)
LUA
same args args.lua one "two words" "" 4
LUA_INIT='INIT = "from LUA_INIT"' same init args.lua x
"$PY" "$CHECK" args || fail "args trace"

# scripts that do not load, errors with non-string objects, os.exit forms
printf 'local x = = 1\n' >syntax.lua
same syntax syntax.lua
"$PY" "$CHECK" syntax --expect-error || fail "syntax trace"
same missing no-such-file.lua
printf 'error({code = 1})\n' >errobj.lua
same errobj errobj.lua
"$PY" "$CHECK" errobj --expect-error || fail "errobj trace"
printf 'error(setmetatable({}, {__tostring = function() return "custom" end}))\n' >errts.lua
same errts errts.lua
printf 'io.write("bye")\nos.exit(true, true)\n' >exit0.lua
same exit0 exit0.lua
printf 'print("x")\nos.exit(false)\n' >exitf.lua
same exitf exitf.lua
"$PY" "$CHECK" exitf || fail "exitf trace"
printf 'io.stderr:write("to stderr ", 1, " ", 2.5, "\\n")\nio.write(1.0, " ", 7, "\\n")\nlocal f = io.tmpfile()\nf:write("x")\nprint(pcall(io.write, {}))\nprint(io.stdout:write("m\\n") == io.stdout)\n' >io.lua
same io io.lua
"$PY" "$CHECK" io || fail "io trace"

# os.exit in LUA_INIT, before the script: the trace is still finished
printf 'print("script")\n' >init.lua
LUA_INIT='os.exit(3)' "$CTREC_LUA" --format json -o init init.lua >/dev/null 2>&1
[ $? -eq 3 ] || fail "os.exit(3) in LUA_INIT: exit status"
"$PY" "$CHECK" init || fail "os.exit in LUA_INIT: trace"

# a trace that cannot be written whole (file size limit): the script runs
# on as under lua5.4, and the user is told how to complete the trace
sh -c 'trap "" XFSZ; ulimit -f 4; exec "$0" --format json -o fsz "$1" >fsz.out 2>fsz.err' \
    "$CTREC_LUA" "$EX/fib.lua" || fail "fsz: exit status"
"$LUA" "$EX/fib.lua" >ref.out
cmp -s ref.out fsz.out || fail "fsz: stdout differs"
grep -q 'the trace in fsz is incomplete; `ctrec repair fsz`' fsz.err || fail "fsz: no repair hint"

# Ctrl-C (SIGINT) as lua5.4 takes it: "interrupted!" is an ordinary error,
# the trace is finished with its Error event; a script that catches it
# goes on, still recorded. (A background job of sh starts with SIGINT
# ignored; lua5.4 and ctrec-lua set their handler anyway.)
interrupt() { # interrupt OUT_PREFIX cmd...: runs cmd, SIGINT once it printed
    out=$1; shift
    "$@" >"$out.out" 2>"$out.err" &
    pid=$!
    i=0 # the scripts print "ready" when they enter their loop
    while [ ! -s "$out.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.2
    kill -INT $pid
    i=0 # a run that ignores SIGINT must not loop (and record) for ever
    while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 $pid 2>/dev/null; then
        kill -KILL $pid
        wait $pid
        return 99
    fi
    wait $pid
}
# the loops spend their time in string.rep, so that 0.3 s makes few events
printf 'io.write("ready\\n") io.stdout:flush()\nwhile true do\n  X = string.rep("x", 100000):upper()\nend\n' >loop.lua
interrupt ref "$LUA" loop.lua; ref=$?
interrupt rec "$CTREC_LUA" --format json -o intr loop.lua; rec=$?
[ $ref -eq 1 ] && [ $rec -eq 1 ] || fail "SIGINT: exit $rec, lua5.4 $ref"
# the traceback names the function running when the signal came: compare
# the message and the traceback's header only
[ "$(head -2 ref.err)" = "$(head -2 rec.err)" ] &&
    [ "$(head -1 rec.err)" = "lua5.4: interrupted!" ] ||
    { fail "SIGINT: stderr differs"; diff ref.err rec.err; }
"$PY" "$CHECK" intr --expect-error || fail "SIGINT: trace"
printf 'local ok, err = pcall(function() print("ready") io.stdout:flush() while true do X = string.rep("x", 100000):upper() end end)\nprint(ok, err)\n' >caught.lua
interrupt ref "$LUA" caught.lua; ref=$?
interrupt rec "$CTREC_LUA" --format json -o caught caught.lua; rec=$?
[ $ref -eq 0 ] && [ $rec -eq 0 ] || fail "caught SIGINT: exit $rec, lua5.4 $ref"
# the message has a position when the signal came inside string.rep/upper
# (luaL_where of the hooked frame's caller): compare without it
sed 's/caught.lua:1: //' ref.out >ref.norm
sed 's/caught.lua:1: //' rec.out >rec.norm
cmp -s ref.norm rec.norm && [ "$(cat rec.norm)" = "$(printf 'ready\nfalse\tinterrupted!')" ] ||
    fail "caught SIGINT: stdout differs"
"$PY" "$CHECK" caught || fail "caught SIGINT: trace"
"$PY" - caught <<'PYEOF' || fail "caught SIGINT: no Step at line 2 with its Write event"
import json, sys
ev = json.load(open(sys.argv[1] + "/trace.json"))
i = max(k for k, e in enumerate(ev) if isinstance(e, dict) and "Step" in e)
assert ev[i]["Step"]["line"] == 2
assert any(isinstance(e, dict) and "Event" in e
           and e["Event"]["content"].replace("caught.lua:1: ", "") == "false\tinterrupted!\n"
           for e in ev[i:])
PYEOF

# floors write no trace; options are checked
"$CTREC_LUA" --floor hooks -o floor1 "$EX/fib.lua" >/dev/null || fail "floor hooks"
"$CTREC_LUA" --floor locals -o floor2 "$EX/fib.lua" >/dev/null || fail "floor locals"
[ ! -e floor1 ] && [ ! -e floor2 ] || fail "a floor run wrote a trace"
# the reads floor walks tables (cycles, nesting, long arrays) and leaves
# the program's output alone
for s in tables values; do
    "$LUA" "$EX/$s.lua" >ref.out 2>&1
    "$CTREC_LUA" --floor reads -o floor3 "$EX/$s.lua" >rec.out 2>&1 || fail "floor reads $s"
    cmp -s ref.out rec.out || fail "floor reads $s: output differs"
done
printf 'local t = {}\nfor i = 1, 500 do t[i] = {i, tostring(i), x = i} end\nt.self = t\nlocal n = #t\nprint(n)\n' >long.lua
"$CTREC_LUA" --floor reads --max-elements 1000 long.lua >rec.out 2>&1 && [ "$(cat rec.out)" = 500 ] ||
    fail "floor reads long.lua"
[ ! -e floor3 ] || fail "the reads floor wrote a trace"
# the lua floor runs the script without any hook: the script sees none
# (the hooks floor's would show as "external hook"), and writes no trace
printf 'print(debug.gethook())\nprint(select("#", debug.gethook()))\n' >nohook.lua
"$LUA" nohook.lua >ref.out 2>&1
"$CTREC_LUA" --floor lua -o floor5 nohook.lua >rec.out 2>&1 || fail "floor lua"
cmp -s ref.out rec.out || fail "floor lua: $(cat rec.out)"
"$CTREC_LUA" --floor hooks nohook.lua 2>&1 | cmp -s ref.out - && fail "floor hooks: no hook seen"
"$CTREC_LUA" --floor lua -o floor5 "$EX/fib.lua" >/dev/null || fail "floor lua fib"
[ ! -e floor5 ] || fail "the lua floor wrote a trace"
# the calls and values floors (arguments, varargs, returned values, tail
# calls, C functions, an error unwinding frames) leave the output alone
for s in tables values fib; do
    "$LUA" "$EX/$s.lua" >ref.out 2>&1
    for f in calls values; do
        "$CTREC_LUA" --floor $f -o floor4 "$EX/$s.lua" >rec.out 2>&1 || fail "floor $f $s"
        cmp -s ref.out rec.out || fail "floor $f $s: output differs"
    done
done
printf 'local function f(...) return select("#", ...), ... end\nlocal function g(n) if n == 0 then return f(1, {2}, "3") end return g(n - 1) end\nprint(pcall(function() error("x") end))\nprint(g(3))\nprint((g(2)))\n' >calls.lua
"$LUA" calls.lua 2>&1 | sed 's/0x[0-9a-f]*/ADDR/' >ref.out
for f in calls values; do
    "$CTREC_LUA" --floor $f calls.lua >rec.out 2>&1 || fail "floor $f calls.lua"
    sed 's/0x[0-9a-f]*/ADDR/' rec.out | cmp -s ref.out - || fail "floor $f calls.lua: $(cat rec.out)"
done
# the values floor reads what --values all records: the same count (tables
# without cycles; no script arguments, which the main chunk's call, not
# recorded, would read)
for s in "$EX/fib.lua" "$EX/closures.lua" calls.lua; do
    "$CTREC_LUA" --values all --stats -o floor5 "$s" 2>rec.err >/dev/null || fail "stats $s"
    "$CTREC_LUA" --floor values --stats "$s" 2>floor.err >/dev/null || fail "floor values stats $s"
    [ "$(sed 's/ recorded$/ read/' rec.err)" = "$(cat floor.err)" ] ||
        fail "floor values $s: $(cat floor.err), recording: $(cat rec.err)"
done
rm -rf floor5
[ ! -e floor4 ] || fail "the calls or values floor wrote a trace"
# --compress-thread: the same trace.bin whichever thread compresses (the
# same frames, the same zstd parameters); a .ct either way (its recording
# id differs from run to run: ctrec_lua_ctrec_check reads .ct traces)
printf 'local s = 0\nfor i = 1, 30000 do local x = math.sin(i) * 1e6; s = s + x end\nprint(s > -1e12)\n' >big.lua
for f in bin ct; do
    "$CTREC_LUA" --format $f --compress-thread on -o ct_on big.lua >/dev/null || fail "compress-thread on $f"
    "$CTREC_LUA" --format $f --compress-thread off -o ct_off big.lua >/dev/null || fail "compress-thread off $f"
    "$CTREC_LUA" --format $f -o ct_def big.lua >/dev/null || fail "compress-thread default $f"
    [ "$(wc -c <ct_on/trace.$f)" -gt 300000 ] || fail "compress-thread: trace.$f too small to span frames"
    if [ $f = bin ]; then
        cmp -s ct_on/trace.bin ct_off/trace.bin || fail "compress-thread: trace.bin differs"
        cmp -s ct_on/trace.bin ct_def/trace.bin || fail "compress-thread: trace.bin differs (default)"
    fi
    rm -rf ct_on ct_off ct_def
done
"$CTREC_LUA" --compress-thread maybe "$EX/fib.lua" >/dev/null 2>rec.err && fail "--compress-thread maybe accepted"
[ "$(cat rec.err)" = "ctrec-lua: bad value for --compress-thread: maybe" ] || fail "--compress-thread maybe: $(cat rec.err)"
"$CTREC_LUA" --format xml "$EX/fib.lua" >/dev/null 2>&1 && fail "--format xml accepted"
"$CTREC_LUA" --floor all "$EX/fib.lua" >/dev/null 2>&1 && fail "--floor all accepted"
"$CTREC_LUA" --max-depth 99 "$EX/fib.lua" >/dev/null 2>&1 && fail "--max-depth 99 accepted"
"$CTREC_LUA" --max-string -1 "$EX/fib.lua" >/dev/null 2>rec.err && fail "--max-string -1 accepted"
[ "$(cat rec.err)" = "ctrec-lua: bad value for --max-string: -1" ] || fail "--max-string -1: $(cat rec.err)"
"$CTREC_LUA" --max-string=x "$EX/fib.lua" >/dev/null 2>&1 && fail "--max-string=x accepted"
"$CTREC_LUA" --bogus "$EX/fib.lua" >/dev/null 2>rec.err && fail "--bogus accepted"
[ "$(head -n 1 rec.err)" = "ctrec-lua: unknown option --bogus" ] && grep -q '^usage: ' rec.err ||
  fail "--bogus: $(cat rec.err)"
"$CTREC_LUA" --values some "$EX/fib.lua" >/dev/null 2>rec.err && fail "--values some accepted"
[ "$(cat rec.err)" = "ctrec-lua: bad value for --values: some" ] || fail "--values some: $(cat rec.err)"
"$CTREC_LUA" "$EX/fib.lua" --format >/dev/null 2>rec.err || fail "an option after the script is the script's"
"$CTREC_LUA" -o x --format >/dev/null 2>rec.err && fail "--format without a value accepted"
[ "$(cat rec.err)" = "ctrec-lua: --format needs a value" ] || fail "--format without a value: $(cat rec.err)"
"$CTREC_LUA" - </dev/null >/dev/null 2>rec.err && fail "a script from stdin accepted"
[ "$(cat rec.err)" = "ctrec-lua: reading the script from stdin is not supported" ] ||
  fail "stdin script: $(cat rec.err)"
"$CTREC_LUA" >/dev/null 2>&1 && fail "no script accepted"
"$CTREC_LUA" --help | grep -q usage || fail "--help"

[ $fails -eq 0 ] && echo "ok cli" || exit 1
