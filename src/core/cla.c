/* cla.c — cross-layer alignment (see cla.h).
 *
 * The dynamic program is a line-by-line rendering of share/doc/method.md §3.3 on
 * one block of a cost matrix (row/column offset and leading dimension), so
 * that per-stage alignment runs it on sub-blocks without copying.  The
 * table F is (n+1) × (m+1) doubles, filled in the same order and with the
 * same additions as the reference, because back-tracking relies on exact
 * equality of its entries.
 */
#include "cla.h"
#include "names.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* A block of a row-major cost matrix: entry (i, j) of the block, 0-based. */
typedef struct cla_block {
	const double *C;
	int64_t ldc;
	int row0, col0;
} cla_block;

static inline double cla_cost(const cla_block *b, int i, int j)
{
	return b->C[(int64_t)(b->row0 + i) * b->ldc + b->col0 + j];
}

const char *const cf_cla_method_names[] = { "cla", "chain", "random", NULL };

int cf_cla_method_parse(const char *name, cf_cla_method *out, cf_error *err)
{
	int k = cf_names_find(cf_cla_method_names, name);
	if (k < 0)
		return cf_error_set(err, CF_EINVAL,
				    "unknown mapping type '%s': expected cla, chain or random",
				    name ? name : "(null)");
	*out = (cf_cla_method)k;
	return CF_OK;
}

const char *cf_cla_method_name(cf_cla_method m)
{
	return cf_names_at(cf_cla_method_names, (int)m);
}

cf_cla_params cf_cla_params_default(void)
{
	cf_cla_params p = { CF_CLA_DP, 2, 1, 0 };
	return p;
}

/* Validate sizes and parameters; compute the effective s', f'. */
static int cla_check_params(int m, int n, int s, int f, int *s_eff, int *f_eff, cf_error *err)
{
	if (n < 1)
		return cf_error_set(err, CF_EINVAL,
				    "alignment: model 1 needs at least one layer (n = %d)", n);
	if (m < n)
		return cf_error_set(err, CF_EINVAL,
				    "alignment: model 0 has %d layers but model 1 has %d: model 0 "
				    "must be the deeper model (m >= n)", m, n);
	if (s < 1)
		return cf_error_set(err, CF_EINVAL,
				    "alignment: start layer s = %d out of range: expected s >= 1", s);
	if (f < 0)
		return cf_error_set(err, CF_EINVAL,
				    "alignment: free end layers f = %d out of range: expected f >= 0",
				    f);
	*s_eff = s < n + 1 ? s : n + 1;
	*f_eff = f < n - *s_eff + 1 ? f : n - *s_eff + 1;
	return CF_OK;
}

/* The forced entries: A[k] = k for k < s', A[n−t] = m−t for t < f'. */
static void cla_forced(int m, int n, int s, int f, int *A)
{
	for (int k = 1; k <= n; k++)
		A[k - 1] = 1;
	for (int k = 1; k < s; k++)
		A[k - 1] = k;
	for (int t = 0; t < f; t++)
		A[n - t - 1] = m - t;
}

/* §3.3 on a validated block with effective s, f.  Returns CF_ENOMEM only. */
static int cla_dp(const cla_block *b, int m, int n, int s, int f, int *A)
{
	int64_t w = m + 1;
	double *F;

	cla_forced(m, n, s, f, A);
	if (s > n - f) /* every layer forced */
		return CF_OK;
	F = calloc((size_t)(n + 1) * (size_t)w, sizeof *F);
	if (!F)
		return CF_ENOMEM;
#define FF(k, l) F[(int64_t)(k) * w + (l)]
	/* 1. identity placement of the first k layers */
	for (int k = 1; k <= n; k++)
		FF(k, k) = FF(k - 1, k - 1) + cla_cost(b, k - 1, k - 1);
	/* 2. the forced first s−1 layers stay at identity */
	if (s > 1)
		for (int l = s; l <= m - f; l++)
			FF(s - 1, l) = FF(s - 1, s - 1);
	/* 3. place layer k at l, or not */
	for (int k = s; k <= n - f; k++)
		for (int l = k + 1; l <= m - f; l++) {
			double skip = FF(k, l - 1);
			double take = FF(k - 1, l - 1) + cla_cost(b, l - 1, k - 1);
			FF(k, l) = take < skip ? take : skip;
		}
	/* 4. back-track; exact equality = "layer k is not placed at l" */
	for (int k = n - f, l = m - f; k >= s; k--, l--) {
		while (l >= k + 1 && FF(k, l) == FF(k, l - 1))
			l--;
		A[k - 1] = l;
	}
#undef FF
	free(F);
	return CF_OK;
}

static int cla_check_costs(const cla_block *b, int m, int n, cf_error *err)
{
	if (!b->C)
		return cf_error_set(err, CF_EINVAL, "alignment: no cost matrix given");
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double c = cla_cost(b, i, j);
			if (!isfinite(c))
				return cf_error_set(err, CF_EINVAL,
						    "alignment: cost of model-0 layer %d vs model-1 "
						    "layer %d is %g; costs must be finite", i + 1,
						    j + 1, c);
		}
	return CF_OK;
}

static int cla_align_block(const cla_block *b, int m, int n, int s, int f, int *A,
			   cf_error *err)
{
	int se, fe, rc;

	if ((rc = cla_check_params(m, n, s, f, &se, &fe, err)))
		return rc;
	if ((rc = cla_check_costs(b, m, n, err)))
		return rc;
	if (cla_dp(b, m, n, se, fe, A))
		return cf_error_set(err, CF_ENOMEM, "alignment: out of memory for a %d × %d table",
				    n + 1, m + 1);
	return CF_OK;
}

int cf_cla_align(const double *C, int m, int n, int s, int f, int *map, cf_error *err)
{
	cla_block b = { C, n, 0, 0 };
	int *A, rc;

	if (n < 1 || m < 1)
		return cla_check_params(m, n, s, f, &rc, &rc, err);
	A = malloc((size_t)n * sizeof *A);
	if (!A)
		return cf_error_set(err, CF_ENOMEM, "alignment: out of memory");
	rc = cla_align_block(&b, m, n, s, f, A, err);
	if (!rc)
		memcpy(map, A, (size_t)n * sizeof *A);
	free(A);
	return rc;
}

int cf_cla_chain(int m, int n, int *map, cf_error *err)
{
	int se, fe, rc;

	if ((rc = cla_check_params(m, n, 1, 0, &se, &fe, err)))
		return rc;
	for (int k = 1; k <= n; k++)
		map[k - 1] = k;
	return CF_OK;
}

/* Random map with effective s, f, drawn from rng. */
static void cla_random_draw(gsl_rng *rng, int m, int n, int s, int f, int *A, int *pool)
{
	int kfree = n - f - s + 1, npool = m - f - s + 1;

	cla_forced(m, n, s, f, A);
	if (kfree <= 0)
		return;
	for (int i = 0; i < npool; i++)
		pool[i] = s + i;
	/* gsl_ran_choose keeps the order of the pool: the sample is sorted */
	gsl_ran_choose(rng, A + (s - 1), (size_t)kfree, pool, (size_t)npool, sizeof *pool);
}

int cf_cla_random(int m, int n, int s, int f, uint64_t seed, int *map, cf_error *err)
{
	int se, fe, rc, *pool;
	gsl_rng *rng;

	if ((rc = cla_check_params(m, n, s, f, &se, &fe, err)))
		return rc;
	pool = malloc((size_t)m * sizeof *pool);
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!pool || !rng) {
		free(pool);
		gsl_rng_free(rng);
		return cf_error_set(err, CF_ENOMEM, "random alignment: out of memory");
	}
	gsl_rng_set(rng, (unsigned long)seed);
	cla_random_draw(rng, m, n, se, fe, map, pool);
	gsl_rng_free(rng);
	free(pool);
	return CF_OK;
}

double cf_cla_map_cost(const double *C, int n, const int *map)
{
	double s = 0.0;
	for (int k = 0; k < n; k++)
		s += C[(int64_t)(map[k] - 1) * n + k];
	return s;
}

int cf_cla_map_check(const int *map, int m, int n, cf_error *err)
{
	if (n < 1)
		return cf_error_set(err, CF_EINVAL, "alignment map: empty (n = %d)", n);
	for (int k = 0; k < n; k++) {
		if (map[k] < 1 || map[k] > m)
			return cf_error_set(err, CF_EINVAL,
					    "alignment map: entry %d is %d, expected a model-0 layer "
					    "in 1..%d", k + 1, map[k], m);
		if (k > 0 && map[k] <= map[k - 1])
			return cf_error_set(err, CF_EINVAL,
					    "alignment map: entry %d (%d) does not follow entry %d "
					    "(%d): the map must be strictly increasing", k + 1,
					    map[k], k, map[k - 1]);
	}
	return CF_OK;
}

/* ---- per-stage alignment ----------------------------------------------------- */

int cf_cla_align_stages(const double *C, const int *units0, int nstages0, const int *units1,
			int nstages1, const cf_cla_params *p, int *map, cf_error *err)
{
	cf_cla_params par = p ? *p : cf_cla_params_default();
	int m = 0, n = 0, off0 = 0, off1 = 0, rc = CF_OK;
	int *A = NULL, *pool = NULL;
	gsl_rng *rng = NULL;

	if (nstages0 < 1 || nstages1 < 1)
		return cf_error_set(err, CF_EINVAL,
				    "per-stage alignment: each model needs at least one stage "
				    "(model 0 has %d, model 1 has %d)", nstages0, nstages1);
	if (nstages0 != nstages1)
		return cf_error_set(err, CF_EINVAL,
				    "per-stage alignment: model 0 has %d stages, model 1 has %d: "
				    "the models must have the same number of stages", nstages0,
				    nstages1);
	for (int t = 0; t < nstages0; t++) {
		if (units0[t] < 1 || units1[t] < 1)
			return cf_error_set(err, CF_EINVAL,
					    "stage %d: empty stage (model 0 has %d units, model 1 "
					    "has %d)", t + 1, units0[t], units1[t]);
		if (units1[t] > units0[t])
			return cf_error_set(err, CF_EINVAL,
					    "stage %d: model 1 has %d units but model 0 only %d: "
					    "model 1 must be the shallower model in every stage",
					    t + 1, units1[t], units0[t]);
		m += units0[t];
		n += units1[t];
	}
	if (par.method != CF_CLA_DP && par.method != CF_CLA_CHAIN && par.method != CF_CLA_RANDOM)
		return cf_error_set(err, CF_EINVAL, "per-stage alignment: unknown method %d",
				    (int)par.method);
	if (par.method == CF_CLA_DP && !C)
		return cf_error_set(err, CF_EINVAL,
				    "per-stage alignment: the dynamic program needs a cost matrix");
	A = malloc((size_t)n * sizeof *A);
	if (par.method == CF_CLA_RANDOM) {
		pool = malloc((size_t)m * sizeof *pool);
		rng = gsl_rng_alloc(gsl_rng_mt19937);
	}
	if (!A || (par.method == CF_CLA_RANDOM && (!pool || !rng))) {
		rc = cf_error_set(err, CF_ENOMEM, "per-stage alignment: out of memory");
		goto out;
	}
	if (rng)
		gsl_rng_set(rng, (unsigned long)par.seed);
	for (int t = 0; t < nstages0; t++) {
		int mt = units0[t], nt = units1[t], se, fe, *At = A + off1;
		cla_block b = { C, n, off0, off1 };

		switch (par.method) {
		case CF_CLA_DP:
			rc = cla_align_block(&b, mt, nt, par.s, par.f, At, err);
			break;
		case CF_CLA_CHAIN:
			rc = cf_cla_chain(mt, nt, At, err);
			break;
		default:
			rc = cla_check_params(mt, nt, par.s, par.f, &se, &fe, err);
			if (!rc)
				cla_random_draw(rng, mt, nt, se, fe, At, pool);
			break;
		}
		if (rc) {
			cf_error_prefix(err, rc, "stage %d", t + 1);
			goto out;
		}
		for (int k = 0; k < nt; k++)
			At[k] += off0;
		off0 += mt;
		off1 += nt;
	}
	memcpy(map, A, (size_t)n * sizeof *A);
out:
	free(A);
	free(pool);
	gsl_rng_free(rng);
	return rc;
}

int cf_cla_map_expand(const int *umap, int n_units1, const int *layers0, int m_units0,
		      const int *layers1, int *map, int *n_layers1, cf_error *err)
{
	int *first0, total = 0, rc;

	if (m_units0 < 1)
		return cf_error_set(err, CF_EINVAL, "map expansion: model 0 has no units");
	if ((rc = cf_cla_map_check(umap, m_units0, n_units1, err)))
		return cf_error_prefix(err, rc, "map expansion");
	for (int u = 0; u < m_units0; u++)
		if (layers0[u] < 1)
			return cf_error_set(err, CF_EINVAL,
					    "map expansion: model-0 unit %d has %d weight layers, "
					    "expected at least 1", u + 1, layers0[u]);
	for (int k = 0; k < n_units1; k++) {
		int u = umap[k] - 1;
		if (layers1[k] < 1)
			return cf_error_set(err, CF_EINVAL,
					    "map expansion: model-1 unit %d has %d weight layers, "
					    "expected at least 1", k + 1, layers1[k]);
		if (layers1[k] != layers0[u])
			return cf_error_set(err, CF_EINVAL,
					    "map expansion: model-1 unit %d has %d weight layers but "
					    "its partner, model-0 unit %d, has %d: matched units must "
					    "have the same structure (with ResNets use s >= 2 so that "
					    "the first block of each stage is matched to the first)",
					    k + 1, layers1[k], u + 1, layers0[u]);
	}
	first0 = malloc((size_t)m_units0 * sizeof *first0);
	if (!first0)
		return cf_error_set(err, CF_ENOMEM, "map expansion: out of memory");
	for (int u = 0, acc = 0; u < m_units0; u++) {
		first0[u] = acc + 1;
		acc += layers0[u];
	}
	for (int k = 0; k < n_units1; k++) {
		int u = umap[k] - 1;
		for (int i = 0; i < layers1[k]; i++)
			map[total++] = first0[u] + i;
	}
	free(first0);
	if (n_layers1)
		*n_layers1 = total;
	return CF_OK;
}
