-- errors.lua: pcall, error objects, xpcall with a handler, error unwinding.
local function risky(n)
  if n > 2 then
    error("too big: " .. n)
  end
  return n * 2
end

local function deep(n)
  if n == 0 then
    return risky(5) + 1
  end
  local r = deep(n - 1)
  return r
end

print(pcall(risky, 1))
print(pcall(risky, 3))
print(pcall(deep, 3))

local ok, err = pcall(error, {code = 42})
print(ok, type(err), err.code)

print(xpcall(deep, function(m) return "handled: " .. m end, 2))

local function safe_div(a, b)
  local ok2, res = pcall(function()
    if b == 0 then error("division by zero", 0) end
    return a / b
  end)
  if ok2 then return res end
  return nil, res
end
print(safe_div(1, 4))
print(safe_div(1, 0))
