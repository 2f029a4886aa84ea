-- --activation-path activation_mod.lua: recorded from the module's first
-- run (its main chunk, run by require) until that run returns
local before = 1
package.path = arg[0]:match("^(.*/)") .. "?.lua;" .. package.path
local function load_it()
  return require("activation_mod")
end
local m = load_it()
print("loaded", m.loaded)
print("twice", m.twice(5))
