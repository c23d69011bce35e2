/* outfile.h — the one way clafuse writes an output file.
 *
 * Every output (models, plans and cost matrices, --json reports, session
 * scripts) goes through cf_outfile_open / cf_outfile_commit, so that what
 * a reader finds at the name is either the old file or the complete new
 * one, never a truncated mix.  What "writing PATH" means depends on what
 * PATH is (share/doc/reliability.md, "Outputs"):
 *
 *   - a regular file, or nothing yet: the data goes to a temporary file in
 *     the same directory, is synced and renamed over PATH.  An existing
 *     file keeps its mode (and its owner and group where the system lets
 *     us); a new file gets 0666 minus the umask, like any other program's.
 *   - a symbolic link: the link is followed (to any depth) and its final
 *     target is replaced as above; the link itself stays.
 *   - a character device or a FIFO (/dev/null, a terminal, a pipe, a name
 *     under /proc such as /dev/stdout): these are streams, not files we
 *     own, so the data is written straight through — replacing them would
 *     turn /dev/null into a regular file.  Atomicity cannot be had there.
 *   - a directory, a block device or a socket: refused with a message.
 *
 * Temporary files are listed in a small process-wide registry so that a
 * front end's signal handler can remove them (cf_outfile_remove_temps) before
 * the process dies; this is the core's one piece of global state, because
 * a signal handler has no other way to find them.  Core installs no
 * handler itself.
 */
#ifndef CF_OUTFILE_H
#define CF_OUTFILE_H

#include <stdio.h>

#include "error.h"

typedef struct cf_outfile {
	FILE *f;      /* write the content here (binary stream) */
	char *path;   /* the name as given, for messages */
	char *target; /* the file renamed over (symlinks followed); NULL when writing through */
	char *tmp;    /* the temporary file; NULL when writing through */
	int slot;     /* registry slot of tmp, -1 if none */
} cf_outfile;

/* Prepare to write path: on success o->f is open for writing and nothing
 * at path has changed yet.  Errors (CF_EINVAL for an empty name, CF_EIO
 * otherwise) name the file and the reason; o is then left closed. */
int cf_outfile_open(cf_outfile *o, const char *path, cf_error *err);

/* Finish: flush, sync, and (for regular files) rename over the target and
 * sync the directory.  On failure the target is untouched (for regular
 * files), the temporary file is removed and err names the file and the
 * reason (e.g. "No space left on device").  o is closed either way. */
int cf_outfile_commit(cf_outfile *o, cf_error *err);

/* Abandon the write: close, remove the temporary file, leave the target
 * as it was.  A closed or zeroed o is a no-op. */
void cf_outfile_discard(cf_outfile *o);

/* Remove every temporary file of a write in progress.  Async-signal-safe
 * (it only reads atomics and calls unlink): meant for a front end's handler
 * of SIGTERM, SIGINT or SIGHUP, which then re-raises the signal. */
void cf_outfile_remove_temps(void);

#endif
