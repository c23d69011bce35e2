#!/bin/sh
# test_tui_pictures.sh — the workbench's pictures and its two looks inside
# the fusion, driven in tmux (tmux_lib.sh): x FILE.png of a plan (decoded
# by tests/png_check.py: CRCs, size, the colour of a zero cell and of a
# matched pair), the results screen's hybrids (the numbers `clafuse fuse
# --json` reports) and its finetuning curve as PNG and SVG, and the layer
# screen's matched neurons (the match s:matched reports).  The session
# checks use two tiny MLPs trained here; without Fashion-MNIST they skip.
# Prints TAP.
set -u

. "$(dirname "$0")/tmux_lib.sh"
tmux_setup pictures
srcdir=$(cd "$(dirname "$0")" && pwd)
have_py=0
python3 -c 'import zlib' >/dev/null 2>&1 && have_py=1

# --- a 12×12 exact plan as PNG ---------------------------------------------------
start plan -- --random 12 --solver exact
wait_for "Plan T  it=0"
keys r
wait_for "optimal"
# rows in matching order: the permutation is the diagonal
keys o
wait_for "plans in matching order"
keys : "export plan.png" Enter
wait_for "plan picture written to plan.png"
ok $? "x plan.png on the layer screen"
if [ $have_py -eq 1 ]; then
	# 12 cells of 400/12 = 33 pixels from (66, 38): the title's band above,
	# the row numbers "0".."11" left.  (0,1) is a zero: viridis' lowest
	# colour; (0,0) a matched pair: its highest.
	size=$(python3 "$srcdir/png_check.py" "$tmp/plan.png" 115 54 68 1 84 82 54 253 231 37)
	ok $? "plan.png decodes (CRCs, IHDR, scanlines); zero cell lowest colour, pair highest: $size"
fi
keys : "export plan.svg" Enter
wait_for "plan picture written to plan.svg"
grep -q 'fill="#440154"' "$tmp/plan.svg" && ! ls "$tmp"/*.tmp* >/dev/null 2>&1
ok $? "x plan.svg too, with the zero colour; no temporary file left"
keys q
wait_for "exit=0"

# --- the session screens ---------------------------------------------------------
if ! "$CLAFUSE" train --arch "mlp 784-24-16-12-10 nobias" --epochs 1 --subset 2000 \
	-o "$tmp/A.safetensors" >"$tmp/train.log" 2>&1 \
	|| ! "$CLAFUSE" train --arch "mlp 784-24-16-10 nobias" --epochs 1 --subset 2000 \
	-o "$tmp/B.safetensors" >>"$tmp/train.log" 2>&1; then
	echo "# SKIP the session checks: cannot train the test models (Fashion-MNIST missing?)"
	echo "1..$n"
	exit 0
fi
"$CLAFUSE" fuse "$tmp/A.safetensors" "$tmp/B.safetensors" --json "$tmp/r.json" -q \
	>"$tmp/fuse.txt" 2>&1
ok $? "clafuse fuse --json of the pair"

start sess -- "$tmp/A.safetensors" "$tmp/B.safetensors" --set finetune.epochs=2
wait_for "Layer costs C"
keys r
wait_for "every step fresh"
keys 5
wait_for "Hybrids"
ok $? "the results screen has the hybrids box"
# each layer's hybrid accuracy as the JSON report has it
miss=""
if [ $have_py -eq 1 ]; then
	for want in $(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("aligned_A_%6.2f%%" % (100 * r["aligned_acc"]))
for l, a in enumerate(r["hybrid_acc"]):
    print("L%-2d_%6.2f%%" % (l + 1, 100 * a))' "$tmp/r.json" | tr ' ' '_'); do
		w=$(printf %s "$want" | tr '_' ' ')
		screen | grep -F -q -e "$w" || miss="$miss [$w]"
	done
	[ -z "$miss" ]
	r=$?; [ $r -eq 0 ] || show_screen
	ok $r "the hybrids on screen are clafuse fuse's (aligned and 4 layers)$miss"
fi

# the finetuning curve as pictures
keys : "export curve.png" Enter
wait_for "finetuning curve (2 epochs) written to curve.png"
ok $? "x curve.png on the results screen"
if [ $have_py -eq 1 ]; then
	size=$(python3 "$srcdir/png_check.py" "$tmp/curve.png")
	[ $? -eq 0 ] && [ "${size#* }" = 408 ]
	ok $? "curve.png decodes, 408 pixels high ($size)"
fi
keys : "export curve.svg" Enter
wait_for "finetuning curve (2 epochs) written to curve.svg"
grep -q '<polyline' "$tmp/curve.svg" && [ "$(grep -c '<circle' "$tmp/curve.svg")" -eq 2 ]
ok $? "curve.svg: the line and its 2 points"
keys : "export curve.csv" Enter
wait_for "writes the finetuning curve as a picture, FILE.svg or FILE.png"
ok $? "x curve.csv on the results screen: what it can write instead"

# the layer screen: the matched neurons of the cursor's column
keys 2
wait_for "Matched neurons"
i=$(screen | sed -n 's/.*B0 ↔ A\([0-9]*\)  corr -*[0-9.]*.*/\1/p' | head -n 1)
[ -n "$i" ]
ok $? "layer 1: neuron 0 of B and its match A$i with their correlation"
keys : "session:matched(1, 1).i" Enter
wait_for "= $((i + 1))"
ok $? "the match is the one s:matched(1, 1) reports (1-based $((i + 1)))"
keys Right Right Right
wait_gone "B0 ↔"
ok $? "moving the cursor along the plan changes the neuron"
keys q
wait_for "exit=0"

echo "1..$n"
