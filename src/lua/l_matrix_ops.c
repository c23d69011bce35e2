/* l_matrix_ops.c — computing with matrices: arithmetic with numpy-style
 * broadcasting, the matrix product (`*` and m:mm through cblas_dgemm),
 * reductions over everything or along one dimension, elementwise
 * functions, diag, normalisation and concatenation.
 *
 * Design choice: every loop runs in C over contiguous memory (no Lua call
 * per value) and walks the data in storage order, so a reduction along
 * the first dimension accumulates whole rows at a time instead of striding
 * down columns; sums use four independent accumulators.  The row loops
 * are written so that the compiler vectorises them at -O2 (restrict, no
 * branches); sqrt, exp, log and the best value of a run come from
 * core/vmath.h.  That keeps these operations at memory speed, within
 * reach of numpy on the same machine (scripts/bench/bench_matrix.sh
 * measures it).  Results are new matrices.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "core/vmath.h"
#include "l_matrix_int.h"

/* ---- broadcasting --------------------------------------------------------- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW };

/* One contiguous run: o[i] = x[i*sx] op y[i*sy] (strides 0 or 1). */
static void run_op(int op, double *o, const double *x, int64_t sx, const double *y, int64_t sy,
		   int64_t n)
{
#define LOOP(expr)                                                                        \
	do {                                                                              \
		if (sx && sy)                                                             \
			for (int64_t i = 0; i < n; i++) { double a = x[i], b = y[i]; o[i] = (expr); } \
		else if (sx)                                                              \
			for (int64_t i = 0; i < n; i++) { double a = x[i], b = y[0]; o[i] = (expr); } \
		else if (sy)                                                              \
			for (int64_t i = 0; i < n; i++) { double a = x[0], b = y[i]; o[i] = (expr); } \
		else                                                                      \
			for (int64_t i = 0; i < n; i++) { double a = x[0], b = y[0]; o[i] = (expr); } \
	} while (0)
	switch (op) {
	case OP_ADD: LOOP(a + b); break;
	case OP_SUB: LOOP(a - b); break;
	case OP_MUL: LOOP(a * b); break;
	case OP_DIV: LOOP(a / b); break;
	default: LOOP(pow(a, b)); break;
	}
#undef LOOP
}

/* The broadcast shape of a and b (numpy's rule: align the trailing
 * dimensions; each pair is equal or one of them is 1), padded to 4
 * dimensions, with each operand's strides (0 along a broadcast dimension).
 * Returns the result's number of dimensions, or 0 when they do not fit. */
static int broadcast(const cf_lmatrix *a, const cf_lmatrix *b, int64_t *shape, int64_t *sa,
		     int64_t *sb)
{
	int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
	int64_t ea[CF_LMAT_MAXDIM], eb[CF_LMAT_MAXDIM];
	for (int d = 0; d < CF_LMAT_MAXDIM; d++) {
		int ia = d - (CF_LMAT_MAXDIM - a->ndim), ib = d - (CF_LMAT_MAXDIM - b->ndim);
		ea[d] = ia >= 0 ? a->shape[ia] : 1;
		eb[d] = ib >= 0 ? b->shape[ib] : 1;
		if (ea[d] != eb[d] && ea[d] != 1 && eb[d] != 1)
			return 0;
		shape[d] = ea[d] > eb[d] ? ea[d] : eb[d];
	}
	int64_t ra = 1, rb = 1;
	for (int d = CF_LMAT_MAXDIM - 1; d >= 0; d--) {
		sa[d] = ea[d] == 1 ? 0 : ra;
		sb[d] = eb[d] == 1 ? 0 : rb;
		ra *= ea[d];
		rb *= eb[d];
	}
	return nd;
}

static int arith_mm(lua_State *L, int op, cf_lmatrix *a, cf_lmatrix *b)
{
	if (cf_lmat_same_shape(a, b)) {
		cf_lmatrix *o = cf_lmat_alloc(L, a->ndim, a->shape);
		run_op(op, o->data, a->data, 1, b->data, 1, o->size);
		return 1;
	}
	int64_t sh[CF_LMAT_MAXDIM], sa[CF_LMAT_MAXDIM], sb[CF_LMAT_MAXDIM];
	int nd = broadcast(a, b, sh, sa, sb);
	if (!nd) {
		char s1[80], s2[80];
		return luaL_error(L, "shapes %s and %s do not broadcast (trailing dimensions must "
				  "be equal or 1: an n×m Matrix takes a vector of m values per row "
				  "or an n×1 Matrix per column)",
				  cf_lmat_shape_str(a, s1, sizeof s1), cf_lmat_shape_str(b, s2, sizeof s2));
	}
	cf_lmatrix *o = cf_lmat_alloc(L, nd, sh + (CF_LMAT_MAXDIM - nd));
	double *out = o->data;
	int64_t n3 = sh[3];
	for (int64_t i0 = 0; i0 < sh[0]; i0++)
		for (int64_t i1 = 0; i1 < sh[1]; i1++)
			for (int64_t i2 = 0; i2 < sh[2]; i2++) {
				const double *x = a->data + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
				const double *y = b->data + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
				run_op(op, out, x, sa[3], y, sb[3], n3);
				out += n3;
			}
	return 1;
}

/* a op b: two matrices (or tables) broadcast together, or one of them a
 * number. */
static int arith(lua_State *L, int op)
{
	cf_lmatrix *a = cf_lua_matrix_test(L, 1), *b = cf_lua_matrix_test(L, 2);
	if (!a && !b)
		return luaL_typeerror(L, 1, "Matrix");
	if (a && !b && lua_type(L, 2) == LUA_TTABLE)
		b = cf_lua_matrix_arg(L, 2);
	if (a && b)
		return arith_mm(L, op, a, b);
	int sarg = a ? 2 : 1;
	if (lua_type(L, sarg) != LUA_TNUMBER)
		return luaL_typeerror(L, sarg, "number or Matrix");
	double s = lua_tonumber(L, sarg);
	cf_lmatrix *m = a ? a : b;
	cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);
	if (a)
		run_op(op, o->data, m->data, 1, &s, 0, o->size);
	else
		run_op(op, o->data, &s, 0, m->data, 1, o->size);
	return 1;
}

int cf_lmat_add(lua_State *L) { return arith(L, OP_ADD); }
int cf_lmat_subtract(lua_State *L) { return arith(L, OP_SUB); }
int cf_lmat_mul(lua_State *L) { return arith(L, OP_MUL); }
int cf_lmat_div(lua_State *L) { return arith(L, OP_DIV); }
int cf_lmat_pow(lua_State *L) { return arith(L, OP_POW); }

int cf_lmat_unm(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);
	for (int64_t i = 0; i < o->size; i++)
		o->data[i] = -m->data[i];
	return 1;
}

/* __eq: exact content and shape (never a tolerance). */
int cf_lmat_eq(lua_State *L)
{
	cf_lmatrix *a = cf_lua_matrix_test(L, 1), *b = cf_lua_matrix_test(L, 2);
	int eq = a && b && cf_lmat_same_shape(a, b);
	for (int64_t i = 0; eq && i < a->size; i++)
		eq = a->data[i] == b->data[i];
	lua_pushboolean(L, eq);
	return 1;
}

/* ---- products ---------------------------------------------------------------- */

/* m:mm(n): the matrix product; n may be a vector (then so is the result). */
int cf_lmat_mm(lua_State *L)
{
	cf_lmatrix *a = cf_lua_matrix_check(L, 1);
	cf_lmatrix *b = cf_lua_matrix_arg(L, 2);
	cf_lmat_check_2d(L, a, 1, "mm");
	int64_t k = b->shape[0], n = b->ndim == 1 ? 1 : b->shape[1];
	if (b->ndim > 2)
		return luaL_argerror(L, 2, "a vector or 2-dimensional Matrix");
	if (a->shape[1] != k) {
		lua_pushfstring(L, "inner dimensions differ: %Ix%I times %Ix%I",
				(lua_Integer)a->shape[0], (lua_Integer)a->shape[1],
				(lua_Integer)k, (lua_Integer)n);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	if (a->shape[0] > INT32_MAX || n > INT32_MAX || k > INT32_MAX)
		return luaL_error(L, "mm: dimensions too large for BLAS");
	int64_t sh[2] = {a->shape[0], n};
	cf_lmatrix *o = cf_lmat_alloc(L, b->ndim == 1 ? 1 : 2, sh);
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)a->shape[0], (int)n, (int)k,
		    1.0, a->data, (int)k, b->data, (int)n, 0.0, o->data, (int)n);
	return 1;
}

/* m:dot(n): the sum of the products of corresponding values. */
int cf_lmat_dot(lua_State *L)
{
	cf_lmatrix *a = cf_lua_matrix_check(L, 1);
	cf_lmatrix *b = cf_lua_matrix_arg(L, 2);
	if (a->size != b->size) {
		lua_pushfstring(L, "%I values, the Matrix has %I", (lua_Integer)b->size,
				(lua_Integer)a->size);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	double s = 0;
	for (int64_t off = 0; off < a->size; off += INT32_MAX) {
		int64_t n = a->size - off < INT32_MAX ? a->size - off : INT32_MAX;
		s += cblas_ddot((int)n, a->data + off, 1, b->data + off, 1);
	}
	lua_pushnumber(L, s);
	return 1;
}

/* __mul: a number scales; two matrices multiply as in linear algebra
 * (torch7's rule): matrix·matrix, matrix·vector and vector·matrix give
 * matrices and vectors, vector·vector the dot product. */
int cf_lmat_mtimes(lua_State *L)
{
	cf_lmatrix *a = cf_lua_matrix_test(L, 1), *b = cf_lua_matrix_test(L, 2);
	if (!a || !b)
		return arith(L, OP_MUL);
	if (a->ndim > 2 || b->ndim > 2) {
		char s1[80], s2[80];
		return luaL_error(L, "A * B: the matrix product needs vectors or 2-dimensional "
				  "matrices, got %s and %s (A:mul(B) multiplies elementwise)",
				  cf_lmat_shape_str(a, s1, sizeof s1), cf_lmat_shape_str(b, s2, sizeof s2));
	}
	if (a->ndim == 1 && b->ndim == 1)
		return cf_lmat_dot(L);
	if (a->ndim == 2)
		return cf_lmat_mm(L);
	/* vector · matrix = (matrixᵀ · vector) */
	if (a->shape[0] != b->shape[0])
		return luaL_error(L, "A * B: a vector of %I values times a %Ix%I Matrix",
				  (lua_Integer)a->shape[0], (lua_Integer)b->shape[0],
				  (lua_Integer)b->shape[1]);
	if (b->shape[0] > INT32_MAX || b->shape[1] > INT32_MAX)
		return luaL_error(L, "A * B: dimensions too large for BLAS");
	int64_t sh[1] = {b->shape[1]};
	cf_lmatrix *o = cf_lmat_alloc(L, 1, sh);
	cblas_dgemv(CblasRowMajor, CblasTrans, (int)b->shape[0], (int)b->shape[1], 1.0, b->data,
		    (int)b->shape[1], a->data, 1, 0.0, o->data, 1);
	return 1;
}

/* ---- map, fill ------------------------------------------------------------------ */

int cf_lmat_map(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);
	for (int64_t i = 0; i < o->size; i++) {
		lua_pushvalue(L, 2);
		lua_pushnumber(L, m->data[i]);
		lua_call(L, 1, 1);
		int isnum;
		o->data[i] = lua_tonumberx(L, -1, &isnum);
		if (!isnum)
			return luaL_error(L, "map: the function returned a %s, expected a number",
					  luaL_typename(L, -1));
		lua_pop(L, 1);
	}
	return 1;
}

int cf_lmat_fill(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	double v = luaL_checknumber(L, 2);
	for (int64_t i = 0; i < m->size; i++)
		m->data[i] = v;
	lua_settop(L, 1);
	return 1;
}

/* ---- elementwise functions ------------------------------------------------------ */

/* sqrt, exp and log go through core/vmath.h, whose loops vectorise (a
 * loop of libm calls runs one value at a time). */
#define ELEMENTWISE_ARRAY(name, fn)                                             \
	int cf_lmat_##name(lua_State *L)                                        \
	{                                                                       \
		cf_lmatrix *m = cf_lua_matrix_check(L, 1);                      \
		cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);            \
		fn(o->data, m->data, (size_t)m->size);                          \
		return 1;                                                       \
	}
ELEMENTWISE_ARRAY(sqrt, cf_vmath_sqrt)
ELEMENTWISE_ARRAY(exp, cf_vmath_exp)
ELEMENTWISE_ARRAY(log, cf_vmath_log)
#undef ELEMENTWISE_ARRAY

int cf_lmat_abs(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);
	const double *x = m->data;
	double *y = o->data;
	for (int64_t i = 0, n = m->size; i < n; i++)
		y[i] = fabs(x[i]);
	return 1;
}

/* m:clamp(lo [, hi]): every value limited to [lo, hi] (NaN stays NaN);
 * m:clamp(0) is the ReLU. */
int cf_lmat_clamp(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	double lo = luaL_checknumber(L, 2), hi = luaL_optnumber(L, 3, HUGE_VAL);
	luaL_argcheck(L, !(hi < lo), 3, "hi must not be below lo");
	cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);
	for (int64_t i = 0; i < m->size; i++) {
		double x = m->data[i];
		o->data[i] = x < lo ? lo : x > hi ? hi : x;
	}
	return 1;
}

/* ---- reductions ----------------------------------------------------------------- */

enum { RED_SUM, RED_MEAN, RED_VAR, RED_STD, RED_MIN, RED_MAX, RED_ARGMAX, RED_ARGMIN };

static double sum_run(const double *p, int64_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int64_t i = 0;
	for (; i + 4 <= n; i += 4) {
		s0 += p[i];
		s1 += p[i + 1];
		s2 += p[i + 2];
		s3 += p[i + 3];
	}
	for (; i < n; i++)
		s0 += p[i];
	return (s0 + s1) + (s2 + s3);
}

/* Sum of squared deviations from mu. */
static double ssd_run(const double *p, int64_t n, double mu)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int64_t i = 0;
	for (; i + 4 <= n; i += 4) {
		double d0 = p[i] - mu, d1 = p[i + 1] - mu, d2 = p[i + 2] - mu, d3 = p[i + 3] - mu;
		s0 += d0 * d0;
		s1 += d1 * d1;
		s2 += d2 * d2;
		s3 += d3 * d3;
	}
	for (; i < n; i++)
		s0 += (p[i] - mu) * (p[i] - mu);
	return (s0 + s1) + (s2 + s3);
}

/* Position of the largest (sign 1) or smallest (sign -1) value; a NaN
 * wins (its first position), as in numpy; of equal values the first.
 * Block by block: the block's best value by a vectorised loop
 * (core/vmath.h), and only when it beats the best so far (or the block
 * holds a NaN) a search of the block for its position. */
static int64_t arg_run(const double *p, int64_t n, int sign)
{
	/* small blocks: a block that holds a new best is searched value by
	 * value (128 measured faster than 512 or 2048 on 4096-value rows) */
	enum { ARG_BLOCK = 128 };
	int64_t best = 0;
	double b = p[0];
	if (isnan(b))
		return 0;
	for (int64_t i0 = 0; i0 < n; i0 += ARG_BLOCK) {
		int64_t m = n - i0 < ARG_BLOCK ? n - i0 : ARG_BLOCK;
		const double *q = p + i0;
		double bm = sign > 0 ? cf_vmath_max(q, (size_t)m) : cf_vmath_min(q, (size_t)m);
		if (bm != bm) { /* a NaN: value by value */
			for (int64_t i = 0; i < m; i++) {
				double x = q[i];
				if (sign > 0 ? x > b : x < b) {
					b = x;
					best = i0 + i;
				} else if (x != x) {
					return i0 + i;
				}
			}
		} else if (sign > 0 ? bm > b : bm < b) {
			int64_t i = 0;
			while (q[i] != bm)
				i++;
			b = bm;
			best = i0 + i;
		}
	}
	return best;
}

/* One contiguous slice of n values: the statistic, and for arg ops the
 * 0-based position. */
static double slice_stat(int op, const double *p, int64_t n, int64_t ddof, int64_t *pos)
{
	switch (op) {
	case RED_SUM: return sum_run(p, n);
	case RED_MEAN: return sum_run(p, n) / (double)n;
	case RED_VAR:
	case RED_STD: {
		double mu = sum_run(p, n) / (double)n;
		double v = n > ddof ? ssd_run(p, n, mu) / (double)(n - ddof) : NAN;
		return op == RED_STD ? sqrt(v) : v;
	}
	case RED_MIN:
	case RED_ARGMIN: *pos = arg_run(p, n, -1); return p[*pos];
	default: *pos = arg_run(p, n, 1); return p[*pos];
	}
}

/* o[b] += q[b]: one row into the running column sums.  restrict and
 * the four-way unrolling let the compiler vectorise it at -O2 (the
 * order of the additions per column is unchanged). */
static void add_run(double *restrict o, const double *restrict q, int64_t n)
{
	int64_t b = 0;
	for (; b + 4 <= n; b += 4) {
		o[b] += q[b];
		o[b + 1] += q[b + 1];
		o[b + 2] += q[b + 2];
		o[b + 3] += q[b + 3];
	}
	for (; b < n; b++)
		o[b] += q[b];
}

/* ss[b] += (q[b] - mu[b])², as add_run. */
static void add_sq_dev_run(double *restrict ss, const double *restrict q,
			   const double *restrict mu, int64_t n)
{
	int64_t b = 0;
	for (; b + 4 <= n; b += 4)
		for (int k = 0; k < 4; k++) {
			double d = q[b + k] - mu[b + k];
			ss[b + k] += d * d;
		}
	for (; b < n; b++) {
		double d = q[b] - mu[b];
		ss[b] += d * d;
	}
}

/* One row q into the running best values per column: best[b] becomes
 * q[b] when that is better or NaN, unless best[b] is NaN already (the
 * first NaN wins), and then pos[b] (if not NULL) becomes idx.  Written
 * without branches, four columns a step, so that it vectorises. */
#define BEST_RUN(name, better)                                                            \
	static void name(double *restrict best, double *restrict pos, const double *restrict q, \
			 int64_t n, double idx)                                                   \
	{                                                                                 \
		int64_t b = 0;                                                            \
		if (pos) {                                                                \
			for (; b < n; b++) {                                              \
				double x = q[b], m = best[b];                             \
				int upd = ((x better m) | (x != x)) & (m == m);           \
				best[b] = upd ? x : m;                                    \
				pos[b] = upd ? idx : pos[b];                              \
			}                                                                 \
			return;                                                           \
		}                                                                         \
		for (; b + 4 <= n; b += 4)                                                \
			for (int k = 0; k < 4; k++) {                                     \
				double x = q[b + k], m = best[b + k];                     \
				int upd = ((x better m) | (x != x)) & (m == m);           \
				best[b + k] = upd ? x : m;                                \
			}                                                                 \
		for (; b < n; b++) {                                                      \
			double x = q[b], m = best[b];                                     \
			int upd = ((x better m) | (x != x)) & (m == m);                   \
			best[b] = upd ? x : m;                                            \
		}                                                                         \
	}
BEST_RUN(best_run_max, >)
BEST_RUN(best_run_min, <)
#undef BEST_RUN

/* Reduce `outer` blocks of n rows of `inner` contiguous values each along
 * the rows, writing inner results per block.  Rows are visited in
 * storage order; acc holds running values (min/max) or sums. */
static void strided_stat(int op, const double *p, int64_t outer, int64_t n, int64_t inner,
			 int64_t ddof, double *o)
{
	for (int64_t a = 0; a < outer; a++, p += n * inner, o += inner) {
		const double *q = p;
		if (op == RED_SUM || op == RED_MEAN || op == RED_VAR || op == RED_STD) {
			memset(o, 0, (size_t)inner * sizeof *o);
			for (int64_t i = 0; i < n; i++, q += inner)
				add_run(o, q, inner);
			if (op == RED_SUM)
				continue;
			for (int64_t b = 0; b < inner; b++)
				o[b] /= (double)n;
			if (op == RED_MEAN)
				continue;
			/* deviations: a second pass over the block, the squares
			 * accumulated in place of the means once those are copied */
			double *mu = malloc((size_t)inner * sizeof *mu);
			double *ss = mu ? calloc((size_t)inner, sizeof *ss) : NULL;
			if (!ss) { /* fall back to strided slices: slower, no memory */
				free(mu);
				for (int64_t b = 0; b < inner; b++) {
					double m = o[b], s = 0;
					for (int64_t i = 0; i < n; i++)
						s += (p[i * inner + b] - m) * (p[i * inner + b] - m);
					o[b] = n > ddof ? s / (double)(n - ddof) : NAN;
				}
			} else {
				memcpy(mu, o, (size_t)inner * sizeof *mu);
				q = p;
				for (int64_t i = 0; i < n; i++, q += inner)
					add_sq_dev_run(ss, q, mu, inner);
				for (int64_t b = 0; b < inner; b++)
					o[b] = n > ddof ? ss[b] / (double)(n - ddof) : NAN;
				free(mu);
				free(ss);
			}
			if (op == RED_STD)
				for (int64_t b = 0; b < inner; b++)
					o[b] = sqrt(o[b]);
			continue;
		}
		/* min / max / argmin / argmax: running best per column */
		int sign = (op == RED_MAX || op == RED_ARGMAX) ? 1 : -1;
		int arg = op == RED_ARGMAX || op == RED_ARGMIN;
		double *best = arg ? malloc((size_t)inner * sizeof *best) : o;
		if (!best) { /* no memory for the values: strided slices */
			for (int64_t b = 0; b < inner; b++) {
				int64_t bi = 0;
				for (int64_t i = 1; i < n; i++) {
					double x = p[i * inner + b], y = p[bi * inner + b];
					if (isnan(y))
						break;
					if ((sign > 0 ? x > y : x < y) || isnan(x))
						bi = i;
				}
				o[b] = (double)(bi + 1);
			}
			continue;
		}
		memcpy(best, q, (size_t)inner * sizeof *best);
		if (arg)
			for (int64_t b = 0; b < inner; b++)
				o[b] = 1;
		q += inner;
		for (int64_t i = 1; i < n; i++, q += inner) {
			if (sign > 0)
				best_run_max(best, arg ? o : NULL, q, inner, (double)(i + 1));
			else
				best_run_min(best, arg ? o : NULL, q, inner, (double)(i + 1));
		}
		if (arg)
			free(best);
	}
}

/* Without dim: a number (argmax/argmin: the 1-based position per
 * dimension, as several results).  With dim: a Matrix over the other
 * dimensions (argmax/argmin: 1-based positions along dim). */
static int reduce(lua_State *L, int op)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	int64_t ddof = 0, pos = 0;
	if (op == RED_VAR || op == RED_STD) {
		lua_Integer d = luaL_optinteger(L, 3, 0);
		luaL_argcheck(L, d == 0 || d == 1, 3, "ddof is 0 (divide by n) or 1 (by n - 1)");
		ddof = d;
	}
	if (lua_isnoneornil(L, 2)) {
		double val = slice_stat(op, m->data, m->size, ddof, &pos);
		if (op == RED_ARGMAX || op == RED_ARGMIN) {
			int64_t idx[CF_LMAT_MAXDIM];
			for (int d = m->ndim - 1; d >= 0; d--) {
				idx[d] = pos % m->shape[d];
				pos /= m->shape[d];
			}
			for (int d = 0; d < m->ndim; d++)
				lua_pushinteger(L, idx[d] + 1);
			return m->ndim;
		}
		lua_pushnumber(L, val);
		return 1;
	}
	int d = cf_lmat_dim_arg(L, m, 2) - 1;
	int64_t outer = 1, inner = 1, n = m->shape[d];
	for (int i = 0; i < d; i++)
		outer *= m->shape[i];
	for (int i = d + 1; i < m->ndim; i++)
		inner *= m->shape[i];
	int64_t shape[CF_LMAT_MAXDIM];
	int nd = 0;
	for (int i = 0; i < m->ndim; i++)
		if (i != d)
			shape[nd++] = m->shape[i];
	if (nd == 0)
		shape[nd++] = 1;
	cf_lmatrix *o = cf_lmat_alloc(L, nd, shape);
	if (inner == 1) {
		for (int64_t a = 0; a < outer; a++) {
			double v = slice_stat(op, m->data + a * n, n, ddof, &pos);
			o->data[a] = (op == RED_ARGMAX || op == RED_ARGMIN) ? (double)(pos + 1) : v;
		}
	} else {
		strided_stat(op, m->data, outer, n, inner, ddof, o->data);
	}
	return 1;
}

int cf_lmat_sum(lua_State *L) { return reduce(L, RED_SUM); }
int cf_lmat_mean(lua_State *L) { return reduce(L, RED_MEAN); }
int cf_lmat_var(lua_State *L) { return reduce(L, RED_VAR); }
int cf_lmat_std(lua_State *L) { return reduce(L, RED_STD); }
int cf_lmat_min(lua_State *L) { return reduce(L, RED_MIN); }
int cf_lmat_max(lua_State *L) { return reduce(L, RED_MAX); }
int cf_lmat_argmax(lua_State *L) { return reduce(L, RED_ARGMAX); }
int cf_lmat_argmin(lua_State *L) { return reduce(L, RED_ARGMIN); }

/* ---- diag, normalize ---------------------------------------------------------- */

/* m:diag(): the diagonal of a 2-D matrix as a vector; a vector's values
 * on the diagonal of a square matrix. */
int cf_lmat_diag(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_arg(L, 1);
	if (m->ndim == 1) {
		int64_t n = m->shape[0];
		cf_lmatrix *o = cf_lua_matrix_new2(L, n, n);
		for (int64_t i = 0; i < n; i++)
			o->data[i * n + i] = m->data[i];
		return 1;
	}
	cf_lmat_check_2d(L, m, 1, "diag");
	int64_t r = m->shape[0], c = m->shape[1], k = r < c ? r : c;
	cf_lmatrix *o = cf_lmat_alloc(L, 1, &k);
	for (int64_t i = 0; i < k; i++)
		o->data[i] = m->data[i * c + i];
	return 1;
}

/* m:normalize(dim [, how]): each slice along dim divided by its sum, its
 * sum of absolute values or its Euclidean norm; a slice whose norm is 0
 * stays as it is. */
int cf_lmat_normalize(lua_State *L)
{
	static const char *const hows[] = {"sum", "l1", "l2", NULL};
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	int d = cf_lmat_dim_arg(L, m, 2) - 1;
	int how = luaL_checkoption(L, 3, "sum", hows);
	int64_t outer = 1, inner = 1, n = m->shape[d];
	for (int i = 0; i < d; i++)
		outer *= m->shape[i];
	for (int i = d + 1; i < m->ndim; i++)
		inner *= m->shape[i];
	cf_lmatrix *o = cf_lmat_alloc(L, m->ndim, m->shape);
	memcpy(o->data, m->data, (size_t)m->size * sizeof(double));
	double *norm = malloc((size_t)inner * sizeof *norm);
	if (!norm)
		return luaL_error(L, "normalize: out of memory");
	for (int64_t a = 0; a < outer; a++) {
		double *p = o->data + a * n * inner;
		for (int64_t b = 0; b < inner; b++)
			norm[b] = 0;
		for (int64_t i = 0; i < n; i++)
			for (int64_t b = 0; b < inner; b++) {
				double x = p[i * inner + b];
				norm[b] += how == 0 ? x : how == 1 ? fabs(x) : x * x;
			}
		for (int64_t b = 0; b < inner; b++) {
			if (how == 2)
				norm[b] = sqrt(norm[b]);
			if (norm[b] == 0)
				norm[b] = 1.0;
		}
		for (int64_t i = 0; i < n; i++)
			for (int64_t b = 0; b < inner; b++)
				p[i * inner + b] /= norm[b];
	}
	free(norm);
	return 1;
}

/* ---- concatenation -------------------------------------------------------------- */

/* cf.matrix.cat({A, B, ...} [, dim]): the matrices joined along dim (1:
 * one under the other, 2: side by side); every other dimension agrees. */
int cf_lmat_cat(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_Integer dim = luaL_optinteger(L, 2, 1);
	int k = (int)lua_rawlen(L, 1);
	if (k < 1)
		return luaL_argerror(L, 1, "a list of at least one Matrix");
	lua_settop(L, 2);
	/* convert every entry in place: the list keeps them alive */
	cf_lmatrix *first = NULL;
	int64_t total = 0;
	for (int i = 1; i <= k; i++) {
		lua_rawgeti(L, 1, i);
		cf_lmatrix *m = cf_lua_matrix_test(L, -1);
		if (!m && lua_type(L, -1) == LUA_TTABLE)
			m = cf_lua_matrix_arg(L, -1);
		if (!m) {
			lua_pushfstring(L, "entry %d is a %s, expected a Matrix", i, luaL_typename(L, -1));
			return luaL_argerror(L, 1, lua_tostring(L, -1));
		}
		if (!first) {
			first = m;
			if (dim < 1 || dim > m->ndim) {
				lua_pushfstring(L, "dimension %I out of range 1..%d", dim, m->ndim);
				return luaL_argerror(L, 2, lua_tostring(L, -1));
			}
		}
		int ok = m->ndim == first->ndim;
		for (int d = 0; ok && d < m->ndim; d++)
			ok = d == dim - 1 || m->shape[d] == first->shape[d];
		if (!ok) {
			char s1[80], s2[80];
			lua_pushfstring(L, "entry %d is %s, entry 1 is %s: only dimension %I may differ",
					i, cf_lmat_shape_str(m, s1, sizeof s1),
					cf_lmat_shape_str(first, s2, sizeof s2), dim);
			return luaL_argerror(L, 1, lua_tostring(L, -1));
		}
		if (__builtin_add_overflow(total, m->shape[dim - 1], &total))
			return luaL_error(L, "cat: Matrix too large");
	}
	int d = (int)dim - 1;
	int64_t shape[CF_LMAT_MAXDIM];
	memcpy(shape, first->shape, sizeof shape);
	shape[d] = total;
	int64_t outer = 1, inner = 1;
	for (int i = 0; i < d; i++)
		outer *= shape[i];
	for (int i = d + 1; i < first->ndim; i++)
		inner *= shape[i];
	cf_lmatrix *o = cf_lmat_alloc(L, first->ndim, shape);
	int64_t at = 0; /* offset along dim */
	for (int i = 0; i < k; i++) {
		cf_lmatrix *m = cf_lua_matrix_test(L, 3 + i);
		int64_t len = m->shape[d] * inner;
		for (int64_t a = 0; a < outer; a++)
			memcpy(o->data + a * total * inner + at * inner, m->data + a * len,
			       (size_t)len * sizeof(double));
		at += m->shape[d];
	}
	return 1;
}
