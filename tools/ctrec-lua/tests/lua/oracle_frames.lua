-- oracle_frames.lua: many locals and upvalues (more than the recorder's
-- batches of 16 stack slots and its per-function caches), locals going in
-- and out of scope, for-loop internals, varargs, shadowing, tail calls.
-- oracle-variant: --no-upvalues
-- oracle-variant: --max-elements 3 --max-depth 1
local v00 = {0, {x = 0}}
local v01 = "s1" .. 1
local v02 = function() return 2 + 2 end
local v03 = 3.5 + 3
local v04 = {k4 = 4, [1] = 1}
local v05 = {5, {x = 5}}
local v06 = "s6" .. 6
local v07 = function() return 7 + 7 end
local v08 = 8.5 + 8
local v09 = {k9 = 9, [1] = 1}
local v10 = {10, {x = 10}}
local v11 = "s11" .. 11
local v12 = function() return 12 + 12 end
local v13 = 13.5 + 13
local v14 = {k14 = 14, [1] = 1}
local v15 = {15, {x = 15}}
local v16 = "s16" .. 16
local v17 = function() return 17 + 17 end
local v18 = 18.5 + 18
local v19 = {k19 = 19, [1] = 1}
local v20 = {20, {x = 20}}
local v21 = "s21" .. 21
local v22 = function() return 22 + 22 end
local v23 = 23.5 + 23
local v24 = {k24 = 24, [1] = 1}
local v25 = {25, {x = 25}}
local v26 = "s26" .. 26
local v27 = function() return 27 + 27 end
local v28 = 28.5 + 28
local v29 = {k29 = 29, [1] = 1}
local v30 = {30, {x = 30}}
local v31 = "s31" .. 31
local v32 = function() return 32 + 32 end
local v33 = 33.5 + 33
local v34 = {k34 = 34, [1] = 1}
local v35 = {35, {x = 35}}
local v36 = "s36" .. 36
local v37 = function() return 37 + 37 end
local v38 = 38.5 + 38
local v39 = {k39 = 39, [1] = 1}
local function uses_all()
  local sum = 0
  sum = sum + (type(v00) == 'table' and 1 or 0)
  sum = sum + (type(v02) == 'table' and 1 or 0)
  sum = sum + (type(v04) == 'table' and 1 or 0)
  sum = sum + (type(v06) == 'table' and 1 or 0)
  sum = sum + (type(v08) == 'table' and 1 or 0)
  sum = sum + (type(v10) == 'table' and 1 or 0)
  sum = sum + (type(v12) == 'table' and 1 or 0)
  sum = sum + (type(v14) == 'table' and 1 or 0)
  sum = sum + (type(v16) == 'table' and 1 or 0)
  sum = sum + (type(v18) == 'table' and 1 or 0)
  sum = sum + (type(v20) == 'table' and 1 or 0)
  sum = sum + (type(v22) == 'table' and 1 or 0)
  sum = sum + (type(v24) == 'table' and 1 or 0)
  sum = sum + (type(v26) == 'table' and 1 or 0)
  sum = sum + (type(v28) == 'table' and 1 or 0)
  sum = sum + (type(v30) == 'table' and 1 or 0)
  sum = sum + (type(v32) == 'table' and 1 or 0)
  sum = sum + (type(v34) == 'table' and 1 or 0)
  sum = sum + (type(v36) == 'table' and 1 or 0)
  sum = sum + (type(v38) == 'table' and 1 or 0)
  return sum
end
uses_all()

local function many_locals(...)
  local a1, a2, a3, a4, a5, a6, a7, a8 = 1, 2.0, "3", {4}, {x = 5}, print, true, nil
  local b1, b2, b3, b4, b5, b6, b7, b8 = {1, 2, {3}}, {y = {z = {w = 1}}}, -0.0, 0 / 0, 1e300, "b6", false, 8
  local c1, c2, c3, c4, c5, c6, c7, c8 = a4, a5, b1, b2, coroutine.running(), io.stdout, {}, {{}}
  local n = select("#", ...)
  for i = 1, 3 do
    local inner = i * 2
    for k, v in pairs({p = i}) do
      local kv = k .. v
    end
  end
  do
    local scoped = "scoped"
    a1 = scoped
  end
  local a1 = "shadow"            -- a second a1
  return n, a1
end
many_locals(1, 2, 3)
local x = 1
do
  local x = x + 1                -- shadows x, reads the outer one
  local y = x
end
local function tail(n, acc)
  if n == 0 then return acc end
  return tail(n - 1, acc + n)    -- tail calls
end
tail(5, 0)
local function outer()
  local u1, u2, u3 = {1}, "u2", 3
  return function()
    local u2 = "local u2"         -- hides the upvalue u2
    return u1[1] + u3, u2
  end
end
outer()()

print(v00[1], v01, v39 and 1)
