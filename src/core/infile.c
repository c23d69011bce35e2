/* infile.c — inputs are regular files (see infile.h).
 *
 * O_NONBLOCK makes open() of a FIFO return at once; once fstat has shown a
 * regular file the flag is cleared again (it means nothing for regular
 * files on Linux, but reads elsewhere should not have to know that).
 */
#define _POSIX_C_SOURCE 200809L
#include "infile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "a special file";
}

int cf_infile_open(const char *path, cf_error *err)
{
	struct stat st;
	int fd, flags;

	if (!path || !*path) {
		cf_error_set(err, CF_EINVAL, "cannot read a file with an empty name");
		return -1;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		cf_error_set(err, CF_EIO, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		cf_error_set(err, CF_EIO, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		cf_error_set(err, CF_EIO, "%s: is %s, expected a regular file", path,
			     kind(st.st_mode));
		close(fd);
		return -1;
	}
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

FILE *cf_infile_fopen(const char *path, cf_error *err)
{
	int fd = cf_infile_open(path, err);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "rb"))) {
		cf_error_set(err, CF_EIO, "%s: cannot open: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

int cf_infile_read_all(const char *path, unsigned char **buf, size_t *size, cf_error *err)
{
	struct stat st;
	unsigned char *b;
	size_t n, have = 0;
	int fd, rc;

	*buf = NULL;
	*size = 0;
	if ((fd = cf_infile_open(path, err)) < 0)
		return err ? err->code : CF_EIO;
	if (fstat(fd, &st) != 0) {
		rc = cf_error_set(err, CF_EIO, "%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > SIZE_MAX - 1) {
		close(fd);
		return cf_error_set(err, CF_ENOMEM, "%s: %jd bytes do not fit in memory", path,
				    (intmax_t)st.st_size);
	}
	n = (size_t)st.st_size;
	if (!(b = malloc(n ? n : 1))) {
		close(fd);
		return cf_error_set(err, CF_ENOMEM, "%s: out of memory for %zu bytes", path, n);
	}
	while (have < n) {
		ssize_t r = read(fd, b + have, n - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = cf_error_set(err, CF_EIO, "%s: read error: %s", path,
					  r < 0 ? strerror(errno) : "file shrank while reading");
			close(fd);
			free(b);
			return rc;
		}
		have += (size_t)r;
	}
	close(fd);
	*buf = b;
	*size = n;
	return CF_OK;
}
