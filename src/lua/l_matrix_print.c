/* l_matrix_print.c — how a Matrix shows itself: print(m) and the REPL
 * display the numbers like torch7 / numpy (a common scale factor, column
 * chunks that fit the width, three edge items per side past 1000 values,
 * a footer with the type and shape); m:summary() and a Matrix nested in a
 * table show the one-line "Matrix 2x3 double".
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "l_matrix_int.h"

#define SUMMARY_THRESHOLD 1000
#define EDGE 3

int cf_lmat_summary(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	char s[100];
	lua_pushfstring(L, "Matrix %s double", cf_lmat_shape_str(m, s, sizeof s));
	return 1;
}

/* How the values of one printed block are formatted. */
typedef struct numfmt {
	int mode;      /* 0 integers, 1 fixed %.4f, 2 scientific */
	double scale;  /* common factor (fixed mode) */
	int width;     /* characters per value */
} numfmt;

static void fmt_value(const numfmt *f, double v, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "%*s", f->width, isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
	else if (f->mode == 0)
		snprintf(buf, len, "%*.0f", f->width, v);
	else if (f->mode == 1)
		snprintf(buf, len, "%*.4f", f->width, v / f->scale);
	else
		snprintf(buf, len, "%*.4e", f->width, v);
}

/* Choose the format from the values shown (torch7's rule, simplified):
 * integers print as integers; values whose magnitudes span more than
 * five decades print in scientific notation; otherwise fixed with four
 * decimals after dividing by a common power of ten when the largest
 * magnitude is >= 1e3 or < 1e-2. */
static numfmt choose_format(const double *v, int64_t n)
{
	numfmt f = {0, 1.0, 1};
	double amax = 0, amin = HUGE_VAL;
	int allint = 1, anyneg = 0;
	for (int64_t i = 0; i < n; i++) {
		double x = v[i];
		if (!isfinite(x))
			continue;
		double a = fabs(x);
		if (a > amax)
			amax = a;
		if (a > 0 && a < amin)
			amin = a;
		if (x != floor(x) || a >= 1e15)
			allint = 0;
		if (x < 0 || (x == 0 && signbit(x)))
			anyneg = 1;
	}
	char buf[64];
	if (allint) {
		f.mode = 0;
		f.width = snprintf(buf, sizeof buf, "%.0f", amax) + anyneg;
	} else {
		int emax = (int)floor(log10(amax));
		int emin = amin < HUGE_VAL ? (int)floor(log10(amin)) : emax;
		if (emax - emin > 4) {
			f.mode = 2;
			f.width = 10 + anyneg;
		} else {
			f.mode = 1;
			if (emax >= 3 || emax < -2)
				f.scale = pow(10.0, emax);
			f.width = snprintf(buf, sizeof buf, "%.4f", amax / f.scale) + anyneg;
		}
	}
	int w = 3 + anyneg; /* room for nan / -inf */
	for (int64_t i = 0; i < n; i++)
		if (!isfinite(v[i]) && f.width < w)
			f.width = w;
	return f;
}

/* The positions shown of a summarised dimension of n: EDGE first, a gap
 * (-1), EDGE last. */
static void edge_positions(int64_t n, int64_t *idx)
{
	int k = 0;
	for (int64_t i = 0; i < EDGE; i++)
		idx[k++] = i;
	idx[k++] = -1;
	for (int64_t i = n - EDGE; i < n; i++)
		idx[k++] = i;
}

/* Print one 2-D block rows×cols (stride cols in the data) into b.  With
 * `summ`, only EDGE leading and trailing rows and columns show. */
static void pretty_2d(luaL_Buffer *b, const double *data, int64_t rows, int64_t cols,
		      int summ, int width, const char *indent)
{
	int64_t ri[2 * EDGE + 1], ci[2 * EDGE + 1];
	int rcut = summ && rows > 2 * EDGE, ccut = summ && cols > 2 * EDGE;
	if (rcut)
		edge_positions(rows, ri);
	if (ccut)
		edge_positions(cols, ci);
	/* the values shown decide the format */
	double shown[(2 * EDGE) * (2 * EDGE)] = {0};
	numfmt f;
	if (rcut || ccut) {
		int k = 0;
		int64_t rr = rcut ? 2 * EDGE + 1 : rows, cc = ccut ? 2 * EDGE + 1 : cols;
		for (int64_t a = 0; a < rr && k < (int)(sizeof shown / sizeof *shown); a++) {
			int64_t i = rcut ? ri[a] : a;
			if (i < 0)
				continue;
			for (int64_t c = 0; c < cc && k < (int)(sizeof shown / sizeof *shown); c++) {
				int64_t j = ccut ? ci[c] : c;
				if (j >= 0)
					shown[k++] = data[i * cols + j];
			}
		}
		f = choose_format(shown, k);
	} else {
		f = choose_format(data, rows * cols);
	}
	char num[64];
	if (f.mode == 1 && f.scale != 1.0) {
		snprintf(num, sizeof num, "%s%.0e *\n", indent, f.scale);
		luaL_addstring(b, num);
	}
	int64_t nrow = rcut ? 2 * EDGE + 1 : rows;
	int64_t ncol = ccut ? 2 * EDGE + 1 : cols;
	int cw = f.width + 2; /* two spaces between values */
	int avail = width - (int)strlen(indent);
	int64_t per = avail / cw;
	if (per < 1)
		per = 1;
	if (ccut) /* a summarised row always fits on one line */
		per = ncol;
	for (int64_t c0 = 0; c0 < ncol; c0 += per) {
		int64_t c1 = c0 + per < ncol ? c0 + per : ncol;
		if (ncol > per) {
			snprintf(num, sizeof num, "%sColumns %lld to %lld\n", indent,
				 (long long)c0 + 1, (long long)c1);
			luaL_addstring(b, num);
		}
		for (int64_t a = 0; a < nrow; a++) {
			int64_t i = rcut ? ri[a] : a;
			luaL_addstring(b, indent);
			if (i < 0) {
				luaL_addstring(b, " ...\n");
				continue;
			}
			for (int64_t c = c0; c < c1; c++) {
				int64_t j = ccut ? ci[c] : c;
				luaL_addstring(b, "  ");
				if (j < 0) {
					snprintf(num, sizeof num, "%*s", f.width, "...");
				} else {
					fmt_value(&f, data[i * cols + j], num, sizeof num);
				}
				luaL_addstring(b, num);
			}
			luaL_addchar(b, '\n');
		}
		if (c1 < ncol)
			luaL_addchar(b, '\n');
	}
}

/* __pretty(m [, opts]) and __tostring: the multi-line display. */
int cf_lmat_pretty(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	int width = 80;
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_getfield(L, 2, "width");
		if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 20)
			width = (int)lua_tointeger(L, -1);
		lua_pop(L, 1);
	}
	int summ = m->size > SUMMARY_THRESHOLD;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	if (m->ndim <= 2) {
		int64_t rows = m->ndim == 1 ? 1 : m->shape[0];
		int64_t cols = m->ndim == 1 ? m->shape[0] : m->shape[1];
		pretty_2d(&b, m->data, rows, cols, summ, width, "");
	} else {
		/* slices over the leading dimensions, like torch7's (i,j,.,.) */
		int64_t rows = m->shape[m->ndim - 2], cols = m->shape[m->ndim - 1];
		int64_t nslices = m->size / (rows * cols);
		for (int64_t s = 0; s < nslices; s++) {
			if (summ && nslices > 2 * EDGE && s == EDGE) {
				luaL_addstring(&b, "...\n\n");
				s = nslices - EDGE;
			}
			int64_t idx[2], rest = s;
			int nl = m->ndim - 2;
			for (int d = nl - 1; d >= 0; d--) {
				idx[d] = rest % m->shape[d];
				rest /= m->shape[d];
			}
			char head[64];
			if (nl == 1)
				snprintf(head, sizeof head, "(%lld,.,.) =\n", (long long)idx[0] + 1);
			else
				snprintf(head, sizeof head, "(%lld,%lld,.,.) =\n", (long long)idx[0] + 1,
					 (long long)idx[1] + 1);
			luaL_addstring(&b, head);
			pretty_2d(&b, m->data + s * rows * cols, rows, cols, summ, width, "");
			luaL_addchar(&b, '\n');
		}
	}
	char s[100], foot[140];
	snprintf(foot, sizeof foot, "[Matrix double %s]", cf_lmat_shape_str(m, s, sizeof s));
	luaL_addstring(&b, foot);
	luaL_pushresult(&b);
	return 1;
}
