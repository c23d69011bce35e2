#!/bin/sh
# test_layering.sh — the shape of the source tree (TAP), read as text:
#  1. no file of src/core includes a front-end header (src/cli, src/lua,
#     src/repl, src/term, src/tui), so the core builds and links alone;
#  2. the include graph among the headers of src/ has no cycle (tsort
#     reports one as a loop);
#  3. every function a header of src/tui declares is defined in the .c of
#     the same name (or a file listed below as part of that module): a
#     header per module, none declaring another's API;
#  4. no function body in src/ is longer than CF_MAX_BODY lines, except
#     the tables listed below with the reason.
# LAYERING_SRC names another tree to check (the test of this test plants
# a cycle in a copy).
top_srcdir=${top_srcdir:-.}
SRC=${LAYERING_SRC:-$top_srcdir/src}
CF_MAX_BODY=120
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
# The file's lines, with their path relative to $SRC, for the reports.
rel() { sed "s|^$SRC/||"; }

[ -f "$SRC/core/error.h" ]
ok $? "the tree to check is a source tree ($SRC)"

# ---- 1. the core includes no front-end header -------------------------
grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$SRC"/core/*.[ch] |
	grep -E '"(\.\./)*(cli|lua|repl|term|tui)/' | rel >"$T/core_up"
[ ! -s "$T/core_up" ]
ok $? "src/core includes no header of src/{cli,lua,repl,term,tui}$(
	[ -s "$T/core_up" ] && printf ': %s' "$(tr '\n' ' ' <"$T/core_up")")"

# ---- 2. no cycle among headers ---------------------------------------
# An edge "H D" for each #include "D" in header H, D found beside H or
# under src/ (config.h, generated, is found nowhere and left out).
(cd "$SRC" && find . -name '*.h' | sed 's|^\./||' | sort) >"$T/headers"
[ -s "$T/headers" ]
ok $? "headers found ($(wc -l <"$T/headers"))"
(
	cd "$SRC" || exit 1
	while read -r h; do
		d=$(dirname "$h")
		echo "$h $h"
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$h" |
			while read -r inc; do
				if [ -f "$d/$inc" ]; then
					echo "$h $d/$inc" | sed 's| \./| |'
				elif [ -f "$inc" ]; then
					echo "$h $inc"
				fi
			done
	done <"$T/headers"
) >"$T/edges"
tsort "$T/edges" >/dev/null 2>"$T/loops"
[ ! -s "$T/loops" ]
ok $? "the header include graph of src/ has no cycle ($(wc -l <"$T/edges") edges)$(
	[ -s "$T/loops" ] && printf ': %s' "$(sed -e 's/^tsort: //' -e 's/^.*: input contains a loop:/loop:/' "$T/loops" | tr '\n' ' ')")"

# ---- 3. a header per src/tui module ----------------------------------
# HEADER FILE REASON: a .c beyond the header's namesake that is part of its
# module.
cat >"$T/parts" <<'EOF'
heatmap.h heatsvg.c the SVG picture of a heatmap, curses-free like heatmap.c
EOF
# Function names a header declares (a prototype starts at column 0 and
# names the function before its parameter list); the module's files must
# define each (at column 0, or through a macro: "VIEW_CMD(name, ...)").
for h in "$SRC"/tui/*.h; do
	b=$(basename "$h" .h)
	files="$SRC/tui/$b.c $(awk -v h="$b.h" -v d="$SRC/tui/" '$1 == h { print d $2 }' "$T/parts")"
	awk '/\/\*/ { c = 1 } c { if (/\*\//) c = 0; next }
		/^[A-Za-z_][A-Za-z_0-9 *]*[ *]cf_[A-Za-z_0-9]+\(/ && !/^(typedef|#)/ {
			s = $0; sub(/\(.*/, "", s); sub(/.*[ *]/, "", s); print s }' "$h" |
		while read -r fn; do
			# $files is a list of paths without blanks
			# shellcheck disable=SC2086
			cat $files 2>/dev/null | grep -Eq "^[A-Za-z_].*[ *(]${fn}[(,]" ||
				echo "$b.h: $fn is not defined in $b.c"
		done
done >"$T/misplaced"
[ ! -s "$T/misplaced" ]
ok $? "each src/tui header declares only its own module's functions$(
	[ -s "$T/misplaced" ] && printf ': %s' "$(tr '\n' ';' <"$T/misplaced")")"

# ---- 4. no long function outside tables -------------------------------
# FILE FUNCTION: a body that is a table, with the reason it stays whole.
cat >"$T/tables" <<'EOF'
core/pickle.c step one case per pickle opcode, each a few lines; the switch is the opcode table
EOF
# A body runs from a line "{" to a line "}" at column 0; its function is
# named by the last line at column 0 before it that holds "name(".
find "$SRC" -name '*.c' | sort | while read -r f; do
	awk -v f="$(echo "$f" | rel)" -v max="$CF_MAX_BODY" '
		/^[A-Za-z_].*[A-Za-z_0-9]\(/ { s = $0; sub(/\(.*/, "", s); sub(/.*[ *]/, "", s); name = s }
		/^\{/ { start = FNR }
		/^\}/ && start { if (FNR - start - 1 > max) print f, name, FNR - start - 1; start = 0 }
	' "$f"
done >"$T/long"
while read -r f fn len; do
	grep -q "^$f $fn " "$T/tables" || echo "$f $fn() $len lines"
done <"$T/long" >"$T/too_long"
[ ! -s "$T/too_long" ]
ok $? "no function body in src/ over $CF_MAX_BODY lines outside the listed tables$(
	[ -s "$T/too_long" ] && printf ': %s' "$(tr '\n' ';' <"$T/too_long")")"
# The list names only tables that are still long (a stale entry would let
# the next long function of that name through unseen).
while read -r f fn _why; do
	grep -q "^$f $fn " "$T/long" || echo "$f $fn"
done <"$T/tables" >"$T/stale"
[ ! -s "$T/stale" ]
ok $? "every listed table is still over $CF_MAX_BODY lines$(
	[ -s "$T/stale" ] && printf ': %s' "$(tr '\n' ';' <"$T/stale")")"

echo "1..$n"
