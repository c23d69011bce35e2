/* tui.c — terminal set-up and tear-down, the frame and the main loop.
 *
 * See tui.h.  Everything visible is composed into t->grid first; present()
 * copies the grid to ncurses cell by cell, mapping colour codes to curses
 * colours and (fg, bg) combinations to pairs with alloc_pair(), so a
 * heatmap's many colour pairs never need a fixed table.  The restoring
 * handlers use one static pointer to the active workbench: there is only
 * one terminal.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "tui.h"

#include <curses.h>
#include <term.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "cmap.h"
#include "commands.h"
#include "layer.h"
#include "log.h"
#include "lualine.h"
#include "core/outfile.h"
#include "plot.h"
#include "screen.h"
#include "sess.h"
#include "tour.h"

static cf_tui *active;         /* the workbench owning the terminal */
static volatile sig_atomic_t in_handler;

static void restore_terminal(void)
{
	if (active && active->curses) {
		active->curses = 0;
		endwin();
	}
}

static void on_exit_restore(void)
{
	restore_terminal();
}

static void on_signal(int sig)
{
	/* Ctrl-C while working stops the work, not the program */
	if (sig == SIGINT && active && active->busy) {
		active->stop = 1;
		return;
	}
	if (!in_handler) {
		in_handler = 1;
		restore_terminal();
	}
	cf_outfile_remove_temps();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGABRT, SIGBUS, SIGFPE};
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++)
		sigaction(sigs[k], &sa, NULL);
	atexit(on_exit_restore);
}

int cf_tui_setup(cf_tui *t)
{
	memset(t, 0, sizeof *t);
	t->mode = CF_MODE_MONO;
	t->use_mouse = 1;
	return cf_log_alloc(t);
}

static int detect_mode(void)
{
	const char *nc = getenv("NO_COLOR");
	if ((nc && *nc) || !has_colors())
		return CF_MODE_MONO;
	if (COLORS >= 0x1000000 || (tigetflag("RGB") > 0 && COLORS >= 0x100))
		return COLORS >= 0x1000000 ? CF_MODE_RGB : CF_MODE_256;
	if (COLORS >= 256)
		return CF_MODE_256;
	if (COLORS >= 8)
		return CF_MODE_8;
	return CF_MODE_MONO;
}

int cf_tui_start(cf_tui *t, int colour)
{
	const char *ct = getenv("COLORTERM");

	setlocale(LC_ALL, "");
	if (!newterm(NULL, stdout, stdin)) {
		fprintf(stderr, "clafuse tui: cannot open the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "unset");
		return -1;
	}
	active = t;
	t->curses = 1;
	install_handlers();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	leaveok(stdscr, TRUE);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	t->mode = colour == CF_TUI_COLOUR_AUTO ? detect_mode() : colour;
	if (t->mode == CF_MODE_RGB && COLORS < 0x1000000)
		t->mode = COLORS >= 256 ? CF_MODE_256 : CF_MODE_8;
	if ((t->mode == CF_MODE_256 && COLORS < 256) || (t->mode == CF_MODE_8 && COLORS < 8))
		t->mode = CF_MODE_MONO;
	if (t->use_mouse) {
		mmask_t mask = BUTTON1_PRESSED | BUTTON1_RELEASED;
#if NCURSES_MOUSE_VERSION > 1
		mask |= BUTTON4_PRESSED | BUTTON5_PRESSED;
#endif
		mousemask(mask, NULL);
		mouseinterval(0);
	}
	if (ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit")) && t->mode != CF_MODE_RGB &&
	    t->mode != CF_MODE_MONO)
		cf_tui_msg(t, CF_MSG_INFO,
			   "COLORTERM=%s but TERM=%s has no direct colour; using %d colours "
			   "(TERM=xterm-direct gives 24-bit)",
			   ct, getenv("TERM") ? getenv("TERM") : "?", t->mode == CF_MODE_256 ? 256 : 8);
	return 0;
}

void cf_tui_end(cf_tui *t)
{
	restore_terminal();
	if (active == t)
		active = NULL;
	cf_tour_free(t);
	cf_tsess_close(t);
	cf_tui_lua_close(t);
	cf_layer_close(t);
	cf_log_free(t);
	cf_grid_free(&t->grid);
}

void cf_tui_add_screen(cf_tui *t, const cf_screen *s)
{
	if (t->nscreens < CF_TUI_MAX_SCREENS)
		t->screens[t->nscreens++] = s;
}

int cf_tui_show(cf_tui *t, const char *name)
{
	for (int k = 0; k < t->nscreens; k++)
		if (!strcmp(t->screens[k]->name, name)) {
			t->screen = k;
			return 0;
		}
	return -1;
}

void cf_tui_msg(cf_tui *t, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_level = level;
	cf_log_add(t, level, t->status);
}

void cf_tui_prompt(cf_tui *t, const char *label, const char *init,
		   int (*done)(cf_tui *t, const char *text))
{
	t->prompting = 1;
	snprintf(t->prompt_label, sizeof t->prompt_label, "%s", label);
	snprintf(t->prompt_buf, sizeof t->prompt_buf, "%s", init ? init : "");
	t->prompt_len = (int)strlen(t->prompt_buf);
	t->prompt_done = done;
}

/* ---- composing a frame ---- */

static void draw_title(cf_tui *t, cf_grid *g)
{
	char right[32];
	int x;

	char head[200];
	int tabs = 0, room;

	cf_grid_fill(g, (cf_rect){0, 0, 1, g->cols}, ' ', CF_ROLE_TITLE);
	snprintf(right, sizeof right, "%s help ", cf_tui_command_key("help"));
	t->help_x = g->cols - cf_utf8_width(right);
	/* the tabs in full when they fit before the help hint, else only
	 * the current one named ("1 2 [3 network] 4 5 6"): a tab is never cut */
	for (int k = 0; k < t->nscreens; k++) {
		tabs += 5 + cf_utf8_width(t->screens[k]->name);
	}
	snprintf(head, sizeof head, " clafuse  %s ", t->title);
	room = t->help_x - 1 - cf_utf8_width(head);
	x = cf_grid_puts(g, 0, 0, g->cols, CF_ROLE_TITLE, head);
	for (int k = 0; k < t->nscreens; k++) {
		int full = tabs <= room || k == t->screen;
		t->tab_x[k] = x;
		if (full)
			x += cf_grid_printf(g, 0, x, t->help_x - x, CF_ROLE_TITLE,
					    k == t->screen ? " [%d %s]" : "  %d %s ", k + 1,
					    t->screens[k]->name);
		else
			x += cf_grid_printf(g, 0, x, t->help_x - x, CF_ROLE_TITLE, " %d ", k + 1);
	}
	t->tab_x[t->nscreens] = x;
	cf_grid_puts(g, 0, t->help_x, -1, CF_ROLE_TITLE, right);
}

/* A click on the title line: a tab shows its screen, "? help" opens the
 * help overlay.  Returns 1 when the click was the title's. */
static int title_click(cf_tui *t)
{
	if (t->mouse_y != 0 || !(t->mouse_bstate & BUTTON1_PRESSED))
		return 0;
	for (int k = 0; k < t->nscreens; k++)
		if (t->mouse_x >= t->tab_x[k] && t->mouse_x < t->tab_x[k + 1]) {
			t->screen = k;
			return 1;
		}
	if (t->mouse_x >= t->help_x)
		cf_tui_command_exec(t, "help");
	return 1;
}

static void draw_status(cf_tui *t, cf_grid *g)
{
	static const int role[] = {CF_ROLE_STATUS, CF_ROLE_GOOD, CF_ROLE_WARN, CF_ROLE_ERROR};
	int y = g->rows - 2, x;
	char hints[512];

	cf_grid_fill(g, (cf_rect){y, 0, 1, g->cols}, ' ', CF_ROLE_STATUS);
	if (t->prompting) {
		x = cf_grid_printf(g, y, 0, g->cols, CF_ROLE_STATUS, "%s%s", t->prompt_label,
				   t->prompt_buf);
		cf_grid_puts(g, y, x, 1, CF_ROLE_SELECT, " ");
	} else if (t->busy) {
		x = cf_grid_printf(g, y, 0, g->cols, CF_ROLE_STATUS, " %s ", t->busy_text);
		{
			int w = g->cols - x - 12;
			if (w > 40)
				w = 40;
			if (w > 4) {
				cf_plot_bar(g, y, x, w, t->busy_frac < 0 ? 0 : t->busy_frac,
					    CF_ROLE_STATUS);
				x += w;
			}
			cf_grid_printf(g, y, x, g->cols - x, CF_ROLE_STATUS, "  %s stop",
				       cf_tui_command_key("quit"));
		}
	} else if (t->status[0]) {
		/* a message wider than the terminal loses whole words, marked
		 * "…"; the log (6) keeps it whole */
		static const char *const seps[] = {" (", ", ", " "};
		char cut[sizeof t->status + 8];
		int r = role[t->status_level >= 0 && t->status_level < 4 ? t->status_level : 0];
		int c = 2;
		/* the last parenthesis first (a time, a remark), then clauses, then words */
		for (int i = 0; i < 3 && c == 2; i++)
			c = cf_utf8_cut(t->status, g->cols - 3, seps[i], cut, sizeof cut);
		if (c)
			cf_grid_printf(g, y, 0, g->cols, r, " %s…", cut);
		else
			cf_grid_printf(g, y, 0, g->cols, r, " %s ", cut);
	} else if (!t->help_used) {
		cf_grid_printf(g, y, 0, g->cols, CF_ROLE_STATUS, " press %s for help",
			       cf_tui_command_key("help"));
	}
	cf_tui_command_hints(t->screen, hints, sizeof hints);
	cf_grid_fill(g, (cf_rect){g->rows - 1, 0, 1, g->cols}, ' ', CF_ROLE_HINT);
	/* the hints that fit, each whole ("w script", not "w") */
	{
		char cut[sizeof hints];
		cf_utf8_cut(hints, g->cols, "  ", cut, sizeof cut);
		cf_grid_puts(g, g->rows - 1, 0, g->cols, CF_ROLE_HINT, cut);
	}
}

/* The help overlay: a box over the current screen listing the commands
 * that work here, generated from the command table; a description longer
 * than its column wraps onto the next lines (help_top counts lines). */
static void draw_help(cf_tui *t, cf_grid *g)
{
	int w = g->cols - 8 < 92 ? g->cols - 8 : 92, dw = w - 37;
	int nlines = 0, shown, y;
	cf_rect box;
	char line[256];

	for (const cf_tui_command *c = cf_tui_commands; c->name; c++) {
		const char *p = c->help;
		if (!cf_tui_command_on_screen(c, t->screen))
			continue;
		while (cf_utf8_wrap(&p, dw, line, sizeof line))
			nlines++;
	}
	shown = g->rows - 8;
	if (shown > nlines)
		shown = nlines;
	if (t->help_top > nlines - shown)
		t->help_top = nlines - shown;
	if (t->help_top < 0)
		t->help_top = 0;
	box = (cf_rect){(g->rows - shown - 4) / 2, (g->cols - w) / 2, shown + 4, w};
	cf_grid_fill(g, box, ' ', CF_ROLE_NORMAL);
	cf_grid_box(g, box, "Help: keys and :commands", CF_ROLE_FRAME);
	cf_grid_printf(g, box.y + 1, box.x + 2, w - 4, CF_ROLE_DIM, "%-9s %-22s %s", "keys",
		       ":command", "what it does");
	y = 0;
	for (const cf_tui_command *c = cf_tui_commands; c->name; c++) {
		const char *p = c->help;
		int first = 1;
		if (!cf_tui_command_on_screen(c, t->screen))
			continue;
		for (; cf_utf8_wrap(&p, dw, line, sizeof line); y++, first = 0) {
			int row = box.y + 2 + y - t->help_top;
			if (y < t->help_top || y >= t->help_top + shown)
				continue;
			if (first) {
				char cmd[64];
				snprintf(cmd, sizeof cmd, "%s%s%s", c->name, c->args ? " " : "",
					 c->args ? c->args : "");
				cf_grid_puts(g, row, box.x + 2, 9, CF_ROLE_SELECT, c->keys ? c->keys : "");
				cf_grid_puts(g, row, box.x + 12, 22, CF_ROLE_NORMAL, cmd);
			}
			cf_grid_puts(g, row, box.x + 35, dw, CF_ROLE_NORMAL, line);
		}
	}
	cf_grid_printf(g, box.y + box.h - 2, box.x + 2, w - 4, CF_ROLE_DIM,
		       t->use_mouse ? "%d of %d   %s/Esc/click close   j/k/wheel scroll   mouse: tabs, "
				      "cells, wheel zoom"
				    : "%d of %d   %s/Esc close   j/k scroll",
		       shown, nlines, cf_tui_command_key("quit"));
}

static void draw_too_small(cf_tui *t, cf_grid *g)
{
	char a[96], b[96];
	const char *c = "resize the terminal, press i to ignore, or q to quit";
	(void)t;
	snprintf(a, sizeof a, "terminal too small: need at least %d×%d", CF_TUI_MIN_COLS,
		 CF_TUI_MIN_ROWS);
	snprintf(b, sizeof b, "this one is %d×%d", g->cols, g->rows);
	cf_grid_puts(g, g->rows / 2 - 1, 0, g->cols, CF_ROLE_WARN, a);
	cf_grid_puts(g, g->rows / 2, 0, g->cols, CF_ROLE_NORMAL, b);
	cf_grid_puts(g, g->rows / 2 + 1, 0, g->cols, CF_ROLE_DIM, c);
}

static int too_small(const cf_tui *t, int rows, int cols)
{
	return !t->ignore_small && (rows < CF_TUI_MIN_ROWS || cols < CF_TUI_MIN_COLS);
}

void cf_tui_compose(cf_tui *t, int rows, int cols)
{
	cf_grid *g = &t->grid;

	g->mode = t->mode;
	if (cf_grid_resize(g, rows, cols) || rows < 1 || cols < 1)
		return;
	if (too_small(t, rows, cols) || rows < 4) {
		draw_too_small(t, g);
		return;
	}
	draw_title(t, g);
	if (t->sess)
		cf_tsess_sync(t);
	if (t->nscreens > 0) {
		int sw = cf_tour_width(t, cols);
		t->screens[t->screen]->draw(t, g, (cf_rect){1, 0, rows - 3, cols - sw});
		if (sw)
			cf_tour_draw(t, g, (cf_rect){1, cols - sw, rows - 3, sw});
	}
	draw_status(t, g);
	if (t->help)
		draw_help(t, g);
}

/* ---- copying the grid to the terminal ---- */

static int curses_colour(const cf_tui *t, uint32_t c)
{
	if (CF_COL_IS_IDX(c)) {
		int i = (int)(c & 0xff);
		return i < COLORS ? i : i % 8;
	}
	if (CF_COL_IS_RGB(c)) {
		int r = (int)(c >> 16 & 0xff), gg = (int)(c >> 8 & 0xff), b = (int)(c & 0xff);
		if (t->mode == CF_MODE_RGB)
			return (int)(c & 0xffffff);
		return cf_xterm_nearest(r, gg, b);
	}
	return -1;
}

void cf_tui_present(cf_tui *t)
{
	cf_grid *g = &t->grid;
	uint32_t last_fg = 1, last_bg = 1;
	int pair = 0;

	if (!t->curses)
		return;
	cf_tui_compose(t, LINES, COLS);
	for (int y = 0; y < g->rows; y++)
		for (int x = 0; x < g->cols; x++) {
			const cf_cell *c = &g->cells[(size_t)y * (size_t)g->cols + (size_t)x];
			wchar_t wc[2] = {(wchar_t)c->ch, 0};
			attr_t a = A_NORMAL;
			cchar_t cc;
			if (t->mode != CF_MODE_MONO && (c->fg != last_fg || c->bg != last_bg)) {
				int f = curses_colour(t, c->fg), b = curses_colour(t, c->bg);
				pair = f < 0 && b < 0 ? 0 : alloc_pair(f, b);
				if (pair < 0)
					pair = 0;
				last_fg = c->fg;
				last_bg = c->bg;
			}
			if (c->attr & CF_A_BOLD)
				a |= A_BOLD;
			if (c->attr & CF_A_REVERSE)
				a |= A_REVERSE;
			if (c->attr & CF_A_UNDERLINE)
				a |= A_UNDERLINE;
			if (c->attr & CF_A_DIM)
				a |= A_DIM;
			setcchar(&cc, wc, a, 0, t->mode == CF_MODE_MONO ? NULL : &pair);
			mvadd_wch(y, x, &cc);
		}
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- keys ---- */

static void prompt_key(cf_tui *t, int key)
{
	if (key == 27 || key == 7) {
		t->prompting = 0;
		return;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		char text[sizeof t->prompt_buf];
		int (*done)(cf_tui *, const char *) = t->prompt_done;
		memcpy(text, t->prompt_buf, sizeof text);
		t->prompting = 0;
		t->status[0] = '\0';
		if (done)
			done(t, text);
		return;
	}
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (t->prompt_len > 0) {
			/* drop a whole UTF-8 sequence */
			do
				t->prompt_len--;
			while (t->prompt_len > 0 &&
			       ((unsigned char)t->prompt_buf[t->prompt_len] & 0xc0) == 0x80);
			t->prompt_buf[t->prompt_len] = '\0';
		}
		return;
	}
	if (key == 21) { /* ^U */
		t->prompt_len = 0;
		t->prompt_buf[0] = '\0';
		return;
	}
	if (key >= 0x20 && key < 0x100 && key != 0x7f &&
	    t->prompt_len + 1 < (int)sizeof t->prompt_buf) {
		t->prompt_buf[t->prompt_len++] = (char)key;
		t->prompt_buf[t->prompt_len] = '\0';
	}
}

static void help_key(cf_tui *t, int key)
{
	if (key == KEY_MOUSE) { /* a click closes, the wheel scrolls */
		if (t->mouse_bstate & BUTTON1_PRESSED)
			t->help = 0;
#if NCURSES_MOUSE_VERSION > 1
		else if (t->mouse_bstate & BUTTON4_PRESSED)
			t->help_top -= 3;
		else if (t->mouse_bstate & BUTTON5_PRESSED)
			t->help_top += 3;
#endif
	} else if (key == 'j' || key == KEY_DOWN)
		t->help_top++;
	else if (key == 'k' || key == KEY_UP)
		t->help_top--;
	else if (key == KEY_NPAGE || key == ' ')
		t->help_top += 10;
	else if (key == KEY_PPAGE)
		t->help_top -= 10;
	else if (key == 'q' || key == 27 || key == '?' || key == KEY_F(1) || key == '\n' ||
		 key == '\r')
		t->help = 0;
	if (t->help_top < 0)
		t->help_top = 0;
}

void cf_tui_handle_key(cf_tui *t, int key)
{
	const cf_tui_command *c;
	int rows = t->curses ? LINES : t->grid.rows, cols = t->curses ? COLS : t->grid.cols;

	if (key == KEY_RESIZE)
		return; /* the next frame is composed at the new size */
	if (t->prompting) {
		prompt_key(t, key);
		return;
	}
	if (too_small(t, rows, cols)) {
		if (key == 'q' || key == 'Q')
			t->quit = 1;
		else if (key == 'i')
			t->ignore_small = 1;
		return;
	}
	if (t->help) {
		help_key(t, key);
		return;
	}
	if (key == 27) { /* Esc: clear the message */
		t->status[0] = '\0';
		return;
	}
	c = key == KEY_MOUSE ? NULL : cf_tui_command_for_key(t->screen, key);
	if (c) {
		c->fn(t, "");
		return;
	}
	if (key == KEY_MOUSE && (title_click(t) || cf_tour_mouse(t)))
		return;
	if (t->nscreens > 0 && t->screens[t->screen]->key(t, key))
		return;
	if (key != KEY_MOUSE) {
		const char *name = keyname(key);
		cf_tui_msg(t, CF_MSG_WARN, "unknown key %s, press %s for help", name ? name : "?",
			   cf_tui_command_key("help"));
	}
}

static int read_key(cf_tui *t)
{
	int key = getch();
	if (key == KEY_MOUSE) {
		MEVENT ev;
		if (getmouse(&ev) != OK)
			return ERR;
		t->mouse_y = ev.y;
		t->mouse_x = ev.x;
		t->mouse_bstate = (unsigned long)ev.bstate;
	}
	return key;
}

/* ncurses learns of a new terminal size from SIGWINCH; if that signal is
 * missed (it can arrive while another handler or a Lua evaluation holds
 * the terminal), the screen would stay at the old size until the next key.
 * So an idle loop also asks the terminal for its size twice a second. */
static void follow_terminal_size(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
}

int cf_tui_run(cf_tui *t)
{
	if (t->curses)
		timeout(500);
	while (!t->quit) {
		int key;
		cf_tui_present(t);
		key = read_key(t);
		if (key == ERR) {
			if (t->curses)
				follow_terminal_size();
			continue;
		}
		cf_tui_handle_key(t, key);
	}
	return 0;
}

int cf_tui_poll(cf_tui *t)
{
	int key;

	if (!t->curses)
		return t->stop;
	cf_tui_present(t);
	timeout(0);
	while ((key = read_key(t)) != ERR) {
		if (key == 'q' || key == 'Q' || key == 27 || key == 3)
			t->stop = 1;
	}
	timeout(500);
	return t->stop;
}
