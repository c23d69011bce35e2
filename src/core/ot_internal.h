/* ot_internal.h — what the OT solver files share (not a public header).
 *
 * cf_ot_solver is one struct for every algorithm: the common part (problem,
 * parameters, status, counters, error history, timing) lives here and the
 * algorithm's own state hangs off `impl`, driven through a small table of
 * operations.  ot_problem.c owns the generic stepping logic (limits,
 * progress, timing) so that each algorithm only implements init / one step
 * / current plan.
 */
#ifndef CF_OT_INTERNAL_H
#define CF_OT_INTERNAL_H

#include "ot.h"

/* CF_HOT(flags...) marks a solver's inner loop: compiled twice (AVX2 and
 * baseline, picked at load time) at -O3 with the GCC optimize() flags given
 * at each use.  The flags stay per loop on purpose: each set was checked
 * against that loop's inputs (finite costs), and changing them changes the
 * rounding, so the plans and the golden fused models would change too.
 * Elsewhere (clang, other targets, sanitizer builds) it is nothing. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define CF_HOT(...) __attribute__((target_clones("avx2", "default"), optimize("O3", __VA_ARGS__)))
#else
#define CF_HOT(...)
#endif

struct cf_ot_solver;

struct cf_ot_ops {
	const char *name;
	/* Build impl from s->prob / s->par; CF_OK or error. */
	int (*init)(struct cf_ot_solver *s, cf_error *err);
	/* One step; sets s->status when finished; CF_OK or hard error. */
	int (*iterate)(struct cf_ot_solver *s, cf_error *err);
	/* Current plan / duals, any pointer may be NULL. */
	void (*plan)(const struct cf_ot_solver *s, double *T, double *u, double *v);
	void (*free)(void *impl);
	/* Optional: current ε and kernel size (entropic solvers). */
	void (*stats)(const struct cf_ot_solver *s, double *eps, int64_t *nnz);
};

struct cf_ot_solver {
	int kind;
	const struct cf_ot_ops *ops;
	void *impl;
	cf_ot_problem prob;     /* a, b always non-NULL here (uniform filled in) */
	double *ab_own;         /* storage for filled-in uniform a, b */
	cf_ot_params par;
	double reg;             /* resolved ε (entropic) */
	double cost_max;        /* largest finite cost (entropic), for the progress line */
	int status;
	char message[256];
	int64_t iter;
	double err_now;
	double *hist;
	int64_t n_hist, cap_hist;
	double elapsed;         /* seconds inside init + iterate */
	double start;           /* time when alloc began (for time_limit) */
};

extern const struct cf_ot_ops cf_ot_simplex_ops;
extern const struct cf_ot_ops cf_ot_assign_ops;
extern const struct cf_ot_ops cf_ot_sinkhorn_ops;
extern const struct cf_ot_ops cf_ot_sinkhorn_log_ops;
extern const struct cf_ot_ops cf_ot_sinkhorn_eps_ops;
extern const struct cf_ot_ops cf_ot_unbalanced_ops;
extern const struct cf_ot_ops cf_ot_sinkhorn_sparse_ops;

/* Append to the error history (grows geometrically); CF_ENOMEM on failure. */
int cf_ot_hist_push(struct cf_ot_solver *s, double e);
/* Set status and message (printf-style). */
void cf_ot_finish(struct cf_ot_solver *s, int status, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

#endif
