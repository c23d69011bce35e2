/* heatmap.h — a matrix drawn with Unicode half blocks, pooled to fit.
 *
 * Each terminal cell shows two matrix "pixels" as ▀ with the foreground the
 * upper pixel and the background the lower one.  A pixel covers a square,
 * possibly fractional, block of matrix cells; its value is the area-weighted
 * mean of the block (costs) or its sum (plans, so that the pooled plan keeps
 * the pooled marginals).  Pooling reads a summed-area table (integral image)
 * built once per matrix: the table is bilinear between its grid points, so a
 * fractional block costs four lookups and a redraw is O(screen), not
 * O(matrix) — a 4096×4096 plan redraws as fast as a 40×40 one.
 *
 * The widget is split in two: cf_heatmap holds a matrix and how to colour
 * it; cf_heatmap_view holds the zoom, pan and cursor.  Two heatmaps drawn
 * with one view (ground cost M and plan T) stay at the same pooling and
 * share the cursor.  Everything renders into a cf_grid (grid.h), never into
 * the terminal, so it is testable and benchmarkable without one.
 */
#ifndef CF_TUI_HEATMAP_H
#define CF_TUI_HEATMAP_H

#include <stddef.h>
#include <stdint.h>

#include "grid.h"

typedef enum cf_pool { CF_POOL_MEAN = 0, CF_POOL_SUM } cf_pool;
typedef enum cf_scale { CF_SCALE_LIN = 0, CF_SCALE_LOG } cf_scale;

/* Log scale shows at most this many decades below the largest value: the
 * summed-area table subtracts large partial sums, so smaller pooled values
 * are rounding noise (relative precision ~1e-16 of the table's total). */
#define CF_HEATMAP_LOG_DECADES 12

/* Narrowest entry of the labelled-cell mode: "[.123]" needs 6 cells. */
#define CF_HEATMAP_LABEL_MINW 6
#define CF_HEATMAP_LABEL_MAXW 9

typedef struct cf_heatmap_view {
	int64_t rows, cols;   /* matrix size the view was laid out for */
	int hpx, wpx;         /* viewport in pixels (2 per cell vertically) */
	int zoom;             /* zoom steps of 2× from fit-to-view (0 = fit) */
	int square;           /* 1: square pixels (same scale on both axes);
			       * 0 (default): fill the viewport, each axis
			       * scaled on its own, so a 50×200 plan uses the
			       * whole box instead of a thin strip */
	double sy, sx;        /* matrix cells per pixel, vertically / across */
	double r0, c0;        /* matrix coordinates of the viewport's top-left */
	int cy, cx;           /* cursor pixel within the viewport */
} cf_heatmap_view;

typedef struct cf_heatmap {
	char label[16];       /* names the matrix in cursor text: "T" */
	int64_t rows, cols;
	const double *data;   /* borrowed; must live while the heatmap uses it */
	double *sat;          /* (rows+1)×(cols+1) integral image, owned */
	int64_t nonfinite;    /* NaN/Inf entries, counted as 0 in pooling */
	double dmin, dmax;    /* finite range of the data */
	double total;         /* sum of the finite entries */
	int pool;             /* cf_pool */
	int scale;            /* cf_scale */
	int cmap;             /* cf_cmap_id */
	int show_marginals;   /* row sums right, column sums below */
	int show_legend;      /* colour bar with min/max */
	int fixed_range;      /* use vmin/vmax instead of the visible range */
	double vmin, vmax;
	const int64_t *path;  /* borrowed (row, col) pairs, path_len of them */
	int64_t path_len;
	/* labelled cells: a small matrix (a layer cost matrix C) drawn one
	 * matrix cell per run of terminal cells with its value written in it
	 * and row/column headers ("A1", "B2"); falls back to half blocks when
	 * the matrix does not fit at CF_HEATMAP_LABEL_MINW cells per entry */
	int labels;
	int label_cursor;     /* labelled mode: underline the cursor's entry */
	char row_prefix[8], col_prefix[8];
	/* a reordered view (cf_heatmap_order_rows): row k of `data` is row
	 * row_order[k] of the matrix, which the cursor readout names;
	 * borrowed, NULL when the rows are in their own order */
	const int64_t *row_order;
	/* filled by render */
	cf_rect img;          /* cells that hold the image */
	double lo, hi;        /* colour range of the last render */
	double *pix;          /* pooled pixel values, scratch */
	unsigned char *mark;  /* path pixels, scratch */
	size_t pix_cap;
	int label_w;          /* labelled mode: cells per entry, 0 when not used */
} cf_heatmap;

/* A heatmap with no data yet.  NULL when out of memory. */
cf_heatmap *cf_heatmap_alloc(const char *label, int pool);
void cf_heatmap_free(cf_heatmap *h);
/* Borrow `data` (rows×cols, row-major) and build its summed-area table in
 * O(rows·cols); call again whenever the data change.  Non-finite entries
 * count as 0 (and in h->nonfinite).  Returns 0, or -1 when out of memory
 * (the heatmap then has no data). */
int cf_heatmap_set_data(cf_heatmap *h, const double *data, int64_t rows, int64_t cols);
/* Area-weighted sum over the block [y0,y1)×[x0,x1) of matrix coordinates
 * (fractional allowed, clipped to the matrix), from the table. */
double cf_heatmap_block_sum(const cf_heatmap *h, double y0, double y1, double x0, double x1);

/* A view at fit-to-view with the cursor at the top-left. */
void cf_heatmap_view_init(cf_heatmap_view *v);
/* Lay the view out for a rows×cols matrix in hpx×wpx pixels: recompute the
 * scale from the zoom, clamp the origin and the cursor.  Idempotent. */
void cf_heatmap_view_layout(cf_heatmap_view *v, int64_t rows, int64_t cols, int hpx, int wpx);
/* Image size in pixels (≤ the viewport when the matrix ends first). */
void cf_heatmap_view_image(const cf_heatmap_view *v, int *ih, int *iw);
/* Move the cursor by pixels, panning when it would leave the image. */
void cf_heatmap_view_move(cf_heatmap_view *v, int dy, int dx);
/* Zoom by dz steps of 2× (positive = in), keeping the matrix point under
 * the cursor in place.  Clamped to [fit, 16 pixels per cell]. */
void cf_heatmap_view_zoom(cf_heatmap_view *v, int dz);
/* Back to fit-to-view. */
void cf_heatmap_view_fit(cf_heatmap_view *v);
/* Switch between filling the viewport and square pixels (keeps the zoom
 * level and the matrix point under the cursor as far as possible). */
void cf_heatmap_view_set_square(cf_heatmap_view *v, int square);
/* Matrix block of pixel (py, px): rows [*y0,*y1), columns [*x0,*x1),
 * clipped to the matrix.  On an axis with at most one cell per pixel the
 * block is the whole cell under the pixel's centre, so an enlarged matrix
 * shows crisp cells, never blends of two neighbours. */
void cf_heatmap_view_block(const cf_heatmap_view *v, int py, int px, double *y0, double *y1,
			   double *x0, double *x1);

/* Pooled value of a pixel: block mean (MEAN) or block sum (SUM).  When a
 * pixel is no bigger than a cell (zoomed in) it shows the cell under its
 * centre, read exactly from the data. */
double cf_heatmap_pixel(const cf_heatmap *h, const cf_heatmap_view *v, int py, int px);
/* Position of a value in the colour range of the last render, in [0, 1];
 * NaN for NaN or (log scale) a value ≤ 0. */
double cf_heatmap_unit(const cf_heatmap *h, double value);

/* Draw into `area` of the grid: the image, the marginal bars and the
 * legend, with the view laid out for the space left for the image.  With
 * h->labels set and room for every entry, draws labelled cells instead:
 * each entry's value ("%.3g") on its colour, path entries in [brackets],
 * non-finite entries as "·", without the legend when that is what makes
 * them fit; h->img is then the block of entries (one terminal row per
 * matrix row) and the view is laid out one pixel per entry, so its cursor
 * (cy, cx) is a (row, column) of the matrix. */
void cf_heatmap_render(cf_heatmap *h, cf_heatmap_view *v, cf_grid *g, cf_rect area);
/* Nonzero when the last render used the labelled-cell mode. */
int cf_heatmap_labelled(const cf_heatmap *h);
/* Cell (y, x) of the last render → cursor pixel (top half of the cell).
 * Returns 1 when inside the image, else 0.  Labelled mode: the matrix
 * entry (row, column) under the cell. */
int cf_heatmap_hit(const cf_heatmap *h, const cf_heatmap_view *v, int y, int x, int *py,
		   int *px);
/* The cursor, for the status line: "T[57,113] = 4.1e-05" when the pixel is
 * one cell, else "T[56..62, 110..117] 7×8 sum 3.2e-03" (indices from 0). */
size_t cf_heatmap_cursor_text(const cf_heatmap *h, const cf_heatmap_view *v, char *buf,
			      size_t size);
/* "4096×4096 → 56×120 px, sum of 73.1×34.1" (pixels rows×columns; cells
 * per pixel vertically×across), or "5×3 → 28×16 px, 5.6×5.33 px per cell"
 * when enlarged. */
size_t cf_heatmap_scale_text(const cf_heatmap *h, const cf_heatmap_view *v, char *buf,
			     size_t size);

/* The rows of an n×m plan in matching order: by the column of each row's
 * largest entry, then by that entry (larger first), then by row, so a
 * permutation plan becomes the identity's diagonal and a plan that splits
 * rows shows as blocks.  order gets n row indices; out (n×m) the rows in
 * that order. */
void cf_heatmap_order_rows(const double *a, int64_t n, int64_t m, int64_t *order, double *out);
/* Pictures of a heatmap (SVG, PNG) for slides and papers: heatpic.h. */

#endif
