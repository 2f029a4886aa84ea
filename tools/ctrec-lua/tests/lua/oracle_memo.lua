-- oracle_memo.lua: flat tables written again from the writer's memos
-- (values.c, write_flat) must change when any field does: a field that
-- changes only in its float bits (0.0 / -0.0, one NaN / another), in its
-- kind (1 / 1.0 / true / "1"), a string changed for one of the same length
-- and hash bucket, a string past the 40 bytes a memo keeps, a table freed
-- and another made (maybe at its address) with the same shape, the same
-- table seen inside an array and alone, and more fields than a memo keeps.
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
print(p.s, q.x, wide.k5, nested.y.z, f.y)
