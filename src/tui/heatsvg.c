/* heatsvg.c — a heatmap as an SVG picture for slides and papers: the
 * matrix (pooled to at most SVG_MAX cells a side, as the heatmap pools:
 * sums for plans, means for costs), its colour scale (linear or log, the
 * heatmap's map) with a legend, a title and the axes named.  Curses-free.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmap.h"
#include "heatmap.h"

#define SVG_MAX 200

/* XML-safe text */
static void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

static void colour(const cf_heatmap *h, double x, double lo, double hi, char out[8])
{
	uint8_t rgb[3];
	double t;
	if (h->scale == CF_SCALE_LOG)
		t = x > 0 && lo > 0 && hi > lo ? (log10(x) - log10(lo)) / (log10(hi) - log10(lo)) : 0;
	else
		t = hi > lo ? (x - lo) / (hi - lo) : 0.5;
	cf_cmap_rgb(h->cmap, isfinite(t) ? t : 0, rgb);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static int write_svg(FILE *f, const cf_heatmap *h, const char *title, const char *xlabel,
		     const char *ylabel)
{
	int64_t by = (h->rows + SVG_MAX - 1) / SVG_MAX, bx = (h->cols + SVG_MAX - 1) / SVG_MAX;
	int64_t nr = (h->rows + by - 1) / by, nc = (h->cols + bx - 1) / bx;
	double *v = malloc((size_t)(nr * nc) * sizeof *v), lo = INFINITY, hi = -INFINITY;
	int cell = (int)(400 / (nr > nc ? nr : nc)), ml = 70, mt = 40, W, H;
	char c[8];

	if (!v)
		return ENOMEM;
	if (cell < 2)
		cell = 2;
	for (int64_t i = 0; i < nr; i++)
		for (int64_t j = 0; j < nc; j++) {
			double s = 0;
			int64_t k = 0;
			for (int64_t r = i * by; r < (i + 1) * by && r < h->rows; r++)
				for (int64_t q = j * bx; q < (j + 1) * bx && q < h->cols; q++, k++)
					s += h->data[r * h->cols + q];
			v[i * nc + j] = h->pool == CF_POOL_SUM || !k ? s : s / (double)k;
			if (!isfinite(v[i * nc + j]) || (h->scale == CF_SCALE_LOG && !(v[i * nc + j] > 0)))
				continue;
			lo = fmin(lo, v[i * nc + j]);
			hi = fmax(hi, v[i * nc + j]);
		}
	if (lo > hi)
		lo = hi = 0;
	if (h->scale == CF_SCALE_LOG && hi > 0 && lo < hi * 1e-12)
		lo = hi * 1e-12;
	W = ml + (int)nc * cell + 150;
	H = mt + (int)nr * cell + 60;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%d\" y=\"24\" "
		   "font-size=\"15\">", W, H, ml);
	put_text(f, title);
	fprintf(f, "</text>\n<g shape-rendering=\"crispEdges\">\n");
	for (int64_t i = 0; i < nr; i++)
		for (int64_t j = 0; j < nc; j++) {
			colour(h, v[i * nc + j], lo, hi, c);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
				ml + (int)j * cell, mt + (int)i * cell, cell, cell, c);
		}
	fprintf(f, "</g>\n");
	/* the axes: first and last index, and what they count */
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", ml - 4, mt + 10);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", ml - 4,
		mt + (int)nr * cell, (long long)h->rows - 1);
	fprintf(f, "<text x=\"%d\" y=\"%d\">0</text>\n", ml, mt + (int)nr * cell + 16);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", ml + (int)nc * cell,
		mt + (int)nr * cell + 16, (long long)h->cols - 1);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", ml + (int)nc * cell / 2,
		mt + (int)nr * cell + 40);
	put_text(f, xlabel);
	fprintf(f, "</text>\n<text transform=\"translate(%d,%d) rotate(-90)\" "
		   "text-anchor=\"middle\">", 20, mt + (int)nr * cell / 2);
	put_text(f, ylabel);
	fprintf(f, "</text>\n");
	/* the legend: the colour scale with its ends and kind */
	{
		int lx = ml + (int)nc * cell + 20, lh = (int)nr * cell < 120 ? 120 : (int)nr * cell;
		for (int k = 0; k < 64; k++) {
			double t = 1 - (k + 0.5) / 64, x = h->scale == CF_SCALE_LOG && lo > 0
								 ? lo * pow(hi / lo, t)
								 : lo + t * (hi - lo);
			colour(h, x, lo, hi, c);
			fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"16\" height=\"%.1f\" fill=\"%s\"/>\n",
				lx, mt + k * lh / 64.0, lh / 64.0 + 0.5, c);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\">%.4g</text>\n", lx + 22, mt + 10, hi);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%.4g</text>\n", lx + 22, mt + lh, lo);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s, %s</text>\n", lx, mt + lh + 18,
			h->scale == CF_SCALE_LOG ? "log" : "linear",
			by > 1 || bx > 1 ? (h->pool == CF_POOL_SUM ? "block sums" : "block means")
					 : "one cell each");
	}
	fprintf(f, "</svg>\n");
	free(v);
	return ferror(f) ? EIO : 0;
}

int cf_heatmap_write_svg(const cf_heatmap *h, const char *path, const char *title,
			 const char *xlabel, const char *ylabel)
{
	char tmp[4096];
	FILE *f;
	int e;

	if (!h->data || h->rows < 1 || h->cols < 1) {
		errno = EINVAL;
		return -1;
	}
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!(f = fopen(tmp, "w")))
		return -1;
	e = write_svg(f, h, title, xlabel, ylabel);
	if (fclose(f) && !e)
		e = errno ? errno : EIO;
	if (!e && rename(tmp, path))
		e = errno;
	if (e) {
		remove(tmp);
		errno = e;
		return -1;
	}
	return 0;
}
