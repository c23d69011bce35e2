-- matrix.lua — the clafuse.Matrix type: constructors, indexing, arithmetic,
-- reductions, conversion, printing and the error of every misuse.
local t = require "tap"

-- constructors
local m = cf.matrix{{1, 2, 3}, {4, 5, 6}}
t.is(m:summary(), "Matrix 2x3 double", "summary() is a one-line description")
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
t.is(m[1]:summary(), "Matrix 3 double", "a row of a 2-D matrix is a vector")
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
t.ok(a * b == cf.matrix{{19, 22}, {43, 50}}, "* is the matrix product (torch7)")
t.ok(a:mul(b) == cf.matrix{{5, 12}, {21, 32}}, "mul() is elementwise")
t.ok(a * 2 == cf.matrix{{2, 4}, {6, 8}} and 2 * a == a * 2, "* by a scalar, both sides")
t.ok(1 - a == cf.matrix{{0, -1}, {-2, -3}}, "scalar - matrix")
t.ok(a / 2 == cf.matrix{{0.5, 1}, {1.5, 2}}, "/ by a scalar")
t.ok(a ^ 2 == a:mul(a), "^ elementwise power")
t.ok(-a == a * -1, "unary minus")
t.ok(a:add(1) == a + 1 and a:div(b) == a / b, "add() and div() methods")
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
t.raises(function() return a + cf.matrix{1, 2, 3} end, "shapes 2x2 and 3 do not broadcast", "adding shapes that do not broadcast")
t.raises(function() return a + "x" end, "number or Matrix expected", "adding a string")
t.raises(function() return a:mm(cf.matrix{{1, 2, 3}}) end, "bad argument #1 to 'mm' (inner dimensions differ", "mm with the wrong inner size")
t.raises(function() return cf.zeros(2, 2, 2):t() end, "needs a 2-dimensional Matrix", "t() of a 3-D matrix")
t.raises(function() return m:reshape(4) end, "6 values cannot take a shape of 4", "reshape to another size")
t.raises(function() return m:sum(3) end, "bad argument #1 to 'sum' (dimension 3 out of range 1..2)", "sum along a missing dimension")
t.raises(function() return m:sub(0, 1) end, "start out of range", "sub out of range")
t.raises(function() return m:map(function() return "x" end) end, "returned a string", "map returning a string")
t.raises(function() return m.get(42, 1, 1) end, "Matrix expected, got number", "a method on a non-Matrix")

-- the cf.matrix namespace; the old constructors still work
t.ok(cf.matrix.rand(3, 3, 7) == cf.rand(3, 3, 7), "cf.matrix.rand is cf.rand")
t.ok(cf.matrix.zeros(2, 3) == cf.zeros(2, 3) and cf.matrix.ones(2) == cf.ones(2)
     and cf.matrix.eye(2) == cf.eye(2), "cf.matrix.zeros / ones / eye")
t.ok(cf.matrix.new{{1, 2}} == cf.matrix{{1, 2}}, "cf.matrix(...) calls cf.matrix.new")
local g = cf.matrix.randn(200, 50, 3)
t.near(g:mean(), 0, 0.03, "randn: mean near 0 (" .. g:mean() .. ")")
t.near(g:std(), 1, 0.03, "randn: std near 1 (" .. g:std() .. ")")
t.ok(cf.matrix.randn(2, 2, 3) == cf.matrix.randn(2, 2, 3), "randn: seeded")

-- broadcasting
local X = cf.matrix{{1, 2, 3}, {4, 5, 6}}
t.ok(X + cf.matrix{10, 20, 30} == cf.matrix{{11, 22, 33}, {14, 25, 36}}, "a vector of m is added to every row")
t.ok(X - cf.matrix{{1}, {4}} == cf.matrix{{0, 1, 2}, {0, 1, 2}}, "an n×1 Matrix is subtracted from every column")
t.ok(X:mul(cf.matrix{{2}, {3}}) == cf.matrix{{2, 4, 6}, {12, 15, 18}}, "mul by a column rescales rows")
t.ok(X / cf.matrix{1, 2, 3} == cf.matrix{{1, 1, 1}, {4, 2.5, 2}}, "/ by a row vector divides each column")
t.ok(X:add{1, 1, 1} == X + 1, "a table broadcasts like a Matrix")
t.ok(cf.matrix{{1}, {2}} + cf.matrix{10, 20} == cf.matrix{{11, 21}, {12, 22}}, "column + row gives the outer sum")
t.ok(cf.zeros(2, 2, 3) + cf.matrix{1, 2, 3} == cf.matrix{{{1, 2, 3}, {1, 2, 3}}, {{1, 2, 3}, {1, 2, 3}}},
     "3-D broadcasting along the last dimension")

-- products
t.ok(X * cf.matrix{1, 0, 1} == cf.matrix{4, 10}, "matrix * vector")
t.ok(cf.matrix{1, 1} * X == cf.matrix{5, 7, 9}, "vector * matrix")
t.is(cf.matrix{1, 2, 3} * cf.matrix{4, 5, 6}, 32.0, "vector * vector is the dot product")
t.is(X:dot(X), 91.0, "dot()")
t.raises(function() return cf.zeros(2, 2, 2) * cf.zeros(2, 2) end, "A:mul(B) multiplies elementwise", "* of a 3-D matrix")
t.raises(function() return cf.matrix{1, 2, 3} * X end, "a vector of 3 values times a 2x3", "vector * matrix of the wrong size")
t.raises(function() return X:dot{1, 2} end, "bad argument #1 to 'dot' (2 values, the Matrix has 6)", "dot of different sizes")

-- reductions with a dimension
local R = cf.matrix{{1, 2, 3}, {4, 6, 8}}
t.ok(R:var(1) == cf.matrix{2.25, 4, 6.25}, "var(1): per column, dividing by n")
t.ok(R:var(2) == cf.matrix{2 / 3, 8 / 3}, "var(2): per row")
t.ok(R:var(1, 1) == cf.matrix{4.5, 8, 12.5}, "var(1, 1): dividing by n - 1")
t.ok(R:std(1) == cf.matrix{1.5, 2, 2.5}, "std(1)")
t.near(R:var(), 17 / 3 - 0 * 1, 1e-12, "var() of all values: " .. R:var())
t.near(R:std(nil, 1), math.sqrt(6.8), 1e-12, "std(nil, 1) of all values")
t.ok(R:sum(1) == cf.matrix{5, 8, 11} and R:mean(2) == cf.matrix{2, 6}, "sum(1), mean(2)")
t.ok(R:max(1) == cf.matrix{4, 6, 8} and R:min(2) == cf.matrix{1, 4}, "max(1), min(2)")
t.ok(cf.matrix{{1, 9}, {7, 5}, {3, 2}}:argmax(1) == cf.matrix{2, 1}, "argmax(1): best row per column")
t.ok(cf.matrix{{1, 9}, {7, 5}, {3, 2}}:argmin(1) == cf.matrix{1, 3}, "argmin(1)")
local N = cf.matrix{{1, 0 / 0}, {2, 3}}
t.ok(N:max(1):get(2) ~= N:max(1):get(2), "a NaN wins max along a dimension")
t.ok(N:max() ~= N:max(), "a NaN wins max()")
local cube = cf.matrix{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}
t.ok(cube:sum(2) == cf.matrix{{4, 6}, {12, 14}}, "sum along the middle of 3 dimensions")
t.ok(cube:mean(1) == cf.matrix{{3, 4}, {5, 6}}, "mean along the first of 3")
t.raises(function() return R:var(1, 2) end, "ddof is 0", "ddof 2")
t.raises(function() return R:std(0) end, "dimension 0 out of range 1..2", "std(0)")

-- reductions over long rows and columns (the vectorised paths: blocks of
-- 128 values per row for argmax/argmin, rows accumulated for sum(1) and
-- var(1)) against plain Lua loops; NaN, infinities, ties and zeros of
-- both signs in the rows
do
  local rows, cols = 7, 1500
  local B = cf.matrix.rand(rows, cols, 11) - 0.5
  B:set(2, 700, 0 / 0)                      -- a NaN in the second block
  B:set(2, 1400, 0 / 0)                     -- the first NaN wins, not this one
  B:set(3, 1, 0 / 0)                        -- a NaN first
  B:set(4, 1499, 1 / 0); B:set(4, 1500, 1 / 0) -- a tie at infinity: the first
  B:set(5, 9, 3); B:set(5, 1030, 3)         -- a tie across blocks
  B:set(6, 100, -1 / 0)                     -- -inf: argmin
  for j = 1, cols do B:set(7, j, (j % 2 == 0) and 0.0 or -0.0) end -- only zeros
  local function arg_ref(i, better)
    local best, b = 1, B:get(i, 1)
    if b ~= b then return 1 end
    for j = 2, cols do
      local x = B:get(i, j)
      if better(x, b) then best, b = j, x elseif x ~= x then return j end
    end
    return best
  end
  local amax, amin = B:argmax(2), B:argmin(2)
  local okmax, okmin = true, true
  for i = 1, rows do
    if amax:get(i) ~= arg_ref(i, function(x, y) return x > y end) then okmax = false end
    if amin:get(i) ~= arg_ref(i, function(x, y) return x < y end) then okmin = false end
  end
  t.ok(okmax and amax:get(2) == 700 and amax:get(3) == 1 and amax:get(4) == 1499 and amax:get(5) == 9
    and amax:get(7) == 1, "argmax(2) over rows of 1500: NaN first wins, ties the first, as a plain loop")
  t.ok(okmin and amin:get(6) == 100 and amin:get(7) == 1, "argmin(2) over rows of 1500 as a plain loop")
  local C = cf.matrix.rand(300, 37, 12)
  local s1, v1 = C:sum(1), C:var(1, 1)
  local okc = true
  for j = 1, 37 do
    local s = 0
    for i = 1, 300 do s = s + C:get(i, j) end
    local mu, ss = s / 300, 0
    for i = 1, 300 do ss = ss + (C:get(i, j) - mu) ^ 2 end
    if s1:get(j) ~= s or math.abs(v1:get(j) - ss / 299) > 1e-15 then okc = false end
  end
  t.ok(okc, "sum(1) and var(1, 1) over 300×37 as plain loops (sums in the same order: equal)")
  -- max/min/argmax/argmin(1): running best per column, the first NaN wins
  C:set(5, 3, 0 / 0); C:set(200, 3, 0 / 0); C:set(300, 4, 0 / 0); C:set(1, 5, 0 / 0)
  C:set(7, 6, 1 / 0); C:set(9, 6, 1 / 0); C:set(150, 7, -1 / 0)
  local function col_ref(j, better)
    local bi, b = 1, C:get(1, j)
    for i = 2, 300 do
      if b ~= b then break end
      local x = C:get(i, j)
      if better(x, b) or x ~= x then bi, b = i, x end
    end
    return bi, b
  end
  local mx, mn, amx, amn = C:max(1), C:min(1), C:argmax(1), C:argmin(1)
  local okb = true
  for j = 1, 37 do
    local i1, v1 = col_ref(j, function(x, y) return x > y end)
    local i2, v2 = col_ref(j, function(x, y) return x < y end)
    local same = function(a, b) return a == b or (a ~= a and b ~= b) end
    if not (same(mx:get(j), v1) and same(mn:get(j), v2) and amx:get(j) == i1 and amn:get(j) == i2) then
      okb = false
    end
  end
  t.ok(okb and amx:get(3) == 5 and amx:get(6) == 7 and amn:get(7) == 150 and mx:get(5) ~= mx:get(5),
    "max/min/argmax/argmin(1) over 300×37 with NaN and infinities as plain loops")
end

-- elementwise functions
t.ok(cf.matrix{1, 4, 9}:sqrt() == cf.matrix{1, 2, 3}, "sqrt()")
t.ok(cf.matrix{-1, 2, -3}:abs() == cf.matrix{1, 2, 3}, "abs()")
t.ok(cf.matrix{0, 1}:exp():get(1) == 1, "exp(0) = 1 exactly")
t.ok(cf.matrix{1, math.exp(2)}:log() == cf.matrix{0, 2}, "log()")

-- sqrt, exp and log against the C library (math.sqrt, math.exp,
-- math.log): sqrt the same bits, exp and log within 1 ulp (help()
-- says so); special values (NaN, infinities, zeros, negatives,
-- subnormals, overflow, underflow) exactly as the C library's.
do
  local function ord(d) -- position on the line of doubles: neighbours differ by 1
    local i = string.unpack("<i8", string.pack("<d", d))
    return i < 0 and -(i & math.maxinteger) or i
  end
  local edge = {0, -0.0, 1, -1, 1 / 0, -1 / 0, 0 / 0, 2.2250738585072014e-308, 5e-324, -5e-324,
    1e-310, 1e-300, 708, -708, 708.5, 709.78, 709.79, 710, -745.1, -745.2, -740, 1e300, -1e300,
    0.5, 2, math.sqrt(2), 1 + 2 ^ -52, 1 - 2 ^ -53}
  local r = cf.matrix.rand(1, 6000, 7):reshape(6000)
  local function check(name, f, ref, values, ulps)
    local x = {}
    for i, v in ipairs(edge) do x[i] = v end
    for i = 1, r:size() do x[#x + 1] = values(r:get(i), i) end
    local m = cf.matrix(x)
    local y = f(m)
    local worst, wrong = 0, nil
    for i = 1, #x do
      local got, want = y:get(i), ref(x[i])
      if want ~= want or want == 0 or want == math.huge or want == -math.huge then
        local same = want ~= want and got ~= got or got == want and 1 / got == 1 / want
        if not same and not wrong then wrong = ("%s(%.17g) = %.17g, C library %.17g"):format(name, x[i], got, want) end
      else
        local d = math.abs(ord(got) - ord(want))
        if d > worst then worst = d end
      end
    end
    t.ok(worst <= ulps, ("%s within %d ulp of the C library over %d values (largest %d)"):format(name, ulps, #x, worst))
    if wrong then t.diag(wrong) end
    t.ok(not wrong, name .. ": NaN, infinities and zeros as the C library's")
  end
  check("sqrt", function(m) return m:sqrt() end, math.sqrt,
    function(u, i) return (i % 2 == 0 and -1 or 1) * 10 ^ (u * 40 - 20) end, 0)
  check("exp", function(m) return m:exp() end, math.exp,
    function(u, i) return i % 3 == 0 and (u - 0.5) * 1500 or i % 3 == 1 and (u - 0.5) * 4 or (u - 0.5) * 1417 end, 1)
  check("log", function(m) return m:log() end, math.log,
    function(u, i) return i % 4 == 0 and -u or i % 4 == 1 and 0.5 + u or 10 ^ (u * 600 - 300) end, 1)
end
t.is(cf.matrix{0}:log():get(1), -math.huge, "log(0) = -inf")
t.ok(cf.matrix{-2, 0.5, 3}:clamp(0) == cf.matrix{0, 0.5, 3}, "clamp(0): the ReLU")
t.ok(cf.matrix{-2, 0.5, 3}:clamp(-1, 1) == cf.matrix{-1, 0.5, 1}, "clamp(lo, hi)")
t.raises(function() return R:clamp(1, 0) end, "hi must not be below lo", "clamp with hi < lo")

-- diag, normalize
t.ok(R:diag() == cf.matrix{1, 6}, "diag() of a 2x3 Matrix: min(n, m) values")
t.ok(cf.matrix{1, 2}:diag() == cf.matrix{{1, 0}, {0, 2}}, "diag() of a vector is square")
t.ok(cf.matrix.diag{3, 4} == cf.matrix{{3, 0}, {0, 4}}, "cf.matrix.diag(table)")
t.ok(cf.matrix.diag(R) == R:diag(), "cf.matrix.diag(m)")
t.ok(R:normalize(2) == cf.matrix{{1 / 6, 2 / 6, 3 / 6}, {4 / 18, 6 / 18, 8 / 18}}, "normalize(2): rows sum to 1")
t.ok(R:normalize(1):sum(1) == cf.ones(3), "normalize(1): columns sum to 1")
t.ok(cf.matrix{{3, 4}, {0, 0}}:normalize(2, "l2") == cf.matrix{{0.6, 0.8}, {0, 0}}, "l2 norm; a zero row stays zero")
t.ok(cf.matrix{{-1, 3}}:normalize(2, "l1") == cf.matrix{{-0.25, 0.75}}, "l1 norm")
t.raises(function() return R:normalize(2, "max") end, "invalid option 'max'", "an unknown norm")
t.raises(function() return R:normalize(3) end, "dimension 3 out of range", "normalize along a missing dimension")
t.raises(function() return cf.zeros(2, 2, 2):diag() end, "needs a 2-dimensional Matrix", "diag of 3-D")

-- slicing (copies)
t.ok(R:rows(2) == cf.matrix{{4, 6, 8}}, "rows(i): to the last row")
t.ok(R:rows(1, 1) == cf.matrix{{1, 2, 3}}, "rows(i1, i2)")
t.ok(R:rows{2, 1} == cf.matrix{{4, 6, 8}, {1, 2, 3}}, "rows{...} reorders")
t.ok(R:cols(2, 3) == cf.matrix{{2, 3}, {6, 8}}, "cols(j1, j2)")
t.ok(R:cols{3, 1} == cf.matrix{{3, 1}, {8, 4}}, "cols{...}")
t.ok(R:col(2) == cf.matrix{2, 6}, "col(j) is a vector")
t.ok(cf.matrix{5, 6, 7}:rows{3, 1} == cf.matrix{7, 5}, "rows{...} of a vector")
local Rc = R:copy()
local sl = Rc:col(1); sl[1] = 100
t.is(Rc:get(1, 1), 1.0, "a slice is a copy")
Rc:set_col(1, {7, 8}):set_row(2, 0)
t.ok(Rc == cf.matrix{{7, 2, 3}, {0, 0, 0}}, "set_col / set_row in place")
t.raises(function() return R:rows(3) end, "start 3 out of range 1..2", "rows out of range")
t.raises(function() return R:cols(2, 1) end, "end 1 out of range 2..3", "cols end before start")
t.raises(function() return R:cols{1, 4} end, "position [2] must be an integer in 1..3", "cols list out of range")
t.raises(function() return R:rows{} end, "empty list", "empty rows list")
t.raises(function() return cf.zeros(3):col(1) end, "needs a 2-dimensional Matrix", "col of a vector")
t.raises(function() return Rc:set_col(1, {1, 2, 3}) end, "2 values expected, got 3", "set_col of the wrong length")

-- concatenation
t.ok(cf.matrix.cat({R, R:rows(1, 1)}) == cf.matrix{{1, 2, 3}, {4, 6, 8}, {1, 2, 3}}, "cat along rows")
t.ok(cf.matrix.cat({R, {{0}, {0}}}, 2) == cf.matrix{{1, 2, 3, 0}, {4, 6, 8, 0}}, "cat along columns, a table too")
t.ok(R:cat(R, 2):size(2) == 6, "m:cat(n, dim)")
t.ok(cf.matrix.cat{cf.matrix{1}, cf.matrix{2, 3}} == cf.matrix{1, 2, 3}, "cat of vectors")
t.raises(function() return cf.matrix.cat({R, cf.zeros(2, 2)}) end, "entry 2 is 2x2, entry 1 is 2x3: only dimension 1 may differ", "cat of mismatched shapes")
t.raises(function() return cf.matrix.cat({}) end, "at least one Matrix", "cat of nothing")
t.raises(function() return cf.matrix.cat({R}, 3) end, "dimension 3 out of range 1..2", "cat along a missing dimension")
t.raises(function() return cf.matrix.cat({R, "x"}) end, "entry 2 is a string", "cat of a string")

-- printing: print(m) shows the numbers; nested, the one-line summary
t.is(tostring(cf.matrix{{1, 2}}), "  1  2\n[Matrix double 1x2]", "tostring shows the values")
t.is(cf.pretty({cf.matrix{1, 2}}), "{Matrix 2 double}", "inside a table: the summary")

-- sizes are checked before any arithmetic can overflow
t.raises(function() return cf.rand(3, 4):reshape(3, math.maxinteger) end, "its size overflows", "reshape to a size past 2^63")
t.raises(function() return cf.zeros(math.maxinteger, 4) end, "Matrix too large", "zeros past 2^63")
t.raises(function() return cf.zeros(2^31, 2^31) end, "Matrix too large", "zeros of 2^62 values")

do
  local closed <close> = cf.zeros(2)
  t.is(closed:size(), 2, "a Matrix works as a <close> variable")
end
t.done()
