#!/bin/sh
# bench_matrix.sh — Matrix reductions and elementwise operations of clafuse
# (cf.matrix) against numpy on the same machine, side by side: an n×n
# double matrix (4096 by default), rounds interleaved (clafuse, numpy,
# clafuse, ...), each operation warmed up by one untimed call, then timed
# alone; medians of wall and CPU time over every call, and the ratios
# clafuse / numpy of the wall and of the CPU medians (on a loaded machine
# the CPU ratio is the steadier one; the load from uptime is printed
# before and after).
# Usage: scripts/bench/bench_matrix.sh [--quick] [CLAFUSE_BINARY]
# Needs Debian's python3-numpy (/usr/bin/python3); OpenBLAS (pthread) is
# put first on LD_LIBRARY_PATH for numpy, and both sides run with the same
# thread count (OPENBLAS_NUM_THREADS, 1 unless set).
here=$(cd "$(dirname "$0")" && pwd)
n=4096 rounds=5 reps=3
if [ "$1" = "--quick" ]; then n=512 rounds=2 reps=2; shift; fi
bin=${1:-${CLAFUSE:-$here/../../clafuse}}
if [ ! -x "$bin" ]; then
	echo "bench_matrix.sh: no clafuse binary at '$bin' (pass its path)" >&2
	exit 2
fi
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_matrix.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
load_before=$(uptime | sed 's/.*load average: *//')
r=1
while [ $r -le $rounds ]; do
	"$bin" run "$here/bench_matrix.lua" $n $reps | sed 's/^/clafuse /' >>"$tmp/times" || exit 1
	/usr/bin/python3 "$here/bench_matrix.py" $n $reps | sed 's/^/numpy /' >>"$tmp/times" || exit 1
	r=$((r + 1))
done
echo "n = $n, $rounds interleaved rounds x $reps calls, threads $OPENBLAS_NUM_THREADS," \
	"numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
echo "load average (1, 5, 15 min) before: $load_before, after: $(uptime | sed 's/.*load average: *//')"
/usr/bin/python3 - "$tmp/times" <<'PY'
import statistics, sys
t = {}
order = []
for line in open(sys.argv[1]):
    side, op, w, c = line.split()
    if op not in order:
        order.append(op)
    t.setdefault((side, op), []).append((float(w), float(c)))
print("%-10s %12s %12s %7s %12s %12s %7s" % ("op", "clafuse ms", "numpy ms", "ratio",
                                            "clafuse cpu", "numpy cpu", "ratio"))
worst = worst_cpu = 0
for op in order:
    cw = statistics.median(w for w, _ in t[("clafuse", op)]) * 1e3
    cc = statistics.median(c for _, c in t[("clafuse", op)]) * 1e3
    nw = statistics.median(w for w, _ in t[("numpy", op)]) * 1e3
    nc = statistics.median(c for _, c in t[("numpy", op)]) * 1e3
    worst = max(worst, cw / nw)
    worst_cpu = max(worst_cpu, cc / nc)
    print("%-10s %12.2f %12.2f %7.2f %12.2f %12.2f %7.2f" % (op, cw, nw, cw / nw, cc, nc, cc / nc))
print("worst ratio, clafuse / numpy: wall %.2f, cpu %.2f" % (worst, worst_cpu))
PY
