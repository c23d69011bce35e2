/* test_cla.c — cross-layer alignment: every worked example of ALGORITHM.md
 * §3.3, a brute-force optimality check of the dynamic program, the chain and
 * random baselines, per-stage alignment with the structural maps of §3.5
 * and §9, and the error paths.  All maps are written 1-based, as in the
 * document. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cla.h"
#include "similarity.h"
#include "tap.h"

static void fmt_map(char *buf, size_t sz, const int *a, int n)
{
	size_t o = 0;
	o += (size_t)snprintf(buf + o, sz - o, "[");
	for (int i = 0; i < n && o < sz; i++)
		o += (size_t)snprintf(buf + o, sz - o, "%s%d", i ? "," : "", a[i]);
	if (o < sz)
		snprintf(buf + o, sz - o, "]");
}

static int is_map(const int *got, const int *want, int n, const char *what)
{
	char g[256], w[256];
	int same = memcmp(got, want, (size_t)n * sizeof *got) == 0;
	fmt_map(g, sizeof g, got, n);
	fmt_map(w, sizeof w, want, n);
	if (!same)
		tap_diag("%s: got %s, want %s", what, g, w);
	return ok(same, "%s -> %s", what, g);
}

/* ALGORITHM.md §3.3 worked example (rows = model 0). */
static const double C53[5 * 3] = {
	0.6, 0.9, 0.9,
	0.1, 0.8, 0.9,
	0.7, 0.2, 0.9,
	0.9, 0.6, 0.3,
	0.9, 0.9, 0.5,
};

static void test_worked_example(void)
{
	struct { int s, f; int want[3]; } cases[] = {
		{ 1, 0, { 2, 3, 4 } },
		{ 1, 1, { 2, 3, 5 } },
		{ 2, 0, { 1, 3, 4 } },
		{ 2, 1, { 1, 3, 5 } },
	};
	char what[96];
	int map[3];

	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		cf_error err = { 0, "" };
		int rc = cf_cla_align(C53, 5, 3, cases[c].s, cases[c].f, map, &err);
		snprintf(what, sizeof what, "§3.3 example s=%d f=%d", cases[c].s, cases[c].f);
		ok(rc == CF_OK, "%s runs (%s)", what, err.msg);
		is_map(map, cases[c].want, 3, what);
	}
	cf_cla_align(C53, 5, 3, 1, 0, map, NULL);
	is_double(cf_cla_map_cost(C53, 3, map), 0.6, 1e-12, "§3.3 s=1 f=0 total cost 0.6");
	cf_cla_align(C53, 5, 3, 2, 0, map, NULL);
	/* F[3][5] = 1.1 includes the forced C[1][1] = 0.6 (row F[1][·] = 0.6) */
	is_double(cf_cla_map_cost(C53, 3, map), 1.1, 1e-12, "§3.3 s=2 f=0 total cost F[3][5] = 1.1");
}

static void test_tie_example(void)
{
	static const double C[5 * 3] = {
		0.0, 0.9, 0.9,
		0.5, 0.3, 0.9,
		0.5, 0.3, 0.9,
		0.9, 0.3, 0.4,
		0.9, 0.9, 0.4,
	};
	static const int want0[3] = { 1, 2, 4 }, want1[3] = { 1, 2, 5 };
	int map[3];

	ok(cf_cla_align(C, 5, 3, 1, 0, map, NULL) == CF_OK, "tie example s=1 f=0 runs");
	is_map(map, want0, 3, "tie example s=1 f=0 (smallest admissible rows)");
	ok(cf_cla_align(C, 5, 3, 1, 1, map, NULL) == CF_OK, "tie example s=1 f=1 runs");
	is_map(map, want1, 3, "tie example s=1 f=1");
}

static void test_exact_equality(void)
{
	/* 0.1 + 0.2 = 0.30000000000000004 > 0.3: not a tie under exact equality */
	double a = 0.1, b = 0.2;
	double C1[2] = { 0.3, a + b }, C2[2] = { a + b, 0.3 };
	int map[1], one = 1, two = 2;

	cf_cla_align(C1, 2, 1, 1, 0, map, NULL);
	is_map(map, &one, 1, "exact equality: C = [0.3; 0.1+0.2] picks row 1 (cheaper)");
	cf_cla_align(C2, 2, 1, 1, 0, map, NULL);
	is_map(map, &two, 1, "exact equality: C = [0.1+0.2; 0.3] picks row 2 (1 ulp cheaper)");
}

static void test_mlp_example(void)
{
	static const double x[5] = { 400, 200, 100, 50, 25 }, y[3] = { 400, 200, 100 };
	static const int want_f0[3] = { 1, 2, 3 }, want_f1[3] = { 1, 2, 5 };
	double C[15];
	int map[3];
	char what[96];

	ok(cf_sim_euclidean_costs(x, 5, y, 3, C, NULL) == CF_OK, "MLP neuron costs built");
	is_double(C[4 * 3 + 2], 75.0 * 75.0, 0, "MLP cost (25 - 100)^2 = 5625");
	for (int s = 1; s <= 2; s++)
		for (int f = 0; f <= 1; f++) {
			snprintf(what, sizeof what, "MLP 400-200-100-50-25 vs 400-200-100 s=%d f=%d",
				 s, f);
			cf_cla_align(C, 5, 3, s, f, map, NULL);
			is_map(map, f ? want_f1 : want_f0, 3, what);
		}
}

static void test_small_cases(void)
{
	static const double col[4] = { 0.5, 0.1, 0.3, 0.2 };
	int map[4], w;
	double one = 7.0;

	cf_cla_align(col, 4, 1, 2, 1, map, NULL);
	w = 1;
	is_map(map, &w, 1, "n=1 s=2 f=1 -> [1] (start layer wins, as the reference)");
	cf_cla_align(col, 4, 1, 2, 0, map, NULL);
	is_map(map, &w, 1, "n=1 s=2 f=0 -> [1]");
	cf_cla_align(col, 4, 1, 1, 0, map, NULL);
	w = 2;
	is_map(map, &w, 1, "n=1 s=1 f=0 -> [2] (argmin of the column)");
	cf_cla_align(col, 4, 1, 1, 1, map, NULL);
	w = 4;
	is_map(map, &w, 1, "n=1 s=1 f=1 -> [4] (free end honoured)");
	cf_cla_align(&one, 1, 1, 2, 1, map, NULL);
	w = 1;
	is_map(map, &w, 1, "m=n=1 -> [1]");

	/* m == n: only the identity is strictly increasing */
	{
		double C[16];
		static const int id[4] = { 1, 2, 3, 4 };
		for (int i = 0; i < 16; i++)
			C[i] = (double)((i * 7) % 5) / 4.0; /* diagonal not the cheapest */
		for (int s = 1; s <= 3; s++)
			for (int f = 0; f <= 2; f++) {
				char what[64];
				snprintf(what, sizeof what, "m=n=4 s=%d f=%d -> identity", s, f);
				cf_cla_align(C, 4, 4, s, f, map, NULL);
				is_map(map, id, 4, what);
			}
	}
	/* s − 1 + f > n: the start wins, the end fills what is left */
	{
		static const int want[2] = { 1, 2 }, want2[2] = { 1, 5 };
		double C[10] = { 0 };
		cf_cla_align(C, 5, 2, 3, 1, map, NULL);
		is_map(map, want, 2, "n=2 s=3 f=1: both layers forced by the start");
		cf_cla_align(C, 5, 2, 2, 3, map, NULL);
		is_map(map, want2, 2, "n=2 s=2 f=3: f clamped to 1");
	}
}

/* Brute force: minimum of Σ_k C[A_k−1][k−1] over valid maps with the
 * forced entries of effective s, f. */
static double brute(const double *C, int m, int n, int s, int f, int k, int prev, int *A)
{
	double best = INFINITY;
	if (k > n) {
		double c = 0;
		for (int j = 0; j < n; j++)
			c += C[(A[j] - 1) * n + j];
		return c;
	}
	for (int l = prev + 1; l <= m - (n - k); l++) {
		if (k < s && l != k)
			continue;
		if (k > n - f && l != m - (n - k))
			continue;
		A[k - 1] = l;
		double c = brute(C, m, n, s, f, k + 1, l, A);
		if (c < best)
			best = c;
	}
	return best;
}

static void test_brute_force(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int bad = 0, cases = 0, invalid = 0;
	double worst = 0;

	gsl_rng_set(r, 11);
	for (int trial = 0; trial < 60; trial++) {
		int m = 1 + (int)gsl_rng_uniform_int(r, 8);
		int n = 1 + (int)gsl_rng_uniform_int(r, (unsigned long)m);
		double C[64];
		int A[8], tmp[8];
		for (int i = 0; i < m * n; i++)
			C[i] = gsl_rng_uniform(r);
		for (int s = 1; s <= n + 1; s++)
			for (int f = 0; s - 1 + f <= n; f++) {
				double want = brute(C, m, n, s, f, 1, 0, tmp), got;
				if (cf_cla_align(C, m, n, s, f, A, NULL) != CF_OK ||
				    cf_cla_map_check(A, m, n, NULL) != CF_OK) {
					invalid++;
					continue;
				}
				for (int k = 1; k < s; k++)
					invalid += A[k - 1] != k;
				for (int t = 0; t < f; t++)
					invalid += A[n - 1 - t] != m - t;
				got = cf_cla_map_cost(C, n, A);
				if (fabs(got - want) > 1e-12)
					bad++;
				if (fabs(got - want) > worst)
					worst = fabs(got - want);
				cases++;
			}
	}
	ok(invalid == 0, "DP maps are valid and honour forced entries (%d cases)", cases);
	ok(bad == 0 && cases > 200,
	   "DP cost equals brute-force optimum in %d random cases (max diff %.3g)", cases, worst);
	gsl_rng_free(r);
}

static void test_bad_input(void)
{
	cf_error err;
	int map[3] = { -7, -7, -7 }, rc;
	double Cn[15];

	rc = cf_cla_align(C53, 2, 3, 1, 0, map, &err);
	ok(rc == CF_EINVAL && strstr(err.msg, "deeper"), "m < n rejected: %s", err.msg);
	rc = cf_cla_align(C53, 5, 3, 0, 0, map, &err);
	ok(rc == CF_EINVAL && strstr(err.msg, "s = 0"), "s = 0 rejected: %s", err.msg);
	rc = cf_cla_align(C53, 5, 3, 1, -1, map, &err);
	ok(rc == CF_EINVAL && strstr(err.msg, "f = -1"), "f = -1 rejected: %s", err.msg);
	rc = cf_cla_align(C53, 5, 0, 1, 0, map, &err);
	ok(rc == CF_EINVAL, "n = 0 rejected: %s", err.msg);
	memcpy(Cn, C53, sizeof Cn);
	Cn[3 * 3 + 1] = NAN;
	rc = cf_cla_align(Cn, 5, 3, 2, 1, map, &err);
	ok(rc == CF_EINVAL && strstr(err.msg, "model-0 layer 4 vs model-1 layer 2"),
	   "NaN cost rejected: %s", err.msg);
	Cn[3 * 3 + 1] = INFINITY;
	rc = cf_cla_align(Cn, 5, 3, 2, 1, map, &err);
	ok(rc == CF_EINVAL, "infinite cost rejected: %s", err.msg);
	ok(map[0] == -7 && map[1] == -7 && map[2] == -7, "map untouched on errors");
	ok(cf_cla_chain(2, 3, map, &err) == CF_EINVAL, "chain with m < n rejected");
	ok(cf_cla_random(5, 3, 0, 0, 1, map, &err) == CF_EINVAL, "random with s = 0 rejected");
	{
		int bad[3] = { 1, 3, 3 };
		rc = cf_cla_map_check(bad, 5, 3, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "entry 3"), "map check: %s", err.msg);
		bad[2] = 6;
		rc = cf_cla_map_check(bad, 5, 3, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "1..5"), "map check: %s", err.msg);
	}
	{
		cf_cla_method mt;
		ok(cf_cla_method_parse("random", &mt, NULL) == CF_OK && mt == CF_CLA_RANDOM &&
		   strcmp(cf_cla_method_name(mt), "random") == 0, "method names round-trip");
		rc = cf_cla_method_parse("greedy", &mt, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "cla, chain or random"),
		   "unknown method: %s", err.msg);
	}
}

static void test_baselines(void)
{
	static const int chain5[5] = { 1, 2, 3, 4, 5 };
	int map[5], a[4], b[4], distinct = 0, invalid = 0, count[11] = { 0 };

	ok(cf_cla_chain(8, 5, map, NULL) == CF_OK, "chain runs");
	is_map(map, chain5, 5, "chain m=8 n=5");

	cf_cla_random(10, 4, 2, 1, 42, a, NULL);
	cf_cla_random(10, 4, 2, 1, 42, b, NULL);
	is_map(b, a, 4, "random: same seed, same map");
	for (unsigned s = 1; s <= 20; s++) {
		cf_cla_random(10, 4, 2, 1, s, b, NULL);
		distinct += memcmp(a, b, sizeof a) != 0;
	}
	ok(distinct >= 10, "random: other seeds give other maps (%d of 20 differ)", distinct);
	for (unsigned s = 0; s < 800; s++) {
		cf_cla_random(10, 4, 2, 1, 1000 + s, b, NULL);
		invalid += cf_cla_map_check(b, 10, 4, NULL) != CF_OK;
		invalid += b[0] != 1 || b[3] != 10;
		invalid += b[1] < 2 || b[2] > 9;
		count[b[1]]++;
		count[b[2]]++;
	}
	ok(invalid == 0, "random m=10 n=4 s=2 f=1: 800 maps strictly increasing, A1=1, A4=10");
	{
		/* each of 2..9 is in the 2-subset with probability 1/4: 200 of 800 */
		int lo = 800, hi = 0;
		for (int v = 2; v <= 9; v++) {
			lo = count[v] < lo ? count[v] : lo;
			hi = count[v] > hi ? count[v] : hi;
		}
		ok(lo >= 150 && hi <= 250,
		   "random: free entries uniform over 2..9 (counts %d..%d, expected 200)", lo, hi);
	}
	/* f = 0 (the reference's behaviour): last entry free */
	{
		int seen_last_free = 0;
		for (unsigned s = 0; s < 50; s++) {
			cf_cla_random(10, 4, 2, 0, s, b, NULL);
			invalid += b[0] != 1 || cf_cla_map_check(b, 10, 4, NULL) != CF_OK;
			seen_last_free += b[3] != 10;
		}
		ok(invalid == 0 && seen_last_free > 0,
		   "random f=0: valid, last entry not forced (%d of 50 not at 10)", seen_last_free);
	}
}

/* Unit cost matrix for per-stage tests: random, fixed seed. */
static double *random_costs(int m, int n, unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	double *C = malloc((size_t)(m * n) * sizeof *C);
	gsl_rng_set(r, seed);
	for (int i = 0; i < m * n; i++)
		C[i] = gsl_rng_uniform(r);
	gsl_rng_free(r);
	return C;
}

static void check_stages(const char *name, const int *u0, const int *u1, int ns,
			 const int *want)
{
	cf_cla_params p = cf_cla_params_default();
	int m = 0, n = 0, map[64];
	char what[128];

	for (int t = 0; t < ns; t++) {
		m += u0[t];
		n += u1[t];
	}
	for (unsigned long seed = 1; seed <= 3; seed++) {
		double *C = random_costs(m, n, seed);
		cf_error err = { 0, "" };
		int rc = cf_cla_align_stages(C, u0, ns, u1, ns, &p, map, &err);
		snprintf(what, sizeof what, "%s s=2 f=1, random costs #%lu", name, seed);
		if (rc)
			tap_diag("%s", err.msg);
		is_map(map, want, n, what);
		free(C);
	}
	p.method = CF_CLA_RANDOM;
	p.seed = 5;
	cf_cla_align_stages(NULL, u0, ns, u1, ns, &p, map, NULL);
	snprintf(what, sizeof what, "%s random baseline (all entries forced)", name);
	is_map(map, want, n, what);
}

static void test_structural_maps(void)
{
	/* VGG chunks between max-pools (conv layers per chunk) */
	static const int vgg11[5] = { 1, 1, 2, 2, 2 }, vgg13[5] = { 2, 2, 2, 2, 2 };
	static const int vgg16[5] = { 2, 2, 3, 3, 3 }, vgg19[5] = { 2, 2, 4, 4, 4 };
	static const int w13_11[8] = { 1, 3, 5, 6, 7, 8, 9, 10 };
	static const int w16_11[8] = { 1, 3, 5, 7, 8, 10, 11, 13 };
	static const int w19_13[10] = { 1, 2, 3, 4, 5, 8, 9, 12, 13, 16 };

	check_stages("VGG13(doub) <- VGG11(half)", vgg13, vgg11, 5, w13_11);
	check_stages("VGG16 <- VGG11", vgg16, vgg11, 5, w16_11);
	check_stages("VGG19 <- VGG13", vgg19, vgg13, 5, w19_13);

	/* ResNet: the stem is a stage of one unit, then 4 stages of blocks;
	 * weight layers per block: 2, or 3 for the first block of stages 2–4 */
	{
		static const int r34_units[5] = { 1, 3, 4, 6, 3 }, r18_units[5] = { 1, 2, 2, 2, 2 };
		static const int r34_layers[17] = { 1, 2, 2, 2, 3, 2, 2, 2, 3, 2, 2, 2, 2, 2, 3, 2, 2 };
		static const int r18_layers[9] = { 1, 2, 2, 3, 2, 3, 2, 3, 2 };
		static const int want_units[9] = { 1, 2, 4, 5, 8, 9, 14, 15, 17 };
		static const int want[20] = { 1, 2, 3, 6, 7, 8, 9, 10, 15, 16, 17, 18, 19,
					      28, 29, 30, 31, 32, 35, 36 };
		cf_cla_params p = cf_cla_params_default();
		double *C = random_costs(17, 9, 77);
		int umap[9], lmap[20], nl = 0;
		cf_error err = { 0, "" };

		ok(cf_cla_align_stages(C, r34_units, 5, r18_units, 5, &p, umap, &err) == CF_OK,
		   "ResNet34 <- ResNet18 block-level alignment runs (%s)", err.msg);
		is_map(umap, want_units, 9, "ResNet34 <- ResNet18 unit map");
		int rc = cf_cla_map_expand(umap, 9, r34_layers, 17, r18_layers, lmap, &nl, &err);
		ok(rc == CF_OK && nl == 20, "ResNet map expands to %d weight layers", nl);
		is_map(lmap, want, 20, "ResNet34 <- ResNet18 weight-layer map (§9)");
		free(C);

		/* s = 1 lets a 3-layer first block meet a 2-layer block: guarded */
		p.s = 1;
		C = malloc(17 * 9 * sizeof *C);
		for (int i = 0; i < 17 * 9; i++)
			C[i] = 1.0;
		C[(5) * 9 + 3] = 0.0; /* model-0 unit 6 (stage 2, block 2) vs model-1 unit 4 */
		rc = cf_cla_align_stages(C, r34_units, 5, r18_units, 5, &p, umap, &err);
		ok(rc == CF_OK && umap[3] == 6,
		   "s=1: stage-2 first block of ResNet18 placed at ResNet34 unit %d", umap[3]);
		ok(cf_cla_map_expand(umap, 9, r34_layers, 17, r18_layers, lmap, &nl, &err) ==
			   CF_EINVAL &&
			   strstr(err.msg, "model-1 unit 4 has 3 weight layers but its partner, "
					   "model-0 unit 6, has 2"),
		   "mismatched block structure rejected: %s", err.msg);
		free(C);
	}
	/* MLP: one stage, identical to the plain DP */
	{
		static const double x[5] = { 400, 200, 100, 50, 25 }, y[3] = { 400, 200, 100 };
		static const int want[3] = { 1, 2, 5 }, one[1] = { 5 }, three[1] = { 3 };
		cf_cla_params p = cf_cla_params_default();
		double C[15];
		int map[3], l0[5] = { 1, 1, 1, 1, 1 }, l1[3] = { 1, 1, 1 }, lm[3];
		cf_sim_euclidean_costs(x, 5, y, 3, C, NULL);
		cf_cla_align_stages(C, one, 1, three, 1, &p, map, NULL);
		is_map(map, want, 3, "MLP as one stage");
		cf_cla_map_expand(map, 3, l0, 5, l1, lm, NULL, NULL);
		is_map(lm, want, 3, "one-layer units expand to themselves");
	}
	/* Per-stage DP equals the DP on each diagonal block, offset */
	{
		static const int u0[2] = { 4, 5 }, u1[2] = { 2, 3 };
		cf_cla_params p = { CF_CLA_DP, 1, 0, 0 };
		double *C = random_costs(9, 5, 3), B1[8], B2[15];
		int map[5], a1[2], a2[3], want[5];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 2; j++)
				B1[i * 2 + j] = C[i * 5 + j];
		for (int i = 0; i < 5; i++)
			for (int j = 0; j < 3; j++)
				B2[i * 3 + j] = C[(4 + i) * 5 + 2 + j];
		cf_cla_align(B1, 4, 2, 1, 0, a1, NULL);
		cf_cla_align(B2, 5, 3, 1, 0, a2, NULL);
		want[0] = a1[0];
		want[1] = a1[1];
		want[2] = a2[0] + 4;
		want[3] = a2[1] + 4;
		want[4] = a2[2] + 4;
		cf_cla_align_stages(C, u0, 2, u1, 2, &p, map, NULL);
		is_map(map, want, 5, "two stages = DP per diagonal block + offsets (s=1 f=0)");
		free(C);
	}
}

static void test_stage_errors(void)
{
	static const int a[5] = { 2, 2, 3, 2, 2 }, b[5] = { 1, 1, 4, 2, 2 }, b4[4] = { 1, 1, 2, 2 };
	cf_cla_params p = cf_cla_params_default();
	cf_error err;
	double *C = random_costs(11, 10, 9);
	int map[10] = { 0 }, rc;

	rc = cf_cla_align_stages(C, a, 5, b4, 4, &p, map, &err);
	ok(rc == CF_EINVAL && strstr(err.msg, "model 0 has 5 stages, model 1 has 4"),
	   "stage counts differ: %s", err.msg);
	rc = cf_cla_align_stages(C, a, 5, b, 5, &p, map, &err);
	ok(rc == CF_EINVAL && strstr(err.msg, "stage 3: model 1 has 4 units but model 0 only 3"),
	   "longer model-1 stage: %s", err.msg);
	ok(map[0] == 0, "map untouched on stage errors");
	{
		static const int c0[2] = { 3, 3 }, c1[2] = { 2, 2 };
		double Cs[24]; /* m = 6, n = 4 */
		for (int i = 0; i < 24; i++)
			Cs[i] = 0.5;
		Cs[4 * 4 + 3] = NAN; /* model-0 unit 5 vs model-1 unit 4: stage 2 */
		rc = cf_cla_align_stages(Cs, c0, 2, c1, 2, &p, map, &err);
		ok(rc == CF_EINVAL && strncmp(err.msg, "stage 2: ", 9) == 0 &&
			   strstr(err.msg, "model-0 layer 2 vs model-1 layer 2"),
		   "NaN inside stage 2 reported with the stage: %s", err.msg);
		Cs[4 * 4 + 3] = 0.5;
		Cs[0 * 4 + 3] = NAN; /* across stages: ignored */
		rc = cf_cla_align_stages(Cs, c0, 2, c1, 2, &p, map, &err);
		ok(rc == CF_OK, "entries across stages are ignored");
		rc = cf_cla_align_stages(NULL, c0, 2, c1, 2, &p, map, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "needs a cost matrix"), "no C: %s", err.msg);
		p.f = -2;
		rc = cf_cla_align_stages(Cs, c0, 2, c1, 2, &p, map, &err);
		ok(rc == CF_EINVAL && strstr(err.msg, "stage 1: alignment: free end layers f = -2"),
		   "bad f named with its stage: %s", err.msg);
	}
	free(C);
}

int main(void)
{
	test_worked_example();
	test_tie_example();
	test_exact_equality();
	test_mlp_example();
	test_small_cases();
	test_brute_force();
	test_bad_input();
	test_baselines();
	test_structural_maps();
	test_stage_errors();
	return tap_done();
}
