-- model.lua — cf.model from Lua: building, describing, weights, forward
-- with recordings, save/load round trip, training on a small
-- Fashion-MNIST subset, evaluation and the error paths.
local t = require "tap"

local m = cf.model.new("mlp 784-32-16-10", 3)
t.like(tostring(m), "^Model mlp 784%-32%-16%-10 %(1 stage, 3 units, 3 weight layers, 25818 parameters%)", "__tostring")
t.is(m:arch(), "mlp 784-32-16-10", "arch() is the canonical description")
local pretty = cf.pretty(m)
t.like(pretty, "  1     2     linear      16  32x1x1      16x1x1      2:fc2", "__pretty shows one row per unit", true)
t.is(m:describe(), pretty, "describe() is the printed table")
local info = m:info()
t.is(info.classes, 10, "info.classes")
t.is(info.parameters, 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10, "info.parameters counts trainable scalars")
t.is(#info.stages, 1, "one stage")
t.is(#info.units, 3, "three units")
t.is(#info.layers, 3, "three weight layers")
t.is(info.layers[1].name, "fc1", "weight layer names")
t.is(info.layers[2].out, 16, "layer widths")
t.is(info.layers[2]["in"], 32, "layer inputs")
t.is(info.units[3].width, 10, "unit widths")
t.is(table.concat(info.input, "x"), "784x1x1", "input shape")
local params = m:params()
t.is(#params, 6, "params() lists weights and biases")
t.is(params[1].name, "fc1.weight", "PyTorch names")
t.is(table.concat(params[1].shape, "x"), "32x784", "and shapes")
local w1 = m:weight(1)
t.is(w1:summary(), "Matrix 32x784 double", "weight(layer) is a Matrix copy")
t.ok(m:weight("fc1.weight") == w1, "weight(name) is the same tensor")
local bound = 1 / math.sqrt(784)
t.ok(w1:max() <= bound and w1:min() >= -bound, "PyTorch init: |w| <= 1/sqrt(fan_in)")
t.ok(cf.model.new("mlp 784-32-16-10", 3):weight(1) == w1, "the same seed gives the same init")
t.ok(cf.model.new("mlp 784-32-16-10", 4):weight(1) ~= w1, "another seed another init")

-- forward on a Matrix with recording
local x = cf.rand(4, 784, 9)
local logits, acts = m:forward(x, {record = true})
t.is(logits:summary(), "Matrix 4x10 double", "forward gives N × classes logits")
t.is(#acts, 3, "one recording per weight layer")
t.is(acts[2]:summary(), "Matrix 4x16 double", "recordings are N × out")
-- the first pre-activation is x·W1ᵀ + b1, computed here in double
local want = x:mm(w1:t()) + cf.matrix{m:weight("fc1.bias"):totable(), m:weight("fc1.bias"):totable(),
                                      m:weight("fc1.bias"):totable(), m:weight("fc1.bias"):totable()}
t.near((acts[1] - want):map(math.abs):max(), 0, 1e-4, "layer 1 recording is x·W1ᵀ + b1")
t.near((acts[3] - logits):map(math.abs):max(), 0, 1e-6, "the last recording is the logits")
t.ok(m:forward(x) == logits, "forward without record gives the same logits")
local pred = m:predict(x)
local best = logits:argmax(2)
t.ok(#pred == 4 and pred[1] == best[1] - 1 and pred[4] == best[4] - 1, "predict is the argmax class (0-based labels)")

-- set_weight
local m2 = m:copy()
m2:set_weight(1, w1 * 0)
t.is(m2:weight(1):max(), 0.0, "set_weight writes the values")
t.ok(m:weight(1) == w1, "copy() is independent")
m2:set_weight("fc1.bias", cf.zeros(32))
t.is(m2:weight("fc1.bias"):sum(), 0.0, "set_weight by name")

-- save / load round trip with identical logits
local path = os.tmpname()
t.is(m:save(path), true, "save() returns true")
local l = assert(cf.model.load(path))
t.is(l:arch(), m:arch(), "the architecture comes back")
t.ok(l:forward(x) == logits, "identical logits after the round trip")
local ok2, msg2 = m:save("/nonexistent/dir/m.safetensors")
t.fails(ok2, msg2, "/nonexistent/dir", "saving into a missing directory returns nil, message")
local f = assert(io.open(path, "w")); f:write("garbage"); f:close()
local v, msg = cf.model.load(path)
t.fails(v, msg, path, "a malformed file returns nil, message")
os.remove(path)
v, msg = cf.model.load("/nonexistent/m.safetensors")
t.fails(v, msg, "/nonexistent/m.safetensors", "a missing file returns nil, message")

-- train a small MLP on a Fashion-MNIST subset
local te = assert(cf.data.fashion_mnist("test"))
local train, test = te:subset(400, 1), te:subset(300, 2)
local net = cf.model.new("mlp 784-64-10", 1)
local acc0 = net:evaluate(test)
local hist = net:train(train, {epochs = 2, lr = 0.05, momentum = 0.9, batch = 20, seed = 3,
                               milestones = {1}, gamma = 0.5, test = test})
t.is(#hist, 2, "one result per epoch")
t.is(hist[1].epoch, 1, "epoch numbers")
t.near(hist[2].lr, 0.025, 1e-12, "the milestone halves the learning rate")
t.ok(hist[2].train_loss < hist[1].train_loss, "the training loss falls")
local acc, loss = net:evaluate(test)
t.ok(acc > 0.5, ("accuracy %.3f after training is well above chance (was %.3f)"):format(acc, acc0))
t.near(acc, hist[2].test_acc, 1e-12, "evaluate agrees with the last epoch's test figures")
t.ok(loss > 0 and loss < 2.3, "mean loss below ln 10")
local preds, right = net:predict(test), 0
for i, p in ipairs(preds) do if p == test:label(i) then right = right + 1 end end
t.near(right / #test, acc, 1e-12, "predict agrees with evaluate")
local lg = net:forward(test)
t.is(lg:summary(), "Matrix 300x10 double", "forward on a Dataset")

-- convolutional networks
local cnn = cf.model.new("net in 1x28x28: conv 4 k3 p1, relu, maxpool 2, flatten, linear 10", 2)
local li = cnn:info()
t.is(li.layers[1].kind, "conv", "a conv layer")
t.is(li.layers[1].kh, 3, "its kernel")
local _, ca = cnn:forward(te:subset({1, 2}), {record = true})
t.is(ca[1]:summary(), "Matrix 2x4x28x28 double", "conv recordings are N×C×H×W")

-- fold_bn: BatchNorm (set away from the identity) folded into the convs
local bm = cf.model.new("vgg 4 M 8 M classes 10 in 1x8x8 bn", 5)
bm:set_weight("features.1.weight", cf.matrix{1.5, -0.7, 0.9, 2.0})
bm:set_weight("features.1.bias", cf.matrix{0.3, -0.2, 0.5, 0.1})
bm:set_weight("features.1.running_mean", cf.matrix{0.2, -0.4, 0.1, 0.3})
bm:set_weight("features.1.running_var", cf.matrix{0.5, 2.0, 1.5, 0.3})
local bx = cf.rand(3, 64, 7)
local fm = assert(bm:fold_bn())
t.is(fm:arch(), "vgg 4 M 8 M classes 10 in 1x8x8", "fold_bn: vgg bn -> nobn with biases")
t.ok(fm:info().parameters < bm:info().parameters and fm:weight("features.0.bias") ~= nil,
     "fold_bn: BN gone, the conv has a bias")
local bl, fl = bm:forward(bx), fm:forward(bx)
t.near((bl - fl):map(math.abs):max(), 0, 1e-4 * bl:map(math.abs):max(), "fold_bn: same logits")
local bad = cf.model.new("net in 1x8x8: conv 4 p1, maxpool 2, bn, flatten, linear 10")
local nf, nmsg = bad:fold_bn()
t.fails(nf, nmsg, "unit 3", "fold_bn of a BN after a pool returns nil, message")

-- programmer errors
t.raises(function() return cf.model.new("mlp 784-x") end, "bad argument #1 to 'new'", "a bad description")
t.raises(function() return cf.model.new(42, -1) end, "bad argument #2 to 'new'", "a negative seed")
t.raises(function() return m:weight(4) end, "weight layer 4 out of range 1..3", "weight layer out of range")
t.raises(function() return m:weight("fc9.weight") end, "no parameter 'fc9.weight'", "an unknown parameter")
t.raises(function() return m:set_weight(1, cf.zeros(2, 2)) end, "fc1.weight is 32x784, the Matrix is 2x2", "set_weight with the wrong shape")
t.raises(function() return m:forward(cf.zeros(2, 5)) end, "bad argument #1 to 'forward'", "forward with the wrong width")
t.raises(function() return m:forward("x") end, "Dataset or Matrix expected", "forward of a string")
t.raises(function() return m:forward(x, {recrod = true}) end, "unknown option 'recrod'", "forward with an unknown option")
t.raises(function() return m:evaluate(x) end, "clafuse.Dataset expected", "evaluate needs a Dataset")
t.raises(function() return net:train(train, {epochs = 0}) end, "option 'epochs' must be an integer >= 1", "zero epochs")
t.raises(function() return net:train(train, {speed = 1}) end, "unknown option 'speed'", "an unknown training option")
t.raises(function() return net:train(train, {test = 5}) end, "option 'test' must be a Dataset", "test not a Dataset")
t.raises(function() return cf.model.new("mlp 10-5-3"):evaluate(test) end, "bad argument #1 to 'evaluate'", "data that does not fit the model")
m2:free()
t.raises(function() return m2:arch() end, "the model was freed", "a freed model raises")
-- biases by layer index, and biases for a bias-free model
local nb = cf.model.new("mlp 784-16-10 nobias", 5)
t.is(nb:bias(1), nil, "bias(l) of a layer without one is nil")
local wb = nb:add_biases()
t.is(wb:arch(), "mlp 784-16-10", "add_biases: the architecture has biases")
t.ok(wb:bias(1) == cf.zeros(16) and wb:bias(2) == cf.zeros(10), "add_biases: the new biases are zero")
t.ok(wb:weight(1) == nb:weight(1) and wb:weight(2) == nb:weight(2), "add_biases keeps the weights")
local xb = cf.rand(3, 784, 2)
t.ok(wb:forward(xb) == nb:forward(xb), "add_biases: the same function")
wb:set_bias(1, cf.ones(16)):set_bias(2, 0.5)
t.ok(wb:bias(1) == cf.ones(16) and wb:bias(2) == cf.ones(10) * 0.5, "set_bias with a Matrix and a number")
t.ok(wb:bias(1) == wb:weight("fc1.bias"), "bias(l) is the state-dict bias of layer l")
t.ok(nb:bias(1) == nil, "add_biases leaves the original alone")
local full = cf.model.new("mlp 784-16-10", 5)
t.is(full:add_biases():arch(), full:arch(), "add_biases of a model with biases: the same architecture")
t.like(cf.model.new("resnet18_nobias_nobn"):add_biases():arch(), "convbias", "add_biases on a ResNet gives conv biases", true)
t.raises(function() return nb:set_bias(1, 0) end, "weight layer 1 (fc1) has no bias", "set_bias on a layer without one")
t.raises(function() return wb:set_bias(1, cf.ones(3)) end, "fc1.bias has 16 values, the Matrix 3", "set_bias of the wrong size")
t.raises(function() return wb:bias(3) end, "weight layer 3 out of range 1..2", "bias(l) out of range")
-- recording runs in batches of 500: more samples than a batch record the same values
do
  local mr = cf.model.new("mlp 784-32-16-10", 8)
  local Xb = cf.rand(1200, 784, 4)
  local lg, ab = mr:forward(Xb, {record = true})
  local lg2, ab2 = mr:forward(Xb:rows(501, 1200), {record = true})
  t.ok(lg == mr:forward(Xb), "record: the logits of a plain forward")
  t.ok(ab[2]:summary() == "Matrix 1200x16 double" and ab[2]:rows(501, 1200) == ab2[2] and
       lg:rows(501, 1200) == lg2, "record over 1200 samples: the later batches' recordings are theirs")
  local a3 = select(2, mr:forward(Xb:rows(1, 3), {record = true}))[1]
  t.near((ab[1]:rows(1, 3) - a3):abs():max(), 0, 1e-5, "... and the first batch's (float GEMM: up to rounding)")
end
-- parts of a model: one layer, from a layer onward
do
  local mp = cf.model.new("mlp 784-32-16-10", 1)
  local Xp = cf.rand(7, 784, 2)
  local lp, ap = mp:forward(Xp, {record = true})
  t.ok(mp:forward(Xp, {to = 1}) == ap[1], "forward{to = 1}: layer 1's pre-activations")
  local z = ap[1]:clamp(0)
  t.ok(mp:forward(z, {from = 2}) == lp, "forward{from = 2} on layer 1's ReLU output: the logits")
  t.ok(mp:forward(z, {from = 2, to = 2}) == ap[2], "forward{from = 2, to = 2}: one layer")
  t.near((mp:forward(z, {from = 2, to = 2}) - (z * mp:weight(2):t() + mp:bias(2))):abs():max(), 0, 1e-5,
         "one Linear layer is z W^T + b")
  local cp = cf.model.new("vgg 4 M 8 M classes 10 in 1x28x28", 1)
  local Xc = cf.rand(3, 784, 1)
  local _, ac = cp:forward(Xc, {record = true})
  t.ok(cp:forward(Xc, {to = 2}) == ac[2] and ac[2]:summary() == "Matrix 3x8x14x14 double",
       "a conv layer's output is N×C×H×W")
  t.raises(function() return mp:forward(Xp, {from = 2}) end, "N inputs of layer 2, 32 values each",
           "from = 2 with the model's input")
  t.raises(function() return mp:forward(z, {from = 2, to = 1}) end, "layers 2..1 out of range", "to before from")
  t.raises(function() return mp:forward(Xp, {to = 4}) end, "out of range 1..3", "to past the last layer")
  t.raises(function() return mp:forward(Xp, {from = 1, record = true}) end, "not with from or to", "record with from")
  t.raises(function() return mp:forward(Xp, {form = 1}) end, "unknown option 'form'", "a misspelt option")
  t.raises(function() return cf.model.new("resnet18_nobias_nobn"):forward(cf.rand(1, 3072), {to = 2}) end,
           "inside a residual block", "to inside a block")
end
t.done()
