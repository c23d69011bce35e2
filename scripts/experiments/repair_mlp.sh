#!/bin/sh
# repair_mlp.sh — the options beyond the published method on the paper's MLP
# pair (share/doc/beyond.md): for every seed, CLAFusion `add` and `merge`
# as published, with REPAIR (fusion.repair), with the width-aware incoming
# map (fusion.width_aware), with REPAIR of the logits
# (fusion.repair_logits), with the cosine ground metric (ground.metric),
# and combinations; the method as published, REPAIR, and REPAIR with
# the logits and cosine are finetuned for FT_EPOCHS epochs, and so are the
# parents (finetune.parents), so that the comparison after finetuning is
# fair.  Trains the pairs if missing (train_mlp_pair.sh); one JSON report
# per run in $EXP/mlp/seed$S/; the table is printed by options_table.py.
#
#   usage: scripts/experiments/repair_mlp.sh [SEED...]
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp),
#          FT_EPOCHS (default 2)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
FT=${FT_EPOCHS:-2}
mlp_pairs "$@"
for s in $SEEDS; do
	d=$EXP/mlp/seed$s
	run() { # name, extra options; a run already reported is kept (reruns resume)
		[ -f "$d/$1.json" ] || fuse_run "$d" "$@"
	}
	for m in add merge; do
		run "r_${m}_pub" --set balance.method=$m --set finetune.epochs=$FT \
			--set finetune.parents=$([ $m = add ] && echo 1 || echo 0)
		run "r_${m}_repair" --set balance.method=$m --set fusion.repair=1 \
			--set finetune.epochs=$FT
		run "r_${m}_width" --set balance.method=$m --set fusion.width_aware=1
		run "r_${m}_rlc" --set balance.method=$m --set fusion.repair=1 \
			--set fusion.repair_logits=1 --set ground.metric=cosine --set finetune.epochs=$FT
		run "r_${m}_both" --set balance.method=$m --set fusion.repair=1 \
			--set fusion.width_aware=1
		run "r_${m}_cos" --set balance.method=$m --set ground.metric=cosine
		run "r_${m}_logits" --set balance.method=$m --set fusion.repair_logits=1
		run "r_${m}_rc" --set balance.method=$m --set fusion.repair=1 \
			--set ground.metric=cosine
		run "r_${m}_rl" --set balance.method=$m --set fusion.repair=1 \
			--set fusion.repair_logits=1
		run "r_${m}_all" --set balance.method=$m --set fusion.repair=1 \
			--set fusion.repair_logits=1 --set ground.metric=cosine --set fusion.width_aware=1
	done
done
python3 "$here/options_table.py" mlp "$EXP/mlp" $SEEDS
