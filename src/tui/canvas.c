/* canvas.c — the RGB raster of the PNG pictures (canvas.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "core/outfile.h"
#include "font.h"
#include "png.h"

cf_canvas *cf_canvas_alloc(int w, int h)
{
	cf_canvas *c;
	if (w < 1 || h < 1 || w > 16384 || h > 16384 || !(c = malloc(sizeof *c)))
		return NULL;
	if (!(c->rgb = malloc(3 * (size_t)w * (size_t)h))) {
		free(c);
		return NULL;
	}
	c->w = w;
	c->h = h;
	memset(c->rgb, 255, 3 * (size_t)w * (size_t)h);
	return c;
}

void cf_canvas_free(cf_canvas *c)
{
	if (c) {
		free(c->rgb);
		free(c);
	}
}

void cf_canvas_rect(cf_canvas *c, int x, int y, int w, int h, const uint8_t rgb[3])
{
	int x1 = x + w > c->w ? c->w : x + w, y1 = y + h > c->h ? c->h : y + h;
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	for (int r = y; r < y1; r++)
		for (int q = x; q < x1; q++)
			memcpy(c->rgb + 3 * ((size_t)r * (size_t)c->w + (size_t)q), rgb, 3);
}

void cf_canvas_line(cf_canvas *c, int x0, int y0, int x1, int y1, int width,
		    const uint8_t rgb[3])
{
	/* Bresenham, a width×width square at each step */
	int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int e = dx + dy, o = (width - 1) / 2;
	for (;;) {
		cf_canvas_rect(c, x0 - o, y0 - o, width, width, rgb);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * e;
		if (e2 >= dy) {
			e += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y0 += sy;
		}
	}
}

int cf_canvas_text_width(const char *s, int scale)
{
	int n = cf_font_length(s);
	return n ? (n * CF_FONT_ADVANCE - 1) * scale : 0;
}

int cf_canvas_text(cf_canvas *c, int x, int y, int scale, int anchor, int vertical, const char *s,
		   const uint8_t rgb[3])
{
	int len = cf_canvas_text_width(s, scale), pos, k;
	uint8_t rows[CF_FONT_H];

	/* pos runs along the text: x when horizontal, upwards from y when not */
	pos = anchor == CF_CANVAS_CENTRE ? len / 2 : anchor == CF_CANVAS_RIGHT ? len : 0;
	pos = vertical ? y + pos : x - pos;
	while ((k = cf_font_glyph(s, rows)) > 0) {
		for (int r = 0; r < CF_FONT_H; r++)
			for (int q = 0; q < CF_FONT_W; q++) {
				if (!(rows[r] >> (CF_FONT_W - 1 - q) & 1))
					continue;
				if (vertical) /* glyph row r → column x + r, column q → up */
					cf_canvas_rect(c, x + r * scale, pos - (q + 1) * scale, scale,
						       scale, rgb);
				else
					cf_canvas_rect(c, pos + q * scale, y + r * scale, scale, scale,
						       rgb);
			}
		pos += (vertical ? -1 : 1) * CF_FONT_ADVANCE * scale;
		s += k;
	}
	return len;
}

int cf_canvas_write_png(const cf_canvas *c, const char *path, cf_error *err)
{
	cf_outfile o;
	int rc, e;

	if ((rc = cf_outfile_open(&o, path, err)))
		return rc;
	if ((e = cf_png_write(o.f, c->rgb, c->w, c->h))) {
		cf_outfile_discard(&o);
		return cf_error_set(err, e == ENOMEM ? CF_ENOMEM : CF_EIO, "%s: %s", path,
				    strerror(e));
	}
	return cf_outfile_commit(&o, err);
}
