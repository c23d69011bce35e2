/* model.h — model files: a network's state dict in safetensors, with its
 * architecture description in the metadata under "clafuse.arch", or in a
 * PyTorch checkpoint (torch.save's formats, pt.h).
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

/* Write net to path atomically: every parameter and buffer as F32,
 * metadata clafuse.arch = the canonical description, plus nmeta extra
 * string pairs (e.g. "clafuse.parents"; may be 0).  A path ending in .pt or
 * .pth gets a PyTorch checkpoint (zip format, cf_pt_write), any other
 * safetensors.  A key equal to clafuse.arch among the extras is an error. */
int cf_model_save(const cf_net *net, const char *path, const char *const *meta_key,
		  const char *const *meta_val, size_t nmeta, cf_error *err);

/* Read a model file: safetensors or a torch.save checkpoint, told apart
 * by content.  The architecture is `arch` when given, else the file's
 * clafuse.arch metadata, else inferred from the state dict's names and
 * shapes (infer.h; then the tensors take clafuse's names).  `arch` may
 * also be only "in CxHxW": the input shape that inference cannot see.
 * Errors name the file, the tensor, and the expected and found shapes. */
int cf_model_load(const char *path, const char *arch, cf_net **out, cf_error *err);

/* Read a model file's tensors and metadata, safetensors or torch.save
 * checkpoint (recognised by content), without building a network. */
struct cf_st_file;
int cf_model_read(const char *path, struct cf_st_file **out, cf_error *err);

/* Nonzero when path names a PyTorch checkpoint by its extension (.pt, .pth). */
int cf_model_is_pt_name(const char *path);

/* Copy tensors from an already read model file into net (strict as
 * above); `what` names the file in messages. */
int cf_model_fill(cf_net *net, const struct cf_st_file *f, const char *what, cf_error *err);

#endif
