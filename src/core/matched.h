/* matched.h — two matched neurons side by side: something to look at when
 * the method compares activations.
 *
 * Neuron j of model 1 (a column of a layer's plan T, n0×n1) is matched to
 * the neuron i of model 0 that T sends the most mass to it (the first
 * largest entry of column j).  Their pre-activations over the N samples
 * of the activation step (a convolution channel: its mean over positions,
 * one value per sample) and the Pearson correlation of the two say how
 * alike the matched pair behaves — high for a good match, whatever the
 * neurons' order in their models.
 */
#ifndef CF_MATCHED_H
#define CF_MATCHED_H

#include <stdint.h>

#include "error.h"
#include "net.h"

/* Layer l of recordings a0 (model 0) and a1 (model 1) with plan (n0×n1,
 * the layer's widths in a0 and a1): x1 and x0 get the N values (caller-
 * allocated, N = the recordings' samples) of neuron j of model 1 and of its
 * match *i in model 0; *corr their correlation (NaN when either is
 * constant).  CF_EINVAL names what does not fit (j, the widths, N). */
int cf_matched_neurons(const double *plan, int64_t n0, int64_t n1, const cf_activations *a0,
		       const cf_activations *a1, int l, int64_t j, double *x1, double *x0,
		       int64_t *i, double *corr, cf_error *err);

/* Pearson correlation of x and y (n values); NaN when n < 2 or either
 * has no spread. */
double cf_pearson(const double *x, const double *y, int64_t n);

#endif
