/* zip.c — reading and writing the zip archives of PyTorch checkpoints
 * (see zip.h).
 *
 * The reader goes from the end-of-central-directory record to the central
 * directory, and from each central entry to its local header; every offset
 * and length read from the file is checked against the buffer before it is
 * used, in 64-bit arithmetic that cannot wrap (all fields are 32-bit).
 */
#include "zip.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define LOCAL_LEN 30
#define CENTRAL_LEN 46
#define END_LEN 22
#define ALIGN 64

static uint32_t rd16(const unsigned char *p) { return (uint32_t)cf_le_read(p, 2); }
static uint32_t rd32(const unsigned char *p) { return (uint32_t)cf_le_read(p, 4); }

void cf_zip_free(cf_zip *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++)
		free(z->e[i].name);
	free(z->e);
	free(z);
}

/* The end record: the last signature that leaves room for its comment. */
static int find_end(const unsigned char *buf, size_t len, size_t *at)
{
	size_t lo;

	if (len < END_LEN)
		return -1;
	lo = len - END_LEN > 0xffff ? len - END_LEN - 0xffff : 0;
	for (size_t p = len - END_LEN + 1; p-- > lo;) {
		if (rd32(buf + p) == SIG_END && p + END_LEN + rd16(buf + p + 20) == len) {
			*at = p;
			return 0;
		}
	}
	return -1;
}

static int read_entry(const unsigned char *buf, size_t cd_end, size_t data_end, size_t *pos,
		      cf_zip_entry *e, size_t idx, const char *what, cf_error *err)
{
	const unsigned char *c = buf + *pos, *l;
	uint32_t nlen, xlen, clen, flags;
	uint64_t loc, csize, usize, start;

	if (*pos + CENTRAL_LEN > cd_end || rd32(c) != SIG_CENTRAL)
		return cf_error_set(err, CF_EFORMAT, "%s: zip central directory entry %zu is truncated or has no signature",
				    what, idx);
	flags = rd16(c + 8);
	e->method = (int)rd16(c + 10);
	e->crc = rd32(c + 16);
	csize = rd32(c + 20);
	usize = rd32(c + 24);
	nlen = rd16(c + 28);
	xlen = rd16(c + 30);
	clen = rd16(c + 32);
	loc = rd32(c + 42);
	if ((uint64_t)*pos + CENTRAL_LEN + nlen + xlen + clen > cd_end)
		return cf_error_set(err, CF_EFORMAT, "%s: zip central directory entry %zu runs past the directory",
				    what, idx);
	if (nlen == 0)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %zu has an empty name", what, idx);
	for (uint32_t k = 0; k < nlen; k++)
		if (c[CENTRAL_LEN + k] < 0x20 || c[CENTRAL_LEN + k] == 0x7f)
			return cf_error_set(err, CF_EFORMAT, "%s: zip entry %zu has a control character in its name",
					    what, idx);
	e->name = malloc(nlen + 1);
	if (!e->name)
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
	memcpy(e->name, c + CENTRAL_LEN, nlen);
	e->name[nlen] = '\0';
	*pos += CENTRAL_LEN + nlen + xlen + clen;

	if (flags & 1u)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s is encrypted", what, e->name);
	if (csize == 0xffffffffu || usize == 0xffffffffu || loc == 0xffffffffu)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s uses zip64 sizes (over 4 GiB), which are not supported",
				    what, e->name);
	if (e->method != 0 && e->method != 8)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: compression method %d, expected 0 (stored) or 8 (deflate)",
				    what, e->name, e->method);
	if (e->method == 0 && csize != usize)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s is stored but its sizes differ (%llu, %llu)",
				    what, e->name, (unsigned long long)csize, (unsigned long long)usize);
	if (loc + LOCAL_LEN > data_end)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: local header at %llu is outside the data area",
				    what, e->name, (unsigned long long)loc);
	l = buf + loc;
	if (rd32(l) != SIG_LOCAL)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: no local header at offset %llu", what,
				    e->name, (unsigned long long)loc);
	start = loc + LOCAL_LEN + rd16(l + 26) + rd16(l + 28);
	if (rd16(l + 26) != nlen || start > data_end || memcmp(l + LOCAL_LEN, e->name, nlen) != 0)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: the local header does not match the directory",
				    what, e->name);
	if (start + csize > data_end)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: %llu bytes at offset %llu run past the data area (%zu bytes)",
				    what, e->name, (unsigned long long)csize, (unsigned long long)start, data_end);
	e->data = (size_t)start;
	e->csize = (size_t)csize;
	e->usize = (size_t)usize;
	return CF_OK;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const cf_zip_entry *)a)->name, ((const cf_zip_entry *)b)->name);
}

int cf_zip_open(const unsigned char *buf, size_t len, const char *what, cf_zip **out,
		cf_error *err)
{
	size_t end, pos;
	uint64_t cd_off, cd_size, n;
	cf_zip *z;
	int rc;

	*out = NULL;
	if (find_end(buf, len, &end))
		return cf_error_set(err, CF_EFORMAT, "%s: not a zip archive (no end of central directory record)", what);
	n = rd16(buf + end + 10);
	cd_size = rd32(buf + end + 12);
	cd_off = rd32(buf + end + 16);
	if (rd16(buf + end + 4) != 0 || rd16(buf + end + 6) != 0 || rd16(buf + end + 8) != n)
		return cf_error_set(err, CF_EFORMAT, "%s: multi-disk zip archives are not supported", what);
	if (n == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu)
		return cf_error_set(err, CF_EFORMAT, "%s: zip64 archive (over 4 GiB or 65535 entries) is not supported", what);
	/* The directory lies before the end record (and before PyTorch's zip64
	 * end records, which sit between the two). */
	if (cd_off + cd_size > end)
		return cf_error_set(err, CF_EFORMAT, "%s: zip central directory (%llu bytes at %llu) runs past its end record at %zu",
				    what, (unsigned long long)cd_size, (unsigned long long)cd_off, end);
	if (n * CENTRAL_LEN > cd_size)
		return cf_error_set(err, CF_EFORMAT, "%s: zip directory of %llu bytes cannot hold %llu entries", what,
				    (unsigned long long)cd_size, (unsigned long long)n);
	z = calloc(1, sizeof *z);
	if (!z || !(z->e = calloc(n ? (size_t)n : 1, sizeof *z->e))) {
		free(z);
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
	}
	z->buf = buf;
	z->len = len;
	pos = (size_t)cd_off;
	for (size_t i = 0; i < n; i++) {
		z->n = i + 1;
		rc = read_entry(buf, (size_t)(cd_off + cd_size), (size_t)cd_off, &pos, &z->e[i], i, what, err);
		if (rc) {
			cf_zip_free(z);
			return rc;
		}
	}
	/* Two entries of one name would make "the" storage ambiguous. */
	qsort(z->e, z->n, sizeof *z->e, cmp_name);
	for (size_t i = 1; i < z->n; i++)
		if (!strcmp(z->e[i - 1].name, z->e[i].name)) {
			rc = cf_error_set(err, CF_EFORMAT, "%s: zip entry %s appears twice", what, z->e[i].name);
			cf_zip_free(z);
			return rc;
		}
	*out = z;
	return CF_OK;
}

const cf_zip_entry *cf_zip_find(const cf_zip *z, const char *name)
{
	cf_zip_entry key;

	if (!z || !name || !z->n)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, z->e, z->n, sizeof *z->e, cmp_name);
}

int cf_zip_extract(const cf_zip *z, const cf_zip_entry *e, size_t max, const char *what,
		   unsigned char **data, size_t *len, cf_error *err)
{
	unsigned char *out;

	*data = NULL;
	*len = 0;
	if (e->usize > max)
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s has %zu bytes, more than the %zu expected at most",
				    what, e->name, e->usize, max);
	out = malloc(e->usize ? e->usize : 1);
	if (!out)
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory for %zu bytes", what, e->usize);
	if (e->method == 0) {
		memcpy(out, z->buf + e->data, e->usize);
	} else {
		z_stream s;
		int zr;
		memset(&s, 0, sizeof s);
		if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
			free(out);
			return cf_error_set(err, CF_ENOMEM, "%s: cannot start inflating %s", what, e->name);
		}
		s.next_in = (unsigned char *)(z->buf + e->data);
		s.avail_in = (uInt)e->csize;
		s.next_out = out;
		s.avail_out = (uInt)e->usize;
		zr = inflate(&s, Z_FINISH);
		inflateEnd(&s);
		if (zr != Z_STREAM_END || s.total_out != e->usize) {
			free(out);
			return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: the deflate data is corrupt or not %zu bytes long",
					    what, e->name, e->usize);
		}
	}
	if ((uint32_t)crc32_z(0, out, e->usize) != e->crc) {
		free(out);
		return cf_error_set(err, CF_EFORMAT, "%s: zip entry %s: CRC-32 mismatch (the file is damaged)", what,
				    e->name);
	}
	*data = out;
	*len = e->usize;
	return CF_OK;
}

/* ---- writing ----------------------------------------------------------- */

static void wr16(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void wr32(unsigned char *p, uint32_t v)
{
	wr16(p, v & 0xffff);
	wr16(p + 2, v >> 16);
}

/* Fields shared by the local header (at p + 4) and the central entry (at
 * p + 6): version needed, flags, method, time, date, crc, sizes, name len. */
static void common(unsigned char *p, uint32_t crc, size_t size, size_t nlen)
{
	wr16(p, 20);
	wr16(p + 2, 0);
	wr16(p + 4, 0);
	wr16(p + 6, 0);
	wr16(p + 8, 0x21);   /* 1980-01-01, a fixed date: same model, same bytes */
	wr32(p + 10, crc);
	wr32(p + 14, (uint32_t)size);
	wr32(p + 18, (uint32_t)size);
	wr16(p + 22, (uint32_t)nlen);
}

int cf_zip_build(const cf_zip_in *files, size_t n, unsigned char **out, size_t *len,
		 cf_error *err)
{
	uint64_t total = END_LEN, cd = 0;
	size_t *off, pos = 0;
	unsigned char *b;

	*out = NULL;
	*len = 0;
	if (n >= 0xffff)
		return cf_error_set(err, CF_EINVAL, "zip: %zu entries, at most 65534 supported", n);
	off = calloc(n ? n : 1, sizeof *off);
	if (!off)
		return cf_error_set(err, CF_ENOMEM, "zip: out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t nlen = strlen(files[i].name);
		if (nlen == 0 || nlen > 0xffff - 4 || files[i].len >= 0xffffffffu) {
			free(off);
			return cf_error_set(err, CF_EINVAL, "zip: entry '%s' has a name or size the format cannot hold",
					    files[i].name);
		}
		total += LOCAL_LEN + nlen + 4 + ALIGN + files[i].len + CENTRAL_LEN + nlen;
	}
	if (total >= 0xffffffffu) {
		free(off);
		return cf_error_set(err, CF_EINVAL, "zip: %llu bytes, more than the 4 GiB a classic archive holds",
				    (unsigned long long)total);
	}
	b = calloc(1, (size_t)total);
	if (!b) {
		free(off);
		return cf_error_set(err, CF_ENOMEM, "zip: out of memory for %llu bytes", (unsigned long long)total);
	}
	for (size_t i = 0; i < n; i++) {
		size_t nlen = strlen(files[i].name), pad;
		uint32_t crc = (uint32_t)crc32_z(0, files[i].data, files[i].len);
		off[i] = pos;
		pad = (ALIGN - (pos + LOCAL_LEN + nlen + 4) % ALIGN) % ALIGN;
		wr32(b + pos, SIG_LOCAL);
		common(b + pos + 4, crc, files[i].len, nlen);
		wr16(b + pos + 28, (uint32_t)(4 + pad));
		memcpy(b + pos + LOCAL_LEN, files[i].name, nlen);
		pos += LOCAL_LEN + nlen;
		/* A padding extra field ("FB", PyTorch's id) aligns the data. */
		b[pos] = 'F';
		b[pos + 1] = 'B';
		wr16(b + pos + 2, (uint32_t)pad);
		memset(b + pos + 4, 'Z', pad);
		pos += 4 + pad;
		if (files[i].len)
			memcpy(b + pos, files[i].data, files[i].len);
		pos += files[i].len;
	}
	cd = pos;
	for (size_t i = 0; i < n; i++) {
		size_t nlen = strlen(files[i].name);
		const unsigned char *l = b + off[i];
		wr32(b + pos, SIG_CENTRAL);
		wr16(b + pos + 4, 20);
		memcpy(b + pos + 6, l + 4, 24);   /* version needed .. name length */
		wr16(b + pos + 30, 0);              /* no extra field here */
		wr32(b + pos + 42, (uint32_t)off[i]);
		memcpy(b + pos + CENTRAL_LEN, files[i].name, nlen);
		pos += CENTRAL_LEN + nlen;
	}
	wr32(b + pos, SIG_END);
	wr16(b + pos + 8, (uint32_t)n);
	wr16(b + pos + 10, (uint32_t)n);
	wr32(b + pos + 12, (uint32_t)(pos - cd));
	wr32(b + pos + 16, (uint32_t)cd);
	pos += END_LEN;
	free(off);
	*out = b;
	*len = pos;
	return CF_OK;
}
