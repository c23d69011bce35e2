#!/bin/sh
# test_docs.sh — the user-facing texts describe the same program, and only
# what exists (TAP): the Lua modules that help() lists are the ones the man
# page and the README name; every cf.NAME those two texts mention exists in
# the running program; every subcommand of `clafuse --help` is in the
# README's table and the man page, and every `clafuse SUB` the README shows
# is a real subcommand.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
CLAFUSE=${CLAFUSE:-$top_builddir/clafuse}
MAN=$top_srcdir/share/man/man1/clafuse.1
README=$top_srcdir/README.md
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

"$CLAFUSE" -e 'help()' >"$T/help" 2>&1
ok $? "help() runs"
# the modules: the lines "  cf.NAME  description" under "Modules"
awk '/^Modules/ { on = 1; next } on && /^$/ { exit }
	on && $1 ~ /^cf\./ { print $1 }' "$T/help" >"$T/modules"
[ "$(wc -l <"$T/modules")" -ge 5 ]
ok $? "help() lists the modules ($(tr '\n' ' ' <"$T/modules"))"
for m in $(cat "$T/modules"); do
	grep -q "^\.B $m\$" "$MAN"
	ok $? "the man page's LUA section names $m"
	grep -F -q "\`$m\`" "$README"
	ok $? "the README names $m"
done

# every cf.NAME in the man page and the README exists
grep -o 'cf\.[a-z_][a-z_0-9]*' "$MAN" "$README" | cut -d: -f2 | sort -u >"$T/named"
[ -s "$T/named" ]
ok $? "the man page and the README name cf functions ($(wc -l <"$T/named") names)"
for name in $(cat "$T/named"); do
	"$CLAFUSE" -e "assert($name ~= nil)" >/dev/null 2>&1
	ok $? "$name, named in the docs, exists"
done

# subcommands
"$CLAFUSE" --help | awk '/^subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' \
	>"$T/subs"
[ "$(wc -l <"$T/subs")" -ge 6 ]
ok $? "--help lists the subcommands ($(tr '\n' ' ' <"$T/subs"))"
for c in $(cat "$T/subs"); do
	grep -q "^|.*\`clafuse $c[ \`]" "$README"
	ok $? "the README's table describes clafuse $c"
done
# code in the README (`clafuse SUB ...`) uses real subcommands
grep -o '`clafuse [a-z][a-z-]*' "$README" | sort -u | while read -r _ sub; do
	grep -q -x "$sub" "$T/subs" || echo "$sub"
done >"$T/unknown"
[ ! -s "$T/unknown" ]
ok $? "every \`clafuse SUB\` in the README is a subcommand ($(tr '\n' ' ' <"$T/unknown"))"

echo "1..$n"
