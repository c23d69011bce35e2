/* bytes.h — little-endian integers in file formats (safetensors header
 * length, zip records, pickle opcodes, torch storages, clafuse matrices).
 * One reader for all of them; the caller has checked that the n bytes are
 * there. */
#ifndef CF_BYTES_H
#define CF_BYTES_H

#include <stdint.h>

/* The unsigned little-endian integer in p[0..n-1], 1 <= n <= 8. */
static inline uint64_t cf_le_read(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
