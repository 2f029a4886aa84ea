-- mod_util.lua: a module required by modules.lua.
local M = {}

M.greeting = "hello"

function M.clamp(x, lo, hi)
  if x < lo then
    return lo
  elseif x > hi then
    return hi
  end
  return x
end

function M.split(s, sep)
  local parts = {}
  for piece in string.gmatch(s, "([^" .. sep .. "]+)") do
    parts[#parts + 1] = piece
  end
  return parts
end

function M.minmax(t)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(t) do
    lo = math.min(lo, v)
    hi = math.max(hi, v)
  end
  return lo, hi
end

return M
