/* error.h — the one error path of the core library.
 *
 * Every fallible core function takes a `cf_error *` (which may be NULL) and
 * returns a status: CF_OK (0) or one of the codes below.  On failure the
 * record holds a message a person can act on, naming the file, field or
 * parameter and what was expected.  Core code never prints or exits; the
 * front ends decide how to show the message.  All errors go through
 * cf_error_set, so a breakpoint there catches every one of them.
 */
#ifndef CF_ERROR_H
#define CF_ERROR_H

#include <stddef.h>

enum cf_status {
	CF_OK = 0,
	CF_EINVAL,   /* bad argument or bad input value */
	CF_ENOMEM,   /* allocation failed */
	CF_EIO,      /* file could not be opened, read or written */
	CF_EFORMAT,  /* a file's content is malformed */
	CF_ESTOPPED, /* the progress callback asked the work to stop */
	CF_ELIMIT,   /* an iteration or time limit was reached */
	CF_EFAILED   /* a numerical method failed (message says why) */
};

#define CF_ERROR_MSG_MAX 512

typedef struct cf_error {
	int code;
	char msg[CF_ERROR_MSG_MAX];
} cf_error;

/* Record an error (printf-style message) and return `code`, so that callers
 * can write `return cf_error_set(err, CF_EINVAL, "...")`.  `err` may be NULL. */
int cf_error_set(cf_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Put `prefix: ` in front of an already recorded message (e.g. a file name
 * or a layer) and return `code`, the status being passed up, so that
 * `return cf_error_prefix(err, rc, "layer %d", l)` keeps a stop a stop and
 * an out-of-memory an out-of-memory.  `err` may be NULL. */
int cf_error_prefix(cf_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

void cf_error_clear(cf_error *err);

/* Name of a status code, e.g. "invalid input". */
const char *cf_status_name(int code);

/* GSL reports errors through a process-wide handler whose default aborts
 * the program.  The core checks every GSL status itself and turns it into
 * a cf_error, so it switches that handler off: every front end calls this
 * once at start, and the core's entry points that call GSL routines which
 * report through the handler call it too.  Idempotent. */
void cf_error_gsl_off(void);

#endif
