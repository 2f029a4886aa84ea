-- oracle_memo.lua: flat tables written again from the writer's memos
-- (values.c, write_flat) must change when any field does: a field that
-- changes only in its float bits (0.0 / -0.0, one NaN / another), in its
-- kind (1 / 1.0 / true / "1"), a string changed for one of the same length
-- and hash bucket, a string past the 40 bytes a memo keeps, a table freed
-- and another made (maybe at its address) with the same shape, the same
-- table seen inside an array and alone, and more fields than a memo keeps.
-- Arrays of them (write_array_memo): an element changed in place, two
-- swapped, one replaced by an equal copy, numbers changing, the length
-- changing, an array cut by the element budget, nested arrays, arrays
-- past the depth limit.
-- oracle-variant: --max-string 3
-- oracle-variant: --max-elements 5
local p = {x = 0.0, y = 1, s = "abc"}
local bodies = {}
for i = 1, 4 do bodies[i] = {x = i + 0.5, y = i, s = "b" .. i} end
local q = bodies[2]
p.x = -0.0
p.x = 0.0
p.x = 0 / 0
p.x = -(0 / 0)
p.x = math.huge
p.x = 1
p.x = 1.0
p.x = true
p.x = "1"
p.x = false
p.s = "abd"
p.s = "abc"
p.s = string.rep("z", 41)
p.s = string.rep("z", 40) .. "y"
p.s = string.rep("z", 40)
p.s = string.rep("z", 39) .. "y"
for i = 1, 6 do
  bodies[1 + i % 4].y = bodies[1 + i % 4].y + 1
  q.x = q.x * 2
end
for round = 1, 4 do
  local t = {x = round, y = round * 2, s = "r"}
  t = nil
  collectgarbage()
  local u = {x = round + 100, y = round, s = "r"}
  u.y = nil
  u.y = 7
  collectgarbage()
end
local wide = {}
for i = 1, 18 do wide["k" .. i] = i end
for i = 1, 3 do wide.k5 = wide.k5 + i end
local nested = {x = 1, y = {z = 2}, s = "n"}
nested.y.z = 3
nested.y = 4
nested.y = {z = 5}
local f = {x = 1, y = print, s = "f"}
f.y = 2
-- (in a function: its steps record its own locals only, in this order)
local function arrays()
  -- r5 and r2 are recorded before recs, r2 through write_table's fast path
  -- (r5 has its shape): r2's memo is kept again before recs looks at it
  local r5, r2
  local recs = {}
  for i = 1, 6 do recs[i] = {id = i, key = i * 7 % 5, name = "n" .. i} end
  r5, r2 = recs[5], recs[2]
  local nums = {1, 2.5, true, 4}
  for i = 1, 3 do
    recs[2].key = recs[2].key + 1
    recs[1], recs[3] = recs[3], recs[1]
    recs[4] = {id = recs[4].id, key = recs[4].key, name = recs[4].name}
    nums[2] = nums[2] * 2
    nums[3] = not nums[3]
  end
  recs[7] = {id = 7, key = 0, name = "n7"}
  recs[7] = nil
  local many = {}
  for i = 1, 40 do many[i] = {id = i, key = 1, name = "m"} end
  many[10].key = 2
  many[35].key = 3
  local grid = {{1, 2}, {3, 4}}
  grid[2][1] = 5
  local deep = {{{{id = 1, key = 2, name = "d"}}}}
  deep[1][1][1].key = 3
  -- the same array at the top (the whole budget) and inside a Struct
  -- (what its keys left): cut at another element (--max-elements 5)
  local seven = {1, 2, 3, 4, 5, 6, 7}
  local holder = {a = 1, b = 2, list = seven}
  seven[1] = 0
  holder.a = 3
  return recs, nums, many, grid
end
local recs, nums, many, grid = arrays()
print(p.s, q.x, wide.k5, nested.y.z, f.y, recs[1].id, nums[2], #many, grid[2][1])
