#!/bin/sh
# Train the golden fusion test's parent models on the data make_data.py
# writes.  Run from this directory with the clafuse to use as $1.  Only
# needed to replace the inputs; tests/test_golden.c regenerates the
# expected fused models with CF_GOLDEN_WRITE=1.
set -e
C=${1:-clafuse}
D=idx:train-images.idx,train-labels.idx,test-images.idx,test-labels.idx
train() { "$C" train --arch "$1" --data $D --epochs 6 --lr 0.05 --batch 32 --seed "$2" -o "$3"; }
train "mlp 64-40-32-24-10 nobias in 1x8x8" 1 mlp_a.safetensors
train "mlp 64-40-24-10 nobias in 1x8x8" 2 mlp_b.safetensors
train "mlp 64-32-10 nobias in 1x8x8" 3 mlp_c.safetensors
train "vgg 8 M 16 16 M classes 10 in 1x8x8" 4 vgg_a.safetensors
train "vgg 8 M 16 M classes 10 in 1x8x8" 5 vgg_b.safetensors
train "resnet 1,1 width 4 classes 10 in 1x8x8" 6 res_a.safetensors
train "resnet 1,1 width 4 classes 10 in 1x8x8" 7 res_b.safetensors
