/* residual.c — residual stream segments (see residual.h). */
#include "residual.h"

void cf_residual_heads(const cf_net *net, int *head)
{
	int cur = -1; /* the head of the stream the next unit reads: none yet */

	for (int l = 0; l < cf_net_nwlayers(net); l++)
		head[l] = l;
	for (int u = 0; u < cf_net_nunits(net); u++) {
		const cf_net_unit *nu = cf_net_unit_at(net, u);
		int c2 = nu->wl_first + 1;

		if (nu->kind != CF_UNIT_BLOCK) {
			cur = nu->wl_first; /* a plain layer's output starts a stream */
			continue;
		}
		if (nu->wl_n == 3) {
			/* projection: conv2 and the shortcut start a new sum */
			head[c2 + 1] = c2;
			cur = c2;
		} else {
			head[c2] = cur; /* adds into the stream it reads */
		}
	}
}
