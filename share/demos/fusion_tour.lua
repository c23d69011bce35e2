-- fusion_tour: a fusion session on two small MLPs, step by step, printing each result
--
-- Trains two MLPs of different depths on 2000 Fashion-MNIST images for
-- one epoch, then walks the session through its steps: layer costs, the
-- alignment, the balanced pair, one fusion layer at a time, evaluation,
-- a parameter change (only the later steps go stale) and a per-layer
-- override.  Each step prints what it computed.  Takes a few seconds.
local function say(fmt, ...) print(("\n== " .. fmt):format(...)) end

say("data: 2000 training and 1000 test images of Fashion-MNIST")
local train = assert(cf.data.fashion_mnist("train")):subset(2000, 1)
local test = assert(cf.data.fashion_mnist("test")):subset(1000, 2)

say("two models of different depths, trained one epoch each")
local A = cf.model.new("mlp 784-64-32-16-10", 1)
local B = cf.model.new("mlp 784-48-24-10", 2)
A:train(train, { epochs = 1, lr = 0.05, seed = 1 })
B:train(train, { epochs = 1, lr = 0.05, seed = 2 })
print(A)
print(B)

local s = cf.session{ A, B, data = { train, test }, params = { ["data.samples"] = 200 } }
say("a session: every step starts stale")
cf.show(s)

say("s:run('costs'): activations of 200 samples, then the layer cost matrix C")
s:run("costs")
cf.show(s:costs())
print("(rows: hidden layers of model 0, the deeper; columns: those of model 1)")

say("s:run('alignment'): the cross-layer alignment (1-based units of model 0)")
s:run("alignment")
print("map: " .. table.concat(s:map(), ", "))

say("s:run('balance'): the shallower model gets identity layers")
s:run("balance")
print("balanced model 1 (the shallower, rebuilt): " .. s:balanced(s:rebuilt()):arch())

say("s:step(): the fusion, one layer at a time")
repeat
  local done, total = s:step()
  local y = s:layer(done)
  print(("layer %d/%d %-5s %3dx%-3d  %-8s cost %-10.5g trace ratio %.3f  (%s)"):format(
    done, total, y.name, y.n0, y.n1, y.status, y.cost, y.trace, s:state("fusion")))
until done == total

say("s:run(): evaluation of the parents, the ensemble and the fused model")
s:run()
print(s:report())

say("changing fusion.step marks only the fusion and later steps stale")
s:set("fusion.step", 0.7)
cf.show(s:states())
s:run()
print(("fused accuracy with step 0.7: %.2f%%"):format(100 * s:metrics().fused))

say("a per-layer override: Sinkhorn on layer 2 re-solves layers 2.. only")
local before = s:solves()
s:set_layer(2, "ot.solver", "sinkhorn")
s:set_layer(2, "ot.reg", 0.5)
s:run()
print(("re-solved %d layers; layer 2: %s, %d iterations, cost %.5g"):format(
  s:solves() - before, s:layer(2).solver, s:layer(2).iterations, s:layer(2).cost))
print(("fused accuracy: %.2f%%"):format(100 * s:metrics().fused))

say("the session as the REPL shows it")
cf.show(s)
print("\nTry it yourself: s = cf.session{A, B, data = {train, test}}; help(s)")
s:close()
