#!/bin/sh
# run_lua_test.sh — run one Lua API test (a script printing TAP) through
# `clafuse run`, with tests/lua on package.path so `require "tap"` works.
# Used by make check as LUA_LOG_COMPILER; by hand:
#     top_srcdir=. top_builddir=../build tests/run_lua_test.sh tests/lua/help.lua
script=$1
shift
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
LUA_PATH="$srcdir/tests/lua/?.lua;;"
export LUA_PATH
exec "$builddir/clafuse" run "$script" "$@"
