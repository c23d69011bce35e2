/* zip.h — the small part of the zip format that PyTorch checkpoints use.
 *
 * torch.save (PyTorch >= 1.6) writes a zip archive of stored (uncompressed)
 * entries: PREFIX/data.pkl, PREFIX/data/<key> for each storage, and
 * PREFIX/version.  The reader works on a buffer holding the whole file and
 * trusts nothing in it: the end-of-central-directory record, every central
 * entry and every local header are bounds-checked against the buffer, data
 * ranges must not overlap the directory, names must be plain, stored and
 * deflated entries are supported (deflate through zlib, with the declared
 * size enforced), and the CRC-32 of every extracted entry is checked.
 * Multi-disk archives, encryption and zip64 sizes (archives over 4 GiB)
 * are refused with a message; the zip64 end records that PyTorch always
 * writes are ignored when the classic record holds the real values.
 *
 * The writer builds a stored archive in memory, with each entry's data
 * aligned to 64 bytes as PyTorch's own writer does.
 */
#ifndef CF_ZIP_H
#define CF_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct cf_zip_entry {
	char *name;           /* as stored (NUL-free, owned) */
	size_t data;          /* offset of the entry's data in the buffer */
	size_t csize, usize;  /* compressed and uncompressed sizes */
	int method;           /* 0 stored, 8 deflate */
	uint32_t crc;
} cf_zip_entry;

typedef struct cf_zip {
	const unsigned char *buf;  /* not owned: must outlive the cf_zip */
	size_t len;
	size_t n;
	cf_zip_entry *e;
} cf_zip;

/* Read the directory of the archive in buf[0..len).  `what` names the file
 * in messages.  On error *out is NULL (CF_EFORMAT: what is wrong where). */
int cf_zip_open(const unsigned char *buf, size_t len, const char *what, cf_zip **out,
		cf_error *err);
void cf_zip_free(cf_zip *z);

/* The entry with this exact name, or NULL. */
const cf_zip_entry *cf_zip_find(const cf_zip *z, const char *name);

/* The entry's content, uncompressed and CRC-checked, in a new malloc'd
 * buffer (*data; free it) of *len bytes.  Entries larger than `max` bytes
 * are refused before anything is allocated. */
int cf_zip_extract(const cf_zip *z, const cf_zip_entry *e, size_t max, const char *what,
		   unsigned char **data, size_t *len, cf_error *err);

/* One file for the writer: name and content (not copied). */
typedef struct cf_zip_in {
	const char *name;
	const unsigned char *data;
	size_t len;
} cf_zip_in;

/* A stored archive of the n files, in order, in a new malloc'd buffer.
 * Errors: CF_EINVAL for names or sizes the classic format cannot hold,
 * CF_ENOMEM. */
int cf_zip_build(const cf_zip_in *files, size_t n, unsigned char **out, size_t *len,
		 cf_error *err);

#endif
