#!/bin/sh
# setup.sh — make a fresh Debian 12 machine ready for clafuse: install the
# Debian packages that are missing, bootstrap autotools, configure and build
# in _build/.  Safe to run again: it only installs what is missing and
# rebuilds what changed.
#
#   scripts/setup.sh            install + build
#   scripts/setup.sh --asan     the same, building with sanitizers in _build-asan/
#   CONFIGURE_FLAGS=... scripts/setup.sh   extra flags for ./configure
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build=_build
flags=${CONFIGURE_FLAGS:-}
case "${1:-}" in
--asan) build=_build-asan; flags="$flags --enable-asan" ;;
"") ;;
*) echo "usage: scripts/setup.sh [--asan]" >&2; exit 2 ;;
esac

packages="build-essential autoconf automake libtool pkg-config
  libgsl-dev libopenblas-dev liblua5.4-dev libncurses-dev libreadline-dev
  zlib1g-dev libjansson-dev dataset-fashion-mnist tmux"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing Debian packages:$missing"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	echo "setup: autoreconf"
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
	echo "setup: configure $flags"
	# shellcheck disable=SC2086
	../configure -q $flags
fi
echo "setup: make"
make -s -j"$(nproc)" >/dev/null
echo "setup: built $build/clafuse ($(./clafuse --version | tr '\n' ' '))"
