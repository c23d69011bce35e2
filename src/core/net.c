/* net.c — building networks from architectures: parameters with PyTorch
 * state-dict names, the weight-layer / unit / stage tables, initialisation
 * and the workspace (see net.h).
 *
 * Building is two passes over the units: the first creates the ops and the
 * parameter list (names, shapes) in state-dict order, the second lays the
 * arena out with every trainable value first, so the optimiser can treat
 * them as one vector, and points each parameter's view into it.
 */
#include "net_impl.h"

#include "bigmem.h"
#include "checked.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building ---------------------------------------------------------- */

typedef struct builder {
	cf_net *net;
	int cap_params, cap_wl;
	int err;
} builder;

static int add_param(builder *b, enum cf_param_kind kind, int ndim, const int64_t *shape,
		     const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;
static int add_param(builder *b, enum cf_param_kind kind, int ndim, const int64_t *shape,
		     const char *fmt, ...)
{
	cf_net *net = b->net;
	cf_net_param *p;
	va_list ap;

	if (net->nparams == b->cap_params) {
		int nc = b->cap_params ? 2 * b->cap_params : 32;
		cf_net_param *np = realloc(net->params, sizeof *np * (size_t)nc);
		if (!np) {
			b->err = 1;
			return -1;
		}
		net->params = np;
		b->cap_params = nc;
	}
	p = &net->params[net->nparams];
	memset(p, 0, sizeof *p);
	va_start(ap, fmt);
	vsnprintf(p->name, sizeof p->name, fmt, ap);
	va_end(ap);
	p->kind = kind;
	p->t = cf_tensor_view(ndim, shape, NULL);
	return net->nparams++;
}

/* Parameters of a Linear (kh = kw = 0) or Conv2d module named `prefix`. */
static void add_layer(builder *b, cf_convp *cv, const char *prefix, int conv, int bias)
{
	int64_t shape[4] = { cv->s.cout, cv->s.cin, cv->s.kh, cv->s.kw };
	cv->w = add_param(b, CF_PARAM_WEIGHT, conv ? 4 : 2, shape, "%s.weight", prefix);
	cv->b = bias ? add_param(b, CF_PARAM_BIAS, 1, shape, "%s.bias", prefix) : -1;
	cv->bn = -1;
}

static int add_bn(builder *b, int c, const char *prefix)
{
	int64_t shape[1] = { c };
	int first = add_param(b, CF_PARAM_BN_WEIGHT, 1, shape, "%s.weight", prefix);
	add_param(b, CF_PARAM_BN_BIAS, 1, shape, "%s.bias", prefix);
	add_param(b, CF_PARAM_BN_MEAN, 1, shape, "%s.running_mean", prefix);
	add_param(b, CF_PARAM_BN_VAR, 1, shape, "%s.running_var", prefix);
	add_param(b, CF_PARAM_BN_COUNT, 0, shape, "%s.num_batches_tracked", prefix);
	b->net->has_bn = 1;
	return first;
}

static cf_net_wlayer *add_wl(builder *b, const char *name, int conv, enum cf_wl_role role,
			     const cf_convp *cv, int unit, int oh, int ow)
{
	cf_net *net = b->net;
	cf_net_wlayer *l;
	if (net->nwl == b->cap_wl) {
		int nc = b->cap_wl ? 2 * b->cap_wl : 16;
		cf_net_wlayer *nw = realloc(net->wl, sizeof *nw * (size_t)nc);
		if (!nw) {
			b->err = 1;
			return NULL;
		}
		net->wl = nw;
		b->cap_wl = nc;
	}
	l = &net->wl[net->nwl++];
	memset(l, 0, sizeof *l);
	snprintf(l->name, sizeof l->name, "%s", name);
	l->conv = conv;
	l->role = role;
	l->weight = cv->w;
	l->bias = cv->b;
	l->bn = cv->bn;
	l->unit = unit;
	l->out = cv->s.cout;
	l->in = cv->s.cin;
	l->kh = conv ? cv->s.kh : 1;
	l->kw = conv ? cv->s.kw : 1;
	l->stride = conv ? cv->s.stride : 1;
	l->pad = conv ? cv->s.pad : 0;
	l->oc = cv->s.cout;
	l->oh = conv ? oh : 1;
	l->ow = conv ? ow : 1;
	return l;
}

/* Module-name prefix of unit i for the architecture's family. */
typedef struct namer {
	int fc;          /* mlp: next fcK */
	int feat;        /* vgg: next index in features */
	int stage, block; /* resnet: position of the next block */
	int stem_done;
} namer;

static void unit_name(const cf_arch *a, namer *nm, int i, char *buf, size_t len)
{
	const cf_arch_unit *u = &a->unit[i];
	buf[0] = '\0';
	switch (a->family) {
	case CF_ARCH_MLP:
		if (u->kind == CF_UNIT_LINEAR)
			snprintf(buf, len, "fc%d", ++nm->fc);
		break;
	case CF_ARCH_VGG:
		if (u->kind == CF_UNIT_LINEAR)
			snprintf(buf, len, "classifier");
		else if (u->kind != CF_UNIT_FLATTEN)
			snprintf(buf, len, "features.%d", nm->feat++);
		break;
	case CF_ARCH_RESNET:
		if (u->kind == CF_UNIT_CONV)
			snprintf(buf, len, "conv1");
		else if (u->kind == CF_UNIT_BN)
			snprintf(buf, len, "bn1");
		else if (u->kind == CF_UNIT_LINEAR)
			snprintf(buf, len, "linear");
		else if (u->kind == CF_UNIT_BLOCK) {
			while (nm->stage < a->nstages && nm->block >= a->blocks[nm->stage]) {
				nm->stage++;
				nm->block = 0;
			}
			snprintf(buf, len, "layer%d.%d", nm->stage + 1, nm->block++);
		}
		break;
	case CF_ARCH_NET:
		snprintf(buf, len, "layers.%d", i);
		break;
	}
}

/* The parameters of one convolution of block u, NAME.CONV, followed by its
 * BatchNorm NAME.BN when the block has BN. */
static void add_block_conv(builder *b, cf_convp *cv, const cf_arch_unit *u, const char *name,
			   const char *conv, const char *bn)
{
	char sub[CF_NET_NAME_MAX];
	snprintf(sub, sizeof sub, "%s.%s", name, conv);
	add_layer(b, cv, sub, 1, u->bias);
	if (u->bn) {
		snprintf(sub, sizeof sub, "%s.%s", name, bn);
		cv->bn = add_bn(b, cv->s.cout, sub);
	}
}

/* A residual block's three convolutions, their parameters (state-dict
 * order: conv1, bn1, conv2, bn2, shortcut.0, shortcut.1) and weight layers. */
static void build_block(builder *b, cf_op *op, const cf_arch_unit *u, const char *name,
			const cf_arch_shape *out)
{
	cf_net *net = b->net;
	cf_convp *c1 = &op->cv[0], *c2 = &op->cv[1], *c3 = &op->cv[2];
	char sub[CF_NET_NAME_MAX];
	int c = op->in_c, h = op->in_h, w = op->in_w;

	cf_conv_shape_init(&c1->s, c, h, w, u->mid, 3, 3, u->stride, 1);
	cf_conv_shape_init(&c2->s, u->mid, c1->s.oh, c1->s.ow, u->out, 3, 3, 1, 1);
	op->proj = u->stride != 1 || c != u->out;
	if (op->proj)
		cf_conv_shape_init(&c3->s, c, h, w, u->out, 1, 1, u->stride, 0);
	add_block_conv(b, c1, u, name, "conv1", "bn1");
	add_block_conv(b, c2, u, name, "conv2", "bn2");
	if (op->proj)
		add_block_conv(b, c3, u, name, "shortcut.0", "shortcut.1");
	snprintf(sub, sizeof sub, "%s.conv1", name);
	add_wl(b, sub, 1, CF_WL_CONV1, c1, net->nunits, c1->s.oh, c1->s.ow);
	snprintf(sub, sizeof sub, "%s.conv2", name);
	add_wl(b, sub, 1, CF_WL_CONV2, c2, net->nunits, out->h, out->w);
	if (op->proj) {
		snprintf(sub, sizeof sub, "%s.shortcut.0", name);
		add_wl(b, sub, 1, CF_WL_SHORTCUT, c3, net->nunits, out->h, out->w);
	}
}

/* The op of unit i, its parameters and weight layers.  Returns 1 when the
 * unit is a Linear, Conv2d or block (a unit of the network's table). */
static int build_op(builder *b, int i, const char *name, const cf_arch_shape *out)
{
	cf_net *net = b->net;
	const cf_arch *a = net->arch;
	const cf_arch_unit *u = &a->unit[i];
	cf_op *op = &net->ops[i];

	switch (u->kind) {
	case CF_UNIT_LINEAR:
		op->cv[0].s.cin = (int)op->in_sz;
		op->cv[0].s.cout = u->out;
		add_layer(b, &op->cv[0], name, 0, u->bias);
		add_wl(b, name, 0, CF_WL_PLAIN, &op->cv[0], net->nunits, 1, 1);
		return 1;
	case CF_UNIT_CONV:
		cf_conv_shape_init(&op->cv[0].s, op->in_c, op->in_h, op->in_w, u->out, u->kh, u->kw,
				   u->stride, u->pad);
		add_layer(b, &op->cv[0], name, 1, u->bias);
		add_wl(b, name, 1, CF_WL_PLAIN, &op->cv[0], net->nunits, out->h, out->w);
		return 1;
	case CF_UNIT_BLOCK:
		build_block(b, op, u, name, out);
		return 1;
	case CF_UNIT_BN:
		op->cv[0].bn = add_bn(b, op->in_c, name);
		/* Tell the preceding conv which BN follows it. */
		if (net->nwl > 0 && i > 0 && a->unit[i - 1].kind == CF_UNIT_CONV)
			net->wl[net->nwl - 1].bn = op->cv[0].bn;
		return 0;
	case CF_UNIT_MAXPOOL:
	case CF_UNIT_AVGPOOL:
		op->k = u->kh;
		op->stride = u->stride;
		return 0;
	case CF_UNIT_GAP:
	case CF_UNIT_FLATTEN:
	case CF_UNIT_RELU:
		return 0;
	}
	return 0;
}

/* Enter op i's Linear/Conv/block in the unit table, opening a new stage
 * after a resolution change (pending) or at a strided unit. */
static void add_unit(cf_net *net, int i, int first_wl, int pending)
{
	const cf_arch_unit *u = &net->arch->unit[i];
	const cf_op *op = &net->ops[i];
	cf_net_unit *nu = &net->units[net->nunits];
	int strided = (u->kind == CF_UNIT_CONV || u->kind == CF_UNIT_BLOCK) && u->stride > 1;

	if (net->nstages == 0 || ((pending || strided) && net->stages[net->nstages - 1].unit_n > 0)) {
		cf_net_stage *st = &net->stages[net->nstages++];
		st->unit_first = net->nunits;
		st->unit_n = 0;
		st->h = op->out_h;
		st->w = op->out_w;
	}
	nu->kind = u->kind;
	nu->arch_unit = i;
	nu->stage = net->nstages - 1;
	nu->width = op->out_c;
	nu->in_c = op->in_c;
	nu->in_h = op->in_h;
	nu->in_w = op->in_w;
	nu->out_c = op->out_c;
	nu->out_h = op->out_h;
	nu->out_w = op->out_w;
	nu->wl_first = first_wl;
	nu->wl_n = net->nwl - first_wl;
	for (int l = first_wl; l < net->nwl; l++)
		net->wl[l].stage = nu->stage;
	net->stages[net->nstages - 1].unit_n++;
	net->nunits++;
}

/* The shapes come from the architecture's own walk (cf_arch_shapes), which
 * has also checked every size against the limits: the network is laid out
 * from the same numbers the check passed. */
static int build(cf_net *net, cf_error *err)
{
	const cf_arch *a = net->arch;
	builder b = { net, 0, 0, 0 };
	namer nm;
	cf_arch_shape *sh;
	int pending = 0, rc;
	char name[CF_NET_NAME_MAX - 16];

	memset(&nm, 0, sizeof nm);
	net->nops = a->nunits;
	net->ops = calloc((size_t)a->nunits, sizeof *net->ops);
	net->units = calloc((size_t)a->nunits + 1, sizeof *net->units);
	net->stages = calloc((size_t)a->nunits + 1, sizeof *net->stages);
	sh = malloc(sizeof *sh * (size_t)a->nunits);
	if (!net->ops || !net->units || !net->stages || !sh) {
		free(sh);
		return cf_error_set(err, CF_ENOMEM, "network: out of memory");
	}
	if ((rc = cf_arch_shapes(a, sh, err))) {
		free(sh);
		return rc;
	}
	for (int i = 0; i < a->nunits && !b.err; i++) {
		cf_op *op = &net->ops[i];
		int first_wl = net->nwl;

		unit_name(a, &nm, i, name, sizeof name);
		op->kind = a->unit[i].kind;
		op->in_c = i ? sh[i - 1].c : a->c;
		op->in_h = i ? sh[i - 1].h : a->h;
		op->in_w = i ? sh[i - 1].w : a->w;
		op->in_sz = (int64_t)op->in_c * op->in_h * op->in_w;
		op->out_c = sh[i].c;
		op->out_h = sh[i].h;
		op->out_w = sh[i].w;
		op->out_sz = (int64_t)op->out_c * op->out_h * op->out_w;
		for (int k = 0; k < 3; k++)
			op->cv[k].w = op->cv[k].b = op->cv[k].bn = -1;
		if (build_op(&b, i, name, &sh[i]) && !b.err) {
			add_unit(net, i, first_wl, pending);
			pending = 0;
		} else if (op->kind == CF_UNIT_MAXPOOL || op->kind == CF_UNIT_AVGPOOL ||
			   op->kind == CF_UNIT_GAP || op->kind == CF_UNIT_FLATTEN) {
			pending = 1;
		}
	}
	free(sh);
	if (b.err)
		return cf_error_set(err, CF_ENOMEM, "network: out of memory");
	return CF_OK;
}

/* Lay the arena out: trainable parameters first (state-dict order), then
 * buffers; allocate gradients and BN save space. */
static int layout(cf_net *net, cf_error *err)
{
	int64_t off = 0, nbn = 0;
	float *bs;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < net->nparams; i++) {
			cf_net_param *p = &net->params[i];
			int trainable = p->kind <= CF_PARAM_BN_BIAS;
			if (trainable == (pass == 0)) {
				p->t.data = (float *)(intptr_t)off; /* offset for now */
				off += p->t.size;
			}
		}
		if (pass == 0)
			net->ntrain = off;
	}
	/* off is below the params limit: cf_arch_shapes counted the same values */
	net->arena_size = off;
	net->arena = calloc((size_t)(off ? off : 1), sizeof(float));
	net->grads = calloc((size_t)(net->ntrain ? net->ntrain : 1), sizeof(float));
	for (int i = 0; i < net->nparams; i++)
		if (net->params[i].kind == CF_PARAM_BN_WEIGHT)
			nbn += net->params[i].t.size;
	net->bnsave = calloc((size_t)(2 * nbn + 1), sizeof(float));
	if (!net->arena || !net->grads || !net->bnsave)
		return cf_error_set(err, CF_ENOMEM, "network: out of memory for %lld parameters",
				    (long long)off);
	for (int i = 0; i < net->nparams; i++) {
		cf_net_param *p = &net->params[i];
		int64_t o = (int64_t)(intptr_t)p->t.data;
		p->t.data = net->arena + o;
		p->grad = p->kind <= CF_PARAM_BN_BIAS ? net->grads + o : NULL;
		if (p->kind == CF_PARAM_BN_VAR)
			for (int64_t j = 0; j < p->t.size; j++)
				p->t.data[j] = 1.0f;
	}
	bs = net->bnsave;
	for (int i = 0; i < net->nops; i++)
		for (int k = 0; k < 3; k++) {
			cf_convp *cv = &net->ops[i].cv[k];
			if (cv->bn >= 0) {
				int64_t cc = net->params[cv->bn].t.size;
				cv->save_mean = bs;
				cv->save_invstd = bs + cc;
				bs += 2 * cc;
			}
		}
	return CF_OK;
}

int cf_net_create(const cf_arch *arch, cf_net **out, cf_error *err)
{
	cf_net *net;
	int rc;

	*out = NULL;
	net = calloc(1, sizeof *net);
	if (!net || !(net->arch = cf_arch_copy(arch))) {
		free(net);
		return cf_error_set(err, CF_ENOMEM, "network: out of memory");
	}
	if ((rc = cf_arch_check(net->arch, err)) || (rc = build(net, err)) ||
	    (rc = layout(net, err))) {
		cf_net_free(net);
		return rc;
	}
	*out = net;
	return CF_OK;
}

int cf_net_create_str(const char *desc, cf_net **out, cf_error *err)
{
	cf_arch *a;
	int rc;
	*out = NULL;
	if ((rc = cf_arch_parse(desc, &a, err)))
		return rc;
	rc = cf_net_create(a, out, err);
	cf_arch_free(a);
	return rc;
}

void cf_net_free(cf_net *net)
{
	if (!net)
		return;
	cf_arch_free(net->arch);
	free(net->params);
	free(net->arena);
	free(net->grads);
	free(net->bnsave);
	free(net->wl);
	free(net->units);
	free(net->stages);
	free(net->ops);
	free(net->ws);
	free(net->ws_idx);
	free(net);
}

int cf_net_copy(const cf_net *net, cf_net **out, cf_error *err)
{
	int rc = cf_net_create(net->arch, out, err);
	if (rc)
		return rc;
	memcpy((*out)->arena, net->arena, sizeof(float) * (size_t)net->arena_size);
	(*out)->norm = net->norm;
	return CF_OK;
}

const cf_norm *cf_net_norm(const cf_net *net)
{
	return net->norm.c ? &net->norm : NULL;
}

void cf_net_set_norm(cf_net *net, const cf_norm *norm)
{
	if (norm && norm->c > 0 && norm->c <= CF_NORM_MAXCH)
		net->norm = *norm;
	else
		memset(&net->norm, 0, sizeof net->norm);
}

void cf_net_init(cf_net *net, gsl_rng *r)
{
	for (int i = 0; i < net->nparams; i++) {
		cf_net_param *p = &net->params[i];
		float v = 0.0f;
		switch (p->kind) {
		case CF_PARAM_WEIGHT:
		case CF_PARAM_BIAS: {
			/* fan_in of the layer this parameter belongs to: the weight
			 * is this entry (weight) or the one before it (bias). */
			const cf_tensor *wt = p->kind == CF_PARAM_WEIGHT ? &p->t : &net->params[i - 1].t;
			int64_t fan_in = wt->size / wt->shape[0];
			double bound = 1.0 / sqrt((double)fan_in);
			for (int64_t j = 0; j < p->t.size; j++)
				p->t.data[j] = (float)((2.0 * gsl_rng_uniform(r) - 1.0) * bound);
			continue;
		}
		case CF_PARAM_BN_WEIGHT:
		case CF_PARAM_BN_VAR:
			v = 1.0f;
			break;
		default:
			v = 0.0f;
			break;
		}
		for (int64_t j = 0; j < p->t.size; j++)
			p->t.data[j] = v;
	}
}

/* ---- accessors --------------------------------------------------------- */

const cf_arch *cf_net_arch(const cf_net *net) { return net->arch; }
int cf_net_nparams(const cf_net *net) { return net->nparams; }
cf_net_param *cf_net_param_at(cf_net *net, int i)
{
	return i >= 0 && i < net->nparams ? &net->params[i] : NULL;
}
const cf_net_param *cf_net_param_find(const cf_net *net, const char *name)
{
	for (int i = 0; i < net->nparams; i++)
		if (!strcmp(net->params[i].name, name))
			return &net->params[i];
	return NULL;
}
int64_t cf_net_ntrainable(const cf_net *net) { return net->ntrain; }
float *cf_net_train_values(cf_net *net) { return net->arena; }
float *cf_net_train_grads(cf_net *net) { return net->grads; }
int cf_net_nwlayers(const cf_net *net) { return net->nwl; }
int cf_net_has_bn(const cf_net *net) { return net->has_bn; }
const cf_net_wlayer *cf_net_wlayer_at(const cf_net *net, int i)
{
	return i >= 0 && i < net->nwl ? &net->wl[i] : NULL;
}
int cf_net_nunits(const cf_net *net) { return net->nunits; }
const cf_net_unit *cf_net_unit_at(const cf_net *net, int i)
{
	return i >= 0 && i < net->nunits ? &net->units[i] : NULL;
}
int cf_net_nstages(const cf_net *net) { return net->nstages; }
const cf_net_stage *cf_net_stage_at(const cf_net *net, int i)
{
	return i >= 0 && i < net->nstages ? &net->stages[i] : NULL;
}
void cf_net_input_shape(const cf_net *net, int *c, int *h, int *w)
{
	*c = net->arch->c;
	*h = net->arch->h;
	*w = net->arch->w;
}
int cf_net_nclasses(const cf_net *net) { return net->arch->nclasses; }
int64_t cf_net_input_size(const cf_net *net)
{
	return (int64_t)net->arch->c * net->arch->h * net->arch->w;
}

void cf_net_zero_grad(cf_net *net)
{
	memset(net->grads, 0, sizeof(float) * (size_t)(net->ntrain ? net->ntrain : 1));
}

/* ---- workspace ---------------------------------------------------------- */

/* Floats each op needs per sample, in the order the layout hands them out. */
static int64_t op_floats(const cf_op *op, const cf_net *net)
{
	if (op->kind == CF_UNIT_FLATTEN)
		return 0;
	if (op->kind == CF_UNIT_BLOCK) {
		int64_t m = (int64_t)op->cv[0].s.cout * op->cv[0].s.oh * op->cv[0].s.ow;
		int64_t o = op->out_sz;
		int bn = op->cv[0].bn >= 0;
		(void)net;
		return m * (bn ? 3 : 2) + o * (bn ? 2 : 1) + (op->proj ? o * (bn ? 2 : 1) : 0) + 2 * o;
	}
	return op->out_sz;
}

int cf_net_workspace(cf_net *net, int64_t N, cf_error *err)
{
	int64_t per = 0, idx = 0, maxsz = 1;
	size_t work = 0;
	float *ws, *p;
	int32_t *wi, *q;

	if (N <= net->cap_N)
		return CF_OK;
	for (int i = 0; i < net->nops; i++) {
		const cf_op *op = &net->ops[i];
		per += op_floats(op, net);
		if (op->kind == CF_UNIT_MAXPOOL)
			idx += op->out_sz;
		if (op->in_sz > maxsz)
			maxsz = op->in_sz;
		if (op->out_sz > maxsz)
			maxsz = op->out_sz;
		if (op->kind == CF_UNIT_BLOCK) {
			int64_t m = (int64_t)op->cv[0].s.cout * op->cv[0].s.oh * op->cv[0].s.ow;
			if (m > maxsz)
				maxsz = m;
		}
		for (int k = 0; k < 3; k++)
			if (op->kind == CF_UNIT_CONV || op->kind == CF_UNIT_BLOCK) {
				if (k > 0 && op->kind == CF_UNIT_CONV)
					break;
				if (k == 2 && !op->proj)
					break;
				size_t wk = cf_conv_workspace(&op->cv[k].s, N);
				if (wk > work)
					work = wk;
			}
	}
	net->max_sz = maxsz;
	/* activations + 5 gradient buffers (2 ping-pong, 3 block temporaries) +
	 * im2col; the per-sample sizes are within the activations limit, N is
	 * the caller's: the products are checked. */
	{
		int64_t total = 0, nidx = 0;
		size_t bytes, ibytes;
		if (cf_muladd(&total, per, N) || cf_muladd(&total, 5 * maxsz, N) ||
		    cf_add(total, (int64_t)work + 1, &total) || cf_muladd(&nidx, idx, N) ||
		    cf_add(nidx, 1, &nidx) || cf_bytes(total, sizeof(float), &bytes) ||
		    cf_bytes(nidx, sizeof(int32_t), &ibytes))
			return cf_error_set(err, CF_ENOMEM,
					    "network: a batch of %lld samples needs more memory than can be addressed",
					    (long long)N);
		ws = cf_big_alloc(bytes, 0);
		wi = malloc(ibytes);
		if (!ws || !wi) {
			free(ws);
			free(wi);
			return cf_error_set(err, CF_ENOMEM,
					    "network: out of memory for a batch of %lld samples (%lld floats)",
					    (long long)N, (long long)total);
		}
	}
	free(net->ws);
	free(net->ws_idx);
	net->ws = ws;
	net->ws_idx = wi;
	net->cap_N = N;
	net->have_forward = 0;
	p = ws;
	q = wi;
	for (int i = 0; i < net->nops; i++) {
		cf_op *op = &net->ops[i];
		op->y = op->a1 = op->b1 = op->h = op->a2 = op->b2 = op->a3 = op->b3 = op->z = NULL;
		op->argmax = NULL;
		if (op->kind == CF_UNIT_FLATTEN)
			continue;
		if (op->kind == CF_UNIT_BLOCK) {
			int64_t m = (int64_t)op->cv[0].s.cout * op->cv[0].s.oh * op->cv[0].s.ow * N;
			int64_t o = op->out_sz * N;
			int bn = op->cv[0].bn >= 0;
			op->a1 = p; p += m;
			op->b1 = bn ? p : op->a1; if (bn) p += m;
			op->h = p; p += m;
			op->a2 = p; p += o;
			op->b2 = bn ? p : op->a2; if (bn) p += o;
			if (op->proj) {
				op->a3 = p; p += o;
				op->b3 = bn ? p : op->a3; if (bn) p += o;
			}
			op->z = p; p += o;
			op->y = p; p += o;
			continue;
		}
		op->y = p;
		p += op->out_sz * N;
		if (op->kind == CF_UNIT_MAXPOOL) {
			op->argmax = q;
			q += op->out_sz * N;
		}
	}
	for (int k = 0; k < 2; k++, p += maxsz * N)
		net->g[k] = p;
	for (int k = 0; k < 3; k++, p += maxsz * N)
		net->t[k] = p;
	net->work = p;
	return CF_OK;
}

/* ---- recording buffers ------------------------------------------------- */

int cf_activations_alloc(const cf_net *net, int64_t N, cf_activations **out, cf_error *err)
{
	cf_activations *a;
	*out = NULL;
	if (N <= 0)
		return cf_error_set(err, CF_EINVAL, "activations: sample count %lld must be positive",
				    (long long)N);
	a = calloc(1, sizeof *a);
	if (!a || !(a->a = calloc((size_t)net->nwl + 1, sizeof *a->a))) {
		free(a);
		return cf_error_set(err, CF_ENOMEM, "activations: out of memory");
	}
	a->n = net->nwl;
	a->N = N;
	for (int l = 0; l < net->nwl; l++) {
		const cf_net_wlayer *w = &net->wl[l];
		a->a[l] = w->conv ? cf_tensor_alloc4(4, N, w->oc, w->oh, w->ow)
				  : cf_tensor_alloc4(2, N, w->oc, 0, 0);
		if (!a->a[l]) {
			cf_activations_free(a);
			return cf_error_set(err, CF_ENOMEM,
					    "activations: out of memory for layer %s (%lld samples)",
					    w->name, (long long)N);
		}
	}
	*out = a;
	return CF_OK;
}

void cf_activations_free(cf_activations *a)
{
	if (!a)
		return;
	for (int l = 0; l < a->n; l++)
		cf_tensor_free(a->a[l]);
	free(a->a);
	free(a);
}
