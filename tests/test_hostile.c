/* test_hostile.c — files and numbers a stranger can hand clafuse, beyond
 * architectures (test_limits.c): cost files with NUL bytes, empty fields
 * or self-contradicting binary headers; gzip data with garbage after it;
 * IDX headers that claim more than the other file or the data limit;
 * costs of ±1e308; a training run that diverges.  Each gives a one-line
 * message naming the file and what is wrong, or a correct result. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <zlib.h>

#include "data.h"
#include "limit.h"
#include "matfile.h"
#include "net.h"
#include "ot.h"
#include "tap.h"
#include "train.h"
#include "fixtures.h"

#define TMP "test_hostile.tmp"
#define TMP2 "test_hostile2.tmp"

static void put(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n)
		tap_diag("cannot write %s", path);
	if (f)
		fclose(f);
}

static void put_gz(const char *path, const void *b, size_t n, const char *tail, size_t ntail)
{
	uLongf zn = compressBound(n) + 64;
	unsigned char *z = malloc(zn + ntail);
	z_stream s;
	memset(&s, 0, sizeof s);
	deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	s.next_in = (Bytef *)b;
	s.avail_in = (uInt)n;
	s.next_out = z;
	s.avail_out = (uInt)zn;
	deflate(&s, Z_FINISH);
	zn = s.total_out;
	deflateEnd(&s);
	if (ntail)
		memcpy(z + zn, tail, ntail);
	put(path, z, zn + ntail);
	free(z);
}

/* One line, names the file, contains want, no "-nan" and no wrapped size. */
static void refused(int rc, const cf_error *err, const char *want, const char *what)
{
	ok(rc != CF_OK && strstr(err->msg, want) && !strchr(err->msg, '\n') &&
	   !strstr(err->msg, "nan") && !strstr(err->msg, "18446744"), "%s: %s", what, err->msg);
	if (!strstr(err->msg, want))
		tap_diag("wanted \"%s\"", want);
}

static void csv(void)
{
	cf_error err = { 0, "" };
	double *M = NULL;
	int64_t r, c;
	static const char nul[] = "1,2\n3,4\0garbage,9,9\n";

	put(TMP, nul, sizeof nul - 1);
	refused(cf_matfile_read(TMP, &M, &r, &c, &err), &err, TMP ":2: NUL byte", "CSV with a NUL byte");
	put(TMP, "1,,2\n3,4,\n", 10);
	refused(cf_matfile_read(TMP, &M, &r, &c, &err), &err, ":1: empty field 2", "CSV with an empty field");
	put(TMP, "1,2\n3,4,\n", 9);
	refused(cf_matfile_read(TMP, &M, &r, &c, &err), &err, ":2: empty field 3 after the last separator",
		"CSV with a trailing separator");
	put(TMP, ",1,2\n", 5);
	refused(cf_matfile_read(TMP, &M, &r, &c, &err), &err, ":1: empty field 1", "CSV with a leading separator");
	put(TMP, "1.5.3,2\n", 8);
	refused(cf_matfile_read(TMP, &M, &r, &c, &err), &err, ":1: field 2 is not a number",
		"two numbers glued together");
	/* what stays accepted: blanks around separators, runs of blanks, CRLF, comments */
	put(TMP, "1 , 2;\t3\r\n4  5  6 # six\n", 24);
	ok(cf_matfile_read(TMP, &M, &r, &c, &err) == CF_OK && r == 2 && c == 3 && M[2] == 3 && M[5] == 6,
	   "blank-separated and mixed separators still read %s", err.msg);
	free(M);
}

static void cfmat(int64_t rows, int64_t cols, size_t ndata, const char *want, const char *what)
{
	unsigned char b[24 + 64];
	cf_error err = { 0, "" };
	double *M = NULL;
	int64_t r, c;
	memcpy(b, CF_MATFILE_MAGIC, 8);
	for (int k = 0; k < 8; k++) {
		b[8 + k] = (unsigned char)((uint64_t)rows >> (8 * k));
		b[16 + k] = (unsigned char)((uint64_t)cols >> (8 * k));
	}
	memset(b + 24, 0, 64);
	put(TMP, b, 24 + ndata);
	refused(cf_matfile_read(TMP, &M, &r, &c, &err), &err, want, what);
}

static void binary(void)
{
	/* 3 × 6148914691236517206 · 8 wraps to 16 bytes in 64 bits */
	cfmat(3, 6148914691236517206LL, 16, "header says 3 rows and 6148914691236517206 columns, expected 1 to",
	      "CFMAT whose size wraps");
	cfmat(-1, 2, 16, "header says -1 rows and 2 columns", "CFMAT with a negative row count");
	cfmat(2, 2, 16, "binary matrix 2x2 needs 32 data bytes, file has 16", "CFMAT too short");
	cfmat(2, 2, 40, "needs 32 data bytes, file has 40", "CFMAT too long");
}

static void idx_header(unsigned char *b, int ndim, const uint32_t *dims)
{
	b[0] = b[1] = 0;
	b[2] = 0x08;
	b[3] = (unsigned char)ndim;
	for (int d = 0; d < ndim; d++)
		for (int k = 0; k < 4; k++)
			b[4 + 4 * d + k] = (unsigned char)(dims[d] >> (24 - 8 * k));
}

static void gzip_idx(void)
{
	cf_error err = { 0, "" };
	cf_dataset *d = NULL;
	unsigned char im[16 + 12], lb[8 + 3];
	static const uint32_t idims[3] = { 3, 2, 2 }, ldims[1] = { 3 };
	idx_header(im, 3, idims);
	idx_header(lb, 1, ldims);
	for (int i = 0; i < 12; i++)
		im[16 + i] = (unsigned char)(20 * i);
	lb[8] = 0, lb[9] = 1, lb[10] = 2;

	put_gz(TMP, im, sizeof im, NULL, 0);
	put(TMP2, lb, sizeof lb);
	ok(cf_data_load_idx(TMP, TMP2, NULL, NULL, NULL, &d, &err) == CF_OK && d->n == 3,
	   "gzip IDX reads %s", err.msg);
	cf_dataset_free(d);
	d = NULL;
	put_gz(TMP, im, sizeof im, "garbage!", 8);
	refused(cf_data_load_idx(TMP, TMP2, NULL, NULL, NULL, &d, &err), &err,
		TMP ": 8 bytes of trailing garbage after the gzip data", "gzip IDX with trailing garbage");
	{
		/* two gzip members, as `cat a.gz b.gz` makes: one stream of data */
		FILE *f = fopen(TMP, "wb");
		gzFile g;
		fclose(f);
		g = gzopen(TMP, "wb");
		gzwrite(g, im, 10);
		gzclose(g);
		g = gzopen(TMP2 ".part", "wb");
		gzwrite(g, im + 10, sizeof im - 10);
		gzclose(g);
		{
			FILE *a = fopen(TMP, "ab"), *b = fopen(TMP2 ".part", "rb");
			int ch;
			while ((ch = fgetc(b)) != EOF)
				fputc(ch, a);
			fclose(a);
			fclose(b);
		}
		remove(TMP2 ".part");
		ok(cf_data_load_idx(TMP, TMP2, NULL, NULL, NULL, &d, &err) == CF_OK && d->n == 3,
		   "concatenated gzip members read as one %s", err.msg);
		cf_dataset_free(d);
		d = NULL;
	}
	put_gz(TMP, im, sizeof im - 5, NULL, 0);
	refused(cf_data_load_idx(TMP, TMP2, NULL, NULL, NULL, &d, &err), &err, "ends after 7 of the 12",
		"truncated gzip IDX");
}

/* A small gzip file whose header claims 2^31 images: refused from the
 * headers, before any of its data is inflated (the old reader inflated
 * all of it first and then failed on the short read). */
static void claims(void)
{
	cf_error err = { 0, "" };
	cf_dataset *d = NULL;
	unsigned char lb[8 + 3] = { 0 };
	size_t n = 16 + (1 << 20);
	unsigned char *im = calloc(n, 1);
	static const uint32_t big[3] = { 1u << 31, 28, 28 }, tall[3] = { 1u << 31, 1, 1 }, ldims[1] = { 3 };
	cf_limits saved = *cf_limits_get(), l = saved;

	idx_header(lb, 1, ldims);
	put(TMP2, lb, sizeof lb);
	idx_header(im, 3, big);
	put_gz(TMP, im, n, NULL, 0);
	refused(cf_data_load_idx(TMP, TMP2, NULL, NULL, NULL, &d, &err), &err,
		TMP ": its header's sizes 2147483648x28x28 (1683627180032 values): over the limit data=",
		"IDX claiming 2^31 images of 28x28");
	l.data = (int64_t)1 << 40;
	cf_limits_set(&l);
	idx_header(im, 3, tall);
	put_gz(TMP, im, n, NULL, 0);
	refused(cf_data_load_idx(TMP, TMP2, NULL, NULL, NULL, &d, &err), &err,
		TMP2 ": 3 labels, but " TMP " holds 2147483648 images",
		"IDX claiming 2^31 images, checked against the labels before inflating");
	cf_limits_set(&saved);
	free(im);
}

static void huge_costs(void)
{
	static const double M[9] = { 1e308, -1e308, 0, -1e308, 1e308, 5, 0, 1, -1e308 };
	static const cf_ot_kind kinds[] = { CF_OT_EXACT, CF_OT_EMD, CF_OT_ASSIGN, CF_OT_SINKHORN,
					    CF_OT_SINKHORN_LOG, CF_OT_SINKHORN_EPS, CF_OT_UNBALANCED };
	cf_ot_problem p = { 3, 3, NULL, NULL, M };
	cf_ot_params par;
	cf_error err = { 0, "" };

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		cf_ot_result r;
		int rc, finite = 1;
		cf_ot_params_init(&par);
		par.max_iter = 3000;
		rc = cf_ot_solve(kinds[k], &p, &par, &r, &err);
		finite = isfinite(r.cost);
		for (int i = 0; i < 9 && rc == CF_OK; i++)
			finite = finite && isfinite(r.plan[i]);
		for (int i = 0; i < 3 && rc == CF_OK; i++)
			finite = finite && isfinite(r.u[i]) && isfinite(r.v[i]);
		ok(rc == CF_OK && finite && (r.status != CF_OT_FAILED || strstr(r.message, "overflows double precision")),
		   "costs of ±1e308, %s: %s, cost %g (%s)", cf_ot_kind_name(kinds[k]),
		   cf_ot_status_name(r.status), r.cost, r.message);
		cf_ot_result_clear(&r);
	}
	{
		/* where nothing overflows, the exact answer */
		static const double M2[4] = { 1e308, -1e308, -1e308, 1e308 };
		cf_ot_problem q = { 2, 2, NULL, NULL, M2 };
		cf_ot_result r;
		int rc;
		cf_ot_params_init(&par);
		rc = cf_ot_solve(CF_OT_EXACT, &q, &par, &r, &err);
		ok(rc == CF_OK && r.status == CF_OT_OPTIMAL && r.cost == -1e308,
		   "2x2 costs of ±1e308 solved exactly: cost %.17g", r.cost);
		cf_ot_result_clear(&r);
	}
	{
		double Mn[4] = { 1, -NAN, 2, 3 };
		cf_ot_problem q = { 2, 2, NULL, NULL, Mn };
		refused(cf_ot_problem_check(&q, NULL, &err), &err, "cost M[0][1] is not finite (NaN)",
			"a NaN cost is named NaN");
	}
}

static void diverging(void)
{
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	cf_dataset *d = fx_data(64, 1, 1, 8, 3, 5);
	cf_net *net = fx_net("mlp 8-16-3", rng);
	cf_train_params p;
	cf_error err = { 0, "" };
	cf_train_params_default(&p);
	p.epochs = 3;
	p.batch = 16;
	p.lr = 1e30;
	refused(cf_train(net, d, NULL, &p, NULL, NULL, &err), &err,
		"training diverged in epoch 1 at batch", "a learning rate of 1e30");
	ok(strstr(err.msg, "the loss is NaN") || strstr(err.msg, "the loss is infinite"),
	   "the message says what the loss became");
	cf_net_free(net);
	cf_dataset_free(d);
	gsl_rng_free(rng);
}

int main(void)
{
	csv();
	binary();
	gzip_idx();
	claims();
	huge_costs();
	diverging();
	remove(TMP);
	remove(TMP2);
	return tap_done();
}
