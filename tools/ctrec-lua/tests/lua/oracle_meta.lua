-- oracle_meta.lua: tables with metatables that must be read raw, __name on
-- userdata and functions, functions, threads, shared upvalues, coroutines.
local log = {}
local proxy_store = {hidden = 1}
local proxy = setmetatable({}, {
  __index = function(_, k) log[#log + 1] = "index " .. tostring(k); return proxy_store[k] end,
  __newindex = function(_, k, v) log[#log + 1] = "newindex"; rawset(proxy_store, k, v) end,
  __len = function() log[#log + 1] = "len"; return 99 end,
  __pairs = function(t) log[#log + 1] = "pairs"; return next, proxy_store, nil end,
  __name = "ProxyType",
  __tostring = function() log[#log + 1] = "tostring"; return "PROXY" end,
})
proxy.a = 1
local arr = setmetatable({1, 2, 3}, {__len = function() return 1 end, __index = {extra = 1}})
local named = setmetatable({x = 1}, {__name = "Named"})
local out = io.stdout                      -- a userdata with __name "FILE*"
local fn = print
local lua_fn = function() return 1 end
local fmeta = debug.getmetatable(lua_fn)
debug.setmetatable(lua_fn, {__name = "FN" .. string.rep("n", 200)})  -- every function
local after_name = lua_fn
debug.setmetatable(lua_fn, {__name = 42})  -- not a string: ignored
local after_num = lua_fn
debug.setmetatable(lua_fn, fmeta)
-- upvalues shared between closures
local function make()
  local shared = {count = 0}
  local n = 0
  local function inc() n = n + 1; shared.count = shared.count + 1; return n end
  local function get() return n, shared.count end
  return inc, get
end
local inc, get = make()
inc(); inc()
local x, y = get()
-- an upvalue hidden by a local of the same name
local hidden = "outer"
local function shadow()
  local hidden = "inner"
  return hidden
end
shadow()
local function uses_outer() return hidden end
uses_outer()
-- coroutines: the thread value, locals inside, yields
local co = coroutine.create(function(a, b)
  local inside = {a = a, b = b}
  local got = coroutine.yield(inside)
  inside.got = got
  local again = coroutine.yield(got * 2)
  return inside, again
end)
local ok1, r1 = coroutine.resume(co, 1, 2)
local ok2, r2 = coroutine.resume(co, 21)
local ok3, r3, r4 = coroutine.resume(co, "end")
local status = coroutine.status(co)
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
local g1, g2 = gen(), gen()
local running = coroutine.running()
print(#log, proxy.a, #arr, named.x, x, y, ok1, ok2, ok3, status, g1, g2, r3.got, r4)
