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
	int refs;            /* references beyond the first (cf_dataset_ref) */
	void *map;           /* x and y live in this read-only file mapping of
	                        map_len bytes (a decoded cache file), or NULL */
	size_t map_len;
} cf_dataset;

/* Release one reference; the last one frees the data set.  NULL-safe. */
void cf_dataset_free(cf_dataset *d);

/* Another reference to d, released by cf_dataset_free.  A data set is
 * never modified once loaded, so sessions and scripts share one copy. */
cf_dataset *cf_dataset_ref(cf_dataset *d);

/* Sample i's first value. */
static inline const float *cf_dataset_sample(const cf_dataset *d, int64_t i)
{
	return d->x + i * (int64_t)d->c * d->h * d->w;
}

/* IDX images + labels (pixels scaled to [0,1], then normalised with the
 * given mean/std, or the data set's own statistics when mean/std NULL).
 * Images are u8, N x H x W (c = 1) or N x C x H x W (C <= CF_DATA_MAXCH);
 * labels u8, one per image; nclasses = largest label + 1.  `name` may be
 * NULL ("idx:" + the images file's name).  Each of mean and std, when NULL,
 * takes its default independently; a constant channel gets std 1. */
int cf_data_load_idx(const char *images, const char *labels, const char *name,
		     const float *mean, const float *std, cf_dataset **out, cf_error *err);

/* Fashion-MNIST from `dir` (NULL: CF_FASHION_MNIST_DIR), train (1) or test
 * (0) split.  mean/std as above; defaults are the training split's own. */
int cf_data_load_fashion_mnist(const char *dir, int train, const float *mean,
			       const float *std, cf_dataset **out, cf_error *err);

/* A data set by name as given on the command line: "fashion-mnist",
 * "idx:IMAGES,LABELS", "cifar10:DIR", "cifar100:DIR".  Also accepted:
 * "fashion-mnist:DIR" and "idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,
 * TEST_LABELS" (train picks the pair; the test pair defaults to the train
 * images' statistics).  With two IDX files `train` is ignored.  An unknown
 * spec is CF_EINVAL with a message listing the accepted forms. */
int cf_data_load(const char *spec, int train, const float *mean, const float *std,
		 cf_dataset **out, cf_error *err);

/* cf_data_load through a process-wide table: the first call for a spec,
 * split and normalisation loads and decodes; later calls return another
 * reference to the same data set (release it with cf_dataset_free) as long
 * as the files behind the spec (each named file, and the files of a named
 * directory) have the same size, inode and modification time — otherwise
 * it is loaded again.  Large data sets are also kept decoded on disk, in
 * $XDG_CACHE_HOME/clafuse (~/.cache/clafuse), one file per spec, split and
 * normalisation holding the same stamp, written atomically and checked on
 * reading (header, sizes, stamp, checksum, labels), then mapped, so another
 * process skips the decoding too (the six newest files are kept);
 * CLAFUSE_DATA_CACHE=off turns that off.
 * mean and std, when given, hold CF_DATA_MAXCH values
 * (as a cf_dataset's do).  The table keeps its reference until
 * cf_data_shared_clear(). */
int cf_data_load_shared(const char *spec, int train, const float *mean, const float *std,
			cf_dataset **out, cf_error *err);
void cf_data_shared_clear(void);

/* A new data set holding the samples idx[0..n-1] (copied). */
int cf_data_subset(const cf_dataset *d, const int64_t *idx, int64_t n,
		   cf_dataset **out, cf_error *err);

/* A text file of sample indices (whitespace or comma separated, `#` starts
 * a comment), each checked against [0, limit); duplicates are kept.  On
 * success *idx (owned by the caller, free()) holds *n >= 1 indices; errors
 * name the file, the line and the limit. */
int cf_data_read_indices(const char *path, int64_t limit, int64_t **idx,
			 int64_t *n, cf_error *err);

/* idx = a permutation of 0..n-1 drawn from r (Fisher–Yates). */
void cf_data_permutation(int64_t *idx, int64_t n, gsl_rng *r);

/* ---- added by the data area (existing contracts above unchanged) ---- */

/* Fashion-MNIST's normalisation defaults: the mean and (population) std of
 * pixel/255 over all 60000 x 28 x 28 training pixels, computed from
 * Debian's train-images-idx3-ubyte.gz (0.28604059698879547,
 * 0.3530242445149224).  Both splits use them, so a test set is normalised
 * as its model's training data was. */
#define CF_FASHION_MNIST_MEAN 0.28604060f
#define CF_FASHION_MNIST_STD 0.35302424f

/* CIFAR binary batches from `dir`: CIFAR-10 (hundred = 0;
 * data_batch_1..5.bin or test_batch.bin, records of 1 label byte + 3072
 * pixels) or CIFAR-100 (hundred = 1; train.bin or test.bin, records of a
 * coarse and a fine label byte + 3072 pixels; the fine label is used, 100
 * classes).  Samples are 3x32x32.  mean/std NULL: the usual constants,
 * CIFAR-10 (0.4914,0.4822,0.4465)/(0.2023,0.1994,0.2010), CIFAR-100
 * (0.5071,0.4867,0.4408)/(0.2675,0.2565,0.2761).  Files may be gzipped. */
int cf_data_load_cifar(const char *dir, int hundred, int train, const float *mean,
		       const float *std, cf_dataset **out, cf_error *err);

#endif
