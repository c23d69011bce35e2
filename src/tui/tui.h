/* tui.h — the full-screen workbench: terminal set-up, the frame, the loop.
 *
 * One cf_tui holds everything the screen shows; each frame is composed from
 * it into an off-screen grid (cf_tui_compose, no terminal needed) and then
 * copied to the terminal (cf_tui_present).  Keys go to the prompt or the
 * help overlay when one is open, then to the command table (commands.h),
 * then to the current screen.  Long work calls cf_tui_poll() between
 * chunks: it redraws and returns nonzero when the user pressed q, Esc or
 * Ctrl-C, so the work can stop with its state intact (ncdu's pattern, no
 * threads).  The terminal is restored on every exit path: normal return,
 * exit(), and SIGINT/SIGTERM/SIGHUP/SIGSEGV/SIGABRT (restore, then re-raise).
 */
#ifndef CF_TUI_H
#define CF_TUI_H

#include "grid.h"

#define CF_TUI_MIN_ROWS 24
#define CF_TUI_MIN_COLS 80
#define CF_TUI_MAX_SCREENS 9

enum cf_msg_level { CF_MSG_INFO = 0, CF_MSG_GOOD, CF_MSG_WARN, CF_MSG_ERROR };

typedef struct cf_tui cf_tui;
struct cf_screen;
struct cf_layer;
struct cf_log;
struct cf_tsess;
struct cf_tour;

struct cf_tui {
	cf_grid grid;             /* the frame being composed */
	int mode;                 /* cf_colour_mode in use */
	int quit;                 /* leave the main loop */
	int screen;               /* index into screens */
	int nscreens;
	const struct cf_screen *screens[CF_TUI_MAX_SCREENS];
	int help;                 /* the help overlay is open */
	int help_top;             /* its first shown line */
	int help_used;            /* hide "press ? for help" once used */
	int ignore_small;         /* the user chose to ignore the size guard */
	char title[160];          /* what is open, for the title line */
	/* the one-line prompt on the status line (`:` commands, edits) */
	int prompting;
	char prompt_label[32];
	char prompt_buf[256];
	int prompt_len;
	int (*prompt_done)(cf_tui *t, const char *text);
	/* the latest message */
	char status[256];
	int status_level;
	/* long work in progress */
	int busy;
	double busy_frac;         /* < 0: unknown */
	char busy_text[160];
	volatile int stop;        /* set by q/Esc/Ctrl-C while busy */
	/* the last mouse event (KEY_MOUSE) in screen cells */
	int mouse_y, mouse_x;
	unsigned long mouse_bstate;
	/* where the title line shows each screen's tab (columns tab_x[k] up
	 * to tab_x[k + 1]) and the help hint (from help_x), for clicks */
	int tab_x[CF_TUI_MAX_SCREENS + 1];
	int help_x;
	/* screen states */
	struct cf_layer *layer;
	struct cf_log *log;
	struct cf_tsess *sess;    /* the fusion session shown, or NULL (one OT problem) */
	struct cf_tour *tour;     /* the guided tour's side panel, or NULL */
	void *lua;                /* lua_State of the : line (lualine.c), or NULL */
	int curses;               /* ncurses is active */
	int use_mouse;
};

/* Colour mode choice: CF_TUI_COLOUR_AUTO or a cf_colour_mode. */
#define CF_TUI_COLOUR_AUTO (-1)

/* Zero the state and create the log (no terminal yet).  -1 if out of memory. */
int cf_tui_setup(cf_tui *t);
/* Start ncursesw (setlocale, cbreak, noecho, keypad, escdelay 25 ms, mouse,
 * colours) and install the restoring handlers.  `colour` forces a mode or
 * is CF_TUI_COLOUR_AUTO: NO_COLOR or no colours → mono, direct-colour
 * terminfo (RGB) → 24-bit, else 256 or 8.  Returns 0, or -1 when the
 * terminal cannot be opened (message on stderr). */
int cf_tui_start(cf_tui *t, int colour);
/* Restore the terminal (idempotent) and free everything in t. */
void cf_tui_end(cf_tui *t);
/* Append a screen; the first one added is shown first. */
void cf_tui_add_screen(cf_tui *t, const struct cf_screen *s);
/* Compose the whole frame for a rows×cols terminal into t->grid. */
void cf_tui_compose(cf_tui *t, int rows, int cols);
/* Compose for the terminal's size and copy to the terminal. */
void cf_tui_present(cf_tui *t);
/* Handle one key (a curses key code; KEY_MOUSE uses t->mouse_*). */
void cf_tui_handle_key(cf_tui *t, int key);
/* The main loop: draw, wait for a key, handle it, until quit.  Returns 0. */
int cf_tui_run(cf_tui *t);
/* For long work: redraw and read pending keys without waiting.  Returns
 * nonzero when the user asked to stop (q, Esc, Ctrl-C). */
int cf_tui_poll(cf_tui *t);
/* Open the prompt on the status line with a label and initial text; on
 * Enter `done` gets the text (Esc cancels). */
void cf_tui_prompt(cf_tui *t, const char *label, const char *init,
		   int (*done)(cf_tui *t, const char *text));
/* Show a message on the status line and append it to the log. */
void cf_tui_msg(cf_tui *t, int level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* Switch to the screen named `name`; -1 if there is none. */
int cf_tui_show(cf_tui *t, const char *name);

#endif
