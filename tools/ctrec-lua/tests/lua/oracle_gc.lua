-- oracle_gc.lua: key strings collected and new ones allocated, so that
-- their addresses are reused as keys of other tables (the shape cache
-- compares bytes as well as pointers), and shape_pred across collections.
local r
for round = 1, 30 do
  local a = string.rep("q", 3) .. round % 2          -- "qqq0" / "qqq1"
  local b = ("%s%d"):format("w", round % 3)
  r = {[a] = round, [b] = -round}
  a, b = nil, nil
  collectgarbage("collect")
  local fresh = {}
  for i = 1, 3 do fresh[("z%03d"):format(round * 10 + i)] = i end
end
local list = {}
for round = 1, 10 do
  for i = 1, 5 do
    list[i] = {[("n%d"):format(round)] = i, [("m%d"):format(i)] = round}
  end
  collectgarbage("collect")
end
local recs = {}
for i = 1, 8 do
  recs[i] = {[("f%d"):format(i % 2)] = i, g = i}
end
collectgarbage("collect")
for i = 1, 8 do
  recs[i] = {[("f%d"):format((i + 1) % 2)] = i, g = i}
end
print(r.qqq0 or r.qqq1, #list, recs[1].g)
