-- values.lua: locals of every kind, for the values test.
local int = 42
local float = 2.5
local nul = "a\0b"
local nested = {name = "outer", list = {1, 2, {3, 4}}, flag = true}
local cyclic = {tag = "me"}
cyclic.self = cyclic
local co = coroutine.create(function(a)
  local inside = a * 2
  local got = coroutine.yield(inside)
  return got + inside
end)
local _, first = coroutine.resume(co, 5)
local _, second = coroutine.resume(co, 100)
local big = {}
for i = 1, 300 do big[i] = i end
local none = nil
local long = {name = "long"}
for i = 1, 300 do long[i] = -i end
print(int, float, #nul, nested.name, cyclic.self.tag, first, second, #big, none)
