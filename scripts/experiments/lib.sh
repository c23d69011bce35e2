# lib.sh — shared by the experiment scripts (sourced, not run).
#
# CLAFUSE (the program, default _build/clafuse) and EXP (where models and
# reports go, default ./exp) come from the environment and are exported
# for the scripts an experiment calls.
CLAFUSE=${CLAFUSE:-_build/clafuse}
EXP=${EXP:-./exp}
export CLAFUSE EXP

#
# train_pair DIR SEED ARCH_A ARCH_B TRAIN_OPTION...: train model a (ARCH_A)
# and model b (ARCH_B) on Fashion-MNIST with the same seed into
# DIR/{a,b}.safetensors, each with its log DIR/{a,b}.log; a model already
# there is kept (reruns resume).  The file appears only once training
# finished.  Uses $CLAFUSE, 1 thread, under nice.
train_pair() {
	tp_dir=$1 tp_seed=$2 tp_a=$3 tp_b=$4
	shift 4
	mkdir -p "$tp_dir"
	for tp_m in a b; do
		[ -f "$tp_dir/$tp_m.safetensors" ] && continue
		if [ $tp_m = a ]; then tp_arch=$tp_a; else tp_arch=$tp_b; fi
		echo "seed $tp_seed: training $tp_m" >&2
		nice "$CLAFUSE" train --arch "$tp_arch" --data fashion-mnist --seed "$tp_seed" \
			--threads 1 "$@" -o "$tp_dir/$tp_m.tmp.safetensors" > "$tp_dir/$tp_m.log" 2>&1
		mv "$tp_dir/$tp_m.tmp.safetensors" "$tp_dir/$tp_m.safetensors"
	done
}

# fuse_run DIR NAME FUSE_OPTION...: `clafuse fuse DIR/a DIR/b` on
# Fashion-MNIST, 1 thread, under nice, with the options given; the JSON
# report goes to DIR/NAME.json (appearing only once the run finished), the
# text to DIR/NAME.txt.
fuse_run() {
	fr_dir=$1 fr_name=$2
	shift 2
	echo "$fr_dir: $fr_name" >&2
	nice "$CLAFUSE" fuse "$fr_dir/a.safetensors" "$fr_dir/b.safetensors" --data fashion-mnist \
		--threads 1 -q "$@" --json "$fr_dir/$fr_name.tmp.json" > "$fr_dir/$fr_name.txt"
	mv "$fr_dir/$fr_name.tmp.json" "$fr_dir/$fr_name.json"
}

# mlp_pairs SEED...: the seeds of an experiment on the paper's MLP pair in
# SEEDS (default 0..4), each seed's pair trained when missing
# (train_mlp_pair.sh).
mlp_pairs() {
	SEEDS=${*:-0 1 2 3 4}
	"$(dirname "$0")/train_mlp_pair.sh" $SEEDS
}
