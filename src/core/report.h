/* report.h — the fusion session's report, as text and as JSON.
 *
 * One report of whatever results a session holds: the pair and its
 * alignment maps, the balanced model, a row per fusion layer (pending
 * ones marked), the accuracies, the finetuning and the step times.
 * `clafuse fuse` prints it and writes it with --json; Lua's s:report()
 * returns the text.  The text goes to a caller's stream, as
 * gsl_matrix_fprintf writes, so the core itself still prints nothing.
 */
#ifndef CF_REPORT_H
#define CF_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "session.h"

/* cf_session_report flags */
enum { CF_REPORT_QUIET = 1 }; /* leave out the per-layer table */

/* Write the report to f.  CF_EIO when the stream reports an error. */
int cf_session_report(const cf_session *s, FILE *f, int flags, cf_error *err);

/* The report as a JSON object (a new reference; NULL when out of memory):
 * unit_map, layer_map, balanced_arch (when a model was rebuilt), layers
 * (name, n0, n1, cost, status, solver, iterations, time, solve_time,
 * trace_ratio), parents (file, acc, bn_folded, finetuned_best), the
 * balanced, ensemble, average and fused accuracies, finetune_acc and
 * finetune_best (when finetuned), times (per step) and params (every
 * parameter as text).  Numbers that are not finite are null. */
json_t *cf_session_report_json(const cf_session *s);

#endif
