/* fuzz.h — shared by the fuzz targets (fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput.  scripts/fuzz.sh links it
 * with clang's libFuzzer; the build links it with standalone.c into
 * fuzz/regress_NAME, a test that replays fuzz/regress/NAME (inputs that
 * once crashed or hung) and fuzz/corpus/NAME (the seeds).  A target
 * aborts on a wrong answer (a round trip that does not close, a
 * non-finite result reported as converged), so the fuzzer and the test
 * both see it as a crash.
 */
#ifndef CF_FUZZ_H
#define CF_FUZZ_H

/* first include of every target: getpid needs POSIX */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A wrong answer: report it and crash, so the input is kept. */
#define FUZZ_CHECK(cond, ...)                                                 \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "fuzz check failed: %s: ", #cond);     \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

/* Limits small enough that one input stays far below the fuzzers' 2 GB
 * memory cap and 1 s time-out, large enough for real small networks. */
static inline void fuzz_small_limits(void)
{
	cf_limits l;
	cf_limits_default(&l);
	l.units = 200;
	l.blocks = 20;
	l.width = 4096;
	l.params = 1 << 20;
	l.activations = 1 << 18;
	l.data = 1 << 22;
	cf_limits_set(&l);
}

/* The readers under test take paths: the input goes to a file in a
 * directory of this process, removed at exit (the same names every time,
 * so nothing piles up). */
static char fuzz_dir_[200];

static inline void fuzz_rm_(const char *dir, const char *name)
{
	char p[400];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	remove(p);
}

static inline void fuzz_cleanup_(void)
{
	static const char *names[] = { "costs", "images", "labels", "cifar/test_batch.bin",
				       "cifar/test.bin", "cifar", "model", "input" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		fuzz_rm_(fuzz_dir_, names[i]);
	remove(fuzz_dir_);
}

/* The path of dir/name (the directory made on first use). */
static inline const char *fuzz_path(const char *name)
{
	static char path[4][400];
	static int k;
	char *p = path[k++ & 3];
	if (!fuzz_dir_[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/clafuse-fuzz-%ld", t && *t ? t : "/tmp",
			 (long)getpid());
		if (mkdir(fuzz_dir_, 0700) && errno != EEXIST)
			abort();
		atexit(fuzz_cleanup_);
	}
	snprintf(p, sizeof path[0], "%s/%s", fuzz_dir_, name);
	return p;
}

/* Write the input to dir/name; its path. */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	const char *p = fuzz_path(name);
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f))
		abort();
	return p;
}

#endif
