/* data_cifar.c — CIFAR-10 and CIFAR-100 binary batches.
 *
 * A batch is a sequence of fixed-size records: the label byte(s) (CIFAR-100:
 * coarse then fine) and 3072 pixel bytes, 1024 per channel R, G, B, each a
 * row-major 32 x 32 plane — already the C x H x W layout clafuse uses, so
 * records are normalised straight into place.
 */
#define _POSIX_C_SOURCE 200809L

#include "data.h"
#include "data_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CIFAR ------------------------------------------------------------- */

#define CIFAR_PIXELS 3072

int cf_data_load_cifar(const char *dir, int hundred, int train, const float *mean,
		       const float *std, cf_dataset **out, cf_error *err)
{
	static const float m10[3] = {0.4914f, 0.4822f, 0.4465f}, s10[3] = {0.2023f, 0.1994f, 0.2010f};
	static const float m100[3] = {0.5071f, 0.4867f, 0.4408f}, s100[3] = {0.2675f, 0.2565f, 0.2761f};
	const char *files10[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
				  "data_batch_4.bin", "data_batch_5.bin"};
	const char *test10[1] = {"test_batch.bin"}, *train100[1] = {"train.bin"}, *test100[1] = {"test.bin"};
	const char **files = hundred ? (train ? train100 : test100) : (train ? files10 : test10);
	int nfiles = !hundred && train ? 5 : 1;
	int nlab = hundred ? 2 : 1, rec = nlab + CIFAR_PIXELS, nclasses = hundred ? 100 : 10;
	unsigned char *raw[5] = {NULL};
	int64_t len[5] = {0}, n = 0;
	char name[64], path[4096];
	cf_dataset *d = NULL;
	int rc = CF_OK;

	*out = NULL;
	snprintf(name, sizeof name, "%s/%s", hundred ? "cifar100" : "cifar10", train ? "train" : "test");
	if (!dir)
		return cf_error_set(err, CF_EINVAL, "%s: no directory given", name);
	if ((rc = cf_data_check_norm(name, 3, mean, std, err)) != CF_OK)
		return rc;
	for (int f = 0; f < nfiles; f++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[f]);
		if ((rc = cf_data_read_all(path, &raw[f], &len[f], err)) != CF_OK)
			goto done;
		if (len[f] == 0 || len[f] % rec != 0) {
			rc = cf_error_set(err, CF_EFORMAT,
					  "%s: %lld bytes, expected a non-zero multiple of the %d-byte record (%s + 3072 pixels)",
					  path, (long long)len[f], rec,
					  hundred ? "coarse and fine label bytes" : "1 label byte");
			goto done;
		}
		for (int64_t i = 0; i < len[f] / rec; i++) {
			const unsigned char *r = raw[f] + i * rec;
			if (hundred && r[0] >= 20) {
				rc = cf_error_set(err, CF_EFORMAT,
						  "%s: record %lld has coarse label %d, expected 0..19",
						  path, (long long)i, r[0]);
				goto done;
			}
			if (r[nlab - 1] >= nclasses) {
				rc = cf_error_set(err, CF_EFORMAT,
						  "%s: record %lld has label %d, expected 0..%d",
						  path, (long long)i, r[nlab - 1], nclasses - 1);
				goto done;
			}
		}
		n += len[f] / rec;
	}
	if (!(d = cf_data_alloc(name, n, 3, 32, 32, err))) {
		rc = err ? err->code : CF_ENOMEM;
		goto done;
	}
	d->nclasses = nclasses;
	for (int ch = 0; ch < 3; ch++) {
		d->mean[ch] = mean ? mean[ch] : (hundred ? m100 : m10)[ch];
		d->std[ch] = std ? std[ch] : (hundred ? s100 : s10)[ch];
	}
	/* Normalise straight from the records (no packed copy of the pixels). */
	{
		int64_t k = 0;
		float lut[CF_DATA_MAXCH][256];
		cf_data_lut(3, d->mean, d->std, lut);
		for (int f = 0; f < nfiles; f++)
			for (int64_t i = 0; i < len[f] / rec; i++, k++) {
				const unsigned char *r = raw[f] + i * rec;
				d->y[k] = r[nlab - 1];   /* CIFAR-100: the fine label */
				cf_data_apply_lut(r + nlab, 1, 3, 1024, lut, d->x + k * CIFAR_PIXELS);
			}
	}
	*out = d;
	d = NULL;
done:
	for (int f = 0; f < 5; f++)
		free(raw[f]);
	cf_dataset_free(d);
	return rc;
}
