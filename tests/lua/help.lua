-- help.lua — the help system: every cf function and every method of an
-- object type has help (the rule binding files must follow), lookups by
-- value, by name and by topic, and argument errors of cf.doc*.
local t = require "tap"

local missing = cf.doc_missing()
t.is(#missing, 0, "every function in cf and every method has help")
if #missing > 0 then t.diag("without help: " .. table.concat(missing, ", ")) end

-- every function reachable from cf: help by value, starting with its name
local function walk(tbl, prefix, seen)
  seen = seen or {}
  if seen[tbl] then return end
  seen[tbl] = true
  local keys = {}
  for k in pairs(tbl) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = tbl[k]
    if type(v) == "function" then
      local text = cf.doc(v)
      t.ok(type(text) == "string" and text:find(prefix .. k, 1, true) == 1,
           "help(" .. prefix .. k .. ") starts with its signature")
    elseif type(v) == "table" and not k:match("^_") then
      walk(v, prefix .. k .. ".", seen)
    end
  end
end
walk(cf, "cf.")

-- globals added by clafuse
for _, name in ipairs{"help", "demo"} do
  t.like(cf.doc(_G[name]), "^" .. name .. "%(", "help of global " .. name)
end

-- fields, modules, topics, names
t.like(cf.doc("cf.version"), "^cf%.version\n", "help by full name of a field")
t.like(cf.doc("version"), "^cf%.version\n", "help by short name (cf. implied)")
t.like(cf.doc(cf), "^cf %— The clafuse Lua API", "help(cf) describes the module")
t.like(cf.doc(cf), "cf.pretty(v [, opts]) -> string", "help(cf) lists its functions", true)
for _, topic in ipairs{"lua", "scripts", "repl"} do
  t.is(type(cf.doc(topic)), "string", "topic " .. topic)
end
t.like(cf.doc("lua"), "nil, message", "topic lua states the error conventions", true)
t.is(cf.doc("no such topic"), nil, "unknown name: nil")
t.is(cf.doc(print), nil, "Lua's own functions have no cf help")
t.is(cf.doc(42), nil, "a number has no help")

-- registering help from Lua
local function square(x) return x * x end
cf.doc_add(square, "square", "square(x) -> number", "Square a number.\nSecond line.")
t.is(cf.doc(square), "square(x) -> number\n  Square a number.\n  Second line.\n", "doc_add by value")
t.is(cf.doc("square"), cf.doc(square), "doc_add by name")
cf.doc_topic("mytopic", "Some words.")
t.is(cf.doc("mytopic"), "Some words.\n", "doc_topic")
cf.doc_topic("mytopic", "Other words.")
t.is(cf.doc("mytopic"), "Other words.\n", "doc_topic replaces a topic")

-- programmer's mistakes raise with the argument position
t.raises(function() cf.doc() end, "bad argument #1 to 'doc'", "cf.doc without argument")
t.raises(function() cf.doc_add(square, nil, nil, "x") end, "bad argument #2 to 'doc_add'", "doc_add without name")
t.raises(function() cf.doc_add(square, "n", "s") end, "bad argument #4 to 'doc_add'", "doc_add without text")
t.raises(function() cf.doc_topic("x") end, "bad argument #2 to 'doc_topic'", "doc_topic without text")

-- help() itself prints and returns nothing
t.is(select("#", help("mytopic")), 0, "help returns no values")

t.done()
