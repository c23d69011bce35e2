#!/bin/sh
# test_pt_torch.sh — checkpoints written by PyTorch's own torch.save open in
# clafuse with no --arch, and clafuse's .pt files open in PyTorch (TAP).
# tests/pt_checkpoints.py trains small MLPs, VGGs and ResNets (with and
# without BatchNorm, in the naming styles people use: fcK, nn.Sequential,
# layers.K, features/classifier, shortcut/linear, torchvision's
# downsample/fc, DataParallel's module.), saves them in the zip and the
# legacy format, bare and inside wrapper dicts, with F16 weights, strided
# views and shared storages, and records PyTorch's test figures.  clafuse
# must infer each architecture and evaluate to the same figures; a model
# fused by clafuse and one re-saved from Lua as .pt must load with
# torch.load(weights_only=True) and load_state_dict(strict=True) and
# evaluate in PyTorch to clafuse's figures.  Skips when Debian's
# python3-torch or Fashion-MNIST is missing.
. "${top_srcdir:-.}/tests/tap_lib.sh"
. "$top_srcdir/tests/torch_lib.sh"
torch_need
GEN="$top_srcdir/tests/pt_checkpoints.py"

$PY "$GEN" make "$T" > "$T/make.log" 2>&1
ok $? "PyTorch trains and saves the checkpoints"

# name  the architecture clafuse must infer
while read -r f arch; do
	"$CLAFUSE" info "$T/$f" > "$T/$f.info" 2>&1
	got=$(sed -n 's/^architecture //p' "$T/$f.info")
	[ "$got" = "$arch" ]; ok $? "$f: inferred as '$arch' (got '$got')"
done <<'LIST'
mlp_fc.pt mlp 784-64-32-10 nobias in 1x28x28
mlp_fc_legacy.pth mlp 784-64-32-10 nobias in 1x28x28
mlp_fc_views.pt mlp 784-64-32-10 nobias in 1x28x28
mlp_fc_views_legacy.pt mlp 784-64-32-10 nobias in 1x28x28
mlp_dp.pt mlp 784-64-32-10 nobias in 1x28x28
mlp_fc_b.pt mlp 784-64-32-10 nobias in 1x28x28
mlp_f16.pt mlp 784-64-32-10 in 1x28x28
mlp_seq.pt mlp 784-48-10 in 1x28x28
mlp_layers_legacy.pt mlp 784-40-24-10 in 1x28x28
vgg.pt vgg 8 M 16 M classes 10 in 1x28x28
vgg_legacy.pth vgg 8 M 16 M classes 10 in 1x28x28
vgg_bn.pt vgg 8 M 16 M classes 10 in 1x28x28 bn
vgg_bn_legacy.pth vgg 8 M 16 M classes 10 in 1x28x28 bn
vgg_nofinalpool.pt vgg 8 M 16 classes 10 in 1x28x28
resnet.pt resnet 1,1 width 8 classes 10 in 1x28x28
resnet_legacy.pth resnet 1,1 width 8 classes 10 in 1x28x28
resnet_nobn.pt resnet 1,1 width 8 classes 10 in 1x28x28 nobn convbias
resnet_nobn_legacy.pth resnet 1,1 width 8 classes 10 in 1x28x28 nobn convbias
resnet_tv.pt resnet 1,1 width 8 classes 10 in 1x28x28
resnet_tv_legacy.pth resnet 1,1 width 8 classes 10 in 1x28x28
LIST

grep -q "torch.test_accuracy = 0.5" "$T/vgg_legacy.pth.info" && grep -q "torch.wrapper = model" "$T/vgg_legacy.pth.info"
ok $? "the wrapper's test_accuracy is shown as metadata"

# Accuracy and loss equal PyTorch's (one file per model and format; the
# ResNets are the slow ones).
for f in mlp_fc.pt mlp_fc_legacy.pth mlp_fc_views.pt mlp_fc_views_legacy.pt mlp_dp.pt mlp_f16.pt \
	mlp_seq.pt mlp_layers_legacy.pt vgg.pt vgg_bn_legacy.pth vgg_nofinalpool.pt \
	resnet.pt resnet_nobn_legacy.pth resnet_tv.pt; do
	"$CLAFUSE" eval "$T/$f" > "$T/$f.cf" 2>&1
	a=$(pt_fig "$T/$f.expect") b=$(cf_fig "$T/$f.cf")
	same "$a" "$b"; ok $? "$f: clafuse evaluates to PyTorch's figures ($a / $b)"
done

# Checkpoints trained under another normalisation than Fashion-MNIST's own:
# with the statement, PyTorch's figures; two of them fused equal their
# safetensors copies fused with the same statement, bit for bit.
for f in mlp_norm1.pth mlp_norm2.pth; do
	"$CLAFUSE" eval "$T/$f" --norm 0.1307,0.3081 > "$T/$f.cf" 2>&1
	a=$(pt_fig "$T/$f.expect") b=$(cf_fig "$T/$f.cf")
	same "$a" "$b"; ok $? "$f with --norm 0.1307,0.3081: PyTorch's figures ($a / $b)"
done
"$CLAFUSE" eval "$T/mlp_norm1.pth" > "$T/norm_default.cf" 2>&1
a=$(pt_fig "$T/mlp_norm1.pth.expect") b=$(cf_fig "$T/norm_default.cf")
! same "$a" "$b"; ok $? "without the statement the figures differ ($a / $b)"
"$CLAFUSE" -e "for _, m in ipairs{'mlp_norm1', 'mlp_norm2'} do
	assert(cf.model.load('$T/' .. m .. '.pth')):save('$T/' .. m .. '.safetensors') end" > "$T/ncopy.out" 2>&1
"$CLAFUSE" fuse "$T/mlp_norm1.pth" "$T/mlp_norm2.pth" --norm 0.1307,0.3081 -q \
	-o "$T/nfused.pt" > "$T/nfuse.out" 2>&1 &&
	"$CLAFUSE" fuse "$T/mlp_norm1.safetensors" "$T/mlp_norm2.safetensors" --norm 0.1307,0.3081 -q \
		-o "$T/nfused_st.safetensors" > "$T/nfuse_st.out" 2>&1 &&
	$PY "$GEN" same "$T/nfused.pt" "$T/nfused_st.safetensors" > "$T/nsame.out" 2>&1
ok $? "two .pth fused with the statement = their safetensors copies fused with it, bit for bit"

# clafuse's outputs as .pt, back in PyTorch.
"$CLAFUSE" fuse "$T/mlp_fc.pt" "$T/mlp_fc_b.pt" --data fashion-mnist -o "$T/fused.pt" > "$T/fuse.out" 2>&1
ok $? "clafuse fuse of two PyTorch checkpoints writes fused.pt"
desc=$("$CLAFUSE" info "$T/fused.pt" | sed -n 's/^architecture //p')
"$CLAFUSE" eval "$T/fused.pt" > "$T/fused.cf" 2>&1
$PY "$GEN" check "$T/fused.pt" "$desc" > "$T/fused.pt.out" 2>&1
ok $? "fused.pt: torch.load(weights_only=True), load_state_dict(strict=True)"
a=$(cf_fig "$T/fused.cf") b=$(pt_fig "$T/fused.pt.out")
same "$a" "$b"; ok $? "fused.pt: the same figures in PyTorch ($a / $b)"

# The same parents as safetensors copies fuse to the same model.
"$CLAFUSE" -e "for _, m in ipairs{'mlp_fc', 'mlp_fc_b'} do
	assert(cf.model.load('$T/' .. m .. '.pt')):save('$T/' .. m .. '.safetensors') end" > "$T/copy.out" 2>&1
"$CLAFUSE" fuse "$T/mlp_fc.safetensors" "$T/mlp_fc_b.safetensors" --data fashion-mnist \
	-o "$T/fused_st.safetensors" > "$T/fuse_st.out" 2>&1
$PY "$GEN" same "$T/fused.pt" "$T/fused_st.safetensors" > "$T/same.out" 2>&1
ok $? "fusing the checkpoints and their safetensors copies gives the same model, bit for bit ($(cat "$T/same.out"))"

"$CLAFUSE" -e "assert(cf.model.load('$T/vgg_bn_legacy.pth')):save('$T/resaved.pt')" > "$T/lua.out" 2>&1
ok $? "Lua: a legacy checkpoint loads and saves as .pt (m:save)"
$PY "$GEN" check "$T/resaved.pt" "vgg 8 M 16 M classes 10 in 1x28x28 bn" > "$T/resaved.out" 2>&1
ok $? "resaved.pt loads into PyTorch's module with strict=True"
a=$(pt_fig "$T/vgg_bn_legacy.pth.expect") b=$(pt_fig "$T/resaved.out")
same "$a" "$b"; ok $? "resaved.pt: PyTorch's figures are the original's ($a / $b)"
echo "1..$n"
