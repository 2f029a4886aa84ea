#!/bin/sh
# stackvm.sh VM CTREC — records examples/stackvm/demo.stk in json and bin and
# checks the traces: ctrec check (no error; the only warnings are the thread
# events 25.11 cannot read), the same events in both formats, and what the
# example shows: each thread's events after its ThreadStart/ThreadSwitch,
# recursion (fact called again inside fact), locals of every kind, the
# list nested 70 deep cut by the marker at 60 levels, the caught exception
# (Return of an Error value, then the handler's Step), the uncaught one
# (Error event at the end).
set -u
VM=$1
CTREC=$2
T=$(mktemp -d /tmp/ctrec-stackvm-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for fmt in json bin; do
    out=$("$VM" "$T/$fmt" $fmt 2>"$T/$fmt.err")
    st=$?
    [ $st -eq 0 ] || bad "$fmt: exit status $st: $(cat "$T/$fmt.err")"
    [ "$out" = "division by zero" ] || bad "$fmt: the handler printed '$out'"
    grep -q "uncaught exception: division by zero" "$T/$fmt.err" || bad "$fmt: no uncaught error"
    "$CTREC" check "$T/$fmt" >"$T/$fmt.check" 2>&1 || bad "$fmt: ctrec check: $(cat "$T/$fmt.check")"
    tail -1 "$T/$fmt.check" | grep -q ": 0 errors, 0 warnings,.*: loads$" ||
        bad "$fmt: ctrec check says: $(tail -1 "$T/$fmt.check")"
    # CodeTracer 25.11 cannot parse thread events: one error for each
    # (how often the threads switch depends on the scheduler)
    "$CTREC" check --target 25.11 "$T/$fmt" >"$T/$fmt.check25" 2>&1
    n=$(grep -c ": error \[event-not-in-target\]: Thread" "$T/$fmt.check25")
    "$CTREC" print "$T/$fmt" >"$T/$fmt.ev" || bad "$fmt: ctrec print"
    e=$(grep -c '^{"Thread' "$T/$fmt.ev")
    [ "$e" -gt 0 ] && [ "$n" -eq "$e" ] || bad "$fmt: $n errors for 25.11 about the $e thread events"
    # each thread's own events (the thread events aside), in its order
    awk -v out="$T/$fmt.t" '
        /^\{"ThreadSwitch":/ { match($0, /[0-9]+/); cur = substr($0, RSTART, RLENGTH); next }
        /^\{"Thread/ { next }
        { print > (out cur) }' cur=0 "$T/$fmt.ev"
done
for t in 0 1 2; do
    [ -s "$T/json.t$t" ] || bad "no events of thread $t"
    cmp -s "$T/json.t$t" "$T/bin.t$t" || bad "thread $t: json and bin differ"
done
# fact's calls per thread: fact(5) in main; worker 1: fact(1), fact(2),
# fact(3); worker 2: fact(2), fact(3), fact(4), each with its recursion
set -- 5 6 9
for t in 0 1 2; do
    n=$(grep -c '^{"Call":{"function_id":1,' "$T/json.t$t")
    [ "$n" -eq "$1" ] || bad "thread $t: $n calls of fact, expected $1"
    shift
done
E=$T/json.ev

has() { grep -q -- "$1" "$E" || bad "no event matching $1"; }
count() {
    n=$(grep -c -- "$1" "$E")
    [ "$n" -eq "$2" ] || bad "$n events matching $1, expected $2"
}
# threads: three started, three ended; the thread order of the stream
count '^{"ThreadStart":' 3
count '^{"ThreadExit":' 3
[ "$(grep '^{"Thread' "$E" | head -3 | tr -d '\n')" = '{"ThreadStart":0}{"ThreadStart":1}{"ThreadSwitch":1}' ] ||
    bad "the stream does not begin its threads as spawned"
tail -2 "$E" | head -1 | grep -q '^{"Event":{"kind":11,"metadata":"","content":"division by zero"}}$' ||
    bad "the run does not end with the Error event"
# per thread, every Return after a Call of its own: awk keeps one depth per thread
awk '
/^\{"ThreadSwitch":/ { match($0, /[0-9]+/); cur = substr($0, RSTART, RLENGTH) }
/^\{"Call":/ { d[cur]++ }
/^\{"Return":/ { if (d[cur] == 0) { print "return without call in thread " cur; bad = 1 } else d[cur]-- }
/^\{"ThreadExit":/ { match($0, /[0-9]+/); t = substr($0, RSTART, RLENGTH);
                     if (t != 0 && d[t] != 0) { print "thread " t " exits with " d[t] " calls open"; bad = 1 } }
END { if (d[0] != 1) { print "main thread: " d[0] " calls open at the end, expected 1"; bad = 1 }
      exit bad }' cur=0 "$E" || bad "calls and returns per thread"
# locals of every kind
for k in Int Float Bool String None Struct Sequence; do has "\"value\":{\"kind\":\"$k\""; done
has '"r":"<truncated: deeper than 60 levels>"'
# recursion: fact (function 1) called from inside fact
count '^{"Call":{"function_id":1,' 20 # fact(5); workers: fact(1..3), fact(2..4)
# the caught exception: div's Return holds an Error value, then the handler
has '{"Return":{"return_value":{"kind":"Error","msg":"division by zero"'
grep -A1 '"kind":"Error","msg"' "$E" | head -2 | tail -1 | grep -q '^{"Step":{"path_id":0,"line":21}}$' ||
    bad "the handler's Step (line 21) does not follow the unwound Return"
[ $fail -eq 0 ] && echo "example_stackvm: ok"
exit $fail
