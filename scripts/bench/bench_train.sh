#!/bin/sh
# bench_train.sh — one epoch of training with clafuse and with PyTorch, same
# machine, same run, 1 and 2 threads: an MLP (784-400-200-100-10, no biases)
# and a small VGG-style CNN; prints samples/s of each side and the ratio.
#
#   scripts/bench/bench_train.sh [--quick] [MORE bench_train.py OPTIONS]
#
# --quick trains on subsets (MLP 10000, CNN 2000 samples) to finish in about
# a minute; without it both models see all 60000 samples.  Other options go
# to bench_train.py (e.g. --repeat 3, --models cnn, --threads-list 1).
# Builds nothing: the binary is $CLAFUSE, else _build/clafuse.  Needs
# Debian's /usr/bin/python3 with python3-torch and python3-numpy.  OpenBLAS
# (pthread) goes first on LD_LIBRARY_PATH so that torch and numpy use the
# same BLAS as clafuse; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as
# the environment has them, for both sides.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${CLAFUSE:-$top/_build/clafuse}
if [ ! -x "$bin" ]; then
	echo "bench_train.sh: no clafuse binary at '$bin' (build it, or set CLAFUSE)" >&2
	exit 2
fi
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
exec /usr/bin/python3 "$here/bench_train.py" --clafuse "$bin" "$@"
