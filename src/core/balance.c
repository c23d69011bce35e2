/* balance.c — `add` (identity units into the shallower model) and `merge`
 * (fold unmatched layers of the deeper MLP), see balance.h.
 */
#include "balance.h"
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "acts.h"
#include "cla.h"

const char *const cf_balance_method_names[] = { "add", "merge", NULL };

static int is_weight_unit(enum cf_unit_kind k)
{
	return k == CF_UNIT_LINEAR || k == CF_UNIT_CONV || k == CF_UNIT_BLOCK;
}

/* The units that change resolution (pools, GAP, flatten) must be the same
 * in both models, in the same order: then units in corresponding stages see
 * the same resolutions. */
static int same_skeleton(const cf_arch *a, const cf_arch *b, cf_error *err)
{
	int i = 0, j = 0;
	for (;;) {
		while (i < a->nunits && (is_weight_unit(a->unit[i].kind) || a->unit[i].kind == CF_UNIT_RELU))
			i++;
		while (j < b->nunits && (is_weight_unit(b->unit[j].kind) || b->unit[j].kind == CF_UNIT_RELU))
			j++;
		if (i == a->nunits || j == b->nunits)
			break;
		if (a->unit[i].kind != b->unit[j].kind || a->unit[i].kh != b->unit[j].kh ||
		    a->unit[i].stride != b->unit[j].stride)
			return cf_error_set(err, CF_EINVAL,
					    "balance: the models differ in their pooling/flatten units "
					    "(architecture unit %d of model 0 vs unit %d of model 1)",
					    i + 1, j + 1);
		i++;
		j++;
	}
	if (i != a->nunits || j != b->nunits)
		return cf_error_set(err, CF_EINVAL,
				    "balance: the models have different numbers of pooling/flatten units");
	return CF_OK;
}

/* Copy the parameters of unit k1 of `src` into unit u of `dst` (same
 * structure, checked). */
static int copy_unit(cf_net *dst, int u, const cf_net *src, int k1, cf_error *err)
{
	const cf_net_unit *du = cf_net_unit_at(dst, u), *su = cf_net_unit_at(src, k1);
	if (du->wl_n != su->wl_n)
		return cf_error_set(err, CF_EINVAL, "balance: unit %d has %d weight layers, its "
				    "partner %d has %d", u + 1, du->wl_n, k1 + 1, su->wl_n);
	for (int i = 0; i < du->wl_n; i++) {
		const cf_net_wlayer *dl = cf_net_wlayer_at(dst, du->wl_first + i);
		const cf_net_wlayer *sl = cf_net_wlayer_at(src, su->wl_first + i);
		cf_net_param *dw = cf_net_param_at(dst, dl->weight);
		const cf_net_param *sw = cf_net_param_at((cf_net *)src, sl->weight);
		if (!cf_tensor_same_shape(&dw->t, &sw->t)) {
			char b1[48], b2[48];
			return cf_error_set(err, CF_EINVAL,
					    "balance: %s has shape %s in the balanced model but %s in "
					    "model 1 (%s)", dl->name,
					    cf_tensor_shape_str(dw->t.ndim, dw->t.shape, b1, sizeof b1),
					    cf_tensor_shape_str(sw->t.ndim, sw->t.shape, b2, sizeof b2),
					    sl->name);
		}
		memcpy(dw->t.data, sw->t.data, sizeof(float) * (size_t)sw->t.size);
		if (dl->bias >= 0 && sl->bias >= 0) {
			cf_net_param *db = cf_net_param_at(dst, dl->bias);
			const cf_net_param *sb = cf_net_param_at((cf_net *)src, sl->bias);
			memcpy(db->t.data, sb->t.data, sizeof(float) * (size_t)sb->t.size);
		}
	}
	return CF_OK;
}

/* Set every width of `a` (a copy of model 0's architecture) by walking
 * its units (net unit index u counts weight units): the partner's for a
 * matched unit (match[u] a unit of net1), the incoming width for an
 * identity.  Fails when a matched pair differs in kind, kernel or stride,
 * or when no identity can stand in for an unmatched unit. */
static int set_widths(cf_arch *a, const cf_arch *a1, const cf_net *net1, const int *match,
		      cf_error *err)
{
	int c = a->c, h = a->h, w = a->w;

	for (int i = 0, u = 0; i < a->nunits; i++) {
		cf_arch_unit *x = &a->unit[i];
		switch (x->kind) {
		case CF_UNIT_LINEAR:
		case CF_UNIT_CONV:
		case CF_UNIT_BLOCK:
			if (match[u] >= 0) {
				const cf_arch_unit *y =
					&a1->unit[cf_net_unit_at(net1, match[u])->arch_unit];
				if (y->kind != x->kind || y->kh != x->kh || y->kw != x->kw ||
				    y->stride != x->stride || y->pad != x->pad) {
					char b0[96], b1[96];
					return cf_error_set(err, CF_EINVAL,
							    "balance (add): model-0 unit %d (%s) is matched "
							    "to model-1 unit %d (%s): different kind, kernel "
							    "or stride", u + 1, cf_arch_unit_str(x, b0, sizeof b0),
							    match[u] + 1, cf_arch_unit_str(y, b1, sizeof b1));
				}
				x->out = y->out;
				x->mid = y->mid;
				x->bias = y->bias;
			} else if (x->kind == CF_UNIT_LINEAR) {
				x->out = c * h * w;
				x->bias = a1->bias;
			} else if (x->kind == CF_UNIT_CONV) {
				if (x->stride != 1 || x->kh % 2 == 0 || x->kw % 2 == 0 ||
				    x->kh != x->kw || x->pad != x->kh / 2)
					return cf_error_set(err, CF_EINVAL,
							    "balance (add): no identity can replace model-0 "
							    "unit %d (a conv needs stride 1, an odd square "
							    "kernel and padding k/2)", u + 1);
				x->out = c;
				x->bias = a1->bias;
			} else {
				if (x->stride != 1)
					return cf_error_set(err, CF_EINVAL,
							    "balance (add): no identity can replace model-0 "
							    "unit %d, a downsampling residual block", u + 1);
				x->out = x->mid = c;
			}
			if (x->kind == CF_UNIT_LINEAR) {
				h = w = 1;
			} else if (x->kind == CF_UNIT_CONV) {
				h = (h + 2 * x->pad - x->kh) / x->stride + 1;
				w = (w + 2 * x->pad - x->kw) / x->stride + 1;
			} else {
				h = (h + 2 - 3) / x->stride + 1;
				w = (w + 2 - 3) / x->stride + 1;
			}
			c = x->out;
			u++;
			break;
		case CF_UNIT_MAXPOOL:
		case CF_UNIT_AVGPOOL:
			h = (h - x->kh) / x->stride + 1;
			w = (w - x->kh) / x->stride + 1;
			break;
		case CF_UNIT_GAP:
			h = w = 1;
			break;
		case CF_UNIT_FLATTEN:
			c = c * h * w;
			h = w = 1;
			break;
		default:
			break;
		}
	}
	return CF_OK;
}

/* Fill units 0..m of the balanced net: a matched unit gets its partner's
 * parameters, an unmatched one the identity. */
static int fill_units(cf_net *net, int m, const cf_net *net1, const int *match, cf_error *err)
{
	int rc;

	for (int u = 0; u <= m; u++) {
		const cf_net_unit *nu = cf_net_unit_at(net, u);
		if (match[u] >= 0) {
			if ((rc = copy_unit(net, u, net1, match[u], err)))
				return rc;
		} else if (nu->kind == CF_UNIT_LINEAR) {
			cf_net_param *p = cf_net_param_at(net, cf_net_wlayer_at(net, nu->wl_first)->weight);
			int64_t k = p->t.shape[0];
			for (int64_t r = 0; r < k; r++)
				p->t.data[r * k + r] = 1.0f;
		} else if (nu->kind == CF_UNIT_CONV) {
			const cf_net_wlayer *l = cf_net_wlayer_at(net, nu->wl_first);
			cf_net_param *p = cf_net_param_at(net, l->weight);
			int64_t k = l->out, taps = (int64_t)l->kh * l->kw;
			for (int64_t r = 0; r < k; r++)
				p->t.data[(r * k + r) * taps + (l->kh / 2) * l->kw + l->kw / 2] = 1.0f;
		}
		/* an identity block stays all zero: ReLU(0 + x) = x for x ≥ 0 */
	}
	return CF_OK;
}

int cf_balance_add(const cf_net *net0, const cf_net *net1, const int *umap, cf_net **out,
		   cf_error *err)
{
	const cf_arch *a0 = cf_net_arch(net0), *a1 = cf_net_arch(net1);
	int m = cf_acts_hidden_units(net0), n = cf_acts_hidden_units(net1), rc;
	int *match = NULL;
	cf_arch *a = NULL;
	cf_net *net = NULL;

	if ((rc = cf_cla_map_check(umap, m, n, err)))
		return cf_error_prefix(err, rc, "balance (add)");
	if (cf_net_has_bn(net0) || cf_net_has_bn(net1))
		return cf_error_set(err, CF_EINVAL, "balance (add): models with BatchNorm are not "
				    "supported; balancing works on BN-free models");
	if ((rc = same_skeleton(a0, a1, err)))
		return rc;
	match = malloc(sizeof *match * (size_t)(m + 1));
	a = cf_arch_copy(a0);
	if (!match || !a) {
		rc = cf_error_set(err, CF_ENOMEM, "balance: out of memory");
		goto out;
	}
	for (int u = 0; u <= m; u++)
		match[u] = -1;
	for (int k = 0; k < n; k++)
		match[umap[k] - 1] = k;
	match[m] = n; /* classifiers */
	if (a0->family != a1->family)
		a->family = CF_ARCH_NET;
	a->bias = a1->bias;
	a->nclasses = a1->nclasses;
	if (a1->family == CF_ARCH_RESNET && a0->family == CF_ARCH_RESNET)
		memcpy(a->widths, a1->widths, sizeof a->widths);
	if ((rc = set_widths(a, a1, net1, match, err)))
		goto out;
	if ((rc = cf_arch_check(a, err)) || (rc = cf_net_create(a, &net, err))) {
		cf_error_prefix(err, rc, "balance (add)");
		goto out;
	}
	if ((rc = fill_units(net, m, net1, match, err)))
		goto out;
	*out = net;
	net = NULL;
out:
	cf_net_free(net);
	cf_arch_free(a);
	free(match);
	return rc;
}

/* ---- merge ---------------------------------------------------------------- */

/* Fold model 0's layers 0..m into products, one per matched layer: an
 * unmatched layer l's ReLU becomes the diagonal D_l from its own
 * pre-activations, and the running product P = W_l D_l P carries on to
 * the next matched layer, whose product is emitted (emit[k], erows[k] ×
 * ecols[k], malloc'd; the caller frees them). */
static int fold_chain(const cf_net *net0, const cf_activations *acts0, const int *umap, int m,
		      int n, cf_relu_approx method, float **emit, int64_t *erows, int64_t *ecols,
		      cf_error *err)
{
	float *P = NULL;
	double *d = NULL;
	int64_t prow = 0, pcol = cf_net_input_size(net0); /* P is prow × pcol; prow = 0: identity */
	int rc = CF_OK, j = 0, emitted = 0;

	for (int l = 0; l <= m; l++) {
		const cf_net_wlayer *wl = cf_net_wlayer_at(net0, l);
		const float *W = cf_net_param_at((cf_net *)net0, wl->weight)->t.data;
		int64_t o = wl->out, in = wl->in;
		int matched = l == m || (j < n && l + 1 == umap[j]);
		float *Wl = malloc(sizeof *Wl * (size_t)(o * in));
		float *np;

		if (!Wl) {
			rc = cf_error_set(err, CF_ENOMEM, "balance (merge): out of memory");
			goto out;
		}
		memcpy(Wl, W, sizeof *Wl * (size_t)(o * in));
		if (!matched) {
			/* ReLU → D_l from model 0's own pre-activations. */
			const cf_tensor *Z = acts0->a[l];
			d = realloc(d, sizeof *d * (size_t)o);
			if (!d) {
				free(Wl);
				rc = cf_error_set(err, CF_ENOMEM, "balance (merge): out of memory");
				goto out;
			}
			if ((rc = cf_relu_approx_mask(Z->data, Z->shape[0], o, method, d, err))) {
				free(Wl);
				cf_error_prefix(err, rc, "balance (merge), model-0 layer %d", l + 1);
				goto out;
			}
			for (int64_t r = 0; r < o; r++)
				for (int64_t c = 0; c < in; c++)
					Wl[r * in + c] *= (float)d[r];
		}
		if (prow == 0) {
			np = Wl; /* P was the identity */
		} else {
			np = malloc(sizeof *np * (size_t)(o * pcol));
			if (!np) {
				free(Wl);
				rc = cf_error_set(err, CF_ENOMEM, "balance (merge): out of memory");
				goto out;
			}
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)o, (int)pcol, (int)in,
				    1.0f, Wl, (int)in, P, (int)pcol, 0.0f, np, (int)pcol);
			free(Wl);
			free(P);
		}
		P = np;
		prow = o;
		if (matched) {
			emit[emitted] = P;
			erows[emitted] = prow;
			ecols[emitted] = pcol;
			emitted++;
			P = NULL;
			prow = 0;
			pcol = o;
			if (l < m)
				j++;
		}
	}
out:
	free(P);
	free(d);
	return rc;
}

int cf_balance_merge(const cf_net *net0, const cf_activations *acts0, const cf_net *net1,
		     const int *umap, cf_relu_approx method, cf_net **out, cf_error *err)
{
	const cf_arch *a1 = cf_net_arch(net1);
	int m = cf_acts_hidden_units(net0), n = cf_acts_hidden_units(net1), rc;
	cf_arch *a = NULL;
	cf_net *net = NULL;
	float **emit = NULL;
	int64_t *erows = NULL, *ecols = NULL;

	if ((rc = cf_cla_map_check(umap, m, n, err)))
		return cf_error_prefix(err, rc, "balance (merge)");
	for (int pass = 0; pass < 2; pass++) {
		const cf_net *x = pass ? net1 : net0;
		for (int l = 0; l < cf_net_nwlayers(x); l++)
			if (cf_net_wlayer_at(x, l)->conv || cf_net_wlayer_at(x, l)->bias >= 0)
				return cf_error_set(err, CF_EINVAL,
						    "balance (merge): model %d is not a bias-free MLP "
						    "(layer %s); merge works on bias-free MLPs only",
						    pass, cf_net_wlayer_at(x, l)->name);
	}
	if (!acts0 || acts0->n != cf_net_nwlayers(net0))
		return cf_error_set(err, CF_EINVAL,
				    "balance (merge): the recording does not belong to model 0");
	emit = calloc((size_t)(n + 1), sizeof *emit);
	erows = calloc((size_t)(n + 1), sizeof *erows);
	ecols = calloc((size_t)(n + 1), sizeof *ecols);
	a = cf_arch_copy(a1);
	if (!emit || !erows || !ecols || !a) {
		rc = cf_error_set(err, CF_ENOMEM, "balance (merge): out of memory");
		goto out;
	}
	if ((rc = fold_chain(net0, acts0, umap, m, n, method, emit, erows, ecols, err)))
		goto out;
	/* The merged architecture: model 1's, with the matched widths. */
	for (int i = 0, k = 0; i < a->nunits; i++)
		if (a->unit[i].kind == CF_UNIT_LINEAR && k < n)
			a->unit[i].out = (int)erows[k++];
	if ((rc = cf_arch_check(a, err)) || (rc = cf_net_create(a, &net, err))) {
		cf_error_prefix(err, rc, "balance (merge)");
		goto out;
	}
	for (int k = 0; k <= n; k++) {
		cf_net_param *p = cf_net_param_at(net, cf_net_wlayer_at(net, k)->weight);
		if (p->t.size != erows[k] * ecols[k]) {
			rc = cf_error_set(err, CF_EINVAL, "balance (merge): merged layer %d is %lldx%lld, "
					  "expected %lld values", k + 1, (long long)erows[k],
					  (long long)ecols[k], (long long)p->t.size);
			goto out;
		}
		memcpy(p->t.data, emit[k], sizeof(float) * (size_t)p->t.size);
	}
	*out = net;
	net = NULL;
out:
	if (emit)
		for (int k = 0; k <= n; k++)
			free(emit[k]);
	free(emit);
	free(erows);
	free(ecols);
	cf_net_free(net);
	cf_arch_free(a);
	return rc;
}
