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

#include "cli/cmd.h"
#include "lua/host.h"

static lua_State *open_state(void)
{
	char err[1024];
	lua_State *L = cf_lua_open(err, sizeof err);
	if (L == NULL)
		fprintf(stderr, "clafuse: %s\n", err);
	return L;
}

static const struct cli_opt run_opts[] = {{0}};

/* a->pos: the script, then its arguments (options end at the script) */
static int run(const struct cli_args *a)
{
	int nargs = a->npos - 1;
	const char *script = a->pos[0];
	lua_State *L = open_state();
	if (L == NULL)
		return 1;
	lua_createtable(L, nargs, 3);
	lua_pushliteral(L, "clafuse");
	lua_rawseti(L, -2, -2);
	lua_pushliteral(L, "run");
	lua_rawseti(L, -2, -1);
	for (int i = 0; i < a->npos; i++) {
		lua_pushstring(L, a->pos[i]);
		lua_rawseti(L, -2, i);
	}
	lua_setglobal(L, "arg");

	int status = luaL_loadfile(L, strcmp(script, "-") ? script : NULL);
	if (status == LUA_OK) {
		luaL_checkstack(L, nargs + 1, "too many script arguments");
		for (int i = 1; i < a->npos; i++)
			lua_pushstring(L, a->pos[i]);
		status = cf_lua_docall(L, nargs, 0);
	}
	if (status != LUA_OK)
		cf_lua_report(L, "clafuse");
	fflush(stdout);
	cf_lua_close(L);
	return status == LUA_OK ? 0 : 1;
}

const struct cf_command cf_cmd_run = {
	.name = "run",
	.synopsis = "SCRIPT [ARGS...]",
	.summary = "run a Lua script",
	.about = "Run a Lua script with the cf API; ARGS are in the table arg and in '...'.\n"
		 "SCRIPT '-' reads the script from stdin.  Exit status 1 on an error.\n",
	.opts = run_opts,
	.min_args = 1,
	.max_args = -1,
	.flags = CLI_STOP_AT_ARG,
	.run = run,
};

enum { E_CODE };

static const struct cli_opt eval_opts[] = {
	[E_CODE] = {'e', NULL, CLI_LIST, "CODE", "run CODE (repeatable: in order, in one state)"},
	{0}
};

static int eval_run(const struct cli_args *a)
{
	const struct cli_value *code = &a->v[E_CODE];
	lua_State *L = open_state();
	if (L == NULL)
		return 1;
	/* as lua.c does without a script: arg[0] the program, then the options */
	lua_createtable(L, a->argc, 1);
	lua_pushliteral(L, "clafuse");
	lua_rawseti(L, -2, 0);
	for (int i = 1; i < a->argc; i++) {
		lua_pushstring(L, a->argv[i]);
		lua_rawseti(L, -2, i);
	}
	lua_setglobal(L, "arg");
	int status = LUA_OK;
	for (int i = 0; i < code->n && status == LUA_OK; i++) {
		status = luaL_loadbuffer(L, code->list[i], strlen(code->list[i]), "=(command line)");
		if (status == LUA_OK)
			status = cf_lua_docall(L, 0, 0);
	}
	if (status != LUA_OK)
		cf_lua_report(L, "clafuse");
	fflush(stdout);
	cf_lua_close(L);
	return status == LUA_OK ? 0 : 1;
}

const struct cf_command cf_cmd_lua_eval = {
	.name = "-e",
	.synopsis = "CODE [-e CODE...]",
	.summary = "run Lua code",
	.about = "Run Lua code with the cf API, each chunk in turn; exit status 1 on an error.\n",
	.opts = eval_opts,
	.min_args = 0,
	.max_args = 0,
	.run = eval_run,
};
