/* test_lua_host.c — TAP test of the embedded Lua host (src/lua): the cf
 * table, protected calls with tracebacks, Ctrl-C through the hook and the
 * stop flag, the help registry as binding files use it, and the progress
 * line format.  Ctrl-C is simulated with raise(SIGINT), which runs the real
 * handler synchronously, so nothing here depends on timing.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "lua/host.h"
#include "term/progress.h"
#include "tap.h"

/* Run `code` protected; returns the status, leaves results/message. */
static int run(lua_State *L, const char *code)
{
	if (luaL_loadstring(L, code) != LUA_OK)
		return -1;
	return cf_lua_docall(L, 0, LUA_MULTRET);
}

static int l_press_ctrl_c(lua_State *L)
{
	(void)L;
	raise(SIGINT);
	return 0;
}

/* A stand-in for a binding over long core work: polls the progress
 * callback as core loops do and stops when asked. */
static long work_done;
static int l_long_work(lua_State *L)
{
	long n = (long)luaL_checkinteger(L, 1);
	long press_at = (long)luaL_optinteger(L, 2, -1);
	for (work_done = 0; work_done < n; work_done++) {
		if (work_done == press_at)
			raise(SIGINT);
		if (cf_lua_progress(NULL, "work", (double)work_done / (double)n))
			return cf_lua_raise_interrupted(L);
	}
	lua_pushinteger(L, work_done);
	return 1;
}

static int l_twice(lua_State *L)
{
	lua_pushnumber(L, 2 * luaL_checknumber(L, 1));
	return 1;
}

static int l_secret(lua_State *L)
{
	lua_pushliteral(L, "undocumented");
	return 1;
}

static int l_widget_size(lua_State *L)
{
	lua_pushinteger(L, 3);
	return 1;
}

/* Bindings report core failures through cf_lua_check / cf_lua_fail. */
static int l_core_status(lua_State *L)
{
	int status = (int)luaL_checkinteger(L, 1);
	int environmental = lua_toboolean(L, 2);
	cf_error err;
	cf_error_clear(&err);
	if (status != CF_OK)
		cf_error_set(&err, status, "model.safetensors: header is %d bytes", 7);
	if (environmental && status != CF_OK)
		return cf_lua_fail(L, status, &err);
	cf_lua_check(L, status, &err);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg test_fns[] = {{"twice", l_twice}, {"secret", l_secret}, {NULL, NULL}};
static const cf_lua_doc test_docs[] = {
	{"twice", "cf.testmod.twice(x) -> number", "Double a number.\nRaises on a non-number."},
	{NULL, NULL, NULL}};
static const luaL_Reg widget_meta[] = {{NULL, NULL}};
static const luaL_Reg widget_methods[] = {{"size", l_widget_size}, {NULL, NULL}};
static const cf_lua_doc widget_docs[] = {
	{"size", "w:size() -> integer", "Number of parts of the widget."}, {NULL, NULL, NULL}};

static int l_new_widget(lua_State *L)
{
	lua_newuserdatauv(L, 1, 0);
	luaL_setmetatable(L, "clafuse.Widget");
	return 1;
}

int main(void)
{
	char err[1024];
	const char *srcdir = getenv("top_srcdir");
	char share[4096];
	if (srcdir && !getenv("CLAFUSE_SHARE")) {
		snprintf(share, sizeof share, "%s/share", srcdir);
		setenv("CLAFUSE_SHARE", share, 1);
	}

	/* a share directory without the prelude is reported, not a crash */
	const char *saved = getenv("CLAFUSE_SHARE");
	char keep[4096];
	snprintf(keep, sizeof keep, "%s", saved ? saved : "");
	setenv("CLAFUSE_SHARE", "/nonexistent-clafuse-share", 1);
	lua_State *bad = cf_lua_open(err, sizeof err);
	ok(bad == NULL && strstr(err, "prelude") && strstr(err, "CLAFUSE_SHARE"),
	   "missing prelude is reported: %.80s", err);
	cf_lua_close(bad);
	if (*keep)
		setenv("CLAFUSE_SHARE", keep, 1);
	else
		unsetenv("CLAFUSE_SHARE");

	lua_State *L = cf_lua_open(err, sizeof err);
	ok(L != NULL, "cf_lua_open builds a state (%s)", L ? "ok" : err);
	if (!L)
		return tap_done();

	/* cf table */
	ok(run(L, "return cf.version, cf.blas, type(string.format), cf.sharedir") == LUA_OK,
	   "cf fields readable");
	ok(strcmp(lua_tostring(L, -4), PACKAGE_VERSION) == 0, "cf.version = %s",
	   lua_tostring(L, -4));
	ok(strcmp(lua_tostring(L, -3), CF_BLAS_NAME) == 0, "cf.blas = %s", lua_tostring(L, -3));
	ok(strcmp(lua_tostring(L, -2), "function") == 0, "standard libraries are open");
	ok(strcmp(lua_tostring(L, -1), cf_lua_sharedir()) == 0, "cf.sharedir = %s",
	   lua_tostring(L, -1));
	lua_settop(L, 0);

	/* errors: message, position and a traceback; state survives */
	ok(run(L, "local function inner() error('boom') end\n"
		  "local function outer() inner() end\nouter()") == LUA_ERRRUN,
	   "runtime error reported as LUA_ERRRUN");
	const char *msg = lua_tostring(L, -1);
	ok(strstr(msg, ":1: boom") != NULL, "message has position: %.40s", msg);
	ok(strstr(msg, "stack traceback:") && strstr(msg, "'inner'") &&
		   strstr(msg, "in local 'outer'") && strstr(msg, "in main chunk"),
	   "traceback names inner and outer");
	ok(strstr(msg, "[C]: in ?") == NULL, "host frame trimmed from traceback");
	lua_settop(L, 0);
	ok(run(L, "error(setmetatable({}, {__tostring = function() return 'custom obj' end}))") ==
			   LUA_ERRRUN &&
		   strcmp(lua_tostring(L, -1), "custom obj") == 0,
	   "error object with __tostring is shown by it");
	lua_settop(L, 0);
	ok(run(L, "error({})") == LUA_ERRRUN &&
		   strstr(lua_tostring(L, -1), "(error object is a table value)"),
	   "error object without __tostring is named");
	lua_settop(L, 0);
	ok(run(L, "return 6 * 7") == LUA_OK && lua_tointeger(L, -1) == 42,
	   "state usable after errors");
	lua_settop(L, 0);

	/* interrupts: Lua loop via the hook */
	lua_register(L, "press_ctrl_c", l_press_ctrl_c);
	lua_register(L, "long_work", l_long_work);
	ok(run(L, "kept = 'still here'; press_ctrl_c(); local n = 0; while true do n = n + 1 end") ==
			   LUA_ERRRUN &&
		   strstr(lua_tostring(L, -1), "interrupted") != NULL,
	   "Ctrl-C in a Lua loop raises 'interrupted'");
	lua_settop(L, 0);
	ok(!cf_lua_stop_requested(), "stop flag cleared after the evaluation");
	ok(run(L, "return kept") == LUA_OK && strcmp(lua_tostring(L, -1), "still here") == 0,
	   "globals survive an interrupt");
	lua_settop(L, 0);

	/* interrupts: C work polling the progress callback */
	ok(run(L, "return long_work(100000, 1234)") == LUA_ERRRUN &&
		   strstr(lua_tostring(L, -1), "interrupted") != NULL,
	   "Ctrl-C during C work raises 'interrupted'");
	lua_settop(L, 0);
	ok(work_done == 1234, "C work stopped at the first poll after Ctrl-C (%ld)", work_done);
	ok(run(L, "return long_work(5000)") == LUA_OK && lua_tointeger(L, -1) == 5000,
	   "C work runs to the end without Ctrl-C");
	lua_settop(L, 0);

	/* Ctrl-C outside an evaluation: the flag only (the REPL reads and clears
	 * it at its prompt); still set when an evaluation begins, it was
	 * pressed after Enter and stops that evaluation, and only that one */
	raise(SIGINT);
	ok(cf_lua_stop_requested(), "Ctrl-C outside an evaluation sets the stop flag");
	ok(run(L, "kept2 = 1; local s = 0; for i = 1, 1000 do s = s + i end; return s") ==
			   LUA_ERRRUN && strstr(lua_tostring(L, -1), "interrupted") != NULL,
	   "a Ctrl-C pressed before the evaluation began interrupts it");
	lua_settop(L, 0);
	ok(!cf_lua_stop_requested(), "stop flag cleared after that evaluation");
	ok(run(L, "local s = 0; for i = 1, 1000 do s = s + i end; return s") == LUA_OK &&
		   lua_tointeger(L, -1) == 500500,
	   "the evaluation after it runs to the end");
	lua_settop(L, 0);
	raise(SIGINT);
	cf_lua_stop_clear(); /* what the REPL does at its prompt */
	ok(run(L, "return 6 * 7") == LUA_OK && lua_tointeger(L, -1) == 42,
	   "a Ctrl-C the prompt handled does not reach the next evaluation");
	lua_settop(L, 0);
	cf_lua_stop_request();
	ok(cf_lua_progress(NULL, "x", 0.5) != 0, "progress callback reports a requested stop");
	cf_lua_stop_clear();
	ok(cf_lua_progress(NULL, "x", 0.5) == 0, "progress callback continues otherwise");

	/* help registry as a binding file uses it */
	cf_lua_register(L, "testmod", "a test module", test_fns, test_docs);
	lua_pop(L, 1);
	cf_lua_register_type(L, "clafuse.Widget", "a test object", widget_meta, widget_methods,
			     widget_docs);
	lua_register(L, "new_widget", l_new_widget);
	ok(run(L, "return cf.testmod.twice(21)") == LUA_OK && lua_tonumber(L, -1) == 42.0,
	   "registered function callable");
	lua_settop(L, 0);
	int st = run(L, "local f = cf.testmod.twice; return cf.doc(f)");
	ok(st == LUA_OK &&
		   strcmp(lua_tostring(L, -1), "cf.testmod.twice(x) -> number\n  Double a number.\n"
					       "  Raises on a non-number.\n") == 0,
	   "help by value of a renamed function");
	lua_settop(L, 0);
	ok(run(L, "return cf.doc('cf.testmod.twice'), cf.doc('testmod.twice')") == LUA_OK &&
		   lua_isstring(L, -1) && lua_isstring(L, -2),
	   "help by full and by short name");
	lua_settop(L, 0);
	ok(run(L, "return cf.doc(cf.testmod)") == LUA_OK &&
		   strstr(lua_tostring(L, -1), "cf.testmod — a test module") &&
		   strstr(lua_tostring(L, -1), "Double a number."),
	   "help of a module lists its functions");
	lua_settop(L, 0);
	ok(run(L, "local w = new_widget(); return w:size(), cf.doc(w), cf.doc(w.size)") == LUA_OK &&
		   lua_tointeger(L, -3) == 3 &&
		   strstr(lua_tostring(L, -2), "Widget (clafuse.Widget) — a test object") &&
		   strstr(lua_tostring(L, -2), "w:size() -> integer") &&
		   strstr(lua_tostring(L, -1), "Number of parts"),
	   "help of an object (by metatable) and of its method");
	lua_settop(L, 0);
	ok(run(L, "return cf.doc(cf.testmod.secret), cf.doc(print), cf.doc('no-such-thing')") ==
			   LUA_OK &&
		   lua_isnil(L, -1) && lua_isnil(L, -2) && lua_isnil(L, -3),
	   "no help for undocumented, foreign or unknown names");
	lua_settop(L, 0);
	int missing = cf_lua_help_missing(L);
	ok(missing == 1 && lua_rawgeti(L, -1, 1) == LUA_TSTRING &&
		   strcmp(lua_tostring(L, -1), "cf.testmod.secret") == 0,
	   "doc_missing finds exactly the undocumented function (%d)", missing);
	lua_settop(L, 0);
	lua_pushliteral(L, "lua");
	ok(cf_lua_help_push(L, 1) && strstr(lua_tostring(L, -1), "nil, message"),
	   "topic 'lua' describes the error conventions");
	lua_settop(L, 0);
	st = run(L, "return cf.testmod.twice('x')");
	ok(st == LUA_ERRRUN && strstr(lua_tostring(L, -1), "bad argument #1 to 'twice'"),
	   "argument errors name the position: %.60s", lua_tostring(L, -1));
	lua_settop(L, 0);

	/* core status to Lua */
	lua_register(L, "core_status", l_core_status);
	lua_pushinteger(L, CF_EFORMAT);
	lua_setglobal(L, "EFORMAT");
	lua_pushinteger(L, CF_ESTOPPED);
	lua_setglobal(L, "ESTOPPED");
	st = run(L, "return core_status(0)");
	ok(st == LUA_OK && lua_toboolean(L, -1), "cf_lua_check passes CF_OK");
	lua_settop(L, 0);
	st = run(L, "return core_status(EFORMAT)");
	ok(st == LUA_ERRRUN && strstr(lua_tostring(L, -1), "model.safetensors: header is 7 bytes"),
	   "cf_lua_check raises the core message");
	lua_settop(L, 0);
	st = run(L, "return core_status(EFORMAT, true)");
	ok(st == LUA_OK && lua_gettop(L) == 2 && lua_isnil(L, 1) &&
		   strcmp(lua_tostring(L, 2), "model.safetensors: header is 7 bytes") == 0,
	   "cf_lua_fail returns nil, message");
	lua_settop(L, 0);
	st = run(L, "return core_status(ESTOPPED, true)");
	ok(st == LUA_ERRRUN && strstr(lua_tostring(L, -1), "interrupted"),
	   "a stopped core function raises 'interrupted' even where failures return");
	lua_settop(L, 0);

	/* progress line */
	char line[128];
	ok(strcmp(cf_term_progress_format(line, sizeof line, 10, "epoch 4/10", 0.4),
		  "[####      ]  40% epoch 4/10") == 0,
	   "progress line: '%s'", line);
	ok(strcmp(cf_term_progress_format(line, sizeof line, 4, "done", 1.0), "[####] 100% done") ==
		   0,
	   "progress line full: '%s'", line);
	ok(strcmp(cf_term_progress_format(line, sizeof line, 4, "scan", -1), "[    ] scan") == 0,
	   "progress line of unknown length: '%s'", line);

	cf_lua_close(L);
	return tap_done();
}
