#!/bin/sh
# repair_vgg.sh — the options beyond the published method (share/doc/beyond.md)
# on the VGG pair of vgg_fmnist.sh (same architectures, recipe and models:
# trains them if missing): CLAFusion `add` with the same layer cost as
# there, as published, with REPAIR, with REPAIR + REPAIR of the logits,
# and with those and the cosine ground metric; no finetuning.  Prints one
# line per run: seed, variant, fused accuracy.
#
#   usage: scripts/experiments/repair_vgg.sh [SEED...]     (default 0)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp)
set -eu
CLAFUSE=${CLAFUSE:-_build/clafuse}
EXP=${EXP:-./exp}
EPOCHS=${EPOCHS:-4}
SEEDS=${*:-0}
A='vgg 16 16 M 32 32 M 32 32 M classes 10 in 1x28x28 nobias'
B='vgg 16 M 32 M 32 M classes 10 in 1x28x28 nobias'
. "$(dirname "$0")/lib.sh"
for s in $SEEDS; do
	d=$EXP/vgg/seed$s
	train_pair "$d" "$s" "$A" "$B" --epochs "$EPOCHS" --batch 64 --lr 0.02 --momentum 0.9 \
		--wd 5e-4
	run() { # name, options
		name=$1; shift
		nice "$CLAFUSE" fuse "$d/a.safetensors" "$d/b.safetensors" --data fashion-mnist \
			--threads 1 -q --set cla.measure=activation --set cla.metric=cka "$@" \
			--json "$d/r_$name.json" > "$d/r_$name.txt"
		printf 'seed %s\t%s\t%s\n' "$s" "$name" \
			"$(awk '$1 == "fused" { print $2 }' "$d/r_$name.txt")"
	}
	run pub
	run repair --set fusion.repair=1
	run rl --set fusion.repair=1 --set fusion.repair_logits=1
	run rlc --set fusion.repair=1 --set fusion.repair_logits=1 --set ground.metric=cosine
done
