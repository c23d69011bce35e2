#!/bin/sh
# test_dist.sh — `make dist` takes every file of the repository (TAP).  The
# Makefile lists files, not directories, so a file added under git and to no
# list (a new fuzz/regress input, a script) would be missing from the
# tarball; a directory in a list would bring the build tree's objects along.
# Skips outside a git checkout (in an unpacked tarball, say).
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if ! git -C "$top_srcdir" ls-files >"$T/git" 2>/dev/null || [ ! -s "$T/git" ]; then
	echo "1..0 # SKIP $top_srcdir is not a git checkout"
	exit 0
fi
echo "1..3"
# Files under git that are not meant for the tarball.
grep -v -E '^(\.gitignore|build-aux/\.keep|m4/\.keep)$' "$T/git" | sort >"$T/want"

# MAKEFLAGS of an enclosing `make check` (TESTS=..., -j) do not apply here.
MAKEFLAGS= ${MAKE:-make} -s -C "$top_builddir" print-distfiles >"$T/raw" 2>"$T/err"
status=$?
[ $status -eq 0 ] && [ -s "$T/raw" ]
if [ $? -eq 0 ]; then echo "ok 1 - make print-distfiles lists $(wc -l <"$T/raw") files"
else echo "not ok 1 - make print-distfiles failed: $(head -n 1 "$T/err")"; fi

# The list names files as NAME, ./NAME, $(srcdir)/NAME or $(top_srcdir)/NAME.
src=$(cd "$top_srcdir" && pwd)
: >"$T/have"
: >"$T/dirs"
while read -r f; do
	case $f in
	"$src"/*) f=${f#"$src"/} ;;
	"$top_srcdir"/*) f=${f#"$top_srcdir"/} ;;
	./*) f=${f#./} ;;
	esac
	echo "$f" >>"$T/have"
	[ -d "$top_srcdir/$f" ] && echo "$f" >>"$T/dirs"
done <"$T/raw"
sort -u "$T/have" -o "$T/have"

comm -23 "$T/want" "$T/have" >"$T/missing"
if [ ! -s "$T/missing" ]; then echo "ok 2 - all $(wc -l <"$T/want") files under git are in the tarball's list"
else
	echo "not ok 2 - $(wc -l <"$T/missing") files under git are in no list of Makefile.am or mk/*.am:"
	sed 's/^/#   /' "$T/missing"
fi
if [ ! -s "$T/dirs" ]; then echo "ok 3 - the lists name files, no directory"
else
	echo "not ok 3 - directories in a list (name their files instead):"
	sed 's/^/#   /' "$T/dirs"
fi
