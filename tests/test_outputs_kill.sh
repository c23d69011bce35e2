#!/bin/sh
# test_outputs_kill.sh — kill -9 at random moments while a model, a plan
# and a report are saved over and over (TAP).  After each of 100 kills the
# three files must each be absent (not saved yet) or whole and of one
# generation: a save is a temporary file renamed over the target, so a
# reader never sees half of one.  SIGKILL cannot be caught, so the
# temporary file of the save in progress may stay behind; it is counted
# and removed, never mistaken for the target.  Then the sweep: the next
# save of a target removes such leftovers (no lock on them, untouched for
# over 10 s), and leaves alone a temporary file that is locked (a save in
# progress) or new, and other files.
top_builddir=${top_builddir:-.}
STRESS=${STRESS:-$top_builddir/tests/outfile_stress}
# tmpfs when there is one: fsync is then free, and a killed process is
# not held up finishing one (what is tested is the kill, not a power cut)
T=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

# 100 delays, 0 to 79 ms, from a fixed seed (the same run every time)
delays=$(awk 'BEGIN { srand(9); for (i = 0; i < 100; i++) printf "%03d ", int(rand() * 80) }')
bad=0
checked=0
temps=0
for d in $delays; do
	"$STRESS" write "$T" &
	pid=$!
	sleep 0.$d
	kill -KILL $pid
	wait $pid 2>/dev/null
	"$STRESS" check "$T" > "$T.out"
	r=$?
	read -r _ t < "$T.out"
	temps=$((temps + t))
	if [ $r -ne 0 ]; then
		bad=$((bad + 1))
		sed '1d; s/^/# /' "$T.out"
	fi
	[ -f "$T/model.safetensors" ] && checked=$((checked + 1))
done
rm -f "$T.out"
[ $bad -eq 0 ]; ok $? "100 kill -9 during saves: no corrupt or truncated target ($bad bad)"
[ $checked -ge 50 ]; ok $? "the targets existed and were read back after $checked of the kills"
echo "# temporary files left by SIGKILL (expected, removed): $temps"

# The sweep.  A leftover of a killed save: its writer is gone, so is its
# lock; aged by setting its time back a minute.
mkdir "$T/sweep"
"$STRESS" save "$T/sweep" || ok 1 "a save into an empty directory"
for f in model.safetensors plan.csv report.json; do
	echo half > "$T/sweep/$f.tmp.dead01"
	touch -d '1 minute ago' "$T/sweep/$f.tmp.dead01"
done
echo young > "$T/sweep/model.safetensors.tmp.young1"      # just written
echo busy > "$T/sweep/plan.csv.tmp.busy01"                # a save in progress
touch -d '1 minute ago' "$T/sweep/plan.csv.tmp.busy01"
echo other > "$T/sweep/model.safetensors.tmp.toolong"     # not one of ours
touch -d '1 minute ago' "$T/sweep/model.safetensors.tmp.toolong"
flock "$T/sweep/plan.csv.tmp.busy01" sh -c "touch '$T/locked'; sleep 30" &
locker=$!
i=0
while [ $i -lt 100 ] && [ ! -f "$T/locked" ]; do sleep 0.05; i=$((i + 1)); done
"$STRESS" save "$T/sweep"
ok $? "a save after the leftovers succeeds"
left=$(ls "$T/sweep" | grep -c 'tmp\.dead01$')
[ "$left" -eq 0 ]; ok $? "the save swept the three leftovers of a killed save ($left left)"
[ -f "$T/sweep/model.safetensors.tmp.young1" ]; ok $? "a temporary file under 10 s old is kept"
[ -f "$T/sweep/plan.csv.tmp.busy01" ]; ok $? "a locked temporary file (a save in progress) is kept"
[ -f "$T/sweep/model.safetensors.tmp.toolong" ]; ok $? "a file not named like a temporary is kept"
kill $locker 2>/dev/null
wait $locker 2>/dev/null
"$STRESS" check "$T/sweep" > /dev/null
ok $? "the targets are whole after the sweep"
echo "1..$n"
