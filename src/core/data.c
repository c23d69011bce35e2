/* data.c — data sets in memory: reading through zlib, normalisation,
 * loading by name, subsets, index files and shuffling (see data.h).  The
 * format readers live in data_idx.c (IDX, Fashion-MNIST) and data_cifar.c.
 *
 * Every file is read through one reader that inflates gzip data and passes
 * plain files through unchanged, so one code path serves .gz and
 * uncompressed data.
 * File headers are untrusted: the data must fill the file exactly (a short
 * read or trailing bytes is an error), and buffers grow as data actually
 * arrives, so a corrupt header cannot make us allocate gigabytes up front.
 * Pixels are bytes, so the per-channel statistics come exactly from a
 * 256-bin histogram and normalisation is a 256-entry lookup table per
 * channel.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */

#include "data.h"
#include "data_int.h"
#include "infile.h"
#include "limit.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/mman.h>

#define GZ_CHUNK (1 << 24)

/* ---- reading through zlib ---------------------------------------------- */

/* A file read either as it is or, when it starts with the gzip magic
 * 1f 8b, through inflate.  zlib's gzread would do both, but it silently
 * ignores whatever follows the last gzip member; here concatenated
 * members are read and anything else after them is an error. */
struct cf_zin {
	FILE *f;
	const char *path;
	int gz, member_done, eof;
	int64_t raw;                 /* compressed bytes consumed so far */
	z_stream z;
	unsigned char in[1 << 16];
};

cf_zin *cf_data_gzopen(const char *path, cf_error *err)
{
	cf_zin *g = calloc(1, sizeof *g);
	unsigned char magic[2];
	size_t got;

	if (!g) {
		cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	g->path = path;
	if (!(g->f = cf_infile_fopen(path, err))) { /* a FIFO would block fopen */
		free(g);
		return NULL;
	}
	got = fread(magic, 1, 2, g->f);
	g->gz = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	rewind(g->f);
	if (g->gz && inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		fclose(g->f);
		free(g);
		cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	return g;
}

void cf_data_gzclose(cf_zin *g)
{
	if (!g)
		return;
	if (g->gz)
		inflateEnd(&g->z);
	fclose(g->f);
	free(g);
}

/* Refill the input buffer (keeping what is left); 0 at end of file. */
static size_t zin_fill(cf_zin *g)
{
	size_t got;
	if (g->z.avail_in > 0 && g->z.next_in != g->in)
		memmove(g->in, g->z.next_in, g->z.avail_in);
	got = fread(g->in + g->z.avail_in, 1, sizeof g->in - g->z.avail_in, g->f);
	g->z.next_in = g->in;
	g->z.avail_in += (uInt)got;
	return got;
}

static int64_t zin_error(cf_zin *g, int code, const char *what, cf_error *err)
{
	cf_error_set(err, code, "%s: read error: %s", g->path, what);
	return -1;
}

/* After a gzip member: end of file, another member, or garbage. */
static int64_t zin_next_member(cf_zin *g, cf_error *err)
{
	while (g->z.avail_in < 2 && zin_fill(g) > 0)
		;
	if (ferror(g->f))
		return zin_error(g, CF_EIO, strerror(errno), err);
	if (g->z.avail_in == 0) {
		g->eof = 1;
		return 0;
	}
	if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f || g->z.next_in[1] != 0x8b) {
		cf_error_set(err, CF_EFORMAT,
			     "%s: %u bytes of trailing garbage after the gzip data (at byte %lld of the file)",
			     g->path, g->z.avail_in, (long long)(g->raw + (int64_t)(g->z.next_in - g->in)));
		return -1;
	}
	g->raw += g->z.next_in - g->in;
	g->member_done = 0;
	if (inflateReset(&g->z) != Z_OK)
		return zin_error(g, CF_EFORMAT, "cannot restart inflate", err);
	return 1;
}

static int64_t zin_inflate(cf_zin *g, unsigned char *buf, int64_t n, cf_error *err)
{
	int64_t got = 0;
	while (got < n && !g->eof) {
		int64_t rc;
		if (g->member_done) {
			if ((rc = zin_next_member(g, err)) <= 0) {
				if (rc < 0)
					return -1;
				break;
			}
		}
		if (g->z.avail_in == 0 && zin_fill(g) == 0) {
			if (ferror(g->f))
				return zin_error(g, CF_EIO, strerror(errno), err);
			cf_error_set(err, CF_EFORMAT, "%s: read error: the gzip data is truncated", g->path);
			return -1;
		}
		g->z.next_out = buf + got;
		g->z.avail_out = (uInt)(n - got > (1 << 30) ? (1 << 30) : n - got);
		rc = inflate(&g->z, Z_NO_FLUSH);
		got = (int64_t)(g->z.next_out - buf);
		if (rc == Z_STREAM_END) {
			g->member_done = 1;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return zin_error(g, CF_EFORMAT, g->z.msg ? g->z.msg : "corrupt gzip data", err);
		}
	}
	return got;
}

/* Read up to n bytes into buf; returns the count (less than n only at the
 * end of the data), or -1 with err set. */
int64_t cf_data_gzread(cf_zin *g, const char *path, void *buf, int64_t n, cf_error *err)
{
	(void)path;
	if (g->gz)
		return zin_inflate(g, buf, n, err);
	{
		size_t got = fread(buf, 1, (size_t)n, g->f);
		if (got < (size_t)n && ferror(g->f))
			return zin_error(g, CF_EIO, strerror(errno), err);
		return (int64_t)got;
	}
}

/* Read exactly `n` bytes (n known from a header) into a new buffer, then
 * require end of file.  The buffer grows with the data. */
int cf_data_read_exact(cf_zin *g, const char *path, int64_t n, unsigned char **out,
			   cf_error *err)
{
	int64_t cap = n < GZ_CHUNK ? n : GZ_CHUNK, have = 0;
	unsigned char *buf = malloc(cap ? (size_t)cap : 1), extra;

	*out = NULL;
	if (!buf)
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	for (;;) {
		int64_t r = cf_data_gzread(g, path, buf + have, cap - have, err);
		if (r < 0) {
			free(buf);
			return err ? err->code : CF_EFORMAT;
		}
		have += r;
		if (have < cap || cap == n)
			break;
		{
			int64_t ncap = cap * 2 < n ? cap * 2 : n;
			unsigned char *nb = realloc(buf, (size_t)ncap);
			if (!nb) {
				free(buf);
				return cf_error_set(err, CF_ENOMEM, "%s: out of memory for %lld bytes",
						    path, (long long)n);
			}
			buf = nb;
			cap = ncap;
		}
	}
	if (have < n) {
		free(buf);
		return cf_error_set(err, CF_EFORMAT,
				    "%s: file ends after %lld of the %lld data bytes its header announces (truncated?)",
				    path, (long long)have, (long long)n);
	}
	{
		int64_t r = cf_data_gzread(g, path, &extra, 1, err);
		if (r != 0) {
			free(buf);
			if (r < 0)
				return err ? err->code : CF_EFORMAT;
			return cf_error_set(err, CF_EFORMAT,
					    "%s: trailing data after the %lld bytes its header announces",
					    path, (long long)n);
		}
	}
	*out = buf;
	return CF_OK;
}

/* The whole (decompressed) file. */
int cf_data_read_all(const char *path, unsigned char **out, int64_t *len, cf_error *err)
{
	cf_zin *g = cf_data_gzopen(path, err);
	int64_t cap = 1 << 20, have = 0;
	unsigned char *buf;

	*out = NULL;
	if (!g)
		return err ? err->code : CF_EIO;
	buf = malloc((size_t)cap);
	if (!buf) {
		cf_data_gzclose(g);
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	}
	for (;;) {
		int64_t r = cf_data_gzread(g, path, buf + have, cap - have, err);
		if (r < 0) {
			free(buf);
			cf_data_gzclose(g);
			return err ? err->code : CF_EFORMAT;
		}
		have += r;
		if (have < cap)
			break;
		if (cap * 2 > cf_limits_get()->data + 1) {
			/* a compressed file can inflate to far more than it holds */
			free(buf);
			cf_data_gzclose(g);
			return cf_limits_refuse(err, CF_EFORMAT, "data", "%s: more than %lld bytes of data",
						path, (long long)cap);
		}
		{
			unsigned char *nb = realloc(buf, (size_t)cap * 2);
			if (!nb) {
				free(buf);
				cf_data_gzclose(g);
				return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
			}
			buf = nb;
			cap *= 2;
		}
	}
	cf_data_gzclose(g);
	*out = buf;
	*len = have;
	return CF_OK;
}

/* ---- normalisation ----------------------------------------------------- */

/* Mean and (population) standard deviation of pixels/255, per channel, of
 * n samples of c channels of hw bytes each, from exact histograms.  A
 * constant channel gets std 1 so that normalising never divides by 0. */
void cf_data_byte_stats(const unsigned char *px, int64_t n, int c, int64_t hw,
			    float *mean, float *std)
{
	for (int ch = 0; ch < c; ch++) {
		int64_t hist[256] = {0};
		double m = 0, v = 0, tot = (double)n * (double)hw;
		for (int64_t i = 0; i < n; i++) {
			const unsigned char *p = px + (i * c + ch) * hw;
			for (int64_t k = 0; k < hw; k++)
				hist[p[k]]++;
		}
		for (int b = 0; b < 256; b++)
			m += (double)hist[b] * (b / 255.0);
		m = tot > 0 ? m / tot : 0;
		for (int b = 0; b < 256; b++)
			v += (double)hist[b] * (b / 255.0 - m) * (b / 255.0 - m);
		v = tot > 0 ? v / tot : 0;
		mean[ch] = (float)m;
		std[ch] = v > 0 ? (float)sqrt(v) : 1.0f;
	}
}

int cf_data_check_norm(const char *name, int c, const float *mean, const float *std,
			   cf_error *err)
{
	for (int ch = 0; ch < c; ch++) {
		if (mean && !isfinite(mean[ch]))
			return cf_error_set(err, CF_EINVAL, "%s: mean of channel %d is %g, expected a finite number",
					    name, ch, mean[ch]);
		if (std && !(std[ch] > 0 && isfinite(std[ch])))
			return cf_error_set(err, CF_EINVAL, "%s: std of channel %d is %g, expected a positive number",
					    name, ch, std[ch]);
	}
	return CF_OK;
}

/* The lookup tables lut[ch][byte] = (byte/255 - mean) / std. */
void cf_data_lut(int c, const float *mean, const float *std,
		     float lut[CF_DATA_MAXCH][256])
{
	for (int ch = 0; ch < c; ch++)
		for (int b = 0; b < 256; b++)
			lut[ch][b] = (float)((b / 255.0 - mean[ch]) / std[ch]);
}

/* Normalise n samples of c channels of hw bytes through the tables. */
void cf_data_apply_lut(const unsigned char *px, int64_t n, int c, int64_t hw,
			   float lut[CF_DATA_MAXCH][256], float *x)
{
	for (int64_t i = 0; i < n; i++)
		for (int ch = 0; ch < c; ch++) {
			const unsigned char *p = px + (i * c + ch) * hw;
			float *q = x + (i * c + ch) * hw;
			const float *t = lut[ch];
			for (int64_t k = 0; k < hw; k++)
				q[k] = t[p[k]];
		}
}

/* Samples of a large data set go in 2 MiB-aligned memory marked for
 * transparent huge pages: Fashion-MNIST's training split is 188 MB of
 * floats, and touching it 4 KiB page by page cost more than decoding it. */
static void *samples_alloc(size_t bytes)
{
	const size_t huge = (size_t)2 << 20;
	void *p = NULL;
	if (bytes < 4 * huge)
		return malloc(bytes ? bytes : 1);
	if (posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge))
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
#endif
	return p;
}

cf_dataset *cf_data_alloc(const char *name, int64_t n, int c, int h, int w,
			      cf_error *err)
{
	cf_dataset *d = calloc(1, sizeof *d);
	int64_t vals = n * c * h * w;
	if (d) {
		snprintf(d->name, sizeof d->name, "%s", name);
		d->n = n;
		d->c = c;
		d->h = h;
		d->w = w;
		d->x = samples_alloc((size_t)vals * sizeof *d->x);
		d->y = malloc(n ? (size_t)n * sizeof *d->y : 1);
	}
	if (!d || !d->x || !d->y) {
		cf_dataset_free(d);
		cf_error_set(err, CF_ENOMEM, "%s: out of memory for %lld samples", name, (long long)n);
		return NULL;
	}
	return d;
}

cf_dataset *cf_dataset_ref(cf_dataset *d)
{
	if (d)
		__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
	return d;
}

void cf_dataset_free(cf_dataset *d)
{
	if (!d)
		return;
	if (__atomic_load_n(&d->refs, __ATOMIC_ACQUIRE) > 0 &&
	    __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) >= 0)
		return;
	if (d->map) {
		munmap(d->map, d->map_len);
		free(d);
		return;
	}
	free(d->x);
	free(d->y);
	free(d);
}

/* ---- by name ----------------------------------------------------------- */

#define DATA_FORMS "fashion-mnist, fashion-mnist:DIR, idx:IMAGES,LABELS, " \
	"idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS, cifar10:DIR or cifar100:DIR"

int cf_data_load(const char *spec, int train, const float *mean, const float *std,
		 cf_dataset **out, cf_error *err)
{
	*out = NULL;
	if (!spec)
		spec = "";
	if (strcmp(spec, "fashion-mnist") == 0)
		return cf_data_load_fashion_mnist(NULL, train, mean, std, out, err);
	if (strncmp(spec, "fashion-mnist:", 14) == 0 && spec[14])
		return cf_data_load_fashion_mnist(spec + 14, train, mean, std, out, err);
	if (strncmp(spec, "idx:", 4) == 0)
		return cf_data_load_idx_spec(spec, spec + 4, train, mean, std, out, err);
	if (strncmp(spec, "cifar10:", 8) == 0 && spec[8])
		return cf_data_load_cifar(spec + 8, 0, train, mean, std, out, err);
	if (strncmp(spec, "cifar100:", 9) == 0 && spec[9])
		return cf_data_load_cifar(spec + 9, 1, train, mean, std, out, err);
	return cf_error_set(err, CF_EINVAL, "unknown data set '%s', expected " DATA_FORMS, spec);
}

/* ---- subsets, index files, permutations -------------------------------- */

int cf_data_subset(const cf_dataset *d, const int64_t *idx, int64_t n,
		   cf_dataset **out, cf_error *err)
{
	int64_t sz = (int64_t)d->c * d->h * d->w;
	char name[64];
	cf_dataset *s;

	*out = NULL;
	if (n < 0 || (n > 0 && !idx))
		return cf_error_set(err, CF_EINVAL, "%s: subset of %lld samples", d->name, (long long)n);
	for (int64_t i = 0; i < n; i++)
		if (idx[i] < 0 || idx[i] >= d->n)
			return cf_error_set(err, CF_EINVAL,
					    "%s: subset index %lld (entry %lld) is out of range, expected 0..%lld",
					    d->name, (long long)idx[i], (long long)i, (long long)d->n - 1);
	snprintf(name, sizeof name, "%.40s[%lld]", d->name, (long long)n);
	if (!(s = cf_data_alloc(name, n, d->c, d->h, d->w, err)))
		return err ? err->code : CF_ENOMEM;
	s->nclasses = d->nclasses;
	memcpy(s->mean, d->mean, sizeof s->mean);
	memcpy(s->std, d->std, sizeof s->std);
	for (int64_t i = 0; i < n; i++) {
		memcpy(s->x + i * sz, cf_dataset_sample(d, idx[i]), (size_t)sz * sizeof *s->x);
		s->y[i] = d->y[idx[i]];
	}
	*out = s;
	return CF_OK;
}

int cf_data_read_indices(const char *path, int64_t limit, int64_t **idx,
			 int64_t *n, cf_error *err)
{
	FILE *fp;
	char *line = NULL;
	size_t linecap = 0;
	int64_t cnt = 0, cap = 1024, *v;
	long lineno = 0;
	int rc = CF_OK;

	*idx = NULL;
	*n = 0;
	if (!(fp = cf_infile_fopen(path, err)))
		return err ? err->code : CF_EIO;
	if (!(v = malloc((size_t)cap * sizeof *v))) {
		fclose(fp);
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	}
	/* getline: one line may hold every index, comma separated */
	while (getline(&line, &linecap, fp) >= 0) {
		char *s = line, *hash;
		lineno++;
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		for (;;) {
			char *end;
			long long val;
			while (*s && (isspace((unsigned char)*s) || *s == ','))
				s++;
			if (!*s)
				break;
			errno = 0;
			val = strtoll(s, &end, 10);
			if (end == s || (*end && !isspace((unsigned char)*end) && *end != ',') || errno) {
				int k = 0;
				while (s[k] && !isspace((unsigned char)s[k]) && s[k] != ',' && k < 40)
					k++;
				rc = cf_error_set(err, CF_EFORMAT, "%s:%ld: '%.*s' is not a sample index",
						  path, lineno, k, s);
				goto done;
			}
			if (val < 0 || val >= limit) {
				rc = cf_error_set(err, CF_EINVAL,
						  "%s:%ld: index %lld is out of range, expected 0..%lld (the data set has %lld samples)",
						  path, lineno, val, (long long)limit - 1, (long long)limit);
				goto done;
			}
			if (cnt == cap) {
				int64_t *nv = realloc(v, (size_t)cap * 2 * sizeof *v);
				if (!nv) {
					rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
					goto done;
				}
				v = nv;
				cap *= 2;
			}
			v[cnt++] = val;
			s = end;
		}
	}
	if (ferror(fp)) {
		rc = cf_error_set(err, CF_EIO, "%s: read error", path);
		goto done;
	}
	if (cnt == 0)
		rc = cf_error_set(err, CF_EFORMAT, "%s: no sample indices in the file", path);
done:
	free(line);
	fclose(fp);
	if (rc != CF_OK) {
		free(v);
		return rc;
	}
	*idx = v;
	*n = cnt;
	return CF_OK;
}

void cf_data_permutation(int64_t *idx, int64_t n, gsl_rng *r)
{
	for (int64_t i = 0; i < n; i++)
		idx[i] = i;
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)gsl_rng_uniform_int(r, (unsigned long)i + 1);
		int64_t t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
}
