#!/bin/sh
# vgg_fmnist.sh — experiment 2 of share/doc/results.md: a VGG-style pair of
# different depths on Fashion-MNIST (no biases, no BN):
#   A = vgg 16 16 M 32 32 M 32 32 M  (6 convs)   B = vgg 16 M 32 M 32 M  (3 convs)
# trained EPOCHS (default 4) epochs with SGD lr 0.02, momentum 0.9, wd 5e-4,
# batch 64, the same seed for both; fused with CLAFusion `add` using the
# activation-based linear-CKA layer cost (cla.measure=activation,
# cla.metric=cka; the map is structural per pooling chunk anyway, §3.5),
# plus the `chain` and seeded `random` baselines; each fused model and both
# parents are finetuned FT_EPOCHS (default 1) epochs with the same recipe.
#
#   usage: scripts/experiments/vgg_fmnist.sh [SEED...]     (default 0)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp)
set -eu
EPOCHS=${EPOCHS:-4}
FT=${FT_EPOCHS:-1}
SEEDS=${*:-0}
A='vgg 16 16 M 32 32 M 32 32 M classes 10 in 1x28x28 nobias'
B='vgg 16 M 32 M 32 M classes 10 in 1x28x28 nobias'
. "$(dirname "$0")/lib.sh"
for s in $SEEDS; do
	d=$EXP/vgg/seed$s
	train_pair "$d" "$s" "$A" "$B" --epochs "$EPOCHS" --batch 64 --lr 0.02 --momentum 0.9 \
		--wd 5e-4
	run() { # name, extra options
		fuse_run "$d" "$@" --set cla.measure=activation --set cla.metric=cka \
			--set finetune.epochs="$FT" --set finetune.lr=0.02 --set finetune.momentum=0.9 \
			--set finetune.weight_decay=5e-4
	}
	run add --set finetune.parents=1
	run chain --set cla.method=chain
	run random --set cla.method=random --set cla.seed=$s
done
