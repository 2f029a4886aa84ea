-- values_oracle.lua: the reference for values_oracle.py. Run by stock
-- lua5.4 through LUA_INIT=@values_oracle.lua before the script (as
-- linehook.lua), it writes, for every line event of a file chunk other than
-- this one, lines to $CTREC_VALUES_OUT: the step, then one per variable,
--
--   S <tab> "path" <tab> LINE
--   V <tab> "name" <tab> NONDET <tab> VALUE
--
-- VALUE is the ValueRecord ctrec-lua writes for that variable, built here
-- from the mapping documented in tools/ctrec-lua/values.c and README.md
-- ("What is recorded"), written independently of the C code: the variables
-- are those of hooks.c (emit_locals, emit_upvalues); a value carries its
-- type as "type" (the lang_type), "tk" (the type's kind) and, for a Struct,
-- "fields" (the Type's field names) instead of a type_id. NONDET is 1
-- when the value depends on the order Lua's `next` gives (a table walked as
-- pairs, or scanned past the element budget, in a value that ran out of
-- budget): that order changes from run to run (string hashes are seeded).
--
-- The limits come from $CTREC_ORACLE_MAX_DEPTH (3), $CTREC_ORACLE_MAX_ELEMENTS
-- (100), $CTREC_ORACLE_MAX_STRING (1000; 0: none) and
-- $CTREC_ORACLE_NO_UPVALUES (set: --no-upvalues), as ctrec-lua's options.
--
-- The hook reads the script's values with raw access only (rawget, rawlen,
-- next, debug.getmetatable + rawget), so no metamethod of the script runs,
-- and every library function it uses is captured when it loads.
local getenv = os.getenv
local out = assert(io.open(assert(getenv("CTREC_VALUES_OUT")), "w"))
local getinfo, getlocal, getupvalue = debug.getinfo, debug.getlocal, debug.getupvalue
local getmetatable_raw = debug.getmetatable
local sethook = debug.sethook
local rawget, rawlen, rawequal, next, type, select = rawget, rawlen, rawequal, next, type, select
local mtype, huge, tointeger = math.type, math.huge, math.tointeger
local sfmt, sbyte, ssub, sfind, sgsub, srep, schar =
  string.format, string.byte, string.sub, string.find, string.gsub, string.rep, string.char
local concat, sort, tonumber = table.concat, table.sort, tonumber
local self_src = getinfo(1, "S").source

local function optnum(name, default)
  local v = getenv(name)
  if v == nil or v == "" then return default end
  return assert(tointeger(tonumber(v)), name)
end
local MAX_DEPTH = optnum("CTREC_ORACLE_MAX_DEPTH", 3)
local MAX_ELEMENTS = optnum("CTREC_ORACLE_MAX_ELEMENTS", 100)
local MAX_STRING = optnum("CTREC_ORACLE_MAX_STRING", 1000)
local UPVALUES = (getenv("CTREC_ORACLE_NO_UPVALUES") or "") == ""
local LONG_ARRAY = 64   -- recorder.h
local MAX_ANCESTORS = 64 -- recorder.h: ancestors[64]

-- type kinds (ctrec's TypeKind numbers, as the JSON Type events give them)
local K_SEQ, K_STRUCT, K_INT, K_FLOAT, K_STRING, K_BOOL, K_RAW, K_TUPLE, K_NONE =
  0, 6, 7, 8, 9, 12, 16, 27, 30

---------------------------------------------------------------------------
-- JSON text
---------------------------------------------------------------------------

-- Length of the valid UTF-8 sequence at byte i of s (1..4), or 0: the rules
-- of a strict UTF-8 decoder (no overlongs, no surrogates, <= U+10FFFF).
local function seq_len(s, i, n)
  local c = sbyte(s, i)
  if c < 0x80 then return 1 end
  if c < 0xC2 then return 0 end
  local function cont(j) local b = sbyte(s, j); return b and b >= 0x80 and b < 0xC0, b end
  if c < 0xE0 then
    if i + 1 > n or not cont(i + 1) then return 0 end
    return 2
  end
  if c < 0xF0 then
    if i + 2 > n or not cont(i + 1) or not cont(i + 2) then return 0 end
    local b1 = sbyte(s, i + 1)
    if c == 0xE0 and b1 < 0xA0 then return 0 end
    if c == 0xED and b1 >= 0xA0 then return 0 end
    return 3
  end
  if c < 0xF5 then
    if i + 3 > n or not cont(i + 1) or not cont(i + 2) or not cont(i + 3) then return 0 end
    local b1 = sbyte(s, i + 1)
    if c == 0xF0 and b1 < 0x90 then return 0 end
    if c == 0xF4 and b1 >= 0x90 then return 0 end
    return 4
  end
  return 0
end

-- s with every byte that is not part of valid UTF-8 replaced by U+FFFD.
local function utf8_clean(s)
  if not sfind(s, "[\128-\255]") then return s end
  local parts, n, i, run = {}, #s, 1, 1
  while i <= n do
    local c = sbyte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local k = seq_len(s, i, n)
      if k > 0 then
        i = i + k
      else
        parts[#parts + 1] = ssub(s, run, i - 1)
        parts[#parts + 1] = "\239\191\189"
        i = i + 1
        run = i
      end
    end
  end
  parts[#parts + 1] = ssub(s, run)
  return concat(parts)
end

local esc = { ['"'] = '\\"', ['\\'] = '\\\\' }
for c = 0, 31 do esc[schar(c)] = sfmt("\\u%04x", c) end
local function jstr(s)
  return '"' .. sgsub(utf8_clean(s), '[%c"\\]', function(c) return esc[c] or c end) .. '"'
end

-- The shortest of %.15g, %.16g, %.17g that reads back to v, exponent tidied.
local function float_text(v)
  if v ~= v then return "NaN" end
  if v == huge then return "inf" end
  if v == -huge then return "-inf" end
  -- a subnormal has fewer digits of precision: the shortest text that reads
  -- back can be shorter than 15 digits ("5e-324"), and it is the one written
  local s
  local first = (v ~= 0 and v > -2.2250738585072014e-308 and v < 2.2250738585072014e-308) and 1 or 15
  for p = first, 17 do
    s = sfmt("%." .. p .. "g", v)
    if tonumber(s) == v then break end
  end
  s = sgsub(s, "e%+?(%-?)0*(%d)", "e%1%2")
  return s
end

---------------------------------------------------------------------------
-- values (the mapping of values.c's header comment and the README)
---------------------------------------------------------------------------

local function rec_simple(kind, body, tname, tk)
  return '{"kind":"' .. kind .. '"' .. body .. ',"type":' .. jstr(tname) .. ',"tk":' .. tk .. '}'
end
local NONE = '{"kind":"None","type":"None","tk":' .. K_NONE .. '}'

local function marker(text)
  return rec_simple("Raw", ',"r":' .. jstr(text), "truncated", K_RAW)
end

local function more_marker(count)
  if count and count > 0 then return marker("<" .. sfmt("%d", count) .. " more>") end
  return marker("<more>")
end

local function ptr(v) return sfmt("%p", v) end

-- "kind: 0x..." as write_address does it (a __name read raw, and cut to the
-- text buffer's 136 bytes).
local function address(v, kind, tname)
  local mt = getmetatable_raw(v)
  if mt ~= nil and type(mt) == "table" then
    local nm = rawget(mt, "__name")
    if type(nm) == "string" then kind = nm end
  end
  if #kind > 136 then kind = ssub(kind, 1, 136) end
  return rec_simple("Raw", ',"r":' .. jstr(kind .. ": " .. ptr(v)), tname, K_RAW)
end

local function long_string(s)
  local len = #s
  local keep = MAX_STRING
  local function is_cont(i) -- byte i (0-based, as in C) is a continuation byte
    local b = sbyte(s, i + 1)
    return b >= 0x80 and b < 0xC0
  end
  local i = 0
  while i < 3 and keep > 0 and is_cont(keep) do keep = keep - 1; i = i + 1 end
  if is_cont(keep) then keep = MAX_STRING end
  return rec_simple("String", ',"text":' .. jstr(ssub(s, 1, keep) .. sfmt("<%d more bytes>", len - keep)),
                    "string(truncated)", K_STRING)
end

-- byte order of two strings (memcmp, then the length), as key_cmp
local function key_less(a, b)
  if not sfind(a, "\0", 1, true) and not sfind(b, "\0", 1, true) then return a < b end
  local n = #a < #b and #a or #b
  for i = 1, n do
    local x, y = sbyte(a, i), sbyte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function escape_key(k)
  return (sgsub(k, "[,{}\\]", "\\%0"))
end

local function is_pseudo(k) return k == "[array]" or k == "..." end

local st -- the state of the value being written: budget, ancestors, flags

local write_any

local function write_array(t, n, depth)
  local parts = {}
  for i = 1, n do
    if st.budget == 0 then
      parts[#parts + 1] = more_marker(n - i + 1)
      st.exhausted = true
      break
    end
    st.budget = st.budget - 1
    parts[#parts + 1] = write_any(rawget(t, i), depth + 1)
  end
  return '{"kind":"Sequence","elements":[' .. concat(parts, ",") ..
         '],"is_slice":false,"type":"table","tk":' .. K_SEQ .. '}'
end

local function write_pairs(t, total, depth)
  st.orderdep = true
  local parts, written = {}, 0
  local k, v = next(t)
  while k ~= nil do
    if st.budget == 0 then
      parts[#parts + 1] = more_marker(total > written and total - written or 0)
      st.exhausted = true
      break
    end
    st.budget = st.budget - 1
    written = written + 1
    local kr = write_any(k, depth + 1)
    local vr = write_any(v, depth + 1)
    parts[#parts + 1] = '{"kind":"Tuple","elements":[' .. kr .. "," .. vr ..
                        '],"type":"pair","tk":' .. K_TUPLE .. '}'
    k, v = next(t, k)
  end
  return '{"kind":"Sequence","elements":[' .. concat(parts, ",") ..
         '],"is_slice":false,"type":"table(pairs)","tk":' .. K_SEQ .. '}'
end

local function write_struct(t, n, keys, more, depth)
  local has_array = n > 0
  local nkeys = #keys
  sort(keys, key_less)
  local keep = nkeys
  local truncated = more or nkeys > st.budget
  if truncated then
    keep = nkeys < st.budget and nkeys or st.budget
    truncated = keep < nkeys or more
    st.orderdep = true
    st.exhausted = true
  end
  local names, fields = {}, {}
  if has_array then names[1] = "[array]"; fields[1] = jstr("[array]") end
  for i = 1, keep do
    names[#names + 1] = escape_key(keys[i])
    fields[#fields + 1] = jstr(keys[i])
  end
  if truncated then names[#names + 1] = "..."; fields[#fields + 1] = jstr("...") end
  local tname = "table{" .. concat(names, ",") .. "}"
  st.budget = st.budget - keep
  local vals = {}
  if has_array then vals[1] = write_array(t, n, depth) end
  for i = 1, keep do vals[#vals + 1] = write_any(rawget(t, keys[i]), depth + 1) end
  if truncated then vals[#vals + 1] = more_marker(more and 0 or nkeys - keep) end
  return '{"kind":"Struct","field_values":[' .. concat(vals, ",") .. '],"type":' .. jstr(tname) ..
         ',"tk":' .. K_STRUCT .. ',"fields":[' .. concat(fields, ",") .. ']}'
end

local function write_table(t, depth)
  local anc = st.ancestors
  for i = 1, #anc do
    if rawequal(anc[i], t) then return marker("<cycle: table: " .. ptr(t) .. ">") end
  end
  if depth >= MAX_DEPTH or #anc >= MAX_ANCESTORS then
    return marker("<depth limit: table: " .. ptr(t) .. ">")
  end
  local n = rawlen(t)
  if n > LONG_ARRAY and n > st.budget then
    anc[#anc + 1] = t
    local r = write_array(t, n, depth)
    anc[#anc] = nil
    return r
  end
  -- the keys besides 1..n: at most budget + 1 of them scanned; a long array
  -- is scanned from key n (next(t, n), as the recorder does)
  local limit = st.budget + 1
  local scanned, others, in_array = 0, 0, 0
  local keys = {}
  local more = false
  local k
  if n > LONG_ARRAY then k = next(t, n) else k = next(t) end
  while k ~= nil do
    local kt = type(k)
    if kt == "number" and mtype(k) == "integer" and k >= 1 and k <= n then
      in_array = in_array + 1
    else
      scanned = scanned + 1
      if scanned > limit then more = true; break end
      if kt == "string" and not is_pseudo(k) then
        keys[#keys + 1] = k
      else
        others = others + 1
      end
    end
    k = next(t, k)
  end
  if more then st.orderdep = true; st.exhausted = true end
  anc[#anc + 1] = t
  local r
  if others > 0 then
    local total = (more or n > LONG_ARRAY) and 0 or in_array + #keys + others
    r = write_pairs(t, total, depth)
  elseif #keys > 0 then
    r = write_struct(t, n, keys, more, depth)
  else
    r = write_array(t, n, depth)
  end
  anc[#anc] = nil
  return r
end

write_any = function(v, depth)
  local tv = type(v)
  if tv == "number" then
    if mtype(v) == "integer" then
      return rec_simple("Int", ',"i":' .. sfmt("%d", v), "integer", K_INT)
    end
    return rec_simple("Float", ',"f":' .. jstr(float_text(v)), "float", K_FLOAT)
  elseif tv == "string" then
    if MAX_STRING > 0 and #v > MAX_STRING then return long_string(v) end
    return rec_simple("String", ',"text":' .. jstr(v), "string", K_STRING)
  elseif tv == "table" then
    return write_table(v, depth)
  elseif tv == "boolean" then
    return rec_simple("Bool", ',"b":' .. (v and "true" or "false"), "boolean", K_BOOL)
  elseif tv == "function" then
    return address(v, "function", "function")
  elseif tv == "userdata" then
    return address(v, "userdata", "userdata")
  elseif tv == "thread" then
    return address(v, "thread", "thread")
  end
  return NONE
end

local function write_value(v)
  st = { budget = MAX_ELEMENTS, ancestors = {}, orderdep = false, exhausted = false }
  local r = write_any(v, 0)
  local nondet = st.orderdep and st.exhausted
  st = nil
  return r, nondet
end

---------------------------------------------------------------------------
-- the hook: the variables of hooks.c's step_values
---------------------------------------------------------------------------

local function hook(_, line)
  local src = getinfo(2, "S").source
  if ssub(src, 1, 1) ~= "@" or src == self_src then return end
  local vars, names = {}, {}
  -- emit_locals: locals 1.. up to the first "(temporary)", other names
  -- starting with "(" left out
  local n = 1
  while true do
    local name, v = getlocal(2, n)
    if name == nil then break end
    if ssub(name, 1, 1) == "(" then
      if name == "(temporary)" then break end
    else
      names[name] = true
      local r, nd = write_value(v)
      vars[#vars + 1] = "V\t" .. jstr(name) .. (nd and "\t1\t" or "\t0\t") .. r .. "\n"
    end
    n = n + 1
  end
  -- emit_upvalues: all but _ENV, "(...)" names and names of a visible local
  if UPVALUES then
    local f = getinfo(2, "f").func
    n = 1
    while true do
      local name, v = getupvalue(f, n)
      if name == nil then break end
      if ssub(name, 1, 1) ~= "(" and name ~= "_ENV" and not names[name] then
        local r, nd = write_value(v)
        vars[#vars + 1] = "V\t" .. jstr(name) .. (nd and "\t1\t" or "\t0\t") .. r .. "\n"
      end
      n = n + 1
    end
  end
  out:write("S\t", jstr(ssub(src, 2)), "\t", sfmt("%d", line), "\n", concat(vars))
  out:flush()
end

-- debug.sethook works per thread: coroutines get the hook from a wrapper
-- around their function (its lines are this file's, hence left out).
local create, wrap = coroutine.create, coroutine.wrap
coroutine.create = function(f)
  return create(function(...) sethook(hook, "l"); return f(...) end)
end
coroutine.wrap = function(f)
  return wrap(function(...) sethook(hook, "l"); return f(...) end)
end
sethook(hook, "l")
