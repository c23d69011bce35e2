-- picture.lua — cf.picture: heatmaps and curves as SVG and PNG files.
local t = require "tap"

local function slurp(p)
  local f = assert(io.open(p, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function be32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local base = os.tmpname()

-- a 2x2 matrix as SVG: one rect per cell, the lowest colour for 0 and the
-- highest for 3 (viridis ends), the title escaped, the axes named
local svg = base .. ".svg"
t.is(cf.picture.heatmap(svg, {{0, 1}, {2, 3}}, {title = "C <2x2>", xlabel = "B", ylabel = "A"}),
     true, "heatmap as SVG")
local s = slurp(svg)
local cells = {}
for fill in s:gmatch('<rect x="%d+" y="%d+" width="200" height="200" fill="(#%x+)"') do
  cells[#cells + 1] = fill
end
t.is(#cells, 4, "four cells of 200 pixels")
t.is(cells[1], "#440154", "the zero cell has viridis' lowest colour")
t.is(cells[4], "#fde725", "the largest cell its highest")
t.like(s, "C &lt;2x2&gt;", "the title, escaped", true)
t.like(s, ">linear, one cell each<", "the legend says the scale", true)
t.like(s, "rotate(-90)\" text-anchor=\"middle\">A<", "the rows named", true)

-- the same as PNG: signature and a size that holds the 400-pixel cells
local png = base .. ".png"
t.is(cf.picture.heatmap(png, cf.matrix({{0, 1}, {2, 3}}), {log = true, cmap = "magma"}), true,
     "heatmap as PNG (log, magma)")
s = slurp(png)
t.is(s:sub(1, 8), "\137PNG\r\n\26\n", "PNG signature")
t.is(s:sub(13, 16), "IHDR", "IHDR first")
t.ok(be32(s, 17) > 400 and be32(s, 21) > 400, "size " .. be32(s, 17) .. "x" .. be32(s, 21))
t.is(s:sub(-8, -5), "IEND", "IEND last")

-- a curve
local cpng = base .. "_c.png"
t.is(cf.picture.curve(cpng, {80, 82.5, 84}, {xlabel = "epoch"}), true, "curve as PNG")
t.is(be32(slurp(cpng), 17), 644, "644 pixels wide")
local csvg = base .. "_c.svg"
cf.picture.curve(csvg, {80, 82.5, 84}, {title = "finetuning"})
t.like(slurp(csvg), 'points="100,344 360,', "the curve from the bottom-left corner", true)

-- errors
t.raises(function() cf.picture.heatmap(base .. ".gif", {{1}}) end, "ending in .svg or .png",
         "a name that is no picture raises")
t.raises(function() cf.picture.heatmap(svg, {{1}}, {cmap = "jet"}) end, "not one of viridis",
         "an unknown colour map raises")
local ok, msg = cf.picture.heatmap("/nonexistent/dir/x.png", {{1}})
t.ok(ok == nil and msg:find("/nonexistent/dir/x.png", 1, true), "an unwritable place: nil, " ..
     tostring(msg))
ok, msg = cf.picture.curve(csvg, {0 / 0})
t.ok(ok == nil and msg:find("no finite point", 1, true), "a curve of NaN: nil, " .. tostring(msg))

for _, p in ipairs{base, svg, png, cpng, csvg} do os.remove(p) end
t.done()
