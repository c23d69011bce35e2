/* st.c — safetensors reader and writer (see st.h).
 *
 * The reader treats the file as untrusted: jansson parses the JSON header
 * (rejecting duplicate keys), every field's type is checked, and the
 * tensors, sorted by data_offsets, must tile the data buffer exactly — no
 * gaps, no overlaps, nothing left over — as the reference implementation
 * (huggingface/safetensors tensor.rs) demands.  Values are decoded byte by
 * byte from little-endian, so neither the host's byte order nor the
 * buffer's alignment matters, and converted to float32 on load.
 *
 * The writer stores float32 only, so every tensor has the same alignment
 * and the reference's "by alignment, then by name" order reduces to "by
 * name".  It writes through cf_outfile (a temporary file in the target's
 * directory, synced and renamed over the target), so a reader never sees a
 * half-written model and a failed write leaves the old file untouched.
 */
#define _POSIX_C_SOURCE 200809L

#include "st.h"
#include "bytes.h"
#include "infile.h"
#include "outfile.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The reference reader's limit on the JSON header. */
#define ST_MAX_HEADER 100000000ULL

/* ---- dtypes ------------------------------------------------------------ */

enum st_kind { K_UNSUPPORTED, K_F32, K_F16, K_BF16, K_F64, K_I64, K_I32,
	       K_I16, K_I8, K_U64, K_U32, K_U16, K_U8, K_BOOL };

struct st_dtype {
	const char *name;
	int bytes;          /* element size; 0 for sub-byte types */
	enum st_kind kind;
};

/* Every dtype of the reference format, so that a known but unsupported one
 * gets a different message from a misspelt one. */
static const struct st_dtype st_dtypes[] = {
	{"F32", 4, K_F32},   {"F16", 2, K_F16},   {"BF16", 2, K_BF16},
	{"F64", 8, K_F64},   {"I64", 8, K_I64},   {"I32", 4, K_I32},
	{"I16", 2, K_I16},   {"I8", 1, K_I8},     {"U64", 8, K_U64},
	{"U32", 4, K_U32},   {"U16", 2, K_U16},   {"U8", 1, K_U8},
	{"BOOL", 1, K_BOOL},
	{"F4", 0, K_UNSUPPORTED}, {"F6_E2M3", 0, K_UNSUPPORTED},
	{"F6_E3M2", 0, K_UNSUPPORTED}, {"F8_E5M2", 1, K_UNSUPPORTED},
	{"F8_E4M3", 1, K_UNSUPPORTED}, {"F8_E8M0", 1, K_UNSUPPORTED},
	{"F8_E4M3FNUZ", 1, K_UNSUPPORTED}, {"F8_E5M2FNUZ", 1, K_UNSUPPORTED},
	{"C64", 8, K_UNSUPPORTED},
};

#define ST_SUPPORTED "F32, F16, BF16, F64, I64, I32, I16, I8, U64, U32, U16, U8, BOOL"

static const struct st_dtype *st_dtype_find(const char *name)
{
	for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
		if (strcmp(st_dtypes[i].name, name) == 0)
			return &st_dtypes[i];
	return NULL;
}

/* IEEE half to single, by hand: every half is exactly representable. */
static float st_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31;
	uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
	float f;

	if (exp == 0) {
		/* zero or subnormal: mant * 2^-24, exact in float */
		f = ldexpf((float)mant, -24);
		return sign ? -f : f;
	}
	if (exp == 31)      /* inf, or nan keeping its payload (mant != 0) */
		bits = sign | 0x7f800000u | (mant << 13);
	else
		bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
	memcpy(&f, &bits, sizeof f);
	return f;
}

static void st_convert(const unsigned char *p, int64_t n, enum st_kind kind,
		       float *out)
{
	for (int64_t i = 0; i < n; i++) {
		uint32_t u32;
		uint64_t u64;
		double d;
		switch (kind) {
		case K_F32:
			u32 = (uint32_t)cf_le_read(p + 4 * i, 4);
			memcpy(&out[i], &u32, sizeof u32);
			break;
		case K_F16:
			out[i] = st_f16_to_f32((uint16_t)cf_le_read(p + 2 * i, 2));
			break;
		case K_BF16:
			u32 = (uint32_t)cf_le_read(p + 2 * i, 2) << 16;
			memcpy(&out[i], &u32, sizeof u32);
			break;
		case K_F64:
			u64 = cf_le_read(p + 8 * i, 8);
			memcpy(&d, &u64, sizeof d);
			out[i] = (float)d;
			break;
		case K_I64: out[i] = (float)(int64_t)cf_le_read(p + 8 * i, 8); break;
		case K_I32: out[i] = (float)(int32_t)cf_le_read(p + 4 * i, 4); break;
		case K_I16: out[i] = (float)(int16_t)cf_le_read(p + 2 * i, 2); break;
		case K_I8: out[i] = (float)(int8_t)p[i]; break;
		case K_U64: out[i] = (float)cf_le_read(p + 8 * i, 8); break;
		case K_U32: out[i] = (float)(uint32_t)cf_le_read(p + 4 * i, 4); break;
		case K_U16: out[i] = (float)(uint16_t)cf_le_read(p + 2 * i, 2); break;
		case K_U8: out[i] = (float)p[i]; break;
		case K_BOOL: out[i] = p[i] ? 1.0f : 0.0f; break;
		case K_UNSUPPORTED: out[i] = 0.0f; break;
		}
	}
}

int cf_st_decode(const char *dtype, const unsigned char *p, int64_t n, float *out)
{
	const struct st_dtype *dt = st_dtype_find(dtype);
	if (!dt || dt->kind == K_UNSUPPORTED)
		return -1;
	st_convert(p, n, dt->kind, out);
	return 0;
}

/* ---- reading ----------------------------------------------------------- */

void cf_st_free(cf_st_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->t[i].name);
		free(f->t[i].data);
	}
	free(f->t);
	for (size_t i = 0; i < f->nmeta; i++) {
		free(f->meta_key[i]);
		free(f->meta_val[i]);
	}
	free(f->meta_key);
	free(f->meta_val);
	free(f);
}

/* A tensor entry while parsing: the header's offsets, kept until the
 * contiguity check, then dropped. */
struct st_entry {
	cf_st_tensor *t;
	const struct st_dtype *dt;
	uint64_t begin, end;
};

static int st_cmp_entry(const void *a, const void *b)
{
	const struct st_entry *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/* Shape "[2,3]" for messages. */
static void st_shape_str(const cf_st_tensor *t, char *buf, size_t len)
{
	size_t k = 0;
	k += (size_t)snprintf(buf, len, "[");
	for (int d = 0; d < t->ndim && k < len; d++)
		k += (size_t)snprintf(buf + k, len - k, "%s%lld", d ? "," : "",
				      (long long)t->shape[d]);
	if (k < len)
		snprintf(buf + k, len - k, "]");
}

/* A non-negative JSON integer, or -1. */
static long long st_json_uint(const json_t *v)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	return json_integer_value(v);
}

static int st_parse_meta(const char *what, json_t *m, cf_st_file *f, cf_error *err)
{
	const char *key;
	json_t *val;
	size_t n = json_object_size(m), i = 0;

	if (!json_is_object(m))
		return cf_error_set(err, CF_EFORMAT,
				    "%s: __metadata__ is not an object of strings", what);
	f->meta_key = calloc(n ? n : 1, sizeof *f->meta_key);
	f->meta_val = calloc(n ? n : 1, sizeof *f->meta_val);
	if (!f->meta_key || !f->meta_val)
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
	json_object_foreach(m, key, val) {
		if (!json_is_string(val))
			return cf_error_set(err, CF_EFORMAT,
					    "%s: __metadata__ entry '%s' is not a string", what, key);
		f->meta_key[i] = strdup(key);
		f->meta_val[i] = strdup(json_string_value(val));
		f->nmeta = ++i;
		if (!f->meta_key[i - 1] || !f->meta_val[i - 1])
			return cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
	}
	return CF_OK;
}

/* One "name": {"dtype", "shape", "data_offsets"} entry, types checked. */
static int st_parse_entry(const char *what, const char *name, json_t *info,
			  struct st_entry *e, cf_error *err)
{
	json_t *dtype, *shape, *offs;
	const char *ds;
	cf_st_tensor *t = e->t;

	if (!json_is_object(info))
		return cf_error_set(err, CF_EFORMAT,
				    "%s: tensor '%s': expected an object with dtype, shape and data_offsets",
				    what, name);
	dtype = json_object_get(info, "dtype");
	shape = json_object_get(info, "shape");
	offs = json_object_get(info, "data_offsets");
	if (!dtype || !json_is_string(dtype))
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': %s dtype, expected a string such as \"F32\"",
				    what, name, dtype ? "non-string" : "missing");
	ds = json_string_value(dtype);
	e->dt = st_dtype_find(ds);
	if (!e->dt)
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': unknown dtype \"%.20s\" (expected one of " ST_SUPPORTED ")",
				    what, name, ds);
	if (e->dt->kind == K_UNSUPPORTED)
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': dtype %s is not supported (clafuse reads " ST_SUPPORTED ")",
				    what, name, ds);
	snprintf(t->dtype, sizeof t->dtype, "%s", ds);

	if (!shape || !json_is_array(shape))
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': %s shape, expected an array of non-negative integers",
				    what, name, shape ? "malformed" : "missing");
	if (json_array_size(shape) > CF_ST_MAXDIM)
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': shape has %zu dimensions, at most %d supported",
				    what, name, json_array_size(shape), CF_ST_MAXDIM);
	t->ndim = (int)json_array_size(shape);
	t->size = 1;
	for (int d = 0; d < t->ndim; d++) {
		long long s = st_json_uint(json_array_get(shape, (size_t)d));
		if (s < 0)
			return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': shape entry %d is not a non-negative integer",
					    what, name, d);
		t->shape[d] = s;
		if (s != 0 && t->size > INT64_MAX / s)
			return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': shape overflows (element count beyond 2^63)",
					    what, name);
		t->size *= s;
	}
	if (t->size > INT64_MAX / e->dt->bytes)
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': byte size overflows", what, name);

	if (!offs || !json_is_array(offs) || json_array_size(offs) != 2 ||
	    st_json_uint(json_array_get(offs, 0)) < 0 || st_json_uint(json_array_get(offs, 1)) < 0)
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': %s data_offsets, expected [BEGIN, END], two non-negative integers",
				    what, name, offs ? "malformed" : "missing");
	e->begin = (uint64_t)json_integer_value(json_array_get(offs, 0));
	e->end = (uint64_t)json_integer_value(json_array_get(offs, 1));
	if (e->begin > e->end)
		return cf_error_set(err, CF_EFORMAT, "%s: tensor '%s': data_offsets [%llu,%llu] end before they begin",
				    what, name, (unsigned long long)e->begin, (unsigned long long)e->end);
	return CF_OK;
}

/* Sorted by offsets, the entries must tile [0, datalen) exactly, and each
 * one's byte count must match its shape and dtype. */
static int st_check_layout(const char *what, struct st_entry *e, size_t n,
			   uint64_t datalen, cf_error *err)
{
	uint64_t pos = 0;
	const char *prev = NULL;

	qsort(e, n, sizeof *e, st_cmp_entry);
	for (size_t i = 0; i < n; i++) {
		const cf_st_tensor *t = e[i].t;
		uint64_t need = (uint64_t)t->size * (uint64_t)e[i].dt->bytes;
		char sh[128];

		if (e[i].begin < pos)
			return cf_error_set(err, CF_EFORMAT,
					    "%s: tensor '%s': data_offsets [%llu,%llu] overlap tensor '%s', which ends at %llu",
					    what, t->name, (unsigned long long)e[i].begin,
					    (unsigned long long)e[i].end, prev, (unsigned long long)pos);
		if (e[i].begin > pos)
			return cf_error_set(err, CF_EFORMAT,
					    "%s: tensor '%s': data_offsets [%llu,%llu] leave a gap of %llu bytes after %s%s%s (tensors must be contiguous)",
					    what, t->name, (unsigned long long)e[i].begin,
					    (unsigned long long)e[i].end,
					    (unsigned long long)(e[i].begin - pos),
					    prev ? "tensor '" : "the start of the data",
					    prev ? prev : "", prev ? "'" : "");
		st_shape_str(t, sh, sizeof sh);
		if (e[i].end - e[i].begin != need)
			return cf_error_set(err, CF_EFORMAT,
					    "%s: tensor '%s': data_offsets [%llu,%llu] hold %llu bytes, shape %s of %s needs %llu",
					    what, t->name, (unsigned long long)e[i].begin,
					    (unsigned long long)e[i].end,
					    (unsigned long long)(e[i].end - e[i].begin), sh,
					    t->dtype, (unsigned long long)need);
		if (e[i].end > datalen)
			return cf_error_set(err, CF_EFORMAT,
					    "%s: tensor '%s': data_offsets [%llu,%llu] run past the end of the data (%llu bytes; file truncated?)",
					    what, t->name, (unsigned long long)e[i].begin,
					    (unsigned long long)e[i].end, (unsigned long long)datalen);
		pos = e[i].end;
		prev = t->name;
	}
	if (pos != datalen)
		return cf_error_set(err, CF_EFORMAT,
				    "%s: tensors cover %llu bytes but the data section holds %llu (trailing bytes not described by the header)",
				    what, (unsigned long long)pos, (unsigned long long)datalen);
	return CF_OK;
}

int cf_st_read_mem(const unsigned char *buf, size_t len, const char *what,
		   cf_st_file **out, cf_error *err)
{
	uint64_t hlen;
	json_t *root = NULL, *val;
	json_error_t jerr;
	const char *key;
	cf_st_file *f = NULL;
	struct st_entry *ent = NULL;
	size_t nt, i;
	int rc = CF_OK;

	*out = NULL;
	if (!what)
		what = "safetensors buffer";
	if (len < 8)
		return cf_error_set(err, CF_EFORMAT,
				    "%s: %zu bytes, too short for the 8-byte header length (truncated file?)",
				    what, len);
	hlen = cf_le_read(buf, 8);
	if (hlen > ST_MAX_HEADER)
		return cf_error_set(err, CF_EFORMAT,
				    "%s: header length %llu exceeds the limit of %llu bytes (not a safetensors file?)",
				    what, (unsigned long long)hlen, ST_MAX_HEADER);
	if (hlen > len - 8)
		return cf_error_set(err, CF_EFORMAT,
				    "%s: header length %llu runs past the end of the file (%zu bytes; truncated?)",
				    what, (unsigned long long)hlen, len);
	root = json_loadb((const char *)buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return cf_error_set(err, CF_EFORMAT,
				    "%s: header is not valid JSON: %s (header byte %d)",
				    what, jerr.text, jerr.position);
	if (!json_is_object(root)) {
		rc = cf_error_set(err, CF_EFORMAT, "%s: header is JSON but not an object", what);
		goto done;
	}

	f = calloc(1, sizeof *f);
	nt = json_object_size(root);
	ent = calloc(nt ? nt : 1, sizeof *ent);
	if (!f || !ent || !(f->t = calloc(nt ? nt : 1, sizeof *f->t))) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
		goto done;
	}
	json_object_foreach(root, key, val) {
		if (strcmp(key, "__metadata__") == 0) {
			if ((rc = st_parse_meta(what, val, f, err)) != CF_OK)
				goto done;
			continue;
		}
		ent[f->n].t = &f->t[f->n];
		if (!(f->t[f->n].name = strdup(key))) {
			rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
			goto done;
		}
		f->n++;
		if ((rc = st_parse_entry(what, key, val, &ent[f->n - 1], err)) != CF_OK)
			goto done;
	}
	if ((rc = st_check_layout(what, ent, f->n, len - 8 - hlen, err)) != CF_OK)
		goto done;

	/* Decode in offset order; f->t follows the sorted entries. */
	{
		cf_st_tensor *sorted = calloc(f->n ? f->n : 1, sizeof *sorted);
		const unsigned char *data = buf + 8 + hlen;
		if (!sorted) {
			rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
			goto done;
		}
		for (i = 0; i < f->n; i++)
			sorted[i] = *ent[i].t;
		free(f->t);
		f->t = sorted;
		for (i = 0; i < f->n; i++) {
			cf_st_tensor *t = &f->t[i];
			if ((uint64_t)t->size > SIZE_MAX / sizeof(float) - 1 ||
			    !(t->data = malloc((size_t)(t->size ? t->size : 1) * sizeof(float)))) {
				rc = cf_error_set(err, CF_ENOMEM, "%s: tensor '%s': out of memory for %lld values",
						  what, t->name, (long long)t->size);
				goto done;
			}
			st_convert(data + ent[i].begin, t->size, ent[i].dt->kind, t->data);
		}
	}

done:
	json_decref(root);
	free(ent);
	if (rc != CF_OK) {
		cf_st_free(f);
		return rc;
	}
	*out = f;
	return CF_OK;
}

int cf_st_read(const char *path, cf_st_file **out, cf_error *err)
{
	unsigned char *buf;
	size_t size;
	int rc;

	*out = NULL;
	if ((rc = cf_infile_read_all(path, &buf, &size, err)))
		return rc;
	rc = cf_st_read_mem(buf, size, path, out, err);
	free(buf);
	return rc;
}

const cf_st_tensor *cf_st_find(const cf_st_file *f, const char *name)
{
	if (!f || !name)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->t[i].name, name) == 0)
			return &f->t[i];
	return NULL;
}

const char *cf_st_meta(const cf_st_file *f, const char *key)
{
	if (!f || !key)
		return NULL;
	for (size_t i = 0; i < f->nmeta; i++)
		if (strcmp(f->meta_key[i], key) == 0)
			return f->meta_val[i];
	return NULL;
}

/* ---- writing ----------------------------------------------------------- */

static int st_cmp_name(const void *a, const void *b)
{
	const cf_st_out *x = *(const cf_st_out *const *)a, *y = *(const cf_st_out *const *)b;
	return strcmp(x->name, y->name);
}

/* Build the padded header (length prefix excluded) for tensors in `ord`. */
static int st_build_header(const char *path, const cf_st_out *const *ord, size_t n,
			   const int64_t *count, const char *const *meta_key,
			   const char *const *meta_val, size_t nmeta,
			   char **hdr, size_t *hlen, cf_error *err)
{
	json_t *root = json_object(), *meta = NULL;
	uint64_t off = 0;
	char *s = NULL;
	size_t len, padded;
	int rc = CF_OK;

	if (!root)
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	if (nmeta) {
		meta = json_object();
		if (!meta || json_object_set_new(root, "__metadata__", meta) != 0) {
			rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
			goto done;
		}
		for (size_t i = 0; i < nmeta; i++) {
			json_t *v;
			if (!meta_key[i] || !meta_val[i]) {
				rc = cf_error_set(err, CF_EINVAL, "%s: metadata entry %zu has a NULL key or value", path, i);
				goto done;
			}
			if (json_object_get(meta, meta_key[i])) {
				rc = cf_error_set(err, CF_EINVAL, "%s: metadata key '%s' given twice", path, meta_key[i]);
				goto done;
			}
			v = json_string(meta_val[i]);
			if (!v || json_object_set_new(meta, meta_key[i], v) != 0) {
				rc = cf_error_set(err, CF_EINVAL, "%s: metadata entry '%s' is not valid UTF-8", path, meta_key[i]);
				goto done;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_t *info = json_object(), *shape = json_array(), *offs = json_array();
		uint64_t bytes = (uint64_t)count[i] * 4;
		int bad = !info || !shape || !offs;

		for (int d = 0; !bad && d < ord[i]->ndim; d++)
			bad = json_array_append_new(shape, json_integer(ord[i]->shape[d])) != 0;
		bad = bad || json_array_append_new(offs, json_integer((json_int_t)off)) != 0 ||
		      json_array_append_new(offs, json_integer((json_int_t)(off + bytes))) != 0 ||
		      json_object_set_new(info, "dtype", json_string("F32")) != 0;
		if (bad) {
			json_decref(info);
			json_decref(shape);
			json_decref(offs);
			rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
			goto done;
		}
		json_object_set_new(info, "shape", shape);
		json_object_set_new(info, "data_offsets", offs);
		if (json_object_set_new(root, ord[i]->name, info) != 0) {
			rc = cf_error_set(err, CF_EINVAL, "%s: tensor name '%s' is not valid UTF-8", path, ord[i]->name);
			goto done;
		}
		off += bytes;
	}
	s = json_dumps(root, JSON_COMPACT);
	if (!s) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: cannot serialise the header", path);
		goto done;
	}
	len = strlen(s);
	padded = (len + 7) / 8 * 8;
	*hdr = malloc(padded);
	if (!*hdr) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		goto done;
	}
	memcpy(*hdr, s, len);
	memset(*hdr + len, ' ', padded - len);
	*hlen = padded;
done:
	free(s);
	json_decref(root);
	return rc;
}

static int st_write_all(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

/* Write header and data to f; -1 on failure (f's error flag is set). */
static int st_write_stream(FILE *f, const char *hdr, size_t hlen,
		       const cf_st_out *const *ord, size_t n, const int64_t *count)
{
	unsigned char lenbuf[8], chunk[65536];
	size_t k = 0;

	for (int i = 0; i < 8; i++)
		lenbuf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
	if (st_write_all(f, lenbuf, 8) || st_write_all(f, hdr, hlen))
		return -1;
	for (size_t i = 0; i < n; i++) {
		for (int64_t j = 0; j < count[i]; j++) {
			uint32_t u;
			memcpy(&u, &ord[i]->data[j], sizeof u);
			for (int b = 0; b < 4; b++)
				chunk[k++] = (unsigned char)(u >> (8 * b));
			if (k == sizeof chunk) {
				if (st_write_all(f, chunk, k))
					return -1;
				k = 0;
			}
		}
	}
	if (k && st_write_all(f, chunk, k))
		return -1;
	return 0;
}

int cf_st_write(const char *path, const cf_st_out *ts, size_t n,
		const char *const *meta_key, const char *const *meta_val,
		size_t nmeta, cf_error *err)
{
	const cf_st_out **ord = NULL;
	int64_t *count = NULL;
	char *hdr = NULL;
	size_t hlen = 0;
	int rc = CF_OK;
	cf_outfile o;

	if (!path || !*path)
		return cf_error_set(err, CF_EINVAL, "safetensors write: empty file name");
	if (n && !ts)
		return cf_error_set(err, CF_EINVAL, "%s: %zu tensors but no array", path, n);
	if (nmeta && (!meta_key || !meta_val))
		return cf_error_set(err, CF_EINVAL, "%s: %zu metadata entries but no arrays", path, nmeta);
	ord = malloc((n ? n : 1) * sizeof *ord);
	if (!ord)
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < n; i++)
		ord[i] = &ts[i];

	/* Validate everything before touching the file system. */
	for (size_t i = 0; i < n; i++) {
		const cf_st_out *t = &ts[i];
		if (!t->name || !*t->name || strcmp(t->name, "__metadata__") == 0) {
			rc = cf_error_set(err, CF_EINVAL, "%s: tensor %zu has %s name", path, i,
					  t->name && *t->name ? "the reserved" : "an empty");
			goto done;
		}
		if (t->ndim < 0 || t->ndim > CF_ST_MAXDIM || (t->ndim && !t->shape)) {
			rc = cf_error_set(err, CF_EINVAL, "%s: tensor '%s': %d dimensions, expected 0..%d",
					  path, t->name, t->ndim, CF_ST_MAXDIM);
			goto done;
		}
	}
	qsort(ord, n, sizeof *ord, st_cmp_name);
	count = malloc((n ? n : 1) * sizeof *count);
	if (!count) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const cf_st_out *t = ord[i];
		int64_t c = 1;
		if (i > 0 && strcmp(ord[i - 1]->name, t->name) == 0) {
			rc = cf_error_set(err, CF_EINVAL, "%s: tensor name '%s' given twice", path, t->name);
			goto done;
		}
		for (int d = 0; d < t->ndim; d++) {
			if (t->shape[d] < 0 || (t->shape[d] && c > INT64_MAX / 4 / t->shape[d])) {
				rc = cf_error_set(err, CF_EINVAL, "%s: tensor '%s': bad shape entry %lld",
						  path, t->name, (long long)t->shape[d]);
				goto done;
			}
			c *= t->shape[d];
		}
		if (c > 0 && !t->data) {
			rc = cf_error_set(err, CF_EINVAL, "%s: tensor '%s': no data", path, t->name);
			goto done;
		}
		count[i] = c;
	}
	if ((rc = st_build_header(path, ord, n, count, meta_key, meta_val, nmeta,
				  &hdr, &hlen, err)) != CF_OK)
		goto done;

	if ((rc = cf_outfile_open(&o, path, err)) != CF_OK)
		goto done;
	(void)st_write_stream(o.f, hdr, hlen, ord, n, count); /* commit reports errors */
	rc = cf_outfile_commit(&o, err);
done:
	free(hdr);
	free(count);
	free(ord);
	return rc;
}
