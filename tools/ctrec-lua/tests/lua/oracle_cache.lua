-- oracle_cache.lua: the shape cache and shape_pred under churn: records
-- that share a prefix of keys, keys removed and added back (a new `next`
-- order), long (not interned) keys, keys longer than 16 bytes that differ
-- only in the middle, the empty key, deep chains of one shape.
-- oracle-variant: --max-depth 12 --max-elements 60
-- oracle-variant: --max-elements 4
-- oracle-variant: --max-elements 32
local function rec(i)
  if i % 4 == 0 then return {alpha = i, beta = i + 1} end
  if i % 4 == 1 then return {alpha = i, beta = i + 1, gamma = {alpha = i, beta = -i}} end
  if i % 4 == 2 then return {alpha = i, delta = i + 1} end
  return {beta = i, alpha = i + 1}
end
local arr = {}
for i = 1, 12 do arr[i] = rec(i) end
local grid = {}
for i = 1, 4 do grid[i] = {row = {cell = {alpha = i, beta = i}}, id = i} end
local churn = {a = 1, b = 2, c = 3, d = 4}
for i = 1, 6 do
  churn.b = nil
  churn.e = i
  churn.b = i * 10
  churn.e = nil
end
local longk = string.rep("L", 45)
local long1 = {[longk .. "1"] = 1, [longk .. "2"] = 2}
local long2 = {[longk .. "1"] = 3, [longk .. "2"] = 4}
local mid1 = {["abcdefghijklmnopXqrstuvwxyz"] = 1, ["abcdefghijklmnopYqrstuvwxyz"] = 2}
local mid2 = {["abcdefghijklmnopYqrstuvwxyz"] = 1, ["abcdefghijklmnopXqrstuvwxyz"] = 2}
local mid3 = {["abcdefghiXjklmno"] = 1, ["abcdefghiYjklmno"] = 2}
local emptyk = {[""] = "empty", a = "a"}
local chain = {next = nil, v = 0}
for i = 1, 14 do chain = {next = chain, v = i} end
local chain2 = {v = 0}
for i = 1, 14 do chain2 = {v = i, next = chain2} end   -- same keys, other order
local same_ptr = {}
for i = 1, 10 do
  same_ptr[i % 3 + 1] = {x = i, y = tostring(i), [i % 2 == 0 and "z" or "w"] = i}
end
local moves = {p = "P", q = "Q", r = "R"}
for i = 1, 4 do
  moves.p, moves.q, moves.r = moves.r, moves.p, moves.q
  local copy = {p = moves.p, q = moves.q, r = moves.r}
  local swapped = {p = moves.q, q = moves.r, r = moves.p}
end
-- 32 string keys (SHAPE_MAX_KEYS, the keys whose values the scan keeps
-- on the stack) and one more, after tables of 32 with the same first keys
local mk = load([[
  local n, extra = ...
  local t = {}
  for i = 1, n do t[("key%02d"):format(i)] = i end
  if extra then t[extra] = "extra" end
  return t]])
local k32a, k32b = mk(32), mk(32)
local k33, k32z = mk(33), mk(32, "zzz")
local k31i = mk(31, 1)
local klist = {mk(32), mk(32, "aaa"), mk(32), mk(33), mk(32, true)}
local knest = {x = mk(32), y = mk(32, {mk(2)})}
print(#arr, grid[1].id, churn.b, long1[longk .. "1"], mid1.abcdefghijklmnopXqrstuvwxyz,
      emptyk[""], chain.v, chain2.v, #same_ptr, moves.p)
