-- ot_pot.lua — the unbalanced cases of POT's own tests (test/unbalanced/
-- test_sinkhorn.py: test_unbalanced_convergence, test_unbalanced_marginals,
-- test_sinkhorn_unbalanced2, test_stabilized_vs_sinkhorn) through cf.ot:
-- the same inputs, and POT 0.8.2's results (ot.unbalanced.
-- sinkhorn_unbalanced, stopThr 1e-13) written down as numbers; plus POT's
-- fixed-point check, and the marginals of different masses and empty
-- weight lists that cf.ot once refused.
local t = require "tap"

-- POT: rng = np.random.RandomState(42); x = rng.randn(100, 2)
local xs = {
  0.49671415301123267,-0.13826430117118466,0.64768853810069249,1.5230298564080254,
  -0.23415337472333597,-0.23413695694918055,1.5792128155073915,0.76743472915290878,
  -0.46947438593495211,0.54256004358596466,-0.46341769281246226,-0.46572975357025687,
  0.24196227156603412,-1.9132802446577979,-1.7249178325130328,-0.56228752924097269,
  -1.0128311203344238,0.31424733259527388,-0.90802407552121089,-1.4123037013352915,
  1.465648768921554,-0.22577630048653566,0.067528204687923837,-1.4247481862134568,
  -0.54438272452518266,0.11092258970986608,-1.1509935774223028,0.37569801834567196,
  -0.60063868991880498,-0.29169374979327678,-0.60170661222939692,1.8522781845089378,
  -0.013497224737933921,-1.0577109289559004,0.82254491210318903,-1.2208436499710222,
  0.2088635950047554,-1.9596701238797756,-1.3281860488984305,0.19686123586912352,
  0.73846657999541043,0.17136828118997049,-0.11564828238824053,-0.30110369558928879,
  -1.4785219903674274,-0.71984420839470864,-0.4606387709597875,1.0571222262189157,
  0.34361828956846141,-1.763040155362734,0.324083969394795,-0.38508228041631654,
  -0.67692200030595873,0.61167628884086789,1.0309995224959509,0.93128011911619857,
  -0.83921752322263854,-0.30921237585121458,0.33126343140356396,0.97554512712235919,
  -0.47917423784528995,-0.18565897666381712,-1.1063349740060282,-1.1962066240806708,
  0.81252582239419802,1.3562400285708229,-0.072010121580333847,1.0035328978920242,
  0.36163602504763415,-0.64511975460512427,0.36139560550841393,1.5380365664659692,
  -0.035826039109951538,1.5646436558140062,-2.6197451040897444,0.82190250437522383,
  0.087047068238171224,-0.29900735046586746,0.091760776535502298,-1.9875689146008928,
  -0.21967188783751193,0.35711257151174641,1.4778940447415161,-0.51827021827364739,
  -0.80849360289318761,-0.50175704358453654,0.91540211770207414,0.32875110965968446,
  -0.52976020376703881,0.5132674331133561,0.097077549348040387,0.96864499053288922,
  -0.70205309387735237,-0.32766214659776821,-0.39210815313215763,-1.4635149481321186,
  0.29612027706457605,0.26105527217988933,0.0051134566424608898,-0.23458713337514692,
  -1.4153707420504142,-0.42064532276535904,-0.34271451652676949,-0.8022772692216189,
  -0.16128571166600914,0.40405085681453839,1.8861859012105302,0.17457781283183896,
  0.25755039072276437,-0.074445915766167214,-1.9187712152990415,-0.026513875449216878,
  0.060230209941026437,2.4632421124852861,-0.19236096478112252,0.30154734233361247,
  -0.034711769705243312,-1.168678037619532,1.1428228145150205,0.75193303268677414,
  0.79103194704304691,-0.90938745479473893,1.4027943109360992,-1.4018510627922809,
  0.58685709380027029,2.1904556258099785,-0.99053632513068834,-0.56629772960277192,
  0.099651365087641219,-0.50347565411619921,-1.5506634310661327,0.068562974806027327,
  -1.0623037137261049,0.47359243063518158,-0.91942423423380315,1.5499344050175394,
  -0.78325329233623708,-0.32206151620567558,0.81351721736966975,-1.2308643164339552,
  0.22745993460412942,1.3071427542824281,-1.6074832345612275,0.18463385853230421,
  0.25988279424842353,0.78182287177731036,-1.2369507108780819,-1.3204566130842763,
  0.52194156561689764,0.29698467323318606,0.25049285034587654,0.34644820949697569,
  -0.68002472157849081,0.23225369716100355,0.29307247329868125,-0.71435141802636781,
  1.8657745111447566,0.47383292091178753,-1.1913034972026486,0.65655360863382972,
  -0.97468167022732144,0.78708460374245204,1.1585955790074041,-0.82068231835171046,
  0.96337612924432181,0.41278092693649832,0.82206015999449,1.8967929826539474,
  -0.2453881160028705,-0.75373616435748958,-0.8895144296255233,-0.81581028496543828,
  -0.0771017094141042,0.34115197481664389,0.27669079933001905,0.8271832490360238,
  0.013001891877907019,1.4535340771573169,-0.26465683323795608,2.7201691665896188,
  0.62566734776500621,-0.85715755641628255,-1.0708924980611123,0.48247241524318529,
  -0.2234627853258509,0.71400049409209199,0.47323762457354485,-0.072828912656872774,
  -0.84679371806840498,-1.5148472246858646,-0.44651495206702108,0.85639879432347232,
  0.21409374413020396,-1.245738778711988,0.173180925851182,0.38531737972883678,
  -0.883857436201133,0.15372510594552791,0.058208718445999896,-1.1429702978306231,
}
local n = 100
local X = cf.matrix(xs):reshape(n, 2)
local M = cf.ot.cost(X, X) -- ot.dist(x, x): squared Euclidean
local a = cf.ones(n) / n

-- POT 0.8.2: total mass and <G, M> for b = 1.5/n (unbalanced masses) and 1/n
local pot = {[1.5] = {mass = 14.566774631762, cost = 11.6228669399438, g11 = 0.00554928860745839},
             [1] = {mass = 12.7252497525246, cost = 10.1535095029651, g11 = 0.00484775012065974}}
for _, scale in ipairs{1.5, 1} do
  local b = cf.ones(n) * (scale / n)
  local opts = {a = a, b = b, solver = "unbalanced", reg = 1, reg_m = 1, tol = 1e-12, max_iter = 100000}
  local r, msg = cf.ot.solve(M, opts)
  t.ok(r and r.status == "converged", "b = " .. scale .. "/n: solve converges (" .. tostring(msg or r.status) .. ")")
  if r then
    local T = r.plan
    t.near(T:sum(), pot[scale].mass, 1e-9, "b = " .. scale .. "/n: total mass as POT")
    t.near(T:mul(M):sum(), pot[scale].cost, 1e-9, "b = " .. scale .. "/n: <G, M> as POT (sinkhorn_unbalanced2)")
    t.near(T:get(1, 1), pot[scale].g11, 1e-9, "b = " .. scale .. "/n: G[1][1] as POT")
    -- POT's fixed-point equations, written on the plan: with row sums r
    -- and column sums c, eps log T_ij + M_ij + tau log(r_i/a_i) + tau log(c_j/b_j) = 0
    local rs, cs = T:sum(2), T:sum(1)
    local resid = T:log() + M + (rs:div(a)):log():reshape(n, 1) + (cs:div(b)):log()
    t.near(resid:abs():max(), 0, 1e-7, "b = " .. scale .. "/n: the fixed-point equations hold (max residual "
           .. string.format("%.1e", resid:abs():max()) .. ")")
  end
  -- the stepping solver takes the same problem
  local s, smsg = cf.ot.solver(M, opts)
  t.ok(s ~= nil, "b = " .. scale .. "/n: cf.ot.solver accepts it (" .. tostring(smsg) .. ")")
  if s then
    local st = s:step(100000)
    t.is(st, "converged", "b = " .. scale .. "/n: the solver converges")
    t.near(s:result().plan:sum(), pot[scale].mass, 1e-9, "b = " .. scale .. "/n: cf.ot.solver's mass as POT")
  end
end

-- test_unbalanced_marginals: empty histograms mean uniform ones
local ru = assert(cf.ot.solve(M, {a = a, b = a, solver = "unbalanced", reg = 1, reg_m = 1, tol = 1e-12}))
local re = assert(cf.ot.solve(M, {a = {}, b = {}, solver = "unbalanced", reg = 1, reg_m = 1, tol = 1e-12}))
t.ok(re.plan == ru.plan, "a = {}, b = {} give the plan of uniform weights")
local rn = assert(cf.ot.solve(M, {solver = "unbalanced", reg = 1, reg_m = 1, tol = 1e-12}))
t.ok(rn.plan == ru.plan, "... as do absent weights")
local Msmall = cf.matrix{{0, 1}, {1, 0}}
t.ok(assert(cf.ot.solve(Msmall, {a = {}})).plan == assert(cf.ot.solve(Msmall)).plan, "exact: a = {} is uniform")
t.ok(assert(cf.ot.solver(Msmall, {b = {}})) ~= nil, "cf.ot.solver takes b = {}")

-- test_stabilized_vs_sinkhorn: 1-D Gaussians (ot.datasets.make_1D_gauss)
-- on M = dist0(n) / median
local function gauss(m, s)
  local h = cf.zeros(n)
  for i = 1, n do h[i] = math.exp(-((i - 1) - m) ^ 2 / (2 * s * s)) end
  return h / h:sum()
end
local G = cf.zeros(n, n)
for i = 1, n do for j = 1, n do G:set(i, j, ((i - j) ^ 2) / 841) end end -- median of dist0(100) = 841
local ga = gauss(20, 5)
for _, c in ipairs{{60, 8, 5.57916581784864, 8.12330962806838}, {30, 4, 7.43446310724236, 1.35725050120317}} do
  local gb = gauss(c[1], c[2])
  local r1 = assert(cf.ot.solve(G, {a = ga, b = gb, solver = "unbalanced", reg = 1, reg_m = 1, tol = 1e-12, max_iter = 100000}))
  t.near(r1.plan:sum(), c[3], 1e-8, "Gaussians m = " .. c[1] .. ": mass as POT")
  t.near(r1.plan:mul(G):sum(), c[4], 1e-8, "Gaussians m = " .. c[1] .. ": <G, M> as POT")
end

-- balanced solvers still refuse marginals of different masses
local v, msg = cf.ot.solve(Msmall, {a = {0.7, 0}, b = {0.2, 0.1}})
t.fails(v, msg, "marginals do not balance", "exact: masses 0.7 and 0.3 return nil, message")
local ru2 = cf.ot.solve(Msmall, {a = {0.7, 0}, b = {0.2, 0.1}, solver = "unbalanced", reg = 0.1})
t.ok(ru2 and ru2.status == "converged", "unbalanced: masses 0.7 and 0.3 solve")
t.done()
