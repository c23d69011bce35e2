#!/bin/sh
# test_outputs.sh — what the program does with its outputs and awkward
# inputs, end to end (TAP): file modes under a umask and of an existing
# file, symbolic links kept, /dev/null and FIFOs written through, the
# --json report atomic when the disk fills (simulated by a file size
# limit), SIGTERM/SIGHUP during saves leaving no temporary file, FIFOs
# given as inputs refused at once, and Ctrl-C stopping Lua inside a
# coroutine and a long CCA.
. "${top_srcdir:-.}/tests/tap_lib.sh"
mode() { stat -c %a "$1"; }
kind() { stat -L -c %F "$1"; }
no_temps() { ! ls -a "$1" | grep -q '\.tmp\.'; }
# wait up to $2 tenths of a second for process $1 to end; 0 if it did
ends_within() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -ge "$2" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}
A="$top_srcdir/share/models/mlp_a.safetensors"
B="$top_srcdir/share/models/mlp_b.safetensors"

printf '0,1,2\n1,0,2\n2,1,0\n' > "$T/c.csv"

# ---- modes ----
(umask 077 && "$CLAFUSE" ot "$T/c.csv" --plan "$T/p077.csv" > /dev/null)
[ "$(mode "$T/p077.csv")" = 600 ]; ok $? "a new plan under umask 077 is 0600 ($(mode "$T/p077.csv"))"
(umask 022 && "$CLAFUSE" ot "$T/c.csv" --plan "$T/p022.csv" > /dev/null)
[ "$(mode "$T/p022.csv")" = 644 ]; ok $? "a new plan under umask 022 is 0644"
echo old > "$T/priv.csv"
chmod 600 "$T/priv.csv"
(umask 022 && "$CLAFUSE" ot "$T/c.csv" --plan "$T/priv.csv" > /dev/null)
[ "$(mode "$T/priv.csv")" = 600 ] && grep -q '^0.333' "$T/priv.csv"
ok $? "an existing 0600 plan is rewritten and stays 0600 ($(mode "$T/priv.csv"))"
(umask 077 && "$CLAFUSE" -e "assert(cf.model.load('$A'):save('$T/m077.safetensors'))")
[ "$(mode "$T/m077.safetensors")" = 600 ]; ok $? "m:save under umask 077 gives 0600 ($(mode "$T/m077.safetensors"))"

# ---- links and special files ----
echo old > "$T/real.csv"
ln -s real.csv "$T/link.csv"
"$CLAFUSE" ot "$T/c.csv" --plan "$T/link.csv" > /dev/null
[ -L "$T/link.csv" ] && [ "$(readlink "$T/link.csv")" = real.csv ] && grep -q '^0.333' "$T/real.csv"
ok $? "--plan through a symbolic link: the link stays, its target gets the plan"
"$CLAFUSE" ot "$T/c.csv" --plan /dev/null > /dev/null
r=$?
[ $r -eq 0 ] && [ "$(kind /dev/null)" = "character special file" ]
ok $? "--plan /dev/null: exit $r, /dev/null is still a character device"
mkfifo "$T/out.fifo"
cat "$T/out.fifo" > "$T/from.fifo" &
reader=$!
"$CLAFUSE" ot "$T/c.csv" --plan "$T/out.fifo" > /dev/null
ends_within $reader 50 || kill $reader # a FIFO renamed away leaves its reader waiting
wait $reader
[ "$(kind "$T/out.fifo")" = fifo ] && [ "$(wc -l < "$T/from.fifo")" -eq 3 ]
ok $? "--plan FIFO: the reader gets 3 rows, the FIFO stays a FIFO"
"$CLAFUSE" ot "$T/c.csv" --plan "$T" > "$T/err" 2>&1
[ $? -eq 1 ] && grep -q 'is a directory' "$T/err"; ok $? "--plan DIR: exit 1, 'is a directory'"

# ---- inputs that are FIFOs do not block ----
mkfifo "$T/in.fifo"
for cmd in info ot; do
	"$CLAFUSE" $cmd "$T/in.fifo" > "$T/err" 2>&1 &
	pid=$!
	if ends_within $pid 100; then
		wait $pid
		r=$?
		[ $r -eq 1 ] && grep -q 'is a FIFO, expected a regular file' "$T/err"
		ok $? "clafuse $cmd FIFO: exit $r at once: $(cat "$T/err")"
	else
		kill -KILL $pid
		ok 1 "clafuse $cmd FIFO: still blocked after 10 s"
	fi
done

# ---- --json: atomic under a full disk ----
if [ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
	printf '{"old": 1}\n' > "$T/rep.json"
	chmod 640 "$T/rep.json"
	# a file size limit of 2 KB (the report is ~4 KB) stands in for a full disk
	(trap '' XFSZ; ulimit -f 2; "$CLAFUSE" fuse "$A" "$B" --data fashion-mnist --json "$T/rep.json" -q) \
		> "$T/out" 2> "$T/err"
	r=$?
	[ $r -eq 1 ] && grep -q 'rep.json.*File too large' "$T/err"
	ok $? "--json on a full disk: exit $r, $(cat "$T/err")"
	[ "$(cat "$T/rep.json")" = '{"old": 1}' ] && no_temps "$T"
	ok $? "--json on a full disk: the old report is whole, no temporary file"
	"$CLAFUSE" fuse "$A" "$B" --data fashion-mnist --json "$T/rep.json" -q > /dev/null 2>&1
	python3 -c "import json,sys; sys.exit(0 if 'layers' in json.load(open('$T/rep.json')) else 1)" &&
		[ "$(mode "$T/rep.json")" = 640 ]
	ok $? "--json rewrites a 0640 report whole and keeps 0640"
else
	skip "Fashion-MNIST not installed"
	skip "Fashion-MNIST not installed"
	skip "Fashion-MNIST not installed"
fi

# ---- signals during saves leave no temporary file ----
mkdir "$T/sig"
left=0
bad=0
# SIGHUP is left ignored when the run itself ignores it (nohup): then
# every round uses SIGTERM
hup=HUP
[ $(( 0x$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status 2>/dev/null || echo 0) & 1 )) -eq 0 ] ||
	hup=TERM
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	sig=TERM
	[ $((i % 4)) -eq 0 ] && sig=$hup
	rm -f "$T/sig/m.safetensors"
	"$CLAFUSE" -e "local m = cf.model.load('$A') while true do assert(m:save('$T/sig/m.safetensors')) end" \
		> /dev/null 2>&1 &
	pid=$!
	# once the first save is done, the loop is saving all the time
	j=0
	while [ ! -e "$T/sig/m.safetensors" ] && [ $j -lt 300 ]; do sleep 0.1; j=$((j + 1)); done
	sleep 0.0$i
	kill -$sig $pid
	if ends_within $pid 100; then
		wait $pid 2>/dev/null
	else
		kill -KILL $pid
		bad=$((bad + 1)) # a save loop that SIG$sig did not stop
	fi
	no_temps "$T/sig" || left=$((left + 1))
	rm -f "$T"/sig/*.tmp.*
	"$CLAFUSE" info "$T/sig/m.safetensors" > /dev/null 2>&1 || bad=$((bad + 1))
done
[ $left -eq 0 ]; ok $? "SIGTERM/SIGHUP during 12 save loops: no temporary file left ($left)"
[ $bad -eq 0 ]; ok $? "and the model file is whole every time ($bad bad)"

# ---- Ctrl-C stops Lua in a coroutine, and a long CCA ----
for code in 'coroutine.wrap(function() while true do end end)()' \
	'local co = coroutine.create(function() while true do end end) coroutine.resume(co) while true do end'; do
	rm -f "$T/lua.started"
	# the marker says Lua runs (and its Ctrl-C handler is in place)
	"$CLAFUSE" -e "io.open('$T/lua.started', 'w'):close() $code" > /dev/null 2> "$T/err" &
	pid=$!
	i=0
	while [ ! -f "$T/lua.started" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.2
	kill -INT $pid
	if ends_within $pid 50; then
		wait $pid
		grep -q interrupted "$T/err"
		ok $? "one Ctrl-C stops a loop in a coroutine ($(echo "$code" | cut -c1-30)...)"
	else
		kill -KILL $pid
		ok 1 "one Ctrl-C stops a loop in a coroutine: still running 5 s later"
	fi
done
# the matrices are made first (seconds on a busy machine); the marker file
# says the CCA itself has begun
"$CLAFUSE" -e "local X, Y = cf.rand(2000, 1500), cf.rand(2000, 1500)
	io.open('$T/cca.started', 'w'):close()
	print(cf.align.cca(X, Y))" > "$T/out" 2> "$T/err" &
pid=$!
i=0
while [ ! -f "$T/cca.started" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -INT $pid
if ends_within $pid 30; then
	wait $pid
	grep -q interrupted "$T/err" && ! [ -s "$T/out" ]
	ok $? "Ctrl-C stops cf.align.cca on 2000x1500 within 3 s"
else
	kill -KILL $pid
	ok 1 "Ctrl-C stops cf.align.cca on 2000x1500: still running 3 s later"
fi

echo "1..$n"
