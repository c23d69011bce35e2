# tmux_lib.sh — shared by the tests that drive clafuse in a real terminal
# (test_repl.sh, test_tui.sh, test_tui_session.sh); sourced, not run.
# clafuse runs in a detached tmux session on a private socket, keys go in
# with send-keys and the screen comes back with capture-pane.  Every check
# polls the screen for what it expects (10 s at most) instead of sleeping
# a fixed time, so the tests are as fast as the program and never flaky
# on a slow machine.  Prints TAP through ok(); the caller ends with
# `echo "1..$n"`.
#
# Usage: `. "$(dirname "$0")/tmux_lib.sh"; tmux_setup NAME`.  Afterwards
# $CLAFUSE is the program, $tmp a private directory removed on exit, T runs
# tmux on the private socket and $W names the window that screen() reads
# and keys() types into (a test may redefine screen()).

builddir=${top_builddir:-.}
CLAFUSE=$(cd "$builddir" && pwd)/clafuse
if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
if [ ! -x "$CLAFUSE" ]; then
	echo "Bail out! $CLAFUSE not built"
	exit 1
fi

# tmux_setup NAME: the private directory and socket, removed on exit
tmux_setup() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/clafuse-$1.XXXXXX")
	SOCK=clafuse-$1-$$
	trap cleanup EXIT
	trap 'exit 1' INT TERM
}
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
	T kill-server >/dev/null 2>&1
	rm -rf "$tmp"
}

n=0
ok() { # STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

W=cf
screen() { T capture-pane -p -t "$W"; }
keys() { T send-keys -t "$W" "$@"; }
# show_screen: the screen as TAP comments, for a check that timed out
# (its last $SCREEN_TAIL lines when that is set)
show_screen() {
	if [ -n "${SCREEN_TAIL:-}" ]; then
		screen | tail -n "$SCREEN_TAIL" | sed 's/^/#   | /'
	else
		screen | sed 's/^/#   | /'
	fi
}

# poll COMMAND...: 0 as soon as COMMAND succeeds, 1 after 100 tries 0.1 s apart
poll() {
	tries=100
	while [ $tries -gt 0 ]; do
		if "$@"; then return 0; fi
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}
on_screen() { screen | grep -F -q -e "$1"; }
off_screen() { ! screen | grep -F -q -e "$1"; }
line_on_screen() { screen | grep -F -x -q -e "$1"; }
lines_on_screen() { [ "$(screen | grep -c -F -e "$1")" -ge "$2" ]; }

# cell_of TEXT: "X Y", the 0-based column and row where TEXT first shows
# on the screen (columns counted in characters: the frame is UTF-8)
cell_of() {
	screen | {
		y=0
		while IFS= read -r line; do
			case $line in
			*"$1"*)
				pre=${line%%"$1"*}
				echo "$(printf %s "$pre" | LC_ALL=C.UTF-8 wc -m) $y"
				return 0
				;;
			esac
			y=$((y + 1))
		done
		return 1
	}
}
# click X Y / wheel up|down X Y: the mouse at 0-based cell (X, Y), sent as
# the terminal sends it (SGR 1006 reports, which ncurses asks for)
click() {
	keys -l "$(printf '\033[<0;%d;%dM' $(($1 + 1)) $(($2 + 1)))"
	keys -l "$(printf '\033[<0;%d;%dm' $(($1 + 1)) $(($2 + 1)))"
}
wheel() {
	b=64
	[ "$1" = down ] && b=65
	keys -l "$(printf '\033[<%d;%d;%dM' $b $(($2 + 1)) $(($3 + 1)))"
}

# wait_for TEXT: 0 as soon as the screen contains TEXT (fixed string)
wait_for() {
	poll on_screen "$1" && return 0
	echo "# timed out waiting for: $1"
	show_screen
	return 1
}
# wait_gone TEXT: 0 as soon as the screen no longer contains TEXT
wait_gone() {
	poll off_screen "$1" && return 0
	echo "# still on the screen: $1"
	return 1
}
# wait_line TEXT: 0 as soon as a whole screen line equals TEXT
wait_line() {
	poll line_on_screen "$1" && return 0
	echo "# timed out waiting for the line: $1"
	show_screen
	return 1
}
# wait_count TEXT N: until TEXT occurs on at least N screen lines
wait_count() {
	poll lines_on_screen "$1" "$2" && return 0
	echo "# timed out waiting for $2 lines with: $1"
	show_screen
	return 1
}

# start NAME [ENV...] -- ARGS: a window NAME running `clafuse tui ARGS` in
# $tmp with the environment ENV; after it ends the shell prints its exit
# status and the terminal modes, then waits.  The first window starts the
# session (100×32, TERM=xterm-256color).
start() {
	name=$1
	shift
	envs=""
	while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	shift
	# the shell survives a Ctrl-C meant for clafuse (a trap with a command
	# is reset to the default in the child)
	cat >"$tmp/$name.sh" <<EOS
cd "$tmp"
trap ':' INT
env TERM=xterm-256color LANG=C.UTF-8 $envs "$CLAFUSE" tui $*
echo "exit=\$?"
stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '
echo "<modes"
exec sleep 600
EOS
	if T has-session -t cf 2>/dev/null; then
		T new-window -t cf -n "$name" "sh $tmp/$name.sh"
	else
		T new-session -d -s cf -n "$name" -x 100 -y 32 "sh $tmp/$name.sh"
	fi
	W="cf:$name"
}
