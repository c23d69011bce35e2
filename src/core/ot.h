/* ot.h — discrete optimal transport: exact and entropic solvers.
 *
 * A problem is source weights a (n), target weights b (m) and a cost matrix
 * M (n×m, row-major, double).  Every solver returns a plan T (n×m), its
 * cost Σ T∘M, dual potentials u (n) and v (m), an iteration count and a
 * status.  Solvers follow GSL's INITIALIZE / ITERATE / TEST shape:
 *
 *     cf_ot_solver *s = cf_ot_solver_alloc(CF_OT_EMD, &prob, &par, &err);
 *     while (cf_ot_solver_test(s) == CF_OT_RUNNING)
 *             if (cf_ot_solver_iterate(s, &err)) break;
 *     cf_ot_solver_result(s, &res, &err);
 *     cf_ot_solver_free(s);
 *
 * or in one call cf_ot_solve().  The exact solvers (network simplex,
 * Jonker–Volgenant assignment) run to proven optimality unless an explicit
 * iteration or time limit stops them; cf_ot_check() verifies any plan
 * against its duals.  The entropic solvers never return NaN or Inf: they
 * either converge, stop at a limit with a finite plan, or fail with a
 * reason.  share/doc/ot.md documents the solvers, the statuses, the
 * tolerances and the tie rule.
 */
#ifndef CF_OT_H
#define CF_OT_H

#include <stdint.h>

#include "error.h"
#include "progress.h"

/* Which algorithm. */
typedef enum cf_ot_kind {
	CF_OT_EXACT = 0,      /* assignment if square and uniform, else network simplex */
	CF_OT_EMD,            /* network simplex, any marginals */
	CF_OT_ASSIGN,         /* Jonker–Volgenant; needs n == m and uniform a, b */
	CF_OT_SINKHORN,       /* plain scaling form (kernel K = exp(-M/ε)) */
	CF_OT_SINKHORN_LOG,   /* log-domain, potentials absorbed every half-step */
	CF_OT_SINKHORN_EPS,   /* log-domain with ε-scaling (large ε down to target) */
	CF_OT_UNBALANCED,     /* log-domain, KL-relaxed marginals (parameter reg_m) */
	CF_OT_SINKHORN_SPARSE /* stabilised sparse scaling: ε-scaling with a
	                         truncated sparse kernel (small ε, large n) */
} cf_ot_kind;

#define CF_OT_NKINDS (CF_OT_SINKHORN_SPARSE + 1)

/* Status of a solver or of a result. */
typedef enum cf_ot_status {
	CF_OT_RUNNING = 0,    /* not finished (stepping API only) */
	CF_OT_OPTIMAL,        /* exact solver: proven optimal */
	CF_OT_CONVERGED,      /* entropic solver: stopping criterion met */
	CF_OT_LIMIT,          /* iteration or time limit reached; plan is feasible
	                         (exact) or the last finite iterate (entropic) */
	CF_OT_STOPPED,        /* the progress callback asked to stop */
	CF_OT_FAILED          /* numerical failure; message says why */
} cf_ot_status;

/* How params.reg is interpreted. */
typedef enum cf_ot_reg_scale {
	CF_OT_REG_ABS = 0,    /* ε = reg */
	CF_OT_REG_MAX,        /* ε = reg · max(M) */
	CF_OT_REG_MEDIAN      /* ε = reg · median(M) (lower median) */
} cf_ot_reg_scale;

/* A problem.  a or b may be NULL for uniform weights 1/n (1/m).  The arrays
 * are borrowed: they must outlive any solver built on them. */
typedef struct cf_ot_problem {
	int64_t n, m;
	const double *a, *b, *M;
} cf_ot_problem;

typedef struct cf_ot_params {
	double reg;            /* ε (entropic), see reg_scale; default 0.01 */
	int reg_scale;         /* cf_ot_reg_scale; default CF_OT_REG_ABS */
	double reg_m;          /* KL marginal penalty τ (unbalanced); default 1 */
	double tol;            /* entropic stop: L1 marginal error; default 1e-9 */
	double mass_tol;       /* |Σa − Σb| ≤ mass_tol·max(Σa,Σb); default 1e-9 */
	int64_t max_iter;      /* 0 = none for exact, default 100000 for entropic */
	double time_limit;     /* seconds, 0 = none */
	int log_fallback;      /* plain Sinkhorn: switch to log-domain on underflow
	                          (1, default) or fail (0) */
	double eps_factor;     /* ε-scaling (sinkhorn-eps, sinkhorn-sparse): shrink
	                          factor per stage; default 0.5 */
	double omega;          /* over-relaxation of the balanced log-domain
	                          updates (sinkhorn-log, sinkhorn-eps): 0 =
	                          adaptive (default), 1 = plain Sinkhorn, or a
	                          fixed value in (0, 2) */
	cf_progress progress;  /* optional; asked about once per iteration block */
} cf_ot_params;

/* Fill `p` with the defaults above. */
void cf_ot_params_init(cf_ot_params *p);

typedef struct cf_ot_result {
	int64_t n, m;
	double *plan;          /* n×m row-major, owned */
	double *u, *v;         /* duals (n, m), owned; entropic: potentials f, g */
	double cost;           /* Σ T_ij M_ij */
	double reg;            /* ε actually used (entropic), else 0 */
	int64_t iterations;    /* pivots (simplex), augmentations (assign),
	                          scaling iterations (Sinkhorn) */
	int status;            /* cf_ot_status */
	int kind;              /* cf_ot_kind actually run (EXACT resolves) */
	char message[256];     /* human-readable detail, never empty when done */
	double time;           /* wall-clock seconds spent solving */
	double *err_hist;      /* entropic: error per iteration (owned) */
	int64_t n_err;
	double marg_err;       /* Σ|T1 − a| + Σ|Tᵀ1 − b| of `plan` itself (rows
	                          and columns, L1), whatever the status */
} cf_ot_result;

/* Release the arrays of a result (not the struct itself).  NULL-safe. */
void cf_ot_result_clear(cf_ot_result *r);

/* Check a problem: dimensions ≥ 1, finite costs, finite non-negative
 * weights with positive sums that balance within params->mass_tol (params
 * may be NULL for the default).  Returns CF_OK or CF_EINVAL naming the
 * offending entry. */
int cf_ot_problem_check(const cf_ot_problem *p, const cf_ot_params *params, cf_error *err);

/* The solver type (opaque). */
typedef struct cf_ot_solver cf_ot_solver;

/* INITIALIZE: validate the problem and parameters and set up the solver.
 * Returns NULL on error (err says why: CF_EINVAL, CF_ENOMEM).  The problem's
 * arrays are borrowed (see cf_ot_problem). */
cf_ot_solver *cf_ot_solver_alloc(cf_ot_kind kind, const cf_ot_problem *p,
				 const cf_ot_params *params, cf_error *err);
void cf_ot_solver_free(cf_ot_solver *s);

/* ITERATE: one step — one scaling iteration (Sinkhorn), one augmentation
 * (assignment), or a block of up to n+m pivots (network simplex).  Returns
 * CF_OK, or an error code for a hard failure (then test() is FAILED).  Does
 * nothing once the solver has finished. */
int cf_ot_solver_iterate(cf_ot_solver *s, cf_error *err);

/* TEST: the solver's status; CF_OT_RUNNING until it has finished.  Applies
 * the iteration and time limits. */
int cf_ot_solver_test(cf_ot_solver *s);

/* Current iterate: plan (n×m) into `plan`; duals into u (n), v (m); either
 * may be NULL.  Valid at any point (the assignment solver's plan is the
 * partial matching so far; the simplex's is always feasible). */
void cf_ot_solver_plan(const cf_ot_solver *s, double *plan, double *u, double *v);
int64_t cf_ot_solver_iterations(const cf_ot_solver *s);
/* Latest error (entropic: marginal error; exact: NaN). */
double cf_ot_solver_error(const cf_ot_solver *s);
const char *cf_ot_solver_name(const cf_ot_solver *s);
/* Entropic solvers: the current ε (ε-scaling lowers it stage by stage to
 * the target); exact solvers: 0. */
double cf_ot_solver_eps(const cf_ot_solver *s);
/* sinkhorn-sparse: entries in the current truncated kernel; others: -1. */
int64_t cf_ot_solver_kernel_size(const cf_ot_solver *s);

/* Fill `r` (previous content is overwritten, not freed) with the current
 * plan, duals, cost, status, error history and the plan's own marginal
 * error; a solver stopped by a limit or the caller says that error in its
 * message.  CF_ENOMEM on failure. */
int cf_ot_solver_result(const cf_ot_solver *s, cf_ot_result *r, cf_error *err);

/* One call: alloc, iterate to the end, fill `r`.  Returns CF_OK when a
 * result was produced — also for status LIMIT/STOPPED/FAILED, which the
 * caller reads in r->status (r->message says why); returns CF_EINVAL or
 * CF_ENOMEM with `r` zeroed when no result could be produced. */
int cf_ot_solve(cf_ot_kind kind, const cf_ot_problem *p, const cf_ot_params *params,
		cf_ot_result *r, cf_error *err);

/* Optimality certificate of a plan with duals u, v. */
typedef struct cf_ot_report {
	double primal_err;     /* Σ|T1 − a| + Σ|Tᵀ1 − b| + Σ max(0, −T) */
	double dual_viol;      /* max(0, −min_ij (M_ij − u_i − v_j)) */
	double slackness;      /* Σ T_ij · |M_ij − u_i − v_j| */
	double cost;           /* Σ T∘M */
	double dual_obj;       /* Σ a u + Σ b v */
	double gap;            /* |cost − dual_obj| */
	double rel_gap;        /* gap / max(|cost|, max|M|·Σa, tiny) */
	double scale;          /* max|M|, the yardstick for the tolerances */
	double mass;           /* Σa */
} cf_ot_report;

/* Compute the certificate.  The plan is optimal when primal_err, dual_viol,
 * slackness/Σa and gap are all ≈ 0 relative to `scale`.  Returns CF_EINVAL
 * for a bad problem, else CF_OK. */
int cf_ot_check(const cf_ot_problem *p, const double *plan, const double *u,
		const double *v, cf_ot_report *rep, cf_error *err);

/* 1 when the report certifies optimality within relative tolerance `tol`
 * (e.g. 1e-9): every quantity ≤ tol·scale (primal error ≤ tol·Σa). */
int cf_ot_report_optimal(const cf_ot_report *rep, double tol);

/* Names: "exact", "emd", "assign", "sinkhorn", "sinkhorn-log",
 * "sinkhorn-eps", "unbalanced", "sinkhorn-sparse"; and the status names. */
extern const char *const cf_ot_kind_names[]; /* names.h */
const char *cf_ot_kind_name(int kind);
int cf_ot_kind_parse(const char *name);            /* -1 if unknown */
const char *cf_ot_status_name(int status);

/* Resolve ε from params (absolute or relative to max/median of M).
 * CF_EINVAL when the result is not finite and positive. */
int cf_ot_reg_resolve(const cf_ot_problem *p, const cf_ot_params *params,
		      double *eps, cf_error *err);

#endif
