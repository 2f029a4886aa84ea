-- closures.lua: closures, upvalues, tail calls and coroutines.
local function counter(start)
  local n = start
  return function(step)
    n = n + (step or 1)
    return n
  end
end

local c = counter(10)
c()
c(5)
print("counter:", c())

local function loop(n, acc)
  if n == 0 then
    return acc
  end
  return loop(n - 1, acc + n) -- a tail call
end
print("loop:", loop(5, 0))

local function gen(limit)
  for i = 1, limit do
    coroutine.yield(i * i)
  end
  return "done"
end

local co = coroutine.create(gen)
while true do
  local ok, v = coroutine.resume(co, 4)
  print("resume:", ok, v)
  if coroutine.status(co) == "dead" then break end
end

local squares = coroutine.wrap(function(n)
  local k = 0
  while k < n do
    k = k + 1
    coroutine.yield(k)
  end
end)
print("wrap:", squares(3), squares(), squares())

local bad = coroutine.create(function(x)
  coroutine.yield(x)
  error("boom inside a coroutine")
end)
print(coroutine.resume(bad, 7))
print(coroutine.resume(bad))
print(coroutine.status(bad))
