#!/bin/sh
# fuzz.sh — build the fuzz targets of fuzz/ with clang's libFuzzer (ASan and
# UBSan on, in _build-fuzz/) and run them: first every regression input
# (fuzz/regress/NAME), then each target for SECONDS on a working corpus
# seeded from fuzz/corpus/NAME.  Ends with "N passed, N failed" (one per
# target: its regression inputs and its run).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default 30 s, every target
#   FUZZ_OPTS='-max_len=65536' scripts/fuzz.sh 600 model
#   FUZZ_OPTS=-timeout=10 nice -n 19 scripts/fuzz.sh 3600 pt   (shared machine)
#
# A crash, a time-out (one input > 1 s) or a memory blow-up (> 2 GB) stops
# the target; libFuzzer leaves the input in _build-fuzz/crash-* (also
# leak-*, timeout-*, oom-*): reproduce with
#   _build-fuzz/fuzz_NAME FILE
# and, once fixed, keep it as fuzz/regress/NAME/DESCRIPTION.  After a run,
# every input of the corpus is replayed under the 1 s limit, so a campaign
# on a shared machine may run with a longer -timeout (a niced process can
# wait over a second for a core) and still have its hangs judged at 1 s.
# Targets are found by name: fuzz/fuzz_NAME.c.  Nice it when the machine
# is shared.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${1:-30}
[ $# -gt 0 ] && shift
targets=$*
[ -n "$targets" ] || targets=$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')
build=_build-fuzz
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null; then
	echo "fuzz: $CC not found (Debian: apt-get install clang libclang-rt-14-dev); the regression inputs still run in 'make check'"
	echo "0 passed, 0 failed"
	exit 0
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
mkdir -p "$build"
if [ ! -f "$build/Makefile" ] || [ configure -nt "$build/config.status" ]; then
	[ -x configure ] || autoreconf -fi >/dev/null 2>&1
	(cd "$build" && ../configure -q CC="$CC" CFLAGS="-g -O1 $san -fsanitize=fuzzer-no-link") || exit 1
fi
make -C "$build" -s -j2 src/core/libclafuse.a >/dev/null || { echo "fuzz: building the library failed"; echo "0 passed, 1 failed"; exit 1; }
var() { sed -n "s/^$1 = //p" "$build/Makefile"; }
libs="$(var JANSSON_LIBS) $(var ZLIB_LIBS) $(var GSL_LIBS) $(var LIBS)"

pass=0
fail=0
for t in $targets; do
	src=fuzz/fuzz_$t.c
	bin=$build/fuzz_$t
	if [ ! -f "$src" ]; then
		echo "fuzz: no target $src"
		fail=$((fail + 1))
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CC -g -O1 $san -fsanitize=fuzzer -I"$build" -Isrc -Isrc/core "$src" \
		"$build/src/core/libclafuse.a" $libs -o "$bin"; then
		echo "fuzz $t: build failed"
		fail=$((fail + 1))
		continue
	fi
	ok=1
	if [ -d "fuzz/regress/$t" ] && [ -n "$(ls "fuzz/regress/$t")" ]; then
		n=$(ls "fuzz/regress/$t" | wc -l)
		if "$bin" -rss_limit_mb=2048 -timeout=1 "fuzz/regress/$t"/* >"$build/regress_$t.log" 2>&1; then
			echo "fuzz $t: $n regression inputs pass"
		else
			echo "fuzz $t: a regression input fails (log: $build/regress_$t.log)"
			tail -n 30 "$build/regress_$t.log"
			ok=0
		fi
	fi
	mkdir -p "$build/corpus/$t"
	[ -d "fuzz/corpus/$t" ] && cp -n fuzz/corpus/"$t"/* "$build/corpus/$t/" 2>/dev/null
	if [ "$ok" = 1 ] && [ "$secs" -gt 0 ]; then
		start=$(date +%s)
		# shellcheck disable=SC2086
		(cd "$build" && ./fuzz_$t -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 \
			-malloc_limit_mb=2048 -print_final_stats=1 ${FUZZ_OPTS:-} "corpus/$t" \
			>"fuzz_$t.log" 2>&1)
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_$t.log" | tail -n 1)
		echo "fuzz $t: ${execs:-?} executions in $(( $(date +%s) - start )) s, corpus $(ls "$build/corpus/$t" | wc -l) inputs, exit $rc"
		if [ $rc -ne 0 ]; then
			ok=0
			grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*runtime error)' "$build/fuzz_$t.log" | head -n 5
			ls "$build"/crash-* "$build"/timeout-* "$build"/oom-* "$build"/leak-* 2>/dev/null | head -n 5
		else
			# Replay what the run kept under the 1 s limit: a campaign on a
			# shared machine runs with a longer -timeout (a niced process can
			# wait over a second for a core), so hangs are judged here.
			if (cd "$build" && ./fuzz_$t -runs=0 -timeout=1 -rss_limit_mb=2048 \
				-malloc_limit_mb=2048 "corpus/$t" >"replay_$t.log" 2>&1); then
				echo "fuzz $t: every corpus input runs under 1 s"
			else
				ok=0
				echo "fuzz $t: a corpus input fails on replay (log: $build/replay_$t.log)"
				grep -E '^(==[0-9]+==ERROR|SUMMARY)' "$build/replay_$t.log" | head -n 5
			fi
		fi
	fi
	if [ "$ok" = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
