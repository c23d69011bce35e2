#!/bin/sh
# test_tui_session.sh — the workbench on a fusion session, driven as a
# person drives it: `clafuse tui A B --data fashion-mnist` in a detached
# tmux session on a private socket (100×32, TERM=xterm-256color), keys in
# with send-keys, screens back with capture-pane, every check polling for
# the text it expects (10 s at most).  The two models are tiny MLPs of
# different depths trained here in a second; clicks and the wheel go in as
# the terminal reports them (SGR mouse).  Without Fashion-MNIST the
# test skips.  Prints TAP.
set -u

. "$(dirname "$0")/tmux_lib.sh"
tmux_setup tuis

if ! "$CLAFUSE" train --arch "mlp 784-24-16-12-10 nobias" --epochs 1 --subset 2000 \
	-o "$tmp/A.safetensors" >"$tmp/train.log" 2>&1 \
	|| ! "$CLAFUSE" train --arch "mlp 784-24-16-10 nobias" --epochs 1 --subset 2000 \
	-o "$tmp/B.safetensors" >>"$tmp/train.log" 2>&1; then
	echo "1..0 # SKIP cannot train the test models (Fashion-MNIST missing?)"
	exit 0
fi

# --- start-up: the overview with every step stale ----------------------------
start main -- "$tmp/A.safetensors" "$tmp/B.safetensors" --data fashion-mnist
wait_for "Layer costs C" && wait_for "A.safetensors" && screen | grep -F -q "784→24→16→12→10" \
	&& screen | grep -F -q "784→24→16→10" && screen | grep -q "· activations *stale"
ok $? "start-up: overview with both models (stages, widths) and the steps stale"

# --- r runs every stale step -------------------------------------------------------
keys r
wait_for "every step fresh" && screen | grep -q "✓ fusion *fresh" \
	&& screen | grep -q "✓ evaluation *fresh"
ok $? "r: every step runs and turns fresh"
screen | grep -F -q "path A1→B1" && screen | grep -q "A1 *\[" && screen | grep -F -q "Plan T1 fc1"
ok $? "overview: C in labelled cells with the alignment path [bracketed], the plan of layer 1"

# --- help overlay -------------------------------------------------------------------
keys '?'
wait_for "Help: keys and :commands" && screen | grep -F -q "run-all" && screen | grep -F -q "write-script"
ok $? "? opens the help overlay from the command table"
keys q
wait_gone "Help: keys and :commands"
ok $? "q closes the overlay"

# --- every screen -------------------------------------------------------------------
keys 2
wait_for "Ground cost M1  fc1" && wait_for "fusion's plan 1/4 fc1 trace"
ok $? "2: layer screen on fusion layer 1 with the fusion's plan and trace ratio"
keys ']'
wait_for "Ground cost M2  fc2"
ok $? "]: the next fusion layer"
keys '['
wait_for "Ground cost M1  fc1"
ok $? "[: back to layer 1"
keys 3
wait_for "model 1 + identities" && screen | grep -F -q "▶" && screen | grep -F -q "fused"
ok $? "3: network screen with A, B, balanced, fused and connectors"
keys 4
wait_for "Parameters (Enter edits)" && screen | grep -F -q "ot.solver"
ok $? "4: parameters screen"
keys 5
wait_for "Test accuracy" && screen | grep -q "fused *[0-9.]*%"
ok $? "5: results screen with accuracies"
keys 6
wait_for "Log (newest last" && screen | grep -F -q "loaded model"
ok $? "6: log screen"

# --- the mouse: tabs, the help hint, heatmap cells, the wheel -------------------------
set -- $(cell_of "1 overview")
click "$1" "$2"
wait_for "Layer costs C (3×2)" && wait_for "C[A1,B1] = 0"
ok $? "a click on the tab '1 overview' shows the overview"
set -- $(cell_of "? help")
click "$1" "$2"
wait_for "Help: keys and :commands"
ok $? "a click on '? help' opens the help overlay"
click 10 10
wait_gone "Help: keys and :commands"
ok $? "a click closes the help overlay"
# the cell of C in row A3 and column B1
set -- $(cell_of "B1       B2")
x=$1
set -- $(cell_of "A3 ")
click "$x" "$2"
wait_for "C[A3,B1] = 144"
ok $? "a click on a cell of C puts the cursor there (C[A3,B1] = 144)"
before=$(screen | grep -o "T\[[0-9.]*, [0-9.]*\]")
set -- $(cell_of "Plan T1 fc1")
click 12 $(($2 + 6))
wait_for "▸ Plan T1 fc1" && wait_for "─ Layer costs C (3×2)" \
	&& [ -n "$before" ] && off_screen "$before"
ok $? "a click on the plan gives it the cursor and the keys ($before before)"
wheel up 12 $(($2 + 6))
wait_for "px per cell  ([ ] layer)"
ok $? "the wheel zooms the plan in"
wheel down 12 $(($2 + 6))
wait_for "cells per px  ([ ] layer)"
ok $? "and out again"
set -- $(cell_of "2 layer")
click "$1" "$2"
wait_for "T[0,0] = "
set -- $(cell_of "Plan T  it=0")
click $(($1 + 12)) $(($2 + 8))
wait_gone "T[0,0] = "
mc=$(screen | sed -n 's/.*M\[\([0-9]*,[0-9]*\)\] = .*/\1/p')
tc=$(screen | sed -n 's/.*T\[\([0-9]*,[0-9]*\)\] = .*/\1/p')
[ -n "$tc" ] && [ "$mc" = "$tc" ]
ok $? "layer screen: a click on T moves the cursor of M and T to that cell ($tc)"

# --- a parameter change in the form --------------------------------------------------
keys 4
wait_for "Parameters (Enter edits)"
i=0
while [ $i -lt 17 ]; do keys j; i=$((i + 1)); done
wait_for "ot.solver: one of"
keys Enter C-u bogus Enter
wait_for "kept ot.solver = exact: "
ok $? "an invalid value: the error on the status line, old value kept"
keys Enter C-u sinkhorn-log Enter
wait_for "ot.solver = sinkhorn-log; fusion and later steps are stale"
ok $? "Enter edits ot.solver in place"
keys 1
wait_for "· fusion      stale" && screen | grep -q "✓ balance *fresh" \
	&& screen | grep -q "· evaluation *stale"
ok $? "overview: the fusion and later steps are stale at once, earlier ones fresh"
keys : 'set ot.reg=1' Enter
wait_for "ot.reg = 1; fusion and later steps are stale"
keys r
wait_for "every step fresh" && screen | grep -q "✓ fusion *fresh"
ok $? "r re-runs the stale steps: fresh again"

# --- stepping a Sinkhorn solve on the layer screen ------------------------------------
keys 2
wait_for "sinkhorn-log  ε=1 " && wait_for "fusion's plan 1/4 fc1 trace"
ok $? "layer screen shows the fusion's Sinkhorn plan"
keys s
wait_for "Plan T  it=1 " && wait_for "re-solving 1/4 fc1 trace"
ok $? "s: the solver restarts on M1 and takes one iteration"
keys s
wait_for "Plan T  it=2 " && wait_for "iteration 2: err"
ok $? "s again: iteration 2 with its error"
keys r
wait_for "converged after"
ok $? "r on the layer screen: runs the solve to convergence"

# --- exports ----------------------------------------------------------------------------
keys x
wait_for "written to plan.csv"
[ "$(wc -l <"$tmp/plan.csv")" -eq 24 ] && [ ! -e "$tmp/plan.csv.tmp" ]
ok $? "x: the plan (24 rows) written to plan.csv, no temporary left"
keys w
wait_for "session written to session.lua"
grep -F -q 's:set("ot.solver", "sinkhorn-log")' "$tmp/session.lua" \
	&& grep -F -q "A.safetensors" "$tmp/session.lua" && grep -F -q 's:data("fashion-mnist")' "$tmp/session.lua"
ok $? "w: a Lua script with the models, the data and the changed parameter"
(cd "$tmp" && "$CLAFUSE" run session.lua >"$tmp/replay.out" 2>&1)
ok $? "the script replays with clafuse run"

# --- the : line: Lua -----------------------------------------------------------------------
keys : '6 * 7' Enter
wait_for "= 42"
ok $? ":6 * 7 shows = 42"
keys : 'error("boom")' Enter
wait_for "Lua error: lua:1: boom"
ok $? ":error(\"boom\"): the Lua error on the status line"
keys : 'print("hello from lua")' Enter
keys 6
wait_for "hello from lua" && wait_for "Lua error: lua:1: boom"
ok $? "print goes to the log, errors are logged"
keys : 'set ot.reg=-1' Enter
wait_for "kept ot.reg = 1: "
ok $? ":set with a value out of range: rejected, old value kept"

# --- resize -------------------------------------------------------------------------------
keys 1
T resize-window -t "$W" -x 60 -y 15
wait_for "terminal too small"
ok $? "resized to 60×15: the size guard"
T resize-window -t "$W" -x 120 -y 40
wait_for "Layer costs C" && wait_gone "terminal too small"
ok $? "resized to 120×40: the overview returns"

# --- quit ----------------------------------------------------------------------------------
keys q
wait_for "<modes"
screen | grep -q "exit=0" && screen | grep -q "^icanon echo <modes"
ok $? "q quits with status 0 and the terminal restored"

# --- a model that does not load: one line and status 1, as clafuse fuse ----------------
echo "not a model" >"$tmp/bad.safetensors"
start bad -- "$tmp/bad.safetensors" "$tmp/B.safetensors"
wait_for "exit=1" && [ "$(screen | grep -c "^clafuse tui: .*bad.safetensors")" -eq 1 ] \
	&& ! on_screen "Layer costs C"
ok $? "a model file that fails to load: one line naming it, exit status 1, no workbench"
start missing -- "$tmp/nosuch.safetensors" "$tmp/B.safetensors"
wait_for "exit=1" && screen | grep -q "^clafuse tui: .*nosuch.safetensors: cannot open"
ok $? "a missing model file: 'cannot open' naming it, exit status 1"

# wait_idle: until the step that runs is done (the tour's hint says
# "working… q stops" meanwhile and keys other than q are dropped), at most
# 5 minutes, for a loaded machine
wait_idle() {
	tries=3000
	while [ $tries -gt 0 ] && on_screen "working… q stops"; do
		sleep 0.1
		tries=$((tries - 1))
	done
	[ $tries -gt 0 ] && return 0
	echo "# still working after 5 minutes"
	show_screen
	return 1
}

# --- clafuse demo: the whole guided tour on the bundled models ----------------------
# Each Space runs the step the panel then explains; the checks read the
# headline and the numbers the panel quotes from the screen.
cat >"$tmp/demo.sh" <<EOS
cd "$tmp"
env TERM=xterm-256color LANG=C.UTF-8 "$CLAFUSE" demo
echo "exit=\$?"
exec sleep 600
EOS
T new-window -t cf -n demo "sh $tmp/demo.sh"
W="cf:demo"
T resize-window -t "$W" -x 120 -y 36
wait_for "1/8 Two networks" && wait_for "A is deeper" && wait_for "guided tour: Space"
ok $? "tour 1: two networks of different depths, the widths from the models"
keys Space
wait_for "2/8 Activations" && wait_idle && wait_for "200 training images went through"
ok $? "tour 2: activations on the sampled images"
keys Space
wait_for "3/8 Layer costs, alignment" && wait_idle && wait_for "Here: A1→B1, A2→B2, A5→B3" \
	&& screen | grep -q "A5 .*\[5.62k\]" && screen | grep -F -q "C[A1,B1] = 0"
ok $? "tour 3: C in labelled cells, the path [bracketed] and quoted, the cursor's value"
keys Space
wait_for "4/8 Similarity by CKA" && wait_idle && wait_for "C[A1,B1] = 0.008" \
	&& screen | grep -q "A1 *\[0.008\]" && wait_for "The alignment: A1→B1, A2→B2,"
ok $? "tour 4: the layers compared by CKA, C in [0,1] with the alignment"
keys Space
wait_for "5/8 Balancing the depths" && wait_idle && wait_for "400-200-200-200-100-10" \
	&& wait_for "model 1 + identities"
ok $? "tour 5: the balanced model with identity layers, on the network screen"
keys Space
wait_for "6/8 OT, layer by layer" && wait_idle && wait_for "Layer 1 of 6 (fc1)" && wait_for "Ground cost M1  fc1"
ok $? "tour 6: the first layer's ground cost and plan on the layer screen"
screen | grep -q "err=- *optimal" && ! screen | grep -q -i "nan"
ok $? "the solver box of an exact plan: err=-, the status in full, no nan"
# the cost heatmap fills its box: rows of half blocks in the left pane
# against the pane's inner rows
rows=$(screen | awk -F'│' '/Ground cost M1/ { on = 1; next } on && /└/ { exit }
	on { inner++; if ($2 ~ /▀/) img++ } END { printf "%d %d", img, inner }')
img=${rows% *}
inner=${rows#* }
[ "$inner" -gt 0 ] && [ $((100 * img / inner)) -ge 80 ]
ok $? "the 400×400 cost heatmap fills its box (${img} of ${inner} rows)"
i=1
while [ $i -lt 6 ]; do
	keys Space
	i=$((i + 1))
	wait_for "Layer $i of 6" >/dev/null
done
wait_for "Layer 6 of 6" && wait_for "is fused."
ok $? "tour 6: Space fuses one layer at a time, 6 of 6"
keys Space
wait_for "7/8 Fused vs baselines" && wait_idle && wait_for "The fused network: " && wait_for "Test accuracy"
fused=$(screen | sed -n 's/.*│ *fused  *\([0-9.]*\)%.*/\1/p' | head -n 1)
[ -n "$fused" ] && [ "$(screen | grep -c -F "$fused%")" -ge 2 ]
ok $? "tour 7: the fused accuracy ($fused%) quoted as on the results screen"
keys Space
wait_for "8/8 Finetuning" && wait_idle
wait_for "After 1 epoch of SGD" && wait_for "right after fusion"
ok $? "tour 8: one epoch of finetuning, compared with the parents and the fused start"
keys Space
wait_for "Done" && wait_for "fused $fused%" && wait_for "Fused and finetuned: "
ok $? "tour end: the final screen shows the fused accuracy ($fused%) and the finetuned one"
# results at 120×36: the finetuning box's lines whole (not cut at the frame)
keys 5
wait_for "Finetuning: test accuracy"
screen | grep -q "epoch 1: [0-9.]*% (one point) *│" \
	&& screen | grep -q "1 epoch, test [0-9.]*% *│"
ok $? "results at 120×36: the finetuning box's text reads whole"
keys q
wait_for "exit=0"
ok $? "q leaves the demo with status 0"

# --- the tour at 80×24: every step's text can be read to its last line --------
# The panel shows a window of the wrapped text; Space (and PgDn) read on
# before the next step runs.  For each step the panel is read page by page
# until "more ↓" is gone, and the text must end where each step ends.
T new-window -t cf -n demo80 "sh $tmp/demo.sh"
W="cf:demo80"
T resize-window -t "$W" -x 80 -y 24
# read_step TITLE KEY LAST: pages with KEY through the step titled TITLE
# until "more ↓" is gone; then LAST, the end of its text, must be shown
read_step() {
	wait_for "$1" && wait_idle || return 1
	pages=0
	while screen | grep -F -q "more ↓" && [ $pages -lt 10 ]; do
		before=$(screen)
		keys "$2"
		poll sh -c '[ "$(tmux -L '"$SOCK"' -f /dev/null capture-pane -p -t '"$W"')" != "$0" ]' \
			"$before" || return 1
		pages=$((pages + 1))
	done
	wait_gone "more ↓" && wait_for "$3" && wait_for "$1"
}
wait_for "1/8 Two networks" && screen | grep -F -q "more ↓" && ! screen | grep -F -q "instead of two."
ok $? "tour at 80×24: step 1 longer than the panel says more ↓"
keys PageDown
wait_for "instead of two." && wait_for "↑ more" && wait_for "Space/Enter: next step"
ok $? "PgDn scrolls the panel to the step's last line"
keys PageUp
wait_for "1/8 Two networks" && wait_for "more ↓" && wait_gone "instead of two."
ok $? "PgUp scrolls back"
set -- $(cell_of "Guided tour")
wheel down $(($1 + 4)) $(($2 + 5))
wait_for "↑ more"
ok $? "the wheel over the tour's panel scrolls its text down"
wheel up $(($1 + 4)) $(($2 + 5))
wait_gone "↑ more"
ok $? "and up"
read_step "1/8 Two networks" Space "instead of two."
ok $? "tour at 80×24, step 1: Space reads on to the last line"
keys Space
read_step "2/8 Activations" Space "with those of B."
ok $? "tour at 80×24, step 2 read to its last line"
keys Space
read_step "3/8 Layer costs, alignment" Space "partner."
ok $? "tour at 80×24, step 3 read to its last line"
keys Space
read_step "4/8 Similarity by CKA" Space "measure from here on."
ok $? "tour at 80×24, step 4 read to its last line"
keys Space
read_step "5/8 Balancing the depths" Space "connectors."
ok $? "tour at 80×24, step 5 read to its last line"
screen | grep -F -q "balanced" && screen | grep -F -q "│4 lin  10│" && screen | grep -F -q "│3 id  200│"
ok $? "network screen at 80×24 beside the tour: B whole, the balanced model with 'id' layers"
keys Space
read_step "6/8 OT, layer by layer" Space "layer."
ok $? "tour at 80×24, step 6 read to its last line"
i=1
fused_ok=0
one_press=0
while [ $i -lt 6 ]; do
	keys Space
	i=$((i + 1))
	last="layer."
	[ $i -eq 6 ] && last="Every layer is fused."
	# each Space fuses one layer; the panel starts again at its top
	wait_for "6/8 OT, layer by layer" && wait_idle && wait_for "Layer $i of 6" || fused_ok=1
	# a later layer's text fits the panel: one press per layer
	[ $i -lt 6 ] && on_screen "more ↓" && one_press=1
	read_step "6/8 OT, layer by layer" Space "$last" || fused_ok=1
done
[ $fused_ok -eq 0 ] && on_screen "Every layer is fused."
ok $? "tour at 80×24, step 6: every layer fused, the text read to its end"
[ $one_press -eq 0 ]
ok $? "tour at 80×24, step 6: layers 2-5 each shown whole after one press"
# the tab bar at 80 columns: the current tab named, the help hint whole
row0=$(screen | head -n 1)
case $row0 in *"[2 layer]"*"? help") r=0 ;; *) r=1 ;; esac
[ $r -eq 0 ]
ok $? "tab bar at 80 columns: '[2 layer]' and '? help' whole ($row0)"
# the heatmaps' legends keep their numbers at 80 columns
screen | grep -q "▀▀ [0-9]"
ok $? "heatmap legends at 80 columns show their numbers"
keys Space
read_step "7/8 Fused vs baselines" Space "them back."
ok $? "tour at 80×24, step 7 read to its last line"
# the Models box at 80 columns: both names whole, the accuracies with numbers
keys 1
wait_for "A mlp_a.safetensors" && wait_for "B mlp_b.safetensors"
ok $? "Models box at 80 columns: the file names whole"
keys 5
wait_for "Test accuracy" && screen | grep -q "fused  *[0-9.]*% "
ok $? "results at 80 columns: the fused accuracy's number shows"
keys Space
wait_for "8/8 Finetuning" && wait_idle
read_step "8/8 Finetuning" Space "after fusion."
ok $? "tour at 80×24, step 8 read to its last line"
keys Space
read_step "Done" Space "q to quit."
ok $? "tour at 80×24, the end read to its last line"
keys q
wait_for "exit=0"
ok $? "q leaves the 80×24 demo with status 0"

# --- a long model name at 80 columns: elided in the middle -------------------------
cp "$tmp/A.safetensors" "$tmp/a-model-with-a-very-long-name-epoch-0042.safetensors"
start longname -- "$tmp/a-model-with-a-very-long-name-epoch-0042.safetensors" \
	"$tmp/B.safetensors" --data fashion-mnist
T resize-window -t "$W" -x 80 -y 24
wait_for "Layer costs C" && screen | grep -q "A a-model-[^ ]*…[^ ]*-0042 " \
	&& ! screen | grep -F -q "$tmp"
ok $? "Models box at 80 columns: a long file name is its basename elided in the middle"
keys q
wait_for "<modes"

echo "1..$n"
