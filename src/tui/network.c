/* network.c — the network screen: model A (model 0, the deeper), model B,
 * the balanced model and the fused model side by side as columns of units
 * (kind, width), with the cross-layer alignment drawn as connectors from
 * each of B's hidden units to the unit of A it was matched with.  The
 * output units are always matched to each other (dashed).  Identity
 * layers inserted by balancing read "id", dimmed.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "network.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "screen.h"
#include "sess.h"
#include "tourtext.h"
#include "tui.h"

/* column and gap widths: full ("│1  linear   400 │"), or compact
 * ("│1 lin 400│") when the four columns do not fit (80 columns with the
 * guided tour's panel) */
#define COL_W 20
#define GAP_W 12
#define COL_W_NARROW 11
#define GAP_W_NARROW 9

static const char *kind_name(int kind, int narrow)
{
	if (narrow)
		return kind == CF_UNIT_LINEAR ? "lin" : kind == CF_UNIT_CONV ? "cnv" : "blk";
	return kind == CF_UNIT_LINEAR ? "linear" : kind == CF_UNIT_CONV ? "conv" : "block";
}

static int row_of(cf_rect body, int u, int step)
{
	return body.y + 3 + u * step;
}

/* Widths "400-200-100-50-25-10" in at most maxw cells: whole numbers from
 * both ends around "…" ("400-200-…-25-10"), never a number cut in two;
 * other text is elided as usual. */
static const char *elide_widths(const char *sub, int maxw, char *out, size_t size)
{
	const char *tok[64];
	int n = 0, head = 0, tail = 0, w = 1; /* w: the "…" */

	if (cf_utf8_width(sub) <= maxw || strspn(sub, "0123456789-") != strlen(sub))
		return cf_utf8_elide(sub, maxw, out, size);
	for (const char *p = sub; *p; p += strcspn(p, "-"), p += *p == '-') {
		if (n == 64) /* more layers than we keep track of */
			return cf_utf8_elide(sub, maxw, out, size);
		tok[n++] = p;
	}
	/* take numbers from the front and the back in turn while they fit */
	for (int side = 0, miss = 0; head + tail < n && miss < 2; side = !side) {
		int k = side ? n - 1 - tail : head;
		int tw = (int)strcspn(tok[k], "-") + 1;
		if (w + tw > maxw) {
			miss++; /* the other side may still have a shorter one */
			continue;
		}
		miss = 0;
		w += tw;
		if (side)
			tail++;
		else
			head++;
	}
	if (head == 0 || tail == 0)
		return cf_utf8_elide(sub, maxw, out, size);
	snprintf(out, size, "%.*s…%s", (int)(tok[head] - sub), sub, tok[n - tail] - 1);
	return out;
}

/* A column of units; `ident` (may be NULL) flags the units that are
 * inserted identity layers, drawn as "id" and dimmed so they do not pass
 * for layers that were trained. */
static void draw_column(cf_grid *g, cf_rect body, int x, int cw, const char *title,
			const char *sub, const cf_net *net, int step, const unsigned char *ident)
{
	char shown[128];
	int narrow = cw < COL_W;
	cf_grid_puts(g, body.y, x, cw, CF_ROLE_SELECT, title);
	cf_grid_puts(g, body.y + 1, x, cw, CF_ROLE_DIM, elide_widths(sub, cw, shown, sizeof shown));
	if (!net) {
		cf_grid_puts(g, body.y + 3, x, cw, CF_ROLE_DIM, narrow ? "(not yet)" : "(not built yet)");
		return;
	}
	for (int u = 0; u < cf_net_nunits(net); u++) {
		const cf_net_unit *un = cf_net_unit_at(net, u);
		int y = row_of(body, u, step);
		if (y >= body.y + body.h - 1)
			break;
		int id = ident && ident[u];
		cf_grid_printf(g, y, x, cw, id ? CF_ROLE_DIM : CF_ROLE_NORMAL,
			       narrow ? "│%-2d%-3s%4d│" : "│%-2d %-6s %5d │", u + 1,
			       id ? "id" : kind_name(un->kind, narrow), un->width);
	}
}

/* A connector from (ya, xa) to (yb, xb) through the column xv. */
static void connector(cf_grid *g, int ya, int xa, int yb, int xb, int xv, int role)
{
	uint32_t fg, bg;
	int attr;

	cf_grid_role(g, role, &fg, &bg, &attr);
	for (int x = xa; x < xv; x++)
		cf_grid_set(g, ya, x, 0x2500, fg, bg, attr);
	for (int x = xv + 1; x < xb; x++)
		cf_grid_set(g, yb, x, 0x2500, fg, bg, attr);
	if (ya == yb)
		cf_grid_set(g, ya, xv, 0x2500, fg, bg, attr);
	else {
		int lo = ya < yb ? ya : yb, hi = ya < yb ? yb : ya;
		for (int y = lo + 1; y < hi; y++)
			cf_grid_set(g, y, xv, 0x2502, fg, bg, attr);
		cf_grid_set(g, ya, xv, ya < yb ? 0x256e : 0x256f, fg, bg, attr);
		cf_grid_set(g, yb, xv, ya < yb ? 0x2570 : 0x256d, fg, bg, attr);
	}
	cf_grid_set(g, yb, xb - 1, 0x25b6, fg, bg, attr);
}

static void network_draw(cf_tui *t, cf_grid *g, cf_rect body)
{
	struct cf_tsess *S = t->sess;
	cf_session *s;
	const cf_session *R;
	cf_net *a, *b, *bal = NULL, *fused = NULL;
	int i0, i1, na, nb, step, xa, xb, xc, xd, cw, gw, rebuilt = -1;
	char wa[128], sub[64];
	unsigned char ident[256];
	int has_ident = 0;

	if (!S) {
		cf_grid_puts(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
			     "no fusion session: clafuse tui A.safetensors B.safetensors --data SPEC");
		return;
	}
	s = S->s;
	if (cf_session_nmodels(s) < 2) {
		cf_grid_puts(g, body.y + 1, body.x + 2, body.w - 4, CF_ROLE_DIM,
			     "the network screen needs two models");
		return;
	}
	cf_session_pair(s, &i0, &i1);
	a = cf_session_model(s, i0);
	b = cf_session_model(s, i1);
	if ((R = cf_tsess_results(t))) {
		rebuilt = cf_session_balanced_rebuilt(R);
		bal = rebuilt >= 0 ? cf_session_balanced(R, rebuilt) : cf_session_balanced(R, 1);
		fused = cf_session_fused(R);
	}
	na = cf_net_nunits(a);
	nb = cf_net_nunits(b);
	step = (na > nb ? na : nb) * 2 + 4 <= body.h ? 2 : 1;
	/* full columns when A, B and the balanced model fit, else compact */
	cw = 3 * COL_W + GAP_W + 3 <= body.w ? COL_W : COL_W_NARROW;
	gw = cw == COL_W ? GAP_W : GAP_W_NARROW;
	xa = body.x + 1;
	xb = xa + cw + gw;
	xc = xb + cw + 2;
	xd = xc + cw + 2;
	cf_tour_widths(a, wa, sizeof wa);
	draw_column(g, body, xa, cw, na > nb ? (cw < COL_W ? "A (deeper)" : "A  model 0 (deeper)")
					   : cw < COL_W ? "A" : "A  model 0", wa, a, step, NULL);
	cf_tour_widths(b, wa, sizeof wa);
	draw_column(g, body, xb, cw, nb > na ? (cw < COL_W ? "B (deeper)" : "B  model 1 (deeper)")
					   : cw < COL_W ? "B" : "B  model 1", wa, b, step, NULL);
	snprintf(sub, sizeof sub, "%s", !R ? "(running)" : rebuilt == 0 ? "model 0 rebuilt"
						: cw < COL_W ? "B + ids" : "model 1 + identities");
	/* `add` rebuilds the shallower model with the deeper one's units: a
	 * unit no hidden unit of it was matched to is an inserted identity */
	if (bal && rebuilt == i1 && S->map && cf_net_nunits(bal) <= (int)sizeof ident) {
		int nu = cf_net_nunits(bal);
		memset(ident, 1, (size_t)nu);
		ident[nu - 1] = 0;
		for (int j = 0; j < S->nmap; j++)
			if (S->map[j] >= 1 && S->map[j] <= nu)
				ident[S->map[j] - 1] = 0;
		has_ident = 1;
	}
	if (xc + cw <= body.x + body.w)
		draw_column(g, body, xc, cw, "balanced", sub, bal, step, has_ident ? ident : NULL);
	if (xd + cw <= body.x + body.w)
		draw_column(g, body, xd, cw, "fused", fused ? "balanced's shape" : "", fused, step, NULL);
	/* connectors: B's hidden unit j ← A's unit map[j] */
	if (S->map) {
		for (int j = 0; j < S->nmap && j < nb - 1; j++) {
			int i = S->map[j] - 1, ya = row_of(body, i, step), yb = row_of(body, j, step);
			int xv = xa + cw + 2 + (j * 3) % (gw - 4);
			if (i < 0 || i >= na || ya >= body.y + body.h - 1 || yb >= body.y + body.h - 1)
				continue;
			connector(g, ya, xa + cw, yb, xb, xv, CF_ROLE_PATH);
		}
		{
			int ya = row_of(body, na - 1, step), yb = row_of(body, nb - 1, step);
			if (ya < body.y + body.h - 1 && yb < body.y + body.h - 1)
				connector(g, ya, xa + cw, yb, xb, xa + cw + gw - 3, CF_ROLE_DIM);
		}
		cf_grid_puts(g, body.y + body.h - 1, body.x + 1, body.w - 2, CF_ROLE_DIM,
			     body.w >= 96 ? "connectors: the cross-layer alignment (B's unit ◀ the unit "
					    "of A matched to it); outputs always match"
					  : "connectors: B's unit ◀ A's unit matched to it");
	} else
		cf_grid_puts(g, body.y + body.h - 1, body.x + 1, body.w - 2, CF_ROLE_DIM,
			     "no alignment yet (r runs the steps)");
}

static int network_key(cf_tui *t, int key)
{
	(void)t;
	return key == KEY_MOUSE;
}

const cf_screen cf_screen_network = {"network", network_draw, network_key};
