/* fuzz_data.c — data set files from a stranger.  The first byte picks the
 * reader: 0 IDX (then a 16-bit little-endian length splits the rest into
 * the images and the labels file), 1 a CIFAR-10 test batch, 2 a CIFAR-100
 * test file.  Either files may be gzip-compressed.  A refused file has a
 * one-line message; an accepted data set has labels below its class count
 * and finite values. */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "data.h"

static void check(cf_dataset *d)
{
	for (int64_t i = 0; i < d->n; i++)
		FUZZ_CHECK(d->y[i] >= 0 && d->y[i] < d->nclasses, "label %d of %d classes",
			   d->y[i], d->nclasses);
	for (int64_t i = 0; i < d->n * d->c * d->h * d->w; i++)
		FUZZ_CHECK(isfinite(d->x[i]), "value %lld is %g", (long long)i, d->x[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_dataset *d = NULL;
	cf_error err = { 0, "" };
	int rc = CF_EINVAL;

	fuzz_small_limits();
	if (size < 1)
		return 0;
	if (data[0] == 0 && size >= 3) {
		size_t li = (size_t)data[1] | (size_t)data[2] << 8;
		const uint8_t *rest = data + 3;
		size_t nrest = size - 3;
		const char *im, *lb;
		if (li > nrest)
			li = nrest;
		im = fuzz_file("images", rest, li);
		lb = fuzz_file("labels", rest + li, nrest - li);
		rc = cf_data_load_idx(im, lb, NULL, NULL, NULL, &d, &err);
	} else if (data[0] == 1 || data[0] == 2) {
		const char *dir = fuzz_path("cifar");
		mkdir(dir, 0700);
		fuzz_file(data[0] == 1 ? "cifar/test_batch.bin" : "cifar/test.bin", data + 1, size - 1);
		rc = cf_data_load_cifar(dir, data[0] == 2, 0, NULL, NULL, &d, &err);
	} else {
		return 0;
	}
	if (rc) {
		FUZZ_CHECK(d == NULL && err.msg[0] && !strchr(err.msg, '\n'), "message \"%s\"", err.msg);
		return 0;
	}
	check(d);
	cf_dataset_free(d);
	return 0;
}
