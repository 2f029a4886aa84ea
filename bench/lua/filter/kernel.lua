-- kernel.lua: the module the benchmark's filter skips (exec = "skip").
-- mandelbrot: loops without calls (a skipped function costs only its call
-- and return hooks); spectral: a small function called in the inner loop
-- (each call still reaches the call/return hooks, which decide nothing).
local M = {}

function M.mandelbrot(size)
  local count, iter, limit2 = 0, 50, 4.0
  for y = 0, size - 1 do
    local ci = 2.0 * y / size - 1.0
    for x = 0, size - 1 do
      local cr = 2.0 * x / size - 1.5
      local zr, zi, i = 0.0, 0.0, 0
      while i < iter and zr * zr + zi * zi <= limit2 do
        zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
        i = i + 1
      end
      if i == iter then count = count + 1 end
    end
  end
  return count
end

local function a(i, j)
  local ij = i + j - 1
  return 1.0 / (ij * (ij - 1) * 0.5 + i)
end

function M.spectral(n)
  local u, v = {}, {}
  for i = 1, n do u[i] = 1.0 end
  for _ = 1, 3 do
    for i = 1, n do
      local s = 0.0
      for j = 1, n do s = s + a(i, j) * u[j] end
      v[i] = s
    end
    for i = 1, n do u[i] = v[i] end
  end
  local s = 0.0
  for i = 1, n do s = s + u[i] * v[i] end
  return s
end

return M
