/* l_matrix.c — cf.matrix and the clafuse.Matrix type: dense double arrays
 * of 1 to 4 dimensions for scripts (weights, activations, costs, plans).
 *
 * Design choice: a Matrix is one full userdata holding its header and its
 * values (l_matrix.h), so the collector accounts for every byte and an
 * error can never leak one.  Every operation returns a NEW matrix (copies,
 * no views): simple and safe to hand to core code.  Positions are 1-based
 * everywhere.  `*` is elementwise (as numpy); m:mm(n) is the matrix
 * product through cblas_dgemm.  __pretty prints like torch7 / numpy: a
 * common scale factor, column chunks that fit the width, three edge items
 * per side past 1000 values, and a footer with the type and shape.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_rng.h>
#include <lauxlib.h>

#include "host.h"
#include "l_matrix.h"

#define SUMMARY_THRESHOLD 1000
#define EDGE 3

/* ---- construction ------------------------------------------------------ */

cf_lmatrix *cf_lua_matrix_new(lua_State *L, int ndim, const int64_t *shape)
{
	if (ndim < 1 || ndim > CF_LMAT_MAXDIM)
		luaL_error(L, "a Matrix has 1 to %d dimensions, not %d", CF_LMAT_MAXDIM, ndim);
	int64_t size = 1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 1)
			luaL_error(L, "Matrix dimension %d must be >= 1 (got %I)", i + 1,
				   (lua_Integer)shape[i]);
		if (size > (INT64_MAX / 16) / shape[i])
			luaL_error(L, "Matrix too large");
		size *= shape[i];
	}
	if ((uint64_t)size > (SIZE_MAX - sizeof(cf_lmatrix)) / sizeof(double))
		luaL_error(L, "Matrix too large");
	cf_lmatrix *m = lua_newuserdatauv(L, sizeof(cf_lmatrix) + (size_t)size * sizeof(double), 0);
	m->ndim = ndim;
	for (int i = 0; i < CF_LMAT_MAXDIM; i++)
		m->shape[i] = i < ndim ? shape[i] : 1;
	m->size = size;
	memset(m->data, 0, (size_t)size * sizeof(double));
	luaL_setmetatable(L, CF_LUA_MATRIX);
	return m;
}

cf_lmatrix *cf_lua_matrix_new2(lua_State *L, int64_t rows, int64_t cols)
{
	int64_t sh[2] = {rows, cols};
	return cf_lua_matrix_new(L, cols > 0 ? 2 : 1, sh);
}

cf_lmatrix *cf_lua_matrix_push(lua_State *L, int ndim, const int64_t *shape, const double *src)
{
	cf_lmatrix *m = cf_lua_matrix_new(L, ndim, shape);
	if (src)
		memcpy(m->data, src, (size_t)m->size * sizeof(double));
	return m;
}

cf_lmatrix *cf_lua_matrix_push_f(lua_State *L, int ndim, const int64_t *shape, const float *src)
{
	cf_lmatrix *m = cf_lua_matrix_new(L, ndim, shape);
	if (src)
		for (int64_t i = 0; i < m->size; i++)
			m->data[i] = src[i];
	return m;
}

cf_lmatrix *cf_lua_matrix_check(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, CF_LUA_MATRIX);
}

cf_lmatrix *cf_lua_matrix_test(lua_State *L, int idx)
{
	return luaL_testudata(L, idx, CF_LUA_MATRIX);
}

/* Shape of a nested table: follow the first elements down. */
static int table_shape(lua_State *L, int idx, int argn, int64_t *shape)
{
	int ndim = 0;
	lua_pushvalue(L, idx);
	while (lua_type(L, -1) == LUA_TTABLE) {
		if (ndim == CF_LMAT_MAXDIM)
			luaL_argerror(L, argn, "a table nested more than 4 deep");
		int64_t n = (int64_t)lua_rawlen(L, -1);
		if (n < 1)
			luaL_argerror(L, argn, "an empty table (a Matrix needs values)");
		shape[ndim++] = n;
		lua_rawgeti(L, -1, 1);
		lua_remove(L, -2);
	}
	lua_pop(L, 1);
	return ndim;
}

/* Fill from the table at the top; `pos` names the entry in messages. */
static void table_fill(lua_State *L, int argn, const int64_t *shape, int ndim, int d,
		       double **out, char *pos, size_t poslen)
{
	size_t pl = strlen(pos);
	if (lua_type(L, -1) != LUA_TTABLE || (int64_t)lua_rawlen(L, -1) != shape[d]) {
		lua_pushfstring(L, "entry %s should be a table of %I values like its siblings",
				pl ? pos : "[]", (lua_Integer)shape[d]);
		luaL_argerror(L, argn, lua_tostring(L, -1));
	}
	for (int64_t i = 1; i <= shape[d]; i++) {
		snprintf(pos + pl, poslen - pl, "[%lld]", (long long)i);
		lua_rawgeti(L, -1, (lua_Integer)i);
		if (d + 1 < ndim) {
			table_fill(L, argn, shape, ndim, d + 1, out, pos, poslen);
		} else {
			int isnum;
			lua_Number v = lua_tonumberx(L, -1, &isnum);
			if (!isnum || lua_type(L, -1) == LUA_TSTRING) {
				lua_pushfstring(L, "entry %s is a %s, expected a number", pos,
						luaL_typename(L, -1));
				luaL_argerror(L, argn, lua_tostring(L, -1));
			}
			*(*out)++ = v;
		}
		lua_pop(L, 1);
	}
	pos[pl] = '\0';
}

/* Convert the table at idx into a new matrix pushed on the stack. */
static cf_lmatrix *from_table(lua_State *L, int idx, int argn)
{
	idx = lua_absindex(L, idx);
	int64_t shape[CF_LMAT_MAXDIM];
	int ndim = table_shape(L, idx, argn, shape);
	cf_lmatrix *m = cf_lua_matrix_new(L, ndim, shape);
	double *p = m->data;
	char pos[128] = "";
	lua_pushvalue(L, idx);
	table_fill(L, argn, shape, ndim, 0, &p, pos, sizeof pos);
	lua_pop(L, 1);
	return m;
}

cf_lmatrix *cf_lua_matrix_arg(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	cf_lmatrix *m = cf_lua_matrix_test(L, idx);
	if (m)
		return m;
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_typeerror(L, idx, "Matrix or table of numbers");
	m = from_table(L, idx, idx);
	lua_replace(L, idx);
	return m;
}

static const char *shape_str(const cf_lmatrix *m, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < m->ndim && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? "x" : "",
				      (long long)m->shape[i]);
	return buf;
}

/* ---- cf.matrix, cf.zeros, cf.ones, cf.rand, cf.eye ---------------------- */

static int64_t check_dim(lua_State *L, int arg)
{
	lua_Integer n = luaL_checkinteger(L, arg);
	if (n < 1)
		luaL_argerror(L, arg, "a dimension must be >= 1");
	return (int64_t)n;
}

/* Dimensions from arguments first..top (integers) or a table at first. */
static int dims_args(lua_State *L, int first, int last, int64_t *shape)
{
	if (lua_type(L, first) == LUA_TTABLE) {
		int n = (int)lua_rawlen(L, first);
		if (n < 1 || n > CF_LMAT_MAXDIM)
			luaL_argerror(L, first, "a shape table of 1 to 4 dimensions");
		for (int i = 0; i < n; i++) {
			lua_rawgeti(L, first, i + 1);
			if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1)
				luaL_argerror(L, first, "shape entries must be integers >= 1");
			shape[i] = lua_tointeger(L, -1);
			lua_pop(L, 1);
		}
		return n;
	}
	int n = last - first + 1;
	if (n < 1)
		luaL_argerror(L, first, "dimensions expected");
	if (n > CF_LMAT_MAXDIM)
		luaL_argerror(L, first + CF_LMAT_MAXDIM, "at most 4 dimensions");
	for (int i = 0; i < n; i++)
		shape[i] = check_dim(L, first + i);
	return n;
}

static int l_matrix(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TTABLE) {
		from_table(L, 1, 1);
		return 1;
	}
	cf_lmatrix *src = cf_lua_matrix_test(L, 1);
	if (src) {
		cf_lua_matrix_push(L, src->ndim, src->shape, src->data);
		return 1;
	}
	if (!lua_isinteger(L, 1))
		return luaL_typeerror(L, 1, "table, Matrix or integer rows");
	int64_t rows = check_dim(L, 1);
	int64_t cols = check_dim(L, 2);
	double fill = luaL_optnumber(L, 3, 0.0);
	if (lua_gettop(L) > 3)
		return luaL_argerror(L, 4, "no more than 3 arguments");
	cf_lmatrix *m = cf_lua_matrix_new2(L, rows, cols);
	for (int64_t i = 0; i < m->size; i++)
		m->data[i] = fill;
	return 1;
}

static int fill_dims(lua_State *L, double v)
{
	int64_t shape[CF_LMAT_MAXDIM];
	int n = dims_args(L, 1, lua_gettop(L), shape);
	cf_lmatrix *m = cf_lua_matrix_new(L, n, shape);
	if (v != 0)
		for (int64_t i = 0; i < m->size; i++)
			m->data[i] = v;
	return 1;
}

static int l_zeros(lua_State *L) { return fill_dims(L, 0.0); }
static int l_ones(lua_State *L) { return fill_dims(L, 1.0); }

static int l_eye(lua_State *L)
{
	int64_t n = check_dim(L, 1);
	cf_lmatrix *m = cf_lua_matrix_new2(L, n, n);
	for (int64_t i = 0; i < n; i++)
		m->data[i * n + i] = 1.0;
	return 1;
}

/* cf.rand(rows, cols [, seed]): uniform [0,1) from GSL's mt19937. */
static int l_rand(lua_State *L)
{
	int64_t rows = check_dim(L, 1);
	int64_t cols = check_dim(L, 2);
	lua_Integer seed = luaL_optinteger(L, 3, 1);
	if (seed < 0)
		return luaL_argerror(L, 3, "a seed >= 0");
	cf_lmatrix *m = cf_lua_matrix_new2(L, rows, cols);
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r)
		return luaL_error(L, "out of memory");
	gsl_rng_set(r, (unsigned long)seed);
	for (int64_t i = 0; i < m->size; i++)
		m->data[i] = gsl_rng_uniform(r);
	gsl_rng_free(r);
	return 1;
}

/* ---- element access ----------------------------------------------------- */

/* Flat offset of the 1-based indices at args first..first+ndim-1. */
static int64_t offset_args(lua_State *L, const cf_lmatrix *m, int first)
{
	int64_t off = 0;
	for (int d = 0; d < m->ndim; d++) {
		lua_Integer i = luaL_checkinteger(L, first + d);
		if (i < 1 || i > m->shape[d]) {
			lua_pushfstring(L, "index %I out of range 1..%I (dimension %d)", i,
					(lua_Integer)m->shape[d], d + 1);
			luaL_argerror(L, first + d, lua_tostring(L, -1));
		}
		off = off * m->shape[d] + (i - 1);
	}
	return off;
}

static int m_get(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (lua_gettop(L) != 1 + m->ndim)
		return luaL_error(L, "get: a %d-dimensional Matrix needs %d indices, got %d",
				  m->ndim, m->ndim, lua_gettop(L) - 1);
	lua_pushnumber(L, m->data[offset_args(L, m, 2)]);
	return 1;
}

static int m_set(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (lua_gettop(L) != 2 + m->ndim)
		return luaL_error(L, "set: a %d-dimensional Matrix needs %d indices and a value, "
				  "got %d arguments", m->ndim, m->ndim, lua_gettop(L) - 1);
	double v = luaL_checknumber(L, 2 + m->ndim);
	m->data[offset_args(L, m, 2)] = v;
	lua_settop(L, 1);
	return 1;
}

/* Slice i (1-based) along the first dimension: a number for a vector,
 * else a copy with one dimension less. */
static int push_slice(lua_State *L, const cf_lmatrix *m, lua_Integer i, int argn)
{
	if (i < 1 || i > m->shape[0]) {
		lua_pushfstring(L, "row %I out of range 1..%I", i, (lua_Integer)m->shape[0]);
		return luaL_argerror(L, argn, lua_tostring(L, -1));
	}
	if (m->ndim == 1) {
		lua_pushnumber(L, m->data[i - 1]);
		return 1;
	}
	int64_t inner = m->size / m->shape[0];
	cf_lua_matrix_push(L, m->ndim - 1, m->shape + 1, m->data + (i - 1) * inner);
	return 1;
}

static int m_row(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	return push_slice(L, m, luaL_checkinteger(L, 2), 2);
}

/* __index: integers give rows (m[i]); other keys go to the methods. */
static int m_index(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (lua_isinteger(L, 2))
		return push_slice(L, m, lua_tointeger(L, 2), 2);
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "__methods");
	lua_pushvalue(L, 2);
	lua_rawget(L, -2);
	return 1;
}

/* __newindex: m[i] = v for a vector, m[i] = row (Matrix or table) else. */
static int m_newindex(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (!lua_isinteger(L, 2))
		return luaL_error(L, "a Matrix has no field '%s' (only integer rows can be assigned)",
				  luaL_tolstring(L, 2, NULL));
	lua_Integer i = lua_tointeger(L, 2);
	if (i < 1 || i > m->shape[0])
		return luaL_error(L, "row %I out of range 1..%I", i, (lua_Integer)m->shape[0]);
	if (m->ndim == 1) {
		if (!lua_isnumber(L, 3) || lua_type(L, 3) == LUA_TSTRING)
			return luaL_error(L, "assigning m[%I]: number expected, got %s", i,
					  luaL_typename(L, 3));
		m->data[i - 1] = lua_tonumber(L, 3);
		return 0;
	}
	cf_lmatrix *r = cf_lua_matrix_arg(L, 3);
	int64_t inner = m->size / m->shape[0];
	if (r->size != inner)
		return luaL_error(L, "assigning row %I: %I values expected, got %I", i,
				  (lua_Integer)inner, (lua_Integer)r->size);
	memcpy(m->data + (i - 1) * inner, r->data, (size_t)inner * sizeof(double));
	return 0;
}

static int m_len(lua_State *L)
{
	lua_pushinteger(L, cf_lua_matrix_check(L, 1)->shape[0]);
	return 1;
}

static int m_shape(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	lua_createtable(L, m->ndim, 0);
	for (int i = 0; i < m->ndim; i++) {
		lua_pushinteger(L, m->shape[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int m_size(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (lua_isnoneornil(L, 2)) {
		lua_pushinteger(L, m->size);
		return 1;
	}
	lua_Integer d = luaL_checkinteger(L, 2);
	luaL_argcheck(L, d >= 1 && d <= m->ndim, 2, "dimension out of range");
	lua_pushinteger(L, m->shape[d - 1]);
	return 1;
}

static int m_dim(lua_State *L)
{
	lua_pushinteger(L, cf_lua_matrix_check(L, 1)->ndim);
	return 1;
}

static void totable_rec(lua_State *L, const cf_lmatrix *m, int d, const double **p)
{
	lua_createtable(L, (int)m->shape[d], 0);
	for (int64_t i = 0; i < m->shape[d]; i++) {
		if (d + 1 < m->ndim)
			totable_rec(L, m, d + 1, p);
		else
			lua_pushnumber(L, *(*p)++);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

static int m_totable(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	const double *p = m->data;
	totable_rec(L, m, 0, &p);
	return 1;
}

static int m_copy(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	cf_lua_matrix_push(L, m->ndim, m->shape, m->data);
	return 1;
}

static int m_reshape(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	int64_t shape[CF_LMAT_MAXDIM];
	int n = dims_args(L, 2, lua_gettop(L), shape);
	int64_t size = 1;
	for (int i = 0; i < n; i++)
		size *= shape[i];
	if (size != m->size)
		return luaL_error(L, "reshape: %I values cannot take a shape of %I",
				  (lua_Integer)m->size, (lua_Integer)size);
	cf_lua_matrix_push(L, n, shape, m->data);
	return 1;
}

static void check_2d(lua_State *L, const cf_lmatrix *m, int arg, const char *what)
{
	if (m->ndim != 2) {
		lua_pushfstring(L, "%s needs a 2-dimensional Matrix, got %d dimensions", what,
				m->ndim);
		luaL_argerror(L, arg, lua_tostring(L, -1));
	}
}

/* m:sub(r1, r2 [, c1, c2]): rows r1..r2 (and columns c1..c2), a copy. */
static int m_sub(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	int64_t lo[2], hi[2];
	for (int d = 0; d < 2; d++) {
		int64_t ext = d < m->ndim ? m->shape[d] : 1;
		int a = 2 + 2 * d;
		if (d == 1 && (m->ndim < 2 || lua_isnoneornil(L, a))) {
			lo[1] = 1;
			hi[1] = m->ndim >= 2 ? m->shape[1] : 1;
			break;
		}
		lo[d] = luaL_checkinteger(L, a);
		hi[d] = luaL_optinteger(L, a + 1, ext);
		if (lo[d] < 1 || lo[d] > ext)
			return luaL_argerror(L, a, "start out of range");
		if (hi[d] < lo[d] || hi[d] > ext)
			return luaL_argerror(L, a + 1, "end out of range (or before the start)");
	}
	if (m->ndim > 2)
		return luaL_argerror(L, 1, "sub works on vectors and 2-dimensional matrices");
	if (m->ndim == 1) {
		int64_t sh[1] = {hi[0] - lo[0] + 1};
		cf_lua_matrix_push(L, 1, sh, m->data + lo[0] - 1);
		return 1;
	}
	int64_t r = hi[0] - lo[0] + 1, c = hi[1] - lo[1] + 1, cols = m->shape[1];
	cf_lmatrix *o = cf_lua_matrix_new2(L, r, c);
	for (int64_t i = 0; i < r; i++)
		memcpy(o->data + i * c, m->data + (lo[0] - 1 + i) * cols + lo[1] - 1,
		       (size_t)c * sizeof(double));
	return 1;
}

static int m_t(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (m->ndim == 1) { /* a vector becomes a column */
		int64_t sh[2] = {m->shape[0], 1};
		cf_lua_matrix_push(L, 2, sh, m->data);
		return 1;
	}
	check_2d(L, m, 1, "t");
	int64_t r = m->shape[0], c = m->shape[1];
	cf_lmatrix *o = cf_lua_matrix_new2(L, c, r);
	for (int64_t i = 0; i < r; i++)
		for (int64_t j = 0; j < c; j++)
			o->data[j * r + i] = m->data[i * c + j];
	return 1;
}

/* m:mm(n): matrix product; n may be a vector (then the result is one). */
static int m_mm(lua_State *L)
{
	cf_lmatrix *a = cf_lua_matrix_check(L, 1);
	cf_lmatrix *b = cf_lua_matrix_arg(L, 2);
	check_2d(L, a, 1, "mm");
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
	cf_lmatrix *o = cf_lua_matrix_new(L, b->ndim == 1 ? 1 : 2, sh);
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)a->shape[0], (int)n, (int)k,
		    1.0, a->data, (int)k, b->data, (int)n, 0.0, o->data, (int)n);
	return 1;
}

/* ---- arithmetic ----------------------------------------------------------- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW };

static double apply(int op, double x, double y)
{
	switch (op) {
	case OP_ADD: return x + y;
	case OP_SUB: return x - y;
	case OP_MUL: return x * y;
	case OP_DIV: return x / y;
	default: return pow(x, y);
	}
}

static int same_shape(const cf_lmatrix *a, const cf_lmatrix *b)
{
	if (a->ndim != b->ndim)
		return 0;
	for (int i = 0; i < a->ndim; i++)
		if (a->shape[i] != b->shape[i])
			return 0;
	return 1;
}

/* Elementwise a op b where either may be a number (not both). */
static int arith(lua_State *L, int op)
{
	cf_lmatrix *a = cf_lua_matrix_test(L, 1), *b = cf_lua_matrix_test(L, 2);
	if (!a && !b)
		return luaL_typeerror(L, 1, "Matrix");
	if (a && b) {
		if (!same_shape(a, b)) {
			char s1[80], s2[80];
			return luaL_error(L, "shapes differ: %s and %s", shape_str(a, s1, sizeof s1),
					  shape_str(b, s2, sizeof s2));
		}
		cf_lmatrix *o = cf_lua_matrix_new(L, a->ndim, a->shape);
		for (int64_t i = 0; i < o->size; i++)
			o->data[i] = apply(op, a->data[i], b->data[i]);
		return 1;
	}
	int sarg = a ? 2 : 1;
	if (lua_type(L, sarg) != LUA_TNUMBER)
		return luaL_typeerror(L, sarg, "number or Matrix");
	double s = lua_tonumber(L, sarg);
	cf_lmatrix *m = a ? a : b;
	cf_lmatrix *o = cf_lua_matrix_new(L, m->ndim, m->shape);
	for (int64_t i = 0; i < o->size; i++)
		o->data[i] = a ? apply(op, m->data[i], s) : apply(op, s, m->data[i]);
	return 1;
}

static int m_add(lua_State *L) { return arith(L, OP_ADD); }
static int m_subtract(lua_State *L) { return arith(L, OP_SUB); }
static int m_mul(lua_State *L) { return arith(L, OP_MUL); }
static int m_div(lua_State *L) { return arith(L, OP_DIV); }
static int m_pow(lua_State *L) { return arith(L, OP_POW); }

static int m_unm(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	cf_lmatrix *o = cf_lua_matrix_new(L, m->ndim, m->shape);
	for (int64_t i = 0; i < o->size; i++)
		o->data[i] = -m->data[i];
	return 1;
}

/* __eq: exact content and shape (never a tolerance). */
static int m_eq(lua_State *L)
{
	cf_lmatrix *a = cf_lua_matrix_test(L, 1), *b = cf_lua_matrix_test(L, 2);
	int eq = a && b && same_shape(a, b);
	for (int64_t i = 0; eq && i < a->size; i++)
		eq = a->data[i] == b->data[i];
	lua_pushboolean(L, eq);
	return 1;
}

static int m_map(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	cf_lmatrix *o = cf_lua_matrix_new(L, m->ndim, m->shape);
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

static int m_fill(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	double v = luaL_checknumber(L, 2);
	for (int64_t i = 0; i < m->size; i++)
		m->data[i] = v;
	lua_settop(L, 1);
	return 1;
}

/* ---- reductions ------------------------------------------------------------ */

enum { RED_SUM, RED_MEAN, RED_MIN, RED_MAX, RED_ARGMAX, RED_ARGMIN };

static void reduce_run(int op, const double *p, int64_t n, int64_t stride, double *val,
		       int64_t *pos)
{
	double acc = (op == RED_SUM || op == RED_MEAN) ? 0.0 : p[0];
	int64_t best = 0;
	for (int64_t i = 0; i < n; i++) {
		double x = p[i * stride];
		switch (op) {
		case RED_SUM:
		case RED_MEAN: acc += x; break;
		case RED_MIN:
		case RED_ARGMIN: if (x < acc || isnan(x)) { if (!isnan(acc)) { acc = x; best = i; } } break;
		default: if (x > acc || isnan(x)) { if (!isnan(acc)) { acc = x; best = i; } } break;
		}
	}
	if (op == RED_MEAN)
		acc /= (double)n;
	*val = acc;
	*pos = best;
}

/* Without dim: a number (argmax/argmin: the 1-based position per
 * dimension, as several results).  With dim: a Matrix over the other
 * dimensions (argmax/argmin: 1-based positions along dim). */
static int reduce(lua_State *L, int op)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	double val;
	int64_t pos;
	if (lua_isnoneornil(L, 2)) {
		reduce_run(op, m->data, m->size, 1, &val, &pos);
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
	lua_Integer dim = luaL_checkinteger(L, 2);
	if (dim < 1 || dim > m->ndim)
		return luaL_argerror(L, 2, "dimension out of range");
	int d = (int)dim - 1;
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
	cf_lmatrix *o = cf_lua_matrix_new(L, nd, shape);
	for (int64_t a = 0; a < outer; a++)
		for (int64_t b = 0; b < inner; b++) {
			reduce_run(op, m->data + a * n * inner + b, n, inner, &val, &pos);
			o->data[a * inner + b] =
				(op == RED_ARGMAX || op == RED_ARGMIN) ? (double)(pos + 1) : val;
		}
	return 1;
}

static int m_sum(lua_State *L) { return reduce(L, RED_SUM); }
static int m_mean(lua_State *L) { return reduce(L, RED_MEAN); }
static int m_min(lua_State *L) { return reduce(L, RED_MIN); }
static int m_max(lua_State *L) { return reduce(L, RED_MAX); }
static int m_argmax(lua_State *L) { return reduce(L, RED_ARGMAX); }
static int m_argmin(lua_State *L) { return reduce(L, RED_ARGMIN); }

/* ---- printing -------------------------------------------------------------- */

static int m_tostring(lua_State *L)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	char s[100];
	lua_pushfstring(L, "Matrix %s double", shape_str(m, s, sizeof s));
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

/* __pretty(m [, opts]): the multi-line display of the REPL. */
static int m_pretty(lua_State *L)
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
	snprintf(foot, sizeof foot, "[Matrix double %s]", shape_str(m, s, sizeof s));
	luaL_addstring(&b, foot);
	luaL_pushresult(&b);
	return 1;
}

/* __gc / __close: the storage belongs to the userdata, nothing to free;
 * kept so `local m <close> = ...` works like other clafuse objects. */
static int m_close(lua_State *L)
{
	(void)L;
	return 0;
}

/* ---- registration ---------------------------------------------------------- */

static const luaL_Reg matrix_meta[] = {
	{"__index", m_index},   {"__newindex", m_newindex}, {"__len", m_len},
	{"__tostring", m_tostring}, {"__pretty", m_pretty}, {"__add", m_add},
	{"__sub", m_subtract},  {"__mul", m_mul},           {"__div", m_div},
	{"__pow", m_pow},       {"__unm", m_unm},           {"__eq", m_eq},
	{"__gc", m_close},      {"__close", m_close},       {NULL, NULL}};

static const luaL_Reg matrix_methods[] = {
	{"shape", m_shape},   {"size", m_size},     {"dim", m_dim},       {"get", m_get},
	{"set", m_set},       {"row", m_row},       {"totable", m_totable}, {"copy", m_copy},
	{"reshape", m_reshape}, {"sub", m_sub},     {"t", m_t},           {"mm", m_mm},
	{"add", m_add},       {"mul", m_mul},       {"map", m_map},       {"fill", m_fill},
	{"sum", m_sum},       {"mean", m_mean},     {"min", m_min},       {"max", m_max},
	{"argmax", m_argmax}, {"argmin", m_argmin}, {"pretty", m_pretty}, {NULL, NULL}};

static const cf_lua_doc matrix_docs[] = {
	{"shape", "m:shape() -> {d1, ...}", "The dimensions as a table, e.g. {400, 784}."},
	{"size", "m:size([dim]) -> n", "Number of values, or the extent of dimension dim (1-based)."},
	{"dim", "m:dim() -> n", "Number of dimensions (1 to 4)."},
	{"get", "m:get(i [, j, ...]) -> number",
	 "The value at 1-based indices (one per dimension).\nAn index out of range raises an error naming it."},
	{"set", "m:set(i [, j, ...], v) -> m", "Set the value at 1-based indices; returns m."},
	{"row", "m:row(i) -> Matrix | number",
	 "Row i (a copy with one dimension less); for a vector, its i-th value.\nm[i] is the same."},
	{"totable", "m:totable() -> table", "The values as nested Lua tables ({{1,2},{3,4}})."},
	{"copy", "m:copy() -> Matrix", "A deep copy."},
	{"reshape", "m:reshape(d1 [, d2, ...]) -> Matrix",
	 "A copy with another shape holding the same values in row-major order."},
	{"sub", "m:sub(r1 [, r2 [, c1 [, c2]]]) -> Matrix",
	 "A copy of rows r1..r2 and columns c1..c2 (1-based, inclusive).\n"
	 "Works on vectors and 2-dimensional matrices."},
	{"t", "m:t() -> Matrix", "The transpose (a vector becomes a column)."},
	{"mm", "m:mm(n) -> Matrix",
	 "Matrix product m·n (cblas_dgemm); n may be a vector or a table.\n"
	 "Inner dimensions must agree.  Note m * n is elementwise."},
	{"add", "m:add(x) -> Matrix", "m + x: x a number or a Matrix of the same shape."},
	{"mul", "m:mul(x) -> Matrix", "m * x elementwise: x a number or a Matrix of the same shape."},
	{"map", "m:map(f) -> Matrix", "A new Matrix of f(v) for every value v."},
	{"fill", "m:fill(v) -> m", "Set every value to v (in place)."},
	{"sum", "m:sum([dim]) -> number | Matrix",
	 "Sum of all values, or along dimension dim (m:sum(2) gives row sums,\nm:sum(1) column sums)."},
	{"mean", "m:mean([dim]) -> number | Matrix", "Mean of all values, or along dimension dim."},
	{"min", "m:min([dim]) -> number | Matrix", "Smallest value, or along dimension dim."},
	{"max", "m:max([dim]) -> number | Matrix", "Largest value, or along dimension dim."},
	{"argmax", "m:argmax([dim]) -> i, j, ... | Matrix",
	 "1-based position of the largest value (one index per dimension), or\n"
	 "along dimension dim: logits:argmax(2) is each row's best column."},
	{"argmin", "m:argmin([dim]) -> i, j, ... | Matrix", "As argmax, for the smallest value."},
	{"pretty", "m:pretty([opts]) -> string",
	 "The multi-line display (opts.width, default 80): a common scale factor,\n"
	 "column chunks that fit the width, three edge items per side past 1000\n"
	 "values, and a footer with the type and shape."},
	{NULL, NULL, NULL}};

static const luaL_Reg cf_fns[] = {{"matrix", l_matrix}, {"zeros", l_zeros}, {"ones", l_ones},
				  {"eye", l_eye},       {"rand", l_rand},   {NULL, NULL}};

static const cf_lua_doc cf_fn_docs[] = {
	{"matrix", "cf.matrix(t | rows, cols [, fill]) -> Matrix",
	 "A new Matrix from nested tables, or rows×cols filled with fill (0).\n"
	 "cf.matrix{{1,2},{3,4}} is 2x2, cf.matrix{1,2,3} a vector; cf.matrix(m)\n"
	 "copies a Matrix.  Values are doubles; positions are 1-based."},
	{"zeros", "cf.zeros(d1 [, d2, d3, d4]) -> Matrix", "A zero Matrix of the given shape (or a shape table)."},
	{"ones", "cf.ones(d1 [, d2, d3, d4]) -> Matrix", "A Matrix of ones of the given shape."},
	{"eye", "cf.eye(n) -> Matrix", "The n×n identity."},
	{"rand", "cf.rand(rows, cols [, seed]) -> Matrix",
	 "Uniform values in [0, 1) from GSL's mt19937 seeded with seed (1).\nThe same seed gives the same matrix."},
	{NULL, NULL, NULL}};

int luaopen_cf_matrix(lua_State *L)
{
	cf_lua_register_type(L, CF_LUA_MATRIX,
			     "a dense double matrix or tensor (1 to 4 dimensions, 1-based)",
			     matrix_meta, matrix_methods, matrix_docs);
	/* The constructors live in cf itself; they are documented one by one
	 * (cf_lua_register would re-describe the cf module). */
	lua_getglobal(L, "cf");
	int cf = lua_gettop(L);
	luaL_setfuncs(L, cf_fns, 0);
	for (const cf_lua_doc *d = cf_fn_docs; d->name; d++) {
		lua_getfield(L, cf, d->name);
		lua_pushfstring(L, "cf.%s", d->name);
		cf_lua_help_add(L, -2, "function", lua_tostring(L, -1), "cf", d->signature,
				d->text);
		lua_pop(L, 2);
	}
	return 1;
}
