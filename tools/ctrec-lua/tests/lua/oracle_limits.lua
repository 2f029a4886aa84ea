-- oracle_limits.lua: tables at the depth and element limits, long arrays
-- (LONG_ARRAY = 64), holes, mixed keys, cycles.
-- oracle-variant: --max-elements 7
-- oracle-variant: --max-depth 1
-- oracle-variant: --max-depth 6 --max-elements 30
local deep = {l1 = {l2 = {l3 = {l4 = {l5 = {l6 = {l7 = "bottom"}}}}}}}
local deep_arr = {{{{{{{"bottom"}}}}}}}
-- arrays built by a chunk that is not a file's (not recorded: fewer steps)
local range = load([[
  local n, fmt = ...
  local t = {}
  for i = 1, n do t[i] = math.tointeger(tonumber((fmt or "%d"):format(i))) or tonumber((fmt or "%d"):format(i)) end
  return t]])
local a64, a65, a100, a101, a200 = range(64), range(65), range(100), range(101), range(200, "%d.5")
local long_mixed = range(80)
long_mixed.name = "long"                 -- n = 80 <= budget: keys scanned from n
long_mixed[0] = "zero"
local long_mixed2 = {}
for i = 1, 70 do long_mixed2[i] = {i} end  -- tables as elements: budget shared
long_mixed2.tag = "t"
local holes = {1, nil, 3, nil, 5}
local holes2 = {}
holes2[1] = 1; holes2[2] = 2; holes2[4] = 4
local mixed = {10, 20, x = "x", [3.5] = "f", [false] = 0, [-1] = "neg", [0] = "zero"}
local int_keys = {[10] = "ten", [20] = "twenty", [30] = "thirty"}
local cyc = {name = "cyc"}
cyc.self = cyc
local a, b = {name = "a"}, {name = "b"}
a.other, b.other = b, a
local seq_cyc = {1, 2}
seq_cyc[3] = seq_cyc
local key_cyc = {}
key_cyc[key_cyc] = true
local twice = {p = 1}
local holder = {first = twice, second = twice, list = {twice, twice}}
local budget = {}
for i = 1, 30 do budget[i] = {i, i + 1, i + 2, i + 3} end
local budget_s = {}
for i = 1, 30 do budget_s["k" .. i] = {i, i + 1} end
local exact = range(99)
exact.last = true                         -- 99 elements + 1 key = 100
local tables_in_pairs = {[{1, 2}] = {3, 4}, [true] = {x = {y = {z = 1}}}}
local empty = {}
local grow = {}
for i = 1, 70 do grow[i] = i end           -- crosses 64 while recorded
print(#a64, #a65, #a100, #a101, #a200, #long_mixed, #long_mixed2, #holes2, mixed[1],
      int_keys[10], cyc.self.name, a.other.name, #seq_cyc, key_cyc[key_cyc], holder.first.p,
      #budget, exact.last, #grow, next(empty))
