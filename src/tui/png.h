/* png.h — a small PNG writer: 8-bit RGB, one IDAT chunk, no filters.
 *
 * Enough for pictures of heatmaps and curves (flat colours compress well
 * without row filters); zlib does the deflate and the CRCs.  Curses-free.
 */
#ifndef CF_TUI_PNG_H
#define CF_TUI_PNG_H

#include <stdint.h>
#include <stdio.h>

/* Write a w×h picture (rgb: h rows of w pixels of 3 bytes, top row first)
 * to f as a PNG.  Returns 0, or an errno value (EINVAL for a size PNG
 * cannot hold, ENOMEM, EIO when f fails). */
int cf_png_write(FILE *f, const uint8_t *rgb, int w, int h);

#endif
