-- The script's own hooks beside the recorder's (debug.sethook/gethook):
-- what lua5.4 prints, the recorder's hook never visible.
print("no hook:", debug.gethook())
print("no hook (main thread given):", select("#", debug.gethook(coroutine.running())))

local lines = {}
local function on_line(ev, line) lines[#lines + 1] = ev .. ":" .. tostring(line) end
debug.sethook(on_line, "l")
local x = 1
x = x + 1
debug.sethook()
print("lines seen by the script's hook:", table.concat(lines, " "))
print("after sethook():", debug.gethook())

local f, m, c = nil, nil, nil
debug.sethook(on_line, "crl", 7)
f, m, c = debug.gethook()
debug.sethook()
print("gethook:", f == on_line, m, c)

-- call / return / tail call events, with a nil line
local events = {}
local function g(n) return n + 1 end
local function tail(n) return g(n) end
debug.sethook(function(ev, line) events[#events + 1] = ev .. ":" .. tostring(line) end, "cr")
tail(1)
debug.sethook()
print("call events:", table.concat(events, " "))

-- count hooks: as often as under lua5.4
local n = 0
debug.sethook(function() n = n + 1 end, "", 1)
for i = 1, 1000 do end
debug.sethook()
print("count 1 over an empty loop:", n)
n = 0
debug.sethook(function() n = n + 1 end, "", 4)
for i = 1, 1000 do end
f, m, c = debug.gethook()
debug.sethook()
print("count 4:", n, m, c)

-- an empty mask and no count: no hook at all
debug.sethook(on_line, "")
print("empty mask:", debug.gethook())

-- per thread: a hook on a coroutine, none on the main thread
local co_lines = {}
local co = coroutine.create(function(a)
  local b = a * 2
  coroutine.yield(b)
  return b + 1
end)
local function co_hook(_, line) co_lines[#co_lines + 1] = line end
debug.sethook(co, co_hook, "l")
print("coroutine's hook:", debug.gethook(co) == co_hook, select(2, debug.gethook(co)))
print("main thread's:", debug.gethook())
print(coroutine.resume(co, 5))
print(coroutine.resume(co))
print("coroutine lines:", table.concat(co_lines, " "))

-- a coroutine created while a hook is set inherits its mask and count (as
-- lua_newthread copies them) but not its function: gethook gives nil, the
-- mask and the count, and the hook does not run in it
local seen = 0
debug.sethook(function() seen = seen + 1 end, "cl", 3)
local inherited = coroutine.create(function()
  print("inside the created coroutine:", debug.gethook())
  coroutine.yield()
end)
local wrapped = coroutine.wrap(function() print("inside the wrapped coroutine:", debug.gethook()) end)
seen = 0
coroutine.resume(inherited)
wrapped()
print("hook calls while in the coroutines:", seen > 0)
debug.sethook()
print("created coroutine, from outside after sethook():", debug.gethook(inherited))
print("created coroutine, resumed again:", coroutine.resume(inherited))
local later = coroutine.create(function() return debug.gethook() end)
print("created after sethook():", coroutine.resume(later))
print(pcall(coroutine.create, 1))
print(pcall(coroutine.wrap))
print(select("#", coroutine.create(print)), type(coroutine.wrap(print)))

-- an error raised by the hook reaches the script
local raised = false
print(pcall(function()
  debug.sethook(function(ev)
    if ev == "call" and not raised then raised = true; error("from the hook") end
  end, "c")
  local function h() return 1 end
  h()
end))
debug.sethook()
print("after the error:", debug.gethook())

-- bad arguments, as lua5.4 says them
print(pcall(debug.sethook, on_line))
print(pcall(debug.sethook, 42, "l"))

-- a hook left on at the end: its output is the script's
local last = debug.getinfo(1, "l").currentline + 2
debug.sethook(function(ev, line) if line == last then print("last line hooked") end end, "l")
local done = true
-- ldblib's hook table, where db.lua of Lua's test suite looks
local reg = debug.getregistry()._HOOKKEY
print("hook table:", getmetatable(reg).__mode, type(reg[coroutine.running()]))
