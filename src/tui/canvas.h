/* canvas.h — an RGB raster for pictures written as PNG: filled rectangles,
 * lines and text in the bitmap font (font.h) at an integer scale.
 * Drawing clips to the canvas.  Curses-free.
 */
#ifndef CF_TUI_CANVAS_H
#define CF_TUI_CANVAS_H

#include <stdint.h>

#include "core/error.h"

typedef struct cf_canvas {
	int w, h;
	uint8_t *rgb; /* h rows of w pixels, 3 bytes each */
} cf_canvas;

/* Text anchors: the x given is the text's left end, centre or right end. */
enum { CF_CANVAS_LEFT = 0, CF_CANVAS_CENTRE, CF_CANVAS_RIGHT };

/* A w×h canvas filled with white.  NULL when out of memory or the size is
 * not in 1..16384. */
cf_canvas *cf_canvas_alloc(int w, int h);
void cf_canvas_free(cf_canvas *c);
void cf_canvas_rect(cf_canvas *c, int x, int y, int w, int h, const uint8_t rgb[3]);
/* A line `width` pixels thick from (x0, y0) to (x1, y1). */
void cf_canvas_line(cf_canvas *c, int x0, int y0, int x1, int y1, int width,
		    const uint8_t rgb[3]);
/* Text with its top at y, anchored at x; each font pixel is scale×scale.
 * vertical: turned a quarter left (reads bottom to top), x then names the
 * left edge and y the anchor along the text.  Returns the text's length in
 * pixels. */
int cf_canvas_text(cf_canvas *c, int x, int y, int scale, int anchor, int vertical, const char *s,
		   const uint8_t rgb[3]);
/* Length in pixels of s at that scale. */
int cf_canvas_text_width(const char *s, int scale);
/* Write the canvas as a PNG through the atomic writer (outfile.h).
 * Returns a status; err names the file. */
int cf_canvas_write_png(const cf_canvas *c, const char *path, cf_error *err);

#endif
