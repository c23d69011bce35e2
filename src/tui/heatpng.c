/* heatpng.c — a heatmap as a PNG picture (heatpic.h), drawn on a canvas
 * with the bitmap font: title on top, the pooled cells, the first and last
 * index of each axis with the axis named, and the legend (colour bar, its
 * two ends, the scale and pooling) on the right.  Curses-free.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "canvas.h"
#include "heatpng.h"
#include "heatpic.h"

#define S 2        /* font scale: 10×14-pixel glyphs */
#define GH (7 * S) /* glyph height */
#define PAD 12

static const uint8_t ink[3] = {0, 0, 0};

static int imax(int a, int b)
{
	return a > b ? a : b;
}

/* the layout: left margin for the vertical axis name and the row numbers,
 * top margin for the title, the legend right of the cells */
typedef struct layout {
	cf_heatpic_frame fr;
	int gw, gh, lx, lh;
	char first[32], last[32], lastc[32], top[32], bottom[32], cap[64];
} layout;

static void lay_out(const cf_heatmap *h, const cf_heatpic *p, const char *title,
		    const char *xlabel, const char *ylabel, layout *L)
{
	int side = (int)(p->nr > p->nc ? p->nr : p->nc), cell = 400 / side, tw;

	if (cell < 2)
		cell = 800 / side;
	L->fr.cell = cell;
	L->gw = (int)p->nc * cell;
	L->gh = (int)p->nr * cell;
	snprintf(L->first, sizeof L->first, "0");
	snprintf(L->last, sizeof L->last, "%lld", (long long)h->rows - 1);
	snprintf(L->lastc, sizeof L->lastc, "%lld", (long long)h->cols - 1);
	snprintf(L->top, sizeof L->top, "%.4g", p->hi);
	snprintf(L->bottom, sizeof L->bottom, "%.4g", p->lo);
	cf_heatpic_caption(h, p, L->cap, sizeof L->cap);
	L->fr.gx = PAD + GH + PAD + cf_canvas_text_width(L->last, S) + 6;
	L->fr.gy = PAD + GH + PAD;
	L->lh = imax(L->gh, 160);
	L->lx = L->fr.gx + L->gw + 2 * PAD;
	tw = imax(20 + 8 + imax(cf_canvas_text_width(L->top, S), cf_canvas_text_width(L->bottom, S)),
		  cf_canvas_text_width(L->cap, S));
	L->fr.w = imax(L->lx + tw + PAD, PAD + cf_canvas_text_width(title, S) + PAD);
	L->fr.w = imax(L->fr.w, L->fr.gx + cf_canvas_text_width(xlabel, S) + PAD);
	L->fr.h = L->fr.gy + imax(L->gh + 6 + GH + 8 + GH, L->lh + 8 + GH) + PAD;
	L->fr.h = imax(L->fr.h, L->fr.gy + cf_canvas_text_width(ylabel, S) + PAD);
}

void cf_heatpng_frame(const cf_heatmap *h, const cf_heatpic *p, const char *title,
		      const char *xlabel, const char *ylabel, cf_heatpic_frame *fr)
{
	layout L;
	lay_out(h, p, title, xlabel, ylabel, &L);
	*fr = L.fr;
}

int cf_heatmap_write_png(const cf_heatmap *h, const char *path, const char *title,
			 const char *xlabel, const char *ylabel, cf_error *err)
{
	cf_heatpic p;
	cf_canvas *c;
	layout L;
	int rc, cell, ml, mt, gw, gh, lx, lh;
	uint8_t rgb[3];

	if ((rc = cf_heatpic_pool(h, CF_HEATPIC_MAX_PNG, &p, err)))
		return rc;
	lay_out(h, &p, title, xlabel, ylabel, &L);
	cell = L.fr.cell;
	ml = L.fr.gx;
	mt = L.fr.gy;
	gw = L.gw;
	gh = L.gh;
	lx = L.lx;
	lh = L.lh;
	if (!(c = cf_canvas_alloc(L.fr.w, L.fr.h))) {
		cf_heatpic_release(&p);
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory for a %d×%d picture", path,
				    L.fr.w, L.fr.h);
	}
	cf_canvas_text(c, PAD, PAD, S, CF_CANVAS_LEFT, 0, title, ink);
	for (int64_t i = 0; i < p.nr; i++)
		for (int64_t j = 0; j < p.nc; j++) {
			cf_heatpic_colour(h, p.v[i * p.nc + j], p.lo, p.hi, rgb);
			cf_canvas_rect(c, ml + (int)j * cell, mt + (int)i * cell, cell, cell, rgb);
		}
	/* axes: rows down the left, columns along the bottom */
	cf_canvas_text(c, ml - 6, mt, S, CF_CANVAS_RIGHT, 0, L.first, ink);
	cf_canvas_text(c, ml - 6, mt + gh - GH, S, CF_CANVAS_RIGHT, 0, L.last, ink);
	/* centred on the rows, or starting at their top when it is longer */
	cf_canvas_text(c, PAD, mt + imax(gh, cf_canvas_text_width(ylabel, S)) / 2, S, CF_CANVAS_CENTRE,
		       1, ylabel, ink);
	cf_canvas_text(c, ml, mt + gh + 6, S, CF_CANVAS_LEFT, 0, L.first, ink);
	cf_canvas_text(c, ml + gw, mt + gh + 6, S, CF_CANVAS_RIGHT, 0, L.lastc, ink);
	cf_canvas_text(c, ml + gw / 2, mt + gh + 6 + GH + 8, S, CF_CANVAS_CENTRE, 0, xlabel, ink);
	/* legend: a bar from the highest value (top row) to the lowest (bottom
	 * row), both ends exact */
	for (int y = 0; y < lh; y++) {
		double t = 1 - (double)y / (lh - 1);
		double x = h->scale == CF_SCALE_LOG && p.lo > 0 ? p.lo * pow(p.hi / p.lo, t)
								 : p.lo + t * (p.hi - p.lo);
		cf_heatpic_colour(h, x, p.lo, p.hi, rgb);
		cf_canvas_rect(c, lx, mt + y, 20, 1, rgb);
	}
	cf_canvas_text(c, lx + 28, mt, S, CF_CANVAS_LEFT, 0, L.top, ink);
	cf_canvas_text(c, lx + 28, mt + lh - GH, S, CF_CANVAS_LEFT, 0, L.bottom, ink);
	cf_canvas_text(c, lx, mt + lh + 8, S, CF_CANVAS_LEFT, 0, L.cap, ink);
	rc = cf_canvas_write_png(c, path, err);
	cf_canvas_free(c);
	cf_heatpic_release(&p);
	return rc;
}
