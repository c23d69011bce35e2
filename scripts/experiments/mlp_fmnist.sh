#!/bin/sh
# mlp_fmnist.sh — experiment 1 of share/doc/results.md: the paper's MLP pair
# (A = 784-400-200-100-50-25-10, B = 784-400-200-100-10, no biases) on
# Fashion-MNIST, seeds 0..4.  Trains the pairs if missing
# (train_mlp_pair.sh), then for every seed fuses them with CLAFusion `add`,
# `merge` (ReLU approximations avg and sum), and the `chain` and seeded
# `random` baselines, each followed by 2 epochs of finetuning with the
# training recipe (SGD lr 0.01, momentum 0.5, batch 64); the parents are
# finetuned for the same 2 epochs in the `add` run.  One JSON report per
# run in $EXP/mlp/seed$S/; the table is printed by mlp_table.py.
#
#   usage: scripts/experiments/mlp_fmnist.sh [SEED...]
#   env:   CLAFUSE (default _build/clafuse), EXP (default ./exp),
#          FT_EPOCHS (default 2)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
FT=${FT_EPOCHS:-2}
mlp_pairs "$@"
for s in $SEEDS; do
	d=$EXP/mlp/seed$s
	run() { # name, extra options
		fuse_run "$d" "$@" --set finetune.epochs="$FT"
	}
	run add --set finetune.parents=1
	run merge_avg --set balance.method=merge --set balance.relu_approx=avg
	run merge_sum --set balance.method=merge --set balance.relu_approx=sum
	run chain --set cla.method=chain
	run random --set cla.method=random --set cla.seed=$s
done
python3 "$here/mlp_table.py" "$EXP/mlp" $SEEDS
