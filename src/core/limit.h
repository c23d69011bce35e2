/* limit.h — how large an input may make clafuse's work and memory.
 *
 * Files from strangers name their own sizes: an architecture text can ask
 * for three million residual blocks, a data file header for 2^31 images.
 * Every size that comes from input is compared with these limits before
 * anything is allocated, and a refusal names the limit and how to raise
 * it.  The defaults cover every network and data set clafuse is meant for
 * (VGG/ResNet on 224×224 inputs, MNIST- and CIFAR-sized data) with room
 * to spare; people with larger ones raise them in CLAFUSE_LIMITS, which
 * the front end reads once at start-up (share/doc/reliability.md).
 *
 * The limits are process-wide: set them before building networks or
 * loading data, not while other threads do.
 */
#ifndef CF_LIMIT_H
#define CF_LIMIT_H

#include <stdint.h>

#include "error.h"

/* The environment variable the front ends read, e.g.
 * CLAFUSE_LIMITS="params=2000000000,activations=500000000". */
#define CF_LIMITS_ENV "CLAFUSE_LIMITS"

typedef struct cf_limits {
	int64_t units;        /* units of an architecture (a residual block is one) */
	int64_t blocks;       /* residual blocks of an architecture */
	int64_t width;        /* outputs of one unit (features or channels) */
	int64_t params;       /* parameter and buffer values of a network */
	int64_t activations;  /* values per sample: the input, the sum of every
			       * unit's outputs, and one conv's im2col columns */
	int64_t data;         /* values of a data set (samples × C × H × W) */
} cf_limits;

/* The limits in force (the defaults until cf_limits_set). */
const cf_limits *cf_limits_get(void);
void cf_limits_set(const cf_limits *l);
/* The defaults. */
void cf_limits_default(cf_limits *l);

/* Apply "name=value,name=value" (names as in the struct, values positive
 * decimal integers up to each limit's ceiling) on top of *l.  Errors
 * (CF_EINVAL) name the entry and the allowed names or range. */
int cf_limits_parse(const char *spec, cf_limits *l, cf_error *err);

/* Record a refusal: the printf-style text, then ": over the limit
 * NAME=VALUE (raise it with CLAFUSE_LIMITS=NAME=N)"; returns code. */
int cf_limits_refuse(cf_error *err, int code, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

#endif
