/* png.c — the PNG writer (png.h): signature, IHDR, one zlib-compressed
 * IDAT of the scanlines (each led by filter type 0), IEND. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "png.h"

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* length, type, data, CRC of type and data */
static void chunk(FILE *f, const char type[4], const uint8_t *data, uint32_t n)
{
	uint8_t b[4];
	uLong crc = crc32(0L, Z_NULL, 0);

	be32(b, n);
	fwrite(b, 1, 4, f);
	fwrite(type, 1, 4, f);
	crc = crc32(crc, (const Bytef *)type, 4);
	if (n) {
		fwrite(data, 1, n, f);
		crc = crc32(crc, data, n);
	}
	be32(b, (uint32_t)crc);
	fwrite(b, 1, 4, f);
}

int cf_png_write(FILE *f, const uint8_t *rgb, int w, int h)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t ihdr[13];
	size_t row, raw_n;
	uLongf z_n;
	uint8_t *raw, *z;

	/* keep the raw size (and zlib's uLong) far from overflow: 16384² is
	 * larger than any picture we draw */
	if (w < 1 || h < 1 || w > 16384 || h > 16384)
		return EINVAL;
	row = 1 + 3 * (size_t)w;
	raw_n = row * (size_t)h;
	if (!(raw = malloc(raw_n)))
		return ENOMEM;
	for (int y = 0; y < h; y++) {
		raw[y * row] = 0; /* filter: none */
		memcpy(raw + y * row + 1, rgb + (size_t)y * 3 * (size_t)w, 3 * (size_t)w);
	}
	z_n = compressBound((uLong)raw_n);
	if (!(z = malloc(z_n))) {
		free(raw);
		return ENOMEM;
	}
	if (compress2(z, &z_n, raw, (uLong)raw_n, Z_BEST_COMPRESSION) != Z_OK) {
		free(raw);
		free(z);
		return ENOMEM;
	}
	free(raw);
	be32(ihdr, (uint32_t)w);
	be32(ihdr + 4, (uint32_t)h);
	ihdr[8] = 8;  /* bits per sample */
	ihdr[9] = 2;  /* colour type: RGB */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering (each row says none) */
	ihdr[12] = 0; /* not interlaced */
	fwrite(sig, 1, sizeof sig, f);
	chunk(f, "IHDR", ihdr, sizeof ihdr);
	chunk(f, "IDAT", z, (uint32_t)z_n);
	chunk(f, "IEND", NULL, 0);
	free(z);
	return ferror(f) ? EIO : 0;
}
