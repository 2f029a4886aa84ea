-- os.exit(code, true) from a nested call: lua_close runs the pending
-- __close handlers (recorded, with their output) and the finalizers.
local log = setmetatable({}, {__gc = function() print("finalized") end})
local function finish(code)
  local inner <close> = setmetatable({}, {__close = function()
    print("inner closed")
  end})
  os.exit(code, true)
end
local outer <close> = setmetatable({}, {__close = function()
  print("outer closed")
end})
finish(4)
