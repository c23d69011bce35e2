#!/bin/sh
# bench_ot.sh — the OT comparison (clafuse against POT and SciPy): like-for-
# like calls, wall and CPU time, medians of interleaved rounds, the load.
#   usage: scripts/bench/bench_ot.sh [bench_ot.py options] [CLAFUSE_BINARY]
#   e.g.   nice -n 10 scripts/bench/bench_ot.sh --only exact _build/clafuse
# Options go to bench_ot.py (--quick, --only exact|sinkhorn|sparse, --reps N,
# --threads N; default 1 thread).  Needs Debian's python3-numpy,
# python3-scipy and python3-pot (/usr/bin/python3); without POT the POT
# rows are left out.  OpenBLAS (pthread) is put first on LD_LIBRARY_PATH so
# that numpy uses the same BLAS as clafuse, with the same kernels.
here=$(cd "$(dirname "$0")" && pwd)
bin=${CLAFUSE:-$here/../../_build/clafuse}
opts=
for a in "$@"; do
	case $a in
	-*) opts="$opts $a" ;;
	*) if [ -f "$a" ] && [ -x "$a" ]; then bin=$a; else opts="$opts $a"; fi ;;
	esac
done
if [ ! -x "$bin" ]; then
	echo "bench_ot.sh: no clafuse binary at '$bin' (pass its path)" >&2
	exit 2
fi
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# clafuse picks the OpenBLAS kernels for this CPU itself (OpenBLAS 0.3.21
# may not know it); give the peers the same kernels.
if [ -z "$OPENBLAS_CORETYPE" ]; then
	OPENBLAS_CORETYPE=$("$bin" --version | sed -n 's/.*(\([A-Za-z0-9]*\) kernels).*/\1/p')
fi
[ -n "$OPENBLAS_CORETYPE" ] && export OPENBLAS_CORETYPE
echo "clafuse: $("$bin" --version | head -1)"
# shellcheck disable=SC2086 # the options are words
exec /usr/bin/python3 "$here/bench_ot.py" --clafuse "$bin" $opts
