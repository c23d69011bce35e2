/* bench_heatmap.c — how long a redraw of a big plan's heatmap takes.
 *
 * Renders an N×N plan (default 4096) into an off-screen 200×60 grid, the
 * work of one frame minus the terminal output, and reports the median of
 * repeated redraws at fit-to-view, zoomed in and in log scale, plus the
 * one-off cost of building the summed-area table (paid once per new plan,
 * not per redraw).  The target is under 50 ms per redraw.
 *
 *     scripts/bench/bench_heatmap [N] [REPEATS]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tui/grid.h"
#include "tui/heatmap.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_redraw(cf_heatmap *h, cf_heatmap_view *v, cf_grid *g, int reps)
{
	double *t = malloc((size_t)reps * sizeof *t), med;
	for (int k = 0; k < reps; k++) {
		double t0 = now();
		cf_grid_clear(g);
		cf_heatmap_render(h, v, g, (cf_rect){0, 0, g->rows, g->cols});
		t[k] = now() - t0;
	}
	qsort(t, (size_t)reps, sizeof *t, cmp);
	med = t[reps / 2];
	free(t);
	return med;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4096;
	int reps = argc > 2 ? atoi(argv[2]) : 21;
	double *p, t0, tsat, sum = 0;
	cf_heatmap *h = cf_heatmap_alloc("T", CF_POOL_SUM);
	cf_heatmap_view v;
	cf_grid g = {0};

	if (n < 1 || reps < 1 || !h)
		return 2;
	p = malloc((size_t)n * (size_t)n * sizeof *p);
	if (!p) {
		fprintf(stderr, "out of memory for %ldx%ld\n", n, n);
		return 1;
	}
	/* an entropic-looking plan: a Gaussian band around the diagonal */
	for (long i = 0; i < n; i++)
		for (long j = 0; j < n; j++) {
			double d = (double)(i - j) / (0.02 * (double)n);
			p[i * n + j] = exp(-d * d);
			sum += p[i * n + j];
		}
	for (long k = 0; k < n * n; k++)
		p[k] /= sum;
	t0 = now();
	cf_heatmap_set_data(h, p, n, n);
	tsat = now() - t0;
	h->show_marginals = 1;
	g.mode = CF_MODE_256;
	cf_grid_resize(&g, 60, 200);
	cf_heatmap_view_init(&v);
	printf("plan %ldx%ld into a 200x60 grid (256 colours), median of %d redraws\n", n, n, reps);
	printf("  summed-area table (once per plan): %8.2f ms\n", 1e3 * tsat);
	printf("  redraw, fit to view, linear:       %8.3f ms\n", 1e3 * median_redraw(h, &v, &g, reps));
	h->scale = CF_SCALE_LOG;
	printf("  redraw, fit to view, log:          %8.3f ms\n", 1e3 * median_redraw(h, &v, &g, reps));
	cf_heatmap_view_zoom(&v, 3);
	printf("  redraw, zoomed 8x, log:            %8.3f ms\n", 1e3 * median_redraw(h, &v, &g, reps));
	g.mode = CF_MODE_RGB;
	cf_heatmap_view_fit(&v);
	printf("  redraw, fit to view, 24-bit:       %8.3f ms\n", 1e3 * median_redraw(h, &v, &g, reps));
	cf_grid_free(&g);
	cf_heatmap_free(h);
	free(p);
	return 0;
}
