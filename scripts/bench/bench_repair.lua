-- bench_repair.lua — what REPAIR (fusion.repair, share/doc/beyond.md) costs,
-- against the bound "at most two forward passes per repaired layer over
-- its samples".  On one session of two models it times, interleaved, the
-- fusion step with REPAIR off and on (toggling the parameter makes only
-- the fusion step stale), a forward pass of the fused model over the
-- fusion.repair_samples training inputs REPAIR uses, and the same forward
-- recorded (every layer's activations kept and returned to Lua as
-- matrices: what REPAIR needs, and the Lua side's copies).  Medians of
-- ROUNDS (default 5) rounds after one untimed warm-up, wall and CPU
-- seconds:
--
--   added   = fusion with REPAIR − fusion without
--   ratio   = added / (repaired layers × forward), for the plain and the
--             recorded forward; the bound is 2.
--
--   clafuse run scripts/bench/bench_repair.lua [A B [ROUNDS [norm]]]
--   (default: the bundled MLP pair, 5 rounds; BLAS threads: OpenBLAS's
--   default, every core, unless OPENBLAS_NUM_THREADS says otherwise —
--   share/doc/beyond.md's figures are OPENBLAS_NUM_THREADS=1)
local top = os.getenv("CLAFUSE_TOP") or "."
local pa = arg[1] or top .. "/share/models/mlp_a.safetensors"
local pb = arg[2] or top .. "/share/models/mlp_b.safetensors"
local rounds = tonumber(arg[3] or 5)
local norm = arg[4]
local A = assert(cf.model.load(pa, norm and {norm = norm} or nil))
local B = assert(cf.model.load(pb, norm and {norm = norm} or nil))
local s = assert(cf.session.new{A, B, data = "fashion-mnist", params = {["eval.hybrids"] = 0}})
local n = s:get("fusion.repair_samples")
local X = assert(cf.data.fashion_mnist("train")):subset(n, 1):matrix()

local function timed(f)
  local w, c = cf.clock("wall"), cf.clock("cpu")
  f()
  return cf.clock("wall") - w, cf.clock("cpu") - c
end
local function fusion(on)
  s:set("fusion.repair", on)
  return timed(function() s:run("fusion") end)
end
local function median(t)
  table.sort(t)
  local k = #t
  return k % 2 == 1 and t[(k + 1) // 2] or 0.5 * (t[k // 2] + t[k // 2 + 1])
end

-- warm-up (activations, costs, alignment, balancing once); the evaluation
-- too, once, because only then does the report say how many layers REPAIR
-- renormalised
fusion(0)
s:set("fusion.repair", 1)
s:run()
local F = s:fused()
local nrep = assert(tonumber(s:report():match("REPAIR renormalised (%d+) of")),
                    "no REPAIR line in the session's report")
local off_w, off_c, on_w, on_c, fw_w, fw_c, rw_w, rw_c = {}, {}, {}, {}, {}, {}, {}, {}
print(string.format("%s  pair %s / %s, %d REPAIR samples, %d of %d layers repaired",
                    os.date("!%Y-%m-%d %H:%M UTC"), pa:match("[^/]*$"), pb:match("[^/]*$"),
                    n, nrep, s:layers()))
print("round  fusion-off wall cpu  fusion-on wall cpu  forward wall cpu  recorded wall cpu")
for r = 1, rounds do
  -- off, then on: each call flips the parameter (REPAIR is on from the
  -- round before), so each makes the fusion step stale and reruns it
  local a, b = fusion(0)
  local c, d = fusion(1)
  local e, f, g, h
  collectgarbage()
  e, f = timed(function() F:forward(X) end)
  collectgarbage()
  g, h = timed(function() F:forward(X, {record = true}) end)
  off_w[r], off_c[r], on_w[r], on_c[r], fw_w[r], fw_c[r], rw_w[r], rw_c[r] = a, b, c, d, e, f, g, h
  print(string.format("%5d  %10.4f %7.4f  %9.4f %7.4f  %7.4f %7.4f  %8.4f %7.4f",
                      r, a, b, c, d, e, f, g, h))
end
local ow, oc, nw, nc = median(off_w), median(off_c), median(on_w), median(on_c)
local fw, fc, rw, rc = median(fw_w), median(fw_c), median(rw_w), median(rw_c)
print(string.format("median %10.4f %7.4f  %9.4f %7.4f  %7.4f %7.4f  %8.4f %7.4f",
                    ow, oc, nw, nc, fw, fc, rw, rc))
print(string.format("REPAIR adds %.4f s wall, %.4f s CPU per fusion", nw - ow, nc - oc))
print(string.format("per repaired layer: %.2f forward passes (wall; CPU %.2f), %.2f recorded "
                    .. "forward passes (wall; CPU %.2f); bound 2",
                    (nw - ow) / (nrep * fw), (nc - oc) / (nrep * fc),
                    (nw - ow) / (nrep * rw), (nc - oc) / (nrep * rc)))
