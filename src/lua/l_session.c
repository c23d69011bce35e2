/* l_session.c — cf.session: the fusion session from Lua (session.h):
 * models and data in, parameters as a validated table, each step run or
 * the fusion stepped one layer at a time, every result read back.
 *
 * Design choice: a Session userdata owns one cf_session and never hands
 * out pointers into it.  Everything read from it is a COPY — matrices
 * (costs, ground costs, plans), tables (maps, metrics) and models
 * (balanced, fused, finetuned) — so a result stays valid however the
 * session changes or whenever it is collected, and a script cannot
 * corrupt the session through a result.  Inputs are copied in the same
 * way: a Model or Dataset given to the session stays the caller's.
 * Runs report through cf_lua_progress; a Ctrl-C stops the running step
 * (marked failed, earlier results kept) and raises "interrupted".
 * Parameter values cross as Lua values: numbers, booleans and strings go
 * in, and come out typed by the parameter table (integer, number,
 * boolean, string).  Indices are 1-based (layers, maps, added models);
 * model 0 / model 1 keep the reports' names (0 = the deeper model).
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core/arch.h"
#include "core/data.h"
#include "core/model.h"
#include "core/net.h"
#include "core/norm.h"
#include "core/ot.h"
#include "core/report.h"
#include "core/session.h"
#include "host.h"
#include "l_data.h"
#include "l_matrix.h"
#include "l_model.h"
#include "tui/curvepic.h"
#include "tui/heatpic.h"

#define LUA_SESSION "clafuse.Session"
typedef struct lsession {
	cf_session *s;
	int borrowed; /* s belongs to the program (the workbench's session) */
} lsession;

/* ---- helpers ------------------------------------------------------------- */

static cf_session *check_session(lua_State *L, int idx)
{
	lsession *ls = luaL_checkudata(L, idx, LUA_SESSION);
	if (!ls->s)
		luaL_argerror(L, idx, "the session was closed");
	return ls->s;
}

/* Push a Model holding a copy of net (NULL pushes nil). */
static void push_model_copy(lua_State *L, const cf_net *net)
{
	if (!net) {
		lua_pushnil(L);
		return;
	}
	cf_net **slot = cf_lua_model_new(L);
	cf_error err = {0};
	if (cf_net_copy(net, slot, &err) != CF_OK)
		luaL_error(L, "copy of a model: %s", err.msg);
}

static void set_num(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

/* A number that may be NaN ("not available"): pushed as nil then. */
static void set_opt_num(lua_State *L, const char *k, double v)
{
	if (isnan(v))
		return;
	set_num(L, k, v);
}

/* ---- steps ------------------------------------------------------------------ */

static const struct {
	const char *alias;
	int step;
} step_aliases[] = {{"acts", CF_STEP_ACTS},     {"align", CF_STEP_ALIGN},
		    {"fuse", CF_STEP_FUSE},      {"eval", CF_STEP_EVAL},
		    {"finetuning", CF_STEP_FINETUNE}};

/* The step named at idx (canonical names and short aliases). */
static int step_arg(lua_State *L, int idx)
{
	const char *name = luaL_checkstring(L, idx);
	int st = cf_session_step_parse(name);
	for (size_t k = 0; st < 0 && k < sizeof step_aliases / sizeof step_aliases[0]; k++)
		if (!strcmp(step_aliases[k].alias, name))
			st = step_aliases[k].step;
	if (st < 0) {
		lua_pushfstring(L, "unknown step '%s' (activations, costs, alignment, balance, "
				"fusion, evaluation, finetune)", name);
		luaL_argerror(L, idx, lua_tostring(L, -1));
	}
	return st;
}

/* ---- parameters ---------------------------------------------------------------- */

static const char *type_name(int t)
{
	switch (t) {
	case CF_PARAM_INT: return "int";
	case CF_PARAM_DOUBLE: return "double";
	case CF_PARAM_BOOL: return "bool";
	case CF_PARAM_CHOICE: return "choice";
	default: return "string";
	}
}

/* The info row of the parameter named at idx, or raise naming it. */
static const cf_param_info *param_arg(lua_State *L, int idx)
{
	const char *name = luaL_checkstring(L, idx);
	const cf_param_info *p = cf_session_param_info(name);
	if (!p) {
		lua_pushfstring(L, "unknown parameter '%s' (s:params() lists them)", name);
		luaL_argerror(L, idx, lua_tostring(L, -1));
	}
	return p;
}

/* The Lua value at idx as the text the core parses; raises on other types. */
static const char *value_text(lua_State *L, int idx, char *buf, size_t len)
{
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			snprintf(buf, len, "%lld", (long long)lua_tointeger(L, idx));
		else
			snprintf(buf, len, "%.17g", lua_tonumber(L, idx));
		return buf;
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx) ? "true" : "false";
	case LUA_TSTRING:
		return lua_tostring(L, idx);
	default:
		luaL_typeerror(L, idx, "number, boolean or string");
		return NULL;
	}
}

/* Push parameter text `v` as a Lua value of the parameter's type. */
static void push_typed(lua_State *L, const cf_param_info *p, const char *v)
{
	switch (p->type) {
	case CF_PARAM_INT:
		lua_pushinteger(L, (lua_Integer)strtod(v, NULL));
		break;
	case CF_PARAM_DOUBLE:
		lua_pushnumber(L, strtod(v, NULL));
		break;
	case CF_PARAM_BOOL:
		lua_pushboolean(L, strcmp(v, "0") != 0 && strcmp(v, "false") != 0);
		break;
	default:
		lua_pushstring(L, v);
	}
}

static void push_param(lua_State *L, const cf_session *s, const cf_param_info *p)
{
	char buf[1024];
	cf_session_get(s, p->name, buf, sizeof buf, NULL);
	push_typed(L, p, buf);
}

/* Set parameter (name at nidx, value at vidx); raises with the core's
 * message (which names the parameter and what it accepts). */
static void set_param(lua_State *L, cf_session *s, int nidx, int vidx)
{
	const cf_param_info *p = param_arg(L, nidx);
	char buf[64];
	const char *v = value_text(L, vidx, buf, sizeof buf);
	cf_error err = {0};
	if (cf_session_set(s, p->name, v, &err) != CF_OK)
		luaL_argerror(L, vidx, err.msg);
}

/* ---- inputs ----------------------------------------------------------------- */

/* Add the model at idx (a path or a Model, copied).  A path that does not
 * load, or a model that does not fit, returns 0 with nil, message pushed
 * (for a path); a Model that does not fit raises. */
static int add_model_arg(lua_State *L, cf_session *s, int idx, const char *name,
			 const char *arch)
{
	cf_error err = {0};
	if (lua_type(L, idx) == LUA_TSTRING) {
		const char *path = lua_tostring(L, idx);
		cf_net *net = NULL;
		int rc = cf_model_load(path, arch, &net, &err);
		if (rc == CF_OK)
			rc = cf_session_add_model(s, net, name ? name : path, &err);
		if (rc != CF_OK) {
			if (rc == CF_ENOMEM)
				luaL_error(L, "%s", err.msg);
			lua_pushnil(L);
			lua_pushstring(L, err.msg);
			return 0;
		}
		return 1;
	}
	cf_net *src = cf_lua_model_test(L, idx);
	if (!src)
		luaL_typeerror(L, idx, "model path or Model");
	cf_net *net = NULL;
	if (cf_net_copy(src, &net, &err) != CF_OK)
		luaL_error(L, "%s", err.msg);
	if (cf_session_add_model(s, net, name, &err) != CF_OK)
		luaL_argerror(L, idx, err.msg);
	return 1;
}

/* A copy of d into *out (no Lua calls: nothing can raise meanwhile). */
/* Set the data from the Datasets at ti and si: the session takes a
 * reference to each (data sets are never modified, so nothing is copied). */
static void set_data_args(lua_State *L, cf_session *s, int ti, int si)
{
	cf_dataset *tr = cf_dataset_ref(cf_lua_dataset_check(L, ti));
	cf_dataset *te = cf_dataset_ref(cf_lua_dataset_check(L, si));
	cf_error err = {0};
	if (cf_session_set_data(s, tr, te, &err) != CF_OK)
		luaL_argerror(L, ti, err.msg);
}

/* ---- cf.session.new ------------------------------------------------------------- */

static lsession *new_slot(lua_State *L)
{
	lsession *ls = lua_newuserdatauv(L, sizeof *ls, 0);
	ls->s = NULL;
	ls->borrowed = 0;
	luaL_setmetatable(L, LUA_SESSION);
	cf_error err = {0};
	if (cf_session_new(&ls->s, &err) != CF_OK)
		luaL_error(L, "%s", err.msg);
	cf_progress p = {cf_lua_progress, NULL};
	cf_session_set_progress(ls->s, &p);
	return ls;
}

static int l_new(lua_State *L)
{
	int has = !lua_isnoneornil(L, 1);
	if (has)
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lsession *ls = new_slot(L); /* index 2 */
	if (!has)
		return 1;
	/* only known keys: a typo must not pass silently */
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING) {
			const char *k = lua_tostring(L, -1);
			if (strcmp(k, "data") && strcmp(k, "params") && strcmp(k, "arch") &&
			    strcmp(k, "norm")) {
				lua_pushfstring(L, "unknown option '%s' (models as list items, data, "
						   "params, arch, norm)", k);
				return luaL_argerror(L, 1, lua_tostring(L, -1));
			}
		} else if (!lua_isinteger(L, -1)) {
			return luaL_argerror(L, 1, "keys must be list positions, 'data' or 'params'");
		}
	}
	if (lua_getfield(L, 1, "norm") != LUA_TNIL) {
		cf_error err = {0};
		cf_norm n;
		if (cf_norm_parse(luaL_checkstring(L, -1), "norm", &n, &err) ||
		    cf_session_set(ls->s, "data.norm", lua_tostring(L, -1), &err))
			return luaL_argerror(L, 1, err.msg);
	}
	const char *arch = lua_getfield(L, 1, "arch") != LUA_TNIL ? luaL_checkstring(L, -1) : NULL;
	lua_pop(L, 2);
	lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		if (lua_type(L, -1) != LUA_TSTRING && !luaL_testudata(L, -1, CF_LUA_MODEL)) {
			lua_pushfstring(L, "item %I must be a model path or a Model", i);
			return luaL_argerror(L, 1, lua_tostring(L, -1));
		}
		if (!add_model_arg(L, ls->s, lua_gettop(L), NULL, arch))
			return 2; /* nil, message */
		lua_pop(L, 1);
	}
	int t = lua_getfield(L, 1, "data");
	if (t == LUA_TSTRING) {
		cf_error err = {0};
		int rc = cf_session_load_data(ls->s, lua_tostring(L, -1), &err);
		if (rc != CF_OK)
			return cf_lua_fail(L, rc, &err);
	} else if (t == LUA_TTABLE) {
		int di = lua_gettop(L);
		lua_rawgeti(L, di, 1);
		lua_rawgeti(L, di, 2);
		if (!cf_lua_dataset_test(L, -2) || !cf_lua_dataset_test(L, -1))
			return luaL_argerror(L, 1, "data must be a spec string or {train, test} Datasets");
		set_data_args(L, ls->s, lua_gettop(L) - 1, lua_gettop(L));
		lua_pop(L, 2);
	} else if (t != LUA_TNIL) {
		return luaL_argerror(L, 1, "data must be a spec string or {train, test} Datasets");
	}
	lua_pop(L, 1);
	t = lua_getfield(L, 1, "params");
	if (t == LUA_TTABLE) {
		int pi = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, pi)) {
			if (lua_type(L, -2) != LUA_TSTRING)
				return luaL_argerror(L, 1, "params keys must be parameter names");
			set_param(L, ls->s, lua_gettop(L) - 1, lua_gettop(L));
			lua_pop(L, 1);
		}
	} else if (t != LUA_TNIL) {
		return luaL_argerror(L, 1, "params must be a table of name = value");
	}
	lua_settop(L, 2);
	return 1;
}

/* ---- methods: inputs ---------------------------------------------------------- */

static int s_add_model(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const char *name = luaL_optstring(L, 3, NULL);
	luaL_checkany(L, 2);
	if (!add_model_arg(L, s, 2, name, NULL))
		return 2;
	lua_settop(L, 1);
	return 1;
}

static int s_data(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2);
	cf_error err = {0};
	int rc = cf_session_load_data(s, spec, &err);
	if (rc != CF_OK)
		return cf_lua_fail(L, rc, &err);
	lua_settop(L, 1);
	return 1;
}

static int s_set_data(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	set_data_args(L, s, 2, 3);
	lua_settop(L, 1);
	return 1;
}

static int s_models(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int n = cf_session_nmodels(s);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_pushstring(L, cf_session_model_name(s, i));
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int s_model(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_Integer i = luaL_checkinteger(L, 2);
	if (i < 1 || i > cf_session_nmodels(s)) {
		lua_pushfstring(L, "model %I out of range 1..%d", i, cf_session_nmodels(s));
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	push_model_copy(L, cf_session_model(s, (int)i - 1));
	return 1;
}

static int s_pair(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	if (cf_session_nmodels(s) < 2)
		return 0;
	int i0, i1;
	cf_session_pair(s, &i0, &i1);
	lua_pushinteger(L, i0 + 1);
	lua_pushinteger(L, i1 + 1);
	return 2;
}

/* ---- methods: parameters -------------------------------------------------------- */

static int s_set(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	luaL_checkany(L, 3);
	set_param(L, s, 2, 3);
	lua_settop(L, 1);
	return 1;
}

static int s_get(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	push_param(L, s, param_arg(L, 2));
	return 1;
}

static int s_params(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int n;
	const cf_param_info *p = cf_session_params(&n);
	lua_createtable(L, 0, n);
	for (int i = 0; i < n; i++) {
		push_param(L, s, &p[i]);
		lua_setfield(L, -2, p[i].name);
	}
	return 1;
}

/* cf.session.param_info / s:param_info share this (name at idx). */
static int push_param_info(lua_State *L, int idx)
{
	const cf_param_info *p = param_arg(L, idx);
	lua_createtable(L, 0, 9);
	set_str(L, "name", p->name);
	set_str(L, "type", type_name(p->type));
	push_typed(L, p, p->def);
	lua_setfield(L, -2, "default");
	if (p->type == CF_PARAM_INT || p->type == CF_PARAM_DOUBLE) {
		if (p->type == CF_PARAM_INT) {
			set_int(L, "min", (lua_Integer)p->min);
			set_int(L, "max", (lua_Integer)p->max);
		} else {
			set_num(L, "min", p->min);
			set_num(L, "max", p->max);
		}
	}
	if (p->type == CF_PARAM_CHOICE && p->names) {
		lua_newtable(L);
		for (int k = 0; p->names[k]; k++) {
			lua_pushstring(L, p->names[k]);
			lua_rawseti(L, -2, k + 1);
		}
		lua_setfield(L, -2, "choices");
	}
	set_str(L, "step", cf_session_step_name(p->step));
	lua_pushboolean(L, p->per_layer);
	lua_setfield(L, -2, "per_layer");
	set_str(L, "help", p->help);
	return 1;
}

static int s_param_info(lua_State *L)
{
	check_session(L, 1);
	return push_param_info(L, 2);
}

static int l_param_info(lua_State *L)
{
	return push_param_info(L, 1);
}

static int l_param_names(lua_State *L)
{
	int n;
	const cf_param_info *p = cf_session_params(&n);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_pushstring(L, p[i].name);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int l_steps(lua_State *L)
{
	lua_createtable(L, CF_STEP_COUNT, 0);
	for (int k = 0; k < CF_STEP_COUNT; k++) {
		lua_pushstring(L, cf_session_step_name(k));
		lua_rawseti(L, -2, k + 1);
	}
	return 1;
}

static int layer_param_arg(lua_State *L, int idx)
{
	lua_Integer l = luaL_checkinteger(L, idx);
	luaL_argcheck(L, l >= 1 && l <= 1000000, idx, "a fusion layer >= 1");
	return (int)l;
}

static int s_set_layer(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int layer = layer_param_arg(L, 2);
	const cf_param_info *p = param_arg(L, 3);
	char buf[64];
	const char *v = lua_isnoneornil(L, 4) ? NULL : value_text(L, 4, buf, sizeof buf);
	cf_error err = {0};
	if (cf_session_set_layer(s, layer, p->name, v, &err) != CF_OK)
	{
		int arg = !p->per_layer ? 3 : strstr(err.msg, "out of range") ? 2 : 4;
		return luaL_argerror(L, arg, err.msg);
	}
	lua_settop(L, 1);
	return 1;
}

static int s_get_layer(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int layer = layer_param_arg(L, 2);
	const cf_param_info *p = param_arg(L, 3);
	char buf[1024];
	if (!cf_session_get_layer(s, layer, p->name, buf, sizeof buf))
		return 0;
	push_typed(L, p, buf);
	return 1;
}

/* ---- methods: running ------------------------------------------------------------- */

static int s_run(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int step = lua_isnoneornil(L, 2) ? CF_STEP_FINETUNE : step_arg(L, 2);
	cf_error err = {0};
	int rc = cf_session_run(s, step, &err);
	if (rc != CF_OK)
		return cf_lua_check(L, rc, &err);
	lua_settop(L, 1);
	return 1;
}

static int s_step(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	cf_error err = {0};
	int rc = cf_session_fuse_step(s, &err);
	if (rc != CF_OK)
		return cf_lua_check(L, rc, &err);
	lua_pushinteger(L, cf_session_fusion_cursor(s));
	lua_pushinteger(L, cf_session_fusion_layers(s));
	return 2;
}

static int s_state(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_pushstring(L, cf_step_state_name(cf_session_state(s, step_arg(L, 2))));
	return 1;
}

static int s_states(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_createtable(L, 0, CF_STEP_COUNT);
	for (int k = 0; k < CF_STEP_COUNT; k++) {
		lua_pushstring(L, cf_step_state_name(cf_session_state(s, k)));
		lua_setfield(L, -2, cf_session_step_name(k));
	}
	return 1;
}

static int s_runs(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_pushinteger(L, cf_session_runs(s, step_arg(L, 2)));
	return 1;
}

static int s_time(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_pushnumber(L, cf_session_time(s, step_arg(L, 2)));
	return 1;
}

static int s_error(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const char *e = cf_session_error(s, step_arg(L, 2));
	if (!e || !*e)
		return 0;
	lua_pushstring(L, e);
	return 1;
}

static int s_solves(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_pushinteger(L, (lua_Integer)cf_session_layer_solves(s));
	return 1;
}

/* ---- methods: results ---------------------------------------------------------------- */

static int s_costs(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int m, n;
	const double *C = cf_session_costs(s, &m, &n);
	if (!C)
		return 0;
	int64_t shape[2] = {m, n};
	cf_lua_matrix_push(L, 2, shape, C);
	return 1;
}

static int push_map(lua_State *L, const int *map, int n)
{
	if (!map)
		return 0;
	lua_createtable(L, n, 0);
	for (int k = 0; k < n; k++) {
		lua_pushinteger(L, map[k]);
		lua_rawseti(L, -2, k + 1);
	}
	return 1;
}

static int s_map(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int n;
	const int *map = cf_session_unit_map(s, &n);
	return push_map(L, map, n);
}

static int s_layer_map(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int n;
	const int *map = cf_session_layer_map(s, &n);
	return push_map(L, map, n);
}

/* Which of the pair (0: model 0, the deeper; 1: model 1) the added model
 * at arg is; raises unless it is one of s:pair(). */
static int pair_arg(lua_State *L, cf_session *s, int arg)
{
	lua_Integer i = luaL_checkinteger(L, arg);
	if (cf_session_nmodels(s) < 2)
		return luaL_argerror(L, arg, "no pair yet (add two models)");
	int i0, i1;
	cf_session_pair(s, &i0, &i1);
	if (i != i0 + 1 && i != i1 + 1) {
		lua_pushfstring(L, "model %I is not in the fused pair (s:pair() gives %d, %d)", i,
				i0 + 1, i1 + 1);
		return luaL_argerror(L, arg, lua_tostring(L, -1));
	}
	return i == i0 + 1 ? 0 : 1;
}

/* The rebuilt balanced model as an index of the added models (1-based),
 * or 0 when none was rebuilt. */
static int rebuilt_index(cf_session *s)
{
	int r = cf_session_balanced_rebuilt(s);
	if (r < 0 || cf_session_nmodels(s) < 2)
		return 0;
	int i0, i1;
	cf_session_pair(s, &i0, &i1);
	return (r == 0 ? i0 : i1) + 1;
}

static int s_balanced(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	push_model_copy(L, cf_session_balanced(s, pair_arg(L, s, 2)));
	return 1;
}

static int s_rebuilt(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	int r = rebuilt_index(s);
	if (r == 0)
		return 0;
	lua_pushinteger(L, r);
	return 1;
}

/* Model 0 transported onto model 1 (the fused model at fusion.step 0). */
static int s_aligned(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	cf_net **slot = cf_lua_model_new(L);
	cf_error err = {0};
	if (cf_session_aligned(s, slot, &err) != CF_OK)
		return luaL_error(L, "aligned: %s", err.msg);
	if (!*slot)
		lua_pushnil(L);
	return 1;
}

static int s_layers(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_pushinteger(L, cf_session_fusion_layers(s));
	lua_pushinteger(L, cf_session_fusion_cursor(s));
	return 2;
}

static int s_layer(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_Integer l = luaL_checkinteger(L, 2);
	int n = cf_session_fusion_layers(s);
	if (l < 1 || l > n) {
		if (n == 0)
			return luaL_argerror(L, 2, "no fusion yet (run the fusion or step())");
		lua_pushfstring(L, "fusion layer %I out of range 1..%d", l, n);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	const cf_fusion_layer *y = cf_session_fusion_layer(s, (int)l - 1);
	lua_createtable(L, 0, 18);
	set_int(L, "index", l);
	set_str(L, "name", y->name);
	set_int(L, "n0", y->n0);
	set_int(L, "n1", y->n1);
	lua_pushboolean(L, y->done);
	lua_setfield(L, -2, "done");
	if (!y->done)
		return 1;
	int64_t shape[2] = {y->n0, y->n1};
	if (y->M) {
		cf_lua_matrix_push(L, 2, shape, y->M);
		lua_setfield(L, -2, "M");
	}
	if (y->plan) {
		cf_lua_matrix_push(L, 2, shape, y->plan);
		lua_setfield(L, -2, "plan");
	}
	if (y->Tc) {
		cf_lua_matrix_push_f(L, 2, shape, y->Tc);
		lua_setfield(L, -2, "corrected");
	}
	set_str(L, "status", y->plan ? cf_ot_status_name(y->ot.status) : "none");
	if (y->plan) {
		set_str(L, "solver", cf_ot_kind_name(y->ot.kind));
		set_num(L, "cost", y->ot.cost);
		set_int(L, "iterations", y->ot.iterations);
		set_num(L, "solve_time", y->ot.time);
		set_str(L, "message", y->ot.message);
		if (y->ot.reg > 0)
			set_num(L, "reg", y->ot.reg);
	}
	set_num(L, "time", y->time);
	set_num(L, "ground_time", y->time_ground);
	set_opt_num(L, "trace", y->trace_ratio);
	set_num(L, "step", y->par.step);
	if (y->tied_to >= 0)
		set_int(L, "tied_to", y->tied_to + 1);
	return 1;
}

static int s_fused(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	push_model_copy(L, cf_session_fused(s));
	return 1;
}

/* s:matched(l, j) -> {i, corr, b, a} */
static int s_matched(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	lua_Integer l = luaL_checkinteger(L, 2), j = luaL_checkinteger(L, 3);
	int64_t N = cf_session_matched_samples(s), i;
	cf_lmatrix *x1, *x0;
	double corr;
	cf_error err = {0};

	if (N < 1)
		return luaL_error(L, "matched: no recordings yet (run the steps up to the fusion)");
	luaL_argcheck(L, l >= 1 && l <= cf_session_fusion_layers(s), 2, "a fusion layer");
	x1 = cf_lua_matrix_new2(L, N, 0);
	x0 = cf_lua_matrix_new2(L, N, 0);
	if (cf_session_matched(s, (int)l - 1, NULL, (int64_t)j - 1, x1->data, x0->data, &i, &corr,
			       &err))
		return luaL_error(L, "matched: %s", err.msg);
	lua_createtable(L, 0, 5);
	set_int(L, "j", j);
	set_int(L, "i", i + 1);
	set_opt_num(L, "corr", corr);
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "b");
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, "a");
	return 1;
}

/* s:finetune_picture(path) -> true | nil, message */
static int s_finetune_picture(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const char *path = luaL_checkstring(L, 2);
	cf_error err = {0};
	int rc;

	if (!cf_picture_kind(path))
		return luaL_argerror(L, 2, "a file name ending in .svg or .png");
	if ((rc = cf_finetune_write_picture(cf_session_finetune_get(s), path, &err)))
		return cf_lua_fail(L, rc, &err);
	lua_pushboolean(L, 1);
	return 1;
}

static int s_metrics(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const cf_session_metrics *m = cf_session_metrics_get(s);
	if (!m->have)
		return 0;
	lua_createtable(L, 0, 6);
	int n = cf_session_nmodels(s);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_pushnumber(L, m->parent_acc[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "parents");
	set_opt_num(L, "ensemble", m->ensemble_acc);
	set_opt_num(L, "balanced", m->balanced_acc);
	if (rebuilt_index(s) > 0 && !isnan(m->balanced_acc))
		set_int(L, "rebuilt", rebuilt_index(s));
	set_opt_num(L, "fused", m->fused_acc);
	set_opt_num(L, "fused_loss", m->fused_loss);
	set_opt_num(L, "average", m->average_acc);
	set_opt_num(L, "aligned", m->aligned_acc);
	{
		/* eval.hybrids: hybrids[l] = fused with layer l from aligned model 0 */
		int nh;
		const double *h = cf_session_hybrids(s, &nh);
		if (h) {
			lua_createtable(L, nh, 0);
			for (int l = 0; l < nh; l++) {
				lua_pushnumber(L, h[l]);
				lua_rawseti(L, -2, l + 1);
			}
			lua_setfield(L, -2, "hybrids");
		}
	}
	return 1;
}

static int s_finetune_results(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const cf_session_finetune *ft = cf_session_finetune_get(s);
	if (ft->epochs <= 0 || !ft->res)
		return 0;
	lua_createtable(L, 0, 5);
	lua_createtable(L, ft->epochs, 0);
	for (int e = 0; e < ft->epochs; e++) {
		const cf_epoch_result *r = &ft->res[e];
		lua_createtable(L, 0, 6);
		set_int(L, "epoch", r->epoch);
		set_num(L, "lr", r->lr);
		set_num(L, "train_loss", r->train_loss);
		set_num(L, "train_acc", r->train_acc);
		if (r->have_test) {
			set_num(L, "test_loss", r->test_loss);
			set_num(L, "test_acc", r->test_acc);
		}
		lua_rawseti(L, -2, e + 1);
	}
	lua_setfield(L, -2, "epochs");
	set_num(L, "best_acc", ft->best_acc);
	set_int(L, "best_epoch", ft->best_epoch);
	if (ft->parents) {
		int n = cf_session_nmodels(s);
		lua_createtable(L, n, 0);
		for (int i = 0; i < n; i++) {
			lua_pushnumber(L, ft->parent_best[i]);
			lua_rawseti(L, -2, i + 1);
		}
		lua_setfield(L, -2, "parents_best");
	}
	return 1;
}

static int s_finetuned(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	const cf_session_finetune *ft = cf_session_finetune_get(s);
	push_model_copy(L, ft->epochs > 0 ? ft->net : NULL);
	return 1;
}

/* ---- printing ----------------------------------------------------------------------- */

static void addf(luaL_Buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(luaL_Buffer *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	luaL_addstring(b, line);
}

static void add_arch(luaL_Buffer *b, const cf_net *net)
{
	char *d = cf_arch_print(cf_net_arch(net));
	luaL_addstring(b, d ? d : "?");
	free(d);
}

/* The report `clafuse fuse` prints, of whatever results exist. */
static int s_report(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	char *text = NULL;
	size_t len = 0;
	cf_error e = {0};
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f)
		return luaL_error(L, "report: out of memory");
	rc = cf_session_report(s, f, 0, &e);
	if (fclose(f) && !rc)
		rc = cf_error_set(&e, CF_ENOMEM, "report: out of memory");
	if (rc) {
		free(text);
		return luaL_error(L, "%s", e.msg);
	}
	/* the text without its last newline, as print() adds one */
	lua_pushlstring(L, text, len && text[len - 1] == '\n' ? len - 1 : len);
	free(text);
	return 1;
}

static int s_tostring(lua_State *L)
{
	lsession *ls = luaL_checkudata(L, 1, LUA_SESSION);
	if (!ls->s) {
		lua_pushstring(L, "Session (closed)");
		return 1;
	}
	cf_session *s = ls->s;
	const cf_dataset *tr = cf_session_data(s, 1), *te = cf_session_data(s, 0);
	char data[160] = "no data";
	if (tr && te)
		snprintf(data, sizeof data, "data %s %lld/%lld", tr->name, (long long)tr->n,
			 (long long)te->n);
	int done = 0;
	for (int k = 0; k < CF_STEP_COUNT; k++)
		done += cf_session_state(s, k) == CF_STATE_FRESH;
	lua_pushfstring(L, "Session (%d models, %s, %d/%d steps fresh, fusion %s %d/%d layers)",
			cf_session_nmodels(s), data, done, CF_STEP_COUNT,
			cf_step_state_name(cf_session_state(s, CF_STEP_FUSE)),
			cf_session_fusion_cursor(s), cf_session_fusion_layers(s));
	return 1;
}

/* __pretty: the one-line summary, the models, each step with its state,
 * runs, time and error, and the parameters that differ from the defaults. */
static int s_pretty(lua_State *L)
{
	cf_session *s = check_session(L, 1);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	lua_pushcfunction(L, s_tostring);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	luaL_addvalue(&b);
	int K = cf_session_nmodels(s), i0 = -1, i1 = -1;
	if (K >= 2)
		cf_session_pair(s, &i0, &i1);
	for (int i = 0; i < K; i++) {
		addf(&b, "\n  %d. %s%s%s  ", i + 1, cf_session_model_name(s, i),
		     i == i0 ? " (model 0)" : i == i1 ? " (model 1)" : "",
		     cf_session_model_folded(s, i) ? " (" CF_SESSION_FOLDED_NOTE ")" : "");
		add_arch(&b, cf_session_model(s, i));
	}
	addf(&b, "\n  %-12s %-8s %5s %9s  %s", "step", "state", "runs", "time(s)", "message");
	for (int k = 0; k < CF_STEP_COUNT; k++) {
		const char *e = cf_session_error(s, k);
		addf(&b, "\n  %-12s %-8s %5d %9.3f", cf_session_step_name(k),
		     cf_step_state_name(cf_session_state(s, k)), cf_session_runs(s, k),
		     cf_session_time(s, k));
		if (e && *e)
			addf(&b, "  %.120s", e);
	}
	int n, first = 1;
	const cf_param_info *p = cf_session_params(&n);
	for (int i = 0; i < n; i++) {
		char cur[256], def[256];
		cf_session_get(s, p[i].name, cur, sizeof cur, NULL);
		/* the default in canonical form: its value parsed and printed back */
		snprintf(def, sizeof def, "%s", p[i].def);
		if (p[i].type == CF_PARAM_INT || p[i].type == CF_PARAM_DOUBLE) {
			if (strtod(cur, NULL) == strtod(def, NULL))
				continue;
		} else if (p[i].type == CF_PARAM_BOOL) {
			if ((strcmp(cur, "0") != 0) == (strcmp(def, "0") != 0))
				continue;
		} else if (!strcmp(cur, def)) {
			continue;
		}
		addf(&b, "%s%s=%s", first ? "\n  changed: " : ", ", p[i].name, cur);
		first = 0;
	}
	luaL_pushresult(&b);
	return 1;
}

static int s_close(lua_State *L)
{
	lsession *ls = luaL_checkudata(L, 1, LUA_SESSION);
	if (!ls->borrowed)
		cf_session_free(ls->s);
	ls->s = NULL;
	return 0;
}

void cf_lua_push_session_ref(lua_State *L, cf_session *s)
{
	lsession *ls = lua_newuserdatauv(L, sizeof *ls, 0);
	ls->s = s;
	ls->borrowed = 1;
	luaL_setmetatable(L, LUA_SESSION);
}

/* cf._stop_request(): the testing hook that requests a stop as Ctrl-C
 * does, so a test can check that the next long computation is
 * interrupted cleanly. */
static int l_stop_request(lua_State *L)
{
	(void)L;
	cf_lua_stop_request();
	return 0;
}

/* ---- registration ------------------------------------------------------------------- */

static const luaL_Reg session_fns[] = {{"new", l_new},
				       {"param_info", l_param_info},
				       {"param_names", l_param_names},
				       {"steps", l_steps},
				       {NULL, NULL}};

static const cf_lua_doc session_docs[] = {
	{"new", "cf.session.new([{model, ..., data = spec | {train, test}, params = {...}, arch = DESC, norm = \"M,S\"}]) -> Session | nil, msg",
	 "A fusion session.  Models are paths or Model objects (copied: yours\n"
	 "stay yours); data is a data-set spec (\"fashion-mnist\", as clafuse fuse\n"
	 "--data) or a table {train, test} of Datasets (copied); params sets\n"
	 "parameters by name (s:set); arch describes model files without\n"
	 "clafuse's metadata; norm states the input normalisation the models\n"
	 "expect (parameter data.norm; default: what they state, else the data\n"
	 "set's own statistics).  A model file or data set that does not\n"
	 "load returns nil, message; an unknown option or parameter raises."},
	{"param_info", "cf.session.param_info(name) -> table",
	 "The row of the parameter table: name, type (int, double, bool, choice,\n"
	 "string), default, min, max, choices, step (the first step a change\n"
	 "makes stale), per_layer and help.  An unknown name raises."},
	{"param_names", "cf.session.param_names() -> {name, ...}",
	 "Every parameter name, in the table's order (grouped by step)."},
	{"steps", "cf.session.steps() -> {name, ...}",
	 "The step names in order: activations, costs, alignment, balance,\n"
	 "fusion, evaluation, finetune."},
	{NULL, NULL, NULL}};

static const luaL_Reg session_meta[] = {{"__gc", s_close},
					{"__close", s_close},
					{"__tostring", s_tostring},
					{"__pretty", s_pretty},
					{NULL, NULL}};

static const luaL_Reg session_methods[] = {
	{"add_model", s_add_model},   {"data", s_data},
	{"set_data", s_set_data},     {"models", s_models},
	{"model", s_model},           {"pair", s_pair},
	{"set", s_set},               {"get", s_get},
	{"params", s_params},         {"param_info", s_param_info},
	{"set_layer", s_set_layer},   {"get_layer", s_get_layer},
	{"run", s_run},               {"step", s_step},
	{"state", s_state},           {"states", s_states},
	{"runs", s_runs},             {"time", s_time},
	{"error", s_error},           {"solves", s_solves},
	{"costs", s_costs},           {"map", s_map},
	{"layer_map", s_layer_map},   {"balanced", s_balanced},
	{"rebuilt", s_rebuilt},       {"aligned", s_aligned},
	{"layers", s_layers},
	{"layer", s_layer},           {"fused", s_fused},
	{"metrics", s_metrics},       {"matched", s_matched},
	{"finetune_picture", s_finetune_picture},       {"finetune_results", s_finetune_results},
	{"finetuned", s_finetuned},   {"report", s_report},
	{"describe", s_pretty},       {"close", s_close},
	{NULL, NULL}};

static const cf_lua_doc session_method_docs[] = {
	{"add_model", "s:add_model(path | Model [, name]) -> s | nil, msg",
	 "Add a model (a Model is copied).  Checked against the others (input\n"
	 "size, classes) and the data; BatchNorm is folded into the convolutions\n"
	 "(the same function in evaluation mode).  A file that does not load\n"
	 "or fit returns nil, message; a Model that does not fit raises.\n"
	 "Marks every step stale."},
	{"data", "s:data(spec) -> s | nil, msg",
	 "Load both splits of a data set by spec (\"fashion-mnist\", \"idx:...\").\n"
	 "A data set that does not load returns nil, message."},
	{"set_data", "s:set_data(train, test) -> s",
	 "Use two Datasets (copied): train for activation samples and\n"
	 "finetuning, test for evaluation.  Marks every step stale."},
	{"models", "s:models() -> {name, ...}", "The names of the added models, in order."},
	{"model", "s:model(i) -> Model", "A copy of added model i (1-based)."},
	{"pair", "s:pair() -> i0, i1",
	 "Positions (1-based, in added order) of model 0 (the deeper of the first\n"
	 "two, transported) and model 1 (the target); nothing with < 2 models."},
	{"set", "s:set(name, value) -> s",
	 "Set a parameter (number, boolean or string).  The name, type and range\n"
	 "are checked (the error names the parameter and what it accepts).  A\n"
	 "changed value marks its step and every later step stale."},
	{"get", "s:get(name) -> value", "A parameter's value, typed: integer, number, boolean or string."},
	{"params", "s:params() -> {name = value, ...}", "Every parameter's current value."},
	{"param_info", "s:param_info(name) -> table", "As cf.session.param_info(name)."},
	{"set_layer", "s:set_layer(layer, name, value | nil) -> s",
	 "Override a per-layer parameter (fusion.*, ground.*, ot.*) for fusion\n"
	 "layer `layer` (1-based); nil removes the override.  Marks the fusion\n"
	 "stale from that layer only: re-running re-solves it and later layers."},
	{"get_layer", "s:get_layer(layer, name) -> value | nil", "A layer's override, or nil when it has none."},
	{"run", "s:run([step]) -> s",
	 "Run `step` (default: every step, finetuning only when finetune.epochs\n"
	 "> 0) after the stale or failed steps before it; fresh steps are kept.\n"
	 "Steps: activations, costs, alignment, balance, fusion, evaluation,\n"
	 "finetune (acts, align, fuse, eval also work).  A failing step raises\n"
	 "its message and is marked failed with earlier results kept; Ctrl-C\n"
	 "raises \"interrupted\" and leaves the session usable."},
	{"step", "s:step() -> done, layers",
	 "Fuse one more layer (running the steps before the fusion first);\n"
	 "returns the number of fused layers and the total.  When the last\n"
	 "layer is done the fusion is fresh and step() does nothing more."},
	{"state", "s:state(step) -> string", "\"stale\", \"running\", \"fresh\", \"failed\" or \"stopped\"."},
	{"states", "s:states() -> {step = state, ...}", "The state of every step."},
	{"runs", "s:runs(step) -> n", "How many times the step was computed."},
	{"time", "s:time(step) -> seconds", "Wall-clock time of the step's last run."},
	{"error", "s:error(step) -> string | nil", "The message of the step's last failure (\"stopped: ...\" after an interruption), nil if none."},
	{"solves", "s:solves() -> n", "Fusion layers solved in total (re-solves count)."},
	{"costs", "s:costs() -> Matrix | nil",
	 "The m×n unit cost matrix C of the cross-layer alignment: row i is unit\n"
	 "i of model 0 (the deeper, m units), column k unit k of model 1 (n);\n"
	 "NaN where the two units lie in different stages.  A copy."},
	{"map", "s:map() -> {j, ...} | nil",
	 "The alignment of units: for each unit of model 1 the unit of model 0\n"
	 "(1-based)."},
	{"layer_map", "s:layer_map() -> {l, ...} | nil", "The alignment expressed in weight layers (1-based)."},
	{"balanced", "s:balanced(i) -> Model | nil",
	 "A copy of the balanced form of added model i (1-based, as s:model(i));\n"
	 "i is one of s:pair().  nil before balancing."},
	{"rebuilt", "s:rebuilt() -> i | nil",
	 "The added model (1-based, as s:model(i)) that balancing rebuilt with\n"
	 "identity layers; nil when the depths were equal or before balancing."},
	{"aligned", "s:aligned() -> Model | nil",
	 "Model 0 transported onto model 1 once the fusion is done (nil before):\n"
	 "model 1's architecture whose layer l holds T̃ᵀŴ0 (n1 × inputs, the\n"
	 "transported weights, Ŵ0 = model 0's weights with their inputs aligned)\n"
	 "and the bias T̃ᵀb0 (zero when model 0 has none), where T̃ is\n"
	 "s:layer(l).corrected.  Its neurons are model 1's, in model 1's order,\n"
	 "so a:weight(l) and s:model(j):weight(l) compare row by row.  The fused\n"
	 "model is (1 - fusion.step)·aligned + fusion.step·model 1."},
	{"layers", "s:layers() -> n, done", "Fusion layers in total and fused so far (0, 0 before the fusion)."},
	{"layer", "s:layer(l) -> table",
	 "Fusion layer l (1-based): index, name, n0, n1, done and, once fused:\n"
	 "  M          n0×n1 ground cost between the layer's neurons (row i:\n"
	 "             neuron i of model 0, the transported model; column j:\n"
	 "             neuron j of model 1), as the solver saw it;\n"
	 "  plan       n0×n1 transport plan T, same orientation; row sums are\n"
	 "             model 0's neuron masses, column sums model 1's (1/n0 and\n"
	 "             1/n1 unless fusion.marginals or the unbalanced solver\n"
	 "             say otherwise), up to the solver's tolerance;\n"
	 "  corrected  n0×n1 T̃ = T / (column sum + fusion.eps): each column sums\n"
	 "             to just under 1 (1/n1 / (1/n1 + eps)), so T̃ᵀ averages\n"
	 "             model 0's neurons into each of model 1's (s:aligned());\n"
	 "plus status, solver, cost, iterations, solve_time, message, reg, time,\n"
	 "ground_time, trace (trace ratio: 1 for the identity matching), step,\n"
	 "and tied_to: with fusion.residual_tied, the layer whose plan this one\n"
	 "shares (absent for a layer with its own plan).\n"
	 "The matrices are copies (double).  M, plan and corrected are absent\n"
	 "for a last layer fused without a plan (fusion.output_plan false)."},
	{"fused", "s:fused() -> Model | nil", "A copy of the fused model once the fusion is done."},
	{"matched", "s:matched(l, j) -> table",
	 "Two matched neurons of fusion layer l: neuron j of model 1 (1-based) and\n"
	 "neuron i of model 0 that the plan sends the most mass to it (its column's\n"
	 "largest entry).  Returns {j, i, corr, b, a}: b and a are the two neurons'\n"
	 "pre-activations over the activation samples (Matrix, N values; a\n"
	 "convolution channel's mean over positions), corr their correlation,\n"
	 "as the workbench's layer screen shows them for the cursor's column."},
	{"metrics", "s:metrics() -> table | nil",
	 "Test accuracies (0..1) after the evaluation: parents {each added\n"
	 "model, 1-based as s:model(i)}, ensemble, balanced (of the rebuilt model,\n"
	 "when one was rebuilt) with rebuilt (its index, as s:rebuilt()), fused,\n"
	 "fused_loss, average (plain averaging, when the shapes agree); with\n"
	 "eval.hybrids (two models) aligned (model 0 aligned onto the fused shape,\n"
	 "s:aligned()) and hybrids {l = the fused model with its layer l taken\n"
	 "from the aligned model}: where the fused model loses accuracy."},
	{"finetune_results", "s:finetune_results() -> table | nil",
	 "After finetuning: epochs {{epoch, lr, train_loss, train_acc, test_loss,\n"
	 "test_acc}, ...}, best_acc, best_epoch and parents_best (with\n"
	 "finetune.parents)."},
	{"finetuned", "s:finetuned() -> Model | nil", "A copy of the finetuned fused model."},
	{"finetune_picture", "s:finetune_picture(path) -> true | nil, message",
	 "Write the finetuning curve (test accuracy per epoch) as a picture, SVG\n"
	 "or PNG by path's ending: the one the workbench's results screen writes\n"
	 "with x.  nil and a message when there was no finetuning or the file\n"
	 "cannot be written."},
	{"report", "s:report() -> string",
	 "The report clafuse fuse prints (maps, per-layer table, accuracies,\n"
	 "step times) for whatever results exist."},
	{"describe", "s:describe() -> string", "The multi-line display (models, steps with states, changed parameters)."},
	{"close", "s:close()", "Free the session now (also done by the collector and <close>)."},
	{NULL, NULL, NULL}};

static const luaL_Reg hook_fns[] = {{"_stop_request", l_stop_request}, {NULL, NULL}};
static const cf_lua_doc hook_docs[] = {
	{"_stop_request", "cf._stop_request()",
	 "Testing hook: request a stop as Ctrl-C does.\n"
	 "The next long computation that checks the stop flag (a session run, a\n"
	 "training) stops and raises \"interrupted\".  For tests of interruption;\n"
	 "scripts have no other use for it."},
	{NULL, NULL, NULL}};

int luaopen_cf_session(lua_State *L)
{
	/* the hook lives in cf itself, documented directly (cf_lua_register
	 * would re-describe the cf module) */
	lua_getglobal(L, "cf");
	luaL_setfuncs(L, hook_fns, 0);
	lua_getfield(L, -1, hook_docs[0].name);
	cf_lua_help_add(L, lua_gettop(L), "function", "cf._stop_request", "cf",
			hook_docs[0].signature, hook_docs[0].text);
	lua_pop(L, 2);
	cf_lua_register_type(L, LUA_SESSION, "a fusion session (models, data, parameters, results)",
			     session_meta, session_methods, session_method_docs);
	return cf_lua_register(L, "session", "the fusion session: parameters, steps, results",
			       session_fns, session_docs);
}
