-- Output written before an argument fails is still output.
local loud = setmetatable({}, {__tostring = function()
  print("in __tostring")
  return "LOUD"
end})
print("a", loud, "z")
io.stdout:write("x", 1, "\n")
print(pcall(io.write, "written ", 2.5, " ", {}))
local bad = setmetatable({}, {__tostring = function() error("no text") end})
print(pcall(print, "b", 2, bad))
io.write("last ", true)
