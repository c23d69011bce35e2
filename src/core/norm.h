/* norm.h — the input normalisation a network expects: per channel, the
 * mean and standard deviation of pixel/255 that its inputs were
 * normalised with (x' = (x - mean) / std), as torchvision's
 * transforms.Normalize states it.
 *
 * A model file carries it in its metadata (CF_NORM_META_KEY) as text,
 * "MEAN/STD" or per channel "M1,M2,M3/S1,S2,S3"; people write the same
 * text on the command line, and "MEAN,STD" for one channel.
 */
#ifndef CF_NORM_H
#define CF_NORM_H

#include <stddef.h>

#include "error.h"

#define CF_NORM_MAXCH 4
#define CF_NORM_META_KEY "clafuse.norm"

typedef struct cf_norm {
	int c; /* channels; 0: not stated */
	float mean[CF_NORM_MAXCH], std[CF_NORM_MAXCH];
} cf_norm;

/* Parse "M/S", "M1,M2,M3/S1,S2,S3" or (one channel) "M,S" into *out.  Every
 * mean finite, every std positive and finite, as many stds as means, at
 * most CF_NORM_MAXCH channels; errors quote the text and say what was
 * expected.  `what` names the source in messages (e.g. "--norm"). */
int cf_norm_parse(const char *text, const char *what, cf_norm *out, cf_error *err);

/* The canonical text ("0.1307/0.3081", shortest round-trip floats) into
 * buf; returns buf.  A norm with c == 0 prints as "". */
char *cf_norm_print(const cf_norm *n, char *buf, size_t len);

/* 1 when a and b state the same channels and values (within float
 * rounding of the printed text: 1e-6 relative). */
int cf_norm_equal(const cf_norm *a, const cf_norm *b);

/* A norm of c channels from arrays (c in 1..CF_NORM_MAXCH). */
void cf_norm_set(cf_norm *n, int c, const float *mean, const float *std);

/* One split of a data set by name (cf_data_load_shared: decoded once per
 * process and cached, released with cf_dataset_free) normalised as `norm`
 * states, or with the data set's own statistics when norm is NULL or
 * states nothing (the data set's mean/std then say which were used).  A
 * statement for another number of channels than the data's is an error
 * that names both. */
struct cf_dataset;
int cf_norm_data_load(const char *spec, int train, const cf_norm *norm,
		      struct cf_dataset **out, cf_error *err);

#endif
