/* cli.h — the subcommand layer: a command's table entry with its option
 * spec, the one option parser every subcommand uses, and small helpers.
 *
 * Design choice (after tmux's cmd_entry): a subcommand is a constant
 * struct cf_command naming its options — short and long name, the kind of
 * value, the value's name and a help line — and the parser reads argv
 * against that spec, checks numbers against their range, and writes the
 * `--help` text from the same spec, so the usage can never disagree with
 * what is parsed.  The run function gets the parsed values by the index of
 * the option in the spec (an enum next to the table), never by name.
 */
#ifndef CF_CLI_H
#define CF_CLI_H

#include <stdio.h>

#include "core/data.h"
#include "core/error.h"
#include "core/norm.h"

enum cli_kind {
	CLI_FLAG, /* no value; counted */
	CLI_STR,  /* a string; the last one given wins */
	CLI_LIST, /* a string, repeatable; every value kept, in order */
	CLI_INT,  /* a whole number in [lo, hi] */
	CLI_REAL  /* a finite number in [lo, hi] (an infinite bound: none) */
};

struct cli_opt {
	char shortopt;       /* 'o' for -o, or 0 */
	const char *longopt; /* "output" for --output, or NULL (end of the spec: both 0) */
	enum cli_kind kind;
	const char *arg;     /* the value's name in the help ("FILE"); NULL for a flag */
	const char *help;    /* the help line; '\n' starts a continuation line */
	double lo, hi;       /* range of CLI_INT / CLI_REAL */
};

/* The value of one option after parsing. */
struct cli_value {
	int set;           /* how many times it was given */
	const char *s;     /* the last value as given (CLI_STR/INT/REAL) */
	long i;            /* CLI_INT */
	double x;          /* CLI_REAL */
	const char **list; /* CLI_LIST: the values in order, n of them */
	int n;
};

struct cf_command;

struct cli_args {
	const struct cf_command *cmd;
	struct cli_value *v; /* one per option, same index as cmd->opts */
	const char **pos;    /* the positional arguments */
	int npos;
	int argc;            /* the words parsed (argv[0] the command) */
	char **argv;
};

enum {
	CLI_STOP_AT_ARG = 1 /* options end at the first positional argument
			       (`clafuse run SCRIPT ARGS...`: ARGS are the script's) */
};

struct cf_command {
	const char *name;
	const char *synopsis; /* after "clafuse NAME" in the usage line */
	const char *summary;  /* one line for `clafuse --help` */
	const char *about;    /* the text after the usage line in NAME --help */
	const struct cli_opt *opts; /* ends with an entry whose names are both 0;
				       -h/--help is implied */
	int min_args, max_args;     /* positional arguments; max_args < 0: unlimited */
	int flags;
	void (*more_help)(FILE *f); /* printed after the options, or NULL */
	int (*run)(const struct cli_args *a);
};

/* Parse argv[1..argc-1] against c's spec and run it: the exit status of
 * c->run, 0 after --help, 2 (with a one-line message on stderr) for bad
 * usage, 1 when out of memory. */
int cli_main(const struct cf_command *c, int argc, char **argv);

/* The help of c, generated from its spec. */
void cli_usage(const struct cf_command *c, FILE *f);

/* Value accessors with a default for an option that was not given. */
const char *cli_str(const struct cli_args *a, int opt, const char *def);
long cli_long(const struct cli_args *a, int opt, long def);
double cli_real(const struct cli_args *a, int opt, double def);
int cli_flag(const struct cli_args *a, int opt);

/* Print a core error as "clafuse CMD: message" on stderr, and a stop
 * asked by Ctrl-C as "clafuse CMD: interrupted". */
void cli_error(const char *cmd, const cf_error *err);

/* --arch for n models (CLI_LIST): none, one for all, or one per model in
 * order; -1 after a message when the count is none of these. */
int cli_archs_check(const char *cmd, const struct cli_value *v, int n);
/* The architecture for model i (NULL: the file's). */
const char *cli_arch_for(const struct cli_value *v, int i);

/* The --norm option's text (NULL: not given) into *n (c 0 when not
 * given); -1 after a message. */
int cli_norm(const char *cmd, const char *text, cf_norm *n);

/* The statement a data set was normalised with (its mean and std). */
void cli_norm_of(const cf_dataset *d, cf_norm *n);

/* When nothing stated the normalisation, say once on stderr which
 * statistics normalise data set d. */
void cli_norm_note(const char *cmd, const cf_dataset *d);

/* Parse `s` as a whole number / real in [lo, hi] for option `opt`; on
 * failure print "clafuse CMD: OPT: expected ..." and return -1. */
int cli_int(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
	       double *out);

/* Set the number of BLAS threads (OpenBLAS only; a no-op with GSL's CBLAS). */
void cli_set_threads(int n);

#endif
