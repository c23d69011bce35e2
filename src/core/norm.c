/* norm.c — input normalisation statements (see norm.h). */
#include "norm.h"
#include "data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to CF_NORM_MAXCH numbers separated by commas from s[0..len); the
 * count, or -1 when a number is malformed or there are too many. */
static int numbers(const char *s, size_t len, float *out)
{
	int n = 0;
	const char *p = s, *end = s + len;

	while (p < end) {
		char buf[64], *e;
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t k = (size_t)((comma ? comma : end) - p);
		double v;
		if (n == CF_NORM_MAXCH || k == 0 || k >= sizeof buf)
			return -1;
		memcpy(buf, p, k);
		buf[k] = '\0';
		errno = 0;
		v = strtod(buf, &e);
		if (errno || e == buf || *e)
			return -1;
		out[n++] = (float)v;
		p = comma ? comma + 1 : end;
		if (comma && p == end)
			return -1; /* trailing comma */
	}
	return n;
}

int cf_norm_parse(const char *text, const char *what, cf_norm *out, cf_error *err)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	float m[CF_NORM_MAXCH], s[CF_NORM_MAXCH];
	int nm, ns;

	memset(out, 0, sizeof *out);
	if (!text || !*text)
		return cf_error_set(err, CF_EINVAL, "%s: empty normalisation, expected MEAN,STD or "
				    "M1,M2,../S1,S2,..", what);
	if (slash) {
		nm = numbers(text, (size_t)(slash - text), m);
		ns = numbers(slash + 1, strlen(slash + 1), s);
	} else {
		float both[CF_NORM_MAXCH] = {0};
		nm = numbers(text, strlen(text), both) == 2 ? 1 : -1;
		ns = nm;
		m[0] = both[0];
		s[0] = both[1];
	}
	if (nm < 1 || ns < 1 || nm != ns)
		return cf_error_set(err, CF_EINVAL,
				    "%s: '%s' is not a normalisation, expected MEAN,STD or per channel "
				    "M1,M2,../S1,S2,.. (as many stds as means, at most %d channels)",
				    what, text, CF_NORM_MAXCH);
	for (int c = 0; c < nm; c++) {
		if (!isfinite(m[c]))
			return cf_error_set(err, CF_EINVAL, "%s: mean of channel %d is %g, expected a "
					    "finite number", what, c, m[c]);
		if (!(s[c] > 0) || !isfinite(s[c]))
			return cf_error_set(err, CF_EINVAL, "%s: std of channel %d is %g, expected a "
					    "positive number", what, c, s[c]);
	}
	cf_norm_set(out, nm, m, s);
	return CF_OK;
}

/* The shortest %g text that reads back as the same float. */
static int shortest(char *buf, size_t len, float v)
{
	int w = 0;
	for (int prec = 1; prec <= 9; prec++) {
		w = snprintf(buf, len, "%.*g", prec, (double)v);
		if (strtof(buf, NULL) == v)
			break;
	}
	return w;
}

char *cf_norm_print(const cf_norm *n, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (int pass = 0; pass < 2 && n->c > 0; pass++) {
		const float *v = pass ? n->std : n->mean;
		for (int c = 0; c < n->c && used + 1 < len; c++) {
			char num[32];
			shortest(num, sizeof num, v[c]);
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 c ? "," : pass ? "/" : "", num);
			if (used >= len)
				used = len - 1;
		}
	}
	return buf;
}

static int close_to(float a, float b)
{
	return fabsf(a - b) <= 1e-6f * fmaxf(fabsf(a), fabsf(b));
}

int cf_norm_equal(const cf_norm *a, const cf_norm *b)
{
	if (a->c != b->c)
		return 0;
	for (int c = 0; c < a->c; c++)
		if (!close_to(a->mean[c], b->mean[c]) || !close_to(a->std[c], b->std[c]))
			return 0;
	return 1;
}

void cf_norm_set(cf_norm *n, int c, const float *mean, const float *std)
{
	memset(n, 0, sizeof *n);
	if (c < 1 || c > CF_NORM_MAXCH)
		return;
	n->c = c;
	for (int k = 0; k < c; k++) {
		n->mean[k] = mean[k];
		n->std[k] = std[k];
	}
}

int cf_norm_data_load(const char *spec, int train, const cf_norm *norm, cf_dataset **out,
		      cf_error *err)
{
	float mean[CF_DATA_MAXCH], std[CF_DATA_MAXCH];
	char text[160];
	int rc;

	*out = NULL;
	if (!norm || !norm->c)
		return cf_data_load_shared(spec, train, NULL, NULL, out, err);
	for (int c = 0; c < CF_DATA_MAXCH; c++) { /* channels past the statement: harmless */
		mean[c] = c < norm->c ? norm->mean[c] : 0.0f;
		std[c] = c < norm->c ? norm->std[c] : 1.0f;
	}
	if ((rc = cf_data_load_shared(spec, train, mean, std, out, err)))
		return rc;
	if ((*out)->c != norm->c) {
		rc = cf_error_set(err, CF_EINVAL,
				  "data set %s has %d channel%s but the input normalisation %s states %d",
				  (*out)->name, (*out)->c, (*out)->c == 1 ? "" : "s",
				  cf_norm_print(norm, text, sizeof text), norm->c);
		cf_dataset_free(*out);
		*out = NULL;
	}
	return rc;
}
