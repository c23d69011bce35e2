#!/bin/sh
# valgrind.sh — run every C test program of a build under valgrind's
# memcheck (leaks included) and end with "N passed, N failed", one per
# program.  Slow (minutes): a check to run before a release, not part of
# scripts/test.sh.
#
#   scripts/valgrind.sh [BUILD_DIR]      default _build
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -d "$build/tests" ] || { echo "valgrind.sh: no tests in $build: run scripts/setup.sh and make check first" >&2; exit 2; }
cd "$build" || exit 2
# The test programs do not re-execute themselves; pin the kernels anyway so
# runs are comparable.
OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Prescott}
OPENBLAS_NUM_THREADS=1
export OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS top_srcdir=$top top_builddir=$build
pass=0 fail=0
for t in tests/test_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	case $t in *.sh | *.log | *.trs | *.o) continue ;; esac
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions="$top/tests/valgrind.supp" "./$t" > "$t.valgrind" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $t (see $build/$t.valgrind)"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
