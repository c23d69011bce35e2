/* matfile.h — dense double matrices in files: the cost-matrix format of
 * `clafuse ot` and the workbench's exports (share/doc/ot.md).
 *
 * Two forms, told apart by content on reading and by the file name on
 * writing: text (rows of numbers separated by commas, spaces, tabs or
 * semicolons; '#' starts a comment; every row the same length) and binary
 * ("CFMAT001", rows and columns as little-endian uint64, then rows·cols
 * little-endian IEEE doubles, row-major).  Writes are atomic.
 */
#ifndef CF_MATFILE_H
#define CF_MATFILE_H

#include <stdint.h>

#include "error.h"

#define CF_MATFILE_MAGIC "CFMAT001"

/* Read a matrix; on success *out (malloc'd, caller frees) holds rows·cols
 * values.  Errors name the file, the line and what was expected. */
int cf_matfile_read(const char *path, double **out, int64_t *rows, int64_t *cols,
		    cf_error *err);

/* Write a matrix: binary when path ends in ".bin", text (17 significant
 * digits, comma-separated) otherwise.  Atomic: a temporary file in the same
 * directory is renamed over path; on failure path is untouched. */
int cf_matfile_write(const char *path, const double *a, int64_t rows, int64_t cols,
		     cf_error *err);

#endif
