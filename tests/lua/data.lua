-- data.lua — cf.data from Lua: Fashion-MNIST, subsets, index files,
-- samples and labels, and the error paths.
local t = require "tap"

local te, msg = cf.data.fashion_mnist("test")
t.ok(te ~= nil, "Fashion-MNIST test split loads " .. tostring(msg or ""))
t.is(#te, 10000, "10000 test samples")
t.is(te:size(), 10000, "size()")
t.is(table.concat(te:shape(), "x"), "1x28x28", "shape() is c, h, w")
t.is(te:classes(), 10, "10 classes")
t.is(te:name(), "fashion-mnist/test", "name()")
t.like(tostring(te), "^Dataset fashion%-mnist/test: 10000 samples 1x28x28, 10 classes", "__tostring")
-- the first test image of Fashion-MNIST is an ankle boot (class 9), the second a pullover (2)
t.is(te:label(1), 9, "label(1) is 9 (ankle boot)")
t.is(te:label(2), 2, "label(2) is 2 (pullover)")
local x, y = te:sample(1)
t.is(x:summary(), "Matrix 1x28x28 double", "sample(i) is a c×h×w Matrix")
t.is(y, 9, "and its label")
-- normalised with mean 0.2860406, std 0.3530242: a black pixel is -0.810
t.near(x:min(), -0.28604060 / 0.35302424, 1e-5, "black pixels are normalised to -mean/std")
local labels = te:labels()
t.is(#labels, 10000, "labels() has one entry per sample")
local counts = {}
for _, l in ipairs(labels) do counts[l] = (counts[l] or 0) + 1 end
t.is(counts[0], 1000, "1000 test samples of class 0")
local X = te:matrix(1, 5)
t.is(X:summary(), "Matrix 5x784 double", "matrix(first, last) is N × features")
t.ok(X[1] == x:reshape(784), "its rows are the samples")

-- subsets
local s = te:subset({2, 1, 2})
t.is(#s, 3, "subset of positions")
t.is(s:label(1), 2, "positions are 1-based")
t.is(s:label(2), 9, "order is kept")
local r1, r2 = te:subset(50, 7), te:subset(50, 7)
t.is(#r1, 50, "subset(count, seed)")
t.is(table.concat(r1:labels(), ","), table.concat(r2:labels(), ","), "the same seed draws the same samples")
t.ok(table.concat(te:subset(50, 8):labels(), ",") ~= table.concat(r1:labels(), ","), "another seed draws others")
-- drawing from the first N samples only
local firstN = te:subset(8, 3, 10)
t.is(#firstN, 8, "subset(count, seed, first): count samples")
local pos = {}
for i = 1, 10 do pos[te:sample(i):sum()] = true end
local inside = true
for i = 1, #firstN do inside = inside and pos[firstN:sample(i):sum()] == true end
t.ok(inside, "every one of them is one of the first 10 samples")
t.is(table.concat(te:subset(50, 7, #te):labels(), ","), table.concat(r1:labels(), ","),
     "first = the whole set draws as subset(count, seed)")
t.raises(function() te:subset(11, 1, 10) end, "a count in 1..10", "a count above first is an error")
t.raises(function() te:subset(1, 1, 10001) end, "leading samples in 1..10000", "first beyond the set is an error")
-- a data set is decoded once per process: a second load shares it, and
-- releasing one reference leaves the other intact
local te2 = assert(cf.data.fashion_mnist("test"))
local te3 = assert(cf.data.load("fashion-mnist", "test"))
te2:free()
t.is(te3:label(1), 9, "a shared data set outlives another reference's free()")
t.is(te:sample(2):sum(), te3:sample(2):sum(), "and holds the same samples")
-- the examples' helper: a seeded subset of a split, or the whole split
local h = assert(cf.data.fashion_mnist_subset("test", 50, 7))
t.is(table.concat(h:labels(), ","), table.concat(r1:labels(), ","), "fashion_mnist_subset(split, n, seed) draws as subset(n, seed)")
local whole = assert(cf.data.fashion_mnist_subset("test", 10000, 7))
t.is(#whole, 10000, "fashion_mnist_subset: n covering the split gives it whole")
t.is(whole:label(2), te:label(2), "... in its own order")
t.raises(function() return cf.data.fashion_mnist_subset("test") end,
         "bad argument #2 to 'fashion_mnist_subset'", "fashion_mnist_subset without a size")

-- index files (0-based, as the command line reads them)
local path = os.tmpname()
local f = assert(io.open(path, "w"))
f:write("# first two test images\n1, 0\n")
f:close()
local fi = assert(te:read_indices(path))
t.is(#fi, 2, "read_indices reads the listed samples")
t.is(fi:label(1), 2, "index 1 is the second sample (0-based in files)")
f = assert(io.open(path, "w")); f:write("3 10000\n"); f:close()
local v, m = te:read_indices(path)
t.fails(v, m, "10000", "an index past the end returns nil, message")
os.remove(path)
v, m = te:read_indices("/nonexistent/idx.txt")
t.fails(v, m, "/nonexistent/idx.txt", "a missing index file returns nil, message")

-- loading by spec
v, m = cf.data.load("fashion-mnist:/nonexistent", "test")
t.fails(v, m, "/nonexistent", "a missing directory returns nil, message")
v, m = cf.data.load("nosuchset")
t.fails(v, m, "nosuchset", "an unknown spec returns nil, message")
v, m = cf.data.fashion_mnist("test", "/nonexistent")
t.fails(v, m, "/nonexistent", "fashion_mnist with a missing directory")
local viaspec = assert(cf.data.load("fashion-mnist", "test"))
t.is(#viaspec, 10000, "cf.data.load(\"fashion-mnist\", \"test\")")
viaspec:free()
t.raises(function() return #viaspec end, "the data set was freed", "a freed data set raises")

-- programmer errors
t.raises(function() return cf.data.load(42, {}) end, "bad argument #2 to 'load'", "a split that is not a string")
t.raises(function() return cf.data.load("fashion-mnist", "validation") end, "invalid option 'validation'", "an unknown split")
t.raises(function() return cf.data.load() end, "bad argument #1 to 'load'", "no spec")
t.raises(function() return te:sample(0) end, "sample 0 out of range 1..10000", "sample(0)")
t.raises(function() return te:label(10001) end, "bad argument #1 to 'label'", "label past the end")
t.raises(function() return te:subset({1, 0}) end, "entry 2 is not a position in 1..10000", "a bad position in a subset")
t.raises(function() return te:subset(0) end, "bad argument #1 to 'subset'", "subset(0)")
t.raises(function() return te:subset({}) end, "empty index table", "an empty subset")
t.raises(function() return te:matrix(3, 2) end, "last before first", "matrix with last before first")
t.raises(function() return te.size(cf.zeros(2)) end, "clafuse.Dataset expected", "a method on another type")
t.done()
