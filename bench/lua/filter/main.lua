-- main.lua: the benchmark's script. The kernel module (kernel.lua, skipped
-- by skip-kernel.toml) does the numeric work; this script, recorded, does
-- the rest: a report loop of string work (about 10 % of plain lua5.4's
-- time at the default sizes; bench/lua/filter_bench.py measures it).
-- usage: main.lua mandelbrot|spectral SIZE ROWS
package.path = (arg[0]:match("^(.*/)") or "./") .. "?.lua;" .. package.path
local kernel = require("kernel")
local which, size, rows = arg[1] or "mandelbrot", tonumber(arg[2]) or 250, tonumber(arg[3]) or 3000

local result = kernel[which](size)

local checksum = 0
for i = 1, rows do
  local line = string.format("%08d %s", (i * 7919) % 100000, string.rep("ab", 50 + i % 50))
  line = line:gsub("ab", "ba")
  checksum = (checksum + #line + line:byte(12)) % 1000003
end
print(which, size, result, checksum)
