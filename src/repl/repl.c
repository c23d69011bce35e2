/* repl.c — the clafuse console: read a chunk, evaluate it, print results.
 *
 * Design choice (after lua.c, trepl and gsl-shell): a line is first tried
 * as an expression (`return <line>`) so values print without `=`; a chunk
 * whose syntax error ends at <eof> is incomplete and continues on "...>"
 * lines; results are shown by the prelude's cf.pretty, `_` keeps the first
 * one and a trailing `;` hides them.  Ctrl-C has two meanings, both built
 * on the one SIGINT handler of interrupt.c: during an evaluation it raises
 * "interrupted" (the state survives); at the prompt readline hands the
 * signal to us and rl_signal_event_hook clears the line and any pending
 * continuation.  Without a terminal on stdin the same loop reads lines
 * with no prompts or banner (for pipes and tests).
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include <gsl/gsl_version.h>
#include <lualib.h>

#include "lua/host.h"
#include "repl.h"

#define PROMPT1 "clafuse> "
#define PROMPT2 "    ...> "
#define HISTORY_MAX 1000 /* entries kept in the history file (about) */
#define CHUNK_INCOMPLETE (-1)

struct repl {
	lua_State *L;
	int interactive;
	char *histfile; /* NULL: no history file */
	int errors;     /* evaluations that failed (exit status of piped input) */
};

static int quit_requested;
static int line_cancelled; /* set by Ctrl-C at the prompt */

/* --- input ------------------------------------------------------------- */

static int on_signal_event(void)
{
	if (!cf_lua_stop_requested())
		return 0;
	cf_lua_stop_clear();
	line_cancelled = 1;
	rl_replace_line("", 0);
	rl_crlf();
	rl_set_prompt(PROMPT1);
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

/* Read one line (malloc'ed, without newline), or NULL at end of input.
 * *cancelled is set when Ctrl-C discarded what was typed before it. */
static char *read_line(struct repl *r, int continuation, int *cancelled)
{
	*cancelled = 0;
	if (r->interactive) {
		line_cancelled = 0;
		cf_lua_stop_clear();
		char *line = readline(continuation ? PROMPT2 : PROMPT1);
		*cancelled = line_cancelled;
		return line;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* --- history ------------------------------------------------------------ */

static char *history_path(void)
{
	const char *env = getenv("CLAFUSE_HISTORY");
	if (env)
		return *env ? strdup(env) : NULL; /* empty: no history file */
	const char *home = getenv("HOME");
	if (home == NULL || *home == '\0')
		return NULL;
	size_t len = strlen(home) + sizeof "/.clafuse_history";
	char *path = malloc(len);
	if (path)
		snprintf(path, len, "%s/.clafuse_history", home);
	return path;
}

static void history_init(struct repl *r)
{
	using_history();
	stifle_history(HISTORY_MAX);
	/* timestamps delimit entries, so a multi-line chunk reloads as one */
	history_comment_char = '#';
	history_write_timestamps = 1;
	history_multiline_entries = 1;
	r->histfile = history_path();
	if (r->histfile)
		read_history(r->histfile);
}

/* Remember a chunk: in memory, and in the file right away (so a crash
 * loses nothing), skipping repeats and chunks starting with a space. */
static void history_save(struct repl *r, const char *chunk)
{
	if (!r->interactive || chunk[0] == '\0' || chunk[0] == ' ')
		return;
	HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
	if (last && strcmp(last->line, chunk) == 0)
		return;
	add_history(chunk);
	if (r->histfile == NULL)
		return;
	if (append_history(1, r->histfile) != 0)
		write_history(r->histfile); /* first time: the file does not exist */
	history_truncate_file(r->histfile, 4 * HISTORY_MAX);
}

/* --- evaluation --------------------------------------------------------- */

/* Length of chunk without trailing white space and one trailing ';'. */
static size_t strip_semicolon(const char *chunk, int *hide)
{
	size_t n = strlen(chunk);
	while (n > 0 && strchr(" \t\r\n", chunk[n - 1]))
		n--;
	*hide = n > 0 && chunk[n - 1] == ';';
	return *hide ? n - 1 : n;
}

/* Compile a chunk: as an expression when it is one, else as statements.
 * Pushes the function and returns LUA_OK; pushes the message and returns
 * the error status; or pushes nothing and returns CHUNK_INCOMPLETE. */
static int compile(lua_State *L, const char *chunk, int *hide)
{
	size_t n = strip_semicolon(chunk, hide);
	const char *body = chunk[0] == '=' ? chunk + 1 : chunk; /* Lua 5.1 habit */
	if (body != chunk && n > 0)
		n--;
	const char *expr = lua_pushfstring(L, "return %s", lua_pushlstring(L, body, n));
	if (luaL_loadbuffer(L, expr, strlen(expr), "=stdin") == LUA_OK) {
		lua_replace(L, -3);
		lua_pop(L, 1);
		return LUA_OK;
	}
	lua_pop(L, 3);
	int status = luaL_loadbuffer(L, chunk, strlen(chunk), "=stdin");
	if (status == LUA_ERRSYNTAX) {
		size_t len;
		const char *msg = lua_tolstring(L, -1, &len);
		if (len >= 5 && strcmp(msg + len - 5, "<eof>") == 0) {
			lua_pop(L, 1);
			return CHUNK_INCOMPLETE;
		}
	}
	return status;
}

static int screen_width(struct repl *r)
{
	int rows = 0, cols = 0;
	if (r->interactive)
		rl_get_screen_size(&rows, &cols);
	return cols > 20 ? cols : 80;
}

/* Print the n values from index first with cf.pretty: tab-separated on
 * one line, or one per line when any spans several lines. */
static void print_results(struct repl *r, int first, int n)
{
	lua_State *L = r->L;
	int multiline = 0;
	for (int i = 0; i < n; i++) {
		int pretty_ok = 0;
		if (lua_getglobal(L, "cf") == LUA_TTABLE &&
		    lua_getfield(L, -1, "pretty") == LUA_TFUNCTION) {
			lua_pushvalue(L, first + i);
			lua_createtable(L, 0, 1);
			lua_pushinteger(L, screen_width(r));
			lua_setfield(L, -2, "width");
			pretty_ok = cf_lua_pcall(L, 2, 1) == LUA_OK && lua_type(L, -1) == LUA_TSTRING;
		}
		if (!pretty_ok) {
			lua_pop(L, 1);
			luaL_tolstring(L, first + i, NULL);
		}
		lua_remove(L, -2); /* cf */
		if (strchr(lua_tostring(L, -1), '\n'))
			multiline = 1;
	}
	for (int i = 0; i < n; i++) {
		size_t len;
		const char *s = lua_tolstring(L, first + n + i, &len);
		if (i > 0)
			fputc(multiline ? '\n' : '\t', stdout);
		fwrite(s, 1, len, stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
	lua_pop(L, n);
}

/* Run the compiled chunk on top of the stack; print or report. */
static void evaluate(struct repl *r, int hide)
{
	lua_State *L = r->L;
	int base = lua_gettop(L); /* the function */
	fflush(stdout);
	if (cf_lua_docall(L, 0, LUA_MULTRET) != LUA_OK) {
		cf_lua_report(L, NULL);
		r->errors++;
		lua_settop(L, base - 1);
		return;
	}
	int n = lua_gettop(L) - base + 1;
	if (n > 0) {
		lua_pushvalue(L, base);
		lua_setglobal(L, "_");
		if (!hide)
			print_results(r, base, n);
	}
	fflush(stdout);
	lua_settop(L, base - 1);
}

static int l_quit(lua_State *L)
{
	(void)L;
	quit_requested = 1;
	return 0;
}

static void add_quit_functions(lua_State *L)
{
	const char *names[] = {"quit", "exit"};
	for (int i = 0; i < 2; i++) {
		lua_pushcfunction(L, l_quit);
		lua_pushvalue(L, -1);
		lua_setglobal(L, names[i]);
		cf_lua_help_add(L, -1, "function", names[i], NULL,
				i == 0 ? "quit()" : "exit()",
				"Leave the console.\n"
				"Takes effect after the current line; Ctrl-D on an empty line does the\n"
				"same.  In scripts use os.exit([status]).");
		lua_pop(L, 1);
	}
}

/* One read-evaluate-print step; returns 0 at the end of input. */
static int step(struct repl *r)
{
	int cancelled;
	char *line = read_line(r, 0, &cancelled);
	if (line == NULL)
		return 0;
	size_t cap = strlen(line) + 1;
	char *chunk = line;
	int hide = 0;
	int status = compile(r->L, chunk, &hide);
	while (status == CHUNK_INCOMPLETE) {
		char *more = read_line(r, 1, &cancelled);
		if (cancelled) { /* Ctrl-C at a continuation prompt: start afresh */
			free(chunk);
			chunk = more;
			if (chunk == NULL)
				return 0;
			cap = strlen(chunk) + 1;
		} else if (more == NULL) { /* end of input inside a chunk */
			status = luaL_loadbuffer(r->L, chunk, strlen(chunk), "=stdin");
			break;
		} else {
			size_t need = strlen(chunk) + strlen(more) + 2;
			if (need > cap) {
				char *grown = realloc(chunk, need);
				if (grown == NULL) {
					free(more);
					break;
				}
				chunk = grown;
				cap = need;
			}
			strcat(chunk, "\n");
			strcat(chunk, more);
			free(more);
		}
		status = compile(r->L, chunk, &hide);
	}
	history_save(r, chunk);
	if (status == LUA_OK) {
		evaluate(r, hide);
	} else if (status != CHUNK_INCOMPLETE) {
		cf_lua_report(r->L, NULL);
		r->errors++;
	}
	free(chunk);
	return !quit_requested;
}

int cf_repl_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char err[1024];
	struct repl r = {NULL, isatty(STDIN_FILENO), NULL, 0};
	r.L = cf_lua_open(err, sizeof err);
	if (r.L == NULL) {
		fprintf(stderr, "clafuse: %s\n", err);
		return 1;
	}
	add_quit_functions(r.L);
	if (r.interactive) {
		rl_readline_name = "clafuse"; /* $if clafuse in ~/.inputrc */
		rl_signal_event_hook = on_signal_event;
		cf_repl_complete_init(r.L);
		history_init(&r);
		printf("clafuse %s — %s, GSL %s · help() for help · Ctrl-D quits\n", PACKAGE_VERSION,
		       LUA_RELEASE, GSL_VERSION);
		fflush(stdout);
	}
	while (step(&r))
		;
	if (r.interactive && !quit_requested)
		putchar('\n'); /* Ctrl-D: leave the shell prompt on a fresh line */
	fflush(stdout);
	free(r.histfile);
	cf_lua_close(r.L);
	return (!r.interactive && r.errors) ? 1 : 0;
}
