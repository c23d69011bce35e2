-- host.lua — the Lua host as scripts see it: the cf table, arg and ...,
-- package.path, cf.progress and the error conventions of the host's own
-- functions.  Run by make check through tests/run_lua_test.sh.
local t = require "tap"

t.is(type(cf), "table", "global cf is a table")
t.like(cf.version, "^%d+%.%d+%.%d+", "cf.version looks like a version (" .. tostring(cf.version) .. ")")
t.ok(cf.blas == "openblas" or cf.blas == "gslcblas", "cf.blas names the CBLAS (" .. tostring(cf.blas) .. ")")
t.is(type(cf.sharedir), "string", "cf.sharedir is a string")
local f = io.open(cf.sharedir .. "/lua/prelude.lua")
t.ok(f ~= nil, "the prelude is in cf.sharedir/lua")
if f then f:close() end
t.like(package.path, cf.sharedir .. "/lua/?.lua", "share/lua is on package.path", true)

-- arguments, as lua.c passes them
t.is(arg[-2], "clafuse", "arg[-2] is the program")
t.is(arg[-1], "run", "arg[-1] is the subcommand")
t.like(arg[0], "host%.lua$", "arg[0] is the script")
t.is(#arg, select("#", ...), "arg and ... hold the same number of arguments")

-- standard libraries are all there
for _, lib in ipairs{"string", "table", "math", "io", "os", "coroutine", "utf8", "debug", "package"} do
  t.is(type(_G[lib]), "table", "standard library " .. lib)
end

-- cf.progress: draws only on a terminal, checks its arguments
t.ok(pcall(cf.progress, "step 1/2", 0.5), "cf.progress accepts what, fraction")
t.ok(pcall(cf.progress, "scanning"), "cf.progress accepts an unknown fraction")
t.raises(function() cf.progress() end, "bad argument #1 to 'progress'", "cf.progress without text raises")
t.raises(function() cf.progress("x", "half") end, "bad argument #2 to 'progress'",
         "cf.progress with a non-number fraction raises")

-- demo(): a missing demo is an environmental failure
local v, msg = demo("no-such-demo")
t.fails(v, msg, "no demo 'no-such-demo'", "demo of an unknown name returns nil, message")
t.raises(function() demo("../etc/passwd") end, "bad argument #1 to 'demo'", "demo refuses paths")

-- errors in scripts carry positions; the state survives pcall
local okcall, err = pcall(function() local x = nil; return x.field end)
t.ok(not okcall and err:find("host.lua:%d+: attempt to index"), "runtime errors carry file:line")
t.is(1 + 1, 2, "state usable after a caught error")

t.done()
