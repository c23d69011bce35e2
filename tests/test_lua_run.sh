#!/bin/sh
# test_lua_run.sh — the non-interactive ways into Lua: `clafuse run`,
# `clafuse -e`, Lua on a piped stdin, demo(), a bad share directory, and
# SIGINT to a running script.  Checks exit statuses and messages.  TAP.
set -u

builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
CLAFUSE=$(cd "$builddir" && pwd)/clafuse
tmp=$(mktemp -d "${TMPDIR:-/tmp}/clafuse-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0
ok() { # STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
has() { grep -F -q -e "$2" "$1"; } # FILE TEXT

# --- clafuse run ---------------------------------------------------------
cat >"$tmp/args.lua" <<'EOF'
local a, b = ...
print("args", #arg, arg[0]:match("[^/]+$"), arg[1], arg[2], a, b)
EOF
"$CLAFUSE" run "$tmp/args.lua" one "two words" >"$tmp/out" 2>"$tmp/err"
ok $? "run: a good script exits 0"
printf 'args\t2\targs.lua\tone\ttwo words\tone\ttwo words\n' | cmp -s - "$tmp/out"
ok $? "run: arguments in arg and in ..."

cat >"$tmp/fail.lua" <<'EOF'
print("before")
local function deep() error("halfway failure") end
deep()
print("after")
EOF
"$CLAFUSE" run "$tmp/fail.lua" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ]
ok $? "run: a script that errors halfway exits 1"
has "$tmp/out" before && ! has "$tmp/out" after
ok $? "run: output up to the error, nothing after"
has "$tmp/err" "clafuse: $tmp/fail.lua:2: halfway failure" && has "$tmp/err" "stack traceback:" &&
	has "$tmp/err" "fail.lua:3: in main chunk"
ok $? "run: message with position and a traceback on stderr"

printf 'x = = 1\n' >"$tmp/syntax.lua"
"$CLAFUSE" run "$tmp/syntax.lua" 2>"$tmp/err"
[ $? -eq 1 ] && has "$tmp/err" "syntax.lua:1: unexpected symbol near '='"
ok $? "run: a syntax error exits 1 with its position"

"$CLAFUSE" run "$tmp/no-such-script.lua" 2>"$tmp/err"
[ $? -eq 1 ] && has "$tmp/err" "cannot open $tmp/no-such-script.lua"
ok $? "run: a missing script exits 1 naming it"

"$CLAFUSE" run 2>"$tmp/err"
[ $? -eq 2 ] && has "$tmp/err" "usage: clafuse run SCRIPT"
ok $? "run: no script is a usage error (2)"
"$CLAFUSE" run --help >"$tmp/out"
[ $? -eq 0 ] && has "$tmp/out" "usage: clafuse run SCRIPT"
ok $? "run --help"

printf 'print("from stdin", ...)\n' | "$CLAFUSE" run - x >"$tmp/out"
[ $? -eq 0 ] && printf 'from stdin\tx\n' | cmp -s - "$tmp/out"
ok $? "run -: the script comes from stdin"

printf 'os.exit(7)\n' >"$tmp/exit7.lua"
"$CLAFUSE" run "$tmp/exit7.lua"
[ $? -eq 7 ]
ok $? "run: os.exit chooses the status"

# --- clafuse -e ----------------------------------------------------------
out=$("$CLAFUSE" -e 'x = 6' -e 'print(x * 7, arg[0], arg[1])')
[ $? -eq 0 ] && [ "$out" = "$(printf '42\tclafuse\t-e')" ]
ok $? "-e: chunks run in order in one state"
"$CLAFUSE" -e 'error("e-fail")' 2>"$tmp/err"
[ $? -eq 1 ] && has "$tmp/err" "clafuse: (command line):1: e-fail"
ok $? "-e: an error exits 1 with the message"
"$CLAFUSE" -e 2>"$tmp/err"
[ $? -eq 2 ] && has "$tmp/err" "usage: clafuse -e CODE"
ok $? "-e without code is a usage error"
"$CLAFUSE" -e 'print(1)' extra 2>"$tmp/err"
[ $? -eq 2 ]
ok $? "-e followed by a stray argument is a usage error"

# --- Lua on a piped stdin (the REPL without a terminal) -----------------
printf '%s\n' 'y = 2 ^ 10' 'y' 'function sq(v)' '  return v * v' 'end' 'sq(12)' \
	'error("oops")' 'y + 1' '{n = 1};' '"s", 3' >"$tmp/in"
"$CLAFUSE" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ]
ok $? "stdin: exit status 1 after an error"
printf '1024.0\n144\n1025.0\n"s"\t3\n' | cmp -s - "$tmp/out"
ok $? "stdin: values printed, multi-line input, ; hides, no prompts or banner"
has "$tmp/err" "stdin:1: oops"
ok $? "stdin: the error is reported and input continues"
printf 'for i = 1, 3 do\n' | "$CLAFUSE" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && has "$tmp/err" "'end' expected near <eof>"
ok $? "stdin: input ending inside a chunk reports the syntax error"

# --- demo() and the share directory ----------------------------------------
mkdir -p "$tmp/share/lua"
cp "$srcdir/share/lua/prelude.lua" "$tmp/share/lua/"
out=$(CLAFUSE_SHARE="$tmp/share" "$CLAFUSE" -e 'demo()')
[ "$out" = "no demos installed yet (looked in $tmp/share/demos)" ]
ok $? "demo() says honestly that no demos are installed"
mkdir -p "$tmp/share/demos"
printf -- '-- Greets the class.\nprint("hello from demo", cf ~= nil)\n' >"$tmp/share/demos/zhello.lua"
printf -- '-- Counts to three.\nfor i = 1, 3 do io.write(i) end print()\n' >"$tmp/share/demos/count.lua"
CLAFUSE_SHARE="$tmp/share" "$CLAFUSE" -e 'demo()' >"$tmp/out"
has "$tmp/out" "count            Counts to three." && has "$tmp/out" "zhello           Greets the class." &&
	[ "$(grep -n count "$tmp/out" | cut -d: -f1)" -lt "$(grep -n zhello "$tmp/out" | cut -d: -f1)" ]
ok $? "demo() lists the demos sorted, with their descriptions"
out=$(CLAFUSE_SHARE="$tmp/share" "$CLAFUSE" -e 'demo "zhello"')
[ "$out" = "$(printf 'hello from demo\ttrue')" ]
ok $? "demo \"name\" runs a demo"
CLAFUSE_SHARE="$tmp/nowhere" "$CLAFUSE" -e 'print(1)' 2>"$tmp/err"
[ $? -eq 1 ] && has "$tmp/err" "cannot find the Lua prelude $tmp/nowhere/lua/prelude.lua"
ok $? "a share directory without the prelude is reported"

# --- SIGINT stops a running script ---------------------------------------
cat >"$tmp/loop.lua" <<'EOF'
local f = assert(io.open(arg[1], "w")); f:write("started\n"); f:close()
while true do end
EOF
"$CLAFUSE" run "$tmp/loop.lua" "$tmp/started" 2>"$tmp/err" &
pid=$!
tries=100
while [ ! -s "$tmp/started" ] && [ $tries -gt 0 ]; do
	sleep 0.1
	tries=$((tries - 1))
done
kill -INT "$pid"
wait "$pid"
[ $? -eq 1 ] && has "$tmp/err" "interrupted"
ok $? "SIGINT interrupts a running script: exit 1, message 'interrupted'"

echo "1..$n"
