/* l_model.c — cf.model: networks from Lua (load, save, describe, weights,
 * forward with recorded activations, evaluate, train) over net.h,
 * model.h and train.h.
 *
 * Design choice: a Model userdata owns one cf_net and is created empty
 * before the core builds the network into it, so a Lua error never leaks
 * one.  Weights cross the boundary as Matrix COPIES (double), so a script
 * can change a copy freely and write it back with set_weight, which checks
 * the shape.  Long work (train, evaluate) reports through cf_lua_progress
 * and turns a Ctrl-C (CF_ESTOPPED) into the error "interrupted" after the
 * core returned, with the network consistent (whole batches only).
 * Weight layers are numbered from 1 in PyTorch parameter order; parameter
 * names stay PyTorch's strings ("layers.0.weight").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <lauxlib.h>

#include "core/fold.h"
#include "core/model.h"
#include "core/net.h"
#include "core/norm.h"
#include "core/train.h"
#include "host.h"
#include "l_data.h"
#include "l_matrix.h"
#include "l_model.h"

#define LUA_MODEL CF_LUA_MODEL
#define FWD_BATCH 500

typedef struct lmodel {
	cf_net *net;
} lmodel;

static lmodel *new_slot(lua_State *L)
{
	lmodel *lm = lua_newuserdatauv(L, sizeof *lm, 0);
	lm->net = NULL;
	luaL_setmetatable(L, LUA_MODEL);
	return lm;
}

cf_net **cf_lua_model_new(lua_State *L)
{
	return &new_slot(L)->net;
}

cf_net *cf_lua_model_test(lua_State *L, int idx)
{
	lmodel *lm = luaL_testudata(L, idx, LUA_MODEL);
	if (!lm)
		return NULL;
	if (!lm->net)
		luaL_argerror(L, idx, "the model was freed");
	return lm->net;
}

static cf_net *check_model(lua_State *L, int idx)
{
	lmodel *lm = luaL_checkudata(L, idx, LUA_MODEL);
	if (lm->net == NULL)
		luaL_argerror(L, idx, "the model was freed");
	return lm->net;
}

static int m_gc(lua_State *L)
{
	lmodel *lm = luaL_checkudata(L, 1, LUA_MODEL);
	cf_net_free(lm->net);
	lm->net = NULL;
	return 0;
}

static void account(lua_State *L, cf_net *net)
{
	int64_t kb = cf_net_ntrainable(net) * 8 / 1024;
	lua_gc(L, LUA_GCSTEP, (int)(kb > 1000000 ? 1000000 : kb));
}

/* Raise for a core failure, or "interrupted" for CF_ESTOPPED.  Call only
 * after every core temporary has been freed. */
static int raise_status(lua_State *L, int rc, const char *what, const cf_error *err)
{
	if (rc == CF_ESTOPPED)
		return cf_lua_raise_interrupted(L);
	return luaL_error(L, "%s: %s", what, err->msg);
}

/* ---- cf.model.load / cf.model.new --------------------------------------- */

/* A normalisation statement from Lua text at index i; raises when bad. */
static void check_norm(lua_State *L, int i, cf_norm *n)
{
	cf_error err = {0};
	if (cf_norm_parse(luaL_checkstring(L, i), "norm", n, &err))
		luaL_argerror(L, i, err.msg);
}

/* cf.model.load(path [, arch | {arch = DESC, norm = "M,S"}]) */
static int l_load(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	const char *arch = NULL;
	cf_norm norm = {0};
	if (lua_istable(L, 2)) {
		if (lua_getfield(L, 2, "arch") != LUA_TNIL)
			arch = luaL_checkstring(L, -1);
		if (lua_getfield(L, 2, "norm") != LUA_TNIL)
			check_norm(L, lua_gettop(L), &norm);
		lua_pop(L, 2);
	} else {
		arch = luaL_optstring(L, 2, NULL);
	}
	lmodel *lm = new_slot(L);
	cf_error err = {0};
	int rc = cf_model_load(path, arch, &lm->net, &err);
	if (rc == CF_OK && norm.c)
		cf_net_set_norm(lm->net, &norm);
	if (rc != CF_OK)
		return cf_lua_fail(L, rc, &err);
	account(L, lm->net);
	return 1;
}

static int l_new(lua_State *L)
{
	const char *desc = luaL_checkstring(L, 1);
	lua_Integer seed = luaL_optinteger(L, 2, 1);
	luaL_argcheck(L, seed >= 0, 2, "a seed >= 0");
	lmodel *lm = new_slot(L);
	cf_error err = {0};
	int rc = cf_net_create_str(desc, &lm->net, &err);
	if (rc != CF_OK) {
		if (rc == CF_ENOMEM)
			return luaL_error(L, "%s", err.msg);
		return luaL_argerror(L, 1, err.msg);
	}
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!r)
		return luaL_error(L, "out of memory");
	gsl_rng_set(r, (unsigned long)seed);
	cf_net_init(lm->net, r);
	gsl_rng_free(r);
	account(L, lm->net);
	return 1;
}

/* ---- description ---------------------------------------------------------- */

static int m_arch(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	char *s = cf_arch_print(cf_net_arch(net));
	if (!s)
		return luaL_error(L, "out of memory");
	lua_pushstring(L, s);
	free(s);
	return 1;
}

static const char *unit_kind_name(int k)
{
	switch (k) {
	case CF_UNIT_LINEAR: return "linear";
	case CF_UNIT_CONV: return "conv";
	case CF_UNIT_BLOCK: return "block";
	default: return "other";
	}
}

static const char *role_name(int r)
{
	switch (r) {
	case CF_WL_CONV1: return "conv1";
	case CF_WL_CONV2: return "conv2";
	case CF_WL_SHORTCUT: return "shortcut";
	default: return "plain";
	}
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void push_chw(lua_State *L, int c, int h, int w)
{
	lua_createtable(L, 3, 0);
	lua_pushinteger(L, c);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, h);
	lua_rawseti(L, -2, 2);
	lua_pushinteger(L, w);
	lua_rawseti(L, -2, 3);
}

/* m:info(): arch, input, classes, parameters, stages, units, layers.
 * Every index in it (unit, stage, first_layer) is 1-based. */
static void m_norm_field(lua_State *L, const cf_net *net)
{
	char text[160];
	if (cf_net_norm(net)) {
		lua_pushstring(L, cf_norm_print(cf_net_norm(net), text, sizeof text));
		lua_setfield(L, -2, "norm");
	}
}

static int m_info(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	lua_createtable(L, 0, 8);
	m_arch(L);
	lua_setfield(L, -2, "arch");
	int c, h, w;
	cf_net_input_shape(net, &c, &h, &w);
	push_chw(L, c, h, w);
	lua_setfield(L, -2, "input");
	set_int(L, "classes", cf_net_nclasses(net));
	set_int(L, "parameters", cf_net_ntrainable(net));
	m_norm_field(L, net);

	lua_createtable(L, cf_net_nstages(net), 0);
	for (int s = 0; s < cf_net_nstages(net); s++) {
		const cf_net_stage *st = cf_net_stage_at(net, s);
		lua_createtable(L, 0, 4);
		set_int(L, "first_unit", st->unit_first + 1);
		set_int(L, "units", st->unit_n);
		set_int(L, "h", st->h);
		set_int(L, "w", st->w);
		lua_rawseti(L, -2, s + 1);
	}
	lua_setfield(L, -2, "stages");

	lua_createtable(L, cf_net_nunits(net), 0);
	for (int u = 0; u < cf_net_nunits(net); u++) {
		const cf_net_unit *un = cf_net_unit_at(net, u);
		lua_createtable(L, 0, 7);
		lua_pushstring(L, unit_kind_name(un->kind));
		lua_setfield(L, -2, "kind");
		set_int(L, "stage", un->stage + 1);
		set_int(L, "width", un->width);
		push_chw(L, un->in_c, un->in_h, un->in_w);
		lua_setfield(L, -2, "input");
		push_chw(L, un->out_c, un->out_h, un->out_w);
		lua_setfield(L, -2, "output");
		set_int(L, "first_layer", un->wl_first + 1);
		set_int(L, "layers", un->wl_n);
		lua_rawseti(L, -2, u + 1);
	}
	lua_setfield(L, -2, "units");

	lua_createtable(L, cf_net_nwlayers(net), 0);
	for (int l = 0; l < cf_net_nwlayers(net); l++) {
		const cf_net_wlayer *wl = cf_net_wlayer_at(net, l);
		lua_createtable(L, 0, 12);
		lua_pushstring(L, wl->name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, wl->conv ? "conv" : "linear");
		lua_setfield(L, -2, "kind");
		lua_pushstring(L, role_name(wl->role));
		lua_setfield(L, -2, "role");
		set_int(L, "out", wl->out);
		set_int(L, "in", wl->in);
		if (wl->conv) {
			set_int(L, "kh", wl->kh);
			set_int(L, "kw", wl->kw);
			set_int(L, "stride", wl->stride);
			set_int(L, "pad", wl->pad);
		}
		lua_pushboolean(L, wl->bias >= 0);
		lua_setfield(L, -2, "bias");
		set_int(L, "unit", wl->unit + 1);
		set_int(L, "stage", wl->stage + 1);
		push_chw(L, wl->oc, wl->oh, wl->ow);
		lua_setfield(L, -2, "activation");
		lua_rawseti(L, -2, l + 1);
	}
	lua_setfield(L, -2, "layers");
	return 1;
}

static const char *param_kind_name(int k)
{
	static const char *const names[] = {"weight", "bias", "bn_weight", "bn_bias",
					    "bn_mean", "bn_var", "bn_count"};
	return k >= 0 && k <= CF_PARAM_BN_COUNT ? names[k] : "?";
}

static void push_shape(lua_State *L, const cf_tensor *t)
{
	lua_createtable(L, t->ndim, 0);
	for (int i = 0; i < t->ndim; i++) {
		lua_pushinteger(L, t->shape[i]);
		lua_rawseti(L, -2, i + 1);
	}
}

static int m_params(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	int n = cf_net_nparams(net);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		const cf_net_param *p = cf_net_param_at(net, i);
		lua_createtable(L, 0, 3);
		lua_pushstring(L, p->name);
		lua_setfield(L, -2, "name");
		lua_pushstring(L, param_kind_name(p->kind));
		lua_setfield(L, -2, "kind");
		push_shape(L, &p->t);
		lua_setfield(L, -2, "shape");
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* The parameter named at arg (a state-dict name) or the weight of weight
 * layer arg (1-based). */
static cf_net_param *param_arg(lua_State *L, cf_net *net, int arg)
{
	if (lua_type(L, arg) == LUA_TNUMBER) {
		lua_Integer l = luaL_checkinteger(L, arg);
		if (l < 1 || l > cf_net_nwlayers(net)) {
			lua_pushfstring(L, "weight layer %I out of range 1..%d", l,
					cf_net_nwlayers(net));
			luaL_argerror(L, arg, lua_tostring(L, -1));
		}
		return cf_net_param_at(net, cf_net_wlayer_at(net, (int)l - 1)->weight);
	}
	const char *name = luaL_checkstring(L, arg);
	const cf_net_param *p = cf_net_param_find(net, name);
	if (!p) {
		lua_pushfstring(L, "no parameter '%s' (m:params() lists them)", name);
		luaL_argerror(L, arg, lua_tostring(L, -1));
	}
	for (int i = 0; i < cf_net_nparams(net); i++)
		if (cf_net_param_at(net, i) == p)
			return cf_net_param_at(net, i);
	return NULL; /* not reached */
}

static int m_weight(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	cf_net_param *p = param_arg(L, net, 2);
	if (p->t.ndim == 0) { /* a scalar buffer */
		lua_pushnumber(L, p->t.data[0]);
		return 1;
	}
	cf_lua_matrix_push_f(L, p->t.ndim, p->t.shape, p->t.data);
	return 1;
}

static int m_set_weight(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	cf_net_param *p = param_arg(L, net, 2);
	cf_lmatrix *w = cf_lua_matrix_arg(L, 3);
	int same = p->t.ndim == w->ndim;
	for (int i = 0; same && i < w->ndim; i++)
		same = p->t.shape[i] == w->shape[i];
	if (!same) {
		char want[80];
		cf_tensor_shape_str(p->t.ndim, p->t.shape, want, sizeof want);
		char got[80];
		cf_tensor_shape_str(w->ndim, w->shape, got, sizeof got);
		lua_pushfstring(L, "%s is %s, the Matrix is %s", p->name, want, got);
		return luaL_argerror(L, 3, lua_tostring(L, -1));
	}
	for (int64_t i = 0; i < w->size; i++)
		p->t.data[i] = (float)w->data[i];
	lua_settop(L, 1);
	return 1;
}

/* Weight layer l (1-based) at arg, or raise naming the range. */
static const cf_net_wlayer *wlayer_arg(lua_State *L, cf_net *net, int arg)
{
	lua_Integer l = luaL_checkinteger(L, arg);
	if (l < 1 || l > cf_net_nwlayers(net)) {
		lua_pushfstring(L, "weight layer %I out of range 1..%d", l, cf_net_nwlayers(net));
		luaL_argerror(L, arg, lua_tostring(L, -1));
	}
	return cf_net_wlayer_at(net, (int)l - 1);
}

/* m:bias(l): a copy of weight layer l's bias, nil when it has none. */
static int m_bias(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	const cf_net_wlayer *w = wlayer_arg(L, net, 2);
	if (w->bias < 0) {
		lua_pushnil(L);
		return 1;
	}
	const cf_tensor *t = &cf_net_param_at(net, w->bias)->t;
	cf_lua_matrix_push_f(L, t->ndim, t->shape, t->data);
	return 1;
}

/* m:set_bias(l, v): v a Matrix/table of out values, or a number for all. */
static int m_set_bias(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	const cf_net_wlayer *w = wlayer_arg(L, net, 2);
	if (w->bias < 0) {
		lua_pushfstring(L, "weight layer %I (%s) has no bias (m:add_biases() gives a "
				"model with biases)", lua_tointeger(L, 2), w->name);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	cf_tensor *t = &cf_net_param_at(net, w->bias)->t;
	if (lua_type(L, 3) == LUA_TNUMBER) {
		float v = (float)lua_tonumber(L, 3);
		for (int64_t i = 0; i < t->size; i++)
			t->data[i] = v;
	} else {
		cf_lmatrix *v = cf_lua_matrix_arg(L, 3);
		if (v->size != t->size) {
			lua_pushfstring(L, "%s has %I values, the Matrix %I",
					cf_net_param_at(net, w->bias)->name, (lua_Integer)t->size,
					(lua_Integer)v->size);
			return luaL_argerror(L, 3, lua_tostring(L, -1));
		}
		for (int64_t i = 0; i < t->size; i++)
			t->data[i] = (float)v->data[i];
	}
	lua_settop(L, 1);
	return 1;
}

/* m:add_biases(): a copy of m whose every Linear/Conv layer has a bias
 * (the added ones zero: the same function). */
static int m_add_biases(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	lmodel *lm = new_slot(L);
	cf_arch *a = cf_arch_copy(cf_net_arch(net));
	if (!a)
		return luaL_error(L, "add_biases: out of memory");
	a->bias = 1;
	if (a->family == CF_ARCH_RESNET)
		a->convbias = 1;
	for (int u = 0; u < a->nunits; u++)
		if (a->unit[u].kind == CF_UNIT_LINEAR || a->unit[u].kind == CF_UNIT_CONV ||
		    a->unit[u].kind == CF_UNIT_BLOCK)
			a->unit[u].bias = 1;
	cf_error err = {0};
	int rc = cf_net_create(a, &lm->net, &err);
	cf_arch_free(a);
	if (rc != CF_OK)
		return luaL_error(L, "add_biases: %s", err.msg);
	/* every parameter and buffer of m has the same name and shape in the
	 * new network; the added biases stay zero */
	for (int i = 0; i < cf_net_nparams(net); i++) {
		const cf_net_param *p = cf_net_param_at(net, i);
		const cf_net_param *q = cf_net_param_find(lm->net, p->name);
		if (!q || q->t.size != p->t.size)
			return luaL_error(L, "add_biases: %s has no counterpart in %s", p->name,
					  "the new architecture");
		memcpy(q->t.data, p->t.data, sizeof(float) * (size_t)p->t.size);
	}
	account(L, lm->net);
	return 1;
}

static int m_save(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	const char *path = luaL_checkstring(L, 2);
	cf_error err = {0};
	if (cf_model_save(net, path, NULL, NULL, 0, &err) != CF_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int m_copy(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	lmodel *lm = new_slot(L);
	cf_error err = {0};
	if (cf_net_copy(net, &lm->net, &err) != CF_OK)
		return luaL_error(L, "copy: %s", err.msg);
	account(L, lm->net);
	return 1;
}

/* A new model with BatchNorm folded into the convolutions (same eval-mode
 * function); a BN that cannot be folded is a property of the model, not a
 * programming error, so it comes back as nil, message. */
static int m_fold_bn(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	lmodel *lm = new_slot(L);
	cf_error err = {0};
	int rc = cf_net_fold_bn(net, &lm->net, &err);
	if (rc == CF_ENOMEM)
		return luaL_error(L, "fold_bn: %s", err.msg);
	if (rc != CF_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	account(L, lm->net);
	return 1;
}

/* ---- running -------------------------------------------------------------- */

static int m_evaluate(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	cf_dataset *d = cf_lua_dataset_check(L, 2);
	lua_Integer batch = luaL_optinteger(L, 3, 0);
	luaL_argcheck(L, batch >= 0, 3, "a batch size >= 0 (0 = 500)");
	cf_error err = {0};
	if (cf_train_check_data(net, d, &err) != CF_OK)
		return luaL_argerror(L, 2, err.msg);
	double acc = 0, loss = 0;
	cf_progress prog = {cf_lua_progress, NULL};
	int rc = cf_evaluate(net, d, (int)batch, &acc, &loss, &prog, &err);
	if (rc != CF_OK)
		return raise_status(L, rc, "evaluate", &err);
	lua_pushnumber(L, acc);
	lua_pushnumber(L, loss);
	return 2;
}

static const char *const train_opts[] = {"epochs", "lr", "momentum", "wd", "batch",
					  "milestones", "gamma", "seed", "test", "eval_batch",
					  NULL};

static int opt_int(lua_State *L, int idx, const char *key, int def, int min)
{
	int v = def;
	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < min ||
		    lua_tointeger(L, -1) > 1000000000) {
			lua_pushfstring(L, "option '%s' must be an integer >= %d", key, min);
			luaL_argerror(L, idx, lua_tostring(L, -1));
		}
		v = (int)lua_tointeger(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static double opt_num(lua_State *L, int idx, const char *key, double def)
{
	double v = def;
	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TNUMBER) {
			lua_pushfstring(L, "option '%s' must be a number", key);
			luaL_argerror(L, idx, lua_tostring(L, -1));
		}
		v = lua_tonumber(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

/* m:train(d, opts) -> {{epoch=, lr=, train_loss=, train_acc=, test_loss=,
 * test_acc=}, ...} */
static int m_train(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	cf_dataset *d = cf_lua_dataset_check(L, 2);
	cf_train_params p;
	cf_train_params_default(&p);
	cf_dataset *test = NULL;
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			lua_pop(L, 1);
			int ok = 0;
			for (const char *const *k = train_opts; *k && !ok; k++)
				ok = lua_type(L, -1) == LUA_TSTRING &&
				     strcmp(*k, lua_tostring(L, -1)) == 0;
			if (!ok) {
				lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL));
				return luaL_argerror(L, 3, lua_tostring(L, -1));
			}
		}
		p.epochs = opt_int(L, 3, "epochs", p.epochs, 1);
		p.batch = opt_int(L, 3, "batch", p.batch, 1);
		p.eval_batch = opt_int(L, 3, "eval_batch", p.eval_batch, 1);
		p.seed = (unsigned long)opt_int(L, 3, "seed", (int)p.seed, 0);
		p.lr = opt_num(L, 3, "lr", p.lr);
		p.momentum = opt_num(L, 3, "momentum", p.momentum);
		p.weight_decay = opt_num(L, 3, "wd", p.weight_decay);
		p.gamma = opt_num(L, 3, "gamma", p.gamma);
		if (lua_getfield(L, 3, "milestones") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TTABLE)
				return luaL_argerror(L, 3, "option 'milestones' must be a table of epochs");
			int n = (int)lua_rawlen(L, -1);
			if (n > CF_TRAIN_MAXMILESTONES)
				return luaL_argerror(L, 3, "too many milestones");
			for (int i = 0; i < n; i++) {
				lua_rawgeti(L, -1, i + 1);
				if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1)
					return luaL_argerror(L, 3, "milestones must be epochs >= 1");
				p.milestones[i] = (int)lua_tointeger(L, -1);
				lua_pop(L, 1);
			}
			p.nmilestones = n;
		}
		lua_pop(L, 1);
		if (lua_getfield(L, 3, "test") != LUA_TNIL) {
			test = cf_lua_dataset_test(L, -1);
			if (!test)
				return luaL_argerror(L, 3, "option 'test' must be a Dataset");
		}
		lua_pop(L, 1); /* opts (arg 3) keeps the test set alive */
	}
	cf_error err = {0};
	if (cf_train_check_data(net, d, &err) != CF_OK)
		return luaL_argerror(L, 2, err.msg);
	if (test && cf_train_check_data(net, test, &err) != CF_OK)
		return luaL_argerror(L, 3, err.msg);
	/* per-epoch figures in Lua-owned scratch: nothing to free on errors */
	cf_epoch_result *res = lua_newuserdatauv(L, (size_t)p.epochs * sizeof *res, 0);
	memset(res, 0, (size_t)p.epochs * sizeof *res);
	cf_progress prog = {cf_lua_progress, NULL};
	int rc = cf_train(net, d, test, &p, res, &prog, &err);
	if (rc != CF_OK)
		return raise_status(L, rc, "train", &err);
	lua_createtable(L, p.epochs, 0);
	for (int e = 0; e < p.epochs; e++) {
		lua_createtable(L, 0, 6);
		set_int(L, "epoch", res[e].epoch);
		lua_pushnumber(L, res[e].lr);
		lua_setfield(L, -2, "lr");
		lua_pushnumber(L, res[e].train_loss);
		lua_setfield(L, -2, "train_loss");
		lua_pushnumber(L, res[e].train_acc);
		lua_setfield(L, -2, "train_acc");
		if (res[e].have_test) {
			lua_pushnumber(L, res[e].test_loss);
			lua_setfield(L, -2, "test_loss");
			lua_pushnumber(L, res[e].test_acc);
			lua_setfield(L, -2, "test_acc");
		}
		lua_rawseti(L, -2, e + 1);
	}
	return 1;
}

/* The input of forward/predict as float32 samples in a Lua-owned buffer
 * (pushed on the stack): a Dataset, or a Matrix whose size is a multiple
 * of the model's input size (N × input, or N×C×H×W). */
static const float *input_arg(lua_State *L, cf_net *net, int arg, int64_t *N)
{
	int64_t in = cf_net_input_size(net);
	cf_dataset *d = cf_lua_dataset_test(L, arg);
	if (d) {
		if ((int64_t)d->c * d->h * d->w != in)
			luaL_argerror(L, arg, "the data set's samples do not fit the model's input");
		*N = d->n;
		lua_pushnil(L); /* keep the stack shape of the Matrix case */
		return d->x;
	}
	cf_lmatrix *x = cf_lua_matrix_test(L, arg);
	if (!x && lua_type(L, arg) == LUA_TTABLE)
		x = cf_lua_matrix_arg(L, arg);
	if (!x)
		luaL_typeerror(L, arg, "Dataset or Matrix");
	int rows_ok = x->shape[0] >= 1 && x->size % x->shape[0] == 0 &&
		      x->size / x->shape[0] == in;
	if (!rows_ok && !(x->ndim == 1 && x->size == in)) {
		lua_pushfstring(L, "a Matrix of N samples of %I values (the model's input)",
				(lua_Integer)in);
		luaL_argerror(L, arg, lua_tostring(L, -1));
	}
	*N = rows_ok && x->ndim > 1 ? x->shape[0] : 1;
	float *buf = lua_newuserdatauv(L, (size_t)x->size * sizeof(float), 0);
	for (int64_t i = 0; i < x->size; i++)
		buf[i] = (float)x->data[i];
	return buf;
}

/* m:forward(x, {from = l, to = k}): weight layers l..k only. */
static int forward_part(lua_State *L, cf_net *net, lua_Integer from, lua_Integer to)
{
	int64_t in, out;
	cf_error err = {0};
	if (cf_net_part_sizes(net, (int)from - 1, (int)to - 1, &in, &out, &err) != CF_OK)
		return luaL_argerror(L, 3, err.msg);
	cf_lmatrix *x = cf_lua_matrix_arg(L, 2);
	int64_t N = x->ndim > 1 ? x->shape[0] : 1;
	if (x->size != N * in) {
		lua_pushfstring(L, "a Matrix of N inputs of layer %I, %I values each (N × %I)", from,
				(lua_Integer)in, (lua_Integer)in);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	const cf_net_wlayer *wl = cf_net_wlayer_at(net, (int)to - 1);
	int64_t sh[4] = {N, wl->oc, wl->oh, wl->ow};
	if (!wl->conv)
		sh[1] = out;
	cf_lmatrix *o = cf_lua_matrix_new(L, wl->conv ? 4 : 2, sh);
	int64_t bs = FWD_BATCH;
	float *xb = lua_newuserdatauv(L, (size_t)(bs * in) * sizeof(float), 0);
	float *yb = lua_newuserdatauv(L, (size_t)(bs * out) * sizeof(float), 0);
	for (int64_t s = 0; s < N; s += bs) {
		int64_t b = N - s < bs ? N - s : bs;
		if (cf_lua_stop_requested())
			return cf_lua_raise_interrupted(L);
		for (int64_t i = 0; i < b * in; i++)
			xb[i] = (float)x->data[s * in + i];
		if (cf_net_forward_part(net, (int)from - 1, (int)to - 1, xb, b, yb, &err) != CF_OK)
			return luaL_error(L, "forward: %s", err.msg);
		for (int64_t i = 0; i < b * out; i++)
			o->data[s * out + i] = yb[i];
	}
	lua_pop(L, 2);
	return 1;
}

/* m:forward(x [, {record = true} | {from = l, to = k}]) -> logits [, activations] */
static int m_forward(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	int record = 0;
	lua_Integer from = 0, to = 0;
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			lua_pop(L, 1);
			const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
			if (strcmp(k, "record") != 0 && strcmp(k, "from") != 0 && strcmp(k, "to") != 0) {
				lua_pushfstring(L, "unknown option '%s' (record, from, to)",
						luaL_tolstring(L, -1, NULL));
				return luaL_argerror(L, 3, lua_tostring(L, -1));
			}
		}
		lua_getfield(L, 3, "record");
		record = lua_toboolean(L, -1);
		lua_getfield(L, 3, "from");
		lua_getfield(L, 3, "to");
		int isint = 1;
		if (!lua_isnil(L, -2))
			from = lua_tointegerx(L, -2, &isint);
		if (isint && !lua_isnil(L, -1))
			to = lua_tointegerx(L, -1, &isint);
		if (!isint)
			return luaL_argerror(L, 3, "options 'from' and 'to' are weight layer numbers");
		lua_pop(L, 3);
	}
	if (from || to) {
		if (record)
			return luaL_argerror(L, 3, "record = true runs the whole model: "
					      "not with from or to");
		return forward_part(L, net, from ? from : 1, to ? to : cf_net_nwlayers(net));
	}
	int64_t N;
	const float *x = input_arg(L, net, 2, &N);
	int64_t in = cf_net_input_size(net);
	int K = cf_net_nclasses(net);
	cf_lmatrix *logits = cf_lua_matrix_new2(L, N, K);
	int lidx = lua_gettop(L);
	float *lbuf = lua_newuserdatauv(L, (size_t)FWD_BATCH * K * sizeof(float), 0);
	cf_error err = {0};
	/* with record: one Matrix per weight layer for all N samples, filled
	 * batch by batch from a recording of FWD_BATCH samples, so recording
	 * costs the copies only (not a second, unbatched forward); only Lua
	 * allocations happen while acts is held, and a memory error there
	 * would leak it */
	int nwl = cf_net_nwlayers(net), ridx = 0;
	if (record) {
		lua_createtable(L, nwl, 0);
		ridx = lua_gettop(L);
	}
	cf_activations *acts = NULL;
	int rc = CF_OK;
	for (int64_t s = 0; s < N && rc == CF_OK; s += FWD_BATCH) {
		int64_t b = N - s < FWD_BATCH ? N - s : FWD_BATCH;
		if (cf_lua_stop_requested()) {
			cf_activations_free(acts);
			return cf_lua_raise_interrupted(L);
		}
		if (record && (!acts || acts->N != b)) {
			cf_activations_free(acts);
			acts = NULL;
			if ((rc = cf_activations_alloc(net, b, &acts, &err)) != CF_OK)
				break;
		}
		if ((rc = cf_net_forward(net, x + s * in, b, CF_NET_EVAL, acts, lbuf, &err)) != CF_OK)
			break;
		for (int64_t i = 0; i < b * K; i++)
			logits->data[s * K + i] = lbuf[i];
		for (int l = 0; record && l < nwl; l++) {
			const cf_tensor *t = acts->a[l];
			if (s == 0) { /* the Matrix for all N samples, shaped like the recording */
				int64_t sh[CF_TENSOR_MAXDIM];
				for (int d = 0; d < t->ndim; d++)
					sh[d] = t->shape[d];
				sh[0] = N;
				cf_lua_matrix_push(L, t->ndim, sh, NULL);
				lua_rawseti(L, ridx, l + 1);
			}
			lua_rawgeti(L, ridx, l + 1);
			cf_lmatrix *r = cf_lua_matrix_check(L, -1);
			lua_pop(L, 1);
			double *dst = r->data + s * (t->size / b);
			for (int64_t i = 0; i < t->size; i++)
				dst[i] = t->data[i];
		}
	}
	cf_activations_free(acts);
	if (rc != CF_OK)
		return luaL_error(L, "forward: %s", err.msg);
	if (!record) {
		lua_settop(L, lidx);
		return 1;
	}
	lua_pushvalue(L, lidx);
	lua_pushvalue(L, ridx);
	return 2;
}

/* m:predict(x) -> {label, ...}: the argmax class of each sample. */
static int m_predict(lua_State *L)
{
	lua_settop(L, 2);
	lua_pushcfunction(L, m_forward);
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	cf_lmatrix *lg = cf_lua_matrix_check(L, -1);
	int64_t N = lg->shape[0], K = lg->ndim > 1 ? lg->shape[1] : 1;
	lua_createtable(L, (int)N, 0);
	for (int64_t i = 0; i < N; i++) {
		int64_t best = 0;
		for (int64_t k = 1; k < K; k++)
			if (lg->data[i * K + k] > lg->data[i * K + best])
				best = k;
		lua_pushinteger(L, best);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	return 1;
}

/* ---- printing --------------------------------------------------------------- */

static int m_tostring(lua_State *L)
{
	lmodel *lm = luaL_checkudata(L, 1, LUA_MODEL);
	if (!lm->net) {
		lua_pushstring(L, "Model (freed)");
		return 1;
	}
	cf_net *net = lm->net;
	char *s = cf_arch_print(cf_net_arch(net));
	lua_pushfstring(L, "Model %s (%d stage%s, %d units, %d weight layers, %I parameters)",
			s ? s : "?", cf_net_nstages(net), cf_net_nstages(net) == 1 ? "" : "s",
			cf_net_nunits(net), cf_net_nwlayers(net),
			(lua_Integer)cf_net_ntrainable(net));
	free(s);
	return 1;
}

/* __pretty: the summary line, then one row per unit with its stage, kind,
 * width, shapes and weight layers. */
static int m_pretty(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	lua_pushcfunction(L, m_tostring);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	luaL_addvalue(&b);
	char line[512];
	snprintf(line, sizeof line, "\n  %-5s %-5s %-7s %6s  %-10s  %-10s  %s\n", "stage", "unit",
		 "kind", "width", "input", "output", "weight layers");
	luaL_addstring(&b, line);
	for (int u = 0; u < cf_net_nunits(net); u++) {
		const cf_net_unit *un = cf_net_unit_at(net, u);
		char in[32], out[32], names[256] = "";
		snprintf(in, sizeof in, "%dx%dx%d", un->in_c, un->in_h, un->in_w);
		snprintf(out, sizeof out, "%dx%dx%d", un->out_c, un->out_h, un->out_w);
		size_t o = 0;
		for (int l = un->wl_first; l < un->wl_first + un->wl_n && o < sizeof names; l++)
			o += (size_t)snprintf(names + o, sizeof names - o, "%s%d:%s",
					      l > un->wl_first ? " " : "", l + 1,
					      cf_net_wlayer_at(net, l)->name);
		snprintf(line, sizeof line, "  %-5d %-5d %-7s %6d  %-10s  %-10s  %s\n",
			 un->stage + 1, u + 1, unit_kind_name(un->kind), un->width, in, out, names);
		luaL_addstring(&b, line);
	}
	luaL_pushresult(&b);
	/* drop the trailing newline */
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	if (len && s[len - 1] == '\n')
		lua_pushlstring(L, s, len - 1);
	return 1;
}

/* m:norm() -> "M/S" | nil */
static int m_norm(lua_State *L)
{
	const cf_norm *n = cf_net_norm(check_model(L, 1));
	char text[160];
	if (!n)
		lua_pushnil(L);
	else
		lua_pushstring(L, cf_norm_print(n, text, sizeof text));
	return 1;
}

/* m:set_norm("M,S" | nil) -> m */
static int m_set_norm(lua_State *L)
{
	cf_net *net = check_model(L, 1);
	cf_norm n = {0};
	if (!lua_isnoneornil(L, 2))
		check_norm(L, 2, &n);
	cf_net_set_norm(net, n.c ? &n : NULL);
	lua_settop(L, 1);
	return 1;
}

static const luaL_Reg model_fns[] = {{"load", l_load}, {"new", l_new}, {NULL, NULL}};

static const cf_lua_doc model_docs[] = {
	{"load", "cf.model.load(path [, arch | {arch = DESC, norm = \"M,S\"}]) -> Model | nil, msg",
	 "Read a model file (safetensors with clafuse.arch metadata).\n"
	 "arch (an architecture description) overrides the file's, for files\n"
	 "written by PyTorch; norm states the input normalisation the model\n"
	 "expects (mean,std or M1,M2,../S1,S2,..), overriding its clafuse.norm.\n"
	 "A missing or malformed file returns nil, message."},
	{"new", "cf.model.new(desc [, seed]) -> Model",
	 "A new network for an architecture description, e.g.\n"
	 "\"mlp 784-400-200-10 nobias\", \"vgg11_half\", \"resnet18_nobias_nobn\",\n"
	 "initialised as PyTorch does from seed (1).  A bad description raises\n"
	 "an error saying where."},
	{NULL, NULL, NULL}};

static const luaL_Reg model_meta[] = {
	{"__gc", m_gc}, {"__close", m_gc}, {"__tostring", m_tostring}, {"__pretty", m_pretty},
	{NULL, NULL}};

static const luaL_Reg model_methods[] = {
	{"arch", m_arch},         {"describe", m_pretty},   {"info", m_info},
	{"params", m_params},     {"weight", m_weight},     {"set_weight", m_set_weight},
	{"bias", m_bias},         {"set_bias", m_set_bias}, {"add_biases", m_add_biases},
	{"save", m_save},         {"copy", m_copy},         {"fold_bn", m_fold_bn},
	{"evaluate", m_evaluate}, {"norm", m_norm},       {"set_norm", m_set_norm},
	{"train", m_train},       {"forward", m_forward},   {"predict", m_predict},
	{"free", m_gc},           {NULL, NULL}};

static const cf_lua_doc model_method_docs[] = {
	{"arch", "m:arch() -> string", "The canonical architecture description (parses back to the same network)."},
	{"describe", "m:describe() -> string", "The multi-line table of stages, units and weight layers (as printed)."},
	{"info", "m:info() -> table",
	 "Structure: arch, input {c,h,w}, classes, parameters (trainable scalars),\n"
	 "norm (the input normalisation, when stated),\n"
	 "stages {first_unit, units, h, w}, units {kind, stage, width, input,\n"
	 "output, first_layer, layers} and layers (weight layers in PyTorch order:\n"
	 "name, kind, role, out, in, kh, kw, stride, pad, bias, unit, stage,\n"
	 "activation {c,h,w}).  Indices are 1-based."},
	{"norm", "m:norm() -> string | nil",
	 "The input normalisation the model expects, \"MEAN/STD\" (per channel\n"
	 "\"M1,M2,M3/S1,S2,S3\"), from its file's clafuse.norm; nil when unstated.\n"
	 "m:save writes it back."},
	{"set_norm", "m:set_norm(text | nil) -> m",
	 "State (or, with nil, forget) the input normalisation, \"MEAN,STD\" or\n"
	 "\"M1,M2,../S1,S2,..\"; a bad text raises."},
	{"params", "m:params() -> {{name, kind, shape}, ...}", "Every state-dict entry: its PyTorch name, kind and shape."},
	{"weight", "m:weight(name | layer) -> Matrix",
	 "A copy of a parameter by state-dict name (\"layers.0.weight\"), or of the\n"
	 "weight of weight layer `layer` (1-based).  Scalars come back as numbers."},
	{"set_weight", "m:set_weight(name | layer, M) -> m",
	 "Overwrite a parameter (by state-dict name) or the weight of weight\n"
	 "layer `layer` (1-based) with the values of M, which must have its shape:\n"
	 "out × in for a Linear layer (row i: neuron i's incoming weights),\n"
	 "out × in × kh × kw for a Conv2d."},
	{"bias", "m:bias(layer) -> Matrix | nil",
	 "A copy of the bias of weight layer `layer` (1-based): a vector of its\n"
	 "out neurons; nil when the layer has none."},
	{"set_bias", "m:set_bias(layer, v) -> m",
	 "Overwrite the bias of weight layer `layer` with v (out values, or a\n"
	 "number for all).  A layer without a bias raises: see add_biases."},
	{"add_biases", "m:add_biases() -> Model",
	 "A copy of m in which every Linear and Conv2d layer has a bias (the added\n"
	 "ones zero, so it computes the same function); the architecture says\n"
	 "so (\"mlp 784-400-10 nobias\" becomes \"mlp 784-400-10\")."},
	{"save", "m:save(path) -> true | nil, msg",
	 "Write the model as safetensors (atomically: a temporary file renamed)."},
	{"copy", "m:copy() -> Model", "A deep copy of the parameters and buffers."},
	{"fold_bn", "m:fold_bn() -> Model | nil, msg",
	 "A new model without BatchNorm computing the same function in evaluation\n"
	 "mode: each BN (running statistics) is folded into the conv before it,\n"
	 "which gains a bias (vgg ... bn -> nobn; resnet -> nobn convbias;\n"
	 "block -> block ... nobn bias).  A model without BN gives a copy; a BN\n"
	 "that does not follow a conv returns nil, message."},
	{"evaluate", "m:evaluate(d [, batch]) -> accuracy, loss",
	 "Accuracy (0..1) and mean cross-entropy on data set d (evaluation mode).\nCtrl-C raises \"interrupted\"."},
	{"train", "m:train(d, opts) -> {{epoch, lr, train_loss, train_acc, test_loss, test_acc}, ...}",
	 "Train with SGD on data set d.  opts: epochs (10), lr (0.01), momentum\n"
	 "(0.5), wd (0), batch (64), milestones {e, ...}, gamma (0.1), seed (1),\n"
	 "eval_batch (500), test = a Dataset evaluated after each epoch.\n"
	 "Shows a progress line; Ctrl-C raises \"interrupted\" after a whole batch,\n"
	 "with the model consistent."},
	{"forward", "m:forward(x [, {record = true} | {from = l, to = k}]) -> logits [, activations]",
	 "Run the model (evaluation mode) on a Dataset or a Matrix of N samples\n"
	 "(N × input size, or N×C×H×W).  Returns the N × classes logits and, with\n"
	 "record, a table with one Matrix per weight layer (its pre-activation\n"
	 "output, N×out or N×C×H×W; recording costs the copies, not a second pass).\n"
	 "With from and/or to (weight layers, 1-based; defaults 1 and the last):\n"
	 "only layers l..k, on x = N inputs of layer l (what the layer before\n"
	 "it passes on, after its ReLU), giving layer k's pre-activation output:\n"
	 "{from = l, to = l} is one layer, {from = l} the model from l onward.\n"
	 "l must start its unit and k must not lie inside a residual block."},
	{"predict", "m:predict(x) -> {label, ...}", "The predicted class (0..classes-1) of each sample of x."},
	{"free", "m:free()", "Release the network now (also done by the collector and <close>)."},
	{NULL, NULL, NULL}};

int luaopen_cf_model(lua_State *L)
{
	cf_lua_register_type(L, LUA_MODEL, "a neural network (architecture and parameters)",
			     model_meta, model_methods, model_method_docs);
	return cf_lua_register(L, "model", "networks: load, save, describe, evaluate, train",
			       model_fns, model_docs);
}
