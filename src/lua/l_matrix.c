/* l_matrix.c — cf.matrix and the clafuse.Matrix type: dense double arrays
 * of 1 to 4 dimensions for scripts (weights, activations, costs, plans):
 * construction, element access, shape, slicing and registration.
 *
 * Design choice: a Matrix is one full userdata holding its header and its
 * values (l_matrix.h), so the collector accounts for every byte and an
 * error can never leak one.  Every operation returns a NEW matrix (copies,
 * no views, slices included): simple and safe to hand to core code.
 * Positions are 1-based everywhere.  The operators follow torch7: `*` is
 * the matrix product, m:mul(n) the elementwise one; +, -, m:mul and /
 * broadcast like numpy.  Computing lives in l_matrix_ops.c, the display
 * in l_matrix_print.c.  Sizes from scripts go through overflow-checked
 * products before any allocation.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sys/mman.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <lauxlib.h>

#include "core/tensor.h"
#include "host.h"
#include "l_matrix_int.h"

/* ---- construction ------------------------------------------------------ */

/* Ask for transparent huge pages for a large matrix before its first
 * touch, as numpy does: a fresh 128 MB block otherwise takes 32768 page
 * faults, which cost more than the arithmetic (ten times numpy's time for
 * an elementwise operation on 4096×4096 in a virtual machine).  Advice
 * only: where the kernel declines, nothing changes. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t page = 4096, huge = (uintptr_t)1 << 22;
	if (bytes < huge)
		return;
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

cf_lmatrix *cf_lmat_alloc(lua_State *L, int ndim, const int64_t *shape)
{
	if (ndim < 1 || ndim > CF_LMAT_MAXDIM)
		luaL_error(L, "a Matrix has 1 to %d dimensions, not %d", CF_LMAT_MAXDIM, ndim);
	int64_t size = 1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 1)
			luaL_error(L, "Matrix dimension %d must be >= 1 (got %I)", i + 1,
				   (lua_Integer)shape[i]);
		if (__builtin_mul_overflow(size, shape[i], &size) || size > INT64_MAX / 16)
			luaL_error(L, "Matrix too large");
	}
	if ((uint64_t)size > (SIZE_MAX - sizeof(cf_lmatrix)) / sizeof(double))
		luaL_error(L, "Matrix too large");
	cf_lmatrix *m = lua_newuserdatauv(L, sizeof(cf_lmatrix) + (size_t)size * sizeof(double), 0);
	m->ndim = ndim;
	for (int i = 0; i < CF_LMAT_MAXDIM; i++)
		m->shape[i] = i < ndim ? shape[i] : 1;
	m->size = size;
	luaL_setmetatable(L, CF_LUA_MATRIX);
	advise_huge(m->data, (size_t)size * sizeof(double));
	return m;
}

cf_lmatrix *cf_lua_matrix_new(lua_State *L, int ndim, const int64_t *shape)
{
	cf_lmatrix *m = cf_lmat_alloc(L, ndim, shape);
	memset(m->data, 0, (size_t)m->size * sizeof(double));
	return m;
}

cf_lmatrix *cf_lua_matrix_new2(lua_State *L, int64_t rows, int64_t cols)
{
	int64_t sh[2] = {rows, cols};
	return cf_lua_matrix_new(L, cols > 0 ? 2 : 1, sh);
}

cf_lmatrix *cf_lua_matrix_push(lua_State *L, int ndim, const int64_t *shape, const double *src)
{
	if (!src)
		return cf_lua_matrix_new(L, ndim, shape);
	cf_lmatrix *m = cf_lmat_alloc(L, ndim, shape);
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

const char *cf_lmat_shape_str(const cf_lmatrix *m, char *buf, size_t len)
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

/* cf.rand(rows, cols [, seed]): uniform [0,1) from GSL's mt19937;
 * cf.matrix.randn: standard normal. */
static int random_fill(lua_State *L, int normal)
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
		m->data[i] = normal ? gsl_ran_gaussian_ziggurat(r, 1.0) : gsl_rng_uniform(r);
	gsl_rng_free(r);
	return 1;
}

static int l_rand(lua_State *L) { return random_fill(L, 0); }
static int l_randn(lua_State *L) { return random_fill(L, 1); }

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
		if (__builtin_mul_overflow(size, shape[i], &size))
			return luaL_error(L, "reshape: %I values cannot take that shape (its size "
					  "overflows)", (lua_Integer)m->size);
	if (size != m->size)
		return luaL_error(L, "reshape: %I values cannot take a shape of %I",
				  (lua_Integer)m->size, (lua_Integer)size);
	cf_lua_matrix_push(L, n, shape, m->data);
	return 1;
}

int cf_lmat_same_shape(const cf_lmatrix *a, const cf_lmatrix *b)
{
	cf_tensor ta = cf_tensor_view(a->ndim, a->shape, NULL);
	cf_tensor tb = cf_tensor_view(b->ndim, b->shape, NULL);
	return cf_tensor_same_shape(&ta, &tb);
}

int cf_lmat_dim_arg(lua_State *L, const cf_lmatrix *m, int arg)
{
	lua_Integer d = luaL_checkinteger(L, arg);
	if (d < 1 || d > m->ndim) {
		lua_pushfstring(L, "dimension %I out of range 1..%d", d, m->ndim);
		luaL_argerror(L, arg, lua_tostring(L, -1));
	}
	return (int)d;
}

void cf_lmat_check_2d(lua_State *L, const cf_lmatrix *m, int arg, const char *what)
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
	cf_lmat_check_2d(L, m, 1, "t");
	int64_t r = m->shape[0], c = m->shape[1];
	cf_lmatrix *o = cf_lua_matrix_new2(L, c, r);
	for (int64_t i = 0; i < r; i++)
		for (int64_t j = 0; j < c; j++)
			o->data[j * r + i] = m->data[i * c + j];
	return 1;
}

/* The positions picked along a dimension of extent n: a range a..b
 * (b defaults to a for `single`, else to n) or a table of positions.
 * Pushes a scratch userdata holding them; returns their number. */
static int64_t pick_arg(lua_State *L, int arg, int64_t n, int single, int64_t **out)
{
	int64_t lo, hi, k;
	int list = lua_type(L, arg) == LUA_TTABLE;
	if (list) {
		k = (int64_t)lua_rawlen(L, arg);
		if (k < 1)
			luaL_argerror(L, arg, "an empty list of positions");
	} else {
		lo = luaL_checkinteger(L, arg);
		hi = single ? lo : luaL_optinteger(L, arg + 1, n);
		if (lo < 1 || lo > n) {
			lua_pushfstring(L, "start %I out of range 1..%I", (lua_Integer)lo, (lua_Integer)n);
			luaL_argerror(L, arg, lua_tostring(L, -1));
		}
		if (hi < lo || hi > n) {
			lua_pushfstring(L, "end %I out of range %I..%I", (lua_Integer)hi, (lua_Integer)lo,
					(lua_Integer)n);
			luaL_argerror(L, arg + 1, lua_tostring(L, -1));
		}
		k = hi - lo + 1;
	}
	int64_t *idx = lua_newuserdatauv(L, (size_t)k * sizeof *idx, 0);
	for (int64_t i = 0; i < k; i++) {
		if (!list) {
			idx[i] = lo - 1 + i;
			continue;
		}
		lua_rawgeti(L, arg, (lua_Integer)i + 1);
		int isint;
		lua_Integer v = lua_tointegerx(L, -1, &isint);
		if (!isint || v < 1 || v > n) {
			lua_pushfstring(L, "position [%I] must be an integer in 1..%I", (lua_Integer)i + 1,
					(lua_Integer)n);
			luaL_argerror(L, arg, lua_tostring(L, -1));
		}
		idx[i] = v - 1;
		lua_pop(L, 1);
	}
	*out = idx;
	return k;
}

/* Rows (dim 0) or columns (dim 1) of a 2-D matrix (rows: of a vector too),
 * a copy; `single` column gives a vector. */
static int slice_dim(lua_State *L, int dim, int single)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	if (dim == 1 || m->ndim != 1)
		cf_lmat_check_2d(L, m, 1, dim ? "cols" : "rows");
	int64_t *idx;
	int64_t k = pick_arg(L, 2, m->shape[dim], single, &idx);
	if (m->ndim == 1) {
		cf_lmatrix *o = cf_lmat_alloc(L, 1, &k);
		for (int64_t i = 0; i < k; i++)
			o->data[i] = m->data[idx[i]];
		return 1;
	}
	int64_t r = m->shape[0], c = m->shape[1];
	if (dim == 0) {
		int64_t sh[2] = {k, c};
		cf_lmatrix *o = cf_lmat_alloc(L, 2, sh);
		for (int64_t i = 0; i < k; i++)
			memcpy(o->data + i * c, m->data + idx[i] * c, (size_t)c * sizeof(double));
		return 1;
	}
	int64_t sh[2] = {r, k};
	cf_lmatrix *o = cf_lmat_alloc(L, single ? 1 : 2, sh);
	for (int64_t i = 0; i < r; i++)
		for (int64_t j = 0; j < k; j++)
			o->data[i * k + j] = m->data[i * c + idx[j]];
	return 1;
}

static int m_rows(lua_State *L) { return slice_dim(L, 0, 0); }
static int m_cols(lua_State *L) { return slice_dim(L, 1, 0); }
static int m_col(lua_State *L)
{
	luaL_checkinteger(L, 2);
	lua_settop(L, 2);
	return slice_dim(L, 1, 1);
}

/* m:set_col(j, v) / m:set_row(i, v): overwrite a column or row in place. */
static int set_line(lua_State *L, int dim)
{
	cf_lmatrix *m = cf_lua_matrix_check(L, 1);
	cf_lmat_check_2d(L, m, 1, dim ? "set_col" : "set_row");
	lua_Integer i = luaL_checkinteger(L, 2);
	if (i < 1 || i > m->shape[dim]) {
		lua_pushfstring(L, "%s %I out of range 1..%I", dim ? "column" : "row", i,
				(lua_Integer)m->shape[dim]);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	int64_t r = m->shape[0], c = m->shape[1], len = dim ? r : c;
	if (lua_type(L, 3) == LUA_TNUMBER) {
		double v = lua_tonumber(L, 3);
		for (int64_t k = 0; k < len; k++)
			m->data[dim ? k * c + (i - 1) : (i - 1) * c + k] = v;
	} else {
		cf_lmatrix *v = cf_lua_matrix_arg(L, 3);
		if (v->size != len) {
			lua_pushfstring(L, "%I values expected, got %I", (lua_Integer)len,
					(lua_Integer)v->size);
			return luaL_argerror(L, 3, lua_tostring(L, -1));
		}
		for (int64_t k = 0; k < len; k++)
			m->data[dim ? k * c + (i - 1) : (i - 1) * c + k] = v->data[k];
	}
	lua_settop(L, 1);
	return 1;
}

static int m_set_row(lua_State *L) { return set_line(L, 0); }
static int m_set_col(lua_State *L) { return set_line(L, 1); }

/* __gc / __close: the storage belongs to the userdata, nothing to free;
 * kept so `local m <close> = ...` works like other clafuse objects. */
static int m_close(lua_State *L)
{
	(void)L;
	return 0;
}

/* ---- registration ---------------------------------------------------------- */

/* m:cat(n [, dim]) is cf.matrix.cat({m, n}, dim). */
static int m_cat_method(lua_State *L)
{
	cf_lua_matrix_check(L, 1);
	lua_Integer dim = luaL_optinteger(L, 3, 1);
	lua_createtable(L, 2, 0);
	lua_pushvalue(L, 1);
	lua_rawseti(L, -2, 1);
	lua_pushvalue(L, 2);
	lua_rawseti(L, -2, 2);
	lua_replace(L, 1);
	lua_settop(L, 1);
	lua_pushinteger(L, dim);
	return cf_lmat_cat(L);
}

static const luaL_Reg matrix_meta[] = {
	{"__index", m_index},        {"__newindex", m_newindex},  {"__len", m_len},
	{"__tostring", cf_lmat_pretty}, {"__pretty", cf_lmat_pretty},
	{"__summary", cf_lmat_summary}, {"__add", cf_lmat_add},   {"__sub", cf_lmat_subtract},
	{"__mul", cf_lmat_mtimes},   {"__div", cf_lmat_div},      {"__pow", cf_lmat_pow},
	{"__unm", cf_lmat_unm},      {"__eq", cf_lmat_eq},        {"__gc", m_close},
	{"__close", m_close},        {NULL, NULL}};

static const luaL_Reg matrix_methods[] = {
	{"shape", m_shape},         {"size", m_size},           {"dim", m_dim},
	{"get", m_get},             {"set", m_set},             {"row", m_row},
	{"rows", m_rows},           {"col", m_col},             {"cols", m_cols},
	{"set_row", m_set_row},     {"set_col", m_set_col},     {"totable", m_totable},
	{"copy", m_copy},           {"reshape", m_reshape},     {"sub", m_sub},
	{"t", m_t},                 {"mm", cf_lmat_mm},         {"dot", cf_lmat_dot},
	{"add", cf_lmat_add},       {"mul", cf_lmat_mul},       {"div", cf_lmat_div},
	{"map", cf_lmat_map},       {"fill", cf_lmat_fill},     {"sum", cf_lmat_sum},
	{"mean", cf_lmat_mean},     {"var", cf_lmat_var},       {"std", cf_lmat_std},
	{"min", cf_lmat_min},       {"max", cf_lmat_max},       {"argmax", cf_lmat_argmax},
	{"argmin", cf_lmat_argmin}, {"sqrt", cf_lmat_sqrt},     {"exp", cf_lmat_exp},
	{"log", cf_lmat_log},       {"abs", cf_lmat_abs},       {"clamp", cf_lmat_clamp},
	{"diag", cf_lmat_diag},
	{"normalize", cf_lmat_normalize},                       {"cat", m_cat_method},
	{"pretty", cf_lmat_pretty}, {"summary", cf_lmat_summary}, {NULL, NULL}};

#define BROADCAST_NOTE                                                              \
	"x is a number, or a Matrix (or table) that broadcasts with m as in\n"      \
	"numpy: trailing dimensions equal or 1, so an n×m Matrix takes a vector\n" \
	"of m values (applied to every row) or an n×1 Matrix (to every column)."

static const cf_lua_doc matrix_docs[] = {
	{"shape", "m:shape() -> {d1, ...}", "The dimensions as a table, e.g. {400, 784}."},
	{"size", "m:size([dim]) -> n", "Number of values, or the extent of dimension dim (1-based)."},
	{"dim", "m:dim() -> n", "Number of dimensions (1 to 4)."},
	{"get", "m:get(i [, j, ...]) -> number",
	 "The value at 1-based indices (one per dimension); the fast way to read\n"
	 "one value (m[i][j] is the same but copies row i first).\n"
	 "An index out of range raises an error naming it."},
	{"set", "m:set(i [, j, ...], v) -> m", "Set the value at 1-based indices; returns m."},
	{"row", "m:row(i) -> Matrix | number",
	 "Row i (a copy with one dimension less); for a vector, its i-th value.\n"
	 "m[i] is the same, so m[i][j] reads one value of an n×m Matrix."},
	{"rows", "m:rows(i1 [, i2]) | m:rows{i, ...} -> Matrix",
	 "A copy of rows i1..i2 (i2: the last row) or of the listed rows, in\n"
	 "that order (a permutation reorders).  2-D matrices and vectors.\n"
	 "Slices are copies: changing them leaves m as it is."},
	{"col", "m:col(j) -> Matrix", "A copy of column j of a 2-D Matrix, as a vector of its rows."},
	{"cols", "m:cols(j1 [, j2]) | m:cols{j, ...} -> Matrix",
	 "A copy of columns j1..j2 (j2: the last column) or of the listed\n"
	 "columns, as an n×k Matrix (a copy, as rows)."},
	{"set_row", "m:set_row(i, v) -> m",
	 "Overwrite row i of a 2-D Matrix in place with v (a number, or as many\n"
	 "values as a row has)."},
	{"set_col", "m:set_col(j, v) -> m",
	 "Overwrite column j of a 2-D Matrix in place with v (a number, or one\n"
	 "value per row)."},
	{"totable", "m:totable() -> table", "The values as nested Lua tables ({{1,2},{3,4}})."},
	{"copy", "m:copy() -> Matrix", "A deep copy."},
	{"reshape", "m:reshape(d1 [, d2, ...]) -> Matrix",
	 "A copy with another shape holding the same values in row-major order.\n"
	 "The new shape must hold exactly m:size() values."},
	{"sub", "m:sub(r1 [, r2 [, c1 [, c2]]]) -> Matrix",
	 "A copy of rows r1..r2 and columns c1..c2 (1-based, inclusive).\n"
	 "Works on vectors and 2-dimensional matrices."},
	{"t", "m:t() -> Matrix", "The transpose (a vector becomes a column)."},
	{"mm", "m:mm(n) -> Matrix",
	 "Matrix product m·n (cblas_dgemm): m is p×q, n is q×r (or a vector or\n"
	 "table of q values, then the result is a vector of p).  m * n is the same."},
	{"dot", "m:dot(n) -> number",
	 "The sum of the products of corresponding values (same number of\n"
	 "values; shapes may differ).  For two vectors, v * w is the same."},
	{"add", "m:add(x) -> Matrix", "m + x.  " BROADCAST_NOTE},
	{"mul", "m:mul(x) -> Matrix",
	 "m times x elementwise (numpy's m * x; here m * n is the matrix product).\n"
	 BROADCAST_NOTE "\nW:mul(s) with s an n×1 Matrix rescales the rows of W."},
	{"div", "m:div(x) -> Matrix", "m / x elementwise.  " BROADCAST_NOTE},
	{"map", "m:map(f) -> Matrix",
	 "A new Matrix of f(v) for every value v (one Lua call per value: use\n"
	 "sqrt, exp, log, abs, arithmetic and reductions where they serve)."},
	{"fill", "m:fill(v) -> m", "Set every value to v (in place)."},
	{"sum", "m:sum([dim]) -> number | Matrix",
	 "Sum of all values, or along dimension dim: m:sum(2) gives the row sums\n"
	 "(a vector of n for an n×m Matrix), m:sum(1) the column sums (m)."},
	{"mean", "m:mean([dim]) -> number | Matrix",
	 "Mean of all values, or along dimension dim (m:mean(1): the mean of each\n"
	 "column, e.g. per-neuron means of samples×neurons activations)."},
	{"var", "m:var([dim [, ddof]]) -> number | Matrix",
	 "Variance of all values, or along dimension dim, dividing by n - ddof\n"
	 "(ddof 0 (default) as numpy, 1 for the unbiased estimate as torch7)."},
	{"std", "m:std([dim [, ddof]]) -> number | Matrix", "The square root of m:var(dim, ddof)."},
	{"min", "m:min([dim]) -> number | Matrix", "Smallest value, or along dimension dim (NaN wins)."},
	{"max", "m:max([dim]) -> number | Matrix", "Largest value, or along dimension dim (NaN wins)."},
	{"argmax", "m:argmax([dim]) -> i, j, ... | Matrix",
	 "1-based position of the largest value (one index per dimension), or\n"
	 "along dimension dim: logits:argmax(2) is each row's best column."},
	{"argmin", "m:argmin([dim]) -> i, j, ... | Matrix", "As argmax, for the smallest value."},
	{"sqrt", "m:sqrt() -> Matrix", "Elementwise square root (NaN for negative values)."},
	{"exp", "m:exp() -> Matrix",
	 "Elementwise e^x, within 1 ulp of the C library's exp (vectorised;\n"
	 "infinities, NaN, overflow and underflow exactly as the C library)."},
	{"log", "m:log() -> Matrix",
	 "Elementwise natural logarithm (-inf at 0, NaN below), within 1 ulp of\n"
	 "the C library's log (vectorised; zeros, negatives, subnormals,\n"
	 "infinities and NaN exactly as the C library)."},
	{"abs", "m:abs() -> Matrix", "Elementwise absolute value."},
	{"clamp", "m:clamp(lo [, hi]) -> Matrix",
	 "Every value limited to [lo, hi] (hi: no limit); NaN stays NaN.\n"
	 "h:clamp(0) is the ReLU of pre-activations h."},
	{"diag", "m:diag() -> Matrix",
	 "The diagonal of a 2-D Matrix as a vector (min(n, m) values), or for a\n"
	 "vector the square Matrix with it on the diagonal."},
	{"normalize", "m:normalize(dim [, how]) -> Matrix",
	 "A copy whose slices along dim are divided by their \"sum\" (default),\n"
	 "\"l1\" (sum of absolute values) or \"l2\" (Euclidean) norm:\n"
	 "P:normalize(2) makes each row of P sum to 1, P:normalize(1) each\n"
	 "column.  A slice whose norm is 0 stays as it is."},
	{"cat", "m:cat(n [, dim]) -> Matrix", "cf.matrix.cat({m, n}, dim): see there."},
	{"pretty", "m:pretty([opts]) -> string",
	 "The display print(m) shows (opts.width, default 80): a common scale\n"
	 "factor, column chunks that fit the width, three edge items per side\n"
	 "past 1000 values, and a footer with the type and shape."},
	{"summary", "m:summary() -> string",
	 "The one-line \"Matrix 2x3 double\" (how a Matrix inside a table shows)."},
	{NULL, NULL, NULL}};

/* cf.matrix(...) calls cf.matrix.new(...): the module table is callable. */
static int l_matrix_call(lua_State *L)
{
	lua_remove(L, 1);
	return l_matrix(L);
}

static int l_diag(lua_State *L)
{
	luaL_checkany(L, 1);
	lua_settop(L, 1);
	return cf_lmat_diag(L);
}

static const luaL_Reg matrix_fns[] = {
	{"new", l_matrix}, {"zeros", l_zeros}, {"ones", l_ones}, {"eye", l_eye},
	{"rand", l_rand},  {"randn", l_randn}, {"diag", l_diag}, {"cat", cf_lmat_cat},
	{NULL, NULL}};

static const cf_lua_doc matrix_fn_docs[] = {
	{"new", "cf.matrix.new(t | rows, cols [, fill]) -> Matrix",
	 "A new Matrix from nested tables, or rows×cols filled with fill (0).\n"
	 "cf.matrix{{1,2},{3,4}} (the module is callable: the same as\n"
	 "cf.matrix.new) is 2x2, cf.matrix{1,2,3} a vector; cf.matrix(m) copies a\n"
	 "Matrix.  Values are doubles; positions are 1-based."},
	{"zeros", "cf.matrix.zeros(d1 [, d2, d3, d4]) -> Matrix",
	 "A zero Matrix of the given shape (or a shape table).  Also cf.zeros."},
	{"ones", "cf.matrix.ones(d1 [, d2, d3, d4]) -> Matrix",
	 "A Matrix of ones of the given shape.  Also cf.ones."},
	{"eye", "cf.matrix.eye(n) -> Matrix", "The n×n identity.  Also cf.eye."},
	{"rand", "cf.matrix.rand(rows, cols [, seed]) -> Matrix",
	 "Uniform values in [0, 1) from GSL's mt19937 seeded with seed (1).\n"
	 "The same seed gives the same matrix.  Also cf.rand."},
	{"randn", "cf.matrix.randn(rows, cols [, seed]) -> Matrix",
	 "Standard normal values (GSL's mt19937 and Ziggurat) seeded with seed (1)."},
	{"diag", "cf.matrix.diag(v | m) -> Matrix",
	 "The square Matrix with vector v on its diagonal, or the diagonal of a\n"
	 "2-D Matrix m as a vector (as m:diag())."},
	{"cat", "cf.matrix.cat({A, B, ...} [, dim]) -> Matrix",
	 "The matrices joined along dimension dim: 1 (default) stacks them one\n"
	 "under the other (rows), 2 side by side (columns).  Every other\n"
	 "dimension must agree.  Tables of numbers are accepted as matrices."},
	{NULL, NULL, NULL}};

/* The constructors kept at the top of cf for scripts written before the
 * cf.matrix namespace (cf.zeros(2, 2) is cf.matrix.zeros(2, 2)).  Each is
 * its own closure so that help(cf.zeros) names it as written. */
static const cf_lua_doc cf_aliases[] = {
	{"zeros", "cf.zeros(d1 [, d2, d3, d4]) -> Matrix", "The same as cf.matrix.zeros."},
	{"ones", "cf.ones(d1 [, d2, d3, d4]) -> Matrix", "The same as cf.matrix.ones."},
	{"eye", "cf.eye(n) -> Matrix", "The same as cf.matrix.eye."},
	{"rand", "cf.rand(rows, cols [, seed]) -> Matrix", "The same as cf.matrix.rand."},
	{NULL, NULL, NULL}};

int luaopen_cf_matrix(lua_State *L)
{
	cf_lua_register_type(L, CF_LUA_MATRIX,
			     "a dense double matrix or tensor (1 to 4 dimensions, 1-based)",
			     matrix_meta, matrix_methods, matrix_docs);
	cf_lua_register(L, "matrix", "matrices: constructors, concatenation (cf.matrix{...} builds one)",
			matrix_fns, matrix_fn_docs);
	int mod = lua_gettop(L);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, l_matrix_call);
	lua_setfield(L, -2, "__call");
	lua_setmetatable(L, mod);
	lua_getglobal(L, "cf");
	int cf = lua_gettop(L);
	for (const cf_lua_doc *a = cf_aliases; a->name; a++) {
		lua_getfield(L, mod, a->name);
		lua_CFunction fn = lua_tocfunction(L, -1);
		lua_pop(L, 1);
		lua_pushboolean(L, 1); /* an upvalue makes a distinct closure */
		lua_pushcclosure(L, fn, 1);
		lua_pushfstring(L, "cf.%s", a->name);
		cf_lua_help_add(L, -2, "function", lua_tostring(L, -1), "cf", a->signature, a->text);
		lua_pop(L, 1);
		lua_setfield(L, cf, a->name);
	}
	lua_pop(L, 1);
	return 1;
}
