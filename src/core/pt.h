/* pt.h — PyTorch checkpoints (torch.save files): read a state dict, write one.
 *
 * Both formats torch.save has used are read, without running Python's
 * unpickler (pickle.h refuses everything a state dict does not need):
 *
 *   zip (PyTorch >= 1.6)  PREFIX/data.pkl, PREFIX/data/<key> per storage
 *   legacy                five pickles in a row (magic number, protocol
 *                         1001, system info, the object, the storage keys),
 *                         then each storage as an int64 element count and
 *                         its raw little-endian elements
 *
 * The state dict is the object itself when every value is a tensor, or
 * the first of "state_dict", "model_state_dict", "model", "net" inside a
 * wrapper dict; the wrapper's numeric scalars become metadata
 * "torch.<name>" (e.g. torch.test_accuracy, torch.epoch).  A "module."
 * prefix common to every name (DataParallel) is removed.  Tensors may be
 * F32, F16, BF16, F64 or integer storages, strided views with an offset,
 * and share storages; each becomes a contiguous float32 tensor.  Every
 * storage a tensor names must exist in the file with exactly the bytes its
 * reference says, and a view may not have more elements than its storage.
 *
 * The writer stores F32 tensors in the zip format as an OrderedDict, which
 * torch.load(..., weights_only=True) returns and load_state_dict(strict=True)
 * takes; clafuse's metadata rides along as the dict's attribute
 * "clafuse_metadata" (a str→str dict), ignored by PyTorch.
 */
#ifndef CF_PT_H
#define CF_PT_H

#include <stddef.h>

#include "error.h"
#include "st.h"

/* Metadata keys the reader adds besides the wrapper's scalars. */
#define CF_PT_FORMAT_KEY "torch.format"     /* "zip" or "legacy" */
#define CF_PT_WRAPPER_KEY "torch.wrapper"   /* e.g. "model_state_dict"; absent for a bare dict */

/* Nonzero when buf starts like a torch.save file (a zip local header, or a
 * protocol-2 pickle of a long integer: the legacy magic number). */
int cf_pt_sniff(const unsigned char *buf, size_t len);

/* Read a checkpoint held in buf (`what` names it in messages) into the
 * same structure as a safetensors file: tensors with their state-dict
 * names, float32 data, the stored dtype, and string metadata.  On error
 * *out is NULL and err says what was refused or malformed, and where. */
int cf_pt_read_mem(const unsigned char *buf, size_t len, const char *what,
		   cf_st_file **out, cf_error *err);

/* Write tensors (float32, in the order given) and string metadata as a
 * zip-format checkpoint at path, atomically.  Duplicate or empty names are
 * an error. */
int cf_pt_write(const char *path, const cf_st_out *ts, size_t n,
		const char *const *meta_key, const char *const *meta_val, size_t nmeta,
		cf_error *err);

#endif
