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
t.is(tostring(w1), "Matrix 32x784 double", "weight(layer) is a Matrix copy")
t.ok(m:weight("fc1.weight") == w1, "weight(name) is the same tensor")
local bound = 1 / math.sqrt(784)
t.ok(w1:max() <= bound and w1:min() >= -bound, "PyTorch init: |w| <= 1/sqrt(fan_in)")
t.ok(cf.model.new("mlp 784-32-16-10", 3):weight(1) == w1, "the same seed gives the same init")
t.ok(cf.model.new("mlp 784-32-16-10", 4):weight(1) ~= w1, "another seed another init")

-- forward on a Matrix with recording
local x = cf.rand(4, 784, 9)
local logits, acts = m:forward(x, {record = true})
t.is(tostring(logits), "Matrix 4x10 double", "forward gives N × classes logits")
t.is(#acts, 3, "one recording per weight layer")
t.is(tostring(acts[2]), "Matrix 4x16 double", "recordings are N × out")
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
t.is(tostring(lg), "Matrix 300x10 double", "forward on a Dataset")

-- convolutional networks
local cnn = cf.model.new("net in 1x28x28: conv 4 k3 p1, relu, maxpool 2, flatten, linear 10", 2)
local li = cnn:info()
t.is(li.layers[1].kind, "conv", "a conv layer")
t.is(li.layers[1].kh, 3, "its kernel")
local _, ca = cnn:forward(te:subset({1, 2}), {record = true})
t.is(tostring(ca[1]), "Matrix 2x4x28x28 double", "conv recordings are N×C×H×W")

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
t.done()
