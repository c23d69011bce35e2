/* heatsvg.c — a heatmap as an SVG picture (heatpic.h): the pooled matrix
 * as crisp rectangles, a 64-step legend with the range, the title and the
 * axes named.  Curses-free.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/outfile.h"
#include "heatsvg.h"
#include "heatpic.h"

void cf_svg_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

static void colour(const cf_heatmap *h, double x, double lo, double hi, char out[8])
{
	uint8_t rgb[3];
	cf_heatpic_colour(h, x, lo, hi, rgb);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static void write_svg(FILE *f, const cf_heatmap *h, const cf_heatpic *p, const char *title,
		      const char *xlabel, const char *ylabel)
{
	int64_t nr = p->nr, nc = p->nc;
	double lo = p->lo, hi = p->hi;
	int cell = (int)(400 / (nr > nc ? nr : nc)), ml = 70, mt = 40, W, H;
	char c[8], cap[64];

	if (cell < 2)
		cell = 2;
	W = ml + (int)nc * cell + 150;
	H = mt + (int)nr * cell + 60;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%d\" y=\"24\" "
		   "font-size=\"15\">", W, H, ml);
	cf_svg_text(f, title);
	fprintf(f, "</text>\n<g shape-rendering=\"crispEdges\">\n");
	for (int64_t i = 0; i < nr; i++)
		for (int64_t j = 0; j < nc; j++) {
			colour(h, p->v[i * nc + j], lo, hi, c);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
				ml + (int)j * cell, mt + (int)i * cell, cell, cell, c);
		}
	fprintf(f, "</g>\n");
	/* the axes: first and last index, and what they count */
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", ml - 4, mt + 10);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", ml - 4,
		mt + (int)nr * cell, (long long)h->rows - 1);
	fprintf(f, "<text x=\"%d\" y=\"%d\">0</text>\n", ml, mt + (int)nr * cell + 16);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", ml + (int)nc * cell,
		mt + (int)nr * cell + 16, (long long)h->cols - 1);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", ml + (int)nc * cell / 2,
		mt + (int)nr * cell + 40);
	cf_svg_text(f, xlabel);
	fprintf(f, "</text>\n<text transform=\"translate(%d,%d) rotate(-90)\" "
		   "text-anchor=\"middle\">", 20, mt + (int)nr * cell / 2);
	cf_svg_text(f, ylabel);
	fprintf(f, "</text>\n");
	/* the legend: the colour scale with its ends and kind */
	{
		int lx = ml + (int)nc * cell + 20, lh = (int)nr * cell < 120 ? 120 : (int)nr * cell;
		for (int k = 0; k < 64; k++) {
			double t = 1 - (k + 0.5) / 64, x = h->scale == CF_SCALE_LOG && lo > 0
								 ? lo * pow(hi / lo, t)
								 : lo + t * (hi - lo);
			colour(h, x, lo, hi, c);
			fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"16\" height=\"%.1f\" fill=\"%s\"/>\n",
				lx, mt + k * lh / 64.0, lh / 64.0 + 0.5, c);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\">%.4g</text>\n", lx + 22, mt + 10, hi);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%.4g</text>\n", lx + 22, mt + lh, lo);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", lx, mt + lh + 18,
			cf_heatpic_caption(h, p, cap, sizeof cap));
	}
	fprintf(f, "</svg>\n");
}

int cf_heatmap_write_svg(const cf_heatmap *h, const char *path, const char *title,
			 const char *xlabel, const char *ylabel, cf_error *err)
{
	cf_heatpic p;
	cf_outfile o;
	int rc;

	if ((rc = cf_heatpic_pool(h, CF_HEATPIC_MAX_SVG, &p, err)))
		return rc;
	if (!(rc = cf_outfile_open(&o, path, err))) {
		write_svg(o.f, h, &p, title, xlabel, ylabel);
		rc = cf_outfile_commit(&o, err);
	}
	cf_heatpic_release(&p);
	return rc;
}
