/* heatmap.c — half-block heatmaps pooled through a summed-area table.
 *
 * See heatmap.h.  Rendering is two passes over the visible pixels: pool
 * every pixel (four table lookups each), then colour them against the range
 * of what is visible (or a fixed range).  Nothing here touches the matrix
 * itself except the cursor's exact value, so the cost of a frame depends on
 * the screen size only.
 */
#include "heatmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmap.h"

#define LEGEND_W 12      /* "▀▀ " + a 9-character label */
#define MARGIN_W 5       /* a blank and 4 cells of row bars */
#define MARGIN_H 2       /* 2 rows of column bars: 16 levels */
#define MAX_ZOOM_IN 16.0 /* at most 16 pixels per matrix cell */

cf_heatmap *cf_heatmap_alloc(const char *label, int pool)
{
	cf_heatmap *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	snprintf(h->label, sizeof h->label, "%s", label ? label : "");
	h->pool = pool;
	h->show_legend = 1;
	return h;
}

void cf_heatmap_free(cf_heatmap *h)
{
	if (!h)
		return;
	free(h->sat);
	free(h->pix);
	free(h->mark);
	free(h);
}

int cf_heatmap_set_data(cf_heatmap *h, const double *data, int64_t rows, int64_t cols)
{
	int64_t W = cols + 1;
	double *sat;

	if (!data || rows < 1 || cols < 1) {
		free(h->sat);
		h->sat = NULL;
		h->data = NULL;
		h->rows = h->cols = 0;
		return data ? -1 : 0;
	}
	if (h->sat && h->rows == rows && h->cols == cols)
		sat = h->sat;
	else {
		free(h->sat);
		h->sat = NULL;
		sat = malloc((size_t)(rows + 1) * (size_t)W * sizeof *sat);
		if (!sat) {
			h->data = NULL;
			h->rows = h->cols = 0;
			return -1;
		}
	}
	h->sat = sat;
	h->data = data;
	h->rows = rows;
	h->cols = cols;
	h->nonfinite = 0;
	h->dmin = INFINITY;
	h->dmax = -INFINITY;
	for (int64_t j = 0; j < W; j++)
		sat[j] = 0;
	for (int64_t i = 0; i < rows; i++) {
		const double *d = data + i * cols;
		const double *up = sat + i * W;
		double *row = sat + (i + 1) * W;
		double run = 0;
		row[0] = 0;
		for (int64_t j = 0; j < cols; j++) {
			double x = d[j];
			if (!isfinite(x)) {
				h->nonfinite++;
				x = 0;
			} else {
				if (x < h->dmin)
					h->dmin = x;
				if (x > h->dmax)
					h->dmax = x;
			}
			run += x;
			row[j + 1] = up[j + 1] + run;
		}
	}
	h->total = sat[rows * W + cols];
	return 0;
}

/* The integral F(y, x) = Σ over [0,y)×[0,x), exact for fractional y, x:
 * within a cell the integral of a piecewise-constant function is bilinear,
 * so interpolating the table bilinearly gives it exactly. */
static double sat_at(const cf_heatmap *h, double y, double x)
{
	int64_t W = h->cols + 1, i, j;
	double fy, fx, v;
	const double *p;

	if (y <= 0 || x <= 0)
		return 0;
	if (y >= (double)h->rows) {
		i = h->rows;
		fy = 0;
	} else {
		i = (int64_t)y;
		fy = y - (double)i;
	}
	if (x >= (double)h->cols) {
		j = h->cols;
		fx = 0;
	} else {
		j = (int64_t)x;
		fx = x - (double)j;
	}
	p = h->sat + i * W + j;
	v = p[0] * (1 - fy) * (1 - fx);
	if (fx > 0)
		v += p[1] * (1 - fy) * fx;
	if (fy > 0) {
		v += p[W] * fy * (1 - fx);
		if (fx > 0)
			v += p[W + 1] * fy * fx;
	}
	return v;
}

double cf_heatmap_block_sum(const cf_heatmap *h, double y0, double y1, double x0, double x1)
{
	if (!h->sat || !(y1 > y0) || !(x1 > x0))
		return 0;
	return sat_at(h, y1, x1) - sat_at(h, y0, x1) - sat_at(h, y1, x0) + sat_at(h, y0, x0);
}

/* ---- view ---- */

void cf_heatmap_view_init(cf_heatmap_view *v)
{
	memset(v, 0, sizeof *v);
	v->sy = v->sx = 1;
}

static double clampd(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

void cf_heatmap_view_image(const cf_heatmap_view *v, int *ih, int *iw)
{
	double h = ceil(((double)v->rows - v->r0) / v->sy - 1e-9);
	double w = ceil(((double)v->cols - v->c0) / v->sx - 1e-9);
	*ih = (int)clampd(h, 0, v->hpx);
	*iw = (int)clampd(w, 0, v->wpx);
}

static void view_clamp(cf_heatmap_view *v)
{
	int ih, iw;
	v->r0 = clampd(v->r0, 0, fmax(0, (double)v->rows - v->hpx * v->sy));
	v->c0 = clampd(v->c0, 0, fmax(0, (double)v->cols - v->wpx * v->sx));
	cf_heatmap_view_image(v, &ih, &iw);
	v->cy = (int)clampd(v->cy, 0, ih > 0 ? ih - 1 : 0);
	v->cx = (int)clampd(v->cx, 0, iw > 0 ? iw - 1 : 0);
}

/* Cells per pixel at fit-to-view: each axis on its own (fill) or the
 * larger of the two on both (square). */
static void fit_scale(const cf_heatmap_view *v, double *sy, double *sx)
{
	double fy = (double)v->rows / v->hpx, fx = (double)v->cols / v->wpx;
	if (v->square)
		fy = fx = fmax(fy, fx);
	*sy = fy > 0 ? fy : 1;
	*sx = fx > 0 ? fx : 1;
}

/* Scale at zoom z, with z lowered until no axis passes 16 pixels per cell
 * (z = 0 always allowed: fit may already enlarge a tiny matrix more). */
static int apply_zoom(cf_heatmap_view *v, int z)
{
	double fy, fx;
	fit_scale(v, &fy, &fx);
	if (z < 0)
		z = 0;
	while (z > 0 && fmin(fy, fx) / ldexp(1, z) < 1 / MAX_ZOOM_IN)
		z--;
	v->zoom = z;
	v->sy = fy / ldexp(1, z);
	v->sx = fx / ldexp(1, z);
	return z;
}

void cf_heatmap_view_layout(cf_heatmap_view *v, int64_t rows, int64_t cols, int hpx, int wpx)
{
	v->rows = rows > 0 ? rows : 0;
	v->cols = cols > 0 ? cols : 0;
	v->hpx = hpx > 1 ? hpx : 1;
	v->wpx = wpx > 1 ? wpx : 1;
	apply_zoom(v, v->zoom);
	view_clamp(v);
}

void cf_heatmap_view_move(cf_heatmap_view *v, int dy, int dx)
{
	int ih, iw;

	cf_heatmap_view_image(v, &ih, &iw);
	v->cy += dy;
	v->cx += dx;
	/* off the image: pan by the overshoot, then clamp */
	if (v->cy < 0)
		v->r0 += v->cy * v->sy;
	else if (v->cy >= ih)
		v->r0 += (v->cy - ih + 1) * v->sy;
	if (v->cx < 0)
		v->c0 += v->cx * v->sx;
	else if (v->cx >= iw)
		v->c0 += (v->cx - iw + 1) * v->sx;
	view_clamp(v);
}

/* Re-scale to zoom z (or to the other aspect) keeping the matrix point
 * under the cursor under the cursor. */
static void rescale(cf_heatmap_view *v, int z)
{
	double pr = v->r0 + (v->cy + 0.5) * v->sy;
	double pc = v->c0 + (v->cx + 0.5) * v->sx;

	apply_zoom(v, z);
	v->r0 = pr - (v->cy + 0.5) * v->sy;
	v->c0 = pc - (v->cx + 0.5) * v->sx;
	view_clamp(v);
	v->cy = (int)floor((pr - v->r0) / v->sy);
	v->cx = (int)floor((pc - v->c0) / v->sx);
	view_clamp(v);
}

void cf_heatmap_view_zoom(cf_heatmap_view *v, int dz)
{
	rescale(v, v->zoom + dz);
}

void cf_heatmap_view_fit(cf_heatmap_view *v)
{
	rescale(v, 0);
}

void cf_heatmap_view_set_square(cf_heatmap_view *v, int square)
{
	v->square = !!square;
	rescale(v, v->zoom);
}

/* One axis of a pixel's block: [o + p·s, +s), or the whole cell under the
 * pixel's centre when a cell spans a pixel or more (s ≤ 1). */
static void axis_block(double o, double s, int p, int64_t n, double *a0, double *a1)
{
	if (s <= 1) {
		double c = floor(o + (p + 0.5) * s);
		*a0 = fmin(c, (double)n);
		*a1 = fmin(c + 1, (double)n);
		return;
	}
	*a0 = fmin(o + p * s, (double)n);
	*a1 = fmin(*a0 + s, (double)n);
}

void cf_heatmap_view_block(const cf_heatmap_view *v, int py, int px, double *y0, double *y1,
			   double *x0, double *x1)
{
	axis_block(v->r0, v->sy, py, v->rows, y0, y1);
	axis_block(v->c0, v->sx, px, v->cols, x0, x1);
}

/* The cell under the centre of a pixel, clamped to the matrix. */
static void pixel_cell(const cf_heatmap_view *v, int py, int px, int64_t *r, int64_t *c)
{
	*r = (int64_t)floor(v->r0 + (py + 0.5) * v->sy);
	*c = (int64_t)floor(v->c0 + (px + 0.5) * v->sx);
	if (*r >= v->rows)
		*r = v->rows - 1;
	if (*c >= v->cols)
		*c = v->cols - 1;
	if (*r < 0)
		*r = 0;
	if (*c < 0)
		*c = 0;
}

double cf_heatmap_pixel(const cf_heatmap *h, const cf_heatmap_view *v, int py, int px)
{
	double y0, y1, x0, x1, area, sum;

	cf_heatmap_view_block(v, py, px, &y0, &y1, &x0, &x1);
	area = (y1 - y0) * (x1 - x0);
	if (!(area > 0))
		return NAN;
	if (v->sy <= 1 && v->sx <= 1 && h->data) {
		/* a pixel no bigger than a cell shows the cell under its centre,
		 * read exactly: table differences would lose tiny plan entries */
		int64_t r, c;
		pixel_cell(v, py, px, &r, &c);
		sum = h->data[r * h->cols + c];
		return isfinite(sum) ? sum : NAN;
	}
	/* on an enlarged axis the block is one whole cell (axis_block), so a
	 * sum is a sum of whole cells and keeps the pooled marginals */
	sum = cf_heatmap_block_sum(h, y0, y1, x0, x1);
	return h->pool == CF_POOL_SUM ? sum : sum / area;
}

double cf_heatmap_unit(const cf_heatmap *h, double x)
{
	if (isnan(x))
		return NAN;
	if (h->scale == CF_SCALE_LOG) {
		double l0, l1;
		/* zero (most of an exact plan) and negatives lie below any log
		 * range: the lowest colour, like values under the floor; only
		 * NaN (no value) keeps the default background */
		if (!(x > 0) || !(h->lo > 0))
			return 0;
		l0 = log10(h->lo);
		l1 = log10(h->hi);
		return l1 > l0 ? clampd((log10(x) - l0) / (l1 - l0), 0, 1) : 0.5;
	}
	return h->hi > h->lo ? clampd((x - h->lo) / (h->hi - h->lo), 0, 1) : 0.5;
}

/* ---- rendering ---- */

static void range_of_pixels(cf_heatmap *h, int n)
{
	double lo = INFINITY, hi = -INFINITY;

	if (h->fixed_range) {
		h->lo = h->vmin;
		h->hi = h->vmax;
		return;
	}
	for (int k = 0; k < n; k++) {
		double x = h->pix[k];
		if (!isfinite(x) || (h->scale == CF_SCALE_LOG && !(x > 0)))
			continue;
		if (x < lo)
			lo = x;
		if (x > hi)
			hi = x;
	}
	if (lo > hi)
		lo = hi = 0;
	if (h->scale == CF_SCALE_LOG && hi > 0 && lo < hi * pow(10, -CF_HEATMAP_LOG_DECADES))
		lo = hi * pow(10, -CF_HEATMAP_LOG_DECADES);
	h->lo = lo;
	h->hi = hi;
}

static uint32_t cursor_colour(const cf_heatmap *h, int mode)
{
	if (h->cmap == CF_CMAP_VIRIDIS)
		return mode == CF_MODE_RGB ? CF_COL_RGB(255, 255, 255) : CF_COL_IDX(231);
	return mode == CF_MODE_RGB ? CF_COL_RGB(0, 255, 255) : CF_COL_IDX(51);
}

static uint32_t path_colour(int mode)
{
	return mode == CF_MODE_RGB ? CF_COL_RGB(255, 0, 0) : CF_COL_IDX(196);
}

/* Colour of pixel k: NaN (no value: outside the matrix) shows the default
 * background; every value, zero included, a colour of the map. */
static uint32_t pixel_colour(const cf_heatmap *h, int mode, double t)
{
	return isnan(t) ? CF_COL_DEFAULT : cf_cmap_colour(h->cmap, t, mode);
}

static void draw_image(cf_heatmap *h, const cf_heatmap_view *v, cf_grid *g, int ih, int iw)
{
	int colour = g->mode == CF_MODE_256 || g->mode == CF_MODE_RGB;
	uint32_t pfg, pbg;
	int pattr;

	cf_grid_role(g, CF_ROLE_PATH, &pfg, &pbg, &pattr);
	for (int y = 0; y < (ih + 1) / 2; y++) {
		for (int x = 0; x < iw; x++) {
			int kt = 2 * y * iw + x, kb = kt + iw;
			int has_b = 2 * y + 1 < ih;
			double tt = cf_heatmap_unit(h, h->pix[kt]);
			double tb = has_b ? cf_heatmap_unit(h, h->pix[kb]) : NAN;
			int cur_t = v->cy == 2 * y && v->cx == x;
			int cur_b = v->cy == 2 * y + 1 && v->cx == x;
			int path = h->mark[kt] || (has_b && h->mark[kb]);
			int gy = h->img.y + y, gx = h->img.x + x;

			if (colour) {
				uint32_t fg = h->mark[kt] ? path_colour(g->mode)
							  : pixel_colour(h, g->mode, tt);
				uint32_t bg = !has_b ? CF_COL_DEFAULT
					      : h->mark[kb] ? path_colour(g->mode)
							    : pixel_colour(h, g->mode, tb);
				if (cur_t)
					fg = cursor_colour(h, g->mode);
				if (cur_b)
					bg = cursor_colour(h, g->mode);
				cf_grid_set(g, gy, gx, 0x2580, fg, bg, 0);
			} else {
				/* one level per cell: the mean of its two pixels */
				double t = has_b && !isnan(tb) ? (isnan(tt) ? tb : (tt + tb) / 2) : tt;
				uint32_t ch = path ? '*' : cf_cmap_shade(t);
				int attr = path ? pattr : 0;
				if (cur_t || cur_b) {
					attr |= CF_A_REVERSE;
					if (ch == ' ')
						ch = '+';
				}
				cf_grid_set(g, gy, gx, ch, CF_COL_DEFAULT, CF_COL_DEFAULT, attr);
			}
		}
	}
}

/* Pixels [*p0, *p1] that show matrix index i along one axis: the pixel
 * holding its centre when pooled, every pixel of the cell when enlarged. */
static void axis_pixels(double i, double o, double s, int *p0, int *p1)
{
	if (s <= 1) {
		*p0 = (int)ceil((i - o) / s - 0.5 - 1e-9);
		*p1 = (int)ceil((i + 1 - o) / s - 0.5 - 1e-9) - 1;
		if (*p1 < *p0)
			*p1 = *p0;
	} else
		*p0 = *p1 = (int)floor((i + 0.5 - o) / s);
}

static void mark_path(cf_heatmap *h, const cf_heatmap_view *v, int ih, int iw)
{
	memset(h->mark, 0, (size_t)ih * (size_t)iw);
	for (int64_t k = 0; k < h->path_len; k++) {
		int y0, y1, x0, x1;
		axis_pixels((double)h->path[2 * k], v->r0, v->sy, &y0, &y1);
		axis_pixels((double)h->path[2 * k + 1], v->c0, v->sx, &x0, &x1);
		for (int y = y0 > 0 ? y0 : 0; y <= y1 && y < ih; y++)
			for (int x = x0 > 0 ? x0 : 0; x <= x1 && x < iw; x++)
				h->mark[y * iw + x] = 1;
	}
}

/* Row sums (or means) to the right of the image, column sums below it,
 * each scaled to the largest visible band. */
static void draw_marginals(const cf_heatmap *h, const cf_heatmap_view *v, cf_grid *g, int ih,
			   int iw)
{
	static const uint32_t hbar[8] = {0x258f, 0x258e, 0x258d, 0x258c,
					 0x258b, 0x258a, 0x2589, 0x2588};
	static const uint32_t vbar[8] = {0x2581, 0x2582, 0x2583, 0x2584,
					 0x2585, 0x2586, 0x2587, 0x2588};
	int hrows = (ih + 1) / 2, bw = MARGIN_W - 1;
	double band[512], top = 0;
	uint32_t fg, bg;
	int attr;

	cf_grid_role(g, CF_ROLE_FRAME, &fg, &bg, &attr);
	for (int y = 0; y < hrows && y < 512; y++) {
		double y0, y1, x0, x1, b0, b1;
		cf_heatmap_view_block(v, 2 * y, 0, &y0, &b1, &x0, &x1);
		cf_heatmap_view_block(v, 2 * y + 1, 0, &b0, &y1, &x0, &x1);
		if (2 * y + 1 >= ih || y1 < b1)
			y1 = b1;
		band[y] = cf_heatmap_block_sum(h, y0, y1, 0, (double)h->cols);
		if (h->pool == CF_POOL_MEAN && y1 > y0)
			band[y] /= (y1 - y0) * (double)h->cols;
		if (fabs(band[y]) > top)
			top = fabs(band[y]);
	}
	for (int y = 0; y < hrows && y < 512; y++) {
		int eighths = top > 0 ? (int)lround(fabs(band[y]) / top * bw * 8) : 0;
		for (int c = 0; c < bw; c++) {
			int e = eighths - 8 * c;
			uint32_t ch = e >= 8 ? hbar[7] : e > 0 ? hbar[e - 1] : ' ';
			cf_grid_set(g, h->img.y + y, h->img.x + iw + 1 + c, ch, fg, bg, attr);
		}
	}
	top = 0;
	for (int x = 0; x < iw && x < 512; x++) {
		double y0, y1, x0, x1;
		cf_heatmap_view_block(v, 0, x, &y0, &y1, &x0, &x1);
		band[x] = cf_heatmap_block_sum(h, 0, (double)h->rows, x0, x1);
		if (h->pool == CF_POOL_MEAN && x1 > x0)
			band[x] /= (x1 - x0) * (double)h->rows;
		if (fabs(band[x]) > top)
			top = fabs(band[x]);
	}
	for (int x = 0; x < iw && x < 512; x++) {
		int level = top > 0 ? (int)lround(fabs(band[x]) / top * 16) : 0;
		int low = level > 8 ? 8 : level, high = level - 8;
		int gy = h->img.y + hrows;
		cf_grid_set(g, gy + 1, h->img.x + x, low > 0 ? vbar[low - 1] : ' ', fg, bg, attr);
		cf_grid_set(g, gy, h->img.x + x, high > 0 ? vbar[high - 1] : ' ', fg, bg, attr);
	}
}

static void fmt_value(char *buf, size_t size, double x)
{
	snprintf(buf, size, "%.3g", x);
}

static void draw_legend(cf_heatmap *h, cf_grid *g, int lx, int ly, int lh, int room)
{
	int colour = g->mode == CF_MODE_256 || g->mode == CF_MODE_RGB;
	char buf[32];

	if (lh < 2)
		return;
	for (int y = 0; y < lh; y++) {
		double tt = 1 - (2.0 * y) / (2 * lh - 1), tb = 1 - (2.0 * y + 1) / (2 * lh - 1);
		for (int x = 0; x < 2; x++) {
			if (colour)
				cf_grid_set(g, ly + y, lx + x, 0x2580, cf_cmap_colour(h->cmap, tt, g->mode),
					    cf_cmap_colour(h->cmap, tb, g->mode), 0);
			else
				cf_grid_set(g, ly + y, lx + x, cf_cmap_shade((tt + tb) / 2),
					    CF_COL_DEFAULT, CF_COL_DEFAULT, 0);
		}
	}
	fmt_value(buf, sizeof buf, h->hi);
	cf_grid_puts(g, ly, lx + 3, LEGEND_W - 3, CF_ROLE_NORMAL, buf);
	fmt_value(buf, sizeof buf, h->lo);
	cf_grid_puts(g, ly + lh - 1, lx + 3, LEGEND_W - 3, CF_ROLE_NORMAL, buf);
	if (lh >= 5) {
		double mid = h->scale == CF_SCALE_LOG && h->lo > 0 ? sqrt(h->lo * h->hi)
								   : (h->lo + h->hi) / 2;
		fmt_value(buf, sizeof buf, mid);
		cf_grid_puts(g, ly + (lh - 1) / 2, lx + 3, LEGEND_W - 3, CF_ROLE_DIM, buf);
	}
	/* below the bar: scale and, on 256 colours, the honest number of steps */
	if (room >= 1)
		cf_grid_printf(g, ly + lh, lx, LEGEND_W, CF_ROLE_DIM, "%s %s",
			       h->scale == CF_SCALE_LOG ? "log" : "lin",
			       h->pool == CF_POOL_SUM ? "sum" : "mean");
	if (room >= 2) {
		if (g->mode == CF_MODE_256)
			cf_grid_printf(g, ly + lh + 1, lx, LEGEND_W, CF_ROLE_DIM, "%d steps",
				       cf_cmap_steps(h->cmap));
		else if (!colour)
			cf_grid_puts(g, ly + lh + 1, lx, LEGEND_W, CF_ROLE_DIM, "5 shades");
	}
}

static int on_path(const cf_heatmap *h, int64_t r, int64_t c)
{
	for (int64_t k = 0; k < h->path_len; k++)
		if (h->path[2 * k] == r && h->path[2 * k + 1] == c)
			return 1;
	return 0;
}

/* x with an SI suffix and `sig` significant digits: 1.41e+05 → "141k". */
static void si_text(char *buf, size_t size, double x, int sig)
{
	static const char *const suf[] = {"", "k", "M", "G", "T"};
	double a = fabs(x);
	int k = 0;
	while (a >= 999.5 && k < 4) {
		a /= 1000;
		x /= 1000;
		k++;
	}
	snprintf(buf, size, "%.*g%s", sig, x, suf[k]);
}

/* The value in at most w - 2 cells (room for the brackets): as many
 * significant digits as fit, large values with k/M/G. */
static void label_text(char *buf, size_t size, double x, int w)
{
	/* thousands and up read better as "5.62k" than as "5.62e+03" */
	if (fabs(x) >= 999.5 && fabs(x) < 999.5e12) {
		for (int sig = 3; sig >= 1; sig--) {
			si_text(buf, size, x, sig);
			if ((int)strlen(buf) <= w - 2)
				return;
		}
	}
	for (int k = 0; k < 6; k++) {
		switch (k) {
		case 0: snprintf(buf, size, "%.3g", x); break;
		case 1: si_text(buf, size, x, 3); break;
		case 2: snprintf(buf, size, "%.2g", x); break;
		case 3: si_text(buf, size, x, 2); break;
		case 4: snprintf(buf, size, "%.1g", x); break;
		default: snprintf(buf, size, "%.0e", x); break;
		}
		if ((int)strlen(buf) <= w - 2)
			return;
	}
}

/* Labelled cells (see heatmap.h).  Returns 0 when the matrix does not fit,
 * and then draws nothing. */
static int render_labelled(cf_heatmap *h, cf_heatmap_view *v, cf_grid *g, cf_rect area, int lw)
{
	int colour = g->mode == CF_MODE_256 || g->mode == CF_MODE_RGB;
	int hdr = (int)strlen(h->row_prefix) + (h->rows >= 10 ? 3 : 2);
	int w, x0;
	uint32_t black = g->mode == CF_MODE_RGB ? CF_COL_RGB(0, 0, 0) : CF_COL_IDX(16);
	uint32_t white = g->mode == CF_MODE_RGB ? CF_COL_RGB(255, 255, 255) : CF_COL_IDX(231);

	if (h->cols < 1 || h->rows < 1 || h->cols > 64 || h->rows + 1 > area.h)
		return 0;
	w = (area.w - lw - hdr) / (int)h->cols;
	if (w > CF_HEATMAP_LABEL_MAXW)
		w = CF_HEATMAP_LABEL_MAXW;
	if (w < CF_HEATMAP_LABEL_MINW)
		return 0;
	h->label_w = w;
	/* one pixel per entry, so the view's cursor is (row, column) */
	v->zoom = 0;
	cf_heatmap_view_layout(v, h->rows, h->cols, (int)h->rows, (int)h->cols);
	x0 = area.x + hdr;
	h->img = (cf_rect){area.y + 1, x0, (int)h->rows, (int)h->cols * w};
	h->lo = h->dmin <= h->dmax ? h->dmin : 0;
	h->hi = h->dmin <= h->dmax ? h->dmax : 0;
	if (h->fixed_range) {
		h->lo = h->vmin;
		h->hi = h->vmax;
	}
	for (int64_t c = 0; c < h->cols; c++)
		cf_grid_printf(g, area.y, x0 + (int)c * w, w, CF_ROLE_DIM, "%*s%s%lld",
			       w - (int)strlen(h->col_prefix) - (c + 1 >= 10 ? 3 : 2), "",
			       h->col_prefix, (long long)(c + 1));
	for (int64_t r = 0; r < h->rows; r++) {
		int y = area.y + 1 + (int)r;
		cf_grid_printf(g, y, area.x, hdr, CF_ROLE_DIM, "%s%lld", h->row_prefix,
			       (long long)(r + 1));
		for (int64_t c = 0; c < h->cols; c++) {
			double x = h->data[r * h->cols + c];
			int path = on_path(h, r, c), x1 = x0 + (int)c * w;
			char val[32], cell[40];
			double t = isfinite(x) ? cf_heatmap_unit(h, x) : NAN;
			uint32_t bg = isnan(t) || !colour ? CF_COL_DEFAULT : cf_cmap_colour(h->cmap, t, g->mode);
			uint32_t fg = isnan(t) || !colour ? CF_COL_DEFAULT : t > 0.55 ? black : white;
			int attr = path ? CF_A_BOLD | (colour ? 0 : CF_A_REVERSE) : 0;
			if (h->label_cursor && r == v->cy && c == v->cx)
				attr |= colour ? CF_A_REVERSE | CF_A_UNDERLINE : CF_A_UNDERLINE;
			const char *p;
			int k = 0;

			if (isfinite(x))
				label_text(val, sizeof val, x, w);
			else
				snprintf(val, sizeof val, "·");
			snprintf(cell, sizeof cell, "%*s%s%s%s", w - 2 - cf_utf8_width(val), "",
				 path ? "[" : " ", val, path ? "]" : " ");
			for (p = cell; *p && k < w; k++) {
				uint32_t ch = cf_utf8_next(&p);
				cf_grid_set(g, y, x1 + k, ch, fg, bg, attr);
			}
		}
	}
	if (lw) {
		int lh = h->rows < 2 ? 2 : (int)h->rows;
		if (lh > area.h - 1)
			lh = area.h - 1;
		draw_legend(h, g, area.x + area.w - LEGEND_W, area.y + 1, lh, area.h - 1 - lh);
	}
	return 1;
}

int cf_heatmap_labelled(const cf_heatmap *h)
{
	return h->label_w > 0;
}

void cf_heatmap_render(cf_heatmap *h, cf_heatmap_view *v, cf_grid *g, cf_rect area)
{
	/* narrow (80 columns with the tour's panel): the legend's numbers say
	 * more than the marginal bars, so the bars go first */
	int narrow = area.w < LEGEND_W + 1 + MARGIN_W + 8;
	int lw = h->show_legend && area.w >= LEGEND_W + 1 + 8 ? LEGEND_W + 1 : 0;
	int marg = h->show_marginals && !(narrow && lw);
	int mw = marg ? MARGIN_W : 0, mh = marg ? MARGIN_H : 0;
	int cw = area.w - lw - mw, ch = area.h - mh;
	int ih, iw, n;
	size_t need;

	h->img = (cf_rect){area.y, area.x, 0, 0};
	h->label_w = 0;
	/* labelled cells carry their values: drop the legend before giving up
	 * on them */
	if (h->labels && h->sat &&
	    (render_labelled(h, v, g, area, lw) || (lw && render_labelled(h, v, g, area, 0))))
		return;
	if (cw < 1 || ch < 1 || !h->sat) {
		if (area.w > 0 && area.h > 0)
			cf_grid_puts(g, area.y, area.x, area.w, CF_ROLE_DIM, "(no data)");
		return;
	}
	cf_heatmap_view_layout(v, h->rows, h->cols, 2 * ch, cw);
	cf_heatmap_view_image(v, &ih, &iw);
	n = ih * iw;
	need = (size_t)(n > 0 ? n : 1);
	if (need > h->pix_cap) {
		double *p = realloc(h->pix, need * sizeof *p);
		unsigned char *m = p ? realloc(h->mark, need) : NULL;
		if (p)
			h->pix = p;
		if (m)
			h->mark = m;
		if (!p || !m) {
			cf_grid_puts(g, area.y, area.x, area.w, CF_ROLE_ERROR, "out of memory");
			return;
		}
		h->pix_cap = need;
	}
	h->img = (cf_rect){area.y, area.x, (ih + 1) / 2, iw};
	for (int py = 0; py < ih; py++)
		for (int px = 0; px < iw; px++)
			h->pix[py * iw + px] = cf_heatmap_pixel(h, v, py, px);
	range_of_pixels(h, n);
	mark_path(h, v, ih, iw);
	draw_image(h, v, g, ih, iw);
	if (marg)
		draw_marginals(h, v, g, ih, iw);
	if (lw) {
		int lh = h->img.h > 3 ? h->img.h : (ch < 4 ? ch : 4);
		draw_legend(h, g, area.x + area.w - LEGEND_W, area.y, lh, area.h - lh);
	}
}

int cf_heatmap_hit(const cf_heatmap *h, const cf_heatmap_view *v, int y, int x, int *py, int *px)
{
	int ih, iw;

	cf_heatmap_view_image(v, &ih, &iw);
	if (y < h->img.y || x < h->img.x || y >= h->img.y + h->img.h || x >= h->img.x + h->img.w)
		return 0;
	if (h->label_w > 0) {
		*py = y - h->img.y;
		*px = (x - h->img.x) / h->label_w;
		return *py < ih && *px < iw;
	}
	*py = 2 * (y - h->img.y);
	*px = x - h->img.x;
	if (*py >= ih)
		*py = ih - 1;
	return *px < iw && *py >= 0;
}

/* qsort has no context argument: the keys travel with the indices */
struct row_key {
	int64_t row, col;
	double val;
};

static int cmp_row_key(const void *pa, const void *pb)
{
	const struct row_key *a = pa, *b = pb;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if (a->val != b->val)
		return a->val > b->val ? -1 : 1;
	return (a->row > b->row) - (a->row < b->row);
}

void cf_heatmap_order_rows(const double *a, int64_t n, int64_t m, int64_t *order, double *out)
{
	struct row_key *k = malloc((size_t)n * sizeof *k);
	for (int64_t i = 0; i < n; i++) {
		int64_t best = 0;
		for (int64_t j = 1; j < m; j++)
			if (a[i * m + j] > a[i * m + best])
				best = j;
		if (k)
			k[i] = (struct row_key){i, best, a[i * m + best]};
		order[i] = i;
	}
	if (k) {
		qsort(k, (size_t)n, sizeof *k, cmp_row_key);
		for (int64_t i = 0; i < n; i++)
			order[i] = k[i].row;
		free(k);
	}
	for (int64_t i = 0; i < n; i++)
		memcpy(out + i * m, a + order[i] * m, (size_t)m * sizeof *out);
}

size_t cf_heatmap_cursor_text(const cf_heatmap *h, const cf_heatmap_view *v, char *buf,
			      size_t size)
{
	double y0, y1, x0, x1;
	int64_t r0, r1, c0, c1;
	int n;

	if (!size)
		return 0;
	if (!h->sat) {
		n = snprintf(buf, size, "%s: no data", h->label);
		return n < 0 ? 0 : (size_t)n;
	}
	cf_heatmap_view_block(v, v->cy, v->cx, &y0, &y1, &x0, &x1);
	r0 = (int64_t)floor(y0);
	r1 = (int64_t)ceil(y1) - 1;
	c0 = (int64_t)floor(x0);
	c1 = (int64_t)ceil(x1) - 1;
	if (r1 < r0)
		r1 = r0;
	if (c1 < c0)
		c1 = c0;
	if (v->sy <= 1 && v->sx <= 1)
		pixel_cell(v, v->cy, v->cx, &r0, &c0);
	if (((v->sy <= 1 && v->sx <= 1) || (r0 == r1 && c0 == c1)) && h->row_order)
		n = snprintf(buf, size, "%s[%lld,%lld] = %.6g (sorted row %lld)", h->label,
			     (long long)h->row_order[r0], (long long)c0, h->data[r0 * h->cols + c0],
			     (long long)r0);
	else if ((v->sy <= 1 && v->sx <= 1) || (r0 == r1 && c0 == c1))
		n = snprintf(buf, size, "%s[%lld,%lld] = %.6g", h->label, (long long)r0,
			     (long long)c0, h->data[r0 * h->cols + c0]);
	else if (h->row_order)
		n = snprintf(buf, size, "%s sorted rows %lld..%lld, %lld..%lld %s %.4g", h->label,
			     (long long)r0, (long long)r1, (long long)c0, (long long)c1,
			     h->pool == CF_POOL_SUM ? "sum" : "mean",
			     cf_heatmap_pixel(h, v, v->cy, v->cx));
	else
		n = snprintf(buf, size, "%s[%lld..%lld, %lld..%lld] %lld×%lld %s %.4g", h->label,
			     (long long)r0, (long long)r1, (long long)c0, (long long)c1,
			     (long long)(r1 - r0 + 1), (long long)(c1 - c0 + 1),
			     h->pool == CF_POOL_SUM ? "sum" : "mean",
			     cf_heatmap_pixel(h, v, v->cy, v->cx));
	return n < 0 ? 0 : (size_t)n;
}

size_t cf_heatmap_scale_text(const cf_heatmap *h, const cf_heatmap_view *v, char *buf,
			     size_t size)
{
	int ih, iw, n;

	cf_heatmap_view_image(v, &ih, &iw);
	if (v->sy >= 1 && v->sx >= 1)
		n = snprintf(buf, size, "%lld×%lld → %d×%d px, %s of %.3g×%.3g",
			     (long long)h->rows, (long long)h->cols, ih, iw,
			     h->pool == CF_POOL_SUM ? "sum" : "mean", v->sy, v->sx);
	else if (v->sy <= 1 && v->sx <= 1)
		n = snprintf(buf, size, "%lld×%lld → %d×%d px, %.3g×%.3g px per cell",
			     (long long)h->rows, (long long)h->cols, ih, iw, 1 / v->sy, 1 / v->sx);
	else
		n = snprintf(buf, size, "%lld×%lld → %d×%d px, %.3g×%.3g cells per px",
			     (long long)h->rows, (long long)h->cols, ih, iw, v->sy, v->sx);
	return n < 0 ? 0 : (size_t)n;
}
