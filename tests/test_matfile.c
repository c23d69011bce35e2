/* test_matfile.c — matrices in text and binary files: round trips, the
 * text format's comments and separators, and malformed files. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matfile.h"
#include "tap.h"

static char dir[256];

static const char *put(const char *name, const void *bytes, size_t len)
{
	static char path[512];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	fwrite(bytes, 1, len, f);
	fclose(f);
	return path;
}

static int files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void round_trip(const char *name)
{
	const double a[6] = {1.0 / 3, -2.5e-300, 0, 1e300, -0.0, 7};
	char path[512];
	double *b = NULL;
	int64_t r = 0, c = 0;
	cf_error err = {0};
	snprintf(path, sizeof path, "%s/%s", dir, name);
	ok(cf_matfile_write(path, a, 2, 3, &err) == CF_OK, "%s: written", name);
	ok(cf_matfile_read(path, &b, &r, &c, &err) == CF_OK && r == 2 && c == 3, "%s: read back 2x3",
	   name);
	ok(b && !memcmp(a, b, sizeof a), "%s: every value bit for bit", name);
	free(b);
}

static void bad(const char *name, const char *bytes, size_t len, const char *want)
{
	double *b = NULL;
	int64_t r, c;
	cf_error err = {0};
	const char *path = put(name, bytes, len);
	int rc = cf_matfile_read(path, &b, &r, &c, &err);
	ok(rc != CF_OK && b == NULL && strstr(err.msg, want), "%s: rejected (%s)", name, err.msg);
}

int main(void)
{
	double *b = NULL;
	int64_t r = 0, c = 0;
	cf_error err = {0};
	const char *text = "# costs\n0, 1\n1;0 # a comment\n\n0.4\t0.6\r\n";
	const char *path;

	snprintf(dir, sizeof dir, "%s/test_matfile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;

	path = put("m.csv", text, strlen(text));
	ok(cf_matfile_read(path, &b, &r, &c, &err) == CF_OK && r == 3 && c == 2,
	   "text: comments, blank lines and separators , ; tab space skipped (3x2)");
	ok(b && b[0] == 0 && b[1] == 1 && b[2] == 1 && b[3] == 0 && b[4] == 0.4 && b[5] == 0.6,
	   "text: values in row order");
	free(b);

	round_trip("rt.csv");
	round_trip("rt.bin");
	ok(files_in_dir() == 3, "no temporary file left behind");

	bad("ragged.csv", "1,2\n3\n", 6, "row has 1 values, expected 2");
	bad("word.csv", "1,x\n", 4, "not a number");
	bad("empty.csv", "# nothing\n", 10, "holds no numbers");
	bad("short.bin", "CFMAT001\002\0\0", 11, "header truncated");
	bad("size.bin", "CFMAT001\002\0\0\0\0\0\0\0\002\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32,
	    "needs 32 data bytes, file has 8");
	ok(cf_matfile_read("/nonexistent/m.csv", &b, &r, &c, &err) == CF_EIO &&
	   strstr(err.msg, "/nonexistent/m.csv"), "missing file: CF_EIO naming it");

	{
		const double one = 1;
		char p2[600];
		snprintf(p2, sizeof p2, "%s/no/such/dir/x.csv", dir);
		ok(cf_matfile_write(p2, &one, 1, 1, &err) == CF_EIO && strstr(err.msg, "x.csv"),
		   "write into a missing directory: CF_EIO naming the file");
	}
	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
