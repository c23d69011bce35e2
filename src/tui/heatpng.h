/* heatpng.h — a heatmap as a PNG picture (heatpng.c). */
#ifndef CF_TUI_HEATPNG_H
#define CF_TUI_HEATPNG_H

#include "heatpic.h"

/* Where the picture's cells, legend and labels go: the size and the first
 * cell's corner (the tests read pixels through it). */
void cf_heatpng_frame(const cf_heatmap *h, const cf_heatpic *p, const char *title,
		      const char *xlabel, const char *ylabel, cf_heatpic_frame *fr);

/* The heatmap with its title, axis labels and legend as PNG at PATH,
 * through the atomic writer. */
int cf_heatmap_write_png(const cf_heatmap *h, const char *path, const char *title,
			 const char *xlabel, const char *ylabel, cf_error *err);

#endif
