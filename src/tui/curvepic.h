/* curvepic.h — a curve (such as the finetuning accuracy per epoch) as a
 * picture for slides and papers, SVG or PNG by the file's name: the points
 * y[0..n) at x = 1..n joined by a line, each marked, the axes numbered at
 * their ends (the y range padded to round numbers) and named, a title.
 * Written through the atomic writer (core/outfile.h).  Curses-free.
 */
#ifndef CF_TUI_CURVEPIC_H
#define CF_TUI_CURVEPIC_H

#include "core/error.h"

/* Non-finite points are skipped.  CF_EINVAL when no point is finite or the
 * name ends in neither .svg nor .png; err names the file. */
int cf_curve_write_picture(const double *y, int n, const char *path, const char *title,
			   const char *xlabel, const char *ylabel, cf_error *err);

/* The finetuning curve of a session (test accuracy in % per epoch) with
 * the title the workbench gives it.  CF_EINVAL when there was no
 * finetuning. */
struct cf_session_finetune;
int cf_finetune_write_picture(const struct cf_session_finetune *ft, const char *path,
			      cf_error *err);

#endif
