/* progress.h — progress of long work and requests to stop it.
 *
 * Long core loops (solvers, training, activation recording) take a
 * `const cf_progress *` (may be NULL), report through it now and then, and
 * stop when it asks them to: they return CF_ESTOPPED with their state
 * consistent.  The front ends supply the callback (a progress line, the
 * TUI's status bar, Ctrl-C in Lua).
 */
#ifndef CF_PROGRESS_H
#define CF_PROGRESS_H

/* `what` names the work ("epoch 3/10"), `fraction` is in [0,1] or
 * negative when unknown.  Return nonzero to ask the work to stop. */
typedef int (*cf_progress_fn)(void *ud, const char *what, double fraction);

typedef struct cf_progress {
	cf_progress_fn fn;
	void *ud;
} cf_progress;

/* Call the callback if there is one; returns nonzero when asked to stop. */
int cf_progress_report(const cf_progress *p, const char *what, double fraction);

/* Seconds on the monotonic clock (immune to changes of the wall clock):
 * the one clock for step times, solver time limits and redraw throttling. */
double cf_progress_clock(void);

#endif
