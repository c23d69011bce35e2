/* pt.c — PyTorch checkpoints in both torch.save formats (see pt.h).
 *
 * Reading is: unpickle the object (pickle.c, which refuses anything but a
 * state dict's types), find the state dict, resolve each tensor's storage
 * key to bytes in the file (a zip entry, or a segment of the legacy
 * stream), then gather each view into a contiguous float32 tensor.  The
 * storages are resolved once per key, so tensors that share one (tied
 * weights, views of one buffer) read the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "pt.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "pickle.h"
#include "zip.h"

/* The pickle of a state dict is small next to its storages; this bounds
 * what a hostile zip entry can make us inflate. */
#define PKL_MAX ((size_t)1 << 30)
#define NAME_MAX_LEN 255
#define META_MAX 64

static const unsigned char legacy_magic[10] = {
	0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19
};

int cf_pt_sniff(const unsigned char *buf, size_t len)
{
	if (len >= 4 && !memcmp(buf, "PK\x03\x04", 4))
		return 1;
	return len >= 4 && buf[0] == 0x80 && buf[1] == 2 && buf[2] == 0x8a && buf[3] == 10;
}

/* A storage of the file: its key, what the references say, its bytes. */
typedef struct pt_storage {
	const char *key;
	enum cf_pkl_dtype dtype;
	int64_t numel;
	const unsigned char *bytes;   /* into the file buffer or `own` */
	unsigned char *own;
	int found;
} pt_storage;

typedef struct pt_reader {
	const char *what;
	const unsigned char *buf;
	size_t len;
	cf_pkl *obj;
	pt_storage *st;
	size_t nst;
	int legacy;
	const cf_zip *zip;
	const char *prefix;
	size_t prefix_len;
} pt_reader;

/* Every storage reference in the object (they all live in the arena), one
 * entry per key; references to one key must agree on type and size. */
static int collect_storages(pt_reader *r, cf_error *err)
{
	size_t cap = 0;

	for (cf_pkl_value *v = r->obj->arena; v; v = v->next_alloc) {
		size_t k;
		if (v->kind != CF_PKL_STORAGE)
			continue;
		for (k = 0; k < r->nst; k++)
			if (!strcmp(r->st[k].key, v->key))
				break;
		if (k < r->nst) {
			if (r->st[k].dtype != v->dtype || r->st[k].numel != v->numel)
				return cf_error_set(err, CF_EFORMAT, "%s: storage %s is referenced as both %s[%lld] and %s[%lld]",
						    r->what, v->key, cf_pkl_dtype_name(r->st[k].dtype),
						    (long long)r->st[k].numel, cf_pkl_dtype_name(v->dtype),
						    (long long)v->numel);
			continue;
		}
		if (r->nst == cap) {
			size_t nc = cap ? 2 * cap : 16;
			pt_storage *s = realloc(r->st, nc * sizeof *s);
			if (!s)
				return cf_error_set(err, CF_ENOMEM, "%s: out of memory", r->what);
			r->st = s;
			cap = nc;
		}
		memset(&r->st[r->nst], 0, sizeof r->st[r->nst]);
		r->st[r->nst].key = v->key;
		r->st[r->nst].dtype = v->dtype;
		r->st[r->nst].numel = v->numel;
		r->nst++;
	}
	return CF_OK;
}

static pt_storage *storage_of(pt_reader *r, const char *key)
{
	for (size_t k = 0; k < r->nst; k++)
		if (!strcmp(r->st[k].key, key))
			return &r->st[k];
	return NULL;
}

static int storage_bytes(const pt_reader *r, const pt_storage *s, size_t *nb, cf_error *err)
{
	if (__builtin_mul_overflow((uint64_t)s->numel, (uint64_t)cf_pkl_dtype_size(s->dtype), nb))
		return cf_error_set(err, CF_EFORMAT, "%s: storage %s: %lld elements overflow", r->what, s->key,
				    (long long)s->numel);
	return CF_OK;
}

/* Zip: storage KEY is the entry PREFIX/data/KEY, stored with exactly the
 * bytes its reference says. */
static int resolve_zip(pt_reader *r, cf_error *err)
{
	for (size_t k = 0; k < r->nst; k++) {
		pt_storage *s = &r->st[k];
		char name[512];
		const cf_zip_entry *e;
		size_t nb, got;
		int rc;

		if ((rc = storage_bytes(r, s, &nb, err)))
			return rc;
		if ((size_t)snprintf(name, sizeof name, "%.*s/data/%s", (int)r->prefix_len, r->prefix, s->key) >= sizeof name)
			return cf_error_set(err, CF_EFORMAT, "%s: storage key %.40s... is too long", r->what, s->key);
		if (!(e = cf_zip_find(r->zip, name)))
			return cf_error_set(err, CF_EFORMAT, "%s: storage %s is not in the file (no zip entry %s)",
					    r->what, s->key, name);
		if (e->usize != nb)
			return cf_error_set(err, CF_EFORMAT, "%s: storage %s has %zu bytes, its reference says %lld elements of %s (%zu bytes)",
					    r->what, s->key, e->usize, (long long)s->numel,
					    cf_pkl_dtype_name(s->dtype), nb);
		if (e->method == 0) {
			s->bytes = r->buf + e->data;
		} else {
			if ((rc = cf_zip_extract(r->zip, e, nb, r->what, &s->own, &got, err)))
				return rc;
			s->bytes = s->own;
		}
		s->found = 1;
	}
	return CF_OK;
}

/* A string of 1..max printable characters: names that go into paths,
 * tensor names and one-line messages. */
static int printable(const cf_pkl_value *v, size_t max)
{
	if (v->kind != CF_PKL_STR || v->slen == 0 || v->slen > max)
		return 0;
	for (size_t j = 0; j < v->slen; j++)
		if ((unsigned char)v->s[j] < 0x20 || v->s[j] == 0x7f)
			return 0;
	return 1;
}

/* Legacy: after the keys list, each storage in the list's order as an
 * int64 element count and its bytes. */
static int resolve_legacy(pt_reader *r, const cf_pkl_value *keys, size_t pos, cf_error *err)
{
	if (keys->kind != CF_PKL_LIST)
		return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: the fifth pickle is not the list of storage keys",
				    r->what);
	for (size_t i = 0; i < keys->n; i++) {
		const cf_pkl_value *kv = keys->items[i];
		pt_storage *s;
		size_t nb;
		int64_t count;
		int rc;

		if (!printable(kv, NAME_MAX_LEN))
			return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: storage key %zu is not a printable string",
					    r->what, i);
		if (!(s = storage_of(r, kv->s)))
			return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: storage %s is listed but no tensor uses it",
					    r->what, kv->s);
		if (s->found)
			return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: storage %s is listed twice", r->what, kv->s);
		if ((rc = storage_bytes(r, s, &nb, err)))
			return rc;
		if (r->len - pos < 8)
			return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: storage %s: the file ends before its size (truncated)",
					    r->what, s->key);
		count = (int64_t)cf_le_read(r->buf + pos, 8);
		pos += 8;
		if (count != s->numel)
			return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: storage %s holds %lld elements, its reference says %lld",
					    r->what, s->key, (long long)count, (long long)s->numel);
		if (r->len - pos < nb)
			return cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint: storage %s needs %zu bytes, %zu remain (truncated)",
					    r->what, s->key, nb, r->len - pos);
		s->bytes = r->buf + pos;
		s->found = 1;
		pos += nb;
	}
	for (size_t k = 0; k < r->nst; k++)
		if (!r->st[k].found)
			return cf_error_set(err, CF_EFORMAT, "%s: storage %s is not in the file (not among the listed keys)",
					    r->what, r->st[k].key);
	return CF_OK;
}

static int is_tensor_dict(const cf_pkl_value *d)
{
	if (!d || d->kind != CF_PKL_DICT || d->n == 0)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->items[2 * i + 1]->kind != CF_PKL_TENSOR)
			return 0;
	return 1;
}

static int plain_key(const cf_pkl_value *k)
{
	if (k->kind != CF_PKL_STR || k->slen == 0 || k->slen > 48)
		return 0;
	for (size_t i = 0; i < k->slen; i++) {
		char c = k->s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static const char *const wrappers[] = { "state_dict", "model_state_dict", "model", "net" };

/* The state dict and, when inside a wrapper, the wrapper and its key. */
static int find_state_dict(const pt_reader *r, const cf_pkl_value **sd, const char **wkey,
			   cf_error *err)
{
	const cf_pkl_value *root = r->obj->root;

	*wkey = NULL;
	if (root->kind != CF_PKL_DICT)
		return cf_error_set(err, CF_EFORMAT, "%s: the checkpoint holds no dict (expected a state dict or a dict around one)",
				    r->what);
	if (is_tensor_dict(root)) {
		*sd = root;
		return CF_OK;
	}
	for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++) {
		const cf_pkl_value *v = cf_pkl_dict_get(root, wrappers[i]);
		if (is_tensor_dict(v)) {
			*sd = v;
			*wkey = wrappers[i];
			return CF_OK;
		}
	}
	/* Say what is there, so that a person knows which key to expect. */
	{
		char keys[200] = "";
		size_t at = 0;
		for (size_t i = 0; i < root->n && at < sizeof keys - 40; i++) {
			const cf_pkl_value *k = root->items[2 * i];
			if (plain_key(k))
				at += (size_t)snprintf(keys + at, sizeof keys - at, "%s%.30s", i ? ", " : "", k->s);
		}
		return cf_error_set(err, CF_EFORMAT,
				    "%s: no state dict found: the top-level dict is not all tensors and has no state_dict, model_state_dict, model or net entry of tensors (keys: %s)",
				    r->what, keys[0] ? keys : "none");
	}
}

static int add_meta(cf_st_file *f, const char *k, const char *v)
{
	char *kk = strdup(k), *vv = strdup(v);
	char **a = realloc(f->meta_key, (f->nmeta + 1) * sizeof *a), **b;
	if (a)
		f->meta_key = a;
	b = realloc(f->meta_val, (f->nmeta + 1) * sizeof *b);
	if (b)
		f->meta_val = b;
	if (!kk || !vv || !a || !b) {
		free(kk);
		free(vv);
		return -1;
	}
	f->meta_key[f->nmeta] = kk;
	f->meta_val[f->nmeta] = vv;
	f->nmeta++;
	return 0;
}

static int gather_meta(const pt_reader *r, const cf_pkl_value *sd, const char *wkey, cf_st_file *f,
		       cf_error *err)
{
	const cf_pkl_value *root = r->obj->root;
	char val[64];
	int bad = 0;

	bad |= add_meta(f, CF_PT_FORMAT_KEY, r->legacy ? "legacy" : "zip");
	if (wkey) {
		bad |= add_meta(f, CF_PT_WRAPPER_KEY, wkey);
		for (size_t i = 0; i < root->n && f->nmeta < META_MAX; i++) {
			const cf_pkl_value *k = root->items[2 * i], *v = root->items[2 * i + 1];
			char key[64];
			if (!plain_key(k))
				continue;
			if (v->kind == CF_PKL_INT)
				snprintf(val, sizeof val, "%lld", (long long)v->i);
			else if (v->kind == CF_PKL_BOOL)
				snprintf(val, sizeof val, "%s", v->i ? "true" : "false");
			else if (v->kind == CF_PKL_FLOAT)
				snprintf(val, sizeof val, "%.10g", v->f);
			else
				continue;
			snprintf(key, sizeof key, "torch.%s", k->s);
			bad |= add_meta(f, key, val);
		}
	}
	/* clafuse's own metadata, written by cf_pt_write. */
	{
		const cf_pkl_value *m = cf_pkl_dict_get(sd->attrs, "clafuse_metadata");
		for (size_t i = 0; m && m->kind == CF_PKL_DICT && i < m->n && f->nmeta < META_MAX; i++) {
			const cf_pkl_value *k = m->items[2 * i], *v = m->items[2 * i + 1];
			if (k->kind == CF_PKL_STR && v->kind == CF_PKL_STR && strlen(k->s) == k->slen &&
			    strlen(v->s) == v->slen && !cf_st_meta(f, k->s))
				bad |= add_meta(f, k->s, v->s);
		}
	}
	return bad ? cf_error_set(err, CF_ENOMEM, "%s: out of memory", r->what) : CF_OK;
}

/* Gather a view into out[numel]: contiguous runs are decoded at once. */
static void gather(const cf_pkl_value *t, const pt_storage *s, float *out)
{
	const char *dt = cf_pkl_dtype_name(s->dtype);
	size_t es = (size_t)cf_pkl_dtype_size(s->dtype);
	int64_t idx[CF_PKL_MAXDIM] = {0}, inner = 1, expect = 1, total = 1, pos = 0;
	int nd = t->ndim, cont_dims = 0;

	for (int d = 0; d < nd; d++)
		total *= t->size[d];
	if (total == 0)
		return;
	/* How many trailing dims are row-major contiguous. */
	for (int d = nd - 1; d >= 0; d--) {
		if (t->size[d] != 1 && t->stride[d] != expect)
			break;
		expect *= t->size[d];
		cont_dims++;
	}
	inner = expect;
	while (pos < total) {
		int64_t off = t->offset;
		for (int d = 0; d < nd - cont_dims; d++)
			off += idx[d] * t->stride[d];
		cf_st_decode(dt, s->bytes + (size_t)off * es, inner, out + pos);
		pos += inner;
		for (int d = nd - cont_dims - 1; d >= 0; d--) {
			if (++idx[d] < t->size[d])
				break;
			idx[d] = 0;
		}
	}
}

static int convert(pt_reader *r, const cf_pkl_value *sd, cf_st_file *f, cf_error *err)
{
	size_t strip = strlen("module.");
	int all_module = 1;

	for (size_t i = 0; i < sd->n; i++) {
		const cf_pkl_value *k = sd->items[2 * i];
		if (!printable(k, NAME_MAX_LEN))
			return cf_error_set(err, CF_EFORMAT, "%s: state dict entry %zu: the name is not a string of 1..%d printable characters",
					    r->what, i, NAME_MAX_LEN);
		if (k->slen <= strip || strncmp(k->s, "module.", strip))
			all_module = 0;
	}
	if (!all_module)
		strip = 0;
	/* Views may share storages (tied weights), but a file that makes
	 * many large tensors out of one small storage asks for memory out of
	 * all proportion to its size: at most twice its storages' values. */
	{
		int64_t views = 0, stored = 0;
		for (size_t k = 0; k < r->nst; k++)
			stored += r->st[k].numel;   /* each backed by its bytes in the file */
		for (size_t i = 0; i < sd->n; i++) {
			const cf_pkl_value *t = sd->items[2 * i + 1];
			int64_t numel = 1;
			for (int d = 0; d < t->ndim; d++)
				numel *= t->size[d];   /* checked by the unpickler */
			if (__builtin_add_overflow(views, numel, &views))
				views = INT64_MAX;
		}
		if (views > 2 * stored + 1024)
			return cf_error_set(err, CF_EFORMAT, "%s: the tensors hold %lld values but the file's storages only %lld: refused (views overlap out of proportion)",
					    r->what, (long long)views, (long long)stored);
	}
	if (!(f->t = calloc(sd->n, sizeof *f->t)))
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", r->what);
	for (size_t i = 0; i < sd->n; i++) {
		const cf_pkl_value *k = sd->items[2 * i], *t = sd->items[2 * i + 1];
		const pt_storage *s = storage_of(r, t->storage->key);
		cf_st_tensor *o = &f->t[f->n];
		int64_t numel = 1;
		size_t bytes;

		for (int d = 0; d < t->ndim; d++)
			numel *= t->size[d];   /* checked by the unpickler */
		if (numel > s->numel)
			return cf_error_set(err, CF_EFORMAT, "%s: tensor %s has %lld elements but its storage %s only %lld (overlapping strides)",
					    r->what, k->s, (long long)numel, s->key, (long long)s->numel);
		f->n++;
		if (!(o->name = strdup(k->s + strip)))
			return cf_error_set(err, CF_ENOMEM, "%s: out of memory", r->what);
		snprintf(o->dtype, sizeof o->dtype, "%s", cf_pkl_dtype_name(s->dtype));
		o->ndim = t->ndim;
		for (int d = 0; d < t->ndim; d++)
			o->shape[d] = t->size[d];
		o->size = numel;
		if (__builtin_mul_overflow((size_t)numel, sizeof(float), &bytes) ||
		    !(o->data = malloc(bytes ? bytes : 1)))
			return cf_error_set(err, CF_ENOMEM, "%s: out of memory for tensor %s (%lld elements)",
					    r->what, o->name, (long long)numel);
		gather(t, s, o->data);
	}
	/* Names must stay unique after stripping (they were before). */
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = i + 1; j < f->n; j++)
			if (!strcmp(f->t[i].name, f->t[j].name))
				return cf_error_set(err, CF_EFORMAT, "%s: tensor %s appears twice", r->what, f->t[i].name);
	return CF_OK;
}

static int read_zip(pt_reader *r, cf_zip **zp, unsigned char **pkl, size_t *pkl_len, cf_error *err)
{
	const cf_zip_entry *pe = NULL;
	cf_zip *z;
	int rc;

	if ((rc = cf_zip_open(r->buf, r->len, r->what, &z, err)))
		return rc;
	*zp = z;
	for (size_t i = 0; i < z->n; i++) {
		const char *nm = z->e[i].name, *slash = strchr(nm, '/');
		if (slash && !strcmp(slash, "/data.pkl")) {
			if (pe)
				return cf_error_set(err, CF_EFORMAT, "%s: two data.pkl entries (%s, %s)", r->what, pe->name, nm);
			pe = &z->e[i];
		}
	}
	if (!pe)
		return cf_error_set(err, CF_EFORMAT, "%s: a zip archive without PREFIX/data.pkl: not a torch.save checkpoint",
				    r->what);
	r->zip = z;
	r->prefix = pe->name;
	r->prefix_len = (size_t)(strchr(pe->name, '/') - pe->name);
	return cf_zip_extract(z, pe, PKL_MAX, r->what, pkl, pkl_len, err);
}

/* Legacy: magic, protocol 1001, system info, object; returns the object
 * and the keys pickle's end in *pos. */
static int read_legacy(pt_reader *r, cf_pkl **keys, size_t *pos, cf_error *err)
{
	cf_pkl *p = NULL;
	size_t used, at = 0;
	int rc;

	for (int i = 0; i < 5; i++) {
		if ((rc = cf_pkl_load(r->buf + at, r->len - at, r->what, &used, &p, err)))
			return rc;
		at += used;
		if (i == 0 && !(p->root->kind == CF_PKL_BIGINT && p->root->slen == sizeof legacy_magic &&
				!memcmp(p->root->s, legacy_magic, sizeof legacy_magic)))
			rc = cf_error_set(err, CF_EFORMAT, "%s: not a torch.save checkpoint (wrong magic number)", r->what);
		if (i == 1 && !(p->root->kind == CF_PKL_INT && p->root->i == 1001))
			rc = cf_error_set(err, CF_EFORMAT, "%s: legacy checkpoint protocol %lld, expected 1001", r->what,
					  (long long)p->root->i);
		if (i == 2) {
			const cf_pkl_value *le = cf_pkl_dict_get(p->root, "little_endian");
			if (le && le->kind == CF_PKL_BOOL && !le->i)
				rc = cf_error_set(err, CF_EFORMAT, "%s: a big-endian legacy checkpoint is not supported", r->what);
		}
		if (rc) {
			cf_pkl_free(p);
			return rc;
		}
		if (i == 3)
			r->obj = p;
		else if (i == 4)
			*keys = p;
		else
			cf_pkl_free(p);
		p = NULL;
	}
	*pos = at;
	return CF_OK;
}

int cf_pt_read_mem(const unsigned char *buf, size_t len, const char *what,
		   cf_st_file **out, cf_error *err)
{
	pt_reader r;
	cf_zip *z = NULL;
	cf_pkl *keys = NULL;
	unsigned char *pkl = NULL;
	size_t pkl_len = 0, pos = 0;
	const cf_pkl_value *sd = NULL;
	const char *wkey = NULL;
	cf_st_file *f = NULL;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof r);
	r.what = what;
	r.buf = buf;
	r.len = len;
	if (len >= 4 && !memcmp(buf, "PK\x03\x04", 4)) {
		if (!(rc = read_zip(&r, &z, &pkl, &pkl_len, err)))
			rc = cf_pkl_load(pkl, pkl_len, what, NULL, &r.obj, err);
		if (!rc)
			rc = collect_storages(&r, err);
		if (!rc)
			rc = resolve_zip(&r, err);
	} else if (cf_pt_sniff(buf, len)) {
		r.legacy = 1;
		rc = read_legacy(&r, &keys, &pos, err);
		if (!rc)
			rc = collect_storages(&r, err);
		if (!rc)
			rc = resolve_legacy(&r, keys->root, pos, err);
	} else {
		rc = cf_error_set(err, CF_EFORMAT, "%s: not a torch.save checkpoint (neither a zip archive nor a legacy pickle)",
				  what);
	}
	if (!rc)
		rc = find_state_dict(&r, &sd, &wkey, err);
	if (!rc && !(f = calloc(1, sizeof *f)))
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
	if (!rc)
		rc = convert(&r, sd, f, err);
	if (!rc)
		rc = gather_meta(&r, sd, wkey, f, err);
	for (size_t k = 0; k < r.nst; k++)
		free(r.st[k].own);
	free(r.st);
	free(pkl);
	cf_pkl_free(r.obj);
	cf_pkl_free(keys);
	cf_zip_free(z);
	if (rc) {
		cf_st_free(f);
		return rc;
	}
	*out = f;
	return CF_OK;
}

/* ---- writing ----------------------------------------------------------- */

typedef struct pbuf {
	unsigned char *b;
	size_t n, cap;
	int oom;
} pbuf;

static void put(pbuf *p, const void *d, size_t n)
{
	if (p->oom)
		return;
	if (p->n + n > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		unsigned char *nb;
		while (cap < p->n + n)
			cap *= 2;
		if (!(nb = realloc(p->b, cap))) {
			p->oom = 1;
			return;
		}
		p->b = nb;
		p->cap = cap;
	}
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void put1(pbuf *p, unsigned c)
{
	unsigned char b = (unsigned char)c;
	put(p, &b, 1);
}

static void put_le(pbuf *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		put1(p, (unsigned)(v >> (8 * i)) & 0xff);
}

static void put_str(pbuf *p, const char *s)
{
	size_t n = strlen(s);
	put1(p, 'X');
	put_le(p, n, 4);
	put(p, s, n);
}

static void put_int(pbuf *p, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX) {
		put1(p, 'J');
		put_le(p, (uint64_t)(uint32_t)(int32_t)v, 4);
	} else {
		put1(p, 0x8a);
		put1(p, 8);
		put_le(p, (uint64_t)v, 8);
	}
}

static void put_global(pbuf *p, const char *mod, const char *name)
{
	put1(p, 'c');
	put(p, mod, strlen(mod));
	put1(p, '\n');
	put(p, name, strlen(name));
	put1(p, '\n');
}

/* Memo slots of the writer's pickle. */
enum { M_ODICT, M_REBUILD, M_FLOAT };

static void put_memo(pbuf *p, int slot)
{
	put1(p, 'q');
	put1(p, (unsigned)slot);
}

static void get_memo(pbuf *p, int slot)
{
	put1(p, 'h');
	put1(p, (unsigned)slot);
}

/* OrderedDict of name -> _rebuild_tensor_v2(storage i, 0, shape, strides,
 * False, OrderedDict()), then BUILD {"clafuse_metadata": {...}}. */
static void pickle_state_dict(pbuf *p, const cf_st_out *ts, size_t n, const int64_t *count,
			      const char *const *mk, const char *const *mv, size_t nmeta)
{
	put1(p, 0x80);
	put1(p, 2);
	put_global(p, "collections", "OrderedDict");
	put_memo(p, M_ODICT);
	put1(p, ')');
	put1(p, 'R');
	put1(p, '(');
	for (size_t i = 0; i < n; i++) {
		char key[32];
		int64_t stride = 1, strides[CF_ST_MAXDIM];
		put_str(p, ts[i].name);
		if (i == 0) {
			put_global(p, "torch._utils", "_rebuild_tensor_v2");
			put_memo(p, M_REBUILD);
		} else {
			get_memo(p, M_REBUILD);
		}
		put1(p, '(');
		put1(p, '(');
		put_str(p, "storage");
		if (i == 0) {
			put_global(p, "torch", "FloatStorage");
			put_memo(p, M_FLOAT);
		} else {
			get_memo(p, M_FLOAT);
		}
		snprintf(key, sizeof key, "%zu", i);
		put_str(p, key);
		put_str(p, "cpu");
		put_int(p, count[i]);
		put1(p, 't');
		put1(p, 'Q');
		put_int(p, 0);
		put1(p, '(');
		for (int d = 0; d < ts[i].ndim; d++)
			put_int(p, ts[i].shape[d]);
		put1(p, 't');
		for (int d = ts[i].ndim - 1; d >= 0; d--) {
			strides[d] = stride;
			stride *= ts[i].shape[d];
		}
		put1(p, '(');
		for (int d = 0; d < ts[i].ndim; d++)
			put_int(p, strides[d]);
		put1(p, 't');
		put1(p, 0x89);
		get_memo(p, M_ODICT);
		put1(p, ')');
		put1(p, 'R');
		put1(p, 't');
		put1(p, 'R');
	}
	put1(p, 'u');
	if (nmeta) {
		put1(p, '}');
		put_str(p, "clafuse_metadata");
		put1(p, '}');
		put1(p, '(');
		for (size_t k = 0; k < nmeta; k++) {
			put_str(p, mk[k]);
			put_str(p, mv[k]);
		}
		put1(p, 'u');
		put1(p, 's');
		put1(p, 'b');
	}
	put1(p, '.');
}

/* Through cf_outfile, like every output: atomic for files, modes kept. */
static int write_atomic(const char *path, const unsigned char *b, size_t n, cf_error *err)
{
	cf_outfile o;
	int rc = cf_outfile_open(&o, path, err);

	if (rc)
		return rc;
	fwrite(b, 1, n, o.f); /* a short write sets the error flag commit reports */
	return cf_outfile_commit(&o, err);
}

int cf_pt_write(const char *path, const cf_st_out *ts, size_t n,
		const char *const *meta_key, const char *const *meta_val, size_t nmeta,
		cf_error *err)
{
	pbuf p = {0};
	int64_t *count = calloc(n ? n : 1, sizeof *count);
	cf_zip_in *files = calloc(n + 2, sizeof *files);
	char (*names)[40] = calloc(n ? n : 1, sizeof *names);
	unsigned char **data = calloc(n ? n : 1, sizeof *data);
	unsigned char *zip = NULL;
	size_t zlen = 0;
	int rc = CF_OK;

	if (!count || !files || !names || !data) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t c = 1;
		if (!ts[i].name || !*ts[i].name || ts[i].ndim < 0 || ts[i].ndim > CF_ST_MAXDIM) {
			rc = cf_error_set(err, CF_EINVAL, "%s: tensor %zu has no name or a bad rank", path, i);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ts[i].name, ts[j].name)) {
				rc = cf_error_set(err, CF_EINVAL, "%s: tensor name '%s' given twice", path, ts[i].name);
				goto out;
			}
		for (int d = 0; d < ts[i].ndim; d++)
			if (ts[i].shape[d] < 0 || __builtin_mul_overflow(c, ts[i].shape[d], &c) || c > INT64_MAX / 4) {
				rc = cf_error_set(err, CF_EINVAL, "%s: tensor '%s': bad shape", path, ts[i].name);
				goto out;
			}
		count[i] = c;
		/* Storages little-endian, whatever the host. */
		if (!(data[i] = malloc(c ? (size_t)c * 4 : 1))) {
			rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		for (int64_t j = 0; j < c; j++) {
			uint32_t u;
			memcpy(&u, &ts[i].data[j], 4);
			for (int b = 0; b < 4; b++)
				data[i][4 * j + b] = (unsigned char)(u >> (8 * b));
		}
	}
	pickle_state_dict(&p, ts, n, count, meta_key, meta_val, nmeta);
	if (p.oom) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	files[0].name = "archive/data.pkl";
	files[0].data = p.b;
	files[0].len = p.n;
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "archive/data/%zu", i);
		files[i + 1].name = names[i];
		files[i + 1].data = data[i];
		files[i + 1].len = (size_t)count[i] * 4;
	}
	files[n + 1].name = "archive/version";
	files[n + 1].data = (const unsigned char *)"3\n";
	files[n + 1].len = 2;
	if ((rc = cf_zip_build(files, n + 2, &zip, &zlen, err))) {
		cf_error_prefix(err, rc, "%s", path);
		goto out;
	}
	rc = write_atomic(path, zip, zlen, err);
out:
	for (size_t i = 0; data && i < n; i++)
		free(data[i]);
	free(data);
	free(names);
	free(files);
	free(count);
	free(zip);
	free(p.b);
	return rc;
}
