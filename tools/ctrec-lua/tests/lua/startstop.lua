-- Stopping and resuming the recording with the ctrec module (under lua5.4
-- there is no such module: the script runs the same, unrecorded).
local ok, ctrec = pcall(require, "ctrec")
local function work(n)
  local s = 0
  for i = 1, n do s = s + i end
  return s
end
local function middle()
  if ok then ctrec.stop() end
  local hidden = work(3)
  print("hidden", hidden)
  local function inner()
    if ok then ctrec.start() end
    local seen = work(2)
    return seen
  end
  return inner() + hidden
end
print("result", middle())
if ok then ctrec.stop() end
local co = coroutine.wrap(function(a)
  local b = a + 1
  coroutine.yield(b)
  if ok then ctrec.start() end
  local c = b + 1
  return c
end)
print("co", co(1))
print("co", co())
if ok then ctrec.stop() ctrec.stop() ctrec.start() ctrec.start() end
print("end")
