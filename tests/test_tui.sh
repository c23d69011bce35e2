#!/bin/sh
# test_tui.sh — the workbench driven as a person drives it: `clafuse tui`
# runs in a real terminal (a detached tmux session on a private socket,
# 100×32, TERM=xterm-256color), keys go in with send-keys, the screen comes
# back with capture-pane.  Every check polls the screen for the text it
# expects (10 s at most) rather than sleeping a fixed time.  Prints TAP.
set -u

. "$(dirname "$0")/tmux_lib.sh"
tmux_setup tui

# --- start-up ------------------------------------------------------------
start main -- --random 64 --seed 1
wait_for "Ground cost M" && screen | grep -F -q "Plan T  it=0 " \
	&& screen | grep -F -q "64×64 → " && screen | grep -F -q "random 64×64 (seed 1)"
ok $? "start-up: layer screen with M, T at iteration 0 and the pooling"
T capture-pane -p -e -t "$W" | grep -q '38;5;'
ok $? "start-up: heatmaps in 256 colours (SGR 38;5)"
screen | grep -F -q "▀"
ok $? "start-up: half-block pixels"

# --- help overlay: every command of the table ------------------------------
keys '?'
wait_for "Help: keys and :commands"
ok $? "? opens the help overlay"
# the overlay scrolls: gather its pages, then look for every command of
# the man page's "Everywhere", "Heatmaps" and "Layer screen" sections
# (the overview's own commands are not for this screen)
screen >"$tmp/help.txt"
screen_is_not() { [ "$(screen)" != "$1" ]; }
pages=1
while [ $pages -lt 10 ]; do
	before=$(screen)
	keys ' '
	poll screen_is_not "$before" || break
	screen >>"$tmp/help.txt"
	pages=$((pages + 1))
done
missing=""
for name in $("$CLAFUSE" tui --man | sed -n '/^\.SS Everywhere/,/^\.SS Parameters/p' \
	| sed '/^\.SS Overview/,/^\.SS Layer/d' | sed -n 's/^\.B \([a-z\\-]*\).*/\1/p' | sed 's/\\-/-/g' | grep -v '^clafuse'); do
	grep -q -e " $name\( \|$\)" "$tmp/help.txt" || missing="$missing $name"
done
[ -z "$missing" ]
ok $? "help overlay lists every command of the table (missing:${missing:- none})"
keys q
wait_gone "Help: keys and :commands"
ok $? "q closes the overlay, not the program"

# --- stepping --------------------------------------------------------------
keys s
wait_for "Plan T  it=1 "
ok $? "s: one iteration (it=1)"
keys s
wait_for "Plan T  it=2 " && wait_for "iteration 2: err"
ok $? "s again: it=2 and the error on the status line"

# --- run to convergence ----------------------------------------------------
keys r
wait_for "converged after"
ok $? "r: runs to convergence and says so"

# --- resize: the size guard and back ------------------------------------------
T resize-window -t "$W" -x 60 -y 15
wait_for "terminal too small: need at least 80×24"
ok $? "resized to 60×15: the too-small guard"
T resize-window -t "$W" -x 100 -y 32
wait_for "Ground cost M" && wait_gone "terminal too small"
ok $? "resized back to 100×32: the screen returns"

# --- the : line -------------------------------------------------------------
keys : "nosuch x" Enter
wait_for "Lua error: lua:1: syntax error near 'x'"
ok $? ":nosuch: not a command, so Lua, whose error shows on the status line"
keys : 'eps abc' Enter
wait_for "eps: 'abc' is not a positive number"
ok $? ":eps abc: rejected with the reason"
keys e C-u 0.05 Enter
wait_for "ε = 0.05; sinkhorn restarted" && wait_for "Plan T  it=0 "
ok $? "e: ε edited in place, the solver restarts at it=0"
keys : 'solver assign' Enter
wait_for "solver assign" || wait_for "assign"
keys s
wait_for "it=1 "
ok $? ":solver assign works on a square uniform problem and steps"
keys 6
wait_for "Log (newest last" && wait_for "eps: 'abc' is not a positive number"
ok $? "6: the log screen keeps earlier messages"
keys 2
wait_for "Ground cost M"
ok $? "2: back to the layer screen"

# --- quit: the terminal is restored --------------------------------------------
keys q
wait_for "<modes"
screen | grep -q "exit=0" && screen | grep -q "^icanon echo <modes" \
	&& ! screen | grep -F -q "Ground cost M"
ok $? "q quits with status 0, cooked terminal modes, main screen restored"

# --- a long run stopped with q keeps its state ------------------------------
start long -- --random 300 --solver sinkhorn-log --reg 0.0002
wait_for "Ground cost M"
keys r
wait_for "q stop"
ok $? "r on a hard problem: a progress bar with 'q stop'"
keys q
wait_for "stopped at iteration"
ok $? "q stops the run (state kept)"
it=$(screen | sed -n 's/.*stopped at iteration \([0-9]*\).*/\1/p' | head -n 1)
keys s
wait_for "Plan T  it=$((it + 1)) "
ok $? "s after the stop continues from iteration $it"

# --- Ctrl-C and NO_COLOR ----------------------------------------------------------
start mono NO_COLOR=1 -- --random 64 --seed 2
wait_for "Ground cost M"
! T capture-pane -p -e -t "$W" | grep -q '38;5;' && screen | grep -q '[░▒▓█]'
ok $? "NO_COLOR: no colour sequences, shade characters instead"
keys C-c
wait_for "<modes"
screen | grep -q "exit=130" && screen | grep -q "^icanon echo <modes"
ok $? "Ctrl-C: the program dies of SIGINT (130) with the terminal restored"

# --- a 50×200 plan fills its box; a toggles square pixels ----------------------
# rows of half blocks in the left pane against the pane's inner rows
pane_fill() {
	screen | awk -F'│' '/Ground cost M/ { on = 1; next } on && /└/ { exit }
		on { inner++; if ($2 ~ /▀/) img++ } END { printf "%d %d", img, inner }'
}
start wide -- --random 50x200 --solver emd
wait_for "Ground cost M" && wait_for "50×200 →"
keys r
wait_for "optimal after"
f=$(pane_fill)
[ "${f#* }" -gt 0 ] && [ $((100 * ${f% *} / ${f#* })) -ge 80 ]
ok $? "50×200: the heatmap fills its box (${f% *} of ${f#* } rows)"
screen | grep -q "err=- *optimal" && ! screen | grep -q -i "nan"
ok $? "an exact solver: err=-, its status in full, no nan"
keys a
wait_for "square pixels"
f=$(pane_fill)
[ "${f% *}" -gt 0 ] && [ $((100 * ${f% *} / ${f#* })) -lt 50 ]
ok $? "a: square pixels, a strip (${f% *} of ${f#* } rows)"
keys a
wait_for "heatmaps fill their box"
keys l l l j j +
wait_for "T[" && screen | grep -q "M\[[0-9]*,[0-9]*\] = \|M\[[0-9]*\.\.[0-9]*, [0-9]*\.\.[0-9]*\]"
ok $? "cursor moves and zoom: the readout names the cell or block under the cursor"
keys q
wait_for "<modes"

echo "1..$n"
