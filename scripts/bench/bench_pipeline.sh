#!/bin/sh
# bench_pipeline.sh — `clafuse fuse` on the bundled MLP pair, step by step,
# and the workbench's first screen.
#
# For REPEAT rounds (default 5) it runs, interleaved:
#   cold  `clafuse fuse` with CLAFUSE_DATA_CACHE=off (Fashion-MNIST inflated
#         and normalised: what the first run on a machine does)
#   warm  `clafuse fuse` with the decoded cache in a private XDG_CACHE_HOME
#         (written by one untimed run first)
# and prints, per round and as medians, each step's time from the JSON
# report (activations, costs, alignment, balance, fusion, evaluation of the
# parents, the balanced and the fused model on the 10000 test images), the
# steps' sum, the rest (start, loading models and data: wall - steps), the
# wall time and the CPU time (user + sys) of the whole command.  Then it
# times `clafuse tui A B` in tmux from start to its first full screen
# (polled every 10 ms; warm cache).  The load average is printed before and
# after: on a shared machine, read the CPU times.  The per-layer hybrids
# (eval.hybrids, one more test pass per layer) are off: the figures are
# the method's pipeline, as they were measured before hybrids existed.
#
#   usage: nice -n 10 scripts/bench/bench_pipeline.sh [A.safetensors B.safetensors]
#   env:   CLAFUSE (default _build/clafuse), REPEAT (5), THREADS (BLAS, 1)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${CLAFUSE:-$top/_build/clafuse}
A=${1:-$top/share/models/mlp_a.safetensors}
B=${2:-$top/share/models/mlp_b.safetensors}
REPEAT=${REPEAT:-5}
THREADS=${THREADS:-1}
for f in "$bin" "$A" "$B"; do
	[ -e "$f" ] || { echo "bench_pipeline.sh: missing $f" >&2; exit 2; }
done
tmp=$(mktemp -d)
SOCK=clafuse-bench-$$
cleanup() {
	tmux -L "$SOCK" kill-server >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
echo "$(date -u '+%Y-%m-%d %H:%M UTC')  $("$bin" --version | head -1)  threads $THREADS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

# one fuse run: MODE TAG -> $tmp/TAG.json, $tmp/TAG.time (wall user sys)
fuse() {
	if [ "$1" = cold ]; then
		env CLAFUSE_DATA_CACHE=off /usr/bin/time -f '%e %U %S' -o "$tmp/$2.time" \
			"$bin" fuse "$A" "$B" --data fashion-mnist --threads "$THREADS" -q --set eval.hybrids=0 \
			--json "$tmp/$2.json" -o "$tmp/fused.safetensors" > /dev/null
	else
		env XDG_CACHE_HOME="$tmp/cache" /usr/bin/time -f '%e %U %S' -o "$tmp/$2.time" \
			"$bin" fuse "$A" "$B" --data fashion-mnist --threads "$THREADS" -q --set eval.hybrids=0 \
			--json "$tmp/$2.json" -o "$tmp/fused.safetensors" > /dev/null
	fi
}
fuse warm prime # writes the decoded cache
i=1
while [ $i -le "$REPEAT" ]; do
	if [ $((i % 2)) -eq 1 ]; then fuse cold cold$i; fuse warm warm$i
	else fuse warm warm$i; fuse cold cold$i; fi
	i=$((i + 1))
done

# the workbench: start to first full screen (the status line of the
# overview), warm cache
tui_once() {
	t0=$(date +%s.%N)
	tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 40 -s b \
		"env XDG_CACHE_HOME=$tmp/cache $bin tui $A $B --data fashion-mnist --no-mouse"
	while ! tmux -L "$SOCK" capture-pane -p -t b 2>/dev/null | grep -q 'alignment'; do
		sleep 0.01
	done
	t1=$(date +%s.%N)
	tmux -L "$SOCK" kill-server >/dev/null 2>&1 || true
	echo "$t0 $t1"
}
i=1
while [ $i -le "$REPEAT" ]; do
	tui_once > "$tmp/tui$i"
	i=$((i + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$tmp" "$REPEAT" <<'PY'
import json, statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
steps = ["activations", "costs", "alignment", "balance", "fusion", "evaluation"]
hdr = steps + ["steps", "rest", "wall", "cpu"]
med = statistics.median
for mode in ("cold", "warm"):
    rows = []
    for i in range(1, n + 1):
        t = json.load(open(f"{d}/{mode}{i}.json"))["times"]
        wall, user, sys_ = map(float, open(f"{d}/{mode}{i}.time").read().split())
        r = [t[s] for s in steps]
        rows.append(r + [sum(r), wall - sum(r), wall, user + sys_])
    print(f"clafuse fuse, {mode} ({'decoded cache off' if mode == 'cold' else 'decoded cache'}), seconds")
    print("run  " + " ".join(f"{h:>11}" for h in hdr))
    for i, r in enumerate(rows, 1):
        print(f"{i:<4} " + " ".join(f"{x:11.4f}" for x in r))
    m = [med(c) for c in zip(*rows)]
    print("med  " + " ".join(f"{x:11.4f}" for x in m))
    print(f"{mode}: median wall {m[-2]:.3f} s, CPU {m[-1]:.3f} s (goal: wall < 0.8 s: "
          f"{'met' if m[-2] < 0.8 else 'NOT met'})")
tui = []
for i in range(1, n + 1):
    t0, t1 = map(float, open(f"{d}/tui{i}").read().split())
    tui.append(t1 - t0)
print("clafuse tui, start to first screen (s): " + " ".join(f"{x:.3f}" for x in tui)
      + f"; median {med(tui):.3f} (goal < 0.5 s: {'met' if med(tui) < 0.5 else 'NOT met'})")
PY
