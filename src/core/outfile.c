/* outfile.c — atomic output files and the registry of their temporaries
 * (see outfile.h for what each kind of target gets).
 *
 * The temporary file is created with O_EXCL under a random name next to
 * the target, so the final rename stays within one file system.  It is
 * created 0600 when it will replace an existing file (the old file's mode
 * is set before any data is written, so a private file never has a
 * readable copy) and 0666 when the target is new (the kernel then applies
 * the umask and any default ACL, exactly as for a plain creat).
 *
 * A writer holds an flock on its temporary file until the rename.  SIGKILL
 * (or a power cut) leaves the temporary file behind with no lock on it, so
 * after each successful save the target's directory is swept of its own
 * stale temporaries: a file named TARGET.tmp.XXXXXX, not modified for
 * STALE_AGE seconds and not locked (a lock is released when its holder
 * dies, and a live writer keeps its own).  The age check keeps the sweep
 * off a temporary file in the microseconds between its creation and its
 * lock, and needs no process ids, which other PID namespaces would hide.
 */
#define _DEFAULT_SOURCE /* flock */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the registry of temporary files ------------------------------------ */

#if ATOMIC_INT_LOCK_FREE != 2
#error "the temporary-file registry needs lock-free atomic int for signal safety"
#endif

/* A handful of writes are ever in progress at once; a write that finds no
 * free slot still works, only its temporary file is not removed on a
 * signal. */
#define SLOTS 16
#define SLOT_PATH 4096

enum { SLOT_FREE, SLOT_FILLING, SLOT_LIVE };

static atomic_int slot_state[SLOTS];
static char slot_path[SLOTS][SLOT_PATH];

static int registry_add(const char *tmp)
{
	size_t len = strlen(tmp);
	if (len >= SLOT_PATH)
		return -1;
	for (int i = 0; i < SLOTS; i++) {
		int expect = SLOT_FREE;
		if (atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_FILLING)) {
			memcpy(slot_path[i], tmp, len + 1);
			atomic_store(&slot_state[i], SLOT_LIVE);
			return i;
		}
	}
	return -1;
}

static void registry_drop(int slot)
{
	if (slot >= 0)
		atomic_store(&slot_state[slot], SLOT_FREE);
}

void cf_outfile_remove_temps(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (atomic_load(&slot_state[i]) == SLOT_LIVE)
			unlink(slot_path[i]);
}

/* ---- where the bytes go --------------------------------------------------- */

/* Follow symbolic links at the end of path to the name that will really be
 * replaced.  Links in the directory part need no help: the kernel resolves
 * them for the target and for the temporary alike.  *proc is set when a
 * link lives under /proc (/dev/stdout → /proc/self/fd/1 → …): that names a
 * file some process has open, which must be written through, not replaced. */
static char *resolve_links(const char *path, int *proc, cf_error *err)
{
	char *cur = strdup(path);

	*proc = 0;
	for (int hops = 0; cur; hops++) {
		struct stat st;
		char link[4096], *next;
		ssize_t n;
		const char *slash;
		size_t dlen;

		if (lstat(cur, &st) != 0) {
			if (errno == ENOENT)
				return cur; /* a new file (or a dangling link's target) */
			cf_error_set(err, CF_EIO, "cannot write '%s': %s", path, strerror(errno));
			free(cur);
			return NULL;
		}
		if (!S_ISLNK(st.st_mode))
			return cur;
		if (!strncmp(cur, "/proc/", 6)) {
			*proc = 1;
			return cur;
		}
		if (hops == 40) {
			cf_error_set(err, CF_EIO, "cannot write '%s': %s", path, strerror(ELOOP));
			free(cur);
			return NULL;
		}
		n = readlink(cur, link, sizeof link - 1);
		if (n < 0) {
			cf_error_set(err, CF_EIO, "cannot write '%s': %s", path, strerror(errno));
			free(cur);
			return NULL;
		}
		link[n] = '\0';
		slash = strrchr(cur, '/');
		dlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
		next = malloc(dlen + (size_t)n + 1);
		if (next) {
			memcpy(next, cur, dlen);
			memcpy(next + dlen, link, (size_t)n + 1);
		}
		free(cur);
		cur = next;
	}
	cf_error_set(err, CF_ENOMEM, "cannot write '%s': out of memory", path);
	return NULL;
}

/* A name for the temporary file: the target's name plus a random suffix. */
static void temp_name(char *buf, size_t len, const char *target)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static atomic_uint counter;
	struct timespec ts;
	uint64_t x;
	char suffix[7];

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)getpid() << 40 ^ (uint64_t)atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 6; i++) {
		suffix[i] = digits[x % 36];
		x /= 36;
	}
	suffix[6] = '\0';
	snprintf(buf, len, "%s.tmp.%s", target, suffix);
}

/* Give the new file the old one's owner, group and mode.  When the group
 * cannot be kept, the group bits are cut down to the "other" bits, so that
 * nobody can read the new file who could not read the old one. */
static int copy_owner_mode(int fd, const struct stat *old)
{
	struct stat now;
	mode_t mode = old->st_mode & 07777;

	if (fstat(fd, &now) != 0)
		return -1;
	if ((now.st_uid != old->st_uid || now.st_gid != old->st_gid) &&
	    fchown(fd, old->st_uid, old->st_gid) != 0) {
		mode &= 0777; /* no set-id bits on a file of another owner */
		if (fchown(fd, (uid_t)-1, old->st_gid) != 0)
			mode &= ~(mode_t)((~(mode & 07) & 07) << 3);
	}
	return fchmod(fd, mode);
}

static void outfile_clear(cf_outfile *o)
{
	free(o->path);
	free(o->target);
	free(o->tmp);
	memset(o, 0, sizeof *o);
	o->slot = -1;
}

/* Write straight into path (a stream, or a file named through /proc). */
static int open_through(cf_outfile *o, int fd, cf_error *err)
{
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		int e = errno;
		close(fd);
		cf_error_set(err, CF_EIO, "cannot write '%s': %s", o->path, strerror(e));
		outfile_clear(o);
		return CF_EIO;
	}
	return CF_OK;
}

int cf_outfile_open(cf_outfile *o, const char *path, cf_error *err)
{
	struct stat st;
	int proc = 0, fd = -1, exists;
	size_t tlen;

	memset(o, 0, sizeof *o);
	o->slot = -1;
	if (!path || !*path)
		return cf_error_set(err, CF_EINVAL, "cannot write a file with an empty name");
	if (!(o->path = strdup(path)))
		return cf_error_set(err, CF_ENOMEM, "cannot write '%s': out of memory", path);

	/* What is there now, links followed. */
	exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		cf_error_set(err, CF_EIO, "cannot write '%s': it is a directory", path);
		outfile_clear(o);
		return CF_EIO;
	}
	if (exists && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		/* A block device holds a file system and a socket takes no open();
		 * writing a model over either is a slip of the keyboard. */
		cf_error_set(err, CF_EIO, "cannot write '%s': it is a %s, expected a regular file, "
			     "a character device or a FIFO", path,
			     S_ISBLK(st.st_mode) ? "block device" : S_ISSOCK(st.st_mode) ? "socket"
											: "special file");
		outfile_clear(o);
		return CF_EIO;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		/* /dev/null, a terminal, a pipe: write through, never replace.
		 * (A FIFO blocks here until a reader opens it, as with `>`.) */
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			cf_error_set(err, CF_EIO, "cannot write '%s': %s", path, strerror(errno));
			outfile_clear(o);
			return CF_EIO;
		}
		return open_through(o, fd, err);
	}

	if (!(o->target = resolve_links(path, &proc, err))) {
		outfile_clear(o);
		return err ? err->code : CF_EIO;
	}
	if (proc) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0666);
		if (fd < 0) {
			cf_error_set(err, CF_EIO, "cannot write '%s': %s", path, strerror(errno));
			outfile_clear(o);
			return CF_EIO;
		}
		free(o->target);
		o->target = NULL;
		return open_through(o, fd, err);
	}

	tlen = strlen(o->target) + sizeof ".tmp.XXXXXX";
	if (!(o->tmp = malloc(tlen))) {
		cf_error_set(err, CF_ENOMEM, "cannot write '%s': out of memory", path);
		outfile_clear(o);
		return CF_ENOMEM;
	}
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		temp_name(o->tmp, tlen, o->target);
		/* registered before it exists, so no signal finds it unlisted */
		o->slot = registry_add(o->tmp);
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC,
			  exists ? 0600 : 0666);
		if (fd < 0) {
			int e = errno;
			registry_drop(o->slot);
			o->slot = -1;
			if (e != EEXIST) {
				cf_error_set(err, CF_EIO,
					     "cannot write '%s': cannot create a temporary file "
					     "next to it: %s", path, strerror(e));
				outfile_clear(o);
				return CF_EIO;
			}
		}
	}
	if (fd < 0) {
		cf_error_set(err, CF_EIO, "cannot write '%s': no free temporary file name", path);
		outfile_clear(o);
		return CF_EIO;
	}
	/* Marks it as being written (see the top); a file system without
	 * locks leaves it unmarked, and the age check alone protects it. */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	if ((exists && copy_owner_mode(fd, &st) != 0) || !(o->f = fdopen(fd, "wb"))) {
		cf_error_set(err, CF_EIO, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		unlink(o->tmp);
		registry_drop(o->slot);
		outfile_clear(o);
		return CF_EIO;
	}
	return CF_OK;
}

/* Make a finished rename durable; failure here loses nothing already
 * written, so it is not reported. */
static void sync_dir(const char *target)
{
	const char *slash = strrchr(target, '/');
	char *dir = NULL;
	int dfd;

	if (slash) {
		size_t n = slash == target ? 1 : (size_t)(slash - target);
		if (!(dir = malloc(n + 1)))
			return;
		memcpy(dir, target, n);
		dir[n] = '\0';
	}
	dfd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

#define STALE_AGE 10 /* seconds */

/* Remove the temporaries of target that a killed writer left (see the
 * top).  Best effort: whatever cannot be read or removed stays. */
static void sweep_stale(const char *target)
{
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	size_t dlen = slash ? (size_t)(slash - target) + 1 : 0, blen = strlen(base);
	char *path;
	DIR *d;
	struct dirent *e;
	time_t now = time(NULL);

	if (!(path = malloc(dlen + blen + sizeof ".tmp.XXXXXX")))
		return;
	memcpy(path, target, dlen);
	path[dlen] = '\0';
	if (!(d = opendir(dlen ? path : "."))) {
		free(path);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int fd;
		if (strncmp(e->d_name, base, blen) || strncmp(e->d_name + blen, ".tmp.", 5) ||
		    strlen(e->d_name + blen + 5) != 6)
			continue;
		memcpy(path + dlen, e->d_name, blen + 12);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > STALE_AGE &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);
		close(fd);
	}
	closedir(d);
	free(path);
}

int cf_outfile_commit(cf_outfile *o, cf_error *err)
{
	int e = 0;

	if (!o->f)
		return cf_error_set(err, CF_EINVAL, "cannot write '%s': not open",
				    o->path ? o->path : "");
	if (fflush(o->f) != 0 || ferror(o->f))
		e = errno ? errno : EIO;
	/* fsync of a pipe or a terminal fails with EINVAL: nothing to sync */
	if (!e && fsync(fileno(o->f)) != 0 && errno != EINVAL && errno != EROFS)
		e = errno;
	if (fclose(o->f) != 0 && !e)
		e = errno;
	o->f = NULL;
	if (!e && o->tmp && rename(o->tmp, o->target) != 0)
		e = errno;
	if (e) {
		cf_error_set(err, CF_EIO, "cannot write '%s': %s", o->path, strerror(e));
		cf_outfile_discard(o);
		return CF_EIO;
	}
	registry_drop(o->slot);
	if (o->tmp) {
		sync_dir(o->target);
		sweep_stale(o->target);
	}
	outfile_clear(o);
	return CF_OK;
}

void cf_outfile_discard(cf_outfile *o)
{
	if (!o->path)
		return; /* closed, or never opened */
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp)
		unlink(o->tmp);
	registry_drop(o->slot);
	outfile_clear(o);
}
