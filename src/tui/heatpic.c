/* heatpic.c — what the SVG and PNG pictures of a heatmap share
 * (heatpic.h): the pooling, the colours, the caption, the choice by name. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmap.h"
#include "heatsvg.h"
#include "heatpng.h"
#include "heatpic.h"

int cf_heatpic_pool(const cf_heatmap *h, int max, cf_heatpic *p, cf_error *err)
{
	memset(p, 0, sizeof *p);
	if (!h->data || h->rows < 1 || h->cols < 1)
		return cf_error_set(err, CF_EINVAL, "picture: no matrix to draw");
	p->by = (h->rows + max - 1) / max;
	p->bx = (h->cols + max - 1) / max;
	p->nr = (h->rows + p->by - 1) / p->by;
	p->nc = (h->cols + p->bx - 1) / p->bx;
	if (!(p->v = malloc((size_t)(p->nr * p->nc) * sizeof *p->v)))
		return cf_error_set(err, CF_ENOMEM, "picture: out of memory");
	p->lo = INFINITY;
	p->hi = -INFINITY;
	for (int64_t i = 0; i < p->nr; i++)
		for (int64_t j = 0; j < p->nc; j++) {
			double s = 0, x;
			int64_t k = 0;
			for (int64_t r = i * p->by; r < (i + 1) * p->by && r < h->rows; r++)
				for (int64_t q = j * p->bx; q < (j + 1) * p->bx && q < h->cols; q++, k++)
					if (isfinite(h->data[r * h->cols + q]))
						s += h->data[r * h->cols + q];
			x = p->v[i * p->nc + j] = h->pool == CF_POOL_SUM || !k ? s : s / (double)k;
			if (!isfinite(x) || (h->scale == CF_SCALE_LOG && !(x > 0)))
				continue;
			p->lo = fmin(p->lo, x);
			p->hi = fmax(p->hi, x);
		}
	if (p->lo > p->hi)
		p->lo = p->hi = 0;
	/* a decade at least: a plan whose entries are all 1/n would otherwise
	 * put them at the bottom of the scale, the colour of its zeros */
	if (h->scale == CF_SCALE_LOG && p->hi > 0 && p->lo > p->hi / 10)
		p->lo = p->hi / 10;
	/* the heatmap's own limit: smaller values are rounding noise */
	if (h->scale == CF_SCALE_LOG && p->hi > 0 &&
	    p->lo < p->hi * pow(10, -CF_HEATMAP_LOG_DECADES))
		p->lo = p->hi * pow(10, -CF_HEATMAP_LOG_DECADES);
	return CF_OK;
}

void cf_heatpic_release(cf_heatpic *p)
{
	free(p->v);
	p->v = NULL;
}

void cf_heatpic_colour(const cf_heatmap *h, double x, double lo, double hi, uint8_t rgb[3])
{
	double t;
	if (h->scale == CF_SCALE_LOG)
		t = x > 0 && lo > 0 && hi > lo ? (log10(x) - log10(lo)) / (log10(hi) - log10(lo)) : 0;
	else
		t = hi > lo ? (x - lo) / (hi - lo) : 0.5;
	cf_cmap_rgb(h->cmap, isfinite(t) ? t : 0, rgb);
}

const char *cf_heatpic_caption(const cf_heatmap *h, const cf_heatpic *p, char *buf, int size)
{
	snprintf(buf, (size_t)size, "%s, %s", h->scale == CF_SCALE_LOG ? "log" : "linear",
		 p->by > 1 || p->bx > 1 ? (h->pool == CF_POOL_SUM ? "block sums" : "block means")
					: "one cell each");
	return buf;
}

int cf_picture_kind(const char *path)
{
	size_t n = strlen(path);
	if (n > 4 && !strcasecmp(path + n - 4, ".svg"))
		return CF_PICTURE_SVG;
	if (n > 4 && !strcasecmp(path + n - 4, ".png"))
		return CF_PICTURE_PNG;
	return 0;
}

int cf_heatmap_write_picture(const cf_heatmap *h, const char *path, const char *title,
			     const char *xlabel, const char *ylabel, cf_error *err)
{
	switch (cf_picture_kind(path)) {
	case CF_PICTURE_SVG:
		return cf_heatmap_write_svg(h, path, title, xlabel, ylabel, err);
	case CF_PICTURE_PNG:
		return cf_heatmap_write_png(h, path, title, xlabel, ylabel, err);
	default:
		return cf_error_set(err, CF_EINVAL, "%s: a picture's name ends in .svg or .png", path);
	}
}
