/* cmd_run.c — `clafuse run SCRIPT [ARGS...]` and `clafuse -e CODE`.
 *
 * Design choice: the same state as the REPL (cf_lua_open: cf, help,
 * bindings, prelude) and lua.c's conventions for scripts: the arguments
 * are in the global table `arg` (arg[0] the script, arg[1..n] the
 * arguments, arg[-1]/arg[-2] "run"/"clafuse") and are also passed as the
 * chunk's `...`.  An error prints `clafuse: message` and the traceback and
 * the exit status is 1; Ctrl-C interrupts the script with the error
 * "interrupted".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "lua/host.h"

static void run_usage(FILE *f)
{
	fprintf(f, "usage: clafuse run SCRIPT [ARGS...]\n"
		   "Run a Lua script with the cf API; ARGS are in the table arg and in '...'.\n"
		   "SCRIPT '-' reads the script from stdin.  Exit status 1 on an error.\n");
}

static lua_State *open_state(void)
{
	char err[1024];
	lua_State *L = cf_lua_open(err, sizeof err);
	if (L == NULL)
		fprintf(stderr, "clafuse: %s\n", err);
	return L;
}

int cmd_run(int argc, char **argv)
{
	if (argc < 2) {
		run_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		run_usage(stdout);
		return 0;
	}
	lua_State *L = open_state();
	if (L == NULL)
		return 1;
	const char *script = argv[1];
	lua_createtable(L, argc - 2, 3);
	lua_pushliteral(L, "clafuse");
	lua_rawseti(L, -2, -2);
	lua_pushliteral(L, "run");
	lua_rawseti(L, -2, -1);
	for (int i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - 1);
	}
	lua_setglobal(L, "arg");

	int status = luaL_loadfile(L, strcmp(script, "-") ? script : NULL);
	if (status == LUA_OK) {
		luaL_checkstack(L, argc, "too many script arguments");
		for (int i = 2; i < argc; i++)
			lua_pushstring(L, argv[i]);
		status = cf_lua_docall(L, argc - 2, 0);
	}
	if (status != LUA_OK)
		cf_lua_report(L, "clafuse");
	fflush(stdout);
	cf_lua_close(L);
	return status == LUA_OK ? 0 : 1;
}

int cmd_eval(int argc, char **argv)
{
	if (argc % 2 != 0) {
		fprintf(stderr, "usage: clafuse -e CODE [-e CODE ...]\n");
		return 2;
	}
	for (int i = 0; i < argc; i += 2)
		if (strcmp(argv[i], "-e") != 0) {
			fprintf(stderr, "clafuse: expected -e CODE, got '%s'\n"
					"usage: clafuse -e CODE [-e CODE ...]\n",
				argv[i]);
			return 2;
		}
	lua_State *L = open_state();
	if (L == NULL)
		return 1;
	/* as lua.c does without a script: arg[0] the program, then the options */
	lua_createtable(L, argc, 1);
	lua_pushliteral(L, "clafuse");
	lua_rawseti(L, -2, 0);
	for (int i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");
	int status = LUA_OK;
	for (int i = 1; i < argc && status == LUA_OK; i += 2) {
		status = luaL_loadbuffer(L, argv[i], strlen(argv[i]), "=(command line)");
		if (status == LUA_OK)
			status = cf_lua_docall(L, 0, 0);
	}
	if (status != LUA_OK)
		cf_lua_report(L, "clafuse");
	fflush(stdout);
	cf_lua_close(L);
	return status == LUA_OK ? 0 : 1;
}
