#!/usr/bin/env python3
"""filter_test.py -- trace filters of ctrec-lua (issue 15).

  filter_test.py CTREC_LUA LUA54 FILTER_PROBE CTREC_TOOL|- WORKDIR

Part 1 drives the engine through filter_probe (no Lua): selectors of each
kind and match type, rule order, value patterns, composition of files,
metadata; malformed files and their exact file:line:col messages.
Part 2 records scripts with ctrec-lua: pkg:/file:/obj: skips, redact and
drop of locals, arguments and return values, recorded callees of skipped
code, discovery by walking up, the environment variable and the chain's
order in trace_metadata.json, a malformed filter (exit 1, old trace kept).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

ctrec_lua, lua54, probe, ctrec_tool, work = sys.argv[1:6]
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def eq(got, want, what):
    if got != want:
        failures.append("%s:\n  got  %r\n  want %r" % (what, got, want))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def fresh(name):
    d = os.path.join(work, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return os.path.realpath(d)


HEADER = '[meta]\nname = "%s"\nversion = 1\n\n[scope]\ndefault_exec = "%s"\ndefault_value_action = "%s"\n'


def flt(name="t", exec_="trace", value="allow", rules=""):
    return HEADER % (name, exec_, value) + rules


def at_version(text):
    """flt() with its "version = 1" line replaced by text."""
    return flt().replace("version = 1", text)


def run_probe(files, queries):
    p = subprocess.run([probe] + files, input=queries, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------- part 1

root = fresh("engine")
proj = os.path.join(root, "proj")

# selectors of each kind and match type; the last matching rule wins
write(proj + "/.codetracer/trace-filter.toml", flt(rules='''
[[scope.rules]]
selector = "file:src/*.lua"
exec = "skip"
reason = "glob: '*' stops at '/'"

[[scope.rules]]
selector = "file:glob:deep/**/x.lua"
exec = "skip"

[[scope.rules]]
selector = 'pkg:regex:^vendor\\.(json|yaml)$'
exec = "skip"

[[scope.rules]]
selector = "pkg:literal:app.core"
value_default = "redact"
[[scope.rules.value_patterns]]
selector = "local:public_*"
action = "allow"
[[scope.rules.value_patterns]]
selector = "local:regex:^pub"
action = "drop"
[[scope.rules.value_patterns]]
selector = 'arg:regex:(?i)^TOKEN\\d+$'
action = "drop"
[[scope.rules.value_patterns]]
selector = "upvalue:literal:cache"
action = "allow"

[[scope.rules]]
selector = "obj:app.core.debug_*"
exec = "skip"

[[scope.rules]]
selector = "obj:app.core.debug_keep"
exec = "trace"
'''))
F = [proj + "/.codetracer/trace-filter.toml"]
rc, out, err = run_probe(F, "\n".join([
    "scope %s/src/a.lua - f" % proj,             # rule 0
    "scope %s/src/sub/a.lua - f" % proj,         # '*' does not cross '/'
    "scope %s/deep/x.lua - -" % proj,            # '**/' matches no directory too
    "scope %s/deep/a/b/x.lua - -" % proj,
    "scope %s/vendor/json.lua - -" % proj,       # module from the path
    "scope %s/other.lua vendor.yaml -" % proj,   # module given by require
    "scope %s/other.lua vendor.yamlx -" % proj,
    "scope %s/app/core.lua - helper" % proj,     # pkg literal: redact default + patterns
    "value local public_key",                    # first matching pattern wins (allow)
    "value local pubkey",                        # the regex pattern (drop)
    "value local password",                      # no pattern: the rule's default
    "value arg token42",                         # (?i)
    "value arg token4x",
    "value upvalue cache",
    "value ret <return>",
    "value global public_x",                     # kinds are separate
    "scope %s/app/core/init.lua - debug_dump" % proj,  # init.lua is the package; obj skip
    "scope %s/app/core/init.lua - debug_keep" % proj,  # a later rule overrides
    "value local public_key",                    # the last rule has no patterns: none apply
    "scope /elsewhere/app/core.lua - x",         # outside the project: no module
    "scope /elsewhere/src/a.lua - x",            # file: matched against the absolute path
]) + "\n")
eq((rc, err), (0, ""), "probe: rules file loads")
eq(out.splitlines(), [
    "skip=1 default=allow rule=0",
    "skip=0 default=allow rule=-1",
    "skip=1 default=allow rule=1",
    "skip=1 default=allow rule=1",
    "skip=1 default=allow rule=2",
    "skip=1 default=allow rule=2",
    "skip=0 default=allow rule=-1",
    "skip=0 default=redact rule=3",
    "allow", "drop", "redact", "drop", "redact", "allow", "redact", "redact",
    "skip=1 default=redact rule=4",
    "skip=0 default=redact rule=5",
    "redact",
    "skip=0 default=allow rule=-1",
    "skip=0 default=allow rule=-1",
], "probe: selectors, rule order, value patterns")

# composition: a later file's defaults and rules come after; "inherit";
# a drop default discards the patterns of files before the one that set it
write(root + "/b.toml", flt("b", "inherit", "drop", rules='''
[[scope.rules]]
selector = "pkg:app.*"
[[scope.rules.value_patterns]]
selector = "local:keep"
action = "allow"
'''))
write(root + "/c.toml", flt("c", "skip", "inherit"))
rc, out, err = run_probe(F + [root + "/b.toml", root + "/c.toml"], "\n".join([
    "scope %s/app/x.lua - f" % proj, "value local keep", "value local other",
    "scope %s/src/a.lua - f" % proj,
    "meta",
]) + "\n")
eq((rc, err), (0, ""), "probe: chain loads")
lines = out.splitlines()
eq(lines[:4], ["skip=1 default=drop rule=6", "allow", "drop", "skip=1 default=drop rule=0"],
   "probe: chain of three files")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


eq(json.loads(lines[4]), {"trace_filter": {"filters": [
    {"name": "t", "version": 1, "sha256": sha(F[0]), "path": F[0]},
    {"name": "b", "version": 1, "sha256": sha(root + "/b.toml"), "path": root + "/b.toml"},
    {"name": "c", "version": 1, "sha256": sha(root + "/c.toml"), "path": root + "/c.toml"},
]}}, "probe: metadata of the chain")

# malformed files: exact messages
BAD = [
    ("toml_float", flt() + "x = 1.5\n", "8:5: floats are not supported here"),
    ("unterminated", '[meta]\nname = "t\n', "2:8: unterminated string"),
    ("dup_key", '[meta]\nname = "a"\nname = "b"\n', "3:1: duplicate key 'name'"),
    ("dup_table", flt() + "[meta]\n", "8:1: table [meta] defined twice (first at line 1)"),
    ("bad_escape", '[meta]\nname = "\\q"\n', "2:9: invalid escape sequence \\q"),
    ("no_eol", '[meta] x\n', "1:8: expected the end of the line, found 'x'"),
    ("bad_utf8", '[meta]\nname = "\xff"\n', "2:9: invalid UTF-8 byte 0xFF"),
    ("no_meta", '[scope]\ndefault_exec = "trace"\ndefault_value_action = "allow"\n',
     "1:1: missing table [meta]"),
    ("unknown_key", flt() + 'colour = "red"\n', "8:1: unknown key 'colour' in [scope] "
     "(expected default_exec, default_value_action or rules)"),
    ("bad_exec", flt(exec_="sometimes"), "6:16: unsupported value 'sometimes' for 'scope.default_exec' "
     "(expected trace, skip or inherit)"),
    ("inherit_first", flt(exec_="inherit"), "6:16: 'scope.default_exec' cannot inherit without a previous filter"),
    ("version", at_version("version = 2"),
     "3:11: 'meta.version = 2' is newer than this recorder supports (1)"),
    ("version_type", at_version('version = "1"'),
     "3:11: meta.version must be an integer, not a string"),
    ("kind", flt(rules='[[scope.rules]]\nselector = "class:Foo"\n'),
     "9:12: scope.rules[0].selector: unsupported selector kind 'class'"),
    ("value_kind_in_scope", flt(rules='[[scope.rules]]\nselector = "local:x"\n'),
     "9:12: scope.rules[0].selector: selector kind 'local' is not allowed in scope.rules (use pkg, file or obj)"),
    ("match", flt(rules='[[scope.rules]]\nselector = "pkg:fuzzy:x"\n'),
     "9:12: scope.rules[0].selector: unsupported selector match type 'fuzzy'"),
    ("regex", flt(rules='[[scope.rules]]\nselector = "pkg:regex:a(b"\n'), None),
    ("regex_unsupported", flt(rules='[[scope.rules]]\nselector = "pkg:regex:\\\\bword"\n'),
     "9:12: scope.rules[0].selector: regex '\\bword': \\b is not supported (POSIX ERE)"),
    ("regex_repeat", flt(rules='[[scope.rules]]\nselector = "pkg:regex:^a+++"\n'),
     "9:12: scope.rules[0].selector: regex '^a+++': a repetition of a repetition ('+' after a "
     "quantifier) is not supported"),
    # glibc's regcomp copies what + and {m,n} repeat, nested ones multiply:
    # 2^14 = 16384 copies (a^16 took 50 MB), 100 * 101 = 10100; the bound is 10000
    ("regex_nested", flt(rules='[[scope.rules]]\nselector = "pkg:regex:%s"\n' % ("(" * 14 + "a" + ")+" * 14)),
     "9:12: scope.rules[0].selector: regex '%s': its nested or counted repetitions make over "
     "10000 copies of what they repeat, which is not supported" % ("(" * 14 + "a" + ")+" * 14)),
    ("regex_count", flt(rules='[[scope.rules]]\nselector = "pkg:regex:x(?:[a-z]{100}|b){101}"\n'),
     "9:12: scope.rules[0].selector: regex 'x(?:[a-z]{100}|b){101}': its nested or counted "
     "repetitions make over 10000 copies of what they repeat, which is not supported"),
    ("regex_long", flt(rules='[[scope.rules]]\nselector = "pkg:regex:%s"\n' % ("ab" * 500 + "c")),
     "9:12: scope.rules[0].selector: a regex of 1001 bytes is not supported (at most 1000)"),
    ("escape_root", flt(rules='[[scope.rules]]\nselector = "file:../x.lua"\n'),
     "9:12: scope.rules[0].selector: file selector '../x.lua' escapes the project root"),
    ("action", flt(rules='[[scope.rules]]\nselector = "pkg:x"\n[[scope.rules.value_patterns]]\n'
                   'selector = "local:x"\naction = "hide"\n'),
     "12:10: unsupported value 'hide' for 'action' in scope.rules[0].value_patterns[0] "
     "(expected allow, redact or drop)"),
    ("missing_selector", flt(rules='[[scope.rules]]\nexec = "skip"\n'),
     "8:1: scope.rules[0]: missing key 'selector'"),
    # the TOML the format uses, and what it does not: position and reason
    ("u_digits", '[meta]\nname = "\\u00zz"\n', "2:9: \\u needs 4 hexadecimal digits"),
    ("u_surrogate", '[meta]\nname = "\\uD800"\n', "2:9: \\uD800 is not a Unicode scalar value"),
    ("U_range", '[meta]\nname = "\\U00110000"\n', "2:9: \\U00110000 is not a Unicode scalar value"),
    ("multiline", '[meta]\nname = """multi"""\n', "2:8: multi-line strings are not supported here"),
    ("literal_open", "[meta]\nname = 'open\n", "2:8: unterminated string"),
    ("ctl_string", '[meta]\nname = "a\x01b"\n',
     "2:10: control character 0x01 in a string (write it as an escape)"),
    ("ctl_comment", "# a \x01 b\n[meta]\n", "1:5: control character 0x01 in a comment"),
    ("leading_zero", at_version("version = 01"),
     "3:11: leading zeros are not allowed in integers"),
    ("underscores", at_version("version = 1__0"),
     "3:12: '_' must be between two digits"),
    ("hex", at_version("version = 0x10"),
     "3:11: hexadecimal, octal and binary integers are not supported here"),
    ("int_range", at_version("version = 99999999999999999999"),
     "3:11: integer out of the 64-bit range"),
    ("date", at_version("version = 1979-05-27"),
     "3:11: dates and times are not supported here"),
    ("bare", at_version("version = yes"),
     "3:11: invalid value 'yes' (strings need quotes)"),
    ("no_value", at_version("version ="), "3:10: expected a value"),
    ("bool_version", at_version("version = true"),
     "3:11: meta.version must be an integer, not a boolean"),
    ("no_key", at_version('= "x"'), "3:1: expected a key, found '='"),
    ("array_open", '[meta]\nname = "t"\nlabels = ["a", "b"\n', "4:1: unterminated array (expected ']')"),
    ("array_next", at_version('version = 1\nlabels = ["a", "b"\n'),
     "7:1: expected ',' or ']' in an array, found '['"),
    ("array_comma", at_version('version = 1\nlabels = ["a" "b"]'),
     "4:15: expected ',' or ']' in an array, found '\"'"),
    ("labels_type", at_version("version = 1\nlabels = [1]"),
     "4:11: meta.labels must hold strings"),
    ("io_capture", flt() + '[io]\ncapture = "yes"\n', "9:11: io.capture must be a boolean, not a string"),
    ("io_stream", flt() + '[io]\nstreams = ["stdout", "net"]\n',
     "9:22: unsupported IO stream (expected stdout, stderr, stdin or files)"),
    ("io_no_streams", flt() + "[io]\ncapture = true\n",
     "9:11: 'io.streams' must be provided when 'io.capture = true'"),
    ("io_modes", flt() + '[io]\ncapture = false\nmodes = ["x"]\n',
     "10:9: 'io.modes' is reserved and must be empty"),
    ("rule_exec", flt(rules='[[scope.rules]]\nselector = "pkg:x"\nexec = "maybe"\n'),
     "10:8: unsupported value 'maybe' for 'exec' in scope.rules[0] (expected trace, skip or inherit)"),
    ("rule_value", flt(rules='[[scope.rules]]\nselector = "pkg:x"\nvalue_default = "hide"\n'),
     "10:17: unsupported value 'hide' for 'value_default' in scope.rules[0] (expected allow, "
     "redact, drop or inherit)"),
    ("pattern_type", flt(rules='[[scope.rules]]\nselector = "pkg:x"\nvalue_patterns = ["x"]\n'),
     "10:19: scope.rules[0].value_patterns[0] must be a table"),
    ("empty_pattern", flt(rules='[[scope.rules]]\nselector = "pkg:"\n'),
     "9:12: scope.rules[0].selector: selector pattern cannot be empty"),
    ("value_action", flt(value="sometimes"), "7:24: unsupported value 'sometimes' for "
     "'scope.default_value_action' (expected allow, redact, drop or inherit)"),
    ("value_inherit", flt(value="inherit"),
     "7:24: 'scope.default_value_action' cannot inherit without a previous filter"),
]
for name, text, want in BAD:
    path = os.path.join(root, "bad_%s.toml" % name)
    with open(path, "wb") as f:
        f.write(text.encode("latin-1") if name == "bad_utf8" else text.encode())
    rc, out, err = run_probe([path], "")
    expect(rc == 1, "probe %s: exit status %d" % (name, rc))
    if want is None:
        expect(err.startswith(path + ":"), "probe %s: message %r" % (name, err))
    else:
        eq(err, "%s:%s\n" % (path, want), "probe %s" % name)
# the pattern syntax the reference's matchers take (globset with a literal
# separator, Rust's regex, searched unanchored), one value pattern each, in a
# rule found by an obj selector; file selectors relative with "./" and
# absolute within the project root
mroot = fresh("patterns") + "/proj"
PATS = [("glob:cls[abc]x", "clsax", "clsdx"), ("glob:neg[!0-9]x", "negax", "neg5x"),
        ("glob:rng[a-c]z", "rngbz", "rngdz"), ("glob:alt_{one,two}", "alt_two", "alt_three"),
        ("glob:esc\\\\*", "esc*", "escX"), ("glob:q?q", "qaq", "qq"),
        ("regex:^d\\\\d+$", "d42", "dx"), ("regex:^D\\\\D$", "Dx", "D1"),
        ("regex:^w\\\\w+$", "w_a1", "w-"), ("regex:^W\\\\W", "W-", "Wa"),
        ("regex:^c[[:alpha:]]+[0-9]$", "cab1", "c1"), ("regex:^e[\\\\d_]+$", "e1_2", "ea"),
        ("regex:^l.*?z$", "labz", "lab"), ("regex:^n[^a-c]$", "nd", "na"),
        ("regex:mid", "xmidy", "xmiy")]
write(mroot + "/.codetracer/trace-filter.toml", flt(rules=(
    '[[scope.rules]]\nselector = "file:glob:./src/*.lua"\nexec = "skip"\n'
    '[[scope.rules]]\nselector = "file:literal:%s/lib/b.lua"\nexec = "skip"\n'
    '[[scope.rules]]\nselector = "obj:literal:lib.c.f"\n' % mroot
    + "".join('[[scope.rules.value_patterns]]\nselector = "local:%s"\naction = "drop"\n' % p
              for p, _, _ in PATS))))
rc, out, err = run_probe([mroot + "/.codetracer/trace-filter.toml"], "\n".join(
    ["scope %s/src/a.lua - g" % mroot, "scope %s/src/sub/a.lua - g" % mroot,
     "scope %s/lib/b.lua - g" % mroot, "scope %s/lib/c.lua - f" % mroot]
    + ["value local %s\nvalue local %s" % (yes, no) for _, yes, no in PATS]) + "\n")
eq((rc, err), (0, ""), "probe: pattern syntax")
eq(out.splitlines(), ["skip=1 default=allow rule=0", "skip=0 default=allow rule=-1",
                      "skip=1 default=allow rule=1", "skip=0 default=allow rule=2"]
   + ["drop", "allow"] * len(PATS), "probe: pattern syntax")

# the TOML a hand-written filter holds: comments anywhere a line may end,
# basic strings with every escape, literal strings, arrays over several
# lines with comments and a trailing comma, booleans, an empty array
path = os.path.join(root, "syntax.toml")
with open(path, "w") as f:
    f.write("# A project filter, as a user writes one.\n"
            "[meta]   # trailing comment\n"
            'name = "p\\t\\"q\\"\\\\ \\u00e9 \\U0001F600\\b\\f\\r\\n"   # escapes\n'
            "version = +1\n"
            "description = 'literal \\no escape'\n"
            "labels = [\"a\", 'b',\n  \"c\",   # in an array\n]\n\n"
            "[io]\ncapture = true\nstreams = [\"stdout\", \"stderr\"]\nmodes = []\n\n"
            "[scope]\ndefault_exec = \"trace\"\ndefault_value_action = \"allow\"\n\n"
            "[[scope.rules]]  # first\nselector = \"pkg:glob:vendor.*\"\nexec = \"skip\"\n"
            "reason = \"third \\\"party\\\"\"\n\n"
            "[[scope.rules]]\nselector = 'file:regex:.*/secret_[0-9]+\\.lua$'\n"
            "value_default = \"redact\"\n"
            "[[scope.rules.value_patterns]]\nselector = \"local:literal:x_1_000\"\n"
            "action = \"allow\"\n")
rc, out, err = run_probe([path], "scope /p/vendor/x.lua vendor.x -\nscope /p/secret_12.lua - -\n"
                         "value local x_1_000\nvalue local y\nmeta\n")
eq((rc, err), (0, ""), "probe: the TOML a hand-written filter holds")
lines = out.splitlines()
eq(lines[:4], ["skip=1 default=allow rule=0", "skip=0 default=redact rule=1", "allow", "redact"],
   "probe: syntax.toml's rules")
eq(json.loads(lines[4])["trace_filter"]["filters"][0]["name"],
   'p\t"q"\\ \u00e9 \U0001F600\b\f\r\n', "probe: syntax.toml's name, every escape")
# within the bounds: 2^13 = 8192 and 99 * 100 copies are accepted and match
path = os.path.join(root, "nested_ok.toml")
with open(path, "w") as f:
    f.write(flt(rules='[[scope.rules]]\nselector = "pkg:regex:^%s$"\nexec = "skip"\n'
                      '[[scope.rules]]\nselector = "pkg:regex:^x(?:[a-z]{98}|b){100}$"\nexec = "skip"\n'
                % ("(" * 13 + "a" + ")+" * 13)))
rc, out, err = run_probe([path], "scope /p/m.lua aaaa -\nscope /p/m.lua aab -\nscope /p/m.lua x%s -\n" % ("b" * 100))
eq((rc, err, out.splitlines()), (0, "", ["skip=1 default=allow rule=0", "skip=0 default=allow rule=-1",
                                         "skip=1 default=allow rule=1"]), "probe: nested repetitions within the bound")
rc, out, err = run_probe([root], "")
eq((rc, err), (1, "%s: the trace filter is not a regular file\n" % root), "probe: a directory")
rc, out, err = run_probe([root + "/missing.toml"], "")
eq((rc, err), (1, "%s/missing.toml: cannot read the trace filter: No such file or directory\n" % root),
   "probe: missing file")

# ---------------------------------------------------------------- part 2


def record(script, out, *opts, cwd=None, env=None):
    e = dict(os.environ)
    e.pop("CTREC_LUA_TRACE_FILTER", None)
    e.pop("LUA_INIT", None)
    e.pop("LUA_INIT_5_4", None)
    if env:
        e.update(env)
    p = subprocess.run([ctrec_lua, "--format", "json", "-o", out] + list(opts) + [script],
                       capture_output=True, text=True, cwd=cwd, env=e)
    return p


def plain(script, cwd=None):
    e = dict(os.environ)
    e.pop("LUA_INIT", None)
    e.pop("LUA_INIT_5_4", None)
    return subprocess.run([lua54, script], capture_output=True, text=True, cwd=cwd, env=e)


class Trace:
    def __init__(self, out):
        with open(os.path.join(out, "trace.json"), encoding="utf-8") as f:
            self.events = json.load(f)
        with open(os.path.join(out, "trace_metadata.json"), encoding="utf-8") as f:
            self.meta = json.load(f)
        self.paths, self.functions, self.vars = [], [], []
        for e in self.events:
            if "Path" in e:
                self.paths.append(e["Path"])
            elif "Function" in e:
                self.functions.append(e["Function"]["name"])
            elif "VariableName" in e:
                self.vars.append(e["VariableName"])

    def calls(self):
        return [self.functions[e["Call"]["function_id"]] for e in self.events if "Call" in e]

    def steps(self):
        """(file base name, line) of every Step but the definition-line
        Steps the writer puts before each Call."""
        ev = self.events
        return [(os.path.basename(self.paths[e["Step"]["path_id"]]), e["Step"]["line"])
                for i, e in enumerate(ev) if "Step" in e and not (i + 1 < len(ev) and "Call" in ev[i + 1])]

    def steps_outside(self, skipped):
        """steps(), leaving out those whose running function is in `skipped`."""
        ev, stack, out = self.events, [], []
        for i, e in enumerate(ev):
            if "Call" in e:
                stack.append(self.functions[e["Call"]["function_id"]])
            elif "Return" in e:
                stack.pop()
            elif "Step" in e and not (i + 1 < len(ev) and "Call" in ev[i + 1]):
                if not (stack and stack[-1] in skipped):
                    out.append((os.path.basename(self.paths[e["Step"]["path_id"]]), e["Step"]["line"]))
        return out

    def values_in(self, fn):
        """{variable: [values]} of the Values recorded while fn runs (its
        own steps, not those of functions it calls)."""
        stack, out = [], {}
        for e in self.events:
            if "Call" in e:
                stack.append(self.functions[e["Call"]["function_id"]])
            elif "Return" in e:
                stack.pop()
            elif "Value" in e and stack and stack[-1] == fn:
                out.setdefault(self.vars[e["Value"]["variable_id"]], []).append(e["Value"]["value"])
        return out

    def call_args(self, fn):
        return [[(self.vars[a["variable_id"]], a["value"]) for a in e["Call"]["args"]]
                for e in self.events if "Call" in e and self.functions[e["Call"]["function_id"]] == fn]

    def returns_of(self, fn):
        """Return values of the calls of fn, by matching Calls and Returns."""
        stack, out = [], []
        for e in self.events:
            if "Call" in e:
                stack.append(self.functions[e["Call"]["function_id"]])
            elif "Return" in e:
                if stack.pop() == fn:
                    out.append(e["Return"]["return_value"])
        return out

    def values_of(self, name):
        if name not in self.vars:
            return []
        vid = self.vars.index(name)
        return [e["Value"]["value"] for e in self.events if "Value" in e and e["Value"]["variable_id"] == vid]


def check_trace(out, what):
    if ctrec_tool == "-":
        return
    p = subprocess.run([ctrec_tool, "check", out], capture_output=True, text=True)
    expect(p.returncode == 0, "%s: ctrec check: %s%s" % (what, p.stdout, p.stderr))


app = fresh("app")
write(app + "/main.lua", '''local heavy = require("lib.heavy")
local util = require("util")
local function helper(secret_key, n, ...)
  local password = "hunter2"
  local public_x = n * 2
  return public_x + heavy.work(n, function(v) return v + 1 end)
end
local function debug_dump(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s
end
local total = 0
for i = 1, 2 do total = total + helper("k" .. i, i, "extra") end
print(total, debug_dump({1, 2, 3}), util.twice(4))
''')
write(app + "/lib/heavy.lua", '''local M = {}
function M.work(n, cb)
  local acc = 0
  for i = 1, n do
    acc = acc + cb(i)
  end
  return acc
end
return M
''')
write(app + "/util.lua", '''local M = {}
function M.twice(x)
  return 2 * x
end
return M
''')
want_out = plain("main.lua", cwd=app)
eq((want_out.returncode, want_out.stdout), (0, "13\t6\t8\n"), "plain lua5.4 run of the app")

# no filter: everything recorded
out0 = os.path.join(work, "app-out0")
p = record("main.lua", out0, cwd=app)
eq((p.returncode, p.stdout, p.stderr), (0, want_out.stdout, ""), "unfiltered run")
t0 = Trace(out0)
expect("trace_filter" not in t0.meta, "no filter: no trace_filter in the metadata")
eq(t0.calls().count("work"), 2, "unfiltered: work is called")

# pkg: (the name require used), obj:, value patterns; the callback given
# to the skipped module is recorded; the line hook comes back after it
flt_app = app + "/.codetracer/app.toml"
write(flt_app, flt("app", rules='''
[[scope.rules]]
selector = "pkg:lib.heavy"
exec = "skip"

[[scope.rules]]
selector = "obj:main.debug_*"
exec = "skip"

[[scope.rules]]
selector = "obj:main.helper"
[[scope.rules.value_patterns]]
selector = "arg:secret_*"
action = "drop"
[[scope.rules.value_patterns]]
selector = "arg:literal:(vararg 1)"
action = "redact"
[[scope.rules.value_patterns]]
selector = "local:password"
action = "redact"
[[scope.rules.value_patterns]]
selector = "local:public_*"
action = "drop"
[[scope.rules.value_patterns]]
selector = "ret:*"
action = "redact"
'''))
out1 = os.path.join(work, "app-out1")
p = record("main.lua", out1, "--trace-filter", ".codetracer/app.toml", cwd=app)
eq((p.returncode, p.stdout, p.stderr), (0, want_out.stdout, ""), "filtered run: output as lua5.4")
t1 = Trace(out1)
check_trace(out1, "filtered run")
calls = t1.calls()
expect("work" not in calls and "debug_dump" not in calls, "skipped functions have no Call: %s" % calls)
expect(not any(os.path.basename(p_) == "heavy.lua" for p_ in t1.paths), "the skipped module's file is no Path")
eq(calls.count("cb"), 3, "the callback of the skipped module is recorded (1 + 2 calls)")
eq([s for s in t1.steps() if s[1] in (9, 10, 11)], [], "no Steps of the skipped debug_dump")
expect(("main.lua", 15) in t1.steps(), "Steps after skipped code (line 15)")
steps0 = [s for s in t0.steps() if s[0] == "main.lua" and s[1] not in (9, 10, 11)]
steps1 = [s for s in t1.steps() if s[0] == "main.lua"]
eq(steps1, steps0, "the recorded file's Steps are those of the unfiltered trace without the skipped function")
args = t1.call_args("helper")
eq([[n for n, _ in a] for a in args], [["n", "(vararg 1)"]] * 2, "helper's args: secret_key dropped")
eq([a[1][1]["msg"] for a in args], ["<redacted>"] * 2, "the vararg redacted")
expect(all(v["kind"] == "Error" and v["msg"] == "<redacted>" for v in t1.values_of("password"))
       and t1.values_of("password"), "password redacted at every step")
eq(t1.values_of("public_x"), [], "public_x dropped")
eq([v.get("msg") for v in t1.returns_of("helper")], ["<redacted>"] * 2, "helper's return redacted")
eq([v.get("i") for v in t1.returns_of("twice")], [8], "other functions keep their values")
tid = {v["type_id"] for v in t1.values_of("password")}
types = [e["Type"] for e in t1.events if "Type" in e]
eq([(types[i]["kind"], types[i]["lang_type"]) for i in tid], [(16, "Redacted")], "the marker's type")
eq(t1.meta["trace_filter"], {"filters": [
    {"name": "app", "version": 1, "sha256": sha(flt_app), "path": flt_app}]}, "metadata: the filter")

# a dropped return value is a "<dropped>" marker (a Return needs a value);
# file: selector; a skipped main chunk
flt_drop = app + "/.codetracer/drop.toml"
write(flt_drop, flt("drop", rules='''
[[scope.rules]]
selector = "file:util.lua"
[[scope.rules.value_patterns]]
selector = "ret:<return>"
action = "drop"
'''))
out2 = os.path.join(work, "app-out2")
p = record("main.lua", out2, "--trace-filter", ".codetracer/drop.toml", cwd=app)
eq((p.returncode, p.stdout), (0, want_out.stdout), "drop run")
t2 = Trace(out2)
eq(t2.returns_of("twice"), [{"kind": "Error", "msg": "<dropped>", "type_id": t2.returns_of("twice")[0]["type_id"]}],
   "dropped return value")
check_trace(out2, "drop run")

flt_main = app + "/.codetracer/skip-main.toml"
write(flt_main, flt("skip-main", rules='[[scope.rules]]\nselector = "file:main.lua"\nexec = "skip"\n'))
out3 = os.path.join(work, "app-out3")
p = record("main.lua", out3, "--trace-filter", flt_main, cwd=app)
eq((p.returncode, p.stdout), (0, want_out.stdout), "skipped main chunk: output")
t3 = Trace(out3)
eq(sorted(set(s[0] for s in t3.steps())), ["heavy.lua", "util.lua"], "skipped main chunk: only the modules step")
check_trace(out3, "skipped main chunk")

# rule order: a later rule overrides an earlier one (and a later file)
flt_order = app + "/.codetracer/order.toml"
write(flt_order, flt("order", rules='''
[[scope.rules]]
selector = "pkg:lib.*"
exec = "skip"

[[scope.rules]]
selector = "pkg:lib.heavy"
exec = "trace"
'''))
out4 = os.path.join(work, "app-out4")
record("main.lua", out4, "--trace-filter", flt_order, cwd=app)
eq(Trace(out4).calls().count("work"), 2, "rule order: the later rule traces lib.heavy")
flt_again = app + "/.codetracer/again.toml"
write(flt_again, flt("again", rules='[[scope.rules]]\nselector = "file:lib/*.lua"\nexec = "skip"\n'))
out5 = os.path.join(work, "app-out5")
record("main.lua", out5, "--trace-filter", flt_order + "::" + flt_again, cwd=app)
eq(Trace(out5).calls().count("work"), 0, "rule order across files: the later file's rule wins")

# discovery by walking up from the script's directory (not the cwd), then
# the environment variable, then --trace-filter, in that order
disc = fresh("disc")
write(disc + "/.codetracer/trace-filter.toml", flt("found", rules='''
[[scope.rules]]
selector = "pkg:deep.mod"
exec = "skip"
'''))
write(disc + "/a/b/run.lua", '''package.path = "''' + disc + '''/a/b/?.lua;''' + disc + '''/?.lua;" .. package.path
local m = require("deep.mod")
print(m.f(3))
''')
write(disc + "/a/b/deep/mod.lua", "local M = {}\nfunction M.f(x)\n  return x + 1\nend\nreturn M\n")
env_flt = disc + "/env.toml"
write(env_flt, flt("env", "inherit", "inherit"))
out6 = os.path.join(work, "disc-out")
p = record(disc + "/a/b/run.lua", out6, "--trace-filter", flt_app, cwd="/", env={"CTREC_LUA_TRACE_FILTER": env_flt})
eq((p.returncode, p.stdout, p.stderr), (0, "4\n", ""), "discovery run")
t6 = Trace(out6)
eq("f" in t6.calls(), False, "discovered filter applied (deep.mod skipped)")
eq([f["name"] for f in t6.meta["trace_filter"]["filters"]], ["found", "env", "app"],
   "chain order: discovered, environment, --trace-filter")
eq(t6.meta["trace_filter"]["filters"][0]["path"], disc + "/.codetracer/trace-filter.toml",
   "the discovered file's path")

# --c-calls: C functions called by skipped code are not recorded either
cc = fresh("ccalls")
write(cc + "/.codetracer/trace-filter.toml", flt("cc", rules='[[scope.rules]]\nselector = "obj:main.hidden"\nexec = "skip"\n'))
write(cc + "/main.lua", """local function hidden(n)
  return string.rep("a", n) .. tostring(n)
end
local function shown(n)
  return string.upper(hidden(n))
end
print(shown(3), string.len("xy"))
""")
out7 = os.path.join(work, "ccalls-out")
p = record(cc + "/main.lua", out7, "--c-calls")
eq((p.returncode, p.stdout), (0, "AAA3\t2\n"), "--c-calls run")
eq(Trace(out7).calls(), ["<toplevel>", "shown", "upper", "len", "print"],
   "--c-calls: rep and tostring (called by skipped code) are not recorded")

# the script's own line hook (debug.sethook) still sees the lines of
# skipped functions: the same output as lua5.4
sh = fresh("scripthook")
write(sh + "/.codetracer/trace-filter.toml", flt("sh", rules='[[scope.rules]]\nselector = "obj:main.skipped"\nexec = "skip"\n'))
write(sh + "/main.lua", """local function skipped(n)
  local s = 0
  for i = 1, n do
    s = s + i
  end
  return s
end
local lines = {}
debug.sethook(function(_, line) lines[#lines + 1] = line end, "l")
local r = skipped(3)
debug.sethook()
print(r, table.concat(lines, " "))
print(skipped(4))
""")
want_sh = plain(sh + "/main.lua")
out8 = os.path.join(work, "scripthook-out")
p = record(sh + "/main.lua", out8)
eq((p.returncode, p.stdout, p.stderr), (want_sh.returncode, want_sh.stdout, want_sh.stderr),
   "a script's line hook in skipped code: output as lua5.4")
expect("skipped" not in Trace(out8).calls(), "the script's hook does not make skipped code recorded")
check_trace(out8, "script hook run")

# coroutines and errors across skipped code: a skipped coroutine body that
# yields the results of a recorded callback and ends with an error caught
# by recorded code, a skipped function that tail-calls a recorded one; the
# recorded file's Steps are those of the unfiltered trace without the
# skipped functions' lines (the line hook comes back after each)
co = fresh("coroutines")
write(co + "/.codetracer/trace-filter.toml", flt("co", rules='''
[[scope.rules]]
selector = "obj:main.gen"
exec = "skip"
[[scope.rules]]
selector = "obj:main.<anonymous>"
exec = "skip"
[[scope.rules]]
selector = "obj:main.skip_tail"
exec = "skip"
'''))
write(co + "/main.lua", """local gen = function(cb)
  return coroutine.wrap(function()
    for i = 1, 3 do
      coroutine.yield(cb(i))
    end
    error("done in skipped")
  end)
end
local function traced(x)
  local y = x * 10
  return y
end
local g = gen(traced)
print(g(), g(), g())
print(pcall(g))
local function skip_tail(x)
  return traced(x + 1)
end
print(skip_tail(1))
local t = 0
for i = 1, 3 do t = t + i end
print(t)
""")
want_co = plain(co + "/main.lua")
out9, out10 = os.path.join(work, "co-filtered"), os.path.join(work, "co-plain")
p = record(co + "/main.lua", out9)
eq((p.returncode, p.stdout, p.stderr), (want_co.returncode, want_co.stdout, want_co.stderr),
   "coroutines across skipped code: output as lua5.4")
plain_dir = fresh("coroutines-unfiltered")  # no .codetracer above it
shutil.copy(co + "/main.lua", plain_dir + "/main.lua")
p = record(plain_dir + "/main.lua", out10)
t9, t10 = Trace(out9), Trace(out10)
check_trace(out9, "coroutines across skipped code")
eq(t10.calls().count("gen"), 1, "the unfiltered run records the skipped functions")
eq([c for c in t9.calls() if c != "<toplevel>"], ["cb"] * 4,
   "coroutines across skipped code: only the recorded function is called (named at its first call)")
eq(t9.steps(), t10.steps_outside({"gen", "<anonymous> main.lua:2", "skip_tail"}),
   "coroutines across skipped code: Steps of the recorded code")

# upvalues: upvalue: patterns redact and drop a closure's captured
# variables; the same variables as locals of the enclosing code are kept
up = fresh("upvalues")
write(up + "/.codetracer/trace-filter.toml", flt("up", rules='''
[[scope.rules]]
selector = "obj:main.bump"
[[scope.rules.value_patterns]]
selector = "upvalue:secret_*"
action = "redact"
[[scope.rules.value_patterns]]
selector = "upvalue:literal:counter"
action = "drop"
'''))
write(up + "/main.lua", """local counter, secret_token, other = 0, "s3cr3t", "seen"
local function bump(k)
  counter = counter + k
  local _ = secret_token .. other
  return counter
end
bump(1)
bump(2)
print(counter)
""")
out11 = os.path.join(work, "upvalues-out")
p = record(up + "/main.lua", out11)
eq((p.returncode, p.stdout), (0, "3\n"), "upvalues run")
t11 = Trace(out11)
check_trace(out11, "upvalues run")
inside = t11.values_in("bump")
eq(sorted(set(inside)), ["_", "k", "other", "secret_token"], "bump's values: counter dropped")
expect(all(v["kind"] == "Error" and v["msg"] == "<redacted>" for v in inside["secret_token"]),
       "bump's upvalue secret_token redacted")
eq([v["text"] for v in inside["other"]][:1], ["seen"], "other upvalues kept")
outside = t11.values_in("<toplevel>")
eq([v["i"] for v in outside["counter"]][-1:], [3], "counter kept as a local of the main chunk")
eq([v["text"] for v in outside["secret_token"]][:1], ["s3cr3t"], "secret_token kept as a local of the main chunk")

# a malformed filter: exit 1, the message, the earlier trace left as it was
bad = app + "/.codetracer/bad.toml"
write(bad, flt("bad", rules='[[scope.rules]]\nselector = "pkg:x"\nexec = skip\n'))
before = {n: open(os.path.join(out1, n), "rb").read() for n in os.listdir(out1) if n.endswith(".json")}
p = record("main.lua", out1, "--trace-filter", ".codetracer/bad.toml", cwd=app)
eq((p.returncode, p.stdout, p.stderr), (1, "", "ctrec-lua: %s:10:8: invalid value 'skip' (strings need quotes)\n" % bad),
   "malformed filter: exit 1 and the message")
after = {n: open(os.path.join(out1, n), "rb").read() for n in os.listdir(out1) if n.endswith(".json")}
expect(before == after, "malformed filter: the earlier trace is untouched")
p = record("main.lua", out1, "--trace-filter", ".codetracer/none.toml", cwd=app)
eq((p.returncode, p.stderr), (1, "ctrec-lua: .codetracer/none.toml: cannot read the trace filter: No such file or directory\n"),
   "missing filter file")
p = record("main.lua", out1, cwd=app, env={"CTREC_LUA_TRACE_FILTER": bad})
eq(p.returncode, 1, "malformed filter from the environment")
p = record("main.lua", out1, "--trace-filter", " :: ", cwd=app)
eq((p.returncode, p.stderr), (1, "ctrec-lua: --trace-filter ' :: ' names no trace filter file\n"),
   "a --trace-filter list naming no file")
p = record("main.lua", out1, cwd=app, env={"CTREC_LUA_TRACE_FILTER": "::"})
eq((p.returncode, p.stderr), (1, "ctrec-lua: CTREC_LUA_TRACE_FILTER '::' names no trace filter file\n"),
   "an environment list naming no file")
after = {n: open(os.path.join(out1, n), "rb").read() for n in os.listdir(out1) if n.endswith(".json")}
expect(before == after, "refused filters: the earlier trace is untouched")

# skipped functions that call each other and a recorded callback: the
# callback's Calls nest in the recorded caller (the skipped frames between
# are not recorded, but are followed: each return inside skipped code must
# find its frame), and the caller's Steps after the skipped call and its
# Return values are all there
nest = fresh("nest")
write(nest + "/lib/heavy.lua", """local M = {}
local function inner(cb, x)
  return cb(x) + 1
end
function M.work(cb, x)
  local a = inner(cb, x)
  return inner(cb, a)
end
return M
""")
write(nest + "/main.lua", """package.path = "./?.lua;" .. package.path
local heavy = require("lib.heavy")
local function cb(v)
  local w = v * 2
  return w
end
local function outer(n)
  local r = heavy.work(cb, n)
  return r + 1
end
print(outer(3))
print(outer(5))
""")
write(nest + "/f.toml", flt("nest", rules='[[scope.rules]]\nselector = "pkg:lib.heavy"\nexec = "skip"\n'))
outn = os.path.join(work, "nest-out")
p = record("main.lua", outn, "--trace-filter", "f.toml", cwd=nest)
eq((p.returncode, p.stdout, p.stderr), (0, "16\n24\n", ""), "nested skipped calls: output as lua5.4")
check_trace(outn, "nested skipped calls")
tn = Trace(outn)
eq([c for c in tn.calls() if c in ("outer", "cb", "work", "inner")], ["outer", "cb", "cb", "outer", "cb", "cb"],
   "nested skipped calls: the Calls")
stack, parents = [], []
for e in tn.events:
    if "Call" in e:
        name = tn.functions[e["Call"]["function_id"]]
        if name == "cb":
            parents.append(stack[-1] if stack else None)
        stack.append(name)
    elif "Return" in e:
        stack.pop()
eq(parents, ["outer"] * 4, "nested skipped calls: cb's Calls nest in outer")
eq([r.get("i") for r in tn.returns_of("outer")], [16, 24], "nested skipped calls: outer's Returns")
eq([r.get("i") for r in tn.returns_of("cb")], [6, 14, 10, 22], "nested skipped calls: cb's Returns")
eq(tn.steps().count(("main.lua", 9)), 2, "nested skipped calls: outer's Step after the skipped call")

if failures:
    print("FAILED:\n" + "\n".join(failures))
    sys.exit(1)
print("filter_test: all passed")
