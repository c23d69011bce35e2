/* cmap.c — colour maps, xterm quantisation and shade levels (see cmap.h).
 *
 * The control colours are eleven evenly spaced samples of each map; linear
 * interpolation between them stays within a few units of the full tables,
 * far below what the 256-colour palette can resolve.  The xterm quantisation
 * of each map is computed once, on first use, for all 256 table entries.
 */
#include "cmap.h"

#include <math.h>

#include "grid.h"

static const uint8_t ctrl[CF_CMAP_N][11][3] = {
	[CF_CMAP_VIRIDIS] = {{68, 1, 84}, {72, 36, 117}, {65, 68, 135}, {53, 95, 141},
			     {42, 120, 142}, {33, 145, 140}, {34, 168, 132}, {68, 191, 112},
			     {122, 209, 81}, {189, 223, 38}, {253, 231, 37}},
	[CF_CMAP_MAGMA] = {{0, 0, 4}, {20, 14, 54}, {59, 15, 112}, {100, 26, 128},
			   {140, 41, 129}, {183, 55, 121}, {222, 73, 104}, {247, 112, 92},
			   {254, 159, 109}, {254, 207, 146}, {252, 253, 191}},
	[CF_CMAP_GREY] = {{0, 0, 0}, {26, 26, 26}, {51, 51, 51}, {77, 77, 77},
			  {102, 102, 102}, {128, 128, 128}, {153, 153, 153}, {179, 179, 179},
			  {204, 204, 204}, {230, 230, 230}, {255, 255, 255}},
};

static const char *const names[CF_CMAP_N] = {"viridis", "magma", "grey"};

const char *cf_cmap_name(int cmap)
{
	return cmap >= 0 && cmap < CF_CMAP_N ? names[cmap] : NULL;
}

static int valid(int cmap)
{
	return cmap >= 0 && cmap < CF_CMAP_N ? cmap : CF_CMAP_VIRIDIS;
}

void cf_cmap_rgb(int cmap, double t, uint8_t rgb[3])
{
	double p;
	int k;

	cmap = valid(cmap);
	if (!(t > 0))
		t = 0;
	if (t > 1)
		t = 1;
	p = t * 10;
	k = (int)p;
	if (k >= 10)
		k = 9;
	p -= k;
	for (int c = 0; c < 3; c++) {
		double v = ctrl[cmap][k][c] * (1 - p) + ctrl[cmap][k + 1][c] * p;
		rgb[c] = (uint8_t)(v + 0.5);
	}
}

int cf_cmap_lut_index(double t)
{
	if (!(t > 0))
		return 0;
	if (t >= 1)
		return 255;
	return (int)floor(t * 255 + 0.5);
}

static const int cube[6] = {0, 95, 135, 175, 215, 255};

void cf_xterm_rgb(int idx, uint8_t rgb[3])
{
	static const uint8_t sys[16][3] = {
		{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205},
		{0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0}, {0, 255, 0},
		{255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
	if (idx < 0)
		idx = 0;
	if (idx > 255)
		idx = 255;
	if (idx < 16) {
		rgb[0] = sys[idx][0];
		rgb[1] = sys[idx][1];
		rgb[2] = sys[idx][2];
	} else if (idx < 232) {
		int i = idx - 16;
		rgb[0] = (uint8_t)cube[i / 36];
		rgb[1] = (uint8_t)cube[i / 6 % 6];
		rgb[2] = (uint8_t)cube[i % 6];
	} else {
		uint8_t v = (uint8_t)(8 + 10 * (idx - 232));
		rgb[0] = rgb[1] = rgb[2] = v;
	}
}

int cf_xterm_nearest(int r, int g, int b)
{
	int best = 16;
	long bestd = -1;

	for (int idx = 16; idx < 256; idx++) {
		uint8_t c[3];
		long dr, dg, db, d;
		cf_xterm_rgb(idx, c);
		dr = r - c[0];
		dg = g - c[1];
		db = b - c[2];
		d = dr * dr + dg * dg + db * db;
		if (bestd < 0 || d < bestd) {
			bestd = d;
			best = idx;
		}
	}
	return best;
}

static uint8_t lut[CF_CMAP_N][256];
static int lut_steps[CF_CMAP_N];

static void lut_init(int cmap)
{
	unsigned char seen[256] = {0};
	int steps = 0;
	if (lut_steps[cmap])
		return;
	for (int k = 0; k < 256; k++) {
		uint8_t c[3];
		cf_cmap_rgb(cmap, k / 255.0, c);
		lut[cmap][k] = (uint8_t)cf_xterm_nearest(c[0], c[1], c[2]);
	}
	for (int k = 0; k < 256; k++)
		if (!seen[lut[cmap][k]]++)
			steps++;
	lut_steps[cmap] = steps;
}

int cf_cmap_xterm(int cmap, double t)
{
	cmap = valid(cmap);
	lut_init(cmap);
	return lut[cmap][cf_cmap_lut_index(t)];
}

int cf_cmap_steps(int cmap)
{
	cmap = valid(cmap);
	lut_init(cmap);
	return lut_steps[cmap];
}

uint32_t cf_cmap_colour(int cmap, double t, int mode)
{
	if (mode == CF_MODE_RGB) {
		uint8_t c[3];
		cf_cmap_rgb(cmap, t, c);
		return CF_COL_RGB(c[0], c[1], c[2]);
	}
	return CF_COL_IDX(cf_cmap_xterm(cmap, t));
}

uint32_t cf_cmap_shade(double t)
{
	static const uint32_t shades[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
	int k;
	if (!(t > 0))
		return shades[0];
	k = (int)(t * 5);
	return shades[k > 4 ? 4 : k];
}
