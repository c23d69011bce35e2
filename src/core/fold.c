/* fold.c — folding BatchNorm into the preceding conv/linear (see fold.h).
 *
 * Two steps: the architecture is rewritten first (BN units dropped, biases
 * switched on where a BN was folded in), a network is built for it, and
 * then the parameters are copied op by op, scaled where a BN followed.
 * Working on the ops (net_impl.h) rather than on parameter names keeps one
 * code path for every family: an op of the original is either a BN (which
 * has no counterpart) or corresponds to the next op of the folded network.
 */
#include "fold.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "net_impl.h"

/* Why unit i (a BN) cannot be folded, or CF_OK when unit i - 1 is a conv
 * or linear layer whose outputs it normalises. */
static int check_bn_unit(const cf_arch *a, int i, cf_error *err)
{
	char prev[96];
	if (i == 0)
		return cf_error_set(err, CF_EINVAL,
				    "fold BatchNorm: unit 1 (bn) is the first unit: there is no conv "
				    "or linear layer before it to fold it into");
	if (a->unit[i - 1].kind == CF_UNIT_CONV || a->unit[i - 1].kind == CF_UNIT_LINEAR)
		return CF_OK;
	cf_arch_unit_str(&a->unit[i - 1], prev, sizeof prev);
	return cf_error_set(err, CF_EINVAL,
			    "fold BatchNorm: unit %d (bn) follows unit %d \"%s\", not a conv or "
			    "linear layer: only a BN right after one can be folded into its weights",
			    i + 1, i, prev);
}

/* The BN-free architecture: BN units dropped, a bias on each layer a BN
 * followed and on every conv of a block that had BN.  Checks every BN. */
static int fold_arch(const cf_arch *a, cf_arch **out, cf_error *err)
{
	cf_arch *f = cf_arch_copy(a);
	int n = 0, rc;

	*out = NULL;
	if (!f)
		return cf_error_set(err, CF_ENOMEM, "fold BatchNorm: out of memory");
	for (int i = 0; i < a->nunits; i++) {
		cf_arch_unit u = a->unit[i];
		if (u.kind == CF_UNIT_BN) {
			if ((rc = check_bn_unit(a, i, err))) {
				cf_arch_free(f);
				return rc;
			}
			f->unit[n - 1].bias = 1; /* the conv/linear just kept */
			continue;
		}
		if (u.kind == CF_UNIT_BLOCK && u.bn) {
			u.bn = 0;
			u.bias = 1;
		}
		/* vgg prints one bias setting for every layer: a classifier
		 * without a bias gets a zero one (the same function) */
		if (a->family == CF_ARCH_VGG && a->bn &&
		    (u.kind == CF_UNIT_CONV || u.kind == CF_UNIT_LINEAR))
			u.bias = 1;
		f->unit[n++] = u;
	}
	f->nunits = n;
	if (a->family == CF_ARCH_VGG && a->bn)
		f->bias = 1;
	if (a->family == CF_ARCH_RESNET && a->bn)
		f->convbias = 1;
	f->bn = 0;
	if ((rc = cf_arch_check(f, err))) {
		cf_arch_free(f);
		return cf_error_prefix(err, rc, "fold BatchNorm");
	}
	*out = f;
	return CF_OK;
}

/* Copy one conv/linear from src (weights sw, bias index sb or -1, BN index
 * bn or -1) into dst (dw, db), applying the BN's eval-mode affine map. */
static void fold_layer(const cf_net *src, const cf_convp *s, int bn, cf_net *dst,
		       const cf_convp *d)
{
	const cf_tensor *W = &src->params[s->w].t;
	const float *b = s->b >= 0 ? src->params[s->b].t.data : NULL;
	float *W2 = dst->params[d->w].t.data;
	float *b2 = d->b >= 0 ? dst->params[d->b].t.data : NULL;
	int64_t cout = W->shape[0], row = W->size / cout;

	for (int64_t o = 0; o < cout; o++) {
		double scale = 1.0, shift = 0.0, bias = b ? b[o] : 0.0;
		if (bn >= 0) {
			const cf_net_param *p = &src->params[bn];
			double g = p[0].t.data[o], beta = p[1].t.data[o];
			double mu = p[2].t.data[o], var = p[3].t.data[o];
			scale = g / sqrt(var + (double)CF_BN_EPS);
			shift = beta - mu * scale;
		}
		for (int64_t k = 0; k < row; k++)
			W2[o * row + k] = (float)(scale * W->data[o * row + k]);
		if (b2)
			b2[o] = (float)(scale * bias + shift);
	}
}

/* Fill dst's parameters from src: ops of src map in order onto the ops of
 * dst, skipping src's BN ops (folded into the op before them). */
static void fold_params(const cf_net *src, cf_net *dst)
{
	int j = 0;
	for (int i = 0; i < src->nops; i++) {
		const cf_op *so = &src->ops[i];
		const cf_op *d;
		if (so->kind == CF_UNIT_BN)
			continue;
		d = &dst->ops[j++];
		if (so->kind == CF_UNIT_LINEAR || so->kind == CF_UNIT_CONV) {
			int next_bn = i + 1 < src->nops && src->ops[i + 1].kind == CF_UNIT_BN;
			fold_layer(src, &so->cv[0], next_bn ? src->ops[i + 1].cv[0].bn : -1, dst,
				   &d->cv[0]);
		} else if (so->kind == CF_UNIT_BLOCK) {
			for (int k = 0; k < (so->proj ? 3 : 2); k++)
				fold_layer(src, &so->cv[k], so->cv[k].bn, dst, &d->cv[k]);
		}
	}
}

int cf_net_fold_bn(const cf_net *in, cf_net **out, cf_error *err)
{
	cf_arch *fa = NULL;
	cf_net *net = NULL;
	int rc;

	*out = NULL;
	if (!in->has_bn)
		return cf_net_copy(in, out, err);
	if ((rc = fold_arch(in->arch, &fa, err)))
		return rc;
	rc = cf_net_create(fa, &net, err);
	cf_arch_free(fa);
	if (rc)
		return cf_error_prefix(err, rc, "fold BatchNorm");
	fold_params(in, net);
	*out = net;
	return CF_OK;
}
