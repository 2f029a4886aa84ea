-- uncaught.lua: ends with an error nobody catches (exit status 1).
local function check(x)
  if x > 1 then
    error("check failed for " .. x)
  end
  return x
end

local function run(list)
  for _, x in ipairs(list) do
    print("checking", x)
    check(x)
  end
end

run({0, 1, 2, 3})
