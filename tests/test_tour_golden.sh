#!/bin/sh
# test_tour_golden.sh — the guided tour of `clafuse demo` from its first
# step to its last, at 80×24 and at 120×36, screen by screen against the
# golden screens in tests/data/tour/COLSxROWS/.
#
# Every Space of the tour is one step (the fusion's layers one step each);
# a step whose text is longer than the panel is read page by page, and
# every page is a screen: step-NN-P.txt is page P of step NN.  A screen is
# captured once the step's work is done and the screen holds still.
# Normalised, in the captures and the golden files alike, is only what
# legitimately varies from run to run: durations ("0.06 s", "84.4ms",
# with the blanks before them) read " #s", the private directory "$TMP".
#
# Besides the comparison: each step shows something new in its main panel
# (the screen left of the tour's panel, the tab bar and status line
# excluded), and no step leaves the tour's text unread.
#
# The numbers depend on the BLAS kernels (float sums), so the golden files
# record the kernels they were made with (blas.txt); on other kernels the
# comparison is a SKIP.  Without Fashion-MNIST the test skips.
#
# Regenerate after a deliberate change of the tour or a screen (and look
# at every file before committing it):
#   CF_GOLDEN_WRITE=1 make -C _build check TESTS=tests/test_tour_golden.sh
# Prints TAP.
set -u

. "$(dirname "$0")/tmux_lib.sh"
tmux_setup tour
srcdir=${top_srcdir:-.}
GOLD=$(cd "$srcdir" && pwd)/tests/data/tour
write=${CF_GOLDEN_WRITE:-0}
# one BLAS thread: the sums, hence the numbers, do not depend on the load
OPENBLAS_NUM_THREADS=1
export OPENBLAS_NUM_THREADS

# Under the sanitizers the tour's finetuning epoch alone takes over the 5
# minutes a step may take; the tour's code runs under them in
# test_demo_batch.sh and test_tui_session.sh, the screens are compared in
# the normal build.
if ldd "$CLAFUSE" 2>/dev/null | grep -q libasan; then
	echo "1..0 # SKIP a sanitizer build (the finetuning epoch is too slow under ASan)"
	exit 0
fi
if ! "$CLAFUSE" demo --batch --finetune 0 >"$tmp/batch.out" 2>"$tmp/batch.err"; then
	if grep -q -i "fashion" "$tmp/batch.err"; then
		echo "1..0 # SKIP Fashion-MNIST is not installed"
		exit 0
	fi
	echo "Bail out! clafuse demo --batch failed: $(head -n 3 "$tmp/batch.err")"
	exit 1
fi
kernels=$("$CLAFUSE" --version | sed -n 's/.*CBLAS: \(.*\)/\1/p' | head -n 1)
if [ "$write" = 1 ]; then
	mkdir -p "$GOLD"
	printf '%s\n' "$kernels" >"$GOLD/blas.txt"
elif [ "$(cat "$GOLD/blas.txt" 2>/dev/null)" != "$kernels" ]; then
	echo "1..0 # SKIP golden screens made with $(cat "$GOLD/blas.txt" 2>/dev/null), here $kernels"
	exit 0
fi

cat >"$tmp/demo.sh" <<EOS
cd "$tmp"
env TERM=xterm-256color LANG=C.UTF-8 OPENBLAS_NUM_THREADS=1 "$CLAFUSE" demo
echo "exit=\$?"
exec sleep 600
EOS

# normalise: durations (with the blanks that align them: "  9.87s" and
# " 10.12s" both read " #s") and the private directory, nothing else
normalise() {
	sed -E -e "s|$tmp|\$TMP|g" -e 's/ *[0-9]+(\.[0-9]+)? ?(ms|s)\b/ #s/g'
}

# settled: the step's work is done and two captures 0.3 s apart agree
settled() {
	a=$(screen)
	case $a in *"working…"*) return 1 ;; esac
	sleep 0.3
	[ "$(screen)" = "$a" ]
}

# wait_settled: until settled, at most 5 minutes (a loaded machine)
wait_settled() {
	tries=1000
	while [ $tries -gt 0 ]; do
		settled && return 0
		tries=$((tries - 1))
	done
	echo "# the screen did not settle"
	show_screen
	return 1
}

# wait_changed BEFORE: until the screen differs from BEFORE
wait_changed() {
	tries=600
	while [ $tries -gt 0 ] && [ "$(screen)" = "$1" ]; do
		sleep 0.1
		tries=$((tries - 1))
	done
	[ $tries -gt 0 ]
}

# main_panel FILE COLS: the screen left of the tour's panel, without the
# tab bar (first row) and the status line (last row)
main_panel() {
	tw=30
	[ "$2" -ge 100 ] && tw=36
	[ "$2" -ge 130 ] && tw=44
	sed '1d;$d' "$1" | cut -c "1-$(($2 - tw))"
}

# tour COLS ROWS: the whole tour in a window of that size, every page of
# every step captured into $tmp/COLSxROWS/
tour() {
	cols=$1
	rows=$2
	dir=$tmp/${cols}x$rows
	mkdir -p "$dir"
	W=cf:demo$cols
	if T has-session -t cf 2>/dev/null; then
		T new-window -t cf -n "demo$cols" "sh $tmp/demo.sh"
	else
		T new-session -d -s cf -n "demo$cols" -x "$cols" -y "$rows" "sh $tmp/demo.sh"
	fi
	T resize-window -t "$W" -x "$cols" -y "$rows"
	wait_for "1/8 Two networks" || return 1
	step=1
	while [ $step -lt 40 ]; do
		page=1
		while :; do
			wait_settled || return 1
			screen | normalise >"$dir/$(printf 'step-%02d-%d' $step $page).txt"
			on_screen "more ↓" || break
			before=$(screen)
			keys Space
			wait_changed "$before" || return 1
			page=$((page + 1))
		done
		on_screen "Optional: beyond the paper" && break
		before=$(screen)
		keys Space
		wait_changed "$before" || return 1
		step=$((step + 1))
	done
	keys q
	wait_for "exit=0"
}

for size in 80x24 120x36; do
	cols=${size%x*}
	rows=${size#*x}
	tour "$cols" "$rows"
	ok $? "the tour at $size runs from its first step to its last and quits with status 0"
	dir=$tmp/$size
	nsteps=$(ls "$dir" | sed -n 's/^step-\([0-9]*\)-1\.txt$/\1/p' | wc -l)
	[ "$nsteps" -ge 15 ] && grep -q "Optional: beyond the paper" "$dir/$(ls "$dir" | tail -n 1)"
	ok $? "at $size: $nsteps steps, the last the optional one"

	# each step shows something new in the main panel
	same=""
	prev=""
	for f in "$dir"/step-*-1.txt; do
		if [ -n "$prev" ] && [ "$(main_panel "$prev" "$cols")" = "$(main_panel "$f" "$cols")" ]; then
			same="$same $(basename "$f")"
		fi
		prev=$f
	done
	[ -z "$same" ]
	ok $? "at $size: each step changes the main panel${same:+ (not:$same)}"

	if [ "$write" = 1 ]; then
		rm -rf "${GOLD:?}/$size"
		cp -r "$dir" "$GOLD/$size"
		ok 0 "at $size: golden screens written to tests/data/tour/$size"
		continue
	fi
	# the same screens as the golden files, and the same number of them
	bad=""
	for g in "$GOLD/$size"/step-*.txt; do
		f=$dir/$(basename "$g")
		if ! cmp -s "$g" "$f"; then
			bad="$bad $(basename "$g")"
			[ -f "$f" ] && diff "$g" "$f" | head -n 20 | sed 's/^/#   /'
		fi
	done
	for f in "$dir"/step-*.txt; do
		[ -f "$GOLD/$size/$(basename "$f")" ] || bad="$bad +$(basename "$f")"
	done
	[ -z "$bad" ]
	ok $? "at $size: every screen is its golden screen${bad:+ (differ:$bad)}"
done

echo "1..$n"
