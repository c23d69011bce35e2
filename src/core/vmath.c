/* vmath.c — vectorisable sqrt, exp, log, max and min over arrays (vmath.h).
 *
 * Each function walks the array in blocks of BLOCK values.  A block is
 * first computed by a branch-free loop that is right for the common case
 * (exp: |x| <= 708; log: x a positive normal number) and that notes
 * whether any value fell outside it; only then are those values redone
 * with libm, one by one, while the block is still in the L1 cache.  The
 * fast loop must stay free of anything that is undefined for the other
 * values (no double to integer conversion: exponents are moved with bit
 * operations on uint64_t), since it computes them too before they are
 * replaced.
 *
 * exp(x) = 2^k · exp(r), k = round(x / ln 2), r = x - k·ln 2 in
 * [-ln2/2, ln2/2] (ln 2 split in two parts so that k·LN2_HI is exact),
 * and exp(r) by its Taylor series to degree 13 (truncation below 2^-57
 * on that interval), evaluated by Estrin's scheme.  2^k is built in the
 * exponent field: k stays within [-1021, 1021] on the fast range, so
 * 2^k and the product are normal.  The bits lost in rounding r and
 * 1 + r are carried to the last addition (nearly correct rounding).
 *
 * log(x) = e·ln 2 + log(1 + f) with x = 2^e · (1 + f), 1 + f in
 * [sqrt(1/2), sqrt(2)); with s = f / (2 + f), log(1 + f) = 2 atanh(s) =
 * f - (f²/2 - s·(f²/2 + R)), R = 2s²/3 + 2s⁴/5 + ... (Taylor, ten
 * terms, |s| < 0.172).  Written this way the large part f is exact and
 * the rounding errors sit in the small correction; e·ln 2 + f - f²/2 is
 * kept as a sum of two doubles until the last addition.
 *
 * max and min: a plain maximum loop the compiler vectorises (see
 * CF_VEC_MAX), with NaN detected in the bits.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vmath.h"

/* No fused multiply-add: the error analysis above assumes separate
 * roundings, and every machine should give the same bits.  GCC in ISO C
 * mode does not contract; clang does unless told. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
	!defined(__SANITIZE_ADDRESS__)
/* One clone per vector width, picked by the CPU at load time.  (sqrt
 * vectorises only under -fno-math-errno, which Makefile.am gives this
 * file: as an optimize attribute GCC does not honour it for builtins.) */
#define CF_VEC __attribute__((target_clones("avx512f", "avx2", "default"), optimize("O3")))
#elif defined(__GNUC__) && !defined(__clang__)
#define CF_VEC __attribute__((optimize("O3")))
#else
#define CF_VEC
#endif

/* For max and min: with these two flags GCC treats `x > m ? x : m` as a
 * maximum it may vectorise.  NaN is looked for in the bits, which the
 * flags cannot touch, and a block with a NaN is answered NaN; which zero
 * a maximum of +0 and -0 returns does not matter to the callers. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
	!defined(__SANITIZE_ADDRESS__)
#define CF_VEC_MAX __attribute__((target_clones("avx512f", "avx2", "default"), \
				  optimize("O3", "finite-math-only", "no-signed-zeros")))
#elif defined(__GNUC__) && !defined(__clang__)
#define CF_VEC_MAX __attribute__((optimize("O3", "finite-math-only", "no-signed-zeros")))
#else
#define CF_VEC_MAX
#endif

enum { BLOCK = 1024 };

/* The double whose bits are u, and back (memcpy: no aliasing questions;
 * the compiler turns it into a register move). */
#define AS_DOUBLE(d, u) memcpy(&(d), &(u), sizeof(d))
#define AS_BITS(u, d) memcpy(&(u), &(d), sizeof(u))

/* ---- sqrt ------------------------------------------------------------------- */

CF_VEC void cf_vmath_sqrt(double *restrict y, const double *restrict x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = sqrt(x[i]);
}

/* ---- exp -------------------------------------------------------------------- */

#define EXP_FAST_MAX 708.0
#define EXP_FAST_MAX_BITS UINT64_C(0x4086200000000000) /* 708.0 */
#define ABS_BITS UINT64_C(0x7fffffffffffffff)
#define INV_LN2 1.4426950408889634     /* 1 / ln 2 */
#define LN2_HI 6.93147180369123816490e-01 /* ln 2, 32 leading bits: k·LN2_HI exact */
#define LN2_LO 1.90821492927058770002e-10 /* ln 2 - LN2_HI */
#define ROUND_SHIFT 6755399441055744.0  /* 1.5·2^52: t + it rounds t to an integer */

/* The fast loops flag the values libm must redo in the top bit of an
 * integer: a comparison of doubles would need a mask to integer
 * conversion that SSE2 lacks, and these adds vectorise everywhere. */

/* The fast loop over one block; nonzero when some x needs libm. */
CF_VEC static uint64_t exp_block(double *restrict y, const double *restrict x, size_t n)
{
	const double shift = ROUND_SHIFT;
	uint64_t shift_bits, bad = 0;
	AS_BITS(shift_bits, shift);
	for (size_t i = 0; i < n; i++) {
		double v = x[i];
		double t = v * INV_LN2 + shift;
		double k = t - shift;
		double r_hi = v - k * LN2_HI, c = k * LN2_LO; /* r_hi exact */
		double r = r_hi - c;
		double dr = (r_hi - r) - c; /* what rounding r lost */
		/* q = 1/2! + r/3! + ... + r^11/13!, by Estrin's scheme: pairs,
		 * then pairs of pairs, so the chain of dependent operations
		 * is 5 deep instead of 11 (the loop is latency-bound) */
		double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
		double p0 = 1.0 / 2 + r * (1.0 / 6), p1 = 1.0 / 24 + r * (1.0 / 120);
		double p2 = 1.0 / 720 + r * (1.0 / 5040), p3 = 1.0 / 40320 + r * (1.0 / 362880);
		double p4 = 1.0 / 3628800 + r * (1.0 / 39916800);
		double p5 = 1.0 / 479001600 + r * (1.0 / 6227020800.0);
		double q = (p0 + r2 * p1) + r4 * (p2 + r2 * p3) + r8 * (p4 + r2 * p5);
		/* 1 + r as a sum of two doubles (s1 + e1, exactly), so that
		 * the one rounding that matters is the last addition */
		double s1 = 1.0 + r, e1 = (1.0 - s1) + r;
		double p = s1 + (e1 + (r2 * q + (dr + dr * r)));
		/* the low bits of t hold k (two's complement); k + 1023 is the
		 * biased exponent of 2^k */
		uint64_t tb, sb, vb;
		AS_BITS(tb, t);
		sb = (tb - shift_bits + 1023) << 52;
		double scale;
		AS_DOUBLE(scale, sb);
		y[i] = p * scale;
		/* |v| > 708 or NaN: |v|'s bits above 708's carry into bit 63 */
		AS_BITS(vb, v);
		bad |= (vb & ABS_BITS) + (ABS_BITS - EXP_FAST_MAX_BITS);
	}
	return bad >> 63;
}

void cf_vmath_exp(double *restrict y, const double *restrict x, size_t n)
{
	for (size_t i = 0; i < n; i += BLOCK) {
		size_t m = n - i < BLOCK ? n - i : BLOCK;
		if (exp_block(y + i, x + i, m))
			for (size_t j = i; j < i + m; j++)
				if (!(fabs(x[j]) <= EXP_FAST_MAX))
					y[j] = exp(x[j]);
	}
}

/* ---- log -------------------------------------------------------------------- */

#define SQRT_HALF_BITS UINT64_C(0x3fe6a09e667f3bcd) /* sqrt(1/2) */
#define DBL_MIN_BITS UINT64_C(0x0010000000000000)

CF_VEC static uint64_t log_block(double *restrict y, const double *restrict x, size_t n)
{
	const uint64_t one_p52 = UINT64_C(0x4330000000000000); /* 2^52 */
	uint64_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		double v = x[i];
		uint64_t ix, mb, eb;
		AS_BITS(ix, v);
		/* e: the exponent that puts the mantissa into [sqrt(1/2),
		 * sqrt(2)), in the top 12 bits of tmp as two's complement */
		uint64_t tmp = ix - SQRT_HALF_BITS;
		mb = ix - (tmp & UINT64_C(0xfff0000000000000));
		double m, de;
		AS_DOUBLE(m, mb);
		/* e as a double without an integer conversion (AVX2 has none
		 * for 64 bits): 2^52 + (e + 2048), less 2^52 + 2048 */
		eb = one_p52 | ((tmp >> 52) ^ 0x800);
		AS_DOUBLE(de, eb);
		de -= 0x1p52 + 2048.0;
		double f = m - 1.0; /* exact (Sterbenz) */
		double s = f / (2.0 + f);
		double z = s * s;
		/* R = z·(2/3 + 2z/5 + ... + 2z^9/21), by Estrin's scheme (as
		 * in exp) */
		double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
		double R = ((2.0 / 3 + z * (2.0 / 5)) + z2 * (2.0 / 7 + z * (2.0 / 9))) +
			   z4 * ((2.0 / 11 + z * (2.0 / 13)) + z2 * (2.0 / 15 + z * (2.0 / 17))) +
			   z8 * (2.0 / 19 + z * (2.0 / 21));
		R *= z;
		/* f²/2 = h1 + h2 with h1 exact: f's leading 26 bits fh square
		 * exactly, fh·fl (26 + 27 bits) too; only fl²/2 rounds */
		uint64_t fb;
		AS_BITS(fb, f);
		fb &= UINT64_C(0xfffffffff8000000);
		double fh, fl;
		AS_DOUBLE(fh, fb);
		fl = f - fh;
		double h1 = 0.5 * fh * fh, h2 = fh * fl + 0.5 * fl * fl;
		double hfsq = h1 + h2;
		/* e·LN2_HI + f - h1 as a sum of two doubles (each step adds a
		 * smaller term to a larger one, so the error is exact), so
		 * that the one rounding that matters is the last addition */
		double a = de * LN2_HI, hi = a + f, lo = f - (hi - a);
		double hi2 = hi - h1, lo2 = (hi - hi2) - h1;
		y[i] = hi2 + ((lo + lo2) - (h2 - (s * (hfsq + R) + de * LN2_LO)));
		/* not in [DBL_MIN, DBL_MAX] (negative, zero, subnormal, inf,
		 * NaN): u = ix - bits(DBL_MIN) is at least 0x7fe0...0 unsigned;
		 * bit 63 of u or, short of that, of u + 2^53 says so */
		uint64_t u = ix - DBL_MIN_BITS;
		bad |= u | (u + (UINT64_C(1) << 53));
	}
	return bad >> 63;
}

void cf_vmath_log(double *restrict y, const double *restrict x, size_t n)
{
	for (size_t i = 0; i < n; i += BLOCK) {
		size_t m = n - i < BLOCK ? n - i : BLOCK;
		if (log_block(y + i, x + i, m))
			for (size_t j = i; j < i + m; j++)
				if (!(x[j] >= DBL_MIN && x[j] <= DBL_MAX))
					y[j] = log(x[j]);
	}
}

/* ---- max, min --------------------------------------------------------------- */

#define INF_BITS UINT64_C(0x7ff0000000000000)

/* The best of x[0..n) by `better`; *nan gets bit 63 set when some x is
 * NaN (|x|'s bits above infinity's carry into it). */
#define BEST_LOOP(name, better)                                                         \
	CF_VEC_MAX static double name(const double *restrict x, size_t n, uint64_t *nan) \
	{                                                                               \
		double m = x[0];                                                        \
		uint64_t bad = 0;                                                       \
		for (size_t i = 0; i < n; i++) {                                        \
			double v = x[i];                                                \
			uint64_t vb;                                                    \
			AS_BITS(vb, v);                                                 \
			m = v better m ? v : m;                                         \
			bad |= (vb & ABS_BITS) + (ABS_BITS - INF_BITS);                 \
		}                                                                       \
		*nan = bad;                                                             \
		return m;                                                               \
	}
BEST_LOOP(max_loop, >)
BEST_LOOP(min_loop, <)
#undef BEST_LOOP

double cf_vmath_max(const double *x, size_t n)
{
	uint64_t nan;
	double m = max_loop(x, n, &nan);
	return nan >> 63 ? NAN : m;
}

double cf_vmath_min(const double *x, size_t n)
{
	uint64_t nan;
	double m = min_loop(x, n, &nan);
	return nan >> 63 ? NAN : m;
}
