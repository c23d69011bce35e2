/* acts.c — the activation sample, recordings, neuron-major views and the
 * unit costs of cross-layer alignment (see acts.h).
 */
#include "acts.h"
#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "ground.h"
#include "ot.h"
#include "similarity.h"


void cf_acts_sample_free(cf_acts_sample *s)
{
	if (!s)
		return;
	free(s->idx);
	free(s->x);
	free(s);
}

int cf_acts_sample_draw(const cf_dataset *d, int64_t N, unsigned long seed, const int64_t *idx,
			int64_t nidx, cf_acts_sample **out, cf_error *err)
{
	cf_acts_sample *s;
	int64_t insz;

	if (!d || d->n < 1)
		return cf_error_set(err, CF_EINVAL, "activation sample: the data set is empty");
	if (idx) {
		if (nidx < 1)
			return cf_error_set(err, CF_EINVAL, "activation sample: the index list is empty");
		for (int64_t i = 0; i < nidx; i++)
			if (idx[i] < 0 || idx[i] >= d->n)
				return cf_error_set(err, CF_EINVAL,
						    "activation sample: index %lld (entry %lld) is outside "
						    "the data set %s of %lld samples",
						    (long long)idx[i], (long long)i + 1, d->name,
						    (long long)d->n);
		N = nidx;
	} else if (N < 1 || N > d->n) {
		return cf_error_set(err, CF_EINVAL,
				    "activation sample: %lld samples requested, data set %s has %lld",
				    (long long)N, d->name, (long long)d->n);
	}
	insz = (int64_t)d->c * d->h * d->w;
	s = calloc(1, sizeof *s);
	if (!s)
		return cf_error_set(err, CF_ENOMEM, "activation sample: out of memory");
	s->N = N;
	s->c = d->c;
	s->h = d->h;
	s->w = d->w;
	s->x = malloc(sizeof(float) * (size_t)(N * insz));
	if (idx) {
		s->idx = malloc(sizeof *s->idx * (size_t)N);
		if (s->idx)
			memcpy(s->idx, idx, sizeof *s->idx * (size_t)N);
	} else {
		s->idx = malloc(sizeof *s->idx * (size_t)d->n);
		if (s->idx) {
			gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
			if (!r) {
				free(s->idx);
				s->idx = NULL;
			} else {
				gsl_rng_set(r, seed);
				cf_data_permutation(s->idx, d->n, r);
				gsl_rng_free(r);
			}
		}
	}
	if (!s->x || !s->idx) {
		cf_acts_sample_free(s);
		return cf_error_set(err, CF_ENOMEM, "activation sample: out of memory");
	}
	for (int64_t i = 0; i < N; i++)
		memcpy(s->x + i * insz, cf_dataset_sample(d, s->idx[i]), sizeof(float) * (size_t)insz);
	*out = s;
	return CF_OK;
}

int cf_acts_record(cf_net *net, const cf_acts_sample *s, const cf_progress *prog,
		   cf_activations **out, cf_error *err)
{
	return cf_acts_record_as(net, s, 0, prog, out, err);
}

int cf_acts_record_as(cf_net *net, const cf_acts_sample *s, int branches,
		      const cf_progress *prog, cf_activations **out, cf_error *err)
{
	cf_activations *a = NULL, *b = NULL;
	int c, h, w, rc;
	int64_t insz;

	cf_net_input_shape(net, &c, &h, &w);
	insz = (int64_t)c * h * w;
	if (insz != (int64_t)s->c * s->h * s->w)
		return cf_error_set(err, CF_EINVAL,
				    "activations: the samples are %dx%dx%d but the model takes %dx%dx%d",
				    s->c, s->h, s->w, c, h, w);
	if ((rc = cf_activations_alloc(net, s->N, &a, err)))
		return rc;
	a->branches = branches != 0;
	if (s->N <= CF_ACTS_BATCH) {
		rc = cf_net_forward(net, s->x, s->N, CF_NET_EVAL, a, NULL, err);
	} else {
		/* Batches into a small recording, copied into place. */
		rc = cf_activations_alloc(net, CF_ACTS_BATCH, &b, err);
		for (int64_t first = 0; !rc && first < s->N; first += CF_ACTS_BATCH) {
			int64_t nb = s->N - first < CF_ACTS_BATCH ? s->N - first : CF_ACTS_BATCH;
			if (nb != CF_ACTS_BATCH) {
				cf_activations_free(b);
				b = NULL;
				if ((rc = cf_activations_alloc(net, nb, &b, err)))
					break;
			}
			b->branches = a->branches;
			if ((rc = cf_net_forward(net, s->x + first * insz, nb, CF_NET_EVAL, b, NULL, err)))
				break;
			for (int l = 0; l < a->n; l++) {
				int64_t per = a->a[l]->size / s->N;
				memcpy(a->a[l]->data + first * per, b->a[l]->data,
				       sizeof(float) * (size_t)(nb * per));
			}
			if (cf_progress_report(prog, "activations", (double)(first + nb) / (double)s->N))
				rc = cf_error_set(err, CF_ESTOPPED, "activations: stopped");
		}
		cf_activations_free(b);
	}
	if (rc) {
		cf_activations_free(a);
		return rc;
	}
	*out = a;
	return CF_OK;
}

int64_t cf_acts_width(const cf_activations *a, int l)
{
	return a->a[l]->shape[1];
}

int64_t cf_acts_neuron_features(const cf_activations *a, int l)
{
	return a->a[l]->size / a->a[l]->shape[1];
}

void cf_acts_neuron_major(const cf_activations *a, int l, float *out)
{
	const cf_tensor *t = a->a[l];
	int64_t N = t->shape[0], C = t->shape[1], hw = t->size / (N * C);

	for (int64_t s = 0; s < N; s++)
		for (int64_t c = 0; c < C; c++) {
			const float *src = t->data + (s * C + c) * hw;
			float *dst = out + c * hw * N + s;
			for (int64_t p = 0; p < hw; p++)
				dst[p * N] = src[p];
		}
}

/* ---- units -------------------------------------------------------------- */

int cf_acts_hidden_units(const cf_net *net)
{
	return cf_net_nunits(net) - 1;
}

int cf_acts_unit_groups(const cf_net *net, int *sizes, int maxg)
{
	int nh = cf_acts_hidden_units(net), g = -1;

	if (nh < 1)
		return -1;
	for (int u = 0; u < nh; u++) {
		const cf_net_unit *x = cf_net_unit_at(net, u);
		if (u == 0 || x->stage != cf_net_unit_at(net, u - 1)->stage ||
		    x->kind != cf_net_unit_at(net, u - 1)->kind) {
			if (++g >= maxg)
				return -1;
			sizes[g] = 0;
		}
		sizes[g]++;
	}
	return g + 1;
}

int cf_acts_unit_layer(const cf_net *net, int u)
{
	const cf_net_unit *x = cf_net_unit_at(net, u);
	return x->wl_first + x->wl_n - 1;
}

const char *const cf_acts_measure_names[] = { "index", "neuron", "activation", NULL };
const char *const cf_acts_metric_names[] = { "euclidean", "cka", "cca", "wd", NULL };

const char *cf_acts_measure_name(int m)
{
	return cf_names_at(cf_acts_measure_names, m);
}

const char *cf_acts_metric_name(int m)
{
	return cf_names_at(cf_acts_metric_names, m);
}

/* Exact OT cost between the neuron clouds of two layers (the `wd` cost). */
static int wd_cost(const cf_activations *a0, int l0, const cf_activations *a1, int l1,
		   int metric, double *cost, cf_error *err)
{
	int64_t n0 = cf_acts_width(a0, l0), n1 = cf_acts_width(a1, l1);
	int64_t d0 = cf_acts_neuron_features(a0, l0), d1 = cf_acts_neuron_features(a1, l1);
	float *x = NULL, *y = NULL;
	double *M = NULL;
	cf_ot_result r;
	cf_ot_problem p;
	int rc;

	memset(&r, 0, sizeof r);
	if (d0 != d1)
		return cf_error_set(err, CF_EINVAL,
				    "wd: the layers have %lld and %lld values per neuron (different "
				    "resolutions)", (long long)d0, (long long)d1);
	x = malloc(sizeof *x * (size_t)(n0 * d0));
	y = malloc(sizeof *y * (size_t)(n1 * d1));
	M = malloc(sizeof *M * (size_t)(n0 * n1));
	if (!x || !y || !M) {
		rc = cf_error_set(err, CF_ENOMEM, "wd: out of memory");
		goto out;
	}
	cf_acts_neuron_major(a0, l0, x);
	cf_acts_neuron_major(a1, l1, y);
	if ((rc = cf_ground_cost_f(x, n0, y, n1, d0, (cf_ground_metric)metric, 0, M, err)))
		goto out;
	p.n = n0;
	p.m = n1;
	p.a = p.b = NULL;
	p.M = M;
	if ((rc = cf_ot_solve(CF_OT_EXACT, &p, NULL, &r, err)))
		goto out;
	if (r.status != CF_OT_OPTIMAL) {
		rc = cf_error_set(err, CF_EFAILED, "wd: exact OT did not finish: %s", r.message);
		goto out;
	}
	*cost = r.cost;
out:
	cf_ot_result_clear(&r);
	free(x);
	free(y);
	free(M);
	return rc;
}

#define ACTS_MAXG 64

int cf_acts_unit_costs(const cf_net *net0, const cf_activations *a0, const cf_net *net1,
		       const cf_activations *a1, const cf_acts_cost_opts *o, double *C,
		       const cf_progress *prog, cf_error *err)
{
	int g0[ACTS_MAXG], g1[ACTS_MAXG], ng0, ng1, m, n, off0 = 0, off1 = 0, rc = CF_OK;
	int act = o->measure == CF_MEASURE_ACTIVATION;
	cf_sim_matrix *xs = NULL, *ys = NULL;
	double *Cg = NULL;

	if (o->measure < 0 || o->measure > 2 || o->metric < 0 || o->metric > 3)
		return cf_error_set(err, CF_EINVAL, "layer costs: unknown measure or metric");
	if (act == (o->metric == CF_LMETRIC_EUCLIDEAN))
		return cf_error_set(err, CF_EINVAL,
				    "layer costs: measure '%s' does not go with metric '%s' (index "
				    "and neuron take euclidean; activation takes cka, cca or wd)",
				    cf_acts_measure_name(o->measure), cf_acts_metric_name(o->metric));
	if (act && (!a0 || !a1))
		return cf_error_set(err, CF_EINVAL, "layer costs: the activation measure needs recordings");
	m = cf_acts_hidden_units(net0);
	n = cf_acts_hidden_units(net1);
	ng0 = cf_acts_unit_groups(net0, g0, ACTS_MAXG);
	ng1 = cf_acts_unit_groups(net1, g1, ACTS_MAXG);
	if (ng0 < 1 || ng1 < 1)
		return cf_error_set(err, CF_EINVAL, "layer costs: a model has no hidden unit "
				    "(or more than %d groups)", ACTS_MAXG);
	if (ng0 != ng1)
		return cf_error_set(err, CF_EINVAL,
				    "layer costs: model 0 has %d stages of units, model 1 has %d: "
				    "the models cannot be aligned stage by stage", ng0, ng1);
	for (int64_t i = 0; i < (int64_t)m * n; i++)
		C[i] = NAN;
	if (act) {
		xs = malloc(sizeof *xs * (size_t)m);
		ys = malloc(sizeof *ys * (size_t)n);
		Cg = malloc(sizeof *Cg * (size_t)m * (size_t)n);
		if (!xs || !ys || !Cg) {
			rc = cf_error_set(err, CF_ENOMEM, "layer costs: out of memory");
			goto out;
		}
	}
	for (int g = 0; g < ng0 && !rc; g++) {
		int mg = g0[g], ng = g1[g];
		for (int i = 0; i < mg && !rc; i++) {
			int u = off0 + i, l0 = cf_acts_unit_layer(net0, u);
			for (int j = 0; j < ng && !rc; j++) {
				int v = off1 + j, l1 = cf_acts_unit_layer(net1, v);
				double *c = &C[(int64_t)u * n + v];
				if (o->measure == CF_MEASURE_INDEX)
					*c = cf_sim_euclidean(u + 1, v + 1);
				else if (o->measure == CF_MEASURE_NEURON)
					*c = cf_sim_euclidean(cf_net_unit_at(net0, u)->width,
							      cf_net_unit_at(net1, v)->width);
				else if (o->metric == CF_LMETRIC_WD) {
					rc = wd_cost(a0, l0, a1, l1, o->ground_metric, c, err);
					if (rc)
						cf_error_prefix(err, rc, "layer costs, model-0 unit %d vs "
								"model-1 unit %d", u + 1, v + 1);
				}
			}
		}
		if (!rc && act && o->metric != CF_LMETRIC_WD) {
			cf_sim_options so = cf_sim_options_default();
			so.metric = o->metric == CF_LMETRIC_CKA ? CF_SIM_CKA : CF_SIM_CCA;
			so.estimator = o->cka_debiased ? CF_SIM_CKA_DEBIASED : CF_SIM_CKA_BIASED;
			for (int i = 0; i < mg; i++) {
				const cf_tensor *t = a0->a[cf_acts_unit_layer(net0, off0 + i)];
				xs[i] = cf_sim_matrix_f32(t->data, t->shape[0], t->size / t->shape[0]);
			}
			for (int j = 0; j < ng; j++) {
				const cf_tensor *t = a1->a[cf_acts_unit_layer(net1, off1 + j)];
				ys[j] = cf_sim_matrix_f32(t->data, t->shape[0], t->size / t->shape[0]);
			}
			rc = cf_sim_cost_matrix(xs, mg, ys, ng, &so, Cg, prog, err);
			if (rc)
				cf_error_prefix(err, rc, "layer costs, stage %d (units %d.. of model 0, "
						"%d.. of model 1)", g + 1, off0 + 1, off1 + 1);
			for (int i = 0; !rc && i < mg; i++)
				for (int j = 0; j < ng; j++)
					C[(int64_t)(off0 + i) * n + off1 + j] = Cg[i * ng + j];
		}
		off0 += mg;
		off1 += ng;
		if (!rc && cf_progress_report(prog, "layer costs", (double)(g + 1) / ng0))
			rc = cf_error_set(err, CF_ESTOPPED, "layer costs: stopped");
	}
out:
	free(xs);
	free(ys);
	free(Cg);
	return rc;
}
