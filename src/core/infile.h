/* infile.h — opening an input file without being stopped by what is there.
 *
 * A FIFO with no writer makes open() wait forever and a directory or a
 * device is never a model, a matrix or a data set, so every input is opened
 * without blocking, checked with fstat and refused unless it is a regular
 * file (share/doc/reliability.md, "Inputs").  Symbolic links are followed.
 */
#ifndef CF_INFILE_H
#define CF_INFILE_H

#include <stdio.h>

#include "error.h"

/* Open path read-only (blocking reads, close-on-exec).  Returns the file
 * descriptor, or -1 with err saying "PATH: is a FIFO, expected a regular
 * file" or "PATH: cannot open: " and the system's reason. */
int cf_infile_open(const char *path, cf_error *err);

/* The same as a binary stdio stream; NULL with err set on failure. */
FILE *cf_infile_fopen(const char *path, cf_error *err);

/* The whole file in a new buffer (*buf, free with free(); *size bytes).
 * Errors as cf_infile_open, plus CF_ENOMEM (naming the size) and CF_EIO
 * for a read error or a file that shrank while it was read. */
int cf_infile_read_all(const char *path, unsigned char **buf, size_t *size, cf_error *err);

#endif
