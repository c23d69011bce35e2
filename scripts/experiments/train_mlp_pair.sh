#!/bin/sh
# train_mlp_pair.sh — train the paper's MLP ablation pair on Fashion-MNIST
# for the given seeds (default 0..4): A = 784-400-200-100-50-25-10, B =
# 784-400-200-100-10, no biases, 10 epochs, SGD lr 0.01 momentum 0.5
# batch 64.  As in the reference, both models of a run use the same seed.
# Models go to $EXP/mlp/seed$S/{a,b}.safetensors (existing ones are kept);
# the seed-0 pair is also copied to $EXP/models/mlp_{a,b}.safetensors.
#
#   usage: scripts/experiments/train_mlp_pair.sh [SEED...]
#   env:   CLAFUSE (binary, default _build/clafuse), EXP (default ./exp)
set -eu
SEEDS=${*:-0 1 2 3 4}
A='mlp 784-400-200-100-50-25-10 nobias'
B='mlp 784-400-200-100-10 nobias'
. "$(dirname "$0")/lib.sh"
for s in $SEEDS; do
	train_pair "$EXP/mlp/seed$s" "$s" "$A" "$B" --epochs 10 --batch 64 --lr 0.01 \
		--momentum 0.5
done
if [ -f "$EXP/mlp/seed0/a.safetensors" ] && [ -f "$EXP/mlp/seed0/b.safetensors" ]; then
	mkdir -p "$EXP/models"
	cp "$EXP/mlp/seed0/a.safetensors" "$EXP/models/mlp_a.safetensors"
	cp "$EXP/mlp/seed0/b.safetensors" "$EXP/models/mlp_b.safetensors"
fi
