/* checked.h — overflow-checked size arithmetic for sizes that come from
 * input (file headers, architecture text, shapes).
 *
 * Each helper stores the exact result and returns 0, or returns 1 when the
 * result does not fit (the stored value is then meaningless).  Chains stay
 * readable: `if (cf_mul3(c, h, w, &n) || n > limit) refuse`.  Values are
 * int64_t throughout: every count in clafuse fits one when it is sane, and
 * a negative input is refused by cf_size_ok so that a wrapped unsigned
 * field never passes as a small positive one.
 */
#ifndef CF_CHECKED_H
#define CF_CHECKED_H

#include <stddef.h>
#include <stdint.h>

static inline int cf_mul(int64_t a, int64_t b, int64_t *r)
{
	return __builtin_mul_overflow(a, b, r);
}

static inline int cf_add(int64_t a, int64_t b, int64_t *r)
{
	return __builtin_add_overflow(a, b, r);
}

static inline int cf_mul3(int64_t a, int64_t b, int64_t c, int64_t *r)
{
	int64_t t;
	return cf_mul(a, b, &t) || cf_mul(t, c, r);
}

/* *acc += a·b */
static inline int cf_muladd(int64_t *acc, int64_t a, int64_t b)
{
	int64_t t;
	return cf_mul(a, b, &t) || cf_add(*acc, t, acc);
}

/* Bytes for n elements of `size` bytes each, as a size_t for malloc:
 * 1 when n is negative or the product does not fit. */
static inline int cf_bytes(int64_t n, size_t size, size_t *r)
{
	if (n < 0)
		return 1;
	return __builtin_mul_overflow((uint64_t)n, size, r);
}

/* 0 <= v <= max */
static inline int cf_size_ok(int64_t v, int64_t max)
{
	return v >= 0 && v <= max;
}

#endif
