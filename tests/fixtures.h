/* fixtures.h — small networks and data sets the unit tests build alike.
 * Header-only, as tap.h: a test is one .c file plus these. */
#ifndef CF_FIXTURES_H
#define CF_FIXTURES_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

#include "data.h"
#include "net.h"
#include "tap.h"

/* A network for a description, initialised from rng; NULL (with a TAP
 * diagnostic) when the description does not build. */
static inline cf_net *fx_net(const char *desc, gsl_rng *rng)
{
	cf_net *n = NULL;
	cf_error e = { 0, "" };
	if (cf_net_create_str(desc, &n, &e)) {
		tap_diag("cannot build '%s': %s", desc, e.msg);
		return NULL;
	}
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

#endif
