/* fuzz_matfile.c — a cost file from a stranger: CSV or CFMAT bytes → the
 * matrix reader → every solver (uniform marginals, small sizes, bounded
 * iterations).  A refused file has a one-line message; a solved problem
 * never reports a non-finite cost or plan entry as a result
 * (share/doc/ot.md). */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "matfile.h"
#include "ot.h"

#define MAX_SIDE 8

static void solve_all(const double *M, int64_t n, int64_t m)
{
	static const cf_ot_kind kinds[] = {
		CF_OT_EXACT, CF_OT_EMD, CF_OT_ASSIGN, CF_OT_SINKHORN, CF_OT_SINKHORN_LOG,
		CF_OT_SINKHORN_EPS, CF_OT_UNBALANCED
	};
	cf_ot_problem p = { n, m, NULL, NULL, M };
	cf_ot_params par;
	cf_error err = { 0, "" };

	if (cf_ot_problem_check(&p, NULL, &err))
		return;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		cf_ot_result r;
		memset(&r, 0, sizeof r);
		cf_ot_params_init(&par);
		par.max_iter = 2000;
		if (kinds[k] == CF_OT_ASSIGN && n != m)
			continue;
		if (cf_ot_solve(kinds[k], &p, &par, &r, &err) != CF_OK)
			continue;
		if (r.status == CF_OT_OPTIMAL || r.status == CF_OT_CONVERGED || r.status == CF_OT_LIMIT) {
			FUZZ_CHECK(isfinite(r.cost), "%s: status %s with cost %g (%s)",
				   cf_ot_kind_name(kinds[k]), cf_ot_status_name(r.status), r.cost, r.message);
			for (int64_t i = 0; i < n * m; i++)
				FUZZ_CHECK(isfinite(r.plan[i]), "%s: plan entry %lld is %g",
					   cf_ot_kind_name(kinds[k]), (long long)i, r.plan[i]);
		}
		cf_ot_result_clear(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("costs", data, size);
	double *M = NULL;
	int64_t n = 0, m = 0;
	cf_error err = { 0, "" };

	fuzz_small_limits();
	if (cf_matfile_read(path, &M, &n, &m, &err)) {
		/* (messages quote the offending text, which may itself say "-nan") */
		FUZZ_CHECK(M == NULL && err.msg[0] && !strchr(err.msg, '\n'), "message \"%s\"", err.msg);
		return 0;
	}
	FUZZ_CHECK(n >= 1 && m >= 1, "%lldx%lld matrix", (long long)n, (long long)m);
	if (n <= MAX_SIDE && m <= MAX_SIDE)
		solve_all(M, n, m);
	free(M);
	return 0;
}
