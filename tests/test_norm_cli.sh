#!/bin/sh
# test_norm_cli.sh — input normalisation end to end (TAP): a model records
# what it was trained with, `info` shows it, `eval` honours it (the
# accuracy training measured, and a different one under other statistics),
# --norm overrides it, `fuse` refuses parents that disagree and the fused
# model states what it was built with, and nothing stated is said once.
. "${top_srcdir:-.}/tests/tap_lib.sh"

"$CLAFUSE" eval m.safetensors --norm 0.5 > "$T/out" 2>&1; [ $? -eq 2 ] &&
	grep -q "^clafuse eval: --norm: '0.5' is not a normalisation, expected MEAN,STD" "$T/out"
ok $? "a malformed --norm: exit 2, says what is expected"
"$CLAFUSE" fuse a b --norm 0.5,0 > "$T/out" 2>&1; [ $? -eq 2 ] && grep -q 'std of channel 0 is 0' "$T/out"
ok $? "fuse --norm with std 0: exit 2 before loading anything"

need_fmnist 16

# MNIST's usual statistics, as a PyTorch script would state them
"$CLAFUSE" train --arch "mlp 784-64-10" --epochs 1 --subset 3000 --lr 0.05 --momentum 0.9 \
	--norm 0.1307,0.3081 -o "$T/a.safetensors" > "$T/train" 2>&1
ok $? "train --norm exits 0"
grep -q '^data .*normalised 0.1307/0.3081' "$T/train"; ok $? "train says which normalisation it used"
acc=$(awk '$1 == "1/1" { sub("%", "", $5); print $5 }' "$T/train")
"$CLAFUSE" info "$T/a.safetensors" > "$T/info" 2>&1
grep -q '^normalised  0.1307/0.3081 (mean/std of pixel/255, 1 channel)' "$T/info" &&
	grep -q '^  clafuse.norm = 0.1307/0.3081' "$T/info"
ok $? "train -> info: the model records its normalisation"
"$CLAFUSE" eval "$T/a.safetensors" > "$T/eval" 2> "$T/eval.err"
grep -q "accuracy $acc%" "$T/eval" && [ ! -s "$T/eval.err" ]
ok $? "eval honours the model's statement: the accuracy training measured ($acc%), no note"
"$CLAFUSE" eval "$T/a.safetensors" --norm 0.286,0.353 > "$T/eval2" 2>&1
acc2=$(sed -n 's/.*accuracy \([0-9.]*\)%.*/\1/p' "$T/eval2")
[ -n "$acc2" ] && [ "$acc2" != "$acc" ]
ok $? "--norm overrides it: other statistics, another accuracy ($acc2% vs $acc%)"

# the same recipe with Fashion-MNIST's own statistics (what nothing-stated means)
"$CLAFUSE" train --arch "mlp 784-64-10" --epochs 1 --subset 3000 --lr 0.05 --momentum 0.9 \
	--seed 2 -o "$T/b.safetensors" > "$T/trainb" 2> "$T/trainb.err"
grep -q "clafuse train: no input normalisation stated .*own statistics 0.2860406/0.35302424" \
	"$T/trainb.err" && [ "$(wc -l < "$T/trainb.err")" -eq 1 ]
ok $? "nothing stated: train says once which statistics it uses"
"$CLAFUSE" info "$T/b.safetensors" | grep -q '^normalised  0.2860406/0.35302424'
ok $? "and records them"

"$CLAFUSE" fuse "$T/a.safetensors" "$T/b.safetensors" -q > "$T/fuse" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "the models disagree on their input normalisation: .*a.safetensors states 0.1307/0.3081, .*b.safetensors states 0.2860406/0.35302424" "$T/fuse"
ok $? "fuse of parents that disagree: exit 1, the message names both (rc $rc)"
"$CLAFUSE" fuse "$T/a.safetensors" "$T/b.safetensors" -q --norm 0.1307,0.3081 -o "$T/f.safetensors" \
	> "$T/fuse2" 2>&1
[ $? -eq 0 ] && "$CLAFUSE" info "$T/f.safetensors" | grep -q '^normalised  0.1307/0.3081'
ok $? "--norm states one for both: the fusion runs, the fused model states it"

"$CLAFUSE" train --arch "mlp 784-64-10" --epochs 1 --subset 3000 --lr 0.05 --momentum 0.9 \
	--seed 3 --norm 0.1307,0.3081 -o "$T/c.safetensors" > /dev/null 2>&1
"$CLAFUSE" fuse "$T/a.safetensors" "$T/c.safetensors" -q -o "$T/ac.safetensors" > "$T/fuse3" 2>&1
[ $? -eq 0 ] && [ ! -s "$T/fuse3.err" ] 2>/dev/null; [ $? -eq 0 ] && ! grep -q 'no input normalisation stated' "$T/fuse3"
ok $? "parents that agree: their statement normalises the data (no note)"
"$CLAFUSE" info "$T/ac.safetensors" | grep -q '^normalised  0.1307/0.3081'
ok $? "the fused model states the normalisation it was built with"
fa=$(awk '$1 == "fused" { print $2 }' "$T/fuse3")
"$CLAFUSE" eval "$T/ac.safetensors" | grep -q "accuracy $fa" 
ok $? "eval of the fused model reproduces fuse's figure ($fa) under that statement"

# a model stating nothing: eval says once what it uses
"$CLAFUSE" eval "$top_srcdir/share/models/mlp_b.safetensors" > /dev/null 2> "$T/note"
[ "$(grep -c 'no input normalisation stated' "$T/note")" -eq 1 ]
ok $? "eval of a model stating nothing: one note naming the statistics"
# scripts/torch_interop.py carries the statement both ways
. "$top_srcdir/tests/torch_lib.sh"
if torch_installed; then
	py "$T/pt" export --arch "mlp 784-32-10" --epochs 1 --norm 0.1307,0.3081 \
		--out "$T/pt.safetensors"
	py "$T/a.pt" eval "$T/a.safetensors"
	py_run
	"$CLAFUSE" info "$T/pt.safetensors" | grep -q '^normalised  0.1307/0.3081'
	ok $? "PyTorch -> clafuse: the exported file states its normalisation"
	"$CLAFUSE" eval "$T/pt.safetensors" > "$T/pt.cf" 2>&1
	a=$(pt_fig "$T/pt") b=$(cf_fig "$T/pt.cf")
	same "$a" "$b"; ok $? "PyTorch -> clafuse: the same figures under it ($a / $b)"
	"$CLAFUSE" eval "$T/a.safetensors" > "$T/a.cf" 2>&1
	a=$(pt_fig "$T/a.pt") b=$(cf_fig "$T/a.cf")
	grep -q 'normalised 0.1307/0.3081' "$T/a.pt" && same "$a" "$b"
	ok $? "clafuse -> PyTorch: the script reads clafuse.norm, same figures ($a / $b)"
else
	skip "python3-torch not installed"; skip "python3-torch not installed"
	skip "python3-torch not installed"
fi
echo "1..$n"
