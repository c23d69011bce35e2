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
 * or a layer); returns err->code.  Does nothing when err is NULL. */
int cf_error_prefix(cf_error *err, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

void cf_error_clear(cf_error *err);

/* Name of a status code, e.g. "invalid input". */
const char *cf_status_name(int code);

/* Progress of long work.  `what` names the work ("epoch 3/10"), `fraction`
 * is in [0,1] or negative when unknown.  Return nonzero to ask the work to
 * stop; it then returns CF_ESTOPPED with its state consistent. */
typedef int (*cf_progress_fn)(void *ud, const char *what, double fraction);

typedef struct cf_progress {
	cf_progress_fn fn;
	void *ud;
} cf_progress;

/* Call the callback if there is one; returns nonzero when asked to stop. */
int cf_progress_report(const cf_progress *p, const char *what, double fraction);

#endif
