/* net_backward.c — the backward pass (see net.h).
 *
 * Gradients flow through two ping-pong buffers (dy in one, dx written to the
 * other), plus three temporaries inside residual blocks; parameter
 * gradients accumulate in the net's gradient array.  The first op skips
 * its input gradient, which nobody needs.
 */
#include "net_impl.h"

#include <string.h>

static float *pg(cf_net *net, int i)
{
	return i >= 0 ? net->params[i].grad : NULL;
}

static const float *pd(const cf_net *net, int i)
{
	return i >= 0 ? net->params[i].t.data : NULL;
}

static void bn_bwd(cf_net *net, const cf_convp *cv, const float *x, const float *dy, int64_t N,
		   int c, int hw, float *dx)
{
	cf_net_param *p = &net->params[cv->bn];
	cf_batchnorm_backward(x, dy, N, c, hw, p[0].t.data, cv->save_mean, cv->save_invstd, dx,
			      p[0].grad, p[1].grad);
}

/* Backward through one of a block's convolutions and its BatchNorm (if
 * any): dz, the gradient at the BN's output (or the conv's without BN),
 * goes through the BN into scratch, then through the conv (input x) into
 * dx (NULL: only the weight gradients). */
static void conv_bn_bwd(cf_net *net, cf_convp *c, const float *a, const float *x, const float *dz,
			int64_t N, int hw, float *scratch, float *dx)
{
	const float *d = dz;
	if (c->bn >= 0) {
		bn_bwd(net, c, a, dz, N, c->s.cout, hw, scratch);
		d = scratch;
	}
	cf_conv_backward(&c->s, x, d, N, pd(net, c->w), dx, pg(net, c->w), pg(net, c->b), net->work);
}

static void block_bwd(cf_net *net, cf_op *op, const float *dy, int64_t N, float *dx)
{
	cf_convp *c1 = &op->cv[0], *c2 = &op->cv[1], *c3 = &op->cv[2];
	int64_t m = (int64_t)c1->s.cout * c1->s.oh * c1->s.ow, o = op->out_sz;
	int hw1 = c1->s.oh * c1->s.ow, hw2 = c2->s.oh * c2->s.ow;
	float *dz = net->t[0], *ta = net->t[1], *tb = net->t[2];

	cf_relu_backward(op->y, dy, N * o, dz);
	/* main path: BN2, conv2, relu, BN1, conv1 */
	conv_bn_bwd(net, c2, op->a2, op->h, dz, N, hw2, ta, tb);
	cf_relu_backward(op->h, tb, N * m, tb);
	conv_bn_bwd(net, c1, op->a1, op->x, tb, N, hw1, ta, dx);
	/* shortcut */
	if (op->proj) {
		conv_bn_bwd(net, c3, op->a3, op->x, dz, N, hw2, ta, dx ? tb : NULL);
		if (dx)
			cf_axpy(N * op->in_sz, 1.0f, tb, dx);
	} else if (dx) {
		cf_axpy(N * o, 1.0f, dz, dx);
	}
}

int cf_net_backward(cf_net *net, const float *dlogits, cf_error *err)
{
	const float *dy = dlogits;
	int64_t N = net->last_N;

	if (!net->have_forward)
		return cf_error_set(err, CF_EINVAL, "backward: no forward pass to go back through");
	if (net->has_bn && net->last_mode != CF_NET_TRAIN)
		return cf_error_set(err, CF_EINVAL,
				    "backward: a network with BatchNorm needs a TRAIN-mode forward pass first");
	for (int i = net->nops - 1; i >= 0; i--) {
		cf_op *op = &net->ops[i];
		float *dx = (dy == net->g[0]) ? net->g[1] : net->g[0];
		int hw = op->in_h * op->in_w;
		if (i == 0 && (op->kind == CF_UNIT_LINEAR || op->kind == CF_UNIT_CONV ||
			       op->kind == CF_UNIT_BLOCK))
			dx = NULL;
		switch (op->kind) {
		case CF_UNIT_LINEAR:
			cf_linear_backward(op->x, dy, N, op->cv[0].s.cin, op->cv[0].s.cout,
					   pd(net, op->cv[0].w), dx, pg(net, op->cv[0].w),
					   pg(net, op->cv[0].b));
			break;
		case CF_UNIT_CONV:
			cf_conv_backward(&op->cv[0].s, op->x, dy, N, pd(net, op->cv[0].w), dx,
					 pg(net, op->cv[0].w), pg(net, op->cv[0].b), net->work);
			break;
		case CF_UNIT_RELU:
			cf_relu_backward(op->y, dy, N * op->in_sz, dx);
			break;
		case CF_UNIT_MAXPOOL:
			cf_maxpool_backward(dy, op->argmax, N, op->in_c, op->in_h, op->in_w, op->out_h,
					    op->out_w, dx);
			break;
		case CF_UNIT_AVGPOOL:
			cf_avgpool_backward(dy, N, op->in_c, op->in_h, op->in_w, op->k, op->stride, dx);
			break;
		case CF_UNIT_GAP:
			cf_gap_backward(dy, N, op->in_c, hw, dx);
			break;
		case CF_UNIT_FLATTEN:
			dx = (float *)(uintptr_t)dy;
			break;
		case CF_UNIT_BN:
			bn_bwd(net, &op->cv[0], op->x, dy, N, op->in_c, hw, dx);
			break;
		case CF_UNIT_BLOCK:
			block_bwd(net, op, dy, N, dx);
			break;
		}
		if (!dx)
			break;
		dy = dx;
	}
	return CF_OK;
}
