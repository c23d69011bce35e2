/* progress.h — the progress line of the terminal front ends and the
 * Ctrl-C that stops long work.
 *
 * Design choice: long core work reports through a cf_progress callback
 * that may ask it to stop (core/progress.h).  The batch subcommands use
 * cf_term_progress, which draws the line and answers with the stop flag
 * of this module's SIGINT handler — no Lua state is needed.  The Lua host
 * draws the same line (cf_term_progress_draw) but answers with its own
 * flag, which also interrupts Lua code.
 */
#ifndef CF_TERM_PROGRESS_H
#define CF_TERM_PROGRESS_H

#include <stddef.h>

/* Draw `\r[####      ]  40% epoch 4/10` on stderr, at most every 50 ms
 * (always for fraction >= 1) and only when stderr is a terminal, so piped
 * or logged output stays clean.  fraction < 0: no percentage. */
void cf_term_progress_draw(const char *what, double fraction);

/* Erase the progress line if one is showing. */
void cf_term_progress_done(void);

/* Format the line (without \r) into buf: a bar of `barw` cells, the
 * percentage (omitted when fraction < 0) and `what`.  Returns buf. */
char *cf_term_progress_format(char *buf, size_t len, int barw, const char *what,
			      double fraction);

/* A cf_progress_fn (core/progress.h): draws the line and returns nonzero once
 * Ctrl-C was pressed (after cf_term_interrupt_install).  `ud` is unused. */
int cf_term_progress(void *ud, const char *what, double fraction);

/* Catch SIGINT: the first Ctrl-C sets the stop flag that cf_term_progress
 * returns, so the work stops at its next progress report and the command
 * can clean up and say so; a second one kills the program the default way
 * (the way out of work that never reports). */
void cf_term_interrupt_install(void);

#endif
