-- tap.lua — a small Test Anything Protocol helper for the Lua API tests.
--
-- Each tests/lua/*.lua script does `local t = require "tap"`, calls the
-- checks below and ends with t.done(), which prints the trailing plan.
-- tests/run_lua_test.sh runs the script with `clafuse run` and puts this
-- directory on package.path.  A script that dies before t.done() has no
-- plan, so the TAP driver reports it as failed.
local M = {}
local n, failed = 0, 0

local function report(cond, name)
  n = n + 1
  if not cond then failed = failed + 1 end
  print(("%sok %d - %s"):format(cond and "" or "not ", n, (tostring(name):gsub("\n", " "))))
  return cond
end

function M.diag(msg)
  for line in (tostring(msg) .. "\n"):gmatch("(.-)\n") do print("# " .. line) end
end

--- t.ok(cond, name)
function M.ok(cond, name) return report(cond and true or false, name) end

--- t.is(got, want, name): equality with ==
function M.is(got, want, name)
  local cond = got == want
  if not cond then M.diag(("got:  %s\nwant: %s"):format(tostring(got), tostring(want))) end
  return report(cond, name)
end

--- t.like(str, pattern, name): a Lua pattern search (plain when plain=true)
function M.like(s, pattern, name, plain)
  local cond = type(s) == "string" and s:find(pattern, 1, plain) ~= nil
  if not cond then M.diag(("got: %s\ndoes not match: %s"):format(tostring(s), pattern)) end
  return report(cond, name)
end

--- t.near(got, want, tol, name): |got - want| <= tol * max(1, |want|)
function M.near(got, want, tol, name)
  local scale = math.max(1, math.abs(want))
  local cond = type(got) == "number" and math.abs(got - want) <= tol * scale
  if not cond then M.diag(("got %s, want %s (tol %g)"):format(tostring(got), tostring(want), tol)) end
  return report(cond, name)
end

--- t.raises(fn, pattern, name): fn must raise an error whose message
--- contains pattern (plain text)
function M.raises(fn, pattern, name)
  local okcall, err = pcall(fn)
  local msg = tostring(err)
  local cond = not okcall and msg:find(pattern, 1, true) ~= nil
  if not cond then
    M.diag(okcall and "no error raised" or ("error: " .. msg .. "\nexpected: " .. pattern))
  end
  return report(cond, name)
end

--- t.fails(nil_msg_pair..., pattern, name): an environmental failure
--- returns nil, message
function M.fails(v, msg, pattern, name)
  local cond = v == nil and type(msg) == "string" and msg:find(pattern, 1, true) ~= nil
  if not cond then M.diag(("got %s, %s; expected nil, \"...%s...\""):format(tostring(v), tostring(msg), pattern)) end
  return report(cond, name)
end

function M.done()
  print("1.." .. n)
  return failed == 0
end

return M
