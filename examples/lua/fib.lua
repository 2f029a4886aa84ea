-- fib.lua: recursion, a loop, print and io.write.
local function fib(n)
  if n < 2 then
    return n
  end
  return fib(n - 1) + fib(n - 2)
end

local results = {}
for i = 0, 10 do
  results[#results + 1] = fib(i)
end
print("fib(0..10):", table.concat(results, " "))
io.write("fib(15) = ", fib(15), "\n")
