/* cmd.h — the batch subcommands of the clafuse program.
 *
 * Each is a table entry (cli.h): its options, its help and its run
 * function, which returns the process exit status: 0 success, 1 failure
 * of the work, 2 bad usage.  They print to stdout/stderr; core code does
 * not.  main.c lists them in cf_commands[].
 */
#ifndef CF_CMD_H
#define CF_CMD_H

#include "cli/cli.h"

extern const struct cf_command cf_cmd_demo;
extern const struct cf_command cf_cmd_train;
extern const struct cf_command cf_cmd_eval;
extern const struct cf_command cf_cmd_info;
extern const struct cf_command cf_cmd_ot;
extern const struct cf_command cf_cmd_fuse;
extern const struct cf_command cf_cmd_run;
/* The full-screen workbench (src/cli/cmd_tui.c, src/tui/). */
extern const struct cf_command cf_cmd_tui;

/* `clafuse -e CODE [-e CODE ...]`: not in the table, parsed the same way. */
extern const struct cf_command cf_cmd_lua_eval;

/* The table of subcommands (main.c), NULL-name terminated. */
extern const struct cf_command *const cf_commands[];

#endif
