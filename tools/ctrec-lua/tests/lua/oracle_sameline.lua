-- oracle_sameline.lua: two functions defined on the same line share one
-- definition site (one fn_info) in ctrec-lua. Whether a function has
-- upvalues to record was kept per site: once `id` (none to record) had run
-- a line, `get`'s upvalue `up` was never recorded at its steps. It is now
-- kept per activation.
local up = 10
local id, get = function(x) return x end, function() return up end
id(1)
print(get())
local function twice() return up + up end
local a, b = function() return 1 end, function() return twice() end
a()
print(b())
