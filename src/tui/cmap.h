/* cmap.h — colour maps for heatmaps and their honest 256-colour form.
 *
 * A map takes t in [0, 1] to a 24-bit colour (piecewise-linear between
 * eleven control colours sampled from the published perceptual maps).  On a
 * 256-colour terminal every colour is quantised once to the nearest xterm
 * palette entry (the 6×6×6 cube and the 24 greys; the 16 system colours are
 * skipped because terminals redefine them): viridis then has only a dozen or
 * so distinct steps, and cf_cmap_steps() says how many so the legend can be
 * truthful.  Without colours, levels become the shade characters " ░▒▓█".
 */
#ifndef CF_TUI_CMAP_H
#define CF_TUI_CMAP_H

#include <stdint.h>

typedef enum cf_cmap_id {
	CF_CMAP_VIRIDIS = 0,
	CF_CMAP_MAGMA,
	CF_CMAP_GREY,
	CF_CMAP_N
} cf_cmap_id;

/* Name of a map ("viridis", "magma", "grey"); NULL if out of range. */
const char *cf_cmap_name(int cmap);
/* 24-bit colour of t (clamped to [0, 1]; NaN gives t = 0). */
void cf_cmap_rgb(int cmap, double t, uint8_t rgb[3]);
/* Index (0..255) of the 256-entry table entry for t: floor(t·255 + 0.5). */
int cf_cmap_lut_index(double t);
/* The xterm colour (16..255) nearest to the map at t. */
int cf_cmap_xterm(int cmap, double t);
/* Distinct xterm colours over the map's 256-entry table. */
int cf_cmap_steps(int cmap);
/* The xterm colour (16..255) nearest to r, g, b by squared distance. */
int cf_xterm_nearest(int r, int g, int b);
/* The 24-bit value of xterm colour idx (16..255; lower ones: the usual
 * VGA-like defaults). */
void cf_xterm_rgb(int idx, uint8_t rgb[3]);
/* Cell colour code (grid.h) of t for a colour mode (256 or RGB); for mono
 * and 8-colour modes the caller uses cf_cmap_shade(). */
uint32_t cf_cmap_colour(int cmap, double t, int mode);
/* Shade character for t: ' ', ░, ▒, ▓, █. */
uint32_t cf_cmap_shade(double t);

#endif
