/* host.h — the embedded Lua 5.4 host of clafuse, and the contract for
 * binding files.
 *
 * One function, cf_lua_open, builds a complete Lua state: the standard
 * libraries, the global table `cf` (cf.version, cf.blas, cf.sharedir), the
 * help registry with the global `help`, `demo`, every binding module listed
 * in src/lua/modules.h, and finally the Lua prelude share/lua/prelude.lua.
 * All of it runs inside one protected call, so a failure while building
 * the state is reported, never a panic.
 *
 * Writing a binding file (one per core module, e.g. src/lua/ot.c):
 *
 *     static const luaL_Reg ot_fns[] = {{"solve", l_solve}, {NULL, NULL}};
 *     static const cf_lua_doc ot_docs[] = {
 *         {"solve", "cf.ot.solve(a, b, M [, opts]) -> plan, cost",
 *          "Solve the optimal transport problem ...\nMore lines."},
 *         {NULL, NULL, NULL}};
 *     int luaopen_cf_ot(lua_State *L)
 *     {
 *         cf_lua_register_type(L, "clafuse.Plan", "a transport plan",
 *                              plan_meta, plan_methods, plan_docs);
 *         return cf_lua_register(L, "ot", "optimal transport solvers",
 *                                ot_fns, ot_docs);
 *     }
 *
 * and add the line `CF_LUA_MODULE(ot)` to src/lua/modules.h and the source
 * to `src_lua_libcflua_a_SOURCES` in the binding's mk fragment.  The first
 * line of each doc text is its one-line summary in listings.  Every
 * function in `cf` and every method of a registered type must have a doc
 * entry: tests/lua/help.lua fails otherwise (cf.doc_missing()).
 *
 * API conventions for bindings (also help "lua"): a programmer's mistake
 * (wrong type, bad index, unknown option) raises an error naming the
 * argument (luaL_argerror / luaL_checkudata); an environmental failure
 * (missing file, malformed model) returns nil, message.  Core status codes
 * are turned into Lua errors only after temporaries are freed, through
 * cf_lua_check / cf_lua_fail; long work gets `cf_progress p =
 * {cf_lua_progress, NULL}` so it draws the progress line and stops on
 * Ctrl-C (CF_ESTOPPED becomes the error "interrupted").  A metatable may carry `__pretty`
 * (value, opts) -> string for the REPL's multi-line display, while
 * `__tostring` stays a one-line summary.
 */
#ifndef CF_LUA_HOST_H
#define CF_LUA_HOST_H

#include <stddef.h>

#include <lua.h>
#include <lauxlib.h>

struct cf_error; /* core/error.h */

/* Help text of one function or field: `name` is the key in the module or
 * methods table ("solve"), `signature` the full call as a user writes it
 * ("cf.ot.solve(a, b, M [, opts]) -> plan, cost"), `text` the description
 * (first line = summary).  Arrays of these end with {NULL, NULL, NULL}. */
typedef struct cf_lua_doc {
	const char *name;
	const char *signature;
	const char *text;
} cf_lua_doc;

/* Declarations of every binding module's opener, luaopen_cf_<mod>. */
#define CF_LUA_MODULE(mod) int luaopen_cf_##mod(lua_State *L);
#include "modules.h"
#undef CF_LUA_MODULE

/* Build a Lua state as described above.  Returns NULL on failure with a
 * message in errbuf (e.g. the prelude was not found).  The state owns the
 * SIGINT handler of interrupt.c once created; close it with
 * cf_lua_close. */
lua_State *cf_lua_open(char *errbuf, size_t errlen);

/* Close a state from cf_lua_open (NULL is a no-op) and restore SIGINT. */
void cf_lua_close(lua_State *L);

/* The share directory in use: $CLAFUSE_SHARE when set; otherwise the
 * source tree's share/ when the running program lives in the build tree;
 * otherwise the installed data directory.  Static storage. */
const char *cf_lua_sharedir(void);

/* lua_pcall with a message handler that turns a non-string error into a
 * string (through __tostring when it has one) and appends a traceback.
 * Same arguments and result as lua_pcall; on error the message is on top. */
int cf_lua_pcall(lua_State *L, int nargs, int nresults);

/* cf_lua_pcall bracketed by cf_lua_interrupt_begin/end: use it for a
 * top-level evaluation (a REPL line, a script), so Ctrl-C interrupts it. */
int cf_lua_docall(lua_State *L, int nargs, int nresults);

/* Print the error message on top of the stack to stderr, prefixed with
 * `progname: ` when progname is non-NULL, and pop it. */
void cf_lua_report(lua_State *L, const char *progname);

/* Add the functions `fns` to cf.<module> (to `cf` itself when module is
 * NULL or ""), creating the table if needed, and record the help of the
 * module (`summary`) and of each entry in `docs` (functions and plain
 * fields).  Leaves the module table on the stack and returns 1, so an
 * opener can `return cf_lua_register(...)`.  Raises on a NULL fns. */
int cf_lua_register(lua_State *L, const char *module, const char *summary,
		    const luaL_Reg *fns, const cf_lua_doc *docs);

/* Create the metatable `tname` (e.g. "clafuse.Tensor") with the
 * metamethods `meta` (may be NULL) and a methods table `methods` (may be
 * NULL) installed as __index unless `meta` defines __index itself; record
 * help for the type (by name and by metatable, so help(obj) works) and for
 * each method in `docs` (shown as "Tensor:sum").  Stack unchanged. */
void cf_lua_register_type(lua_State *L, const char *tname, const char *summary,
			  const luaL_Reg *meta, const luaL_Reg *methods,
			  const cf_lua_doc *docs);

/* Turn a core status into Lua's conventions, after the binding has freed
 * its temporaries.  cf_lua_check: CF_OK returns 0; CF_ESTOPPED raises
 * "interrupted" (cf_lua_raise_interrupted); any other status raises err's
 * message (for programmer's mistakes: bad shapes, bad options).
 * cf_lua_fail: pushes nil and err's message and returns 2, for a binding
 * to `return` on an environmental failure (missing file, bad format);
 * CF_ESTOPPED still raises "interrupted", and CF_ENOMEM raises the
 * message (running out of memory is not an answer a script can use). */
int cf_lua_check(lua_State *L, int status, const struct cf_error *err);
int cf_lua_fail(lua_State *L, int status, const struct cf_error *err);

/* --- help.c ------------------------------------------------------------ */

/* Create the help registry and the Lua functions help, cf.doc, cf.doc_add,
 * cf.doc_topic, cf.doc_missing.  Called by cf_lua_open; expects `cf` to be
 * on top of the stack. */
void cf_lua_help_init(lua_State *L);

/* Record help: the value at index `validx` (0 for none) is described by
 * `name`, `signature` and `text`; `parent` is the full name of the module
 * or type it belongs to (NULL for none), `kind` one of "function", "field",
 * "module", "type". */
void cf_lua_help_add(lua_State *L, int validx, const char *kind, const char *name,
		     const char *parent, const char *signature, const char *text);

/* Record a help topic, found by help("name") and listed by help(). */
void cf_lua_help_topic(lua_State *L, const char *name, const char *text);

/* Push the help text for the value at `idx` (a function, module table,
 * object, or a string naming a topic or a function) and return 1; push nil
 * and return 0 when there is none. */
int cf_lua_help_push(lua_State *L, int idx);

/* Push an array of the names of functions reachable from `cf` and of
 * methods of registered types that have no help; returns its length. */
int cf_lua_help_missing(lua_State *L);

/* --- interrupt.c: Ctrl-C ----------------------------------------------- */

/* Install the SIGINT handler for state L (done by cf_lua_open).  During an
 * evaluation (between begin and end) Ctrl-C sets the stop flag and a Lua
 * hook that raises "interrupted" at the next Lua instruction; a third
 * Ctrl-C in the same evaluation kills the program.  Outside an evaluation
 * it only sets the flag (the REPL uses it to clear the input line). */
void cf_lua_interrupt_install(lua_State *L);
void cf_lua_interrupt_uninstall(void);
void cf_lua_interrupt_begin(lua_State *L);
void cf_lua_interrupt_end(lua_State *L);

/* Nonzero once Ctrl-C was pressed: core progress callbacks poll this so
 * long C work stops cleanly (async-signal-safe read of a flag). */
int cf_lua_stop_requested(void);
void cf_lua_stop_clear(void);

/* Request a stop as Ctrl-C does (for tests and for a TUI's `q`). */
void cf_lua_stop_request(void);

/* For bindings after a core function returned CF_ESTOPPED: clear the flag
 * and hook and raise the error "interrupted".  Does not return. */
int cf_lua_raise_interrupted(lua_State *L);

/* --- progress.c: the progress line -------------------------------------- */

/* A cf_progress_fn (core/progress.h) for long core work called from Lua:
 * draws the front ends' progress line (term/progress.h) and returns
 * nonzero when Ctrl-C was pressed.  `ud` is unused (pass NULL). */
int cf_lua_progress(void *ud, const char *what, double fraction);

/* Erase the progress line if one is showing (the REPL calls this after
 * each evaluation). */
void cf_lua_progress_done(void);

/* Push a Session for `s` that Lua does not own: s:close() and the
 * collector leave it to the program (the workbench's `:` line uses it for
 * the session on screen).  Its progress callback stays the program's. */
struct cf_session;
void cf_lua_push_session_ref(lua_State *L, struct cf_session *s);

#endif
