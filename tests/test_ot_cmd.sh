#!/bin/sh
# test_ot_cmd.sh — `clafuse ot` end to end (TAP): CSV and binary input, the
# §5.5 example, plan output, exit codes for bad input and bad usage.
top_builddir=${top_builddir:-.}
CLAFUSE=${CLAFUSE:-$top_builddir/clafuse}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

printf '0,1\n1,0\n0.4,0.6\n' > "$T/M.csv"
printf '0.3333333333333333 0.3333333333333333 0.3333333333333334\n' > "$T/a.txt"
printf '0.5\n0.5\n' > "$T/b.txt"
"$CLAFUSE" ot "$T/M.csv" --a "$T/a.txt" --b "$T/b.txt" --check --plan "$T/plan.csv" > "$T/out" 2>&1
ok $? "§5.5 example solves (exit 0)"
grep -q '^cost *0.1666666666666666' "$T/out"; ok $? "prints cost 1/6"
grep -q '^certified *yes' "$T/out"; ok $? "certificate printed and holds"
grep -q '^0.1666666666666666' "$T/plan.csv"; ok $? "plan CSV written (row 3 holds 1/6)"
ls "$T" | grep -q tmp; [ $? -ne 0 ]; ok $? "no temporary file left behind"

# binary: magic, int64 rows, cols, little-endian doubles (2x2 identity-cost)
printf 'CFMAT001\002\0\0\0\0\0\0\0\002\0\0\0\0\0\0\0' > "$T/M.bin"
printf '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\360\077\0\0\0\0\0\0\360\077\0\0\0\0\0\0\0\0' >> "$T/M.bin"
"$CLAFUSE" ot "$T/M.bin" --solver emd --plan "$T/P.bin" > "$T/out" 2>&1
ok $? "binary cost file solves"
grep -q '^cost *0$' "$T/out"; ok $? "binary 2x2 cost is 0"
[ "$(wc -c < "$T/P.bin")" -eq 56 ]; ok $? "binary plan has header + 4 doubles"

"$CLAFUSE" ot "$T/M.bin" --solver sinkhorn-log --reg 0.1 > "$T/out" 2>&1
ok $? "sinkhorn-log from the command line"
grep -q '^status *converged' "$T/out"; ok $? "status converged printed"

# at an iteration limit the printed error is the L1 marginal error (rows and
# columns) of the plan written out, not the solver's running row error
printf '0,3,1,2\n2,0,3,1\n1,2,0,3\n3,1,2,0.5\n' > "$T/M4.csv"
printf '0.1 0.2 0.3 0.4\n' > "$T/a4.txt"
"$CLAFUSE" ot "$T/M4.csv" --a "$T/a4.txt" --solver sinkhorn-log --reg 0.3 --max-iter 3 \
	--plan "$T/P4.csv" > "$T/out" 2>&1; [ $? -eq 1 ]; ok $? "iteration limit: exit 1"
grep -q '^status *limit (iteration limit 3 reached (L1 marginal error ' "$T/out"; ok $? "limit message names the L1 error"
l1=$(awk -F, -v a="0.1 0.2 0.3 0.4" 'BEGIN { split(a, w, " ") }
	{ r = 0; for (j = 1; j <= NF; j++) { r += $j; c[j] += $j } e += (r > w[NR] ? r - w[NR] : w[NR] - r) }
	END { for (j = 1; j <= 4; j++) e += (c[j] > 0.25 ? c[j] - 0.25 : 0.25 - c[j]); printf "%.17g", e }' "$T/P4.csv")
shown=$(sed -n 's/^error *\([^ ]*\) .*/\1/p' "$T/out")
inmsg=$(sed -n 's/.*(L1 marginal error \([^)]*\))).*/\1/p' "$T/out")
awk -v x="$l1" -v y="$shown" -v z="$inmsg" 'BEGIN { exit !(x > 1e-3 && (x - y) ^ 2 <= (1e-5 * x) ^ 2 && (x - z) ^ 2 <= (5e-3 * x) ^ 2) }'
ok $? "printed errors ($shown, $inmsg) equal the plan's L1 marginal error ($l1)"

# a binary plan larger than the writer's chunk (8192 entries) holds the same
# numbers as the CSV plan
awk 'BEGIN { for (i = 0; i < 100; i++) { l = ""; for (j = 0; j < 100; j++)
	l = l (j ? "," : "") ((i * 37 + j * 11) % 101) / 10; print l } }' > "$T/M100.csv"
"$CLAFUSE" ot "$T/M100.csv" --solver sinkhorn-log --reg 0.5 --plan "$T/P100.bin" > /dev/null 2>&1 &&
	"$CLAFUSE" ot "$T/M100.csv" --solver sinkhorn-log --reg 0.5 --plan "$T/P100.csv" > /dev/null 2>&1
ok $? "100x100 plan written as binary and as CSV"
[ "$(wc -c < "$T/P100.bin")" -eq 80024 ]; ok $? "binary plan: header + 10000 doubles"
od -A n -v -t f8 -j 24 "$T/P100.bin" | tr -s ' ' '\n' | grep -v '^$' > "$T/P100.od"
tr ',' '\n' < "$T/P100.csv" > "$T/P100.txt"
[ "$(wc -l < "$T/P100.od")" -eq 10000 ] &&
	paste "$T/P100.od" "$T/P100.txt" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-15 * ($2 > 0 ? $2 : -$2) + 1e-300) bad++ }
		END { exit bad > 0 }'
ok $? "binary and CSV plans agree entry by entry"

printf '0,nan\n1,0\n' > "$T/bad.csv"
"$CLAFUSE" ot "$T/bad.csv" > "$T/out" 2>&1; [ $? -eq 1 ]; ok $? "NaN cost: exit 1"
grep -q 'not finite' "$T/out"; ok $? "NaN cost: message names it"
printf '1,2\n3\n' > "$T/ragged.csv"
"$CLAFUSE" ot "$T/ragged.csv" > "$T/out" 2>&1; [ $? -eq 1 ]; ok $? "ragged CSV: exit 1"
printf '0.9 0.3\n' > "$T/a2.txt"
"$CLAFUSE" ot "$T/M.bin" --a "$T/a2.txt" > "$T/out" 2>&1; [ $? -eq 1 ]; ok $? "unbalanced weights: exit 1"
grep -q 'do not balance' "$T/out"; ok $? "unbalanced weights: message"
"$CLAFUSE" ot "$T/M.csv" --a "$T/b.txt" > "$T/out" 2>&1; [ $? -eq 1 ]; ok $? "wrong weight count: exit 1"
"$CLAFUSE" ot "$T/nope.csv" > /dev/null 2>&1; [ $? -eq 1 ]; ok $? "missing file: exit 1"
"$CLAFUSE" ot "$T/M.csv" --solver magic > /dev/null 2>&1; [ $? -eq 2 ]; ok $? "unknown solver: exit 2"
"$CLAFUSE" ot "$T/M.csv" --reg x > /dev/null 2>&1; [ $? -eq 2 ]; ok $? "non-numeric --reg: exit 2"
"$CLAFUSE" ot > /dev/null 2>&1; [ $? -eq 2 ]; ok $? "no cost file: exit 2"
"$CLAFUSE" ot "$T/M.csv" --solver sinkhorn --reg nan > "$T/out" 2>&1; [ $? -eq 2 ] && grep -q "^clafuse ot: --reg: expected a number, got .nan." "$T/out"
ok $? "NaN reg: a usage error (exit 2) that names the option"
"$CLAFUSE" ot --help | grep -q 'usage: clafuse ot'; ok $? "--help"
echo "1..$n"
