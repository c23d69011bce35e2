/* fixtures.h — small networks and data sets the unit tests build alike.
 * Header-only, as tap.h: a test is one .c file plus these. */
#ifndef CF_FIXTURES_H
#define CF_FIXTURES_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "acts.h"
#include "data.h"
#include "net.h"
#include "tap.h"

/* A network for a description, its parameters as allocated (a test sets
 * them by hand); NULL (with a TAP diagnostic) when it does not build. */
static inline cf_net *fx_build(const char *desc)
{
	cf_net *n = NULL;
	cf_error e = { 0, "" };
	if (cf_net_create_str(desc, &n, &e)) {
		tap_diag("cannot build '%s': %s", desc, e.msg);
		return NULL;
	}
	return n;
}

/* The same, initialised from rng. */
static inline cf_net *fx_net(const char *desc, gsl_rng *rng)
{
	cf_net *n = fx_build(desc);
	if (n)
		cf_net_init(n, rng);
	return n;
}

/* n Gaussian samples c×h×w labelled by a fixed random linear teacher over
 * k classes (the same teacher for every seed, so splits agree). */
static inline cf_dataset *fx_data(int64_t n, int c, int h, int w, int k,
					  unsigned long seed)
{
	cf_dataset *d = calloc(1, sizeof *d);
	int64_t dim = (int64_t)c * h * w;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *T = malloc(sizeof *T * (size_t)(dim * k));
	gsl_rng_set(r, 99);
	for (int64_t i = 0; i < dim * k; i++)
		T[i] = gsl_ran_gaussian(r, 1.0);
	gsl_rng_set(r, seed);
	snprintf(d->name, sizeof d->name, "synthetic/%lu", seed);
	d->n = n;
	d->c = c;
	d->h = h;
	d->w = w;
	d->nclasses = k;
	d->x = malloc(sizeof *d->x * (size_t)(n * dim));
	d->y = malloc(sizeof *d->y * (size_t)n);
	for (int64_t s = 0; s < n; s++) {
		double best = -1e300;
		for (int64_t j = 0; j < dim; j++)
			d->x[s * dim + j] = (float)gsl_ran_gaussian(r, 1.0);
		for (int q = 0; q < k; q++) {
			double z = 0;
			for (int64_t j = 0; j < dim; j++)
				z += T[q * dim + j] * d->x[s * dim + j];
			if (z > best) {
				best = z;
				d->y[s] = q;
			}
		}
	}
	free(T);
	gsl_rng_free(r);
	return d;
}

/* N standard Gaussian inputs shaped for net n (free with
 * cf_acts_sample_free). */
static inline cf_acts_sample *fx_sample(const cf_net *n, int64_t N, gsl_rng *rng)
{
	cf_acts_sample *s = calloc(1, sizeof *s);
	int64_t d = cf_net_input_size(n);
	cf_net_input_shape(n, &s->c, &s->h, &s->w);
	s->N = N;
	s->x = malloc(sizeof *s->x * (size_t)(N * d));
	for (int64_t i = 0; i < N * d; i++)
		s->x[i] = (float)gsl_ran_gaussian(rng, 1.0);
	return s;
}

/* Random BN affine parameters and running statistics, so that folding
 * changes every weight (a fresh BN is the identity). */
static inline void fx_randomize_bn(cf_net *n, gsl_rng *rng)
{
	for (int i = 0; i < cf_net_nparams(n); i++) {
		cf_net_param *p = cf_net_param_at(n, i);
		for (int64_t j = 0; j < p->t.size; j++) {
			float *v = &p->t.data[j];
			switch (p->kind) {
			case CF_PARAM_BN_WEIGHT: *v = (float)(0.5 + gsl_rng_uniform(rng)); break;
			case CF_PARAM_BN_BIAS: *v = (float)gsl_ran_gaussian(rng, 0.3); break;
			case CF_PARAM_BN_MEAN: *v = (float)gsl_ran_gaussian(rng, 0.3); break;
			case CF_PARAM_BN_VAR: *v = (float)(0.5 + 1.5 * gsl_rng_uniform(rng)); break;
			default: break;
			}
		}
	}
}

/* Largest |logit of a - logit of b| over the N inputs x, relative to the
 * largest |logit of a|; INFINITY when a forward pass fails. */
static inline double fx_out_diff(cf_net *a, cf_net *b, const float *x, int64_t N)
{
	int k = cf_net_nclasses(a);
	float *ya = malloc(sizeof *ya * (size_t)(N * k)), *yb = malloc(sizeof *yb * (size_t)(N * k));
	double d = 0, sc = 0;
	cf_error e;
	if (cf_net_forward(a, x, N, CF_NET_EVAL, NULL, ya, &e) ||
	    cf_net_forward(b, x, N, CF_NET_EVAL, NULL, yb, &e))
		d = INFINITY;
	for (int64_t i = 0; i < N * k && isfinite(d); i++) {
		d = fmax(d, fabs(ya[i] - yb[i]));
		sc = fmax(sc, fabs(ya[i]));
	}
	free(ya);
	free(yb);
	return sc > 0 ? d / sc : d;
}

#endif
