/* arch.c — parsing and printing architecture descriptions (see arch.h).
 *
 * Every form is expanded at parse time into one flat list of units with all
 * widths explicit; the family is kept only to choose PyTorch names and the
 * printed form.  The parser is a hand-written recursive descent over a
 * token array that remembers each token's column, so every message can say
 * where the text went wrong.
 */
#include "arch.h"

#include "checked.h"
#include "limit.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---------------------------------------------------------- */

typedef struct tok {
	const char *s;
	int len, col;
} tok;

typedef struct parser {
	tok *t;
	int n, i;
	int over;      /* tokenize: more tokens than the units limit allows */
	cf_error *err;
} parser;

/* No unit takes more than 12 tokens ("block 64 mid 32 s 2 nobn bias ,"
 * is 9), so a longer text is refused before its units are even built. */
#define TOKENS_PER_UNIT 12

static int tokenize(const char *text, parser *p)
{
	int cap = 16;
	const char *s = text;
	int64_t maxtok = cf_limits_get()->units * TOKENS_PER_UNIT + 64;

	p->t = malloc(sizeof *p->t * (size_t)cap);
	p->n = p->i = 0;
	if (!p->t)
		return CF_ENOMEM;
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (p->n >= maxtok) {
			p->over = 1;
			return CF_EINVAL;
		}
		if (p->n == cap) {
			tok *nt = realloc(p->t, sizeof *p->t * (size_t)(cap *= 2));
			if (!nt)
				return CF_ENOMEM;
			p->t = nt;
		}
		p->t[p->n].s = s;
		p->t[p->n].col = (int)(s - text) + 1;
		if (*s == ',' || *s == ':') {
			s++;
		} else {
			while (*s && !isspace((unsigned char)*s) && *s != ',' && *s != ':')
				s++;
		}
		p->t[p->n].len = (int)(s - p->t[p->n].s);
		p->n++;
	}
	return CF_OK;
}

static const tok *peek(const parser *p)
{
	return p->i < p->n ? &p->t[p->i] : NULL;
}

/* Case-insensitive prefix comparison (strncasecmp is not in C11). */
static int ncaseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int tok_is(const tok *t, const char *word)
{
	return t && (int)strlen(word) == t->len && ncaseeq(t->s, word, (size_t)t->len);
}

static int expected(parser *p, const char *what)
{
	const tok *t = peek(p);
	if (!t)
		return cf_error_set(p->err, CF_EINVAL,
				    "architecture: at the end of the description: expected %s", what);
	return cf_error_set(p->err, CF_EINVAL, "architecture: column %d (\"%.*s\"): expected %s",
			    t->col, t->len, t->s, what);
}

/* A positive decimal integer occupying s[0..len). */
static int parse_pos(const char *s, int len, int *v)
{
	long x = 0;
	if (len <= 0 || len > 9)
		return 0;
	for (int i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		x = x * 10 + (s[i] - '0');
	}
	if (x <= 0)
		return 0;
	*v = (int)x;
	return 1;
}

static int take_pos(parser *p, int *v, const char *what)
{
	const tok *t = peek(p);
	if (!t || !parse_pos(t->s, t->len, v))
		return expected(p, what);
	p->i++;
	return CF_OK;
}

/* "AxB" or "AxBxC" (or a single number when allow1): dims filled, count returned. */
static int parse_dims(const tok *t, int *d, int maxd)
{
	int n = 0;
	const char *s = t->s, *end = t->s + t->len;
	while (s < end && n < maxd) {
		const char *q = s;
		while (q < end && *q != 'x' && *q != 'X')
			q++;
		if (!parse_pos(s, (int)(q - s), &d[n]))
			return 0;
		n++;
		if (q == end)
			return n;
		s = q + 1;
		if (s == end)
			return 0;
	}
	return 0;
}

static int take_input(parser *p, cf_arch *a)
{
	const tok *t = peek(p);
	int d[3], n;
	if (!t || (n = parse_dims(t, d, 3)) == 0 || n == 2)
		return expected(p, "an input shape CxHxW (e.g. 1x28x28) or a size N");
	if (n == 3) {
		a->c = d[0];
		a->h = d[1];
		a->w = d[2];
	} else {
		a->c = d[0];
		a->h = a->w = 1;
	}
	p->i++;
	return CF_OK;
}

/* A comma-separated list of positive integers ("2,2,2,2"). */
static int take_list(parser *p, int *v, int maxn, int *n, const char *what)
{
	int rc;
	*n = 0;
	for (;;) {
		if (*n == maxn)
			return expected(p, "at most 16 entries");
		if ((rc = take_pos(p, &v[*n], what)))
			return rc;
		(*n)++;
		if (!tok_is(peek(p), ","))
			return CF_OK;
		p->i++;
	}
}

/* ---- building the unit list ------------------------------------------ */

static int push(cf_arch *a, int *cap, cf_arch_unit u)
{
	if (a->nunits >= cf_limits_get()->units)
		return CF_EINVAL;
	if (a->nunits == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		cf_arch_unit *nu = realloc(a->unit, sizeof *nu * (size_t)nc);
		if (!nu)
			return CF_ENOMEM;
		a->unit = nu;
		*cap = nc;
	}
	a->unit[a->nunits++] = u;
	return CF_OK;
}

static cf_arch_unit mk(enum cf_unit_kind kind, int out, int col)
{
	cf_arch_unit u;
	memset(&u, 0, sizeof u);
	u.kind = kind;
	u.out = out;
	u.mid = kind == CF_UNIT_BLOCK ? out : 0;
	u.kh = u.kw = kind == CF_UNIT_CONV ? 3 : 0;
	u.stride = 1;
	u.bias = kind == CF_UNIT_LINEAR || kind == CF_UNIT_CONV;
	u.col = col;
	return u;
}

#define PUSH(u)                                                              \
	do {                                                                 \
		int push_rc_ = push(a, &cap, (u));                           \
		if (push_rc_)                                                \
			return push_error(p, a, push_rc_);                   \
	} while (0)

static int push_error(parser *p, const cf_arch *a, int rc)
{
	if (rc == CF_ENOMEM)
		return cf_error_set(p->err, CF_ENOMEM, "architecture: out of memory");
	return cf_limits_refuse(p->err, CF_EINVAL, "units",
				"architecture: more than %d units", a->nunits);
}

/* ---- mlp --------------------------------------------------------------- */

static int parse_mlp(parser *p, cf_arch *a)
{
	int w[256], n = 0, cap = 0, rc, has_in = 0;
	const tok *t = peek(p);
	const char *s, *end;

	if (!t)
		return expected(p, "layer widths like 784-400-10");
	s = t->s;
	end = t->s + t->len;
	while (s < end) {
		const char *q = s;
		while (q < end && *q != '-')
			q++;
		if (n == 256 || !parse_pos(s, (int)(q - s), &w[n]))
			return expected(p, "layer widths like 784-400-10 (positive integers joined by '-')");
		n++;
		s = q < end ? q + 1 : q;
		if (q < end && s == end)
			return expected(p, "layer widths like 784-400-10 (a width after the last '-')");
	}
	if (n < 2)
		return expected(p, "at least an input size and a number of classes, like 784-10");
	p->i++;
	a->bias = 1;
	while ((t = peek(p))) {
		if (tok_is(t, "nobias")) {
			a->bias = 0;
			p->i++;
		} else if (tok_is(t, "bias")) {
			a->bias = 1;
			p->i++;
		} else if (tok_is(t, "in")) {
			p->i++;
			if ((rc = take_input(p, a)))
				return rc;
			has_in = 1;
		} else {
			return expected(p, "\"nobias\", \"bias\" or \"in CxHxW\"");
		}
	}
	if (!has_in) {
		a->c = w[0];
		a->h = a->w = 1;
	} else if ((long)a->c * a->h * a->w != w[0]) {
		return cf_error_set(p->err, CF_EINVAL,
				    "architecture: mlp input %dx%dx%d has %ld values but the first width is %d",
				    a->c, a->h, a->w, (long)a->c * a->h * a->w, w[0]);
	}
	for (int i = 1; i < n; i++) {
		cf_arch_unit u = mk(CF_UNIT_LINEAR, w[i], 0);
		u.bias = a->bias;
		PUSH(u);
		if (i + 1 < n)
			PUSH(mk(CF_UNIT_RELU, 0, 0));
	}
	return CF_OK;
}

/* ---- vgg --------------------------------------------------------------- */

static const struct vgg_preset {
	const char *name, *cfg;
} vgg_presets[] = {
	{ "vgg8", "64 M 128 M 256 M 512 M 512 M" },
	{ "vgg11", "64 M 128 M 256 256 M 512 512 M 512 512 M" },
	{ "vgg11_half", "64 M 64 M 128 128 M 256 256 M 256 512 M" },
	{ "vgg11_doub", "64 M 256 M 512 512 M 1024 1024 M 1024 512 M" },
	{ "vgg11_quad", "64 M 512 M 1024 1024 M 2048 2048 M 2048 512 M" },
	{ "vgg13", "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M" },
	{ "vgg13_half", "64 32 M 64 64 M 128 128 M 256 256 M 256 512 M" },
	{ "vgg13_doub", "64 128 M 256 256 M 512 512 M 1024 1024 M 1024 512 M" },
	{ "vgg13_quad", "64 256 M 512 512 M 1024 1024 M 2048 2048 M 2048 512 M" },
	{ "vgg13_student", "64 64 M 64 64 M 128 128 M 256 256 M 256 512 M" },
	{ "vgg16", "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M" },
	{ "vgg19", "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M" },
};

/* The options VGG and ResNet share: "classes K", "in CxHxW", "bias" /
 * "nobias", "bn" / "nobn".  Returns 1 when t is one of them (consumed,
 * *rc the status of reading its value), else 0 with nothing consumed. */
static int shared_option(parser *p, cf_arch *a, const tok *t, int *rc)
{
	*rc = CF_OK;
	if (tok_is(t, "classes")) {
		p->i++;
		*rc = take_pos(p, &a->nclasses, "a number of classes");
	} else if (tok_is(t, "in")) {
		p->i++;
		*rc = take_input(p, a);
	} else if (tok_is(t, "nobias") || tok_is(t, "bias")) {
		a->bias = tok_is(t, "bias");
		p->i++;
	} else if (tok_is(t, "bn") || tok_is(t, "nobn")) {
		a->bn = tok_is(t, "bn");
		p->i++;
	} else {
		return 0;
	}
	return 1;
}

/* Config items (ints and M) from a token stream, then options. */
static int vgg_options(parser *p, cf_arch *a)
{
	const tok *t;
	int rc;
	while ((t = peek(p))) {
		if (!shared_option(p, a, t, &rc))
			return expected(p, "a conv width, \"M\", \"classes K\", \"in CxHxW\", \"nobias\" or \"bn\"");
		if (rc)
			return rc;
	}
	return CF_OK;
}

/* Expand a config string (ints and M) into units. */
static int vgg_expand(parser *p, cf_arch *a, const int *cfg, const int *cols, int n)
{
	int cap = 0;
	if (n == 0 || cfg[0] == 0)
		return cf_error_set(p->err, CF_EINVAL,
				    "architecture: a vgg config must start with a conv width");
	for (int i = 0; i < n; i++) {
		if (cfg[i] > 0) {
			cf_arch_unit u = mk(CF_UNIT_CONV, cfg[i], cols[i]);
			u.pad = 1;
			u.bias = a->bias;
			PUSH(u);
			if (a->bn)
				PUSH(mk(CF_UNIT_BN, 0, cols[i]));
			PUSH(mk(CF_UNIT_RELU, 0, cols[i]));
		} else {
			cf_arch_unit u = mk(CF_UNIT_MAXPOOL, 0, cols[i]);
			u.kh = u.kw = u.stride = 2;
			PUSH(u);
		}
	}
	PUSH(mk(CF_UNIT_FLATTEN, 0, 0));
	{
		cf_arch_unit u = mk(CF_UNIT_LINEAR, a->nclasses, 0);
		u.bias = a->bias;
		PUSH(u);
	}
	return CF_OK;
}

static int parse_vgg_items(parser *p, int **cfg, int **cols, int *n)
{
	const tok *t;
	int cap = 0;
	*n = 0;
	*cfg = *cols = NULL;
	while ((t = peek(p))) {
		int v = 0;
		if (!tok_is(t, "M") && !parse_pos(t->s, t->len, &v))
			break;
		if (*n == cap) {
			int nc = cap ? 2 * cap : 32;
			int *a = realloc(*cfg, sizeof(int) * (size_t)nc);
			int *b = a ? realloc(*cols, sizeof(int) * (size_t)nc) : NULL;
			if (a)
				*cfg = a;
			if (!b)
				return cf_error_set(p->err, CF_ENOMEM, "architecture: out of memory");
			*cols = b;
			cap = nc;
		}
		(*cfg)[*n] = v;
		(*cols)[*n] = t->col;
		(*n)++;
		p->i++;
	}
	return CF_OK;
}

/* The conv widths and pools of a vgg (from the text, or a preset's config
 * when preset_cfg is not NULL), then its options; bias and bn are the
 * defaults the options may change (a preset's suffixes set them). */
static int parse_vgg_cfg(parser *p, cf_arch *a, const char *preset_cfg, int bias, int bn)
{
	int *cfg = NULL, *cols = NULL, n = 0, rc;

	a->bias = bias;
	a->bn = bn;
	a->nclasses = 10;
	a->c = 3;
	a->h = a->w = 32;
	if (preset_cfg) {
		parser q;
		memset(&q, 0, sizeof q);
		q.err = p->err;
		if (tokenize(preset_cfg, &q))
			return cf_error_set(p->err, CF_ENOMEM, "architecture: out of memory");
		rc = parse_vgg_items(&q, &cfg, &cols, &n);
		free(q.t);
		/* columns point into the preset's text, not the user's */
		for (int i = 0; i < n && cols; i++)
			cols[i] = 0;
	} else {
		rc = parse_vgg_items(p, &cfg, &cols, &n);
		if (!rc && n == 0)
			rc = expected(p, "a vgg config of conv widths and M, like 64 M 128 M");
	}
	if (!rc)
		rc = vgg_options(p, a);
	if (!rc)
		rc = vgg_expand(p, a, cfg, cols, n);
	free(cfg);
	free(cols);
	return rc;
}

/* ---- resnet ------------------------------------------------------------ */

static int resnet_expand(parser *p, cf_arch *a)
{
	int cap = 0, in = a->widths[0];
	cf_arch_unit u = mk(CF_UNIT_CONV, a->widths[0], 0);
	u.pad = 1;
	u.bias = a->convbias;
	PUSH(u);
	if (a->bn)
		PUSH(mk(CF_UNIT_BN, 0, 0));
	PUSH(mk(CF_UNIT_RELU, 0, 0));
	for (int s = 0; s < a->nstages; s++) {
		for (int b = 0; b < a->blocks[s]; b++) {
			cf_arch_unit bl = mk(CF_UNIT_BLOCK, a->widths[s], 0);
			bl.stride = (s > 0 && b == 0) ? 2 : 1;
			bl.bn = a->bn;
			bl.bias = a->convbias;
			PUSH(bl);
			in = a->widths[s];
		}
	}
	(void)in;
	PUSH(mk(CF_UNIT_GAP, 0, 0));
	u = mk(CF_UNIT_LINEAR, a->nclasses, 0);
	u.bias = a->bias;
	PUSH(u);
	return CF_OK;
}

static int resnet_options(parser *p, cf_arch *a, int *width, int *nwidths)
{
	const tok *t;
	int rc;
	while ((t = peek(p))) {
		if (shared_option(p, a, t, &rc)) {
			if (rc)
				return rc;
		} else if (tok_is(t, "convbias") || tok_is(t, "noconvbias")) {
			/* biases on the stem and every block conv (BN folded in) */
			a->convbias = tok_is(t, "convbias");
			p->i++;
		} else if (tok_is(t, "width")) {
			p->i++;
			if ((rc = take_pos(p, width, "a width (channels of the first stage)")))
				return rc;
			*nwidths = 0;
		} else if (tok_is(t, "widths")) {
			p->i++;
			if ((rc = take_list(p, a->widths, CF_ARCH_MAXSTAGES, nwidths,
					    "a list of stage widths like 16,32,64,128")))
				return rc;
		} else {
			return expected(p, "\"width W\", \"widths W1,W2,...\", \"classes K\", \"in CxHxW\", \"nobn\", \"nobias\" or \"convbias\"");
		}
	}
	return CF_OK;
}

static int resnet_finish(parser *p, cf_arch *a, int width, int nwidths)
{
	const cf_limits *lim = cf_limits_get();
	int64_t nblocks = 0;
	/* counted before the expansion allocates a unit per block */
	for (int s = 0; s < a->nstages; s++)
		nblocks += a->blocks[s];
	if (nblocks > lim->blocks)
		return cf_limits_refuse(p->err, CF_EINVAL, "blocks",
					"architecture: resnet with %lld residual blocks", (long long)nblocks);
	if (nwidths == 0) {
		for (int s = 0; s < a->nstages; s++) {
			if ((int64_t)width << s > lim->width)
				return cf_limits_refuse(p->err, CF_EINVAL, "width",
							"architecture: resnet stage %d width %lld", s + 1,
							(long long)((int64_t)width << s));
			a->widths[s] = width << s;
		}
	} else if (nwidths != a->nstages) {
		return cf_error_set(p->err, CF_EINVAL,
				    "architecture: resnet has %d stages but %d widths were given",
				    a->nstages, nwidths);
	}
	return resnet_expand(p, a);
}

static int parse_resnet(parser *p, cf_arch *a, const int *preset_blocks, int npreset, int width)
{
	int rc, nwidths = 0;
	a->bias = a->bn = 1;
	a->nclasses = 10;
	a->c = 3;
	a->h = a->w = 32;
	if (preset_blocks) {
		a->nstages = npreset;
		memcpy(a->blocks, preset_blocks, sizeof(int) * (size_t)npreset);
	} else if ((rc = take_list(p, a->blocks, CF_ARCH_MAXSTAGES, &a->nstages,
				   "blocks per stage like 2,2,2,2"))) {
		return rc;
	}
	if ((rc = resnet_options(p, a, &width, &nwidths)))
		return rc;
	return resnet_finish(p, a, width, nwidths);
}

/* ---- general list -------------------------------------------------------- */

/* Option "k3", "k 3", "k3x5", "s2", "p1", "mid 32" after a unit keyword.
 * Returns 1 when the token was the named option and the value parsed. */
static int unit_opt(parser *p, char letter, int *v1, int *v2, int *rc)
{
	const tok *t = peek(p);
	const tok *vt;
	int d[2], n;
	tok sub;

	if (!t || tolower((unsigned char)t->s[0]) != letter)
		return 0;
	if (t->len == 1) {
		if (p->i + 1 >= p->n)
			return 0;
		vt = &p->t[p->i + 1];
		p->i += 2;
	} else {
		if (!isdigit((unsigned char)t->s[1]))
			return 0;
		sub.s = t->s + 1;
		sub.len = t->len - 1;
		sub.col = t->col + 1;
		vt = &sub;
		p->i++;
	}
	n = parse_dims(vt, d, 2);
	if (letter == 'p' && vt->len == 1 && vt->s[0] == '0') {
		d[0] = 0;
		n = 1;
	}
	if (n == 0 || (n == 2 && !v2)) {
		p->i--;
		*rc = expected(p, letter == 'k' ? "a kernel size like k3 or k3x5"
				: letter == 's' ? "a stride like s2" : "a padding like p1");
		return 1;
	}
	*v1 = d[0];
	if (v2)
		*v2 = n == 2 ? d[1] : d[0];
	*rc = CF_OK;
	return 1;
}

static int parse_unit(parser *p, cf_arch *a, int *cap_io, int global_bias)
{
	const tok *t = peek(p);
	cf_arch_unit u;
	int rc = CF_OK, cap = *cap_io;

	if (!t)
		return expected(p, "a unit (linear, conv, relu, maxpool, avgpool, gap, flatten, bn, block)");
	if (tok_is(t, "linear") || tok_is(t, "conv")) {
		int conv = tok_is(t, "conv");
		u = mk(conv ? CF_UNIT_CONV : CF_UNIT_LINEAR, 0, t->col);
		u.bias = global_bias;
		p->i++;
		if ((rc = take_pos(p, &u.out, conv ? "the number of output channels" : "the number of outputs")))
			return rc;
		for (;;) {
			const tok *o = peek(p);
			if (tok_is(o, "nobias")) {
				u.bias = 0;
				p->i++;
			} else if (tok_is(o, "bias")) {
				u.bias = 1;
				p->i++;
			} else if (conv && (unit_opt(p, 'k', &u.kh, &u.kw, &rc) ||
					    unit_opt(p, 's', &u.stride, NULL, &rc) ||
					    unit_opt(p, 'p', &u.pad, NULL, &rc))) {
				if (rc)
					return rc;
			} else {
				break;
			}
		}
	} else if (tok_is(t, "maxpool") || tok_is(t, "avgpool")) {
		u = mk(tok_is(t, "maxpool") ? CF_UNIT_MAXPOOL : CF_UNIT_AVGPOOL, 0, t->col);
		p->i++;
		if ((rc = take_pos(p, &u.kh, "a pooling window size")))
			return rc;
		u.kw = u.stride = u.kh;
		if (unit_opt(p, 's', &u.stride, NULL, &rc) && rc)
			return rc;
	} else if (tok_is(t, "block")) {
		u = mk(CF_UNIT_BLOCK, 0, t->col);
		u.bn = 1;
		p->i++;
		if ((rc = take_pos(p, &u.out, "the block's output channels")))
			return rc;
		u.mid = u.out;
		for (;;) {
			const tok *o = peek(p);
			if (tok_is(o, "nobn") || tok_is(o, "bn")) {
				u.bn = tok_is(o, "bn");
				p->i++;
			} else if (tok_is(o, "bias") || tok_is(o, "nobias")) {
				u.bias = tok_is(o, "bias");
				p->i++;
			} else if (tok_is(o, "mid")) {
				p->i++;
				if ((rc = take_pos(p, &u.mid, "the width of the block's first conv")))
					return rc;
			} else if (unit_opt(p, 's', &u.stride, NULL, &rc)) {
				if (rc)
					return rc;
			} else {
				break;
			}
		}
	} else {
		static const struct { const char *w; enum cf_unit_kind k; } simple[] = {
			{ "relu", CF_UNIT_RELU }, { "gap", CF_UNIT_GAP },
			{ "flatten", CF_UNIT_FLATTEN }, { "bn", CF_UNIT_BN },
		};
		size_t i;
		for (i = 0; i < sizeof simple / sizeof simple[0]; i++)
			if (tok_is(t, simple[i].w))
				break;
		if (i == sizeof simple / sizeof simple[0])
			return expected(p, "a unit (linear, conv, relu, maxpool, avgpool, gap, flatten, bn, block)");
		u = mk(simple[i].k, 0, t->col);
		p->i++;
	}
	PUSH(u);
	*cap_io = cap;
	return CF_OK;
}

static int parse_net(parser *p, cf_arch *a)
{
	int rc, cap = 0, has_in = 0;
	const tok *t;
	a->bias = 1;
	while ((t = peek(p)) && !tok_is(t, ":")) {
		if (tok_is(t, "in")) {
			p->i++;
			if ((rc = take_input(p, a)))
				return rc;
			has_in = 1;
		} else if (tok_is(t, "nobias")) {
			a->bias = 0;
			p->i++;
		} else {
			return expected(p, "\"in CxHxW\", \"nobias\" or \":\" before the list of units");
		}
	}
	if (!has_in)
		return cf_error_set(p->err, CF_EINVAL,
				    "architecture: a \"net\" description needs its input shape, e.g. \"net in 1x28x28: ...\"");
	if (!t)
		return expected(p, "\":\" and a list of units");
	p->i++;
	for (;;) {
		if ((rc = parse_unit(p, a, &cap, a->bias)))
			return rc;
		if (!peek(p))
			return CF_OK;
		if (!tok_is(peek(p), ","))
			return expected(p, "\",\" between units, or the end of the description");
		p->i++;
	}
}

/* ---- presets ---------------------------------------------------------- */

/* strtok_r on '_' (not in C11): the next part of the string, or NULL. */
static char *split_next(char *s, char **save)
{
	char *start = s ? s : *save;
	char *q;
	if (!start || !*start)
		return NULL;
	q = strchr(start, '_');
	if (q) {
		*q = '\0';
		*save = q + 1;
	} else {
		*save = start + strlen(start);
	}
	return start;
}

/* Split a preset name "resnet18_half_nobias_nobn" into base and suffixes. */
static int parse_preset(parser *p, cf_arch *a, const tok *t)
{
	char name[64], *save = NULL, *part;
	int is_vgg, nobias = 0, bn = -1, nobn = 0, rc;
	const char *size = NULL, *cfg = NULL;
	double ratio = 1.0;

	if (t->len >= (int)sizeof name)
		return expected(p, "mlp, vgg, resnet, net or a preset name (vgg11, resnet18, ...)");
	memcpy(name, t->s, (size_t)t->len);
	name[t->len] = '\0';
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	is_vgg = strncmp(name, "vgg", 3) == 0;
	part = split_next(name, &save);
	if (!part)
		return expected(p, "a preset name");
	{
		char base[64];
		memcpy(base, part, strlen(part) + 1);
		while ((part = split_next(NULL, &save))) {
			if (!strcmp(part, "nobias"))
				nobias = 1;
			else if (!strcmp(part, "bn"))
				bn = 1;
			else if (!strcmp(part, "nobn"))
				nobn = 1;
			else if (!size && (!strcmp(part, "half") || !strcmp(part, "doub") ||
					   !strcmp(part, "quad") || !strcmp(part, "student") ||
					   !strcmp(part, "eighth") || !strcmp(part, "fourth")))
				size = part;
			else
				return expected(p, "a preset name like vgg11_half_nobias or resnet18_nobias_nobn");
		}
		p->i++;
		if (is_vgg) {
			char full[140];
			snprintf(full, sizeof full, "%s%s%s", base, size ? "_" : "", size ? size : "");
			for (size_t i = 0; i < sizeof vgg_presets / sizeof vgg_presets[0]; i++)
				if (!strcmp(vgg_presets[i].name, full))
					cfg = vgg_presets[i].cfg;
			if (!cfg || nobn) {
				p->i--;
				return expected(p, "a VGG preset: vgg8, vgg11, vgg13, vgg16, vgg19, vgg11/13 _half/_doub/_quad, vgg13_student (optionally _nobias, _bn)");
			}
			/* Suffixes set the defaults; options after the name still win. */
			return parse_vgg_cfg(p, a, cfg, !nobias, bn == 1);
		}
		{
			static const int r18[4] = { 2, 2, 2, 2 }, r34[4] = { 3, 4, 6, 3 };
			const int *blocks = !strcmp(base, "resnet18") ? r18 : !strcmp(base, "resnet34") ? r34 : NULL;
			int nwidths = 0, width;
			if (!blocks || bn == 1 || (size && !strcmp(size, "quad")) ||
			    (size && !strcmp(size, "student"))) {
				p->i--;
				return expected(p, "mlp, vgg, resnet, net or a preset (vgg11, vgg13_doub, resnet18_half_nobias_nobn, ...)");
			}
			if (size)
				ratio = !strcmp(size, "eighth") ? 8 : !strcmp(size, "fourth") ? 4
					: !strcmp(size, "half") ? 2 : 0.5;
			width = (int)(64 / ratio);
			a->bias = !nobias;
			a->bn = !nobn;
			a->nclasses = 10;
			a->c = 3;
			a->h = a->w = 32;
			a->nstages = 4;
			memcpy(a->blocks, blocks, sizeof r18);
			if ((rc = resnet_options(p, a, &width, &nwidths)))
				return rc;
			return resnet_finish(p, a, width, nwidths);
		}
	}
}

/* ---- shape checking --------------------------------------------------- */

const char *cf_arch_unit_str(const cf_arch_unit *u, char *buf, int len)
{
	int n = 0;
	switch (u->kind) {
	case CF_UNIT_LINEAR:
		snprintf(buf, (size_t)len, "linear %d%s", u->out, u->bias ? "" : " nobias");
		break;
	case CF_UNIT_CONV:
		n = snprintf(buf, (size_t)len, "conv %d k", u->out);
		if (u->kh == u->kw)
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), "%d", u->kh);
		else
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), "%dx%d", u->kh, u->kw);
		if (u->stride != 1)
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), " s%d", u->stride);
		if (u->pad != 0)
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), " p%d", u->pad);
		if (!u->bias)
			snprintf(buf + n, (size_t)(len > n ? len - n : 0), " nobias");
		break;
	case CF_UNIT_RELU: snprintf(buf, (size_t)len, "relu"); break;
	case CF_UNIT_GAP: snprintf(buf, (size_t)len, "gap"); break;
	case CF_UNIT_FLATTEN: snprintf(buf, (size_t)len, "flatten"); break;
	case CF_UNIT_BN: snprintf(buf, (size_t)len, "bn"); break;
	case CF_UNIT_MAXPOOL:
	case CF_UNIT_AVGPOOL:
		n = snprintf(buf, (size_t)len, "%s %d", u->kind == CF_UNIT_MAXPOOL ? "maxpool" : "avgpool", u->kh);
		if (u->stride != u->kh)
			snprintf(buf + n, (size_t)(len > n ? len - n : 0), " s%d", u->stride);
		break;
	case CF_UNIT_BLOCK:
		n = snprintf(buf, (size_t)len, "block %d", u->out);
		if (u->mid != u->out)
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), " mid %d", u->mid);
		if (u->stride != 1)
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), " s%d", u->stride);
		if (!u->bn)
			n += snprintf(buf + n, (size_t)(len > n ? len - n : 0), " nobn");
		if (u->bias)
			snprintf(buf + n, (size_t)(len > n ? len - n : 0), " bias");
		break;
	}
	return buf;
}

static int shape_err(cf_error *err, int i, const cf_arch_unit *u, int c, int h, int w,
		     const char *what)
{
	char ub[96], in[64], where[32] = "";
	cf_arch_unit_str(u, ub, sizeof ub);
	if (h == 0)
		snprintf(in, sizeof in, "a flat vector of %d", c);
	else
		snprintf(in, sizeof in, "%d×%d×%d", c, h, w);
	if (u->col)
		snprintf(where, sizeof where, " (column %d)", u->col);
	return cf_error_set(err, CF_EINVAL, "architecture: unit %d \"%s\"%s: input is %s but %s",
			    i + 1, ub, where, in, what);
}

/* One unit's parameter and buffer values (as net.c lays them out), or -1
 * when the count does not fit in int64. */
static int64_t bn_values(int64_t c) { return 4 * c + 1; }

static int64_t conv_values(int64_t out, int64_t in, int64_t kh, int64_t kw, int bias)
{
	int64_t n;
	if (cf_mul(out, in, &n) || cf_mul3(n, kh, kw, &n) || cf_add(n, bias ? out : 0, &n))
		return -1;
	return n;
}

/* a + b where either may be -1 (an overflow already) */
static int64_t add_values(int64_t a, int64_t b)
{
	int64_t n;
	return a < 0 || b < 0 || cf_add(a, b, &n) ? -1 : n;
}

/* The walk's running state: the shape flowing between units and the
 * totals the limits apply to. */
typedef struct walk {
	const cf_limits *lim;
	int64_t c, h, w;      /* h = w = 0 for a flat vector */
	int64_t params, acts, cols;
} walk;

/* Refuse a unit output, parameter count or activation total beyond the
 * limits (all computed in int64 from int fields, so they cannot wrap:
 * widths are below 2^31, and each product is checked before the next). */
static int walk_limits(walk *s, int i, const cf_arch_unit *u, int64_t params, int64_t acts,
		       int64_t cols, cf_error *err)
{
	char ub[96];
	int64_t n;
	cf_arch_unit_str(u, ub, sizeof ub);
	if (cf_mul3(s->c, s->h ? s->h : 1, s->w ? s->w : 1, &n) || n > s->lim->activations)
		return cf_limits_refuse(err, CF_EINVAL, "activations",
					"architecture: unit %d \"%s\": its output %lld×%lld×%lld",
					i + 1, ub, (long long)s->c, (long long)s->h, (long long)s->w);
	if (params < 0 || cf_add(s->params, params, &s->params) || s->params > s->lim->params)
		return cf_limits_refuse(err, CF_EINVAL, "params",
					"architecture: the parameters up to unit %d \"%s\"", i + 1, ub);
	if (cols > s->cols)
		s->cols = cols;
	if (cf_add(s->acts, acts, &s->acts) || s->acts + s->cols > s->lim->activations)
		return cf_limits_refuse(err, CF_EINVAL, "activations",
					"architecture: the activations per sample up to unit %d \"%s\"",
					i + 1, ub);
	return CF_OK;
}

/* Output side of a k-window with stride s and padding p on n, or -1 when
 * the window does not fit. */
static int64_t out_side(int64_t n, int64_t k, int64_t st, int64_t p)
{
	return n + 2 * p < k ? -1 : (n + 2 * p - k) / st + 1;
}

static int walk_conv(walk *s, int i, const cf_arch_unit *u, cf_arch_shape *o, cf_error *err)
{
	char what[160];
	int64_t oh, ow, cols;
	if (u->kh <= 0 || u->kw <= 0 || u->stride <= 0 || u->pad < 0)
		return shape_err(err, i, u, s->c, s->h, s->w, "kernel and stride must be positive");
	oh = out_side(s->h, u->kh, u->stride, u->pad);
	ow = out_side(s->w, u->kw, u->stride, u->pad);
	if (oh < 0 || ow < 0) {
		snprintf(what, sizeof what, "kernel %dx%d with padding %d needs at least %lld×%lld",
			 u->kh, u->kw, u->pad, (long long)u->kh - 2LL * u->pad,
			 (long long)u->kw - 2LL * u->pad);
		return shape_err(err, i, u, s->c, s->h, s->w, what);
	}
	/* im2col lowers one sample to (c·kh·kw) × (oh·ow) columns */
	if (cf_mul3(s->c * u->kh, u->kw, oh, &cols) || cf_mul(cols, ow, &cols))
		cols = INT64_MAX;
	o->params = conv_values(u->out, s->c, u->kh, u->kw, u->bias);
	s->c = u->out;
	s->h = oh;
	s->w = ow;
	return walk_limits(s, i, u, o->params, 0, cols, err);
}

static int walk_block(walk *s, int i, const cf_arch_unit *u, cf_arch_shape *o, cf_error *err)
{
	int64_t c = s->c, oh, ow, m, out, p, cols;
	int proj = u->stride != 1 || c != u->out;
	if (u->stride <= 0)
		return shape_err(err, i, u, s->c, s->h, s->w, "stride must be positive");
	oh = (s->h - 1) / u->stride + 1;
	ow = (s->w - 1) / u->stride + 1;
	if (cf_mul3(u->mid, oh, ow, &m) || cf_mul3(u->out, oh, ow, &out) ||
	    m > s->lim->activations || out > s->lim->activations)
		return cf_limits_refuse(err, CF_EINVAL, "activations",
					"architecture: unit %d (a block of width %d on %lld×%lld)",
					i + 1, u->out, (long long)oh, (long long)ow);
	/* conv1 and conv2 (3×3), the projection (1×1) and their BatchNorms */
	p = add_values(conv_values(u->mid, c, 3, 3, u->bias), conv_values(u->out, u->mid, 3, 3, u->bias));
	if (proj)
		p = add_values(p, conv_values(u->out, c, 1, 1, u->bias));
	if (u->bn)
		p = add_values(p, bn_values(u->mid) + bn_values(u->out) + (proj ? bn_values(u->out) : 0));
	if (cf_mul3(c > u->mid ? c : u->mid, 9, oh, &cols) || cf_mul(cols, ow, &cols))
		cols = INT64_MAX;
	o->params = p;
	s->c = u->out;
	s->h = oh;
	s->w = ow;
	/* a1, b1, h; a2, b2; a3, b3; z, y (net.c's block buffers) */
	return walk_limits(s, i, u, p, m * (u->bn ? 3 : 2) + out * (u->bn ? 2 : 1) +
			   (proj ? out * (u->bn ? 2 : 1) : 0) + 2 * out, cols, err);
}

static int walk_unit(walk *s, int i, const cf_arch_unit *u, cf_arch_shape *o, cf_error *err)
{
	const cf_limits *lim = s->lim;
	int flat = s->h == 0, rc;
	int64_t n;
	char what[160];

	if ((u->kind == CF_UNIT_CONV || u->kind == CF_UNIT_MAXPOOL || u->kind == CF_UNIT_AVGPOOL ||
	     u->kind == CF_UNIT_GAP || u->kind == CF_UNIT_BN || u->kind == CF_UNIT_BLOCK) && flat)
		return shape_err(err, i, u, s->c, 0, 0, "it needs a C×H×W feature map");
	if ((u->kind == CF_UNIT_LINEAR || u->kind == CF_UNIT_CONV || u->kind == CF_UNIT_BLOCK) &&
	    (u->out <= 0 || (u->kind == CF_UNIT_BLOCK && u->mid <= 0)))
		return shape_err(err, i, u, s->c, s->h, s->w, "its width must be positive");
	if (u->out > lim->width || u->mid > lim->width) {
		char ub[96];
		return cf_limits_refuse(err, CF_EINVAL, "width", "architecture: unit %d \"%s\"",
					i + 1, cf_arch_unit_str(u, ub, sizeof ub));
	}
	n = s->c * (flat ? 1 : s->h * s->w); /* below activations, checked before */
	o->params = 0;
	switch (u->kind) {
	case CF_UNIT_LINEAR:
		o->params = conv_values(u->out, n, 1, 1, u->bias);
		s->c = u->out;
		s->h = s->w = 0;
		break;
	case CF_UNIT_CONV:
		rc = walk_conv(s, i, u, o, err);
		goto done;
	case CF_UNIT_BLOCK:
		rc = walk_block(s, i, u, o, err);
		goto done;
	case CF_UNIT_MAXPOOL:
	case CF_UNIT_AVGPOOL:
		if (u->kh <= 0 || u->stride <= 0)
			return shape_err(err, i, u, s->c, s->h, s->w, "window and stride must be positive");
		if (s->h < u->kh || s->w < u->kh) {
			snprintf(what, sizeof what, "a %dx%d window needs at least %d×%d", u->kh, u->kh,
				 u->kh, u->kh);
			return shape_err(err, i, u, s->c, s->h, s->w, what);
		}
		s->h = out_side(s->h, u->kh, u->stride, 0);
		s->w = out_side(s->w, u->kh, u->stride, 0);
		break;
	case CF_UNIT_GAP:
		s->h = s->w = 0;
		break;
	case CF_UNIT_FLATTEN:
		s->c = n;
		s->h = s->w = 0;
		break;
	case CF_UNIT_BN:
		o->params = bn_values(s->c);
		break;
	case CF_UNIT_RELU:
		break;
	}
	/* flatten is a view; every other unit has an output buffer (below
	 * 2^31 values: the pools and GAP shrink their input, a linear's
	 * output is its width) */
	n = u->kind == CF_UNIT_FLATTEN ? 0 : s->c * (s->h ? s->h * s->w : 1);
	rc = walk_limits(s, i, u, o->params, n, 0, err);
done:
	o->c = (int)s->c;
	o->h = s->h ? (int)s->h : 1;
	o->w = s->w ? (int)s->w : 1;
	o->flat = s->h == 0;
	return rc;
}

int cf_arch_shapes(const cf_arch *a, cf_arch_shape *out, cf_error *err)
{
	walk s;
	int64_t n;
	int rc;

	memset(&s, 0, sizeof s);
	s.lim = cf_limits_get();
	if (a->c <= 0 || a->h <= 0 || a->w <= 0)
		return cf_error_set(err, CF_EINVAL, "architecture: input shape %dx%dx%d is not positive",
				    a->c, a->h, a->w);
	if (cf_mul3(a->c, a->h, a->w, &n) || n > s.lim->activations)
		return cf_limits_refuse(err, CF_EINVAL, "activations",
					"architecture: the input %d×%d×%d", a->c, a->h, a->w);
	if (a->nunits > s.lim->units)
		return cf_limits_refuse(err, CF_EINVAL, "units",
					"architecture: %d units", a->nunits);
	if (a->nunits == 0 || a->unit[a->nunits - 1].kind != CF_UNIT_LINEAR)
		return cf_error_set(err, CF_EINVAL,
				    "architecture: the network must end with a linear layer (the classifier)");
	s.c = a->c;
	s.h = a->h == 1 && a->w == 1 ? 0 : a->h;
	s.w = a->h == 1 && a->w == 1 ? 0 : a->w;
	s.acts = n;
	n = 0;
	for (int i = 0; i < a->nunits; i++)
		n += a->unit[i].kind == CF_UNIT_BLOCK;
	if (n > s.lim->blocks)
		return cf_limits_refuse(err, CF_EINVAL, "blocks",
					"architecture: %lld residual blocks", (long long)n);
	for (int i = 0; i < a->nunits; i++) {
		cf_arch_shape tmp, *o = out ? &out[i] : &tmp;
		if ((rc = walk_unit(&s, i, &a->unit[i], o, err)))
			return rc;
	}
	return CF_OK;
}

int cf_arch_check(cf_arch *a, cf_error *err)
{
	cf_arch_shape last;
	int rc;
	if (a->nunits <= 0)
		return cf_arch_shapes(a, NULL, err);
	{
		cf_arch_shape *sh = malloc(sizeof *sh * (size_t)a->nunits);
		if (!sh)
			return cf_error_set(err, CF_ENOMEM, "architecture: out of memory");
		rc = cf_arch_shapes(a, sh, err);
		last = sh[a->nunits - 1];
		free(sh);
	}
	if (!rc)
		a->nclasses = last.c;
	return rc;
}

/* ---- entry points ----------------------------------------------------- */

int cf_arch_parse(const char *text, cf_arch **out, cf_error *err)
{
	parser p;
	cf_arch *a;
	const tok *t;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.err = err;
	if (!text)
		return cf_error_set(err, CF_EINVAL, "architecture: no description given");
	a = calloc(1, sizeof *a);
	if (!a || tokenize(text, &p)) {
		free(a);
		free(p.t);
		if (p.over)
			return cf_limits_refuse(err, CF_EINVAL, "units",
						"architecture: a description of more than %d words",
						p.n);
		return cf_error_set(err, CF_ENOMEM, "architecture: out of memory");
	}
	t = peek(&p);
	if (!t) {
		rc = cf_error_set(err, CF_EINVAL, "architecture: the description is empty; expected mlp, vgg, resnet, net or a preset name");
	} else if (tok_is(t, "mlp")) {
		a->family = CF_ARCH_MLP;
		p.i++;
		rc = parse_mlp(&p, a);
	} else if (tok_is(t, "vgg")) {
		a->family = CF_ARCH_VGG;
		p.i++;
		rc = parse_vgg_cfg(&p, a, NULL, 1, 0);
	} else if (tok_is(t, "resnet")) {
		a->family = CF_ARCH_RESNET;
		p.i++;
		rc = parse_resnet(&p, a, NULL, 0, 64);
	} else if (tok_is(t, "net")) {
		a->family = CF_ARCH_NET;
		p.i++;
		rc = parse_net(&p, a);
	} else if (t->len >= 3 && (ncaseeq(t->s, "vgg", 3) || (t->len >= 6 && ncaseeq(t->s, "resnet", 6)))) {
		a->family = ncaseeq(t->s, "vgg", 3) ? CF_ARCH_VGG : CF_ARCH_RESNET;
		rc = parse_preset(&p, a, t);
	} else {
		rc = expected(&p, "mlp, vgg, resnet, net or a preset name (vgg11, resnet18, ...)");
	}
	if (!rc)
		rc = cf_arch_check(a, err);
	free(p.t);
	if (rc) {
		cf_arch_free(a);
		return rc;
	}
	*out = a;
	return CF_OK;
}

void cf_arch_free(cf_arch *a)
{
	if (!a)
		return;
	free(a->unit);
	free(a);
}

cf_arch *cf_arch_copy(const cf_arch *a)
{
	cf_arch *c = malloc(sizeof *c);
	if (!c)
		return NULL;
	*c = *a;
	c->unit = malloc(sizeof *c->unit * (size_t)(a->nunits ? a->nunits : 1));
	if (!c->unit) {
		free(c);
		return NULL;
	}
	if (a->nunits)
		memcpy(c->unit, a->unit, sizeof *c->unit * (size_t)a->nunits);
	return c;
}

int cf_arch_equal(const cf_arch *a, const cf_arch *b)
{
	if (a->family != b->family || a->c != b->c || a->h != b->h || a->w != b->w ||
	    a->nunits != b->nunits)
		return 0;
	for (int i = 0; i < a->nunits; i++) {
		cf_arch_unit x = a->unit[i], y = b->unit[i];
		x.col = y.col = 0;
		if (memcmp(&x, &y, sizeof x))
			return 0;
	}
	return 1;
}

/* A growing string for printing. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int bad;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static void sb_add(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (b->bad)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->bad = 1;
			return;
		}
		if (b->s && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t nc = (b->cap + (size_t)n + 64) * 2;
			char *ns = realloc(b->s, nc);
			if (!ns) {
				b->bad = 1;
				return;
			}
			b->s = ns;
			b->cap = nc;
		}
	}
}

static void sb_input(sbuf *b, const cf_arch *a)
{
	if (a->h == 1 && a->w == 1)
		sb_add(b, " in %d", a->c);
	else
		sb_add(b, " in %dx%dx%d", a->c, a->h, a->w);
}

char *cf_arch_print(const cf_arch *a)
{
	sbuf b = { NULL, 0, 0, 0 };
	char ub[96];

	switch (a->family) {
	case CF_ARCH_MLP:
		sb_add(&b, "mlp %d", a->c * a->h * a->w);
		for (int i = 0; i < a->nunits; i++)
			if (a->unit[i].kind == CF_UNIT_LINEAR)
				sb_add(&b, "-%d", a->unit[i].out);
		if (!a->bias)
			sb_add(&b, " nobias");
		if (a->h != 1 || a->w != 1)
			sb_add(&b, " in %dx%dx%d", a->c, a->h, a->w);
		break;
	case CF_ARCH_VGG:
		sb_add(&b, "vgg");
		for (int i = 0; i < a->nunits; i++) {
			if (a->unit[i].kind == CF_UNIT_CONV)
				sb_add(&b, " %d", a->unit[i].out);
			else if (a->unit[i].kind == CF_UNIT_MAXPOOL)
				sb_add(&b, " M");
		}
		sb_add(&b, " classes %d in %dx%dx%d", a->nclasses, a->c, a->h, a->w);
		if (!a->bias)
			sb_add(&b, " nobias");
		if (a->bn)
			sb_add(&b, " bn");
		break;
	case CF_ARCH_RESNET: {
		int uniform = 1;
		sb_add(&b, "resnet ");
		for (int s = 0; s < a->nstages; s++)
			sb_add(&b, "%s%d", s ? "," : "", a->blocks[s]);
		for (int s = 1; s < a->nstages; s++)
			if (a->widths[s] != a->widths[0] << s)
				uniform = 0;
		if (uniform) {
			sb_add(&b, " width %d", a->widths[0]);
		} else {
			sb_add(&b, " widths ");
			for (int s = 0; s < a->nstages; s++)
				sb_add(&b, "%s%d", s ? "," : "", a->widths[s]);
		}
		sb_add(&b, " classes %d in %dx%dx%d", a->nclasses, a->c, a->h, a->w);
		if (!a->bn)
			sb_add(&b, " nobn");
		if (!a->bias)
			sb_add(&b, " nobias");
		if (a->convbias)
			sb_add(&b, " convbias");
		break;
	}
	case CF_ARCH_NET:
		sb_add(&b, "net");
		sb_input(&b, a);
		sb_add(&b, ":");
		for (int i = 0; i < a->nunits; i++)
			sb_add(&b, "%s %s", i ? "," : "", cf_arch_unit_str(&a->unit[i], ub, sizeof ub));
		break;
	}
	if (b.bad) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
