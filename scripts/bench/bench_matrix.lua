-- bench_matrix.lua — one round of the Matrix side of bench_matrix.sh: each
-- operation on an n×n Matrix of values in [0.5, 1.5), called once untimed
-- to warm up, then timed `reps` times (each call alone, after a
-- collection, so no garbage of one call is collected inside another),
-- printed as "op wall cpu" lines in seconds.
local n, reps = tonumber(arg[1] or 4096), tonumber(arg[2] or 3)
local A = cf.matrix.rand(n, n, 1) + 0.5
local row, col = cf.matrix.rand(1, n, 2):reshape(n), cf.matrix.rand(n, 1, 3)
local ops = {
  {"sum", function() return A:sum() end},
  {"sum(1)", function() return A:sum(1) end},
  {"sum(2)", function() return A:sum(2) end},
  {"mean(1)", function() return A:mean(1) end},
  {"var(1)", function() return A:var(1) end},
  {"std(2)", function() return A:std(2) end},
  {"max(1)", function() return A:max(1) end},
  {"argmax(2)", function() return A:argmax(2) end},
  {"sqrt", function() return A:sqrt() end},
  {"exp", function() return A:exp() end},
  {"log", function() return A:log() end},
  {"abs", function() return A:abs() end},
  {"A*2", function() return A * 2 end},
  {"A+row", function() return A + row end},
  {"A*col", function() return A:mul(col) end},
}
for _, op in ipairs(ops) do
  collectgarbage()
  op[2]() -- warm-up, not timed (as bench_matrix.py)
  for _ = 1, reps do
    collectgarbage()
    local w, c = cf.timeit(op[2])
    print(op[1], w, c)
  end
end
