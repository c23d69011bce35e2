/* data.h — data sets in memory: images as normalised float32, labels.
 *
 * Loaders read IDX files (MNIST family; gzip or plain, through zlib) and
 * CIFAR-10/100 binary batches.  Samples are stored C×H×W, channel-major,
 * already normalised per channel with the data set's mean and std (which
 * the caller can override).  Every random choice takes a seeded GSL
 * generator, so shuffles and subsets are reproducible.
 */
#ifndef CF_DATA_H
#define CF_DATA_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "error.h"

#define CF_DATA_MAXCH 4
#define CF_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

typedef struct cf_dataset {
	char name[64];       /* "fashion-mnist/train", ... */
	int64_t n;           /* number of samples */
	int c, h, w;         /* shape of one sample */
	int nclasses;
	float *x;            /* n*c*h*w values, normalised, owned */
	int32_t *y;          /* n labels in [0, nclasses), owned */
	float mean[CF_DATA_MAXCH], std[CF_DATA_MAXCH]; /* normalisation applied */
} cf_dataset;

void cf_dataset_free(cf_dataset *d);

/* Sample i's first value. */
static inline const float *cf_dataset_sample(const cf_dataset *d, int64_t i)
{
	return d->x + i * (int64_t)d->c * d->h * d->w;
}

/* IDX images + labels (pixels scaled to [0,1], then normalised with the
 * given mean/std, or the data set's own statistics when mean/std NULL). */
int cf_data_load_idx(const char *images, const char *labels, const char *name,
		     const float *mean, const float *std, cf_dataset **out, cf_error *err);

/* Fashion-MNIST from `dir` (NULL: CF_FASHION_MNIST_DIR), train (1) or test
 * (0) split.  mean/std as above; defaults are the training split's own. */
int cf_data_load_fashion_mnist(const char *dir, int train, const float *mean,
			       const float *std, cf_dataset **out, cf_error *err);

/* A data set by name as given on the command line: "fashion-mnist",
 * "idx:IMAGES,LABELS", "cifar10:DIR", "cifar100:DIR". */
int cf_data_load(const char *spec, int train, const float *mean, const float *std,
		 cf_dataset **out, cf_error *err);

/* A new data set holding the samples idx[0..n-1] (copied). */
int cf_data_subset(const cf_dataset *d, const int64_t *idx, int64_t n,
		   cf_dataset **out, cf_error *err);

/* A text file of sample indices (whitespace or comma separated), each
 * checked against `limit`. */
int cf_data_read_indices(const char *path, int64_t limit, int64_t **idx,
			 int64_t *n, cf_error *err);

/* idx = a permutation of 0..n-1 drawn from r (Fisher–Yates). */
void cf_data_permutation(int64_t *idx, int64_t n, gsl_rng *r);

#endif
