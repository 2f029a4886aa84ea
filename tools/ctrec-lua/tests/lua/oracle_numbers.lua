-- oracle_numbers.lua: integers and floats, for the writer's float-text
-- cache and the shortest float text.
local one_i, one_f = 1, 1.0
local negzero, zero = -0.0, 0.0
local nan, inf, ninf = 0 / 0, math.huge, -math.huge
local pnan = -(0 / 0)
local maxi, mini = math.maxinteger, math.mininteger
local big_f = 2.0 ^ 63
local p53 = 2 ^ 53
local p53i = 1 << 53
local tiny = 5e-324
local e300 = 1e300
local third = 1 / 3
local tenth = 0.1
local f15 = 123456789012345.0
local f16 = 1e15
local f17 = 1e16
local small1, small2 = 0.0001, 0.00001
local pow2 = 2.0 ^ -1074 * 2 ^ 60
local sub1, sub2, sub3 = 1.5e-320, 2.2250738585072e-308, -3e-310
local mixed = {1, 1.0, -0.0, 0 / 0, math.huge, 2 ^ 63, math.mininteger, 0.1 + 0.2}
local keys = {[1.5] = "a", [-0.0] = "z", [2 ^ 53] = "b", [math.mininteger] = "c"}
local acc = 0.0
local arr = {}
for i = 1, 200 do
  acc = acc + i * 0.1
  arr[(i - 1) % 20 + 1] = acc / 3
  local sq = math.sqrt(i)
  local same_bits = acc * 1.0
end
local int_float_flip = 3
int_float_flip = 3.0
int_float_flip = 3
print(one_i, one_f, negzero, nan ~= nan, inf, ninf, maxi, mini, big_f, p53, p53i, tiny, e300)
print(third, tenth, f15, f16, f17, small1, small2, pow2, #mixed, keys[1.5], acc, #arr)
