/* commands.h — the one command table of the workbench.
 *
 * Each entry names a command, the keys bound to it, its arguments, its help
 * text, the function that runs it and the screen it belongs to.  The same
 * table dispatches keys, runs `:name args`, fills the `?` overlay and the
 * key-hint line, and prints the man page's KEYS section, so none of them
 * can drift from the others (tmux cmd_entry, visidata addCommand).
 */
#ifndef CF_TUI_COMMANDS_H
#define CF_TUI_COMMANDS_H

#include <stdio.h>

#include "tui.h"

#define CF_CMD_ANY_SCREEN (-1)
/* Heatmap commands (cursor, zoom, scale, aspect): the overview and the
 * layer screen, on the heatmap that has the focus. */
#define CF_CMD_HEATMAP_SCREENS (-2)

typedef struct cf_tui_command {
	const char *name;     /* :name */
	const char *keys;     /* keys as shown to people: "s", "+ =", "← h" */
	int key[4];           /* curses key codes, 0-terminated */
	const char *args;     /* argument synopsis or NULL */
	const char *help;     /* one line */
	int (*fn)(cf_tui *t, const char *args);
	int screen;           /* index of the screen it works on, CF_CMD_ANY_SCREEN
			       * or CF_CMD_HEATMAP_SCREENS */
	const char *hint;     /* label in the key-hint line, or NULL */
} cf_tui_command;

/* The table, terminated by an entry with name NULL. */
extern const cf_tui_command cf_tui_commands[];

/* Screen indices used by the table (the order cmd_tui adds them in). */
enum {
	CF_SCREEN_OVERVIEW = 0,
	CF_SCREEN_LAYER,
	CF_SCREEN_NETWORK,
	CF_SCREEN_PARAMS,
	CF_SCREEN_RESULTS,
	CF_SCREEN_LOG,
	CF_SCREEN_COUNT
};

/* The command bound to `key` on `screen` (screen's own first, then global),
 * or NULL. */
const cf_tui_command *cf_tui_command_for_key(int screen, int key);
/* Nonzero when command c works on `screen` (its own or everywhere). */
int cf_tui_command_on_screen(const cf_tui_command *c, int screen);
/* The command called `name`, or NULL. */
const cf_tui_command *cf_tui_command_find(const char *name);
/* Run a command line "name args".  A first word that names no command
 * makes the whole line Lua (lualine.c); commands of another screen are
 * reported on the status line.  Returns 0 or -1. */
int cf_tui_command_exec(cf_tui *t, const char *line);
/* The first key bound to `name`, as shown to people ("?"), or "" (static
 * storage, one of 8 buffers used in turn). */
const char *cf_tui_command_key(const char *name);
/* Key hints for the bottom line of `screen` into buf. */
void cf_tui_command_hints(int screen, char *buf, size_t size);
/* The man page of `clafuse tui` (roff), its KEYS section from the table. */
void cf_tui_commands_man(FILE *f);

#endif
