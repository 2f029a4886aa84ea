-- A finalizer that prints when the state is closed at the normal end.
local obj = setmetatable({}, {__gc = function() print("finalized at the end") end})
print("end of script")
