/* fusion.c — layer-wise OT fusion and the baselines (see fusion.h).
 *
 * A layer's weights are viewed as (out, C, r): C input channels (the rows
 * of the incoming map) and r values per channel — the kernel taps of a
 * conv, the spatial positions of a linear layer after a flatten, 1 for a
 * plain linear layer.  The incoming map is applied per r, so convolutions
 * and the flatten after a conv stack need no special case.
 */
#include "fusion.h"
#include "names.h"
#include "residual.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

struct cf_fusion {
	const cf_net *net0, *net1;
	const cf_activations *a0, *a1;
	cf_net *fused;
	int L, cursor;
	cf_fusion_layer *layer;
	int *head;            /* residual stream heads (residual.h) */
};

void cf_fusion_params_default(cf_fusion_params *p)
{
	memset(p, 0, sizeof *p);
	p->mode = CF_FUSION_ACTS;
	p->metric = CF_GROUND_EUCLIDEAN;
	p->norm = CF_GROUND_NORM_NONE;
	p->solver = CF_OT_EXACT;
	p->reg = 0.01;
	p->reg_m = 1e-3;
	p->marginals = CF_MARGINALS_UNIFORM;
	p->correction = 1;
	p->eps = 1e-7;
	p->past_correction = 1;
	p->step = 0.5;
	p->output_plan = 1;
}

const char *const cf_fusion_mode_names[] = { "acts", "wts", NULL };
const char *const cf_fusion_marginals_names[] = { "uniform", "l1", "l2", NULL };

static int check_params(const cf_fusion_params *p, cf_error *err)
{
	if (p->mode < 0 || p->mode > 1)
		return cf_error_set(err, CF_EINVAL, "fusion: unknown mode %d", p->mode);
	if (p->metric < CF_GROUND_SQEUCLIDEAN || p->metric > CF_GROUND_COSINE)
		return cf_error_set(err, CF_EINVAL, "fusion: unknown ground metric %d", p->metric);
	if (p->norm < CF_GROUND_NORM_NONE || p->norm > CF_GROUND_NORM_LOG1P)
		return cf_error_set(err, CF_EINVAL, "fusion: unknown ground normalisation %d", p->norm);
	if (p->solver < CF_OT_EXACT || p->solver >= CF_OT_NKINDS)
		return cf_error_set(err, CF_EINVAL, "fusion: unknown OT solver %d", p->solver);
	if (!(p->reg > 0) || !isfinite(p->reg))
		return cf_error_set(err, CF_EINVAL, "fusion: ot.reg must be positive (got %g)", p->reg);
	if (!(p->reg_m > 0) || !isfinite(p->reg_m))
		return cf_error_set(err, CF_EINVAL, "fusion: ot.reg_m must be positive (got %g)",
				    p->reg_m);
	if (p->max_iter < 0)
		return cf_error_set(err, CF_EINVAL, "fusion: ot.max_iter must be >= 0");
	if (p->marginals < 0 || p->marginals > 2)
		return cf_error_set(err, CF_EINVAL, "fusion: unknown marginals %d", p->marginals);
	if (!(p->eps >= 0) || !isfinite(p->eps))
		return cf_error_set(err, CF_EINVAL, "fusion: the correction's epsilon must be >= 0");
	if (!(p->step >= 0 && p->step <= 1))
		return cf_error_set(err, CF_EINVAL, "fusion: the step s must be in [0, 1] (got %g)",
				    p->step);
	return CF_OK;
}

static void layer_clear(cf_fusion_layer *y)
{
	free(y->M);
	free(y->plan);
	free(y->Tc);
	free(y->tin);
	free(y->w0t);
	cf_ot_result_clear(&y->ot);
	y->M = y->plan = NULL;
	y->Tc = y->tin = y->w0t = NULL;
	memset(&y->ot, 0, sizeof y->ot);
	y->done = 0;
	y->tied_to = -1;
	y->trace_ratio = y->time = y->time_ground = 0;
}

int cf_fusion_alloc(const cf_net *net0, const cf_net *net1, const cf_activations *a0,
		    const cf_activations *a1, const cf_fusion_params *par, cf_fusion **out,
		    cf_error *err)
{
	int L = cf_net_nwlayers(net0), rc;
	cf_fusion *f;

	if ((rc = check_params(par, err)))
		return rc;
	if (L != cf_net_nwlayers(net1))
		return cf_error_set(err, CF_EINVAL,
				    "fusion: model 0 has %d weight layers, model 1 has %d: balance "
				    "them first", L, cf_net_nwlayers(net1));
	if (cf_net_nclasses(net0) != cf_net_nclasses(net1))
		return cf_error_set(err, CF_EINVAL, "fusion: model 0 has %d classes, model 1 has %d",
				    cf_net_nclasses(net0), cf_net_nclasses(net1));
	for (int l = 0; l < L; l++) {
		const cf_net_wlayer *x = cf_net_wlayer_at(net0, l), *y = cf_net_wlayer_at(net1, l);
		if (x->conv != y->conv || x->kh != y->kh || x->kw != y->kw || x->stride != y->stride ||
		    x->role != y->role || x->oh != y->oh || x->ow != y->ow)
			return cf_error_set(err, CF_EINVAL,
					    "fusion: weight layer %d differs in kind, kernel, stride, "
					    "role or resolution (model 0 %s, model 1 %s)",
					    l + 1, x->name, y->name);
	}
	if (a0 || a1) {
		if (!a0 || !a1 || a0->n != L || a1->n != L || a0->N != a1->N)
			return cf_error_set(err, CF_EINVAL,
					    "fusion: the recordings do not belong to the two models "
					    "or hold different sample counts");
	} else if (par->mode == CF_FUSION_ACTS) {
		return cf_error_set(err, CF_EINVAL,
				    "fusion: activation-based ground costs need recordings of both models");
	}
	f = calloc(1, sizeof *f);
	if (!f || !(f->layer = calloc((size_t)L, sizeof *f->layer)) ||
	    !(f->head = malloc(sizeof *f->head * (size_t)L))) {
		if (f)
			free(f->layer);
		free(f);
		return cf_error_set(err, CF_ENOMEM, "fusion: out of memory");
	}
	if ((rc = cf_net_copy(net1, &f->fused, err))) {
		free(f->head);
		free(f->layer);
		free(f);
		return rc;
	}
	cf_residual_heads(net0, f->head);
	f->net0 = net0;
	f->net1 = net1;
	f->a0 = a0;
	f->a1 = a1;
	f->L = L;
	for (int l = 0; l < L; l++) {
		f->layer[l].par = *par;
		f->layer[l].tied_to = -1;
		snprintf(f->layer[l].name, sizeof f->layer[l].name, "%s",
			 cf_net_wlayer_at(net1, l)->name);
	}
	*out = f;
	return CF_OK;
}

void cf_fusion_free(cf_fusion *f)
{
	if (!f)
		return;
	for (int l = 0; l < f->L; l++)
		layer_clear(&f->layer[l]);
	free(f->layer);
	free(f->head);
	cf_net_free(f->fused);
	free(f);
}

int cf_fusion_set_params(cf_fusion *f, int l, const cf_fusion_params *par, cf_error *err)
{
	int rc;
	if (l < -1 || l >= f->L)
		return cf_error_set(err, CF_EINVAL, "fusion: layer %d out of range 1..%d", l + 1, f->L);
	if ((rc = check_params(par, err)))
		return cf_error_prefix(err, rc, "layer %d", l + 1);
	if (par->mode == CF_FUSION_ACTS && !f->a0)
		return cf_error_set(err, CF_EINVAL, "fusion: acts mode needs recordings");
	for (int i = 0; i < f->L; i++)
		if (l < 0 || i == l)
			f->layer[i].par = *par;
	return CF_OK;
}

int cf_fusion_done(const cf_fusion *f)
{
	return f->cursor >= f->L;
}

int cf_fusion_cursor(const cf_fusion *f)
{
	return f->cursor;
}

int cf_fusion_nlayers(const cf_fusion *f)
{
	return f->L;
}

void cf_fusion_rewind(cf_fusion *f, int l)
{
	if (l < 0)
		l = 0;
	for (int i = l; i < f->cursor; i++)
		layer_clear(&f->layer[i]);
	if (l < f->cursor)
		f->cursor = l;
}

const cf_fusion_layer *cf_fusion_layer_at(const cf_fusion *f, int l)
{
	return l >= 0 && l < f->L ? &f->layer[l] : NULL;
}

cf_net *cf_fusion_net(cf_fusion *f)
{
	return f->fused;
}

/* ---- one layer ------------------------------------------------------------ */

static float *fdup(const float *x, int64_t n)
{
	float *y = malloc(sizeof *y * (size_t)(n ? n : 1));
	if (y && n)
		memcpy(y, x, sizeof *y * (size_t)n);
	return y;
}

/* Width-aware incoming map: T̃'s columns sum to 1 (each model-1 neuron is
 * a weighted mean of model-0 neurons), so its rows sum to n1/n0 under
 * uniform marginals: a model-0 neuron split over k model-1 neurons feeds
 * the next layer k times over, and k model-0 neurons merged into one feed
 * it 1/k of their weight.  Rows normalised to 1 make the next layer's
 * weights the mean of the copies' inputs instead: for a plan that splits
 * or merges neurons exactly, the transported model then computes model
 * 0's function (tests/test_repair.c). */
static void normalize_rows(float *m, int64_t rows, int64_t cols)
{
	for (int64_t i = 0; i < rows; i++) {
		double s = 0;
		for (int64_t j = 0; j < cols; j++)
			s += m[i * cols + j];
		if (s > 0)
			for (int64_t j = 0; j < cols; j++)
				m[i * cols + j] = (float)(m[i * cols + j] / s);
	}
}

/* The incoming map of layer l (§5.6), as a new array; NULL with *rows = 0
 * for none (the first layer). */
static int incoming_map(cf_fusion *f, int l, float **out, int64_t *rows, int64_t *cols,
			cf_error *err)
{
	const cf_net_wlayer *wl = cf_net_wlayer_at(f->net0, l);
	const cf_fusion_layer *prev;
	float *m = NULL;

	*out = NULL;
	*rows = *cols = 0;
	if (l == 0)
		return CF_OK;
	if (wl->role == CF_WL_SHORTCUT) {
		/* The shortcut reads the block's input: the map its conv1 used. */
		int first = cf_net_unit_at(f->net0, wl->unit)->wl_first;
		const cf_fusion_layer *c1 = &f->layer[first];
		if (!c1->tin)
			return CF_OK;
		*rows = c1->tin_rows;
		*cols = c1->tin_cols;
		m = fdup(c1->tin, *rows * *cols);
	} else {
		prev = &f->layer[l - 1];
		if (!prev->Tc)
			return cf_error_set(err, CF_EINVAL,
					    "fusion: layer %d needs the map of layer %d, which has "
					    "no plan (output_plan off is only for the last layer)",
					    l + 1, l);
		*rows = prev->n0;
		*cols = prev->n1;
		m = fdup(prev->Tc, *rows * *cols);
		if (m && cf_net_wlayer_at(f->net0, l - 1)->role == CF_WL_SHORTCUT) {
			/* The block's output mixes conv2 and the shortcut: average
			 * their maps (the reference's --handle-skips). */
			const cf_fusion_layer *c2 = &f->layer[l - 2];
			for (int64_t i = 0; i < *rows * *cols; i++)
				m[i] = 0.5f * (m[i] + c2->Tc[i]);
		}
	}
	if (!m)
		return cf_error_set(err, CF_ENOMEM, "fusion: out of memory");
	if (f->layer[l].par.width_aware)
		normalize_rows(m, *rows, *cols);
	*out = m;
	return CF_OK;
}

/* Ŵ0 (o × C1 × r) = W0 (o × C0 × r) with T (C0 × C1) applied per r. */
static void apply_incoming(const float *W0, int64_t o, int64_t C0, int64_t r, const float *T,
			   int64_t C1, float *out)
{
	if (r == 1) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)o, (int)C1, (int)C0, 1.0f,
			    W0, (int)C0, T, (int)C1, 0.0f, out, (int)C1);
		return;
	}
	for (int64_t i = 0; i < o; i++)
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)C1, (int)r, (int)C0, 1.0f, T,
			    (int)C1, W0 + i * C0 * r, (int)r, 0.0f, out + i * C1 * r, (int)r);
}

/* Weight-norm marginals ∝ ‖row‖ + 1e-9, normalised to sum 1. */
static void norm_marginals(const float *W, int64_t o, int64_t d, int l2, double *m)
{
	double tot = 0;
	for (int64_t i = 0; i < o; i++) {
		double s = 0;
		for (int64_t j = 0; j < d; j++) {
			double x = W[i * d + j];
			s += l2 ? x * x : fabs(x);
		}
		m[i] = (l2 ? sqrt(s) : s) + 1e-9;
		tot += m[i];
	}
	for (int64_t i = 0; i < o; i++)
		m[i] /= tot;
}

static float *row_normalized(const float *W, int64_t o, int64_t d)
{
	float *y = malloc(sizeof *y * (size_t)(o * d));
	if (!y)
		return NULL;
	for (int64_t i = 0; i < o; i++) {
		double s = 0;
		for (int64_t j = 0; j < d; j++)
			s += (double)W[i * d + j] * W[i * d + j];
		s = sqrt(s) + 1e-9;
		for (int64_t j = 0; j < d; j++)
			y[i * d + j] = (float)(W[i * d + j] / s);
	}
	return y;
}

/* One layer's fusion in progress: its two weight layers, the buffers the
 * phases below fill, freed together by step_free. */
typedef struct step_ctx {
	int l, last;
	cf_fusion_layer *y;
	const cf_fusion_params *p;
	const cf_net_wlayer *w0l, *w1l;
	const float *W0, *W1;
	int64_t o0, o1, in0, in1;   /* neurons and values per neuron */
	float *hat;                 /* W0 with the incoming map applied: o0 × in1 */
	float *X, *Y;               /* neuron features of the ground cost */
	double *mu, *nu;            /* marginals, or NULL for uniform */
} step_ctx;

static int oom(cf_error *err)
{
	return cf_error_set(err, CF_ENOMEM, "fusion: out of memory");
}

static void step_free(step_ctx *c)
{
	free(c->hat);
	free(c->X);
	free(c->Y);
	free(c->mu);
	free(c->nu);
}

/* 1. Incoming alignment: Ŵ0 = W0 with the previous layer's map applied. */
static int step_incoming(cf_fusion *f, step_ctx *c, cf_error *err)
{
	cf_fusion_layer *y = c->y;
	int64_t C0, C1, r;
	int rc;

	if ((rc = incoming_map(f, c->l, &y->tin, &y->tin_rows, &y->tin_cols, err)))
		return rc;
	if (y->tin) {
		C0 = y->tin_rows;
		C1 = y->tin_cols;
		if (c->in0 % C0 || c->in1 % C1 || c->in0 / C0 != c->in1 / C1)
			return cf_error_set(err, CF_EINVAL,
					    "fusion: layer %d (%s) takes %lld and %lld inputs, which the "
					    "incoming %lldx%lld map does not divide evenly", c->l + 1,
					    y->name, (long long)c->in0, (long long)c->in1, (long long)C0,
					    (long long)C1);
		r = c->in0 / C0;
		if (!(c->hat = malloc(sizeof *c->hat * (size_t)(c->o0 * c->in1))))
			return oom(err);
		apply_incoming(c->W0, c->o0, C0, r, y->tin, C1, c->hat);
	} else {
		if (c->in0 != c->in1)
			return cf_error_set(err, CF_EINVAL, "fusion: first layer takes %lld inputs in "
					    "model 0 and %lld in model 1", (long long)c->in0,
					    (long long)c->in1);
		r = c->in0 / c->w0l->in;
		if (!(c->hat = fdup(c->W0, c->o0 * c->in0)))
			return oom(err);
	}
	y->taps = r;
	return CF_OK;
}

/* residual_tied, acts mode: the head of a residual stream segment adds
 * to its cost the ground costs of the segment's other sums (each identity
 * block's output, recorded as conv2 + shortcut), so that one plan is
 * chosen for the stream from every point where a later layer reads it.
 * A projection's shortcut is left out: conv2's recording already holds
 * the sum it is part of. */
static int add_segment_costs(cf_fusion *f, step_ctx *c, cf_error *err)
{
	int64_t o0 = c->o0, o1 = c->o1, n = o0 * o1;
	double *Mm = NULL;
	float *X = NULL, *Y = NULL;
	int rc = CF_OK;

	for (int m = c->l + 1; m < f->L && !rc; m++) {
		int64_t d0, d1;
		float *t;
		if (f->head[m] != c->l || cf_net_wlayer_at(f->net0, m)->role == CF_WL_SHORTCUT)
			continue;
		d0 = cf_acts_neuron_features(f->a0, m);
		d1 = cf_acts_neuron_features(f->a1, m);
		if (d0 != d1 || cf_acts_width(f->a0, m) != o0 || cf_acts_width(f->a1, m) != o1) {
			rc = cf_error_set(err, CF_EINVAL, "fusion: layer %d: the recordings of layer %d "
					  "(the same residual stream) do not match it", c->l + 1, m + 1);
			break;
		}
		if (!Mm && !(Mm = malloc(sizeof *Mm * (size_t)n))) {
			rc = oom(err);
			break;
		}
		if (!(t = realloc(X, sizeof *X * (size_t)(o0 * d0)))) {
			rc = oom(err);
			break;
		}
		X = t;
		if (!(t = realloc(Y, sizeof *Y * (size_t)(o1 * d1)))) {
			rc = oom(err);
			break;
		}
		Y = t;
		cf_acts_neuron_major(f->a0, m, X);
		cf_acts_neuron_major(f->a1, m, Y);
		rc = cf_ground_cost_f(X, o0, Y, o1, d0, (cf_ground_metric)c->p->metric, c->p->direct,
				      Mm, err);
		for (int64_t i = 0; !rc && i < n; i++)
			c->y->M[i] += Mm[i];
	}
	free(Mm);
	free(X);
	free(Y);
	return rc;
}

/* 2. Ground cost M between the neurons of the two layers. */
static int step_ground(cf_fusion *f, step_ctx *c, cf_error *err)
{
	cf_fusion_layer *y = c->y;
	const cf_fusion_params *p = c->p;
	int64_t o0 = c->o0, o1 = c->o1;
	double t1 = cf_progress_clock();
	int rc;

	if (!(y->M = malloc(sizeof *y->M * (size_t)(o0 * o1))))
		return oom(err);
	if (p->mode == CF_FUSION_ACTS) {
		int64_t d0 = cf_acts_neuron_features(f->a0, c->l), d1 = cf_acts_neuron_features(f->a1, c->l);
		if (d0 != d1 || cf_acts_width(f->a0, c->l) != o0 || cf_acts_width(f->a1, c->l) != o1)
			return cf_error_set(err, CF_EINVAL, "fusion: layer %d: the recordings do "
					    "not match the layer", c->l + 1);
		c->X = malloc(sizeof *c->X * (size_t)(o0 * d0));
		c->Y = malloc(sizeof *c->Y * (size_t)(o1 * d1));
		if (!c->X || !c->Y)
			return oom(err);
		cf_acts_neuron_major(f->a0, c->l, c->X);
		cf_acts_neuron_major(f->a1, c->l, c->Y);
		rc = cf_ground_cost_f(c->X, o0, c->Y, o1, d0, (cf_ground_metric)p->metric, p->direct,
				      y->M, err);
		if (!rc && p->residual_tied)
			rc = add_segment_costs(f, c, err);
	} else if (p->normalize_wts) {
		c->X = row_normalized(c->hat, o0, c->in1);
		c->Y = row_normalized(c->W1, o1, c->in1);
		if (!c->X || !c->Y)
			return oom(err);
		rc = cf_ground_cost_f(c->X, o0, c->Y, o1, c->in1, (cf_ground_metric)p->metric,
				      p->direct, y->M, err);
	} else {
		rc = cf_ground_cost_f(c->hat, o0, c->W1, o1, c->in1, (cf_ground_metric)p->metric,
				      p->direct, y->M, err);
	}
	if (!rc)
		rc = cf_ground_normalize(y->M, o0 * o1, (cf_ground_norm)p->norm, NULL, err);
	if (rc)
		return cf_error_prefix(err, rc, "fusion, layer %d (%s), ground cost", c->l + 1, y->name);
	y->time_ground = cf_progress_clock() - t1;
	return CF_OK;
}

/* 3. Marginals and the transport plan T. */
static int step_plan(step_ctx *c, const cf_progress *prog, cf_error *err)
{
	cf_fusion_layer *y = c->y;
	const cf_fusion_params *p = c->p;
	cf_ot_problem prob;
	cf_ot_params op;
	int rc;

	prob.n = c->o0;
	prob.m = c->o1;
	prob.a = prob.b = NULL;
	prob.M = y->M;
	if (p->solver == CF_OT_UNBALANCED || (p->marginals != CF_MARGINALS_UNIFORM && !c->last)) {
		c->mu = malloc(sizeof *c->mu * (size_t)c->o0);
		c->nu = malloc(sizeof *c->nu * (size_t)c->o1);
		if (!c->mu || !c->nu)
			return oom(err);
		if (p->marginals != CF_MARGINALS_UNIFORM && !c->last) {
			norm_marginals(c->W0, c->o0, c->in0, p->marginals == CF_MARGINALS_L2, c->mu);
			norm_marginals(c->W1, c->o1, c->in1, p->marginals == CF_MARGINALS_L2, c->nu);
		} else {
			for (int64_t i = 0; i < c->o0; i++)
				c->mu[i] = 1.0;
			for (int64_t j = 0; j < c->o1; j++)
				c->nu[j] = 1.0;
		}
		prob.a = c->mu;
		prob.b = c->nu;
	}
	cf_ot_params_init(&op);
	op.reg = p->reg;
	op.reg_m = p->reg_m;
	if (p->max_iter > 0)
		op.max_iter = p->max_iter;
	if (prog)
		op.progress = *prog;
	if ((rc = cf_ot_solve((cf_ot_kind)p->solver, &prob, &op, &y->ot, err)))
		return cf_error_prefix(err, rc, "fusion, layer %d (%s)", c->l + 1, y->name);
	if (y->ot.status == CF_OT_STOPPED)
		return cf_error_set(err, CF_ESTOPPED, "fusion: stopped in layer %d", c->l + 1);
	if (y->ot.status == CF_OT_FAILED)
		return cf_error_set(err, CF_EFAILED, "fusion, layer %d (%s): the %s solver failed: %s",
				    c->l + 1, y->name, cf_ot_kind_name(p->solver), y->ot.message);
	y->plan = y->ot.plan; /* the plan is the result's; keep one copy */
	y->ot.plan = NULL;
	return CF_OK;
}

/* 4. T̃: the plan in float32, divided by its column mass (as the reference). */
static int step_correct(step_ctx *c, cf_error *err)
{
	cf_fusion_layer *y = c->y;
	int64_t o0 = c->o0, o1 = c->o1;
	double tr = 0, tot = 0;

	if (!(y->Tc = malloc(sizeof *y->Tc * (size_t)(o0 * o1))))
		return oom(err);
	for (int64_t i = 0; i < o0 * o1; i++)
		y->Tc[i] = (float)y->plan[i];
	if (c->p->correction) {
		for (int64_t j = 0; j < o1; j++) {
			float beta = 0;
			for (int64_t i = 0; i < o0; i++)
				beta += y->Tc[i * o1 + j];
			beta += (float)c->p->eps;
			for (int64_t i = 0; i < o0; i++)
				y->Tc[i * o1 + j] = beta > 0 ? y->Tc[i * o1 + j] / beta : 0.0f;
		}
	}
	for (int64_t i = 0; i < o0 * o1; i++)
		tot += y->Tc[i];
	for (int64_t i = 0; i < o0 && i < o1; i++)
		tr += y->Tc[i * o1 + i];
	y->trace_ratio = tot > 0 ? tr / tot : 0;
	return CF_OK;
}

/* 5. Outgoing alignment: T̃ᵀ Ŵ0 (or T̃ᵀ W0 without past-correction). */
static int step_outgoing(step_ctx *c, cf_error *err)
{
	cf_fusion_layer *y = c->y;

	if (!(y->w0t = malloc(sizeof *y->w0t * (size_t)(c->o1 * c->in1))))
		return oom(err);
	if (!c->p->past_correction && c->in0 != c->in1)
		return cf_error_set(err, CF_EINVAL, "fusion, layer %d: without past-correction "
				    "the layers must take the same inputs (%lld vs %lld)", c->l + 1,
				    (long long)c->in0, (long long)c->in1);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)c->o1, (int)c->in1, (int)c->o0,
		    1.0f, y->Tc, (int)c->o1, c->p->past_correction ? c->hat : c->W0, (int)c->in1, 0.0f,
		    y->w0t, (int)c->in1);
	return CF_OK;
}

/* 6. Averaging into the fused network: (1 − s)·aligned model 0 + s·model 1. */
static void step_average(cf_fusion *f, const step_ctx *c)
{
	const cf_fusion_layer *y = c->y;
	double s = c->p->step;
	float *wf = cf_net_param_at(f->fused, c->w1l->weight)->t.data;

	for (int64_t i = 0; i < c->o1 * c->in1; i++)
		wf[i] = (float)((1.0 - s) * y->w0t[i] + s * c->W1[i]);
	if (c->w0l->bias >= 0 && c->w1l->bias >= 0) {
		const float *b0 = cf_net_param_at((cf_net *)f->net0, c->w0l->bias)->t.data;
		const float *b1 = cf_net_param_at((cf_net *)f->net1, c->w1l->bias)->t.data;
		float *bf = cf_net_param_at(f->fused, c->w1l->bias)->t.data;
		for (int64_t j = 0; j < c->o1; j++) {
			double t = 0;
			if (y->Tc)
				for (int64_t i = 0; i < c->o0; i++)
					t += (double)y->Tc[i * c->o1 + j] * b0[i];
			else
				t = b0[j];
			bf[j] = (float)((1.0 - s) * t + s * b1[j]);
		}
	}
}

/* residual_tied, a layer that adds into a stream begun before it: the
 * head's plan, copied (M, T, T̃ and the solver's summary), so the sum
 * keeps the order of the stream it adds to. */
static int step_tied(cf_fusion *f, step_ctx *c, cf_error *err)
{
	cf_fusion_layer *y = c->y;
	const cf_fusion_layer *hy;
	int h = f->head[c->l];
	int64_t n = c->o0 * c->o1;

	if (h < 0)
		return cf_error_set(err, CF_EINVAL, "fusion, layer %d (%s): fusion.residual_tied: "
				    "this block adds the network input itself, whose order no plan "
				    "changes (put a conv layer before it)", c->l + 1, y->name);
	hy = &f->layer[h];
	if (!hy->Tc || hy->n0 != c->o0 || hy->n1 != c->o1)
		return cf_error_set(err, CF_EINVAL, "fusion, layer %d (%s): fusion.residual_tied: "
				    "its stream's first layer %d has no plan of %lldx%lld neurons",
				    c->l + 1, y->name, h + 1, (long long)c->o0, (long long)c->o1);
	if ((hy->M && !(y->M = malloc(sizeof *y->M * (size_t)n))) ||
	    !(y->plan = malloc(sizeof *y->plan * (size_t)n)) ||
	    !(y->Tc = fdup(hy->Tc, n)))
		return oom(err);
	if (hy->M)
		memcpy(y->M, hy->M, sizeof *y->M * (size_t)n);
	memcpy(y->plan, hy->plan, sizeof *y->plan * (size_t)n);
	y->ot.n = hy->ot.n;
	y->ot.m = hy->ot.m;
	y->ot.cost = hy->ot.cost;
	y->ot.reg = hy->ot.reg;
	y->ot.status = hy->ot.status;
	y->ot.kind = hy->ot.kind;
	y->ot.marg_err = hy->ot.marg_err;
	snprintf(y->ot.message, sizeof y->ot.message, "the plan of layer %d (fusion.residual_tied)",
		 h + 1);
	y->trace_ratio = hy->trace_ratio;
	y->tied_to = h;
	return CF_OK;
}

/* The output layer without a plan (the reference's --skip-last-layer):
 * model 0's weights as they are, averaged. */
static int step_no_plan(step_ctx *c, cf_error *err)
{
	if (c->o0 != c->o1)
		return cf_error_set(err, CF_EINVAL, "fusion: output layers have %lld and %lld "
				    "neurons", (long long)c->o0, (long long)c->o1);
	c->y->w0t = c->hat;
	c->hat = NULL;
	return CF_OK;
}

int cf_fusion_step(cf_fusion *f, const cf_progress *prog, cf_error *err)
{
	step_ctx c;
	double t0 = cf_progress_clock();
	int rc;

	if (f->cursor >= f->L)
		return cf_error_set(err, CF_EINVAL, "fusion: every layer is already fused");
	memset(&c, 0, sizeof c);
	c.l = f->cursor;
	c.last = c.l == f->L - 1;
	c.y = &f->layer[c.l];
	layer_clear(c.y);
	c.p = &c.y->par;
	c.w0l = cf_net_wlayer_at(f->net0, c.l);
	c.w1l = cf_net_wlayer_at(f->net1, c.l);
	c.W0 = cf_net_param_at((cf_net *)f->net0, c.w0l->weight)->t.data;
	c.W1 = cf_net_param_at((cf_net *)f->net1, c.w1l->weight)->t.data;
	c.o0 = c.w0l->out;
	c.o1 = c.w1l->out;
	c.in0 = (int64_t)c.w0l->in * c.w0l->kh * c.w0l->kw;
	c.in1 = (int64_t)c.w1l->in * c.w1l->kh * c.w1l->kw;
	c.y->n0 = c.o0;
	c.y->n1 = c.o1;

	rc = step_incoming(f, &c, err);
	if (!rc && c.last && !c.p->output_plan)
		rc = step_no_plan(&c, err);
	else if (!rc && c.p->residual_tied && f->head[c.l] != c.l) {
		if (!(rc = step_tied(f, &c, err)))
			rc = step_outgoing(&c, err);
	} else if (!rc && !(rc = step_ground(f, &c, err)) && !(rc = step_plan(&c, prog, err)) &&
		 !(rc = step_correct(&c, err)))
		rc = step_outgoing(&c, err);
	step_free(&c);
	if (rc) {
		layer_clear(c.y);
		return rc;
	}
	step_average(f, &c);
	c.y->done = 1;
	c.y->time = cf_progress_clock() - t0;
	f->cursor++;
	if (cf_progress_report(prog, "fusion", (double)f->cursor / f->L))
		return cf_error_set(err, CF_ESTOPPED, "fusion: stopped after layer %d", c.l + 1);
	return CF_OK;
}

int cf_fusion_run(cf_fusion *f, const cf_progress *prog, cf_error *err)
{
	int rc;
	while (!cf_fusion_done(f))
		if ((rc = cf_fusion_step(f, prog, err)))
			return rc;
	return CF_OK;
}

/* ---- baselines ------------------------------------------------------------ */

int cf_fusion_average(const cf_net *const *nets, const double *wts, int K, cf_net **out,
		      cf_error *err)
{
	cf_net *avg;
	int rc;

	if (K < 1)
		return cf_error_set(err, CF_EINVAL, "averaging: no model");
	for (int i = 1; i < K; i++)
		if (!cf_arch_equal(cf_net_arch(nets[0]), cf_net_arch(nets[i])))
			return cf_error_set(err, CF_EINVAL,
					    "averaging: model %d has another architecture than model 1 "
					    "(plain averaging needs identical shapes)", i + 1);
	if ((rc = cf_net_copy(nets[0], &avg, err)))
		return rc;
	for (int p = 0; p < cf_net_nparams(avg); p++) {
		cf_net_param *q = cf_net_param_at(avg, p);
		for (int64_t j = 0; j < q->t.size; j++) {
			double s = 0;
			for (int i = 0; i < K; i++)
				s += (wts ? wts[i] : 1.0 / K) *
				     cf_net_param_at((cf_net *)nets[i], p)->t.data[j];
			q->t.data[j] = (float)s;
		}
	}
	*out = avg;
	return CF_OK;
}

int cf_fusion_logits(cf_net *net, const cf_dataset *d, int batch, float **logits,
		     const cf_progress *prog, cf_error *err)
{
	int k = cf_net_nclasses(net), rc, c, h, w;
	int64_t insz = cf_net_input_size(net);
	float *out;

	if (batch <= 0)
		batch = 1000;
	cf_net_input_shape(net, &c, &h, &w);
	if ((int64_t)d->c * d->h * d->w != insz)
		return cf_error_set(err, CF_EINVAL, "logits: the data set %s has %dx%dx%d samples, "
				    "the model takes %dx%dx%d", d->name, d->c, d->h, d->w, c, h, w);
	if (d->n < 1)
		return cf_error_set(err, CF_EINVAL, "logits: the data set %s is empty", d->name);
	out = malloc(sizeof *out * (size_t)(d->n * k));
	if (!out)
		return cf_error_set(err, CF_ENOMEM, "logits: out of memory");
	for (int64_t first = 0; first < d->n; first += batch) {
		int64_t nb = d->n - first < batch ? d->n - first : batch;
		if ((rc = cf_net_forward(net, d->x + first * insz, nb, CF_NET_EVAL, NULL, out + first * k,
					 err))) {
			free(out);
			return rc;
		}
		if (cf_progress_report(prog, "evaluating", (double)(first + nb) / (double)d->n)) {
			free(out);
			return cf_error_set(err, CF_ESTOPPED, "evaluation stopped");
		}
	}
	*logits = out;
	return CF_OK;
}

double cf_fusion_ensemble_accuracy(const float *const *logits, const double *wts, int K,
				   int nclasses, const cf_dataset *d)
{
	int k = nclasses;
	int64_t correct = 0;
	double *acc = malloc(sizeof *acc * (size_t)k);

	if (!acc || d->n < 1) {
		free(acc);
		return 0;
	}
	for (int64_t s = 0; s < d->n; s++) {
		int best = 0;
		for (int j = 0; j < k; j++)
			acc[j] = 0;
		for (int i = 0; i < K; i++) {
			const float *z = logits[i] + s * k;
			double mx = z[0], lse = 0, wi = wts ? wts[i] : 1.0 / K;
			for (int j = 1; j < k; j++)
				if (z[j] > mx)
					mx = z[j];
			for (int j = 0; j < k; j++)
				lse += exp(z[j] - mx);
			lse = mx + log(lse);
			for (int j = 0; j < k; j++)
				acc[j] += wi * (z[j] - lse);
		}
		for (int j = 1; j < k; j++)
			if (acc[j] > acc[best])
				best = j;
		correct += best == d->y[s];
	}
	free(acc);
	return (double)correct / (double)d->n;
}

/* ---- the aligned model ---------------------------------------------------- */

int cf_fusion_aligned_net(const cf_fusion *f, cf_net **out, cf_error *err)
{
	cf_net *a;
	int rc;

	*out = NULL;
	if (f->cursor < f->L)
		return cf_error_set(err, CF_EINVAL, "fusion: the aligned model needs every layer "
				    "fused (%d of %d are)", f->cursor, f->L);
	if ((rc = cf_net_copy(f->fused, &a, err)))
		return rc;
	for (int l = 0; l < f->L; l++) {
		const cf_fusion_layer *y = &f->layer[l];
		const cf_net_wlayer *w0l = cf_net_wlayer_at(f->net0, l);
		const cf_net_wlayer *wl = cf_net_wlayer_at(a, l);
		int64_t in1 = (int64_t)wl->in * wl->kh * wl->kw;
		memcpy(cf_net_param_at(a, wl->weight)->t.data, y->w0t,
		       sizeof(float) * (size_t)(y->n1 * in1));
		if (wl->bias >= 0) {
			/* T̃ᵀ b0, as the fusion averages it; zero when model 0 has none */
			const float *b0 = w0l->bias >= 0
					  ? cf_net_param_at((cf_net *)f->net0, w0l->bias)->t.data : NULL;
			float *ba = cf_net_param_at(a, wl->bias)->t.data;
			for (int64_t j = 0; j < y->n1; j++) {
				double s = 0;
				if (b0 && y->Tc)
					for (int64_t i = 0; i < y->n0; i++)
						s += (double)y->Tc[i * y->n1 + j] * b0[i];
				else if (b0)
					s = b0[j];
				ba[j] = (float)s;
			}
		}
	}
	*out = a;
	return CF_OK;
}
