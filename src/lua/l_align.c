/* l_align.c — cf.align: layer similarity (CKA, CCA) and cross-layer
 * alignment (the dynamic program and its baselines) from Lua, over
 * src/core/similarity.h and cla.h.
 *
 * Design choice: thin wrappers.  Activation matrices are Matrix objects
 * (or tables), one sample per row; maps are plain Lua arrays of 1-based
 * model-0 layer indices, exactly as cla.h and share/doc/method.md write them.
 * Bad shapes and parameters raise; a measure that is undefined for the
 * data (constant activations) returns nil, message.
 */
#include "config.h"

#include <string.h>

#include <lauxlib.h>

#include "core/cla.h"
#include "core/similarity.h"
#include "host.h"
#include "l_matrix.h"

/* Samples × features view of argument idx (2-D Matrix or table). */
static cf_sim_matrix sim_arg(lua_State *L, int idx)
{
	cf_lmatrix *m = cf_lua_matrix_arg(L, idx);
	if (m->ndim != 2)
		luaL_argerror(L, idx, "a 2-dimensional Matrix, one sample per row");
	return cf_sim_matrix_f64(m->data, m->shape[0], m->shape[1]);
}

static int sim_result(lua_State *L, int rc, double v, const cf_error *err)
{
	if (rc == CF_OK) {
		lua_pushnumber(L, v);
		return 1;
	}
	if (rc == CF_EFAILED) {
		lua_pushnil(L);
		lua_pushstring(L, err->msg);
		return 2;
	}
	return cf_lua_check(L, rc, err); /* CF_ESTOPPED: "interrupted" */
}

static void same_samples(lua_State *L, const cf_sim_matrix *X, const cf_sim_matrix *Y)
{
	if (X->rows != Y->rows) {
		lua_pushfstring(L, "Y has %I samples (rows), X has %I", (lua_Integer)Y->rows,
				(lua_Integer)X->rows);
		luaL_argerror(L, 2, lua_tostring(L, -1));
	}
}

/* cf.align.cka(X, Y [, "biased" | "debiased"]) */
static int l_cka(lua_State *L)
{
	cf_sim_matrix X = sim_arg(L, 1), Y = sim_arg(L, 2);
	same_samples(L, &X, &Y);
	static const char *const ests[] = {"biased", "debiased", NULL};
	int est = luaL_checkoption(L, 3, "biased", ests);
	if (est == 1 && X.rows < 4) { /* a property of the data: nil, message */
		lua_pushnil(L);
		lua_pushfstring(L, "the debiased CKA estimator needs at least 4 samples, got %I",
				(lua_Integer)X.rows);
		return 2;
	}
	double v = 0;
	cf_error err = {0};
	int rc = cf_sim_cka(&X, &Y, (cf_sim_cka_estimator)est, &v, &err);
	return sim_result(L, rc, v, &err);
}

/* cf.align.cca(X, Y [, centre]) */
static int l_cca(lua_State *L)
{
	cf_sim_matrix X = sim_arg(L, 1), Y = sim_arg(L, 2);
	same_samples(L, &X, &Y);
	if (X.cols > X.rows || Y.cols > Y.rows) { /* a property of the data: nil, message */
		lua_pushnil(L);
		lua_pushfstring(L, "CCA needs no more features (columns) than samples (rows): "
				"%s is %Ix%I", X.cols > X.rows ? "X" : "Y",
				(lua_Integer)(X.cols > X.rows ? X.rows : Y.rows),
				(lua_Integer)(X.cols > X.rows ? X.cols : Y.cols));
		return 2;
	}
	int centre = lua_toboolean(L, 3);
	double v = 0;
	cf_error err = {0};
	cf_progress prog = {cf_lua_progress, NULL};
	int rc = cf_sim_cca(&X, &Y, centre, &v, &prog, &err);
	cf_lua_progress_done();
	return sim_result(L, rc, v, &err);
}

static void push_map(lua_State *L, const int *map, int n)
{
	lua_createtable(L, n, 0);
	for (int k = 0; k < n; k++) {
		lua_pushinteger(L, map[k]);
		lua_rawseti(L, -2, k + 1);
	}
}

static int check_int(lua_State *L, int arg, int min, const char *what)
{
	lua_Integer v = luaL_checkinteger(L, arg);
	if (v < min || v > 1000000)
		luaL_argerror(L, arg, what);
	return (int)v;
}

/* cf.align.dp(C [, s [, f]]) -> map, cost */
static int l_dp(lua_State *L)
{
	cf_lmatrix *C = cf_lua_matrix_arg(L, 1);
	if (C->ndim != 2)
		return luaL_argerror(L, 1, "an m × n cost matrix (rows: the deeper model)");
	int64_t m = C->shape[0], n = C->shape[1];
	if (m < n)
		return luaL_argerror(L, 1, "more rows (deeper model 0) than columns are needed");
	if (m > 100000)
		return luaL_argerror(L, 1, "too many layers");
	int s = lua_isnoneornil(L, 2) ? 2 : check_int(L, 2, 1, "a start layer s >= 1");
	int f = lua_isnoneornil(L, 3) ? 1 : check_int(L, 3, 0, "free end layers f >= 0");
	int *map = lua_newuserdatauv(L, (size_t)n * sizeof *map, 0);
	cf_error err = {0};
	if (cf_cla_align(C->data, (int)m, (int)n, s, f, map, &err) != CF_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	push_map(L, map, (int)n);
	lua_pushnumber(L, cf_cla_map_cost(C->data, (int)n, map));
	return 2;
}

/* The layer counts m >= n >= 1 at arguments 1 and 2 (raises otherwise). */
static void check_counts(lua_State *L, int *m, int *n)
{
	*m = check_int(L, 1, 1, "a layer count m >= 1");
	*n = check_int(L, 2, 1, "a layer count n >= 1");
	if (*n > *m)
		luaL_argerror(L, 2, "n must not exceed m (model 1 is the shallower model)");
}

/* cf.align.chain(m, n) */
static int l_chain(lua_State *L)
{
	int m, n;
	check_counts(L, &m, &n);
	int *map = lua_newuserdatauv(L, (size_t)n * sizeof *map, 0);
	cf_error err = {0};
	if (cf_cla_chain(m, n, map, &err) != CF_OK)
		return luaL_error(L, "%s", err.msg);
	push_map(L, map, n);
	return 1;
}

/* cf.align.random(m, n [, s [, f [, seed]]]) */
static int l_random(lua_State *L)
{
	int m, n;
	check_counts(L, &m, &n);
	int s = lua_isnoneornil(L, 3) ? 2 : check_int(L, 3, 1, "a start layer s >= 1");
	int f = lua_isnoneornil(L, 4) ? 1 : check_int(L, 4, 0, "free end layers f >= 0");
	lua_Integer seed = luaL_optinteger(L, 5, 0);
	luaL_argcheck(L, seed >= 0, 5, "a seed >= 0");
	int *map = lua_newuserdatauv(L, (size_t)n * sizeof *map, 0);
	cf_error err = {0};
	if (cf_cla_random(m, n, s, f, (uint64_t)seed, map, &err) != CF_OK)
		return luaL_error(L, "%s", err.msg);
	push_map(L, map, n);
	return 1;
}

static const luaL_Reg align_fns[] = {{"cka", l_cka},     {"cca", l_cca},
				     {"dp", l_dp},       {"chain", l_chain},
				     {"random", l_random}, {NULL, NULL}};

static const cf_lua_doc align_docs[] = {
	{"cka", "cf.align.cka(X, Y [, \"biased\" | \"debiased\"]) -> number | nil, msg",
	 "Linear CKA of two activation matrices (N samples × features each).\n"
	 "The biased estimator is the reference's; the debiased one (N >= 4) is\n"
	 "Song et al.'s U-statistic.  Constant activations, and fewer than 4\n"
	 "samples with \"debiased\", return nil, message."},
	{"cca", "cf.align.cca(X, Y [, centre]) -> number | nil, msg",
	 "Mean squared canonical correlation of X and Y (features <= samples),\n"
	 "uncentred unless centre is true.  All-zero activations, and more\n"
	 "features than samples in X or Y, return nil, message."},
	{"dp", "cf.align.dp(C [, s [, f]]) -> map, cost",
	 "Cross-layer alignment by the dynamic program of share/doc/method.md §3.3 on\n"
	 "m × n layer cost matrix C (rows: the deeper model 0), with start layer s\n"
	 "(2) and f (1) free end layers.  map[k] is the 1-based model-0 layer of\n"
	 "model-1 layer k; cost is Σ C[map[k]][k].  Non-finite costs return nil, message."},
	{"chain", "cf.align.chain(m, n) -> map", "The chain baseline {1, 2, ..., n}."},
	{"random", "cf.align.random(m, n [, s [, f [, seed]]]) -> map",
	 "The seeded random baseline: forced entries as dp, the free ones a\n"
	 "uniformly random increasing choice.  The same seed gives the same map."},
	{NULL, NULL, NULL}};

int luaopen_cf_align(lua_State *L)
{
	return cf_lua_register(L, "align", "layer similarity and cross-layer alignment",
			       align_fns, align_docs);
}
