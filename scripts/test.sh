#!/bin/sh
# test.sh — run the whole test suite (building first when needed) and end
# with one line "N passed, N failed".
#
#   scripts/test.sh           the normal build in _build/
#   scripts/test.sh --asan    the sanitizer build in _build-asan/
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build=_build
[ "${1:-}" = --asan ] && build=_build-asan
scripts/setup.sh ${1:-} >/dev/null

cd "$build"
status=0
make -j"$(nproc)" check >check.out 2>&1 || status=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' check.out | grep -v '^PASS' || true
# Totals over every test case (TAP lines), from automake's summary.
pass=$(sed -n 's/^# PASS: *//p' test-suite.log | head -n 1)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log | head -n 1)
err=$(sed -n 's/^# ERROR: *//p' test-suite.log | head -n 1)
xpass=$(sed -n 's/^# XPASS: *//p' test-suite.log | head -n 1)
if [ -z "$pass" ]; then
	tail -n 30 check.out
	echo "0 passed, 1 failed"
	exit 1
fi
failed=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} ))
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then
	echo "--- failures (from $build/test-suite.log) ---"
	# with the diagnostics (TAP comments: what a check waited for, the
	# screen it saw) of the test programs that failed
	for log in tests/*.log tests/lua/*.log; do
		[ -f "$log" ] && grep -q -E '^(not ok|Bail out!)' "$log" || continue
		echo "== $build/$log"
		grep -E '^(not ok|Bail out!|#)' "$log" | head -n 120
	done | head -n 400 || true
fi
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
