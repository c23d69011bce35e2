-- align.lua — cf.align from Lua: CKA and CCA on worked examples, the
-- cross-layer alignment DP of ALGORITHM.md §3.3, the baselines, errors.
local t = require "tap"

-- CKA worked example
local X = cf.matrix{{1, 0}, {0, 1}, {1, 1}, {0, 0}}
local Y = cf.matrix{{2, 0, 1}, {0, 1, 0}, {1, 1, 1}, {0, 0, 1}}
t.near(cf.align.cka(X, Y), 0.8432740427, 1e-9, "biased linear CKA of the worked example")
t.near(cf.align.cka(X, Y, "biased"), 0.8432740427, 1e-9, "\"biased\" is the default")
t.near(cf.align.cka(X, X), 1, 1e-12, "CKA of X with itself is 1")
t.near(cf.align.cka(X, X * 3 + 1), 1, 1e-12, "CKA is invariant to scaling and shifts")
local d = cf.align.cka(X, Y, "debiased")
t.ok(type(d) == "number" and d <= 1, "debiased CKA is a number <= 1 (" .. tostring(d) .. ")")
t.near(cf.align.cka(X:totable(), Y:totable()), 0.8432740427, 1e-9, "tables are accepted")
local v, msg = cf.align.cka(cf.matrix(4, 2, 1), Y)
t.fails(v, msg, "activations are constant", "constant activations return nil, message")
t.ok(msg and #msg > 0, "with a message: " .. tostring(msg))

-- CCA: identical column spaces give 1, orthogonal ones 0
local A = cf.matrix{{1, 0}, {0, 1}, {0, 0}, {0, 0}}
local B = cf.matrix{{0, 0}, {0, 0}, {1, 0}, {0, 1}}
t.near(cf.align.cca(A, A * 2), 1, 1e-12, "CCA of a matrix and a multiple is 1")
t.near(cf.align.cca(A, B), 0, 1e-12, "CCA of orthogonal column spaces is 0")
t.near(cf.align.cca(A, cf.matrix{{1, 1}, {0, 1}, {0, 0}, {0, 0}}), 1, 1e-12, "same span, other basis: 1")
t.near(cf.align.cca(A, cf.matrix{{1}, {0}, {1}, {0}}), 0.5, 1e-12, "a vector half in the span: cos² = 0.5")
t.ok(type(cf.align.cca(X, Y, true)) == "number", "centred CCA")
v, msg = cf.align.cca(cf.zeros(4, 2), Y)
t.fails(v, msg, "all zero", "all-zero activations return nil, message")

-- the DP of ALGORITHM.md §3.3
local C = cf.matrix{{0.6, 0.9, 0.9}, {0.1, 0.8, 0.9}, {0.7, 0.2, 0.9}, {0.9, 0.6, 0.3}, {0.9, 0.9, 0.5}}
local map, cost = cf.align.dp(C, 2, 1)
t.is(table.concat(map, ","), "1,3,5", "s=2, f=1 gives [1, 3, 5]")
t.near(cost, 0.6 + 0.2 + 0.5, 1e-12, "and its cost")
t.is(table.concat(cf.align.dp(C), ","), "1,3,5", "s=2, f=1 are the defaults")
t.is(table.concat(cf.align.dp(C, 1, 0), ","), "2,3,4", "s=1, f=0 gives [2, 3, 4]")
t.is(table.concat(cf.align.dp(C, 1, 1), ","), "2,3,5", "s=1, f=1 gives [2, 3, 5]")
t.is(table.concat(cf.align.dp(C, 2, 0), ","), "1,3,4", "s=2, f=0 gives [1, 3, 4]")
local T = {{0, .9, .9}, {.5, .3, .9}, {.5, .3, .9}, {.9, .3, .4}, {.9, .9, .4}}
t.is(table.concat(cf.align.dp(T, 1, 0), ","), "1,2,4", "ties resolve to the smallest row")
local nC = {}
local x, y = {400, 200, 100, 50, 25}, {400, 200, 100}
for i = 1, 5 do nC[i] = {} for j = 1, 3 do nC[i][j] = (x[i] - y[j]) ^ 2 end end
t.is(table.concat(cf.align.dp(nC, 2, 1), ","), "1,2,5", "the MLP neuron example gives [1, 2, 5]")
v, msg = cf.align.dp({{0 / 0, 1}, {1, 0}}, 1, 0)
t.fails(v, msg, "costs must be finite", "a NaN cost returns nil, message")

-- baselines
t.is(table.concat(cf.align.chain(5, 3), ","), "1,2,3", "chain")
local r1 = cf.align.random(10, 4, 2, 1, 7)
t.is(table.concat(r1, ","), table.concat(cf.align.random(10, 4, 2, 1, 7), ","), "random is seeded")
t.ok(r1[1] == 1 and r1[4] == 10, "random keeps the forced entries (s=2, f=1)")
t.ok(r1[1] < r1[2] and r1[2] < r1[3] and r1[3] < r1[4], "random maps increase")
local differs = false
for seed = 1, 10 do
  if table.concat(cf.align.random(10, 4, 2, 1, seed), ",") ~= table.concat(r1, ",") then differs = true end
end
t.ok(differs, "other seeds give other maps")
t.is(#cf.align.random(6, 6), 6, "m = n gives a full map")

-- data the estimators cannot use: nil, message (as the help says)
v, msg = cf.align.cka(X:sub(1, 3), Y:sub(1, 3), "debiased")
t.ok(v == nil and msg == "the debiased CKA estimator needs at least 4 samples, got 3",
     "debiased CKA with 3 samples: nil, message (" .. tostring(msg) .. ")")
t.near(cf.align.cka(X:sub(1, 3), Y:sub(1, 3)), cf.align.cka(X:sub(1, 3), Y:sub(1, 3), "biased"), 0,
       "the biased estimator takes 3 samples")
v, msg = cf.align.cca(cf.zeros(2, 3), cf.zeros(2, 1))
t.ok(v == nil and msg == "CCA needs no more features (columns) than samples (rows): X is 2x3",
     "CCA with more features than samples in X: nil, message (" .. tostring(msg) .. ")")
v, msg = cf.align.cca(cf.rand(3, 1), cf.rand(3, 4))
t.ok(v == nil and msg:find("Y is 3x4", 1, true), "... and in Y")

-- programmer errors
t.raises(function() return cf.align.cka(X, cf.zeros(3, 2)) end, "bad argument #2 to 'cka' (Y has 3 samples (rows), X has 4)", "different sample counts")
t.raises(function() return cf.align.cka(X, Y, "unbiased") end, "bad argument #3 to 'cka'", "an unknown estimator")
t.raises(function() return cf.align.cka("X", Y) end, "bad argument #1 to 'cka'", "X not a matrix")
t.raises(function() return cf.align.cka(cf.zeros(2, 2, 2), Y) end, "one sample per row", "a 3-D matrix")
t.raises(function() return cf.align.dp(C:t()) end, "bad argument #1 to 'dp'", "dp with fewer rows than columns")
t.raises(function() return cf.align.dp(C, 0) end, "bad argument #2 to 'dp'", "s = 0")
t.raises(function() return cf.align.dp(C, 2, -1) end, "bad argument #3 to 'dp'", "f < 0")
t.raises(function() return cf.align.chain(2, 3) end, "bad argument #2 to 'chain'", "chain with n > m")
t.raises(function() return cf.align.chain(0, 0) end, "bad argument #1 to 'chain'", "chain with m = 0")
t.raises(function() return cf.align.random(5, 3, 2, 1, -1) end, "bad argument #5 to 'random'", "a negative seed")
t.raises(function() return cf.align.random(3, 5) end, "bad argument #2 to 'random'", "random with n > m")
t.done()
