#!/bin/sh
# diagnostics.sh — the checks of share/doc/results.md ("Is the gap a
# defect?") on the seed-0 and seed-1 MLP pairs of mlp_fmnist.sh:
#   1. A fused with a randomly permuted copy of itself (must give A back);
#   2. plain OTFusion of same-architecture pairs trained from different seeds
#      (B0+B1, A0+A1), with and without the output layer's own plan;
#   3. diag_fusion on the CLAFusion pair with the add / chain / random maps:
#      checks of the decisive details, per-layer norms, s = 0 / 1, hybrids.
#   usage: scripts/experiments/diagnostics.sh      (after mlp_fmnist.sh 0 1)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp), BUILD (for diag_fusion)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CLAFUSE=${CLAFUSE:-_build/clafuse}
EXP=${EXP:-./exp}
m=$EXP/mlp
fuse() { nice "$CLAFUSE" fuse "$@" --data fashion-mnist --threads 1 -q; }
echo "== 1. A (seed 0) with a permuted copy of itself"
"$CLAFUSE" run "$here/permute_model.lua" "$m/seed0/a.safetensors" "$m/a_perm.safetensors" 7
fuse "$m/seed0/a.safetensors" "$m/a_perm.safetensors"
for arch in b a; do
	for op in 1 0; do
		echo "== 2. same architecture: $arch seed 0 + $arch seed 1, fusion.output_plan=$op"
		fuse "$m/seed0/$arch.safetensors" "$m/seed1/$arch.safetensors" --set fusion.output_plan=$op
	done
done
for map in cla chain random; do
	echo "== 3. diag_fusion, A+B seed 0, cla.method=$map"
	"$here/diag_fusion.sh" "$m/seed0/a.safetensors" "$m/seed0/b.safetensors" cla.method=$map
done
echo "== 3b. diag_fusion, A seed 0 + A seed 1 (plain OTFusion)"
"$here/diag_fusion.sh" "$m/seed0/a.safetensors" "$m/seed1/a.safetensors"
