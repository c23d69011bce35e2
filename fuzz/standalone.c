/* standalone.c — runs a fuzz target without libFuzzer: every file named on
 * the command line (directories: every file in them), or with no
 * arguments fuzz/regress/NAME and fuzz/corpus/NAME under $top_srcdir.
 * Prints TAP, one line per input, so `make check` replays every input
 * that ever crashed a target. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_NAME
#error "compile with -DFUZZ_NAME='\"target\"'"
#endif

static int ran;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		printf("not ok %d - cannot open %s\n", ++ran, path);
		return;
	}
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			if (!(buf = realloc(buf, cap)))
				abort();
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);  /* a failure aborts the program */
	free(buf);
	printf("ok %d - %s: %s\n", ++ran, FUZZ_NAME, path);
	fflush(stdout);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d))) {
		char *full;
		if (e->d_name[0] == '.')
			continue;
		full = malloc(strlen(path) + strlen(e->d_name) + 2);
		names = realloc(names, (n + 1) * sizeof *names);
		if (!full || !names)
			abort();
		sprintf(full, "%s/%s", path, e->d_name);
		names[n++] = full;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run_path(argv[i]);
	} else {
		const char *top = getenv("top_srcdir");
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/fuzz/regress/%s", top ? top : ".", FUZZ_NAME);
		run_path(dir);
		snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", top ? top : ".", FUZZ_NAME);
		run_path(dir);
	}
	printf("1..%d\n", ran);
	return 0;
}
