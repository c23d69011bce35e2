-- pretty.lua — cf.pretty, the printer of REPL results: scalars, strings
-- with escapes, nested tables with sorted keys, width-limited layout,
-- cycles, depth and item limits, __tostring and __pretty, bad options.
local t = require "tap"
local P = cf.pretty

t.is(P(nil), "nil", "nil")
t.is(P(true), "true", "boolean")
t.is(P(42), "42", "integer")
t.is(P(1.5), "1.5", "float")
t.is(P(1.0), "1.0", "float with integral value keeps .0")
t.is(P(1/0), "inf", "infinity")
t.is(P("hi"), '"hi"', "string quoted")
t.is(P('a"b\\c\n\t\1'), '"a\\"b\\\\c\\n\\t\\001"', "string escapes")
t.is(P("é"), '"é"', "UTF-8 left alone")

t.is(P({}), "{}", "empty table")
t.is(P({1, 2, 3}), "{1, 2, 3}", "sequence")
t.is(P({b = 2, a = 1, [3] = "x", [1] = "y"}), '{"y", [3] = "x", a = 1, b = 2}',
     "keys: sequence first, then numbers, then sorted strings")
t.is(P({["not an ident"] = 1, ["end"] = 2, _x = 3}), '{_x = 3, ["end"] = 2, ["not an ident"] = 1}',
     "keys that are not identifiers are bracketed")
t.is(P({[true] = 1, [false] = 0}), "{[false] = 0, [true] = 1}", "boolean keys")
t.is(P({a = {b = {c = {}}}}), "{a = {b = {c = {}}}}", "nested tables")

-- cycles and shared tables
local c = {name = "c"}
c.self = c
t.is(P(c), '{name = "c", self = <cycle>}', "a table containing itself")
local shared = {1}
t.is(P({shared, shared}), "{{1}, {1}}", "a table seen twice is not a cycle")

-- width: one line when it fits, else one entry per line
local wide = {}
for i = 1, 30 do wide[i] = i * 1000 end
local s = P(wide, {width = 80})
t.ok(s:find("\n"), "a long sequence breaks into lines")
local longest = 0
for line in s:gmatch("[^\n]+") do longest = math.max(longest, #line) end
t.ok(longest <= 80, "no line wider than 80 (" .. longest .. ")")
t.is(s, "{\n  1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000,\n" ..
        "  13000, 14000, 15000, 16000, 17000, 18000, 19000, 20000, 21000, 22000, 23000,\n" ..
        "  24000, 25000, 26000, 27000, 28000, 29000, 30000\n}", "list items packed into lines")
local mixed = P({{1, 2}, "aaaaaaaaaaaaaaaaaaaa", key = "vvvvvvvvvvvvvvvvvvvvvvvvvvv", k2 = 1}, {width = 40})
t.is(mixed, '{\n  {1, 2}, "aaaaaaaaaaaaaaaaaaaa",\n  k2 = 1,\n  key = "vvvvvvvvvvvvvvvvvvvvvvvvvvv"\n}',
     "keyed entries one per line after packed items")
t.is(P({x = {1, 2}, y = 3}, {width = 12}), "{\n  x = {1, 2},\n  y = 3\n}", "nested layout indents by two")

-- limits
t.is(P({{{{{{1}}}}}}), "{{{{{{...}}}}}}", "default depth limit 5")
t.is(P({{1}}, {depth = 1}), "{{...}}", "depth option")
local many = {}
for i = 1, 150 do many[i] = i end
t.like(P(many), " 100,\n  ... (50 more)\n}", "more than 100 items are cut", true)
t.like(P(many, {maxitems = 3}), "{1, 2, 3, ... (147 more)}", "maxitems option", true)
local long = ("x"):rep(300)
t.is(P(long), '"' .. long .. '"', "a top-level string is shown whole")
t.like(P({long}), '..(300 bytes)\n}', "a long nested string is shortened", true)

-- objects
local obj = setmetatable({}, {__tostring = function() return "Thing<3>" end})
t.is(P(obj), "Thing<3>", "__tostring is used")
t.is(P({obj}), "{Thing<3>}", "__tostring inside a table")
local pretty_obj = setmetatable({}, {__pretty = function(_, o) return "multi\nline " .. o.width end,
                                    __tostring = function() return "short" end})
t.is(P(pretty_obj, {width = 50}), "multi\nline 50", "__pretty wins over __tostring and gets opts")
local broken = setmetatable({}, {__pretty = function() error("oops") end, __tostring = function() return "fallback" end})
t.is(P(broken), "fallback", "a failing __pretty falls back to __tostring")
t.like(P(print), "^function: ", "a function prints as by tostring")
t.like(P(io.stdout), "^file %(0x", "userdata with __tostring")
local class = setmetatable({x = 1}, {__index = {method = function() end}})
t.is(P(class), "{x = 1}", "a table with a methods metatable shows its own fields")

-- bad options are programmer's mistakes
t.raises(function() P(1, "wide") end, "bad argument #2 to 'pretty'", "non-table options raise")
t.raises(function() P(1, {width = "80"}) end, "opts.width must be an integer", "non-integer option raises")

-- cf.show prints
t.ok(pcall(cf.show, 1, "two", {3}), "cf.show prints several values")

t.done()
