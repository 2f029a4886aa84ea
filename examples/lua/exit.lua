-- exit.lua: os.exit(3) from inside a function.
local function finish(code)
  print("exiting with", code)
  os.exit(code)
end

local function work()
  for i = 1, 3 do
    io.write("step ", i, "\n")
  end
  finish(3)
end

work()
print("never printed")
