/* host.c — builds clafuse's Lua state: standard libraries, the `cf` table,
 * help, binding modules and the Lua prelude.
 *
 * Design choice: the C side stays small and everything that can be written
 * in Lua (pretty printing, helpers) lives in share/lua/prelude.lua, which
 * is found at run time ($CLAFUSE_SHARE, the source tree when running from
 * the build tree, then the installed data directory).  The whole start-up
 * runs inside one lua_pcall, as lua.c's pmain does, so errors while
 * building the state are reported instead of panicking.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lualib.h>

#include "core/error.h"
#include "host.h"

#ifndef CF_SRCDIR
#define CF_SRCDIR ""
#endif
#ifndef CF_BUILDDIR
#define CF_BUILDDIR ""
#endif

typedef int (*cf_lua_opener)(lua_State *L);

static const struct {
	const char *name;
	cf_lua_opener open;
} modules[] = {
#define CF_LUA_MODULE(mod) {#mod, luaopen_cf_##mod},
#include "modules.h"
#undef CF_LUA_MODULE
	{NULL, NULL}
};

static int file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Is the running executable inside the build tree?  Only then is the
 * source tree's share/ preferred over the installed one. */
static int running_from_build_tree(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t blen = strlen(CF_BUILDDIR);
	if (n <= 0 || blen == 0)
		return 0;
	exe[n] = '\0';
	return strncmp(exe, CF_BUILDDIR, blen) == 0 && exe[blen] == '/';
}

const char *cf_lua_sharedir(void)
{
	static char dir[4096];
	const char *env = getenv("CLAFUSE_SHARE");
	if (env && *env) {
		snprintf(dir, sizeof dir, "%s", env);
		return dir;
	}
	if (*CF_SRCDIR && running_from_build_tree()) {
		snprintf(dir, sizeof dir, "%s/share", CF_SRCDIR);
		char probe[4200];
		snprintf(probe, sizeof probe, "%s/lua/prelude.lua", dir);
		if (file_exists(probe))
			return dir;
	}
	snprintf(dir, sizeof dir, "%s", CF_DATADIR);
	return dir;
}

/* Message handler: stringify the error object and add a traceback, leaving
 * out the uninformative "[C]: in ?" frame of the host's own call. */
static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1; /* an object that prints itself: no traceback */
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	const char *tb = lua_tostring(L, -1);
	const char *cut = "\n\t[C]: in ?";
	size_t tl = strlen(tb), cl = strlen(cut);
	if (tl > cl && strcmp(tb + tl - cl, cut) == 0) {
		lua_pushlstring(L, tb, tl - cl);
		lua_remove(L, -2);
	}
	return 1;
}

int cf_lua_pcall(lua_State *L, int nargs, int nresults)
{
	int base = lua_gettop(L) - nargs; /* function index */
	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	int status = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	return status;
}

int cf_lua_docall(lua_State *L, int nargs, int nresults)
{
	cf_lua_interrupt_begin(L);
	int status = cf_lua_pcall(L, nargs, nresults);
	cf_lua_interrupt_end(L);
	cf_lua_progress_done();
	return status;
}

void cf_lua_report(lua_State *L, const char *progname)
{
	const char *msg = lua_tostring(L, -1);
	if (msg == NULL)
		msg = "(error object is not a string)";
	fflush(stdout);
	if (progname)
		fprintf(stderr, "%s: %s\n", progname, msg);
	else
		fprintf(stderr, "%s\n", msg);
	fflush(stderr);
	lua_pop(L, 1);
}

static const char *error_message(int status, const cf_error *err)
{
	if (err && err->msg[0])
		return err->msg;
	return cf_status_name(status);
}

int cf_lua_check(lua_State *L, int status, const cf_error *err)
{
	if (status == CF_OK)
		return 0;
	if (status == CF_ESTOPPED)
		return cf_lua_raise_interrupted(L);
	return luaL_error(L, "%s", error_message(status, err));
}

int cf_lua_fail(lua_State *L, int status, const cf_error *err)
{
	if (status == CF_ESTOPPED)
		return cf_lua_raise_interrupted(L);
	if (status == CF_ENOMEM)
		return luaL_error(L, "%s", error_message(status, err));
	luaL_pushfail(L);
	lua_pushstring(L, error_message(status, err));
	return 2;
}

/* Push cf.<module> (or cf itself), creating the table when missing. */
static void push_module_table(lua_State *L, const char *module)
{
	if (lua_getglobal(L, "cf") != LUA_TTABLE)
		luaL_error(L, "the global 'cf' table is missing");
	if (module == NULL || *module == '\0')
		return;
	if (lua_getfield(L, -1, module) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, module);
	}
	lua_remove(L, -2);
}

int cf_lua_register(lua_State *L, const char *module, const char *summary,
		    const luaL_Reg *fns, const cf_lua_doc *docs)
{
	if (fns == NULL)
		return luaL_error(L, "cf_lua_register: no functions for module '%s'",
				  module ? module : "cf");
	push_module_table(L, module);
	luaL_setfuncs(L, fns, 0);
	int mod = lua_gettop(L);
	const char *full = (module && *module) ? lua_pushfstring(L, "cf.%s", module)
					       : lua_pushstring(L, "cf");
	cf_lua_help_add(L, mod, "module", full, (module && *module) ? "cf" : NULL, full,
			summary ? summary : "");
	for (const cf_lua_doc *d = docs; d && d->name; d++) {
		const char *name = lua_pushfstring(L, "%s.%s", full, d->name);
		int t = lua_getfield(L, mod, d->name);
		cf_lua_help_add(L, t == LUA_TFUNCTION ? lua_gettop(L) : 0,
				t == LUA_TFUNCTION ? "function" : "field", name, full,
				d->signature, d->text);
		lua_pop(L, 2);
	}
	lua_pop(L, 1); /* full name */
	return 1;
}

void cf_lua_register_type(lua_State *L, const char *tname, const char *summary,
			  const luaL_Reg *meta, const luaL_Reg *methods,
			  const cf_lua_doc *docs)
{
	int top = lua_gettop(L);
	luaL_newmetatable(L, tname);
	int mt = lua_gettop(L);
	if (meta)
		luaL_setfuncs(L, meta, 0);
	const char *dot = strrchr(tname, '.');
	const char *shortname = dot ? dot + 1 : tname;
	cf_lua_help_add(L, mt, "type", tname, NULL, shortname, summary ? summary : "");
	if (methods) {
		lua_newtable(L);
		luaL_setfuncs(L, methods, 0);
		if (lua_getfield(L, mt, "__index") == LUA_TNIL) {
			lua_pushvalue(L, -2);
			lua_setfield(L, mt, "__index");
		}
		lua_pop(L, 1);
		/* remembered for completion-friendly help listings and doc_missing */
		lua_setfield(L, mt, "__methods");
	}
	for (const cf_lua_doc *d = docs; d && d->name; d++) {
		const char *name = lua_pushfstring(L, "%s:%s", shortname, d->name);
		int t = LUA_TNIL;
		if (lua_getfield(L, mt, "__methods") == LUA_TTABLE)
			t = lua_getfield(L, -1, d->name);
		else
			lua_pushnil(L);
		if (t != LUA_TFUNCTION) { /* a documented metamethod or field */
			lua_pop(L, 1);
			t = lua_getfield(L, mt, d->name);
		}
		cf_lua_help_add(L, t == LUA_TFUNCTION ? lua_gettop(L) : 0,
				t == LUA_TFUNCTION ? "function" : "field", name, tname,
				d->signature, d->text);
		lua_settop(L, mt);
	}
	lua_settop(L, top);
}

/* demo([name]): list the demos in <share>/demos, or run one. */
static int l_demo(lua_State *L)
{
	const char *want = luaL_optstring(L, 1, NULL);
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/demos", cf_lua_sharedir());
	if (want) {
		if (strchr(want, '/'))
			return luaL_argerror(L, 1, "a demo name, without a directory");
		lua_pushfstring(L, "%s/%s.lua", dir, want);
		const char *path = lua_tostring(L, -1);
		if (!file_exists(path)) {
			lua_pushnil(L);
			lua_pushfstring(L, "no demo '%s' (demo() lists them)", want);
			return 2;
		}
		if (luaL_loadfile(L, path) != LUA_OK)
			return lua_error(L);
		lua_call(L, 0, LUA_MULTRET);
		return lua_gettop(L) - 2;
	}
	DIR *d = opendir(dir);
	int n = 0;
	lua_newtable(L);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l > 4 && strcmp(e->d_name + l - 4, ".lua") == 0 && e->d_name[0] != '.') {
				lua_pushlstring(L, e->d_name, l - 4);
				lua_rawseti(L, -2, ++n);
			}
		}
		closedir(d);
	}
	if (n == 0) {
		printf("no demos installed yet (looked in %s)\n", dir);
		return 0;
	}
	/* sort the names with table.sort, then print each with its first
	 * comment line as the description */
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_pushvalue(L, -3);
	lua_call(L, 1, 0);
	lua_pop(L, 1);
	printf("demos in %s (run one with demo \"name\"):\n", dir);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, -1, i);
		const char *name = lua_tostring(L, -1);
		char path[4400], line[256] = "";
		snprintf(path, sizeof path, "%s/%s.lua", dir, name);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof line, f) == NULL || strncmp(line, "--", 2) != 0)
				line[0] = '\0';
			fclose(f);
		}
		char *desc = line;
		while (*desc == '-' || *desc == ' ')
			desc++;
		desc[strcspn(desc, "\r\n")] = '\0';
		printf("  %-16s %s\n", name, desc);
		lua_pop(L, 1);
	}
	return 0;
}

/* cf.progress(what, fraction): the progress line, for long Lua loops */
static int l_progress(lua_State *L)
{
	const char *what = luaL_checkstring(L, 1);
	double fraction = luaL_optnumber(L, 2, -1.0);
	cf_lua_progress(NULL, what, fraction);
	return 0;
}

static const luaL_Reg cf_fns[] = {{"progress", l_progress}, {NULL, NULL}};

static const cf_lua_doc cf_docs[] = {
	{"version", "cf.version", "The clafuse version, e.g. \"0.1.0\"."},
	{"blas", "cf.blas", "Name of the CBLAS linked in.\n\"openblas\" or \"gslcblas\" (GSL's own)."},
	{"sharedir", "cf.sharedir",
	 "Directory of clafuse's shared files.\n"
	 "It holds the prelude (lua/), demos and models; $CLAFUSE_SHARE overrides it."},
	{"progress", "cf.progress(what [, fraction])",
	 "Draw the progress line on stderr.\n"
	 "Shows \"[####      ]  40% what\" when stderr is a terminal, at most every\n"
	 "50 ms.  fraction is in [0, 1]; omit it when\n"
	 "unknown.  The line is erased when the evaluation ends."},
	{NULL, NULL, NULL}};

static const char topic_lua[] =
	"Conventions of the cf Lua API\n"
	"  * Everything lives in the global table cf; help(cf) lists it, help(f)\n"
	"    describes a function f, help(obj) an object's type and methods.\n"
	"  * A programmer's mistake (wrong argument type, index out of range,\n"
	"    unknown option) raises an error naming the argument, e.g.\n"
	"    \"bad argument #2 to 'solve' (number expected, got nil)\".\n"
	"  * An environmental failure (a missing file, a malformed model) returns\n"
	"    nil, message, so scripts can write assert(cf.something(path)).\n"
	"  * Positions are 1-based; names from model files stay as strings.\n"
	"  * Ctrl-C stops long work cleanly with the error \"interrupted\".";

static const char topic_scripts[] =
	"Running Lua scripts\n"
	"  clafuse run script.lua [args...]   run a script; its arguments are in the\n"
	"                                     table arg (arg[0] is the script) and in ...\n"
	"  clafuse -e 'code' [-e 'code' ...]  run Lua code given on the command line\n"
	"  On an error the message and a traceback go to stderr and the exit\n"
	"  status is 1; os.exit(n) chooses another status.  The prelude\n"
	"  (share/lua/prelude.lua) is loaded first, and share/lua is on\n"
	"  package.path, so require finds Lua helpers installed there.";

static int pinit(lua_State *L)
{
	luaL_checkversion(L);
	luaL_openlibs(L);

	lua_newtable(L);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "cf");
	lua_pushstring(L, PACKAGE_VERSION);
	lua_setfield(L, -2, "version");
	lua_pushstring(L, CF_BLAS_NAME);
	lua_setfield(L, -2, "blas");
	const char *share = cf_lua_sharedir();
	lua_pushstring(L, share);
	lua_setfield(L, -2, "sharedir");
	cf_lua_help_init(L);
	lua_pop(L, 1);
	cf_lua_register(L, NULL, "The clafuse Lua API; see also help \"lua\"",
			cf_fns, cf_docs);
	lua_pop(L, 1);

	lua_pushcfunction(L, l_demo);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "demo");
	cf_lua_help_add(L, lua_gettop(L), "function", "demo", NULL, "demo([name])",
			"List the demos, or run one.\n"
			"demo() lists the demos installed in cf.sharedir/demos with their\n"
			"descriptions; demo \"name\" runs one.  Returns nil, message when there\n"
			"is no such demo.");
	lua_pop(L, 1);
	cf_lua_help_topic(L, "lua", topic_lua);
	cf_lua_help_topic(L, "scripts", topic_scripts);

	/* share/lua on package.path, for prelude helpers and binders' Lua code */
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "path");
	lua_pushfstring(L, "%s/lua/?.lua;%s", share, lua_tostring(L, -1));
	lua_setfield(L, -3, "path");
	lua_pop(L, 2);

	for (int i = 0; modules[i].name; i++) {
		int top = lua_gettop(L);
		modules[i].open(L);
		lua_settop(L, top);
	}

	lua_pushfstring(L, "%s/lua/prelude.lua", share);
	const char *prelude = lua_tostring(L, -1);
	if (!file_exists(prelude))
		return luaL_error(L, "cannot find the Lua prelude %s (%s); set CLAFUSE_SHARE to "
				  "the directory holding lua/prelude.lua",
				  prelude, strerror(errno));
	if (luaL_loadfile(L, prelude) != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 0);
	lua_pop(L, 1);
	return 0;
}

lua_State *cf_lua_open(char *errbuf, size_t errlen)
{
	lua_State *L = luaL_newstate();
	if (L == NULL) {
		snprintf(errbuf, errlen, "cannot create a Lua state: out of memory");
		return NULL;
	}
	lua_gc(L, LUA_GCSTOP);
	lua_pushcfunction(L, pinit);
	if (cf_lua_pcall(L, 0, 0) != LUA_OK) {
		snprintf(errbuf, errlen, "%s", lua_tostring(L, -1));
		lua_close(L);
		return NULL;
	}
	lua_gc(L, LUA_GCRESTART);
	lua_gc(L, LUA_GCGEN, 0, 0);
	cf_lua_interrupt_install(L);
	return L;
}

void cf_lua_close(lua_State *L)
{
	if (L == NULL)
		return;
	cf_lua_interrupt_uninstall();
	lua_close(L);
}
