#!/bin/sh
# bench_fuse.sh — times the whole CLAFusion pipeline on the paper's MLP pair
# (A = 784-400-200-100-50-25-10, B = 784-400-200-100-10, no biases) on
# Fashion-MNIST: `clafuse fuse A B --json` with the default parameters
# (N = 200 activation samples, CLA neuron/euclidean, add, exact OT), no
# finetuning.  Prints, for each of REPEAT runs (default 5) and as the median,
# the time of each step taken from the JSON report (activations, layer
# costs, alignment, balancing, fusion, evaluation = accuracies of both
# parents, the balanced model, the fused model and the ensemble on the
# 10000 test images), their sum (the pipeline), and the wall time of the
# whole command (which adds process start, loading the models and the data
# set).  Goal: pipeline under 2 s on the project's 2-core machine.
#
#   usage: scripts/bench/bench_fuse.sh [A.safetensors B.safetensors]
#   env:   CLAFUSE (binary, default _build/clafuse), REPEAT (default 5),
#          THREADS (BLAS threads, default 1)
# Without model files it uses the bundled share/models/mlp_{a,b}.safetensors
# (the seed-0 pair of scripts/experiments/train_mlp_pair.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${CLAFUSE:-$top/_build/clafuse}
A=${1:-$top/share/models/mlp_a.safetensors}
B=${2:-$top/share/models/mlp_b.safetensors}
REPEAT=${REPEAT:-5}
THREADS=${THREADS:-1}
for f in "$bin" "$A" "$B"; do
	[ -e "$f" ] || { echo "bench_fuse.sh: missing $f" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=1
while [ $i -le "$REPEAT" ]; do
	t0=$(date +%s.%N)
	"$bin" fuse "$A" "$B" --data fashion-mnist --threads "$THREADS" -q \
		--json "$tmp/run$i.json" > /dev/null
	t1=$(date +%s.%N)
	echo "$t0 $t1" > "$tmp/wall$i"
	i=$((i + 1))
done
python3 - "$tmp" "$REPEAT" <<'PY'
import json, statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
steps = ["activations", "costs", "alignment", "balance", "fusion", "evaluation"]
rows = []
for i in range(1, n + 1):
    t = json.load(open(f"{d}/run{i}.json"))["times"]
    t0, t1 = map(float, open(f"{d}/wall{i}").read().split())
    r = [t[s] for s in steps]
    rows.append(r + [sum(r), t1 - t0])
hdr = steps + ["pipeline", "wall"]
print("run  " + " ".join(f"{h:>11}" for h in hdr))
for i, r in enumerate(rows, 1):
    print(f"{i:<4} " + " ".join(f"{x:11.4f}" for x in r))
med = [statistics.median(c) for c in zip(*rows)]
print("med  " + " ".join(f"{x:11.4f}" for x in med))
print(f"median pipeline {med[-2]:.3f} s (goal < 2 s: {'met' if med[-2] < 2 else 'NOT met'}), "
      f"median wall {med[-1]:.3f} s")
PY
