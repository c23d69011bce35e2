/* test_vmath.c — the array sqrt, exp and log against libm (and max and
 * min against a plain loop): millions of
 * values (uniform on the fast ranges, random exponents over the whole
 * double range, values next to the rounding boundaries of the
 * reductions) with the special cases mixed in mid-block; the largest
 * distance in ulp is reported and must stay within the bound vmath.h
 * states.  Non-finite results and zeros must be exactly libm's; short
 * arrays must not be written past their end. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmath.h"

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd64(void) /* xorshift64*: fixed sequence, no dependence */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static double uniform(double lo, double hi)
{
	return lo + (hi - lo) * (double)(rnd64() >> 11) * 0x1p-53;
}

static double from_bits(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* Position of a finite double on the line of all doubles, so that
 * neighbours differ by 1 (and -0 and +0 coincide). */
static int64_t ordinal(double d)
{
	int64_t i;
	memcpy(&i, &d, sizeof i);
	return i < 0 ? -(i & INT64_MAX) : i;
}

typedef struct {
	double max_ulp, worst_x; /* largest distance and where */
	long off;                /* finite results that differ from libm's */
	long mismatches;         /* special results that differ from libm's */
	double bad_x;
} score;

static void compare(score *s, const double *x, const double *got, size_t n, double (*ref)(double))
{
	for (size_t i = 0; i < n; i++) {
		double want = ref(x[i]), g = got[i];
		if (isnan(want) || !isfinite(want) || want == 0 || !isfinite(g)) {
			int same = isnan(want) ? isnan(g) : (g == want && signbit(g) == signbit(want));
			if (!same) {
				if (!s->mismatches)
					s->bad_x = x[i];
				s->mismatches++;
			}
			continue;
		}
		double d = fabs((double)(ordinal(g) - ordinal(want)));
		s->off += d > 0;
		if (d > s->max_ulp) {
			s->max_ulp = d;
			s->worst_x = x[i];
		}
	}
}

static void run(const char *name, void (*fn)(double *restrict, const double *restrict, size_t),
		double (*ref)(double), const double *x, size_t n, double bound)
{
	double *y = malloc(n * sizeof *y);
	score s = {0, 0, 0, 0, 0};
	if (!y) {
		ok(0, "%s: no memory for %zu values", name, n);
		return;
	}
	fn(y, x, n);
	compare(&s, x, y, n, ref);
	tap_diag("%s: %zu values, largest distance from libm %.0f ulp (at x = %.17g), "
		 "%.2f%% differ", name, n, s.max_ulp, s.worst_x, 100.0 * (double)s.off / (double)n);
	ok(s.max_ulp <= bound, "%s within %.0f ulp of libm", name, bound);
	ok(s.mismatches == 0, "%s: NaN, infinities and zeros as libm's (%ld differ, first at %.17g)",
	   name, s.mismatches, s.bad_x);
	free(y);
}

static const double specials[] = {
	0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN, -NAN, DBL_MIN, -DBL_MIN, DBL_MAX,
	-DBL_MAX, DBL_TRUE_MIN, -DBL_TRUE_MIN, 0x1p-1050, -0x1p-1050, 0x0.fffffffffffffp-1022,
	708.0, -708.0, 708.0000000001, -708.0000000001, 709.782712893384, 709.7827128933841,
	710.0, -745.1332191019411, -745.1332191019412, -740.0, -720.0, 1e300, -1e300, 0.5, 2.0,
	1.4142135623730951, 0.7071067811865476, 1 + 0x1p-52, 1 - 0x1p-53,
};

/* n values: the specials scattered over the array, the rest from gen. */
static double *values(size_t n, double (*gen)(size_t i))
{
	double *x = malloc(n * sizeof *x);
	size_t nspec = sizeof specials / sizeof specials[0];
	if (!x)
		return NULL;
	for (size_t i = 0; i < n; i++)
		x[i] = gen(i);
	for (size_t k = 0; k < nspec && k * 997 + 513 < n; k++)
		x[k * 997 + 513] = specials[k];
	return x;
}

static double gen_exp(size_t i)
{
	switch (i % 5) {
	case 0: return uniform(-708, 708);
	case 1: return uniform(-1, 1);
	case 2: { /* either side of a rounding boundary of k = round(x/ln2) */
		double b = ((double)(int64_t)(rnd64() % 2043) - 1021 + 0.5) * 0.6931471805599453;
		return b + (double)((int64_t)(rnd64() % 9) - 4) * 0x1p-44 * fabs(b);
	}
	case 3: { /* random magnitude 2^-1074 .. 2^11, either sign */
		double m = ldexp(1 + uniform(0, 1), (int)(rnd64() % 1085) - 1074);
		return rnd64() & 1 ? -m : m;
	}
	default: return uniform(-760, 760);
	}
}

static double gen_log(size_t i)
{
	switch (i % 4) {
	case 0: return from_bits(rnd64() >> 1); /* any positive double, NaN and inf included */
	case 1: return uniform(0.5, 2);
	case 2: return 1 + (rnd64() & 1 ? 1 : -1) * ldexp(uniform(1, 2), -(int)(rnd64() % 60));
	default: return from_bits(rnd64()); /* any double: negatives give NaN */
	}
}

static double gen_any(size_t i)
{
	(void)i;
	return from_bits(rnd64());
}

/* Every length up to 40 (vector tails) and around the block size: the
 * values as libm's (within the bound) and nothing written past the end. */
static void test_lengths(void)
{
	enum { MAX = 2100 };
	static double x[MAX], y[MAX + 1];
	int bad = 0;
	for (size_t i = 0; i < MAX; i++)
		x[i] = i % 7 == 3 ? -1.0 : uniform(0.1, 3); /* -1: libm's path amid fast ones */
	static const size_t longer[] = {1023, 1024, 1025, 2047, 2048, 2049, MAX};
	void (*fns[3])(double *restrict, const double *restrict, size_t) = {
		cf_vmath_sqrt, cf_vmath_exp, cf_vmath_log};
	double (*refs[3])(double) = {sqrt, exp, log};
	for (size_t t = 0; t < 41 + sizeof longer / sizeof longer[0]; t++) {
		size_t n = t < 41 ? t : longer[t - 41];
		for (int f = 0; f < 3; f++) {
			y[n] = 12345.0;
			fns[f](y, x, n);
			if (y[n] != 12345.0)
				bad++;
			for (size_t i = 0; i < n; i++) {
				double want = refs[f](x[i]);
				if (isnan(want) ? !isnan(y[i])
						: fabs((double)(ordinal(y[i]) - ordinal(want))) > 1)
					bad++;
			}
		}
	}
	ok(bad == 0, "lengths 0..40 and around the block: right values, no write past the end (%d wrong)",
	   bad);
}

/* Each special value alone among fast-range values, at either end of a
 * block and inside one: the one value libm must redo is noticed. */
static void test_alone(void)
{
	enum { N = 3000 };
	static double x[N], y[N];
	static const size_t at[] = {0, 1, 7, 1023, 1024, 1500, N - 1};
	void (*fns[3])(double *restrict, const double *restrict, size_t) = {
		cf_vmath_sqrt, cf_vmath_exp, cf_vmath_log};
	double (*refs[3])(double) = {sqrt, exp, log};
	const char *names[3] = {"sqrt", "exp", "log"};
	for (int f = 0; f < 3; f++) {
		int bad = 0;
		for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
			for (size_t a = 0; a < sizeof at / sizeof at[0]; a++) {
				for (size_t i = 0; i < N; i++)
					x[i] = uniform(0.5, 2);
				x[at[a]] = specials[k];
				fns[f](y, x, N);
				for (size_t i = 0; i < N; i++) {
					double want = refs[f](x[i]);
					if (isnan(want) ? !isnan(y[i])
							: !isfinite(want) || want == 0
							? y[i] != want
							: fabs((double)(ordinal(y[i]) - ordinal(want))) > 1) {
						if (!bad)
							tap_diag("%s(%.17g) at %zu: %.17g, libm %.17g", names[f],
								 x[i], i, y[i], want);
						bad++;
					}
				}
			}
		ok(bad == 0, "%s: each special value alone in a block as libm's (%d wrong)", names[f],
		   bad);
	}
}

/* max and min against a plain loop: random values with NaN, infinities
 * and zeros of both signs placed here and there, every length to 70. */
static void test_max_min(void)
{
	enum { N = 70 };
	static const double odd[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, DBL_MAX, -DBL_MAX};
	double x[N];
	int bad = 0, trials = 0;
	for (int round = 0; round < 400; round++)
		for (size_t n = 1; n <= N; n++) {
			for (size_t i = 0; i < n; i++)
				x[i] = uniform(-5, 5);
			if (round % 2) /* one or two odd values somewhere */
				for (int k = 0; k < 1 + round % 3; k++)
					x[rnd64() % n] = odd[rnd64() % (sizeof odd / sizeof odd[0])];
			double hi = x[0], lo = x[0];
			int nan = 0;
			for (size_t i = 0; i < n; i++) {
				nan |= isnan(x[i]);
				hi = x[i] > hi ? x[i] : hi;
				lo = x[i] < lo ? x[i] : lo;
			}
			double gh = cf_vmath_max(x, n), gl = cf_vmath_min(x, n);
			trials++;
			if (nan ? !isnan(gh) || !isnan(gl) : gh != hi || gl != lo) {
				if (!bad)
					tap_diag("n %zu: max %g min %g, want %g %g", n, gh, gl,
						 nan ? NAN : hi, nan ? NAN : lo);
				bad++;
			}
		}
	ok(bad == 0, "max and min of %d arrays as a plain loop's, NaN when one is NaN (%d wrong)",
	   trials, bad);
}

int main(void)
{
	enum { N = 1 << 22 };
	double *x;

	x = values(N, gen_exp);
	if (x)
		run("exp", cf_vmath_exp, exp, x, N, 1);
	free(x);
	x = values(N, gen_log);
	if (x)
		run("log", cf_vmath_log, log, x, N, 1);
	free(x);
	x = values(N, gen_any);
	if (x)
		run("sqrt", cf_vmath_sqrt, sqrt, x, N, 0);
	free(x);
	test_lengths();
	test_alone();
	test_max_min();
	return tap_done();
}
