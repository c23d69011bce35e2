/* test_st.c — safetensors: the reference implementation's byte-exact test
 * vectors, bit-exact round trips, dtype conversion with known values, every
 * malformed case of the issue provoked on purpose, and atomic writes. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "st.h"
#include "tap.h"

static char tmpdir[256];

/* A safetensors buffer: 8-byte little-endian header length, header text,
 * then `dlen` data bytes. */
static unsigned char *mk(const char *hdr, const void *data, size_t dlen, size_t *len)
{
	size_t h = strlen(hdr);
	unsigned char *b = malloc(8 + h + dlen + 1);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)h >> (8 * i));
	memcpy(b + 8, hdr, h);
	if (dlen)
		memcpy(b + 8 + h, data, dlen);
	*len = 8 + h + dlen;
	return b;
}

static unsigned char zeros[256];

/* Expect rejection with CF_EFORMAT and a message containing `want`. */
static void bad(const char *what, const char *hdr, size_t dlen, const char *want)
{
	size_t len;
	unsigned char *b = mk(hdr, zeros, dlen, &len);
	cf_st_file *f = (cf_st_file *)1;
	cf_error err = {0};
	int rc = cf_st_read_mem(b, len, "m.safetensors", &f, &err);
	ok(rc == CF_EFORMAT && f == NULL && strstr(err.msg, want) != NULL,
	   "rejects %s: %s", what, err.msg);
	free(b);
}

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	long n;
	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	*buf = malloc((size_t)n + 1);
	*len = fread(*buf, 1, (size_t)n, fp);
	fclose(fp);
	return 0;
}

/* Number of directory entries other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static uint32_t fbits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

static void test_vectors(void)
{
	static const unsigned char empty[16] = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}',
						 ' ', ' ', ' ', ' ', ' ', ' '};
	char path[300];
	unsigned char *b;
	size_t len;
	cf_st_file *f;
	cf_error err = {0};
	const char *k[] = {"framework"}, *v[] = {"pt"};

	/* empty file */
	snprintf(path, sizeof path, "%s/empty.safetensors", tmpdir);
	ok(cf_st_write(path, NULL, 0, NULL, NULL, 0, &err) == CF_OK, "write empty file");
	read_file(path, &b, &len);
	ok(len == 16 && memcmp(b, empty, 16) == 0, "empty file is byte-exact ({} + 6 spaces)");
	ok(cf_st_read_mem(b, len, "empty", &f, &err) == CF_OK && f->n == 0 && f->nmeta == 0,
	   "empty file reads back with no tensors");
	cf_st_free(f);
	free(b);

	/* metadata only: N = 40 */
	snprintf(path, sizeof path, "%s/meta.safetensors", tmpdir);
	ok(cf_st_write(path, NULL, 0, k, v, 1, &err) == CF_OK, "write metadata-only file");
	read_file(path, &b, &len);
	ok(len == 48 && b[0] == 40 && memcmp(b + 8, "{\"__metadata__\":{\"framework\":\"pt\"}}     ", 40) == 0,
	   "metadata-only file is byte-exact (N = 40)");
	ok(cf_st_read(path, &f, &err) == CF_OK && f->nmeta == 1 &&
	   strcmp(cf_st_meta(f, "framework"), "pt") == 0 && cf_st_meta(f, "x") == NULL,
	   "metadata reads back");
	cf_st_free(f);
	free(b);

	/* the 60-byte I32 header (N not a multiple of 8) */
	{
		const char *h = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
		const unsigned char d[16] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0x80};
		const cf_st_tensor *t;
		b = mk(h, d, 16, &len);
		ok(strlen(h) == 60 && b[0] == 60, "reference I32 header is 60 bytes");
		ok(cf_st_read_mem(b, len, "i32", &f, &err) == CF_OK, "60-byte I32 example is valid");
		t = cf_st_find(f, "test");
		ok(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 2 && t->size == 4 &&
		   strcmp(t->dtype, "I32") == 0, "I32 tensor shape [2,2]");
		ok(t && t->data[0] == 1 && t->data[1] == -1 && t->data[2] == 256 &&
		   t->data[3] == -2147483648.0f, "I32 values 1, -1, 256, INT32_MIN");
		cf_st_free(f);
		free(b);
	}
	/* empty tensor */
	b = mk("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,0],\"data_offsets\":[0,0]}}", NULL, 0, &len);
	ok(cf_st_read_mem(b, len, "e", &f, &err) == CF_OK && f->n == 1 && f->t[0].size == 0 &&
	   f->t[0].shape[1] == 0 && f->t[0].data != NULL, "empty tensor [2,0] is valid");
	cf_st_free(f);
	free(b);

	bad("TensorInvalidInfo ([0,4] for 2x2 I32)",
	    "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", 4,
	    "tensor 'test': data_offsets [0,4] hold 4 bytes, shape [2,2] of I32 needs 16");
	bad("ValidationOverflow (reference vector)",
	    "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,18446744073709551614],\"data_offsets\":[0,16]}}", 16,
	    "too big integer");
	bad("ValidationOverflow (product beyond 2^63)",
	    "{\"test\":{\"dtype\":\"I32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}", 16,
	    "shape overflows");
	bad("byte size overflow",
	    "{\"test\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,16]}}", 16,
	    "byte size overflows");
	{
		char h[2048];
		size_t k2 = (size_t)sprintf(h, "{");
		for (int i = 0; i < 10; i++)
			k2 += (size_t)sprintf(h + k2, "%s\"t%d\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}",
					      i ? "," : "", i);
		sprintf(h + k2, "}");
		bad("ten tensors with offsets [0,16] (InvalidOffset)", h, 16, "overlap tensor");
	}
}

static void test_roundtrip(void)
{
	float a[6] = {1.0f, -2.5f, 3.25e-38f, 1e30f, -0.0f, 0.1f};
	float bv[3], sc = 42.0f;
	int64_t sa[2] = {2, 3}, sb[1] = {3}, se[2] = {0, 5};
	uint32_t nanbits = 0x7fc01234u, infbits = 0xff800000u, den = 0x00000001u;
	const char *mk_[] = {"arch", "note"}, *mv[] = {"mlp 784-400-10", "caf\xc3\xa9 \"q\"\n"};
	char path[300];
	cf_st_file *f, *g;
	cf_error err = {0};
	unsigned char *b1, *b2;
	size_t l1, l2;
	int same = 1;

	memcpy(&bv[0], &nanbits, 4);
	memcpy(&bv[1], &infbits, 4);
	memcpy(&bv[2], &den, 4);
	/* given out of name order on purpose */
	cf_st_out ts[4] = {
		{"layer2.weight", 2, sa, a},
		{"fc1.bias", 1, sb, bv},
		{"scalar", 0, NULL, &sc},
		{"empty", 2, se, NULL},
	};
	snprintf(path, sizeof path, "%s/rt.safetensors", tmpdir);
	ok(cf_st_write(path, ts, 4, mk_, mv, 2, &err) == CF_OK, "write 4 tensors + metadata (%s)", err.msg);
	ok(cf_st_read(path, &f, &err) == CF_OK, "read it back (%s)", err.msg);
	ok(f->n == 4 && strcmp(f->t[0].name, "empty") == 0 && strcmp(f->t[1].name, "fc1.bias") == 0 &&
	   strcmp(f->t[2].name, "layer2.weight") == 0 && strcmp(f->t[3].name, "scalar") == 0,
	   "tensors stored in name order");
	for (int i = 0; i < 4; i++) {
		const cf_st_tensor *t = cf_st_find(f, ts[i].name);
		int64_t n = 1;
		if (!t || t->ndim != ts[i].ndim || strcmp(t->dtype, "F32") != 0) {
			same = 0;
			continue;
		}
		for (int d = 0; d < t->ndim; d++) {
			same &= t->shape[d] == ts[i].shape[d];
			n *= ts[i].shape[d];
		}
		same &= t->size == n;
		for (int64_t j = 0; j < n; j++)
			same &= fbits(t->data[j]) == fbits(ts[i].data[j]);
	}
	ok(same, "shapes and values bit-exact (nan payload, -inf, -0, subnormal, scalar, empty)");
	ok(f->nmeta == 2 && strcmp(cf_st_meta(f, "arch"), mv[0]) == 0 &&
	   strcmp(cf_st_meta(f, "note"), mv[1]) == 0, "metadata with UTF-8, quotes and newline");

	/* header padded to 8, __metadata__ first */
	read_file(path, &b1, &l1);
	{
		uint64_t h = 0;
		for (int i = 7; i >= 0; i--)
			h = (h << 8) | b1[i];
		ok(h % 8 == 0 && memcmp(b1 + 8, "{\"__metadata__\":", 16) == 0 &&
		   l1 == 8 + h + 4 * (6 + 3 + 1), "header length %llu is a multiple of 8, metadata first, data 40 bytes",
		   (unsigned long long)h);
	}
	/* writing what was read gives the same bytes */
	{
		cf_st_out t2[4];
		for (size_t i = 0; i < f->n; i++)
			t2[i] = (cf_st_out){f->t[i].name, f->t[i].ndim, f->t[i].shape, f->t[i].data};
		snprintf(path, sizeof path, "%s/rt2.safetensors", tmpdir);
		ok(cf_st_write(path, t2, f->n, (const char *const *)f->meta_key,
			       (const char *const *)f->meta_val, f->nmeta, &err) == CF_OK &&
		   read_file(path, &b2, &l2) == 0 && l1 == l2 && memcmp(b1, b2, l1) == 0,
		   "rewrite of the read file is byte-identical");
		ok(cf_st_read_mem(b2, l2, "rt2", &g, &err) == CF_OK && g->n == 4, "read from memory");
		cf_st_free(g);
		free(b2);
	}
	free(b1);
	cf_st_free(f);

	/* unaligned input buffer */
	{
		size_t len;
		float one = 1.0f;
		unsigned char d[5];
		unsigned char *b = mk("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}  ", d, 0, &len);
		unsigned char *c = malloc(len + 5);
		uint32_t u = fbits(one);
		for (int i = 0; i < 4; i++)
			d[i] = (unsigned char)(u >> (8 * i));
		memcpy(c + 1, b, len);
		memcpy(c + 1 + len, d, 4);
		ok(cf_st_read_mem(c + 1, len + 4, "odd", &f, &err) == CF_OK && f->t[0].data[0] == 1.0f,
		   "reads a buffer at an odd address");
		cf_st_free(f);
		free(b);
		free(c);
	}
}

/* A one-tensor file of `dtype` with raw little-endian `bytes`. */
static cf_st_file *one(const char *dtype, int n, int esize, const void *bytes)
{
	char h[256];
	size_t len;
	unsigned char *b;
	cf_st_file *f = NULL;
	cf_error err = {0};
	snprintf(h, sizeof h, "{\"v\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[0,%d]}}",
		 dtype, n, n * esize);
	b = mk(h, bytes, (size_t)(n * esize), &len);
	if (cf_st_read_mem(b, len, dtype, &f, &err) != CF_OK)
		tap_diag("%s", err.msg);
	free(b);
	return f;
}

static void test_dtypes(void)
{
	/* little-endian byte pairs of: 1.0, -2.5, 65504, 2^-24, 2^-14, largest
	 * subnormal, inf, -inf, nan, -0 */
	static const uint16_t h16[10] = {0x3c00, 0xc100, 0x7bff, 0x0001, 0x0400, 0x03ff,
					 0x7c00, 0xfc00, 0x7e00, 0x8000};
	static const uint16_t hb[7] = {0x3f80, 0xc020, 0x477f, 0x0001, 0x7f80, 0x7fc0, 0x8000};
	unsigned char raw[80];
	cf_st_file *f;
	float *x;

	for (int i = 0; i < 10; i++) {
		raw[2 * i] = h16[i] & 0xff;
		raw[2 * i + 1] = h16[i] >> 8;
	}
	f = one("F16", 10, 2, raw);
	ok(f && strcmp(f->t[0].dtype, "F16") == 0, "F16 tensor loads, dtype noted");
	if (f) {
		x = f->t[0].data;
		ok(x[0] == 1.0f && x[1] == -2.5f && x[2] == 65504.0f, "F16 1.0, -2.5, 65504");
		ok(x[3] == ldexpf(1, -24) && x[4] == ldexpf(1, -14) && x[5] == 1023 * ldexpf(1, -24),
		   "F16 smallest subnormal 2^-24, smallest normal 2^-14, largest subnormal");
		ok(isinf(x[6]) && x[6] > 0 && isinf(x[7]) && x[7] < 0 && isnan(x[8]) &&
		   x[9] == 0 && signbit(x[9]), "F16 +inf, -inf, nan, -0");
	}
	cf_st_free(f);

	for (int i = 0; i < 7; i++) {
		raw[2 * i] = hb[i] & 0xff;
		raw[2 * i + 1] = hb[i] >> 8;
	}
	f = one("BF16", 7, 2, raw);
	if (f) {
		x = f->t[0].data;
		ok(x[0] == 1.0f && x[1] == -2.5f && x[2] == 65280.0f && x[3] == ldexpf(1, -133),
		   "BF16 1.0, -2.5, 65280, smallest subnormal 2^-133");
		ok(isinf(x[4]) && isnan(x[5]) && x[6] == 0 && signbit(x[6]), "BF16 inf, nan, -0");
	} else {
		ok(0, "BF16 loads");
	}
	cf_st_free(f);

	{
		double d[6] = {1.0, -2.5, 65504.0, 1e-300, INFINITY, NAN};
		for (int i = 0; i < 6; i++) {
			uint64_t u;
			memcpy(&u, &d[i], 8);
			for (int k = 0; k < 8; k++)
				raw[8 * i + k] = (unsigned char)(u >> (8 * k));
		}
		f = one("F64", 6, 8, raw);
		ok(f && f->t[0].data[0] == 1.0f && f->t[0].data[1] == -2.5f && f->t[0].data[2] == 65504.0f &&
		   f->t[0].data[3] == 0.0f && isinf(f->t[0].data[4]) && isnan(f->t[0].data[5]),
		   "F64 1.0, -2.5, 65504, 1e-300 -> 0, inf, nan");
		cf_st_free(f);
	}
	{
		/* BatchNorm's num_batches_tracked: I64 scalar 938, and -3 */
		unsigned char q[16] = {0xaa, 0x03, 0, 0, 0, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		f = one("I64", 2, 8, q);
		ok(f && f->t[0].data[0] == 938.0f && f->t[0].data[1] == -3.0f, "I64 938, -3");
		cf_st_free(f);
	}
	{
		unsigned char q[4] = {0, 1, 2, 255};
		f = one("U8", 4, 1, q);
		ok(f && f->t[0].data[3] == 255.0f && f->t[0].data[2] == 2.0f, "U8 values");
		cf_st_free(f);
		f = one("BOOL", 4, 1, q);
		ok(f && f->t[0].data[0] == 0 && f->t[0].data[1] == 1 && f->t[0].data[3] == 1, "BOOL values");
		cf_st_free(f);
		f = one("I8", 4, 1, q);
		ok(f && f->t[0].data[3] == -1.0f, "I8 255 -> -1");
		cf_st_free(f);
	}
}

static void test_malformed(void)
{
	const char *good = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
			   "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
	size_t len;
	unsigned char *b = mk(good, zeros, 12, &len);
	cf_st_file *f;
	cf_error err = {0};

	ok(cf_st_read_mem(b, len, "g", &f, &err) == CF_OK && f->n == 2, "the base case is valid");
	cf_st_free(f);
	ok(cf_st_read_mem(b, 5, "m.safetensors", &f, &err) == CF_EFORMAT && strstr(err.msg, "too short"),
	   "rejects a 5-byte file: %s", err.msg);
	ok(cf_st_read_mem(b, 30, "m.safetensors", &f, &err) == CF_EFORMAT &&
	   strstr(err.msg, "runs past the end of the file"), "rejects a file cut in the header: %s", err.msg);
	ok(cf_st_read_mem(b, len - 2, "m.safetensors", &f, &err) == CF_EFORMAT &&
	   strstr(err.msg, "tensor 'b'") && strstr(err.msg, "run past the end"),
	   "rejects a file cut in the data: %s", err.msg);
	ok(cf_st_read_mem(b, len - 12, "m.safetensors", &f, &err) == CF_EFORMAT &&
	   strstr(err.msg, "tensor 'a'") && strstr(err.msg, "run past the end"),
	   "rejects a file with no data: %s", err.msg);
	free(b);
	{
		unsigned char h[16] = {1, 0xe1, 0xf5, 0x05, 0, 0, 0, 0, '{', '}'};  /* 100000001 */
		ok(cf_st_read_mem(h, 16, "m.safetensors", &f, &err) == CF_EFORMAT &&
		   strstr(err.msg, "exceeds the limit"), "rejects header length > 100 MB: %s", err.msg);
		h[0] = 0xff; h[1] = 0xff; h[2] = 0xff; h[3] = 0xff; h[7] = 0xff;
		ok(cf_st_read_mem(h, 16, "m.safetensors", &f, &err) == CF_EFORMAT,
		   "rejects header length 2^64-ish: %s", err.msg);
	}
	{
		/* data longer than the tensors */
		b = mk(good, zeros, 16, &len);
		ok(cf_st_read_mem(b, len, "m.safetensors", &f, &err) == CF_EFORMAT &&
		   strstr(err.msg, "cover 12 bytes but the data section holds 16"),
		   "rejects trailing data: %s", err.msg);
		free(b);
	}
	bad("JSON that does not parse", "{\"a\":{\"dtype\":\"F32\",", 0, "not valid JSON");
	bad("non-UTF-8 header", "{\"\xff\":{}}", 0, "not valid JSON");
	bad("a JSON array", "[1,2]", 0, "not an object");
	bad("trailing garbage", "{} x", 0, "not valid JSON");
	{
		unsigned char h[12] = {4, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0, 0};
		ok(cf_st_read_mem(h, 12, "m.safetensors", &f, &err) == CF_EFORMAT &&
		   strstr(err.msg, "not valid JSON"), "rejects NUL padding: %s", err.msg);
	}
	bad("duplicate keys", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
	    "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0, "duplicate");
	bad("missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'a': missing dtype");
	bad("numeric dtype", "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "non-string dtype");
	bad("unknown dtype", "{\"a\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
	    "unknown dtype \"F12\"");
	bad("unsupported dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
	    "F8_E4M3 is not supported");
	bad("missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "missing shape");
	bad("negative shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
	    "shape entry 0 is not a non-negative integer");
	bad("fractional shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4,
	    "shape entry 0");
	bad("9-d shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
	    "9 dimensions");
	bad("3 data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4,
	    "malformed data_offsets");
	bad("missing data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "missing data_offsets");
	bad("string data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}", 4,
	    "malformed data_offsets");
	bad("begin > end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
	    "end before they begin");
	bad("tensor info not an object", "{\"a\":[1]}", 0, "tensor 'a': expected an object");
	bad("overlapping offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
	    "tensor 'b': data_offsets [4,12] overlap tensor 'a', which ends at 8");
	bad("a gap between tensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
	    "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16,
	    "tensor 'b': data_offsets [12,16] leave a gap of 4 bytes after tensor 'a'");
	bad("a gap at the start", "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
	    "gap of 4 bytes after the start of the data");
	bad("offsets past the end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
	    "run past the end of the data (8 bytes");
	bad("shape/byte size mismatch", "{\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12,
	    "m.safetensors: tensor 'fc1.weight': data_offsets [0,12] hold 12 bytes, shape [2,2] of F32 needs 16");
	bad("non-string metadata", "{\"__metadata__\":{\"epochs\":10}}", 0,
	    "__metadata__ entry 'epochs' is not a string");
	bad("metadata not an object", "{\"__metadata__\":\"pt\"}", 0, "__metadata__ is not an object");

	/* accepted paddings */
	{
		const char *pads[] = {"  \t\n{\"__metadata__\":{\"a\":\"b\"}}", "{}\r\n\t  "};
		for (int i = 0; i < 2; i++) {
			b = mk(pads[i], NULL, 0, &len);
			ok(cf_st_read_mem(b, len, "pad", &f, &err) == CF_OK,
			   "accepts %s whitespace padding", i ? "trailing" : "leading");
			cf_st_free(f);
			free(b);
		}
	}
	ok(cf_st_read(tmpdir, &f, &err) == CF_EIO && f == NULL && strstr(err.msg, "is a directory"),
	   "a directory: %s", err.msg);
	ok(cf_st_read("/nonexistent/x.safetensors", &f, &err) == CF_EIO && f == NULL &&
	   strstr(err.msg, "/nonexistent/x.safetensors: cannot open"), "missing file: %s", err.msg);
}

/* The checked-in PyTorch-style file (tests/data/make_pt_style.py). */
static void test_pt_style(void)
{
	char path[1024], out[400];
	const char *top = getenv("top_srcdir");
	cf_st_file *f = NULL, *g = NULL;
	cf_error err = {0};
	const cf_st_tensor *t;

	snprintf(path, sizeof path, "%s/tests/data/pt_style.safetensors", top ? top : ".");
	if (access(path, R_OK) != 0) {
		ok(0, "fixture %s is missing", path);
		return;
	}
	ok(cf_st_read(path, &f, &err) == CF_OK && f->n == 5, "PyTorch-style file loads (%s)", err.msg);
	if (!f)
		return;
	ok(strcmp(f->t[0].name, "bn1.num_batches_tracked") == 0 && strcmp(f->t[4].name, "fc1.weight") == 0,
	   "tensors listed in data-offset order");
	ok(cf_st_meta(f, "format") && strcmp(cf_st_meta(f, "format"), "pt") == 0, "metadata format=pt");
	t = cf_st_find(f, "bn1.num_batches_tracked");
	ok(t && t->ndim == 0 && t->size == 1 && t->data[0] == 938.0f && strcmp(t->dtype, "I64") == 0,
	   "I64 scalar num_batches_tracked = 938");
	t = cf_st_find(f, "fc2.weight");
	ok(t && t->ndim == 2 && t->shape[1] == 2 && t->data[0] == 0.1f && t->data[1] == 3.0f &&
	   strcmp(t->dtype, "F64") == 0, "F64 [1,2] = 0.1, 3");
	t = cf_st_find(f, "bn1.running_mean");
	ok(t && t->data[0] == 0.5f && t->data[1] == -1.0f && strcmp(t->dtype, "F32") == 0, "F32 [0.5, -1]");
	t = cf_st_find(f, "fc1.bias");
	ok(t && t->data[0] == 1.0f && t->data[1] == -2.5f && strcmp(t->dtype, "BF16") == 0, "BF16 [1, -2.5]");
	t = cf_st_find(f, "fc1.weight");
	ok(t && t->shape[0] == 2 && t->shape[1] == 2 && t->data[0] == 1.0f && t->data[1] == -2.5f &&
	   t->data[2] == 65504.0f && t->data[3] == ldexpf(1, -24) && strcmp(t->dtype, "F16") == 0,
	   "F16 [2,2] = 1, -2.5, 65504, 2^-24");
	/* saved back as F32, every value survives */
	{
		cf_st_out o[5];
		int same = 1;
		for (size_t i = 0; i < 5; i++)
			o[i] = (cf_st_out){f->t[i].name, f->t[i].ndim, f->t[i].shape, f->t[i].data};
		snprintf(out, sizeof out, "%s/pt_f32.safetensors", tmpdir);
		ok(cf_st_write(out, o, 5, (const char *const *)f->meta_key, (const char *const *)f->meta_val,
			       f->nmeta, &err) == CF_OK && cf_st_read(out, &g, &err) == CF_OK && g->n == 5,
		   "rewritten as F32 and read back");
		for (size_t i = 0; g && i < 5; i++) {
			const cf_st_tensor *a = cf_st_find(f, g->t[i].name);
			same &= a && strcmp(g->t[i].dtype, "F32") == 0 && a->size == g->t[i].size &&
				memcmp(a->data, g->t[i].data, (size_t)a->size * sizeof(float)) == 0;
		}
		ok(same, "F32 copy holds the converted values exactly");
		cf_st_free(g);
	}
	cf_st_free(f);
}

static void test_atomic(void)
{
	char dir[300], path[320], bogus[400];
	float x[2] = {1, 2};
	int64_t s = 2;
	cf_st_out t = {"w", 1, &s, x};
	cf_st_out dup[2] = {{"w", 1, &s, x}, {"w", 1, &s, x}};
	cf_st_out empty[1] = {{"", 1, &s, x}};
	cf_error err = {0};
	unsigned char *b0, *b1;
	size_t l0, l1;
	cf_st_file *f;

	snprintf(dir, sizeof dir, "%s/atomic", tmpdir);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	ok(cf_st_write(path, &t, 1, NULL, NULL, 0, &err) == CF_OK && count_entries(dir) == 1,
	   "successful write leaves exactly one file, no temp");
	{
		struct stat st = {0};
		mode_t um = umask(0);
		umask(um);
		stat(path, &st);
		ok((st.st_mode & 0777) == (0666 & ~um),
		   "a new file is mode 0666 minus the umask (%o)", (unsigned)(st.st_mode & 0777));
	}
	read_file(path, &b0, &l0);

	ok(cf_st_write(path, dup, 2, NULL, NULL, 0, &err) == CF_EINVAL && strstr(err.msg, "'w' given twice"),
	   "duplicate names rejected: %s", err.msg);
	ok(cf_st_write(path, empty, 1, NULL, NULL, 0, &err) == CF_EINVAL && strstr(err.msg, "empty name"),
	   "empty name rejected: %s", err.msg);
	{
		const char *k[] = {"a", "a"}, *v[] = {"1", "2"};
		ok(cf_st_write(path, &t, 1, k, v, 2, &err) == CF_EINVAL && strstr(err.msg, "'a' given twice"),
		   "duplicate metadata key rejected: %s", err.msg);
	}

	snprintf(bogus, sizeof bogus, "%s/no/such/dir/m.safetensors", tmpdir);
	ok(cf_st_write(bogus, &t, 1, NULL, NULL, 0, &err) == CF_EIO && strstr(err.msg, "temporary"),
	   "write into a missing directory fails: %s", err.msg);

	/* rename fails late: the target is a directory */
	snprintf(bogus, sizeof bogus, "%s/sub", dir);
	mkdir(bogus, 0755);
	ok(cf_st_write(bogus, &t, 1, NULL, NULL, 0, &err) == CF_EIO && count_entries(dir) == 2 &&
	   count_entries(bogus) == 0, "failed rename removes the temp file: %s", err.msg);

	/* a write that fails half-way (file size limit), over an existing file */
	{
		struct rlimit old, lim;
		static float big[10000];
		int64_t sb = 10000;
		cf_st_out tb = {"big", 1, &sb, big};
		int rc;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 4096;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &lim);
		rc = cf_st_write(path, &tb, 1, NULL, NULL, 0, &err);
		setrlimit(RLIMIT_FSIZE, &old);
		ok(rc == CF_EIO && strstr(err.msg, "File too large"), "write beyond the size limit fails: %s", err.msg);
		read_file(path, &b1, &l1);
		ok(l0 == l1 && memcmp(b0, b1, l0) == 0 && count_entries(dir) == 2,
		   "old file untouched and no temp left after a failed write");
		free(b1);
	}
	ok(cf_st_read(path, &f, &err) == CF_OK && f->n == 1 && f->t[0].data[1] == 2.0f,
	   "old file still reads");
	cf_st_free(f);
	free(b0);
	remove(bogus);
	remove(path);
	rmdir(dir);
}

int main(void)
{
	char cmd[300];
	snprintf(tmpdir, sizeof tmpdir, "%s/test_st.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! cannot create a temporary directory\n");
		return 1;
	}
	test_vectors();
	test_roundtrip();
	test_dtypes();
	test_malformed();
	test_pt_style();
	test_atomic();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
