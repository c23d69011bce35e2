-- ot.lua — cf.ot from Lua: every solver on the worked example, the
-- stepping solver, the certificate, ground costs, and every error path.
local t = require "tap"
local v1, msg

-- The worked example: the optimal plan is [[1/3,0],[0,1/3],[1/6,1/6]], cost 1/6.
local M = cf.matrix{{0, 1}, {1, 0}, {0.4, 0.6}}
local a, b = {1/3, 1/3, 1/3}, {1/2, 1/2}
local r = assert(cf.ot.solve(M, {a = a, b = b}))
t.near(r.cost, 1/6, 1e-12, "exact cost 1/6")
t.is(r.status, "optimal", "status optimal")
t.is(r.solver, "emd", "exact resolves to the network simplex for non-uniform shapes")
t.is(r.plan:summary(), "Matrix 3x2 double", "the plan is a Matrix")
local want = {{1/3, 0}, {0, 1/3}, {1/6, 1/6}}
local maxdiff = 0
for i = 1, 3 do for j = 1, 2 do maxdiff = math.max(maxdiff, math.abs(r.plan:get(i, j) - want[i][j])) end end
t.ok(maxdiff < 1e-12, "the plan is [[1/3,0],[0,1/3],[1/6,1/6]]")
t.is(r.u:size(), 3, "u has one dual per row")
t.is(r.v:size(), 2, "v has one dual per column")
t.ok(type(r.iterations) == "number" and type(r.time) == "number" and r.message ~= "", "iterations, time, message")
t.near((r.plan:sum(2) - cf.matrix(a)):max(), 0, 1e-12, "row marginals are a")

-- certificate
local c = cf.ot.check(M, r.plan, r.u, r.v, a, b)
t.is(c.optimal, true, "check certifies optimality")
t.near(c.cost, 1/6, 1e-12, "check recomputes the cost")
t.near(c.gap, 0, 1e-12, "zero duality gap")
t.near(c.dual_obj, 1/6, 1e-12, "dual objective equals the cost")
local bad = cf.matrix{{0, 1/3}, {1/3, 0}, {1/6, 1/6}}
local cb = cf.ot.check(M, bad, r.u, r.v, a, b)
t.is(cb.optimal, false, "a worse feasible plan is not certified")
t.near(cb.cost, 1/3 * 1 + 1/3 * 1 + 1/6 * 0.4 + 1/6 * 0.6, 1e-12, "its cost")

-- other solvers on the same problem
for _, s in ipairs{"emd", "exact"} do
  local rs = assert(cf.ot.solve(M, {a = a, b = b, solver = s}))
  t.near(rs.cost, 1/6, 1e-12, s .. ": cost 1/6")
end
for _, s in ipairs{"sinkhorn", "sinkhorn-log", "sinkhorn-eps", "sinkhorn-sparse"} do
  local rs = assert(cf.ot.solve(M, {a = a, b = b, solver = s, reg = 0.01}))
  t.is(rs.status, "converged", s .. " converges")
  t.near(rs.cost, 1/6, 1e-3, s .. ": cost near 1/6 at reg 0.01")
  t.ok(#rs.err >= 1, s .. " keeps an error history")
  t.ok(rs.marg_err <= 1e-9, s .. ": marg_err, the plan's L1 error, within tol (" .. rs.marg_err .. ")")
end
-- over-relaxation: plain (omega = 1), fixed and adaptive (0) reach the same plan
local Mo = cf.matrix{{0, 1, 4}, {1, 0, 1}, {4, 1, 0}, {2, 2, 1}}
local oa, ob = {0.1, 0.2, 0.3, 0.4}, {0.3, 0.3, 0.4}
-- the sparse solver steps through larger eps to the target, on a small kernel
local sp = assert(cf.ot.solver(Mo, {a = oa, b = ob, solver = "sinkhorn-sparse", reg = 0.001, reg_scale = "max"}))
t.near(sp:eps(), 4, 1e-12, "sinkhorn-sparse starts at eps = max|M| = 4")
t.ok(sp:kernel_size() >= 4 and sp:kernel_size() <= 12, "kernel_size() between n and n*m: " .. sp:kernel_size())
t.is(sp:step(1000000), "converged", "sinkhorn-sparse converges at eps 1e-3*max")
t.near(sp:eps(), 0.004, 1e-15, "and ends at the target eps 0.004")
local spd = assert(cf.ot.solve(Mo, {a = oa, b = ob, solver = "sinkhorn-eps", reg = 0.001, reg_scale = "max"}))
t.near(sp:result().cost, spd.cost, 1e-9 * spd.cost, "same cost as the dense sinkhorn-eps")
t.is(assert(cf.ot.solver(Mo, {solver = "emd", a = oa, b = ob})):kernel_size(), -1, "emd: kernel_size -1")
local ro = {}
for _, w in ipairs{0, 1, 1.5} do
  ro[w] = assert(cf.ot.solve(Mo, {a = oa, b = ob, solver = "sinkhorn-log", reg = 0.05, tol = 1e-11, omega = w}))
  t.is(ro[w].status, "converged", "sinkhorn-log converges with omega = " .. w)
end
t.near(ro[1.5].cost, ro[1].cost, 1e-8, "omega = 1.5 reaches the plain fixed point")
t.near(ro[0].cost, ro[1].cost, 1e-8, "adaptive omega reaches the plain fixed point")
t.ok(ro[1.5].iterations < ro[1].iterations, "over-relaxation takes fewer iterations than plain ("
     .. ro[1.5].iterations .. " < " .. ro[1].iterations .. ")")
local ro2 = assert(cf.ot.solver(Mo, {a = oa, b = ob, solver = "sinkhorn-eps", reg = 0.05, omega = 1}))
t.is(ro2:step(100000), "converged", "cf.ot.solver takes omega too")
v1, msg = cf.ot.solve(Mo, {a = oa, b = ob, solver = "sinkhorn-log", omega = 2})
t.fails(v1, msg, "omega", "omega = 2 returns nil, message naming omega")
local ru = assert(cf.ot.solve(M, {a = a, b = b, solver = "unbalanced", reg = 0.05, reg_m = 10}))
t.ok(ru.status == "converged" and ru.plan:sum() > 0.5, "unbalanced solves with reg_m")
local rr = assert(cf.ot.solve(M, {a = a, b = b, solver = "sinkhorn", reg = 0.1, reg_scale = "max"}))
t.near(rr.reg, 0.1, 1e-12, "reg_scale max: eps = reg * max(M) = 0.1")
local rmed = assert(cf.ot.solve(M, {solver = "sinkhorn", reg = 1, reg_scale = "median", a = a, b = b}))
t.ok(rmed.reg > 0 and rmed.reg <= 1, "reg_scale median")
-- assignment: a permutation
local P = cf.matrix{{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}
local ra = assert(cf.ot.solve(P, {solver = "assign"}))
t.near(ra.cost, (1 + 2 + 2) / 3, 1e-12, "assign: optimal permutation cost 5/3")
t.is(ra.solver, "assign", "assign runs Jonker-Volgenant")
local rl = assert(cf.ot.solve(cf.rand(30, 30, 5), {solver = "sinkhorn", reg = 1e-3, max_iter = 3, log_fallback = true}))
t.is(rl.status, "limit", "max_iter stops at the limit")
t.is(rl.iterations, 3, "after exactly max_iter iterations")

-- stepping solver
local s = assert(cf.ot.solver(M, {a = a, b = b, solver = "sinkhorn", reg = 0.05}))
t.like(tostring(s), "^OTSolver sinkhorn 3x2, running after 0 iterations", "solver __tostring")
t.is(s:status(), "running", "running before any step")
t.is(s:name(), "sinkhorn", "name()")
t.is(s:step(), "running", "one step")
t.is(s:iterations(), 1, "iterations() counts steps")
local e1 = s:error()
s:step(5)
t.ok(s:error() < e1, "the marginal error decreases")
t.is(s:step(10000), "converged", "step(n) stops when converged")
local T, u, v = s:plan()
t.is(T:summary(), "Matrix 3x2 double", "plan() returns the plan")
t.ok(u:size() == 3 and v:size() == 2, "and the potentials")
local res = s:result()
t.is(res.status, "converged", "result() status")
t.near(res.cost, 1/6, 2e-2, "result() cost near 1/6 at reg 0.05")
local se = assert(cf.ot.solver(M, {a = a, b = b, solver = "emd"}))
se:step(100)
t.is(se:status(), "optimal", "stepping the exact solver")
t.ok(se:error() ~= se:error(), "exact solvers report NaN as their error")
se:close()
t.raises(function() return se:status() end, "the solver was closed", "a closed solver raises")

-- ground costs
local X = cf.matrix{{0, 0}, {1, 0}}
local Y = cf.matrix{{0, 1}, {1, 1}, {3, 0}}
local C = cf.ot.cost(X, Y)
t.ok(C == cf.matrix{{1, 2, 9}, {2, 1, 4}}, "squared Euclidean costs")
t.near(cf.ot.cost(X, Y, {metric = "euclidean"}):get(1, 2), math.sqrt(2), 1e-12, "Euclidean")
t.near(cf.ot.cost(X, Y, {metric = "euclidean", direct = true}):get(1, 3), 3, 1e-15, "direct sums")
local Cc = cf.ot.cost({{1, 0}}, {{0, 1}, {2, 0}}, {metric = "cosine"})
t.ok(math.abs(Cc:get(1, 1) - 1) < 1e-12 and math.abs(Cc:get(1, 2)) < 1e-12, "cosine distance")
local Cn, div = cf.ot.cost(X, Y, {normalize = "max"})
t.is(div, 9.0, "normalize max divides by the maximum")
t.is(Cn:max(), 1.0, "normalised to 1")

-- data problems return nil, message
v1, msg = cf.ot.solve({{0/0, 1}, {1, 0}})
t.fails(v1, msg, "not finite", "a NaN cost returns nil, message")
v1, msg = cf.ot.solve(M, {a = {1, 1, 1}, b = {0.5, 0.5}})
t.fails(v1, msg, "marginals do not balance", "unbalanced masses return nil, message")
v1, msg = cf.ot.solver({{1/0, 1}})
t.fails(v1, msg, "not finite", "cf.ot.solver: an infinite cost returns nil, message")
v1, msg = cf.ot.cost({{0/0, 0}}, {{1, 1}})
t.fails(v1, msg, "is not finite", "a NaN point returns nil, message")

-- programmer errors raise naming the argument
t.raises(function() return cf.ot.solve("M") end, "bad argument #1 to 'solve'", "M of the wrong type")
t.raises(function() return cf.ot.solve(cf.zeros(2, 2, 2)) end, "2-dimensional cost matrix", "a 3-D cost matrix")
t.raises(function() return cf.ot.solve(M, {solver = "magic"}) end, "unknown solver 'magic'", "an unknown solver")
t.raises(function() return cf.ot.solve(M, {regg = 1}) end, "unknown option 'regg'", "an unknown option")
t.raises(function() return cf.ot.solve(M, {reg = "big"}) end, "option 'reg' must be a number", "a non-number reg")
t.raises(function() return cf.ot.solve(M, {omega = "fast"}) end, "option 'omega' must be a number", "a non-number omega")
t.raises(function() return cf.ot.solve(M, {a = {1, 2}}) end, "option 'a' has 2 weights, the cost matrix needs 3", "a of the wrong length")
t.raises(function() return cf.ot.solve(M, {reg_scale = "min"}) end, "unknown reg_scale", "an unknown reg_scale")
t.raises(function() return cf.ot.solve(M, 5) end, "bad argument #2 to 'solve'", "options not a table")
t.raises(function() return s:step(0) end, "bad argument #1 to 'step'", "step(0)")
t.raises(function() return cf.ot.check(M, cf.zeros(2, 2), r.u, r.v) end, "bad argument #2 to 'check'", "check with a plan of the wrong shape")
t.raises(function() return cf.ot.check(M, r.plan, r.v, r.v) end, "bad argument #3 to 'check'", "check with u of the wrong length")
t.raises(function() return cf.ot.cost(X, cf.zeros(2, 3)) end, "bad argument #2 to 'cost'", "points of different dimension")
t.raises(function() return cf.ot.cost(X, Y, {metric = "manhattan"}) end, "unknown metric", "an unknown metric")
t.raises(function() return cf.ot.cost(X, Y, {normalize = "z"}) end, "unknown normalize", "an unknown normalisation")

t.done()
