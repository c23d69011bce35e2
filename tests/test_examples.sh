#!/bin/sh
# test_examples.sh — run every example experiment in scripts/examples at
# its smallest size (--tiny: seconds, not minutes) and every demo in
# share/demos; check that each exits 0 and prints its results table, that
# the MLP ablation writes a complete CSV, and that a bad option makes a
# script exit non-zero with a message.  TAP.
set -u

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
CLAFUSE=$(cd "$builddir" && pwd)/clafuse
EX=$(cd "$srcdir" && pwd)/scripts/examples
DEMOS=$(cd "$srcdir" && pwd)/share/demos
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clafuse-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0
ok() { # STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
has() { grep -F -q -e "$2" "$1"; } # FILE TEXT
diag() { sed 's/^/# /' "$1" | tail -n 15; }

# run NAME ARGS...: the example at its tiny size, in $tmp (so files it
# writes by default land there)
run() {
	name=$1
	shift
	(cd "$tmp" && "$CLAFUSE" run "$EX/$name.lua" --tiny --quiet "$@") >"$tmp/$name.out" 2>"$tmp/$name.err"
	st=$?
	ok $st "$name --tiny exits 0"
	[ $st -eq 0 ] || diag "$tmp/$name.err"
}

run mlp_ablation --csv "$tmp/ablation.csv"
has "$tmp/mlp_ablation.out" "| add (default CLA)"
ok $? "mlp_ablation: the table has the add row"
has "$tmp/mlp_ablation.out" "| merge (default CLA)" && has "$tmp/mlp_ablation.out" "| activation/wd s=2 f=1" &&
	has "$tmp/mlp_ablation.out" "| chain baseline" && has "$tmp/mlp_ablation.out" "| random baseline"
ok $? "mlp_ablation: merge, the sweep and both baselines"
[ -f "$tmp/ablation.csv" ] && [ "$(wc -l <"$tmp/ablation.csv")" -eq 17 ]
ok $? "mlp_ablation: the CSV has a header and 16 rows (one seed x 16 variants)"
head -n 1 "$tmp/ablation.csv" | grep -q '^seed,variant,balance,measure,metric,s,f,method,map,'
ok $? "mlp_ablation: CSV header"
ls "$tmp" | grep -q '\.tmp' && st=1 || st=0
ok $st "mlp_ablation: no temporary file left behind"

run repair_by_hand
has "$tmp/repair_by_hand.out" "| fused + REPAIR by hand" && has "$tmp/repair_by_hand.out" "| fused (OT, CLAFusion)"
ok $? "repair_by_hand: the table has the fused model before and after REPAIR"
# the repaired first layer's neuron stds are the targets: the two ranges printed agree
sed -n 's/.*stds lie in \[\(.*\)\] (targets \[\(.*\)\]).*/\1 \2/p' "$tmp/repair_by_hand.out" |
	awk '{ exit !($0 != "" && $1 $2 == $3 $4) }'
ok $? "repair_by_hand: layer 1's stds equal their targets after REPAIR"
[ "$(grep -c -v '^ *--' "$EX/repair_by_hand.lua")" -lt 60 ] && ! grep -q 'function' "$EX/repair_by_hand.lua"
ok $? "repair_by_hand: under 60 lines, no helper functions of its own"

run repair
has "$tmp/repair.out" "| CLAFusion, as published" && has "$tmp/repair.out" "| CLAFusion, + REPAIR |" &&
	has "$tmp/repair.out" "| CLAFusion, + REPAIR + width-aware" &&
	has "$tmp/repair.out" "| CLAFusion, + REPAIR + REPAIR of the logits + cosine" &&
	has "$tmp/repair.out" "before any finetuning"
ok $? "repair: the table has every variant and the finding"

grep -q "^Finding: with add, the alignments reached give \[" "$tmp/mlp_ablation.out"
ok $? "mlp_ablation: ends with its finding"

run teacher_student
has "$tmp/teacher_student.out" "| fused, finetuned" && has "$tmp/teacher_student.out" "| teacher"
ok $? "teacher_student: the accuracy table"
has "$tmp/teacher_student.out" "per-layer fusion:"
ok $? "teacher_student: the per-layer table"
# the finding agrees with the table: finetuned fused against the student trained on
ft=$(sed -n 's/^| fused, finetuned *| *\([0-9.]*\) .*/\1/p' "$tmp/teacher_student.out")
st=$(sed -n 's/^| student, trained on *| *\([0-9.]*\) .*/\1/p' "$tmp/teacher_student.out")
if awk -v a="$ft" -v b="$st" 'BEGIN { exit !(a < b) }'; then word="does not pay"; else word="are worth more"; fi
[ -n "$ft" ] && grep "^Finding: " "$tmp/teacher_student.out" | grep -q -F "reaches $ft%" &&
	grep "^Finding: " "$tmp/teacher_student.out" | grep -q -F "$word"
ok $? "teacher_student: the finding agrees with the table (finetuned $ft% vs trained on $st%)"

run multi_model
has "$tmp/multi_model.out" "| fused, iterative" && has "$tmp/multi_model.out" "| fused, many-to-one"
ok $? "multi_model: both methods"
it=$(sed -n 's/^| fused, iterative *|[^|]*| *\([0-9.]*\) .*/\1/p' "$tmp/multi_model.out")
mo=$(sed -n 's/^| fused, many-to-one *|[^|]*| *\([0-9.]*\) .*/\1/p' "$tmp/multi_model.out")
if awk -v a="$mo" -v b="$it" 'BEGIN { exit !(a > b) }'; then best=many-to-one; else best=iterative; fi
[ -n "$it" ] && grep -q "^Finding: $best keeps more" "$tmp/multi_model.out"
ok $? "multi_model: the finding names the better method as the table does ($best; $it% vs $mo%)"
run multi_model --models 4
has "$tmp/multi_model.out" "| model 4"
ok $? "multi_model --models 4: four parents"

run ot_solvers
for solver in exact sinkhorn sinkhorn-log sinkhorn-eps; do
	grep -q "^| $solver " "$tmp/ot_solvers.out"
	ok $? "ot_solvers: a row for $solver"
done
grep '^| exact ' "$tmp/ot_solvers.out" | grep -q ' 0\.000 |'
ok $? "ot_solvers: the exact plan is at distance 0 from itself"
grep -q "^Finding: " "$tmp/ot_solvers.out"
ok $? "ot_solvers: ends with its finding"

# bad options: non-zero exit and a message naming the option
for name in mlp_ablation teacher_student multi_model ot_solvers; do
	"$CLAFUSE" run "$EX/$name.lua" --bogus >"$tmp/bad.out" 2>"$tmp/bad.err"
	st=$?
	[ $st -ne 0 ] && has "$tmp/bad.err" "unknown option --bogus"
	ok $? "$name --bogus exits non-zero with a message"
done
"$CLAFUSE" run "$EX/mlp_ablation.lua" --help >"$tmp/help.out" 2>&1
[ $? -eq 0 ] && has "$tmp/help.out" "--seeds"
ok $? "mlp_ablation --help lists the options"

# demos
for d in "$DEMOS"/*.lua; do
	name=$(basename "$d" .lua)
	(cd "$tmp" && "$CLAFUSE" -e "demo '$name'") >"$tmp/demo.out" 2>"$tmp/demo.err"
	st=$?
	ok $st "demo '$name' runs"
	[ $st -eq 0 ] || diag "$tmp/demo.err"
done

echo "1..$n"
