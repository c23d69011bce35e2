/* main.c — the clafuse command line: dispatches to subcommands.
 *
 * `clafuse SUBCOMMAND ...`; the table below is the single list of
 * subcommands used for dispatch and for --help.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gsl/gsl_version.h>

#include "cmd.h"

const struct cf_command cf_commands[] = {
	/* OT_COMMAND */
	{NULL, NULL, NULL, NULL}
};

static void usage(FILE *f)
{
	fprintf(f, "usage: clafuse SUBCOMMAND [ARGS...]\n"
		   "       clafuse --version | --help\n\nsubcommands:\n");
	for (const struct cf_command *c = cf_commands; c->name; c++)
		fprintf(f, "  %-6s %-26s %s\n", c->name, c->args, c->help);
	fprintf(f, "\n'clafuse SUBCOMMAND --help' describes each one.\n");
}

static void version(void)
{
	printf("clafuse %s\nGSL %s, CBLAS: %s\n", PACKAGE_VERSION, GSL_VERSION, CF_BLAS_NAME);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		version();
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (const struct cf_command *c = cf_commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "clafuse: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
