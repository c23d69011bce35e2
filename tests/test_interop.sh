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
INTEROP="$top_srcdir/scripts/torch_interop.py"

check() { # name arch epochs
	name=$1 arch=$2 epochs=$3
	$PY "$INTEROP" export --arch "$arch" --epochs "$epochs" --no-meta \
		--out "$T/$name.pt.safetensors" > "$T/$name.pt" 2>&1
	ok $? "$name: PyTorch writes a plain state dict"
	"$CLAFUSE" eval "$T/$name.pt.safetensors" --arch "$arch" > "$T/$name.cf" 2>&1
	ok $? "$name: clafuse loads PyTorch's file"
	a=$(pt_fig "$T/$name.pt") b=$(cf_fig "$T/$name.cf")
	same "$a" "$b"; ok $? "$name: same accuracy and loss in clafuse ($a / $b)"

	$PY "$INTEROP" convert "$T/$name.pt.safetensors" "$T/$name.f16.safetensors" --dtype f16 \
		> /dev/null 2>&1
	"$CLAFUSE" eval "$T/$name.f16.safetensors" --arch "$arch" > "$T/$name.f16cf" 2>&1
	ok $? "$name: clafuse loads an F16 file"
	$PY "$INTEROP" eval "$T/$name.f16.safetensors" --arch "$arch" > "$T/$name.f16pt" 2>&1
	a=$(pt_fig "$T/$name.f16pt") b=$(cf_fig "$T/$name.f16cf")
	same "$a" "$b"; ok $? "$name: F16 file, same figures ($a / $b)"

	"$CLAFUSE" train --arch "$arch" --epochs 1 --subset 2000 --no-test \
		-o "$T/$name.cf.safetensors" > /dev/null 2>&1
	"$CLAFUSE" eval "$T/$name.cf.safetensors" > "$T/$name.cf2" 2>&1
	$PY "$INTEROP" eval "$T/$name.cf.safetensors" > "$T/$name.pt2" 2>&1
	ok $? "$name: PyTorch loads clafuse's file"
	a=$(cf_fig "$T/$name.cf2") b=$(pt_fig "$T/$name.pt2")
	same "$a" "$b"; ok $? "$name: same accuracy and loss in PyTorch ($a / $b)"
}

check mlp "mlp 784-128-64-10 nobias" 1
check vgg "vgg 8 M 16 M classes 10 in 1x28x28" 0
check resnet "resnet 1,1 width 8 classes 10 in 1x28x28" 0

# BatchNorm folded into the convolutions (what a fusion session does with a
# BN model): the same figures as the BN model, in clafuse and in PyTorch
"$CLAFUSE" -e "assert(cf.model.load('$T/resnet.cf.safetensors'):fold_bn()):save('$T/folded.safetensors')" \
	> "$T/fold.out" 2>&1
ok $? "the trained BN ResNet folds and saves"
"$CLAFUSE" info "$T/folded.safetensors" 2>&1 | grep -q "nobn convbias"
ok $? "the folded ResNet is 'nobn convbias'"
"$CLAFUSE" eval "$T/folded.safetensors" > "$T/folded.cf" 2>&1
a=$(cf_fig "$T/resnet.cf2") b=$(cf_fig "$T/folded.cf")
same "$a" "$b"; ok $? "folded: clafuse's figures equal the BN model's ($a / $b)"
$PY "$INTEROP" eval "$T/folded.safetensors" > "$T/folded.pt" 2>&1
ok $? "folded: PyTorch loads the file (conv biases in the blocks)"
a=$(cf_fig "$T/folded.cf") b=$(pt_fig "$T/folded.pt")
same "$a" "$b"; ok $? "folded: same accuracy and loss in PyTorch ($a / $b)"
echo "1..$n"
