#!/bin/sh
# test_demo_batch.sh — `clafuse demo --batch` says only what its numbers
# show.  The printed tour (the words the workbench's tour shows too) is
# read back: every sentence that states a depth, a shape, a map, an
# accuracy's place against the parents or the identity at the output
# layer is checked against the tables and lines the same run prints.  A
# sentence that contradicts them fails the test.  Without Fashion-MNIST
# the test skips.  Prints TAP.
set -u

builddir=${top_builddir:-.}
CLAFUSE=$(cd "$builddir" && pwd)/clafuse
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clafuse-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

if ! "$CLAFUSE" demo --batch --finetune 1 >"$tmp/out" 2>"$tmp/err"; then
	if grep -q -i "fashion" "$tmp/err"; then
		echo "1..0 # SKIP Fashion-MNIST is not installed"
		exit 0
	fi
	echo "Bail out! clafuse demo --batch failed: $(head -n 3 "$tmp/err")"
	exit 1
fi
out="$tmp/out"
# the text as one line, so that a sentence wrapped over lines reads whole
flat=$(tr -s ' \n' '  ' <"$out")
# get REGEX: the first group of the first match in the flat text
get() { printf '%s\n' "$flat" | sed -n "s/.*$1.*/\1/p" | head -n 1; }
# the table's value for a label: "   model 0     86.60%"
acc() { sed -n "s/^   $1  *\([0-9.]*\)%.*/\1/p" "$out" | head -n 1; }
count() { echo "$1" | tr '-' '\n' | grep -c .; }
# rel X A B: where X lies against A and B, in the tour's words
rel() {
	awk -v x="$1" -v a="$2" -v b="$3" 'BEGIN {
		lo = a < b ? a : b; hi = a < b ? b : a
		if (x < lo) print "below both parents"
		else if (x > hi) print "above both parents"
		else print "between the two parents" }'
}

# --- the two networks --------------------------------------------------------
wa=$(sed -n 's/^   model 0 .* widths \([0-9-]*\)$/\1/p' "$out")
wb=$(sed -n 's/^   model 1 .* widths \([0-9-]*\)$/\1/p' "$out")
da=$(count "$wa")
db=$(count "$wb")
[ -n "$wa" ] && [ -n "$wb" ]
ok $? "the widths of both models are printed ($wa, $wb)"
printf '%s\n' "$flat" | grep -F -q "A (model 0) has $da layers of widths $wa, B (model 1) $db layers of widths $wb."
ok $? "the sentence on the models states their depths and widths as printed"
if [ "$da" -gt "$db" ]; then deeper=A; else deeper=B; fi
[ "$da" -eq "$db" ] || printf '%s\n' "$flat" | grep -F -q "$deeper is deeper"
ok $? "'$deeper is deeper' agrees with the depths ($da, $db)"

# --- the alignment -------------------------------------------------------------
map=$(sed -n 's/^   map: model 1 layer k -> model 0 layer \(.*\)$/\1/p' "$out" | head -n 1)
first=$(get "B's first \([0-9]*\) and last [0-9]* hidden layer")
last=$(get "B's first [0-9]* and last \([0-9]*\) hidden layer")
start=$(get "cla.start = \([0-9]*\),")
free=$(get "cla.free_end = \([0-9]*\))")
m=$(sed -n '/^3\./,/^4\./p' "$out" | grep -c '^     A[0-9]')
ok_map=0
[ -n "$first" ] && [ "$first" -eq $((start - 1)) ] || ok_map=1
k=1
for a in $map; do
	# the first ones fixed to A1.., the last to A's last layers
	[ $k -le "${first:-0}" ] && [ "$a" -ne $k ] && ok_map=1
	k=$((k + 1))
done
nmap=$((k - 1))
k=1
for a in $map; do
	[ $k -gt $((nmap - ${last:-0})) ] && [ "$a" -ne $((m - nmap + k)) ] && ok_map=1
	k=$((k + 1))
done
[ $ok_map -eq 0 ]
ok $? "'first $first and last $last paired by rule' (cla.start = $start) agrees with the map '$map' of $m layers"
path=$(k=1; for a in $map; do printf '%sA%s→B%s' "$([ $k -gt 1 ] && echo ', ')" "$a" "$k"; k=$((k + 1)); done)
printf '%s\n' "$flat" | grep -F -q "Here: $path,"
ok $? "the path quoted ($path) is the map printed"
! printf '%s\n' "$flat" | grep -E -q '%[a-z]|[0-9]-1 layers|\?\?'
ok $? "no unformatted template left in the text"

# --- balancing and the fused shape ----------------------------------------------------
arrow=$(sed -n 's/^       \([0-9-]*\)  ->  \([0-9-]*\)$/\1 \2/p' "$out")
bal=${arrow#* }
printf '%s\n' "$flat" | grep -F -q "${arrow% *} becomes $bal."
ok $? "the balanced widths in the text are the ones printed ($bal)"
wf=$(sed -n 's/^   fused (one network) .*(widths \([0-9-]*\))$/\1/p' "$out")
df=$(count "$wf")
said=$(get "The fused network has widths [0-9-]*: the depth of \([AB]\)")
[ "$wf" = "$bal" ] && printf '%s\n' "$flat" | grep -F -q "The fused network has widths $wf:" \
	&& { { [ "$said" = A ] && [ "$df" -eq "$da" ]; } || { [ "$said" = B ] && [ "$df" -eq "$db" ]; }; }
ok $? "the fused network's shape: widths $wf, 'the depth of $said' ($df layers; A $da, B $db)"

# --- the output layer -------------------------------------------------------------------
trace=$(sed -n '/^   layer  *size/,/^$/p' "$out" | grep . | tail -n 1 | awk '{ print $5 }')
if [ "$trace" = "1.000" ]; then
	printf '%s\n' "$flat" | grep -F -q "there T is the identity"
else
	printf '%s\n' "$flat" | grep -F -q "there T is not the identity"
fi
ok $? "the sentence on the output layer's plan agrees with its trace ratio ($trace)"

# the column "to": a row of T carries 1/n0 of the mass, a column takes 1/n1,
# so each neuron of A reaches at least n1/n0 neurons of B (1: a permutation)
to_ok=$(sed -n '/^   layer  *size/,/^$/p' "$out" | sed 1d | grep . | awk '{
	split($2, nm, "x"); k = int((nm[2] + nm[1] - 1) / nm[1]); split($6, r, "-")
	if (r[1] < k) bad++; rows++ }
	END { print (rows > 0 && !bad) ? "yes" : "no" }')
[ "$to_ok" = yes ] && printf '%s\n' "$flat" | grep -F -q 'Column "to": how many neurons of B'
ok $? "the column 'to' is at least n1/n0 in every layer, and the text explains it"

# --- accuracies ------------------------------------------------------------------------
a0=$(acc "model 0")
a1=$(acc "model 1")
af=$(acc "fused (one network)")
ae=$(acc "prediction ensemble")
printf '%s\n' "$flat" | grep -F -q "Test accuracy: A $a0%, B $a1%. The fused network: $af%, $(rel "$af" "$a0" "$a1")."
ok $? "fused $af% is '$(rel "$af" "$a0" "$a1")' (A $a0%, B $a1%), as the text says"
printf '%s\n' "$flat" | grep -F -q "must run): $ae%, $(rel "$ae" "$a0" "$a1")."
ok $? "the ensemble $ae% is '$(rel "$ae" "$a0" "$a1")', as the text says"
if grep -q '^   plain average  *n/a' "$out"; then
	[ "$wa" != "$wb" ] && printf '%s\n' "$flat" | grep -F -q "impossible here, the shapes differ"
else
	avg=$(acc "plain average")
	printf '%s\n' "$flat" | grep -F -q "without alignment: $avg%"
fi
ok $? "the plain-averaging baseline: the text agrees with the table"
aft=$(sed -n 's/^   fused + 1 epoch SGD  *\([0-9.]*\)%.*/\1/p' "$out")
printf '%s\n' "$flat" | grep -F -q "reaches $aft%" \
	&& printf '%s\n' "$flat" | grep -F -q "That is $(rel "$aft" "$a0" "$a1") (A $a0%, B $a1%), up from $af% right after fusion."
ok $? "finetuned $aft% is '$(rel "$aft" "$a0" "$a1")', as the text says"
awk -v f="$af" -v t="$aft" 'BEGIN { exit !(t > f) }' || ! printf '%s\n' "$flat" | grep -F -q "up from"
ok $? "'up from' only when finetuning raised the accuracy ($af% -> $aft%)"

# --- the optional last step: the options beyond the paper ----------------------------------
pub=$(sed -n 's/^   fused, as published  *\([0-9.]*\)%.*/\1/p' "$out")
opt=$(sed -n 's/^   fused, the three options  *\([0-9.]*\)%.*/\1/p' "$out")
diff=$(awk -v a="$opt" -v b="$pub" 'BEGIN { printf "%+.2f", a - b }')
[ -n "$opt" ] && [ "$pub" = "$af" ]
ok $? "the optional step's table: published $pub% (the fused $af% above), with the options $opt%"
printf '%s\n' "$flat" | grep -F -q "the fused network reaches $opt% instead of $pub% ($diff points), $(rel "$opt" "$a0" "$a1") (A $a0%, B $a1%)."
ok $? "the options' effect as the table shows it: $pub% -> $opt% ($diff points), '$(rel "$opt" "$a0" "$a1")'"
if awk -v a="$opt" -v b="$pub" 'BEGIN { exit !(a <= b) }'; then
	printf '%s\n' "$flat" | grep -F -q "No gain on these two networks" && ! printf '%s\n' "$flat" | grep -F -q "A gain, not a cure"
else
	! printf '%s\n' "$flat" | grep -F -q "No gain on these two networks"
fi
ok $? "'gain' or 'no gain' as the numbers say ($pub% -> $opt%)"

echo "1..$n"
