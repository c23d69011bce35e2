/* progress.c — the progress line and the Ctrl-C stop flag (progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/outfile.h"
#include "core/progress.h"
#include "term/progress.h"

static double last_draw = -1.0; /* monotonic seconds of the last redraw */
static int showing;             /* a line is on screen and needs erasing */
static volatile sig_atomic_t stop_flag;

char *cf_term_progress_format(char *buf, size_t len, int barw, const char *what,
			      double fraction)
{
	char bar[128];
	int filled = 0;

	if (barw < 1)
		barw = 1;
	if (barw > (int)sizeof bar - 1)
		barw = (int)sizeof bar - 1;
	if (fraction >= 0) {
		if (fraction > 1)
			fraction = 1;
		filled = (int)(fraction * barw + 1e-9);
	}
	for (int i = 0; i < barw; i++)
		bar[i] = i < filled ? '#' : ' ';
	bar[barw] = '\0';
	if (fraction >= 0)
		snprintf(buf, len, "[%s] %3d%% %s", bar, (int)(fraction * 100 + 1e-9),
			 what ? what : "");
	else
		snprintf(buf, len, "[%s] %s", bar, what ? what : "");
	return buf;
}

void cf_term_progress_draw(const char *what, double fraction)
{
	double t;
	char line[256];

	if (!isatty(STDERR_FILENO))
		return;
	t = cf_progress_clock();
	if (last_draw >= 0 && t - last_draw < 0.05 && fraction < 1)
		return;
	cf_term_progress_format(line, sizeof line, 20, what, fraction);
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	last_draw = t;
	showing = 1;
}

void cf_term_progress_done(void)
{
	if (showing) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	showing = 0;
	last_draw = -1.0;
}

int cf_term_progress(void *ud, const char *what, double fraction)
{
	(void)ud;
	cf_term_progress_draw(what, fraction);
	return stop_flag;
}

static void on_sigint(int sig)
{
	(void)sig;
	if (stop_flag) {
		cf_outfile_remove_temps();
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
		return;
	}
	stop_flag = 1;
}

void cf_term_interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	stop_flag = 0;
	sigaction(SIGINT, &sa, NULL);
}
