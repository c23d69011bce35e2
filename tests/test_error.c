/* test_error.c — the error record and progress reports: messages and
 * codes recorded, prefixes that pass the status through (also without a
 * record), truncation of long messages, status names, progress callbacks
 * and stop requests, and GSL errors returned instead of aborting. */
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "error.h"
#include "progress.h"
#include "tap.h"

static void test_record(void)
{
	cf_error e = { 0, "" };
	char big[3 * CF_ERROR_MSG_MAX];

	ok(cf_error_set(&e, CF_EFORMAT, "file %s: field %s", "a.csv", "rows") == CF_EFORMAT &&
		   e.code == CF_EFORMAT && !strcmp(e.msg, "file a.csv: field rows"),
	   "set records code and message: %s", e.msg);
	ok(cf_error_set(NULL, CF_EIO, "ignored") == CF_EIO, "set without a record returns the code");
	ok(cf_error_prefix(&e, CF_EFORMAT, "loading %d", 3) == CF_EFORMAT &&
		   !strcmp(e.msg, "loading 3: file a.csv: field rows"),
	   "prefix goes in front: %s", e.msg);
	ok(cf_error_prefix(NULL, CF_ESTOPPED, "layer %d", 2) == CF_ESTOPPED &&
		   cf_error_prefix(NULL, CF_ENOMEM, "x") == CF_ENOMEM,
	   "prefix without a record passes the status through (stopped stays stopped)");
	cf_error_set(&e, CF_ESTOPPED, "stopped at layer 2");
	ok(cf_error_prefix(&e, CF_ESTOPPED, "fusion") == CF_ESTOPPED && e.code == CF_ESTOPPED,
	   "prefix keeps a stop a stop");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cf_error_set(&e, CF_EINVAL, "%s", big);
	ok(strlen(e.msg) == CF_ERROR_MSG_MAX - 1, "a long message is truncated to %d bytes",
	   CF_ERROR_MSG_MAX - 1);
	cf_error_prefix(&e, CF_EINVAL, "%s", big);
	ok(strlen(e.msg) == CF_ERROR_MSG_MAX - 1 && e.msg[0] == 'x',
	   "a long prefix is truncated too, terminated");
	cf_error_set(&e, CF_EIO, "old");
	cf_error_prefix(&e, CF_EIO, "new");
	ok(!strcmp(e.msg, "new: old"), "prefix of a short message: %s", e.msg);
	cf_error_clear(&e);
	ok(e.code == CF_OK && e.msg[0] == '\0', "clear empties the record");
	cf_error_clear(NULL);
}

static void test_names(void)
{
	ok(!strcmp(cf_status_name(CF_OK), "ok") && !strcmp(cf_status_name(CF_EINVAL), "invalid input") &&
		   !strcmp(cf_status_name(CF_ENOMEM), "out of memory") &&
		   !strcmp(cf_status_name(CF_ESTOPPED), "stopped") &&
		   !strcmp(cf_status_name(CF_EFAILED), "failed"),
	   "status names");
	ok(!strcmp(cf_status_name(99), "unknown status") && !strcmp(cf_status_name(-1), "unknown status"),
	   "unknown codes have a name too");
}

typedef struct seen {
	int calls;
	char what[64];
	double fraction;
	int stop_after;
} seen;

static int record(void *ud, const char *what, double fraction)
{
	seen *s = ud;
	s->calls++;
	snprintf(s->what, sizeof s->what, "%s", what);
	s->fraction = fraction;
	return s->calls >= s->stop_after;
}

static void test_progress(void)
{
	seen s = { 0, "", 0, 2 };
	cf_progress p = { record, &s }, none = { NULL, NULL };

	ok(cf_progress_report(NULL, "x", 0.5) == 0 && cf_progress_report(&none, "x", 0.5) == 0,
	   "no callback: never asks to stop");
	ok(cf_progress_report(&p, "epoch 1/4", 0.25) == 0 && s.calls == 1 &&
		   !strcmp(s.what, "epoch 1/4") && s.fraction == 0.25,
	   "callback sees what and fraction");
	ok(cf_progress_report(&p, "epoch 2/4", -1) != 0 && s.fraction == -1,
	   "a callback's nonzero return is a stop request");
}

static void test_gsl(void)
{
	gsl_matrix *a = gsl_matrix_calloc(3, 2);
	gsl_vector *tau = gsl_vector_alloc(1), *norm = gsl_vector_alloc(2);
	gsl_permutation *perm = gsl_permutation_alloc(2);
	int signum, rc;

	cf_error_gsl_off();
	cf_error_gsl_off(); /* idempotent */
	/* tau must have min(3, 2) = 2 entries: with GSL's default handler
	 * this is abort(); switched off, a status */
	rc = gsl_linalg_QRPT_decomp(a, tau, perm, &signum, norm);
	ok(rc == GSL_EBADLEN, "a GSL error returns its status (%d) instead of aborting", rc);
	gsl_matrix_free(a);
	gsl_vector_free(tau);
	gsl_vector_free(norm);
	gsl_permutation_free(perm);
}

int main(void)
{
	test_record();
	test_names();
	test_progress();
	test_gsl();
	return tap_done();
}
