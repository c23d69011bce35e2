/* test_data.c — data sets: IDX files generated here (plain and gzip) and
 * every malformed case, Fashion-MNIST from Debian's package when installed,
 * CIFAR-10/100 batches generated here, normalisation, subsets, index files
 * and the seeded permutation. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <gsl/gsl_rng.h>
#include <zlib.h>

#include "data.h"
#include "limit.h"
#include "tap.h"

static char tmpdir[256];

static const char *tpath(const char *name)
{
	static char buf[4][1024];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static void put(const char *path, int gz, const void *p, size_t n)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		if (n)
			gzwrite(g, p, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(path, "wb");
		if (n)
			fwrite(p, 1, n, f);
		fclose(f);
	}
}

/* An IDX file: magic (type, ndim), big-endian dims, then `dlen` data bytes
 * (which need not match the dims: malformed files on purpose). */
static void put_idx(const char *path, int gz, int type, int ndim, const uint32_t *dims,
		    const unsigned char *data, size_t dlen)
{
	unsigned char *b = malloc(4 + 4 * (size_t)ndim + dlen + 1);
	size_t k = 0;
	b[k++] = 0;
	b[k++] = 0;
	b[k++] = (unsigned char)type;
	b[k++] = (unsigned char)ndim;
	for (int d = 0; d < ndim; d++) {
		b[k++] = (unsigned char)(dims[d] >> 24);
		b[k++] = (unsigned char)(dims[d] >> 16);
		b[k++] = (unsigned char)(dims[d] >> 8);
		b[k++] = (unsigned char)dims[d];
	}
	if (dlen)
		memcpy(b + k, data, dlen);
	put(path, gz, b, k + dlen);
	free(b);
}

/* 3 images of 2x3 with pixels 15*k, labels 2, 0, 1. */
static unsigned char px[18], lab[3] = {2, 0, 1};
static const uint32_t idims[3] = {3, 2, 3}, ldims[1] = {3};

static void make_idx_pair(const char *im, const char *lb, int gz)
{
	put_idx(im, gz, 0x08, 3, idims, px, 18);
	put_idx(lb, gz, 0x08, 1, ldims, lab, 3);
}

/* Mean and std of all values of a data set, in double. */
static void moments(const cf_dataset *d, int ch, double *m, double *s)
{
	int64_t hw = (int64_t)d->h * d->w, cnt = d->n * hw;
	double a = 0, b = 0;
	for (int64_t i = 0; i < d->n; i++) {
		const float *x = cf_dataset_sample(d, i) + ch * hw;
		for (int64_t k = 0; k < hw; k++)
			a += x[k];
	}
	a /= (double)cnt;
	for (int64_t i = 0; i < d->n; i++) {
		const float *x = cf_dataset_sample(d, i) + ch * hw;
		for (int64_t k = 0; k < hw; k++)
			b += (x[k] - a) * (x[k] - a);
	}
	*m = a;
	*s = sqrt(b / (double)cnt);
}

static void expect_err(int rc, int want, const cf_error *err, const char *sub, const char *what)
{
	ok(rc == want && strstr(err->msg, sub) != NULL, "%s: %s", what, err->msg);
}

static void test_idx(void)
{
	cf_dataset *d = NULL, *g = NULL;
	cf_error err = {0};
	float m = 0.5f, s = 0.25f;
	int good = 1;
	double mm, ss;

	for (int k = 0; k < 18; k++)
		px[k] = (unsigned char)(15 * k);
	make_idx_pair(tpath("im"), tpath("lb"), 0);
	make_idx_pair(tpath("im.gz"), tpath("lb.gz"), 1);

	ok(cf_data_load_idx(tpath("im"), tpath("lb"), NULL, &m, &s, &d, &err) == CF_OK,
	   "plain IDX pair loads (%s)", err.msg);
	ok(d && d->n == 3 && d->c == 1 && d->h == 2 && d->w == 3 && d->nclasses == 3 &&
	   d->y[0] == 2 && d->y[1] == 0 && d->y[2] == 1, "shape 3x1x2x3, labels 2 0 1, 3 classes");
	for (int k = 0; k < 18; k++)
		good &= fabsf(d->x[k] - (float)((15 * k / 255.0 - 0.5) / 0.25)) < 1e-6f;
	ok(good && d->mean[0] == 0.5f && d->std[0] == 0.25f, "pixels (p/255 - 0.5)/0.25, sample 1 pixel 0 = %g",
	   cf_dataset_sample(d, 1)[0]);
	ok(strcmp(d->name, "idx:im") == 0, "default name '%s'", d->name);

	ok(cf_data_load_idx(tpath("im.gz"), tpath("lb.gz"), "gz", &m, &s, &g, &err) == CF_OK &&
	   memcmp(g->x, d->x, 18 * sizeof(float)) == 0 && memcmp(g->y, d->y, 3 * sizeof(int32_t)) == 0,
	   "gzip IDX pair gives identical data (%s)", err.msg);
	cf_dataset_free(g);
	cf_dataset_free(d);

	/* own statistics: pixels 15k/255, k = 0..17 */
	ok(cf_data_load_idx(tpath("im.gz"), tpath("lb"), "own", NULL, NULL, &d, &err) == CF_OK,
	   "loads with default normalisation");
	{
		double want_m = 0, want_v = 0;
		for (int k = 0; k < 18; k++)
			want_m += 15 * k / 255.0 / 18;
		for (int k = 0; k < 18; k++)
			want_v += (15 * k / 255.0 - want_m) * (15 * k / 255.0 - want_m) / 18;
		is_double(d->mean[0], want_m, 1e-7, "own mean = 0.5");
		is_double(d->std[0], sqrt(want_v), 1e-7, "own std = population std");
	}
	moments(d, 0, &mm, &ss);
	is_double(mm, 0, 1e-6, "normalised mean 0");
	is_double(ss, 1, 1e-6, "normalised std 1");
	cf_dataset_free(d);

	/* 4-d, 2 channels: channel 0 constant 0 (std falls back to 1), channel 1 = 255 */
	{
		uint32_t dims4[4] = {2, 2, 1, 2};
		unsigned char p4[8] = {0, 0, 255, 255, 0, 0, 255, 255};
		unsigned char l2[2] = {1, 1};
		uint32_t ld2[1] = {2};
		put_idx(tpath("im4"), 0, 0x08, 4, dims4, p4, 8);
		put_idx(tpath("lb2"), 0, 0x08, 1, ld2, l2, 2);
		ok(cf_data_load_idx(tpath("im4"), tpath("lb2"), NULL, NULL, NULL, &d, &err) == CF_OK &&
		   d->c == 2 && d->h == 1 && d->w == 2 && d->mean[0] == 0 && d->std[0] == 1 &&
		   d->mean[1] == 1 && d->std[1] == 1 && d->x[0] == 0 && d->x[2] == 0,
		   "4-d IDX, 2 channels, constant channels get std 1 (%s)", err.msg);
		cf_dataset_free(d);
	}

	/* malformed files */
	{
		unsigned char bad[32] = {1, 0, 8, 3};
		put(tpath("magic"), 0, bad, 32);
		expect_err(cf_data_load_idx(tpath("magic"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "bad magic number 01 00 08 03", "wrong magic");
		ok(d == NULL, "no data set on error");
		bad[0] = 0x1f;
		bad[1] = 0x8b;
		put(tpath("badgz"), 0, bad, 32);   /* a gzip magic followed by garbage */
		ok(cf_data_load_idx(tpath("badgz"), tpath("lb"), NULL, NULL, NULL, &d, &err) != CF_OK &&
		   strstr(err.msg, "badgz"), "corrupt gzip data: %s", err.msg);
		put(tpath("tiny"), 0, bad + 2, 2);
		bad[0] = 0;
		bad[1] = 0;
		put(tpath("tiny"), 0, bad, 2);
		expect_err(cf_data_load_idx(tpath("tiny"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "too short for an IDX header", "2-byte file");
	}
	put_idx(tpath("type"), 0, 0x0a, 3, idims, px, 18);
	expect_err(cf_data_load_idx(tpath("type"), tpath("lb"), NULL, NULL, NULL, &d, &err),
		   CF_EFORMAT, &err, "unknown IDX type code 0x0a", "unknown type code");
	{
		unsigned char f32[72] = {0};
		put_idx(tpath("f32"), 1, 0x0d, 3, idims, f32, 72);
		expect_err(cf_data_load_idx(tpath("f32"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "type 0x0d (32-bit float), expected 0x08", "float images rejected");
		put_idx(tpath("i32lab"), 0, 0x0c, 1, ldims, f32, 12);
		expect_err(cf_data_load_idx(tpath("im"), tpath("i32lab"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "labels are of type 0x0c (32-bit integer)", "int32 labels rejected");
	}
	put_idx(tpath("dim0"), 0, 0x08, 0, idims, px, 18);
	expect_err(cf_data_load_idx(tpath("dim0"), tpath("lb"), NULL, NULL, NULL, &d, &err),
		   CF_EFORMAT, &err, "0 dimensions, expected 1..", "zero dimensions");
	put_idx(tpath("lab2d"), 0, 0x08, 2, idims, px, 6);
	expect_err(cf_data_load_idx(tpath("im"), tpath("lab2d"), NULL, NULL, NULL, &d, &err),
		   CF_EFORMAT, &err, "labels have 2 dimensions, expected 1", "2-d labels");
	put_idx(tpath("im2d"), 0, 0x08, 2, idims, px, 6);
	expect_err(cf_data_load_idx(tpath("im2d"), tpath("lb"), NULL, NULL, NULL, &d, &err),
		   CF_EFORMAT, &err, "images have 2 dimensions", "2-d images");
	put_idx(tpath("short"), 0, 0x08, 3, idims, px, 17);
	expect_err(cf_data_load_idx(tpath("short"), tpath("lb"), NULL, NULL, NULL, &d, &err),
		   CF_EFORMAT, &err, "ends after 17 of the 18 data bytes", "short read (plain)");
	put_idx(tpath("short.gz"), 1, 0x08, 3, idims, px, 10);
	expect_err(cf_data_load_idx(tpath("short.gz"), tpath("lb"), NULL, NULL, NULL, &d, &err),
		   CF_EFORMAT, &err, "ends after 10 of the 18", "short read (gzip)");
	{
		/* a gzip stream cut short: zlib reports the premature end */
		unsigned char *raw;
		FILE *f = fopen(tpath("im.gz"), "rb");
		long n;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fseek(f, 0, SEEK_SET);
		raw = malloc((size_t)n);
		if (fread(raw, 1, (size_t)n, f) != (size_t)n)
			n = 0;
		fclose(f);
		put(tpath("cut.gz"), 0, raw, (size_t)n - 12);
		free(raw);
		ok(cf_data_load_idx(tpath("cut.gz"), tpath("lb"), NULL, NULL, NULL, &d, &err) == CF_EFORMAT &&
		   strstr(err.msg, "cut.gz"), "truncated gzip stream: %s", err.msg);
	}
	{
		uint32_t big[3] = {3, 2, 3};
		unsigned char hdr_only[2] = {0, 0};
		put_idx(tpath("hdrcut"), 0, 0x08, 3, big, hdr_only, 0);
		/* cut inside the dimension sizes */
		unsigned char b[9] = {0, 0, 8, 3, 0, 0, 0, 3, 0};
		put(tpath("dimcut"), 0, b, 9);
		expect_err(cf_data_load_idx(tpath("dimcut"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "ends inside the 3 dimension sizes", "cut in the dimensions");
		expect_err(cf_data_load_idx(tpath("hdrcut"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "ends after 0 of the 18", "header but no data");
	}
	{
		unsigned char more[19];
		memcpy(more, px, 18);
		more[18] = 7;
		put_idx(tpath("long.gz"), 1, 0x08, 3, idims, more, 19);
		expect_err(cf_data_load_idx(tpath("long.gz"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "trailing data after the 18 bytes", "trailing data");
	}
	{
		uint32_t l4[1] = {4};
		unsigned char lab4[4] = {0, 1, 2, 3};
		put_idx(tpath("lb4"), 0, 0x08, 1, l4, lab4, 4);
		expect_err(cf_data_load_idx(tpath("im"), tpath("lb4"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "4 labels, but", "label count differs from image count");
	}
	{
		/* sizes whose product overflows */
		uint32_t huge[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
		put_idx(tpath("huge"), 0, 0x0e, 4, huge, px, 0);
		expect_err(cf_data_load_idx(tpath("huge"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, ": over the limit data=", "overflowing sizes");
		/* huge but not overflowing: refused by the data limit from the header */
		uint32_t big[3] = {65536, 65536, 16};   /* 64 GiB */
		put_idx(tpath("huge2"), 0, 0x08, 3, big, px, 18);
		expect_err(cf_data_load_idx(tpath("huge2"), tpath("lb"), NULL, NULL, NULL, &d, &err),
			   CF_EFORMAT, &err, "65536x65536x16 (68719476736 values): over the limit data=",
			   "header claiming 64 GiB");
		{
			/* with the limit raised: the short read, not a 64 GiB allocation */
			cf_limits saved = *cf_limits_get(), l = saved;
			uint32_t lbn[1] = {65536};
			unsigned char *zeros = calloc(65536, 1);
			l.data = (int64_t)1 << 40;
			cf_limits_set(&l);
			put_idx(tpath("lbbig"), 0, 0x08, 1, lbn, zeros, 65536);
			free(zeros);
			expect_err(cf_data_load_idx(tpath("huge2"), tpath("lbbig"), NULL, NULL, NULL, &d, &err),
				   CF_EFORMAT, &err, "ends after 18 of the", "header claiming 64 GiB, data limit raised");
			cf_limits_set(&saved);
		}
	}
	expect_err(cf_data_load_idx(tpath("nonexistent"), tpath("lb"), NULL, NULL, NULL, &d, &err),
		   CF_EIO, &err, "nonexistent: cannot open", "missing file");
	{
		float zero = 0;
		expect_err(cf_data_load_idx(tpath("im"), tpath("lb"), "x", &m, &zero, &d, &err),
			   CF_EINVAL, &err, "std of channel 0 is 0", "std 0 rejected");
	}
}

/* Fashion-MNIST-named files in a temp dir: the loader, its class check,
 * its fallback to uncompressed names, and the 4-file idx spec. */
static void test_fashion_generated(void)
{
	char dir[512];
	cf_dataset *d = NULL;
	cf_error err = {0};
	char spec[2200];

	snprintf(dir, sizeof dir, "%s/fm", tmpdir);
	mkdir(dir, 0755);
	make_idx_pair(tpath("fm/train-images-idx3-ubyte.gz"), tpath("fm/train-labels-idx1-ubyte.gz"), 1);
	make_idx_pair(tpath("fm/t10k-images-idx3-ubyte"), tpath("fm/t10k-labels-idx1-ubyte"), 0);
	ok(cf_data_load_fashion_mnist(dir, 1, NULL, NULL, &d, &err) == CF_OK && d->n == 3 &&
	   d->nclasses == 10 && d->mean[0] == CF_FASHION_MNIST_MEAN && d->std[0] == CF_FASHION_MNIST_STD &&
	   strcmp(d->name, "fashion-mnist/train") == 0,
	   "Fashion-MNIST loader: 10 classes, the train statistics as defaults (%s)", err.msg);
	cf_dataset_free(d);
	snprintf(spec, sizeof spec, "fashion-mnist:%s", dir);
	ok(cf_data_load(spec, 0, NULL, NULL, &d, &err) == CF_OK && d->n == 3 &&
	   d->mean[0] == CF_FASHION_MNIST_MEAN && strcmp(d->name, "fashion-mnist/test") == 0,
	   "fashion-mnist:DIR test split from uncompressed files (%s)", err.msg);
	cf_dataset_free(d);
	{
		unsigned char bad[3] = {2, 10, 1};
		put_idx(tpath("fm/train-labels-idx1-ubyte.gz"), 1, 0x08, 1, ldims, bad, 3);
		expect_err(cf_data_load_fashion_mnist(dir, 1, NULL, NULL, &d, &err), CF_EFORMAT, &err,
			   "label 10 of sample 1 is out of range, expected 0..9", "Fashion-MNIST label 10");
	}
	remove(tpath("fm/t10k-images-idx3-ubyte"));
	expect_err(cf_data_load_fashion_mnist(dir, 0, NULL, NULL, &d, &err), CF_EIO, &err,
		   "t10k-images-idx3-ubyte.gz: cannot open", "missing Fashion-MNIST file");

	/* idx with train and test pairs: the test split takes the train statistics */
	{
		unsigned char p2[18] = {0};
		put_idx(tpath("te"), 0, 0x08, 3, idims, p2, 18);
		snprintf(spec, sizeof spec, "idx:%s,%s,%s,%s", tpath("im"), tpath("lb"), tpath("te"), tpath("lb"));
		ok(cf_data_load(spec, 0, NULL, NULL, &d, &err) == CF_OK && fabsf(d->mean[0] - 0.5f) < 1e-6f &&
		   fabsf(d->x[0] - (0 - d->mean[0]) / d->std[0]) < 1e-6f && strcmp(d->name, "idx:te") == 0,
		   "idx 4-file test split normalised with the train images' statistics (%s)", err.msg);
		cf_dataset_free(d);
		ok(cf_data_load(spec, 1, NULL, NULL, &d, &err) == CF_OK && strcmp(d->name, "idx:im") == 0,
		   "idx 4-file train split");
		cf_dataset_free(d);
		snprintf(spec, sizeof spec, "idx:%s,%s", tpath("im"), tpath("lb"));
		ok(cf_data_load(spec, 0, NULL, NULL, &d, &err) == CF_OK && d->n == 3, "idx:IMAGES,LABELS");
		cf_dataset_free(d);
	}
	expect_err(cf_data_load("idx:onlyone", 1, NULL, NULL, &d, &err), CF_EINVAL, &err,
		   "expected idx:IMAGES,LABELS", "idx spec with one file");
	expect_err(cf_data_load("idx:a,,b", 1, NULL, NULL, &d, &err), CF_EINVAL, &err,
		   "expected idx:IMAGES,LABELS", "idx spec with an empty file name");
	expect_err(cf_data_load("mnist", 1, NULL, NULL, &d, &err), CF_EINVAL, &err,
		   "unknown data set 'mnist', expected fashion-mnist, fashion-mnist:DIR, idx:IMAGES,LABELS",
		   "unknown spec lists the accepted forms");
	expect_err(cf_data_load("cifar10:", 1, NULL, NULL, &d, &err), CF_EINVAL, &err,
		   "cifar10:DIR", "cifar10 without a directory");
}

static void test_fashion_real(void)
{
	const char *dir = CF_FASHION_MNIST_DIR;
	char path[512];
	cf_dataset *d = NULL;
	cf_error err = {0};
	struct timespec t0, t1;
	int64_t hist[10] = {0};
	int even = 1;
	double mm, ss;

	snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
	if (access(path, R_OK) != 0) {
		ok(1, "# SKIP %s not installed (Debian package dataset-fashion-mnist)", dir);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(cf_data_load("fashion-mnist", 1, NULL, NULL, &d, &err) == CF_OK, "Fashion-MNIST train loads (%s)", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!d)
		return;
	tap_diag("loading 60000 train images took %.3f s",
		 (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
	ok(d->n == 60000 && d->c == 1 && d->h == 28 && d->w == 28 && d->nclasses == 10,
	   "train is 60000 x 1 x 28 x 28, 10 classes");
	ok(d->y[0] == 9 && d->y[1] == 0 && d->y[3] == 3, "first train labels 9 0 0 3");
	for (int64_t i = 0; i < d->n; i++)
		hist[d->y[i]]++;
	for (int k = 0; k < 10; k++)
		even &= hist[k] == 6000;
	ok(even, "6000 train samples per class");
	moments(d, 0, &mm, &ss);
	is_double(mm, 0, 1e-5, "train mean after default normalisation");
	is_double(ss, 1, 1e-5, "train std after default normalisation");
	cf_dataset_free(d);

	/* the hard-coded defaults are the train split's own statistics */
	{
		char lb[512];
		snprintf(lb, sizeof lb, "%s/train-labels-idx1-ubyte.gz", dir);
		ok(cf_data_load_idx(path, lb, NULL, NULL, NULL, &d, &err) == CF_OK, "train via cf_data_load_idx");
		if (d) {
			is_double(d->mean[0], CF_FASHION_MNIST_MEAN, 1e-7, "computed train mean = CF_FASHION_MNIST_MEAN");
			is_double(d->std[0], CF_FASHION_MNIST_STD, 1e-7, "computed train std = CF_FASHION_MNIST_STD");
		}
		cf_dataset_free(d);
	}

	ok(cf_data_load_fashion_mnist(NULL, 0, NULL, NULL, &d, &err) == CF_OK, "Fashion-MNIST test loads");
	if (!d)
		return;
	memset(hist, 0, sizeof hist);
	for (int64_t i = 0; i < d->n; i++)
		hist[d->y[i]]++;
	even = 1;
	for (int k = 0; k < 10; k++)
		even &= hist[k] == 1000;
	ok(d->n == 10000 && d->c == 1 && d->h == 28 && d->w == 28 && even,
	   "test is 10000 x 1 x 28 x 28, 1000 per class");
	ok(d->mean[0] == CF_FASHION_MNIST_MEAN && d->std[0] == CF_FASHION_MNIST_STD,
	   "test split normalised with the train statistics");
	moments(d, 0, &mm, &ss);
	tap_diag("test split after normalisation: mean %.4f std %.4f", mm, ss);
	ok(fabs(mm) < 0.02 && fabs(ss - 1) < 0.02, "test mean/std near 0/1 (%.4f, %.4f)", mm, ss);
	cf_dataset_free(d);
}

/* CIFAR records: label(s) then 3072 pixels with pixel k of channel c =
 * (seed + 3k + 7c) mod 256. */
static void put_cifar(const char *path, int nlab, int nrec, const unsigned char *labels, int seed)
{
	int rec = nlab + 3072;
	unsigned char *b = malloc((size_t)(rec * nrec));
	for (int r = 0; r < nrec; r++) {
		unsigned char *p = b + r * rec;
		for (int l = 0; l < nlab; l++)
			p[l] = labels[r * nlab + l];
		for (int c = 0; c < 3; c++)
			for (int k = 0; k < 1024; k++)
				p[nlab + c * 1024 + k] = (unsigned char)(seed + r + 3 * k + 7 * c);
	}
	put(path, 0, b, (size_t)(rec * nrec));
	free(b);
}

static void test_cifar(void)
{
	char dir[512], spec[600], name[600];
	cf_dataset *d = NULL;
	cf_error err = {0};
	unsigned char l10[6] = {3, 9, 0, 1, 2, 5};
	int good = 1;

	snprintf(dir, sizeof dir, "%s/c10", tmpdir);
	mkdir(dir, 0755);
	put_cifar(tpath("c10/data_batch_1.bin"), 1, 2, l10, 0);
	for (int b = 2; b <= 5; b++) {
		snprintf(name, sizeof name, "c10/data_batch_%d.bin", b);
		put_cifar(tpath(name), 1, 1, l10 + b, 10 * b);
	}
	put_cifar(tpath("c10/test_batch.bin"), 1, 3, l10, 100);
	snprintf(spec, sizeof spec, "cifar10:%s", dir);
	ok(cf_data_load(spec, 1, NULL, NULL, &d, &err) == CF_OK, "CIFAR-10 train from 5 batches (%s)", err.msg);
	if (d) {
		ok(d->n == 6 && d->c == 3 && d->h == 32 && d->w == 32 && d->nclasses == 10 &&
		   strcmp(d->name, "cifar10/train") == 0, "6 samples of 3x32x32, 10 classes");
		for (int i = 0; i < 6; i++)
			good &= d->y[i] == l10[i];
		ok(good, "labels in batch order 3 9 0 1 2 5");
		/* sample 2 (batch 2, seed 20, record 0), channel 1, pixel 5 */
		is_double(cf_dataset_sample(d, 2)[1024 + 5],
			  ((20 + 15 + 7) / 255.0 - 0.4822) / 0.1994, 1e-5, "pixel normalised with CIFAR-10 G constants");
		ok(fabsf(d->mean[2] - 0.4465f) < 1e-7f && fabsf(d->std[0] - 0.2023f) < 1e-7f, "default constants recorded");
		cf_dataset_free(d);
	}
	{
		float m[3] = {0, 0, 0}, s[3] = {1, 1, 1};
		ok(cf_data_load_cifar(dir, 0, 0, m, s, &d, &err) == CF_OK && d->n == 3 &&
		   fabsf(cf_dataset_sample(d, 1)[2048 + 1] - (100 + 1 + 3 + 14) / 255.0f) < 1e-6f,
		   "CIFAR-10 test with mean 0, std 1 gives pixels/255 (%s)", err.msg);
		cf_dataset_free(d);
	}
	/* malformed */
	{
		unsigned char bad[2] = {10, 0};
		put_cifar(tpath("c10/test_batch.bin"), 1, 2, bad, 0);
		expect_err(cf_data_load_cifar(dir, 0, 0, NULL, NULL, &d, &err), CF_EFORMAT, &err,
			   "test_batch.bin: record 0 has label 10, expected 0..9", "CIFAR-10 label 10");
		put(tpath("c10/test_batch.bin"), 0, px, 18);
		expect_err(cf_data_load_cifar(dir, 0, 0, NULL, NULL, &d, &err), CF_EFORMAT, &err,
			   "18 bytes, expected a non-zero multiple of the 3073-byte record", "CIFAR-10 odd size");
		remove(tpath("c10/data_batch_3.bin"));
		expect_err(cf_data_load_cifar(dir, 0, 1, NULL, NULL, &d, &err), CF_EIO, &err,
			   "data_batch_3.bin: cannot open", "missing CIFAR-10 batch");
	}

	/* CIFAR-100: coarse, fine */
	snprintf(dir, sizeof dir, "%s/c100", tmpdir);
	mkdir(dir, 0755);
	{
		unsigned char l100[6] = {3, 99, 19, 42, 0, 7};
		put_cifar(tpath("c100/train.bin"), 2, 3, l100, 1);
		put_cifar(tpath("c100/test.bin"), 2, 1, l100, 2);
		snprintf(spec, sizeof spec, "cifar100:%s", dir);
		ok(cf_data_load(spec, 1, NULL, NULL, &d, &err) == CF_OK && d->n == 3 && d->nclasses == 100 &&
		   d->y[0] == 99 && d->y[1] == 42 && d->y[2] == 7, "CIFAR-100 uses the fine labels 99 42 7 (%s)", err.msg);
		if (d)
			is_double(cf_dataset_sample(d, 1)[0], ((1 + 1) / 255.0 - 0.5071) / 0.2675, 1e-5,
				  "pixel normalised with CIFAR-100 R constants");
		cf_dataset_free(d);
		ok(cf_data_load(spec, 0, NULL, NULL, &d, &err) == CF_OK && d->n == 1 && d->y[0] == 99,
		   "CIFAR-100 test");
		cf_dataset_free(d);
		l100[2] = 20;
		put_cifar(tpath("c100/test.bin"), 2, 3, l100, 2);
		expect_err(cf_data_load(spec, 0, NULL, NULL, &d, &err), CF_EFORMAT, &err,
			   "record 1 has coarse label 20, expected 0..19", "CIFAR-100 coarse label 20");
		l100[2] = 0;
		l100[3] = 100;
		put_cifar(tpath("c100/test.bin"), 2, 3, l100, 2);
		expect_err(cf_data_load(spec, 0, NULL, NULL, &d, &err), CF_EFORMAT, &err,
			   "record 1 has label 100, expected 0..99", "CIFAR-100 fine label 100");
	}
}

static void test_subset_indices(void)
{
	cf_dataset *d = NULL, *s = NULL;
	cf_error err = {0};
	int64_t pick[3] = {2, 0, 2}, badpick[2] = {0, 3}, *idx = NULL, n = 0;
	float m = 0, sd = 1;
	FILE *f;

	cf_data_load_idx(tpath("im"), tpath("lb"), NULL, &m, &sd, &d, &err);
	ok(cf_data_subset(d, pick, 3, &s, &err) == CF_OK && s->n == 3 && s->y[0] == 1 && s->y[1] == 2 &&
	   s->y[2] == 1 && memcmp(cf_dataset_sample(s, 0), cf_dataset_sample(d, 2), 6 * sizeof(float)) == 0 &&
	   memcmp(cf_dataset_sample(s, 1), cf_dataset_sample(d, 0), 6 * sizeof(float)) == 0 &&
	   s->nclasses == 3 && s->c == 1 && s->h == 2 && s->w == 3,
	   "subset {2,0,2} copies samples and labels");
	cf_dataset_free(s);
	expect_err(cf_data_subset(d, badpick, 2, &s, &err), CF_EINVAL, &err,
		   "subset index 3 (entry 1) is out of range, expected 0..2", "subset index out of range");
	ok(s == NULL, "no subset on error");

	f = fopen(tpath("idx.txt"), "w");
	fputs("# first training samples\n1, 2\t3\n\n  0 # and the first\n2,", f);
	fclose(f);
	ok(cf_data_read_indices(tpath("idx.txt"), 3 + 1, &idx, &n, &err) == CF_OK && n == 5 &&
	   idx[0] == 1 && idx[1] == 2 && idx[2] == 3 && idx[3] == 0 && idx[4] == 2,
	   "index file with comments, commas, tabs, no final newline (%s)", err.msg);
	free(idx);
	expect_err(cf_data_read_indices(tpath("idx.txt"), 3, &idx, &n, &err), CF_EINVAL, &err,
		   "idx.txt:2: index 3 is out of range, expected 0..2 (the data set has 3 samples)",
		   "index beyond the limit names file, line and limit");
	ok(idx == NULL && n == 0, "nothing returned on error");
	f = fopen(tpath("long.txt"), "w");
	for (int i = 0; i < 20000; i++)
		fprintf(f, "%d,", i % 3);
	fclose(f);
	ok(cf_data_read_indices(tpath("long.txt"), 3, &idx, &n, &err) == CF_OK && n == 20000 &&
	   idx[19999] == 19999 % 3, "20000 indices on one comma-separated line");
	free(idx);
	f = fopen(tpath("idx2.txt"), "w");
	fputs("1\n2x\n", f);
	fclose(f);
	expect_err(cf_data_read_indices(tpath("idx2.txt"), 10, &idx, &n, &err), CF_EFORMAT, &err,
		   "idx2.txt:2: '2x' is not a sample index", "non-numeric index");
	f = fopen(tpath("idx3.txt"), "w");
	fputs("-1\n", f);
	fclose(f);
	expect_err(cf_data_read_indices(tpath("idx3.txt"), 10, &idx, &n, &err), CF_EINVAL, &err,
		   "idx3.txt:1: index -1 is out of range", "negative index");
	f = fopen(tpath("idx4.txt"), "w");
	fputs("# nothing\n\n", f);
	fclose(f);
	expect_err(cf_data_read_indices(tpath("idx4.txt"), 10, &idx, &n, &err), CF_EFORMAT, &err,
		   "no sample indices", "empty index file");
	expect_err(cf_data_read_indices(tpath("none.txt"), 10, &idx, &n, &err), CF_EIO, &err,
		   "none.txt: cannot open", "missing index file");
	cf_dataset_free(d);
}

static void test_permutation(void)
{
	enum { N = 1000 };
	static int64_t a[N], b[N];
	static char seen[N];
	/* Fisher-Yates from the back (j = uniform_int(i + 1) for i = n-1..1),
	 * mt19937 seed 42.  Checked independently: Python's MT19937 given the
	 * state of init_genrand(42) (GSL's seeding) and GSL's uniform_int
	 * rejection rule (k = x / (0xffffffff / n), retry while k >= n) gives
	 * the same sequence. */
	const int64_t want[10] = {5, 0, 6, 2, 9, 4, 1, 8, 7, 3};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937), *q = gsl_rng_alloc(gsl_rng_mt19937);
	int isperm = 1, same = 1, differs = 0;

	gsl_rng_set(r, 42);
	cf_data_permutation(a, 10, r);
	tap_diag("seed 42, n 10: %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld",
		 (long long)a[0], (long long)a[1], (long long)a[2], (long long)a[3], (long long)a[4],
		 (long long)a[5], (long long)a[6], (long long)a[7], (long long)a[8], (long long)a[9]);
	ok(memcmp(a, want, sizeof want) == 0, "seed 42 gives the recorded permutation of 10");

	gsl_rng_set(r, 7);
	gsl_rng_set(q, 7);
	cf_data_permutation(a, N, r);
	cf_data_permutation(b, N, q);
	for (int i = 0; i < N; i++) {
		if (a[i] < 0 || a[i] >= N || seen[a[i]])
			isperm = 0;
		else
			seen[a[i]] = 1;
		same &= a[i] == b[i];
	}
	ok(isperm, "a permutation of 0..999");
	ok(same, "same seed, same permutation");
	gsl_rng_set(q, 8);
	cf_data_permutation(b, N, q);
	for (int i = 0; i < N; i++)
		differs |= a[i] != b[i];
	ok(differs, "another seed, another permutation");
	cf_data_permutation(a, 1, r);
	cf_data_permutation(b, 0, r);
	ok(a[0] == 0, "n = 1 and n = 0 work");
	gsl_rng_free(r);
	gsl_rng_free(q);
}

/* One decoded copy per process: the same spec returns the same data set
 * (another reference), a different split or normalisation does not, and a
 * rewritten file is loaded again. */
static void test_shared(void)
{
	char spec[2200];
	cf_dataset *a = NULL, *b = NULL, *c = NULL, *e = NULL, *f = NULL;
	cf_error err = {0};
	float m[CF_DATA_MAXCH] = {0.5f, 0, 0, 0}, sd[CF_DATA_MAXCH] = {0.25f, 1, 1, 1};
	int rc;

	make_idx_pair(tpath("sh-img"), tpath("sh-lab"), 0);
	snprintf(spec, sizeof spec, "idx:%s,%s", tpath("sh-img"), tpath("sh-lab"));
	rc = cf_data_load_shared(spec, 1, NULL, NULL, &a, &err);
	ok(rc == CF_OK && a && a->n == 3, "shared load of an IDX pair (%s)", rc ? err.msg : "3 samples");
	cf_data_load_shared(spec, 1, NULL, NULL, &b, &err);
	ok(b == a && a->refs == 2, "loading it again shares the decoded copy (refs %d)", a ? a->refs : -1);
	cf_data_load_shared(spec, 1, m, sd, &c, &err);
	ok(c && c != a && fabsf(c->mean[0] - 0.5f) < 1e-7f, "another normalisation is another data set");
	cf_dataset_free(b);
	ok(a->refs == 1 && a->n == 3, "releasing a reference keeps the data set for the others");
	/* rewrite the images file (new inode and size) */
	px[0] = 200;
	put_idx(tpath("sh-img2"), 0, 0x08, 3, idims, px, 18);
	rename(tpath("sh-img2"), tpath("sh-img"));
	cf_data_load_shared(spec, 1, NULL, NULL, &e, &err);
	ok(e && e != a && e->x[0] != a->x[0], "a rewritten file is loaded again");
	cf_data_load_shared(spec, 1, NULL, NULL, &f, &err);
	ok(f == e, "and that copy is shared in turn");
	rc = cf_data_load_shared("idx:/nonexistent/x,/nonexistent/y", 1, NULL, NULL, &b, &err);
	ok(rc != CF_OK && !b && strstr(err.msg, "/nonexistent/x"), "a missing file is an error: %s", err.msg);
	px[0] = 0;
	cf_dataset_free(a);
	cf_dataset_free(c);
	cf_dataset_free(e);
	cf_dataset_free(f);
	cf_data_shared_clear(); /* the table's references: nothing leaks (ASan) */
}

/* The decoded cache file: written for a large set, mapped by the next
 * load, ignored (and rewritten) when corrupt, off with CLAFUSE_DATA_CACHE. */
static void test_cache_file(void)
{
	enum { N = 1100, H = 32, W = 32 };
	static unsigned char big[N * H * W], blab[N];
	const uint32_t dims[3] = {N, H, W}, ld[1] = {N};
	char spec[2200], cmd[2400];
	cf_dataset *a = NULL, *b = NULL, *c = NULL;
	cf_error err = {0};
	double diff = 0;
	FILE *f;

	for (int i = 0; i < N * H * W; i++)
		big[i] = (unsigned char)(i * 7 % 251);
	for (int i = 0; i < N; i++)
		blab[i] = (unsigned char)(i % 10);
	put_idx(tpath("big-img.gz"), 1, 0x08, 3, dims, big, sizeof big);
	put_idx(tpath("big-lab.gz"), 1, 0x08, 1, ld, blab, sizeof blab);
	snprintf(spec, sizeof spec, "idx:%s,%s", tpath("big-img.gz"), tpath("big-lab.gz"));
	setenv("XDG_CACHE_HOME", tpath("cache"), 1);
	unsetenv("CLAFUSE_DATA_CACHE");
	/* seven old decoded files already there: writing one more keeps six */
	mkdir(tpath("cache"), 0700);
	mkdir(tpath("cache/clafuse"), 0700);
	for (int k = 0; k < 7; k++) {
		char old[64];
		struct timespec ts[2] = {{1000000 + k, 0}, {1000000 + k, 0}};
		snprintf(old, sizeof old, "cache/clafuse/data-old%d.cfd", k);
		put(tpath(old), 0, "x", 1);
		utimensat(AT_FDCWD, tpath(old), ts, 0);
	}
	cf_data_load_shared(spec, 1, NULL, NULL, &a, &err);
	ok(a && !a->map, "first load decodes (%s)", a ? a->name : err.msg);
	{
		struct stat st;
		int left = 0;
		for (int k = 0; k < 7; k++) {
			char old[64];
			snprintf(old, sizeof old, "cache/clafuse/data-old%d.cfd", k);
			left += stat(tpath(old), &st) == 0;
		}
		ok(left == 5 && stat(tpath("cache/clafuse/data-old0.cfd"), &st) != 0 &&
		   stat(tpath("cache/clafuse/data-old6.cfd"), &st) == 0,
		   "the cache keeps the six newest decoded files (old ones left: %d of 7)", left);
	}
	cf_data_shared_clear();
	cf_data_load_shared(spec, 1, NULL, NULL, &b, &err);
	for (int64_t q = 0; a && b && q < (int64_t)N * H * W; q++)
		diff = fmax(diff, fabs(a->x[q] - b->x[q]));
	ok(b && b->map && diff == 0 && b->y[N - 1] == (N - 1) % 10 && b->nclasses == 10 &&
	   !strcmp(b->name, a->name) && b->mean[0] == a->mean[0],
	   "the next process-level load maps the decoded cache: same samples, labels, name, statistics");
	cf_dataset_free(b);
	cf_data_shared_clear();
	/* corrupt one sample byte of the cache file */
	snprintf(cmd, sizeof cmd, "ls %s/clafuse/*.cfd > %s", tpath("cache"), tpath("cfd-list"));
	if (system(cmd) == 0 && (f = fopen(tpath("cfd-list"), "r")) != NULL) {
		char path[2048] = "";
		if (fgets(path, sizeof path, f))
			path[strcspn(path, "\n")] = '\0';
		fclose(f);
		if ((f = fopen(path, "r+b")) != NULL) {
			fseek(f, 4096 + 123, SEEK_SET);
			fputc(0x55, f);
			fclose(f);
		}
	}
	cf_data_load_shared(spec, 1, NULL, NULL, &c, &err);
	diff = 0;
	for (int64_t q = 0; a && c && q < (int64_t)N * H * W; q++)
		diff = fmax(diff, fabs(a->x[q] - c->x[q]));
	ok(c && !c->map && diff == 0, "a corrupt cache file is ignored: decoded again, same samples");
	cf_dataset_free(c);
	cf_data_shared_clear();
	c = NULL;
	cf_data_load_shared(spec, 1, NULL, NULL, &c, &err);
	ok(c && c->map, "and rewritten: the next load maps it again");
	cf_dataset_free(c);
	cf_data_shared_clear();
	setenv("CLAFUSE_DATA_CACHE", "off", 1);
	c = NULL;
	cf_data_load_shared(spec, 1, NULL, NULL, &c, &err);
	ok(c && !c->map, "CLAFUSE_DATA_CACHE=off: not read");
	cf_dataset_free(c);
	cf_dataset_free(a);
	cf_data_shared_clear();
	unsetenv("CLAFUSE_DATA_CACHE");
	unsetenv("XDG_CACHE_HOME");
}

int main(void)
{
	char cmd[300];
	snprintf(tmpdir, sizeof tmpdir, "%s/test_data.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! cannot create a temporary directory\n");
		return 1;
	}
	test_idx();
	test_fashion_generated();
	test_cifar();
	test_subset_indices();
	test_permutation();
	test_shared();
	test_cache_file();
	test_fashion_real();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
