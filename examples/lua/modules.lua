-- modules.lua: requires mod_util.lua from the same folder; varargs, arg.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local util = require("mod_util")

local function sum(...)
  local total = 0
  for i = 1, select("#", ...) do
    total = total + select(i, ...)
  end
  return total
end

print(util.greeting, #arg, ...)
print(util.clamp(15, 0, 10), util.clamp(-3, 0, 10), util.clamp(5, 0, 10))
local words = util.split("alpha,beta,gamma", ",")
print(#words, words[2])
print(util.minmax({4, 8, 15, 16, 23, 42}))
print(sum(1, 2, 3, 4.5))
