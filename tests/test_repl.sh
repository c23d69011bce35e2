#!/bin/sh
# test_repl.sh — the console tested as a person uses it: clafuse runs in a
# real terminal (a detached tmux session on a private socket), keys are
# typed with send-keys and the screen is read with capture-pane.  Each
# check polls the screen for the text it expects (10 s at most) instead of
# sleeping a fixed time.  Prints TAP.
set -u

. "$(dirname "$0")/tmux_lib.sh"
tmux_setup repl
# the console's output scrolls: read the joined lines of the history too
screen() { T capture-pane -p -J -S -2000 -t cf; }
SCREEN_TAIL=12
# tmux reads a ';' ending an argument as its command separator: escape it
type_keys() {
	case $1 in
	*\;) T send-keys -t cf -l "${1%;}\\;" ;;
	*) T send-keys -t cf -l "$1" ;;
	esac
}
enter() { type_keys "$1"; keys Enter; }
# last_line_is TEXT: the last line with text on the screen is TEXT (a
# fresh prompt, once Ctrl-C at the prompt has been handled)
last_line_is() { [ "$(screen | sed -e 's/ *$//' -e '/^$/d' | tail -n 1)" = "$1" ]; }

VERSION=$("$CLAFUSE" -e 'io.write(cf.version)')

# A plain shell in the pane, so that what clafuse leaves of the terminal
# after it exits can be checked with stty.
T new-session -d -s cf -x 100 -y 30 \
	"env -i PATH='$PATH' HOME='$tmp' TERM=screen LANG=C.UTF-8 INPUTRC=/dev/null \
	 CLAFUSE_HISTORY='$tmp/history' PS1='shell\$ ' sh"
wait_for 'shell$' >/dev/null
enter "stty -g > '$tmp/stty.before'; '$CLAFUSE'"
wait_for "help() for help"
ok $? "banner with a help hint"
wait_for "clafuse $VERSION"
ok $? "banner names the version $VERSION"

# completion: a global, a field of cf, a method through the metatable
type_keys 'collectgar'
keys Tab
wait_for 'clafuse> collectgarbage('
ok $? "Tab completes a global function (collectgarbage()"
keys C-u
type_keys 'cf.vers'
keys Tab
wait_for 'clafuse> cf.version'
ok $? "Tab completes a field of cf"
keys Enter
wait_line "\"$VERSION\""
ok $? "expression value printed (cf.version)"
enter 'obj = setmetatable({}, {__index = {frobnicate = function(self) return "frob-ok" end}})'
type_keys 'obj:frob'
keys Tab
wait_for 'clafuse> obj:frobnicate('
ok $? "Tab completes a method through the metatable's __index"
enter ')'
wait_line '"frob-ok"'
ok $? "completed method call runs"
enter 's = "abc"'
type_keys 's:up'
keys Tab
wait_for 'clafuse> s:upper('
ok $? "Tab completes a string method"
keys C-u

type_keys 'cf.doc_'
keys Tab Tab
wait_for 'cf.doc_missing('
ok $? "Tab Tab lists the fields of cf that match"
keys C-u
: >"$tmp/uniq-file-xyz.txt"
type_keys "io.open(\"$tmp/uniq-fi"
keys Tab
wait_for "uniq-file-xyz.txt"
ok $? "Tab inside a string completes a file name"
keys C-u

# multi-line input
enter 'function f()'
wait_for '    ...> '
ok $? "open function continues on a ...> prompt"
enter '  return 6 * 7 + 1000'
enter 'end'
enter 'f()'
wait_line '1042'
ok $? "function defined over three lines works"

# help
enter 'help()'
wait_for 'Global functions:'
ok $? "help() lists topics, modules and globals"
enter 'help(cf.pretty)'
wait_for 'cf.pretty(v [, opts]) -> string'
ok $? "help(f) finds a function's help by value"

# pretty printing
enter 't = {b = 2, a = {1, 2, 3}, s = "x"}'
enter 't'
wait_line '{a = {1, 2, 3}, b = 2, s = "x"}'
ok $? "table printed with sorted keys, nested"
enter 't.self = t'
enter 't'
wait_line '{a = {1, 2, 3}, b = 2, s = "x", self = <cycle>}'
ok $? "a table containing itself shows <cycle>"

# _ and the trailing ;
enter '2 * 3 * 7 * 11'
wait_line '462'
enter '_ + 1'
wait_line '463'
ok $? "_ holds the last result"
enter '12345 + 1;'
enter '"marker-" .. _'
wait_line '"marker-12346"'
ok $? "_ is set by a hidden result"
screen | grep -F -q 'clafuse> 12345 + 1;' && ! screen | grep -F -x -q '12346'
ok $? "a trailing ; hides the output"

# errors keep the state
enter 'x = 17'
enter 'error("deliberate")'
wait_for 'stdin:1: deliberate'
ok $? "an error prints its message"
wait_for 'stack traceback:'
ok $? "an error prints a traceback"

# an interrupted long computation, then a working command (the loop says
# when it runs, so that Ctrl-C is pressed during it however slow the machine)
enter 'print("looping") while true do end'
wait_line 'looping'
keys C-c
wait_for 'interrupted'
ok $? "Ctrl-C interrupts a running loop"
enter 'x * 11'
wait_line '187'
ok $? "state kept after the interrupt (x * 11 = 187)"

# Ctrl-C at the prompt clears the line and a pending continuation
type_keys 'junk_never_run'
wait_for 'clafuse> junk_never_run'
keys C-c
poll last_line_is 'clafuse>'
enter '3 * 37'
wait_line '111'
ok $? "Ctrl-C at the prompt discards the typed line"
! screen | grep -F -q 'junk_never_run3'
ok $? "the discarded text does not reach the next line"
enter 'function g()'
poll last_line_is '    ...>'
keys C-c
poll last_line_is 'clafuse>'
enter '2 + 40000'
wait_line '40002'
ok $? "Ctrl-C at a ...> prompt abandons the unfinished chunk"

# leave with Ctrl-D; the terminal is as before
enter '"last-entry"'
wait_line '"last-entry"'
keys C-d
wait_count 'shell$ ' 2
enter "stty -g > '$tmp/stty.after'; echo stty-saved"
wait_line 'stty-saved'
cmp -s "$tmp/stty.before" "$tmp/stty.after"
ok $? "Ctrl-D leaves the terminal settings as they were"
grep -q -x '  return 6 \* 7 + 1000' "$tmp/history" && grep -q -x 'x \* 11' "$tmp/history"
ok $? "history file written, multi-line chunk included"

# the history comes back in a new session; quit() leaves
enter "'$CLAFUSE'"
wait_count 'help() for help' 2
keys Up
wait_for 'clafuse> "last-entry"'
ok $? "history reloaded: Up recalls the last entry of the previous session"
! grep -q -x 'function g()' "$tmp/history"
ok $? "a chunk abandoned with Ctrl-C is not kept in the history"
keys C-u
enter 'quit()'
wait_count 'shell$ ' 4
enter "echo quit-done"
wait_line 'quit-done'
ok $? "quit() leaves the console"

echo "1..$n"
