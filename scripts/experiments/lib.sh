# lib.sh — shared by the experiment scripts (sourced, not run).
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
