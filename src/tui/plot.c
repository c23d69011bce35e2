/* plot.c — braille line plots and progress bars (see plot.h). */
#include "plot.h"

#include <math.h>
#include <stdlib.h>

static const uint8_t dot_bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

static double yval(double y, int logy)
{
	if (!isfinite(y))
		return NAN;
	if (logy)
		return y > 0 ? log10(y) : NAN;
	return y;
}

int cf_plot_braille(cf_grid *g, cf_rect r, const double *y, int64_t n, int logy, int role,
		    double *plo, double *phi)
{
	int dw = 2 * r.w, dh = 4 * r.h, drawn = 0, prev = -1;
	double lo = INFINITY, hi = -INFINITY;
	uint8_t *bits;
	uint32_t fg, bg;
	int attr;

	if (plo)
		*plo = NAN;
	if (phi)
		*phi = NAN;
	if (r.w < 1 || r.h < 1 || n < 1)
		return 0;
	for (int64_t k = 0; k < n; k++) {
		double v = yval(y[k], logy);
		if (isnan(v))
			continue;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (lo > hi)
		return 0;
	if (plo)
		*plo = lo;
	if (phi)
		*phi = hi;
	bits = calloc((size_t)r.w * (size_t)r.h, 1);
	if (!bits)
		return 0;
	for (int c = 0; c < dw; c++) {
		/* points [k0, k1) fall in dot column c */
		int64_t k0 = n <= dw ? c : (int64_t)((double)c * n / dw);
		int64_t k1 = n <= dw ? c + 1 : (int64_t)((double)(c + 1) * n / dw);
		double v = NAN;
		int row;
		if (k0 >= n)
			break;
		for (int64_t k = k1 - 1; k >= k0 && isnan(v); k--)
			v = yval(y[k], logy);
		if (isnan(v)) {
			prev = -1;
			continue;
		}
		row = hi > lo ? (int)lround((hi - v) / (hi - lo) * (dh - 1)) : dh / 2;
		/* join to the previous column so the curve reads as a line */
		for (int rr = prev < 0 ? row : (prev < row ? prev : row);
		     rr <= (prev < 0 ? row : (prev > row ? prev : row)); rr++)
			bits[(rr / 4) * r.w + c / 2] |= dot_bit[c % 2][rr % 4];
		prev = row;
		drawn++;
	}
	cf_grid_role(g, role, &fg, &bg, &attr);
	for (int yy = 0; yy < r.h; yy++)
		for (int xx = 0; xx < r.w; xx++)
			cf_grid_set(g, r.y + yy, r.x + xx, 0x2800u + bits[yy * r.w + xx], fg, bg, attr);
	free(bits);
	return drawn;
}

int cf_plot_scatter(cf_grid *g, cf_rect r, const double *x, const double *y, int64_t n, int role,
		    double range[4])
{
	int dw = 2 * r.w, dh = 4 * r.h, drawn = 0;
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	uint8_t *bits;
	uint32_t fg, bg;
	int attr;

	if (r.w < 1 || r.h < 1 || n < 1)
		return 0;
	for (int64_t k = 0; k < n; k++)
		if (isfinite(x[k]) && isfinite(y[k])) {
			xlo = fmin(xlo, x[k]);
			xhi = fmax(xhi, x[k]);
			ylo = fmin(ylo, y[k]);
			yhi = fmax(yhi, y[k]);
		}
	if (xlo > xhi || !(bits = calloc((size_t)r.w * (size_t)r.h, 1)))
		return 0;
	if (range) {
		range[0] = xlo;
		range[1] = xhi;
		range[2] = ylo;
		range[3] = yhi;
	}
	for (int64_t k = 0; k < n; k++) {
		int c, rr;
		if (!isfinite(x[k]) || !isfinite(y[k]))
			continue;
		/* a constant axis puts its points in the middle */
		c = xhi > xlo ? (int)lround((x[k] - xlo) / (xhi - xlo) * (dw - 1)) : dw / 2;
		rr = yhi > ylo ? (int)lround((yhi - y[k]) / (yhi - ylo) * (dh - 1)) : dh / 2;
		bits[(rr / 4) * r.w + c / 2] |= dot_bit[c % 2][rr % 4];
		drawn++;
	}
	cf_grid_role(g, role, &fg, &bg, &attr);
	for (int yy = 0; yy < r.h; yy++)
		for (int xx = 0; xx < r.w; xx++)
			cf_grid_set(g, r.y + yy, r.x + xx, 0x2800u + bits[yy * r.w + xx], fg, bg, attr);
	free(bits);
	return drawn;
}

void cf_plot_bar(cf_grid *g, int y, int x, int w, double frac, int role)
{
	static const uint32_t part[8] = {' ', 0x258f, 0x258e, 0x258d, 0x258c, 0x258b, 0x258a, 0x2589};
	uint32_t fg, bg;
	int attr, eighths;

	if (w < 1)
		return;
	if (!(frac > 0))
		frac = 0;
	if (frac > 1)
		frac = 1;
	eighths = (int)lround(frac * w * 8);
	cf_grid_role(g, role, &fg, &bg, &attr);
	for (int c = 0; c < w; c++) {
		int e = eighths - 8 * c;
		uint32_t ch = e >= 8 ? 0x2588 : e > 0 ? part[e] : 0x2591;
		cf_grid_set(g, y, x + c, ch, fg, bg, attr);
	}
}
