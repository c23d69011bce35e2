#!/bin/sh
# test_interop.sh — models move between clafuse and PyTorch with the same
# test accuracy and loss (TAP).  For an MLP, a VGG-style CNN and a ResNet
# with BatchNorm: a file written by PyTorch (scripts/torch_interop.py, plain
# state dict without clafuse's metadata, and as F16) loads in clafuse and
# evaluates to PyTorch's figures, and a file written by clafuse evaluates
# in PyTorch to clafuse's figures; the ResNet with its BatchNorm folded into
# the convolutions keeps its figures on both sides.  Skips when Debian's python3-torch or
# Fashion-MNIST is missing.
. "${top_srcdir:-.}/tests/tap_lib.sh"
. "$top_srcdir/tests/torch_lib.sh"
torch_need

# PyTorch's side runs as two batches, one before and one after clafuse's.
cf() { # OUT ARG...: clafuse ARG... > OUT, its status in OUT.rc
	out=$1; shift
	"$CLAFUSE" "$@" > "$out" 2>&1; echo $? > "$out.rc"
}

models="mlp vgg resnet"
arch_mlp="mlp 784-128-64-10 nobias" epochs_mlp=1
arch_vgg="vgg 8 M 16 M classes 10 in 1x28x28" epochs_vgg=0
arch_resnet="resnet 1,1 width 8 classes 10 in 1x28x28" epochs_resnet=0

# PyTorch: a plain state dict per model, its F16 copy and that copy's figures
for name in $models; do
	eval "arch=\$arch_$name epochs=\$epochs_$name"
	py "$T/$name.pt" export --arch "$arch" --epochs "$epochs" --no-meta --out "$T/$name.pt.safetensors"
	py "$T/$name.convert" convert "$T/$name.pt.safetensors" "$T/$name.f16.safetensors" --dtype f16
	py "$T/$name.f16pt" eval "$T/$name.f16.safetensors" --arch "$arch"
done
py_run
# clafuse: PyTorch's files, and a model of its own per architecture
for name in $models; do
	eval "arch=\$arch_$name"
	cf "$T/$name.cf" eval "$T/$name.pt.safetensors" --arch "$arch"
	cf "$T/$name.f16cf" eval "$T/$name.f16.safetensors" --arch "$arch"
	"$CLAFUSE" train --arch "$arch" --epochs 1 --subset 2000 --no-test \
		-o "$T/$name.cf.safetensors" > /dev/null 2>&1
	cf "$T/$name.cf2" eval "$T/$name.cf.safetensors"
	py "$T/$name.pt2" eval "$T/$name.cf.safetensors"
done
# BatchNorm folded into the convolutions (what a fusion session does with a
# BN model): the same figures as the BN model, in clafuse and in PyTorch
cf "$T/fold.out" -e "assert(cf.model.load('$T/resnet.cf.safetensors'):fold_bn()):save('$T/folded.safetensors')"
cf "$T/folded.info" info "$T/folded.safetensors"
cf "$T/folded.cf" eval "$T/folded.safetensors"
py "$T/folded.pt" eval "$T/folded.safetensors"
py_run

for name in $models; do
	ok "$(rc "$T/$name.pt")" "$name: PyTorch writes a plain state dict"
	ok "$(rc "$T/$name.cf")" "$name: clafuse loads PyTorch's file"
	a=$(pt_fig "$T/$name.pt") b=$(cf_fig "$T/$name.cf")
	same "$a" "$b"; ok $? "$name: same accuracy and loss in clafuse ($a / $b)"
	ok "$(rc "$T/$name.f16cf")" "$name: clafuse loads an F16 file"
	a=$(pt_fig "$T/$name.f16pt") b=$(cf_fig "$T/$name.f16cf")
	same "$a" "$b"; ok $? "$name: F16 file, same figures ($a / $b)"
	ok "$(rc "$T/$name.pt2")" "$name: PyTorch loads clafuse's file"
	a=$(cf_fig "$T/$name.cf2") b=$(pt_fig "$T/$name.pt2")
	same "$a" "$b"; ok $? "$name: same accuracy and loss in PyTorch ($a / $b)"
done
ok "$(rc "$T/fold.out")" "the trained BN ResNet folds and saves"
grep -q "nobn convbias" "$T/folded.info"
ok $? "the folded ResNet is 'nobn convbias'"
a=$(cf_fig "$T/resnet.cf2") b=$(cf_fig "$T/folded.cf")
same "$a" "$b"; ok $? "folded: clafuse's figures equal the BN model's ($a / $b)"
ok "$(rc "$T/folded.pt")" "folded: PyTorch loads the file (conv biases in the blocks)"
a=$(cf_fig "$T/folded.cf") b=$(pt_fig "$T/folded.pt")
same "$a" "$b"; ok $? "folded: same accuracy and loss in PyTorch ($a / $b)"
echo "1..$n"
