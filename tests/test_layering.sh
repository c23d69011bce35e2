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
# One awk reads every header: "H =" for the node, "H I" per #include "I";
# the shell resolves I beside H, then under src/.
(
	cd "$SRC" || exit 1
	# shellcheck disable=SC2046 # header paths have no blanks
	awk 'FNR == 1 { print FILENAME, "=" }
		/^[ \t]*#[ \t]*include[ \t]*"/ { i = $0; sub(/^[^"]*"/, "", i); sub(/".*/, "", i)
			print FILENAME, i }' $(cat "$T/headers") |
		while read -r h inc; do
			case $h in */*) d=${h%/*}/ ;; *) d= ;; esac
			if [ "$inc" = "=" ]; then
				echo "$h $h"
			elif [ -f "$d$inc" ]; then
				echo "$h $d$inc"
			elif [ -f "$inc" ]; then
				echo "$h $inc"
			fi
		done
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
# "file.h name" for each function a header declares (a prototype starts
# at column 0 and names the function before its parameter list) ...
awk 'FNR == 1 { c = 0; f = FILENAME; sub(/.*\//, "", f) }
	/\/\*/ { c = 1 } c { if (/\*\//) c = 0; next }
	/^[A-Za-z_][A-Za-z_0-9 *]*[ *]cf_[A-Za-z_0-9]+\(/ && !/^(typedef|#)/ {
		s = $0; sub(/\(.*/, "", s); sub(/.*[ *]/, "", s); print f, s }' \
	"$SRC"/tui/*.h >"$T/declared"
# ... and "file.c name" for each function a .c defines at column 0, also
# through a macro ("VIEW_CMD(name, ...)").
awk 'FNR == 1 { f = FILENAME; sub(/.*\//, "", f) }
	/^[A-Za-z_]/ && match($0, /[ *(]cf_[A-Za-z_0-9]+[(,]/) {
		print f, substr($0, RSTART + 1, RLENGTH - 2) }' "$SRC"/tui/*.c >"$T/defined"
awk -v parts="$T/parts" -v defined="$T/defined" '
	BEGIN { while ((getline l < parts) > 0) { split(l, w, " "); part[w[1]] = w[2] }
		while ((getline l < defined) > 0) { split(l, w, " "); def[w[1], w[2]] = 1 } }
	{ c = $1; sub(/\.h$/, ".c", c)
	  if (!def[c, $2] && !((($1) in part) && def[part[$1], $2]))
		print $1 ": " $2 " is not defined in " c }' "$T/declared" >"$T/misplaced"
[ -s "$T/declared" ]
ok $? "src/tui headers declare functions ($(wc -l <"$T/declared"))"
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
(
	cd "$SRC" || exit 1
	# shellcheck disable=SC2046 # source paths have no blanks
	awk -v max="$CF_MAX_BODY" '
		FNR == 1 { start = 0; name = "" }
		/^[A-Za-z_].*[A-Za-z_0-9]\(/ { s = $0; sub(/\(.*/, "", s); sub(/.*[ *]/, "", s); name = s }
		/^\{/ { start = FNR }
		/^\}/ && start { if (FNR - start - 1 > max) print FILENAME, name, FNR - start - 1; start = 0 }
	' $(find . -name '*.c' | sed 's|^\./||' | sort)
) >"$T/long"
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
