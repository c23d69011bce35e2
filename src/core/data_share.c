/* data_share.c — one decoded copy of each data set per process.
 *
 * Decoding Fashion-MNIST's training split (inflate 47 MB, normalise into
 * 188 MB of floats) costs more than most of what a session does with it,
 * and scripts open several sessions on the same data.  cf_data_load_shared
 * keeps what it loaded in a table keyed by spec, split and normalisation,
 * and hands out references (data sets are immutable once loaded).  A table
 * entry is used only while the files behind the spec are unchanged: their
 * size, inode and modification time form a stamp taken at load time and
 * compared at every lookup.
 */
#define _DEFAULT_SOURCE /* struct stat's st_mtim, DT_REG-free readdir use */

#include "data.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SHARE_MAX 16

typedef struct entry {
	char *spec;
	int train, has_norm;
	float mean[CF_DATA_MAXCH], std[CF_DATA_MAXCH];
	uint64_t stamp;
	cf_dataset *d;
} entry;

static entry table[SHARE_MAX];
static int used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t stamp_stat(uint64_t h, const struct stat *st)
{
	h = mix(h, (uint64_t)st->st_size);
	h = mix(h, (uint64_t)st->st_ino);
	h = mix(h, (uint64_t)st->st_mtim.tv_sec);
	return mix(h, (uint64_t)st->st_mtim.tv_nsec);
}

/* A path's stamp; for a directory, also each file in it. */
static uint64_t stamp_path(uint64_t h, const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;
	char buf[4096];

	if (stat(path, &st)) {
		return mix(h, 1); /* missing: the load will say so */
	}
	h = stamp_stat(h, &st);
	if (!S_ISDIR(st.st_mode) || !(dir = opendir(path)))
		return h;
	while ((e = readdir(dir)) != NULL) {
		struct stat fs;
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof buf, "%s/%s", path, e->d_name);
		if (!stat(buf, &fs) && S_ISREG(fs.st_mode)) {
			/* readdir's order is arbitrary: combine commutatively */
			h += stamp_stat(0x51ed27, &fs);
		}
	}
	closedir(dir);
	return h;
}

/* The files behind a spec: "fashion-mnist" is Debian's directory; after
 * "kind:" come one directory or comma-separated files. */
static uint64_t stamp_spec(const char *spec)
{
	const char *colon = strchr(spec, ':');
	uint64_t h = 0x1234;
	char part[4096];

	if (!colon)
		return strcmp(spec, "fashion-mnist") ? h : stamp_path(h, CF_FASHION_MNIST_DIR);
	for (const char *p = colon + 1; *p;) {
		size_t len = strcspn(p, ",");
		if (len < sizeof part) {
			memcpy(part, p, len);
			part[len] = '\0';
			h = stamp_path(h, part);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return h;
}

static int same_norm(const entry *e, const float *mean, const float *std)
{
	if (!mean || !std)
		return !e->has_norm;
	if (!e->has_norm)
		return 0;
	return !memcmp(e->mean, mean, sizeof e->mean) && !memcmp(e->std, std, sizeof e->std);
}

static void drop(entry *e)
{
	free(e->spec);
	cf_dataset_free(e->d);
	memset(e, 0, sizeof *e);
}

int cf_data_load_shared(const char *spec, int train, const float *mean, const float *std,
			cf_dataset **out, cf_error *err)
{
	uint64_t stamp;
	cf_dataset *d = NULL;
	float m[CF_DATA_MAXCH] = {0}, s[CF_DATA_MAXCH] = {0};
	int rc;

	*out = NULL;
	if (!spec)
		return cf_data_load(spec, train, mean, std, out, err);
	if (mean && std) { /* a data set has at most CF_DATA_MAXCH channels; the
	                      caller's arrays may be shorter, so compare copies */
		memcpy(m, mean, sizeof m);
		memcpy(s, std, sizeof s);
	}
	stamp = stamp_spec(spec);
	pthread_mutex_lock(&lock);
	for (int i = 0; i < used; i++) {
		entry *e = &table[i];
		if (e->train != train || strcmp(e->spec, spec) || !same_norm(e, mean && std ? m : NULL, s))
			continue;
		if (e->stamp == stamp) {
			*out = cf_dataset_ref(e->d);
			pthread_mutex_unlock(&lock);
			return CF_OK;
		}
		drop(e); /* the files changed: load again */
		table[i] = table[--used];
		break;
	}
	pthread_mutex_unlock(&lock);
	/* loaded outside the lock: another thread may load the same set
	 * meanwhile, which costs time, not correctness */
	if ((rc = cf_data_load(spec, train, mean, std, &d, err)) != CF_OK)
		return rc;
	pthread_mutex_lock(&lock);
	if (used == SHARE_MAX) /* the oldest entry goes */
		drop(&table[0]), memmove(table, table + 1, (size_t)(--used) * sizeof *table);
	{
		entry *e = &table[used];
		if ((e->spec = strdup(spec)) != NULL) {
			e->train = train;
			e->has_norm = mean && std;
			memcpy(e->mean, m, sizeof m);
			memcpy(e->std, s, sizeof s);
			e->stamp = stamp;
			e->d = cf_dataset_ref(d);
			used++;
		}
	}
	pthread_mutex_unlock(&lock);
	*out = d;
	return CF_OK;
}

void cf_data_shared_clear(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < used; i++)
		drop(&table[i]);
	used = 0;
	pthread_mutex_unlock(&lock);
}
