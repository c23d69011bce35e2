#!/bin/sh
# resnet_bn_fmnist.sh — a ResNet pair of different depths *with BatchNorm*
# on Fashion-MNIST (share/doc/results.md, experiment 4, and
# share/doc/beyond.md): the fusion session folds each BN into the
# convolution before it, aligns and fuses the BN-free, biased networks, and
# finetunes the fused one.
#   A = resnet 2,2 width 16 (4 blocks)   B = resnet 1,1 width 16 (2 blocks)
# trained EPOCHS (default 3) epochs with SGD lr 0.05, momentum 0.9, wd 5e-4,
# batch 64, the same seed for both; fused with CLAFusion `add` and the
# activation-based CKA layer cost: as published (add), with REPAIR
# (repair), with the plans tied along each residual stream (tied,
# fusion.residual_tied), tied with REPAIR (tied_repair), with B′'s
# zero blocks taken from A alone (tied_repair_keepA), and the same with
# REPAIR of the residual branches (fusion.repair_branches: tied_rb,
# tied_rb_keepA; with REPAIR of the logits too, tied_rb_logits).  Also A
# transported fully (fusion.step=0) as published (step0) and tied
# (tied_step0), which must give A's accuracy.  First every run without
# finetuning (NAME0), then add and tied_repair finetuned FT_EPOCHS (default 1)
# epochs with lr 0.002 (BN-free after the fold, the deeper parent diverges
# at lr 0.01), and both parents the same epochs (in the add run), unless
# NOFT=1.  One JSON report per run in $EXP/resnet_bn/seed$S/; reruns
# resume (existing reports are kept).  The table:
#   python3 scripts/experiments/options_table.py resnet $EXP/resnet_bn SEED...
#
#   usage: scripts/experiments/resnet_bn_fmnist.sh [SEED...]     (default 0)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp),
#          FT_EPOCHS (default 1), NOFT (1: the runs without finetuning only)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
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
	run() { # name, extra options; a run already reported is kept
		[ -f "$d/$1.json" ] || fuse_run "$d" "$@" --set cla.measure=activation \
			--set cla.metric=cka
	}
	tied="--set fusion.residual_tied=1"
	# B′'s zero blocks (A's weight layers 4, 5, 9, 10 for this pair's map)
	# taken from A alone: fusion.step 0 there
	keep="--layer 4:fusion.step=0 --layer 5:fusion.step=0 --layer 9:fusion.step=0
	      --layer 10:fusion.step=0"
	run step0 --set fusion.step=0
	run tied_step0 $tied --set fusion.step=0
	run add0
	run repair0 --set fusion.repair=1
	run tied0 $tied
	run tied_repair0 $tied --set fusion.repair=1
	run tied_repair_keepA $tied $keep --set fusion.repair=1
	rb="--set fusion.repair=1 --set fusion.repair_branches=1"
	run tied_rb0 $tied $rb
	run tied_rb_logits0 $tied $rb --set fusion.repair_logits=1
	run tied_rb_keepA $tied $keep $rb
	[ "${NOFT:-0}" = 1 ] && continue
	ft="--set finetune.epochs=$FT --set finetune.lr=0.002 --set finetune.momentum=0.9
	    --set finetune.weight_decay=5e-4"
	run add $ft --set finetune.parents=1
	run tied_repair $ft $tied --set fusion.repair=1
done
python3 "$here/options_table.py" resnet "$EXP/resnet_bn" $SEEDS
