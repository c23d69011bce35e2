/* error.c — recording errors (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

int cf_error_set(cf_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

int cf_error_prefix(cf_error *err, int code, const char *fmt, ...)
{
	char old[CF_ERROR_MSG_MAX];
	va_list ap;
	int len;

	if (!err)
		return code;
	err->code = code;
	memcpy(old, err->msg, sizeof old);
	va_start(ap, fmt);
	len = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	/* Append ": old", truncating whatever does not fit. */
	if (len >= 0 && (size_t)len < sizeof err->msg)
		snprintf(err->msg + len, sizeof err->msg - (size_t)len, ": %.*s",
			 (int)(sizeof err->msg - (size_t)len), old);
	return code;
}

void cf_error_clear(cf_error *err)
{
	if (err) {
		err->code = CF_OK;
		err->msg[0] = '\0';
	}
}

const char *cf_status_name(int code)
{
	switch (code) {
	case CF_OK: return "ok";
	case CF_EINVAL: return "invalid input";
	case CF_ENOMEM: return "out of memory";
	case CF_EIO: return "i/o error";
	case CF_EFORMAT: return "malformed file";
	case CF_ESTOPPED: return "stopped";
	case CF_ELIMIT: return "limit reached";
	case CF_EFAILED: return "failed";
	default: return "unknown status";
	}
}

void cf_error_gsl_off(void)
{
	gsl_set_error_handler_off();
}
