/* limit.c — the process-wide size limits (see limit.h). */
#include "limit.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each limit with its default and the largest value it may be raised to:
 * the ceilings keep every derived size inside the int and int64 ranges
 * the engine computes with (a unit's output is indexed with int). */
static const struct limit_def {
	const char *name;
	size_t off;
	int64_t def, ceiling;
} defs[] = {
	{ "units", offsetof(cf_limits, units), 10000, 1000000 },
	{ "blocks", offsetof(cf_limits, blocks), 1000, 1000000 },
	{ "width", offsetof(cf_limits, width), 1 << 20, INT32_MAX },
	{ "params", offsetof(cf_limits, params), (int64_t)1 << 30, (int64_t)1 << 40 },
	{ "activations", offsetof(cf_limits, activations), (int64_t)1 << 29, INT32_MAX },
	{ "data", offsetof(cf_limits, data), (int64_t)1 << 30, (int64_t)1 << 40 },
};
#define NDEFS (sizeof defs / sizeof defs[0])

static int64_t *field(cf_limits *l, const struct limit_def *d)
{
	return (int64_t *)(void *)((char *)l + d->off);
}

void cf_limits_default(cf_limits *l)
{
	for (size_t i = 0; i < NDEFS; i++)
		*field(l, &defs[i]) = defs[i].def;
}

static cf_limits current;
static int current_set;

const cf_limits *cf_limits_get(void)
{
	if (!current_set) {
		cf_limits_default(&current);
		current_set = 1;
	}
	return &current;
}

void cf_limits_set(const cf_limits *l)
{
	current = *l;
	current_set = 1;
}

int cf_limits_parse(const char *spec, cf_limits *l, cf_error *err)
{
	const char *s = spec;
	cf_limits out = *l;

	while (*s) {
		const char *name = s, *eq;
		size_t nlen;
		const struct limit_def *d = NULL;
		int64_t v = 0;
		int digits = 0;

		while (*s && *s != ',')
			s++;
		eq = memchr(name, '=', (size_t)(s - name));
		nlen = eq ? (size_t)(eq - name) : (size_t)(s - name);
		for (size_t i = 0; i < NDEFS; i++)
			if (strlen(defs[i].name) == nlen && !strncmp(defs[i].name, name, nlen))
				d = &defs[i];
		if (!d || !eq)
			return cf_error_set(err, CF_EINVAL,
					    "%s: '%.*s' is not NAME=VALUE with NAME one of units, blocks, width, params, activations, data",
					    CF_LIMITS_ENV, (int)(s - name), name);
		for (const char *q = eq + 1; q < s; q++, digits++) {
			if (!isdigit((unsigned char)*q) || v > d->ceiling) {
				digits = -1;
				break;
			}
			v = v * 10 + (*q - '0');
		}
		if (digits <= 0 || v < 1 || v > d->ceiling)
			return cf_error_set(err, CF_EINVAL,
					    "%s: %s must be an integer from 1 to %lld, not '%.*s'",
					    CF_LIMITS_ENV, d->name, (long long)d->ceiling,
					    (int)(s - eq - 1), eq + 1);
		*field(&out, d) = v;
		if (*s == ',')
			s++;
	}
	*l = out;
	return CF_OK;
}

int cf_limits_refuse(cf_error *err, int code, const char *name, const char *fmt, ...)
{
	char what[CF_ERROR_MSG_MAX];
	int64_t v = 0;
	va_list ap;

	for (size_t i = 0; i < NDEFS; i++)
		if (!strcmp(defs[i].name, name))
			v = *field((cf_limits *)cf_limits_get(), &defs[i]);
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return cf_error_set(err, code, "%s: over the limit %s=%lld (raise it with %s=%s=N)",
			    what, name, (long long)v, CF_LIMITS_ENV, name);
}
