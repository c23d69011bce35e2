-- permute_model.lua — write a copy of an MLP whose hidden neurons are
-- shuffled by seeded random permutations (the function is unchanged).
-- Fusing a model with such a copy must give the model back: the check of
-- "a fused model of a network with itself equals that network".
--   usage: clafuse run permute_model.lua IN.safetensors OUT.safetensors [SEED]
local inp, outp, seed = ...
local m = assert(cf.model.load(inp))
math.randomseed(tonumber(seed or 1))
local info = m:info()
local L = #info.layers
local prev -- permutation matrix of the previous layer's outputs (n × n)
for l = 1, L do
  local W = m:weight(l)
  if prev then W = W:mm(prev:t()) end      -- columns follow the permuted inputs
  if l < L then
    local n = W:size(1)
    local p = {}
    for i = 1, n do p[i] = i end
    for i = n, 2, -1 do local j = math.random(i); p[i], p[j] = p[j], p[i] end
    local P = cf.zeros(n, n)
    for i = 1, n do P:set(i, p[i], 1) end  -- row i of P·W is row p[i] of W
    W = P:mm(W)
    prev = P
  end
  m:set_weight(l, W)
end
assert(m:save(outp))
