/* cmd.h — the batch subcommands of the clafuse program.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status: 0 success, 1 failure of the work,
 * 2 bad usage.  They print to stdout/stderr; core code does not.
 */
#ifndef CF_CMD_H
#define CF_CMD_H

struct cf_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
};

int cmd_ot(int argc, char **argv);
int cmd_fuse(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
/* The full-screen workbench (src/cmd_tui.c, src/tui/). */
int cmd_tui(int argc, char **argv);

/* The console (src/repl/repl.c), run when clafuse gets no arguments. */
int cmd_repl(int argc, char **argv);
/* `clafuse -e CODE [-e CODE ...]`: argv[0] is the first "-e". */
int cmd_eval(int argc, char **argv);

/* The table of subcommands (main.c), NULL-name terminated. */
extern const struct cf_command cf_commands[];

#endif
