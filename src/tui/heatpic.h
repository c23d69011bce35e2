/* heatpic.h — a heatmap as a picture for slides and papers, SVG (heatsvg.c)
 * or PNG (heatpng.c): the matrix pooled to at most CF_HEATPIC_MAX_SVG or
 * _PNG cells a side (sums for plans, means for costs, as the heatmap pools), in the
 * heatmap's colour map and scale, with a legend giving the range, a title
 * and the axes named and numbered.  Written through the atomic writer
 * (core/outfile.h).  Curses-free.
 */
#ifndef CF_TUI_HEATPIC_H
#define CF_TUI_HEATPIC_H

#include <stdint.h>

#include "core/error.h"
#include "heatmap.h"

/* Pooled cells a side at most: SVG writes one element per cell, PNG one
 * pixel or more, so the PNG can afford more (a 400×400 plan unpooled). */
#define CF_HEATPIC_MAX_SVG 200
#define CF_HEATPIC_MAX_PNG 800

/* The pooled matrix a picture draws. */
typedef struct cf_heatpic {
	int64_t nr, nc; /* pooled rows and columns */
	int64_t by, bx; /* matrix cells per pooled cell, down and across */
	double *v;      /* nr×nc pooled values, owned */
	double lo, hi;  /* colour range (finite values; log: positive ones, at
			 * least a decade, so that the smallest entry stands
			 * out from the zeros below it) */
} cf_heatpic;

/* Pool h's matrix to at most max cells a side.  CF_EINVAL without data,
 * CF_ENOMEM. */
int cf_heatpic_pool(const cf_heatmap *h, int max, cf_heatpic *p, cf_error *err);
void cf_heatpic_release(cf_heatpic *p);
/* Colour of value x in the range [lo, hi] with h's map and scale: lo and
 * below (and 0 on a log scale) take the map's lowest colour. */
void cf_heatpic_colour(const cf_heatmap *h, double x, double lo, double hi, uint8_t rgb[3]);
/* "linear, one cell each" / "log, block sums" ...: what the legend shows. */
const char *cf_heatpic_caption(const cf_heatmap *h, const cf_heatpic *p, char *buf, int size);

/* Where the PNG puts things: its size, the top-left pixel of the cells
 * and the side of one pooled cell in pixels: 400 / the larger pooled side,
 * or 800 / it when that would be under 2 (so 1 from 401 cells up). */
typedef struct cf_heatpic_frame {
	int w, h;       /* picture */
	int gx, gy;     /* first cell's top-left */
	int cell;
} cf_heatpic_frame;
/* The frame of the PNG cf_heatmap_write_png would write for p. */

/* Write the picture as SVG or as PNG.  Return a status; err names the
 * file and the reason. */
/* By the name's ending: ".svg" or ".png" (any case); CF_EINVAL otherwise. */
int cf_heatmap_write_picture(const cf_heatmap *h, const char *path, const char *title,
			     const char *xlabel, const char *ylabel, cf_error *err);
/* Nonzero when path ends in ".svg" or ".png" (any case). */
int cf_picture_kind(const char *path);
#define CF_PICTURE_SVG 1
#define CF_PICTURE_PNG 2

#endif
