/* l_data.c — cf.data: data sets from Lua (Fashion-MNIST, IDX, CIFAR,
 * subsets, index files) over src/core/data.h.
 *
 * Design choice: a Dataset userdata is created empty (NULL) BEFORE the
 * core loads into it, so a Lua error at any point leaves nothing leaked:
 * the collector frees whatever the slot holds.  Sample positions are
 * 1-based like everything in Lua; labels are the data set's class numbers
 * (0..classes-1), which are values, not positions; index FILES keep the
 * core's 0-based format so they are shared with the command line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <lauxlib.h>

#include "core/norm.h"
#include "host.h"
#include "l_data.h"
#include "l_matrix.h"

typedef struct ldata {
	cf_dataset *d;
} ldata;

/* A new empty Dataset userdata on the stack; the core fills ->d. */
static ldata *new_slot(lua_State *L)
{
	ldata *ld = lua_newuserdatauv(L, sizeof *ld, 0);
	ld->d = NULL;
	luaL_setmetatable(L, CF_LUA_DATASET);
	return ld;
}

cf_dataset *cf_lua_dataset_test(lua_State *L, int idx)
{
	ldata *ld = luaL_testudata(L, idx, CF_LUA_DATASET);
	return ld ? ld->d : NULL;
}

cf_dataset *cf_lua_dataset_check(lua_State *L, int idx)
{
	ldata *ld = luaL_checkudata(L, idx, CF_LUA_DATASET);
	if (ld->d == NULL)
		luaL_argerror(L, idx, "the data set was freed");
	return ld->d;
}

static int d_gc(lua_State *L)
{
	ldata *ld = luaL_checkudata(L, 1, CF_LUA_DATASET);
	cf_dataset_free(ld->d);
	ld->d = NULL;
	return 0;
}

/* The size the collector should know about (the core allocated it). */
static void account(lua_State *L, const cf_dataset *d)
{
	int64_t bytes = d->n * ((int64_t)d->c * d->h * d->w * 4 + 4);
	lua_gc(L, LUA_GCSTEP, (int)(bytes / 1024 > 1000000 ? 1000000 : bytes / 1024));
}

static int split_arg(lua_State *L, int idx)
{
	static const char *const splits[] = {"train", "test", NULL};
	return luaL_checkoption(L, idx, "train", splits) == 0;
}

static int load_result(lua_State *L, ldata *ld, int rc, const cf_error *err)
{
	if (rc != CF_OK)
		return cf_lua_fail(L, rc, err);
	account(L, ld->d);
	return 1; /* the slot is on top */
}

/* cf.data.load(spec [, split [, norm]]) */
static int l_load(lua_State *L)
{
	const char *spec = luaL_checkstring(L, 1);
	int train = split_arg(L, 2);
	cf_norm norm = {0};
	cf_error err = {0};
	if (!lua_isnoneornil(L, 3) && cf_norm_parse(luaL_checkstring(L, 3), "norm", &norm, &err))
		return luaL_argerror(L, 3, err.msg);
	ldata *ld = new_slot(L);
	int rc = cf_norm_data_load(spec, train, &norm, &ld->d, &err);
	return load_result(L, ld, rc, &err);
}

/* cf.data.fashion_mnist([split [, dir]]) */
static int l_fashion(lua_State *L)
{
	int train = split_arg(L, 1);
	const char *dir = luaL_optstring(L, 2, NULL);
	ldata *ld = new_slot(L);
	cf_error err = {0};
	char spec[4200];
	int rc;
	if (dir && strlen(dir) > 4096)
		return luaL_argerror(L, 2, "a directory name of at most 4096 bytes");
	snprintf(spec, sizeof spec, dir ? "fashion-mnist:%s" : "fashion-mnist", dir);
	rc = cf_data_load_shared(spec, train, NULL, NULL, &ld->d, &err);
	return load_result(L, ld, rc, &err);
}

/* ---- methods ------------------------------------------------------------ */

static int d_size(lua_State *L)
{
	lua_pushinteger(L, cf_lua_dataset_check(L, 1)->n);
	return 1;
}

static int d_shape(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	lua_createtable(L, 3, 0);
	lua_pushinteger(L, d->c);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, d->h);
	lua_rawseti(L, -2, 2);
	lua_pushinteger(L, d->w);
	lua_rawseti(L, -2, 3);
	return 1;
}

static int d_classes(lua_State *L)
{
	lua_pushinteger(L, cf_lua_dataset_check(L, 1)->nclasses);
	return 1;
}

static int d_name(lua_State *L)
{
	lua_pushstring(L, cf_lua_dataset_check(L, 1)->name);
	return 1;
}

/* d:subset(indices) with 1-based positions, or d:subset(count [, seed
 * [, first]]): count samples drawn without replacement by a seeded
 * permutation of the first `first` samples (all by default). */
static int d_subset(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	int64_t n;
	int64_t *idx;
	if (lua_type(L, 2) == LUA_TTABLE) {
		n = (int64_t)lua_rawlen(L, 2);
		luaL_argcheck(L, n >= 1, 2, "an empty index table");
		idx = lua_newuserdatauv(L, (size_t)n * sizeof *idx, 0); /* scratch owned by Lua */
		for (int64_t i = 0; i < n; i++) {
			lua_rawgeti(L, 2, (lua_Integer)i + 1);
			int isint;
			lua_Integer v = lua_tointegerx(L, -1, &isint);
			if (!isint || v < 1 || v > d->n) {
				lua_pushfstring(L, "entry %I is not a position in 1..%I",
						(lua_Integer)i + 1, (lua_Integer)d->n);
				return luaL_argerror(L, 2, lua_tostring(L, -1));
			}
			idx[i] = v - 1;
			lua_pop(L, 1);
		}
	} else {
		lua_Integer cnt = luaL_checkinteger(L, 2);
		lua_Integer first = luaL_optinteger(L, 4, (lua_Integer)d->n);
		if (first < 1 || first > d->n) {
			lua_pushfstring(L, "a number of leading samples in 1..%I", (lua_Integer)d->n);
			return luaL_argerror(L, 4, lua_tostring(L, -1));
		}
		if (cnt < 1 || cnt > first) {
			lua_pushfstring(L, "a count in 1..%I", (lua_Integer)first);
			return luaL_argerror(L, 2, lua_tostring(L, -1));
		}
		lua_Integer seed = luaL_optinteger(L, 3, 1);
		luaL_argcheck(L, seed >= 0, 3, "a seed >= 0");
		n = cnt;
		idx = lua_newuserdatauv(L, (size_t)first * sizeof *idx, 0);
		gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
		if (!r)
			return luaL_error(L, "out of memory");
		gsl_rng_set(r, (unsigned long)seed);
		cf_data_permutation(idx, first, r);
		gsl_rng_free(r);
	}
	ldata *out = new_slot(L);
	cf_error err = {0};
	if (cf_data_subset(d, idx, n, &out->d, &err) != CF_OK)
		return luaL_error(L, "subset: %s", err.msg);
	account(L, out->d);
	return 1;
}

/* d:read_indices(path): the subset listed in an index file (0-based, as
 * the command line's files); nil, message when the file is unusable. */
static int d_read_indices(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	const char *path = luaL_checkstring(L, 2);
	ldata *out = new_slot(L);
	int64_t *idx = NULL, n = 0;
	cf_error err = {0};
	int rc = cf_data_read_indices(path, d->n, &idx, &n, &err);
	if (rc == CF_OK)
		rc = cf_data_subset(d, idx, n, &out->d, &err);
	free(idx);
	if (rc != CF_OK)
		return cf_lua_fail(L, rc, &err);
	account(L, out->d);
	return 1;
}

static int64_t check_pos(lua_State *L, const cf_dataset *d, int arg)
{
	lua_Integer i = luaL_checkinteger(L, arg);
	if (i < 1 || i > d->n) {
		lua_pushfstring(L, "sample %I out of range 1..%I", i, (lua_Integer)d->n);
		luaL_argerror(L, arg, lua_tostring(L, -1));
	}
	return (int64_t)i - 1;
}

/* d:sample(i) -> Matrix c×h×w, label */
static int d_sample(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	int64_t i = check_pos(L, d, 2);
	int64_t sh[3] = {d->c, d->h, d->w};
	cf_lua_matrix_push_f(L, 3, sh, cf_dataset_sample(d, i));
	lua_pushinteger(L, d->y[i]);
	return 2;
}

static int d_label(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	lua_pushinteger(L, d->y[check_pos(L, d, 2)]);
	return 1;
}

static int d_labels(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	lua_createtable(L, (int)d->n, 0);
	for (int64_t i = 0; i < d->n; i++) {
		lua_pushinteger(L, d->y[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* d:matrix([first [, last]]) -> N×(c·h·w) Matrix of samples first..last */
static int d_matrix(lua_State *L)
{
	cf_dataset *d = cf_lua_dataset_check(L, 1);
	int64_t a = lua_isnoneornil(L, 2) ? 0 : check_pos(L, d, 2);
	int64_t b = lua_isnoneornil(L, 3) ? d->n - 1 : check_pos(L, d, 3);
	luaL_argcheck(L, b >= a, 3, "last before first");
	int64_t f = (int64_t)d->c * d->h * d->w;
	int64_t sh[2] = {b - a + 1, f};
	cf_lua_matrix_push_f(L, 2, sh, cf_dataset_sample(d, a));
	return 1;
}

static int d_tostring(lua_State *L)
{
	ldata *ld = luaL_checkudata(L, 1, CF_LUA_DATASET);
	if (!ld->d) {
		lua_pushstring(L, "Dataset (freed)");
		return 1;
	}
	cf_dataset *d = ld->d;
	lua_pushfstring(L, "Dataset %s: %I samples %dx%dx%d, %d classes", d->name,
			(lua_Integer)d->n, d->c, d->h, d->w, d->nclasses);
	return 1;
}

static const luaL_Reg data_fns[] = {
	{"load", l_load}, {"fashion_mnist", l_fashion}, {NULL, NULL}};

static const cf_lua_doc data_docs[] = {
	{"load", "cf.data.load(spec [, split [, norm]]) -> Dataset | nil, msg",
	 "Load a data set by name: \"fashion-mnist\", \"fashion-mnist:DIR\",\n"
	 "\"idx:IMAGES,LABELS\", \"idx:TRAIN_IMG,TRAIN_LBL,TEST_IMG,TEST_LBL\",\n"
	 "\"cifar10:DIR\", \"cifar100:DIR\".  split is \"train\" (default) or \"test\".\n"
	 "Samples are normalised float32 C×H×W: with norm (\"MEAN,STD\" or\n"
	 "\"M1,M2,../S1,S2,..\", e.g. m:norm()) as stated, else with the data set's\n"
	 "own statistics.  A missing or malformed file returns nil, message.\n"
	 "A data set is decoded once per process: loading the same spec, split\n"
	 "and normalisation again (here or in cf.session) shares it while its\n"
	 "files are unchanged."},
	{"fashion_mnist", "cf.data.fashion_mnist([split [, dir]]) -> Dataset | nil, msg",
	 "Fashion-MNIST (60000 train / 10000 test, 1x28x28, 10 classes) from\n"
	 "dir or " CF_FASHION_MNIST_DIR "."},
	{NULL, NULL, NULL}};

static const luaL_Reg data_meta[] = {
	{"__gc", d_gc}, {"__close", d_gc}, {"__len", d_size}, {"__tostring", d_tostring},
	{NULL, NULL}};

static const luaL_Reg data_methods[] = {
	{"size", d_size},     {"shape", d_shape},   {"classes", d_classes},
	{"name", d_name},     {"subset", d_subset}, {"read_indices", d_read_indices},
	{"sample", d_sample}, {"label", d_label},   {"labels", d_labels},
	{"matrix", d_matrix}, {"free", d_gc},       {NULL, NULL}};

static const cf_lua_doc data_method_docs[] = {
	{"size", "d:size() -> n", "Number of samples (also #d)."},
	{"shape", "d:shape() -> {c, h, w}", "Shape of one sample."},
	{"classes", "d:classes() -> k", "Number of classes; labels are 0..k-1."},
	{"name", "d:name() -> string", "The data set's name, e.g. \"fashion-mnist/test\"."},
	{"subset", "d:subset(positions | count [, seed [, first]]) -> Dataset",
	 "A new data set of the samples at the given 1-based positions (a table),\n"
	 "or of count samples drawn without replacement with a seeded shuffle of\n"
	 "the first `first` samples (all by default; the same seed draws the same\n"
	 "samples as before when first is the whole set)."},
	{"read_indices", "d:read_indices(path) -> Dataset | nil, msg",
	 "The subset listed in an index file (0-based indices, whitespace or comma\n"
	 "separated, # comments), as `clafuse` commands read it."},
	{"sample", "d:sample(i) -> Matrix, label", "Sample i (1-based) as a c×h×w Matrix and its label."},
	{"label", "d:label(i) -> label", "The label (0..classes-1) of sample i (1-based)."},
	{"labels", "d:labels() -> {label, ...}", "Every label, in sample order."},
	{"matrix", "d:matrix([first [, last]]) -> Matrix",
	 "Samples first..last (1-based, inclusive; all by default) as an\nN×(c·h·w) Matrix, one sample per row."},
	{"free", "d:free()", "Release the samples now (also done by the collector and <close>)."},
	{NULL, NULL, NULL}};

int luaopen_cf_data(lua_State *L)
{
	cf_lua_register_type(L, CF_LUA_DATASET, "a data set in memory (normalised samples, labels)",
			     data_meta, data_methods, data_method_docs);
	return cf_lua_register(L, "data", "data sets: Fashion-MNIST, IDX, CIFAR, subsets",
			       data_fns, data_docs);
}
