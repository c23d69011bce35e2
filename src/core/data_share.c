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
 *
 * Large data sets also go to a decoded cache file, so that the next
 * process maps the floats instead of inflating and normalising again:
 *
 *     0     "CFDSET01"
 *     8     u64 stamp, u64 key (spec, split, normalisation), i64 n,
 *           i32 c, h, w, nclasses, f32 mean[4], std[4], char name[64]
 *     4096  n·c·h·w float32 samples (page-aligned, mapped as they are)
 *           n int32 labels
 *           u64 checksum of everything before it
 *
 * all little-endian (the cache is per machine).  A file whose header,
 * sizes, stamp, key, checksum or labels do not check is ignored and
 * rewritten.
 */
#define _DEFAULT_SOURCE /* struct stat's st_mtim, DT_REG-free readdir use */

#include "data.h"
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHARE_MAX 16
#define CACHE_MIN_VALUES ((int64_t)1 << 20) /* smaller sets decode in no time */
#define CACHE_DATA 4096
#define CACHE_FILES 6   /* the most recently written decoded files kept */

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

	if (stat(path, &st))
		return mix(h, 1); /* missing: the load will say so */
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

/* ---- the decoded cache file ------------------------------------------- */

struct cache_head {
	char magic[8];
	uint64_t stamp, key;
	int64_t n;
	int32_t c, h, w, nclasses;
	float mean[CF_DATA_MAXCH], std[CF_DATA_MAXCH];
	char name[64];
};

static uint64_t key_of(const char *spec, int train, const float *mean, const float *std)
{
	uint64_t h = mix(0xcfd5, (uint64_t)train);
	for (const char *p = spec; *p; p++)
		h = mix(h, (unsigned char)*p);
	if (mean && std)
		for (int c = 0; c < CF_DATA_MAXCH; c++) {
			uint32_t a, b;
			memcpy(&a, &mean[c], 4);
			memcpy(&b, &std[c], 4);
			h = mix(mix(h, a), b);
		}
	return h;
}

/* Four independent multiply-xor lanes over 8-byte words: memory speed. */
static uint64_t checksum(const unsigned char *p, size_t len)
{
	uint64_t h[4] = {1, 2, 3, 4}, w;
	size_t nw = len / 8, i = 0;
	for (; i + 4 <= nw; i += 4)
		for (int l = 0; l < 4; l++) {
			memcpy(&w, p + 8 * (i + (size_t)l), 8);
			h[l] = (h[l] ^ w) * 0x9e3779b97f4a7c15ull;
		}
	for (; i < nw; i++) {
		memcpy(&w, p + 8 * i, 8);
		h[0] = (h[0] ^ w) * 0x9e3779b97f4a7c15ull;
	}
	for (size_t k = nw * 8; k < len; k++)
		h[1] = (h[1] ^ p[k]) * 0x9e3779b97f4a7c15ull;
	return mix(mix(mix(h[0], h[1]), h[2]), h[3]);
}

static int cache_path(char *buf, size_t len, uint64_t key, int mkdirs)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME"), *off = getenv("CLAFUSE_DATA_CACHE");
	char dir[4096];
	if (off && (!strcmp(off, "off") || !strcmp(off, "0")))
		return -1;
	if (x && x[0] == '/')
		snprintf(dir, sizeof dir, "%s/clafuse", x);
	else if (home && home[0] == '/')
		snprintf(dir, sizeof dir, "%s/.cache/clafuse", home);
	else
		return -1;
	if (mkdirs) {
		char parent[4096];
		snprintf(parent, sizeof parent, "%s", dir);
		*strrchr(parent, '/') = '\0';
		(void)mkdir(parent, 0700);
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -1;
	}
	if ((size_t)snprintf(buf, len, "%s/data-%016llx.cfd", dir, (unsigned long long)key) >= len)
		return -1;
	return 0;
}

/* The cached data set, or NULL when there is none that checks. */
static cf_dataset *cache_read(uint64_t key, uint64_t stamp)
{
	char path[4200];
	struct cache_head hd;
	struct stat st;
	unsigned char *map;
	cf_dataset *d;
	int fd;
	int64_t vals, need;
	uint64_t sum;

	if (cache_path(path, sizeof path, key, 0) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < CACHE_DATA + 8 ||
	    pread(fd, &hd, sizeof hd, 0) != (ssize_t)sizeof hd) {
		close(fd);
		return NULL;
	}
	if (memcmp(hd.magic, "CFDSET01", 8) || hd.key != key || hd.stamp != stamp || hd.n < 1 ||
	    hd.n > ((int64_t)1 << 32) || hd.c < 1 || hd.c > CF_DATA_MAXCH || hd.h < 1 || hd.h > 65536 ||
	    hd.w < 1 || hd.w > 65536 || hd.nclasses < 1 || hd.nclasses > 1000000 ||
	    memchr(hd.name, 0, sizeof hd.name) == NULL) {
		close(fd);
		return NULL;
	}
	vals = hd.n * hd.c * (int64_t)hd.h * hd.w;       /* < 2^32·4·2^32: fits */
	if (vals > ((int64_t)1 << 40)) {
		close(fd);
		return NULL;
	}
	need = CACHE_DATA + vals * 4 + hd.n * 4 + 8;
	if (st.st_size != need) {
		close(fd);
		return NULL;
	}
	map = mmap(NULL, (size_t)need, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	memcpy(&sum, map + need - 8, 8);
	d = calloc(1, sizeof *d);
	if (!d || checksum(map, (size_t)need - 8) != sum) {
		free(d);
		munmap(map, (size_t)need);
		return NULL;
	}
	d->x = (float *)(void *)(map + CACHE_DATA);
	d->y = (int32_t *)(void *)(map + CACHE_DATA + vals * 4);
	for (int64_t i = 0; i < hd.n; i++)
		if (d->y[i] < 0 || d->y[i] >= hd.nclasses) {
			free(d);
			munmap(map, (size_t)need);
			return NULL;
		}
	d->map = map;
	d->map_len = (size_t)need;
	d->n = hd.n;
	d->c = hd.c;
	d->h = hd.h;
	d->w = hd.w;
	d->nclasses = hd.nclasses;
	memcpy(d->mean, hd.mean, sizeof d->mean);
	memcpy(d->std, hd.std, sizeof d->std);
	memcpy(d->name, hd.name, sizeof d->name);
	return d;
}

/* Keep the CACHE_FILES newest decoded files of the directory holding
 * `path`: each distinct spec, split and normalisation has a file, and a
 * cache must not grow without end. */
static void cache_prune(const char *path)
{
	char dir[4200], f[4400];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if (!(d = opendir(dir)))
		return;
	/* repeatedly: find the oldest while more than CACHE_FILES remain */
	for (;;) {
		int count = 0;
		time_t oldest = 0;
		char victim[64] = "";
		rewinddir(d);
		while ((e = readdir(d)) != NULL) {
			struct stat st;
			size_t L = strlen(e->d_name);
			if (strncmp(e->d_name, "data-", 5) || L < 4 || strcmp(e->d_name + L - 4, ".cfd") ||
			    L >= sizeof victim)
				continue;
			snprintf(f, sizeof f, "%s/%s", dir, e->d_name);
			if (stat(f, &st))
				continue;
			count++;
			if (!victim[0] || st.st_mtime < oldest) {
				oldest = st.st_mtime;
				memcpy(victim, e->d_name, L + 1);
			}
		}
		if (count <= CACHE_FILES || !victim[0])
			break;
		snprintf(f, sizeof f, "%s/%s", dir, victim);
		if (unlink(f))
			break;
	}
	closedir(d);
}

/* Write the cache file through cf_outfile (temporary file, then rename;
 * removed on a fatal signal); failures only mean no cache. */
static void cache_write(uint64_t key, uint64_t stamp, const cf_dataset *d)
{
	char path[4200];
	struct cache_head hd;
	unsigned char *buf;
	int64_t vals = d->n * d->c * (int64_t)d->h * d->w;
	size_t len = CACHE_DATA + (size_t)vals * 4 + (size_t)d->n * 4;
	uint64_t sum;
	cf_outfile o;

	if (vals < CACHE_MIN_VALUES || cache_path(path, sizeof path, key, 1))
		return;
	/* one buffer, so the checksum is the same function of the same bytes
	 * on both sides */
	if (!(buf = malloc(len)))
		return;
	memset(&hd, 0, sizeof hd);
	memcpy(hd.magic, "CFDSET01", 8);
	hd.stamp = stamp;
	hd.key = key;
	hd.n = d->n;
	hd.c = d->c;
	hd.h = d->h;
	hd.w = d->w;
	hd.nclasses = d->nclasses;
	memcpy(hd.mean, d->mean, sizeof hd.mean);
	memcpy(hd.std, d->std, sizeof hd.std);
	memcpy(hd.name, d->name, sizeof hd.name);
	hd.name[sizeof hd.name - 1] = '\0';
	memset(buf, 0, CACHE_DATA);
	memcpy(buf, &hd, sizeof hd);
	memcpy(buf + CACHE_DATA, d->x, (size_t)vals * 4);
	memcpy(buf + CACHE_DATA + vals * 4, d->y, (size_t)d->n * 4);
	sum = checksum(buf, len);
	if (cf_outfile_open(&o, path, NULL) == CF_OK) {
		/* a short write sets the stream's error flag; commit then fails */
		if (fwrite(buf, 1, len, o.f) == len)
			fwrite(&sum, 1, 8, o.f);
		if (cf_outfile_commit(&o, NULL) == CF_OK)
			cache_prune(path);
	}
	free(buf);
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
	uint64_t stamp, key;
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
	key = key_of(spec, train, mean && std ? m : NULL, s);
	if (!(d = cache_read(key, stamp))) {
		if ((rc = cf_data_load(spec, train, mean, std, &d, err)) != CF_OK)
			return rc;
		cache_write(key, stamp, d);
	}
	pthread_mutex_lock(&lock);
	if (used == SHARE_MAX) { /* the oldest entry goes */
		drop(&table[0]);
		used--;
		memmove(table, table + 1, (size_t)used * sizeof *table);
	}
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
