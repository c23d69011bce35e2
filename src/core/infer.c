/* infer.c — architecture inference from a state dict (see infer.h).
 *
 * The tensors are first grouped into modules (a path and its weight, bias
 * and BatchNorm buffers) and each module classified by its weight's rank:
 * 2 a Linear, 4 a Conv2d, 1 with running statistics a BatchNorm.  Then one
 * family at a time checks the module names and that the shapes chain; the
 * first family whose names match decides, and its errors are the ones
 * reported, because a file with features.* is meant as a VGG even when
 * something in it is wrong.
 */
#define _POSIX_C_SOURCE 200809L
#include "infer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mkind { M_LINEAR, M_CONV, M_BN, M_OTHER };

typedef struct mod {
	char path[128];
	int w, b, rm, rv, nbt;    /* tensor indices, -1 when absent */
	enum mkind kind;
	int used;
} mod;

typedef struct inf {
	cf_st_file *f;
	const char *what;
	cf_error *err;
	mod *m;
	int n;
	char **rename;            /* new name per tensor, NULL to keep */
	int c, h, w;              /* input hint */
} inf;

static int refuse(inf *s, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static int refuse(inf *s, const char *fmt, ...)
{
	char buf[CF_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return cf_error_set(s->err, CF_EFORMAT, "%s: cannot infer the architecture: %s; give it with --arch DESC",
			    s->what, buf);
}

static const cf_st_tensor *T(const inf *s, int i)
{
	return i >= 0 ? &s->f->t[i] : NULL;
}

static mod *find(inf *s, const char *path)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].path, path))
			return &s->m[i];
	return NULL;
}

static mod *findf(inf *s, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static mod *findf(inf *s, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	return find(s, path);
}

static int group(inf *s)
{
	cf_st_file *f = s->f;

	if (!(s->m = calloc(f->n ? f->n : 1, sizeof *s->m)))
		return cf_error_set(s->err, CF_ENOMEM, "%s: out of memory", s->what);
	for (size_t i = 0; i < f->n; i++) {
		const char *name = f->t[i].name, *dot = strrchr(name, '.'), *leaf;
		char path[128];
		mod *m;
		int *slot;

		for (const char *q = name; *q; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return refuse(s, "tensor %zu has a control character in its name", i);
		if (!dot || (size_t)(dot - name) >= sizeof path)
			return refuse(s, "tensor %s is not named module.parameter", name);
		memcpy(path, name, (size_t)(dot - name));
		path[dot - name] = '\0';
		leaf = dot + 1;
		if (!(m = find(s, path))) {
			m = &s->m[s->n++];
			snprintf(m->path, sizeof m->path, "%s", path);
			m->w = m->b = m->rm = m->rv = m->nbt = -1;
		}
		if (!strcmp(leaf, "weight"))
			slot = &m->w;
		else if (!strcmp(leaf, "bias"))
			slot = &m->b;
		else if (!strcmp(leaf, "running_mean"))
			slot = &m->rm;
		else if (!strcmp(leaf, "running_var"))
			slot = &m->rv;
		else if (!strcmp(leaf, "num_batches_tracked"))
			slot = &m->nbt;
		else
			return refuse(s, "tensor %s: '%s' is not a parameter of Linear, Conv2d or BatchNorm2d", name, leaf);
		*slot = (int)i;
	}
	for (int i = 0; i < s->n; i++) {
		mod *m = &s->m[i];
		const cf_st_tensor *w = T(s, m->w);
		m->kind = M_OTHER;
		if (w && w->ndim == 2 && m->rm < 0)
			m->kind = M_LINEAR;
		else if (w && w->ndim == 4 && m->rm < 0)
			m->kind = M_CONV;
		else if (w && w->ndim == 1 && m->rm >= 0 && m->rv >= 0)
			m->kind = M_BN;
		if (m->kind == M_OTHER)
			return refuse(s, "module %s is neither a Linear, a Conv2d nor a BatchNorm2d (weight of rank %d%s)",
				      m->path, w ? w->ndim : 0, m->rm >= 0 ? " with running statistics" : "");
		if (m->b >= 0) {
			const cf_st_tensor *b = T(s, m->b);
			if (b->ndim != 1 || b->shape[0] != w->shape[0])
				return refuse(s, "%s.bias has %lld values for %lld outputs", m->path,
					      (long long)(b->ndim ? b->shape[0] : 1), (long long)w->shape[0]);
		}
		if (m->kind == M_BN) {
			if (m->b < 0 || T(s, m->rm)->ndim != 1 || T(s, m->rv)->ndim != 1 ||
			    T(s, m->rm)->shape[0] != w->shape[0] || T(s, m->rv)->shape[0] != w->shape[0])
				return refuse(s, "BatchNorm %s needs weight, bias, running_mean and running_var of one length",
					      m->path);
		}
		for (int d = 0; d < w->ndim; d++)
			if (w->shape[d] < 1 || w->shape[d] > (1 << 24))
				return refuse(s, "%s.weight has dimension %lld, expected 1..%d", m->path,
					      (long long)w->shape[d], 1 << 24);
	}
	return CF_OK;
}

static int set_name(inf *s, int t, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
static int set_name(inf *s, int t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	if (t < 0)
		return CF_OK;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(s->rename[t]);
	if (!(s->rename[t] = malloc(strlen(buf) + 1)))
		return cf_error_set(s->err, CF_ENOMEM, "%s: out of memory", s->what);
	strcpy(s->rename[t], buf);
	return CF_OK;
}

/* Rename a whole module (every tensor of it) to `to`. */
static int rename_mod(inf *s, const mod *m, const char *to)
{
	int rc = 0;
	rc |= set_name(s, m->w, "%s.weight", to);
	rc |= set_name(s, m->b, "%s.bias", to);
	rc |= set_name(s, m->rm, "%s.running_mean", to);
	rc |= set_name(s, m->rv, "%s.running_var", to);
	rc |= set_name(s, m->nbt, "%s.num_batches_tracked", to);
	return rc ? CF_ENOMEM : CF_OK;
}

typedef struct sbuf {
	char s[1024];
	size_t n;
} sbuf;

static void add(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static void add(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->n >= sizeof b->s)
		return;
	va_start(ap, fmt);
	b->n += (size_t)vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
}

static void default_hw(inf *s, int cin, int *h, int *w)
{
	if (s->c == cin && s->h > 0 && s->w > 0) {
		*h = s->h;
		*w = s->w;
	} else {
		*h = *w = cin == 1 ? 28 : 32;
	}
}

/* Compare module paths with digit runs as numbers: layers.10 after layers.9. */
static int natcmp(const void *pa, const void *pb)
{
	const char *a = ((const mod *)pa)->path, *b = ((const mod *)pb)->path;
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
			if (x != y)
				return x < y ? -1 : 1;
		} else {
			if (*a != *b)
				return (unsigned char)*a - (unsigned char)*b;
			a++;
			b++;
		}
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int chains(const inf *s, const mod *m, int n)
{
	for (int i = 1; i < n; i++)
		if (T(s, m[i].w)->shape[1] != T(s, m[i - 1].w)->shape[0])
			return 0;
	return 1;
}

static int infer_mlp(inf *s, char **desc)
{
	sbuf b = {0};
	int nb = 0;
	mod *m = malloc((size_t)s->n * sizeof *m);
	int64_t in;

	if (!m)
		return cf_error_set(s->err, CF_ENOMEM, "%s: out of memory", s->what);
	memcpy(m, s->m, (size_t)s->n * sizeof *m);
	/* The file's order is the forward order in a torch.save state dict;
	 * safetensors files sort by name, so try the natural order too. */
	if (!chains(s, m, s->n)) {
		qsort(m, (size_t)s->n, sizeof *m, natcmp);
		if (!chains(s, m, s->n)) {
			int i = 1;
			while (i < s->n && T(s, m[i].w)->shape[1] == T(s, m[i - 1].w)->shape[0])
				i++;
			free(m);
			return refuse(s, "recognised %d Linear layers, but their widths do not chain (%s has %lld inputs, the layer before it %lld outputs)",
				      s->n, s->m[i < s->n ? i : 0].path, (long long)T(s, s->m[i < s->n ? i : 0].w)->shape[1],
				      (long long)T(s, s->m[i > 0 ? i - 1 : 0].w)->shape[0]);
		}
	}
	for (int i = 0; i < s->n; i++)
		nb += m[i].b >= 0;
	if (nb != 0 && nb != s->n) {
		free(m);
		return refuse(s, "an MLP with biases on %d of its %d Linear layers; clafuse's mlp has them on all or none",
			      nb, s->n);
	}
	in = T(s, m[0].w)->shape[1];
	add(&b, "mlp %lld", (long long)in);
	for (int i = 0; i < s->n; i++) {
		char to[32];
		add(&b, "-%lld", (long long)T(s, m[i].w)->shape[0]);
		snprintf(to, sizeof to, "fc%d", i + 1);
		if (rename_mod(s, &m[i], to)) {
			free(m);
			return CF_ENOMEM;
		}
	}
	if (!nb)
		add(&b, " nobias");
	if ((int64_t)s->c * s->h * s->w == in && s->h > 0)
		add(&b, " in %dx%dx%d", s->c, s->h, s->w);
	else if (in == 784)
		add(&b, " in 1x28x28");
	else if (in == 3072)
		add(&b, " in 3x32x32");
	free(m);
	if (!(*desc = strdup(b.s)))
		return cf_error_set(s->err, CF_ENOMEM, "%s: out of memory", s->what);
	return CF_OK;
}

static int index_of(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long v;
	if (strncmp(path, prefix, n) || !isdigit((unsigned char)path[n]))
		return -1;
	v = strtol(path + n, &end, 10);
	return *end || v > 100000 ? -1 : (int)v;
}

static int infer_vgg(inf *s, char **desc)
{
	sbuf b = {0};
	mod *cls = find(s, "classifier");
	int next = 0, nconv = 0, nbn = 0, nbias = 0, pools = 0;
	int64_t c = 0, cin = 0;
	int h, w, bn = -1;

	if (!cls) {
		if (findf(s, "classifier.0") || findf(s, "classifier.1"))
			return refuse(s, "recognised a VGG (features.*) whose classifier is a Sequential of several layers (torchvision's); clafuse's vgg has one Linear \"classifier\"");
		return refuse(s, "recognised VGG features (features.*) but no Linear \"classifier\"");
	}
	if (cls->kind != M_LINEAR)
		return refuse(s, "classifier is not a Linear layer");
	cls->used = 1;
	add(&b, "vgg");
	for (;;) {
		mod *cv = NULL, *bm;
		int i, after;
		/* the next conv: the module with the smallest index >= next */
		int best = -1;
		for (int k = 0; k < s->n; k++) {
			int ix = index_of(s->m[k].path, "features.");
			if (ix >= next && !s->m[k].used && (best < 0 || ix < best)) {
				best = ix;
				cv = &s->m[k];
			}
		}
		if (!cv)
			break;
		i = best;
		if (i != next && !(nconv > 0 && i == next + 1)) {
			return refuse(s, "features.%d follows %s with %d parameter-free modules between them; expected ReLU, or ReLU and MaxPool",
				      i, nconv ? "the previous conv" : "the start", i - next + (nconv ? 1 : 0));
		}
		if (nconv > 0 && i == next + 1) {
			add(&b, " M");
			pools++;
		}
		if (cv->kind != M_CONV)
			return refuse(s, "features.%d is not a Conv2d where VGG has one", i);
		if (T(s, cv->w)->shape[2] != 3 || T(s, cv->w)->shape[3] != 3)
			return refuse(s, "features.%d is a %lldx%lld conv; clafuse's vgg has 3x3 convs", i,
				      (long long)T(s, cv->w)->shape[2], (long long)T(s, cv->w)->shape[3]);
		if (nconv == 0)
			cin = T(s, cv->w)->shape[1];
		else if (T(s, cv->w)->shape[1] != c)
			return refuse(s, "features.%d takes %lld channels, the conv before it gives %lld", i,
				      (long long)T(s, cv->w)->shape[1], (long long)c);
		cv->used = 1;
		c = T(s, cv->w)->shape[0];
		nconv++;
		nbias += cv->b >= 0;
		add(&b, " %lld", (long long)c);
		bm = findf(s, "features.%d", i + 1);
		if (bm && bm->kind == M_BN) {
			if (T(s, bm->w)->shape[0] != c)
				return refuse(s, "BatchNorm features.%d has %lld channels after a conv of %lld", i + 1,
					      (long long)T(s, bm->w)->shape[0], (long long)c);
			bm->used = 1;
			nbn++;
		}
		if (bn < 0)
			bn = bm && bm->kind == M_BN;
		else if (bn != (bm && bm->kind == M_BN))
			return refuse(s, "BatchNorm after some convs only (features.%d); clafuse's vgg has it after all or none", i);
		after = i + (bn ? 2 : 1) + 1;   /* the index after the ReLU */
		next = after;
	}
	for (int k = 0; k < s->n; k++)
		if (!s->m[k].used)
			return refuse(s, "recognised a VGG (%d convs, a classifier) but not module %s", nconv, s->m[k].path);
	if (nconv == 0)
		return refuse(s, "recognised a classifier but no conv features.0");
	if (nbias != 0 && nbias != nconv)
		return refuse(s, "biases on %d of %d convs; clafuse's vgg has them on all or none", nbias, nconv);
	if ((nbias != 0) != (cls->b >= 0))
		return refuse(s, "convs %s biases but the classifier %s; clafuse's vgg has one bias setting for all layers",
			      nbias ? "have" : "have no", cls->b >= 0 ? "has one" : "has none");
	/* Max-pools after the last conv leave no trace but the classifier's size. */
	default_hw(s, (int)cin, &h, &w);
	{
		int hh = h, ww = w, t;
		for (int p = 0; p < pools; p++) {
			hh /= 2;
			ww /= 2;
		}
		/* A VGG ends with at most one max-pool after its last conv;
		 * allowing more would fit a wrong input size as readily. */
		for (t = 0; t <= 1 && hh > 0 && ww > 0; t++) {
			if (c * hh * ww == T(s, cls->w)->shape[1])
				break;
			hh /= 2;
			ww /= 2;
		}
		if (t > 1 || hh == 0 || ww == 0)
			return cf_error_set(s->err, CF_EFORMAT,
					    "%s: cannot infer the architecture: recognised a VGG with %d convs and %d inner max-pools, but its classifier takes %lld inputs, which %lld channels do not give from a %dx%d input with or without a final max-pool; give the input shape (--arch \"in %lldxHxW\") or the whole description",
					    s->what, nconv, pools, (long long)T(s, cls->w)->shape[1], (long long)c, h, w,
					    (long long)cin);
		for (int k = 0; k < t; k++)
			add(&b, " M");
	}
	add(&b, " classes %lld in %lldx%dx%d", (long long)T(s, cls->w)->shape[0], (long long)cin, h, w);
	if (!nbias)
		add(&b, " nobias");
	if (bn)
		add(&b, " bn");
	if (!(*desc = strdup(b.s)))
		return cf_error_set(s->err, CF_ENOMEM, "%s: out of memory", s->what);
	return CF_OK;
}

static int64_t dim(const inf *s, const mod *m, int d)
{
	return T(s, m->w)->shape[d];
}

/* The BN of a conv: present (1), absent (0); *bn must agree across the net. */
static int check_bn(inf *s, mod *bm, int64_t ch, int *bn, const char *conv)
{
	int has = bm && bm->kind == M_BN;
	if (*bn < 0)
		*bn = has;
	else if (*bn != has)
		return refuse(s, "BatchNorm after some convs only (%s %s); clafuse's resnet has it everywhere or nowhere",
			      conv, has ? "has one" : "has none");
	if (has) {
		if (dim(s, bm, 0) != ch)
			return refuse(s, "BatchNorm %s has %lld channels after a conv of %lld", bm->path,
				      (long long)dim(s, bm, 0), (long long)ch);
		bm->used = 1;
	}
	return CF_OK;
}

static int check_bias(inf *s, const mod *cv, int *cb)
{
	int has = cv->b >= 0;
	if (*cb < 0)
		*cb = has;
	else if (*cb != has)
		return refuse(s, "conv %s %s a bias unlike the convs before it; clafuse's resnet has them on every conv or none",
			      cv->path, has ? "has" : "lacks");
	return CF_OK;
}

static int conv_is(inf *s, const mod *m, int64_t in, int k)
{
	if (!m || m->kind != M_CONV)
		return 0;
	if (dim(s, m, 2) != k || dim(s, m, 3) != k)
		return refuse(s, "%s is a %lldx%lld conv, expected %dx%d", m->path, (long long)dim(s, m, 2),
			      (long long)dim(s, m, 3), k, k), -1;
	if (dim(s, m, 1) != in)
		return refuse(s, "%s takes %lld channels, the layer before it gives %lld", m->path,
			      (long long)dim(s, m, 1), (long long)in), -1;
	return 1;
}

static int infer_resnet(inf *s, char **desc)
{
	sbuf b = {0}, widths = {0}, blocks = {0};
	mod *stem = find(s, "conv1"), *fc = find(s, "linear");
	const char *fcname = "linear";
	int bn = -1, cb = -1, rc, r, h, w, nst = 0;
	int64_t cin, c;

	if (!fc && (fc = find(s, "fc")))
		fcname = "fc";
	if (stem->kind != M_CONV)
		return refuse(s, "conv1 is not a Conv2d");
	if (dim(s, stem, 2) != 3 || dim(s, stem, 3) != 3)
		return refuse(s, "the stem conv1 is %lldx%lld: torchvision's ImageNet stem (7x7 stride 2, then max-pool) is not among clafuse's architectures, which have the CIFAR-style 3x3 stem",
			      (long long)dim(s, stem, 2), (long long)dim(s, stem, 3));
	stem->used = 1;
	cin = dim(s, stem, 1);
	c = dim(s, stem, 0);
	if ((rc = check_bn(s, find(s, "bn1"), c, &bn, "conv1")) || (rc = check_bias(s, stem, &cb)))
		return rc;
	for (int st = 1; findf(s, "layer%d.0.conv1", st); st++) {
		int64_t width = 0;
		int nb = 0;
		for (int bl = 0; findf(s, "layer%d.%d.conv1", st, bl); bl++) {
			mod *c1 = findf(s, "layer%d.%d.conv1", st, bl), *c2 = findf(s, "layer%d.%d.conv2", st, bl);
			mod *sc = findf(s, "layer%d.%d.shortcut.0", st, bl), *scb = findf(s, "layer%d.%d.shortcut.1", st, bl);
			const char *scn = "shortcut";
			int64_t out;
			int proj;
			char to[64];
			if (!sc && (sc = findf(s, "layer%d.%d.downsample.0", st, bl))) {
				scb = findf(s, "layer%d.%d.downsample.1", st, bl);
				scn = "downsample";
			}
			if ((r = conv_is(s, c1, c, 3)) <= 0)
				return r < 0 ? CF_EFORMAT : refuse(s, "layer%d.%d.conv1 is not a Conv2d", st, bl);
			if (!c2)
				return refuse(s, "recognised a ResNet block layer%d.%d with conv1 but no conv2", st, bl);
			if ((r = conv_is(s, c2, dim(s, c1, 0), 3)) <= 0)
				return r < 0 ? CF_EFORMAT : refuse(s, "layer%d.%d.conv2 is not a Conv2d", st, bl);
			out = dim(s, c2, 0);
			if (dim(s, c1, 0) != out)
				return refuse(s, "block layer%d.%d has a middle width %lld and an output width %lld; clafuse's resnet blocks keep one width",
					      st, bl, (long long)dim(s, c1, 0), (long long)out);
			if (bl == 0)
				width = out;
			else if (out != width)
				return refuse(s, "stage layer%d changes width inside (block %d: %lld, before: %lld)", st, bl,
					      (long long)out, (long long)width);
			proj = (st > 1 && bl == 0) || c != out;
			if (proj && !sc)
				return refuse(s, "block layer%d.%d changes %s but has no projection shortcut (shortcut.0 or downsample.0); parameter-free shortcuts are not among clafuse's architectures",
					      st, bl, c != out ? "width" : "resolution");
			if (!proj && sc)
				return refuse(s, "block layer%d.%d has a projection shortcut where clafuse's resnet has an identity (same width, stride 1)",
					      st, bl);
			c1->used = c2->used = 1;
			if ((rc = check_bias(s, c1, &cb)) || (rc = check_bias(s, c2, &cb)) ||
			    (rc = check_bn(s, findf(s, "layer%d.%d.bn1", st, bl), out, &bn, c1->path)) ||
			    (rc = check_bn(s, findf(s, "layer%d.%d.bn2", st, bl), out, &bn, c2->path)))
				return rc;
			if (sc) {
				if ((r = conv_is(s, sc, c, 1)) <= 0)
					return r < 0 ? CF_EFORMAT : refuse(s, "%s is not a 1x1 Conv2d", sc->path);
				if (dim(s, sc, 0) != out)
					return refuse(s, "%s gives %lld channels, the block %lld", sc->path,
						      (long long)dim(s, sc, 0), (long long)out);
				sc->used = 1;
				if ((rc = check_bias(s, sc, &cb)) || (rc = check_bn(s, scb, out, &bn, sc->path)))
					return rc;
				if (!strcmp(scn, "downsample")) {
					snprintf(to, sizeof to, "layer%d.%d.shortcut.0", st, bl);
					if (rename_mod(s, sc, to))
						return CF_ENOMEM;
					snprintf(to, sizeof to, "layer%d.%d.shortcut.1", st, bl);
					if (scb && rename_mod(s, scb, to))
						return CF_ENOMEM;
				}
			}
			c = out;
			nb++;
		}
		if (nst == 0 && width != dim(s, stem, 0))
			return refuse(s, "the stem gives %lld channels but stage layer1 is %lld wide; clafuse's resnet stem has the first stage's width",
				      (long long)dim(s, stem, 0), (long long)width);
		add(&blocks, "%s%d", nst ? "," : "", nb);
		add(&widths, "%s%lld", nst ? "," : "", (long long)width);
		nst++;
	}
	if (nst == 0)
		return refuse(s, "recognised a stem conv1 but no residual blocks layer1.0.conv1");
	if (!fc || fc->kind != M_LINEAR)
		return refuse(s, "recognised a ResNet (conv1, %d stages) but no Linear classifier \"linear\" or \"fc\"", nst);
	if (dim(s, fc, 1) != c)
		return refuse(s, "the classifier %s takes %lld inputs, the last stage gives %lld channels", fcname,
			      (long long)dim(s, fc, 1), (long long)c);
	fc->used = 1;
	if (!strcmp(fcname, "fc") && rename_mod(s, fc, "linear"))
		return CF_ENOMEM;
	for (int k = 0; k < s->n; k++)
		if (!s->m[k].used)
			return refuse(s, "recognised a ResNet (conv1, %d stages, %s) but not module %s", nst, fcname,
				      s->m[k].path);
	default_hw(s, (int)cin, &h, &w);
	add(&b, "resnet %s widths %s classes %lld in %lldx%dx%d", blocks.s, widths.s,
	    (long long)dim(s, fc, 0), (long long)cin, h, w);
	if (!bn)
		add(&b, " nobn");
	if (fc->b < 0)
		add(&b, " nobias");
	if (cb)
		add(&b, " convbias");
	if (!(*desc = strdup(b.s)))
		return cf_error_set(s->err, CF_ENOMEM, "%s: out of memory", s->what);
	return CF_OK;
}

static void describe(const inf *s, char *buf, size_t len)
{
	int nl = 0, nc = 0, nb = 0;
	for (int i = 0; i < s->n; i++) {
		nl += s->m[i].kind == M_LINEAR;
		nc += s->m[i].kind == M_CONV;
		nb += s->m[i].kind == M_BN;
	}
	snprintf(buf, len, "%d Linear, %d Conv2d and %d BatchNorm modules (first: %.60s)", nl, nc, nb,
		 s->n ? s->m[0].path : "none");
}

int cf_infer_arch(cf_st_file *f, int c, int h, int w, const char *what, char **desc,
		  cf_error *err)
{
	inf s;
	int rc, linear_only = 1;

	*desc = NULL;
	memset(&s, 0, sizeof s);
	s.f = f;
	s.what = what;
	s.err = err;
	s.c = c;
	s.h = h;
	s.w = w;
	if (!f->n)
		return refuse(&s, "the state dict is empty");
	if (!(s.rename = calloc(f->n, sizeof *s.rename))) {
		rc = cf_error_set(err, CF_ENOMEM, "%s: out of memory", what);
		goto out;
	}
	if ((rc = group(&s)))
		goto out;
	for (int i = 0; i < s.n; i++)
		linear_only &= s.m[i].kind == M_LINEAR;
	if (find(&s, "conv1") && findf(&s, "layer1.0.conv1")) {
		rc = infer_resnet(&s, desc);
	} else if (findf(&s, "features.0") || find(&s, "classifier")) {
		rc = infer_vgg(&s, desc);
	} else if (linear_only) {
		rc = infer_mlp(&s, desc);
	} else {
		char what_[200];
		describe(&s, what_, sizeof what_);
		rc = refuse(&s, "recognised %s, but not the names of an MLP (fcK, layers.K), a VGG (features.K, classifier) or a ResNet (conv1, layerS.B.conv1, linear or fc)",
			    what_);
	}
	if (!rc) {
		for (size_t i = 0; i < f->n; i++)
			if (s.rename[i]) {
				free(f->t[i].name);
				f->t[i].name = s.rename[i];
				s.rename[i] = NULL;
			}
	} else {
		free(*desc);
		*desc = NULL;
	}
out:
	if (s.rename)
		for (size_t i = 0; i < f->n; i++)
			free(s.rename[i]);
	free(s.rename);
	free(s.m);
	return rc;
}
