#!/bin/sh
# repair_diag.sh — the candidates tried for a better fused MLP before
# finetuning (share/doc/beyond.md, "What was tried"): on the paper's MLP
# pair (trained by train_mlp_pair.sh), CLAFusion with REPAIR plus one
# change at a time, no finetuning; prints per candidate and balancing
# method the fused accuracy of every seed and their mean.  Per-layer
# candidates name `add`'s fused layers (784-400-200-200-200-100-10: layers
# 3 and 4 average A's layers with B's inserted identity layers).
#
#   usage: scripts/experiments/repair_diag.sh [SEED...]
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp)
set -eu
CLAFUSE=${CLAFUSE:-_build/clafuse}
EXP=${EXP:-./exp}
SEEDS=${*:-0 1 2 3 4}
R="--set fusion.repair=1"
row() { # method, label, options...
	m=$1 label=$2
	shift 2
	accs=""
	for s in $SEEDS; do
		d=$EXP/mlp/seed$s
		a=$(nice "$CLAFUSE" fuse "$d/a.safetensors" "$d/b.safetensors" --data fashion-mnist \
			--threads 1 -q --set balance.method=$m $R "$@" 2>/dev/null |
			awk '$1 == "fused" { sub("%", "", $2); print $2 }')
		accs="$accs ${a:-nan}"
	done
	echo "$accs" | awk -v m="$m" -v l="$label" '{ t = 0; for (i = 1; i <= NF; i++) t += $i
		printf "| %s | %s | %.2f |%s |\n", m, l, t / NF, $0 }'
}
echo "| balancing | REPAIR plus | mean | per seed ($SEEDS) |"
echo "|---|---|---|---|"
for m in add merge; do
	row $m "nothing (REPAIR alone)"
	row $m "fusion.repair_logits=1" --set fusion.repair_logits=1
	row $m "ground.metric=cosine" --set ground.metric=cosine
	row $m "ground.metric=sqeuclidean" --set ground.metric=sqeuclidean
	row $m "fusion.mode=wts" --set fusion.mode=wts
	row $m "data.samples=1000" --set data.samples=1000
	row $m "fusion.repair_samples=5000" --set fusion.repair_samples=5000
	row $m "ot.marginals=l2" --set ot.marginals=l2
	row $m "cla.measure=activation, cla.metric=cka" --set cla.measure=activation \
		--set cla.metric=cka
	row $m "fusion.step=0.4" --set fusion.step=0.4
	row $m "fusion.step=0.6" --set fusion.step=0.6
done
row add "fusion.width_aware on layer 5 only" --layer 5:fusion.width_aware=1
row add "fusion.width_aware on the classifier only" --layer 6:fusion.width_aware=1
row add "fusion.step=0 on the identity-averaged layers 3, 4" --layer 3:fusion.step=0 \
	--layer 4:fusion.step=0
row add "fusion.step=1 on the identity-averaged layers 3, 4" --layer 3:fusion.step=1 \
	--layer 4:fusion.step=1
