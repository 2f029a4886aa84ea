-- oracle_shapes.lua: tables whose keys change between steps, for the shape
-- cache of values.c (256 slots keyed by key-string pointers), shape_pred
-- (the shape written last at each depth) and the values kept by the scan.
-- oracle-variant: --max-elements 9
-- oracle-variant: --max-depth 2 --max-elements 40
local t = {a = 1, b = 2}
t.c = 3                      -- a key added
t.a = nil                    -- a key removed (a dead key stays in the node)
t.d = {a = 1, b = 2}         -- a nested table with the shape t had first
t.b, t.e = nil, "e"          -- same count, different keys
local u = {b = 2, a = 1}     -- the same keys as {a, b}, built in another order
local v = {}
v.b = "x"; v.a = "y"
local w = {a = {b = {c = {d = 1}}}, b = {a = 1}}   -- nesting, parent shapes
-- records: all the same shape, then one that differs at the last key, then
-- one with a key more, one with a key less, one with an array part
local recs = {}
for i = 1, 6 do recs[i] = {x = i, y = i * 2, z = "r" .. i} end
recs[3] = {x = 3, y = 6, w = "other"}
recs[4] = {x = 4, y = 8, z = "r4", q = true}
recs[5] = {x = 5, y = 10}
recs[6] = {x = 6, y = 12, z = "r6", 100, 200}
local same1 = {x = 1, y = 2, z = "r"}
local same2 = {x = {x = 1, y = 2, z = "r"}, y = {y = 2, x = 1, z = "s"}, z = {x = 3}}
-- the same table changing at every step, its values moving between keys
local m = {p = 1, q = 2, r = 3}
for i = 1, 5 do
  m.p, m.q, m.r = m.q, m.r, m.p
  if i % 2 == 0 then m.s = i else m.s = nil end
  same1.x = i
end
-- many shapes, colliding in the 256 slots of the cache
local many = {}
for i = 1, 300 do many[#many + 1] = {["k" .. i] = i, ["j" .. (i % 7)] = -i, [i % 5 == 0 and "k" or "j"] = i} end
for i = 300, 1, -7 do local cur, prev = many[i], many[i - 1] end
-- a table that keeps its keys but whose key strings are rebuilt
local dyn = {}
for round = 1, 4 do
  dyn = {}
  for i = 1, 3 do dyn[("key%d_%d"):format(i, round)] = round * 10 + i end
  dyn.fixed = round
end
-- pseudo-field keys: written as pairs
local pseudo1 = {["[array]"] = 1, x = 2}
local pseudo2 = {1, 2, ["..."] = 3}
-- more than 32 string keys (SHAPE_MAX_KEYS), with tables as values
local big = {}
for i = 1, 40 do big[("f%02d"):format(i)] = (i % 5 == 0) and {i} or i end
local big2 = {}
for i = 40, 1, -1 do big2[("f%02d"):format(i)] = i end
big2.f07 = nil
-- more string keys than the budget (the first keys `next` gives are kept)
local huge = {}
for i = 1, 150 do huge["h" .. i] = i end
local tail = {1}
print(#many, big.f01, huge.h1, u.a, v.a, w.b.a, same2.z.x, pseudo1.x, pseudo2[3], tail[1])
