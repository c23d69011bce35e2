/* vmath.h — sqrt, exp, log, max and min over arrays of doubles, at memory
 * speed.
 *
 * A loop of libm calls runs one value at a time: the compiler cannot
 * vectorise a call that may set errno, and glibc's exp and log have no
 * vector form it may use without fast-math.  These functions evaluate the
 * common case with polynomials written as plain loops the compiler
 * vectorises (AVX-512, AVX2 or the SSE2 every x86-64 has, chosen at run
 * time; other machines get what their compiler makes of the same C), and
 * hand every other value (NaN, infinities, zero, negatives, subnormals,
 * results that overflow or underflow) to libm itself, so special cases
 * behave exactly as libm's.
 *
 * Accuracy, measured against glibc over millions of values by
 * tests/test_vmath.c: sqrt is libm's (correctly rounded, the same bits);
 * exp and log are within 1 ulp of libm (about 2% of exp and 0.3% of log
 * results differ from glibc's, by that 1 ulp).  Results do not depend on
 * the instruction set chosen (no fused multiply-add is used).  errno is
 * not set.
 *
 * y and x must not overlap (y == x is not allowed either).
 */
#ifndef CF_VMATH_H
#define CF_VMATH_H

#include <stddef.h>

void cf_vmath_sqrt(double *restrict y, const double *restrict x, size_t n);
void cf_vmath_exp(double *restrict y, const double *restrict x, size_t n);
void cf_vmath_log(double *restrict y, const double *restrict x, size_t n);

/* The largest (max) or smallest (min) of x[0..n), n >= 1, or NaN when
 * some value is NaN.  Of +0 and -0 either may be returned. */
double cf_vmath_max(const double *x, size_t n);
double cf_vmath_min(const double *x, size_t n);

#endif
