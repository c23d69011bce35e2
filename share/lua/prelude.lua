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

-- An object's own display, or nil when it has none.  Nested inside a
-- table (depth > 0) an object shows its one-line __summary (else, having
-- __tostring, no __pretty), so a table of matrices or models stays readable; __pretty is for the
-- object printed on its own.
local function own_display(v, o, depth)
  local mt = getmetatable(v)
  if type(mt) ~= "table" then return nil end
  local p = rawget(mt, "__pretty")
  if depth > 0 and rawget(mt, "__summary") then p = rawget(mt, "__summary") end
  if p and depth > 0 and rawget(mt, "__tostring") and not rawget(mt, "__summary") then p = nil end
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
  local own = own_display(v, o, depth)
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
__pretty(v, opts) is shown by it, else by __tostring; nested in a table,
an object shows its one-line __summary, else its __tostring.
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

-- ---- helpers for scripts (scripts/examples) --------------------------------

-- cf.session{...} as a shorthand of cf.session.new{...}
if type(cf.session) == "table" and getmetatable(cf.session) == nil then
  setmetatable(cf.session, { __call = function(_, opts) return cf.session.new(opts) end })
end

--- cf.data.fashion_mnist_subset(split, n [, seed]) -> Dataset | nil, msg
if type(cf.data) == "table" and type(cf.data.fashion_mnist) == "function" then
  function cf.data.fashion_mnist_subset(split, n, seed)
    if type(n) ~= "number" then
      error("bad argument #2 to 'fashion_mnist_subset' (number expected, got " .. type(n) .. ")", 2)
    end
    local d, msg = cf.data.fashion_mnist(split)
    if not d then return nil, msg end
    if n >= d:size() then return d end
    local s = d:subset(n, seed)
    d:free()   -- the full split is large: release it now, not at the next GC
    return s
  end

  cf.doc_add(cf.data.fashion_mnist_subset, "cf.data.fashion_mnist_subset",
  "cf.data.fashion_mnist_subset(split, n [, seed]) -> Dataset | nil, msg",
[[n samples of the Fashion-MNIST split ("train" or "test") drawn without
replacement with a seeded shuffle (d:subset(n, seed)), or the whole split
when n covers it.  The examples' sizes (--train, --test) go through it.
Missing data returns nil, message, as cf.data.fashion_mnist.]], "cf.data")
end

--- cf.args(arg, defaults [, usage]) -> opts
function cf.args(argv, defaults, usage)
  if argv ~= nil and type(argv) ~= "table" then
    error("bad argument #1 to 'args' (table expected, got " .. type(argv) .. ")", 2)
  end
  if type(defaults) ~= "table" then
    error("bad argument #2 to 'args' (table expected, got " .. type(defaults) .. ")", 2)
  end
  local opts, names = {}, {}
  for k, v in pairs(defaults) do
    if type(k) ~= "string" then
      error("bad argument #2 to 'args' (option names must be strings)", 2)
    end
    opts[k] = v
    names[#names + 1] = k
  end
  sort(names)
  local function help_text()
    local lines = { usage or "options:" }
    for _, k in ipairs(names) do
      local d = defaults[k]
      lines[#lines + 1] = ("  --%-16s %s"):format(k:gsub("_", "-"),
        type(d) == "boolean" and (d and "(on; --no-" .. k:gsub("_", "-") .. " turns it off)" or "(off)")
        or "(default " .. tostring(d) .. ")")
    end
    return concat(lines, "\n")
  end
  local i, n = 1, argv and #argv or 0
  while i <= n do
    local a = argv[i]
    if a == "--help" or a == "-h" then
      print(help_text())
      os.exit(0)
    end
    local name, value = tostring(a):match("^%-%-([%w_%-]+)=(.*)$")
    if not name then name = tostring(a):match("^%-%-([%w_%-]+)$") end
    if not name then
      opts[#opts + 1] = a            -- a positional argument
    else
      local key = name:gsub("%-", "_")
      local neg = false
      if defaults[key] == nil and key:sub(1, 3) == "no_" and type(defaults[key:sub(4)]) == "boolean" then
        key, neg = key:sub(4), true
      end
      local d = defaults[key]
      if d == nil then
        error(("unknown option --%s\n%s"):format(name, help_text()), 0)
      end
      if type(d) == "boolean" then
        if value == nil then
          value = not neg
        elseif value == "true" or value == "1" or value == "yes" then
          value = true
        elseif value == "false" or value == "0" or value == "no" then
          value = false
        else
          error(("option --%s wants true or false, got '%s'"):format(name, value), 0)
        end
      else
        if value == nil then
          i = i + 1
          value = argv[i]
          if value == nil then error(("option --%s needs a value"):format(name), 0) end
        end
        if type(d) == "number" then
          local x = tonumber(value)
          if x == nil then
            error(("option --%s wants a number, got '%s'"):format(name, value), 0)
          end
          if mathtype(d) == "integer" then
            if x ~= math.floor(x) then
              error(("option --%s wants an integer, got '%s'"):format(name, value), 0)
            end
            x = math.tointeger(x)
          end
          value = x
        end
      end
      opts[key] = value
    end
    i = i + 1
  end
  return opts
end

cf.doc_add(cf.args, "cf.args", "cf.args(arg, defaults [, usage]) -> opts",
[[Parse a script's command-line arguments (the global `arg`).
defaults maps option names to default values, whose types decide the
parsing: --name value or --name=value for numbers (integers stay
integers) and strings, --flag / --no-flag for booleans.  Dashes in names
match underscores (--free-end sets free_end).  Other arguments are kept in
order as opts[1], opts[2], ...  An unknown option or a bad value raises
an error listing the options; --help prints them (after `usage`) and
exits.]], "cf")

-- Display width of a cell: characters, not bytes (UTF-8 such as ±).
local function cellwidth(s)
  return utf8.len(s) or #s
end

-- The text of one table cell.
local function cell(v, fmt)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v then return "nan" end
    if fmt then return fmt:format(v) end
    if mathtype(v) == "integer" then return tostring(v) end
    return ("%.4g"):format(v)
  end
  if fmt and type(v) ~= "table" then return fmt:format(v) end
  return tostring(v)
end

-- Columns as {key =, title =, fmt =} records.
local function columns_of(rows, columns, fname)
  if type(rows) ~= "table" then
    error(("bad argument #1 to '%s' (table of rows expected, got %s)"):format(fname, type(rows)), 3)
  end
  local cols = {}
  if columns == nil then
    local seen = {}
    for i, r in ipairs(rows) do
      if type(r) ~= "table" then
        error(("bad argument #1 to '%s' (row %d is not a table)"):format(fname, i), 3)
      end
      local ks = {}
      for k in pairs(r) do if type(k) == "string" and not seen[k] then ks[#ks + 1] = k end end
      sort(ks)
      for _, k in ipairs(ks) do seen[k] = true; cols[#cols + 1] = { key = k, title = k } end
    end
    return cols
  end
  if type(columns) ~= "table" then
    error(("bad argument #2 to '%s' (table of columns expected, got %s)"):format(fname, type(columns)), 3)
  end
  for i, c in ipairs(columns) do
    if type(c) == "string" then
      cols[i] = { key = c, title = c }
    elseif type(c) == "table" and c[1] ~= nil then
      cols[i] = { key = c[1], title = c.title or c[2] or tostring(c[1]), fmt = c.fmt or c[3] }
    elseif type(c) == "table" and c.key ~= nil then
      cols[i] = { key = c.key, title = c.title or tostring(c.key), fmt = c.fmt }
    else
      error(("bad argument #2 to '%s' (column %d must be a name or {key, title, fmt})"):format(fname, i), 3)
    end
  end
  return cols
end

--- cf.table_format(rows [, columns]) -> string
function cf.table_format(rows, columns)
  local cols = columns_of(rows, columns, "table_format")
  local cells, width, numeric = {}, {}, {}
  for j, c in ipairs(cols) do width[j] = math.max(cellwidth(c.title), 3); numeric[j] = true end
  for i, r in ipairs(rows) do
    if type(r) ~= "table" then
      error(("bad argument #1 to 'table_format' (row %d is not a table)"):format(i), 2)
    end
    cells[i] = {}
    for j, c in ipairs(cols) do
      local v = r[c.key]
      local s = cell(v, c.fmt)
      cells[i][j] = s
      if cellwidth(s) > width[j] then width[j] = cellwidth(s) end
      if v ~= nil and type(v) ~= "number" then numeric[j] = false end
    end
  end
  local function line(vals, right)
    local out = {}
    for j, v in ipairs(vals) do
      local pad = rep(" ", width[j] - cellwidth(v))
      out[j] = right[j] and pad .. v or v .. pad
    end
    return "| " .. concat(out, " | ") .. " |"
  end
  local titles, dashes, left = {}, {}, {}   -- numeric columns right-aligned
  for j, c in ipairs(cols) do
    titles[j] = c.title
    dashes[j] = rep("-", width[j] - 1) .. (numeric[j] and ":" or "-")
    left[j] = false
  end
  local lines = { line(titles, numeric), line(dashes, left) }
  for i = 1, #cells do lines[#lines + 1] = line(cells[i], numeric) end
  return concat(lines, "\n")
end

--- cf.table_print(rows [, columns])
function cf.table_print(rows, columns)
  io.write(cf.table_format(rows, columns), "\n")
end

cf.doc_add(cf.table_format, "cf.table_format", "cf.table_format(rows [, columns]) -> string",
[[Format rows (a list of tables) as an aligned Markdown table.
columns lists the keys to show, each a name or {key, title, fmt} (fmt a
string.format pattern such as "%.2f"); by default every string key in
sorted order.  Numbers are right-aligned (integers as such, others with
%.4g), missing values are empty, NaN shows as nan.  The text pastes into
a report or a Markdown file as it is.]], "cf")

cf.doc_add(cf.table_print, "cf.table_print", "cf.table_print(rows [, columns])",
[[Print cf.table_format(rows, columns) on standard output.]], "cf")

local function csv_field(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v then return "nan" end
    if mathtype(v) == "integer" then return tostring(v) end
    return ("%.10g"):format(v)
  end
  local s = tostring(v)
  if s:find('[,"\r\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- cf.write_csv(path, rows [, columns]) -> true | nil, msg
function cf.write_csv(path, rows, columns)
  if type(path) ~= "string" then
    error("bad argument #1 to 'write_csv' (string expected, got " .. type(path) .. ")", 2)
  end
  local cols = columns_of(rows, columns, "write_csv")
  local out = {}
  local head = {}
  for j, c in ipairs(cols) do head[j] = csv_field(c.title) end
  out[1] = concat(head, ",")
  for i, r in ipairs(rows) do
    if type(r) ~= "table" then
      error(("bad argument #2 to 'write_csv' (row %d is not a table)"):format(i), 2)
    end
    local f = {}
    for j, c in ipairs(cols) do f[j] = csv_field(r[c.key]) end
    out[#out + 1] = concat(f, ",")
  end
  -- atomically: write a temporary file next to the target, then rename
  local tmp = ("%s.tmp%d"):format(path, math.random(1, 1 << 30))
  local fh, msg = io.open(tmp, "w")
  if not fh then return nil, msg end
  local ok, werr = fh:write(concat(out, "\n"), "\n")
  local closed, cerr = fh:close()
  if not ok or not closed then
    os.remove(tmp)
    return nil, ("%s: %s"):format(path, tostring(werr or cerr))
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rerr
  end
  return true
end

cf.doc_add(cf.write_csv, "cf.write_csv", "cf.write_csv(path, rows [, columns]) -> true | nil, msg",
[[Write rows (a list of tables) as a CSV file with a header line.
columns as for cf.table_format (the titles are the header; fmt is not
used: numbers are written with full precision).  Fields with commas,
quotes or newlines are quoted.  The file is written atomically: to a
temporary file in the same directory, then renamed over path, so a
reader never sees half a file.  An unwritable path returns nil, message.]], "cf")
