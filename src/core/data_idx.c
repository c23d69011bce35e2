/* data_idx.c — IDX files (the MNIST family format) and Fashion-MNIST.
 *
 * An IDX file is a magic number 00 00 TYPE NDIM, NDIM big-endian 32-bit
 * sizes, then the values in C order.  All type codes are parsed; images
 * and labels must be unsigned bytes.  The sizes are overflow-checked and
 * must account for every byte of the (decompressed) file.
 */
#define _POSIX_C_SOURCE 200809L

#include "data.h"
#include "data_int.h"

#include "checked.h"
#include "limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IDX_MAXDIM 16

/* ---- IDX --------------------------------------------------------------- */

struct idx {
	int type;                 /* type code, 0x08 ... 0x0E */
	int ndim;
	int64_t dims[IDX_MAXDIM];
	int64_t count;            /* product of dims */
	unsigned char *data;      /* count * type size bytes, big-endian */
};

static int idx_type_size(int type)
{
	switch (type) {
	case 0x08: case 0x09: return 1;
	case 0x0B: return 2;
	case 0x0C: case 0x0D: return 4;
	case 0x0E: return 8;
	default: return 0;
	}
}

static const char *idx_type_name(int type)
{
	switch (type) {
	case 0x08: return "unsigned byte";
	case 0x09: return "signed byte";
	case 0x0B: return "16-bit integer";
	case 0x0C: return "32-bit integer";
	case 0x0D: return "32-bit float";
	case 0x0E: return "64-bit float";
	default: return "unknown";
	}
}

/* Open an IDX file and read its header: magic, type, dimensions; the
 * file stays open at the start of the data (x->data is still NULL), so
 * headers can be checked against each other before any data is read. */
static int idx_open(const char *path, struct idx *x, cf_zin **gout, cf_error *err)
{
	unsigned char hdr[4 + 4 * IDX_MAXDIM];
	cf_zin *g;
	int64_t r;
	int tsize, rc;

	memset(x, 0, sizeof *x);
	*gout = NULL;
	if (!(g = cf_data_gzopen(path, err)))
		return err ? err->code : CF_EIO;
	r = cf_data_gzread(g, path, hdr, 4, err);
	if (r < 0)
		goto fail_read;
	if (r < 4) {
		rc = cf_error_set(err, CF_EFORMAT, "%s: %lld bytes, too short for an IDX header",
				  path, (long long)r);
		goto fail;
	}
	if (hdr[0] != 0 || hdr[1] != 0) {
		rc = cf_error_set(err, CF_EFORMAT,
				  "%s: bad magic number %02x %02x %02x %02x, expected 00 00 TYPE DIMS (not an IDX file)",
				  path, hdr[0], hdr[1], hdr[2], hdr[3]);
		goto fail;
	}
	x->type = hdr[2];
	x->ndim = hdr[3];
	if (!(tsize = idx_type_size(x->type))) {
		rc = cf_error_set(err, CF_EFORMAT,
				  "%s: unknown IDX type code 0x%02x (expected 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32 or 0x0E f64)",
				  path, x->type);
		goto fail;
	}
	if (x->ndim < 1 || x->ndim > IDX_MAXDIM) {
		rc = cf_error_set(err, CF_EFORMAT, "%s: %d dimensions, expected 1..%d",
				  path, x->ndim, IDX_MAXDIM);
		goto fail;
	}
	r = cf_data_gzread(g, path, hdr + 4, 4 * x->ndim, err);
	if (r < 0)
		goto fail_read;
	if (r < 4 * x->ndim) {
		rc = cf_error_set(err, CF_EFORMAT, "%s: file ends inside the %d dimension sizes (truncated?)",
				  path, x->ndim);
		goto fail;
	}
	{
		char sizes[16 * 12] = "", num[32];
		int over = 0;
		x->count = 1;
		for (int d = 0; d < x->ndim; d++) {
			const unsigned char *p = hdr + 4 + 4 * d;
			x->dims[d] = (int64_t)p[0] << 24 | (int64_t)p[1] << 16 | (int64_t)p[2] << 8 | p[3];
			over = over || cf_mul(x->count, x->dims[d], &x->count);
			snprintf(num, sizeof num, "%s%lld", d ? "x" : "", (long long)x->dims[d]);
			strcat(sizes, num);
		}
		if (over)
			snprintf(num, sizeof num, "more than 2^63");
		else
			snprintf(num, sizeof num, "%lld", (long long)x->count);
		if (over || x->count > cf_limits_get()->data) {
			rc = cf_limits_refuse(err, CF_EFORMAT, "data", "%s: its header's sizes %s (%s values)",
					      path, sizes, num);
			goto fail;
		}
	}
	*gout = g;
	return CF_OK;
fail_read:
	rc = err ? err->code : CF_EIO;
fail:
	cf_data_gzclose(g);
	return rc;
}

/* The data after an idx_open'd header (exactly as many bytes as it
 * announces, then the end of the file); closes the file. */
static int idx_read_data(const char *path, struct idx *x, cf_zin *g, cf_error *err)
{
	int rc = cf_data_read_exact(g, path, x->count * idx_type_size(x->type), &x->data, err);
	cf_data_gzclose(g);
	return rc;
}

/* Read and check a whole IDX file. */
static int idx_read(const char *path, struct idx *x, cf_error *err)
{
	cf_zin *g;
	int rc = idx_open(path, x, &g, err);
	return rc ? rc : idx_read_data(path, x, g, err);
}

/* ---- IDX data sets ----------------------------------------------------- */

/* Check an images file and return (n, c, h, w). */
static int idx_check_images(const char *path, const struct idx *im, int *c, int *h, int *w,
			    cf_error *err)
{
	if (im->type != 0x08)
		return cf_error_set(err, CF_EFORMAT,
				    "%s: images are of type 0x%02x (%s), expected 0x08 (unsigned bytes)",
				    path, im->type, idx_type_name(im->type));
	if (im->ndim == 3) {
		*c = 1;
		*h = (int)im->dims[1];
		*w = (int)im->dims[2];
	} else if (im->ndim == 4 && im->dims[1] >= 1 && im->dims[1] <= CF_DATA_MAXCH) {
		*c = (int)im->dims[1];
		*h = (int)im->dims[2];
		*w = (int)im->dims[3];
	} else {
		return cf_error_set(err, CF_EFORMAT,
				    "%s: images have %d dimensions, expected 3 (N x H x W) or 4 (N x C x H x W, C <= %d)",
				    path, im->ndim, CF_DATA_MAXCH);
	}
	if (im->dims[0] < 1 || *h < 1 || *w < 1)
		return cf_error_set(err, CF_EFORMAT, "%s: no images (sizes %lld x %d x %d)",
				    path, (long long)im->dims[0], *h, *w);
	return CF_OK;
}

/* Load an images + labels pair.  Labels must be < max_classes when that is
 * positive; nclasses = max(largest label + 1, min_classes).  def_mean /
 * def_std (may be NULL: the images' own statistics) apply when mean / std
 * are NULL. */
static int idx_load(const char *images, const char *labels, const char *name,
		    int min_classes, int max_classes, const float *mean, const float *std,
		    const float *def_mean, const float *def_std, cf_dataset **out, cf_error *err)
{
	struct idx im, lb;
	cf_zin *gi = NULL, *gl = NULL;
	cf_dataset *d = NULL;
	int c, h, w, rc, maxl = -1;
	float own_mean[CF_DATA_MAXCH], own_std[CF_DATA_MAXCH];

	*out = NULL;
	memset(&lb, 0, sizeof lb);
	/* Both headers are checked against each other before either file's
	 * data is read: a small gzip file whose header claims 2^31 images is
	 * refused without inflating it. */
	if ((rc = idx_open(images, &im, &gi, err)) != CF_OK)
		return rc;
	if ((rc = idx_check_images(images, &im, &c, &h, &w, err)) != CF_OK)
		goto done;
	if ((rc = cf_data_check_norm(name, c, mean, std, err)) != CF_OK)
		goto done;
	if ((rc = idx_open(labels, &lb, &gl, err)) != CF_OK)
		goto done;
	if (lb.type != 0x08) {
		rc = cf_error_set(err, CF_EFORMAT,
				  "%s: labels are of type 0x%02x (%s), expected 0x08 (unsigned bytes)",
				  labels, lb.type, idx_type_name(lb.type));
		goto done;
	}
	if (lb.ndim != 1) {
		rc = cf_error_set(err, CF_EFORMAT, "%s: labels have %d dimensions, expected 1",
				  labels, lb.ndim);
		goto done;
	}
	if (lb.dims[0] != im.dims[0]) {
		rc = cf_error_set(err, CF_EFORMAT, "%s: %lld labels, but %s holds %lld images",
				  labels, (long long)lb.dims[0], images, (long long)im.dims[0]);
		goto done;
	}
	rc = idx_read_data(labels, &lb, gl, err);
	gl = NULL;
	if (rc != CF_OK)
		goto done;
	rc = idx_read_data(images, &im, gi, err);
	gi = NULL;
	if (rc != CF_OK)
		goto done;
	for (int64_t i = 0; i < lb.count; i++) {
		if (max_classes > 0 && lb.data[i] >= max_classes) {
			rc = cf_error_set(err, CF_EFORMAT, "%s: label %d of sample %lld is out of range, expected 0..%d",
					  labels, lb.data[i], (long long)i, max_classes - 1);
			goto done;
		}
		if (lb.data[i] > maxl)
			maxl = lb.data[i];
	}
	if (!(d = cf_data_alloc(name, im.dims[0], c, h, w, err))) {
		rc = err ? err->code : CF_ENOMEM;
		goto done;
	}
	d->nclasses = maxl + 1 > min_classes ? maxl + 1 : min_classes;
	for (int64_t i = 0; i < d->n; i++)
		d->y[i] = lb.data[i];
	if (!mean || !std) {
		if (def_mean && def_std) {
			memcpy(own_mean, def_mean, (size_t)c * sizeof *own_mean);
			memcpy(own_std, def_std, (size_t)c * sizeof *own_std);
		} else {
			cf_data_byte_stats(im.data, d->n, c, (int64_t)h * w, own_mean, own_std);
		}
	}
	for (int ch = 0; ch < c; ch++) {
		d->mean[ch] = mean ? mean[ch] : own_mean[ch];
		d->std[ch] = std ? std[ch] : own_std[ch];
	}
	{
		float lut[CF_DATA_MAXCH][256];
		cf_data_lut(c, d->mean, d->std, lut);
		cf_data_apply_lut(im.data, d->n, c, (int64_t)h * w, lut, d->x);
	}
	*out = d;
	d = NULL;
done:
	cf_data_gzclose(gi);
	cf_data_gzclose(gl);
	free(im.data);
	free(lb.data);
	cf_dataset_free(d);
	return rc;
}

/* The last path component, for data set names. */
static const char *data_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int cf_data_load_idx(const char *images, const char *labels, const char *name,
		     const float *mean, const float *std, cf_dataset **out, cf_error *err)
{
	char nm[64];
	*out = NULL;
	if (!images || !labels)
		return cf_error_set(err, CF_EINVAL, "IDX data set: images and labels files are both needed");
	if (!name) {
		snprintf(nm, sizeof nm, "idx:%s", data_basename(images));
		name = nm;
	}
	return idx_load(images, labels, name, 0, 0, mean, std, NULL, NULL, out, err);
}

/* Images statistics only (for a test split whose defaults are its train
 * split's). */
static int idx_stats(const char *images, float *mean, float *std, cf_error *err)
{
	struct idx im;
	int c, h, w, rc;
	if ((rc = idx_read(images, &im, err)) != CF_OK)
		return rc;
	if ((rc = idx_check_images(images, &im, &c, &h, &w, err)) == CF_OK)
		cf_data_byte_stats(im.data, im.dims[0], c, (int64_t)h * w, mean, std);
	free(im.data);
	return rc;
}

/* dir/base.gz, or dir/base when only the uncompressed file exists. */
static void data_path_gz(char *buf, size_t len, const char *dir, const char *base)
{
	/* access, not fopen: opening a FIFO to probe it would block */
	snprintf(buf, len, "%s/%s.gz", dir, base);
	if (access(buf, R_OK) == 0)
		return;
	snprintf(buf, len, "%s/%s", dir, base);
	if (access(buf, R_OK) == 0)
		return;
	snprintf(buf, len, "%s/%s.gz", dir, base);  /* name the usual file */
}

int cf_data_load_fashion_mnist(const char *dir, int train, const float *mean,
			       const float *std, cf_dataset **out, cf_error *err)
{
	static const float fm_mean[1] = {CF_FASHION_MNIST_MEAN};
	static const float fm_std[1] = {CF_FASHION_MNIST_STD};
	char im[4096], lb[4096];
	const char *pre = train ? "train" : "t10k";
	char base[64];
	int rc;

	*out = NULL;
	if (!dir)
		dir = CF_FASHION_MNIST_DIR;
	snprintf(base, sizeof base, "%s-images-idx3-ubyte", pre);
	data_path_gz(im, sizeof im, dir, base);
	snprintf(base, sizeof base, "%s-labels-idx1-ubyte", pre);
	data_path_gz(lb, sizeof lb, dir, base);
	rc = idx_load(im, lb, train ? "fashion-mnist/train" : "fashion-mnist/test", 10, 10,
		      mean, std, fm_mean, fm_std, out, err);
	if (rc == CF_EIO && strcmp(dir, CF_FASHION_MNIST_DIR) == 0)
		cf_error_prefix(err, rc, "Fashion-MNIST (install Debian's dataset-fashion-mnist)");
	return rc;
}

int cf_data_load_idx_spec(const char *spec, const char *list, int train, const float *mean,
			      const float *std, cf_dataset **out, cf_error *err)
{
	char *copy = strdup(list), *part[5] = {NULL}, *s, name[64];
	int np = 0, rc;
	float tm[CF_DATA_MAXCH], ts[CF_DATA_MAXCH];

	if (!copy)
		return cf_error_set(err, CF_ENOMEM, "out of memory");
	for (s = copy; np < 5; np++) {
		part[np] = s;
		if (!(s = strchr(s, ',')))
			break;
		*s++ = '\0';
	}
	np++;
	for (int i = 0; i < np && i < 5; i++)
		if (!part[i] || !*part[i])
			np = 0;
	if (np != 2 && np != 4) {
		free(copy);
		return cf_error_set(err, CF_EINVAL,
				    "data set '%s': expected idx:IMAGES,LABELS or idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS",
				    spec);
	}
	if (np == 2 || train) {
		snprintf(name, sizeof name, "idx:%s", data_basename(part[0]));
		rc = cf_data_load_idx(part[0], part[1], name, mean, std, out, err);
	} else {
		/* The test split defaults to its train split's statistics. */
		snprintf(name, sizeof name, "idx:%s", data_basename(part[2]));
		rc = CF_OK;
		if (!mean || !std)
			rc = idx_stats(part[0], tm, ts, err);
		if (rc == CF_OK)
			rc = idx_load(part[2], part[3], name, 0, 0, mean, std, tm, ts, out, err);
	}
	free(copy);
	return rc;
}
