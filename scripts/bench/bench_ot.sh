#!/bin/sh
# bench_ot.sh — run the OT comparison (clafuse vs POT and SciPy) at 1 and 2
# threads.  Usage: scripts/bench/bench_ot.sh [--quick] [CLAFUSE_BINARY]
# Needs Debian's python3-pot, python3-scipy, python3-numpy (/usr/bin/python3).
# OpenBLAS (pthread) is put first for numpy so that the peers use the same
# BLAS as clafuse.
here=$(cd "$(dirname "$0")" && pwd)
quick=
if [ "$1" = "--quick" ]; then quick=--quick; shift; fi
bin=${1:-${CLAFUSE:-$here/../../clafuse}}
if [ ! -x "$bin" ]; then
	echo "bench_ot.sh: no clafuse binary at '$bin' (pass its path)" >&2
	exit 2
fi
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# clafuse picks the OpenBLAS kernels for this CPU itself (OpenBLAS 0.3.21
# does not know it); give the peers the same kernels.
if [ -z "$OPENBLAS_CORETYPE" ]; then
	OPENBLAS_CORETYPE=$("$bin" --version | sed -n 's/.*(\([A-Za-z0-9]*\) kernels).*/\1/p')
fi
[ -n "$OPENBLAS_CORETYPE" ] && export OPENBLAS_CORETYPE
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
for t in 1 2; do
	/usr/bin/python3 "$here/bench_ot.py" --clafuse "$bin" --threads "$t" $quick || exit 1
	echo
done
