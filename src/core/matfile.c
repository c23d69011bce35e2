/* matfile.c — matrices in text or binary files (see matfile.h).
 *
 * The whole file is read into memory first: cost matrices are at most a
 * few hundred MB, and one buffer keeps the text parser a simple scan.
 */
#define _POSIX_C_SOURCE 200809L
#include "matfile.h"
#include "bytes.h"
#include "infile.h"
#include "outfile.h"

#include "checked.h"
#include "limit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SIDE (1LL << 30)

static char *slurp(const char *path, size_t *len, cf_error *err)
{
	FILE *f = cf_infile_fopen(path, err);
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;
		if (cap - n < 65536) {
			char *nb = realloc(buf, cap * 2 + 65536);
			if (!nb) {
				free(buf);
				fclose(f);
				cf_error_set(err, CF_ENOMEM, "out of memory reading '%s'", path);
				return NULL;
			}
			buf = nb;
			cap = cap * 2 + 65536;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		cf_error_set(err, CF_EIO, "cannot read '%s': %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int read_binary(const char *path, const unsigned char *p, size_t len, double **out,
		       int64_t *rows, int64_t *cols, cf_error *err)
{
	int64_t nr, nc, count, need;
	size_t bytes;
	double *data;

	if (len < 24)
		return cf_error_set(err, CF_EFORMAT, "'%s': binary header truncated (%zu bytes, expected 24)",
				    path, len);
	/* the sizes are uint64 on disk; read as int64 so that a huge one shows
	 * as the negative number it would wrap to, not as 18446744073709551615 */
	nr = (int64_t)cf_le_read(p + 8, 8);
	nc = (int64_t)cf_le_read(p + 16, 8);
	if (nr < 1 || nr > MAX_SIDE || nc < 1 || nc > MAX_SIDE)
		return cf_error_set(err, CF_EFORMAT,
				    "'%s': binary header says %lld rows and %lld columns, expected 1 to %lld each",
				    path, (long long)nr, (long long)nc, (long long)MAX_SIDE);
	if (cf_mul(nr, nc, &count) || cf_mul(count, 8, &need) || count > cf_limits_get()->data)
		return cf_limits_refuse(err, CF_EFORMAT, "data", "'%s': a %lldx%lld matrix", path,
					(long long)nr, (long long)nc);
	if ((uint64_t)need != len - 24)
		return cf_error_set(err, CF_EFORMAT,
				    "'%s': binary matrix %lldx%lld needs %lld data bytes, file has %zu",
				    path, (long long)nr, (long long)nc, (long long)need, len - 24);
	if (cf_bytes(count, sizeof *data, &bytes) || !(data = malloc(bytes)))
		return cf_error_set(err, CF_ENOMEM, "out of memory for a %lldx%lld matrix",
				    (long long)nr, (long long)nc);
	for (int64_t k = 0; k < count; k++) {
		uint64_t bits = cf_le_read(p + 24 + 8 * k, 8);
		memcpy(&data[k], &bits, 8);
	}
	*out = data;
	*rows = nr;
	*cols = nc;
	return CF_OK;
}

/* Text: numbers separated by blanks (any number of spaces and tabs) or by
 * one ',' or ';' each.  A field left empty between two separators, or
 * after a trailing one, is an error rather than a silently shorter row;
 * so is a NUL byte (a binary file read as text). */
static int read_text(const char *path, const char *s, size_t len, double **out,
		     int64_t *rows, int64_t *cols, cf_error *err)
{
	const char *end = s + len;
	double *data = NULL;
	int64_t r = 0, c = -1, cnt = 0, cap = 0, line = 1;
	int rc = CF_OK;

	while (s < end && rc == CF_OK) {
		int64_t inrow = 0;
		int sep = 0; /* a ',' or ';' is waiting for its field */
		while (s < end && *s != '\n' && rc == CF_OK) {
			char *e;
			double x;
			if (*s == '\0') {
				rc = cf_error_set(err, CF_EFORMAT,
						  "%s:%lld: NUL byte at offset %lld (a binary file? text costs are numbers separated by commas)",
						  path, (long long)line, (long long)(len - (size_t)(end - s)));
				break;
			}
			if (*s == ',' || *s == ';') {
				if (sep || inrow == 0) {
					rc = cf_error_set(err, CF_EFORMAT, "%s:%lld: empty field %lld (two separators with no number between them)",
							  path, (long long)line, (long long)inrow + 1);
					break;
				}
				sep = 1;
				s++;
				continue;
			}
			if (strchr(" \t\r", *s)) {
				s++;
				continue;
			}
			if (*s == '#') {
				while (s < end && *s != '\n')
					s++;
				break;
			}
			x = strtod(s, &e);
			if (e == s) {
				size_t w = strcspn(s, " \t\r\n,;");
				rc = cf_error_set(err, CF_EFORMAT, "%s:%lld: '%.*s' is not a number", path,
						  (long long)line, (int)(w > 24 ? 24 : w), s);
				break;
			}
			if (inrow > 0 && !sep && e > s && s[-1] != ' ' && s[-1] != '\t' && s[-1] != '\r' &&
			    s[-1] != ',' && s[-1] != ';') {
				rc = cf_error_set(err, CF_EFORMAT, "%s:%lld: field %lld is not a number", path,
						  (long long)line, (long long)inrow + 1);
				break;
			}
			s = e;
			sep = 0;
			if (cnt == cap) {
				double *nd;
				cap = cap ? 2 * cap : 1024;
				nd = realloc(data, (size_t)cap * sizeof *nd);
				if (!nd) {
					rc = cf_error_set(err, CF_ENOMEM, "out of memory reading '%s'", path);
					break;
				}
				data = nd;
			}
			data[cnt++] = x;
			inrow++;
		}
		if (rc == CF_OK && sep)
			rc = cf_error_set(err, CF_EFORMAT, "%s:%lld: empty field %lld after the last separator",
					  path, (long long)line, (long long)inrow + 1);
		if (rc == CF_OK && inrow > 0) {
			if (c < 0)
				c = inrow;
			else if (inrow != c)
				rc = cf_error_set(err, CF_EFORMAT, "%s:%lld: row has %lld values, expected %lld",
						  path, (long long)line, (long long)inrow, (long long)c);
			r++;
		}
		if (s < end && *s == '\n') {
			s++;
			line++;
		}
	}
	if (rc == CF_OK && r == 0)
		rc = cf_error_set(err, CF_EFORMAT, "'%s' holds no numbers", path);
	if (rc) {
		free(data);
		return rc;
	}
	*out = data;
	*rows = r;
	*cols = c;
	return CF_OK;
}

int cf_matfile_read(const char *path, double **out, int64_t *rows, int64_t *cols,
		    cf_error *err)
{
	size_t len;
	char *buf = slurp(path, &len, err);
	int rc;

	if (!buf)
		return err ? err->code : CF_EIO;
	if (len >= 8 && !memcmp(buf, CF_MATFILE_MAGIC, 8))
		rc = read_binary(path, (const unsigned char *)buf, len, out, rows, cols, err);
	else
		rc = read_text(path, buf, len, out, rows, cols, err);
	free(buf);
	return rc;
}

/* Little-endian doubles, encoded a chunk at a time so that a 4096x4096
 * plan takes a few hundred fwrite calls, not one per entry. */
static int write_binary(FILE *f, const double *a, int64_t rows, int64_t cols)
{
	enum { CHUNK = 8192 };
	unsigned char h[24], b[CHUNK * 8];
	int64_t total = rows * cols;

	memcpy(h, CF_MATFILE_MAGIC, 8);
	for (int k = 0; k < 8; k++) {
		h[8 + k] = (unsigned char)((uint64_t)rows >> (8 * k));
		h[16 + k] = (unsigned char)((uint64_t)cols >> (8 * k));
	}
	if (fwrite(h, 1, 24, f) != 24)
		return 1;
	for (int64_t q0 = 0; q0 < total; q0 += CHUNK) {
		int64_t len = total - q0 < CHUNK ? total - q0 : CHUNK;
		for (int64_t q = 0; q < len; q++) {
			uint64_t bits;
			memcpy(&bits, &a[q0 + q], 8);
			for (int k = 0; k < 8; k++)
				b[8 * q + k] = (unsigned char)(bits >> (8 * k));
		}
		if (fwrite(b, 8, (size_t)len, f) != (size_t)len)
			return 1;
	}
	return 0;
}

static int write_text(FILE *f, const double *a, int64_t rows, int64_t cols)
{
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < cols; j++)
			if (fprintf(f, "%.17g%c", a[i * cols + j], j + 1 < cols ? ',' : '\n') < 0)
				return 1;
	return 0;
}

int cf_matfile_write(const char *path, const double *a, int64_t rows, int64_t cols,
		     cf_error *err)
{
	size_t L = strlen(path);
	int bin = L >= 4 && !strcmp(path + L - 4, ".bin"), rc;
	cf_outfile o;

	if ((rc = cf_outfile_open(&o, path, err)) != CF_OK)
		return rc;
	/* a failed write sets the stream's error flag, which commit reports */
	(void)(bin ? write_binary(o.f, a, rows, cols) : write_text(o.f, a, rows, cols));
	return cf_outfile_commit(&o, err);
}
