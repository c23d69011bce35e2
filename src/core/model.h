/* model.h — model files: a network's state dict in safetensors, with its
 * architecture description in the metadata under "clafuse.arch".
 *
 * Tensor names are PyTorch's state-dict names (net.h), so files move both
 * ways between clafuse and PyTorch.  Loading is strict, like PyTorch's
 * load_state_dict(strict=True): every tensor the architecture needs must be
 * present with the right shape, and any other tensor is an error, except
 * num_batches_tracked, which may be absent.
 */
#ifndef CF_MODEL_H
#define CF_MODEL_H

#include <stddef.h>

#include "error.h"
#include "net.h"

#define CF_MODEL_ARCH_KEY "clafuse.arch"

/* Write net to path atomically (through cf_st_write): every parameter and
 * buffer as F32, metadata clafuse.arch = the canonical description, plus
 * nmeta extra string pairs (e.g. "clafuse.parents"; may be 0).  A key equal
 * to clafuse.arch among the extras is an error. */
int cf_model_save(const cf_net *net, const char *path, const char *const *meta_key,
		  const char *const *meta_val, size_t nmeta, cf_error *err);

/* Read a model file.  `arch` (optional) overrides or replaces the file's
 * description (for files written by PyTorch without our metadata); without
 * either the load fails.  The input normalisation the metadata states
 * (norm.h, "clafuse.norm") becomes the network's (cf_net_norm); cf_model_save
 * writes it back.  Errors name the file, the tensor, and the
 * expected and found shapes. */
int cf_model_load(const char *path, const char *arch, cf_net **out, cf_error *err);

/* Copy tensors from an already read safetensors file into net (strict as
 * above); `what` names the file in messages. */
struct cf_st_file;
int cf_model_fill(cf_net *net, const struct cf_st_file *f, const char *what, cf_error *err);

#endif
