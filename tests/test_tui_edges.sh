#!/bin/sh
# test_tui_edges.sh — the rough edges a newcomer met first, each driven as
# a person meets it: `clafuse tui` in a detached tmux session (tmux_lib.sh;
# every check polls for what it expects, no fixed sleeps).  Heatmap
# colours are read from `capture-pane -e` (tests/sgr_defaults.awk).  The
# session checks use two tiny MLPs trained here; without Fashion-MNIST
# they skip.  Prints TAP.
set -u

. "$(dirname "$0")/tmux_lib.sh"
tmux_setup edges
srcdir=$(cd "$(dirname "$0")" && pwd)

# colours COUNT: "cells default_fg default_bg" of the half-block pixels
colours() { T capture-pane -p -e -t "$W" | LC_ALL=C.UTF-8 awk -f "$srcdir/sgr_defaults.awk"; }

# --- a plan of zeros and a permutation: every pixel a colour of the map ------
start zeros -- --random 12 --solver exact
wait_for "Plan T  it=0"
keys r
wait_for "optimal"
set -- $(colours)
[ "$1" -gt 400 ] && [ "$2" -eq 0 ] && [ "$3" -eq 0 ]
ok $? "an exact 12×12 plan (mostly zeros): $1 pixels, $2 with the default foreground, $3 background"
keys z
wait_for "linear colour scale"
set -- $(colours)
[ "$2" -eq 0 ] && [ "$3" -eq 0 ]
ok $? "linear scale too: no pixel in the terminal's default colours ($2, $3)"

# the plan in matching order: rows sorted by the column they go to
keys z
wait_for "log colour scale"
keys o
wait_for "plans in matching order" && wait_for "= 0.0833333 (sorted row 0)"
ok $? "o: the plan in matching order; the readout names the original row and its sorted place"
keys o
wait_for "plans in the neurons' own order" && wait_gone "(sorted row"
ok $? "o again: the neurons' own order"

# the heatmap as an SVG picture: every cell, the legend, the axes named
keys : "export plan.svg" Enter
wait_for "plan picture written to plan.svg"
svg="$tmp/plan.svg"
[ -f "$svg" ] && head -n 1 "$svg" | grep -q '^<?xml' && grep -q '^</svg>$' "$svg" \
	&& [ "$(grep -c '<rect x=' "$svg")" -eq $((144 + 64)) ] \
	&& grep -q '>row i</text>' "$svg" && grep -q '>column j</text>' "$svg" \
	&& grep -q '>Transport plan T (12×12, iteration' "$svg" && grep -q '>11</text>' "$svg" \
	&& grep -q '>log, one cell each</text>' "$svg"
ok $? "x plan.svg: 144 cells and a 64-step legend, title, axes 0..11 named, the scale"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$svg"
	ok $? "the SVG is well-formed XML"
fi

# --- the help overlay wraps its descriptions (120 columns) ----------------------
T resize-window -t "$W" -x 120 -y 36
keys '?'
wait_for "Help: keys and :commands"
# every page of the overlay, its rows joined: a wrapped description reads
# whole, a cut one does not
: >"$tmp/help.txt"
screen_is_not() { [ "$(screen)" != "$1" ]; }
set -- $(cell_of "what it does")
x=$1
pages=0
while :; do
	# the description column: from under "what it does" to the box's edge
	screen | LC_ALL=C.UTF-8 sed -n -E "s/^.{$x}([^│]*)│.*/\1/p" >>"$tmp/help.txt"
	footer=$(screen | sed -n 's/.* \([0-9]*\) of \([0-9]*\) .*/\1 \2/p' | head -n 1)
	before=$(screen)
	keys ' '
	poll screen_is_not "$before" || break
	pages=$((pages + 1))
	[ $pages -lt 10 ] || break
done
joined=$(tr -s ' \n' '  ' <"$tmp/help.txt")
missing=""
"$CLAFUSE" tui --man | sed -n '/^\.SS Everywhere/,/^\.SS Parameters/p' | sed '/^\.SS Overview/,/^\.SS Layer/d' \
	| sed -n '/^\.B /{n;p}' | sed 's/\\-/-/g' >"$tmp/descs.txt"
while IFS= read -r d; do
	printf '%s\n' "$joined" | grep -F -q -e "$d" || missing="$missing [$d]"
done <"$tmp/descs.txt"
[ -s "$tmp/descs.txt" ] && [ -z "$missing" ]
ok $? "help overlay at 120 columns: every description whole (cut:${missing:- none})"
keys q
wait_gone "Help: keys and :commands"
keys q
wait_for "exit=0"

# --- the session screens ---------------------------------------------------------
if ! "$CLAFUSE" train --arch "mlp 784-24-16-12-10 nobias" --epochs 1 --subset 2000 \
	-o "$tmp/A.safetensors" >"$tmp/train.log" 2>&1 \
	|| ! "$CLAFUSE" train --arch "mlp 784-24-16-10 nobias" --epochs 1 --subset 2000 \
	-o "$tmp/B.safetensors" >>"$tmp/train.log" 2>&1; then
	echo "# SKIP the session checks: cannot train the test models (Fashion-MNIST missing?)"
	echo "1..$n"
	exit 0
fi

# without --data: the default data set, so r runs
start nodata -- "$tmp/A.safetensors" "$tmp/B.safetensors"
wait_for "Layer costs C"
keys 6
wait_for "loaded data fashion-mnist"
ok $? "no --data: the default data set (fashion-mnist) is loaded"
keys 1 r
wait_for "every step fresh"
ok $? "no --data: r runs every step"

# the : line reaches the session: :data, and `session` from Lua
keys : "data nosuch" Enter
wait_for "data nosuch: unknown data set 'nosuch'"
ok $? ":data with a bad spec: the reason, the session kept"
keys : "data fashion-mnist" Enter
wait_for "data fashion-mnist loaded; every step is stale"
ok $? ":data SPEC loads the data set and marks every step stale"
keys : 'session:get("ot.reg")' Enter
wait_for "= 0.01"
ok $? ":session:get(...) reads the workbench's session from Lua"
keys : 'session:set("ot.reg", 0.1)' Enter
wait_for "= Session"
keys 4
wait_for "Parameters (Enter edits)"
# down to fusion.eps (row 25 of the form), so it scrolls into view
k=0
while [ $k -lt 24 ]; do keys Down; k=$((k + 1)); done
wait_for "fusion.eps: number in"
screen | grep -q "^│ \* ot.reg  *0.1  "
ok $? "session:set from Lua changes the session on screen; 0.1 shows as 0.1 (shortest round trip)"
screen | grep -q "^│ *fusion.eps  *1e-07 " && ! screen | grep -q "^│ \* fusion.eps"
r=$?; [ $r -eq 0 ] || screen | grep "fusion.eps" | sed "s/^/#   | /"
ok $r "fusion.eps at its default is not marked changed and reads 1e-07"

# Lua that prints from C (help(), demo()) goes to the log, not the terminal
keys 1 : 'help()' Enter
wait_for "lines of output: in the log"
ok $? ":help(): its lines go to the log, the log screen shows them"
row0=$(screen | head -n 1)
case $row0 in *"1 overview"*"6 log"*) r=0 ;; *) r=1 ;; esac
[ $r -eq 0 ] && screen | grep -q "cf.session"
ok $? ":help(): the tab bar stays on the first row, the help text on the log screen"
keys 1 : 'demo()' Enter
wait_for "ok" || wait_for "in the log"
row0=$(screen | head -n 1)
case $row0 in *"1 overview"*) r=0 ;; *) r=1 ;; esac
[ $r -eq 0 ]
ok $? ":demo(): the workbench's frame stays intact"
keys q
wait_for "exit=0"

# the layer screen's e and v on a fusion layer: per-layer overrides of
# the session, shown as such on the parameter and results screens
start over -- "$tmp/A.safetensors" "$tmp/B.safetensors"
wait_for "Layer costs C"
keys r
wait_for "every step fresh"
keys 2 ']'
wait_for "Ground cost M2"
keys e C-u 0.05 Enter
wait_for "layer 2: ot.reg = 0.05 (override); fusion stale from this layer"
ok $? "e on fusion layer 2: an override of ot.reg for layer 2, the fusion stale from it"
keys : "solver sinkhorn-log" Enter
wait_for "layer 2: ot.solver = sinkhorn-log (override)"
ok $? ":solver on fusion layer 2: an override of ot.solver for layer 2"
keys 4
wait_for "Parameters (Enter edits)"
screen | grep -q "^│ + ot.solver .* override L2 sinkhorn-log" \
	&& screen | grep -q "^│ + ot.reg .* override L2 0.05"
ok $? "the parameter screen marks both parameters '+' and lists the layer's overrides"
keys 5
wait_for "overrides:" && wait_for "  L2 ot.solver=sinkhorn-log" && wait_for "  L2 ot.reg=0.05"
ok $? "the results screen lists the overrides"
keys 1
wait_for "fusion      stale" || wait_for "fusion stale"
ok $? "the overview shows the fusion stale"
keys q
wait_for "exit=0"

# an entropic solver with ε tiny against the costs: the layer, the
# iteration and the error while it runs; a warning with the remedy after
start eps -- "$tmp/A.safetensors" "$tmp/B.safetensors" --set ot.solver=sinkhorn-log \
	--set ot.reg=0.001 --set ot.max_iter=100000000
wait_for "Layer costs C"
keys r
wait_for "layer 1/4 sinkhorn-log it " && wait_for "(ε tiny vs costs: slow)"
ok $? "a slow Sinkhorn shows its layer, iteration and error, and that ε is tiny against the costs"
keys q
wait_for "of the largest cost in layer 1: Sinkhorn is slow"
ok $? "stopped: the warning names the layer and the remedy (ground.norm=max)"
keys 5
wait_for "stopped"
ok $? "the results screen marks the fusion stopped"
keys q
wait_for "exit=0"

# a stop keeps the layers already solved: layer 3 gets a Sinkhorn that
# runs for minutes, a session-wide change makes every layer re-solve, r
# runs and q stops inside layer 3; the two layers before it stay solved
# and the next run solves only layers 3 and 4 (layer solves 4 -> 6 -> 8;
# a stop that dropped them would give 10)
start stopkeep -- "$tmp/A.safetensors" "$tmp/B.safetensors" --set ot.max_iter=100000000
wait_for "Layer costs C"
keys r
wait_for "every step fresh"
keys 2 ']' ']'
wait_for "Ground cost M3"
keys : "solver sinkhorn-log" Enter
wait_for "layer 3: ot.solver = sinkhorn-log (override)"
keys e C-u 0.0001 Enter
wait_for "layer 3: ot.reg = 0.0001 (override)"
keys : "set fusion.step=0.25" Enter
wait_for "fusion.step = 0.25; fusion and later steps are stale"
keys 1 r
wait_for "layer 3/4 sinkhorn-log it " && keys q && wait_for "of the largest cost in layer 3"
ok $? "r with a slow Sinkhorn on layer 3: q stops it there"
keys 5
wait_for "fusion layers solved: 6" && screen | grep -q "fusion  *stopped"
ok $? "after the stop: fusion stopped, layers 1 and 2 solved and kept (6 solves in all)"
keys : 'session:set_layer(3, "ot.reg", 0.1)' Enter
wait_for "= Session"
keys 1 r
# (the status line then warns that this ε is small against the costs)
wait_for "✓ evaluation  fresh" && keys 5 && wait_for "fusion layers solved: 8"
ok $? "the next run solves layers 3 and 4 only (8 solves, not 10)"
keys q
wait_for "exit=0"

echo "1..$n"
