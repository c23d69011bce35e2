-- norm.lua — input normalisation from Lua: a model's statement (m:norm,
-- m:set_norm, cf.model.load's norm), its round trip through a file, data
-- loaded as a model expects, and cf.session.new's norm and arch.
local t = require "tap"

local m = cf.model.new("mlp 784-16-10", 1)
t.is(m:norm(), nil, "a new model states no normalisation")
t.is(m:set_norm("0.1307,0.3081"), m, "set_norm returns the model")
t.is(m:norm(), "0.1307/0.3081", "norm() in the canonical form")
t.is(m:info().norm, "0.1307/0.3081", "info().norm")
t.raises(function() m:set_norm("0.5") end, "expected MEAN,STD", "a bad statement raises")
local path = os.tmpname()
t.ok(m:save(path), "saved")
local back = cf.model.load(path)
t.is(back:norm(), "0.1307/0.3081", "the statement survives save and load")
t.is(cf.model.load(path, {norm = "0.5,0.25"}):norm(), "0.5/0.25", "load's norm overrides the file's")
t.is(cf.model.load(path, {arch = "mlp 784-16-10"}):arch(), "mlp 784-16-10", "load's arch in the table form")
m:set_norm(nil)
t.is(m:norm(), nil, "set_norm(nil) forgets it")

if not io.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") then
	os.remove(path)
	t.done()
	return
end
local own = cf.data.load("fashion-mnist", "test")
local as = cf.data.load("fashion-mnist", "test", back:norm())
local x1, x2 = own:matrix(1, 1), as:matrix(1, 1)
-- the same pixel under two statements: (p - 0.2860)/0.3530 and (p - 0.1307)/0.3081
local worst = 0
for j = 1, 784 do
	local p = x1[1][j] * 0.35302424 + 0.2860406
	worst = math.max(worst, math.abs(x2[1][j] - (p - 0.1307) / 0.3081))
end
t.ok(worst < 1e-5, "data loaded as the model expects (largest difference " .. worst .. ")")
t.raises(function() cf.data.load("fashion-mnist", "test", "0.5/0") end, "std of channel 0", "a bad norm raises")
local s = cf.session.new({path, path, data = "fashion-mnist", norm = "0.2,0.4"})
t.is(s:get("data.norm"), "0.2,0.4", "cf.session.new's norm is parameter data.norm")
t.raises(function() cf.session.new({norm = "x"}) end, "is not a normalisation", "a bad session norm raises")
os.remove(path)
t.done()
