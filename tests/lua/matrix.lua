-- matrix.lua — the clafuse.Matrix type: constructors, indexing, arithmetic,
-- reductions, conversion, printing and the error of every misuse.
local t = require "tap"

-- constructors
local m = cf.matrix{{1, 2, 3}, {4, 5, 6}}
t.is(tostring(m), "Matrix 2x3 double", "__tostring is a one-line summary")
t.is(#m, 2, "# is the number of rows")
t.is(m:size(), 6, "size() counts values")
t.is(m:size(2), 3, "size(2) is the column count")
t.is(m:dim(), 2, "dim()")
t.is(table.concat(m:shape(), "x"), "2x3", "shape()")
local z = cf.matrix(2, 3, 7)
t.is(z:get(2, 3), 7.0, "cf.matrix(rows, cols, fill)")
t.is(cf.zeros(2, 2, 2):sum(), 0.0, "cf.zeros with 3 dimensions")
t.is(cf.zeros({4, 5}):size(), 20, "cf.zeros with a shape table")
t.is(cf.ones(3):sum(), 3.0, "cf.ones")
t.is(cf.eye(3):sum(), 3.0, "cf.eye has n ones")
t.is(cf.eye(3):get(2, 2), 1.0, "cf.eye diagonal")
local r1, r2 = cf.rand(4, 5, 42), cf.rand(4, 5, 42)
t.ok(r1 == r2, "cf.rand with the same seed gives the same matrix")
t.ok(r1 ~= cf.rand(4, 5, 43), "another seed gives another matrix")
t.ok(r1:min() >= 0 and r1:max() < 1, "cf.rand values lie in [0, 1)")
t.ok(cf.matrix(m) == m, "cf.matrix(m) copies")
local v = cf.matrix{1, 2, 3}
t.is(v:dim(), 1, "a flat table gives a vector")
t.is(v[3], 3.0, "v[i] of a vector is a number")

-- element access
t.is(m:get(2, 1), 4.0, "get(i, j) is 1-based")
t.is(m[2][3], 6.0, "m[i] is row i, m[i][j] its value")
t.is(tostring(m[1]), "Matrix 3 double", "a row of a 2-D matrix is a vector")
t.is(m:row(1):sum(), 6.0, "row(i)")
m:set(1, 1, 10)
t.is(m:get(1, 1), 10.0, "set(i, j, v)")
m[1] = {1, 2, 3}
t.is(m:get(1, 1), 1.0, "m[i] = table assigns a row")
v[2] = 20
t.is(v:get(2), 20.0, "v[i] = number on a vector")
t.is(m.shape, getmetatable(m).__methods.shape, "methods are reached through __index")

-- conversion
local tt = m:totable()
t.is(#tt, 2, "totable() rows")
t.is(tt[2][2], 5.0, "totable() values")
t.is(m:reshape(3, 2):get(3, 2), 6.0, "reshape keeps row-major order")
t.is(m:reshape(6):get(4), 4.0, "reshape to a vector")
local c = m:copy(); c:set(1, 1, 99)
t.is(m:get(1, 1), 1.0, "copy() is deep")
t.ok(m:sub(2, 2, 2, 3) == cf.matrix{{5, 6}}, "sub(r1, r2, c1, c2)")
t.ok(m:sub(1, 1) == cf.matrix{{1, 2, 3}}, "sub(r1, r2) keeps every column")
t.ok(v:sub(2, 3) == cf.matrix{20, 3}, "sub on a vector")
t.ok(m:t() == cf.matrix{{1, 4}, {2, 5}, {3, 6}}, "t() transposes")
t.is(v:t():size(1), 3, "a vector transposes to a column")

-- arithmetic
local a, b = cf.matrix{{1, 2}, {3, 4}}, cf.matrix{{5, 6}, {7, 8}}
t.ok(a:mm(b) == cf.matrix{{19, 22}, {43, 50}}, "mm is the matrix product")
t.ok(a:mm{1, 1} == cf.matrix{3, 7}, "mm with a vector (a table) gives a vector")
t.ok(a + b == cf.matrix{{6, 8}, {10, 12}}, "+ elementwise")
t.ok(b - a == cf.matrix{{4, 4}, {4, 4}}, "- elementwise")
t.ok(a * b == cf.matrix{{5, 12}, {21, 32}}, "* is elementwise")
t.ok(a * 2 == cf.matrix{{2, 4}, {6, 8}} and 2 * a == a * 2, "* by a scalar, both sides")
t.ok(1 - a == cf.matrix{{0, -1}, {-2, -3}}, "scalar - matrix")
t.ok(a / 2 == cf.matrix{{0.5, 1}, {1.5, 2}}, "/ by a scalar")
t.ok(a ^ 2 == a * a, "^ elementwise power")
t.ok(-a == a * -1, "unary minus")
t.ok(a:add(1) == a + 1 and a:mul(b) == a * b, "add() and mul() methods")
t.ok(a:map(function(x) return x * 10 end) == a * 10, "map(f)")
t.ok(cf.zeros(2, 2):fill(3) == cf.matrix(2, 2, 3), "fill(v) in place")
t.ok(a ~= a:t(), "__eq compares content")

-- reductions
t.is(a:sum(), 10.0, "sum()")
t.is(a:mean(), 2.5, "mean()")
t.is(a:min(), 1.0, "min()")
t.is(a:max(), 4.0, "max()")
t.ok(a:sum(2) == cf.matrix{3, 7}, "sum(2) gives row sums")
t.ok(a:sum(1) == cf.matrix{4, 6}, "sum(1) gives column sums")
t.ok(a:mean(1) == cf.matrix{2, 3}, "mean(1)")
t.ok(a:max(2) == cf.matrix{2, 4} and a:min(1) == cf.matrix{1, 2}, "max/min along a dimension")
local i, j = cf.matrix{{1, 9, 3}, {4, 5, 6}}:argmax()
t.ok(i == 1 and j == 2, "argmax() gives 1-based positions (" .. tostring(i) .. "," .. tostring(j) .. ")")
t.ok(cf.matrix{{1, 9, 3}, {7, 5, 6}}:argmax(2) == cf.matrix{2, 1}, "argmax(2): best column per row")
t.is(cf.matrix{3, 1, 2}:argmin(), 2, "argmin() of a vector")

-- printing
t.is(cf.pretty(cf.matrix{{1, 2}, {3, 4}}), "  1  2\n  3  4\n[Matrix double 2x2]",
     "integers print as integers with a footer")
t.is(cf.pretty(cf.matrix{{1.5, -2}, {0.25, 4}}),
     "   1.5000  -2.0000\n   0.2500   4.0000\n[Matrix double 2x2]", "fixed format with 4 decimals")
t.is(cf.pretty(cf.matrix{{1500, 2500}, {3000.5, 100}}),
     "1e+03 *\n  1.5000  2.5000\n  3.0005  0.1000\n[Matrix double 2x2]", "a common scale factor")
t.like(cf.pretty(cf.matrix{1e-8, 1, 100}), "1.0000e-08", "wide ranges print in scientific notation", true)
local big = cf.pretty(cf.rand(100, 100, 1) * 0 + cf.eye(100))
local lines = {}
for l in big:gmatch("[^\n]+") do lines[#lines + 1] = l end
t.is(#lines, 8, "a 100x100 matrix is summarised to 3 + gap + 3 rows and a footer")
t.is(lines[4], " ...", "the row gap")
t.is(lines[1], "  1  0  0  ...  0  0  0", "edge columns with a gap")
t.is(lines[8], "[Matrix double 100x100]", "footer with type and shape")
local wide = cf.matrix(2, 30, 0.5):pretty{width = 40}
t.like(wide, "Columns 1 to 5\n", "column chunks: five 8-character columns in 40", true)
t.like(wide, "Columns 26 to 30\n", "the last chunk", true)
local longest = 0
for l in wide:gmatch("[^\n]+") do longest = math.max(longest, #l) end
t.is(longest, 40, "no line is wider than opts.width")
t.like(cf.pretty(cf.zeros(2, 2, 2)), "(2,.,.) =", "3-D matrices print slice by slice", true)

-- misuse raises errors naming the argument
t.raises(function() return cf.matrix("x") end, "bad argument #1 to 'matrix'", "cf.matrix of a string")
t.raises(function() return cf.matrix{{1, 2}, {3}} end, "bad argument #1 to 'matrix'", "ragged rows")
t.raises(function() return cf.matrix{{1, "a"}} end, "entry [1][2] is a string", "a non-number entry")
t.raises(function() return cf.matrix{} end, "empty table", "an empty table")
t.raises(function() return cf.matrix(0, 3) end, "bad argument #1 to 'matrix'", "zero rows")
t.raises(function() return cf.zeros(1, 2, 3, 4, 5) end, "at most 4 dimensions", "five dimensions")
t.raises(function() return cf.rand(2, 2, -1) end, "bad argument #3 to 'rand'", "negative seed")
t.raises(function() return m:get(3, 1) end, "bad argument #1 to 'get' (index 3 out of range 1..2", "get out of range names the index")
t.raises(function() return m:get(1, 4) end, "bad argument #2 to 'get'", "column out of range")
t.raises(function() return m:get(1) end, "needs 2 indices", "get with too few indices")
t.raises(function() return m:set(1, 1, "x") end, "bad argument #3 to 'set'", "set a string")
t.raises(function() return m[5] end, "row 5 out of range 1..2", "m[i] out of range")
t.raises(function() m.foo = 1 end, "has no field 'foo'", "assigning a field")
t.raises(function() m[1] = {1, 2} end, "3 values expected", "assigning a short row")
t.raises(function() return a + cf.matrix{1, 2} end, "shapes differ: 2x2 and 2", "adding different shapes")
t.raises(function() return a + "x" end, "number or Matrix expected", "adding a string")
t.raises(function() return a:mm(cf.matrix{{1, 2, 3}}) end, "bad argument #1 to 'mm' (inner dimensions differ", "mm with the wrong inner size")
t.raises(function() return cf.zeros(2, 2, 2):t() end, "needs a 2-dimensional Matrix", "t() of a 3-D matrix")
t.raises(function() return m:reshape(4) end, "6 values cannot take a shape of 4", "reshape to another size")
t.raises(function() return m:sum(3) end, "bad argument #1 to 'sum' (dimension out of range)", "sum along a missing dimension")
t.raises(function() return m:sub(0, 1) end, "start out of range", "sub out of range")
t.raises(function() return m:map(function() return "x" end) end, "returned a string", "map returning a string")
t.raises(function() return m.get(42, 1, 1) end, "Matrix expected, got number", "a method on a non-Matrix")

do
  local closed <close> = cf.zeros(2)
  t.is(closed:size(), 2, "a Matrix works as a <close> variable")
end
t.done()
