/* interrupt.c — Ctrl-C for the Lua host: a stop flag for C work and a hook
 * that raises "interrupted" in Lua code.
 *
 * Design choice (after lua.c): the SIGINT handler touches no Lua state
 * except lua_sethook, which Lua documents as safe to call from a signal
 * handler.  It sets a flag that core progress callbacks poll (a hook never
 * fires while a C function runs) and a count-1 hook that raises the error
 * at the next Lua instruction.  Outside an evaluation it only sets the
 * flag, which the REPL reads (and clears) to clear its input line; a flag
 * still set when an evaluation begins was pressed after Enter, and stops
 * that evaluation at its first instruction.  A third Ctrl-C in
 * one evaluation restores the default action and kills the program, the
 * way out of a C loop that never polls.
 *
 * Hooks belong to one Lua thread, and the handler cannot know which
 * coroutine is running, so every coroutine carries its own count hook from
 * birth (coroutine.create and coroutine.wrap are wrapped to set it; threads
 * made inside a coroutine inherit it).  Every CO_HOOK_COUNT instructions it
 * looks at the stop flag and raises "interrupted" inside the coroutine, which
 * unwinds it back to the main thread, whose own hook then stops the rest.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "core/outfile.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t busy;
static volatile sig_atomic_t presses;
static lua_State *volatile hooked;
static struct sigaction previous;
static int installed;
static int newline_on_press; /* stderr is a terminal (known before the signal) */

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	stop_flag = 0; /* one Ctrl-C, one error */
	luaL_error(L, "interrupted");
}

static void on_sigint(int sig)
{
	(void)sig;
	stop_flag = 1;
	if (!busy)
		return;
	presses++;
	if (presses >= 3) {
		cf_outfile_remove_temps();
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
		return;
	}
	if (presses == 1 && newline_on_press) {
		/* the terminal echoed ^C: put what follows on a line of its own */
		ssize_t w = write(STDERR_FILENO, "\n", 1);
		(void)w;
	}
	if (presses == 2) {
		static const char msg[] = "\n(still busy; press Ctrl-C once more to kill clafuse)\n";
		ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
		(void)w;
	}
	if (hooked)
		lua_sethook(hooked, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* Instructions between two looks at the stop flag inside a coroutine: a
 * hook call costs about as much as a few instructions, so this is cheap,
 * and still thousands of looks per second. */
#define CO_HOOK_COUNT 1000

static void co_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (stop_flag && busy)
		luaL_error(L, "interrupted");
}

static void hook_thread(lua_State *L, int idx)
{
	lua_State *co = lua_tothread(L, idx);
	if (co)
		lua_sethook(co, co_hook, LUA_MASKCOUNT, CO_HOOK_COUNT);
}

/* coroutine.create, then give the new thread the hook */
static int co_create(lua_State *L)
{
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, 1);
	hook_thread(L, -1);
	return 1;
}

/* coroutine.wrap, then hook the thread it keeps as its first upvalue */
static int co_wrap(lua_State *L)
{
	int n = lua_gettop(L);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, n, 1);
	if (lua_getupvalue(L, -1, 1)) {
		hook_thread(L, -1);
		lua_pop(L, 1);
	}
	return 1;
}

static void wrap_coroutine_lib(lua_State *L)
{
	static const struct {
		const char *name;
		lua_CFunction fn;
	} fns[] = {{"create", co_create}, {"wrap", co_wrap}};

	if (lua_getglobal(L, "coroutine") != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	for (size_t k = 0; k < sizeof fns / sizeof *fns; k++) {
		if (lua_getfield(L, -1, fns[k].name) != LUA_TFUNCTION ||
		    lua_tocfunction(L, -1) == fns[k].fn) { /* absent, or already ours */
			lua_pop(L, 1);
			continue;
		}
		lua_pushcclosure(L, fns[k].fn, 1);
		lua_setfield(L, -2, fns[k].name);
	}
	lua_pop(L, 1);
}

void cf_lua_interrupt_install(lua_State *L)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* a read at the prompt is not aborted */
	hooked = L;
	wrap_coroutine_lib(L);
	newline_on_press = isatty(STDERR_FILENO);
	if (sigaction(SIGINT, &sa, installed ? NULL : &previous) == 0)
		installed = 1;
}

void cf_lua_interrupt_uninstall(void)
{
	if (installed)
		sigaction(SIGINT, &previous, NULL);
	installed = 0;
	hooked = NULL;
	busy = 0;
	stop_flag = 0;
}

void cf_lua_interrupt_begin(lua_State *L)
{
	busy = 0;
	lua_sethook(L, NULL, 0, 0);
	presses = 0;
	busy = 1;
	/* The REPL clears the flag before it reads a line, so a flag set now
	 * is a Ctrl-C pressed after Enter, before the evaluation began: it is
	 * meant for this evaluation, which stops at its first instruction. */
	if (stop_flag && hooked) {
		presses = 1;
		lua_sethook(hooked, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
	}
}

void cf_lua_interrupt_end(lua_State *L)
{
	busy = 0;
	lua_sethook(L, NULL, 0, 0);
	stop_flag = 0;
	presses = 0;
}

int cf_lua_stop_requested(void)
{
	return stop_flag != 0;
}

void cf_lua_stop_clear(void)
{
	stop_flag = 0;
}

void cf_lua_stop_request(void)
{
	stop_flag = 1;
}

int cf_lua_raise_interrupted(lua_State *L)
{
	lua_sethook(L, NULL, 0, 0);
	stop_flag = 0;
	return luaL_error(L, "interrupted");
}
