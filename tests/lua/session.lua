-- session.lua — cf.session: construction, parameters with validation,
-- every step run and stepped, stale/fresh transitions, per-layer
-- overrides, every result accessor, failures, interruption, printing,
-- closing; and the prelude's script helpers (cf.args, cf.table_format,
-- cf.write_csv, nested printing).  A small trained MLP pair on subsets of
-- Fashion-MNIST keeps it fast.
local t = require "tap"

-- ---- the module ------------------------------------------------------------
local steps = cf.session.steps()
t.is(#steps, 7, "seven steps")
t.is(table.concat(steps, ","), "activations,costs,alignment,balance,fusion,evaluation,finetune",
     "steps in order")
local names = cf.session.param_names()
t.ok(#names > 30, "the parameter table has every parameter (" .. #names .. ")")
local pi = cf.session.param_info("ot.reg")
t.is(pi.type, "double", "param_info type")
t.is(pi.default, 0.01, "param_info default is typed")
t.ok(pi.min > 0 and pi.max > 1e10, "param_info range")
t.is(pi.step, "fusion", "param_info step")
t.is(pi.per_layer, true, "ot.reg is per-layer")
t.ok(#pi.help > 5, "param_info help")
local pc = cf.session.param_info("cla.method")
t.is(table.concat(pc.choices, "|"), "cla|chain|random", "param_info choices")
t.is(math.type(cf.session.param_info("cla.start").default), "integer", "int default is an integer")
t.is(cf.session.param_info("fusion.correction").default, true, "bool default is a boolean")
t.raises(function() cf.session.param_info("nope.x") end, "unknown parameter 'nope.x'",
         "param_info of an unknown name raises with the name")

-- ---- an empty session ------------------------------------------------------
local e = cf.session.new()
t.like(tostring(e), "^Session %(0 models, no data", "tostring of an empty session")
t.raises(function() e:run() end, "need at least two models", "run without models raises")
t.raises(function() e:step() end, "need at least two models", "step without models raises")
t.is(e:costs(), nil, "no costs before a run")
t.is(e:map(), nil, "no map before a run")
t.is(e:metrics(), nil, "no metrics before a run")
t.is(e:fused(), nil, "no fused model before a run")
t.is(e:finetune_results(), nil, "no finetuning results before a run")
t.is(select("#", e:pair()), 0, "no pair with < 2 models")
t.is(e:layers(), 0, "no fusion layers yet")
t.raises(function() e:layer(1) end, "no fusion yet", "layer() before a fusion raises")
local ok, msg = e:add_model("/nonexistent/model.safetensors")
t.ok(ok == nil and msg:find("nonexistent", 1, true), "add_model of a missing file returns nil, message")
ok, msg = e:data("idx:/nonexistent/a,/nonexistent/b,/nonexistent/c,/nonexistent/d")
t.ok(ok == nil and type(msg) == "string", "data() of a missing data set returns nil, message")
t.raises(function() e:add_model(42) end, "model path or Model", "add_model of a number raises")
t.raises(function() e:set_data(1, 2) end, "Dataset expected", "set_data of non-datasets raises")
t.raises(function() e:state("bogus") end, "unknown step 'bogus'", "an unknown step raises with its name")
t.is(e:state("fuse"), "stale", "step aliases work (fuse)")

-- constructor errors
t.raises(function() cf.session.new{colour = 1} end, "unknown option 'colour'", "unknown option raises")
t.raises(function() cf.session.new{1} end, "item 1 must be a model path or a Model", "bad item raises")
t.raises(function() cf.session.new{params = {["ot.nope"] = 1}} end, "unknown parameter 'ot.nope'",
         "an unknown parameter in params raises")
t.raises(function() cf.session.new{data = 5} end, "data must be", "bad data option raises")
ok, msg = cf.session.new{"/nonexistent/a.safetensors"}
t.ok(ok == nil and type(msg) == "string", "a missing model file in new returns nil, message")

-- ---- parameters ----------------------------------------------------------------
t.is(e:get("ot.solver"), "exact", "get a choice")
t.is(e:get("data.samples"), 200, "get an int")
t.is(math.type(e:get("data.samples")), "integer", "ints come back as integers")
t.is(e:get("fusion.correction"), true, "bools come back as booleans")
t.is(e:set("ot.reg", 0.05), e, "set returns the session")
t.is(e:get("ot.reg"), 0.05, "a double round-trips")
e:set("fusion.correction", false)
t.is(e:get("fusion.correction"), false, "a boolean round-trips")
e:set("cla.start", "3")
t.is(e:get("cla.start"), 3, "a number given as text")
t.raises(function() e:set("ot.bogus", 1) end, "unknown parameter 'ot.bogus'", "unknown name raises with it")
t.raises(function() e:set("fusion.step", 2) end, "fusion.step: 2 is out of range", "out-of-range raises")
t.raises(function() e:set("cla.start", 1.5) end, "is not an integer", "a fraction for an int raises")
t.raises(function() e:set("ot.solver", "magic") end, "'magic' is not one of", "a bad choice raises")
t.raises(function() e:set("ot.reg", {}) end, "number, boolean or string expected", "a table value raises")
t.raises(function() e:set("ot.reg") end, "value expected", "a missing value raises")
t.is(e:get("fusion.step"), 0.5, "a failed set leaves the value")
local ps = e:params()
t.is(ps["ot.reg"], 0.05, "params() has current values")
local count = 0
for _ in pairs(ps) do count = count + 1 end
t.is(count, #names, "params() has every parameter")
t.is(e:param_info("ot.solver").name, "ot.solver", "s:param_info")
t.raises(function() e:set_layer(1, "cla.start", 2) end, "cannot be set for one layer",
         "set_layer of a non-per-layer parameter raises")
t.raises(function() e:set_layer(0, "ot.solver", "sinkhorn") end, "a fusion layer >= 1",
         "set_layer of layer 0 raises")
t.raises(function() e:set_layer(1, "ot.reg", -1) end, "out of range", "set_layer of a bad value raises")
e:close()
t.like(tostring(e), "closed", "tostring of a closed session")
t.raises(function() e:get("ot.reg") end, "the session was closed", "a closed session raises")
e:close() -- twice is fine

-- ---- a small trained pair -------------------------------------------------------
local train_full = assert(cf.data.fashion_mnist("train"))
local test_full = assert(cf.data.fashion_mnist("test"))
local tr = train_full:subset(800, 1)
local te = test_full:subset(400, 2)
train_full:free(); test_full:free()
local A = cf.model.new("mlp 784-32-16-10", 1)
local B = cf.model.new("mlp 784-24-10", 2)
A:train(tr, {epochs = 2, seed = 1})
B:train(tr, {epochs = 2, seed = 2})
local accA = A:evaluate(te)

local s = cf.session{A, B, data = {tr, te}, params = {["data.samples"] = 100}}
t.like(tostring(s), "Session %(2 models, data .* 800/400, 0/7 steps fresh", "tostring one line")
t.ok(not tostring(s):find("\n"), "tostring has no newline")
t.is(s:get("data.samples"), 100, "params given to new are set")
local i0, i1 = s:pair()
t.ok(i0 == 1 and i1 == 2, "model 0 is the deeper (A)")
t.is(table.concat(s:models(), ","), "model 1,model 2", "model names")
t.is(s:model(1):arch(), A:arch(), "model(i) is a copy of the added model")
t.raises(function() s:model(3) end, "model 3 out of range 1..2", "model(i) out of range raises")
t.raises(function() s:add_model(cf.model.new("mlp 784-8-5")) end, "classes",
         "a Model that does not fit raises")
-- the session copied A: changing A does not change the session's model
local w = A:weight(1)
A:set_weight(1, w:mul(0))
t.ok(s:model(1):weight(1):sum() ~= 0, "the session keeps its own copy of a Model")
A:set_weight(1, w)

-- run one step: the steps before it become fresh, the rest stay stale
s:run("costs")
local st = s:states()
t.ok(st.activations == "fresh" and st.costs == "fresh" and st.alignment == "stale" and
     st.fusion == "stale", "run(costs) runs activations and costs only")
t.is(s:runs("activations"), 1, "activations ran once")
local C = s:costs()
t.is(C:summary(), "Matrix 2x1 double", "costs(): hidden layers of A × B")
t.ok(C:min() >= 0, "costs are non-negative")

-- run everything
t.is(s:run(), s, "run() returns the session")
st = s:states()
local allfresh = true
for _, k in ipairs(steps) do allfresh = allfresh and st[k] == "fresh" end
t.ok(allfresh, "run() leaves every step fresh")
t.is(s:runs("activations"), 1, "fresh steps are not recomputed")
t.ok(s:time("fusion") >= 0 and s:time("evaluation") > 0, "times are recorded")
t.is(s:error("fusion"), nil, "no error after a good run")
local map = s:map()
t.ok(type(map) == "table" and #map == 1 and map[1] >= 1 and map[1] <= 2, "map() is 1-based")
local lmap = s:layer_map()
t.ok(type(lmap) == "table" and #lmap >= 1, "layer_map()")
t.is(s:rebuilt(), 2, "the shallower model (B, added second) was rebuilt: 1-based as s:model(i)")
local b1 = s:balanced(2)
t.is(b1:info().layers[1].out, 24, "balanced(2) keeps B's first layer")
t.is(#b1:info().layers, 3, "balanced(2) has A's depth")
t.is(s:balanced(1):arch(), A:arch(), "balanced(1) is A's architecture")
t.raises(function() s:balanced(3) end, "model 3 is not in the fused pair (s:pair() gives 1, 2)", "balanced(3) raises")
t.raises(function() s:balanced(0) end, "model 0 is not in the fused pair", "balanced(0): indices are 1-based")
local nl, done = s:layers()
t.ok(nl == 3 and done == 3, "three fusion layers, all done")
local L1 = s:layer(1)
t.ok(L1.done and L1.n0 == 32 and L1.n1 == 24, "layer(1): sizes")
t.is(L1.M:summary(), "Matrix 32x24 double", "layer(1).M is the ground cost")
t.is(L1.plan:summary(), "Matrix 32x24 double", "layer(1).plan")
t.near(L1.plan:sum(), 1, 1e-9, "the plan's mass is 1")
local rs = L1.plan:sum(2)
t.near(rs:min(), 1 / 32, 1e-9, "uniform row marginals (min)")
t.near(rs:max(), 1 / 32, 1e-9, "uniform row marginals (max)")
t.near(L1.cost, L1.M:mul(L1.plan):sum(), 1e-9, "cost = sum of M .* plan")
t.is(L1.status, "optimal", "the exact solver is optimal")
t.ok(L1.iterations > 0 and L1.time >= 0 and #L1.message > 0, "iterations, time, message")
t.ok(L1.trace >= 0 and L1.trace <= 1, "trace ratio in [0,1]")
t.is(L1.corrected:summary(), "Matrix 32x24 double", "the corrected map")
t.raises(function() s:layer(0) end, "fusion layer 0 out of range 1..3", "layer(0) raises")
t.raises(function() s:layer(4) end, "fusion layer 4 out of range 1..3", "layer(4) raises")
-- the aligned model: model 0 (A) transported onto model 1 (B's balanced form)
local al = s:aligned()
t.is(al:arch(), b1:arch(), "aligned() has model 1's architecture")
local W1hat = L1.corrected:t() * A:weight(1) -- first layer: no incoming map
t.near((al:weight(1) - W1hat):abs():max(), 0, 1e-5, "aligned layer 1 = corrected^T . W0")
t.near((al:bias(1) - L1.corrected:t() * A:bias(1)):abs():max(), 0, 1e-5, "aligned bias 1 = corrected^T . b0")
t.near(L1.corrected:sum(1):min(), 1, 1e-4, "corrected: columns sum to just under 1 (min)")
t.ok(L1.corrected:sum(1):max() < 1, "corrected: columns sum to under 1 (fusion.eps)")
t.near((L1.corrected - L1.plan:div(L1.plan:sum(1) + s:get("fusion.eps"))):abs():max(), 0, 1e-6,
       "corrected = T / (column sum + fusion.eps)")
local fu = s:fused()
t.near((fu:weight(2) - (al:weight(2) + b1:weight(2)) / 2):abs():max(), 0, 1e-6,
       "fused = (aligned + model 1) / 2 at fusion.step 0.5")

local m = s:metrics()
t.is(m.rebuilt, 2, "metrics().rebuilt says which model the balanced accuracy is of")
t.is(#m.parents, 2, "metrics: two parents")
t.near(m.parents[1], accA, 1e-12, "metrics: parent accuracy equals evaluate()")
for _, k in ipairs{"ensemble", "fused", "balanced"} do
  t.ok(m[k] >= 0 and m[k] <= 1, "metrics." .. k .. " is an accuracy")
end
t.is(m.average, nil, "no plain average for different architectures")
local F = s:fused()
t.is(F:arch(), b1:arch(), "the fused model has balanced model 1's architecture")
t.near(F:evaluate(te), m.fused, 1e-12, "the fused model's accuracy equals metrics().fused")
-- two matched neurons: the column's largest entry, their correlation
do
  local P = s:layer(1).plan
  local n0, n1 = P:shape()[1], P:shape()[2]
  local best = 1
  for r = 2, n0 do if P[r][2] > P[best][2] then best = r end end
  local mt = s:matched(1, 2)
  t.is(mt.i, best, "matched(1, 2): neuron 2 of model 1 goes to model 0's neuron " .. best)
  t.is(#mt.a, 100, "a value per activation sample")
  local function mean(v) local x = 0 for k = 1, #v do x = x + v[k] end return x / #v end
  local ma, mb, sab, saa, sbb = mean(mt.a), mean(mt.b), 0, 0, 0
  for k = 1, #mt.a do
    sab = sab + (mt.a[k] - ma) * (mt.b[k] - mb)
    saa = saa + (mt.a[k] - ma) ^ 2
    sbb = sbb + (mt.b[k] - mb) ^ 2
  end
  t.near(mt.corr, sab / math.sqrt(saa * sbb), 1e-12, "corr is the Pearson correlation of a and b")
  t.raises(function() s:matched(1, n1 + 1) end, "out of range", "a neuron out of range raises")
end
-- eval.hybrids (on by default): the aligned model 0 and one hybrid per layer
t.near(s:aligned():evaluate(te), m.aligned, 1e-12, "metrics().aligned is s:aligned()'s accuracy")
t.is(#m.hybrids, s:layers(), "metrics().hybrids: one accuracy per fusion layer")
for l = 1, #m.hybrids do
  t.ok(m.hybrids[l] >= 0 and m.hybrids[l] <= 1, "hybrid with layer " .. l .. " is an accuracy")
end
t.is(s:finetune_results(), nil, "no finetuning with finetune.epochs = 0")
t.is(s:finetuned(), nil, "no finetuned model")
do
  local p = os.tmpname()
  local ok, msg = s:finetune_picture(p .. ".png")
  t.ok(ok == nil and msg:find("no finetuning curve", 1, true), "finetune_picture without a curve: " .. tostring(msg))
  os.remove(p)
end

-- report and printing
local rep = s:report()
t.like(rep, "model 0: model 1 (3 weight layers)", "report: models", true)
t.like(rep, "alignment (units, 1-based): [", "report: map", true)
t.like(rep, "1    fc1", "report: layer table", true)
t.like(rep, "fused ", "report: accuracies", true)
t.like(rep, "step times (s): activations", "report: times", true)
local pr = cf.pretty(s)
t.like(pr, "\n  fusion       fresh ", "__pretty shows each step's state", true)
t.like(pr, "changed: data.samples=100", "__pretty shows changed parameters", true)
t.is(s:describe(), pr, "describe() is the printed display")
t.ok(not cf.pretty({s}):find("activations", 1, true), "nested in a table the session prints its one line")

-- stale transitions
s:set("ot.solver", "exact") -- same value: nothing changes
t.is(s:state("fusion"), "fresh", "setting the same value keeps results fresh")
s:set("ot.solver", "sinkhorn")
st = s:states()
t.ok(st.balance == "fresh" and st.fusion == "stale" and st.evaluation == "stale" and
     st.finetune == "stale", "a fusion parameter marks fusion and later steps stale")
s:set("cla.start", 1)
st = s:states()
t.ok(st.costs == "fresh" and st.alignment == "stale" and st.balance == "stale",
     "an alignment parameter marks alignment and later steps stale")
s:set("cla.start", 2)
s:set("ot.solver", "exact")
s:run()
t.is(s:runs("costs"), 1, "costs were not recomputed")
t.is(s:runs("alignment"), 2, "the alignment was recomputed")

-- per-layer overrides: only the layer and those after it are re-solved
local solves = s:solves()
s:set_layer(2, "ot.solver", "sinkhorn")
s:set_layer(2, "ot.reg", 0.5)
t.is(s:get_layer(2, "ot.solver"), "sinkhorn", "get_layer reads an override")
t.is(s:get_layer(1, "ot.solver"), nil, "no override on layer 1")
t.is(s:state("fusion"), "stale", "an override marks the fusion stale")
t.raises(function() s:set_layer(9, "ot.solver", "sinkhorn") end, "layer 9 is out of range",
         "an override beyond the layers raises")
s:run("fusion")
t.is(s:solves() - solves, 2, "layers 2 and 3 re-solved, layer 1 kept")
t.is(s:layer(1).solver, "emd", "layer 1 still exact")
t.like(s:layer(2).solver, "sinkhorn", "layer 2 solved with sinkhorn")
t.ok(not s:layer(3).solver:find("sinkhorn"), "layer 3 exact (" .. s:layer(3).solver .. ")")
s:set_layer(2, "ot.solver", nil)
s:set_layer(2, "ot.reg", nil)
t.is(s:get_layer(2, "ot.solver"), nil, "nil removes an override")

-- step(): one layer at a time
s:set("fusion.step", 0.3)
local d1, n1 = s:step()
t.ok(d1 == 1 and n1 == 3, "step() fuses layer 1 of 3")
t.is(s:state("fusion"), "running", "the fusion is running between steps")
t.is(s:layer(2).done, false, "layer 2 not done yet")
t.is(s:fused(), nil, "no fused model mid-way")
t.is(s:aligned(), nil, "no aligned model mid-way")
t.like(s:report(), "pending", "report shows pending layers")
s:step(); local d3 = s:step()
t.is(d3, 3, "third step fuses layer 3")
t.is(s:state("fusion"), "fresh", "the fusion is fresh after its last layer")
t.is(s:state("evaluation"), "stale", "evaluation still stale")
t.is(s:step(), 3, "step() after the last layer does nothing")
t.near(s:layer(1).step, 0.3, 1e-12, "layers used the new fusion.step")

-- a failing step keeps earlier results and reports its message
local Cbefore = s:costs()
s:set("data.samples", 100000)
local okr, err = pcall(s.run, s)
t.ok(not okr and #tostring(err) > 0, "a failing step raises")
t.is(s:state("activations"), "failed", "the failing step is marked failed")
t.ok(s:error("activations") ~= nil, "error() has the message: " .. tostring(s:error("activations")))
t.ok(s:costs() ~= nil and s:costs():sum() == Cbefore:sum(), "results before the failure are kept")
s:set("data.samples", 100)
s:run()
t.is(s:state("activations"), "fresh", "fixing the parameter recovers")

-- interruption (as by Ctrl-C) leaves the session usable
s:set("data.seed", 7)
cf._stop_request()
okr, err = pcall(s.run, s)
t.ok(not okr and tostring(err):find("interrupted", 1, true), "a stop request interrupts run()")
local failed, stopped = 0, 0
for _, k in ipairs(steps) do
  if s:state(k) == "failed" then failed = failed + 1 end
  if s:state(k) == "stopped" and (s:error(k) or ""):find("^stopped") then stopped = stopped + 1 end
end
t.ok(failed == 0 and stopped == 1 and s:state("evaluation") == "stale",
     "the interrupted step is in state 'stopped' (message 'stopped: ...'), not failed; later steps stale")
s:run()
t.is(s:state("evaluation"), "fresh", "the session runs again after an interruption")

-- finetuning
s:set("finetune.epochs", 1)
t.is(s:state("finetune"), "stale", "finetune.epochs marks finetuning stale")
t.is(s:state("evaluation"), "fresh", "but not the evaluation")
s:run("finetune")
local ft = s:finetune_results()
do
  local p = os.tmpname()
  t.is(s:finetune_picture(p .. ".svg"), true, "finetune_picture writes the curve as SVG")
  local f = io.open(p .. ".svg")
  local svg = f:read("a")
  f:close()
  t.like(svg, string.format("best %.2f%% (epoch 1 of 1)", 100 * ft.best_acc), "its title has the best accuracy", true)
  t.like(svg, "<circle", "and its one point", true)
  t.raises(function() s:finetune_picture(p .. ".txt") end, "ending in .svg or .png", "not a picture's name")
  os.remove(p .. ".svg")
  os.remove(p)
end
t.ok(ft and #ft.epochs == 1 and ft.best_epoch == 1, "finetune_results(): one epoch")
t.ok(ft.best_acc >= 0 and ft.best_acc <= 1 and ft.epochs[1].test_acc == ft.best_acc,
     "best accuracy is the epoch's test accuracy")
local FT = s:finetuned()
t.near(FT:evaluate(te), ft.best_acc, 1e-12, "the finetuned model's accuracy")
t.like(s:report(), "fused, finetuned", "report shows finetuning", true)

-- data by Datasets, and models by path
local dir = os.getenv("TMPDIR") or "/tmp"
local path = ("%s/clafuse_session_%d.safetensors"):format(dir, math.random(1, 1 << 30))
assert(B:save(path))
do
  local s2 <close> = cf.session.new{A, path}
  t.is(s2:models()[2], path, "a model added by path is named by it")
  t.raises(function() s2:run() end, "no data set", "run without data raises")
  t.is(s2:set_data(tr, te), s2, "set_data returns the session")
  s2:set("data.samples", 50):set("cla.method", "chain")
  s2:run("evaluation")
  t.is(s2:state("evaluation"), "fresh", "a session from a path and Datasets runs")
  t.is(#s2:map(), 1, "chain map")
  t.ok(s2:add_model(B:copy()) == s2, "add_model returns the session")
  t.is(s2:state("activations"), "stale", "adding a model marks every step stale")
end
os.remove(path)

s:close()
t.raises(function() s:run() end, "the session was closed", "run on a closed session raises")

-- ---- prelude helpers for scripts ---------------------------------------------
t.is(cf.pretty({cf.eye(2)}), "{Matrix 2x2 double}", "a nested Matrix prints on one line")
t.like(cf.pretty(cf.eye(2)), "[Matrix double 2x2]", "a Matrix on its own prints whole", true)
local o = cf.args({"--seeds", "5", "--no-tiny", "x.csv", "--eps=0.5", "--free-end", "1"},
                  {seeds = 2, tiny = true, eps = 0.1, free_end = 0, name = "a"})
t.ok(o.seeds == 5 and math.type(o.seeds) == "integer", "cf.args: an integer option")
t.is(o.tiny, false, "cf.args: --no-flag")
t.is(o.eps, 0.5, "cf.args: --name=value")
t.is(o.free_end, 1, "cf.args: dashes match underscores")
t.is(o.name, "a", "cf.args: defaults kept")
t.is(o[1], "x.csv", "cf.args: positional arguments")
t.is(cf.args(nil, {x = 1}).x, 1, "cf.args: no arguments")
t.raises(function() cf.args({"--bogus"}, {x = 1}) end, "unknown option --bogus", "cf.args: unknown option")
t.raises(function() cf.args({"--x", "abc"}, {x = 1}) end, "wants a number", "cf.args: bad number")
t.raises(function() cf.args({"--x", "1.5"}, {x = 1}) end, "wants an integer", "cf.args: bad integer")
t.raises(function() cf.args({"--x"}, {x = 1}) end, "needs a value", "cf.args: missing value")
t.raises(function() cf.args({}, 5) end, "bad argument #2 to 'args'", "cf.args: bad defaults")
local rows = {{name = "add", acc = 0.8123, n = 3}, {name = "merge", acc = 0 / 0}}
local tbl = cf.table_format(rows, {"name", {"acc", "accuracy", "%.2f"}, "n"})
t.is(tbl, "| name  | accuracy |   n |\n| ----- | -------: | --: |\n| add   |     0.81 |   3 |\n| merge |      nan |     |",
     "cf.table_format: aligned Markdown") 
t.like(cf.table_format({{b = 1, a = "x"}}), "| a   |   b |", "cf.table_format: default columns sorted", true)
t.raises(function() cf.table_format(5) end, "bad argument #1 to 'table_format'", "cf.table_format: bad rows")
t.raises(function() cf.table_format({1}) end, "row 1 is not a table", "cf.table_format: bad row")
local csv = ("%s/clafuse_csv_%d.csv"):format(dir, math.random(1, 1 << 30))
t.ok(cf.write_csv(csv, {{a = 1, b = 'q,"r'}, {a = 2.5}}, {"a", "b"}), "cf.write_csv writes")
local fh = io.open(csv)
t.is(fh:read("a"), 'a,b\n1,"q,""r"\n2.5,\n', "cf.write_csv: header, quoting, empty fields")
fh:close()
os.remove(csv)
local okw, wmsg = cf.write_csv("/nonexistent/dir/x.csv", {{a = 1}})
t.ok(okw == nil and type(wmsg) == "string", "cf.write_csv to a bad path returns nil, message")
t.raises(function() cf.write_csv(5, {}) end, "bad argument #1 to 'write_csv'", "cf.write_csv: bad path")

t.done()
