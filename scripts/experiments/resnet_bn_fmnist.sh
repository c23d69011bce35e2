#!/bin/sh
# resnet_bn_fmnist.sh — a ResNet pair of different depths *with BatchNorm*
# on Fashion-MNIST (share/doc/results.md, experiment 4, and
# share/doc/beyond.md): the fusion session folds each BN into the
# convolution before it, aligns and fuses the BN-free, biased networks, and
# finetunes the fused one.
#   A = resnet 2,2 width 16 (4 blocks)   B = resnet 1,1 width 16 (2 blocks)
# trained EPOCHS (default 3) epochs with SGD lr 0.05, momentum 0.9, wd 5e-4,
# batch 64, the same seed for both; fused with CLAFusion `add` and the
# activation-based CKA layer cost, as published (add), with the plans tied
# along each residual stream (tied, fusion.residual_tied), and tied with
# REPAIR (tied_repair).  First without finetuning (NAME0 runs: the
# accuracy before finetuning, and A transported fully, fusion.step=0, as
# published in step0 and tied in tied_step0, which must give A's
# accuracy; tied_s25 and tied_s75: the tied interpolation at fusion.step
# 0.25 and 0.75; tied_keepA and tied_repair_keepA: the layers of the
# zero blocks B′ gets taken from A alone), then each fused model finetuned FT_EPOCHS (default 1) epochs
# with lr 0.002 (BN-free after the fold, the deeper parent diverges at lr
# 0.01), and both parents the same epochs (once, in the `add` run).  One
# JSON report per run in $EXP/resnet_bn/seed$S/; the table is printed by
# resnet_table.py.  Reruns resume (existing reports are kept).
#
#   usage: scripts/experiments/resnet_bn_fmnist.sh [SEED...]     (default 0)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
CLAFUSE=${CLAFUSE:-_build/clafuse}
EXP=${EXP:-./exp}
EPOCHS=${EPOCHS:-3}
FT=${FT_EPOCHS:-1}
SEEDS=${*:-0}
A='resnet 2,2 width 16 classes 10 in 1x28x28'
B='resnet 1,1 width 16 classes 10 in 1x28x28'
. "$here/lib.sh"
for s in $SEEDS; do
	d=$EXP/resnet_bn/seed$s
	train_pair "$d" "$s" "$A" "$B" --epochs "$EPOCHS" --batch 64 --lr 0.05 --momentum 0.9 \
		--wd 5e-4
	run() { # name, extra options
		name=$1; shift
		[ -f "$d/$name.json" ] && return 0
		echo "seed $s: $name" >&2
		nice "$CLAFUSE" fuse "$d/a.safetensors" "$d/b.safetensors" --data fashion-mnist \
			--threads 1 -q --set cla.measure=activation --set cla.metric=cka "$@" \
			--json "$d/$name.tmp.json" > "$d/$name.txt"
		mv "$d/$name.tmp.json" "$d/$name.json"
	}
	ft="--set finetune.epochs=$FT --set finetune.lr=0.002 --set finetune.momentum=0.9
	    --set finetune.weight_decay=5e-4"
	tied="--set fusion.residual_tied=1"
	run step0 --set fusion.step=0
	run tied_step0 $tied --set fusion.step=0
	run add0
	run tied0 $tied
	run tied_repair0 $tied --set fusion.repair=1
	run tied_s25 $tied --set fusion.step=0.25
	run tied_s75 $tied --set fusion.step=0.75
	# B′'s zero blocks (A's weight layers 4, 5, 9, 10 for this pair's map)
	# taken from A alone: fusion.step 0 there
	keep="--layer 4:fusion.step=0 --layer 5:fusion.step=0 --layer 9:fusion.step=0
	      --layer 10:fusion.step=0"
	run tied_keepA $tied $keep
	run tied_repair_keepA $tied $keep --set fusion.repair=1
	run tied $ft $tied
	run tied_repair $ft $tied --set fusion.repair=1
	run add $ft --set finetune.parents=1
done
python3 "$here/resnet_table.py" "$EXP/resnet_bn" $SEEDS
