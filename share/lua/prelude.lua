-- prelude.lua — Lua-side helpers of clafuse, loaded into every Lua state
-- (REPL, `clafuse run`, `clafuse -e`) after the C bindings.
--
-- Design choice: what is easier to write and change in Lua lives here and
-- not in C — above all the pretty printer the REPL uses for results.  It
-- prints tables the way they would be written in Lua (sorted keys, nested,
-- width-limited, cycles marked) and lets objects take over through two
-- metamethods: __pretty(v, opts) -> string for a multi-line display, else
-- __tostring for a one-line summary.  Every function defined here is
-- registered with help through cf.doc_add.

local cf = cf
local type, tostring, rawget, rawlen, next, pcall, select =
      type, tostring, rawget, rawlen, next, pcall, select
local getmetatable, mathtype = getmetatable, math.type
local concat, sort, rep = table.concat, table.sort, string.rep

local keywords = {}
for w in ([[and break do else elseif end false for function goto if in
            local nil not or repeat return then true until while]]):gmatch("%a+") do
  keywords[w] = true
end

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\t'] = '\\t',
                  ['\r'] = '\\r' }

local function quote(s)
  return '"' .. (s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\%03d"):format(c:byte())
  end)) .. '"'
end

-- Order of keys: numbers, then strings, then booleans, then the rest.
local rank = { number = 1, string = 2, boolean = 3 }
local function keyless(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    local ra, rb = rank[ta] or 4, rank[tb] or 4
    if ra ~= rb then return ra < rb end
    return ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return (not a) and b end
  return tostring(a) < tostring(b)
end

local defaults = { width = 80, depth = 5, maxitems = 100, maxstring = 200 }

local format -- forward

local function keystring(k, o, depth, indent, stack)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not keywords[k] then
    return k
  end
  return "[" .. format(k, o, depth + 1, indent, stack) .. "]"
end

-- An object's own display, or nil when it has none.
local function own_display(v, o)
  local mt = getmetatable(v)
  if type(mt) ~= "table" then return nil end
  local p = rawget(mt, "__pretty")
  if p then
    local ok, s = pcall(p, v, o)
    if ok and type(s) == "string" then return s end
  end
  if rawget(mt, "__tostring") or (type(v) ~= "table" and rawget(mt, "__name")) then
    local ok, s = pcall(tostring, v)
    if ok and type(s) == "string" then return s end
  end
  return nil
end

function format(v, o, depth, indent, stack)
  local t = type(v)
  if t == "string" then
    if depth > 0 and #v > o.maxstring then
      return quote(v:sub(1, o.maxstring)) .. "..(" .. #v .. " bytes)"
    end
    return quote(v)
  elseif t ~= "table" and t ~= "userdata" then
    return tostring(v)
  end
  local own = own_display(v, o)
  if own then return own end
  if t == "userdata" then return tostring(v) end
  if stack[v] then return "<cycle>" end
  if next(v) == nil then return "{}" end
  if depth >= o.depth then return "{...}" end
  stack[v] = true

  local n = rawlen(v)
  local keys = {}
  for k in next, v do
    if not (mathtype(k) == "integer" and k >= 1 and k <= n) then
      keys[#keys + 1] = k
    end
  end
  sort(keys, keyless)
  local items, total, nseq = {}, n + #keys, 0
  for i = 1, n do
    if #items >= o.maxitems then break end
    items[#items + 1] = format(rawget(v, i), o, depth + 1, indent + 2, stack)
    nseq = #items
  end
  for _, k in ipairs(keys) do
    if #items >= o.maxitems then break end
    items[#items + 1] = keystring(k, o, depth, indent + 2, stack) .. " = " ..
                        format(rawget(v, k), o, depth + 1, indent + 2, stack)
  end
  if total > #items then
    items[#items + 1] = "... (" .. (total - #items) .. " more)"
  end
  stack[v] = nil

  local one = "{" .. concat(items, ", ") .. "}"
  if indent + #one <= o.width and not one:find("\n", 1, true) then
    return one
  end
  -- Several lines: sequence items are packed into lines of at most
  -- opts.width columns (like numpy), keyed entries get a line each.
  local pad = rep(" ", indent + 2)
  local lines, cur = {}, nil
  for i, item in ipairs(items) do
    local last = i == #items
    local piece = last and item or item .. ","
    local packable = i <= nseq and not item:find("\n", 1, true)
    if packable and cur and #cur + 1 + #piece <= o.width then
      cur = cur .. " " .. piece
    else
      if cur then lines[#lines + 1] = cur end
      cur = pad .. piece
      if not packable then lines[#lines + 1] = cur; cur = nil end
    end
  end
  if cur then lines[#lines + 1] = cur end
  return "{\n" .. concat(lines, "\n") .. "\n" .. rep(" ", indent) .. "}"
end

--- cf.pretty(v [, opts]) -> string
function cf.pretty(v, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'pretty' (table expected, got " .. type(opts) .. ")", 2)
  end
  local o = {}
  for k, d in pairs(defaults) do
    local x = opts and opts[k]
    if x ~= nil and mathtype(x) ~= "integer" then
      error("bad argument #2 to 'pretty' (opts." .. k .. " must be an integer)", 2)
    end
    o[k] = x or d
  end
  return format(v, o, 0, 0, {})
end

--- cf.show(...) prints each value pretty
function cf.show(...)
  local n = select("#", ...)
  local out, multiline = {}, false
  for i = 1, n do
    out[i] = cf.pretty((select(i, ...)))
    if out[i]:find("\n", 1, true) then multiline = true end
  end
  io.write(concat(out, multiline and "\n" or "\t"), "\n")
end

cf.doc_add(cf.pretty, "cf.pretty", "cf.pretty(v [, opts]) -> string",
[[Format a value as readable Lua-like text.
The REPL prints results with it.  Tables print with sorted keys, nested:
on one line when they fit in opts.width columns, else on several lines
(list items packed, one line per key).  "<cycle>" marks a table that
contains itself; nesting deeper than opts.depth shows as {...}; more than
opts.maxitems entries are cut with "... (N more)"; nested strings longer
than opts.maxstring are shortened.  An object whose metatable has
__pretty(v, opts) is shown by it, else by __tostring.
opts (all integers): width = 80, depth = 5, maxitems = 100, maxstring = 200.]], "cf")

cf.doc_add(cf.show, "cf.show", "cf.show(...)",
[[Print values with cf.pretty.
On one line separated by tabs, or one per line when any of them spans
several lines.]], "cf")

cf.doc_topic("repl", [[The console (clafuse with no arguments)
  * Type Lua; an expression prints its values (cf.pretty), e.g.  1 + 1
  * _ holds the first value of the last result; a trailing ; hides output.
  * A statement left open (function f() ... ) continues on "...>" lines.
  * Tab completes globals, table fields (cf.<Tab>), methods (obj:<Tab>,
    through the metatable's __index table) and file names inside strings.
  * Ctrl-C interrupts a running computation (the state is kept) and
    clears the line at the prompt; a third Ctrl-C during one computation
    kills clafuse.  Ctrl-D on an empty line, quit() or exit() leave.
  * History is kept in ~/.clafuse_history ($CLAFUSE_HISTORY overrides;
    the last 1000 entries).
  * Without a terminal on stdin, Lua is read line by line from stdin.]])
