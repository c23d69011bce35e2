/* grid.h — an off-screen grid of terminal cells that every screen draws into.
 *
 * The TUI never writes to ncurses directly: each frame is drawn from state
 * into a cf_grid (a code point, a foreground and background colour and a few
 * attributes per cell), and tui.c copies the grid to the terminal.  The same
 * drawing code therefore renders into memory for golden tests and the
 * redraw benchmark, with no terminal at all.
 *
 * Colours are 32-bit codes: CF_COL_DEFAULT (the terminal's own), an xterm
 * palette index CF_COL_IDX(i), or 24-bit CF_COL_RGB(r,g,b).  Which ones a
 * drawing routine may use depends on the grid's colour mode; roles (title,
 * status, path, warning …) are resolved per mode by cf_grid_role() so that
 * the monochrome and NO_COLOR schemes come from the same table.
 */
#ifndef CF_TUI_GRID_H
#define CF_TUI_GRID_H

#include <stddef.h>
#include <stdint.h>

#define CF_COL_DEFAULT 0u
#define CF_COL_IDX(i) (0x02000000u | ((uint32_t)(i) & 0xffu))
#define CF_COL_RGB(r, g, b) \
	(0x01000000u | ((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))
#define CF_COL_IS_IDX(c) (((c) & 0xff000000u) == 0x02000000u)
#define CF_COL_IS_RGB(c) (((c) & 0xff000000u) == 0x01000000u)

enum { CF_A_BOLD = 1, CF_A_REVERSE = 2, CF_A_UNDERLINE = 4, CF_A_DIM = 8 };

/* What the terminal can show. */
typedef enum cf_colour_mode {
	CF_MODE_MONO = 0, /* attributes only (NO_COLOR, no colours) */
	CF_MODE_8,        /* the 8 ANSI colours */
	CF_MODE_256,      /* xterm 256-colour palette */
	CF_MODE_RGB       /* 24-bit colour */
} cf_colour_mode;

/* Colour roles: what a piece of text means, not how it looks. */
typedef enum cf_role {
	CF_ROLE_NORMAL = 0,
	CF_ROLE_TITLE,    /* the title line */
	CF_ROLE_STATUS,   /* the status line */
	CF_ROLE_HINT,     /* key hints */
	CF_ROLE_FRAME,    /* box borders and pane titles */
	CF_ROLE_SELECT,   /* the selected item, the cursor */
	CF_ROLE_PATH,     /* an overlaid path */
	CF_ROLE_WARN,     /* warnings */
	CF_ROLE_ERROR,    /* errors */
	CF_ROLE_GOOD,     /* converged / optimal / fresh */
	CF_ROLE_DIM,      /* secondary text */
	CF_ROLE_N
} cf_role;

typedef struct cf_cell {
	uint32_t ch;      /* Unicode code point; ' ' when empty */
	uint32_t fg, bg;  /* colour codes */
	uint16_t attr;    /* CF_A_* */
} cf_cell;

typedef struct cf_grid {
	int rows, cols;
	int mode;         /* cf_colour_mode */
	cf_cell *cells;   /* rows×cols, owned */
} cf_grid;

typedef struct cf_rect {
	int y, x, h, w;
} cf_rect;

/* Make the grid rows×cols and blank it (contents are not kept).  Returns 0,
 * or -1 when out of memory (the grid is then 0×0). */
int cf_grid_resize(cf_grid *g, int rows, int cols);
void cf_grid_free(cf_grid *g);
/* Every cell to ' ' with default colours. */
void cf_grid_clear(cf_grid *g);
/* The cell at (y, x), or NULL when outside the grid. */
cf_cell *cf_grid_at(cf_grid *g, int y, int x);
/* Set one cell (clipped). */
void cf_grid_set(cf_grid *g, int y, int x, uint32_t ch, uint32_t fg, uint32_t bg, int attr);
/* Resolve a role to colours and attributes for the grid's mode. */
void cf_grid_role(const cf_grid *g, int role, uint32_t *fg, uint32_t *bg, int *attr);
/* Write UTF-8 text at (y, x) in a role, clipped to `maxw` cells (negative =
 * to the right edge).  Returns the number of cells written. */
int cf_grid_puts(cf_grid *g, int y, int x, int maxw, int role, const char *utf8);
/* printf form of cf_grid_puts. */
int cf_grid_printf(cf_grid *g, int y, int x, int maxw, int role, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 6, 7)))
#endif
	;
/* Fill a rectangle with a character in a role. */
void cf_grid_fill(cf_grid *g, cf_rect r, uint32_t ch, int role);
/* A single-line box around r with a title on the top edge (may be NULL). */
void cf_grid_box(cf_grid *g, cf_rect r, const char *title, int role);
/* Decode one UTF-8 sequence at *s, advancing it; invalid bytes give U+FFFD. */
uint32_t cf_utf8_next(const char **s);
/* Number of code points (= cells for the text clafuse draws) in UTF-8 text. */
int cf_utf8_width(const char *s);
/* `s` in at most maxw cells into out (size bytes): whole when it fits,
 * else its start and end around "…" (the end of a file name says more
 * than its middle).  Returns out. */
char *cf_utf8_elide(const char *s, int maxw, char *out, size_t size);
/* `s` in at most maxw cells into out (size bytes): whole when it fits,
 * else its longest start that ends before a `sep` (" " for words, "  "
 * for key hints, ", " for clauses), without the blanks and ",;:" left at
 * its end; cut at maxw only when no separator fits.  Returns 0 when s
 * fits whole, 1 when cut at a separator, 2 when cut at maxw. */
int cf_utf8_cut(const char *s, int maxw, const char *sep, char *out, size_t size);
/* The next line of the text at *s word-wrapped to `width` cells, into out
 * (size bytes); *s moves past it and the blank or newline that ended it.
 * A word longer than the width is cut.  Returns 0 when no text is left. */
int cf_utf8_wrap(const char **s, int width, char *out, size_t size);
/* Row y as UTF-8 (trailing blanks trimmed) into buf; returns the length. */
size_t cf_grid_row_text(const cf_grid *g, int y, char *buf, size_t size);

#endif
