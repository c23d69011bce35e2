-- clock.lua — cf.clock and cf.timeit: wall and CPU seconds, medians.
local t = require "tap"

local w0, c0 = cf.clock(), cf.clock("cpu")
t.ok(type(w0) == "number" and type(c0) == "number", "cf.clock() and cf.clock(\"cpu\") are numbers")
local x = 0
while cf.clock() - w0 < 0.05 do x = x + 1 end -- busy for 50 ms
local dw, dc = cf.clock() - w0, cf.clock("cpu") - c0
t.ok(dw >= 0.05 and dw < 5, "wall time advances (" .. dw .. " s)")
t.ok(dc > 0, "busy work counts as CPU time (" .. dc .. " s)")
t.ok(cf.clock("wall") >= w0, "cf.clock(\"wall\") is the default")

local calls = 0
local w, c = cf.timeit(function() calls = calls + 1 end, 5)
t.is(calls, 5, "timeit(f, 5) calls f five times")
t.ok(w >= 0 and c >= 0 and w < 1, "timeit returns wall and CPU seconds")
local ws = cf.timeit(function() local t0 = cf.clock() while cf.clock() - t0 < 0.02 do end end, 3)
t.ok(ws >= 0.02 and ws < 60, "a 20 ms busy loop takes >= 20 ms (" .. ws .. ")")
t.is(select("#", cf.timeit(function() end)), 2, "n defaults to 1")

t.raises(function() return cf.clock("gpu") end, "bad argument #1 to 'clock' (invalid option 'gpu')", "an unknown clock")
t.raises(function() return cf.timeit(42) end, "bad argument #1 to 'timeit'", "timeit of a number")
t.raises(function() return cf.timeit(function() end, 0) end, "a number of runs in 1..1000000", "zero runs")
t.raises(function() cf.timeit(function() error("inside") end) end, "inside", "an error in f propagates")
t.done()
