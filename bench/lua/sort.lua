-- sort.lua: table-heavy sorting: records built in tables, a merge sort
-- written in Lua, then table.sort with a Lua comparator.
local n = tonumber(arg and arg[1]) or 20000
local seed = 42
local function rand(m)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % m
end

local records = {}
for i = 1, n do
  records[i] = {id = i, key = rand(100000), name = "r" .. i}
end

local function merge_sort(a, lo, hi, tmp)
  if hi - lo < 1 then return end
  local mid = (lo + hi) // 2
  merge_sort(a, lo, mid, tmp)
  merge_sort(a, mid + 1, hi, tmp)
  local i, j, k = lo, mid + 1, lo
  while i <= mid and j <= hi do
    if a[i].key <= a[j].key then
      tmp[k] = a[i]; i = i + 1
    else
      tmp[k] = a[j]; j = j + 1
    end
    k = k + 1
  end
  while i <= mid do tmp[k] = a[i]; i = i + 1; k = k + 1 end
  while j <= hi do tmp[k] = a[j]; j = j + 1; k = k + 1 end
  for m = lo, hi do a[m] = tmp[m] end
end

merge_sort(records, 1, n, {})
local ok = true
for i = 2, n do
  if records[i - 1].key > records[i].key then ok = false end
end
table.sort(records, function(x, y) return x.id > y.id end)
print(ok, records[1].id, records[n].id)
