/* grid.c — the off-screen cell grid (see grid.h).
 *
 * Plain memory and UTF-8 decoding only; nothing here knows about ncurses,
 * so tests and benchmarks link it alone.  The role table is the single
 * colour scheme: one column per colour mode, monochrome using attributes.
 */
#include "grid.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cf_grid_resize(cf_grid *g, int rows, int cols)
{
	cf_cell *c;

	if (rows < 0)
		rows = 0;
	if (cols < 0)
		cols = 0;
	if (rows == g->rows && cols == g->cols && g->cells) {
		cf_grid_clear(g);
		return 0;
	}
	c = rows && cols ? malloc((size_t)rows * (size_t)cols * sizeof *c) : NULL;
	free(g->cells);
	g->cells = c;
	if (!c) {
		g->rows = g->cols = 0;
		return rows && cols ? -1 : 0;
	}
	g->rows = rows;
	g->cols = cols;
	cf_grid_clear(g);
	return 0;
}

void cf_grid_free(cf_grid *g)
{
	if (!g)
		return;
	free(g->cells);
	g->cells = NULL;
	g->rows = g->cols = 0;
}

void cf_grid_clear(cf_grid *g)
{
	size_t n = (size_t)g->rows * (size_t)g->cols;
	for (size_t k = 0; k < n; k++) {
		g->cells[k].ch = ' ';
		g->cells[k].fg = g->cells[k].bg = CF_COL_DEFAULT;
		g->cells[k].attr = 0;
	}
}

cf_cell *cf_grid_at(cf_grid *g, int y, int x)
{
	if (y < 0 || x < 0 || y >= g->rows || x >= g->cols)
		return NULL;
	return &g->cells[(size_t)y * (size_t)g->cols + (size_t)x];
}

void cf_grid_set(cf_grid *g, int y, int x, uint32_t ch, uint32_t fg, uint32_t bg, int attr)
{
	cf_cell *c = cf_grid_at(g, y, x);
	if (!c)
		return;
	c->ch = ch;
	c->fg = fg;
	c->bg = bg;
	c->attr = (uint16_t)attr;
}

/* Per role: 256-colour fg, bg, attr; 8-colour fg, bg, attr; mono attr.
 * -1 = the terminal's default colour. */
static const struct {
	short fg256, bg256, a256, fg8, bg8, a8, amono;
} roles[CF_ROLE_N] = {
	[CF_ROLE_NORMAL] = {-1, -1, 0, -1, -1, 0, 0},
	[CF_ROLE_TITLE] = {231, 24, CF_A_BOLD, 7, 4, CF_A_BOLD, CF_A_REVERSE | CF_A_BOLD},
	[CF_ROLE_STATUS] = {252, 236, 0, 7, 0, 0, CF_A_REVERSE},
	[CF_ROLE_HINT] = {245, -1, 0, 6, -1, 0, CF_A_DIM},
	[CF_ROLE_FRAME] = {110, -1, 0, 4, -1, 0, 0},
	[CF_ROLE_SELECT] = {16, 214, CF_A_BOLD, 0, 3, 0, CF_A_REVERSE},
	[CF_ROLE_PATH] = {196, -1, CF_A_BOLD, 1, -1, CF_A_BOLD, CF_A_BOLD},
	[CF_ROLE_WARN] = {214, -1, CF_A_BOLD, 3, -1, CF_A_BOLD, CF_A_BOLD},
	[CF_ROLE_ERROR] = {231, 160, CF_A_BOLD, 7, 1, CF_A_BOLD, CF_A_REVERSE | CF_A_BOLD},
	[CF_ROLE_GOOD] = {114, -1, CF_A_BOLD, 2, -1, CF_A_BOLD, CF_A_BOLD},
	[CF_ROLE_DIM] = {244, -1, 0, 7, -1, CF_A_DIM, CF_A_DIM},
};

static uint32_t col(int c)
{
	return c < 0 ? CF_COL_DEFAULT : CF_COL_IDX(c);
}

void cf_grid_role(const cf_grid *g, int role, uint32_t *fg, uint32_t *bg, int *attr)
{
	if (role < 0 || role >= CF_ROLE_N)
		role = CF_ROLE_NORMAL;
	switch (g->mode) {
	case CF_MODE_256:
	case CF_MODE_RGB:
		*fg = col(roles[role].fg256);
		*bg = col(roles[role].bg256);
		*attr = roles[role].a256;
		break;
	case CF_MODE_8:
		*fg = col(roles[role].fg8);
		*bg = col(roles[role].bg8);
		*attr = roles[role].a8;
		break;
	default:
		*fg = *bg = CF_COL_DEFAULT;
		*attr = roles[role].amono;
	}
}

uint32_t cf_utf8_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	uint32_t c = s[0];
	int n, k;

	if (c < 0x80) {
		*sp += 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
	} else {
		*sp += 1;
		return 0xfffd;
	}
	for (k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80) {
			*sp += k;
			return 0xfffd;
		}
		c = c << 6 | (s[k] & 0x3f);
	}
	*sp += n + 1;
	return c;
}

int cf_utf8_width(const char *s)
{
	int w = 0;
	while (*s) {
		cf_utf8_next(&s);
		w++;
	}
	return w;
}

int cf_utf8_wrap(const char **s, int width, char *out, size_t size)
{
	const char *line = *s, *q = line, *brk = NULL;
	int cells = 0;
	size_t n;

	if (!*line || size == 0)
		return 0;
	if (width < 1)
		width = 1;
	while (*q && *q != '\n' && cells < width) {
		if (*q == ' ')
			brk = q;
		cf_utf8_next(&q);
		cells++;
	}
	/* stopped inside a word: break at its last blank, if any */
	if (*q && *q != '\n' && *q != ' ' && brk)
		q = brk;
	n = (size_t)(q - line) < size - 1 ? (size_t)(q - line) : size - 1;
	memcpy(out, line, n);
	out[n] = '\0';
	if (*q == '\n' || *q == ' ')
		q++;
	*s = q;
	return 1;
}

/* Byte offset of code point k of s (or of its end). */
static size_t utf8_offset(const char *s, int k)
{
	const char *p = s;
	while (*p && k-- > 0)
		cf_utf8_next(&p);
	return (size_t)(p - s);
}

char *cf_utf8_elide(const char *s, int maxw, char *out, size_t size)
{
	int w = cf_utf8_width(s), head, tail;
	size_t hb, tb;

	if (size == 0)
		return out;
	if (w <= maxw || maxw < 3) {
		snprintf(out, size, "%s", s);
		if (w > maxw && maxw >= 0) /* no room for an ellipsis: cut */
			out[utf8_offset(out, maxw)] = '\0';
		return out;
	}
	/* keep a little more of the end: the extension and the distinguishing
	 * suffix are there */
	tail = (maxw - 1) / 2 + (maxw - 1) % 2;
	head = maxw - 1 - tail;
	hb = utf8_offset(s, head);
	tb = utf8_offset(s, w - tail);
	snprintf(out, size, "%.*s…%s", (int)hb, s, s + tb);
	return out;
}

int cf_utf8_cut(const char *s, int maxw, const char *sep, char *out, size_t size)
{
	size_t best = 0, len;
	int found = 0;

	if (size == 0)
		return 0;
	if (maxw < 0)
		maxw = 0;
	if (cf_utf8_width(s) <= maxw) {
		snprintf(out, size, "%s", s);
		return 0;
	}
	/* the last separator whose prefix still fits */
	for (const char *p = strstr(s, sep); p && *sep; p = strstr(p + 1, sep)) {
		len = (size_t)(p - s);
		if (len >= size)
			break;
		memcpy(out, s, len);
		out[len] = '\0';
		if (cf_utf8_width(out) > maxw)
			break;
		best = len;
		found = 1;
	}
	if (!found) {
		snprintf(out, size, "%s", s);
		out[utf8_offset(out, maxw)] = '\0';
		return 2;
	}
	memcpy(out, s, best);
	out[best] = '\0';
	while (best > 0 && strchr(" ,;:", out[best - 1]))
		out[--best] = '\0';
	return 1;
}

int cf_grid_puts(cf_grid *g, int y, int x, int maxw, int role, const char *s)
{
	uint32_t fg, bg;
	int attr, n = 0;

	cf_grid_role(g, role, &fg, &bg, &attr);
	if (maxw < 0)
		maxw = g->cols - x;
	while (*s && n < maxw) {
		uint32_t ch = cf_utf8_next(&s);
		if (ch < 0x20)
			ch = ' ';
		cf_grid_set(g, y, x + n, ch, fg, bg, attr);
		n++;
	}
	return n;
}

int cf_grid_printf(cf_grid *g, int y, int x, int maxw, int role, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return cf_grid_puts(g, y, x, maxw, role, buf);
}

void cf_grid_fill(cf_grid *g, cf_rect r, uint32_t ch, int role)
{
	uint32_t fg, bg;
	int attr;

	cf_grid_role(g, role, &fg, &bg, &attr);
	for (int y = r.y; y < r.y + r.h; y++)
		for (int x = r.x; x < r.x + r.w; x++)
			cf_grid_set(g, y, x, ch, fg, bg, attr);
}

void cf_grid_box(cf_grid *g, cf_rect r, const char *title, int role)
{
	uint32_t fg, bg;
	int attr;

	if (r.h < 2 || r.w < 2)
		return;
	cf_grid_role(g, role, &fg, &bg, &attr);
	for (int x = r.x + 1; x < r.x + r.w - 1; x++) {
		cf_grid_set(g, r.y, x, 0x2500, fg, bg, attr);
		cf_grid_set(g, r.y + r.h - 1, x, 0x2500, fg, bg, attr);
	}
	for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
		cf_grid_set(g, y, r.x, 0x2502, fg, bg, attr);
		cf_grid_set(g, y, r.x + r.w - 1, 0x2502, fg, bg, attr);
	}
	cf_grid_set(g, r.y, r.x, 0x250c, fg, bg, attr);
	cf_grid_set(g, r.y, r.x + r.w - 1, 0x2510, fg, bg, attr);
	cf_grid_set(g, r.y + r.h - 1, r.x, 0x2514, fg, bg, attr);
	cf_grid_set(g, r.y + r.h - 1, r.x + r.w - 1, 0x2518, fg, bg, attr);
	if (title && *title && r.w > 4) {
		/* a title too long for the frame loses whole words, not letters */
		char cut[256];
		int n = cf_grid_puts(g, r.y, r.x + 2, r.w - 4, role, " ");
		cf_utf8_cut(title, r.w - 5, " ", cut, sizeof cut);
		n += cf_grid_puts(g, r.y, r.x + 2 + n, r.w - 4 - n, role, cut);
		cf_grid_puts(g, r.y, r.x + 2 + n, r.w - 4 - n, role, " ");
	}
}

static size_t put_utf8(char *p, uint32_t c)
{
	if (c < 0x80) {
		p[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char)(0xc0 | c >> 6);
		p[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char)(0xe0 | c >> 12);
		p[1] = (char)(0x80 | (c >> 6 & 0x3f));
		p[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | c >> 18);
	p[1] = (char)(0x80 | (c >> 12 & 0x3f));
	p[2] = (char)(0x80 | (c >> 6 & 0x3f));
	p[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t cf_grid_row_text(const cf_grid *g, int y, char *buf, size_t size)
{
	size_t n = 0, keep = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	if (y < 0 || y >= g->rows)
		return 0;
	for (int x = 0; x < g->cols; x++) {
		uint32_t ch = g->cells[(size_t)y * (size_t)g->cols + (size_t)x].ch;
		if (n + 5 > size)
			break;
		n += put_utf8(buf + n, ch);
		if (ch != ' ')
			keep = n;
	}
	buf[keep] = '\0';
	return keep;
}
