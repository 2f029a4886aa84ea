-- tables.lua: arrays, records, nesting, sorting, metatables.
local point = {x = 1.5, y = -2}
local list = {10, 20, 30, "forty"}
local mixed = {1, 2, 3, name = "mixed", [true] = "yes"}
local nested = {inner = {deep = {deeper = {deepest = 1}}}}
local selfref = {name = "loop"}
selfref.me = selfref
local wide = {a = 1, b = 2, c = 3, d = 4}
local Vec = {}
Vec.__index = Vec
function Vec.new(x, y)
  return setmetatable({x = x, y = y}, Vec)
end
function Vec:len2()
  return self.x * self.x + self.y * self.y
end

local v = Vec.new(3, 4)
print("len2:", v:len2())

local words = {"pear", "apple", "fig", "banana"}
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
print(table.concat(words, ","))

local count = 0
for k, val in pairs(point) do
  count = count + 1
end
print("fields:", count, #list, mixed.name, nested.inner.deep.deeper.deepest, selfref.me.name)
