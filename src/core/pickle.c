/* pickle.c — the restricted unpickler (see pickle.h).
 *
 * One loop over the opcodes with an explicit value stack, a mark stack and
 * a memo.  Every opcode checks the bytes it reads against the end of the
 * buffer and the values it pops against the stack, so a truncated or
 * hostile stream ends in a message, never in a read out of bounds.  The
 * only "calls" are the allow-listed globals, each evaluated by hand into
 * plain data.
 */
#define _POSIX_C_SOURCE 200809L
#include "pickle.h"
#include "bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The memo of a state dict holds a few entries per tensor; an index far
 * beyond what the stream could have created is refused rather than
 * allocated.  A pickler numbers its memo entries 0, 1, 2, ... and each
 * PUT takes at least two bytes, so no index reaches the stream's length:
 * a 29-byte stream asking for entry 6 million would otherwise cost a
 * 100 MB array. */
#define MEMO_MAX (1u << 24)

typedef struct up {
	const unsigned char *b;
	size_t len, pos, op;        /* op: offset of the current opcode */
	const char *what;
	cf_error *err;
	cf_pkl *p;
	cf_pkl_value **stack;
	size_t sn, scap;
	size_t *marks;
	size_t mn, mcap;
	cf_pkl_value **memo;
	size_t memocap, memon;      /* memon: entries set (MEMOIZE's next index) */
} up;

static const struct {
	const char *name;
	enum cf_pkl_dtype t;
	int size;
	const char *st;
} dtypes[] = {
	{"FloatStorage", CF_PKL_F32, 4, "F32"},   {"HalfStorage", CF_PKL_F16, 2, "F16"},
	{"BFloat16Storage", CF_PKL_BF16, 2, "BF16"}, {"DoubleStorage", CF_PKL_F64, 8, "F64"},
	{"LongStorage", CF_PKL_I64, 8, "I64"},    {"IntStorage", CF_PKL_I32, 4, "I32"},
	{"ShortStorage", CF_PKL_I16, 2, "I16"},   {"CharStorage", CF_PKL_I8, 1, "I8"},
	{"ByteStorage", CF_PKL_U8, 1, "U8"},      {"BoolStorage", CF_PKL_BOOL_T, 1, "BOOL"},
};

int cf_pkl_dtype_size(enum cf_pkl_dtype t)
{
	return dtypes[t].size;
}

const char *cf_pkl_dtype_name(enum cf_pkl_dtype t)
{
	return dtypes[t].st;
}

void cf_pkl_free(cf_pkl *p)
{
	cf_pkl_value *v, *next;

	if (!p)
		return;
	for (v = p->arena; v; v = next) {
		next = v->next_alloc;
		free(v->s);
		free(v->items);
		free(v->key);
		free(v);
	}
	free(p);
}

static int fail(up *u, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static int fail(up *u, const char *fmt, ...)
{
	char buf[CF_ERROR_MSG_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return cf_error_set(u->err, CF_EFORMAT, "%s: pickle at byte %zu: %s", u->what, u->op, buf);
}

static int nomem(up *u)
{
	return cf_error_set(u->err, CF_ENOMEM, "%s: out of memory while unpickling", u->what);
}

static cf_pkl_value *mk(up *u, enum cf_pkl_kind k)
{
	cf_pkl_value *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->kind = k;
	v->next_alloc = u->p->arena;
	u->p->arena = v;
	return v;
}

static int push(up *u, cf_pkl_value *v)
{
	if (!v)
		return nomem(u);
	if (u->sn == u->scap) {
		size_t cap = u->scap ? 2 * u->scap : 64;
		cf_pkl_value **s = realloc(u->stack, cap * sizeof *s);
		if (!s)
			return nomem(u);
		u->stack = s;
		u->scap = cap;
	}
	u->stack[u->sn++] = v;
	return CF_OK;
}

/* The stack top must lie above the last mark. */
static size_t floor_of(const up *u)
{
	return u->mn ? u->marks[u->mn - 1] : 0;
}

static cf_pkl_value *pop(up *u)
{
	if (u->sn <= floor_of(u)) {
		fail(u, "%s", "the stack is empty (truncated or malformed data)");
		return NULL;
	}
	return u->stack[--u->sn];
}

static cf_pkl_value *top(up *u)
{
	if (u->sn <= floor_of(u)) {
		fail(u, "%s", "the stack is empty (truncated or malformed data)");
		return NULL;
	}
	return u->stack[u->sn - 1];
}

/* The value just below a popped mark at `from` (the list or dict that
 * APPENDS / SETITEMS extend). */
static cf_pkl_value *below(up *u, size_t from)
{
	if (from == 0 || from - 1 < floor_of(u)) {
		fail(u, "%s", "nothing below the MARK to add items to");
		return NULL;
	}
	return u->stack[from - 1];
}

/* Pop the mark; *from is where the items above it begin. */
static int pop_mark(up *u, size_t *from)
{
	if (!u->mn)
		return fail(u, "%s", "no MARK to close");
	*from = u->marks[--u->mn];
	return CF_OK;
}

static int add_item(up *u, cf_pkl_value *c, cf_pkl_value *v)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		cf_pkl_value **it = realloc(c->items, cap * sizeof *it);
		if (!it)
			return nomem(u);
		c->items = it;
		c->cap = cap;
	}
	c->items[c->n++] = v;
	return CF_OK;
}

/* d[k] = v for a dict (pairs stored flat: items[2i], items[2i+1]); a
 * string key given twice keeps the last value, as Python does. */
static int dict_set(up *u, cf_pkl_value *d, cf_pkl_value *k, cf_pkl_value *v)
{
	if (d->kind != CF_PKL_DICT)
		return fail(u, "%s", "SETITEM(S) on something that is not a dict");
	if (k->kind == CF_PKL_STR)
		for (size_t i = 0; i < d->n; i++) {
			cf_pkl_value *o = d->items[2 * i];
			if (o->kind == CF_PKL_STR && o->slen == k->slen && !memcmp(o->s, k->s, k->slen)) {
				d->items[2 * i + 1] = v;
				return CF_OK;
			}
		}
	if (2 * d->n + 2 > d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		cf_pkl_value **it = realloc(d->items, cap * sizeof *it);
		if (!it)
			return nomem(u);
		d->items = it;
		d->cap = cap;
	}
	d->items[2 * d->n] = k;
	d->items[2 * d->n + 1] = v;
	d->n++;
	return CF_OK;
}

cf_pkl_value *cf_pkl_dict_get(const cf_pkl_value *d, const char *key)
{
	size_t kl;

	if (!d || d->kind != CF_PKL_DICT || !key)
		return NULL;
	kl = strlen(key);
	for (size_t i = 0; i < d->n; i++) {
		cf_pkl_value *o = d->items[2 * i];
		if (o->kind == CF_PKL_STR && o->slen == kl && !memcmp(o->s, key, kl))
			return d->items[2 * i + 1];
	}
	return NULL;
}

static int need(up *u, size_t n)
{
	if (u->len - u->pos < n)
		return fail(u, "%s", "the data ends in the middle of an opcode (truncated file)");
	return CF_OK;
}

static int str_value(up *u, size_t n, enum cf_pkl_kind kind)
{
	cf_pkl_value *v;

	if (need(u, n))
		return CF_EFORMAT;
	v = mk(u, kind);
	if (!v || !(v->s = malloc(n + 1)))
		return nomem(u);
	memcpy(v->s, u->b + u->pos, n);
	v->s[n] = '\0';
	v->slen = n;
	u->pos += n;
	return push(u, v);
}

static int int_value(up *u, int64_t i, enum cf_pkl_kind kind)
{
	cf_pkl_value *v = mk(u, kind);
	if (v)
		v->i = i;
	return push(u, v);
}

/* GLOBAL module.name: allowed ones become a value, the rest a refusal. */
static int global(up *u, const char *mod, const char *name)
{
	cf_pkl_value *v;
	char full[260];

	snprintf(full, sizeof full, "%s.%s", mod, name);
	/* The name goes into a one-line message: no control characters. */
	for (char *q = full; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	if (!(v = mk(u, CF_PKL_GLOBAL)))
		return nomem(u);
	if (!strcmp(full, "collections.OrderedDict")) {
		v->global = CF_PKL_G_ORDEREDDICT;
	} else if (!strcmp(full, "torch._utils._rebuild_tensor_v2")) {
		v->global = CF_PKL_G_REBUILD_TENSOR;
	} else if (!strcmp(full, "torch._utils._rebuild_parameter")) {
		v->global = CF_PKL_G_REBUILD_PARAM;
	} else {
		size_t k, nt = sizeof dtypes / sizeof dtypes[0];
		for (k = 0; k < nt; k++)
			if (!strcmp(mod, "torch") && !strcmp(name, dtypes[k].name))
				break;
		if (k == nt)
			return fail(u, "refused global %.120s: not a state-dict type (only OrderedDict, torch tensors, parameters and storages are allowed)%s",
				    full, !strncmp(full, "__main__.", 9) || !strncmp(full, "torch.nn.", 9)
				    ? "; a whole pickled model cannot be read: save its state_dict() instead" : "");
		v->global = CF_PKL_G_STORAGE;
		v->dtype = dtypes[k].t;
	}
	return push(u, v);
}

static int op_global(up *u)
{
	const unsigned char *a = u->b + u->pos, *end = u->b + u->len, *nl1, *nl2;
	char mod[128], name[128];

	nl1 = memchr(a, '\n', (size_t)(end - a));
	nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
	if (!nl2)
		return fail(u, "%s", "GLOBAL without its two lines (truncated file)");
	if ((size_t)(nl1 - a) >= sizeof mod || (size_t)(nl2 - nl1 - 1) >= sizeof name)
		return fail(u, "%s", "refused global with an overlong name");
	memcpy(mod, a, (size_t)(nl1 - a));
	mod[nl1 - a] = '\0';
	memcpy(name, nl1 + 1, (size_t)(nl2 - nl1 - 1));
	name[nl2 - nl1 - 1] = '\0';
	if (strlen(mod) != (size_t)(nl1 - a) || strlen(name) != (size_t)(nl2 - nl1 - 1))
		return fail(u, "%s", "refused global with a NUL in its name");
	u->pos = (size_t)(nl2 + 1 - u->b);
	return global(u, mod, name);
}

static int op_stack_global(up *u)
{
	cf_pkl_value *name = pop(u), *mod = name ? pop(u) : NULL;
	if (!mod)
		return CF_EFORMAT;
	if (mod->kind != CF_PKL_STR || name->kind != CF_PKL_STR || strlen(mod->s) != mod->slen ||
	    strlen(name->s) != name->slen || mod->slen > 127 || name->slen > 127)
		return fail(u, "%s", "STACK_GLOBAL needs two short strings");
	return global(u, mod->s, name->s);
}

static int is_int(const cf_pkl_value *v)
{
	return v->kind == CF_PKL_INT || v->kind == CF_PKL_BOOL;
}

/* A non-empty string of printable characters, NUL-free (names that end
 * up in paths and one-line messages). */
static int plain(const cf_pkl_value *v)
{
	if (v->kind != CF_PKL_STR || !v->slen || v->slen > 255)
		return 0;
	for (size_t i = 0; i < v->slen; i++)
		if ((unsigned char)v->s[i] < 0x20 || v->s[i] == 0x7f)
			return 0;
	return 1;
}

/* ('storage', torch.XStorage, key, location, numel[, view_metadata]) */
static int op_persid(up *u)
{
	cf_pkl_value *t = pop(u), *s;
	if (!t)
		return CF_EFORMAT;
	if (t->kind != CF_PKL_TUPLE || (t->n != 5 && t->n != 6) || t->items[0]->kind != CF_PKL_STR ||
	    strcmp(t->items[0]->s, "storage") != 0)
		return fail(u, "%s", "refused persistent id: expected ('storage', type, key, location, size)");
	if (t->items[1]->kind != CF_PKL_GLOBAL || t->items[1]->global != CF_PKL_G_STORAGE)
		return fail(u, "%s", "refused persistent id: its type is not a torch storage type");
	if (t->items[2]->kind != CF_PKL_STR || !plain(t->items[2]) || strchr(t->items[2]->s, '/') ||
	    strstr(t->items[2]->s, ".."))
		return fail(u, "%s", "refused persistent id: the storage key must be a plain name");
	if (!is_int(t->items[4]) || t->items[4]->i < 0)
		return fail(u, "%s", "refused persistent id: the storage size must be a non-negative integer");
	if (t->n == 6 && t->items[5]->kind != CF_PKL_NONE)
		return fail(u, "%s", "refused persistent id: storage views (legacy view metadata) are not supported");
	if (!(s = mk(u, CF_PKL_STORAGE)) || !(s->key = strdup(t->items[2]->s)))
		return nomem(u);
	s->dtype = t->items[1]->dtype;
	s->numel = t->items[4]->i;
	return push(u, s);
}

static int int_tuple(const cf_pkl_value *v, int64_t *out, int *n)
{
	if (v->kind != CF_PKL_TUPLE || v->n > CF_PKL_MAXDIM)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		if (!is_int(v->items[i]) || v->items[i]->i < 0)
			return -1;
		out[i] = v->items[i]->i;
	}
	*n = (int)v->n;
	return 0;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]):
 * the view must lie inside the storage. */
static int rebuild_tensor(up *u, const cf_pkl_value *args)
{
	cf_pkl_value *t;
	int ns = 0;
	int64_t last = 0, numel = 1;

	if (args->n < 4 || args->n > 7 || args->items[0]->kind != CF_PKL_STORAGE || !is_int(args->items[1]))
		return fail(u, "%s", "_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
	if (!(t = mk(u, CF_PKL_TENSOR)))
		return nomem(u);
	t->storage = args->items[0];
	t->dtype = t->storage->dtype;
	t->offset = args->items[1]->i;
	if (int_tuple(args->items[2], t->size, &t->ndim) || int_tuple(args->items[3], t->stride, &ns) ||
	    ns != t->ndim)
		return fail(u, "%s", "tensor size and stride must be tuples of non-negative integers of one length (at most 8)");
	if (t->offset < 0)
		return fail(u, "%s", "tensor storage offset is negative");
	/* Last element: offset + sum (size-1)*stride, overflow-checked. */
	last = t->offset;
	for (int d = 0; d < t->ndim; d++) {
		int64_t step;
		if (__builtin_mul_overflow(numel, t->size[d], &numel))
			return fail(u, "%s", "tensor shape overflows");
		if (t->size[d] == 0)
			continue;
		if (__builtin_mul_overflow(t->size[d] - 1, t->stride[d], &step) ||
		    __builtin_add_overflow(last, step, &last))
			return fail(u, "%s", "tensor view (size, stride, offset) overflows");
	}
	if (numel > 0 && last >= t->storage->numel) {
		return fail(u, "tensor view reaches element %lld of storage %.40s, which has %lld",
			    (long long)last, t->storage->key, (long long)t->storage->numel);
	}
	return push(u, t);
}

static int op_reduce(up *u)
{
	cf_pkl_value *args = pop(u), *f = args ? pop(u) : NULL;
	if (!f)
		return CF_EFORMAT;
	if (f->kind != CF_PKL_GLOBAL || f->global == CF_PKL_G_STORAGE)
		return fail(u, "%s", "refused REDUCE: only OrderedDict, _rebuild_tensor_v2 and _rebuild_parameter may be called");
	if (args->kind != CF_PKL_TUPLE)
		return fail(u, "%s", "REDUCE arguments are not a tuple");
	switch (f->global) {
	case CF_PKL_G_ORDEREDDICT:
		/* OrderedDict() or OrderedDict([]) — items come by SETITEMS. */
		if (args->n > 1 || (args->n == 1 && !(args->items[0]->kind == CF_PKL_LIST && args->items[0]->n == 0)))
			return fail(u, "%s", "OrderedDict is only built empty in a state dict");
		return push(u, mk(u, CF_PKL_DICT));
	case CF_PKL_G_REBUILD_TENSOR:
		return rebuild_tensor(u, args);
	case CF_PKL_G_REBUILD_PARAM:
		if (args->n < 1 || args->n > 4 || args->items[0]->kind != CF_PKL_TENSOR)
			return fail(u, "%s", "_rebuild_parameter needs (tensor, requires_grad, hooks)");
		return push(u, args->items[0]);
	case CF_PKL_G_STORAGE:
		break;
	}
	return fail(u, "%s", "refused REDUCE");
}

static int collect(up *u, enum cf_pkl_kind kind, size_t from)
{
	cf_pkl_value *v = mk(u, kind);
	if (!v)
		return nomem(u);
	for (size_t i = from; i < u->sn; i++)
		if (add_item(u, v, u->stack[i]))
			return CF_ENOMEM;
	u->sn = from;
	return push(u, v);
}

static int memo_put(up *u, uint64_t idx)
{
	cf_pkl_value *v = top(u);
	if (!v)
		return CF_EFORMAT;
	if (idx >= MEMO_MAX || idx >= u->len)
		return fail(u, "memo index %llu beyond what a %zu-byte stream can number",
			    (unsigned long long)idx, u->len);
	if (idx >= u->memocap) {
		size_t cap = u->memocap ? u->memocap : 64;
		cf_pkl_value **m;
		while (cap <= idx)
			cap *= 2;
		if (!(m = realloc(u->memo, cap * sizeof *m)))
			return nomem(u);
		memset(m + u->memocap, 0, (cap - u->memocap) * sizeof *m);
		u->memo = m;
		u->memocap = cap;
	}
	if (!u->memo[idx])
		u->memon++;
	u->memo[idx] = v;
	return CF_OK;
}

static int memo_get(up *u, uint64_t idx)
{
	if (idx >= u->memocap || !u->memo[idx])
		return fail(u, "%s", "memo lookup of an entry never stored");
	return push(u, u->memo[idx]);
}

static int step(up *u, int *done)
{
	unsigned char op;
	cf_pkl_value *v, *w, *c;
	size_t from = 0, n;
	uint64_t x;
	char name[32];

	u->op = u->pos;
	if (need(u, 1))
		return CF_EFORMAT;
	op = u->b[u->pos++];
	switch (op) {
	case 0x80: /* PROTO */
		if (need(u, 1))
			return CF_EFORMAT;
		if (u->b[u->pos] < 2 || u->b[u->pos] > 5)
			return fail(u, "%s", "pickle protocol outside 2..5");
		u->pos++;
		return CF_OK;
	case 0x95: /* FRAME: a hint only */
		if (need(u, 8))
			return CF_EFORMAT;
		u->pos += 8;
		return CF_OK;
	case '.':
		if (!(v = pop(u)))
			return CF_EFORMAT;
		u->p->root = v;
		*done = 1;
		return CF_OK;
	case '(':
		if (u->mn == u->mcap) {
			size_t cap = u->mcap ? 2 * u->mcap : 16;
			size_t *m = realloc(u->marks, cap * sizeof *m);
			if (!m)
				return nomem(u);
			u->marks = m;
			u->mcap = cap;
		}
		u->marks[u->mn++] = u->sn;
		return CF_OK;
	case '0': /* POP */
		return pop(u) ? CF_OK : CF_EFORMAT;
	case '1': /* POP_MARK */
		if (pop_mark(u, &from))
			return CF_EFORMAT;
		u->sn = from;
		return CF_OK;
	case '}': return push(u, mk(u, CF_PKL_DICT));
	case ']': return push(u, mk(u, CF_PKL_LIST));
	case ')': return push(u, mk(u, CF_PKL_TUPLE));
	case 'N': return push(u, mk(u, CF_PKL_NONE));
	case 0x88: return int_value(u, 1, CF_PKL_BOOL);
	case 0x89: return int_value(u, 0, CF_PKL_BOOL);
	case 'J':
		if (need(u, 4))
			return CF_EFORMAT;
		x = cf_le_read(u->b + u->pos, 4);
		u->pos += 4;
		return int_value(u, (int64_t)(int32_t)(uint32_t)x, CF_PKL_INT);
	case 'K':
		if (need(u, 1))
			return CF_EFORMAT;
		return int_value(u, u->b[u->pos++], CF_PKL_INT);
	case 'M':
		if (need(u, 2))
			return CF_EFORMAT;
		x = cf_le_read(u->b + u->pos, 2);
		u->pos += 2;
		return int_value(u, (int64_t)x, CF_PKL_INT);
	case 0x8a: /* LONG1: n bytes of little-endian two's complement */
		if (need(u, 1))
			return CF_EFORMAT;
		n = u->b[u->pos++];
		if (n > 8) /* kept as bytes: PyTorch's legacy magic number is 10 bytes */
			return str_value(u, n, CF_PKL_BIGINT);
		if (need(u, n))
			return CF_EFORMAT;
		x = n ? cf_le_read(u->b + u->pos, (int)n) : 0;
		if (n && n < 8 && (u->b[u->pos + n - 1] & 0x80))
			x |= ~(uint64_t)0 << (8 * n);
		u->pos += n;
		return int_value(u, (int64_t)x, CF_PKL_INT);
	case 'G':
		if (need(u, 8))
			return CF_EFORMAT;
		x = 0;
		for (int i = 0; i < 8; i++)
			x = x << 8 | u->b[u->pos + (size_t)i];
		u->pos += 8;
		if (!(v = mk(u, CF_PKL_FLOAT)))
			return nomem(u);
		memcpy(&v->f, &x, sizeof v->f);
		return push(u, v);
	case 'X': case 'B': case 'T': /* 4-byte length */
		if (need(u, 4))
			return CF_EFORMAT;
		x = cf_le_read(u->b + u->pos, 4);
		u->pos += 4;
		return str_value(u, (size_t)x, CF_PKL_STR);
	case 0x8c: case 'U': case 'C': /* 1-byte length */
		if (need(u, 1))
			return CF_EFORMAT;
		return str_value(u, u->b[u->pos++], CF_PKL_STR);
	case 0x8d: case 0x8e: /* BINUNICODE8, BINBYTES8 */
		if (need(u, 8))
			return CF_EFORMAT;
		x = cf_le_read(u->b + u->pos, 8);
		u->pos += 8;
		if (x > u->len - u->pos)
			return fail(u, "%s", "a string runs past the end of the data (truncated file)");
		return str_value(u, (size_t)x, CF_PKL_STR);
	case 't':
		if (pop_mark(u, &from))
			return CF_EFORMAT;
		return collect(u, CF_PKL_TUPLE, from);
	case 0x85: case 0x86: case 0x87:
		n = (size_t)(op - 0x84);
		if (u->sn < floor_of(u) + n)
			return fail(u, "%s", "TUPLE1/2/3 on too short a stack");
		return collect(u, CF_PKL_TUPLE, u->sn - n);
	case 'l':
		if (pop_mark(u, &from))
			return CF_EFORMAT;
		return collect(u, CF_PKL_LIST, from);
	case 'a':
		if (!(v = pop(u)) || !(c = top(u)))
			return CF_EFORMAT;
		if (c->kind != CF_PKL_LIST)
			return fail(u, "%s", "APPEND to something that is not a list");
		return add_item(u, c, v);
	case 'e':
		if (pop_mark(u, &from))
			return CF_EFORMAT;
		if (!(c = below(u, from)) || c->kind != CF_PKL_LIST)
			return fail(u, "%s", "APPENDS to something that is not a list");
		for (size_t i = from; i < u->sn; i++)
			if (add_item(u, c, u->stack[i]))
				return CF_ENOMEM;
		u->sn = from;
		return CF_OK;
	case 'd':
		if (pop_mark(u, &from))
			return CF_EFORMAT;
		if ((u->sn - from) % 2)
			return fail(u, "%s", "DICT with an odd number of items");
		if (!(c = mk(u, CF_PKL_DICT)))
			return nomem(u);
		for (size_t i = from; i < u->sn; i += 2)
			if (dict_set(u, c, u->stack[i], u->stack[i + 1]))
				return CF_EFORMAT;
		u->sn = from;
		return push(u, c);
	case 's':
		if (!(w = pop(u)) || !(v = pop(u)) || !(c = top(u)))
			return CF_EFORMAT;
		return dict_set(u, c, v, w);
	case 'u':
		if (pop_mark(u, &from))
			return CF_EFORMAT;
		if ((u->sn - from) % 2)
			return fail(u, "%s", "SETITEMS with an odd number of items");
		if (!(c = below(u, from)))
			return CF_EFORMAT;
		for (size_t i = from; i < u->sn; i += 2)
			if (dict_set(u, c, u->stack[i], u->stack[i + 1]))
				return CF_EFORMAT;
		u->sn = from;
		return CF_OK;
	case 'q':
		if (need(u, 1))
			return CF_EFORMAT;
		return memo_put(u, u->b[u->pos++]);
	case 'r':
		if (need(u, 4))
			return CF_EFORMAT;
		x = cf_le_read(u->b + u->pos, 4);
		u->pos += 4;
		return memo_put(u, x);
	case 0x94: /* MEMOIZE: the next free index */
		return memo_put(u, u->memon);
	case 'h':
		if (need(u, 1))
			return CF_EFORMAT;
		return memo_get(u, u->b[u->pos++]);
	case 'j':
		if (need(u, 4))
			return CF_EFORMAT;
		x = cf_le_read(u->b + u->pos, 4);
		u->pos += 4;
		return memo_get(u, x);
	case 'c':
		return op_global(u);
	case 0x93:
		return op_stack_global(u);
	case 'R':
		return op_reduce(u);
	case 'b': /* BUILD: set state; a state dict's _metadata is of no use here */
		if (!(w = pop(u)) || !(v = top(u)))
			return CF_EFORMAT;
		if (v->kind != CF_PKL_DICT && v->kind != CF_PKL_TENSOR)
			return fail(u, "%s", "refused BUILD on something other than a dict or a tensor");
		if (v->kind == CF_PKL_DICT && w->kind == CF_PKL_DICT)
			v->attrs = w;
		return CF_OK;
	case 'Q':
		return op_persid(u);
	default:
		if (op >= 0x20 && op < 0x7f)
			snprintf(name, sizeof name, "'%c' (0x%02x)", op, op);
		else
			snprintf(name, sizeof name, "0x%02x", op);
		return fail(u, "refused opcode %s: not one a state dict needs", name);
	}
}

int cf_pkl_load(const unsigned char *buf, size_t len, const char *what, size_t *used,
		cf_pkl **out, cf_error *err)
{
	up u;
	int rc = CF_OK, done = 0;

	*out = NULL;
	memset(&u, 0, sizeof u);
	u.b = buf;
	u.len = len;
	u.what = what;
	u.err = err;
	if (!(u.p = calloc(1, sizeof *u.p)))
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
	while (!rc && !done)
		rc = step(&u, &done);
	free(u.stack);
	free(u.marks);
	free(u.memo);
	if (rc) {
		cf_pkl_free(u.p);
		return rc;
	}
	if (used)
		*used = u.pos;
	*out = u.p;
	return CF_OK;
}
