/* test_picture.c — the pictures the workbench and cf.picture write: the PNG
 * encoder (decoded back here with zlib: signature, chunk CRCs, IHDR,
 * scanlines), the heatmap as PNG (size from the layout, the colour of known
 * cells: a zero cell takes the scale's lowest colour, the largest the
 * highest; ink in the title and the legend), the heatmap as SVG through
 * the atomic writer, the curve picture, and the errors (a directory, a
 * name that is no picture). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "tap.h"
#include "tui/canvas.h"
#include "tui/cmap.h"
#include "tui/curvepic.h"
#include "tui/heatmap.h"
#include "tui/heatpic.h"
#include "tui/heatpng.h"
#include "tui/png.h"

typedef struct png {
	int w, h, chunks, crc_bad, ihdr_ok, iend;
	uint8_t *rgb; /* decoded pixels, NULL when the data did not inflate */
} png;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long sz;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)sz)) && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	*n = b ? (size_t)sz : 0;
	fclose(f);
	return b;
}

/* A decoder for what cf_png_write makes (RGB8, filter 0 on every row),
 * strict about the container: every CRC is checked. */
static int png_decode(const char *path, png *p)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	size_t n, at = 8, zn = 0;
	uint8_t *b = slurp(path, &n), *z = NULL;
	memset(p, 0, sizeof *p);
	if (!b || n < 8 || memcmp(b, sig, 8)) {
		free(b);
		return -1;
	}
	while (at + 12 <= n) {
		uint32_t len = rd32(b + at);
		const uint8_t *type = b + at + 4, *data = b + at + 8;
		if (at + 12 + len > n)
			break;
		uLong crc = crc32(crc32(0L, Z_NULL, 0), type, 4 + len);
		if (crc != rd32(data + len))
			p->crc_bad++;
		p->chunks++;
		if (!memcmp(type, "IHDR", 4) && len == 13) {
			p->w = (int)rd32(data);
			p->h = (int)rd32(data + 4);
			p->ihdr_ok = data[8] == 8 && data[9] == 2 && !data[10] && !data[11] &&
				     !data[12];
		} else if (!memcmp(type, "IDAT", 4)) {
			z = realloc(z, zn + len);
			memcpy(z + zn, data, len);
			zn += len;
		} else if (!memcmp(type, "IEND", 4)) {
			p->iend = 1;
		}
		at += 12 + len;
	}
	if (p->w > 0 && p->h > 0 && z) {
		uLongf rn = (uLongf)p->h * (1 + 3 * (uLongf)p->w), want = rn;
		uint8_t *raw = malloc(rn);
		if (raw && uncompress(raw, &rn, z, (uLong)zn) == Z_OK && rn == want) {
			p->rgb = malloc(3 * (size_t)p->w * (size_t)p->h);
			for (int y = 0; y < p->h; y++) {
				if (raw[(size_t)y * (1 + 3 * (size_t)p->w)] != 0) {
					free(p->rgb);
					p->rgb = NULL;
					break;
				}
				memcpy(p->rgb + (size_t)y * 3 * (size_t)p->w,
				       raw + (size_t)y * (1 + 3 * (size_t)p->w) + 1, 3 * (size_t)p->w);
			}
		}
		free(raw);
	}
	free(z);
	free(b);
	return p->rgb ? 0 : -1;
}

static const uint8_t *px(const png *p, int x, int y)
{
	return p->rgb + 3 * ((size_t)y * (size_t)p->w + (size_t)x);
}

static int same(const uint8_t *a, const uint8_t *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

/* pixels of colour rgb in the box [x0,x1)×[y0,y1) */
static int count(const png *p, int x0, int y0, int x1, int y1, const uint8_t *rgb)
{
	int k = 0;
	for (int y = y0; y < y1 && y < p->h; y++)
		for (int x = x0; x < x1 && x < p->w; x++)
			k += same(px(p, x, y), rgb);
	return k;
}

static char dir[64];

static void test_encoder(void)
{
	uint8_t rgb[2 * 3 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7, 1, 2, 3, 250, 251, 252};
	char path[128];
	FILE *f;
	png p;
	snprintf(path, sizeof path, "%s/tiny.png", dir);
	f = fopen(path, "wb");
	ok(f && cf_png_write(f, rgb, 3, 2) == 0, "a 3x2 picture encodes");
	fclose(f);
	ok(png_decode(path, &p) == 0, "and decodes back");
	ok(p.w == 3 && p.h == 2 && p.ihdr_ok, "IHDR: 3x2, 8-bit RGB, not interlaced (%dx%d)", p.w,
	   p.h);
	ok(p.chunks == 3 && p.iend && p.crc_bad == 0, "IHDR, IDAT, IEND with good CRCs (%d chunks, "
	   "%d bad CRCs)", p.chunks, p.crc_bad);
	ok(p.rgb && !memcmp(p.rgb, rgb, sizeof rgb), "every pixel back as written");
	free(p.rgb);
	f = fopen(path, "wb");
	ok(cf_png_write(f, rgb, 0, 2) != 0, "a picture 0 pixels wide is refused");
	fclose(f);
}

static void test_heat_png(void)
{
	/* a 3x4 plan: zeros, a largest entry at (1,2), something between */
	double a[12] = {0, 0.1, 0, 0, 0.05, 0, 0.4, 0, 0, 0, 0, 0.2};
	cf_heatmap *h = cf_heatmap_alloc("T", CF_POOL_SUM);
	cf_heatpic pic;
	cf_heatpic_frame fr;
	cf_error err = {0};
	uint8_t lo[3], hi[3], mid[3], ink[3] = {0, 0, 0};
	char path[128];
	png p;
	const char *title = "Transport plan T (3×4)";

	cf_heatmap_set_data(h, a, 3, 4);
	h->cmap = CF_CMAP_VIRIDIS;
	snprintf(path, sizeof path, "%s/plan.png", dir);
	ok(cf_heatmap_write_picture(h, path, title, "neurons of B", "neurons of A", &err) == 0,
	   "x plan.png writes (%s)", err.msg);
	ok(png_decode(path, &p) == 0 && p.crc_bad == 0 && p.iend, "plan.png decodes, CRCs good");
	cf_heatpic_pool(h, CF_HEATPIC_MAX_PNG, &pic, NULL);
	cf_heatpng_frame(h, &pic, title, "neurons of B", "neurons of A", &fr);
	ok(fr.cell == 100, "a 4-column matrix gets 100-pixel cells (%d)", fr.cell);
	ok(p.w == fr.w && p.h == fr.h && p.w >= fr.gx + 400 && p.h >= fr.gy + 300,
	   "size %dx%d holds the 400x300 cells at (%d,%d)", p.w, p.h, fr.gx, fr.gy);
	cf_cmap_rgb(CF_CMAP_VIRIDIS, 0, lo);
	cf_cmap_rgb(CF_CMAP_VIRIDIS, 1, hi);
	cf_cmap_rgb(CF_CMAP_VIRIDIS, 0.25, mid);
	ok(same(px(&p, fr.gx + 50, fr.gy + 50), lo) && same(px(&p, fr.gx + 50, fr.gy + 250), lo),
	   "zero cells (0,0) and (2,0) have the scale's lowest colour");
	ok(same(px(&p, fr.gx + 250, fr.gy + 150), hi), "the largest entry (1,2) the highest");
	ok(same(px(&p, fr.gx + 150, fr.gy + 50), mid), "0.1 of 0.4 is a quarter up the map");
	ok(count(&p, fr.gx, fr.gy, fr.gx + 400, fr.gy + 100, lo) == 3 * 100 * 100,
	   "row 0: three zero cells, each 100x100 pixels");
	ok(count(&p, 0, 0, p.w, fr.gy, ink) > 200, "the title is drawn (%d ink pixels)",
	   count(&p, 0, 0, p.w, fr.gy, ink));
	ok(count(&p, 0, fr.gy, fr.gx, fr.gy + 300, ink) > 100,
	   "the rows' numbers and name are drawn left of the cells");
	ok(count(&p, fr.gx + 400, fr.gy, p.w, fr.gy + 300, hi) > 0 &&
	   count(&p, fr.gx + 400, fr.gy, p.w, fr.gy + 300, ink) > 100,
	   "the legend: its bar reaches the top colour, its numbers are drawn");
	free(p.rgb);
	/* log scale: zero is below every positive value, the lowest colour */
	h->scale = CF_SCALE_LOG;
	ok(cf_heatmap_write_png(h, path, title, "b", "a", &err) == 0 && png_decode(path, &p) == 0,
	   "log-scale picture");
	cf_heatpng_frame(h, &pic, title, "b", "a", &fr);
	ok(same(px(&p, fr.gx + 50, fr.gy + 50), lo) && same(px(&p, fr.gx + 250, fr.gy + 150), hi),
	   "log scale: zero lowest, largest highest");
	free(p.rgb);
	cf_heatpic_release(&pic);
	/* errors name the file */
	ok(cf_heatmap_write_png(h, dir, title, "b", "a", &err) != 0 && strstr(err.msg, dir),
	   "a directory is refused, naming it: %s", err.msg);
	snprintf(path, sizeof path, "%s/plan.gif", dir);
	ok(cf_heatmap_write_picture(h, path, title, "b", "a", &err) == CF_EINVAL &&
	   strstr(err.msg, ".png"), "plan.gif: %s", err.msg);
	cf_heatmap_free(h);
}

/* a 400x400 permutation plan (entries 1/400): unpooled in the PNG, every
 * matched pair shows, in linear and in log scale */
static void test_permutation(void)
{
	int n = 400, shown = 0, lin_shown = 0;
	double *a = calloc((size_t)(n * n), sizeof *a);
	cf_heatmap *h = cf_heatmap_alloc("T", CF_POOL_SUM);
	cf_heatpic pic;
	cf_heatpic_frame fr;
	cf_error err = {0};
	uint8_t lo[3];
	char path[128];
	png p;

	for (int i = 0; i < n; i++)
		a[i * n + (i * 7) % n] = 1.0 / n;
	cf_heatmap_set_data(h, a, n, n);
	cf_cmap_rgb(h->cmap, 0, lo);
	snprintf(path, sizeof path, "%s/perm.png", dir);
	for (int scale = 0; scale < 2; scale++) {
		h->scale = scale ? CF_SCALE_LOG : CF_SCALE_LIN;
		cf_heatpic_pool(h, CF_HEATPIC_MAX_PNG, &pic, NULL);
		cf_heatpng_frame(h, &pic, "perm", "b", "a", &fr);
		if (cf_heatmap_write_png(h, path, "perm", "b", "a", &err) || png_decode(path, &p)) {
			ok(0, "perm.png: %s", err.msg);
			continue;
		}
		for (int i = 0; i < n; i++) {
			const uint8_t *c = px(&p, fr.gx + ((i * 7) % n) * fr.cell, fr.gy + i * fr.cell);
			*(scale ? &shown : &lin_shown) += !same(c, lo);
		}
		if (scale)
			ok(pic.nr == n && fr.cell == 2 && pic.lo == pic.hi / 10,
			   "log: 400 rows unpooled, 2-pixel cells, the range a decade (%g..%g)", pic.lo,
			   pic.hi);
		cf_heatpic_release(&pic);
		free(p.rgb);
	}
	ok(lin_shown == n, "linear: all %d matched pairs stand out from the zeros (%d)", n, lin_shown);
	ok(shown == n, "log: all %d matched pairs stand out from the zeros (%d)", n, shown);
	cf_heatmap_free(h);
	free(a);
}

static void test_heat_svg(void)
{
	double a[4] = {0, 1, 2, 0};
	cf_heatmap *h = cf_heatmap_alloc("C", CF_POOL_MEAN);
	cf_error err = {0};
	char path[128], tmpname[160];
	size_t n;
	uint8_t *b;
	struct stat st;

	cf_heatmap_set_data(h, a, 2, 2);
	snprintf(path, sizeof path, "%s/c.svg", dir);
	ok(cf_heatmap_write_picture(h, path, "C & <costs>", "x", "y", &err) == 0, "c.svg writes");
	b = slurp(path, &n);
	ok(b && n > 100 && strstr((char *)b, "C &amp; &lt;costs&gt;") &&
	   strstr((char *)b, "</svg>"), "complete, title escaped");
	free(b);
	snprintf(tmpname, sizeof tmpname, "%s/c.svg.tmp", dir);
	ok(stat(tmpname, &st) != 0, "no c.svg.tmp left behind (the atomic writer's names)");
	cf_heatmap_free(h);
}

static void test_curve(void)
{
	double y[5] = {80, 82.5, 84, 83.9, 85.25};
	uint8_t line[3] = {0x1f, 0x77, 0xb4};
	cf_error err = {0};
	char path[128];
	png p;
	size_t n;
	uint8_t *b;

	snprintf(path, sizeof path, "%s/curve.png", dir);
	ok(cf_curve_write_picture(y, 5, path, "Finetuning", "epoch", "test accuracy (%)", &err) == 0,
	   "curve.png writes (%s)", err.msg);
	png_decode(path, &p);
	ok(p.rgb && p.crc_bad == 0 && p.w == 644 && p.h == 408, "curve.png decodes: 644x408 (%dx%d)",
	   p.w, p.h);
	/* the box is 520x300 at (100,44) over 80.0..85.3: the last point is at
	 * the right edge, 85.25 is 0.05 below the top (3 pixels) */
	ok(p.rgb && same(px(&p, 620, 44 + 3), line) && same(px(&p, 100, 44 + 300), line),
	   "the first point at the bottom-left corner, the last at the top right");
	free(p.rgb);
	snprintf(path, sizeof path, "%s/curve.svg", dir);
	ok(cf_curve_write_picture(y, 5, path, "Finetuning", "epoch", "acc", &err) == 0,
	   "curve.svg writes");
	b = slurp(path, &n);
	ok(b && strstr((char *)b, "points=\"100,344 230,") && strstr((char *)b, ">85.3<") &&
	   strstr((char *)b, ">80.0<"), "polyline from (100,344); axis 80.0..85.3");
	free(b);
	double nan5[2] = {NAN, NAN};
	ok(cf_curve_write_picture(nan5, 2, path, "t", "x", "y", &err) == CF_EINVAL,
	   "no finite point: %s", err.msg);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/cf_picture_XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_encoder();
	test_heat_png();
	test_permutation();
	test_heat_svg();
	test_curve();
	{
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
