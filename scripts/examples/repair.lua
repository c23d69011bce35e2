-- repair.lua — the options beyond the published method (share/doc/beyond.md)
-- compared on one pair of MLPs of different depths trained here: the fused
-- model as published, with REPAIR (fusion.repair), with the width-aware
-- incoming map (fusion.width_aware), with both, and with REPAIR extended to
-- the logits (fusion.repair_logits) on a cosine ground metric, next to the
-- parents and the prediction ensemble.  Each variant is one parameter change on one
-- session: only the fusion and the evaluation are recomputed.
--
--   clafuse run scripts/examples/repair.lua          # under 30 s
--   clafuse run scripts/examples/repair.lua --tiny   # seconds (tests)
local o = cf.args(arg, {train = 8000, test = 2000, samples = 200, epochs = 3, seed = 1,
                        tiny = false, quiet = false}, "usage: clafuse run repair.lua [options]")
if o.tiny then o.train, o.test, o.samples, o.epochs = 600, 300, 100, 1 end
local train = assert(cf.data.fashion_mnist_subset("train", o.train, o.seed))
local test = assert(cf.data.fashion_mnist_subset("test", o.test, o.seed + 1))
local A = cf.model.new("mlp 784-200-100-50-25-10 nobias", o.seed)   -- deeper: model 0
local B = cf.model.new("mlp 784-200-100-10 nobias", o.seed + 1)
for i, m in ipairs{A, B} do
  m:train(train, {epochs = o.epochs, lr = 0.05, momentum = 0.9, seed = o.seed + i})
end
local s = cf.session{A, B, data = {train, test},
                     params = {["data.samples"] = o.samples, ["fusion.repair_samples"] = 1000}}
local rows = {}
for _, v in ipairs{{"as published", 0, 0, 0, "euclidean"}, {"+ REPAIR", 1, 0, 0, "euclidean"},
                   {"+ width-aware", 0, 1, 0, "euclidean"},
                   {"+ REPAIR + width-aware", 1, 1, 0, "euclidean"},
                   {"+ REPAIR + REPAIR of the logits + cosine", 1, 0, 1, "cosine"}} do
  s:set("fusion.repair", v[2])
  s:set("fusion.width_aware", v[3])
  s:set("fusion.repair_logits", v[4])
  s:set("ground.metric", v[5])
  s:run()
  local m = s:metrics()
  rows[#rows + 1] = {v[1], m.fused}
  if not o.quiet then io.stderr:write(string.format("%s: %.2f%%\n", v[1], 100 * m.fused)) end
end
local m = s:metrics()
print("| model | test accuracy |")
print("|---|---|")
print(string.format("| model A (deeper) | %.2f%% |", 100 * m.parents[1]))
print(string.format("| model B | %.2f%% |", 100 * m.parents[2]))
print(string.format("| prediction ensemble | %.2f%% |", 100 * m.ensemble))
for _, r in ipairs(rows) do print(string.format("| CLAFusion, %s | %.2f%% |", r[1], 100 * r[2])) end
local gain = rows[2][2] - rows[1][2]
print(string.format("\nREPAIR %s the fused model by %.2f points before any finetuning.",
                    gain >= 0 and "raises" or "lowers", 100 * math.abs(gain)))
