#!/bin/sh
# repair_vgg.sh — the options beyond the published method (share/doc/beyond.md)
# on the VGG pair of vgg_fmnist.sh (same architectures, recipe and models:
# trains them if missing).  CLAFusion `add` with the same layer cost as
# there (activation CKA): as published (pub), with REPAIR (repair), the
# width-aware map (width), REPAIR of the logits (logits), the cosine
# ground metric (cos), and all four (all); and, without finetuning, the
# layers where B′ has an identity (A's convs 2, 4, 6: fusion.step 0 there)
# taken from A alone, as published (keepA), with REPAIR
# (repair_keepA), with REPAIR and REPAIR of the logits (rl_keepA) and with
# those and cosine plans (rlc_keepA).  Each first without finetuning
# (runs NAME0), then pub, repair and all finetuned FT_EPOCHS (default 1)
# epochs with the training recipe, and the parents the same epochs (in the
# pub run), unless NOFT=1.  One JSON report per run in $EXP/vgg/seed$S/;
# reruns resume (existing reports are kept).  The table:
#   python3 scripts/experiments/options_table.py vgg $EXP/vgg SEED...
#
#   usage: scripts/experiments/repair_vgg.sh [SEED...]     (default 0)
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp),
#          FT_EPOCHS (default 1), NOFT (1: the runs without finetuning only)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
EPOCHS=${EPOCHS:-4}
FT=${FT_EPOCHS:-1}
SEEDS=${*:-0}
A='vgg 16 16 M 32 32 M 32 32 M classes 10 in 1x28x28 nobias'
B='vgg 16 M 32 M 32 M classes 10 in 1x28x28 nobias'
for s in $SEEDS; do
	d=$EXP/vgg/seed$s
	train_pair "$d" "$s" "$A" "$B" --epochs "$EPOCHS" --batch 64 --lr 0.02 --momentum 0.9 \
		--wd 5e-4
	run() { # name, extra options; a run already reported is kept
		[ -f "$d/$1.json" ] || fuse_run "$d" "$@" --set cla.measure=activation \
			--set cla.metric=cka
	}
	all="--set fusion.repair=1 --set fusion.width_aware=1 --set fusion.repair_logits=1
	     --set ground.metric=cosine"
	run pub0
	run repair0 --set fusion.repair=1
	run width0 --set fusion.width_aware=1
	run logits0 --set fusion.repair_logits=1
	run cos0 --set ground.metric=cosine
	run all0 $all
	keep="--layer 2:fusion.step=0 --layer 4:fusion.step=0 --layer 6:fusion.step=0"
	run keepA0 $keep
	run repair_keepA0 $keep --set fusion.repair=1
	run rl_keepA0 $keep --set fusion.repair=1 --set fusion.repair_logits=1
	run rlc_keepA0 $keep --set fusion.repair=1 --set fusion.repair_logits=1 \
		--set ground.metric=cosine
	[ "${NOFT:-0}" = 1 ] && continue
	ft="--set finetune.epochs=$FT --set finetune.lr=0.02 --set finetune.momentum=0.9
	    --set finetune.weight_decay=5e-4"
	run pub $ft --set finetune.parents=1
	run repair $ft --set fusion.repair=1
	run all $ft $all
done
python3 "$here/options_table.py" vgg "$EXP/vgg" $SEEDS
