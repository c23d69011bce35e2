/* net_impl.h — the inside of a cf_net, shared by net.c (building),
 * net_forward.c and net_backward.c.  Not part of the public API.
 *
 * The executable form is one op per architecture unit.  A residual block is
 * one op with its three convolutions in cv[0..2] (conv1, conv2, shortcut)
 * and its intermediate buffers named after the block equations:
 *   a1 = conv1(x), b1 = BN1(a1), h = relu(b1), a2 = conv2(h), b2 = BN2(a2),
 *   a3 = shortcut conv(x), b3 = BN3(a3), z = b2 + (b3 or x), y = relu(z).
 * Without BN, b* alias a*.
 */
#ifndef CF_NET_IMPL_H
#define CF_NET_IMPL_H

#include "net.h"
#include "norm.h"
#include "ops.h"

#define CF_BN_EPS 1e-5f
#define CF_BN_MOMENTUM 0.1f

typedef struct cf_convp {
	cf_conv_shape s;     /* conv geometry (Linear: cin = in features, cout = out) */
	int w, b;            /* parameter indices; b = -1 without bias; w = -1 when absent */
	int bn;              /* index of BN weight (beta, mean, var, count follow), or -1 */
	float *save_mean, *save_invstd; /* BN batch statistics for backward */
} cf_convp;

typedef struct cf_op {
	enum cf_unit_kind kind;
	int in_c, in_h, in_w, out_c, out_h, out_w;
	int64_t in_sz, out_sz;   /* values per sample */
	int k, stride;           /* pools */
	cf_convp cv[3];          /* linear/conv/bn: cv[0]; block: conv1, conv2, shortcut */
	int proj;                /* block: has a projection shortcut */
	/* set by the workspace layout for the current capacity */
	float *y;
	float *a1, *b1, *h, *a2, *b2, *a3, *b3, *z;
	int32_t *argmax;
	const float *x;          /* input of the last forward */
} cf_op;

struct cf_net {
	cf_arch *arch;
	int nparams;
	cf_net_param *params;
	float *arena;            /* all parameters and buffers */
	int64_t arena_size, ntrain;
	float *grads;            /* ntrain */
	float *bnsave;           /* BN save_mean / save_invstd arrays */
	int nwl, nunits, nstages, nops;
	cf_net_wlayer *wl;
	cf_net_unit *units;
	cf_net_stage *stages;
	cf_op *ops;
	/* workspace, laid out for cap_N samples */
	int64_t cap_N;
	float *ws;
	int32_t *ws_idx;
	float *work;             /* conv im2col scratch */
	float *g[2], *t[3];      /* gradient ping-pong and block temporaries */
	int64_t max_sz;          /* largest per-sample buffer */
	const float *logits;
	int64_t last_N;
	int last_mode, have_forward, has_bn;
	cf_norm norm;            /* the input normalisation it expects (c 0: unknown) */
};

/* Make sure the workspace holds N samples (realloc + relayout). */
int cf_net_workspace(cf_net *net, int64_t N, cf_error *err);

#endif
