/* pickle.h — a restricted unpickler for PyTorch state dicts.
 *
 * Python's pickle is a small stack machine whose GLOBAL and REDUCE opcodes
 * import and call anything; torch.load runs it.  This one never calls
 * anything: it builds plain values (None, bools, integers, floats, strings,
 * tuples, lists, dicts) and knows the handful of PyTorch globals a state
 * dict is made of, each turned into data, not code:
 *
 *   collections.OrderedDict             called with no arguments: a dict
 *   torch._utils._rebuild_tensor_v2     (storage, offset, size, stride, ...): a tensor view
 *   torch._utils._rebuild_parameter     (tensor, requires_grad, hooks): the tensor
 *   torch.FloatStorage and the other    as the type in a storage reference
 *     torch.*Storage types                (BINPERSID ('storage', type, key, location, numel))
 *
 * Any other global (os.system, builtins.eval, numpy's scalar, ...), REDUCE
 * on anything else, BUILD on anything but a dict or a tensor (a dict keeps
 * the state as its attributes, where clafuse's writer puts its metadata),
 * and every
 * opcode outside the set protocols 2-5 use for such data are refused with a
 * message naming the global or the opcode and its offset.  A tensor view
 * is checked against its storage's element count (size, stride, offset,
 * overflow included); whether the storage itself exists in the file, and
 * holds that many elements, is the caller's check.
 *
 * All values live in one arena owned by the cf_pkl; a value may be shared
 * (the memo), and containers may even contain themselves, so walk them
 * with care.
 */
#ifndef CF_PICKLE_H
#define CF_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CF_PKL_MAXDIM 8

enum cf_pkl_kind {
	CF_PKL_NONE, CF_PKL_BOOL, CF_PKL_INT, CF_PKL_BIGINT, CF_PKL_FLOAT, CF_PKL_STR,
	CF_PKL_TUPLE, CF_PKL_LIST, CF_PKL_DICT,
	CF_PKL_GLOBAL,   /* an allowed global, not yet called */
	CF_PKL_STORAGE,  /* a storage reference (BINPERSID) */
	CF_PKL_TENSOR    /* a tensor view of a storage */
};

/* Storage element types, from the torch.*Storage class names. */
enum cf_pkl_dtype {
	CF_PKL_F32, CF_PKL_F16, CF_PKL_BF16, CF_PKL_F64, CF_PKL_I64, CF_PKL_I32,
	CF_PKL_I16, CF_PKL_I8, CF_PKL_U8, CF_PKL_BOOL_T
};

enum cf_pkl_global {
	CF_PKL_G_ORDEREDDICT, CF_PKL_G_REBUILD_TENSOR, CF_PKL_G_REBUILD_PARAM,
	CF_PKL_G_STORAGE
};

typedef struct cf_pkl_value cf_pkl_value;

struct cf_pkl_value {
	enum cf_pkl_kind kind;
	int64_t i;                  /* BOOL, INT */
	double f;                   /* FLOAT */
	char *s;                    /* STR (UTF-8 or bytes, NUL-terminated) and BIGINT bytes */
	size_t slen;
	size_t n, cap;              /* TUPLE, LIST: n items; DICT: n pairs (2n items) */
	cf_pkl_value **items;
	enum cf_pkl_global global;  /* GLOBAL */
	enum cf_pkl_dtype dtype;    /* GLOBAL of a storage type, STORAGE, TENSOR */
	/* STORAGE */
	char *key;                  /* the storage key ("0", "1", ...) */
	int64_t numel;              /* elements, as the reference says */
	/* TENSOR */
	cf_pkl_value *storage;
	int64_t offset;
	int ndim;
	int64_t size[CF_PKL_MAXDIM], stride[CF_PKL_MAXDIM];
	/* DICT: the state BUILD gave it (an OrderedDict's __dict__), or NULL */
	cf_pkl_value *attrs;
	cf_pkl_value *next_alloc;   /* arena chain */
};

typedef struct cf_pkl {
	cf_pkl_value *root;         /* what STOP returned */
	cf_pkl_value *arena;
} cf_pkl;

/* Unpickle one object from buf[0..len).  *used receives the bytes read up
 * to and including STOP, so that a caller can read the next pickle of a
 * stream (PyTorch's legacy format is five of them in a row).  `what`
 * names the file in messages.  On error *out is NULL. */
int cf_pkl_load(const unsigned char *buf, size_t len, const char *what, size_t *used,
		cf_pkl **out, cf_error *err);
void cf_pkl_free(cf_pkl *p);

/* Dict lookup by string key; NULL when d is not a dict or has no such key. */
cf_pkl_value *cf_pkl_dict_get(const cf_pkl_value *d, const char *key);

/* Element size in bytes and the safetensors-style name ("F32", ...). */
int cf_pkl_dtype_size(enum cf_pkl_dtype t);
const char *cf_pkl_dtype_name(enum cf_pkl_dtype t);

#endif
