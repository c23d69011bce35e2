# torch_lib.sh — what the tests against PyTorch share (test_interop.sh,
# test_pt_torch.sh, test_norm_cli.sh); sourced after tap_lib.sh, not run.
#
# Whether a test runs depends only on what is installed: python3-torch is
# looked up with importlib (which loads nothing), Fashion-MNIST by its
# files.  Loading torch is then a check of its own: when it fails the test
# fails with torch's message, where a failed `import torch` used to read as
# "not installed" and skip the test.
PY=/usr/bin/python3
INTEROP="$top_srcdir/scripts/torch_interop.py"
# Debian's torch uses the libblas.so.3 alternative: prefer OpenBLAS.
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH OMP_NUM_THREADS=1

# torch_installed: 0 when python3-torch is installed (nothing is loaded)
torch_installed() {
	$PY -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)' \
		2>/dev/null
}

# torch_need: a whole test needs PyTorch and Fashion-MNIST: without them
# it skips; with a torch that does not load it bails out, saying why.
torch_need() {
	if ! torch_installed || [ ! -f "$FMNIST/t10k-images-idx3-ubyte.gz" ]; then
		echo "1..0 # SKIP python3-torch or Fashion-MNIST not installed"
		exit 0
	fi
	if ! $PY -c 'import torch' >"$T/torch.err" 2>&1; then
		echo "Bail out! python3-torch is installed but does not load: $(tail -n 1 "$T/torch.err")"
		exit 1
	fi
}

# Figures as "acc loss" from either side's output.  The two sides sum
# float32 products in different orders (OpenBLAS vs PyTorch's kernels), so
# a test image whose two best logits tie to the last bit may flip: the
# figures must agree to 2 images in 10000 and the loss to 1e-4.
pt_fig() { sed -n 's/.*test accuracy \([0-9.]*\) loss \([0-9.]*\).*/\1 \2/p' "$1" | tail -n 1; }
cf_fig() { sed -n 's/.*accuracy \([0-9.]*\)%, loss \([0-9.]*\).*/\1 \2/p' "$1" |
	awk '{ printf "%.4f %s\n", $1 / 100, $2 }'; }
same() { # "acc loss" "acc loss"
	[ -n "$1" ] && [ -n "$2" ] && echo "$1 $2" | awk '{
		d = $1 - $3; e = $2 - $4; exit !(d <= 0.0002 && -d <= 0.0002 && e <= 1e-4 && -e <= 1e-4) }'
}

# Loading torch costs seconds, so a test queues the commands of
# scripts/torch_interop.py and runs them in one process:
# py OUT ARG...   queue `torch_interop.py ARG...`, its output to OUT and
#                 its exit status to OUT.rc
# py_run          run the queue
# rc OUT          the exit status of the command that wrote OUT
py() { printf '%s' "$1" >> "$T/queue"; shift; printf '\t%s' "$@" >> "$T/queue"; echo >> "$T/queue"; }
py_run() { $PY "$INTEROP" batch "$T/queue" > "$T/batch.out" 2>&1; rm -f "$T/queue"; }
rc() { cat "$1.rc" 2>/dev/null || echo 1; }
