/* curvepic.c — a curve as SVG or PNG (curvepic.h).  Both formats share one
 * layout (plot box, ticks, margins) so that they show the same picture. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "core/session.h"
#include "core/outfile.h"
#include "heatsvg.h"
#include "curvepic.h"
#include "heatpic.h"

#define FS 2          /* PNG font scale */
#define GH (7 * FS)   /* PNG glyph height */
#define PW 520        /* plot box, pixels */
#define PH 300
#define ML 100        /* margins: left (y numbers and name), top, right, bottom */
#define MT 44
#define MR 24
#define MB 64

typedef struct layout {
	double lo, hi; /* y range of the box */
	int n;
	const double *y;
} layout;

static int px_x(const layout *L, int k) /* point k (0-based) */
{
	return ML + (L->n > 1 ? (int)lround((double)k * PW / (L->n - 1)) : PW / 2);
}

static int px_y(const layout *L, double v)
{
	return MT + PH - (int)lround((v - L->lo) / (L->hi - L->lo) * PH);
}

/* the range of the finite points, widened to one decimal each way so that
 * the ends are numbers a reader can use; a flat curve gets ±1 */
static int range(const double *y, int n, layout *L)
{
	double lo = INFINITY, hi = -INFINITY;
	for (int k = 0; k < n; k++)
		if (isfinite(y[k])) {
			lo = fmin(lo, y[k]);
			hi = fmax(hi, y[k]);
		}
	if (lo > hi)
		return -1;
	lo = floor(lo * 10) / 10;
	hi = ceil(hi * 10) / 10;
	if (hi - lo < 1e-9) {
		lo -= 1;
		hi += 1;
	}
	L->lo = lo;
	L->hi = hi;
	L->n = n;
	L->y = y;
	return 0;
}


static void write_svg(FILE *f, const layout *L, const char *title, const char *xlabel,
		      const char *ylabel)
{
	int first = 1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		   "<text x=\"%d\" y=\"24\" font-size=\"15\">", ML + PW + MR, MT + PH + MB, 12);
	cf_svg_text(f, title);
	fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		   "stroke=\"#888888\"/>\n", ML, MT, PW, PH);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>\n", ML - 6, MT + 10,
		L->hi);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f</text>\n", ML - 6, MT + PH,
		L->lo);
	fprintf(f, "<text x=\"%d\" y=\"%d\">1</text>\n", ML, MT + PH + 16);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n", ML + PW, MT + PH + 16,
		L->n);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", ML + PW / 2, MT + PH + 40);
	cf_svg_text(f, xlabel);
	fprintf(f, "</text>\n<text transform=\"translate(%d,%d) rotate(-90)\" "
		   "text-anchor=\"middle\">", 24, MT + PH / 2);
	cf_svg_text(f, ylabel);
	fprintf(f, "</text>\n<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" "
		   "points=\"");
	for (int k = 0; k < L->n; k++)
		if (isfinite(L->y[k])) {
			fprintf(f, "%s%d,%d", first ? "" : " ", px_x(L, k), px_y(L, L->y[k]));
			first = 0;
		}
	fprintf(f, "\"/>\n");
	for (int k = 0; k < L->n; k++)
		if (isfinite(L->y[k]))
			fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"#1f77b4\"/>\n",
				px_x(L, k), px_y(L, L->y[k]));
	fprintf(f, "</svg>\n");
}

static int write_png(const layout *L, const char *path, const char *title, const char *xlabel,
		     const char *ylabel, cf_error *err)
{
	static const uint8_t ink[3] = {0, 0, 0}, frame[3] = {0x88, 0x88, 0x88},
			     line[3] = {0x1f, 0x77, 0xb4};
	char num[32];
	int W = ML + PW + MR, rc, px = -1, py = -1;
	cf_canvas *c;

	if (cf_canvas_text_width(title, FS) + 24 > W)
		W = cf_canvas_text_width(title, FS) + 24;
	if (!(c = cf_canvas_alloc(W, MT + PH + MB)))
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	cf_canvas_text(c, 12, 12, FS, CF_CANVAS_LEFT, 0, title, ink);
	cf_canvas_rect(c, ML, MT, PW, 1, frame);
	cf_canvas_rect(c, ML, MT + PH, PW + 1, 1, frame);
	cf_canvas_rect(c, ML, MT, 1, PH, frame);
	cf_canvas_rect(c, ML + PW, MT, 1, PH, frame);
	snprintf(num, sizeof num, "%.1f", L->hi);
	cf_canvas_text(c, ML - 6, MT, FS, CF_CANVAS_RIGHT, 0, num, ink);
	snprintf(num, sizeof num, "%.1f", L->lo);
	cf_canvas_text(c, ML - 6, MT + PH - GH, FS, CF_CANVAS_RIGHT, 0, num, ink);
	cf_canvas_text(c, ML, MT + PH + 6, FS, CF_CANVAS_LEFT, 0, "1", ink);
	snprintf(num, sizeof num, "%d", L->n);
	cf_canvas_text(c, ML + PW, MT + PH + 6, FS, CF_CANVAS_RIGHT, 0, num, ink);
	cf_canvas_text(c, ML + PW / 2, MT + PH + 6 + GH + 10, FS, CF_CANVAS_CENTRE, 0, xlabel, ink);
	cf_canvas_text(c, 12, MT + PH / 2, FS, CF_CANVAS_CENTRE, 1, ylabel, ink);
	for (int k = 0; k < L->n; k++) {
		int x, y;
		if (!isfinite(L->y[k]))
			continue;
		x = px_x(L, k);
		y = px_y(L, L->y[k]);
		if (px >= 0)
			cf_canvas_line(c, px, py, x, y, 2, line);
		cf_canvas_rect(c, x - 3, y - 3, 7, 7, line);
		px = x;
		py = y;
	}
	rc = cf_canvas_write_png(c, path, err);
	cf_canvas_free(c);
	return rc;
}

int cf_curve_write_picture(const double *y, int n, const char *path, const char *title,
			   const char *xlabel, const char *ylabel, cf_error *err)
{
	layout L;
	cf_outfile o;
	int kind = cf_picture_kind(path), rc;

	if (!kind)
		return cf_error_set(err, CF_EINVAL, "%s: a picture's name ends in .svg or .png", path);
	if (n < 1 || range(y, n, &L))
		return cf_error_set(err, CF_EINVAL, "%s: the curve has no finite point to draw", path);
	if (kind == CF_PICTURE_PNG)
		return write_png(&L, path, title, xlabel, ylabel, err);
	if ((rc = cf_outfile_open(&o, path, err)))
		return rc;
	write_svg(o.f, &L, title, xlabel, ylabel);
	return cf_outfile_commit(&o, err);
}

int cf_finetune_write_picture(const cf_session_finetune *ft, const char *path, cf_error *err)
{
	char title[96];
	double *a;
	int rc;

	if (!ft || ft->epochs < 1 || !ft->res)
		return cf_error_set(err, CF_EINVAL, "%s: no finetuning curve yet (finetune.epochs is 0 "
				    "or the step has not run)", path);
	if (!(a = malloc((size_t)ft->epochs * sizeof *a)))
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	for (int e = 0; e < ft->epochs; e++)
		a[e] = 100 * ft->res[e].test_acc;
	snprintf(title, sizeof title, "Finetuning the fused model: best %.2f%% (epoch %d of %d)",
		 100 * ft->best_acc, ft->best_epoch, ft->epochs);
	rc = cf_curve_write_picture(a, ft->epochs, path, title, "epoch", "test accuracy (%)", err);
	free(a);
	return rc;
}
