-- multi_model.lua — fusing more than two models: K MLPs of different
-- depths (trained from different seeds on Fashion-MNIST) fused into one,
-- `iterative` (each model fused into the running result in turn) against
-- `many-to-one` (every model transported onto the deepest and averaged).
-- Prints each parent's accuracy, the prediction ensemble of all K, and
-- the fused model of each method, with the fusion time, and the finding:
-- which method keeps more of the parents' accuracy.
--
--   clafuse run scripts/examples/multi_model.lua              # under 30 s
--   clafuse run scripts/examples/multi_model.lua --models 5    # more parents
--   clafuse run scripts/examples/multi_model.lua --paper       # wider, longer
--   clafuse run scripts/examples/multi_model.lua --tiny        # seconds (tests)
local o = cf.args(arg, {
  models = 3, width = 100, epochs = 5, train = 20000, test = 5000, samples = 200,
  lr = 0.05, seed = 1, paper = false, tiny = false, quiet = false,
}, "usage: clafuse run multi_model.lua [options]\n"
   .. "model i has hidden widths width, width/2, ... with 2 + (i-1) % 3 hidden layers")
if o.paper then
  o.width, o.epochs, o.train, o.test, o.lr = 400, 10, 60000, 10000, 0.01
elseif o.tiny then
  o.width, o.epochs, o.train, o.test, o.samples = 16, 1, 500, 300, 40
end
if o.models < 2 or o.models > 16 then
  error("--models must be between 2 and 16", 0)
end

local function log(...)
  if not o.quiet then io.stderr:write(string.format(...), "\n") end
end
local train = assert(cf.data.fashion_mnist_subset("train", o.train, o.seed))
local test = assert(cf.data.fashion_mnist_subset("test", o.test, o.seed + 1))

-- parents: depths cycle through 2, 3, 4 hidden layers
local archs, models = {}, {}
for i = 1, o.models do
  local depth, w, widths = 2 + (i - 1) % 3, o.width, {}
  for k = 1, depth do widths[k] = math.max(4, w); w = w // 2 end
  archs[i] = "mlp 784-" .. table.concat(widths, "-") .. "-10 nobias"
  log("training model %d: %s (%d epochs on %d samples)", i, archs[i], o.epochs, train:size())
  models[i] = cf.model.new(archs[i], o.seed + 10 * i)
  models[i]:train(train, { epochs = o.epochs, lr = o.lr, momentum = 0.5, batch = 64, seed = o.seed + i })
end

local order = {}
for i = 1, o.models do order[i] = i end
table.sort(order, function(a, b)
  local da, db = 2 + (a - 1) % 3, 2 + (b - 1) % 3
  if da ~= db then return da > db end
  return a < b
end)
local pos = {}
for k, i in ipairs(order) do pos[i] = k end

local rows, metrics = {}, nil
for _, method in ipairs{ "iterative", "many-to-one" } do
  local s <close> = cf.session.new{ data = { train, test }, params = {
    ["fusion.multi"] = method, ["data.samples"] = o.samples, ["balance.method"] = "add",
  } }
  -- deepest first: many-to-one transports every model onto the first
  for _, i in ipairs(order) do s:add_model(models[i], "model " .. i) end
  log("fusing %d models, %s", o.models, method)
  s:run("evaluation")
  metrics = s:metrics()
  rows[#rows + 1] = { model = "fused, " .. method, arch = s:fused():arch(), acc = 100 * metrics.fused,
                      time = s:time("fusion") }
end

print(("Fusing %d MLPs on Fashion-MNIST (%d training samples, %d test samples, N = %d)\n")
      :format(o.models, train:size(), test:size(), o.samples))
local out = {}
local sum = 0
for i = 1, o.models do
  out[#out + 1] = { model = "model " .. i, arch = archs[i], acc = 100 * metrics.parents[pos[i]] }
  sum = sum + metrics.parents[pos[i]]
end
out[#out + 1] = { model = "mean of the parents", acc = 100 * sum / o.models }
out[#out + 1] = { model = "prediction ensemble", arch = o.models .. " forward passes", acc = 100 * metrics.ensemble }
for _, r in ipairs(rows) do out[#out + 1] = r end
cf.table_print(out, { "model", { "arch", "architecture" }, { "acc", "accuracy %", "%.2f" },
                      { "time", "fusion time (s)", "%.3f" } })

-- the finding, decided from the numbers above
local it, mo = rows[1], rows[2]
local better, worse = it, mo
if mo.acc > it.acc then better, worse = mo, it end
local mean, ens = 100 * sum / o.models, 100 * metrics.ensemble
local function rel(x, ref)
  return ("%.2f points %s"):format(math.abs(x - ref), x < ref and "below" or "above")
end
print(("\nFinding: %s keeps more of the parents' accuracy (%.2f%% against %.2f%% for %s); "
       .. "it is %s the mean of the parents (%.2f%%) and %s the ensemble of all %d (%.2f%%, "
       .. "%d forward passes instead of one).")
      :format((better.model:gsub("^fused, ", "")), better.acc, worse.acc,
              (worse.model:gsub("^fused, ", "")), rel(better.acc, mean), mean,
              rel(better.acc, ens), o.models, ens, o.models))
