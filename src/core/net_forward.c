/* net_forward.c — the forward pass (see net.h).
 *
 * Every op writes its own output buffer in the workspace (flatten aliases
 * its input), so the backward pass finds every intermediate it needs and
 * recording is a copy from a known buffer.  All arithmetic is in ops.c.
 */
#include "net_impl.h"

#include <string.h>

static const float *pd(const cf_net *net, int i)
{
	return i >= 0 ? net->params[i].t.data : NULL;
}

/* BN over N×c×hw: batch statistics in TRAIN mode, running ones in EVAL. */
static void bn_fwd(cf_net *net, cf_convp *cv, const float *x, int64_t N, int c, int hw,
		   enum cf_net_mode mode, float *y)
{
	cf_net_param *p = &net->params[cv->bn];
	if (mode == CF_NET_TRAIN) {
		cf_batchnorm_forward_train(x, N, c, hw, p[0].t.data, p[1].t.data, CF_BN_EPS,
					   CF_BN_MOMENTUM, p[2].t.data, p[3].t.data,
					   cv->save_mean, cv->save_invstd, y);
		p[4].t.data[0] += 1.0f;
	} else {
		cf_batchnorm_forward_eval(x, N, c, hw, p[0].t.data, p[1].t.data, CF_BN_EPS,
					  p[2].t.data, p[3].t.data, y);
	}
}

static void block_fwd(cf_net *net, cf_op *op, const float *x, int64_t N, enum cf_net_mode mode)
{
	cf_convp *c1 = &op->cv[0], *c2 = &op->cv[1], *c3 = &op->cv[2];
	int64_t m = (int64_t)c1->s.cout * c1->s.oh * c1->s.ow, o = op->out_sz;
	int hw1 = c1->s.oh * c1->s.ow, hw2 = c2->s.oh * c2->s.ow;
	const float *sc = x;

	cf_conv_forward(&c1->s, x, N, pd(net, c1->w), pd(net, c1->b), op->a1,
			net->work);
	if (c1->bn >= 0)
		bn_fwd(net, c1, op->a1, N, c1->s.cout, hw1, mode, op->b1);
	cf_relu_forward(op->b1, N * m, op->h);
	cf_conv_forward(&c2->s, op->h, N, pd(net, c2->w), pd(net, c2->b), op->a2,
			net->work);
	if (c2->bn >= 0)
		bn_fwd(net, c2, op->a2, N, c2->s.cout, hw2, mode, op->b2);
	if (op->proj) {
		cf_conv_forward(&c3->s, x, N, pd(net, c3->w), pd(net, c3->b), op->a3,
				net->work);
		if (c3->bn >= 0)
			bn_fwd(net, c3, op->a3, N, c3->s.cout, hw2, mode, op->b3);
		sc = op->b3;
	}
	memcpy(op->z, op->b2, sizeof(float) * (size_t)(N * o));
	cf_axpy(N * o, 1.0f, sc, op->z);
	cf_relu_forward(op->z, N * o, op->y);
}

/* Pointer to what weight layer l records, after a forward: with
 * `branches`, a block's conv2 and shortcut give the terms of the sum (b2,
 * b3 alias a2, a3 without BN), so no buffer is added to the forward. */
static const float *recorded(const cf_net *net, const cf_net_wlayer *l, int branches)
{
	const cf_op *op = &net->ops[net->units[l->unit].arch_unit];
	switch (l->role) {
	case CF_WL_CONV1: return op->a1;
	case CF_WL_CONV2: return branches ? op->b2 : op->z;
	case CF_WL_SHORTCUT: return branches ? op->b3 : op->a3;
	default: return op->y;
	}
}

/* Run ops first..last (inclusive) on cur; returns the last one's output. */
static const float *run_ops(cf_net *net, int first, int last, const float *cur, int64_t N,
			    enum cf_net_mode mode)
{
	for (int i = first; i <= last; i++) {
		cf_op *op = &net->ops[i];
		int hw = op->in_h * op->in_w;
		op->x = cur;
		switch (op->kind) {
		case CF_UNIT_LINEAR:
			cf_linear_forward(cur, N, op->cv[0].s.cin, op->cv[0].s.cout,
					  pd(net, op->cv[0].w), pd(net, op->cv[0].b), op->y);
			break;
		case CF_UNIT_CONV:
			cf_conv_forward(&op->cv[0].s, cur, N, pd(net, op->cv[0].w),
					pd(net, op->cv[0].b), op->y, net->work);
			break;
		case CF_UNIT_RELU:
			cf_relu_forward(cur, N * op->in_sz, op->y);
			break;
		case CF_UNIT_MAXPOOL:
			cf_maxpool_forward(cur, N, op->in_c, op->in_h, op->in_w, op->k, op->stride,
					   op->y, op->argmax);
			break;
		case CF_UNIT_AVGPOOL:
			cf_avgpool_forward(cur, N, op->in_c, op->in_h, op->in_w, op->k, op->stride, op->y);
			break;
		case CF_UNIT_GAP:
			cf_gap_forward(cur, N, op->in_c, hw, op->y);
			break;
		case CF_UNIT_FLATTEN:
			op->y = (float *)(uintptr_t)cur; /* same memory, new shape */
			break;
		case CF_UNIT_BN:
			bn_fwd(net, &op->cv[0], cur, N, op->in_c, hw, mode, op->y);
			break;
		case CF_UNIT_BLOCK:
			block_fwd(net, op, cur, N, mode);
			break;
		}
		cur = op->y;
	}
	return cur;
}

int cf_net_forward(cf_net *net, const float *x, int64_t N, enum cf_net_mode mode,
		   cf_activations *rec, float *logits, cf_error *err)
{
	const float *cur = x;
	int rc;

	if (N <= 0 || !x)
		return cf_error_set(err, CF_EINVAL, "forward: need a positive number of samples (got %lld)",
				    (long long)N);
	if (rec && (rec->N != N || rec->n != net->nwl))
		return cf_error_set(err, CF_EINVAL,
				    "forward: recording buffers hold %lld samples of %d layers, expected %lld of %d",
				    (long long)rec->N, rec->n, (long long)N, net->nwl);
	if ((rc = cf_net_workspace(net, N, err)))
		return rc;
	cur = run_ops(net, 0, net->nops - 1, x, N, mode);
	net->logits = cur;
	net->last_N = N;
	net->last_mode = mode;
	net->have_forward = 1;
	if (logits)
		memcpy(logits, cur, sizeof(float) * (size_t)(N * net->arch->nclasses));
	if (rec)
		for (int l = 0; l < net->nwl; l++)
			memcpy(rec->a[l]->data, recorded(net, &net->wl[l], rec->branches),
			       sizeof(float) * (size_t)rec->a[l]->size);
	return CF_OK;
}

int cf_net_forward_again(cf_net *net, int from, cf_activations *rec, cf_error *err)
{
	if (!net->have_forward || net->last_mode != CF_NET_EVAL)
		return cf_error_set(err, CF_EINVAL, "forward again: no whole forward in evaluation "
				    "mode before it");
	if (from < 0 || from >= net->nwl)
		return cf_error_set(err, CF_EINVAL, "forward again: layer %d out of range 1..%d",
				    from + 1, net->nwl);
	if (rec && (rec->N != net->last_N || rec->n != net->nwl))
		return cf_error_set(err, CF_EINVAL, "forward again: recording buffers hold %lld "
				    "samples of %d layers, the last forward had %lld of %d",
				    (long long)rec->N, rec->n, (long long)net->last_N, net->nwl);
	const cf_net_unit *u = &net->units[net->wl[from].unit];
	const cf_op *op = &net->ops[u->arch_unit];
	net->logits = run_ops(net, u->arch_unit, net->nops - 1, op->x, net->last_N, CF_NET_EVAL);
	if (rec)
		for (int l = u->wl_first; l < net->nwl; l++)
			memcpy(rec->a[l]->data, recorded(net, &net->wl[l], rec->branches),
			       sizeof(float) * (size_t)rec->a[l]->size);
	return CF_OK;
}

const float *cf_net_logits(const cf_net *net)
{
	return net->have_forward ? net->logits : NULL;
}

/* The ops of weight layers from..to (see net.h) and their sizes. */
static int part_ops(const cf_net *net, int from, int to, int *first, int *last, cf_error *err)
{
	if (from < 0 || from >= net->nwl || to < from || to >= net->nwl)
		return cf_error_set(err, CF_EINVAL, "layers %d..%d out of range 1..%d", from + 1,
				    to + 1, net->nwl);
	const cf_net_unit *uf = &net->units[net->wl[from].unit];
	const cf_net_unit *ut = &net->units[net->wl[to].unit];
	if (uf->wl_first != from)
		return cf_error_set(err, CF_EINVAL, "layer %d (%s) is inside a residual block: "
				    "start at its first layer, %d", from + 1, net->wl[from].name,
				    uf->wl_first + 1);
	if (ut->kind == CF_UNIT_BLOCK)
		return cf_error_set(err, CF_EINVAL, "layer %d (%s) is inside a residual block, whose "
				    "layers have no output of their own", to + 1, net->wl[to].name);
	*first = uf->arch_unit;
	*last = ut->arch_unit;
	return CF_OK;
}

int cf_net_part_sizes(const cf_net *net, int from, int to, int64_t *in, int64_t *out,
		      cf_error *err)
{
	int first, last, rc = part_ops(net, from, to, &first, &last, err);
	if (rc)
		return rc;
	*in = net->ops[first].in_sz;
	*out = net->ops[last].out_sz;
	return CF_OK;
}

int cf_net_forward_part(cf_net *net, int from, int to, const float *x, int64_t N, float *out,
			cf_error *err)
{
	int first, last, rc = part_ops(net, from, to, &first, &last, err);
	if (rc)
		return rc;
	if (N <= 0 || !x || !out)
		return cf_error_set(err, CF_EINVAL, "forward: need a positive number of samples "
				    "(got %lld)", (long long)N);
	if ((rc = cf_net_workspace(net, N, err)))
		return rc;
	const float *y = run_ops(net, first, last, x, N, CF_NET_EVAL);
	net->have_forward = 0; /* not a whole forward: nothing to backpropagate */
	memcpy(out, y, sizeof(float) * (size_t)(N * net->ops[last].out_sz));
	return CF_OK;
}
