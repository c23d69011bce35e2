#!/bin/sh
# test_cli.sh — the model subcommands end to end (TAP): `clafuse train`
# reaches a stated accuracy on a Fashion-MNIST subset, `eval` reproduces
# the figure from the saved file, `info` describes it, `demo` runs the
# method on the bundled models, and bad input gives exit codes and
# messages that name the problem.
. "${top_srcdir:-.}/tests/tap_lib.sh"

"$CLAFUSE" --version > "$T/out" 2>&1
ok $? "--version"
grep -q 'CBLAS: ' "$T/out"; ok $? "--version names the CBLAS"
"$CLAFUSE" --help | grep -q '^  fuse '; ok $? "--help lists the subcommands"
"$CLAFUSE" frobnicate > "$T/out" 2>&1; [ $? -eq 2 ]; ok $? "unknown subcommand: exit 2"
# The workbench's man page is generated from its command table: the copy in
# share/ must be what the program says today.
"$CLAFUSE" tui --man > "$T/tui.1" 2>&1 && cmp -s "$T/tui.1" "$top_srcdir/share/man/man1/clafuse-tui.1"
ok $? "share/man/man1/clafuse-tui.1 matches 'clafuse tui --man'"
for c in $("$CLAFUSE" --help | awk '/^subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
	grep -q "^\.B[I]* *\"*$c\b" "$top_srcdir/share/man/man1/clafuse.1"
	ok $? "man page describes subcommand $c"
done

# One option parser for every subcommand, its --help written from the same
# spec: each subcommand answers --help with its usage line, refuses an
# unknown option with exit 2 and a message naming it, and takes
# --name=VALUE like --name VALUE.
for c in $("$CLAFUSE" --help | awk '/^subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
	"$CLAFUSE" "$c" --help > "$T/out" 2>&1 && grep -q "^usage: clafuse $c " "$T/out" &&
		grep -q '^  -h, --help  *this help$' "$T/out"
	ok $? "$c --help: the usage and the options from its spec"
	"$CLAFUSE" "$c" --frobnicate x y > "$T/out" 2>&1; [ $? -eq 2 ] &&
		grep -q "^clafuse $c: unknown option '--frobnicate'" "$T/out"
	ok $? "$c: an unknown option is a usage error that names it"
done
"$CLAFUSE" eval --threads=0 m.safetensors > "$T/out" 2>&1; [ $? -eq 2 ] &&
	grep -q "^clafuse eval: --threads: expected a whole number in \[1, 256\], got '0'" "$T/out"
ok $? "--name=VALUE is checked against the option's range"
"$CLAFUSE" ot > "$T/out" 2>&1; [ $? -eq 2 ] && grep -q '^clafuse ot: missing arguments' "$T/out" &&
	grep -q '^usage: clafuse ot COSTS' "$T/out"
ok $? "a missing argument: exit 2 and the usage line"
"$CLAFUSE" info a b > "$T/out" 2>&1; [ $? -eq 2 ] && grep -q "unexpected argument 'b'" "$T/out"
ok $? "a stray argument: exit 2, named"
"$CLAFUSE" fuse --data fashion-mnist > "$T/out" 2>&1; [ $? -eq 2 ] &&
	grep -q '^usage: clafuse fuse A B' "$T/out"
ok $? "fuse without models: exit 2 and the usage"

need_fmnist 18

# A short training run that must reach a stated accuracy: the MLP on 6000
# samples, 2 epochs, reaches well over 70% on the 10000 test images.
"$CLAFUSE" train --arch "mlp 784-100-10" --epochs 2 --subset 6000 --lr 0.05 --momentum 0.9 \
	-o "$T/m.safetensors" > "$T/train" 2>&1
ok $? "train exits 0"
acc=$(awk '$1 == "2/2" { sub("%", "", $5); print $5 }' "$T/train")
awk -v a="$acc" 'BEGIN { exit !(a >= 70) }'; ok $? "train: test accuracy after 2 epochs >= 70% (got $acc%)"
[ -f "$T/m.safetensors" ] && ! ls "$T" | grep -q tmp; ok $? "model written, no temporary left"
"$CLAFUSE" eval "$T/m.safetensors" > "$T/eval" 2>&1
ok $? "eval exits 0"
grep -q "accuracy $acc%" "$T/eval"; ok $? "eval reproduces the accuracy from the file ($acc%)"
"$CLAFUSE" info "$T/m.safetensors" > "$T/info" 2>&1
ok $? "info exits 0"
grep -q '^architecture mlp 784-100-10' "$T/info" && grep -q 'fc2' "$T/info"
ok $? "info shows the architecture and the layers"
grep -q 'clafuse.trained = data=fashion-mnist epochs=2' "$T/info"; ok $? "info shows the training recipe"

"$CLAFUSE" train --arch "mlp 784-100-" -o "$T/x" > "$T/out" 2>&1; [ $? -eq 1 ]
ok $? "bad architecture: exit 1"
grep -q 'expected' "$T/out"; ok $? "bad architecture: message says what was expected"
"$CLAFUSE" train --arch "mlp 784-10" --epochs zero -o "$T/x" > "$T/out" 2>&1; [ $? -eq 2 ]
ok $? "bad --epochs: exit 2"
"$CLAFUSE" eval "$T/missing.safetensors" > "$T/out" 2>&1; [ $? -eq 1 ]
ok $? "missing model: exit 1"
grep -q 'missing.safetensors' "$T/out"; ok $? "missing model: message names the file"
head -c 100 "$T/m.safetensors" > "$T/cut.safetensors"
"$CLAFUSE" eval "$T/cut.safetensors" > "$T/out" 2>&1; [ $? -eq 1 ]
ok $? "truncated model: exit 1, no crash"

# Ctrl-C stops long work through the progress callback (no Lua state is
# open here): train says "interrupted", exits 1 and writes no model.
"$CLAFUSE" train --arch "mlp 784-100-10" --epochs 20 -o "$T/stop.safetensors" \
	> "$T/stop.out" 2> "$T/stop.err" &
pid=$!
i=0
while ! grep -q '^epoch' "$T/stop.out" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 1 ] && grep -q '^clafuse train: interrupted$' "$T/stop.err" && [ ! -e "$T/stop.safetensors" ]
ok $? "train: Ctrl-C stops it cleanly (exit $rc, no model written)"

# The demo on the bundled models (no pauses, no finetuning).
share=$top_srcdir/share
if [ -f "$share/models/mlp_a.safetensors" ]; then
	CLAFUSE_SHARE=$share "$CLAFUSE" demo --no-pause --finetune 0 > "$T/demo" 2>&1
	ok $? "demo runs"
	grep -q 'map: model 1 layer k -> model 0 layer 1 2 5' "$T/demo"
	ok $? "demo: the alignment of the MLP pair is [1,2,5]"
	# fuse without --data fuses on the default data set, Fashion-MNIST
	"$CLAFUSE" fuse "$share/models/mlp_a.safetensors" "$share/models/mlp_b.safetensors" -q \
		> "$T/fuse" 2>&1
	[ $? -eq 0 ] && grep -q '^accuracy on fashion-mnist/test:' "$T/fuse" &&
		grep -q 'alignment (units, 1-based): \[1,2,5\]' "$T/fuse"
	ok $? "fuse without --data: the default data set, Fashion-MNIST"
else
	skip "no bundled models"; skip "no bundled models"; skip "no bundled models"
fi
echo "1..$n"
