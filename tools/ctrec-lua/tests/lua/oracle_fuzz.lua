-- oracle_fuzz.lua: random changes (a fixed seed) to a few tables between
-- steps: keys added, removed, replaced by others, values turning into
-- tables, tables shared and put inside each other (cycles), key strings
-- made at run time and collected, array parts growing and shrinking.
-- oracle-variant: --max-elements 12 --max-depth 2
math.randomseed(7)
local R = math.random
local names = {"a", "b", "c", "d", "e", "f", "g", "h", "id", "name", "value", "x"}
local A, B, C = {}, {x = 1}, {1, 2, 3}
local tabs = {A, B, C}
local function key()
  local r = R(24)
  if r <= 12 then return names[r] end
  if r <= 16 then return R(6) end                       -- the array part, holes
  if r <= 18 then return ("dyn%d"):format(R(4)) end      -- made at run time
  if r == 19 then return R(3) + 0.5 end
  if r == 20 then return r % 2 == 0 end
  if r == 21 then return R(2) == 1 and "[array]" or "..." end
  return names[R(4)]
end
local function value()
  local r = R(12)
  if r <= 3 then return R(100) end
  if r == 4 then return R() end
  if r == 5 then return "s" .. R(9) end
  if r == 6 then local t = {}; tabs[#tabs + 1] = t; return t end
  if r == 7 then return tabs[R(#tabs)] end               -- shared, maybe a cycle
  if r <= 9 then return nil end
  if r == 10 then return R(3) * 1.0 end
  if r == 11 then return {k = R(3), [names[R(12)]] = R(3)} end
  return false
end
local function mutate()
  local t = tabs[R(#tabs)]
  local k, v = key(), value()
  if k ~= k then k = 0 end
  t[k] = v
  return t
end
for step = 1, 50 do
  local changed = mutate()
  if step % 10 == 0 then collectgarbage() end
end
print(#tabs)
