/* heatsvg.h — a heatmap as an SVG picture (heatsvg.c). */
#ifndef CF_TUI_HEATSVG_H
#define CF_TUI_HEATSVG_H

#include <stdio.h>

#include "heatpic.h"

/* The heatmap with its title, axis labels and legend as SVG at PATH,
 * through the atomic writer. */
int cf_heatmap_write_svg(const cf_heatmap *h, const char *path, const char *title,
			 const char *xlabel, const char *ylabel, cf_error *err);

/* TEXT written XML-safe (<, > and & escaped), for the SVG writers. */
void cf_svg_text(FILE *f, const char *s);

#endif
