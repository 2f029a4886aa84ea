-- required by activation.lua; --activation-path names this file
local M = {}
local calls = 0
function M.twice(x)
  calls = calls + 1
  return 2 * x
end
M.loaded = M.twice(21)
return M
