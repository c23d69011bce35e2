/* plot.h — small terminal plots: a braille line plot and a progress bar.
 *
 * Braille cells carry 2×4 dots, so a W×H-cell plot has 2W×4H dots: enough
 * for a solver's error per iteration in a corner of the screen.  One colour
 * per cell, so these are for curves, not for heatmaps.
 */
#ifndef CF_TUI_PLOT_H
#define CF_TUI_PLOT_H

#include <stdint.h>

#include "grid.h"

/* Plot y[0..n) as a line in r (x = index, bins of consecutive points keep
 * their last value); logy plots log10 y and skips values ≤ 0.  The range
 * used is returned in *lo, *hi (in the plotted units; NULL allowed).
 * Returns the number of points drawn (0 when nothing finite). */
int cf_plot_braille(cf_grid *g, cf_rect r, const double *y, int64_t n, int logy, int role,
		    double *lo, double *hi);
/* Scatter (x[k], y[k]) in r as braille dots, each axis over its own
 * finite range (returned in range[0..3] as xlo, xhi, ylo, yhi when not
 * NULL; y up).  Returns the number of points drawn. */
int cf_plot_scatter(cf_grid *g, cf_rect r, const double *x, const double *y, int64_t n, int role,
		    double range[4]);
/* A bar of w cells filled to frac ∈ [0,1] with eighth-block precision. */
void cf_plot_bar(cf_grid *g, int y, int x, int w, double frac, int role);

#endif
