-- linehook.lua: the reference for the end-to-end test. Run by stock lua5.4
-- through LUA_INIT=@linehook.lua before the script, it writes every line
-- event of a file chunk ("path<TAB>line") to $CTREC_LINES_OUT, using a
-- pure-Lua line hook. Its own lines are left out. debug.sethook works per
-- thread, so coroutines get the hook from a wrapper around their function
-- (its lines are this file's, hence left out too).
local out = assert(io.open(assert(os.getenv("CTREC_LINES_OUT")), "w"))
local getinfo = debug.getinfo
local self_src = getinfo(1, "S").source

local function hook(_, line)
  local src = getinfo(2, "S").source
  if src:sub(1, 1) == "@" and src ~= self_src then
    out:write(src:sub(2), "\t", line, "\n")
    out:flush()
  end
end

local create, wrap, sethook = coroutine.create, coroutine.wrap, debug.sethook
coroutine.create = function(f)
  return create(function(...) sethook(hook, "l"); return f(...) end)
end
coroutine.wrap = function(f)
  return wrap(function(...) sethook(hook, "l"); return f(...) end)
end
sethook(hook, "l")
