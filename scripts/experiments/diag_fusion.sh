#!/bin/sh
# diag_fusion.sh — build diag_fusion.c against a clafuse build tree and run
# it: diagnostics of one fusion (see the comment in diag_fusion.c).
#   usage: scripts/experiments/diag_fusion.sh A.safetensors B.safetensors [NAME=VALUE ...]
#   env:   BUILD (clafuse build dir, default _build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-_build}
bin=${TMPDIR:-/tmp}/diag_fusion.$$
trap 'rm -f "$bin"' EXIT
cc -O2 -std=c11 -I"$BUILD" -I"$here/../../src/core" "$here/diag_fusion.c" \
	"$BUILD/src/core/libclafuse.a" -lgsl -L/usr/lib/x86_64-linux-gnu/openblas-pthread/ \
	-lopenblas -ljansson -lz -lm -o "$bin"
OPENBLAS_NUM_THREADS=1 nice "$bin" "$@"
