# tap_lib.sh — what the shell tests of the clafuse program share; sourced,
# not run: `. "${top_srcdir:-.}/tests/tap_lib.sh"`.  Afterwards $CLAFUSE is
# the program, $T a scratch directory removed on exit, ok STATUS TEXT and
# skip TEXT print TAP lines, and the caller ends with `echo "1..$n"`.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
CLAFUSE=${CLAFUSE:-$top_builddir/clafuse}
FMNIST=/usr/share/datasets/fashion-mnist
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# need_fmnist COUNT: without Fashion-MNIST, skip the COUNT checks that need
# it, end the plan and exit.
need_fmnist() {
	[ -f "$FMNIST/train-images-idx3-ubyte.gz" ] && return 0
	for i in $(seq "$1"); do skip "Fashion-MNIST not installed"; done
	echo "1..$n"
	exit 0
}
