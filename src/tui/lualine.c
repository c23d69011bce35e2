/* lualine.c — Lua on the workbench's `:` line.
 *
 * The state comes from cf_lua_open, so the whole `cf` API is there, as in
 * the REPL.  Nothing may write to the terminal behind ncurses' back, so
 * `print` and `io.write` are replaced by functions that append lines to
 * the log, and stdout and stderr (where help(), demo() and
 * cf_lua_progress write from C) are sent to a temporary file during an
 * evaluation and their lines logged afterwards; output longer than the
 * status line opens the log screen, which pages it.  The global `session`
 * is the workbench's session (not owned by Lua), so a line such as
 * `session:set("ot.reg", 0.05)` changes what the screens show.  A line is
 * tried first as `return <line>` (an expression: its value goes to the
 * status line) and then as a statement; errors go to the status line and
 * the log.  The state is opened before the terminal is taken over, so the
 * workbench's signal handlers (installed later) win over the host's.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "lualine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "commands.h"
#include "lua/host.h"
#include "log.h"
#include "sess.h"
#include "tui.h"

static const char *const tui_key = "clafuse.tui";

static cf_tui *tui_of(lua_State *L)
{
	cf_tui *t;
	lua_getfield(L, LUA_REGISTRYINDEX, tui_key);
	t = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return t;
}

/* Log each line of text (without its trailing newline). */
static void log_lines(cf_tui *t, const char *text, size_t len)
{
	size_t a = 0;
	while (a < len) {
		size_t b = a;
		char line[256];
		while (b < len && text[b] != '\n' && text[b] != '\r')
			b++;
		if (b > a) {
			size_t n = b - a < sizeof line - 1 ? b - a : sizeof line - 1;
			memcpy(line, text + a, n);
			line[n] = '\0';
			cf_log_add(t, CF_MSG_INFO, line);
		}
		a = b + 1;
	}
}

static int l_print(lua_State *L)
{
	cf_tui *t = tui_of(L);
	luaL_Buffer b;
	int n = lua_gettop(L);
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_addvalue(&b);
		(void)s;
		(void)len;
	}
	luaL_pushresult(&b);
	if (t) {
		size_t len;
		const char *s = lua_tolstring(L, -1, &len);
		log_lines(t, s, len);
		snprintf(t->status, sizeof t->status, "%s", s);
		t->status_level = CF_MSG_INFO;
	}
	return 0;
}

static int l_write(lua_State *L)
{
	cf_tui *t = tui_of(L);
	luaL_Buffer b;
	int n = lua_gettop(L);
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		luaL_checkany(L, i);
		if (lua_type(L, i) != LUA_TSTRING && lua_type(L, i) != LUA_TNUMBER)
			return luaL_typeerror(L, i, "string or number");
		lua_pushvalue(L, i);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
	if (t) {
		size_t len;
		const char *s = lua_tolstring(L, -1, &len);
		log_lines(t, s, len);
	}
	return 0;
}

void cf_tui_lua_open(cf_tui *t)
{
	char msg[512];
	lua_State *L = cf_lua_open(msg, sizeof msg);

	if (!L) {
		cf_tui_msg(t, CF_MSG_WARN, "Lua is not available on the : line: %s", msg);
		return;
	}
	lua_pushlightuserdata(L, t);
	lua_setfield(L, LUA_REGISTRYINDEX, tui_key);
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");
	if (lua_getglobal(L, "io") == LUA_TTABLE) {
		lua_pushcfunction(L, l_write);
		lua_setfield(L, -2, "write");
	}
	lua_pop(L, 1);
	if (t->sess && t->sess->s) {
		cf_lua_push_session_ref(L, t->sess->s);
		lua_setglobal(L, "session");
	}
	t->lua = L;
}

void cf_tui_lua_close(cf_tui *t)
{
	if (t->lua)
		cf_lua_close(t->lua);
	t->lua = NULL;
}

/* One line of the result for the status line: cf.pretty when there is
 * one (tables print as Lua), else tostring; newlines become spaces. */
static void result_text(lua_State *L, int idx, char *buf, size_t size)
{
	const char *s = NULL;
	int top = lua_gettop(L);

	if (lua_getglobal(L, "cf") == LUA_TTABLE && lua_getfield(L, -1, "pretty") == LUA_TFUNCTION) {
		lua_pushvalue(L, idx);
		if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
			s = lua_tostring(L, -1);
	}
	if (!s)
		s = luaL_tolstring(L, idx, NULL);
	snprintf(buf, size, "%s", s);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	lua_settop(L, top);
}

int cf_tui_lua_eval(cf_tui *t, const char *code)
{
	lua_State *L = t->lua;
	char *chunk;
	size_t n = strlen(code);
	int rc, top, saved = -1, saved_out = -1, nout = 0;
	FILE *cap;
	char line[512];

	if (!L) {
		cf_tui_msg(t, CF_MSG_ERROR, "'%.40s' is not a command, and Lua is not available", code);
		return -1;
	}
	top = lua_gettop(L);
	chunk = malloc(n + 8);
	if (!chunk) {
		cf_tui_msg(t, CF_MSG_ERROR, "out of memory");
		return -1;
	}
	snprintf(chunk, n + 8, "return %s", code);
	rc = luaL_loadbuffer(L, chunk, n + 7, "=lua");
	if (rc != LUA_OK) {
		lua_pop(L, 1);
		rc = luaL_loadbuffer(L, code, n, "=lua");
	}
	free(chunk);
	cf_log_add(t, CF_MSG_INFO, code);
	if (rc != LUA_OK) {
		cf_tui_msg(t, CF_MSG_ERROR, "Lua error: %s", lua_tostring(L, -1));
		lua_settop(L, top);
		return -1;
	}
	/* keep what C writes (help(), demo(), progress lines, warnings) off
	 * the screen: ncurses owns the terminal */
	cap = tmpfile();
	fflush(stdout);
	fflush(stderr);
	if (cap) {
		saved = dup(STDERR_FILENO);
		saved_out = dup(STDOUT_FILENO);
		if (saved >= 0)
			dup2(fileno(cap), STDERR_FILENO);
		if (saved_out >= 0)
			dup2(fileno(cap), STDOUT_FILENO);
	}
	t->status[0] = '\0';
	/* a line may run the session (session:run()): the screens must not
	 * read its results while it works (see sess.h) */
	t->busy = t->sess != NULL;
	t->busy_frac = -1;
	snprintf(t->busy_text, sizeof t->busy_text, "Lua");
	rc = cf_lua_pcall(L, 0, LUA_MULTRET);
	t->busy = 0;
	t->stop = 0;
	if (t->sess)
		t->sess->gen++;
	fflush(stdout);
	fflush(stderr);
	if (saved_out >= 0) {
		dup2(saved_out, STDOUT_FILENO);
		close(saved_out);
	}
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (cap) {
		rewind(cap);
		while (fgets(line, sizeof line, cap)) {
			log_lines(t, line, strlen(line));
			nout++;
		}
		fclose(cap);
	}
	if (nout > 1)
		cf_tui_show(t, "log");
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		char first[256];
		size_t k = 0;
		msg = msg ? msg : "(error object is not a string)";
		while (msg[k] && msg[k] != '\n' && k + 1 < sizeof first) {
			first[k] = msg[k];
			k++;
		}
		first[k] = '\0';
		cf_tui_msg(t, CF_MSG_ERROR, "Lua error: %s", first);
		log_lines(t, msg, strlen(msg));
		lua_settop(L, top);
		return -1;
	}
	if (lua_gettop(L) > top) {
		char buf[256];
		result_text(L, top + 1, buf, sizeof buf);
		cf_tui_msg(t, CF_MSG_GOOD, "= %s", buf);
	} else if (nout > 1)
		cf_tui_msg(t, CF_MSG_GOOD, "%d lines of output: in the log (this screen, %s)", nout,
			   cf_tui_command_key("log"));
	else if (!t->status[0])
		cf_tui_msg(t, CF_MSG_GOOD, "ok");
	lua_settop(L, top);
	return 0;
}

int cf_tui_cmd_lua(cf_tui *t, const char *args)
{
	if (!args || !*args) {
		cf_tui_msg(t, CF_MSG_ERROR, "lua: give the code, e.g. :lua 1 + 1");
		return -1;
	}
	return cf_tui_lua_eval(t, args);
}
