/* test_heatmap.c — the heatmap widget, its colour maps and the cell grid,
 * rendered off-screen (no terminal): summed-area table, fractional pooling
 * (mean vs sum, marginals kept by sum), log scale, colour-map indices, the
 * view (zoom, pan, cursor ↔ cell), and golden renders of small matrices. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tui/cmap.h"
#include "tui/grid.h"
#include "tui/heatmap.h"
#include "tui/plot.h"

static double direct_sum(const double *a, int cols, int r0, int r1, int c0, int c1)
{
	double s = 0;
	for (int i = r0; i < r1; i++)
		for (int j = c0; j < c1; j++)
			s += a[i * cols + j];
	return s;
}

static void row_text(const cf_grid *g, int y, char *buf, size_t n)
{
	cf_grid_row_text(g, y, buf, n);
}

static void test_sat(void)
{
	double a[7 * 5], worst = 0;
	cf_heatmap *h = cf_heatmap_alloc("A", CF_POOL_SUM);
	for (int k = 0; k < 35; k++)
		a[k] = sin(1.0 + k * 0.7) * 3 + (k % 4);
	ok(cf_heatmap_set_data(h, a, 7, 5) == 0, "summed-area table of a 7x5 matrix");
	for (int r0 = 0; r0 <= 7; r0++)
		for (int r1 = r0; r1 <= 7; r1++)
			for (int c0 = 0; c0 <= 5; c0++)
				for (int c1 = c0; c1 <= 5; c1++) {
					double d = fabs(cf_heatmap_block_sum(h, r0, r1, c0, c1) -
							direct_sum(a, 5, r0, r1, c0, c1));
					if (d > worst)
						worst = d;
				}
	ok(worst < 1e-12, "every integer block sum equals the direct sum (max diff %.2g)", worst);
	is_double(h->total, direct_sum(a, 5, 0, 7, 0, 5), 1e-12, "table total = matrix sum");
	/* a fractional block weighs each cell by its covered area */
	is_double(cf_heatmap_block_sum(h, 0, 1.5, 0, 1.5),
		  a[0] + 0.5 * a[1] + 0.5 * a[5] + 0.25 * a[6], 1e-12,
		  "block [0,1.5)x[0,1.5) = a00 + a01/2 + a10/2 + a11/4");
	is_double(cf_heatmap_block_sum(h, 2.25, 3.5, 1.5, 4),
		  0.75 * (0.5 * a[11] + a[12] + a[13]) + 0.5 * (0.5 * a[16] + a[17] + a[18]), 1e-12,
		  "block [2.25,3.5)x[1.5,4) by area weights");
	is_double(cf_heatmap_block_sum(h, -3, 99, -1, 99), h->total, 1e-12,
		  "a block past the edges is clipped to the matrix");
	cf_heatmap_free(h);
}

static void test_nonfinite(void)
{
	double a[4] = {1, NAN, INFINITY, 2};
	cf_heatmap *h = cf_heatmap_alloc("A", CF_POOL_SUM);
	cf_heatmap_set_data(h, a, 2, 2);
	ok(h->nonfinite == 2 && h->total == 3 && h->dmin == 1 && h->dmax == 2,
	   "NaN and Inf count as 0 and are reported (nonfinite %lld, total %g)",
	   (long long)h->nonfinite, h->total);
	cf_heatmap_free(h);
}

static void test_pooling(void)
{
	double a[6 * 6], rowsum = 0, colerr = 0, toterr = 0;
	cf_heatmap *hs = cf_heatmap_alloc("T", CF_POOL_SUM), *hm = cf_heatmap_alloc("M", CF_POOL_MEAN);
	cf_heatmap_view v;
	for (int k = 0; k < 36; k++)
		a[k] = 1.0 + (k * 7 % 11);
	cf_heatmap_set_data(hs, a, 6, 6);
	cf_heatmap_set_data(hm, a, 6, 6);
	cf_heatmap_view_init(&v);
	/* 6x6 into 3x3 pixels: s = 2, whole blocks */
	cf_heatmap_view_layout(&v, 6, 6, 3, 3);
	is_double(v.sy, 2, 0, "6x6 in 3x3 pixels pools 2x2 blocks");
	is_double(v.sx, 2, 0, "the same across");
	is_double(cf_heatmap_pixel(hs, &v, 1, 2), direct_sum(a, 6, 2, 4, 4, 6), 1e-12,
		  "sum pooling: pixel (1,2) = sum of rows 2-3, cols 4-5");
	is_double(cf_heatmap_pixel(hm, &v, 1, 2), direct_sum(a, 6, 2, 4, 4, 6) / 4, 1e-12,
		  "mean pooling: the same block / 4");
	/* 6x6 into 4x4 pixels: s = 1.5, fractional bins */
	cf_heatmap_view_layout(&v, 6, 6, 4, 4);
	is_double(v.sy, 1.5, 0, "6x6 in 4x4 pixels: fractional bins of 1.5 cells");
	for (int py = 0; py < 4; py++) {
		double band = 0;
		for (int px = 0; px < 4; px++)
			band += cf_heatmap_pixel(hs, &v, py, px);
		/* rows [1.5py, 1.5py+1.5) of the row sums, area-weighted */
		rowsum = cf_heatmap_block_sum(hs, 1.5 * py, 1.5 * py + 1.5, 0, 6);
		if (fabs(band - rowsum) > colerr)
			colerr = fabs(band - rowsum);
		toterr += band;
	}
	ok(colerr < 1e-12, "sum pooling keeps the pooled row marginals (max diff %.2g)", colerr);
	is_double(toterr, hs->total, 1e-12, "sum pooling keeps the total mass");
	is_double(cf_heatmap_pixel(hm, &v, 0, 0), (a[0] + 0.5 * a[1] + 0.5 * a[6] + 0.25 * a[7]) / 2.25,
		  1e-12, "mean pooling over a fractional 1.5x1.5 block");
	/* a permutation plan stays a diagonal with the right mass */
	{
		double p[9 * 9] = {0}, diag = 0, off = 0;
		for (int i = 0; i < 9; i++)
			p[i * 9 + i] = 1.0 / 9;
		cf_heatmap_set_data(hs, p, 9, 9);
		cf_heatmap_view_layout(&v, 9, 9, 3, 3);
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				*(i == j ? &diag : &off) += cf_heatmap_pixel(hs, &v, i, j);
		is_double(diag, 1, 1e-12, "identity/9 pooled 3x: diagonal pixels hold all the mass");
		ok(fabs(off) < 1e-15, "and off-diagonal pixels none (%.2g)", off);
	}
	/* zoomed in past one cell per pixel: sum pooling shows the cell value */
	cf_heatmap_set_data(hs, a, 6, 6);
	cf_heatmap_view_layout(&v, 6, 6, 12, 12);
	is_double(cf_heatmap_pixel(hs, &v, 5, 3), a[2 * 6 + 1], 1e-12,
		  "2 pixels per cell: a pixel shows its cell's value, not a fraction");
	cf_heatmap_free(hs);
	cf_heatmap_free(hm);
}

static void test_cmap(void)
{
	uint8_t c[3];
	int steps = cf_cmap_steps(CF_CMAP_VIRIDIS);
	ok(cf_cmap_lut_index(0) == 0 && cf_cmap_lut_index(1) == 255 && cf_cmap_lut_index(0.5) == 128 &&
		   cf_cmap_lut_index(NAN) == 0 && cf_cmap_lut_index(7) == 255,
	   "t -> table index: 0->0, 0.5->128, 1->255, NaN->0, >1 clamps");
	cf_cmap_rgb(CF_CMAP_VIRIDIS, 0, c);
	ok(c[0] == 68 && c[1] == 1 && c[2] == 84, "viridis(0) = #440154");
	cf_cmap_rgb(CF_CMAP_VIRIDIS, 1, c);
	ok(c[0] == 253 && c[1] == 231 && c[2] == 37, "viridis(1) = #fde725");
	ok(cf_xterm_nearest(0, 0, 0) == 16 && cf_xterm_nearest(255, 255, 255) == 231 &&
		   cf_xterm_nearest(95, 135, 175) == 67 && cf_xterm_nearest(128, 128, 128) == 244,
	   "xterm nearest: black 16, white 231, (95,135,175) 67, grey 128 -> 244");
	cf_xterm_rgb(67, c);
	ok(c[0] == 95 && c[1] == 135 && c[2] == 175, "xterm 67 is (95,135,175)");
	ok(cf_cmap_xterm(CF_CMAP_VIRIDIS, 0) == cf_xterm_nearest(68, 1, 84),
	   "viridis(0) in 256 colours is the nearest xterm colour (%d)",
	   cf_cmap_xterm(CF_CMAP_VIRIDIS, 0));
	ok(steps >= 10 && steps <= 20, "viridis has %d distinct steps in 256 colours (~14 expected)",
	   steps);
	ok(cf_cmap_steps(CF_CMAP_GREY) > steps, "grey has more steps (%d) than viridis",
	   cf_cmap_steps(CF_CMAP_GREY));
	ok(cf_cmap_colour(CF_CMAP_MAGMA, 1, CF_MODE_RGB) == CF_COL_RGB(252, 253, 191),
	   "truecolor mode gives the 24-bit colour");
	ok(cf_cmap_shade(0) == ' ' && cf_cmap_shade(0.3) == 0x2591 && cf_cmap_shade(1) == 0x2588,
	   "shades: 0 blank, 0.3 light, 1 full block");
}

static void test_scale(void)
{
	cf_heatmap *h = cf_heatmap_alloc("T", CF_POOL_SUM);
	double a[4] = {1, 1e-20, 1e-3, 0};
	cf_heatmap_view v;
	cf_grid g = {0};

	h->lo = 1e-6;
	h->hi = 1;
	h->scale = CF_SCALE_LOG;
	is_double(cf_heatmap_unit(h, 1e-3), 0.5, 1e-12, "log scale: 1e-3 is halfway in [1e-6, 1]");
	ok(cf_heatmap_unit(h, 0) == 0 && cf_heatmap_unit(h, -1) == 0,
	   "log scale: 0 and negatives take the lowest colour (not the terminal's default)");
	ok(isnan(cf_heatmap_unit(h, NAN)), "log scale: NaN has no position");
	h->scale = CF_SCALE_LIN;
	is_double(cf_heatmap_unit(h, 0.25), (0.25 - 1e-6) / (1 - 1e-6), 1e-12,
		  "linear scale: 0.25 in [1e-6, 1]");
	/* the log floor: 12 decades below the top */
	h->scale = CF_SCALE_LOG;
	h->show_legend = 0;
	cf_heatmap_set_data(h, a, 2, 2);
	cf_heatmap_view_init(&v);
	g.mode = CF_MODE_256;
	cf_grid_resize(&g, 1, 2);
	cf_heatmap_render(h, &v, &g, (cf_rect){0, 0, 1, 2});
	is_double(h->hi, 1, 0, "log render: top of the range is the largest value");
	is_double(h->lo, 1e-12, 1e-24, "log render: bottom clipped 12 decades down, not 1e-20");
	cf_grid_free(&g);
	cf_heatmap_free(h);
}

static void test_view(void)
{
	double *a = malloc(100 * 100 * sizeof *a);
	cf_heatmap *h = cf_heatmap_alloc("T", CF_POOL_SUM);
	cf_heatmap_view v;
	char buf[128];
	double y0, y1, x0, x1, pr, pc;
	int ih, iw;

	for (int k = 0; k < 10000; k++)
		a[k] = k;
	cf_heatmap_set_data(h, a, 100, 100);
	cf_heatmap_view_init(&v);
	cf_heatmap_view_layout(&v, 100, 100, 10, 10);
	v.cy = 3;
	v.cx = 4;
	cf_heatmap_view_block(&v, v.cy, v.cx, &y0, &y1, &x0, &x1);
	ok(y0 == 30 && y1 == 40 && x0 == 40 && x1 == 50, "cursor pixel (3,4) at s=10 covers rows "
	   "[30,40) and columns [40,50)");
	cf_heatmap_cursor_text(h, &v, buf, sizeof buf);
	ok(strstr(buf, "T[30..39, 40..49] 10×10 sum") != NULL, "zoomed out, the cursor shows the "
	   "block's range and sum: %s", buf);
	pr = 35;
	pc = 45;
	cf_heatmap_view_zoom(&v, 4);
	ok(v.sy < 1, "4 zoom steps: %.3g cells per pixel", v.sy);
	cf_heatmap_view_block(&v, v.cy, v.cx, &y0, &y1, &x0, &x1);
	ok(y0 <= pr && pr < y1 + 1e-9 && x0 <= pc && pc < x1 + 1e-9,
	   "zoom keeps the point under the cursor ([%g,%g)x[%g,%g) holds (35,45))", y0, y1, x0, x1);
	cf_heatmap_cursor_text(h, &v, buf, sizeof buf);
	ok(!strcmp(buf, "T[35,45] = 3545"), "zoomed in, the cursor shows the exact entry: %s", buf);
	for (int k = 0; k < 500; k++)
		cf_heatmap_view_move(&v, 0, 1);
	cf_heatmap_view_image(&v, &ih, &iw);
	ok(v.cx == iw - 1 && fabs(v.c0 - (100 - v.wpx * v.sy)) < 1e-9,
	   "moving right pans until the last column is at the right edge (c0 %.3g)", v.c0);
	cf_heatmap_cursor_text(h, &v, buf, sizeof buf);
	ok(strstr(buf, ",99] =") != NULL, "and the cursor reaches column 99: %s", buf);
	cf_heatmap_view_zoom(&v, 100);
	ok(v.sy >= 1.0 / 16 - 1e-12, "zoom in is capped at 16 pixels per cell (s=%.4g)", v.sy);
	cf_heatmap_view_fit(&v);
	ok(v.zoom == 0 && v.sy == 10 && v.r0 == 0 && v.c0 == 0, "fit returns to the whole matrix");
	cf_heatmap_free(h);
	free(a);
}

/* Golden renders into an off-screen grid. */
static void test_render(void)
{
	double a[2 * 4] = {0, 1.0 / 3, 2.0 / 3, 1, 0, 1.0 / 3, 2.0 / 3, 1};
	double b[4 * 4];
	cf_heatmap *h = cf_heatmap_alloc("M", CF_POOL_MEAN);
	cf_heatmap_view v;
	cf_grid g = {0};
	char buf[256];
	int64_t path[2] = {3, 0};
	int py, px, good;

	/* monochrome: one shade per cell, cursor reversed */
	h->show_legend = 0;
	cf_heatmap_set_data(h, a, 2, 4);
	cf_heatmap_view_init(&v);
	g.mode = CF_MODE_MONO;
	cf_grid_resize(&g, 1, 4);
	cf_heatmap_render(h, &v, &g, (cf_rect){0, 0, 1, 4});
	row_text(&g, 0, buf, sizeof buf);
	ok(!strcmp(buf, "+░▓█"), "mono golden: 2x4 ramp -> '+░▓█' (got '%s')", buf);
	ok(g.cells[0].attr & CF_A_REVERSE, "mono: the cursor cell is reversed");

	/* 256 colours: ▀ with fg = top pixel, bg = bottom pixel */
	for (int k = 0; k < 16; k++)
		b[k] = k;
	cf_heatmap_set_data(h, b, 4, 4);
	cf_heatmap_view_init(&v);
	v.cy = 3;
	v.cx = 3;
	g.mode = CF_MODE_256;
	cf_grid_resize(&g, 2, 4);
	h->path = path;
	h->path_len = 1;
	cf_heatmap_render(h, &v, &g, (cf_rect){0, 0, 2, 4});
	row_text(&g, 1, buf, sizeof buf);
	ok(!strcmp(buf, "▀▀▀▀"), "256 golden: 4x4 matrix in 2 rows of half blocks");
	good = 1;
	for (int y = 0; y < 2; y++)
		for (int x = 0; x < 4; x++) {
			const cf_cell *c = &g.cells[y * 4 + x];
			uint32_t top = CF_COL_IDX(cf_cmap_xterm(0, b[2 * y * 4 + x] / 15));
			uint32_t bot = CF_COL_IDX(cf_cmap_xterm(0, b[(2 * y + 1) * 4 + x] / 15));
			if (y == 1 && x == 0)
				bot = CF_COL_IDX(196); /* the path point (3,0): bottom half */
			if (y == 1 && x == 3)
				bot = CF_COL_IDX(231); /* the cursor (3,3), bottom half */
			if (c->fg != top || c->bg != bot)
				good = 0;
		}
	ok(good, "256 golden: each cell's fg/bg are the xterm colours of its two pixels, the path "
	   "point red, the cursor white");
	ok(cf_heatmap_hit(h, &v, 1, 2, &py, &px) && py == 2 && px == 2,
	   "a click on cell (1,2) selects pixel (2,2)");
	ok(!cf_heatmap_hit(h, &v, 5, 2, &py, &px), "a click outside the image selects nothing");

	/* marginals and legend of a plan with all mass in row 0 */
	{
		double p[8 * 8] = {0};
		cf_heatmap *t = cf_heatmap_alloc("T", CF_POOL_SUM);
		for (int j = 0; j < 8; j++)
			p[j] = 0.125;
		t->show_marginals = 1;
		cf_heatmap_set_data(t, p, 8, 8);
		cf_heatmap_view_init(&v);
		cf_grid_resize(&g, 6, 8 + 5 + 13);
		cf_heatmap_render(t, &v, &g, (cf_rect){0, 0, 6, 26});
		row_text(&g, 0, buf, sizeof buf);
		ok(strstr(buf, "▀▀▀▀▀▀▀▀ ████") != NULL && strstr(buf, "0.125") != NULL,
		   "row 0 holds all the mass: a full row bar and max 0.125 in the legend ('%s')", buf);
		row_text(&g, 1, buf, sizeof buf);
		ok(strstr(buf, "▀▀▀▀▀▀▀▀") && !strstr(buf, "█"), "other rows: empty bars ('%s')", buf);
		row_text(&g, 5, buf, sizeof buf);
		ok(!strncmp(buf, "████████", strlen("████████")),
		   "equal column sums: full column bars ('%s')", buf);
		row_text(&g, 3, buf, sizeof buf);
		ok(strstr(buf, "0") != NULL, "legend bottom label (min 0): '%s'", buf);
		/* 23 cells (a layer screen box at 80 columns): no room for the
		 * bars and the legend, and the legend's numbers win */
		cf_grid_resize(&g, 6, 23);
		cf_heatmap_render(t, &v, &g, (cf_rect){0, 0, 6, 23});
		row_text(&g, 0, buf, sizeof buf);
		ok(strstr(buf, "0.125") != NULL && strstr(buf, "█") == NULL,
		   "23 cells wide: the legend's max 0.125 shows, the marginal bars go ('%s')", buf);
		cf_heatmap_free(t);
	}
	cf_grid_free(&g);
	cf_heatmap_free(h);
}

static void test_order_rows(void)
{
	/* a permutation: rows 0→1, 1→2, 2→0 */
	double p[9] = {0, 1, 0, 0, 0, 1, 1, 0, 0}, out[9];
	/* a 4×2 plan splitting rows: two rows per column */
	double q[8] = {0, .25, .25, 0, 0, .25, .25, 0}, qo[8];
	int64_t order[4];
	int diag = 1;

	cf_heatmap_order_rows(p, 3, 3, order, out);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			diag &= out[i * 3 + j] == (i == j);
	ok(order[0] == 2 && order[1] == 0 && order[2] == 1 && diag,
	   "matching order: a permutation plan becomes the diagonal (order 2 0 1)");
	cf_heatmap_order_rows(q, 4, 2, order, qo);
	ok(order[0] == 1 && order[1] == 3 && order[2] == 0 && order[3] == 2 && qo[0] == .25 &&
		   qo[2] == .25 && qo[5] == .25 && qo[7] == .25,
	   "matching order: rows going to column 0 first (1 3), then column 1 (0 2): two blocks");
}

static void test_plot_grid(void)
{
	double e[50];
	cf_grid g = {0};
	char buf[256];
	int n, braille = 1;
	double lo, hi;

	for (int k = 0; k < 50; k++)
		e[k] = pow(10, -0.2 * k);
	cf_grid_resize(&g, 3, 20);
	n = cf_plot_braille(&g, (cf_rect){0, 0, 3, 10}, e, 50, 1, CF_ROLE_NORMAL, &lo, &hi);
	for (int x = 0; x < 10; x++)
		if (g.cells[x].ch < 0x2800 || g.cells[x].ch > 0x28ff)
			braille = 0;
	ok(n == 20 && braille, "braille plot: 50 points in 20 dot columns, braille cells (%d)", n);
	ok(hi == 0 && fabs(lo + 9.8) < 1e-9, "log10 range [%.3g, %.3g]", lo, hi);
	ok(g.cells[0].ch & 0x01, "the first (largest) point is in the top-left dot");
	ok(g.cells[2 * 20 + 9].ch & 0x80, "the last (smallest) point is in the bottom-right dot");
	cf_plot_bar(&g, 2, 10, 10, 0.55, CF_ROLE_NORMAL);
	row_text(&g, 2, buf, sizeof buf);
	ok(strstr(buf, "█████▌░░░░") != NULL, "progress bar at 55%%: '█████▌░░░░'");
	cf_grid_resize(&g, 1, 6);
	cf_grid_puts(&g, 0, 1, -1, CF_ROLE_NORMAL, "ε=0.01");
	row_text(&g, 0, buf, sizeof buf);
	ok(!strcmp(buf, " ε=0.0"), "UTF-8 text is clipped by cells, not bytes ('%s')", buf);
	cf_grid_free(&g);
}

/* Labelled cells: a 3×2 layer-cost matrix with its alignment path. */
static void test_labelled(void)
{
	double C[6] = {0, 1000, 1000, 0, 2300, 256};
	int64_t path[4] = {0, 0, 2, 1};
	cf_heatmap *h = cf_heatmap_alloc("C", CF_POOL_MEAN);
	cf_heatmap_view v;
	cf_grid g = {0};
	char r0[256], r1[256], r3[256];

	cf_grid_resize(&g, 8, 60);
	g.mode = CF_MODE_MONO;
	cf_heatmap_set_data(h, C, 3, 2);
	h->labels = 1;
	h->path = path;
	h->path_len = 2;
	snprintf(h->row_prefix, sizeof h->row_prefix, "A");
	snprintf(h->col_prefix, sizeof h->col_prefix, "B");
	cf_heatmap_view_init(&v);
	cf_heatmap_render(h, &v, &g, (cf_rect){0, 0, 8, 60});
	row_text(&g, 0, r0, sizeof r0);
	row_text(&g, 1, r1, sizeof r1);
	row_text(&g, 3, r3, sizeof r3);
	ok(cf_heatmap_labelled(h) && h->label_w == CF_HEATMAP_LABEL_MAXW,
	   "a 3x2 matrix in 60 cells: labelled cells %d wide", h->label_w);
	ok(strstr(r0, "B1") && strstr(r0, "B2"), "column headers B1 B2 ('%s')", r0);
	ok(!strncmp(r1, "A1", 2) && strstr(r1, "[0]") && strstr(r1, " 1k "),
	   "row A1: the path entry in brackets, the other value written ('%s')", r1);
	ok(strstr(r3, " 2.3k ") && strstr(r3, "[256]"), "row A3 with the path entry [256] ('%s')",
	   r3);
	/* too narrow for 6 cells per entry: back to half blocks */
	cf_grid_resize(&g, 8, 14);
	g.mode = CF_MODE_MONO;
	cf_heatmap_render(h, &v, &g, (cf_rect){0, 0, 8, 14});
	ok(!cf_heatmap_labelled(h), "in 14 cells the labelled mode gives way to pooled pixels");
	cf_grid_free(&g);
	cf_heatmap_free(h);
}

/* Fill (default) and square pixels on a 50×200 plan in a 40×22 viewport
 * (the layer screen's box), and an enlarged 5×3 matrix. */
static void test_aspect(void)
{
	double *p = calloc(50 * 200, sizeof *p), sum = 0, c[5 * 3];
	cf_heatmap *h = cf_heatmap_alloc("T", CF_POOL_SUM);
	cf_heatmap_view v;
	int ih, iw, crisp = 1;
	double y0, y1, x0, x1;

	for (int i = 0; i < 50; i++)
		p[i * 200 + 4 * i] = 1.0 / 50;
	cf_heatmap_set_data(h, p, 50, 200);
	cf_heatmap_view_init(&v);
	cf_heatmap_view_layout(&v, 50, 200, 44, 22);
	cf_heatmap_view_image(&v, &ih, &iw);
	ok(ih == 44 && iw == 22, "fill: 50x200 in 44x22 pixels uses all of them (%dx%d)", ih, iw);
	is_double(v.sy, 50.0 / 44, 1e-12, "fill: rows scaled on their own (50/44 per pixel)");
	is_double(v.sx, 200.0 / 22, 1e-12, "fill: columns scaled on their own (200/22 per pixel)");
	for (int py = 0; py < ih; py++)
		for (int px = 0; px < iw; px++)
			sum += cf_heatmap_pixel(h, &v, py, px);
	is_double(sum, 1, 1e-12, "fill: sum pooling keeps the total mass");
	cf_heatmap_view_set_square(&v, 1);
	cf_heatmap_view_image(&v, &ih, &iw);
	ok(v.sy == v.sx && ih == 6 && iw == 22,
	   "square pixels: the same 9.09 cells per pixel both ways, a 6x22 strip (%dx%d)", ih, iw);
	cf_heatmap_view_set_square(&v, 0);
	cf_heatmap_view_image(&v, &ih, &iw);
	ok(!v.square && ih == 44 && iw == 22, "and back to fill");

	/* a 5x3 C in 28x16 pixels: enlarged, each pixel shows one whole cell */
	for (int k = 0; k < 15; k++)
		c[k] = k + 1;
	h->pool = CF_POOL_MEAN;
	cf_heatmap_set_data(h, c, 5, 3);
	cf_heatmap_view_init(&v);
	cf_heatmap_view_layout(&v, 5, 3, 28, 16);
	cf_heatmap_view_image(&v, &ih, &iw);
	ok(ih == 28 && iw == 16, "fill enlarges a 5x3 matrix to the whole 28x16 viewport");
	for (int py = 0; py < ih; py++)
		for (int px = 0; px < iw; px++) {
			double x = cf_heatmap_pixel(h, &v, py, px);
			cf_heatmap_view_block(&v, py, px, &y0, &y1, &x0, &x1);
			if (y1 - y0 != 1 || x1 - x0 != 1 || x != c[(int)y0 * 3 + (int)x0])
				crisp = 0;
		}
	ok(crisp, "enlarged: every pixel is exactly one cell's value, no blends");
	cf_heatmap_free(h);
	free(p);
}

/* Labelled cells give up the legend before they give up the labels, and
 * write large values with k/M. */
static void test_labelled_fit(void)
{
	double c[5 * 3];
	cf_heatmap *h = cf_heatmap_alloc("C", CF_POOL_MEAN);
	cf_heatmap_view v;
	cf_grid g = {0};
	char buf[256];
	int py, px;

	for (int k = 0; k < 15; k++)
		c[k] = 5000.0 + 9000.0 * k;
	h->labels = 1;
	snprintf(h->row_prefix, sizeof h->row_prefix, "A");
	snprintf(h->col_prefix, sizeof h->col_prefix, "B");
	cf_heatmap_set_data(h, c, 5, 3);
	cf_heatmap_view_init(&v);
	g.mode = CF_MODE_256;
	cf_grid_resize(&g, 14, 28);
	cf_heatmap_render(h, &v, &g, (cf_rect){0, 0, 14, 28});
	ok(cf_heatmap_labelled(h), "5x3 in 28 columns: labelled cells (legend dropped)");
	row_text(&g, 5, buf, sizeof buf);
	ok(strstr(buf, "131k") != NULL && strstr(buf, "A5") != NULL,
	   "row A5 shows 1.31e+05 as 131k: '%s'", buf);
	ok(cf_heatmap_hit(h, &v, 3, h->img.x + 2 * h->label_w, &py, &px) && py == 2 && px == 2,
	   "a click in the third entry of the third row selects (2,2)");
	cf_grid_free(&g);
	cf_heatmap_free(h);
}

/* Text that does not fit loses whole hints, clauses or words. */
static void test_cut(void)
{
	char out[128];
	int r;

	r = cf_utf8_cut("s step  r run  w script", 17, "  ", out, sizeof out);
	ok(r == 1 && !strcmp(out, "s step  r run"), "hints cut at a whole hint: '%s' (%d)", out, r);
	r = cf_utf8_cut("400×400 → 20×10 px, mean of 20×40", 21, ", ", out, sizeof out);
	ok(r == 1 && !strcmp(out, "400×400 → 20×10 px"), "a clause dropped whole (cells, not bytes): "
	   "'%s'", out);
	r = cf_utf8_cut("Finetuning: test accuracy", 14, " ", out, sizeof out);
	ok(r == 1 && !strcmp(out, "Finetuning"), "a title cut at a word, its colon dropped: '%s'", out);
	r = cf_utf8_cut("abcdefgh", 5, " ", out, sizeof out);
	ok(r == 2 && !strcmp(out, "abcde"), "no separator fits: cut at the width ('%s', %d)", out, r);
	r = cf_utf8_cut("fits", 4, " ", out, sizeof out);
	ok(r == 0 && !strcmp(out, "fits"), "text that fits is whole (%d)", r);
}

int main(void)
{
	test_cut();
	test_aspect();
	test_labelled_fit();
	test_labelled();
	test_sat();
	test_nonfinite();
	test_pooling();
	test_cmap();
	test_scale();
	test_view();
	test_render();
	test_order_rows();
	test_plot_grid();
	return tap_done();
}
