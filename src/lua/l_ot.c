/* l_ot.c — cf.ot: optimal transport from Lua (solve, step, certificate,
 * ground costs) over src/core/ot.h and ground.h.
 *
 * Design choice: results are plain Lua tables of Matrix objects and
 * numbers ({plan=, cost=, u=, v=, status=, ...}), so they print, index and
 * serialise like any table and a session binding can build the same shape.
 * A stepping solver is a userdata (clafuse.OTSolver) that keeps its own
 * copies of M, a and b in user values, because the core solver borrows
 * those arrays for its whole life.  Bad arguments raise; bad data (NaN
 * costs, unbalanced masses) returns nil, message.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <lauxlib.h>

#include "core/ground.h"
#include "core/ot.h"
#include "host.h"
#include "l_matrix.h"

#define OT_SOLVER "clafuse.OTSolver"

/* Reject keys of an options table that are not in `known`. */
static void check_fields(lua_State *L, int idx, const char *const *known)
{
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		int ok = 0;
		if (lua_type(L, -1) == LUA_TSTRING)
			for (const char *const *k = known; *k && !ok; k++)
				ok = strcmp(*k, lua_tostring(L, -1)) == 0;
		if (!ok) {
			lua_pushfstring(L, "unknown option '%s'", luaL_tolstring(L, -1, NULL));
			luaL_argerror(L, idx, lua_tostring(L, -1));
		}
	}
}

static double opt_number(lua_State *L, int idx, const char *key, double def)
{
	double v = def;
	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TNUMBER) {
			lua_pushfstring(L, "option '%s' must be a number, got %s", key,
					luaL_typename(L, -1));
			luaL_argerror(L, idx, lua_tostring(L, -1));
		}
		v = lua_tonumber(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static const char *opt_string(lua_State *L, int idx, const char *key, const char *def)
{
	const char *v = def;
	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING) {
			lua_pushfstring(L, "option '%s' must be a string, got %s", key,
					luaL_typename(L, -1));
			luaL_argerror(L, idx, lua_tostring(L, -1));
		}
		v = lua_tostring(L, -1); /* the options table keeps it alive */
	}
	lua_pop(L, 1);
	return v;
}

/* A weight vector option (Matrix or table) of length n; NULL when absent.
 * The converted matrix is left in the options table's slot `key` of a
 * scratch table at `keep` so it lives as long as the call. */
static const double *opt_weights(lua_State *L, int idx, int keep, const char *key, int64_t n)
{
	if (lua_getfield(L, idx, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return NULL;
	}
	cf_lmatrix *w = cf_lua_matrix_test(L, -1);
	if (!w && lua_type(L, -1) == LUA_TTABLE && lua_rawlen(L, -1) == 0 &&
	    (lua_pushnil(L), lua_next(L, -2) == 0)) {
		lua_pop(L, 1); /* an empty table: uniform weights, as POT reads [] */
		return NULL;
	}
	if (!w && lua_type(L, -1) == LUA_TTABLE) {
		cf_lua_matrix_arg(L, lua_gettop(L));
		w = cf_lua_matrix_test(L, -1);
	}
	if (!w) {
		lua_pushfstring(L, "option '%s' must be a Matrix or table of weights", key);
		luaL_argerror(L, idx, lua_tostring(L, -1));
	}
	if (w->size != n) {
		lua_pushfstring(L, "option '%s' has %I weights, the cost matrix needs %I", key,
				(lua_Integer)w->size, (lua_Integer)n);
		luaL_argerror(L, idx, lua_tostring(L, -1));
	}
	lua_setfield(L, keep, key);
	return w->data;
}

static const char *const solve_opts[] = {"a", "b", "solver", "reg", "reg_scale", "reg_m",
					  "tol", "mass_tol", "max_iter", "time_limit",
					  "eps_factor", "log_fallback", "omega", NULL};

/* Parse M (arg 1) and opts (arg 2) into a problem; leaves a keep table
 * (holding converted a, b) at the top of the stack. */
static cf_ot_kind parse_problem(lua_State *L, cf_ot_problem *p, cf_ot_params *par)
{
	cf_lmatrix *M = cf_lua_matrix_arg(L, 1);
	if (M->ndim != 2)
		luaL_argerror(L, 1, "a 2-dimensional cost matrix");
	memset(p, 0, sizeof *p);
	p->n = M->shape[0];
	p->m = M->shape[1];
	p->M = M->data;
	cf_ot_params_init(par);
	cf_ot_kind kind = CF_OT_EXACT;
	int has_opts = !lua_isnoneornil(L, 2);
	if (has_opts)
		luaL_checktype(L, 2, LUA_TTABLE);
	lua_newtable(L);
	int keep = lua_gettop(L);
	if (!has_opts)
		return kind;
	check_fields(L, 2, solve_opts);
	p->a = opt_weights(L, 2, keep, "a", p->n);
	p->b = opt_weights(L, 2, keep, "b", p->m);
	const char *s = opt_string(L, 2, "solver", "exact");
	int k = cf_ot_kind_parse(s);
	if (k < 0) {
		lua_pushfstring(L, "unknown solver '%s' (exact, emd, assign, sinkhorn, sinkhorn-log, "
				"sinkhorn-eps, unbalanced, sinkhorn-sparse)", s);
		luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	kind = (cf_ot_kind)k;
	par->reg = opt_number(L, 2, "reg", par->reg);
	s = opt_string(L, 2, "reg_scale", "abs");
	if (strcmp(s, "abs") == 0)
		par->reg_scale = CF_OT_REG_ABS;
	else if (strcmp(s, "max") == 0)
		par->reg_scale = CF_OT_REG_MAX;
	else if (strcmp(s, "median") == 0)
		par->reg_scale = CF_OT_REG_MEDIAN;
	else {
		lua_pushfstring(L, "unknown reg_scale '%s' (abs, max, median)", s);
		luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	par->reg_m = opt_number(L, 2, "reg_m", par->reg_m);
	par->tol = opt_number(L, 2, "tol", par->tol);
	par->mass_tol = opt_number(L, 2, "mass_tol", par->mass_tol);
	double mi = opt_number(L, 2, "max_iter", (double)par->max_iter);
	if (mi < 0 || mi != floor(mi))
		luaL_argerror(L, 2, "option 'max_iter' must be an integer >= 0");
	par->max_iter = (int64_t)mi;
	par->time_limit = opt_number(L, 2, "time_limit", par->time_limit);
	par->eps_factor = opt_number(L, 2, "eps_factor", par->eps_factor);
	/* range checked by the core (cf_ot_solver_alloc): nil, message */
	par->omega = opt_number(L, 2, "omega", par->omega);
	if (lua_getfield(L, 2, "log_fallback") != LUA_TNIL)
		par->log_fallback = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return kind;
}

/* Push the result table of r (plan, u, v as matrices). */
static void push_result(lua_State *L, const cf_ot_result *r)
{
	lua_createtable(L, 0, 12);
	int t = lua_gettop(L);
	cf_lua_matrix_new2(L, r->n, r->m);
	memcpy(cf_lua_matrix_check(L, -1)->data, r->plan, (size_t)(r->n * r->m) * sizeof(double));
	lua_setfield(L, t, "plan");
	int64_t sh[1] = {r->n};
	cf_lua_matrix_push(L, 1, sh, r->u);
	lua_setfield(L, t, "u");
	sh[0] = r->m;
	cf_lua_matrix_push(L, 1, sh, r->v);
	lua_setfield(L, t, "v");
	lua_pushnumber(L, r->cost);
	lua_setfield(L, t, "cost");
	lua_pushnumber(L, r->reg);
	lua_setfield(L, t, "reg");
	lua_pushinteger(L, r->iterations);
	lua_setfield(L, t, "iterations");
	lua_pushstring(L, cf_ot_status_name(r->status));
	lua_setfield(L, t, "status");
	lua_pushstring(L, cf_ot_kind_name(r->kind));
	lua_setfield(L, t, "solver");
	lua_pushstring(L, r->message);
	lua_setfield(L, t, "message");
	lua_pushnumber(L, r->time);
	lua_setfield(L, t, "time");
	lua_pushnumber(L, r->marg_err);
	lua_setfield(L, t, "marg_err");
	lua_createtable(L, (int)(r->n_err < 1000000 ? r->n_err : 0), 0);
	for (int64_t i = 0; i < r->n_err; i++) {
		lua_pushnumber(L, r->err_hist[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, t, "err");
}

/* The problem of cf.ot.solve / cf.ot.solver parsed and checked: 0, or 2
 * after pushing nil, message for a problem that does not check (bad
 * marginals and the like are the caller's data, not a programming error).
 * The unbalanced solver relaxes the marginals, so their masses may differ. */
static int problem_arg(lua_State *L, cf_ot_problem *p, cf_ot_params *par, cf_ot_kind *kind)
{
	cf_error err = {0};
	int rc;
	*kind = parse_problem(L, p, par);
	cf_ot_params check = *par;
	if (*kind == CF_OT_UNBALANCED) /* its marginals need not have equal masses */
		check.mass_tol = INFINITY;
	if ((rc = cf_ot_problem_check(p, &check, &err)) != CF_OK)
		return cf_lua_fail(L, rc, &err);
	return 0;
}

static int l_solve(lua_State *L)
{
	cf_ot_problem p;
	cf_ot_params par;
	cf_ot_kind kind;
	cf_error err = {0};
	int bad = problem_arg(L, &p, &par, &kind);
	if (bad)
		return bad;
	par.progress.fn = cf_lua_progress;
	cf_ot_result r;
	memset(&r, 0, sizeof r);
	int rc = cf_ot_solve(kind, &p, &par, &r, &err);
	if (rc != CF_OK) {
		cf_ot_result_clear(&r);
		if (rc == CF_ENOMEM)
			return luaL_error(L, "cf.ot.solve: %s", err.msg);
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	if (r.status == CF_OT_STOPPED) {
		cf_ot_result_clear(&r);
		return cf_lua_raise_interrupted(L);
	}
	/* only Lua allocations from here: a memory error would leak r's
	 * arrays, which is acceptable for that rare case */
	push_result(L, &r);
	cf_ot_result_clear(&r);
	return 1;
}

/* ---- the stepping solver ------------------------------------------------ */

typedef struct lsolver {
	cf_ot_solver *s;
} lsolver;

static lsolver *check_solver(lua_State *L, int idx)
{
	lsolver *ls = luaL_checkudata(L, idx, OT_SOLVER);
	if (ls->s == NULL)
		luaL_argerror(L, idx, "the solver was closed");
	return ls;
}

static int s_gc(lua_State *L)
{
	lsolver *ls = luaL_checkudata(L, 1, OT_SOLVER);
	cf_ot_solver_free(ls->s);
	ls->s = NULL;
	return 0;
}

/* cf.ot.solver(M [, opts]): copies M, a, b into user values (the core
 * borrows them for the solver's life). */
static int l_solver(lua_State *L)
{
	cf_ot_problem p;
	cf_ot_params par;
	cf_ot_kind kind;
	cf_error err = {0};
	int bad = problem_arg(L, &p, &par, &kind);
	if (bad)
		return bad;
	lsolver *ls = lua_newuserdatauv(L, sizeof *ls, 3);
	ls->s = NULL; /* consistent before acquiring anything */
	luaL_setmetatable(L, OT_SOLVER);
	int ud = lua_gettop(L);
	int64_t sh[2] = {p.n, p.m};
	cf_lmatrix *Mc = cf_lua_matrix_push(L, 2, sh, p.M);
	lua_setiuservalue(L, ud, 1);
	p.M = Mc->data;
	if (p.a) {
		cf_lmatrix *ac = cf_lua_matrix_push(L, 1, sh, p.a);
		p.a = ac->data;
		lua_setiuservalue(L, ud, 2);
	}
	if (p.b) {
		cf_lmatrix *bc = cf_lua_matrix_push(L, 1, sh + 1, p.b);
		p.b = bc->data;
		lua_setiuservalue(L, ud, 3);
	}
	par.progress.fn = NULL; /* stepping: the caller decides */
	ls->s = cf_ot_solver_alloc(kind, &p, &par, &err);
	if (ls->s == NULL) {
		if (err.code == CF_ENOMEM)
			return luaL_error(L, "cf.ot.solver: %s", err.msg);
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	lua_settop(L, ud);
	return 1;
}

/* s:step([n]): up to n iterations (1), stopping early when finished or on
 * Ctrl-C; returns the status name. */
static int s_step(lua_State *L)
{
	lsolver *ls = check_solver(L, 1);
	lua_Integer n = luaL_optinteger(L, 2, 1);
	luaL_argcheck(L, n >= 1, 2, "a number of iterations >= 1");
	cf_error err = {0};
	int rc = CF_OK;
	int stopped = 0;
	for (lua_Integer i = 0; i < n && cf_ot_solver_test(ls->s) == CF_OT_RUNNING; i++) {
		rc = cf_ot_solver_iterate(ls->s, &err);
		if (rc != CF_OK)
			break;
		if ((i & 63) == 63 && cf_lua_stop_requested()) {
			stopped = 1;
			break;
		}
	}
	if (stopped)
		return cf_lua_raise_interrupted(L);
	lua_pushstring(L, cf_ot_status_name(cf_ot_solver_test(ls->s)));
	if (rc != CF_OK) {
		lua_pushstring(L, err.msg);
		return 2;
	}
	return 1;
}

static int s_status(lua_State *L)
{
	lsolver *ls = check_solver(L, 1);
	lua_pushstring(L, cf_ot_status_name(cf_ot_solver_test(ls->s)));
	return 1;
}

static void solver_dims(lua_State *L, int64_t *n, int64_t *m)
{
	lua_getiuservalue(L, 1, 1);
	cf_lmatrix *M = cf_lua_matrix_check(L, -1);
	*n = M->shape[0];
	*m = M->shape[1];
	lua_pop(L, 1);
}

static int s_plan(lua_State *L)
{
	lsolver *ls = check_solver(L, 1);
	int64_t n, m;
	solver_dims(L, &n, &m);
	cf_lmatrix *T = cf_lua_matrix_new2(L, n, m);
	int64_t sh[1] = {n};
	cf_lmatrix *u = cf_lua_matrix_new(L, 1, sh);
	sh[0] = m;
	cf_lmatrix *v = cf_lua_matrix_new(L, 1, sh);
	cf_ot_solver_plan(ls->s, T->data, u->data, v->data);
	return 3;
}

static int s_error(lua_State *L)
{
	lua_pushnumber(L, cf_ot_solver_error(check_solver(L, 1)->s));
	return 1;
}

static int s_eps(lua_State *L)
{
	lua_pushnumber(L, cf_ot_solver_eps(check_solver(L, 1)->s));
	return 1;
}

static int s_kernel_size(lua_State *L)
{
	lua_pushinteger(L, cf_ot_solver_kernel_size(check_solver(L, 1)->s));
	return 1;
}

static int s_iterations(lua_State *L)
{
	lua_pushinteger(L, cf_ot_solver_iterations(check_solver(L, 1)->s));
	return 1;
}

static int s_name(lua_State *L)
{
	lua_pushstring(L, cf_ot_solver_name(check_solver(L, 1)->s));
	return 1;
}

static int s_result(lua_State *L)
{
	lsolver *ls = check_solver(L, 1);
	cf_ot_result r;
	memset(&r, 0, sizeof r);
	cf_error err = {0};
	if (cf_ot_solver_result(ls->s, &r, &err) != CF_OK) {
		cf_ot_result_clear(&r);
		return luaL_error(L, "result: %s", err.msg);
	}
	push_result(L, &r);
	cf_ot_result_clear(&r);
	return 1;
}

static int s_tostring(lua_State *L)
{
	lsolver *ls = luaL_checkudata(L, 1, OT_SOLVER);
	if (!ls->s) {
		lua_pushstring(L, "OTSolver (closed)");
		return 1;
	}
	int64_t n, m;
	solver_dims(L, &n, &m);
	lua_pushfstring(L, "OTSolver %s %Ix%I, %s after %I iterations", cf_ot_solver_name(ls->s),
			(lua_Integer)n, (lua_Integer)m,
			cf_ot_status_name(cf_ot_solver_test(ls->s)),
			(lua_Integer)cf_ot_solver_iterations(ls->s));
	return 1;
}

/* ---- certificate and ground costs ---------------------------------------- */

static int l_check(lua_State *L)
{
	cf_lmatrix *M = cf_lua_matrix_arg(L, 1);
	if (M->ndim != 2)
		return luaL_argerror(L, 1, "a 2-dimensional cost matrix");
	int64_t n = M->shape[0], m = M->shape[1];
	cf_lmatrix *T = cf_lua_matrix_arg(L, 2);
	if (T->size != n * m)
		return luaL_argerror(L, 2, "the plan must have the cost matrix's shape");
	cf_lmatrix *u = cf_lua_matrix_arg(L, 3);
	luaL_argcheck(L, u->size == n, 3, "u needs one value per row of M");
	cf_lmatrix *v = cf_lua_matrix_arg(L, 4);
	luaL_argcheck(L, v->size == m, 4, "v needs one value per column of M");
	const double *a = NULL, *b = NULL;
	if (!lua_isnoneornil(L, 5)) {
		cf_lmatrix *am = cf_lua_matrix_arg(L, 5);
		luaL_argcheck(L, am->size == n, 5, "a needs one weight per row of M");
		a = am->data;
	}
	if (!lua_isnoneornil(L, 6)) {
		cf_lmatrix *bm = cf_lua_matrix_arg(L, 6);
		luaL_argcheck(L, bm->size == m, 6, "b needs one weight per column of M");
		b = bm->data;
	}
	double tol = luaL_optnumber(L, 7, 1e-9);
	cf_ot_problem p = {n, m, a, b, M->data};
	cf_ot_report rep;
	cf_error err = {0};
	if (cf_ot_check(&p, T->data, u->data, v->data, &rep, &err) != CF_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	lua_createtable(L, 0, 11);
#define SETN(f) (lua_pushnumber(L, rep.f), lua_setfield(L, -2, #f))
	SETN(primal_err);
	SETN(dual_viol);
	SETN(slackness);
	SETN(cost);
	SETN(dual_obj);
	SETN(gap);
	SETN(rel_gap);
	SETN(scale);
	SETN(mass);
#undef SETN
	lua_pushboolean(L, cf_ot_report_optimal(&rep, tol));
	lua_setfield(L, -2, "optimal");
	return 1;
}

static const char *const cost_opts[] = {"metric", "normalize", "direct", NULL};

static int l_cost(lua_State *L)
{
	cf_lmatrix *X = cf_lua_matrix_arg(L, 1);
	cf_lmatrix *Y = cf_lua_matrix_arg(L, 2);
	luaL_argcheck(L, X->ndim == 2, 1, "a 2-dimensional Matrix (one point per row)");
	luaL_argcheck(L, Y->ndim == 2, 2, "a 2-dimensional Matrix (one point per row)");
	if (X->shape[1] != Y->shape[1]) {
		lua_pushfstring(L, "points of %I coordinates, X has %I", (lua_Integer)Y->shape[1],
				(lua_Integer)X->shape[1]);
		return luaL_argerror(L, 2, lua_tostring(L, -1));
	}
	int metric = CF_GROUND_SQEUCLIDEAN, norm = CF_GROUND_NORM_NONE, direct = 0;
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		check_fields(L, 3, cost_opts);
		const char *s = opt_string(L, 3, "metric", "sqeuclidean");
		metric = cf_ground_metric_parse(s);
		if (metric < 0) {
			lua_pushfstring(L, "unknown metric '%s' (sqeuclidean, euclidean, cosine)", s);
			return luaL_argerror(L, 3, lua_tostring(L, -1));
		}
		s = opt_string(L, 3, "normalize", "none");
		norm = cf_ground_norm_parse(s);
		if (norm < 0) {
			lua_pushfstring(L, "unknown normalize '%s' (none, max, median, mean, log1p)", s);
			return luaL_argerror(L, 3, lua_tostring(L, -1));
		}
		lua_getfield(L, 3, "direct");
		direct = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	cf_lmatrix *M = cf_lua_matrix_new2(L, X->shape[0], Y->shape[0]);
	cf_error err = {0};
	double div = 1.0;
	int rc = cf_ground_cost(X->data, X->shape[0], Y->data, Y->shape[0], X->shape[1],
				(cf_ground_metric)metric, direct, M->data, &err);
	if (rc == CF_OK)
		rc = cf_ground_normalize(M->data, M->size, (cf_ground_norm)norm, &div, &err);
	if (rc != CF_OK) {
		lua_pushnil(L);
		lua_pushstring(L, err.msg);
		return 2;
	}
	lua_pushnumber(L, div);
	return 2;
}

static const luaL_Reg ot_fns[] = {{"solve", l_solve}, {"solver", l_solver}, {"check", l_check},
				  {"cost", l_cost},   {NULL, NULL}};

static const cf_lua_doc ot_docs[] = {
	{"solve", "cf.ot.solve(M [, opts]) -> result | nil, msg",
	 "Solve the optimal transport problem with cost matrix M (n×m).\n"
	 "opts: a, b (weights, Matrix or table; uniform when absent or empty {}),\n"
	 "solver =\n"
	 "\"exact\" (default) | \"emd\" | \"assign\" | \"sinkhorn\" | \"sinkhorn-log\" |\n"
	 "\"sinkhorn-eps\" | \"unbalanced\" | \"sinkhorn-sparse\", reg (0.01), reg_scale = \"abs\" | \"max\" |\n"
	 "\"median\", reg_m (1), tol (1e-9), mass_tol, max_iter, time_limit (s),\n"
	 "eps_factor, log_fallback, omega (over-relaxation of sinkhorn-log and\n"
	 "sinkhorn-eps: 0 = adaptive (default), 1 = plain Sinkhorn, or a fixed\n"
	 "value in (0, 2)).  The result table holds plan (Matrix), cost,\n"
	 "u, v (duals), status (\"optimal\", \"converged\", \"limit\", \"failed\"),\n"
	 "solver, iterations, time, reg, message, err (error history) and\n"
	 "marg_err (L1 marginal error of plan, rows + columns).\n"
	 "Bad data (NaN costs; masses of a and b that differ, except for\n"
	 "\"unbalanced\", which relaxes them by reg_m) returns nil, message; Ctrl-C\n"
	 "raises \"interrupted\"."},
	{"solver", "cf.ot.solver(M [, opts]) -> OTSolver | nil, msg",
	 "A solver to run step by step (same options as cf.ot.solve).\n"
	 "s:step(n) runs up to n iterations; s:status(), s:plan(), s:error(),\n"
	 "s:iterations(), s:eps(), s:kernel_size() and s:result() read it."},
	{"check", "cf.ot.check(M, plan, u, v [, a, b [, tol]]) -> report",
	 "The optimality certificate of a plan with duals u, v.\n"
	 "The report holds primal_err, dual_viol, slackness, cost, dual_obj, gap,\n"
	 "rel_gap, scale, mass and optimal (all within tol (1e-9) of scale)."},
	{"cost", "cf.ot.cost(X, Y [, opts]) -> M, divisor",
	 "Ground costs between the rows of X (n×d) and Y (m×d): an n×m Matrix.\n"
	 "opts: metric = \"sqeuclidean\" (default) | \"euclidean\" | \"cosine\";\n"
	 "normalize = \"none\" | \"max\" | \"median\" | \"mean\" | \"log1p\" (the value\n"
	 "divided by is the second result); direct = true for the exact\n"
	 "difference sum instead of GEMM.  Non-finite input returns nil, message."},
	{NULL, NULL, NULL}};

static const luaL_Reg solver_meta[] = {
	{"__gc", s_gc}, {"__close", s_gc}, {"__tostring", s_tostring}, {NULL, NULL}};

static const luaL_Reg solver_methods[] = {
	{"step", s_step},     {"status", s_status}, {"plan", s_plan},     {"error", s_error},
	{"iterations", s_iterations}, {"name", s_name}, {"result", s_result}, {"close", s_gc},
	{"eps", s_eps}, {"kernel_size", s_kernel_size}, {NULL, NULL}};

static const cf_lua_doc solver_docs[] = {
	{"step", "s:step([n]) -> status [, msg]",
	 "Run up to n iterations (1) and return the status name.\n"
	 "\"running\" until finished; Ctrl-C raises \"interrupted\" (the solver stays usable)."},
	{"status", "s:status() -> string", "\"running\", \"optimal\", \"converged\", \"limit\", \"stopped\" or \"failed\"."},
	{"plan", "s:plan() -> T, u, v", "The current plan and duals as matrices (valid at any point)."},
	{"error", "s:error() -> number", "The latest marginal error (entropic), NaN for exact solvers."},
	{"iterations", "s:iterations() -> n", "Iterations (pivot blocks, augmentations) so far."},
	{"eps", "s:eps() -> number",
	 "The current ε (entropic; sinkhorn-eps and sinkhorn-sparse lower it stage\n"
	 "by stage to the target), 0 for exact solvers."},
	{"kernel_size", "s:kernel_size() -> n",
	 "sinkhorn-sparse: entries in its truncated kernel now; -1 for the others."},
	{"name", "s:name() -> string", "The algorithm's name."},
	{"result", "s:result() -> result", "The result table, as cf.ot.solve returns it."},
	{"close", "s:close()", "Free the solver now (also done by the collector and <close>)."},
	{NULL, NULL, NULL}};

int luaopen_cf_ot(lua_State *L)
{
	cf_lua_register_type(L, OT_SOLVER, "an optimal transport solver run step by step",
			     solver_meta, solver_methods, solver_docs);
	return cf_lua_register(L, "ot", "optimal transport: solvers, certificates, ground costs",
			       ot_fns, ot_docs);
}
