-- repair_by_hand.lua — REPAIR (Jordan et al., 2022) written by hand on a
-- CLAFusion of two MLPs of different depths: after the fusion, each hidden
-- neuron of the fused model gets back the pre-activation mean and std of
-- its parents (model 0's statistics mapped through the layer's corrected
-- plan onto model 1's neurons, averaged with model 1's), layer by layer:
-- rows of the weights rescaled, biases set.  Prints the accuracies.
--
--   clafuse run scripts/examples/repair_by_hand.lua          # under 30 s
--   clafuse run scripts/examples/repair_by_hand.lua --tiny   # seconds (tests)
local o = cf.args(arg, {train = 6000, test = 2000, samples = 500, epochs = 3, seed = 1,
                        tiny = false, quiet = false}, "usage: clafuse run repair_by_hand.lua [options]")
if o.tiny then o.train, o.test, o.samples, o.epochs = 400, 200, 100, 1 end
local train = assert(cf.data.fashion_mnist_subset("train", o.train, o.seed))
local test = assert(cf.data.fashion_mnist_subset("test", o.test, o.seed + 1))
local A = cf.model.new("mlp 784-128-96-64-10 nobias", o.seed)   -- deeper: model 0
local B = cf.model.new("mlp 784-96-64-10 nobias", o.seed + 1)   -- model 1, gets an identity layer
for i, m in ipairs{A, B} do m:train(train, {epochs = o.epochs, lr = 0.05, momentum = 0.9, seed = o.seed + i}) end
local s = cf.session{A, B, data = {train, test}, params = {["data.samples"] = o.samples}}
s:run()
local i0, i1 = s:pair()
local M0, M1 = s:balanced(i0), s:balanced(i1)   -- the pair at equal depth
local F = s:fused():add_biases()                -- bias-free parents: give the fused model zero biases
local X = train:matrix(1, o.samples)            -- samples × 784
local _, a0 = M0:forward(X, {record = true})    -- a0[l]: samples × neurons, pre-activations
local _, a1 = M1:forward(X, {record = true})
local before = F:evaluate(test)
local t0 = cf.clock()
for l = 1, s:layers() - 1 do                     -- every hidden layer; the classifier stays
  local Tc = s:layer(l).corrected                -- n0 × n1: rows model 0's neurons, columns sum to ~1
  local mu = (Tc:t() * a0[l]:mean(1) + a1[l]:mean(1)) / 2   -- per neuron of model 1
  local sd = (Tc:t() * a0[l]:std(1) + a1[l]:std(1)) / 2
  local _, af = F:forward(X, {record = true})    -- the fused model as repaired so far
  local scale = sd:div(af[l]:std(1) + 1e-6)      -- n1 values
  F:set_weight(l, F:weight(l):mul(scale:reshape(scale:size(), 1)))   -- rescale rows
  F:set_bias(l, (F:bias(l) - af[l]:mean(1)):mul(scale) + mu)
end
local after = F:evaluate(test)
local _, af = F:forward(X, {record = true})
print(cf.table_format({
  {model = "model 0 (" .. A:arch() .. ")", acc = A:evaluate(test)},
  {model = "model 1 (" .. B:arch() .. ")", acc = B:evaluate(test)},
  {model = "fused (OT, CLAFusion)", acc = before},
  {model = "fused + REPAIR by hand", acc = after},
}, {{"model", "model"}, {"acc", "test accuracy", "%.4f"}}))
print(("REPAIR took %.2f s; after it, layer 1's neuron stds lie in [%.3g, %.3g] (targets [%.3g, %.3g]).")
  :format(cf.clock() - t0, af[1]:std(1):min(), af[1]:std(1):max(),
          ((s:layer(1).corrected:t() * a0[1]:std(1) + a1[1]:std(1)) / 2):min(),
          ((s:layer(1).corrected:t() * a0[1]:std(1) + a1[1]:std(1)) / 2):max()))
print(after > before and "REPAIR recovered accuracy the fusion had lost." or
      "REPAIR did not help here: the fused model's statistics were already close to its parents'.")
