/* lualine.h — Lua on the workbench's `:` line. */
#ifndef CF_TUI_LUALINE_H
#define CF_TUI_LUALINE_H

#include "tui.h"

/* A Lua state from cf_lua_open for the : line, with print and io.write
 * going to the log.  Call before cf_tui_start (the workbench's signal
 * handlers then win).  Failure is logged, not fatal. */
void cf_tui_lua_open(cf_tui *t);
void cf_tui_lua_close(cf_tui *t);
/* Evaluate a line of Lua: an expression's value goes to the status line,
 * errors to the status line and the log.  Returns 0 or -1. */
int cf_tui_lua_eval(cf_tui *t, const char *code);
int cf_tui_cmd_lua(cf_tui *t, const char *args);

#endif
