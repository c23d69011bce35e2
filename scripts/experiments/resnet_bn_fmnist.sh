#!/bin/sh
# resnet_bn_fmnist.sh — a ResNet pair of different depths *with BatchNorm*
# on Fashion-MNIST (share/doc/results.md, experiment 4): the fusion session
# folds each BN into the convolution before it, aligns and fuses the
# BN-free, biased networks, and finetunes the fused one.
#   A = resnet 2,2 width 16 (4 blocks)   B = resnet 1,1 width 16 (2 blocks)
# trained EPOCHS (default 3) epochs with SGD lr 0.05, momentum 0.9, wd 5e-4,
# batch 64, the same seed for both; fused with CLAFusion `add` and the
# activation-based CKA layer cost; the fused model and both parents are
# finetuned FT_EPOCHS (default 1) epochs with lr 0.002 (BN-free after the
# fold, the deeper parent diverges at lr 0.01).
#
#   usage: scripts/experiments/resnet_bn_fmnist.sh [SEED...]     (default 0)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp)
set -eu
EPOCHS=${EPOCHS:-3}
FT=${FT_EPOCHS:-1}
SEEDS=${*:-0}
A='resnet 2,2 width 16 classes 10 in 1x28x28'
B='resnet 1,1 width 16 classes 10 in 1x28x28'
. "$(dirname "$0")/lib.sh"
for s in $SEEDS; do
	d=$EXP/resnet_bn/seed$s
	train_pair "$d" "$s" "$A" "$B" --epochs "$EPOCHS" --batch 64 --lr 0.05 --momentum 0.9 \
		--wd 5e-4
	fuse_run "$d" add --set cla.measure=activation --set cla.metric=cka \
		--set finetune.epochs="$FT" --set finetune.lr=0.002 --set finetune.momentum=0.9 \
		--set finetune.weight_decay=5e-4 --set finetune.parents=1
done
