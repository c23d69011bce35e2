/* repl.h — the clafuse console: a readline REPL around the Lua host.
 *
 * main.c runs cf_repl_main when clafuse gets no arguments.  This header
 * also joins the console's two files:
 * repl.c (reading, evaluating, printing) and complete.c (tab completion).
 */
#ifndef CF_REPL_H
#define CF_REPL_H

#include <lua.h>

/* The console: read, evaluate and print Lua until end of input; the exit
 * status of the program. */
int cf_repl_main(int argc, char **argv);

/* Set up readline's completion for the state L: globals, fields of tables,
 * methods through metatables (`obj:`), Lua keywords, and file names inside
 * string quotes.  Completion reads tables with raw access only, so it never
 * runs Lua code. */
void cf_repl_complete_init(lua_State *L);

/* The completions of `word` (e.g. "cf.ve", "s:up", "pri") as a
 * NULL-terminated array of malloc'ed strings, each a full replacement for
 * word with a suffix by type ("(" for functions, "." for tables); NULL when
 * there are none.  The caller frees the strings and the array. */
char **cf_repl_completions(lua_State *L, const char *word);

#endif
