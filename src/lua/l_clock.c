/* l_clock.c — cf.clock and cf.timeit: wall-clock timing for scripts.
 *
 * os.clock is CPU time (all threads of the process, so BLAS work on two
 * cores counts twice) and os.time whole seconds; experiments want the
 * elapsed time.  cf.clock reads CLOCK_MONOTONIC (immune to clock changes),
 * and cf.timeit reports medians, which are robust to the odd slow run.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include <lauxlib.h>

#include "host.h"

static double clock_seconds(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int l_clock(lua_State *L)
{
	static const char *const kinds[] = {"wall", "cpu", NULL};
	int k = luaL_checkoption(L, 1, "wall", kinds);
	lua_pushnumber(L, clock_seconds(k ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC));
	return 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, lua_Integer n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* cf.timeit(f [, n]) -> wall, cpu: medians over n calls of f(). */
static int l_timeit(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_Integer n = luaL_optinteger(L, 2, 1);
	luaL_argcheck(L, n >= 1 && n <= 1000000, 2, "a number of runs in 1..1000000");
	double *w = lua_newuserdatauv(L, 2 * (size_t)n * sizeof *w, 0);
	double *c = w + n;
	for (lua_Integer i = 0; i < n; i++) {
		double w0 = clock_seconds(CLOCK_MONOTONIC);
		double c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
		lua_pushvalue(L, 1);
		lua_call(L, 0, 0);
		c[i] = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
		w[i] = clock_seconds(CLOCK_MONOTONIC) - w0;
	}
	lua_pushnumber(L, median(w, n));
	lua_pushnumber(L, median(c, n));
	return 2;
}

static const luaL_Reg clock_fns[] = {{"clock", l_clock}, {"timeit", l_timeit}, {NULL, NULL}};

static const cf_lua_doc clock_docs[] = {
	{"clock", "cf.clock([\"wall\" | \"cpu\"]) -> seconds",
	 "Seconds (fractional) of a monotonic wall clock, or with \"cpu\" the CPU\n"
	 "time of the process (all its threads).  Differences time a piece of\n"
	 "work: local t0 = cf.clock(); ...; print(cf.clock() - t0)."},
	{"timeit", "cf.timeit(f [, n]) -> wall, cpu",
	 "Call f() n times (1) and return the median wall-clock and CPU seconds\n"
	 "of one call.  CPU above wall means several threads worked (BLAS)."},
	{NULL, NULL, NULL}};

int luaopen_cf_clock(lua_State *L)
{
	/* functions of cf itself, documented one by one (cf_lua_register
	 * would re-describe the cf module) */
	lua_getglobal(L, "cf");
	int cf = lua_gettop(L);
	luaL_setfuncs(L, clock_fns, 0);
	for (const cf_lua_doc *d = clock_docs; d->name; d++) {
		lua_getfield(L, cf, d->name);
		lua_pushfstring(L, "cf.%s", d->name);
		cf_lua_help_add(L, -2, "function", lua_tostring(L, -1), "cf", d->signature, d->text);
		lua_pop(L, 2);
	}
	return 1;
}
