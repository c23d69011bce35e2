/* main.c — the clafuse command line: dispatches to subcommands.
 *
 * `clafuse SUBCOMMAND ...`; the table below is the single list of
 * subcommands used for dispatch and for --help (each entry, in
 * src/cli/cmd_*.c, carries its own options and help).
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_version.h>

#include "cli/cmd.h"
#include "core/error.h"
#include "core/limit.h"
#include "core/ops.h"
#include "core/outfile.h"
#include "repl/repl.h"

const struct cf_command *const cf_commands[] = {
	&cf_cmd_demo, &cf_cmd_train, &cf_cmd_eval, &cf_cmd_info, &cf_cmd_ot,
	&cf_cmd_fuse, &cf_cmd_run,   &cf_cmd_tui,  NULL
};

static void usage(FILE *f)
{
	fprintf(f, "usage: clafuse                      the Lua console (help() inside)\n"
		   "       clafuse SUBCOMMAND [ARGS...]\n"
		   "       clafuse -e CODE [-e CODE...]   run Lua code\n"
		   "       clafuse --version | --help\n\nsubcommands:\n");
	for (const struct cf_command *const *c = cf_commands; *c; c++)
		if (strlen((*c)->synopsis) <= 28)
			fprintf(f, "  %-6s %-28s %s\n", (*c)->name, (*c)->synopsis, (*c)->summary);
		else /* the summary goes under it */
			fprintf(f, "  %-6s %s\n  %6s %-28s %s\n", (*c)->name, (*c)->synopsis, "", "",
				(*c)->summary);
	fprintf(f, "\n'clafuse SUBCOMMAND --help' describes each one.\n");
}

static void version(void)
{
	printf("clafuse %s\nGSL %s, CBLAS: %s (%s kernels)\n", PACKAGE_VERSION, GSL_VERSION,
	       CF_BLAS_NAME, cf_ops_blas_core());
}

/* OpenBLAS picks its kernels from the CPU model when it loads; on a CPU
 * newer than the library it falls back to SSE3 kernels 3-7x slower than
 * the AVX2/AVX-512 ones the CPU runs (ops_blas.c).  The choice can only be
 * overridden before loading, so when the kernels are worse than the CPU
 * allows and the user has not set OPENBLAS_CORETYPE, run ourselves again
 * with it set.  The guard variable makes sure this happens at most once. */
static void choose_blas_kernels(char **argv)
{
	const char *hint = cf_ops_blas_coretype_hint();

	if (!hint || getenv("CLAFUSE_BLAS_REEXEC"))
		return;
	if (setenv("OPENBLAS_CORETYPE", hint, 1) || setenv("CLAFUSE_BLAS_REEXEC", "1", 1))
		return;
	execv("/proc/self/exe", argv);
	/* exec failed: go on with the slower kernels */
	unsetenv("OPENBLAS_CORETYPE");
}

/* A signal that ends the program first removes the temporary files of
 * writes in progress, then ends it as the signal would have.  Front ends
 * that catch SIGINT themselves (the Lua host, the TUI) do the same. */
static void on_fatal_signal(int sig)
{
	cf_outfile_remove_temps();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void remove_temps_on_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) {
		struct sigaction sa, old;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		/* keep a signal ignored when we were started ignoring it (nohup) */
		if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[k], &sa, NULL);
	}
}

/* Size limits for inputs (core/limit.h), raised by people with large
 * models: CLAFUSE_LIMITS="params=3000000000,activations=500000000". */
static int apply_limits(void)
{
	const char *spec = getenv(CF_LIMITS_ENV);
	cf_limits lim;
	cf_error err;

	if (!spec)
		return 0;
	cf_error_clear(&err);
	cf_limits_default(&lim);
	if (cf_limits_parse(spec, &lim, &err)) {
		fprintf(stderr, "clafuse: %s\n", err.msg);
		return 1;
	}
	cf_limits_set(&lim);
	return 0;
}

int main(int argc, char **argv)
{
	choose_blas_kernels(argv);
	cf_error_gsl_off();
	remove_temps_on_signals();
	if (apply_limits())
		return 1;
	if (argc < 2)
		return cf_repl_main(argc, argv);
	if (!strcmp(argv[1], "-e"))
		return cli_main(&cf_cmd_lua_eval, argc, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		version();
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (const struct cf_command *const *c = cf_commands; *c; c++)
		if (!strcmp(argv[1], (*c)->name))
			return cli_main(*c, argc - 1, argv + 1);
	fprintf(stderr, "clafuse: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
